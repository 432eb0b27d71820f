/*
 * tables.c — the ledger's tables: each key space of store.h read and written,
 * walked in key order, and the cursors the candidates are merged with.
 */
#include "store_int.h"

#include "blocks.h"

/* ---- records ------------------------------------------------------------ */

/* The tables whose writes a transaction may keep in memory (overlay.c). */
static int cached(const store_txn *t, int db) { return t->ov && (db == DB_ACCOUNTS || db == DB_POSITIONS); }

static int get(store_txn *t, int db, MDB_val k, MDB_val *v, const char *what) {
  int rc = cached(t, db) ? ov_get(t, db, &k, v) : OV_MISS;
  if (rc == OV_MISS) rc = mdb_get(t->txn, t->s->dbi[db], &k, v);
  if (rc == MDB_NOTFOUND) return SOCLOSS_ENOTFOUND;
  if (rc) return mdb_fail(t, rc, what);
  return SOCLOSS_OK;
}

static int put(store_txn *t, int db, MDB_val k, const void *p, size_t n, unsigned flags,
               const char *what) {
  MDB_val v = val(p, n);
  int rc = cached(t, db) && !flags ? ov_put(t, db, &k, p, n) : mdb_put(t->txn, t->s->dbi[db], &k, &v, flags);
  if (rc) return mdb_fail(t, rc, what);
  watch_count(t->s);
  return SOCLOSS_OK;
}

static int corrupt(const char *table, const void *key, size_t klen) {
  return err_fail(SOCLOSS_ESTORE, "corrupt %s record '%.*s'", table, (int)klen,
              (const char *)key);
}

int store_market_get(store_txn *t, const char *id, store_market *out) {
  MDB_val v;
  int rc = get(t, DB_MARKETS, str_val(id), &v, "read market");
  if (rc) return rc;
  if (codec_market_decode(v.mv_data, v.mv_size, out)) return corrupt("market", id, strlen(id));
  return SOCLOSS_OK;
}

int store_market_put(store_txn *t, const char *id, const store_market *m) {
  unsigned char enc[CODEC_MARKET_LEN];
  codec_market_encode(enc, m);
  int rc = put(t, DB_MARKETS, str_val(id), enc, sizeof enc, 0, "write market");
  if (!rc) watch_note_write(t->s, STORE_CHANGE_MARKET, id, NULL, m->mark, 0);
  return rc;
}

int store_account_get(store_txn *t, const char *id, int64_t *balance) {
  MDB_val k = str_val(id), v;
  int rc = t->ov ? ov_get(t, DB_ACCOUNTS, &k, &v) : OV_MISS;
  if (rc == OV_MISS) rc = cursor_get(t, DB_ACCOUNTS, &k, &v);  /* from the last one's page (ordered.c) */
  if (rc == MDB_NOTFOUND) return SOCLOSS_ENOTFOUND;
  if (rc) return mdb_fail(t, rc, "read account");
  if (codec_i64_decode(v.mv_data, v.mv_size, balance)) return corrupt("account", id, strlen(id));
  return SOCLOSS_OK;
}

int store_account_put(store_txn *t, const char *id, int64_t balance) {
  unsigned char enc[CODEC_I64_LEN];
  codec_i64_encode(enc, balance);
  int rc = put(t, DB_ACCOUNTS, str_val(id), enc, sizeof enc, 0, "write account");
  if (!rc) watch_note_write(t->s, STORE_CHANGE_ACCOUNT, NULL, id, balance, 0);
  return rc;
}

/* Whether (db, k) holds a record: 0 or 1 in *there, or an LMDB code. */
static int held(store_txn *t, int db, MDB_val *k, int *there) {
  MDB_val v;
  int rc = cached(t, db) ? ov_get(t, db, k, &v) : OV_MISS;
  if (rc == OV_MISS) rc = mdb_get(t->txn, t->s->dbi[db], k, &v);
  *there = rc == MDB_SUCCESS;
  return rc == MDB_NOTFOUND ? MDB_SUCCESS : rc;
}

/* store_account_add and store_position_add: a put that must not replace */
static int add(store_txn *t, int db, MDB_val k, const void *p, size_t n, const char *what) {
  MDB_val v = val(p, n);
  int there = 0, rc;
  if (cached(t, db)) {
    rc = held(t, db, &k, &there);
    if (!rc) rc = there ? MDB_KEYEXIST : ov_put(t, db, &k, p, n);
  } else {
    rc = tail_add(t, db, &k, &v);  /* through a cursor that sits near k (ordered.c) */
  }
  if (rc == MDB_KEYEXIST) return SOCLOSS_EEXIST;
  if (rc) return mdb_fail(t, rc, what);
  watch_count(t->s);
  return SOCLOSS_OK;
}

int store_account_add(store_txn *t, const char *id, int64_t balance) {
  unsigned char enc[CODEC_I64_LEN];
  codec_i64_encode(enc, balance);
  int rc = add(t, DB_ACCOUNTS, str_val(id), enc, sizeof enc, "write account");
  if (!rc) watch_note_write(t->s, STORE_CHANGE_ACCOUNT, NULL, id, balance, 0);
  return rc;
}

int store_position_get(store_txn *t, const char *market, const char *holder,
                       store_position *out) {
  unsigned char key[CODEC_POSKEY_MAX];
  size_t klen = codec_poskey_encode(key, market, holder);
  MDB_val v;
  out->size = out->cost = 0;
  int rc = get(t, DB_POSITIONS, val(key, klen), &v, "read position");
  if (rc) return rc;
  if (codec_position_decode(v.mv_data, v.mv_size, out)) return corrupt("position", key, klen);
  return SOCLOSS_OK;
}

int store_position_put(store_txn *t, const char *market, const char *holder,
                       const store_position *pos) {
  unsigned char key[CODEC_POSKEY_MAX];
  size_t klen = codec_poskey_encode(key, market, holder);
  if (pos->size == 0) {
    MDB_val k = val(key, klen);
    int there = 1, rc = t->ov ? held(t, DB_POSITIONS, &k, &there) : MDB_SUCCESS;
    if (!rc) rc = !there ? MDB_NOTFOUND : t->ov ? ov_put(t, DB_POSITIONS, &k, NULL, 0)
                                                 : mdb_del(t->txn, t->s->dbi[DB_POSITIONS], &k, NULL);
    if (rc == MDB_NOTFOUND) return SOCLOSS_OK;
    if (rc) return mdb_fail(t, rc, "delete position");
    watch_count(t->s);
    watch_note_write(t->s, STORE_CHANGE_POSITION, market, holder, 0, 0);
    return SOCLOSS_OK;
  }
  unsigned char enc[CODEC_POSITION_LEN];
  codec_position_encode(enc, pos);
  int rc = put(t, DB_POSITIONS, val(key, klen), enc, sizeof enc, 0, "write position");
  if (!rc) watch_note_write(t->s, STORE_CHANGE_POSITION, market, holder, pos->size, pos->cost);
  return rc;
}

int store_position_add(store_txn *t, const char *market, const char *holder,
                       const store_position *pos) {
  unsigned char key[CODEC_POSKEY_MAX], enc[CODEC_POSITION_LEN];
  size_t klen = codec_poskey_encode(key, market, holder);
  codec_position_encode(enc, pos);
  int rc = add(t, DB_POSITIONS, val(key, klen), enc, sizeof enc, "write position");
  /* a record of size 0 (which store_position_put never writes) is no change a watcher could tell from none */
  if (!rc) watch_note_write(t->s, pos->size ? STORE_CHANGE_POSITION : 0, market, holder, pos->size, pos->cost);
  return rc;
}

static int get_i64(store_txn *t, int db, const char *key, int64_t *out) {
  MDB_val v;
  *out = 0;
  int rc = get(t, db, str_val(key), &v, "read total");
  if (rc == SOCLOSS_ENOTFOUND) return SOCLOSS_OK;  /* never written: zero */
  if (rc) return rc;
  if (codec_i64_decode(v.mv_data, v.mv_size, out)) return corrupt("total", key, strlen(key));
  return SOCLOSS_OK;
}

static int put_i64(store_txn *t, int db, const char *key, int64_t x) {
  unsigned char enc[CODEC_I64_LEN];
  codec_i64_encode(enc, x);
  return put(t, db, str_val(key), enc, sizeof enc, 0, "write total");
}

int store_totals_get(store_txn *t, store_totals *out) {
  int rc = get_i64(t, DB_FUND, "cash", &out->fund_cash);
  if (!rc) rc = get_i64(t, DB_FUND, "bad_debt", &out->bad_debt);
  if (!rc) rc = get_i64(t, DB_META, "net_flows", &out->net_flows);
  return rc;
}

int store_totals_put(store_txn *t, const store_totals *in) {
  int rc = put_i64(t, DB_FUND, "cash", in->fund_cash);
  if (!rc) rc = put_i64(t, DB_FUND, "bad_debt", in->bad_debt);
  if (!rc) rc = put_i64(t, DB_META, "net_flows", in->net_flows);
  return rc;
}

/* ---- journal ------------------------------------------------------------ */

/* A record a transaction kept in memory wrote and did not keep (overlay.c). */
static int not_kept(uint64_t seq) {
  return err_fail(SOCLOSS_ESTORE, "journal record %llu: a simulation keeps only the last record it wrote",
                  (unsigned long long)seq);
}

uint64_t store_journal_last(store_txn *t) {
  MDB_cursor *c;
  MDB_val k, v;
  uint64_t last = 0;
  if (ov_journal_last(t, &last)) return last;  /* kept in memory (overlay.c) */
  if (mdb_cursor_open(t->txn, t->s->dbi[DB_JOURNAL], &c)) return 0;
  if (!mdb_cursor_get(c, &k, &v, MDB_LAST) && k.mv_size == 8) last = codec_get_u64(k.mv_data);
  mdb_cursor_close(c);
  return last;
}

int store_journal_put(store_txn *t, uint64_t seq, const void *rec, size_t len) {
  unsigned char key[8];
  codec_put_u64(key, seq);
  if (ov_journal_on(t)) {  /* a transaction thrown away keeps only its last record, in memory (overlay.c) */
    if (seq != store_journal_last(t) + 1)
      return err_fail(SOCLOSS_ESTORE, "journal: sequence %llu does not follow the last record",
                      (unsigned long long)seq);
    if (ov_journal_put(t, seq, rec, len)) return err_fail(SOCLOSS_ENOMEM, "out of memory");
    watch_count(t->s);
    return SOCLOSS_OK;
  }
  /* MDB_APPEND: keys only grow, so LMDB skips the tree search; a seq that
   * does not follow the last one is refused (MDB_KEYEXIST).  MDB_RESERVE:
   * the record is copied into the pages LMDB has just allocated for it,
   * advised as huge pages first when it is large (a crash's deficit of a
   * million haircuts writes a record of 20 MB: 5,000 faults otherwise). */
  MDB_val v = {len, NULL};
  int rc = mdb_put(t->txn, t->s->dbi[DB_JOURNAL], &(MDB_val){8, key}, &v, MDB_APPEND | MDB_RESERVE);
  if (!rc) {
    if (len >= BLOCKS_BIG) blocks_advise_huge(v.mv_data, len);
    memcpy(v.mv_data, rec, len);
  }
  if (rc == MDB_KEYEXIST)
    return err_fail(SOCLOSS_ESTORE, "journal: sequence %llu does not follow the last record",
                (unsigned long long)seq);
  if (rc) return mdb_fail(t, rc, "append journal");
  watch_count(t->s);
  return SOCLOSS_OK;
}

int store_journal_get(store_txn *t, uint64_t seq, const void **rec, size_t *len) {
  unsigned char key[8];
  MDB_val v;
  codec_put_u64(key, seq);
  int orc = ov_journal_get(t, seq, rec, len);
  if (orc == MDB_SUCCESS) return SOCLOSS_OK;
  if (orc != OV_MISS) return not_kept(seq);
  int rc = get(t, DB_JOURNAL, val(key, 8), &v, "read journal");
  if (rc) return rc;
  *rec = v.mv_data;
  *len = v.mv_size;
  return SOCLOSS_OK;
}

/* ---- walks -------------------------------------------------------------- */

typedef int (*visit_fn)(store_txn *t, void *ud, MDB_val *k, MDB_val *v);

static int walk(store_txn *t, int db, MDB_val *start, const void *prefix, size_t plen,
                visit_fn visit, void *ud) {
  MDB_cursor *c;
  int rc = cached(t, db) ? ov_flush(t) : SOCLOSS_OK;  /* the walk sees every write */
  if (rc) return rc;
  rc = mdb_cursor_open(t->txn, t->s->dbi[db], &c);
  if (rc) return mdb_fail(t, rc, "open cursor");
  MDB_val k = start ? *start : val(NULL, 0), v;
  int mrc = mdb_cursor_get(c, &k, &v, start ? MDB_SET_RANGE : MDB_FIRST);
  rc = SOCLOSS_OK;
  for (; mrc == 0; mrc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
    if (plen && (k.mv_size < plen || memcmp(k.mv_data, prefix, plen) != 0)) break;
    if ((rc = visit(t, ud, &k, &v)) != 0) break;
  }
  if (!rc && mrc && mrc != MDB_NOTFOUND) rc = mdb_fail(t, mrc, "walk");
  mdb_cursor_close(c);
  return rc;
}

struct walk_ctx {
  store_policy_cb blob;
  store_deficit_cb deficit;
  store_market_cb market;
  store_account_cb account;
  store_position_cb position;
  store_record_cb record;
  void *ud;
};

static int key_id(const char *table, MDB_val *k, char out[CODEC_ID_MAX + 1]) {
  if (k->mv_size == 0 || k->mv_size > CODEC_ID_MAX)
    return corrupt(table, k->mv_data, k->mv_size > CODEC_ID_MAX ? CODEC_ID_MAX : k->mv_size);
  memcpy(out, k->mv_data, k->mv_size);
  out[k->mv_size] = 0;
  return SOCLOSS_OK;
}

static int visit_market(store_txn *t, void *ud, MDB_val *k, MDB_val *v) {
  (void)t;
  struct walk_ctx *w = ud;
  char id[CODEC_ID_MAX + 1];
  store_market m;
  int rc = key_id("market", k, id);
  if (rc) return rc;
  if (codec_market_decode(v->mv_data, v->mv_size, &m)) return corrupt("market", id, strlen(id));
  return w->market(w->ud, id, &m);
}

int store_each_market(store_txn *t, store_market_cb cb, void *ud) {
  struct walk_ctx w = {.market = cb, .ud = ud};
  return walk(t, DB_MARKETS, NULL, NULL, 0, visit_market, &w);
}

static int visit_account(store_txn *t, void *ud, MDB_val *k, MDB_val *v) {
  (void)t;
  struct walk_ctx *w = ud;
  char id[CODEC_ID_MAX + 1];
  int64_t balance;
  int rc = key_id("account", k, id);
  if (rc) return rc;
  if (codec_i64_decode(v->mv_data, v->mv_size, &balance)) return corrupt("account", id, strlen(id));
  return w->account(w->ud, id, balance);
}

int store_each_account(store_txn *t, store_account_cb cb, void *ud) {
  struct walk_ctx w = {.account = cb, .ud = ud};
  return walk(t, DB_ACCOUNTS, NULL, NULL, 0, visit_account, &w);
}

static int visit_position(store_txn *t, void *ud, MDB_val *k, MDB_val *v) {
  (void)t;
  struct walk_ctx *w = ud;
  char market[CODEC_ID_MAX + 1], holder[CODEC_ID_MAX + 1];
  store_position pos;
  if (codec_poskey_decode(k->mv_data, k->mv_size, market, holder) ||
      codec_position_decode(v->mv_data, v->mv_size, &pos))
    return corrupt("position", k->mv_data, k->mv_size);
  return w->position(w->ud, market, holder, &pos);
}

int store_each_position(store_txn *t, const char *market, store_position_cb cb, void *ud) {
  struct walk_ctx w = {.position = cb, .ud = ud};
  if (!market) return walk(t, DB_POSITIONS, NULL, NULL, 0, visit_position, &w);
  unsigned char prefix[CODEC_POSKEY_MAX];
  size_t plen = codec_poskey_encode(prefix, market, "");
  MDB_val start = val(prefix, plen);
  return walk(t, DB_POSITIONS, &start, prefix, plen, visit_position, &w);
}

static int visit_record(store_txn *t, void *ud, MDB_val *k, MDB_val *v) {
  (void)t;
  struct walk_ctx *w = ud;
  if (k->mv_size != 8) return corrupt("journal", "?", 1);
  return w->record(w->ud, codec_get_u64(k->mv_data), v->mv_data, v->mv_size);
}

int store_each_record(store_txn *t, uint64_t from, store_record_cb cb, void *ud) {
  struct walk_ctx w = {.record = cb, .ud = ud};
  uint64_t last;
  if (ov_journal_kept(t) && ov_journal_last(t, &last)) return not_kept(last);
  unsigned char key[8];
  codec_put_u64(key, from);
  MDB_val start = val(key, 8);
  return walk(t, DB_JOURNAL, &start, NULL, 0, visit_record, &w);
}

int store_counts(store_txn *t, size_t *markets, size_t *accounts, size_t *positions) {
  static const int dbs[] = {DB_MARKETS, DB_ACCOUNTS, DB_POSITIONS};
  size_t *out[] = {markets, accounts, positions};
  int frc = ov_flush(t);  /* the counts of every write */
  if (frc) return frc;
  for (int i = 0; i < 3; i++) {
    MDB_stat st;
    int rc = mdb_stat(t->txn, t->s->dbi[dbs[i]], &st);
    if (rc) return mdb_fail(t, rc, "count");
    *out[i] = st.ms_entries;
  }
  return SOCLOSS_OK;
}

int store_clear_state(store_txn *t) {
  static const int state[] = {DB_MARKETS, DB_ACCOUNTS, DB_POSITIONS, DB_FUND, DB_DEFICITS};
  int frc = ov_forget(t);  /* the cached records go with the tables */
  if (frc) return frc;
  watch_count(t->s);  /* so that an abort knows */
  watch_lose(t->s);
  for (size_t i = 0; i < sizeof state / sizeof state[0]; i++) {
    int rc = mdb_drop(t->txn, t->s->dbi[state[i]], 0);
    if (rc) return mdb_fail(t, rc, "clear state");
  }
  MDB_val k = str_val("net_flows");
  int rc = mdb_del(t->txn, t->s->dbi[DB_META], &k, NULL);
  return rc && rc != MDB_NOTFOUND ? mdb_fail(t, rc, "clear state") : SOCLOSS_OK;
}

/* Everything but the state: the settings, the policy registry and the
 * journal, copied from a snapshot into an empty ledger,
 * so that work that replays the journal can run in a scratch ledger
 * (store_open_scratch) exactly as it would have in the ledger emptied of
 * its state.  Keys come in order and the target is empty: MDB_APPEND. */
static int copy_table(store_txn *from, store_txn *to, int db) {
  /* meta already holds the new ledger's schema: its keys are put over */
  unsigned flags = db == DB_META ? 0 : MDB_APPEND;
  MDB_cursor *c;
  uint64_t last;
  if (db == DB_JOURNAL && ov_journal_kept(from) && ov_journal_last(from, &last)) return not_kept(last);
  int rc = cached(from, db) ? ov_flush(from) : SOCLOSS_OK;
  if (rc) return rc;
  rc = mdb_cursor_open(from->txn, from->s->dbi[db], &c);
  if (rc) return mdb_fail(from, rc, "open cursor");
  MDB_val k, v;
  int mrc;
  rc = SOCLOSS_OK;
  for (mrc = mdb_cursor_get(c, &k, &v, MDB_FIRST); !mrc; mrc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
    if ((rc = put(to, db, k, v.mv_data, v.mv_size, flags, "copy"))) break;
  }
  if (!rc && mrc != MDB_NOTFOUND) rc = mdb_fail(from, mrc, "copy");
  mdb_cursor_close(c);
  return rc;
}

int store_copy_all(store_txn *from, store_txn *to) {
  int rc = ov_forget(to);  /* the copy goes straight into LMDB */
  watch_lose(to->s);  /* (each put is counted) */
  for (int db = 0; !rc && db < DB__N; db++) rc = copy_table(from, to, db);
  return rc;
}

int store_copy_all_but_state(store_txn *from, store_txn *to) {
  static const int aux[] = {DB_SETTINGS, DB_JOURNAL, DB_POLICIES};
  int rc = SOCLOSS_OK;
  for (size_t i = 0; !rc && i < sizeof aux / sizeof aux[0]; i++) rc = copy_table(from, to, aux[i]);
  return rc;
}

/* ---- deficits and settings ---------------------------------------------- */

int store_deficit_get(store_txn *t, const char *id, size_t len, uint64_t *seq) {
  MDB_val v;
  int rc = get(t, DB_DEFICITS, val(id, len), &v, "read deficit");
  if (rc) return rc;
  int64_t s;
  if (codec_i64_decode(v.mv_data, v.mv_size, &s)) return corrupt("deficit", id, len);
  *seq = (uint64_t)s;
  return SOCLOSS_OK;
}

int store_deficit_put(store_txn *t, const char *id, size_t len, uint64_t seq) {
  unsigned char enc[CODEC_I64_LEN];
  codec_i64_encode(enc, (int64_t)seq);
  return put(t, DB_DEFICITS, val(id, len), enc, sizeof enc, 0, "write deficit");
}

static int visit_deficit(store_txn *t, void *ud, MDB_val *k, MDB_val *v) {
  (void)t;
  struct walk_ctx *w = ud;
  int64_t seq;
  if (codec_i64_decode(v->mv_data, v->mv_size, &seq)) return corrupt("deficit", k->mv_data, k->mv_size);
  return w->deficit(w->ud, k->mv_data, k->mv_size, (uint64_t)seq);
}

int store_each_deficit(store_txn *t, store_deficit_cb cb, void *ud) {
  struct walk_ctx w = {.deficit = cb, .ud = ud};
  return walk(t, DB_DEFICITS, NULL, NULL, 0, visit_deficit, &w);
}

int store_setting_get(store_txn *t, const char *key, const void **p, size_t *len) {
  MDB_val v;
  int rc = get(t, DB_SETTINGS, str_val(key), &v, "read setting");
  if (rc) return rc;
  *p = v.mv_data;
  *len = v.mv_size;
  return SOCLOSS_OK;
}

int store_setting_put(store_txn *t, const char *key, const void *p, size_t len) {
  if (!p) {
    MDB_val k = str_val(key);
    int rc = mdb_del(t->txn, t->s->dbi[DB_SETTINGS], &k, NULL);
    if (rc == MDB_NOTFOUND) return SOCLOSS_OK;
    if (rc) return mdb_fail(t, rc, "delete setting");
    watch_count(t->s);
    return SOCLOSS_OK;
  }
  return put(t, DB_SETTINGS, str_val(key), p, len, 0, "write setting");
}

struct setting_walk {
  store_setting_cb cb;
  void *ud;
};

static int visit_setting(store_txn *t, void *ud, MDB_val *k, MDB_val *v) {
  (void)t;
  struct setting_walk *w = ud;
  return w->cb(w->ud, k->mv_data, k->mv_size, v->mv_data, v->mv_size);
}

int store_each_setting(store_txn *t, const char *prefix, store_setting_cb cb, void *ud) {
  struct setting_walk w = {cb, ud};
  MDB_val start = str_val(prefix);
  return walk(t, DB_SETTINGS, &start, prefix, strlen(prefix), visit_setting, &w);
}

/* ---- cursors ------------------------------------------------------------ */

struct store_cursor {
  store_txn *t;
  MDB_cursor *c;
  int started, done;
  int deleted;   /* a write cursor's last write deleted (it sits on the next record) */
  unsigned char prefix[CODEC_POSKEY_MAX];
  size_t plen;   /* 0: the accounts table */
};

static int cursor_open(store_txn *t, int db, store_cursor **out) {
  store_cursor *c = calloc(1, sizeof *c);
  if (!c) return err_fail(SOCLOSS_ENOMEM, "out of memory");
  int rc = mdb_cursor_open(t->txn, t->s->dbi[db], &c->c);
  if (rc) {
    free(c);
    return mdb_fail(t, rc, "open cursor");
  }
  c->t = t;
  *out = c;
  return SOCLOSS_OK;
}

/* A cursor that reads: it sees every write (a write cursor's writes go to
 * the overlay when there is one, which it never reads). */
int store_cursor_accounts(store_txn *t, store_cursor **out) {
  int rc = ov_flush(t);
  return rc ? rc : cursor_open(t, DB_ACCOUNTS, out);
}

int store_cursor_positions(store_txn *t, const char *market, store_cursor **out) {
  int rc = ov_flush(t);
  if (!rc) rc = cursor_open(t, DB_POSITIONS, out);
  if (!rc) (*out)->plen = codec_poskey_encode((*out)->prefix, market, "");
  return rc;
}

static int cursor_step(store_cursor *c, MDB_val *k, MDB_val *v) {
  if (c->done) return SOCLOSS_ENOTFOUND;
  int rc;
  if (!c->started) {
    c->started = 1;
    if (c->plen) {
      *k = val(c->prefix, c->plen);
      rc = mdb_cursor_get(c->c, k, v, MDB_SET_RANGE);
    } else {
      rc = mdb_cursor_get(c->c, k, v, MDB_FIRST);
    }
  } else {
    rc = mdb_cursor_get(c->c, k, v, MDB_NEXT);
  }
  if (rc == MDB_NOTFOUND || (!rc && c->plen && (k->mv_size < c->plen || memcmp(k->mv_data, c->prefix, c->plen)))) {
    c->done = 1;
    return SOCLOSS_ENOTFOUND;
  }
  return rc ? mdb_fail(c->t, rc, "cursor") : SOCLOSS_OK;
}

int store_next_account(store_cursor *c, char id[CODEC_ID_MAX + 1], int64_t *balance) {
  MDB_val k, v;
  int rc = cursor_step(c, &k, &v);
  if (rc) return rc;
  if ((rc = key_id("account", &k, id))) return rc;
  if (codec_i64_decode(v.mv_data, v.mv_size, balance)) return corrupt("account", id, strlen(id));
  return SOCLOSS_OK;
}

int store_next_position(store_cursor *c, char holder[CODEC_ID_MAX + 1], store_position *pos) {
  MDB_val k, v;
  int rc = cursor_step(c, &k, &v);
  if (rc) return rc;
  size_t h = k.mv_size - c->plen;
  if (h > CODEC_ID_MAX || codec_position_decode(v.mv_data, v.mv_size, pos))
    return corrupt("position", k.mv_data, k.mv_size);
  memcpy(holder, (const char *)k.mv_data + c->plen, h);
  holder[h] = 0;
  return SOCLOSS_OK;
}

void store_cursor_close(store_cursor *c) {
  if (!c) return;
  mdb_cursor_close(c->c);
  free(c);
}

int store_cursor_account_writes(store_txn *t, store_cursor **out) { return cursor_open(t, DB_ACCOUNTS, out); }

int store_cursor_position_writes(store_txn *t, store_cursor **out) { return cursor_open(t, DB_POSITIONS, out); }

/* LMDB's default order of keys (mdb_cmp_memn): bytes, then the shorter first. */
static int key_cmp(const MDB_val *a, const MDB_val *b) {
  return bytes_order(a->mv_data, a->mv_size, b->mv_data, b->mv_size);
}

/* Records a write cursor steps over before it searches instead: a write in
 * key order that skips a few records (the holders a haircut or a close
 * leaves alone) finds its key from where the last one left the cursor. */
#define SEEK_STEPS 8

/* A write cursor moved onto key k: 0 there, MDB_NOTFOUND when there is no
 * such record.  Writes in key order mostly meet their key where the last
 * one left the cursor (on its key after a put, on the next record after a
 * delete) or a few records on, which costs no search; otherwise MDB_SET
 * searches, from the cursor's leaf page when the key falls inside it.  (An
 * unpositioned cursor's next is the first record; its current is EINVAL.) */
static int seek(store_cursor *c, MDB_val *k, MDB_val *v) {
  MDB_val at;
  MDB_cursor_op op = c->deleted ? MDB_GET_CURRENT : MDB_NEXT;
  for (int i = 0; i < SEEK_STEPS; i++, op = MDB_NEXT) {
    if (mdb_cursor_get(c->c, &at, v, op)) break;
    int cmp = key_cmp(&at, k);
    if (!cmp) return 0;
    if (cmp > 0) break;  /* passed it: k is absent or behind the cursor */
  }
  return mdb_cursor_get(c->c, k, v, MDB_SET);
}

/* Overwrites the record the cursor sits on (rc 0), or puts a new one. */
static int put_at(store_cursor *c, int rc, MDB_val *k, const void *p, size_t n, const char *what) {
  MDB_val v = val(p, n);
  if (!rc) rc = mdb_cursor_put(c->c, k, &v, MDB_CURRENT);
  else if (rc == MDB_NOTFOUND) rc = mdb_cursor_put(c->c, k, &v, 0);
  c->deleted = 0;
  if (rc) return mdb_fail(c->t, rc, what);
  watch_count(c->t->s);
  return SOCLOSS_OK;
}

int store_put_account(store_cursor *c, const char *id, int64_t balance) {
  unsigned char enc[CODEC_I64_LEN];
  codec_i64_encode(enc, balance);
  MDB_val k = str_val(id), v;
  int rc = c->t->ov ? put(c->t, DB_ACCOUNTS, k, enc, sizeof enc, 0, "write account")
                    : put_at(c, seek(c, &k, &v), &k, enc, sizeof enc, "write account");
  if (!rc) watch_note_write(c->t->s, STORE_CHANGE_ACCOUNT, NULL, id, balance, 0);
  return rc;
}

int store_put_position(store_cursor *c, const char *market, const char *holder, const store_position *pos) {
  return store_put_position_hinted(c, market, holder, pos, STORE_NO_HINT);
}

/* A position written, told to the watch (or, STORE_SEEN, its consumer has it). */
static void noted(store *s, const char *market, const char *holder, const store_position *pos, uint64_t hint) {
  if (hint == STORE_SEEN) watch_seen(s);
  else watch_note_hinted(s, STORE_CHANGE_POSITION, market, holder, pos->size, pos->cost, hint);
}

int store_put_position_hinted(store_cursor *c, const char *market, const char *holder, const store_position *pos,
                              uint64_t hint) {
  unsigned char key[CODEC_POSKEY_MAX];
  MDB_val k = val(key, codec_poskey_encode(key, market, holder)), v;
  if (c->t->ov) {  /* kept in memory (overlay.c): the cursor is not used */
    unsigned char enc[CODEC_POSITION_LEN];
    int there = 1, rc = pos->size ? MDB_SUCCESS : held(c->t, DB_POSITIONS, &k, &there);
    if (!rc && !there) return SOCLOSS_OK;  /* nothing to delete: no change */
    if (pos->size) codec_position_encode(enc, pos);
    if (!rc) rc = ov_put(c->t, DB_POSITIONS, &k, enc, pos->size ? sizeof enc : 0);
    if (rc) return mdb_fail(c->t, rc, "write position");
    watch_count(c->t->s);
    noted(c->t->s, market, holder, pos, hint);
    return SOCLOSS_OK;
  }
  int rc = seek(c, &k, &v);
  if (pos->size != 0) {
    unsigned char enc[CODEC_POSITION_LEN];
    codec_position_encode(enc, pos);
    rc = put_at(c, rc, &k, enc, sizeof enc, "write position");
  } else if (rc == MDB_NOTFOUND) {
    return SOCLOSS_OK;  /* nothing to delete: no change */
  } else {
    if (!rc && !(rc = mdb_cursor_del(c->c, 0))) c->deleted = 1;
    if (rc) return mdb_fail(c->t, rc, "delete position");
    watch_count(c->t->s);
  }
  if (!rc) noted(c->t->s, market, holder, pos, hint);
  return rc;
}

/* ---- the policy registry ------------------------------------------------ */

int store_policy_put(store_txn *t, const unsigned char hash[32], const void *rec, size_t len) {
  return put(t, DB_POLICIES, val(hash, 32), rec, len, 0, "write policy");
}

int store_policy_get(store_txn *t, const unsigned char hash[32], const void **rec, size_t *len) {
  MDB_val v;
  int rc = get(t, DB_POLICIES, val(hash, 32), &v, "read policy");
  if (rc) return rc;
  *rec = v.mv_data;
  *len = v.mv_size;
  return SOCLOSS_OK;
}

static int visit_policy(store_txn *t, void *ud, MDB_val *k, MDB_val *v) {
  (void)t;
  struct walk_ctx *w = ud;
  if (k->mv_size != 32) return corrupt("policy", "?", 1);
  return w->blob(w->ud, k->mv_data, v->mv_data, v->mv_size);
}

int store_each_policy(store_txn *t, store_policy_cb cb, void *ud) {
  struct walk_ctx w = {.blob = cb, .ud = ud};
  return walk(t, DB_POLICIES, NULL, NULL, 0, visit_policy, &w);
}
