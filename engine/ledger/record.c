/*
 * record.c — the journal record format: one record per event.
 *
 *   u8 version (1) | u8 type | fields of that type, in this order:
 *     market    market, mark
 *     deposit   account, amount         withdraw  account, amount
 *     trade     market, buyer, seller, size, price
 *     fund      amount
 *     account   account, amount (opening balance)
 *     position  account, market, size, price (entry price)
 *   strings are u8 length + bytes, integers 8 bytes big-endian.
 *
 * The record is the event itself, so replaying the records from an empty
 * ledger rebuilds the state through the same code that built it.
 */
#include <jansson.h>
#include <string.h>

#include "internal.h"

#define RECORD_VERSION 1

int record_type(const void *p, size_t len) {
  const unsigned char *b = p;
  return len >= 2 && b[0] == RECORD_VERSION ? b[1] : -1;
}

const char *event_type_name(int type) {
  switch (type) {
    case SOCLOSS_EV_MARKET: return "market";
    case SOCLOSS_EV_DEPOSIT: return "deposit";
    case SOCLOSS_EV_WITHDRAW: return "withdraw";
    case SOCLOSS_EV_TRADE: return "trade";
    case SOCLOSS_EV_FUND: return "fund";
    case EV_ACCOUNT: return "account";
    case EV_POSITION: return "position";
    default: return NULL;
  }
}

void record_encode(codec_buf *b, const socloss_event *e) {
  /* a listing replays as a market event: on the replayed state the market
   * is new either way */
  int type = e->type == EV_LISTING ? SOCLOSS_EV_MARKET : e->type;
  codec_buf_u8(b, RECORD_VERSION);
  codec_buf_u8(b, (unsigned)type);
  switch (type) {
    case SOCLOSS_EV_MARKET:
      codec_buf_str(b, e->market);
      codec_buf_i64(b, e->mark);
      break;
    case SOCLOSS_EV_DEPOSIT:
    case SOCLOSS_EV_WITHDRAW:
    case EV_ACCOUNT:
      codec_buf_str(b, e->account);
      codec_buf_i64(b, e->amount);
      break;
    case SOCLOSS_EV_TRADE:
      codec_buf_str(b, e->market);
      codec_buf_str(b, e->buyer);
      codec_buf_str(b, e->seller);
      codec_buf_i64(b, e->size);
      codec_buf_i64(b, e->price);
      break;
    case SOCLOSS_EV_FUND:
      codec_buf_i64(b, e->amount);
      break;
    case EV_POSITION:
      codec_buf_str(b, e->account);
      codec_buf_str(b, e->market);
      codec_buf_i64(b, e->size);
      codec_buf_i64(b, e->price);
      break;
  }
}

int record_decode(const void *p, size_t len, socloss_event *e, record_ids *ids) {
  codec_reader r = {p, len, 0, 0};
  memset(e, 0, sizeof *e);
  if (codec_rd_u8(&r) != RECORD_VERSION) return -1;
  e->type = (int)codec_rd_u8(&r);
  e->market = ids->market;
  e->account = ids->account;
  e->buyer = ids->buyer;
  e->seller = ids->seller;
  ids->market[0] = ids->account[0] = ids->buyer[0] = ids->seller[0] = 0;
  switch (e->type) {
    case SOCLOSS_EV_MARKET:
      codec_rd_str(&r, ids->market);
      e->mark = codec_rd_i64(&r);
      break;
    case SOCLOSS_EV_DEPOSIT:
    case SOCLOSS_EV_WITHDRAW:
    case EV_ACCOUNT:
      codec_rd_str(&r, ids->account);
      e->amount = codec_rd_i64(&r);
      break;
    case SOCLOSS_EV_TRADE:
      codec_rd_str(&r, ids->market);
      codec_rd_str(&r, ids->buyer);
      codec_rd_str(&r, ids->seller);
      e->size = codec_rd_i64(&r);
      e->price = codec_rd_i64(&r);
      break;
    case SOCLOSS_EV_FUND:
      e->amount = codec_rd_i64(&r);
      break;
    case EV_POSITION:
      codec_rd_str(&r, ids->account);
      codec_rd_str(&r, ids->market);
      e->size = codec_rd_i64(&r);
      e->price = codec_rd_i64(&r);
      break;
    default:
      return -1;
  }
  return r.bad || r.pos != r.len ? -1 : 0;
}

char *record_json(uint64_t seq, const socloss_event *e) {
  json_t *o = json_object();
  if (!o) return NULL;
  json_object_set_new(o, "seq", json_integer((json_int_t)seq));
  json_object_set_new(o, "type", json_string(event_type_name(e->type)));
  switch (e->type) {
    case SOCLOSS_EV_MARKET:
      json_object_set_new(o, "market", json_string(e->market));
      json_object_set_new(o, "mark", json_integer(e->mark));
      break;
    case SOCLOSS_EV_DEPOSIT:
    case SOCLOSS_EV_WITHDRAW:
    case SOCLOSS_EV_FUND:
      if (e->type != SOCLOSS_EV_FUND) json_object_set_new(o, "account", json_string(e->account));
      json_object_set_new(o, "amount", json_integer(e->amount));
      break;
    case EV_ACCOUNT:
      json_object_set_new(o, "account", json_string(e->account));
      json_object_set_new(o, "balance", json_integer(e->amount));
      break;
    case SOCLOSS_EV_TRADE:
      json_object_set_new(o, "market", json_string(e->market));
      json_object_set_new(o, "buyer", json_string(e->buyer));
      json_object_set_new(o, "seller", json_string(e->seller));
      json_object_set_new(o, "size", json_integer(e->size));
      json_object_set_new(o, "price", json_integer(e->price));
      break;
    case EV_POSITION:
      json_object_set_new(o, "account", json_string(e->account));
      json_object_set_new(o, "market", json_string(e->market));
      json_object_set_new(o, "size", json_integer(e->size));
      json_object_set_new(o, "entry_price", json_integer(e->price));
      break;
  }
  char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
  json_decref(o);
  return text;
}
