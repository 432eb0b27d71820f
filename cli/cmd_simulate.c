/*
 * simulate: a deficit, a price shock or a scenario re-decided under several
 * policies side by side, without writing; the figures as a table, as JSON
 * or as an HTML report, with progress and Ctrl-C on a terminal.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

/* ---- simulate ----------------------------------------------------------- */

const char *const figure_labels[] = {
    "deficits", "not resolved", "accounts charged", "total charged", "largest charge / that profit",
    "Gini of charge / profit", "overshoot (notional)", "fund used", "bad debt",
    "split test: who paid most, in two", "split test: the halves pay more by"};

/* Amounts in the ledger's units (atoms without): out has SOCLOSS_TEXT_MAX bytes. */
void figure_cell(const cli_units *cu, const socloss_sim_result *r, size_t row, char *out, size_t len) {
  char t[SOCLOSS_TEXT_MAX];
  switch (row) {
    case 0: snprintf(out, len, "%zu", r->deficits); break;
    case 1: snprintf(out, len, "%zu", r->failed); break;
    case 2: snprintf(out, len, "%zu", r->charged); break;
    case 3: snprintf(out, len, "%s", amount_text(cu, r->total_charged, t)); break;
    case 4: snprintf(out, len, "%.4f", r->largest_share); break;
    case 5: snprintf(out, len, "%.4f", r->gini); break;
    case 6: snprintf(out, len, "%s", amount_text(cu, r->overshoot, t)); break;
    case 7: snprintf(out, len, "%s", amount_text(cu, r->fund_draw, t)); break;
    case 8: snprintf(out, len, "%s", amount_text(cu, r->bad_debt, t)); break;
    case 9: snprintf(out, len, "%s", r->split_account); break;
    default: snprintf(out, len, "%s", amount_text(cu, r->split_delta, t)); break;
  }
}

/* --policy is the list option (call.list): the policies side by side. */
/* --with JSON after a --policy: its params (call.with). */
enum { SIM_POLICY, SIM_ACCOUNT, SIM_SHOCK, SIM_PARAMS, SIM_REPORT, SIM_JSON, SIM_MODE, SIM_SCENARIO, SIM_WITH, SIM_NO_SPLIT };
static const opt simulate_opts[] = {
    [SIM_POLICY] = {"--policy", MAX_LIST, "policies"}, [SIM_ACCOUNT] = {"--account", 1, NULL},
    [SIM_SHOCK] = {"--shock", -MAX_LIST, "shocks"}, [SIM_PARAMS] = {"--params", 1, NULL},
    [SIM_REPORT] = {"--report", 1, NULL}, [SIM_JSON] = {"--json", 0, NULL},
    [SIM_MODE] = {"--mode", 1, NULL}, [SIM_SCENARIO] = {"--scenario", 1, NULL},
    [SIM_WITH] = {"--with", WITH_LAST, NULL}, [SIM_NO_SPLIT] = {"--no-split", 0, NULL}, {NULL, 0, NULL}};

/* --mode: which event modes run, as a bit set: 1 sequential, 2 joint. */
static int sim_modes(const char *mode) {
  if (!mode || !strcmp(mode, "sequential")) return 1;
  if (!strcmp(mode, "joint")) return 2;
  if (!strcmp(mode, "both")) return 3;
  return 0;
}

/* --shock MARKET:PCT: the market (cap bytes at most, with its NUL) and the
 * move in ppm, read exactly (PCT: an optional sign, digits, at most 4
 * decimals — no floating point).  Returns 0, or -1 with why in why[wlen]. */
static int shock_of(const char *shock, char *market, size_t cap, int64_t *ppm, char *why, size_t wlen) {
  const char *colon = strrchr(shock, ':');
  if (!colon || colon == shock) {
    snprintf(why, wlen, "--shock %.80s: MARKET:PCT, like BTC-PERP:-20", shock);
    return -1;
  }
  if ((size_t)(colon - shock) >= cap) {
    snprintf(why, wlen, "--shock %.80s...: the market name is longer than %zu bytes", shock, cap - 1);
    return -1;
  }
  char reason[200];
  if (pct_of(colon + 1, ppm, reason, sizeof reason)) {
    snprintf(why, wlen, "--shock %.80s: %s", shock, reason);
    return -1;
  }
  memcpy(market, shock, (size_t)(colon - shock));
  market[colon - shock] = 0;
  return 0;
}

/* The --shock options, checked, into shocks[] (markets in mk[]): each
 * market once.  Returns RUN or EXIT_USAGE once said. */
static int shocks_of(const call *c, char (*mk)[128], socloss_shock *shocks) {
  char why[400];
  for (int i = 0; i < c->nmore; i++) {
    if (shock_of(c->more[i], mk[i], sizeof mk[i], &shocks[i].ppm, why, sizeof why)) return usage(c, "%s", why);
    shocks[i].market = mk[i];
    for (int j = 0; j < i; j++)
      if (!strcmp(mk[j], mk[i]))
        return usage(c, "--shock: %.128s is given twice; give one move per market", mk[i]);
  }
  return RUN;
}

int simulate_args(call *c, int argc, char **argv) {
  int rc = parse_args(c, argc, argv, simulate_opts, 0, 1);
  if (rc != RUN) return rc;
  const char *account = c->value[SIM_ACCOUNT];
  char mk[MAX_LIST][128];
  socloss_shock shocks[MAX_LIST];
  if (!c->db || !c->nlist) return usage(c, "give DB and at least one --policy");
  const char *file = c->value[SIM_SCENARIO];
  if ((account != NULL) + (c->nmore > 0) + (file != NULL) != 1)
    return usage(c, "give --account X, --shock MARKET:PCT or --scenario FILE");
  if ((rc = shocks_of(c, mk, shocks)) != RUN) return rc;
  if (!sim_modes(c->value[SIM_MODE])) return usage(c, "--mode: sequential, joint or both");
  if (c->value[SIM_NO_SPLIT] && c->value[SIM_REPORT])
    return usage(c, "--no-split goes without --report (the report charts the split test)");
  if (account && c->value[SIM_MODE]) return usage(c, "--mode goes with --shock (one deficit has no event)");
  if (file) {  /* read and checked before the ledger opens; kept in c->in[0] */
    if ((rc = read_input(c, 0, file, SCENARIO_FILE)) != RUN) return rc;
    scenario sc;
    rc = scenario_parse(&sc, file, c->in[0].data, c->in[0].len);
    if (rc) fprintf(stderr, "socloss: %s\n", sc.why);
    scenario_free(&sc);
    if (rc) return EXIT_REFUSED;
  }
  return RUN;
}

/* rows: FIGURES, or FIGURES - 2 without the split test's (--no-split). */
static void print_figures(const cli_units *cu, const char *const *names, const socloss_sim_result *res, int n,
                          size_t rows) {
  int w = 18;  /* wider when a name needs it, so that columns never touch */
  for (int k = 0; k < n; k++)
    if ((int)strlen(names[k]) + 1 > w) w = (int)strlen(names[k]) + 1;
  /* and, in units, when an amount does ("1,234,567.890000 USD") */
  for (size_t row = 0; cu->u.asset[0] && row < rows; row++)
    for (int k = 0; k < n; k++) {
      char cell[SOCLOSS_TEXT_MAX];
      figure_cell(cu, &res[k], row, cell, sizeof cell);
      if ((int)strlen(cell) + 1 > w) w = (int)strlen(cell) + 1;
    }
  if (w > 66) w = 66;
  printf("%-36s", "");
  for (int k = 0; k < n; k++) printf("%*.*s", w, w - 1, names[k]);
  printf("\n");
  for (size_t row = 0; row < rows; row++) {
    printf("%-36s", figure_labels[row]);
    for (int k = 0; k < n; k++) {
      char cell[SOCLOSS_TEXT_MAX];
      figure_cell(cu, &res[k], row, cell, sizeof cell);
      printf("%*s", w, cell);
    }
    printf("\n");
  }
}

/* The shares are the contract's fixed 6 decimals, which jansson cannot write
 * (it writes a real with %.17g, or %.Ng): jansson writes the document with
 * a placeholder string for each, then the number takes its place.  A
 * placeholder is found with its key, "largest_share":"\u0001": inside a JSON
 * string every '"' is escaped, so no path or id can hold that text. */
static const char *const share_keys[2] = {"\"largest_share\":", "\"gini\":"};
#define SHARE_MARK "\"\\u0001\""

/* What the policies logged while deciding, and why a deficit was not
 * resolved: with --json, kept for each column's "log" ([{"deficit","text"}],
 * one object an entry) and "failures" ([{"deficit","cause"}]); else on
 * stderr as it comes, each on a line of its own marked with the column and
 * the deficit: "log: pro_rata.lua sim:acct-7: TEXT", "not resolved:
 * pro_rata.lua sim:acct-7: CAUSE". */
typedef struct sim_log {
  const char *label;
  json_t *entries, *failures;  /* NULL: to stderr */
  json_t *charges;             /* who paid: account -> [charge, profit] */
  json_t *everyone;            /* who paid or was in profit: the same */
  /* columns run side by side: their stderr lines kept, each column's
   * written after the runs in column order (not interleaved) */
  int hold;
  char *held;
  size_t len, cap;
} sim_log;

/* A line for stderr: now, or kept for later (l->hold). */
static void say_line(sim_log *l, const char *fmt, ...) {
  char line[8192];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  size_t len = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
  if (!l->hold) {
    fwrite(line, 1, len, stderr);
    return;
  }
  if (l->len + len > l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 4096;
    while (cap < l->len + len) cap *= 2;
    char *p = realloc(l->held, cap);
    if (!p) return;
    l->held = p, l->cap = cap;
  }
  memcpy(l->held + l->len, line, len);
  l->len += len;
}

static int keep_failure(void *ud, const char *deficit, const char *cause) {
  sim_log *l = ud;
  if (l->failures) {
    json_t *e = json_object();
    json_object_set_new(e, "deficit", json_text(deficit));
    json_object_set_new(e, "cause", json_text(cause));
    json_array_append_new(l->failures, e);
  } else {
    say_line(l, "not resolved: %s %s: %s\n", l->label, deficit, cause);
  }
  return 0;
}

static int keep_log(void *ud, const char *deficit, const char *log) {
  sim_log *l = ud;
  for (const char *p = log; *p;) {
    const char *nl = strchr(p, '\n');
    int n = nl ? (int)(nl - p) : (int)strlen(p);
    if (l->entries) {
      json_t *e = json_object();
      json_object_set_new(e, "deficit", json_text(deficit));
      json_object_set_new(e, "text", json_stringn(p, (size_t)n));  /* the library's: valid UTF-8 */
      json_array_append_new(l->entries, e);
    } else {
      say_line(l, "log: %s %s: %.*s\n", l->label, deficit, n, p);
    }
    p += n + (nl != NULL);
  }
  return 0;
}

/* Who a column charged: account -> [charge, profit] (the charge callback's). */
static int keep_charge(void *ud, const char *account, int64_t charge, int64_t profit) {
  sim_log *l = ud;
  json_t *pair = json_pack("[II]", (json_int_t)charge, (json_int_t)profit);
  /* a key only, never written out (json_text writes the id): no UTF-8 check */
  return !pair || json_object_set_new_nocheck(l->charges, account, pair);
}

/* Everyone charged or in profit (the each_account callback's), for the
 * report's Lorenz curves, scatters and per-account table. */
static int keep_account(void *ud, const char *account, int64_t charge, int64_t profit) {
  sim_log *l = ud;
  json_t *pair = json_pack("[II]", (json_int_t)charge, (json_int_t)profit);
  return !pair || json_object_set_new_nocheck(l->everyone, account, pair);
}

/* A column's top payers: the SIM_TOP accounts charged most (equal ones in
 * id order), [{"account","charge","profit"}]. */
#define SIM_TOP 10
static json_t *top_payers(json_t *charges) {
  size_t n;
  payer *v = payers_sorted(charges, &n);
  json_t *list = json_array();
  for (size_t k = 0; v && k < n && k < SIM_TOP; k++)
    json_array_append_new(list, json_pack("{s:o,s:I,s:I}", "account", json_text(v[k].account), "charge",
                                          (json_int_t)v[k].charge, "profit", (json_int_t)v[k].profit));
  free(v);
  return list;
}

/* What each column adds to --json beside its figures (added after 1.0). */
typedef struct sim_col {
  const char *label;   /* as the table's column */
  char hash[65];       /* the policy's SHA-256 */
  const char *params;  /* as given, or NULL */
  json_t *charges;     /* account -> [charge, profit] */
  json_t *everyone;    /* with --report: charged or in profit, the same; else NULL */
} sim_col;

static void print_figures_json(const cli_units *cu, const char *const *files, const char *const *modes,
                               const socloss_sim_result *res, json_t *const *logs, json_t *const *failures,
                               const sim_col *col, int n, int no_split) {
  json_t *doc = json_object(), *list = json_array();
  json_object_set_new(doc, "policies", list);
  for (int k = 0; k < n; k++) {
    json_t *o = json_object(), *split = json_object();
    json_object_set_new(o, "policy", json_text(files[k]));
    json_object_set_new(o, "deficits", json_integer((json_int_t)res[k].deficits));
    json_object_set_new(o, "not_resolved", json_integer((json_int_t)res[k].failed));
    json_object_set_new(o, "charged", json_integer((json_int_t)res[k].charged));
    json_object_set_new(o, "total_charged", json_integer(res[k].total_charged));
    json_object_set_new(o, "largest_share", json_string("\001"));
    json_object_set_new(o, "gini", json_string("\001"));
    json_object_set_new(o, "overshoot", json_integer(res[k].overshoot));
    json_object_set_new(o, "fund_draw", json_integer(res[k].fund_draw));
    json_object_set_new(o, "bad_debt", json_integer(res[k].bad_debt));
    json_object_set_new(split, "account", json_text(res[k].split_account));
    json_object_set_new(split, "delta", json_integer(res[k].split_delta));
    json_object_set_new(o, "split", no_split ? json_null() : split);  /* null: --no-split */
    if (no_split) json_decref(split);
    if (modes[k]) json_object_set_new(o, "mode", json_string(modes[k]));  /* with --mode, since 1.0 */
    json_object_set(o, "log", logs[k]);  /* added after 1.0: what the policy logged */
    json_object_set(o, "failures", failures[k]);  /* added after 1.0: why a deficit was not resolved */
    /* added after 1.0: the column's label, the policy's hash and params,
     * its top payers */
    json_object_set_new(o, "label", json_text(col[k].label));
    json_object_set_new(o, "hash", json_string(col[k].hash));
    json_t *params = col[k].params ? json_loads(col[k].params, 0, NULL) : NULL;  /* the library checked it */
    json_object_set_new(o, "params", params ? params : json_object());
    json_object_set_new(o, "accounts", top_payers(col[k].charges));
    json_array_append_new(list, o);
  }
  add_units_key(doc, cu);
  /* added after 1.0: per column after the first, the accounts it charges
   * differently from the first */
  json_t *diffs = json_array();
  for (int k = 1; k < n; k++) {
    size_t nd;
    socloss_replay_account *v = charges_vs(col[0].charges, col[k].charges, &nd);
    json_t *accts = json_array();
    for (size_t i = 0; v && i < nd; i++)
      json_array_append_new(accts, json_pack("{s:o,s:I,s:I,s:I}", "account", json_text(v[i].account), "first",
                                             (json_int_t)v[i].recorded, "charge", (json_int_t)v[i].replayed, "delta",
                                             (json_int_t)(v[i].replayed - v[i].recorded)));
    free(v);
    json_array_append_new(diffs, json_pack("{s:o,s:o,s:o}", "policy", json_text(col[k].label), "first",
                                           json_text(col[0].label), "accounts", accts));
  }
  json_object_set_new(doc, "differences", diffs);
  char *text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
  json_decref(doc);
  const char *p = text ? text : "";
  /* the shares in document order: largest_share then gini, policy by policy */
  for (int k = 0, which = 0; k < n; which ^= 1, k += !which) {
    char mark[32];
    snprintf(mark, sizeof mark, "%s" SHARE_MARK, share_keys[which]);
    const char *at = strstr(p, mark);
    if (!at) break;
    size_t key = strlen(share_keys[which]);
    fwrite(p, 1, (size_t)(at - p) + key, stdout);
    printf("%.6f", which ? res[k].gini : res[k].largest_share);
    p = at + strlen(mark);
  }
  fputs(p, stdout);
  free(text);
  putchar('\n');
}

/* ---- simulate's progress: a line with an ETA on a terminal; Ctrl-C stops
 * the run, and the figures so far are printed ---------------------------- */

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig) {
  (void)sig;
  interrupted = 1;
}

typedef struct sim_progress {
  const char *label;
  int tty;
  char phase[16];
  struct timespec start;  /* of the phase */
  uint64_t done, total;
  /* columns run side by side: every column's progress, on one line */
  struct sim_progress *all;
  int nall;
} sim_progress;

static double since(const struct timespec *t0) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static int sim_told(void *ud, const char *phase, uint64_t done, uint64_t total) {
  sim_progress *p = ud;
  if (strcmp(phase, p->phase)) {
    snprintf(p->phase, sizeof p->phase, "%s", phase);
    clock_gettime(CLOCK_MONOTONIC, &p->start);
  }
  p->done = done;
  p->total = total;
  if (p->tty && p->all) {  /* side by side: each column's count, and the longest wait */
    double most = 0;
    fputs("\rsimulate:", stderr);
    for (int k = 0; k < p->nall; k++) {
      const sim_progress *q = &p->all[k];
      double left = q->done && q->total > q->done ? since(&q->start) * (double)(q->total - q->done) / (double)q->done : 0;
      if (left > most) most = left;
      fprintf(stderr, "%s %s %s %" PRIu64 "/%" PRIu64, k ? "," : "", q->label, q->phase[0] ? q->phase : "deficits",
              q->done, q->total);
    }
    if (most > 0) fprintf(stderr, ", about %d:%02d left", (int)most / 60, (int)most % 60);
    fputs("\033[K", stderr);
  } else if (p->tty) {
    double left = done && total > done ? since(&p->start) * (double)(total - done) / (double)done : 0;
    fprintf(stderr, "\rsimulate: %s: %s %" PRIu64 " of %" PRIu64, p->label, phase, done, total);
    if (left > 0) fprintf(stderr, ", about %d:%02d left", (int)left / 60, (int)left % 60);
    fputs("\033[K", stderr);
  }
  return interrupted;
}

/* Columns that would share a label (one policy under two --with, or two
 * files of one name) are told apart by the file's name, the params and the
 * hash's first 8 digits: "pro_rata.lua {\"x\":1} 1a2b3c4d" (then " seq" or
 * " joint" with --mode both). */
static void label_apart(char (*label)[80], const sim_col *col, const char *const *file, const char *const *mode,
                        int n, int both) {
  int same[2 * MAX_LIST] = {0};
  for (int k = 0; k < n; k++)
    for (int j = 0; j < n; j++)
      if (j != k && !strcmp(label[k], label[j])) same[k] = 1;
  for (int k = 0; k < n; k++) {
    if (!same[k]) continue;
    const char *b = strrchr(file[k], '/');
    snprintf(label[k], sizeof label[k], "%s %s %.8s%s", b ? b + 1 : file[k], col[k].params ? col[k].params : "{}",
             col[k].hash, !both ? "" : strcmp(mode[k], "joint") ? " seq" : " joint");
  }
}

/* The library's refusal; one about a scenario's step "step N: ..." is told
 * as FILE:LINE: ... (the step's line). */
static int scenario_refused(call *c, const scenario *sc, int rc) {
  const char *m = socloss_errmsg(c->led);
  size_t step = 0;
  int at = 0;
  if (sc->nsteps && sscanf(m, "step %zu: %n", &step, &at) == 1 && at && step >= 1 && step <= sc->nsteps) {
    fprintf(stderr, "socloss: %s:%zu: %s\n", c->value[SIM_SCENARIO], sc->line[step - 1], m + at);
    return EXIT_REFUSED;
  }
  return refused(c->led, rc);
}

int cmd_simulate(call *c) {
  const char *const *files = c->list;
  const char *account = c->value[SIM_ACCOUNT], *report = c->value[SIM_REPORT];
  int nf = c->nlist, rc, status = EXIT_DONE;
  char mk[MAX_LIST][128];
  socloss_shock shocks[MAX_LIST];
  if (shocks_of(c, mk, shocks) != RUN) return EXIT_USAGE;  /* simulate_args has checked them */
  scenario sc;
  memset(&sc, 0, sizeof sc);
  if (c->value[SIM_SCENARIO] &&
      scenario_parse(&sc, c->value[SIM_SCENARIO], c->in[0].data, c->in[0].len)) {  /* checked there too */
    fprintf(stderr, "socloss: %s\n", sc.why);
    scenario_free(&sc);
    return EXIT_REFUSED;
  }
  /* unlike the other commands' files, the policies are read once the ledger is
   * open: on a ledger that will not open, that is what is told */
  /* a column per policy and mode: with both, each policy's sequential then
   * joint run */
  int modes = sim_modes(c->value[SIM_MODE]), cols = 0;
  socloss_sim_result res[2 * MAX_LIST];
  const char *colfile[2 * MAX_LIST], *colmode[2 * MAX_LIST];
  json_t *logs[2 * MAX_LIST] = {NULL}, *failures[2 * MAX_LIST] = {NULL};
  sim_col col[2 * MAX_LIST];
  memset(col, 0, sizeof col);
  char label[2 * MAX_LIST][80];
  const char *names[2 * MAX_LIST];
  /* Ctrl-C stops the run at the next deficit, not the process */
  struct sigaction on_int = {0}, old_int;
  on_int.sa_handler = on_interrupt;
  sigemptyset(&on_int.sa_mask);
  sigaction(SIGINT, &on_int, &old_int);
  interrupted = 0;
  /* every column's options first; then the runs, side by side when there
   * are several (socloss_simulate_many: each on its own copy of the
   * snapshot, its own evaluator) */
  char *srcs[MAX_LIST] = {NULL};
  socloss_sim_options opt[2 * MAX_LIST];
  const socloss_sim_options *optp[2 * MAX_LIST];
  sim_log lg[2 * MAX_LIST];
  sim_progress sp[2 * MAX_LIST];
  socloss_progress pg[2 * MAX_LIST];
  int codes[2 * MAX_LIST];
  memset(lg, 0, sizeof lg);
  for (int k = 0; k < nf && status == EXIT_DONE; k++) {
    size_t len;
    char *src = srcs[k] = policy_load(c->led, files[k], &len);  /* a file, shipped, or registered */
    if (!src) status = EXIT_REFUSED;
    const char *b = strrchr(files[k], '/');
    for (int m = 1; src && m <= 2; m++) {
      if (!(modes & m)) continue;
      socloss_sim_options *o = &opt[cols];
      socloss_sim_options_init(o);
      o->policy = src;
      o->policy_len = len;
      o->params = c->with[k] ? c->with[k] : c->value[SIM_PARAMS];  /* its own --with, else --params */
      o->account = account;
      o->shocks = shocks;  /* all of them, in the order given (since scenarios) */
      o->nshocks = (size_t)c->nmore;
      o->steps = sc.steps;  /* --scenario: steps without a mode take this column's */
      o->nsteps = sc.nsteps;
      o->joint = m == 2;
      o->no_split = c->value[SIM_NO_SPLIT] != NULL;
      /* the table and the report name a policy by its file name alone */
      snprintf(label[cols], sizeof label[cols], "%s%s", b ? b + 1 : files[k], modes == 3 ? (m == 2 ? " joint" : " seq") : "");
      logs[cols] = json_array();
      failures[cols] = json_array();
      col[cols].charges = json_object();
      col[cols].params = o->params;
      socloss_policy_hash(src, len, col[cols].hash);
      col[cols].everyone = report ? json_object() : NULL;
      lg[cols] = (sim_log){label[cols], c->value[SIM_JSON] ? logs[cols] : NULL, c->value[SIM_JSON] ? failures[cols] : NULL,
                           col[cols].charges, col[cols].everyone, 0, NULL, 0, 0};
      o->log = keep_log;
      o->failed = keep_failure;
      o->charge = keep_charge;
      if (report) o->each_account = keep_account;
      o->log_ud = &lg[cols];
      sp[cols] = (sim_progress){b ? b + 1 : files[k], isatty(STDERR_FILENO), "", {0, 0}, 0, 0, NULL, 0};
      pg[cols] = (socloss_progress){sizeof pg[cols], sim_told, &sp[cols]};
      o->progress = &pg[cols];
      optp[cols] = o;
      names[cols] = label[cols];
      colmode[cols] = c->value[SIM_MODE] ? (m == 2 ? "joint" : "sequential") : NULL;
      colfile[cols++] = files[k];
    }
  }
  if (status == EXIT_DONE && cols == 1) {
    rc = codes[0] = socloss_simulate_with(c->led, optp[0], &res[0]);
  } else if (status == EXIT_DONE) {
    for (int k = 0; k < cols; k++) {
      lg[k].hold = !c->value[SIM_JSON];
      sp[k].all = sp;
      sp[k].nall = cols;
    }
    rc = socloss_simulate_many(c->led, optp, (size_t)cols, 0, res, codes);
  }
  if (status == EXIT_DONE) {
    if (sp[0].tty) fputs("\r\033[K", stderr);
    for (int k = 0; k < cols; k++)
      if (lg[k].len) fwrite(lg[k].held, 1, lg[k].len, stderr);  /* each column's lines, in column order */
    for (int k = 0; k < cols && (status == EXIT_DONE || status == EXIT_INTERRUPTED); k++) {
      if (codes[k] == SOCLOSS_ESTOP && interrupted) {
        fprintf(stderr,
                "simulate: interrupted during %s after %" PRIu64 " of %" PRIu64
                " deficits (%s): its column holds the figures so far; what was not reached did not run\n",
                sp[k].label, sp[k].done, sp[k].total, sp[k].phase);
        status = EXIT_INTERRUPTED;
      } else if (codes[k]) {
        status = scenario_refused(c, &sc, rc);
      }
    }
  }
  for (int k = 0; k < cols; k++) free(lg[k].held);
  for (int k = 0; k < nf; k++) free(srcs[k]);
  if (status != EXIT_DONE && status != EXIT_INTERRUPTED) {  /* refused: no figures */
    for (int k = 0; k < cols; k++) {
      json_decref(logs[k]);
      json_decref(failures[k]);
      json_decref(col[k].charges);
      json_decref(col[k].everyone);
      logs[k] = failures[k] = col[k].charges = col[k].everyone = NULL;
    }
    cols = 0;
  }
  sigaction(SIGINT, &old_int, NULL);
  label_apart(label, col, colfile, colmode, cols, modes == 3);
  for (int k = 0; k < cols; k++) col[k].label = label[k];
  cli_units cu;
  int have_units = 0;
  if (status == EXIT_DONE || status == EXIT_INTERRUPTED) {
    if ((rc = cli_units_load(c->led, &cu))) status = refused(c->led, rc);
    else have_units = 1;
  }
  if (status == EXIT_DONE || status == EXIT_INTERRUPTED) {
    if (c->value[SIM_JSON]) print_figures_json(&cu, colfile, colmode, res, logs, failures, col, cols, c->value[SIM_NO_SPLIT] != NULL);
    else {
      print_figures(&cu, names, res, cols, c->value[SIM_NO_SPLIT] ? FIGURES - 2 : FIGURES);
      /* then, per column after the first, who pays differently from it */
      for (int k = 1; k < cols; k++) {
        size_t nd;
        socloss_replay_account *d = charges_vs(col[0].charges, col[k].charges, &nd);
        char head[2 * 80 + 64];
        snprintf(head, sizeof head, "who pays differently under %s than under %s", names[k], names[0]);
        if (d && nd) print_who(&cu, head, d, nd);
        free(d);
      }
    }
  }
  for (int k = 0; k < cols; k++) {
    json_decref(logs[k]);
    json_decref(failures[k]);
  }
  nf = cols;
  files = colfile;
  if (status == EXIT_INTERRUPTED && report) fputs("simulate: interrupted: no report written\n", stderr);
  if (status == EXIT_DONE && report) {
    char what[200];
    if (account) snprintf(what, sizeof what, "the deficit of %s", account);
    else if (c->value[SIM_SCENARIO]) snprintf(what, sizeof what, "the scenario %s", c->value[SIM_SCENARIO]);
    else snprintf(what, sizeof what, "the bankruptcies after the shock");
    for (int i = 0; !account && i < c->nmore; i++) {  /* every shock, in the order given */
      size_t n = strlen(what);
      snprintf(what + n, sizeof what - n, "%s%s", i ? ", " : " ", c->more[i]);
    }
    report_col rc[2 * MAX_LIST];
    for (int k = 0; k < nf; k++)
      rc[k] = (report_col){names[k], files[k], col[k].hash, col[k].params, &res[k], col[k].charges, col[k].everyone};
    status = html_report(report, what, &cu, rc, nf);
  }
  for (int k = 0; k < cols; k++) {
    json_decref(col[k].charges);
    json_decref(col[k].everyone);
  }
  if (have_units) cli_units_free(&cu);
  scenario_free(&sc);
  return status;
}
