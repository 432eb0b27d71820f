/*
 * ordered.c — records written and read in key order without a search from
 * the B-tree's root each time.
 *
 * Appends.  An import adds accounts in id order, and positions account by
 * account (in a generated ledger: each account's BTC then its ETH one, so
 * the positions of the last market come in key order); a check replays
 * those records into an empty scratch ledger in the same order.  A put
 * searches the B-tree from its root, comparing keys on every level;
 * MDB_APPEND goes down the right edge of the tree without comparing and
 * checks only that the key is past the table's last (else it refuses with
 * MDB_KEYEXIST, writing nothing).  So a new record is appended when its key
 * is past the last one this transaction appended; otherwise, or when LMDB
 * refuses, it is put as before.  The tail is only a hint: LMDB checks the
 * order itself, so a stale tail (a plain put, a delete or a nested
 * transaction moved the end since) costs one refused attempt, never a
 * record in the wrong place.  After a refusal the transaction stops trying
 * for that table: records that come out of order pay that one attempt and
 * no more.  The table holds the same records either way; only LMDB's pages
 * are fuller (an append fills the last page before it starts a new one).
 */
#include "store_int.h"

static store_tail *tail_of(store_txn *t, int db) {
  if (db == DB_ACCOUNTS) return &t->tail[TAIL_ACCOUNTS];
  if (db == DB_POSITIONS) return &t->tail[TAIL_POSITIONS];
  return NULL;
}

/* k past the tail: LMDB's order of keys (mdb_cmp), the table's own. */
static int past(store_txn *t, int db, const store_tail *tl, MDB_val *k) {
  if (tl->known == 0) return 1;  /* the end is not known: try once */
  if (tl->known < 0) return 0;
  MDB_val last = val(tl->key, tl->len);
  return mdb_cmp(t->txn, t->s->dbi[db], k, &last) > 0;
}

int tail_add(store_txn *t, int db, MDB_val *k, MDB_val *v) {
  store_tail *tl = tail_of(t, db);
  if (tl && k->mv_size <= sizeof tl->key && past(t, db, tl, k)) {
    MDB_val data = *v;
    int rc = mdb_put(t->txn, t->s->dbi[db], k, &data, MDB_APPEND | MDB_NOOVERWRITE);
    if (rc != MDB_KEYEXIST) {
      if (!rc) {
        memcpy(tl->key, k->mv_data, k->mv_size);
        tl->len = k->mv_size;
        tl->known = 1;
        tl->appends++;
      }
      return rc;
    }
    tl->known = -1;  /* the table ends past k: put it as before */
  }
  if (!tl) return mdb_put(t->txn, t->s->dbi[db], k, v, MDB_NOOVERWRITE);
  /* Through a cursor of its own, not mdb_put's new one: LMDB's search for
   * the key starts at the leaf page the cursor sits on and stays there when
   * the key falls inside it (mdb_cursor_set), as the records of a market
   * that is not the last do, each put just after the one before. */
  if (!tl->c) {
    int rc = mdb_cursor_open(t->txn, t->s->dbi[db], &tl->c);
    if (rc) {
      tl->c = NULL;
      return rc;
    }
  }
  return mdb_cursor_put(tl->c, k, v, MDB_NOOVERWRITE);
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
