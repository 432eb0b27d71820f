/*
 * Crash events, worked by hand: every account bankrupt when the event
 * starts, resolved in one transaction; the invariants after each.
 */
#include "resolve_int.h"
#include "util.h"

/* What the callback saw, in order. */
typedef struct seen {
  int n;
  char ids[8][80];
  int64_t bad_debt[8], s_paid[8];
} seen;

static int each(void *ud, const socloss_resolution *r) {
  seen *s = ud;
  if (s->n < 8) {
    snprintf(s->ids[s->n], sizeof s->ids[s->n], "%s %s", r->id, r->status);
    s->bad_debt[s->n] = r->bad_debt;
    s->s_paid[s->n] = haircut_of(r, "s");
    s->n++;
  }
  return 0;
}

static int count_type(void *ud, uint64_t seq, const char *json) {
  (void)seq;
  if (strstr(json, "\"type\":\"deficit\"") && strstr(json, "\"id\":\"crash:")) ++*(int *)ud;
  return 0;
}

/* The cascade: BTC marked from 100 to 80 leaves a1, a2 and a3 (long 10
 * each, balance -100) at equity -100 - 200 = -300, and s (short 30, balance
 * 1000) with 30 * 20 = 600 of profit. */
static int cascade_make(fixture *fx) {
  return fixture_make(fx, "market,mark_price\nBTC,100\n", "account,balance\na1,-100\na2,-100\na3,-100\ns,1000\n",
                      "account,market,size,entry_price\na1,BTC,10,100\na2,BTC,10,100\na3,BTC,10,100\ns,BTC,-30,100\n",
                      "{\"type\":\"market\",\"market\":\"BTC\",\"mark\":80}\n");
}

/* The cascade of three accounts at -300 against one short with 600 of
 * profit (docs/design.md §5, "haircut out of profit"), as one sequential
 * event under pro_rata: a1 and a2 take 300 each out of s's profit, a3 finds
 * none left and its 300 is bad debt. */
static void sequential_cascade(void) {
  fixture fx;
  cascade_make(&fx);
  size_t len;
  char *pr = policy_text("pro_rata", &len);
  socloss_event_options o;
  socloss_event_options_init(&o);
  o.id = "crash";
  o.policy = pr;
  o.policy_len = len;
  seen sn = {0};
  o.each = each;
  o.ud = &sn;
  socloss_event_summary sum = {.size = sizeof sum};
  fingerprint before = fp_of(fx.led);
  o.dry_run = 1;
  is(socloss_resolve_event(fx.led, &o, &sum), SOCLOSS_OK, "a dry run of the event");
  ok(fp_equal(before, fp_of(fx.led)), "keeps nothing");
  o.dry_run = 0;
  memset(&sn, 0, sizeof sn);
  is(socloss_resolve_event(fx.led, &o, &sum), SOCLOSS_OK, "the event");
  ok(sum.bankrupt == 3 && sum.resolved == 3 && sum.failed == 0 && sum.deficit == 900, "3 bankrupt, 900 short, 3 resolved");
  ok(sum.fund_draw == 0 && sum.charged == 600 && sum.bad_debt == 300, "600 charged (s's profit), 300 bad debt");
  is(sn.n, 3, "three results, in account-id order");
  is_str(sn.ids[0], "crash:a1 applied", "crash:a1");
  is_str(sn.ids[2], "crash:a3 applied", "crash:a3");
  ok(sn.s_paid[0] == 300 && sn.s_paid[1] == 300 && sn.s_paid[2] == 0, "s pays 300, 300, 0");
  ok(sn.bad_debt[0] == 0 && sn.bad_debt[1] == 0 && sn.bad_debt[2] == 300, "bad debt 0, 0, 300");
  acct_view v = view(fx.led, "s");
  ok(v.balance == 1000 && v.equity == 1000, "s: balance 1000, its 600 of profit gone");
  int records = 0;
  socloss_journal(fx.led, 0, count_type, &records);
  is(records, 3, "three deficit records, ids crash:ACCOUNT");
  ok(invariants_hold(fx.led), "invariants, replay included");
  memset(&sn, 0, sizeof sn);
  ok(socloss_resolve_event(fx.led, &o, &sum) == SOCLOSS_OK && sum.bankrupt == 0 && sn.n == 0,
     "again: nobody is bankrupt any more");
  free(pr);
  drop_ledger(fx.led, fx.dir);
}

typedef struct whatif_seen {
  int n;
  int64_t charged[8], bad[8];
} whatif_seen;

static int whatif_cb(void *ud, const socloss_replay_item *it) {
  whatif_seen *w = ud;
  if (w->n < 8) {
    w->charged[w->n] = it->replayed_charged;
    w->bad[w->n] = it->replayed_bad_debt;
  }
  w->n++;
  return 0;
}

/* The same cascade with pro_rata's event_cap 5000: no account pays more
 * than half its profit0 over the event.  s's profit0 is 600, so a1 takes
 * min(600, 1600, 300 - 0) = 300; for a2 the cap is 300 - 300 = 0 and for a3
 * there is no profit left: 300 + 300 of bad debt. */
static void event_cap(int view_off) {
  cands_view_off = view_off;  /* the event's columns by the view's rows, or by merging ids */
  diag("event_cap with the candidate view %s", view_off ? "off" : "on");
  fixture fx;
  cascade_make(&fx);
  size_t len;
  char *pr = policy_text("pro_rata", &len);
  socloss_event_options o;
  socloss_event_options_init(&o);
  o.id = "half";
  o.policy = pr;
  o.policy_len = len;
  o.params = "{\"event_cap\":5000}";
  seen sn = {0};
  o.each = each;
  o.ud = &sn;
  socloss_event_summary sum = {.size = sizeof sum};
  is(socloss_resolve_event(fx.led, &o, &sum), SOCLOSS_OK, "the event, event_cap 5000");
  ok(sn.s_paid[0] == 300 && sn.s_paid[1] == 0 && sn.s_paid[2] == 0, "s pays 300, 0, 0: half its profit0 of 600");
  ok(sum.charged == 300 && sum.bad_debt == 600, "300 charged, 600 bad debt");
  acct_view v = view(fx.led, "s");
  ok(v.balance == 1000 && v.equity == 1300, "s keeps 300 of its profit");
  ok(invariants_hold(fx.led), "invariants");
  /* replay decides each deficit again within the event: a2 sees s's
   * profit0 600 and charged 300, as it did live (alone, it would be capped
   * at half of the 300 left and charged 150) */
  size_t differ = 99;
  is(socloss_replay(fx.led, NULL, 0, NULL, 0, NULL, NULL, &differ), SOCLOSS_OK, "replay verifies the event");
  is(differ, 0, "the three deficits reproduce exactly");
  /* what plain pro_rata would have done with the whole event: a1 300, a2
   * the other 300 of s's profit, a3 nothing left (300 of bad debt); decided
   * deficit by deficit on the recorded states instead, a3 would have found
   * the 300 that event_cap had spared */
  char *plain = policy_text("pro_rata", &len);
  whatif_seen ws = {0};
  is(socloss_replay(fx.led, plain, len, NULL, 0, whatif_cb, &ws, &differ), SOCLOSS_OK, "what-if: plain pro_rata");
  ok(ws.n == 3 && ws.charged[0] == 300 && ws.charged[1] == 300 && ws.charged[2] == 0 && ws.bad[2] == 300,
     "the whole event again: 300, 300, 0 (bad debt 300 on a3)");
  is(differ, 1, "one deficit decided differently (a2)");
  free(plain);
  free(pr);
  drop_ledger(fx.led, fx.dir);
  cands_view_off = 0;
}

/* A failure is the failing account's alone: the others are applied, the
 * failure journaled, the event returns SOCLOSS_EPOLICY. */
static void sequential_failure(void) {
  fixture fx;
  fixture_make(&fx, "market,mark_price\nBTC,100\n", "account,balance\na1,-100\na2,-50\np,1000\n",
               "account,market,size,entry_price\na1,BTC,10,100\na2,BTC,10,100\np,BTC,-20,120\n", NULL);
  const char *pol =
      "return {name = 'p_pays', haircut = function(ctx)\n"
      "  if ctx.deficit.account == 'a1' then error('not a1') end\n"
      "  return {{account = 'p', amount = ctx.deficit.shortfall}}\n"
      "end}";
  socloss_event_options o;
  socloss_event_options_init(&o);
  o.id = "storm";
  o.policy = pol;
  o.policy_len = strlen(pol);
  socloss_event_summary sum = {.size = sizeof sum};
  is(socloss_resolve_event(fx.led, &o, &sum), SOCLOSS_EPOLICY, "some failed");
  is_str(socloss_errmsg(fx.led), "1 of 2 bankrupt accounts were not resolved (their failures are journaled)",
         "says how many");
  ok(sum.resolved == 1 && sum.failed == 1 && sum.charged == 50, "a2 resolved (p paid 50), a1 failed");
  ok(view(fx.led, "a1").equity == -100 && view(fx.led, "a2").balance == 0, "a1 untouched, a2 at zero");
  ok(invariants_hold(fx.led), "invariants");
  /* an event line in an applied file: the file is all or nothing */
  socloss_source src = src_of("e.jsonl", "{\"type\":\"event\",\"id\":\"again\"}\n");
  ok(socloss_policy_set(fx.led, SOCLOSS_POLICY_ACTIVE, pol, strlen(pol), NULL) == SOCLOSS_OK, "p_pays is active");
  fingerprint f = fp_of(fx.led);
  is(socloss_apply_jsonl(fx.led, &src, NULL), SOCLOSS_EPOLICY, "an event line that cannot resolve a1 refuses the file");
  ok(strstr(socloss_errmsg(fx.led), "e.jsonl:1: event 'again': 1 of 1 bankrupt accounts were not resolved") != NULL,
     "naming the line and the event: %s", socloss_errmsg(fx.led));
  ok(fp_equal(f, fp_of(fx.led)), "nothing written");
  drop_ledger(fx.led, fx.dir);
}

/* Joint vs sequential.  A1 is 200 short in X (long 10 at 100, mark 80), A2
 * 261 in Y (long 9 at 100, mark 71); P1 has 600 of profit in X (short 30 at
 * 100), P2 400 in Y (short 10 at 111); the fund is empty.  Sequential
 * pro_rata (scope market) charges each deficit's own market: P1 200, P2 261.
 * Joint, one rate for the whole 461 over the profit in X and Y: P1
 * 461 x 600 / 1000 = 276.6 and P2 184.4, floors 276 + 184 = 460, the odd atom
 * to the larger remainder: P1 277, P2 184. */
static const char *jv_markets = "market,mark_price\nX,100\nY,100\n";
static const char *jv_positions =
    "account,market,size,entry_price\nA1,X,10,100\nP1,X,-30,100\nL1,X,20,100\n"
    "A2,Y,9,100\nP2,Y,-10,111\nL2,Y,1,100\n";
static const char *jv_marks =
    "{\"type\":\"market\",\"market\":\"X\",\"mark\":80}\n{\"type\":\"market\",\"market\":\"Y\",\"mark\":71}\n";


typedef struct joint_seen {
  int n;
  int64_t p1, p2, bad;
  char last_id[80];
} joint_seen;

static int joint_each(void *ud, const socloss_resolution *r) {
  joint_seen *j = ud;
  j->n++;
  j->p1 += haircut_of(r, "P1");
  j->p2 += haircut_of(r, "P2");
  j->bad += r->bad_debt;
  snprintf(j->last_id, sizeof j->last_id, "%s", r->id);
  return 0;
}

static int count_events(void *ud, uint64_t seq, const char *json) {
  (void)seq;
  if (strstr(json, "\"type\":\"event\"") && strstr(json, "\"mode\":\"joint\"")) ++*(int *)ud;
  return 0;
}

static int keep_last(void *ud, uint64_t seq, const char *json) {
  (void)seq;
  snprintf(ud, 4096, "%s", json);
  return 0;
}

static void joint_vs_sequential(void) {
  size_t len;
  char *pr = policy_text("pro_rata", &len);
  for (int joint = 0; joint < 2; joint++) {
    fixture fx;
    fixture_make(&fx, jv_markets, "account,balance\nA1,0\nA2,0\nP1,1000\nP2,1000\nL1,10000\nL2,10000\n",
                 jv_positions, jv_marks);
    ok(view(fx.led, "A1").equity == -200 && view(fx.led, "A2").equity == -261, "A1 -200 in X, A2 -261 in Y");
    socloss_event_options o;
    socloss_event_options_init(&o);
    o.id = "crash";
    o.joint = joint;
    o.policy = pr;
    o.policy_len = len;
    joint_seen js = {0};
    o.each = joint_each;
    o.ud = &js;
    socloss_event_summary sum = {.size = sizeof sum};
    is(socloss_resolve_event(fx.led, &o, &sum), SOCLOSS_OK, joint ? "joint" : "sequential");
    if (!joint) {
      ok(js.p1 == 200 && js.p2 == 261, "sequential: P1 200, P2 261 (each deficit's own market)");
    } else {
      ok(js.p1 == 277 && js.p2 == 184, "joint: one rate, P1 277, P2 184");
      is(js.n, 3, "a result per account, then the event's");
      is_str(js.last_id, "crash", "the last is the event's");
      int events = 0;
      socloss_journal(fx.led, 0, count_events, &events);
      is(events, 1, "one record for the event");
      size_t differ = 99;
      ok(socloss_replay(fx.led, NULL, 0, NULL, 0, NULL, NULL, &differ) == SOCLOSS_OK && differ == 0,
         "replay decides the event again, the same");
    }
    ok(sum.bankrupt == 2 && sum.resolved == 2 && sum.charged == 461 && sum.bad_debt == 0, "461 charged, no bad debt");
    ok(view(fx.led, "A1").balance == 0 && view(fx.led, "A2").balance == 0, "both at zero");
    ok(invariants_hold(fx.led), "invariants, replay included");
    drop_ledger(fx.led, fx.dir);
  }
  free(pr);
}

/* A joint event short of capacity: P1 has 100 of profit (short 5 at 100),
 * P2 50 (short 10 at 76), both pay their caps: 150 of the 461.  Credited by
 * hole: 150 x 200 / 461 = 65.07 and 150 x 261 / 461 = 84.93, floors 65 + 84,
 * the odd atom to the larger remainder, A2: 65 and 85; bad debt 135 and 176. */
static void joint_short(void) {
  size_t len;
  char *pr = policy_text("pro_rata", &len);
  fixture fx;
  fixture_make(&fx, jv_markets, "account,balance\nA1,0\nA2,0\nP1,1000\nP2,1000\nS1,10000\nL2,10000\n",
               "account,market,size,entry_price\nA1,X,10,100\nP1,X,-5,100\nS1,X,-5,80\n"
               "A2,Y,9,100\nP2,Y,-10,76\nL2,Y,1,100\n",
               jv_marks);
  socloss_event_options o;
  socloss_event_options_init(&o);
  o.id = "short";
  o.joint = 1;
  o.policy = pr;
  o.policy_len = len;
  socloss_event_summary sum = {.size = sizeof sum};
  is(socloss_resolve_event(fx.led, &o, &sum), SOCLOSS_OK, "a joint event short of capacity");
  ok(sum.charged == 150 && sum.bad_debt == 311, "150 charged, 311 bad debt");
  ok(view(fx.led, "P1").equity == 1000 && view(fx.led, "P2").equity == 1000, "P1 and P2 paid all their profit");
  int records = 0;
  socloss_journal(fx.led, 0, count_events, &records);
  is(records, 1, "one record");
  /* the parts' credits and bad debts, from the journal's JSON */
  char last[4096] = "";
  socloss_journal(fx.led, 0, keep_last, last);
  ok(strstr(last, "\"account\":\"A1\"") && strstr(last, "\"bad_debt\":135,\"instructions\":0,\"policy_us\":0,\"rules\":2,\"credit\":65}") &&
         strstr(last, "\"bad_debt\":176,\"instructions\":0,\"policy_us\":0,\"rules\":2,\"credit\":85}"),
     "A1 credited 65 (bad debt 135), A2 85 (bad debt 176)");
  socloss_totals t;
  socloss_totals_get(fx.led, &t);
  is(t.bad_debt, 311, "the ledger's bad debt: 135 + 176");
  ok(invariants_hold(fx.led), "invariants");
  free(pr);
  drop_ledger(fx.led, fx.dir);
}

/* With an empty fund a joint event does not depend on the order of the
 * bankrupt accounts' ids: renamed so that A2 comes first (b2 < z1), the
 * charges are the same. */
static void joint_renamed(void) {
  size_t len;
  char *pr = policy_text("pro_rata", &len);
  fixture fx;
  fixture_make(&fx, jv_markets, "account,balance\nz1,0\nb2,0\nP1,1000\nP2,1000\nL1,10000\nL2,10000\n",
               "account,market,size,entry_price\nz1,X,10,100\nP1,X,-30,100\nL1,X,20,100\n"
               "b2,Y,9,100\nP2,Y,-10,111\nL2,Y,1,100\n",
               jv_marks);
  socloss_event_options o;
  socloss_event_options_init(&o);
  o.id = "renamed";
  o.joint = 1;
  o.policy = pr;
  o.policy_len = len;
  joint_seen js = {0};
  o.each = joint_each;
  o.ud = &js;
  socloss_event_summary sum = {.size = sizeof sum};
  is(socloss_resolve_event(fx.led, &o, &sum), SOCLOSS_OK, "the renamed crash, joint");
  ok(js.p1 == 277 && js.p2 == 184, "the same charges: P1 277, P2 184");
  ok(invariants_hold(fx.led), "invariants");
  free(pr);
  drop_ledger(fx.led, fx.dir);
}

static int count_failed(void *ud, uint64_t seq, const char *json) {
  (void)seq;
  if (strstr(json, "\"type\":\"deficit_failed\"")) ++*(int *)ud;
  return 0;
}

/* A joint event whose policy fails takes the one fallback path: the failure
 * journaled, the fallback deciding the whole event again; when both fail,
 * nothing of the event is applied. */
static void joint_fallback(void) {
  const char *bad = "return {name = 'bad', haircut = function() error('no') end}";
  size_t len;
  char *pr = policy_text("pro_rata", &len);
  for (int with_fallback = 1; with_fallback >= 0; with_fallback--) {
    fixture fx;
    fixture_make(&fx, jv_markets, "account,balance\nA1,0\nA2,0\nP1,1000\nP2,1000\nL1,10000\nL2,10000\n",
                 jv_positions, jv_marks);
    ok(socloss_policy_set(fx.led, SOCLOSS_POLICY_ACTIVE, bad, strlen(bad), NULL) == SOCLOSS_OK, "bad is active");
    if (with_fallback)
      ok(socloss_policy_set(fx.led, SOCLOSS_POLICY_FALLBACK, pr, len, NULL) == SOCLOSS_OK, "pro_rata the fallback");
    fingerprint f = fp_of(fx.led);
    socloss_event_options o;
    socloss_event_options_init(&o);
    o.id = "fb";
    o.joint = 1;
    joint_seen js = {0};
    o.each = joint_each;
    o.ud = &js;
    socloss_event_summary sum = {.size = sizeof sum};
    int failures = 0;
    if (with_fallback) {
      is(socloss_resolve_event(fx.led, &o, &sum), SOCLOSS_OK, "the fallback decides the event");
      ok(js.p1 == 277 && js.p2 == 184 && sum.resolved == 2, "as pro_rata would: P1 277, P2 184");
      socloss_journal(fx.led, 0, count_failed, &failures);
      is(failures, 1, "the first policy's failure is journaled");
    } else {
      is(socloss_resolve_event(fx.led, &o, &sum), SOCLOSS_EPOLICY, "no fallback: the event fails");
      is_str(socloss_errmsg(fx.led), "2 of 2 bankrupt accounts were not resolved (their failures are journaled)",
             "both accounts");
      ok(sum.resolved == 0 && sum.failed == 2 && sum.charged == 0, "nothing resolved");
      socloss_journal(fx.led, 0, count_failed, &failures);
      fingerprint g = fp_of(fx.led);
      ok(!memcmp(f.digest, g.digest, 32) && g.seq == f.seq + 1 && failures == 1,
         "nothing applied; the failure journaled");
    }
    ok(invariants_hold(fx.led), "invariants");
    drop_ledger(fx.led, fx.dir);
  }
  free(pr);
}

/* Deficit lines of one applied file naming one event share it: the cascade
 * with event_cap 5000 as three lines, s pays 300, 0, 0 as in the event; as
 * lone deficits (each an event of one) it would pay 300, then half of the 300
 * left (150), then half of the 150 left (75). */
static void deficit_lines_share(void) {
  for (int shared = 1; shared >= 0; shared--) {
    fixture fx;
    cascade_make(&fx);
    char lines[2048];
    const char *ev = shared ? ",\"event\":\"half\"" : "";
    snprintf(lines, sizeof lines,
             "{\"type\":\"deficit\",\"id\":\"d1\",\"account\":\"a1\",\"policy\":\"%s/policies/pro_rata.lua\","
             "\"params\":{\"event_cap\":5000}%s}\n"
             "{\"type\":\"deficit\",\"id\":\"d2\",\"account\":\"a2\",\"policy\":\"%s/policies/pro_rata.lua\","
             "\"params\":{\"event_cap\":5000}%s}\n"
             "{\"type\":\"deficit\",\"id\":\"d3\",\"account\":\"a3\",\"policy\":\"%s/policies/pro_rata.lua\","
             "\"params\":{\"event_cap\":5000}%s}\n",
             SOCLOSS_SOURCE_DIR, ev, SOCLOSS_SOURCE_DIR, ev, SOCLOSS_SOURCE_DIR, ev);
    socloss_source src = src_of("d.jsonl", lines);
    is(socloss_apply_jsonl(fx.led, &src, NULL), SOCLOSS_OK, shared ? "three lines, one event" : "three lone deficits");
    acct_view v = view(fx.led, "s");
    if (shared) ok(v.equity == 1300, "s paid 300 in all: half its profit0 (equity 1600 - 300)");
    else ok(v.equity == 1600 - 300 - 150 - 75, "alone, each halves what is left: 300 + 150 + 75");
    size_t differ = 99;
    ok(socloss_replay(fx.led, NULL, 0, NULL, 0, NULL, NULL, &differ) == SOCLOSS_OK && differ == 0,
       "replay reproduces them");
    ok(invariants_hold(fx.led), "invariants");
    drop_ledger(fx.led, fx.dir);
  }
}

static int keep_shadow(void *ud, uint64_t seq, const char *json) {
  (void)seq;
  if (strstr(json, "\"type\":\"shadow\"")) snprintf(ud, 4096, "%s", json);
  return 0;
}

/* The shadow policy decides a joint event too, on the same state, never
 * applied: the same policy decides the same (same: true); one that makes P1
 * pay it all differs in the event. */
static void joint_shadow(void) {
  size_t len;
  char *pr = policy_text("pro_rata", &len);
  const char *p1 =
      "return {name = 'p1_pays', haircut = function(ctx)\n"
      "  return {{account = 'P1', amount = math.min(ctx.deficit.shortfall, 600)}}\n"
      "end}";
  for (int k = 0; k < 2; k++) {
    fixture fx;
    fixture_make(&fx, jv_markets, "account,balance\nA1,0\nA2,0\nP1,1000\nP2,1000\nL1,10000\nL2,10000\n",
                 jv_positions, jv_marks);
    const char *shadow = k ? p1 : pr;
    ok(socloss_policy_set(fx.led, SOCLOSS_POLICY_ACTIVE, pr, len, NULL) == SOCLOSS_OK &&
           socloss_policy_set(fx.led, SOCLOSS_POLICY_SHADOW, shadow, strlen(shadow), NULL) == SOCLOSS_OK,
       "pro_rata active, %s as the shadow", k ? "p1_pays" : "pro_rata");
    socloss_event_options o;
    socloss_event_options_init(&o);
    o.id = "sh";
    o.joint = 1;
    joint_seen js = {0};
    o.each = joint_each;
    o.ud = &js;
    socloss_event_summary sum = {.size = sizeof sum};
    ok(socloss_resolve_event(fx.led, &o, &sum) == SOCLOSS_OK && js.p1 == 277 && js.p2 == 184,
       "pro_rata decides: P1 277, P2 184");
    char rec[4096] = "";
    socloss_journal(fx.led, 0, keep_shadow, rec);
    if (!k) ok(strstr(rec, "\"id\":\"sh\"") && strstr(rec, "\"same\":true"), "the shadow decided the same: %.200s", rec);
    else
      ok(strstr(rec, "\"same\":false") && strstr(rec, "\"differs_in\":\"event\"") &&
             strstr(rec, "{\"account\":\"P1\",\"amount\":461}"),
         "p1_pays would have made P1 pay all 461: %.300s", rec);
    ok(view(fx.led, "P1").equity == 1323, "only the real decision applied (P1 paid 277)");
    ok(invariants_hold(fx.led), "invariants");
    drop_ledger(fx.led, fx.dir);
  }
  free(pr);
}

int main(void) {
  sequential_cascade();
  event_cap(0);
  event_cap(1);
  sequential_failure();
  joint_vs_sequential();
  joint_short();
  joint_renamed();
  joint_fallback();
  deficit_lines_share();
  joint_shadow();
  return done_testing();
}
