/*
 * roster.c — the registry as `policy list` shows it: each entry with its
 * note, its time and the roles it holds (active, fallback, shadow;
 * ledger-wide or per market), read in one snapshot.  It reads both the
 * registry (registry.c) and the roles (settings.c), which is why it is a
 * file of its own: settings.c writes through the registry, so the registry
 * cannot read the settings back without a circle.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

typedef struct held_role {
  int role;
  char market[CODEC_ID_MAX + 1];
  char hash[65];   /* of the source the role was set with */
  char *params;
} held_role;

typedef struct entry_copy {
  socloss_policy_info info;
  char *note;
  char at[CODEC_ID_MAX + 1];
} entry_copy;

struct roster {
  size_t n, cap, nr, rcap;
  entry_copy *v;
  held_role *r;
};

static int collect_entry(void *ud, const registry_entry *e) {
  struct roster *l = ud;
  if (l->n == l->cap) {
    size_t cap = l->cap ? 2 * l->cap : 16;
    entry_copy *v = realloc(l->v, cap * sizeof *v);
    if (!v) return err_fail(SOCLOSS_ENOMEM, "out of memory");
    l->v = v;
    l->cap = cap;
  }
  entry_copy *c = &l->v[l->n];
  c->info = e->info;
  snprintf(c->at, sizeof c->at, "%s", e->at);
  if (!(c->note = malloc(e->note_len + 1))) return err_fail(SOCLOSS_ENOMEM, "out of memory");
  if (e->note_len) memcpy(c->note, e->note, e->note_len);
  c->note[e->note_len] = 0;
  l->n++;
  return SOCLOSS_OK;
}

static int collect_role(void *ud, int role, const char *market, const char *src, size_t len, const char *params,
                        size_t plen) {
  struct roster *l = ud;
  if (l->nr == l->rcap) {
    size_t cap = l->rcap ? 2 * l->rcap : 8;
    held_role *r = realloc(l->r, cap * sizeof *r);
    if (!r) return err_fail(SOCLOSS_ENOMEM, "out of memory");
    l->r = r;
    l->rcap = cap;
  }
  held_role *h = &l->r[l->nr];
  h->role = role;
  snprintf(h->market, sizeof h->market, "%s", market);
  /* a role keeps the source it was set with, not its entry: the entry is
   * the one of the same hash (every policy set is registered on the way) */
  policy_hash(src, len, h->hash);
  if (!(h->params = malloc(plen + 1))) return err_fail(SOCLOSS_ENOMEM, "out of memory");
  if (plen) memcpy(h->params, params, plen);
  h->params[plen] = 0;
  l->nr++;
  return SOCLOSS_OK;
}

struct roster_read {
  const char *ref;
  struct roster *l;
};

static int read_roster(store_txn *t, void *ud) {
  struct roster_read *rr = ud;
  int rc = registry_each(t, rr->ref, collect_entry, rr->l);
  return rc ? rc : roles_each(t, collect_role, rr->l);
}

static int by_name_version(const void *a, const void *b) {
  const socloss_policy_info *x = &((const entry_copy *)a)->info, *y = &((const entry_copy *)b)->info;
  int c = strcmp(x->name, y->name);
  return c ? c : (x->version > y->version) - (x->version < y->version);
}

int policy_entries_run(socloss *led, const char *ref, socloss_policy_entry_cb cb, void *ud) {
  struct roster l;
  memset(&l, 0, sizeof l);
  struct roster_read rr = {ref, &l};
  int rc = store_read(led->st, read_roster, &rr);
  socloss_policy_role *held = rc || !l.nr ? NULL : malloc(l.nr * sizeof *held);
  if (!rc && l.nr && !held) rc = err_fail(SOCLOSS_ENOMEM, "out of memory");
  if (!rc) qsort(l.v, l.n, sizeof *l.v, by_name_version);
  for (size_t i = 0; !rc && i < l.n; i++) {
    socloss_policy_entry e;
    memset(&e, 0, sizeof e);
    e.size = sizeof e;
    e.info = l.v[i].info;
    e.note = l.v[i].note;
    e.at = l.v[i].at;
    e.roles = held;
    /* the roles come by role, then ledger-wide before markets in id order */
    for (size_t k = 0; k < l.nr; k++)
      if (!strcmp(l.r[k].hash, e.info.hash))
        held[e.nroles++] = (socloss_policy_role){l.r[k].role, l.r[k].market, l.r[k].params};
    if (cb(ud, &e)) rc = err_fail(SOCLOSS_ESTOP, "stopped by the callback");
  }
  for (size_t i = 0; i < l.n; i++) free(l.v[i].note);
  for (size_t k = 0; k < l.nr; k++) free(l.r[k].params);
  free(l.v);
  free(l.r);
  free(held);
  return rc;
}
