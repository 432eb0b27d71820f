/*
 * Large blocks (engine/common/blocks.c): the evaluator's Lua allocator asks
 * blocks_resize for every block, telling it the old size; blocks of
 * BLOCKS_BIG bytes and up are mappings of their own.  Every way between the
 * two kinds keeps the contents up to the smaller size, byte for byte.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "blocks.h"
#include "smaps.h"
#include "tap.h"

/* n bytes of a pattern that tells every position apart (mod 251, prime) */
static void fill(unsigned char *p, size_t n) {
  for (size_t i = 0; i < n; i++) p[i] = (unsigned char)(i % 251);
}

static int holds(const unsigned char *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (p[i] != (unsigned char)(i % 251)) return 0;
  return 1;
}

/* blocks_malloc and blocks_calloc: malloc's blocks, free()'d as usual; the
 * large ones advised as huge pages where 2 MiB of them are aligned,
 * calloc's zeroed. */
static void host_blocks(void) {
  unsigned char *s = blocks_malloc(100);
  ok(s != NULL && !advised_huge(s), "a small block is malloc's, not advised");
  free(s);
  size_t n = 3 * BLOCKS_BIG + 100;
  unsigned char *b = blocks_malloc(n);
  ok(b != NULL, "a block of %zu bytes", n);
  is(advised_huge(huge_inside(b)), 1, "its first 2 MiB boundary on carries the huge-page advice (VmFlags hg)");
  fill(b, n);
  ok(holds(b, n), "every byte of it writable and kept");
  free(b);
  unsigned char *z = blocks_calloc(n, 1), *zs = blocks_calloc(10, 10);
  int zero = z != NULL && zs != NULL;
  for (size_t i = 0; zero && i < n; i++) zero = z[i] == 0;
  for (size_t i = 0; zero && i < 100; i++) zero = zs[i] == 0;
  ok(zero, "blocks_calloc's blocks, large and small, read as zeros");
  is(advised_huge(huge_inside(z)), 1, "the large one advised");
  free(z);
  free(zs);
  ok(blocks_calloc(SIZE_MAX / 8 + 1, 8) == NULL, "a count times size past SIZE_MAX is refused, not wrapped");

  /* blocks_grow: an array doubling from nothing past BLOCKS_BIG, the bytes
   * in use kept at every step */
  unsigned char *g = NULL;
  size_t used = 0, cap = 0;
  int kept = 1, steps = 0;
  while (cap < 4 * BLOCKS_BIG) {
    size_t ncap = cap ? 2 * cap : 4096;
    unsigned char *q = blocks_grow(g, used, ncap);
    if (!q) break;
    g = q, cap = ncap, steps++;
    kept = kept && holds(g, used);
    fill(g, cap - 1);  /* all but the last byte in use */
    used = cap - 1;
  }
  is(steps, 12, "4 KiB doubled to 8 MiB: 12 blocks");
  ok(kept && holds(g, used), "every byte in use kept at each step, realloc's and copied alike");
  is(advised_huge(huge_inside(g)), 1, "the last one advised");
  free(g);
  unsigned char *h = blocks_grow(NULL, 100, BLOCKS_BIG);
  ok(h != NULL, "from nothing straight to a large block (used ignored without a block)");
  free(h);
}

/* Whether the 4 KiB page at p is mapped in this process. */
static int is_mapped(const void *p) {
  unsigned char v;
  return mincore((void *)((uintptr_t)p & ~(uintptr_t)4095), 4096, &v) == 0;
}

/* A big block's mapping starts on a 2 MiB boundary and spans
 * blocks_mapped bytes, so that every 2 MiB of it can be a huge page. */
static void aligned_blocks(void) {
  is((int64_t)blocks_mapped(8000080), 8388608,
     "8,000,080 bytes (a 1M-row column) span 4 huge pages, 8,388,608 (388,528 more: under an eighth)");
  is((int64_t)blocks_mapped(3 * BLOCKS_BIG + 8), 6295552,
     "3 huge pages and 8 bytes: to 4 huge pages would add a third, so to 4 KiB: 6,295,552");
  is((int64_t)blocks_mapped(4 * BLOCKS_BIG), 8388608, "4 huge pages exactly: 8,388,608");
  unsigned char *c = blocks_resize(NULL, 0, 8000080);
  ok(c != NULL, "a block of 8,000,080 bytes");
  is((int64_t)((uintptr_t)c & (BLOCKS_BIG - 1)), 0, "it starts on a 2 MiB boundary");
  is(advised_huge(c), 1, "advised from its first byte");
  ok(is_mapped(c + 8388608 - 4096), "its mapping runs to 8 MiB, past the bytes asked for");
  ok(!is_mapped(c + 8388608), "and no further");
  fill(c, 8000080);
  c = blocks_resize(c, 8000080, 8100000);
  ok(c && holds(c, 8000080), "grown within the same 8 MiB (blocks_mapped 8,388,608 both): every byte kept");
  blocks_free(c, 8100000);
  ok(!is_mapped(c) && !is_mapped(c + 8388608 - 4096), "freed whole, the rounded tail too");
  unsigned char *d = blocks_resize(NULL, 0, 3 * BLOCKS_BIG + 8);
  ok(d && ((uintptr_t)d & (BLOCKS_BIG - 1)) == 0 && is_mapped(d + 6295552 - 4096) && !is_mapped(d + 6295552),
     "3 huge pages and 8 bytes: on a boundary, 6,295,552 bytes mapped");
  blocks_free(d, 3 * BLOCKS_BIG + 8);
  ok(!is_mapped(d), "freed");
}

int main(void) {
  host_blocks();
  aligned_blocks();
  const size_t small = 4096, big = BLOCKS_BIG, bigger = 3 * BLOCKS_BIG + 8;
  is((int64_t)BLOCKS_BIG, 2097152, "big means 2 MiB and up");

  unsigned char *p = blocks_resize(NULL, 0, small);
  ok(p != NULL, "a new small block");
  fill(p, small);
  p = blocks_resize(p, small, 2 * small);
  ok(p && holds(p, small), "small to small (realloc): its %zu bytes kept", small);
  fill(p, 2 * small);
  p = blocks_resize(p, 2 * small, big);
  ok(p && holds(p, 2 * small), "small to big (a mapping of its own): its %zu bytes kept", 2 * small);
  fill(p, big);
  is((int64_t)p[big - 1], (int64_t)((big - 1) % 251), "the big block's last byte is writable: %d", p[big - 1]);
  p = blocks_resize(p, big, bigger);
  ok(p && holds(p, big), "big to bigger (mremap): its %zu bytes kept", big);
  fill(p, bigger);
  p = blocks_resize(p, bigger, big + 1);
  ok(p && holds(p, big + 1), "bigger to big (shrunk in place or moved): %zu bytes kept", big + 1);
  p = blocks_resize(p, big + 1, small);
  ok(p && holds(p, small), "big to small (back to malloc): %zu bytes kept", small);
  blocks_free(p, small);

  unsigned char *q = blocks_resize(NULL, 0, bigger);
  ok(q != NULL, "a new big block straight away");
  ok(q[0] == 0 && q[bigger - 1] == 0, "a new mapping reads as zeros (its first and last byte)");
  blocks_free(q, bigger);
  blocks_free(NULL, bigger);
  blocks_free(NULL, 1);
  ok(1, "freeing nothing, of either size, is nothing");

  /* advice on malloc'd memory: the block stays malloc's, contents untouched */
  unsigned char *m = malloc(3 * BLOCKS_BIG);
  fill(m, 3 * BLOCKS_BIG);
  blocks_advise_huge(m, 3 * BLOCKS_BIG);
  blocks_advise_huge(m, 100);  /* no 2 MiB of it aligned: no advice */
  blocks_advise_huge(NULL, 3 * BLOCKS_BIG);
  ok(holds(m, 3 * BLOCKS_BIG), "advice changes no byte of a block");
  free(m);
  ok(1, "and the block is free()'d as usual");
  return done_testing();
}
