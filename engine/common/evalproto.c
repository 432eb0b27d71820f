#include "evalproto.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blocks.h"
#include "text.h"

static void put_i64(codec_buf *b, int64_t v) { codec_buf_i64(b, v); }

size_t evalproto_actions_max(const eval_request *rq) {
  size_t per = rq->nmarkets ? rq->nmarkets : 1;  /* both below 2^32 on the wire: the product fits 64 bits */
  return rq->c.n * per + 1;
}

uint64_t evalproto_response_max(const eval_request *rq) {
  uint64_t data = rq->fn == EVAL_FN_DATA ? EVAL_DATA_MAX : 0;
  return EVAL_ANSWER_FIXED + EVAL_LOG_MAX + (uint64_t)evalproto_actions_max(rq) * sizeof(eval_action) + data;
}

static void put_column(codec_buf *b, const int64_t *v, size_t n) {
  codec_buf_align8(b);
  codec_buf_raw(b, v, n * sizeof *v);
}

/* Everything before the columns: the same in both forms. */
static void encode_head(codec_buf *b, const eval_request *rq) {
  codec_buf_u32(b, EVAL_REQUEST_MAGIC);
  codec_buf_u32(b, (uint32_t)rq->fn);
  put_i64(b, (int64_t)rq->limits.instructions);
  put_i64(b, (int64_t)rq->limits.memory);
  put_i64(b, (int64_t)rq->limits.wall_ms);
  codec_buf_blob(b, rq->source, rq->source_len);
  codec_buf_blob(b, rq->params, rq->params_len);
  codec_buf_blob(b, rq->deficit_id, rq->deficit_id_len);
  codec_buf_str(b, rq->account);
  put_i64(b, rq->equity);
  put_i64(b, rq->shortfall);
  put_i64(b, rq->fund_cash);
  put_i64(b, rq->fund_max_draw);
  codec_buf_u32(b, (uint32_t)rq->nmarkets);
  for (size_t m = 0; m < rq->nmarkets; m++) {
    const eval_market *mk = &rq->markets[m];
    codec_buf_str(b, mk->market);
    put_i64(b, mk->size);
    put_i64(b, mk->cost);
    put_i64(b, mk->mark);
    put_i64(b, mk->bankruptcy_price);
    put_i64(b, mk->deficit);
  }
}

/* The event's id and which of its columns are given; a joint call's
 * accounts.  After the columns, in both forms. */
static void encode_event_id(codec_buf *b, const eval_request *rq) {
  const eval_event *e = &rq->event;
  codec_buf_blob(b, e->id, e->id ? e->id_len : 0);
  codec_buf_u8(b, (e->profit0 ? 1u : 0u) | (e->charged ? 2u : 0u));
}

static void encode_joint(codec_buf *b, const eval_request *rq) {
  const eval_joint *j = &rq->joint;
  codec_buf_u32(b, (uint32_t)j->naccounts);
  if (j->naccounts) {
    codec_buf_blob(b, j->ids, j->off[j->naccounts]);
    codec_buf_align8(b);
    codec_buf_raw(b, j->off, (j->naccounts + 1) * sizeof *j->off);
    put_column(b, j->hole, j->naccounts);
  }
}

enum { COLS_INLINE = 0, COLS_SHARED = 1 };

void evalproto_encode_request(codec_buf *b, const eval_request *rq) {
  const eval_columns *c = &rq->c;
  encode_head(b, rq);
  codec_buf_u8(b, COLS_INLINE);
  codec_buf_u32(b, (uint32_t)c->n);
  codec_buf_blob(b, c->ids, c->n ? c->off[c->n] : 0);
  codec_buf_align8(b);
  codec_buf_raw(b, c->off, (c->n + 1) * sizeof *c->off);
  put_column(b, c->balance, c->n);
  put_column(b, c->equity, c->n);
  put_column(b, c->upnl_total, c->n);
  put_column(b, c->profit, c->n);
  const int64_t *per_market[3] = {c->size, c->cost, c->upnl};
  for (int k = 0; k < 3; k++) {
    codec_buf_align8(b);
    for (size_t m = 0; m < rq->nmarkets; m++) codec_buf_raw(b, per_market[k] + m * c->stride, c->n * sizeof(int64_t));
  }
  encode_event_id(b, rq);
  const eval_event *e = &rq->event;
  if (e->profit0) put_column(b, e->profit0, c->n);
  if (e->charged) put_column(b, e->charged, c->n);
  encode_joint(b, rq);
}

/* ---- the columns in the shared region ---------------------------------- */

enum { SLOT_IDS, SLOT_OFF, SLOT_BALANCE, SLOT_EQUITY, SLOT_UPNL_TOTAL, SLOT_PROFIT, SLOT_SIZE, SLOT_COST,
       SLOT_UPNL, SLOT_PROFIT0, SLOT_CHARGED };
static const char *const slot_name[EVAL_REGION_COLUMNS] = {
    "account", "offsets", "balance", "equity", "upnl_total", "profit", "size", "cost", "upnl",
    "event.profit0", "event.charged"};

/* The bytes slot k holds for n rows of nmarkets markets (k != SLOT_IDS;
 * given: which event columns the request has).  n < 2^32 and nmarkets
 * < 2^32: no product overflows 64 bits. */
static uint64_t slot_bytes(int k, uint64_t n, uint64_t nmarkets, unsigned given) {
  switch (k) {
    case SLOT_OFF: return (n + 1) * sizeof(uint32_t);
    case SLOT_SIZE: case SLOT_COST: case SLOT_UPNL: return n * nmarkets * sizeof(int64_t);
    case SLOT_PROFIT0: return given & 1u ? n * sizeof(int64_t) : 0;
    case SLOT_CHARGED: return given & 2u ? n * sizeof(int64_t) : 0;
    default: return n * sizeof(int64_t);
  }
}

static uint64_t up64(uint64_t v) { return (v + 63) & ~(uint64_t)63; }

static unsigned event_given(const eval_request *rq) {
  return (rq->event.profit0 ? 1u : 0u) | (rq->event.charged ? 2u : 0u);
}

static uint64_t ids_bytes(const eval_request *rq) { return rq->c.n ? rq->c.off[rq->c.n] : 0; }

uint64_t evalproto_region_plan(uint64_t cap, uint64_t nmarkets, uint64_t ids_cap, uint64_t at[EVAL_REGION_COLUMNS]) {
  uint64_t end = EVAL_REGION_HEADER;
  for (int k = 0; k < EVAL_REGION_COLUMNS; k++) {
    at[k] = end;
    end += up64(k == SLOT_IDS ? ids_cap : slot_bytes(k, cap, nmarkets ? nmarkets : 1, 3u));
  }
  return end;
}

/* Where each column lies in the region when the host built it there
 * (evalproto_region_plan): its offset in place[k] (0: elsewhere, to be
 * copied); the size/cost/upnl columns only with the region's stride (n, or
 * one market); *free_at where copies may go, past every column in place. */
static void in_place(const eval_request *rq, const unsigned char *base, size_t size, const void *const *from,
                     const uint64_t *len, uint64_t *place, uint64_t *free_at) {
  uintptr_t b = (uintptr_t)base;
  *free_at = EVAL_REGION_HEADER;
  for (int k = 0; k < EVAL_REGION_COLUMNS; k++) {
    uintptr_t q = (uintptr_t)from[k];
    int market_major = k >= SLOT_SIZE && k <= SLOT_UPNL;
    place[k] = 0;
    if (!base || !from[k] || !len[k] || q < b + EVAL_REGION_HEADER || q - b > size || len[k] > size - (q - b) ||
        (q - b) % 8 || (market_major && rq->nmarkets > 1 && rq->c.stride != rq->c.n))
      continue;
    place[k] = q - b;
    if (up64(place[k] + len[k]) > *free_at) *free_at = up64(place[k] + len[k]);
  }
}

static void slot_lengths(const eval_request *rq, uint64_t *len) {
  unsigned given = event_given(rq);
  for (int k = 0; k < EVAL_REGION_COLUMNS; k++)
    len[k] = k == SLOT_IDS ? ids_bytes(rq) : slot_bytes(k, rq->c.n, rq->nmarkets, given);
}

static void columns_from(const eval_request *rq, const void **from) {
  const eval_columns *c = &rq->c;
  const void *f[EVAL_REGION_COLUMNS] = {c->ids,  c->off,  c->balance, c->equity,          c->upnl_total,
                                        c->profit, c->size, c->cost,  c->upnl, rq->event.profit0, rq->event.charged};
  memcpy(from, f, sizeof f);
}

uint64_t evalproto_region_need(const eval_request *rq, const unsigned char *base, size_t size) {
  const void *from[EVAL_REGION_COLUMNS];
  uint64_t len[EVAL_REGION_COLUMNS], place[EVAL_REGION_COLUMNS], at;
  columns_from(rq, from);
  slot_lengths(rq, len);
  in_place(rq, base, size, from, len, place, &at);
  for (int k = 0; k < EVAL_REGION_COLUMNS; k++)
    if (!place[k]) at += up64(len[k]);
  return at;
}

/* len bytes of src at offset `at` of the region: written into the memfd fd
 * when there is one (the kernel copies into the file's pages: none of them
 * mapped in the host), else through the mapping.  -1 when the file refuses
 * them (no memory for its pages). */
static int put_at(int fd, unsigned char *base, uint64_t at, const void *src, size_t len) {
  if (fd < 0) {
    memcpy(base + at, src, len);
    return 0;
  }
  const unsigned char *p = src;
  while (len) {
    ssize_t w = pwrite(fd, p, len, (off_t)at);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    p += w;
    at += (uint64_t)w;
    len -= (size_t)w;
  }
  return 0;
}

int evalproto_encode_request_shared(codec_buf *b, const eval_request *rq, unsigned char *base, size_t size, int fd,
                                    uint64_t generation) {
  const eval_columns *c = &rq->c;
  if (!base || evalproto_region_need(rq, base, size) > size) return -1;
  const void *from[EVAL_REGION_COLUMNS];
  uint64_t len[EVAL_REGION_COLUMNS], place[EVAL_REGION_COLUMNS], at;
  columns_from(rq, from);
  slot_lengths(rq, len);
  in_place(rq, base, size, from, len, place, &at);
  encode_head(b, rq);
  codec_buf_u8(b, COLS_SHARED);
  codec_buf_u32(b, (uint32_t)c->n);
  put_i64(b, (int64_t)generation);
  for (int k = 0; k < EVAL_REGION_COLUMNS; k++) {
    if (place[k]) {  /* built where it lies: named, not copied */
      put_i64(b, (int64_t)place[k]);
      put_i64(b, (int64_t)len[k]);
      continue;
    }
    if (k >= SLOT_SIZE && k <= SLOT_UPNL) {
      /* market-major with the host's stride; stride n in the region */
      for (size_t m = 0; m < rq->nmarkets && c->n; m++)
        if (put_at(fd, base, at + m * c->n * sizeof(int64_t), (const int64_t *)from[k] + m * c->stride,
                   c->n * sizeof(int64_t)))
          return -1;
    } else if (len[k] && put_at(fd, base, at, from[k], len[k])) {
      return -1;
    }
    put_i64(b, (int64_t)at);
    put_i64(b, (int64_t)len[k]);
    at += up64(len[k]);
  }
  /* the header last: the generation says the columns before it are written */
  uint32_t magic = EVAL_REGION_MAGIC, zero = 0;
  memcpy(base, &magic, 4);
  memcpy(base + 4, &zero, 4);
  memcpy(base + 8, &generation, 8);
  encode_event_id(b, rq);
  encode_joint(b, rq);
  return 0;
}

static const int64_t *get_column(codec_reader *r, size_t n) {
  codec_rd_align8(r);
  if (n > SIZE_MAX / 8) {
    r->bad = 1;
    return NULL;
  }
  return codec_rd_raw(r, n * sizeof(int64_t));
}

#define WHY(...) (why ? (void)snprintf(why, whylen, __VA_ARGS__) : (void)0, -1)

/* The columns a request names in the region, each checked against the
 * mapping before any pointer is made from it: 8-byte aligned, after the
 * header, wholly inside the mapping, and exactly as long as its rows make
 * it (the ids: any length inside; their offsets are checked later). */
static int shared_columns(codec_reader *r, eval_request *rq, const unsigned char *base, size_t size,
                          const void **at, uint64_t *len, char *why, size_t whylen) {
  uint64_t generation = (uint64_t)codec_rd_i64(r);
  uint64_t off[EVAL_REGION_COLUMNS];
  for (int k = 0; k < EVAL_REGION_COLUMNS; k++) {
    off[k] = (uint64_t)codec_rd_i64(r);
    len[k] = (uint64_t)codec_rd_i64(r);
  }
  if (r->bad) return WHY("the request is cut short");
  if (!base) return WHY("the request names columns in a shared region, and this evaluator has none");
  uint32_t magic;
  uint64_t held;
  if (size < EVAL_REGION_HEADER) return WHY("the shared region of %zu bytes is smaller than its header", size);
  memcpy(&magic, base, 4);
  memcpy(&held, base + 8, 8);
  if (magic != EVAL_REGION_MAGIC) return WHY("the shared region does not begin with its magic");
  if (held != generation)
    return WHY("the request names generation %llu of the shared region, which holds %llu",
               (unsigned long long)generation, (unsigned long long)held);
  for (int k = 0; k < EVAL_REGION_COLUMNS; k++) {
    if (off[k] % 8 || off[k] < EVAL_REGION_HEADER)
      return WHY("column '%s' at offset %llu is not an 8-byte aligned place after the region's header",
                 slot_name[k], (unsigned long long)off[k]);
    if (off[k] > size || len[k] > size - off[k])
      return WHY("column '%s' (bytes %llu to %llu) lies outside the %zu-byte shared region", slot_name[k],
                 (unsigned long long)off[k], (unsigned long long)(off[k] + len[k]), size);
    at[k] = base + off[k];
  }
  for (int k = SLOT_OFF; k < SLOT_PROFIT0; k++) {
    uint64_t want = slot_bytes(k, rq->c.n, rq->nmarkets, 0);
    if (len[k] != want)
      return WHY("column '%s' is %llu bytes, not the %llu its %zu rows take", slot_name[k],
                 (unsigned long long)len[k], (unsigned long long)want, rq->c.n);
  }
  /* the event's two: their lengths against its flags, which come later in
   * the frame (the caller) */
  return 0;
}

int evalproto_decode_request(const void *data, size_t len, eval_request *rq, eval_market *markets,
                             size_t markets_cap) {
  return evalproto_decode_request_in(data, len, rq, markets, markets_cap, NULL, 0, NULL, 0);
}

int evalproto_decode_request_in(const void *data, size_t len, eval_request *rq, eval_market *markets,
                                size_t markets_cap, const unsigned char *base, size_t size, char *why,
                                size_t whylen) {
  codec_reader r = {data, len, 0, 0};
  memset(rq, 0, sizeof *rq);
  if (why && whylen) why[0] = 0;
  if (codec_rd_u32(&r) != EVAL_REQUEST_MAGIC) return WHY("not a request");
  rq->fn = (int)codec_rd_u32(&r);
  rq->limits.instructions = (uint64_t)codec_rd_i64(&r);
  rq->limits.memory = (uint64_t)codec_rd_i64(&r);
  rq->limits.wall_ms = (uint64_t)codec_rd_i64(&r);
  rq->source = codec_rd_blob(&r, &rq->source_len);
  rq->params = codec_rd_blob(&r, &rq->params_len);
  rq->deficit_id = codec_rd_blob(&r, &rq->deficit_id_len);
  codec_rd_str(&r, rq->account);
  rq->equity = codec_rd_i64(&r);
  rq->shortfall = codec_rd_i64(&r);
  rq->fund_cash = codec_rd_i64(&r);
  rq->fund_max_draw = codec_rd_i64(&r);
  rq->nmarkets = codec_rd_u32(&r);
  if (rq->nmarkets > markets_cap) return WHY("more markets than the evaluator holds");
  for (size_t m = 0; m < rq->nmarkets; m++) {
    eval_market *mk = &markets[m];
    codec_rd_str(&r, mk->market);
    mk->size = codec_rd_i64(&r);
    mk->cost = codec_rd_i64(&r);
    mk->mark = codec_rd_i64(&r);
    mk->bankruptcy_price = codec_rd_i64(&r);
    mk->deficit = codec_rd_i64(&r);
  }
  rq->markets = markets;
  eval_columns *c = &rq->c;
  unsigned form = codec_rd_u8(&r);
  c->n = codec_rd_u32(&r);
  c->stride = c->n;
  size_t idlen = 0;
  const void *at[EVAL_REGION_COLUMNS] = {0};
  uint64_t slen[EVAL_REGION_COLUMNS] = {0};
  if (form == COLS_INLINE) {
    c->ids = codec_rd_blob(&r, &idlen);
    codec_rd_align8(&r);
    c->off = codec_rd_raw(&r, (c->n + 1) * sizeof *c->off);
    c->balance = get_column(&r, c->n);
    c->equity = get_column(&r, c->n);
    c->upnl_total = get_column(&r, c->n);
    c->profit = get_column(&r, c->n);
    c->size = get_column(&r, c->n * rq->nmarkets);
    c->cost = get_column(&r, c->n * rq->nmarkets);
    c->upnl = get_column(&r, c->n * rq->nmarkets);
  } else if (form == COLS_SHARED) {
    if (shared_columns(&r, rq, base, size, at, slen, why, whylen)) return -1;
    idlen = (size_t)slen[SLOT_IDS];
    c->ids = at[SLOT_IDS];
    c->off = at[SLOT_OFF];
    c->balance = at[SLOT_BALANCE];
    c->equity = at[SLOT_EQUITY];
    c->upnl_total = at[SLOT_UPNL_TOTAL];
    c->profit = at[SLOT_PROFIT];
    c->size = at[SLOT_SIZE];
    c->cost = at[SLOT_COST];
    c->upnl = at[SLOT_UPNL];
  } else {
    return WHY("unknown form of columns %u", form);
  }
  eval_event *e = &rq->event;
  e->id = codec_rd_blob(&r, &e->id_len);
  if (!e->id_len) e->id = NULL;
  unsigned given = codec_rd_u8(&r);
  if (given & ~3u) return WHY("unknown event flags %u", given);
  if (form == COLS_INLINE) {
    if (given & 1u) e->profit0 = get_column(&r, c->n);
    if (given & 2u) e->charged = get_column(&r, c->n);
  } else {
    for (int k = SLOT_PROFIT0; k <= SLOT_CHARGED; k++) {
      uint64_t got = slen[k], want = slot_bytes(k, c->n, 0, given);
      if (got != want)
        return WHY("column '%s' is %llu bytes, not the %llu its %zu rows take", slot_name[k],
                   (unsigned long long)got, (unsigned long long)want, c->n);
    }
    if (given & 1u) e->profit0 = at[SLOT_PROFIT0];
    if (given & 2u) e->charged = at[SLOT_CHARGED];
  }
  eval_joint *j = &rq->joint;
  j->naccounts = codec_rd_u32(&r);
  size_t jlen = 0;
  if (j->naccounts) {
    j->ids = codec_rd_blob(&r, &jlen);
    codec_rd_align8(&r);
    j->off = codec_rd_raw(&r, (j->naccounts + 1) * sizeof *j->off);
    j->hole = get_column(&r, j->naccounts);
  }
  if (r.bad || r.pos != r.len) return WHY("the request's frame is not as long as its fields");
  if (j->naccounts) {
    if (j->off[0] != 0 || j->off[j->naccounts] != jlen) return WHY("the joint accounts' offsets are wrong");
    for (size_t i = 0; i < j->naccounts; i++)
      if (j->off[i + 1] <= j->off[i] || j->off[i + 1] - j->off[i] > CODEC_ID_MAX)
        return WHY("the joint accounts' offsets are wrong");
  }
  /* offsets must rise within the id bytes: the columns are then safe to use
   * (in the region too: only the host writes it, and never during a call) */
  if (c->off[0] != 0 || c->off[c->n] != idlen) return WHY("the account ids' offsets are wrong");
  for (size_t i = 0; i < c->n; i++)
    if (c->off[i + 1] <= c->off[i] || c->off[i + 1] - c->off[i] > CODEC_ID_MAX)
      return WHY("the account ids' offsets are wrong");
  return 0;
}

/* A response is its head (up to the actions, 8-byte aligned from the
 * frame's start), the actions as they are, and its tail. */
static void response_head(codec_buf *b, const eval_response *rs) {
  codec_buf_u32(b, EVAL_RESPONSE_MAGIC);
  codec_buf_u32(b, (uint32_t)rs->status);
  codec_buf_blob(b, rs->message, strlen(rs->message));
  codec_buf_str(b, rs->name);
  codec_buf_u8(b, (unsigned)rs->has_deleverage);
  codec_buf_u8(b, (unsigned)rs->has_haircut);
  put_i64(b, (int64_t)rs->instructions);
  codec_buf_u32(b, (uint32_t)rs->nactions);
  codec_buf_align8(b);
}

static void response_tail(codec_buf *b, const eval_response *rs) {
  codec_buf_blob(b, rs->data, rs->data_len);
  codec_buf_str(b, rs->lua_release);
  codec_buf_str(b, rs->build_id);
  codec_buf_blob(b, rs->log, rs->log_len < EVAL_LOG_MAX ? rs->log_len : EVAL_LOG_MAX);
}

void evalproto_encode_response(codec_buf *b, const eval_response *rs) {
  response_head(b, rs);
  codec_buf_raw(b, rs->actions, rs->nactions * sizeof *rs->actions);
  response_tail(b, rs);
}

int evalproto_decode_response(const void *data, size_t len, eval_response *rs) {
  codec_reader r = {data, len, 0, 0};
  memset(rs, 0, sizeof *rs);
  if (codec_rd_u32(&r) != EVAL_RESPONSE_MAGIC) return -1;
  rs->status = (int)codec_rd_u32(&r);
  size_t mlen;
  const char *msg = codec_rd_blob(&r, &mlen);
  if (mlen > EVAL_TEXT_MAX) mlen = EVAL_TEXT_MAX;
  if (msg) memcpy(rs->message, msg, mlen);
  rs->message[mlen] = 0;
  codec_rd_str(&r, rs->name);
  rs->has_deleverage = codec_rd_u8(&r) != 0;
  rs->has_haircut = codec_rd_u8(&r) != 0;
  rs->instructions = (uint64_t)codec_rd_i64(&r);
  rs->nactions = codec_rd_u32(&r);
  codec_rd_align8(&r);
  rs->actions = codec_rd_raw(&r, rs->nactions * sizeof *rs->actions);
  rs->data = codec_rd_blob(&r, &rs->data_len);
  codec_rd_str(&r, rs->lua_release);
  codec_rd_str(&r, rs->build_id);
  size_t llen;
  const char *log = codec_rd_blob(&r, &llen);
  if (r.bad || r.pos != r.len || llen > EVAL_LOG_MAX) return -1;
  if (llen) memcpy(rs->log, log, llen);
  rs->log[llen] = 0;
  rs->log_len = llen;
  /* the log is shown as it is: only its newlines may be control characters */
  text_tame(rs->log, llen, 1);
  /* the message is shown to people: no control characters; the release
   * and the build id are journaled as JSON strings: printable ASCII */
  for (char *p = rs->message; *p; p++)
    if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f) *p = '?';
  char *names[] = {rs->lua_release, rs->build_id};
  for (int k = 0; k < 2; k++)
    for (char *p = names[k]; *p; p++)
      if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e) *p = '?';
  return 0;
}

static int write_all(int fd, const void *p, size_t n) {
  const char *c = p;
  while (n) {
    ssize_t w = write(fd, c, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    c += w;
    n -= (size_t)w;
  }
  return 0;
}

static int read_all(int fd, void *p, size_t n) {
  char *c = p;
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, c + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return -1;
    if (r == 0) return got == 0 ? 1 : -1;
    got += (size_t)r;
  }
  return 0;
}

int evalproto_write_frame(int fd, const void *p, size_t len) {
  uint64_t n = len;
  return write_all(fd, &n, sizeof n) || write_all(fd, p, len) ? -1 : 0;
}

/* The same bytes as evalproto_encode_response then evalproto_write_frame,
 * without copying the actions into the frame first (a 1M-row haircut
 * answer is 24 MB of them). */
int evalproto_write_response(int fd, const eval_response *rs) {
  codec_buf head = {0}, tail = {0};
  response_head(&head, rs);
  response_tail(&tail, rs);
  size_t acts = rs->nactions * sizeof *rs->actions;
  uint64_t n = (uint64_t)head.len + acts + tail.len;
  int rc = head.oom || tail.oom || write_all(fd, &n, sizeof n) || write_all(fd, head.p, head.len) ||
                   (acts && write_all(fd, rs->actions, acts)) || write_all(fd, tail.p, tail.len)
               ? -1
               : 0;
  codec_buf_free(&head);
  codec_buf_free(&tail);
  return rc;
}

int evalproto_read_frame(int fd, void **buf, size_t *len) {
  uint64_t n;
  int rc = read_all(fd, &n, sizeof n);
  if (rc) return rc;
  if (n > EVAL_MESSAGE_MAX) return -1;
  void *p = blocks_malloc(n ? n : 1);
  if (!p) return -1;
  if (read_all(fd, p, n)) {
    free(p);
    return -1;
  }
  *buf = p;
  *len = n;
  return 0;
}
