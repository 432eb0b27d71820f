/*
 * Every ledger operation through the public API: exact balances, positions
 * and equities computed by hand; every refusal with its exact code and
 * message and the state unchanged; the invariants after each step.
 */
#include "util.h"

static socloss *led;
static char dir[64];

/* Asserts that a call was refused with code and message, and that nothing
 * changed. */
#define REFUSED(call, code, msg, name)                                        \
  do {                                                                        \
    fingerprint before_ = fp_of(led);                                         \
    int rc_ = (call);                                                         \
    is(rc_, code, "%s: code", name);                                          \
    is_str(socloss_errmsg(led), msg, "%s: message", name);                    \
    ok(fp_equal(before_, fp_of(led)), "%s: nothing written", name);           \
  } while (0)

static void opening(void) {
  char missing[96];
  socloss *x;
  snprintf(missing, sizeof missing, "%s/none", dir);
  is(socloss_open(&x, missing, NULL), SOCLOSS_ENOTFOUND, "open of a missing ledger is refused");
  char want[160];
  snprintf(want, sizeof want, "%s: no ledger there (run 'socloss init' first)", missing);
  is_str(socloss_errmsg(x), want, "and says so");
  socloss_close(x);

  socloss_options o;
  socloss_options_init(&o);
  o.create = SOCLOSS_OPEN_CREATE_NEW;
  is(socloss_open(&x, dir, &o), SOCLOSS_EEXIST, "create-new on an existing ledger is refused");
  snprintf(want, sizeof want, "%s: a ledger already exists there", dir);
  is_str(socloss_errmsg(x), want, "and says so");
  socloss_close(x);

  o.create = SOCLOSS_OPEN_EXISTING;
  o.size = 0;
  is(socloss_open(&x, dir, &o), SOCLOSS_EINVAL, "options without size are refused");
  socloss_close(x);
  is_str(socloss_strerror(SOCLOSS_ENOTFOUND), "unknown id", "strerror");
  is_str(socloss_errname(SOCLOSS_EOVERFLOW), "SOCLOSS_EOVERFLOW", "errname");
}

/* The average-cost walk-through of the header comment of engine/apply.c. */
static void average_cost(void) {
  ok(socloss_set_mark(led, "BTC", 100) == SOCLOSS_OK, "create market BTC at 100");
  is_str(socloss_errmsg(led), "", "no message after success");
  ok(socloss_deposit(led, "alice", 10000) == 0 && socloss_deposit(led, "bob", 10000) == 0 &&
         socloss_deposit(led, "carol", 5000) == 0 && socloss_deposit(led, "dave", 5000) == 0,
     "four deposits open four accounts");

  ok(socloss_trade(led, "BTC", "alice", "bob", 10, 100) == 0, "alice buys 10 from bob at 100");
  acct_view a = view(led, "alice"), b = view(led, "bob");
  socloss_position p = pos_in(&a, "BTC");
  ok(p.size == 10 && p.cost == 1000 && a.balance == 10000, "alice: +10 lots, cost 1000");
  p = pos_in(&b, "BTC");
  ok(p.size == -10 && p.cost == -1000 && b.balance == 10000, "bob: -10 lots, cost -1000");
  ok(invariants_hold(led), "invariants after the opening trade");

  ok(socloss_set_mark(led, "BTC", 110) == 0, "mark to 110");
  is(view(led, "alice").equity, 10100, "alice equity 10000 + 10x110 - 1000");
  is(view(led, "bob").equity, 9900, "bob equity 10000 - 10x110 + 1000");

  ok(socloss_trade(led, "BTC", "carol", "alice", 4, 110) == 0, "alice sells 4 to carol at 110");
  a = view(led, "alice");
  p = pos_in(&a, "BTC");
  is(a.balance, 10040, "alice realizes 4x110 - 1000x4/10 = 40");
  ok(p.size == 6 && p.cost == 600, "alice keeps 6 lots at cost 600");

  ok(socloss_trade(led, "BTC", "dave", "bob", 3, 101) == 0 &&
         socloss_trade(led, "BTC", "dave", "bob", 1, 100) == 0,
     "dave buys 3 at 101 and 1 at 100");
  acct_view d = view(led, "dave");
  p = pos_in(&d, "BTC");
  ok(p.size == 4 && p.cost == 403, "dave: 4 lots, cost 403");

  ok(socloss_trade(led, "BTC", "bob", "dave", 3, 100) == 0, "dave sells 3 to bob at 100");
  d = view(led, "dave");
  p = pos_in(&d, "BTC");
  is(p.cost, 101, "dave's removed cost is trunc(403x3/4) = 302, 101 stays");
  is(d.balance, 4998, "dave realizes 300 - 302 = -2");
  b = view(led, "bob");
  p = pos_in(&b, "BTC");
  ok(p.size == -11 && p.cost == -1103, "bob short: trunc(-1403x3/14) = -300 removed");
  is(b.balance, 10000, "bob realizes -300 + 300 = 0");

  ok(socloss_trade(led, "BTC", "bob", "carol", 6, 120) == 0, "carol sells 6 at 120: flips short");
  acct_view c = view(led, "carol");
  p = pos_in(&c, "BTC");
  is(c.balance, 5040, "carol realizes 4x120 - 440 = 40 on the closed 4");
  ok(p.size == -2 && p.cost == -240, "carol opens -2 at 120");
  b = view(led, "bob");
  p = pos_in(&b, "BTC");
  is(b.balance, 9881, "bob realizes -720 + trunc(1103x6/11) = -119");
  ok(p.size == -5 && p.cost == -502, "bob keeps -5 at cost -502");

  is(view(led, "alice").equity, 10100, "alice equity 10040 + 660 - 600");
  is(view(led, "bob").equity, 9833, "bob equity 9881 - 550 + 502");
  is(view(led, "carol").equity, 5060, "carol equity 5040 - 220 + 240");
  is(view(led, "dave").equity, 5007, "dave equity 4998 + 110 - 101");
  socloss_totals t;
  ok(socloss_totals_get(led, &t) == 0 && t.net_flows == 30000, "net flows are the deposits");
  ok(invariants_hold(led), "conservation: the equities sum to the 30000 deposited");

  REFUSED(socloss_withdraw(led, "alice", 10101), SOCLOSS_EFUNDS,
          "amount: withdrawal of 10101 exceeds the equity 10100 of account 'alice'",
          "withdrawal beyond equity");
  ok(socloss_withdraw(led, "alice", 10100) == 0, "withdrawal of all the equity");
  a = view(led, "alice");
  ok(a.balance == -60 && a.equity == 0, "balance -60 carried by the open profit");
  ok(invariants_hold(led), "invariants after the withdrawal");

  ok(socloss_trade(led, "BTC", "dave", "alice", 6, 110) == 0, "alice closes her 6 at 110");
  a = view(led, "alice");
  ok(a.npositions == 0 && a.balance == 0, "no position left; 660 - 600 realized");
  socloss_market m;
  (void)m;
  ok(invariants_hold(led), "invariants after closing");
}

static void fund(void) {
  ok(socloss_fund_transfer(led, 500) == 0, "fund deposit 500");
  REFUSED(socloss_fund_transfer(led, -501), SOCLOSS_EFUNDS,
          "amount: fund withdrawal of 501 exceeds the fund cash 500", "fund overdraw");
  REFUSED(socloss_fund_transfer(led, 0), SOCLOSS_EINVAL, "amount: must not be zero", "fund zero");
  ok(socloss_fund_transfer(led, -200) == 0, "fund withdrawal 200");
  acct_view f = view(led, "");
  ok(f.found && f.balance == 300 && f.npositions == 0, "the fund holds 300 cash");
  ok(invariants_hold(led), "invariants after fund moves");
}

static void refusals(void) {
  char longid[66];
  memset(longid, 'x', 65);
  longid[65] = 0;
  char want[256];
  REFUSED(socloss_deposit(led, "a b", 1), SOCLOSS_EINVAL,
          "account: 'a b' is not a valid id (1-64 printable ASCII characters, no spaces)", "id with space");
  REFUSED(socloss_deposit(led, "", 1), SOCLOSS_EINVAL,
          "account: '' is not a valid id (1-64 printable ASCII characters, no spaces)", "empty id");
  snprintf(want, sizeof want,
           "account: '%s' is not a valid id (1-64 printable ASCII characters, no spaces)", longid);
  REFUSED(socloss_deposit(led, longid, 1), SOCLOSS_EINVAL, want, "65-byte id");
  longid[64] = 0;
  ok(socloss_deposit(led, longid, 1) == 0, "a 64-byte id is fine");
  REFUSED(socloss_deposit(led, "e\x7f", 1), SOCLOSS_EINVAL,
          "account: 'e\\x7f' is not a valid id (1-64 printable ASCII characters, no spaces)", "DEL byte");
  REFUSED(socloss_deposit(led, "a\x1b[2Jb", 1), SOCLOSS_EINVAL,
          "account: 'a\\x1b[2Jb' is not a valid id (1-64 printable ASCII characters, no spaces)", "escape");
  REFUSED(socloss_deposit(led, NULL, 1), SOCLOSS_EINVAL, "account: missing", "NULL id");
  REFUSED(socloss_deposit(led, "erin", 0), SOCLOSS_EINVAL, "amount: must be positive (got 0)", "deposit 0");
  REFUSED(socloss_deposit(led, "erin", -5), SOCLOSS_EINVAL, "amount: must be positive (got -5)", "deposit < 0");
  REFUSED(socloss_withdraw(led, "nobody", 1), SOCLOSS_ENOTFOUND, "account: unknown account 'nobody'",
          "withdraw from an unknown account");
  REFUSED(socloss_withdraw(led, "bob", -1), SOCLOSS_EINVAL, "amount: must be positive (got -1)", "withdraw < 0");
  REFUSED(socloss_set_mark(led, "BTC", 0), SOCLOSS_EINVAL, "mark: must be positive (got 0)", "mark 0");
  REFUSED(socloss_set_mark(led, "B TC", 5), SOCLOSS_EINVAL,
          "market: 'B TC' is not a valid id (1-64 printable ASCII characters, no spaces)", "bad market id");
  REFUSED(socloss_trade(led, "ETH", "bob", "carol", 1, 1), SOCLOSS_ENOTFOUND,
          "market: unknown market 'ETH'", "trade in an unknown market");
  REFUSED(socloss_trade(led, "BTC", "zed", "carol", 1, 1), SOCLOSS_ENOTFOUND,
          "buyer: unknown account 'zed'", "unknown buyer");
  REFUSED(socloss_trade(led, "BTC", "bob", "zed", 1, 1), SOCLOSS_ENOTFOUND,
          "seller: unknown account 'zed'", "unknown seller");
  REFUSED(socloss_trade(led, "BTC", "bob", "bob", 1, 1), SOCLOSS_EINVAL,
          "seller: buyer and seller are the same account 'bob'", "self trade");
  REFUSED(socloss_trade(led, "BTC", "bob", "carol", 0, 1), SOCLOSS_EINVAL,
          "size: must be positive (got 0)", "size 0");
  REFUSED(socloss_trade(led, "BTC", "bob", "carol", 1, -3), SOCLOSS_EINVAL,
          "price: must be positive (got -3)", "negative price");
  REFUSED(socloss_trade(led, "BTC", "bob", "carol", 4611686018427387904, 4), SOCLOSS_EOVERFLOW,
          "size: 4611686018427387904 x price 4 overflows int64", "size x price overflow");

  socloss_event batch[3] = {
      {.type = SOCLOSS_EV_DEPOSIT, .account = "bob", .amount = 7},
      {.type = 99},
      {.type = SOCLOSS_EV_DEPOSIT, .account = "bob", .amount = 8},
  };
  size_t failed = 0;
  REFUSED(socloss_apply(led, batch, 3, &failed), SOCLOSS_EINVAL, "type: unknown event type 99",
          "a batch with an unknown event");
  is(failed, 1, "the refused event's index");
  batch[1] = (socloss_event){.type = SOCLOSS_EV_WITHDRAW, .account = "bob", .amount = INT64_MAX};
  REFUSED(socloss_apply(led, batch, 3, &failed), SOCLOSS_EFUNDS,
          "amount: withdrawal of 9223372036854775807 exceeds the equity 9840 of account 'bob'",
          "a batch is all or nothing");
  ok(invariants_hold(led), "invariants after the refusals");
}

static void overflow(void) {
  char d2[64];
  socloss *l2 = new_ledger(d2, 0);
  socloss *keep = led;
  led = l2;
  ok(socloss_deposit(led, "whale", INT64_MAX) == 0, "deposit INT64_MAX");
  REFUSED(socloss_deposit(led, "minnow", 1), SOCLOSS_EOVERFLOW,
          "amount: the ledger's net flows would overflow int64", "net flows overflow");
  ok(socloss_set_mark(led, "HUGE", 1000000000) == 0 && socloss_deposit(led, "b", 0 + 1) != 0,
     "market at 1e9 (and flows still full)");
  /* the net flows' total is checked, not a running sum: past int64 and back is fine */
  socloss_event back[3] = {{.type = SOCLOSS_EV_DEPOSIT, .account = "b", .amount = 5},
                           {.type = SOCLOSS_EV_WITHDRAW, .account = "whale", .amount = 5},
                           {.type = SOCLOSS_EV_FUND, .amount = 1}};
  size_t failed = 99;
  ok(socloss_apply(led, back, 2, &failed) == 0 && failed == 2, "net flows past int64 and back in one batch");
  REFUSED(socloss_apply(led, back, 3, &failed), SOCLOSS_EOVERFLOW,
          "amount: the ledger's net flows would overflow int64", "a batch whose net flows total overflows");
  is(failed, 2, "... refused at the last event moving them");
  led = keep;
  drop_ledger(l2, d2);

  l2 = new_ledger(d2, 0);
  led = l2;
  ok(socloss_set_mark(led, "M", 1000000000) == 0 && socloss_deposit(led, "a", 1) == 0 &&
         socloss_deposit(led, "b", 1) == 0,
     "market M at 1e9, two accounts");
  REFUSED(socloss_trade(led, "M", "a", "b", 10000000000, 1), SOCLOSS_EOVERFLOW,
          "size: open interest 10000000000 x mark 1000000000 of market 'M' would overflow int64",
          "open interest x mark overflow");
  ok(socloss_trade(led, "M", "a", "b", 10, 1) == 0, "a small trade is fine");
  REFUSED(socloss_set_mark(led, "M", INT64_MAX / 5), SOCLOSS_EOVERFLOW,
          "mark: 1844674407370955161 x open interest 10 of market 'M' overflows int64",
          "a mark that would overflow size x mark");
  ok(invariants_hold(led), "invariants after the overflow refusals");
  led = keep;
  drop_ledger(l2, d2);
}

int main(void) {
  led = new_ledger(dir, 0);
  if (!led) return 1;
  opening();
  average_cost();
  fund();
  refusals();
  overflow();
  drop_ledger(led, dir);
  return done_testing();
}
