/*
 * simulate_int.h — what simulate.c (one run: its plan, its deficits, its
 * figures) shares with simulate_many.c (runs side by side, each on a
 * thread and a handle of its own): a run's state, made from its options,
 * run on a scratch copy of a snapshot, released.
 */
#ifndef SOCLOSS_SIMULATE_INT_H
#define SOCLOSS_SIMULATE_INT_H

#include <pthread.h>

#include "audit.h"

/* One step: its moves, then the bankrupt resolved, jointly or not. */
typedef struct sim_step {
  const socloss_shock *shocks;
  size_t n;
  int joint;
} sim_step;

typedef struct sim {
  socloss *led;
  const char *policy;
  size_t policy_len;
  const char *params;
  const char *account;        /* one deficit, or NULL: every bankrupt account */
  sim_step *steps;            /* none with an account; one for the shocks; a scenario's */
  size_t nsteps;
  int scenario;               /* the steps are a scenario's: messages name the step */
  socloss_shock *moves;       /* every step's moves, in order: mark x (1e6 + ppm) / 1e6 */
  socloss_sim_result *out;
  __int128 *paid;             /* what each account of ids paid (its own array: a crash adds to it ~100,000 times a deficit) */
  size_t n, cap;
  size_t nb;
  const char *split;          /* second run: this account split in two first */
  int no_split;               /* the options': no second run */
  char twin[CODEC_ID_MAX + 1];
  char top[CODEC_ID_MAX + 1]; /* the account that paid most */
  __int128 top_charge, pair_charge;
  const market_list *ml;      /* during a run */
  int joint;                  /* the shock's bankruptcies as one joint event */
  int64_t fund_before;        /* the fund's cash before the current deficit */
  account_scan ids;           /* the accounts: ids, gross profit after the first step's moves */
  size_t hint;                /* find_acct: where the last one was found */
  const event_ctx *checked;   /* the event whose accounts were compared with ids (NULL: none yet) */
  int same;                   /* ... and they are the same: its indices are ids' */
  const socloss_progress *pg; /* NULL: none */
  const event_run *er;        /* the run's event: how many are bankrupt */
  size_t done_before;         /* deficits of the scenario's steps before this one */
  int stopped;                /* the callback said stop */
  int (*log)(void *ud, const char *deficit, const char *log);  /* the options' */
  int (*failed)(void *ud, const char *deficit, const char *cause);
  int (*charge)(void *ud, const char *account, int64_t charge, int64_t profit);
  int (*each_account)(void *ud, const char *account, int64_t charge, int64_t profit);
  void *log_ud;
  pthread_mutex_t *cb;        /* runs side by side: held around every callback (NULL: alone) */
} sim;

/* The run's plan from its options (checked), into s; sim_release frees it
 * whatever this returned. */
int sim_prepare(socloss *led, const socloss_sim_options *opts, socloss_sim_result *out, sim *s);
void sim_release(sim *s);
/* The run on scratch, a copy of the snapshot (s->led's store or not): the
 * deficits, then the split test unless s->no_split; *s->out its figures. */
int sim_runs(sim *s, store *scratch);
/* The snapshot's every table copied into scratch (a store_write function). */
int sim_copy_snapshot(store_txn *scratch, void *snapshot);

#endif
