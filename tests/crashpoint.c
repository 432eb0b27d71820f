/*
 * crashpoint.c — a process killed at an exact point of its writing, for the
 * tests (tests/cli/crashpoints.t): an LD_PRELOAD shim over the C library's
 * calls that put data on the disk.  SOCLOSS_CRASHPOINT says what to do:
 *
 *   count=FILE   count the calls and write one line per call to FILE when
 *                the process exits: "N CALL FD BYTES OFFSET" (OFFSET -1 for
 *                a write at the file position; BYTES and OFFSET 0 for a sync)
 *   before=N     at the Nth call, before it does anything: SIGKILL to itself
 *   after=N      at the Nth call, once it has returned: SIGKILL to itself
 *
 * The calls: write, pwrite, writev, pwritev (and their 64 forms), fdatasync,
 * fsync and msync, on regular files other than the standard streams (a
 * socket to the evaluator, a pipe or a terminal is not the disk; msync has
 * no descriptor and always counts).  Inside LMDB's commit they are the
 * pages (pwrite, or lseek + writev for runs of them), the data file's
 * fdatasync, then the meta page (a pwrite to a descriptor opened O_DSYNC,
 * at an offset within the first two pages), which is the commit point.
 *
 * SIGKILL cannot be caught: the process stops there as it would at a power
 * cut of the process alone (the kernel's page cache keeps what was written).
 * The evaluator is started with an empty environment, so the shim never
 * reaches it.  Without SOCLOSS_CRASHPOINT nothing changes.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

enum { OFF, COUNT, BEFORE, AFTER };

static int mode = -1;          /* -1 until SOCLOSS_CRASHPOINT is read */
static uint64_t nth, calls;
static char count_file[4096];

/* The calls seen in count mode, written out at exit. */
typedef struct seen {
  const char *call;
  int fd;
  uint64_t bytes;
  int64_t offset;
} seen;
static seen *log_v;
static size_t log_n, log_cap;

#define REAL(ret, name, ...)                                      \
  static ret (*real)(__VA_ARGS__);                                \
  if (!real) *(void **)&real = dlsym(RTLD_NEXT, name)

static void flush_count(void) {
  if (mode != COUNT) return;
  int fd = (int)syscall(SYS_open, count_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  char line[160];
  for (size_t i = 0; i < log_n; i++) {
    int n = snprintf(line, sizeof line, "%zu %s %d %llu %lld\n", i + 1, log_v[i].call, log_v[i].fd,
                     (unsigned long long)log_v[i].bytes, (long long)log_v[i].offset);
    if (syscall(SYS_write, fd, line, (size_t)n) != n) break;
  }
  syscall(SYS_close, fd);
}

static void setup(void) {
  if (mode >= 0) return;
  const char *s = getenv("SOCLOSS_CRASHPOINT");
  mode = OFF;
  if (!s) return;
  if (!strncmp(s, "count=", 6) && s[6]) {
    snprintf(count_file, sizeof count_file, "%s", s + 6);
    mode = COUNT;
    atexit(flush_count);
  } else if (!strncmp(s, "before=", 7)) {
    mode = BEFORE;
    nth = strtoull(s + 7, NULL, 10);
  } else if (!strncmp(s, "after=", 6)) {
    mode = AFTER;
    nth = strtoull(s + 6, NULL, 10);
  }
}

static int counted(int fd) {
  struct stat st;
  setup();
  return mode != OFF && (fd < 0 || (fd > 2 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)));
}

static void die(void) {
  syscall(SYS_kill, (long)getpid(), (long)SIGKILL);
  for (;;) pause();
}

/* Before a counted call: its number, and the kill when it is the one. */
static uint64_t enter(const char *call, int fd, uint64_t bytes, int64_t offset) {
  uint64_t k = ++calls;
  if (mode == COUNT) {
    if (log_n == log_cap) {
      size_t cap = log_cap ? 2 * log_cap : 256;
      seen *v = realloc(log_v, cap * sizeof *v);
      if (!v) abort();
      log_v = v;
      log_cap = cap;
    }
    log_v[log_n++] = (seen){call, fd, bytes, offset};
  }
  if (mode == BEFORE && k == nth) die();
  return k;
}

static void leave(uint64_t k) {
  if (mode == AFTER && k == nth) die();
}

static uint64_t iov_len(const struct iovec *iov, int cnt) {
  uint64_t n = 0;
  for (int i = 0; i < cnt; i++) n += iov[i].iov_len;
  return n;
}

ssize_t write(int fd, const void *buf, size_t n) {
  REAL(ssize_t, "write", int, const void *, size_t);
  if (!counted(fd)) return real(fd, buf, n);
  uint64_t k = enter("write", fd, n, -1);
  ssize_t r = real(fd, buf, n);
  leave(k);
  return r;
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off) {
  REAL(ssize_t, "pwrite", int, const void *, size_t, off_t);
  if (!counted(fd)) return real(fd, buf, n, off);
  uint64_t k = enter("pwrite", fd, n, off);
  ssize_t r = real(fd, buf, n, off);
  leave(k);
  return r;
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off) { return pwrite(fd, buf, n, off); }

ssize_t writev(int fd, const struct iovec *iov, int cnt) {
  REAL(ssize_t, "writev", int, const struct iovec *, int);
  if (!counted(fd)) return real(fd, iov, cnt);
  uint64_t k = enter("writev", fd, iov_len(iov, cnt), -1);
  ssize_t r = real(fd, iov, cnt);
  leave(k);
  return r;
}

ssize_t pwritev(int fd, const struct iovec *iov, int cnt, off_t off) {
  REAL(ssize_t, "pwritev", int, const struct iovec *, int, off_t);
  if (!counted(fd)) return real(fd, iov, cnt, off);
  uint64_t k = enter("pwritev", fd, iov_len(iov, cnt), off);
  ssize_t r = real(fd, iov, cnt, off);
  leave(k);
  return r;
}

ssize_t pwritev64(int fd, const struct iovec *iov, int cnt, off_t off) { return pwritev(fd, iov, cnt, off); }

int fdatasync(int fd) {
  REAL(int, "fdatasync", int);
  if (!counted(fd)) return real(fd);
  uint64_t k = enter("fdatasync", fd, 0, 0);
  int r = real(fd);
  leave(k);
  return r;
}

int fsync(int fd) {
  REAL(int, "fsync", int);
  if (!counted(fd)) return real(fd);
  uint64_t k = enter("fsync", fd, 0, 0);
  int r = real(fd);
  leave(k);
  return r;
}

int msync(void *addr, size_t len, int flags) {
  REAL(int, "msync", void *, size_t, int);
  if (!counted(-1)) return real(addr, len, flags);
  uint64_t k = enter("msync", -1, len, 0);
  int r = real(addr, len, flags);
  leave(k);
  return r;
}
