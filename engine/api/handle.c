/*
 * ledger.c — the handle: open, close, errors, options.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "resolve.h"

const char *socloss_strerror(int code) {
  switch (code) {
#define SOCLOSS_STRERROR_(name, value, text) \
  case SOCLOSS_##name: return text;
    SOCLOSS_ERRNO_MAP(SOCLOSS_STRERROR_)
#undef SOCLOSS_STRERROR_
  }
  return "unknown error";
}

const char *socloss_errname(int code) {
  switch (code) {
#define SOCLOSS_ERRNAME_(name, value, text) \
  case SOCLOSS_##name: return "SOCLOSS_" #name;
    SOCLOSS_ERRNO_MAP(SOCLOSS_ERRNAME_)
#undef SOCLOSS_ERRNAME_
  }
  return "SOCLOSS_UNKNOWN";
}

const char *socloss_version(void) { return SOCLOSS_VERSION_STRING; }

void socloss_options_init(socloss_options *o) {
  memset(o, 0, sizeof *o);
  o->size = sizeof *o;
  o->create = 0;
  o->map_size = 1ull << 30;
  o->map_size_max = 1ull << 40;
}

int socloss_open(socloss **out, const char *path, const socloss_options *opts) {
  ERRBUF[0] = 0;
  socloss *led = calloc(1, sizeof *led);
  *out = led;
  if (!led) {
    snprintf(ERRBUF, ERRMSG_MAX, "out of memory");
    return SOCLOSS_ENOMEM;
  }
  pthread_mutex_init(&led->lock, NULL);
  pthread_mutex_init(&led->stats_lock, NULL);
  socloss_options_init(&led->opts);
  if (opts) {
    /* copy only what the caller's version of the struct has */
    size_t n = opts->size < sizeof led->opts ? opts->size : sizeof led->opts;
    if (n < sizeof(size_t)) return err_fail(SOCLOSS_EINVAL, "options: size is not set (call socloss_options_init)");
    memcpy(&led->opts, opts, n);
    led->opts.size = sizeof led->opts;
  }
  if (!path || !*path) return err_fail(SOCLOSS_EINVAL, "path: empty");
  if (led->opts.map_size < 4096 || led->opts.map_size > led->opts.map_size_max)
    return err_fail(SOCLOSS_EINVAL, "map_size: must be between 4096 and map_size_max");
  if (led->opts.create < 0 || led->opts.create > 2)
    return err_fail(SOCLOSS_EINVAL, "create: must be 0, 1 or 2");
  /* units that are not units are refused before anything is made */
  ledger_units units;
  const socloss_units *want = led->opts.units;
  led->opts.units = NULL;  /* the caller's struct need not outlive the call */
  if (want && units_check(want, &units)) return SOCLOSS_EINVAL;
  char eval_path[4096];
  if (led->opts.evaluator) snprintf(eval_path, sizeof eval_path, "%s", led->opts.evaluator);
  else evaluator_default_path(eval_path, sizeof eval_path);
  if (!(led->ev = malloc(sizeof *led->ev))) return err_fail(SOCLOSS_ENOMEM, "out of memory");
  evaluator_init(led->ev, eval_path);
  led->log = (log_sink){led->opts.log, led->opts.log_ud};
  led->ev->log = led->log;
  led->on_deficit = resolve_event;
  led->on_event = resolve_event_line;
  led->name_source = policy_name_source_run;
  led->opts.evaluator = NULL;  /* copied: the caller's string need not outlive the handle */
  store_config cfg = {led->opts.create, led->opts.map_size, led->opts.map_size_max,
                      led->opts.unsafe_nosync, led->log};
  int rc = store_open(&led->st, path, &cfg);
  /* whom the evaluator's region is kept for when this handle closes */
  if (!rc && !realpath(path, led->ev->owner)) led->ev->owner[0] = 0;
  return rc || !want ? rc : units_require_run(led, want);
}

void socloss_close(socloss *led) {
  if (!led) return;
  resolution_free(led->res);
  view_free(led);
  /* last of what may point into its region: the region is kept for the
   * next handle on this ledger (region_keep) */
  if (led->ev) evaluator_close(led->ev);
  free(led->ev);
  store_close(led->st);
  pthread_mutex_destroy(&led->lock);
  pthread_mutex_destroy(&led->stats_lock);
  free(led);
}

const char *socloss_errmsg(const socloss *led) { return led || ERRBUF[0] ? ERRBUF : "out of memory"; }
