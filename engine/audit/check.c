/*
 * check.c — the invariants (docs/design.md §4) and the state digest.
 *
 * The whole check runs in one write transaction that is always aborted: it
 * reads the state, then empties it and replays the journal through the same
 * code that wrote it, compares, and leaves nothing behind.
 */
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"

/* ---- digest ------------------------------------------------------------- */

typedef struct digest {
  EVP_MD_CTX *md;
} digest;

static void dg_str(digest *d, const char *s) {
  unsigned char n = (unsigned char)strlen(s);
  EVP_DigestUpdate(d->md, &n, 1);
  EVP_DigestUpdate(d->md, s, n);
}

static void dg_i64(digest *d, int64_t v) {
  unsigned char b[8];
  codec_put_u64(b, (uint64_t)v);
  EVP_DigestUpdate(d->md, b, 8);
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
  EVP_DigestUpdate(d->md, &n, 1);
  EVP_DigestUpdate(d->md, id, len);
  codec_put_u64(b, seq);
  EVP_DigestUpdate(d->md, b, 8);
  return 0;
}

static int state_digest(store_txn *t, unsigned char out[32]) {
  digest d = {EVP_MD_CTX_new()};
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
  if (!rc && !EVP_DigestFinal_ex(d.md, out, &len)) rc = err_fail(SOCLOSS_ENOMEM, "digest failed");
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

typedef struct replay {
  scan *s;
  applier a;
  uint64_t expect;
  int rc;
  int64_t fund_cap;  /* the cap in force, for records of rules 1 */
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
  socloss_event e;
  record_ids ids;
  deficit_rec d;
  int rc, type = record_type(rec, len);
  int64_t lim[4];
  if (type == EV_LIMITS && !record_limits_decode(rec, len, lim)) r->fund_cap = lim[3];
  if (record_is_aux(type)) return SOCLOSS_OK;  /* no state */
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
  if (rc) {
    failed(r->s, &r->s->rep->replay_matches, "replay refuses journal record %llu: %s",
           (unsigned long long)seq, ERRBUF);
    return rc;
  }
  return SOCLOSS_OK;
}

static int run_check(store_txn *t, void *ud) {
  scan *s = ud;
  socloss_check_report *rep = s->rep;
  store_totals tot;
  unsigned char replayed[32];
  s->t = t;
  s->failure[0] = 0;
  s->market[0] = 0;
  s->equity = s->seen_oi = s->all_oi = 0;
  rep->sizes_net_zero = rep->open_interest_ok = rep->conservation = 1;
  rep->journal_contiguous = rep->replay_matches = 1;
  rep->records = 0;

  int rc = state_digest(t, rep->digest);
  if (!rc) rc = store_each_position(t, NULL, scan_position, s);
  if (!rc) close_market(s);
  if (!rc) rc = store_each_market(t, sum_open_interest, s);
  if (!rc && s->all_oi != s->seen_oi)
    failed(s, &rep->open_interest_ok, "a market without positions has a non-zero open interest");
  if (!rc) rc = store_each_account(t, scan_account, s);
  if (!rc) rc = store_totals_get(t, &tot);
  if (rc) return rc;
  __int128 lhs = s->equity + tot.fund_cash - tot.bad_debt;
  if (lhs != tot.net_flows)
    failed(s, &rep->conservation,
           "conservation: equity %lld + fund cash %lld - bad debt %lld = %lld, but net flows are %lld",
           (long long)s->equity, (long long)tot.fund_cash, (long long)tot.bad_debt, (long long)lhs,
           (long long)tot.net_flows);

  replay r = {s, {0}, 1, 0, 0};
  if ((rc = store_each_record(t, 1, check_record, &r))) return rc;
  if (!rep->journal_contiguous) {
    failed(s, &rep->replay_matches, "journal is not contiguous");
    return SOCLOSS_OK;
  }
  /* Replay from empty, in this transaction, which is then thrown away. */
  if ((rc = store_clear_state(t))) return rc;
  if ((rc = applier_start(&r.a, s->led, t, 0))) return rc;
  rc = store_each_record(t, 1, replay_record, &r);
  if (!rc) rc = applier_finish(&r.a);
  applier_end(&r.a);
  if (rc == SOCLOSS_EMAPFULL || rc == SOCLOSS_ENOMEM || rc == SOCLOSS_ESTORE) return rc;
  if (rc) return SOCLOSS_OK;  /* a refused record: reported */
  if ((rc = state_digest(t, replayed))) return rc;
  if (memcmp(replayed, rep->digest, 32) != 0)
    failed(s, &rep->replay_matches, "replaying the journal gives a different state");
  return SOCLOSS_OK;
}

int check_run(socloss *led, socloss_check_report *rep) {
  memset(rep, 0, sizeof *rep);
  scan s = {.led = led, .rep = rep};
  int rc = store_write_discard(led->st, run_check, &s);
  if (rc) return rc;
  if (s.failure[0]) return err_fail(SOCLOSS_EINVARIANT, "%s", s.failure);
  ERRBUF[0] = 0;
  return SOCLOSS_OK;
}

