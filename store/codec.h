/*
 * codec.h — the byte encodings of the ledger's keys and values.
 *
 * Keys whose order matters are fixed-width big-endian integers (journal
 * sequence numbers) or ids joined by a NUL byte, which no id contains, so
 * that bytewise key order is (market, holder) order.  Every value starts
 * with an encoding version byte; integers are fixed-width big-endian two's
 * complement.  Nothing here is a struct dump: the bytes are the format.
 */
#ifndef SOCLOSS_CODEC_H
#define SOCLOSS_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "bytes.h"

#define CODEC_VERSION 1

typedef struct store_market {
  int64_t mark;
  int64_t open_interest;
} store_market;

typedef struct store_position {
  int64_t size;
  int64_t cost;
} store_position;

#define CODEC_I64_LEN 9        /* version + int64 */
#define CODEC_MARKET_LEN 17    /* version + mark + open interest */
#define CODEC_POSITION_LEN 17  /* version + size + cost */
#define CODEC_POSKEY_MAX (2 * CODEC_ID_MAX + 1)

void codec_i64_encode(unsigned char out[CODEC_I64_LEN], int64_t v);
int codec_i64_decode(const void *p, size_t len, int64_t *v);
void codec_market_encode(unsigned char out[CODEC_MARKET_LEN], const store_market *m);
int codec_market_decode(const void *p, size_t len, store_market *m);
void codec_position_encode(unsigned char out[CODEC_POSITION_LEN], const store_position *pos);
int codec_position_decode(const void *p, size_t len, store_position *pos);

/* Position key: market NUL holder (the fund is the holder ""). Returns its
 * length.  Decoding splits it back into two NUL-terminated ids. */
size_t codec_poskey_encode(unsigned char out[CODEC_POSKEY_MAX], const char *market,
                           const char *holder);
int codec_poskey_decode(const void *p, size_t len, char market[CODEC_ID_MAX + 1],
                        char holder[CODEC_ID_MAX + 1]);

#endif
