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
#include "ledger.h"
#include "region.h"


/* The names the host gave policy sources (socloss_policy_source_name), by
 * hash: where their errors are located. */
#define SOURCE_NAMES 32
#define SOURCE_NAME_MAX 64   /* bytes of a name kept (a file's base name, printable ASCII) */
#define POLICY_WHERE_MAX (CODEC_ID_MAX + 12)  /* "name@version", or a source name */

typedef struct evaluator {
  pid_t pid;     /* 0: not running */
  int fd;        /* our end of the socket */
  char path[4096];
  log_sink log;   /* optional */
  uint64_t space; /* the address space (RLIMIT_AS) it was given, 0: none yet */
  /* A rule written in C that answers in place of the process (set only by
   * bench/, to measure what the isolation costs); it fills rs and may point
   * rs->actions at memory the caller then frees. */
  void (*native)(const eval_request *rq, eval_response *rs);
  /* The interpreter that answered last ("" before any answer): what a
   * replay compares the recorded ones with. */
  char lua_release[CODEC_ID_MAX + 1], build_id[CODEC_ID_MAX + 1];
  int started;        /* it was started once */
  uint64_t restarts;  /* started again since (atomic: socloss_stats_get reads it without the lock) */
  struct {
    char hash[65], name[SOURCE_NAME_MAX + 1];
  } names[SOURCE_NAMES];
  unsigned next_name;  /* the slot the next new name takes (the oldest goes) */
  /* The candidates' columns go to the evaluator through a shared region
   * (docs/design.md §8) it was started with, or, on the copying path, in
   * the request's frame.  copy: 1 for the copying path, chosen at
   * evaluator_init by SOCLOSS_EVAL_COPY (set and not "0"), and taken for
   * good when the region cannot be made or passed (no memfd_create, no
   * /proc).  A region too small for a request is replaced by a larger one
   * and the evaluator restarted with it; generation numbers what the
   * region holds, one more for each request written into it. */
  int copy;
  region shm;
  uint64_t generation;
  int shm_given;  /* the running evaluator was started with shm */
  /* evaluator_place handed out the region's memory (pinned): a region
   * replaced meanwhile is kept mapped in `held` until the next
   * evaluator_place or evaluator_stop, so that what was built there stays
   * readable */
  int pinned;
  region held;
  /* The ledger's real path ("": none, as for a scratch ledger): a region
   * made for it is kept for the next handle on it when this one closes,
   * and a region kept so is taken (region_keep, evaluator_close). */
  char owner[4096];
} evaluator;

typedef struct policy_src {
  const char *source;
  size_t len;
  char name[CODEC_ID_MAX + 1];
  char hash[65];           /* SHA-256 of the source, hex */
  int has_deleverage, has_haircut;
  /* the evaluator that loaded it (its probe's answer): recorded with what it decides */
  char lua_release[CODEC_ID_MAX + 1], build_id[CODEC_ID_MAX + 1];
  /* where its errors are located, "pro_rata.lua" in "pro_rata.lua:3: ..."
   * (policy_locate; "" until then) */
  char where[POLICY_WHERE_MAX + 1];
} policy_src;

void evaluator_init(evaluator *ev, const char *path);
/* The region's writable memory, at least `need` bytes (replaced by a larger
 * one first if it must be: the running evaluator is then restarted), for
 * the caller to build the next request's columns in (evalproto_encode_
 * request_shared names the columns that lie there where they lie instead
 * of copying them).  It stays mapped until the next evaluator_place or
 * evaluator_stop, whatever the calls between do with the region.  NULL:
 * no region (the copying path, or a native rule): build elsewhere. */
unsigned char *evaluator_place(evaluator *ev, uint64_t need);
/* Stops the process and lets its region go. */
void evaluator_stop(evaluator *ev);
/* The same, for a handle that closes: its region is kept for the next
 * handle on the same ledger (ev->owner; region_keep). */
void evaluator_close(evaluator *ev);

/* One call.  Returns 0 and fills rs (its actions point into *buf, which the
 * caller frees), or an EVAL_* status for a fault of the evaluator itself
 * (crash, deadline, unreadable answer) with rs->message saying what. */
int evaluator_call(evaluator *ev, const eval_request *rq, eval_response *rs, void **buf,
                   uint64_t *elapsed_us);

/* Loads a policy in the sandbox and checks its shape: name, functions.
 * SOCLOSS_EPOLICY with the message on the handle when it does not load. */
int policy_probe(struct socloss *led, policy_src *p, const eval_limits *limits);

/* The SHA-256 of a policy's source, hex: its identity in the registry. */
void policy_hash(const char *src, size_t len, char out[65]);

/* "policy 'name' (hash12): " or "policy: " before a failure message. */
void policy_label(const policy_src *p, char *out, size_t len);

/* Chooses where p's errors are located (p->where), and sets p->hash: the
 * name the host gave its source on this handle (a file's base name), else,
 * when t is given and its registry holds it, "name@version", else
 * "policy".  Only messages change: inside the sandbox the chunk is always
 * "policy", so what a policy computes from an error it caught is the same
 * whoever runs it (resolve, test, simulate, replay). */
void policy_locate(socloss *led, store_txn *t, policy_src *p);
/* The first of those alone (p->hash set): 1 when the host named it, else
 * p->where is "policy" and 0.  What policy_probe uses when p->where is "". */
int policy_named(const socloss *led, policy_src *p);
/* msg from the evaluator with its location relabelled: a leading
 * "policy:LINE:" (or the constants check's "policy: ") as p->where
 * gives it.  Returns out. */
const char *policy_where(const policy_src *p, const char *msg, char *out, size_t cap);
/* A failure message as the journal keeps it (out: cap bytes): the one path
 * of the host's a policy's failure can hold, the evaluator's program
 * ("cannot start the evaluator /usr/.../socloss-eval"), by its base name;
 * the journal names policies by name and hash, and says nothing of where
 * the host keeps its files.  Returns out. */
const char *policy_journal_text(const evaluator *ev, const char *msg, char *out, size_t cap);
/* socloss_policy_source_name: the base name of `name`, as printable ASCII,
 * kept for the source's hash. */
int policy_name_source_run(socloss *led, const char *source, size_t len, const char *name);
/* "name@version" of the registry's entry for hash_hex into out; 0, or
 * SOCLOSS_ENOTFOUND without a message. */
int registry_label(store_txn *t, const char hash_hex[65], char *out, size_t cap);

const char *eval_status_text(int status);

/* socloss_stats_get: the handle's counters, and its evaluator's restarts. */
int stats_get_run(struct socloss *led, socloss_stats *out);


/* Where socloss-eval is when the options do not say: $SOCLOSS_EVALUATOR
 * (not empty), else beside the image that holds this library, then in
 * ../libexec from it, then where it was installed. */
void evaluator_default_path(char *out, size_t len);

/* ---- limits (limits.c) and roles (settings.c) ----------------------------- */
extern const socloss_limits default_limits;
int read_limits(store_txn *t, socloss_limits *out);
/* The ledger's limits, tightened by the handle's options. */
int limits_for(socloss *led, store_txn *t, socloss_limits *out);
void limits_tighten(socloss *led, socloss_limits *l);
/* The same, read in a snapshot of its own. */
int limits_read(socloss *led, socloss_limits *out);
/* The stored active or fallback policy, the market's own if it has one
 * (market may be NULL); pointers into the snapshot. */
int read_policy(store_txn *t, int role, const char *market, const char **src, size_t *len,
                const char **params, size_t *plen);
/* Every role set, by role (active, fallback, shadow), ledger-wide first
 * then markets in id order (market "": ledger-wide); pointers into the
 * snapshot.  A callback's non-zero return stops the walk with that value. */
typedef int (*role_cb)(void *ud, int role, const char *market, const char *src, size_t len, const char *params,
                       size_t plen);
int roles_each(store_txn *t, role_cb cb, void *ud);
/* A params text is empty or a JSON object. */
int params_valid(const char *params);

int limits_get_run(socloss *led, socloss_limits *out);
int limits_set_run(socloss *led, const socloss_limits *in);
int policy_set_run(socloss *led, int role, const char *source, size_t len, const char *params_json);
int policy_activate_run(socloss *led, const char *ref, int role, const char *market, const char *params_json);
/* Every role change comes here (socloss_policy_role_set's manners). */
int role_set_run(socloss *led, const socloss_role_options *o, socloss_role_change *out);

/* ---- the registry (registry.c) ------------------------------------------- */
/* The registry keeps every policy that ever decided or was set: written
 * (with its journal record) when absent; _at with the time the host gave
 * (NULL or "": none). */
int registry_ensure(applier *a, const policy_src *p);
int registry_ensure_at(applier *a, const policy_src *p, const char *at);
/* The source of a registered policy by its hash; points into the snapshot. */
int registry_source(store_txn *t, const char hash_hex[65], const char **src, size_t *len);

int policy_add_run(socloss *led, const char *source, size_t len, const socloss_policy_add_options *o,
                   socloss_policy_info *out);
int policy_list_run(socloss *led, socloss_policy_cb cb, void *ud);
/* An entry as registry_each gives it: pointers into the transaction's
 * snapshot (the note is not NUL-terminated). */
typedef struct registry_entry {
  socloss_policy_info info;
  const char *note;
  size_t note_len;
  const char *at;
} registry_entry;
typedef int (*registry_entry_cb)(void *ud, const registry_entry *e);
/* Every entry, in hash order (ref NULL), or the one ref names (as
 * policy_find_run, with its refusals), in t. */
int registry_each(store_txn *t, const char *ref, registry_entry_cb cb, void *ud);

/* ---- the listing (roster.c): entries with their roles ---------------------- */
int policy_entries_run(socloss *led, const char *ref, socloss_policy_entry_cb cb, void *ud);
/* What the host says with a policy or a role change, checked before it is
 * kept (NULL or "": nothing said): a note is one line of UTF-8 text of at
 * most REGISTRY_NOTE_MAX bytes; a time is UTC, YYYY-MM-DDTHH:MM:SS[.F]Z. */
#define REGISTRY_NOTE_MAX 1024
int registry_note_check(const char *note);
int registry_time_check(const char *at);
/* The entry that ref (name, name@version or hash prefix) names, and its
 * source (malloc'd) when source is not NULL. */
int policy_find_run(socloss *led, const char *ref, socloss_policy_info *out, char **source);

#endif
