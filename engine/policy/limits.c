/*
 * limits.c — the per-call limits of policies (instructions, memory, wall
 * time) and the fund's cap per deficit: stored as a setting, each change
 * journaled; a handle may tighten them for itself, never loosen them.
 */
#include "policy.h"

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

struct limits_rw {
  socloss *led;
  socloss_limits lim;
};

static int get_limits(store_txn *t, void *ud) { return read_limits(t, &((struct limits_rw *)ud)->lim); }

static int get_handle_limits(store_txn *t, void *ud) {
  struct limits_rw *l = ud;
  return limits_for(l->led, t, &l->lim);
}

int limits_read(socloss *led, socloss_limits *out) {
  struct limits_rw l = {led, default_limits};
  int rc = store_read(led->st, get_handle_limits, &l);
  *out = l.lim;
  return rc;
}


int limits_get_run(socloss *led, socloss_limits *out) {
  struct limits_rw l = {led, default_limits};
  int rc = store_read(led->st, get_limits, &l);
  if (rc == SOCLOSS_ESTORE && !ERRBUF[0]) err_fail(rc, "corrupt limits setting");
  *out = l.lim;
  return rc;
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

int limits_set_run(socloss *led, const socloss_limits *in) {
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
