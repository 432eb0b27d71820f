#include "alloc.h"

#include <stdlib.h>

static int fits(__int128 x) { return x >= INT64_MIN && x <= INT64_MAX; }

void alloc_brackets(const int64_t *x, size_t n, const int64_t *upto, const int64_t *rate, size_t nt, int64_t *out) {
  for (size_t k = 0; k < n; k++) {
    __int128 w = 0;
    int64_t lo = 0, v = x[k];
    for (size_t t = 0; t < nt && v > lo; t++) {
      int64_t hi = v < upto[t] ? v : upto[t];
      w += (__int128)(hi - lo) * rate[t];
      lo = upto[t];
    }
    out[k] = (int64_t)(w / 10000);
  }
}

int muldiv_floor(int64_t a, int64_t b, int64_t c, int64_t *out) {
  if (c == 0) return ALLOC_EINVAL;
  __int128 p = (__int128)a * b, q = p / c;
  if ((p % c != 0) && ((p < 0) != (c < 0))) q--;  /* floor, not truncation */
  if (!fits(q)) return ALLOC_EOVERFLOW;
  *out = (int64_t)q;
  return ALLOC_OK;
}

/* ---- temporaries -------------------------------------------------------- */

/* n elements of size bytes each from mem (malloc when NULL); NULL when the
 * size does not fit or the allocator refuses. */
static void *mem_get(const alloc_mem *mem, size_t n, size_t size) {
  if (n > SIZE_MAX / size) return NULL;
  size_t bytes = (n ? n : 1) * size;
  return mem ? mem->f(mem->ud, NULL, 0, bytes) : malloc(bytes);
}

static void mem_put(const alloc_mem *mem, void *p, size_t n, size_t size) {
  if (!p) return;
  if (mem) mem->f(mem->ud, p, (n ? n : 1) * size, 0);
  else free(p);
}

/* ---- stable ordering ---------------------------------------------------- */

/* A bottom-up merge sort of indices: stable, O(n log n), no recursion, its
 * one buffer given (so counted where the caller's memory is: never qsort's
 * own).  before(key, a, b) says a goes strictly before b. */
typedef int (*before_fn)(const void *key, uint32_t a, uint32_t b, int desc);

static void merge_sort(uint32_t *a, size_t n, uint32_t *tmp, before_fn before, const void *key, int desc) {
  uint32_t *src = a, *dst = tmp;
  for (size_t width = 1; width < n; width *= 2) {
    for (size_t lo = 0; lo < n; lo += 2 * width) {
      size_t mid = lo + width < n ? lo + width : n, hi = lo + 2 * width < n ? lo + 2 * width : n;
      size_t i = lo, j = mid, k = lo;
      /* take from the right run only when strictly before: stability */
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

static int before_i64(const void *key, uint32_t a, uint32_t b, int desc) {
  int64_t x = ((const int64_t *)key)[a], y = ((const int64_t *)key)[b];
  return desc ? x > y : x < y;
}

static int before_f64(const void *key, uint32_t a, uint32_t b, int desc) {
  double x = ((const double *)key)[a], y = ((const double *)key)[b];
  return desc ? x > y : x < y;
}

static int merge_order(const alloc_mem *mem, const void *key, size_t n, int desc, before_fn before, uint32_t *idx) {
  uint32_t *tmp = mem_get(mem, n, sizeof *tmp);
  if (!tmp) return ALLOC_ENOMEM;
  for (size_t i = 0; i < n; i++) idx[i] = (uint32_t)i;
  merge_sort(idx, n, tmp, before, key, desc);
  mem_put(mem, tmp, n, sizeof *tmp);
  return ALLOC_OK;
}

int order_i64_in(const alloc_mem *mem, const int64_t *key, size_t n, int desc, uint32_t *idx) {
  return merge_order(mem, key, n, desc, before_i64, idx);
}

int order_f64_in(const alloc_mem *mem, const double *key, size_t n, int desc, uint32_t *idx) {
  for (size_t i = 0; i < n; i++)
    if (key[i] != key[i]) return ALLOC_EINVAL;  /* NaN has no order */
  return merge_order(mem, key, n, desc, before_f64, idx);
}

int order_i64(const int64_t *key, size_t n, int desc, uint32_t *idx) { return order_i64_in(NULL, key, n, desc, idx); }

int order_f64(const double *key, size_t n, int desc, uint32_t *idx) { return order_f64_in(NULL, key, n, desc, idx); }

/* ---- selection ---------------------------------------------------------- */

/* The rules below need to know which entries come first in an order, not
 * the order itself: they select (quickselect) instead of sorting.  The
 * pivots come from a fixed pseudo-random sequence; the orders selected on
 * are total, so the pivots decide the time and never the result.  Because
 * the sequence is fixed an input can be built against it, so a selection
 * partitions at most `rounds` times (2 log2 n + 8 by default) and then
 * sorts what is left with a heap sort: O(n) expected, O(n log n) at worst,
 * and no temporaries of its own. */
enum { PIVOT_SEED = 0x2545F491u };

static size_t pick(uint64_t *s, size_t lo, size_t hi) {
  uint64_t x = *s;  /* xorshift64 */
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  *s = x;
  return lo + (size_t)(x % (hi - lo));
}

static unsigned default_rounds(size_t n) {
  unsigned r = 8;
  for (; n > 1; n >>= 1) r += 2;
  return r;
}

/* ---- pro-rata with largest remainders ----------------------------------- */

typedef unsigned __int128 u128;

/* A remainder and its entry as one key: the remainder in the high bits, the
 * entry's index complemented in the low 32.  The larger key is the larger
 * remainder and, between equal remainders, the lower index: the rule's
 * order, and no two keys are equal.  It fits: a remainder is below W <= n *
 * INT64_MAX < 2^95 (n < 2^32), so the key is below 2^127. */
static u128 rem_key(u128 r, uint32_t i) { return r << 32 | (uint32_t)~i; }

static uint32_t key_entry(u128 k) { return ~(uint32_t)k; }

static void swap_keys(u128 *a, size_t i, size_t j) {
  u128 t = a[i];
  a[i] = a[j];
  a[j] = t;
}

static void sift_keys(u128 *a, size_t n, size_t i) {
  for (size_t c; (c = 2 * i + 1) < n; i = c) {
    if (c + 1 < n && a[c + 1] < a[c]) c++;
    if (a[i] <= a[c]) return;
    swap_keys(a, i, c);
  }
}

/* a[0..n) in descending order (a min-heap emptied from the back). */
static void heap_sort_keys(u128 *a, size_t n) {
  for (size_t i = n / 2; i-- > 0;) sift_keys(a, n, i);
  for (size_t end = n; end > 1; end--) {
    swap_keys(a, 0, end - 1);
    sift_keys(a, end - 1, 0);
  }
}

enum { SMALL = 8 };  /* entries a share keeps on the stack and selects from by passes */

/* Moves the k largest of n distinct keys to a[0..k), 0 < k < n. */
static void select_keys(u128 *a, size_t n, size_t k, unsigned rounds) {
  if (n <= SMALL) {  /* a haircut over a deficit's few markets: a pass per atom beats pivots */
    for (size_t i = 0; i < k; i++) {
      size_t top = i;
      for (size_t j = i + 1; j < n; j++)
        if (a[j] > a[top]) top = j;
      swap_keys(a, i, top);
    }
    return;
  }
  size_t lo = 0, hi = n;  /* a[0..lo) > a[lo..hi) > a[hi..n), lo <= k < hi */
  uint64_t seed = PIVOT_SEED;
  while (hi - lo > 1) {
    if (!rounds--) {
      heap_sort_keys(a + lo, hi - lo);
      return;
    }
    size_t x = pick(&seed, lo, hi), y = pick(&seed, lo, hi), z = pick(&seed, lo, hi);
    size_t mid = (a[x] < a[y]) == (a[y] < a[z]) ? y : (a[y] < a[x]) == (a[x] < a[z]) ? x : z;
    swap_keys(a, lo, mid);
    u128 v = a[lo];
    size_t i = lo, j = hi;
    for (;;) {  /* Hoare's: the larger keys to the left of v, the smaller to its right */
      do i++;
      while (i < hi && a[i] > v);
      do j--;
      while (a[j] < v);  /* stops at a[lo] == v at the latest */
      if (i >= j) break;
      swap_keys(a, i, j);
    }
    swap_keys(a, lo, j);
    if (j == k) return;
    if (j < k) lo = j + 1;
    else hi = j;
  }
}

/* Shares total among the entries listed in `which` (all when NULL) by
 * weight; the others are left untouched in out.  Temporaries: one key (16
 * bytes) an entry, on the stack up to SMALL entries (the engine splits
 * each haircut over the deficit's few markets, a million times in a
 * deficit: no allocation for those). */

static int share(const alloc_mem *mem, const int64_t *w, const uint32_t *which, size_t m, int64_t total,
                 int64_t *out, unsigned rounds) {
  __int128 W = 0;
  for (size_t k = 0; k < m; k++) W += w[which ? which[k] : k];
  if (W == 0 || total == 0) {
    for (size_t k = 0; k < m; k++) out[which ? which[k] : k] = 0;
    return ALLOC_OK;
  }
  u128 small[SMALL];
  u128 *key = m <= SMALL ? small : mem_get(mem, m, sizeof *key);  /* the allocator's alignment suits __int128 */
  if (!key) return ALLOC_ENOMEM;
  u128 uw = (u128)W;
  uint64_t w64 = (uint64_t)uw;
  int narrow = uw >> 64 == 0;
  int64_t given = 0;  /* <= total: each floor is at most total * w[i] / W */
  size_t nr = 0;
  for (size_t k = 0; k < m; k++) {
    uint32_t i = which ? which[k] : (uint32_t)k;
    u128 p = (u128)(uint64_t)total * (uint64_t)w[i], q, r;  /* < 2^126 */
    if (narrow && p >> 64 == 0) {  /* one 64-bit division, the common case */
      q = (uint64_t)p / w64;
      r = (uint64_t)p % w64;
    } else {
      q = p / uw;
      r = p - q * uw;
    }
    out[i] = (int64_t)q;
    given += (int64_t)q;
    if (r) key[nr++] = rem_key(r, i);
  }
  /* the atoms left over, fewer than the non-zero remainders (they add up
   * to left * W, each below W): one each to the largest */
  size_t left = (size_t)(total - given);
  if (left > 0) {
    if (left < nr) select_keys(key, nr, left, rounds);
    for (size_t k = 0; k < left && k < nr; k++) out[key_entry(key[k])]++;
  }
  if (key != small) mem_put(mem, key, m, sizeof *key);
  return ALLOC_OK;
}

int alloc_pro_rata_rounds(const alloc_mem *mem, const int64_t *w, size_t n, int64_t total, unsigned rounds,
                          int64_t *out) {
  if (total < 0 || n > UINT32_MAX) return ALLOC_EINVAL;
  for (size_t i = 0; i < n; i++)
    if (w[i] < 0) return ALLOC_EINVAL;
  return share(mem, w, NULL, n, total, out, rounds);
}

int alloc_pro_rata_in(const alloc_mem *mem, const int64_t *w, size_t n, int64_t total, int64_t *out) {
  return alloc_pro_rata_rounds(mem, w, n, total, default_rounds(n), out);
}

int alloc_pro_rata(const int64_t *w, size_t n, int64_t total, int64_t *out) {
  return alloc_pro_rata_in(NULL, w, n, total, out);
}

/* ---- water-filling ------------------------------------------------------ */

/* The sign of cap[i] / w[i] - cap[j] / w[j] (weights > 0), exact: the cross
 * products are below 2^126. */
static int ratio_cmp(const int64_t *w, const int64_t *cap, uint32_t i, uint32_t j) {
  __int128 a = (__int128)cap[i] * w[j], b = (__int128)cap[j] * w[i];
  return (a > b) - (a < b);
}

/* Whether the cap c of an entry of weight v binds when rest is shared among
 * weights adding up to W (v among them): its share rest * v / W reaches c,
 * c * W <= rest * v.  Compared as W <= floor(rest * v / c), which is the
 * same for integers (c > 0) and never forms c * W: W can reach 2^95, the
 * product 2^158. */
static int binds(int64_t c, int64_t v, __int128 rest, __int128 W) {
  return rest > 0 && W <= rest * v / c;  /* rest <= total: rest * v < 2^126 */
}

static void sift_ratio(uint32_t *a, size_t n, size_t i, const int64_t *w, const int64_t *cap) {
  for (size_t c; (c = 2 * i + 1) < n; i = c) {
    if (c + 1 < n && ratio_cmp(w, cap, a[c + 1], a[c]) > 0) c++;
    if (ratio_cmp(w, cap, a[i], a[c]) >= 0) return;
    uint32_t t = a[i];
    a[i] = a[c];
    a[c] = t;
  }
}

/* a[0..n) by cap / weight ascending (a max-heap emptied from the back). */
static void heap_sort_ratio(uint32_t *a, size_t n, const int64_t *w, const int64_t *cap) {
  for (size_t i = n / 2; i-- > 0;) sift_ratio(a, n, i, w, cap);
  for (size_t end = n; end > 1; end--) {
    uint32_t t = a[0];
    a[0] = a[end - 1];
    a[end - 1] = t;
    sift_ratio(a, end - 1, 0, w, cap);
  }
}

int alloc_waterfill_rounds(const alloc_mem *mem, const int64_t *w, const int64_t *cap, size_t n, int64_t total,
                           unsigned rounds, int64_t *out) {
  if (total < 0 || n > UINT32_MAX) return ALLOC_EINVAL;
  for (size_t i = 0; i < n; i++)
    if (w[i] < 0) return ALLOC_EINVAL;
  uint32_t *live = mem_get(mem, n, sizeof *live);  /* the weighted entries */
  if (!live) return ALLOC_ENOMEM;
  size_t m = 0;
  __int128 W = 0;
  for (size_t i = 0; i < n; i++) {
    out[i] = 0;
    if (w[i] > 0 && cap[i] > 0) {
      live[m++] = (uint32_t)i;
      W += w[i];
    }
  }
  /* The caps that bind are those of the smallest cap / weight.  Walking the
   * entries in that order, each pays its cap while its share of what is
   * left, at the current level, reaches it; once one does not, none after
   * it does (its cap being above the level, taking it out would lower the
   * level, and the next caps are higher still), and entries level with one
   * that binds bind too.  So the binding entries are those below a ratio,
   * found like a quickselect: partition around a pivot's ratio, and ask
   * whether the pivot binds once all below it have paid their caps. */
  size_t lo = 0, hi = m;  /* live[0..lo) bind, live[hi..m) do not, live[lo..hi) undecided */
  __int128 rest = total;  /* left to share, and W the weights it is shared among, after live[0..lo) */
  uint64_t seed = PIVOT_SEED;
  for (unsigned r = rounds; lo < hi; r--) {
    if (!r) {  /* the pivots went badly: sort what is left and walk it */
      heap_sort_ratio(live + lo, hi - lo, w, cap);
      for (; lo < hi && binds(cap[live[lo]], w[live[lo]], rest, W); lo++) {
        rest -= cap[live[lo]];
        W -= w[live[lo]];
      }
      break;
    }
    uint32_t x = live[pick(&seed, lo, hi)], y = live[pick(&seed, lo, hi)], z = live[pick(&seed, lo, hi)];
    int xy = ratio_cmp(w, cap, x, y), yz = ratio_cmp(w, cap, y, z), xz = ratio_cmp(w, cap, x, z);
    uint32_t p = xy < 0 ? (yz < 0 ? y : xz < 0 ? z : x) : (yz > 0 ? y : xz > 0 ? z : x);  /* the median */
    /* three ways: below p's ratio, level with it, above it */
    size_t lt = lo, i = lo, gt = hi;
    __int128 capl = 0, wl = 0, cape = 0, we = 0;
    while (i < gt) {
      uint32_t e = live[i];
      int c = ratio_cmp(w, cap, e, p);
      if (c < 0) {
        capl += cap[e];
        wl += w[e];
        live[i++] = live[lt];
        live[lt++] = e;
      } else if (c > 0) {
        live[i] = live[--gt];
        live[gt] = e;
      } else {
        cape += cap[e];
        we += w[e];
        i++;
      }
    }
    if (binds(cap[p], w[p], rest - capl, W - wl)) {  /* then so do all below it and level with it */
      rest -= capl + cape;
      W -= wl + we;
      lo = gt;
    } else {
      hi = lt;
    }
  }
  for (size_t k = 0; k < lo; k++) out[live[k]] = cap[live[k]];
  /* 0 <= rest <= total: the pro-rata of what is left among the others */
  int rc = lo < m ? share(mem, w, live + lo, m - lo, (int64_t)rest, out, rounds) : ALLOC_OK;
  mem_put(mem, live, n, sizeof *live);
  return rc;
}

int alloc_waterfill_in(const alloc_mem *mem, const int64_t *w, const int64_t *cap, size_t n, int64_t total,
                       int64_t *out) {
  return alloc_waterfill_rounds(mem, w, cap, n, total, default_rounds(n), out);
}

int alloc_waterfill(const int64_t *w, const int64_t *cap, size_t n, int64_t total, int64_t *out) {
  return alloc_waterfill_in(NULL, w, cap, n, total, out);
}
