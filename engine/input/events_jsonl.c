/*
 * events_jsonl.c — JSON Lines events (jansson), applied in one transaction.
 *
 * Strict: every line is one object with a known "type", exactly the fields
 * of that type, ids as strings and quantities as JSON integers (1.0, "1"
 * and 1e3 are refused).  Duplicate keys are refused.
 */
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "evalproto.h"
#include "text.h"
#include "units_in.h"

typedef struct spec {
  const char *type;
  int ev;
  const char *fields[6];  /* besides "type"; NULL-terminated */
} spec;

static const spec specs[] = {
    {"market", SOCLOSS_EV_MARKET, {"market", "?lot", "mark"}},  /* the lot before the mark it is read with */
    {"deposit", SOCLOSS_EV_DEPOSIT, {"account", "amount"}},
    {"withdraw", SOCLOSS_EV_WITHDRAW, {"account", "amount"}},
    {"trade", SOCLOSS_EV_TRADE, {"market", "buyer", "seller", "size", "price"}},
    {"fund", SOCLOSS_EV_FUND, {"amount"}},
    {"deficit", SOCLOSS_EV_DEFICIT, {"id", "account", "?policy", "?params", "?event"}},
    {"event", SOCLOSS_EV_EVENT, {"id", "?mode", "?policy", "?params"}},
};

typedef struct line_ctx {
  socloss *led;
  batch *b;
  uint32_t line;
  in_units *iu;       /* the ledger's units and the markets known */
  ledger_lot lot;     /* a market line's "lot", when lot_given */
  int lot_given;
} line_ctx;

static int line_fail(line_ctx *c, int code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int line_fail(line_ctx *c, int code, const char *field, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return err_fail(code, "%s:%u: %s: %s", c->b->name, c->line, field, msg);
}

static const char *kind_name(const json_t *v) {
  switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a fraction";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    default: return "null";
  }
}

static int string_field(line_ctx *c, json_t *o, const char *key, const char **out) {
  json_t *v = json_object_get(o, key);
  if (!v) return line_fail(c, SOCLOSS_EPARSE, key, "missing");
  if (!json_is_string(v)) return line_fail(c, SOCLOSS_EPARSE, key, "must be a string, not %s", kind_name(v));
  *out = batch_strdup(c->b, json_string_value(v), json_string_length(v));
  if (!*out) return err_fail(SOCLOSS_ENOMEM, "out of memory");
  char q[TEXT_QUOTED(80)];
  if (!id_valid(*out))  /* jansson refuses \u0000 itself */
    return line_fail(c, SOCLOSS_EINVAL, key, "'%s' is not a valid id (1-64 printable ASCII characters, no spaces)",
                     text_quote(q, *out, json_string_length(v), 80));
  return SOCLOSS_OK;
}

static int int_field(line_ctx *c, json_t *o, const char *key, int64_t *out) {
  json_t *v = json_object_get(o, key);
  if (!v) return line_fail(c, SOCLOSS_EPARSE, key, "missing");
  if (!json_is_integer(v)) return line_fail(c, SOCLOSS_EPARSE, key, "must be an integer, not %s", kind_name(v));
  *out = (int64_t)json_integer_value(v);
  return SOCLOSS_OK;
}

/* A quantity of money in a ledger with units: a JSON integer of whole
 * units or a decimal string ("150.25"), never a JSON fraction, which
 * jansson would have read as a double.  price: per unit of the market's
 * underlying (per lot when it has no lot). */
static int money_field(line_ctx *c, json_t *o, const char *key, const char *market, int price, int positive,
                       int64_t *out) {
  if (!in_units_on(c->iu)) return int_field(c, o, key, out);
  json_t *v = json_object_get(o, key);
  if (!v) return line_fail(c, SOCLOSS_EPARSE, key, "missing");
  char num[32], why[512], q[TEXT_QUOTED(80)];
  const char *text = num;
  size_t len;
  if (json_is_integer(v)) {
    len = (size_t)snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
  } else if (json_is_string(v)) {
    text = json_string_value(v);
    len = json_string_length(v);
  } else {
    return line_fail(c, SOCLOSS_EPARSE, key, "must be an integer or a decimal string (\"150.25\"), not %s",
                     kind_name(v));
  }
  const ledger_lot *lot = NULL;
  if (price) {
    lot = c->lot_given ? &c->lot : in_lot(c->iu, market);
    /* a trade in a market neither the ledger nor this input has listed */
    if (!lot && strcmp(key, "mark"))
      return line_fail(c, SOCLOSS_ENOTFOUND, "market", "unknown market '%s'",
                       text_quote(q, market, strlen(market), 80));
  }
  int rc = price ? in_price(c->iu, lot, text, len, out, why, sizeof why)
                 : in_amount(c->iu, text, len, out, why, sizeof why);
  if (rc) return line_fail(c, rc, key, "%s", why);
  if (positive && *out <= 0)
    return line_fail(c, SOCLOSS_EINVAL, key, "must be positive (got '%s')", text_quote(q, text, len, 80));
  return SOCLOSS_OK;
}

/* "lot": "0.001 BTC", on a market line of a ledger with units. */
static int lot_field(line_ctx *c, json_t *o) {
  json_t *v = json_object_get(o, "lot");
  if (!in_units_on(c->iu))
    return line_fail(c, SOCLOSS_EINVAL, "lot",
                     "the ledger has no units, so its markets have no lots (socloss init DB --asset SYMBOL "
                     "--decimals N)");
  if (!json_is_string(v)) return line_fail(c, SOCLOSS_EPARSE, "lot", "must be a string, not %s", kind_name(v));
  if (lot_parse(json_string_value(v), json_string_length(v), &c->lot)) {
    char why[ERRMSG_MAX];
    snprintf(why, sizeof why, "%s", ERRBUF);
    return line_fail(c, SOCLOSS_EINVAL, "lot", "%s", why);
  }
  c->lot_given = 1;
  return SOCLOSS_OK;
}

/* A market line read in units: a market new to the input is listed with
 * its lot (given or none), which the write settles; one already known
 * keeps the lot it has. */
static int market_known(line_ctx *c, const socloss_event *e) {
  const ledger_lot *known = in_lot(c->iu, e->market);
  ledger_lot none = {0, 0, ""};
  if (known && c->lot_given && !lot_same(known, &c->lot)) {
    char had[64], want[64];
    lot_text(known, had, sizeof had);
    lot_text(&c->lot, want, sizeof want);
    return line_fail(c, SOCLOSS_EINVAL, "lot",
                     "market '%s' has lot %s, not %s; a market's lot is fixed when it is listed", e->market, had,
                     want);
  }
  if (known) return SOCLOSS_OK;
  const ledger_lot *lot = c->lot_given ? &c->lot : &none;
  if (in_listed(c->iu, e->market, lot) || batch_lot_push(c->b, c->b->n - 1, lot)) return SOCLOSS_ENOMEM;
  return SOCLOSS_OK;
}

/* "policy": a file whose text is the deficit's policy, read now: its first
 * EVAL_SOURCE_MAX + 1 bytes, so that a longer one is refused by the sandbox
 * as too large and none is read without end. */
static int policy_field(line_ctx *c, json_t *o, socloss_event *e) {
  json_t *v = json_object_get(o, "policy");
  if (!json_is_string(v)) return line_fail(c, SOCLOSS_EPARSE, "policy", "must be a file name, not %s", kind_name(v));
  const char *path = json_string_value(v);
  char q[TEXT_QUOTED(200)];
  text_quote(q, path, json_string_length(v), 200);
  FILE *f = fopen(path, "rb");
  if (!f) return line_fail(c, SOCLOSS_EINVAL, "policy", "cannot read '%s': %s", q, strerror(errno));
  char *text = malloc(EVAL_SOURCE_MAX + 2);
  size_t n = text ? fread(text, 1, EVAL_SOURCE_MAX + 1, f) : 0;
  int err = text && ferror(f) ? errno : 0;  /* a directory opens, then reads EISDIR */
  fclose(f);
  if (!text) return err_fail(SOCLOSS_ENOMEM, "out of memory");
  if (err) {
    free(text);
    if (err == EISDIR)
      return line_fail(c, SOCLOSS_EINVAL, "policy", "'%s' is a directory, not a policy file", q);
    return line_fail(c, SOCLOSS_EINVAL, "policy", "cannot read '%s': %s", q, strerror(err));
  }
  e->policy = batch_strdup(c->b, text, n);
  e->policy_len = n;
  free(text);
  if (!e->policy) return err_fail(SOCLOSS_ENOMEM, "out of memory");
  /* its errors located by the file's name, as the CLI names --policy files */
  return c->led && c->led->name_source ? c->led->name_source(c->led, e->policy, n, path) : SOCLOSS_OK;
}

static int params_field(line_ctx *c, json_t *o, socloss_event *e) {
  json_t *v = json_object_get(o, "params");
  if (!json_is_object(v)) return line_fail(c, SOCLOSS_EPARSE, "params", "must be an object, not %s", kind_name(v));
  char *text = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
  e->params = text ? batch_strdup(c->b, text, strlen(text)) : NULL;
  free(text);
  return e->params ? SOCLOSS_OK : err_fail(SOCLOSS_ENOMEM, "out of memory");
}

/* "mode": "sequential" (the default) or "joint". */
static int mode_field(line_ctx *c, json_t *o, socloss_event *e) {
  json_t *v = json_object_get(o, "mode");
  if (!json_is_string(v)) return line_fail(c, SOCLOSS_EPARSE, "mode", "must be a string, not %s", kind_name(v));
  if (!strcmp(json_string_value(v), "sequential")) e->joint = 0;
  else if (!strcmp(json_string_value(v), "joint")) e->joint = 1;
  else return line_fail(c, SOCLOSS_EINVAL, "mode", "'%.40s' is not sequential or joint", json_string_value(v));
  return SOCLOSS_OK;
}

static int event(line_ctx *c, json_t *o) {
  json_t *t = json_object_get(o, "type");
  if (!t) return line_fail(c, SOCLOSS_EPARSE, "type", "missing");
  if (!json_is_string(t)) return line_fail(c, SOCLOSS_EPARSE, "type", "must be a string, not %s", kind_name(t));
  const spec *sp = NULL;
  for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++)
    if (strcmp(specs[i].type, json_string_value(t)) == 0) sp = &specs[i];
  char q[TEXT_QUOTED(80)];
  if (!sp)
    return line_fail(c, SOCLOSS_EINVAL, "type",
                     "unknown event type '%s' (market, deposit, withdraw, trade, fund, deficit, event)",
                     text_quote(q, json_string_value(t), json_string_length(t), 40));
  const char *key;
  json_t *v;
  json_object_foreach(o, key, v) {
    int known = strcmp(key, "type") == 0;
    for (int i = 0; !known && sp->fields[i]; i++)
      known = strcmp(key, sp->fields[i] + (sp->fields[i][0] == '?')) == 0;
    if (!known)
      return line_fail(c, SOCLOSS_EPARSE, text_quote(q, key, strlen(key), 80), "unknown field for a %s event",
                       sp->type);
  }
  socloss_event *e = batch_push(c->b, c->line);
  if (!e) return err_fail(SOCLOSS_ENOMEM, "out of memory");
  e->type = sp->ev;
  c->lot_given = 0;
  /* the fields in the spec's order; the first bad one is reported */
  int rc = SOCLOSS_OK;
  for (int i = 0; !rc && sp->fields[i]; i++) {
    const char *f = sp->fields[i];
    if (f[0] == '?') {  /* optional */
      if (!json_object_get(o, ++f)) continue;
      rc = !strcmp(f, "policy")  ? policy_field(c, o, e)
           : !strcmp(f, "lot")   ? lot_field(c, o)
           : !strcmp(f, "mode")  ? mode_field(c, o, e)
           : !strcmp(f, "event") ? string_field(c, o, f, &e->event)
                                 : params_field(c, o, e);
      continue;
    }
    if (!strcmp(f, "id")) rc = string_field(c, o, f, &e->id);
    else if (!strcmp(f, "market")) rc = string_field(c, o, f, &e->market);
    else if (!strcmp(f, "account")) rc = string_field(c, o, f, &e->account);
    else if (!strcmp(f, "buyer")) rc = string_field(c, o, f, &e->buyer);
    else if (!strcmp(f, "seller")) rc = string_field(c, o, f, &e->seller);
    else if (!strcmp(f, "mark")) rc = money_field(c, o, f, e->market, 1, 1, &e->mark);
    else if (!strcmp(f, "amount")) rc = money_field(c, o, f, NULL, 0, sp->ev != SOCLOSS_EV_FUND, &e->amount);
    else if (!strcmp(f, "size")) rc = int_field(c, o, f, &e->size);
    else rc = money_field(c, o, f, e->market, 1, 1, &e->price);
  }
  if (!rc && sp->ev == SOCLOSS_EV_MARKET && in_units_on(c->iu)) rc = market_known(c, e);
  return rc;
}

static int blank(const char *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r') return 0;
  return 1;
}

int apply_jsonl_run(socloss *led, const socloss_source *src, size_t *applied) {
  batch b;
  in_units iu;
  batch_init(&b, src->name ? src->name : "-");
  line_ctx c = {led, &b, 0, &iu, {0, 0, ""}, 0};
  int rc = in_units_load(led, &iu);
  const char *p = src->data, *end = src->data + src->len;
  while (!rc && p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
    c.line++;
    if (!blank(p, n)) {
      json_error_t jerr;
      json_t *o = json_loadb(p, n, JSON_REJECT_DUPLICATES, &jerr);
      char q[TEXT_QUOTED(JSON_ERROR_TEXT_LENGTH)];  /* jansson's text quotes the line near the error */
      if (!o)
        rc = line_fail(&c, SOCLOSS_EPARSE, "json", "%s", text_quote(q, jerr.text, strlen(jerr.text), sizeof jerr.text));
      else if (!json_is_object(o)) rc = line_fail(&c, SOCLOSS_EPARSE, "json", "expected an object, got %s", kind_name(o));
      else rc = event(&c, o);
      json_decref(o);
    }
    p += n + 1;
  }
  batch *list[1] = {&b};
  if (!rc) rc = batch_apply(led, list, 1, NULL, &iu.u);
  if (applied) *applied = rc ? 0 : b.n;
  batch_free(&b);
  in_units_free(&iu);
  return rc;
}

