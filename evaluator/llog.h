/*
 * llog.h — socloss.log: what a policy says while it runs (docs/helpers.md,
 * "log").  Evaluator side only.
 */
#ifndef SOCLOSS_LLOG_H
#define SOCLOSS_LLOG_H

#include <lua.h>
#include <stddef.h>

#include "evalproto.h"

/* One call's log: entries written into out (EVAL_LOG_MAX + 1 bytes, the
 * answer's own), each ended by '\n', within EVAL_LOG_BUDGET bytes. */
typedef struct llog {
  char *out;
  size_t len;
  int full;  /* the budget is spent: the cut is marked, later entries dropped */
} llog;

/* Makes g the log socloss.log writes to in L (kept in L's registry). */
void llog_begin(lua_State *L, llog *g, char *out);

/* socloss.log(...): its arguments, formatted without calling into Lua (no
 * metamethod, no tostring) and separated by one space, as one entry.
 * Returns nothing; never raises an error of its own.  Registered among the
 * helpers (lhelpers.c), whose upvalue 1 is the request: candidate ids and
 * market names for action lists. */
int llog_log(lua_State *L);

#endif
