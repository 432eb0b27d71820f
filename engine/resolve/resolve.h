/*
 * resolve.h — deficit resolution for the layers above (audit/, api/): the
 * seven steps, live and replayed from a journal record, the one path that
 * chooses the policy and falls back, group commit, and the result handed to
 * callers.
 */
#ifndef SOCLOSS_RESOLVE_H
#define SOCLOSS_RESOLVE_H

#include <string.h>

#include "ledger.h"
#include "policy.h"

/* The decision part of a resolution (deleveraged, takeovers, fund_draw,
 * haircuts, bad_debt) as compact JSON (malloc'd), and the first of those
 * fields where two such texts differ (NULL: the same). */
char *decision_json(const socloss_resolution *r);
const char *decision_diff(const char *a, const char *b);

/* The result handed to callers (socloss_resolution and what it points to). */
struct resolution_buf {
  socloss_resolution r;
  char id[CODEC_ID_MAX + 1], account[CODEC_ID_MAX + 1], name[CODEC_ID_MAX + 1], hash[65];
  char status[16];
  char *params;
  char failure[ERRMSG_MAX];
  char *strings;  /* the ids the arrays point to */
  char markets[DEFICIT_MARKETS_MAX][CODEC_ID_MAX + 1];
  socloss_deleveraged *dl;
  uint32_t *shares;
  int64_t *transfers;
  socloss_takeover tk[DEFICIT_MARKETS_MAX];
  socloss_haircut *hc;
  /* each close's holder and each haircut's account: its index in the
   * event's accounts (event_ctx.all), or UINT32_MAX: unknown */
  uint32_t *dl_at, *hc_at;
  char *log;      /* r.log when the policy logged something */
};

void result_clear(struct resolution_buf *rb);
void resolution_free(struct resolution_buf *rb);
/* Frees the candidate view a handle keeps between deficits (view.c). */
void view_free(socloss *led);
/* A joint event's journal record as JSON: its parts (each account's steps
 * 1-4, its credit and bad debt), the haircuts. */
char *joint_json(uint64_t seq, const joint_rec *j);
/* A resolution's journal record as JSON, in the shape of the result. */
char *deficit_json(uint64_t seq, const deficit_rec *d);
/* Copies what d says into rb (keeping rb->failure); its log is "". */
int result_fill(struct resolution_buf *rb, const deficit_rec *d, const char *status, uint64_t seq);
/* The most a deficit keeps of what its policy calls logged. */
#define RESOLUTION_LOG_MAX (64 * 1024)
/* Adds one call's log (eval_response.log) to a deficit's: dropped, with
 * one line saying so, past RESOLUTION_LOG_MAX.  log may be NULL (nobody
 * shows it: a shadow, a replay). */
void log_keep(codec_buf *log, const char *text, size_t len);
/* Sets rb's log (r.log) to a copy of what log holds (NULL: none). */
int result_set_log(struct resolution_buf *rb, const codec_buf *log);

/* A deficit event met by an applier (the handle's on_deficit): resolved
 * in a nested transaction. */
int resolve_event(applier *a, const socloss_event *e);
/* An event line met by an applier (the handle's on_event). */
int resolve_event_line(applier *a, const socloss_event *e);

/* Replays a journaled resolution: the recorded actions, validated again. */
/* cap_rules1: the fund's per-deficit cap in force when a record of rules 1
 * (which did not record it) was written: the replayer follows the journal's
 * limits records. */
int deficit_replay(applier *a, const deficit_rec *d, uint64_t seq, int64_t cap_rules1);
/* The joint event `event` decided again on the state in a's transaction
 * by the policy src with params and fund cap, written nowhere: its record's
 * bytes are appended to out. */
int joint_decide(applier *a, const char *event, const char *src, size_t len, const char *params, int64_t cap,
                 codec_buf *out);
/* Replays a joint event's record. */
int joint_replay(applier *a, const joint_rec *j, uint64_t seq);

/* The market whose policy decides a deficit of `account`: of its positions,
 * the largest notional at mark (ties to the lower market id); "" if none. */
int deficit_market_of(store_txn *t, const char *account, char out[CODEC_ID_MAX + 1]);

/* ---- crash events (event.c) ---------------------------------------------- */

/* What every policy call of an event sees besides its deficit. */
typedef struct event_ctx {
  const char *id;
  uint64_t serial;       /* this event among all of the process (event_serial), 0: none */
  account_scan all;      /* every account when the event began: ids, gross profit */
  int64_t *charged;      /* per account of `all`: what the event took so far */
} event_ctx;

/* A number no other event of the process has had (from 1). */
uint64_t event_serial(void);

/* A crash event, run inside an applier's transaction (event.c).  simulate
 * watches it through the hooks: before each deficit, and after it with its
 * code and result (applied or failed). */
typedef struct event_run {
  socloss *led;
  socloss_event_options o;
  socloss_event_summary sum;
  int rc;  /* the event's own outcome: SOCLOSS_EPOLICY when some failed */
  int (*before)(void *ud, applier *a);
  int (*after)(void *ud, int code, const socloss_resolution *r);
  void *hook_ud;
  const event_ctx *ev;  /* while it runs: its accounts (results' dl_at, hc_at index them) */
} event_run;

/* An event run with these options, the rest zero. */
void event_run_init(event_run *er, socloss *led, const char *id, const char *policy, size_t policy_len,
                    const char *params);
/* Checks the options (id, mode, params). */
int event_check(event_run *er);
/* Resolves every account bankrupt now, in a's transaction; er->sum and
 * er->rc say how it went. */
int event_in(event_run *er, applier *a);

/* The gate's calls (api/gate.c). */
int resolve_run(socloss *led, const char *account, const socloss_resolve_options *o,
                const socloss_resolution **out);
int event_resolve_run(socloss *led, const socloss_event_options *o, socloss_event_summary *out);
int resolve_batch_run(socloss *led, socloss_batch_item *items, size_t n, const socloss_resolve_options *o);

/* The decision a policy would make for deficit `id` of `account` on the
 * state in a's transaction, written nowhere: the result is in
 * led->res (status "dry-run").  params_buf has room for plen + 1 bytes.
 * It decides under the given money rules and fund cap (a replay decides a
 * record again under the rules and cap it was written with), within `event`
 * when the deficit was part of one. */
int resolve_decide(applier *a, const char *id, size_t id_len, const char *account, const char *src, size_t len,
                   const char *params, size_t plen, char *params_buf, int rules, int64_t fund_cap,
                   const event_ctx *event);
/* What a resolution's record took from each account, added to an event's
 * charged column: haircuts and close transfers. */
void event_add_charges(event_ctx *ev, const deficit_rec *d);

#endif
