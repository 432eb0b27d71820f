/*
 * settings.c — the ledger's policy roles: the active, fallback and shadow
 * policies (source text and params), ledger-wide or per market, each change
 * journaled.
 */
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

/* ---- setting a role ------------------------------------------------------ */

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
  policy_src p = {source, len, "", "", 0, 0, "", ""};
  if (source) {
    socloss_limits lim;
    if ((rc = limits_read(led, &lim)) == SOCLOSS_OK) {
      eval_limits el = {lim.instructions, lim.memory, lim.wall_ms};
      rc = policy_probe(led, &p, &el);
    }
    if (rc) return rc;
  }
  struct policy_write w = {led, role, market, source ? &p : NULL, params_json};
  return store_write(led->st, write_policy, &w);
}

int policy_set_run(socloss *led, int role, const char *source, size_t len, const char *params_json) {
  return policy_set_for(led, role, NULL, source, len, params_json);
}

int policy_activate_run(socloss *led, const char *ref, int role, const char *market, const char *params_json) {
  if (role < SOCLOSS_POLICY_ACTIVE || role > SOCLOSS_POLICY_SHADOW)
    return err_fail(SOCLOSS_EINVAL, "role: must be SOCLOSS_POLICY_ACTIVE, _FALLBACK or _SHADOW");
  char q[TEXT_QUOTED(80)];
  if (market && *market && !id_valid(market))
    return err_fail(SOCLOSS_EINVAL, "market: '%s' is not a valid id", text_quote(q, market, strlen(market), 80));
  int rc = params_valid(params_json);
  if (rc) return rc;
  socloss_policy_info info;
  char *source;
  if ((rc = policy_find_run(led, ref ? ref : "", &info, &source))) return rc;
  rc = policy_set_for(led, role, market, source, info.source_len, params_json);
  free(source);
  return rc;
}
