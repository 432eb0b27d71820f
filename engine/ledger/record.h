/*
 * record.h — the journal's record format, written down once: every kind of
 * record in one table, and their encoders and decoders (record.c for the
 * events and the records that change no state, record_deficit.c for
 * resolutions).  Nothing else builds or parses record bytes.
 *
 * Every record is  u8 version | u8 kind | the kind's fields;  strings are
 * u8 length + bytes, blobs u32 length + bytes, integers 8 bytes big-endian.
 */
#ifndef SOCLOSS_RECORD_H
#define SOCLOSS_RECORD_H

#include <jansson.h>
#include <stdint.h>
#include <string.h>

#include "bytes.h"
#include "socloss.h"

/* X(NAME, code, "json type", changes_state)
 *  - the events of socloss.h keep their public numbers;
 *  - an import writes ACCOUNT and POSITION rows, and a new market as a
 *    MARKET record (LISTING is the import's own event, never journaled);
 *  - the rest are written by resolutions and settings. */
#define RECORD_KINDS(X)                                  \
  X(MARKET, SOCLOSS_EV_MARKET, "market", 1)              \
  X(DEPOSIT, SOCLOSS_EV_DEPOSIT, "deposit", 1)           \
  X(WITHDRAW, SOCLOSS_EV_WITHDRAW, "withdraw", 1)        \
  X(TRADE, SOCLOSS_EV_TRADE, "trade", 1)                 \
  X(FUND, SOCLOSS_EV_FUND, "fund", 1)                    \
  X(ACCOUNT, 100, "account", 1)                          \
  X(POSITION, 101, "position", 1)                        \
  X(LISTING, 102, "market", 1)                           \
  X(DEFICIT, 110, "deficit", 1)                          \
  X(DEFICIT_FAILED, 111, "deficit_failed", 0)            \
  X(POLICY, 112, "policy", 0)                            \
  X(LIMITS, 113, "limits", 0)                            \
  X(POLICY_ADD, 114, "policy_added", 0)                  \
  X(SHADOW, 115, "shadow", 0)                            \
  X(EVENT_JOINT, 116, "event", 1)                        \
  X(UNITS, 117, "units", 0)                              \
  X(LOT, 118, "lot", 0)

enum {
#define RECORD_ENUM_(name, code, json, changes) EV_##name = code,
  RECORD_KINDS(RECORD_ENUM_)
#undef RECORD_ENUM_
};

/* The kind of a record's bytes, or -1 when they are not a record. */
int record_type(const void *p, size_t len);
/* The "type" of a kind in JSON, or NULL for an unknown kind. */
const char *record_kind_name(int kind);
/* Records that change no state (failures, settings, the registry, shadows). */
int record_is_aux(int kind);

/* {"seq": seq, "type": type, ...body} as compact text (malloc'd); takes body. */
char *record_json_with_seq(uint64_t seq, const char *type, json_t *body);

/* Adds "evaluator": {"lua": RELEASE, "build": ID} to a record's JSON, when
 * the record names the evaluator that decided (older ones do not). */
void record_json_evaluator(json_t *o, const char *lua_release, const char *build_id);

/* The policy roles, by SOCLOSS_POLICY_*: "active", "fallback", "shadow". */
extern const char *const record_role_name[3];

/* ---- events (and the import's rows) ------------------------------------ */

/* The strings a decoded event points into. */
typedef struct record_ids {
  char market[CODEC_ID_MAX + 1], account[CODEC_ID_MAX + 1];
  char buyer[CODEC_ID_MAX + 1], seller[CODEC_ID_MAX + 1];
} record_ids;

void record_encode(codec_buf *b, const socloss_event *e);
int record_decode(const void *p, size_t len, socloss_event *e, record_ids *ids);
/* Compact JSON text of an event record (malloc'd), NULL when out of memory. */
char *record_json(uint64_t seq, const socloss_event *e);

/* ---- records that change no state --------------------------------------
 * failure  blob id | str account | str policy name | str hash | str stage | blob cause |
 *          [newer records: str lua release | str build id]
 * shadow   blob id | str account | str policy name | str hash | u8 same | str differs_in | blob decision
 * policy   u8 role | str name | str hash | blob params |
 *          [since per-market roles: str market ("" = ledger-wide)] |
 *          [when the host gave a time: str at]
 * limits   i64 instructions | i64 memory | i64 wall_ms | i64 fund_max_draw
 * policy_added  str name | u32 version | str hash |
 *          [when the host gave a note or a time: blob note | str at]
 * units    str asset | u8 decimals          (the ledger's units, set before any state)
 * lot      str market | i64 m | u8 scale | str underlying   (a market's lot,
 *          m x 10^-scale units of the underlying, written with its listing)
 * The bracketed fields were added at the end, each only when there is
 * something to say: a record without them is byte for byte the older
 * format, and a decoder reads them only when bytes are left. */
void record_failure_encode(codec_buf *b, const char *id, const char *account, const char *name,
                           const char *hash, const char *stage, const char *cause, const char *lua_release,
                           const char *build_id);
void record_shadow_encode(codec_buf *b, const char *id, size_t id_len, const char *account, const char *name,
                          const char *hash, const char *differs_in, const char *decision);
/* at: the time the host gave ("" or NULL: none) */
void record_policy_encode(codec_buf *b, int role, const char *name, const char *hash, const char *params,
                          const char *market, const char *at);
void record_limits_encode(codec_buf *b, const int64_t v[4]);
int record_limits_decode(const void *p, size_t len, int64_t v[4]);
void record_policy_add_encode(codec_buf *b, const char *name, uint32_t version, const char *hash,
                              const char *note, const char *at);
void record_units_encode(codec_buf *b, const char *asset, int decimals);
void record_lot_encode(codec_buf *b, const char *market, uint64_t m, int scale, const char *underlying);
/* JSON of one of them (malloc'd), or NULL when the bytes are not one. */
char *aux_record_json(uint64_t seq, const void *p, size_t len);

/* ---- resolutions --------------------------------------------------------- */

#define DEFICIT_MARKETS_MAX 256

typedef struct deficit_market {
  char market[CODEC_ID_MAX + 1];
  int64_t size, cost, mark;
  int64_t bankruptcy_price;  /* for people: mark +- d / |size| rounded toward the mark, clamped */
  int64_t deficit;           /* d: this market's share of the deficit (rules 2) */
} deficit_market;

/* Ids are (pointer, length) into the candidate set or the record bytes. */
typedef struct dl_action {
  const char *holder;
  uint32_t len, market;
  uint32_t index;   /* in the candidate set, or UINT32_MAX (a replay) */
  uint32_t at;      /* in the event's accounts (event_ctx.all), or UINT32_MAX: unknown */
  int64_t size;
  uint32_t share;   /* basis points of the bankruptcy transfer (rules 2) */
  int64_t transfer; /* atoms moved from the holder to the bankrupt account (rules 2) */
} dl_action;

typedef struct hc_action {
  const char *account;
  uint32_t len;
  uint32_t index;
  uint32_t at;      /* as dl_action's */
  int64_t amount;
} hc_action;

/* The money rules a record was written under; a record is replayed and
 * checked under its own.
 *   1  a close trades at the bankruptcy price rounded toward the mark (the
 *      dust falls to the fund, the haircuts and bad debt); a haircut comes
 *      out of the balance; the fund's cap is the ledger's current one.
 *   2  a close trades at mark and moves the exact bankruptcy transfer
 *      (docs/design.md §5); a close never lowers a holder's equity below
 *      zero (or below where it was); a haircut comes out of profit first;
 *      the fund's cap in force is recorded. */
#define DEFICIT_RULES 2

typedef struct deficit_rec {
  int rules;        /* 1 or 2: see above */
  const char *id;
  size_t id_len;
  char account[CODEC_ID_MAX + 1];
  int64_t equity;
  char policy_name[CODEC_ID_MAX + 1];
  char policy_hash[65];
  const char *params;
  size_t params_len;
  size_t nm;
  deficit_market mk[DEFICIT_MARKETS_MAX];
  const char *event;    /* the event's id ("" for none), not NUL-terminated */
  size_t event_len;
  char lua_release[CODEC_ID_MAX + 1];  /* the evaluator that decided ("" unknown) */
  char build_id[CODEC_ID_MAX + 1];
  int64_t fund_max_draw;               /* the cap in force (rules 2), 0: none */
  size_t ndl;
  dl_action *dl;
  int64_t take[DEFICIT_MARKETS_MAX];  /* lots taken over by the fund, per market */
  int64_t fund_draw;
  size_t nhc;
  const hc_action *hc;
  int64_t bad_debt;
  uint64_t instructions, policy_us;
} deficit_rec;

static inline void copy_id(char out[CODEC_ID_MAX + 1], const char *p, size_t len) {
  if (len > CODEC_ID_MAX) len = CODEC_ID_MAX;
  memcpy(out, p, len);
  out[len] = 0;
}

void deficit_encode(codec_buf *b, const deficit_rec *d);
/* Decodes into d (which points into p) and malloc'd action arrays that
 * deficit_rec_free releases. */
int deficit_decode(const void *p, size_t len, deficit_rec *d);
void deficit_rec_free(deficit_rec *d);

/* A joint crash event: steps 1-4 of each bankrupt account (a deficit record
 * each, with no haircuts of its own), one set of haircuts for the combined
 * shortfall, and what they covered of each account's hole (credit; its bad
 * debt is the rest).
 *   u8 rules | u8 kind | blob event | str policy name | str hash | blob params |
 *   str lua release | str build id | i64 fund cap | u32 parts x (blob deficit
 *   record | i64 credit) | u32 haircuts x (id account | i64 amount) | u64 x 2 budget */
typedef struct joint_rec {
  int rules;
  const char *event;
  size_t event_len;
  char policy_name[CODEC_ID_MAX + 1];
  char policy_hash[65];
  const char *params;
  size_t params_len;
  char lua_release[CODEC_ID_MAX + 1];
  char build_id[CODEC_ID_MAX + 1];
  int64_t fund_max_draw;
  size_t nparts;
  deficit_rec *parts;
  int64_t *credit;
  size_t nhc;
  hc_action *hc;
  uint64_t instructions, policy_us;
} joint_rec;

void joint_encode(codec_buf *b, const joint_rec *j);
/* Decodes into j (which points into p) and malloc'd arrays that
 * joint_rec_free releases. */
int joint_decode(const void *p, size_t len, joint_rec *j);
void joint_rec_free(joint_rec *j);

#endif
