/*
 * journal_edit.h — a tampered journal for the tests that must see one
 * refused or replayed: one deficit record rewritten straight in LMDB,
 * behind the library's back (the library never writes such a record).
 */
#ifndef SOCLOSS_TESTS_JOURNAL_EDIT_H
#define SOCLOSS_TESTS_JOURNAL_EDIT_H

#include <lmdb.h>

#include "codec.h"
#include "record.h"

/* Decodes deficit record `seq` of the ledger in dir, lets edit change it
 * (edit returns 0 to write it back, else the record is left as it was)
 * and writes it back encoded.  0 when it was rewritten. */
static int journal_edit_deficit(const char *dir, uint64_t seq, int (*edit)(deficit_rec *d)) {
  MDB_env *env = NULL;
  MDB_txn *txn = NULL;
  MDB_dbi dbi;
  unsigned char key[8];
  codec_put_u64(key, seq);
  MDB_val k = {8, key}, v;
  int rc = mdb_env_create(&env);
  if (!rc) rc = mdb_env_set_maxdbs(env, 16);
  if (!rc) rc = mdb_env_open(env, dir, 0, 0644);
  if (!rc) rc = mdb_txn_begin(env, NULL, 0, &txn);
  if (!rc) rc = mdb_dbi_open(txn, "journal", 0, &dbi);
  if (!rc) rc = mdb_get(txn, dbi, &k, &v);
  deficit_rec d;
  if (!rc && !(rc = deficit_decode(v.mv_data, v.mv_size, &d))) {
    if (!(rc = edit(&d))) {
      codec_buf b = {0};
      deficit_encode(&b, &d);
      MDB_val nv = {b.len, b.p};
      rc = mdb_put(txn, dbi, &k, &nv, 0);
      codec_buf_free(&b);
    }
    deficit_rec_free(&d);
  }
  if (!rc) rc = mdb_txn_commit(txn);
  else if (txn) mdb_txn_abort(txn);
  if (env) mdb_env_close(env);
  return rc;
}

#endif
