/*
 * constants.c — counts the constants of every function of a compiled chunk.
 *
 * Lua 5.4.4 can generate wrong code once a function has more than 256
 * constants: an operand that no longer fits an instruction's constant field
 * is handled wrongly (`1 ~ (2 or 3)` gives 0 there; fixed upstream in 5.4.5,
 * not in Debian's 5.4.4).  A chunk with a function of more than 255
 * constants is refused at load, one below where the fault begins.
 *
 * How they are counted: Debian ships only Lua's public headers, so the
 * compiler's function prototypes (lobject.h) cannot be walked directly.
 * lua_dump is public and writes those prototypes in the binary chunk format
 * of 5.4 (ldump.c): per function its code, then the constants (their count
 * first), the upvalues, the nested functions and the debug information.  The
 * chunk is dumped stripped into memory and read back here; the count is the
 * compiler's own, so field names, globals and each distinct literal count
 * exactly as they do for the bug, which a lexer of the source could only
 * guess at.  A dump that does not read as expected refuses the chunk.
 */
#include "constants.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if LUA_VERSION_NUM != 504
#error "the binary chunk format read here is Lua 5.4's"
#endif

typedef struct dump {
  unsigned char *p;
  size_t len, cap;
  int oom;
} dump;

static int writer(lua_State *L, const void *p, size_t n, void *ud) {
  (void)L;
  dump *d = ud;
  if (n > d->cap - d->len) {
    size_t cap = d->cap ? d->cap : 4096;
    while (cap - d->len < n) {
      if (cap > SIZE_MAX / 2) return d->oom = 1;
      cap *= 2;
    }
    unsigned char *q = realloc(d->p, cap);
    if (!q) return d->oom = 1;
    d->p = q;
    d->cap = cap;
  }
  memcpy(d->p + d->len, p, n);
  d->len += n;
  return 0;
}

typedef struct reader {
  const unsigned char *p;
  size_t len, pos;
  int bad;
  int line;  /* where the first function over the limit begins (0: the main chunk) */
  size_t found;  /* its constants (0: none over) */
} reader;

static void skip(reader *r, size_t n) {
  if (n > r->len - r->pos) {
    r->bad = 1;
    r->pos = r->len;
  } else {
    r->pos += n;
  }
}

static unsigned byte(reader *r) {
  if (r->pos >= r->len) {
    r->bad = 1;
    return 0;
  }
  return r->p[r->pos++];
}

/* ldump.c's dumpSize: 7 bits a byte, most significant first, the last byte
 * marked with 0x80. */
static size_t size(reader *r) {
  size_t x = 0;
  unsigned b;
  do {
    if (x > SIZE_MAX >> 7) r->bad = 1;
    b = byte(r);
    x = (x << 7) | (b & 0x7f);
  } while (!r->bad && !(b & 0x80));
  return r->bad ? 0 : x;
}

static void string(reader *r) {
  size_t n = size(r);  /* length + 1; 0 for none */
  if (n) skip(r, n - 1);
}

/* A count of n items of at least `least` bytes each cannot exceed what is
 * left: checked before any loop, so garbage cannot make one long. */
static size_t count(reader *r, size_t least) {
  size_t n = size(r);
  if (least && n > (r->len - r->pos) / least) r->bad = 1;
  return r->bad ? 0 : n;
}

/* The type tags of constants (lobject.h's variants: type | variant << 4). */
enum {
  K_NIL = LUA_TNIL,
  K_FALSE = LUA_TBOOLEAN,
  K_TRUE = LUA_TBOOLEAN | 1 << 4,
  K_INT = LUA_TNUMBER,
  K_FLOAT = LUA_TNUMBER | 1 << 4,
  K_SHORT = LUA_TSTRING,
  K_LONG = LUA_TSTRING | 1 << 4
};

static void function(reader *r, int depth) {
  if (depth > 1000) r->bad = 1;  /* the parser nests far less (LUAI_MAXCCALLS) */
  if (r->bad) return;
  string(r);  /* source: none when stripped */
  size_t line = size(r);
  size(r);    /* last line */
  skip(r, 3); /* parameters, vararg, stack size */
  size_t n = count(r, 4);
  skip(r, n * 4);  /* the instructions */
  n = count(r, 1);
  if (n > CONSTANTS_MAX && !r->found) {
    r->found = n;
    r->line = line > INT32_MAX ? INT32_MAX : (int)line;
  }
  for (size_t k = 0; k < n && !r->bad; k++) {
    switch (byte(r)) {
      case K_NIL:
      case K_FALSE:
      case K_TRUE: break;
      case K_INT: skip(r, sizeof(lua_Integer)); break;
      case K_FLOAT: skip(r, sizeof(lua_Number)); break;
      case K_SHORT:
      case K_LONG: string(r); break;
      default: r->bad = 1;
    }
  }
  n = count(r, 3);
  skip(r, n * 3);  /* upvalues: in stack, index, kind */
  n = count(r, 1);
  for (size_t k = 0; k < n && !r->bad; k++) function(r, depth + 1);
  /* debug information: empty when stripped, read all the same */
  n = count(r, 1);
  skip(r, n);  /* line deltas */
  n = count(r, 2);
  for (size_t k = 0; k < n && !r->bad; k++) {  /* absolute lines: pc, line */
    size(r);
    size(r);
  }
  n = count(r, 3);
  for (size_t k = 0; k < n && !r->bad; k++) {  /* locals: name, first and last pc */
    string(r);
    size(r);
    size(r);
  }
  n = count(r, 1);
  for (size_t k = 0; k < n && !r->bad; k++) string(r);  /* upvalue names */
}

int constants_check(lua_State *L, char *msg, size_t len) {
  dump d = {0};
  int st = lua_dump(L, writer, &d, 1);
  static const unsigned char head[] = {0x1b, 'L', 'u', 'a', 0x54, 0, 0x19, 0x93, '\r', '\n', 0x1a, '\n',
                                       4, sizeof(lua_Integer), sizeof(lua_Number)};
  reader r = {d.p, d.len, 0, 0, 0, 0};
  if (st || d.oom || d.len < sizeof head || memcmp(d.p, head, sizeof head)) r.bad = 1;
  skip(&r, sizeof head + sizeof(lua_Integer) + sizeof(lua_Number) + 1);  /* + the main upvalue count */
  function(&r, 0);
  if (r.pos != r.len) r.bad = 1;
  free(d.p);
  if (d.oom) snprintf(msg, len, "out of memory counting the constants of the chunk");
  else if (r.bad) snprintf(msg, len, "the compiled chunk cannot be read to count its constants");
  else if (r.found && r.line)
    snprintf(msg, len, "policy:%d: a function with %zu constants (distinct literals and names), more than %d: "
             "Lua 5.4.4 can miscompile it", r.line, r.found, CONSTANTS_MAX);
  else if (r.found)
    snprintf(msg, len, "policy: the main chunk has %zu constants (distinct literals and names), more than %d: "
             "Lua 5.4.4 can miscompile it", r.found, CONSTANTS_MAX);
  return r.bad || r.found ? -1 : 0;
}
