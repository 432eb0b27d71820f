/*
 * units_in.h — input in a ledger's units: decimal amounts and prices per
 * unit of a market's underlying, turned into atoms and atoms per lot
 * exactly (engine/common/decimal.h), or refused with the nearest values
 * that are exact.  A ledger without units reads integers as it always did;
 * nothing here is used then.
 */
#ifndef SOCLOSS_UNITS_IN_H
#define SOCLOSS_UNITS_IN_H

#include "ledger.h"

typedef struct in_market in_market;

/* What an input is read with: the ledger's units, and the markets known so
 * far with their lots (the ledger's when reading began, then those the
 * input lists), so that a price is read with its market's lot. */
typedef struct in_units {
  ledger_units u;     /* asset "": no units */
  in_market *tab;     /* open addressing by market id */
  size_t cap, n;
} in_units;

/* The units and, when there are some, the markets and their lots, read in
 * one snapshot. */
int in_units_load(socloss *led, in_units *iu);
void in_units_free(in_units *iu);
static inline int in_units_on(const in_units *iu) { return iu->u.asset[0] != 0; }

/* The lot of a market known to the input, or NULL. */
const ledger_lot *in_lot(const in_units *iu, const char *market);
/* A market the input lists, with its lot (m 0: none). */
int in_listed(in_units *iu, const char *market, const ledger_lot *lot);

/* Text into atoms: an amount of the asset, or a price per unit of the
 * lot's underlying (per lot when the lot is none) into atoms per lot.
 * SOCLOSS_OK, or a code with the reason in why (no file, line or field:
 * the caller names them):
 *   not a decimal number: '1e3'
 *   out of int64 range: '9223372036855' (at most 9223372036854.775807 USD)
 *   '1.2345678' is not a whole number of atoms (USD has 6 decimals); nearest: 1.234567 or 1.234568
 *   '60000.0005' USD per BTC is not a whole number of atoms per lot of 0.001 BTC; nearest: 60000.000 or 60000.001 */
int in_amount(const in_units *iu, const char *s, size_t len, int64_t *out, char *why, size_t whylen);
int in_price(const in_units *iu, const ledger_lot *lot, const char *s, size_t len, int64_t *out, char *why,
             size_t whylen);

/* In the write transaction: the ledger's units are still those the input
 * was read with (another process may have set them in between). */
int in_units_same(store_txn *t, const ledger_units *u);

#endif
