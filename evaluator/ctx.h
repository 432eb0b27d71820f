/*
 * ctx.h — the `ctx` table a policy step is called with (docs/design.md §7):
 * the deficit, the fund, the event, the params and the candidates' columns,
 * read-only views over the request's bytes.  Evaluator side only.
 */
#ifndef SOCLOSS_CTX_H
#define SOCLOSS_CTX_H

#include <lua.h>
#include <stdint.h>

#include "evalproto.h"

/* Pushes ctx for a step of the policy table at index `policy`.  zeros holds
 * rq->c.n zeros, the event's `charged` column when the request has none
 * (NULL when it has one); it must outlive the call. */
void ctx_push(lua_State *L, int policy, const eval_request *rq, const int64_t *zeros);

#endif
