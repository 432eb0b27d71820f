/*
 * deleverage.h — the arithmetic of an ADL queue: which lots to close, what
 * a close costs its holder, how many lots a holder can bear, the walk down
 * a ranked queue.
 *
 * One definition for the evaluator's helpers (socloss.lots_to_close,
 * socloss.deleverage: docs/helpers.md) and for a rule written in C (the
 * benchmark's native ADL rule), so that the two decide the same closes and
 * a comparison between them measures the evaluator, not two rules.
 */
#ifndef SOCLOSS_DELEVERAGE_H
#define SOCLOSS_DELEVERAGE_H

#include <stddef.h>
#include <stdint.h>

#include "evalproto.h"

/* The most a close of q lots of market mk can cost its holder, rounded up:
 * the exact transfer d x q x share / (|size| x 10000) of docs/design.md §5,
 * saturated at INT64_MAX; 0 where d <= 0, q <= 0 or the position is empty. */
int64_t deleverage_close_cost(const eval_market *mk, int64_t q, uint32_t share);

/* The lots of market mk a holder with equity e can bear: a close of q lots
 * moves d x q / |size| atoms from it, so q <= floor(e x |size| / d); an
 * equity below zero bears none (a close never makes or deepens a
 * bankruptcy); a market with d <= 0 costs nothing (INT64_MAX). */
int64_t deleverage_bearable(const eval_market *mk, int64_t e);

/* Per market of rq (in its order), the lots of A's position to close into
 * lots[0 .. rq->nmarkets): every lot, or with fund_first the fewest whose
 * exact transfers cover what the fund will not pay, R = -equity -
 * min(max(cash, 0), max_draw when > 0): 0 once R <= 0 (or where d = 0),
 * |size| while R >= d, else ceil(R x |size| / d); R then falls by
 * floor(d x lots / |size|), the transfer those lots move. */
void deleverage_lots(const eval_request *rq, int fund_first, int64_t *lots);

/* What the closes before[0 .. nb) cost each holder, added into spent[0 ..
 * rq->c.n) (saturated; actions naming no candidate or market are skipped:
 * the host refuses them). */
void deleverage_spent(const eval_request *rq, const eval_action *before, size_t nb, int64_t *spent);

enum {
  DELEVERAGE_OK = 0,
  DELEVERAGE_BAD_INDEX = 1,  /* order holds *bad, not a 1-based candidate index */
  DELEVERAGE_FULL = 2        /* one more close would pass `room` */
};

/* Walks the candidates in order[0 .. norder) (1-based indices) and closes,
 * in market m, min(avail[i], what equity[i] - spent[i] can bear, what is
 * left) of each until `lots` are closed: whole positions first, the last
 * partly.  Appends each close to out[*nout ..] (full share), at most `room`
 * of them; spent may be NULL (nothing spent yet). */
int deleverage_walk(const eval_request *rq, uint32_t m, const int64_t *order, size_t norder, const int64_t *avail,
                    const int64_t *spent, int64_t lots, eval_action *out, size_t *nout, size_t room, int64_t *bad);

#endif
