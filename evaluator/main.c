/*
 * socloss-eval — the policy evaluator process (the outer sandbox layer).
 *
 * The ledger process starts it with a socket on stdin and stdout and
 * nothing else, sends one request at a time and reads one response; it
 * kills this process at the deadline and restarts it after any fault.
 * Every answer names the interpreter: Lua's release and the build id, the
 * SHA-256 of this executable (Lua linked in), hashed once at start-up.
 * Then, before reading anything, the process drops what a policy could abuse if
 * it ever escaped the Lua layer: no new privileges, tight rlimits (no files,
 * no processes, no core dumps), every other descriptor closed, an empty
 * environment, and on x86-64 a seccomp filter that allows only reading,
 * writing and memory management.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <lua.h>
#include <malloc.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "blocks.h"
#include "buildid.h"
#include "evalproto.h"
#include "sandbox.h"

#define MARKETS_MAX 256

static void limit(int resource, rlim_t v) {
  struct rlimit r = {v, v};
  setrlimit(resource, &r);
}

#if defined(__x86_64__)
#define ALLOW(nr) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)

static int seccomp_filter(void) {
  struct sock_filter f[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      ALLOW(SYS_read), ALLOW(SYS_write), ALLOW(SYS_exit), ALLOW(SYS_exit_group),
      ALLOW(SYS_brk), ALLOW(SYS_mmap), ALLOW(SYS_munmap), ALLOW(SYS_mremap),
      ALLOW(SYS_madvise), ALLOW(SYS_rt_sigreturn), ALLOW(SYS_clock_gettime),
      ALLOW(SYS_getrandom), ALLOW(SYS_sysinfo), /* glibc's qsort asks for the memory size once */
      ALLOW(SYS_sigaltstack), /* AddressSanitizer asks on every longjmp (a Lua error) */
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
  };
  struct sock_fprog prog = {(unsigned short)(sizeof f / sizeof f[0]), f};
  return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}
#else
static int seccomp_filter(void) { return -1; }
#endif

#define RETAIN (32 << 20) /* freed heap kept between calls, bytes */

static void harden(void) {
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  for (int fd = 3; fd < 1024; fd++) close(fd);
  clearenv();
  if (chdir("/") != 0) _exit(71);
  limit(RLIMIT_CORE, 0);
  limit(RLIMIT_FSIZE, 0);
  limit(RLIMIT_NOFILE, 3);
  limit(RLIMIT_NPROC, 0);
  /* RLIMIT_AS is the host's to set, before each request and sized to it
   * (engine/policy/policy.c): the filter below keeps setrlimit out. */
  seccomp_filter();  /* where the kernel allows; the other layers hold without it */
}

/* The shared region (docs/design.md §8): with "--region", descriptor 3 is
 * the host's memfd reopened read-only.  Mapped here, before harden() closes
 * it and before the filter (fstat is not in it; mmap is): PROT_READ and
 * MAP_SHARED, which is all a read-only descriptor allows — the kernel
 * refuses PROT_WRITE for it, then and through mprotect later, so nothing
 * in this process can change the bytes the host reads back.  A region that
 * must grow is a new memfd and a new evaluator: the mapping never changes
 * while the process lives.  NULL, 0 when there is none or it cannot be
 * mapped (a request naming it is then refused as malformed). */
static const unsigned char *region;
static size_t region_size;

static void map_region(void) {
  struct stat st;
  if (fstat(3, &st) != 0 || st.st_size < EVAL_REGION_HEADER) return;
  void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, 3, 0);
  if (p == MAP_FAILED) return;
  region = p;
  region_size = (size_t)st.st_size;
}

/* Signs the answer with this interpreter and sends it to the host. */
static int write_answer(eval_response *rs, void *build_id) {
  snprintf(rs->lua_release, sizeof rs->lua_release, "%s", LUA_RELEASE);
  memcpy(rs->build_id, build_id, sizeof rs->build_id);
  return evalproto_write_response(1, rs);
}

int main(int argc, char **argv) {
  /* A terminal's Ctrl-C reaches the whole foreground process group: the
   * host decides what an interrupt means (simulate stops after the deficit
   * in hand and prints its figures), so the decision in hand is finished,
   * not lost.  Closing the socket still ends this process. */
  signal(SIGINT, SIG_IGN);
  /* Each call's Lua state is made and freed whole: glibc would hand the
   * freed top of the heap back at once and fault it in again on the next
   * call (a deficit of a 100k-account cascade: about 2,000 faults a call,
   * 8% of its time).  Kept instead, up to RETAIN bytes (inside the 64 MiB
   * the host's address-space limit leaves for the program: policy.c,
   * space_for).  Blocks of BLOCKS_BIG bytes and up are blocks.c's, mapped
   * on their own; below that malloc keeps to the heap, so the threshold
   * does not move with what a call frees. */
  mallopt(M_MMAP_THRESHOLD, (int)BLOCKS_BIG);
  mallopt(M_TRIM_THRESHOLD, RETAIN);
  if (argc == 2 && !strcmp(argv[1], "--region")) {
    map_region();
  } else if (argc != 1) {
    fputs("socloss-eval: run by libsocloss, not by hand\n", stderr);
    return 2;
  }
  /* jansson seeds its hash tables from /dev/urandom on first use: a fixed
   * seed keeps that file closed (and seccomp happy) */
  json_object_seed(1);
  /* which interpreter this is, for every decision it makes: read before
   * harden(), after which no file opens (the path it was started by when
   * /proc is not mounted) */
  static char build_id[65];
  buildid_of_file("/proc/self/exe", build_id);
  if (!build_id[0] && argv[0]) buildid_of_file(argv[0], build_id);
  harden();
  static eval_market markets[MARKETS_MAX];
  for (;;) {
    void *in;
    size_t len;
    int rc = evalproto_read_frame(0, &in, &len);
    if (rc == 1) return 0;  /* the ledger process closed the socket */
    if (rc) return 3;
    eval_request rq;
    eval_response rs;
    char why[256];
    int bad;
    if (evalproto_decode_request_in(in, len, &rq, markets, MARKETS_MAX, region, region_size, why, sizeof why)) {
      memset(&rs, 0, sizeof rs);
      rs.status = EVAL_PROTOCOL;
      snprintf(rs.message, sizeof rs.message, "malformed request: %s", why);
      bad = write_answer(&rs, build_id);
    } else {
      bad = sandbox_run(&rq, &rs, write_answer, build_id);
    }
    free(in);
    if (bad) return 4;
  }
}
