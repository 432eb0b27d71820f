/*
 * floor_lmdb.h — what the raw-LMDB floor's two halves share (floor_lmdb.c:
 * one deficit read inside its transaction; floor_cascade.c: a cascade from
 * columns in memory): the engine's tables, keys and value encodings
 * (store/store.c, store/codec.c) written out again here, since bench/ may
 * use LMDB but not the engine's internals; and one deficit's plan, decided
 * before anything is written, then written in key order.
 */
#ifndef SOCLOSS_FLOOR_LMDB_H
#define SOCLOSS_FLOOR_LMDB_H

#include <lmdb.h>
#include <stdint.h>
#include <string.h>

enum { META, MARKETS, ACCOUNTS, POSITIONS, FUND, JOURNAL, DEFICITS, NDB };
#define MK_MAX 256
#define ID_MAX 64

typedef struct db {
  MDB_env *env;
  MDB_dbi d[NDB];
} db;

/* ---- the engine's encodings: version byte + big-endian int64s ------------ */

static inline void put_be(unsigned char *p, int64_t v) {
  uint64_t u = (uint64_t)v;
  for (int i = 7; i >= 0; i--, u >>= 8) p[i] = (unsigned char)u;
}

static inline int64_t get_be(const unsigned char *p) {
  uint64_t u = 0;
  for (int i = 0; i < 8; i++) u = u << 8 | p[i];
  return (int64_t)u;
}

/* One or two int64 after the version byte: 9 or 17 bytes. */
typedef struct enc {
  unsigned char b[17];
} enc;

static inline MDB_val enc1(enc *e, int64_t a) {
  e->b[0] = 1;
  put_be(e->b + 1, a);
  return (MDB_val){9, e->b};
}

static inline MDB_val enc2(enc *e, int64_t a, int64_t b) {
  enc1(e, a);
  put_be(e->b + 9, b);
  return (MDB_val){17, e->b};
}

static inline int64_t dec(const MDB_val *v, int at) { return get_be((const unsigned char *)v->mv_data + 1 + 8 * at); }

/* position key: market NUL holder ("" is the fund) */
static inline MDB_val poskey(unsigned char *buf, const char *m, size_t ml, const char *h, size_t hl) {
  memcpy(buf, m, ml);
  buf[ml] = 0;
  memcpy(buf + ml + 1, h, hl);
  return (MDB_val){ml + 1 + hl, buf};
}

static inline MDB_val sval(const char *s) { return (MDB_val){strlen(s), (void *)s}; }

/* LMDB's default key order: bytes, then length. */
static inline int keycmp(const void *a, size_t al, const void *b, size_t bl) {
  int c = memcmp(a, b, al < bl ? al : bl);
  return c ? c : (al > bl) - (al < bl);
}

/* ---- one deficit's plan: what it writes, decided before any write ------- */

typedef struct mkt {
  char id[ID_MAX + 1];
  size_t len;
  int64_t mark, oi;
  int64_t fsize, fcost;  /* the fund's position */
} mkt;

typedef struct plan {
  const char *did, *acct;  /* deficit id, the bankrupt account */
  size_t dlen, alen;
  int64_t equity, fund_draw, bad_debt;
  size_t nm;                             /* the bankrupt's markets */
  int slot[MK_MAX];                      /* their index in the market list */
  int64_t bsize[MK_MAX], bcost[MK_MAX];  /* its positions there, taken over */
  /* the charged accounts, in id order: id, amount, and per deficit market
   * (slot-major, stride nc) the position before and the cost it gains */
  size_t nc;
  const char **id;
  uint32_t *len, *ci;  /* ci: the index among the candidates */
  int64_t *amount, *size, *cost, *take;
} plan;

/* Exits with a message when rc is an LMDB error. */
void ck(int rc, const char *what);
void *xcalloc(size_t n, size_t s);
/* Opens (create: creates) the ledger in dir, the env without MDB_NOSYNC
 * unless nosync (building a template). */
void open_db(db *d, const char *dir, int create, int nosync);
size_t load_markets(db *d, MDB_txn *t, mkt *mk);
uint64_t journal_last(db *d, MDB_txn *t);
int64_t get_i64(db *d, MDB_txn *t, int dbi, const char *key);
void decide(plan *p, mkt *mk, const int64_t *w, const int64_t *capv, const char **id, const uint32_t *len,
            const int64_t *size, const int64_t *cost, size_t n, size_t stride, int64_t *cash, int64_t *bad_debt);
void plan_free(plan *p);
/* The engine's fill (engine/ledger/apply.c): q lots at price traded on the
 * position (size, cost); returns what the trade realizes. */
int64_t fill(int64_t *size, int64_t *cost, int64_t q, int64_t price);
void write_plan(db *d, MDB_txn *t, const plan *p, const mkt *mk, const int64_t *oi0, int64_t cash, int64_t cash0,
                int64_t bad_debt, uint64_t seq);
/* floor_cascade.c */
void cascade(const char *dir, size_t k);

#endif
