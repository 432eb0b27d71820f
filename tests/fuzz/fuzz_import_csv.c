/*
 * fuzz_import_csv — socloss_import_csv on arbitrary CSV.
 *
 * An input is a mask byte, then the files it names, separated by lines that
 * are exactly "%%":
 *
 *   byte 0 & 7: which of markets (1), accounts (2), positions (4) are given
 *               (0 stands for all three); e.g. '7', '6' (accounts, positions)
 *   then:       the given files in that order, "\n%%\n" between two of them
 *
 * (the corpus files are readable: "7market,mark_price\nSOL,5\n%%\n...").  A
 * file that the input ends before is empty.  Each file is copied into a
 * block of its exact size: nothing after it, not even a NUL.
 *
 * The ledger is import_errors.t's base (BTC mark 100, ETH 10; alice 1000,
 * bob -50; alice BTC 1 @ 90, bob BTC -1 @ 90), so that rows can collide with
 * what exists.  A refused import must leave it exactly as it was (and say
 * why in a message safe to show); an accepted one must leave a ledger that
 * `socloss check` passes, with one journal record per row, and is then
 * undone by making the base again.
 */
#include "fuzz.h"

static void build(socloss *led) {
  fz_import_base(led, "market,mark_price\nBTC,100\nETH,10\n", "account,balance\nalice,1000\nbob,-50\n",
                 "account,market,size,entry_price\nalice,BTC,1,90\nbob,BTC,-1,90\n", 0);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  fz_setup("import_csv", build);
  return 0;
}

/* The next file of the input from *p: up to the next "\n%%\n" (the "\n"
 * before it stays in the file), or the rest. */
static size_t next_file(const uint8_t **p, const uint8_t *end, const uint8_t **start) {
  *start = *p;
  for (const uint8_t *q = *p; q + 4 <= end; q++)
    if (q[0] == '\n' && q[1] == '%' && q[2] == '%' && q[3] == '\n') {
      *p = q + 4;
      return (size_t)(q + 1 - *start);
    }
  *p = end;
  return (size_t)(end - *start);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  unsigned mask = data[0] & 7u;
  if (!mask) mask = 7;
  const uint8_t *p = data + 1, *end = data + size;
  static const char *const names[3] = {"m.csv", "a.csv", "p.csv"};
  socloss_source src[3];
  char *copy[3] = {NULL, NULL, NULL};
  for (int k = 0; k < 3; k++) {
    if (!(mask & (1u << k))) continue;
    const uint8_t *start;
    size_t n = next_file(&p, end, &start);
    copy[k] = fz_copy(start, n);
    src[k] = (socloss_source){names[k], copy[k], n};
  }
  socloss_import_stats st;
  memset(&st, 0, sizeof st);
  int rc = socloss_import_csv(fz_led, copy[0] ? &src[0] : NULL, copy[1] ? &src[1] : NULL,
                              copy[2] ? &src[2] : NULL, &st);
  fz_refusal_ok(fz_led, rc, "import");
  if (rc != SOCLOSS_OK) {
    fz_unchanged("import");
  } else {
    fz_check(fz_led, "import");
    socloss_totals t;
    fz_must(fz_led, socloss_totals_get(fz_led, &t), "totals");
    size_t rows = st.markets + st.accounts + st.positions;
    if (t.journal_seq != fz_base.t.journal_seq + rows || t.markets != fz_base.t.markets + st.markets ||
        t.accounts != fz_base.t.accounts + st.accounts || t.positions != fz_base.t.positions + st.positions)
      fz_die("import: %zu markets, %zu accounts, %zu positions imported, but the journal went %llu -> %llu, "
             "markets %zu -> %zu, accounts %zu -> %zu",
             st.markets, st.accounts, st.positions, (unsigned long long)fz_base.t.journal_seq,
             (unsigned long long)t.journal_seq, fz_base.t.markets, t.markets, fz_base.t.accounts, t.accounts);
    if (rows) fz_reset();
    else fz_unchanged("an import of no rows");
  }
  for (int k = 0; k < 3; k++) free(copy[k]);
  return 0;
}
