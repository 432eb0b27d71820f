/*
 * enospc.c — a disk that fills up, for the tests, without root or a small
 * file system: an LD_PRELOAD shim over the C library's writing calls.
 * SOCLOSS_ENOSPC says how full the disk is:
 *
 *   bytes=N   the disk takes N more bytes.  What makes a regular file longer
 *             uses them: a write past its end (one that crosses the last
 *             byte is short, as on a real disk, and the next fails with
 *             ENOSPC), fallocate and posix_fallocate past its end.
 *             Rewriting bytes a file holds costs nothing, nor does ftruncate,
 *             which makes a sparse file, as on a real disk.
 *   call=N    the Nth call of write, pwrite, writev, pwritev, ftruncate,
 *             fallocate, posix_fallocate, msync, fdatasync or fsync on a
 *             regular file, and every later one, fails with ENOSPC (and
 *             writes nothing).
 *
 * Once the disk is full (no byte left, or a call has failed), statvfs and
 * fstatvfs report no free block, and a writable shared mapping of a sparse
 * file faults (SIGBUS) when touched: on a real full disk a page of it cannot
 * be allocated.  The standard streams (descriptors 0-2) and what is not a
 * regular file are never the disk.  Without SOCLOSS_ENOSPC nothing changes.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/uio.h>
#include <unistd.h>

enum { OFF, BYTES, CALLS };

static int mode = -1;               /* -1 until SOCLOSS_ENOSPC is read */
static uint64_t left;               /* BYTES: what the disk still takes */
static uint64_t nth, calls;         /* CALLS: the first failing call, the calls so far */
static int failed;                  /* CALLS: a call has failed */

static void setup(void) {
  if (mode >= 0) return;
  const char *s = getenv("SOCLOSS_ENOSPC");
  mode = OFF;
  if (s && !strncmp(s, "bytes=", 6)) {
    mode = BYTES;
    left = strtoull(s + 6, NULL, 10);
  } else if (s && !strncmp(s, "call=", 5)) {
    mode = CALLS;
    nth = strtoull(s + 5, NULL, 10);
  }
}

static int full(void) {
  setup();
  return (mode == BYTES && left == 0) || (mode == CALLS && failed);
}

/* 1 when fd is a regular file other than the standard streams: the disk. */
static int on_disk(int fd, struct stat *st) {
  setup();
  return mode != OFF && fd > 2 && fstat(fd, st) == 0 && S_ISREG(st->st_mode);
}

/* CALLS: 1 when this call is the Nth or later, which fails. */
static int call_fails(void) {
  if (mode != CALLS) return 0;
  if (++calls >= nth) failed = 1;
  return failed;
}

/* BYTES: how many of n bytes at off fit, the file being size long, and the
 * budget taken for them.  Bytes below the end are already on the disk. */
static size_t fits(off_t off, size_t n, off_t size) {
  if (mode != BYTES) return n;
  uint64_t start = (uint64_t)off > (uint64_t)size ? (uint64_t)off : (uint64_t)size;
  uint64_t end = (uint64_t)off + n, grow = end > start ? end - start : 0;
  if (grow > left) {
    n -= grow - left;
    grow = left;
  }
  left -= grow;
  return n;
}

#define REAL(ret, name, ...)                                      \
  static ret (*real)(__VA_ARGS__);                                \
  if (!real) *(void **)&real = dlsym(RTLD_NEXT, name)

static size_t iov_len(const struct iovec *iov, int cnt) {
  size_t n = 0;
  for (int i = 0; i < cnt; i++) n += iov[i].iov_len;
  return n;
}

/* A write of n bytes at off (-1: the file position) on fd: how many to let
 * through, 0 with errno ENOSPC when none, or n when the shim stays out. */
static ssize_t allowed(int fd, size_t n, off_t off) {
  struct stat st;
  if (!on_disk(fd, &st)) return (ssize_t)n;
  if (call_fails()) {
    errno = ENOSPC;
    return -1;
  }
  if (off < 0) off = (fcntl(fd, F_GETFL) & O_APPEND) ? st.st_size : lseek(fd, 0, SEEK_CUR);
  size_t k = fits(off, n, st.st_size);
  if (k == 0 && n > 0) {
    errno = ENOSPC;
    return -1;
  }
  return (ssize_t)k;
}

ssize_t write(int fd, const void *buf, size_t n) {
  REAL(ssize_t, "write", int, const void *, size_t);
  ssize_t k = allowed(fd, n, -1);
  return k < 0 ? -1 : real(fd, buf, (size_t)k);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off) {
  REAL(ssize_t, "pwrite", int, const void *, size_t, off_t);
  ssize_t k = allowed(fd, n, off);
  return k < 0 ? -1 : real(fd, buf, (size_t)k, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off) { return pwrite(fd, buf, n, off); }

/* A vector cut to k bytes (k <= its length) in out[], which has cnt slots. */
static int iov_cut(const struct iovec *iov, int cnt, size_t k, struct iovec *out) {
  int m = 0;
  for (int i = 0; i < cnt && k > 0; i++, m++) {
    out[i] = iov[i];
    if (out[i].iov_len > k) out[i].iov_len = k;
    k -= out[i].iov_len;
  }
  return m;
}

ssize_t writev(int fd, const struct iovec *iov, int cnt) {
  REAL(ssize_t, "writev", int, const struct iovec *, int);
  size_t n = iov_len(iov, cnt);
  ssize_t k = allowed(fd, n, -1);
  if (k < 0 || (size_t)k == n || cnt > 1024) return k < 0 ? -1 : real(fd, iov, cnt);
  struct iovec cut[1024];
  return real(fd, cut, iov_cut(iov, cnt, (size_t)k, cut));
}

ssize_t pwritev(int fd, const struct iovec *iov, int cnt, off_t off) {
  REAL(ssize_t, "pwritev", int, const struct iovec *, int, off_t);
  size_t n = iov_len(iov, cnt);
  ssize_t k = allowed(fd, n, off);
  if (k < 0 || (size_t)k == n || cnt > 1024) return k < 0 ? -1 : real(fd, iov, cnt, off);
  struct iovec cut[1024];
  return real(fd, cut, iov_cut(iov, cnt, (size_t)k, cut), off);
}

ssize_t pwritev64(int fd, const struct iovec *iov, int cnt, off_t off) { return pwritev(fd, iov, cnt, off); }

int ftruncate(int fd, off_t len) {
  REAL(int, "ftruncate", int, off_t);
  struct stat st;
  if (on_disk(fd, &st) && call_fails()) {
    errno = ENOSPC;
    return -1;
  }
  return real(fd, len);
}

int ftruncate64(int fd, off_t len) { return ftruncate(fd, len); }

/* An allocation of len bytes at off: 0, or ENOSPC when the disk lacks them
 * (all or nothing, as the real calls). */
static int alloc_fails(int fd, off_t off, off_t len) {
  struct stat st;
  if (!on_disk(fd, &st)) return 0;
  if (call_fails()) return 1;
  if (mode != BYTES) return 0;
  uint64_t before = left;
  if (fits(off, (size_t)len, st.st_size) == (size_t)len) return 0;
  left = before;
  return 1;
}

int fallocate(int fd, int how, off_t off, off_t len) {
  REAL(int, "fallocate", int, int, off_t, off_t);
  if (alloc_fails(fd, off, len)) {
    errno = ENOSPC;
    return -1;
  }
  return real(fd, how, off, len);
}

int fallocate64(int fd, int how, off_t off, off_t len) { return fallocate(fd, how, off, len); }

int posix_fallocate(int fd, off_t off, off_t len) {
  REAL(int, "posix_fallocate", int, off_t, off_t);
  return alloc_fails(fd, off, len) ? ENOSPC : real(fd, off, len);
}

int posix_fallocate64(int fd, off_t off, off_t len) { return posix_fallocate(fd, off, len); }

/* The syncs fail in CALLS mode only: with BYTES, the writes were refused as
 * they came, so nothing is left for a sync to find short. */
static int sync_fails(int fd) {
  struct stat st;
  if (fd >= 0 && !on_disk(fd, &st)) return 0;
  setup();
  if (!call_fails()) return 0;
  errno = ENOSPC;
  return 1;
}

int fdatasync(int fd) {
  REAL(int, "fdatasync", int);
  return sync_fails(fd) ? -1 : real(fd);
}

int fsync(int fd) {
  REAL(int, "fsync", int);
  return sync_fails(fd) ? -1 : real(fd);
}

int msync(void *addr, size_t len, int flags) {
  REAL(int, "msync", void *, size_t, int);
  return sync_fails(-1) ? -1 : real(addr, len, flags);
}

/* A writable shared mapping of a sparse file on a full disk: a mapping of an
 * empty file instead, so that the first touch faults as the real one would. */
void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off) {
  REAL(void *, "mmap", void *, size_t, int, int, int, off_t);
  struct stat st;
  if ((prot & PROT_WRITE) && (flags & MAP_SHARED) && on_disk(fd, &st) && full() &&
      (uint64_t)st.st_blocks * 512 < (uint64_t)st.st_size) {
    int empty = memfd_create("enospc", MFD_CLOEXEC);
    if (empty >= 0) {
      void *p = real(addr, len, prot, flags, empty, 0);
      close(empty);
      return p;
    }
  }
  return real(addr, len, prot, flags, fd, off);
}

void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off) {
  return mmap(addr, len, prot, flags, fd, off);
}

static void no_room(struct statvfs *st) {
  if (full()) st->f_bfree = st->f_bavail = 0;
}

int statvfs(const char *path, struct statvfs *st) {
  REAL(int, "statvfs", const char *, struct statvfs *);
  int rc = real(path, st);
  if (!rc) no_room(st);
  return rc;
}

int fstatvfs(int fd, struct statvfs *st) {
  REAL(int, "fstatvfs", int, struct statvfs *);
  int rc = real(fd, st);
  if (!rc) no_room(st);
  return rc;
}
