/*
 * floor_lmdb_common.c — the raw-LMDB floor's shared steps: opening the
 * ledger, the rule and the takeover on one deficit's columns (decide), and
 * its writes in key order (write_plan).  See floor_lmdb.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "alloc.h"
#include "floor_lmdb.h"

static const char *const db_names[NDB] = {"meta", "markets", "accounts", "positions",
                                          "fund", "journal", "deficits"};

void ck(int rc, const char *what) {
  if (!rc) return;
  fprintf(stderr, "floor_lmdb: %s: %s\n", what, mdb_strerror(rc));
  exit(1);
}

void *xcalloc(size_t n, size_t s) {
  void *p = calloc(n ? n : 1, s);
  if (!p) {
    fprintf(stderr, "floor_lmdb: out of memory\n");
    exit(1);
  }
  return p;
}

void open_db(db *d, const char *dir, int create, int nosync) {
  mkdir(dir, 0755);
  ck(mdb_env_create(&d->env), "env");
  mdb_env_set_maxdbs(d->env, 16);
  mdb_env_set_mapsize(d->env, (size_t)8 << 30);
  ck(mdb_env_open(d->env, dir, MDB_NOTLS | (nosync ? MDB_NOSYNC : 0), 0644), dir);
  MDB_txn *t;
  ck(mdb_txn_begin(d->env, NULL, 0, &t), "begin");
  for (int i = 0; i < NDB; i++) ck(mdb_dbi_open(t, db_names[i], create ? MDB_CREATE : 0, &d->d[i]), db_names[i]);
  ck(mdb_txn_commit(t), "commit");
}

/* ---- the journal record: the engine's layout without the policy fields --- */

typedef struct buf {
  unsigned char *p;
  size_t len, cap;
} buf;

static void raw(buf *b, const void *p, size_t n) {
  if (b->len + n > b->cap) {
    b->cap = (b->len + n) * 2 + 256;
    if (!(b->p = realloc(b->p, b->cap))) exit(1);
  }
  memcpy(b->p + b->len, p, n);
  b->len += n;
}

static void u8(buf *b, unsigned v) { raw(b, &(unsigned char){(unsigned char)v}, 1); }
static void i64(buf *b, int64_t v) {
  unsigned char x[8];
  put_be(x, v);
  raw(b, x, 8);
}
static void id8(buf *b, const char *p, size_t n) {
  u8(b, (unsigned)n);
  raw(b, p, n);
}

/* The engine's fill (engine/ledger/apply.c): a trade of q lots at price on
 * a position; returns what it realizes. */
int64_t fill(int64_t *size, int64_t *cost, int64_t q, int64_t price) {
  __int128 s = *size, c = *cost, qp = (__int128)q * price, realized = 0;
  if (s == 0 || (s > 0) == (q > 0)) {
    s += q;
    c += qp;
  } else if ((q < 0 ? -q : q) <= (s < 0 ? -s : s)) {
    __int128 removed = c * (q < 0 ? -q : q) / (s < 0 ? -s : s);
    realized = -qp - removed;
    s += q;
    c -= removed;
  } else {
    realized = s * price - c;
    s += q;
    c = s * price;
  }
  *size = (int64_t)s;
  *cost = (int64_t)c;
  return (int64_t)realized;
}

static int64_t longs(int64_t s) { return s > 0 ? s : 0; }

/* Takeover (in the market list), fund draw, the rule, bad debt: fills p
 * from the n candidates' columns w (profit), cap, and their positions
 * (slot-major, stride).  cash and bad_debt are the fund's, updated. */
void decide(plan *p, mkt *mk, const int64_t *w, const int64_t *capv, const char **id, const uint32_t *len,
            const int64_t *size, const int64_t *cost, size_t n, size_t stride, int64_t *cash, int64_t *bad_debt) {
  for (size_t s = 0; s < p->nm; s++) {
    mkt *m = &mk[p->slot[s]];
    int64_t f0 = m->fsize;
    *cash += fill(&m->fsize, &m->fcost, p->bsize[s], m->mark);
    m->oi += longs(m->fsize) - longs(f0) - longs(p->bsize[s]);
  }
  int64_t hole = -p->equity, avail = *cash > 0 ? *cash : 0;
  p->fund_draw = hole < avail ? hole : avail;
  *cash -= p->fund_draw;
  int64_t *out = xcalloc(n, sizeof *out);
  if (alloc_waterfill(w, capv, n, hole - p->fund_draw, out)) exit(1);
  size_t nc = 0;
  for (size_t i = 0; i < n; i++) nc += out[i] > 0;
  p->nc = nc;
  p->id = xcalloc(nc, sizeof *p->id);
  p->len = xcalloc(nc, sizeof *p->len);
  p->ci = xcalloc(nc, sizeof *p->ci);
  p->amount = xcalloc(nc, sizeof(int64_t));
  p->size = xcalloc(nc * p->nm, sizeof(int64_t));
  p->cost = xcalloc(nc * p->nm, sizeof(int64_t));
  p->take = xcalloc(nc * p->nm, sizeof(int64_t));
  int64_t charged = 0;
  for (size_t i = 0, j = 0; i < n; i++) {
    if (out[i] <= 0) continue;
    p->id[j] = id[i];
    p->len[j] = len[i];
    p->ci[j] = (uint32_t)i;
    p->amount[j] = out[i];
    charged += out[i];
    /* out of the profit: each profitable position's cost rises, in market
     * order, by at most its upnl (out[i] <= profit, so it all fits) */
    int64_t left = out[i];
    for (size_t s = 0; s < p->nm; s++) {
      size_t at = s * stride + i, to = s * nc + j;
      __int128 upnl = (__int128)size[at] * mk[p->slot[s]].mark - cost[at];
      int64_t t = upnl > 0 ? (left < upnl ? left : (int64_t)upnl) : 0;
      p->size[to] = size[at];
      p->cost[to] = cost[at];
      p->take[to] = t;
      left -= t;
    }
    j++;
  }
  free(out);
  p->bad_debt = hole - p->fund_draw - charged;
  *bad_debt += p->bad_debt;
}

void plan_free(plan *p) {
  free(p->id);
  free(p->len);
  free(p->ci);
  free(p->amount);
  free(p->size);
  free(p->cost);
  free(p->take);
}

/* The writes of plan p in transaction t, each table in key order through
 * one cursor: per deficit market the fund's position (the market's first
 * key), then the charged positions with the bankrupt's removal in its place;
 * the bankrupt's balance to zero, the fund's totals and the markets' open
 * interest when they moved, one journal record, the deficit id. */
void write_plan(db *d, MDB_txn *t, const plan *p, const mkt *mk, const int64_t *oi0, int64_t cash, int64_t cash0,
                int64_t bad_debt, uint64_t seq) {
  MDB_cursor *c;
  unsigned char key[2 * ID_MAX + 2];
  enc e;
  ck(mdb_cursor_open(t, d->d[POSITIONS], &c), "cursor");
  for (size_t s = 0; s < p->nm; s++) {
    const mkt *m = &mk[p->slot[s]];
    MDB_val k = poskey(key, m->id, m->len, "", 0), v = enc2(&e, m->fsize, m->fcost);
    if (m->fsize) ck(mdb_cursor_put(c, &k, &v, 0), "fund position");
    else if (!mdb_cursor_get(c, &k, NULL, MDB_SET)) ck(mdb_cursor_del(c, 0), "fund position");
    int gone = 0;
    for (size_t j = 0; j <= p->nc; j++) {
      if (!gone && (j == p->nc || keycmp(p->acct, p->alen, p->id[j], p->len[j]) < 0)) {
        k = poskey(key, m->id, m->len, p->acct, p->alen);
        ck(mdb_cursor_get(c, &k, NULL, MDB_SET), "bankrupt position");
        ck(mdb_cursor_del(c, 0), "bankrupt position");
        gone = 1;
      }
      size_t at = s * p->nc + j;
      if (j == p->nc || !p->take[at]) continue;
      k = poskey(key, m->id, m->len, p->id[j], p->len[j]);
      v = enc2(&e, p->size[at], p->cost[at] + p->take[at]);
      ck(mdb_cursor_put(c, &k, &v, 0), "position");
    }
    if (m->oi != oi0[s]) {
      MDB_val mkey = {m->len, (void *)m->id};
      v = enc2(&e, m->mark, m->oi);
      ck(mdb_put(t, d->d[MARKETS], &mkey, &v, 0), "market");
    }
  }
  mdb_cursor_close(c);
  MDB_val k = {p->alen, (void *)p->acct}, v = enc1(&e, 0);
  ck(mdb_put(t, d->d[ACCOUNTS], &k, &v, 0), "account");
  if (cash != cash0) {
    k = sval("cash");
    v = enc1(&e, cash);
    ck(mdb_put(t, d->d[FUND], &k, &v, 0), "fund cash");
  }
  if (p->bad_debt) {
    k = sval("bad_debt");
    v = enc1(&e, bad_debt);
    ck(mdb_put(t, d->d[FUND], &k, &v, 0), "bad debt");
  }
  buf b = {0};  /* the engine's deficit record (version 1, type 110), minus the policy's fields */
  u8(&b, 1);
  u8(&b, 110);
  u8(&b, (unsigned)p->dlen);
  raw(&b, p->did, p->dlen);
  id8(&b, p->acct, p->alen);
  i64(&b, p->equity);
  for (size_t s = 0; s < p->nm; s++) {
    const mkt *m = &mk[p->slot[s]];
    id8(&b, m->id, m->len);
    i64(&b, p->bsize[s]);
    i64(&b, p->bcost[s]);
    i64(&b, m->mark);
  }
  i64(&b, p->fund_draw);
  for (size_t j = 0; j < p->nc; j++) {
    id8(&b, p->id[j], p->len[j]);
    i64(&b, p->amount[j]);
  }
  i64(&b, p->bad_debt);
  unsigned char sk[8];
  put_be(sk, (int64_t)seq);
  k = (MDB_val){8, sk};
  v = (MDB_val){b.len, b.p};
  ck(mdb_put(t, d->d[JOURNAL], &k, &v, MDB_APPEND), "journal");
  free(b.p);
  k = (MDB_val){p->dlen, (void *)p->did};
  v = enc1(&e, (int64_t)seq);
  ck(mdb_put(t, d->d[DEFICITS], &k, &v, MDB_NOOVERWRITE), "deficit id");
}

uint64_t journal_last(db *d, MDB_txn *t) {
  MDB_cursor *c;
  MDB_val k, v;
  uint64_t last = 0;
  ck(mdb_cursor_open(t, d->d[JOURNAL], &c), "cursor");
  if (!mdb_cursor_get(c, &k, &v, MDB_LAST) && k.mv_size == 8) last = (uint64_t)get_be(k.mv_data);
  mdb_cursor_close(c);
  return last;
}

int64_t get_i64(db *d, MDB_txn *t, int dbi, const char *key) {
  MDB_val k = sval(key), v;
  return mdb_get(t, d->d[dbi], &k, &v) ? 0 : dec(&v, 0);
}

size_t load_markets(db *d, MDB_txn *t, mkt *mk) {
  MDB_cursor *c;
  MDB_val k, v;
  size_t n = 0;
  ck(mdb_cursor_open(t, d->d[MARKETS], &c), "cursor");
  for (int rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); !rc && n < MK_MAX; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
    mkt *m = &mk[n++];
    memset(m, 0, sizeof *m);
    m->len = k.mv_size;
    memcpy(m->id, k.mv_data, k.mv_size);
    m->mark = dec(&v, 0);
    m->oi = dec(&v, 1);
  }
  mdb_cursor_close(c);
  return n;
}

