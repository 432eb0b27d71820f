/*
 * cands.c — the candidates of a deficit as columns (never one table per
 * account): every account but the bankrupt one, positions or not (a policy
 * may charge depositors too), with ids, balance, equity, total upnl, gross
 * profit, and per deficit market size, cost and upnl (zeros where it holds
 * nothing), built in one merge of the accounts table with each market's
 * positions, all in account-id order.
 */
#include <stdlib.h>
#include <string.h>

#include "blocks.h"
#include "resolve_int.h"

/* p freed unless it lies in the region the columns were built in. */
static void free_own(const cands *c, void *p) {
  if ((uintptr_t)p < c->lo || (uintptr_t)p >= c->hi) free(p);
}

void cands_free(cands *c) {
  void *own[] = {c->ids, c->off, c->balance, c->equity, c->upnl_total, c->profit, c->size, c->cost, c->upnl};
  for (size_t k = 0; k < sizeof own / sizeof *own; k++) free_own(c, own[k]);
  free(c->row);
  free(c->at);
  memset(c, 0, sizeof *c);
}

int cands_alloc(cands *c, evaluator *place, size_t cap, size_t nm, size_t ids_cap, size_t what) {
  memset(c, 0, sizeof *c);
  c->cap = c->stride = cap;
  c->nm = nm;
  c->ids_cap = ids_cap;
  size_t cols = cap * (nm ? nm : 1);
  uint64_t at[EVAL_REGION_COLUMNS];
  unsigned char *base = place ? evaluator_place(place, evalproto_region_plan(cap, nm, ids_cap, at)) : NULL;
  if (base) {
    /* the plan's places: each column where the request will name it */
    c->lo = (uintptr_t)base + at[0];
    c->hi = (uintptr_t)base + at[EVAL_REGION_COLUMNS - 1] + cap * sizeof(int64_t);
    c->ids = (char *)(base + at[0]);
    c->off = (uint32_t *)(base + at[1]);
    c->balance = (int64_t *)(base + at[2]);
    c->equity = (int64_t *)(base + at[3]);
    c->upnl_total = (int64_t *)(base + at[4]);
    c->profit = (int64_t *)(base + at[5]);
    c->size = (int64_t *)(base + at[6]);
    c->cost = (int64_t *)(base + at[7]);
    c->upnl = (int64_t *)(base + at[8]);
    c->profit0 = (int64_t *)(base + at[9]);
    c->charged = (int64_t *)(base + at[10]);
    memset(c->size, 0, cols * sizeof *c->size);
    memset(c->cost, 0, cols * sizeof *c->cost);
    memset(c->upnl, 0, cols * sizeof *c->upnl);
  } else {
    c->off = blocks_malloc((cap + 1) * sizeof *c->off);
    c->balance = blocks_malloc(cap * sizeof(int64_t));
    c->equity = blocks_malloc(cap * sizeof(int64_t));
    c->upnl_total = blocks_malloc(cap * sizeof(int64_t));
    c->profit = blocks_malloc(cap * sizeof(int64_t));
    c->size = blocks_calloc(cols, sizeof(int64_t));
    c->cost = blocks_calloc(cols, sizeof(int64_t));
    c->upnl = blocks_calloc(cols, sizeof(int64_t));
    c->ids = blocks_malloc(ids_cap);
  }
  if (!c->off || !c->balance || !c->equity || !c->upnl_total || !c->profit || !c->size || !c->cost || !c->upnl ||
      !c->ids)
    return err_fail(SOCLOSS_ENOMEM, "out of memory for %zu candidates", what);
  return SOCLOSS_OK;
}

/* Built in the region with fewer rows than planned (cap): each market's
 * size, cost and upnl moved down to stride n, as the request names them. */
static void close_up(cands *c) {
  if (!c->lo || c->n == c->cap || c->nm < 2) return;
  int64_t *col[] = {c->size, c->cost, c->upnl};
  for (size_t k = 0; k < 3; k++)
    for (size_t m = 1; m < c->nm; m++) memmove(col[k] + m * c->n, col[k] + m * c->cap, c->n * sizeof *col[k]);
  c->stride = c->n;
}

/* ---- the merge of the accounts with every market's positions ------------ */

static int collect_mk(void *ud, const char *id, const store_market *m) {
  pos_merge *pm = ud;
  if (pm->n == pm->cap) {
    size_t cap = pm->cap ? 2 * pm->cap : 8;
    merge_mk *v = realloc(pm->v, cap * sizeof *v);
    if (!v) return SOCLOSS_ENOMEM;
    pm->v = v;
    pm->cap = cap;
  }
  merge_mk *c = &pm->v[pm->n++];
  memset(c, 0, sizeof *c);
  memcpy(c->market, id, strlen(id) + 1);
  c->mark = m->mark;
  return SOCLOSS_OK;
}

static int advance(merge_mk *c) {
  int rc = store_next_position(c->cur, c->holder, &c->pos);
  c->live = rc == SOCLOSS_OK;
  return rc == SOCLOSS_ENOTFOUND ? SOCLOSS_OK : rc;
}

int merge_open(store_txn *t, pos_merge *pm) {
  memset(pm, 0, sizeof *pm);
  int rc = store_each_market(t, collect_mk, pm);
  if (rc == SOCLOSS_ENOMEM) rc = err_fail(rc, "out of memory");
  for (size_t k = 0; !rc && k < pm->n; k++) {
    merge_mk *m = &pm->v[k];
    rc = store_cursor_positions(t, m->market, &m->cur);
    if (!rc) rc = advance(m);
    if (!rc && m->live && !m->holder[0]) rc = advance(m);  /* the fund's position */
  }
  if (!rc) rc = store_cursor_accounts(t, &pm->ac);
  return rc;
}

int merge_next(pos_merge *pm, char id[CODEC_ID_MAX + 1], int64_t *balance) {
  int rc = store_next_account(pm->ac, id, balance);
  for (size_t k = 0; k < pm->n; k++) {
    merge_mk *m = &pm->v[k];
    m->here = !rc && m->live && !strcmp(m->holder, id);
    if (m->here) m->held = m->pos;
  }
  for (size_t k = 0; !rc && k < pm->n; k++)
    if (pm->v[k].here) rc = advance(&pm->v[k]);
  return rc;
}

void merge_close(pos_merge *pm) {
  store_cursor_close(pm->ac);
  for (size_t k = 0; k < pm->n; k++) store_cursor_close(pm->v[k].cur);
  free(pm->v);
  memset(pm, 0, sizeof *pm);
}

/* Every account but the bankrupt one (and those of `out`, in id order: a
 * joint event's bankrupt accounts), in id order, with balance, equity, gross
 * profit and its positions in the deficit's markets: one merge of the
 * accounts table with each market's positions. */
int build_cands(store_txn *t, const deficit_rec *d, const char *const *out, size_t nout, evaluator *place, cands *c) {
  pos_merge pm;
  memset(&pm, 0, sizeof pm);
  size_t na, np, nmk;
  int rc = store_counts(t, &nmk, &na, &np);
  if (!rc) rc = merge_open(t, &pm);
  size_t cap = na ? na : 1;
  memset(c, 0, sizeof *c);
  int slot[64], *slots = pm.n <= 64 ? slot : malloc(pm.n * sizeof *slots);
  if (!rc && !slots) rc = err_fail(SOCLOSS_ENOMEM, "out of memory");
  if (!rc) rc = cands_alloc(c, place, cap, d->nm, cap * 13 + 64, na);
  for (size_t k = 0; !rc && k < pm.n; k++) {
    slots[k] = -1;
    for (size_t j = 0; j < d->nm; j++)
      if (!strcmp(d->mk[j].market, pm.v[k].market)) slots[k] = (int)j;
  }
  char id[CODEC_ID_MAX + 1];
  int64_t balance;
  size_t xo = 0;  /* the next of `out` (in id order) not yet passed */
  if (!rc) c->off[0] = 0;
  while (!rc && (rc = merge_next(&pm, id, &balance)) == SOCLOSS_OK) {
    while (xo < nout && strcmp(out[xo], id) < 0) xo++;
    if (!strcmp(id, d->account) || (xo < nout && !strcmp(out[xo], id))) continue;  /* not a candidate */
    __int128 total = 0, gross = 0;
    size_t i = c->n;
    for (size_t k = 0; k < pm.n; k++) {
      const merge_mk *m = &pm.v[k];
      if (!m->here) continue;
      __int128 u = (__int128)m->held.size * m->mark - m->held.cost;
      total += u;
      if (u > 0) gross += u;
      if (slots[k] >= 0) {
        size_t at = (size_t)slots[k] * c->stride + i;
        c->size[at] = m->held.size;
        c->cost[at] = m->held.cost;
        c->upnl[at] = (int64_t)u;
      }
    }
    __int128 eq = total + balance;
    if (!fits_i64(total) || !fits_i64(eq)) {
      rc = err_fail(SOCLOSS_EOVERFLOW, "equity of '%s' overflows int64", id);
      break;
    }
    if (!fits_i64(gross)) {
      rc = err_fail(SOCLOSS_EOVERFLOW, "the gross profit of '%s' overflows int64", id);
      break;
    }
    size_t len = strlen(id);
    if (c->ids_len + len > c->ids_cap) {
      size_t cap = c->ids_cap * 2 + len;
      int placed = (uintptr_t)c->ids >= c->lo && (uintptr_t)c->ids < c->hi;
      char *p = placed ? malloc(cap) : realloc(c->ids, cap);  /* past the region's room: its own (copied there) */
      if (!p) {
        rc = err_fail(SOCLOSS_ENOMEM, "out of memory");
        break;
      }
      if (placed) memcpy(p, c->ids, c->ids_len);
      c->ids = p;
      c->ids_cap = cap;
    }
    memcpy(c->ids + c->ids_len, id, len);
    c->ids_len += len;
    c->off[i + 1] = (uint32_t)c->ids_len;
    c->balance[i] = balance;
    c->equity[i] = (int64_t)eq;
    c->upnl_total[i] = (int64_t)total;
    c->profit[i] = (int64_t)gross;
    c->n++;
  }
  if (rc == SOCLOSS_ENOTFOUND) rc = SOCLOSS_OK;
  if (!rc) close_up(c);
  if (slots != slot) free(slots);
  merge_close(&pm);
  return rc;
}
