/*
 * import_one.h — the body of the CSV import harnesses (fuzz_import_csv.c on
 * a ledger without units, fuzz_import_units.c on one with them): the input's
 * format and what must hold are in fuzz_import_csv.c's comment.  Each
 * harness gives fz_setup its own base ledger and calls fz_import_one.
 */
#ifndef SOCLOSS_FUZZ_IMPORT_ONE_H
#define SOCLOSS_FUZZ_IMPORT_ONE_H

#include "fuzz.h"

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

static int fz_count_lot(void *ud, const socloss_lot *lot) {
  (void)lot;
  ++*(size_t *)ud;
  return 0;
}

/* The markets with a lot: each new one is journaled (a "lot" record after
 * its market's), so the journal grows by the rows and the lots. */
static size_t fz_lots(void) {
  size_t n = 0;
  fz_must(fz_led, socloss_lots(fz_led, fz_count_lot, &n), "lots");
  return n;
}

static int fz_import_one(const uint8_t *data, size_t size) {
  static size_t base_lots = SIZE_MAX;  /* the base's, counted once: the base is made again after each import */
  if (base_lots == SIZE_MAX) base_lots = fz_lots();
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
    size_t rows = st.markets + st.accounts + st.positions, lots = fz_lots() - base_lots;
    if (t.journal_seq != fz_base.t.journal_seq + rows + lots || t.markets != fz_base.t.markets + st.markets ||
        t.accounts != fz_base.t.accounts + st.accounts || t.positions != fz_base.t.positions + st.positions)
      fz_die("import: %zu markets (%zu with a lot), %zu accounts, %zu positions imported, but the journal went "
             "%llu -> %llu, markets %zu -> %zu, accounts %zu -> %zu",
             st.markets, lots, st.accounts, st.positions, (unsigned long long)fz_base.t.journal_seq,
             (unsigned long long)t.journal_seq, fz_base.t.markets, t.markets, fz_base.t.accounts, t.accounts);
    if (rows) fz_reset();
    else fz_unchanged("an import of no rows");
  }
  for (int k = 0; k < 3; k++) free(copy[k]);
  return 0;
}

#endif
