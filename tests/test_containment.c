/*
 * What a hostile policy, test file or evaluator can make either process
 * allocate: every policy of the hostile corpus (each .lua of tests/hostile/
 * and the three tests/cli/hostile.t makes), test files and fake evaluators.
 * Each case runs in a child process of its own (fork), so that its peaks
 * are its own: the host's is the child's VmHWM, the evaluator's the largest
 * RSS among the child's reaped children (getrusage RUSAGE_CHILDREN; the
 * child closes its handle, which reaps the evaluator, before it asks).  Each
 * case's refusal (or a "-- decides:" policy's decision) is checked word for
 * word, and in the release build its peaks against the bounds
 * docs/design.md §8 states:
 *
 *   evaluator <= 1.25 x (the ledger's memory limit + the request's candidate
 *                columns) + 16 MB
 *   host      <= its RSS before the call + 80 x the largest answer the
 *                request allows (EVAL_ANSWER_FIXED + EVAL_LOG_MAX + 24 bytes an action, or
 *                EVAL_DATA_MAX of a test file's data) + 16 MB
 *
 * 80 is jansson's tree of the densest JSON ([{},{},...] takes 77 times its
 * text); an answer of actions costs the host far less.
 */
#define _GNU_SOURCE /* pipe2 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "evalproto.h"
#include "region.h"
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
  char msg[12288];  /* a decision and what the policy logged (4 KiB a call, and its cut) */
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
  /* more than PIPE_BUF: it may come in pieces */
  ssize_t got = pid > 0 ? 0 : -1;
  for (ssize_t r; got >= 0 && (size_t)got < sizeof o && (r = read(p[0], (char *)&o + got, sizeof o - (size_t)got)) != 0;)
    got = r < 0 ? (errno == EINTR ? got : -1) : got + r;
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

/* A case's peaks (bytes: the evaluator's RSS, the host's growth) and their
 * bounds. */
typedef struct peak {
  double eval, eval_max, host, host_max;
} peak;

/* The peaks against the bounds; in the release build only. */
static peak peaks(const char *name, const outcome *o, double limit, double columns, double answer) {
  peak k = {o->eval_peak_kb * 1024.0, 1.25 * (limit + columns) + 16 * MB,
            (o->host_peak_kb - o->host_base_kb) * 1024.0, 80 * answer + 16 * MB};
  if (SANITIZED) return k;
  ok(k.eval <= k.eval_max, "%s: the evaluator's peak RSS %.1f MB <= %.1f MB", name, k.eval / MB, k.eval_max / MB);
  ok(k.host <= k.host_max, "%s: the host's peak RSS %.1f MB over its %.1f MB before <= %.1f MB", name,
     k.host / MB, o->host_base_kb * 1024.0 / MB, k.host_max / MB);
  return k;
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
  const char *policy_file;  /* the name its source is given (as the CLI gives a file's), or NULL */
} resolving;

/* The ledger of tests/cli/hostile.t: a (long 25 at 100, equity -1500 at
 * 80) is bankrupt; l long, p q r s short. */
static const resolving hostile_ledger = {
    "market,mark_price\nBTC,100\n",
    "account,balance\na,-1000\nl,1000\np,4000\nq,-900\nr,4500\ns,4500\n",
    "account,market,size,entry_price\na,BTC,25,100\nl,BTC,5,100\np,BTC,-10,180\nq,BTC,-10,180\nr,BTC,-5,180\n"
    "s,BTC,-5,180\n",
    "{\"type\":\"market\",\"market\":\"BTC\",\"mark\":80}\n",
    64u << 20, NULL, NULL, 0, NULL};

/* What a resolution decided, in the lines `socloss resolve` prints (without
 * their indent): what "-- decides:" is matched against; then what the
 * policy logged, "log: " a line, as resolve prints it, for "-- log:". */
static void log_lines(const socloss_resolution *r, char *msg, size_t cap) {
  size_t n = strlen(msg);
  for (const char *p = r && r->log ? r->log : ""; *p && n < cap;) {
    const char *nl = strchr(p, '\n');
    int len = nl ? (int)(nl - p) : (int)strlen(p);
    n += snprintf(msg + n, cap - n, "log: %.*s\n", len, p);
    p += len + (nl != NULL);
  }
}

static void decision_of(const socloss_resolution *r, char *msg, size_t cap) {
  size_t n = 0;
  msg[0] = 0;
  for (size_t k = 0; k < r->ndeleveraged && n < cap; k++)
    n += snprintf(msg + n, cap - n, "deleveraged %s %lld lots of %s at %lld\n", r->deleveraged[k].account,
                  (long long)r->deleveraged[k].size, r->deleveraged[k].market, (long long)r->deleveraged[k].price);
  for (size_t k = 0; k < r->ntakeovers && n < cap; k++)
    n += snprintf(msg + n, cap - n, "fund took over %lld lots of %s at %lld\n", (long long)r->takeovers[k].size,
                  r->takeovers[k].market, (long long)r->takeovers[k].price);
  for (size_t k = 0; k < r->nhaircuts && n < cap; k++)
    n += snprintf(msg + n, cap - n, "haircut %s %lld\n", r->haircuts[k].account, (long long)r->haircuts[k].amount);
  log_lines(r, msg, cap);
}

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
  if (rv->policy_file) socloss_policy_source_name(led, rv->policy, rv->policy_len, rv->policy_file);
  const socloss_resolution *r;
  rc = socloss_resolve(led, "a", &ro, &r);
  if (rc) {
    /* a refused policy's log too, on the lines after its message */
    snprintf(msg, cap, "%s%s", socloss_errmsg(led), r && r->log && *r->log ? "\n" : "");
    log_lines(r, msg, cap);
  } else {
    decision_of(r, msg, cap);
  }
  fingerprint after = fp_of(led);
  if (rc && !(!memcmp(before.digest, after.digest, 32) && after.seq == before.seq + 1))
    snprintf(msg, cap, "the state changed, or the failure was not journaled: %s", socloss_errmsg(led));
  socloss_close(led);
  take_peaks();
  remove_dir(dir);
  return rc;
}

/* ---- the hostile corpus -------------------------------------------------- */

/* One policy of the corpus, NAME, against the ledger of tests/cli/hostile.t:
 * refused with the text its first line expects ("-- expect: TEXT"), or
 * resolved with the decision it names ("-- decides: TEXT", matched as a
 * substring of the decision's lines; hostile.t checks it is the same run
 * after run).  WANT overrides the first line (the policies made here). */
static peak hostile(const char *name, const char *src, size_t len, const char *want) {
  char expect[512] = "", decides[512] = "";
  if (want) snprintf(expect, sizeof expect, "%s", want);
  else if (sscanf(src, "-- decides: %511[^\n]", decides) != 1) sscanf(src, "-- expect: %511[^\n]", expect);
  ok(*expect || *decides, "%s: says what it expects", name);
  resolving rv = hostile_ledger;
  rv.policy = src;
  rv.policy_len = len;
  char file[300];
  snprintf(file, sizeof file, "%s.lua", name);  /* as hostile.t's resolve --policy names it */
  rv.policy_file = file;
  outcome o = in_child(resolve_case, &rv);
  if (*decides) {
    is(o.rc, SOCLOSS_OK, "%s: resolved", name);
    ok(strstr(o.msg, decides) != NULL, "%s: decides '%s'", name, decides);
    if (!strstr(o.msg, decides)) diag("got: %s", o.msg);
  } else {
    is(o.rc, SOCLOSS_EPOLICY, "%s: a refused policy", name);
    ok(strstr(o.msg, expect) != NULL, "%s: '%s'", name, expect);
    if (!strstr(o.msg, expect)) diag("got: %s", o.msg);
  }
  /* "-- log: TEXT" lines: text its log lines hold */
  for (const char *l = src; (l = strstr(l, "\n-- log: ")) != NULL;) {
    l += 9;
    char want[512];
    size_t n = strcspn(l, "\n");
    snprintf(want, sizeof want, "%.*s", (int)n, l);
    const char *in = o.msg, *hit = NULL;
    while (!hit && (in = strstr(in, "log: ")) != NULL) {  /* within one log line */
      size_t ll = strcspn(in, "\n");
      char *one = strndup(in, ll);
      if (one && strstr(one, want)) hit = in;
      free(one);
      in += ll;
    }
    ok(hit != NULL, "%s: logs '%.60s'", name, want);
    if (!hit) diag("got: %.2000s", o.msg);
  }
  return peaks(name, &o, (double)rv.memory, columns_of(5, 1), answer_of(5, 1));
}

/* The policies tests/cli/hostile.t makes in $TMP (too large for the
 * repository, or not text at all), made here byte for byte the same. */
#define HUGE_POLICY ((256u << 10) + 1)  /* one byte over the sandbox's 256 KiB */

static size_t make_bytecode(char *buf) {
  static const char chunk[] = "\033Lua\124\000\031\223\r\n\032\nbytecode";
  memcpy(buf, chunk, sizeof chunk - 1);
  return sizeof chunk - 1;
}

static size_t make_huge(char *buf) {
  size_t n = (size_t)sprintf(buf, "return {name = \"huge\", haircut = function() end}\n");
  memset(buf + n, '-', HUGE_POLICY - n);
  return HUGE_POLICY;
}

static size_t make_nesting(char *buf) {
  size_t n = (size_t)sprintf(buf, "return {name = \"nest\", haircut = function() return ");
  memset(buf + n, '(', 300);
  buf[n + 300] = '1';
  memset(buf + n + 301, ')', 300);
  return n + 601 + (size_t)sprintf(buf + n + 601, " end}\n");
}

static const struct {
  const char *name, *want;
  size_t (*make)(char *buf);
} made[] = {
    {"bytecode", "binary chunks are refused: policies are source text", make_bytecode},
    {"huge", "policy source is larger than 256 KiB", make_huge},
    {"nesting", "does not load: C stack overflow", make_nesting},
};

/* The made policies are the ones hostile.t makes: its table of them,
 * `  [$TMP/NAME.lua]="TEXT"`, names the same ones expecting the same. */
static void made_as_in_hostile_t(void) {
  char path[512], line[512], names[1024] = "", mine[1024] = "";
  snprintf(path, sizeof path, "%s/tests/cli/hostile.t", SOCLOSS_SOURCE_DIR);
  FILE *f = fopen(path, "r");
  ok(f != NULL, "tests/cli/hostile.t is there");
  while (f && fgets(line, sizeof line, f)) {
    char name[64], want[256];
    if (sscanf(line, " [$TMP/%63[^.].lua]=\"%255[^\"]\"", name, want) != 2) continue;
    size_t n = strlen(names);
    snprintf(names + n, sizeof names - n, "%s: %s\n", name, want);
  }
  if (f) fclose(f);
  for (size_t k = 0; k < sizeof made / sizeof *made; k++) {
    size_t n = strlen(mine);
    snprintf(mine + n, sizeof mine - n, "%s: %s\n", made[k].name, made[k].want);
  }
  is_str(names, mine, "the policies made here are those tests/cli/hostile.t makes, expecting the same");
}

static int lua_file(const struct dirent *e) {
  size_t n = strlen(e->d_name);
  return n > 4 && !strcmp(e->d_name + n - 4, ".lua");
}

/* Every policy of the corpus, each held to the bounds; the largest peaks
 * said at the end (the bounds are the same for all: one ledger). */
static void corpus(void) {
  char dir[512], path[1024], name[256];
  snprintf(dir, sizeof dir, "%s/tests/hostile", SOCLOSS_SOURCE_DIR);
  struct dirent **files = NULL;
  int listed = scandir(dir, &files, lua_file, alphasort), n = listed > 0 ? listed : 0;
  ok(n >= 40, "the corpus %s has at least 40 policies (%d)", dir, n);
  char *src = malloc(HUGE_POLICY + 1);
  peak top = {0, 0, 0, 0};
  char top_eval[256] = "", top_host[256] = "";
  for (int k = 0; src && k < n + (int)(sizeof made / sizeof *made); k++) {
    size_t len;
    const char *want = NULL;
    if (k < n) {
      snprintf(path, sizeof path, "%s/%s", dir, files[k]->d_name);
      snprintf(name, sizeof name, "%.*s", (int)strlen(files[k]->d_name) - 4, files[k]->d_name);
      FILE *f = fopen(path, "rb");
      len = f ? fread(src, 1, HUGE_POLICY, f) : 0;  /* the most the evaluator takes, and a byte */
      if (f) fclose(f);
      free(files[k]);
    } else {
      snprintf(name, sizeof name, "%s", made[k - n].name);
      len = made[k - n].make(src);
      want = made[k - n].want;
    }
    src[len] = 0;
    peak p = hostile(name, src, len, want);
    if (p.eval >= top.eval) top.eval = p.eval, top.eval_max = p.eval_max, strcpy(top_eval, name);
    if (p.host >= top.host) top.host = p.host, top.host_max = p.host_max, strcpy(top_host, name);
  }
  if (listed >= 0) free(files);
  free(src);
  if (!SANITIZED)
    diag("the corpus's largest peaks: the evaluator's %.1f MB (%s; bound %.1f MB), the host's growth %.1f MB "
         "(%s; bound %.1f MB)",
         top.eval / MB, top_eval, top.eval_max / MB, top.host / MB, top_host, top.host_max / MB);
}

/* ---- fake evaluators ------------------------------------------------------ */

static const resolving fake_ledger = {
    "market,mark_price\nBTC,80\n", "account,balance\na,-1000\nb,5000\n",
    "account,market,size,entry_price\na,BTC,10,100\nb,BTC,-10,100\n", "", 64u << 20, NULL, NULL, 0, NULL};

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

/* An evaluator's address space in bytes (VmSize), 0 when unreadable. */
static long long vm_size(long pid) {
  char path[64], line[256];
  long long kb = 0;
  snprintf(path, sizeof path, "/proc/%ld/status", pid);
  FILE *f = fopen(path, "r");
  while (f && fgets(line, sizeof line, f) && sscanf(line, "VmSize: %lld kB", &kb) != 1) {
  }
  if (f) fclose(f);
  return kb * 1024;
}

/* An evaluator maps what its calls left it (glibc keeps the top of its
 * heap where a call's last allocation pinned it; evaluator/main.c keeps up
 * to RETAIN freed bytes on purpose): after a policy that made and dropped
 * 1.5M small tables under the default 512 MiB budget, 165 MB.  A call
 * under the 1 MiB budget is given about 89 MB (64 MiB for the program, the
 * budget and a quarter, four times a test file's data, the region): the
 * host starts that evaluator afresh (policy.c, fits_space), so that the
 * call has its room, and the evaluator waits within its limit.  Dry runs,
 * as the caller's. */
static void heap_kept(socloss *led, long *heard_pid, long long low64) {
  long pid = *heard_pid;  /* the evaluator the log last said started */
  socloss_limits lim;
  int rc = socloss_limits_get(led, &lim);
  lim.memory = 512u << 20;
  if (!rc) rc = socloss_limits_set(led, &lim);
  const char *big = "return {name = 'big', haircut = function()\n"
                    "  local t = {} for i = 1, 1500000 do t[i] = {i} end\n"
                    "end}";
  socloss_resolve_options ro;
  socloss_resolve_options_init(&ro);
  ro.policy = big;
  ro.policy_len = strlen(big);
  ro.dry_run = 1;
  const socloss_resolution *r;
  if (!rc) rc = socloss_resolve(led, "a", &ro, &r);
  is(rc, SOCLOSS_OK, "a policy making 1.5M small tables resolves (dry run) under 512 MiB");
  if (rc) diag("%s", socloss_errmsg(led));
  long long after_big = vm_size(pid);
  lim.memory = 1u << 20;
  if (!rc) rc = socloss_limits_set(led, &lim);
  const char *calm = "return {name = 'calm', haircut = function() local t = {} for i = 1, 5000 do t[i] = {i} end end}";
  ro.policy = calm;
  ro.policy_len = strlen(calm);
  if (!rc) rc = socloss_resolve(led, "a", &ro, &r);
  is(rc, SOCLOSS_OK, "then, under a 1 MiB budget, a policy making 5000 tables resolves");
  ok(after_big > (100ll << 20), "after the big call the evaluator (pid %ld) mapped %.1f MB", pid, after_big / MB);
  long long soft = 0, hard = 0, low = low64 - (64ll << 20) * 5 / 4 + (1ll << 20) * 5 / 4;
  long now = *heard_pid;
  int known = now > 0 && space_of(now, &soft, &hard);
  long long vm = known ? vm_size(now) : 0;
  ok(now != pid, "a new evaluator (pid %ld) took the 1 MiB call", now);
  ok(known && soft >= low && soft <= low + (1 << 20), "it waits under %.1f MB (%.1f MB and the request's)",
     soft / MB, low / MB);
  ok(vm > 0 && vm < soft, "and within it: %.1f MB mapped", vm / MB);
}

/* After a call the evaluator waits for the next under the address space its
 * last request was given: 64 MiB for the program, the budget and a quarter,
 * four times a test file's data, the request's own (a few KiB here), and
 * the shared region it maps, counted apart (REGION_MIN: five candidates'
 * columns fit the first one; none on the copying path). */
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
  ro.dry_run = 1;  /* "a" stays bankrupt for heap_kept's calls */
  const socloss_resolution *r;
  if (!rc) rc = socloss_resolve(led, "a", &ro, &r);
  is(rc, SOCLOSS_OK, "a calm policy resolves");
  const char *copy = getenv("SOCLOSS_EVAL_COPY");
  long long mapped = copy && *copy && strcmp(copy, "0") ? 0 : (long long)REGION_MIN;
  long long soft = 0, hard = 0, low = (64ll << 20) + (64ll << 20) * 5 / 4 + 4ll * EVAL_DATA_MAX + mapped;
  ok(pid > 0 && space_of(pid, &soft, &hard), "the evaluator (pid %ld) waits for the next request", pid);
  ok(soft >= low && soft <= low + (1 << 20), "its address space is limited to %.1f MB (%.1f MB and the request's)",
     soft / MB, low / MB);
  struct rlimit mine;
  getrlimit(RLIMIT_AS, &mine);
  ok(hard == (mine.rlim_max == RLIM_INFINITY ? -1 : (long long)mine.rlim_max), "its hard limit is the host's");
  heap_kept(led, &pid, low);
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
  /* the whole corpus; among it item 4, helper temporaries count against the
   * memory budget (81, 82), and item 5, an action list made by a helper is
   * under the action cap (83) */
  made_as_in_hostile_t();
  corpus();

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
                   "", 64u << 20, NULL, NULL, 0, NULL};
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
