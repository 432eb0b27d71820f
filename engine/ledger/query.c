/*
 * query.c — read-only views of the ledger, each from one snapshot.
 */
#include <stdlib.h>
#include <string.h>

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
