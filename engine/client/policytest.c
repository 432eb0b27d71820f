/*
 * policytest.c — policy tests as data: a test file is Lua (run in the same
 * sandbox as policies, so a hostile test file is contained too) returning
 *
 *   { policy = "pro_rata.lua",            -- relative to the test file
 *     cases = { { name = "...",
 *                 markets   = { {"BTC", 100}, ... },
 *                 accounts  = { {"a", 44}, ... },
 *                 positions = { {"a", "BTC", 9, 100}, ... },  -- account, market, size, entry
 *                 events    = { {type = "market", market = "BTC", mark = 94}, ... },
 *                 fund_max_draw = 20,                       -- the ledger's limit (optional)
 *                 account = "a", params = {...},
 *                 expect = { status = "applied", fund_draw = 0, bad_debt = 0,
 *                            haircuts = { {"b", 4}, ... },
 *                            deleveraged = { {"s1", "BTC", 4, 100}, ... },
 *                            takeovers = { {"BTC", 9, 94}, ... },
 *                            transfers = { 400, ... },     -- atoms each close moved
 *                            error = "text in the failure" } }, ... } }
 *
 * Each case gets a throwaway ledger and resolves through the same engine
 * path as `socloss resolve` (same sandbox, same validation); the expected
 * fields given are compared exactly, and the invariants must hold after.
 * The report is TAP, line by line, through the caller's callback.
 */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy.h"
#include "text.h"

typedef struct tap {
  socloss_line_cb cb;
  void *ud;
  int n, failed;
} tap;

static void say(tap *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(tap *t, const char *fmt, ...) {
  char line[1200];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  t->cb(t->ud, line);
}

/* A file's first cap bytes and one more, NUL-terminated: a source longer
 * than the sandbox takes still reaches it and is refused there as too large,
 * and no file (/dev/zero) is read without end.  NULL with errno set. */
static char *read_file(const char *path, size_t cap, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  char *buf = malloc(cap + 2);
  size_t n = buf ? fread(buf, 1, cap + 1, f) : 0;
  int err = !buf ? ENOMEM : ferror(f) ? errno : 0;  /* a directory opens, then reads EISDIR */
  fclose(f);
  if (err) {
    free(buf);
    errno = err;
    return NULL;
  }
  buf[n] = 0;
  *len = n;
  return buf;
}

/* Why the policy a test file names cannot be used, or NULL.  It is taken
 * relative to the test file's directory `dir` and must stay inside it:
 * not absolute, no ".." above it, no symbolic link out of it.  Otherwise a
 * test file could make the host read any file as its policy, and the load
 * error would echo that file's first line. */
static const char *policy_path_problem(const char *dir, const char *name, const char *full, char *why,
                                       size_t cap) {
  char q[TEXT_QUOTED(200)];  /* the name as the messages quote it: the test file's text */
  text_quote(q, name, strlen(name), 200);
  if (name[0] == '/') {
    snprintf(why, cap, "policy '%s' is an absolute path: name it relative to the test file", q);
    return why;
  }
  int depth = 0;
  for (const char *p = name; *p;) {
    size_t n = strcspn(p, "/");
    if (n == 2 && !strncmp(p, "..", 2)) depth--;
    else if (n && !(n == 1 && *p == '.')) depth++;
    if (depth < 0) break;
    p += n + (p[n] == '/');
  }
  char real_dir[PATH_MAX], real[PATH_MAX];
  size_t dl = realpath(dir, real_dir) ? strlen(real_dir) : 0;
  /* a path that does not resolve is told by the read that follows */
  int inside = !dl || !realpath(full, real) ||
               (!strncmp(real, real_dir, dl) && (real[dl] == '/' || !real[dl] || real_dir[dl - 1] == '/'));
  if (depth < 0 || !inside) {
    snprintf(why, cap, "policy '%s' leaves the test file's directory", q);
    return why;
  }
  return NULL;
}

/* CSV text from rows of JSON values. */
static char *csv(const char *header, json_t *rows) {
  codec_buf b = {0};
  codec_buf_raw(&b, header, strlen(header));
  size_t i;
  json_t *row;
  json_array_foreach(rows, i, row) {
    size_t k;
    json_t *v;
    json_array_foreach(row, k, v) {
      char cell[128];
      if (json_is_string(v)) snprintf(cell, sizeof cell, "%s", json_string_value(v));
      else snprintf(cell, sizeof cell, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
      if (k) codec_buf_raw(&b, ",", 1);
      codec_buf_raw(&b, cell, strlen(cell));
    }
    codec_buf_raw(&b, "\n", 1);
  }
  codec_buf_raw(&b, "", 1);
  return b.oom ? NULL : (char *)b.p;
}

typedef struct check {
  tap *t;
  int ok;
} check;

static void field(check *c, const char *name, json_int_t got, json_t *want) {
  if (!want) return;
  if (!json_is_integer(want) || json_integer_value(want) != got) {
    char *w = json_dumps(want, JSON_ENCODE_ANY | JSON_COMPACT);
    say(c->t, "#   %s: got %" JSON_INTEGER_FORMAT ", expected %s", name, got, w ? w : "?");
    free(w);
    c->ok = 0;
  }
}

/* Compares a list of actions with the expected list, as JSON text. */
static void list(check *c, const char *name, json_t *got, json_t *want) {
  if (!want) {
    json_decref(got);
    return;
  }
  if (!json_equal(got, want)) {
    char *g = json_dumps(got, JSON_COMPACT), *w = json_dumps(want, JSON_COMPACT);
    say(c->t, "#   %s: got %.500s", name, g ? g : "?");
    say(c->t, "#   %*s expected %.500s", (int)strlen(name), "", w ? w : "?");
    free(g);
    free(w);
    c->ok = 0;
  }
  json_decref(got);
}

static int run_case(tap *t, json_t *k, const char *dir, const char *policy, size_t plen, const char *pname,
                    const char *evaluator) {
  const char *name = json_string_value(json_object_get(k, "name"));
  char label[200];
  snprintf(label, sizeof label, "%s", name ? name : "(unnamed case)");
  check c = {t, 1};
  socloss_options o;
  socloss_options_init(&o);
  o.create = SOCLOSS_OPEN_CREATE_NEW;
  o.unsafe_nosync = 1;
  o.evaluator = evaluator;
  socloss *led;
  int rc = socloss_open(&led, dir, &o);
  /* its errors are located by the file the test names: "pro_rata.lua:44: ..." */
  if (!rc) rc = socloss_policy_source_name(led, policy, plen, pname);
  char *m = csv("market,mark_price\n", json_object_get(k, "markets"));
  char *a = csv("account,balance\n", json_object_get(k, "accounts"));
  char *p = csv("account,market,size,entry_price\n", json_object_get(k, "positions"));
  if (!rc && m && a && p) {
    socloss_source ms = {"markets", m, strlen(m)}, as = {"accounts", a, strlen(a)}, ps = {"positions", p, strlen(p)};
    rc = socloss_import_csv(led, &ms, &as, &ps, NULL);
  }
  json_t *events = json_object_get(k, "events");
  if (!rc && json_array_size(events)) {
    codec_buf b = {0};
    size_t i;
    json_t *e;
    json_array_foreach(events, i, e) {
      char *line = json_dumps(e, JSON_COMPACT);
      if (line) codec_buf_raw(&b, line, strlen(line));
      codec_buf_raw(&b, "\n", 1);
      free(line);
    }
    socloss_source es = {"events", (const char *)b.p, b.len};
    rc = socloss_apply_jsonl(led, &es, NULL);
    codec_buf_free(&b);
  }
  json_t *max_draw = json_object_get(k, "fund_max_draw");
  if (!rc && max_draw) {  /* the per-deficit cap a policy sees in ctx.fund.max_draw */
    socloss_limits lim;
    rc = json_is_integer(max_draw) ? socloss_limits_get(led, &lim)
                                   : err_fail(SOCLOSS_EINVAL, "fund_max_draw: must be an integer (atoms)");
    lim.fund_max_draw = json_integer_value(max_draw);
    if (!rc) rc = socloss_limits_set(led, &lim);
  }
  free(m);
  free(a);
  free(p);
  if (rc) {
    say(t, "not ok %d - %s", ++t->n, label);
    say(t, "#   the case's ledger is refused: %s", socloss_errmsg(led));
    t->failed++;
    socloss_close(led);
    return 0;
  }
  json_t *expect = json_object_get(k, "expect"), *params = json_object_get(k, "params");
  if (json_is_array(params) && json_array_size(params) == 0) params = NULL;  /* {} in Lua */
  char *ptext = params ? json_dumps(params, JSON_COMPACT) : NULL;
  socloss_resolve_options ro;
  socloss_resolve_options_init(&ro);
  ro.policy = policy;
  ro.policy_len = plen;
  ro.params = ptext;
  ro.id = json_string_value(json_object_get(k, "id"));
  const char *account = json_string_value(json_object_get(k, "account"));
  const socloss_resolution *r = NULL;
  rc = socloss_resolve(led, account ? account : "", &ro, &r);
  free(ptext);
  const char *want_status = json_string_value(json_object_get(expect, "status"));
  const char *status = r ? r->status : "refused";
  if (strcmp(status, want_status ? want_status : "applied")) {
    say(t, "#   status: got %s, expected %s%s%s", status, want_status ? want_status : "applied",
        rc ? ": " : "", rc ? socloss_errmsg(led) : "");
    c.ok = 0;
  }
  const char *want_error = json_string_value(json_object_get(expect, "error"));
  if (want_error && !strstr(socloss_errmsg(led), want_error)) {
    say(t, "#   error: got '%s', expected it to contain '%s'", socloss_errmsg(led), want_error);
    c.ok = 0;
  }
  if (r && !rc) {
    field(&c, "fund_draw", r->fund_draw, json_object_get(expect, "fund_draw"));
    field(&c, "bad_debt", r->bad_debt, json_object_get(expect, "bad_debt"));
    json_t *h = json_array(), *d = json_array(), *tk = json_array(), *tr = json_array();
    for (size_t i = 0; i < r->nhaircuts; i++)
      json_array_append_new(h, json_pack("[sI]", r->haircuts[i].account, (json_int_t)r->haircuts[i].amount));
    for (size_t i = 0; i < r->ndeleveraged; i++)
      json_array_append_new(d, json_pack("[ssII]", r->deleveraged[i].account, r->deleveraged[i].market,
                                         (json_int_t)r->deleveraged[i].size, (json_int_t)r->deleveraged[i].price));
    for (size_t i = 0; i < r->ntakeovers; i++)
      json_array_append_new(tk, json_pack("[sII]", r->takeovers[i].market, (json_int_t)r->takeovers[i].size,
                                          (json_int_t)r->takeovers[i].price));
    list(&c, "haircuts", h, json_object_get(expect, "haircuts"));
    list(&c, "deleveraged", d, json_object_get(expect, "deleveraged"));
    list(&c, "takeovers", tk, json_object_get(expect, "takeovers"));
    /* the exact atoms each close moved from its holder, in the closes' order:
     * the price shown is rounded toward the mark, the transfer never is */
    for (size_t i = 0; i < r->ndeleveraged; i++)
      json_array_append_new(tr, json_integer(r->transfers ? (json_int_t)r->transfers[i] : 0));
    list(&c, "transfers", tr, json_object_get(expect, "transfers"));
  }
  /* what the policy logged, as TAP comments before the case's line */
  for (const char *q = r ? r->log : ""; *q;) {
    const char *nl = strchr(q, '\n');
    int n = nl ? (int)(nl - q) : (int)strlen(q);
    char line[EVAL_LOG_BUDGET + 16];
    snprintf(line, sizeof line, "#   log: %.*s", n, q);
    t->cb(t->ud, line);
    q += n + (nl != NULL);
  }
  socloss_check_report rep;
  if (socloss_check(led, &rep) != SOCLOSS_OK) {
    say(t, "#   invariants: %s", socloss_errmsg(led));
    c.ok = 0;
  }
  socloss_close(led);
  say(t, "%sok %d - %s", c.ok ? "" : "not ", ++t->n, label);
  if (!c.ok) t->failed++;
  return 0;
}

int socloss_test_file(const char *path, const char *evaluator_path, socloss_line_cb cb, void *ud, int *failed) {
  tap t = {cb, ud, 0, 0};
  size_t len, plen;
  *failed = 0;
  char *text = read_file(path, EVAL_SOURCE_MAX, &len);
  if (!text) {
    /* a failed test, not a skip: a TAP harness counts a skipped file as passed */
    const char *why = strerror(errno);
    say(&t, "1..1");
    say(&t, "not ok 1 - %s: cannot read it: %s", path, why);
    *failed = 1;
    return err_fail(SOCLOSS_EIO, "%s: cannot read it: %s", path, why);
  }
  /* the test file runs in the sandbox, like a policy */
  evaluator ev;
  char found[4096];
  if (!evaluator_path) evaluator_default_path(found, sizeof found);
  evaluator_init(&ev, evaluator_path ? evaluator_path : found);
  eval_request rq;
  memset(&rq, 0, sizeof rq);
  rq.fn = EVAL_FN_DATA;
  rq.limits = (eval_limits){200000000u, 256u << 20, 5000u};
  rq.source = text;
  rq.source_len = len;
  uint32_t off0 = 0;
  rq.c.off = &off0;
  eval_response rs;
  void *buf = NULL;
  evaluator_call(&ev, &rq, &rs, &buf, NULL);
  evaluator_stop(&ev);
  json_error_t err;
  json_t *spec = rs.status == EVAL_OK ? json_loadb(rs.data, rs.data_len, 0, &err) : NULL;
  free(buf);
  free(text);
  if (!spec) {
    /* an error in the test file is located by its name, as a policy's is */
    policy_src tf;
    memset(&tf, 0, sizeof tf);
    const char *base = strrchr(path, '/');
    char qb[TEXT_QUOTED(64)];
    base = base ? base + 1 : path;
    snprintf(tf.where, sizeof tf.where, "%.64s", text_quote(qb, base, strlen(base), 64));
    char msg[EVAL_TEXT_MAX + POLICY_WHERE_MAX + 2];
    say(&t, "1..1");
    say(&t, "not ok 1 - %s loads", path);
    say(&t, "#   %s: %s", eval_status_text(rs.status),
        rs.status == EVAL_OK ? "not JSON" : policy_where(&tf, rs.message, msg, sizeof msg));
    *failed = 1;
    return SOCLOSS_EPOLICY;
  }
  /* the policy, beside the test file */
  char ppath[4096], dir[4096], why[2000], q[TEXT_QUOTED(200)];
  const char *pname = json_string_value(json_object_get(spec, "policy"));
  const char *slash = strrchr(path, '/');
  snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path + 1) : 1, slash ? path : ".");
  snprintf(ppath, sizeof ppath, "%.*s%s", slash ? (int)(slash - path + 1) : 0, path, pname ? pname : "");
  const char *problem =
      pname ? policy_path_problem(dir, pname, ppath, why, sizeof why) : "'policy' must name the policy file";
  char *policy = !problem ? read_file(ppath, EVAL_SOURCE_MAX, &plen) : NULL;
  if (!problem && !policy) {
    /* the path it was looked for at, whole: "policy" is relative to the
     * test file, not to where the command runs, and saying only the name
     * left a test file copied elsewhere a puzzle */
    int err = errno;
    char real_dir[PATH_MAX], full[PATH_MAX + 256], qp[TEXT_QUOTED(600)];
    if (realpath(dir, real_dir)) snprintf(full, sizeof full, "%s/%s", real_dir, pname);
    else snprintf(full, sizeof full, "%s", ppath);
    snprintf(why, sizeof why, "cannot read the policy file %s ('%s', relative to the test file's directory): %s",
             text_quote(qp, full, strlen(full), 600), text_quote(q, pname, strlen(pname), 200), strerror(err));
    problem = why;
  }
  json_t *cases = json_object_get(spec, "cases");
  if (!problem && !json_is_array(cases)) problem = "'cases' must be a list";
  if (problem) {
    say(&t, "1..1");
    say(&t, "not ok 1 - %s names its policy and cases", path);
    say(&t, "#   %s", problem);
    *failed = 1;
    free(policy);
    json_decref(spec);
    return err_fail(SOCLOSS_EINVAL, "%s: %s", path, problem);
  }
  say(&t, "1..%zu", json_array_size(cases));
  char root[] = "/tmp/socloss-policy-test-XXXXXX";
  if (!mkdtemp(root)) {
    int rc = err_fail(SOCLOSS_EIO, "%s: cannot make a directory for its cases: %s", path, strerror(errno));
    *failed = 1;
    free(policy);
    json_decref(spec);
    return rc;
  }
  size_t i;
  json_t *k;
  json_array_foreach(cases, i, k) {
    char dir[64];
    snprintf(dir, sizeof dir, "%s/%zu", root, i);
    run_case(&t, k, dir, policy, plen, pname, evaluator_path);
    /* a ledger directory holds LMDB's two files, nothing else */
    char f[128];
    snprintf(f, sizeof f, "%s/data.mdb", dir);
    unlink(f);
    snprintf(f, sizeof f, "%s/lock.mdb", dir);
    unlink(f);
    if (rmdir(dir) != 0) say(&t, "# could not remove %s", dir);
  }
  rmdir(root);
  free(policy);
  json_decref(spec);
  *failed = t.failed;
  return t.failed ? SOCLOSS_EPOLICY : SOCLOSS_OK;
}
