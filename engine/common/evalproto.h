/*
 * evalproto.h — the messages between the ledger process and the policy
 * evaluator process (socloss-eval).  One request, one response, each framed
 * by an 8-byte length.  The bulk of a request is the candidates, sent as
 * columns (8-byte aligned int64 arrays), never as one record per candidate.
 * Both processes are the same build on the same machine, so arrays travel
 * in native byte order; the parent trusts nothing it reads back.
 */
#ifndef SOCLOSS_EVALPROTO_H
#define SOCLOSS_EVALPROTO_H

#include <stddef.h>
#include <stdint.h>

#include "bytes.h"

#define EVAL_REQUEST_MAGIC 0x534c5131u   /* "SLQ1" */
#define EVAL_RESPONSE_MAGIC 0x534c5231u  /* "SLR1" */
#define EVAL_MESSAGE_MAX ((uint64_t)1 << 31)
#define EVAL_SOURCE_MAX (256 * 1024)
#define EVAL_TEXT_MAX 512                 /* longest message returned */
#define EVAL_DATA_MAX (1 << 20)           /* the most JSON a test file's data may be: the host parses it */
/* What one call may log (socloss.log): its entries, each ended by a
 * newline, within EVAL_LOG_BUDGET bytes; past it the entry is cut and one
 * line, EVAL_LOG_CUT, says so.  EVAL_LOG_MAX is the most an answer carries. */
#define EVAL_LOG_BUDGET 4096
#define EVAL_LOG_CUT "[log truncated: this call's 4096 bytes are spent]\n"
#define EVAL_LOG_MAX (EVAL_LOG_BUDGET + 64)
/* A response's every field but its actions, its data and its log, with
 * room to spare for fields to come: with EVAL_LOG_MAX, the part of the
 * longest legitimate answer that does not grow with the request
 * (evalproto_response_max). */
#define EVAL_ANSWER_FIXED 4096

enum eval_fn {
  EVAL_FN_PROBE = 1,       /* load the policy, check its shape */
  EVAL_FN_DELEVERAGE = 2,
  EVAL_FN_HAIRCUT = 3,
  EVAL_FN_DATA = 4         /* run a chunk that returns data (a policy test
                              file) and answer it as JSON */
};

enum eval_status {
  EVAL_OK = 0,
  EVAL_LOAD = 1,          /* does not compile, or the returned table has the wrong shape */
  EVAL_ERROR = 2,         /* raised an error */
  EVAL_INSTRUCTIONS = 3,  /* instruction budget exceeded */
  EVAL_MEMORY = 4,        /* memory budget exceeded */
  EVAL_TIME = 5,          /* wall-clock budget exceeded (in the evaluator) */
  EVAL_RESULT = 6,        /* returned something that is not a list of actions */
  EVAL_CRASH = 7,         /* the evaluator died (set by the parent) */
  EVAL_KILLED = 8,        /* the parent killed it at the deadline */
  EVAL_PROTOCOL = 9,      /* unreadable answer (set by the parent) */
  EVAL_MISSING = 10       /* the evaluator program could not be started: not
                             there, not executable (set by the parent) */
};

typedef struct eval_limits {
  uint64_t instructions;  /* VM instructions per call */
  uint64_t memory;        /* bytes the Lua allocator may hold */
  uint64_t wall_ms;       /* milliseconds per call */
} eval_limits;

typedef struct eval_market {
  char market[CODEC_ID_MAX + 1];
  int64_t size, cost, mark, bankruptcy_price;
  int64_t deficit;          /* d: this market's share of A's deficit (step 1) */
} eval_market;

/* Columns of n candidates (every account but A, positions or not) in
 * account-id order; per-market columns are market-major: size[m * n + i].
 * profit is each one's gross unrealized profit, Σ max(upnl, 0) over all its
 * positions: the evaluator's profit0 when the request carries no event. */
typedef struct eval_columns {
  size_t n;
  size_t stride;            /* distance between markets in size/cost/upnl (>= n) */
  const char *ids;          /* id i is ids[off[i] .. off[i + 1]) */
  const uint32_t *off;      /* n + 1 offsets */
  const int64_t *balance, *equity, *upnl_total, *profit;
  const int64_t *size, *cost, *upnl;
} eval_columns;

/* The crash event a deficit belongs to.  A lone deficit is an event of one:
 * id NULL (the deficit id stands for it), profit0 the current gross profit,
 * charged zeros; the evaluator fills in what the host leaves out. */
typedef struct eval_event {
  const char *id;           /* NULL or "": the deficit id */
  size_t id_len;
  const int64_t *profit0;   /* n entries: gross profit when the event began, or NULL */
  const int64_t *charged;   /* n entries: what the event took from each so far, or NULL */
} eval_event;

/* A joint event's one haircut call: the bankrupt accounts and what each
 * still lacks after steps 1-4 (naccounts 0: not a joint call). */
typedef struct eval_joint {
  size_t naccounts;
  const char *ids;          /* account i is ids[off[i] .. off[i + 1]) */
  const uint32_t *off;      /* naccounts + 1 offsets */
  const int64_t *hole;      /* naccounts entries */
} eval_joint;

typedef struct eval_request {
  int fn;
  eval_limits limits;
  const char *source;
  size_t source_len;
  const char *params;       /* JSON object text, may be empty */
  size_t params_len;
  const char *deficit_id;
  size_t deficit_id_len;
  char account[CODEC_ID_MAX + 1];
  int64_t equity, shortfall, fund_cash;
  int64_t fund_max_draw;    /* the per-deficit draw cap, 0: none */
  size_t nmarkets;
  const eval_market *markets;
  eval_columns c;
  eval_event event;
  eval_joint joint;
} eval_request;

#define EVAL_SHARE_FULL 10000  /* a close's share of its bankruptcy transfer, in basis points */

/* An action: index into the candidates; market index for a deleverage
 * (0 for a haircut); value = lots to close or atoms to charge; share = the
 * basis points (0..10000) of its bankruptcy transfer a close carries (0 for
 * a haircut).  pad keeps the bytes on the wire defined. */
typedef struct eval_action {
  uint32_t index, market;
  int64_t value;
  uint32_t share, pad;
} eval_action;

typedef struct eval_response {
  int status;
  char message[EVAL_TEXT_MAX + 1];
  char name[CODEC_ID_MAX + 1];
  int has_deleverage, has_haircut;
  uint64_t instructions;
  size_t nactions;
  const eval_action *actions;   /* into the decoded buffer, or owned by the writer */
  const char *data;             /* EVAL_FN_DATA: JSON text (not NUL-terminated) */
  size_t data_len;
  /* The interpreter that answered: Lua's release ("Lua 5.4.4") and the
   * build id, the SHA-256 of the evaluator's executable (hex; "" when it
   * could not read itself).  In every answer; the host records the probe's
   * with each decision. */
  char lua_release[CODEC_ID_MAX + 1];
  char build_id[CODEC_ID_MAX + 1];
  /* What the policy logged in this call (socloss.log), whatever its status:
   * entries each ended by '\n', escaped by the evaluator, tamed again by
   * the decoder (no control character but the newlines, valid UTF-8).
   * Never an input to a decision: the host only shows it. */
  char log[EVAL_LOG_MAX + 1];
  size_t log_len;
} eval_response;

/* The most actions an answer to rq can hold: each candidate once per market
 * (a close) or once (a charge), and one more.  A longer list is refused
 * whoever built it, the policy or a helper. */
size_t evalproto_actions_max(const eval_request *rq);
/* The longest answer rq can legitimately get, in bytes: the fixed fields,
 * a full log, its most actions, and for a test file EVAL_DATA_MAX of data.  The host
 * refuses a frame announced longer before it allocates anything. */
uint64_t evalproto_response_max(const eval_request *rq);

void evalproto_encode_request(codec_buf *b, const eval_request *rq);
/* The request's pointers point into `data`, which must stay alive. */
int evalproto_decode_request(const void *data, size_t len, eval_request *rq, eval_market *markets,
                             size_t markets_cap);

/* ---- the shared region (docs/design.md §8, "The columns, shared") ----------
 * The candidates' columns of a request may travel in a region of memory the
 * host writes and the evaluator maps read-only (a sealed memfd), instead of
 * in the frame.  The region opens with a header (EVAL_REGION_HEADER bytes:
 * the magic, then the generation of what it holds); the request then
 * carries the same generation, the row count and, per column, an offset
 * into the region and a length, which the evaluator checks against the size
 * of its mapping before it makes any column.  Everything else (the fixed
 * fields, the markets, the event's id, a joint event's accounts) stays in
 * the frame. */
#define EVAL_REGION_MAGIC 0x534c4d31u  /* "SLM1" */
#define EVAL_REGION_HEADER 64          /* the header's bytes; the columns follow, each 64-byte aligned */
#define EVAL_REGION_COLUMNS 11         /* ids, off, balance, equity, upnl_total, profit, size, cost, upnl,
                                          profit0, charged */

/* The bytes a region (base, size; NULL, 0: none yet) needs to hold rq's
 * columns, header included: those the host built in the region itself
 * stay where they are, the others go after them. */
uint64_t evalproto_region_need(const eval_request *rq, const unsigned char *base, size_t size);
/* Where a region's columns go for at most cap rows of nmarkets markets
 * (stride cap) and ids_cap bytes of ids, both event columns included:
 * each slot's offset into at[] (ids, off, balance, equity, upnl_total,
 * profit, size, cost, upnl, profit0, charged); returns the bytes needed. */
uint64_t evalproto_region_plan(uint64_t cap, uint64_t nmarkets, uint64_t ids_cap, uint64_t at[EVAL_REGION_COLUMNS]);
/* Writes rq's columns into the region (base, size: the host's writable
 * mapping; fd: its memfd, or -1) under `generation` and the request,
 * naming them, into b: a column that lies in the region already (built
 * there, 8-byte aligned after the header; size/cost/upnl with stride n or
 * of one market) is named where it lies, the others are copied past them,
 * with pwrite into fd when there is one (no page of the host's mapping
 * touched: docs/design.md §8), else through the mapping.  -1 when the
 * region is smaller than evalproto_region_need(rq, base, size), or fd
 * refused a write. */
int evalproto_encode_request_shared(codec_buf *b, const eval_request *rq, unsigned char *base, size_t size, int fd,
                                    uint64_t generation);
/* evalproto_decode_request for a request that may name columns in the
 * region (base, size: the evaluator's read-only mapping; NULL, 0: none).
 * On -1, why (when not NULL) says what was wrong, in at most whylen bytes. */
int evalproto_decode_request_in(const void *data, size_t len, eval_request *rq, eval_market *markets,
                                size_t markets_cap, const unsigned char *base, size_t size, char *why,
                                size_t whylen);
void evalproto_encode_response(codec_buf *b, const eval_response *rs);
int evalproto_decode_response(const void *data, size_t len, eval_response *rs);

/* Framed I/O on a blocking descriptor: 8-byte length, then the bytes. */
int evalproto_write_frame(int fd, const void *p, size_t len);
/* Reads one frame into *buf (malloc'd).  0 ok, 1 clean end of input, -1 error. */
int evalproto_read_frame(int fd, void **buf, size_t *len);
/* rs as one frame on fd (its length, then evalproto_encode_response's
 * bytes), the actions written from where they are: 0, or -1 (no memory, or
 * the write failed). */
int evalproto_write_response(int fd, const eval_response *rs);

#endif
