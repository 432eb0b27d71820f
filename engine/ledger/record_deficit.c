/*
 * record_deficit.c — a resolution's journal record: everything a replay
 * needs to apply the same decision again (see record.h for the kinds).
 *
 *   u8 version | u8 kind | blob id | str account | i64 equity | str policy name |
 *   str hash | blob params | [2: blob event | str lua release | str build id |
 *   i64 fund cap] | u32 markets x (str market | i64 size, cost, mark,
 *   bankruptcy price | [2: i64 d] | i64 taken over) | u32 closes x (id holder |
 *   u32 market | i64 lots | [2: u32 share | i64 transfer]) | i64 fund draw |
 *   u32 haircuts x (id account | i64 amount) | i64 bad debt | u64 x 2 budget
 *
 * The version byte is the money rules the record was written under (record.h).
 */
#include <stdlib.h>
#include <string.h>

#include "record.h"

static const char *get_id(codec_reader *r, uint32_t *len) {
  *len = codec_rd_u8(r);
  if (*len == 0 || *len > CODEC_ID_MAX) r->bad = 1;
  return codec_rd_raw(r, *len);
}

/* Each haircut as an id (u8 length, bytes) and an i64, into room made once:
 * a crash's deficit names tens of thousands. */
static void put_haircuts(codec_buf *b, const hc_action *hc, size_t n) {
  size_t bytes = 0;
  for (size_t k = 0; k < n; k++) bytes += 1 + hc[k].len + 8;
  unsigned char *p = codec_buf_room(b, bytes);
  for (size_t k = 0; p && k < n; k++) {
    *p++ = (unsigned char)hc[k].len;
    memcpy(p, hc[k].account, hc[k].len);
    p += hc[k].len;
    codec_put_u64(p, (uint64_t)hc[k].amount);
    p += 8;
  }
}

/* Each close as an id (u8 length, bytes), its market (u32) and lots (i64),
 * then in a v2 record its share (u32) and transfer (i64), into room made
 * once, as the haircuts: an ADL queue may close every holder opposite. */
static void put_closes(codec_buf *b, const dl_action *dl, size_t n, int v2) {
  size_t bytes = 0;
  for (size_t k = 0; k < n; k++) bytes += 1 + dl[k].len + 4 + 8 + (v2 ? 4 + 8 : 0);
  unsigned char *p = codec_buf_room(b, bytes);
  for (size_t k = 0; p && k < n; k++) {
    *p++ = (unsigned char)dl[k].len;
    memcpy(p, dl[k].holder, dl[k].len);
    p += dl[k].len;
    codec_put_u32(p, dl[k].market);
    codec_put_u64(p + 4, (uint64_t)dl[k].size);
    p += 12;
    if (v2) {
      codec_put_u32(p, dl[k].share);
      codec_put_u64(p + 4, (uint64_t)dl[k].transfer);
      p += 12;
    }
  }
}

void deficit_encode(codec_buf *b, const deficit_rec *d) {
  int v2 = d->rules >= 2;
  codec_buf_u8(b, v2 ? 2 : 1);
  codec_buf_u8(b, EV_DEFICIT);
  codec_buf_blob(b, d->id, d->id_len);
  codec_buf_str(b, d->account);
  codec_buf_i64(b, d->equity);
  codec_buf_str(b, d->policy_name);
  codec_buf_str(b, d->policy_hash);
  codec_buf_blob(b, d->params, d->params_len);
  if (v2) {
    codec_buf_blob(b, d->event, d->event_len);
    codec_buf_str(b, d->lua_release);
    codec_buf_str(b, d->build_id);
    codec_buf_i64(b, d->fund_max_draw);
  }
  codec_buf_u32(b, (uint32_t)d->nm);
  for (size_t k = 0; k < d->nm; k++) {
    const deficit_market *m = &d->mk[k];
    codec_buf_str(b, m->market);
    codec_buf_i64(b, m->size);
    codec_buf_i64(b, m->cost);
    codec_buf_i64(b, m->mark);
    codec_buf_i64(b, m->bankruptcy_price);
    if (v2) codec_buf_i64(b, m->deficit);
    codec_buf_i64(b, d->take[k]);
  }
  codec_buf_u32(b, (uint32_t)d->ndl);
  put_closes(b, d->dl, d->ndl, v2);
  codec_buf_i64(b, d->fund_draw);
  codec_buf_u32(b, (uint32_t)d->nhc);
  put_haircuts(b, d->hc, d->nhc);
  codec_buf_i64(b, d->bad_debt);
  codec_buf_i64(b, (int64_t)d->instructions);
  codec_buf_i64(b, (int64_t)d->policy_us);
}

void deficit_rec_free(deficit_rec *d) {
  free((void *)d->dl);
  free((void *)d->hc);
  d->dl = NULL;
  d->hc = NULL;
}

int deficit_decode(const void *p, size_t len, deficit_rec *d) {
  codec_reader r = {p, len, 0, 0};
  memset(d, 0, sizeof *d);
  d->rules = (int)codec_rd_u8(&r);
  if ((d->rules != 1 && d->rules != 2) || codec_rd_u8(&r) != EV_DEFICIT) return -1;
  int v2 = d->rules >= 2;
  d->id = codec_rd_blob(&r, &d->id_len);
  codec_rd_str(&r, d->account);
  d->equity = codec_rd_i64(&r);
  codec_rd_str(&r, d->policy_name);
  char hash[CODEC_ID_MAX + 1];
  codec_rd_str(&r, hash);
  memcpy(d->policy_hash, hash, 64);
  d->policy_hash[64] = 0;
  d->params = codec_rd_blob(&r, &d->params_len);
  d->event = "";
  if (v2) {
    d->event = codec_rd_blob(&r, &d->event_len);
    codec_rd_str(&r, d->lua_release);
    codec_rd_str(&r, d->build_id);
    d->fund_max_draw = codec_rd_i64(&r);
  }
  d->nm = codec_rd_u32(&r);
  if (d->nm > DEFICIT_MARKETS_MAX) return -1;
  for (size_t k = 0; k < d->nm; k++) {
    deficit_market *m = &d->mk[k];
    codec_rd_str(&r, m->market);
    m->size = codec_rd_i64(&r);
    m->cost = codec_rd_i64(&r);
    m->mark = codec_rd_i64(&r);
    m->bankruptcy_price = codec_rd_i64(&r);
    if (v2) m->deficit = codec_rd_i64(&r);
    d->take[k] = codec_rd_i64(&r);
  }
  d->ndl = codec_rd_u32(&r);
  if (r.bad || d->ndl > len) return -1;
  dl_action *dl = malloc((d->ndl ? d->ndl : 1) * sizeof *dl);
  d->dl = dl;
  for (size_t k = 0; dl && k < d->ndl && !r.bad; k++) {
    dl[k].holder = get_id(&r, &dl[k].len);
    dl[k].market = codec_rd_u32(&r);
    dl[k].index = dl[k].at = UINT32_MAX;
    dl[k].size = codec_rd_i64(&r);
    dl[k].share = v2 ? codec_rd_u32(&r) : 10000;
    dl[k].transfer = v2 ? codec_rd_i64(&r) : 0;
  }
  d->fund_draw = codec_rd_i64(&r);
  d->nhc = codec_rd_u32(&r);
  if (r.bad || d->nhc > len) {
    deficit_rec_free(d);
    return -1;
  }
  hc_action *hc = malloc((d->nhc ? d->nhc : 1) * sizeof *hc);
  d->hc = hc;
  for (size_t k = 0; hc && k < d->nhc && !r.bad; k++) {
    hc[k].account = get_id(&r, &hc[k].len);
    hc[k].index = hc[k].at = UINT32_MAX;
    hc[k].amount = codec_rd_i64(&r);
  }
  d->bad_debt = codec_rd_i64(&r);
  d->instructions = (uint64_t)codec_rd_i64(&r);
  d->policy_us = (uint64_t)codec_rd_i64(&r);
  if (!dl || !hc || r.bad || r.pos != r.len) {
    deficit_rec_free(d);
    return -1;
  }
  return 0;
}


/* ---- joint events -------------------------------------------------------- */

void joint_encode(codec_buf *b, const joint_rec *j) {
  codec_buf_u8(b, (unsigned)j->rules);
  codec_buf_u8(b, EV_EVENT_JOINT);
  codec_buf_blob(b, j->event, j->event_len);
  codec_buf_str(b, j->policy_name);
  codec_buf_str(b, j->policy_hash);
  codec_buf_blob(b, j->params, j->params_len);
  codec_buf_str(b, j->lua_release);
  codec_buf_str(b, j->build_id);
  codec_buf_i64(b, j->fund_max_draw);
  codec_buf_u32(b, (uint32_t)j->nparts);
  for (size_t k = 0; k < j->nparts; k++) {
    codec_buf part = {0};
    deficit_encode(&part, &j->parts[k]);
    if (part.oom) b->oom = 1;
    codec_buf_blob(b, part.p, part.len);
    codec_buf_free(&part);
    codec_buf_i64(b, j->credit[k]);
  }
  codec_buf_u32(b, (uint32_t)j->nhc);
  put_haircuts(b, j->hc, j->nhc);
  codec_buf_i64(b, (int64_t)j->instructions);
  codec_buf_i64(b, (int64_t)j->policy_us);
}

void joint_rec_free(joint_rec *j) {
  for (size_t k = 0; j->parts && k < j->nparts; k++) deficit_rec_free(&j->parts[k]);
  free(j->parts);
  free(j->credit);
  free(j->hc);
  j->parts = NULL;
  j->credit = NULL;
  j->hc = NULL;
}

int joint_decode(const void *p, size_t len, joint_rec *j) {
  codec_reader r = {p, len, 0, 0};
  memset(j, 0, sizeof *j);
  j->rules = (int)codec_rd_u8(&r);
  if (j->rules != 2 || codec_rd_u8(&r) != EV_EVENT_JOINT) return -1;
  j->event = codec_rd_blob(&r, &j->event_len);
  codec_rd_str(&r, j->policy_name);
  char hash[CODEC_ID_MAX + 1];
  codec_rd_str(&r, hash);
  memcpy(j->policy_hash, hash, 64);
  j->policy_hash[64] = 0;
  j->params = codec_rd_blob(&r, &j->params_len);
  codec_rd_str(&r, j->lua_release);
  codec_rd_str(&r, j->build_id);
  j->fund_max_draw = codec_rd_i64(&r);
  j->nparts = codec_rd_u32(&r);
  if (r.bad || j->nparts > len) return -1;
  j->parts = calloc(j->nparts ? j->nparts : 1, sizeof *j->parts);
  j->credit = calloc(j->nparts ? j->nparts : 1, sizeof *j->credit);
  int bad = !j->parts || !j->credit;
  for (size_t k = 0; !bad && k < j->nparts; k++) {
    size_t n;
    const void *part = codec_rd_blob(&r, &n);
    bad = !part || deficit_decode(part, n, &j->parts[k]) || j->parts[k].nhc;
    j->credit[k] = codec_rd_i64(&r);
  }
  j->nhc = bad ? 0 : codec_rd_u32(&r);
  if (!bad && j->nhc <= len) {
    j->hc = malloc((j->nhc ? j->nhc : 1) * sizeof *j->hc);
    for (size_t k = 0; j->hc && k < j->nhc && !r.bad; k++) {
      j->hc[k].account = get_id(&r, &j->hc[k].len);
      j->hc[k].index = j->hc[k].at = UINT32_MAX;
      j->hc[k].amount = codec_rd_i64(&r);
    }
  }
  j->instructions = (uint64_t)codec_rd_i64(&r);
  j->policy_us = (uint64_t)codec_rd_i64(&r);
  if (bad || !j->hc || r.bad || r.pos != r.len) {
    joint_rec_free(j);
    return -1;
  }
  return 0;
}
