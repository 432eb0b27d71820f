/*
 * gate.c — every exported call that takes a handle passes here, and each does
 * the same four things (as Lua's lapi.c does): check the handle, take the
 * handle's lock if it writes (or runs the evaluator), call one *_run of its
 * area, unlock.  No logic lives here, so locking and error handling are
 * uniform by construction.
 *
 * Writers (and the evaluator) go one at a time per handle; readers run on
 * LMDB snapshots and never wait for a writer.
 */
#include <string.h>

#include "audit.h"
#include "batch.h"
#include "resolve.h"

static int not_open(void) { return err_fail(SOCLOSS_EINVAL, "ledger is not open"); }

#define WRITE(led, call)                  \
  do {                                    \
    if (!(led) || !(led)->st) return not_open(); \
    pthread_mutex_lock(&(led)->lock);     \
    ERRBUF[0] = 0;                        \
    int rc_ = (call);                     \
    pthread_mutex_unlock(&(led)->lock);   \
    return rc_;                           \
  } while (0)

#define READ(led, call)                   \
  do {                                    \
    if (!(led) || !(led)->st) return not_open(); \
    ERRBUF[0] = 0;                        \
    return (call);                        \
  } while (0)

/* ---- ledger operations -------------------------------------------------- */

int socloss_apply(socloss *led, const socloss_event *ev, size_t n, size_t *failed) {
  WRITE(led, apply_run(led, ev, n, failed));
}

static int apply_one(socloss *led, socloss_event e) { WRITE(led, apply_run(led, &e, 1, NULL)); }

int socloss_set_mark(socloss *led, const char *market, int64_t mark) {
  return apply_one(led, (socloss_event){.type = SOCLOSS_EV_MARKET, .market = market, .mark = mark});
}

int socloss_deposit(socloss *led, const char *account, int64_t amount) {
  return apply_one(led, (socloss_event){.type = SOCLOSS_EV_DEPOSIT, .account = account, .amount = amount});
}

int socloss_withdraw(socloss *led, const char *account, int64_t amount) {
  return apply_one(led, (socloss_event){.type = SOCLOSS_EV_WITHDRAW, .account = account, .amount = amount});
}

int socloss_trade(socloss *led, const char *market, const char *buyer, const char *seller, int64_t size,
                  int64_t price) {
  return apply_one(led, (socloss_event){.type = SOCLOSS_EV_TRADE, .market = market, .buyer = buyer,
                                        .seller = seller, .size = size, .price = price});
}

int socloss_fund_transfer(socloss *led, int64_t amount) {
  return apply_one(led, (socloss_event){.type = SOCLOSS_EV_FUND, .amount = amount});
}

int socloss_apply_jsonl(socloss *led, const socloss_source *src, size_t *applied) {
  WRITE(led, apply_jsonl_run(led, src, applied));
}

int socloss_import_csv(socloss *led, const socloss_source *markets, const socloss_source *accounts,
                       const socloss_source *positions, socloss_import_stats *stats) {
  WRITE(led, import_csv_run(led, markets, accounts, positions, NULL, stats));
}

int socloss_import_csv_progress(socloss *led, const socloss_source *markets, const socloss_source *accounts,
                                const socloss_source *positions, const socloss_progress *progress,
                                socloss_import_stats *stats) {
  if (progress && progress->size < sizeof *progress)
    return err_fail(SOCLOSS_EINVAL, "progress: size is %zu, not sizeof (socloss_progress) = %zu", progress->size,
                    sizeof *progress);
  WRITE(led, import_csv_run(led, markets, accounts, positions, progress, stats));
}

/* ---- reads -------------------------------------------------------------- */

int socloss_totals_get(socloss *led, socloss_totals *out) { READ(led, totals_get_run(led, out)); }

int socloss_markets(socloss *led, socloss_market_cb cb, void *ud) { READ(led, markets_run(led, cb, ud)); }

int socloss_accounts(socloss *led, socloss_account_cb cb, void *ud) { READ(led, accounts_run(led, cb, ud)); }

int socloss_account_get(socloss *led, const char *id, socloss_account_cb cb, void *ud) {
  READ(led, account_get_run(led, id, cb, ud));
}

int socloss_journal(socloss *led, uint64_t from, socloss_record_cb cb, void *ud) {
  READ(led, journal_run(led, from, cb, ud));
}

int socloss_state_digest(socloss *led, unsigned char out[32]) { READ(led, state_digest_run(led, out)); }

int socloss_limits_get(socloss *led, socloss_limits *out) { READ(led, limits_get_run(led, out)); }

int socloss_policy_list(socloss *led, socloss_policy_cb cb, void *ud) { READ(led, policy_list_run(led, cb, ud)); }

int socloss_stats_get(socloss *led, socloss_stats *out) { READ(led, stats_get_run(led, out)); }

int socloss_policy_source_name(socloss *led, const char *source, size_t len, const char *name) {
  WRITE(led, policy_name_source_run(led, source, len, name));  /* the evaluator's side of the handle: its lock */
}

int socloss_policy_find(socloss *led, const char *ref, socloss_policy_info *out, char **source) {
  READ(led, policy_find_run(led, ref, out, source));
}

int socloss_policy_entries(socloss *led, const char *ref, socloss_policy_entry_cb cb, void *ud) {
  READ(led, policy_entries_run(led, ref, cb, ud));
}

/* ---- resolution --------------------------------------------------------- */

int socloss_resolve(socloss *led, const char *account, const socloss_resolve_options *o,
                    const socloss_resolution **out) {
  if (out) *out = NULL;
  WRITE(led, resolve_run(led, account, o, out));
}

int socloss_resolve_batch(socloss *led, socloss_batch_item *items, size_t n, const socloss_resolve_options *o) {
  WRITE(led, resolve_batch_run(led, items, n, o));
}

int socloss_resolve_event(socloss *led, const socloss_event_options *o, socloss_event_summary *out) {
  WRITE(led, event_resolve_run(led, o, out));
}

/* ---- policies and limits ------------------------------------------------ */

int socloss_policy_set(socloss *led, int role, const char *source, size_t len, const char *params_json) {
  WRITE(led, policy_set_run(led, role, source, len, params_json));
}

int socloss_policy_add(socloss *led, const char *source, size_t len, socloss_policy_info *out) {
  WRITE(led, policy_add_run(led, source, len, NULL, out));
}

int socloss_policy_add_with(socloss *led, const char *source, size_t len, const socloss_policy_add_options *o,
                            socloss_policy_info *out) {
  WRITE(led, policy_add_run(led, source, len, o, out));
}

int socloss_policy_activate(socloss *led, const char *ref, int role, const char *market, const char *params_json) {
  WRITE(led, policy_activate_run(led, ref, role, market, params_json));
}

int socloss_policy_role_set(socloss *led, const socloss_role_options *o, socloss_role_change *out) {
  WRITE(led, role_set_run(led, o, out));
}

int socloss_limits_set(socloss *led, const socloss_limits *in) { WRITE(led, limits_set_run(led, in)); }

/* ---- audit -------------------------------------------------------------- */

/* a reader: it replays into a scratch ledger (audit/check.c) */
int socloss_check(socloss *led, socloss_check_report *rep) { READ(led, check_run(led, NULL, 2, rep)); }

int socloss_check_progress(socloss *led, const socloss_progress *progress, socloss_check_report *rep) {
  READ(led, check_run(led, progress, 2, rep));
}

int socloss_replay(socloss *led, const char *policy, size_t policy_len, const char *params, uint64_t from,
                   socloss_replay_cb cb, void *ud, size_t *differ) {
  WRITE(led, replay_run(led, policy, policy_len, params, from, cb, ud, NULL, differ));
}

int socloss_replay_progress(socloss *led, const char *policy, size_t policy_len, const char *params, uint64_t from,
                            socloss_replay_cb cb, void *ud, const socloss_progress *progress, size_t *differ) {
  if (progress && progress->size < sizeof *progress)
    return err_fail(SOCLOSS_EINVAL, "progress: size is %zu, not sizeof (socloss_progress) = %zu", progress->size,
                    sizeof *progress);
  WRITE(led, replay_run(led, policy, policy_len, params, from, cb, ud, progress, differ));
}

int socloss_simulate(socloss *led, const char *policy, size_t policy_len, const char *params, const char *account,
                     const char *shock_market, int64_t shock_ppm, socloss_sim_result *out) {
  socloss_sim_options o;
  socloss_sim_options_init(&o);
  o.policy = policy;
  o.policy_len = policy_len;
  o.params = params;
  o.account = account;
  o.shock_market = shock_market;
  o.shock_ppm = shock_ppm;
  WRITE(led, simulate_run(led, &o, out));
}

int socloss_simulate_with(socloss *led, const socloss_sim_options *o, socloss_sim_result *out) {
  WRITE(led, simulate_run(led, o, out));
}

int socloss_simulate_many(socloss *led, const socloss_sim_options *const *opts, size_t n, unsigned threads,
                          socloss_sim_result *out, int *codes) {
  WRITE(led, simulate_many_run(led, opts, n, threads, out, codes));
}

/* ---- units -------------------------------------------------------------- */

int socloss_units_get(socloss *led, socloss_units *out) { READ(led, units_get_run(led, out)); }

int socloss_units_set(socloss *led, const socloss_units *in) { WRITE(led, units_set_run(led, in)); }

int socloss_lots(socloss *led, socloss_lot_cb cb, void *ud) { READ(led, lots_run(led, cb, ud)); }

int socloss_lot_get(socloss *led, const char *market, socloss_lot *out) {
  READ(led, lot_get_run(led, market, out));
}
