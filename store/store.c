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

static const char *const db_names[DB__N] = {"meta", "markets", "accounts", "positions", "fund",
                                            "settings", "journal", "deficits", "policies"};

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
};

struct store_txn {
  store *s;
  MDB_txn *txn;
  int map_full;  /* a put hit MDB_MAP_FULL: the whole write is to be redone */
};

#define DISK_FULL "no space left on device (the disk is full)"

/* "WHAT: CAUSE" for an LMDB failure rc, a full disk said as one: LMDB returns
 * ENOSPC (or EDQUOT), or EIO for a write that came back short, which is what
 * a disk filling up midway gives (mdb_page_flush, mdb_env_init_meta); then
 * the file system has no block left for us. */
static int store_fail(store *s, int rc, const char *what) {
  struct statvfs vfs;
  if (rc == ENOSPC || rc == EDQUOT ||
      (rc == EIO && s->path && statvfs(s->path, &vfs) == 0 && vfs.f_bavail == 0)) {
    s->disk_full = 1;
    return err_fail(SOCLOSS_EIO, "%s: " DISK_FULL, what);
  }
  return err_fail(SOCLOSS_ESTORE, "%s: %s", what, mdb_strerror(rc));
}

/* The one mapping from LMDB's codes to ours. */
static int mdb_fail(store_txn *t, int rc, const char *what) {
  if (rc == MDB_MAP_FULL) {
    t->map_full = 1;
    return err_fail(SOCLOSS_EMAPFULL, "%s: ledger map is full", what);
  }
  if (rc == ENOMEM) return err_fail(SOCLOSS_ENOMEM, "%s: out of memory", what);
  return store_fail(t->s, rc, what);
}

static MDB_val val(const void *p, size_t n) {
  MDB_val v = {n, (void *)p};
  return v;
}

static MDB_val str_val(const char *s) { return val(s, strlen(s)); }

/* ---- environment -------------------------------------------------------- */

static int init_dbs(store *s, int create) {
  MDB_txn *txn;
  int rc = mdb_txn_begin(s->env, NULL, 0, &txn);
  if (rc) return store_fail(s, rc, "cannot begin");
  for (int i = 0; i < DB__N; i++) {
    /* a ledger is recognized by its meta table; tables added since are
     * created in older ledgers as they are opened */
    rc = mdb_dbi_open(txn, db_names[i], create || i != DB_META ? MDB_CREATE : 0, &s->dbi[i]);
    if (rc == MDB_NOTFOUND) {
      mdb_txn_abort(txn);
      return err_fail(SOCLOSS_ESCHEMA, "not a socloss ledger (no '%s' table)", db_names[i]);
    }
    if (rc) {
      mdb_txn_abort(txn);
      char what[64];
      snprintf(what, sizeof what, "cannot open table '%s'", db_names[i]);
      return store_fail(s, rc, what);
    }
  }
  MDB_val k = str_val("schema"), v;
  rc = mdb_get(txn, s->dbi[DB_META], &k, &v);
  if (rc == MDB_NOTFOUND && create) {
    unsigned char enc[CODEC_I64_LEN];
    codec_i64_encode(enc, STORE_SCHEMA_VERSION);
    v = val(enc, sizeof enc);
    rc = mdb_put(txn, s->dbi[DB_META], &k, &v, 0);
    if (!rc) rc = mdb_txn_commit(txn);
    else mdb_txn_abort(txn);
    if (rc) return store_fail(s, rc, "cannot write schema");
    return SOCLOSS_OK;
  }
  int64_t version = 0;
  if (rc || codec_i64_decode(v.mv_data, v.mv_size, &version)) {
    mdb_txn_abort(txn);
    return err_fail(SOCLOSS_ESCHEMA, "not a socloss ledger (no schema version)");
  }
  /* commit, not abort: an aborted transaction closes the handles it opened */
  if ((rc = mdb_txn_commit(txn))) return store_fail(s, rc, "cannot open tables");
  if (version > STORE_SCHEMA_VERSION)
    return err_fail(SOCLOSS_ESCHEMA,
                "ledger schema %lld is newer than this socloss supports (%d)",
                (long long)version, STORE_SCHEMA_VERSION);
  if (version < 1)
    return err_fail(SOCLOSS_ESCHEMA, "ledger schema %lld is not valid", (long long)version);
  return SOCLOSS_OK;
}

/* ---- a ledger cut short ----------------------------------------------------
 * LMDB maps data.mdb and reads its pages in place: a page past the end of a
 * file cut short (a copy that stopped, a full disk, a careless truncate)
 * faults the process with SIGBUS.  So before any page is touched, the file
 * must hold LMDB's two meta pages and every page they count. */

#define TRUNCATED "data.mdb is truncated: %llu bytes, "

/* 1 when data.mdb begins like an LMDB file: a meta page, its magic after the
 * 16-byte page header (lmdb's mdb.c, MDB_page and MDB_meta, data format 1) */
static int lmdb_magic(const char *data) {
  unsigned char head[20] = {0};
  FILE *f = fopen(data, "rb");
  size_t n = f ? fread(head, 1, sizeof head, f) : 0;
  if (f) fclose(f);
  uint32_t magic;
  memcpy(&magic, head + 16, sizeof magic);
  return n == sizeof head && magic == 0xBEEFC0DEu;
}

/* After mdb_env_open, which has read the meta pages but touched no other:
 * (the last page LMDB's meta counts + 1) x the page size must be in the file,
 * for LMDB writes every page below its last and none past it. */
static int check_length(store *s, const char *path) {
  MDB_envinfo info;
  MDB_stat st;
  mdb_filehandle_t fd;
  struct stat fs;
  int rc = mdb_env_get_fd(s->env, &fd);
  if (!rc && fstat(fd, &fs)) rc = errno;
  if (rc) return err_fail(SOCLOSS_ESTORE, "%s: cannot open: %s", path, mdb_strerror(rc));
  unsigned long long size = (unsigned long long)fs.st_size;
  /* a second meta page cut inside still reads; mdb_env_info reads it in the map */
  if (!mdb_env_stat(s->env, &st) && size < 2ull * st.ms_psize)
    return err_fail(SOCLOSS_ESTORE, "%s: " TRUNCATED "less than its two meta pages", path, size);
  if ((rc = mdb_env_info(s->env, &info)) || (rc = mdb_env_stat(s->env, &st)))
    return err_fail(SOCLOSS_ESTORE, "%s: cannot open: %s", path, mdb_strerror(rc));
  unsigned long long need = ((unsigned long long)info.me_last_pgno + 1) * st.ms_psize;
  if (size < need) return err_fail(SOCLOSS_ESTORE, "%s: " TRUNCATED "its pages need %llu", path, size, need);
  return SOCLOSS_OK;
}

/* LMDB maps lock.mdb and writes into the mapping; on a full disk a page of a
 * sparse lock file cannot be allocated and that write faults the process
 * (SIGBUS).  So its pages are allocated first, where a full disk is an error
 * (ENOSPC): 8 KiB, LMDB 0.9's size for its 126 reader slots ((126 - 1) x 64
 * bytes + a 192-byte header), or the file's own size when longer, so that a
 * file other processes have mapped is never made longer.  Whatever else goes
 * wrong here is left for LMDB to tell. */
#define LOCK_FILE_SIZE 8192
static int lock_alloc(const char *lock, int *made) {
  int fd = open(lock, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  *made = fd >= 0;
  if (fd < 0) fd = open(lock, O_RDWR | O_CLOEXEC);
  if (fd < 0) return 0;
  struct stat st;
  int rc = fstat(fd, &st) ? 0 : posix_fallocate(fd, 0, st.st_size > LOCK_FILE_SIZE ? st.st_size : LOCK_FILE_SIZE);
  close(fd);
  return rc == ENOSPC || rc == EDQUOT ? rc : 0;
}

/* What store_open made of a ledger being created, to be removed if it fails. */
typedef struct made {
  int dir, data, lock;
} made;

/* The environment of a store whose path is set: the lock file's pages, then
 * LMDB's open, then the length of data.mdb. */
static int open_env(store *s, const store_config *cfg, const char *data, const char *lock, int has_data, made *m) {
  const char *path = s->path;
  struct stat st;
  if (!has_data) {  /* made here, so that it is known to be ours */
    int fd = open(data, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if ((m->data = fd >= 0)) close(fd);
  }
  int mrc = lock_alloc(lock, &m->lock);
  if (mrc) return store_fail(s, mrc, "cannot allocate lock.mdb");
  mrc = mdb_env_create(&s->env);
  if (!mrc) mrc = mdb_env_set_maxdbs(s->env, DB__N);
  if (!mrc) mrc = mdb_env_set_mapsize(s->env, (size_t)s->map_size);
  /* MDB_NOTLS: read snapshots are not tied to the thread that began them. */
  if (!mrc) mrc = mdb_env_open(s->env, path, MDB_NOTLS | (cfg->nosync ? MDB_NOSYNC : 0), 0644);
  if (mrc == MDB_INVALID && has_data && lmdb_magic(data) && stat(data, &st) == 0)
    return err_fail(SOCLOSS_ESTORE, "%s: " TRUNCATED "less than its two meta pages", path,
                    (unsigned long long)st.st_size);
  if (mrc == ENOENT) return err_fail(SOCLOSS_ENOTFOUND, "%s: cannot open: %s", path, mdb_strerror(mrc));
  if (mrc) {
    char what[4200];
    snprintf(what, sizeof what, "%s: cannot open", path);
    return store_fail(s, mrc, what);
  }
  return check_length(s, path);
}

int store_open(store **out, const char *path, const store_config *cfg) {
  *out = NULL;
  store *s = calloc(1, sizeof *s);
  if (!s || !(s->path = strdup(path))) {
    free(s);
    return err_fail(SOCLOSS_ENOMEM, "out of memory");
  }
  pthread_rwlock_init(&s->resize, NULL);
  s->log = cfg->log;
  s->map_size = cfg->map_size;
  s->map_size_max = cfg->map_size_max;

  struct stat st;
  int exists = stat(path, &st) == 0;
  char data[4096], lock[4096];
  snprintf(data, sizeof data, "%s/data.mdb", path);
  snprintf(lock, sizeof lock, "%s/lock.mdb", path);
  int has_data = exists && stat(data, &st) == 0;
  made m = {0, 0, 0};
  int rc = SOCLOSS_OK;
  if (cfg->create == STORE_OPEN_CREATE_NEW && has_data)
    rc = err_fail(SOCLOSS_EEXIST, "%s: a ledger already exists there", path);
  else if (cfg->create == STORE_OPEN_EXISTING && !has_data)
    rc = err_fail(SOCLOSS_ENOTFOUND, "%s: no ledger there (run 'socloss init' first)", path);
  else if (has_data && st.st_size == 0)  /* else LMDB would write a new, empty environment into it */
    rc = err_fail(SOCLOSS_ESTORE, "%s: " TRUNCATED "less than its two meta pages", path, 0ull);
  else if (!exists && !(m.dir = mkdir(path, 0755) == 0))
    rc = err_fail(SOCLOSS_EIO, "%s: cannot create directory: %s", path, strerror(errno));
  if (rc) {
    store_close(s);
    return rc;
  }

  rc = open_env(s, cfg, data, lock, has_data, &m);
  if (!rc) {
    /* A process that died holding a read snapshot leaves a stale slot that
     * would pin old pages forever: clear those now. */
    int dead = 0;
    mdb_reader_check(s->env, &dead);
    if (dead) log_say(&s->log, "cleared %d stale reader slot(s) of dead processes", dead);
    /* Another process may have grown the map beyond our setting: adopt it. */
    MDB_envinfo info;
    if (!mdb_env_info(s->env, &info) && info.me_mapsize > s->map_size)
      s->map_size = info.me_mapsize;
    rc = init_dbs(s, cfg->create != STORE_OPEN_EXISTING);
  }
  if (rc) {
    int creating = !has_data, full = s->disk_full;
    if (full)
      rc = err_fail(SOCLOSS_EIO, "%s: %s: " DISK_FULL, path, creating ? "cannot create the ledger" : "cannot open");
    store_close(s);
    /* a ledger being created is made in place: what this call made goes
     * again, so that no half-made ledger is left to be taken for one */
    if (creating) {
      if (m.data) unlink(data);
      if (m.lock) unlink(lock);
      if (m.dir) rmdir(path);
    }
    return rc;
  }
  *out = s;
  return SOCLOSS_OK;
}

void store_close(store *s) {
  if (!s) return;
  if (s->env) mdb_env_close(s->env);
  pthread_rwlock_destroy(&s->resize);
  free(s->path);
  free(s);
}

uint64_t store_map_size(const store *s) { return s->map_size; }

/* Called with no transaction of ours open; waits for every reader. */
static int grow(store *s) {
  pthread_rwlock_wrlock(&s->resize);
  uint64_t next = s->map_size * 2;
  int rc = SOCLOSS_OK;
  if (next > s->map_size_max || next < s->map_size)
    rc = err_fail(SOCLOSS_EMAPFULL, "ledger map is full at %llu bytes (limit %llu)",
              (unsigned long long)s->map_size, (unsigned long long)s->map_size_max);
  else if ((rc = mdb_env_set_mapsize(s->env, (size_t)next)) != 0)
    rc = store_fail(s, rc, "cannot grow the map");
  else
    s->map_size = next;
  pthread_rwlock_unlock(&s->resize);
  if (!rc) log_say(&s->log, "ledger map grown to %llu bytes; redoing the operation", (unsigned long long)next);
  return rc;
}

static void end(store_txn *t, int commit, int *mrc) {
  if (commit) *mrc = mdb_txn_commit(t->txn);
  else mdb_txn_abort(t->txn);
  pthread_rwlock_unlock(&t->s->resize);
}

static int begin(store *s, unsigned flags, store_txn *t) {
  t->s = s;
  t->map_full = 0;
  for (;;) {
    pthread_rwlock_rdlock(&s->resize);  /* held until the transaction ends */
    int rc = mdb_txn_begin(s->env, NULL, flags, &t->txn);
    if (rc == MDB_SUCCESS) return SOCLOSS_OK;
    pthread_rwlock_unlock(&s->resize);
    if (rc == MDB_MAP_RESIZED) {
      /* another process grew the map: adopt its size and begin again */
      pthread_rwlock_wrlock(&s->resize);
      mdb_env_set_mapsize(s->env, 0);
      MDB_envinfo info;
      if (!mdb_env_info(s->env, &info)) s->map_size = info.me_mapsize;
      pthread_rwlock_unlock(&s->resize);
      continue;
    }
    if (rc == MDB_READERS_FULL) {
      int dead = 0;
      mdb_reader_check(s->env, &dead);
      if (dead) continue;
    }
    return store_fail(s, rc, "cannot begin a transaction");
  }
}

static int run_write(store *s, store_fn fn, void *ud, int keep) {
  for (;;) {
    store_txn t;
    int rc = begin(s, 0, &t);
    if (rc) return rc;
    rc = fn(&t, ud);
    int mrc = 0;
    if (rc || !keep) {
      end(&t, 0, &mrc);
      if (t.map_full) {
        if ((rc = grow(s)) != SOCLOSS_OK) return rc;
        continue;
      }
      return rc;
    }
    end(&t, 1, &mrc);
    if (mrc == MDB_MAP_FULL) {
      if ((rc = grow(s)) != SOCLOSS_OK) return rc;
      continue;
    }
    if (mrc) return store_fail(s, mrc, "commit failed");
    return SOCLOSS_OK;
  }
}

int store_write(store *s, store_fn fn, void *ud) { return run_write(s, fn, ud, 1); }

int store_write_discard(store *s, store_fn fn, void *ud) { return run_write(s, fn, ud, 0); }

int store_nested(store_txn *t, store_fn fn, void *ud) {
  store_txn child = {t->s, NULL, 0};
  int rc = mdb_txn_begin(t->s->env, t->txn, 0, &child.txn);
  if (rc) return mdb_fail(t, rc, "begin a nested transaction");
  rc = fn(&child, ud);
  if (child.map_full) t->map_full = 1;
  if (rc) {
    mdb_txn_abort(child.txn);
    return rc;
  }
  int mrc = mdb_txn_commit(child.txn);
  return mrc ? mdb_fail(t, mrc, "commit a nested transaction") : SOCLOSS_OK;
}

int store_read(store *s, store_fn fn, void *ud) {
  store_txn t;
  int rc = begin(s, MDB_RDONLY, &t);
  if (rc) return rc;
  rc = fn(&t, ud);
  int unused = 0;
  end(&t, 0, &unused);
  return rc;
}

/* ---- records ------------------------------------------------------------ */

static int get(store_txn *t, int db, MDB_val k, MDB_val *v, const char *what) {
  int rc = mdb_get(t->txn, t->s->dbi[db], &k, v);
  if (rc == MDB_NOTFOUND) return SOCLOSS_ENOTFOUND;
  if (rc) return mdb_fail(t, rc, what);
  return SOCLOSS_OK;
}

static int put(store_txn *t, int db, MDB_val k, const void *p, size_t n, unsigned flags,
               const char *what) {
  MDB_val v = val(p, n);
  int rc = mdb_put(t->txn, t->s->dbi[db], &k, &v, flags);
  return rc ? mdb_fail(t, rc, what) : SOCLOSS_OK;
}

static int corrupt(const char *table, const void *key, size_t klen) {
  return err_fail(SOCLOSS_ESTORE, "corrupt %s record '%.*s'", table, (int)klen,
              (const char *)key);
}

int store_market_get(store_txn *t, const char *id, store_market *out) {
  MDB_val v;
  int rc = get(t, DB_MARKETS, str_val(id), &v, "read market");
  if (rc) return rc;
  if (codec_market_decode(v.mv_data, v.mv_size, out)) return corrupt("market", id, strlen(id));
  return SOCLOSS_OK;
}

int store_market_put(store_txn *t, const char *id, const store_market *m) {
  unsigned char enc[CODEC_MARKET_LEN];
  codec_market_encode(enc, m);
  return put(t, DB_MARKETS, str_val(id), enc, sizeof enc, 0, "write market");
}

int store_account_get(store_txn *t, const char *id, int64_t *balance) {
  MDB_val v;
  int rc = get(t, DB_ACCOUNTS, str_val(id), &v, "read account");
  if (rc) return rc;
  if (codec_i64_decode(v.mv_data, v.mv_size, balance)) return corrupt("account", id, strlen(id));
  return SOCLOSS_OK;
}

int store_account_put(store_txn *t, const char *id, int64_t balance) {
  unsigned char enc[CODEC_I64_LEN];
  codec_i64_encode(enc, balance);
  return put(t, DB_ACCOUNTS, str_val(id), enc, sizeof enc, 0, "write account");
}

int store_position_get(store_txn *t, const char *market, const char *holder,
                       store_position *out) {
  unsigned char key[CODEC_POSKEY_MAX];
  size_t klen = codec_poskey_encode(key, market, holder);
  MDB_val v;
  out->size = out->cost = 0;
  int rc = get(t, DB_POSITIONS, val(key, klen), &v, "read position");
  if (rc) return rc;
  if (codec_position_decode(v.mv_data, v.mv_size, out)) return corrupt("position", key, klen);
  return SOCLOSS_OK;
}

int store_position_put(store_txn *t, const char *market, const char *holder,
                       const store_position *pos) {
  unsigned char key[CODEC_POSKEY_MAX];
  size_t klen = codec_poskey_encode(key, market, holder);
  if (pos->size == 0) {
    MDB_val k = val(key, klen);
    int rc = mdb_del(t->txn, t->s->dbi[DB_POSITIONS], &k, NULL);
    return rc && rc != MDB_NOTFOUND ? mdb_fail(t, rc, "delete position") : SOCLOSS_OK;
  }
  unsigned char enc[CODEC_POSITION_LEN];
  codec_position_encode(enc, pos);
  return put(t, DB_POSITIONS, val(key, klen), enc, sizeof enc, 0, "write position");
}

static int get_i64(store_txn *t, int db, const char *key, int64_t *out) {
  MDB_val v;
  *out = 0;
  int rc = get(t, db, str_val(key), &v, "read total");
  if (rc == SOCLOSS_ENOTFOUND) return SOCLOSS_OK;  /* never written: zero */
  if (rc) return rc;
  if (codec_i64_decode(v.mv_data, v.mv_size, out)) return corrupt("total", key, strlen(key));
  return SOCLOSS_OK;
}

static int put_i64(store_txn *t, int db, const char *key, int64_t x) {
  unsigned char enc[CODEC_I64_LEN];
  codec_i64_encode(enc, x);
  return put(t, db, str_val(key), enc, sizeof enc, 0, "write total");
}

int store_totals_get(store_txn *t, store_totals *out) {
  int rc = get_i64(t, DB_FUND, "cash", &out->fund_cash);
  if (!rc) rc = get_i64(t, DB_FUND, "bad_debt", &out->bad_debt);
  if (!rc) rc = get_i64(t, DB_META, "net_flows", &out->net_flows);
  return rc;
}

int store_totals_put(store_txn *t, const store_totals *in) {
  int rc = put_i64(t, DB_FUND, "cash", in->fund_cash);
  if (!rc) rc = put_i64(t, DB_FUND, "bad_debt", in->bad_debt);
  if (!rc) rc = put_i64(t, DB_META, "net_flows", in->net_flows);
  return rc;
}

/* ---- journal ------------------------------------------------------------ */

uint64_t store_journal_last(store_txn *t) {
  MDB_cursor *c;
  MDB_val k, v;
  uint64_t last = 0;
  if (mdb_cursor_open(t->txn, t->s->dbi[DB_JOURNAL], &c)) return 0;
  if (!mdb_cursor_get(c, &k, &v, MDB_LAST) && k.mv_size == 8) last = codec_get_u64(k.mv_data);
  mdb_cursor_close(c);
  return last;
}

int store_journal_put(store_txn *t, uint64_t seq, const void *rec, size_t len) {
  unsigned char key[8];
  codec_put_u64(key, seq);
  /* MDB_APPEND: keys only grow, so LMDB skips the tree search; a seq that
   * does not follow the last one is refused (MDB_KEYEXIST). */
  int rc = mdb_put(t->txn, t->s->dbi[DB_JOURNAL], &(MDB_val){8, key},
                   &(MDB_val){len, (void *)rec}, MDB_APPEND);
  if (rc == MDB_KEYEXIST)
    return err_fail(SOCLOSS_ESTORE, "journal: sequence %llu does not follow the last record",
                (unsigned long long)seq);
  return rc ? mdb_fail(t, rc, "append journal") : SOCLOSS_OK;
}

int store_journal_get(store_txn *t, uint64_t seq, const void **rec, size_t *len) {
  unsigned char key[8];
  MDB_val v;
  codec_put_u64(key, seq);
  int rc = get(t, DB_JOURNAL, val(key, 8), &v, "read journal");
  if (rc) return rc;
  *rec = v.mv_data;
  *len = v.mv_size;
  return SOCLOSS_OK;
}

/* ---- walks -------------------------------------------------------------- */

typedef int (*visit_fn)(store_txn *t, void *ud, MDB_val *k, MDB_val *v);

static int walk(store_txn *t, int db, MDB_val *start, const void *prefix, size_t plen,
                visit_fn visit, void *ud) {
  MDB_cursor *c;
  int rc = mdb_cursor_open(t->txn, t->s->dbi[db], &c);
  if (rc) return mdb_fail(t, rc, "open cursor");
  MDB_val k = start ? *start : val(NULL, 0), v;
  int mrc = mdb_cursor_get(c, &k, &v, start ? MDB_SET_RANGE : MDB_FIRST);
  rc = SOCLOSS_OK;
  for (; mrc == 0; mrc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
    if (plen && (k.mv_size < plen || memcmp(k.mv_data, prefix, plen) != 0)) break;
    if ((rc = visit(t, ud, &k, &v)) != 0) break;
  }
  if (!rc && mrc && mrc != MDB_NOTFOUND) rc = mdb_fail(t, mrc, "walk");
  mdb_cursor_close(c);
  return rc;
}

struct walk_ctx {
  store_policy_cb blob;
  store_deficit_cb deficit;
  store_market_cb market;
  store_account_cb account;
  store_position_cb position;
  store_record_cb record;
  void *ud;
};

static int key_id(const char *table, MDB_val *k, char out[CODEC_ID_MAX + 1]) {
  if (k->mv_size == 0 || k->mv_size > CODEC_ID_MAX)
    return corrupt(table, k->mv_data, k->mv_size > CODEC_ID_MAX ? CODEC_ID_MAX : k->mv_size);
  memcpy(out, k->mv_data, k->mv_size);
  out[k->mv_size] = 0;
  return SOCLOSS_OK;
}

static int visit_market(store_txn *t, void *ud, MDB_val *k, MDB_val *v) {
  (void)t;
  struct walk_ctx *w = ud;
  char id[CODEC_ID_MAX + 1];
  store_market m;
  int rc = key_id("market", k, id);
  if (rc) return rc;
  if (codec_market_decode(v->mv_data, v->mv_size, &m)) return corrupt("market", id, strlen(id));
  return w->market(w->ud, id, &m);
}

int store_each_market(store_txn *t, store_market_cb cb, void *ud) {
  struct walk_ctx w = {.market = cb, .ud = ud};
  return walk(t, DB_MARKETS, NULL, NULL, 0, visit_market, &w);
}

static int visit_account(store_txn *t, void *ud, MDB_val *k, MDB_val *v) {
  (void)t;
  struct walk_ctx *w = ud;
  char id[CODEC_ID_MAX + 1];
  int64_t balance;
  int rc = key_id("account", k, id);
  if (rc) return rc;
  if (codec_i64_decode(v->mv_data, v->mv_size, &balance)) return corrupt("account", id, strlen(id));
  return w->account(w->ud, id, balance);
}

int store_each_account(store_txn *t, store_account_cb cb, void *ud) {
  struct walk_ctx w = {.account = cb, .ud = ud};
  return walk(t, DB_ACCOUNTS, NULL, NULL, 0, visit_account, &w);
}

static int visit_position(store_txn *t, void *ud, MDB_val *k, MDB_val *v) {
  (void)t;
  struct walk_ctx *w = ud;
  char market[CODEC_ID_MAX + 1], holder[CODEC_ID_MAX + 1];
  store_position pos;
  if (codec_poskey_decode(k->mv_data, k->mv_size, market, holder) ||
      codec_position_decode(v->mv_data, v->mv_size, &pos))
    return corrupt("position", k->mv_data, k->mv_size);
  return w->position(w->ud, market, holder, &pos);
}

int store_each_position(store_txn *t, const char *market, store_position_cb cb, void *ud) {
  struct walk_ctx w = {.position = cb, .ud = ud};
  if (!market) return walk(t, DB_POSITIONS, NULL, NULL, 0, visit_position, &w);
  unsigned char prefix[CODEC_POSKEY_MAX];
  size_t plen = codec_poskey_encode(prefix, market, "");
  MDB_val start = val(prefix, plen);
  return walk(t, DB_POSITIONS, &start, prefix, plen, visit_position, &w);
}

static int visit_record(store_txn *t, void *ud, MDB_val *k, MDB_val *v) {
  (void)t;
  struct walk_ctx *w = ud;
  if (k->mv_size != 8) return corrupt("journal", "?", 1);
  return w->record(w->ud, codec_get_u64(k->mv_data), v->mv_data, v->mv_size);
}

int store_each_record(store_txn *t, uint64_t from, store_record_cb cb, void *ud) {
  struct walk_ctx w = {.record = cb, .ud = ud};
  unsigned char key[8];
  codec_put_u64(key, from);
  MDB_val start = val(key, 8);
  return walk(t, DB_JOURNAL, &start, NULL, 0, visit_record, &w);
}

int store_counts(store_txn *t, size_t *markets, size_t *accounts, size_t *positions) {
  static const int dbs[] = {DB_MARKETS, DB_ACCOUNTS, DB_POSITIONS};
  size_t *out[] = {markets, accounts, positions};
  for (int i = 0; i < 3; i++) {
    MDB_stat st;
    int rc = mdb_stat(t->txn, t->s->dbi[dbs[i]], &st);
    if (rc) return mdb_fail(t, rc, "count");
    *out[i] = st.ms_entries;
  }
  return SOCLOSS_OK;
}

int store_clear_state(store_txn *t) {
  static const int state[] = {DB_MARKETS, DB_ACCOUNTS, DB_POSITIONS, DB_FUND, DB_DEFICITS};
  for (size_t i = 0; i < sizeof state / sizeof state[0]; i++) {
    int rc = mdb_drop(t->txn, t->s->dbi[state[i]], 0);
    if (rc) return mdb_fail(t, rc, "clear state");
  }
  MDB_val k = str_val("net_flows");
  int rc = mdb_del(t->txn, t->s->dbi[DB_META], &k, NULL);
  return rc && rc != MDB_NOTFOUND ? mdb_fail(t, rc, "clear state") : SOCLOSS_OK;
}

/* ---- deficits and settings ---------------------------------------------- */

int store_deficit_get(store_txn *t, const char *id, size_t len, uint64_t *seq) {
  MDB_val v;
  int rc = get(t, DB_DEFICITS, val(id, len), &v, "read deficit");
  if (rc) return rc;
  int64_t s;
  if (codec_i64_decode(v.mv_data, v.mv_size, &s)) return corrupt("deficit", id, len);
  *seq = (uint64_t)s;
  return SOCLOSS_OK;
}

int store_deficit_put(store_txn *t, const char *id, size_t len, uint64_t seq) {
  unsigned char enc[CODEC_I64_LEN];
  codec_i64_encode(enc, (int64_t)seq);
  return put(t, DB_DEFICITS, val(id, len), enc, sizeof enc, 0, "write deficit");
}

static int visit_deficit(store_txn *t, void *ud, MDB_val *k, MDB_val *v) {
  (void)t;
  struct walk_ctx *w = ud;
  int64_t seq;
  if (codec_i64_decode(v->mv_data, v->mv_size, &seq)) return corrupt("deficit", k->mv_data, k->mv_size);
  return w->deficit(w->ud, k->mv_data, k->mv_size, (uint64_t)seq);
}

int store_each_deficit(store_txn *t, store_deficit_cb cb, void *ud) {
  struct walk_ctx w = {.deficit = cb, .ud = ud};
  return walk(t, DB_DEFICITS, NULL, NULL, 0, visit_deficit, &w);
}

int store_setting_get(store_txn *t, const char *key, const void **p, size_t *len) {
  MDB_val v;
  int rc = get(t, DB_SETTINGS, str_val(key), &v, "read setting");
  if (rc) return rc;
  *p = v.mv_data;
  *len = v.mv_size;
  return SOCLOSS_OK;
}

int store_setting_put(store_txn *t, const char *key, const void *p, size_t len) {
  if (!p) {
    MDB_val k = str_val(key);
    int rc = mdb_del(t->txn, t->s->dbi[DB_SETTINGS], &k, NULL);
    return rc && rc != MDB_NOTFOUND ? mdb_fail(t, rc, "delete setting") : SOCLOSS_OK;
  }
  return put(t, DB_SETTINGS, str_val(key), p, len, 0, "write setting");
}

/* ---- cursors ------------------------------------------------------------ */

struct store_cursor {
  store_txn *t;
  MDB_cursor *c;
  int started, done;
  unsigned char prefix[CODEC_POSKEY_MAX];
  size_t plen;   /* 0: the accounts table */
};

static int cursor_open(store_txn *t, int db, store_cursor **out) {
  store_cursor *c = calloc(1, sizeof *c);
  if (!c) return err_fail(SOCLOSS_ENOMEM, "out of memory");
  int rc = mdb_cursor_open(t->txn, t->s->dbi[db], &c->c);
  if (rc) {
    free(c);
    return mdb_fail(t, rc, "open cursor");
  }
  c->t = t;
  *out = c;
  return SOCLOSS_OK;
}

int store_cursor_accounts(store_txn *t, store_cursor **out) { return cursor_open(t, DB_ACCOUNTS, out); }

int store_cursor_positions(store_txn *t, const char *market, store_cursor **out) {
  int rc = cursor_open(t, DB_POSITIONS, out);
  if (!rc) (*out)->plen = codec_poskey_encode((*out)->prefix, market, "");
  return rc;
}

static int cursor_step(store_cursor *c, MDB_val *k, MDB_val *v) {
  if (c->done) return SOCLOSS_ENOTFOUND;
  int rc;
  if (!c->started) {
    c->started = 1;
    if (c->plen) {
      *k = val(c->prefix, c->plen);
      rc = mdb_cursor_get(c->c, k, v, MDB_SET_RANGE);
    } else {
      rc = mdb_cursor_get(c->c, k, v, MDB_FIRST);
    }
  } else {
    rc = mdb_cursor_get(c->c, k, v, MDB_NEXT);
  }
  if (rc == MDB_NOTFOUND || (!rc && c->plen && (k->mv_size < c->plen || memcmp(k->mv_data, c->prefix, c->plen)))) {
    c->done = 1;
    return SOCLOSS_ENOTFOUND;
  }
  return rc ? mdb_fail(c->t, rc, "cursor") : SOCLOSS_OK;
}

int store_next_account(store_cursor *c, char id[CODEC_ID_MAX + 1], int64_t *balance) {
  MDB_val k, v;
  int rc = cursor_step(c, &k, &v);
  if (rc) return rc;
  if ((rc = key_id("account", &k, id))) return rc;
  if (codec_i64_decode(v.mv_data, v.mv_size, balance)) return corrupt("account", id, strlen(id));
  return SOCLOSS_OK;
}

int store_next_position(store_cursor *c, char holder[CODEC_ID_MAX + 1], store_position *pos) {
  MDB_val k, v;
  int rc = cursor_step(c, &k, &v);
  if (rc) return rc;
  size_t h = k.mv_size - c->plen;
  if (h > CODEC_ID_MAX || codec_position_decode(v.mv_data, v.mv_size, pos))
    return corrupt("position", k.mv_data, k.mv_size);
  memcpy(holder, (const char *)k.mv_data + c->plen, h);
  holder[h] = 0;
  return SOCLOSS_OK;
}

void store_cursor_close(store_cursor *c) {
  if (!c) return;
  mdb_cursor_close(c->c);
  free(c);
}

/* ---- the policy registry ------------------------------------------------ */

int store_policy_put(store_txn *t, const unsigned char hash[32], const void *rec, size_t len) {
  return put(t, DB_POLICIES, val(hash, 32), rec, len, 0, "write policy");
}

int store_policy_get(store_txn *t, const unsigned char hash[32], const void **rec, size_t *len) {
  MDB_val v;
  int rc = get(t, DB_POLICIES, val(hash, 32), &v, "read policy");
  if (rc) return rc;
  *rec = v.mv_data;
  *len = v.mv_size;
  return SOCLOSS_OK;
}

static int visit_policy(store_txn *t, void *ud, MDB_val *k, MDB_val *v) {
  (void)t;
  struct walk_ctx *w = ud;
  if (k->mv_size != 32) return corrupt("policy", "?", 1);
  return w->blob(w->ud, k->mv_data, v->mv_data, v->mv_size);
}

int store_each_policy(store_txn *t, store_policy_cb cb, void *ud) {
  struct walk_ctx w = {.blob = cb, .ud = ud};
  return walk(t, DB_POLICIES, NULL, NULL, 0, visit_policy, &w);
}
