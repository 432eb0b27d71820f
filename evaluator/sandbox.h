/*
 * sandbox.h — runs one policy call in a fresh, locked-down Lua state.
 * Evaluator side only: the ledger process never links Lua.
 */
#ifndef SOCLOSS_SANDBOX_H
#define SOCLOSS_SANDBOX_H

#include "evalproto.h"

/* Loads rq->source, checks the returned table's shape and, for a deleverage
 * or haircut request, calls that function with the context built from rq and
 * converts what it returns into actions.  rs->actions is malloc'd (free it). */
void sandbox_run(const eval_request *rq, eval_response *rs);

#endif
