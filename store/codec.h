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

#define CODEC_VERSION 1
#define CODEC_ID_MAX 64

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

void codec_put_u64(unsigned char *p, uint64_t v);
uint64_t codec_get_u64(const unsigned char *p);

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
