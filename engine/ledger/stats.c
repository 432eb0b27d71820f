/*
 * stats.c — the handle's counters (socloss_stats).  The resolution code
 * counts into led->pending while it runs, under the handle's write lock;
 * a write transaction that commits adds them to led->stats, so that the
 * counters follow what the journal holds: a transaction thrown away (a dry
 * run, a refused batch, one redone in a grown map) counts nothing.
 */
#include <stdint.h>
#include <string.h>

#include "ledger.h"

/* Atoms over a handle's life: a sum past int64 stays at its largest value
 * rather than wrap (each amount added fits int64 and is not negative). */
static int64_t add_atoms(int64_t a, int64_t b) { return b > INT64_MAX - a ? INT64_MAX : a + b; }

void stats_begin(socloss *led) {
  memset(&led->pending, 0, sizeof led->pending);
}

void stats_commit(socloss *led) {
  const socloss_stats *p = &led->pending;
  pthread_mutex_lock(&led->stats_lock);
  socloss_stats *s = &led->stats;
  s->resolved += p->resolved;
  s->failed += p->failed;
  s->fallbacks += p->fallbacks;
  s->policy_failures += p->policy_failures;
  s->policy_us += p->policy_us;
  s->fund_drawn = add_atoms(s->fund_drawn, p->fund_drawn);
  s->bad_debt = add_atoms(s->bad_debt, p->bad_debt);
  pthread_mutex_unlock(&led->stats_lock);
  stats_begin(led);
}

int stats_copy(socloss *led, socloss_stats *out) {
  if (!out || out->size < sizeof out->size)
    return err_fail(SOCLOSS_EINVAL, "stats: size is not set (sizeof(socloss_stats))");
  size_t n = out->size < sizeof *out ? out->size : sizeof *out;
  socloss_stats s;
  pthread_mutex_lock(&led->stats_lock);
  s = led->stats;
  pthread_mutex_unlock(&led->stats_lock);
  s.size = out->size;
  memcpy(out, &s, n);
  return SOCLOSS_OK;
}
