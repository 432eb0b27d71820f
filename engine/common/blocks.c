#define _GNU_SOURCE /* mremap */
#include "blocks.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

void blocks_advise_huge(void *p, size_t n) {
  const uintptr_t huge = (uintptr_t)2 << 20;
  uintptr_t from = ((uintptr_t)p + huge - 1) & ~(huge - 1), to = ((uintptr_t)p + n) & ~(huge - 1);
  if (p && to > from) madvise((void *)from, to - from, MADV_HUGEPAGE);
}

static void *big_map(size_t n) {
  void *q = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (q == MAP_FAILED) return NULL;
  madvise(q, n, MADV_HUGEPAGE);
  return q;
}

void *blocks_resize(void *p, size_t osize, size_t nsize) {
  if (!p) osize = 0;
  if (osize < BLOCKS_BIG && nsize < BLOCKS_BIG) return realloc(p, nsize);
  if (osize >= BLOCKS_BIG && nsize >= BLOCKS_BIG) {
    void *q = mremap(p, osize, nsize, MREMAP_MAYMOVE);
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
  if (osize >= BLOCKS_BIG) munmap(p, osize);
  else free(p);
}
