/*
 * bench_import — times the CSV import of a generated ledger, end to end
 * (parse, validate, write, journal, commit), against two baselines in the
 * same run: libcsv parsing the same bytes with no work per field, and the
 * store writing the same number of records with no parsing or validation
 * (the LMDB floor).  Prints sizes, runs and the median of each.
 *
 * usage: bench_import CSV_DIR [RUNS] [--unsafe-no-sync]
 */
#include <csv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "socloss.h"
#include "store.h"


static char *slurp(const char *dir, const char *name, size_t *len) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)n + 1);
  if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  *len = (size_t)n;
  return buf;
}

static void no_field(void *s, size_t len, void *ud) { (void)s, (void)len, ++*(size_t *)ud; }
static void no_row(int c, void *ud) { (void)c, (void)ud; }

static double parse_only(socloss_source *src) {
  double t0 = now();
  for (int k = 0; k < 3; k++) {
    struct csv_parser p;
    size_t fields = 0;
    csv_init(&p, CSV_STRICT | CSV_APPEND_NULL);
    csv_parse(&p, src[k].data, src[k].len, no_field, no_row, &fields);
    csv_fini(&p, no_field, no_row, &fields);
    csv_free(&p);
  }
  return now() - t0;
}

/* The LMDB floor: as many account, position and journal records as the
 * import writes, with made-up ids of the same shape. */
struct floor_job {
  size_t accounts, positions;
};

static int write_floor(store_txn *t, void *ud) {
  struct floor_job *j = ud;
  char id[32];
  unsigned char rec[48] = {1};
  uint64_t seq = 0;
  int rc = store_market_put(t, "BTC-PERP", &(store_market){60000000, 0});
  if (!rc) rc = store_market_put(t, "ETH-PERP", &(store_market){30000000, 0});
  for (size_t i = 0; !rc && i < j->accounts; i++) {
    snprintf(id, sizeof id, "acct-%07zu", i);
    rc = store_account_put(t, id, 1000);
    if (!rc) rc = store_journal_put(t, ++seq, rec, 24);
  }
  for (size_t i = 0; !rc && i < j->positions; i++) {
    snprintf(id, sizeof id, "acct-%07zu", i / 2);
    rc = store_position_put(t, i % 2 ? "ETH-PERP" : "BTC-PERP", id, &(store_position){5, 500});
    if (!rc) rc = store_journal_put(t, ++seq, rec, 40);
  }
  return rc;
}

static int run(const char *cmd) { return system(cmd); }

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: bench_import CSV_DIR [RUNS] [--unsafe-no-sync]\n");
    return 2;
  }
  int runs = argc > 2 && argv[2][0] != '-' ? atoi(argv[2]) : 5;
  int nosync = argc > 2 && !strcmp(argv[argc - 1], "--unsafe-no-sync");
  if (runs < 1) runs = 1;
  if (runs > 50) runs = 50;
  socloss_source src[3] = {{"markets.csv", 0, 0}, {"accounts.csv", 0, 0}, {"positions.csv", 0, 0}};
  for (int k = 0; k < 3; k++)
    if (!(src[k].data = slurp(argv[1], src[k].name, &src[k].len))) {
      fprintf(stderr, "bench_import: cannot read %s/%s\n", argv[1], src[k].name);
      return 1;
    }
  double t_import[50], t_parse[50], t_floor[50];
  socloss_import_stats st = {0};
  char dir[] = "/tmp/socloss-bench-XXXXXX", cmd[128];
  if (!mkdtemp(dir)) return 1;
  snprintf(cmd, sizeof cmd, "rm -rf '%s'/*", dir);

  for (int r = 0; r < runs; r++) {
    t_parse[r] = parse_only(src);

    socloss_options o;
    socloss_options_init(&o);
    o.create = SOCLOSS_OPEN_CREATE_NEW;
    o.unsafe_nosync = nosync;
    socloss *led;
    if (socloss_open(&led, dir, &o)) {
      fprintf(stderr, "bench_import: %s\n", socloss_errmsg(led));
      return 1;
    }
    double t0 = now();
    int rc = socloss_import_csv(led, &src[0], &src[1], &src[2], &st);
    t_import[r] = now() - t0;
    if (rc) {
      fprintf(stderr, "bench_import: %s\n", socloss_errmsg(led));
      return 1;
    }
    socloss_close(led);
    run(cmd);

    store *s;
    store_config cfg = {STORE_OPEN_CREATE_NEW, 1ull << 30, 1ull << 40, nosync, {NULL, NULL}};
    if (store_open(&s, dir, &cfg)) {
      fprintf(stderr, "bench_import: %s\n", err_buf());
      return 1;
    }
    struct floor_job j = {st.accounts, st.positions};
    t0 = now();
    rc = store_write(s, write_floor, &j);
    t_floor[r] = now() - t0;
    store_close(s);
    run(cmd);
    if (rc) {
      fprintf(stderr, "bench_import: floor: %s\n", err_buf());
      return 1;
    }
  }
  rmdir(dir);
  double mi = median(t_import, runs), mp = median(t_parse, runs), mf = median(t_floor, runs);
  printf("import of %zu markets, %zu accounts, %zu positions (%.1f MB of CSV), %s, %d runs\n",
         st.markets, st.accounts, st.positions,
         (double)(src[0].len + src[1].len + src[2].len) / 1e6,
         nosync ? "unsafe no-sync" : "durable (fsync at commit)", runs);
  printf("  full import (parse, validate, write, journal, commit)  median %.3f s  (%.0f positions/s)\n",
         mi, (double)st.positions / mi);
  printf("  baseline: libcsv parse only, same bytes                median %.3f s\n", mp);
  printf("  baseline: store writes of as many records, no parsing  median %.3f s\n", mf);
  printf("  ratio import / (parse + store floor)                   %.2fx\n", mi / (mp + mf));
  for (int k = 0; k < 3; k++) free((char *)src[k].data);
  return 0;
}
