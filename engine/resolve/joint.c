/*
 * joint.c — a joint crash event: the whole crash as one decision, the
 * OKX/Huobi clawback (one rate for the whole loss).  Steps 1-4 run for each
 * bankrupt account in id order, each with its own bankruptcy prices,
 * deleverage call and fund draw; then `haircut` is called once for the
 * combined shortfall (ctx.deficit.accounts lists each account and its hole);
 * what the haircuts cover is credited to the holes in proportion (largest
 * remainders, ties to the lower id) and the rest is each one's bad debt.  One
 * journal record holds it all.  The policy is the one named or the ledger's
 * own (not a market's); a failure is journaled and the fallback decides the
 * whole event again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blocks.h"
#include "resolve_int.h"

typedef struct joint_live {
  live lv;
  size_t n;                  /* bankrupt accounts */
  const char **accounts;     /* in id order */
  char (*ids)[2 * CODEC_ID_MAX + 2];  /* their deficit ids, EVENT:ACCOUNT */
  int (*each)(void *ud, const socloss_resolution *r);  /* after the decision */
  void *ud;
  socloss_event_summary *sum;
  codec_buf *capture;        /* a replay: the record is copied here, the writes thrown away */
} joint_live;

/* The markets of every part, once each, in the order first met. */
static void union_markets(const deficit_rec *parts, size_t n, deficit_rec *all) {
  for (size_t k = 0; k < n; k++)
    for (size_t m = 0; m < parts[k].nm; m++) {
      size_t i = 0;
      while (i < all->nm && strcmp(all->mk[i].market, parts[k].mk[m].market)) i++;
      if (i == all->nm && all->nm < DEFICIT_MARKETS_MAX) {
        memset(&all->mk[i], 0, sizeof all->mk[i]);
        memcpy(all->mk[i].market, parts[k].mk[m].market, sizeof all->mk[i].market);
        all->mk[i].mark = parts[k].mk[m].mark;
        all->nm++;
      }
    }
}

static int joint_txn(store_txn *t, void *ud) {
  joint_live *jl = ud;
  live *lv = &jl->lv;
  size_t n = jl->n;
  applier a;
  char label[160];
  deficit_rec *parts = blocks_calloc(n ? n : 1, sizeof *parts), all;
  held *h = blocks_calloc(n ? n : 1, sizeof *h);
  int64_t *hole = blocks_calloc(n ? n : 1, sizeof *hole), *credit = blocks_calloc(n ? n : 1, sizeof *credit);
  uint32_t *off = blocks_calloc(n + 1, sizeof *off);
  char *ids = blocks_malloc(n * CODEC_ID_MAX + 1);
  cands c2 = {0};
  void *buf2 = NULL;
  hc_action *hc = NULL;
  eval_response rs;
  memset(&all, 0, sizeof all);
  lv->stage = NULL;
  lv->instructions = lv->policy_us = 0;
  int rc = applier_start(&a, lv->led, t, 1);
  if (!rc && (!parts || !h || !hole || !credit || !off || !ids)) rc = err_fail(SOCLOSS_ENOMEM, "out of memory");
  if (rc) goto out;
  policy_label(&lv->pol, label, sizeof label - 2);
  strcat(label, ": ");

  /* 1-4, account by account */
  __int128 shortfall = 0;
  for (size_t k = 0; !rc && k < n; k++) {
    lv->account = jl->accounts[k];
    rc = deficit_open(lv, &a, jl->ids[k], jl->accounts[k], &parts[k]);
    step s = {.a = &a, .d = &parts[k], .label = label};
    if (!rc) rc = deficit_first_steps(lv, &a, &parts[k], &s, &h[k], &hole[k]);
    shortfall += hole[k];
    size_t len = strlen(jl->accounts[k]);
    memcpy(ids + off[k], jl->accounts[k], len);
    off[k + 1] = off[k] + (uint32_t)len;
  }
  if (!rc && !fits_i64(shortfall)) rc = err_fail(SOCLOSS_EOVERFLOW, "the event's shortfall overflows int64");
  if (rc) goto out;

  /* 5: one haircut call for the combined shortfall */
  all.rules = DEFICIT_RULES;
  all.id = lv->event->id;
  all.id_len = strlen(all.id);
  union_markets(parts, n, &all);
  step s = {.a = &a, .d = &all, .label = label};
  int64_t covered = 0;
  if (shortfall > 0 && lv->pol.has_haircut) {
    eval_joint joint = {n, ids, off, hole};
    lv->account = "";
    if ((rc = ask_policy(lv, t, &all, EVAL_FN_HAIRCUT, (int64_t)shortfall, a.tot.fund_cash, jl->accounts, n, &joint,
                         &c2, &buf2, &rs)) ||
        (rc = haircut_actions(&s, &c2, &rs, &hc)) || (rc = charge_haircuts(&s, (int64_t)shortfall, &covered)))
      goto out;
  }
  lv->stage = NULL;

  /* 6: credits in proportion to the holes, the rest bad debt */
  if ((rc = joint_credit(&a, hole, n, covered, credit))) goto out;
  for (size_t k = 0; !rc && k < n; k++) {
    step ps = {.a = &a, .d = &parts[k], .label = label};
    int64_t left;
    rc = step_credit(&ps, credit[k]);
    if (!rc) rc = step_hole(&ps, &left);
    if (!rc) rc = step_bad_debt(&ps, left);
  }

  /* 7: one record; every deficit id registered */
  joint_rec jr;
  memset(&jr, 0, sizeof jr);
  jr.rules = DEFICIT_RULES;
  jr.event = lv->event->id;
  jr.event_len = strlen(jr.event);
  memcpy(jr.policy_name, lv->pol.name, sizeof jr.policy_name);
  memcpy(jr.policy_hash, lv->pol.hash, sizeof jr.policy_hash);
  jr.params = lv->params;
  jr.params_len = lv->params_len;
  jr.fund_max_draw = lv->lim.fund_max_draw;
  memcpy(jr.lua_release, lv->pol.lua_release, sizeof jr.lua_release);
  memcpy(jr.build_id, lv->pol.build_id, sizeof jr.build_id);
  jr.nparts = n;
  jr.parts = parts;
  jr.credit = credit;
  jr.nhc = all.nhc;
  jr.hc = hc;
  jr.instructions = lv->instructions;
  jr.policy_us = lv->policy_us;
  codec_buf b = {0};
  uint64_t seq = 0;
  if (!rc) rc = registry_ensure(&a, &lv->pol);
  joint_encode(&b, &jr);
  if (!rc) rc = b.oom ? err_fail(SOCLOSS_ENOMEM, "out of memory") : applier_record(&a, &b, &seq);
  if (!rc && jl->capture) {
    codec_buf_raw(jl->capture, b.p, b.len);
    if (jl->capture->oom) rc = err_fail(SOCLOSS_ENOMEM, "out of memory");
  }
  codec_buf_free(&b);
  for (size_t k = 0; !rc && k < n; k++) rc = store_deficit_put(t, parts[k].id, parts[k].id_len, seq);
  if (!rc) rc = applier_finish(&a);

  /* the results: each account's steps 1-4 and its credit as what it was
   * covered by, then the event's own haircuts */
  for (size_t k = 0; !rc && k < n; k++) {
    jl->sum->fund_draw += parts[k].fund_draw;
    jl->sum->bad_debt += parts[k].bad_debt;
    for (size_t i = 0; i < parts[k].ndl; i++) jl->sum->charged += parts[k].dl[i].transfer;
  }
  jl->sum->charged += covered;
  jl->sum->resolved = rc ? 0 : n;
  if (!rc && jl->capture) rc = SOCLOSS_ESTOP;  /* keep the record, throw the writes away */
  for (size_t k = 0; !rc && jl->each && k <= n; k++) {
    deficit_rec ev;
    const deficit_rec *d = &parts[k < n ? k : 0];
    if (k == n) {
      memset(&ev, 0, sizeof ev);
      ev.rules = DEFICIT_RULES;
      ev.id = all.id;
      ev.id_len = all.id_len;
      memcpy(ev.policy_name, lv->pol.name, sizeof ev.policy_name);
      memcpy(ev.policy_hash, lv->pol.hash, sizeof ev.policy_hash);
      ev.params = lv->params;
      ev.params_len = lv->params_len;
      ev.nhc = all.nhc;
      ev.hc = hc;
      for (size_t i = 0; i < n; i++) ev.equity += parts[i].equity, ev.bad_debt += parts[i].bad_debt;
      ev.instructions = lv->instructions;
      ev.policy_us = lv->policy_us;
      d = &ev;
    }
    /* the event's own result carries the whole log: its deleverage calls,
     * account by account, then its one haircut call */
    if (result_fill(lv->led->res, d, lv->dry_run ? "dry-run" : "applied", lv->dry_run ? 0 : seq) ||
        (k == n && result_set_log(lv->led->res, lv->log)))
      rc = err_fail(SOCLOSS_ENOMEM, "out of memory");
    else if (jl->each(jl->ud, &lv->led->res->r))
      rc = err_fail(SOCLOSS_ESTOP, "stopped by the callback");
  }
out:
  for (size_t k = 0; h && k < n; k++) held_free(&h[k]);
  free(h);
  free(parts);
  free(hole);
  free(credit);
  free(off);
  free(ids);
  free(hc);
  cands_free(&c2);
  free(buf2);
  applier_end(&a);
  return rc;
}

static int attempt(joint_live *jl, store_txn *t) {
  live *lv = &jl->lv;
  eval_limits el = {lv->lim.instructions, lv->lim.memory, lv->lim.wall_ms};
  lv->stage = "load";
  policy_locate(lv->led, t, &lv->pol);
  int rc = policy_probe(lv->led, &lv->pol, &el);
  if (rc) return rc;
  lv->stage = NULL;
  return store_nested(t, joint_txn, jl);
}

/* The fallback's attempt: the event again with fb's policy (jl's own
 * stays what failed, for the failure's result). */
static int joint_again(live *fb, store_txn *t, void *ud) {
  joint_live *jl = ud;
  live first = jl->lv;
  jl->lv = *fb;
  int rc = attempt(jl, t);
  *fb = jl->lv;
  jl->lv = first;
  return rc;
}

/* A joint record's decision alone: its bytes with the time spent and the
 * evaluator's build left out. */
static int decision_bytes(const void *p, size_t len, codec_buf *out) {
  joint_rec j;
  if (joint_decode(p, len, &j)) return -1;
  j.instructions = j.policy_us = 0;
  j.lua_release[0] = j.build_id[0] = 0;
  joint_encode(out, &j);
  joint_rec_free(&j);
  return out->oom ? -1 : 0;
}

/* The shadow policy decided the event first, on the same state (shadow,
 * or its failure in why); now the real decision is the journal's last
 * record: journal what the shadow decided and whether it differs. */
static int journal_shadow(applier *a, const char *event, const policy_src *sp, const codec_buf *shadow,
                          const char *why) {
  const void *p;
  size_t len;
  a->seq = store_journal_last(a->t);  /* the decision's nested writes journaled on their own */
  int rc = store_journal_get(a->t, a->seq, &p, &len);
  if (rc) return rc;
  codec_buf mine = {0}, theirs = {0}, b = {0};
  const char *field = "decision";
  char *text = NULL;
  if (!why && !decision_bytes(p, len, &mine) && !decision_bytes(shadow->p, shadow->len, &theirs)) {
    field = mine.len == theirs.len && !memcmp(mine.p, theirs.p, mine.len) ? NULL : "event";
    joint_rec j;
    if (!joint_decode(shadow->p, shadow->len, &j)) {
      text = joint_json(0, &j);
      joint_rec_free(&j);
    }
  }
  char kept[ERRMSG_MAX];
  record_shadow_encode(&b, event, strlen(event), "", sp->name, sp->hash, field,
                       text ? text : why ? policy_journal_text(a->led->ev, why, kept, sizeof kept) : "");
  uint64_t seq;
  rc = b.oom ? err_fail(SOCLOSS_ENOMEM, "out of memory") : applier_record(a, &b, &seq);
  if (!rc) rc = registry_ensure(a, sp);
  codec_buf_free(&mine);
  codec_buf_free(&theirs);
  codec_buf_free(&b);
  free(text);
  return rc;
}

int joint_resolve(event_run *er, applier *a, event_ctx *ev) {
  socloss *led = er->led;
  joint_live jl;
  memset(&jl, 0, sizeof jl);
  jl.sum = &er->sum;
  jl.each = er->o.each;
  jl.ud = er->o.ud;
  size_t n = 0;
  for (size_t i = 0; i < ev->all.n; i++) n += ev->all.equity[i] < 0;
  char (*acct)[CODEC_ID_MAX + 1] = blocks_malloc((n ? n : 1) * sizeof *acct);
  jl.accounts = blocks_malloc((n ? n : 1) * sizeof *jl.accounts);
  jl.ids = blocks_malloc((n ? n : 1) * sizeof *jl.ids);
  role_copy active = {0}, fallback = {0}, shadow = {0};
  codec_buf shadow_rec = {0}, log = {0};
  char shadow_why[ERRMSG_MAX] = "";
  policy_src sp;
  memset(&sp, 0, sizeof sp);
  int rc = acct && jl.accounts && jl.ids ? SOCLOSS_OK : err_fail(SOCLOSS_ENOMEM, "out of memory");
  for (size_t i = 0; !rc && i < ev->all.n; i++) {
    if (ev->all.equity[i] >= 0) continue;
    copy_id(acct[jl.n], ev->all.ids + ev->all.off[i], ev->all.off[i + 1] - ev->all.off[i]);
    jl.accounts[jl.n] = acct[jl.n];
    snprintf(jl.ids[jl.n], sizeof jl.ids[jl.n], "%s:%s", er->o.id, acct[jl.n]);
    jl.n++;
  }
  if (!rc && !led->res && !(led->res = calloc(1, sizeof *led->res))) rc = err_fail(SOCLOSS_ENOMEM, "out of memory");
  if (rc || !n) goto out;
  result_clear(led->res);
  live *lv = &jl.lv;
  lv->led = led;
  lv->event = ev;
  lv->dry_run = er->o.dry_run;
  lv->account = "";
  lv->log = &log;
  snprintf(lv->id, sizeof lv->id, "%s", er->o.id);
  /* the ledger's own policy decides a joint event: it spans markets */
  if ((rc = limits_for(led, a->t, &lv->lim)) || (rc = copy_role(a->t, SOCLOSS_POLICY_ACTIVE, "", &active)) ||
      (rc = copy_role(a->t, SOCLOSS_POLICY_FALLBACK, "", &fallback)) ||
      (rc = copy_role(a->t, SOCLOSS_POLICY_SHADOW, "", &shadow)))
    goto out;
  lv->pol.source = er->o.policy ? er->o.policy : active.source;
  lv->pol.len = er->o.policy ? er->o.policy_len : active.len;
  lv->params = er->o.params ? er->o.params : er->o.policy ? "" : active.params ? active.params : "";
  lv->params_len = strlen(lv->params);
  if (!lv->pol.source) {
    rc = err_fail(SOCLOSS_EINVAL, "policy: none given and the ledger has no active policy (socloss policy set)");
    goto out;
  }
  if (shadow.source) {
    /* the shadow decides the whole event first, on the same state, its
     * writes thrown away; its troubles are journaled, not the caller's */
    eval_limits el = {lv->lim.instructions, lv->lim.memory, lv->lim.wall_ms};
    sp.source = shadow.source;
    sp.len = shadow.len;
    policy_locate(led, a->t, &sp);
    int src = policy_probe(led, &sp, &el);
    if (!src) src = joint_decide(a, er->o.id, shadow.source, shadow.len, shadow.params, lv->lim.fund_max_draw,
                                 &shadow_rec);
    if (resolve_fatal(src)) {
      rc = src;
      goto out;
    }
    if (src) snprintf(shadow_why, sizeof shadow_why, "%s", ERRBUF[0] ? ERRBUF : "the shadow policy failed");
    ERRBUF[0] = 0;
  }
  int first = rc = attempt(&jl, a->t);
  if (rc == SOCLOSS_EPOLICY) rc = fall_back(a, lv, &fallback, joint_again, &jl);
  tally(led, rc, n, first == SOCLOSS_EPOLICY, &er->sum.fund_draw, &er->sum.bad_debt);
  if (!rc && shadow.source) rc = journal_shadow(a, er->o.id, &sp, &shadow_rec, shadow_why[0] ? shadow_why : NULL);
  if (rc == SOCLOSS_EPOLICY) {  /* the event failed as a whole: nothing of it applied */
    er->rc = SOCLOSS_EPOLICY;
    er->sum.failed = n;
    er->sum.resolved = 0;
    er->sum.fund_draw = er->sum.charged = er->sum.bad_debt = 0;
    rc = SOCLOSS_OK;  /* the event itself ran to its end */
  }
out:
  role_free(&active);
  role_free(&fallback);
  role_free(&shadow);
  codec_buf_free(&shadow_rec);
  codec_buf_free(&log);
  free(acct);
  free(jl.accounts);
  free(jl.ids);
  if (!resolve_fatal(rc)) {
    a->seq = store_journal_last(a->t);
    int trc = store_totals_get(a->t, &a->tot);
    if (trc) rc = trc;
  }
  return rc;
}

int joint_decide(applier *a, const char *event, const char *src, size_t len, const char *params, int64_t cap,
                 codec_buf *out) {
  socloss *led = a->led;
  event_ctx ev;
  memset(&ev, 0, sizeof ev);
  ev.id = event;
  joint_live jl;
  memset(&jl, 0, sizeof jl);
  socloss_event_summary sum;
  memset(&sum, 0, sizeof sum);
  jl.sum = &sum;
  jl.capture = out;
  int rc = applier_finish(a);
  if (!rc) rc = account_scan_load(a->t, &ev.all);
  if (!rc && !(ev.charged = blocks_calloc(ev.all.n ? ev.all.n : 1, sizeof *ev.charged)))
    rc = err_fail(SOCLOSS_ENOMEM, "out of memory");
  char (*acct)[CODEC_ID_MAX + 1] = rc ? NULL : blocks_malloc((ev.all.n ? ev.all.n : 1) * sizeof *acct);
  jl.accounts = rc ? NULL : blocks_malloc((ev.all.n ? ev.all.n : 1) * sizeof *jl.accounts);
  jl.ids = rc ? NULL : blocks_malloc((ev.all.n ? ev.all.n : 1) * sizeof *jl.ids);
  if (!rc && (!acct || !jl.accounts || !jl.ids)) rc = err_fail(SOCLOSS_ENOMEM, "out of memory");
  for (size_t i = 0; !rc && i < ev.all.n; i++) {
    if (ev.all.equity[i] >= 0) continue;
    copy_id(acct[jl.n], ev.all.ids + ev.all.off[i], ev.all.off[i + 1] - ev.all.off[i]);
    jl.accounts[jl.n] = acct[jl.n];
    snprintf(jl.ids[jl.n], sizeof jl.ids[jl.n], "%s:%s", event, acct[jl.n]);
    jl.n++;
  }
  if (!rc && !led->res && !(led->res = calloc(1, sizeof *led->res))) rc = err_fail(SOCLOSS_ENOMEM, "out of memory");
  live *lv = &jl.lv;
  lv->led = led;
  lv->event = &ev;
  lv->dry_run = 1;
  lv->account = "";
  snprintf(lv->id, sizeof lv->id, "%s", event);
  lv->pol.source = src;
  lv->pol.len = len;
  lv->params = params;
  lv->params_len = strlen(params);
  if (!rc) rc = limits_for(led, a->t, &lv->lim);
  lv->lim.fund_max_draw = cap;
  if (!rc) rc = attempt(&jl, a->t);
  if (rc == SOCLOSS_ESTOP) rc = SOCLOSS_OK;
  free(acct);
  free(jl.accounts);
  free(jl.ids);
  account_scan_free(&ev.all);
  free(ev.charged);
  return rc;
}
