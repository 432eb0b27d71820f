/*
 * A ledger's units through the public API: set at open and by
 * socloss_units_set (journaled, fixed once an amount is written), markets'
 * lots, CSV and JSON Lines read in units exactly (or refused naming the
 * nearest exact values), the socloss_format_* texts, and the state being
 * the atoms alone: the same atoms without units make the same digest.
 */
#include <unistd.h>

#include "units_in.h" /* internals: the write's guards against a change since the input was read */
#include "util.h"

/* USD with 6 decimals; BTC in lots of 0.001 BTC, ETH with no lot (prices per lot):
 *   BTC mark 60000.5 USD/BTC   = 60000.5 x 0.001 x 10^6      =     60,000,500 atoms per lot
 *   ETH mark 3000.25 USD/lot   = 3000.25 x 10^6              =  3,000,250,000
 *   alice 150.25, bob -0.5, carol 1000 USD = 150,250,000, -500,000, 1,000,000,000 atoms
 *   entry 59000.001 USD/BTC    = 59000.001 x 0.001 x 10^6    =     59,000,001 atoms per lot
 *   alice +3 BTC lots: cost 3 x 59,000,001 = 177,000,003; upnl 3 x 60,000,500 - 177,000,003 = 3,001,497
 *   equity 150,250,000 + 3,001,497 = 153,251,497 */
static const char *M = "market,mark_price,lot\nBTC,60000.5,0.001 BTC\nETH,3000.25,\n";
static const char *A = "account,balance\nalice,150.25\nbob,-0.5\ncarol,1000\n";
static const char *P = "account,market,size,entry_price\nalice,BTC,3,59000.001\ncarol,BTC,-3,59000.001\n";
/* the same ledger in atoms, for a ledger without units */
static const char *M0 = "market,mark_price\nBTC,60000500\nETH,3000250000\n";
static const char *A0 = "account,balance\nalice,150250000\nbob,-500000\ncarol,1000000000\n";
static const char *P0 = "account,market,size,entry_price\nalice,BTC,3,59000001\ncarol,BTC,-3,59000001\n";

static socloss *open_with(const char *dir, const socloss_units *u, int *rc) {
  socloss_options o;
  socloss_options_init(&o);
  o.create = SOCLOSS_OPEN_CREATE;
  o.unsafe_nosync = 1;
  o.units = u;
  socloss *led;
  *rc = socloss_open(&led, dir, &o);
  return led;
}

static uint64_t last_seq(socloss *led) {
  socloss_totals t;
  return socloss_totals_get(led, &t) ? 0 : t.journal_seq;
}

typedef struct rec_at {
  uint64_t seq;
  char json[512];
} rec_at;

static int grab(void *ud, uint64_t seq, const char *json) {
  rec_at *r = ud;
  if (seq != r->seq) return 1;
  snprintf(r->json, sizeof r->json, "%s", json);
  return 1;
}

static const char *record(socloss *led, uint64_t seq) {
  static rec_at r;
  r.seq = seq;
  r.json[0] = 0;
  socloss_journal(led, seq, grab, &r);
  return r.json;
}

static int collect_lot(void *ud, const socloss_lot *l) {
  char *out = ud;
  char one[128];
  snprintf(one, sizeof one, "%s=%llu/%d/%s;", l->market, (unsigned long long)l->units, l->scale, l->underlying);
  strcat(out, one);
  return 0;
}

static int mark_cb(void *ud, const socloss_market *m) {
  struct { const char *id; int64_t mark; } *w = ud;
  if (!strcmp(m->market, w->id)) w->mark = m->mark;
  return 0;
}

static int64_t mark_of(socloss *led, const char *market) {
  struct { const char *id; int64_t mark; } w = {market, -1};
  socloss_markets(led, mark_cb, &w);
  return w.mark;
}

static void refused_csv(socloss *led, const char *m, const char *a, const char *p, int code, const char *msg,
                        const char *name) {
  fingerprint before = fp_of(led);
  socloss_source sm = src_of("m.csv", m ? m : ""), sa = src_of("a.csv", a ? a : ""), sp = src_of("p.csv", p ? p : "");
  int rc = socloss_import_csv(led, m ? &sm : NULL, a ? &sa : NULL, p ? &sp : NULL, NULL);
  is(rc, code, "%s: refused", name);
  is_str(socloss_errmsg(led), msg, "%s: the message", name);
  ok(fp_equal(before, fp_of(led)), "%s: nothing written", name);
}

static void refused_jsonl(socloss *led, const char *text, int code, const char *msg, const char *name) {
  fingerprint before = fp_of(led);
  socloss_source s = src_of("e.jsonl", text);
  is(socloss_apply_jsonl(led, &s, NULL), code, "%s: refused", name);
  is_str(socloss_errmsg(led), msg, "%s: the message", name);
  ok(fp_equal(before, fp_of(led)), "%s: nothing written", name);
}

/* The guards the write runs (another process may set the units, or list a
 * market, between an input's reading and its write; no single call can
 * make that happen, so they are called here directly). */
struct guard {
  socloss *led;
  ledger_units read_as;
  ledger_lot lot;
  int existed;
};

static int units_guard(store_txn *t, void *ud) { return in_units_same(t, &((struct guard *)ud)->read_as); }

static int lot_guard(store_txn *t, void *ud) {
  struct guard *g = ud;
  applier a;
  int rc = applier_start(&a, g->led, t, 1);
  if (!rc) rc = lot_settle(&a, "BTC", &g->lot, g->existed);
  applier_end(&a);
  return rc ? rc : SOCLOSS_ESTOP;  /* never kept */
}

int main(void) {
  char dir[64] = "/tmp/socloss-test-XXXXXX", dir0[64];
  if (!mkdtemp(dir)) return 1;
  int rc;

  /* ---- units refused before anything is made ---- */
  socloss_units bad;
  socloss_units_init(&bad);
  strcpy(bad.asset, "US D");
  bad.decimals = 6;
  socloss *led = open_with(dir, &bad, &rc);
  is(rc, SOCLOSS_EINVAL, "open with units 'US D': refused");
  is_str(socloss_errmsg(led), "asset: 'US D' is not a symbol (1-16 of A-Z a-z 0-9 . _ -)", "the message");
  char path[128];
  snprintf(path, sizeof path, "%s/data.mdb", dir);
  ok(access(path, F_OK) != 0, "no ledger was made");
  socloss_close(led);

  /* ---- a new ledger takes its units from the open ---- */
  socloss_units usd;
  socloss_units_init(&usd);
  strcpy(usd.asset, "USD");
  usd.decimals = 6;
  led = open_with(dir, &usd, &rc);
  is(rc, SOCLOSS_OK, "open a new ledger with USD, 6 decimals");
  socloss_units u;
  socloss_units_init(&u);
  ok(socloss_units_get(led, &u) == SOCLOSS_OK && !strcmp(u.asset, "USD") && u.decimals == 6, "its units are USD/6");
  is_str(record(led, 1), "{\"seq\":1,\"type\":\"units\",\"asset\":\"USD\",\"decimals\":6}", "journaled as record 1");

  /* before any amount they may change, each change journaled; the same again writes nothing */
  socloss_units eur = usd;
  strcpy(eur.asset, "EUR");
  eur.decimals = 2;
  is(socloss_units_set(led, &eur), SOCLOSS_OK, "units EUR/2 before any amount");
  is_str(record(led, 2), "{\"seq\":2,\"type\":\"units\",\"asset\":\"EUR\",\"decimals\":2}", "record 2");
  socloss_limits lim;
  socloss_limits_get(led, &lim);
  is(socloss_limits_set(led, &lim), SOCLOSS_OK, "limits (record 3) change no state");
  is(socloss_units_set(led, &usd), SOCLOSS_OK, "back to USD/6 after a limits record");
  is(last_seq(led), 4, "record 4");
  is(socloss_units_set(led, &usd), SOCLOSS_OK, "USD/6 again");
  is(last_seq(led), 4, "the same units write nothing");
  bad.decimals = 19;
  strcpy(bad.asset, "USD");
  is(socloss_units_set(led, &bad), SOCLOSS_EINVAL, "19 decimals: refused");
  is_str(socloss_errmsg(led), "decimals: 19 is not between 0 and 18", "the message");
  memset(bad.asset, 'X', sizeof bad.asset);  /* 17 bytes, unended */
  bad.decimals = 2;
  is(socloss_units_set(led, &bad), SOCLOSS_EINVAL, "a 17-byte symbol: refused");
  is_str(socloss_errmsg(led), "asset: 'XXXXXXXXXXXXXXXXX' is not a symbol (1-16 of A-Z a-z 0-9 . _ -)", "the message");
  socloss_units no_size = usd;
  no_size.size = 0;
  is(socloss_units_get(led, &no_size), SOCLOSS_EINVAL, "units_get without size: refused");

  /* ---- CSV in units ---- */
  socloss_source m = src_of("m.csv", M), a = src_of("a.csv", A), p = src_of("p.csv", P);
  socloss_import_stats st;
  rc = socloss_import_csv(led, &m, &a, &p, &st);
  is(rc, SOCLOSS_OK, "import in USD: %s", rc ? socloss_errmsg(led) : "ok");
  is(mark_of(led, "BTC"), 60000500, "BTC mark 60000.5 USD/BTC is 60,000,500 atoms per 0.001 BTC");
  is(mark_of(led, "ETH"), 3000250000, "ETH mark 3000.25 USD per lot is 3,000,250,000 atoms");
  acct_view al = view(led, "alice");
  is(al.balance, 150250000, "alice 150.25 USD is 150,250,000 atoms");
  is(pos_in(&al, "BTC").cost, 177000003, "her cost: 3 lots at 59000.001 USD/BTC, 3 x 59,000,001");
  is(al.equity, 153251497, "her equity 150,250,000 + 3,001,497");
  is(view(led, "bob").balance, -500000, "bob -0.5 USD is -500,000 atoms");
  /* records 5.. : market BTC, lot BTC, market ETH, 3 accounts, 2 positions */
  is_str(record(led, 6), "{\"seq\":6,\"type\":\"lot\",\"market\":\"BTC\",\"lot\":\"0.001\",\"underlying\":\"BTC\"}",
         "the lot is journaled after its market");
  is(last_seq(led), 12, "ETH (no lot) has no lot record: 12 records");
  char lots[512] = "";
  is(socloss_lots(led, collect_lot, lots), SOCLOSS_OK, "socloss_lots");
  is_str(lots, "BTC=1/3/BTC;", "one market has a lot: 1 x 10^-3 BTC");
  socloss_lot lot = {.size = sizeof lot};
  ok(socloss_lot_get(led, "ETH", &lot) == SOCLOSS_OK && lot.units == 0 && !lot.underlying[0], "ETH has none");
  is(socloss_lot_get(led, "NOPE", &lot), SOCLOSS_ENOTFOUND, "an unknown market");
  is_str(socloss_errmsg(led), "market: unknown market 'NOPE'", "the message");
  ok(invariants_hold(led), "check holds");

  /* ---- the write's guards ---- */
  {
    struct guard g = {led, {"USD", 6}, {1, 3, "BTC"}, 1};
    is(store_read(led->st, units_guard, &g), SOCLOSS_OK, "units read as USD/6, still USD/6: written");
    g.read_as = (ledger_units){"", 0};
    is(store_read(led->st, units_guard, &g), SOCLOSS_EINVAL, "read without units, now USD/6: refused");
    is_str(socloss_errmsg(led),
           "units: the ledger's units changed while the input was read (now USD with 6 decimals, read with none); "
           "nothing written",
           "the message");
    is(store_write(led->st, lot_guard, &g), SOCLOSS_ESTOP, "BTC listed meanwhile with the lot read: fine");
    g.lot = (ledger_lot){1, 0, "BTC"};
    is(store_write(led->st, lot_guard, &g), SOCLOSS_EINVAL, "BTC listed meanwhile with another lot: refused");
    is_str(socloss_errmsg(led),
           "lot: market 'BTC' has lot 0.001 BTC, not 1 BTC; a market's lot is fixed when it is listed", "the message");
    g.lot = (ledger_lot){0, 0, ""};
    is(store_write(led->st, lot_guard, &g), SOCLOSS_EINVAL, "read as a new market with no lot: refused too");
  }

  /* ---- the state is the atoms: the same atoms without units, the same digest ---- */
  {
    fixture fx;
    ok(fixture_make(&fx, M0, A0, P0, NULL) == 0, "the same ledger in atoms, without units");
    unsigned char d0[32], d1[32];
    socloss_state_digest(fx.led, d0);
    socloss_state_digest(led, d1);
    ok(memcmp(d0, d1, 32) == 0, "the same state digest: units change no state");
    strcpy(dir0, fx.dir);
    /* a ledger without units reads integers as ever */
    refused_csv(fx.led, NULL, "account,balance\ndan,1.5\n", NULL, SOCLOSS_EPARSE, "a.csv:2: balance: not an integer: '1.5'",
                "without units, 1.5");
    refused_csv(fx.led, "market,mark_price,lot\nSOL,1,1 SOL\n", NULL, NULL, SOCLOSS_EPARSE,
                "m.csv:1: header: expected 'market,mark_price', got 'market,mark_price,lot'", "without units, a lot");
    refused_jsonl(fx.led, "{\"type\":\"market\",\"market\":\"SOL\",\"mark\":1,\"lot\":\"1 SOL\"}\n", SOCLOSS_EINVAL,
                  "e.jsonl:1: lot: the ledger has no units, so its markets have no lots (socloss init DB --asset "
                  "SYMBOL --decimals N)",
                  "without units, a JSON lot");
    refused_jsonl(fx.led, "{\"type\":\"deposit\",\"account\":\"bob\",\"amount\":\"1\"}\n", SOCLOSS_EPARSE,
                  "e.jsonl:1: amount: must be an integer, not a string", "without units, a string amount");
    socloss_units none;
    socloss_units_init(&none);
    ok(socloss_units_get(fx.led, &none) == SOCLOSS_OK && !none.asset[0], "no units");
    drop_ledger(fx.led, dir0);
  }

  /* ---- fixed once an amount is written ---- */
  is(socloss_units_set(led, &eur), SOCLOSS_EINVAL, "units after the import: refused");
  is_str(socloss_errmsg(led),
         "units: the ledger holds amounts since journal record 5 (market), counted in its units (USD with 6 "
         "decimals): they cannot change now",
         "the message names the first record with amounts");

  /* ---- refusals in units: the nearest exact values ---- */
  refused_csv(led, NULL, "account,balance\ndan,1.2345678\n", NULL, SOCLOSS_EINVAL,
              "a.csv:2: balance: '1.2345678' is not a whole number of atoms (USD has 6 decimals); nearest: 1.234567 or "
              "1.234568",
              "a seventh decimal");
  refused_csv(led, NULL, "account,balance\ndan,-1.2345678\n", NULL, SOCLOSS_EINVAL,
              "a.csv:2: balance: '-1.2345678' is not a whole number of atoms (USD has 6 decimals); nearest: -1.234568 "
              "or -1.234567",
              "negative");
  refused_csv(led, NULL, "account,balance\ndan,1e3\n", NULL, SOCLOSS_EPARSE,
              "a.csv:2: balance: not a decimal number: '1e3'", "an exponent");
  refused_csv(led, NULL, "account,balance\ndan,9223372036854.775808\n", NULL, SOCLOSS_EOVERFLOW,
              "a.csv:2: balance: out of int64 range: '9223372036854.775808' (at most 9223372036854.775807 USD)",
              "one atom past int64");
  refused_csv(led, NULL, NULL, "account,market,size,entry_price\nbob,BTC,1,59000.0005\ncarol,BTC,-1,59000\n",
              SOCLOSS_EINVAL,
              "p.csv:2: entry_price: '59000.0005' USD per BTC is not a whole number of atoms per lot of 0.001 BTC; "
              "nearest: 59000.000 or 59000.001",
              "a price between two atoms per lot");
  refused_csv(led, NULL, NULL, "account,market,size,entry_price\nbob,BTC,1.5,59000\n", SOCLOSS_EPARSE,
              "p.csv:2: size: not an integer: '1.5'", "sizes stay lots");
  refused_csv(led, NULL, NULL, "account,market,size,entry_price\nbob,XRP,1,1\n", SOCLOSS_ENOTFOUND,
              "p.csv:2: market: unknown market 'XRP'", "a price needs its market");
  refused_csv(led, "market,price\nXRP,1\n", NULL, NULL, SOCLOSS_EPARSE,
              "m.csv:1: header: expected 'market,mark_price' or 'market,mark_price,lot', got 'market,price'",
              "a wrong header names both");
  refused_csv(led, "market,mark_price,lot\nXRP,0.5,3 XRP\n", NULL, NULL, SOCLOSS_EINVAL,
              "m.csv:2: lot: '3 XRP': a lot's digits may have no prime factor but 2 and 5 (like 1, 25 or 5 x 10^-4), "
              "so that every price per XRP is a finite decimal",
              "a lot of 3");
  refused_csv(led, "market,mark_price,lot\nXRP,0.5,0.001XRP\n", NULL, NULL, SOCLOSS_EINVAL,
              "m.csv:2: lot: '0.001XRP' is not a lot: a positive decimal, one space and the underlying's symbol "
              "(1-16 of A-Z a-z 0-9 . _ -), like '0.001 BTC'",
              "a lot without its space");
  refused_csv(led, "market,mark_price,lot\nXRP,-0.5,1 XRP\n", NULL, NULL, SOCLOSS_EINVAL,
              "m.csv:2: mark_price: must be positive (got '-0.5')", "a negative mark, as written");

  /* ---- JSON Lines in units: integers and decimal strings are units ---- */
  const char *ev =
      "{\"type\":\"deposit\",\"account\":\"bob\",\"amount\":\"2.000001\"}\n"              /* 2,000,001 */
      "{\"type\":\"market\",\"market\":\"SOL\",\"mark\":\"150.25\",\"lot\":\"0.1 SOL\"}\n" /* 150.25 x 0.1 x 10^6 */
      "{\"type\":\"trade\",\"market\":\"BTC\",\"buyer\":\"bob\",\"seller\":\"carol\",\"size\":1,\"price\":60001}\n"
      "{\"type\":\"fund\",\"amount\":\"12.5\"}\n";
  socloss_source e = src_of("e.jsonl", ev);
  size_t applied = 0;
  rc = socloss_apply_jsonl(led, &e, &applied);
  ok(rc == SOCLOSS_OK && applied == 4, "apply 4 events in units: %s", rc ? socloss_errmsg(led) : "ok");
  is(view(led, "bob").balance, -500000 + 2000001, "bob: -0.5 + 2.000001 USD");
  is(mark_of(led, "SOL"), 15025000, "SOL mark 150.25 USD/SOL in lots of 0.1 SOL: 15,025,000 atoms");
  /* 60001 USD/BTC x 0.001 x 10^6 = 60,001,000 atoms per lot: bob's cost for 1 lot */
  acct_view bob = view(led, "bob");
  is(pos_in(&bob, "BTC").cost, 60001000, "a JSON integer price is whole USD per BTC: 60,001,000 atoms per lot");
  lots[0] = 0;
  socloss_lots(led, collect_lot, lots);
  is_str(lots, "BTC=1/3/BTC;SOL=1/1/SOL;", "SOL's lot was kept with its listing");
  refused_jsonl(led, "{\"type\":\"deposit\",\"account\":\"bob\",\"amount\":\"1.2345678\"}\n", SOCLOSS_EINVAL,
                "e.jsonl:1: amount: '1.2345678' is not a whole number of atoms (USD has 6 decimals); nearest: "
                "1.234567 or 1.234568",
                "JSON: a seventh decimal");
  refused_jsonl(led,
                "{\"type\":\"trade\",\"market\":\"BTC\",\"buyer\":\"bob\",\"seller\":\"carol\",\"size\":1,"
                "\"price\":\"60000.0005\"}\n",
                SOCLOSS_EINVAL,
                "e.jsonl:1: price: '60000.0005' USD per BTC is not a whole number of atoms per lot of 0.001 BTC; "
                "nearest: 60000.000 or 60000.001",
                "JSON: a price between two atoms per lot");
  refused_jsonl(led, "{\"type\":\"deposit\",\"account\":\"bob\",\"amount\":1.5}\n", SOCLOSS_EPARSE,
                "e.jsonl:1: amount: must be an integer or a decimal string (\"150.25\"), not a fraction",
                "JSON: a fraction is never read (it would be a double)");
  refused_jsonl(led,
                "{\"type\":\"trade\",\"market\":\"BTC\",\"buyer\":\"bob\",\"seller\":\"carol\",\"size\":\"1\","
                "\"price\":1}\n",
                SOCLOSS_EPARSE, "e.jsonl:1: size: must be an integer, not a string", "JSON: sizes stay lots");
  refused_jsonl(led, "{\"type\":\"market\",\"market\":\"SOL\",\"mark\":\"1\",\"lot\":\"1 SOL\"}\n", SOCLOSS_EINVAL,
                "e.jsonl:1: lot: market 'SOL' has lot 0.1 SOL, not 1 SOL; a market's lot is fixed when it is listed",
                "JSON: a listed market's lot is fixed");
  /* bob: balance 1,500,001; 1 lot bought at 60,001,000, marked at 60,000,500: upnl -500, equity 1,499,501 */
  refused_jsonl(led, "{\"type\":\"withdraw\",\"account\":\"bob\",\"amount\":\"5\"}\n", SOCLOSS_EFUNDS,
                "e.jsonl:1: amount: withdrawal of 5.000000 USD exceeds the equity 1.499501 USD of account 'bob'",
                "JSON: the applier's refusal names amounts in units");
  ok(invariants_hold(led), "check holds after the events");

  /* ---- the open's units on an existing ledger: the same, or refused ---- */
  socloss_close(led);
  led = open_with(dir, &eur, &rc);
  is(rc, SOCLOSS_EINVAL, "reopen with other units: refused");
  is_str(socloss_errmsg(led), "units: the ledger's units are USD with 6 decimals, not EUR with 2 decimals", "the message");
  socloss_close(led);
  led = open_with(dir, &usd, &rc);
  is(rc, SOCLOSS_OK, "reopen with its own units");

  /* ---- text for people, exact ---- */
  char t[SOCLOSS_TEXT_MAX];
  socloss_lot btc = {sizeof btc, "BTC", 1, 3, "BTC"}, nolot = {sizeof nolot, "ETH", 0, 0, ""};
  ok(socloss_format_amount(&usd, 150250000, t, sizeof t) == 0 && !strcmp(t, "150.250000 USD"), "amount: %s", t);
  ok(socloss_format_amount(&usd, 834207590669, t, sizeof t) == 0 && !strcmp(t, "834,207.590669 USD"), "grouped: %s", t);
  ok(socloss_format_amount(&usd, -1, t, sizeof t) == 0 && !strcmp(t, "-0.000001 USD"), "one atom below: %s", t);
  ok(socloss_format_amount(&usd, INT64_MIN, t, sizeof t) == 0 && !strcmp(t, "-9,223,372,036,854.775808 USD"),
     "INT64_MIN: %s", t);
  ok(socloss_format_price(&usd, &btc, 60000500, t, sizeof t) == 0 && !strcmp(t, "60,000.500 USD/BTC"),
     "price per BTC: %s", t);
  ok(socloss_format_price(&usd, &nolot, 3000250000, t, sizeof t) == 0 && !strcmp(t, "3,000.250000 USD/lot"),
     "price per lot: %s", t);
  ok(socloss_format_size(&btc, -3, t, sizeof t) == 0 && !strcmp(t, "-0.003 BTC"), "size: %s", t);
  ok(socloss_format_size(&nolot, -3, t, sizeof t) == 0 && !strcmp(t, "-3"), "size in lots: %s", t);
  socloss_units plain;
  socloss_units_init(&plain);
  ok(socloss_format_amount(&plain, 150250000, t, sizeof t) == 0 && !strcmp(t, "150250000"), "no units: atoms");
  ok(socloss_format_price(NULL, &btc, 60000500, t, sizeof t) == 0 && !strcmp(t, "60000500"), "no units: atoms per lot");
  is(socloss_format_amount(&usd, 150250000, t, 14), SOCLOSS_EINVAL, "'150.250000 USD' does not fit 14 bytes");
  is(socloss_format_amount(&usd, 150250000, t, 15), SOCLOSS_OK, "it fits 15");

  drop_ledger(led, dir);
  return done_testing();
}
