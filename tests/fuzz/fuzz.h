/*
 * fuzz.h — what the libFuzzer harnesses (tests/fuzz/fuzz_*.c) share: the
 * ledger each harness keeps in a directory of its own under $TMPDIR for the
 * whole run (tests/fuzz/run.sh points TMPDIR at /dev/shm when it can), made
 * again from its base state only after an input changed it; the state's
 * fingerprint; and the oracles every input must satisfy.  A broken oracle
 * aborts, which libFuzzer reports as a crash with the input that did it.
 *
 * The oracles: a call returns a code from the table; a refused call leaves
 * the message safe to show (valid UTF-8, no control character: README,
 * "Messages are safe to show") and the state exactly as it was; an accepted
 * one leaves a ledger that `socloss check` passes (conservation, zero net
 * sizes, open interest, contiguous journal, replay gives the same state).
 */
#ifndef SOCLOSS_FUZZ_H
#define SOCLOSS_FUZZ_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "socloss.h"

#ifndef SOCLOSS_BINARY_DIR
#error "SOCLOSS_BINARY_DIR: the build directory (for socloss-eval)"
#endif

__attribute__((noreturn, format(printf, 1, 2))) static void fz_die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("fuzz oracle: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  abort();
}

/* FZ_VERBOSE=1: each input's outcome on stderr (to look at a corpus:
 * build-fuzz/fuzz/fuzz_X tests/fuzz/corpus/X/FILE...). */
static int fz_verbose = -1;

__attribute__((unused, format(printf, 1, 2))) static void fz_say(const char *fmt, ...) {
  if (fz_verbose < 0) fz_verbose = getenv("FZ_VERBOSE") && *getenv("FZ_VERBOSE") == '1';
  if (!fz_verbose) return;
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

/* ---- the ledger ---------------------------------------------------------------- */

static char fz_dir[512], fz_path[600];

static void fz_cleanup(void) {
  if (!fz_dir[0]) return;
  char cmd[700];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", fz_dir);
  if (system(cmd) != 0) fprintf(stderr, "fuzz: could not remove %s\n", fz_dir);
  fz_dir[0] = 0;
}

__attribute__((unused)) static socloss *fz_open(const char *dir, int create) {
  socloss_options o;
  socloss_options_init(&o);
  o.create = create ? SOCLOSS_OPEN_CREATE_NEW : SOCLOSS_OPEN_EXISTING;
  o.unsafe_nosync = 1;  /* the fuzzers test logic, not power loss */
  o.evaluator = SOCLOSS_BINARY_DIR "/socloss-eval";
  socloss *led = NULL;
  int rc = socloss_open(&led, dir, &o);
  if (rc != SOCLOSS_OK) fz_die("open %s: %s (%s)", dir, led ? socloss_errmsg(led) : "", socloss_errname(rc));
  return led;
}

static void fz_must(socloss *led, int rc, const char *what) {
  if (rc != SOCLOSS_OK) fz_die("%s: %s (%s)", what, socloss_errmsg(led), socloss_errname(rc));
}

__attribute__((unused)) static socloss_source fz_src(const char *name, const char *text) {
  return (socloss_source){name, text, strlen(text)};
}

/* A harness's base ledger: MARKETS, ACCOUNTS and POSITIONS imported as CSV
 * texts, then FUND paid into the insurance fund (none when 0). */
static void fz_import_base(socloss *led, const char *markets, const char *accounts, const char *positions, int64_t fund) {
  socloss_source m = fz_src("m.csv", markets), a = fz_src("a.csv", accounts), p = fz_src("p.csv", positions);
  fz_must(led, socloss_import_csv(led, &m, &a, &p, NULL), "base import");
  if (!fund) return;
  char line[64];
  snprintf(line, sizeof line, "{\"type\":\"fund\",\"amount\":%lld}\n", (long long)fund);
  socloss_source f = fz_src("f.jsonl", line);
  fz_must(led, socloss_apply_jsonl(led, &f, NULL), "base fund");
}

/* Short policy limits, so that a hostile input costs milliseconds. */
__attribute__((unused)) static void fz_limits(socloss *led, uint64_t instructions, uint64_t memory, uint64_t wall_ms) {
  socloss_limits lim;
  fz_must(led, socloss_limits_get(led, &lim), "limits");
  lim.instructions = instructions;
  lim.memory = memory;
  lim.wall_ms = wall_ms;
  fz_must(led, socloss_limits_set(led, &lim), "limits");
}

/* ---- the state's fingerprint ------------------------------------------------ */

typedef struct fz_fp {
  unsigned char digest[32];
  socloss_totals t;
} fz_fp;

static fz_fp fz_fingerprint(socloss *led) {
  fz_fp f;
  memset(&f, 0, sizeof f);
  fz_must(led, socloss_state_digest(led, f.digest), "state digest");
  fz_must(led, socloss_totals_get(led, &f.t), "totals");
  return f;
}

static int fz_fp_same(const fz_fp *a, const fz_fp *b) {
  return !memcmp(a->digest, b->digest, 32) && a->t.journal_seq == b->t.journal_seq &&
         a->t.fund_cash == b->t.fund_cash && a->t.bad_debt == b->t.bad_debt && a->t.net_flows == b->t.net_flows &&
         a->t.markets == b->t.markets && a->t.accounts == b->t.accounts && a->t.positions == b->t.positions;
}

/* The harness's ledger: made once in $TMPDIR/socloss-fuzz-NAME-XXXXXX/ledger
 * (removed at exit: libFuzzer ends through exit(); after a crash run.sh
 * removes $TMPDIR), put in its base state by build(), and made again only
 * when an input changed it (fz_reset). */
typedef void (*fz_build_fn)(socloss *led);

static socloss *fz_led;
static fz_build_fn fz_builder;
static fz_fp fz_base;

static void fz_create(void) {
  fz_led = fz_open(fz_path, 1);
  fz_builder(fz_led);
  fz_base = fz_fingerprint(fz_led);
}

__attribute__((unused)) static void fz_setup(const char *name, fz_build_fn build) {
  const char *tmp = getenv("TMPDIR");
  snprintf(fz_dir, sizeof fz_dir, "%s/socloss-fuzz-%s-XXXXXX", tmp && *tmp ? tmp : "/tmp", name);
  if (!mkdtemp(fz_dir)) fz_die("mkdtemp %s failed", fz_dir);
  atexit(fz_cleanup);
  snprintf(fz_path, sizeof fz_path, "%s/ledger", fz_dir);
  fz_builder = build;
  fz_create();
}

/* The base state again, in a new ledger. */
__attribute__((unused)) static void fz_reset(void) {
  socloss_close(fz_led);
  char p[700];
  snprintf(p, sizeof p, "%s/data.mdb", fz_path);
  if (unlink(p)) fz_die("unlink %s failed", p);
  snprintf(p, sizeof p, "%s/lock.mdb", fz_path);
  unlink(p);
  if (rmdir(fz_path)) fz_die("rmdir %s failed", fz_path);
  fz_create();
}

/* The state is the base state, exactly. */
__attribute__((unused)) static void fz_unchanged(const char *what) {
  fz_fp now = fz_fingerprint(fz_led);
  if (!fz_fp_same(&now, &fz_base))
    fz_die("%s: the state changed (journal %llu -> %llu)", what,
           (unsigned long long)fz_base.t.journal_seq, (unsigned long long)now.t.journal_seq);
}

/* ---- oracles ------------------------------------------------------------------ */

/* Valid UTF-8 (no overlong form, no surrogate, at most U+10FFFF) without a
 * control character. */
static int fz_text_safe(const char *s) {
  const unsigned char *p = (const unsigned char *)s;
  while (*p) {
    unsigned c = *p;
    if (c < 0x20 || c == 0x7f) return 0;
    if (c < 0x80) {
      p++;
      continue;
    }
    int n = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc2 ? 1 : -1;
    if (n < 0 || c > 0xf4) return 0;
    uint32_t cp = c & (0x3fu >> n);
    for (int i = 1; i <= n; i++) {
      if ((p[i] & 0xc0) != 0x80) return 0;
      cp = cp << 6 | (p[i] & 0x3f);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
      return 0;
    /* C1 controls are control characters too */
    if (cp >= 0x80 && cp <= 0x9f) return 0;
    p += n + 1;
  }
  return 1;
}

/* A code of the table, and for a refusal a message that is safe to show. */
__attribute__((unused)) static void fz_refusal_ok(socloss *led, int rc, const char *what) {
  if (rc < SOCLOSS_OK || rc > SOCLOSS_ENOTBANKRUPT) fz_die("%s: code %d is not in the table", what, rc);
  fz_say("%s: %s%s%s", what, socloss_errname(rc), rc ? ": " : "", rc ? socloss_errmsg(led) : "");
  if (rc == SOCLOSS_OK) return;
  const char *msg = socloss_errmsg(led);
  if (!msg || !*msg) fz_die("%s: refused (%s) without a message", what, socloss_errname(rc));
  if (!fz_text_safe(msg)) fz_die("%s: the message is not safe to show: %s", what, msg);
  /* these mean the library itself failed, not the input */
  if (rc == SOCLOSS_EINVARIANT || rc == SOCLOSS_ESTORE || rc == SOCLOSS_ESCHEMA)
    fz_die("%s: %s: %s", what, socloss_errname(rc), msg);
}

/* `socloss check` passes. */
__attribute__((unused)) static void fz_check(socloss *led, const char *what) {
  socloss_check_report r;
  int rc = socloss_check(led, &r);
  if (rc != SOCLOSS_OK || !r.sizes_net_zero || !r.open_interest_ok || !r.conservation || !r.journal_contiguous ||
      !r.replay_matches)
    fz_die("%s: check failed (%s): %s", what, socloss_errname(rc), socloss_errmsg(led));
}

/* A copy of n bytes in a block of exactly n (1 when n is 0), so that
 * AddressSanitizer sees a read past the end of what the library was given. */
__attribute__((unused)) static char *fz_copy(const void *p, size_t n) {
  char *c = malloc(n ? n : 1);
  if (!c) fz_die("out of memory");
  if (n) memcpy(c, p, n);
  return c;
}

#endif
