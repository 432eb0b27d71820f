/*
 * audit.h — reading the ledger back and judging it: the journal as JSON,
 * the invariants and the state digest (check.c), the deficits decided again
 * (replay.c), and dry runs of a crash under other policies (simulate.c).
 * The gate (api/) calls these *_run functions under the handle's lock.
 */
#ifndef SOCLOSS_AUDIT_H
#define SOCLOSS_AUDIT_H

#include "resolve.h"

int journal_run(socloss *led, uint64_t from, socloss_record_cb cb, void *ud);
/* A scratch ledger (store_open_scratch) where check, replay and simulate
 * work, each only reading the ledger; its map starts large (scratch.c). */
int audit_scratch(socloss *led, store **out);
/* The scratch's first map size for a ledger whose map is ledger_map (scratch.c). */
uint64_t audit_scratch_map(uint64_t ledger_map, uint64_t map_max);

/* threads: 2 replays the journal beside the scan, 1 after it (the two must
 * agree: test_check); progress may be NULL. */
int check_run(socloss *led, const socloss_progress *progress, int threads, socloss_check_report *rep);
int state_digest_run(socloss *led, unsigned char out[32]);
int replay_run(socloss *led, const char *policy, size_t policy_len, const char *params, uint64_t from,
               socloss_replay_cb cb, void *ud, const socloss_progress *progress, size_t *differ);
int simulate_run(socloss *led, const socloss_sim_options *o, socloss_sim_result *out);
int simulate_many_run(socloss *led, const socloss_sim_options *const *opts, size_t n, unsigned threads,
                      socloss_sim_result *out, int *codes);

#endif
