/*
 * units_in.c — input in a ledger's units (units_in.h).
 *
 * Money rule: a decimal is taken exactly or not at all.  An amount is
 * text x 10^decimals atoms; a price per unit of the underlying is text x
 * lot x 10^decimals atoms per lot.  One that is not a whole number of atoms
 * is refused with the whole numbers either side of it, written back in the
 * units it was given in, so that the sender can choose; none is rounded
 * for them.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decimal.h"
#include "text.h"
#include "units_in.h"

struct in_market {
  char id[CODEC_ID_MAX + 1];  /* "" : a free slot */
  ledger_lot lot;
};

static uint64_t hash_id(const char *s) {
  uint64_t h = 1469598103934665603u;  /* FNV-1a */
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211u;
  return h;
}

static in_market *slot(const in_units *iu, const char *id) {
  size_t i = (size_t)hash_id(id) & (iu->cap - 1);
  while (iu->tab[i].id[0] && strcmp(iu->tab[i].id, id)) i = (i + 1) & (iu->cap - 1);
  return &iu->tab[i];
}

static int grow(in_units *iu) {
  size_t cap = iu->cap ? iu->cap * 2 : 64;
  in_market *old = iu->tab;
  size_t ocap = iu->cap;
  if (!(iu->tab = calloc(cap, sizeof *iu->tab))) {
    iu->tab = old;
    return err_fail(SOCLOSS_ENOMEM, "out of memory");
  }
  iu->cap = cap;
  for (size_t i = 0; i < ocap; i++)
    if (old[i].id[0]) *slot(iu, old[i].id) = old[i];
  free(old);
  return SOCLOSS_OK;
}

int in_listed(in_units *iu, const char *market, const ledger_lot *lot) {
  if (2 * (iu->n + 1) > iu->cap && grow(iu)) return SOCLOSS_ENOMEM;
  in_market *m = slot(iu, market);
  if (!m->id[0]) {
    iu->n++;
    snprintf(m->id, sizeof m->id, "%s", market);
  }
  m->lot = *lot;
  return SOCLOSS_OK;
}

const ledger_lot *in_lot(const in_units *iu, const char *market) {
  if (!iu->cap) return NULL;
  const in_market *m = slot(iu, market);
  return m->id[0] ? &m->lot : NULL;
}

void in_units_free(in_units *iu) {
  free(iu->tab);
  memset(iu, 0, sizeof *iu);
}

/* ---- the snapshot reading begins with ---------------------------------------- */

struct load {
  in_units *iu;
  store_txn *t;
  int rc;
};

static int known_market(void *ud, const char *id, const store_market *m) {
  struct load *l = ud;
  ledger_lot lot;
  (void)m;
  if ((l->rc = lot_read(l->t, id, &lot)) || (l->rc = in_listed(l->iu, id, &lot))) return l->rc;
  return 0;
}

static int load_units(store_txn *t, void *ud) {
  struct load *l = ud;
  l->t = t;
  l->rc = SOCLOSS_OK;
  in_units_free(l->iu);
  int rc = units_read(t, &l->iu->u);
  /* the markets matter only to prices in units */
  if (!rc && in_units_on(l->iu)) rc = store_each_market(t, known_market, l);
  return l->rc ? l->rc : rc;
}

int in_units_load(socloss *led, in_units *iu) {
  struct load l = {iu, NULL, SOCLOSS_OK};
  memset(iu, 0, sizeof *iu);
  return store_read(led->st, load_units, &l);
}

static const char *units_name(const ledger_units *u, char *out, size_t cap) {
  if (!u->asset[0]) snprintf(out, cap, "none");
  else snprintf(out, cap, "%s with %d decimals", u->asset, u->decimals);
  return out;
}

int in_units_same(store_txn *t, const ledger_units *u) {
  ledger_units now;
  char a[64], b[64];
  int rc = units_read(t, &now);
  if (rc || (!strcmp(now.asset, u->asset) && now.decimals == u->decimals)) return rc;
  return err_fail(SOCLOSS_EINVAL,
                  "units: the ledger's units changed while the input was read (now %s, read with %s); nothing "
                  "written",
                  units_name(&now, a, sizeof a), units_name(u, b, sizeof b));
}

/* ---- text into atoms ---------------------------------------------------------- */

/* A price per unit reads text x m x 10^(decimals - scale) atoms per lot; with
 * no lot, a price per lot, text x 10^decimals. */
static void scale_of(const in_units *iu, const ledger_lot *lot, uint64_t *mul, int *shift) {
  *mul = lot && lot->m ? lot->m : 1;
  *shift = iu->u.decimals - (lot && lot->m ? lot->scale : 0);
}

static int read_value(const in_units *iu, const ledger_lot *lot, int price, const char *s, size_t len, int64_t *out,
                      char *why, size_t whylen) {
  uint64_t mul;
  int shift;
  int64_t near[2];
  scale_of(iu, lot, &mul, &shift);
  int rc = dec_scale(s, len, mul, shift, out, near);
  if (rc == DEC_OK) return SOCLOSS_OK;
  char q[TEXT_QUOTED(80)], unit[3 * UNITS_SYMBOL_MAX + 16], a[DEC_OUT_MAX], b[DEC_OUT_MAX], lt[64];
  text_quote(q, s, len, 80);
  /* what the text was counted in: "USD", "USD per BTC", "USD per lot" */
  if (!price) snprintf(unit, sizeof unit, "%s", iu->u.asset);
  else snprintf(unit, sizeof unit, "%s per %s", iu->u.asset, lot && lot->m ? lot->underlying : "lot");
  /* values written back as they are read: no separators, every decimal */
  if (rc == DEC_SYNTAX || rc == DEC_LONG) {
    snprintf(why, whylen, "not a decimal number: '%s'%s", q, rc == DEC_LONG ? " (more than 128 characters)" : "");
    return SOCLOSS_EPARSE;
  }
  int neg = len > 0 && s[0] == '-';
  if (rc == DEC_RANGE) {
    dec_format_ratio(neg ? INT64_MIN : INT64_MAX, mul, shift, 0, a, sizeof a);
    snprintf(why, whylen, "out of int64 range: '%s' (at %s %s %s)", q, neg ? "least" : "most", a, unit);
    return SOCLOSS_EOVERFLOW;
  }
  dec_format_ratio(near[0], mul, shift, 0, a, sizeof a);
  dec_format_ratio(near[1], mul, shift, 0, b, sizeof b);
  if (price && lot && lot->m) {
    lot_text(lot, lt, sizeof lt);
    snprintf(why, whylen, "'%s' %s is not a whole number of atoms per lot of %s; nearest: %s or %s", q, unit, lt, a,
             b);
  } else {
    snprintf(why, whylen, "'%s'%s%s is not a whole number of atoms (%s has %d decimals); nearest: %s or %s", q,
             price ? " " : "", price ? unit : "", iu->u.asset, iu->u.decimals, a, b);
  }
  return SOCLOSS_EINVAL;
}

int in_amount(const in_units *iu, const char *s, size_t len, int64_t *out, char *why, size_t whylen) {
  return read_value(iu, NULL, 0, s, len, out, why, whylen);
}

int in_price(const in_units *iu, const ledger_lot *lot, const char *s, size_t len, int64_t *out, char *why,
             size_t whylen) {
  return read_value(iu, lot, 1, s, len, out, why, whylen);
}
