/*
 * sandbox.h — runs one policy call in a fresh, locked-down Lua state.
 * Evaluator side only: the ledger process never links Lua.
 */
#ifndef SOCLOSS_SANDBOX_H
#define SOCLOSS_SANDBOX_H

#include "evalproto.h"

/* Given the answer, filled in, before the state it points into is freed;
 * what it returns, sandbox_run returns. */
typedef int (*sandbox_answer)(eval_response *rs, void *arg);

/* Loads rq->source, checks the returned table's shape and, for a deleverage
 * or haircut request, calls that function with the context built from rq and
 * converts what it returns into actions, then hands rs to `answer`.
 * rs->actions and rs->data are valid only inside `answer` (a helper's list
 * of actions is sent from where the helper wrote it). */
int sandbox_run(const eval_request *rq, eval_response *rs, sandbox_answer answer, void *arg);

#endif
