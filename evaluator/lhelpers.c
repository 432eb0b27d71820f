/*
 * lhelpers.c — columns and the `socloss` helper table for policies.
 *
 * Columns are 1-indexed like Lua sequences.  Every helper is exact integer
 * arithmetic with checked overflow (an overflow is an error, never a wrap),
 * and every tie goes to the lower index, which is the lower account id.
 * Results are allocated through the Lua allocator, so they count against
 * the policy's memory budget, and so are the temporaries of pro_rata,
 * waterfill and order (budgeted): memory a policy makes the evaluator take
 * is memory its budget counts.
 */
#include "lhelpers.h"

#include <lauxlib.h>
#include <string.h>

#include "alloc.h"
#include "deleverage.h"
#include "llog.h"

static const eval_request *request_of(lua_State *L) {
  return lua_touserdata(L, lua_upvalueindex(1));
}

/* ---- columns ------------------------------------------------------------ */

/* A writable column of n elements, left unset: for a helper that writes
 * every element before the column can reach the policy (a helper that
 * raises first leaves it unreachable).  A 1M-row column is 8 MB, and
 * zeroing what is written next was a tenth of tiered.lua's call. */
static column *new_column_unset(lua_State *L, size_t n, int kind) {
  size_t elem = kind == COL_FLOAT ? sizeof(double) : sizeof(int64_t);
  if (n > (SIZE_MAX - sizeof(column)) / elem) luaL_error(L, "column too large");
  column *c = lua_newuserdatauv(L, sizeof(column) + n * elem, 0);
  memset(c, 0, sizeof *c);
  c->n = n;
  c->kind = kind;
  c->writable = 1;
  void *data = c + 1;
  if (kind == COL_FLOAT) c->f = data;
  else c->i = data;
  luaL_setmetatable(L, COLUMN_MT);
  return c;
}

/* A writable column of n zeroes. */
static column *new_column(lua_State *L, size_t n, int kind) {
  column *c = new_column_unset(L, n, kind);
  memset(c + 1, 0, n * (kind == COL_FLOAT ? sizeof(double) : sizeof(int64_t)));
  return c;
}

static int64_t *int_data(column *c) { return (int64_t *)(c + 1); }

void lhelpers_push_int_column(lua_State *L, const int64_t *v, size_t n) {
  column *c = lua_newuserdatauv(L, sizeof *c, 0);
  memset(c, 0, sizeof *c);
  c->n = n;
  c->kind = COL_INT;
  c->i = v;
  luaL_setmetatable(L, COLUMN_MT);
}

void lhelpers_push_id_column(lua_State *L, const char *ids, const uint32_t *off, size_t n) {
  column *c = lua_newuserdatauv(L, sizeof *c, 0);
  memset(c, 0, sizeof *c);
  c->n = n;
  c->kind = COL_ID;
  c->ids = ids;
  c->off = off;
  luaL_setmetatable(L, COLUMN_MT);
}

column *lhelpers_check_column(lua_State *L, int idx) { return luaL_checkudata(L, idx, COLUMN_MT); }

static int col_index(lua_State *L) {
  column *c = lhelpers_check_column(L, 1);
  lua_Integer i;
  if (!lua_isinteger(L, 2)) return luaL_error(L, "a column is indexed by integers, not %s", luaL_typename(L, 2));
  i = lua_tointeger(L, 2);
  if (i < 1 || (lua_Unsigned)i > c->n) {
    lua_pushnil(L);
    return 1;
  }
  size_t k = (size_t)i - 1;
  if (c->kind == COL_INT) lua_pushinteger(L, c->i[k]);
  else if (c->kind == COL_FLOAT) lua_pushnumber(L, c->f[k]);
  else lua_pushlstring(L, c->ids + c->off[k], c->off[k + 1] - c->off[k]);
  return 1;
}

static int col_newindex(lua_State *L) {
  column *c = lhelpers_check_column(L, 1);
  if (!c->writable) return luaL_error(L, "this column is read-only");
  if (!lua_isinteger(L, 2)) return luaL_error(L, "a column is indexed by integers");
  lua_Integer i = lua_tointeger(L, 2);
  if (i < 1 || (lua_Unsigned)i > c->n) return luaL_error(L, "index %I out of 1..%I", i, (lua_Integer)c->n);
  if (c->kind == COL_FLOAT) {
    ((double *)(c + 1))[i - 1] = luaL_checknumber(L, 3);
  } else {
    if (!lua_isinteger(L, 3)) return luaL_error(L, "an integer column takes integers, not %s",
                                               lua_type(L, 3) == LUA_TNUMBER ? "floats" : luaL_typename(L, 3));
    int_data(c)[i - 1] = lua_tointeger(L, 3);
  }
  return 0;
}

static int col_len(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)lhelpers_check_column(L, 1)->n);
  return 1;
}

/* ---- operands: a column, a Lua sequence of integers, or one integer ----- */

typedef struct operand {
  const int64_t *v;  /* NULL: scalar */
  int64_t s;
  size_t n;
} operand;

/* A Lua sequence becomes a temporary column (left on the stack). */
static column *sequence_column(lua_State *L, int idx, int kind) {
  lua_Unsigned n = lua_rawlen(L, idx);
  column *c = new_column_unset(L, n, kind);
  for (lua_Unsigned k = 0; k < n; k++) {
    lua_rawgeti(L, idx, (lua_Integer)k + 1);
    if (kind == COL_FLOAT && lua_type(L, -1) == LUA_TNUMBER) ((double *)(c + 1))[k] = lua_tonumber(L, -1);
    else if (kind == COL_INT && lua_isinteger(L, -1)) int_data(c)[k] = lua_tointeger(L, -1);
    else luaL_error(L, "element %I of the list is %s, not an integer", (lua_Integer)k + 1,
                    lua_type(L, -1) == LUA_TNUMBER ? "a float" : luaL_typename(L, -1));
    lua_pop(L, 1);
  }
  return c;
}

static operand get_operand(lua_State *L, int idx) {
  operand o = {NULL, 0, 0};
  if (lua_isinteger(L, idx)) {
    o.s = lua_tointeger(L, idx);
    return o;
  }
  if (lua_type(L, idx) == LUA_TNUMBER) luaL_error(L, "argument #%d is a float; only integers are exact", idx);
  column *c;
  if (lua_type(L, idx) == LUA_TTABLE) {
    c = sequence_column(L, idx, COL_INT);
    lua_replace(L, idx);
  } else {
    c = luaL_testudata(L, idx, COLUMN_MT);
    if (!c) luaL_error(L, "argument #%d must be an integer, a column or a list, not %s", idx, luaL_typename(L, idx));
    if (c->kind != COL_INT) luaL_error(L, "argument #%d is not an integer column", idx);
  }
  o.v = c->i;
  o.n = c->n;
  return o;
}

static int64_t at(const operand *o, size_t k) { return o->v ? o->v[k] : o->s; }

/* The common length of column operands (scalars fit any length). */
static size_t common_length(lua_State *L, const operand *ops, int nops) {
  size_t n = SIZE_MAX;
  for (int k = 0; k < nops; k++) {
    if (!ops[k].v) continue;
    if (n != SIZE_MAX && ops[k].n != n) luaL_error(L, "columns of different lengths (%I and %I)", (lua_Integer)n, (lua_Integer)ops[k].n);
    n = ops[k].n;
  }
  return n;
}

enum { OP_ADD, OP_SUB, OP_MUL, OP_MIN, OP_MAX };

static int elementwise(lua_State *L, int op) {
  operand ops[2] = {get_operand(L, 1), get_operand(L, 2)};
  size_t n = common_length(L, ops, 2);
  if (n == SIZE_MAX) return luaL_error(L, "at least one argument must be a column");
  column *c = new_column_unset(L, n, COL_INT);
  int64_t *out = int_data(c);
  for (size_t k = 0; k < n; k++) {
    __int128 a = at(&ops[0], k), b = at(&ops[1], k), r;
    switch (op) {
      case OP_ADD: r = a + b; break;
      case OP_SUB: r = a - b; break;
      case OP_MUL: r = a * b; break;
      case OP_MIN: r = a < b ? a : b; break;
      default: r = a > b ? a : b; break;
    }
    if (r < INT64_MIN || r > INT64_MAX) return luaL_error(L, "integer overflow at element %I", (lua_Integer)k + 1);
    out[k] = (int64_t)r;
  }
  return 1;
}

static int h_add(lua_State *L) { return elementwise(L, OP_ADD); }
static int h_sub(lua_State *L) { return elementwise(L, OP_SUB); }
static int h_mul(lua_State *L) { return elementwise(L, OP_MUL); }
static int h_min(lua_State *L) { return elementwise(L, OP_MIN); }
static int h_max(lua_State *L) { return elementwise(L, OP_MAX); }

static int h_abs(lua_State *L) {
  operand o = get_operand(L, 1);
  if (!o.v) {
    if (o.s == INT64_MIN) return luaL_error(L, "integer overflow");
    lua_pushinteger(L, o.s < 0 ? -o.s : o.s);
    return 1;
  }
  column *c = new_column_unset(L, o.n, COL_INT);
  for (size_t k = 0; k < o.n; k++) {
    if (o.v[k] == INT64_MIN) return luaL_error(L, "integer overflow at element %I", (lua_Integer)k + 1);
    int_data(c)[k] = o.v[k] < 0 ? -o.v[k] : o.v[k];
  }
  return 1;
}

/* floor(a * b / c), element-wise when any argument is a column. */
static int h_muldiv(lua_State *L) {
  operand ops[3] = {get_operand(L, 1), get_operand(L, 2), get_operand(L, 3)};
  size_t n = common_length(L, ops, 3);
  int64_t r;
  if (n == SIZE_MAX) {
    int rc = muldiv_floor(ops[0].s, ops[1].s, ops[2].s, &r);
    if (rc == ALLOC_EINVAL) return luaL_error(L, "muldiv: division by zero");
    if (rc) return luaL_error(L, "muldiv: result does not fit int64");
    lua_pushinteger(L, r);
    return 1;
  }
  column *c = new_column_unset(L, n, COL_INT);
  for (size_t k = 0; k < n; k++) {
    int rc = muldiv_floor(at(&ops[0], k), at(&ops[1], k), at(&ops[2], k), &int_data(c)[k]);
    if (rc == ALLOC_EINVAL) return luaL_error(L, "muldiv: division by zero at element %I", (lua_Integer)k + 1);
    if (rc) return luaL_error(L, "muldiv: result does not fit int64 at element %I", (lua_Integer)k + 1);
  }
  return 1;
}

/* select(cond, a [, b]): a where cond > 0, else b (default 0). */
static int h_select(lua_State *L) {
  if (lua_isnoneornil(L, 3)) {
    lua_settop(L, 2);
    lua_pushinteger(L, 0);
  }
  operand ops[3] = {get_operand(L, 1), get_operand(L, 2), get_operand(L, 3)};
  size_t n = common_length(L, ops, 3);
  if (n == SIZE_MAX) return luaL_error(L, "select: at least one argument must be a column");
  column *c = new_column_unset(L, n, COL_INT);
  for (size_t k = 0; k < n; k++) int_data(c)[k] = at(&ops[0], k) > 0 ? at(&ops[1], k) : at(&ops[2], k);
  return 1;
}

static int h_sum(lua_State *L) {
  operand o = get_operand(L, 1);
  if (!o.v) return luaL_error(L, "sum needs a column or a list");
  __int128 s = 0;
  for (size_t k = 0; k < o.n; k++) s += o.v[k];
  if (s < INT64_MIN || s > INT64_MAX) return luaL_error(L, "sum does not fit int64");
  lua_pushinteger(L, (lua_Integer)s);
  return 1;
}

static int h_column(lua_State *L) {
  lua_Integer n = luaL_checkinteger(L, 1);
  if (n < 0 || n > (lua_Integer)1 << 28) return luaL_error(L, "column length %I out of 0..2^28", n);
  if (lua_isnoneornil(L, 2) || lua_isinteger(L, 2)) {
    int64_t v = (int64_t)luaL_optinteger(L, 2, 0);
    column *c = new_column_unset(L, (size_t)n, COL_INT);
    for (lua_Integer k = 0; k < n; k++) int_data(c)[k] = v;
  } else {
    double v = luaL_checknumber(L, 2);
    column *c = new_column_unset(L, (size_t)n, COL_FLOAT);
    for (lua_Integer k = 0; k < n; k++) ((double *)(c + 1))[k] = v;
  }
  return 1;
}

/* The policy's budgeted allocator, for a helper's temporaries.  They are
 * freed before the helper raises anything, so none outlives an error. */
static alloc_mem budgeted(lua_State *L) {
  alloc_mem m;
  m.f = lua_getallocf(L, &m.ud);
  return m;
}

static int alloc_error(lua_State *L, const char *what, int rc) {
  if (rc == ALLOC_ENOMEM) return luaL_error(L, "%s: out of memory", what);
  return luaL_error(L, "%s: weights must be >= 0 and the total >= 0", what);
}

static int h_pro_rata(lua_State *L) {
  operand w = get_operand(L, 1);
  lua_Integer total = luaL_checkinteger(L, 2);
  if (!w.v) return luaL_error(L, "pro_rata: weights must be a column or a list");
  column *c = new_column_unset(L, w.n, COL_INT);
  alloc_mem mem = budgeted(L);
  int rc = alloc_pro_rata_in(&mem, w.v, w.n, total, int_data(c));
  return rc ? alloc_error(L, "pro_rata", rc) : 1;
}

static int h_waterfill(lua_State *L) {
  operand ops[2] = {get_operand(L, 1), get_operand(L, 2)};
  lua_Integer total = luaL_checkinteger(L, 3);
  if (!ops[0].v || !ops[1].v) return luaL_error(L, "waterfill: weights and caps must be columns or lists");
  common_length(L, ops, 2);
  column *c = new_column_unset(L, ops[0].n, COL_INT);
  alloc_mem mem = budgeted(L);
  int rc = alloc_waterfill_in(&mem, ops[0].v, ops[1].v, ops[0].n, total, int_data(c));
  return rc ? alloc_error(L, "waterfill", rc) : 1;
}

/* order(keys [, "desc"]): 1-based indices by key, ties to the lower index. */
static int h_order(lua_State *L) {
  int desc = 0;
  if (!lua_isnoneornil(L, 2)) {
    const char *d = luaL_checkstring(L, 2);
    if (strcmp(d, "desc") && strcmp(d, "asc")) return luaL_error(L, "order: direction must be 'asc' or 'desc'");
    desc = !strcmp(d, "desc");
  }
  column *k;
  if (lua_type(L, 1) == LUA_TTABLE) {
    k = sequence_column(L, 1, COL_FLOAT);
    lua_replace(L, 1);
  } else {
    k = lhelpers_check_column(L, 1);
  }
  if (k->kind == COL_ID) return luaL_error(L, "order: keys must be numbers");
  uint32_t *idx = lua_newuserdatauv(L, (k->n ? k->n : 1) * sizeof *idx, 0);
  alloc_mem mem = budgeted(L);
  int rc = k->kind == COL_INT ? order_i64_in(&mem, k->i, k->n, desc, idx)
                               : order_f64_in(&mem, k->f, k->n, desc, idx);
  if (rc == ALLOC_EINVAL) return luaL_error(L, "order: NaN has no order");
  if (rc) return luaL_error(L, "order: out of memory");
  column *c = new_column_unset(L, k->n, COL_INT);
  for (size_t j = 0; j < k->n; j++) int_data(c)[j] = (int64_t)idx[j] + 1;
  return 1;
}

/* brackets(profit, tiers): the progressive weight of each profit, like a tax:
 * tiers = {{upto=N, rate=BPS}, ..., {rate=BPS}} (the last without upto),
 * rates in basis points 0..10000; weight = floor(sum portion * rate / 10000). */
static int h_brackets(lua_State *L) {
  operand p = get_operand(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  if (!p.v) return luaL_error(L, "brackets: profit must be a column or a list");
  int64_t upto[32], rate[32];
  lua_Unsigned nt = lua_rawlen(L, 2);
  if (nt == 0 || nt > 32) return luaL_error(L, "brackets: 1 to 32 tiers");
  for (lua_Unsigned t = 0; t < nt; t++) {
    if (lua_rawgeti(L, 2, (lua_Integer)t + 1) != LUA_TTABLE) return luaL_error(L, "brackets: tier %I is not a table", (lua_Integer)t + 1);
    lua_getfield(L, -1, "upto");
    lua_getfield(L, -2, "rate");
    if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 0 || lua_tointeger(L, -1) > 10000)
      return luaL_error(L, "brackets: tier %I: rate must be an integer 0..10000 (basis points)", (lua_Integer)t + 1);
    rate[t] = lua_tointeger(L, -1);
    if (lua_isnil(L, -2)) {
      if (t + 1 != nt) return luaL_error(L, "brackets: only the last tier may omit upto");
      upto[t] = INT64_MAX;
    } else if (!lua_isinteger(L, -2) || lua_tointeger(L, -2) <= (t ? upto[t - 1] : 0)) {
      return luaL_error(L, "brackets: tier %I: upto must be an integer above the previous tier", (lua_Integer)t + 1);
    } else {
      upto[t] = lua_tointeger(L, -2);
    }
    lua_pop(L, 3);
  }
  column *c = new_column_unset(L, p.n, COL_INT);
  alloc_brackets(p.v, p.n, upto, rate, (size_t)nt, int_data(c));
  return 1;
}

/* ---- ADL scores --------------------------------------------------------- */

/* Lua 5.4's integer arithmetic, which the scores were first written in:
 * `*` and math.abs wrap around (math.abs(math.mininteger) is
 * math.mininteger), math.max(a, b) is b only when a < b. */
static int64_t lua_mul(int64_t a, int64_t b) { return (int64_t)((uint64_t)a * (uint64_t)b); }
static int64_t lua_abs(int64_t a) { return a < 0 ? (int64_t)(0u - (uint64_t)a) : a; }
static int64_t lua_max(int64_t a, int64_t b) { return a < b ? b : a; }

enum { SCORE_BITMEX, SCORE_BINANCE, SCORE_HYPERLIQUID, SCORE_PNL };

/* Raises "score must be …, not 'KIND'", KIND as the sandbox's tostring shows
 * it (a table is "table", never an address); built by concatenation so that
 * a kind holding a NUL byte is shown whole, as the Lua `..` did. */
static int unknown_score(lua_State *L) {
  lua_settop(L, 1);  /* no argument at all is nil, and stays at index 1 */
  luaL_where(L, 1);
  lua_pushliteral(L, "score must be 'bitmex', 'binance', 'hyperliquid' or 'pnl', not '");
  int t = lua_type(L, 1);
  if (t == LUA_TSTRING) lua_pushvalue(L, 1);
  else if (t == LUA_TNUMBER || t == LUA_TBOOLEAN) luaL_tolstring(L, 1, NULL);
  else if (t == LUA_TNIL) lua_pushliteral(L, "nil");
  else lua_pushstring(L, luaL_typename(L, 1));
  lua_pushliteral(L, "'");
  lua_concat(L, 4);
  return lua_error(L);
}

/* adl_score(kind, size, cost, upnl, equity, balance, mark [, unit, mm]): the
 * ADL ranking score of every row, with leverage = |size x mark| /
 * max(equity, 1).  Each double is what policies/adl.lua's Lua loop
 * computed, the same IEEE operations in the same order (int64 -> double
 * conversions where Lua's `/` made them), so a queue ordered by it is the
 * one that loop gave.  "pnl" ranks the exact integers: an integer column.
 * "binance" with unit and mm is Binance's own order: max(0, upnl) /
 * max(unit, balance) x mm / equity (0 when equity <= 0), unit one whole
 * unit of the margin asset in atoms and mm each row's maintenance margin
 * (its notional brackets); without them it stays the flat-rate, 1-atom
 * score it was, so a policy written against it decides as it did. */
static int h_adl_score(lua_State *L) {
  static const char *const kinds[] = {"bitmex", "binance", "hyperliquid", "pnl"};
  int kind = -1;
  size_t len = 0;
  const char *name = lua_type(L, 1) == LUA_TSTRING ? lua_tolstring(L, 1, &len) : NULL;
  for (int k = 0; name && k < 4; k++)
    if (len == strlen(kinds[k]) && !memcmp(name, kinds[k], len)) kind = k;
  if (kind < 0) return unknown_score(L);
  operand ops[6] = {get_operand(L, 2), get_operand(L, 3), get_operand(L, 4), get_operand(L, 5), get_operand(L, 6)};
  operand mk = get_operand(L, 7);
  if (mk.v) return luaL_error(L, "adl_score: mark must be an integer, not a column");
  /* Binance's own order needs the wallet floor and the maintenance margin */
  int floor_given = !lua_isnoneornil(L, 8), mm_given = !lua_isnoneornil(L, 9);
  int64_t unit = 1;
  if ((floor_given || mm_given) && kind != SCORE_BINANCE)
    return luaL_error(L, "adl_score: only 'binance' takes a wallet floor and a maintenance margin");
  if (floor_given != mm_given)
    return luaL_error(L, "adl_score: 'binance' takes the wallet floor (argument #8) and the maintenance margin "
                         "(argument #9) together");
  if (floor_given) {
    if (!lua_isinteger(L, 8) || lua_tointeger(L, 8) < 1)
      return luaL_error(L, "adl_score: the wallet floor must be an integer >= 1 (the atoms of one unit of the asset)");
    unit = lua_tointeger(L, 8);
    ops[5] = get_operand(L, 9);
  }
  size_t n = common_length(L, ops, floor_given ? 6 : 5);
  if (n == SIZE_MAX) return luaL_error(L, "adl_score: at least one argument must be a column");
  const operand *size = &ops[0], *cost = &ops[1], *upnl = &ops[2], *equity = &ops[3], *balance = &ops[4];
  const operand *mm = &ops[5];
  const int64_t mark = mk.s;
  if (floor_given)
    for (size_t k = 0; k < n; k++)
      if (at(mm, k) < 0)
        return luaL_error(L, "adl_score: maintenance margin %I at %I is negative", (lua_Integer)at(mm, k),
                          (lua_Integer)k + 1);
  if (kind == SCORE_PNL) {
    column *c = new_column_unset(L, n, COL_INT);
    for (size_t k = 0; k < n; k++) int_data(c)[k] = at(size, k) != 0 ? at(upnl, k) : 0;
    return 1;
  }
  column *c = new_column(L, n, COL_FLOAT);
  double *s = (double *)(c + 1);  /* rows with size 0 keep 0.0 */
  for (size_t k = 0; k < n; k++) {
    int64_t q = at(size, k);
    if (q == 0) continue;
    if (floor_given) {
      /* Binance: PnL% = max(0, upnl) / max(1 unit, wallet), margin ratio =
       * maintenance margin / (wallet + upnl), 0 when that is <= 0 */
      double pct = (double)lua_max(0, at(upnl, k)) / (double)lua_max(unit, at(balance, k));
      double ratio = at(equity, k) > 0 ? (double)at(mm, k) / (double)at(equity, k) : 0.0;
      s[k] = pct * ratio;
      continue;
    }
    double lev = (double)lua_abs(lua_mul(q, mark)) / (double)lua_max(at(equity, k), 1);
    if (kind == SCORE_BITMEX) {
      /* PnL% x leverage in profit, PnL% / leverage in loss */
      double pct = (double)at(upnl, k) / (double)lua_max(lua_abs(at(cost, k)), 1);
      s[k] = pct > 0 ? pct * lev : pct / lev;
    } else if (kind == SCORE_BINANCE) {
      s[k] = (double)lua_max(0, at(upnl, k)) / (double)lua_max(1, at(balance, k)) * lev;
    } else {
      /* mark / entry for longs, entry / mark for shorts, x leverage */
      double entry = (double)at(cost, k) / (double)q;
      s[k] = q > 0 ? (double)mark / entry * lev : entry / (double)mark * lev;
    }
  }
  return 1;
}

/* ---- actions ------------------------------------------------------------ */

static actions *new_actions(lua_State *L, int fn, size_t cap) {
  if (cap > (SIZE_MAX - sizeof(actions)) / sizeof(eval_action)) luaL_error(L, "too many actions");
  actions *a = lua_newuserdatauv(L, sizeof(actions) + cap * sizeof(eval_action), 0);
  a->fn = fn;
  a->n = 0;
  luaL_setmetatable(L, ACTIONS_MT);
  return a;
}

/* haircuts(amounts): one haircut per non-zero amount, candidate i paying
 * amounts[i]. */
static int h_haircuts(lua_State *L) {
  operand o = get_operand(L, 1);
  const eval_request *rq = request_of(L);
  if (!o.v || o.n != rq->c.n) return luaL_error(L, "haircuts: amounts must be a column of one amount per candidate (%I)", (lua_Integer)rq->c.n);
  size_t m = 0;
  for (size_t k = 0; k < o.n; k++) {
    if (o.v[k] < 0) return luaL_error(L, "haircuts: amount %I at %I is negative", (lua_Integer)o.v[k], (lua_Integer)k + 1);
    m += o.v[k] != 0;
  }
  actions *a = new_actions(L, EVAL_FN_HAIRCUT, m);
  for (size_t k = 0; k < o.n; k++)
    if (o.v[k]) a->a[a->n++] = (eval_action){.index = (uint32_t)k, .value = o.v[k]};
  return 1;
}

static int market_index(lua_State *L, const eval_request *rq, const char *m) {
  for (size_t k = 0; k < rq->nmarkets; k++)
    if (!strcmp(rq->markets[k].market, m)) return (int)k;
  return luaL_error(L, "'%s' is not one of the deficit's markets", m);
}

/* deleverage(market, order, available, lots [, before]): walks the
 * candidates in `order` (1-based indices) and closes min(available[i], what
 * it can bear, what is left) of each until `lots` are closed: whole
 * positions first, the last partly (deleverage_walk).  `before` (actions
 * from another market) comes first in the result, and what its closes cost
 * a holder comes off that holder's equity here. */
static int h_deleverage(lua_State *L) {
  const eval_request *rq = request_of(L);
  int m = market_index(L, rq, luaL_checkstring(L, 1));
  operand ops[2] = {get_operand(L, 2), get_operand(L, 3)};
  lua_Integer lots = luaL_checkinteger(L, 4);
  actions *before = lua_isnoneornil(L, 5) ? NULL : luaL_checkudata(L, 5, ACTIONS_MT);
  if (!ops[0].v || !ops[1].v) return luaL_error(L, "deleverage: order and available must be columns");
  if (ops[1].n != rq->c.n) return luaL_error(L, "deleverage: available must have one entry per candidate");
  if (lots < 0) return luaL_error(L, "deleverage: lots must be >= 0");
  if (before && before->fn != EVAL_FN_DELEVERAGE) return luaL_error(L, "deleverage: 'before' holds haircuts");
  size_t nb = before ? before->n : 0;
  /* what the earlier closes cost each holder, when there are any */
  int64_t *spent = NULL;
  if (nb) {
    spent = lua_newuserdatauv(L, (rq->c.n ? rq->c.n : 1) * sizeof *spent, 0);
    memset(spent, 0, rq->c.n * sizeof *spent);
    deleverage_spent(rq, before->a, nb, spent);
  }
  /* the list may not grow past what an answer can hold (each candidate
   * once per market, and one): the order is walked no further */
  size_t most = evalproto_actions_max(rq), room = nb < most ? most - nb : 0;
  if (ops[0].n < room) room = ops[0].n;
  actions *a = new_actions(L, EVAL_FN_DELEVERAGE, nb + room);
  if (nb) memcpy(a->a, before->a, nb * sizeof *a->a);
  a->n = nb;
  int64_t bad = 0;
  int rc = deleverage_walk(rq, (uint32_t)m, ops[0].v, ops[0].n, ops[1].v, spent, lots, a->a, &a->n, nb + room, &bad);
  if (rc == DELEVERAGE_BAD_INDEX)
    return luaL_error(L, "deleverage: order holds %I, not a candidate index", (lua_Integer)bad);
  if (rc == DELEVERAGE_FULL)
    return luaL_error(L, "deleverage: more than %I actions, more than there can be", (lua_Integer)most);
  return 1;
}

/* The deleverage step's two per-market inputs that every ADL policy needs,
 * so that none copies them (docs/helpers.md). */

/* lots_to_close([fund_first]): per market of ctx.deficit.markets, in its
 * order, the lots of A's position to close: every lot, or with fund_first
 * (default true) the fewest whose exact transfers cover what the fund will
 * not pay (deleverage_lots). */
static int h_lots_to_close(lua_State *L) {
  const eval_request *rq = request_of(L);
  int ff = 1;
  if (!lua_isnoneornil(L, 1)) {
    if (!lua_isboolean(L, 1)) return luaL_error(L, "lots_to_close: fund_first must be true or false, not %s", luaL_typename(L, 1));
    ff = lua_toboolean(L, 1);
  }
  if (rq->joint.naccounts) return luaL_error(L, "lots_to_close: a joint event's haircut has no one deficit to close");
  column *c = new_column(L, rq->nmarkets, COL_INT);
  deleverage_lots(rq, ff, int_data(c));
  return 1;
}

/* opposite(market): each candidate's lots on the other side of A's position
 * in that market (its short lots against a long, its long lots against a
 * short; 0 on A's side): the `available` of deleverage. */
static int h_opposite(lua_State *L) {
  const eval_request *rq = request_of(L);
  int m = market_index(L, rq, luaL_checkstring(L, 1));
  const int64_t *size = rq->c.size + (size_t)m * rq->c.stride;
  int long_a = rq->markets[m].size > 0;
  column *c = new_column(L, rq->c.n, COL_INT);
  for (size_t i = 0; i < rq->c.n; i++) {
    int64_t s = long_a ? -size[i] : size[i];
    int_data(c)[i] = s > 0 ? s : 0;
  }
  return 1;
}

static int actions_len(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)((actions *)luaL_checkudata(L, 1, ACTIONS_MT))->n);
  return 1;
}

long lhelpers_find(const eval_request *rq, const char *id, size_t len) {
  size_t lo = 0, hi = rq->c.n;
  while (lo < hi) {  /* candidates are in bytewise id order */
    size_t mid = lo + (hi - lo) / 2, ml = rq->c.off[mid + 1] - rq->c.off[mid];
    int cmp = memcmp(rq->c.ids + rq->c.off[mid], id, ml < len ? ml : len);
    if (cmp == 0) cmp = (ml > len) - (ml < len);
    if (cmp == 0) return (long)mid;
    if (cmp < 0) lo = mid + 1;
    else hi = mid;
  }
  return -1;
}

static int h_find(lua_State *L) {
  size_t len;
  const char *id = luaL_checklstring(L, 1, &len);
  long i = lhelpers_find(request_of(L), id, len);
  if (i < 0) lua_pushnil(L);
  else lua_pushinteger(L, (lua_Integer)i + 1);
  return 1;
}

static const luaL_Reg helpers[] = {
    {"column", h_column},     {"add", h_add},         {"sub", h_sub},
    {"mul", h_mul},           {"min", h_min},         {"max", h_max},
    {"abs", h_abs},           {"muldiv", h_muldiv},   {"sum", h_sum},
    {"pro_rata", h_pro_rata}, {"waterfill", h_waterfill}, {"order", h_order},
    {"brackets", h_brackets}, {"haircuts", h_haircuts}, {"deleverage", h_deleverage},
    {"find", h_find},         {"select", h_select},   {"adl_score", h_adl_score},
    {"lots_to_close", h_lots_to_close}, {"opposite", h_opposite},
    /* socloss.log: the policy's own debugging output (llog.c) */
    {"log", llog_log},
    {NULL, NULL}};

void lhelpers_open(lua_State *L, const eval_request *rq) {
  luaL_newmetatable(L, COLUMN_MT);
  lua_pushcfunction(L, col_index);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, col_newindex);
  lua_setfield(L, -2, "__newindex");
  lua_pushcfunction(L, col_len);
  lua_setfield(L, -2, "__len");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  lua_pop(L, 1);
  luaL_newmetatable(L, ACTIONS_MT);
  lua_pushcfunction(L, actions_len);
  lua_setfield(L, -2, "__len");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  lua_pop(L, 1);
  luaL_newlibtable(L, helpers);
  lua_pushlightuserdata(L, (void *)rq);
  luaL_setfuncs(L, helpers, 1);
}
