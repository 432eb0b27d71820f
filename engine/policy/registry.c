/*
 * registry.c — policies as versioned entries in the ledger, by the SHA-256
 * of their source: name, version (1, 2, ... per name), the journal sequence
 * that added them, the source itself, and what the host said of it (a note,
 * a time).  Activating one sets it as the active or fallback policy,
 * ledger-wide or for one market, through the same journaled setting as
 * `socloss policy set` (settings.c); the listing tells which roles each
 * entry holds.
 *
 *   entry: u8 version | str name | u32 version | i64 seq | blob source |
 *          [blob note | str at]
 * The bracketed fields are written only when the host gave a note or a
 * time, so an entry without them is the older entry byte for byte.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "text.h"

#define ENTRY_VERSION 1

typedef struct entry {
  socloss_policy_info info;
  const char *source;
  const char *note;   /* into the entry's bytes, not NUL-terminated */
  size_t note_len;
  char at[CODEC_ID_MAX + 1];
} entry;

static int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

static void to_hex(const unsigned char h[32], char out[65]) {
  for (int i = 0; i < 32; i++) snprintf(out + 2 * i, 3, "%02x", h[i]);
}

/* 0 when the n bytes at s are one line of text: valid UTF-8 without a
 * control character (C0, DEL, C1), for `policy list` prints a note as it
 * is; else 1 (not UTF-8) or 2 (a control character) at byte *where. */
static int note_bad(const char *note, size_t n, size_t *where) {
  const unsigned char *s = (const unsigned char *)note;
  for (size_t i = 0, k; i < n; i += k) {
    *where = i;
    if (!(k = utf8_len(s + i, n - i))) return 1;
    if ((k == 1 && (s[i] < 0x20 || s[i] == 0x7f)) || (k == 2 && s[i] == 0xc2 && s[i + 1] < 0xa0)) return 2;
  }
  return 0;
}

static int decode_entry(const unsigned char hash[32], const void *p, size_t len, entry *e) {
  codec_reader r = {p, len, 0, 0};
  memset(e, 0, sizeof *e);
  if (codec_rd_u8(&r) != ENTRY_VERSION) return -1;
  codec_rd_str(&r, e->info.name);
  e->info.version = codec_rd_u32(&r);
  e->info.seq = (uint64_t)codec_rd_i64(&r);
  e->source = codec_rd_blob(&r, &e->info.source_len);
  size_t where;
  if (r.pos < r.len) {
    e->note = codec_rd_blob(&r, &e->note_len);
    codec_rd_str(&r, e->at);
  }
  to_hex(hash, e->info.hash);
  /* what was checked when it was written is checked again: the listing
   * prints it to a terminal */
  return r.bad || r.pos != r.len || e->note_len > REGISTRY_NOTE_MAX || (e->note && note_bad(e->note, e->note_len, &where)) ||
                 registry_time_check(e->at)
             ? -1
             : 0;
}

/* ---- what the host says: a note and a time ------------------------------ */

int registry_note_check(const char *note) {
  if (!note || !*note) return SOCLOSS_OK;
  size_t n = strlen(note), where;
  if (n > REGISTRY_NOTE_MAX)
    return err_fail(SOCLOSS_EINVAL, "note: %zu bytes; a note holds at most %d", n, REGISTRY_NOTE_MAX);
  switch (note_bad(note, n, &where)) {
    case 1: return err_fail(SOCLOSS_EINVAL, "note: byte %zu is not UTF-8", where + 1);
    case 2: return err_fail(SOCLOSS_EINVAL, "note: byte %zu is a control character; a note is one line of text", where + 1);
  }
  return SOCLOSS_OK;
}

static int digits(const char *s, int n, int *out) {
  *out = 0;
  for (int i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return 0;
    *out = *out * 10 + (s[i] - '0');
  }
  return 1;
}

int registry_time_check(const char *at) {
  if (!at || !*at) return SOCLOSS_OK;
  /* UTC only, upper-case T and Z: one spelling per instant (up to the
   * fraction's length), so that times compare as text */
  static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  size_t n = strlen(at);
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, ok = n >= 20 && n <= 30;
  ok = ok && digits(at, 4, &y) && at[4] == '-' && digits(at + 5, 2, &mo) && at[7] == '-' &&
       digits(at + 8, 2, &d) && at[10] == 'T' && digits(at + 11, 2, &h) && at[13] == ':' &&
       digits(at + 14, 2, &mi) && at[16] == ':' && digits(at + 17, 2, &sec);
  size_t i = 19;
  if (ok && at[i] == '.') {
    size_t f = ++i;
    while (i < n && at[i] >= '0' && at[i] <= '9') i++;
    ok = i > f && i - f <= 9;
  }
  ok = ok && at[i] == 'Z' && i + 1 == n;
  int leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
  /* second 60: a leap second, as RFC 3339 allows */
  ok = ok && mo >= 1 && mo <= 12 && d >= 1 && d <= mdays[mo - 1] && (mo != 2 || d <= 28 + leap) && h <= 23 &&
       mi <= 59 && sec <= 60;
  if (!ok) {
    char q[TEXT_QUOTED(40)];
    return err_fail(SOCLOSS_EINVAL, "at: '%s' is not a UTC time YYYY-MM-DDTHH:MM:SS[.FRACTION]Z",
                    text_quote(q, at, n, 40));
  }
  return SOCLOSS_OK;
}

/* ---- finding an entry --------------------------------------------------- */

typedef struct finder {
  const char *ref;
  size_t ref_len;
  char name[CODEC_ID_MAX + 1];
  uint32_t want_version;   /* NAME@V, 0: the latest */
  int by_hash;
  int matches;
  entry best;
} finder;

static int find_one(void *ud, const unsigned char hash[32], const void *p, size_t len) {
  finder *f = ud;
  entry e;
  if (decode_entry(hash, p, len, &e)) return SOCLOSS_ESTORE;
  if (f->by_hash) {
    if (strncmp(e.info.hash, f->ref, f->ref_len) == 0) {
      f->matches++;
      f->best = e;
    }
  } else if (strcmp(e.info.name, f->name) == 0) {
    if (f->want_version ? e.info.version == f->want_version : (!f->matches || e.info.version > f->best.info.version)) {
      f->best = e;
      f->matches = 1;
    }
  }
  return SOCLOSS_OK;
}

struct lookup {
  socloss *led;
  finder f;
  char *source;  /* copy, out of the snapshot */
};

static int read_lookup(store_txn *t, void *ud) {
  struct lookup *l = ud;
  int rc = store_each_policy(t, find_one, &l->f);
  if (rc == SOCLOSS_ESTORE) return err_fail(rc, "corrupt policy registry entry");
  if (rc) return rc;
  if (l->f.matches == 1 && (l->source = malloc(l->f.best.info.source_len + 1))) {
    memcpy(l->source, l->f.best.source, l->f.best.info.source_len);
    l->source[l->f.best.info.source_len] = 0;
  }
  return SOCLOSS_OK;
}

/* Reads ref: NAME, NAME@VERSION, or a hash (8 to 64 lowercase hex digits);
 * q gets it as messages quote it. */
static int finder_init(finder *f, const char *ref, char q[TEXT_QUOTED(80)]) {
  memset(f, 0, sizeof *f);
  f->ref = ref;
  f->ref_len = strlen(ref);
  text_quote(q, ref, f->ref_len, 80);
  int hex = f->ref_len >= 8 && f->ref_len <= 64;
  for (size_t i = 0; hex && i < f->ref_len; i++) hex = hex_value(ref[i]) >= 0;
  f->by_hash = hex;
  if (!hex) {
    const char *at = strchr(ref, '@');
    size_t n = at ? (size_t)(at - ref) : strlen(ref);
    if (n == 0 || n > CODEC_ID_MAX)
      return err_fail(SOCLOSS_EINVAL, "policy: '%s' is not a name, name@version or hash", q);
    memcpy(f->name, ref, n);
    f->name[n] = 0;
    if (at) {
      char *end;
      unsigned long v = strtoul(at + 1, &end, 10);
      if (*end || v == 0 || v > UINT32_MAX) return err_fail(SOCLOSS_EINVAL, "policy: bad version in '%s'", q);
      f->want_version = (uint32_t)v;
    }
  }
  return SOCLOSS_OK;
}

/* After the walk: one entry found, or why not. */
static int finder_done(const finder *f, const char *q) {
  if (f->matches == 0) return err_fail(SOCLOSS_ENOTFOUND, "policy: no policy '%s' in the registry", q);
  if (f->matches > 1)
    return err_fail(SOCLOSS_EINVAL, "policy: '%s' matches %d policies; give more of the hash", q, f->matches);
  return SOCLOSS_OK;
}

static int lookup(socloss *led, const char *ref, struct lookup *l) {
  memset(l, 0, sizeof *l);
  l->led = led;
  char q[TEXT_QUOTED(80)];
  int rc = finder_init(&l->f, ref, q);
  if (!rc) rc = store_read(led->st, read_lookup, l);
  if (!rc) rc = finder_done(&l->f, q);
  if (rc) {
    free(l->source);
    l->source = NULL;
    return rc;
  }
  if (!l->source) return err_fail(SOCLOSS_ENOMEM, "out of memory");
  return SOCLOSS_OK;
}

int policy_find_run(socloss *led, const char *ref, socloss_policy_info *out, char **source) {
  struct lookup l;
  int rc = lookup(led, ref ? ref : "", &l);
  if (rc) return rc;
  if (out) *out = l.f.best.info;
  if (source) *source = l.source;
  else free(l.source);
  return SOCLOSS_OK;
}

/* ---- listing ------------------------------------------------------------ */

struct listing {
  size_t n, cap;
  socloss_policy_info *v;
};

static int collect(void *ud, const unsigned char hash[32], const void *p, size_t len) {
  struct listing *l = ud;
  entry e;
  if (decode_entry(hash, p, len, &e)) return SOCLOSS_ESTORE;
  if (l->n == l->cap) {
    size_t cap = l->cap ? 2 * l->cap : 16;
    socloss_policy_info *v = realloc(l->v, cap * sizeof *v);
    if (!v) return SOCLOSS_ENOMEM;
    l->v = v;
    l->cap = cap;
  }
  l->v[l->n++] = e.info;
  return SOCLOSS_OK;
}

static int read_listing(store_txn *t, void *ud) { return store_each_policy(t, collect, ud); }

static int by_name_version(const void *a, const void *b) {
  const socloss_policy_info *x = a, *y = b;
  int c = strcmp(x->name, y->name);
  return c ? c : (x->version > y->version) - (x->version < y->version);
}

int policy_list_run(socloss *led, socloss_policy_cb cb, void *ud) {
  struct listing l = {0};
  int rc = store_read(led->st, read_listing, &l);
  if (rc == SOCLOSS_ESTORE) err_fail(rc, "corrupt policy registry entry");
  if (rc == SOCLOSS_ENOMEM) err_fail(rc, "out of memory");
  if (!rc) {
    qsort(l.v, l.n, sizeof *l.v, by_name_version);
    for (size_t i = 0; i < l.n; i++)
      if (cb(ud, &l.v[i])) {
        rc = err_fail(SOCLOSS_ESTOP, "stopped by the callback");
        break;
      }
  }
  free(l.v);
  return rc;
}

/* ---- entries with their notes and times, in a transaction -------------- */

struct each_walk {
  registry_entry_cb cb;
  void *ud;
};

static int each_cb(const struct each_walk *w, const entry *e) {
  registry_entry r = {e->info, e->note ? e->note : "", e->note_len, e->at};
  return w->cb(w->ud, &r);
}

static int each_entry(void *ud, const unsigned char hash[32], const void *p, size_t len) {
  entry e;
  if (decode_entry(hash, p, len, &e)) return err_fail(SOCLOSS_ESTORE, "corrupt policy registry entry");
  return each_cb(ud, &e);
}

int registry_each(store_txn *t, const char *ref, registry_entry_cb cb, void *ud) {
  struct each_walk w = {cb, ud};
  if (!ref) return store_each_policy(t, each_entry, &w);
  finder f;
  char q[TEXT_QUOTED(80)];
  int rc = finder_init(&f, ref, q);
  if (!rc) rc = store_each_policy(t, find_one, &f);
  if (rc == SOCLOSS_ESTORE) return err_fail(rc, "corrupt policy registry entry");
  if (!rc) rc = finder_done(&f, q);
  return rc ? rc : each_cb(&w, &f.best);  /* the entry points into t's snapshot */
}

/* ---- adding ------------------------------------------------------------- */

struct adding {
  socloss *led;
  const policy_src *p;
  unsigned char hash[32];
  const char *note, *at;
  socloss_policy_info info;
  int exists;
};

static int highest_version(void *ud, const unsigned char hash[32], const void *p, size_t len) {
  struct adding *a = ud;
  entry e;
  if (decode_entry(hash, p, len, &e)) return SOCLOSS_ESTORE;
  if (!strcmp(e.info.name, a->p->name) && e.info.version >= a->info.version) a->info.version = e.info.version + 1;
  return SOCLOSS_OK;
}

static void hash_bytes(const char hex[65], unsigned char out[32]) {
  for (int i = 0; i < 32; i++) out[i] = (unsigned char)(hex_value(hex[2 * i]) << 4 | hex_value(hex[2 * i + 1]));
}

/* Writes a new entry (the next version of its name) and its journal record,
 * with the note and time the host gave (NULL or "": none). */
static int put_entry(applier *a, const unsigned char hash[32], const policy_src *p, const char *note, const char *at,
                     socloss_policy_info *info) {
  struct adding ad;
  memset(&ad, 0, sizeof ad);
  ad.led = a->led;
  ad.p = p;
  ad.info.version = 1;
  int rc = store_each_policy(a->t, highest_version, &ad);
  if (rc) return rc;
  codec_buf rec = {0}, val = {0};
  record_policy_add_encode(&rec, p->name, ad.info.version, p->hash, note, at);
  uint64_t seq = 0;
  rc = applier_record(a, &rec, &seq);
  codec_buf_u8(&val, ENTRY_VERSION);
  codec_buf_str(&val, p->name);
  codec_buf_u32(&val, ad.info.version);
  codec_buf_i64(&val, (int64_t)seq);
  codec_buf_blob(&val, p->source, p->len);
  if ((note && *note) || (at && *at)) {  /* else the older entry, byte for byte */
    codec_buf_blob(&val, note ? note : "", note ? strlen(note) : 0);
    codec_buf_str(&val, at ? at : "");
  }
  if (!rc) rc = val.oom ? err_fail(SOCLOSS_ENOMEM, "out of memory") : store_policy_put(a->t, hash, val.p, val.len);
  codec_buf_free(&rec);
  codec_buf_free(&val);
  if (info) {
    *info = ad.info;
    snprintf(info->name, sizeof info->name, "%s", p->name);
    memcpy(info->hash, p->hash, sizeof info->hash);
    info->seq = seq;
    info->source_len = p->len;
  }
  return rc;
}

int registry_ensure(applier *a, const policy_src *p) { return registry_ensure_at(a, p, NULL); }

int registry_ensure_at(applier *a, const policy_src *p, const char *at) {
  unsigned char hash[32];
  const void *old;
  size_t len;
  hash_bytes(p->hash, hash);
  int rc = store_policy_get(a->t, hash, &old, &len);
  if (rc != SOCLOSS_ENOTFOUND) return rc;  /* there already (or an error) */
  return put_entry(a, hash, p, NULL, at, NULL);
}

int registry_label(store_txn *t, const char hash_hex[65], char *out, size_t cap) {
  unsigned char hash[32];
  const void *p;
  size_t n;
  entry e;
  hash_bytes(hash_hex, hash);
  if (store_policy_get(t, hash, &p, &n) || decode_entry(hash, p, n, &e)) return SOCLOSS_ENOTFOUND;
  snprintf(out, cap, "%s@%u", e.info.name, e.info.version);
  return SOCLOSS_OK;
}

void policy_locate(socloss *led, store_txn *t, policy_src *p) {
  policy_hash(p->source, p->len, p->hash);
  if (!policy_named(led, p) && t) registry_label(t, p->hash, p->where, sizeof p->where);
}

int registry_source(store_txn *t, const char hash_hex[65], const char **src, size_t *len) {
  unsigned char hash[32];
  const void *p;
  size_t n;
  entry e;
  hash_bytes(hash_hex, hash);
  int rc = store_policy_get(t, hash, &p, &n);
  if (rc) return rc;
  if (decode_entry(hash, p, n, &e)) return SOCLOSS_ESTORE;
  *src = e.source;
  *len = e.info.source_len;
  return SOCLOSS_OK;
}

static int write_entry(store_txn *t, void *ud) {
  struct adding *ad = ud;
  const void *old;
  size_t oldlen;
  int rc = store_policy_get(t, ad->hash, &old, &oldlen);
  if (rc == SOCLOSS_OK) {
    entry e;
    if (decode_entry(ad->hash, old, oldlen, &e)) return err_fail(SOCLOSS_ESTORE, "corrupt policy registry entry");
    ad->info = e.info;
    ad->exists = 1;
    return err_fail(SOCLOSS_EEXIST, "policy: this source is already in the registry as %s@%u (%.12s)",
                       e.info.name, e.info.version, e.info.hash);
  }
  if (rc != SOCLOSS_ENOTFOUND) return rc;
  applier a;
  if ((rc = applier_start(&a, ad->led, t, 1))) return rc;
  rc = put_entry(&a, ad->hash, ad->p, ad->note, ad->at, &ad->info);
  applier_end(&a);
  return rc;
}

void socloss_policy_add_options_init(socloss_policy_add_options *o) {
  memset(o, 0, sizeof *o);
  o->size = sizeof *o;
}

int policy_add_run(socloss *led, const char *source, size_t len, const socloss_policy_add_options *o,
                   socloss_policy_info *out) {
  policy_src p = {source, len, "", "", 0, 0, "", "", ""};
  socloss_policy_add_options opt;
  memset(&opt, 0, sizeof opt);
  if (o) memcpy(&opt, o, o->size < sizeof opt ? o->size : sizeof opt);
  const char *note = opt.note, *at = opt.at;
  int rc;
  if ((rc = registry_note_check(note)) || (rc = registry_time_check(at))) return rc;
  socloss_limits lim;
  if ((rc = limits_read(led, &lim))) return rc;
  eval_limits el = {lim.instructions, lim.memory, lim.wall_ms};
  if ((rc = policy_probe(led, &p, &el))) return rc;
  struct adding ad;
  memset(&ad, 0, sizeof ad);
  ad.led = led;
  ad.p = &p;
  ad.note = note;
  ad.at = at;
  hash_bytes(p.hash, ad.hash);
  rc = store_write(led->st, write_entry, &ad);
  if ((rc == SOCLOSS_OK || ad.exists) && out) *out = ad.info;
  return rc;
}
