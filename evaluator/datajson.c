/*
 * datajson.c — a test file's data written as JSON while it is walked, never
 * built as a tree first.  Each reference to a string or a table is written
 * where it is met, so the size of the text, not of the Lua value, is what
 * counts: it is checked before every write against EVAL_DATA_MAX, the most
 * the host parses, and a value referenced a million times stops there.
 *
 * Tables whose keys are 1..n are lists (an empty table is an empty list),
 * tables with string keys objects, in the order Lua walks them (the host
 * reads fields by name); anything else is refused, as are strings that are
 * not UTF-8 or hold a NUL (jansson refuses both) and numbers that are not
 * finite.
 */
#include "datajson.h"

#include <lauxlib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "evalproto.h"
#include "text.h"

#define DATA_DEPTH_MAX 32

typedef struct writer {
  lua_State *L;
  codec_buf *b;
} writer;

static void put(writer *w, const void *p, size_t n) {
  if (n > EVAL_DATA_MAX - w->b->len) luaL_error(w->L, "data: more than %d bytes of JSON", EVAL_DATA_MAX);
  codec_buf_raw(w->b, p, n);
  if (w->b->oom) luaL_error(w->L, "data: out of memory");
}

static void put_string(writer *w, const char *s, size_t len) {
  const unsigned char *u = (const unsigned char *)s;
  put(w, "\"", 1);
  size_t run = 0;  /* bytes that go out as they are, from u + i - run */
  for (size_t i = 0; i < len;) {
    size_t k = utf8_len(u + i, len - i);
    if (!k) luaL_error(w->L, "data: a string that is not UTF-8");
    if (k > 1 || (u[i] >= 0x20 && u[i] != '"' && u[i] != '\\')) {
      run += k;
      i += k;
      continue;
    }
    if (!u[i]) luaL_error(w->L, "data: a string holding a NUL byte");
    put(w, u + i - run, run);
    run = 0;
    char esc[8];
    int m = u[i] == '"' ? snprintf(esc, sizeof esc, "\\\"") : u[i] == '\\' ? snprintf(esc, sizeof esc, "\\\\")
                                                                          : snprintf(esc, sizeof esc, "\\u%04x", u[i]);
    put(w, esc, (size_t)m);
    i++;
  }
  put(w, u + len - run, run);
  put(w, "\"", 1);
}

static void put_number(writer *w, int idx) {
  char n[48];
  int m;
  if (lua_isinteger(w->L, idx)) {
    m = snprintf(n, sizeof n, LUA_INTEGER_FMT, (LUAI_UACINT)lua_tointeger(w->L, idx));
  } else {
    double d = lua_tonumber(w->L, idx);
    if (!isfinite(d)) luaL_error(w->L, "data: a number that is not finite");
    m = snprintf(n, sizeof n, "%.17g", d);
    /* as jansson writes a real: read back as a real, not an integer */
    if (!strpbrk(n, ".e")) m += snprintf(n + m, sizeof n - (size_t)m, ".0");
  }
  put(w, n, (size_t)m);
}

static void put_value(writer *w, int idx, int depth) {
  lua_State *L = w->L;
  if (depth > DATA_DEPTH_MAX) luaL_error(L, "data: nested deeper than %d", DATA_DEPTH_MAX);
  idx = lua_absindex(L, idx);
  switch (lua_type(L, idx)) {
    case LUA_TBOOLEAN:
      if (lua_toboolean(L, idx)) put(w, "true", 4);
      else put(w, "false", 5);
      return;
    case LUA_TNUMBER: put_number(w, idx); return;
    case LUA_TSTRING: {
      size_t len;
      const char *s = lua_tolstring(L, idx, &len);
      put_string(w, s, len);
      return;
    }
    case LUA_TTABLE: break;
    default: luaL_error(L, "data: a %s has no JSON form", luaL_typename(L, idx));
  }
  luaL_checkstack(L, 4, "data");
  lua_Unsigned n = lua_rawlen(L, idx), count = 0;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    count++;
    lua_pop(L, 1);
  }
  if (count == n) {  /* a sequence (an empty table is an empty list) */
    put(w, "[", 1);
    for (lua_Unsigned k = 1; k <= n; k++) {
      if (k > 1) put(w, ",", 1);
      lua_rawgeti(L, idx, (lua_Integer)k);
      put_value(w, -1, depth + 1);
      lua_pop(L, 1);
    }
    put(w, "]", 1);
    return;
  }
  put(w, "{", 1);
  int first = 1;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    if (lua_type(L, -2) != LUA_TSTRING) luaL_error(L, "data: a table mixes list items and names");
    if (!first) put(w, ",", 1);
    first = 0;
    size_t len;
    const char *key = lua_tolstring(L, -2, &len);  /* a string already: lua_next is not disturbed */
    put_string(w, key, len);
    put(w, ":", 1);
    put_value(w, -1, depth + 1);
    lua_pop(L, 1);
  }
  put(w, "}", 1);
}

void datajson_write(lua_State *L, int idx, codec_buf *out) {
  writer w = {L, out};
  put_value(&w, idx, 0);
}
