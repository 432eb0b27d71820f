#include "alloc.h"

#include <stdlib.h>

static int fits(__int128 x) { return x >= INT64_MIN && x <= INT64_MAX; }

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

/* ---- pro-rata with largest remainders ----------------------------------- */

/* The remainders: r[k] of entry at[k]; the larger first, then the lower
 * entry (a total order: any sort gives the same). */
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

/* Shares total among the entries listed in `which` (all when NULL) by
 * weight; the others are left untouched in out.  Temporaries: 28 bytes an
 * entry, in one block (the remainders, their entries, their order and the
 * sort's buffer). */
static int share(const alloc_mem *mem, const int64_t *w, const uint32_t *which, size_t m, int64_t total,
                 int64_t *out) {
  __int128 W = 0;
  for (size_t k = 0; k < m; k++) W += w[which ? which[k] : k];
  if (W == 0 || total == 0) {
    for (size_t k = 0; k < m; k++) out[which ? which[k] : k] = 0;
    return ALLOC_OK;
  }
  enum { PER = sizeof(__int128) + 3 * sizeof(uint32_t) };
  unsigned char *block = mem_get(mem, m, PER);
  if (!block) return ALLOC_ENOMEM;
  __int128 *r = (__int128 *)block;  /* the allocator's alignment suits __int128 */
  uint32_t *at = (uint32_t *)(r + (m ? m : 1)), *ord = at + m, *tmp = ord + m;
  __int128 given = 0;
  size_t nr = 0;
  for (size_t k = 0; k < m; k++) {
    size_t i = which ? which[k] : k;
    __int128 p = (__int128)total * w[i];  /* < 2^126: fits */
    out[i] = (int64_t)(p / W);
    given += out[i];
    if (p % W) {
      r[nr] = p % W;
      at[nr] = (uint32_t)i;
      ord[nr] = (uint32_t)nr;
      nr++;
    }
  }
  __int128 left = total - given;  /* < number of non-zero remainders */
  if (left > 0) {
    rems x = {r, at};
    merge_sort(ord, nr, tmp, before_rem, &x, 0);
    for (size_t k = 0; k < (size_t)left && k < nr; k++) out[at[ord[k]]]++;
  }
  mem_put(mem, block, m, PER);
  return ALLOC_OK;
}

int alloc_pro_rata_in(const alloc_mem *mem, const int64_t *w, size_t n, int64_t total, int64_t *out) {
  if (total < 0) return ALLOC_EINVAL;
  for (size_t i = 0; i < n; i++)
    if (w[i] < 0) return ALLOC_EINVAL;
  return share(mem, w, NULL, n, total, out);
}

int alloc_pro_rata(const int64_t *w, size_t n, int64_t total, int64_t *out) {
  return alloc_pro_rata_in(NULL, w, n, total, out);
}

/* ---- water-filling ------------------------------------------------------ */

typedef struct wc {
  const int64_t *w, *cap;
} wc;

/* By cap / weight ascending (exact: cross products in 128 bits); the sort
 * is stable over ascending indices, so ties go to the lower index. */
static int before_ratio(const void *key, uint32_t i, uint32_t j, int desc) {
  const wc *c = key;
  (void)desc;
  return (__int128)c->cap[i] * c->w[j] < (__int128)c->cap[j] * c->w[i];
}

int alloc_waterfill_in(const alloc_mem *mem, const int64_t *w, const int64_t *cap, size_t n, int64_t total,
                       int64_t *out) {
  if (total < 0) return ALLOC_EINVAL;
  for (size_t i = 0; i < n; i++)
    if (w[i] < 0) return ALLOC_EINVAL;
  uint32_t *live = mem_get(mem, n, 2 * sizeof *live);  /* the weighted entries, then the sort's buffer */
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
  /* The entries whose cap binds are those with the smallest cap / weight:
   * walk them in that order while the share they would get at the current
   * level, rest * w / W, reaches their cap. */
  wc c = {w, cap};
  merge_sort(live, m, live + (n ? n : 1), before_ratio, &c, 0);
  __int128 rest = total;
  size_t k = 0;
  for (; k < m; k++) {
    uint32_t i = live[k];
    if ((__int128)cap[i] * W > rest * w[i]) break;  /* share < cap: no cap binds from here on */
    out[i] = cap[i];
    rest -= cap[i];
    W -= w[i];
  }
  int rc = k < m ? share(mem, w, live + k, m - k, (int64_t)rest, out) : ALLOC_OK;
  mem_put(mem, live, n, 2 * sizeof *live);
  return rc;
}

int alloc_waterfill(const int64_t *w, const int64_t *cap, size_t n, int64_t total, int64_t *out) {
  return alloc_waterfill_in(NULL, w, cap, n, total, out);
}
