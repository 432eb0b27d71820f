/*
 * replay.c — the journal's deficits decided again, from the journal alone.
 *
 * In one write transaction that is always aborted: the state is emptied and
 * rebuilt record by record; at each deficit the policy decides again on the
 * state just before it (in a nested transaction, thrown away), the decision
 * is compared with the record, and the recorded decision is applied so that
 * the history goes on as it happened.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"

/* The fields a decision is made of, from a resolution's JSON object. */
static json_t *decision(json_t *full) {
  static const char *const keys[] = {"deleveraged", "takeovers", "fund_draw", "haircuts", "bad_debt"};
  json_t *o = json_object();
  for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
    json_t *v = json_object_get(full, keys[k]);
    json_object_set(o, keys[k], v ? v : json_null());
  }
  return o;
}

static int64_t charged(json_t *d) {
  int64_t sum = 0;
  size_t i;
  json_t *h;
  json_array_foreach(json_object_get(d, "haircuts"), i, h) sum += json_integer_value(json_object_get(h, "amount"));
  return sum;
}

/* Who pays what in a decision (a deficit's, or a joint event's record):
 * account -> [recorded, replayed] in map, side 0 or 1.  Haircuts and the
 * transfers of deleverage closes; a joint event's closes are in its parts. */
static void charges_of(json_t *map, json_t *d, int side) {
  static const char *const lists[2][2] = {{"haircuts", "amount"}, {"deleveraged", "transfer"}};
  for (int l = 0; l < 2; l++) {
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(d, lists[l][0]), i, x) {
      const char *acct = json_string_value(json_object_get(x, "account"));
      json_int_t v = json_integer_value(json_object_get(x, lists[l][1]));
      if (!acct) continue;
      json_t *pair = json_object_get(map, acct);
      if (!pair) {
        pair = json_pack("[II]", (json_int_t)0, (json_int_t)0);
        json_object_set_new(map, acct, pair);
      }
      json_int_t had = json_integer_value(json_array_get(pair, (size_t)side));
      if (pair) json_array_set_new(pair, (size_t)side, json_integer(had + v));
    }
  }
  size_t i;
  json_t *part;
  json_array_foreach(json_object_get(d, "parts"), i, part) charges_of(map, part, side);
}

static int by_account(const void *a, const void *b) {
  return strcmp(((const socloss_replay_account *)a)->account, ((const socloss_replay_account *)b)->account);
}

/* The accounts of map whose two charges differ, sorted, into it (the
 * strings are map's keys: free *out, then map, after the callback). */
static int charges_differ(json_t *map, socloss_replay_item *it, socloss_replay_account **out) {
  size_t n = 0, cap = json_object_size(map);
  socloss_replay_account *v = malloc((cap ? cap : 1) * sizeof *v);
  if (!v) return err_fail(SOCLOSS_ENOMEM, "out of memory");
  const char *key;
  json_t *pair;
  json_object_foreach(map, key, pair) {
    int64_t rec = json_integer_value(json_array_get(pair, 0)), alt = json_integer_value(json_array_get(pair, 1));
    if (rec != alt) v[n++] = (socloss_replay_account){key, rec, alt};
  }
  qsort(v, n, sizeof *v, by_account);
  it->naccounts = n;
  it->accounts = v;
  *out = v;
  return SOCLOSS_OK;
}

/* A what-if of a whole sequential event: each account's decision under the
 * other policy, the event run again from its start on its own. */
typedef struct whatif {
  char event[CODEC_ID_MAX + 1];
  int live;
  size_t n, cap;
  char (*account)[CODEC_ID_MAX + 1];
  char **json;     /* the decision, or NULL when it failed */
  char **message;  /* why it failed */
} whatif;

typedef struct replay {
  socloss *led;
  whatif wi;
  const char *policy;  /* NULL: each deficit's own */
  size_t policy_len;
  const char *params;
  uint64_t from;
  socloss_replay_cb cb;
  void *ud;
  const socloss_progress *pg;  /* NULL: none */
  size_t differ, seen;
} replay;

static void whatif_clear(whatif *w) {
  for (size_t k = 0; k < w->n; k++) {
    free(w->json[k]);
    free(w->message[k]);
  }
  free(w->account);
  free(w->json);
  free(w->message);
  memset(w, 0, sizeof *w);
}

static int whatif_each(void *ud, const socloss_resolution *res) {
  whatif *w = ud;
  if (w->n == w->cap) {
    size_t cap = w->cap ? 2 * w->cap : 64;
    void *a = realloc(w->account, cap * sizeof *w->account), *j = realloc(w->json, cap * sizeof *w->json),
         *m = realloc(w->message, cap * sizeof *w->message);
    if (a) w->account = a;
    if (j) w->json = j;
    if (m) w->message = m;
    if (!a || !j || !m) return 1;
    w->cap = cap;
  }
  snprintf(w->account[w->n], sizeof w->account[w->n], "%s", res->account);
  int failed = !strcmp(res->status, "failed");
  w->json[w->n] = failed ? NULL : socloss_resolution_json(res);
  w->message[w->n] = strdup(failed && res->failure ? res->failure : "");
  w->n++;
  return 0;
}

typedef struct whatif_run {
  replay *r;
  const char *event;
} whatif_run;

/* The event from its start under the other policy, in a transaction thrown
 * away. */
static int whatif_txn(store_txn *t, void *ud) {
  whatif_run *wr = ud;
  replay *r = wr->r;
  event_run er;
  event_run_init(&er, r->led, wr->event, r->policy, r->policy_len, r->params);
  er.o.dry_run = 1;
  er.o.each = whatif_each;
  er.o.ud = &r->wi;
  applier a;
  int rc = applier_start(&a, r->led, t, 1);
  if (!rc) rc = event_check(&er);
  if (!rc) rc = event_in(&er, &a);
  applier_end(&a);
  return rc ? rc : SOCLOSS_ESTOP;
}

/* A what-if meets a deficit of a sequential event: the whole event is run
 * again under the other policy at its first deficit, once. */
static int whatif_event(replay *r, store_txn *t, const deficit_rec *d) {
  char id[CODEC_ID_MAX + 1];
  copy_id(id, d->event, d->event_len);
  if (r->wi.live && !strcmp(r->wi.event, id)) return SOCLOSS_OK;
  whatif_clear(&r->wi);
  snprintf(r->wi.event, sizeof r->wi.event, "%s", id);
  r->wi.live = 1;
  whatif_run wr = {r, r->wi.event};
  int rc = store_nested(t, whatif_txn, &wr);
  return rc == SOCLOSS_ESTOP ? SOCLOSS_OK : rc;
}

/* The evaluator on record beside the one that answered last. */
static void evaluator_of(socloss_replay_item *it, const socloss *led, const char *lua_release, const char *build_id) {
  const evaluator *ev = led->ev;
  it->lua_release = lua_release;
  it->build_id = build_id;
  it->now_lua_release = ev->lua_release;
  it->now_build_id = ev->build_id;
  it->other_build = build_id[0] && ev->build_id[0] &&
                    (strcmp(build_id, ev->build_id) || strcmp(lua_release, ev->lua_release));
}

static int compare(replay *r, applier *a, uint64_t seq, const deficit_rec *d, int64_t cap_rules1,
                   const event_ctx *ev) {
  socloss *led = r->led;
  socloss_replay_item it;
  memset(&it, 0, sizeof it);
  it.seq = seq;
  char id[CODEC_ID_MAX + 1];
  snprintf(id, sizeof id, "%.*s", (int)d->id_len, d->id);
  it.id = id;
  it.account = d->account;
  it.field = "";
  it.message = "";
  const char *src = r->policy, *params = r->params ? r->params : "";
  size_t len = r->policy_len, plen = strlen(params);
  char *own = NULL;
  int rc = SOCLOSS_OK;
  if (!src) {  /* verification: the policy and params on record */
    const char *p;
    rc = registry_source(a->t, d->policy_hash, &p, &len);
    if (rc == SOCLOSS_ENOTFOUND) rc = err_fail(SOCLOSS_ENOTFOUND, "policy %.12s of this deficit is not in the registry", d->policy_hash);
    if (rc && rc != SOCLOSS_ENOTFOUND) return rc;
    if (!rc && !(own = malloc(len + 1))) return err_fail(SOCLOSS_ENOMEM, "out of memory");
    if (!rc) {
      memcpy(own, p, len);
      src = own;
      params = d->params;
      plen = d->params_len;
    }
  }
  char *pbuf = malloc(plen + 1);
  if (!pbuf) {
    free(own);
    return err_fail(SOCLOSS_ENOMEM, "out of memory");
  }
  /* verification decides under the record's own rules; a what-if under
   * today's; both with the fund cap that was in force */
  int rules = r->policy ? DEFICIT_RULES : d->rules;
  int64_t cap = d->rules >= 2 ? d->fund_max_draw : cap_rules1;
  const char *alt_json = NULL, *alt_msg = NULL;
  int whole = r->policy && ev;  /* a what-if re-runs a whole event */
  if (!rc && whole && !(rc = whatif_event(r, a->t, d))) {
    size_t k = 0;
    while (k < r->wi.n && strcmp(r->wi.account[k], d->account)) k++;
    if (k == r->wi.n) rc = err_fail(SOCLOSS_ENOTBANKRUPT, "account: '%s' is not bankrupt under this policy", d->account);
    else if (!r->wi.json[k]) alt_msg = r->wi.message[k], rc = SOCLOSS_EPOLICY;
    else alt_json = r->wi.json[k];
  } else if (!rc) {
    rc = resolve_decide(a, d->id, d->id_len, d->account, src, len, params, plen, pbuf, rules, cap, ev);
  }
  free(pbuf);
  free(own);
  if (rc == SOCLOSS_EMAPFULL || rc == SOCLOSS_ESTORE || rc == SOCLOSS_ENOMEM) return rc;
  it.code = rc;
  char msg[ERRMSG_MAX];
  snprintf(msg, sizeof msg, "%s", rc ? (alt_msg ? alt_msg : ERRBUF) : "");
  it.message = msg;

  char *rec_text = deficit_json(seq, d), *alt_text = NULL;
  json_error_t err;
  json_t *rec_full = rec_text ? json_loads(rec_text, 0, &err) : NULL, *rec = rec_full ? decision(rec_full) : NULL;
  json_t *alt = NULL;
  if (!rc) {
    char *t = alt_json ? strdup(alt_json) : socloss_resolution_json(&led->res->r);
    json_t *alt_full = t ? json_loads(t, 0, &err) : NULL;
    alt = alt_full ? decision(alt_full) : NULL;
    json_decref(alt_full);
    free(t);
  }
  free(rec_text);
  if (!rec) {
    json_decref(rec_full);
    json_decref(alt);
    return err_fail(SOCLOSS_ENOMEM, "out of memory");
  }
  char *rs = json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER);
  alt_text = alt ? json_dumps(alt, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
  it.recorded = rs ? rs : "";
  it.replayed = alt_text ? alt_text : "";
  it.recorded_charged = charged(rec);
  it.recorded_bad_debt = json_integer_value(json_object_get(rec, "bad_debt"));
  it.recorded_fund_draw = json_integer_value(json_object_get(rec, "fund_draw"));
  if (alt) {
    it.replayed_charged = charged(alt);
    it.replayed_bad_debt = json_integer_value(json_object_get(alt, "bad_debt"));
    it.replayed_fund_draw = json_integer_value(json_object_get(alt, "fund_draw"));
    static const char *const keys[] = {"deleveraged", "takeovers", "fund_draw", "haircuts", "bad_debt"};
    it.same = 1;
    for (size_t k = 0; k < 5 && it.same; k++)
      if (!json_equal(json_object_get(rec, keys[k]), json_object_get(alt, keys[k]))) {
        it.same = 0;
        it.field = keys[k];
      }
  }
  evaluator_of(&it, led, d->lua_release, d->build_id);
  json_t *map = json_object();
  socloss_replay_account *who = NULL;
  if (alt && map) {
    charges_of(map, rec, 0);
    charges_of(map, alt, 1);
  }
  if (!map || (alt && charges_differ(map, &it, &who))) {
    json_decref(map);
    free(rs);
    free(alt_text);
    json_decref(rec);
    json_decref(rec_full);
    json_decref(alt);
    return err_fail(SOCLOSS_ENOMEM, "out of memory");
  }
  r->differ += !it.same;
  r->seen++;
  int stop = r->cb ? r->cb(r->ud, &it) : 0;
  free(who);
  json_decref(map);
  free(rs);
  free(alt_text);
  json_decref(rec);
  json_decref(rec_full);
  json_decref(alt);
  return stop ? err_fail(SOCLOSS_ESTOP, "stopped by the callback") : SOCLOSS_OK;
}

/* A joint event's figures: charged (haircuts and close transfers), bad
 * debt, fund draw. */
static void joint_figures(const joint_rec *j, int64_t *charged, int64_t *bad, int64_t *fund) {
  *charged = *bad = *fund = 0;
  for (size_t k = 0; k < j->nhc; k++) *charged += j->hc[k].amount;
  for (size_t k = 0; k < j->nparts; k++) {
    for (size_t i = 0; i < j->parts[k].ndl; i++) *charged += j->parts[k].dl[i].transfer;
    *bad += j->parts[k].bad_debt;
    *fund += j->parts[k].fund_draw;
  }
}

/* A joint event decided again as a whole (by its own policy, or the one
 * given) and compared with its record. */
static int compare_joint(replay *r, applier *a, uint64_t seq, const joint_rec *j) {
  socloss_replay_item it;
  memset(&it, 0, sizeof it);
  it.seq = seq;
  char id[CODEC_ID_MAX + 1];
  copy_id(id, j->event, j->event_len);
  it.id = id;
  it.account = "";
  it.field = "";
  it.message = "";
  const char *src = r->policy, *params = r->params ? r->params : "";
  size_t len = r->policy_len;
  char *own = NULL, *pbuf = NULL;
  int rc = SOCLOSS_OK;
  if (!src) {  /* verification: the policy and params on record */
    const char *p;
    rc = registry_source(a->t, j->policy_hash, &p, &len);
    if (rc == SOCLOSS_ENOTFOUND) rc = err_fail(rc, "policy %.12s of this event is not in the registry", j->policy_hash);
    if (rc && rc != SOCLOSS_ENOTFOUND) return rc;
    if (!rc && (!(own = malloc(len + 1)) || !(pbuf = malloc(j->params_len + 1)))) rc = err_fail(SOCLOSS_ENOMEM, "out of memory");
    if (!rc) {
      memcpy(own, p, len);
      memcpy(pbuf, j->params, j->params_len);
      pbuf[j->params_len] = 0;
      src = own;
      params = pbuf;
    }
  }
  codec_buf out = {0};
  if (!rc) rc = joint_decide(a, id, src, len, params, j->fund_max_draw, &out);
  free(own);
  free(pbuf);
  if (rc == SOCLOSS_EMAPFULL || rc == SOCLOSS_ESTORE || rc == SOCLOSS_ENOMEM) {
    codec_buf_free(&out);
    return rc;
  }
  it.code = rc;
  char msg[ERRMSG_MAX];
  snprintf(msg, sizeof msg, "%s", rc ? ERRBUF : "");
  it.message = msg;
  joint_rec alt;
  int have = !rc && joint_decode(out.p, out.len, &alt) == 0;
  char *rec_text = joint_json(seq, j), *alt_text = have ? joint_json(seq, &alt) : NULL;
  it.recorded = rec_text ? rec_text : "";
  it.replayed = alt_text ? alt_text : "";
  joint_figures(j, &it.recorded_charged, &it.recorded_bad_debt, &it.recorded_fund_draw);
  if (have) {
    joint_figures(&alt, &it.replayed_charged, &it.replayed_bad_debt, &it.replayed_fund_draw);
    /* the same decision: the same bytes but for the time spent and the
     * evaluator that decided (a replay tells another one apart) */
    joint_rec x = *j, y = alt;
    x.instructions = y.instructions = x.policy_us = y.policy_us = 0;
    memcpy(y.lua_release, x.lua_release, sizeof y.lua_release);
    memcpy(y.build_id, x.build_id, sizeof y.build_id);
    for (size_t k = 0; k < y.nparts && k < x.nparts; k++) {
      memcpy(y.parts[k].lua_release, x.parts[k].lua_release, sizeof y.parts[k].lua_release);
      memcpy(y.parts[k].build_id, x.parts[k].build_id, sizeof y.parts[k].build_id);
    }
    codec_buf bx = {0}, by = {0};
    joint_encode(&bx, &x);
    joint_encode(&by, &y);
    it.same = bx.len == by.len && !memcmp(bx.p, by.p, bx.len);
    if (!it.same) it.field = "event";
    codec_buf_free(&bx);
    codec_buf_free(&by);
    joint_rec_free(&alt);
  }
  codec_buf_free(&out);
  evaluator_of(&it, r->led, j->lua_release, j->build_id);
  /* who pays: from both events' JSON, which name the accounts */
  json_t *map = json_object(), *rj = NULL, *aj = NULL;
  socloss_replay_account *who = NULL;
  int bad = !map;
  if (have && map) {
    rj = json_loads(it.recorded, 0, NULL);
    aj = json_loads(it.replayed, 0, NULL);
    if (rj && aj) {
      charges_of(map, rj, 0);
      charges_of(map, aj, 1);
    }
    bad = !rj || !aj || charges_differ(map, &it, &who);
  }
  json_decref(rj);
  json_decref(aj);
  if (bad) {
    json_decref(map);
    free(rec_text);
    free(alt_text);
    return err_fail(SOCLOSS_ENOMEM, "out of memory");
  }
  r->differ += !it.same;
  r->seen++;
  int stop = r->cb ? r->cb(r->ud, &it) : 0;
  free(who);
  json_decref(map);
  free(rec_text);
  free(alt_text);
  return stop ? err_fail(SOCLOSS_ESTOP, "stopped by the callback") : SOCLOSS_OK;
}

/* The crash event the records being replayed belong to: its accounts as
 * they were before its first deficit, and what its deficits took so far. */
typedef struct event_track {
  event_ctx ev;
  char id[CODEC_ID_MAX + 1];
  int live;
} event_track;

static void event_end(event_track *e) {
  account_scan_free(&e->ev.all);
  free(e->ev.charged);
  memset(e, 0, sizeof *e);
}

/* Before deficit d: the event it belongs to (begun at its first record), or
 * NULL. */
static int event_at(event_track *e, store_txn *t, const deficit_rec *d, const event_ctx **out) {
  *out = NULL;
  if (!d->event_len) {
    event_end(e);
    return SOCLOSS_OK;
  }
  if (!e->live || strlen(e->id) != d->event_len || memcmp(e->id, d->event, d->event_len)) {
    event_end(e);
    copy_id(e->id, d->event, d->event_len);
    e->ev.id = e->id;
    int rc = account_scan_load(t, &e->ev.all);
    if (!rc && !(e->ev.charged = calloc(e->ev.all.n ? e->ev.all.n : 1, sizeof *e->ev.charged)))
      rc = err_fail(SOCLOSS_ENOMEM, "out of memory");
    if (rc) return rc;
    e->live = 1;
  }
  *out = &e->ev;
  return SOCLOSS_OK;
}

static int replay_txn(store_txn *t, void *ud) {
  replay *r = ud;
  applier a;
  event_track track;
  memset(&track, 0, sizeof track);
  int64_t fund_cap = 0;  /* the cap in force, for records of rules 1 */
  r->differ = r->seen = 0;
  whatif_clear(&r->wi);
  int rc = store_clear_state(t);
  if (!rc) rc = applier_start(&a, r->led, t, 0);
  if (rc) return rc;
  uint64_t last = store_journal_last(t);
  for (uint64_t seq = 1; !rc && seq <= last; seq++) {
    const void *p;
    size_t len;
    if (r->pg && (seq & 0xffff) == 1 && r->pg->fn(r->pg->ud, "records", seq - 1, last)) {
      rc = err_fail(SOCLOSS_ESTOP, "replay stopped by the progress callback at journal record %llu",
                    (unsigned long long)seq);
      break;
    }
    if ((rc = store_journal_get(t, seq, &p, &len))) break;
    /* a copy: the nested transactions below write while we hold it */
    void *copy = malloc(len ? len : 1);
    if (!copy) {
      rc = err_fail(SOCLOSS_ENOMEM, "out of memory");
      break;
    }
    memcpy(copy, p, len);
    int type = record_type(copy, len);
    socloss_event e;
    record_ids ids;
    deficit_rec d;
    int64_t lim[4];
    if (type == EV_LIMITS && !record_limits_decode(copy, len, lim)) fund_cap = lim[3];
    if ((type == EV_DEFICIT || type == EV_EVENT_JOINT) && (rc = applier_flush(&a))) {
      /* the resolution reads the state: the applier's pending markets first */
      free(copy);
      break;
    }
    if (record_is_aux(type)) {
      /* no state */
    } else if (type == EV_DEFICIT) {
      const event_ctx *ev = NULL;
      if (deficit_decode(copy, len, &d)) rc = err_fail(SOCLOSS_ESTORE, "journal record %llu is corrupt", (unsigned long long)seq);
      if (!rc) rc = event_at(&track, t, &d, &ev);
      /* the totals the events before moved (the fund's cash) into the
       * transaction: a what-if's nested run reads them there, and they
       * are read back below */
      if (!rc) rc = applier_finish(&a);
      if (!rc && seq >= r->from) rc = compare(r, &a, seq, &d, fund_cap, ev);
      if (!rc) {
        a.seq = store_journal_last(t);
        rc = store_totals_get(t, &a.tot);
      }
      if (!rc) rc = deficit_replay(&a, &d, seq, fund_cap);
      if (!rc && ev) event_add_charges(&track.ev, &d);
      if (rc && rc != SOCLOSS_ESTOP && rc != SOCLOSS_ENOMEM)
        err_prefix("journal record %llu: ", (unsigned long long)seq);
      deficit_rec_free(&d);
    } else if (type == EV_EVENT_JOINT) {
      joint_rec j;
      event_end(&track);
      if (joint_decode(copy, len, &j)) {
        rc = err_fail(SOCLOSS_ESTORE, "journal record %llu is corrupt", (unsigned long long)seq);
      } else {
        rc = applier_finish(&a);  /* as for a deficit, above */
        if (!rc && seq >= r->from) rc = compare_joint(r, &a, seq, &j);
        if (!rc) {
          a.seq = store_journal_last(t);
          rc = store_totals_get(t, &a.tot);
        }
        if (!rc) rc = joint_replay(&a, &j, seq);
        if (rc && rc != SOCLOSS_ESTOP && rc != SOCLOSS_ENOMEM)
          err_prefix("journal record %llu: ", (unsigned long long)seq);
        joint_rec_free(&j);
      }
    } else if (record_decode(copy, len, &e, &ids) == 0) {
      event_end(&track);  /* the marks moved, or money: an event is over */
      rc = applier_apply(&a, &e);
    } else {
      rc = err_fail(SOCLOSS_ESTORE, "journal record %llu is corrupt", (unsigned long long)seq);
    }
    free(copy);
  }
  if (!rc) rc = applier_flush(&a);  /* the state complete, though the scratch copy is discarded */
  applier_end(&a);
  event_end(&track);
  return rc;
}

/* The replay runs on a copy of one snapshot: its settings, registry and
 * journal copied into a scratch ledger (store_open_scratch) whose state
 * starts empty, so that the ledger's writers go on meanwhile. */
typedef struct on_copy {
  replay *r;
  store_txn *snapshot;
} on_copy;

static int copy_then_replay(store_txn *t, void *ud) {
  on_copy *oc = ud;
  int rc = store_copy_all_but_state(oc->snapshot, t);
  return rc ? rc : replay_txn(t, oc->r);
}

static int replay_snapshot(store_txn *snapshot, void *ud) {
  replay *r = ud;
  store *scratch;
  int rc = audit_scratch(r->led, &scratch);
  if (rc) return rc;
  on_copy oc = {r, snapshot};
  rc = store_write_discard(scratch, copy_then_replay, &oc);
  store_close(scratch);
  return rc;
}

int replay_run(socloss *led, const char *policy, size_t policy_len, const char *params, uint64_t from,
               socloss_replay_cb cb, void *ud, const socloss_progress *progress, size_t *differ) {
  int rc = params_valid(params);
  if (rc) return rc;
  replay r;
  memset(&r, 0, sizeof r);
  r.led = led;
  r.policy = policy;
  r.policy_len = policy_len;
  r.params = params;
  r.from = from ? from : 1;
  r.cb = cb;
  r.ud = ud;
  r.pg = progress && progress->fn ? progress : NULL;
  rc = store_read(led->st, replay_snapshot, &r);
  whatif_clear(&r.wi);
  if (differ) *differ = r.differ;
  if (!rc) ERRBUF[0] = 0;
  return rc;
}

