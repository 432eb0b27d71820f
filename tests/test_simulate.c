/*
 * simulate: the fairness figures, checked against values computed by hand;
 * nothing is kept.
 */
#include <math.h>

#include "util.h"

int main(void) {
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
  is(socloss_simulate(led, pr, len, NULL, NULL, "BTC", -200000, &s), SOCLOSS_OK, "pro_rata on a 20% fall");
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

  /* p alone is not bankrupt: nothing to resolve */
  is(socloss_simulate(led, pr, len, NULL, "p", NULL, 0, &s), SOCLOSS_OK, "one account, not bankrupt");
  ok(s.deficits == 1 && s.failed == 1 && s.charged == 0, "counted as not resolved");

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
