/*
 * env.c — the ledger's LMDB environment: opening it (a new ledger, or one
 * checked for being cut short), growing the map, and running transactions.
 */
#include "store_int.h"

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

/* A scratch store: an empty ledger in a directory of its own under $TMPDIR
 * (else /tmp), for work that must not hold the ledger's writer lock (check
 * replays the journal into one).  Its files are unlinked as soon as LMDB has
 * opened them, so nothing is left behind whatever happens to the process;
 * the space they take is freed when the store is closed.  No MDB_WRITEMAP:
 * a full disk must be an error returned by a write, never SIGBUS through a
 * mapping; no durability (MDB_NOSYNC, MDB_NOLOCK: one process, one writer). */
int store_open_scratch(store **out, const store_config *cfg) {
  *out = NULL;
  const char *tmp = getenv("TMPDIR");
  char dir[4096], data[4200];
  if (!tmp || !*tmp) tmp = "/tmp";
  snprintf(dir, sizeof dir, "%s/socloss-scratch-XXXXXX", tmp);
  if (!mkdtemp(dir)) return err_fail(SOCLOSS_EIO, "cannot create a scratch directory in %s: %s", tmp, strerror(errno));
  snprintf(data, sizeof data, "%s/data.mdb", dir);
  store *s = calloc(1, sizeof *s);
  /* path: where a full disk is looked for (the directory goes at once) */
  if (!s || !(s->path = strdup(tmp))) {
    free(s);
    rmdir(dir);
    return err_fail(SOCLOSS_ENOMEM, "out of memory");
  }
  pthread_rwlock_init(&s->resize, NULL);
  s->log = cfg->log;
  s->map_size = cfg->map_size;
  s->map_size_max = cfg->map_size_max;
  int rc = mdb_env_create(&s->env);
  if (!rc) rc = mdb_env_set_maxdbs(s->env, DB__N);
  if (!rc) rc = mdb_env_set_mapsize(s->env, (size_t)s->map_size);
  if (!rc) rc = mdb_env_open(s->env, dir, MDB_NOTLS | MDB_NOSYNC | MDB_NOMETASYNC | MDB_NOLOCK, 0600);
  rc = rc ? store_fail(s, rc, "cannot open a scratch ledger") : init_dbs(s, 1);
  unlink(data);
  rmdir(dir);
  if (rc) {
    store_close(s);
    return rc;
  }
  *out = s;
  return SOCLOSS_OK;
}

void store_close(store *s) {
  if (!s) return;
  if (s->env) mdb_env_close(s->env);
  watch_free(s);
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
  if (t->rdonly && t->accounts) mdb_cursor_close(t->accounts);  /* a write transaction's goes with it */
  ov_free(t);  /* (a commit flushed it first: run_write) */
  if (commit) {
    uint64_t id = (uint64_t)mdb_txn_id(t->txn);
    *mrc = mdb_txn_commit(t->txn);
    if (!*mrc) watch_commit(t, id);
    else watch_abort(t);
  } else {
    if (!t->rdonly) watch_abort(t);
    mdb_txn_abort(t->txn);
  }
  pthread_rwlock_unlock(&t->s->resize);
}

static int begin(store *s, unsigned flags, store_txn *t) {
  t->s = s;
  t->ov = NULL;
  t->depth = 0;
  t->map_full = 0;
  memset(t->tail, 0, sizeof t->tail);
  t->accounts = NULL;
  t->rdonly = (flags & MDB_RDONLY) != 0;
  for (;;) {
    pthread_rwlock_rdlock(&s->resize);  /* held until the transaction ends */
    int rc = mdb_txn_begin(s->env, NULL, flags, &t->txn);
    if (rc == MDB_SUCCESS) {
      if (!(flags & MDB_RDONLY)) watch_begin(t);
      return SOCLOSS_OK;
    }
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
    if (!rc && keep && ov_journal_kept(&t))  /* its records are not all there to commit */
      rc = err_fail(SOCLOSS_EINVAL, "a transaction that kept its journal in memory cannot commit");
    if (!rc && keep) rc = ov_flush(&t);  /* writes kept in memory, into LMDB before the commit */
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
  /* no transaction yet, the map not full, no tail known; the watch's count */
  /* the parent's overlay too (overlay.c), which an abort takes back to here */
  store_txn child = {.s = t->s, .at = t->s->watch.end, .ov = t->ov, .depth = t->depth + 1};
  size_t mark = ov_mark(t);
  int rc = mdb_txn_begin(t->s->env, t->txn, 0, &child.txn);
  if (rc) return mdb_fail(t, rc, "begin a nested transaction");
  rc = fn(&child, ud);
  if (child.map_full) t->map_full = 1;
  if (rc) {
    watch_abort(&child);
    ov_undo_to(&child, mark);
    mdb_txn_abort(child.txn);
    return rc;
  }
  int mrc = mdb_txn_commit(child.txn);
  if (mrc) watch_abort(&child), ov_undo_to(&child, mark);  /* LMDB aborted it */
  else ov_keep(t, mark);
  return mrc ? mdb_fail(t, mrc, "commit a nested transaction") : SOCLOSS_OK;
}

uint64_t store_txn_id(const store_txn *t) { return (uint64_t)mdb_txn_id(t->txn); }

int store_read(store *s, store_fn fn, void *ud) {
  store_txn t;
  int rc = begin(s, MDB_RDONLY, &t);
  if (rc) return rc;
  rc = fn(&t, ud);
  int unused = 0;
  end(&t, 0, &unused);
  return rc;
}

