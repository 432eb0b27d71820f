/*
 * store.h — the ledger's storage: the only module that touches LMDB.
 *
 * One LMDB environment per ledger directory, with named databases:
 *   meta       "schema" -> encoding version of the whole ledger,
 *              "net_flows" -> deposits - withdrawals (imports included)
 *   markets    market id -> mark, open interest
 *   accounts   account id -> balance
 *   positions  market NUL holder -> size, cost  (holder "" is the fund)
 *   fund       "cash", "bad_debt" -> int64
 *   settings   name -> opaque bytes
 *   journal    u64 sequence (big-endian) -> record bytes (opaque here)
 *   deficits   deficit id -> the sequence of the record that resolved it
 *   policies   SHA-256 of a policy's source -> the registry entry (opaque here)
 *
 * Writes run through store_write: the caller's function runs inside one
 * write transaction; when the map fills up, the transaction is aborted, the
 * map doubles and the function runs again from the start, so it must depend
 * only on its input and what it reads.  Errors are socloss codes with the
 * message left in this thread's buffer (err.h).
 */
#ifndef SOCLOSS_STORE_H
#define SOCLOSS_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "err.h"

#define STORE_SCHEMA_VERSION 1
typedef struct store store;
typedef struct store_txn store_txn;

enum { STORE_OPEN_EXISTING = 0, STORE_OPEN_CREATE = 1, STORE_OPEN_CREATE_NEW = 2 };

typedef struct store_config {
  int create;               /* STORE_OPEN_* */
  uint64_t map_size;        /* initial map size, bytes */
  uint64_t map_size_max;    /* growth limit, bytes */
  int nosync;               /* MDB_NOSYNC: benchmarks only */
  log_sink log;             /* optional */
} store_config;

typedef struct store_totals {
  int64_t fund_cash;
  int64_t bad_debt;
  int64_t net_flows;
} store_totals;

int store_open(store **out, const char *path, const store_config *cfg);
/* An empty, throwaway ledger under $TMPDIR (see env.c); cfg->create and
 * cfg->nosync are ignored. */
int store_open_scratch(store **out, const store_config *cfg);
void store_close(store *s);
uint64_t store_map_size(const store *s);

typedef int (*store_fn)(store_txn *txn, void *ud);
/* Runs fn in a write transaction and commits if it returns 0. */
int store_write(store *s, store_fn fn, void *ud);
/* Runs fn in a write transaction and aborts it whatever fn returns: for
 * computing a state (a journal replay) without keeping it. */
int store_write_discard(store *s, store_fn fn, void *ud);
/* Runs fn in a transaction nested in t: its writes join t when fn returns
 * 0 and vanish otherwise (t itself goes on either way). */
int store_nested(store_txn *t, store_fn fn, void *ud);
/* From now on this top-level write transaction (and those nested in it)
 * keeps its writes of accounts and positions in memory, writing them into
 * LMDB only when the tables are walked in key order or it commits
 * (overlay.c): for work thrown away, such as simulate's, and for many
 * nested transactions (a batch, an event), which LMDB would each copy the
 * pages they touch for. */
int store_cache_writes(store_txn *t);
/* And (after store_cache_writes) of the journal only the last record it
 * writes, in memory: for a transaction thrown away whatever happens
 * (simulate), which then cannot commit. */
int store_cache_journal(store_txn *t);
/* How many times the cached writes were written into LMDB so far (tests). */
uint64_t store_cache_flushes(const store_txn *t);
/* Runs fn in a read-only snapshot. */
int store_read(store *s, store_fn fn, void *ud);
/* The snapshot a read transaction sees: two read transactions with the same
 * id see the same committed state. */
uint64_t store_txn_id(const store_txn *t);

/* Single records: SOCLOSS_ENOTFOUND (without a message) when absent. */
int store_market_get(store_txn *t, const char *id, store_market *out);
int store_market_put(store_txn *t, const char *id, const store_market *m);
int store_account_get(store_txn *t, const char *id, int64_t *balance);
int store_account_put(store_txn *t, const char *id, int64_t balance);
/* Writes a new account in one search: SOCLOSS_EEXIST, writing nothing,
 * when it exists. */
int store_account_add(store_txn *t, const char *id, int64_t balance);
/* A position of size 0 is absent: get yields {0, 0} and SOCLOSS_ENOTFOUND,
 * put of size 0 deletes. */
int store_position_get(store_txn *t, const char *market, const char *holder,
                       store_position *out);
int store_position_put(store_txn *t, const char *market, const char *holder,
                       const store_position *pos);
/* Writes a new position (size not 0) in one search: SOCLOSS_EEXIST, writing
 * nothing, when the holder already has one in that market. */
int store_position_add(store_txn *t, const char *market, const char *holder,
                       const store_position *pos);
int store_totals_get(store_txn *t, store_totals *out);
int store_totals_put(store_txn *t, const store_totals *in);

/* The last record's sequence number, 0 for an empty journal. */
uint64_t store_journal_last(store_txn *t);
/* Record `seq` (pointing into the snapshot). */
int store_journal_get(store_txn *t, uint64_t seq, const void **rec, size_t *len);
/* Appends record `seq`, which must be greater than the last. */
int store_journal_put(store_txn *t, uint64_t seq, const void *rec, size_t len);

/* Walks: a callback returning non-zero stops the walk with that value. */
typedef int (*store_market_cb)(void *ud, const char *id, const store_market *m);
typedef int (*store_account_cb)(void *ud, const char *id, int64_t balance);
typedef int (*store_position_cb)(void *ud, const char *market, const char *holder,
                                 const store_position *pos);
typedef int (*store_record_cb)(void *ud, uint64_t seq, const void *rec, size_t len);

int store_each_market(store_txn *t, store_market_cb cb, void *ud);
int store_each_account(store_txn *t, store_account_cb cb, void *ud);
/* market NULL walks every position in (market, holder) order. */
int store_each_position(store_txn *t, const char *market, store_position_cb cb, void *ud);
int store_each_record(store_txn *t, uint64_t from, store_record_cb cb, void *ud);

/* Resolved deficit ids (idempotency keys). */
int store_deficit_get(store_txn *t, const char *id, size_t len, uint64_t *seq);
int store_deficit_put(store_txn *t, const char *id, size_t len, uint64_t seq);
typedef int (*store_deficit_cb)(void *ud, const char *id, size_t len, uint64_t seq);
int store_each_deficit(store_txn *t, store_deficit_cb cb, void *ud);

/* The policy registry: entries by the SHA-256 of their source. */
int store_policy_put(store_txn *t, const unsigned char hash[32], const void *rec, size_t len);
int store_policy_get(store_txn *t, const unsigned char hash[32], const void **rec, size_t *len);
typedef int (*store_policy_cb)(void *ud, const unsigned char hash[32], const void *rec, size_t len);
int store_each_policy(store_txn *t, store_policy_cb cb, void *ud);

/* Settings: opaque bytes by name; *p points into the snapshot (valid until
 * the transaction ends).  put with p == NULL deletes. */
int store_setting_get(store_txn *t, const char *key, const void **p, size_t *len);
int store_setting_put(store_txn *t, const char *key, const void *p, size_t len);
/* The settings whose name begins with prefix (not empty), in name order;
 * the name is not NUL-terminated. */
typedef int (*store_setting_cb)(void *ud, const char *key, size_t klen, const void *p, size_t len);
int store_each_setting(store_txn *t, const char *prefix, store_setting_cb cb, void *ud);

/* Cursors for merging sorted streams: the accounts in id order, or one
 * market's positions in holder order (the fund, holder "", first). */
typedef struct store_cursor store_cursor;
int store_cursor_accounts(store_txn *t, store_cursor **out);
int store_cursor_positions(store_txn *t, const char *market, store_cursor **out);
/* SOCLOSS_OK with the next record, SOCLOSS_ENOTFOUND after the last. */
int store_next_account(store_cursor *c, char id[CODEC_ID_MAX + 1], int64_t *balance);
int store_next_position(store_cursor *c, char holder[CODEC_ID_MAX + 1], store_position *pos);
void store_cursor_close(store_cursor *c);

/* Cursors for writing many records in key order: LMDB then finds each key
 * from the leaf page of the one before instead of from the root.  The
 * writes are store_account_put's and store_position_put's (size 0
 * deletes); a key out of order is written all the same, only slower.
 * Close the cursor with store_cursor_close. */
int store_cursor_account_writes(store_txn *t, store_cursor **out);
int store_cursor_position_writes(store_txn *t, store_cursor **out);
int store_put_account(store_cursor *c, const char *id, int64_t balance);
int store_put_position(store_cursor *c, const char *market, const char *holder, const store_position *pos);
/* The same, with where the watch's consumer keeps the holder (its row in
 * the candidate view), passed on with the change: the consumer checks it
 * before it trusts it. */
int store_put_position_hinted(store_cursor *c, const char *market, const char *holder, const store_position *pos,
                              uint64_t hint);
/* The hint of a write the consumer has applied to its copy itself (the
 * view, as the resolution writes a haircut): counted, not noted, and taken
 * as taken, so that an abort taking it back makes the consumer read the
 * tables again. */
#define STORE_SEEN (UINT64_MAX - 1)

/* ---- what write transactions changed ---------------------------------- */

/* A consumer that keeps the accounts, positions and marks in memory (the
 * resolution's candidate view, engine/resolve/view.c) turns the watch on;
 * then every write of an account, a position or a market through this
 * store's write transactions is noted as one change, and a transaction (or
 * nested one) that aborts takes its changes back.  The consumer takes the
 * changes since it last did, or learns that it must read the tables again:
 * another process (or another store of the same file) wrote in between, a
 * transaction took back changes already taken, the tables were cleared or
 * copied into, or the notes outgrew their bound.  Writes run one
 * transaction at a time, so the notes need no lock; take them inside a
 * write transaction. */
enum { STORE_CHANGE_ACCOUNT = 1, STORE_CHANGE_POSITION, STORE_CHANGE_MARKET };
#define STORE_NO_HINT UINT64_MAX
typedef struct store_change {
  int kind;
  const char *market;   /* a position's or a market's */
  const char *id;       /* the account, or the position's holder ("" for the fund's) */
  size_t id_len;
  uint64_t hint;        /* where the writer said the consumer keeps id
                           (store_put_position_hinted), else STORE_NO_HINT */
  int64_t a, b;         /* balance; size and cost (size 0: deleted); mark */
} store_change;
typedef int (*store_change_cb)(void *ud, const store_change *c);

/* Turns the watch on for t's store: the consumer reads the tables as t
 * sees them, and the changes it takes from here on are those after. */
void store_watch_start(store_txn *t);
/* Stops noting changes and frees the notes. */
void store_watch_stop(store *s);
/* The changes since the start or the last take, in the order written, one
 * call each: 0 when they were all given (a callback returning non-zero
 * stops them), 1 when the consumer must read the tables again (the watch
 * is then as after store_watch_start). */
int store_watch_take(store_txn *t, store_change_cb cb, void *ud);
/* The store a transaction belongs to. */
store *store_txn_store(const store_txn *t);

/* Numbers of records. */
int store_counts(store_txn *t, size_t *markets, size_t *accounts, size_t *positions);

/* *same is 1 when a and b hold the same state: the markets, accounts,
 * positions and deficits record for record, byte for byte, and the same
 * totals (compare.c); 0 otherwise. */
int store_same_state(store_txn *a, store_txn *b, int *same);

/* Empties every state table (markets, accounts, positions, fund, deficits, totals) and
 * keeps the journal: the starting point of a replay. */
int store_clear_state(store_txn *t);
/* Copies the settings, the policy registry and the journal of snapshot
 * `from` into `to`, an empty ledger (a scratch one). */
int store_copy_all_but_state(store_txn *from, store_txn *to);
/* Every table of snapshot `from`, state included, into `to`, an empty
 * ledger: a copy of the ledger to work on. */
int store_copy_all(store_txn *from, store_txn *to);

#endif
