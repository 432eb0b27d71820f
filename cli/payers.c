/*
 * Who pays: per-account charges (account -> [charge, profit] maps, one per
 * policy) sorted and compared, for simulate's --json and its report, and
 * replay's "who pays differently".
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int by_charge(const void *a, const void *b) {
  const payer *x = a, *y = b;
  return x->charge != y->charge ? (x->charge < y->charge ? 1 : -1) : strcmp(x->account, y->account);
}

payer *payers_sorted(json_t *charges, size_t *n) {
  payer *v = malloc((json_object_size(charges) + 1) * sizeof *v);
  *n = 0;
  if (!v) return NULL;
  const char *key;
  json_t *pair;
  json_object_foreach(charges, key, pair) {
    v[(*n)++] = (payer){key, json_integer_value(json_array_get(pair, 0)), json_integer_value(json_array_get(pair, 1))};
  }
  qsort(v, *n, sizeof *v, by_charge);
  return v;
}

static int by_id(const void *a, const void *b) {
  return strcmp(((const socloss_replay_account *)a)->account, ((const socloss_replay_account *)b)->account);
}

void sort_by_account(socloss_replay_account *v, size_t n) { qsort(v, n, sizeof *v, by_id); }

/* the largest change first; among equal ones, account-id order */
static int by_change(const void *a, const void *b) {
  const socloss_replay_account *x = a, *y = b;
  int64_t dx = x->replayed - x->recorded, dy = y->replayed - y->recorded;
  int64_t ax = dx < 0 ? -dx : dx, ay = dy < 0 ? -dy : dy;
  return ax != ay ? (ax < ay ? 1 : -1) : strcmp(x->account, y->account);
}

void sort_by_change(socloss_replay_account *v, size_t n) { qsort(v, n, sizeof *v, by_change); }

static int64_t charge_in(json_t *charges, const char *account) {
  return json_integer_value(json_array_get(json_object_get(charges, account), 0));
}

socloss_replay_account *charges_vs(json_t *first, json_t *col, size_t *n) {
  socloss_replay_account *v = malloc((json_object_size(first) + json_object_size(col) + 1) * sizeof *v);
  *n = 0;
  if (!v) return NULL;
  const char *key;
  json_t *pair;
  json_object_foreach(first, key, pair) {
    int64_t a = json_integer_value(json_array_get(pair, 0)), b = charge_in(col, key);
    if (a != b) v[(*n)++] = (socloss_replay_account){key, a, b};
  }
  json_object_foreach(col, key, pair) {  /* charged only here */
    if (!json_object_get(first, key))
      v[(*n)++] = (socloss_replay_account){key, 0, json_integer_value(json_array_get(pair, 0))};
  }
  sort_by_account(v, *n);
  return v;
}
