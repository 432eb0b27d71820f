/*
 * overlay.c — a transaction's writes of accounts and positions kept in
 * memory instead of LMDB until it commits, or for a transaction that is
 * thrown away (store_cache_writes: simulate; a batch and an event, whose
 * deficits are nested transactions, and commit).
 *
 * Why.  simulate runs a whole crash in one transaction thrown away, each
 * deficit in a transaction nested in it; each haircut is a position
 * written into LMDB, which in a nested transaction first copies every page
 * it touches from the parent's dirty pages and merges them back at the
 * end.  On the 50,000-account crash those writes were 37% of the host's
 * time.  Here a write is a hash-table entry.
 *
 * What holds.  A read of an account or a position asks the overlay first:
 * a value, a deletion (a tombstone), or nothing (then LMDB).  Anything that
 * walks those two tables in key order (a cursor for reading, a walk, a
 * count, a copy, a comparison) first writes the entries LMDB does not have
 * yet into LMDB ("flush"), in the transaction then open, so the walk sees
 * every write.  An abort of a nested transaction takes back what it did to
 * the overlay from an undo log (entries it wrote, and entries it flushed,
 * whose writes into LMDB went with it), so the overlay always says what a
 * transaction without it would hold.  A commit flushes first.
 *
 * The journal.  Only the last record the transaction wrote is kept, here,
 * with its sequence (ov_journal_*): the 50,000-account crash wrote ~700 KB
 * of record per deficit into fresh LMDB overflow pages held to the end, a
 * fifth of the host's time and 1.5 GB.  Such a transaction cannot commit.
 */
#include "store_int.h"

#include "blocks.h"

enum { OV_ABSENT = 1, OV_TOMB = 2, OV_DIRTY = 4 };
#define OV_VAL_MAX CODEC_POSITION_LEN

typedef struct ov_entry {
  uint32_t hash;
  uint32_t key;  /* offset in keys */
  uint8_t db, klen, vlen, flags;
  unsigned char val[OV_VAL_MAX];
} ov_entry;

/* An entry as it was before a change (flags and value). */
typedef struct ov_undo {
  uint32_t entry;
  uint8_t flags, vlen;
  unsigned char val[OV_VAL_MAX];
} ov_undo;

struct store_overlay {
  ov_entry *e;
  size_t n, cap;
  uint32_t *slot;  /* entry index + 1; 0: empty */
  size_t nslot;    /* a power of 2, at least twice n */
  unsigned char *keys;
  size_t klen, kcap;
  ov_undo *u;
  size_t nu, cu;
  size_t dirty;    /* entries LMDB does not have yet (an upper bound) */
  size_t last;     /* the entry found or made last: where the next is looked for first */
  uint64_t flushes;
  /* the journal (ov_journal_put): the first and last sequence this
   * transaction wrote (0: none), and the last record's bytes when kept */
  uint64_t jfirst, jseq;
  unsigned char *jrec;
  size_t jlen, jcap;
  int jkept;
  int journal;  /* store_cache_journal asked: records are kept here */
};

#define JOURNAL_UNDO UINT32_MAX  /* an undo entry that is the journal's */

static uint32_t hash_of(int db, const MDB_val *k) {
  uint32_t h = 2166136261u ^ (uint32_t)db;
  const unsigned char *p = k->mv_data;
  for (size_t i = 0; i < k->mv_size; i++) h = (h ^ p[i]) * 16777619u;
  return h;
}

static const unsigned char *key_of(const store_overlay *o, const ov_entry *e) { return o->keys + e->key; }

static int is(const store_overlay *o, const ov_entry *e, int db, const MDB_val *k) {
  return e->db == db && !bytes_order(key_of(o, e), e->klen, k->mv_data, k->mv_size);
}

/* Entries looked at after the last one before the hash is asked: a crash's
 * deficits write mostly the same records in the same (key) order, so the
 * next write's entry is most often a few after the last one's, and the
 * entries and their keys are then read in the order they lie in memory
 * (through the hash, each write was three cache misses: slower than
 * LMDB's writes in key order on the 50,000-account crash). */
#define NEAR_STEPS 8

/* The entry of (db, k), or -1; *h its hash when it was needed (else 0). */
static long find(store_overlay *o, int db, const MDB_val *k, uint32_t *h) {
  for (size_t j = o->last, i = 0; i < NEAR_STEPS && j < o->n; i++, j++)
    if (is(o, &o->e[j], db, k)) return (long)(o->last = j);
  *h = hash_of(db, k);
  if (!o->nslot) return -1;
  for (size_t i = *h & (o->nslot - 1);; i = (i + 1) & (o->nslot - 1)) {
    uint32_t s = o->slot[i];
    if (!s) return -1;
    const ov_entry *e = &o->e[s - 1];
    if (e->hash == *h && is(o, e, db, k)) return (long)(o->last = s - 1);
  }
}

static int rehash(store_overlay *o, size_t nslot) {
  uint32_t *s = blocks_calloc(nslot, sizeof *s);
  if (!s) return ENOMEM;
  for (size_t j = 0; j < o->n; j++) {
    size_t i = o->e[j].hash & (nslot - 1);
    while (s[i]) i = (i + 1) & (nslot - 1);
    s[i] = (uint32_t)(j + 1);
  }
  free(o->slot);
  o->slot = s;
  o->nslot = nslot;
  return 0;
}

/* A new entry for (db, k), absent: its index, or -1 (no memory). */
static long add_entry(store_overlay *o, int db, const MDB_val *k, uint32_t h) {
  if (k->mv_size > 255 || o->n >= UINT32_MAX - 1 || o->klen + k->mv_size > UINT32_MAX) return -1;
  if ((o->n + 1) * 2 > o->nslot && rehash(o, o->nslot ? o->nslot * 2 : 1024)) return -1;
  if (o->n == o->cap) {
    size_t cap = o->cap ? o->cap * 2 : 1024;
    ov_entry *e = blocks_grow(o->e, o->n * sizeof *e, cap * sizeof *e);
    if (!e) return -1;
    o->e = e, o->cap = cap;
  }
  if (o->klen + k->mv_size > o->kcap) {
    size_t cap = o->kcap ? o->kcap * 2 : 65536;
    while (cap < o->klen + k->mv_size) cap *= 2;
    unsigned char *p = blocks_grow(o->keys, o->klen, cap);
    if (!p) return -1;
    o->keys = p, o->kcap = cap;
  }
  ov_entry *e = &o->e[o->n];
  e->hash = h;
  e->key = (uint32_t)o->klen;
  e->db = (uint8_t)db;
  e->klen = (uint8_t)k->mv_size;
  e->vlen = 0;
  e->flags = OV_ABSENT;
  memcpy(o->keys + o->klen, k->mv_data, k->mv_size);
  o->klen += k->mv_size;
  size_t i = h & (o->nslot - 1);
  while (o->slot[i]) i = (i + 1) & (o->nslot - 1);
  o->slot[i] = (uint32_t)(o->n + 1);
  o->last = o->n;
  return (long)o->n++;
}

/* The entry's state before a change, for an abort of the nested
 * transaction t (a top-level one keeps no log: its abort drops it all). */
static ov_undo *undo_slot(store_overlay *o) {
  if (o->nu == o->cu) {
    size_t cap = o->cu ? o->cu * 2 : 1024;
    ov_undo *u = blocks_grow(o->u, o->nu * sizeof *u, cap * sizeof *u);
    if (!u) return NULL;
    o->u = u, o->cu = cap;
  }
  return &o->u[o->nu++];
}

static int log_undo(const store_txn *t, store_overlay *o, size_t j) {
  if (!t->depth) return 0;
  ov_undo *u = undo_slot(o);
  if (!u) return ENOMEM;
  u->entry = (uint32_t)j;
  u->flags = o->e[j].flags;
  u->vlen = o->e[j].vlen;
  memcpy(u->val, o->e[j].val, OV_VAL_MAX);
  return 0;
}

int ov_get(store_txn *t, int db, const MDB_val *k, MDB_val *v) {
  store_overlay *o = t->ov;
  uint32_t h = 0;
  long j = find(o, db, k, &h);
  if (j < 0 || (o->e[j].flags & OV_ABSENT)) return OV_MISS;
  if (o->e[j].flags & OV_TOMB) return MDB_NOTFOUND;
  *v = val(o->e[j].val, o->e[j].vlen);
  return MDB_SUCCESS;
}

int ov_put(store_txn *t, int db, const MDB_val *k, const void *p, size_t n) {
  store_overlay *o = t->ov;
  if (n > OV_VAL_MAX) return EINVAL;
  uint32_t h = 0;
  long j = find(o, db, k, &h);
  if (j < 0 && (j = add_entry(o, db, k, h)) < 0) return ENOMEM;
  if (log_undo(t, o, (size_t)j)) return ENOMEM;
  ov_entry *e = &o->e[j];
  e->flags = (uint8_t)(OV_DIRTY | (n ? 0 : OV_TOMB));
  e->vlen = (uint8_t)n;
  if (n) memcpy(e->val, p, n);
  o->dirty++;
  return MDB_SUCCESS;
}

static _Thread_local const store_overlay *sorting;  /* qsort's context */

/* LMDB's default order (bytes, then the shorter first), table by table. */
static int cmp_entry(const void *a, const void *b) {
  const ov_entry *x = &sorting->e[*(const uint32_t *)a], *y = &sorting->e[*(const uint32_t *)b];
  if (x->db != y->db) return x->db < y->db ? -1 : 1;
  size_t n = x->klen < y->klen ? x->klen : y->klen;
  int c = memcmp(key_of(sorting, x), key_of(sorting, y), n);
  return c ? c : (x->klen > y->klen) - (x->klen < y->klen);
}

int ov_flush(store_txn *t) {
  store_overlay *o = t->ov;
  if (!o || !o->dirty) return SOCLOSS_OK;
  size_t m = 0;
  uint32_t *idx = malloc((o->n ? o->n : 1) * sizeof *idx);
  if (!idx) return err_fail(SOCLOSS_ENOMEM, "out of memory");
  for (size_t j = 0; j < o->n; j++)
    if (o->e[j].flags & OV_DIRTY) idx[m++] = (uint32_t)j;
  sorting = o;
  qsort(idx, m, sizeof *idx, cmp_entry);  /* in key order: each put near the last */
  int rc = SOCLOSS_OK;
  for (size_t i = 0; i < m && !rc; i++) {
    ov_entry *e = &o->e[idx[i]];
    MDB_val k = val(key_of(o, e), e->klen), v = val(e->val, e->vlen);
    int mrc = e->flags & OV_TOMB ? mdb_del(t->txn, t->s->dbi[e->db], &k, NULL)
                                 : mdb_put(t->txn, t->s->dbi[e->db], &k, &v, 0);
    if (mrc && !(mrc == MDB_NOTFOUND && (e->flags & OV_TOMB))) rc = mdb_fail(t, mrc, "write cached records");
    else if (log_undo(t, o, idx[i])) rc = err_fail(SOCLOSS_ENOMEM, "out of memory");
    else e->flags &= (uint8_t)~OV_DIRTY;
  }
  free(idx);
  if (!rc) o->dirty = 0;
  o->flushes++;
  return rc;
}

int ov_forget(store_txn *t) {
  store_overlay *o = t->ov;
  if (!o) return SOCLOSS_OK;
  int rc = ov_flush(t);
  for (size_t j = 0; !rc && j < o->n; j++) {
    if (o->e[j].flags & OV_ABSENT) continue;
    if (log_undo(t, o, j)) return err_fail(SOCLOSS_ENOMEM, "out of memory");
    o->e[j].flags = OV_ABSENT;
  }
  return rc;
}

size_t ov_mark(const store_txn *t) { return t->ov ? t->ov->nu : 0; }

void ov_keep(store_txn *parent, size_t mark) {
  if (parent->ov && !parent->depth) parent->ov->nu = mark;  /* nothing left that could take it back */
}

void ov_undo_to(store_txn *t, size_t mark) {
  store_overlay *o = t->ov;
  if (!o) return;
  while (o->nu > mark) {
    const ov_undo *u = &o->u[--o->nu];
    if (u->entry == JOURNAL_UNDO) {  /* the record before: its sequence, its bytes gone */
      memcpy(&o->jseq, u->val, sizeof o->jseq);
      if (o->jseq < o->jfirst) o->jseq = o->jfirst = 0;
      o->jkept = 0;
      continue;
    }
    ov_entry *e = &o->e[u->entry];
    e->flags = u->flags;
    e->vlen = u->vlen;
    memcpy(e->val, u->val, OV_VAL_MAX);
    if (e->flags & OV_DIRTY) o->dirty++;
  }
}

int ov_journal_last(const store_txn *t, uint64_t *seq) {
  if (!t->ov || !t->ov->jseq) return 0;
  *seq = t->ov->jseq;
  return 1;
}

int ov_journal_put(store_txn *t, uint64_t seq, const void *rec, size_t len) {
  store_overlay *o = t->ov;
  if (t->depth) {  /* an abort of this nested transaction goes back to the record before */
    ov_undo *u = undo_slot(o);
    if (!u) return ENOMEM;
    u->entry = JOURNAL_UNDO;
    memcpy(u->val, &o->jseq, sizeof o->jseq);
  }
  if (len > o->jcap) {
    size_t cap = len + len / 2;
    unsigned char *p = blocks_grow(o->jrec, 0, cap);  /* overwritten below */
    if (!p) {
      o->jkept = 0;
      return ENOMEM;
    }
    o->jrec = p, o->jcap = cap;
  }
  memcpy(o->jrec, rec, len);
  o->jlen = len;
  o->jkept = 1;
  if (!o->jfirst) o->jfirst = seq;
  o->jseq = seq;
  return 0;
}

int ov_journal_get(const store_txn *t, uint64_t seq, const void **rec, size_t *len) {
  const store_overlay *o = t->ov;
  if (!o || !o->jfirst || seq < o->jfirst) return OV_MISS;
  if (seq != o->jseq || !o->jkept) return MDB_NOTFOUND;
  *rec = o->jrec;
  *len = o->jlen;
  return MDB_SUCCESS;
}

int ov_journal_kept(const store_txn *t) { return t->ov && t->ov->jfirst; }

void ov_free(store_txn *t) {
  store_overlay *o = t->ov;
  t->ov = NULL;
  if (!o) return;
  free(o->jrec);
  free(o->e);
  free(o->slot);
  free(o->keys);
  free(o->u);
  free(o);
}

int store_cache_writes(store_txn *t) {
  if (t->ov) return SOCLOSS_OK;
  if (t->depth) return err_fail(SOCLOSS_EINVAL, "store_cache_writes: a nested transaction (ask at the top level)");
  if (!(t->ov = calloc(1, sizeof *t->ov))) return err_fail(SOCLOSS_ENOMEM, "out of memory");
  return SOCLOSS_OK;
}

int store_cache_journal(store_txn *t) {
  if (!t->ov) return err_fail(SOCLOSS_EINVAL, "store_cache_journal: the transaction does not cache its writes");
  t->ov->journal = 1;
  return SOCLOSS_OK;
}

int ov_journal_on(const store_txn *t) { return t->ov && t->ov->journal; }

uint64_t store_cache_flushes(const store_txn *t) { return t->ov ? t->ov->flushes : 0; }
