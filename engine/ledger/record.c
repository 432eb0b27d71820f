/*
 * record.c — the journal record format: one record per event.
 *
 *   u8 version (1) | u8 type | fields of that type, in this order:
 *     market    market, mark
 *     deposit   account, amount         withdraw  account, amount
 *     trade     market, buyer, seller, size, price
 *     fund      amount
 *     account   account, amount (opening balance)
 *     position  account, market, size, price (entry price)
 *   strings are u8 length + bytes, integers 8 bytes big-endian.
 *
 * The record is the event itself, so replaying the records from an empty
 * ledger rebuilds the state through the same code that built it.
 */
#include <jansson.h>
#include <string.h>

#include "decimal.h"
#include "record.h"

#define RECORD_VERSION 1

const char *const record_role_name[3] = {"active", "fallback", "shadow"};

int record_type(const void *p, size_t len) {
  const unsigned char *b = p;
  if (len < 2) return -1;
  /* a resolution's version byte is the money rules it was written under */
  return b[0] == RECORD_VERSION || ((b[1] == EV_DEFICIT || b[1] == EV_EVENT_JOINT) && b[0] <= DEFICIT_RULES) ? b[1] : -1;
}

const char *record_kind_name(int kind) {
  switch (kind) {
#define RECORD_NAME_(name, code, json, changes) \
  case EV_##name: return json;
    RECORD_KINDS(RECORD_NAME_)
#undef RECORD_NAME_
  }
  return NULL;
}

int record_is_aux(int kind) {
  switch (kind) {
#define RECORD_AUX_(name, code, json, changes) \
  case EV_##name: return !(changes);
    RECORD_KINDS(RECORD_AUX_)
#undef RECORD_AUX_
  }
  return 0;
}

void record_encode(codec_buf *b, const socloss_event *e) {
  /* a listing replays as a market event: on the replayed state the market
   * is new either way */
  int type = e->type == EV_LISTING ? SOCLOSS_EV_MARKET : e->type;
  codec_buf_u8(b, RECORD_VERSION);
  codec_buf_u8(b, (unsigned)type);
  switch (type) {
    case SOCLOSS_EV_MARKET:
      codec_buf_str(b, e->market);
      codec_buf_i64(b, e->mark);
      break;
    case SOCLOSS_EV_DEPOSIT:
    case SOCLOSS_EV_WITHDRAW:
    case EV_ACCOUNT:
      codec_buf_str(b, e->account);
      codec_buf_i64(b, e->amount);
      break;
    case SOCLOSS_EV_TRADE:
      codec_buf_str(b, e->market);
      codec_buf_str(b, e->buyer);
      codec_buf_str(b, e->seller);
      codec_buf_i64(b, e->size);
      codec_buf_i64(b, e->price);
      break;
    case SOCLOSS_EV_FUND:
      codec_buf_i64(b, e->amount);
      break;
    case EV_POSITION:
      codec_buf_str(b, e->account);
      codec_buf_str(b, e->market);
      codec_buf_i64(b, e->size);
      codec_buf_i64(b, e->price);
      break;
  }
}

int record_decode(const void *p, size_t len, socloss_event *e, record_ids *ids) {
  codec_reader r = {p, len, 0, 0};
  memset(e, 0, sizeof *e);
  if (codec_rd_u8(&r) != RECORD_VERSION) return -1;
  e->type = (int)codec_rd_u8(&r);
  e->market = ids->market;
  e->account = ids->account;
  e->buyer = ids->buyer;
  e->seller = ids->seller;
  ids->market[0] = ids->account[0] = ids->buyer[0] = ids->seller[0] = 0;
  switch (e->type) {
    case SOCLOSS_EV_MARKET:
      codec_rd_str(&r, ids->market);
      e->mark = codec_rd_i64(&r);
      break;
    case SOCLOSS_EV_DEPOSIT:
    case SOCLOSS_EV_WITHDRAW:
    case EV_ACCOUNT:
      codec_rd_str(&r, ids->account);
      e->amount = codec_rd_i64(&r);
      break;
    case SOCLOSS_EV_TRADE:
      codec_rd_str(&r, ids->market);
      codec_rd_str(&r, ids->buyer);
      codec_rd_str(&r, ids->seller);
      e->size = codec_rd_i64(&r);
      e->price = codec_rd_i64(&r);
      break;
    case SOCLOSS_EV_FUND:
      e->amount = codec_rd_i64(&r);
      break;
    case EV_POSITION:
      codec_rd_str(&r, ids->account);
      codec_rd_str(&r, ids->market);
      e->size = codec_rd_i64(&r);
      e->price = codec_rd_i64(&r);
      break;
    default:
      return -1;
  }
  return r.bad || r.pos != r.len ? -1 : 0;
}

char *record_json(uint64_t seq, const socloss_event *e) {
  json_t *o = json_object();
  if (!o) return NULL;
  json_object_set_new(o, "seq", json_integer((json_int_t)seq));
  json_object_set_new(o, "type", json_string(record_kind_name(e->type)));
  switch (e->type) {
    case SOCLOSS_EV_MARKET:
      json_object_set_new(o, "market", json_string(e->market));
      json_object_set_new(o, "mark", json_integer(e->mark));
      break;
    case SOCLOSS_EV_DEPOSIT:
    case SOCLOSS_EV_WITHDRAW:
    case SOCLOSS_EV_FUND:
      if (e->type != SOCLOSS_EV_FUND) json_object_set_new(o, "account", json_string(e->account));
      json_object_set_new(o, "amount", json_integer(e->amount));
      break;
    case EV_ACCOUNT:
      json_object_set_new(o, "account", json_string(e->account));
      json_object_set_new(o, "balance", json_integer(e->amount));
      break;
    case SOCLOSS_EV_TRADE:
      json_object_set_new(o, "market", json_string(e->market));
      json_object_set_new(o, "buyer", json_string(e->buyer));
      json_object_set_new(o, "seller", json_string(e->seller));
      json_object_set_new(o, "size", json_integer(e->size));
      json_object_set_new(o, "price", json_integer(e->price));
      break;
    case EV_POSITION:
      json_object_set_new(o, "account", json_string(e->account));
      json_object_set_new(o, "market", json_string(e->market));
      json_object_set_new(o, "size", json_integer(e->size));
      json_object_set_new(o, "entry_price", json_integer(e->price));
      break;
  }
  char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
  json_decref(o);
  return text;
}

char *record_json_with_seq(uint64_t seq, const char *type, json_t *body) {
  json_t *o = json_object();
  json_object_set_new(o, "seq", json_integer((json_int_t)seq));
  json_object_set_new(o, "type", json_string(type));
  json_object_update(o, body);
  json_decref(body);
  char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
  json_decref(o);
  return s;
}

/* ---- records that change no state --------------------------------------- */

static void aux_head(codec_buf *b, int kind) {
  codec_buf_u8(b, RECORD_VERSION);
  codec_buf_u8(b, (unsigned)kind);
}

void record_failure_encode(codec_buf *b, const char *id, const char *account, const char *name,
                           const char *hash, const char *stage, const char *cause, const char *lua_release,
                           const char *build_id) {
  aux_head(b, EV_DEFICIT_FAILED);
  codec_buf_blob(b, id, strlen(id));
  codec_buf_str(b, account);
  codec_buf_str(b, name);
  codec_buf_str(b, hash);
  codec_buf_str(b, stage);
  codec_buf_blob(b, cause, strlen(cause));
  codec_buf_str(b, lua_release);
  codec_buf_str(b, build_id);
}

void record_json_evaluator(json_t *o, const char *lua_release, const char *build_id) {
  if (!lua_release[0] && !build_id[0]) return;
  json_t *e = json_object();
  json_object_set_new(e, "lua", json_string(lua_release));
  json_object_set_new(e, "build", json_string(build_id));
  json_object_set_new(o, "evaluator", e);
}

void record_shadow_encode(codec_buf *b, const char *id, size_t id_len, const char *account, const char *name,
                          const char *hash, const char *differs_in, const char *decision) {
  aux_head(b, EV_SHADOW);
  codec_buf_blob(b, id, id_len);
  codec_buf_str(b, account);
  codec_buf_str(b, name);
  codec_buf_str(b, hash);
  codec_buf_u8(b, differs_in ? 0 : 1);
  codec_buf_str(b, differs_in ? differs_in : "");
  codec_buf_blob(b, decision, strlen(decision));
}

void record_policy_encode(codec_buf *b, int role, const char *name, const char *hash, const char *params,
                          const char *market, const char *at) {
  aux_head(b, EV_POLICY);
  codec_buf_u8(b, (unsigned)role);
  codec_buf_str(b, name);
  codec_buf_str(b, hash);
  codec_buf_blob(b, params, params ? strlen(params) : 0);
  codec_buf_str(b, market ? market : "");
  if (at && *at) codec_buf_str(b, at);  /* absent, not empty: the older bytes */
}

void record_limits_encode(codec_buf *b, const int64_t v[4]) {
  aux_head(b, EV_LIMITS);
  for (int k = 0; k < 4; k++) codec_buf_i64(b, v[k]);
}

int record_limits_decode(const void *p, size_t len, int64_t v[4]) {
  codec_reader r = {p, len, 0, 0};
  if (codec_rd_u8(&r) != RECORD_VERSION || codec_rd_u8(&r) != EV_LIMITS) return -1;
  for (int k = 0; k < 4; k++) v[k] = codec_rd_i64(&r);
  return r.bad || r.pos != r.len ? -1 : 0;
}

void record_policy_add_encode(codec_buf *b, const char *name, uint32_t version, const char *hash,
                              const char *note, const char *at) {
  aux_head(b, EV_POLICY_ADD);
  codec_buf_str(b, name);
  codec_buf_u32(b, version);
  codec_buf_str(b, hash);
  if ((note && *note) || (at && *at)) {  /* else the older bytes */
    codec_buf_blob(b, note ? note : "", note ? strlen(note) : 0);
    codec_buf_str(b, at ? at : "");
  }
}

void record_units_encode(codec_buf *b, const char *asset, int decimals) {
  aux_head(b, EV_UNITS);
  codec_buf_str(b, asset);
  codec_buf_u8(b, (unsigned)decimals);
}

void record_lot_encode(codec_buf *b, const char *market, uint64_t m, int scale, const char *underlying) {
  aux_head(b, EV_LOT);
  codec_buf_str(b, market);
  codec_buf_i64(b, (int64_t)m);
  codec_buf_u8(b, (unsigned)scale);
  codec_buf_str(b, underlying);
}

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
  if (codec_rd_u8(&r) != RECORD_VERSION) return NULL;
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
    if (r.pos < r.len) {  /* newer records name the evaluator */
      codec_rd_str(&r, b);
      codec_rd_str(&r, c);
      record_json_evaluator(o, b, c);
    }
  } else if (type == EV_POLICY) {
    name = "policy";
    unsigned role = codec_rd_u8(&r);
    json_object_set_new(o, "role", json_string(role < 3 ? record_role_name[role] : "?"));
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
    if (r.pos < r.len) {  /* a time the host gave */
      codec_rd_str(&r, c);
      json_object_set_new(o, "at", json_string(c));
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
    if (r.pos < r.len) {  /* a note or a time the host gave */
      x = codec_rd_blob(&r, &n);
      if (n) json_object_set_new(o, "note", json_stringn(x ? x : "", x ? n : 0));
      codec_rd_str(&r, c);
      if (c[0]) json_object_set_new(o, "at", json_string(c));
    }
  } else if (type == EV_LIMITS) {
    name = "limits";
    json_object_set_new(o, "instructions", json_integer(codec_rd_i64(&r)));
    json_object_set_new(o, "memory", json_integer(codec_rd_i64(&r)));
    json_object_set_new(o, "wall_ms", json_integer(codec_rd_i64(&r)));
    json_object_set_new(o, "fund_max_draw", json_integer(codec_rd_i64(&r)));
  } else if (type == EV_UNITS) {
    name = "units";
    codec_rd_str(&r, a);
    json_object_set_new(o, "asset", json_string(a));
    json_object_set_new(o, "decimals", json_integer(codec_rd_u8(&r)));
  } else if (type == EV_LOT) {
    name = "lot";
    codec_rd_str(&r, a);
    json_object_set_new(o, "market", json_string(a));
    int64_t m = codec_rd_i64(&r);
    unsigned scale = codec_rd_u8(&r);
    char lot[DEC_OUT_MAX];
    /* the lot as the decimal it was given as ("0.001"), exact */
    if (m <= 0 || scale > DEC_SCALE_MAX || dec_format(m, (int)scale, 0, lot, sizeof lot) < 0) r.bad = 1;
    else json_object_set_new(o, "lot", json_string(lot));
    codec_rd_str(&r, b);
    json_object_set_new(o, "underlying", json_string(b));
  }
  if (r.bad) {
    json_decref(o);
    return NULL;
  }
  return record_json_with_seq(seq, name, o);
}

