/*
 * policy.c — starts, feeds and, when it must, kills the evaluator process.
 *
 * The evaluator talks over one AF_UNIX socket pair, non-blocking on our
 * side, with every wait bounded by the call's deadline: a policy that loops
 * inside a C call, or anything else that keeps the evaluator from answering,
 * ends with SIGKILL.  A dead evaluator is a refused policy, never a dead
 * host: sends use MSG_NOSIGNAL, so no SIGPIPE.  Started with posix_spawn
 * (safe in threaded hosts) and an empty environment.
 *
 * Before each request the evaluator gets an address-space limit
 * (RLIMIT_AS, through prlimit) sized to that request, so that whatever a
 * policy makes it allocate, inside the Lua allocator's budget or not, has
 * a ceiling.  It is set from here rather than by the evaluator itself: the
 * host is the party that trusts the limits, the limit is in place before the
 * request is even read, and the evaluator's seccomp filter need not allow
 * setrlimit (so a policy that escaped Lua could not lift it either).
 */
#define _GNU_SOURCE
#include "policy.h"

#include <errno.h>
#include <dlfcn.h>
#include <link.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <spawn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "blocks.h"
#include "text.h"

#define GRACE_MS 500  /* past the evaluator's own deadline, before SIGKILL */

/* AddressSanitizer reserves terabytes of address space for its shadow: an
 * evaluator built with it (as the library, in a sanitizer build) cannot run
 * under any RLIMIT_AS, so such a build leaves the limit out. */
#if defined(__SANITIZE_ADDRESS__)
#define SPACE_LIMITED 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SPACE_LIMITED 0
#endif
#endif
#ifndef SPACE_LIMITED
#define SPACE_LIMITED 1
#endif

static uint64_t now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
}

/* The file of the image that holds this code: the shared library's path
 * as it was loaded, or the program's own (a program linked with
 * libsocloss.a).  dladdr names the program by its argv[0], which may be a
 * bare name found on the PATH or relative to a directory since left, so the
 * program is found through /proc/self/exe instead.  -1 when neither says. */
static int image_path(char *out, size_t len) {
  Dl_info info;
  struct link_map *map = NULL;
  if (dladdr1((void *)image_path, &info, (void **)&map, RTLD_DL_LINKMAP) && map && map->l_name &&
      map->l_name[0]) {
    snprintf(out, len, "%s", map->l_name);
    return 0;
  }
  ssize_t n = readlink("/proc/self/exe", out, len - 1);
  if (n <= 0 || (size_t)n >= len - 1) return -1;
  out[n] = 0;
  return 0;
}

/* The evaluator program when the options name none: $SOCLOSS_EVALUATOR
 * when it is set and not empty (read with secure_getenv: a set-user-ID host
 * never runs a program its caller names), else beside the image that holds
 * this library (a build tree, or a program linked statically), then in
 * ../libexec from it (an installed libsocloss.so, or a program installed in
 * the same prefix's bin), then where it was installed. */
void evaluator_default_path(char *out, size_t len) {
  const char *env = secure_getenv("SOCLOSS_EVALUATOR");
  if (env && *env) {
    snprintf(out, len, "%s", env);
    return;
  }
  char image[4096];
  if (image_path(image, sizeof image) == 0) {
    const char *slash = strrchr(image, '/');
    int dir = slash ? (int)(slash - image) : 0;
    snprintf(out, len, "%.*s/socloss-eval", dir, image);
    if (slash && access(out, X_OK) == 0) return;
    snprintf(out, len, "%.*s/../libexec/socloss-eval", dir, image);
    if (slash && access(out, X_OK) == 0) return;
  }
  snprintf(out, len, "%s", SOCLOSS_DEFAULT_EVALUATOR);
}

void evaluator_init(evaluator *ev, const char *path) {
  memset(ev, 0, sizeof *ev);
  ev->fd = -1;
  ev->shm.fd = -1;
  ev->held.fd = -1;
  snprintf(ev->path, sizeof ev->path, "%s", path);
  /* the copying path on request: to compare the two, or to rule the region
   * out when looking for a fault (read like SOCLOSS_EVALUATOR) */
  const char *copy = secure_getenv("SOCLOSS_EVAL_COPY");
  ev->copy = copy && *copy && strcmp(copy, "0");
}

/* Reaps the process; *status as waitpid gives it. */
static void reap(evaluator *ev, int *status) {
  int st = 0;
  if (ev->fd >= 0) close(ev->fd);
  ev->fd = -1;
  if (ev->pid > 0) {
    kill(ev->pid, SIGKILL);
    while (waitpid(ev->pid, &st, 0) < 0 && errno == EINTR) {
    }
  }
  ev->pid = 0;
  if (status) *status = st;
}

/* The region let go: unmapped, or kept in ev->held while what
 * evaluator_place handed out of it may still be read. */
static void region_drop(evaluator *ev) {
  if (ev->pinned && ev->shm.fd >= 0 && ev->held.fd < 0) {
    ev->held = ev->shm;
    ev->shm = (region){.fd = -1};
  } else {
    region_free(&ev->shm);
  }
}

static void unpin(evaluator *ev) {
  ev->pinned = 0;
  region_free(&ev->held);
}

void evaluator_stop(evaluator *ev) {
  reap(ev, NULL);
  region_free(&ev->shm);
  unpin(ev);
}

void evaluator_close(evaluator *ev) {
  reap(ev, NULL);
  region_keep(&ev->shm, ev->owner);
  unpin(ev);
}

/* The copying path from now on, for a reason the log gives once. */
static void copy_from_now(evaluator *ev, const char *why) {
  region_drop(ev);
  ev->copy = 1;
  log_say(&ev->log, "evaluator: the candidates' columns go in the requests from now on (%s)", why);
}

/* A region of at least `need` bytes (a quarter more, in whole pages, so
 * that a ledger growing a little does not replace it each call).  The
 * running evaluator maps the old one: it is stopped and the next call
 * starts it with the new one (not a fault: not counted as a restart). */
static void region_ensure(evaluator *ev, uint64_t need) {
  if (ev->copy || (ev->shm.fd >= 0 && need <= ev->shm.size)) return;
  uint64_t want = need + need / 4;
  want = want < REGION_MIN ? REGION_MIN : (want + 4095) & ~(uint64_t)4095;
  if (want > SIZE_MAX / 2) {
    copy_from_now(ev, "a region that large cannot be mapped");
    return;
  }
  if (ev->pid) {
    reap(ev, NULL);
    ev->started = 0;  /* a planned start, not a fault's */
  }
  region_drop(ev);
  ev->shm_given = 0;
  char msg[200];
  /* the region this ledger's last handle left, when it is large enough
   * (its pages already mapped here: region_keep) */
  if (region_take(&ev->shm, ev->owner, (size_t)need) && region_make(&ev->shm, (size_t)want, msg, sizeof msg))
    copy_from_now(ev, msg);
}
unsigned char *evaluator_place(evaluator *ev, uint64_t need) {
  unpin(ev);
  if (ev->native || ev->copy) return NULL;
  region_ensure(ev, need);
  if (ev->copy || ev->shm.fd < 0 || need > ev->shm.size) return NULL;
  region_populate(&ev->shm, (size_t)need);
  ev->pinned = 1;
  return ev->shm.base;
}

static int start(evaluator *ev, char *msg, size_t msglen) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    snprintf(msg, msglen, "cannot create the evaluator socket: %s", strerror(errno));
    return -1;
  }
  /* the region, read-only, as descriptor 3 ("--region"): reopened through
   * /proc, so the evaluator never holds a descriptor that could write it;
   * moved to 4 or above first, clear of 0-3, which the actions below set */
  int reader = -1;
  if (!ev->copy && ev->shm.fd >= 0) {
    int ro = region_reader(&ev->shm);
    reader = ro >= 0 ? fcntl(ro, F_DUPFD_CLOEXEC, 4) : -1;
    if (ro >= 0) close(ro);
    if (reader < 0) copy_from_now(ev, "the region cannot be reopened read-only through /proc/self/fd");
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, sv[1], 0);
  posix_spawn_file_actions_adddup2(&fa, sv[1], 1);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  if (reader >= 0) posix_spawn_file_actions_adddup2(&fa, reader, 3);
  char *argv[] = {ev->path, reader >= 0 ? "--region" : NULL, NULL}, *envp[] = {NULL};
  pid_t pid;
  int rc = posix_spawn(&pid, ev->path, &fa, NULL, argv, envp);
  posix_spawn_file_actions_destroy(&fa);
  close(sv[1]);
  if (reader >= 0) close(reader);
  ev->shm_given = reader >= 0 && rc == 0;
  if (rc != 0) {
    close(sv[0]);
    /* posix_spawn reports exec's own errno: no program there is a missing
     * evaluator, which the host's installation must fix, not a crash */
    snprintf(msg, msglen, "the evaluator %.300s %s: %s", ev->path,
             rc == ENOENT || rc == ENOTDIR ? "is missing" : "cannot be started", strerror(rc));
    log_say(&ev->log, "%s", msg);
    return -1;
  }
  /* every start after the first follows a fault (a crash, a kill at the
   * deadline, a broken answer): counted for socloss_stats */
  if (ev->started) __atomic_fetch_add(&ev->restarts, 1, __ATOMIC_RELAXED);
  ev->started = 1;
  fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
  ev->pid = pid;
  ev->fd = sv[0];
  ev->space = 0;
  log_say(&ev->log, "evaluator %s started (pid %d)", ev->path, (int)pid);
  return 0;
}

/* Waits for fd to be ready until deadline (µs); 0 ready, -1 timed out. */
static int wait_fd(int fd, short events, uint64_t deadline) {
  for (;;) {
    uint64_t t = now_us();
    if (t >= deadline) return -1;
    struct pollfd p = {fd, events, 0};
    int n = poll(&p, 1, (int)((deadline - t + 999) / 1000));
    if (n > 0) return 0;
    if (n < 0 && errno != EINTR) return 0;  /* let the read or write report it */
  }
}

/* 0 done, -1 peer gone, -2 deadline */
static int send_all(int fd, const void *p, size_t n, uint64_t deadline) {
  const char *c = p;
  while (n) {
    ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
    if (w > 0) {
      c += w;
      n -= (size_t)w;
    } else if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (wait_fd(fd, POLLOUT, deadline)) return -2;
    } else {
      return -1;
    }
  }
  return 0;
}

static int recv_all(int fd, void *p, size_t n, uint64_t deadline) {
  char *c = p;
  while (n) {
    ssize_t r = recv(fd, c, n, 0);
    if (r > 0) {
      c += r;
      n -= (size_t)r;
    } else if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (wait_fd(fd, POLLIN, deadline)) return -2;
    } else {
      return -1;
    }
  }
  return 0;
}

static int fault(evaluator *ev, int how, eval_response *rs, uint64_t wall_ms) {
  int st;
  reap(ev, &st);
  memset(rs, 0, sizeof *rs);
  if (how == -2) {
    rs->status = EVAL_KILLED;
    snprintf(rs->message, sizeof rs->message,
             "time budget exceeded: the evaluator did not answer within %llu ms and was killed",
             (unsigned long long)(wall_ms + GRACE_MS));
  } else if (WIFSIGNALED(st) && WTERMSIG(st) != SIGKILL) {
    rs->status = EVAL_CRASH;
    snprintf(rs->message, sizeof rs->message, "the evaluator crashed (signal %d: %s)", WTERMSIG(st),
             strsignal(WTERMSIG(st)));
  } else if (WIFSIGNALED(st)) {
    rs->status = EVAL_CRASH;
    snprintf(rs->message, sizeof rs->message, "the evaluator was killed (signal %d)", WTERMSIG(st));
  } else if (WIFEXITED(st) && WEXITSTATUS(st) == 70) {
    rs->status = EVAL_CRASH;
    snprintf(rs->message, sizeof rs->message, "the evaluator aborted (Lua panic)");
  } else {
    rs->status = EVAL_PROTOCOL;
    snprintf(rs->message, sizeof rs->message, "the evaluator stopped answering (exit %d)",
             WIFEXITED(st) ? WEXITSTATUS(st) : -1);
  }
  log_say(&ev->log, "evaluator stopped: %s", rs->message);
  return rs->status;
}

/* The address space the evaluator may use for request rq of len bytes:
 * the policy's memory budget and a quarter more (the C allocator's own
 * overhead), four times a test file's data (the JSON, its buffer's slack,
 * its encoded copy), 64 MiB for the program, its libraries and its stack,
 * and what the request brings.  Copied: three times the request (the frame
 * it reads, the answer and its encoded copy, each at most the request's
 * size: an action is 24 bytes, the request holds more than that per
 * candidate and market, and the zero column it may add is smaller).
 * Shared: the frame, the region's mapping (all of it: mapped at start),
 * twice the longest answer (the actions and their encoded copy) and the
 * zero column. */
static uint64_t space_for(const evaluator *ev, const eval_request *rq, size_t len, int shared) {
  uint64_t memory = rq->limits.memory;
  uint64_t base = ((uint64_t)64 << 20) + memory + memory / 4 + 4 * (uint64_t)EVAL_DATA_MAX;
  uint64_t mapped = ev->shm_given ? ev->shm.size : 0;
  if (!shared) return base + 3 * (uint64_t)len + mapped;
  return base + len + mapped + 2 * evalproto_response_max(rq) + rq->c.n * sizeof(int64_t);
}

/* Sets the evaluator's RLIMIT_AS (the soft limit, within the hard one it
 * inherited) when it changes.  A host that may not (a seccomp profile
 * without prlimit) is told through the log, once for each value; the Lua
 * budget still holds. */
static void limit_space(evaluator *ev, uint64_t want) {
  if (!SPACE_LIMITED || want == ev->space) return;
  ev->space = want;
  struct rlimit r;
  if (prlimit(ev->pid, RLIMIT_AS, NULL, &r) == 0) {
    r.rlim_cur = r.rlim_max != RLIM_INFINITY && want > r.rlim_max ? r.rlim_max : want;
    if (prlimit(ev->pid, RLIMIT_AS, &r, NULL) == 0) return;
  }
  log_say(&ev->log, "evaluator %d: cannot limit its address space: %s", (int)ev->pid, strerror(errno));
}

/* How many bytes process pid maps now (VmSize, /proc/PID/statm's first
 * field), or 0 when /proc does not say. */
static uint64_t mapped_now(pid_t pid) {
  char path[64];
  unsigned long long pages = 0;
  snprintf(path, sizeof path, "/proc/%d/statm", (int)pid);
  FILE *f = fopen(path, "re");
  if (f && fscanf(f, "%llu", &pages) != 1) pages = 0;
  if (f) fclose(f);
  return (uint64_t)pages * (uint64_t)sysconf(_SC_PAGESIZE);
}

/* A limit lowered below what the evaluator maps already would leave it no
 * room to allocate: glibc keeps the top of its heap where an earlier call
 * with a larger budget left it (after 1.5M small tables under 512 MiB, 165
 * MB), more than the 89 MB a call under 1 MiB is given.  Such an evaluator
 * is started afresh, a planned start (not a fault's), before the request
 * is sent (with the same region, which holds the request already).  0, or
 * 1 when it could not be started (msg says why). */
static int fits_space(evaluator *ev, uint64_t want, char *msg, size_t msglen) {
  if (!SPACE_LIMITED || !ev->pid || want >= ev->space) return 0;
  uint64_t now = mapped_now(ev->pid);
  if (!now || now < want) return 0;
  log_say(&ev->log, "evaluator %d: maps %llu bytes, more than the %llu this request allows: started afresh",
          (int)ev->pid, (unsigned long long)now, (unsigned long long)want);
  reap(ev, NULL);
  ev->started = 0;
  return start(ev, msg, msglen);
}

/* An answer that breaks the protocol: the evaluator is stopped (it is
 * started again on the next call) and the failure says why. */
static int broken(evaluator *ev, eval_response *rs, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int broken(evaluator *ev, eval_response *rs, const char *fmt, ...) {
  va_list ap;
  reap(ev, NULL);
  memset(rs, 0, sizeof *rs);
  rs->status = EVAL_PROTOCOL;
  va_start(ap, fmt);
  vsnprintf(rs->message, sizeof rs->message, fmt, ap);
  va_end(ap);
  log_say(&ev->log, "evaluator stopped: %s", rs->message);
  return rs->status;
}

int evaluator_call(evaluator *ev, const eval_request *rq, eval_response *rs, void **buf,
                   uint64_t *elapsed_us) {
  uint64_t t0 = now_us();
  *buf = NULL;
  memset(rs, 0, sizeof *rs);
  if (ev->native) {
    ev->native(rq, rs);
    *buf = (void *)rs->actions;
    if (elapsed_us) *elapsed_us = now_us() - t0;
    return rs->status;
  }
  /* a request with candidates sends them through the region, when there
   * is one or can be; one without (a load check, a test file) in the frame */
  if (rq->c.n) region_ensure(ev, evalproto_region_need(rq, ev->shm.base, ev->shm.size));
  else if (!ev->copy && ev->shm.fd < 0 && ev->pid == 0) region_ensure(ev, 0);
  if (ev->pid == 0 && start(ev, rs->message, sizeof rs->message)) {
    rs->status = EVAL_MISSING;
    return rs->status;
  }
  codec_buf b = {0};
  int shared = rq->c.n && !ev->copy && ev->shm_given;
  if (shared) {
    /* only the host writes the region, and only here, between calls: the
     * evaluator reads it while it answers, and it answers one at a time */
    ev->generation++;
    if (evalproto_encode_request_shared(&b, rq, ev->shm.base, ev->shm.size, ev->shm.fd, ev->generation)) b.oom = 1;
  } else {
    evalproto_encode_request(&b, rq);
  }
  if (b.oom) {
    codec_buf_free(&b);
    rs->status = EVAL_PROTOCOL;
    snprintf(rs->message, sizeof rs->message, "out of memory encoding the request");
    return rs->status;
  }
  uint64_t space = space_for(ev, rq, b.len, shared);
  if (fits_space(ev, space, rs->message, sizeof rs->message) || (shared && !ev->shm_given)) {
    codec_buf_free(&b);
    rs->status = EVAL_MISSING;
    return rs->status;
  }
  limit_space(ev, space);
  /* sending may take a while for millions of candidates: it has its own
   * allowance; the policy's deadline starts when the evaluator has it */
  uint64_t n = b.len;
  int how = send_all(ev->fd, &n, sizeof n, t0 + 10000000u);
  if (!how) how = send_all(ev->fd, b.p, b.len, t0 + 10000000u);
  codec_buf_free(&b);
  if (how) return fault(ev, how, rs, rq->limits.wall_ms);
  uint64_t deadline = now_us() + (rq->limits.wall_ms + GRACE_MS) * 1000u;
  how = recv_all(ev->fd, &n, sizeof n, deadline);
  /* what the request can legitimately get back bounds what is allocated:
   * a length past it is a broken protocol, not memory to give */
  uint64_t most = evalproto_response_max(rq);
  if (!how && n > most)
    return broken(ev, rs, "the evaluator's answer of %llu bytes is over the %llu bytes this request allows",
                  (unsigned long long)n, (unsigned long long)most);
  void *p = how ? NULL : blocks_malloc(n ? n : 1);  /* a large answer: huge pages */
  if (!how && !p) how = -1;
  if (!how) how = recv_all(ev->fd, p, n, deadline);
  if (how) {
    free(p);
    return fault(ev, how, rs, rq->limits.wall_ms);
  }
  if (evalproto_decode_response(p, n, rs)) {
    free(p);
    return broken(ev, rs, "the evaluator's answer is malformed");
  }
  if (rs->status == EVAL_MISSING) {  /* only the host tells that */
    free(p);
    return broken(ev, rs, "the evaluator answered with status %d, which only the host sets", EVAL_MISSING);
  }
  size_t actions_max = evalproto_actions_max(rq), data_max = rq->fn == EVAL_FN_DATA ? EVAL_DATA_MAX : 0;
  if (rs->nactions > actions_max || rs->data_len > data_max) {
    size_t got = rs->nactions > actions_max ? rs->nactions : rs->data_len;
    int actions = rs->nactions > actions_max;
    free(p);
    return broken(ev, rs, "the evaluator's answer holds %zu %s, more than the %zu this request allows", got,
                  actions ? "actions" : "bytes of data", actions ? actions_max : data_max);
  }
  *buf = p;
  if (rs->build_id[0] || rs->lua_release[0]) {
    memcpy(ev->lua_release, rs->lua_release, sizeof ev->lua_release);
    memcpy(ev->build_id, rs->build_id, sizeof ev->build_id);
  }
  if (elapsed_us) *elapsed_us = now_us() - t0;
  return 0;
}

const char *eval_status_text(int status) {
  switch (status) {
    case EVAL_OK: return "ok";
    case EVAL_LOAD: return "does not load";
    case EVAL_ERROR: return "raised an error";
    case EVAL_INSTRUCTIONS: return "exceeded its instruction budget";
    case EVAL_MEMORY: return "exceeded its memory budget";
    case EVAL_TIME: return "exceeded its time budget";
    case EVAL_RESULT: return "returned an invalid result";
    case EVAL_CRASH: return "crashed the evaluator";
    case EVAL_KILLED: return "was killed at the deadline";
    case EVAL_MISSING: return "could not run";
    default: return "broke the evaluator protocol";
  }
}

int stats_get_run(socloss *led, socloss_stats *out) {
  int rc = stats_copy(led, out);
  if (rc) return rc;
  /* counted by the evaluator's starts, which any write call may make */
  uint64_t restarts = __atomic_load_n(&led->ev->restarts, __ATOMIC_RELAXED);
  if (out->size >= offsetof(socloss_stats, evaluator_restarts) + sizeof restarts)
    out->evaluator_restarts = restarts;
  return SOCLOSS_OK;
}

void policy_label(const policy_src *p, char *out, size_t len) {
  if (p->name[0]) snprintf(out, len, "policy '%s' (%.12s)", p->name, p->hash);
  else snprintf(out, len, "policy (%.12s)", p->hash);
}

int policy_named(const socloss *led, policy_src *p) {
  const evaluator *ev = led->ev;
  for (size_t k = 0; ev && k < SOURCE_NAMES; k++)
    if (!strcmp(ev->names[k].hash, p->hash)) {
      snprintf(p->where, sizeof p->where, "%s", ev->names[k].name);
      return 1;
    }
  snprintf(p->where, sizeof p->where, "policy");
  return 0;
}

const char *policy_where(const policy_src *p, const char *msg, char *out, size_t cap) {
  /* Lua's "policy:LINE: ..." and constants.c's "policy: the main chunk ...":
   * the name the sandbox gives every chunk, at the message's start */
  int located = !strncmp(msg, "policy:", 7) && ((msg[7] >= '0' && msg[7] <= '9') || msg[7] == ' ');
  if (located && p->where[0] && strcmp(p->where, "policy")) snprintf(out, cap, "%s:%s", p->where, msg + 7);
  else snprintf(out, cap, "%s", msg);
  return out;
}

const char *policy_journal_text(const evaluator *ev, const char *msg, char *out, size_t cap) {
  const char *slash = ev ? strrchr(ev->path, '/') : NULL;
  size_t plen = slash ? strlen(ev->path) : 0, o = 0;
  if (!cap) return out;
  for (const char *p = msg; *p && o + 1 < cap;) {
    if (plen && !strncmp(p, ev->path, plen)) {
      o += (size_t)snprintf(out + o, cap - o, "%s", slash + 1);
      if (o >= cap) o = cap - 1;
      p += plen;
    } else {
      out[o++] = *p++;
    }
  }
  out[o] = 0;
  return out;
}

int policy_name_source_run(socloss *led, const char *source, size_t len, const char *name) {
  if (!source) return err_fail(SOCLOSS_EINVAL, "policy: no source to name");
  const char *base = name ? strrchr(name, '/') : NULL;
  base = base ? base + 1 : name;
  if (!base || !*base) return err_fail(SOCLOSS_EINVAL, "policy: a source's name must not be empty");
  /* a file's base name, never its directories: a name reaches messages and
   * the journal's failure records, and a path would tell where the host
   * keeps its files; shown as printable ASCII */
  char q[TEXT_QUOTED(SOURCE_NAME_MAX)], hash[65];
  text_quote(q, base, strlen(base), SOURCE_NAME_MAX);
  size_t n = strlen(q) < SOURCE_NAME_MAX ? strlen(q) : SOURCE_NAME_MAX;
  for (size_t j = n > 3 ? n - 3 : 0; n < strlen(q) && j < n; j++)
    if (q[j] == '\\') n = j;  /* never half an escape */
  policy_hash(source, len, hash);
  evaluator *ev = led->ev;
  size_t k = 0;
  while (k < SOURCE_NAMES && strcmp(ev->names[k].hash, hash)) k++;
  if (k == SOURCE_NAMES) k = ev->next_name++ % SOURCE_NAMES;
  memcpy(ev->names[k].hash, hash, sizeof hash);
  memcpy(ev->names[k].name, q, n);
  ev->names[k].name[n] = 0;
  return SOCLOSS_OK;
}

void policy_hash(const char *src, size_t len, char out[65]) {
  unsigned char d[32];
  unsigned dl = 32;
  EVP_Digest(src, len, d, &dl, EVP_sha256(), NULL);
  for (int i = 0; i < 32; i++) snprintf(out + 2 * i, 3, "%02x", d[i]);
}

void socloss_policy_hash(const char *source, size_t len, char out[65]) {
  policy_hash(source ? source : "", source ? len : 0, out);
}

int policy_probe(socloss *led, policy_src *p, const eval_limits *limits) {
  policy_hash(p->source, p->len, p->hash);
  if (!p->where[0]) policy_named(led, p);
  p->name[0] = 0;
  eval_request rq;
  memset(&rq, 0, sizeof rq);
  rq.fn = EVAL_FN_PROBE;
  rq.limits = *limits;
  rq.source = p->source;
  rq.source_len = p->len;
  uint32_t off0 = 0;
  rq.c.off = &off0;
  eval_response rs;
  void *buf;
  evaluator_call(led->ev, &rq, &rs, &buf, NULL);
  /* even when it does not load: its failure record names the evaluator */
  memcpy(p->lua_release, rs.lua_release, sizeof p->lua_release);
  memcpy(p->build_id, rs.build_id, sizeof p->build_id);
  char label[128], msg[EVAL_TEXT_MAX + POLICY_WHERE_MAX + 2];
  if (rs.status != EVAL_OK) {
    policy_label(p, label, sizeof label);
    err_fail(SOCLOSS_EPOLICY, "%s %s: %s", label, eval_status_text(rs.status), policy_where(p, rs.message, msg, sizeof msg));
    free(buf);
    return SOCLOSS_EPOLICY;
  }
  /* the name goes into the registry, the journal and messages: the rule of
   * ids, whatever the evaluator says (the real one checks it too) */
  if (!id_valid(rs.name)) {
    char q[TEXT_QUOTED(CODEC_ID_MAX)];
    policy_label(p, label, sizeof label);
    err_fail(SOCLOSS_EPOLICY,
             "%s %s: the evaluator named it '%s': a policy's name is 1 to 64 printable ASCII characters without "
             "spaces",
             label, eval_status_text(EVAL_LOAD), text_quote(q, rs.name, strlen(rs.name), CODEC_ID_MAX));
    evaluator_stop(led->ev);  /* not the evaluator's way: the next call starts a new one */
    free(buf);
    return SOCLOSS_EPOLICY;
  }
  memcpy(p->name, rs.name, sizeof p->name);
  p->has_deleverage = rs.has_deleverage;
  p->has_haircut = rs.has_haircut;
  free(buf);
  return SOCLOSS_OK;
}
