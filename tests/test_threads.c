/*
 * Threads sharing one handle: readers query while a writer resolves a
 * cascade (one by one, then a batch).  Readers never wait for the writer
 * (LMDB snapshots), never see the state go backwards, and each thread reads
 * its own error messages.  Built under ThreadSanitizer by `make test-tsan`.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "util.h"

#define LONGS 100
#define SHORTS 200
#define READERS 3

static socloss *led;
static atomic_int done;

typedef struct reader {
  long iterations, errors, regressions, wrong_messages;
  _Atomic long rounds;  /* iterations, for the main thread to read */
} reader;

static int count(void *ud, const socloss_account *a) {
  (void)a;
  ++*(size_t *)ud;
  return 0;
}

static void *read_loop(void *arg) {
  reader *r = arg;
  uint64_t last_seq = 0;
  int64_t last_cash = INT64_MIN;
  while (!atomic_load(&done)) {
    socloss_totals t;
    size_t n = 0;
    unsigned char digest[32];
    if (socloss_totals_get(led, &t)) r->errors++;
    else {
      if (t.journal_seq < last_seq) r->regressions++;
      last_seq = t.journal_seq;
      last_cash = t.fund_cash;
    }
    if (socloss_accounts(led, count, &n) || n != LONGS + SHORTS) r->errors++;
    if (socloss_state_digest(led, digest)) r->errors++;
    /* a refusal of this thread's own, while the writer succeeds */
    if (socloss_account_get(led, "nobody", count, &n) != SOCLOSS_ENOTFOUND ||
        strcmp(socloss_errmsg(led), "account: unknown account 'nobody'") != 0)
      r->wrong_messages++;
    r->iterations++;
    atomic_store(&r->rounds, r->iterations);
  }
  (void)last_cash;
  return NULL;
}

/* ---- simulations side by side (socloss_simulate_many) -------------------- */

static atomic_int inside, overlaps, calls;

/* A callback that notes whether another was under way meanwhile. */
static int told(void *ud, const char *phase, uint64_t done_, uint64_t total) {
  (void)ud, (void)phase, (void)done_, (void)total;
  if (atomic_fetch_add(&inside, 1)) atomic_fetch_add(&overlaps, 1);
  atomic_fetch_add(&calls, 1);
  usleep(50);  /* long enough for another run's call to come meanwhile, were it let */
  atomic_fetch_sub(&inside, 1);
  return 0;
}

/* Three runs of the crash at today's mark (every long bankrupt), two
 * sequential and one joint, side by side: each as it is alone, and their
 * callbacks never at once. */
static void side_by_side(const char *pol) {
  socloss_sim_options o[3];
  const socloss_sim_options *op[3];
  socloss_sim_result alone[3], many[3];
  socloss_progress pg = {sizeof pg, told, NULL};
  int codes[3];
  for (int k = 0; k < 3; k++) {
    socloss_sim_options_init(&o[k]);
    o[k].policy = pol;
    o[k].policy_len = strlen(pol);
    o[k].shock_market = "BTC";
    o[k].shock_ppm = k == 1 ? -1000 : 0;
    o[k].joint = k == 2;
    o[k].progress = &pg;
    op[k] = &o[k];
    if (socloss_simulate_with(led, &o[k], &alone[k])) diag("alone %d: %s", k, socloss_errmsg(led));
  }
  atomic_store(&calls, 0);
  is(socloss_simulate_many(led, op, 3, 3, many, codes), SOCLOSS_OK, "three simulations side by side");
  ok(codes[0] == 0 && codes[1] == 0 && codes[2] == 0, "each succeeded");
  for (int k = 0; k < 3; k++)
    ok(!memcmp(&many[k], &alone[k], sizeof many[k]), "run %d: the figures it has alone (%zu deficits, %lld charged)", k,
       many[k].deficits, (long long)many[k].total_charged);
  is(alone[0].deficits, LONGS, "every long is a deficit");
  is(atomic_load(&calls), 3 * 2 * LONGS, "the progress callback: 3 runs x (100 deficits + 100 of the split test)");
  is(atomic_load(&overlaps), 0, "never two callbacks at once");
}

int main(void) {
  char dir[64], *a = malloc(1 << 16), *p = malloc(1 << 16);
  size_t al = (size_t)sprintf(a, "account,balance\n"), pl = (size_t)sprintf(p, "account,market,size,entry_price\n");
  for (int i = 0; i < LONGS; i++) {
    al += (size_t)sprintf(a + al, "long%03d,50\n", i);
    pl += (size_t)sprintf(p + pl, "long%03d,BTC,10,100\n", i);
  }
  for (int i = 0; i < SHORTS; i++) {
    al += (size_t)sprintf(a + al, "short%03d,10000\n", i);
    pl += (size_t)sprintf(p + pl, "short%03d,BTC,-5,100\n", i);
  }
  led = new_ledger(dir, 0);
  socloss_source ms = src_of("m", "market,mark_price\nBTC,100\n"), as = src_of("a", a), ps = src_of("p", p);
  ok(socloss_import_csv(led, &ms, &as, &ps, NULL) == SOCLOSS_OK && socloss_set_mark(led, "BTC", 90) == SOCLOSS_OK,
     "%d longs 50 short each after a fall to 90, %d shorts in profit", LONGS, SHORTS);
  const char *pol = "return {name = 'even', haircut = function(ctx)\n"
                    "  local profit = socloss.max(ctx.upnl.BTC, 0)\n"
                    "  return socloss.haircuts(socloss.waterfill(profit, profit, ctx.deficit.shortfall))\n"
                    "end}";
  ok(socloss_policy_set(led, SOCLOSS_POLICY_ACTIVE, pol, strlen(pol), NULL) == SOCLOSS_OK, "an active policy");

  side_by_side(pol);

  pthread_t th[READERS];
  reader rd[READERS];
  memset(rd, 0, sizeof rd);
  for (int i = 0; i < READERS; i++) pthread_create(&th[i], NULL, read_loop, &rd[i]);

  int resolved = 0;
  char ids[LONGS][16], accts[LONGS][16];
  for (int i = 0; i < LONGS / 2; i++) {
    snprintf(ids[i], sizeof ids[i], "d%03d", i);
    snprintf(accts[i], sizeof accts[i], "long%03d", i);
    socloss_resolve_options o;
    socloss_resolve_options_init(&o);
    o.id = ids[i];
    if (socloss_resolve(led, accts[i], &o, NULL) == SOCLOSS_OK) resolved++;
    else diag("%s: %s", accts[i], socloss_errmsg(led));
  }
  socloss_batch_item items[LONGS / 2];
  for (int i = LONGS / 2; i < LONGS; i++) {
    snprintf(ids[i], sizeof ids[i], "d%03d", i);
    snprintf(accts[i], sizeof accts[i], "long%03d", i);
    items[i - LONGS / 2] = (socloss_batch_item){ids[i], accts[i], 0, 0, ""};
  }
  ok(socloss_resolve_batch(led, items, LONGS / 2, NULL) == SOCLOSS_OK, "the second half in one batch");
  for (int i = 0; i < LONGS / 2; i++) resolved += items[i].code == SOCLOSS_OK;
  is_str(socloss_errmsg(led), "", "the writer's own message is untouched by the readers' refusals");
  /* On a loaded machine a reader thread may not have been scheduled yet:
   * each is let finish one round before they stop (at most 60 s), so that
   * the count below tells a reader that cannot run, not the scheduler. */
  for (int waited = 0; waited < 6000; waited++) {
    int all = 1;
    for (int i = 0; i < READERS; i++) all &= atomic_load(&rd[i].rounds) > 0;
    if (all) break;
    usleep(10000);
  }
  atomic_store(&done, 1);
  for (int i = 0; i < READERS; i++) pthread_join(th[i], NULL);

  is(resolved, LONGS, "every deficit resolved while the readers ran");
  for (int i = 0; i < READERS; i++) {
    ok(rd[i].iterations > 0, "reader %d ran %ld rounds meanwhile", i, rd[i].iterations);
    ok(rd[i].errors == 0 && rd[i].regressions == 0, "reader %d: no error, the journal never went backwards", i);
    is(rd[i].wrong_messages, 0, "reader %d: its own message every time", i);
  }
  socloss_totals t;
  ok(socloss_totals_get(led, &t) == 0 && t.bad_debt == 0, "no bad debt: the shorts' profit covered all");
  ok(invariants_hold(led), "invariants, replay included");
  drop_ledger(led, dir);
  free(a);
  free(p);
  return done_testing();
}
