/*
 * event.c — a crash as one event: every account bankrupt when it starts,
 * resolved in one durable write transaction with the marks fixed.  Each
 * policy call sees the event: each candidate's gross profit when it began
 * (profit0) and what the event has charged it so far, so that a rule such
 * as "never more than half of one's profit in this crash" can be written.
 *
 * Sequential (the default): the bankrupt accounts one by one in account-id
 * order, each deficit ("EVENT:ACCOUNT") taking the one path of attempt.c,
 * atomic on its own; a failure is journaled and the event goes on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blocks.h"
#include "resolve_int.h"

void socloss_event_options_init(socloss_event_options *o) {
  memset(o, 0, sizeof *o);
  o->size = sizeof *o;
}


/* What a deficit's result took from each account, added to the event's
 * charged column: haircuts and close transfers. */
static void add_charges(event_ctx *ev, const struct resolution_buf *rb, socloss_event_summary *sum) {
  const socloss_resolution *r = &rb->r;
  event_add_result(ev, rb);
  for (size_t k = 0; k < r->nhaircuts; k++) sum->charged += r->haircuts[k].amount;
  for (size_t k = 0; r->transfers && k < r->ndeleveraged; k++) sum->charged += r->transfers[k];
}

/* An account's index in the event's: `at` when the candidates said it (a
 * live deficit of this event), else found by id from *hint (a replay). */
static long event_index(const event_ctx *ev, uint32_t at, const char *id, size_t len, size_t *hint) {
  if (at < ev->all.n) return at;
  return account_scan_find_from(&ev->all, id, len, hint);
}

void event_add_charges(event_ctx *ev, const deficit_rec *d) {
  size_t hint = 0;
  for (size_t k = 0; k < d->nhc; k++) {
    long i = event_index(ev, d->hc[k].at, d->hc[k].account, d->hc[k].len, &hint);
    if (i >= 0) ev->charged[i] += d->hc[k].amount;
  }
  for (size_t k = 0; d->rules >= 2 && k < d->ndl; k++) {
    long i = event_index(ev, d->dl[k].at, d->dl[k].holder, d->dl[k].len, &hint);
    if (i >= 0) ev->charged[i] += d->dl[k].transfer;
  }
}

uint64_t event_serial(void) {
  static uint64_t last;
  return __atomic_add_fetch(&last, 1, __ATOMIC_RELAXED);
}

static void event_free(void *p) {
  event_ctx *ev = p;
  account_scan_free(&ev->all);
  free(ev->charged);
  free((char *)ev->id);
  free(ev);
}

int event_share(applier *a, const char *id, const event_ctx **out) {
  event_ctx *ev = a->event;
  if (ev && !strcmp(ev->id, id)) {
    *out = ev;
    return SOCLOSS_OK;
  }
  if (a->event && a->event_free) a->event_free(a->event);
  a->event = NULL;
  if (!id_valid(id))
    return err_fail(SOCLOSS_EINVAL, "event: '%.80s' is not a valid event id (1-64 printable ASCII characters, no spaces)", id);
  int rc = applier_finish(a);  /* the accounts as they are now: the event begins */
  if (rc) return rc;
  if (!(ev = calloc(1, sizeof *ev)) || !(ev->id = strdup(id))) {
    free(ev);
    return err_fail(SOCLOSS_ENOMEM, "out of memory");
  }
  ev->serial = event_serial();
  if ((rc = account_scan_load(a->t, &ev->all)) == SOCLOSS_OK &&
      !(ev->charged = blocks_calloc(ev->all.n ? ev->all.n : 1, sizeof *ev->charged)))
    rc = err_fail(SOCLOSS_ENOMEM, "out of memory");
  if (rc) {
    event_free(ev);
    return rc;
  }
  a->event = ev;
  a->event_free = event_free;
  *out = ev;
  return SOCLOSS_OK;
}

void event_add_result(event_ctx *ev, const struct resolution_buf *rb) {
  const socloss_resolution *r = &rb->r;
  size_t hint = 0;
  for (size_t k = 0; k < r->nhaircuts; k++) {
    const char *id = r->haircuts[k].account;
    long i = event_index(ev, rb->hc_at[k], id, strlen(id), &hint);
    if (i >= 0) ev->charged[i] += r->haircuts[k].amount;
  }
  for (size_t k = 0; r->transfers && k < r->ndeleveraged; k++) {
    const char *id = r->deleveraged[k].account;
    long i = event_index(ev, rb->dl_at[k], id, strlen(id), &hint);
    if (i >= 0) ev->charged[i] += r->transfers[k];
  }
}

static int sequential(event_run *er, applier *a, event_ctx *ev) {
  socloss *led = er->led;
  int rc = SOCLOSS_OK;
  for (size_t i = 0; i < ev->all.n && !rc; i++) {
    if (ev->all.equity[i] >= 0) continue;
    if (er->before && (rc = er->before(er->hook_ud, a))) break;
    char account[CODEC_ID_MAX + 1], id[2 * CODEC_ID_MAX + 2];
    copy_id(account, ev->all.ids + ev->all.off[i], ev->all.off[i + 1] - ev->all.off[i]);
    snprintf(id, sizeof id, "%s:%s", er->o.id, account);
    deficit_job job = {id, account, er->o.policy, er->o.policy_len, er->o.params, er->o.dry_run, ev, NULL};
    int r = resolve_job(a, &job);
    if (resolve_fatal(r)) return r;
    const socloss_resolution *res = led->res && led->res->r.status ? &led->res->r : NULL;
    if (r == SOCLOSS_OK) {
      er->sum.resolved++;
      er->sum.fund_draw += res->fund_draw;
      er->sum.bad_debt += res->bad_debt;
      add_charges(ev, led->res, &er->sum);
    } else {
      /* a refusal of the deficit itself (not a policy's) is the event's */
      if (r != SOCLOSS_EPOLICY) return r;
      er->sum.failed++;
      er->rc = SOCLOSS_EPOLICY;
    }
    if (er->after && res && (rc = er->after(er->hook_ud, r, res))) break;
    if (er->o.each && res && er->o.each(er->o.ud, res)) rc = err_fail(SOCLOSS_ESTOP, "stopped by the callback");
  }
  return rc;
}

int event_in(event_run *er, applier *a) {
  memset(&er->sum, 0, sizeof er->sum);  /* a grown map runs this again */
  er->rc = SOCLOSS_OK;
  event_ctx ev;
  memset(&ev, 0, sizeof ev);
  ev.id = er->o.id;
  ev.serial = event_serial();
  int rc = applier_finish(a);  /* what the applier holds goes to the transaction first */
  if (!rc) rc = account_scan_load(a->t, &ev.all);
  if (!rc && !(ev.charged = blocks_calloc(ev.all.n ? ev.all.n : 1, sizeof *ev.charged)))
    rc = err_fail(SOCLOSS_ENOMEM, "out of memory");
  for (size_t i = 0; !rc && i < ev.all.n; i++) {
    if (ev.all.equity[i] >= 0) continue;
    er->sum.bankrupt++;
    er->sum.deficit -= ev.all.equity[i];
    if (strlen(er->o.id) + 1 + (ev.all.off[i + 1] - ev.all.off[i]) > CODEC_ID_MAX)
      rc = err_fail(SOCLOSS_EINVAL, "id: '%s' and account '%.*s' make a deficit id longer than %d bytes", er->o.id,
                    (int)(ev.all.off[i + 1] - ev.all.off[i]), ev.all.ids + ev.all.off[i], CODEC_ID_MAX);
  }
  er->ev = &ev;
  if (!rc) rc = er->o.joint ? joint_resolve(er, a, &ev) : sequential(er, a, &ev);
  er->ev = NULL;
  account_scan_free(&ev.all);
  free(ev.charged);
  return rc;
}

static int event_txn(store_txn *t, void *ud) {
  event_run *er = ud;
  applier a;
  stats_begin(er->led);
  /* its deficits' writes kept in memory until the commit, as a batch's
   * (group.c): each deficit is a nested transaction */
  int rc = store_cache_writes(t);
  if (!rc) rc = applier_start(&a, er->led, t, 1);
  if (!rc) rc = event_in(er, &a);
  if (!rc) rc = applier_finish(&a);
  applier_end(&a);
  return rc;
}

int event_check(event_run *er) {
  if (!er->o.id || !id_valid(er->o.id))
    return err_fail(SOCLOSS_EINVAL, "id: '%.80s' is not a valid event id (1-64 printable ASCII characters, no spaces)",
                    er->o.id ? er->o.id : "(null)");
  return params_valid(er->o.params);
}

/* A deficit line of an applied file: a failure refuses the whole file, so
 * the failure records go with it. */
int resolve_event(applier *a, const socloss_event *e) {
  if (!e->id || !id_valid(e->id))
    return err_fail(SOCLOSS_EINVAL, "id: '%.80s' is not a valid id (1-64 printable ASCII characters, no spaces)",
                    e->id ? e->id : "");
  deficit_job job = {e->id, e->account, e->policy, e->policy_len, e->params, 0, NULL, NULL};
  if (e->event) {  /* deficit lines naming one event share its context */
    int rc = event_share(a, e->event, &job.event);
    if (rc) return rc;
  }
  int rc = resolve_job(a, &job);
  if (!rc && job.event) event_add_result((event_ctx *)job.event, a->led->res);
  return rc;
}

/* An event line of an applied file: the file is all or nothing, so a
 * deficit that could not be resolved refuses it, like a deficit line. */
void event_run_init(event_run *er, socloss *led, const char *id, const char *policy, size_t policy_len,
                    const char *params) {
  memset(er, 0, sizeof *er);
  er->led = led;
  socloss_event_options_init(&er->o);
  er->o.id = id;
  er->o.policy = policy;
  er->o.policy_len = policy_len;
  er->o.params = params;
}

int resolve_event_line(applier *a, const socloss_event *e) {
  event_run er;
  event_run_init(&er, a->led, e->id, e->policy, e->policy_len, e->params);
  er.o.joint = e->joint;
  int rc = event_check(&er);
  if (!rc) rc = event_in(&er, a);
  if (!rc && er.rc)
    rc = err_fail(er.rc, "event '%s': %zu of %zu bankrupt accounts were not resolved: %s", e->id, er.sum.failed,
                  er.sum.bankrupt, a->led->res ? a->led->res->failure : "");
  if (!resolve_fatal(rc)) {
    a->seq = store_journal_last(a->t);
    int trc = store_totals_get(a->t, &a->tot);
    if (trc) rc = trc;
  }
  return rc;
}

int event_resolve_run(socloss *led, const socloss_event_options *o, socloss_event_summary *out) {
  event_run er;
  memset(&er, 0, sizeof er);
  er.led = led;
  socloss_event_options_init(&er.o);
  if (o) memcpy(&er.o, o, o->size < sizeof er.o ? o->size : sizeof er.o);
  int rc = event_check(&er);
  if (rc) return rc;
  rc = (er.o.dry_run ? store_write_discard : store_write)(led->st, event_txn, &er);
  if (!rc && !er.o.dry_run) stats_commit(led);
  if (out && out->size) {
    er.sum.size = out->size;
    memcpy(out, &er.sum, out->size < sizeof er.sum ? out->size : sizeof er.sum);
  }
  if (rc) return rc;
  if (er.rc) return err_fail(er.rc, "%zu of %zu bankrupt accounts were not resolved (their failures are journaled)",
                             er.sum.failed, er.sum.bankrupt);
  ERRBUF[0] = 0;
  return SOCLOSS_OK;
}
