/*
 * floor_cascade.c — the cascade floor, "candidate columns in memory, writes
 * only": every account's balance and positions read once, then per deficit
 * the rule computed on those columns and only the changed records written,
 * one durable transaction per deficit.  What an engine that kept its
 * candidate set across a cascade would still have to do.
 */
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "floor_lmdb.h"

/* ---- a cascade: the columns read once, then writes only ------------------ */

typedef struct book {
  size_t n, nmk;
  char *ids;
  uint32_t *off, *len;
  int64_t *bal, *size, *cost;  /* size, cost: market-major, stride n */
} book;

static void load_book(db *d, MDB_txn *t, book *b, mkt *mk) {
  b->nmk = load_markets(d, t, mk);
  MDB_stat st;
  mdb_stat(t, d->d[ACCOUNTS], &st);
  size_t n = b->n = st.ms_entries, ids_len = 0, ids_cap = n * 16 + 64;
  b->ids = xcalloc(ids_cap, 1);
  b->off = xcalloc(n, sizeof *b->off);
  b->len = xcalloc(n, sizeof *b->len);
  b->bal = xcalloc(n, 8);
  b->size = xcalloc(n * b->nmk, 8);
  b->cost = xcalloc(n * b->nmk, 8);
  MDB_cursor *c;
  MDB_val k, v;
  ck(mdb_cursor_open(t, d->d[ACCOUNTS], &c), "cursor");
  size_t i = 0;
  for (int rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); !rc && i < n; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT), i++) {
    if (ids_len + k.mv_size > ids_cap && !(b->ids = realloc(b->ids, ids_cap = 2 * ids_cap + k.mv_size))) exit(1);
    memcpy(b->ids + ids_len, k.mv_data, k.mv_size);
    b->off[i] = (uint32_t)ids_len;
    b->len[i] = (uint32_t)k.mv_size;
    ids_len += k.mv_size;
    b->bal[i] = dec(&v, 0);
  }
  mdb_cursor_close(c);
  /* positions in (market, holder) order: both lists are sorted, so one
   * merge places every position */
  ck(mdb_cursor_open(t, d->d[POSITIONS], &c), "cursor");
  size_t m = 0, a = 0;
  for (int rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); !rc; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
    const char *key = k.mv_data, *nul = memchr(key, 0, k.mv_size);
    size_t ml = (size_t)(nul - key), hl = k.mv_size - ml - 1;
    if (m >= b->nmk || keycmp(key, ml, mk[m].id, mk[m].len)) {
      while (m < b->nmk && keycmp(key, ml, mk[m].id, mk[m].len)) m++;
      a = 0;
    }
    if (m == b->nmk) break;
    if (!hl) {
      mk[m].fsize = dec(&v, 0);
      mk[m].fcost = dec(&v, 1);
      continue;
    }
    while (a < n && keycmp(b->ids + b->off[a], b->len[a], nul + 1, hl) < 0) a++;
    if (a == n) continue;
    b->size[m * n + a] = dec(&v, 0);
    b->cost[m * n + a] = dec(&v, 1);
  }
  mdb_cursor_close(c);
}

static void book_free(book *b) {
  free(b->ids);
  free(b->off);
  free(b->len);
  free(b->bal);
  free(b->size);
  free(b->cost);
}

static __int128 equity_of(const book *b, const mkt *mk, size_t i) {
  __int128 e = b->bal[i];
  for (size_t m = 0; m < b->nmk; m++) e += (__int128)b->size[m * b->n + i] * mk[m].mark - b->cost[m * b->n + i];
  return e;
}

void cascade(const char *dir, size_t k) {
  db d;
  open_db(&d, dir, 0, 0);
  double t0 = now();
  MDB_txn *t;
  mkt mk[MK_MAX];
  book b = {0};
  ck(mdb_txn_begin(d.env, NULL, MDB_RDONLY, &t), "begin");
  load_book(&d, t, &b, mk);
  int64_t cash = get_i64(&d, t, FUND, "cash"), bad = get_i64(&d, t, FUND, "bad_debt");
  uint64_t seq = journal_last(&d, t);
  mdb_txn_abort(t);
  double t_read = now() - t0;
  size_t n = b.n, done = 0, charged = 0;
  uint32_t *list = xcalloc(n, sizeof *list);
  size_t nb = 0;
  for (size_t i = 0; i < n; i++)
    if (equity_of(&b, mk, i) < 0) list[nb++] = (uint32_t)i;
  const char **idp = xcalloc(n, sizeof *idp);
  uint32_t *lenp = xcalloc(n, sizeof *lenp), *at = xcalloc(n, sizeof *at);
  int64_t *w = xcalloc(n, 8), *capv = xcalloc(n, 8), *cs = xcalloc(n * b.nmk, 8), *cc = xcalloc(n * b.nmk, 8);
  double t_write = 0, t_commit = 0;
  for (size_t q = 0; q < nb && q < k; q++) {
    size_t ib = list[q];
    char acct[ID_MAX + 1];
    memcpy(acct, b.ids + b.off[ib], b.len[ib]);
    acct[b.len[ib]] = 0;
    plan p = {.did = acct, .acct = acct, .dlen = b.len[ib], .alen = b.len[ib], .equity = (int64_t)equity_of(&b, mk, ib)};
    int64_t oi0[MK_MAX];
    for (size_t m = 0; m < b.nmk; m++)
      if (b.size[m * n + ib]) {
        oi0[p.nm] = mk[m].oi;
        p.bsize[p.nm] = b.size[m * n + ib];
        p.bcost[p.nm] = b.cost[m * n + ib];
        p.slot[p.nm++] = (int)m;
      }
    /* the rule's columns from memory: the accounts that can pay */
    size_t nc = 0;
    for (size_t i = 0; i < n; i++) {
      if (i == ib) continue;
      __int128 profit = 0;
      for (size_t s = 0; s < p.nm; s++) {
        size_t x = (size_t)p.slot[s] * n + i;
        __int128 u = (__int128)b.size[x] * mk[p.slot[s]].mark - b.cost[x];
        if (u > 0) profit += u;
      }
      if (profit <= 0) continue;
      __int128 eq = equity_of(&b, mk, i), c = profit < eq ? profit : eq;
      if (c <= 0) continue;
      for (size_t s = 0; s < p.nm; s++) {
        cs[s * n + nc] = b.size[(size_t)p.slot[s] * n + i];
        cc[s * n + nc] = b.cost[(size_t)p.slot[s] * n + i];
      }
      idp[nc] = b.ids + b.off[i];
      lenp[nc] = b.len[i];
      at[nc] = (uint32_t)i;
      w[nc] = (int64_t)profit;
      capv[nc++] = (int64_t)c;
    }
    int64_t cash0 = cash;
    decide(&p, mk, w, capv, idp, lenp, cs, cc, nc, n, &cash, &bad);
    double t1 = now();
    /* the same changes to the columns in memory */
    for (size_t j = 0; j < p.nc; j++)
      for (size_t s = 0; s < p.nm; s++) b.cost[(size_t)p.slot[s] * n + at[p.ci[j]]] += p.take[s * p.nc + j];
    for (size_t s = 0; s < p.nm; s++) b.size[(size_t)p.slot[s] * n + ib] = b.cost[(size_t)p.slot[s] * n + ib] = 0;
    b.bal[ib] = 0;
    ck(mdb_txn_begin(d.env, NULL, 0, &t), "begin");
    write_plan(&d, t, &p, mk, oi0, cash, cash0, bad, ++seq);
    double t2 = now();
    ck(mdb_txn_commit(t), "commit");
    t_write += t2 - t1;
    t_commit += now() - t2;
    charged += p.nc;
    done++;
    plan_free(&p);
  }
  double total = now() - t0;
  printf("floor_lmdb cascade accounts=%zu bankrupt=%zu deficits=%zu seconds=%.6f read_s=%.6f rule_s=%.6f "
         "write_s=%.6f commit_s=%.6f deficits_per_s=%.2f charged_per_deficit=%.0f bad_debt=%lld\n",
         n, nb, done, total, t_read, total - t_read - t_write - t_commit, t_write, t_commit, (double)done / total,
         done ? (double)charged / (double)done : 0.0, (long long)bad);
  free(list);
  free(idp);
  free(lenp);
  free(at);
  free(w);
  free(capv);
  free(cs);
  free(cc);
  book_free(&b);
  mdb_env_close(d.env);
}

