/*
 * The store under pressure: a tiny map that must grow in the middle of an
 * import, a map that may not grow (full: refused, nothing written), schema
 * versions, foreign and corrupt databases.  The test writes raw LMDB itself
 * only to fake what another program would have left behind.
 */
#include <lmdb.h>

#include "codec.h"
#include "ledger.h"
#include "util.h"

/* n accounts with one long or short position each, netting to zero. */
static void make_csv(size_t n, char **accounts, char **positions) {
  size_t cap = 64 + n * 64;
  char *a = malloc(cap), *p = malloc(cap);
  size_t al = (size_t)sprintf(a, "account,balance\n"), pl = (size_t)sprintf(p, "account,market,size,entry_price\n");
  for (size_t i = 0; i < n; i++) {
    al += (size_t)sprintf(a + al, "acct-%07zu,%zu\n", i, 1000 + i);
    pl += (size_t)sprintf(p + pl, "acct-%07zu,BTC,%d,%zu\n", i, i % 2 ? -3 : 3, 100 + i % 7);
  }
  *accounts = a;
  *positions = p;
}

static void growth(void) {
  char dir[64];
  socloss *led = new_ledger(dir, 64 << 10);
  char *accounts, *positions;
  make_csv(20000, &accounts, &positions);
  socloss_source m = src_of("m.csv", "market,mark_price\nBTC,100\n"), a = src_of("a.csv", accounts),
                 p = src_of("p.csv", positions);
  uint64_t before = store_map_size(led->st);
  socloss_import_stats st;
  int rc = socloss_import_csv(led, &m, &a, &p, &st);
  is(rc, SOCLOSS_OK, "an import far larger than a 64 KiB map succeeds");
  if (rc) diag("%s", socloss_errmsg(led));
  is(before, 64 << 10, "the map started at 64 KiB");
  ok(store_map_size(led->st) >= 4 << 20, "and grew to %llu bytes",
     (unsigned long long)store_map_size(led->st));
  ok(st.accounts == 20000 && st.positions == 20000, "every row imported");
  socloss_totals t;
  ok(socloss_totals_get(led, &t) == 0 && t.accounts == 20000 && t.positions == 20000 && t.journal_seq == 40001,
     "the ledger holds them all, one journal record each");
  ok(invariants_hold(led), "invariants after growing");

  /* the grown ledger reopens with its data */
  socloss_close(led);
  socloss_options o;
  socloss_options_init(&o);
  o.map_size = 64 << 10;
  ok(socloss_open(&led, dir, &o) == SOCLOSS_OK, "reopens with a smaller configured map");
  is(view(led, "acct-0019999").balance, 20999, "data survives the reopen");
  ok(socloss_deposit(led, "acct-0019999", 1) == 0, "and takes writes again");
  is(view(led, "acct-0019999").balance, 21000, "which land");
  drop_ledger(led, dir);
  free(accounts);
  free(positions);
}

static void full(void) {
  char dir[64];
  strcpy(dir, "/tmp/socloss-test-XXXXXX");
  ok(mkdtemp(dir) != NULL, "temp dir");
  socloss_options o;
  socloss_options_init(&o);
  o.create = SOCLOSS_OPEN_CREATE;
  o.map_size = 256 << 10;
  o.map_size_max = 256 << 10;
  socloss *led;
  ok(socloss_open(&led, dir, &o) == SOCLOSS_OK, "a ledger whose map may not grow past 256 KiB");
  ok(socloss_set_mark(led, "BTC", 100) == 0 && socloss_deposit(led, "x", 5) == 0, "small writes fit");
  fingerprint f = fp_of(led);
  char *accounts, *positions;
  make_csv(20000, &accounts, &positions);
  socloss_source a = src_of("a.csv", accounts), p = src_of("p.csv", positions);
  is(socloss_import_csv(led, NULL, &a, &p, NULL), SOCLOSS_EMAPFULL, "a large import is refused");
  is_str(socloss_errmsg(led), "ledger map is full at 262144 bytes (limit 262144)", "with the map named");
  ok(fp_equal(f, fp_of(led)), "nothing of it was written");
  ok(socloss_deposit(led, "x", 1) == 0, "the ledger still takes small writes");
  is(view(led, "x").balance, 6, "and they land");
  ok(invariants_hold(led), "invariants after the full map");
  drop_ledger(led, dir);
  free(accounts);
  free(positions);
}

/* Writes meta.schema = version straight into a ledger's LMDB file. */
static int set_schema(const char *dir, int64_t version) {
  MDB_env *env;
  MDB_txn *txn;
  MDB_dbi dbi;
  unsigned char enc[CODEC_I64_LEN];
  codec_i64_encode(enc, version);
  MDB_val k = {6, "schema"}, v = {sizeof enc, enc};
  int rc = mdb_env_create(&env);
  if (!rc) rc = mdb_env_set_maxdbs(env, 8);
  if (!rc) rc = mdb_env_open(env, dir, 0, 0644);
  if (!rc) rc = mdb_txn_begin(env, NULL, 0, &txn);
  if (!rc) rc = mdb_dbi_open(txn, "meta", 0, &dbi);
  if (!rc) rc = mdb_put(txn, dbi, &k, &v, 0);
  if (!rc) rc = mdb_txn_commit(txn);
  mdb_env_close(env);
  return rc;
}

static int corrupt_account(const char *dir, const char *id) {
  MDB_env *env;
  MDB_txn *txn;
  MDB_dbi dbi;
  MDB_val k = {strlen(id), (void *)id}, v = {3, "bad"};
  int rc = mdb_env_create(&env);
  if (!rc) rc = mdb_env_set_maxdbs(env, 8);
  if (!rc) rc = mdb_env_open(env, dir, 0, 0644);
  if (!rc) rc = mdb_txn_begin(env, NULL, 0, &txn);
  if (!rc) rc = mdb_dbi_open(txn, "accounts", 0, &dbi);
  if (!rc) rc = mdb_put(txn, dbi, &k, &v, 0);
  if (!rc) rc = mdb_txn_commit(txn);
  mdb_env_close(env);
  return rc;
}

static void schema(void) {
  char dir[64];
  socloss *led = new_ledger(dir, 0);
  ok(socloss_deposit(led, "a", 1) == 0, "a ledger with one account");
  socloss_close(led);

  ok(set_schema(dir, 2) == 0, "a newer socloss marks it schema 2");
  is(socloss_open(&led, dir, NULL), SOCLOSS_ESCHEMA, "this socloss refuses to open it");
  is_str(socloss_errmsg(led), "ledger schema 2 is newer than this socloss supports (1)", "and says why");
  socloss_close(led);

  ok(set_schema(dir, 1) == 0 && corrupt_account(dir, "a") == 0, "back to schema 1, account 'a' garbled");
  ok(socloss_open(&led, dir, NULL) == SOCLOSS_OK, "opens");
  is(socloss_deposit(led, "a", 1), SOCLOSS_ESTORE, "a corrupt record is an error, not a guess");
  is_str(socloss_errmsg(led), "corrupt account record 'a'", "naming the record");
  drop_ledger(led, dir);

  /* an LMDB environment that socloss did not make */
  strcpy(dir, "/tmp/socloss-test-XXXXXX");
  ok(mkdtemp(dir) != NULL, "temp dir");
  MDB_env *env;
  ok(mdb_env_create(&env) == 0 && mdb_env_open(env, dir, 0, 0644) == 0, "a bare LMDB environment");
  mdb_env_close(env);
  is(socloss_open(&led, dir, NULL), SOCLOSS_ESCHEMA, "is not opened as a ledger");
  is_str(socloss_errmsg(led), "not a socloss ledger (no 'meta' table)", "and says so");
  drop_ledger(led, dir);
}

/* ---- writes through a cursor -------------------------------------------- */

/* One write of a script: holder acct-%07u (>= 2000: an account with no
 * position yet), size (0 deletes), cost. */
typedef struct pw {
  unsigned who;
  int64_t size, cost;
} pw;

typedef struct pw_run {
  const pw *w;
  size_t n;
  int cursor;  /* 1: store_put_position through one cursor; 0: store_position_put */
} pw_run;

static int write_script(store_txn *t, void *ud) {
  pw_run *r = ud;
  store_cursor *c = NULL;
  int rc = r->cursor ? store_cursor_position_writes(t, &c) : SOCLOSS_OK;
  for (size_t i = 0; !rc && i < r->n; i++) {
    char id[32];
    snprintf(id, sizeof id, "acct-%07u", r->w[i].who);
    store_position p = {r->w[i].size, r->w[i].cost};
    rc = r->cursor ? store_put_position(c, "BTC", id, &p) : store_position_put(t, "BTC", id, &p);
  }
  store_cursor_close(c);
  return rc;
}

static int dump_position(void *ud, const char *market, const char *holder, const store_position *pos) {
  codec_buf *b = ud;
  char line[128];
  int n = snprintf(line, sizeof line, "%s/%s %lld %lld\n", market, holder, (long long)pos->size, (long long)pos->cost);
  codec_buf_raw(b, line, (size_t)n);
  return 0;
}

static int dump_positions(store_txn *t, void *ud) { return store_each_position(t, NULL, dump_position, ud); }

/* store_put_position writes what store_position_put writes, whatever the
 * order: a script of 6,000 writes over 2,000 positions, mostly in key order
 * with gaps of 0 to 20 records (the cursor steps over up to 8, then
 * searches), deletes (size 0, of present and absent positions, several in
 * a row), new positions between present ones and after the last, and jumps
 * back; the two ledgers' positions tables must then be the same, record for
 * record. */
static void cursor_writes(void) {
  char dir0[64], dir1[64], *dir[2] = {dir0, dir1};
  socloss *led[2];
  char *accounts, *positions;
  make_csv(2000, &accounts, &positions);
  pw *w = malloc(6000 * sizeof *w);
  size_t n = 0, deletes = 0, inserts = 0, backs = 0;
  uint64_t x = 88172645463325252u;
  unsigned at = 0;
  while (n < 6000) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;  /* xorshift64: the same script every run */
    unsigned r = (unsigned)(x % 100);
    if (r < 5) {
      at = (unsigned)(x >> 20) % 2000, backs++;  /* a jump, often back */
    } else if (r < 10) {
      w[n++] = (pw){2000 + (unsigned)(x >> 20) % 50, 1, 7}, inserts++;  /* after the last */
      continue;
    } else {
      at += (unsigned)(x >> 24) % 21;  /* a gap of 0 to 20 */
    }
    if (at >= 2000) at = (unsigned)(x >> 30) % 20;
    int64_t size = r < 25 ? 0 : (int64_t)(x >> 40) % 9 - 4;
    deletes += size == 0;
    w[n++] = (pw){at, size, (int64_t)(x >> 33) % 100000};
  }
  for (int k = 0; k < 2; k++) {
    led[k] = new_ledger(dir[k], 0);
    socloss_source m = src_of("m.csv", "market,mark_price\nBTC,100\n"), a = src_of("a.csv", accounts),
                   p = src_of("p.csv", positions);
    socloss_import_stats st;
    socloss_import_csv(led[k], &m, &a, &p, &st);
    pw_run run = {w, n, k};
    is(store_write(led[k]->st, write_script, &run), SOCLOSS_OK,
       k ? "and through one cursor" : "6,000 position writes through store_position_put");
  }
  codec_buf b[2] = {{0}, {0}};
  for (int k = 0; k < 2; k++) store_read(led[k]->st, dump_positions, &b[k]);
  ok(b[0].len > 0 && b[0].len == b[1].len && !memcmp(b[0].p, b[1].p, b[0].len),
     "leave the same positions, record for record (%zu bytes of them)", b[0].len);
  ok(deletes > 1000 && inserts > 200 && backs > 200, "the script deletes (%zu), inserts (%zu) and jumps (%zu)",
     deletes, inserts, backs);
  for (int k = 0; k < 2; k++) {
    codec_buf_free(&b[k]);
    drop_ledger(led[k], dir[k]);
  }
  free(w);
  free(accounts);
  free(positions);
}

int main(void) {
  growth();
  cursor_writes();
  full();
  schema();
  return done_testing();
}
