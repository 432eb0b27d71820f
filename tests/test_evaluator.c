/*
 * The ledger process against an evaluator that crashes, hangs, answers
 * garbage, exits or aborts: each is a refused policy, never a dead or stuck
 * host; nothing is applied, the failure is journaled, and the handle keeps
 * working with a sound evaluator afterwards.
 */
#include <time.h>

#include "util.h"

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static const char *M = "market,mark_price\nBTC,80\n", *A = "account,balance\na,-1000\nb,5000\n",
                  *P = "account,market,size,entry_price\na,BTC,10,100\nb,BTC,-10,100\n";
static const char *POLICY = "return {name = 'real', haircut = function(ctx) return {} end}";

static char logged[4096];

static void collect(void *ud, const char *message) {
  (void)ud;
  size_t n = strlen(logged);
  snprintf(logged + n, sizeof logged - n, "%s\n", message);
}

static void against(const char *mode, const char *want) {
  char dir[64], path[512];
  socloss *led = new_ledger(dir, 0);
  socloss_source m = src_of("m", M), a = src_of("a", A), p = src_of("p", P);
  socloss_import_csv(led, &m, &a, &p, NULL);
  socloss_limits lim;
  socloss_limits_get(led, &lim);
  lim.wall_ms = 200;
  socloss_limits_set(led, &lim);
  socloss_close(led);

  snprintf(path, sizeof path, "%s/tests/fakes/fake-eval-%s", SOCLOSS_BINARY_DIR, mode);
  socloss_options o;
  socloss_options_init(&o);
  o.evaluator = path;
  o.log = collect;
  logged[0] = 0;
  ok(socloss_open(&led, dir, &o) == SOCLOSS_OK, "%s: open with the fake evaluator", mode);
  fingerprint before = fp_of(led);
  socloss_resolve_options ro;
  socloss_resolve_options_init(&ro);
  ro.policy = POLICY;
  ro.policy_len = strlen(POLICY);
  ro.id = "d1";
  const socloss_resolution *r;
  double t0 = now();
  int rc = socloss_resolve(led, "a", &ro, &r);
  double took = now() - t0;
  is(rc, SOCLOSS_EPOLICY, "%s: the resolution fails as a policy failure", mode);
  const char *msg = socloss_errmsg(led);
  ok(strstr(msg, want) != NULL, "%s: '%s'", mode, want);
  if (!strstr(msg, want)) diag("got: %s", msg);
  ok(r && !strcmp(r->status, "failed"), "%s: status failed", mode);
  ok(strstr(logged, "fake-eval-") && strstr(logged, " started (pid ") && strstr(logged, "evaluator stopped: ") &&
         strstr(logged, "deficit d1 of a: "),
     "%s: the log callback heard of it", mode);
  if (!strstr(logged, "evaluator stopped: ")) diag("log: %s", logged);
  ok(took < 3.0, "%s: answered in %.2f s", mode, took);
  fingerprint after = fp_of(led);
  ok(!memcmp(before.digest, after.digest, 32) && after.seq == before.seq + 1,
     "%s: state unchanged, the failure journaled", mode);
  socloss_close(led);

  o.evaluator = SOCLOSS_BINARY_DIR "/socloss-eval";
  o.log = NULL;
  ok(socloss_open(&led, dir, &o) == SOCLOSS_OK, "%s: reopened with the real evaluator", mode);
  is(socloss_resolve(led, "a", &ro, &r), SOCLOSS_OK, "%s: the same deficit resolves", mode);
  ok(r && r->bad_debt == 1200, "%s: all 1200 is bad debt (the policy charges nobody, the fund is empty)", mode);
  ok(invariants_hold(led), "%s: invariants", mode);
  drop_ledger(led, dir);
}

/* A handle may tighten the ledger's limits: the same endless policy stops
 * at the handle's 50 ms while the ledger allows 5 s. */
static void handle_ceiling(void) {
  char dir[64];
  socloss *led = new_ledger(dir, 0);
  socloss_source m = src_of("m", M), a = src_of("a", A), p = src_of("p", P);
  socloss_import_csv(led, &m, &a, &p, NULL);
  socloss_close(led);
  socloss_options o;
  socloss_options_init(&o);
  o.evaluator = SOCLOSS_BINARY_DIR "/socloss-eval";
  o.max_wall_ms = 50;
  o.max_instructions = 1ull << 40;  /* above the ledger's: no effect */
  ok(socloss_open(&led, dir, &o) == SOCLOSS_OK, "a handle with a 50 ms ceiling");
  const char *loop = "return {name = 'loop', haircut = function() while true do end end}";
  socloss_resolve_options ro;
  socloss_resolve_options_init(&ro);
  ro.policy = loop;
  ro.policy_len = strlen(loop);
  const socloss_resolution *r;
  double t0 = now();
  is(socloss_resolve(led, "a", &ro, &r), SOCLOSS_EPOLICY, "the endless policy is stopped");
  double took = now() - t0;
  ok(strstr(socloss_errmsg(led), "exceeded its time budget") != NULL, "by the time budget: %s", socloss_errmsg(led));
  ok(took < 1.0, "in %.3f s, not the ledger's 5 s", took);
  drop_ledger(led, dir);
}

static int last_record(void *ud, uint64_t seq, const char *json) {
  (void)seq;
  snprintf(ud, 2048, "%s", json);
  return 0;
}

/* An evaluator that cannot start fails the policy, and the failure is
 * journaled — without the path the host keeps its evaluator at: the
 * journal names policies by name and hash and no file of the host's. */
static void evaluator_missing(void) {
  char dir[64], record[2048] = "";
  socloss *led = new_ledger(dir, 0);
  socloss_source m = src_of("m", M), a = src_of("a", A), p = src_of("p", P);
  socloss_import_csv(led, &m, &a, &p, NULL);
  socloss_close(led);
  socloss_options o;
  socloss_options_init(&o);
  o.evaluator = "/nonexistent/socloss-test-dir/socloss-eval";
  ok(socloss_open(&led, dir, &o) == SOCLOSS_OK, "open with an evaluator that is not there");
  socloss_resolve_options ro;
  socloss_resolve_options_init(&ro);
  ro.policy = POLICY;
  ro.policy_len = strlen(POLICY);
  ro.id = "d1";
  const socloss_resolution *r;
  is(socloss_resolve(led, "a", &ro, &r), SOCLOSS_EPOLICY, "the policy fails");
  ok(strstr(socloss_errmsg(led), " /nonexistent/socloss-test-dir/socloss-eval") != NULL,
     "the caller is told where it looked: %s", socloss_errmsg(led));
  socloss_totals t;
  socloss_totals_get(led, &t);
  socloss_journal(led, t.journal_seq, last_record, record);
  ok(strstr(record, "\"type\":\"deficit_failed\"") && strstr(record, " socloss-eval") &&
         !strstr(record, "/nonexistent") && !strstr(record, "socloss-test-dir"),
     "the journal's record names the evaluator by its base name only: %s", record);
  drop_ledger(led, dir);
}

int main(void) {
  evaluator_missing();
  handle_ceiling();
  against("crash", "crashed the evaluator in haircut: the evaluator crashed (signal 11: Segmentation fault)");
  against("abort", "crashed the evaluator in haircut: the evaluator crashed (signal 6: Aborted)");
  against("hang", "was killed at the deadline in haircut: time budget exceeded: the evaluator did not answer within 700 ms and was killed");
  against("garbage", "broke the evaluator protocol in haircut: the evaluator's answer is malformed");
  against("exit", "broke the evaluator protocol in haircut: the evaluator stopped answering (exit 3)");
  /* an answer announced longer than the request allows: never allocated (4096 + a log of 4160 + 24 bytes for
   * each of 2 actions) */
  against("huge",
          "broke the evaluator protocol in haircut: the evaluator's answer of 2147483648 bytes is over the 8304 bytes "
          "this request allows");
  /* "missing" is the host's to say, never an answer's */
  against("status", "broke the evaluator protocol in haircut: the evaluator answered with status 10, which only the host "
                    "sets");
  return done_testing();
}
