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

#include "resolve_int.h"

void cands_free(cands *c) {
  free(c->ids);
  free(c->off);
  free(c->balance);
  free(c->equity);
  free(c->upnl_total);
  free(c->profit);
  free(c->size);
  free(c->cost);
  free(c->upnl);
  free(c->row);
  memset(c, 0, sizeof *c);
}

typedef struct mk_cursor {
  char market[CODEC_ID_MAX + 1];
  int64_t mark;
  int slot;                 /* index among the deficit's markets, or -1 */
  store_cursor *cur;
  int live;                 /* has a head */
  char holder[CODEC_ID_MAX + 1];
  store_position pos;
} mk_cursor;

typedef struct mk_list {
  size_t n, cap;
  mk_cursor *v;
} mk_list;

static int collect_mk(void *ud, const char *id, const store_market *m) {
  mk_list *l = ud;
  if (l->n == l->cap) {
    size_t cap = l->cap ? 2 * l->cap : 8;
    mk_cursor *v = realloc(l->v, cap * sizeof *v);
    if (!v) return SOCLOSS_ENOMEM;
    l->v = v;
    l->cap = cap;
  }
  mk_cursor *c = &l->v[l->n++];
  memset(c, 0, sizeof *c);
  memcpy(c->market, id, strlen(id) + 1);
  c->mark = m->mark;
  c->slot = -1;
  return SOCLOSS_OK;
}

static int advance(mk_cursor *c) {
  int rc = store_next_position(c->cur, c->holder, &c->pos);
  c->live = rc == SOCLOSS_OK;
  return rc == SOCLOSS_ENOTFOUND ? SOCLOSS_OK : rc;
}

/* Every account but the bankrupt one (and those of `out`, in id order: a
 * joint event's bankrupt accounts), in id order, with balance, equity, gross
 * profit and its positions in the deficit's markets: one merge of the
 * accounts table with each market's positions. */
int build_cands(store_txn *t, const deficit_rec *d, const char *const *out, size_t nout, cands *c) {
  mk_list ml = {0};
  size_t na, np, nmk;
  int rc = store_counts(t, &nmk, &na, &np);
  if (!rc) rc = store_each_market(t, collect_mk, &ml);
  if (rc == SOCLOSS_ENOMEM) rc = err_fail(rc, "out of memory");
  memset(c, 0, sizeof *c);
  c->cap = na ? na : 1;
  c->nm = d->nm;
  size_t cols = c->cap * (d->nm ? d->nm : 1);
  if (!rc) {
    c->off = malloc((c->cap + 1) * sizeof *c->off);
    c->balance = malloc(c->cap * sizeof(int64_t));
    c->equity = malloc(c->cap * sizeof(int64_t));
    c->upnl_total = malloc(c->cap * sizeof(int64_t));
    c->profit = malloc(c->cap * sizeof(int64_t));
    c->size = calloc(cols, sizeof(int64_t));
    c->cost = calloc(cols, sizeof(int64_t));
    c->upnl = calloc(cols, sizeof(int64_t));
    c->ids_cap = c->cap * 13 + 64;
    c->ids = malloc(c->ids_cap);
    if (!c->off || !c->balance || !c->equity || !c->upnl_total || !c->profit || !c->size || !c->cost || !c->upnl ||
        !c->ids)
      rc = err_fail(SOCLOSS_ENOMEM, "out of memory for %zu candidates", na);
  }
  for (size_t k = 0; !rc && k < ml.n; k++) {
    mk_cursor *m = &ml.v[k];
    for (size_t j = 0; j < d->nm; j++)
      if (!strcmp(d->mk[j].market, m->market)) m->slot = (int)j;
    rc = store_cursor_positions(t, m->market, &m->cur);
    if (!rc) rc = advance(m);
    if (!rc && m->live && !m->holder[0]) rc = advance(m);  /* the fund's position */
  }
  store_cursor *ac = NULL;
  if (!rc) rc = store_cursor_accounts(t, &ac);
  char id[CODEC_ID_MAX + 1];
  int64_t balance;
  size_t xo = 0;  /* the next of `out` (in id order) not yet passed */
  if (!rc) c->off[0] = 0;
  while (!rc && (rc = store_next_account(ac, id, &balance)) == SOCLOSS_OK) {
    __int128 total = 0, gross = 0;
    size_t i = c->n;
    for (size_t k = 0; k < ml.n; k++) {
      mk_cursor *m = &ml.v[k];
      if (!m->live || strcmp(m->holder, id)) continue;
      __int128 u = (__int128)m->pos.size * m->mark - m->pos.cost;
      total += u;
      if (u > 0) gross += u;
      if (m->slot >= 0) {
        size_t at = (size_t)m->slot * c->cap + i;
        c->size[at] = m->pos.size;
        c->cost[at] = m->pos.cost;
        c->upnl[at] = (int64_t)u;
      }
      if ((rc = advance(m))) break;
    }
    if (rc) continue;
    while (xo < nout && strcmp(out[xo], id) < 0) xo++;
    if (!strcmp(id, d->account) || (xo < nout && !strcmp(out[xo], id))) {  /* not a candidate: clear its row */
      for (size_t j = 0; j < d->nm; j++) c->size[j * c->cap + i] = c->cost[j * c->cap + i] = c->upnl[j * c->cap + i] = 0;
      continue;
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
      char *p = realloc(c->ids, cap);
      if (!p) {
        rc = err_fail(SOCLOSS_ENOMEM, "out of memory");
        break;
      }
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
  store_cursor_close(ac);
  for (size_t k = 0; k < ml.n; k++) store_cursor_close(ml.v[k].cur);
  free(ml.v);
  return rc;
}

