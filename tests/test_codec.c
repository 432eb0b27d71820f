/* The byte encodings of store/codec: exact bytes, round trips, refusals. */
#include <stdint.h>
#include <string.h>

#include "blocks.h"
#include "codec.h"
#include "smaps.h"
#include "tap.h"

static int sign(int c) { return (c > 0) - (c < 0); }

/* memcmp over the common length, then the shorter first: what LMDB orders
 * keys by, and what bytes_order must give. */
static int reference_order(const unsigned char *a, size_t al, const unsigned char *b, size_t bl) {
  int c = memcmp(a, b, al < bl ? al : bl);
  return c ? sign(c) : (al > bl) - (al < bl);
}

/* bytes_order against the reference: worked cases at and around the
 * eight-byte words, unsigned bytes, prefixes; then 20,000 pseudo-random
 * pairs that share a prefix (as ids do) and differ at one byte. */
static void order_cases(void) {
  is(bytes_order("acct-0001", 9, "acct-0001", 9), 0, "equal ids");
  is(bytes_order("acct-0001", 9, "acct-0002", 9), -1, "the last byte decides (after a whole word)");
  is(bytes_order("b", 1, "acct-0002", 9), 1, "the first byte decides");
  is(bytes_order("acct-00", 7, "acct-0001", 9), -1, "a prefix comes first");
  is(bytes_order("acct-0001", 9, "acct-00", 7), 1, "and after its longer ids");
  is(bytes_order("abcdefgh", 8, "abcdefgi", 8), -1, "the eighth byte of a word");
  is(bytes_order("abcdefghX", 9, "abcdefgiA", 9), -1, "a word's difference before a later one");
  is(bytes_order("\xff", 1, "\x01", 1), 1, "bytes are unsigned");
  is(bytes_order("aaaaaaa\x80" "aaaaaaaa", 16, "aaaaaaa\x7f" "aaaaaaaa", 16), 1, "unsigned inside a word too");
  is(bytes_order("", 0, "", 0), 0, "two empty keys");
  uint64_t x = 88172645463325252ull;
  int agree = 1;
  for (int k = 0; k < 20000; k++) {
    unsigned char a[40], b[40];
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    size_t al = x % 40, bl = (x >> 8) % 40, at = (x >> 16) % 40;
    memset(a, 'q', sizeof a);
    memset(b, 'q', sizeof b);
    b[at] = (unsigned char)(x >> 24);
    if (sign(bytes_order(a, al, b, bl)) != reference_order(a, al, b, bl)) {
      agree = 0;
      diag("lengths %zu and %zu, byte %zu: 0x%02x", al, bl, at, b[at]);
      break;
    }
  }
  ok(agree, "20,000 pairs ordered as memcmp and then length order them");
}

/* A codec buffer grown past BLOCKS_BIG: a fresh block advised as huge pages
 * each time, every byte written before carried over, and u32s
 * big-endian through codec_buf_u32 and codec_put_u32. */
static void buf_big(void) {
  codec_buf cb = {0};
  size_t n = 3 * BLOCKS_BIG / 4 + 1;  /* 4 bytes each: past 3 MiB */
  for (size_t i = 0; i < n; i++) codec_buf_u32(&cb, (uint32_t)(i * 2654435761u));
  is((int64_t)cb.len, (int64_t)(4 * n), "%zu u32s: %zu bytes", n, 4 * n);
  ok(cb.cap >= BLOCKS_BIG && advised_huge(huge_inside(cb.p)) == 1, "its block (%zu bytes) advised as huge pages",
     cb.cap);
  int same = !cb.oom;
  for (size_t i = 0; same && i < n; i++) {
    unsigned char want[4];
    codec_put_u32(want, (uint32_t)(i * 2654435761u));
    same = !memcmp(cb.p + 4 * i, want, 4);
  }
  ok(same, "every one as written, across the growths");
  ok(cb.p[4] == 0x9e && cb.p[5] == 0x37 && cb.p[6] == 0x79 && cb.p[7] == 0xb1, "the second big-endian: 9e 37 79 b1");
  codec_buf_free(&cb);
}

int main(void) {
  unsigned char b[CODEC_POSITION_LEN];
  order_cases();
  buf_big();

  codec_put_u64(b, 0x0102030405060708ull);
  ok(b[0] == 1 && b[7] == 8, "u64 is big-endian");
  is(codec_get_u64(b), 0x0102030405060708ll, "u64 round trip");

  int64_t v;
  unsigned char i[CODEC_I64_LEN];
  codec_i64_encode(i, -1);
  ok(i[0] == CODEC_VERSION && i[1] == 0xff && i[8] == 0xff, "-1 is version + eight 0xff");
  ok(codec_i64_decode(i, sizeof i, &v) == 0 && v == -1, "-1 round trip");
  codec_i64_encode(i, INT64_MIN);
  ok(codec_i64_decode(i, sizeof i, &v) == 0 && v == INT64_MIN, "INT64_MIN round trip");
  codec_i64_encode(i, INT64_MAX);
  ok(codec_i64_decode(i, sizeof i, &v) == 0 && v == INT64_MAX, "INT64_MAX round trip");
  ok(codec_i64_decode(i, sizeof i - 1, &v) == -1, "a short value is refused");
  i[0] = CODEC_VERSION + 1;
  ok(codec_i64_decode(i, sizeof i, &v) == -1, "an unknown encoding version is refused");

  store_position p = {-7, -700}, q;
  codec_position_encode(b, &p);
  ok(codec_position_decode(b, sizeof b, &q) == 0 && q.size == -7 && q.cost == -700,
     "position round trip");
  store_market m = {60000000, 12345}, n;
  unsigned char mb[CODEC_MARKET_LEN];
  codec_market_encode(mb, &m);
  ok(codec_market_decode(mb, sizeof mb, &n) == 0 && n.mark == 60000000 && n.open_interest == 12345,
     "market round trip");

  unsigned char key[CODEC_POSKEY_MAX];
  char mk[CODEC_ID_MAX + 1], h[CODEC_ID_MAX + 1];
  size_t kl = codec_poskey_encode(key, "BTC", "alice");
  is(kl, 9, "position key is market NUL holder");
  ok(codec_poskey_decode(key, kl, mk, h) == 0 && !strcmp(mk, "BTC") && !strcmp(h, "alice"),
     "position key round trip");
  kl = codec_poskey_encode(key, "BTC", "");
  ok(codec_poskey_decode(key, kl, mk, h) == 0 && !strcmp(h, ""), "the fund is the empty holder");
  ok(codec_poskey_decode("BTC", 3, mk, h) == -1, "a key without NUL is refused");
  /* key order: market "A" sorts before "AB" because NUL < any id byte */
  unsigned char k1[CODEC_POSKEY_MAX], k2[CODEC_POSKEY_MAX];
  size_t l1 = codec_poskey_encode(k1, "A", "zz"), l2 = codec_poskey_encode(k2, "AB", "a");
  ok(memcmp(k1, k2, l1 < l2 ? l1 : l2) < 0, "(market, holder) order is bytewise key order");

  codec_buf buf = {0};
  codec_buf_u8(&buf, 7);
  codec_buf_str(&buf, "acct-1");
  codec_buf_i64(&buf, -42);
  is(buf.len, 1 + 1 + 6 + 8, "record buffer length");
  codec_reader r = {buf.p, buf.len, 0, 0};
  char s[CODEC_ID_MAX + 1];
  is(codec_rd_u8(&r), 7, "read u8");
  codec_rd_str(&r, s);
  is_str(s, "acct-1", "read string");
  is(codec_rd_i64(&r), -42, "read i64");
  ok(!r.bad && r.pos == r.len, "reader consumed everything");
  is(codec_rd_i64(&r), 0, "reading past the end yields 0");
  ok(r.bad, "and marks the reader bad");
  codec_buf_free(&buf);
  return done_testing();
}
