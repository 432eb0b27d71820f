/*
 * CSV import through the API: a clean load with exact numbers, then every
 * refusal with its exact "file:line: field: reason" and nothing written.
 */
#include "batch.h"
#include "util.h"

static const char *M = "market,mark_price\nBTC,100\nETH,50\n";
static const char *A = "account,balance\nalice,1000\nbob,-20\ncarol,500\n";
static const char *P =
    "account,market,size,entry_price\n"
    "alice,BTC,10,90\nbob,BTC,-4,110\ncarol,BTC,-6,100\ncarol,ETH,2,50\nalice,ETH,-2,40\n";

typedef struct bad {
  const char *m, *a, *p;  /* NULL: that file is not given */
  int code;
  const char *msg;
} bad;

static const bad cases[] = {
    {"market,price\nBTC,1\n", NULL, NULL, SOCLOSS_EPARSE,
     "m.csv:1: header: expected 'market,mark_price', got 'market,price'"},
    {"", NULL, NULL, SOCLOSS_EPARSE, "m.csv:1: header: missing (expected 'market,mark_price')"},
    {"market,mark_price\nBTC,1,2\n", NULL, NULL, SOCLOSS_EPARSE,
     "m.csv:2: row: expected 2 fields (market,mark_price), got 3"},
    {"market,mark_price\nBTC,1x\n", NULL, NULL, SOCLOSS_EPARSE, "m.csv:2: mark_price: not an integer: '1x'"},
    {"market,mark_price\nBTC,0\n", NULL, NULL, SOCLOSS_EINVAL, "m.csv:2: mark_price: must be positive (got 0)"},
    {"market,mark_price\nBTC,9223372036854775808\n", NULL, NULL, SOCLOSS_EOVERFLOW,
     "m.csv:2: mark_price: out of int64 range: '9223372036854775808'"},
    {"market,mark_price\r\nBTC,1\r\n\r\nB C,2\r\n", NULL, NULL, SOCLOSS_EINVAL,
     "m.csv:4: market: 'B C' is not a valid id (1-64 printable ASCII characters, no spaces)"},
    {"market,mark_price\nBTC,1\nBTC,2\n", NULL, NULL, SOCLOSS_EEXIST, "m.csv:3: market: market 'BTC' already exists"},
    {"market,mark_price\n\"BTC,1\n", NULL, NULL, SOCLOSS_EPARSE, "m.csv:2: csv: error parsing data while strict checking enabled"},
    {NULL, "account,balance\nalice,1\nalice,2\n", NULL, SOCLOSS_EEXIST, "a.csv:3: account: account 'alice' already exists"},
    {NULL, "account,balance\nbob,-9223372036854775809\n", NULL, SOCLOSS_EOVERFLOW,
     "a.csv:2: balance: out of int64 range: '-9223372036854775809'"},
    {NULL, "account,balance\n,5\n", NULL, SOCLOSS_EINVAL,
     "a.csv:2: account: '' is not a valid id (1-64 printable ASCII characters, no spaces)"},
    {"market,mark_price\nBTC,100\n", "account,balance\na,1\nb,1\n",
     "account,market,size,entry_price\na,BTC,5,100\nb,BTC,-4,100\n", SOCLOSS_EIMBALANCE,
     "p.csv:3: size: market 'BTC': the imported sizes sum to 1, not 0"},
    {"market,mark_price\nBTC,100\n", "account,balance\na,1\nb,1\n",
     "account,market,size,entry_price\na,BTC,5,100\nzed,BTC,-5,100\n", SOCLOSS_ENOTFOUND,
     "p.csv:3: account: unknown account 'zed'"},
    {"market,mark_price\nBTC,100\n", "account,balance\na,1\nb,1\n",
     "account,market,size,entry_price\na,ETH,5,100\nb,ETH,-5,100\n", SOCLOSS_ENOTFOUND,
     "p.csv:2: market: unknown market 'ETH'"},
    {"market,mark_price\nBTC,100\n", "account,balance\na,1\nb,1\n",
     "account,market,size,entry_price\na,BTC,5,100\na,BTC,-5,100\n", SOCLOSS_EEXIST,
     "p.csv:3: market: account 'a' already holds a position in 'BTC'"},
    {"market,mark_price\nBTC,100\n", "account,balance\na,1\nb,1\n",
     "account,market,size,entry_price\na,BTC,0,100\n", SOCLOSS_EINVAL, "p.csv:2: size: must not be zero"},
    {"market,mark_price\nBTC,100\n", "account,balance\na,1\nb,1\n",
     "account,market,size,entry_price\na,BTC,1,-100\n", SOCLOSS_EINVAL,
     "p.csv:2: entry_price: must be positive (got -100)"},
    {"market,mark_price\nBTC,1\n", "account,balance\na,1\nb,1\n",
     "account,market,size,entry_price\na,BTC,4611686018427387904,2\nb,BTC,-4611686018427387904,2\n",
     SOCLOSS_EOVERFLOW, "p.csv:2: size: 4611686018427387904 x entry_price 2 overflows int64"},
    /* row 3 both repeats a's position and overflows (2^62 x 2): that the
     * position exists is told first, as it always was (the existence test
     * now comes with the write, so the overflow path looks it up) */
    {"market,mark_price\nBTC,1\n", "account,balance\na,1\nb,1\n",
     "account,market,size,entry_price\na,BTC,1,100\na,BTC,4611686018427387904,2\nb,BTC,-4611686018427387905,1\n",
     SOCLOSS_EEXIST, "p.csv:3: market: account 'a' already holds a position in 'BTC'"},
};

/* Open interests summed by the callback, per market m00..m69. */
typedef struct ois {
  int64_t oi[70];
  int seen;
} ois;

static int sum_oi(void *ud, const socloss_market *m) {
  ois *o = ud;
  int k = atoi(m->market + 1);
  if (m->market[0] == 'm' && k >= 0 && k < 70) o->oi[k] = m->open_interest, o->seen++;
  return 0;
}

/* N markets m00.., accounts a and b; a holds k+1 lots of market k at 1 and
 * b the opposite, except that b's size in markets `odd` and `odd2` is off
 * by one (-1: none).  b's N rows come first, then a's (which add the open
 * interest): more markets than the import keeps pending (8), so they are
 * written back several times, the last 8 when the import ends. */
static void many_markets(int n, int odd, int odd2, char *m, char *p, size_t cap) { /* m, p: cap bytes each */
  size_t lm = (size_t)snprintf(m, cap, "market,mark_price\n"), lp = (size_t)snprintf(p, cap, "account,market,size,entry_price\n");
  for (int k = 0; k < n; k++) lm += (size_t)snprintf(m + lm, cap - lm, "m%02d,3\n", k);
  for (int k = 0; k < n; k++)
    lp += (size_t)snprintf(p + lp, cap - lp, "b,m%02d,%d,1\n", k, -(k + 1) - (k == odd || k == odd2));
  for (int k = 0; k < n; k++) lp += (size_t)snprintf(p + lp, cap - lp, "a,m%02d,%d,1\n", k, k + 1);
}

static void many_markets_cases(void) {
  static char m[8192], p[8192];
  socloss_source a = src_of("a.csv", "account,balance\na,0\nb,0\n");
  /* the market told is the first in name order that does not net to zero,
   * with the last row of it: with 10 markets (summed by a scan) and with 70
   * (more than the scan keeps: sorted) alike.  a's row of market k, its
   * last, is line 2 + n + k; m03 and m09 are off by -1: m03 is told */
  for (int n = 10; n <= 70; n += 60) {
    char dir[64], want[128];
    socloss *led = new_ledger(dir, 0);
    many_markets(n, 9, 3, m, p, sizeof m);
    socloss_source ms = src_of("m.csv", m), ps = src_of("p.csv", p);
    is(socloss_import_csv(led, &ms, &a, &ps, NULL), SOCLOSS_EIMBALANCE, "%d markets, two off: refused", n);
    snprintf(want, sizeof want, "p.csv:%d: size: market 'm03': the imported sizes sum to -1, not 0", 2 + n + 3);
    is_str(socloss_errmsg(led), want, "%d markets: the first in name order is told, at its last row", n);
    drop_ledger(led, dir);
  }
  /* 70 markets that net to zero: each open interest is a's k+1 lots */
  char dir[64];
  socloss *led = new_ledger(dir, 0);
  many_markets(70, -1, -1, m, p, sizeof m);
  socloss_source ms = src_of("m.csv", m), ps = src_of("p.csv", p);
  is(socloss_import_csv(led, &ms, &a, &ps, NULL), SOCLOSS_OK, "70 markets, 140 positions imported");
  ois o = {{0}, 0};
  is(socloss_markets(led, sum_oi, &o), 0, "the markets read back");
  int exact = o.seen == 70;
  for (int k = 0; k < 70; k++) exact &= o.oi[k] == k + 1;
  ok(exact, "each market's open interest is its long size k+1 (70 markets seen: %d)", o.seen);
  ok(invariants_hold(led), "invariants after the import");
  drop_ledger(led, dir);
}

/* What the accounts read back: how many, their balances' sum, the last
 * one's id and balance. */
typedef struct tally {
  size_t n;
  int64_t sum, last_balance;
  char last[SOCLOSS_ID_MAX + 1];
} tally;

static int count_account(void *ud, const socloss_account *acc) {
  tally *t = ud;
  if (!acc->account[0]) return 0;  /* the fund */
  t->n++;
  t->sum += acc->balance;
  t->last_balance = acc->balance;
  snprintf(t->last, sizeof t->last, "%s", acc->account);
  return 0;
}

/* An import whose batch grows past the sizes where its arrays become huge
 * blocks (blocks_grow past 2 MiB: 100,000 events) and its id arena takes a
 * second 4 MiB chunk (100,000 ids of 48 bytes, 4.9 MB): every account read
 * back as written. */
static void large_batch(void) {
  enum { N = 100000 };
  size_t cap = 32 + (size_t)N * 64;
  char *csv = malloc(cap);
  size_t len = (size_t)snprintf(csv, cap, "account,balance\n");
  for (int i = 0; i < N; i++)
    len += (size_t)snprintf(csv + len, cap - len, "account-with-a-long-id-to-fill-the-arena-%06d,%d\n", i, i);
  char dir[64];
  socloss *led = new_ledger(dir, 0);
  socloss_source a = {"big.csv", csv, len};
  is(socloss_import_csv(led, NULL, &a, NULL, NULL), SOCLOSS_OK, "%d accounts of 48-byte ids imported", N);
  tally t = {0, 0, 0, ""};
  socloss_accounts(led, count_account, &t);
  /* balances 0 .. N-1: their sum is N (N - 1) / 2 = 4,999,950,000 */
  ok(t.n == N && t.sum == 4999950000LL, "all %zu read back, balances summing to %lld", t.n, (long long)t.sum);
  is_str(t.last, "account-with-a-long-id-to-fill-the-arena-099999", "the last in id order is the last written");
  is(t.last_balance, 99999, "with its balance");
  ok(invariants_hold(led), "invariants after the import");
  drop_ledger(led, dir);
  free(csv);
}

/* What the progress callback heard; it says stop at call stop_at (0: never). */
typedef struct told {
  char log[512];
  int calls, stop_at;
} told;

static int tell(void *ud, const char *phase, uint64_t done, uint64_t total) {
  told *t = ud;
  size_t n = strlen(t->log);
  snprintf(t->log + n, sizeof t->log - n, "%s %llu/%llu ", phase, (unsigned long long)done,
           (unsigned long long)total);
  return ++t->calls == t->stop_at;
}

int main(void) {
  char dir[64];
  socloss *led = new_ledger(dir, 0);
  int64_t v;
  ok(parse_i64("-9223372036854775808", 20, &v) == 0 && v == INT64_MIN, "parse INT64_MIN");
  ok(parse_i64("9223372036854775807", 19, &v) == 0 && v == INT64_MAX, "parse INT64_MAX");
  is(parse_i64("+1", 2, &v), -1, "a plus sign is not an integer");
  is(parse_i64("-", 1, &v), -1, "a lone minus is not an integer");
  is(parse_i64(" 1", 2, &v), -1, "spaces are not an integer");

  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const bad *c = &cases[i];
    socloss_source m, a, p;
    if (c->m) m = src_of("m.csv", c->m);
    if (c->a) a = src_of("a.csv", c->a);
    if (c->p) p = src_of("p.csv", c->p);
    fingerprint f = fp_of(led);
    int rc = socloss_import_csv(led, c->m ? &m : NULL, c->a ? &a : NULL, c->p ? &p : NULL, NULL);
    is(rc, c->code, "case %zu: code", i);
    is_str(socloss_errmsg(led), c->msg, "case %zu: message", i);
    ok(fp_equal(f, fp_of(led)), "case %zu: nothing written", i);
  }

  socloss_source m = src_of("m.csv", M), a = src_of("a.csv", A), p = src_of("p.csv", P);
  socloss_import_stats st;
  /* asked to stop while parsing, then while writing: nothing written */
  for (int at = 1; at <= 4; at++) {
    told t = {"", 0, at};
    socloss_progress pg = {sizeof pg, tell, &t};
    fingerprint before = fp_of(led);
    is(socloss_import_csv_progress(led, &m, &a, &p, &pg, &st), SOCLOSS_ESTOP, "stopped at progress call %d", at);
    is_str(socloss_errmsg(led), "stopped by the progress callback: nothing written", "call %d: says so", at);
    ok(fp_equal(before, fp_of(led)), "call %d: nothing written", at);
  }
  /* the calls: "parse" before each file (done and total in bytes: M is 33,
   * A 45, P 111, 189 in all), then "write" at the first of the 10 rows */
  told heard = {"", 0, 0};
  socloss_progress pg = {sizeof pg, tell, &heard};
  is(socloss_import_csv_progress(led, &m, &a, &p, &pg, &st), SOCLOSS_OK, "the clean import, with progress");
  is_str(heard.log, "parse 0/189 parse 33/189 parse 78/189 write 0/10 ", "told of each file parsed, then the writes");
  ok(st.markets == 2 && st.accounts == 3 && st.positions == 5, "counts 2, 3, 5");
  acct_view al = view(led, "alice"), bo = view(led, "bob");
  socloss_position ab = pos_in(&al, "BTC"), ae = pos_in(&al, "ETH");
  ok(ab.size == 10 && ab.cost == 900 && ab.upnl == 100, "alice BTC: 10 at 90, upnl 100");
  ok(ae.size == -2 && ae.cost == -80 && ae.upnl == -20, "alice ETH: -2 at 40, upnl -20");
  is(al.equity, 1080, "alice equity 1000 + 100 - 20");
  ok(bo.balance == -20 && bo.equity == 20, "negative balance imported; equity -20 + 40");
  socloss_totals t;
  ok(socloss_totals_get(led, &t) == 0 && t.net_flows == 1600 && t.journal_seq == 10,
     "net flows = balances 1480 - costs -120; ten journal records");
  ok(invariants_hold(led), "invariants after the import");
  socloss_source again = src_of("a2.csv", "account,balance\nalice,5\n");
  fingerprint f = fp_of(led);
  is(socloss_import_csv(led, NULL, &again, NULL, NULL), SOCLOSS_EEXIST, "an existing account is refused");
  is_str(socloss_errmsg(led), "a2.csv:2: account: account 'alice' already exists", "naming the line");
  ok(fp_equal(f, fp_of(led)), "nothing written");
  drop_ledger(led, dir);
  many_markets_cases();
  large_batch();
  return done_testing();
}
