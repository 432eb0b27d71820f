/*
 * smaps.h — what /proc/self/smaps says of an address, for the tests of
 * memory advice (blocks.c and its users).
 */
#ifndef SOCLOSS_TEST_SMAPS_H
#define SOCLOSS_TEST_SMAPS_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Whether the mapping holding p carries the huge-page advice: "hg" among
 * its VmFlags in /proc/self/smaps (set by madvise(MADV_HUGEPAGE), whether
 * or not the kernel then finds huge pages for it). */
static inline int advised_huge(const void *p) {
  FILE *f = fopen("/proc/self/smaps", "r");
  if (!f) return -1;
  char line[512];
  int in = 0, hg = 0;
  while (fgets(line, sizeof line, f)) {
    unsigned long lo, hi;
    if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' '))
      in = (uintptr_t)p >= lo && (uintptr_t)p < hi;
    else if (in && !strncmp(line, "VmFlags:", 8)) {
      hg = strstr(line, " hg") != NULL;
      break;
    }
  }
  fclose(f);
  return hg;
}

/* The KiB of the mapping holding p that are mapped into this process
 * ("Rss:" in /proc/self/smaps): a page written through a file (pwrite) is
 * in the file's page cache, not mapped here until touched; -1 when p is in
 * no mapping. */
static inline long mapped_kib(const void *p) {
  FILE *f = fopen("/proc/self/smaps", "r");
  if (!f) return -1;
  char line[512];
  int in = 0;
  long kib = -1;
  while (fgets(line, sizeof line, f)) {
    unsigned long lo, hi;
    if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' '))
      in = (uintptr_t)p >= lo && (uintptr_t)p < hi;
    else if (in && sscanf(line, "Rss: %ld kB", &kib) == 1)
      break;
  }
  fclose(f);
  return kib;
}

/* The first 2 MiB boundary at or after p: where blocks_advise_huge's advice
 * on a block starting at p begins. */
static inline const void *huge_inside(const void *p) {
  const uintptr_t huge = (uintptr_t)2 << 20;
  return (const void *)(((uintptr_t)p + huge - 1) & ~(huge - 1));
}

#endif
