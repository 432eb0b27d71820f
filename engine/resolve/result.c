/*
 * result.c — what a resolution decided, handed to callers
 * (socloss_resolution) and as JSON: the result, a journal record of it, and
 * the decision part that shadow runs and replays compare.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blocks.h"
#include "resolve.h"

/* ---- the result handed to callers --------------------------------------- */


void result_clear(struct resolution_buf *rb) {
  free(rb->params);
  free(rb->strings);
  free(rb->dl);
  free(rb->shares);
  free(rb->transfers);
  free(rb->hc);
  free(rb->dl_at);
  free(rb->hc_at);
  free(rb->log);
  memset(rb, 0, sizeof *rb);
}

#define LOG_CUT "[log truncated: this deficit's 65536 bytes are spent]\n"

void log_keep(codec_buf *log, const char *text, size_t len) {
  size_t cut = sizeof LOG_CUT - 1;
  if (!log || !len) return;
  if (log->len >= cut && !memcmp(log->p + log->len - cut, LOG_CUT, cut)) return;  /* cut already: the rest dropped */
  if (log->len + len <= RESOLUTION_LOG_MAX) codec_buf_raw(log, text, len);
  else codec_buf_raw(log, LOG_CUT, cut);
}

int result_set_log(struct resolution_buf *rb, const codec_buf *log) {
  free(rb->log);
  rb->log = NULL;
  rb->r.log = "";
  if (!log || !log->len) return SOCLOSS_OK;
  if (log->oom || !(rb->log = malloc(log->len + 1))) return SOCLOSS_ENOMEM;
  memcpy(rb->log, log->p, log->len);
  rb->log[log->len] = 0;
  rb->r.log = rb->log;
  return SOCLOSS_OK;
}

void resolution_free(struct resolution_buf *rb) {
  if (!rb) return;
  result_clear(rb);
  free(rb);
}

/* Copies what d says into rb (everything rb points to is its own). */
int result_fill(struct resolution_buf *rb, const deficit_rec *d, const char *status, uint64_t seq) {
  char failure[ERRMSG_MAX];
  memcpy(failure, rb->failure, sizeof failure);
  result_clear(rb);
  memcpy(rb->failure, failure, sizeof failure);
  copy_id(rb->id, d->id, d->id_len);
  memcpy(rb->account, d->account, sizeof rb->account);
  memcpy(rb->name, d->policy_name, sizeof rb->name);
  memcpy(rb->hash, d->policy_hash, sizeof rb->hash);
  snprintf(rb->status, sizeof rb->status, "%s", status);
  rb->params = malloc(d->params_len + 1);
  size_t bytes = 0;
  for (size_t k = 0; k < d->ndl; k++) bytes += d->dl[k].len + 1;
  for (size_t k = 0; k < d->nhc; k++) bytes += d->hc[k].len + 1;
  rb->strings = blocks_malloc(bytes ? bytes : 1);
  rb->dl = blocks_malloc((d->ndl ? d->ndl : 1) * sizeof *rb->dl);
  rb->shares = blocks_malloc((d->ndl ? d->ndl : 1) * sizeof *rb->shares);
  rb->transfers = blocks_malloc((d->ndl ? d->ndl : 1) * sizeof *rb->transfers);
  rb->hc = blocks_malloc((d->nhc ? d->nhc : 1) * sizeof *rb->hc);
  rb->dl_at = blocks_malloc((d->ndl ? d->ndl : 1) * sizeof *rb->dl_at);
  rb->hc_at = blocks_malloc((d->nhc ? d->nhc : 1) * sizeof *rb->hc_at);
  if (!rb->params || !rb->strings || !rb->dl || !rb->hc || !rb->shares || !rb->transfers || !rb->dl_at || !rb->hc_at)
    return SOCLOSS_ENOMEM;
  memcpy(rb->params, d->params, d->params_len);
  rb->params[d->params_len] = 0;
  for (size_t k = 0; k < d->nm; k++) memcpy(rb->markets[k], d->mk[k].market, sizeof rb->markets[k]);
  char *p = rb->strings;
  for (size_t k = 0; k < d->ndl; k++) {
    memcpy(p, d->dl[k].holder, d->dl[k].len);
    p[d->dl[k].len] = 0;
    rb->dl[k] = (socloss_deleveraged){p, rb->markets[d->dl[k].market], d->dl[k].size,
                                      d->mk[d->dl[k].market].bankruptcy_price};
    rb->shares[k] = d->dl[k].share;
    rb->transfers[k] = d->dl[k].transfer;
    rb->dl_at[k] = d->dl[k].at;
    p += d->dl[k].len + 1;
  }
  size_t ntk = 0;
  for (size_t k = 0; k < d->nm; k++)
    if (d->take[k]) rb->tk[ntk++] = (socloss_takeover){rb->markets[k], d->take[k], d->mk[k].mark};
  for (size_t k = 0; k < d->nhc; k++) {
    memcpy(p, d->hc[k].account, d->hc[k].len);
    p[d->hc[k].len] = 0;
    rb->hc[k] = (socloss_haircut){p, d->hc[k].amount};
    rb->hc_at[k] = d->hc[k].at;
    p += d->hc[k].len + 1;
  }
  socloss_resolution *r = &rb->r;
  r->id = rb->id;
  r->account = rb->account;
  r->status = rb->status;
  r->policy_name = rb->name;
  r->policy_hash = rb->hash;
  r->params = rb->params;
  r->equity = d->equity;
  r->fund_draw = d->fund_draw;
  r->bad_debt = d->bad_debt;
  r->seq = seq;
  r->ndeleveraged = d->ndl;
  r->deleveraged = rb->dl;
  r->ntakeovers = ntk;
  r->takeovers = rb->tk;
  r->nhaircuts = d->nhc;
  r->haircuts = rb->hc;
  r->instructions = d->instructions;
  r->policy_us = d->policy_us;
  r->failure = rb->failure;
  r->rules = d->rules;
  r->shares = rb->shares;
  r->transfers = rb->transfers;
  r->log = "";
  return SOCLOSS_OK;
}

/* ---- JSON --------------------------------------------------------------- */

static json_t *resolution_object(const socloss_resolution *r) {
  json_t *o = json_object(), *pol = json_object(), *dl = json_array(), *tk = json_array(), *hc = json_array();
  json_object_set_new(o, "id", json_string(r->id));
  json_object_set_new(o, "account", json_string(r->account));
  json_object_set_new(o, "status", json_string(r->status));
  json_object_set_new(pol, "name", json_string(r->policy_name));
  json_object_set_new(pol, "hash", json_string(r->policy_hash));
  json_object_set_new(o, "policy", pol);
  json_error_t err;
  json_t *params = r->params && *r->params ? json_loads(r->params, 0, &err) : NULL;
  json_object_set_new(o, "params", params ? params : json_object());
  json_object_set_new(o, "equity", json_integer(r->equity));
  for (size_t k = 0; k < r->ndeleveraged; k++) {
    const socloss_deleveraged *x = &r->deleveraged[k];
    json_t *a = json_object();
    json_object_set_new(a, "account", json_string(x->account));
    json_object_set_new(a, "market", json_string(x->market));
    json_object_set_new(a, "size", json_integer(x->size));
    json_object_set_new(a, "price", json_integer(x->price));
    if (r->rules >= 2) {
      json_object_set_new(a, "share", json_integer(r->shares[k]));
      json_object_set_new(a, "transfer", json_integer(r->transfers[k]));
    }
    json_array_append_new(dl, a);
  }
  json_object_set_new(o, "deleveraged", dl);
  for (size_t k = 0; k < r->ntakeovers; k++) {
    json_t *a = json_object();
    json_object_set_new(a, "market", json_string(r->takeovers[k].market));
    json_object_set_new(a, "size", json_integer(r->takeovers[k].size));
    json_object_set_new(a, "price", json_integer(r->takeovers[k].price));
    json_array_append_new(tk, a);
  }
  json_object_set_new(o, "takeovers", tk);
  json_object_set_new(o, "fund_draw", json_integer(r->fund_draw));
  for (size_t k = 0; k < r->nhaircuts; k++) {
    json_t *a = json_object();
    json_object_set_new(a, "account", json_string(r->haircuts[k].account));
    json_object_set_new(a, "amount", json_integer(r->haircuts[k].amount));
    json_array_append_new(hc, a);
  }
  json_object_set_new(o, "haircuts", hc);
  json_object_set_new(o, "bad_debt", json_integer(r->bad_debt));
  json_object_set_new(o, "seq", json_integer((json_int_t)r->seq));
  json_object_set_new(o, "instructions", json_integer((json_int_t)r->instructions));
  json_object_set_new(o, "policy_us", json_integer((json_int_t)r->policy_us));
  if (r->failure && *r->failure) json_object_set_new(o, "failure", json_string(r->failure));
  if (r->rules) json_object_set_new(o, "rules", json_integer(r->rules));
  return o;
}

char *socloss_resolution_json(const socloss_resolution *r) {
  json_t *o = resolution_object(r);
  /* what the policy logged, one string an entry: here, never in the
   * journal's record (deficit_json) nor in what replay compares */
  json_t *log = json_array();
  for (const char *p = r->log ? r->log : ""; *p;) {
    const char *nl = strchr(p, '\n');
    size_t n = nl ? (size_t)(nl - p) : strlen(p);
    json_array_append_new(log, json_stringn(p, n));
    p += n + (nl != NULL);
  }
  json_object_set_new(o, "log", log);
  char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
  json_decref(o);
  return s;
}

char *deficit_json(uint64_t seq, const deficit_rec *d) {
  struct resolution_buf *rb = calloc(1, sizeof *rb);
  char *s = NULL;
  if (rb && result_fill(rb, d, "applied", seq) == SOCLOSS_OK) {
    json_t *o = resolution_object(&rb->r);
    json_object_del(o, "status");
    json_object_del(o, "seq");
    record_json_evaluator(o, d->lua_release, d->build_id);
    s = record_json_with_seq(seq, "deficit", o);
  }
  resolution_free(rb);
  return s;
}


static const char *const decision_keys[] = {"deleveraged", "takeovers", "fund_draw", "haircuts", "bad_debt"};

char *decision_json(const socloss_resolution *r) {
  json_t *full = resolution_object(r), *o = json_object();
  for (size_t k = 0; k < 5; k++) json_object_set(o, decision_keys[k], json_object_get(full, decision_keys[k]));
  char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
  json_decref(o);
  json_decref(full);
  return s;
}

const char *decision_diff(const char *a, const char *b) {
  json_error_t err;
  json_t *x = json_loads(a, 0, &err), *y = json_loads(b, 0, &err);
  const char *field = x && y ? NULL : "decision";
  for (size_t k = 0; !field && k < 5; k++)
    if (!json_equal(json_object_get(x, decision_keys[k]), json_object_get(y, decision_keys[k]))) field = decision_keys[k];
  json_decref(x);
  json_decref(y);
  return field;
}

char *joint_json(uint64_t seq, const joint_rec *j) {
  struct resolution_buf *rb = calloc(1, sizeof *rb);
  json_t *o = json_object(), *parts = json_array(), *hc = json_array(), *pol = json_object();
  int64_t bad = 0;
  json_object_set_new(o, "id", json_stringn(j->event, j->event_len));
  json_object_set_new(o, "mode", json_string("joint"));
  json_object_set_new(pol, "name", json_string(j->policy_name));
  json_object_set_new(pol, "hash", json_string(j->policy_hash));
  json_object_set_new(o, "policy", pol);
  json_error_t err;
  json_t *params = j->params_len ? json_loadb(j->params, j->params_len, 0, &err) : NULL;
  json_object_set_new(o, "params", params ? params : json_object());
  for (size_t k = 0; rb && k < j->nparts; k++) {
    if (result_fill(rb, &j->parts[k], "applied", seq)) break;
    json_t *p = resolution_object(&rb->r);
    json_object_del(p, "status");
    json_object_del(p, "seq");
    json_object_del(p, "policy");
    json_object_del(p, "params");
    json_object_del(p, "haircuts");
    json_object_set_new(p, "credit", json_integer(j->credit[k]));
    json_array_append_new(parts, p);
    bad += j->parts[k].bad_debt;
  }
  resolution_free(rb);
  json_object_set_new(o, "parts", parts);
  for (size_t k = 0; k < j->nhc; k++) {
    json_t *a = json_object();
    json_object_set_new(a, "account", json_stringn(j->hc[k].account, j->hc[k].len));
    json_object_set_new(a, "amount", json_integer(j->hc[k].amount));
    json_array_append_new(hc, a);
  }
  json_object_set_new(o, "haircuts", hc);
  json_object_set_new(o, "bad_debt", json_integer(bad));
  json_object_set_new(o, "instructions", json_integer((json_int_t)j->instructions));
  json_object_set_new(o, "policy_us", json_integer((json_int_t)j->policy_us));
  json_object_set_new(o, "rules", json_integer(j->rules));
  record_json_evaluator(o, j->lua_release, j->build_id);
  return record_json_with_seq(seq, "event", o);
}
