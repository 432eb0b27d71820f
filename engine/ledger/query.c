/*
 * query.c — read-only views of the ledger, each from one snapshot.
 */
#include <stdlib.h>
#include <string.h>

#include "blocks.h"
#include "ledger.h"
#include "text.h"

static int collect_market(void *ud, const char *id, const store_market *sm) {
  market_list *l = ud;
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 16;
    socloss_market *m = realloc(l->m, cap * sizeof *m);
    if (!m) return SOCLOSS_ENOMEM;
    l->m = m;
    l->cap = cap;
  }
  socloss_market *m = &l->m[l->n++];
  memcpy(m->market, id, strlen(id) + 1);
  m->mark = sm->mark;
  m->open_interest = sm->open_interest;
  return SOCLOSS_OK;
}

int markets_load(store_txn *t, market_list *l) {
  memset(l, 0, sizeof *l);
  int rc = store_each_market(t, collect_market, l);
  if (rc == SOCLOSS_ENOMEM) return err_fail(rc, "out of memory");
  return rc;
}

/* Fills a with the holder's positions (pos has room for every market) and
 * its equity. */
static int holder_view(store_txn *t, const market_list *ml, const char *holder,
                       int64_t balance, socloss_position *pos, socloss_account *a) {
  __int128 equity = balance;
  size_t n = 0;
  for (size_t i = 0; i < ml->n; i++) {
    store_position sp;
    int rc = store_position_get(t, ml->m[i].market, holder, &sp);
    if (rc == SOCLOSS_ENOTFOUND) continue;
    if (rc) return rc;
    socloss_position *p = &pos[n++];
    memcpy(p->market, ml->m[i].market, sizeof p->market);
    p->size = sp.size;
    p->cost = sp.cost;
    /* size x mark fits (bounded by the open interest), and cost has the
     * sign of size, so the difference fits too; checked all the same */
    __int128 upnl = (__int128)sp.size * ml->m[i].mark - sp.cost;
    if (!fits_i64(upnl))
      return err_fail(SOCLOSS_EOVERFLOW, "upnl of '%s' in '%s' overflows int64", holder,
                         ml->m[i].market);
    p->upnl = (int64_t)upnl;
    equity += upnl;
  }
  if (!fits_i64(equity))
    return err_fail(SOCLOSS_EOVERFLOW, "equity of '%s' overflows int64", holder);
  memcpy(a->account, holder, strlen(holder) + 1);
  a->balance = balance;
  a->equity = (int64_t)equity;
  a->npositions = n;
  a->positions = pos;
  return SOCLOSS_OK;
}

int holder_equity(store_txn *t, const market_list *ml, const char *holder, int64_t balance,
                  __int128 *equity) {
  __int128 e = balance;
  for (size_t i = 0; i < ml->n; i++) {
    store_position p;
    int rc = store_position_get(t, ml->m[i].market, holder, &p);
    if (rc == SOCLOSS_ENOTFOUND) continue;
    if (rc) return rc;
    e += (__int128)p.size * ml->m[i].mark - p.cost;
  }
  if (!fits_i64(e)) return err_fail(SOCLOSS_EOVERFLOW, "equity of '%s' overflows int64", holder);
  *equity = e;
  return SOCLOSS_OK;
}

int ledger_equity(store_txn *t, const char *holder, int64_t balance,
                  __int128 *equity) {
  market_list ml;
  int rc = markets_load(t, &ml);
  if (!rc) rc = holder_equity(t, &ml, holder, balance, equity);
  free(ml.m);
  return rc;
}

/* ---- every account at once (crash events) --------------------------------- */

struct scan_fill {
  store_txn *t;
  market_list ml;
  account_scan *s;
};

static int scan_one(void *ud, const char *id, int64_t balance) {
  struct scan_fill *f = ud;
  account_scan *s = f->s;
  size_t len = strlen(id);
  if (s->n == s->cap) {
    size_t cap = s->cap ? 2 * s->cap : 1024;
    /* a million accounts: 4 and 8 MB columns, grown as huge pages */
    uint32_t *off = blocks_grow(s->off, (s->n + 1) * sizeof *off, (cap + 1) * sizeof *off);
    if (off) s->off = off;
    int64_t *e = blocks_grow(s->equity, s->n * sizeof *e, cap * sizeof *e);
    if (e) s->equity = e;
    int64_t *p = blocks_grow(s->profit, s->n * sizeof *p, cap * sizeof *p);
    if (p) s->profit = p;
    if (!off || !e || !p) return err_fail(SOCLOSS_ENOMEM, "out of memory");
    s->cap = cap;
  }
  if (s->ids_len + len > s->ids_cap) {
    size_t cap = 2 * s->ids_cap + len + 1024;
    char *ids = blocks_grow(s->ids, s->ids_len, cap);
    if (!ids) return err_fail(SOCLOSS_ENOMEM, "out of memory");
    s->ids = ids;
    s->ids_cap = cap;
  }
  __int128 e = balance, profit = 0;
  for (size_t i = 0; i < f->ml.n; i++) {
    store_position p;
    int rc = store_position_get(f->t, f->ml.m[i].market, id, &p);
    if (rc == SOCLOSS_ENOTFOUND) continue;
    if (rc) return rc;
    __int128 u = (__int128)p.size * f->ml.m[i].mark - p.cost;
    e += u;
    if (u > 0) profit += u;
  }
  if (!fits_i64(e) || !fits_i64(profit)) return err_fail(SOCLOSS_EOVERFLOW, "equity of '%s' overflows int64", id);
  if (s->n == 0) s->off[0] = 0;
  memcpy(s->ids + s->ids_len, id, len);
  s->ids_len += len;
  s->off[s->n + 1] = (uint32_t)s->ids_len;
  s->equity[s->n] = (int64_t)e;
  s->profit[s->n] = (int64_t)profit;
  s->n++;
  return SOCLOSS_OK;
}

int account_scan_load(store_txn *t, account_scan *s) {
  memset(s, 0, sizeof *s);
  struct scan_fill f = {t, {0}, s};
  int rc = markets_load(t, &f.ml);
  if (!rc) rc = store_each_account(t, scan_one, &f);
  free(f.ml.m);
  return rc;
}

void account_scan_free(account_scan *s) {
  free(s->ids);
  free(s->off);
  free(s->equity);
  free(s->profit);
  memset(s, 0, sizeof *s);
}

static int cmp_at(const account_scan *s, size_t i, const char *id, size_t len) {
  return bytes_order(s->ids + s->off[i], s->off[i + 1] - s->off[i], id, len);
}

static long search(const account_scan *s, const char *id, size_t len, size_t lo, size_t hi, size_t *hint) {
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = cmp_at(s, mid, id, len);
    if (!c) {
      if (hint) *hint = mid;
      return (long)mid;
    }
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return -1;
}

long account_scan_find(const account_scan *s, const char *id, size_t len) {
  return search(s, id, len, 0, s->n, NULL);
}

int account_scan_same(const account_scan *a, const account_scan *b) {
  if (a->n != b->n || a->ids_len != b->ids_len) return 0;
  return !a->n || (!memcmp(a->ids, b->ids, a->ids_len) && !memcmp(a->off, b->off, (a->n + 1) * sizeof *a->off));
}

long account_scan_find_from(const account_scan *s, const char *id, size_t len, size_t *hint) {
  size_t lo = 0, hi = s->n, at = *hint;
  if (at < s->n) {
    int c = cmp_at(s, at, id, len);
    if (!c) return (long)at;
    if (c > 0) {
      hi = at;
    } else {
      /* gallop forward: 1, 2, 4, ... past the last one found */
      lo = at + 1;
      for (size_t step = 1; lo + step - 1 < hi; step *= 2) {
        size_t probe = lo + step - 1;
        int d = cmp_at(s, probe, id, len);
        if (!d) return (long)(*hint = probe);
        if (d > 0) {
          hi = probe;
          break;
        }
        lo = probe + 1;
      }
    }
  }
  return search(s, id, len, lo, hi, hint);
}

int callback_stopped(void) {
  return err_fail(SOCLOSS_ESTOP, "stopped by the callback");
}

/* ---- totals ------------------------------------------------------------- */

static int read_totals(store_txn *t, void *ud) {
  socloss_totals *out = ud;
  store_totals st;
  int rc = store_totals_get(t, &st);
  if (rc) return rc;
  out->fund_cash = st.fund_cash;
  out->bad_debt = st.bad_debt;
  out->net_flows = st.net_flows;
  out->journal_seq = store_journal_last(t);
  return store_counts(t, &out->markets, &out->accounts, &out->positions);
}

int totals_get_run(socloss *led, socloss_totals *out) {
  int rc = SOCLOSS_OK;
  memset(out, 0, sizeof *out);
  return rc ? rc : store_read(led->st, read_totals, out);
}

/* ---- markets ------------------------------------------------------------ */

struct market_walk {
  socloss *led;
  socloss_market_cb cb;
  void *ud;
};

static int each_market(void *ud, const char *id, const store_market *sm) {
  struct market_walk *w = ud;
  socloss_market m;
  memcpy(m.market, id, strlen(id) + 1);
  m.mark = sm->mark;
  m.open_interest = sm->open_interest;
  return w->cb(w->ud, &m) ? callback_stopped() : SOCLOSS_OK;
}

static int read_markets(store_txn *t, void *ud) { return store_each_market(t, each_market, ud); }

int markets_run(socloss *led, socloss_market_cb cb, void *ud) {
  int rc = SOCLOSS_OK;
  struct market_walk w = {led, cb, ud};
  return rc ? rc : store_read(led->st, read_markets, &w);
}

/* ---- accounts ----------------------------------------------------------- */

struct account_walk {
  socloss *led;
  store_txn *t;
  const char *only;   /* one id, or NULL for all */
  socloss_account_cb cb;
  void *ud;
  market_list ml;
  socloss_position *pos;
};

static int each_account(void *ud, const char *id, int64_t balance) {
  struct account_walk *w = ud;
  socloss_account a;
  int rc = holder_view(w->t, &w->ml, id, balance, w->pos, &a);
  if (rc) return rc;
  return w->cb(w->ud, &a) ? callback_stopped() : SOCLOSS_OK;
}

static int read_accounts(store_txn *t, void *ud) {
  struct account_walk *w = ud;
  w->t = t;
  int rc = markets_load(t, &w->ml);
  if (rc) return rc;
  w->pos = malloc((w->ml.n ? w->ml.n : 1) * sizeof *w->pos);
  if (!w->pos) rc = err_fail(SOCLOSS_ENOMEM, "out of memory");
  else if (!w->only) rc = store_each_account(t, each_account, w);
  else if (!*w->only) {
    store_totals tot;
    rc = store_totals_get(t, &tot);
    if (!rc) rc = each_account(w, "", tot.fund_cash);
  } else {
    int64_t balance;
    rc = store_account_get(t, w->only, &balance);
    if (rc == SOCLOSS_ENOTFOUND) rc = err_fail(rc, "account: unknown account '%s'", w->only);
    if (!rc) rc = each_account(w, w->only, balance);
  }
  free(w->pos);
  free(w->ml.m);
  return rc;
}

int accounts_run(socloss *led, socloss_account_cb cb, void *ud) {
  int rc = SOCLOSS_OK;
  struct account_walk w = {.led = led, .cb = cb, .ud = ud};
  return rc ? rc : store_read(led->st, read_accounts, &w);
}

int account_get_run(socloss *led, const char *id, socloss_account_cb cb, void *ud) {
  int rc = SOCLOSS_OK;
  char q[TEXT_QUOTED(80)];
  if (!rc && (!id || (*id && !id_valid(id))))
    rc = err_fail(SOCLOSS_EINVAL, "account: '%s' is not a valid id", id ? text_quote(q, id, strlen(id), 80) : "(null)");
  struct account_walk w = {.led = led, .only = id, .cb = cb, .ud = ud};
  return rc ? rc : store_read(led->st, read_accounts, &w);
}
