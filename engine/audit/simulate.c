/*
 * simulate.c — one or every deficit decided under several policies, each on
 * its own copy of the state (a write transaction thrown away), with the
 * fairness figures a governance vote needs.
 *
 * Figures, per policy:
 *   charged        accounts that paid (a haircut, or a close below mark)
 *   total_charged  haircuts + what closes cost their holders: size x |mark - price|
 *   largest_share  the largest charge as a share of that account's profit
 *   gini           Gini coefficient of charge / profit over accounts in profit
 *   overshoot      notional (size x mark) closed beyond the fewest lots whose
 *                  transfer covers what the fund could not pay, market by
 *                  market in market order (as adl's fund_first counts them)
 *   fund_draw, bad_debt, deficits, failed
 *   split_delta    the account that paid most, split in two halves before the
 *                  run: what the halves pay together minus what it paid
 * Profit is an account's positive total upnl just before the first deficit
 * (after the shock).  Deficits are resolved in account-id order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "text.h"

typedef struct acct {
  char id[CODEC_ID_MAX + 1];
  int64_t profit;
  __int128 charge;
} acct;

typedef struct sim {
  socloss *led;
  const char *policy;
  size_t policy_len;
  const char *params;
  const char *account;        /* one deficit, or NULL: every bankrupt account */
  const char *shock_market;
  int64_t shock_ppm;          /* mark x (1e6 + ppm) / 1e6 */
  socloss_sim_result *out;
  acct *accts;
  size_t n, cap;
  char (*bankrupt)[CODEC_ID_MAX + 1];
  size_t nb, capb;
  const char *split;          /* second run: this account split in two first */
  char twin[CODEC_ID_MAX + 1];
  char top[CODEC_ID_MAX + 1]; /* the account that paid most */
  __int128 top_charge, pair_charge;
} sim;

/* The account in two: half the balance, half of each position (the halves
 * of an odd size differ by one lot; cost goes with the lots, truncated). */
static int split_account(sim *s, store_txn *t, const market_list *ml) {
  int64_t b, other;
  size_t len = strlen(s->split);
  snprintf(s->twin, sizeof s->twin, "%.*s~2", (int)(len > CODEC_ID_MAX - 2 ? CODEC_ID_MAX - 2 : len), s->split);
  int rc = store_account_get(t, s->split, &b);
  if (rc) return rc;
  if (store_account_get(t, s->twin, &other) == SOCLOSS_OK)
    return err_fail(SOCLOSS_EEXIST, "split: account '%s' exists already", s->twin);
  if ((rc = store_account_put(t, s->split, b / 2)) || (rc = store_account_put(t, s->twin, b - b / 2))) return rc;
  for (size_t i = 0; i < ml->n; i++) {
    store_position p, p1, p2;
    rc = store_position_get(t, ml->m[i].market, s->split, &p);
    if (rc == SOCLOSS_ENOTFOUND) continue;
    if (rc) return rc;
    p1.size = p.size / 2;
    p1.cost = (int64_t)((__int128)p.cost * p1.size / p.size);
    p2.size = p.size - p1.size;
    p2.cost = p.cost - p1.cost;
    if ((rc = store_position_put(t, ml->m[i].market, s->split, &p1)) ||
        (rc = store_position_put(t, ml->m[i].market, s->twin, &p2)))
      return rc;
  }
  return SOCLOSS_OK;
}

static int find_acct(sim *s, const char *id) {
  size_t lo = 0, hi = s->n;  /* accounts come in id order */
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    int c = strcmp(s->accts[mid].id, id);
    if (!c) return (int)mid;
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return -1;
}

struct scan {
  sim *s;
  socloss *led;
  store_txn *t;
  market_list ml;
};

static int scan_account(void *ud, const char *id, int64_t balance) {
  struct scan *sc = ud;
  sim *s = sc->s;
  __int128 eq;
  int rc = holder_equity(sc->t, &sc->ml, id, balance, &eq);
  if (rc) return rc;
  if (s->n == s->cap) {
    s->cap = s->cap ? 2 * s->cap : 256;
    acct *a = realloc(s->accts, s->cap * sizeof *a);
    if (!a) return SOCLOSS_ENOMEM;
    s->accts = a;
  }
  acct *a = &s->accts[s->n++];
  snprintf(a->id, sizeof a->id, "%s", id);
  __int128 upnl = eq - balance;
  a->profit = upnl > 0 ? (int64_t)upnl : 0;
  a->charge = 0;
  if (eq < 0 && !s->account) {
    if (s->nb == s->capb) {
      s->capb = s->capb ? 2 * s->capb : 64;
      void *b = realloc(s->bankrupt, s->capb * sizeof *s->bankrupt);
      if (!b) return SOCLOSS_ENOMEM;
      s->bankrupt = b;
    }
    snprintf(s->bankrupt[s->nb++], CODEC_ID_MAX + 1, "%s", id);
  }
  return SOCLOSS_OK;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* What one resolution charged, and its overshoot. */
static void account_for(sim *s, const market_list *ml, const socloss_resolution *r, int64_t fund_before) {
  socloss_sim_result *o = s->out;
  o->fund_draw += r->fund_draw;
  o->bad_debt += r->bad_debt;
  for (size_t k = 0; k < r->nhaircuts; k++) {
    int i = find_acct(s, r->haircuts[k].account);
    if (i >= 0) s->accts[i].charge += r->haircuts[k].amount;
  }
  __int128 left = (__int128)-r->equity - (fund_before > 0 ? fund_before : 0);
  /* per market, in the order the deficit's markets come (id order) */
  for (size_t m = 0; m < ml->n; m++) {
    const char *mk = ml->m[m].market;
    int64_t mark = ml->m[m].mark, closed = 0, price = 0, taken = 0;
    for (size_t k = 0; k < r->ndeleveraged; k++) {
      if (strcmp(r->deleveraged[k].market, mk)) continue;
      closed += r->deleveraged[k].size;
      price = r->deleveraged[k].price;
      int i = find_acct(s, r->deleveraged[k].account);
      __int128 gap = (__int128)(price > mark ? price - mark : mark - price);
      if (i >= 0) s->accts[i].charge += gap * r->deleveraged[k].size;
    }
    for (size_t k = 0; k < r->ntakeovers; k++)
      if (!strcmp(r->takeovers[k].market, mk)) taken = r->takeovers[k].size;
    if (!closed) continue;
    int64_t gap = price > mark ? price - mark : mark - price, need = 0;
    if (left > 0 && gap > 0) {
      __int128 lots = (left + gap - 1) / gap;
      need = lots < closed + (taken < 0 ? -taken : taken) ? (int64_t)lots : closed + (taken < 0 ? -taken : taken);
      left -= (__int128)need * gap;
    }
    if (closed > need) o->overshoot += (int64_t)((__int128)(closed - need) * mark);
  }
}

static int sim_txn(store_txn *t, void *ud) {
  sim *s = ud;
  socloss *led = s->led;
  socloss_sim_result *o = s->out;
  memset(o, 0, sizeof *o);  /* a grown map runs this again from the start */
  applier a;
  int rc = applier_start(&a, led, t, 1);
  if (rc) return rc;
  if (s->shock_market) {
    char q[TEXT_QUOTED(80)];
    store_market m;
    if ((rc = store_market_get(t, s->shock_market, &m)) == SOCLOSS_ENOTFOUND)
      rc = err_fail(rc, "shock: unknown market '%s'",
                    text_quote(q, s->shock_market, strlen(s->shock_market), 80));
    __int128 mark = (__int128)m.mark * (1000000 + s->shock_ppm) / 1000000;
    if (!rc && (mark < 1 || mark > INT64_MAX)) rc = err_fail(SOCLOSS_EINVAL, "shock: the mark would be %lld", (long long)mark);
    socloss_event e = {.type = SOCLOSS_EV_MARKET, .market = s->shock_market, .mark = (int64_t)mark};
    if (!rc) rc = applier_apply(&a, &e);
    if (!rc) rc = applier_finish(&a);
  }
  struct scan sc = {s, led, t, {0}};
  if (!rc) rc = markets_load(t, &sc.ml);
  if (!rc && s->split) rc = split_account(s, t, &sc.ml);
  s->n = s->nb = 0;
  if (!rc) rc = store_each_account(t, scan_account, &sc);
  if (rc == SOCLOSS_ENOMEM) err_fail(rc, "out of memory");
  if (!rc && s->account) {
    if (!s->bankrupt && !(s->bankrupt = malloc(sizeof *s->bankrupt))) rc = err_fail(SOCLOSS_ENOMEM, "out of memory");
    else snprintf(s->bankrupt[0], CODEC_ID_MAX + 1, "%s", s->account), s->nb = 1;
  }
  for (size_t i = 0; !rc && i < s->nb; i++) {
    char id[CODEC_ID_MAX + 1];
    snprintf(id, sizeof id, "sim-%zu", i + 1);
    store_totals tot;
    if ((rc = store_totals_get(t, &tot))) break;
    /* each resolution stays in this transaction, so the cascade goes on
     * from it; the transaction itself is thrown away */
    socloss_event e = {.type = SOCLOSS_EV_DEFICIT, .id = id, .account = s->bankrupt[i], .policy = s->policy,
                       .policy_len = s->policy_len, .params = s->params};
    int r = resolve_event(&a, &e);
    o->deficits++;
    if (r == SOCLOSS_EPOLICY || r == SOCLOSS_ENOTBANKRUPT) {
      o->failed++;
      continue;
    }
    if (r) {
      rc = r;
      break;
    }
    account_for(s, &sc.ml, &led->res->r, tot.fund_cash);
  }
  free(sc.ml.m);
  applier_end(&a);
  if (rc) return rc;
  /* the figures */
  double *share = malloc((s->n ? s->n : 1) * sizeof *share), sum = 0, weighted = 0;
  size_t k = 0;
  __int128 total = 0;
  if (!share) return err_fail(SOCLOSS_ENOMEM, "out of memory");
  s->top_charge = 0;
  s->pair_charge = 0;
  for (size_t i = 0; i < s->n; i++) {
    total += s->accts[i].charge;
    o->charged += s->accts[i].charge > 0;
    if (s->accts[i].charge > s->top_charge) {  /* ties keep the lower id */
      s->top_charge = s->accts[i].charge;
      snprintf(s->top, sizeof s->top, "%s", s->accts[i].id);
    }
    if (s->split && (!strcmp(s->accts[i].id, s->split) || !strcmp(s->accts[i].id, s->twin)))
      s->pair_charge += s->accts[i].charge;
    if (s->accts[i].profit > 0) share[k++] = (double)s->accts[i].charge / (double)s->accts[i].profit;
  }
  qsort(share, k, sizeof *share, cmp_double);
  for (size_t i = 0; i < k; i++) {
    size_t b = share[i] <= 0 ? 0 : share[i] > 1 ? 11 : (size_t)(share[i] * 10 - 1e-12) + 1;
    o->share_hist[b > 10 && share[i] <= 1 ? 10 : b]++;
  }
  for (size_t i = 0; i < k; i++) {
    sum += share[i];
    weighted += (double)(i + 1) * share[i];
  }
  o->largest_share = k ? share[k - 1] : 0;
  o->gini = k && sum > 0 ? 2 * weighted / ((double)k * sum) - ((double)k + 1) / (double)k : 0;
  o->total_charged = total > INT64_MAX ? INT64_MAX : (int64_t)total;
  free(share);
  return SOCLOSS_OK;  /* store_write_discard keeps nothing */
}

int simulate_run(socloss *led, const char *policy, size_t policy_len, const char *params,
                                     const char *account, const char *shock_market, int64_t shock_ppm,
                                     socloss_sim_result *out) {
  memset(out, 0, sizeof *out);
  int rc = params_valid(params);
  if (rc) return rc;
  if (!account == !shock_market)
    return err_fail(SOCLOSS_EINVAL, "simulate: give one account or one shock");
  sim s;
  memset(&s, 0, sizeof s);
  s.led = led;
  s.policy = policy;
  s.policy_len = policy_len;
  s.params = params;
  s.account = account;
  s.shock_market = shock_market;
  s.shock_ppm = shock_ppm;
  s.out = out;
  rc = store_write_discard(led->st, sim_txn, &s);
  if (!rc && s.top_charge > 0) {
    /* the split test: the same run with the largest payer in two */
    socloss_sim_result first = *out;
    char top[CODEC_ID_MAX + 1];
    __int128 before = s.top_charge;
    snprintf(top, sizeof top, "%s", s.top);
    s.split = top;
    rc = store_write_discard(led->st, sim_txn, &s);
    *out = first;
    if (!rc) {
      snprintf(out->split_account, sizeof out->split_account, "%s", top);
      out->split_delta = (int64_t)(s.pair_charge - before);
    }
  }
  free(s.accts);
  free(s.bankrupt);
  if (!rc) ERRBUF[0] = 0;
  return rc;
}

