/*
 * The candidates' columns through the shared region (docs/design.md §8,
 * "The columns, shared"): what the kernel guarantees and the design leans
 * on (the host cannot shrink the region; a read-only descriptor maps only
 * for reading, mprotect cannot lift it, a private writable copy changes
 * nothing of the host's); what a policy sees (the same as copied, a write
 * refused with "this column is read-only", the host's bytes unchanged
 * after it tried, nothing past the rows); how the evaluator checks a
 * request's header against its mapping before it makes any column (every
 * way out of bounds is a protocol error naming the column, and the
 * evaluator answers the next request); and the copying path taken for good
 * when memfd_create fails (ENOSYS, made so by a seccomp filter in a child).
 * tests/cli/shared_columns.t compares the two paths over the reference
 * policies and the hostile corpus.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <spawn.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "evalproto.h"
#include "policy.h"
#include "region.h"
#include "smaps.h"
#include "util.h"

#define EVAL SOCLOSS_BINARY_DIR "/socloss-eval"

/* test_wire.c's three candidates over two markets (stride 4: the encoder
 * repacks to a stride of n, in the region too). */
static const char IDS[] = "bobcarolzed";
static const uint32_t OFF[4] = {0, 3, 8, 11};
static const int64_t BAL[3] = {1000, -900, 0}, EQ[3] = {1400, 100, 0}, UT[3] = {400, 1000, 0},
                     PROFIT[3] = {700, 1000, 0}, PROFIT0[3] = {900, 1200, 5}, CHARGED[3] = {40, 0, 3};
static const int64_t SIZE[8] = {-10, -5, 0, 99, 2, 0, 0, 99}, COST[8] = {-1800, -900, 0, 99, 20, 0, 0, 99},
                     UPNL[8] = {1000, 500, 0, 99, -300, 0, 0, 99};
static const eval_market MK[2] = {{"BTC", 25, 2500, 80, 140, 1500}, {"ETH", -3, -30, 9, 5, 12}};

static eval_request request(const char *source, int with_event) {
  eval_request rq;
  memset(&rq, 0, sizeof rq);
  rq.fn = EVAL_FN_HAIRCUT;
  rq.limits = (eval_limits){1000000u, 64u << 20, 2000u};
  rq.source = source;
  rq.source_len = strlen(source);
  rq.deficit_id = "d-1";
  rq.deficit_id_len = 3;
  strcpy(rq.account, "a");
  rq.equity = -1500;
  rq.shortfall = 450;
  rq.fund_cash = 700;
  rq.nmarkets = 2;
  rq.markets = MK;
  rq.c = (eval_columns){3, 4, IDS, OFF, BAL, EQ, UT, PROFIT, SIZE, COST, UPNL};
  if (with_event) rq.event = (eval_event){"crash-7", 7, PROFIT0, CHARGED};
  return rq;
}

/* Up to WIDE candidates "000000", "000001", ... (ids and offsets), and a
 * column holding each one's row number. */
enum { WIDE = 300000 };
static uint32_t wide_off[WIDE + 1];
static char wide_ids[WIDE * 6 + 1];

static const int64_t *wide_rows(void) {
  static int64_t col[WIDE];
  for (int i = 0; i < WIDE; i++) {
    snprintf(wide_ids + 6 * i, 7, "%06d", i);
    wide_off[i + 1] = (uint32_t)(6 * (i + 1));
    col[i] = i;
  }
  return col;
}

/* Every cell it reads, in its error: ids, the three columns, the market
 * columns of ETH (the second market: the stride), the event's two. */
static const char *VIEW =
    "return {name = 'view', haircut = function(ctx)\n"
    "  local t = {ctx.n}\n"
    "  for i = 1, ctx.n do\n"
    "    t[#t + 1] = ctx.account[i] .. ':' .. ctx.balance[i] .. ',' .. ctx.equity[i] .. ',' .. ctx.upnl_total[i]\n"
    "      .. ',' .. ctx.size.ETH[i] .. ',' .. ctx.cost.ETH[i] .. ',' .. ctx.upnl.ETH[i] .. ',' .. ctx.size.BTC[i]\n"
    "      .. ',' .. ctx.event.profit0[i] .. ',' .. ctx.event.charged[i]\n"
    "  end\n"
    "  error(table.concat(t, ' '), 0)\n"
    "end}";

/* Writes every kind of column, reads past the rows on both sides (nil:
 * nothing outside the rows is reached). */
static const char *WRITER =
    "return {name = 'writer', haircut = function(ctx)\n"
    "  local t = {}\n"
    "  for _, f in ipairs({function() ctx.balance[1] = 0 end, function() ctx.size.ETH[2] = 1 end,\n"
    "                      function() ctx.event.charged[1] = 7 end, function() ctx.account[1] = 'x' end,\n"
    "                      function() return ctx.balance[4] end, function() return ctx.upnl.BTC[0] end}) do\n"
    "    local ok, err = pcall(f)\n"
    "    t[#t + 1] = tostring(ok) .. ' ' .. tostring(err)\n"
    "  end\n"
    "  error(table.concat(t, ' | '), 0)\n"
    "end}";

static void kernel(void) {
  region r;
  char msg[200];
  is(region_make(&r, 1 << 16, msg, sizeof msg), 0, "a region of 64 KiB is made");
  is(fcntl(r.fd, F_GET_SEALS), F_SEAL_SHRINK | F_SEAL_SEAL, "sealed against shrinking and further seals");
  errno = 0;
  ok(ftruncate(r.fd, 4096) == -1 && errno == EPERM, "not even the host can shrink it (EPERM: %s)", strerror(errno));
  int ro = region_reader(&r);
  ok(ro >= 0 && (fcntl(ro, F_GETFL) & O_ACCMODE) == O_RDONLY, "the evaluator's descriptor is read-only");
  ok(fcntl(ro, F_GETFD) & FD_CLOEXEC, "and close-on-exec (only the spawn's dup2 passes it on)");
  errno = 0;
  void *w = mmap(NULL, r.size, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0);
  ok(w == MAP_FAILED && errno == EACCES, "a writable shared mapping of it is refused (EACCES: %s)", strerror(errno));
  unsigned char *p = mmap(NULL, r.size, PROT_READ, MAP_SHARED, ro, 0);
  ok(p != MAP_FAILED, "a read-only shared mapping is what it allows");
  errno = 0;
  ok(p != MAP_FAILED && mprotect(p, r.size, PROT_READ | PROT_WRITE) == -1 && errno == EACCES,
     "mprotect cannot make that mapping writable (EACCES: %s)", strerror(errno));
  errno = 0;
  ok(write(ro, "x", 1) == -1 && errno == EBADF, "nor can the descriptor write (EBADF)");
  r.base[100] = 7;
  is(p != MAP_FAILED ? p[100] : 0, 7, "what the host writes, the reader sees");
  unsigned char *q = mmap(NULL, r.size, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0);
  if (q != MAP_FAILED) q[100] = 9;
  ok(q != MAP_FAILED && q[100] == 9 && r.base[100] == 7 && p[100] == 7,
     "a private writable copy changes its own pages only: the host still reads 7");
  if (q != MAP_FAILED) munmap(q, r.size);
  if (p != MAP_FAILED) munmap(p, r.size);
  close(ro);
  region_free(&r);
}

/* How many of the pages [from, to) of the mapping at base are resident. */
static size_t resident(const unsigned char *base, size_t from, size_t to) {
  unsigned char v[8192];
  size_t n = (to - from + 4095) / 4096;
  if (n > sizeof v || mincore((void *)(base + from), to - from, v)) return (size_t)-1;
  size_t r = 0;
  for (size_t i = 0; i < n; i++) r += v[i] & 1;
  return r;
}

/* region_populate: the pages about to be filled taken at once, the rest
 * left unallocated (a region's size costs address space, not memory). */
static void populate(void) {
  region r;
  char msg[200];
  const size_t mib = 1 << 20;
  is(region_make(&r, 4 * mib, msg, sizeof msg), 0, "a region of 4 MiB");
  is(resident(r.base, 0, 4 * mib), 0, "none of its 1,024 pages resident yet");
  region_populate(&r, mib);
  is(resident(r.base, 0, mib), 256, "populated to 1 MiB: its first 256 pages resident");
  is(resident(r.base, mib, 4 * mib), 0, "and none after them");
  is((int64_t)r.populated, (int64_t)mib, "populated says 1 MiB");
  region_populate(&r, mib / 2);
  is((int64_t)r.populated, (int64_t)mib, "less than that: nothing to do, still 1 MiB");
  region_populate(&r, 3 * mib + 100);
  is(resident(r.base, 0, 3 * mib + 4096), 769, "to 3 MiB and 100 bytes: 769 pages, the last one partly asked for");
  is(resident(r.base, 3 * mib + 4096, 4 * mib), 0, "the last 255 still not");
  region_populate(&r, 100 * mib);
  is((int64_t)r.populated, (int64_t)(4 * mib), "past the end: to the region's size");
  is(resident(r.base, 0, 4 * mib), 1024, "every page resident");
  r.base[4 * mib - 1] = 5;
  is(r.base[4 * mib - 1], 5, "and writable to the last byte");
  region_free(&r);
  is((int64_t)r.populated, 0, "freed: nothing populated");
}

/* One call, rs's message kept. */
static int call(evaluator *ev, const eval_request *rq, char *out, size_t cap) {
  eval_response rs;
  void *buf;
  evaluator_call(ev, rq, &rs, &buf, NULL);
  snprintf(out, cap, "%s", rs.message);
  free(buf);
  return rs.status;
}

static void policy_side(void) {
  const char *want_view =
      "3 bob:1000,1400,400,2,20,-300,-10,900,40 carol:-900,100,1000,0,0,0,-5,1200,0 zed:0,0,0,0,0,0,0,5,3";
  const char *want_writer =
      "false policy:3: this column is read-only | false policy:3: this column is read-only | "
      "false policy:4: this column is read-only | false policy:4: this column is read-only | true nil | true nil";
  char msg[EVAL_TEXT_MAX + 1];
  evaluator sh, cp;
  evaluator_init(&sh, EVAL);
  evaluator_init(&cp, EVAL);
  sh.copy = 0;
  cp.copy = 1;
  eval_request rq = request(VIEW, 1);
  is(call(&sh, &rq, msg, sizeof msg), EVAL_ERROR, "shared: the viewing policy raises what it read");
  is_str(msg, want_view, "every cell as the host has it (ETH's columns past BTC's stride of 4)");
  ok(sh.shm_given && sh.shm.size == REGION_MIN && sh.generation == 1,
     "through the region (%zu bytes, generation %llu)", sh.shm.size, (unsigned long long)sh.generation);
  is(call(&cp, &rq, msg, sizeof msg), EVAL_ERROR, "copied: the same");
  is_str(msg, want_view, "the same cells");
  ok(!cp.shm_given && cp.shm.fd == -1 && cp.generation == 0, "copied: no region at all");

  rq = request(WRITER, 1);
  is(call(&sh, &rq, msg, sizeof msg), EVAL_ERROR, "shared: the writing policy is answered");
  is_str(msg, want_writer, "each write refused as read-only, each read past the rows nil");
  /* what the region holds after the attempt, against what the host wrote
   * (the same request encoded afresh under the same generation) */
  size_t need = (size_t)evalproto_region_need(&rq, NULL, 0);
  unsigned char *fresh = calloc(1, need);
  codec_buf b = {0};
  ok(fresh && !evalproto_encode_request_shared(&b, &rq, fresh, need, -1, sh.generation) &&
         !memcmp(fresh, sh.shm.base, need),
     "the host's %zu bytes of region are unchanged after it tried", need);
  codec_buf_free(&b);
  free(fresh);
  is(call(&cp, &rq, msg, sizeof msg), EVAL_ERROR, "copied: the writing policy is answered");
  is_str(msg, want_writer, "the same refusals");

  /* a request too large for the region: a new one, a new evaluator with
   * it (not counted as a restart: no fault) */
  enum { ROWS = 200000 };
  const int64_t *big = wide_rows();
  eval_request wide = request("return {name = 'n', haircut = function(ctx)\n"
                              "  error(ctx.n .. ' ' .. ctx.account[200000] .. ' ' .. ctx.size.ETH[200000], 0) end}",
                              0);
  wide.nmarkets = 2;
  /* the second market's columns: the same array, stride 0 would not do */
  static int64_t big2[2 * ROWS];
  for (int i = 0; i < 2 * ROWS; i++) big2[i] = i % ROWS;
  wide.c = (eval_columns){ROWS, ROWS, wide_ids, wide_off, big, big, big, big, big2, big2, big2};
  /* 200,000 rows: the header's 64 bytes, ids 1,200,000, offsets 800,004
   * (800,064 rounded up to 64 bytes), 4 columns of 1,600,000 and 3 of
   * 3,200,000 (2 markets): 18,000,128 bytes, past the first region's
   * 16 MiB; the new one is a quarter more in whole pages:
   * 18,000,128 + 4,500,032 = 22,500,160 -> 5,494 pages = 22,503,424 */
  uint64_t want_need = 64 + 1200000 + 800064 + 4 * 1600000 + 3 * 3200000;
  is((int64_t)evalproto_region_need(&wide, NULL, 0), (int64_t)want_need, "200,000 rows need %llu bytes",
     (unsigned long long)want_need);
  pid_t before = sh.pid;
  wide.limits.memory = 64u << 20;
  is(call(&sh, &wide, msg, sizeof msg), EVAL_ERROR, "a wider request is answered");
  is_str(msg, "200000 199999 199999", "from a new region");
  ok(sh.pid != before && sh.shm_given && sh.shm.size == 22503424, "of %zu bytes, by a new evaluator given it",
     sh.shm.size);
  is((int64_t)sh.restarts, 0, "and no restart is counted");
  evaluator_stop(&sh);
  evaluator_stop(&cp);
}

/* ---- columns the host builds in the region itself ---------------------- */

/* request()'s columns written where evalproto_region_plan puts them for
 * `cap` rows (stride cap for the two markets); ids_there 0: the ids left
 * outside the region. */
static eval_request placed(unsigned char *base, const uint64_t *at, size_t cap, int ids_there) {
  eval_request rq = request(VIEW, 1);
  if (ids_there) memcpy(base + at[0], IDS, sizeof IDS - 1);
  memcpy(base + at[1], OFF, sizeof OFF);
  const int64_t *rows[] = {BAL, EQ, UT, PROFIT};
  for (int k = 0; k < 4; k++) memcpy(base + at[2 + k], rows[k], 3 * sizeof(int64_t));
  const int64_t *mm[] = {SIZE, COST, UPNL};
  for (int k = 0; k < 3; k++)
    for (int m = 0; m < 2; m++) memcpy(base + at[6 + k] + m * cap * 8, mm[k] + m * 4, 3 * sizeof(int64_t));
  memcpy(base + at[9], PROFIT0, sizeof PROFIT0);
  memcpy(base + at[10], CHARGED, sizeof CHARGED);
  rq.c = (eval_columns){3, cap,
                        ids_there ? (const char *)(base + at[0]) : IDS,
                        (const uint32_t *)(base + at[1]),
                        (const int64_t *)(base + at[2]), (const int64_t *)(base + at[3]),
                        (const int64_t *)(base + at[4]), (const int64_t *)(base + at[5]),
                        (const int64_t *)(base + at[6]), (const int64_t *)(base + at[7]),
                        (const int64_t *)(base + at[8])};
  rq.event.profit0 = (const int64_t *)(base + at[9]);
  rq.event.charged = (const int64_t *)(base + at[10]);
  return rq;
}

static void in_place(void) {
  const char *want_view =
      "3 bob:1000,1400,400,2,20,-300,-10,900,40 carol:-900,100,1000,0,0,0,-5,1200,0 zed:0,0,0,0,0,0,0,5,3";
  char msg[EVAL_TEXT_MAX + 1];
  evaluator sh;
  evaluator_init(&sh, EVAL);
  sh.copy = 0;
  /* 3 rows, 2 markets, 16 bytes of ids: the header 64, ids 16 -> 64,
   * offsets 16 -> 64, 4 columns of 24 -> 64 each, 3 of 48 -> 64 each, the
   * event's two of 24 -> 64 each: 64 + 64 x 11 = 768 bytes */
  uint64_t at[EVAL_REGION_COLUMNS];
  uint64_t plan = evalproto_region_plan(3, 2, 16, at);
  is((int64_t)plan, 768, "the plan for 3 rows of 2 markets: 768 bytes");
  ok(at[0] == 64 && at[1] == 128 && at[6] == 448 && at[10] == 704, "each column 64-byte aligned after the header");
  unsigned char *base = evaluator_place(&sh, plan);
  ok(base && sh.pinned && sh.shm.base == base && sh.shm.size >= plan, "the region handed out, pinned");
  is((int64_t)sh.shm.populated, (int64_t)plan, "populated as far as the plan (%llu bytes), no further",
     (unsigned long long)plan);
  if (!base) {
    evaluator_stop(&sh);
    return;
  }
  memset(base + plan, 0xab, 4096);  /* past the plan: nothing may be written there */
  eval_request rq = placed(base, at, 3, 1);
  is((int64_t)evalproto_region_need(&rq, base, sh.shm.size), 768, "every column in place: no more room needed");
  is((int64_t)evalproto_region_need(&rq, NULL, 0), 768, "(copied, the same 768: the plan is the copy's layout)");
  is(call(&sh, &rq, msg, sizeof msg), EVAL_ERROR, "in place: the viewing policy raises what it read");
  is_str(msg, want_view, "every cell, as copied (design.md §8)");
  int clean = 1;
  for (size_t i = 0; i < 4096; i++) clean &= base[plan + i] == 0xab;
  ok(clean, "nothing copied past the plan: the columns were named where they lie");
  ok(!memcmp(base + at[2], BAL, sizeof BAL) && !memcmp(base + at[10], CHARGED, sizeof CHARGED),
     "and they are as built");

  /* the ids outside: copied after the last column in place (768) */
  base = evaluator_place(&sh, plan);
  rq = placed(base, at, 3, 0);
  is((int64_t)evalproto_region_need(&rq, base, sh.shm.size), 768 + 64, "the ids outside: 64 more bytes after them");
  is(call(&sh, &rq, msg, sizeof msg), EVAL_ERROR, "the ids copied, the rest in place");
  is_str(msg, want_view, "the same cells");
  ok(!memcmp(base + 768, IDS, sizeof IDS - 1), "the ids at 768, past every column in place");

  /* built for 4 rows (stride 4), 3 used: two markets' columns are not at
   * stride n, so those three are copied; the rest stay */
  uint64_t at4[EVAL_REGION_COLUMNS];
  uint64_t plan4 = evalproto_region_plan(4, 2, 16, at4);
  base = evaluator_place(&sh, plan4);
  rq = placed(base, at4, 4, 1);
  is((int64_t)evalproto_region_need(&rq, base, sh.shm.size), (int64_t)(plan4 + 3 * 64),
     "stride 4 for 3 rows: size, cost and upnl copied after the plan (3 x 64 bytes)");
  is(call(&sh, &rq, msg, sizeof msg), EVAL_ERROR, "answered");
  is_str(msg, want_view, "the same cells, ETH's from the copies at stride 3");

  /* a wider request replaces the region while what was placed is still
   * read: the old mapping is kept until the next evaluator_place */
  base = evaluator_place(&sh, plan);
  rq = placed(base, at, 3, 1);
  enum { ROWS = WIDE };
  const int64_t *big = wide_rows();
  eval_request wide = request("return {name = 'n', haircut = function(ctx) error(tostring(ctx.n), 0) end}", 0);
  wide.nmarkets = 1;
  wide.c = (eval_columns){ROWS, ROWS, wide_ids, wide_off, big, big, big, big, big, big, big};
  is(call(&sh, &wide, msg, sizeof msg), EVAL_ERROR, "a wider request: a new region");
  is_str(msg, "300000", "answered from it");
  ok(sh.shm.base != base && sh.held.fd >= 0 && sh.held.base == base, "the placed region kept, mapped, beside it");
  ok(!memcmp(rq.c.balance, BAL, sizeof BAL) && !memcmp(rq.event.charged, CHARGED, sizeof CHARGED),
     "what was built there still reads as built");
  is(call(&sh, &rq, msg, sizeof msg), EVAL_ERROR, "a request naming it is copied into the new region");
  is_str(msg, want_view, "the same cells");
  ok(evaluator_place(&sh, plan) == sh.shm.base && sh.held.fd == -1 && sh.held.base == NULL,
     "the next evaluator_place lets the old region go");
  evaluator_stop(&sh);
  ok(!sh.pinned && sh.shm.fd == -1 && sh.held.fd == -1, "evaluator_stop: nothing pinned, nothing mapped");

  /* no region to give: the copying path, a native rule */
  evaluator cp;
  evaluator_init(&cp, EVAL);
  cp.copy = 1;
  ok(evaluator_place(&cp, plan) == NULL && !cp.pinned, "the copying path gives no region");
  evaluator_stop(&cp);
}

/* Columns copied into the region (not built there) go into its memfd by
 * pwrite: of the host's mapping only the header's page is touched, while
 * the file holds every column (a first touch per 4 KiB page saved:
 * docs/design.md §8); evaluator_place then populates the mapping for
 * building in place. */
static void copied_by_pwrite(void) {
  char msg[EVAL_TEXT_MAX + 1];
  evaluator ev;
  evaluator_init(&ev, EVAL);
  ev.copy = 0;
  const int64_t *big = wide_rows();
  eval_request wide = request("return {name = 'n', haircut = function(ctx) error(tostring(ctx.n), 0) end}", 0);
  wide.nmarkets = 1;
  wide.c = (eval_columns){WIDE, WIDE, wide_ids, wide_off, big, big, big, big, big, big, big};
  is(call(&ev, &wide, msg, sizeof msg), EVAL_ERROR, "a request of %d rows, its columns copied", WIDE);
  is_str(msg, "300000", "answered from the region");
  size_t need = (size_t)evalproto_region_need(&wide, NULL, 0), pages = (need + 4095) / 4096;
  long kib = mapped_kib(ev.shm.base);
  ok(kib >= 4 && kib <= 2048, "the host's mapping: the header's page only (%ld KiB mapped of %zu KiB written)", kib,
     need / 1024);
  is(resident(ev.shm.base, 0, need), (int64_t)pages, "the file holds all %zu pages of the columns", pages);
  ok(!memcmp(ev.shm.base + need - 8 * WIDE, big, 8 * WIDE), "the last column reads back through the mapping");
  uint64_t at[EVAL_REGION_COLUMNS];
  uint64_t plan = evalproto_region_plan(WIDE, 1, sizeof wide_ids, at);
  unsigned char *base = evaluator_place(&ev, plan);
  kib = mapped_kib(base);
  ok(base == ev.shm.base && kib >= (long)(plan / 1024),
     "evaluator_place: the region handed out, populated for building in place (%ld KiB mapped, the plan %llu KiB)", kib,
     (unsigned long long)(plan / 1024));
  evaluator_stop(&ev);
}

/* ---- the evaluator's checks of a request's header ----------------------- */

/* socloss-eval on a socket, given r read-only (r NULL: no region). */
static int spawn_eval(const region *r, pid_t *pid) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) return -1;
  int ro = r ? region_reader(r) : -1, reader = ro >= 0 ? fcntl(ro, F_DUPFD_CLOEXEC, 4) : -1;
  if (ro >= 0) close(ro);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, sv[1], 0);
  posix_spawn_file_actions_adddup2(&fa, sv[1], 1);
  if (reader >= 0) posix_spawn_file_actions_adddup2(&fa, reader, 3);
  char *argv[] = {EVAL, reader >= 0 ? "--region" : NULL, NULL}, *envp[] = {NULL};
  int rc = posix_spawn(pid, EVAL, &fa, NULL, argv, envp);
  posix_spawn_file_actions_destroy(&fa);
  close(sv[1]);
  if (reader >= 0) close(reader);
  return rc ? -1 : sv[0];
}

/* Sends a frame, returns the answer's status and message. */
static int exchange(int fd, const codec_buf *b, char *msg, size_t cap) {
  void *in = NULL;
  size_t len;
  eval_response rs;
  msg[0] = 0;
  if (evalproto_write_frame(fd, b->p, b->len) || evalproto_read_frame(fd, &in, &len) ||
      evalproto_decode_response(in, len, &rs)) {
    free(in);
    return -1;
  }
  snprintf(msg, cap, "%s", rs.message);
  free(in);
  return rs.status;
}

#define GEN 0x5eed5eed5eed5eedull

/* The frame of rq in region r, with one of its header's fields changed:
 * slot k's offset or length (field 0, 1), or the generation (k < 0). */
static void frame_with(codec_buf *b, const eval_request *rq, region *r, int k, int field, uint64_t v) {
  memset(b, 0, sizeof *b);
  evalproto_encode_request_shared(b, rq, r->base, r->size, r->fd, GEN);
  unsigned char g[8];  /* the frame's integers are big-endian */
  codec_put_u64(g, GEN);
  unsigned char *at = memmem(b->p, b->len, g, 8);
  if (!at) return;
  codec_put_u64(k < 0 ? at : at + 8 + 16 * k + 8 * field, v);
}

static void header_checks(void) {
  region r;
  char msg[EVAL_TEXT_MAX + 1];
  region_make(&r, 1 << 16, msg, sizeof msg);
  pid_t pid;
  int fd = spawn_eval(&r, &pid);
  ok(fd >= 0, "an evaluator with a 64 KiB region");
  eval_request rq = request(VIEW, 1);
  codec_buf b;
  /* the slots: 0 ids, 1 offsets, 2 balance, ..., 6 size, ..., 10 charged */
  static const struct {
    int k, field;
    uint64_t v;
    const char *want;
  } cases[] = {
      {2, 0, 65536 - 8, "column 'balance' (bytes 65528 to 65552) lies outside the 65536-byte shared region"},
      {2, 0, (uint64_t)1 << 40,
       "column 'balance' (bytes 1099511627776 to 1099511627800) lies outside the 65536-byte shared region"},
      {6, 1, 65536, "column 'size' (bytes 448 to 65984) lies outside the 65536-byte shared region"},
      {0, 1, (uint64_t)-8, "column 'account' (bytes 64 to 56) lies outside the 65536-byte shared region"},
      {2, 1, 16, "column 'balance' is 16 bytes, not the 24 its 3 rows take"},
      {10, 1, 0, "column 'event.charged' is 0 bytes, not the 24 its 3 rows take"},
      {2, 0, 68, "column 'balance' at offset 68 is not an 8-byte aligned place after the region's header"},
      {3, 0, 0, "column 'equity' at offset 0 is not an 8-byte aligned place after the region's header"},
      {-1, 0, GEN + 1,
       "the request names generation 6840227782638526190 of the shared region, which holds 6840227782638526189"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    frame_with(&b, &rq, &r, cases[i].k, cases[i].field, cases[i].v);
    char want[EVAL_TEXT_MAX + 1];
    snprintf(want, sizeof want, "malformed request: %s", cases[i].want);
    is(exchange(fd, &b, msg, sizeof msg), EVAL_PROTOCOL, "case %zu is a protocol error", i);
    is_str(msg, want, "case %zu: %s", i, cases[i].want);
    codec_buf_free(&b);
  }
  memset(&b, 0, sizeof b);
  evalproto_encode_request_shared(&b, &rq, r.base, r.size, r.fd, GEN);
  is(exchange(fd, &b, msg, sizeof msg), EVAL_ERROR, "after them all a sound request is answered");
  ok(!strncmp(msg, "3 bob:1000,1400,400,2,20,-300,-10,900,40", 40), "with the cells: %.40s", msg);
  codec_buf_free(&b);
  close(fd);
  waitpid(pid, NULL, 0);

  fd = spawn_eval(NULL, &pid);
  memset(&b, 0, sizeof b);
  evalproto_encode_request_shared(&b, &rq, r.base, r.size, r.fd, GEN);
  is(exchange(fd, &b, msg, sizeof msg), EVAL_PROTOCOL, "an evaluator without a region refuses a shared request");
  is_str(msg, "malformed request: the request names columns in a shared region, and this evaluator has none",
         "saying so");
  codec_buf_free(&b);
  close(fd);
  waitpid(pid, NULL, 0);
  region_free(&r);
}

/* ---- no memfd: the copying path, for good --------------------------------- */

typedef struct fallback_seen {
  int status, copy, shm_fd;
  char message[EVAL_TEXT_MAX + 1];
  char log[512];
} fallback_seen;

static void keep_log(void *ud, const char *m) {
  fallback_seen *s = ud;
  if (strstr(m, "columns")) snprintf(s->log, sizeof s->log, "%s", m);
}

/* From now on memfd_create fails with ENOSYS in this process, as on a
 * kernel without it; the rest is allowed (the evaluator inherits this and
 * adds its own).  0 when the filter is in. */
static int memfd_gone(void) {
  struct sock_filter f[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_memfd_create, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = {4, f};
  return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

/* body(out) in a child process (what it does to the process stays there);
 * the size bytes it left in out read back here: how many came. */
static ssize_t in_child(void (*body)(void *), void *out, size_t size) {
  int pfd[2];
  if (pipe(pfd)) return -1;
  pid_t child = fork();
  if (child == 0) {
    body(out);
    ssize_t w = write(pfd[1], out, size);
    _exit(w == (ssize_t)size ? 0 : 1);
  }
  close(pfd[1]);
  ssize_t got = read(pfd[0], out, size);
  close(pfd[0]);
  if (child > 0) waitpid(child, NULL, 0);
  return got;
}

static void no_memfd_child(void *out) {
  fallback_seen *s = out;
  if (memfd_gone()) return;
  evaluator ev;
  evaluator_init(&ev, EVAL);
  ev.copy = 0;
  ev.log = (log_sink){keep_log, s};
  eval_request rq = request(VIEW, 1);
  s->status = call(&ev, &rq, s->message, sizeof s->message);
  s->copy = ev.copy;
  s->shm_fd = ev.shm.fd;
  evaluator_stop(&ev);
}

static void no_memfd(void) {
  fallback_seen s;
  memset(&s, 0, sizeof s);
  s.status = -1;
  ssize_t got = in_child(no_memfd_child, &s, sizeof s);
  is(got, (ssize_t)sizeof s, "the child without memfd_create reports");
  is(s.status, EVAL_ERROR, "without memfd_create the policy still runs");
  is_str(s.message,
         "3 bob:1000,1400,400,2,20,-300,-10,900,40 carol:-900,100,1000,0,0,0,-5,1200,0 zed:0,0,0,0,0,0,0,5,3",
         "and reads the same cells, copied");
  ok(s.copy == 1 && s.shm_fd == -1, "the handle keeps to the copying path");
  is_str(s.log, "evaluator: the candidates' columns go in the requests from now on (memfd_create: Function not implemented)",
         "and its log says why, once");
}

/* The copying path taken for good while a placed region is still read:
 * in a child, a region handed out and written, then memfd_create made to
 * fail, then a request too wide for the region (a new one cannot be made):
 * the handle goes to copying, and the placed region stays mapped until the
 * next evaluator_place. */
typedef struct pinned_seen {
  int placed, status, copy, held, intact, again, freed;
  char message[EVAL_TEXT_MAX + 1];
} pinned_seen;

static void no_memfd_pinned_child(void *out) {
  pinned_seen *s = out;
  evaluator ev;
  evaluator_init(&ev, EVAL);
  ev.copy = 0;
  uint64_t at[EVAL_REGION_COLUMNS];
  unsigned char *base = evaluator_place(&ev, evalproto_region_plan(3, 2, 16, at));
  s->placed = base != NULL;
  if (base && !memfd_gone()) {
    eval_request rq = placed(base, at, 3, 1);
    enum { ROWS = WIDE };
    const int64_t *big = wide_rows();
    eval_request wide = request("return {name = 'n', haircut = function(ctx) error(tostring(ctx.n), 0) end}", 0);
    wide.nmarkets = 1;
    wide.c = (eval_columns){ROWS, ROWS, wide_ids, wide_off, big, big, big, big, big, big, big};
    s->status = call(&ev, &wide, s->message, sizeof s->message);
    s->copy = ev.copy;
    s->held = ev.held.fd >= 0 && ev.held.base == base && ev.shm.fd == -1;
    s->intact = !memcmp(rq.c.balance, BAL, sizeof BAL) && !memcmp(rq.event.charged, CHARGED, sizeof CHARGED);
    s->again = evaluator_place(&ev, 768) == NULL;
    s->freed = ev.held.fd == -1 && !ev.pinned;
  }
  evaluator_stop(&ev);
}

static void no_memfd_pinned(void) {
  pinned_seen s;
  memset(&s, 0, sizeof s);
  s.status = -1;
  ssize_t got = in_child(no_memfd_pinned_child, &s, sizeof s);
  is(got, (ssize_t)sizeof s, "the child that loses memfd_create while a region is placed reports");
  ok(s.placed, "a region was handed out before");
  is(s.status, EVAL_ERROR, "a request too wide for it is answered all the same");
  is_str(s.message, "300000", "copied in the frame");
  ok(s.copy && s.held, "the handle copies from now on, the placed region held, not unmapped");
  ok(s.intact, "what was built there still reads as built");
  ok(s.again && s.freed, "the next evaluator_place gives none and lets the held region go");
}

/* Whether fd is an open descriptor. */
static int fd_open(int fd) { return fcntl(fd, F_GETFD) != -1; }

/* The process keeps one region for the next handle on the same ledger
 * (region_keep): only that ledger takes it, whole, once; keeping another,
 * or forgetting, frees it. */
static void kept(void) {
  region a, b, c, t, t2;
  char msg[200];
  const size_t mib = 1 << 20;
  region_forget();
  is(region_make(&a, mib, msg, sizeof msg), 0, "a region of 1 MiB");
  a.base[0] = 42;
  region_populate(&a, mib);
  int fa = a.fd;
  region_keep(&a, "/ledgers/x");
  ok(a.fd == -1 && a.base == NULL && a.size == 0, "kept: the handle's copy of it is left empty");
  ok(fd_open(fa), "the memfd stays open");
  is(region_take(&t, "/ledgers/y", 0), -1, "another ledger does not take it");
  is(region_take(&t, "", 0), -1, "nor a handle without a ledger");
  is(region_take(&t, "/ledgers/x", mib + 1), -1, "nor its own ledger needing one byte more than it has");
  is(region_take(&t, "/ledgers/x", mib), 0, "its own ledger takes it");
  ok(t.fd == fa && t.size == mib && t.base[0] == 42, "the same memfd, size and bytes");
  is((int64_t)t.populated, (int64_t)mib, "still populated (its pages mapped here)");
  is(region_take(&t2, "/ledgers/x", 0), -1, "taken once only");
  region_keep(&t, "/ledgers/x");
  is(region_make(&b, mib, msg, sizeof msg), 0, "another region");
  int fb = b.fd;
  region_keep(&b, "/ledgers/y");
  ok(!fd_open(fa), "kept in its place: the one kept before is freed (its memfd closed)");
  is(region_take(&t, "/ledgers/x", 0), -1, "and its ledger no longer finds one");
  is(region_make(&c, mib, msg, sizeof msg), 0, "a third");
  int fc = c.fd;
  region_keep(&c, "");
  ok(!fd_open(fc) && fd_open(fb), "kept for no ledger: freed at once, the one kept stays");
  region_forget();
  ok(!fd_open(fb), "forgotten: freed");
}

/* The memfds named socloss-columns this process holds: how many, and the
 * inode of the last one listed. */
static int columns_memfds(unsigned long *inode) {
  int n = 0;
  *inode = 0;
  for (int fd = 0; fd < 1024; fd++) {
    char path[64], target[256];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ssize_t len = readlink(path, target, sizeof target - 1);
    if (len <= 0) continue;
    target[len] = 0;
    if (strncmp(target, "/memfd:socloss-columns", 22)) continue;
    struct stat st;
    if (fstat(fd, &st) == 0) *inode = (unsigned long)st.st_ino;
    n++;
  }
  return n;
}

static int resolve_pro_rata(socloss *led, const char *account, int dry, const socloss_resolution **r) {
  size_t len = 0;
  char *src = policy_text("pro_rata", &len);
  socloss_resolve_options o;
  socloss_resolve_options_init(&o);
  o.policy = src;
  o.policy_len = len;
  o.dry_run = dry;
  int rc = socloss_resolve(led, account, &o, r);
  if (rc) diag("resolve: %s", socloss_errmsg(led));
  free(src);
  return rc;
}

static socloss *reopen(const char *dir) {
  socloss_options o;
  socloss_options_init(&o);
  o.unsafe_nosync = 1;
  o.evaluator = EVAL;
  socloss *led;
  if (socloss_open(&led, dir, &o)) diag("open %s: %s", dir, socloss_errmsg(led));
  return led;
}

/* Through handles: a ledger closed and opened again finds its region
 * (the same memfd), and decides as before; another ledger makes its own,
 * which is the one kept after it closes.  The worked example is
 * tests/test_resolve.c's water-filling: a 1500 short, profits p 1000, q
 * 1000, r 500, q's equity 100: q pays its cap 100, p and r split 1400 2:1,
 * 933.33 and 466.67, the odd atom to r's larger remainder: 933, 100, 467. */
static void kept_between_handles(void) {
  static const char *M = "market,mark_price\nBTC,100\n", *A = "account,balance\na,-1000\np,4000\nq,-900\nr,4500\n",
                    *P = "account,market,size,entry_price\na,BTC,25,100\np,BTC,-10,180\nq,BTC,-10,180\nr,BTC,-5,180\n",
                    *E = "{\"type\":\"market\",\"market\":\"BTC\",\"mark\":80}\n";
  fixture fx, other;
  const socloss_resolution *r;
  unsigned long first, now;
  region_forget();
  fixture_make(&fx, M, A, P, E);
  is(resolve_pro_rata(fx.led, "a", 1, &r), SOCLOSS_OK, "a dry run");
  ok(haircut_of(r, "p") == 933 && haircut_of(r, "q") == 100 && haircut_of(r, "r") == 467, "933, 100, 467");
  is(columns_memfds(&first), 1, "the handle has made one region");
  socloss_close(fx.led);
  is(columns_memfds(&now), 1, "closed: its region is kept");
  ok(now == first, "the same one");
  fx.led = reopen(fx.dir);
  is(resolve_pro_rata(fx.led, "a", 0, &r), SOCLOSS_OK, "opened again: resolves");
  ok(haircut_of(r, "p") == 933 && haircut_of(r, "q") == 100 && haircut_of(r, "r") == 467 && r->bad_debt == 0,
     "933, 100, 467, as the dry run");
  is(columns_memfds(&now), 1, "through one region");
  ok(now == first, "the one its ledger's last handle left");
  ok(invariants_hold(fx.led), "invariants");
  fixture_make(&other, M, A, P, E);
  is(resolve_pro_rata(other.led, "a", 0, &r), SOCLOSS_OK, "another ledger resolves");
  ok(haircut_of(r, "p") == 933 && haircut_of(r, "q") == 100 && haircut_of(r, "r") == 467, "933, 100, 467");
  is(columns_memfds(&now), 2, "with a region of its own");
  unsigned long second = now;
  ok(second != first, "a new one");
  drop_ledger(other.led, other.dir);
  is(columns_memfds(&now), 2, "closed: its region kept, the first still the first handle's");
  drop_ledger(fx.led, fx.dir);
  is(columns_memfds(&now), 1, "the first closed: kept in the second's place, which is freed");
  ok(now == first, "the one kept is the first's");
  region_forget();
  is(columns_memfds(&now), 0, "forgotten: none left");
}

int main(void) {
  kernel();
  kept();
  kept_between_handles();
  populate();
  policy_side();
  copied_by_pwrite();
  in_place();
  no_memfd_pinned();
  header_checks();
  no_memfd();
  return done_testing();
}
