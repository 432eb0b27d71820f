#define _GNU_SOURCE /* qsort_r */
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

/* ---- stable ordering ---------------------------------------------------- */

/* A bottom-up merge sort of indices: stable, O(n log n), no recursion. */
typedef int (*before_fn)(const void *key, uint32_t a, uint32_t b, int desc);

static int before_i64(const void *key, uint32_t a, uint32_t b, int desc) {
  int64_t x = ((const int64_t *)key)[a], y = ((const int64_t *)key)[b];
  return desc ? x > y : x < y;
}

static int before_f64(const void *key, uint32_t a, uint32_t b, int desc) {
  double x = ((const double *)key)[a], y = ((const double *)key)[b];
  return desc ? x > y : x < y;
}

static int merge_order(const void *key, size_t n, int desc, before_fn before, uint32_t *idx) {
  uint32_t *tmp = malloc((n ? n : 1) * sizeof *tmp);
  if (!tmp) return ALLOC_ENOMEM;
  for (size_t i = 0; i < n; i++) idx[i] = (uint32_t)i;
  uint32_t *src = idx, *dst = tmp;
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
  if (src != idx)
    for (size_t i = 0; i < n; i++) idx[i] = src[i];
  free(tmp);
  return ALLOC_OK;
}

int order_i64(const int64_t *key, size_t n, int desc, uint32_t *idx) {
  return merge_order(key, n, desc, before_i64, idx);
}

int order_f64(const double *key, size_t n, int desc, uint32_t *idx) {
  for (size_t i = 0; i < n; i++)
    if (key[i] != key[i]) return ALLOC_EINVAL;  /* NaN has no order */
  return merge_order(key, n, desc, before_f64, idx);
}

/* ---- pro-rata with largest remainders ----------------------------------- */

typedef struct rem {
  __int128 r;
  uint32_t i;
} rem;

static int cmp_rem(const void *a, const void *b) {
  const rem *x = a, *y = b;
  if (x->r != y->r) return x->r > y->r ? -1 : 1;  /* larger remainder first */
  return x->i < y->i ? -1 : (x->i > y->i);         /* then the lower index */
}

/* Shares total among the entries listed in `which` (all when NULL) by
 * weight; the others are left untouched in out. */
static int share(const int64_t *w, const uint32_t *which, size_t m, int64_t total, int64_t *out) {
  __int128 W = 0;
  for (size_t k = 0; k < m; k++) W += w[which ? which[k] : k];
  if (W == 0 || total == 0) {
    for (size_t k = 0; k < m; k++) out[which ? which[k] : k] = 0;
    return ALLOC_OK;
  }
  rem *rs = malloc((m ? m : 1) * sizeof *rs);
  if (!rs) return ALLOC_ENOMEM;
  __int128 given = 0;
  size_t nr = 0;
  for (size_t k = 0; k < m; k++) {
    size_t i = which ? which[k] : k;
    __int128 p = (__int128)total * w[i];  /* < 2^126: fits */
    out[i] = (int64_t)(p / W);
    given += out[i];
    if (p % W) rs[nr++] = (rem){p % W, (uint32_t)i};
  }
  __int128 left = total - given;  /* < number of non-zero remainders */
  if (left > 0) {
    qsort(rs, nr, sizeof *rs, cmp_rem);
    for (size_t k = 0; k < (size_t)left && k < nr; k++) out[rs[k].i]++;
  }
  free(rs);
  return ALLOC_OK;
}

int alloc_pro_rata(const int64_t *w, size_t n, int64_t total, int64_t *out) {
  if (total < 0) return ALLOC_EINVAL;
  for (size_t i = 0; i < n; i++)
    if (w[i] < 0) return ALLOC_EINVAL;
  return share(w, NULL, n, total, out);
}

/* ---- water-filling ------------------------------------------------------ */

typedef struct wc {
  const int64_t *w, *cap;
} wc;

/* Order by cap / weight ascending (exact: cross products in 128 bits), ties
 * to the lower index. */
static int cmp_ratio(const void *a, const void *b, void *ud) {
  const wc *c = ud;
  uint32_t i = *(const uint32_t *)a, j = *(const uint32_t *)b;
  __int128 x = (__int128)c->cap[i] * c->w[j], y = (__int128)c->cap[j] * c->w[i];
  if (x != y) return x < y ? -1 : 1;
  return i < j ? -1 : (i > j);
}

int alloc_waterfill(const int64_t *w, const int64_t *cap, size_t n, int64_t total, int64_t *out) {
  if (total < 0) return ALLOC_EINVAL;
  uint32_t *live = malloc((n ? n : 1) * sizeof *live);
  if (!live) return ALLOC_ENOMEM;
  size_t m = 0;
  __int128 W = 0;
  for (size_t i = 0; i < n; i++) {
    if (w[i] < 0) {
      free(live);
      return ALLOC_EINVAL;
    }
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
  qsort_r(live, m, sizeof *live, cmp_ratio, &c);
  __int128 rest = total;
  size_t k = 0;
  for (; k < m; k++) {
    uint32_t i = live[k];
    if ((__int128)cap[i] * W > rest * w[i]) break;  /* share < cap: no cap binds from here on */
    out[i] = cap[i];
    rest -= cap[i];
    W -= w[i];
  }
  int rc = k < m ? share(w, live + k, m - k, (int64_t)rest, out) : ALLOC_OK;
  free(live);
  return rc;
}
