/*
 * policy.h — the ledger process's side of the policy runtime: the evaluator
 * process (started on first use, reused, killed at a deadline and started
 * again after any fault) and the calls made to it.  No Lua here.
 */
#ifndef SOCLOSS_POLICY_H
#define SOCLOSS_POLICY_H

#include <sys/types.h>

#include "err.h"
#include "evalproto.h"

struct socloss;

typedef struct evaluator {
  pid_t pid;     /* 0: not running */
  int fd;        /* our end of the socket */
  char path[4096];
  log_sink log;   /* optional */
  /* A rule written in C that answers in place of the process (set only by
   * bench/, to measure what the isolation costs); it fills rs and may point
   * rs->actions at memory the caller then frees. */
  void (*native)(const eval_request *rq, eval_response *rs);
} evaluator;

typedef struct policy_src {
  const char *source;
  size_t len;
  char name[CODEC_ID_MAX + 1];
  char hash[65];           /* SHA-256 of the source, hex */
  int has_deleverage, has_haircut;
} policy_src;

void evaluator_init(evaluator *ev, const char *path);
void evaluator_stop(evaluator *ev);

/* One call.  Returns 0 and fills rs (its actions point into *buf, which the
 * caller frees), or an EVAL_* status for a fault of the evaluator itself
 * (crash, deadline, unreadable answer) with rs->message saying what. */
int evaluator_call(evaluator *ev, const eval_request *rq, eval_response *rs, void **buf,
                   uint64_t *elapsed_us);

/* Loads a policy in the sandbox and checks its shape: name, functions.
 * SOCLOSS_EPOLICY with the message on the handle when it does not load. */
int policy_probe(struct socloss *led, policy_src *p, const eval_limits *limits);

/* "policy 'name' (hash12): " or "policy: " before a failure message. */
void policy_label(const policy_src *p, char *out, size_t len);

const char *eval_status_text(int status);

#endif
