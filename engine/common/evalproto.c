#include "evalproto.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

void evalproto_encode_request(codec_buf *b, const eval_request *rq) {
  const eval_columns *c = &rq->c;
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
  /* the event: its id, then which of its two columns follow */
  const eval_event *e = &rq->event;
  codec_buf_blob(b, e->id, e->id ? e->id_len : 0);
  codec_buf_u8(b, (e->profit0 ? 1u : 0u) | (e->charged ? 2u : 0u));
  if (e->profit0) put_column(b, e->profit0, c->n);
  if (e->charged) put_column(b, e->charged, c->n);
  /* a joint haircut call: the bankrupt accounts and their holes */
  const eval_joint *j = &rq->joint;
  codec_buf_u32(b, (uint32_t)j->naccounts);
  if (j->naccounts) {
    codec_buf_blob(b, j->ids, j->off[j->naccounts]);
    codec_buf_align8(b);
    codec_buf_raw(b, j->off, (j->naccounts + 1) * sizeof *j->off);
    put_column(b, j->hole, j->naccounts);
  }
}

static const int64_t *get_column(codec_reader *r, size_t n) {
  codec_rd_align8(r);
  if (n > SIZE_MAX / 8) {
    r->bad = 1;
    return NULL;
  }
  return codec_rd_raw(r, n * sizeof(int64_t));
}

int evalproto_decode_request(const void *data, size_t len, eval_request *rq, eval_market *markets,
                             size_t markets_cap) {
  codec_reader r = {data, len, 0, 0};
  memset(rq, 0, sizeof *rq);
  if (codec_rd_u32(&r) != EVAL_REQUEST_MAGIC) return -1;
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
  if (rq->nmarkets > markets_cap) return -1;
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
  c->n = codec_rd_u32(&r);
  size_t idlen;
  c->ids = codec_rd_blob(&r, &idlen);
  codec_rd_align8(&r);
  c->off = codec_rd_raw(&r, (c->n + 1) * sizeof *c->off);
  c->balance = get_column(&r, c->n);
  c->equity = get_column(&r, c->n);
  c->upnl_total = get_column(&r, c->n);
  c->profit = get_column(&r, c->n);
  c->stride = c->n;
  c->size = get_column(&r, c->n * rq->nmarkets);
  c->cost = get_column(&r, c->n * rq->nmarkets);
  c->upnl = get_column(&r, c->n * rq->nmarkets);
  eval_event *e = &rq->event;
  e->id = codec_rd_blob(&r, &e->id_len);
  if (!e->id_len) e->id = NULL;
  unsigned given = codec_rd_u8(&r);
  if (given & ~3u) return -1;
  if (given & 1u) e->profit0 = get_column(&r, c->n);
  if (given & 2u) e->charged = get_column(&r, c->n);
  eval_joint *j = &rq->joint;
  j->naccounts = codec_rd_u32(&r);
  size_t jlen = 0;
  if (j->naccounts) {
    j->ids = codec_rd_blob(&r, &jlen);
    codec_rd_align8(&r);
    j->off = codec_rd_raw(&r, (j->naccounts + 1) * sizeof *j->off);
    j->hole = get_column(&r, j->naccounts);
  }
  if (r.bad || r.pos != r.len) return -1;
  if (j->naccounts) {
    if (j->off[0] != 0 || j->off[j->naccounts] != jlen) return -1;
    for (size_t i = 0; i < j->naccounts; i++)
      if (j->off[i + 1] <= j->off[i] || j->off[i + 1] - j->off[i] > CODEC_ID_MAX) return -1;
  }
  /* offsets must rise within the id bytes: the columns are then safe to use */
  if (c->off[0] != 0 || c->off[c->n] != idlen) return -1;
  for (size_t i = 0; i < c->n; i++)
    if (c->off[i + 1] <= c->off[i] || c->off[i + 1] - c->off[i] > CODEC_ID_MAX) return -1;
  return 0;
}

void evalproto_encode_response(codec_buf *b, const eval_response *rs) {
  codec_buf_u32(b, EVAL_RESPONSE_MAGIC);
  codec_buf_u32(b, (uint32_t)rs->status);
  codec_buf_blob(b, rs->message, strlen(rs->message));
  codec_buf_str(b, rs->name);
  codec_buf_u8(b, (unsigned)rs->has_deleverage);
  codec_buf_u8(b, (unsigned)rs->has_haircut);
  put_i64(b, (int64_t)rs->instructions);
  codec_buf_u32(b, (uint32_t)rs->nactions);
  codec_buf_align8(b);
  codec_buf_raw(b, rs->actions, rs->nactions * sizeof *rs->actions);
  codec_buf_blob(b, rs->data, rs->data_len);
  codec_buf_str(b, rs->lua_release);
  codec_buf_str(b, rs->build_id);
  codec_buf_blob(b, rs->log, rs->log_len < EVAL_LOG_MAX ? rs->log_len : EVAL_LOG_MAX);
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

int evalproto_read_frame(int fd, void **buf, size_t *len) {
  uint64_t n;
  int rc = read_all(fd, &n, sizeof n);
  if (rc) return rc;
  if (n > EVAL_MESSAGE_MAX) return -1;
  void *p = malloc(n ? n : 1);
  if (!p) return -1;
  if (read_all(fd, p, n)) {
    free(p);
    return -1;
  }
  *buf = p;
  *len = n;
  return 0;
}
