/*
 * steps.c — steps 1 to 6 of a resolution (docs/design.md), the same
 * functions for a live resolution and for the replay of its journal record,
 * which is validated again action by action:
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
 *  6. bad debt: whatever is still uncovered; the account ends at zero.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "blocks.h"
#include "resolve_int.h"

/* ---- step 1: bankruptcy prices ------------------------------------------ */

int bankruptcy_prices(deficit_rec *d) {
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
    m->deficit = share[k];
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
/* The indexed way: slot_of(ud, k) in [0, nslots) for each of n actions; a
 * bit per slot, then the first of the repeated pair found again. */
static long slot_repeat(size_t n, size_t nslots, size_t (*slot_of)(const void *, size_t), const void *ud,
                        size_t *first) {
  uint64_t *seen = calloc(nslots / 64 + 1, sizeof *seen);
  if (!seen) return -2;
  long dup = -1;
  for (size_t k = 0; k < n && dup < 0; k++) {
    size_t i = slot_of(ud, k);
    if (seen[i / 64] >> (i % 64) & 1) dup = (long)k;
    seen[i / 64] |= (uint64_t)1 << (i % 64);
  }
  free(seen);
  for (size_t k = 0; dup >= 0 && k < (size_t)dup; k++)
    if (slot_of(ud, k) == slot_of(ud, (size_t)dup)) {
      *first = k;
      break;
    }
  return dup;
}

struct ref_slots {
  const ref *refs;
  size_t ncands;
};

static size_t ref_slot(const void *ud, size_t k) {
  const struct ref_slots *r = ud;
  return (size_t)r->refs[k].market * r->ncands + r->refs[k].index;
}

static long first_repeat(const ref *refs, size_t n, size_t ncands, size_t nm, size_t *first) {
  int indexed = ncands > 0;
  for (size_t k = 0; indexed && k < n; k++) indexed = refs[k].index < ncands && refs[k].market < (nm ? nm : 1);
  if (indexed) {
    struct ref_slots r = {refs, ncands};
    return slot_repeat(n, ncands * (nm ? nm : 1), ref_slot, &r, first);
  }
  ref *s = blocks_malloc((n ? n : 1) * sizeof *s);
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

static int refuse(step *s, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int refuse(step *s, int code, const char *fmt, ...) {
  char msg[600];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return err_fail(code, "%s%s", s->label, msg);
}

/* ---- step 2: deleverage --------------------------------------------------
 *
 * The exact bankruptcy transfer (rules 2).  A's share d of the deficit in a
 * market of |size| = N lots is d / N atoms per lot; a close of q lots with
 * share s (basis points) moves d*q*s / (N*10000) atoms from the holder to A.
 * Each close gets the floor; the market's total is the floor of the sum, and
 * the spare atoms between the two go one each, by largest remainder (ties to
 * the lower account id), to holders who can bear one more atom.  Whatever is
 * not moved stays in A's hole.  d*q*s needs up to 140 bits, so the floor is
 * taken in two stages that each fit 128. */
static void exact_share(int64_t d, int64_t q, uint32_t share, int64_t n, int64_t *t, unsigned __int128 *rem) {
  unsigned __int128 a = (unsigned __int128)d * (uint64_t)q;   /* < 2^126 */
  /* the same stages in 64 bits when every step fits (a < 2^64, N < 2^49,
   * qa < 2^50: qs, N x 10000 and low stay below 2^64), as they do for most
   * closes: a 128-bit division is a library call, and a million closes
   * made three million of them */
  if (!(a >> 64) && (uint64_t)n < (UINT64_C(1) << 49)) {
    uint64_t a64 = (uint64_t)a, qa = a64 / (uint64_t)n, ra = a64 % (uint64_t)n;
    if (qa < (UINT64_C(1) << 50)) {
      uint64_t qs = qa * share, m = (uint64_t)n * 10000, low = qs % 10000 * (uint64_t)n + ra * share;
      *t = (int64_t)(qs / 10000 + low / m);
      *rem = low % m;
      return;
    }
  }
  unsigned __int128 qa = a / (uint64_t)n, ra = a % (uint64_t)n;
  unsigned __int128 qs = qa * share;                           /* qa <= d: < 2^77 */
  unsigned __int128 h = qs / 10000, l = qs % 10000;
  unsigned __int128 m = (unsigned __int128)(uint64_t)n * 10000;
  unsigned __int128 low = l * (uint64_t)n + ra * share;        /* < 2 * m */
  *t = (int64_t)(h + low / m);                                 /* <= d */
  *rem = low % m;
}

typedef struct ranked {
  unsigned __int128 rem;
  const dl_action *x;
  size_t k;
} ranked;

static int by_remainder(const void *a, const void *b) {
  const ranked *x = a, *y = b;
  if (x->rem != y->rem) return x->rem > y->rem ? -1 : 1;
  int c = memcmp(x->x->holder, y->x->holder, x->x->len < y->x->len ? x->x->len : y->x->len);
  if (c) return c;
  return (x->x->len > y->x->len) - (x->x->len < y->x->len);
}

/* Every close's transfer (rules 2): a close that would leave its holder's
 * equity below zero, or lower when it already was, is refused.  Live, the
 * transfers are written into the actions; in a replay the recorded ones
 * must be what is due. */
static int transfers(step *s, closes *c, int replay) {
  deficit_rec *d = s->d;
  size_t n = d->ndl ? d->ndl : 1;
  const uint32_t *slot = c->slot;
  __int128 *equity = blocks_malloc((c->nslots ? c->nslots : 1) * sizeof *equity);
  int64_t *due = blocks_malloc(n * sizeof *due);
  unsigned __int128 sum_rem[DEFICIT_MARKETS_MAX] = {0};
  int rc = equity && due ? SOCLOSS_OK : err_fail(SOCLOSS_ENOMEM, "out of memory");
  /* each holder's equity before the closes, in id order: the candidates'
   * column (live) or read (kept: the closes start from it) */
  for (size_t sl = 0; !rc && sl < c->nslots; sl++) {
    party *h = &c->h[sl];
    if (!h->has_e) {
      char id[CODEC_ID_MAX + 1];
      int64_t balance;
      copy_id(id, c->id[sl], c->len[sl]);
      rc = store_account_get(s->a->t, id, &balance);
      if (!rc) rc = applier_equity(s->a, id, balance, &h->e);
      if (rc) break;
      h->balance = balance;
      h->has_balance = h->has_e = 1;
    }
    equity[sl] = h->e;
  }
  for (size_t k = 0; !rc && k < d->ndl; k++) {
    const dl_action *x = &d->dl[k];
    const deficit_market *m = &d->mk[x->market];
    unsigned __int128 rem;
    exact_share(m->deficit, x->size, x->share, m->size < 0 ? -m->size : m->size, &due[k], &rem);
    sum_rem[x->market] += rem;
    __int128 *e = &equity[slot[k]];
    if (due[k] > 0 && (*e < 0 || *e - due[k] < 0)) {
      char before[48], after[48];
      rc = refuse(s, SOCLOSS_EPOLICY,
                  "deleverage action %zu: closing %lld lots of '%.*s' in '%s' moves %lld atoms to '%s', which "
                  "would take its equity from %s to %s (a close never makes or deepens a bankruptcy)",
                  k + 1, (long long)x->size, (int)x->len, x->holder, m->market, (long long)due[k], d->account,
                  i128_text(*e, before), i128_text(*e - due[k], after));
    }
    *e -= due[k];
  }
  /* the spare atoms, market by market, to the largest remainders that can
   * bear one more atom */
  for (size_t mk = 0; !rc && mk < d->nm; mk++) {
    int64_t lots = d->mk[mk].size < 0 ? -d->mk[mk].size : d->mk[mk].size;
    unsigned __int128 left = sum_rem[mk] / ((unsigned __int128)(uint64_t)lots * 10000);
    if (!left) continue;
    size_t cnt = 0;
    ranked *sel = blocks_malloc(n * sizeof *sel);
    if (!sel) {
      rc = err_fail(SOCLOSS_ENOMEM, "out of memory");
      break;
    }
    for (size_t k = 0; k < d->ndl; k++) {  /* each remainder again: kept for a million closes, they cost more */
      const dl_action *x = &d->dl[k];
      int64_t t;
      if (x->market != mk) continue;
      sel[cnt] = (ranked){0, x, k};
      exact_share(d->mk[mk].deficit, x->size, x->share, lots, &t, &sel[cnt].rem);
      if (sel[cnt].rem) cnt++;
    }
    qsort(sel, cnt, sizeof *sel, by_remainder);
    for (size_t j = 0; j < cnt && left; j++) {
      __int128 *e = &equity[slot[sel[j].k]];
      if (*e < 1) continue;
      *e -= 1;
      due[sel[j].k] += 1;
      left--;
    }
    free(sel);
  }
  for (size_t k = 0; !rc && k < d->ndl; k++) {
    if (!replay) d->dl[k].transfer = due[k];
    else if (d->dl[k].transfer != due[k])
      rc = refuse(s, SOCLOSS_EINVARIANT, "deleverage action %zu: transfer %lld recorded, %lld due", k + 1,
                  (long long)d->dl[k].transfer, (long long)due[k]);
  }
  free(equity);
  free(due);
  return rc;
}

/* Moves atoms from a holder's balance to the bankrupt account's. */
static int move_atoms(step *s, const char *holder, int64_t atoms) {
  int64_t hb, ab;
  int rc = store_account_get(s->a->t, holder, &hb);
  if (!rc) rc = store_account_get(s->a->t, s->d->account, &ab);
  if (rc) return rc;
  if (!fits_i64((__int128)hb - atoms) || !fits_i64((__int128)ab + atoms)) return transfer_refused(holder);
  rc = store_account_put(s->a->t, holder, hb - atoms);
  return rc ? rc : store_account_put(s->a->t, s->d->account, ab + atoms);
}

/* The closes one by one, as trades and transfers written as they go: for
 * ids that are not their store keys (a NUL byte in a journal record's id),
 * where one account may stand for several ids. */
static int closes_one_by_one(step *s) {
  deficit_rec *d = s->d;
  int rc = SOCLOSS_OK;
  for (size_t k = 0; !rc && k < d->ndl; k++) {
    const dl_action *x = &d->dl[k];
    const deficit_market *m = &d->mk[x->market];
    char holder[CODEC_ID_MAX + 1];
    copy_id(holder, x->holder, x->len);
    int64_t price = d->rules >= 2 ? m->mark : m->bankruptcy_price;
    /* the bankrupt long sells to the short holder, or buys from the long */
    rc = m->size > 0 ? ledger_trade(s->a, m->market, holder, d->account, x->size, price)
                     : ledger_trade(s->a, m->market, d->account, holder, x->size, price);
    if (!rc && d->rules >= 2 && x->transfer) rc = move_atoms(s, holder, x->transfer);
  }
  return rc;
}

/* Step 2: every close validated (docs/design.md §5), then each traded
 * against the bankrupt account: under rules 2 at mark plus the exact
 * transfer, under rules 1 at the rounded bankruptcy price.  Live, the
 * holders' positions, balances and equity are the candidate columns the
 * policy saw (nothing has been written since they were read), so no holder
 * is read; the closes are applied in memory and each record written once
 * (closes.c). */
int step_deleverage(step *s, int replay) {
  deficit_rec *d = s->d;
  __int128 closed[DEFICIT_MARKETS_MAX] = {0};
  closes c = {0};
  ref *refs = blocks_malloc((d->ndl ? d->ndl : 1) * sizeof *refs);
  c.pos = blocks_malloc((d->ndl ? d->ndl : 1) * sizeof *c.pos);
  if (!refs || !c.pos) {
    free(refs);
    free(c.pos);
    return err_fail(SOCLOSS_ENOMEM, "out of memory");
  }
  int rc = SOCLOSS_OK, plain = 1;
  size_t alen = strlen(d->account);
  for (size_t k = 0; !rc && k < d->ndl; k++) {
    const dl_action *x = &d->dl[k];
    /* a candidate's id is a C string's bytes, at most 64 (cands.c): it is
     * compared, and copied for a message, without a copy for each close */
    int cand = x->index < s->ncands, self;
    char holder[CODEC_ID_MAX + 1];
    if (cand) {
      self = x->len == alen && !memcmp(x->holder, d->account, alen);
    } else {
      copy_id(holder, x->holder, x->len);
      self = !strcmp(holder, d->account);
      plain = plain && x->len <= CODEC_ID_MAX && !memchr(x->holder, 0, x->len);
    }
    refs[k] = (ref){x->holder, x->len, x->market, (uint32_t)k, x->index};
    if (x->market >= d->nm) {
      rc = refuse(s, SOCLOSS_EPOLICY, "deleverage action %zu: market index %u out of range", k + 1, x->market);
      break;
    }
    deficit_market *m = &d->mk[x->market];
    int64_t held = 0, limit = m->size < 0 ? -m->size : m->size;
    store_position p = {0, 0};
    if (!x->len || self) {
      rc = refuse(s, SOCLOSS_EPOLICY, "deleverage action %zu: the bankrupt account itself", k + 1);
      break;
    }
    if (x->size <= 0) {
      rc = refuse(s, SOCLOSS_EPOLICY, "deleverage action %zu: size %lld must be > 0", k + 1, (long long)x->size);
      break;
    }
    if (x->share > 10000) {
      rc = refuse(s, SOCLOSS_EPOLICY, "deleverage action %zu: share %u must be between 0 and 10000", k + 1,
                  x->share);
      break;
    }
    if (s->hint_size && cand) {  /* the column the policy saw */
      size_t at = (size_t)x->market * s->hint_stride + x->index;
      p = (store_position){s->hint_size[at], s->hint_cost[at]};
    } else {
      if (cand) copy_id(holder, x->holder, x->len);
      rc = store_position_get(s->a->t, m->market, holder, &p);
      if (rc && rc != SOCLOSS_ENOTFOUND) break;
      rc = SOCLOSS_OK;
    }
    c.pos[k] = p;
    if (p.size != 0 && (p.size > 0) != (m->size > 0)) held = p.size < 0 ? -p.size : p.size;
    if (cand && (held == 0 || x->size > held)) copy_id(holder, x->holder, x->len);
    if (held == 0)
      rc = refuse(s, SOCLOSS_EPOLICY, "deleverage action %zu: '%s' holds no opposite position in '%s'", k + 1,
                  holder, m->market);
    else if (x->size > held)
      rc = refuse(s, SOCLOSS_EPOLICY, "deleverage action %zu: size %lld exceeds the %lld lots '%s' holds in '%s'",
                  k + 1, (long long)x->size, (long long)held, holder, m->market);
    /* in 128 bits: sizes near 2^62 add up past int64; the first sum over
     * the limit stops the walk, so it is below 2^64 when shown */
    else if ((closed[x->market] += x->size) > limit)
      rc = refuse(s, SOCLOSS_EPOLICY,
                  "deleverage action %zu: closes %llu lots in '%s' in all, more than the %lld of '%s'", k + 1,
                  (unsigned long long)closed[x->market], m->market, (long long)limit, d->account);
  }
  size_t first = 0;
  long dup = rc ? -1 : first_repeat(refs, d->ndl, s->ncands, d->nm, &first);
  if (dup == -2) rc = err_fail(SOCLOSS_ENOMEM, "out of memory");
  else if (dup >= 0)
    rc = refuse(s, SOCLOSS_EPOLICY, "deleverage action %ld: '%.*s' already closed in '%s' by action %zu", dup + 1,
                (int)d->dl[dup].len, d->dl[dup].holder, d->mk[d->dl[dup].market].market, first + 1);
  free(refs);
  if (!rc && d->ndl) rc = closes_slots(s, &c);
  if (!rc && d->rules >= 2) rc = transfers(s, &c, replay);
  if (!rc && d->ndl) rc = plain && closes_in_bulk ? closes_apply(s, &c) : closes_one_by_one(s);
  closes_free(&c);
  return rc;
}

/* Step 3: the rest of each position to the fund at mark. */
int step_takeover(step *s) {
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

int step_hole(step *s, int64_t *h) {
  int64_t b;
  int rc = store_account_get(s->a->t, s->d->account, &b);
  if (rc) return rc;
  *h = b < 0 ? -b : 0;
  return SOCLOSS_OK;
}

int step_credit(step *s, int64_t amount) {
  int64_t b;
  int rc = store_account_get(s->a->t, s->d->account, &b);
  return rc ? rc : store_account_put(s->a->t, s->d->account, b + amount);  /* b < 0, b + amount <= 0 */
}

/* Step 4, for a replay: the recorded draw must be possible. */
int step_fund(step *s, int64_t hole_now, int64_t cap) {
  int64_t draw = s->d->fund_draw, cash = s->a->tot.fund_cash;
  if (draw < 0 || draw > hole_now || draw > (cash > 0 ? cash : 0) || (cap > 0 && draw > cap))
    return refuse(s, SOCLOSS_EINVARIANT, "fund draw %lld is not possible (hole %lld, cash %lld)", (long long)draw,
                  (long long)hole_now, (long long)cash);
  s->a->tot.fund_cash -= draw;
  return step_credit(s, draw);
}

/* Lowers the profit of the positions in `markets` that are in profit by up
 * to *amount in all (cost raised; split by profit, largest remainders, ties
 * to the lower market id); *amount keeps what is left. */
static int lower_profit(step *s, const char *id, const market_list *ml, int in_deficit_markets, int64_t *amount) {
  int64_t w[DEFICIT_MARKETS_MAX], part[DEFICIT_MARKETS_MAX];
  store_position pos[DEFICIT_MARKETS_MAX];
  size_t at[DEFICIT_MARKETS_MAX], n = 0;
  __int128 profit = 0;
  for (size_t j = 0; j < ml->n && n < DEFICIT_MARKETS_MAX; j++) {
    int in = 0;
    for (size_t k = 0; k < s->d->nm && !in; k++) in = !strcmp(s->d->mk[k].market, ml->m[j].market);
    if (in != in_deficit_markets) continue;
    store_position p;
    int rc = store_position_get(s->a->t, ml->m[j].market, id, &p);
    if (rc == SOCLOSS_ENOTFOUND) continue;
    if (rc) return rc;
    __int128 u = (__int128)p.size * ml->m[j].mark - p.cost;
    if (u <= 0) continue;
    w[n] = u > INT64_MAX ? INT64_MAX : (int64_t)u;
    pos[n] = p;
    at[n++] = j;
    profit += u;
  }
  if (!n) return SOCLOSS_OK;
  int64_t take = profit < *amount ? (int64_t)profit : *amount;
  if (alloc_pro_rata(w, n, take, part)) return err_fail(SOCLOSS_ENOMEM, "out of memory");
  for (size_t i = 0; i < n; i++) {
    if (!part[i]) continue;
    pos[i].cost += part[i];  /* <= size x mark: the profit is never overdrawn */
    int rc = store_position_put(s->a->t, ml->m[at[i]].market, id, &pos[i]);
    if (rc) return rc;
  }
  *amount -= take;
  return SOCLOSS_OK;
}

/* A haircut under rules 2: out of the account's profit in the deficit's
 * markets, then in its other markets, and only the rest out of its balance,
 * so that the next deficit of a cascade sees what is left of the profit. */
static int out_of_profit(step *s, const char *id, int64_t balance, int64_t amount) {
  applier *a = s->a;
  int rc = applier_markets(a);
  if (!rc) rc = lower_profit(s, id, &a->ml, 1, &amount);
  if (!rc && amount) rc = lower_profit(s, id, &a->ml, 0, &amount);
  if (!rc && amount) rc = store_account_put(a->t, id, balance - amount);
  return rc;
}

/* The common case of a haircut out of profit, live: the candidates' columns
 * (as the haircut step saw them) hold the account's positions in the
 * deficit's markets, so when their profit covers the amount it is split and
 * written with no read.  The writes go through one cursor per market (wc,
 * opened here on first use): the candidates are in id order, so a policy
 * answering in that order writes each market's positions in key order and
 * LMDB finds each from the one before instead of searching from the root;
 * the records written are those of store_position_put.  1: done; 0: the
 * slow path must do it (a failed write too: it reports). */
static int from_columns(step *s, store_cursor **wc, const long *vm, const char *id, size_t id_len, uint32_t i,
                        int64_t amount) {
  const deficit_rec *d = s->d;
  if (!s->hint_cost) return 0;
  int64_t w[DEFICIT_MARKETS_MAX], part[DEFICIT_MARKETS_MAX];
  __int128 profit = 0;
  size_t paying = 0, last = 0;
  for (size_t m = 0; m < d->nm; m++) {
    int64_t u = s->hint_upnl[m * s->hint_stride + i];
    w[m] = u > 0 ? u : 0;
    profit += w[m];
    if (w[m]) paying++, last = m;
  }
  if (profit < amount) return 0;
  if (paying == 1) {  /* one position in profit: it all (what alloc_pro_rata gives, without its work) */
    for (size_t m = 0; m < d->nm; m++) part[m] = m == last ? amount : 0;  /* (a memset's start-up cost more) */
  } else if (alloc_pro_rata(w, d->nm, amount, part)) {
    return 0;
  }
  for (size_t m = 0; m < d->nm; m++) {
    if (!part[m]) continue;
    store_position p = {s->hint_size[m * s->hint_stride + i], s->hint_cost[m * s->hint_stride + i] + part[m]};
    if (!wc[m] && store_cursor_position_writes(s->a->t, &wc[m])) return 0;
    uint32_t row = s->hint_row ? s->hint_row[i] : UINT32_MAX;
    int seen = vm && row != UINT32_MAX && view_row(s->a->led, vm[m], row, id, id_len);
    if (store_put_position_hinted(wc[m], d->mk[m].market, id, &p,
                                  seen ? STORE_SEEN : row != UINT32_MAX ? row : STORE_NO_HINT))
      return 0;
    if (seen) view_put(s->a->led, vm[m], row, p.size, p.cost);
  }
  return 1;
}

static int charge_each(step *s, store_cursor **wc, const long *vm, int64_t shortfall, __int128 *total_out);

/* first_repeat for haircuts that all name a candidate by index (a live
 * resolution), without the refs array; -3 when some action has no index
 * (a replay: by ids). */
static size_t hc_slot(const void *ud, size_t k) { return ((const hc_action *)ud)[k].index; }

static long hc_repeat(const hc_action *hc, size_t n, size_t ncands, size_t *first) {
  for (size_t k = 0; k < n; k++)
    if (hc[k].index >= ncands) return -3;
  return slot_repeat(n, ncands, hc_slot, hc, first);
}

/* Step 5: every haircut validated, then charged; *total gets their sum. */
int charge_haircuts(step *s, int64_t shortfall, int64_t *total_out) {
  deficit_rec *d = s->d;
  size_t first = 0;
  long dup = s->ncands ? hc_repeat(d->hc, d->nhc, s->ncands, &first) : -3;
  if (dup == -3) {
    ref *refs = blocks_malloc((d->nhc ? d->nhc : 1) * sizeof *refs);
    if (!refs) return err_fail(SOCLOSS_ENOMEM, "out of memory");
    for (size_t k = 0; k < d->nhc; k++)
      refs[k] = (ref){d->hc[k].account, d->hc[k].len, 0, (uint32_t)k, d->hc[k].index};
    dup = first_repeat(refs, d->nhc, s->ncands, 1, &first);
    free(refs);
  }
  if (dup == -2) return err_fail(SOCLOSS_ENOMEM, "out of memory");
  if (dup >= 0)
    return refuse(s, SOCLOSS_EPOLICY, "haircut action %ld: '%.*s' already charged by action %zu", dup + 1,
                  (int)d->hc[dup].len, d->hc[dup].account, first + 1);
  __int128 total = 0;
  store_cursor *wc[DEFICIT_MARKETS_MAX] = {0};  /* from_columns' writes, by market */
  /* the candidates came from the view: from_columns sets its rows itself */
  long vm[DEFICIT_MARKETS_MAX];
  int direct = s->hint_row && view_markets(s->a->led, s->a->t, d, vm);
  int rc = charge_each(s, wc, direct ? vm : NULL, shortfall, &total);
  for (size_t m = 0; m < DEFICIT_MARKETS_MAX; m++) store_cursor_close(wc[m]);
  *total_out = (int64_t)total;
  return rc;
}

/* charge_haircuts' loop: each haircut checked, then charged; *total their sum. */
static int charge_each(step *s, store_cursor **wc, const long *vm, int64_t shortfall, __int128 *total_out) {
  deficit_rec *d = s->d;
  __int128 total = 0;
  int rc = SOCLOSS_OK;
  size_t alen = strlen(d->account);
  for (size_t k = 0; !rc && k < d->nhc; k++) {
    const hc_action *x = &d->hc[k];
    char id[CODEC_ID_MAX + 1];
    copy_id(id, x->account, x->len);
    int64_t balance = 0;
    __int128 equity;
    /* a candidate (live) exists, and an earlier haircut changes no one
     * else's equity, so the candidates' column is exact; a replay reads */
    int hinted = s->equity_hint && x->index != UINT32_MAX;
    size_t len = hinted ? x->len : strlen(id);  /* a candidate's id is a key: no NUL in it */
    if (x->amount <= 0)
      return refuse(s, SOCLOSS_EPOLICY, "haircut action %zu: amount %lld must be > 0", k + 1, (long long)x->amount);
    if (len == alen && !bytes_order(id, len, d->account, alen))
      return refuse(s, SOCLOSS_EPOLICY, "haircut action %zu: the bankrupt account itself", k + 1);
    if (hinted) {
      equity = s->equity_hint[x->index];
    } else {
      rc = store_account_get(s->a->t, id, &balance);
      if (rc == SOCLOSS_ENOTFOUND) return refuse(s, SOCLOSS_EPOLICY, "haircut action %zu: unknown account '%s'", k + 1, id);
      if (rc || (rc = applier_equity(s->a, id, balance, &equity))) return rc;
    }
    if (x->amount > equity)
      return refuse(s, SOCLOSS_EPOLICY, "haircut action %zu: %lld exceeds the equity %lld of '%s'", k + 1,
                    (long long)x->amount, (long long)(equity > 0 ? equity : 0), id);
    if ((total += x->amount) > shortfall)
      return refuse(s, SOCLOSS_EPOLICY, "haircut action %zu: the haircuts add up to %lld, more than the shortfall %lld",
                    k + 1, (long long)total, (long long)shortfall);
    if (d->rules >= 2 && hinted && from_columns(s, wc, vm, id, len, x->index, x->amount)) continue;  /* done from the columns */
    if (hinted && (rc = store_account_get(s->a->t, id, &balance))) return rc;
    rc = d->rules >= 2 ? out_of_profit(s, id, balance, x->amount) : store_account_put(s->a->t, id, balance - x->amount);
  }
  *total_out = total;
  return rc;
}

int step_haircuts(step *s, int64_t shortfall) {
  int64_t total = 0;
  int rc = charge_haircuts(s, shortfall, &total);
  return rc ? rc : step_credit(s, total);
}

/* Step 6: what is left becomes bad debt; the account ends at zero. */
int step_bad_debt(step *s, int64_t left) {
  __int128 bd = (__int128)s->a->tot.bad_debt + left;
  if (!fits_i64(bd)) return err_fail(SOCLOSS_EOVERFLOW, "bad debt overflows int64");
  s->a->tot.bad_debt = (int64_t)bd;
  s->d->bad_debt = left;
  return step_credit(s, left);
}

int joint_credit(applier *a, const int64_t *hole, size_t n, int64_t covered, int64_t *credit) {
  if (alloc_pro_rata(hole, n, covered, credit)) return err_fail(SOCLOSS_ENOMEM, "out of memory");
  (void)a;
  return SOCLOSS_OK;
}

/* Steps 1-4 of a recorded deficit: *hole gets what the fund left open. */
static int replay_first_steps(step *s, int64_t cap, int64_t *hole) {
  int64_t h;
  int rc = step_deleverage(s, 1);
  if (!rc) rc = step_takeover(s);
  if (!rc) rc = step_hole(s, &h);
  if (!rc) rc = step_fund(s, h, cap);
  if (!rc) *hole = h - s->d->fund_draw;
  return rc;
}

/* Step 6 of a recorded deficit: what is left must be its bad debt. */
static int replay_bad_debt(step *s, uint64_t seq) {
  int64_t left;
  int rc = step_hole(s, &left);
  if (rc) return rc;
  if (left != s->d->bad_debt)
    return err_fail(SOCLOSS_EINVARIANT, "bad debt %lld recorded, %lld left", (long long)s->d->bad_debt,
                    (long long)left);
  if ((rc = step_bad_debt(s, left))) return rc;
  return store_deficit_put(s->a->t, s->d->id, s->d->id_len, seq);
}

int joint_replay(applier *a, const joint_rec *j, uint64_t seq) {
  size_t n = j->nparts;
  int64_t *hole = blocks_malloc((n ? n : 1) * sizeof *hole), *credit = blocks_malloc((n ? n : 1) * sizeof *credit);
  int rc = hole && credit ? SOCLOSS_OK : err_fail(SOCLOSS_ENOMEM, "out of memory");
  __int128 shortfall = 0;
  for (size_t k = 0; !rc && k < n; k++) {
    step s = {.a = a, .d = &j->parts[k], .label = ""};
    rc = replay_first_steps(&s, j->fund_max_draw, &hole[k]);
    shortfall += hole[k];
  }
  /* one set of haircuts for the combined shortfall, credited by hole */
  deficit_rec all;
  memset(&all, 0, sizeof all);
  all.rules = j->rules;
  all.account[0] = 0;
  all.nhc = j->nhc;
  all.hc = j->hc;
  for (size_t k = 0; !rc && k < n && all.nm < DEFICIT_MARKETS_MAX; k++)
    for (size_t m = 0; m < j->parts[k].nm && all.nm < DEFICIT_MARKETS_MAX; m++) all.mk[all.nm++] = j->parts[k].mk[m];
  step s = {.a = a, .d = &all, .label = ""};
  int64_t covered = 0;
  if (!rc && !fits_i64(shortfall)) rc = err_fail(SOCLOSS_EOVERFLOW, "the event's shortfall overflows int64");
  if (!rc) rc = charge_haircuts(&s, (int64_t)shortfall, &covered);
  if (!rc) rc = joint_credit(a, hole, n, covered, credit);
  for (size_t k = 0; !rc && k < n; k++) {
    if (credit[k] != j->credit[k])
      rc = err_fail(SOCLOSS_EINVARIANT, "event part %zu ('%s'): credit %lld recorded, %lld due", k + 1,
                    j->parts[k].account, (long long)j->credit[k], (long long)credit[k]);
    step ps = {.a = a, .d = &j->parts[k], .label = ""};
    if (!rc) rc = step_credit(&ps, credit[k]);
    if (!rc) rc = replay_bad_debt(&ps, seq);
  }
  free(hole);
  free(credit);
  return rc;
}

int deficit_replay(applier *a, const deficit_rec *rec, uint64_t seq, int64_t cap_rules1) {
  deficit_rec *d = (deficit_rec *)rec;
  step s = {.a = a, .d = d, .label = ""};
  int64_t h;
  int rc = step_deleverage(&s, 1);
  if (!rc) rc = step_takeover(&s);
  if (!rc) rc = step_hole(&s, &h);
  if (!rc) rc = step_fund(&s, h, d->rules >= 2 ? d->fund_max_draw : cap_rules1);
  if (!rc) rc = step_haircuts(&s, h - d->fund_draw);
  if (rc) return rc;
  int64_t left;
  if ((rc = step_hole(&s, &left))) return rc;
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

