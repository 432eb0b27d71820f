/*
 * apply.c — the ledger operations: each event validated, applied and
 * journaled inside the caller's write transaction.
 *
 * Positions use average cost.  A fill that reduces a position of size s and
 * cost c by q lots removes trunc(c * q / s) of the cost (rounded toward
 * zero: the dust stays in the remaining position's cost and leaves with
 * its last lot) and realizes price * q minus that into the balance.  A fill
 * that crosses zero closes the whole position, then opens the rest at the
 * fill price.  Every product and sum is taken in 128 bits and refused when
 * the result does not fit int64.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger.h"
#include "text.h"

static int check_id(const char *field, const char *id) {
  if (id && id_valid(id)) return SOCLOSS_OK;
  if (!id) return err_fail(SOCLOSS_EINVAL, "%s: missing", field);
  char q[TEXT_QUOTED(80)];
  return err_fail(SOCLOSS_EINVAL, "%s: '%s' is not a valid id (1-64 printable ASCII characters, no spaces)", field,
                  text_quote(q, id, strlen(id), 80));
}

static int positive(const char *field, int64_t v) {
  if (v > 0) return SOCLOSS_OK;
  return err_fail(SOCLOSS_EINVAL, "%s: must be positive (got %lld)", field, (long long)v);
}

static int get_market(applier *a, const char *id, store_market *m) {
  int rc = store_market_get(a->t, id, m);
  if (rc == SOCLOSS_ENOTFOUND)
    return err_fail(rc, "market: unknown market '%s'", id);
  return rc;
}

static int get_account(applier *a, const char *field, const char *id, int64_t *balance) {
  int rc = store_account_get(a->t, id, balance);
  if (rc == SOCLOSS_ENOTFOUND)
    return err_fail(rc, "%s: unknown account '%s'", field, id);
  return rc;
}

/* The net flows move by delta.  The moves are summed in 128 bits and the
 * total checked once, by applier_finish: rows that make a total that fits
 * are accepted in any order, though a running int64 sum of them could pass
 * its range on the way (an import's rows are in no meaningful order). */
static void add_flows(applier *a, const char *field, __int128 delta) {
  a->flows += delta;
  a->flows_field = field;
  a->flows_moved = 1;
}

static int set_balance(applier *a, const char *field, const char *id, __int128 balance) {
  if (!fits_i64(balance))
    return err_fail(SOCLOSS_EOVERFLOW, "%s: the balance of account '%s' would overflow int64",
                       field, id);
  return store_account_put(a->t, id, (int64_t)balance);
}

/* Every holder's equity must stay within int64, so that every query can
 * report it: checked for the holders an operation touches. */
static int equity_fits(applier *a, const char *field, const char *id) {
  int64_t balance;
  __int128 equity;
  if (!*id) return SOCLOSS_OK;  /* the fund: its cash and positions are checked by their own sums */
  int rc = store_account_get(a->t, id, &balance);
  if (!rc) rc = applier_equity(a, id, balance, &equity);
  return rc == SOCLOSS_EOVERFLOW ? equity_refused(field, id) : rc;
}

struct mark_scan {
  applier *a;
  int rc;
};

static int check_holder(void *ud, const char *market, const char *holder, const store_position *p) {
  struct mark_scan *m = ud;
  (void)market;
  (void)p;
  return m->rc = equity_fits(m->a, "mark", holder);
}

/* ---- market ------------------------------------------------------------- */

static int op_market(applier *a, const socloss_event *e) {
  int rc = check_id("market", e->market);
  if (!rc) rc = positive("mark", e->mark);
  if (rc) return rc;
  store_market m = {e->mark, 0};
  rc = store_market_get(a->t, e->market, &m);
  if (rc == SOCLOSS_OK && e->type == EV_LISTING)
    return err_fail(SOCLOSS_EEXIST, "market: market '%s' already exists", e->market);
  if (rc && rc != SOCLOSS_ENOTFOUND) return rc;
  m.mark = e->mark;
  /* every holder's |size| is at most the open interest, so this bounds
   * every size x mark in the market */
  if (!fits_i64((__int128)m.mark * m.open_interest))
    return err_fail(SOCLOSS_EOVERFLOW,
                       "mark: %lld x open interest %lld of market '%s' overflows int64",
                       (long long)m.mark, (long long)m.open_interest, e->market);
  if ((rc = store_market_put(a->t, e->market, &m))) return rc;
  a->ml_loaded = 0;  /* a new market or a new mark */
  if (m.open_interest == 0) return SOCLOSS_OK;
  /* the new mark moves every holder's equity: none may leave int64 */
  struct mark_scan ms = {a, SOCLOSS_OK};
  rc = store_each_position(a->t, e->market, check_holder, &ms);
  return rc ? rc : ms.rc;
}

/* ---- deposit, withdraw, fund, opening balance --------------------------- */

static int op_deposit(applier *a, const socloss_event *e) {
  int64_t balance = 0;
  int rc = check_id("account", e->account);
  if (!rc) rc = positive("amount", e->amount);
  if (rc) return rc;
  rc = store_account_get(a->t, e->account, &balance);
  if (rc && rc != SOCLOSS_ENOTFOUND) return rc;
  add_flows(a, "amount", e->amount);
  if ((rc = set_balance(a, "amount", e->account, (__int128)balance + e->amount))) return rc;
  return equity_fits(a, "amount", e->account);
}

static int op_withdraw(applier *a, const socloss_event *e) {
  int64_t balance;
  __int128 equity;
  int rc = check_id("account", e->account);
  if (!rc) rc = positive("amount", e->amount);
  if (!rc) rc = get_account(a, "account", e->account, &balance);
  if (!rc) rc = applier_equity(a, e->account, balance, &equity);
  if (rc) return rc;
  char x[UNITS_MONEY_TEXT], y[UNITS_MONEY_TEXT];
  if (e->amount > equity)
    return err_fail(SOCLOSS_EFUNDS, "amount: withdrawal of %s exceeds the equity %s of account '%s'",
                    units_money_text(a->t, e->amount, x), units_money_text(a->t, equity, y), e->account);
  add_flows(a, "amount", -(__int128)e->amount);
  return set_balance(a, "amount", e->account, (__int128)balance - e->amount);
}

static int op_fund(applier *a, const socloss_event *e) {
  if (e->amount == 0) return err_fail(SOCLOSS_EINVAL, "amount: must not be zero");
  __int128 cash = (__int128)a->tot.fund_cash + e->amount;
  char x[UNITS_MONEY_TEXT], y[UNITS_MONEY_TEXT];
  if (cash < 0)
    return err_fail(SOCLOSS_EFUNDS, "amount: fund withdrawal of %s exceeds the fund cash %s",
                    units_money_text(a->t, -(__int128)e->amount, x), units_money_text(a->t, a->tot.fund_cash, y));
  if (!fits_i64(cash))
    return err_fail(SOCLOSS_EOVERFLOW, "amount: the fund cash would overflow int64");
  add_flows(a, "amount", e->amount);
  a->tot.fund_cash = (int64_t)cash;
  return SOCLOSS_OK;
}

static int op_account(applier *a, const socloss_event *e) {
  int rc = check_id("account", e->account);
  if (rc) return rc;
  rc = store_account_add(a->t, e->account, e->amount);
  if (rc == SOCLOSS_EEXIST)
    return err_fail(SOCLOSS_EEXIST, "account: account '%s' already exists", e->account);
  if (!rc) add_flows(a, "balance", e->amount);
  return rc;
}

/* ---- positions ---------------------------------------------------------- */

static int64_t longs(int64_t size) { return size > 0 ? size : 0; }

/* Fills q lots (signed: + buys, - sells) at price into pos; *realized gets
 * what the fill realizes into the balance.  Returns -1 on int64 overflow. */
static int fill(store_position *pos, int64_t q, int64_t price, __int128 *realized) {
  __int128 size = pos->size, cost = pos->cost, qp = (__int128)q * price;
  *realized = 0;
  if (size == 0 || (size > 0) == (q > 0)) {
    size += q;
    cost += qp;
  } else if ((q < 0 ? -(__int128)q : q) <= (size < 0 ? -size : size)) {
    __int128 part = cost * (q < 0 ? -(__int128)q : q), lots = size < 0 ? -size : size;
    /* truncated in 64 bits when both fit, as in 128 (a 128-bit division is
     * a library call, and a deleverage step makes two a close) */
    __int128 removed = fits_i64(part) && fits_i64(lots) ? (__int128)((int64_t)part / (int64_t)lots) : part / lots;
    *realized = -qp - removed;
    size += q;
    cost -= removed;
  } else {
    *realized = size * price - cost;  /* close all at price... */
    size += q;
    cost = size * price;              /* ...and open the rest there */
  }
  if (!fits_i64(size) || !fits_i64(cost)) return -1;
  pos->size = (int64_t)size;
  pos->cost = (int64_t)cost;
  return 0;
}

int ledger_market(applier *a, const char *id, store_market *m) { return get_market(a, id, m); }

int ledger_balance(applier *a, const char *field, const char *id, int64_t *balance) {
  if (!*id) {  /* the fund ("") holds positions like an account; its balance is its cash */
    *balance = a->tot.fund_cash;
    return SOCLOSS_OK;
  }
  return get_account(a, field, id, balance);
}

/* A new balance of a side must fit int64: an account's, or the fund's cash. */
static int balance_fits(const char *field, const trade_side *s, __int128 balance) {
  if (fits_i64(balance)) return SOCLOSS_OK;
  if (s->len)
    return err_fail(SOCLOSS_EOVERFLOW, "%s: the balance of account '%.*s' would overflow int64", field, (int)s->len,
                    s->id);
  return err_fail(SOCLOSS_EOVERFLOW, "%s: the fund cash would overflow int64", field);
}

int trade_size_fits(int64_t size, int64_t price) {
  if (fits_i64((__int128)size * price)) return SOCLOSS_OK;
  return err_fail(SOCLOSS_EOVERFLOW, "size: %lld x price %lld overflows int64", (long long)size, (long long)price);
}

int trade_settle(const char *market, store_market *m, trade_side *buyer, trade_side *seller, int64_t size,
                 int64_t price) {
  store_position bp = buyer->pos, sp = seller->pos;
  __int128 br, sr;
  if (fill(&bp, size, price, &br) || fill(&sp, -size, price, &sr))
    return err_fail(SOCLOSS_EOVERFLOW, "size: the resulting position overflows int64");
  __int128 oi = (__int128)m->open_interest + longs(bp.size) - longs(buyer->pos.size) + longs(sp.size) -
                longs(seller->pos.size);
  if (!fits_i64(oi * m->mark))
    return err_fail(SOCLOSS_EOVERFLOW,
                       "size: open interest %lld x mark %lld of market '%s' would overflow int64",
                       (long long)(fits_i64(oi) ? (int64_t)oi : INT64_MAX), (long long)m->mark, market);
  __int128 bb = (__int128)buyer->balance + br, sb = (__int128)seller->balance + sr;
  int rc = balance_fits("buyer", buyer, bb);
  if (!rc) rc = balance_fits("seller", seller, sb);
  if (rc) return rc;
  m->open_interest = (int64_t)oi;
  buyer->balance = (int64_t)bb;
  seller->balance = (int64_t)sb;
  buyer->pos = bp;
  seller->pos = sp;
  return SOCLOSS_OK;
}

int equity_refused(const char *field, const char *id) {
  return err_fail(SOCLOSS_EOVERFLOW, "%s: the equity of '%s' would overflow int64", field, id);
}

static int set_side_balance(applier *a, const trade_side *s) {
  if (s->len) return store_account_put(a->t, s->id, s->balance);
  a->tot.fund_cash = s->balance;
  return SOCLOSS_OK;
}

/* Reads both sides, settles the trade (trade_settle: every check, in the
 * order of the reads), writes both sides and the market, then checks that
 * both equities still fit.  A refusal anywhere leaves writes that the
 * caller's transaction throws away with it. */
int ledger_trade(applier *a, const char *market, const char *buyer, const char *seller, int64_t size,
                 int64_t price) {
  store_market m;
  trade_side b = {buyer, strlen(buyer), 0, {0, 0}}, s = {seller, strlen(seller), 0, {0, 0}};
  int rc = get_market(a, market, &m);
  if (!rc) rc = ledger_balance(a, "buyer", buyer, &b.balance);
  if (!rc) rc = ledger_balance(a, "seller", seller, &s.balance);
  if (!rc) rc = trade_size_fits(size, price);
  if (rc) return rc;
  if ((rc = store_position_get(a->t, market, buyer, &b.pos)) && rc != SOCLOSS_ENOTFOUND) return rc;
  if ((rc = store_position_get(a->t, market, seller, &s.pos)) && rc != SOCLOSS_ENOTFOUND) return rc;
  if ((rc = trade_settle(market, &m, &b, &s, size, price))) return rc;
  if ((rc = set_side_balance(a, &b))) return rc;
  if ((rc = set_side_balance(a, &s))) return rc;
  if ((rc = store_position_put(a->t, market, buyer, &b.pos))) return rc;
  if ((rc = store_position_put(a->t, market, seller, &s.pos))) return rc;
  if ((rc = store_market_put(a->t, market, &m))) return rc;
  if ((rc = equity_fits(a, "buyer", buyer))) return rc;
  return equity_fits(a, "seller", seller);
}

static int op_trade(applier *a, const socloss_event *e) {
  int rc = check_id("market", e->market);
  if (!rc) rc = check_id("buyer", e->buyer);
  if (!rc) rc = check_id("seller", e->seller);
  if (!rc) rc = positive("size", e->size);
  if (!rc) rc = positive("price", e->price);
  if (!rc && strcmp(e->buyer, e->seller) == 0)
    rc = err_fail(SOCLOSS_EINVAL, "seller: buyer and seller are the same account '%s'",
                     e->buyer);
  return rc ? rc : ledger_trade(a, e->market, e->buyer, e->seller, e->size, e->price);
}

/* An imported position: no counterparty, so the import as a whole must net
 * every market to zero (checked by the importer). */
/* The market of an imported position, from the applier's few pending
 * markets (read from the store the first time). */
static int position_market(applier *a, const char *id, store_market **out) {
  for (size_t i = 0; i < a->npm; i++)
    if (!strcmp(a->pm[i].id, id)) return *out = &a->pm[i].m, SOCLOSS_OK;
  int rc = a->npm == sizeof a->pm / sizeof a->pm[0] ? applier_flush(a) : SOCLOSS_OK;
  if (!rc) rc = get_market(a, id, &a->pm[a->npm].m);
  if (rc) return rc;
  snprintf(a->pm[a->npm].id, sizeof a->pm[0].id, "%s", id);
  *out = &a->pm[a->npm++].m;
  return SOCLOSS_OK;
}

static int position_exists(const socloss_event *e) {
  return err_fail(SOCLOSS_EEXIST, "market: account '%s' already holds a position in '%s'", e->account, e->market);
}

static int op_position(applier *a, const socloss_event *e) {
  store_market *m;
  int64_t balance;
  store_position pos;
  int rc = check_id("account", e->account);
  if (!rc) rc = check_id("market", e->market);
  if (!rc && e->size == 0) rc = err_fail(SOCLOSS_EINVAL, "size: must not be zero");
  if (!rc) rc = positive("entry_price", e->price);
  /* the rows of one account come together: its existence is looked up once */
  if (!rc && strcmp(a->pos_account, e->account)) {
    rc = get_account(a, "account", e->account, &balance);
    if (!rc) memcpy(a->pos_account, e->account, strlen(e->account) + 1);  /* check_id: at most 64 bytes */
  }
  if (!rc) rc = position_market(a, e->market, &m);
  if (rc) return rc;
  __int128 cost = (__int128)e->size * e->price, oi = (__int128)m->open_interest + longs(e->size);
  if (!fits_i64(cost) || !fits_i64(oi * m->mark) || !fits_i64((__int128)e->size * m->mark)) {
    /* a position that exists is told first, as when it was looked up first */
    rc = store_position_get(a->t, e->market, e->account, &pos);
    if (rc == SOCLOSS_OK) return position_exists(e);
    if (rc != SOCLOSS_ENOTFOUND) return rc;
  }
  if (!fits_i64(cost))
    return err_fail(SOCLOSS_EOVERFLOW, "size: %lld x entry_price %lld overflows int64",
                       (long long)e->size, (long long)e->price);
  if (!fits_i64(oi * m->mark) || !fits_i64((__int128)e->size * m->mark))
    return err_fail(SOCLOSS_EOVERFLOW,
                       "size: the open interest of market '%s' at mark %lld would overflow int64",
                       e->market, (long long)m->mark);
  pos.size = e->size;
  pos.cost = (int64_t)cost;
  rc = store_position_add(a->t, e->market, e->account, &pos);
  if (rc == SOCLOSS_EEXIST) return position_exists(e);
  if (rc) return rc;
  add_flows(a, "size", -cost);
  m->open_interest = (int64_t)oi;
  return SOCLOSS_OK;
}

/* ---- the applier -------------------------------------------------------- */

int applier_start(applier *a, socloss *led, store_txn *t, int journal) {
  memset(a, 0, sizeof *a);
  a->led = led;
  a->t = t;
  a->journal = journal;
  a->seq = store_journal_last(t);
  return store_totals_get(t, &a->tot);
}

int applier_apply(applier *a, const socloss_event *e) {
  int rc;
  /* anything but a deficit line moves marks or money: a crash event that
   * deficit lines shared is over (replay ends it at the same record) */
  if (e->type != SOCLOSS_EV_DEFICIT && a->event && a->event_free) {
    a->event_free(a->event);
    a->event = NULL;
  }
  if (e->type != EV_POSITION && (a->npm || a->pos_account[0]) && (rc = applier_flush(a))) return rc;
  switch (e->type) {
    case SOCLOSS_EV_MARKET:
    case EV_LISTING: rc = op_market(a, e); break;
    case SOCLOSS_EV_DEPOSIT: rc = op_deposit(a, e); break;
    case SOCLOSS_EV_WITHDRAW: rc = op_withdraw(a, e); break;
    case SOCLOSS_EV_TRADE: rc = op_trade(a, e); break;
    case SOCLOSS_EV_FUND: rc = op_fund(a, e); break;
    case EV_ACCOUNT: rc = op_account(a, e); break;
    case EV_POSITION: rc = op_position(a, e); break;
    case SOCLOSS_EV_DEFICIT:  /* resolved above this layer; journals its own record (and keeps a shared event) */
      if (!a->led->on_deficit) return err_fail(SOCLOSS_EINVAL, "deficit events cannot be applied here");
      return a->led->on_deficit(a, e);
    case SOCLOSS_EV_EVENT:  /* likewise */
      if (!a->led->on_event) return err_fail(SOCLOSS_EINVAL, "event lines cannot be applied here");
      return a->led->on_event(a, e);
    default: return err_fail(SOCLOSS_EINVAL, "type: unknown event type %d", e->type);
  }
  if (rc || !a->journal) return rc;
  a->rec.len = 0;
  record_encode(&a->rec, e);
  rc = a->rec.oom ? err_fail(SOCLOSS_ENOMEM, "journal: out of memory")
                  : store_journal_put(a->t, a->seq + 1, a->rec.p, a->rec.len);
  if (!rc) a->seq++;
  return rc;
}

int applier_record(applier *a, const codec_buf *rec, uint64_t *seq) {
  if (rec->oom) return err_fail(SOCLOSS_ENOMEM, "journal: out of memory");
  int rc = store_journal_put(a->t, a->seq + 1, rec->p, rec->len);
  if (!rc) *seq = ++a->seq;
  return rc;
}

int applier_flush(applier *a) {
  int rc = SOCLOSS_OK;
  for (size_t i = 0; !rc && i < a->npm; i++) rc = store_market_put(a->t, a->pm[i].id, &a->pm[i].m);
  if (!rc) a->npm = 0;
  a->pos_account[0] = 0;
  return rc;
}

int applier_finish(applier *a) {
  int rc = applier_flush(a);
  if (rc) return rc;
  __int128 total = (__int128)a->tot.net_flows + a->flows;
  if (!fits_i64(total))
    return err_fail(SOCLOSS_EOVERFLOW, "%s: the ledger's net flows would overflow int64", a->flows_field);
  a->tot.net_flows = (int64_t)total;
  a->flows = 0;
  return store_totals_put(a->t, &a->tot);
}

void applier_end(applier *a) {
  if (a->event && a->event_free) a->event_free(a->event);
  a->event = NULL;
  codec_buf_free(&a->rec);
  free(a->ml.m);
  a->ml.m = NULL;
}

int applier_markets(applier *a) {
  if (a->ml_loaded) return SOCLOSS_OK;
  free(a->ml.m);
  int rc = markets_load(a->t, &a->ml);
  if (!rc) a->ml_loaded = 1;
  return rc;
}

int applier_equity(applier *a, const char *holder, int64_t balance, __int128 *equity) {
  int rc = applier_markets(a);
  return rc ? rc : holder_equity(a->t, &a->ml, holder, balance, equity);
}

/* ---- public entry points ------------------------------------------------ */

struct events {
  socloss *led;
  const socloss_event *ev;
  size_t n, failed;
};

static int apply_events(store_txn *t, void *ud) {
  struct events *b = ud;
  applier a;
  stats_begin(b->led);  /* deficit events count (stats.c) */
  int rc = applier_start(&a, b->led, t, 1);
  size_t moved = 0;  /* the last event that moved the net flows */
  for (b->failed = 0; !rc && b->failed < b->n; b->failed++) {
    const socloss_event *e = &b->ev[b->failed];
    a.flows_moved = 0;
    if (e->type < SOCLOSS_EV_MARKET || e->type > SOCLOSS_EV_EVENT)
      rc = err_fail(SOCLOSS_EINVAL, "type: unknown event type %d", e->type);
    else
      rc = applier_apply(&a, e);
    if (rc) break;
    if (a.flows_moved) moved = b->failed;
  }
  /* a total of net flows out of range is told at the last event adding to it */
  if (!rc && (rc = applier_finish(&a)) == SOCLOSS_EOVERFLOW) b->failed = moved;
  applier_end(&a);
  return rc;
}

int apply_run(socloss *led, const socloss_event *ev, size_t n, size_t *failed) {
  struct events b = {led, ev, n, 0};
  int rc = store_write(led->st, apply_events, &b);
  if (!rc) stats_commit(led);
  if (failed) *failed = rc ? b.failed : n;
  return rc;
}
