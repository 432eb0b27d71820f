/*
 * socloss.h — the public C API of libsocloss.
 *
 * A ledger is a directory holding one LMDB environment: markets, accounts,
 * positions, the insurance fund, settings and an append-only journal.
 *
 * Conventions (they hold for every call below):
 *  - Money is integers: balances and amounts are int64 atoms of the one
 *    settlement asset, sizes are int64 lots (+ long, - short), prices are
 *    int64 atoms per lot.  A product or sum that does not fit int64 is an
 *    error (SOCLOSS_EOVERFLOW), never a wrap.
 *  - Ids (accounts and markets) are 1-64 bytes of printable ASCII without
 *    spaces (0x21-0x7e), compared bytewise.
 *  - Every call returns SOCLOSS_OK (0) or an error code from the table
 *    below, and leaves a message naming the cause on the handle
 *    (socloss_errmsg).  A call that fails changes nothing in the ledger.
 *  - The library never exits, prints or installs signal handlers.
 *  - A handle may be shared by threads: reads run concurrently on
 *    snapshots, writes (events, imports, resolutions, settings, check) take
 *    the handle's lock one at a time.  socloss_errmsg is per thread.
 *    Open one handle per ledger per process.
 */
#ifndef SOCLOSS_H
#define SOCLOSS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define SOCLOSS_API __attribute__((visibility("default")))
#else
#define SOCLOSS_API
#endif

#define SOCLOSS_VERSION_MAJOR 1
#define SOCLOSS_VERSION_MINOR 0
#define SOCLOSS_VERSION_PATCH 0
#define SOCLOSS_VERSION_STRING "1.0.0"

/* The longest id, in bytes, not counting the terminating NUL. */
#define SOCLOSS_ID_MAX 64

/* Error codes: X(name, value, description). */
#define SOCLOSS_ERRNO_MAP(X)                                             \
  X(OK, 0, "success")                                                    \
  X(EINVAL, 1, "invalid argument")                                       \
  X(EPARSE, 2, "malformed input")                                        \
  X(ENOTFOUND, 3, "unknown id")                                          \
  X(EEXIST, 4, "already exists")                                         \
  X(EOVERFLOW, 5, "integer overflow")                                    \
  X(EFUNDS, 6, "insufficient funds")                                     \
  X(EIMBALANCE, 7, "positions do not net to zero")                       \
  X(EINVARIANT, 8, "ledger invariant violated")                          \
  X(ESCHEMA, 9, "incompatible ledger schema")                            \
  X(EMAPFULL, 10, "ledger map is full")                                  \
  X(ESTORE, 11, "storage error")                                         \
  X(EIO, 12, "I/O error")                                                \
  X(ENOMEM, 13, "out of memory")                                         \
  X(ESTOP, 14, "stopped by callback")                                   \
  X(EPOLICY, 15, "policy failed")                                        \
  X(ENOTBANKRUPT, 16, "account is not bankrupt")

typedef enum {
#define SOCLOSS_ERRNO_ENUM_(name, value, text) SOCLOSS_##name = value,
  SOCLOSS_ERRNO_MAP(SOCLOSS_ERRNO_ENUM_)
#undef SOCLOSS_ERRNO_ENUM_
} socloss_errno;

/* The short description of a code ("unknown id"); never NULL. */
SOCLOSS_API const char *socloss_strerror(int code);
/* The code's name ("SOCLOSS_ENOTFOUND"); never NULL. */
SOCLOSS_API const char *socloss_errname(int code);
SOCLOSS_API const char *socloss_version(void);

typedef struct socloss socloss;

/* Notable events the library does not print: the evaluator started, killed
 * or crashed, the map grown, stale readers cleared, a policy failed.  Called
 * from the thread making the call, with the handle's write lock held for
 * writes; do not call back into the same handle from it. */
typedef void (*socloss_log_fn)(void *ud, const char *message);

enum { SOCLOSS_OPEN_EXISTING = 0, SOCLOSS_OPEN_CREATE = 1, SOCLOSS_OPEN_CREATE_NEW = 2 };

/* Options for socloss_open.  Always start from socloss_options_init: it sets
 * `size`, which lets later versions add fields without breaking callers. */
typedef struct socloss_options {
  size_t size;            /* sizeof(socloss_options), set by init */
  int create;             /* SOCLOSS_OPEN_EXISTING (default), SOCLOSS_OPEN_CREATE
                             (create if missing) or SOCLOSS_OPEN_CREATE_NEW
                             (refuse an existing ledger: SOCLOSS_EEXIST) */
  uint64_t map_size;      /* initial LMDB map size in bytes (default 1 GiB; it is address space, not disk);
                             the map doubles whenever it fills */
  uint64_t map_size_max;  /* growth stops here (default 1 TiB) */
  int unsafe_nosync;      /* no fsync at commit: a crash may lose or corrupt
                             the last transactions.  Benchmarks only. */
  const char *evaluator;  /* path of the socloss-eval program that runs
                             policies; NULL: $SOCLOSS_EVALUATOR when set and
                             not empty, else socloss-eval beside the image
                             holding the library (the program itself when
                             linked with libsocloss.a), else ../libexec from
                             it, else where it was installed.  Started at the
                             first policy call; one that cannot be started
                             fails the policy ("could not run: the evaluator
                             PATH is missing: ...") */
  socloss_log_fn log;     /* optional: told of notable events */
  void *log_ud;
  /* This handle's own ceiling on the ledger's policy limits (see
   * socloss_limits_set): a handle may tighten them, never loosen them.
   * 0: the ledger's. */
  uint64_t max_instructions, max_memory, max_wall_ms;
  /* (added after 1.0) The ledger's units (socloss_units_set, below): a
   * ledger whose journal is empty (a new one) takes them; one that has
   * records must have these units already, else SOCLOSS_EINVAL.  Checked
   * before anything is created.  NULL: no requirement. */
  const struct socloss_units *units;
} socloss_options;

/* Sets every option to its default and opts->size to this header's size,
 * so that a program built against it keeps working with later versions. */
SOCLOSS_API void socloss_options_init(socloss_options *opts);

/* Opens (or with opts->create, creates) the ledger in directory `path`.
 * *out is set even on failure (unless memory ran out, then NULL) so that the
 * message can be read; close it in every case.  opts may be NULL. */
SOCLOSS_API int socloss_open(socloss **out, const char *path,
                             const socloss_options *opts);
/* Stops the evaluator and frees the handle; NULL is a no-op. */
SOCLOSS_API void socloss_close(socloss *led);
/* The message of the calling thread's last failed call ("" after a success). */
SOCLOSS_API const char *socloss_errmsg(const socloss *led);

/* ---- Events: every change to a ledger is one of these ------------------ */

typedef enum {
  SOCLOSS_EV_MARKET = 1,  /* market, mark: create a market or move its mark */
  SOCLOSS_EV_DEPOSIT,     /* account, amount > 0: opens the account if new */
  SOCLOSS_EV_WITHDRAW,    /* account, amount > 0, amount <= equity */
  SOCLOSS_EV_TRADE,       /* market, buyer, seller, size > 0, price > 0 */
  SOCLOSS_EV_FUND,        /* amount != 0: > 0 pays into the insurance fund,
                             < 0 takes out of it (never below zero) */
  SOCLOSS_EV_DEFICIT,     /* id, account, optional policy (source text) and
                             params: resolves the deficit as socloss_resolve
                             does; a policy failure refuses the whole batch
                             unless the fallback policy resolves it */
  SOCLOSS_EV_EVENT        /* id, joint, optional policy and params: every
                             account bankrupt at this point, as one crash
                             event (socloss_resolve_event); one that cannot
                             be resolved refuses the whole batch */
} socloss_event_type;

typedef struct socloss_event {
  int type;               /* socloss_event_type */
  const char *market;
  const char *account;
  const char *buyer;
  const char *seller;
  int64_t mark;
  int64_t amount;
  int64_t size;
  int64_t price;
  const char *id;         /* deficit id */
  const char *policy;     /* deficit policy source, NULL: the active policy */
  size_t policy_len;
  const char *params;     /* deficit params, JSON object text or NULL */
  /* Added in 1.0 (the ABI changed: libsocloss.so.1) */
  const char *event;      /* a deficit's event id (shares its ctx.event), or NULL */
  int joint;              /* SOCLOSS_EV_EVENT: 1 joint, 0 sequential */
} socloss_event;

/* Applies n events in order in one transaction: all or nothing.  On failure
 * *failed (if not NULL) is the index of the refused event. */
SOCLOSS_API int socloss_apply(socloss *led, const socloss_event *ev, size_t n,
                              size_t *failed);

/* One-event conveniences. */
SOCLOSS_API int socloss_set_mark(socloss *led, const char *market, int64_t mark);
SOCLOSS_API int socloss_deposit(socloss *led, const char *account, int64_t amount);
SOCLOSS_API int socloss_withdraw(socloss *led, const char *account, int64_t amount);
SOCLOSS_API int socloss_trade(socloss *led, const char *market, const char *buyer,
                              const char *seller, int64_t size, int64_t price);
SOCLOSS_API int socloss_fund_transfer(socloss *led, int64_t amount);

/* A named text buffer (the name is used in messages: "name:line: ..."). */
typedef struct socloss_source {
  const char *name;
  const char *data;
  size_t len;
} socloss_source;

/* Applies JSON Lines events (one object per line, blank lines skipped):
 *   {"type":"market","market":M,"mark":N}
 *   {"type":"deposit"|"withdraw","account":A,"amount":N}
 *   {"type":"trade","market":M,"buyer":A,"seller":B,"size":N,"price":N}
 *   {"type":"fund","amount":N}
 *   {"type":"deficit","id":I,"account":A[,"policy":FILE][,"params":{...}]}
 * (a deficit's policy file is read when the line is parsed).  On a ledger
 * with units (below) a mark, amount or price is whole units (an integer) or
 * a decimal string ("150.25"), and a market line may carry "lot".
 * All lines in one transaction; a bad line refuses the whole input with
 * "name:line: field: reason".  *applied (if not NULL) counts the events. */
SOCLOSS_API int socloss_apply_jsonl(socloss *led, const socloss_source *src,
                                    size_t *applied);

/* How far a long call has got, told to the caller now and then (in the
 * caller's thread).  size is sizeof (socloss_progress) as the caller was
 * built: fields added later are read only when size covers them. */
typedef struct socloss_progress {
  size_t size;
  /* phase names the part being done ("state", "replay"); done of total
   * (total 0: unknown).  Non-zero stops the call, which returns
   * SOCLOSS_ESTOP. */
  int (*fn)(void *ud, const char *phase, uint64_t done, uint64_t total);
  void *ud;
} socloss_progress;

typedef struct socloss_import_stats {
  size_t markets, accounts, positions;
} socloss_import_stats;

/* Bulk load from CSV (each source may be NULL):
 *   markets:   market,mark_price
 *   accounts:  account,balance          (a new account; may be negative)
 *   positions: account,market,size,entry_price   (cost = size * entry_price)
 * One transaction.  New accounts and positions only; per market the imported
 * sizes must net to zero.  Errors are "name:line: field: reason".  On a
 * ledger with units (below) balances and prices are decimals in them, and
 * the markets may be "market,mark_price,lot". */
SOCLOSS_API int socloss_import_csv(socloss *led, const socloss_source *markets,
                                   const socloss_source *accounts,
                                   const socloss_source *positions,
                                   socloss_import_stats *stats);
/* socloss_import_csv, telling progress (may be NULL) how far it has got:
 * "parse" per 4 MiB of input (done and total in bytes), then "write" per
 * 65,536 rows.  Asked to stop, it writes nothing (SOCLOSS_ESTOP). */
SOCLOSS_API int socloss_import_csv_progress(socloss *led, const socloss_source *markets,
                                            const socloss_source *accounts, const socloss_source *positions,
                                            const socloss_progress *progress, socloss_import_stats *stats);

/* ---- Queries (each reads one consistent snapshot) ---------------------- */

typedef struct socloss_position {
  char market[SOCLOSS_ID_MAX + 1];
  int64_t size;           /* lots, signed */
  int64_t cost;           /* signed atoms: size x average entry price */
  int64_t upnl;           /* size x mark - cost */
} socloss_position;

typedef struct socloss_account {
  char account[SOCLOSS_ID_MAX + 1];   /* "" for the insurance fund */
  int64_t balance;
  int64_t equity;                     /* balance + sum of upnl */
  size_t npositions;
  const socloss_position *positions;  /* valid during the callback only */
} socloss_account;

typedef struct socloss_market {
  char market[SOCLOSS_ID_MAX + 1];
  int64_t mark;
  int64_t open_interest;  /* sum of the long sizes = sum of |short sizes| */
} socloss_market;

typedef struct socloss_totals {
  int64_t fund_cash;
  int64_t bad_debt;
  int64_t net_flows;      /* deposits - withdrawals, imports included */
  uint64_t journal_seq;   /* sequence number of the last journal record */
  size_t markets;
  size_t accounts;
  size_t positions;       /* fund positions included */
} socloss_totals;

/* Callbacks return 0 to go on; anything else stops the walk and the call
 * returns SOCLOSS_ESTOP. */
typedef int (*socloss_market_cb)(void *ud, const socloss_market *m);
typedef int (*socloss_account_cb)(void *ud, const socloss_account *a);
typedef int (*socloss_record_cb)(void *ud, uint64_t seq, const char *json);

/* The fund, bad debt, net flows, last journal sequence and counts. */
SOCLOSS_API int socloss_totals_get(socloss *led, socloss_totals *out);
/* Markets in id order, with mark and open interest. */
SOCLOSS_API int socloss_markets(socloss *led, socloss_market_cb cb, void *ud);
/* Accounts in id order; the fund itself is not among them. */
SOCLOSS_API int socloss_accounts(socloss *led, socloss_account_cb cb, void *ud);
/* One account, or with id "" the fund (its cash as balance). */
SOCLOSS_API int socloss_account_get(socloss *led, const char *id,
                                    socloss_account_cb cb, void *ud);

/* Journal records from sequence number `from` (1 is the first), each as a
 * compact JSON object: {"seq":N,"type":T, ...the event's fields}. */
SOCLOSS_API int socloss_journal(socloss *led, uint64_t from,
                                socloss_record_cb cb, void *ud);

/* ---- Deficit resolution (docs/design.md §5) ---------------------------- */

typedef struct socloss_resolve_options {
  size_t size;            /* sizeof, set by socloss_resolve_options_init */
  const char *id;         /* the deficit id (idempotency key); NULL gives
                             "SEQ-ACCOUNT" (e.g. "12-alice"), SEQ the next journal sequence */
  const char *policy;     /* policy source text; NULL: the ledger's active one */
  size_t policy_len;
  const char *params;     /* JSON object laid over the policy's params; NULL:
                             the params the active policy was set with */
  int dry_run;            /* decide, validate and report; write nothing */
} socloss_resolve_options;

/* Zeroes the options and sets o->size (forward compatible, as above). */
SOCLOSS_API void socloss_resolve_options_init(socloss_resolve_options *o);

typedef struct socloss_deleveraged {
  const char *account, *market;
  int64_t size;           /* lots closed against the bankrupt account, > 0 */
  int64_t price;          /* its bankruptcy price in that market */
} socloss_deleveraged;

typedef struct socloss_takeover {
  const char *market;
  int64_t size;           /* the bankrupt account's lots taken by the fund */
  int64_t price;          /* at mark */
} socloss_takeover;

typedef struct socloss_haircut {
  const char *account;
  int64_t amount;         /* atoms charged, > 0 */
} socloss_haircut;

/* What a resolution did (or, for a dry run, would do).  Valid until the
 * next call on the handle. */
typedef struct socloss_resolution {
  const char *id, *account;
  const char *status;     /* "applied", "dry-run" or "failed" */
  const char *policy_name, *policy_hash;  /* hash: SHA-256 of the source, hex */
  const char *params;     /* the params given, as JSON */
  int64_t equity;         /* the bankrupt account's equity before */
  int64_t fund_draw, bad_debt;
  uint64_t seq;           /* its journal record (0 for a dry run) */
  size_t ndeleveraged, ntakeovers, nhaircuts;
  const socloss_deleveraged *deleveraged;
  const socloss_takeover *takeovers;
  const socloss_haircut *haircuts;
  uint64_t instructions;  /* VM instructions the policy ran (in thousands' steps) */
  uint64_t policy_us;     /* time spent in the policy, evaluator included */
  const char *failure;    /* why the policy failed ("" if it did not); with
                             a fallback policy set, status can be "applied"
                             and this still says why the first one failed */
  /* Added in 1.0 (the struct is the library's; older hosts never see these):
   * the money rules the decision was made under (docs/design.md §5: 2 now,
   * 1 for journal records written before), and per close, indexed like
   * `deleveraged`, the share of its bankruptcy transfer in basis points and
   * the exact atoms it moved from the holder (rules 2; 0 under rules 1,
   * whose closes traded at the rounded price shown). */
  int rules;
  const uint32_t *shares;
  const int64_t *transfers;
  /* Added after 1.0: what the policy logged with socloss.log while deciding
   * (docs/helpers.md), each entry ended by '\n', "" when nothing: its
   * deleverage and haircut calls in order (a failed policy's, then its
   * fallback's), at most 4 KiB a call and 64 KiB a deficit, valid UTF-8
   * without control characters but the newlines.  Never part of the
   * decision: not journaled, not compared by replay. */
  const char *log;
} socloss_resolution;

/* Resolves the deficit of bankrupt `account` in one write transaction:
 * bankruptcy prices, the policy's deleverage, takeover by the fund, the fund
 * draw, the policy's haircuts, bad debt, one journal record.  A policy that
 * fails changes nothing but the journal (its failure is recorded) and the
 * fallback policy, if set, runs instead: SOCLOSS_EPOLICY when none could
 * resolve it.  *out (may be NULL) is set in every case with a result. */
SOCLOSS_API int socloss_resolve(socloss *led, const char *account,
                                const socloss_resolve_options *o,
                                const socloss_resolution **out);
/* Group commit: n deficits resolved in order in one durable transaction, so
 * that a liquidation storm does not pay one fsync per deficit.  Each deficit
 * runs in a nested transaction and is journaled on its own; one that fails
 * (policy failure, not bankrupt, repeated id...) changes nothing, its cause
 * is journaled when a policy failed, and the others go on.  Options (policy,
 * params, dry_run) apply to all; id must be set.  Returns SOCLOSS_OK when the
 * batch committed, whatever each deficit's code; an error only when nothing
 * was written. */
typedef struct socloss_batch_item {
  const char *id, *account;  /* in */
  int code;                  /* out: SOCLOSS_OK, or why not resolved */
  uint64_t seq;              /* out: its journal record (0 if none) */
  char message[256];         /* out: the cause when code != SOCLOSS_OK */
} socloss_batch_item;

/* See above: group commit of items[0..n). */
SOCLOSS_API int socloss_resolve_batch(socloss *led, socloss_batch_item *items, size_t n,
                                      const socloss_resolve_options *o);

/* ---- Crash events --------------------------------------------------------
 * A crash is many bankruptcies at once.  An event resolves every account
 * bankrupt when it starts, in one durable write transaction, the marks fixed:
 *  - sequential (joint = 0): one by one in account-id order, each deficit
 *    atomic on its own (id "EVENT:ACCOUNT"); one whose policy and fallback
 *    both fail is journaled as failed, stays bankrupt, and the event goes on;
 *  - joint (joint = 1): steps 1-4 for each account in id order, then one
 *    haircut decision for the combined shortfall (docs/design.md §5).
 * Every policy call sees ctx.event: the id, each candidate's gross profit
 * when the event began (profit0) and what the event has taken from it so far
 * (charged). */
typedef struct socloss_event_options {
  size_t size;            /* sizeof, set by socloss_event_options_init */
  const char *id;         /* the event id: 1-64 printable characters */
  int joint;              /* 0: sequential, 1: joint */
  const char *policy;     /* policy source; NULL: the ledger's (per market) */
  size_t policy_len;
  const char *params;     /* as for socloss_resolve */
  int dry_run;            /* decide everything, keep nothing */
  /* called with each deficit's result (sequential), applied or failed, in
   * order, or once with the joint decision; may be NULL; return non-zero to
   * stop (nothing is kept then).  Do not call into the handle from it. */
  int (*each)(void *ud, const socloss_resolution *r);
  void *ud;
} socloss_event_options;

typedef struct socloss_event_summary {
  size_t size;            /* sizeof: set by the caller (the library fills what fits) */
  size_t bankrupt;        /* accounts bankrupt when the event began */
  size_t resolved, failed;
  int64_t deficit;        /* what they were short in all */
  int64_t fund_draw, charged, bad_debt;  /* charged: haircuts + close transfers */
} socloss_event_summary;

/* Zeroes the options and sets o->size (forward compatible). */
SOCLOSS_API void socloss_event_options_init(socloss_event_options *o);
/* Resolves a crash event (above).  SOCLOSS_OK when every bankrupt account
 * was resolved; SOCLOSS_EPOLICY when some failed (the others are applied,
 * the failures journaled); another code when nothing was written. */
SOCLOSS_API int socloss_resolve_event(socloss *led, const socloss_event_options *o, socloss_event_summary *out);

/* The resolution as a JSON object (docs/cli.md); free() it.  NULL when out of
 * memory. */
SOCLOSS_API char *socloss_resolution_json(const socloss_resolution *r);

/* Roles: the active policy decides; the fallback decides when the active
 * one fails; the shadow policy decides every deficit too, on the same
 * inputs, never applied: its decision and how it differs are journaled. */
enum { SOCLOSS_POLICY_ACTIVE = 0, SOCLOSS_POLICY_FALLBACK = 1, SOCLOSS_POLICY_SHADOW = 2 };

/* Sets the ledger's active or fallback policy from source text, after
 * loading it in the sandbox and checking its shape (a policy that does not
 * load is refused and nothing changes).  source NULL clears it.  Journaled,
 * with the manners of socloss_policy_role_set (below): a change that
 * changes nothing writes nothing; the shadow made active is cleared. */
SOCLOSS_API int socloss_policy_set(socloss *led, int role, const char *source, size_t len,
                                   const char *params_json);

/* Names a policy source for the messages that locate errors in it: an error
 * at line 3 of this source reads "NAME:3: ..." (the CLI names each policy
 * file it reads by its file name: "pro_rata.lua:3: ...").  Only the part
 * after the last '/' is kept, as printable ASCII (other bytes as \xNN) and
 * at most 64 bytes: a name reaches the journal's failure records, which
 * must not tell where the host keeps its files.  A source not named is
 * located by its registry entry, "name@version:3: ...", when the ledger
 * holds it, else as "policy:3: ...".  The handle keeps the 32 names given
 * last, by the source's SHA-256, until it closes; naming never changes a
 * decision (inside the sandbox every chunk is "policy").  Added after 1.0. */
SOCLOSS_API int socloss_policy_source_name(socloss *led, const char *source, size_t len, const char *name);

/* ---- The policy registry ------------------------------------------------ */

typedef struct socloss_policy_info {
  char name[SOCLOSS_ID_MAX + 1];
  char hash[65];          /* SHA-256 of the source, hex */
  uint32_t version;       /* 1 for a name's first policy, then 2, 3, ... */
  uint64_t seq;           /* the journal record that added it */
  size_t source_len;
} socloss_policy_info;

typedef int (*socloss_policy_cb)(void *ud, const socloss_policy_info *p);

/* Adds a policy to the ledger's registry after loading it in the sandbox
 * and checking its shape.  The same source again is SOCLOSS_EEXIST (with its
 * entry in *out).  Journaled. */
SOCLOSS_API int socloss_policy_add(socloss *led, const char *source, size_t len,
                                   socloss_policy_info *out);
/* (added after 1.0) The hash a policy source is known by (its SHA-256, 64
 * hex digits and a NUL into out), as socloss_policy_info.hash: to name a
 * policy read from a file as the registry and the journal name it. */
SOCLOSS_API void socloss_policy_hash(const char *source, size_t len, char out[65]);
/* The registry by name, then version. */
SOCLOSS_API int socloss_policy_list(socloss *led, socloss_policy_cb cb, void *ud);
/* A registered policy by NAME (its latest version), NAME@VERSION, or hash
 * (8 to 64 hex digits); *source (if not NULL) gets a malloc'd copy. */
SOCLOSS_API int socloss_policy_find(socloss *led, const char *ref, socloss_policy_info *out,
                                    char **source);
/* Makes a registered policy the active or fallback one, ledger-wide (market
 * NULL) or for one market: a deficit uses the policy of its account's
 * largest position by notional, else the ledger-wide one.  Journaled, with
 * the manners of socloss_policy_role_set (below): an unknown market is
 * SOCLOSS_ENOTFOUND; a change that changes nothing writes nothing; the
 * shadow made active is cleared. */
SOCLOSS_API int socloss_policy_activate(socloss *led, const char *ref, int role, const char *market,
                                        const char *params_json);

/* ---- The registry's manners (added after 1.0: new calls, the calls above
 * unchanged) -------------------------------------------------------------
 * A registry entry may carry a note (who proposes it and why) and a time;
 * a role change may carry a time.  The time is what the host says it is:
 * the library never reads a clock for the journal, so the same calls make
 * the same journal, and nothing a policy decides depends on it.  A time is
 * UTC, "YYYY-MM-DDTHH:MM:SSZ" with optionally 1 to 9 digits of a second
 * before the Z ("2024-05-01T12:00:00Z", "2024-05-01T12:00:00.250Z"), so
 * that times compare as text; a note is at most 1024 bytes of UTF-8
 * without control characters (one line). */
typedef struct socloss_policy_add_options {
  size_t size;            /* sizeof, set by socloss_policy_add_options_init */
  const char *note;       /* NULL or "": none */
  const char *at;         /* NULL or "": no time recorded */
} socloss_policy_add_options;

/* Zeroes the options and sets o->size (forward compatible). */
SOCLOSS_API void socloss_policy_add_options_init(socloss_policy_add_options *o);
/* socloss_policy_add with a note and a time, kept in the entry and its
 * journal record (o may be NULL: neither). */
SOCLOSS_API int socloss_policy_add_with(socloss *led, const char *source, size_t len,
                                        const socloss_policy_add_options *o, socloss_policy_info *out);

/* One role change: the policy named by ref (as socloss_policy_find), or
 * given as source text (registered on the way), or neither: the role is
 * cleared. */
typedef struct socloss_role_options {
  size_t size;            /* sizeof, set by socloss_role_options_init */
  int role;               /* SOCLOSS_POLICY_* */
  const char *market;     /* NULL or "": ledger-wide; else a market of the
                             ledger (an unknown one is SOCLOSS_ENOTFOUND) */
  const char *ref;
  const char *source;
  size_t source_len;
  const char *params;     /* JSON object text, NULL: none */
  const char *at;         /* NULL or "": no time recorded */
} socloss_role_options;

/* What a role change wrote. */
typedef struct socloss_role_change {
  size_t size;            /* sizeof: set by the caller (the library fills what fits) */
  uint64_t seq;           /* the role's journal record; 0: the role was
                             already so (same policy, same params, or
                             nothing to clear) and nothing was written */
  uint64_t shadow_seq;    /* the policy made active was also the shadow
                             there (same policy, same params): the record
                             that cleared the shadow, else 0 */
} socloss_role_change;

/* Zeroes the options and sets o->size (forward compatible). */
SOCLOSS_API void socloss_role_options_init(socloss_role_options *o);
/* Sets or clears a role, ledger-wide or for one market, in one journaled
 * transaction, as socloss_policy_set and socloss_policy_activate do, with
 * these manners:
 *  - a change that changes nothing writes nothing (out->seq 0);
 *  - an unknown market is refused;
 *  - making active the policy that is the shadow at the same place (same
 *    source, same params) clears the shadow in the same transaction (its
 *    own journal record): the shadow was its trial, now over.  A shadow
 *    set explicitly to the active policy stays (it decides every deficit
 *    again: `same` true unless something is amiss).
 * out may be NULL. */
SOCLOSS_API int socloss_policy_role_set(socloss *led, const socloss_role_options *o, socloss_role_change *out);

/* A role a registered policy holds. */
typedef struct socloss_policy_role {
  int role;               /* SOCLOSS_POLICY_* */
  const char *market;     /* "" ledger-wide */
  const char *params;     /* the params it was set with, JSON text ("" none) */
} socloss_policy_role;

/* A registry entry with what socloss_policy_info leaves out; valid during
 * the callback only. */
typedef struct socloss_policy_entry {
  size_t size;            /* sizeof, set by the library: a field past it is absent */
  socloss_policy_info info;
  const char *note;       /* "" when none was recorded */
  const char *at;         /* "" when no time was recorded */
  size_t nroles;          /* by role (active, fallback, shadow), ledger-wide */
  const socloss_policy_role *roles;  /* first, then markets in id order */
} socloss_policy_entry;

typedef int (*socloss_policy_entry_cb)(void *ud, const socloss_policy_entry *e);

/* The registry by name then version (ref NULL), or the one entry ref names
 * (as socloss_policy_find), with notes, times and roles, from one snapshot. */
SOCLOSS_API int socloss_policy_entries(socloss *led, const char *ref, socloss_policy_entry_cb cb, void *ud);

typedef struct socloss_limits {
  uint64_t instructions;  /* per policy call (default 200,000,000) */
  uint64_t memory;        /* bytes per policy call (default 512 MiB) */
  uint64_t wall_ms;       /* milliseconds per policy call (default 5,000) */
  int64_t fund_max_draw;  /* the most the fund pays per deficit, 0: no cap */
} socloss_limits;

/* The ledger's limits (not tightened by this handle's options). */
SOCLOSS_API int socloss_limits_get(socloss *led, socloss_limits *out);
/* Sets the ledger's limits for every handle (journaled); refused outside
 * 1000..2^40 instructions, 1 MiB..16 GiB, 1..600000 ms, or a negative cap. */
SOCLOSS_API int socloss_limits_set(socloss *led, const socloss_limits *in);

/* ---- Units (added after 1.0: new calls and structs, nothing changed) -----
 * A ledger may say what its integers are: the settlement asset's symbol and
 * decimals (an atom is 10^-decimals of the asset: USD with 6 decimals makes
 * 1,000,000 atoms a dollar), and per market the lot (0.001 BTC).  They
 * change no arithmetic and no state (the state digest is the same): the
 * CSV and JSON Lines input of such a ledger may give decimal amounts and
 * prices per unit of the underlying, turned into atoms exactly or refused
 * with the nearest exact values (docs/cli.md, "Units"), and output may show
 * them (socloss_format_*).  The events and results of this API stay in
 * atoms and lots.  Without units a ledger behaves as before. */
#define SOCLOSS_SYMBOL_MAX 16   /* a symbol: 1-16 of A-Z a-z 0-9 . _ - */
#define SOCLOSS_DECIMALS_MAX 18
#define SOCLOSS_TEXT_MAX 160    /* room for any text socloss_format_* writes */

typedef struct socloss_units {
  size_t size;            /* sizeof, set by socloss_units_init */
  char asset[SOCLOSS_SYMBOL_MAX + 1];  /* the settlement asset ("USD"); "": no units */
  int decimals;           /* 0-18: an atom is 10^-decimals of the asset */
} socloss_units;

/* A market's lot: `units` x 10^-scale of the underlying (0.001 BTC: 1, 3,
 * "BTC").  Set when the market is listed (a CSV `lot` column, a JSON Lines
 * market event's "lot") and fixed from then on. */
typedef struct socloss_lot {
  size_t size;            /* sizeof: set by the caller of socloss_lot_get, by the library in callbacks */
  char market[SOCLOSS_ID_MAX + 1];
  uint64_t units;         /* 0: no lot (prices are per lot); else 1 to 10^18 */
  int scale;              /* 0-18 */
  char underlying[SOCLOSS_SYMBOL_MAX + 1];
} socloss_lot;

typedef int (*socloss_lot_cb)(void *ud, const socloss_lot *lot);

/* Zeroes u (no units) and sets u->size. */
SOCLOSS_API void socloss_units_init(socloss_units *u);
/* The ledger's units; asset "" when it has none.  out->size must be set. */
SOCLOSS_API int socloss_units_get(socloss *led, socloss_units *out);
/* Sets the ledger's units (journaled: a "units" record).  Allowed while
 * the journal holds no record that changes state (policies and limits may
 * come first); after that SOCLOSS_EINVAL, naming the record: amounts were
 * written in the units in force.  The same units again write nothing.
 * A symbol that is not one, or decimals outside 0-18, are SOCLOSS_EINVAL. */
SOCLOSS_API int socloss_units_set(socloss *led, const socloss_units *in);
/* Every market that has a lot, in id order. */
SOCLOSS_API int socloss_lots(socloss *led, socloss_lot_cb cb, void *ud);
/* One market's lot (units 0 when it has none); SOCLOSS_ENOTFOUND for an
 * unknown market.  out->size must be set. */
SOCLOSS_API int socloss_lot_get(socloss *led, const char *market, socloss_lot *out);

/* Exact text for people, no floating point; each writes at most len bytes
 * (SOCLOSS_TEXT_MAX always suffices) and returns SOCLOSS_OK, or
 * SOCLOSS_EINVAL when len is short.  Without units (u NULL or asset "")
 * each writes the plain integer, as the CLI always did.
 *   amount  atoms as decimals of the asset, the integer part grouped by
 *           threes: "1,234.567890 USD" (6 decimals), "-0.000001 USD";
 *   price   atoms per lot as the asset per unit of the underlying, with as
 *           many decimals as its steps need: "60,000.500 USD/BTC" (lot
 *           0.001 BTC); with no lot, per lot: "94.000000 USD/lot";
 *   size    lots as units of the underlying: "-0.003 BTC"; lots ("-3")
 *           when the market has no lot (lot NULL or units 0). */
SOCLOSS_API int socloss_format_amount(const socloss_units *u, int64_t atoms, char *buf, size_t len);
SOCLOSS_API int socloss_format_price(const socloss_units *u, const socloss_lot *lot, int64_t atoms_per_lot,
                                     char *buf, size_t len);
SOCLOSS_API int socloss_format_size(const socloss_lot *lot, int64_t lots, char *buf, size_t len);

/* ---- Replay ------------------------------------------------------------ */

/* What one account pays in one deficit (or joint event): its haircuts plus
 * the transfers of its deleverage closes (a record under rules 1 names no
 * transfer: its closes count 0), as recorded and as decided again. */
typedef struct socloss_replay_account {
  const char *account;
  int64_t recorded, replayed;
} socloss_replay_account;

typedef struct socloss_replay_item {
  uint64_t seq;               /* the deficit's journal record */
  const char *id, *account;
  int code;                   /* SOCLOSS_OK, or why the policy could not decide again */
  const char *message;        /* that cause */
  int same;                   /* the decision is the recorded one, exactly */
  const char *field;          /* the first field that differs ("haircuts", ...) or "" */
  const char *recorded;       /* both decisions as JSON objects: deleveraged, */
  const char *replayed;       /* takeovers, fund_draw, haircuts, bad_debt */
  int64_t recorded_charged, replayed_charged;    /* sum of haircuts */
  int64_t recorded_bad_debt, replayed_bad_debt;
  int64_t recorded_fund_draw, replayed_fund_draw;
  /* (added at the end) The evaluator that decided it, as recorded: Lua's
   * release and the build id, the SHA-256 of socloss-eval ("" for records
   * written before the evaluator named itself); the one deciding now (""
   * when none was asked); other_build is 1 when both are known and differ. */
  const char *lua_release, *build_id;
  const char *now_lua_release, *now_build_id;
  int other_build;
  /* (added at the end) Who pays differently: the accounts whose charge (see
   * socloss_replay_account) differs between the two decisions, in account-id
   * order; none when the policy fails now.  Valid during the callback. */
  size_t naccounts;
  const socloss_replay_account *accounts;
} socloss_replay_item;

typedef int (*socloss_replay_cb)(void *ud, const socloss_replay_item *it);

/* Re-runs the journal's deficits from the journal alone, on a copy of one
 * snapshot (its settings, registry and journal, in a throwaway ledger under
 * $TMPDIR, else /tmp, removed whatever happens), so that writers go on
 * meanwhile: the state before each deficit is rebuilt from the records
 * before it, the policy decides again, and the recorded history goes
 * on.  With policy NULL each deficit's own policy (from the registry, by
 * hash) and params run again: a verification, *differ counts the deficits
 * whose decision differs.  With a policy (and params), what it would have
 * decided instead.  Deficits from journal record `from` on are reported, one
 * cb call each (do not call into the handle from it). */
SOCLOSS_API int socloss_replay(socloss *led, const char *policy, size_t policy_len, const char *params,
                               uint64_t from, socloss_replay_cb cb, void *ud, size_t *differ);
/* socloss_replay, telling progress (may be NULL) every 65,536 journal
 * records ("records": done of the journal's last); non-zero stops the
 * replay (SOCLOSS_ESTOP). */
SOCLOSS_API int socloss_replay_progress(socloss *led, const char *policy, size_t policy_len, const char *params,
                                        uint64_t from, socloss_replay_cb cb, void *ud,
                                        const socloss_progress *progress, size_t *differ);

/* ---- Simulation --------------------------------------------------------- */

typedef struct socloss_sim_result {
  size_t deficits;          /* resolutions attempted */
  size_t failed;            /* of which the policy failed or had nothing to do */
  size_t charged;           /* accounts that paid: a haircut or a close below mark */
  int64_t total_charged;    /* haircuts + size x |mark - price| of the closes */
  double largest_share;     /* the largest charge / that account's profit */
  double gini;              /* Gini coefficient of charge / profit, accounts in profit */
  int64_t overshoot;        /* notional closed beyond what the shortfall needed */
  int64_t fund_draw, bad_debt;
  /* The split test: the account that paid most, split in two (half its
   * balance, half of each position), and how much more (or less, < 0) the
   * two halves pay together in the same run. */
  char split_account[SOCLOSS_ID_MAX + 1];
  int64_t split_delta;
  /* accounts in profit by charge / profit: [0] nothing, [1..10] up to
   * 10%, 20%, ... 100%, [11] more than their profit */
  size_t share_hist[12];
} socloss_sim_result;

/* A dry run on a copy of one snapshot of the ledger (a throwaway ledger
 * under $TMPDIR, else /tmp): writers go on meanwhile.  One deficit (account), or every
 * bankruptcy a price shock causes (shock_market marked by (1e6 + shock_ppm) /
 * 1e6, then each bankrupt account resolved in id order, the cascade going on
 * from each), under `policy`, with its fairness figures (README). */
SOCLOSS_API int socloss_simulate(socloss *led, const char *policy, size_t policy_len, const char *params,
                                 const char *account, const char *shock_market, int64_t shock_ppm,
                                 socloss_sim_result *out);

/* One price move of a simulation (added after 1.0): market's mark times
 * (1e6 + ppm) / 1e6, truncated; ppm > -1000000 and the mark must stay >= 1. */
typedef struct socloss_shock {
  const char *market;
  int64_t ppm;
} socloss_shock;

/* The same with options (since 1.0): joint = 1 resolves the shock's
 * bankruptcies as one joint crash event (docs/design.md §12) instead of a
 * sequential one. */
typedef struct socloss_sim_options {
  size_t size;            /* sizeof, set by socloss_sim_options_init */
  const char *policy;
  size_t policy_len;
  const char *params;
  const char *account;    /* one deficit, or NULL with a shock */
  const char *shock_market;
  int64_t shock_ppm;
  int joint;
  /* Added after 1.0: called, when set, with what the policy logged
   * (socloss.log) while deciding each deficit of the run — its id and its
   * log (socloss_resolution.log: entries ended by '\n') — in order, for the
   * deficits that logged something; a joint event's whole log comes with
   * its own id.  Not for the split test's second run.  Return non-zero to
   * stop (the simulation is refused then).  Nothing it is told changes a
   * figure. */
  int (*log)(void *ud, const char *deficit, const char *log);
  void *log_ud;
  /* Added after 1.0: called, when set, with each deficit of the run that no
   * policy resolved, and why (socloss_resolution.failure: the message that
   * locates an error as FILE:LINE), with log_ud; not for the split test's
   * run.  Return non-zero to stop. */
  int (*failed)(void *ud, const char *deficit, const char *cause);
  /* (added at the end) Told after each deficit ("deficits", then "split
   * test": done of the accounts bankrupt when the run began); non-zero
   * stops the simulation: SOCLOSS_ESTOP, with *out holding the figures of
   * the deficits resolved so far (no split test).  NULL: none. */
  const socloss_progress *progress;
  /* (added at the end) More moves, nshocks of them (at most
   * SOCLOSS_SIM_SHOCKS_MAX), applied in order after shock_market's (when
   * set), all before the bankruptcies are resolved; each market at most
   * once in all (SOCLOSS_EINVAL otherwise).  With an account: none. */
  const socloss_shock *shocks;
  size_t nshocks;
  /* (added at the end) A scenario: nsteps steps (at most
   * SOCLOSS_SIM_STEPS_MAX), each its moves (each market at most once in a
   * step) then the resolution of every account bankrupt then, as one crash
   * event ("sim" for the first step, "sim2", "sim3", ... for the next:
   * deficit ids "sim2:ACCOUNT"), the state going on from each step to the
   * next; the figures cover them all (profit and the split test taken after
   * the first step's moves).  Instead of an account and of the shocks
   * above. */
  const struct socloss_sim_step *steps;
  size_t nsteps;
  /* (added at the end) Who pays: called, when set, once the run's figures
   * are known (also for a run the progress callback stopped), with each
   * account the run charged (charge > 0: its haircuts plus what its closes
   * cost it, as total_charged counts them), in account-id order, and its
   * gross profit before the first deficit; with log_ud; not for the split
   * test's run.  Return non-zero to stop: SOCLOSS_ESTOP. */
  int (*charge)(void *ud, const char *account, int64_t charge, int64_t profit);
  /* (added at the end) Everyone the figures speak of: called, when set,
   * after the charge callback's calls, with each account that was charged
   * or in profit (gross profit > 0, charged or not: the accounts the Gini
   * coefficient and the share histogram count), in account-id order, its
   * charge (0 when it paid nothing) and its profit; with log_ud; not for
   * the split test's run.  What a Lorenz curve of charge / profit needs.
   * Return non-zero to stop: SOCLOSS_ESTOP. */
  int (*each_account)(void *ud, const char *account, int64_t charge, int64_t profit);
  /* (added at the end) 1: no split test (the run once, not twice;
   * split_account "" and split_delta 0, as when nobody paid). */
  int no_split;
} socloss_sim_options;

#define SOCLOSS_SIM_SHOCKS_MAX 1024
#define SOCLOSS_SIM_STEPS_MAX 1000

/* One step of a scenario (added after 1.0). */
typedef struct socloss_sim_step {
  const socloss_shock *shocks;  /* the moves, applied in order, at most SOCLOSS_SIM_SHOCKS_MAX */
  size_t nshocks;               /* 0: none (what is bankrupt is resolved all the same) */
  int mode;                     /* 0: the options' (joint or not), 1: sequential, 2: joint */
} socloss_sim_step;

/* Zeroes the options and sets o->size (forward compatible). */
SOCLOSS_API void socloss_sim_options_init(socloss_sim_options *o);
/* socloss_simulate with options: the same figures, in the mode asked. */
SOCLOSS_API int socloss_simulate_with(socloss *led, const socloss_sim_options *o, socloss_sim_result *out);

/* (added after 1.0) Several simulations side by side: opts[k] (each as
 * socloss_simulate_with takes it) into out[k], with its code in codes[k],
 * all from one snapshot of the ledger, each on its own copy of it with its
 * own evaluator, up to `threads` at a time (0: as many as the machine has
 * cores, at most n).  Each run's figures are those socloss_simulate_with
 * gives for its options alone.  Every run's options are checked before any
 * runs.  Callbacks (each run's own, and the handle's log) come from the
 * library's threads, one at a time: the library holds one lock around each
 * call.  Memory: one copy of the ledger's state per run under way.
 * Returns SOCLOSS_OK when every run succeeded, else the first failed run's
 * code (in k order; SOCLOSS_ESTOP for a run a callback stopped, whose
 * out[k] holds the figures so far), with its message. */
SOCLOSS_API int socloss_simulate_many(socloss *led, const socloss_sim_options *const *opts, size_t n,
                                      unsigned threads, socloss_sim_result *out, int *codes);

/* ---- Policy tests ------------------------------------------------------- */

typedef int (*socloss_line_cb)(void *ud, const char *line);

/* Runs a policy test file (see README, "Testing a policy"): each case on a
 * throwaway ledger through the same resolution path, reported as TAP lines
 * through cb.  *failed counts the failing cases; SOCLOSS_OK when none,
 * SOCLOSS_EPOLICY when a case failed or the file does not load.  A file
 * that cannot be run at all is one failed TAP test too, and returns
 * SOCLOSS_EIO (unreadable) or SOCLOSS_EINVAL (no usable policy or cases)
 * with the message (socloss_errmsg(NULL)) naming it.  The policy is named
 * relative to the test file and must stay in its directory.
 * evaluator NULL: the default socloss-eval. */
SOCLOSS_API int socloss_test_file(const char *path, const char *evaluator, socloss_line_cb cb,
                                  void *ud, int *failed);

/* ---- Counters ----------------------------------------------------------
 * What this handle has done since it was opened, for a host to export as
 * metrics.  Only what was committed counts, as the journal holds it: a dry
 * run, a simulation, a replay or an applied batch that was refused adds
 * nothing, and a deficit counts once however many handles or processes
 * look.  A joint crash event counts each of its accounts. */
typedef struct socloss_stats {
  size_t size;            /* sizeof: set by the caller (the library fills what fits) */
  uint64_t resolved;      /* deficits applied, by their policy or its fallback */
  uint64_t failed;        /* deficits that no policy could resolve (left bankrupt) */
  uint64_t fallbacks;     /* of `resolved`: decided by the fallback policy */
  uint64_t policy_failures;  /* policy attempts that failed (deficit_failed records) */
  uint64_t policy_us;     /* microseconds in the policies' deleverage and haircut
                             calls for those deficits, evaluator included (a
                             shadow policy's too) */
  uint64_t evaluator_restarts;  /* evaluator starts after the first (each follows a
                                   crash, a kill at the deadline or a broken
                                   answer), whatever call made them */
  int64_t fund_drawn;     /* atoms the insurance fund paid into those deficits */
  int64_t bad_debt;       /* atoms they left as bad debt */
} socloss_stats;

/* This handle's counters (above).  out->size must be set (sizeof *out):
 * SOCLOSS_EINVAL otherwise.  Never waits for a writer. */
SOCLOSS_API int socloss_stats_get(socloss *led, socloss_stats *out);

/* ---- Invariants -------------------------------------------------------- */

typedef struct socloss_check_report {
  int sizes_net_zero;     /* 1 when per market the sizes sum to zero */
  int open_interest_ok;   /* 1 when each market's open interest is exact */
  int conservation;       /* 1 when sum equity - bad debt == net flows */
  int journal_contiguous; /* 1 when the journal is 1..N without a gap */
  int replay_matches;     /* 1 when replaying the journal gives this state */
  uint64_t records;       /* journal records read */
  unsigned char digest[32];  /* SHA-256 of the canonical state */
} socloss_check_report;

/* Verifies the invariants (docs/design.md §4).  Returns SOCLOSS_EINVARIANT (with
 * the first failure in the message) when one does not hold; `rep` is filled
 * either way.  A reader: it checks one snapshot, replaying its journal into a
 * throwaway ledger under $TMPDIR (else /tmp; as large as the ledger's state,
 * removed whatever happens), so writers go on while it runs. */
SOCLOSS_API int socloss_check(socloss *led, socloss_check_report *rep);

/* socloss_check, telling progress (may be NULL) how far it has got: the
 * state scan every 65,536 positions, the replay about every 100 ms. */
SOCLOSS_API int socloss_check_progress(socloss *led, const socloss_progress *progress,
                                       socloss_check_report *rep);

/* SHA-256 of the canonical ledger state (markets, accounts, positions, fund,
 * bad debt, net flows; the journal excluded).  Equal digests, equal state. */
SOCLOSS_API int socloss_state_digest(socloss *led, unsigned char out[32]);

#ifdef __cplusplus
}
#endif
#endif /* SOCLOSS_H */
