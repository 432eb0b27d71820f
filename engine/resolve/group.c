/*
 * group.c — group commit: many deficits in one durable transaction, each in
 * a nested one of its own, landing or failing alone (its failure journaled
 * and reported in its item); one fsync for all of them.
 */
#include <stdio.h>
#include <string.h>

#include "resolve_int.h"

struct group {
  socloss *led;
  socloss_batch_item *items;
  size_t n;
  const socloss_resolve_options *o;
};

static int group_txn(store_txn *t, void *ud) {
  struct group *g = ud;
  applier a;
  stats_begin(g->led);
  /* each deficit is a nested transaction, which in LMDB copies every page
   * it touches from the parent's and merges them back: its accounts and
   * positions are kept in memory instead, written once at the commit */
  int rc = store_cache_writes(t);
  if (!rc) rc = applier_start(&a, g->led, t, 1);
  for (size_t i = 0; !rc && i < g->n; i++) {
    socloss_batch_item *it = &g->items[i];
    ERRBUF[0] = 0;
    int r = it->id ? SOCLOSS_OK
                   : err_fail(SOCLOSS_EINVAL, "id: '' is not a valid id (1-64 printable ASCII characters, no spaces)");
    deficit_job job = {it->id, it->account, g->o->policy, g->o->policy_len, g->o->params, 0, NULL, NULL};
    if (!r) r = resolve_job(&a, &job);
    it->code = r;
    it->seq = r ? 0 : g->led->res->r.seq;
    snprintf(it->message, sizeof it->message, "%.255s", r ? ERRBUF : "");
    if (resolve_fatal(r)) rc = r;
  }
  if (!rc) rc = applier_finish(&a);
  applier_end(&a);
  return rc;
}

int resolve_batch_run(socloss *led, socloss_batch_item *items, size_t n, const socloss_resolve_options *o) {
  socloss_resolve_options opt;
  socloss_resolve_options_init(&opt);
  if (o) memcpy(&opt, o, o->size < sizeof opt ? o->size : sizeof opt);
  int rc = params_valid(opt.params);
  if (rc) return rc;
  struct group g = {led, items, n, &opt};
  rc = (opt.dry_run ? store_write_discard : store_write)(led->st, group_txn, &g);
  if (rc) return rc;
  if (!opt.dry_run) stats_commit(led);
  ERRBUF[0] = 0;
  return SOCLOSS_OK;
}
