/*
 * socloss_stats_get: a handle's counters since it was opened, after a known
 * sequence of resolutions, each figure exact.  The ledger has no positions,
 * so each deficit is its account's negative balance: the fund pays what it
 * can, the policy `none` charges nobody, the rest is bad debt; the policy
 * `boom` fails in its haircut step.  What is not committed (a dry run, a
 * simulation, a refused file) counts nothing.
 *
 * The ledger: fund 400; x -300, y -500, z -200, w -700, v -50, u1 -10,
 * u2 -20, rich 10000.
 *   1. resolve x under none: the fund pays 300 (400 -> 100).
 *   2. active boom, fallback none; resolve y: boom fails (1 policy failure),
 *      none decides: the fund pays its last 100, bad debt 500 - 100 = 400.
 *   3. no fallback; resolve z: boom fails (2), z fails (1 failed).
 *   4. a dry run of z and a simulation of z under none: nothing.
 *   5. a batch of w and z under none: bad debt 700 + 200 = 900.
 *   6. a JSON Lines deficit of v (boom decides, fails): the file is refused,
 *      its failure record with it: nothing.
 *   7. socloss_apply with a deficit of v under none: bad debt 50.
 *   8. a joint event of u1 and u2 as a dry run: nothing; then for real:
 *      2 accounts, bad debt 10 + 20 = 30.
 * Resolved 1 + 1 + 2 + 1 + 2 = 7, failed 1, fallbacks 1, policy failures
 * 2, fund drawn 300 + 100 = 400, bad debt 400 + 900 + 50 + 30 = 1380.
 */
#include <stddef.h>

#include "util.h"

static const char *NONE = "return {name = 'none', haircut = function(ctx) return {} end}";
static const char *BOOM = "return {name = 'boom', haircut = function(ctx) error('boom') end}";

static socloss_stats stats_of(socloss *led) {
  socloss_stats s;
  memset(&s, 0xab, sizeof s);
  s.size = sizeof s;
  if (socloss_stats_get(led, &s) != SOCLOSS_OK) diag("stats: %s", socloss_errmsg(led));
  return s;
}

/* The counters but the policy time, which is not a fixed figure. */
static int same_counts(socloss_stats a, socloss_stats b) {
  return a.resolved == b.resolved && a.failed == b.failed && a.fallbacks == b.fallbacks &&
         a.policy_failures == b.policy_failures && a.evaluator_restarts == b.evaluator_restarts &&
         a.fund_drawn == b.fund_drawn && a.bad_debt == b.bad_debt;
}

static void expect(socloss *led, const char *when, uint64_t resolved, uint64_t failed, uint64_t fallbacks,
                   uint64_t policy_failures, int64_t fund, int64_t bad) {
  socloss_stats s = stats_of(led);
  is(s.resolved, resolved, "%s: resolved %llu", when, (unsigned long long)resolved);
  is(s.failed, failed, "%s: failed %llu", when, (unsigned long long)failed);
  is(s.fallbacks, fallbacks, "%s: fallbacks %llu", when, (unsigned long long)fallbacks);
  is(s.policy_failures, policy_failures, "%s: policy failures %llu", when, (unsigned long long)policy_failures);
  is(s.fund_drawn, fund, "%s: fund drawn %lld", when, (long long)fund);
  is(s.bad_debt, bad, "%s: bad debt %lld", when, (long long)bad);
  is(s.evaluator_restarts, 0, "%s: no evaluator restart", when);
}

static void sequence(void) {
  fixture fx;
  if (fixture_make(&fx, "market,mark_price\nBTC,100\n",
                   "account,balance\nx,-300\ny,-500\nz,-200\nw,-700\nv,-50\nu1,-10\nu2,-20\nrich,10000\n",
                   "account,market,size,entry_price\n", "{\"type\":\"fund\",\"amount\":400}\n"))
    return;
  socloss *led = fx.led;
  expect(led, "opened", 0, 0, 0, 0, 0, 0);

  socloss_resolve_options ro;
  socloss_resolve_options_init(&ro);
  ro.policy = NONE;
  ro.policy_len = strlen(NONE);
  ro.id = "d-x";
  is(socloss_resolve(led, "x", &ro, NULL), SOCLOSS_OK, "1. x resolved under none");
  expect(led, "1. x", 1, 0, 0, 0, 300, 0);

  is(socloss_policy_set(led, SOCLOSS_POLICY_ACTIVE, BOOM, strlen(BOOM), NULL), SOCLOSS_OK, "2. boom is active");
  is(socloss_policy_set(led, SOCLOSS_POLICY_FALLBACK, NONE, strlen(NONE), NULL), SOCLOSS_OK, "2. none the fallback");
  socloss_resolve_options_init(&ro);
  ro.id = "d-y";
  const socloss_resolution *r = NULL;
  is(socloss_resolve(led, "y", &ro, &r), SOCLOSS_OK, "2. y resolved by the fallback");
  ok(r && !strcmp(r->policy_name, "none") && r->fund_draw == 100 && r->bad_debt == 400,
     "2. by none: fund 100, bad debt 400");
  expect(led, "2. y", 2, 0, 1, 1, 400, 400);
  uint64_t us = stats_of(led).policy_us;
  ok(us > 0, "2. time was spent in boom's haircut: %llu us", (unsigned long long)us);

  is(socloss_policy_set(led, SOCLOSS_POLICY_FALLBACK, NULL, 0, NULL), SOCLOSS_OK, "3. no fallback");
  ro.id = "d-z";
  is(socloss_resolve(led, "z", &ro, NULL), SOCLOSS_EPOLICY, "3. z fails: boom, no fallback");
  expect(led, "3. z", 2, 1, 1, 2, 400, 400);

  socloss_stats before = stats_of(led);
  socloss_resolve_options_init(&ro);
  ro.policy = NONE;
  ro.policy_len = strlen(NONE);
  ro.id = "dry-z";
  ro.dry_run = 1;
  is(socloss_resolve(led, "z", &ro, &r), SOCLOSS_OK, "4. a dry run of z under none");
  ok(r && r->bad_debt == 200, "4. ... would leave 200 of bad debt");
  socloss_sim_result sim;
  is(socloss_simulate(led, NONE, strlen(NONE), NULL, "z", NULL, 0, &sim), SOCLOSS_OK, "4. a simulation of z");
  socloss_stats after = stats_of(led);
  ok(same_counts(after, before) && after.policy_us == before.policy_us,
     "4. neither counts, the policy time included");

  socloss_batch_item items[2] = {{"b-w", "w", 0, 0, ""}, {"b-z", "z", 0, 0, ""}};
  socloss_resolve_options_init(&ro);
  ro.policy = NONE;
  ro.policy_len = strlen(NONE);
  is(socloss_resolve_batch(led, items, 2, &ro), SOCLOSS_OK, "5. a batch of w and z");
  is(items[0].code + items[1].code, 0, "5. both resolved");
  expect(led, "5. batch", 4, 1, 1, 2, 400, 1300);

  socloss_source bad = src_of("v.jsonl", "{\"type\":\"deficit\",\"id\":\"j-v\",\"account\":\"v\"}\n");
  is(socloss_apply_jsonl(led, &bad, NULL), SOCLOSS_EPOLICY, "6. a file whose deficit boom fails: refused");
  expect(led, "6. refused file", 4, 1, 1, 2, 400, 1300);

  socloss_event e = {.type = SOCLOSS_EV_DEFICIT, .id = "a-v", .account = "v", .policy = NONE,
                     .policy_len = strlen(NONE)};
  is(socloss_apply(led, &e, 1, NULL), SOCLOSS_OK, "7. socloss_apply: a deficit of v under none");
  expect(led, "7. apply", 5, 1, 1, 2, 400, 1350);

  socloss_event_options eo;
  socloss_event_options_init(&eo);
  eo.id = "e1";
  eo.joint = 1;
  eo.policy = NONE;
  eo.policy_len = strlen(NONE);
  eo.dry_run = 1;
  socloss_event_summary sum = {.size = sizeof sum};
  is(socloss_resolve_event(led, &eo, &sum), SOCLOSS_OK, "8. a joint event of u1 and u2, dry run");
  is(sum.bankrupt * 1000 + sum.bad_debt, 2030, "8. ... 2 bankrupt, 30 of bad debt");
  expect(led, "8. dry event", 5, 1, 1, 2, 400, 1350);
  eo.id = "e2";
  eo.dry_run = 0;
  is(socloss_resolve_event(led, &eo, &sum), SOCLOSS_OK, "8. the same for real");
  expect(led, "8. joint event", 7, 1, 1, 2, 400, 1380);

  socloss_totals t;
  socloss_totals_get(led, &t);
  is(t.bad_debt, 1380, "the ledger's bad debt is the counters' (it started at 0)");
  is(t.fund_cash, 0, "the fund's 400 were all drawn");
  ok(invariants_hold(led), "invariants");

  /* the struct's size: too small is refused, an older one filled as far as it goes */
  socloss_stats s;
  memset(&s, 0, sizeof s);
  is(socloss_stats_get(led, &s), SOCLOSS_EINVAL, "size not set: refused");
  is_str(socloss_errmsg(led), "stats: size is not set (sizeof(socloss_stats))", "... saying why");
  memset(&s, 0xab, sizeof s);
  s.size = offsetof(socloss_stats, fallbacks);
  is(socloss_stats_get(led, &s), SOCLOSS_OK, "a struct of an older, shorter header");
  ok(s.resolved == 7 && s.failed == 1 && s.fallbacks == 0xababababababababull,
     "... gets what fits it, nothing past its size");

  /* counted per handle since it was opened */
  socloss_close(led);
  socloss_options o;
  socloss_options_init(&o);
  o.evaluator = SOCLOSS_BINARY_DIR "/socloss-eval";
  is(socloss_open(&led, fx.dir, &o), SOCLOSS_OK, "the ledger opened again");
  expect(led, "a new handle", 0, 0, 0, 0, 0, 0);
  is(socloss_stats_get(NULL, &s), SOCLOSS_EINVAL, "no handle: refused");
  drop_ledger(led, fx.dir);
}

/* An evaluator that crashes at every haircut: each deficit after the first
 * starts it again. */
static void restarts(void) {
  fixture fx;
  if (fixture_make(&fx, "market,mark_price\nBTC,100\n", "account,balance\nc,-10\nrich,100\n",
                   "account,market,size,entry_price\n", NULL))
    return;
  socloss_close(fx.led);
  socloss_options o;
  socloss_options_init(&o);
  o.evaluator = SOCLOSS_BINARY_DIR "/tests/fakes/fake-eval-crash";
  socloss *led;
  is(socloss_open(&led, fx.dir, &o), SOCLOSS_OK, "opened with an evaluator that crashes at the haircut");
  socloss_resolve_options ro;
  socloss_resolve_options_init(&ro);
  ro.policy = NONE;
  ro.policy_len = strlen(NONE);
  const char *ids[3] = {"c1", "c2", "c3"};
  for (int i = 0; i < 3; i++) {
    ro.id = ids[i];
    is(socloss_resolve(led, "c", &ro, NULL), SOCLOSS_EPOLICY, "deficit %s: the evaluator crashed", ids[i]);
  }
  socloss_stats s = stats_of(led);
  is(s.evaluator_restarts, 2, "3 deficits, 3 starts: 2 restarts");
  is(s.failed, 3, "3 failed");
  is(s.policy_failures, 3, "3 policy failures");
  is(s.resolved, 0, "none resolved");
  drop_ledger(led, fx.dir);
}

int main(void) {
  sequence();
  restarts();
  return done_testing();
}
