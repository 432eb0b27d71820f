/*
 * settings.c — the ledger's policy settings: the active and fallback
 * policies (source text and params), the per-call limits and the fund's cap
 * per deficit, each change journaled.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "resolve.h"

/* ---- settings ----------------------------------------------------------- */

const socloss_limits default_limits = {200000000u, 512u << 20, 5000u, 0};

static void tighten(uint64_t *v, uint64_t cap) {
  if (cap && *v > cap) *v = cap;
}

void limits_tighten(socloss *led, socloss_limits *l) {
  tighten(&l->instructions, led->opts.max_instructions);
  tighten(&l->memory, led->opts.max_memory);
  tighten(&l->wall_ms, led->opts.max_wall_ms);
}

int limits_for(socloss *led, store_txn *t, socloss_limits *out) {
  int rc = read_limits(t, out);
  limits_tighten(led, out);
  return rc;
}

int read_limits(store_txn *t, socloss_limits *out) {
  const void *p;
  size_t len;
  *out = default_limits;
  int rc = store_setting_get(t, "limits", &p, &len);
  if (rc == SOCLOSS_ENOTFOUND) return SOCLOSS_OK;
  if (rc) return rc;
  codec_reader r = {p, len, 0, 0};
  if (codec_rd_u8(&r) != 1) return SOCLOSS_ESTORE;
  out->instructions = (uint64_t)codec_rd_i64(&r);
  out->memory = (uint64_t)codec_rd_i64(&r);
  out->wall_ms = (uint64_t)codec_rd_i64(&r);
  out->fund_max_draw = codec_rd_i64(&r);
  return r.bad ? SOCLOSS_ESTORE : SOCLOSS_OK;
}

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

/* ---- policy and limit settings ------------------------------------------ */

struct limits_rw {
  socloss *led;
  socloss_limits lim;
};

static int get_limits(store_txn *t, void *ud) { return read_limits(t, &((struct limits_rw *)ud)->lim); }

static int get_handle_limits(store_txn *t, void *ud) {
  struct limits_rw *l = ud;
  return limits_for(l->led, t, &l->lim);
}

struct policy_write {
  socloss *led;
  int role;
  const char *market;  /* NULL: ledger-wide */
  const policy_src *p;
  const char *params;
};


static int write_policy(store_txn *t, void *ud) {
  struct policy_write *w = ud;
  codec_buf set = {0}, rec = {0};
  applier a;
  uint64_t seq;
  int rc = applier_start(&a, w->led, t, 1);
  size_t plen = w->params ? strlen(w->params) : 0;
  if (w->p) {
    codec_buf_u8(&set, 1);
    codec_buf_blob(&set, w->p->source, w->p->len);
    codec_buf_blob(&set, w->params, plen);
  }
  record_policy_encode(&rec, w->role, w->p ? w->p->name : "", w->p ? w->p->hash : "", w->params, w->market);
  char key[128];
  setting_key(key, w->role, w->market);
  if (!rc) rc = set.oom ? err_fail(SOCLOSS_ENOMEM, "out of memory")
                        : store_setting_put(t, key, w->p ? set.p : NULL, set.len);
  if (!rc && w->p) rc = registry_ensure(&a, w->p);
  if (!rc) rc = applier_record(&a, &rec, &seq);
  codec_buf_free(&set);
  codec_buf_free(&rec);
  applier_end(&a);
  return rc;
}

int policy_set_for(socloss *led, int role, const char *market, const char *source, size_t len,
                   const char *params_json) {
  if (role < SOCLOSS_POLICY_ACTIVE || role > SOCLOSS_POLICY_SHADOW)
    return err_fail(SOCLOSS_EINVAL, "role: must be SOCLOSS_POLICY_ACTIVE, _FALLBACK or _SHADOW");
  int rc = params_valid(params_json);
  if (rc) return rc;
  policy_src p = {source, len, "", "", 0, 0};
  if (source) {
    struct limits_rw l = {led, default_limits};
    if ((rc = store_read(led->st, get_handle_limits, &l)) == SOCLOSS_OK) {
      eval_limits el = {l.lim.instructions, l.lim.memory, l.lim.wall_ms};
      rc = policy_probe(led, &p, &el);
    }
    if (rc) return rc;
  }
  struct policy_write w = {led, role, market, source ? &p : NULL, params_json};
  return store_write(led->st, write_policy, &w);
}

static int socloss_policy_set_unlocked(socloss *led, int role, const char *source, size_t len, const char *params_json) {
  if (!led->st) return err_fail(SOCLOSS_EINVAL, "ledger is not open");
  ERRBUF[0] = 0;
  return policy_set_for(led, role, NULL, source, len, params_json);
}

static int put_limits(store_txn *t, void *ud) {
  struct limits_rw *l = ud;
  codec_buf set = {0}, rec = {0};
  applier a;
  uint64_t seq;
  int rc = applier_start(&a, l->led, t, 1);
  int64_t v[4] = {(int64_t)l->lim.instructions, (int64_t)l->lim.memory, (int64_t)l->lim.wall_ms, l->lim.fund_max_draw};
  codec_buf_u8(&set, 1);
  for (int k = 0; k < 4; k++) codec_buf_i64(&set, v[k]);
  record_limits_encode(&rec, v);
  if (!rc) rc = store_setting_put(t, "limits", set.p, set.len);
  if (!rc) rc = applier_record(&a, &rec, &seq);
  codec_buf_free(&set);
  codec_buf_free(&rec);
  applier_end(&a);
  return rc;
}

int socloss_limits_get(socloss *led, socloss_limits *out) {
  if (!led->st) return err_fail(SOCLOSS_EINVAL, "ledger is not open");
  ERRBUF[0] = 0;
  struct limits_rw l = {led, default_limits};
  int rc = store_read(led->st, get_limits, &l);
  if (rc == SOCLOSS_ESTORE && !ERRBUF[0]) err_fail(rc, "corrupt limits setting");
  *out = l.lim;
  return rc;
}

static int socloss_limits_set_unlocked(socloss *led, const socloss_limits *in) {
  if (!led->st) return err_fail(SOCLOSS_EINVAL, "ledger is not open");
  ERRBUF[0] = 0;
  if (in->instructions < 1000 || in->instructions > ((uint64_t)1 << 40))
    return err_fail(SOCLOSS_EINVAL, "instructions: must be between 1000 and 2^40");
  if (in->memory < (1u << 20) || in->memory > ((uint64_t)1 << 34))
    return err_fail(SOCLOSS_EINVAL, "memory: must be between 1 MiB and 16 GiB");
  if (in->wall_ms < 1 || in->wall_ms > 600000)
    return err_fail(SOCLOSS_EINVAL, "wall_ms: must be between 1 and 600000");
  if (in->fund_max_draw < 0) return err_fail(SOCLOSS_EINVAL, "fund_max_draw: must be >= 0 (0: no cap)");
  struct limits_rw l = {led, *in};
  return store_write(led->st, put_limits, &l);
}


/* Writers (and the evaluator) one at a time per handle; readers never wait. */
int socloss_policy_set(socloss *led, int role, const char *source, size_t len, const char *params_json) {
  pthread_mutex_lock(&led->lock);
  int rc = socloss_policy_set_unlocked(led, role, source, len, params_json);
  pthread_mutex_unlock(&led->lock);
  return rc;
}

/* Writers (and the evaluator) one at a time per handle; readers never wait. */
int socloss_limits_set(socloss *led, const socloss_limits *in) {
  pthread_mutex_lock(&led->lock);
  int rc = socloss_limits_set_unlocked(led, in);
  pthread_mutex_unlock(&led->lock);
  return rc;
}
