/*
 * resolve.c — deficit resolution, the seven steps of DESIGN §3, in one
 * write transaction:
 *
 *  1. bankruptcy prices: the deficit D = -equity spread over the bankrupt
 *     account's positions in proportion to notional at mark (largest
 *     remainder, ties to the lower market id), each price
 *     mark + trunc(d / size): rounded toward the mark, so counterparties
 *     never pay more than the deficit; the dust falls to steps 4-6;
 *  2. deleverage: the policy's closes, each a trade at that price;
 *  3. takeover: what is left passes to the fund at mark;
 *  4. fund: pays min(cash, hole, the per-deficit cap);
 *  5. haircuts: the policy's charges on the shortfall left;
 *  6. bad debt: whatever is still uncovered; the account ends at zero;
 *  7. journal: one record with everything, which replay re-applies through
 *     the same step functions, validating again.
 *
 * The policy runs in the evaluator process; every action it returns is
 * validated here before anything is applied.  A failing policy changes
 * nothing (the transaction is aborted); its failure is journaled on its own
 * and the fallback policy, if one is set, runs instead.
 */
#include "resolve.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "policy.h"

/* ---- candidates --------------------------------------------------------- */

typedef struct cands {
  size_t n, cap, nm;
  char *ids;
  size_t ids_len, ids_cap;
  uint32_t *off;
  int64_t *balance, *equity, *upnl_total;
  int64_t *size, *cost, *upnl;  /* market-major, stride cap */
} cands;

static void cands_free(cands *c) {
  free(c->ids);
  free(c->off);
  free(c->balance);
  free(c->equity);
  free(c->upnl_total);
  free(c->size);
  free(c->cost);
  free(c->upnl);
  memset(c, 0, sizeof *c);
}

typedef struct mk_cursor {
  char market[CODEC_ID_MAX + 1];
  int64_t mark;
  int slot;                 /* index among the deficit's markets, or -1 */
  store_cursor *cur;
  int live;                 /* has a head */
  char holder[CODEC_ID_MAX + 1];
  store_position pos;
} mk_cursor;

typedef struct mk_list {
  size_t n, cap;
  mk_cursor *v;
} mk_list;

static int collect_mk(void *ud, const char *id, const store_market *m) {
  mk_list *l = ud;
  if (l->n == l->cap) {
    size_t cap = l->cap ? 2 * l->cap : 8;
    mk_cursor *v = realloc(l->v, cap * sizeof *v);
    if (!v) return SOCLOSS_ENOMEM;
    l->v = v;
    l->cap = cap;
  }
  mk_cursor *c = &l->v[l->n++];
  memset(c, 0, sizeof *c);
  memcpy(c->market, id, strlen(id) + 1);
  c->mark = m->mark;
  c->slot = -1;
  return SOCLOSS_OK;
}

static int advance(mk_cursor *c) {
  int rc = store_next_position(c->cur, c->holder, &c->pos);
  c->live = rc == SOCLOSS_OK;
  return rc == SOCLOSS_ENOTFOUND ? SOCLOSS_OK : rc;
}

/* Every account holding a position (the bankrupt one excluded), in id
 * order, with balance, equity and its positions in the deficit's markets:
 * one merge of the accounts table with each market's positions. */
static int build_cands(store_txn *t, const deficit_rec *d, cands *c) {
  mk_list ml = {0};
  size_t na, np, nmk;
  int rc = store_counts(t, &nmk, &na, &np);
  if (!rc) rc = store_each_market(t, collect_mk, &ml);
  if (rc == SOCLOSS_ENOMEM) rc = err_fail(rc, "out of memory");
  memset(c, 0, sizeof *c);
  c->cap = na ? na : 1;
  c->nm = d->nm;
  size_t cols = c->cap * (d->nm ? d->nm : 1);
  if (!rc) {
    c->off = malloc((c->cap + 1) * sizeof *c->off);
    c->balance = malloc(c->cap * sizeof(int64_t));
    c->equity = malloc(c->cap * sizeof(int64_t));
    c->upnl_total = malloc(c->cap * sizeof(int64_t));
    c->size = calloc(cols, sizeof(int64_t));
    c->cost = calloc(cols, sizeof(int64_t));
    c->upnl = calloc(cols, sizeof(int64_t));
    c->ids_cap = c->cap * 13 + 64;
    c->ids = malloc(c->ids_cap);
    if (!c->off || !c->balance || !c->equity || !c->upnl_total || !c->size || !c->cost || !c->upnl || !c->ids)
      rc = err_fail(SOCLOSS_ENOMEM, "out of memory for %zu candidates", na);
  }
  for (size_t k = 0; !rc && k < ml.n; k++) {
    mk_cursor *m = &ml.v[k];
    for (size_t j = 0; j < d->nm; j++)
      if (!strcmp(d->mk[j].market, m->market)) m->slot = (int)j;
    rc = store_cursor_positions(t, m->market, &m->cur);
    if (!rc) rc = advance(m);
    if (!rc && m->live && !m->holder[0]) rc = advance(m);  /* the fund's position */
  }
  store_cursor *ac = NULL;
  if (!rc) rc = store_cursor_accounts(t, &ac);
  char id[CODEC_ID_MAX + 1];
  int64_t balance;
  if (!rc) c->off[0] = 0;
  while (!rc && (rc = store_next_account(ac, id, &balance)) == SOCLOSS_OK) {
    __int128 total = 0;
    int holds = 0;
    size_t i = c->n;
    for (size_t k = 0; k < ml.n; k++) {
      mk_cursor *m = &ml.v[k];
      if (!m->live || strcmp(m->holder, id)) continue;
      __int128 u = (__int128)m->pos.size * m->mark - m->pos.cost;
      total += u;
      holds = 1;
      if (m->slot >= 0) {
        size_t at = (size_t)m->slot * c->cap + i;
        c->size[at] = m->pos.size;
        c->cost[at] = m->pos.cost;
        c->upnl[at] = (int64_t)u;
      }
      if ((rc = advance(m))) break;
    }
    if (rc || !holds) continue;
    if (!strcmp(id, d->account)) {  /* not a candidate: clear its row */
      for (size_t j = 0; j < d->nm; j++) c->size[j * c->cap + i] = c->cost[j * c->cap + i] = c->upnl[j * c->cap + i] = 0;
      continue;
    }
    __int128 eq = total + balance;
    if (!fits_i64(total) || !fits_i64(eq)) {
      rc = err_fail(SOCLOSS_EOVERFLOW, "equity of '%s' overflows int64", id);
      break;
    }
    size_t len = strlen(id);
    if (c->ids_len + len > c->ids_cap) {
      size_t cap = c->ids_cap * 2 + len;
      char *p = realloc(c->ids, cap);
      if (!p) {
        rc = err_fail(SOCLOSS_ENOMEM, "out of memory");
        break;
      }
      c->ids = p;
      c->ids_cap = cap;
    }
    memcpy(c->ids + c->ids_len, id, len);
    c->ids_len += len;
    c->off[i + 1] = (uint32_t)c->ids_len;
    c->balance[i] = balance;
    c->equity[i] = (int64_t)eq;
    c->upnl_total[i] = (int64_t)total;
    c->n++;
  }
  if (rc == SOCLOSS_ENOTFOUND) rc = SOCLOSS_OK;
  store_cursor_close(ac);
  for (size_t k = 0; k < ml.n; k++) store_cursor_close(ml.v[k].cur);
  free(ml.v);
  return rc;
}

/* ---- step 1: bankruptcy prices ------------------------------------------ */

static int bankruptcy_prices(deficit_rec *d) {
  if (!d->nm) return SOCLOSS_OK;
  int64_t w[DEFICIT_MARKETS_MAX], share[DEFICIT_MARKETS_MAX];
  for (size_t k = 0; k < d->nm; k++) {
    __int128 n = (__int128)d->mk[k].size * d->mk[k].mark;
    w[k] = (int64_t)(n < 0 ? -n : n);  /* fits: bounded by open interest x mark */
  }
  if (d->equity == INT64_MIN) return err_fail(SOCLOSS_EOVERFLOW, "account: the deficit overflows int64");
  if (alloc_pro_rata(w, d->nm, -d->equity, share)) return err_fail(SOCLOSS_ENOMEM, "out of memory");
  for (size_t k = 0; k < d->nm; k++) {
    deficit_market *m = &d->mk[k];
    __int128 p = (__int128)m->mark + share[k] / m->size;  /* C division truncates: toward the mark */
    __int128 hi = INT64_MAX / (m->size < 0 ? -(__int128)m->size : m->size);
    if (p < 1) p = 1;
    if (p > hi) p = hi;
    m->bankruptcy_price = (int64_t)p;
  }
  return SOCLOSS_OK;
}

/* ---- the steps, shared by resolution and replay ------------------------- */

typedef struct ref {
  const char *p;
  uint32_t len, market, at;
  uint32_t index;  /* candidate index, or UINT32_MAX */
} ref;

static int cmp_ref(const void *a, const void *b) {
  const ref *x = a, *y = b;
  if (x->market != y->market) return x->market < y->market ? -1 : 1;
  int c = memcmp(x->p, y->p, x->len < y->len ? x->len : y->len);
  if (c) return c;
  if (x->len != y->len) return x->len < y->len ? -1 : 1;
  return x->at < y->at ? -1 : (x->at > y->at);
}

/* The first repeated (market, id) pair, as the index of its second action,
 * or -1 (-2: out of memory).  *first gets the index of the first.  When
 * every action names a candidate by index (a live resolution, ncands > 0) a
 * table of seen indices does it in one pass; a replay sorts the ids. */
static long first_repeat(const ref *refs, size_t n, size_t ncands, size_t nm, size_t *first) {
  int indexed = ncands > 0;
  for (size_t k = 0; indexed && k < n; k++) indexed = refs[k].index < ncands && refs[k].market < (nm ? nm : 1);
  if (indexed) {
    uint32_t *seen = calloc(ncands * (nm ? nm : 1), sizeof *seen);
    if (!seen) return -2;
    long dup = -1;
    for (size_t k = 0; k < n && dup < 0; k++) {
      uint32_t *at = &seen[(size_t)refs[k].market * ncands + refs[k].index];
      if (*at) {
        dup = (long)k;
        *first = *at - 1;
      }
      *at = (uint32_t)k + 1;
    }
    free(seen);
    return dup;
  }
  ref *s = malloc((n ? n : 1) * sizeof *s);
  if (!s) return -2;
  memcpy(s, refs, n * sizeof *s);
  qsort(s, n, sizeof *s, cmp_ref);
  long worst = -1;
  for (size_t k = 1; k < n; k++)
    if (s[k].market == s[k - 1].market && s[k].len == s[k - 1].len && !memcmp(s[k].p, s[k - 1].p, s[k].len) &&
        (worst < 0 || s[k].at < (uint32_t)worst)) {
      worst = (long)s[k].at;
      *first = s[k - 1].at;
    }
  free(s);
  return worst;
}

typedef struct step {
  applier *a;
  deficit_rec *d;
  const char *label;           /* "policy 'x' (hash): " for messages */
  const int64_t *equity_hint;  /* the candidates' equity as the haircut step
                                  saw it, by index (NULL in a replay) */
  size_t ncands;               /* candidates the actions index (0 in a replay) */
} step;

static int refuse(step *s, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int refuse(step *s, int code, const char *fmt, ...) {
  char msg[600];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return err_fail(code, "%s%s", s->label, msg);
}

/* Step 2: every close validated (DESIGN §3), then each traded against the
 * bankrupt account at the market's bankruptcy price. */
static int step_deleverage(step *s) {
  deficit_rec *d = s->d;
  int64_t closed[DEFICIT_MARKETS_MAX] = {0};
  ref *refs = malloc((d->ndl ? d->ndl : 1) * sizeof *refs);
  if (!refs) return err_fail(SOCLOSS_ENOMEM, "out of memory");
  int rc = SOCLOSS_OK;
  for (size_t k = 0; !rc && k < d->ndl; k++) {
    const dl_action *x = &d->dl[k];
    char holder[CODEC_ID_MAX + 1];
    copy_id(holder, x->holder, x->len);
    refs[k] = (ref){x->holder, x->len, x->market, (uint32_t)k, x->index};
    if (x->market >= d->nm) {
      rc = refuse(s, SOCLOSS_EPOLICY, "deleverage action %zu: market index %u out of range", k + 1, x->market);
      break;
    }
    deficit_market *m = &d->mk[x->market];
    int64_t held = 0, limit = m->size < 0 ? -m->size : m->size;
    store_position p;
    if (!strcmp(holder, d->account)) {
      rc = refuse(s, SOCLOSS_EPOLICY, "deleverage action %zu: the bankrupt account itself", k + 1);
      break;
    }
    if (x->size <= 0) {
      rc = refuse(s, SOCLOSS_EPOLICY, "deleverage action %zu: size %lld must be > 0", k + 1, (long long)x->size);
      break;
    }
    rc = store_position_get(s->a->t, m->market, holder, &p);
    if (rc && rc != SOCLOSS_ENOTFOUND) break;
    rc = SOCLOSS_OK;
    if (p.size != 0 && (p.size > 0) != (m->size > 0)) held = p.size < 0 ? -p.size : p.size;
    if (held == 0)
      rc = refuse(s, SOCLOSS_EPOLICY, "deleverage action %zu: '%s' holds no opposite position in '%s'", k + 1,
                  holder, m->market);
    else if (x->size > held)
      rc = refuse(s, SOCLOSS_EPOLICY, "deleverage action %zu: size %lld exceeds the %lld lots '%s' holds in '%s'",
                  k + 1, (long long)x->size, (long long)held, holder, m->market);
    else if ((closed[x->market] += x->size) > limit)
      rc = refuse(s, SOCLOSS_EPOLICY,
                  "deleverage action %zu: closes %lld lots in '%s' in all, more than the %lld of '%s'", k + 1,
                  (long long)closed[x->market], m->market, (long long)limit, d->account);
  }
  size_t first = 0;
  long dup = rc ? -1 : first_repeat(refs, d->ndl, s->ncands, d->nm, &first);
  if (dup == -2) rc = err_fail(SOCLOSS_ENOMEM, "out of memory");
  else if (dup >= 0)
    rc = refuse(s, SOCLOSS_EPOLICY, "deleverage action %ld: '%.*s' already closed in '%s' by action %zu", dup + 1,
                (int)d->dl[dup].len, d->dl[dup].holder, d->mk[d->dl[dup].market].market, first + 1);
  free(refs);
  for (size_t k = 0; !rc && k < d->ndl; k++) {
    const dl_action *x = &d->dl[k];
    const deficit_market *m = &d->mk[x->market];
    char holder[CODEC_ID_MAX + 1];
    copy_id(holder, x->holder, x->len);
    /* the bankrupt long sells to the short holder, or buys from the long */
    rc = m->size > 0 ? ledger_trade(s->a, m->market, holder, d->account, x->size, m->bankruptcy_price)
                     : ledger_trade(s->a, m->market, d->account, holder, x->size, m->bankruptcy_price);
  }
  return rc;
}

/* Step 3: the rest of each position to the fund at mark. */
static int step_takeover(step *s) {
  deficit_rec *d = s->d;
  int rc = SOCLOSS_OK;
  for (size_t k = 0; !rc && k < d->nm; k++) {
    deficit_market *m = &d->mk[k];
    store_position p;
    rc = store_position_get(s->a->t, m->market, d->account, &p);
    if (rc == SOCLOSS_ENOTFOUND) {
      rc = SOCLOSS_OK;
      p.size = 0;
    }
    if (rc) break;
    if (d->take[k] != p.size)  /* a replayed record must match the state */
      return refuse(s, SOCLOSS_EINVARIANT, "takeover in '%s': %lld lots recorded, %lld held", m->market,
                    (long long)d->take[k], (long long)p.size);
    if (p.size > 0) rc = ledger_trade(s->a, m->market, "", d->account, p.size, m->mark);
    else if (p.size < 0) rc = ledger_trade(s->a, m->market, d->account, "", -p.size, m->mark);
  }
  return rc;
}

static int hole(step *s, int64_t *h) {
  int64_t b;
  int rc = store_account_get(s->a->t, s->d->account, &b);
  if (rc) return rc;
  *h = b < 0 ? -b : 0;
  return SOCLOSS_OK;
}

static int credit(step *s, int64_t amount) {
  int64_t b;
  int rc = store_account_get(s->a->t, s->d->account, &b);
  return rc ? rc : store_account_put(s->a->t, s->d->account, b + amount);  /* b < 0, b + amount <= 0 */
}

/* Step 4, for a replay: the recorded draw must be possible. */
static int step_fund(step *s, int64_t hole_now, int64_t cap) {
  int64_t draw = s->d->fund_draw, cash = s->a->tot.fund_cash;
  if (draw < 0 || draw > hole_now || draw > (cash > 0 ? cash : 0) || (cap > 0 && draw > cap))
    return refuse(s, SOCLOSS_EINVARIANT, "fund draw %lld is not possible (hole %lld, cash %lld)", (long long)draw,
                  (long long)hole_now, (long long)cash);
  s->a->tot.fund_cash -= draw;
  return credit(s, draw);
}

/* Step 5: every haircut validated, then charged. */
static int step_haircuts(step *s, int64_t shortfall) {
  deficit_rec *d = s->d;
  ref *refs = malloc((d->nhc ? d->nhc : 1) * sizeof *refs);
  if (!refs) return err_fail(SOCLOSS_ENOMEM, "out of memory");
  for (size_t k = 0; k < d->nhc; k++) refs[k] = (ref){d->hc[k].account, d->hc[k].len, 0, (uint32_t)k, d->hc[k].index};
  size_t first = 0;
  long dup = first_repeat(refs, d->nhc, s->ncands, 1, &first);
  free(refs);
  if (dup == -2) return err_fail(SOCLOSS_ENOMEM, "out of memory");
  if (dup >= 0)
    return refuse(s, SOCLOSS_EPOLICY, "haircut action %ld: '%.*s' already charged by action %zu", dup + 1,
                  (int)d->hc[dup].len, d->hc[dup].account, first + 1);
  __int128 total = 0;
  int rc = SOCLOSS_OK;
  for (size_t k = 0; !rc && k < d->nhc; k++) {
    const hc_action *x = &d->hc[k];
    char id[CODEC_ID_MAX + 1];
    copy_id(id, x->account, x->len);
    int64_t balance;
    __int128 equity;
    if (x->amount <= 0)
      return refuse(s, SOCLOSS_EPOLICY, "haircut action %zu: amount %lld must be > 0", k + 1, (long long)x->amount);
    if (!strcmp(id, d->account)) return refuse(s, SOCLOSS_EPOLICY, "haircut action %zu: the bankrupt account itself", k + 1);
    rc = store_account_get(s->a->t, id, &balance);
    if (rc == SOCLOSS_ENOTFOUND) return refuse(s, SOCLOSS_EPOLICY, "haircut action %zu: unknown account '%s'", k + 1, id);
    if (rc) return rc;
    /* an earlier haircut changes no one else's equity, so the candidates'
     * column is exact; a replay computes it */
    if (s->equity_hint && x->index != UINT32_MAX) equity = s->equity_hint[x->index];
    else if ((rc = applier_equity(s->a, id, balance, &equity))) return rc;
    if (x->amount > equity)
      return refuse(s, SOCLOSS_EPOLICY, "haircut action %zu: %lld exceeds the equity %lld of '%s'", k + 1,
                    (long long)x->amount, (long long)(equity > 0 ? equity : 0), id);
    if ((total += x->amount) > shortfall)
      return refuse(s, SOCLOSS_EPOLICY, "haircut action %zu: the haircuts add up to %lld, more than the shortfall %lld",
                    k + 1, (long long)total, (long long)shortfall);
    rc = store_account_put(s->a->t, id, balance - x->amount);
  }
  return rc ? rc : credit(s, (int64_t)total);
}

/* Step 6: what is left becomes bad debt; the account ends at zero. */
static int step_bad_debt(step *s, int64_t left) {
  __int128 bd = (__int128)s->a->tot.bad_debt + left;
  if (!fits_i64(bd)) return err_fail(SOCLOSS_EOVERFLOW, "bad debt overflows int64");
  s->a->tot.bad_debt = (int64_t)bd;
  s->d->bad_debt = left;
  return credit(s, left);
}

int deficit_replay(applier *a, const deficit_rec *rec, uint64_t seq) {
  deficit_rec *d = (deficit_rec *)rec;
  step s = {a, d, "", NULL, 0};
  int64_t h;
  socloss_limits lim;
  int rc = read_limits(a->t, &lim);
  if (!rc) rc = step_deleverage(&s);
  if (!rc) rc = step_takeover(&s);
  if (!rc) rc = hole(&s, &h);
  if (!rc) rc = step_fund(&s, h, lim.fund_max_draw);
  if (!rc) rc = step_haircuts(&s, h - d->fund_draw);
  if (rc) return rc;
  int64_t left;
  if ((rc = hole(&s, &left))) return rc;
  if (left != d->bad_debt)
    return err_fail(SOCLOSS_EINVARIANT, "bad debt %lld recorded, %lld left", (long long)d->bad_debt,
                       (long long)left);
  if ((rc = step_bad_debt(&s, left))) return rc;
  return store_deficit_put(a->t, d->id, d->id_len, seq);
}

/* ---- which market's policy --------------------------------------------- */

struct main_market {
  store_txn *t;
  const char *account;
  char *out;
  __int128 best;
};

static int weigh_market(void *ud, const char *id, const store_market *m) {
  struct main_market *mm = ud;
  store_position p;
  int rc = store_position_get(mm->t, id, mm->account, &p);
  if (rc == SOCLOSS_ENOTFOUND) return SOCLOSS_OK;
  if (rc) return rc;
  __int128 n = (__int128)p.size * m->mark;
  if (n < 0) n = -n;
  if (n > mm->best) {  /* markets come in id order: a tie keeps the lower id */
    mm->best = n;
    memcpy(mm->out, id, strlen(id) + 1);
  }
  return SOCLOSS_OK;
}

int deficit_market_of(store_txn *t, const char *account, char out[CODEC_ID_MAX + 1]) {
  struct main_market mm = {t, account, out, -1};
  out[0] = 0;
  return store_each_market(t, weigh_market, &mm);
}

/* ---- a live resolution -------------------------------------------------- */

typedef struct live {
  socloss *led;
  const char *account;
  char id[CODEC_ID_MAX + 1];
  policy_src pol;
  const char *params;
  size_t params_len;
  socloss_limits lim;
  int dry_run;
  /* a policy failure: the stage and the message (also on the handle) */
  const char *stage;
  int64_t equity;
  uint64_t instructions, policy_us;
  /* the shadow policy, deciding too, never applied (NULL: none) */
  const char *shadow;
  size_t shadow_len;
  const char *shadow_params;
} live;

static int decide_txn(store_txn *t, void *ud);

/* Calls the evaluator for one step over the candidates; fills actions. */
static int ask_policy(live *lv, store_txn *t, deficit_rec *d, int fn, int64_t shortfall,
                      int64_t fund_cash, cands *c, void **buf, eval_response *rs) {
  int rc = build_cands(t, d, c);
  if (rc) return rc;
  eval_market mk[DEFICIT_MARKETS_MAX];
  for (size_t k = 0; k < d->nm; k++) {
    memcpy(mk[k].market, d->mk[k].market, sizeof mk[k].market);
    mk[k].size = d->mk[k].size;
    mk[k].cost = d->mk[k].cost;
    mk[k].mark = d->mk[k].mark;
    mk[k].bankruptcy_price = d->mk[k].bankruptcy_price;
  }
  eval_request rq;
  memset(&rq, 0, sizeof rq);
  rq.fn = fn;
  rq.limits = (eval_limits){lv->lim.instructions, lv->lim.memory, lv->lim.wall_ms};
  rq.source = lv->pol.source;
  rq.source_len = lv->pol.len;
  rq.params = lv->params;
  rq.params_len = lv->params_len;
  rq.deficit_id = d->id;
  rq.deficit_id_len = d->id_len;
  memcpy(rq.account, d->account, sizeof rq.account);
  rq.equity = d->equity;
  rq.shortfall = shortfall;
  rq.fund_cash = fund_cash;
  rq.nmarkets = d->nm;
  rq.markets = mk;
  rq.c = (eval_columns){c->n, c->cap, c->ids, c->off, c->balance, c->equity, c->upnl_total,
                        c->size, c->cost, c->upnl};
  uint64_t us = 0;
  evaluator_call(lv->led->ev, &rq, rs, buf, &us);
  lv->instructions += rs->instructions;
  lv->policy_us += us;
  lv->stage = fn == EVAL_FN_HAIRCUT ? "haircut" : "deleverage";
  if (rs->status != EVAL_OK) {
    char label[128];
    policy_label(&lv->pol, label, sizeof label);
    return err_fail(SOCLOSS_EPOLICY, "%s %s in %s: %s", label, eval_status_text(rs->status),
                       lv->stage, rs->message);
  }
  for (size_t k = 0; k < rs->nactions; k++)
    if (rs->actions[k].index >= c->n || (fn == EVAL_FN_DELEVERAGE && rs->actions[k].market >= d->nm)) {
      char label[128];
      policy_label(&lv->pol, label, sizeof label);
      return err_fail(SOCLOSS_EPOLICY, "%s returned an invalid result in %s: action %zu is out of range",
                         label, lv->stage, k + 1);
    }
  return SOCLOSS_OK;
}

typedef struct market_pos {
  live *lv;
  store_txn *t;
  deficit_rec *d;
  __int128 equity;
} market_pos;

static int load_position(void *ud, const char *id, const store_market *m) {
  market_pos *mp = ud;
  store_position p;
  int rc = store_position_get(mp->t, id, mp->d->account, &p);
  if (rc == SOCLOSS_ENOTFOUND) return SOCLOSS_OK;
  if (rc) return rc;
  if (mp->d->nm == DEFICIT_MARKETS_MAX)
    return err_fail(SOCLOSS_EINVAL, "account: holds positions in more than %d markets", DEFICIT_MARKETS_MAX);
  deficit_market *dm = &mp->d->mk[mp->d->nm++];
  memcpy(dm->market, id, strlen(id) + 1);
  dm->size = p.size;
  dm->cost = p.cost;
  dm->mark = m->mark;
  mp->equity += (__int128)p.size * m->mark - p.cost;
  return SOCLOSS_OK;
}

/* Step 7: the journal record, the id registered, the totals, the result. */
static int finish(live *lv, applier *a, deficit_rec *d) {
  codec_buf b = {0};
  uint64_t seq = 0;
  /* the source of the policy that decided stays in the registry, so that a
   * replay can run it again */
  int rc = registry_ensure(a, &lv->pol);
  deficit_encode(&b, d);
  if (!rc) rc = applier_record(a, &b, &seq);
  codec_buf_free(&b);
  if (!rc) rc = store_deficit_put(a->t, d->id, d->id_len, seq);
  if (!rc) rc = applier_finish(a);
  if (!rc && result_fill(lv->led->res, d, lv->dry_run ? "dry-run" : "applied", lv->dry_run ? 0 : seq))
    rc = err_fail(SOCLOSS_ENOMEM, "out of memory");
  return rc;
}

typedef struct shadow_run {
  policy_src pol;
  int failed;
  char *text;  /* its decision as JSON, or why it failed */
} shadow_run;

static int fatal(int rc);

static int run_shadow(live *lv, store_txn *t, shadow_run *sr) {
  live sh;
  memset(&sh, 0, sizeof sh);
  sh.led = lv->led;
  sh.account = lv->account;
  memcpy(sh.id, lv->id, sizeof sh.id);
  sh.dry_run = 1;
  sh.lim = lv->lim;
  sh.pol.source = lv->shadow;
  sh.pol.len = lv->shadow_len;
  sh.params = lv->shadow_params ? lv->shadow_params : "";
  sh.params_len = strlen(sh.params);
  eval_limits el = {sh.lim.instructions, sh.lim.memory, sh.lim.wall_ms};
  int rc = policy_probe(lv->led, &sh.pol, &el);
  if (!rc) {
    rc = store_nested(t, decide_txn, &sh);
    if (rc == SOCLOSS_ESTOP) rc = SOCLOSS_OK;
  }
  if (fatal(rc)) return rc;
  sr->pol = sh.pol;
  sr->failed = rc != SOCLOSS_OK;
  sr->text = rc ? strdup(ERRBUF) : decision_json(&lv->led->res->r);
  ERRBUF[0] = 0;  /* the shadow's troubles are journaled, not the caller's */
  return sr->text ? SOCLOSS_OK : err_fail(SOCLOSS_ENOMEM, "out of memory");
}

/* After the real decision: the shadow's, and where it differs, journaled. */
static int record_shadow(live *lv, applier *a, const deficit_rec *d, const shadow_run *sr) {
  char *mine = decision_json(&lv->led->res->r);
  if (!mine) return err_fail(SOCLOSS_ENOMEM, "out of memory");
  const char *field = sr->failed ? "decision" : decision_diff(mine, sr->text);
  free(mine);
  codec_buf b = {0};
  record_shadow_encode(&b, d->id, d->id_len, d->account, sr->pol.name, sr->pol.hash, field, sr->text);
  uint64_t seq;
  int rc = applier_record(a, &b, &seq);
  codec_buf_free(&b);
  if (!rc) rc = registry_ensure(a, &sr->pol);
  return rc;
}

static int resolve_txn(store_txn *t, void *ud) {
  live *lv = ud;
  socloss *led = lv->led;
  shadow_run shadow;
  memset(&shadow, 0, sizeof shadow);
  applier a;
  deficit_rec d;
  cands c = {0}, c2 = {0};  /* the candidates as deleverage, then haircut, saw them */
  void *buf = NULL, *buf2 = NULL;
  dl_action *dl = NULL;
  hc_action *hc = NULL;
  eval_response rs;
  char label[160];
  memset(&d, 0, sizeof d);
  lv->stage = NULL;
  lv->instructions = lv->policy_us = 0;
  int rc = applier_start(&a, led, t, 1);
  if (!rc) rc = limits_for(led, t, &lv->lim);
  if (rc) goto out;
  d.id = lv->id;
  d.id_len = strlen(lv->id);
  uint64_t prior;
  if ((rc = store_deficit_get(t, d.id, d.id_len, &prior)) == SOCLOSS_OK) {
    rc = err_fail(SOCLOSS_EEXIST, "id: deficit '%s' was already resolved (journal record %llu)", d.id,
                     (unsigned long long)prior);
    goto out;
  }
  if (rc != SOCLOSS_ENOTFOUND) goto out;

  /* the bankrupt account, its positions and equity */
  memcpy(d.account, lv->account, strlen(lv->account) + 1);
  int64_t balance;
  rc = store_account_get(t, d.account, &balance);
  if (rc == SOCLOSS_ENOTFOUND) rc = err_fail(rc, "account: unknown account '%s'", d.account);
  if (rc) goto out;
  market_pos mp = {lv, t, &d, balance};
  if ((rc = store_each_market(t, load_position, &mp))) goto out;
  if (!fits_i64(mp.equity)) {
    rc = err_fail(SOCLOSS_EOVERFLOW, "account: the equity of '%s' overflows int64", d.account);
    goto out;
  }
  d.equity = lv->equity = (int64_t)mp.equity;
  if (d.equity >= 0) {
    rc = err_fail(SOCLOSS_ENOTBANKRUPT, "account: '%s' is not bankrupt (equity %lld)", d.account,
                     (long long)d.equity);
    goto out;
  }
  memcpy(d.policy_name, lv->pol.name, sizeof d.policy_name);
  memcpy(d.policy_hash, lv->pol.hash, sizeof d.policy_hash);
  d.params = lv->params;
  d.params_len = lv->params_len;
  /* the shadow decides first, on the same state, in a transaction thrown away */
  if (lv->shadow && (rc = run_shadow(lv, t, &shadow))) goto out;
  policy_label(&lv->pol, label, sizeof label - 2);
  strcat(label, ": ");
  step s = {&a, &d, label, NULL, 0};

  /* 1-2: bankruptcy prices, deleverage */
  if ((rc = bankruptcy_prices(&d))) goto out;
  if (lv->pol.has_deleverage && d.nm) {
    if ((rc = ask_policy(lv, t, &d, EVAL_FN_DELEVERAGE, 0, a.tot.fund_cash, &c, &buf, &rs))) goto out;
    if (!(dl = malloc((rs.nactions ? rs.nactions : 1) * sizeof *dl))) {
      rc = err_fail(SOCLOSS_ENOMEM, "out of memory");
      goto out;
    }
    for (size_t k = 0; k < rs.nactions; k++) {
      uint32_t i = rs.actions[k].index;
      dl[k] = (dl_action){c.ids + c.off[i], c.off[i + 1] - c.off[i], rs.actions[k].market, i, rs.actions[k].value};
    }
    d.dl = dl;
    d.ndl = rs.nactions;
    s.ncands = c.n;
    if ((rc = step_deleverage(&s))) goto out;
  }
  lv->stage = NULL;

  /* 3-4: takeover, fund */
  for (size_t k = 0; k < d.nm; k++) {
    store_position p;
    rc = store_position_get(t, d.mk[k].market, d.account, &p);
    if (rc && rc != SOCLOSS_ENOTFOUND) goto out;
    d.take[k] = rc ? 0 : p.size;
  }
  int64_t h, left;
  if ((rc = step_takeover(&s)) || (rc = hole(&s, &h))) goto out;
  int64_t cash = a.tot.fund_cash > 0 ? a.tot.fund_cash : 0;
  d.fund_draw = h < cash ? h : cash;
  if (lv->lim.fund_max_draw > 0 && d.fund_draw > lv->lim.fund_max_draw) d.fund_draw = lv->lim.fund_max_draw;
  if ((rc = step_fund(&s, h, lv->lim.fund_max_draw))) goto out;

  /* 5: haircuts */
  int64_t shortfall = h - d.fund_draw;
  if (shortfall > 0 && lv->pol.has_haircut) {
    if ((rc = ask_policy(lv, t, &d, EVAL_FN_HAIRCUT, shortfall, a.tot.fund_cash, &c2, &buf2, &rs))) goto out;
    if (!(hc = malloc((rs.nactions ? rs.nactions : 1) * sizeof *hc))) {
      rc = err_fail(SOCLOSS_ENOMEM, "out of memory");
      goto out;
    }
    for (size_t k = 0; k < rs.nactions; k++) {
      uint32_t i = rs.actions[k].index;
      hc[k] = (hc_action){c2.ids + c2.off[i], c2.off[i + 1] - c2.off[i], i, rs.actions[k].value};
    }
    d.hc = hc;
    d.nhc = rs.nactions;
    s.equity_hint = c2.equity;
    s.ncands = c2.n;
    if ((rc = step_haircuts(&s, shortfall))) goto out;
  }
  lv->stage = NULL;

  /* 6-7: bad debt, journal */
  if ((rc = hole(&s, &left)) || (rc = step_bad_debt(&s, left))) goto out;
  d.instructions = lv->instructions;
  d.policy_us = lv->policy_us;
  rc = finish(lv, &a, &d);
  if (!rc && shadow.pol.source) rc = record_shadow(lv, &a, &d, &shadow);
out:
  free(shadow.text);
  free(dl);
  free(hc);
  cands_free(&c);
  cands_free(&c2);
  free(buf);
  free(buf2);
  applier_end(&a);
  return rc;
}

/* ---- public entry points ------------------------------------------------ */

void socloss_resolve_options_init(socloss_resolve_options *o) {
  memset(o, 0, sizeof *o);
  o->size = sizeof *o;
}

typedef struct setting_read {
  int role;
  const char *account;  /* the deficit's account: its main market may have its own policy */
  char *source, *params;
  size_t len, plen;
  socloss_limits lim;
  uint64_t last;
} setting_read;

static int read_settings(store_txn *t, void *ud) {
  setting_read *r = ud;
  const char *src, *params;
  size_t len, plen;
  r->last = store_journal_last(t);
  int rc = read_limits(t, &r->lim);
  if (rc) return rc;
  char market[CODEC_ID_MAX + 1] = "";
  if (r->account && (rc = deficit_market_of(t, r->account, market))) return rc;
  rc = read_policy(t, r->role, market, &src, &len, &params, &plen);
  if (rc == SOCLOSS_ENOTFOUND) return SOCLOSS_OK;
  if (rc) return rc;
  r->source = malloc(len + 1);
  r->params = malloc(plen + 1);
  if (!r->source || !r->params) return SOCLOSS_ENOMEM;
  memcpy(r->source, src, len);
  memcpy(r->params, params, plen);
  r->source[len] = r->params[plen] = 0;
  r->len = len;
  r->plen = plen;
  return SOCLOSS_OK;
}

struct failure_write {
  socloss *led;
  const live *lv;
  const char *cause;
};

static int write_failure(store_txn *t, void *ud);

/* ---- a deficit event inside a batch ------------------------------------- */

static int probe_and_run(live *lv, store_txn *t) {
  eval_limits el = {lv->lim.instructions, lv->lim.memory, lv->lim.wall_ms};
  lv->stage = "load";
  int rc = policy_probe(lv->led, &lv->pol, &el);
  if (rc) return rc;
  lv->stage = NULL;
  return store_nested(t, resolve_txn, lv);
}

static int fatal(int rc) {
  return rc == SOCLOSS_EMAPFULL || rc == SOCLOSS_ESTORE || rc == SOCLOSS_ENOMEM || rc == SOCLOSS_EIO;
}

/* One deficit inside a write transaction, in a nested transaction.  With
 * isolate (group commit), a policy failure is journaled here and returned
 * for this deficit alone; without it (an event in a batch file) the caller
 * refuses the whole batch. */
static int resolve_in_batch(applier *a, const socloss_event *e, int isolate) {
  socloss *led = a->led;
  if (!e->id || !id_valid(e->id))
    return err_fail(SOCLOSS_EINVAL, "id: '%.80s' is not a valid id (1-64 printable ASCII characters, no spaces)",
                       e->id ? e->id : "");
  if (!e->account || !id_valid(e->account))
    return err_fail(SOCLOSS_EINVAL, "account: '%.80s' is not a valid id", e->account ? e->account : "");
  int rc = params_valid(e->params);
  if (rc) return rc;
  if (!led->res && !(led->res = calloc(1, sizeof *led->res))) return err_fail(SOCLOSS_ENOMEM, "out of memory");
  result_clear(led->res);
  /* what the applier holds in memory goes to the transaction first */
  if ((rc = applier_finish(a))) return rc;
  live lv;
  memset(&lv, 0, sizeof lv);
  lv.led = led;
  lv.account = e->account;
  snprintf(lv.id, sizeof lv.id, "%s", e->id);
  const char *src = NULL, *params = NULL, *fsrc = NULL, *fparams = NULL;
  size_t len = 0, plen = 0, flen = 0, fplen = 0;
  if ((rc = limits_for(led, a->t, &lv.lim))) return rc;
  char market[CODEC_ID_MAX + 1];
  if ((rc = deficit_market_of(a->t, e->account, market))) return rc;
  rc = read_policy(a->t, SOCLOSS_POLICY_ACTIVE, market, &src, &len, &params, &plen);
  if (rc && rc != SOCLOSS_ENOTFOUND) return rc;
  rc = read_policy(a->t, SOCLOSS_POLICY_FALLBACK, market, &fsrc, &flen, &fparams, &fplen);
  if (rc && rc != SOCLOSS_ENOTFOUND) return rc;
  const char *ssrc = NULL, *sparams = NULL;
  size_t slen = 0, splen = 0;
  rc = read_policy(a->t, SOCLOSS_POLICY_SHADOW, market, &ssrc, &slen, &sparams, &splen);
  if (rc && rc != SOCLOSS_ENOTFOUND) return rc;
  char *sh = NULL, *shp = NULL;
  if (ssrc && (sh = malloc(slen + 1)) && (shp = malloc(splen + 1))) {
    memcpy(sh, ssrc, slen);
    sh[slen] = 0;
    memcpy(shp, sparams, splen);
    shp[splen] = 0;
  }
  /* settings point into the snapshot: copies outlive the nested writes */
  char *act = NULL, *actp = NULL, *fb = NULL, *fbp = NULL;
  if (src && (!(act = malloc(len + 1)) || !(actp = malloc(plen + 1)))) rc = SOCLOSS_ENOMEM;
  if (fsrc && (!(fb = malloc(flen + 1)) || !(fbp = malloc(fplen + 1)))) rc = SOCLOSS_ENOMEM;
  if (rc == SOCLOSS_ENOMEM) {
    rc = err_fail(rc, "out of memory");
    goto out;
  }
  rc = SOCLOSS_OK;
  if (act) memcpy(act, src, len), act[len] = 0, memcpy(actp, params, plen), actp[plen] = 0;
  if (fb) memcpy(fb, fsrc, flen), fb[flen] = 0, memcpy(fbp, fparams, fplen), fbp[fplen] = 0;
  lv.pol.source = e->policy ? e->policy : act;
  lv.pol.len = e->policy ? e->policy_len : len;
  lv.params = e->params ? e->params : e->policy ? "" : actp ? actp : "";
  lv.params_len = strlen(lv.params);
  if (sh && shp) {
    lv.shadow = sh;
    lv.shadow_len = slen;
    lv.shadow_params = shp;
  }
  if (!lv.pol.source) {
    rc = err_fail(SOCLOSS_EINVAL, "policy: none given and the ledger has no active policy (socloss policy set)");
    goto out;
  }
  rc = probe_and_run(&lv, a->t);
  if (rc == SOCLOSS_EPOLICY && fb) {
    char cause[ERRMSG_MAX];
    snprintf(cause, sizeof cause, "%s", ERRBUF);
    struct failure_write f = {led, &lv, cause};
    if ((rc = write_failure(a->t, &f))) goto out;
    live fl = lv;
    memset(&fl.pol, 0, sizeof fl.pol);
    fl.pol.source = fb;
    fl.pol.len = flen;
    fl.params = fbp;
    fl.params_len = fplen;
    rc = probe_and_run(&fl, a->t);
    if (rc == SOCLOSS_OK) snprintf(led->res->failure, sizeof led->res->failure, "%s", cause);
    if (rc == SOCLOSS_EPOLICY) {
      char second[ERRMSG_MAX];
      snprintf(second, sizeof second, "%s", ERRBUF);
      struct failure_write f2 = {led, &fl, second};
      int wrc = isolate ? write_failure(a->t, &f2) : SOCLOSS_OK;
      err_fail(wrc ? wrc : rc, "%.480s; fallback: %.480s", cause, second);
      if (wrc) rc = wrc;
    }
  } else if (rc == SOCLOSS_EPOLICY && isolate) {
    char cause[ERRMSG_MAX];
    snprintf(cause, sizeof cause, "%s", ERRBUF);
    struct failure_write f = {led, &lv, cause};
    int wrc = write_failure(a->t, &f);
    if (wrc) rc = wrc;
    else err_fail(rc, "%s", cause);
  }
out:
  free(act);
  free(actp);
  free(fb);
  free(fbp);
  free(sh);
  free(shp);
  /* the resolution wrote totals and records of its own: read them back */
  if (!fatal(rc)) {
    a->seq = store_journal_last(a->t);
    int trc = store_totals_get(a->t, &a->tot);
    if (trc) rc = trc;
  }
  return rc;
}

int resolve_event(applier *a, const socloss_event *e) { return resolve_in_batch(a, e, 0); }

/* ---- group commit ------------------------------------------------------- */

struct group {
  socloss *led;
  socloss_batch_item *items;
  size_t n;
  const socloss_resolve_options *o;
};

static int group_txn(store_txn *t, void *ud) {
  struct group *g = ud;
  applier a;
  int rc = applier_start(&a, g->led, t, 1);
  for (size_t i = 0; !rc && i < g->n; i++) {
    socloss_batch_item *it = &g->items[i];
    socloss_event e = {.type = SOCLOSS_EV_DEFICIT, .id = it->id, .account = it->account,
                       .policy = g->o->policy, .policy_len = g->o->policy_len, .params = g->o->params};
    ERRBUF[0] = 0;
    int r = resolve_in_batch(&a, &e, 1);
    it->code = r;
    it->seq = r ? 0 : g->led->res->r.seq;
    snprintf(it->message, sizeof it->message, "%.255s", r ? ERRBUF : "");
    if (fatal(r)) rc = r;
  }
  if (!rc) rc = applier_finish(&a);
  applier_end(&a);
  return rc;
}

int resolve_batch_run(socloss *led, socloss_batch_item *items, size_t n, const socloss_resolve_options *o) {
  socloss_resolve_options opt;
  socloss_resolve_options_init(&opt);
  if (o) memcpy(&opt, o, o->size < sizeof opt ? o->size : sizeof opt);
  int rc = params_valid(opt.params);
  if (rc) return rc;
  struct group g = {led, items, n, &opt};
  rc = (opt.dry_run ? store_write_discard : store_write)(led->st, group_txn, &g);
  if (rc) return rc;
  ERRBUF[0] = 0;
  return SOCLOSS_OK;
}

static int write_failure(store_txn *t, void *ud) {
  struct failure_write *f = ud;
  applier a;
  uint64_t seq;
  codec_buf b = {0};
  int rc = applier_start(&a, f->led, t, 1);
  record_failure_encode(&b, f->lv->id, f->lv->account, f->lv->pol.name, f->lv->pol.hash,
                        f->lv->stage ? f->lv->stage : "load", f->cause);
  if (!rc) rc = applier_record(&a, &b, &seq);
  codec_buf_free(&b);
  applier_end(&a);
  return rc;
}

/* The result of a failure: the id, account and policy, nothing applied. */
static void failed_result(socloss *led, const live *lv) {
  deficit_rec d;
  memset(&d, 0, sizeof d);
  d.id = lv->id;
  d.id_len = strlen(lv->id);
  memcpy(d.account, lv->account, strlen(lv->account) + 1);
  memcpy(d.policy_name, lv->pol.name, sizeof d.policy_name);
  memcpy(d.policy_hash, lv->pol.hash, sizeof d.policy_hash);
  d.params = lv->params;
  d.params_len = lv->params_len;
  d.equity = lv->equity;
  d.instructions = lv->instructions;
  d.policy_us = lv->policy_us;
  result_fill(led->res, &d, "failed", 0);
}

/* One attempt with one policy: probe, then the transaction. */
static int attempt(live *lv) {
  eval_limits el = {lv->lim.instructions, lv->lim.memory, lv->lim.wall_ms};
  lv->stage = "load";
  int rc = policy_probe(lv->led, &lv->pol, &el);
  if (rc) return rc;
  lv->stage = NULL;
  return (lv->dry_run ? store_write_discard : store_write)(lv->led->st, resolve_txn, lv);
}

int resolve_run(socloss *led, const char *account, const socloss_resolve_options *o,
                    const socloss_resolution **out) {
  if (out) *out = NULL;
  if (!led->res && !(led->res = calloc(1, sizeof *led->res))) return err_fail(SOCLOSS_ENOMEM, "out of memory");
  result_clear(led->res);
  socloss_resolve_options opt;
  socloss_resolve_options_init(&opt);
  if (o) memcpy(&opt, o, o->size < sizeof opt ? o->size : sizeof opt);
  if (!account || !id_valid(account))
    return err_fail(SOCLOSS_EINVAL, "account: '%.80s' is not a valid id", account ? account : "(null)");
  if (opt.id && !id_valid(opt.id))
    return err_fail(SOCLOSS_EINVAL, "id: '%.80s' is not a valid id (1-64 printable ASCII characters, no spaces)", opt.id);
  int rc = params_valid(opt.params);
  if (rc) return rc;

  setting_read active = {.role = SOCLOSS_POLICY_ACTIVE, .account = account},
               fallback = {.role = SOCLOSS_POLICY_FALLBACK, .account = account},
               shadow = {.role = SOCLOSS_POLICY_SHADOW, .account = account};
  rc = store_read(led->st, read_settings, &active);
  if (!rc) rc = store_read(led->st, read_settings, &fallback);
  if (!rc) rc = store_read(led->st, read_settings, &shadow);
  if (rc) {
    if (rc == SOCLOSS_ENOMEM) err_fail(rc, "out of memory");
    goto done;
  }
  live lv;
  memset(&lv, 0, sizeof lv);
  lv.led = led;
  lv.account = account;
  lv.lim = active.lim;
  limits_tighten(led, &lv.lim);
  lv.dry_run = opt.dry_run;
  if (opt.id) snprintf(lv.id, sizeof lv.id, "%s", opt.id);
  else snprintf(lv.id, sizeof lv.id, "%llu-%.40s", (unsigned long long)active.last + 1, account);
  lv.pol.source = opt.policy ? opt.policy : active.source;
  lv.pol.len = opt.policy ? opt.policy_len : active.len;
  lv.params = opt.params ? opt.params : opt.policy ? "" : active.params ? active.params : "";
  lv.params_len = strlen(lv.params);
  lv.shadow = shadow.source;
  lv.shadow_len = shadow.len;
  lv.shadow_params = shadow.params;
  if (!lv.pol.source) {
    rc = err_fail(SOCLOSS_EINVAL, "policy: none given and the ledger has no active policy (socloss policy set)");
    goto done;
  }
  rc = attempt(&lv);
  if (rc != SOCLOSS_EPOLICY) goto done;

  /* The policy failed: nothing of it was applied.  Journal why, then try
   * the fallback. */
  log_say(&led->log, "deficit %s of %s: %s", lv.id, account, ERRBUF);
  snprintf(led->res->failure, sizeof led->res->failure, "%s", ERRBUF);
  char cause[ERRMSG_MAX];
  snprintf(cause, sizeof cause, "%s", ERRBUF);
  if (!lv.dry_run) {
    struct failure_write f = {led, &lv, cause};
    int wrc = store_write(led->st, write_failure, &f);
    if (wrc) {
      rc = wrc;
      goto done;
    }
  }
  if (fallback.source) {
    live fb = lv;
    memset(&fb.pol, 0, sizeof fb.pol);
    fb.pol.source = fallback.source;
    fb.pol.len = fallback.len;
    fb.params = fallback.params;
    fb.params_len = fallback.plen;
    fb.stage = NULL;
    rc = attempt(&fb);
    if (rc == SOCLOSS_OK) {
      snprintf(led->res->failure, sizeof led->res->failure, "%s", cause);
      goto done;
    }
    if (rc == SOCLOSS_EPOLICY) {
      char second[ERRMSG_MAX];
      snprintf(second, sizeof second, "%s", ERRBUF);
      if (!lv.dry_run) {
        struct failure_write f = {led, &fb, second};
        store_write(led->st, write_failure, &f);
      }
      err_fail(SOCLOSS_EPOLICY, "%.480s; fallback: %.480s", cause, second);
    }
  }
  if (rc == SOCLOSS_EPOLICY) {
    failed_result(led, &lv);
    snprintf(led->res->failure, sizeof led->res->failure, "%s", ERRBUF);
  }
done:
  free(active.source);
  free(active.params);
  free(fallback.source);
  free(fallback.params);
  free(shadow.source);
  free(shadow.params);
  if (out && led->res->r.status) *out = &led->res->r;
  return rc;
}

/* ---- deciding again (replay) --------------------------------------------- */

static int decide_txn(store_txn *t, void *ud) {
  int rc = resolve_txn(t, ud);
  return rc ? rc : SOCLOSS_ESTOP;  /* keep the result, throw the writes away */
}

int resolve_decide(applier *a, const char *id, size_t id_len, const char *account, const char *src, size_t len,
                   const char *params, size_t plen, char *params_buf) {
  socloss *led = a->led;
  if (!led->res && !(led->res = calloc(1, sizeof *led->res))) return err_fail(SOCLOSS_ENOMEM, "out of memory");
  result_clear(led->res);
  int rc = applier_finish(a);
  if (rc) return rc;
  live lv;
  memset(&lv, 0, sizeof lv);
  lv.led = led;
  lv.account = account;
  lv.dry_run = 1;
  snprintf(lv.id, sizeof lv.id, "%.*s", (int)id_len, id);
  memcpy(params_buf, params, plen);
  params_buf[plen] = 0;
  lv.params = params_buf;
  lv.params_len = plen;
  lv.pol.source = src;
  lv.pol.len = len;
  if ((rc = limits_for(led, a->t, &lv.lim))) return rc;
  eval_limits el = {lv.lim.instructions, lv.lim.memory, lv.lim.wall_ms};
  if ((rc = policy_probe(led, &lv.pol, &el))) return rc;
  rc = store_nested(a->t, decide_txn, &lv);
  return rc == SOCLOSS_ESTOP ? SOCLOSS_OK : rc;
}
