/*
 * The arithmetic of an ADL queue (engine/common/deleverage.c), which the
 * evaluator's socloss.lots_to_close and socloss.deleverage and the
 * benchmark's native ADL rule share.  Worked by hand below, each figure
 * with its arithmetic.
 */
#include <stdint.h>
#include <string.h>

#include "deleverage.h"
#include "tap.h"

/* market m: A holds `size` lots, its share of A's deficit is d */
static eval_market market(int64_t size, int64_t d) {
  eval_market m;
  memset(&m, 0, sizeof m);
  strcpy(m.market, "M");
  m.size = size;
  m.deficit = d;
  return m;
}

static void close_cost(void) {
  eval_market m = market(3, 1000);  /* a lot moves 1000 / 3 = 333.33 atoms */
  is(deleverage_close_cost(&m, 1, EVAL_SHARE_FULL), 334, "1 of 3 lots of d = 1000: ceil(1000 / 3) = 334");
  is(deleverage_close_cost(&m, 2, EVAL_SHARE_FULL), 667, "2 lots: ceil(2000 / 3) = 667");
  is(deleverage_close_cost(&m, 3, EVAL_SHARE_FULL), 1000, "all 3 lots: exactly d = 1000");
  is(deleverage_close_cost(&m, 1, 5000), 167, "half the share: ceil(334 x 5000 / 10000) = 167");
  is(deleverage_close_cost(&m, 1, 3333), 112, "a share of 3333 bp: ceil(334 x 3333 / 10000) = ceil(111.32) = 112");
  is(deleverage_close_cost(&m, 0, EVAL_SHARE_FULL), 0, "no lots cost nothing");
  m.deficit = 0;
  is(deleverage_close_cost(&m, 2, EVAL_SHARE_FULL), 0, "a market with d = 0 costs nothing");
  m = market(-1, INT64_MAX);
  is(deleverage_close_cost(&m, INT64_MAX, EVAL_SHARE_FULL), INT64_MAX,
     "d x q = (2^63 - 1)^2 of one lot saturates at INT64_MAX");
}

static void bearable(void) {
  eval_market m = market(4, 1000);  /* a lot costs 250 */
  is(deleverage_bearable(&m, -1), 0, "an equity below zero bears no lot");
  is(deleverage_bearable(&m, 0), 0, "equity 0: floor(0 x 4 / 1000) = 0");
  is(deleverage_bearable(&m, 749), 2, "equity 749: floor(749 x 4 / 1000) = floor(2.996) = 2");
  is(deleverage_bearable(&m, 1000), 4, "equity 1000: floor(4000 / 1000) = 4");
  m.deficit = 0;
  is(deleverage_bearable(&m, 5), INT64_MAX, "d = 0: any number of lots");
  m = market(INT64_MAX, 1);
  is(deleverage_bearable(&m, INT64_MAX), INT64_MAX, "(2^63 - 1)^2 lots saturate at INT64_MAX");
}

/* A: equity -1500, three markets (d 1000 of 4 lots long, 500 of 7 short,
 * 100 of 2 long) */
static void lots(void) {
  eval_market ms[3] = {market(4, 1000), market(-7, 500), market(2, 100)};
  eval_request rq;
  memset(&rq, 0, sizeof rq);
  rq.equity = -1500;
  rq.fund_cash = 200;
  rq.nmarkets = 3;
  rq.markets = ms;
  int64_t l[3];
  deleverage_lots(&rq, 1, l);
  /* R = 1500 - 200 = 1300 >= 1000: all 4, R -= 1000 -> 300; 0 < 300 < 500:
   * ceil(300 x 7 / 500) = ceil(4.2) = 5, R -= floor(500 x 5 / 7) = 357 ->
   * -57; R <= 0: none */
  ok(l[0] == 4 && l[1] == 5 && l[2] == 0, "fund first, cash 200: 4, 5, 0 lots (got %lld, %lld, %lld)",
     (long long)l[0], (long long)l[1], (long long)l[2]);
  rq.fund_max_draw = 150;
  deleverage_lots(&rq, 1, l);
  /* the fund draws 150: R = 1350; 4 lots -> 350; ceil(350 x 7 / 500) =
   * ceil(4.9) = 5 -> 350 - 357 = -7; 0 */
  ok(l[0] == 4 && l[1] == 5 && l[2] == 0, "a draw cap of 150: 4, 5, 0 lots (got %lld, %lld, %lld)",
     (long long)l[0], (long long)l[1], (long long)l[2]);
  rq.fund_max_draw = 0;
  rq.fund_cash = -50;
  deleverage_lots(&rq, 1, l);
  /* a fund below zero pays nothing: R = 1500; 4 lots -> 500; R = d, not
   * below it: all 7 -> 0; none */
  ok(l[0] == 4 && l[1] == 7 && l[2] == 0, "a fund below zero: 4, 7, 0 lots (got %lld, %lld, %lld)",
     (long long)l[0], (long long)l[1], (long long)l[2]);
  deleverage_lots(&rq, 0, l);
  ok(l[0] == 4 && l[1] == 7 && l[2] == 2, "not fund first: every lot, 4, 7, 2 (got %lld, %lld, %lld)",
     (long long)l[0], (long long)l[1], (long long)l[2]);
}

/* four candidates against A long 4 lots of d = 1000 (a lot costs 250) */
static void walk(void) {
  eval_market m = market(4, 1000);
  int64_t equity[4] = {100, 1000, -5, 1000}, avail[4] = {2, 3, 5, 1}, order[4] = {1, 2, 3, 4};
  eval_request rq;
  memset(&rq, 0, sizeof rq);
  rq.nmarkets = 1;
  rq.markets = &m;
  rq.c.n = 4;
  rq.c.equity = equity;
  eval_action out[8];
  size_t n = 0;
  int64_t bad = 0;
  /* 1: bears floor(100 x 4 / 1000) = 0, skipped; 2: bears 4, has 3: closes
   * 3, 1 left; 3: below zero, skipped; 4: closes its 1 */
  is(deleverage_walk(&rq, 0, order, 4, avail, NULL, 4, out, &n, 8, &bad), DELEVERAGE_OK, "a queue of 4 lots walked");
  ok(n == 2 && out[0].index == 1 && out[0].value == 3 && out[1].index == 3 && out[1].value == 1 &&
         out[0].share == EVAL_SHARE_FULL && out[1].market == 0,
     "candidate 2 closes 3 lots, candidate 4 its 1 (%zu closes)", n);
  /* candidate 2 already spent 600 elsewhere: 400 left bears floor(1.6) = 1 */
  int64_t spent[4] = {0, 600, 0, 0};
  n = 0;
  is(deleverage_walk(&rq, 0, order, 4, avail, spent, 4, out, &n, 8, &bad), DELEVERAGE_OK, "with spent equity");
  ok(n == 2 && out[0].index == 1 && out[0].value == 1 && out[1].index == 3 && out[1].value == 1,
     "candidate 2 closes 1 lot, candidate 4 its 1: 2 of the 4 lots, the rest left to the fund (%zu closes)", n);
  /* appended after what is there; a full list stops the walk */
  out[0] = (eval_action){.index = 0, .value = 9};
  n = 1;
  is(deleverage_walk(&rq, 0, order, 4, avail, NULL, 4, out, &n, 2, &bad), DELEVERAGE_FULL, "room for one more close only");
  ok(n == 2 && out[0].value == 9 && out[1].index == 1 && out[1].value == 3, "the close before kept, one appended");
  int64_t wrong[2] = {2, 9};
  n = 0;
  is(deleverage_walk(&rq, 0, wrong, 2, avail, NULL, 10, out, &n, 8, &bad), DELEVERAGE_BAD_INDEX, "9 is no candidate");
  ok(bad == 9 && n == 1, "the bad index is 9, after one close (%lld, %zu)", (long long)bad, n);
  int64_t zero[1] = {0};
  n = 0;
  is(deleverage_walk(&rq, 0, zero, 1, avail, NULL, 1, out, &n, 8, &bad), DELEVERAGE_BAD_INDEX, "indices are 1-based");
  is(bad, 0, "the bad index is 0");
  n = 0;
  is(deleverage_walk(&rq, 0, order, 4, avail, NULL, 0, out, &n, 8, &bad), DELEVERAGE_OK, "no lots to close");
  is(n, 0, "closes nothing");
}

static void spent(void) {
  eval_market m = market(4, 1000);
  eval_request rq;
  memset(&rq, 0, sizeof rq);
  rq.nmarkets = 1;
  rq.markets = &m;
  rq.c.n = 2;
  eval_action before[4] = {{.index = 1, .market = 0, .value = 2, .share = EVAL_SHARE_FULL},
                           {.index = 1, .market = 0, .value = 1, .share = 5000},
                           {.index = 7, .market = 0, .value = 1, .share = EVAL_SHARE_FULL},
                           {.index = 0, .market = 5, .value = 1, .share = EVAL_SHARE_FULL}};
  int64_t s[2] = {INT64_MAX - 10, 0};
  deleverage_spent(&rq, before, 4, s);
  /* 2 lots: ceil(2000 / 4) = 500; 1 lot at half share: ceil(250 x 0.5) =
   * 125; index 7 and market 5 name nothing */
  is(s[1], 625, "candidate 2 spent 500 + 125 = 625");
  is(s[0], INT64_MAX - 10, "candidate 1 untouched: its one action names no market");
  eval_action more = {.index = 0, .market = 0, .value = 2, .share = EVAL_SHARE_FULL};
  deleverage_spent(&rq, &more, 1, s);
  is(s[0], INT64_MAX, "INT64_MAX - 10 + 500 saturates");
}

int main(void) {
  plan(33);
  close_cost();
  bearable();
  lots();
  walk();
  spent();
  return done_testing();
}
