/*
 * closes.c — step 2's closes applied in bulk.  Each close is a trade of the
 * bankrupt account against a holder and, under rules 2, the exact transfer
 * from the holder; applied one by one (ledger_trade, then the transfer),
 * a million closes read and wrote the bankrupt account's balance and
 * position a million times each, and every holder's records a dozen times.
 *
 * Here each record is read once (a holder's from the candidate columns the
 * policy saw, when live), changed in memory close by close with each of
 * ledger_trade's checks made where it made them, with its messages
 * (ledger.h's trade pieces), and written once when every close has passed:
 * the accounts, then the positions, each table in key order through one
 * cursor.  A refusal writes nothing, as before: the caller's transaction
 * is thrown away with it.
 *
 * ledger_trade checks after each trade that both sides' equity (balance +
 * the upnl of every position, at the applier's marks, in 128 bits) still
 * fits int64.  Nothing is written until the end, so the store holds every
 * record as it was before the step: a side's equity is kept as its equity
 * then (the candidates' column, or read once) plus what the closes changed
 * of its balance and positions, which is the same 128-bit number.
 */
#include <stdlib.h>
#include <string.h>

#include "blocks.h"
#include "resolve_int.h"

int closes_in_bulk = 1;

void closes_free(closes *c) {
  free(c->slot);
  free(c->id);
  free(c->len);
  free(c->h);
  free(c->pos);
  memset(c, 0, sizeof *c);
}

int transfer_refused(const char *holder) {
  return err_fail(SOCLOSS_EOVERFLOW, "a balance overflows int64 in the transfer from '%s'", holder);
}

/* ---- slots: one per holder, in id order --------------------------------- */

typedef struct keyed {
  const char *p;  /* the id (by_id), or NULL (by index) */
  uint32_t len, index, k;
} keyed;

static int by_index(const void *a, const void *b) {
  const keyed *x = a, *y = b;
  if (x->index != y->index) return x->index < y->index ? -1 : 1;
  return (x->k > y->k) - (x->k < y->k);
}

/* The key order of LMDB's tables: bytes, then the shorter first. */
static int id_cmp(const char *a, size_t alen, const char *b, size_t blen) {
  int c = memcmp(a, b, alen < blen ? alen : blen);
  return c ? c : (alen > blen) - (alen < blen);
}

static int by_id(const void *a, const void *b) {
  const keyed *x = a, *y = b;
  int c = id_cmp(x->p, x->len, y->p, y->len);
  return c ? c : (x->k > y->k) - (x->k < y->k);
}

int closes_slots(step *s, closes *c) {
  const deficit_rec *d = s->d;
  size_t n = d->ndl, ns = 0;
  uint32_t *first = blocks_malloc((n ? n : 1) * sizeof *first);  /* per slot: one of its actions */
  c->slot = blocks_malloc((n ? n : 1) * sizeof *c->slot);
  if (!first || !c->slot) {
    free(first);
    return err_fail(SOCLOSS_ENOMEM, "out of memory");
  }
  /* live, every action names a candidate, and the candidates are in id
   * order: their indices are the order; a replay sorts the ids */
  int indexed = s->ncands > 0;
  for (size_t k = 0; indexed && k < n; k++) indexed = d->dl[k].index < s->ncands;
  if (indexed && n >= s->ncands / 8) {  /* most candidates close: a table of them */
    uint32_t *at = blocks_calloc(s->ncands, sizeof *at);
    if (!at) {
      free(first);
      return err_fail(SOCLOSS_ENOMEM, "out of memory");
    }
    for (size_t k = 0; k < n; k++) at[d->dl[k].index] = 1;
    for (size_t i = 0; i < s->ncands; i++)
      if (at[i]) at[i] = (uint32_t)++ns;
    for (size_t k = 0; k < n; k++) {
      c->slot[k] = at[d->dl[k].index] - 1;
      first[c->slot[k]] = (uint32_t)k;
    }
    free(at);
  } else {
    keyed *v = blocks_malloc((n ? n : 1) * sizeof *v);
    if (!v) {
      free(first);
      return err_fail(SOCLOSS_ENOMEM, "out of memory");
    }
    for (size_t k = 0; k < n; k++)
      v[k] = (keyed){indexed ? NULL : d->dl[k].holder, d->dl[k].len, d->dl[k].index, (uint32_t)k};
    qsort(v, n, sizeof *v, indexed ? by_index : by_id);
    for (size_t j = 0; j < n; j++) {
      if (j == 0 || (indexed ? v[j].index != v[j - 1].index : id_cmp(v[j].p, v[j].len, v[j - 1].p, v[j - 1].len)))
        first[ns++] = v[j].k;
      c->slot[v[j].k] = (uint32_t)(ns - 1);
    }
    free(v);
  }
  c->nslots = ns;
  c->h = blocks_calloc(ns ? ns : 1, sizeof *c->h);
  c->id = blocks_malloc((ns ? ns : 1) * sizeof *c->id);
  c->len = blocks_malloc((ns ? ns : 1) * sizeof *c->len);
  if (!c->h || !c->id || !c->len) {
    free(first);
    return err_fail(SOCLOSS_ENOMEM, "out of memory");
  }
  for (size_t sl = 0; sl < ns; sl++) {
    const dl_action *x = &d->dl[first[sl]];
    party *h = &c->h[sl];
    c->id[sl] = x->holder;
    c->len[sl] = x->len;
    if (s->equity_hint && x->index != UINT32_MAX) {
      h->e = s->equity_hint[x->index];
      h->has_e = 1;
    }
    if (s->hint_balance && x->index != UINT32_MAX) {
      h->balance = s->hint_balance[x->index];
      h->has_balance = 1;
    }
  }
  free(first);
  return SOCLOSS_OK;
}

/* ---- the closes in memory ----------------------------------------------- */

typedef struct book {
  step *s;
  closes *c;
  party a;                                    /* the bankrupt account */
  store_position apos[DEFICIT_MARKETS_MAX];   /* its position in each market, once read */
  store_market mkt[DEFICIT_MARKETS_MAX];      /* each market, once read */
  unsigned char apos_read[DEFICIT_MARKETS_MAX], mkt_read[DEFICIT_MARKETS_MAX];
  /* each market's mark in the applier's list, which equity is computed
   * with (marked 0: not listed there, so its positions count for nothing) */
  int64_t mark[DEFICIT_MARKETS_MAX];
  unsigned char marked[DEFICIT_MARKETS_MAX];
  int marks;                                  /* looked up */
  size_t alen;                                /* the bankrupt account's id's length */
} book;

static int marks_of(book *b) {
  if (b->marks) return SOCLOSS_OK;
  applier *a = b->s->a;
  int rc = applier_markets(a);
  if (rc) return rc;
  for (size_t mk = 0; mk < b->s->d->nm; mk++)
    for (size_t i = 0; i < a->ml.n && !b->marked[mk]; i++)
      if (!strcmp(a->ml.m[i].market, b->s->d->mk[mk].market)) {
        b->mark[mk] = a->ml.m[i].mark;
        b->marked[mk] = 1;
      }
  b->marks = 1;
  return SOCLOSS_OK;
}

/* A side's id: the bankrupt account's, or a holder's (len bytes of the
 * candidates' ids or of the record), made a C string only when a read or a
 * message needs one. */
typedef struct who {
  const char *p;
  size_t len;
} who;

static const char *cstr(who w, char buf[CODEC_ID_MAX + 1]) {
  copy_id(buf, w.p, w.len);
  return buf;
}

static int balance_of(book *b, party *p, const char *field, who w) {
  if (p->has_balance) return SOCLOSS_OK;
  char id[CODEC_ID_MAX + 1];
  int rc = ledger_balance(b->s->a, field, cstr(w, id), &p->balance);
  if (!rc) p->has_balance = 1;
  return rc;
}

/* A side's balance is now `balance`, its position in market mk went from
 * `from` to `to`: its equity moves by the difference of each. */
static void moved(book *b, party *p, int64_t balance, size_t mk, const store_position *from,
                  const store_position *to) {
  p->e += (__int128)balance - p->balance;
  if (b->marked[mk])
    p->e += ((__int128)to->size * b->mark[mk] - to->cost) - ((__int128)from->size * b->mark[mk] - from->cost);
  if (balance != p->balance) p->dirty = 1;
  p->balance = balance;
}

/* ledger_trade's last check, on a side: its equity still fits int64.  A
 * side first seen here gets its equity before the step from the store,
 * which none of the closes has written yet. */
static int equity_check(book *b, party *p, const char *field, who w) {
  char id[CODEC_ID_MAX + 1];
  if (!p->has_e) {
    applier *a = b->s->a;
    int64_t balance;
    int rc = store_account_get(a->t, cstr(w, id), &balance);
    if (rc) return rc;
    __int128 e = balance;
    for (size_t i = 0; i < a->ml.n; i++) {
      store_position pos;
      rc = store_position_get(a->t, a->ml.m[i].market, id, &pos);
      if (rc == SOCLOSS_ENOTFOUND) continue;
      if (rc) return rc;
      e += (__int128)pos.size * a->ml.m[i].mark - pos.cost;
    }
    p->e += e;
    p->has_e = 1;
  }
  return fits_i64(p->e) ? SOCLOSS_OK : equity_refused(field, cstr(w, id));
}

/* Close k: the trade (ledger_trade's reads, checks and messages in its
 * order), then under rules 2 its transfer. */
static int close_one(book *b, size_t k) {
  step *s = b->s;
  const deficit_rec *d = s->d;
  applier *a = s->a;
  const dl_action *x = &d->dl[k];
  size_t mk = x->market;
  const deficit_market *m = &d->mk[mk];
  party *h = &b->c->h[b->c->slot[k]], *ba = &b->a;
  who holder = {x->holder, x->len}, bankrupt = {d->account, b->alen};
  /* the bankrupt long sells to the short holder, or buys from the long */
  int sells = m->size > 0;
  party *pb = sells ? h : ba, *ps = sells ? ba : h;
  who wb = sells ? holder : bankrupt, ws = sells ? bankrupt : holder;
  int64_t price = d->rules >= 2 ? m->mark : m->bankruptcy_price;
  int rc;
  if (!b->mkt_read[mk]) {
    if ((rc = ledger_market(a, m->market, &b->mkt[mk]))) return rc;
    b->mkt_read[mk] = 1;
  }
  if ((rc = balance_of(b, pb, "buyer", wb)) || (rc = balance_of(b, ps, "seller", ws)) ||
      (rc = trade_size_fits(x->size, price)))
    return rc;
  if (!b->apos_read[mk]) {
    rc = store_position_get(a->t, m->market, d->account, &b->apos[mk]);
    if (rc && rc != SOCLOSS_ENOTFOUND) return rc;
    b->apos_read[mk] = 1;
  }
  store_position *bpos = sells ? &b->c->pos[k] : &b->apos[mk], *spos = sells ? &b->apos[mk] : &b->c->pos[k];
  trade_side tb = {wb.p, wb.len, pb->balance, *bpos}, ts = {ws.p, ws.len, ps->balance, *spos};
  store_market mm = b->mkt[mk];
  if ((rc = trade_settle(m->market, &mm, &tb, &ts, x->size, price)) || (rc = marks_of(b))) return rc;
  moved(b, pb, tb.balance, mk, bpos, &tb.pos);
  moved(b, ps, ts.balance, mk, spos, &ts.pos);
  *bpos = tb.pos;
  *spos = ts.pos;
  b->mkt[mk] = mm;
  if ((rc = equity_check(b, pb, "buyer", wb)) || (rc = equity_check(b, ps, "seller", ws))) return rc;
  if (d->rules < 2 || !x->transfer) return SOCLOSS_OK;
  if (!fits_i64((__int128)h->balance - x->transfer) || !fits_i64((__int128)ba->balance + x->transfer)) {
    char id[CODEC_ID_MAX + 1];
    return transfer_refused(cstr(holder, id));
  }
  h->e -= x->transfer;
  ba->e += x->transfer;
  h->balance -= x->transfer;
  ba->balance += x->transfer;
  h->dirty = ba->dirty = 1;
  return SOCLOSS_OK;
}

/* ---- the writes: each record once, in key order --------------------------- */

static int write_accounts(book *b) {
  const deficit_rec *d = b->s->d;
  const closes *c = b->c;
  store_cursor *cur;
  int rc = store_cursor_account_writes(b->s->a->t, &cur);
  if (rc) return rc;
  int left = b->a.dirty;  /* the bankrupt account, in its place among the holders */
  char id[CODEC_ID_MAX + 1];
  for (size_t sl = 0; !rc && sl < c->nslots; sl++) {
    if (left && id_cmp(d->account, b->alen, c->id[sl], c->len[sl]) < 0) {
      rc = store_put_account(cur, d->account, b->a.balance);
      left = 0;
    }
    if (!rc && c->h[sl].dirty) rc = store_put_account(cur, cstr((who){c->id[sl], c->len[sl]}, id), c->h[sl].balance);
  }
  if (!rc && left) rc = store_put_account(cur, d->account, b->a.balance);
  store_cursor_close(cur);
  return rc;
}

/* The closes in position-key order, by market id then by holder (slot):
 * two counting sorts, reading each action once in order; k[j] is the
 * action, sl[j] its slot, at[r] where the market of rank r ends. */
static int key_order(const book *b, const size_t *rank, uint32_t *k, uint32_t *sl, size_t *at) {
  const deficit_rec *d = b->s->d;
  const closes *c = b->c;
  size_t n = d->ndl;
  uint32_t *cnt = blocks_calloc(c->nslots + 1, sizeof *cnt), *by_slot = blocks_malloc((n ? n : 1) * sizeof *by_slot);
  unsigned char *rk = blocks_malloc(n ? n : 1);  /* each action's market rank, in slot order */
  int rc = cnt && by_slot && rk ? SOCLOSS_OK : err_fail(SOCLOSS_ENOMEM, "out of memory");
  if (!rc) {
    for (size_t j = 0; j < n; j++) cnt[c->slot[j] + 1]++;
    for (size_t s = 0; s < c->nslots; s++) cnt[s + 1] += cnt[s];
    for (size_t j = 0; j < n; j++) {
      uint32_t at_slot = cnt[c->slot[j]]++;
      by_slot[at_slot] = (uint32_t)j;
      rk[at_slot] = (unsigned char)rank[d->dl[j].market];
    }
    /* cnt[s] is now where slot s ends */
    memset(at, 0, (d->nm + 1) * sizeof *at);
    for (size_t j = 0; j < n; j++) at[rk[j] + 1]++;
    for (size_t r = 0; r < d->nm; r++) at[r + 1] += at[r];
    for (size_t s = 0, j = 0; s < c->nslots; s++)
      for (; j < cnt[s]; j++) {
        size_t to = at[rk[j]]++;
        k[to] = by_slot[j];
        sl[to] = (uint32_t)s;
      }
    /* at[r] is now where rank r ends */
  }
  free(cnt);
  free(by_slot);
  free(rk);
  return rc;
}

static int write_positions(book *b) {
  const deficit_rec *d = b->s->d;
  const closes *c = b->c;
  size_t n = d->ndl, rank[DEFICIT_MARKETS_MAX], by_rank[DEFICIT_MARKETS_MAX], at[DEFICIT_MARKETS_MAX + 1];
  for (size_t mk = 0; mk < d->nm; mk++) {  /* a few markets: insertion */
    size_t j = mk;
    for (; j > 0 && strcmp(d->mk[by_rank[j - 1]].market, d->mk[mk].market) > 0; j--) by_rank[j] = by_rank[j - 1];
    by_rank[j] = mk;
  }
  for (size_t r = 0; r < d->nm; r++) rank[by_rank[r]] = r;
  uint32_t *k = blocks_malloc((n ? n : 1) * sizeof *k), *sl = blocks_malloc((n ? n : 1) * sizeof *sl);
  int rc = k && sl ? key_order(b, rank, k, sl, at) : err_fail(SOCLOSS_ENOMEM, "out of memory");
  store_cursor *cur = NULL;
  if (!rc) rc = store_cursor_position_writes(b->s->a->t, &cur);
  char id[CODEC_ID_MAX + 1];
  for (size_t r = 0, j = 0; !rc && r < d->nm; r++) {
    size_t mk = by_rank[r];
    const char *market = d->mk[mk].market;
    if (j == at[r]) continue;  /* no close in this market */
    int left = 1;              /* the bankrupt account's position, in its place */
    for (; !rc && j < at[r]; j++) {
      if (left && id_cmp(d->account, b->alen, c->id[sl[j]], c->len[sl[j]]) < 0) {
        rc = store_put_position(cur, market, d->account, &b->apos[mk]);
        left = 0;
      }
      if (!rc) rc = store_put_position(cur, market, cstr((who){c->id[sl[j]], c->len[sl[j]]}, id), &c->pos[k[j]]);
    }
    if (!rc && left) rc = store_put_position(cur, market, d->account, &b->apos[mk]);
  }
  store_cursor_close(cur);
  free(k);
  free(sl);
  return rc;
}

int closes_apply(step *s, closes *c) {
  const deficit_rec *d = s->d;
  book *b = calloc(1, sizeof *b);
  if (!b) return err_fail(SOCLOSS_ENOMEM, "out of memory");
  b->s = s;
  b->c = c;
  b->alen = strlen(d->account);
  int rc = SOCLOSS_OK;
  for (size_t k = 0; !rc && k < d->ndl; k++) rc = close_one(b, k);
  for (size_t mk = 0; !rc && mk < d->nm; mk++)
    if (b->mkt_read[mk]) rc = store_market_put(s->a->t, d->mk[mk].market, &b->mkt[mk]);
  if (!rc && d->ndl) rc = write_accounts(b);
  if (!rc && d->ndl) rc = write_positions(b);
  free(b);
  return rc;
}
