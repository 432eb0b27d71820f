/* engine/common/text.c: quoted input as printable ASCII, messages made valid
 * UTF-8 without control characters; and err_fail, which cleans every message. */
#include <string.h>

#include "err.h"
#include "tap.h"
#include "text.h"

static const char *clean(const char *s, size_t cap) {
  static char out[256];
  text_clean(out, cap, s);
  return out;
}

int main(void) {
  char q[TEXT_QUOTED(8)];
  is_str(text_quote(q, "ab c~", 5, 8), "ab c~", "printable ASCII is quoted as it is");
  is_str(text_quote(q, "a\x1b[2J\t\x7f", 7, 8), "a\\x1b[2J\\x09\\x7f", "control bytes as \\xNN");
  is_str(text_quote(q, "\xc3\xa9\xff", 3, 8), "\\xc3\\xa9\\xff", "bytes past ASCII, UTF-8 or not, as \\xNN");
  is_str(text_quote(q, "a\0b", 3, 8), "a\\x00b", "NUL as \\x00, the length given");
  is_str(text_quote(q, "\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01", 10, 8),
         "\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01", "cut at max bytes of input, in a buffer of TEXT_QUOTED(max)");

  is(utf8_len((const unsigned char *)"\xc3\xa9", 2), 2, "U+00E9 is 2 bytes");
  is(utf8_len((const unsigned char *)"\xf0\x9f\x98\x80", 4), 4, "U+1F600 is 4 bytes");
  is(utf8_len((const unsigned char *)"\xc0\xaf", 2), 0, "an overlong form is not UTF-8");
  is(utf8_len((const unsigned char *)"\xed\xa0\x80", 3), 0, "a surrogate is not UTF-8");
  is(utf8_len((const unsigned char *)"\xf4\x90\x80\x80", 4), 0, "past U+10FFFF is not UTF-8");
  is(utf8_len((const unsigned char *)"\xe2\x82", 2), 0, "a sequence cut short is not UTF-8");

  is_str(clean("d\xc3\xa9j\xc3\xa0 vu", 64), "d\xc3\xa9j\xc3\xa0 vu", "UTF-8 text stays");
  is_str(clean("a\xff\xfe" "b", 64), "a\xef\xbf\xbd\xef\xbf\xbd" "b", "each byte that is not UTF-8 is U+FFFD");
  is_str(clean("a\x1b[31mb\nc\x7f", 64), "a\\x1b[31mb\\x0ac\\x7f", "C0 controls and DEL as \\xNN");
  is_str(clean("a\xc2\x9b" "31m", 64), "a\\xc2\\x9b31m", "a C1 control (CSI) as its two bytes");
  is_str(clean(clean("x\x1b\xff", 64), 64), "x\\x1b\xef\xbf\xbd", "cleaning twice is cleaning once");
  is_str(clean("ab\xc3\xa9", 4), "ab", "cut between characters: no half of U+00E9");
  is_str(clean("ab\x1b", 5), "ab", "nor half of an escape");

  ok(err_fail(7, "x: %s", "a\x1b[2J\xff") == 7, "err_fail returns the code");
  is_str(ERRBUF, "x: a\\x1b[2J\xef\xbf\xbd", "err_fail cleans the message");
  err_prefix("f\x07:%d: ", 3);
  is_str(ERRBUF, "f\\x07:3: x: a\\x1b[2J\xef\xbf\xbd", "err_prefix cleans the prefix and keeps the rest");
  /* vsnprintf keeps 1023 bytes: the last is the first half of U+00E9 */
  char big[ERRMSG_MAX + 8];
  memset(big, 'a', sizeof big);
  memcpy(big + ERRMSG_MAX - 2, "\xc3\xa9\xc3\xa9", 4);
  big[ERRMSG_MAX + 4] = 0;
  err_fail(1, "%s", big);
  size_t n = strlen(ERRBUF), i = 0, k;
  while (i < n && (k = utf8_len((const unsigned char *)ERRBUF + i, n - i))) i += k;
  ok(i == n && n == ERRMSG_MAX - 2, "a message cut in a character by the buffer's end is cut before it");
  return done_testing();
}
