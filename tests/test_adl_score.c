/*
 * socloss.adl_score through the real evaluator (docs/helpers.md): worked
 * values computed by hand for each kind, Lua's integer wrap-around where the
 * Lua loop it replaces had it, and every error.  Each probe is a policy
 * whose deleverage step calls the helper on Lua lists (so any row can be
 * written down) and raises what it got as text, which the resolution's
 * failure message carries back: doubles as "%.17g" (round-trip exact),
 * NaN as "nan".
 */
#include "util.h"

static socloss *led;

/* Line 1 of every probe: the column as text, "float: v1 v2 ..." or
 * "integer: ...". */
#define SHOW                                                                                                   \
  "local function show(c) local t = {} for i = 1, #c do local v = c[i] "                                     \
  "t[i] = v ~= v and 'nan' or math.type(v) == 'integer' and string.format('%d', v) "                         \
  "or string.format('%.17g', v) end return (math.type(c[1]) or 'empty') .. ': ' .. table.concat(t, ' ') end\n"

/* Runs BODY (line 3 of the policy) in a deleverage step, dry; returns the
 * text after "policy:3: " in the failure, or "" when it did not fail so. */
static const char *probe(const char *body) {
  static char out[1024];
  char src[4096];
  snprintf(src, sizeof src, "%sreturn {name = 'probe', deleverage = function(ctx)\n%s\nend}\n", SHOW, body);
  socloss_resolve_options o;
  socloss_resolve_options_init(&o);
  o.policy = src;
  o.policy_len = strlen(src);
  o.dry_run = 1;
  const socloss_resolution *r;
  out[0] = 0;
  if (socloss_resolve(led, "a", &o, &r) == SOCLOSS_OK) return out;
  const char *m = strstr(socloss_errmsg(led), "raised an error in deleverage: policy:3: ");
  if (m) snprintf(out, sizeof out, "%s", m + strlen("raised an error in deleverage: policy:3: "));
  else diag("%s", socloss_errmsg(led));
  return out;
}

#define MIN "math.mininteger"

static void values(void) {
  /* bitmex, mark 100: leverage = |size x 100| / max(equity, 1), PnL% = upnl / max(|cost|, 1);
   * PnL% x leverage in profit, PnL% / leverage otherwise.
   *  1: size -4, cost -500, upnl 100, equity 1600: lev 400 / 1600 = 0.25, pct 100 / 500 = 0.2 (the double
   *     0.2000000000000000111), x 0.25 is exact (a power of two): the double of 0.05, 0.050000000000000003
   *  2: size 2, cost 250, upnl -50, equity 100: lev 200 / 100 = 2, pct -0.2, -0.2 / 2 = -0.10000000000000001
   *  3: size 0: 0
   *  4: size 1, cost mininteger, upnl 3, equity 0: |cost| wraps to mininteger, max(that, 1) = 1, pct 3;
   *     equity 0 counts as 1: lev 100; 3 x 100 = 300
   *  5: size -3, cost 300, upnl 0, equity -50: pct 0 is not > 0: 0 / (300 / 1) = 0
   *  6: size 2^62 + 1, cost 5, upnl 5, equity 50: (2^62 + 1) x 100 = 25 x 2^64 + 100 wraps to 100,
   *     lev 100 / 50 = 2, pct 1: 2
   *  7: size 2^62, cost 5, upnl -5: 2^62 x 100 = 25 x 2^64 wraps to 0, lev 0: -1 / 0 = -inf
   *  8: the same with upnl 0: 0 / 0 = nan */
  is_str(probe("error(show(socloss.adl_score('bitmex', {-4, 2, 0, 1, -3, 4611686018427387905, 4611686018427387904, "
               "4611686018427387904}, {-500, 250, 0, " MIN ", 300, 5, 5, 5}, {100, -50, 7, 3, 0, 5, -5, 0}, "
               "{1600, 100, 10, 0, -50, 50, 50, 50}, 0, 100)))"),
         "float: 0.050000000000000003 -0.10000000000000001 0 300 0 2 -inf nan",
         "bitmex: PnL%% x leverage, PnL%% / leverage when losing, Lua's wrap-around kept");

  /* binance, mark 100: max(0, upnl) / max(1, balance) x leverage.
   *  1: size -4, upnl 100, balance 400, equity 1600: 100 / 400 = 0.25, lev 0.25: 0.0625
   *  2: size 2, upnl -50: max(0, -50) = 0: 0
   *  3: size 1, upnl 30, balance 0 (counts as 1), equity 50: 30 / 1 x (100 / 50) = 60
   *  4: size -3, upnl 300, balance -20, equity -10 (both count as 1): 300 / 1 x (300 / 1) = 90000
   *  5: size 0: 0
   *  6: size 3, upnl 1, balance 3, equity 300: (1 / 3) x (300 / 300): 0.33333333333333331 x 1 */
  is_str(probe("error(show(socloss.adl_score('binance', {-4, 2, 1, -3, 0, 3}, 0, {100, -50, 30, 300, 9, 1}, "
               "{1600, 100, 50, -10, 10, 300}, {400, 500, 0, -20, 10, 3}, 100)))"),
         "float: 0.0625 0 60 90000 0 0.33333333333333331",
         "binance: max(0, upnl) / max(1, balance) x leverage");

  /* binance with the wallet floor and maintenance margin (Binance's order), unit 1000 atoms, mark 100:
   * max(0, upnl) / max(1000, balance) x (mm / equity), the ratio 0 when equity <= 0.
   *  1: upnl 100, balance 400 (under one unit: counts as 1000), equity 1600, mm 80:
   *     100 / 1000 = 0.1, 80 / 1600 = 0.05; 0.1 x 0.05 = 0.005000000000000001 (the doubles' product)
   *  2: upnl -50: 0
   *  3: upnl 30, balance 2000, equity 2030, mm 10: 30 / 2000 = 0.015, 10 / 2030 = 0.0049261083743842365,
   *     product 7.3891625615763541e-05
   *  4: upnl 300, balance -20, equity -10: the margin ratio is 0: 0
   *  5: size 0: 0
   *  6: upnl 1, balance 3, equity 300, mm 9: 1 / 1000 = 0.001, 9 / 300 = 0.03: 3.0000000000000001e-05 */
  is_str(probe("error(show(socloss.adl_score('binance', {-4, 2, 1, -3, 0, 3}, 0, {100, -50, 30, 300, 9, 1}, "
               "{1600, 100, 2030, -10, 10, 300}, {400, 500, 2000, -20, 10, 3}, 100, 1000, {80, 8, 10, 12, 5, 9})))"),
         "float: 0.005000000000000001 0 7.3891625615763541e-05 0 0 3.0000000000000001e-05",
         "binance with a wallet floor and maintenance margins: Binance's order");
  /* the 9-argument form against the 7-argument one, unit 1000, mark 100, short 1 lot each, mm 1:
   *  1: upnl 10, wallet 1 (under one unit), equity 11; 2: upnl 20000, wallet 1000, equity 21000.
   * Binance's order: 10 / 1000 x 1 / 11 = 0.000909 < 20000 / 1000 x 1 / 21000 = 0.000952: 2 first.
   * The 1-atom floor: 10 / 1 x 100 / 11 = 90.9 > 20000 / 1000 x 100 / 21000 = 0.0952: 1 first. */
  is_str(probe("error(show(socloss.order(socloss.adl_score('binance', {-1, -1}, 0, {10, 20000}, {11, 21000}, "
               "{1, 1000}, 100, 1000, {1, 1}), 'desc')))"),
         "integer: 2 1", "with a wallet floor of one unit, the wallet of 1 atom no longer ranks first");
  is_str(probe("error(show(socloss.order(socloss.adl_score('binance', {-1, -1}, 0, {10, 20000}, {11, 21000}, "
               "{1, 1000}, 100), 'desc')))"),
         "integer: 1 2", "... where the 7-argument form's 1-atom floor put it first");

  /* hyperliquid, mark 100: entry = cost / size; mark / entry for a long, entry / mark for a short, x leverage.
   *  1: long 4, cost 320, equity 800: entry 80, 100 / 80 = 1.25, lev 400 / 800 = 0.5: 0.625
   *  2: short -2, cost -250, equity 100: entry 125, 125 / 100 = 1.25, lev 200 / 100 = 2: 2.5
   *  3: long 2, cost 0, equity 200: entry 0, 100 / 0 = inf, lev 1: inf
   *  4: long 3, cost 900, equity 300: entry 300, 100 / 300 = 0.33333333333333331, lev 1
   *  5: size 0: 0 */
  is_str(probe("error(show(socloss.adl_score('hyperliquid', {4, -2, 2, 3, 0}, {320, -250, 0, 900, 0}, 0, "
               "{800, 100, 200, 300, 5}, 0, 100)))"),
         "float: 0.625 2.5 inf 0.33333333333333331 0", "hyperliquid: (mark / entry or entry / mark) x leverage");

  /* pnl: the exact upnl where size is not 0, an integer column */
  is_str(probe("error(show(socloss.adl_score('pnl', {1, 0, -2, 5}, 0, {5, 7, -3, " MIN "}, 0, 0, 100)))"),
         "integer: 5 0 -3 -9223372036854775808", "pnl: the exact integers, 0 where size is 0");

  /* a result is a new writable column of ctx.n rows over ctx's columns */
  is_str(probe("local s = socloss.adl_score('bitmex', ctx.size.BTC, ctx.cost.BTC, ctx.upnl.BTC, ctx.equity, "
               "ctx.balance, 90) s[1] = 1.5 error(#s .. ' ' .. s[1])"),
         "1 1.5", "over ctx's columns: one row per candidate (b), writable");
  is_str(probe("error(show(socloss.adl_score('binance', {}, {}, {}, {}, {}, 100)) .. '|')"), "empty: |",
         "empty columns give an empty column");
}

static void errors(void) {
  const char *unknown = "score must be 'bitmex', 'binance', 'hyperliquid' or 'pnl', not ";
  char want[256];
  struct { const char *kind, *shown; } bad[] = {
      {"'vibes'", "'vibes'"}, {"'PNL'", "'PNL'"}, {"nil", "'nil'"}, {"5", "'5'"}, {"5.0", "'5.0'"},
      {"true", "'true'"}, {"{}", "'table'"}, {"ctx.size.BTC", "'userdata'"}};
  for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
    char body[256];
    snprintf(body, sizeof body, "socloss.adl_score(%s, {1}, {1}, {1}, {1}, {1}, 100)", bad[k].kind);
    snprintf(want, sizeof want, "%s%s", unknown, bad[k].shown);
    is_str(probe(body), want, "an unknown kind %s is named as tostring shows it", bad[k].kind);
  }
  snprintf(want, sizeof want, "%s%s", unknown, "'nil'");
  is_str(probe("socloss.adl_score()"), want, "no kind at all is 'nil'");
  is_str(probe("socloss.adl_score('vibes', true)"), "score must be 'bitmex', 'binance', 'hyperliquid' or 'pnl', not 'vibes'",
         "the kind is checked before the columns");
  is_str(probe("socloss.adl_score('bitmex', {1, 2}, {1, 2, 3}, 0, 0, 0, 100)"), "columns of different lengths (2 and 3)",
         "columns of different lengths");
  is_str(probe("socloss.adl_score('pnl', ctx.size.BTC, 0, {1, 2, 3}, 0, 0, 100)"),
         "columns of different lengths (1 and 3)", "a list against ctx's columns of another length");
  is_str(probe("socloss.adl_score('bitmex', true, 0, 0, 0, 0, 100)"),
         "argument #2 must be an integer, a column or a list, not boolean", "a boolean size");
  is_str(probe("socloss.adl_score('bitmex', {1}, 0, socloss.column(1, 0.0), 0, 0, 100)"),
         "argument #4 is not an integer column", "a float column");
  is_str(probe("socloss.adl_score('bitmex', ctx.account, 0, 0, 0, 0, 100)"), "argument #2 is not an integer column",
         "the id column");
  is_str(probe("socloss.adl_score('binance', {1}, 0, 0, 0, 1.5, 100)"),
         "argument #6 is a float; only integers are exact", "a float balance");
  is_str(probe("socloss.adl_score('bitmex', {1, 2.5}, 0, 0, 0, 0, 100)"),
         "element 2 of the list is a float, not an integer", "a float in a list");
  is_str(probe("socloss.adl_score('bitmex', {1}, 0, 0, 0, 0, 90.0)"), "argument #7 is a float; only integers are exact",
         "a float mark, even integral");
  is_str(probe("socloss.adl_score('bitmex', {1}, 0, 0, 0, 0, {90})"),
         "adl_score: mark must be an integer, not a column", "a mark that is a list");
  is_str(probe("socloss.adl_score('bitmex', {1}, 0, 0, 0, 0)"),
         "argument #7 must be an integer, a column or a list, not no value", "no mark");
  is_str(probe("socloss.adl_score('pnl', 1, 0, 0, 0, 0, 100)"), "adl_score: at least one argument must be a column",
         "no column at all");
  is_str(probe("socloss.adl_score('bitmex', {1}, 0, 0, 0, 0, 100, 1, 0)"),
         "adl_score: only 'binance' takes a wallet floor and a maintenance margin", "a floor for another kind");
  is_str(probe("socloss.adl_score('binance', {1}, 0, 0, 0, 0, 100, 1)"),
         "adl_score: 'binance' takes the wallet floor (argument #8) and the maintenance margin (argument #9) together",
         "a floor without a maintenance margin");
  is_str(probe("socloss.adl_score('binance', {1}, 0, 0, 0, 0, 100, nil, {1})"),
         "adl_score: 'binance' takes the wallet floor (argument #8) and the maintenance margin (argument #9) together",
         "a maintenance margin without a floor");
  is_str(probe("socloss.adl_score('binance', {1}, 0, 0, 0, 0, 100, 0, {1})"),
         "adl_score: the wallet floor must be an integer >= 1 (the atoms of one unit of the asset)", "a floor of 0");
  is_str(probe("socloss.adl_score('binance', {1}, 0, 0, 0, 0, 100, 1.0, {1})"),
         "adl_score: the wallet floor must be an integer >= 1 (the atoms of one unit of the asset)", "a float floor");
  is_str(probe("socloss.adl_score('binance', {1}, 0, 0, 0, 0, 100, 1, 1.5)"),
         "argument #9 is a float; only integers are exact", "a float maintenance margin");
  is_str(probe("socloss.adl_score('binance', {1, 2}, 0, 0, 0, 0, 100, 1, {1, 2, 3})"),
         "columns of different lengths (2 and 3)", "maintenance margins of another length");
  is_str(probe("socloss.adl_score('binance', {1, 2}, 0, 0, 0, 0, 100, 1, {0, -5})"),
         "adl_score: maintenance margin -5 at 2 is negative", "a negative maintenance margin");
  ok(strstr(probe("local ok, e = pcall(socloss.adl_score, 'vibes', {1}, 0, 0, 0, 0, 1) error('caught: ' .. e)"),
            "caught: score must be") != NULL,
     "an error is an ordinary Lua error, caught by pcall");
}

/* The result is a column of the policy's memory: with a 4 MiB budget, a
 * 300,000-row input (2.4 MB) fits, it and its 2.4 MB of scores do not. */
static void budget(void) {
  socloss_limits lim;
  socloss_limits_get(led, &lim);
  socloss_limits small = lim;
  small.memory = 4u << 20;
  ok(socloss_limits_set(led, &small) == SOCLOSS_OK, "a 4 MiB memory budget");
  is_str(probe("local c = socloss.column(300000, 1) error('made ' .. #c)"), "made 300000", "a 300,000-row column fits");
  const char *body = "local c = socloss.column(300000, 1) local s = socloss.adl_score('bitmex', c, c, c, c, c, 1)";
  char src[1024];
  snprintf(src, sizeof src, "%sreturn {name = 'probe', deleverage = function(ctx)\n%s\nend}\n", SHOW, body);
  socloss_resolve_options o;
  socloss_resolve_options_init(&o);
  o.policy = src;
  o.policy_len = strlen(src);
  o.dry_run = 1;
  const socloss_resolution *r;
  is(socloss_resolve(led, "a", &o, &r), SOCLOSS_EPOLICY, "its scores do not");
  ok(strstr(socloss_errmsg(led), "exceeded its memory budget in deleverage") != NULL, "exceeded its memory budget: %s",
     socloss_errmsg(led));
  ok(socloss_limits_set(led, &lim) == SOCLOSS_OK, "the budget back");
}

int main(void) {
  fixture fx;
  /* a: long 10 at 100, marked down to 90 with no balance: equity -100, so
   * its deficit calls the probes' deleverage step; b the other side */
  if (fixture_make(&fx, "market,mark_price\nBTC,100\n", "account,balance\na,0\nb,1000\n",
                   "account,market,size,entry_price\na,BTC,10,100\nb,BTC,-10,100\n",
                   "{\"type\":\"market\",\"market\":\"BTC\",\"mark\":90}\n"))
    return 1;
  led = fx.led;
  values();
  errors();
  budget();
  drop_ledger(fx.led, fx.dir);
  return done_testing();
}
