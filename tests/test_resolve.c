/*
 * Deficit resolution, worked by hand: the numbers in each comment are the
 * expected values, computed from the rules of docs/design.md without the code.  After
 * every resolution the invariants are checked.
 */
#include "resolve.h" /* the handle's last result, for the one-path test */
#include "util.h"

static int dry;  /* resolve() makes dry runs while set */

static int resolve(fixture *fx, const char *account, const char *policy, const char *params, const char *id,
                   const socloss_resolution **r) {
  size_t len = 0;
  char *src = policy_text(policy, &len);
  socloss_resolve_options o;
  socloss_resolve_options_init(&o);
  o.policy = src;
  o.policy_len = len;
  o.params = params;
  o.id = id;
  o.dry_run = dry;
  int rc = socloss_resolve(fx->led, account, &o, r);
  if (rc) diag("resolve: %s", socloss_errmsg(fx->led));
  free(src);
  return rc;
}

/* b, c, d have equal profits of 18; 10 atoms to share: 3 each and the odd
 * atom to the lowest id, b. */
static void dust_and_ties(void) {
  fixture fx;
  const socloss_resolution *r;
  fixture_make(&fx, "market,mark_price\nBTC,100\n", "account,balance\na,44\nb,1000\nc,1000\nd,1000\n",
               "account,market,size,entry_price\na,BTC,9,100\nb,BTC,-3,100\nc,BTC,-3,100\nd,BTC,-3,100\n",
               "{\"type\":\"market\",\"market\":\"BTC\",\"mark\":94}\n");
  is(view(fx.led, "a").equity, -10, "a is 10 atoms short: 44 + 9 x (94 - 100)");
  is(resolve(&fx, "a", "pro_rata", NULL, "d1", &r), SOCLOSS_OK, "pro_rata resolves it");
  is_str(r->status, "applied", "status applied");
  is(r->equity, -10, "equity recorded");
  ok(r->ntakeovers == 1 && r->takeovers[0].size == 9 && r->takeovers[0].price == 94, "the fund takes 9 lots at mark 94");
  is(r->fund_draw, 0, "an empty fund pays nothing");
  ok(r->nhaircuts == 3 && haircut_of(r, "b") == 4 && haircut_of(r, "c") == 3 && haircut_of(r, "d") == 3,
     "haircuts 4, 3, 3: the dust atom to the lower id");
  is(r->bad_debt, 0, "no bad debt");
  /* rules 2: the haircut comes out of b's profit (short 3 at 100, mark 94:
   * upnl 18): its cost rises from -300 to -296, its balance stays 1000 */
  acct_view vb = view(fx.led, "b");
  ok(vb.balance == 1000 && pos_in(&vb, "BTC").cost == -296 && vb.equity == 1014 && view(fx.led, "a").balance == 0,
     "b paid 4 out of its profit (cost -300 -> -296, balance 1000, equity 1018 - 4); a ends at zero");
  acct_view f = view(fx.led, "");
  ok(f.npositions == 1 && f.pos[0].size == 9 && f.pos[0].cost == 846, "the fund holds 9 lots at cost 846");
  ok(invariants_hold(fx.led), "invariants after the resolution");
  fingerprint before = fp_of(fx.led);
  is(resolve(&fx, "a", "pro_rata", NULL, "d1", &r), SOCLOSS_EEXIST, "the same deficit id again is refused");
  is_str(socloss_errmsg(fx.led), "id: deficit 'd1' was already resolved (journal record 12)", "naming its record");
  ok(fp_equal(before, fp_of(fx.led)), "and nothing is written");
  is(resolve(&fx, "b", "pro_rata", NULL, "d2", &r), SOCLOSS_ENOTBANKRUPT, "a solvent account is refused");
  is_str(socloss_errmsg(fx.led), "account: 'b' is not bankrupt (equity 1014)", "with its equity");
  is(resolve(&fx, "zed", "pro_rata", NULL, "d3", &r), SOCLOSS_ENOTFOUND, "an unknown account is refused");
  is_str(socloss_errmsg(fx.led), "account: unknown account 'zed'", "by name");
  ok(fp_equal(before, fp_of(fx.led)), "nothing written by the refusals");
  drop_ledger(fx.led, fx.dir);
}

/* Profits p 1000, q 1000, r 500; q's equity is only 100.  1500 to share:
 * q pays its cap 100, the 1400 left splits 2:1 between p and r, 933.33 and
 * 466.67: floors 933 and 466, the odd atom to r's larger remainder. */
static const char *WF_MARKETS = "market,mark_price\nBTC,100\n";
static const char *WF_POSITIONS =
    "account,market,size,entry_price\na,BTC,25,100\np,BTC,-10,180\nq,BTC,-10,180\nr,BTC,-5,180\n";

static void water_filling(void) {
  fixture fx;
  const socloss_resolution *r;
  fixture_make(&fx, WF_MARKETS, "account,balance\na,-1000\np,4000\nq,-900\nr,4500\n", WF_POSITIONS,
               "{\"type\":\"market\",\"market\":\"BTC\",\"mark\":80}\n");
  is(view(fx.led, "a").equity, -1500, "a: -1000 + 25 x (80 - 100)");
  is(view(fx.led, "q").equity, 100, "q: -900 + 1000 of profit");
  is(resolve(&fx, "a", "pro_rata", NULL, NULL, &r), SOCLOSS_OK, "resolves");
  ok(haircut_of(r, "p") == 933 && haircut_of(r, "q") == 100 && haircut_of(r, "r") == 467,
     "p 933, q 100 (its cap binds), r 467");
  is(r->bad_debt, 0, "no bad debt");
  is(view(fx.led, "q").equity, 0, "q is left at zero equity, not below");
  ok(invariants_hold(fx.led), "invariants");
  drop_ledger(fx.led, fx.dir);

  /* the same, 5500 short: all caps together are 1600 */
  fixture_make(&fx, WF_MARKETS, "account,balance\na,-5000\np,4000\nq,-900\nr,4500\n", WF_POSITIONS,
               "{\"type\":\"market\",\"market\":\"BTC\",\"mark\":80}\n");
  is(resolve(&fx, "a", "pro_rata", NULL, NULL, &r), SOCLOSS_OK, "a shortfall beyond all profit resolves");
  ok(haircut_of(r, "p") == 1000 && haircut_of(r, "q") == 100 && haircut_of(r, "r") == 500,
     "everyone pays its cap: 1000, 100, 500");
  is(r->bad_debt, 3900, "the other 3900 is bad debt");
  socloss_totals t;
  ok(socloss_totals_get(fx.led, &t) == 0 && t.bad_debt == 3900, "the ledger's bad debt is 3900");
  ok(invariants_hold(fx.led), "conservation holds with the bad debt");
  drop_ledger(fx.led, fx.dir);
}

/* Nobody is in profit: no haircut; the fund pays what it has. */
static void fund_and_empty(void) {
  const char *A = "account,balance\na,-300\nb,1000\n",
             *P = "account,market,size,entry_price\na,BTC,10,100\nb,BTC,-10,100\n";
  fixture fx;
  const socloss_resolution *r;
  fixture_make(&fx, WF_MARKETS, A, P, NULL);
  is(resolve(&fx, "a", "pro_rata", NULL, NULL, &r), SOCLOSS_OK, "no profitable candidate, empty fund");
  ok(r->nhaircuts == 0 && r->fund_draw == 0 && r->bad_debt == 300, "no haircut, all 300 bad debt");
  ok(invariants_hold(fx.led), "invariants");
  drop_ledger(fx.led, fx.dir);

  fixture_make(&fx, WF_MARKETS, A, P, "{\"type\":\"fund\",\"amount\":200}\n");
  is(resolve(&fx, "a", "pro_rata", NULL, NULL, &r), SOCLOSS_OK, "a fund of 200");
  ok(r->fund_draw == 200 && r->bad_debt == 100, "pays 200; 100 is bad debt");
  is(view(fx.led, "").balance, 0, "the fund is empty after");
  ok(invariants_hold(fx.led), "invariants");
  drop_ledger(fx.led, fx.dir);

  fixture_make(&fx, WF_MARKETS, A, P, "{\"type\":\"fund\",\"amount\":1000}\n");
  is(resolve(&fx, "a", "pro_rata", NULL, NULL, &r), SOCLOSS_OK, "a fund of 1000");
  ok(r->fund_draw == 300 && r->bad_debt == 0 && r->nhaircuts == 0, "covers all 300; no haircut asked");
  is(view(fx.led, "").balance, 700, "700 left in the fund");
  socloss_limits lim;
  ok(socloss_limits_get(fx.led, &lim) == 0 && lim.fund_max_draw == 0, "no cap by default");
  ok(invariants_hold(fx.led), "invariants");
  drop_ledger(fx.led, fx.dir);

  fixture_make(&fx, WF_MARKETS, A, P, "{\"type\":\"fund\",\"amount\":1000}\n");
  socloss_limits_get(fx.led, &lim);
  lim.fund_max_draw = 120;
  ok(socloss_limits_set(fx.led, &lim) == 0, "cap the fund at 120 per deficit");
  is(resolve(&fx, "a", "pro_rata", NULL, NULL, &r), SOCLOSS_OK, "resolves");
  ok(r->fund_draw == 120 && r->bad_debt == 180, "draws 120; 180 bad debt");
  ok(invariants_hold(fx.led), "invariants");
  drop_ledger(fx.led, fx.dir);
}

/* a long 8 at 100, mark 90: 80 short, bankruptcy price 90 + 80/8 = 100.
 * Ranked by pnl: s1 (80), s2 (30), s3 (10); 8 lots: 4, 3, then 1 of s3's 2. */
static void adl_partial(void) {
  fixture fx;
  const socloss_resolution *r;
  fixture_make(&fx, WF_MARKETS, "account,balance\na,0\ns1,1000\ns2,1000\ns3,1000\nl1,1000\n",
               "account,market,size,entry_price\na,BTC,8,100\ns1,BTC,-4,110\ns2,BTC,-3,100\ns3,BTC,-2,95\nl1,BTC,1,100\n",
               "{\"type\":\"market\",\"market\":\"BTC\",\"mark\":90}\n");
  is(resolve(&fx, "a", "adl", "{\"fund_first\":false,\"score\":\"pnl\"}", NULL, &r), SOCLOSS_OK, "adl resolves");
  ok(r->ndeleveraged == 3, "three closes");
  ok(r->ndeleveraged == 3 && !strcmp(r->deleveraged[0].account, "s1") && r->deleveraged[0].size == 4 &&
         !strcmp(r->deleveraged[1].account, "s2") && r->deleveraged[1].size == 3 &&
         !strcmp(r->deleveraged[2].account, "s3") && r->deleveraged[2].size == 1,
     "s1 4, s2 3, s3 1 (partly)");
  ok(r->ndeleveraged == 3 && r->deleveraged[0].price == 100 && r->deleveraged[2].price == 100,
     "all at the bankruptcy price 100");
  ok(r->ntakeovers == 0 && r->fund_draw == 0 && r->bad_debt == 0, "nothing left for the fund");
  ok(view(fx.led, "s1").balance == 1040 && view(fx.led, "s1").npositions == 0, "s1 closed, realized 440 - 400");
  acct_view s3 = view(fx.led, "s3");
  ok(s3.balance == 995 && pos_in(&s3, "BTC").size == -1 && pos_in(&s3, "BTC").cost == -95,
     "s3 keeps -1 at cost -95, realized -5");
  ok(invariants_hold(fx.led), "invariants");
  drop_ledger(fx.led, fx.dir);

  /* fund first: the fund's 50 leaves 30 to cover, ceil(30 / 10) = 3 lots */
  fixture_make(&fx, WF_MARKETS, "account,balance\na,0\ns1,1000\ns2,1000\ns3,1000\nl1,1000\n",
               "account,market,size,entry_price\na,BTC,8,100\ns1,BTC,-4,110\ns2,BTC,-3,100\ns3,BTC,-2,95\nl1,BTC,1,100\n",
               "{\"type\":\"market\",\"market\":\"BTC\",\"mark\":90}\n{\"type\":\"fund\",\"amount\":50}\n");
  is(resolve(&fx, "a", "adl", "{\"score\":\"pnl\"}", NULL, &r), SOCLOSS_OK, "adl, fund first");
  ok(r->ndeleveraged == 1 && !strcmp(r->deleveraged[0].account, "s1") && r->deleveraged[0].size == 3,
     "3 lots from s1 only");
  ok(r->ntakeovers == 1 && r->takeovers[0].size == 5, "the fund takes the other 5 lots at mark");
  ok(r->fund_draw == 50 && r->bad_debt == 0, "and pays the remaining 50");
  ok(invariants_hold(fx.led), "invariants");
  drop_ledger(fx.led, fx.dir);
}

/* Two markets, 201 short: notionals 900 and 900 split it 101 / 100 (the odd
 * atom to the lower market id); prices 90 + trunc(101/10) = 100 and
 * 45 + 100/20 = 50; the 1 atom lost to rounding is bad debt. */
static void two_markets(void) {
  fixture fx;
  const socloss_resolution *r;
  fixture_make(&fx, "market,mark_price\nBTC,100\nETH,50\n", "account,balance\na,-1\nb,1000\nc,1000\n",
               "account,market,size,entry_price\na,BTC,10,100\na,ETH,20,50\nb,BTC,-10,100\nc,ETH,-20,50\n",
               "{\"type\":\"market\",\"market\":\"BTC\",\"mark\":90}\n{\"type\":\"market\",\"market\":\"ETH\",\"mark\":45}\n");
  is(view(fx.led, "a").equity, -201, "a: -1 - 100 - 100");
  is(resolve(&fx, "a", "adl", "{\"fund_first\":false}", NULL, &r), SOCLOSS_OK, "adl over two markets");
  ok(r->ndeleveraged == 2 && r->deleveraged[0].price == 100 && r->deleveraged[1].price == 50,
     "bankruptcy prices 100 (BTC) and 50 (ETH)");
  ok(r->ndeleveraged == 2 && !strcmp(r->deleveraged[0].market, "BTC") && r->deleveraged[0].size == 10 &&
         !strcmp(r->deleveraged[1].market, "ETH") && r->deleveraged[1].size == 20,
     "closes 10 BTC with b and 20 ETH with c");
  /* rules 2: the transfers are exact, d x q / |size|: BTC 101 x 10 / 10 = 101,
   * ETH 100 x 20 / 20 = 100, so no atom is lost (under rules 1 the rounded
   * prices moved 100 + 100 and 1 atom was bad debt) */
  ok(r->rules == 2 && r->transfers[0] == 101 && r->transfers[1] == 100 && r->shares[0] == 10000,
     "transfers 101 (BTC) and 100 (ETH), full share");
  ok(r->fund_draw == 0 && r->bad_debt == 0, "no atom lost: no bad debt");
  /* b: short 10 at 100 closed at mark 90 realizes +100, then pays 101;
   * c: short 20 at 50 closed at 45 realizes +100, then pays 100 */
  ok(view(fx.led, "b").balance == 999 && view(fx.led, "c").balance == 1000, "b ends at 1000 + 100 - 101, c at 1000 + 100 - 100");
  ok(invariants_hold(fx.led), "invariants");
  drop_ledger(fx.led, fx.dir);
}

/* Tiered: profits 800 (all in the 10% bracket) and 3000 (1000 at 10%, 2000
 * at 20%) weigh 80 and 500; 580 to share: exactly 80 and 500. */
static void tiered(void) {
  fixture fx;
  const socloss_resolution *r;
  fixture_make(&fx, WF_MARKETS, "account,balance\na,-580\nb,10000\nc,10000\n",
               "account,market,size,entry_price\na,BTC,38,100\nb,BTC,-8,200\nc,BTC,-30,200\n", NULL);
  is(view(fx.led, "a").equity, -580, "a is 580 short");
  is(resolve(&fx, "a", "tiered", "{\"tiers\":[{\"upto\":1000,\"rate\":1000},{\"rate\":2000}]}", NULL, &r),
     SOCLOSS_OK, "tiered resolves");
  ok(haircut_of(r, "b") == 80 && haircut_of(r, "c") == 500, "b 80, c 500");
  ok(r->bad_debt == 0, "no bad debt");
  ok(invariants_hold(fx.led), "invariants");
  drop_ledger(fx.led, fx.dir);
}

/* Same ledger, same policy: byte-identical decisions on two copies. */
static void determinism(void) {
  fixture a, b;
  const socloss_resolution *r;
  const char *events = "{\"type\":\"market\",\"market\":\"BTC\",\"mark\":80}\n";
  fixture_make(&a, WF_MARKETS, "account,balance\na,-1000\np,4000\nq,-900\nr,4500\n", WF_POSITIONS, events);
  fixture_make(&b, WF_MARKETS, "account,balance\na,-1000\np,4000\nq,-900\nr,4500\n", WF_POSITIONS, events);
  const char *pols[] = {"pro_rata", "tiered", "adl"};
  fingerprint fa = fp_of(a.led);
  dry = 1;
  for (int k = 0; k < 3; k++) {
    char *ja, *jb;
    resolve(&a, "a", pols[k], "{}", "same", &r);
    socloss_resolution ra = *r;
    ra.policy_us = 0;
    ja = socloss_resolution_json(&ra);
    resolve(&b, "a", pols[k], "{}", "same", &r);
    socloss_resolution rb = *r;
    rb.policy_us = 0;
    jb = socloss_resolution_json(&rb);
    is_str(ja, jb, "%s decides the same on both copies", pols[k]);
    free(ja);
    free(jb);
  }
  dry = 0;
  ok(fp_equal(fa, fp_of(a.led)), "dry runs write nothing");
  ok(invariants_hold(a.led) && invariants_hold(b.led), "invariants on both");
  drop_ledger(a.led, a.dir);
  drop_ledger(b.led, b.dir);
}

/* Deficits as events in a batch, one transaction with the other events. */
static void deficit_events(void) {
  fixture fx;
  char ev[1024];
  fixture_make(&fx, "market,mark_price\nBTC,100\n", "account,balance\na,44\nb,1000\nc,1000\nd,1000\n",
               "account,market,size,entry_price\na,BTC,9,100\nb,BTC,-3,100\nc,BTC,-3,100\nd,BTC,-3,100\n", NULL);
  snprintf(ev, sizeof ev,
           "{\"type\":\"market\",\"market\":\"BTC\",\"mark\":94}\n"
           "{\"type\":\"deficit\",\"id\":\"crash-a\",\"account\":\"a\",\"policy\":\"%s/policies/pro_rata.lua\"}\n"
           "{\"type\":\"deposit\",\"account\":\"b\",\"amount\":4}\n",
           SOCLOSS_SOURCE_DIR);
  socloss_source src = src_of("shock.jsonl", ev);
  size_t n = 0;
  is(socloss_apply_jsonl(fx.led, &src, &n), SOCLOSS_OK, "a shock, a deficit and a deposit in one batch");
  is(n, 3, "three events");
  /* rules 2: the haircuts (4, 3, 3) come out of the shorts' profit (18 each),
   * so the balances only see the deposit */
  acct_view vc = view(fx.led, "c");
  ok(view(fx.led, "b").balance == 1004 && vc.balance == 1000 && pos_in(&vc, "BTC").cost == -297 &&
         view(fx.led, "a").balance == 0,
     "b paid 4 out of profit and deposited 4 (balance 1004); c paid 3 (cost -300 -> -297); a is at zero");
  socloss_totals t;
  ok(socloss_totals_get(fx.led, &t) == 0 && t.journal_seq == 13,
     "records: 9 imported, mark, the policy registered, deficit, deposit");
  ok(invariants_hold(fx.led), "invariants, replay included");
  drop_ledger(fx.led, fx.dir);

  /* a failing policy refuses the whole batch... */
  const char *bad = "return {name = 'bad', haircut = function() error('no') end}";
  fixture_make(&fx, "market,mark_price\nBTC,100\n", "account,balance\na,44\nb,1000\nc,1000\nd,1000\n",
               "account,market,size,entry_price\na,BTC,9,100\nb,BTC,-3,100\nc,BTC,-3,100\nd,BTC,-3,100\n",
               "{\"type\":\"market\",\"market\":\"BTC\",\"mark\":94}\n");
  ok(socloss_policy_set(fx.led, SOCLOSS_POLICY_ACTIVE, bad, strlen(bad), NULL) == 0, "a failing active policy");
  fingerprint f = fp_of(fx.led);
  socloss_source one = src_of("d.jsonl", "{\"type\":\"deposit\",\"account\":\"b\",\"amount\":4}\n"
                                         "{\"type\":\"deficit\",\"id\":\"x\",\"account\":\"a\"}\n");
  is(socloss_apply_jsonl(fx.led, &one, &n), SOCLOSS_EPOLICY, "the batch is refused");
  ok(strstr(socloss_errmsg(fx.led), "d.jsonl:2: policy 'bad'") && strstr(socloss_errmsg(fx.led), "raised an error in haircut: bad@1:1: no"),
     "naming the line, the policy and the error (where: its registry entry, bad@1)");
  ok(fp_equal(f, fp_of(fx.led)), "nothing of it written");
  /* ...unless the fallback resolves it */
  size_t len = 0;
  char *text = policy_text("pro_rata", &len);
  ok(socloss_policy_set(fx.led, SOCLOSS_POLICY_FALLBACK, text, len, NULL) == 0, "pro_rata as the fallback");
  free(text);
  is(socloss_apply_jsonl(fx.led, &one, &n), SOCLOSS_OK, "the batch goes through");
  ok(socloss_totals_get(fx.led, &t) == 0 && t.journal_seq == f.seq + 2 + 3,
     "records: fallback registered and set, deposit, failure, deficit");
  ok(view(fx.led, "a").balance == 0 && view(fx.led, "b").balance == 1004 && view(fx.led, "b").equity == 1018,
     "resolved by the fallback: b deposited 4 and paid 4 out of its 18 of profit (equity 1000 + 4 + 18 - 4)");
  ok(invariants_hold(fx.led), "invariants");
  drop_ledger(fx.led, fx.dir);
}

/* Group commit: five deficits, one transaction; each fails or lands alone. */
static void group_commit(void) {
  fixture fx;
  fixture_make(&fx, "market,mark_price\nBTC,100\n", "account,balance\na1,-100\na2,-50\na3,-10\np,1000\n",
               "account,market,size,entry_price\na1,BTC,10,100\na2,BTC,10,100\na3,BTC,5,100\np,BTC,-25,120\n", NULL);
  const char *pol =
      "return {name = 'p_pays', haircut = function(ctx)\n"
      "  if ctx.deficit.account == 'a2' then error('not a2') end\n"
      "  return {{account = 'p', amount = ctx.deficit.shortfall}}\n"
      "end}";
  socloss_resolve_options o;
  socloss_resolve_options_init(&o);
  o.policy = pol;
  o.policy_len = strlen(pol);
  socloss_batch_item it[5] = {{"d1", "a1", 0, 0, ""}, {"d2", "a2", 0, 0, ""}, {"d3", "p", 0, 0, ""},
                              {"d1", "a3", 0, 0, ""}, {"d4", "a3", 0, 0, ""}};
  socloss_totals t0, t1;
  socloss_totals_get(fx.led, &t0);
  is(socloss_resolve_batch(fx.led, it, 5, &o), SOCLOSS_OK, "the batch commits");
  ok(it[0].code == SOCLOSS_OK && it[0].seq == t0.journal_seq + 2, "a1 resolved, record %llu (after its policy's registry record)",
     (unsigned long long)it[0].seq);
  is(it[1].code, SOCLOSS_EPOLICY, "a2's policy failure is a2's alone");
  /* the source, not named by the host, is in the registry since a1's decision */
  ok(strstr(it[1].message, "raised an error in haircut: p_pays@1:2: not a2") != NULL, "with its cause: %s", it[1].message);
  is(it[2].code, SOCLOSS_ENOTBANKRUPT, "p is not bankrupt");
  is_str(it[2].message, "account: 'p' is not bankrupt (equity 1400)", "and says so: 1000 + 500 of profit - a1's 100");
  is(it[3].code, SOCLOSS_EEXIST, "a repeated deficit id is refused");
  ok(it[4].code == SOCLOSS_OK && it[4].seq == t0.journal_seq + 4, "a3 resolved after them (record %llu)",
     (unsigned long long)it[4].seq);
  socloss_totals_get(fx.led, &t1);
  is(t1.journal_seq, t0.journal_seq + 4, "four records: the policy registered, a1, a2's failure, a3");
  ok(view(fx.led, "a1").balance == 0 && view(fx.led, "a2").equity == -50 && view(fx.led, "a3").balance == 0,
     "a1 and a3 at zero, a2 untouched");
  /* rules 2: out of p's profit (short 25 at 120, mark 100: 500), so its
   * balance stays 1000 and its equity falls from 1500 to 1390 */
  ok(view(fx.led, "p").balance == 1000 && view(fx.led, "p").equity == 1390, "p paid 100 + 10 out of its profit");
  ok(invariants_hold(fx.led), "invariants, replay included");
  drop_ledger(fx.led, fx.dir);
}

/* Hot swap: another process activates a policy while this handle stays
 * open; the next deficit uses it. */
static void hot_swap(void) {
  fixture fx;
  fixture_make(&fx, "market,mark_price\nBTC,100\n", "account,balance\na1,-100\na2,-50\np,1000\n",
               "account,market,size,entry_price\na1,BTC,10,100\na2,BTC,10,100\np,BTC,-20,120\n", NULL);
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "'%s/socloss' policy set '%s' '%s/policies/pro_rata.lua' 2>/dev/null", SOCLOSS_BINARY_DIR,
           fx.dir, SOCLOSS_SOURCE_DIR);
  is(system(cmd), 0, "the CLI sets pro_rata while the handle is open");
  socloss_resolve_options o;
  socloss_resolve_options_init(&o);
  o.id = "first";
  const socloss_resolution *r;
  ok(socloss_resolve(fx.led, "a1", &o, &r) == SOCLOSS_OK && !strcmp(r->policy_name, "pro_rata"),
     "the open handle resolves with pro_rata");
  snprintf(cmd, sizeof cmd, "'%s/socloss' policy set '%s' '%s/policies/adl.lua' 2>/dev/null", SOCLOSS_BINARY_DIR,
           fx.dir, SOCLOSS_SOURCE_DIR);
  is(system(cmd), 0, "the CLI swaps in adl");
  o.id = "second";
  ok(socloss_resolve(fx.led, "a2", &o, &r) == SOCLOSS_OK && !strcmp(r->policy_name, "adl") && r->ndeleveraged == 1,
     "the next deficit, same handle, no restart: adl deleverages");
  ok(invariants_hold(fx.led), "invariants");
  drop_ledger(fx.led, fx.dir);
}


static char heard[4096];

static void hear(void *ud, const char *message) {
  (void)ud;
  size_t n = strlen(heard);
  snprintf(heard + n, sizeof heard - n, "%s\n", message);
}

static int count_failed(void *ud, uint64_t seq, const char *json) {
  (void)seq;
  if (strstr(json, "\"type\":\"deficit_failed\"")) ++*(int *)ud;
  return 0;
}

/* A deficit comes through resolve, a batch or an applied file, and each
 * takes the one path: a failing policy is journaled, told to the host's log
 * and leaves a "failed" result on the handle. */
static void one_path(void) {
  fixture fx;
  fixture_make(&fx, "market,mark_price\nBTC,100\n", "account,balance\na1,-100\na2,-50\na3,-10\np,1000\n",
               "account,market,size,entry_price\na1,BTC,10,100\na2,BTC,10,100\na3,BTC,5,100\np,BTC,-25,120\n", NULL);
  socloss_close(fx.led);
  socloss_options oo;
  socloss_options_init(&oo);
  oo.unsafe_nosync = 1;
  oo.evaluator = SOCLOSS_BINARY_DIR "/socloss-eval";
  oo.log = hear;
  ok(socloss_open(&fx.led, fx.dir, &oo) == SOCLOSS_OK, "reopened with a log callback");
  const char *bad = "return {name = 'bad', haircut = function(ctx) error('no ' .. ctx.deficit.account) end}";
  socloss_resolve_options o;
  socloss_resolve_options_init(&o);
  o.policy = bad;
  o.policy_len = strlen(bad);
  fingerprint f0 = fp_of(fx.led);

  /* resolve */
  heard[0] = 0;
  o.id = "lone";
  const socloss_resolution *r = NULL;
  is(socloss_resolve(fx.led, "a1", &o, &r), SOCLOSS_EPOLICY, "resolve: the policy fails");
  ok(r && !strcmp(r->status, "failed"), "resolve: a failed result");
  ok(strstr(heard, "deficit lone of a1: policy 'bad' (") && strstr(heard, "raised an error in haircut: policy:1: no a1"),
     "resolve: the log heard it");

  /* a batch */
  heard[0] = 0;
  o.id = NULL;
  socloss_batch_item it[1] = {{"b2", "a2", 0, 0, ""}};
  is(socloss_resolve_batch(fx.led, it, 1, &o), SOCLOSS_OK, "batch: commits");
  is(it[0].code, SOCLOSS_EPOLICY, "batch: the item failed");
  ok(fx.led->res && !strcmp(fx.led->res->r.status, "failed") && !strcmp(fx.led->res->r.account, "a2"),
     "batch: a failed result for a2");
  ok(strstr(heard, "deficit b2 of a2: policy 'bad' (") && strstr(heard, "no a2"), "batch: the log heard it");

  /* an applied file */
  heard[0] = 0;
  ok(socloss_policy_set(fx.led, SOCLOSS_POLICY_ACTIVE, bad, strlen(bad), NULL) == SOCLOSS_OK, "bad is active");
  socloss_source ev = src_of("e.jsonl", "{\"type\":\"deficit\",\"id\":\"e3\",\"account\":\"a3\"}\n");
  is(socloss_apply_jsonl(fx.led, &ev, NULL), SOCLOSS_EPOLICY, "apply: the file is refused");
  ok(fx.led->res && !strcmp(fx.led->res->r.status, "failed") && !strcmp(fx.led->res->r.account, "a3"),
     "apply: a failed result for a3");
  ok(strstr(heard, "deficit e3 of a3: policy 'bad' (") && strstr(heard, "no a3"), "apply: the log heard it");

  int failures = 0;
  socloss_journal(fx.led, 0, count_failed, &failures);
  is(failures, 2, "two failures journaled: resolve's and the batch's (the refused file wrote nothing)");
  socloss_totals t;
  socloss_totals_get(fx.led, &t);
  /* a policy that decided nothing enters the registry only when it is set */
  is(t.journal_seq, f0.seq + 4, "records: 2 failures, bad added to the registry, bad set as active");
  ok(view(fx.led, "a1").equity == -100 && view(fx.led, "a2").equity == -50 && view(fx.led, "a3").equity == -10,
     "nobody was resolved");
  ok(invariants_hold(fx.led), "invariants");
  drop_ledger(fx.led, fx.dir);
}

/* A policy that closes what its params say: {"closes": [[account, market,
 * lots [, share]], ...]}, in that order. */
static const char *closer =
    "return {name = 'closer', deleverage = function(ctx)\n"
    "  local out = {}\n"
    "  for i, x in ipairs(ctx.params.closes) do out[i] = {account = x[1], market = x[2], size = x[3], share = x[4]} end\n"
    "  return out\n"
    "end}";

static int close_with(fixture *fx, const char *account, const char *closes, const socloss_resolution **r) {
  socloss_resolve_options o;
  socloss_resolve_options_init(&o);
  o.policy = closer;
  o.policy_len = strlen(closer);
  o.params = closes;
  return socloss_resolve(fx->led, account, &o, r);
}

/* Rules 2, worked by hand: haircuts out of profit across a cascade, exact
 * transfers at any lot size, the spare atoms, and closes that would make or
 * deepen a bankruptcy refused. */
static void rules2(void) {
  fixture fx;
  const socloss_resolution *r;

  /* Three accounts at -300 each (long 10 at 100, mark 80, balance -100:
   * -100 + 800 - 1000) against one short with 600 of profit (short 30 at
   * 100: -2400 + 3000), balance 1000, an empty fund.  pro_rata caps each
   * charge at min(profit, equity): a1 takes 300 of the 600 (cost -3000 ->
   * -2700, profit 300 left), a2 the other 300 (profit 0), a3 finds no
   * profit: 300 of bad debt.  The short pays exactly its 600 of profit and
   * its deposit stays 1000 (under rules 1 it paid 300 three times). */
  fixture_make(&fx, "market,mark_price\nBTC,100\n", "account,balance\na1,-100\na2,-100\na3,-100\ns,1000\n",
               "account,market,size,entry_price\na1,BTC,10,100\na2,BTC,10,100\na3,BTC,10,100\ns,BTC,-30,100\n",
               "{\"type\":\"market\",\"market\":\"BTC\",\"mark\":80}\n");
  is(view(fx.led, "a1").equity, -300, "a1 is 300 short");
  ok(resolve(&fx, "a1", "pro_rata", NULL, "c1", &r) == SOCLOSS_OK && haircut_of(r, "s") == 300 && r->bad_debt == 0,
     "a1: s pays 300 of its 600");
  acct_view v = view(fx.led, "s");
  ok(v.balance == 1000 && pos_in(&v, "BTC").cost == -2700 && pos_in(&v, "BTC").upnl == 300,
     "out of its profit: cost -2700, profit 300 left, balance 1000");
  ok(resolve(&fx, "a2", "pro_rata", NULL, "c2", &r) == SOCLOSS_OK && haircut_of(r, "s") == 300 && r->bad_debt == 0,
     "a2: s pays the other 300");
  ok(resolve(&fx, "a3", "pro_rata", NULL, "c3", &r) == SOCLOSS_OK && r->nhaircuts == 0 && r->bad_debt == 300,
     "a3: no profit is left, 300 of bad debt");
  v = view(fx.led, "s");
  ok(v.balance == 1000 && v.equity == 1000 && pos_in(&v, "BTC").cost == -2400,
     "s paid exactly 600, its profit; its deposit is still 1000");
  ok(invariants_hold(fx.led), "invariants, replay included");
  drop_ledger(fx.led, fx.dir);

  /* 1e-8 BTC lots: mark 500 atoms a lot.  carl short 100,000,000 lots at
   * 500 with balance -1,000,000 is 1,000,000 short; closing dave0's
   * 100,000,000 lots moves 1,000,000 x 1e8 / 1e8 = 1,000,000: all of it.
   * (Rules 1 rounded the price per lot to 500 - trunc(0.01) = 500: nothing
   * moved and all of it was bad debt.) */
  fixture_make(&fx, "market,mark_price\nBTC,500\n", "account,balance\ncarl,-1000000\ndave0,100000000000\n",
               "account,market,size,entry_price\ncarl,BTC,-100000000,500\ndave0,BTC,100000000,500\n", NULL);
  is(close_with(&fx, "carl", "{\"closes\":[[\"dave0\",\"BTC\",100000000]]}", &r), SOCLOSS_OK, "dave0 closes carl");
  ok(r->ndeleveraged == 1 && r->transfers[0] == 1000000 && r->deleveraged[0].price == 500,
     "1,000,000 moved (the price shown, 500, is rounded toward the mark)");
  ok(r->fund_draw == 0 && r->bad_debt == 0, "no bad debt");
  ok(view(fx.led, "dave0").balance == 99999000000 && view(fx.led, "carl").balance == 0,
     "dave0: 100,000,000,000 - 1,000,000; carl at zero");
  ok(invariants_hold(fx.led), "invariants");
  drop_ledger(fx.led, fx.dir);

  /* The spare atoms.  A long 3 at 100, balance -10: d = 10 over 3 lots.
   * h1 closes 1 lot: 10/3 = 3 and 1/3 over; h2 closes 2: 20/3 = 6 and 2/3
   * over.  The market's floor(30/3) = 10 leaves 1 spare atom, due to the
   * largest remainder, h2; but h2 (balance 6, equity 6) is at 0 after its 6
   * and cannot bear it, so it goes to h1: 4 and 6. */
  fixture_make(&fx, "market,mark_price\nBTC,100\n", "account,balance\nA,-10\nh1,1000\nh2,6\n",
               "account,market,size,entry_price\nA,BTC,3,100\nh1,BTC,-1,100\nh2,BTC,-2,100\n", NULL);
  is(close_with(&fx, "A", "{\"closes\":[[\"h1\",\"BTC\",1],[\"h2\",\"BTC\",2]]}", &r), SOCLOSS_OK, "h1 and h2 close A");
  ok(r->ndeleveraged == 2 && r->transfers[0] == 4 && r->transfers[1] == 6 && r->bad_debt == 0,
     "transfers 4 and 6: the spare atom to h1, who can bear it; no bad debt");
  ok(view(fx.led, "h1").balance == 996 && view(fx.led, "h2").balance == 0, "h1 996, h2 0");
  ok(invariants_hold(fx.led), "invariants");
  drop_ledger(fx.led, fx.dir);
  /* the same with h2 able to bear it: 3 and 7 */
  fixture_make(&fx, "market,mark_price\nBTC,100\n", "account,balance\nA,-10\nh1,1000\nh2,1000\n",
               "account,market,size,entry_price\nA,BTC,3,100\nh1,BTC,-1,100\nh2,BTC,-2,100\n", NULL);
  ok(close_with(&fx, "A", "{\"closes\":[[\"h1\",\"BTC\",1],[\"h2\",\"BTC\",2]]}", &r) == SOCLOSS_OK &&
         r->transfers[0] == 3 && r->transfers[1] == 7,
     "with h2 at 1000: the spare atom to the largest remainder, h2: 3 and 7");
  ok(invariants_hold(fx.led), "invariants");
  drop_ledger(fx.led, fx.dir);

  /* share: A long 3 at 100, balance -10 (d = 10 over 3 lots); h closes all
   * 3 lots with share 6667: 10 x 3 x 6667 / 30000 = 6.667, so 6 move and 4
   * stay in the hole (bad debt, the fund being empty); with share 0 (a close
   * at mark) nothing moves and all 10 are bad debt. */
  for (int k = 0; k < 2; k++) {
    fixture_make(&fx, "market,mark_price\nBTC,100\n", "account,balance\nA,-10\nh,1000\n",
                 "account,market,size,entry_price\nA,BTC,3,100\nh,BTC,-3,100\n", NULL);
    const char *closes = k ? "{\"closes\":[[\"h\",\"BTC\",3,0]]}" : "{\"closes\":[[\"h\",\"BTC\",3,6667]]}";
    ok(close_with(&fx, "A", closes, &r) == SOCLOSS_OK && r->shares[0] == (k ? 0u : 6667u) &&
           r->transfers[0] == (k ? 0 : 6) && r->bad_debt == (k ? 10 : 4),
       "share %d: %d moved, %d bad debt", k ? 0 : 6667, k ? 0 : 6, k ? 10 : 4);
    is(view(fx.led, "h").balance, k ? 1000 : 994, "h: 1000 - %d", k ? 0 : 6);
    ok(invariants_hold(fx.led), "invariants");
    drop_ledger(fx.led, fx.dir);
  }

  /* A close never makes or deepens a bankruptcy.  A long 10 at 100, mark
   * 80, balance 0: 200 short, 20 a lot.  h short 10 at 85 has 50 of profit
   * and balance 0: equity 50, so 10 lots (200) would leave it at -150, and
   * 2 lots (40) leave it at 10.  g is short 10 BTC at 100 (+200) but long 10
   * ETH at 100 marked 30 (-700): equity -500, so even one lot (20) is
   * refused. */
  fixture_make(&fx, "market,mark_price\nBTC,100\nETH,100\n", "account,balance\nA,0\nh,0\ng,0\nl,1000\ne,1000\n",
               "account,market,size,entry_price\nA,BTC,10,100\nh,BTC,-10,85\ng,BTC,-10,100\nl,BTC,10,100\n"
               "g,ETH,10,100\ne,ETH,-10,100\n",
               "{\"type\":\"market\",\"market\":\"BTC\",\"mark\":80}\n{\"type\":\"market\",\"market\":\"ETH\",\"mark\":30}\n");
  ok(view(fx.led, "A").equity == -200 && view(fx.led, "h").equity == 50 && view(fx.led, "g").equity == -500,
     "A -200, h 50, g -500");
  fingerprint before = fp_of(fx.led);
  is(close_with(&fx, "A", "{\"closes\":[[\"h\",\"BTC\",10]]}", &r), SOCLOSS_EPOLICY, "h's 10 lots are refused");
  ok(strstr(socloss_errmsg(fx.led),
            "deleverage action 1: closing 10 lots of 'h' in 'BTC' moves 200 atoms to 'A', which would take its "
            "equity from 50 to -150 (a close never makes or deepens a bankruptcy)") != NULL,
     "naming the action, the holder and both equities: %s", socloss_errmsg(fx.led));
  is(close_with(&fx, "A", "{\"closes\":[[\"g\",\"BTC\",1]]}", &r), SOCLOSS_EPOLICY, "g's one lot is refused");
  ok(strstr(socloss_errmsg(fx.led), "closing 1 lots of 'g' in 'BTC' moves 20 atoms to 'A', which would take its "
                                    "equity from -500 to -520") != NULL,
     "g is already below zero: %s", socloss_errmsg(fx.led));
  fingerprint mid = fp_of(fx.led);
  ok(!memcmp(before.digest, mid.digest, 32) && mid.seq == before.seq + 2, "nothing applied; two failures journaled");
  ok(close_with(&fx, "A", "{\"closes\":[[\"h\",\"BTC\",2]]}", &r) == SOCLOSS_OK && r->transfers[0] == 40 &&
         r->bad_debt == 160,
     "h's 2 lots move 40; the fund takes the other 8 lots; 160 is bad debt");
  is(view(fx.led, "h").equity, 10, "h is left at 10");
  ok(invariants_hold(fx.led), "invariants");
  drop_ledger(fx.led, fx.dir);
}

/* What the host names a policy source (socloss_policy_source_name) is where
 * its errors are located: the base name, printable, at most 64 bytes; an
 * unnamed source is "policy" until the registry holds it. */
static const char *failing_at(fixture *fx, const char *src) {
  socloss_resolve_options o;
  socloss_resolve_options_init(&o);
  o.policy = src;
  o.policy_len = strlen(src);
  o.dry_run = 1;
  const socloss_resolution *r;
  socloss_resolve(fx->led, "a", &o, &r);
  const char *m = strstr(socloss_errmsg(fx->led), "in haircut: ");
  return m ? m + 12 : socloss_errmsg(fx->led);
}

static void source_names(void) {
  fixture fx;
  fixture_make(&fx, WF_MARKETS, "account,balance\na,-1000\np,4000\nq,-900\nr,4500\n", WF_POSITIONS,
               "{\"type\":\"market\",\"market\":\"BTC\",\"mark\":80}\n");
  const char *src = "return {name = 'n', haircut = function()\n  error('boom') end}";
  size_t len = strlen(src);
  is_str(failing_at(&fx, src), "policy:2: boom", "not named, not registered: policy:2");
  is(socloss_policy_source_name(fx.led, src, len, "/srv/rules/v2/n.lua"), SOCLOSS_OK, "named by a path");
  is_str(failing_at(&fx, src), "n.lua:2: boom", "located by the base name alone");
  socloss_policy_source_name(fx.led, src, len, "odd \x1b[31m\xff.lua");
  is_str(failing_at(&fx, src), "odd \\x1b[31m\\xff.lua:2: boom", "named again: the last name, printable ASCII");
  char longname[200];
  memset(longname, 'x', 100);
  strcpy(longname + 100, ".lua");
  socloss_policy_source_name(fx.led, src, len, longname);
  char want[100];
  snprintf(want, sizeof want, "%.64s:2: boom", longname);
  is_str(failing_at(&fx, src), want, "a long name: its first 64 bytes");
  memset(longname, 'y', 62);
  strcpy(longname + 62, "\x01z");
  socloss_policy_source_name(fx.led, src, len, longname);
  snprintf(want, sizeof want, "%.62s:2: boom", longname);
  is_str(failing_at(&fx, src), want, "never half an escape: 62 y, then \\x01 would pass 64");
  is(socloss_policy_source_name(fx.led, src, len, "dir/"), SOCLOSS_EINVAL, "an empty base name is refused");
  is_str(socloss_errmsg(fx.led), "policy: a source's name must not be empty", "saying so");
  /* 32 names are kept: the 33rd pushes out the oldest */
  char other[128], name[32];
  for (int k = 0; k < 32; k++) {
    snprintf(other, sizeof other, "return {name = 'o', haircut = function() error('o%d') end}", k);
    snprintf(name, sizeof name, "o%d.lua", k);
    socloss_policy_source_name(fx.led, other, strlen(other), name);
  }
  is_str(failing_at(&fx, src), "policy:2: boom", "32 other names later, its name is gone");
  snprintf(other, sizeof other, "return {name = 'o', haircut = function() error('o%d') end}", 31);
  is_str(failing_at(&fx, other), "o31.lua:1: o31", "the last one kept");
  drop_ledger(fx.led, fx.dir);
}

int main(void) {
  source_names();
  rules2();
  one_path();
  hot_swap();
  group_commit();
  deficit_events();
  dust_and_ties();
  water_filling();
  fund_and_empty();
  adl_partial();
  two_markets();
  tiered();
  determinism();
  return done_testing();
}
