/*
 * registry.c — policies as versioned entries in the ledger, by the SHA-256
 * of their source: name, version (1, 2, ... per name), the journal sequence
 * that added them, and the source itself.  Activating one sets it as the
 * active or fallback policy, ledger-wide or for one market, through the same
 * journaled setting as `socloss policy set`.
 *
 *   entry: u8 version | str name | u32 version | i64 seq | blob source
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
} entry;

static int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

static void to_hex(const unsigned char h[32], char out[65]) {
  for (int i = 0; i < 32; i++) snprintf(out + 2 * i, 3, "%02x", h[i]);
}

static int decode_entry(const unsigned char hash[32], const void *p, size_t len, entry *e) {
  codec_reader r = {p, len, 0, 0};
  memset(e, 0, sizeof *e);
  if (codec_rd_u8(&r) != ENTRY_VERSION) return -1;
  codec_rd_str(&r, e->info.name);
  e->info.version = codec_rd_u32(&r);
  e->info.seq = (uint64_t)codec_rd_i64(&r);
  e->source = codec_rd_blob(&r, &e->info.source_len);
  to_hex(hash, e->info.hash);
  return r.bad || r.pos != r.len ? -1 : 0;
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

/* NAME, NAME@VERSION, or a hash (8 to 64 lowercase hex digits). */
static int lookup(socloss *led, const char *ref, struct lookup *l) {
  memset(l, 0, sizeof *l);
  l->led = led;
  l->f.ref = ref;
  l->f.ref_len = strlen(ref);
  char q[TEXT_QUOTED(80)];  /* the reference as messages quote it */
  text_quote(q, ref, l->f.ref_len, 80);
  int hex = l->f.ref_len >= 8 && l->f.ref_len <= 64;
  for (size_t i = 0; hex && i < l->f.ref_len; i++) hex = hex_value(ref[i]) >= 0;
  l->f.by_hash = hex;
  if (!hex) {
    const char *at = strchr(ref, '@');
    size_t n = at ? (size_t)(at - ref) : strlen(ref);
    if (n == 0 || n > CODEC_ID_MAX)
      return err_fail(SOCLOSS_EINVAL, "policy: '%s' is not a name, name@version or hash", q);
    memcpy(l->f.name, ref, n);
    l->f.name[n] = 0;
    if (at) {
      char *end;
      unsigned long v = strtoul(at + 1, &end, 10);
      if (*end || v == 0 || v > UINT32_MAX) return err_fail(SOCLOSS_EINVAL, "policy: bad version in '%s'", q);
      l->f.want_version = (uint32_t)v;
    }
  }
  int rc = store_read(led->st, read_lookup, l);
  if (rc) return rc;
  if (l->f.matches == 0) return err_fail(SOCLOSS_ENOTFOUND, "policy: no policy '%s' in the registry", q);
  if (l->f.matches > 1) {
    free(l->source);
    return err_fail(SOCLOSS_EINVAL, "policy: '%s' matches %d policies; give more of the hash", q, l->f.matches);
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

/* ---- adding ------------------------------------------------------------- */

struct adding {
  socloss *led;
  const policy_src *p;
  unsigned char hash[32];
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

/* Writes a new entry (the next version of its name) and its journal record. */
static int put_entry(applier *a, const unsigned char hash[32], const policy_src *p, socloss_policy_info *info) {
  struct adding ad;
  memset(&ad, 0, sizeof ad);
  ad.led = a->led;
  ad.p = p;
  ad.info.version = 1;
  int rc = store_each_policy(a->t, highest_version, &ad);
  if (rc) return rc;
  codec_buf rec = {0}, val = {0};
  record_policy_add_encode(&rec, p->name, ad.info.version, p->hash);
  uint64_t seq = 0;
  rc = applier_record(a, &rec, &seq);
  codec_buf_u8(&val, ENTRY_VERSION);
  codec_buf_str(&val, p->name);
  codec_buf_u32(&val, ad.info.version);
  codec_buf_i64(&val, (int64_t)seq);
  codec_buf_blob(&val, p->source, p->len);
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

int registry_ensure(applier *a, const policy_src *p) {
  unsigned char hash[32];
  const void *old;
  size_t len;
  hash_bytes(p->hash, hash);
  int rc = store_policy_get(a->t, hash, &old, &len);
  if (rc != SOCLOSS_ENOTFOUND) return rc;  /* there already (or an error) */
  return put_entry(a, hash, p, NULL);
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
  rc = put_entry(&a, ad->hash, ad->p, &ad->info);
  applier_end(&a);
  return rc;
}

int policy_add_run(socloss *led, const char *source, size_t len, socloss_policy_info *out) {
  policy_src p = {source, len, "", "", 0, 0, "", ""};
  socloss_limits lim;
  int rc = limits_read(led, &lim);
  if (rc) return rc;
  eval_limits el = {lim.instructions, lim.memory, lim.wall_ms};
  if ((rc = policy_probe(led, &p, &el))) return rc;
  struct adding ad;
  memset(&ad, 0, sizeof ad);
  ad.led = led;
  ad.p = &p;
  hash_bytes(p.hash, ad.hash);
  rc = store_write(led->st, write_entry, &ad);
  if ((rc == SOCLOSS_OK || ad.exists) && out) *out = ad.info;
  return rc;
}
