/*
 * decimal.c — exact decimal text to and from integers (decimal.h).
 *
 * A value is read as an unsigned integer of its digits D (the point
 * dropped, pd digits after it), so that "x.y" times mul x 10^shift is
 * exactly D x mul x 10^(shift - pd): a multiplication, or a division by a
 * power of ten whose remainder says whether the value is whole.  D holds
 * up to DEC_TEXT_MAX digits, so the integer is a fixed array of 32-bit
 * limbs wide enough for any such product; nothing is ever rounded.
 */
#include "decimal.h"

#include <string.h>

#define LIMBS 18  /* 576 bits: 10^128 (426 bits) x 10^18 x 10^18 fits */

typedef struct big {
  uint32_t w[LIMBS];  /* least significant first */
  int n;              /* limbs in use; w[n..] are zero */
  int over;           /* a product did not fit (cannot happen within the bounds above) */
} big;

static void big_set(big *b, uint64_t v) {
  memset(b, 0, sizeof *b);
  b->w[0] = (uint32_t)v;
  b->w[1] = (uint32_t)(v >> 32);
  b->n = b->w[1] ? 2 : b->w[0] ? 1 : 0;
}

/* b = b x m + a */
static void big_mul_add(big *b, uint32_t m, uint32_t a) {
  uint64_t carry = a;
  for (int i = 0; i < b->n; i++) {
    uint64_t t = (uint64_t)b->w[i] * m + carry;
    b->w[i] = (uint32_t)t;
    carry = t >> 32;
  }
  if (carry) {
    if (b->n == LIMBS) b->over = 1;
    else b->w[b->n++] = (uint32_t)carry;
  }
  while (b->n && !b->w[b->n - 1]) b->n--;
}

static void big_mul_u64(big *b, uint64_t m) {
  if (m >> 32 == 0) {
    big_mul_add(b, (uint32_t)m, 0);
    return;
  }
  /* b x m = b x lo + (b x hi) shifted one limb up */
  big hi = *b;
  big_mul_add(b, (uint32_t)m, 0);
  big_mul_add(&hi, (uint32_t)(m >> 32), 0);
  if (hi.n == LIMBS) b->over = 1;
  uint64_t carry = 0;
  for (int i = 0; i + 1 < LIMBS; i++) {
    uint64_t t = (uint64_t)b->w[i + 1] + (i < hi.n ? hi.w[i] : 0) + carry;
    b->w[i + 1] = (uint32_t)t;
    carry = t >> 32;
  }
  if (carry) b->over = 1;
  b->over |= hi.over;
  b->n = LIMBS;
  while (b->n && !b->w[b->n - 1]) b->n--;
}

/* b = b / d; returns the remainder */
static uint32_t big_div(big *b, uint32_t d) {
  uint64_t r = 0;
  for (int i = b->n - 1; i >= 0; i--) {
    uint64_t t = (r << 32) | b->w[i];
    b->w[i] = (uint32_t)(t / d);
    r = t % d;
  }
  while (b->n && !b->w[b->n - 1]) b->n--;
  return (uint32_t)r;
}

static void big_mul_pow10(big *b, int k) {
  for (; k >= 9; k -= 9) big_mul_add(b, 1000000000u, 0);
  static const uint32_t p[9] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};
  if (k > 0) big_mul_add(b, p[k], 0);
}

/* b = b / 10^k, floored; returns 1 when something was left over */
static int big_div_pow10(big *b, int k) {
  static const uint32_t p[9] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};
  int rest = 0;
  for (; k >= 9; k -= 9) rest |= big_div(b, 1000000000u) != 0;
  if (k > 0) rest |= big_div(b, p[k]) != 0;
  return rest;
}

/* The value when it fits 64 bits. */
static int big_u64(const big *b, uint64_t *v) {
  if (b->over || b->n > 2) return -1;
  *v = (uint64_t)b->w[0] | (b->n > 1 ? (uint64_t)b->w[1] << 32 : 0);
  return 0;
}

/* The syntax: [-]digits[.digits].  Sets where the digits are. */
static int split(const char *s, size_t len, int *neg, size_t *int_at, size_t *int_n, size_t *frac_at,
                 size_t *frac_n) {
  size_t i = 0;
  *neg = len > 0 && s[0] == '-';
  i = (size_t)*neg;
  *int_at = i;
  while (i < len && s[i] >= '0' && s[i] <= '9') i++;
  *int_n = i - *int_at;
  *frac_at = i;
  *frac_n = 0;
  if (*int_n == 0) return DEC_SYNTAX;
  if (i < len && s[i] == '.') {
    *frac_at = ++i;
    while (i < len && s[i] >= '0' && s[i] <= '9') i++;
    *frac_n = i - *frac_at;
    if (*frac_n == 0) return DEC_SYNTAX;  /* "1." */
  }
  return i == len ? DEC_OK : DEC_SYNTAX;
}

int dec_scale(const char *s, size_t len, uint64_t mul, int shift, int64_t *out, int64_t near[2]) {
  int neg;
  size_t ia, in, fa, fn;
  if (len > DEC_TEXT_MAX) return DEC_LONG;
  if (split(s, len, &neg, &ia, &in, &fa, &fn)) return DEC_SYNTAX;
  big d;
  big_set(&d, 0);
  for (size_t i = 0; i < in; i++) big_mul_add(&d, 10, (uint32_t)(s[ia + i] - '0'));
  for (size_t i = 0; i < fn; i++) big_mul_add(&d, 10, (uint32_t)(s[fa + i] - '0'));
  big_mul_u64(&d, mul);
  int e = shift - (int)fn, rest = 0;
  if (e >= 0) big_mul_pow10(&d, e);
  else rest = big_div_pow10(&d, -e);
  /* d is the magnitude floored; the value is d (+ a fraction when rest) */
  uint64_t q, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
  if (big_u64(&d, &q) || q > limit || (q == limit && rest)) return DEC_RANGE;
  int64_t v = neg ? (int64_t)(0 - q) : (int64_t)q;
  if (!rest) {
    *out = v;
    return DEC_OK;
  }
  /* between v and the next whole number away from zero */
  near[0] = neg ? v - 1 : v;
  near[1] = neg ? v : v + 1;
  return DEC_INEXACT;
}

int dec_mantissa(const char *s, size_t len, uint64_t *m, int *scale) {
  int neg;
  size_t ia, in, fa, fn;
  if (len > DEC_TEXT_MAX || split(s, len, &neg, &ia, &in, &fa, &fn) || neg) return DEC_SYNTAX;
  while (fn && s[fa + fn - 1] == '0') fn--;  /* 0.0010 is 0.001 */
  if (fn > DEC_SCALE_MAX) return DEC_RANGE;
  uint64_t v = 0;
  for (size_t i = 0; i < in + fn; i++) {
    char c = i < in ? s[ia + i] : s[fa + i - in];
    if (v > (1000000000000000000u - (uint64_t)(c - '0')) / 10) return DEC_RANGE;
    v = v * 10 + (uint64_t)(c - '0');
  }
  if (!v) return DEC_SYNTAX;
  *m = v;
  *scale = (int)fn;
  return DEC_OK;
}

/* The digits of b, most significant first, NUL-ended; at least one. */
static size_t big_digits(big *b, char *out, size_t cap) {
  char tmp[LIMBS * 10 + 1];
  size_t n = 0;
  do {
    uint32_t chunk = big_div(b, 1000000000u);
    for (int k = 0; k < 9; k++, chunk /= 10) tmp[n++] = (char)('0' + chunk % 10);
  } while (b->n);
  while (n > 1 && tmp[n - 1] == '0') n--;
  if (n + 1 > cap) return 0;
  for (size_t i = 0; i < n; i++) out[i] = tmp[n - 1 - i];
  out[n] = 0;
  return n;
}

/* digits (nd of them) / 10^scale as text, grouped when asked. */
static int layout(const char *digits, size_t nd, int neg, int scale, int group, char *out, size_t cap) {
  char pad[DEC_OUT_MAX * 2];
  /* at least one digit before the point: "0.05", not ".05" */
  size_t need = (size_t)scale + 1, lead = nd < need ? need - nd : 0;
  if (lead + nd >= sizeof pad) return -1;
  memset(pad, '0', lead);
  memcpy(pad + lead, digits, nd);
  nd += lead;
  size_t ni = nd - (size_t)scale, o = 0;
  size_t len = (size_t)neg + ni + (group ? (ni - 1) / 3 : 0) + (scale ? 1 + (size_t)scale : 0);
  if (len + 1 > cap) return -1;
  if (neg) out[o++] = '-';
  for (size_t i = 0; i < ni; i++) {
    if (group && i && (ni - i) % 3 == 0) out[o++] = ',';
    out[o++] = pad[i];
  }
  if (scale) {
    out[o++] = '.';
    memcpy(out + o, pad + ni, (size_t)scale);
    o += (size_t)scale;
  }
  out[o] = 0;
  return (int)o;
}

int dec_format(__int128 v, int scale, int group, char *out, size_t cap) {
  char digits[48];
  char tmp[48];
  size_t n = 0;
  unsigned __int128 u = v < 0 ? -(unsigned __int128)v : (unsigned __int128)v;
  do tmp[n++] = (char)('0' + (int)(u % 10)); while ((u /= 10) != 0);
  for (size_t i = 0; i < n; i++) digits[i] = tmp[n - 1 - i];
  /* "-0.000001" is negative though its integer part is 0 */
  return layout(digits, n, v < 0, scale < 0 ? 0 : scale, group, out, cap);
}

/* mul = 2^x 5^y, or -1 */
static int factor25(uint64_t mul, int *x, int *y) {
  *x = *y = 0;
  if (!mul) return -1;
  for (; mul % 2 == 0; mul /= 2) ++*x;
  for (; mul % 5 == 0; mul /= 5) ++*y;
  return mul == 1 ? 0 : -1;
}

int dec_terminates(uint64_t mul) {
  int x, y;
  return factor25(mul, &x, &y) == 0;
}

int dec_ratio_scale(uint64_t mul, int shift) {
  int x, y;
  if (factor25(mul, &x, &y)) return 0;
  int m = x > y ? x : y;
  return shift + m > 0 ? shift + m : 0;
}

int dec_format_ratio(int64_t v, uint64_t mul, int shift, int group, char *out, size_t cap) {
  int x, y;
  if (factor25(mul, &x, &y)) return -1;
  /* 1 / (2^x 5^y) = 2^(m-x) 5^(m-y) / 10^m */
  int m = x > y ? x : y, s = shift + m;
  big n;
  big_set(&n, v < 0 ? 0 - (uint64_t)v : (uint64_t)v);
  for (int k = 0; k < m - x; k++) big_mul_add(&n, 2, 0);
  for (int k = 0; k < m - y; k++) big_mul_add(&n, 5, 0);
  if (s < 0) {
    big_mul_pow10(&n, -s);
    s = 0;
  }
  char digits[LIMBS * 10 + 1];
  size_t nd = big_digits(&n, digits, sizeof digits);
  if (!nd || n.over) return -1;
  return layout(digits, nd, v < 0, s, group, out, cap);
}
