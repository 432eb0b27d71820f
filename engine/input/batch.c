#include "batch.h"
#include "units_in.h"

#include <stdlib.h>
#include <string.h>

#include "blocks.h"

struct arena_chunk {
  arena_chunk *next;
  size_t used, cap;
  char data[];
};

void batch_init(batch *b, const char *name) {
  memset(b, 0, sizeof *b);
  b->name = name;
}

void batch_free(batch *b) {
  free(b->lots);
  free(b->ev);
  free(b->line);
  for (arena_chunk *c = b->chunks, *next; c; c = next) {
    next = c->next;
    free(c);
  }
  memset(b, 0, sizeof *b);
}

socloss_event *batch_push(batch *b, uint32_t line) {
  if (b->oom) return NULL;
  if (b->n == b->cap) {
    /* an import of 1M positions holds 1.5M events of 120 bytes (180 MB):
     * grown into huge pages, not realloc's 4 KiB ones, a fault each (the
     * import took 2.34 s, now 1.62-1.71: BENCHMARKS.md) */
    size_t cap = b->cap ? b->cap * 2 : 256;
    socloss_event *ev = blocks_grow(b->ev, b->n * sizeof *ev, cap * sizeof *ev);
    if (ev) b->ev = ev;
    uint32_t *ln = ev ? blocks_grow(b->line, b->n * sizeof *ln, cap * sizeof *ln) : NULL;
    if (ln) b->line = ln;
    if (!ev || !ln) {
      b->oom = 1;
      return NULL;
    }
    b->cap = cap;
  }
  b->line[b->n] = line;
  socloss_event *e = &b->ev[b->n++];
  memset(e, 0, sizeof *e);
  return e;
}

const char *batch_strdup(batch *b, const char *s, size_t len) {
  arena_chunk *c = b->chunks;
  if (!c || c->cap - c->used < len + 1) {
    size_t cap = len + 1 > (4u << 20) ? len + 1 : (4u << 20);
    c = blocks_malloc(sizeof *c + cap);
    if (!c) {
      b->oom = 1;
      return NULL;
    }
    c->next = b->chunks;
    c->used = 0;
    c->cap = cap;
    b->chunks = c;
  }
  char *p = c->data + c->used;
  memcpy(p, s, len);
  p[len] = 0;
  c->used += len + 1;
  return p;
}

int batch_lot_push(batch *b, size_t ev, const ledger_lot *lot) {
  if (b->nlots == b->lots_cap) {
    size_t cap = b->lots_cap ? b->lots_cap * 2 : 16;
    batch_lot *l = blocks_grow(b->lots, b->nlots * sizeof *l, cap * sizeof *l);
    if (!l) return err_fail(SOCLOSS_ENOMEM, "out of memory");
    b->lots = l;
    b->lots_cap = cap;
  }
  b->lots[b->nlots++] = (batch_lot){ev, *lot};
  return SOCLOSS_OK;
}

int parse_i64(const char *s, size_t len, int64_t *out) {
  size_t i = 0;
  int neg = 0;
  if (i < len && s[i] == '-') {
    neg = 1;
    i++;
  }
  if (i == len) return -1;
  uint64_t v = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
  int range = 0;
  for (; i < len; i++) {
    if (s[i] < '0' || s[i] > '9') return -1;
    unsigned d = (unsigned)(s[i] - '0');
    if (v > (limit - d) / 10) range = 1;
    else v = v * 10 + d;
  }
  if (range) return -2;
  *out = neg ? (int64_t)(0 - v) : (int64_t)v;
  return 0;
}

struct run {
  socloss *led;
  batch *const *batches;
  size_t n;
  const socloss_progress *pg;
  const ledger_units *units;
};

/* Event j and, when it lists a market in units, that market's lot:
 * whether the market was there before decides what lot_settle checks. */
static int apply_one(applier *a, const batch *b, size_t j, size_t *k) {
  const batch_lot *bl = *k < b->nlots && b->lots[*k].ev == j ? &b->lots[(*k)++] : NULL;
  const char *market = b->ev[j].market;
  store_market m;
  int rc = bl ? store_market_get(a->t, market, &m) : SOCLOSS_OK, existed = rc == SOCLOSS_OK;
  if (rc == SOCLOSS_ENOTFOUND) rc = SOCLOSS_OK;
  if (!rc) rc = applier_apply(a, &b->ev[j]);
  if (!rc && bl) rc = lot_settle(a, market, &bl->lot, existed);
  return rc;
}

static int run_batches(store_txn *t, void *ud) {
  struct run *r = ud;
  applier a;
  stats_begin(r->led);  /* deficit and event lines count (stats.c) */
  int rc = applier_start(&a, r->led, t, 1);
  if (!rc && r->units) rc = in_units_same(t, r->units);
  const batch *mb = NULL;  /* the last event that moved the net flows: mb->ev[mj] */
  size_t mj = 0;
  uint64_t done = 0, total = 0;
  for (size_t i = 0; i < r->n; i++) total += r->batches[i]->n;
  for (size_t i = 0; !rc && i < r->n; i++) {
    batch *b = r->batches[i];
    size_t k = 0;  /* the next of b's lots */
    for (size_t j = 0; j < b->n; j++) {
      if (r->pg && (done++ & 0xffff) == 0 && r->pg->fn(r->pg->ud, "write", done - 1, total)) {
        rc = err_fail(SOCLOSS_ESTOP, "stopped by the progress callback: nothing written");
        break;
      }
      a.flows_moved = 0;
      if ((rc = apply_one(&a, b, j, &k))) {
        if (rc != SOCLOSS_EMAPFULL) err_prefix("%s:%u: ", b->name, b->line[j]);
        break;
      }
      if (a.flows_moved) mb = b, mj = j;
    }
  }
  /* a total of net flows out of range is told at the last row adding to it,
   * where the total is complete */
  if (!rc && (rc = applier_finish(&a)) == SOCLOSS_EOVERFLOW && mb) err_prefix("%s:%u: ", mb->name, mb->line[mj]);
  applier_end(&a);
  return rc;
}

int batch_apply(socloss *led, batch *const *batches, size_t n, const socloss_progress *progress,
                const ledger_units *units) {
  struct run r = {led, batches, n, progress && progress->fn ? progress : NULL, units};
  int rc = store_write(led->st, run_batches, &r);
  if (!rc) stats_commit(led);
  return rc;
}
