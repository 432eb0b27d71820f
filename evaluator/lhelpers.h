/*
 * lhelpers.h — what a policy sees besides plain Lua: columns (the
 * candidates' data, one userdata per field, never one table per candidate)
 * and the exact host helpers (docs/helpers.md), as the global table `socloss`.
 * Evaluator side only.
 */
#ifndef SOCLOSS_LHELPERS_H
#define SOCLOSS_LHELPERS_H

#include <lua.h>
#include <stddef.h>
#include <stdint.h>

#include "evalproto.h"

enum { COL_INT = 1, COL_FLOAT, COL_ID };

typedef struct column {
  size_t n;
  int kind;
  int writable;
  const int64_t *i;     /* COL_INT */
  const double *f;      /* COL_FLOAT */
  const char *ids;      /* COL_ID */
  const uint32_t *off;
} column;

/* An action list made by a helper, returned as is by a policy. */
typedef struct actions {
  int fn;               /* EVAL_FN_DELEVERAGE or EVAL_FN_HAIRCUT */
  size_t n;
  eval_action a[];
} actions;

#define COLUMN_MT "socloss.column"
#define ACTIONS_MT "socloss.actions"

/* Registers the metatables and pushes the `socloss` helper table.  The
 * request's market ids resolve market names in helpers. */
void lhelpers_open(lua_State *L, const eval_request *rq);
/* Pushes a read-only column over data owned elsewhere. */
void lhelpers_push_int_column(lua_State *L, const int64_t *v, size_t n);
void lhelpers_push_id_column(lua_State *L, const char *ids, const uint32_t *off, size_t n);
column *lhelpers_check_column(lua_State *L, int idx);
/* The candidate index of an account id, or -1. */
long lhelpers_find(const eval_request *rq, const char *id, size_t len);

#endif
