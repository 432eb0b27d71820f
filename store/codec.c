#include "codec.h"

#include <stdlib.h>
#include <string.h>

/* Two's complement through uint64: defined behaviour for every int64. */
static void put_i64(unsigned char *p, int64_t v) { codec_put_u64(p, (uint64_t)v); }

static int64_t get_i64(const unsigned char *p) {
  uint64_t u = codec_get_u64(p);
  return u <= (uint64_t)INT64_MAX ? (int64_t)u : -(int64_t)(~u) - 1;
}

static int versioned(const void *p, size_t len, size_t want) {
  return len == want && ((const unsigned char *)p)[0] == CODEC_VERSION;
}

void codec_i64_encode(unsigned char out[CODEC_I64_LEN], int64_t v) {
  out[0] = CODEC_VERSION;
  put_i64(out + 1, v);
}

int codec_i64_decode(const void *p, size_t len, int64_t *v) {
  if (!versioned(p, len, CODEC_I64_LEN)) return -1;
  *v = get_i64((const unsigned char *)p + 1);
  return 0;
}

void codec_market_encode(unsigned char out[CODEC_MARKET_LEN], const store_market *m) {
  out[0] = CODEC_VERSION;
  put_i64(out + 1, m->mark);
  put_i64(out + 9, m->open_interest);
}

int codec_market_decode(const void *p, size_t len, store_market *m) {
  if (!versioned(p, len, CODEC_MARKET_LEN)) return -1;
  m->mark = get_i64((const unsigned char *)p + 1);
  m->open_interest = get_i64((const unsigned char *)p + 9);
  return 0;
}

void codec_position_encode(unsigned char out[CODEC_POSITION_LEN], const store_position *pos) {
  out[0] = CODEC_VERSION;
  put_i64(out + 1, pos->size);
  put_i64(out + 9, pos->cost);
}

int codec_position_decode(const void *p, size_t len, store_position *pos) {
  if (!versioned(p, len, CODEC_POSITION_LEN)) return -1;
  pos->size = get_i64((const unsigned char *)p + 1);
  pos->cost = get_i64((const unsigned char *)p + 9);
  return 0;
}

size_t codec_poskey_encode(unsigned char out[CODEC_POSKEY_MAX], const char *market,
                           const char *holder) {
  size_t m = strlen(market), h = strlen(holder);
  memcpy(out, market, m);
  out[m] = 0;
  memcpy(out + m + 1, holder, h);
  return m + 1 + h;
}

int codec_poskey_decode(const void *p, size_t len, char market[CODEC_ID_MAX + 1],
                        char holder[CODEC_ID_MAX + 1]) {
  const unsigned char *k = p, *nul = memchr(k, 0, len);
  if (!nul) return -1;
  size_t m = (size_t)(nul - k), h = len - m - 1;
  if (m == 0 || m > CODEC_ID_MAX || h > CODEC_ID_MAX) return -1;
  memcpy(market, k, m);
  market[m] = 0;
  memcpy(holder, nul + 1, h);
  holder[h] = 0;
  return 0;
}

