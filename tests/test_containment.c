/*
 * What a hostile policy, test file or evaluator can make either process
 * allocate.  Each case runs in a child process of its own (fork), so that
 * its peaks are its own: the host's is the child's VmHWM, the evaluator's
 * the largest RSS among the child's reaped children (getrusage
 * RUSAGE_CHILDREN; the child closes its handle, which reaps the evaluator,
 * before it asks).  Each case's refusal is checked word for word, and in the
 * release build its peaks against the bounds docs/design.md §8 states:
 *
 *   evaluator <= 1.25 x (the ledger's memory limit + the request's candidate
 *                columns) + 16 MB
 *   host      <= its RSS before the call + 80 x the largest answer the
 *                request allows (EVAL_ANSWER_FIXED + 24 bytes an action, or
 *                EVAL_DATA_MAX of a test file's data) + 16 MB
 *
 * 80 is jansson's tree of the densest JSON ([{},{},...] takes 77 times its
 * text); an answer of actions costs the host far less.
 */
#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "evalproto.h"
#include "util.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

#define MB 1000000.0
#define TEST_FILE_MEMORY (256u << 20)  /* the limits a test file runs under (engine/client/policytest.c) */

/* ---- a case in a child process -------------------------------------------- */

typedef struct outcome {
  int rc;
  char msg[2048];
  long host_base_kb, host_peak_kb, eval_peak_kb;
} outcome;

typedef int (*case_fn)(void *ud, char *msg, size_t cap);

static long status_kb(const char *field) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kb = -1;
  size_t n = strlen(field);
  while (f && fgets(line, sizeof line, f))
    if (!strncmp(line, field, n) && line[n] == ':') kb = strtol(line + n + 1, NULL, 10);
  if (f) fclose(f);
  return kb;
}

/* The peaks, taken by a case once its handle is closed (the evaluator reaped)
 * and before it starts anything else: a program started with vfork (as
 * posix_spawn and system do) inherits its parent's peak as its own. */
static struct {
  long host_kb, eval_kb;
} reaped;

static void take_peaks(void) {
  struct rusage ru;
  getrusage(RUSAGE_CHILDREN, &ru);  /* the evaluators this process started and reaped */
  reaped.eval_kb = ru.ru_maxrss;
  reaped.host_kb = status_kb("VmHWM");
}

static void remove_dir(const char *dir) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0) diag("could not remove %s", dir);
}

static outcome in_child(case_fn fn, void *ud) {
  outcome o;
  memset(&o, 0, sizeof o);
  int p[2];
  fflush(stdout);
  if (pipe2(p, O_CLOEXEC)) {  /* the programs the case starts must not hold it open past the case's end */
    o.rc = -1;
    snprintf(o.msg, sizeof o.msg, "pipe: %s", strerror(errno));
    return o;
  }
  pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);  /* a group of its own, with the evaluators it starts */
    close(p[0]);
    o.host_base_kb = status_kb("VmRSS");
    o.rc = fn(ud, o.msg, sizeof o.msg);
    o.eval_peak_kb = reaped.eval_kb;
    o.host_peak_kb = reaped.host_kb;
    _exit(write(p[1], &o, sizeof o) == (ssize_t)sizeof o ? 0 : 1);
  }
  close(p[1]);
  ssize_t got = pid > 0 ? read(p[0], &o, sizeof o) : -1;
  close(p[0]);
  int st = 0;
  if (pid > 0) {
    /* what a case that died left running (a fake evaluator waits forever);
     * the child has said all it will, and as a zombie keeps its group's id */
    if (got != (ssize_t)sizeof o) kill(-pid, SIGKILL);
    waitpid(pid, &st, 0);
  }
  if (got != (ssize_t)sizeof o) {
    memset(&o, 0, sizeof o);
    o.rc = -1;
    snprintf(o.msg, sizeof o.msg, "the case's process died (status %d)", st);
  }
  return o;
}

/* The peaks against the bounds; in the release build only. */
static void peaks(const char *name, const outcome *o, double limit, double columns, double answer) {
  if (SANITIZED) return;
  double eval = o->eval_peak_kb * 1024.0, host = (o->host_peak_kb - o->host_base_kb) * 1024.0;
  double eval_max = 1.25 * (limit + columns) + 16 * MB, host_max = 80 * answer + 16 * MB;
  ok(eval <= eval_max, "%s: the evaluator's peak RSS %.1f MB <= %.1f MB", name, eval / MB, eval_max / MB);
  ok(host <= host_max, "%s: the host's peak RSS %.1f MB over its %.1f MB before <= %.1f MB", name, host / MB,
     o->host_base_kb * 1024.0 / MB, host_max / MB);
}

/* A message "policy 'NAME' (HASH12)TAIL" or "policy (HASH12)TAIL": the tail
 * starts with what follows the label, " does not load: ..." or ": ...". */
static int policy_message(const char *got, const char *name, const char *tail) {
  char head[128];
  if (name) snprintf(head, sizeof head, "policy '%s' (", name);
  else snprintf(head, sizeof head, "policy (");
  size_t h = strlen(head);
  if (strncmp(got, head, h) || strlen(got) < h + 13) return 0;
  for (size_t k = h; k < h + 12; k++)
    if (!strchr("0123456789abcdef", got[k])) return 0;
  return got[h + 12] == ')' && !strcmp(got + h + 13, tail);
}

/* The request's candidate columns: balance, equity, upnl_total, profit,
 * the event's two, size, cost and upnl per market, an id and its offset. */
static double columns_of(size_t n, size_t nm) { return (double)n * (8 * (6 + 3 * nm) + 4 + CODEC_ID_MAX); }

/* The largest answer a resolution's requests allow. */
static double answer_of(size_t n, size_t nm) {
  return (double)evalproto_response_max(&(eval_request){.fn = EVAL_FN_HAIRCUT, .nmarkets = nm, .c.n = n});
}

/* ---- resolving with a policy ---------------------------------------------- */

typedef struct resolving {
  const char *markets, *accounts, *positions, *events;
  uint64_t memory;
  const char *evaluator;  /* NULL: socloss-eval */
  const char *policy;
  size_t policy_len;
} resolving;

/* The ledger of tests/cli/hostile.t: a (long 25 at 100, equity -1500 at
 * 80) is bankrupt; l long, p q r s short. */
static const resolving hostile_ledger = {
    "market,mark_price\nBTC,100\n",
    "account,balance\na,-1000\nl,1000\np,4000\nq,-900\nr,4500\ns,4500\n",
    "account,market,size,entry_price\na,BTC,25,100\nl,BTC,5,100\np,BTC,-10,180\nq,BTC,-10,180\nr,BTC,-5,180\n"
    "s,BTC,-5,180\n",
    "{\"type\":\"market\",\"market\":\"BTC\",\"mark\":80}\n",
    64u << 20, NULL, NULL, 0};

static int resolve_case(void *ud, char *msg, size_t cap) {
  const resolving *rv = ud;
  char dir[64];
  socloss *led = new_ledger(dir, 0);
  if (!led) return snprintf(msg, cap, "no ledger"), -1;
  socloss_source m = src_of("m", rv->markets), a = src_of("a", rv->accounts), p = src_of("p", rv->positions),
                 e = src_of("e", rv->events);
  socloss_limits lim;
  int rc = socloss_import_csv(led, &m, &a, &p, NULL);
  if (!rc && *rv->events) rc = socloss_apply_jsonl(led, &e, NULL);
  if (!rc) rc = socloss_limits_get(led, &lim);
  lim.instructions = 2000000;
  lim.memory = rv->memory;
  lim.wall_ms = 5000;
  if (!rc) rc = socloss_limits_set(led, &lim);
  if (rc) {
    snprintf(msg, cap, "setting up: %s", socloss_errmsg(led));
    drop_ledger(led, dir);
    return -1;
  }
  socloss_close(led);
  socloss_options o;
  socloss_options_init(&o);
  o.evaluator = rv->evaluator ? rv->evaluator : SOCLOSS_BINARY_DIR "/socloss-eval";
  if ((rc = socloss_open(&led, dir, &o))) {
    snprintf(msg, cap, "reopening: %s", socloss_errmsg(led));
    drop_ledger(led, dir);
    return -1;
  }
  fingerprint before = fp_of(led);
  socloss_resolve_options ro;
  socloss_resolve_options_init(&ro);
  ro.policy = rv->policy;
  ro.policy_len = rv->policy_len;
  const socloss_resolution *r;
  rc = socloss_resolve(led, "a", &ro, &r);
  snprintf(msg, cap, "%s", socloss_errmsg(led));
  fingerprint after = fp_of(led);
  if (rc && !(!memcmp(before.digest, after.digest, 32) && after.seq == before.seq + 1))
    snprintf(msg, cap, "the state changed, or the failure was not journaled: %s", socloss_errmsg(led));
  socloss_close(led);
  take_peaks();
  remove_dir(dir);
  return rc;
}

/* tests/hostile/FILE: refused with the text its first line expects. */
static void hostile(const char *file) {
  char path[512], name[128];
  snprintf(path, sizeof path, "%s/tests/hostile/%s", SOCLOSS_SOURCE_DIR, file);
  snprintf(name, sizeof name, "%.*s", (int)(strlen(file) - 4), file);
  FILE *f = fopen(path, "rb");
  static char src[1 << 16];
  size_t len = f ? fread(src, 1, sizeof src - 1, f) : 0;
  if (f) fclose(f);
  src[len] = 0;
  char want[512] = "";
  sscanf(src, "-- expect: %511[^\n]", want);
  ok(*want, "%s: says what it expects", name);
  resolving rv = hostile_ledger;
  rv.policy = src;
  rv.policy_len = len;
  outcome o = in_child(resolve_case, &rv);
  is(o.rc, SOCLOSS_EPOLICY, "%s: a refused policy", name);
  ok(strstr(o.msg, want) != NULL, "%s: '%s'", name, want);
  if (!strstr(o.msg, want)) diag("got: %s", o.msg);
  peaks(name, &o, (double)rv.memory, columns_of(5, 1), answer_of(5, 1));
}

/* ---- fake evaluators ------------------------------------------------------ */

static const resolving fake_ledger = {
    "market,mark_price\nBTC,80\n", "account,balance\na,-1000\nb,5000\n",
    "account,market,size,entry_price\na,BTC,10,100\nb,BTC,-10,100\n", "", 64u << 20, NULL, NULL, 0};

static void against(const char *mode, resolving rv, const char *policy, const char *name, const char *tail) {
  char path[512], label[160];
  snprintf(path, sizeof path, "%s/tests/fakes/fake-eval-%s", SOCLOSS_BINARY_DIR, mode);
  rv.evaluator = path;
  rv.policy = policy;
  rv.policy_len = strlen(policy);
  snprintf(label, sizeof label, "fake-eval-%s", mode);
  outcome o = in_child(resolve_case, &rv);
  is(o.rc, SOCLOSS_EPOLICY, "%s: a refused policy", label);
  ok(policy_message(o.msg, name, tail), "%s: '%s'", label, tail);
  if (!policy_message(o.msg, name, tail)) diag("got: %s", o.msg);
  peaks(label, &o, (double)rv.memory, columns_of(2, 1), answer_of(2, 1));
}

/* Registering or activating a policy the evaluator names badly. */
static int naming_case(void *ud, char *msg, size_t cap) {
  const char *src = ud;
  char dir[64];
  socloss *led = new_ledger(dir, 0);
  if (!led) return snprintf(msg, cap, "no ledger"), -1;
  socloss_close(led);
  socloss_options o;
  socloss_options_init(&o);
  o.evaluator = SOCLOSS_BINARY_DIR "/tests/fakes/fake-eval-name";
  int rc = socloss_open(&led, dir, &o);
  if (rc) return snprintf(msg, cap, "reopening: %s", socloss_errmsg(led)), -1;
  socloss_policy_info info;
  int added = socloss_policy_add(led, src, strlen(src), &info);
  char first[1024];
  snprintf(first, sizeof first, "%s", socloss_errmsg(led));
  rc = socloss_policy_set(led, SOCLOSS_POLICY_ACTIVE, src, strlen(src), NULL);
  if (added != rc || strcmp(first, socloss_errmsg(led)))
    snprintf(msg, cap, "add (%d): %s; set (%d): %s", added, first, rc, socloss_errmsg(led));
  else
    snprintf(msg, cap, "%s", first);
  socloss_close(led);
  take_peaks();
  remove_dir(dir);
  return rc;
}

/* ---- test files ----------------------------------------------------------- */

typedef struct testing {
  const char *path, *evaluator;
  char out[4096];
} testing;

static int collect(void *ud, const char *line) {
  char *out = ud;
  size_t n = strlen(out);
  snprintf(out + n, 4096 - n, "%s\n", line);
  return 0;
}

static int test_file_case(void *ud, char *msg, size_t cap) {
  testing *t = ud;
  int failed;
  t->out[0] = 0;
  int rc = socloss_test_file(t->path, t->evaluator, collect, t->out, &failed);
  take_peaks();  /* the runner stopped its evaluator */
  snprintf(msg, cap, "%s", t->out);
  return rc;
}

static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  if (f) {
    fputs(text, f);
    fclose(f);
  }
}

/* A 1 MiB string referenced 999,000 times: the JSON would be a terabyte. */
static void shared_references(const char *dir) {
  char path[256];
  snprintf(path, sizeof path, "%s/p.lua", dir);
  write_file(path, "return {name = 'p', haircut = function() end}\n");
  snprintf(path, sizeof path, "%s/shared_test.lua", dir);
  write_file(path,
             "local s = string.rep('x', 1 << 20)\n"
             "local cases = {}\n"
             "for i = 1, 999000 do cases[i] = s end\n"
             "return {policy = 'p.lua', cases = cases}\n");
  testing t = {path, SOCLOSS_BINARY_DIR "/socloss-eval", ""};
  outcome o = in_child(test_file_case, &t);
  char want[512];
  snprintf(want, sizeof want,
           "1..1\nnot ok 1 - %s loads\n#   returned an invalid result: data: more than %d bytes of JSON\n", path,
           EVAL_DATA_MAX);
  is(o.rc, SOCLOSS_EPOLICY, "shared references: the test file does not load");
  is_str(o.msg, want, "shared references: refused as too much JSON, not copied once per reference");
  peaks("shared references", &o, TEST_FILE_MEMORY, 0, EVAL_ANSWER_FIXED + EVAL_DATA_MAX);
}

/* An evaluator answering one byte of data more than the host parses. */
static void data_over(const char *dir) {
  char path[256], src[32], want[512];
  snprintf(path, sizeof path, "%s/over_test.lua", dir);
  snprintf(src, sizeof src, "%d", EVAL_DATA_MAX + 1);
  write_file(path, src);
  testing t = {path, SOCLOSS_BINARY_DIR "/tests/fakes/fake-eval-data", ""};
  outcome o = in_child(test_file_case, &t);
  snprintf(want, sizeof want,
           "1..1\nnot ok 1 - %s loads\n#   broke the evaluator protocol: the evaluator's answer holds %d bytes of "
           "data, more than the %d this request allows\n",
           path, EVAL_DATA_MAX + 1, EVAL_DATA_MAX);
  is(o.rc, SOCLOSS_EPOLICY, "data over the cap: the test file does not load");
  is_str(o.msg, want, "data over the cap: the host does not parse it");
  peaks("data over the cap", &o, TEST_FILE_MEMORY, 0, EVAL_ANSWER_FIXED + EVAL_DATA_MAX);
}

/* ---- the evaluator's address space --------------------------------------- */

static void heard(void *ud, const char *message) {
  const char *at = strstr(message, " started (pid ");
  if (at) *(long *)ud = strtol(at + strlen(" started (pid "), NULL, 10);
}

/* A running evaluator's RLIMIT_AS, soft and hard ("unlimited": -1). */
static int space_of(long pid, long long *soft, long long *hard) {
  char path[64], line[256], a[32], b[32];
  snprintf(path, sizeof path, "/proc/%ld/limits", pid);
  FILE *f = fopen(path, "r");
  int found = 0;
  while (f && !found && fgets(line, sizeof line, f))
    found = sscanf(line, "Max address space %31s %31s", a, b) == 2;
  if (f) fclose(f);
  *soft = strcmp(a, "unlimited") ? atoll(a) : -1;
  *hard = strcmp(b, "unlimited") ? atoll(b) : -1;
  return found;
}

/* After a call the evaluator waits for the next under the address space its
 * last request was given: 64 MiB for the program, the budget and a quarter,
 * four times a test file's data, three times the request (a few KiB here). */
static void address_space(void) {
  char dir[64];
  socloss *led = new_ledger(dir, 0);
  socloss_source m = src_of("m", hostile_ledger.markets), a = src_of("a", hostile_ledger.accounts),
                 p = src_of("p", hostile_ledger.positions), e = src_of("e", hostile_ledger.events);
  socloss_limits lim;
  int rc = socloss_import_csv(led, &m, &a, &p, NULL);
  if (!rc) rc = socloss_apply_jsonl(led, &e, NULL);
  if (!rc) rc = socloss_limits_get(led, &lim);
  lim.memory = 64u << 20;
  if (!rc) rc = socloss_limits_set(led, &lim);
  socloss_close(led);
  long pid = 0;
  socloss_options o;
  socloss_options_init(&o);
  o.evaluator = SOCLOSS_BINARY_DIR "/socloss-eval";
  o.log = heard;
  o.log_ud = &pid;
  if (!rc) rc = socloss_open(&led, dir, &o);
  const char *calm = "return {name = 'calm', haircut = function() end}";
  socloss_resolve_options ro;
  socloss_resolve_options_init(&ro);
  ro.policy = calm;
  ro.policy_len = strlen(calm);
  const socloss_resolution *r;
  if (!rc) rc = socloss_resolve(led, "a", &ro, &r);
  is(rc, SOCLOSS_OK, "a calm policy resolves");
  long long soft = 0, hard = 0, low = (64ll << 20) + (64ll << 20) * 5 / 4 + 4ll * EVAL_DATA_MAX;
  ok(pid > 0 && space_of(pid, &soft, &hard), "the evaluator (pid %ld) waits for the next request", pid);
  ok(soft >= low && soft <= low + (1 << 20), "its address space is limited to %.1f MB (%.1f MB and the request's)",
     soft / MB, low / MB);
  struct rlimit mine;
  getrlimit(RLIMIT_AS, &mine);
  ok(hard == (mine.rlim_max == RLIM_INFINITY ? -1 : (long long)mine.rlim_max), "its hard limit is the host's");
  drop_ledger(led, dir);
}

/* The JSON written as it is walked says what the Lua said: escapes, UTF-8
 * and reals survive, and what jansson would refuse is refused by name. */
static void data_faithful(const char *dir) {
  static const struct {
    const char *file, *name, *draw, *want;
  } cases[] = {
      {"text_test.lua", "'q\"b\\\\s\\t\\1 \\u{e9}\\u{2603}\\127'", "2",
       "ok 1 - q\"b\\s\t\x01 \xc3\xa9\xe2\x98\x83\x7f\n"},
      {"real_test.lua", "'r'", "2.0", "#   the case's ledger is refused: fund_max_draw: must be an integer (atoms)\n"},
      {"latin1_test.lua", "'caf\\233'", "2", "#   returned an invalid result: data: a string that is not UTF-8\n"},
      {"nul_test.lua", "'a\\0b'", "2", "#   returned an invalid result: data: a string holding a NUL byte\n"},
      {"nan_test.lua", "'n'", "0/0", "#   returned an invalid result: data: a number that is not finite\n"},
  };
  char path[256], text[1024];
  snprintf(path, sizeof path, "%s/p.lua", dir);
  write_file(path, "return {name = 'p', haircut = function() end}\n");
  for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
    snprintf(path, sizeof path, "%s/%s", dir, cases[k].file);
    snprintf(text, sizeof text,
             "return {policy = 'p.lua', cases = {{name = %s, markets = {{'BTC', 100}},\n"
             "  accounts = {{'a', -10}, {'b', 100}}, positions = {{'a', 'BTC', 1, 100}, {'b', 'BTC', -1, 100}},\n"
             "  account = 'a', fund_max_draw = %s, expect = {bad_debt = 10}}}}\n",
             cases[k].name, cases[k].draw);
    write_file(path, text);
    testing t = {path, SOCLOSS_BINARY_DIR "/socloss-eval", ""};
    outcome o = in_child(test_file_case, &t);
    ok(strstr(o.msg, cases[k].want) != NULL, "data as JSON: %s", cases[k].file);
    if (!strstr(o.msg, cases[k].want)) diag("got: %s", o.msg);
  }
}

int main(void) {
  if (SANITIZED)
    diag("note: the peak RSS and address-space assertions are left out of sanitizer builds: AddressSanitizer "
         "reserves terabytes of address space (so the evaluator runs without RLIMIT_AS) and its shadow and "
         "quarantine inflate every RSS, so the figures would measure the sanitizer, not socloss");
  else
    address_space();
  /* item 4: helper temporaries count against the memory budget */
  hostile("81_pro_rata_temporaries.lua");
  hostile("82_waterfill_temporaries.lua");
  /* item 5: an action list made by a helper is under the action cap */
  hostile("83_deleverage_flood.lua");

  /* item 6: a test file's data */
  char dir[] = "/tmp/socloss-contain-XXXXXX";
  if (mkdtemp(dir)) {
    data_faithful(dir);
    shared_references(dir);
    data_over(dir);
    remove_dir(dir);
  } else {
    ok(0, "a directory for the test files: %s", strerror(errno));
  }

  /* item 7: an answer longer than the request allows is never allocated */
  char tail[256];
  snprintf(tail, sizeof tail,
           " broke the evaluator protocol in haircut: the evaluator's answer of 2147483648 bytes is over the "
           "%llu bytes this request allows",
           (unsigned long long)answer_of(1, 1));
  against("huge", fake_ledger, "return {}", "fake", tail);

  /* ... and an answer of more actions than there can be is refused whole */
  against("many", fake_ledger, "return {}", "fake",
          " broke the evaluator protocol in haircut: the evaluator's answer holds 3 actions, more than the 2 this "
          "request allows");

  /* item 11: two closes of 2^62 lots by one holder add up past int64 */
  resolving big = {"market,mark_price\nBTC,1\n", "account,balance\na,-1000\nb,1000\nc,1000\n",
                   "account,market,size,entry_price\na,BTC,6917529027641081856,1\nb,BTC,-4611686018427387904,1\n"
                   "c,BTC,-2305843009213693952,1\n",
                   "", 64u << 20, NULL, NULL, 0};
  against("overflow", big, "return {}", "fake",
          ": deleverage action 2: closes 9223372036854775808 lots in 'BTC' in all, more than the "
          "6917529027641081856 of 'a'");

  /* item 12: the name the evaluator sends back is checked */
  const char *bad[] = {"name=", "name=two words", "name=\x1b[31mred", "name=tab\there", "name=caf\xc3\xa9"};
  const char *shown[] = {"", "two words", "\\x1b[31mred", "tab\\x09here", "caf\\xc3\\xa9"};
  for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
    snprintf(tail, sizeof tail,
             " does not load: the evaluator named it '%s': a policy's name is 1 to 64 printable ASCII characters "
             "without spaces",
             shown[k]);
    against("name", fake_ledger, bad[k], NULL, tail);
  }
  outcome o = in_child(naming_case, "name=");
  is(o.rc, SOCLOSS_EPOLICY, "an empty name: neither registered nor activated");
  snprintf(tail, sizeof tail,
           " does not load: the evaluator named it '': a policy's name is 1 to 64 printable ASCII characters "
           "without spaces");
  ok(policy_message(o.msg, NULL, tail), "an empty name: the same message for both");
  if (!policy_message(o.msg, NULL, tail)) diag("got: %s", o.msg);
  peaks("an empty name", &o, 512u << 20, 0, answer_of(0, 0));
  return done_testing();
}
