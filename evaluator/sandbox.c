/*
 * sandbox.c — the in-process layer of the policy sandbox (the evaluator
 * process around it is the other layer; docs/design.md §8 says what is guaranteed).
 *
 *  - A fresh lua_State per call with a byte-capped allocator; only base,
 *    string, table and math are opened, and the policy sees a new global
 *    table built from an allow-list: no io, os, package, require, debug,
 *    load, dofile, loadfile, collectgarbage, print, metatables, raw access,
 *    next, coroutines, xpcall, string patterns, string.dump, random,
 *    table.sort (its pivots are randomized; socloss.order is stable).
 *  - A count hook enforces the instruction and wall-clock budgets; once a
 *    budget is gone the hook fires on every instruction ("sticky") and the
 *    replacement pcall re-raises, so a policy cannot swallow it.  Memory
 *    exhaustion is just as final.
 *  - Determinism: pairs iterates in sorted key order, tostring never shows
 *    an address, string.format refuses %p, %a and non-scalar arguments.
 *  - Results are read with raw accesses only, from a C function run under
 *    lua_pcall with the hook still on.
 *  - A chunk with a function of more than 255 constants is refused at load
 *    (constants.c): Lua 5.4.4 can miscompile it.
 */
#include "sandbox.h"

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "blocks.h"
#include "constants.h"
#include "ctx.h"
#include "datajson.h"
#include "lhelpers.h"
#include "llog.h"

#define HOOK_EVERY 1000

typedef struct budget {
  size_t used, limit;
  uint64_t instructions, max_instructions;
  double deadline;
  int killed;  /* 0, or the EVAL_* status that ended the call */
} budget;

static double monotonic(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Never fails a free or a shrink; fails growth past the budget. */
static void *capped_alloc(void *ud, void *p, size_t osize, size_t nsize) {
  budget *b = ud;
  if (!p) osize = 0;
  if (nsize == 0) {
    blocks_free(p, osize);
    b->used -= osize;
    return NULL;
  }
  if (nsize > osize && (b->killed || b->used - osize + nsize > b->limit)) {
    if (!b->killed) b->killed = EVAL_MEMORY;
    return NULL;
  }
  /* blocks of a column and up mapped on their own, as huge pages (blocks.h) */
  void *q = blocks_resize(p, osize, nsize);
  if (!q) {
    if (nsize <= osize) return p;
    if (!b->killed) b->killed = EVAL_MEMORY;
    return NULL;
  }
  b->used = b->used - osize + nsize;
  return q;
}

static budget *budget_of(lua_State *L) {
  void *ud;
  lua_getallocf(L, &ud);
  return ud;
}

static const char *kill_text(int killed) {
  switch (killed) {
    case EVAL_INSTRUCTIONS: return "instruction budget exceeded";
    case EVAL_MEMORY: return "memory budget exceeded";
    default: return "time budget exceeded";
  }
}

static void hook(lua_State *L, lua_Debug *ar) {
  (void)ar;
  budget *b = budget_of(L);
  b->instructions += HOOK_EVERY;
  if (!b->killed) {
    if (b->instructions > b->max_instructions) b->killed = EVAL_INSTRUCTIONS;
    else if (monotonic() > b->deadline) b->killed = EVAL_TIME;
  }
  if (b->killed) {
    lua_sethook(L, hook, LUA_MASKCOUNT, 1);  /* sticky: every instruction from now on */
    luaL_error(L, "%s", kill_text(b->killed));
  }
}

/* ---- replacements ------------------------------------------------------- */

static int safe_pcall(lua_State *L) {
  luaL_checkany(L, 1);
  int st = lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0);
  budget *b = budget_of(L);
  if (b->killed) return luaL_error(L, "%s", kill_text(b->killed));  /* not catchable */
  lua_pushboolean(L, st == LUA_OK);
  lua_insert(L, 1);
  return lua_gettop(L);
}

static int safe_tostring(lua_State *L) {
  luaL_checkany(L, 1);
  switch (lua_type(L, 1)) {
    case LUA_TNIL:
    case LUA_TBOOLEAN:
    case LUA_TNUMBER:
    case LUA_TSTRING: luaL_tolstring(L, 1, NULL); break;
    default: lua_pushstring(L, luaL_typename(L, 1));  /* never an address */
  }
  return 1;
}

/* The directives are found as Lua's format finds them: over the whole
 * length, NUL bytes included (a scan with strchr stopped at the first NUL,
 * and "a\0%p" printed an address).  Refused: %p (an address), %q (it
 * would print anything), %a and %A (hexadecimal floats as the C library
 * spells them, which differs between libraries). */
static int str_format(lua_State *L) {
  size_t len;
  const char *f = luaL_checklstring(L, 1, &len);
  for (size_t k = 0; k < len; k++) {
    if (f[k] != '%') continue;
    if (++k < len && f[k] == '%') continue;  /* %% */
    /* flags, width and precision, as Lua's getformat spans them; a Lua
     * string always ends in a NUL, so this stops at f[len] at the latest */
    k += strspn(f + k, "-+ #0123456789.");
    if (k < len && f[k] && strchr("pqaA", f[k]))
      return luaL_error(L, "string.format: %%%c is not allowed", f[k]);
  }
  for (int i = 2; i <= lua_gettop(L); i++)
    if (lua_type(L, i) != LUA_TNUMBER && lua_type(L, i) != LUA_TSTRING)
      return luaL_error(L, "string.format: argument %d is %s; only numbers and strings", i - 1, luaL_typename(L, i));
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, 1);
  return 1;
}

#define REP_MAX (1 << 20)

static int str_rep(lua_State *L) {
  size_t len;
  luaL_checklstring(L, 1, &len);
  lua_Integer n = luaL_checkinteger(L, 2);
  if (!lua_isnoneornil(L, 3)) return luaL_error(L, "string.rep: no separator allowed");
  if (n < 0 || n > REP_MAX || (len && (lua_Unsigned)n > REP_MAX / len))
    return luaL_error(L, "string.rep: result over %d bytes", REP_MAX);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_pushvalue(L, 1);
  lua_pushinteger(L, n);
  lua_call(L, 2, 1);
  return 1;
}

static int str_find(lua_State *L) {  /* plain search only: no patterns */
  luaL_checkstring(L, 1);
  luaL_checkstring(L, 2);
  lua_Integer init = luaL_optinteger(L, 3, 1);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_pushvalue(L, 1);
  lua_pushvalue(L, 2);
  lua_pushinteger(L, init);
  lua_pushboolean(L, 1);
  lua_call(L, 4, 2);
  return 2;
}

/* pairs in sorted key order: booleans, then numbers, then strings (bytewise);
 * a total order, so that no two keys are ever left in the table's own order,
 * which moves with the randomly seeded string hashes. */
typedef struct key {
  int type;
  double num;
  lua_Integer i;
  int isint;
  const char *s;
  size_t len;
  int ref;  /* position in the anchor table */
} key;

/* An integer against a float by their exact values, as Lua's own < does:
 * through a double, math.maxinteger and 2^63 would be equal.  A float key is
 * never NaN. */
static int int_float_cmp(lua_Integer i, double f) {
  if (f >= 0x1p63) return -1;
  if (f < -0x1p63) return 1;
  double fl = floor(f);  /* in [-2^63, 2^63): exact as an integer */
  lua_Integer n = (lua_Integer)fl;
  if (i != n) return (i > n) - (i < n);
  return f > fl ? -1 : 0;
}

static int key_cmp(const void *a, const void *b) {
  const key *x = a, *y = b;
  int rank[] = {[LUA_TBOOLEAN] = 0, [LUA_TNUMBER] = 1, [LUA_TSTRING] = 2};
  if (x->type != y->type) return rank[x->type] - rank[y->type];
  if (x->type == LUA_TBOOLEAN) return (int)x->i - (int)y->i;
  if (x->type == LUA_TNUMBER) {
    if (x->isint && y->isint) return (x->i > y->i) - (x->i < y->i);
    if (!x->isint && !y->isint) return (x->num > y->num) - (x->num < y->num);
    int c = x->isint ? int_float_cmp(x->i, y->num) : -int_float_cmp(y->i, x->num);
    /* equal values of two types (a table normalizes such a float key to
     * the integer, but the order must not rest on that): the integer first */
    return c ? c : x->isint ? -1 : 1;
  }
  int c = memcmp(x->s, y->s, x->len < y->len ? x->len : y->len);
  return c ? c : (x->len > y->len) - (x->len < y->len);
}

static int sorted_next(lua_State *L) {
  /* upvalues: 1 table, 2 anchor table of keys in order, 3 position */
  lua_Integer pos = lua_tointeger(L, lua_upvalueindex(3)) + 1;
  if (lua_rawgeti(L, lua_upvalueindex(2), pos) == LUA_TNIL) return 1;
  lua_pushinteger(L, pos);
  lua_replace(L, lua_upvalueindex(3));
  lua_pushvalue(L, -1);
  lua_rawget(L, lua_upvalueindex(1));
  return 2;
}

static int sorted_pairs(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_Integer n = 0;
  lua_newtable(L);  /* 2: the keys, in table order for now */
  lua_pushnil(L);
  while (lua_next(L, 1)) {
    lua_pop(L, 1);
    int t = lua_type(L, -1);
    if (t != LUA_TBOOLEAN && t != LUA_TNUMBER && t != LUA_TSTRING)
      return luaL_error(L, "pairs: keys of type %s have no deterministic order", lua_typename(L, t));
    lua_pushvalue(L, -1);
    lua_rawseti(L, 2, ++n);
  }
  key *k = lua_newuserdatauv(L, (size_t)(n ? n : 1) * sizeof *k, 0);  /* 3 */
  for (lua_Integer j = 0; j < n; j++) {
    lua_rawgeti(L, 2, j + 1);
    key *e = &k[j];
    e->type = lua_type(L, -1);
    e->ref = (int)j + 1;
    if (e->type == LUA_TBOOLEAN) e->i = lua_toboolean(L, -1);
    else if (e->type == LUA_TNUMBER) {
      e->isint = lua_isinteger(L, -1);
      e->i = lua_tointeger(L, -1);
      e->num = lua_tonumber(L, -1);
    } else e->s = lua_tolstring(L, -1, &e->len);  /* anchored by table 2 */
    lua_pop(L, 1);
  }
  qsort(k, (size_t)n, sizeof *k, key_cmp);
  lua_createtable(L, (int)n, 0);  /* 4: the keys in sorted order */
  for (lua_Integer j = 0; j < n; j++) {
    lua_rawgeti(L, 2, k[j].ref);
    lua_rawseti(L, 4, j + 1);
  }
  lua_pushvalue(L, 1);
  lua_pushvalue(L, 4);
  lua_pushinteger(L, 0);
  lua_pushcclosure(L, sorted_next, 3);
  lua_pushvalue(L, 1);
  lua_pushnil(L);
  return 3;
}

/* ---- the environment ---------------------------------------------------- */

static void copy_fields(lua_State *L, int from, const char *const *names) {
  for (; *names; names++) {
    lua_getfield(L, from, *names);
    lua_setfield(L, -2, *names);
  }
}

/* Wraps field `name` of table `from` as a closure with the original as
 * upvalue, stored in the table on top. */
static void wrap(lua_State *L, int from, const char *name, lua_CFunction f) {
  lua_getfield(L, from, name);
  lua_pushcclosure(L, f, 1);
  lua_setfield(L, -2, name);
}

static const char *const base_names[] = {"assert", "error", "ipairs", "select", "tonumber", "type", NULL};
static const char *const string_names[] = {"byte", "char", "len", "lower", "upper", "sub", "reverse", NULL};
static const char *const table_names[] = {"insert", "remove", "concat", "unpack", "pack", NULL};
static const char *const math_names[] = {"abs", "ceil", "floor", "max", "min", "fmod", "tointeger",
                                         "type", "ult", "maxinteger", "mininteger", NULL};

/* Pushes the policy's global table. */
static void push_env(lua_State *L, const eval_request *rq) {
  luaL_requiref(L, "_G", luaopen_base, 0);
  luaL_requiref(L, "string", luaopen_string, 0);
  luaL_requiref(L, "table", luaopen_table, 0);
  luaL_requiref(L, "math", luaopen_math, 0);
  int g = lua_absindex(L, -4), s = g + 1, t = g + 2, m = g + 3;
  lua_newtable(L);  /* env */
  copy_fields(L, g, base_names);
  lua_pushcfunction(L, sorted_pairs);
  lua_setfield(L, -2, "pairs");
  lua_pushcfunction(L, safe_pcall);
  lua_setfield(L, -2, "pcall");
  lua_pushcfunction(L, safe_tostring);
  lua_setfield(L, -2, "tostring");
  lua_newtable(L);
  copy_fields(L, s, string_names);
  wrap(L, s, "format", str_format);
  wrap(L, s, "rep", str_rep);
  wrap(L, s, "find", str_find);
  /* method calls on strings ("x"):rep(3) must see this table, not the
   * full string library */
  lua_pushliteral(L, "");
  lua_getmetatable(L, -1);
  lua_pushvalue(L, -3);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 2);
  lua_setfield(L, -2, "string");
  lua_newtable(L);
  copy_fields(L, t, table_names);
  lua_setfield(L, -2, "table");
  lua_newtable(L);
  copy_fields(L, m, math_names);
  lua_setfield(L, -2, "math");
  lhelpers_open(L, rq);
  lua_setfield(L, -2, "socloss");
  lua_pushvalue(L, -1);
  lua_setfield(L, -2, "_G");
  lua_replace(L, g);
  lua_settop(L, g);
}

/* The message handler: never runs policy code. */
static int msgh(lua_State *L) {
  budget *b = budget_of(L);
  if (b->killed) lua_pushstring(L, kill_text(b->killed));
  else if (lua_type(L, 1) != LUA_TSTRING)
    lua_pushfstring(L, "policy raised a non-string error (%s)", luaL_typename(L, 1));
  return 1;
}

/* ---- reading the result ------------------------------------------------- */

typedef struct reading {
  const eval_request *rq;
  eval_response *rs;
  eval_action *out;
} reading;

static uint32_t candidate_index(lua_State *L, const eval_request *rq, size_t i, const char *what) {
  size_t len;
  const char *id = lua_tolstring(L, -1, &len);
  long k = lhelpers_find(rq, id, len);
  if (k >= 0) return (uint32_t)k;
  if (!strcmp(id, rq->account))
    luaL_error(L, "%s action %I: account '%s' is the bankrupt account itself", what, (lua_Integer)i, id);
  lua_pushlstring(L, id, len > CODEC_ID_MAX ? CODEC_ID_MAX : len);  /* lua_pushfstring has no %.Ns */
  luaL_error(L, "%s action %I: unknown account '%s' (no such account)", what, (lua_Integer)i, lua_tostring(L, -1));
  return 0;
}

static int64_t integer_field(lua_State *L, const char *field, size_t i, const char *what) {
  int t = lua_getfield(L, -1, field);
  if (t == LUA_TNUMBER && lua_isinteger(L, -1)) {
    int64_t v = lua_tointeger(L, -1);
    lua_pop(L, 1);
    return v;
  }
  if (t == LUA_TNIL) luaL_error(L, "%s action %I: %s is missing", what, (lua_Integer)i, field);
  if (t == LUA_TNUMBER) {
    double d = lua_tonumber(L, -1);
    if (d != d) luaL_error(L, "%s action %I: %s is NaN, not an integer", what, (lua_Integer)i, field);
    luaL_error(L, "%s action %I: %s is a float (%f), not an integer", what, (lua_Integer)i, field, d);
  }
  luaL_error(L, "%s action %I: %s is a %s, not an integer", what, (lua_Integer)i, field, luaL_typename(L, -1));
  return 0;
}

static int read_result(lua_State *L) {
  reading *r = lua_touserdata(L, 1);
  const eval_request *rq = r->rq;
  int fn = rq->fn;
  const char *what = fn == EVAL_FN_HAIRCUT ? "haircut" : "deleverage";
  lua_settop(L, 2);
  if (lua_isnil(L, 2)) return 0;
  size_t most = evalproto_actions_max(rq);  /* whoever made the list: the policy or a helper */
  actions *a = luaL_testudata(L, 2, ACTIONS_MT);
  if (a) {
    if (a->fn != fn) return luaL_error(L, "%s returned %s actions", what, a->fn == EVAL_FN_HAIRCUT ? "haircut" : "deleverage");
    if (a->n > most) return luaL_error(L, "%s returned %I actions, more than there can be", what, (lua_Integer)a->n);
    /* answered from the helper's own list, held in the registry until the
     * answer is written (sandbox_run): a 1M-row haircut's 24 MB are not
     * copied */
    lua_pushvalue(L, 2);
    lua_setfield(L, LUA_REGISTRYINDEX, "socloss.answer");
    r->rs->actions = a->a;
    r->rs->nactions = a->n;
    return 0;
  }
  if (!lua_istable(L, 2))
    return luaL_error(L, "%s must return a list of actions, not %s", what, luaL_typename(L, 2));
  lua_Unsigned n = lua_rawlen(L, 2);
  if (n > most)
    return luaL_error(L, "%s returned %I actions, more than there can be", what, (lua_Integer)n);
  r->out = blocks_malloc((n ? n : 1) * sizeof *r->out);
  if (!r->out) return luaL_error(L, "out of memory");
  for (lua_Unsigned i = 1; i <= n; i++) {
    if (lua_rawgeti(L, 2, (lua_Integer)i) != LUA_TTABLE)
      return luaL_error(L, "%s action %I is a %s, not a table", what, (lua_Integer)i, luaL_typename(L, -1));
    eval_action *e = &r->out[i - 1];
    if (lua_getfield(L, -1, "account") != LUA_TSTRING)
      return luaL_error(L, "%s action %I: account must be a string", what, (lua_Integer)i);
    e->index = candidate_index(L, rq, i, what);
    lua_pop(L, 1);
    if (fn == EVAL_FN_DELEVERAGE) {
      if (lua_getfield(L, -1, "market") != LUA_TSTRING)
        return luaL_error(L, "deleverage action %I: market must be a string", (lua_Integer)i);
      const char *m = lua_tostring(L, -1);
      size_t k = 0;
      while (k < rq->nmarkets && strcmp(rq->markets[k].market, m)) k++;
      if (k == rq->nmarkets)
        return luaL_error(L, "deleverage action %I: '%s' is not one of the deficit's markets", (lua_Integer)i, m);
      e->market = (uint32_t)k;
      lua_pop(L, 1);
      e->value = integer_field(L, "size", i, what);
      e->share = EVAL_SHARE_FULL;
      lua_getfield(L, -1, "share");
      int given = !lua_isnil(L, -1);
      lua_pop(L, 1);
      if (given) {  /* basis points of the close's bankruptcy transfer */
        int64_t share = integer_field(L, "share", i, what);
        if (share < 0 || share > EVAL_SHARE_FULL)
          return luaL_error(L, "deleverage action %I: share %I is out of 0..10000 (basis points)", (lua_Integer)i,
                            (lua_Integer)share);
        e->share = (uint32_t)share;
      }
    } else {
      e->market = 0;
      e->value = integer_field(L, "amount", i, what);
      e->share = 0;
    }
    e->pad = 0;
    lua_pop(L, 1);
    r->rs->nactions = i;
  }
  return 0;
}

/* ---- one call ----------------------------------------------------------- */

static void set_message(eval_response *rs, int status, const char *msg) {
  rs->status = status;
  size_t k = 0;
  for (; msg && msg[k] && k < EVAL_TEXT_MAX; k++)
    rs->message[k] = (unsigned char)msg[k] < 0x20 || msg[k] == 0x7f ? '?' : msg[k];
  rs->message[k] = 0;
}

static int panic(lua_State *L) {
  (void)L;
  _exit(70);  /* the parent sees a crash; nothing is trusted after a panic */
}

/* The shape of the returned table: name, optional params, one or both of
 * deleverage and haircut.  Returns NULL or what is wrong. */
static const char *shape(lua_State *L, int t, eval_response *rs) {
  if (!lua_istable(L, t)) return "the policy must return a table";
  if (lua_getfield(L, t, "name") != LUA_TSTRING) return "the policy table needs a string 'name'";
  size_t len;
  const char *name = lua_tolstring(L, -1, &len);
  if (len == 0 || len > CODEC_ID_MAX) return "'name' must be 1 to 64 characters";
  for (size_t k = 0; k < len; k++)
    if ((unsigned char)name[k] < 0x21 || (unsigned char)name[k] > 0x7e)
      return "'name' must be printable ASCII without spaces";
  memcpy(rs->name, name, len + 1);
  lua_pop(L, 1);
  int pt = lua_getfield(L, t, "params");
  lua_pop(L, 1);
  if (pt != LUA_TNIL && pt != LUA_TTABLE) return "'params' must be a table";
  int dt = lua_getfield(L, t, "deleverage"), ht = lua_getfield(L, t, "haircut");
  lua_pop(L, 2);
  if ((dt != LUA_TNIL && dt != LUA_TFUNCTION) || (ht != LUA_TNIL && ht != LUA_TFUNCTION))
    return "'deleverage' and 'haircut' must be functions";
  rs->has_deleverage = dt == LUA_TFUNCTION;
  rs->has_haircut = ht == LUA_TFUNCTION;
  if (!rs->has_deleverage && !rs->has_haircut)
    return "the policy needs a 'deleverage' or a 'haircut' function";
  return NULL;
}

enum { STAGE_LOAD, STAGE_RUN, STAGE_RESULT };

typedef struct run {
  const eval_request *rq;
  eval_response *rs;
  int stage;
  const char *bad_shape;
  reading r;
  codec_buf data;  /* EVAL_FN_DATA: the JSON text */
  int64_t *zeros;  /* the event's charged column when the host sent none (malloc'd) */
} run;

/* Everything that can fail runs here, under lua_pcall with the message
 * handler: stack 1 = the run, 2 = the compiled chunk. */
static int call_policy(lua_State *L) {
  run *x = lua_touserdata(L, 1);
  const eval_request *rq = x->rq;
  push_env(L, rq);
  lua_setupvalue(L, 2, 1);  /* the chunk's _ENV */
  x->stage = STAGE_LOAD;
  lua_pushvalue(L, 2);
  lua_call(L, 0, 1);
  int policy = lua_gettop(L);
  if (rq->fn == EVAL_FN_DATA) {
    x->stage = STAGE_RESULT;
    datajson_write(L, policy, &x->data);
    return 0;
  }
  if ((x->bad_shape = shape(L, policy, x->rs)) != NULL || rq->fn == EVAL_FN_PROBE) return 0;
  if (lua_getfield(L, policy, rq->fn == EVAL_FN_HAIRCUT ? "haircut" : "deleverage") != LUA_TFUNCTION)
    return 0;  /* the policy has no such step: no actions */
  /* calloc: a large block comes as untouched zero pages, so a lone
   * deficit's zero column costs next to nothing */
  if (!rq->event.charged && !(x->zeros = calloc(rq->c.n ? rq->c.n : 1, sizeof *x->zeros)))
    return luaL_error(L, "out of memory");
  ctx_push(L, policy, rq, x->zeros);
  x->stage = STAGE_RUN;
  lua_call(L, 1, 1);
  x->stage = STAGE_RESULT;
  lua_pushcfunction(L, read_result);
  lua_pushlightuserdata(L, &x->r);
  lua_pushvalue(L, -3);
  lua_call(L, 2, 0);
  return 0;
}

int sandbox_run(const eval_request *rq, eval_response *rs, sandbox_answer answer, void *arg) {
  budget b = {0};
  b.limit = rq->limits.memory;
  b.max_instructions = rq->limits.instructions;
  b.deadline = monotonic() + (double)rq->limits.wall_ms / 1000.0;
  memset(rs, 0, sizeof *rs);
  if (rq->source_len > EVAL_SOURCE_MAX) {
    set_message(rs, EVAL_LOAD, "policy source is larger than 256 KiB");
    return answer(rs, arg);
  }
  if (rq->source_len && rq->source[0] == 0x1b) {
    set_message(rs, EVAL_LOAD, "binary chunks are refused: policies are source text");
    return answer(rs, arg);
  }
  lua_State *L = lua_newstate(capped_alloc, &b);
  if (!L) {
    set_message(rs, EVAL_MEMORY, "cannot create a Lua state within the memory budget");
    return answer(rs, arg);
  }
  lua_atpanic(L, panic);
  llog g;
  llog_begin(L, &g, rs->log);  /* what it logs goes back with any answer, failed or not */
  run x = {rq, rs, STAGE_LOAD, NULL, {rq, rs, NULL}, {0}, NULL};
  lua_pushcfunction(L, msgh);  /* 1 */
  int st = luaL_loadbufferx(L, rq->source, rq->source_len, "=policy", "t");
  char why[EVAL_TEXT_MAX + 1];
  if (st == LUA_OK && constants_check(L, why, sizeof why)) {
    set_message(rs, EVAL_LOAD, why);  /* what Lua 5.4.4 may have compiled wrongly never runs */
  } else if (st != LUA_OK) {
    set_message(rs, b.killed ? b.killed : st == LUA_ERRMEM ? EVAL_MEMORY : EVAL_LOAD, lua_tostring(L, -1));
  } else {
    lua_pushcfunction(L, call_policy);
    lua_pushlightuserdata(L, &x);
    lua_pushvalue(L, -3);
    lua_sethook(L, hook, LUA_MASKCOUNT, HOOK_EVERY);
    st = lua_pcall(L, 2, 0, 1);
    lua_sethook(L, NULL, 0, 0);
    if (st != LUA_OK) {
      static const int by_stage[] = {EVAL_ERROR, EVAL_ERROR, EVAL_RESULT};
      int status = b.killed ? b.killed : st == LUA_ERRMEM ? EVAL_MEMORY : by_stage[x.stage];
      set_message(rs, status, b.killed ? kill_text(b.killed) : lua_tostring(L, -1));
    } else if (rq->fn == EVAL_FN_DATA) {
      rs->status = EVAL_OK;
      rs->data = (const char *)x.data.p;
      rs->data_len = x.data.len;
    } else if (x.bad_shape) {
      set_message(rs, EVAL_LOAD, x.bad_shape);
    } else {
      rs->status = EVAL_OK;
      if (x.r.out) rs->actions = x.r.out;
    }
  }
  if (rs->status != EVAL_OK) {
    rs->nactions = 0;
    rs->actions = NULL;
  }
  rs->instructions = b.instructions;
  rs->log_len = g.len;
  /* written while the state still holds what the answer points into */
  int rc = answer(rs, arg);
  codec_buf_free(&x.data);
  free(x.r.out);
  /* Closing is safe: policies cannot set metatables, so no __gc or __close
   * of theirs can run here. */
  lua_close(L);
  free(x.zeros);  /* after the state whose columns looked at it */
  return rc;
}
