/*
 * bytes.h — big-endian integers, a growable byte buffer and a bounded
 * reader: the bricks of the journal records and of the evaluator's wire
 * protocol.  Compiled into both processes; depends on nothing.
 */
#ifndef SOCLOSS_BYTES_H
#define SOCLOSS_BYTES_H

#include <stddef.h>
#include <stdint.h>

#define CODEC_ID_MAX 64  /* the longest id, in bytes */

/* memcmp's order of a and b (of alen and blen bytes), the shorter first
 * when one is the other's start: LMDB's order of keys.  Inline, eight
 * bytes at a time: ids are compared millions of times in a crash (each
 * haircut's account found in the event's and the simulation's lists), and
 * a call to memcmp for 12 bytes cost more than the comparison. */
static inline int bytes_order(const void *a, size_t alen, const void *b, size_t blen) {
  const unsigned char *x = a, *y = b;
  size_t n = alen < blen ? alen : blen, i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t u, v;
    __builtin_memcpy(&u, x + i, 8);
    __builtin_memcpy(&v, y + i, 8);
    if (u != v) return __builtin_bswap64(u) < __builtin_bswap64(v) ? -1 : 1;
  }
  for (; i < n; i++)
    if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
  return (alen > blen) - (alen < blen);
}

/* Big-endian: inline, as every key and value of a position is made of
 * them (a crash writes tens of millions). */
static inline void codec_put_u64(unsigned char *p, uint64_t v) {
  v = __builtin_bswap64(v);
  __builtin_memcpy(p, &v, 8);
}

static inline void codec_put_u32(unsigned char *p, uint32_t v) {
  v = __builtin_bswap32(v);
  __builtin_memcpy(p, &v, 4);
}

static inline uint64_t codec_get_u64(const unsigned char *p) {
  uint64_t v;
  __builtin_memcpy(&v, p, 8);
  return __builtin_bswap64(v);
}

/* A growable byte buffer for variable records (the journal). */
typedef struct codec_buf {
  unsigned char *p;
  size_t len, cap;
  int oom;               /* set once an allocation failed; later puts no-op */
} codec_buf;

void codec_buf_free(codec_buf *b);
void codec_buf_u8(codec_buf *b, unsigned v);
void codec_buf_i64(codec_buf *b, int64_t v);
void codec_buf_str(codec_buf *b, const char *s);  /* u8 length + bytes, <= 255 */
void codec_buf_u32(codec_buf *b, uint32_t v);
void codec_buf_blob(codec_buf *b, const void *p, size_t n);  /* u32 length + bytes */
void codec_buf_raw(codec_buf *b, const void *p, size_t n);   /* bytes as they are */
void codec_buf_align8(codec_buf *b);  /* zero bytes up to a multiple of 8 */
/* n more bytes at the end, for the caller to write: where they begin, or
 * NULL (out of memory: oom set; or n == 0).  One growth for many fields. */
unsigned char *codec_buf_room(codec_buf *b, size_t n);

/* A bounds-checked reader: once a read runs past the end, `bad` is set and
 * every further read yields zero / "". */
typedef struct codec_reader {
  const unsigned char *p;
  size_t len, pos;
  int bad;
} codec_reader;

unsigned codec_rd_u8(codec_reader *r);
int64_t codec_rd_i64(codec_reader *r);
void codec_rd_str(codec_reader *r, char out[CODEC_ID_MAX + 1]);
uint32_t codec_rd_u32(codec_reader *r);
/* Pointers into the reader's bytes (NULL, and bad set, when short). */
const void *codec_rd_blob(codec_reader *r, size_t *len);
const void *codec_rd_raw(codec_reader *r, size_t n);
void codec_rd_align8(codec_reader *r);

#endif
