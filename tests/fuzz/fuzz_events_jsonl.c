/*
 * fuzz_events_jsonl — socloss_apply_jsonl on arbitrary JSON Lines.
 *
 * The input is the file, copied into a block of its exact size.  The ledger
 * is apply_errors.t's base with a second market and a bankrupt trader, so
 * that every kind of line can land:
 *
 *   BTC mark 100, ETH mark 10; fund 50
 *   alice 1000; bob 1000, BTC -10 @ 40; carol -500, BTC 10 @ 40;
 *   debtor -1000000; dora 0, ETH 5 @ 20; eve 500, ETH -5 @ 20
 *   active policy pro_rata (scope market); limits 1,000,000 instructions,
 *   8 MiB, 200 ms per call
 *
 * `deficit` and `event` lines run policies in the real evaluator (the
 * ledger's active one, or a file: the file is applied from the ledger's
 * directory, which holds p.lua, a copy of policies/pro_rata.lua, and fail.lua, which
 * raises an error).  A refused file must leave the ledger exactly as it was
 * with a message safe to show; an accepted one a ledger that `socloss
 * check` passes, one event per line that is not blank, and is then undone
 * by making the base again.
 */
#include <sys/stat.h>

#include "fuzz.h"

static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) fz_die("cannot read %s", path);
  char *p = malloc(1 << 20);
  if (!p) fz_die("out of memory");
  *len = fread(p, 1, (1 << 20) - 1, f);
  p[*len] = 0;
  fclose(f);
  return p;
}

static void spit(const char *path, const char *text, size_t len) {
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(text, 1, len, f) != len || fclose(f)) fz_die("cannot write %s", path);
}

static char *pro_rata;
static char cwd[4096];  /* libFuzzer's, where its corpus and artifacts are named from */
static size_t pro_rata_len;

static void build(socloss *led) {
  fz_import_base(led, "market,mark_price\nBTC,100\nETH,10\n",
                 "account,balance\nalice,1000\nbob,1000\ncarol,-500\ndebtor,-1000000\ndora,0\neve,500\n",
                 "account,market,size,entry_price\nbob,BTC,-10,40\ncarol,BTC,10,40\ndora,ETH,5,20\neve,ETH,-5,20\n", 50);
  fz_limits(led, 1000000, 8u << 20, 200);
  fz_must(led, socloss_policy_set(led, SOCLOSS_POLICY_ACTIVE, pro_rata, pro_rata_len, "{\"scope\":\"market\"}"),
          "active policy");
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  pro_rata = slurp(SOCLOSS_SOURCE_DIR "/policies/pro_rata.lua", &pro_rata_len);
  fz_setup("events_jsonl", build);
  /* the policy files a line may name, beside the ledger */
  char path[700];
  snprintf(path, sizeof path, "%s/p.lua", fz_dir);
  spit(path, pro_rata, pro_rata_len);
  snprintf(path, sizeof path, "%s/fail.lua", fz_dir);
  const char *fail = "return { name = \"fail\", haircut = function(ctx) error(\"no\") end }\n";
  spit(path, fail, strlen(fail));
  if (!getcwd(cwd, sizeof cwd)) fz_die("getcwd failed");
  return 0;
}

/* The lines that are not blank (space, tab, CR only): the least number of
 * events an accepted file applied. */
static size_t lines_of(const uint8_t *p, size_t n) {
  size_t lines = 0;
  int blank = 1;
  for (size_t i = 0; i <= n; i++) {
    if (i == n || p[i] == '\n') {
      lines += !blank;
      blank = 1;
    } else if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r') {
      blank = 0;
    }
  }
  return lines;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *copy = fz_copy(data, size);
  socloss_source src = {"e.jsonl", copy, size};
  size_t applied = (size_t)-1;
  /* a line's policy file is named from the ledger's directory */
  if (chdir(fz_dir)) fz_die("chdir %s failed", fz_dir);
  int rc = socloss_apply_jsonl(fz_led, &src, &applied);
  if (chdir(cwd)) fz_die("chdir %s failed", cwd);
  fz_refusal_ok(fz_led, rc, "apply");
  if (rc != SOCLOSS_OK) {
    if (applied != 0) fz_die("apply: refused, yet %zu events applied", applied);
    fz_unchanged("apply (refused)");
  } else {
    size_t lines = lines_of(data, size);
    if (applied != lines) fz_die("apply: %zu events applied from %zu lines", applied, lines);
    socloss_totals t;
    fz_must(fz_led, socloss_totals_get(fz_led, &t), "totals");
    fz_check(fz_led, "apply");
    /* every event writes journal records, but an event line that finds
     * nobody bankrupt: a file that wrote none changed nothing */
    if (t.journal_seq > fz_base.t.journal_seq) fz_reset();
    else fz_unchanged("an apply that journaled nothing");
  }
  free(copy);
  return 0;
}
