/* engine/common/alloc.c: the exact allocation rules.  Worked examples
 * computed by hand, then the rules against a reference on many random
 * inputs: the reference is the implementation they replaced (two full merge
 * sorts: by cap / weight, then by remainder), kept here verbatim but for one
 * comparison that overflowed (see ref_waterfill), so that the selections
 * that replaced the sorts are held to give the same atoms to the same
 * entries, not just a valid split. */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "tap.h"

#define MAX INT64_MAX

/* ---- the reference ------------------------------------------------------ */

typedef int (*before_fn)(const void *key, uint32_t a, uint32_t b, int desc);

static void ref_merge_sort(uint32_t *a, size_t n, uint32_t *tmp, before_fn before, const void *key, int desc) {
  uint32_t *src = a, *dst = tmp;
  for (size_t width = 1; width < n; width *= 2) {
    for (size_t lo = 0; lo < n; lo += 2 * width) {
      size_t mid = lo + width < n ? lo + width : n, hi = lo + 2 * width < n ? lo + 2 * width : n;
      size_t i = lo, j = mid, k = lo;
      while (i < mid && j < hi) dst[k++] = before(key, src[j], src[i], desc) ? src[j++] : src[i++];
      while (i < mid) dst[k++] = src[i++];
      while (j < hi) dst[k++] = src[j++];
    }
    uint32_t *t = src;
    src = dst;
    dst = t;
  }
  if (src != a)
    for (size_t i = 0; i < n; i++) a[i] = src[i];
}

typedef struct rems {
  const __int128 *r;
  const uint32_t *at;
} rems;

static int before_rem(const void *key, uint32_t a, uint32_t b, int desc) {
  const rems *x = key;
  (void)desc;
  if (x->r[a] != x->r[b]) return x->r[a] > x->r[b];
  return x->at[a] < x->at[b];
}

static void ref_share(const int64_t *w, const uint32_t *which, size_t m, int64_t total, int64_t *out) {
  __int128 W = 0;
  for (size_t k = 0; k < m; k++) W += w[which ? which[k] : k];
  if (W == 0 || total == 0) {
    for (size_t k = 0; k < m; k++) out[which ? which[k] : k] = 0;
    return;
  }
  __int128 *r = malloc((m ? m : 1) * sizeof *r);
  uint32_t *at = malloc((m ? m : 1) * 3 * sizeof *at), *ord = at + m, *tmp = ord + m;
  __int128 given = 0;
  size_t nr = 0;
  for (size_t k = 0; k < m; k++) {
    size_t i = which ? which[k] : k;
    __int128 p = (__int128)total * w[i];
    out[i] = (int64_t)(p / W);
    given += out[i];
    if (p % W) {
      r[nr] = p % W;
      at[nr] = (uint32_t)i;
      ord[nr] = (uint32_t)nr;
      nr++;
    }
  }
  __int128 left = total - given;
  if (left > 0) {
    rems x = {r, at};
    ref_merge_sort(ord, nr, tmp, before_rem, &x, 0);
    for (size_t k = 0; k < (size_t)left && k < nr; k++) out[at[ord[k]]]++;
  }
  free(r);
  free(at);
}

static int ref_pro_rata(const int64_t *w, size_t n, int64_t total, int64_t *out) {
  if (total < 0) return ALLOC_EINVAL;
  for (size_t i = 0; i < n; i++)
    if (w[i] < 0) return ALLOC_EINVAL;
  ref_share(w, NULL, n, total, out);
  return ALLOC_OK;
}

typedef struct wc {
  const int64_t *w, *cap;
} wc;

static int before_ratio(const void *key, uint32_t i, uint32_t j, int desc) {
  const wc *c = key;
  (void)desc;
  return (__int128)c->cap[i] * c->w[j] < (__int128)c->cap[j] * c->w[i];
}

/* x * y (x < 2^127, y < 2^64) as three 64-bit limbs, the most significant
 * first, compared as such: the reference's one change.  It tested
 * (__int128)cap[i] * W > rest * w[i], and cap[i] * W overflows 128 bits once
 * W (the sum of the weights) passes 2^64 with caps near INT64_MAX (three
 * weights and caps of INT64_MAX: 3 * 2^126), where it took a cap that does
 * not bind for one that does (the last worked example below). */
static void mul3(unsigned __int128 x, uint64_t y, uint64_t l[3]) {
  unsigned __int128 lo = (unsigned __int128)(uint64_t)x * y, hi = (unsigned __int128)(uint64_t)(x >> 64) * y;
  hi += lo >> 64;
  l[2] = (uint64_t)lo;
  l[1] = (uint64_t)hi;
  l[0] = (uint64_t)(hi >> 64);
}

static int product_gt(unsigned __int128 a, uint64_t b, unsigned __int128 c, uint64_t d) {
  uint64_t x[3], y[3];
  mul3(a, b, x);
  mul3(c, d, y);
  for (int k = 0; k < 3; k++)
    if (x[k] != y[k]) return x[k] > y[k];
  return 0;
}

static int ref_waterfill(const int64_t *w, const int64_t *cap, size_t n, int64_t total, int64_t *out) {
  if (total < 0) return ALLOC_EINVAL;
  for (size_t i = 0; i < n; i++)
    if (w[i] < 0) return ALLOC_EINVAL;
  uint32_t *live = malloc((n ? n : 1) * 2 * sizeof *live);
  size_t m = 0;
  __int128 W = 0;
  for (size_t i = 0; i < n; i++) {
    out[i] = 0;
    if (w[i] > 0 && cap[i] > 0) {
      live[m++] = (uint32_t)i;
      W += w[i];
    }
  }
  wc c = {w, cap};
  ref_merge_sort(live, m, live + (n ? n : 1), before_ratio, &c, 0);
  __int128 rest = total;
  size_t k = 0;
  for (; k < m; k++) {
    uint32_t i = live[k];
    /* was: if ((__int128)cap[i] * W > rest * w[i]) break; (rest >= 0 here) */
    if (product_gt((unsigned __int128)W, (uint64_t)cap[i], (unsigned __int128)rest, (uint64_t)w[i])) break;
    out[i] = cap[i];
    rest -= cap[i];
    W -= w[i];
  }
  if (k < m) ref_share(w, live + k, m - k, (int64_t)rest, out);
  free(live);
  return ALLOC_OK;
}

/* ---- helpers ------------------------------------------------------------ */

static int same(const int64_t *a, const int64_t *b, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (a[i] != b[i]) return 0;
  return 1;
}

static int64_t sum(const int64_t *a, size_t n) {
  int64_t s = 0;
  for (size_t i = 0; i < n; i++) s += a[i];
  return s;
}

/* splitmix64: the random inputs, the same on every run */
static uint64_t rng = 20261130;

static uint64_t next(void) {
  uint64_t z = (rng += 0x9E3779B97F4A7C15u);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
  return z ^ (z >> 31);
}

static int64_t below(uint64_t n) { return n ? (int64_t)(next() % n) : 0; }

/* A value of one of the shapes that matter: zero, tiny (ties), small,
 * anything, near INT64_MAX; `signed` draws negatives too (caps). */
static int64_t value(int shape, int signed_) {
  int64_t v;
  switch (shape) {
  case 0: v = below(3); break;
  case 1: v = below(10); break;
  case 2: v = below(1000); break;
  case 3: v = (int64_t)(next() >> 1); break;
  default: v = MAX - below(1000); break;
  }
  if (signed_ && below(8) == 0) v = v ? -v : -1 - below(5);
  return v;
}

/* A counting allocator with lua_Alloc's contract, refusing past a limit. */
typedef struct budget {
  size_t used, peak, limit;
} budget;

static void *counted(void *ud, void *p, size_t osize, size_t nsize) {
  budget *b = ud;
  if (nsize == 0) {
    free(p);
    b->used -= osize;
    return NULL;
  }
  if (b->used - (p ? osize : 0) + nsize > b->limit) return NULL;
  void *q = realloc(p, nsize);
  if (!q) return NULL;
  b->used = b->used - (p ? osize : 0) + nsize;
  if (b->used > b->peak) b->peak = b->used;
  return q;
}

/* ---- worked examples ---------------------------------------------------- */

static void worked_examples(void) {
  int64_t o[4];

  /* W = 3; 10 * 1 / 3 = 3 rem 1 for each: floors 9, one atom left, the
   * three remainders tie: to the lowest index */
  int64_t w1[] = {1, 1, 1};
  is(alloc_pro_rata(w1, 3, 10, o), ALLOC_OK, "pro_rata {1,1,1} of 10");
  ok(o[0] == 4 && o[1] == 3 && o[2] == 3, "  = {4,3,3}: the tied remainders' atom to index 0");

  /* W = 10: 7*3 = 21 -> 2 rem 1; 7*2 = 14 -> 1 rem 4; 7*5 = 35 -> 3 rem 5;
   * 0 -> 0.  Floors 6, one atom left: the largest remainder, 5, index 2 */
  int64_t w2[] = {3, 2, 5, 0};
  is(alloc_pro_rata(w2, 4, 7, o), ALLOC_OK, "pro_rata {3,2,5,0} of 7");
  ok(o[0] == 2 && o[1] == 1 && o[2] == 4 && o[3] == 0, "  = {2,1,4,0}: the atom to the largest remainder");

  /* W = 6: 5*2 = 10 -> 1 rem 4; 5*1 = 5 -> 0 rem 5 (twice); 10 -> 1 rem 4.
   * Floors 2, three atoms left: remainders in order 5 (1), 5 (2), 4 (0),
   * 4 (3): indices 1, 2, 0 get one */
  int64_t w3[] = {2, 1, 1, 2};
  is(alloc_pro_rata(w3, 4, 5, o), ALLOC_OK, "pro_rata {2,1,1,2} of 5");
  ok(o[0] == 2 && o[1] == 1 && o[2] == 1 && o[3] == 1, "  = {2,1,1,1}: ties on 4 go to the lower index");

  /* all weights zero: nothing can be split */
  int64_t w4[] = {0, 0};
  is(alloc_pro_rata(w4, 2, 9, o), ALLOC_OK, "pro_rata {0,0} of 9");
  ok(o[0] == 0 && o[1] == 0, "  = {0,0}");

  /* caps / weights 1/10, 10, 10: the level 30 * 10 / 30 = 10 reaches cap 1,
   * so entry 0 pays 1; 29 left over W = 20: 29 * 10 / 20 = 14 rem 10 for
   * both, below their caps of 100; one atom left, tie: to index 1 */
  int64_t w5[] = {10, 10, 10}, c5[] = {1, 100, 100};
  is(alloc_waterfill(w5, c5, 3, 30, o), ALLOC_OK, "waterfill w {10,10,10} caps {1,100,100} of 30");
  ok(o[0] == 1 && o[1] == 15 && o[2] == 14, "  = {1,15,14}");

  /* caps adding up to 15 < 100: each pays its cap, 85 charged to nobody */
  int64_t w6[] = {1, 2, 3}, c6[] = {5, 5, 5};
  is(alloc_waterfill(w6, c6, 3, 100, o), ALLOC_OK, "waterfill caps {5,5,5} of 100");
  ok(o[0] == 5 && o[1] == 5 && o[2] == 5, "  = {5,5,5}");

  /* weight 0, cap 0, cap -3 get nothing; entry 3 alone: 5 * 4 / 4 = 5 < 7 */
  int64_t w7[] = {0, 4, 4, 4}, c7[] = {9, 0, -3, 7};
  is(alloc_waterfill(w7, c7, 4, 5, o), ALLOC_OK, "waterfill zero weight, zero and negative caps");
  ok(o[0] == 0 && o[1] == 0 && o[2] == 0 && o[3] == 5, "  = {0,0,0,5}");

  /* ratios 2, 2, 2, 100: level 20 / 4 = 5 >= 2, then 18 / 3 = 6, 16 / 2 = 8:
   * the three level caps bind together; 14 left to entry 3 (cap 100) */
  int64_t w8[] = {1, 1, 1, 1}, c8[] = {2, 2, 2, 100};
  is(alloc_waterfill(w8, c8, 4, 20, o), ALLOC_OK, "waterfill a tie of binding caps");
  ok(o[0] == 2 && o[1] == 2 && o[2] == 2 && o[3] == 14, "  = {2,2,2,14}");

  /* ratios 2/3 and 5: level 4 * 3 / 4 = 3 >= 2, entry 0 pays 2; 2 left to
   * entry 1 (2 * 1 / 1 = 2 < 5) */
  int64_t w9[] = {3, 1}, c9[] = {2, 5};
  is(alloc_waterfill(w9, c9, 2, 4, o), ALLOC_OK, "waterfill w {3,1} caps {2,5} of 4");
  ok(o[0] == 2 && o[1] == 2, "  = {2,2}");

  /* Near the limits: three weights and caps of MAX = 2^63 - 1, total MAX.
   * The level MAX / 3 is below every cap: none binds.  MAX = 3 *
   * 3074457345618258602 + 1 (2^63 = (-1)^63 = -1 mod 3, so MAX = 1 mod 3):
   * MAX * MAX / (3 MAX) = 3074457345618258602 rem MAX each, the floors add
   * up to MAX - 1, the one atom left to index 0.  (The replaced code
   * formed cap * W = 3 * MAX^2 > 2^127 here.) */
  int64_t w10[] = {MAX, MAX, MAX}, c10[] = {MAX, MAX, MAX};
  is(alloc_waterfill(w10, c10, 3, MAX, o), ALLOC_OK, "waterfill three of INT64_MAX");
  ok(o[0] == 3074457345618258603 && o[1] == 3074457345618258602 && o[2] == 3074457345618258602,
     "  = {3074457345618258603, 3074457345618258602 x2}");

  int64_t wneg[] = {1, -1}, cneg[] = {1, 1};
  is(alloc_pro_rata(wneg, 2, 5, o), ALLOC_EINVAL, "pro_rata: a negative weight is refused");
  is(alloc_pro_rata(w1, 3, -1, o), ALLOC_EINVAL, "pro_rata: a negative total is refused");
  is(alloc_waterfill(wneg, cneg, 2, 5, o), ALLOC_EINVAL, "waterfill: a negative weight is refused");
  is(alloc_waterfill(w5, c5, 3, -1, o), ALLOC_EINVAL, "waterfill: a negative total is refused");
  is(alloc_pro_rata(w1, 0, 10, o), ALLOC_OK, "pro_rata of no entries");
  is(alloc_waterfill(w1, c5, 0, 10, o), ALLOC_OK, "waterfill of no entries");
}

/* ---- temporaries -------------------------------------------------------- */

static void temporaries(void) {
  enum { N = 1000 };
  static int64_t w[N], cap[N], out[N];
  for (size_t i = 0; i < N; i++) {
    w[i] = (int64_t)i % 7;  /* 143 zero weights (i % 7 == 0) */
    cap[i] = i < 100 ? 1 : 1000000;
  }
  budget b = {0, 0, SIZE_MAX};
  alloc_mem mem = {counted, &b};
  is(alloc_pro_rata_in(&mem, w, N, 999, out), ALLOC_OK, "pro_rata through a counted allocator");
  is(b.peak, 16 * N, "  its temporaries: 16 bytes an entry (alloc.h)");
  is(b.used, 0, "  all freed");
  /* weighted entries: 1000 - 143 = 857; caps of 1 bind on the weighted
   * among the first 100 (100 - 15 multiples of 7 in 0..99 = 85), leaving
   * 772 uncapped: 4 * 1000 + 16 * 772 = 16352 */
  b.peak = 0;
  is(alloc_waterfill_in(&mem, w, cap, N, 5000, out), ALLOC_OK, "waterfill through a counted allocator");
  is(b.peak, 4 * N + 16 * 772, "  its temporaries: 4 bytes an entry, then 16 an uncapped weighted entry");
  is(b.used, 0, "  all freed");
  /* up to 8 entries the keys are on the stack (a haircut split over a
   * deficit's markets, a million times a deficit) */
  b.peak = 0;
  is(alloc_pro_rata_in(&mem, w + 1, 8, 999, out), ALLOC_OK, "pro_rata of 8 entries");
  is(b.peak, 0, "  allocates nothing");
  is(alloc_pro_rata_in(&mem, w + 1, 9, 999, out), ALLOC_OK, "pro_rata of 9 entries");
  is(b.peak, 16 * 9, "  allocates its 9 keys");
  b.limit = 16 * N - 1;
  is(alloc_pro_rata_in(&mem, w, N, 999, out), ALLOC_ENOMEM, "pro_rata: refused temporaries are ALLOC_ENOMEM");
  b.limit = 4 * N + 16 * 772 - 1;
  is(alloc_waterfill_in(&mem, w, cap, N, 5000, out), ALLOC_ENOMEM, "waterfill: the same");
  is(b.used, 0, "  nothing held after a refusal");
}

/* ---- the property: the same outputs as the reference -------------------- */

/* One random input of n entries (n drawn by the caller) into w, cap, total. */
static int64_t draw(int64_t *w, int64_t *cap, size_t n) {
  int ws = (int)below(5), cs = (int)below(6), mixed = below(4) == 0;
  for (size_t i = 0; i < n; i++) {
    w[i] = value(mixed ? (int)below(5) : ws, 0);
    switch (cs) {
    case 5: cap[i] = w[i] > MAX / 3 ? w[i] : w[i] * (1 + below(3)); break;  /* ratios 1, 2, 3: ties */
    default: cap[i] = value(mixed ? (int)below(5) : cs, 1); break;
    }
  }
  int64_t caps = 0;
  for (size_t i = 0; i < n; i++)
    if (cap[i] > 0 && caps <= MAX - cap[i]) caps += cap[i];
  switch (below(6)) {
  case 0: return 0;
  case 1: return below(2 * n + 2);
  case 2: return caps > 0 ? caps - below(caps < 3 ? caps : 3) : 0;  /* near the caps' sum */
  case 3: return caps < MAX ? caps + 1 : caps;                      /* just above it */
  case 4: return MAX - below(2);
  default: return value((int)below(5), 0);
  }
}

/* rounds: the selections' pivoting rounds, 0 for the heap sorts alone;
 * UINT_MAX for the rules as the library calls them. */
static void property(const char *what, size_t cases, size_t nmax, unsigned rounds) {
  int64_t *w = malloc(nmax * sizeof *w), *cap = malloc(nmax * sizeof *cap);
  int64_t *want = malloc(nmax * sizeof *want), *got = malloc(nmax * sizeof *got);
  size_t bad_pr = 0, bad_wf = 0, conserved = 0, weighted = 0;
  for (size_t c = 0; c < cases; c++) {
    size_t n = c < 3 ? c : (size_t)below(nmax + 1);  /* n = 0, 1, 2 first */
    int64_t total = draw(w, cap, n);
    int rw = ref_pro_rata(w, n, total, want);
    int rg = rounds == UINT_MAX ? alloc_pro_rata(w, n, total, got)
                                : alloc_pro_rata_rounds(NULL, w, n, total, rounds, got);
    if (rw != rg || !same(want, got, n)) {
      if (!bad_pr++) diag("%s: pro_rata differs at case %zu (n %zu, total %lld)", what, c, n, (long long)total);
    }
    __int128 W = 0;
    for (size_t i = 0; i < n; i++) W += w[i];
    if (W > 0) {
      weighted++;
      conserved += sum(got, n) == total;
    }
    rw = ref_waterfill(w, cap, n, total, want);
    rg = rounds == UINT_MAX ? alloc_waterfill(w, cap, n, total, got)
                            : alloc_waterfill_rounds(NULL, w, cap, n, total, rounds, got);
    if (rw != rg || !same(want, got, n)) {
      if (!bad_wf++) diag("%s: waterfill differs at case %zu (n %zu, total %lld)", what, c, n, (long long)total);
    }
  }
  is(bad_pr, 0, "%s: %zu random inputs, pro_rata identical to the reference", what, cases);
  is(conserved, weighted, "%s:   and it splits the whole total whenever a weight is positive", what);
  is(bad_wf, 0, "%s: %zu random inputs, waterfill identical to the reference", what, cases);
  free(w);
  free(cap);
  free(want);
  free(got);
}

/* Shapes that defeat naive pivots, at sizes where the selections recurse. */
static void shapes(void) {
  enum { N = 20000 };
  static int64_t w[N], cap[N], want[N], got[N];
  const char *names[] = {"ascending", "descending", "all equal", "organ pipe", "two values"};
  for (int s = 0; s < 5; s++) {
    for (size_t i = 0; i < N; i++) {
      int64_t v = s == 0 ? (int64_t)i + 1 : s == 1 ? N - (int64_t)i : s == 2 ? 7
                : s == 3 ? (i < N / 2 ? (int64_t)i + 1 : N - (int64_t)i) : 1 + (int64_t)(i % 2);
      w[i] = v;
      cap[i] = s == 2 ? 3 + (int64_t)(i % 5) : v * v / 100 + 1;
    }
    int64_t totals[] = {N / 3, 1000003, 123456789};
    int fine = 1;
    for (int t = 0; t < 3; t++) {
      for (unsigned r = 0; r < 3; r++) {
        unsigned rounds = r == 0 ? 0 : r == 1 ? 3 : 1000;
        ref_pro_rata(w, N, totals[t], want);
        alloc_pro_rata_rounds(NULL, w, N, totals[t], rounds, got);
        fine &= same(want, got, N);
        ref_waterfill(w, cap, N, totals[t], want);
        alloc_waterfill_rounds(NULL, w, cap, N, totals[t], rounds, got);
        fine &= same(want, got, N);
      }
      fine &= alloc_waterfill(w, cap, N, totals[t], got) == ALLOC_OK;
      ref_waterfill(w, cap, N, totals[t], want);
      fine &= same(want, got, N);
    }
    ok(fine, "%s weights, %d entries, 3 totals, 0, 3, 1000 rounds and the default: identical", names[s], N);
  }
}

/* alloc_brackets: 10% up to 100, 20% up to 1,000, 50% above, by hand */
static void brackets(void) {
  const int64_t upto[3] = {100, 1000, INT64_MAX}, rate[3] = {1000, 2000, 5000};
  const int64_t x[7] = {-5, 0, 50, 100, 101, 1500, INT64_MAX};
  int64_t w[7];
  alloc_brackets(x, 7, upto, rate, 3, w);
  ok(w[0] == 0 && w[1] == 0, "no weight at or below zero");
  is(w[2], 5, "50: 50 x 10%% = 5");
  is(w[3], 10, "100: the first tier's top, 10");
  is(w[4], 10, "101: (100 x 1000 + 1 x 2000) / 10000 = 10.2, floored: 10");
  is(w[5], 440, "1500: (100 x 1000 + 900 x 2000 + 500 x 5000) / 10000 = 440");
  is(w[6], INT64_C(4611686018427387593), "2^63 - 1: (1,900,000 + (2^63 - 1001) x 5000) / 10000, in 128 bits");
}

int main(void) {
  brackets();
  worked_examples();
  temporaries();
  property("up to 8 entries", 200000, 8, UINT_MAX);
  property("up to 64 entries", 50000, 64, UINT_MAX);
  property("up to 2000 entries", 600, 2000, UINT_MAX);
  property("no pivoting (heap sorts alone), up to 64 entries", 20000, 64, 0);
  property("two rounds of pivoting, then heap sorts, up to 64 entries", 20000, 64, 2);
  shapes();
  return done_testing();
}
