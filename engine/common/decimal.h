/*
 * decimal.h — exact decimal text to and from integers, for a ledger's units
 * (docs/cli.md, "Units"): "150.25" USD with 6 decimals is 150250000 atoms,
 * "60000.5" USD per BTC with a lot of 0.001 BTC is 60000500 atoms per lot.
 *
 * No floating point anywhere: the text's digits are read into a fixed-width
 * unsigned integer (enough bits for DEC_TEXT_MAX digits times any scale), so
 * every value is either exact or refused, and a refusal can name the two
 * nearest values that are exact.  Depends on nothing; the library's input
 * and its formatting calls both use it.
 */
#ifndef SOCLOSS_DECIMAL_H
#define SOCLOSS_DECIMAL_H

#include <stddef.h>
#include <stdint.h>

#define DEC_TEXT_MAX 128   /* the longest decimal text read */
#define DEC_SCALE_MAX 18   /* the most decimals of an asset or a lot */
#define DEC_OUT_MAX 128    /* room for any text dec_format and dec_format_ratio write */

enum { DEC_OK = 0, DEC_SYNTAX = -1, DEC_RANGE = -2, DEC_INEXACT = -3, DEC_LONG = -4 };

/* The value of the decimal text s (len bytes: an optional '-', one or more
 * digits, optionally a '.' and one or more digits; nothing else, so no '+',
 * exponent, space or separator) times mul x 10^shift, as an int64.
 * mul is 1 to 10^18 and shift -36 to 18.  Returns
 *   DEC_OK       *out is the value;
 *   DEC_INEXACT  it is not a whole number: near[0] and near[1] are the
 *                whole numbers just below and just above it (both in range);
 *   DEC_RANGE    it is outside int64;
 *   DEC_SYNTAX   the text is not a decimal; DEC_LONG it is over DEC_TEXT_MAX.
 * An amount of an asset of d decimals is dec_scale(s, len, 1, d); a price
 * per unit of a market whose lot is l x 10^-k units is, in atoms per lot,
 * dec_scale(s, len, l, d - k). */
int dec_scale(const char *s, size_t len, uint64_t mul, int shift, int64_t *out, int64_t near[2]);

/* A positive decimal (no sign) as m x 10^-scale with m as small as it can
 * be (trailing zeros of the fraction dropped: "0.0010" is 1 x 10^-3).
 * DEC_RANGE when m would pass 10^18 or scale DEC_SCALE_MAX; DEC_SYNTAX when
 * it is not one, or zero. */
int dec_mantissa(const char *s, size_t len, uint64_t *m, int *scale);

/* v / 10^scale as text: '-' when negative, the integer part (with a ','
 * every three digits when group), then '.' and exactly `scale` digits when
 * scale > 0 ("1,234.500000").  Returns the length, or -1 when cap is short
 * (DEC_OUT_MAX always suffices). */
int dec_format(__int128 v, int scale, int group, char *out, size_t cap);

/* 1 when mul (>= 1) has no prime factor but 2 and 5, so that v / mul is a
 * finite decimal for every integer v. */
int dec_terminates(uint64_t mul);

/* The digits after the point dec_format_ratio writes for (mul, shift): the
 * fewest that show every v / (mul x 10^shift) exactly, 0 or more. */
int dec_ratio_scale(uint64_t mul, int shift);

/* v / (mul x 10^shift) as exact text with dec_ratio_scale(mul, shift)
 * digits after the point (the inverse of dec_scale: a price per unit from
 * atoms per lot).  mul must satisfy dec_terminates; -1 otherwise or when
 * cap is short. */
int dec_format_ratio(int64_t v, uint64_t mul, int shift, int group, char *out, size_t cap);

#endif
