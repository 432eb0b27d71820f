/*
 * units.c — what a ledger's integers are: the settlement asset's symbol and
 * decimals, and each market's lot (ledger.h), written and told; reading
 * and checking them is units_setting.c's.
 *
 * Settings:  "units"       u8 1 | str asset | u8 decimals
 *            "lot/MARKET"  u8 1 | i64 m | u8 scale | str underlying
 * each journaled when written ("units" and "lot" records, which change no
 * state).  The units may change only while no record has written an
 * amount: every atom already in the ledger was counted in the units in
 * force, so changing them later would change what every balance means.  A
 * market's lot is written with its listing and fixed likewise, for its
 * sizes and prices.
 */
#include <stdio.h>
#include <string.h>

#include "decimal.h"
#include "ledger.h"
#include "text.h"

int lot_settle(applier *a, const char *market, const ledger_lot *l, int existed) {
  ledger_lot now;
  int rc = lot_read(a->t, market, &now);
  if (rc) return rc;
  if (existed || now.m) {
    if (lot_same(&now, l)) return SOCLOSS_OK;
    char had[64], want[64];
    lot_text(&now, had, sizeof had);
    lot_text(l, want, sizeof want);
    /* also what a listing meets when another process listed the market
     * between this input's parse and its write */
    return err_fail(SOCLOSS_EINVAL, "lot: market '%s' has lot %s, not %s; a market's lot is fixed when it is listed",
                    market, had, want);
  }
  if (!l->m) return SOCLOSS_OK;  /* no lot: nothing to keep */
  char key[LOT_KEY_MAX];
  codec_buf set = {0}, rec = {0};
  uint64_t seq;
  lot_key(key, market);
  codec_buf_u8(&set, 1);
  codec_buf_i64(&set, (int64_t)l->m);
  codec_buf_u8(&set, (unsigned)l->scale);
  codec_buf_str(&set, l->underlying);
  rc = set.oom ? err_fail(SOCLOSS_ENOMEM, "out of memory") : store_setting_put(a->t, key, set.p, set.len);
  if (!rc && a->journal) {
    record_lot_encode(&rec, market, l->m, l->scale, l->underlying);
    rc = applier_record(a, &rec, &seq);
  }
  codec_buf_free(&set);
  codec_buf_free(&rec);
  return rc;
}

/* ---- the public calls ------------------------------------------------------ */

static void units_out(const ledger_units *u, socloss_units *out) {
  snprintf(out->asset, sizeof out->asset, "%s", u->asset);
  out->decimals = u->decimals;
}

static int get_units(store_txn *t, void *ud) {
  ledger_units u;
  int rc = units_read(t, &u);
  if (!rc) units_out(&u, ud);
  return rc;
}

int units_get_run(socloss *led, socloss_units *out) {
  if (!out || out->size < sizeof *out) return err_fail(SOCLOSS_EINVAL, "units: size is not set (socloss_units_init)");
  return store_read(led->st, get_units, out);
}

/* The first journal record that changed state, for the refusal; the walk
 * stops with FOUND, which no socloss code is. */
#define FOUND (-1)

struct first_state {
  uint64_t seq;
  int type;
};

static int find_state(void *ud, uint64_t seq, const void *rec, size_t len) {
  struct first_state *f = ud;
  int type = record_type(rec, len);
  if (record_is_aux(type)) return 0;
  f->seq = seq;
  f->type = type;
  return FOUND;  /* stop */
}

/* "USD with 6 decimals", or "none" */
static const char *units_name(const ledger_units *u) {
  static _Thread_local char out[UNITS_SYMBOL_MAX + 32];
  if (!u->asset[0]) return "none: plain atoms";
  snprintf(out, sizeof out, "%s with %d decimals", u->asset, u->decimals);
  return out;
}

struct units_put {
  socloss *led;
  ledger_units u;
  int only_if_empty;  /* socloss_open's units: a ledger with records must have them already */
};

static int put_units(store_txn *t, void *ud) {
  struct units_put *w = ud;
  ledger_units now;
  int rc = units_read(t, &now);
  if (rc) return rc;
  if (!strcmp(now.asset, w->u.asset) && now.decimals == w->u.decimals) return SOCLOSS_OK;  /* nothing to write */
  uint64_t last = store_journal_last(t);
  if (w->only_if_empty && last)
    return err_fail(SOCLOSS_EINVAL, "units: the ledger's units are %s, not %s with %d decimals", units_name(&now),
                    w->u.asset, w->u.decimals);
  struct first_state f = {0, -1};
  rc = store_each_record(t, 1, find_state, &f);
  if (rc && rc != FOUND) return rc;
  if (f.seq) {
    const char *kind = record_kind_name(f.type);
    return err_fail(SOCLOSS_EINVAL,
                    "units: the ledger holds amounts since journal record %llu (%s), counted in its units (%s): "
                    "they cannot change now",
                    (unsigned long long)f.seq, kind ? kind : "?", units_name(&now));
  }
  codec_buf set = {0}, rec = {0};
  applier a;
  uint64_t seq;
  rc = applier_start(&a, w->led, t, 1);
  codec_buf_u8(&set, 1);
  codec_buf_str(&set, w->u.asset);
  codec_buf_u8(&set, (unsigned)w->u.decimals);
  record_units_encode(&rec, w->u.asset, w->u.decimals);
  if (!rc) rc = set.oom ? err_fail(SOCLOSS_ENOMEM, "out of memory") : store_setting_put(t, "units", set.p, set.len);
  if (!rc) rc = applier_record(&a, &rec, &seq);
  codec_buf_free(&set);
  codec_buf_free(&rec);
  applier_end(&a);
  return rc;
}

int units_check(const socloss_units *in, ledger_units *out) {
  if (!in || in->size < sizeof *in) return err_fail(SOCLOSS_EINVAL, "units: size is not set (socloss_units_init)");
  char q[TEXT_QUOTED(40)];
  size_t n = strnlen(in->asset, sizeof in->asset);
  if (n == sizeof in->asset || !units_symbol_valid(in->asset))
    return err_fail(SOCLOSS_EINVAL, "asset: '%s' is not a symbol (1-16 of A-Z a-z 0-9 . _ -)",
                    text_quote(q, in->asset, n, 40));
  if (in->decimals < 0 || in->decimals > DEC_SCALE_MAX)
    return err_fail(SOCLOSS_EINVAL, "decimals: %d is not between 0 and 18", in->decimals);
  memcpy(out->asset, in->asset, n + 1);
  out->decimals = in->decimals;
  return SOCLOSS_OK;
}

int units_set_run(socloss *led, const socloss_units *in) {
  struct units_put w = {led, {"", 0}, 0};
  int rc = units_check(in, &w.u);
  return rc ? rc : store_write(led->st, put_units, &w);
}

int units_require_run(socloss *led, const socloss_units *in) {
  struct units_put w = {led, {"", 0}, 1};
  socloss_units now = {.size = sizeof now};
  int rc = units_check(in, &w.u);
  if (!rc) rc = units_get_run(led, &now);
  if (rc || (!strcmp(now.asset, w.u.asset) && now.decimals == w.u.decimals)) return rc;
  return store_write(led->st, put_units, &w);  /* a new ledger takes them */
}

static void lot_out(const char *market, const ledger_lot *l, socloss_lot *out) {
  snprintf(out->market, sizeof out->market, "%s", market);
  out->units = l->m;
  out->scale = l->scale;
  snprintf(out->underlying, sizeof out->underlying, "%s", l->underlying);
}

struct lot_walk {
  socloss_lot_cb cb;
  void *ud;
  int rc;
};

static int each_lot(void *ud, const char *key, size_t klen, const void *p, size_t len) {
  struct lot_walk *w = ud;
  char market[CODEC_ID_MAX + 1];
  ledger_lot l;
  if (klen <= 4 || klen - 4 > CODEC_ID_MAX) return w->rc = err_fail(SOCLOSS_ESTORE, "corrupt lot setting");
  memcpy(market, key + 4, klen - 4);
  market[klen - 4] = 0;
  if ((w->rc = lot_decode(p, len, &l))) return w->rc;
  socloss_lot out = {.size = sizeof out};
  lot_out(market, &l, &out);
  if (w->cb(w->ud, &out)) return w->rc = callback_stopped();
  return 0;
}

static int walk_lots(store_txn *t, void *ud) {
  struct lot_walk *w = ud;
  int rc = store_each_setting(t, "lot/", each_lot, w);
  return w->rc ? w->rc : rc;
}

int lots_run(socloss *led, socloss_lot_cb cb, void *ud) {
  if (!cb) return err_fail(SOCLOSS_EINVAL, "lots: no callback");
  struct lot_walk w = {cb, ud, SOCLOSS_OK};
  return store_read(led->st, walk_lots, &w);
}

struct lot_one {
  const char *market;
  socloss_lot *out;
};

static int get_lot(store_txn *t, void *ud) {
  struct lot_one *o = ud;
  store_market m;
  ledger_lot l;
  int rc = store_market_get(t, o->market, &m);
  if (rc == SOCLOSS_ENOTFOUND) {
    char q[TEXT_QUOTED(80)];
    return err_fail(rc, "market: unknown market '%s'", text_quote(q, o->market, strlen(o->market), 80));
  }
  if (!rc) rc = lot_read(t, o->market, &l);
  if (!rc) lot_out(o->market, &l, o->out);
  return rc;
}

int lot_get_run(socloss *led, const char *market, socloss_lot *out) {
  if (!out || out->size < sizeof *out) return err_fail(SOCLOSS_EINVAL, "lot: size is not set (sizeof (socloss_lot))");
  if (!market || !id_valid(market)) return err_fail(SOCLOSS_EINVAL, "market: not a valid id");
  struct lot_one o = {market, out};
  return store_read(led->st, get_lot, &o);
}
