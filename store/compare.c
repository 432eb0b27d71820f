/*
 * compare.c — whether two ledgers hold the same state.
 *
 * check replays the journal into a scratch ledger and asks whether it came
 * out as the snapshot is.  Every value is written in one encoding (codec.c:
 * a version byte, fixed-width integers), so two records hold the same
 * values exactly when their bytes are the same: the state tables are walked
 * side by side and compared byte for byte, which costs two cursor steps and
 * a memcmp a record where a digest of each would decode, encode and hash
 * every record of both.  The totals are compared as store_totals_get reads
 * them (a total never written reads 0, as one written 0).
 */
#include "store_int.h"

/* *same 0 at the first record that differs, or is in one table only. */
static int same_table(store_txn *a, store_txn *b, int db, int *same) {
  MDB_cursor *ca, *cb;
  int rc = mdb_cursor_open(a->txn, a->s->dbi[db], &ca);
  if (rc) return mdb_fail(a, rc, "open cursor");
  if ((rc = mdb_cursor_open(b->txn, b->s->dbi[db], &cb))) {
    mdb_cursor_close(ca);
    return mdb_fail(b, rc, "open cursor");
  }
  MDB_val ka, va, kb, vb;
  int ra = mdb_cursor_get(ca, &ka, &va, MDB_FIRST), rb = mdb_cursor_get(cb, &kb, &vb, MDB_FIRST);
  while (!ra && !rb) {
    if (ka.mv_size != kb.mv_size || va.mv_size != vb.mv_size || memcmp(ka.mv_data, kb.mv_data, ka.mv_size) ||
        memcmp(va.mv_data, vb.mv_data, va.mv_size))
      break;
    ra = mdb_cursor_get(ca, &ka, &va, MDB_NEXT);
    rb = mdb_cursor_get(cb, &kb, &vb, MDB_NEXT);
  }
  rc = SOCLOSS_OK;
  if (ra && ra != MDB_NOTFOUND) rc = mdb_fail(a, ra, "compare");
  else if (rb && rb != MDB_NOTFOUND) rc = mdb_fail(b, rb, "compare");
  else *same = ra == MDB_NOTFOUND && rb == MDB_NOTFOUND;  /* both ended together */
  mdb_cursor_close(ca);
  mdb_cursor_close(cb);
  return rc;
}

int store_same_state(store_txn *a, store_txn *b, int *same) {
  static const int state[] = {DB_MARKETS, DB_ACCOUNTS, DB_POSITIONS, DB_DEFICITS};
  *same = 1;
  int rc = ov_flush(a);  /* writes kept in memory count (overlay.c) */
  if (!rc) rc = ov_flush(b);
  for (size_t i = 0; !rc && *same && i < sizeof state / sizeof state[0]; i++) rc = same_table(a, b, state[i], same);
  store_totals ta, tb;
  if (!rc && *same && !(rc = store_totals_get(a, &ta)) && !(rc = store_totals_get(b, &tb)))
    *same = ta.fund_cash == tb.fund_cash && ta.bad_debt == tb.bad_debt && ta.net_flows == tb.net_flows;
  return rc;
}
