/*
 * simulate.c — one or every deficit decided under several policies, each on
 * its own copy of the state (a write transaction thrown away), with the
 * fairness figures a governance vote needs.
 *
 * Figures, per policy:
 *   charged        accounts that paid (a haircut, or a close below mark)
 *   total_charged  haircuts + what closes cost their holders: their exact
 *                  transfers (size x |mark - price| for records of rules 1)
 *   largest_share  the largest charge as a share of that account's profit
 *   gini           Gini coefficient of charge / profit over accounts in profit
 *   overshoot      notional (size x mark) closed beyond the fewest lots whose
 *                  transfer covers what the fund could not pay, market by
 *                  market in market order (as adl's fund_first counts them)
 *   fund_draw, bad_debt, deficits, failed
 *   split_delta    the account that paid most, split in two halves before the
 *                  run: what the halves pay together minus what it paid
 * Profit is an account's gross profit (the sum of its positions' positive
 * upnl) just before the first deficit, after the shock.  A shock is one or
 * more moves (each market once), all applied, in order, before anything is
 * resolved.  The bankruptcies a
 * shock causes are resolved as one sequential crash event (account-id order,
 * each policy call seeing ctx.event).
 *
 * The ledger is only read: one snapshot is copied into a scratch ledger
 * (store_open_scratch) and every run works there in a transaction thrown
 * away, so writers go on meanwhile.  A progress callback hears of each
 * deficit and may stop the run: the figures are then those of the
 * deficits resolved so far.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simulate_int.h"
#include "text.h"

/* A callback's call, one at a time across runs side by side. */
#define CALLBACK(s, call)                      \
  ({                                           \
    if ((s)->cb) pthread_mutex_lock((s)->cb);  \
    int cb_rc_ = (call);                       \
    if ((s)->cb) pthread_mutex_unlock((s)->cb); \
    cb_rc_;                                    \
  })

/* What a deficit's policy logged, to the caller (the first run only: the
 * split test decides the same deficits again). */
static int tell_log(sim *s, const socloss_resolution *r) {
  if (!s->log || s->split || !r || !r->log || !*r->log) return SOCLOSS_OK;
  return CALLBACK(s, s->log(s->log_ud, r->id, r->log)) ? err_fail(SOCLOSS_ESTOP, "simulate: stopped by the log callback")
                                          : SOCLOSS_OK;
}

/* Why a deficit was not resolved, to the caller (the first run only). */
static int tell_failure(sim *s, const char *deficit, const char *cause) {
  if (!s->failed || s->split) return SOCLOSS_OK;
  return CALLBACK(s, s->failed(s->log_ud, deficit, cause && *cause ? cause : "the policy failed"))
             ? err_fail(SOCLOSS_ESTOP, "simulate: stopped by the failure callback")
             : SOCLOSS_OK;
}

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

/* The index of an account in s->ids, from where the last one was found. */
static int find_acct(sim *s, const char *id) {
  return (int)account_scan_find_from(&s->ids, id, strlen(id), &s->hint);
}

/* The same for an account the result indexes in the event's accounts (at,
 * or UINT32_MAX): that index itself when the event's accounts are s->ids
 * (the first step's event read them after the moves and the split, as
 * scan_accounts did), else found by id. */
static int acct_index(sim *s, uint32_t at, const char *id) {
  const event_ctx *ev = s->er ? s->er->ev : NULL;
  if (ev && ev != s->checked) {
    s->checked = ev;
    s->same = account_scan_same(&s->ids, &ev->all);
  }
  if (ev && s->same && at < s->n) return (int)at;
  return find_acct(s, id);
}

/* Every account and its gross profit (the sum of its positions' positive
 * upnl) after the shock, before the first deficit. */
static int scan_accounts(sim *s, store_txn *t) {
  account_scan_free(&s->ids);
  account_scan *all = &s->ids;
  int rc = account_scan_load(t, all);
  s->n = s->nb = 0;
  if (!rc && all->n > s->cap) {
    __int128 *p = realloc(s->paid, all->n * sizeof *p);
    if (!p) rc = err_fail(SOCLOSS_ENOMEM, "out of memory");
    else s->paid = p, s->cap = all->n;
  }
  if (!rc) {
    s->n = all->n;
    if (s->n) memset(s->paid, 0, s->n * sizeof *s->paid);
  }
  s->hint = 0;
  return rc;
}

/* Account i's id, in buf. */
static const char *acct_id(const sim *s, size_t i, char buf[CODEC_ID_MAX + 1]) {
  copy_id(buf, s->ids.ids + s->ids.off[i], s->ids.off[i + 1] - s->ids.off[i]);
  return buf;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* What one resolution charged, and its overshoot.  rb: the resolution
 * buffer r is of, or NULL (the accounts found by id). */
static void account_for(sim *s, const market_list *ml, const socloss_resolution *r, int64_t fund_before) {
  const struct resolution_buf *rb = s->led->res && &s->led->res->r == r ? s->led->res : NULL;
  socloss_sim_result *o = s->out;
  o->fund_draw += r->fund_draw;
  o->bad_debt += r->bad_debt;
  for (size_t k = 0; k < r->nhaircuts; k++) {
    int i = acct_index(s, rb ? rb->hc_at[k] : UINT32_MAX, r->haircuts[k].account);
    if (i >= 0) s->paid[i] += r->haircuts[k].amount;
  }
  /* each market's closes: how many lots, what they cost their holders
   * (rules 2 move the exact transfer; rules 1 traded at the rounded price) */
  size_t nmk = 0, at[DEFICIT_MARKETS_MAX];  /* ml's index of each market closed in, in the order met */
  int64_t closed[DEFICIT_MARKETS_MAX] = {0};
  __int128 moved[DEFICIT_MARKETS_MAX] = {0};
  const char *last = NULL;
  size_t j = 0;
  for (size_t k = 0; k < r->ndeleveraged; k++) {
    const socloss_deleveraged *x = &r->deleveraged[k];
    if (x->market != last) {  /* a deficit's closes come market by market */
      last = x->market;
      for (j = 0; j < nmk && strcmp(ml->m[at[j]].market, x->market); j++) continue;
      if (j == nmk) {
        size_t m = 0;
        while (m < ml->n && strcmp(ml->m[m].market, x->market)) m++;
        if (m == ml->n || nmk == DEFICIT_MARKETS_MAX) {  /* not a market of the ledger: no figure */
          last = NULL;
          continue;
        }
        at[nmk++] = m;
      }
    }
    int64_t mark = ml->m[at[j]].mark;
    __int128 cost = r->rules >= 2 ? (__int128)r->transfers[k]
                                  : (__int128)(x->price > mark ? x->price - mark : mark - x->price) * x->size;
    closed[j] += x->size;
    moved[j] += cost;
    int i = acct_index(s, rb ? rb->dl_at[k] : UINT32_MAX, x->account);
    if (i >= 0) s->paid[i] += cost;
  }
  __int128 left = (__int128)-r->equity - (fund_before > 0 ? fund_before : 0);
  /* per market, in the order the ledger's markets come (id order) */
  for (size_t m = 0; m < ml->n && nmk; m++) {
    size_t e = 0;
    while (e < nmk && at[e] != m) e++;
    if (e == nmk || !closed[e]) continue;
    const char *mk = ml->m[m].market;
    int64_t mark = ml->m[m].mark, taken = 0;
    for (size_t k = 0; k < r->ntakeovers; k++)
      if (!strcmp(r->takeovers[k].market, mk)) taken = r->takeovers[k].size;
    /* the fewest lots, at the closes' average transfer per lot, that cover
     * what the fund could not */
    int64_t n = closed[e], need = 0, avail = n + (taken < 0 ? -taken : taken);
    __int128 cost = moved[e];
    if (left > 0 && cost > 0) {
      __int128 lots = (left * n + cost - 1) / cost;
      need = lots < avail ? (int64_t)lots : avail;
      left -= (__int128)need * cost / n;
    }
    if (n > need) o->overshoot += (int64_t)((__int128)(n - need) * mark);
  }
}

/* Before each deficit: the fund's cash, for the overshoot. */
static int sim_before(void *ud, applier *a) {
  ((sim *)ud)->fund_before = a->tot.fund_cash;
  return SOCLOSS_OK;
}

/* After each: its figures; a policy that failed, or an account no longer
 * bankrupt, counts as not resolved. */
/* The callback, after each deficit: non-zero stops the run. */
static int told(sim *s) {
  if (!s->pg) return SOCLOSS_OK;
  /* in a scenario, the steps before this one's deficits and this one's */
  uint64_t total = s->er ? s->done_before + s->er->sum.bankrupt : 1;
  if (!CALLBACK(s, s->pg->fn(s->pg->ud, s->split ? "split test" : "deficits", s->out->deficits, total)))
    return SOCLOSS_OK;
  s->stopped = 1;
  return err_fail(SOCLOSS_ESTOP, "simulate stopped by the progress callback after %zu deficits", s->out->deficits);
}

static int sim_after(sim *s, int code, const socloss_resolution *r) {
  s->out->deficits++;
  int rc = tell_log(s, r);
  if (rc) return rc;
  if (code == SOCLOSS_EPOLICY || code == SOCLOSS_ENOTBANKRUPT) {
    s->out->failed++;
    rc = code == SOCLOSS_EPOLICY && r ? tell_failure(s, r->id, r->failure) : SOCLOSS_OK;
    return rc ? rc : told(s);
  }
  if (code) return code;
  account_for(s, s->ml, r, s->fund_before);
  return told(s);
}

static int sim_after_hook(void *ud, int code, const socloss_resolution *r) { return sim_after(ud, code, r); }

/* A joint event's results: one per account (its closes, takeovers, fund
 * draw), then the event's own (its haircuts, no account). */
static int sim_each_joint(void *ud, const socloss_resolution *r) {
  sim *s = ud;
  account_for(s, s->ml, r, s->fund_before);
  if (tell_log(s, r) != SOCLOSS_OK) return 1;
  if (!*r->account) return 0;
  s->out->deficits++;
  return told(s) != SOCLOSS_OK;
}

/* One move: the market's mark times (1e6 + ppm) / 1e6, which must stay a
 * mark (>= 1). */
static int shock_apply(applier *a, store_txn *t, const socloss_shock *sh, size_t step) {
  char q[TEXT_QUOTED(80)], at[32] = "";
  store_market m;
  if (step) snprintf(at, sizeof at, "step %zu: ", step);  /* in a scenario of several */
  int rc = store_market_get(t, sh->market, &m);
  if (rc == SOCLOSS_ENOTFOUND)
    return err_fail(rc, "%sshock: unknown market '%s'", at, text_quote(q, sh->market, strlen(sh->market), 80));
  if (rc) return rc;
  __int128 mark = (__int128)m.mark * (1000000 + sh->ppm) / 1000000;
  if (mark < 1 || mark > INT64_MAX)
    return err_fail(SOCLOSS_EINVAL, "%sshock: '%s': its mark %lld moved by %lld ppm would be %lld, not a mark (1 to %lld)",
                    at, text_quote(q, sh->market, strlen(sh->market), 80), (long long)m.mark, (long long)sh->ppm,
                    mark > INT64_MAX ? (long long)INT64_MAX : (long long)mark, (long long)INT64_MAX);
  socloss_event e = {.type = SOCLOSS_EV_MARKET, .market = sh->market, .mark = (int64_t)mark};
  return applier_apply(a, &e);
}

/* One step's moves, checked: each a market named once, by a move that leaves
 * something of the mark (ppm > -1e6) and at most 1e6% up (ppm <= 1e10).
 * at: "" or "step N: ". */
static int moves_check(const socloss_shock *v, size_t k, const char *at) {
  char q[TEXT_QUOTED(80)];
  for (size_t i = 0; i < k; i++) {
    const char *mk = v[i].market;
    if (!mk || !*mk) return err_fail(SOCLOSS_EINVAL, "%sshock %zu: no market", at, i + 1);
    if (v[i].ppm <= -1000000)
      return err_fail(SOCLOSS_EINVAL,
                      "%sshock: a move of %lld ppm (%lld%%) on '%s' would make the mark 0 or less; it must be > "
                      "-1000000 ppm (-100%%)",
                      at, (long long)v[i].ppm, (long long)(v[i].ppm / 10000), text_quote(q, mk, strlen(mk), 80));
    if (v[i].ppm > 10000000000LL)
      return err_fail(SOCLOSS_EINVAL, "%sshock: a move of %lld ppm on '%s' is more than +1000000%%", at,
                      (long long)v[i].ppm, text_quote(q, mk, strlen(mk), 80));
    for (size_t j = 0; j < i; j++)
      if (!strcmp(v[j].market, mk))
        return err_fail(SOCLOSS_EINVAL,
                        "%sshock: market '%s' is moved twice (shocks %zu and %zu); give one move per market", at,
                        text_quote(q, mk, strlen(mk), 80), j + 1, i + 1);
  }
  return SOCLOSS_OK;
}

/* The steps asked, checked before any run, into s->steps and s->moves
 * (freed by the caller): none for an account, one for shock_market and
 * shocks, or the scenario's. */
static int plan_of(const socloss_sim_options *o, sim *s) {
  size_t legacy = (o->shock_market != NULL) + (o->shocks ? o->nshocks : 0), total = legacy;
  if (o->nshocks && !o->shocks) return err_fail(SOCLOSS_EINVAL, "simulate: nshocks is %zu with no shocks", o->nshocks);
  if (o->nsteps && !o->steps) return err_fail(SOCLOSS_EINVAL, "simulate: nsteps is %zu with no steps", o->nsteps);
  if (legacy > SOCLOSS_SIM_SHOCKS_MAX)
    return err_fail(SOCLOSS_EINVAL, "simulate: %zu shocks, at most %d", legacy, SOCLOSS_SIM_SHOCKS_MAX);
  if ((o->account != NULL) + (legacy > 0) + (o->nsteps > 0) != 1)
    return err_fail(SOCLOSS_EINVAL, o->nsteps ? "simulate: give one account, shocks or steps"
                                              : "simulate: give one account or one shock");
  if (o->nsteps > SOCLOSS_SIM_STEPS_MAX)
    return err_fail(SOCLOSS_EINVAL, "simulate: %zu steps, at most %d", o->nsteps, SOCLOSS_SIM_STEPS_MAX);
  for (size_t k = 0; k < o->nsteps; k++) {
    const socloss_sim_step *st = &o->steps[k];
    if (st->nshocks > SOCLOSS_SIM_SHOCKS_MAX || (st->nshocks && !st->shocks) || st->mode < 0 || st->mode > 2)
      return err_fail(SOCLOSS_EINVAL, "step %zu: %zu shocks (at most %d, given as a list), mode %d (0, 1 or 2)", k + 1,
                      st->nshocks, SOCLOSS_SIM_SHOCKS_MAX, st->mode);
    total += st->nshocks;
  }
  if (o->account) return SOCLOSS_OK;
  s->scenario = o->nsteps > 0;
  s->nsteps = s->scenario ? o->nsteps : 1;
  s->steps = calloc(s->nsteps, sizeof *s->steps);
  s->moves = malloc((total ? total : 1) * sizeof *s->moves);
  if (!s->steps || !s->moves) return err_fail(SOCLOSS_ENOMEM, "out of memory");
  size_t n = 0;
  if (!s->scenario) {
    if (o->shock_market) s->moves[n++] = (socloss_shock){o->shock_market, o->shock_ppm};
    for (size_t i = 0; o->shocks && i < o->nshocks; i++) s->moves[n++] = o->shocks[i];
    s->steps[0] = (sim_step){s->moves, n, o->joint != 0};
    return moves_check(s->moves, n, "");
  }
  for (size_t k = 0; k < o->nsteps; k++) {
    const socloss_sim_step *st = &o->steps[k];
    char at[32];
    snprintf(at, sizeof at, "step %zu: ", k + 1);
    if (st->nshocks) memcpy(s->moves + n, st->shocks, st->nshocks * sizeof *s->moves);
    s->steps[k] = (sim_step){s->moves + n, st->nshocks, st->mode ? st->mode == 2 : o->joint != 0};
    n += st->nshocks;
    int rc = moves_check(s->steps[k].shocks, s->steps[k].n, at);
    if (rc) return rc;
  }
  return SOCLOSS_OK;
}

/* Every account bankrupt now, as one event `id` whose writes stay in this
 * transaction (so the cascade goes on from each) and are thrown away. */
static int sim_event(sim *s, applier *a, const char *id) {
  socloss *led = s->led;
  socloss_sim_result *o = s->out;
  event_run er;
  event_run_init(&er, led, id, s->policy, s->policy_len, s->params);
  s->er = &er;
  s->checked = NULL;  /* a new event: its accounts compared again */
  s->done_before = o->deficits;
  er.o.dry_run = 1;
  er.o.joint = s->joint;
  if (s->joint) {
    er.o.each = sim_each_joint;
    er.o.ud = s;
    s->fund_before = a->tot.fund_cash;  /* the parts draw on it in turn: counted from the start */
  } else {
    er.before = sim_before;
    er.after = sim_after_hook;
    er.hook_ud = s;
  }
  int rc = event_check(&er);
  if (!rc) rc = event_in(&er, a);
  if (!rc && s->joint && er.rc) {  /* the policy (and fallback) failed the event as a whole */
    o->deficits += er.sum.failed;
    o->failed += er.sum.failed;
    const socloss_resolution *r = led->res && led->res->r.status ? &led->res->r : NULL;
    rc = tell_log(s, r);
    if (!rc) rc = tell_failure(s, id, r ? r->failure : NULL);
  }
  s->er = NULL;
  return rc;
}

static int sim_txn(store_txn *t, void *ud) {
  sim *s = ud;
  socloss *led = s->led;
  socloss_sim_result *o = s->out;
  memset(o, 0, sizeof *o);  /* a grown map runs this again from the start */
  s->stopped = 0;
  /* thrown away: the accounts' and positions' writes need not reach LMDB
   * unless something walks those tables (store_cache_writes) */
  int rc = store_cache_writes(t);
  if (!rc) rc = store_cache_journal(t);  /* and of the journal only the last record */
  applier a;
  if (!rc) rc = applier_start(&a, led, t, 1);
  if (rc) return rc;
  market_list ml = {0};
  s->ml = &ml;
  if (s->account) {
    /* one deficit */
    store_totals tot;
    socloss_event e = {.type = SOCLOSS_EV_DEFICIT, .id = "sim-1", .account = s->account, .policy = s->policy,
                       .policy_len = s->policy_len, .params = s->params};
    if (!rc) rc = markets_load(t, &ml);
    if (!rc && s->split) rc = split_account(s, t, &ml);
    if (!rc) rc = scan_accounts(s, t);
    if (!rc && !(rc = store_totals_get(t, &tot))) {
      s->fund_before = tot.fund_cash;
      int code = resolve_event(&a, &e);  /* first: the result below is its */
      rc = sim_after(s, code, led->res && led->res->r.status ? &led->res->r : NULL);
    }
  }
  /* each step: its moves, then what is bankrupt resolved; the accounts'
   * profit and the split taken after the first step's moves */
  for (size_t k = 0; !rc && k < s->nsteps; k++) {
    const sim_step *st = &s->steps[k];
    char id[24] = "sim";
    if (k) snprintf(id, sizeof id, "sim%zu", k + 1);
    for (size_t i = 0; !rc && i < st->n; i++) rc = shock_apply(&a, t, &st->shocks[i], s->scenario ? k + 1 : 0);
    if (!rc && st->n) rc = applier_finish(&a);
    free(ml.m);
    memset(&ml, 0, sizeof ml);
    if (!rc) rc = markets_load(t, &ml);  /* the marks this step resolves at */
    if (!rc && !k && s->split) rc = split_account(s, t, &ml);
    if (!rc && !k) rc = scan_accounts(s, t);
    s->joint = st->joint;
    if (!rc) rc = sim_event(s, &a, id);
  }
  free(ml.m);
  applier_end(&a);
  int stopped = rc == SOCLOSS_ESTOP && s->stopped;  /* the figures so far, then ESTOP */
  if (stopped) rc = SOCLOSS_OK;
  if (rc) return rc;
  /* the figures */
  double *share = malloc((s->n ? s->n : 1) * sizeof *share), sum = 0, weighted = 0;
  size_t k = 0;
  __int128 total = 0;
  if (!share) return err_fail(SOCLOSS_ENOMEM, "out of memory");
  s->top_charge = 0;
  s->pair_charge = 0;
  char id[CODEC_ID_MAX + 1];
  for (size_t i = 0; i < s->n; i++) {
    __int128 c = s->paid[i];
    int64_t profit = s->ids.profit[i];
    total += c;
    o->charged += c > 0;
    if (c > s->top_charge) {  /* ties keep the lower id */
      s->top_charge = c;
      acct_id(s, i, s->top);
    }
    if (s->split && (!strcmp(acct_id(s, i, id), s->split) || !strcmp(id, s->twin))) s->pair_charge += c;
    if (profit > 0) share[k++] = (double)c / (double)profit;
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
  /* who paid, to the caller (the first run only) */
  for (size_t i = 0; s->charge && !s->split && i < s->n; i++) {
    __int128 c = s->paid[i];
    if (c > 0 && CALLBACK(s, s->charge(s->log_ud, acct_id(s, i, id), c > INT64_MAX ? INT64_MAX : (int64_t)c,
                                       s->ids.profit[i])))
      return err_fail(SOCLOSS_ESTOP, "simulate: stopped by the charge callback");
  }
  /* everyone in profit or charged (the charged in profit twice over: the
   * Lorenz curve needs the accounts that paid nothing too) */
  for (size_t i = 0; s->each_account && !s->split && i < s->n; i++) {
    __int128 c = s->paid[i];
    if ((c > 0 || s->ids.profit[i] > 0) &&
        CALLBACK(s, s->each_account(s->log_ud, acct_id(s, i, id), c > INT64_MAX ? INT64_MAX : (int64_t)c,
                                    s->ids.profit[i])))
      return err_fail(SOCLOSS_ESTOP, "simulate: stopped by the each_account callback");
  }
  if (stopped)
    return err_fail(SOCLOSS_ESTOP, "simulate stopped by the progress callback after %zu deficits", o->deficits);
  return SOCLOSS_OK;  /* store_write_discard keeps nothing */
}

/* The runs, on a copy of one snapshot of the ledger. */
int sim_copy_snapshot(store_txn *t, void *ud) { return store_copy_all(ud, t); }

int sim_runs(sim *s, store *scratch) {
  socloss_sim_result *out = s->out;
  int rc = store_write_discard(scratch, sim_txn, s);
  if (!rc && s->top_charge > 0 && !s->no_split) {
    /* the split test: the same run with the largest payer in two */
    socloss_sim_result first = *out;
    char top[CODEC_ID_MAX + 1];
    __int128 before = s->top_charge;
    snprintf(top, sizeof top, "%s", s->top);
    s->split = top;
    rc = store_write_discard(scratch, sim_txn, s);
    s->split = NULL;
    *out = first;
    if (!rc) {
      snprintf(out->split_account, sizeof out->split_account, "%s", top);
      out->split_delta = (int64_t)(s->pair_charge - before);
    }
  }
  return rc;
}

static int sim_snapshot(store_txn *snapshot, void *ud) {
  sim *s = ud;
  store *scratch;
  int rc = audit_scratch(s->led, &scratch);
  if (rc) return rc;
  rc = store_write(scratch, sim_copy_snapshot, snapshot);
  if (!rc) rc = sim_runs(s, scratch);
  store_close(scratch);
  return rc;
}

void socloss_sim_options_init(socloss_sim_options *o) {
  memset(o, 0, sizeof *o);
  o->size = sizeof *o;
}

int sim_prepare(socloss *led, const socloss_sim_options *opts, socloss_sim_result *out, sim *s) {
  socloss_sim_options o;
  socloss_sim_options_init(&o);
  if (opts) memcpy(&o, opts, opts->size < sizeof o ? opts->size : sizeof o);
  memset(out, 0, sizeof *out);
  memset(s, 0, sizeof *s);
  int rc = params_valid(o.params);
  if (rc || (rc = plan_of(&o, s))) return rc;
  s->led = led;
  s->policy = o.policy;
  s->policy_len = o.policy_len;
  s->params = o.params;
  s->account = o.account;
  s->joint = o.joint;
  s->log = o.log;
  s->failed = o.failed;
  s->charge = o.charge;
  s->each_account = o.each_account;
  s->no_split = o.no_split != 0;
  s->log_ud = o.log_ud;
  s->out = out;
  s->pg = o.progress && o.progress->fn ? o.progress : NULL;
  if (o.progress && o.progress->size < sizeof *o.progress)
    return err_fail(SOCLOSS_EINVAL, "progress: size is %zu, not sizeof (socloss_progress) = %zu", o.progress->size,
                    sizeof *o.progress);
  return SOCLOSS_OK;
}

void sim_release(sim *s) {
  free(s->paid);
  free(s->steps);
  free(s->moves);
  account_scan_free(&s->ids);
}

int simulate_run(socloss *led, const socloss_sim_options *opts, socloss_sim_result *out) {
  sim s;
  int rc = sim_prepare(led, opts, out, &s);
  if (!rc) rc = store_read(led->st, sim_snapshot, &s);
  sim_release(&s);
  if (!rc) ERRBUF[0] = 0;
  return rc;
}
