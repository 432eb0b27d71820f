/*
 * fuzz_policy_source — arbitrary policy sources, sent to the real evaluator
 * (socloss-eval, a process of its own) through socloss_resolve, across the
 * process boundary as in production: the loader and the sandbox are fuzzed
 * where they run, and what is fuzzed in this process is the host living
 * with whatever the evaluator then does.  libFuzzer sees the host's
 * coverage only (the evaluator is another program); the seeds are real
 * policies (policies/, tests/hostile/: tests/fuzz/policy_source.seeds)
 * and tests/fuzz/policy_source.dict holds
 * Lua's and the helpers' words, so that mutations stay near Lua.
 *
 * The ledger is tests/cli/hostile.t's, which the hostile corpus was written
 * for (BTC mark 100; a -1000, BTC 25 @ 100: bankrupt by 1000; l 1000, BTC 5
 * @ 100; p 4000, q -900 (equity 100), each BTC -10 @ 180; r, s 4500, each
 * BTC -5 @ 180), with 100 in the fund and short limits: 200,000
 * instructions, 8 MiB, 100 ms per call.  Each source resolves a as a dry
 * run first, which must leave the ledger as it was; a refusal must say why
 * in a message safe to show.  The evaluator must never crash, abort or
 * break the protocol, whatever the source: the Lua layer turns every fault
 * of a policy into a status (and in the fuzz build the evaluator's own
 * sanitizers report through its exit status, tests/fuzz/eval_sanitizer_options.c);
 * a policy killed at the deadline is contained but counted.  When the dry
 * run decides, the same source decides a real resolution, which must decide
 * the same (status aside: a policy is deterministic) and leave a ledger that
 * `socloss check` passes; the base is then made again.
 *
 * At exit the outcomes are counted on stderr (tests/fuzz/run.sh shows them).
 */
#include <jansson.h>

#include "fuzz.h"

static void build(socloss *led) {
  fz_import_base(led, "market,mark_price\nBTC,100\n", "account,balance\na,-1000\nl,1000\np,4000\nq,-900\nr,4500\ns,4500\n",
                 "account,market,size,entry_price\na,BTC,25,100\nl,BTC,5,100\np,BTC,-10,180\n"
                 "q,BTC,-10,180\nr,BTC,-5,180\ns,BTC,-5,180\n",
                 100);
  fz_limits(led, 200000, 8u << 20, 100);
}

/* ---- outcomes ---------------------------------------------------------------- */

static const char *const kinds[] = {"decided", "does not load", "raised an error", "exceeded its instruction budget",
                                    "exceeded its memory budget", "exceeded its time budget",
                                    "returned an invalid result", "was killed at the deadline", "refused by the host",
                                    "other"};
enum { N_KINDS = sizeof kinds / sizeof kinds[0] };
static unsigned long counts[N_KINDS];

static void report(void) {
  unsigned long all = 0;
  for (int k = 0; k < N_KINDS; k++) all += counts[k];
  if (!all) return;
  fprintf(stderr, "policy outcomes of %lu sources:", all);
  for (int k = 0; k < N_KINDS; k++)
    if (counts[k]) fprintf(stderr, " %s %lu;", kinds[k], counts[k]);
  fputc('\n', stderr);
}

/* The kind of a failure: the words after the policy's label "policy 'NAME'
 * (HASH12) " (ask_policy's and policy_probe's wording, eval_status_text in
 * engine/policy/policy.c; the steps' validation says "(HASH12): STEP action
 * N: ..."), never words of the policy's own message, which the source
 * chooses. */
static int kind_of(const char *msg, const char *hash) {
  char label[32];
  snprintf(label, sizeof label, "(%.12s)", hash ? hash : "");
  const char *at = hash ? strstr(msg, label) : NULL;
  if (!at) fz_die("a policy failure without the policy's label %s: %s", label, msg);
  at += strlen(label);
  if (!strncmp(at, ": ", 2) && strstr(at, " action ")) return N_KINDS - 2;
  if (*at++ != ' ') return N_KINDS - 1;
  static const char *const fatal[] = {"crashed the evaluator", "broke the evaluator protocol", "could not run"};
  for (size_t k = 0; k < 3; k++)
    if (!strncmp(at, fatal[k], strlen(fatal[k]))) fz_die("the evaluator failed on a policy source: %s", msg);
  for (int k = 1; k < N_KINDS - 2; k++)
    if (!strncmp(at, kinds[k], strlen(kinds[k]))) return k;
  return N_KINDS - 1;
}

/* ---- the runs ------------------------------------------------------------------ */

static char *decision(const socloss_resolution *r) {
  char *text = socloss_resolution_json(r);
  if (!text) fz_die("resolution_json: out of memory");
  json_error_t err;
  json_t *o = json_loads(text, 0, &err);
  if (!o) fz_die("resolution_json is not JSON (%s): %s", err.text, text);
  free(text);
  json_object_del(o, "status");
  json_object_del(o, "seq");
  json_object_del(o, "policy_us");
  text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
  json_decref(o);
  if (!text) fz_die("json_dumps: out of memory");
  return text;
}

static int resolve(const char *src, size_t len, int dry_run, const socloss_resolution **res) {
  socloss_resolve_options o;
  socloss_resolve_options_init(&o);
  o.id = "fz";
  o.policy = src;
  o.policy_len = len;
  o.dry_run = dry_run;
  *res = NULL;
  return socloss_resolve(fz_led, "a", &o, res);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  fz_setup("policy_source", build);
  atexit(report);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *src = fz_copy(data, size);
  const socloss_resolution *res;
  int rc = resolve(src, size, 1, &res);
  fz_refusal_ok(fz_led, rc, "dry run");
  char msg[1024];  /* the calls below set the thread's message anew */
  snprintf(msg, sizeof msg, "%s", rc ? socloss_errmsg(fz_led) : "");
  fz_unchanged("a dry run");
  if (rc == SOCLOSS_OK) {
    counts[0]++;
    if (!res || strcmp(res->status, "dry-run")) fz_die("dry run: status '%s'", res ? res->status : "(none)");
    char *dry = decision(res);
    fz_say("  decision: %s", dry);
    rc = resolve(src, size, 0, &res);
    if (rc != SOCLOSS_OK) fz_die("the dry run decided, the real run failed: %s", socloss_errmsg(fz_led));
    char *real = decision(res);
    if (strcmp(res->status, "applied") || strcmp(dry, real))
      fz_die("the real run (%s) decided otherwise than the dry run:\n  dry:  %s\n  real: %s", res->status, dry, real);
    fz_check(fz_led, "resolve");
    free(dry);
    free(real);
    fz_reset();
  } else if (rc == SOCLOSS_EPOLICY) {
    counts[kind_of(msg, res ? res->policy_hash : NULL)]++;
  } else {
    fz_die("a policy source refused as %s, not as a policy failure: %s", socloss_errname(rc), msg);
  }
  free(src);
  return 0;
}
