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

int main(void) {
  growth();
  full();
  schema();
  return done_testing();
}
