/*
 * The deleverage step's closes applied in bulk (engine/resolve/closes.c):
 * every record read once, changed in memory close by close, written once
 * in key order, deciding and writing exactly what the closes applied one
 * by one through ledger_trade did (closes_in_bulk = 0 still does that).
 *
 *  - a worked example by hand: two markets, a holder closing in both (its
 *    balance moved by two trades and two transfers, written once), holders
 *    emptied and partly closed, the bankrupt id between the holders' ids,
 *    the closes in an order that is not the keys': every balance, position
 *    and open interest after; then the same both ways, the same digest;
 *  - a property, both ways on copies of random ledgers (a seeded PRNG, one
 *    or two markets, random closes in a random order, random shares):
 *    the same status, message, closes, transfers, fund draw, bad debt,
 *    journal length and state digest.  A third of the cases have a holder
 *    with a balance near INT64_MAX whose close realizes a profit past it,
 *    a quarter a bankrupt account with a balance near INT64_MIN whose close
 *    realizes a loss past it: ledger_trade's refusals ("buyer: the balance
 *    of account 'X' would overflow int64", "seller: ..."), which must come
 *    at the same close with the same words both ways.
 *
 * SOCLOSS_SEED=N reruns one seed (printed), SOCLOSS_CASES=N sets the
 * number of cases (default 150).
 */
#include <inttypes.h>
#include <lmdb.h>

#include "resolve_int.h"
#include "journal_edit.h"
#include "util.h"

typedef __int128 i128;

/* Closes what its params say: {"closes": [[holder, market, lots [, share]], ...]}. */
static const char *CLOSER =
    "return {name = 'closer', deleverage = function(ctx)\n"
    "  local out = {}\n"
    "  for i, x in ipairs(ctx.params.closes) do\n"
    "    out[i] = {account = x[1], market = x[2], size = x[3], share = x[4]}\n"
    "  end\n"
    "  return out\n"
    "end}";

static const socloss_resolution *resolve_with(socloss *led, const char *account, const char *params, int *rc) {
  socloss_resolve_options o;
  socloss_resolve_options_init(&o);
  o.policy = CLOSER;
  o.policy_len = strlen(CLOSER);
  o.params = params;
  o.id = "d1";
  const socloss_resolution *r = NULL;
  *rc = socloss_resolve(led, account, &o, &r);
  return r;
}

static int oi_cb(void *ud, const socloss_market *m) {
  int64_t *oi = ud;
  oi[!strcmp(m->market, "ETH")] = m->open_interest;
  return 0;
}

/* ---- the worked example ------------------------------------------------- */

/* BTC at 100, ETH at 50 (imported at those marks):
 *   c (bankrupt)  balance 140, BTC +10 @ 120 (cost 1200, upnl -200),
 *                 ETH -4 @ 40 (cost -160, upnl -40): equity -100, D = 100
 *   a  1000, BTC -3 @ 110 (cost -330, upnl 30), ETH +2 @ 45 (cost 90, upnl 10)
 *   b   500, BTC -5 @ 100 (cost -500)
 *   d   300, ETH +6 @ 50 (cost 300)
 *   e   200, BTC -2 @ 90 (cost -180): not closed
 *   z  1000, ETH -4 @ 50 (cost -200): nets ETH to zero
 * D by notional: BTC 10 x 100 = 1000, ETH 4 x 50 = 200: 100 x 1000 / 1200 =
 * 83.33, 100 x 200 / 1200 = 16.67: floors 83 and 16, the atom left to the
 * larger remainder: d = 83 in BTC (N 10 lots), 17 in ETH (N 4).
 * The closes, in this order: d 2 ETH, b 4 BTC, a 2 ETH, a 3 BTC (shares
 * 10000).  Transfers: BTC b 83 x 4 / 10 = 33.2, a 83 x 3 / 10 = 24.9: floors
 * 33 + 24 = 57 of floor(58.1) = 58: the spare atom to a (.9 > .2): b 33,
 * a 25.  ETH d 17 x 2 / 4 = 8.5, a 8.5: floors 16 of 17, the tie to the
 * lower id: a 9, d 8.
 * The trades at mark (realized = what the close takes out of the cost):
 *   d sells 2 ETH: removed 300 x 2 / 6 = 100, realized 100 - 100 = 0 -> d
 *     300 - 8 = 292, ETH +4 cost 200; c buys 2: removed -160 x 2 / 4 = -80,
 *     realized -100 + 80 = -20 -> c 140 - 20 + 8 = 128, ETH -2 cost -80
 *   b buys 4 BTC: removed -500 x 4 / 5 = -400, realized 0 -> b 500 - 33 =
 *     467, BTC -1 cost -100; c sells 4: removed 1200 x 4 / 10 = 480,
 *     realized 400 - 480 = -80 -> c 128 - 80 + 33 = 81, BTC +6 cost 720
 *   a sells 2 ETH: removed 90, realized 100 - 90 = 10 -> a 1000 + 10 - 9 =
 *     1001, flat in ETH; c buys 2: removed -80, realized -20 -> c 81 - 20 +
 *     9 = 70, flat in ETH
 *   a buys 3 BTC: removed -330, realized -300 + 330 = 30 -> a 1001 + 30 - 25
 *     = 1006, flat; c sells 3: removed 720 x 3 / 6 = 360, realized 300 - 360
 *     = -60 -> c 70 - 60 + 25 = 35, BTC +3 cost 360
 * Then the fund takes c's 3 BTC at 100 (c realizes 300 - 360 = -60: c at
 * -25), has no cash to draw, and the 25 left (D 100 - 75 moved) is bad debt;
 * c ends at 0.  Open interest: BTC the fund's 3 (= b 1 + e 2 short), ETH d's
 * 4 (= z's 4 short). */
static const char *EX_M = "market,mark_price\nBTC,100\nETH,50\n";
static const char *EX_A = "account,balance\na,1000\nb,500\nc,140\nd,300\ne,200\nz,1000\n";
static const char *EX_P =
    "account,market,size,entry_price\nc,BTC,10,120\nc,ETH,-4,40\na,BTC,-3,110\na,ETH,2,45\nb,BTC,-5,100\n"
    "d,ETH,6,50\ne,BTC,-2,90\nz,ETH,-4,50\n";
static const char *EX_PARAMS =
    "{\"closes\":[[\"d\",\"ETH\",2],[\"b\",\"BTC\",4],[\"a\",\"ETH\",2],[\"a\",\"BTC\",3]]}";

static void worked_example(void) {
  fixture fx, fy;
  closes_in_bulk = 1;
  if (fixture_make(&fx, EX_M, EX_A, EX_P, NULL)) {
    ok(0, "the worked example's ledger");
    return;
  }
  is(view(fx.led, "c").equity, -100, "c's equity is -100: D = 100");
  int rc;
  const socloss_resolution *r = resolve_with(fx.led, "c", EX_PARAMS, &rc);
  if (!ok(rc == SOCLOSS_OK && r && !strcmp(r->status, "applied"), "c resolved, its closes in bulk"))
    diag("%s", socloss_errmsg(fx.led));
  int64_t want_t[4] = {8, 33, 9, 25};
  int same = r && r->ndeleveraged == 4;
  for (int i = 0; same && i < 4; i++) same = r->transfers[i] == want_t[i];
  ok(same, "transfers in the policy's order: d 8, b 33, a 9, a 25");
  is(r ? r->bad_debt : -1, 25, "bad debt 25 = D 100 - 75 moved");
  acct_view a = view(fx.led, "a"), b = view(fx.led, "b"), c = view(fx.led, "c"), d = view(fx.led, "d"),
            e = view(fx.led, "e"), z = view(fx.led, "z"), fund = view(fx.led, "");
  is(a.balance, 1006, "a: 1000 + 10 + 30 realized - 9 - 25 moved = 1006 (one account, two markets)");
  is((int64_t)a.npositions, 0, "a: flat in both markets (both records deleted)");
  is(b.balance, 467, "b: 500 - 33 = 467");
  ok(b.npositions == 1 && pos_in(&b, "BTC").size == -1 && pos_in(&b, "BTC").cost == -100, "b: BTC -1 at cost -100");
  is(d.balance, 292, "d: 300 - 8 = 292");
  ok(d.npositions == 1 && pos_in(&d, "ETH").size == 4 && pos_in(&d, "ETH").cost == 200, "d: ETH +4 at cost 200");
  ok(c.balance == 0 && c.npositions == 0, "c: balance 0, flat");
  ok(e.balance == 200 && e.npositions == 1 && pos_in(&e, "BTC").cost == -180, "e: untouched");
  ok(z.balance == 1000 && pos_in(&z, "ETH").size == -4, "z: untouched");
  ok(fund.npositions == 1 && pos_in(&fund, "BTC").size == 3 && pos_in(&fund, "BTC").cost == 300,
     "the fund: BTC +3 at cost 300");
  int64_t oi[2] = {-1, -1};
  socloss_markets(fx.led, oi_cb, oi);
  ok(oi[0] == 3 && oi[1] == 4, "open interest: BTC 3, ETH 4 (got %lld, %lld)", (long long)oi[0], (long long)oi[1]);
  ok(invariants_hold(fx.led), "the invariants hold, and the journal replays to this state");

  closes_in_bulk = 0;
  if (fixture_make(&fy, EX_M, EX_A, EX_P, NULL)) {
    ok(0, "the worked example's ledger, again");
  } else {
    r = resolve_with(fy.led, "c", EX_PARAMS, &rc);
    ok(rc == SOCLOSS_OK && fp_equal(fp_of(fx.led), fp_of(fy.led)),
       "one by one through ledger_trade: the same journal length and state digest");
    drop_ledger(fy.led, fy.dir);
  }
  closes_in_bulk = 1;
  drop_ledger(fx.led, fx.dir);
}

/* ---- ids that are not their keys ---------------------------------------------
 *
 * A journal record's ids are bytes (1 to 64) and the store's keys C strings:
 * a record whose close names "a\0q" (not something the engine writes: a
 * tampered journal) closes account 'a', which a close naming "a" also
 * closes.  Held in memory by id, the two would be two sides, each writing
 * its own balance for 'a'; such a step is applied one by one instead, as
 * before, and the replay reproduces the state.  */

/* The third close of a record (a's ETH close) made to name "a\0q". */
static int rename_third_close(deficit_rec *d) {
  if (d->ndl != 4 || d->dl[2].len != 1 || d->dl[2].holder[0] != 'a') return -1;
  d->dl[2].holder = "a\0q";
  d->dl[2].len = 3;
  return 0;
}

static void nul_ids(void) {
  fixture fx;
  if (fixture_make(&fx, EX_M, EX_A, EX_P, NULL)) {
    ok(0, "the worked example's ledger");
    return;
  }
  int rc;
  const socloss_resolution *r = resolve_with(fx.led, "c", EX_PARAMS, &rc);
  uint64_t seq = r ? r->seq : 0;
  fingerprint before = fp_of(fx.led);
  socloss_close(fx.led);
  ok(rc == SOCLOSS_OK && journal_edit_deficit(fx.dir, seq, rename_third_close) == 0, "record %llu's close of a in ETH now names \"a\\0q\"",
     (unsigned long long)seq);
  socloss_options o;
  socloss_options_init(&o);
  o.evaluator = SOCLOSS_BINARY_DIR "/socloss-eval";
  socloss_open(&fx.led, fx.dir, &o);
  socloss_check_report rep;
  is(socloss_check(fx.led, &rep), SOCLOSS_OK, "check passes: the replay closes 'a' twice, one close at a time");
  ok(rep.replay_matches && !memcmp(rep.digest, before.digest, 32), "the state replayed is the state written");
  drop_ledger(fx.led, fx.dir);
}

/* ---- the property ---------------------------------------------------------- */

static uint64_t rng_state;

static uint64_t rnd(void) { /* xorshift64* */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * UINT64_C(2685821657736338717);
}

/* uniform in [lo, hi] */
static int64_t between(int64_t lo, int64_t hi) {
  return lo + (int64_t)(((unsigned __int128)rnd() * (uint64_t)(hi - lo + 1)) >> 64);
}

typedef struct text {
  char *p;
  size_t n, cap;
} text;

static void put(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(text *t, const char *fmt, ...) {
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(t->p + t->n, t->cap - t->n, fmt, ap);
    va_end(ap);
    if (w >= 0 && (size_t)w < t->cap - t->n) {
      t->n += (size_t)w;
      return;
    }
    t->cap = t->cap * 2 + (size_t)w + 64;
    t->p = realloc(t->p, t->cap);
  }
}

static text newtext(void) {
  text t = {malloc(256), 0, 256};
  t.p[0] = 0;
  return t;
}

#define NH 10

typedef struct kase {
  char mk[2][8], bk[8], id[NH][8];
  int nm, nh, extreme;  /* extreme: 1 a holder near INT64_MAX, 2 the bankrupt account near INT64_MIN */
  text m, a, p, params;
} kase;

static void kase_free(kase *k) {
  free(k->m.p);
  free(k->a.p);
  free(k->p.p);
  free(k->params.p);
}

/* A random case; the balances are set so that every equity and the net
 * flows fit int64 with room. */
static void draw(kase *k) {
  static const char *NAMES[] = {"BTC", "ETH", "SOL", "AAA", "ZZZ"};
  memset(k, 0, sizeof *k);
  k->m = newtext();
  k->a = newtext();
  k->p = newtext();
  k->params = newtext();
  int r = (int)between(0, 11);
  k->extreme = r < 4 ? 1 : r < 7 ? 2 : 0;
  k->nm = k->extreme ? 2 : (int)between(1, 2);
  int first = (int)between(0, 4), second = (first + (int)between(1, 4)) % 5;
  snprintf(k->mk[0], sizeof k->mk[0], "%s", NAMES[first]);
  snprintf(k->mk[1], sizeof k->mk[1], "%s", NAMES[second]);
  k->nh = (int)between(1, NH);
  /* ids: random, so that id order is not the order of anything else, and
   * the bankrupt one among them */
  for (int i = 0; i <= k->nh; i++) {
    char *id = i < k->nh ? k->id[i] : k->bk;
    for (int dup = 1; dup;) {
      snprintf(id, 8, "h%02d", (int)between(0, 99));
      dup = 0;
      for (int j = 0; j < i; j++) dup |= !strcmp(j < k->nh ? k->id[j] : k->bk, id);
    }
  }
  int64_t mark[2], asz[2] = {0, 0}, aen[2] = {0, 0}, net[2] = {0, 0};
  i128 a_upnl = 0;
  put(&k->m, "market,mark_price\n");
  put(&k->a, "account,balance\n");
  put(&k->p, "account,market,size,entry_price\n");
  for (int m = 0; m < k->nm; m++) {
    mark[m] = between(10, 1000000);
    put(&k->m, "%s,%" PRId64 "\n", k->mk[m], mark[m]);
    int sign = between(0, 1) ? 1 : -1;
    asz[m] = sign * between(1, 200);
    /* a loss: a long bought above the mark, a short sold below it */
    aen[m] = mark[m] + sign * between(1, mark[m] / 5 + 1);
    if (aen[m] < 1) aen[m] = 1;
  }
  if (k->extreme == 2) {
    /* one lot long in the first market bought at 4e18 (a loss of ~4e18),
     * one lot short in the second sold at 3.9e18 above its mark (a profit of
     * ~3.9e18), balance -5.3e18: equity ~ -5.4e18, and selling the first
     * lot takes the balance below INT64_MIN */
    asz[0] = 1;
    aen[0] = INT64_C(4000000000000000000) + mark[0];
    asz[1] = -1;
    aen[1] = INT64_C(3900000000000000000) + mark[1];
  }
  for (int m = 0; m < k->nm; m++) {
    put(&k->p, "%s,%s,%" PRId64 ",%" PRId64 "\n", k->bk, k->mk[m], asz[m], aen[m]);
    a_upnl += (i128)asz[m] * mark[m] - (i128)asz[m] * aen[m];
    net[m] += asz[m];
  }
  int64_t a_bal = k->extreme == 2 ? INT64_C(-5300000000000000000) : (int64_t)(-a_upnl - between(1, 1000000000000));
  put(&k->a, "%s,%" PRId64 "\n", k->bk, a_bal);
  /* the holders, and the closes: each holder on the other side of the
   * bankrupt account closes up to what it holds, while the account has lots */
  int64_t left[2] = {asz[0] < 0 ? -asz[0] : asz[0], asz[1] < 0 ? -asz[1] : asz[1]};
  typedef struct cl {
    int h, m;
    int64_t q;
    int share;
  } cl;
  cl closes[2 * NH];
  int nc = 0, xh = k->extreme == 1 ? (int)between(0, k->nh - 1) : -1;
  for (int i = 0; i < k->nh; i++) {
    int64_t bal = between(1000000000, 1000000000000);
    i128 up = 0;
    for (int m = 0; m < k->nm; m++) {
      int opposite = between(0, 99) < 85 || i == xh, side = (asz[m] > 0) == opposite ? -1 : 1;
      if (!opposite && between(0, 1)) continue;  /* none here */
      if (m == 1 && i == xh) continue;           /* its own below */
      int64_t size = side * between(1, 60), entry = mark[m] + between(-(mark[m] / 5), mark[m] / 5);
      if (i == xh && m == 0) entry = mark[m] - side * between(mark[m] / 10 + 2, mark[m] / 4 + 2);  /* a profit */
      if (entry < 1) entry = 1;
      put(&k->p, "%s,%s,%" PRId64 ",%" PRId64 "\n", k->id[i], k->mk[m], size, entry);
      net[m] += size;
      up += (i128)size * mark[m] - (i128)size * entry;
      int64_t held = size < 0 ? -size : size;
      if (opposite && left[m] > 0 && (i == xh || between(0, 99) < 80)) {
        int64_t q = between(1, held < left[m] ? held : left[m]);
        if (i == xh) q = held < left[m] ? held : left[m];
        left[m] -= q;
        /* a share: 0, whole, any, or none given (the default, whole); 0 for
         * a deficit of ~5.4e18 (extreme 2), which no holder could bear */
        int s = (int)between(0, 4);
        s = k->extreme == 2 ? 0 : s == 0 ? 0 : s == 1 ? 10000 : s == 2 ? (int)between(0, 10000) : -1;
        closes[nc++] = (cl){i, m, q, s};
      }
    }
    if (i == xh) {
      /* a balance near INT64_MAX, held up by a loss of about as much in the
       * second market (one lot long far above its mark): realizing the
       * first market's profit takes the balance past INT64_MAX */
      bal = INT64_MAX - between(0, 1);  /* its close realizes 2 atoms or more */
      i128 loss = (i128)bal + up - 1000000000000;
      int64_t e1 = (int64_t)(loss + mark[1]);
      put(&k->p, "%s,%s,1,%" PRId64 "\n", k->id[i], k->mk[1], e1);
      net[1] += 1;
    }
    put(&k->a, "%s,%" PRId64 "\n", k->id[i], bal);
  }
  /* z nets each market to zero at its mark */
  put(&k->a, "z,1000000000000\n");
  for (int m = 0; m < k->nm; m++)
    if (net[m]) put(&k->p, "z,%s,%" PRId64 ",%" PRId64 "\n", k->mk[m], -net[m], mark[m]);
  for (int i = nc - 1; i > 0; i--) {  /* the policy's order is not the keys' */
    int j = (int)between(0, i);
    cl t = closes[i];
    closes[i] = closes[j];
    closes[j] = t;
  }
  put(&k->params, "{\"closes\":[");
  for (int i = 0; i < nc; i++) {
    put(&k->params, "%s[\"%s\",\"%s\",%" PRId64, i ? "," : "", k->id[closes[i].h], k->mk[closes[i].m], closes[i].q);
    if (closes[i].share >= 0) put(&k->params, ",%d", closes[i].share);
    put(&k->params, "]");
  }
  put(&k->params, "]}");
}

/* What a resolution said, as one line. */
static void outcome(text *t, int rc, socloss *led, const socloss_resolution *r) {
  put(t, "rc %d", rc);
  if (rc) put(t, " msg '%s'", socloss_errmsg(led));
  if (!r) return;
  put(t, " %s failure '%s' draw %" PRId64 " bad %" PRId64 " seq %" PRIu64 " closes", r->status,
      r->failure ? r->failure : "", r->fund_draw, r->bad_debt, r->seq);
  for (size_t i = 0; i < r->ndeleveraged; i++)
    put(t, " %s/%s/%" PRId64 "/%" PRId64 "/%" PRId64, r->deleveraged[i].account, r->deleveraged[i].market,
        r->deleveraged[i].size, r->deleveraged[i].price, r->transfers ? r->transfers[i] : 0);
  for (size_t i = 0; i < r->ntakeovers; i++) put(t, " take %s/%" PRId64, r->takeovers[i].market, r->takeovers[i].size);
}

typedef struct tally_s {
  int cases, applied, closes, two_markets, buyer_ovf, seller_ovf, other_failed, agree;
} tally_s;

static void one_case(int n, tally_s *tl) {
  kase k;
  draw(&k);
  text out[2] = {newtext(), newtext()};
  fingerprint fp[2];
  int rcs[2] = {0, 0};
  for (int way = 0; way < 2; way++) {
    fixture fx;
    closes_in_bulk = way == 0;
    if (fixture_make(&fx, k.m.p, k.a.p, k.p.p, NULL)) {
      diag("case %d: the ledger:\n%s\n%s\n%s", n, k.m.p, k.a.p, k.p.p);
      put(&out[way], "no ledger");
      continue;
    }
    const socloss_resolution *r = resolve_with(fx.led, k.bk, k.params.p, &rcs[way]);
    outcome(&out[way], rcs[way], fx.led, r);
    if (way == 0 && !rcs[way] && r && !strcmp(r->status, "applied")) {
      tl->applied++;
      tl->closes += (int)r->ndeleveraged;
      for (size_t i = 0; i < r->ndeleveraged; i++)
        for (size_t j = 0; j < i; j++) tl->two_markets += !strcmp(r->deleveraged[i].account, r->deleveraged[j].account);
    } else if (way == 0) {
      const char *msg = socloss_errmsg(fx.led);
      if (rcs[way] == SOCLOSS_EOVERFLOW && !strncmp(msg, "buyer: the balance of account '", 31)) tl->buyer_ovf++;
      else if (rcs[way] == SOCLOSS_EOVERFLOW && !strncmp(msg, "seller: the balance of account '", 32)) tl->seller_ovf++;
      else tl->other_failed++;
    }
    fp[way] = fp_of(fx.led);
    drop_ledger(fx.led, fx.dir);
  }
  closes_in_bulk = 1;
  tl->cases++;
  int same = !strcmp(out[0].p, out[1].p) && fp_equal(fp[0], fp[1]);
  tl->agree += same;
  if (!same) {
    ok(0, "case %d: the same outcome in bulk and one by one", n);
    diag("bulk:       %s", out[0].p);
    diag("one by one: %s", out[1].p);
    diag("params %s\n%s\n%s\n%s", k.params.p, k.m.p, k.a.p, k.p.p);
  }
  free(out[0].p);
  free(out[1].p);
  kase_free(&k);
}

int main(void) {
  worked_example();
  nul_ids();

  const char *s = getenv("SOCLOSS_SEED"), *c = getenv("SOCLOSS_CASES");
  rng_state = s ? strtoull(s, NULL, 10) : UINT64_C(20261130);
  if (!rng_state) rng_state = 1;
  diag("seed %" PRIu64, rng_state);
  int cases = c ? atoi(c) : 150;
  tally_s tl = {0};
  for (int n = 1; n <= cases; n++) one_case(n, &tl);
  diag("%d cases: %d applied (%d closes, %d by a holder in two markets), refused (at a close or the takeover): "
       "%d buyer's balance, %d seller's balance; %d failed otherwise",
       tl.cases, tl.applied, tl.closes, tl.two_markets, tl.buyer_ovf, tl.seller_ovf, tl.other_failed);
  is(tl.agree, tl.cases, "every case: the same status, message, closes, transfers, digest, both ways");
  ok(tl.applied > 0 && tl.two_markets > 0 && tl.buyer_ovf > 0 && tl.seller_ovf > 0,
     "the cases include applied closes, a holder closing in two markets, and both overflow refusals");
  return done_testing();
}
