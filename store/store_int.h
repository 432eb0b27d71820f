/*
 * store_int.h — what the two files of store/ share: the environment and
 * transaction structures, the tables, and the one mapping of LMDB's errors
 * to ours.  env.c opens, grows and closes the environment and runs the
 * transactions; tables.c reads and writes the tables.
 */
#ifndef SOCLOSS_STORE_INT_H
#define SOCLOSS_STORE_INT_H

#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <lmdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "socloss.h"

enum { DB_META, DB_MARKETS, DB_ACCOUNTS, DB_POSITIONS, DB_FUND, DB_SETTINGS, DB_JOURNAL, DB_DEFICITS,
       DB_POLICIES, DB__N };

static const char *const db_names[DB__N] __attribute__((unused)) = {"meta", "markets", "accounts", "positions", "fund",
                                            "settings", "journal", "deficits", "policies"};

/* One change noted (store_watch_*, watch.c): its keys in the notes' text. */
typedef struct watch_note {
  int kind;
  uint64_t at;          /* the write's count */
  uint64_t hint;        /* store_change.hint */
  uint32_t market, id;  /* offsets of NUL-terminated keys in keys */
  uint16_t market_len, id_len;
  int64_t a, b;
} watch_note;

typedef struct watch_log {
  int on;
  int lost;              /* the consumer must read the tables again */
  uint64_t end;          /* writes counted since the store opened: where a
                            transaction began is a position, so an abort
                            knows what it takes back */
  uint64_t last_change;  /* the count of the last account, position or
                            market write (or of what lost the view) */
  uint64_t base;         /* the last change the consumer has seen: an abort
                            to before it takes back what the consumer holds */
  uint64_t last_commit;  /* the id of this store's last committed write */
  watch_note *note;
  size_t n, cap;
  char *keys;
  size_t klen, kcap;
} watch_log;

struct store {
  MDB_env *env;
  MDB_dbi dbi[DB__N];
  uint64_t map_size, map_size_max;
  /* Readers hold it shared while their snapshot is open; changing the map
   * size (growth, or adopting another process's) holds it exclusive, as
   * LMDB requires no transaction of this process to be open then. */
  pthread_rwlock_t resize;
  log_sink log;
  char *path;      /* the ledger's directory: where a full disk is looked for */
  int disk_full;   /* an LMDB call failed for want of space */
  watch_log watch; /* what write transactions changed (watch.c) */
};

/* What a transaction knows of the end of a table that store_account_add or
 * store_position_add writes new records to, and its two cursors for them
 * (ordered.c; LMDB closes them with the transaction). */
enum { TAIL_ACCOUNTS, TAIL_POSITIONS, TAIL__N };
typedef struct store_tail {
  int known;           /* 1: key is the last key put through `end` */
  size_t len;
  unsigned char key[CODEC_POSKEY_MAX];
  MDB_cursor *end;     /* keys past that one; NULL until the first */
  MDB_cursor *mid;     /* the others; NULL until the first */
  uint64_t ends;       /* records put through `end` (tests read it) */
} store_tail;

typedef struct store_overlay store_overlay;

struct store_txn {
  store *s;
  MDB_txn *txn;
  store_overlay *ov;         /* writes of accounts and positions kept in memory (overlay.c), or NULL */
  unsigned depth;            /* 0: top level; nested in how many */
  int map_full;  /* a put hit MDB_MAP_FULL: the whole write is to be redone */
  store_tail tail[TAIL__N];  /* zero when the transaction begins */
  MDB_cursor *accounts;      /* store_account_get's (ordered.c), NULL until then */
  int rdonly;                /* a read-only transaction: env.c closes the cursor */
  uint64_t at;               /* the watch's count when it began (watch.c) */
};

/* watch.c: a write counted (every put or delete that changed a table,
 * whatever the table); one of an account, position or market noted after
 * its count; a transaction begins, commits (with the id it had), or aborts
 * (its changes taken back to where it began); a table cleared or copied
 * into. */
void watch_count(store *s);
void watch_note_write(store *s, int kind, const char *market, const char *id, int64_t a, int64_t b);
void watch_note_hinted(store *s, int kind, const char *market, const char *id, int64_t a, int64_t b, uint64_t hint);
void watch_seen(store *s);
void watch_begin(store_txn *t);
void watch_commit(store_txn *t, uint64_t id);
void watch_abort(store_txn *t);
void watch_lose(store *s);
void watch_free(store *s);

/* A new record (MDB_NOOVERWRITE: MDB_KEYEXIST, writing nothing, when k is
 * there), put through the cursor of the transaction that sits nearest. */
int tail_add(store_txn *t, int db, MDB_val *k, MDB_val *v);
/* mdb_get, through the transaction's cursor for the accounts table. */
int cursor_get(store_txn *t, int db, MDB_val *k, MDB_val *v);

/* overlay.c: (db, k) as the overlay has it: MDB_SUCCESS and *v, MDB_NOTFOUND
 * (deleted), or OV_MISS (the overlay knows nothing: ask LMDB). */
#define OV_MISS (-1)
int ov_get(store_txn *t, int db, const MDB_val *k, MDB_val *v);
/* (db, k) written as the n bytes p, or deleted (n 0); 0, or ENOMEM. */
int ov_put(store_txn *t, int db, const MDB_val *k, const void *p, size_t n);
/* Every entry LMDB does not have yet written into t's LMDB transaction:
 * before anything walks the accounts or positions in key order. */
int ov_flush(store_txn *t);
/* Flushed, then every entry forgotten (LMDB holds them): before a table is
 * cleared or copied into. */
int ov_forget(store_txn *t);
/* Where a nested transaction begins; its abort takes the overlay back there. */
size_t ov_mark(const store_txn *t);
void ov_undo_to(store_txn *t, size_t mark);
/* A nested transaction begun at mark committed into parent: when parent is
 * the top level, its log is dropped (no abort can take it back any more). */
void ov_keep(store_txn *parent, size_t mark);
void ov_free(store_txn *t);
/* The journal of a transaction that keeps it in memory
 * (store_cache_journal): only the last record it
 * wrote is kept (a simulation reads no other, and writing each of a crash's
 * records, ~700 KB a deficit, into LMDB was a fifth of its time, and 1.5
 * GB of dirty pages).  ov_journal_last: 1 and *seq when t wrote a record.
 * ov_journal_put: record seq (the caller checked it follows) kept; 0, or
 * ENOMEM.  ov_journal_get: OV_MISS (older than t's records: LMDB has it),
 * MDB_SUCCESS, or MDB_NOTFOUND (one of t's, not kept).  ov_journal_kept: 1
 * when t wrote a record LMDB does not have (such a transaction cannot
 * commit, and its journal cannot be walked). */
int ov_journal_on(const store_txn *t);  /* store_cache_journal was asked */
int ov_journal_last(const store_txn *t, uint64_t *seq);
int ov_journal_put(store_txn *t, uint64_t seq, const void *rec, size_t len);
int ov_journal_get(const store_txn *t, uint64_t seq, const void **rec, size_t *len);
int ov_journal_kept(const store_txn *t);

#define DISK_FULL "no space left on device (the disk is full)"

/* "WHAT: CAUSE" for an LMDB failure rc, a full disk said as one: LMDB returns
 * ENOSPC (or EDQUOT), or EIO for a write that came back short, which is what
 * a disk filling up midway gives (mdb_page_flush, mdb_env_init_meta); then
 * the file system has no block left for us. */
static inline int store_fail(store *s, int rc, const char *what) {
  struct statvfs vfs;
  if (rc == ENOSPC || rc == EDQUOT ||
      (rc == EIO && s->path && statvfs(s->path, &vfs) == 0 && vfs.f_bavail == 0)) {
    s->disk_full = 1;
    return err_fail(SOCLOSS_EIO, "%s: " DISK_FULL, what);
  }
  return err_fail(SOCLOSS_ESTORE, "%s: %s", what, mdb_strerror(rc));
}

/* The one mapping from LMDB's codes to ours. */
static inline int mdb_fail(store_txn *t, int rc, const char *what) {
  if (rc == MDB_MAP_FULL) {
    t->map_full = 1;
    return err_fail(SOCLOSS_EMAPFULL, "%s: ledger map is full", what);
  }
  if (rc == ENOMEM) return err_fail(SOCLOSS_ENOMEM, "%s: out of memory", what);
  return store_fail(t->s, rc, what);
}

static inline MDB_val val(const void *p, size_t n) {
  MDB_val v = {n, (void *)p};
  return v;
}

static inline MDB_val str_val(const char *s) { return val(s, strlen(s)); }

#endif
