/*
 * llog.c — socloss.log: a policy's own debugging output, returned with its
 * answer and shown by the host beside the decision, never part of it.
 *
 * Three rules keep it harmless:
 *  - a budget: one call keeps at most EVAL_LOG_BUDGET bytes of entries; the
 *    entry that would pass it is cut there and one line (EVAL_LOG_CUT) says
 *    so; what follows is dropped at once, so a log in a loop costs the
 *    policy its instructions, never the evaluator its memory.  Formatting
 *    stops at the budget too: a huge string or column is read only as far
 *    as it is shown.  The buffer is the answer's, outside the Lua budget,
 *    so logging never changes what memory a policy has;
 *  - determinism: values are formatted by their type, here, without calling
 *    into Lua (no __tostring or __name, no tostring): integers exactly,
 *    floats with %.17g (".0" added to an integral one, as Lua shows it;
 *    "nan", "inf", "-inf"), strings as they are but escaped;
 *  - text safe to show: a string's bytes that are not printable ASCII or
 *    valid UTF-8 are escaped — '\n' '\t' '\r' as such, other control
 *    characters (C0, DEL, C1), the bidirectional overrides and the line and
 *    paragraph separators, and bytes of invalid UTF-8 as \xNN — and a
 *    backslash is doubled, so an escape cannot be forged.
 */
#include "llog.h"

#include <lauxlib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lhelpers.h"
#include "text.h"

static const char key = 0;  /* the registry slot of the call's log */

_Static_assert(sizeof EVAL_LOG_CUT - 1 <= EVAL_LOG_MAX - EVAL_LOG_BUDGET, "the cut's line fits past the budget");

void llog_begin(lua_State *L, llog *g, char *out) {
  g->out = out;
  g->len = 0;
  g->full = 0;
  out[0] = 0;
  lua_pushlightuserdata(L, g);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &key);
}

/* Appends n bytes when they fit the budget with the entry's newline after
 * them; else the budget is spent.  1 when written. */
static int put(llog *g, const char *s, size_t n) {
  if (g->full) return 0;
  if (g->len + n + 1 > EVAL_LOG_BUDGET) {
    g->full = 1;
    return 0;
  }
  memcpy(g->out + g->len, s, n);
  g->len += n;
  return 1;
}

static int put_str(llog *g, const char *s) { return put(g, s, strlen(s)); }

static int put_int(llog *g, lua_Integer v) {
  char b[32];
  return put(g, b, (size_t)snprintf(b, sizeof b, "%lld", (long long)v));
}

static int put_float(llog *g, double d) {
  char b[40];
  if (isnan(d)) return put_str(g, "nan");  /* whatever its sign bit: printf says "-nan" for some */
  if (isinf(d)) return put_str(g, d > 0 ? "inf" : "-inf");
  int n = snprintf(b, sizeof b, "%.17g", d);
  if (strspn(b, "-0123456789") == (size_t)n) n += snprintf(b + n, sizeof b - (size_t)n, ".0");
  return put(g, b, (size_t)n);
}

/* A character that must not reach a terminal as it is (k bytes at p, valid
 * UTF-8): C0 and DEL, C1, U+2028..U+202E, U+2066..U+2069. */
static int hidden(const unsigned char *p, size_t k) {
  if (k == 1) return p[0] < 0x20 || p[0] == 0x7f;
  if (k == 2) return p[0] == 0xc2 && p[1] < 0xa0;
  if (k == 3 && p[0] == 0xe2)
    return (p[1] == 0x80 && p[2] >= 0xa8 && p[2] <= 0xae) || (p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9);
  return 0;
}

/* The string's bytes, escaped, unit by unit: a unit (a character or its
 * escape) is written whole or not at all. */
static int put_escaped(llog *g, const char *s, size_t len) {
  static const char hex[] = "0123456789abcdef";
  const unsigned char *p = (const unsigned char *)s;
  for (size_t i = 0; i < len;) {
    size_t k = utf8_len(p + i, len - i);
    char unit[16];
    size_t n = 0;
    if (k == 1 && p[i] == '\\') n = (size_t)snprintf(unit, sizeof unit, "\\\\");
    else if (k == 1 && p[i] == '\n') n = (size_t)snprintf(unit, sizeof unit, "\\n");
    else if (k == 1 && p[i] == '\t') n = (size_t)snprintf(unit, sizeof unit, "\\t");
    else if (k == 1 && p[i] == '\r') n = (size_t)snprintf(unit, sizeof unit, "\\r");
    else if (!k || hidden(p + i, k)) {
      if (!k) k = 1;  /* not UTF-8: this byte alone */
      for (size_t j = 0; j < k; j++) {
        unit[n++] = '\\';
        unit[n++] = 'x';
        unit[n++] = hex[p[i + j] >> 4];
        unit[n++] = hex[p[i + j] & 15];
      }
    } else {
      memcpy(unit, p + i, k);
      n = k;
    }
    if (!put(g, unit, n)) return 0;
    i += k;
  }
  return 1;
}

/* A column: "column{1, 2, 3}", as far as the budget goes. */
static int put_column(llog *g, const column *c) {
  if (!put_str(g, "column{")) return 0;
  for (size_t k = 0; k < c->n; k++) {
    if (k && !put_str(g, ", ")) return 0;
    int done = c->kind == COL_INT     ? put_int(g, c->i[k])
               : c->kind == COL_FLOAT ? put_float(g, c->f[k])
                                      : put_escaped(g, c->ids + c->off[k], c->off[k + 1] - c->off[k]);
    if (!done) return 0;
  }
  return put_str(g, "}");
}

/* An action list: "actions{bob 5, carol 3}" (haircuts: account, atoms) or
 * "actions{bob BTC 4, carol ETH 1 share 5000}" (closes: account, market,
 * lots, and the share when not the whole 10000), as far as the budget goes.
 * Its indices are a helper's, within the request. */
static int put_actions(llog *g, const eval_request *rq, const actions *a) {
  if (!put_str(g, "actions{")) return 0;
  for (size_t k = 0; k < a->n; k++) {
    const eval_action *x = &a->a[k];
    if (k && !put_str(g, ", ")) return 0;
    if (!rq || x->index >= rq->c.n) return put_str(g, "?");
    if (!put_escaped(g, rq->c.ids + rq->c.off[x->index], rq->c.off[x->index + 1] - rq->c.off[x->index]))
      return 0;
    if (a->fn == EVAL_FN_DELEVERAGE && x->market < rq->nmarkets &&
        (!put_str(g, " ") || !put_str(g, rq->markets[x->market].market)))
      return 0;
    if (!put_str(g, " ") || !put_int(g, x->value)) return 0;
    if (a->fn == EVAL_FN_DELEVERAGE && x->share != EVAL_SHARE_FULL &&
        (!put_str(g, " share ") || !put_int(g, x->share)))
      return 0;
  }
  return put_str(g, "}");
}

static int put_value(lua_State *L, llog *g, int i) {
  switch (lua_type(L, i)) {
    case LUA_TNIL: return put_str(g, "nil");
    case LUA_TBOOLEAN: return put_str(g, lua_toboolean(L, i) ? "true" : "false");
    case LUA_TNUMBER: return lua_isinteger(L, i) ? put_int(g, lua_tointeger(L, i)) : put_float(g, lua_tonumber(L, i));
    case LUA_TSTRING: {
      size_t len;
      const char *s = lua_tolstring(L, i, &len);  /* a string already: nothing converted */
      return put_escaped(g, s, len);
    }
    case LUA_TUSERDATA: {
      const column *c = luaL_testudata(L, i, COLUMN_MT);
      if (c) return put_column(g, c);
      const actions *a = luaL_testudata(L, i, ACTIONS_MT);
      if (a) return put_actions(g, lua_touserdata(L, lua_upvalueindex(1)), a);  /* the helpers' upvalue: the request */
      return put_str(g, "userdata");
    }
    default: return put_str(g, lua_typename(L, lua_type(L, i)));  /* "table", "function": never an address */
  }
}

int llog_log(lua_State *L) {
  lua_rawgetp(L, LUA_REGISTRYINDEX, &key);
  llog *g = lua_touserdata(L, -1);
  lua_pop(L, 1);
  if (!g || g->full) return 0;
  if (g->len + 1 > EVAL_LOG_BUDGET) {
    g->full = 1;  /* not even an empty entry fits */
  } else {
    int n = lua_gettop(L);
    for (int i = 1; i <= n; i++)
      if ((i > 1 && !put_str(g, " ")) || !put_value(L, g, i)) break;
    g->out[g->len++] = '\n';  /* put always leaves room for it */
  }
  if (g->full) {  /* marked once, in the call that spent the budget */
    memcpy(g->out + g->len, EVAL_LOG_CUT, sizeof EVAL_LOG_CUT - 1);
    g->len += sizeof EVAL_LOG_CUT - 1;
  }
  g->out[g->len] = 0;
  return 0;
}
