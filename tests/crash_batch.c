/*
 * crash_batch — a host's group commit, for tests/cli/crashpoints.t: every
 * account of LEDGER bankrupt now, in id order, resolved under POLICY (a
 * file) by one socloss_resolve_batch (one durable transaction, a nested one
 * per deficit), ids PREFIX:ACCOUNT.  Prints "batch: N deficits, R resolved"
 * and each one that failed; exit 0 when the batch committed, 1 otherwise.
 *
 * usage: crash_batch LEDGER POLICY PREFIX
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "socloss.h"

typedef struct list {
  size_t n, cap;
  char (*id)[SOCLOSS_ID_MAX + 1];
} list;

static int bankrupt(void *ud, const socloss_account *a) {
  list *l = ud;
  if (a->equity >= 0) return 0;
  if (l->n == l->cap) {
    l->cap = l->cap ? 2 * l->cap : 64;
    if (!(l->id = realloc(l->id, l->cap * sizeof *l->id))) return 1;
  }
  memcpy(l->id[l->n++], a->account, sizeof *l->id);
  return 0;
}

static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  char *p = malloc(1 << 20);
  *len = p ? fread(p, 1, 1 << 20, f) : 0;
  fclose(f);
  return p;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: crash_batch LEDGER POLICY PREFIX\n");
    return 2;
  }
  size_t plen;
  char *policy = slurp(argv[2], &plen);
  if (!policy) {
    fprintf(stderr, "crash_batch: cannot read %s\n", argv[2]);
    return 1;
  }
  socloss_options o;
  socloss_options_init(&o);
  o.evaluator = SOCLOSS_BINARY_DIR "/socloss-eval";  /* durable: the default */
  socloss *led;
  int rc = socloss_open(&led, argv[1], &o);
  list l = {0, 0, NULL};
  if (!rc) rc = socloss_accounts(led, bankrupt, &l);
  socloss_batch_item *items = calloc(l.n ? l.n : 1, sizeof *items);
  char (*ids)[2 * SOCLOSS_ID_MAX + 2] = calloc(l.n ? l.n : 1, sizeof *ids);
  if (!rc && (!items || !ids)) rc = SOCLOSS_ENOMEM;
  for (size_t i = 0; !rc && i < l.n; i++) {
    snprintf(ids[i], sizeof ids[i], "%.20s:%s", argv[3], l.id[i]);
    items[i] = (socloss_batch_item){ids[i], l.id[i], 0, 0, ""};
  }
  socloss_resolve_options ro;
  socloss_resolve_options_init(&ro);
  ro.policy = policy;
  ro.policy_len = plen;
  if (!rc) rc = socloss_resolve_batch(led, items, l.n, &ro);
  if (rc) {
    fprintf(stderr, "crash_batch: %s (%s)\n", socloss_errmsg(led), socloss_errname(rc));
  } else {
    size_t ok = 0;
    for (size_t i = 0; i < l.n; i++) ok += items[i].code == SOCLOSS_OK;
    printf("batch: %zu deficits, %zu resolved\n", l.n, ok);
    for (size_t i = 0; i < l.n; i++)
      if (items[i].code) printf("%s: %s\n", items[i].account, items[i].message);
  }
  socloss_close(led);
  free(items);
  free(ids);
  free(l.id);
  free(policy);
  return rc ? 1 : 0;
}
