/*
 * format.c — the exported calls that take no handle and touch no ledger:
 * units as text for people (socloss.h, "Units"), over engine/common's
 * exact decimals.  No floating point: every digit shown is the atom's.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "decimal.h"
#include "err.h"
#include "socloss.h"

void socloss_units_init(socloss_units *u) {
  memset(u, 0, sizeof *u);
  u->size = sizeof *u;
}

static int has_units(const socloss_units *u) { return u && u->size >= sizeof *u && u->asset[0]; }

static int has_lot(const socloss_lot *l) { return l && l->size >= sizeof *l && l->units; }

/* number then suffix into buf, or SOCLOSS_EINVAL when it does not fit */
static int put(char *buf, size_t len, int n, const char *num, const char *suffix) {
  if (n < 0 || !buf || (size_t)snprintf(buf, len, "%s%s", num, suffix) >= len)
    return err_fail(SOCLOSS_EINVAL, "format: the text does not fit %zu bytes", len);
  return SOCLOSS_OK;
}

int socloss_format_amount(const socloss_units *u, int64_t atoms, char *buf, size_t len) {
  char num[DEC_OUT_MAX], sym[SOCLOSS_SYMBOL_MAX + 2] = "";
  int n;
  if (!has_units(u)) {
    n = snprintf(num, sizeof num, "%" PRId64, atoms);
  } else {
    n = dec_format(atoms, u->decimals, 1, num, sizeof num);
    snprintf(sym, sizeof sym, " %.*s", SOCLOSS_SYMBOL_MAX, u->asset);
  }
  return put(buf, len, n, num, sym);
}

int socloss_format_price(const socloss_units *u, const socloss_lot *lot, int64_t atoms_per_lot, char *buf,
                         size_t len) {
  char num[DEC_OUT_MAX], sym[2 * SOCLOSS_SYMBOL_MAX + 3] = "";
  int n;
  if (!has_units(u)) {
    n = snprintf(num, sizeof num, "%" PRId64, atoms_per_lot);
  } else if (!has_lot(lot)) {
    n = dec_format(atoms_per_lot, u->decimals, 1, num, sizeof num);
    snprintf(sym, sizeof sym, " %.*s/lot", SOCLOSS_SYMBOL_MAX, u->asset);
  } else {
    /* atoms per lot / (lot units x 10^(decimals - scale)) is the asset per unit */
    n = dec_format_ratio(atoms_per_lot, lot->units, u->decimals - lot->scale, 1, num, sizeof num);
    snprintf(sym, sizeof sym, " %.*s/%.*s", SOCLOSS_SYMBOL_MAX, u->asset, SOCLOSS_SYMBOL_MAX, lot->underlying);
  }
  return put(buf, len, n, num, sym);
}

int socloss_format_size(const socloss_lot *lot, int64_t lots, char *buf, size_t len) {
  char num[DEC_OUT_MAX], sym[SOCLOSS_SYMBOL_MAX + 2] = "";
  int n;
  if (!has_lot(lot)) {
    n = snprintf(num, sizeof num, "%" PRId64, lots);
  } else {
    /* |lots| < 2^63 and units <= 10^18 < 2^60: the product fits 128 bits */
    n = dec_format((__int128)lots * (__int128)lot->units, lot->scale, 1, num, sizeof num);
    snprintf(sym, sizeof sym, " %.*s", SOCLOSS_SYMBOL_MAX, lot->underlying);
  }
  return put(buf, len, n, num, sym);
}
