/*
 * attempt.c — the one path every deficit takes, whether it comes from
 * `resolve`, a `deficit` line of an applied file or a batch: choose the
 * policy (the one given, else the deficit's market's own, else the
 * ledger's), attempt it; when it fails, nothing of it is applied, its failure
 * is journaled and told to the host's log, and the fallback policy, if one is
 * set, is attempted the same way.  A joint event (joint.c) takes the same
 * fall_back with its own attempt.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resolve_int.h"

void socloss_resolve_options_init(socloss_resolve_options *o) {
  memset(o, 0, sizeof *o);
  o->size = sizeof *o;
}

int copy_role(store_txn *t, int role, const char *market, role_copy *out) {
  const char *src, *params;
  size_t len, plen;
  int rc = read_policy(t, role, market, &src, &len, &params, &plen);
  if (rc == SOCLOSS_ENOTFOUND) return SOCLOSS_OK;
  if (rc) return rc;
  if (!(out->source = malloc(len + 1)) || !(out->params = malloc(plen + 1)))
    return err_fail(SOCLOSS_ENOMEM, "out of memory");
  memcpy(out->source, src, len);
  memcpy(out->params, params, plen);
  out->source[len] = out->params[plen] = 0;
  out->len = len;
  out->plen = plen;
  return SOCLOSS_OK;
}

void role_free(role_copy *r) {
  free(r->source);
  free(r->params);
}

int journal_failure(applier *a, const live *lv, const char *cause) {
  codec_buf b = {0};
  uint64_t seq;
  char kept[ERRMSG_MAX];
  record_failure_encode(&b, lv->id, lv->account, lv->pol.name, lv->pol.hash, lv->stage ? lv->stage : "load",
                        policy_journal_text(a->led->ev, cause, kept, sizeof kept), lv->pol.lua_release,
                        lv->pol.build_id);
  int rc = b.oom ? err_fail(SOCLOSS_ENOMEM, "out of memory") : applier_record(a, &b, &seq);
  codec_buf_free(&b);
  if (!rc) a->led->pending.policy_failures++;
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
  result_set_log(led->res, lv->log);  /* what it logged before it failed: most wanted then */
}

int fall_back(applier *a, live *lv, const role_copy *fallback, attempt_fn again, void *ud) {
  socloss *led = a->led;
  char cause[ERRMSG_MAX];
  snprintf(cause, sizeof cause, "%s", ERRBUF);
  if (*lv->account) log_say(&led->log, "deficit %s of %s: %s", lv->id, lv->account, cause);
  else log_say(&led->log, "event %s: %s", lv->id, cause);
  int rc = journal_failure(a, lv, cause);
  if (rc) return rc;
  rc = err_fail(SOCLOSS_EPOLICY, "%s", cause);
  if (fallback->source) {
    live fb = *lv;
    fb.direct = NULL;  /* the fallback's writes must be thrown away alone if it fails */
    memset(&fb.pol, 0, sizeof fb.pol);
    fb.pol.source = fallback->source;
    fb.pol.len = fallback->len;
    fb.params = fallback->params;
    fb.params_len = fallback->plen;
    fb.stage = NULL;
    rc = again(&fb, a->t, ud);
    if (rc == SOCLOSS_EPOLICY) {
      char second[ERRMSG_MAX];
      snprintf(second, sizeof second, "%s", ERRBUF);
      int wrc = journal_failure(a, &fb, second);
      if (wrc) return wrc;
      err_fail(SOCLOSS_EPOLICY, "%.480s; fallback: %.480s", cause, second);
    }
  }
  if (rc == SOCLOSS_EPOLICY) failed_result(led, lv);
  snprintf(led->res->failure, sizeof led->res->failure, "%s", rc == SOCLOSS_OK ? cause : ERRBUF);
  return rc;
}

static int live_again(live *fb, store_txn *t, void *ud) {
  (void)ud;
  return live_attempt(fb, t);
}

int resolve_job(applier *a, const deficit_job *job) {
  socloss *led = a->led;
  if (job->id && !id_valid(job->id))
    return err_fail(SOCLOSS_EINVAL, "id: '%.80s' is not a valid id (1-64 printable ASCII characters, no spaces)",
                    job->id);
  if (!job->account || !id_valid(job->account))
    return err_fail(SOCLOSS_EINVAL, "account: '%.80s' is not a valid id", job->account ? job->account : "(null)");
  int rc = params_valid(job->params);
  if (rc) return rc;
  if (!led->res && !(led->res = calloc(1, sizeof *led->res))) return err_fail(SOCLOSS_ENOMEM, "out of memory");
  result_clear(led->res);
  /* what the applier holds in memory goes to the transaction first */
  if ((rc = applier_finish(a))) return rc;

  live lv;
  memset(&lv, 0, sizeof lv);
  lv.led = led;
  lv.account = job->account;
  lv.dry_run = job->dry_run;
  lv.direct = job->direct;
  uint64_t us0 = led->pending.policy_us;
  lv.event = job->event;
  if (job->id) snprintf(lv.id, sizeof lv.id, "%s", job->id);
  else snprintf(lv.id, sizeof lv.id, "%llu-%.40s", (unsigned long long)store_journal_last(a->t) + 1, job->account);
  role_copy active = {0}, fallback = {0}, shadow = {0};
  codec_buf log = {0};
  lv.log = &log;
  char market[CODEC_ID_MAX + 1];
  if ((rc = limits_for(led, a->t, &lv.lim)) || (rc = deficit_market_of(a->t, job->account, market)) ||
      (rc = copy_role(a->t, SOCLOSS_POLICY_ACTIVE, market, &active)) ||
      (rc = copy_role(a->t, SOCLOSS_POLICY_FALLBACK, market, &fallback)) ||
      (rc = copy_role(a->t, SOCLOSS_POLICY_SHADOW, market, &shadow)))
    goto out;
  lv.pol.source = job->policy ? job->policy : active.source;
  lv.pol.len = job->policy ? job->policy_len : active.len;
  lv.params = job->params ? job->params : job->policy ? "" : active.params ? active.params : "";
  lv.params_len = strlen(lv.params);
  lv.shadow = shadow.source;
  lv.shadow_len = shadow.len;
  lv.shadow_params = shadow.params;
  if (!lv.pol.source) {
    rc = err_fail(SOCLOSS_EINVAL, "policy: none given and the ledger has no active policy (socloss policy set)");
    goto out;
  }
  int first = rc = live_attempt(&lv, a->t);
  if (rc == RESOLVE_AGAIN) {  /* kept for the second run; the caller throws the transaction away */
    deficit_again *ag = job->direct;
    ag->set = 1;
    snprintf(ag->cause, sizeof ag->cause, "%s", ERRBUF);
    ag->stage = lv.stage;
    ag->equity = lv.equity;
    ag->instructions = lv.instructions;
    ag->policy_us = lv.policy_us;
    ag->pending_us = led->pending.policy_us - us0;
    if (log.len) codec_buf_raw(&ag->log, log.p, log.len);
    if (ag->log.oom) rc = err_fail(SOCLOSS_ENOMEM, "out of memory");
    goto out;
  }
  if (rc == SOCLOSS_EPOLICY) rc = fall_back(a, &lv, &fallback, live_again, NULL);
  tally(led, rc, 1, first == SOCLOSS_EPOLICY, &led->res->r.fund_draw, &led->res->r.bad_debt);
out:
  codec_buf_free(&log);
  role_free(&active);
  role_free(&fallback);
  role_free(&shadow);
  /* the resolution wrote totals and records of its own: read them back */
  if (!resolve_fatal(rc) && rc != RESOLVE_AGAIN) {
    a->seq = store_journal_last(a->t);
    int trc = store_totals_get(a->t, &a->tot);
    if (trc) rc = trc;
  }
  return rc;
}

void tally(socloss *led, int rc, size_t accounts, int fell_back, const int64_t *fund_draw, const int64_t *bad_debt) {
  socloss_stats *p = &led->pending;
  if (rc == SOCLOSS_EPOLICY) {
    p->failed += accounts;
  } else if (rc == SOCLOSS_OK) {
    p->resolved += accounts;
    if (fell_back) p->fallbacks += accounts;
    /* each fits int64 (they come out of the fund and the ledger); their
     * sum over one transaction is summed again, saturating, at commit */
    p->fund_drawn = *fund_draw > INT64_MAX - p->fund_drawn ? INT64_MAX : p->fund_drawn + *fund_draw;
    p->bad_debt = *bad_debt > INT64_MAX - p->bad_debt ? INT64_MAX : p->bad_debt + *bad_debt;
  }
}

/* ---- one deficit on its own: its own durable transaction ----------------- */

struct lone {
  socloss *led;
  deficit_job job;
  int rc;  /* the resolution's own outcome */
};

static int lone_txn(store_txn *t, void *ud) {
  struct lone *o = ud;
  applier a;
  stats_begin(o->led);
  int rc = applier_start(&a, o->led, t, 1);
  if (!rc) {
    o->rc = resolve_job(&a, &o->job);
    /* a failed policy keeps its failure records: commit them */
    rc = o->rc == SOCLOSS_OK || o->rc == SOCLOSS_EPOLICY ? applier_finish(&a) : o->rc;
  }
  applier_end(&a);
  return rc;
}

int resolve_direct_off = 0;
size_t resolve_direct_again = 0;

int resolve_run(socloss *led, const char *account, const socloss_resolve_options *o,
                const socloss_resolution **out) {
  socloss_resolve_options opt;
  socloss_resolve_options_init(&opt);
  if (o) memcpy(&opt, o, o->size < sizeof opt ? o->size : sizeof opt);
  deficit_again again;
  memset(&again, 0, sizeof again);
  struct lone one = {led,
                     {opt.id, account, opt.policy, opt.policy_len, opt.params, opt.dry_run, NULL,
                      resolve_direct_off ? NULL : &again},
                     SOCLOSS_OK};
  int rc = (opt.dry_run ? store_write_discard : store_write)(led->st, lone_txn, &one);
  if (rc == RESOLVE_AGAIN) {  /* the policy failed: the job again, to journal the failure and fall back */
    __atomic_fetch_add(&resolve_direct_again, 1, __ATOMIC_RELAXED);
    rc = (opt.dry_run ? store_write_discard : store_write)(led->st, lone_txn, &one);
  }
  codec_buf_free(&again.log);
  if (!rc && !opt.dry_run) stats_commit(led);
  if (!rc) rc = one.rc;
  if (out && led->res && led->res->r.status) *out = &led->res->r;
  return rc;
}
