/*
 * resolve_int.h — what the files of resolve/ share among themselves (the
 * area's header for other folders is resolve.h):
 *
 *   cands.c    the candidates: every account but the bankrupt one, as columns
 *   steps.c    steps 1-6, the same functions for a live resolution and a replay
 *   closes.c   step 2's closes applied in memory, each record written once
 *   decide.c   a live resolution in one transaction: the policy asked, the
 *              steps applied, step 7 (the journal record), the shadow policy
 *   attempt.c  the one path every deficit takes: choose the policy, attempt it,
 *              journal a failure, fall back
 *   group.c    group commit: many deficits in one durable transaction
 *   result.c   the result handed to callers, and as JSON
 */
#ifndef SOCLOSS_RESOLVE_INT_H
#define SOCLOSS_RESOLVE_INT_H

#include "resolve.h"

/* Counts a deficit's outcome (rc: SOCLOSS_OK applied, SOCLOSS_EPOLICY no
 * policy could) for `accounts` accounts into the handle's pending counters
 * (socloss_stats); fell_back: the first policy had failed. */
void tally(socloss *led, int rc, size_t accounts, int fell_back, const int64_t *fund_draw, const int64_t *bad_debt);

/* ---- candidates (cands.c) ----------------------------------------------- */

typedef struct cands {
  size_t n, cap, nm;
  char *ids;
  size_t ids_len, ids_cap;
  uint32_t *off;
  int64_t *balance, *equity, *upnl_total;
  int64_t *profit;              /* gross: Σ max(upnl, 0) over all its positions */
  int64_t *size, *cost, *upnl;  /* market-major, stride `stride` */
  size_t stride;                /* cap, or n once moved together (built in the region) */
  uint32_t *row;                /* each one's row in the candidate view, or NULL (view.c) */
  uint32_t *at;                 /* the first nat: each one's index in the event's accounts (decide.c) */
  size_t nat;
  /* Built in the evaluator's region (evaluator_place), where the request
   * names them instead of copying them: the columns above that lie in
   * [lo, hi) are the region's (never freed here); the event's two columns
   * go there too (profit0, charged: NULL when not placed). */
  uintptr_t lo, hi;
  int64_t *profit0, *charged;
} cands;


/* The accounts table merged with every market's positions, in id order
 * (cands.c): what the candidates and the candidate view are read from. */
typedef struct merge_mk {
  char market[CODEC_ID_MAX + 1];
  int64_t mark;
  store_cursor *cur;
  int live;                     /* the cursor has a head: holder, pos */
  char holder[CODEC_ID_MAX + 1];
  store_position pos;
  int here;                     /* the account merge_next gave holds `held` here */
  store_position held;
} merge_mk;

typedef struct pos_merge {
  size_t n, cap;                /* the markets, in id order */
  merge_mk *v;
  store_cursor *ac;
} pos_merge;

/* The markets read and every cursor opened (each market's past the fund's
 * position); merge_close frees what it opened, whatever it returned. */
int merge_open(store_txn *t, pos_merge *pm);
/* The next account, with in each market whether it holds a position there
 * (v[k].here) and which (v[k].held); SOCLOSS_ENOTFOUND after the last.  A
 * market's cursor moves on only past a holder that is an account (a
 * position no account holds stops that market's merge, left live). */
int merge_next(pos_merge *pm, char id[CODEC_ID_MAX + 1], int64_t *balance);
void merge_close(pos_merge *pm);

/* Every account but the bankrupt one, positions or not, in id order, with
 * balance, equity, total upnl, gross profit and its positions in the
 * deficit's markets (zeros where it holds none). */
int build_cands(store_txn *t, const deficit_rec *d, const char *const *out, size_t nout, evaluator *place, cands *c);
void cands_free(cands *c);

/* ---- the candidate view (view.c) ---------------------------------------- */

typedef struct cand_view cand_view;
/* The candidates build_cands makes, from the handle's view of the accounts
 * and positions when it has one that is up to date (made at the second
 * candidate set in a row on one store), else from the tables. */
/* place: the evaluator whose region to build in (the haircut call's
 * candidates, which nothing needs once the deficit is done), or NULL: in
 * memory of their own. */
int cands_for(socloss *led, store_txn *t, const deficit_rec *d, const char *const *out, size_t nout, evaluator *place,
              cands *c);
/* The columns' memory for cap rows of nm markets and ids_cap bytes of ids
 * (size, cost and upnl zeroed): in place's region when it gives one, else
 * its own.  c is cleared first; rc on no memory (for `what` candidates). */
int cands_alloc(cands *c, evaluator *place, size_t cap, size_t nm, size_t ids_cap, size_t what);
/* A haircut's writes applied to the view by the writer, instead of noted
 * by the store and applied at the next take (store.h, STORE_SEEN).
 * view_markets: 1 when the handle's view follows t's store, with vm[k] the
 * view's index of d's market k (-1: none); else 0.  view_row: 1 when the
 * view holds market vm and, at row `row`, account id.  view_put: that
 * position set to size and cost, once the store has written it with
 * STORE_SEEN (a write that failed is not the view's). */
int view_markets(socloss *led, store_txn *t, const deficit_rec *d, long *vm);
int view_row(socloss *led, long vm, uint32_t row, const char *id, size_t id_len);
/* 1 when the view's rows are ev's accounts, one for one (candidates from
 * the view: a row is the event's index); else 0. */
int view_is_event(socloss *led, const event_ctx *ev);
void view_put(socloss *led, long vm, uint32_t row, int64_t size, int64_t cost);
/* Tests: how many of the view's rows (not waiting for the next take) hold
 * derived columns (upnl, total, gross profit, equity) other than their
 * balance and positions make; 0 without a view. */
size_t view_unsound(socloss *led);
/* Candidates the caller is done with: their buffers kept by the view for
 * the next set it makes (the same size: a cascade's next deficit), or
 * freed. */
void cands_done(socloss *led, cands *c);
/* 1: every candidate set from the tables (tests compare the two ways). */
extern int cands_view_off;
/* How many times the view was read from the tables, and how many candidate
 * sets came from it (tests assert when it is kept and when it is not). */
extern size_t cands_view_builds, cands_view_hits;

/* ---- the steps (steps.c) ------------------------------------------------ */

typedef struct step {
  applier *a;
  deficit_rec *d;
  const char *label;           /* "policy 'x' (hash): " for messages */
  const int64_t *equity_hint;  /* the candidates' equity as the haircut step
                                  saw it, by index (NULL in a replay) */
  size_t ncands;               /* candidates the actions index (0 in a replay) */
  /* the candidate columns the policy saw, market-major (NULL in a replay):
   * the deleverage step reads no holder, and a haircut out of profit is
   * written without reading (hint_upnl: the haircut step's only) */
  const int64_t *hint_balance, *hint_size, *hint_cost, *hint_upnl;
  size_t hint_stride;
  const uint32_t *hint_row;    /* the candidates' rows in the view (cands.row), or NULL */
} step;

int bankruptcy_prices(deficit_rec *d);
/* replay: the actions come from a record (their transfers are checked). */
int step_deleverage(step *s, int replay);
int step_takeover(step *s);
/* What the bankrupt account's balance lacks (0 when it is not negative). */
int step_hole(step *s, int64_t *h);
int step_fund(step *s, int64_t hole_now, int64_t cap);
int step_haircuts(step *s, int64_t shortfall);
/* Step 5 without the credit: the haircuts validated and charged, *total
 * their sum (a joint event credits it to several holes). */
int charge_haircuts(step *s, int64_t shortfall, int64_t *total);
/* Credits the bankrupt account's balance. */
int step_credit(step *s, int64_t amount);
/* What a joint event's haircuts covered, split over the holes by hole
 * (largest remainders, ties to the lower index = the lower account id). */
int joint_credit(applier *a, const int64_t *hole, size_t n, int64_t covered, int64_t *credit);
int step_bad_debt(step *s, int64_t left);

/* ---- step 2's closes in bulk (closes.c) --------------------------------- */

/* A side of the closes while they are applied in memory: a holder (one for
 * all its closes, whatever their markets) or the bankrupt account. */
typedef struct party {
  __int128 e;               /* its equity once has_e; until then, what the
                               closes changed of it */
  int64_t balance;          /* once has_balance */
  unsigned char has_balance, has_e, dirty;
} party;

typedef struct closes {
  size_t nslots;
  uint32_t *slot;           /* per action: its holder's slot; slots go in id order */
  const char **id;          /* per slot: its holder's id (len bytes) */
  uint32_t *len;
  party *h;                 /* per slot, with what the step's hints know */
  store_position *pos;      /* per action: the holder's position in its market */
} closes;

/* Each action's holder as a slot, numbered in the accounts table's key
 * order, with its balance and equity from the hints when there are some. */
int closes_slots(step *s, closes *c);
/* Every close traded and, under rules 2, its transfer moved: in memory,
 * with ledger_trade's and the transfer's checks, messages and order, close
 * by close; then each record touched written once, in key order.  c->pos
 * holds each holder's position as the validation saw it.  The holders' ids
 * must be their store keys (no NUL byte). */
int closes_apply(step *s, closes *c);
void closes_free(closes *c);
/* The refusal of a transfer that would take a balance out of int64. */
int transfer_refused(const char *holder);
/* 1 (the default): closes_apply; 0: every deficit's closes one by one
 * through ledger_trade, as before it existed (tests/test_closes.c decides
 * the same deficits both ways and compares). */
extern int closes_in_bulk;

/* ---- a live resolution (decide.c) --------------------------------------- */

typedef struct live {
  socloss *led;
  const char *account;
  char id[CODEC_ID_MAX + 1];
  policy_src pol;
  const char *params;
  size_t params_len;
  socloss_limits lim;
  int rules;       /* the money rules to decide under (0: DEFICIT_RULES) */
  const event_ctx *event;  /* NULL: a deficit of its own */
  int dry_run;
  struct deficit_again *direct;  /* deficit_job.direct */
  /* a policy failure: the stage and the message (also on the handle) */
  const char *stage;
  int64_t equity;
  uint64_t instructions, policy_us;
  /* what the policy calls logged (socloss.log), shown with the result,
   * never journaled; NULL: not kept (a shadow, a replay) */
  codec_buf *log;
  /* the shadow policy, deciding too, never applied (NULL: none) */
  const char *shadow;
  size_t shadow_len;
  const char *shadow_params;
} live;

/* Calls the evaluator for one step over the candidates (every account but
 * d's and those of `out`), fills rs; with joint, the one haircut call of a
 * joint event. */
int ask_policy(live *lv, store_txn *t, const deficit_rec *d, int fn, int64_t shortfall, int64_t fund_cash,
               const char *const *out, size_t nout, const eval_joint *joint, cands *c, void **buf,
               eval_response *rs);

/* Before step 1: the deficit id is new and the account bankrupt; d gets
 * the account's markets and equity, the policy, params, event and cap. */
int deficit_open(live *lv, applier *a, const char *id, const char *account, deficit_rec *d);

/* What a deficit's first steps hold until its transaction ends. */
typedef struct held {
  cands c;          /* the candidates as the deleverage step saw them */
  void *buf;        /* the evaluator's answer */
  dl_action *dl;    /* the closes */
} held;
void held_free(held *h);

/* Steps 1 to 4: prices, the policy's closes, the takeover, the fund;
 * *shortfall gets what is left for the haircuts. */
int deficit_first_steps(live *lv, applier *a, deficit_rec *d, step *s, held *h, int64_t *shortfall);
/* The policy's answer as haircut actions over the candidates c (malloc'd
 * into *out), set on s's deficit, with c as the step's hints. */
int haircut_actions(step *s, const cands *c, const eval_response *rs, hc_action **out);

/* Loads lv's policy in the sandbox, then resolves in a transaction nested
 * in t: all of it applied, or none (a failure leaves its stage in lv). */
int live_attempt(live *lv, store_txn *t);

/* Errors after which the enclosing transaction cannot go on. */
static inline int resolve_fatal(int rc) {
  return rc == SOCLOSS_EMAPFULL || rc == SOCLOSS_ESTORE || rc == SOCLOSS_ENOMEM || rc == SOCLOSS_EIO;
}

/* ---- the one path (attempt.c) ------------------------------------------- */

/* A role's policy as stored, copied: the copies outlive the nested writes
 * (the stored bytes point into a snapshot that a write may move). */
typedef struct role_copy {
  char *source, *params;
  size_t len, plen;
} role_copy;

/* The active, fallback or shadow policy of `market` (or the ledger's). */
int copy_role(store_txn *t, int role, const char *market, role_copy *out);
void role_free(role_copy *r);
/* The failure of one attempt, as a journal record in a's transaction. */
int journal_failure(applier *a, const live *lv, const char *cause);

/* An attempt with the policy in lv: all of it applied, or none. */
typedef int (*attempt_fn)(live *lv, store_txn *t, void *ud);
/* The one fallback path: lv's policy failed (its message in ERRBUF):
 * journal why, tell the log, then attempt the fallback policy (if any)
 * through `again`; when both fail, a failed result and the two causes. */
int fall_back(applier *a, live *lv, const role_copy *fallback, attempt_fn again, void *ud);

/* The crash event deficit lines of one file share (event.c): the one a's
 * last deficit line named, or a new one beginning now. */
int event_share(applier *a, const char *id, const event_ctx **out);
/* What a resolution took from each account, added to its event's charged. */
void event_add_result(event_ctx *ev, const struct resolution_buf *rb);

/* A joint crash event in a's transaction (joint.c). */
int joint_resolve(event_run *er, applier *a, event_ctx *ev);

/* One deficit as a caller asks for it. */
typedef struct deficit_job {
  const char *id;        /* NULL: "SEQ-ACCOUNT", SEQ the next journal sequence */
  const char *account;
  const char *policy;    /* source text; NULL: the ledger's policy (the market's own first) */
  size_t policy_len;
  const char *params;    /* NULL: the chosen policy's stored params ("" for a given one) */
  int dry_run;           /* the result says "dry-run" (the caller discards the writes) */
  const event_ctx *event;  /* the event it belongs to, or NULL */
  /* Non-NULL: a lone deficit, alone in its write transaction.  The policy
   * is then attempted in that transaction itself, not in a nested one
   * (LMDB finds each page without searching a parent's dirty pages); a
   * failure is kept here and resolve_job returns RESOLVE_AGAIN: the caller
   * throws the transaction away and runs the job again, which journals
   * the kept failure (without asking the policy twice) and falls back, as
   * a nested attempt would have. */
  struct deficit_again *direct;
} deficit_job;

/* A direct attempt's failure, kept for the job's second run. */
typedef struct deficit_again {
  int set;
  uint64_t txn;         /* the transaction it failed in: the second run
                           recalls it only on the same state (the same id:
                           no other writer came between) */
  char cause[ERRMSG_MAX];
  policy_src pol;       /* what the probe found (its source pointer is not kept) */
  const char *stage;
  int64_t equity;
  uint64_t instructions, policy_us;
  uint64_t pending_us;  /* what it added to the handle's policy time */
  codec_buf log;
} deficit_again;

/* resolve_job's answer to a direct job whose policy failed: throw the
 * transaction away and run the job again (never a public code). */
#define RESOLVE_AGAIN (-1000)
/* 1: lone deficits attempted nested, as before (tests compare the two
 * ways); how many direct attempts were thrown away and run again. */
extern int resolve_direct_off;
extern size_t resolve_direct_again;

/* Resolves one deficit inside a's write transaction: the policy chosen,
 * attempted in a nested transaction; when it fails, the failure journaled,
 * the host's log told, and the fallback attempted the same way.  Returns
 * SOCLOSS_OK (applied), SOCLOSS_EPOLICY (nothing applied, the failures
 * journaled, a "failed" result on the handle) or another refusal. */
int resolve_job(applier *a, const deficit_job *job);

#endif
