/*
 * simulate: the fairness figures, checked against values computed by hand;
 * nothing is kept.
 */
#include <math.h>

#include "util.h"

/* ---- progress, stop, and a writer meanwhile ------------------------------ */

typedef struct heard {
  char log[512];
  int calls, stop_at;
  const char *dir, *events;  /* at the first call, another process applies events */
  int status;
} heard;

static int hear(void *ud, const char *phase, uint64_t done, uint64_t total) {
  heard *h = ud;
  size_t n = strlen(h->log);
  snprintf(h->log + n, sizeof h->log - n, "%s %llu/%llu, ", phase, (unsigned long long)done, (unsigned long long)total);
  if (h->events && h->calls == 0) {
    h->status = apply_elsewhere(h->dir, h->events);
  }
  return ++h->calls == h->stop_at;
}

/* Three longs a1..a3 bankrupt after a fall to 80 (each -1000 + 25 x -20 =
 * -1500); shorts p (40 lots at 180) and r (35) in profit 4000 and 3500,
 * which cover the three shortfalls (4500) by haircuts. */
static int three_shortfalls(fixture *fx) {
  return fixture_make(fx, "market,mark_price\nBTC,100\n",
                      "account,balance\na1,-1000\na2,-1000\na3,-1000\np,10000\nr,10000\n",
                      "account,market,size,entry_price\na1,BTC,25,100\na2,BTC,25,100\na3,BTC,25,100\n"
                      "p,BTC,-40,180\nr,BTC,-35,180\n",
                      NULL);
}

/* Options for that ledger's crash: pr under a 20% fall of BTC (100 -> 80). */
static void fall_20(socloss_sim_options *o, const char *pr, size_t len) {
  socloss_sim_options_init(o);
  o->policy = pr;
  o->policy_len = len;
  o->shock_market = "BTC";
  o->shock_ppm = -200000;
}

static void progress_and_stop(void) {
  fixture fx;
  if (three_shortfalls(&fx)) return;
  size_t len;
  char *pr = policy_text("pro_rata", &len);
  socloss_sim_options o;
  fall_20(&o, pr, len);
  socloss_sim_result plain, s;
  is(socloss_simulate_with(fx.led, &o, &plain), SOCLOSS_OK, "three bankrupt after the fall, no callback");
  ok(plain.deficits == 3 && plain.failed == 0 && plain.total_charged == 4500 && plain.bad_debt == 0,
     "three deficits resolved, 3 x 1500 charged");

  heard h = {"", 0, 0, NULL, NULL, 0};
  socloss_progress pg = {sizeof pg, hear, &h};
  o.progress = &pg;
  is(socloss_simulate_with(fx.led, &o, &s), SOCLOSS_OK, "with a callback");
  is_str(h.log, "deficits 1/3, deficits 2/3, deficits 3/3, split test 1/3, split test 2/3, split test 3/3, ",
         "told after each deficit of the run, then of the split test");
  ok(memcmp(&s, &plain, sizeof s) == 0, "the same figures");

  heard stop = {"", 0, 2, NULL, NULL, 0};
  pg.ud = &stop;
  fingerprint before = fp_of(fx.led);
  is(socloss_simulate_with(fx.led, &o, &s), SOCLOSS_ESTOP, "asked to stop at the second deficit");
  is_str(socloss_errmsg(fx.led), "simulate stopped by the progress callback after 2 deficits", "saying after how many");
  ok(s.deficits == 2 && s.split_account[0] == 0, "the figures of 2 deficits, no split test (%zu)", s.deficits);
  is(s.total_charged, 3000, "charged so far: 2 x 1500");
  ok(fp_equal(before, fp_of(fx.led)), "nothing written");

  o.joint = 1;
  heard joint = {"", 0, 0, NULL, NULL, 0};
  pg.ud = &joint;
  is(socloss_simulate_with(fx.led, &o, &s), SOCLOSS_OK, "joint, with a callback");
  is_str(joint.log, "deficits 1/3, deficits 2/3, deficits 3/3, split test 1/3, split test 2/3, split test 3/3, ",
         "joint: told of each account's part");
  o.joint = 0;

  /* a deposit committed by another process while the simulation runs: the
   * simulation works on its snapshot, so its figures are those without it */
  char events[128];
  snprintf(events, sizeof events, "%s/deposit.jsonl", fx.dir);
  FILE *f = fopen(events, "w");
  fputs("{\"type\":\"deposit\",\"account\":\"a1\",\"amount\":1400}\n", f);
  fclose(f);
  heard w = {"", 0, 0, fx.dir, events, -1};
  pg.ud = &w;
  is(socloss_simulate_with(fx.led, &o, &s), SOCLOSS_OK, "a writer meanwhile");
  ok(WIFEXITED(w.status) && WEXITSTATUS(w.status) == 0, "its deposit committed while the simulation ran (status %d)",
     w.status);
  ok(memcmp(&s, &plain, sizeof s) == 0, "the figures of the snapshot it began with");
  is(view(fx.led, "a1").balance, -1000 + 1400, "a1 has the deposit after");
  is(socloss_simulate_with(fx.led, &o, &s), SOCLOSS_OK, "simulated again");
  is((int)s.deficits, 3, "a1 still bankrupt: -1000 + 1400 - 500 = -100 (3 deficits)");
  is(s.total_charged, 100 + 1500 + 1500, "and a1's shortfall is 100");

  pg.size = sizeof pg - 1;
  is(socloss_simulate_with(fx.led, &o, &s), SOCLOSS_EINVAL, "a progress struct of another size is refused");
  free(pr);
  drop_ledger(fx.led, fx.dir);
}

/* Who paid: "account charge/profit;" per call of the charge callback. */
static int on_charge(void *ud, const char *account, int64_t charge, int64_t profit) {
  char *text = ud;
  size_t n = strlen(text);
  snprintf(text + n, 256 - n, "%s %lld/%lld;", account, (long long)charge, (long long)profit);
  return 0;
}

/* ---- several moves at once ------------------------------------------------ */

/* The ledger of several_shocks and scenario_steps (worked below), and
 * options for pro_rata on it (o->policy is policy_text's: free it). */
static int two_markets(fixture *fx, socloss_sim_options *o) {
  if (fixture_make(fx, "market,mark_price\nBTC,100\nETH,100\n",
                   "account,balance\na,-1000\nb,100\nc,300\nd,500\np,10000\nr,1000\n",
                   "account,market,size,entry_price\na,BTC,25,100\nb,ETH,10,100\nc,BTC,15,100\nd,ETH,10,100\n"
                   "p,BTC,-40,180\nr,ETH,-20,100\n",
                   NULL))
    return -1;
  socloss_sim_options_init(o);
  o->policy = policy_text("pro_rata", &o->policy_len);
  return 0;
}

/* BTC and ETH at 100.  a long 25 BTC at 100 (balance -1000), b long 10 ETH
 * at 100 (balance 100); p short 40 BTC at 180 (balance 10000), r short 20
 * ETH at 100 (balance 1000); c long 15 BTC at 100 (balance 300) and d long
 * 10 ETH at 100 (balance 500) make the sizes sum to 0 and end at equity 0
 * after their market's move (300 - 15 x 20, 500 - 10 x 50): neither
 * bankrupt nor in profit.
 *   BTC -20% (mark 80): a's equity -1000 + 25 x (80 - 100) = -1500;
 *                       p's profit 40 x (180 - 80) = 4000.
 *   ETH -50% (mark 50): b's equity 100 + 10 x (50 - 100) = -400;
 *                       r's profit 20 x (100 - 50) = 1000.
 * (a is 1000 short already at BTC 100.)  The fund is empty, the profits (5000) cover both shortfalls: pro_rata
 * charges exactly what is short. */
static void several_shocks(void) {
  fixture fx;
  socloss_sim_options o;
  if (two_markets(&fx, &o)) return;
  char *pr = (char *)o.policy;
  socloss_sim_result s;
  fingerprint before = fp_of(fx.led);
  o.shock_market = "BTC";
  o.shock_ppm = -200000;
  is(socloss_simulate_with(fx.led, &o, &s), SOCLOSS_OK, "BTC -20%% alone");
  ok(s.deficits == 1 && s.charged == 1 && s.total_charged == 1500 && s.bad_debt == 0,
     "a alone is bankrupt: 1500, from p (%zu deficits, %lld)", s.deficits, (long long)s.total_charged);

  socloss_shock eth[] = {{"ETH", -500000}};
  o.shocks = eth;
  o.nshocks = 1;
  is(socloss_simulate_with(fx.led, &o, &s), SOCLOSS_OK, "BTC -20%% then ETH -50%%");
  ok(s.deficits == 2 && s.failed == 0 && s.charged == 2 && s.total_charged == 1500 + 400 && s.bad_debt == 0,
     "both moves before resolving: a and b bankrupt, 1500 + 400 = 1900 from p and r (%zu deficits, %lld)",
     s.deficits, (long long)s.total_charged);

  /* the same two moves as a list alone, in the other order: the same figures */
  socloss_shock both[] = {{"ETH", -500000}, {"BTC", -200000}};
  socloss_sim_result s2;
  o.shock_market = NULL;
  o.shocks = both;
  o.nshocks = 2;
  is(socloss_simulate_with(fx.led, &o, &s2), SOCLOSS_OK, "the two moves as a list");
  ok(s2.deficits == 2 && s2.total_charged == 1900 && s2.charged == 2, "the same 2 deficits and 1900");

  /* ETH alone: a is short 1000 already at BTC 100, and b 400; p's profit
   * at 100 is 40 x 80 = 3200, r's 1000: 1400 charged to both */
  o.nshocks = 1;
  is(socloss_simulate_with(fx.led, &o, &s), SOCLOSS_OK, "ETH -50%% alone, from the list");
  ok(s.deficits == 2 && s.charged == 2 && s.total_charged == 1000 + 400, "a's 1000 and b's 400 (%zu, %lld)",
     s.deficits, (long long)s.total_charged);

  /* refusals, with the reason */
  socloss_shock twice[] = {{"BTC", -100000}, {"ETH", -10000}, {"BTC", -200000}};
  o.shocks = twice;
  o.nshocks = 3;
  is(socloss_simulate_with(fx.led, &o, &s), SOCLOSS_EINVAL, "a market moved twice");
  is_str(socloss_errmsg(fx.led), "shock: market 'BTC' is moved twice (shocks 1 and 3); give one move per market",
         "says which");
  o.shock_market = "BTC";
  o.shock_ppm = -200000;
  o.nshocks = 1;
  is(socloss_simulate_with(fx.led, &o, &s), SOCLOSS_EINVAL, "shock_market and the list, the same market");
  is_str(socloss_errmsg(fx.led), "shock: market 'BTC' is moved twice (shocks 1 and 2); give one move per market",
         "counted from shock_market");
  o.shock_market = NULL;
  socloss_shock all[] = {{"BTC", -1000000}};
  o.shocks = all;
  is(socloss_simulate_with(fx.led, &o, &s), SOCLOSS_EINVAL, "-100%%");
  is_str(socloss_errmsg(fx.led),
         "shock: a move of -1000000 ppm (-100%) on 'BTC' would make the mark 0 or less; it must be > -1000000 ppm (-100%)",
         "says why");
  /* 100 x (1e6 - 999999) / 1e6 = 0.0001, truncated to 0 */
  all[0].ppm = -999999;
  is(socloss_simulate_with(fx.led, &o, &s), SOCLOSS_EINVAL, "a move that truncates the mark to 0");
  is_str(socloss_errmsg(fx.led), "shock: 'BTC': its mark 100 moved by -999999 ppm would be 0, not a mark (1 to 9223372036854775807)",
         "says the mark it would be");
  socloss_shock nope[] = {{"BTC", -200000}, {"DOGE", 10000}};
  o.shocks = nope;
  o.nshocks = 2;
  is(socloss_simulate_with(fx.led, &o, &s), SOCLOSS_ENOTFOUND, "an unknown market in the list");
  is_str(socloss_errmsg(fx.led), "shock: unknown market 'DOGE'", "is named");
  o.shocks = NULL;
  is(socloss_simulate_with(fx.led, &o, &s), SOCLOSS_EINVAL, "nshocks with no list");
  o.account = "a";
  o.shocks = eth;
  o.nshocks = 1;
  is(socloss_simulate_with(fx.led, &o, &s), SOCLOSS_EINVAL, "an account and a shock");
  is_str(socloss_errmsg(fx.led), "simulate: give one account or one shock", "one or the other");
  ok(fp_equal(before, fp_of(fx.led)), "nothing was kept");
  free(pr);
  drop_ledger(fx.led, fx.dir);
}

/* ---- a scenario: steps, each its moves then the bankrupt resolved -------- */

/* The ledger of several_shocks.  pro_rata (scope "market") charges those in
 * profit in the bankrupt account's markets: a's 1500 to p (BTC), b's 400 to
 * r (ETH).  Two moves at once (one step): profits after both, p 4000 and
 * r 1000: shares 1500 / 4000 = 0.375 and 400 / 1000 = 0.4; Gini of (0.375,
 * 0.4) = 2 (0.375 + 2 x 0.4) / (2 x 0.775) - 3/2 = 2.35 / 1.55 - 1.5 = 1/62.
 * As two steps, BTC -20% then ETH -50%: profits are taken after the first
 * step's move, p 4000 and r 0 (ETH still at 100); the same 1500 and 400 are
 * charged, but only p counts for the shares: 0.375, Gini of one account 0. */
static void scenario_steps(void) {
  fixture fx;
  socloss_sim_options o;
  if (two_markets(&fx, &o)) return;
  char *pr = (char *)o.policy;
  socloss_sim_result s;
  fingerprint before = fp_of(fx.led);
  socloss_shock btc = {"BTC", -200000}, eth = {"ETH", -500000}, both[] = {{"BTC", -200000}, {"ETH", -500000}};
  socloss_sim_step one[] = {{both, 2, 0}};
  o.steps = one;
  o.nsteps = 1;
  is(socloss_simulate_with(fx.led, &o, &s), SOCLOSS_OK, "one step of two moves");
  ok(s.deficits == 2 && s.total_charged == 1900 && s.charged == 2 && fabs(s.largest_share - 0.4) < 1e-12,
     "2 deficits, 1900, largest share 0.4 (%zu, %lld, %.6f)", s.deficits, (long long)s.total_charged,
     s.largest_share);
  ok(fabs(s.gini - 1.0 / 62) < 1e-12, "Gini 1/62 (%.6f)", s.gini);
  socloss_sim_step two[] = {{&btc, 1, 1}, {&eth, 1, 0}};
  o.steps = two;
  o.nsteps = 2;
  is(socloss_simulate_with(fx.led, &o, &s), SOCLOSS_OK, "two steps, one move each");
  ok(s.deficits == 2 && s.failed == 0 && s.total_charged == 1900 && s.charged == 2 && s.bad_debt == 0,
     "2 deficits over the scenario, 1500 + 400 from p and r (%zu, %lld)", s.deficits, (long long)s.total_charged);
  ok(fabs(s.largest_share - 0.375) < 1e-12 && s.gini == 0, "largest share 1500 / 4000 = 0.375, Gini 0 (%.6f, %.6f)",
     s.largest_share, s.gini);
  is_str(s.split_account, "p", "p paid most");
  /* progress over the steps: step 1 has 1 bankrupt (a), step 2 1 more (b):
   * done of those so far, 1/1 then 2/2 */
  heard h = {"", 0, 0, NULL, NULL, 0};
  socloss_progress pg = {sizeof pg, hear, &h};
  o.progress = &pg;
  is(socloss_simulate_with(fx.led, &o, &s), SOCLOSS_OK, "with a progress callback");
  is_str(h.log, "deficits 1/1, deficits 2/2, split test 1/1, split test 2/2, ", "told of the steps' deficits in turn");
  o.progress = NULL;
  two[1].mode = 2;
  socloss_sim_result j;
  is(socloss_simulate_with(fx.led, &o, &j), SOCLOSS_OK, "the second step joint");
  ok(j.deficits == 2 && j.failed == 0 && j.total_charged == 1900 && fabs(j.largest_share - 0.375) < 1e-12,
     "one bankrupt in it: the same figures (%zu, %zu, %lld, %.6f)", j.deficits, j.failed, (long long)j.total_charged,
     j.largest_share);
  /* a step with no move: what is bankrupt then (a, at 100) resolved alone */
  socloss_sim_step none[] = {{NULL, 0, 0}, {&eth, 1, 0}};
  o.steps = none;
  is(socloss_simulate_with(fx.led, &o, &s), SOCLOSS_OK, "a first step with no move");
  ok(s.deficits == 2 && s.total_charged == 1000 + 400, "a's 1000 at BTC 100, then b's 400 (%lld)",
     (long long)s.total_charged);

  /* refusals */
  socloss_shock bad[] = {{"ETH", -10000}, {"DOGE", 10000}};
  socloss_sim_step unknown[] = {{&btc, 1, 0}, {bad, 2, 0}};
  o.steps = unknown;
  is(socloss_simulate_with(fx.led, &o, &s), SOCLOSS_ENOTFOUND, "an unknown market in step 2");
  is_str(socloss_errmsg(fx.led), "step 2: shock: unknown market 'DOGE'", "names the step");
  socloss_shock dup[] = {{"BTC", -10000}, {"BTC", -10000}};
  socloss_sim_step twice[] = {{&eth, 1, 0}, {dup, 2, 0}};
  o.steps = twice;
  is(socloss_simulate_with(fx.led, &o, &s), SOCLOSS_EINVAL, "a market twice in a step");
  is_str(socloss_errmsg(fx.led), "step 2: shock: market 'BTC' is moved twice (shocks 1 and 2); give one move per market",
         "names the step and the shocks");
  socloss_sim_step mode[] = {{&btc, 1, 3}};
  o.steps = mode;
  o.nsteps = 1;
  is(socloss_simulate_with(fx.led, &o, &s), SOCLOSS_EINVAL, "a mode that is not 0, 1 or 2");
  o.steps = two;
  o.shock_market = "ETH";
  o.shock_ppm = -10000;
  is(socloss_simulate_with(fx.led, &o, &s), SOCLOSS_EINVAL, "steps and a shock");
  is_str(socloss_errmsg(fx.led), "simulate: give one account, shocks or steps", "one or the other");
  ok(fp_equal(before, fp_of(fx.led)), "nothing was kept");
  free(pr);
  drop_ledger(fx.led, fx.dir);
}

/* The ledger's fallback and shadow settings apply in a simulation (a
 * shadow decides each deficit first, in a transaction thrown away, and
 * reads the real decision back from the journal; a failing policy falls
 * back), and neither changes what is charged: the figures are those of
 * pro_rata alone, sequential and joint.  The ledger three_shortfalls makes:
 * three shortfalls of 1500, p and r in profit 4000 and 3500 charged
 * 4500 between them. */
static void shadow_and_fallback(void) {
  fixture fx;
  if (three_shortfalls(&fx)) return;
  size_t len, tlen;
  char *pr = policy_text("pro_rata", &len), *ti = policy_text("tiered", &tlen);
  static const char failing[] = "return {name = 'failing', haircut = function(ctx) error('no') end}";
  socloss_sim_options o;
  fall_20(&o, pr, len);
  socloss_sim_result plain, s;
  for (int joint = 0; joint < 2; joint++) {
    const char *mode = joint ? "joint" : "sequential";
    o.joint = joint;
    o.policy = pr;
    o.policy_len = len;
    is(socloss_policy_set(fx.led, SOCLOSS_POLICY_SHADOW, NULL, 0, NULL), SOCLOSS_OK, "%s: no shadow", mode);
    is(socloss_simulate_with(fx.led, &o, &plain), SOCLOSS_OK, "%s: pro_rata alone", mode);
    is(plain.total_charged, 4500, "%s: 3 x 1500 charged", mode);
    is(socloss_policy_set(fx.led, SOCLOSS_POLICY_SHADOW, ti, tlen, NULL), SOCLOSS_OK, "%s: tiered as the shadow", mode);
    is(socloss_simulate_with(fx.led, &o, &s), SOCLOSS_OK, "%s: pro_rata with tiered shadowing it", mode);
    ok(memcmp(&s, &plain, sizeof s) == 0, "%s: the same figures, %lld charged, split delta %lld", mode,
       (long long)s.total_charged, (long long)s.split_delta);
    is(socloss_policy_set(fx.led, SOCLOSS_POLICY_FALLBACK, pr, len, NULL), SOCLOSS_OK, "%s: pro_rata the fallback", mode);
    o.policy = failing;
    o.policy_len = sizeof failing - 1;
    is(socloss_simulate_with(fx.led, &o, &s), SOCLOSS_OK, "%s: a policy that fails, falling back", mode);
    ok(s.deficits == 3 && s.failed == 0 && s.total_charged == 4500 && s.charged == plain.charged,
       "%s: the fallback's figures: 3 deficits, none failed, 4500 charged to %zu accounts", mode, s.charged);
    is(socloss_policy_set(fx.led, SOCLOSS_POLICY_FALLBACK, NULL, 0, NULL), SOCLOSS_OK, "%s: no fallback", mode);
  }
  socloss_policy_set(fx.led, SOCLOSS_POLICY_SHADOW, NULL, 0, NULL);
  ok(invariants_hold(fx.led), "the ledger's invariants hold");
  free(pr);
  free(ti);
  drop_ledger(fx.led, fx.dir);
}

/* socloss_simulate_many's refusals and a run stopped among others, on the
 * ledger three_shortfalls makes (three shortfalls of 1500). */
static int stop_second(void *ud, const char *phase, uint64_t done, uint64_t total) {
  (void)ud, (void)phase, (void)total;
  return done == 2;
}

static void many_runs(void) {
  fixture fx;
  if (three_shortfalls(&fx)) return;
  size_t len;
  char *pr = policy_text("pro_rata", &len);
  socloss_sim_options o[2];
  const socloss_sim_options *op[2] = {&o[0], &o[1]};
  socloss_sim_result out[2], alone;
  int codes[2] = {-1, -1};
  for (int k = 0; k < 2; k++) fall_20(&o[k], pr, len);
  fingerprint before = fp_of(fx.led);
  is(socloss_simulate_many(fx.led, op, 0, 0, out, codes), SOCLOSS_OK, "no runs: nothing to do");
  is(codes[0], -1, "and no code written");
  is(socloss_simulate_many(fx.led, NULL, 2, 0, out, codes), SOCLOSS_EINVAL, "no options: refused");
  o[1].shock_market = "DOGE";
  is(socloss_simulate_many(fx.led, op, 2, 0, out, codes), SOCLOSS_ENOTFOUND, "an unknown market in the second run");
  is_str(socloss_errmsg(fx.led), "shock: unknown market 'DOGE'", "its message");
  /* a market is looked up in the snapshot, by each run: the other runs */
  ok(codes[0] == SOCLOSS_OK && codes[1] == SOCLOSS_ENOTFOUND, "codes: the first ran (%d), the second refused (%d)",
     codes[0], codes[1]);
  is((int)out[0].deficits, 3, "the first run's 3 deficits");
  o[1].shock_market = "BTC";
  o[1].shock_ppm = -1000000;
  is(socloss_simulate_many(fx.led, op, 2, 0, out, codes), SOCLOSS_EINVAL, "a move of -100%% in the second run");
  ok(strstr(socloss_errmsg(fx.led), "would make the mark 0 or less") != NULL, "refused before any run: %s",
     socloss_errmsg(fx.led));
  o[1].shock_ppm = -200000;

  is(socloss_simulate_with(fx.led, &o[0], &alone), SOCLOSS_OK, "alone");
  for (unsigned threads = 1; threads <= 2; threads++) {
    is(socloss_simulate_many(fx.led, op, 2, threads, out, codes), SOCLOSS_OK, "%u thread(s): two runs", threads);
    ok(!memcmp(&out[0], &alone, sizeof alone) && !memcmp(&out[1], &alone, sizeof alone),
       "%u thread(s): both have the figures of the run alone (%lld charged)", threads, (long long)out[1].total_charged);
  }
  socloss_progress pg = {sizeof pg, stop_second, NULL};
  o[1].progress = &pg;
  is(socloss_simulate_many(fx.led, op, 2, 0, out, codes), SOCLOSS_ESTOP, "the second run stopped by its callback");
  ok(codes[0] == SOCLOSS_OK && codes[1] == SOCLOSS_ESTOP, "codes: the first ran through (%d), the second stopped (%d)",
     codes[0], codes[1]);
  is_str(socloss_errmsg(fx.led), "simulate stopped by the progress callback after 2 deficits", "with its message");
  ok(!memcmp(&out[0], &alone, sizeof alone), "the first run's figures are whole");
  ok(out[1].deficits == 2 && out[1].total_charged == 3000, "the second's are those of its 2 deficits: 2 x 1500");
  ok(fp_equal(before, fp_of(fx.led)), "nothing was written to the ledger");
  free(pr);
  drop_ledger(fx.led, fx.dir);
}

int main(void) {
  progress_and_stop();
  shadow_and_fallback();
  many_runs();
  several_shocks();
  scenario_steps();
  char dir[64];
  socloss *led = new_ledger(dir, 0);
  /* a 25 long at 100 (balance -1000); p, q short 10 at 180, r short 5 at
   * 180; q's balance -900.  Mark 80: a is 1500 short; profits p 1000,
   * q 1000 (equity 100), r 500. */
  socloss_source m = src_of("m", "market,mark_price\nBTC,100\n"),
                 a = src_of("a", "account,balance\na,-1000\np,4000\nq,-900\nr,4500\n"),
                 p = src_of("p", "account,market,size,entry_price\na,BTC,25,100\np,BTC,-10,180\nq,BTC,-10,180\nr,BTC,-5,180\n");
  ok(socloss_import_csv(led, &m, &a, &p, NULL) == SOCLOSS_OK, "the water-filling ledger");
  fingerprint before = fp_of(led);
  (void)before;
  size_t len;
  char *pr = policy_text("pro_rata", &len);
  socloss_sim_result s;
  /* a -20% shock: mark 100 -> 80 */
  is(socloss_simulate(led, pr, len, NULL, NULL, "BTC", -200000, &s), SOCLOSS_OK, "pro_rata on a 20%% fall");
  ok(s.deficits == 1 && s.failed == 0, "one bankruptcy");
  ok(s.charged == 3 && s.total_charged == 1500, "3 accounts charged 1500 (933 + 100 + 467)");
  ok(fabs(s.largest_share - 0.934) < 1e-12, "largest share 467 / 500 = 0.934 (%.6f)", s.largest_share);
  /* shares 0.1, 0.933, 0.934: G = 2 (0.1 + 1.866 + 2.802) / (3 x 1.967) - 4/3 */
  ok(fabs(s.gini - (2 * 4.768 / (3 * 1.967) - 4.0 / 3)) < 1e-9, "Gini %.6f", s.gini);
  ok(s.overshoot == 0 && s.fund_draw == 0 && s.bad_debt == 0, "no overshoot, no fund, no bad debt");
  /* split p (the largest payer) in two halves of 500 profit each: q's cap
   * binds, 1400 splits 3 ways 466.67: floors 466, the 2 odd atoms to the
   * lower ids p and p~2: 467 + 467 = 934, one atom more than p's 933 */
  ok(!strcmp(s.split_account, "p") && s.split_delta == 1, "split test: p in two pays 1 atom more (%s, %lld)",
     s.split_account, (long long)s.split_delta);

  /* the same run, told who paid: p 933 of its 1000 profit, q 100 of 1000,
   * r 467 of 500 (the split test's run is not told) */
  char who[256] = "";
  socloss_sim_options so;
  socloss_sim_options_init(&so);
  so.policy = pr;
  so.policy_len = len;
  so.shock_market = "BTC";
  so.shock_ppm = -200000;
  so.charge = on_charge;
  so.log_ud = who;
  is(socloss_simulate_with(led, &so, &s), SOCLOSS_OK, "pro_rata again, with the charge callback");
  is_str(who, "p 933/1000;q 100/1000;r 467/500;", "each account charged, in id order, with its profit");
  /* everyone: the same three (each in profit and charged), told after the
   * charged; a (bankrupt: no profit, charged nothing) is not told */
  who[0] = 0;
  so.each_account = on_charge;
  is(socloss_simulate_with(led, &so, &s), SOCLOSS_OK, "with the each_account callback too");
  is_str(who, "p 933/1000;q 100/1000;r 467/500;p 933/1000;q 100/1000;r 467/500;",
         "the charged, then everyone charged or in profit");
  /* no_split: the same figures (1500 over 3, shares up to 0.934), the
   * split test not run (p is not split: no split account, no delta) */
  so.each_account = NULL;
  so.no_split = 1;
  is(socloss_simulate_with(led, &so, &s), SOCLOSS_OK, "pro_rata with no_split");
  ok(s.deficits == 1 && s.charged == 3 && s.total_charged == 1500 && fabs(s.largest_share - 0.934) < 1e-12,
     "the same figures: 3 charged 1500, largest share 0.934");
  ok(s.split_account[0] == 0 && s.split_delta == 0, "no split account, no delta ('%s', %lld)", s.split_account,
     (long long)s.split_delta);
  so.no_split = 0;
  so.each_account = on_charge;

  /* p alone is not bankrupt: nothing to resolve */
  is(socloss_simulate(led, pr, len, NULL, "p", NULL, 0, &s), SOCLOSS_OK, "one account, not bankrupt");
  ok(s.deficits == 1 && s.failed == 1 && s.charged == 0, "counted as not resolved");
  /* told of everyone in profit though nobody paid: at mark 100, p and q
   * (short 10 at 180) 10 x 80 = 800 each, r (short 5) 400; a is long
   * below its entry (no profit) */
  who[0] = 0;
  so.charge = NULL;
  so.shock_market = NULL;
  so.shock_ppm = 0;
  so.account = "p";
  is(socloss_simulate_with(led, &so, &s), SOCLOSS_OK, "p alone, with the each_account callback");
  is_str(who, "p 0/800;q 0/800;r 0/400;", "every account in profit, charged 0");
  so.account = NULL;
  so.shock_market = "BTC";
  so.shock_ppm = -200000;
  so.charge = on_charge;
  so.each_account = NULL;

  /* adl after the shock, the whole position: price 80 + 1500/25 = 140, a
   * close costs its holder 60 a lot; by pnl p and q (1000) then r (500).
   * Each holder closes only what its equity bears, floor(E x 25 / 1500):
   * p 10 (of 83), q 1 (equity 100: floor(1.67)), r 5: 16 lots, 960 given
   * up; the fund takes the other 9 at mark and pays the 540 left of its
   * 700.  Shares given up / profit: p 600/1000, q 60/1000, r 300/500.  With
   * 700 in the fund, 800 was needed: ceil(800/60) = 14 lots; the other 2
   * closed at mark 80 are 160 of overshoot. */
  socloss_fund_transfer(led, 700);
  before = fp_of(led);
  char *adl = policy_text("adl", &len);
  is(socloss_simulate(led, adl, len, "{\"fund_first\":false,\"score\":\"pnl\"}", NULL, "BTC", -200000, &s),
     SOCLOSS_OK, "adl, whole positions, on the same fall");
  ok(s.charged == 3 && s.total_charged == 960, "3 accounts gave up 960 (600 + 60 + 300)");
  /* shares sorted 0.06, 0.6, 0.6: G = 2 (0.06 + 1.2 + 1.8) / (3 x 1.26) - 4/3 = 34/21 - 28/21 = 2/7 */
  ok(s.largest_share == 0.6 && fabs(s.gini - 2.0 / 7) < 1e-9, "largest share 0.6, Gini 2/7 (%.6f)", s.gini);
  ok(!strcmp(s.split_account, "p") && s.split_delta == 0, "split test: p's halves (5 lots each) give up the same 600");
  ok(s.overshoot == 160 && s.fund_draw == 540 && s.bad_debt == 0, "overshoot 2 lots x 80 = 160 (%lld), the fund 540",
     (long long)s.overshoot);
  /* what the closes cost their holders, per account: p 600, q 60, r 300 */
  who[0] = 0;
  so.policy = adl;
  so.policy_len = len;
  so.params = "{\"fund_first\":false,\"score\":\"pnl\"}";
  is(socloss_simulate_with(led, &so, &s), SOCLOSS_OK, "adl again, with the charge callback");
  is_str(who, "p 600/1000;q 60/1000;r 300/500;", "the closes' cost, per account");
  is(socloss_simulate(led, adl, len, "{\"score\":\"pnl\"}", NULL, "BTC", -200000, &s), SOCLOSS_OK, "adl, fund first");
  ok(s.overshoot == 0 && s.total_charged == 840 && s.fund_draw == 660,
     "14 lots give up 840, the fund pays the other 660, no overshoot");
  ok(fp_equal(before, fp_of(led)), "nothing was kept");
  is(socloss_simulate(led, adl, len, NULL, NULL, "ETH", -1000, &s), SOCLOSS_ENOTFOUND, "an unknown market");
  is_str(socloss_errmsg(led), "shock: unknown market 'ETH'", "is named");
  free(pr);
  free(adl);
  drop_ledger(led, dir);
  return done_testing();
}
