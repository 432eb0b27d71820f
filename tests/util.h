/*
 * util.h — fixtures shared by the C tests: throwaway ledgers, the state
 * digest, and the invariants asserted after every operation.
 */
#ifndef SOCLOSS_TEST_UTIL_H
#define SOCLOSS_TEST_UTIL_H

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "socloss.h"
#include "tap.h"

/* A fresh ledger in a new temporary directory (removed by drop_ledger). */
static inline socloss *new_ledger(char dir[64], uint64_t map_size) {
  strcpy(dir, "/tmp/socloss-test-XXXXXX");
  if (!mkdtemp(dir)) return NULL;
  socloss_options o;
  socloss_options_init(&o);
  o.create = SOCLOSS_OPEN_CREATE;
  o.unsafe_nosync = 1;  /* tests do not need durability against power loss */
  o.evaluator = SOCLOSS_BINARY_DIR "/socloss-eval";
  if (map_size) o.map_size = map_size;
  socloss *led;
  if (socloss_open(&led, dir, &o) != SOCLOSS_OK) {
    diag("open %s: %s", dir, socloss_errmsg(led));
    socloss_close(led);
    return NULL;
  }
  return led;
}

static inline void drop_ledger(socloss *led, const char *dir) {
  socloss_close(led);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0) diag("could not remove %s", dir);
}

/* `socloss apply DIR EVENTS` in another process, waited for: its wait
 * status.  A reader that held the ledger's writer lock would make it wait
 * for ever: alarm() ends it after 60 s instead (killed by SIGALRM, which
 * the caller's assertion on the status reports; a guard, not a timing). */
static inline int apply_elsewhere(const char *dir, const char *events) {
  int status = -1;
  pid_t pid = fork();
  if (pid == 0) {
    alarm(60);
    execl(SOCLOSS_BINARY_DIR "/socloss", "socloss", "apply", dir, events, (char *)NULL);
    _exit(127);
  }
  if (pid > 0) waitpid(pid, &status, 0);
  return status;
}

/* The state fingerprint: digest + journal length. */
typedef struct fingerprint {
  unsigned char digest[32];
  uint64_t seq;
} fingerprint;

static inline fingerprint fp_of(socloss *led) {
  fingerprint f;
  socloss_totals t;
  memset(&f, 0, sizeof f);
  if (socloss_state_digest(led, f.digest) == SOCLOSS_OK && socloss_totals_get(led, &t) == SOCLOSS_OK)
    f.seq = t.journal_seq;
  return f;
}

static inline int fp_equal(fingerprint a, fingerprint b) {
  return memcmp(a.digest, b.digest, 32) == 0 && a.seq == b.seq;
}

/* Every invariant (docs/design.md §4) holds. */
static inline int invariants_hold(socloss *led) {
  socloss_check_report r;
  int rc = socloss_check(led, &r);
  if (rc) diag("check: %s", socloss_errmsg(led));
  return rc == SOCLOSS_OK;
}

/* One account's numbers, read through the public API. */
typedef struct acct_view {
  int found;
  int64_t balance, equity;
  size_t npositions;
  socloss_position pos[8];
} acct_view;

static inline int acct_view_cb(void *ud, const socloss_account *a) {
  acct_view *v = ud;
  v->found = 1;
  v->balance = a->balance;
  v->equity = a->equity;
  v->npositions = a->npositions;
  for (size_t i = 0; i < a->npositions && i < 8; i++) v->pos[i] = a->positions[i];
  return 0;
}

static inline acct_view view(socloss *led, const char *id) {
  acct_view v;
  memset(&v, 0, sizeof v);
  if (socloss_account_get(led, id, acct_view_cb, &v) != SOCLOSS_OK) v.found = 0;
  return v;
}

/* The position of an account in a market from a view (0/0 if none). */
static inline socloss_position pos_in(const acct_view *v, const char *market) {
  socloss_position p;
  memset(&p, 0, sizeof p);
  for (size_t i = 0; i < v->npositions; i++)
    if (!strcmp(v->pos[i].market, market)) return v->pos[i];
  return p;
}

/* The text of policies/NAME.lua (malloc'd; free it), or NULL. */
static inline char *policy_text(const char *name, size_t *len) {
  char path[512];
  snprintf(path, sizeof path, "%s/policies/%s.lua", SOCLOSS_SOURCE_DIR, name);
  FILE *f = fopen(path, "rb");
  char *buf = f ? malloc(1 << 18) : NULL;
  *len = buf ? fread(buf, 1, (1 << 18) - 1, f) : 0;
  if (buf) buf[*len] = 0;
  if (f) fclose(f);
  return buf;
}

static inline socloss_source src_of(const char *name, const char *text) {
  socloss_source s = {name, text, strlen(text)};
  return s;
}

/* A ledger in a fresh directory, imported from CSV texts and then EVENTS
 * (JSON lines, or NULL) applied: the worked examples' starting point. */
typedef struct fixture {
  char dir[64];
  socloss *led;
} fixture;

static inline int fixture_make(fixture *fx, const char *markets, const char *accounts, const char *positions,
                               const char *events) {
  fx->led = new_ledger(fx->dir, 0);
  if (!fx->led) return -1;
  socloss_source m = src_of("m.csv", markets), a = src_of("a.csv", accounts), p = src_of("p.csv", positions);
  int rc = socloss_import_csv(fx->led, &m, &a, &p, NULL);
  if (!rc && events) {
    socloss_source e = src_of("e.jsonl", events);
    rc = socloss_apply_jsonl(fx->led, &e, NULL);
  }
  if (rc) diag("fixture: %s", socloss_errmsg(fx->led));
  return rc;
}

/* What ACCOUNT paid in R's haircuts (0 when it paid nothing). */
static inline int64_t haircut_of(const socloss_resolution *r, const char *account) {
  for (size_t k = 0; k < r->nhaircuts; k++)
    if (!strcmp(r->haircuts[k].account, account)) return r->haircuts[k].amount;
  return 0;
}

#endif
