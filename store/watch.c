/*
 * watch.c — what this store's write transactions changed in the accounts,
 * positions and markets, noted for one consumer that keeps them in memory
 * (store.h, "what write transactions changed").
 *
 * Every write of the store is counted (watch_log.end), watched or not:
 * where a transaction began is a count, so an abort knows what it takes
 * back (the notes counted after it; if the consumer had taken any of them
 * it must read the tables again), and a commit knows whether it wrote at
 * all (LMDB gives an id to a commit that wrote, none to one that did not).
 * A write transaction that begins with an id other than this store's last
 * commit + 1 follows another writer's (another process, or another store
 * of the same file): the consumer must read the tables again too.
 */
#include "store_int.h"

/* What the notes may hold before they are dropped (the consumer then reads
 * the tables again): a million-candidate resolution writes a million; an
 * import of millions of records after a cascade is better read again than
 * held (2M notes of 56 bytes and their keys: under 180 MB). */
#define WATCH_NOTES_MAX ((size_t)2 << 20)
#define WATCH_KEYS_MAX ((size_t)64 << 20)

static void drop_notes(watch_log *w) {
  w->n = 0;
  w->klen = 0;
}

void watch_lose(store *s) {
  s->watch.lost = 1;
  s->watch.last_change = s->watch.end;
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

void watch_count(store *s) { s->watch.end++; }

void watch_note_write(store *s, int kind, const char *market, const char *id, int64_t a, int64_t b) {
  watch_note_hinted(s, kind, market, id, a, b, STORE_NO_HINT);
}

void watch_note_hinted(store *s, int kind, const char *market, const char *id, int64_t a, int64_t b, uint64_t hint) {
  watch_log *w = &s->watch;
  w->last_change = w->end;
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
  n->at = w->end;
  n->hint = hint;
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

/* A write the consumer applied itself (STORE_SEEN): nothing to note, and
 * taken as of now (base), so an abort of the transaction loses the view. */
void watch_seen(store *s) {
  watch_log *w = &s->watch;
  w->last_change = w->end;
  if (w->on && !w->lost) w->base = w->end;
}

void watch_begin(store_txn *t) {
  watch_log *w = &t->s->watch;
  t->at = w->end;
  if ((uint64_t)mdb_txn_id(t->txn) != w->last_commit + 1) watch_lose(t->s);
}

void watch_commit(store_txn *t, uint64_t id) {
  if (t->at != t->s->watch.end) t->s->watch.last_commit = id;  /* it wrote: LMDB gave it its id */
}

/* What t wrote, taken back (t aborts, or LMDB aborted it). */
void watch_abort(store_txn *t) {
  watch_log *w = &t->s->watch;
  if (t->at == w->end) return;  /* it wrote nothing */
  if (t->at < w->base) {
    watch_lose(t->s);  /* the consumer took some of what is taken back */
  } else {
    while (w->n && w->note[w->n - 1].at > t->at) w->n--;
    w->klen = w->n ? w->note[w->n - 1].id + w->note[w->n - 1].id_len + 1u : 0;
  }
  w->end = t->at;
  if (w->last_change > t->at) w->last_change = t->at;  /* or earlier: an abort may then lose the view for nothing */
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
  w->base = w->last_change;
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
    store_change c = {n->kind, w->keys + n->market, w->keys + n->id, n->id_len, n->hint, n->a, n->b};
    if (cb(ud, &c)) lost = 1;
  }
  store_watch_start(t);
  return lost;
}

store *store_txn_store(const store_txn *t) { return t->s; }
