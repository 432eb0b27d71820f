/*
 * deficit_record.c — what a resolution decided: its journal record (bytes),
 * the result handed to callers, and both as JSON.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resolve.h"

/* ---- records ------------------------------------------------------------ */

#define DEFICIT_RECORD_VERSION 1

static void put_id(codec_buf *b, const char *p, size_t len) {
  codec_buf_u8(b, (unsigned)len);
  codec_buf_raw(b, p, len);
}

static const char *get_id(codec_reader *r, uint32_t *len) {
  *len = codec_rd_u8(r);
  if (*len == 0 || *len > CODEC_ID_MAX) r->bad = 1;
  return codec_rd_raw(r, *len);
}

void deficit_encode(codec_buf *b, const deficit_rec *d) {
  codec_buf_u8(b, DEFICIT_RECORD_VERSION);
  codec_buf_u8(b, EV_DEFICIT);
  codec_buf_blob(b, d->id, d->id_len);
  codec_buf_str(b, d->account);
  codec_buf_i64(b, d->equity);
  codec_buf_str(b, d->policy_name);
  codec_buf_str(b, d->policy_hash);
  codec_buf_blob(b, d->params, d->params_len);
  codec_buf_u32(b, (uint32_t)d->nm);
  for (size_t k = 0; k < d->nm; k++) {
    const deficit_market *m = &d->mk[k];
    codec_buf_str(b, m->market);
    codec_buf_i64(b, m->size);
    codec_buf_i64(b, m->cost);
    codec_buf_i64(b, m->mark);
    codec_buf_i64(b, m->bankruptcy_price);
    codec_buf_i64(b, d->take[k]);
  }
  codec_buf_u32(b, (uint32_t)d->ndl);
  for (size_t k = 0; k < d->ndl; k++) {
    put_id(b, d->dl[k].holder, d->dl[k].len);
    codec_buf_u32(b, d->dl[k].market);
    codec_buf_i64(b, d->dl[k].size);
  }
  codec_buf_i64(b, d->fund_draw);
  codec_buf_u32(b, (uint32_t)d->nhc);
  for (size_t k = 0; k < d->nhc; k++) {
    put_id(b, d->hc[k].account, d->hc[k].len);
    codec_buf_i64(b, d->hc[k].amount);
  }
  codec_buf_i64(b, d->bad_debt);
  codec_buf_i64(b, (int64_t)d->instructions);
  codec_buf_i64(b, (int64_t)d->policy_us);
}

void deficit_rec_free(deficit_rec *d) {
  free((void *)d->dl);
  free((void *)d->hc);
  d->dl = NULL;
  d->hc = NULL;
}

int deficit_decode(const void *p, size_t len, deficit_rec *d) {
  codec_reader r = {p, len, 0, 0};
  memset(d, 0, sizeof *d);
  if (codec_rd_u8(&r) != DEFICIT_RECORD_VERSION || codec_rd_u8(&r) != EV_DEFICIT) return -1;
  d->id = codec_rd_blob(&r, &d->id_len);
  codec_rd_str(&r, d->account);
  d->equity = codec_rd_i64(&r);
  codec_rd_str(&r, d->policy_name);
  char hash[CODEC_ID_MAX + 1];
  codec_rd_str(&r, hash);
  memcpy(d->policy_hash, hash, 64);
  d->policy_hash[64] = 0;
  d->params = codec_rd_blob(&r, &d->params_len);
  d->nm = codec_rd_u32(&r);
  if (d->nm > DEFICIT_MARKETS_MAX) return -1;
  for (size_t k = 0; k < d->nm; k++) {
    deficit_market *m = &d->mk[k];
    codec_rd_str(&r, m->market);
    m->size = codec_rd_i64(&r);
    m->cost = codec_rd_i64(&r);
    m->mark = codec_rd_i64(&r);
    m->bankruptcy_price = codec_rd_i64(&r);
    d->take[k] = codec_rd_i64(&r);
  }
  d->ndl = codec_rd_u32(&r);
  if (r.bad || d->ndl > len) return -1;
  dl_action *dl = malloc((d->ndl ? d->ndl : 1) * sizeof *dl);
  d->dl = dl;
  for (size_t k = 0; dl && k < d->ndl && !r.bad; k++) {
    dl[k].holder = get_id(&r, &dl[k].len);
    dl[k].market = codec_rd_u32(&r);
    dl[k].index = UINT32_MAX;
    dl[k].size = codec_rd_i64(&r);
  }
  d->fund_draw = codec_rd_i64(&r);
  d->nhc = codec_rd_u32(&r);
  if (r.bad || d->nhc > len) {
    deficit_rec_free(d);
    return -1;
  }
  hc_action *hc = malloc((d->nhc ? d->nhc : 1) * sizeof *hc);
  d->hc = hc;
  for (size_t k = 0; hc && k < d->nhc && !r.bad; k++) {
    hc[k].account = get_id(&r, &hc[k].len);
    hc[k].index = UINT32_MAX;
    hc[k].amount = codec_rd_i64(&r);
  }
  d->bad_debt = codec_rd_i64(&r);
  d->instructions = (uint64_t)codec_rd_i64(&r);
  d->policy_us = (uint64_t)codec_rd_i64(&r);
  if (!dl || !hc || r.bad || r.pos != r.len) {
    deficit_rec_free(d);
    return -1;
  }
  return 0;
}

/* ---- the result handed to callers --------------------------------------- */


void result_clear(struct resolution_buf *rb) {
  free(rb->params);
  free(rb->strings);
  free(rb->dl);
  free(rb->hc);
  memset(rb, 0, sizeof *rb);
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
  rb->strings = malloc(bytes ? bytes : 1);
  rb->dl = malloc((d->ndl ? d->ndl : 1) * sizeof *rb->dl);
  rb->hc = malloc((d->nhc ? d->nhc : 1) * sizeof *rb->hc);
  if (!rb->params || !rb->strings || !rb->dl || !rb->hc) return SOCLOSS_ENOMEM;
  memcpy(rb->params, d->params, d->params_len);
  rb->params[d->params_len] = 0;
  for (size_t k = 0; k < d->nm; k++) memcpy(rb->markets[k], d->mk[k].market, sizeof rb->markets[k]);
  char *p = rb->strings;
  for (size_t k = 0; k < d->ndl; k++) {
    memcpy(p, d->dl[k].holder, d->dl[k].len);
    p[d->dl[k].len] = 0;
    rb->dl[k] = (socloss_deleveraged){p, rb->markets[d->dl[k].market], d->dl[k].size,
                                      d->mk[d->dl[k].market].bankruptcy_price};
    p += d->dl[k].len + 1;
  }
  size_t ntk = 0;
  for (size_t k = 0; k < d->nm; k++)
    if (d->take[k]) rb->tk[ntk++] = (socloss_takeover){rb->markets[k], d->take[k], d->mk[k].mark};
  for (size_t k = 0; k < d->nhc; k++) {
    memcpy(p, d->hc[k].account, d->hc[k].len);
    p[d->hc[k].len] = 0;
    rb->hc[k] = (socloss_haircut){p, d->hc[k].amount};
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
  return o;
}

char *socloss_resolution_json(const socloss_resolution *r) {
  json_t *o = resolution_object(r);
  char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
  json_decref(o);
  return s;
}

static char *with_seq(uint64_t seq, const char *type, json_t *body) {
  json_t *o = json_object();
  json_object_set_new(o, "seq", json_integer((json_int_t)seq));
  json_object_set_new(o, "type", json_string(type));
  json_object_update(o, body);
  json_decref(body);
  char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
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
    s = with_seq(seq, "deficit", o);
  }
  resolution_free(rb);
  return s;
}

/* Failure: u8 ver | u8 type | blob id | str account | str name | str hash |
 *          str stage | blob cause.
 * Policy:  u8 ver | u8 type | u8 role | str name | str hash | blob params.
 * Limits:  u8 ver | u8 type | i64 x 4. */
/* id, account, policy {name, hash}: how failure and shadow records begin */
static void read_head(codec_reader *r, json_t *o) {
  char a[CODEC_ID_MAX + 1], b[CODEC_ID_MAX + 1], c[CODEC_ID_MAX + 1];
  size_t n;
  const char *x = codec_rd_blob(r, &n);
  json_object_set_new(o, "id", json_stringn(x ? x : "", x ? n : 0));
  codec_rd_str(r, a);
  json_object_set_new(o, "account", json_string(a));
  codec_rd_str(r, b);
  codec_rd_str(r, c);
  json_t *pol = json_object();
  json_object_set_new(pol, "name", json_string(b));
  json_object_set_new(pol, "hash", json_string(c));
  json_object_set_new(o, "policy", pol);
}

char *aux_record_json(uint64_t seq, const void *p, size_t len) {
  codec_reader r = {p, len, 0, 0};
  if (codec_rd_u8(&r) != 1) return NULL;
  int type = (int)codec_rd_u8(&r);
  json_t *o = json_object();
  char a[CODEC_ID_MAX + 1], b[CODEC_ID_MAX + 1], c[CODEC_ID_MAX + 1];
  size_t n;
  const char *x;
  const char *name = "unknown";
  if (type == EV_DEFICIT_FAILED) {
    name = "deficit_failed";
    read_head(&r, o);
    codec_rd_str(&r, a);
    json_object_set_new(o, "stage", json_string(a));
    x = codec_rd_blob(&r, &n);
    json_object_set_new(o, "cause", json_stringn(x ? x : "", x ? n : 0));
  } else if (type == EV_POLICY) {
    name = "policy";
    unsigned role = codec_rd_u8(&r);
    json_object_set_new(o, "role", json_string(role < 3 ? role_name[role] : "?"));
    codec_rd_str(&r, a);
    codec_rd_str(&r, b);
    json_object_set_new(o, "name", json_string(a));
    json_object_set_new(o, "hash", json_string(b));
    x = codec_rd_blob(&r, &n);
    json_error_t err;
    json_t *params = x && n ? json_loadb(x, n, 0, &err) : NULL;
    json_object_set_new(o, "params", params ? params : json_object());
    if (r.pos < r.len) {  /* records since per-market activation */
      codec_rd_str(&r, c);
      if (c[0]) json_object_set_new(o, "market", json_string(c));
    }
  } else if (type == EV_SHADOW) {
    name = "shadow";
    read_head(&r, o);
    unsigned same = codec_rd_u8(&r);
    json_object_set_new(o, "same", json_boolean(same == 1));
    codec_rd_str(&r, a);
    if (a[0]) json_object_set_new(o, "differs_in", json_string(a));
    x = codec_rd_blob(&r, &n);
    json_error_t jerr;
    json_t *dj = x && n ? json_loadb(x, n, 0, &jerr) : NULL;
    if (dj) json_object_set_new(o, "decision", dj);
    else json_object_set_new(o, "failure", json_stringn(x ? x : "", x ? n : 0));
  } else if (type == EV_POLICY_ADD) {
    name = "policy_added";
    codec_rd_str(&r, a);
    json_object_set_new(o, "name", json_string(a));
    json_object_set_new(o, "version", json_integer(codec_rd_u32(&r)));
    codec_rd_str(&r, b);
    json_object_set_new(o, "hash", json_string(b));
  } else if (type == EV_LIMITS) {
    name = "limits";
    json_object_set_new(o, "instructions", json_integer(codec_rd_i64(&r)));
    json_object_set_new(o, "memory", json_integer(codec_rd_i64(&r)));
    json_object_set_new(o, "wall_ms", json_integer(codec_rd_i64(&r)));
    json_object_set_new(o, "fund_max_draw", json_integer(codec_rd_i64(&r)));
  }
  if (r.bad) {
    json_decref(o);
    return NULL;
  }
  return with_seq(seq, name, o);
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
