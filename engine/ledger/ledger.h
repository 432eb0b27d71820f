/*
 * ledger.h — the ledger area for the layers above it: the handle, the
 * applier (events, trades, equity), the read views; nothing here is public.
 */
#ifndef SOCLOSS_LEDGER_H
#define SOCLOSS_LEDGER_H

#include <pthread.h>
#include <stdint.h>

#include "codec.h"
#include "err.h"
#include "record.h"
#include "socloss.h"
#include "store.h"

struct resolution_buf;

struct applier;
struct evaluator;

/* The handle.  Defined here, at the lowest layer that uses it, like Lua's
 * lua_State: the layers above own the parts they name (the evaluator is
 * policy/'s, the result buffer resolve/'s) and see only pointers here. */
struct socloss {
  store *st;
  socloss_options opts;
  log_sink log;                 /* the options' log callback */
  struct evaluator *ev;         /* policy/: the evaluator process */
  struct resolution_buf *res;   /* resolve/: the last resolution's result */
  struct cand_view *view;       /* resolve/: the candidate view kept between deficits */
  /* resolve/: a deficit event met by an applier (a callback, so that the
   * ledger layer never calls up into resolution) */
  int (*on_deficit)(struct applier *a, const socloss_event *e);
  int (*on_event)(struct applier *a, const socloss_event *e);   /* an event line, likewise */
  /* policy/: names a policy source read from a file for the messages that
   * locate its errors (a `deficit` line's "policy"), as
   * socloss_policy_source_name does */
  int (*name_source)(struct socloss *led, const char *source, size_t len, const char *name);
  pthread_mutex_t lock;         /* one writer at a time (and the evaluator) */
  /* The counters (socloss_stats_get): what the write transaction under way
   * counted, made the handle's when it commits (stats.c); the handle's are
   * read without `lock`, so they have a lock of their own. */
  socloss_stats pending, stats;
  pthread_mutex_t stats_lock;
};

/* A top-level write transaction begins (again, after the map grew):
 * nothing it counts is the handle's yet. */
void stats_begin(socloss *led);
/* It committed: what it counted is added to the handle's counters. */
void stats_commit(socloss *led);
/* A copy of the handle's counters, what fits out->size. */
int stats_copy(socloss *led, socloss_stats *out);

/* 1 when s is a valid id: 1-64 bytes of 0x21-0x7e. */
static inline int id_valid(const char *s) {
  size_t n = 0;
  for (; s[n]; n++)
    if ((unsigned char)s[n] < 0x21 || (unsigned char)s[n] > 0x7e || n >= SOCLOSS_ID_MAX) return 0;
  return n > 0;
}

/* The markets with their marks (queries load them once per snapshot). */
typedef struct market_list {
  size_t n, cap;
  socloss_market *m;
} market_list;

int markets_load(store_txn *t, market_list *l);
/* balance + the upnl of every position of holder, in 128 bits, refused
 * (SOCLOSS_EOVERFLOW) outside int64. */
int holder_equity(store_txn *t, const market_list *ml, const char *holder, int64_t balance,
                  __int128 *equity);

/* ---- Applying events ----------------------------------------------------
 * An applier applies events one by one inside one write transaction and
 * journals each; the totals and the journal sequence are kept in memory and
 * written once by applier_finish. */
typedef struct applier applier;
struct applier {
  socloss *led;
  store_txn *t;
  store_totals tot;
  uint64_t seq;       /* last journal sequence written */
  int journal;        /* 0 while replaying the journal itself */
  codec_buf rec;      /* the record being written, reused */
  market_list ml;     /* the markets, loaded when first needed */
  int ml_loaded;      /* 0 again after a market event */
  /* What the events moved the net flows by since the totals were last
   * written, in 128 bits: the total, not a running sum, must fit int64. */
  __int128 flows;
  const char *flows_field;  /* the field of the last event that moved them */
  int flows_moved;          /* set when an event moves them; callers clear it */
  /* A crash event that deficit lines of one file share (resolve/'s; the
   * ledger layer only frees it, through the function given with it). */
  void *event;
  void (*event_free)(void *event);
  /* The markets a run of imported positions adds open interest to: read
   * once and written back once by applier_flush, not read and written per
   * row (an import of 1M positions into 2 markets).  Only op_position
   * fills it; applier_apply flushes it before any other operation. */
  struct {
    char id[CODEC_ID_MAX + 1];
    store_market m;
  } pm[8];
  size_t npm;
  char pos_account[CODEC_ID_MAX + 1];  /* the account of the last imported position ("": none) */
};

int applier_start(applier *a, socloss *led, store_txn *t, int journal);
int applier_apply(applier *a, const socloss_event *e);
/* A trade between two holders ("" = the fund) at a price, with the
 * market's open interest kept exact.  Validates existence and overflow. */
int ledger_trade(applier *a, const char *market, const char *buyer, const char *seller,
                 int64_t size, int64_t price);

/* ledger_trade in pieces, for a caller that holds the sides itself (the
 * deleverage step applies a million closes in memory, then writes each
 * record once): the same checks with the same messages, in the same order.
 *   ledger_market   the market ("market: unknown market 'ID'")
 *   ledger_balance  a side's balance ("FIELD: unknown account 'ID'"; the
 *                   fund "" has its cash)
 *   trade_size_fits size x price within int64
 *   trade_settle    both fills, the open interest, both new balances, each
 *                   checked; the sides and m get the results only when all
 *                   fit
 *   equity_refused  the refusal of a side whose equity would leave int64 */
typedef struct trade_side {
  const char *id;     /* len bytes, not NUL-terminated; len 0: the fund */
  size_t len;
  int64_t balance;
  store_position pos;
} trade_side;
int ledger_market(applier *a, const char *id, store_market *m);
int ledger_balance(applier *a, const char *field, const char *id, int64_t *balance);
int trade_size_fits(int64_t size, int64_t price);
int trade_settle(const char *market, store_market *m, trade_side *buyer, trade_side *seller, int64_t size,
                 int64_t price);
int equity_refused(const char *field, const char *id);
/* Journals a record built by the caller; *seq gets its sequence. */
int applier_record(applier *a, const codec_buf *rec, uint64_t *seq);
/* Writes the totals kept in memory; SOCLOSS_EOVERFLOW ("FIELD: the ledger's
 * net flows would overflow int64") when the net flows' total does not fit. */
int applier_finish(applier *a);
/* Writes what the applier holds back for the store (the markets of
 * imported positions) and forgets what it knows of the store (the last
 * account seen to exist); applier_finish and applier_apply call it, and so
 * must any caller reading the state between applier_apply calls. */
int applier_flush(applier *a);
/* Frees what the applier holds; call it whatever happened. */
void applier_end(applier *a);

/* a->ml loaded, if it is not yet (SOCLOSS_OK, or why not). */
int applier_markets(applier *a);
/* The equity of a holder, through the applier's market list. */
int applier_equity(applier *a, const char *holder, int64_t balance, __int128 *equity);

/* The equity of a holder ("" = the fund, whose balance is its cash), in
 * 128 bits so that a sum of many upnl cannot wrap. */
int ledger_equity(store_txn *t, const char *holder, int64_t balance,
                  __int128 *equity);

/* ---- Reads: the public views, each from one snapshot (query.c) -------- */
int totals_get_run(socloss *led, socloss_totals *out);
int markets_run(socloss *led, socloss_market_cb cb, void *ud);
int accounts_run(socloss *led, socloss_account_cb cb, void *ud);
int account_get_run(socloss *led, const char *id, socloss_account_cb cb, void *ud);
/* Every account in id order, with its equity and gross profit (the sum of
 * its positions' positive upnl), read in one snapshot: what a crash event
 * starts from. */
typedef struct account_scan {
  size_t n, cap;
  char *ids;          /* id i is ids[off[i] .. off[i + 1]) */
  size_t ids_len, ids_cap;
  uint32_t *off;
  int64_t *equity, *profit;
} account_scan;

int account_scan_load(store_txn *t, account_scan *s);
void account_scan_free(account_scan *s);
/* The index of an id, or -1. */
long account_scan_find(const account_scan *s, const char *id, size_t len);
/* The same, searching from *hint (updated to where it was found): ids that
 * come in id order, as a resolution's haircuts do, cost a comparison or two
 * each.  *hint starts at 0. */
long account_scan_find_from(const account_scan *s, const char *id, size_t len, size_t *hint);
/* 1 when both hold the same ids in the same order (an index of one is the
 * same account's in the other), else 0. */
int account_scan_same(const account_scan *a, const account_scan *b);

/* SOCLOSS_ESTOP with its message: a caller's callback asked to stop. */
int callback_stopped(void);

/* Applies events in one write transaction (socloss_apply). */
int apply_run(socloss *led, const socloss_event *ev, size_t n, size_t *failed);

/* ---- Units (units.c) ------------------------------------------------------
 * A ledger may say what its integers are (docs/cli.md, "Units"): the
 * settlement asset's symbol and decimals (an atom is 10^-decimals of it),
 * and per market the lot (m x 10^-scale units of the underlying).  They
 * change no state and no arithmetic: input is turned into atoms with them
 * (engine/input) and output shown with them; the journal keeps atoms. */
#define UNITS_SYMBOL_MAX 16

typedef struct ledger_units {
  char asset[UNITS_SYMBOL_MAX + 1];  /* "": no units */
  int decimals;                      /* 0..18 */
} ledger_units;

typedef struct ledger_lot {
  uint64_t m;    /* 0: no lot (prices are per lot); else 1..10^18, with no prime factor but 2 and 5 */
  int scale;     /* 0..18 */
  char underlying[UNITS_SYMBOL_MAX + 1];
} ledger_lot;

/* units_setting.c: reads and checks, no writes */
#define LOT_KEY_MAX (4 + CODEC_ID_MAX + 1)
/* The setting of a market's lot: "lot/MARKET". */
void lot_key(char out[LOT_KEY_MAX], const char *market);
int lot_decode(const void *p, size_t len, ledger_lot *l);
/* 1 when s is a symbol: 1-16 of A-Z a-z 0-9 . _ - */
int units_symbol_valid(const char *s);
/* The ledger's units ({"", 0} when none) and a market's lot ({0} when none). */
int units_read(store_txn *t, ledger_units *u);
int lot_read(store_txn *t, const char *market, ledger_lot *l);
/* "0.001 BTC" into *l; SOCLOSS_EINVAL with the reason (no field name) in
 * ERRBUF when it is not a lot. */
int lot_parse(const char *s, size_t len, ledger_lot *l);
/* An amount for a refusal's message, "10.000000 USD" when the ledger has
 * units, its atoms otherwise; no separators, so that it can be written
 * back as input.  Reads the units only when a message needs them. */
#define UNITS_MONEY_TEXT (128 + UNITS_SYMBOL_MAX + 2)
const char *units_money_text(store_txn *t, __int128 v, char buf[UNITS_MONEY_TEXT]);
/* "0.001 BTC" ("none" for no lot) */
void lot_text(const ledger_lot *l, char *out, size_t cap);
int lot_same(const ledger_lot *a, const ledger_lot *b);
/* units.c: writes and the public calls.
 * A listing event just applied (the market is new, or was already there):
 * its lot becomes the market's, kept as a setting and journaled ("lot"
 * record), or, for a market that was there, must be the one it has. */
int lot_settle(applier *a, const char *market, const ledger_lot *l, int existed);
int units_get_run(socloss *led, socloss_units *out);
/* The units given, checked, into *out (SOCLOSS_EINVAL with a message). */
int units_check(const socloss_units *in, ledger_units *out);
int units_set_run(socloss *led, const socloss_units *in);
/* socloss_open's units option: a ledger with an empty journal takes them,
 * one with records must have them already. */
int units_require_run(socloss *led, const socloss_units *in);
int lots_run(socloss *led, socloss_lot_cb cb, void *ud);
int lot_get_run(socloss *led, const char *market, socloss_lot *out);

/* ---- Checked integer arithmetic ---------------------------------------- */
static inline int fits_i64(__int128 x) { return x >= INT64_MIN && x <= INT64_MAX; }

/* Decimal text of a 128-bit integer, for messages; returns buf. */
static inline const char *i128_text(__int128 x, char buf[48]) {
  char tmp[48];
  int n = 0, neg = x < 0;
  unsigned __int128 u = neg ? -(unsigned __int128)x : (unsigned __int128)x;
  do {
    tmp[n++] = (char)('0' + (int)(u % 10));
    u /= 10;
  } while (u);
  int k = 0;
  if (neg) buf[k++] = '-';
  while (n) buf[k++] = tmp[--n];
  buf[k] = 0;
  return buf;
}

#endif
