/*
 * Where the library finds socloss-eval, and what it says when it cannot
 * start it (README, "Embedding socloss"): the option, then
 * $SOCLOSS_EVALUATOR, then beside the image that holds the library, then
 * ../libexec from it, then where it was installed.  A program that is not
 * there is missing and one that cannot be executed cannot be started, each
 * named with its path and the system's reason: never "crashed".
 *
 * The search from the image is run in a copy of this very program, put in
 * a prefix of its own and started by a bare name found on the PATH (as an
 * installed host is), in its "--default-path" mode.
 */
#include <errno.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "policy.h"
#include "util.h"

static const char *POLICY = "return {name = 'real', haircut = function(ctx) return {} end}";
/* SHA-256 of POLICY: printf '%s' "$POLICY" | sha256sum */
#define POLICY_HASH12 "925716733347"

/* A ledger opened with evaluator option `option` (NULL: none), then the
 * policy set: the code, and the message into msg. */
static int set_policy_with(const char *option, char *msg, size_t len) {
  char dir[64];
  socloss *led = new_ledger(dir, 0);
  socloss_close(led);
  socloss_options o;
  socloss_options_init(&o);
  o.evaluator = option;
  int rc = socloss_open(&led, dir, &o);
  if (!rc) rc = socloss_policy_set(led, SOCLOSS_POLICY_ACTIVE, POLICY, strlen(POLICY), NULL);
  snprintf(msg, len, "%s", socloss_errmsg(led));
  drop_ledger(led, dir);
  return rc;
}

static void precedence(void) {
  char msg[1024];
  setenv("SOCLOSS_EVALUATOR", "/nonexistent/from-env", 1);
  is(set_policy_with(NULL, msg, sizeof msg), SOCLOSS_EPOLICY, "SOCLOSS_EVALUATOR names a missing program: refused");
  is_str(msg,
         "policy (" POLICY_HASH12 ") could not run: the evaluator /nonexistent/from-env is missing: No such file or "
         "directory",
         "the environment's evaluator is used when the options name none, and told as missing with its path");
  is(set_policy_with("/nonexistent/from-option", msg, sizeof msg), SOCLOSS_EPOLICY, "an option and the variable");
  is_str(msg,
         "policy (" POLICY_HASH12 ") could not run: the evaluator /nonexistent/from-option is missing: No such file "
         "or directory",
         "the option wins over SOCLOSS_EVALUATOR");
  setenv("SOCLOSS_EVALUATOR", SOCLOSS_BINARY_DIR "/socloss-eval", 1);
  is(set_policy_with(NULL, msg, sizeof msg), SOCLOSS_OK, "SOCLOSS_EVALUATOR naming the real evaluator: the policy loads");
  is_str(msg, "", "... with no message");

  char path[4096], unset[4096];
  unsetenv("SOCLOSS_EVALUATOR");
  evaluator_default_path(unset, sizeof unset);
  setenv("SOCLOSS_EVALUATOR", "", 1);
  evaluator_default_path(path, sizeof path);
  is_str(path, unset, "an empty SOCLOSS_EVALUATOR counts as unset");
  setenv("SOCLOSS_EVALUATOR", "/a/b/socloss-eval", 1);
  evaluator_default_path(path, sizeof path);
  is_str(path, "/a/b/socloss-eval", "evaluator_default_path: the variable first");
  unsetenv("SOCLOSS_EVALUATOR");
}

/* A file that is there but not executable, and a directory. */
static void not_executable(void) {
  char dir[] = "/tmp/socloss-evalpath-XXXXXX", file[128], msg[1024], want[1024];
  if (!mkdtemp(dir)) return;
  snprintf(file, sizeof file, "%s/socloss-eval", dir);
  FILE *f = fopen(file, "w");
  if (f) fclose(f);
  chmod(file, 0644);
  is(set_policy_with(file, msg, sizeof msg), SOCLOSS_EPOLICY, "a file without execute permission: refused");
  snprintf(want, sizeof want,
           "policy (" POLICY_HASH12 ") could not run: the evaluator %s cannot be started: Permission denied", file);
  is_str(msg, want, "... told as one that cannot be started, with the system's reason");
  is(set_policy_with(dir, msg, sizeof msg), SOCLOSS_EPOLICY, "a directory: refused");
  snprintf(want, sizeof want,
           "policy (" POLICY_HASH12 ") could not run: the evaluator %s cannot be started: Permission denied", dir);
  is_str(msg, want, "... the same way");
  unlink(file);
  rmdir(dir);
}

/* A deficit whose policy cannot run: failed, journaled, the state as it was. */
static void deficit(void) {
  fixture fx;
  if (fixture_make(&fx, "market,mark_price\nBTC,80\n", "account,balance\na,-1000\nb,5000\n",
                   "account,market,size,entry_price\na,BTC,10,100\nb,BTC,-10,100\n", NULL))
    return;
  socloss_close(fx.led);
  socloss_options o;
  socloss_options_init(&o);
  o.evaluator = "/nonexistent/socloss-eval";
  socloss *led;
  is(socloss_open(&led, fx.dir, &o), SOCLOSS_OK, "a missing evaluator is not looked for at open");
  fingerprint before = fp_of(led);
  socloss_resolve_options ro;
  socloss_resolve_options_init(&ro);
  ro.policy = POLICY;
  ro.policy_len = strlen(POLICY);
  ro.id = "d1";
  const socloss_resolution *r = NULL;
  is(socloss_resolve(led, "a", &ro, &r), SOCLOSS_EPOLICY, "resolve: the policy failed");
  is_str(socloss_errmsg(led),
         "policy (" POLICY_HASH12 ") could not run: the evaluator /nonexistent/socloss-eval is missing: No such file "
         "or directory",
         "resolve: the evaluator is missing, with its path");
  is_str(r ? r->status : NULL, "failed", "resolve: status failed");
  fingerprint after = fp_of(led);
  ok(!memcmp(before.digest, after.digest, 32) && after.seq == before.seq + 1,
     "resolve: state unchanged, the failure journaled");
  drop_ledger(led, fx.dir);
}

/* What the copy of this program prints, started as `name` with PATH=bin. */
static int run_copy(const char *bin, const char *name, char *out, size_t len) {
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "cd / && env -i PATH='%s' %s --default-path", bin, name);
  FILE *p = popen(cmd, "r");
  if (!p) return -1;
  size_t n = fread(out, 1, len - 1, p);
  out[n] = 0;
  if (n && out[n - 1] == '\n') out[n - 1] = 0;
  return pclose(p);
}

static void from_the_image(void) {
  char root[] = "/tmp/socloss-evalpath-XXXXXX", bin[128], libexec[128], copy[256], eval[256], cmd[1024], out[4096],
       want[512];
  if (!mkdtemp(root)) return;
  snprintf(bin, sizeof bin, "%s/bin", root);
  snprintf(libexec, sizeof libexec, "%s/libexec", root);
  snprintf(copy, sizeof copy, "%s/host", bin);
  mkdir(bin, 0755);
  mkdir(libexec, 0755);
  snprintf(cmd, sizeof cmd, "cp /proc/%d/exe '%s'", (int)getpid(), copy);
  is(system(cmd), 0, "this program copied to %s", copy);

  /* a stand-in evaluator in ../libexec: only its being executable counts */
  snprintf(eval, sizeof eval, "%s/socloss-eval", libexec);
  FILE *f = fopen(eval, "w");
  if (f) fclose(f);
  chmod(eval, 0755);
  is(run_copy(bin, "host", out, sizeof out), 0, "the copy runs, started by a bare name on the PATH");
  snprintf(want, sizeof want, "%s/../libexec/socloss-eval", bin);
  is_str(out, want, "a program installed in PREFIX/bin finds PREFIX/libexec/socloss-eval (not by its argv[0])");

  snprintf(eval, sizeof eval, "%s/socloss-eval", bin);
  f = fopen(eval, "w");
  if (f) fclose(f);
  chmod(eval, 0755);
  is(run_copy(bin, "host", out, sizeof out), 0, "again with one beside it");
  is_str(out, eval, "the evaluator beside the program comes first");

  snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
  if (system(cmd) != 0) diag("could not remove %s", root);
}

int main(int argc, char **argv) {
  if (argc == 2 && !strcmp(argv[1], "--default-path")) {
    char path[4096];
    evaluator_default_path(path, sizeof path);
    puts(path);
    return 0;
  }
  unsetenv("SOCLOSS_EVALUATOR");
  precedence();
  not_executable();
  deficit();
  from_the_image();
  return done_testing();
}
