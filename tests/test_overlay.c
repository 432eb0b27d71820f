/*
 * Writes kept in memory (store/overlay.c, store_cache_writes): in a
 * transaction that caches its writes, every read of an account or a
 * position gives what a transaction without the cache would (the last
 * write, a deletion, or what LMDB holds); a nested transaction's abort
 * takes back its writes and what it flushed; anything that walks the
 * tables in key order sees every write; a commit writes them all; the
 * write watch notes them as it does without the cache; its journal keeps
 * only the last record it wrote, refuses to give an older one of its own
 * or to be walked or committed, and a nested abort goes back to the
 * sequence before.  Store level: the scratch ledger simulate runs in.
 */
#include <inttypes.h>

#include "err.h"
#include "socloss.h"
#include "store.h"
#include "tap.h"

static store *s;

static int64_t bal(store_txn *t, const char *id) {
  int64_t b = -999;
  int rc = store_account_get(t, id, &b);
  return rc == SOCLOSS_ENOTFOUND ? -1 : rc ? -2 : b;
}

static int64_t cost(store_txn *t, const char *holder) {
  store_position p;
  int rc = store_position_get(t, "BTC", holder, &p);
  return rc == SOCLOSS_ENOTFOUND ? -1 : rc ? -2 : p.cost;
}

/* The accounts as a walk sees them: "id=balance,..." */
typedef struct seen {
  char text[256];
} seen;

static int on_account(void *ud, const char *id, int64_t b) {
  seen *w = ud;
  size_t n = strlen(w->text);
  snprintf(w->text + n, sizeof w->text - n, "%s%s=%" PRId64, n ? "," : "", id, b);
  return 0;
}

static const char *walked(store_txn *t, seen *w) {
  w->text[0] = 0;
  if (store_each_account(t, on_account, w)) snprintf(w->text, sizeof w->text, "walk failed");
  return w->text;
}

static int setup(store_txn *t, void *ud) {
  (void)ud;
  store_position p = {1, 100};
  int rc = store_account_put(t, "a", 10);
  if (!rc) rc = store_account_put(t, "b", 20);
  if (!rc) rc = store_position_put(t, "BTC", "a", &p);
  return rc;
}

static int write_then_fail(store_txn *t, void *ud) {
  (void)ud;
  store_position gone = {0, 0};
  store_account_put(t, "a", 111);
  store_account_put(t, "c", 333);
  store_position_put(t, "BTC", "a", &gone);
  return SOCLOSS_EINVAL;
}

static int flush_then_fail(store_txn *t, void *ud) {
  seen w;
  store_account_put(t, "b", 222);
  is_str(walked(t, &w), "a=11,b=222,c=30", "inside a nested transaction, a walk flushes and sees its write too");
  (void)ud;
  return SOCLOSS_EINVAL;
}

static int cache_nested(store_txn *t, void *ud) {
  (void)ud;
  return store_cache_writes(t);
}

static int write_and_keep(store_txn *t, void *ud) {
  (void)ud;
  return store_account_put(t, "b", 21);
}

static int changes;
static int count_change(void *ud, const store_change *c) {
  (void)ud;
  (void)c;
  changes++;
  return 0;
}

static int cached_run(store_txn *t, void *ud) {
  (void)ud;
  seen w;
  is(store_cache_writes(t), 0, "the transaction caches its writes");
  store_watch_start(t);
  is(store_account_put(t, "a", 11), 0, "an account written");
  is(bal(t, "a"), 11, "read back from memory: 11");
  is((int64_t)store_cache_flushes(t), 0, "nothing written into LMDB yet");
  is(bal(t, "b"), 20, "an account not written: LMDB's, 20");
  is(bal(t, "zz"), -1, "one that does not exist: not found");

  store_position p = {2, 250}, gone = {0, 0};
  is(store_position_put(t, "BTC", "b", &p), 0, "a position written");
  is(cost(t, "b"), 250, "read back: cost 250");
  is(store_position_add(t, "BTC", "b", &p), SOCLOSS_EEXIST, "an add over a cached record is refused");
  is(store_account_add(t, "a", 5), SOCLOSS_EEXIST, "as over a stored one");
  is(store_account_add(t, "c", 30), 0, "an add of a new account");
  is(bal(t, "c"), 30, "reads 30");

  is(store_nested(t, write_then_fail, NULL), SOCLOSS_EINVAL, "a nested transaction that writes, then fails");
  is(bal(t, "a"), 11, "its write to a is taken back: 11");
  is(cost(t, "a"), 100, "its deletion of a's position too: cost 100");
  is(bal(t, "c"), 30, "and its write to c: 30");

  is(store_nested(t, cache_nested, NULL), 0, "a nested transaction shares its parent's cache");
  is(store_nested(t, write_and_keep, NULL), 0, "one that writes and commits");
  is(bal(t, "b"), 21, "keeps its write: 21");

  is(store_position_put(t, "BTC", "a", &gone), 0, "a position deleted");
  is(cost(t, "a"), -1, "then not found");
  is(store_position_put(t, "BTC", "nobody", &gone), 0, "deleting what is not there is no change");

  is_str(walked(t, &w), "a=11,b=21,c=30", "a walk sees every write, in key order");
  is((int64_t)store_cache_flushes(t), 1, "after one flush");

  is(store_nested(t, flush_then_fail, NULL), SOCLOSS_EINVAL, "a nested transaction that flushed, then failed");
  is(bal(t, "b"), 21, "b is the parent's again: 21");
  is_str(walked(t, &w), "a=11,b=21,c=30", "and so is LMDB, written again by the next walk");

  size_t markets = 9, accounts = 9, positions = 9;
  store_position q = {3, 300};
  store_position_put(t, "BTC", "c", &q);
  is(store_counts(t, &markets, &accounts, &positions), 0, "counted");
  is((int64_t)accounts, 3, "3 accounts: a, b, c");
  is((int64_t)positions, 2, "2 positions: b's and c's (a's deleted)");

  store_cursor *c;
  is(store_cursor_position_writes(t, &c), 0, "a write cursor");
  store_position r = {4, 400};
  is(store_put_position_hinted(c, "BTC", "b", &r, 7), 0, "writes through it");
  is(store_put_position_hinted(c, "BTC", "nobody", &gone, 8), 0, "and deletes nothing that is not there");
  store_cursor_close(c);
  is(cost(t, "b"), 400, "the cursor's write is read back: 400");

  changes = 0;
  store_watch_take(t, count_change, NULL);
  /* a 11, b pos 250, c 30 (add), b 21, a pos deleted, c pos 300, b pos 400:
   * 7 noted; the failed transactions' writes taken back */
  is(changes, 7, "the watch noted the 7 changes that stand");
  store_watch_stop(s);
  return 0;
}

static int check_committed(store_txn *t, void *ud) {
  seen w;
  (void)ud;
  is_str(walked(t, &w), "a=11,b=21,c=30", "a committed cached transaction wrote every account");
  is(cost(t, "b"), 400, "and every position: b's cost 400");
  is(cost(t, "a"), -1, "a's deletion too");
  return 0;
}

static int nested_asks(store_txn *t, void *ud) {
  (void)ud;
  return store_nested(t, cache_nested, NULL);
}

static int check_discarded(store_txn *t, void *ud) {
  seen w;
  (void)ud;
  is_str(walked(t, &w), "a=10,b=20", "a discarded one left the ledger as it was");
  is(cost(t, "a"), 100, "a's position too");
  return 0;
}

/* The record seq as text ("" when it cannot be read: ERRBUF says why). */
static const char *record(store_txn *t, uint64_t seq, char *out, size_t cap) {
  const void *p;
  size_t len;
  out[0] = 0;
  if (store_journal_get(t, seq, &p, &len) == SOCLOSS_OK) snprintf(out, cap, "%.*s", (int)len, (const char *)p);
  return out;
}

static int two_records(store_txn *t, void *ud) {
  (void)ud;
  int rc = store_journal_put(t, 1, "one", 3);
  return rc ? rc : store_journal_put(t, 2, "two", 3);
}

static int four_then_fail(store_txn *t, void *ud) {
  (void)ud;
  int rc = store_journal_put(t, 4, "four", 4);
  return rc ? rc : SOCLOSS_ENOTFOUND;
}

static int count_record(void *ud, uint64_t seq, const void *rec, size_t len) {
  (void)seq, (void)rec, (void)len;
  ++*(int *)ud;
  return 0;
}

static int journal_run(store_txn *t, void *ud) {
  (void)ud;
  char text[32];
  is(store_cache_journal(t), SOCLOSS_EINVAL, "journal: kept in memory only by a transaction that caches");
  is(store_cache_writes(t), 0, "a cached transaction");
  is(store_cache_journal(t), 0, "keeps its journal in memory");
  is(store_journal_last(t), 2, "it sees the ledger's last record, 2");
  is(store_journal_put(t, 4, "four", 4), SOCLOSS_ESTORE, "4 does not follow 2");
  is(store_journal_put(t, 3, "three", 5), 0, "3 is written");
  is(store_journal_last(t), 3, "and is the last");
  is_str(record(t, 3, text, sizeof text), "three", "record 3 reads back");
  is_str(record(t, 2, text, sizeof text), "two", "record 2, the ledger's, too");
  is(store_nested(t, four_then_fail, NULL), SOCLOSS_ENOTFOUND, "a nested transaction writes 4, then fails");
  is(store_journal_last(t), 3, "the last record is 3 again");
  is_str(record(t, 3, text, sizeof text), "", "but its bytes are not kept any more");
  is_str(ERRBUF, "journal record 3: a simulation keeps only the last record it wrote", "and the read says so");
  is(store_journal_put(t, 4, "FOUR", 4), 0, "4 is written again");
  is(store_journal_put(t, 5, "five", 4), 0, "then 5");
  is_str(record(t, 5, text, sizeof text), "five", "5 reads back");
  is_str(record(t, 4, text, sizeof text), "", "4 does not: only the last is kept");
  is_str(record(t, 1, text, sizeof text), "one", "the ledger's records still do");
  int n = 0;
  is(store_each_record(t, 1, count_record, &n), SOCLOSS_ESTORE, "a walk of the journal is refused");
  is(n, 0, "before it visits anything");
  return 0;
}

static int journal_commit(store_txn *t, void *ud) {
  (void)ud;
  int rc = store_cache_writes(t);
  if (!rc) rc = store_cache_journal(t);
  return rc ? rc : store_journal_put(t, 3, "three", 5);
}

static int journal_after(store_txn *t, void *ud) {
  char text[32];
  (void)ud;
  is(store_journal_last(t), 2, "the ledger's journal still ends at 2");
  is_str(record(t, 2, text, sizeof text), "two", "with its record 2");
  return 0;
}

int main(void) {
  store_config cfg = {0};
  if (store_open_scratch(&s, &cfg)) {
    ok(0, "a scratch store");
    return done_testing();
  }
  is(store_write(s, setup, NULL), 0, "a: 10, b: 20, a long 1 at cost 100");
  is(store_write_discard(s, cached_run, NULL), 0, "a cached run, thrown away");
  store_read(s, check_discarded, NULL);
  is(store_write_discard(s, nested_asks, NULL), SOCLOSS_EINVAL,
     "a nested transaction of one that does not cache cannot start caching");
  is(store_write(s, cached_run, NULL), 0, "the same run, committed");
  store_read(s, check_committed, NULL);
  is(store_write(s, two_records, NULL), 0, "journal records 1 and 2 committed");
  is(store_write_discard(s, journal_run, NULL), 0, "a cached run writing records, thrown away");
  is(store_write(s, journal_commit, NULL), SOCLOSS_EINVAL, "a cached transaction that wrote a record cannot commit");
  is_str(ERRBUF, "a transaction that kept its journal in memory cannot commit", "and says so");
  store_read(s, journal_after, NULL);
  store_close(s);
  return done_testing();
}
