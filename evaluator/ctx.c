/*
 * ctx.c — the context a policy step sees (docs/design.md §7): plain tables
 * for the deficit, the fund, the event and the params, and read-only
 * columns over the request's bytes or the shared region's (the same
 * userdata either way) for the candidates — never one table per candidate.
 * Built afresh for each call, in the call's own Lua state.
 */
#include "ctx.h"

#include <jansson.h>
#include <lauxlib.h>

#include "lhelpers.h"

static void set_int(lua_State *L, const char *k, int64_t v) {
  lua_pushinteger(L, v);
  lua_setfield(L, -2, k);
}

/* JSON params onto the table on top (top-level keys override). */
static int push_json(lua_State *L, json_t *v, int depth) {
  if (depth > 16) return luaL_error(L, "params nested too deep");
  luaL_checkstack(L, 4, "params");
  switch (json_typeof(v)) {
    case JSON_OBJECT: {
      const char *k;
      json_t *x;
      lua_newtable(L);
      json_object_foreach(v, k, x) {
        if (json_is_null(x)) continue;
        push_json(L, x, depth + 1);
        lua_setfield(L, -2, k);
      }
      break;
    }
    case JSON_ARRAY: {
      lua_newtable(L);
      for (size_t i = 0; i < json_array_size(v); i++) {
        push_json(L, json_array_get(v, i), depth + 1);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
      }
      break;
    }
    case JSON_STRING: lua_pushlstring(L, json_string_value(v), json_string_length(v)); break;
    case JSON_INTEGER: lua_pushinteger(L, json_integer_value(v)); break;
    case JSON_REAL: lua_pushnumber(L, json_real_value(v)); break;
    case JSON_TRUE: lua_pushboolean(L, 1); break;
    case JSON_FALSE: lua_pushboolean(L, 0); break;
    default: lua_pushnil(L);
  }
  return 1;
}

/* params = copy of the policy's defaults, then the request's params over them */
static void push_params(lua_State *L, int policy, const eval_request *rq) {
  lua_newtable(L);
  if (lua_getfield(L, policy, "params") == LUA_TTABLE) {
    lua_pushnil(L);
    while (lua_next(L, -2)) {
      lua_pushvalue(L, -2);
      lua_insert(L, -2);
      lua_rawset(L, -5);
    }
  }
  lua_pop(L, 1);
  if (!rq->params_len) return;
  json_error_t err;
  json_t *j = json_loadb(rq->params, rq->params_len, JSON_REJECT_DUPLICATES, &err);
  if (!j || !json_is_object(j)) {
    json_decref(j);
    luaL_error(L, "params: not a JSON object");
  }
  const char *k;
  json_t *x;
  json_object_foreach(j, k, x) {
    push_json(L, x, 0);
    lua_setfield(L, -2, k);
  }
  json_decref(j);
}

void ctx_push(lua_State *L, int policy, const eval_request *rq, const int64_t *zeros) {
  const eval_columns *c = &rq->c;
  size_t n = c->n;
  lua_newtable(L);
  lua_newtable(L);  /* deficit */
  lua_pushlstring(L, rq->deficit_id, rq->deficit_id_len);
  lua_setfield(L, -2, "id");
  const eval_joint *j = &rq->joint;
  if (j->naccounts) {
    /* a joint event's haircut: every bankrupt account and its hole; no
     * account of its own, and its markets carry only their marks */
    lua_createtable(L, (int)j->naccounts, 0);
    for (size_t i = 0; i < j->naccounts; i++) {
      lua_createtable(L, 0, 2);
      lua_pushlstring(L, j->ids + j->off[i], j->off[i + 1] - j->off[i]);
      lua_setfield(L, -2, "account");
      set_int(L, "hole", j->hole[i]);
      lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_setfield(L, -2, "accounts");
  } else {
    lua_pushstring(L, rq->account);
    lua_setfield(L, -2, "account");
    set_int(L, "equity", rq->equity);
  }
  set_int(L, "shortfall", rq->shortfall);
  lua_createtable(L, (int)rq->nmarkets, 0);
  for (size_t m = 0; m < rq->nmarkets; m++) {
    const eval_market *mk = &rq->markets[m];
    lua_newtable(L);
    lua_pushstring(L, mk->market);
    lua_setfield(L, -2, "market");
    set_int(L, "mark", mk->mark);
    if (!j->naccounts) {
      set_int(L, "size", mk->size);
      set_int(L, "cost", mk->cost);
      set_int(L, "bankruptcy_price", mk->bankruptcy_price);
      set_int(L, "deficit", mk->deficit);
    }
    lua_rawseti(L, -2, (lua_Integer)m + 1);
  }
  lua_setfield(L, -2, "markets");
  lua_setfield(L, -2, "deficit");
  lua_newtable(L);
  set_int(L, "cash", rq->fund_cash);
  set_int(L, "max_draw", rq->fund_max_draw);
  lua_setfield(L, -2, "fund");
  /* the event: a lone deficit is an event of one, named by the deficit, that
   * began now (profit0 = today's gross profit) and has taken nothing yet */
  const eval_event *e = &rq->event;
  lua_newtable(L);
  if (e->id) lua_pushlstring(L, e->id, e->id_len);
  else lua_pushlstring(L, rq->deficit_id, rq->deficit_id_len);
  lua_setfield(L, -2, "id");
  lhelpers_push_int_column(L, e->profit0 ? e->profit0 : c->profit, n);
  lua_setfield(L, -2, "profit0");
  lhelpers_push_int_column(L, e->charged ? e->charged : zeros, n);
  lua_setfield(L, -2, "charged");
  lua_setfield(L, -2, "event");
  push_params(L, policy, rq);
  lua_setfield(L, -2, "params");
  lua_pushinteger(L, (lua_Integer)n);
  lua_setfield(L, -2, "n");
  lhelpers_push_id_column(L, c->ids, c->off, n);
  lua_setfield(L, -2, "account");
  lhelpers_push_int_column(L, c->balance, n);
  lua_setfield(L, -2, "balance");
  lhelpers_push_int_column(L, c->equity, n);
  lua_setfield(L, -2, "equity");
  lhelpers_push_int_column(L, c->upnl_total, n);
  lua_setfield(L, -2, "upnl_total");
  const int64_t *cols[3] = {c->size, c->cost, c->upnl};
  const char *names[3] = {"size", "cost", "upnl"};
  for (int k = 0; k < 3; k++) {
    lua_newtable(L);
    for (size_t m = 0; m < rq->nmarkets; m++) {
      lhelpers_push_int_column(L, cols[k] + m * n, n);
      lua_setfield(L, -2, rq->markets[m].market);
    }
    lua_setfield(L, -2, names[k]);
  }
}
