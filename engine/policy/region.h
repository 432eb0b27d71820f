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
  size_t populated;     /* the first this many bytes are populated (region_populate) */
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
/* The first `upto` bytes (at most the size) populated now, in one call,
 * where they are not yet: the host is about to fill them (the columns of
 * every candidate), and a 4 KiB page taken by a fault of its own costs
 * about as much as filling it (a 1M-row request: 17,000 faults).  The
 * rest stays unallocated until written, as above.  Advice only: a kernel
 * before 5.14 refuses it and the pages come as they are written. */
void region_populate(region *r, size_t upto);
void region_free(region *r);

/* The region a closed handle leaves to the next one on the same ledger.
 * Each 4 KiB page of a fresh region costs the host a first touch when it
 * writes it (on a virtual machine with shadow page tables about 5 us: a 1M-
 * candidate resolution's columns, 0.1 s); a handle closed and opened again
 * on the same ledger (a host that opens per request; bench_resolve, each
 * run) would pay it again each time, where its heap stays warm.  So the
 * process keeps one region: the last one a handle with an owner (its
 * ledger's real path) gave back, until the next handle on that ledger
 * takes it or another is kept in its place (then it is freed).  Only the
 * same owner takes it, so what it still holds of the columns (the rows past
 * the ones a request names) are that ledger's.  Thread-safe. */
/* r kept (r left empty) for `owner`; a region kept before is freed.  An
 * empty owner or r without a descriptor: r freed. */
void region_keep(region *r, const char *owner);
/* The kept region into r, when it was kept for `owner` and has at least
 * `least` bytes: 0; else -1 and r untouched. */
int region_take(region *r, const char *owner, size_t least);
/* The kept region freed (tests). */
void region_forget(void);

#endif
