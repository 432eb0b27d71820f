/*
 * watch.c — what this store's write transactions changed in the accounts,
 * positions and markets, noted for one consumer that keeps them in memory
 * (store.h, "what write transactions changed").
 *
 * Every write is counted (watch_log.end), watched or not, so that where a
 * transaction began is a position and an abort knows what it takes back:
 * the notes after it are dropped, and if the consumer had taken any of
 * them it must read the tables again.  A write transaction that begins
 * with an id other than this store's last commit + 1 follows another
 * writer's (another process, or another store of the same file): the
 * consumer must read the tables again too.
 */
#include "store_int.h"

/* What the notes may hold before they are dropped (the consumer then reads
 * the tables again): a million-candidate resolution writes a million. */
#define WATCH_NOTES_MAX ((size_t)4 << 20)
#define WATCH_KEYS_MAX ((size_t)128 << 20)

static void drop_notes(watch_log *w) {
  w->n = 0;
  w->klen = 0;
}

void watch_lose(store *s) {
  s->watch.lost = 1;
  drop_notes(&s->watch);
}

static int key_add(watch_log *w, const char *k, uint32_t *at, uint16_t *klen) {
  size_t len = strlen(k) + 1;
  *klen = (uint16_t)(len - 1);
  if (w->klen + len > w->kcap) {
    size_t cap = w->kcap ? 2 * w->kcap : 1 << 16;
    while (cap < w->klen + len) cap *= 2;
    if (cap > WATCH_KEYS_MAX) return -1;
    char *p = realloc(w->keys, cap);
    if (!p) return -1;
    w->keys = p;
    w->kcap = cap;
  }
  memcpy(w->keys + w->klen, k, len);
  *at = (uint32_t)w->klen;
  w->klen += len;
  return 0;
}

void watch_note_write(store *s, int kind, const char *market, const char *id, int64_t a, int64_t b) {
  watch_log *w = &s->watch;
  w->end++;
  if (!w->on || w->lost) return;
  if (w->n == w->cap) {
    size_t cap = w->cap ? 2 * w->cap : 1024;
    watch_note *p = cap > WATCH_NOTES_MAX ? NULL : realloc(w->note, cap * sizeof *p);
    if (!p) {
      watch_lose(s);
      return;
    }
    w->note = p;
    w->cap = cap;
  }
  watch_note *n = &w->note[w->n];
  n->kind = kind;
  n->a = a;
  n->b = b;
  /* a run of changes in one market (a step's writes) shares its name */
  const char *mk = market ? market : "";
  if (w->n && !strcmp(w->keys + w->note[w->n - 1].market, mk)) {
    n->market = w->note[w->n - 1].market;
    n->market_len = w->note[w->n - 1].market_len;
  } else if (key_add(w, mk, &n->market, &n->market_len)) {
    watch_lose(s);
    return;
  }
  if (key_add(w, id ? id : "", &n->id, &n->id_len)) {
    watch_lose(s);
    return;
  }
  w->n++;
}

void watch_begin(store_txn *t) {
  watch_log *w = &t->s->watch;
  t->at = w->end;
  if ((uint64_t)mdb_txn_id(t->txn) != w->last_commit + 1) watch_lose(t->s);
}

void watch_commit(store_txn *t) { t->s->watch.last_commit = (uint64_t)mdb_txn_id(t->txn); }

/* Called before the abort, while t->txn is still valid (or for a nested
 * one, whatever its state: only t->at is read). */
void watch_abort(store_txn *t) {
  watch_log *w = &t->s->watch;
  if (t->at == w->end) return;  /* it wrote nothing */
  if (t->at < w->base) {
    watch_lose(t->s);  /* the consumer took some of what is taken back */
  } else if (t->at - w->base < w->n) {
    w->n = (size_t)(t->at - w->base);
    w->klen = w->note[w->n].id;  /* its market's name may be its predecessor's */
    if (!w->n || w->note[w->n].market != w->note[w->n - 1].market) w->klen = w->note[w->n].market;
  }
  w->end = t->at;
}

void watch_free(store *s) {
  free(s->watch.note);
  free(s->watch.keys);
  memset(&s->watch, 0, sizeof s->watch);
}

void store_watch_start(store_txn *t) {
  watch_log *w = &t->s->watch;
  w->on = 1;
  w->lost = 0;
  w->base = w->end;
  drop_notes(w);
}

void store_watch_stop(store *s) {
  watch_log *w = &s->watch;
  free(w->note);
  free(w->keys);
  w->note = NULL;
  w->keys = NULL;
  w->n = w->cap = w->klen = w->kcap = 0;
  w->on = 0;
  w->lost = 1;
}

int store_watch_take(store_txn *t, store_change_cb cb, void *ud) {
  watch_log *w = &t->s->watch;
  int lost = !w->on || w->lost;
  for (size_t i = 0; !lost && i < w->n; i++) {
    const watch_note *n = &w->note[i];
    store_change c = {n->kind, w->keys + n->market, w->keys + n->id, n->id_len, n->a, n->b};
    if (cb(ud, &c)) lost = 1;
  }
  store_watch_start(t);
  return lost;
}

store *store_txn_store(const store_txn *t) { return t->s; }
