/*
 * ordered.c — records written and read in key order without a search from
 * the B-tree's root each time.
 *
 * Adds.  An import adds accounts in id order, and positions account by
 * account (in a generated ledger each account's BTC position, then its ETH
 * one: two runs in key order, one at the end of the table and one just
 * before the first ETH key); a check replays those records into an empty
 * scratch ledger in the same order.  mdb_put opens a new cursor and
 * searches from the root, comparing keys and looking each page up in the
 * transaction's dirty list on every level.  A cursor that stays open sits
 * on the leaf page of its last put, and LMDB's search for the next key
 * (mdb_cursor_set) starts there: a key inside that page is searched for in
 * that page alone, and a key past the last of the table's last page is put
 * at its end with no search at all (a full page then splits near its end,
 * so that pages fill up).  So a transaction puts new records through two
 * cursors of its own per table: one for the keys past the last it put
 * there (the end of the table, as far as it knows), one for the others.
 * Which cursor a key goes to is only a guess at where it lands: LMDB
 * searches from the root whenever the key is not where the cursor sits,
 * so the records and refusals are those of mdb_put whatever the order.
 * (MDB_APPEND would not do: it goes down from the root to the last page
 * for every record.)
 */
#include "store_int.h"

static store_tail *tail_of(store_txn *t, int db) {
  if (db == DB_ACCOUNTS) return &t->tail[TAIL_ACCOUNTS];
  if (db == DB_POSITIONS) return &t->tail[TAIL_POSITIONS];
  return NULL;
}

static int cursor(store_txn *t, int db, MDB_cursor **c) {
  if (*c) return MDB_SUCCESS;
  int rc = mdb_cursor_open(t->txn, t->s->dbi[db], c);
  if (rc) *c = NULL;
  return rc;
}

int tail_add(store_txn *t, int db, MDB_val *k, MDB_val *v) {
  store_tail *tl = tail_of(t, db);
  if (!tl || k->mv_size > sizeof tl->key) return mdb_put(t->txn, t->s->dbi[db], k, v, MDB_NOOVERWRITE);
  MDB_val last = val(tl->key, tl->len);
  int end = !tl->known || mdb_cmp(t->txn, t->s->dbi[db], k, &last) > 0;  /* LMDB's order, the table's */
  MDB_cursor **c = end ? &tl->end : &tl->mid;
  int rc = cursor(t, db, c);
  if (!rc) rc = mdb_cursor_put(*c, k, v, MDB_NOOVERWRITE);
  if (!rc && end) {
    memcpy(tl->key, k->mv_data, k->mv_size);
    tl->len = k->mv_size;
    tl->known = 1;
    tl->ends++;
  }
  return rc;
}

/* Reads in key order.  An account is looked up through a cursor the
 * transaction keeps, which sits where the last lookup left it: a lookup of
 * the same key or of one a few records on (an import's positions account
 * by account, check's scan of the positions market by market, both in id
 * order) steps there with MDB_NEXT, one key comparison a record; a key
 * behind the cursor or further on is found with MDB_SET, which searches
 * the cursor's leaf page alone when the key falls inside it, else from the
 * root as mdb_get does.  A write transaction's cursor is moved by LMDB when
 * its pages change and freed by LMDB when the transaction ends; a
 * read-only one's is closed by env.c's end.  (MDB_GET_CURRENT on a cursor
 * not yet placed is EINVAL: then MDB_SET.) */
#define READ_STEPS 8

int cursor_get(store_txn *t, int db, MDB_val *k, MDB_val *v) {
  MDB_dbi dbi = t->s->dbi[db];
  if (db != DB_ACCOUNTS) return mdb_get(t->txn, dbi, k, v);
  if (!t->accounts) {
    int rc = mdb_cursor_open(t->txn, dbi, &t->accounts);
    if (rc) {
      t->accounts = NULL;
      return rc;
    }
  }
  MDB_val at;
  MDB_cursor_op op = MDB_GET_CURRENT;
  for (int i = 0; i < READ_STEPS; i++, op = MDB_NEXT) {
    if (mdb_cursor_get(t->accounts, &at, v, op)) break;
    int cmp = mdb_cmp(t->txn, dbi, &at, k);
    if (!cmp) return MDB_SUCCESS;
    if (cmp > 0) break;  /* passed it: absent, or behind the cursor */
  }
  MDB_val key = *k;
  return mdb_cursor_get(t->accounts, &key, v, MDB_SET);
}
