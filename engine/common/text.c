/*
 * text.c — input quoted as printable ASCII, messages made valid UTF-8 (text.h).
 */
#include "text.h"

#include <stdio.h>
#include <string.h>

const char *text_quote(char *out, const char *s, size_t len, size_t max) {
  static const char hex[] = "0123456789abcdef";
  size_t o = 0;
  for (size_t i = 0; i < len && i < max; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x20 && c <= 0x7e) {
      out[o++] = (char)c;
    } else {
      out[o++] = '\\';
      out[o++] = 'x';
      out[o++] = hex[c >> 4];
      out[o++] = hex[c & 15];
    }
  }
  out[o] = 0;
  return out;
}

size_t utf8_len(const unsigned char *s, size_t n) {
  unsigned c = s[0], cp, min;
  size_t k;
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) k = 2, cp = c & 0x1f, min = 0x80;
  else if (c >= 0xe0 && c <= 0xef) k = 3, cp = c & 0x0f, min = 0x800;
  else if (c >= 0xf0 && c <= 0xf4) k = 4, cp = c & 0x07, min = 0x10000;
  else return 0;
  if (n < k) return 0;
  for (size_t i = 1; i < k; i++) {
    if ((s[i] & 0xc0) != 0x80) return 0;
    cp = cp << 6 | (s[i] & 0x3f);
  }
  return cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ? 0 : k;
}

size_t text_clean(char *out, size_t cap, const char *s) {
  const unsigned char *p = (const unsigned char *)s;
  size_t n = strlen(s), o = 0;
  if (!cap) return 0;
  for (size_t i = 0; i < n;) {
    size_t k = utf8_len(p + i, n - i);
    /* C0 controls and DEL are one byte, C1 controls U+0080-U+009F two */
    int control = k == 1 ? p[i] < 0x20 || p[i] == 0x7f : k == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0;
    char piece[9];
    size_t m;
    if (!k) m = (size_t)snprintf(piece, sizeof piece, "\xef\xbf\xbd");
    else if (control && k == 1) m = (size_t)snprintf(piece, sizeof piece, "\\x%02x", p[i]);
    else if (control) m = (size_t)snprintf(piece, sizeof piece, "\\x%02x\\x%02x", p[i], p[i + 1]);
    else memcpy(piece, p + i, m = k);
    if (o + m >= cap) break;
    memcpy(out + o, piece, m);
    o += m;
    i += k ? k : 1;
  }
  out[o] = 0;
  return o;
}

void text_tame(char *s, size_t n, int keep_newline) {
  unsigned char *p = (unsigned char *)s;
  for (size_t i = 0; i < n;) {
    size_t k = utf8_len(p + i, n - i);
    int control = k == 1 ? (p[i] < 0x20 && !(keep_newline && p[i] == '\n')) || p[i] == 0x7f
                         : k == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0;
    if (!k) k = 1, control = 1;
    if (control) memset(p + i, '?', k);
    i += k;
  }
}
