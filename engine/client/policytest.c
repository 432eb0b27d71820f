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
 *                 -- or, instead of account: every account bankrupt now as one
 *                 -- crash event, event = { id = "crash", mode = "joint" },
 *                 expect = { status = "applied", fund_draw = 0, bad_debt = 0,
 *                            charged = 10, resolved = 2,    -- resolved: events only
 *                            haircuts = { {"b", 4}, ... },
 *                            deleveraged = { {"s1", "BTC", 4, 100}, ... },
 *                            transfers = { 40, ... },       -- each close's atoms
 *                            takeovers = { {"BTC", 9, 94}, ... },
 *                            error = "text in the failure" } }, ... } }
 *
 * Each case gets a throwaway ledger and resolves through the same engine
 * path as `socloss resolve` (same sandbox, same validation), or as
 * `resolve --all-bankrupt --event ID [--joint]`; the expected fields given
 * are compared exactly (an event's lists over all its deficits, in order;
 * its totals as the event's), and the invariants must hold after.
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

/* What a case's resolutions did, gathered as they come: one resolution, or
 * each of an event's (a joint event's parts, then its own with the
 * haircuts), in order.  A result is valid only until the next call, so it
 * is copied here at once. */
typedef struct gathered {
  json_t *h, *d, *tr, *tk;  /* haircuts, closes, their transfers, takeovers */
  codec_buf log, why;       /* what the policies logged; why deficits failed */
  int64_t charged;          /* haircuts + close transfers */
  size_t n;                 /* resolutions seen */
} gathered;

static int gather(void *ud, const socloss_resolution *r) {
  gathered *g = ud;
  g->n++;
  for (size_t i = 0; i < r->nhaircuts; i++) {
    json_array_append_new(g->h, json_pack("[sI]", r->haircuts[i].account, (json_int_t)r->haircuts[i].amount));
    g->charged += r->haircuts[i].amount;
  }
  for (size_t i = 0; i < r->ndeleveraged; i++) {
    json_array_append_new(g->d, json_pack("[ssII]", r->deleveraged[i].account, r->deleveraged[i].market,
                                          (json_int_t)r->deleveraged[i].size, (json_int_t)r->deleveraged[i].price));
    int64_t tr = r->transfers ? r->transfers[i] : 0;
    json_array_append_new(g->tr, json_integer(tr));
    g->charged += tr;
  }
  for (size_t i = 0; i < r->ntakeovers; i++)
    json_array_append_new(g->tk, json_pack("[sII]", r->takeovers[i].market, (json_int_t)r->takeovers[i].size,
                                           (json_int_t)r->takeovers[i].price));
  if (r->log && *r->log) codec_buf_raw(&g->log, r->log, strlen(r->log));
  if (r->failure && *r->failure) {
    codec_buf_raw(&g->why, r->failure, strlen(r->failure));
    codec_buf_raw(&g->why, "\n", 1);
  }
  return 0;
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
  const char *account = json_string_value(json_object_get(k, "account"));
  json_t *event = json_object_get(k, "event");
  gathered g = {json_array(), json_array(), json_array(), json_array(), {0}, {0}, 0, 0};
  int64_t fund_draw = 0, bad_debt = 0, charged = 0;
  long long resolved = -1;
  const char *status;
  if (event) {
    /* every account bankrupt now, as one crash event: sequential (each
     * deficit on its own, in id order) or joint (one haircut decision) */
    const char *eid = json_string_value(json_object_get(event, "id"));
    const char *mode = json_string_value(json_object_get(event, "mode"));
    socloss_event_options eo;
    socloss_event_options_init(&eo);
    eo.id = eid ? eid : "";
    eo.joint = mode && !strcmp(mode, "joint");
    eo.policy = policy;
    eo.policy_len = plen;
    eo.params = ptext;
    eo.each = gather;
    eo.ud = &g;
    socloss_event_summary sum;
    memset(&sum, 0, sizeof sum);
    sum.size = sizeof sum;
    if (!json_is_object(event) || (mode && strcmp(mode, "joint") && strcmp(mode, "sequential")) || account)
      rc = err_fail(SOCLOSS_EINVAL, "event: {id = ID, mode = \"sequential\" or \"joint\"}, and no account beside it");
    else
      rc = socloss_resolve_event(led, &eo, &sum);
    status = rc == SOCLOSS_OK ? "applied" : rc == SOCLOSS_EPOLICY ? "failed" : "refused";
    fund_draw = sum.fund_draw;
    bad_debt = sum.bad_debt;
    charged = sum.charged;
    resolved = (long long)sum.resolved;
    if (rc == SOCLOSS_EPOLICY) rc = SOCLOSS_OK;  /* the others were applied: compare them */
  } else {
    socloss_resolve_options ro;
    socloss_resolve_options_init(&ro);
    ro.policy = policy;
    ro.policy_len = plen;
    ro.params = ptext;
    ro.id = json_string_value(json_object_get(k, "id"));
    const socloss_resolution *r = NULL;
    rc = socloss_resolve(led, account ? account : "", &ro, &r);
    status = r ? r->status : "refused";
    if (r) {
      gather(&g, r);
      fund_draw = r->fund_draw;
      bad_debt = r->bad_debt;
      charged = g.charged;
    }
  }
  free(ptext);
  const char *want_status = json_string_value(json_object_get(expect, "status"));
  if (strcmp(status, want_status ? want_status : "applied")) {
    say(t, "#   status: got %s, expected %s%s%s", status, want_status ? want_status : "applied",
        rc ? ": " : "", rc ? socloss_errmsg(led) : "");
    c.ok = 0;
  }
  /* an event's message counts its failures; each failed deficit's cause
   * (sequential) is in its result */
  const char *want_error = json_string_value(json_object_get(expect, "error"));
  codec_buf_raw(&g.why, "", 1);
  const char *why = g.why.oom ? "" : (const char *)g.why.p;
  if (want_error && !strstr(socloss_errmsg(led), want_error) && !strstr(why, want_error)) {
    say(t, "#   error: got '%s', expected it to contain '%s'", socloss_errmsg(led), want_error);
    for (const char *q = why; *q;) {
      int n = (int)strcspn(q, "\n");
      say(t, "#   a deficit failed: %.*s", n, q);
      q += n + (q[n] != 0);
    }
    c.ok = 0;
  }
  if (g.n && !rc) {
    field(&c, "fund_draw", fund_draw, json_object_get(expect, "fund_draw"));
    field(&c, "bad_debt", bad_debt, json_object_get(expect, "bad_debt"));
    field(&c, "charged", charged, json_object_get(expect, "charged"));
    if (resolved >= 0) field(&c, "resolved", resolved, json_object_get(expect, "resolved"));
    list(&c, "haircuts", json_incref(g.h), json_object_get(expect, "haircuts"));
    list(&c, "deleveraged", json_incref(g.d), json_object_get(expect, "deleveraged"));
    list(&c, "transfers", json_incref(g.tr), json_object_get(expect, "transfers"));
    list(&c, "takeovers", json_incref(g.tk), json_object_get(expect, "takeovers"));
  }
  json_decref(g.h);
  json_decref(g.d);
  json_decref(g.tr);
  json_decref(g.tk);
  /* what the policy logged, as TAP comments before the case's line */
  if (g.log.len) codec_buf_raw(&g.log, "", 1);
  for (const char *q = g.log.len && !g.log.oom ? (const char *)g.log.p : ""; *q;) {
    const char *nl = strchr(q, '\n');
    int n = nl ? (int)(nl - q) : (int)strlen(q);
    char line[EVAL_LOG_BUDGET + 16];
    snprintf(line, sizeof line, "#   log: %.*s", n, q);
    t->cb(t->ud, line);
    q += n + (nl != NULL);
  }
  codec_buf_free(&g.log);
  codec_buf_free(&g.why);
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
