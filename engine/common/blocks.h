/*
 * blocks.h — memory for large blocks: asked for as transparent huge pages.
 *
 * A fresh multi-megabyte block filled once (a column of a million rows, an
 * answer of a million actions) costs one page fault per 4 KiB page: on a
 * 1M-row tiered.lua call the evaluator took 34,570 of them, about 70 ms of
 * its 80.  Backed by 2 MiB pages it takes a few.  Advice only: where the
 * kernel has no transparent huge pages, or none free, the pages are plain.
 */
#ifndef SOCLOSS_BLOCKS_H
#define SOCLOSS_BLOCKS_H

#include <stddef.h>

/* Blocks of this many bytes or more are mapped on their own. */
#define BLOCKS_BIG ((size_t)2 << 20)

/* Advice that p, n bytes from malloc about to be filled, be backed by huge
 * pages where 2 MiB of it are aligned (a malloc'd block stays free()'d as
 * usual). */
void blocks_advise_huge(void *p, size_t n);

/* malloc and calloc for a block that may be large (a column, an answer's
 * actions, a result's copies): blocks of BLOCKS_BIG bytes or more are
 * advised as huge pages (blocks_advise_huge) before anything touches
 * them.  Freed with free().  The host's own columns and copies are where
 * a 1M-candidate resolution took most of its page faults (docs/design.md
 * §8). */
void *blocks_malloc(size_t n);
void *blocks_calloc(size_t n, size_t size);
/* realloc for an array that doubles (a buffer, a table of entries): to
 * nsize bytes, the first `used` of p's kept; past BLOCKS_BIG a fresh
 * block from blocks_malloc with those bytes copied over (realloc would
 * move a large block with mremap, splitting the huge pages that do not
 * line up, and fault its new half in as 4 KiB pages).  NULL, p still
 * valid, when there is no memory.  Freed with free(). */
void *blocks_grow(void *p, size_t used, size_t nsize);

/* realloc for an allocator that is told each block's size (Lua's): p of
 * osize bytes (NULL and 0: none) to nsize > 0 bytes, the contents kept up
 * to the smaller size; blocks of BLOCKS_BIG bytes or more are mappings of
 * their own advised as huge pages, smaller ones malloc's.  NULL, p still
 * valid, when there is no memory.  A new mapping starts on a 2 MiB
 * boundary and spans blocks_mapped(nsize) bytes, so that all of it can be
 * huge pages: mmap's 4 KiB-aligned start left up to 2 MiB at each end in
 * 4 KiB pages, each its own fault (a 1M-row column of 8,000,080 bytes took
 * about 420 faults; on a virtual machine with shadow page tables ~5 us
 * each).  (Grown by mremap, a mapping may move off the boundary.) */
void *blocks_resize(void *p, size_t osize, size_t nsize);

/* The bytes a mapping of a block of n >= BLOCKS_BIG bytes spans: n rounded
 * up to 2 MiB where that adds at most an eighth of n (the address space
 * the evaluator is allowed leaves a quarter of its budget over), else to
 * 4 KiB. */
size_t blocks_mapped(size_t n);

/* Frees p of osize bytes (the size it was given), either kind. */
void blocks_free(void *p, size_t osize);

#endif
