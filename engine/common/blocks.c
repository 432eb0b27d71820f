#define _GNU_SOURCE /* mremap */
#include "blocks.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define HUGE ((size_t)2 << 20)

void blocks_advise_huge(void *p, size_t n) {
  uintptr_t from = ((uintptr_t)p + HUGE - 1) & ~(uintptr_t)(HUGE - 1), to = ((uintptr_t)p + n) & ~(uintptr_t)(HUGE - 1);
  if (p && to > from) madvise((void *)from, to - from, MADV_HUGEPAGE);
}

void *blocks_malloc(size_t n) {
  /* malloc's block, advised where 2 MiB of it are aligned: a block used
   * once comes fresh from the kernel and is faulted in as huge pages; one
   * asked for again each deficit of a cascade is malloc's warm heap, as it
   * would be unadvised.  (Aligning it, posix_memalign, made glibc trim and
   * fault it in again every time: 10 times slower for 2-9 MB blocks.) */
  void *p = malloc(n);
  if (n >= BLOCKS_BIG) blocks_advise_huge(p, n);
  return p;
}

void *blocks_calloc(size_t n, size_t size) {
  if (size && n > SIZE_MAX / size) return NULL;
  if (n * size < BLOCKS_BIG) return calloc(n, size);
  /* advised before the zeroes are written: calloc would write them first
   * when the block comes from the heap, as 4 KiB pages */
  void *p = blocks_malloc(n * size);
  if (p) memset(p, 0, n * size);
  return p;
}

void *blocks_grow(void *p, size_t used, size_t nsize) {
  if (nsize < BLOCKS_BIG) return realloc(p, nsize);
  void *q = blocks_malloc(nsize);
  if (!q) return NULL;
  if (p && used) memcpy(q, p, used < nsize ? used : nsize);
  free(p);
  return q;
}

size_t blocks_mapped(size_t n) {
  size_t r = (n + HUGE - 1) & ~(HUGE - 1);
  return r - n <= n / 8 ? r : (n + 4095) & ~(size_t)4095;
}

static void *big_map(size_t n) {
  /* mapped 2 MiB more and trimmed to start on a 2 MiB boundary */
  size_t len = blocks_mapped(n);
  unsigned char *q = mmap(NULL, len + HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (q == MAP_FAILED) return NULL;
  uintptr_t a = ((uintptr_t)q + HUGE - 1) & ~(uintptr_t)(HUGE - 1);
  size_t head = a - (uintptr_t)q;
  if (head) munmap(q, head);
  munmap((void *)(a + len), HUGE - head);
  madvise((void *)a, len, MADV_HUGEPAGE);
  return (void *)a;
}

void *blocks_resize(void *p, size_t osize, size_t nsize) {
  if (!p) osize = 0;
  if (osize < BLOCKS_BIG && nsize < BLOCKS_BIG) return realloc(p, nsize);
  if (osize >= BLOCKS_BIG && nsize >= BLOCKS_BIG) {
    size_t olen = blocks_mapped(osize), nlen = blocks_mapped(nsize);
    if (olen == nlen) return p;
    void *q = mremap(p, olen, nlen, MREMAP_MAYMOVE);
    return q == MAP_FAILED ? NULL : q;
  }
  void *q = nsize >= BLOCKS_BIG ? big_map(nsize) : malloc(nsize);
  if (!q) return NULL;
  if (p) memcpy(q, p, osize < nsize ? osize : nsize);
  blocks_free(p, osize);
  return q;
}

void blocks_free(void *p, size_t osize) {
  if (!p) return;
  if (osize >= BLOCKS_BIG) munmap(p, blocks_mapped(osize));
  else free(p);
}
