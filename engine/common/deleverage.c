/*
 * deleverage.c — the arithmetic of an ADL queue (deleverage.h).
 */
#include "deleverage.h"

static int64_t abs_i64(int64_t v) { return v < 0 ? -v : v; }  /* sizes are > INT64_MIN: open interest fits */

int64_t deleverage_close_cost(const eval_market *mk, int64_t q, uint32_t share) {
  int64_t lots = abs_i64(mk->size);
  if (mk->deficit <= 0 || q <= 0 || lots == 0) return 0;
  unsigned __int128 c = ((unsigned __int128)mk->deficit * (uint64_t)q + (uint64_t)lots - 1) / (uint64_t)lots;
  if (c > INT64_MAX) return INT64_MAX;
  if (share < EVAL_SHARE_FULL) c = (c * share + EVAL_SHARE_FULL - 1) / EVAL_SHARE_FULL;
  return (int64_t)c;
}

int64_t deleverage_bearable(const eval_market *mk, int64_t e) {
  if (e < 0) return 0;
  if (mk->deficit <= 0) return INT64_MAX;
  __int128 q = (__int128)e * abs_i64(mk->size) / mk->deficit;
  return q > INT64_MAX ? INT64_MAX : (int64_t)q;
}

void deleverage_lots(const eval_request *rq, int fund_first, int64_t *lots) {
  int64_t fund = rq->fund_cash > 0 ? rq->fund_cash : 0;
  if (rq->fund_max_draw > 0 && rq->fund_max_draw < fund) fund = rq->fund_max_draw;
  __int128 left = -(__int128)rq->equity - fund;
  for (size_t k = 0; k < rq->nmarkets; k++) {
    const eval_market *mk = &rq->markets[k];
    int64_t n = abs_i64(mk->size), q = n;
    if (fund_first && n > 0) {
      if (left <= 0 || mk->deficit == 0) q = 0;
      else if (left < mk->deficit) q = (int64_t)((left * n + mk->deficit - 1) / mk->deficit);  /* 0 < R < d: < n */
      left -= (__int128)mk->deficit * q / n;
    }
    lots[k] = q;
  }
}

void deleverage_spent(const eval_request *rq, const eval_action *before, size_t nb, int64_t *spent) {
  for (size_t k = 0; k < nb; k++) {
    const eval_action *x = &before[k];
    if (x->index >= rq->c.n || x->market >= rq->nmarkets) continue;
    int64_t cost = deleverage_close_cost(&rq->markets[x->market], x->value, x->share);
    spent[x->index] = cost > INT64_MAX - spent[x->index] ? INT64_MAX : spent[x->index] + cost;
  }
}

int deleverage_walk(const eval_request *rq, uint32_t m, const int64_t *order, size_t norder, const int64_t *avail,
                    const int64_t *spent, int64_t lots, eval_action *out, size_t *nout, size_t room, int64_t *bad) {
  const eval_market *mk = &rq->markets[m];
  size_t k = *nout;
  int64_t left = lots;
  for (size_t j = 0; j < norder && left > 0; j++) {
    int64_t i = order[j];
    if (i < 1 || (uint64_t)i > rq->c.n) {
      *nout = k;
      *bad = i;
      return DELEVERAGE_BAD_INDEX;
    }
    int64_t a = avail[i - 1];
    if (a <= 0) continue;
    __int128 e = (__int128)rq->c.equity[i - 1] - (spent ? spent[i - 1] : 0);
    int64_t can = deleverage_bearable(mk, e < INT64_MIN ? INT64_MIN : (int64_t)e);
    if (can < a) a = can;
    if (a <= 0) continue;
    if (k == room) {
      *nout = k;
      return DELEVERAGE_FULL;
    }
    int64_t q = a < left ? a : left;
    out[k++] = (eval_action){.index = (uint32_t)(i - 1), .market = m, .value = q, .share = EVAL_SHARE_FULL};
    left -= q;
  }
  *nout = k;
  return DELEVERAGE_OK;
}
