/*
 * bytes.c — big-endian integers and the growable buffer / bounded reader
 * that the journal records and the evaluator's wire protocol are made of.
 */
#include "bytes.h"

#include <stdlib.h>
#include <string.h>

#include "blocks.h"

/* Two's complement through uint64: defined behaviour for every int64. */
static void put_i64(unsigned char *p, int64_t v) { codec_put_u64(p, (uint64_t)v); }

static int64_t get_i64(const unsigned char *p) {
  uint64_t u = codec_get_u64(p);
  return u <= (uint64_t)INT64_MAX ? (int64_t)u : -(int64_t)(~u) - 1;
}

void codec_buf_free(codec_buf *b) {
  free(b->p);
  memset(b, 0, sizeof *b);
}

static unsigned char *buf_grow(codec_buf *b, size_t n) {
  if (b->oom || !n) return NULL;  /* nothing to add (b->p may be NULL: no arithmetic on it) */
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 64;
    while (cap < b->len + n) cap *= 2;
    unsigned char *p = blocks_grow(b->p, b->len, cap);  /* a request or record of a million rows */
    if (!p) {
      b->oom = 1;
      return NULL;
    }
    b->p = p;
    b->cap = cap;
  }
  unsigned char *at = b->p + b->len;
  b->len += n;
  return at;
}

void codec_buf_u8(codec_buf *b, unsigned v) {
  unsigned char *p = buf_grow(b, 1);
  if (p) *p = (unsigned char)v;
}

unsigned char *codec_buf_room(codec_buf *b, size_t n) { return buf_grow(b, n); }

void codec_buf_i64(codec_buf *b, int64_t v) {
  unsigned char *p = buf_grow(b, 8);
  if (p) put_i64(p, v);
}

void codec_buf_str(codec_buf *b, const char *s) {
  size_t n = strlen(s);
  if (n > 255) n = 255;
  unsigned char *p = buf_grow(b, 1 + n);
  if (!p) return;
  p[0] = (unsigned char)n;
  memcpy(p + 1, s, n);
}

static const unsigned char *rd(codec_reader *r, size_t n) {
  if (r->bad || r->len - r->pos < n) {
    r->bad = 1;
    return NULL;
  }
  const unsigned char *p = r->p + r->pos;
  r->pos += n;
  return p;
}

unsigned codec_rd_u8(codec_reader *r) {
  const unsigned char *p = rd(r, 1);
  return p ? *p : 0;
}

int64_t codec_rd_i64(codec_reader *r) {
  const unsigned char *p = rd(r, 8);
  return p ? get_i64(p) : 0;
}

void codec_rd_str(codec_reader *r, char out[CODEC_ID_MAX + 1]) {
  unsigned n = codec_rd_u8(r);
  const unsigned char *p = n <= CODEC_ID_MAX ? rd(r, n) : NULL;
  if (!p) {
    r->bad = 1;
    out[0] = 0;
    return;
  }
  memcpy(out, p, n);
  out[n] = 0;
}

void codec_buf_u32(codec_buf *b, uint32_t v) {
  unsigned char *p = buf_grow(b, 4);
  if (p) codec_put_u32(p, v);
}

void codec_buf_raw(codec_buf *b, const void *p, size_t n) {
  unsigned char *at = buf_grow(b, n);
  if (at && n) memcpy(at, p, n);
}

void codec_buf_blob(codec_buf *b, const void *p, size_t n) {
  if (n > UINT32_MAX) {
    b->oom = 1;
    return;
  }
  codec_buf_u32(b, (uint32_t)n);
  codec_buf_raw(b, p, n);
}

void codec_buf_align8(codec_buf *b) {
  static const unsigned char zero[8];
  if (b->len % 8) codec_buf_raw(b, zero, 8 - b->len % 8);
}

uint32_t codec_rd_u32(codec_reader *r) {
  const unsigned char *p = rd(r, 4);
  return p ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3] : 0;
}

const void *codec_rd_raw(codec_reader *r, size_t n) { return rd(r, n); }

const void *codec_rd_blob(codec_reader *r, size_t *len) {
  *len = codec_rd_u32(r);
  const void *p = rd(r, *len);
  if (!p) *len = 0;
  return p;
}

void codec_rd_align8(codec_reader *r) {
  if (r->pos % 8) rd(r, 8 - r->pos % 8);
}
