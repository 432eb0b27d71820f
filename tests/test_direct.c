/*
 * A lone deficit is attempted in its own write transaction, not a nested
 * one (engine/resolve/decide.c, live_attempt).  When its policy fails after
 * writing (its closes applied, then its haircut step raises), the
 * transaction is thrown away and the deficit run again: what lands must be
 * what the nested attempt gave (the failure journaled once, the fallback's
 * decision, nothing of the failed closes), the policy asked once.
 */
#include "ledger.h"
#include "resolve_int.h"
#include "util.h"

/* Closes what its params say, then fails in the haircut step. */
static const char *closer_fails =
    "return {name = 'closer_fails', deleverage = function(ctx)\n"
    "  local out = {}\n"
    "  for i, x in ipairs(ctx.params.closes) do out[i] = {account = x[1], market = x[2], size = x[3]} end\n"
    "  return out\n"
    "end,\n"
    "haircut = function(ctx) socloss.log('closed, now failing'); error('no haircut today') end}";

typedef struct run {
  int rc;
  char status[16], failure[512], log[128];
  int64_t s_paid, s_size, s_cost, s_balance, a1_equity;
  socloss_stats st;
  socloss_totals t;
  fingerprint fp;
  int sound;
  size_t again;
} run;

static run once(int direct_off) {
  run o;
  memset(&o, 0, sizeof o);
  resolve_direct_off = direct_off;
  resolve_direct_again = 0;
  fixture fx;
  /* a1: long 10 at 100, balance -100, marked at 80: equity
   * -100 + 10 x (80 - 100) = -300.  s: short 10 at 100, balance 1000:
   * 200 of profit.  The market nets: a1 +10, s -10. */
  fixture_make(&fx, "market,mark_price\nBTC,100\n", "account,balance\na1,-100\ns,1000\n",
               "account,market,size,entry_price\na1,BTC,10,100\ns,BTC,-10,100\n",
               "{\"type\":\"market\",\"market\":\"BTC\",\"mark\":80}\n");
  size_t len;
  char *pr = policy_text("pro_rata", &len);
  if (socloss_policy_set(fx.led, SOCLOSS_POLICY_FALLBACK, pr, len, NULL)) diag("fallback: %s", socloss_errmsg(fx.led));
  socloss_resolve_options ro;
  socloss_resolve_options_init(&ro);
  ro.policy = closer_fails;
  ro.policy_len = strlen(closer_fails);
  ro.params = "{\"closes\": [[\"s\", \"BTC\", 4]]}";
  ro.id = "d1";
  const socloss_resolution *r = NULL;
  o.rc = socloss_resolve(fx.led, "a1", &ro, &r);
  o.again = resolve_direct_again;
  if (r) {
    snprintf(o.status, sizeof o.status, "%s", r->status);
    snprintf(o.failure, sizeof o.failure, "%s", r->failure ? r->failure : "");
    snprintf(o.log, sizeof o.log, "%s", r->log ? r->log : "");
    o.s_paid = haircut_of(r, "s");
  }
  acct_view v = view(fx.led, "s");
  o.s_size = pos_in(&v, "BTC").size;
  o.s_cost = pos_in(&v, "BTC").cost;
  o.s_balance = v.balance;
  o.a1_equity = view(fx.led, "a1").equity;
  o.st.size = sizeof o.st;
  socloss_stats_get(fx.led, &o.st);
  socloss_totals_get(fx.led, &o.t);
  o.fp = fp_of(fx.led);
  o.sound = invariants_hold(fx.led);
  free(pr);
  drop_ledger(fx.led, fx.dir);
  resolve_direct_off = 0;
  return o;
}

int main(void) {
  run d = once(0), n = once(1);
  is(d.rc, SOCLOSS_OK, "resolved, by the fallback");
  is(d.again, 1, "the direct attempt was thrown away and the deficit run once more");
  is(n.again, 0, "nested: never");
  is_str(d.status, "applied", "applied");
  ok(strstr(d.failure, "no haircut today") != NULL, "the first policy's failure is told: %s", d.failure);
  is_str(d.log, "closed, now failing\n", "with what it logged before it failed");
  /* pro_rata: the hole 300 is charged to s, capped at its profit 200
   * (short 10 at 100, marked 80: 10 x 20); 100 is bad debt */
  is(d.s_paid, 200, "the fallback charges s its 200 of profit");
  ok(d.s_size == -10 && d.s_cost == -800 && d.s_balance == 1000,
     "s keeps its 10 lots (the failed closes left nothing), cost -1000 + 200");
  is(d.a1_equity, 0, "a1 ends at 0");
  ok(d.st.policy_failures == 1 && d.st.fallbacks == 1 && d.st.resolved == 1 && d.st.failed == 0 &&
         d.st.evaluator_restarts == 0,
     "one failure journaled, one fallback, no restart");
  ok(d.st.bad_debt == 100 && d.st.fund_drawn == 0, "100 of bad debt, nothing from the fund");
  is(d.t.journal_seq, n.t.journal_seq, "as many journal records as nested");
  ok(fp_equal(d.fp, n.fp), "the same state and journal length as nested");
  ok(!strcmp(d.failure, n.failure) && !strcmp(d.log, n.log) && d.s_paid == n.s_paid, "the same result as nested");
  ok(d.st.policy_failures == n.st.policy_failures && d.st.fallbacks == n.st.fallbacks &&
         d.st.bad_debt == n.st.bad_debt,
     "the same counters as nested");
  ok(d.sound && n.sound, "invariants, replay included, both ways");
  return done_testing();
}
