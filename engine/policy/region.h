/*
 * region.h — the shared region the candidates' columns reach the evaluator
 * through (docs/design.md §8, "The columns, shared"): a memfd the host
 * writes through a mapping of its own and hands the evaluator read-only.
 * Linux only; where memfd_create is missing (ENOSYS) or /proc is not
 * mounted the caller keeps to the copying path.
 */
#ifndef SOCLOSS_REGION_H
#define SOCLOSS_REGION_H

#include <stddef.h>
#include <stdint.h>

typedef struct region {
  int fd;               /* the memfd (read-write, the host's), -1: none */
  unsigned char *base;  /* the host's writable mapping */
  size_t size;          /* its bytes: fixed for the region's life (sealed against shrinking) */
} region;

/* The smallest region made, and the one made with the evaluator's first
 * start (a load check has no columns to size it): a few hundred thousand
 * candidates' columns, so that most ledgers never replace it (replacing it
 * restarts the evaluator, ~5 ms).  A memfd's pages are allocated when
 * written, so the size costs address space (the host's and the evaluator's
 * RLIMIT_AS, which counts the mapping apart), not memory. */
#define REGION_MIN ((size_t)16 << 20)

/* A new region of `size` bytes: memfd_create (MFD_CLOEXEC |
 * MFD_ALLOW_SEALING), sized, sealed against shrinking and against further
 * sealing, mapped read-write here.  0, or -1 with msg saying why (errno
 * kept: ENOSYS where the kernel has no memfd). */
int region_make(region *r, size_t size, char *msg, size_t msglen);
/* A descriptor for the evaluator: the memfd reopened read-only through
 * /proc/self/fd (O_CLOEXEC: only the spawn's dup2 passes it on).  -1 when
 * /proc cannot reopen it. */
int region_reader(const region *r);
void region_free(region *r);

#endif
