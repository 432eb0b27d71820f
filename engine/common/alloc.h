/*
 * alloc.h — exact integer allocation: the arithmetic that policies compose
 * (through the Lua helpers) and that a native rule calls directly.
 *
 * Every rule here is exact to the atom and deterministic: shares are floored,
 * then the atoms left over go one each to the largest remainders, and every
 * tie goes to the lower index (candidates come in account-id order, so the
 * lower index is the lower account id).
 */
#ifndef SOCLOSS_ALLOC_H
#define SOCLOSS_ALLOC_H

#include <stddef.h>
#include <stdint.h>

enum { ALLOC_OK = 0, ALLOC_EINVAL = -1, ALLOC_ENOMEM = -2, ALLOC_EOVERFLOW = -3 };

/* Where the rules below take their temporaries from (the remainders,
 * water-filling's work list, the merge buffer of a sort).  f has
 * lua_Alloc's contract, f(ud, NULL, 0, n) allocates and f(ud, p, n, 0)
 * frees, so that the evaluator can pass its Lua allocator and a policy's
 * memory budget counts them.  The functions without _in use malloc.
 * Temporaries: pro_rata 16 bytes an entry (none up to 8 entries); waterfill
 * 4 an entry and then, while it holds those, 16 an uncapped weighted entry
 * (none up to 8); order 4. */
typedef struct alloc_mem {
  void *(*f)(void *ud, void *p, size_t osize, size_t nsize);
  void *ud;
} alloc_mem;

/* Splits total (>= 0) in proportion to weights (each >= 0): out[i] =
 * floor(total * w[i] / W) plus one atom for the (total - sum of floors)
 * largest remainders.  All weights zero: all zero (nothing can be split).
 * Entries are numbered in 32 bits: n > UINT32_MAX is ALLOC_EINVAL, as for
 * waterfill. */
int alloc_pro_rata(const int64_t *w, size_t n, int64_t total, int64_t *out);
int alloc_pro_rata_in(const alloc_mem *mem, const int64_t *w, size_t n, int64_t total, int64_t *out);

/* Capped pro-rata (water-filling): like alloc_pro_rata but out[i] never
 * exceeds cap[i]; where a cap binds, the rest is shared among the others in
 * the same proportion.  When the caps of the weighted entries add up to less
 * than total, each pays its cap.  Entries with weight 0 or cap <= 0 get 0. */
int alloc_waterfill(const int64_t *w, const int64_t *cap, size_t n, int64_t total, int64_t *out);
int alloc_waterfill_in(const alloc_mem *mem, const int64_t *w, const int64_t *cap, size_t n, int64_t total,
                       int64_t *out);

/* The two rules above, the same results, with at most `rounds` rounds of
 * pivoting in each of their selections before they sort what is left (the
 * rules above allow 2 log2 n + 8): for the tests of that fallback. */
int alloc_pro_rata_rounds(const alloc_mem *mem, const int64_t *w, size_t n, int64_t total, unsigned rounds,
                          int64_t *out);
int alloc_waterfill_rounds(const alloc_mem *mem, const int64_t *w, const int64_t *cap, size_t n, int64_t total,
                           unsigned rounds, int64_t *out);

/* Indices 0..n-1 ordered by key, descending when desc, ties to the lower
 * index (a stable sort). */
int order_i64(const int64_t *key, size_t n, int desc, uint32_t *idx);
int order_f64(const double *key, size_t n, int desc, uint32_t *idx);
int order_i64_in(const alloc_mem *mem, const int64_t *key, size_t n, int desc, uint32_t *idx);
int order_f64_in(const alloc_mem *mem, const double *key, size_t n, int desc, uint32_t *idx);

/* The progressive weight of each x[k], like a tax: nt tiers (upto[t]
 * rising, the last INT64_MAX for an open-ended tier; rate[t] in basis
 * points 0..10000), out[k] = floor(sum over the tiers of the portion of
 * x[k] in the tier x its rate / 10000); 0 for x[k] <= 0.  The caller checks
 * the tiers (socloss.brackets does, docs/helpers.md). */
void alloc_brackets(const int64_t *x, size_t n, const int64_t *upto, const int64_t *rate, size_t nt, int64_t *out);

/* floor(a * b / c) in 128 bits; ALLOC_EINVAL when c == 0, ALLOC_EOVERFLOW
 * when the result does not fit int64. */
int muldiv_floor(int64_t a, int64_t b, int64_t c, int64_t *out);

#endif
