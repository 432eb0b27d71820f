/* engine/common/decimal.c: decimal text to atoms and back, exactly.  Every
 * expected value is worked out by hand in the comment beside it. */
#include <string.h>

#include "decimal.h"
#include "tap.h"

/* dec_scale on a NUL-ended text */
static int sc(const char *s, uint64_t mul, int shift, int64_t *v, int64_t near[2]) {
  return dec_scale(s, strlen(s), mul, shift, v, near);
}

/* the status and value of an exact case */
static void exact(const char *s, uint64_t mul, int shift, int64_t want, const char *name) {
  int64_t v = 0, near[2];
  int rc = sc(s, mul, shift, &v, near);
  ok(rc == DEC_OK && v == want, "%s: '%s' is %lld", name, s, (long long)want);
  if (rc != DEC_OK || v != want) diag("got status %d value %lld", rc, (long long)v);
}

/* an inexact case: the two nearest whole numbers */
static void inexact(const char *s, uint64_t mul, int shift, int64_t below, int64_t above, const char *name) {
  int64_t v, near[2] = {0, 0};
  int rc = sc(s, mul, shift, &v, near);
  ok(rc == DEC_INEXACT && near[0] == below && near[1] == above, "%s: '%s' lies between %lld and %lld", name, s,
     (long long)below, (long long)above);
  if (rc != DEC_INEXACT) diag("got status %d", rc);
}

static void status(const char *s, int want, const char *name) {
  int64_t v, near[2];
  is(sc(s, 1, 6, &v, near), want, "%s: '%s'", name, s);
}

static const char *fmt(__int128 v, int scale, int group) {
  static char out[DEC_OUT_MAX];
  return dec_format(v, scale, group, out, sizeof out) < 0 ? "(short)" : out;
}

static const char *ratio(int64_t v, uint64_t mul, int shift) {
  static char out[DEC_OUT_MAX];
  return dec_format_ratio(v, mul, shift, 0, out, sizeof out) < 0 ? "(refused)" : out;
}

int main(void) {
  /* ---- amounts: atoms = text x 10^decimals ---- */
  exact("150.25", 1, 6, 150250000, "6 decimals");           /* 150.25 x 10^6 */
  exact("150", 1, 6, 150000000, "a whole number of units"); /* 150 x 10^6 */
  exact("0", 1, 6, 0, "zero");
  exact("-0", 1, 6, 0, "minus zero is zero");
  exact("-0.000", 1, 6, 0, "minus zero with decimals");
  exact("-150.25", 1, 6, -150250000, "a negative amount");
  exact("007.50", 1, 6, 7500000, "leading zeros");                  /* 7.5 x 10^6 */
  exact("1.2300000000", 1, 6, 1230000, "trailing zeros past the scale"); /* 1.23 x 10^6 */
  exact("0.000001", 1, 6, 1, "one atom");
  inexact("1.2345678", 1, 6, 1234567, 1234568, "a seventh decimal");
  inexact("-1.2345678", 1, 6, -1234568, -1234567, "a seventh decimal, negative");
  inexact("-0.0000001", 1, 6, -1, 0, "less than an atom below zero");
  inexact("0.0000001", 1, 6, 0, 1, "less than an atom above zero");
  inexact("12.5", 1, 0, 12, 13, "no decimals at all");
  exact("12", 1, 0, 12, "0 decimals: whole units are atoms");
  exact("1.000000000000000001", 1, 18, 1000000000000000001, "18 decimals");   /* 10^18 + 1 */
  inexact("1.0000000000000000005", 1, 18, 1000000000000000000, 1000000000000000001, "a 19th decimal at 18");

  /* ---- syntax: only [-]digits[.digits] ---- */
  status("1.", DEC_SYNTAX, "a point with no digits after it");
  status(".5", DEC_SYNTAX, "a point with no digits before it");
  status("-.5", DEC_SYNTAX, "a sign then a point");
  status("1e3", DEC_SYNTAX, "an exponent");
  status("1E3", DEC_SYNTAX, "an exponent in capitals");
  status("+1", DEC_SYNTAX, "a plus sign");
  status(" 1", DEC_SYNTAX, "a leading space");
  status("1 ", DEC_SYNTAX, "a trailing space");
  status("1\t", DEC_SYNTAX, "a trailing tab");
  status("", DEC_SYNTAX, "nothing");
  status("-", DEC_SYNTAX, "a lone minus sign");
  status("--1", DEC_SYNTAX, "two minus signs");
  status("1,000", DEC_SYNTAX, "a thousands separator");
  status("1.2.3", DEC_SYNTAX, "two points");
  status("0x10", DEC_SYNTAX, "hexadecimal");
  status("nan", DEC_SYNTAX, "nan");
  status("\xef\xbc\x91", DEC_SYNTAX, "a full-width digit");
  {
    char z[DEC_TEXT_MAX + 2];
    memset(z, '0', sizeof z);
    z[DEC_TEXT_MAX - 1] = '1';
    z[DEC_TEXT_MAX] = 0;
    int64_t v = 0, near[2];
    ok(dec_scale(z, DEC_TEXT_MAX, 1, 6, &v, near) == DEC_OK && v == 1000000,
       "127 leading zeros then 1: 128 characters are read (1 x 10^6)");
    z[DEC_TEXT_MAX] = '0';
    is(dec_scale(z, DEC_TEXT_MAX + 1, 1, 6, &v, near), DEC_LONG, "129 characters are too long");
  }

  /* ---- int64 at every scale: the largest value is INT64_MAX atoms, the
   * smallest INT64_MIN; one atom more either way is out of range ---- */
  for (int s = 0; s <= DEC_SCALE_MAX; s++) {
    char max[DEC_OUT_MAX], over[DEC_OUT_MAX], min[DEC_OUT_MAX], under[DEC_OUT_MAX];
    dec_format(INT64_MAX, s, 0, max, sizeof max);
    dec_format((__int128)INT64_MAX + 1, s, 0, over, sizeof over);
    dec_format(INT64_MIN, s, 0, min, sizeof min);
    dec_format((__int128)INT64_MIN - 1, s, 0, under, sizeof under);
    int64_t v = 0, near[2];
    ok(sc(max, 1, s, &v, near) == DEC_OK && v == INT64_MAX, "scale %d: '%s' is INT64_MAX atoms", s, max);
    is(sc(over, 1, s, &v, near), DEC_RANGE, "scale %d: '%s' is out of range", s, over);
    ok(sc(min, 1, s, &v, near) == DEC_OK && v == INT64_MIN, "scale %d: '%s' is INT64_MIN atoms", s, min);
    is(sc(under, 1, s, &v, near), DEC_RANGE, "scale %d: '%s' is out of range", s, under);
  }
  is_str(fmt(INT64_MAX, 6, 0), "9223372036854.775807", "INT64_MAX at 6 decimals");
  is_str(fmt(INT64_MAX, 18, 0), "9.223372036854775807", "INT64_MAX at 18 decimals");
  /* between INT64_MAX and INT64_MAX + 1 atom: past the range, not inexact */
  status("9223372036854.7758075", DEC_RANGE, "half an atom past INT64_MAX");
  inexact("9223372036854.7758065", 1, 6, INT64_MAX - 1, INT64_MAX, "half an atom below INT64_MAX");
  inexact("-9223372036854.7758075", 1, 6, INT64_MIN, INT64_MIN + 1, "half an atom above INT64_MIN");
  status("-9223372036854.7758085", DEC_RANGE, "half an atom past INT64_MIN");
  status("99999999999999999999999999999999999999999999999999", DEC_RANGE, "50 digits");
  {
    /* a long fraction of zeros ends in a digit: exact or not by that digit alone */
    char s[DEC_TEXT_MAX + 1] = "1.";
    memset(s + 2, '0', DEC_TEXT_MAX - 3);
    s[DEC_TEXT_MAX - 1] = '5';
    s[DEC_TEXT_MAX] = 0;
    inexact(s, 1, 6, 1000000, 1000001, "1.000...0005 at 128 characters");
  }

  /* ---- prices: atoms per lot = text x lot x 10^decimals ---- */
  /* USD 6 decimals, lot 0.001 BTC (1 x 10^-3): mul 1, shift 6 - 3 = 3 */
  exact("60000.5", 1, 3, 60000500, "a price per BTC, lot 0.001 BTC");  /* 60000.5 x 0.001 x 10^6 */
  inexact("60000.0005", 1, 3, 60000000, 60000001, "a price finer than an atom per lot");
  is_str(ratio(60000000, 1, 3), "60000.000", "60,000,000 atoms per 0.001 BTC is 60000.000 USD per BTC");
  is_str(ratio(60000001, 1, 3), "60000.001", "and one atom more is 60000.001");
  /* cents (2 decimals), lot 2.5 (25 x 10^-1): shift 2 - 1 = 1;
   * 10.01 x 2.5 = 25.025 USD per lot = 2502.5 cents */
  inexact("10.01", 25, 1, 2502, 2503, "a price of 10.01 per unit, lot 2.5, in cents");
  /* 2502 cents per lot / 2.5 = 1000.8 cents = 10.008; 2503 / 2.5 = 10.012 */
  is_str(ratio(2502, 25, 1), "10.008", "2502 cents per lot of 2.5 is 10.008 per unit");
  is_str(ratio(2503, 25, 1), "10.012", "2503 cents per lot of 2.5 is 10.012 per unit");
  is(dec_ratio_scale(25, 1), 3, "lot 2.5 in cents: prices step by 0.004, 3 decimals");
  /* 6 decimals, lot 10^-8 BTC: shift 6 - 8 = -2; one atom per lot is 100 USD per BTC */
  exact("60000", 1, -2, 600, "a lot smaller than an atom's worth: 60000 x 10^-8 x 10^6");
  inexact("60000.01", 1, -2, 600, 601, "a price between two of its 100 USD steps");
  is_str(ratio(601, 1, -2), "60100", "601 atoms per 10^-8 BTC is 60100 USD per BTC");
  is(dec_ratio_scale(1, -2), 0, "no decimals when a step is 100");
  /* a multiplier past 32 bits: 5^20 = 95367431640625; 3 x 5^20 = 286102294921875 */
  exact("3", 95367431640625u, 0, 286102294921875, "a lot of 5^20 units");
  exact("1", 1000000000000000000u, 0, 1000000000000000000, "a lot of 10^18 units");
  status("10", DEC_OK, "10 at 6 decimals");
  {
    int64_t v, near[2];
    is(sc("10", 1000000000000000000u, 0, &v, near), DEC_RANGE, "10 lots of 10^18 units pass int64");
  }
  exact("-2.5", 2, 0, -5, "a negative value times 2");

  /* ---- lots: m x 10^-scale ---- */
  {
    uint64_t m = 0;
    int k = -1;
    ok(dec_mantissa("0.001", 5, &m, &k) == DEC_OK && m == 1 && k == 3, "lot 0.001 is 1 x 10^-3");
    ok(dec_mantissa("0.0010", 6, &m, &k) == DEC_OK && m == 1 && k == 3, "lot 0.0010 is 1 x 10^-3 too");
    ok(dec_mantissa("2.5", 3, &m, &k) == DEC_OK && m == 25 && k == 1, "lot 2.5 is 25 x 10^-1");
    ok(dec_mantissa("100", 3, &m, &k) == DEC_OK && m == 100 && k == 0, "lot 100 is 100 x 10^0");
    ok(dec_mantissa("1000000000000000000", 19, &m, &k) == DEC_OK && m == 1000000000000000000u,
       "lot 10^18 is the largest");
    is(dec_mantissa("1000000000000000001", 19, &m, &k), DEC_RANGE, "lot 10^18 + 1 is too large");
    is(dec_mantissa("0.0000000000000000001", 21, &m, &k), DEC_RANGE, "19 decimals are too many");
    ok(dec_mantissa("0.000000000000000001", 20, &m, &k) == DEC_OK && m == 1 && k == 18, "18 decimals are not");
    is(dec_mantissa("0", 1, &m, &k), DEC_SYNTAX, "lot 0 is none");
    is(dec_mantissa("-1", 2, &m, &k), DEC_SYNTAX, "a negative lot");
    is(dec_mantissa("1.", 2, &m, &k), DEC_SYNTAX, "lot '1.'");
  }

  /* ---- text out ---- */
  is_str(fmt(150250000, 6, 1), "150.250000", "150.25 USD at 6 decimals");
  is_str(fmt(834207590669, 6, 1), "834,207.590669", "thousands grouped");
  is_str(fmt(834207590669, 6, 0), "834207.590669", "or not");
  is_str(fmt(-1, 6, 1), "-0.000001", "minus one atom");
  is_str(fmt(-1234567, 2, 1), "-12,345.67", "negative and grouped");
  is_str(fmt(0, 0, 1), "0", "zero with no decimals");
  is_str(fmt(1000, 0, 1), "1,000", "no point when there are no decimals");
  is_str(fmt(100, 0, 1), "100", "three digits need no separator");
  is_str(fmt(INT64_MIN, 0, 1), "-9,223,372,036,854,775,808", "INT64_MIN grouped");
  is_str(fmt((__int128)INT64_MAX * 4, 6, 1), "36,893,488,147,419.103228", "past int64 (a sum): 4 x INT64_MAX");
  {
    char small[7];
    is(dec_format(123456, 2, 0, small, sizeof small), -1, "'1234.56' and its NUL do not fit 7 bytes");
    is(dec_format(12345, 2, 0, small, sizeof small), 6, "'123.45' and its NUL do: its length");
  }
  ok(dec_terminates(1) && dec_terminates(2) && dec_terminates(25) && dec_terminates(1024) &&
     dec_terminates(1000000000000000000u), "1, 2, 25, 1024 and 10^18 divide a power of ten");
  ok(!dec_terminates(3) && !dec_terminates(6) && !dec_terminates(7), "3, 6 and 7 do not");
  is_str(ratio(1, 3, 0), "(refused)", "a ratio by 3 is refused (1/3 has no end)");
  is_str(ratio(1, 2, 0), "0.5", "1 atom per lot of 2 units is 0.5 per unit");
  is(dec_ratio_scale(2, 0), 1, "half steps need one decimal");
  is_str(ratio(-7, 1, 6), "-0.000007", "a negative price (a bankruptcy price may be)");
  return done_testing();
}
