/*
 * Crash events, worked by hand: every account bankrupt when the event
 * starts, resolved in one transaction; the invariants after each.
 */
#include "util.h"

typedef struct fixture {
  char dir[64];
  socloss *led;
} fixture;

static int fixture_make(fixture *fx, const char *markets, const char *accounts, const char *positions,
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

/* What the callback saw, in order. */
typedef struct seen {
  int n;
  char ids[8][80];
  int64_t bad_debt[8], s_paid[8];
} seen;

static int64_t haircut_of(const socloss_resolution *r, const char *account) {
  for (size_t k = 0; k < r->nhaircuts; k++)
    if (!strcmp(r->haircuts[k].account, account)) return r->haircuts[k].amount;
  return 0;
}

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

/* The cascade of three accounts at -300 against one short with 600 of
 * profit (docs/design.md §5, "haircut out of profit"), as one sequential
 * event under pro_rata: a1 and a2 take 300 each out of s's profit, a3 finds
 * none left and its 300 is bad debt. */
static void sequential_cascade(void) {
  fixture fx;
  fixture_make(&fx, "market,mark_price\nBTC,100\n", "account,balance\na1,-100\na2,-100\na3,-100\ns,1000\n",
               "account,market,size,entry_price\na1,BTC,10,100\na2,BTC,10,100\na3,BTC,10,100\ns,BTC,-30,100\n",
               "{\"type\":\"market\",\"market\":\"BTC\",\"mark\":80}\n");
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

/* The same cascade with pro_rata's event_cap 5000: no account pays more
 * than half its profit0 over the event.  s's profit0 is 600, so a1 takes
 * min(600, 1600, 300 - 0) = 300; for a2 the cap is 300 - 300 = 0 and for a3
 * there is no profit left: 300 + 300 of bad debt. */
static void event_cap(void) {
  fixture fx;
  fixture_make(&fx, "market,mark_price\nBTC,100\n", "account,balance\na1,-100\na2,-100\na3,-100\ns,1000\n",
               "account,market,size,entry_price\na1,BTC,10,100\na2,BTC,10,100\na3,BTC,10,100\ns,BTC,-30,100\n",
               "{\"type\":\"market\",\"market\":\"BTC\",\"mark\":80}\n");
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
  free(pr);
  drop_ledger(fx.led, fx.dir);
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

int main(void) {
  sequential_cascade();
  event_cap();
  sequential_failure();
  return done_testing();
}
