/*
 * decide.c — a live resolution in one (nested) write transaction: the
 * candidates built, the policy asked in the evaluator for its closes and its
 * haircuts, every action validated and applied by the steps, and step 7: one
 * journal record with everything.  A shadow policy, when set, decides first
 * on the same state in a transaction thrown away, and what it decided is
 * journaled beside the real decision.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blocks.h"
#include "resolve_int.h"

static int decide_txn(store_txn *t, void *ud);

/* The event's columns for these candidates: both lists are in id order, so
 * one merge finds each candidate's place among the accounts the event began
 * with (an account opened since has none: 0 and 0).  The places stay in
 * c->at, so that what the event charged is added by index afterwards
 * (event_add_result), not by searching each id again. */
static int event_columns(socloss *led, const event_ctx *ev, cands *c, int64_t **profit0, int64_t **charged) {
  *profit0 = c->profit0 ? c->profit0 : blocks_malloc((c->n ? c->n : 1) * sizeof **profit0);  /* the region's, or own */
  *charged = c->charged ? c->charged : blocks_malloc((c->n ? c->n : 1) * sizeof **charged);
  if (!c->at) c->at = blocks_malloc(c->cap * sizeof *c->at);  /* kept with the candidates' buffers */
  if (!*profit0 || !*charged || !c->at) return err_fail(SOCLOSS_ENOMEM, "out of memory");
  c->nat = c->n;
  if (c->row && view_is_event(led, ev)) {  /* from the view, whose rows are the event's accounts */
    for (size_t i = 0; i < c->n; i++) {
      uint32_t j = c->at[i] = c->row[i];
      (*profit0)[i] = ev->all.profit[j];
      (*charged)[i] = ev->charged[j];
    }
    return SOCLOSS_OK;
  }
  size_t j = 0;
  for (size_t i = 0; i < c->n; i++) {
    const char *id = c->ids + c->off[i];
    size_t len = c->off[i + 1] - c->off[i];
    int cmp = -1;
    while (j < ev->all.n) {
      cmp = bytes_order(ev->all.ids + ev->all.off[j], ev->all.off[j + 1] - ev->all.off[j], id, len);
      if (cmp >= 0) break;
      j++;
    }
    int found = j < ev->all.n && cmp == 0;
    (*profit0)[i] = found ? ev->all.profit[j] : 0;
    (*charged)[i] = found ? ev->charged[j] : 0;
    c->at[i] = found ? (uint32_t)j : UINT32_MAX;
  }
  return SOCLOSS_OK;
}

/* Candidate i's index in the event's accounts, or UINT32_MAX: unknown. */
static uint32_t cand_at(const cands *c, uint32_t i) { return i < c->nat ? c->at[i] : UINT32_MAX; }

/* Calls the evaluator for one step over the candidates; fills actions. */
int ask_policy(live *lv, store_txn *t, const deficit_rec *d, int fn, int64_t shortfall, int64_t fund_cash,
               const char *const *out, size_t nout, const eval_joint *joint, cands *c, void **buf,
               eval_response *rs) {
  /* the haircut call's candidates are built in the evaluator's region (the
   * deleverage call's are read after the next call: their own memory) */
  int rc = cands_for(lv->led, t, d, out, nout, fn == EVAL_FN_HAIRCUT ? lv->led->ev : NULL, c);
  if (rc) return rc;
  c->nat = 0;  /* no event: no places (event_columns sets them) */
  eval_market mk[DEFICIT_MARKETS_MAX];
  for (size_t k = 0; k < d->nm; k++) {
    memcpy(mk[k].market, d->mk[k].market, sizeof mk[k].market);
    mk[k].size = d->mk[k].size;
    mk[k].cost = d->mk[k].cost;
    mk[k].mark = d->mk[k].mark;
    mk[k].bankruptcy_price = d->mk[k].bankruptcy_price;
    mk[k].deficit = d->mk[k].deficit;
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
  rq.fund_max_draw = lv->lim.fund_max_draw;
  rq.nmarkets = d->nm;
  rq.markets = mk;
  rq.c = (eval_columns){c->n, c->stride, c->ids, c->off, c->balance, c->equity, c->upnl_total, c->profit,
                        c->size, c->cost, c->upnl};
  /* without an event, a lone deficit is an event of one: the evaluator
   * makes it of what is left out */
  int64_t *profit0 = NULL, *charged = NULL;
  if (lv->event) {
    if ((rc = event_columns(lv->led, lv->event, c, &profit0, &charged))) {
      if (profit0 != c->profit0) free(profit0);
      if (charged != c->charged) free(charged);
      return rc;
    }
    rq.event = (eval_event){lv->event->id, strlen(lv->event->id), profit0, charged};
  }
  if (joint) rq.joint = *joint;
  uint64_t us = 0;
  evaluator_call(lv->led->ev, &rq, rs, buf, &us);
  log_keep(lv->log, rs->log, rs->log_len);  /* a failed call's too: what it said before it failed */
  if (profit0 != c->profit0) free(profit0);
  if (charged != c->charged) free(charged);
  lv->instructions += rs->instructions;
  lv->policy_us += us;
  lv->led->pending.policy_us += us;  /* the handle's counter, if this commits */
  lv->stage = fn == EVAL_FN_HAIRCUT ? "haircut" : "deleverage";
  if (rs->status != EVAL_OK) {
    char label[128], msg[EVAL_TEXT_MAX + POLICY_WHERE_MAX + 2];
    policy_label(&lv->pol, label, sizeof label);
    return err_fail(SOCLOSS_EPOLICY, "%s %s in %s: %s", label, eval_status_text(rs->status), lv->stage,
                    policy_where(&lv->pol, rs->message, msg, sizeof msg));
  }
  for (size_t k = 0; k < rs->nactions; k++)
    if (rs->actions[k].index >= c->n || (fn == EVAL_FN_DELEVERAGE && rs->actions[k].market >= d->nm) ||
        rs->actions[k].share > EVAL_SHARE_FULL) {
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
  if (!rc && (result_fill(lv->led->res, d, lv->dry_run ? "dry-run" : "applied", lv->dry_run ? 0 : seq) ||
              result_set_log(lv->led->res, lv->log)))
    rc = err_fail(SOCLOSS_ENOMEM, "out of memory");
  return rc;
}

typedef struct shadow_run {
  policy_src pol;
  int failed;
  char *text;  /* its decision as JSON, or why it failed */
} shadow_run;

static int run_shadow(live *lv, store_txn *t, shadow_run *sr) {
  live sh;
  memset(&sh, 0, sizeof sh);
  sh.led = lv->led;
  sh.account = lv->account;
  memcpy(sh.id, lv->id, sizeof sh.id);
  sh.dry_run = 1;
  sh.lim = lv->lim;
  sh.rules = lv->rules;
  sh.event = lv->event;
  sh.pol.source = lv->shadow;
  sh.pol.len = lv->shadow_len;
  sh.params = lv->shadow_params ? lv->shadow_params : "";
  sh.params_len = strlen(sh.params);
  eval_limits el = {sh.lim.instructions, sh.lim.memory, sh.lim.wall_ms};
  policy_locate(lv->led, t, &sh.pol);
  int rc = policy_probe(lv->led, &sh.pol, &el);
  if (!rc) {
    rc = store_nested(t, decide_txn, &sh);
    if (rc == SOCLOSS_ESTOP) rc = SOCLOSS_OK;
  }
  if (resolve_fatal(rc)) return rc;
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
  char kept[ERRMSG_MAX];
  record_shadow_encode(&b, d->id, d->id_len, d->account, sr->pol.name, sr->pol.hash, field,
                       sr->failed ? policy_journal_text(lv->led->ev, sr->text, kept, sizeof kept) : sr->text);
  uint64_t seq;
  int rc = applier_record(a, &b, &seq);
  codec_buf_free(&b);
  if (!rc) rc = registry_ensure(a, &sr->pol);
  return rc;
}

int deficit_open(live *lv, applier *a, const char *id, const char *account, deficit_rec *d) {
  store_txn *t = a->t;
  memset(d, 0, sizeof *d);
  d->rules = lv->rules ? lv->rules : DEFICIT_RULES;
  d->event = lv->event ? lv->event->id : "";
  d->event_len = strlen(d->event);
  d->id = id;
  d->id_len = strlen(id);
  uint64_t prior;
  int rc = store_deficit_get(t, d->id, d->id_len, &prior);
  if (rc == SOCLOSS_OK)
    return err_fail(SOCLOSS_EEXIST, "id: deficit '%s' was already resolved (journal record %llu)", d->id,
                    (unsigned long long)prior);
  if (rc != SOCLOSS_ENOTFOUND) return rc;
  /* the bankrupt account, its positions and equity */
  memcpy(d->account, account, strlen(account) + 1);
  int64_t balance;
  rc = store_account_get(t, d->account, &balance);
  if (rc == SOCLOSS_ENOTFOUND) return err_fail(rc, "account: unknown account '%s'", d->account);
  if (rc) return rc;
  market_pos mp = {lv, t, d, balance};
  if ((rc = store_each_market(t, load_position, &mp))) return rc;
  if (!fits_i64(mp.equity))
    return err_fail(SOCLOSS_EOVERFLOW, "account: the equity of '%s' overflows int64", d->account);
  d->equity = lv->equity = (int64_t)mp.equity;
  char eq[UNITS_MONEY_TEXT];
  if (d->equity >= 0)
    return err_fail(SOCLOSS_ENOTBANKRUPT, "account: '%s' is not bankrupt (equity %s)", d->account,
                    units_money_text(t, d->equity, eq));
  memcpy(d->policy_name, lv->pol.name, sizeof d->policy_name);
  memcpy(d->policy_hash, lv->pol.hash, sizeof d->policy_hash);
  d->params = lv->params;
  d->params_len = lv->params_len;
  d->fund_max_draw = lv->lim.fund_max_draw;
  /* the interpreter that decides, so that a replay can tell another one */
  memcpy(d->lua_release, lv->pol.lua_release, sizeof d->lua_release);
  memcpy(d->build_id, lv->pol.build_id, sizeof d->build_id);
  return SOCLOSS_OK;
}

void held_free(held *h) {
  cands_free(&h->c);
  free(h->buf);
  free(h->dl);
  memset(h, 0, sizeof *h);
}

int deficit_first_steps(live *lv, applier *a, deficit_rec *d, step *s, held *h, int64_t *shortfall) {
  store_txn *t = a->t;
  eval_response rs;
  /* 1-2: bankruptcy prices, deleverage */
  int rc = bankruptcy_prices(d);
  if (rc) return rc;
  if (lv->pol.has_deleverage && d->nm) {
    if ((rc = ask_policy(lv, t, d, EVAL_FN_DELEVERAGE, 0, a->tot.fund_cash, NULL, 0, NULL, &h->c, &h->buf, &rs)))
      return rc;
    if (!(h->dl = blocks_malloc((rs.nactions ? rs.nactions : 1) * sizeof *h->dl))) return err_fail(SOCLOSS_ENOMEM, "out of memory");
    for (size_t k = 0; k < rs.nactions; k++) {
      uint32_t i = rs.actions[k].index;
      h->dl[k] = (dl_action){h->c.ids + h->c.off[i], h->c.off[i + 1] - h->c.off[i], rs.actions[k].market, i,
                             cand_at(&h->c, i), rs.actions[k].value, rs.actions[k].share, 0};
    }
    d->dl = h->dl;
    d->ndl = rs.nactions;
    s->ncands = h->c.n;
    s->equity_hint = h->c.equity;  /* the holders' equity before any close */
    s->hint_balance = h->c.balance;  /* their balances and positions too */
    s->hint_size = h->c.size;
    s->hint_cost = h->c.cost;
    s->hint_stride = h->c.stride;
    rc = step_deleverage(s, 0);
    s->hint_balance = s->hint_size = s->hint_cost = NULL;  /* stale once the closes are written */
    if (rc) return rc;
  }
  lv->stage = NULL;
  /* 3-4: takeover, fund */
  for (size_t k = 0; k < d->nm; k++) {
    store_position p;
    rc = store_position_get(t, d->mk[k].market, d->account, &p);
    if (rc && rc != SOCLOSS_ENOTFOUND) return rc;
    d->take[k] = rc ? 0 : p.size;
  }
  int64_t hole;
  if ((rc = step_takeover(s)) || (rc = step_hole(s, &hole))) return rc;
  int64_t cash = a->tot.fund_cash > 0 ? a->tot.fund_cash : 0;
  d->fund_draw = hole < cash ? hole : cash;
  if (lv->lim.fund_max_draw > 0 && d->fund_draw > lv->lim.fund_max_draw) d->fund_draw = lv->lim.fund_max_draw;
  if ((rc = step_fund(s, hole, lv->lim.fund_max_draw))) return rc;
  *shortfall = hole - d->fund_draw;
  return SOCLOSS_OK;
}

int haircut_actions(step *s, const cands *c, const eval_response *rs, hc_action **out) {
  hc_action *hc = blocks_malloc((rs->nactions ? rs->nactions : 1) * sizeof *hc);
  if (!hc) return err_fail(SOCLOSS_ENOMEM, "out of memory");
  for (size_t k = 0; k < rs->nactions; k++) {
    uint32_t i = rs->actions[k].index;
    hc[k] = (hc_action){c->ids + c->off[i], c->off[i + 1] - c->off[i], i, cand_at(c, i), rs->actions[k].value};
  }
  *out = hc;
  s->d->hc = hc;
  s->d->nhc = rs->nactions;
  /* what the policy saw is exact for the haircut step: no read needed */
  s->equity_hint = c->equity;
  s->ncands = c->n;
  s->hint_size = c->size;
  s->hint_cost = c->cost;
  s->hint_upnl = c->upnl;
  s->hint_stride = c->stride;
  s->hint_row = c->row;
  return SOCLOSS_OK;
}

static int resolve_txn(store_txn *t, void *ud) {
  live *lv = ud;
  shadow_run shadow;
  memset(&shadow, 0, sizeof shadow);
  applier a;
  deficit_rec d;
  held h = {0};
  cands c2 = {0};  /* the candidates as the haircut step saw them */
  void *buf2 = NULL;
  hc_action *hc = NULL;
  eval_response rs;
  char label[160];
  lv->stage = NULL;
  lv->instructions = lv->policy_us = 0;
  /* lv->lim was read by whoever asked (a replay decides with the fund cap
   * that was in force then) */
  int rc = applier_start(&a, lv->led, t, 1);
  if (!rc) rc = deficit_open(lv, &a, lv->id, lv->account, &d);
  /* the shadow decides first, on the same state, in a transaction thrown away */
  if (!rc && lv->shadow) rc = run_shadow(lv, t, &shadow);
  if (rc) goto out;
  policy_label(&lv->pol, label, sizeof label - 2);
  strcat(label, ": ");
  step s = {.a = &a, .d = &d, .label = label};
  int64_t shortfall, left;
  if ((rc = deficit_first_steps(lv, &a, &d, &s, &h, &shortfall))) goto out;

  /* 5: haircuts */
  if (shortfall > 0 && lv->pol.has_haircut) {
    if ((rc = ask_policy(lv, t, &d, EVAL_FN_HAIRCUT, shortfall, a.tot.fund_cash, NULL, 0, NULL, &c2, &buf2, &rs)) ||
        (rc = haircut_actions(&s, &c2, &rs, &hc)) || (rc = step_haircuts(&s, shortfall)))
      goto out;
  }
  lv->stage = NULL;

  /* 6-7: bad debt, journal */
  if ((rc = step_hole(&s, &left)) || (rc = step_bad_debt(&s, left))) goto out;
  d.instructions = lv->instructions;
  d.policy_us = lv->policy_us;
  rc = finish(lv, &a, &d);
  if (!rc && shadow.pol.source) rc = record_shadow(lv, &a, &d, &shadow);
out:
  free(shadow.text);
  free(hc);
  held_free(&h);
  cands_done(lv->led, &c2);
  free(buf2);
  applier_end(&a);
  return rc;
}

int live_attempt(live *lv, store_txn *t) {
  eval_limits el = {lv->lim.instructions, lv->lim.memory, lv->lim.wall_ms};
  lv->stage = "load";
  policy_locate(lv->led, t, &lv->pol);
  deficit_again *ag = lv->direct;
  if (ag && ag->set && store_txn_id(t) != ag->txn) ag = NULL;  /* another writer came between: decide again */
  if (ag && ag->set) {  /* the second run of a direct job: its failure as it was, the policy not asked again */
    policy_hash(lv->pol.source, lv->pol.len, lv->pol.hash);
    memcpy(lv->pol.name, ag->pol.name, sizeof lv->pol.name);
    memcpy(lv->pol.lua_release, ag->pol.lua_release, sizeof lv->pol.lua_release);
    memcpy(lv->pol.build_id, ag->pol.build_id, sizeof lv->pol.build_id);
    lv->pol.has_deleverage = ag->pol.has_deleverage;
    lv->pol.has_haircut = ag->pol.has_haircut;
    lv->stage = ag->stage;
    lv->equity = ag->equity;
    lv->instructions = ag->instructions;
    lv->policy_us = ag->policy_us;
    lv->led->pending.policy_us += ag->pending_us;
    log_keep(lv->log, (const char *)ag->log.p, ag->log.len);
    return err_fail(SOCLOSS_EPOLICY, "%s", ag->cause);
  }
  int rc = policy_probe(lv->led, &lv->pol, &el);
  if (rc) return rc;
  lv->stage = NULL;
  if (ag) {
    ag->txn = store_txn_id(t);
    ag->pol = lv->pol;
    rc = resolve_txn(t, lv);
    return rc == SOCLOSS_EPOLICY ? RESOLVE_AGAIN : rc;
  }
  return store_nested(t, resolve_txn, lv);
}

/* ---- deciding again (replay) --------------------------------------------- */

static int decide_txn(store_txn *t, void *ud) {
  int rc = resolve_txn(t, ud);
  return rc ? rc : SOCLOSS_ESTOP;  /* keep the result, throw the writes away */
}

int resolve_decide(applier *a, const char *id, size_t id_len, const char *account, const char *src, size_t len,
                   const char *params, size_t plen, char *params_buf, int rules, int64_t fund_cap,
                   const event_ctx *event) {
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
  lv.lim.fund_max_draw = fund_cap;
  lv.rules = rules;
  lv.event = event;
  eval_limits el = {lv.lim.instructions, lv.lim.memory, lv.lim.wall_ms};
  policy_locate(led, a->t, &lv.pol);
  if ((rc = policy_probe(led, &lv.pol, &el))) return rc;
  rc = store_nested(a->t, decide_txn, &lv);
  return rc == SOCLOSS_ESTOP ? SOCLOSS_OK : rc;
}

