/*
 * bench_resolve — one deficit against N candidate positions, end to end
 * (read, decide, validate, write, commit, durable), under the Lua policies
 * (evaluator process included) and under the same capped pro-rata rule
 * written in C in this binary; then a cascade: the first K bankruptcies of
 * a generated ledger after a price shock, resolved one by one.
 *
 * Beside them, in the same run, the floors (programs of their own, found
 * beside this one, so that they share no code with the engine): floor_lmdb,
 * the same reads and writes in raw LMDB with the rule in C, and its cascade
 * from columns in memory; floor_sqlite, the plain-SQL build a user would
 * write instead.  One table per size.
 *
 * usage: bench_resolve POLICY_DIR [SIZES] [RUNS] [CASCADE_ACCOUNTS CASCADE_DEFICITS GEN]
 *   SIZES "10000,100000,1000000" ("" for the cascade alone), RUNS 5 (when
 *   RUNS is not given, 3 above 500k candidates); RUNS 0: only the columns'
 *   way to the evaluator (shared region vs copied) for the largest size
 *   adl.lua runs with the params in BENCH_ADL_PARAMS, default {"score":"pnl"}
 *   (e.g. BENCH_ADL_PARAMS='{"score":"bitmex"}' for its default score)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "bench.h"
#include "blocks.h"
#include "deleverage.h"
#include "policy.h"


static void sh(const char *fmt, const char *a, const char *b) {
  char cmd[2048];
  snprintf(cmd, sizeof cmd, fmt, a, b);
  if (system(cmd) != 0) fprintf(stderr, "bench_resolve: '%s' failed\n", cmd);
}

static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *p = malloc((size_t)n + 1);
  *len = fread(p, 1, (size_t)n, f);
  p[*len] = 0;
  fclose(f);
  return p;
}

/* A native rule's answer: its k actions (the caller frees them, as it
 * frees an evaluator's frame); an error keeps the message already set. */
static void native_answer(eval_response *rs, eval_action *acts, size_t k, int ok) {
  rs->status = ok ? EVAL_OK : EVAL_ERROR;
  rs->actions = acts;
  rs->nactions = k;
}

/* The capped water-filling of policies/pro_rata.lua (scope market, weight
 * profit) or, with tiers, of policies/tiered.lua (weight the profit's
 * brackets under its default tiers), in C, through the same exact helpers
 * (alloc_brackets, alloc_waterfill). */
static void native_capped(const eval_request *rq, eval_response *rs, const char *name, int tiered) {
  if (rq->fn == EVAL_FN_PROBE) {  /* "loading" the rule */
    snprintf(rs->name, sizeof rs->name, "%s", name);
    rs->has_haircut = 1;
    rs->status = EVAL_OK;
    return;
  }
  static const int64_t upto[4] = {1000000000, 10000000000, 100000000000, INT64_MAX}, rate[4] = {1000, 2000, 3500, 5000};
  size_t n = rq->c.n;
  /* the engine's blocks, as the evaluator's helpers have (huge pages): a
   * plain calloc of these 56 MB came fresh or not from run to run, and
   * moved this rule's time by 0.03-0.16 s */
  int64_t *profit = blocks_calloc(n ? n : 1, sizeof *profit), *cap = blocks_calloc(n ? n : 1, sizeof *cap),
          *out = blocks_calloc(n ? n : 1, sizeof *out), *weight = tiered ? blocks_malloc((n ? n : 1) * sizeof *weight) : NULL;
  eval_action *acts = blocks_malloc((n ? n : 1) * sizeof *acts);
  if (!profit || !cap || !out || !acts || (tiered && !weight)) {
    snprintf(rs->message, sizeof rs->message, "%s: out of memory", name);
    rs->status = EVAL_ERROR;
    n = 0;
  }
  for (size_t m = 0; m < rq->nmarkets && n; m++)
    for (size_t i = 0; i < n; i++) {
      int64_t u = rq->c.upnl[m * rq->c.stride + i];
      if (u > 0) profit[i] += u;
    }
  for (size_t i = 0; i < n; i++) {
    int64_t c = profit[i] < rq->c.equity[i] ? profit[i] : rq->c.equity[i];
    cap[i] = c > 0 ? c : 0;
  }
  if (tiered && n) alloc_brackets(profit, n, upto, rate, 4, weight);
  if (n) alloc_waterfill(tiered ? weight : profit, cap, n, rq->shortfall, out);
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (out[i]) acts[k++] = (eval_action){.index = (uint32_t)i, .value = out[i]};
  native_answer(rs, acts, k, rs->status != EVAL_ERROR);
  free(profit);
  free(cap);
  free(out);
  free(weight);
}

static void native_pro_rata(const eval_request *rq, eval_response *rs) { native_capped(rq, rs, "native", 0); }
static void native_tiered(const eval_request *rq, eval_response *rs) { native_capped(rq, rs, "native-tiered", 1); }

/* policies/adl.lua with its params {"score":"pnl"} (fund first), in C:
 * the same columns its helpers make (the score, its order, the opposite
 * side's lots) and the same queue walk (engine/common/deleverage.c), so
 * that adl.lua against this measures the evaluator and Lua, not a
 * different rule.  pnl is the score of every row with a position: its
 * upnl, ranked highest first, ties to the lower index. */
static void native_adl(const eval_request *rq, eval_response *rs) {
  if (rq->fn == EVAL_FN_PROBE) {
    snprintf(rs->name, sizeof rs->name, "native-adl");
    rs->has_deleverage = 1;
    rs->status = EVAL_OK;
    return;
  }
  size_t n = rq->c.n ? rq->c.n : 1, most = evalproto_actions_max(rq);
  int64_t *lots = calloc(rq->nmarkets ? rq->nmarkets : 1, sizeof *lots), *key = blocks_malloc(n * sizeof *key),
          *order = blocks_malloc(n * sizeof *order), *avail = blocks_malloc(n * sizeof *avail),
          *spent = blocks_calloc(n, sizeof *spent);
  uint32_t *idx = blocks_malloc(n * sizeof *idx);
  eval_action *acts = blocks_malloc(most * sizeof *acts);
  size_t k = 0;
  int rc = DELEVERAGE_OK;
  if (!lots || !key || !order || !avail || !spent || !idx || !acts) {
    snprintf(rs->message, sizeof rs->message, "native ADL: out of memory");
    rc = DELEVERAGE_FULL;
  } else {
    deleverage_lots(rq, 1, lots);
  }
  for (uint32_t m = 0; m < rq->nmarkets && rc == DELEVERAGE_OK; m++) {
    const int64_t *size = rq->c.size + m * rq->c.stride, *upnl = rq->c.upnl + m * rq->c.stride;
    int long_a = rq->markets[m].size > 0;
    for (size_t i = 0; i < rq->c.n; i++) {
      key[i] = size[i] ? upnl[i] : 0;
      int64_t s = long_a ? -size[i] : size[i];
      avail[i] = s > 0 ? s : 0;
    }
    order_i64(key, rq->c.n, 1, idx);
    for (size_t i = 0; i < rq->c.n; i++) order[i] = (int64_t)idx[i] + 1;
    /* as socloss.deleverage: the closes of earlier markets come off their
     * holders' equity; the list may not pass what an answer holds */
    int64_t bad;
    size_t before = k, room = most - before < rq->c.n ? most - before : rq->c.n;
    if (before) {
      memset(spent, 0, rq->c.n * sizeof *spent);
      deleverage_spent(rq, acts, before, spent);
    }
    rc = deleverage_walk(rq, m, order, rq->c.n, avail, before ? spent : NULL, lots[m], acts, &k, before + room, &bad);
  }
  native_answer(rs, acts, k, rc == DELEVERAGE_OK);
  free(lots);
  free(key);
  free(order);
  free(avail);
  free(spent);
  free(idx);
}

/* A ledger with n candidates: each short 1 lot, in profit by 1..97 atoms;
 * account "a" long n lots at mark with a deficit of 25 atoms per lot. */
static int make_ledger(const char *dir, size_t n) {
  socloss_options o;
  socloss_options_init(&o);
  o.create = SOCLOSS_OPEN_CREATE_NEW;
  o.unsafe_nosync = 1;
  socloss *led;
  if (socloss_open(&led, dir, &o)) return -1;
  size_t cap = 64 + n * 48;
  char *a = malloc(cap), *p = malloc(cap);
  size_t al = (size_t)sprintf(a, "account,balance\na,%lld\n", -25LL * (long long)n);
  size_t pl = (size_t)sprintf(p, "account,market,size,entry_price\na,BTC,%zu,100\n", n);
  for (size_t i = 0; i < n; i++) {
    al += (size_t)sprintf(a + al, "c%07zu,1000\n", i);
    pl += (size_t)sprintf(p + pl, "c%07zu,BTC,-1,%zu\n", i, 101 + i % 97);
  }
  socloss_source m = {"m", "market,mark_price\nBTC,100\n", 26}, as = {"a", a, al}, ps = {"p", p, pl};
  int rc = socloss_import_csv(led, &m, &as, &ps, NULL);
  if (rc) fprintf(stderr, "bench_resolve: %s\n", socloss_errmsg(led));
  socloss_close(led);
  free(a);
  free(p);
  return rc;
}

/* ---- the floors: programs beside this one, read from their output line -- */

static char bindir[4096] = ".";

static void find_bindir(void) {
  ssize_t n = readlink("/proc/self/exe", bindir, sizeof bindir - 1);
  if (n <= 0) return;
  bindir[n] = 0;
  char *slash = strrchr(bindir, '/');
  if (slash) *slash = 0;
}

/* Runs `bindir/prog args`; its last line of output into line ("" if it failed). */
static void run_floor(const char *prog, const char *args, char *line, size_t len) {
  char cmd[8192];
  snprintf(cmd, sizeof cmd, "'%s/%s' %s", bindir, prog, args);
  line[0] = 0;
  FILE *f = popen(cmd, "r");
  if (!f) return;
  char buf[1024];
  while (fgets(buf, sizeof buf, f)) snprintf(line, len, "%s", buf);
  if (pclose(f) != 0) {
    fprintf(stderr, "bench_resolve: '%s' failed\n", cmd);
    line[0] = 0;
  }
}

/* The number after "key=" in line, or -1. */
static double field(const char *line, const char *key) {
  char pat[64];
  snprintf(pat, sizeof pat, " %s=", key);
  const char *p = strstr(line, pat);
  return p ? strtod(p + strlen(pat), NULL) : -1;
}

typedef struct rule {
  const char *name;
  char *source;  /* NULL: a native rule */
  size_t len;
  void (*native)(const eval_request *rq, eval_response *rs);  /* when source is NULL */
} rule;

/* The options that make r decide: a Lua source, or the native rule
 * answering in place of the evaluator process. */
static void rule_options(socloss *led, const rule *r, socloss_resolve_options *o) {
  socloss_resolve_options_init(o);
  if (!r->source) led->ev->native = r->native;
  o->policy = r->source ? r->source : "native";
  o->policy_len = r->source ? r->len : 6;
}

/* The run's seconds end to end; *policy_s the part spent in the policy
 * (evaluator included, as the resolution reports it). */
static double one_run(const char *tmpl, const char *run, const rule *r, const char *params, size_t *charged,
                      double *policy_s, unsigned char *digest) {
  sh("rm -rf '%s'%s", run, "");
  sh("cp -r '%s' '%s'", tmpl, run);
  socloss *led;
  socloss_open(&led, run, NULL);
  socloss_resolve_options o;
  rule_options(led, r, &o);
  o.id = "bench";
  o.params = params;
  const socloss_resolution *res = NULL;
  double t0 = now();
  int rc = socloss_resolve(led, "a", &o, &res);
  double t = now() - t0;
  if (rc) fprintf(stderr, "bench_resolve: %s: %s\n", r->name, socloss_errmsg(led));
  *charged = res ? res->nhaircuts + res->ndeleveraged : 0;
  *policy_s = res ? (double)res->policy_us * 1e-6 : 0;
  if (digest && socloss_state_digest(led, digest)) fprintf(stderr, "bench_resolve: digest: %s\n", socloss_errmsg(led));
  socloss_close(led);
  return rc ? -1 : t;
}

typedef struct idlist {
  size_t n, cap;
  char (*id)[SOCLOSS_ID_MAX + 1];
} idlist;

static int collect_bankrupt(void *ud, const socloss_account *a) {
  idlist *l = ud;
  if (a->equity >= 0) return 0;
  if (l->n == l->cap) {
    l->cap = l->cap ? 2 * l->cap : 1024;
    l->id = realloc(l->id, l->cap * sizeof *l->id);
  }
  memcpy(l->id[l->n++], a->account, sizeof *l->id);
  return 0;
}

/* K deficits in a row after a 20% fall of BTC-PERP: each its own durable
 * transaction (batch 0), or `batch` of them per transaction (group commit);
 * returns deficits per second. */
static double cascade(const char *tmpl, const char *run, const rule *r, size_t k, size_t batch, size_t *done) {
  sh("rm -rf '%s'%s", run, "");
  sh("cp -r '%s' '%s'", tmpl, run);
  socloss *led;
  socloss_open(&led, run, NULL);
  idlist l = {0};
  socloss_accounts(led, collect_bankrupt, &l);
  double t0 = now();
  *done = 0;
  if (batch) {
    socloss_batch_item *items = calloc(batch, sizeof *items);
    for (size_t i = 0; i < l.n && i < k; i += batch) {
      size_t m = 0;
      for (; m < batch && i + m < l.n && i + m < k; m++) items[m] = (socloss_batch_item){l.id[i + m], l.id[i + m], 0, 0, ""};
      socloss_resolve_options o;
      rule_options(led, r, &o);
      if (socloss_resolve_batch(led, items, m, &o)) fprintf(stderr, "bench_resolve: batch: %s\n", socloss_errmsg(led));
      for (size_t j = 0; j < m; j++) *done += items[j].code == SOCLOSS_OK;
    }
    free(items);
  }
  for (size_t i = 0; !batch && i < l.n && i < k; i++) {
    socloss_resolve_options o;
    rule_options(led, r, &o);
    o.id = l.id[i];
    const socloss_resolution *res;
    int rc = socloss_resolve(led, l.id[i], &o, &res);
    if (rc) fprintf(stderr, "bench_resolve: cascade %s: %s\n", l.id[i], socloss_errmsg(led));
    else ++*done;
  }
  double t = now() - t0;
  socloss_check_report rep;
  if (socloss_check(led, &rep)) fprintf(stderr, "bench_resolve: check after the cascade: %s\n", socloss_errmsg(led));
  socloss_close(led);
  free(l.id);
  return (double)*done / t;
}

/* ---- moving the columns: shared region vs copied into the request ------- */

/* One call of a policy that reads nothing and decides nothing, on n
 * candidates of bench's shape (one market): what moving the columns costs,
 * through the shared region and copied, in the same run, alternating.
 * "Running": one evaluator of each kind kept across calls; "fresh": a new
 * handle's evaluator each call (a new region: its pages faulted in, the
 * evaluator started, the columns written). */
static void transfer(size_t n) {
  char *ids = malloc(n * 8 + 1);
  uint32_t *off = malloc((n + 1) * sizeof *off);
  int64_t *bal = malloc(n * sizeof *bal), *eq = malloc(n * sizeof *eq), *ut = malloc(n * sizeof *ut),
          *pr = malloc(n * sizeof *pr), *sz = malloc(n * sizeof *sz), *cost = malloc(n * sizeof *cost);
  if (!ids || !off || !bal || !eq || !ut || !pr || !sz || !cost) return;
  off[0] = 0;
  for (size_t i = 0; i < n; i++) {
    snprintf(ids + 8 * i, 9, "c%07u", (unsigned)(i % 10000000));  /* as make_ledger's, n < 10^7 */
    off[i + 1] = (uint32_t)(8 * (i + 1));
    int64_t entry = 101 + (int64_t)(i % 97);
    bal[i] = 1000;
    sz[i] = -1;
    cost[i] = -entry;
    ut[i] = entry - 100;
    pr[i] = ut[i];
    eq[i] = bal[i] + ut[i];
  }
  static const char *empty = "return {name = 'empty', haircut = function(ctx) end}";
  eval_market mk = {"BTC", (int64_t)n, 100 * (int64_t)n, 100, 101, 1000};
  eval_request rq;
  memset(&rq, 0, sizeof rq);
  rq.fn = EVAL_FN_HAIRCUT;
  rq.limits = (eval_limits){200000000u, 512u << 20, 5000u};
  rq.source = empty;
  rq.source_len = strlen(empty);
  rq.deficit_id = "d";
  rq.deficit_id_len = 1;
  strcpy(rq.account, "a");
  rq.equity = -1000;
  rq.shortfall = 1000;
  rq.nmarkets = 1;
  rq.markets = &mk;
  rq.c = (eval_columns){n, n, ids, off, bal, eq, ut, pr, sz, cost, ut};
  char path[4200];
  snprintf(path, sizeof path, "%s/socloss-eval", bindir);
  enum { RUNNING = 11, FRESH = 5 };
  double t[2][RUNNING], f[2][FRESH];
  evaluator ev[2];
  for (int k = 0; k < 2; k++) {
    evaluator_init(&ev[k], path);
    ev[k].copy = k;
  }
  eval_response rs;
  void *buf;
  int bad = 0;
  for (int k = 0; k < 2; k++) {  /* start both, their regions sized */
    evaluator_call(&ev[k], &rq, &rs, &buf, NULL);
    free(buf);
  }
  for (int i = 0; i < RUNNING; i++)
    for (int k = 0; k < 2; k++) {
      double t0 = now();
      bad |= evaluator_call(&ev[k], &rq, &rs, &buf, NULL) || rs.status != EVAL_OK;
      t[k][i] = now() - t0;
      free(buf);
    }
  uint64_t size = ev[0].shm.size;
  for (int k = 0; k < 2; k++) evaluator_stop(&ev[k]);
  for (int i = 0; i < FRESH; i++)
    for (int k = 0; k < 2; k++) {
      evaluator e;
      evaluator_init(&e, path);
      e.copy = k;
      double t0 = now();
      bad |= evaluator_call(&e, &rq, &rs, &buf, NULL) || rs.status != EVAL_OK;
      f[k][i] = now() - t0;
      free(buf);
      evaluator_stop(&e);
    }
  printf("\ncolumns of %zu candidates to the evaluator, one call of an empty policy, median (same run,\n"
         "alternating):%s\n"
         "  running evaluator (11 calls each): shared region %.4f s, copied %.4f s\n"
         "  fresh evaluator (5 calls each):    shared region %.4f s, copied %.4f s\n"
         "  region %.1f MB (%.1f MB of columns)\n",
         n, bad ? " SOME CALLS FAILED" : "", median(t[0], RUNNING), median(t[1], RUNNING), median(f[0], FRESH),
         median(f[1], FRESH), size / 1e6, evalproto_region_need(&rq, NULL, 0) / 1e6);
  free(ids);
  free(off);
  free(bal);
  free(eq);
  free(ut);
  free(pr);
  free(sz);
  free(cost);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: bench_resolve POLICY_DIR [SIZES] [RUNS] [CASCADE_ACCOUNTS CASCADE_DEFICITS GEN]\n");
    return 2;
  }
  const char *sizes = argc > 2 ? argv[2] : "10000,100000,1000000";
  int runs = argc > 3 ? atoi(argv[3]) : 5;
  if (runs == 0) {  /* the transfer alone: what a profile of it should see */
    size_t largest = 0;
    for (const char *p = sizes; *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : p + strlen(p))
      if (strtoul(p, NULL, 10) > largest) largest = strtoul(p, NULL, 10);
    find_bindir();
    transfer(largest);
    return 0;
  }
  if (runs < 1 || runs > 50) runs = 5;  /* the arrays of times hold 50 */
  const char *adl_params = getenv("BENCH_ADL_PARAMS") ? getenv("BENCH_ADL_PARAMS") : "{\"score\":\"pnl\"}";
  rule rules[6] = {{"native C pro-rata", NULL, 0, native_pro_rata},
                   {"pro_rata.lua", NULL, 0, NULL},
                   {"tiered.lua", NULL, 0, NULL},
                   {"adl.lua", NULL, 0, NULL},
                   {"native C ADL", NULL, 0, native_adl},
                   {"native C tiered", NULL, 0, native_tiered}};
  /* the native ADL rule is adl.lua with the pnl score only */
  int adl_native = !strcmp(adl_params, "{\"score\":\"pnl\"}");
  const char *files[4] = {NULL, "pro_rata.lua", "tiered.lua", "adl.lua"};
  for (int k = 1; k < 4; k++) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", argv[1], files[k]);
    if (!(rules[k].source = slurp(path, &rules[k].len))) {
      fprintf(stderr, "bench_resolve: cannot read %s\n", path);
      return 1;
    }
  }
  char root[] = "/tmp/socloss-bench-XXXXXX";
  if (!mkdtemp(root)) return 1;
  char tmpl[64], run[64];
  snprintf(tmpl, sizeof tmpl, "%s/template", root);
  snprintf(run, sizeof run, "%s/run", root);
  find_bindir();
  /* BENCH_RULE=NAME: that rule alone, RUNS times at each size, for a
   * profile that sees only it (perf record -e cpu-clock -g) */
  const char *only = getenv("BENCH_RULE");
  if (only) {
    int k = 0;
    while (k < 6 && strcmp(rules[k].name, only)) k++;
    if (k == 6) {
      fprintf(stderr, "bench_resolve: BENCH_RULE: no rule '%s'\n", only);
      return 2;
    }
    for (const char *p = sizes; *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : p + strlen(p)) {
      size_t n = strtoul(p, NULL, 10), charged;
      sh("rm -rf '%s'%s", tmpl, "");
      if (make_ledger(tmpl, n)) return 1;
      for (int i = 0; i < runs; i++) {
        double pol, t = one_run(tmpl, run, &rules[k], k == 3 ? adl_params : NULL, &charged, &pol, NULL);
        printf("%s, %zu candidates: %.4f s, in the policy %.4f s, %zu actions\n", only, n, t, pol, charged);
      }
    }
    sh("rm -rf '%s'%s", root, "");
    return 0;
  }
  printf("one deficit, end to end (read, decide, validate, write, durable commit); policies in the\n"
         "evaluator process (started and the policy loaded inside the timing); median of runs, seconds.\n"
         "LMDB floor: raw LMDB, the same tables and keys, the same rule in C (alloc_waterfill), each\n"
         "haircut raising the position's cost as the next engine will (socloss here lowers the balance).\n"
         "SQLite: WAL, synchronous=FULL, one UPDATE ... FROM; NOT the same rounding (floor division, no\n"
         "largest remainder: the dust is charged to nobody).\n");
  size_t largest = 0;
  for (const char *p = sizes; *p;) {
    size_t n = strtoul(p, NULL, 10);
    if (n > largest) largest = n;
    p = strchr(p, ',') ? strchr(p, ',') + 1 : p + strlen(p);
    sh("rm -rf '%s'%s", tmpl, "");
    if (make_ledger(tmpl, n)) return 1;
    int r_n = n > 500000 && runs > 3 && argc <= 3 ? 3 : runs;  /* RUNS given: that many at every size */
    double med[6], pol[4];
    size_t actions[6];
    /* run by run, each rule in turn: a load that comes and goes on a
     * shared machine then weighs on every rule alike, and the ratios
     * between them hold better than from rules timed one after another */
    /* the native ADL (4) and tiered (5) rules' actions; the state digests
     * of tiered.lua, adl.lua and those two after their first run */
    double t[6][50], tp[6][50], adl_med = 0, adl_pol = 0;
    size_t native_actions[6] = {0};
    unsigned char dig[6][32];
    for (int i = 0; i < r_n; i++)
      for (int k = 0; k < 6; k++)
        if (k != 4 || adl_native)
          t[k][i] = one_run(tmpl, run, &rules[k], k == 3 ? adl_params : NULL, k < 4 ? &actions[k] : &native_actions[k],
                            &tp[k][i], i == 0 && k >= 2 ? dig[k] : NULL);
    for (int k = 0; k < 4; k++) {
      med[k] = median(t[k], r_n);
      pol[k] = median(tp[k], r_n);
    }
    if (adl_native) {
      adl_med = median(t[4], r_n);
      adl_pol = median(tp[4], r_n);
    }
    double tiered_med = median(t[5], r_n), tiered_pol = median(tp[5], r_n);
    char args[64], lm[1024], sq[1024];
    snprintf(args, sizeof args, "%zu %d", n, r_n);
    run_floor("floor_lmdb", args, lm, sizeof lm);
    run_floor("floor_sqlite", args, sq, sizeof sq);
    med[4] = field(lm, "median_s");
    med[5] = field(sq, "median_s");
    actions[4] = (size_t)field(lm, "charged");
    actions[5] = (size_t)field(sq, "charged");
    printf("\n%zu candidates, median of %d runs\n", n, r_n);
    printf("%9s %9s %12s %10s %9s %10s %9s %14s %15s\n", "", "native", "pro_rata.lua", "tiered.lua", "adl.lua",
           "LMDB floor", "SQLite", "pro_rata/floor", "SQLite/pro_rata");
    printf("%9s %9.4f %12.4f %10.4f %9.4f %10.4f %9.4f %13.2fx %14.2fx\n", "seconds", med[0], med[1], med[2],
           med[3], med[4], med[5], med[1] / med[4], med[5] / med[1]);
    printf("%9s %9zu %12zu %10zu %9zu %10zu %9zu\n", "actions", actions[0], actions[1], actions[2], actions[3],
           actions[4], actions[5]);
    printf("  tiered.lua %.2fx the native rule; adl.lua with %s: %.2fx the native rule; in the policy\n"
           "  (evaluator included): native %.4f, pro_rata.lua %.4f, tiered.lua %.4f, adl.lua %.4f s\n",
           med[2] / med[0], adl_params, med[3] / med[0], pol[0], pol[1], pol[2], pol[3]);
    printf("  LMDB floor: scan %.4f  rule %.4f  write %.4f  commit %.4f s;  SQLite: %.0f atoms of %.0f uncharged\n",
           field(lm, "scan_s"), field(lm, "rule_s"), field(lm, "write_s"), field(lm, "commit_s"),
           field(sq, "uncharged_dust"), field(sq, "shortfall"));
    /* adl.lua closes where the others charge: its own floor, the same
     * closes in raw LMDB (a position removed and a balance moved for each) */
    double cf = field(lm, "closes_s");
    printf("  closes floor (adl.lua's %.0f closes, its rule in C): %.4f s (writes and commit %.4f s); adl.lua %.2fx it;\n"
           "  the closes floor is %.2fx the LMDB floor and %.2fx the native rule\n",
           field(lm, "closed"), cf, field(lm, "closes_write_commit_s"), med[3] / cf, cf / med[4], cf / med[0]);
    /* adl.lua against the same queue in C inside the engine: what the
     * evaluator and Lua add to that rule */
    if (adl_native)
      printf("  native C ADL (adl.lua's queue in C, engine/common/deleverage.c): %.4f s, %zu closes, state %s\n"
             "  adl.lua's; adl.lua %.2fx the native ADL rule; in the policy: native ADL %.4f s\n",
             adl_med, native_actions[4], memcmp(dig[3], dig[4], 32) ? "DIFFERENT from" : "the same as",
             med[3] / adl_med, adl_pol);
    else
      printf("  native C ADL: not run (it is adl.lua with {\"score\":\"pnl\"} only)\n");
    /* tiered.lua against the same rule in C, as adl.lua above */
    printf("  native C tiered (tiered.lua's default tiers in C, alloc_brackets): %.4f s, %zu charges, state %s\n"
           "  tiered.lua's; tiered.lua %.2fx the native tiered rule; in the policy: native tiered %.4f s\n",
           tiered_med, native_actions[5], memcmp(dig[2], dig[5], 32) ? "DIFFERENT from" : "the same as",
           med[2] / tiered_med, tiered_pol);
    fflush(stdout);
  }
  /* the cost of isolation alone: a fresh evaluator process, and one call */
  {
    double spawn[50], call[1000];
    eval_limits lim = {200000000u, 512u << 20, 5000u};
    socloss *led;
    socloss_options o;
    socloss_options_init(&o);
    o.create = SOCLOSS_OPEN_CREATE;
    o.unsafe_nosync = 1;
    for (int i = 0; i < 50; i++) {
      socloss_open(&led, tmpl, &o);
      policy_src ps = {rules[1].source, rules[1].len, "", "", 0, 0, "", "", ""};
      double t0 = now();
      policy_probe(led, &ps, &lim);
      spawn[i] = now() - t0;
      double t1 = now();
      for (int j = 0; j < 20; j++) {
        policy_probe(led, &ps, &lim);
        call[i * 20 + j] = (now() - t1);
        t1 = now();
      }
      socloss_close(led);
    }
    printf("\nisolation: start the evaluator and load pro_rata.lua in it: median %.3f ms (50 runs);\n"
           "           one more call to the running evaluator (fresh Lua state, load, shape check):\n"
           "           median %.3f ms (1000 calls)\n",
           median(spawn, 50) * 1e3, median(call, 1000) * 1e3);
  }
  if (largest) transfer(largest);
  if (argc > 6) {
    size_t accounts = strtoul(argv[4], NULL, 10), k = strtoul(argv[5], NULL, 10);
    char cmd[1024], csv[128];
    snprintf(csv, sizeof csv, "%s/csv", root);
    snprintf(cmd, sizeof cmd, "'%s' '%s' --accounts %zu --markets 2 --seed 1 2>/dev/null", argv[6], csv, accounts);
    if (system(cmd) != 0) return 1;
    sh("rm -rf '%s'%s", tmpl, "");
    socloss_options o;
    socloss_options_init(&o);
    o.create = SOCLOSS_OPEN_CREATE_NEW;
    socloss *led;
    socloss_open(&led, tmpl, &o);
    socloss_source src[3];
    const char *names[3] = {"markets.csv", "accounts.csv", "positions.csv"};
    for (int i = 0; i < 3; i++) {
      char path[256];
      snprintf(path, sizeof path, "%s/%s", csv, names[i]);
      src[i].name = names[i];
      src[i].data = slurp(path, &src[i].len);
    }
    socloss_import_csv(led, &src[0], &src[1], &src[2], NULL);
    socloss_set_mark(led, "BTC-PERP", 48000000);
    idlist l = {0};
    socloss_accounts(led, collect_bankrupt, &l);
    socloss_close(led);
    for (int i = 0; i < 3; i++) free((char *)src[i].data);
    printf("\ncascade: %zu accounts, 2 markets, BTC-PERP -20%% leaves %zu bankrupt; the first %zu resolved\n"
           "one by one in id order, each its own durable transaction (empty fund), check after\n",
           accounts, l.n, k);
    free(l.id);
    double rates[2];
    for (int i = 0; i < 2; i++) {
      size_t done;
      rates[i] = cascade(tmpl, run, &rules[i], k, 0, &done);
      printf("%22s %8zu deficits %10.1f deficits/s  (one transaction each)\n", rules[i].name, done, rates[i]);
      fflush(stdout);
    }
    size_t done;
    double rate = cascade(tmpl, run, &rules[1], k, 100, &done);
    printf("%22s %8zu deficits %10.1f deficits/s  (group commit, 100 per transaction)\n", rules[1].name, done, rate);
    /* the floor works on a copy of the same ledger, through its own code */
    sh("rm -rf '%s'%s", run, "");
    sh("cp -r '%s' '%s'", tmpl, run);
    char args[256], line[1024];
    snprintf(args, sizeof args, "--cascade '%s' %zu", run, k);
    run_floor("floor_lmdb", args, line, sizeof line);
    double fr = field(line, "deficits_per_s");
    printf("%22s %8.0f deficits %10.1f deficits/s  (columns in memory, writes only, one transaction each)\n",
           "LMDB floor", field(line, "deficits"), fr);
    printf("%22s read once %.3f s; then in all: rule %.3f s, writes %.3f s, durable commits %.3f s\n", "",
           field(line, "read_s"), field(line, "rule_s"), field(line, "write_s"), field(line, "commit_s"));
    printf("%22s time per deficit vs the floor: native C %.2fx, pro_rata.lua %.2fx\n", "", fr / rates[0],
           fr / rates[1]);
  }
  sh("rm -rf '%s'%s", root, "");
  for (int k = 1; k < 4; k++) free(rules[k].source);
  return 0;
}
