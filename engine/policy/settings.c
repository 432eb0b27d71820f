/*
 * settings.c — the ledger's policy roles: the active, fallback and shadow
 * policies (source text and params), ledger-wide or per market of the
 * ledger, each change journaled (with the time the host gave, if any) and
 * every change that changes nothing left unwritten.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "policy.h"
#include "text.h"

/* ---- settings ----------------------------------------------------------- */

static const char *const role_key[3] = {"policy.active", "policy.fallback", "policy.shadow"};

/* A stored policy: u8 version | blob source | blob params */
/* "policy.active", or "policy.active@MARKET" for one market's policy. */
static void setting_key(char out[128], int role, const char *market) {
  if (market && *market) snprintf(out, 128, "%s@%s", role_key[role], market);
  else snprintf(out, 128, "%s", role_key[role]);
}

int read_policy(store_txn *t, int role, const char *market, const char **src, size_t *len,
                const char **params, size_t *plen) {
  const void *p;
  size_t n;
  char key[128];
  setting_key(key, role, market);
  int rc = store_setting_get(t, key, &p, &n);
  if (rc == SOCLOSS_ENOTFOUND && market && *market) rc = store_setting_get(t, role_key[role], &p, &n);
  if (rc) return rc;
  codec_reader r = {p, n, 0, 0};
  if (codec_rd_u8(&r) != 1) return SOCLOSS_ESTORE;
  *src = codec_rd_blob(&r, len);
  *params = codec_rd_blob(&r, plen);
  return r.bad ? SOCLOSS_ESTORE : SOCLOSS_OK;
}

int params_valid(const char *params) {
  if (!params || !*params) return SOCLOSS_OK;
  json_error_t err;
  json_t *j = json_loads(params, JSON_REJECT_DUPLICATES, &err);
  int ok = j && json_is_object(j);
  json_decref(j);
  if (!ok) return err_fail(SOCLOSS_EINVAL, "params: not a JSON object: %s", j ? "another JSON value" : err.text);
  return SOCLOSS_OK;
}

/* Every role set: the keys "policy.ROLE" and "policy.ROLE@MARKET". */
struct role_walk {
  role_cb cb;
  void *ud;
};

static int visit_role(void *ud, const char *key, size_t klen, const void *p, size_t n) {
  struct role_walk *w = ud;
  for (int role = 0; role < 3; role++) {
    size_t rl = strlen(role_key[role]);
    if (klen < rl || memcmp(key, role_key[role], rl) || (klen > rl && key[rl] != '@')) continue;
    char market[CODEC_ID_MAX + 1] = "";
    if (klen > rl) {
      if (klen - rl - 1 == 0 || klen - rl - 1 > CODEC_ID_MAX) return err_fail(SOCLOSS_ESTORE, "corrupt policy setting");
      memcpy(market, key + rl + 1, klen - rl - 1);
      market[klen - rl - 1] = 0;
    }
    codec_reader r = {p, n, 0, 0};
    size_t len, plen;
    if (codec_rd_u8(&r) != 1) return err_fail(SOCLOSS_ESTORE, "corrupt policy setting");
    const char *src = codec_rd_blob(&r, &len), *params = codec_rd_blob(&r, &plen);
    if (r.bad) return err_fail(SOCLOSS_ESTORE, "corrupt policy setting");
    return w->cb(w->ud, role, market, src, len, params, plen);
  }
  return SOCLOSS_OK;  /* another setting under "policy." */
}

int roles_each(store_txn *t, role_cb cb, void *ud) {
  struct role_walk w = {cb, ud};
  return store_each_setting(t, "policy.", visit_role, &w);
}

/* ---- setting a role ------------------------------------------------------ */

/* Params that say the same: none and {} alike, else equal JSON objects. */
static int params_same(const char *a, size_t alen, const char *b, size_t blen) {
  json_t *x = alen ? json_loadb(a, alen, JSON_REJECT_DUPLICATES, NULL) : json_object();
  json_t *y = blen ? json_loadb(b, blen, JSON_REJECT_DUPLICATES, NULL) : json_object();
  int same = x && y && json_equal(x, y);
  json_decref(x);
  json_decref(y);
  return same;
}

/* 1 when the stored setting (u8 1 | blob source | blob params) is this
 * policy with these params: setting it again would change nothing. */
static int setting_is(const void *stored, size_t n, const policy_src *p, const char *params) {
  codec_reader r = {stored, n, 0, 0};
  size_t len, plen;
  if (codec_rd_u8(&r) != 1) return 0;
  const char *src = codec_rd_blob(&r, &len), *ps = codec_rd_blob(&r, &plen);
  return !r.bad && len == p->len && !memcmp(src, p->source, len) &&
         params_same(ps, plen, params ? params : "", params ? strlen(params) : 0);
}

struct policy_write {
  socloss *led;
  int role;
  const char *market;  /* "": ledger-wide */
  const policy_src *p; /* NULL: clear */
  const char *params;
  const char *at;
  socloss_role_change res;
};

/* Journals a role change (name and hash "" when cleared). */
static int role_record(applier *a, int role, const policy_src *p, const char *params, const char *market,
                       const char *at, uint64_t *seq) {
  codec_buf rec = {0};
  record_policy_encode(&rec, role, p ? p->name : "", p ? p->hash : "", params, market, at);
  int rc = rec.oom ? err_fail(SOCLOSS_ENOMEM, "out of memory") : applier_record(a, &rec, seq);
  codec_buf_free(&rec);
  return rc;
}

static int write_policy(store_txn *t, void *ud) {
  struct policy_write *w = ud;
  const void *cur;
  size_t n;
  char key[128], other[128];
  memset(&w->res, 0, sizeof w->res);  /* this function may run again (map growth) */
  if (*w->market) {
    store_market m;
    int mrc = store_market_get(t, w->market, &m);
    if (mrc == SOCLOSS_ENOTFOUND) {
      char q[TEXT_QUOTED(CODEC_ID_MAX)];
      return err_fail(mrc, "market: unknown market '%s'", text_quote(q, w->market, strlen(w->market), CODEC_ID_MAX));
    }
    if (mrc) return mrc;
  }
  /* what is there now, at this role and place exactly (not the ledger-wide
   * one a market falls back on): the bytes are read before any write */
  setting_key(key, w->role, w->market);
  int rc = store_setting_get(t, key, &cur, &n);
  if (rc && rc != SOCLOSS_ENOTFOUND) return rc;
  int unchanged = w->p ? rc == SOCLOSS_OK && setting_is(cur, n, w->p, w->params) : rc == SOCLOSS_ENOTFOUND;
  /* the shadow is a proposal on trial beside the active policy: making it
   * the active one (same source, same params) ends the trial, so it is
   * cleared here rather than left deciding every deficit a second time */
  int clear_shadow = 0;
  if (w->p && w->role == SOCLOSS_POLICY_ACTIVE) {
    setting_key(other, SOCLOSS_POLICY_SHADOW, w->market);
    rc = store_setting_get(t, other, &cur, &n);
    if (rc && rc != SOCLOSS_ENOTFOUND) return rc;
    clear_shadow = rc == SOCLOSS_OK && setting_is(cur, n, w->p, w->params);
  }
  if (unchanged && !clear_shadow) return SOCLOSS_OK;  /* nothing to say, nothing journaled */
  applier a;
  if ((rc = applier_start(&a, w->led, t, 1))) return rc;
  if (!unchanged) {
    codec_buf set = {0};
    if (w->p) {
      codec_buf_u8(&set, 1);
      codec_buf_blob(&set, w->p->source, w->p->len);
      codec_buf_blob(&set, w->params, w->params ? strlen(w->params) : 0);
    }
    rc = set.oom ? err_fail(SOCLOSS_ENOMEM, "out of memory") : store_setting_put(t, key, w->p ? set.p : NULL, set.len);
    codec_buf_free(&set);
    if (!rc && w->p) rc = registry_ensure_at(&a, w->p, w->at);
    if (!rc) rc = role_record(&a, w->role, w->p, w->params, w->market, w->at, &w->res.seq);
  }
  if (!rc && clear_shadow) {
    rc = store_setting_put(t, other, NULL, 0);
    if (!rc) rc = role_record(&a, SOCLOSS_POLICY_SHADOW, NULL, NULL, w->market, w->at, &w->res.shadow_seq);
  }
  applier_end(&a);
  return rc;
}

void socloss_role_options_init(socloss_role_options *o) {
  memset(o, 0, sizeof *o);
  o->size = sizeof *o;
}

int role_set_run(socloss *led, const socloss_role_options *o, socloss_role_change *out) {
  socloss_role_options opt;
  memset(&opt, 0, sizeof opt);
  /* zeroed options would clear the active policy: only what init made
   * (at least the fields of the first version, up to `at`) */
  if (!o || o->size < offsetof(socloss_role_options, at))
    return err_fail(SOCLOSS_EINVAL, "options: not set by socloss_role_options_init");
  memcpy(&opt, o, o->size < sizeof opt ? o->size : sizeof opt);
  if (opt.role < SOCLOSS_POLICY_ACTIVE || opt.role > SOCLOSS_POLICY_SHADOW)
    return err_fail(SOCLOSS_EINVAL, "role: must be SOCLOSS_POLICY_ACTIVE, _FALLBACK or _SHADOW");
  const char *market = opt.market ? opt.market : "";
  char q[TEXT_QUOTED(80)];
  if (*market && !id_valid(market))
    return err_fail(SOCLOSS_EINVAL, "market: '%s' is not a valid id", text_quote(q, market, strlen(market), 80));
  if (opt.ref && opt.source) return err_fail(SOCLOSS_EINVAL, "policy: give a registered policy or a source, not both");
  int rc;
  if ((rc = params_valid(opt.params)) || (rc = registry_time_check(opt.at))) return rc;
  char *found = NULL;
  policy_src p = {opt.source, opt.source_len, "", "", 0, 0, "", "", ""};
  if (opt.ref) {
    socloss_policy_info info;
    if ((rc = policy_find_run(led, opt.ref, &info, &found))) return rc;
    p.source = found;
    p.len = info.source_len;
    /* a registered policy is located as name@version, unless the host named its source */
    policy_locate(led, NULL, &p);
    if (!strcmp(p.where, "policy")) snprintf(p.where, sizeof p.where, "%s@%u", info.name, info.version);
  }
  if (p.source) {
    socloss_limits lim;
    if ((rc = limits_read(led, &lim)) == SOCLOSS_OK) {
      eval_limits el = {lim.instructions, lim.memory, lim.wall_ms};
      rc = policy_probe(led, &p, &el);
    }
  }
  struct policy_write w = {led, opt.role, market, p.source ? &p : NULL, opt.params, opt.at, {0}};
  if (!rc) rc = store_write(led->st, write_policy, &w);
  free(found);
  if (!rc && out && out->size) {
    w.res.size = out->size;
    memcpy(out, &w.res, out->size < sizeof w.res ? out->size : sizeof w.res);
  }
  return rc;
}

int policy_set_run(socloss *led, int role, const char *source, size_t len, const char *params_json) {
  socloss_role_options o;
  socloss_role_options_init(&o);
  o.role = role;
  o.source = source;
  o.source_len = len;
  o.params = params_json;
  return role_set_run(led, &o, NULL);
}

int policy_activate_run(socloss *led, const char *ref, int role, const char *market, const char *params_json) {
  socloss_role_options o;
  socloss_role_options_init(&o);
  o.role = role;
  o.ref = ref ? ref : "";  /* a reference is what this call is for: none is refused by name */
  o.market = market;
  o.params = params_json;
  return role_set_run(led, &o, NULL);
}
