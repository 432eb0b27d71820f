/*
 * check.c — the invariants (docs/design.md §4) and the state digest.
 *
 * The check reads one snapshot of the ledger (a read transaction: writers
 * go on while it runs), and replays that snapshot's journal, through the
 * same code that wrote it, into an empty scratch ledger (store_open_scratch)
 * whose state must be the snapshot's, record for record
 * (store_same_state).  Nothing is written to the ledger and the scratch
 * ledger leaves nothing behind.
 */
#include <openssl/evp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"

/* ---- digest ------------------------------------------------------------- */

/* The canonical byte stream is hashed through a buffer: a million positions
 * are three million pieces of 1 to 255 bytes, and one EVP_DigestUpdate per
 * piece cost more than the hashing. */
typedef struct digest {
  EVP_MD_CTX *md;
  size_t n;
  unsigned char buf[8192];
} digest;

/* The pieces are ids and integers, mostly 8 to 12 bytes: copied 8 bytes at
 * a time and then byte by byte.  (gcc expands the memcpy of a length it
 * knows to be below 8 KiB into `rep movsq`, whose start-up cost more than
 * the copy: 40% of the digest's samples.) */
static void dg_copy(unsigned char *dst, const unsigned char *src, size_t len) {
  for (; len >= 8; len -= 8, dst += 8, src += 8) memcpy(dst, src, 8);
  for (; len; len--) *dst++ = *src++;
}

static void dg_bytes(digest *d, const void *p, size_t len) {
  if (d->n + len > sizeof d->buf) {
    EVP_DigestUpdate(d->md, d->buf, d->n);
    d->n = 0;
    if (len > sizeof d->buf) {
      EVP_DigestUpdate(d->md, p, len);
      return;
    }
  }
  dg_copy(d->buf + d->n, p, len);
  d->n += len;
}

static void dg_str(digest *d, const char *s) {
  unsigned char n = (unsigned char)strlen(s);
  dg_bytes(d, &n, 1);
  dg_bytes(d, s, n);
}

static void dg_i64(digest *d, int64_t v) {
  unsigned char b[8];
  codec_put_u64(b, (uint64_t)v);
  dg_bytes(d, b, 8);
}

static int dg_market(void *ud, const char *id, const store_market *m) {
  dg_str(ud, id);
  dg_i64(ud, m->mark);
  dg_i64(ud, m->open_interest);
  return 0;
}

static int dg_account(void *ud, const char *id, int64_t balance) {
  dg_str(ud, id);
  dg_i64(ud, balance);
  return 0;
}

static int dg_position(void *ud, const char *market, const char *holder, const store_position *p) {
  dg_str(ud, market);
  dg_str(ud, holder);
  dg_i64(ud, p->size);
  dg_i64(ud, p->cost);
  return 0;
}

static int dg_deficit(void *ud, const char *id, size_t len, uint64_t seq) {
  digest *d = ud;
  unsigned char n = (unsigned char)len, b[8];
  dg_bytes(d, &n, 1);
  dg_bytes(d, id, len);
  codec_put_u64(b, seq);
  dg_bytes(d, b, 8);
  return 0;
}

static int state_digest(store_txn *t, unsigned char out[32]) {
  digest d = {EVP_MD_CTX_new(), 0, {0}};
  store_totals tot;
  if (!d.md || !EVP_DigestInit_ex(d.md, EVP_sha256(), NULL)) {
    EVP_MD_CTX_free(d.md);
    return err_fail(SOCLOSS_ENOMEM, "digest: cannot start SHA-256");
  }
  /* a tag before each table keeps the tables apart in the hash */
  int rc = SOCLOSS_OK;
  dg_str(&d, "markets");
  if (!rc) rc = store_each_market(t, dg_market, &d);
  dg_str(&d, "accounts");
  if (!rc) rc = store_each_account(t, dg_account, &d);
  dg_str(&d, "positions");
  if (!rc) rc = store_each_position(t, NULL, dg_position, &d);
  dg_str(&d, "deficits");
  if (!rc) rc = store_each_deficit(t, dg_deficit, &d);
  if (!rc) rc = store_totals_get(t, &tot);
  if (!rc) {
    dg_str(&d, "totals");
    dg_i64(&d, tot.fund_cash);
    dg_i64(&d, tot.bad_debt);
    dg_i64(&d, tot.net_flows);
  }
  unsigned len = 32;
  if (!rc && (!EVP_DigestUpdate(d.md, d.buf, d.n) || !EVP_DigestFinal_ex(d.md, out, &len)))
    rc = err_fail(SOCLOSS_ENOMEM, "digest failed");
  EVP_MD_CTX_free(d.md);
  return rc;
}

struct digest_read {
  socloss *led;
  unsigned char *out;
};

static int read_digest(store_txn *t, void *ud) {
  struct digest_read *r = ud;
  return state_digest(t, r->out);
}

int state_digest_run(socloss *led, unsigned char out[32]) {
  struct digest_read r = {led, out};
  return store_read(led->st, read_digest, &r);
}

/* ---- sizes, open interest and conservation ------------------------------ */

typedef struct scan {
  socloss *led;
  store_txn *t;
  socloss_check_report *rep;
  char failure[512];       /* the first failure found */
  /* the market being summed */
  char market[CODEC_ID_MAX + 1];
  store_market m;
  __int128 net, longs;
  __int128 equity;         /* sum of every holder's equity */
  __int128 seen_oi, all_oi;
} scan;

static void failed(scan *s, int *flag, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void failed(scan *s, int *flag, const char *fmt, ...) {
  *flag = 0;
  if (s->failure[0]) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(s->failure, sizeof s->failure, fmt, ap);
  va_end(ap);
}

static void close_market(scan *s) {
  if (!s->market[0]) return;
  if (s->net != 0)
    failed(s, &s->rep->sizes_net_zero, "sizes in market '%s' sum to %lld, not 0", s->market,
           (long long)s->net);
  if (s->longs != s->m.open_interest)
    failed(s, &s->rep->open_interest_ok, "open interest of market '%s' is %lld, positions say %lld",
           s->market, (long long)s->m.open_interest, (long long)s->longs);
  s->market[0] = 0;
}

static int scan_position(void *ud, const char *market, const char *holder, const store_position *p) {
  scan *s = ud;
  if (strcmp(market, s->market) != 0) {
    close_market(s);
    int rc = store_market_get(s->t, market, &s->m);
    if (rc == SOCLOSS_ENOTFOUND) {
      failed(s, &s->rep->sizes_net_zero, "a position of '%s' names unknown market '%s'", holder, market);
      s->m.mark = s->m.open_interest = 0;
    } else if (rc) {
      return rc;
    }
    memcpy(s->market, market, strlen(market) + 1);
    s->net = s->longs = 0;
    s->seen_oi += s->m.open_interest;
  }
  int64_t balance;
  if (*holder && store_account_get(s->t, holder, &balance) != SOCLOSS_OK)
    failed(s, &s->rep->sizes_net_zero, "market '%s' has a position of unknown account '%s'", market, holder);
  if (p->size == 0)
    failed(s, &s->rep->sizes_net_zero, "position of '%s' in '%s' has size 0", holder, market);
  s->net += p->size;
  if (p->size > 0) s->longs += p->size;
  s->equity += (__int128)p->size * s->m.mark - p->cost;
  return SOCLOSS_OK;
}

static int scan_account(void *ud, const char *id, int64_t balance) {
  (void)id;
  ((scan *)ud)->equity += balance;
  return SOCLOSS_OK;
}

/* Markets without positions were not met by the position scan: their open
 * interest must be zero, so the open interests of all markets must add up
 * to those of the markets met. */
static int sum_open_interest(void *ud, const char *id, const store_market *m) {
  (void)id;
  ((scan *)ud)->all_oi += m->open_interest;
  return SOCLOSS_OK;
}

/* ---- journal contiguity and replay -------------------------------------- */

/* Failures of the machine, not of the ledger: returned as they are, where
 * a record the replay refuses is a finding of the check. */
static int resource_error(int rc) {
  return rc == SOCLOSS_EMAPFULL || rc == SOCLOSS_ENOMEM || rc == SOCLOSS_ESTORE || rc == SOCLOSS_EIO;
}

typedef struct replay {
  scan *s;
  applier a;
  uint64_t expect;
  int rc;
  int64_t fund_cap;  /* the cap in force, for records of rules 1 */
  _Atomic uint64_t *done;  /* records replayed, for the progress callback */
  _Atomic int *stop;       /* set when the callback asks to stop */
} replay;

static int check_record(void *ud, uint64_t seq, const void *rec, size_t len) {
  replay *r = ud;
  socloss_event e;
  record_ids ids;
  if (seq != r->expect) {
    failed(r->s, &r->s->rep->journal_contiguous, "journal jumps from record %llu to %llu",
           (unsigned long long)(r->expect - 1), (unsigned long long)seq);
    r->expect = seq;
  }
  r->expect++;
  r->s->rep->records++;
  int type = record_type(rec, len);
  deficit_rec d;
  int bad = 0;
  if (type == EV_DEFICIT) {
    bad = deficit_decode(rec, len, &d) != 0;
    if (!bad) deficit_rec_free(&d);
  } else if (type == EV_EVENT_JOINT) {
    joint_rec j;
    bad = joint_decode(rec, len, &j) != 0;
    if (!bad) joint_rec_free(&j);
  } else if (record_is_aux(type)) {
    char *j = aux_record_json(seq, rec, len);
    bad = j == NULL;
    free(j);
  } else {
    bad = record_decode(rec, len, &e, &ids) != 0;
  }
  if (bad) {
    failed(r->s, &r->s->rep->journal_contiguous, "journal record %llu is corrupt",
           (unsigned long long)seq);
    return SOCLOSS_OK;
  }
  return SOCLOSS_OK;
}

static int replay_record(void *ud, uint64_t seq, const void *rec, size_t len) {
  replay *r = ud;
  if (r->stop && atomic_load_explicit(r->stop, memory_order_relaxed))
    return err_fail(SOCLOSS_ESTOP, "check stopped by the progress callback");
  if (r->done) atomic_store_explicit(r->done, seq, memory_order_relaxed);
  socloss_event e;
  record_ids ids;
  deficit_rec d;
  int rc, type = record_type(rec, len);
  int64_t lim[4];
  if (type == EV_LIMITS && !record_limits_decode(rec, len, lim)) r->fund_cap = lim[3];
  if (record_is_aux(type)) return SOCLOSS_OK;  /* no state */
  if (type == EV_DEFICIT || type == EV_EVENT_JOINT) {
    /* the resolution reads the state: the applier's pending markets first */
    if ((rc = applier_flush(&r->a))) return rc;
  }
  if (type == EV_DEFICIT) {
    if (deficit_decode(rec, len, &d)) return SOCLOSS_OK;  /* reported above */
    rc = deficit_replay(&r->a, &d, seq, r->fund_cap);
    deficit_rec_free(&d);
  } else if (type == EV_EVENT_JOINT) {
    joint_rec j;
    if (joint_decode(rec, len, &j)) return SOCLOSS_OK;  /* reported above */
    rc = joint_replay(&r->a, &j, seq);
    joint_rec_free(&j);
  } else {
    if (record_decode(rec, len, &e, &ids)) return SOCLOSS_OK;
    rc = applier_apply(&r->a, &e);
  }
  if (rc && !resource_error(rc))
    failed(r->s, &r->s->rep->replay_matches, "replay refuses journal record %llu: %s",
           (unsigned long long)seq, ERRBUF);
  return rc;
  return SOCLOSS_OK;
}

/* ---- the replay, beside the scan ------------------------------------------
 * The journal is replayed by a second thread while the caller's thread
 * digests and scans the state: the two halves take about as long, and
 * neither writes the ledger.  The second thread opens its own read
 * transaction (LMDB's are not to be shared between threads) and goes on only
 * if it sees the caller's snapshot; when a writer committed in between, the
 * replay runs after the scan on the caller's transaction instead.  Either
 * way it replays one snapshot's journal and compares with that snapshot. */

enum { OTHER_SNAPSHOT = 1000 };  /* internal: not a socloss code */

typedef struct replayer {
  socloss *led;
  uint64_t snapshot;       /* the id of the caller's snapshot */
  scan s;                  /* the replay's own failure (merged after) */
  socloss_check_report rep;
  replay r;
  int rc;                  /* SOCLOSS_OK, an error (message in msg), OTHER_SNAPSHOT */
  char msg[ERRMSG_MAX];
  int same;                /* the replay's state is the snapshot's */
  _Atomic uint64_t done;
  _Atomic int stop;
  pthread_mutex_t mu;      /* finished, under mu, signalled on cv */
  pthread_cond_t cv;
  int finished;
} replayer;

/* The snapshot's journal replayed into the scratch ledger's transaction t
 * (run again from the start when the scratch map grows), and its state
 * compared with the snapshot's.  Compared, not digested: the snapshot's
 * digest is the other thread's, and a digest of the scratch ledger would
 * decode, encode and hash every record again (a fifth of this thread's
 * time on 1M positions), where the comparison walks both ledgers once. */
static int replay_into(store_txn *t, void *ud) {
  replay *r = ((void **)ud)[0];
  store_txn *snapshot = ((void **)ud)[1];
  int *same = ((void **)ud)[2];
  r->fund_cap = 0;
  r->s->failure[0] = 0;
  int rc = applier_start(&r->a, r->s->led, t, 0);
  if (rc) return rc;
  rc = store_each_record(snapshot, 1, replay_record, r);
  if (!rc) rc = applier_finish(&r->a);
  applier_end(&r->a);
  return rc ? rc : store_same_state(snapshot, t, same);
}

/* Replays snapshot's journal from empty into a scratch ledger: the
 * snapshot stays as it is and the ledger's writers are not held up. */
static int replay_journal(replayer *p, store_txn *snapshot) {
  store *scratch;
  int rc = audit_scratch(p->led, &scratch);
  if (rc) return rc;
  void *args[3] = {&p->r, snapshot, &p->same};
  rc = store_write_discard(scratch, replay_into, args);
  store_close(scratch);
  return rc;
}

static int replay_same_snapshot(store_txn *t, void *ud) {
  replayer *p = ud;
  return store_txn_id(t) == p->snapshot ? replay_journal(p, t) : OTHER_SNAPSHOT;
}

static void *replay_thread(void *ud) {
  replayer *p = ud;
  int rc = store_read(p->led->st, replay_same_snapshot, p);
  if (rc && rc != OTHER_SNAPSHOT) snprintf(p->msg, sizeof p->msg, "%s", ERRBUF);
  pthread_mutex_lock(&p->mu);
  p->rc = rc;
  p->finished = 1;
  pthread_cond_signal(&p->cv);
  pthread_mutex_unlock(&p->mu);
  return NULL;
}

static void replayer_init(replayer *p, socloss *led, uint64_t snapshot) {
  memset(p, 0, sizeof *p);
  p->led = led;
  p->snapshot = snapshot;
  p->s.led = led;
  p->s.rep = &p->rep;
  p->rep.replay_matches = 1;
  p->r.s = &p->s;
  p->r.done = &p->done;
  p->r.stop = &p->stop;
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->cv, NULL);
}

/* Waits for the replay thread, telling the progress callback how far it has
 * gone about every 100 ms; a callback that asks to stop stops the replay. */
static void replayer_wait(replayer *p, pthread_t th, const socloss_progress *pg, uint64_t records) {
  pthread_mutex_lock(&p->mu);
  while (!p->finished) {
    struct timespec at;
    clock_gettime(CLOCK_REALTIME, &at);
    at.tv_nsec += 100 * 1000 * 1000;
    if (at.tv_nsec >= 1000000000L) {
      at.tv_sec++;
      at.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&p->cv, &p->mu, &at);
    if (!p->finished && pg && pg->fn && pg->fn(pg->ud, "replay", atomic_load(&p->done), records))
      atomic_store(&p->stop, 1);
  }
  pthread_mutex_unlock(&p->mu);
  pthread_join(th, NULL);
}

/* Every 64k positions of the scan, the callback hears how far it is. */
typedef struct scan_progress {
  scan *s;
  const socloss_progress *pg;
  uint64_t n, total;
  int stopped;
} scan_progress;

static int scan_position_told(void *ud, const char *market, const char *holder, const store_position *p) {
  scan_progress *sp = ud;
  if ((++sp->n & 0xffff) == 0 && sp->pg->fn(sp->pg->ud, "state", sp->n, sp->total)) {
    sp->stopped = 1;
    return err_fail(SOCLOSS_ESTOP, "check stopped by the progress callback");
  }
  return scan_position(sp->s, market, holder, p);
}

typedef struct check_call {
  scan *s;
  const socloss_progress *pg;
  int threads;
} check_call;

static int run_check(store_txn *t, void *ud) {
  check_call *cc = ud;
  scan *s = cc->s;
  const socloss_progress *pg = cc->pg && cc->pg->fn ? cc->pg : NULL;
  socloss_check_report *rep = s->rep;
  store_totals tot;
  s->t = t;
  s->failure[0] = 0;
  s->market[0] = 0;
  s->equity = s->seen_oi = s->all_oi = 0;
  rep->sizes_net_zero = rep->open_interest_ok = rep->conservation = 1;
  rep->journal_contiguous = rep->replay_matches = 1;
  rep->records = 0;

  replayer *p = malloc(sizeof *p);
  if (!p) return err_fail(SOCLOSS_ENOMEM, "out of memory");
  replayer_init(p, s->led, store_txn_id(t));
  pthread_t th;
  int threaded = cc->threads > 1 && pthread_create(&th, NULL, replay_thread, p) == 0;

  size_t nm = 0, na = 0, npos = 0;
  scan_progress sp = {s, pg, 0, 0, 0};
  int rc = pg ? store_counts(t, &nm, &na, &npos) : SOCLOSS_OK;
  sp.total = npos;
  if (!rc && pg && pg->fn(pg->ud, "state", 0, npos)) rc = err_fail(SOCLOSS_ESTOP, "check stopped by the progress callback");
  if (!rc) rc = state_digest(t, rep->digest);
  if (!rc) rc = pg ? store_each_position(t, NULL, scan_position_told, &sp) : store_each_position(t, NULL, scan_position, s);
  if (!rc) close_market(s);
  if (!rc) rc = store_each_market(t, sum_open_interest, s);
  if (!rc && s->all_oi != s->seen_oi)
    failed(s, &rep->open_interest_ok, "a market without positions has a non-zero open interest");
  if (!rc) rc = store_each_account(t, scan_account, s);
  if (!rc) rc = store_totals_get(t, &tot);
  replay r = {s, {0}, 1, 0, 0, NULL, NULL};
  if (!rc) rc = store_each_record(t, 1, check_record, &r);
  if (rc) {  /* the scan failed: the replay's answer is not wanted */
    if (threaded) {
      char msg[ERRMSG_MAX];
      snprintf(msg, sizeof msg, "%s", ERRBUF);
      atomic_store(&p->stop, 1);
      replayer_wait(p, th, NULL, 0);
      snprintf(ERRBUF, ERRMSG_MAX, "%s", msg);
    }
    free(p);
    return rc;
  }
  __int128 lhs = s->equity + tot.fund_cash - tot.bad_debt;
  if (lhs != tot.net_flows)
    failed(s, &rep->conservation,
           "conservation: equity %lld + fund cash %lld - bad debt %lld = %lld, but net flows are %lld",
           (long long)s->equity, (long long)tot.fund_cash, (long long)tot.bad_debt, (long long)lhs,
           (long long)tot.net_flows);

  uint64_t records = store_journal_last(t);
  if (threaded) replayer_wait(p, th, pg, records);
  if (!threaded || p->rc == OTHER_SNAPSHOT) {
    if (rep->journal_contiguous) {  /* else nothing to replay (below) */
      p->rc = replay_journal(p, t);
      if (p->rc) snprintf(p->msg, sizeof p->msg, "%s", ERRBUF);
    }
  }
  if (!rep->journal_contiguous) {
    failed(s, &rep->replay_matches, "journal is not contiguous");
  } else if (p->rc && (resource_error(p->rc) || p->rc == SOCLOSS_ESTOP)) {
    rc = err_fail(p->rc, "%s", p->msg);
  } else if (p->rc) {  /* a record the replay refuses: its failure */
    failed(s, &rep->replay_matches, "%s", p->s.failure[0] ? p->s.failure : p->msg);
  } else if (!p->same) {
    failed(s, &rep->replay_matches, "replaying the journal gives a different state");
  }
  free(p);
  return rc;
}

int check_run(socloss *led, const socloss_progress *progress, int threads, socloss_check_report *rep) {
  memset(rep, 0, sizeof *rep);
  if (progress && progress->size < sizeof *progress)
    return err_fail(SOCLOSS_EINVAL, "progress: size is %zu, not sizeof (socloss_progress) = %zu", progress->size,
                    sizeof *progress);
  scan s = {.led = led, .rep = rep};
  check_call cc = {&s, progress, threads};
  int rc = store_read(led->st, run_check, &cc);
  if (rc) return rc;
  if (s.failure[0]) return err_fail(SOCLOSS_EINVARIANT, "%s", s.failure);
  ERRBUF[0] = 0;
  return SOCLOSS_OK;
}
