/*
 * The store under pressure: a tiny map that must grow in the middle of an
 * import, a map that may not grow (full: refused, nothing written), schema
 * versions, foreign and corrupt databases; adds and account look-ups
 * through the transaction's cursors (ordered.c) in and out of key order;
 * two ledgers compared record for record (compare.c).  The test writes raw
 * LMDB itself only to fake what another program would have left behind.
 */
#include <lmdb.h>

#include "codec.h"
#include "ledger.h"
#include "store_int.h"  /* the transaction's tails (ordered.c), to see which path each add took */
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

/* ---- ordered.c: adds through two cursors, account reads through one ---- */

static store *scratch(void) {
  store_config cfg = {STORE_OPEN_CREATE, 64ull << 20, 1ull << 30, 1, {0}};
  store *s = NULL;
  return store_open_scratch(&s, &cfg) == SOCLOSS_OK ? s : NULL;
}

static void acct_id(char out[32], const char *fmt, unsigned i) { snprintf(out, 32, fmt, i); }

static int64_t balance_of(store_txn *t, const char *id) {
  int64_t b = -1;
  return store_account_get(t, id, &b) == SOCLOSS_OK ? b : -1;
}

/* 1,000 accounts in id order, then adds before the tail, at it, and past
 * a tail that a plain put left behind. */
static int accounts_in_order(store_txn *t, void *ud) {
  (void)ud;
  store_tail *tl = &t->tail[TAIL_ACCOUNTS];
  size_t fails = 0;
  char id[32];
  for (unsigned i = 0; i < 1000; i++) {
    acct_id(id, "acct-%07u", i);
    fails += store_account_add(t, id, (int64_t)i) != SOCLOSS_OK;
  }
  is(fails, 0, "1,000 accounts added in id order");
  is(tl->ends, 1000, "each through the end cursor (the first into an empty table)");
  ok(tl->known == 1 && tl->len == 12 && !memcmp(tl->key, "acct-0000999", 12), "the tail is the last of them");
  ok(tl->end != NULL && tl->mid == NULL, "the other cursor not opened");
  is(store_account_add(t, "acct-0000500", 7), SOCLOSS_EEXIST, "an account before the tail that exists: refused");
  is(store_account_add(t, "acct-0000999", 7), SOCLOSS_EEXIST, "the tail's own key: refused");
  is(balance_of(t, "acct-0000500") + balance_of(t, "acct-0000999"), 500 + 999,
     "both balances as they were (500 + 999)");
  is(store_account_add(t, "acct-0000500x", 5), SOCLOSS_OK, "a new account before the tail: put");
  ok(tl->ends == 1000 && tl->mid != NULL, "through the other cursor");
  ok(tl->len == 12 && !memcmp(tl->key, "acct-0000999", 12), "the tail stands");
  /* a plain put moves the end past the tail: the tail is stale */
  is(store_account_put(t, "acct-0002000", 20), SOCLOSS_OK, "a plain put past the tail");
  is(store_account_add(t, "acct-0001000", 10), SOCLOSS_OK, "an add past the stale tail, before the end: put");
  is(tl->ends, 1001, "through the end cursor, which searched for its place");
  is(store_account_add(t, "acct-0001000", 11), SOCLOSS_EEXIST, "the same again: refused");
  is(store_account_add(t, "acct-0003000", 30), SOCLOSS_OK, "an add past the end");
  is(tl->ends, 1002, "through the end cursor");
  size_t nm, na, np;
  store_counts(t, &nm, &na, &np);
  is(na, 1004, "1,004 accounts (1,000 + 500x, 1000, 2000, 3000)");
  is(balance_of(t, "acct-0001000") * 100 + balance_of(t, "acct-0002000") + balance_of(t, "acct-0003000") * 10000,
     301020, "acct-0001000, 2000, 3000 hold 10, 20, 30 (10 x 100 + 20 + 30 x 10,000)");
  return SOCLOSS_OK;
}

/* A new transaction knows no tail: its first add goes to the end cursor,
 * which searches, and LMDB refuses a key that is there. */
static int add_existing_first(store_txn *t, void *ud) {
  (void)ud;
  is(store_account_add(t, "acct-0000001", 9), SOCLOSS_EEXIST,
     "a new transaction's first add, of an account that exists: refused");
  is(t->tail[TAIL_ACCOUNTS].known, 0, "no tail");
  is(t->tail[TAIL_ACCOUNTS].ends, 0, "nothing put");
  is(balance_of(t, "acct-0000001"), 1, "the balance as it was");
  return SOCLOSS_OK;
}

static int child_adds(store_txn *t, void *ud) {
  (void)ud;
  is(store_account_add(t, "p-3", 3), SOCLOSS_OK, "a nested transaction's add past the end");
  is(t->tail[TAIL_ACCOUNTS].ends, 1, "through its own end cursor");
  return SOCLOSS_OK;
}

static int nested_moves_end(store_txn *t, void *ud) {
  (void)ud;
  store_tail *tl = &t->tail[TAIL_ACCOUNTS];
  is(store_account_add(t, "p-1", 1), SOCLOSS_OK, "an add past the end");
  is(tl->ends, 1, "through the end cursor");
  is(store_nested(t, child_adds, NULL), SOCLOSS_OK, "a nested transaction commits");
  is(store_account_add(t, "p-2", 2), SOCLOSS_OK, "an add past the parent's tail, before the child's: put");
  is(store_account_add(t, "p-3", 9), SOCLOSS_EEXIST, "the child's account: refused");
  is(tl->ends, 2, "p-2 put through the parent's end cursor (a refusal puts nothing, counts nothing)");
  is(balance_of(t, "p-1") * 100 + balance_of(t, "p-2") * 10 + balance_of(t, "p-3"), 123, "p-1, p-2, p-3 hold 1, 2, 3");
  return SOCLOSS_OK;
}

/* Reads through the transaction's cursor: in order, backwards, absent keys
 * between and past the others. */
static int account_reads(store_txn *t, void *ud) {
  (void)ud;
  char id[32];
  int64_t up = 0, down = 0;
  size_t bad = 0;
  for (unsigned i = 0; i < 1000; i++) {
    acct_id(id, "acct-%07u", i);
    int64_t b = balance_of(t, id);
    bad += b != (int64_t)i;
    up += b;
  }
  for (unsigned i = 1000; i-- > 0;) {
    acct_id(id, "acct-%07u", i);
    if (i % 3 == 0) continue;  /* gaps: the cursor steps or searches */
    down += balance_of(t, id);
  }
  is(bad, 0, "1,000 accounts read in id order: each balance its index");
  is(up, 499500, "their sum 0 + 1 + ... + 999 = 999 x 1000 / 2");
  /* backwards without the multiples of 3: 499500 - 3 x (0 + 1 + ... + 333) = 499500 - 3 x 55611 */
  is(down, 499500 - 166833, "read backwards, skipping the multiples of 3: 332,667");
  int64_t b = 0;
  is(store_account_get(t, "acct-0000500y", &b), SOCLOSS_ENOTFOUND, "an absent id between two: not found");
  is(store_account_get(t, "zz", &b), SOCLOSS_ENOTFOUND, "an absent id past the last: not found");
  is(balance_of(t, "acct-0000000"), 0, "the first, behind the cursor");
  is(balance_of(t, "acct-0000500x"), 5, "the one added before the tail");
  is(balance_of(t, "acct-0000500"), 500, "the one before it");
  return SOCLOSS_OK;
}

/* The cursor after the table is emptied under it (store_clear_state). */
static int reads_after_drop(store_txn *t, void *ud) {
  (void)ud;
  is(balance_of(t, "acct-0000005"), 5, "in a write transaction: an account read");
  is(store_clear_state(t), SOCLOSS_OK, "the state cleared");
  int64_t b;
  is(store_account_get(t, "acct-0000005", &b), SOCLOSS_ENOTFOUND, "the same account: not found");
  is(store_account_add(t, "acct-0000005", 55), SOCLOSS_OK, "added again");
  is(balance_of(t, "acct-0000005"), 55, "read again: the new balance");
  is(balance_of(t, "acct-0000006"), -1, "its neighbour is gone");
  return SOCLOSS_OK;
}

typedef struct pos_adds {
  int add;  /* 1: store_position_add; 0: store_position_put (one mdb_put each) */
} pos_adds;

/* Two markets, account by account, as an import writes them: BTC then ETH
 * for each of 1,000 holders. */
static int positions_by_account(store_txn *t, void *ud) {
  pos_adds *pa = ud;
  size_t fails = 0;
  char id[32];
  for (unsigned i = 0; i < 1000; i++) {
    acct_id(id, "acct-%07u", i);
    store_position btc = {(int64_t)i + 1, 100 * ((int64_t)i + 1)}, eth = {-(int64_t)i - 1, -7 * ((int64_t)i + 1)};
    for (int m = 0; m < 2; m++) {
      const char *market = m ? "ETH" : "BTC";
      const store_position *p = m ? &eth : &btc;
      fails += (pa->add ? store_position_add(t, market, id, p) : store_position_put(t, market, id, p)) != SOCLOSS_OK;
    }
  }
  is(fails, 0, pa->add ? "2,000 positions added, account by account" : "and put one by one");
  if (!pa->add) return SOCLOSS_OK;
  /* BTC/acct-0000000 into the empty table, then every ETH one past the
   * ETH before it; each later BTC key sorts before the tail (ETH/...) and
   * goes through the other cursor: 1 + 1,000 through the end one */
  is(t->tail[TAIL_POSITIONS].ends, 1001, "1,001 of them through the end cursor");
  store_position p = {9, 9};
  is(store_position_add(t, "BTC", "acct-0000500", &p), SOCLOSS_EEXIST, "a BTC position that exists: refused");
  is(store_position_add(t, "ETH", "acct-0000999", &p), SOCLOSS_EEXIST, "the tail's: refused");
  store_position got;
  store_position_get(t, "BTC", "acct-0000500", &got);
  ok(got.size == 501 && got.cost == 50100, "BTC/acct-0000500 as it was: 501, 50100");
  return SOCLOSS_OK;
}

/* Adds in no order: 3,000 over 1,200 keys in three markets, many of them
 * twice, through store_position_add, and the same script as a look-up and
 * a plain put (store_position_get, store_position_put). */
static int count_positions(store_txn *t, void *ud) {
  size_t nm, na;
  return store_counts(t, &nm, &na, ud);
}

typedef struct random_adds {
  int add;
  size_t refused;
} random_adds;

static int adds_in_no_order(store_txn *t, void *ud) {
  random_adds *ra = ud;
  uint64_t x = 2463534242u;
  for (int i = 0; i < 3000; i++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;  /* xorshift64: the same script every run */
    unsigned k = (unsigned)(x % 1200);
    const char *market = k % 3 == 0 ? "AAA" : k % 3 == 1 ? "BBB" : "CCC";
    char id[32];
    acct_id(id, "h-%05u", k / 3);
    store_position p = {(int64_t)(x >> 40) % 50 + 1, (int64_t)i};
    if (ra->add) {
      int rc = store_position_add(t, market, id, &p);
      if (rc && rc != SOCLOSS_EEXIST) return rc;
      ra->refused += rc == SOCLOSS_EEXIST;
    } else {
      store_position had;
      int rc = store_position_get(t, market, id, &had);
      if (rc == SOCLOSS_OK) ra->refused++;
      else if ((rc = store_position_put(t, market, id, &p))) return rc;
    }
  }
  return SOCLOSS_OK;
}

static void ordered(void) {
  store *s = scratch();
  ok(s != NULL, "a scratch store for the ordered adds and reads");
  if (!s) return;
  store_write(s, accounts_in_order, NULL);
  store_write(s, add_existing_first, NULL);
  store_write(s, nested_moves_end, NULL);
  store_read(s, account_reads, NULL);
  store_write_discard(s, reads_after_drop, NULL);
  store_read(s, account_reads, NULL);  /* the discarded clear left the table as it was */
  store_close(s);

  store *two[2] = {scratch(), scratch()};
  codec_buf b[2] = {{0}, {0}};
  for (int k = 0; k < 2; k++) {
    pos_adds pa = {k == 0};
    store_write(two[k], positions_by_account, &pa);
    store_read(two[k], dump_positions, &b[k]);
    store_close(two[k]);
  }
  ok(b[0].len > 0 && b[0].len == b[1].len && !memcmp(b[0].p, b[1].p, b[0].len),
     "the adds leave the positions the puts leave, record for record (%zu bytes of them)", b[0].len);
  for (int k = 0; k < 2; k++) codec_buf_free(&b[k]);

  random_adds ra[2] = {{1, 0}, {0, 0}};
  size_t n[2] = {0, 0};
  for (int k = 0; k < 2; k++) {
    store *s2 = scratch();
    is(store_write(s2, adds_in_no_order, &ra[k]), SOCLOSS_OK,
       k ? "and as look-ups and puts" : "3,000 adds in no order");
    store_read(s2, dump_positions, &b[k]);
    store_read(s2, count_positions, &n[k]);
    store_close(s2);
  }
  ok(ra[0].refused > 1000 && ra[0].refused == ra[1].refused, "the same adds refused, %zu (the key was there)",
     ra[0].refused);
  is(n[0], 3000 - ra[0].refused, "every other one written: 3,000 - the refused");
  ok(b[0].len > 0 && b[0].len == b[1].len && !memcmp(b[0].p, b[1].p, b[0].len),
     "the same positions, record for record (%zu bytes of them)", b[0].len);
  for (int k = 0; k < 2; k++) codec_buf_free(&b[k]);
}

/* ---- compare.c: the same state, record for record ----------------------- */

static int fill_state(store_txn *t, void *ud) {
  (void)ud;
  store_market btc = {100, 5}, eth = {50, 0};
  store_position x = {5, 500}, y = {-5, -500};
  store_totals tot = {10, 3, 20};
  int rc = store_market_put(t, "BTC", &btc);
  if (!rc) rc = store_market_put(t, "ETH", &eth);
  if (!rc) rc = store_account_put(t, "x", 1);
  if (!rc) rc = store_account_put(t, "y", 2);
  if (!rc) rc = store_position_put(t, "BTC", "x", &x);
  if (!rc) rc = store_position_put(t, "BTC", "y", &y);
  if (!rc) rc = store_deficit_put(t, "d1", 2, 7);
  if (!rc) rc = store_totals_put(t, &tot);
  return rc;
}

typedef struct same_case {
  const char *what;
  int (*change)(store_txn *t);  /* NULL: none */
  int same;
} same_case;

static int ch_balance(store_txn *t) { return store_account_put(t, "y", 3); }
static int ch_same_balance(store_txn *t) { return store_account_put(t, "x", 1); }
static int ch_account_after(store_txn *t) { return store_account_put(t, "z", 0); }
static int ch_account_before(store_txn *t) { return store_account_put(t, "a", 0); }
static int ch_position_gone(store_txn *t) {
  store_position none = {0, 0};
  return store_position_put(t, "BTC", "x", &none);
}
static int ch_cost(store_txn *t) {
  store_position y = {-5, -501};
  return store_position_put(t, "BTC", "y", &y);
}
static int ch_open_interest(store_txn *t) {
  store_market eth = {50, 1};
  return store_market_put(t, "ETH", &eth);
}
static int ch_deficit(store_txn *t) { return store_deficit_put(t, "d2", 2, 8); }
static int ch_net_flows(store_txn *t) {
  store_totals tot = {10, 3, 21};
  return store_totals_put(t, &tot);
}

typedef struct same_run {
  store *b;
  const same_case *c;
  store_txn *a;
  int same, rc;
} same_run;

static int compare_changed(store_txn *t, void *ud) {
  same_run *r = ud;
  int rc = r->c->change ? r->c->change(t) : SOCLOSS_OK;
  if (!rc) rc = store_same_state(r->a, t, &r->same);
  r->rc = rc;
  return SOCLOSS_OK;  /* thrown away all the same (store_write_discard) */
}

static int compare_with(store_txn *t, void *ud) {
  same_run *r = ud;
  r->a = t;
  return store_write_discard(r->b, compare_changed, r);
}

static void same_state(void) {
  static const same_case cases[] = {
      {"the same records", NULL, 1},
      {"a balance written again as it was", ch_same_balance, 1},
      {"a balance changed", ch_balance, 0},
      {"an account more, after the others", ch_account_after, 0},
      {"an account more, before the others", ch_account_before, 0},
      {"a position gone", ch_position_gone, 0},
      {"a position's cost changed by one atom", ch_cost, 0},
      {"a market's open interest changed", ch_open_interest, 0},
      {"a deficit more", ch_deficit, 0},
      {"the net flows changed", ch_net_flows, 0},
  };
  store *a = scratch(), *b = scratch();
  ok(a && b && store_write(a, fill_state, NULL) == SOCLOSS_OK && store_write(b, fill_state, NULL) == SOCLOSS_OK,
     "two scratch stores written alike");
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    same_run r = {b, &cases[i], NULL, -1, -1};
    store_read(a, compare_with, &r);
    ok(r.rc == SOCLOSS_OK && r.same == cases[i].same, "%s: same %d", cases[i].what, r.same);
  }
  store_close(a);
  store_close(b);
}

/* ---- the journal: a record's room reserved in LMDB, then copied in ------ */

typedef struct jrecs {
  unsigned char *big;
  size_t big_len;
  uint64_t first;  /* the first record's seq */
  int same[3];     /* each record read back byte for byte */
  size_t len[3];
} jrecs;

static int put_records(store_txn *t, void *ud) {
  jrecs *j = ud;
  j->first = store_journal_last(t) + 1;
  int rc = store_journal_put(t, j->first, "small", 5);
  if (!rc) rc = store_journal_put(t, j->first + 1, j->big, j->big_len);
  if (!rc) rc = store_journal_put(t, j->first + 2, "after", 5);
  return rc;
}

static int read_records(store_txn *t, void *ud) {
  jrecs *j = ud;
  const void *want[3] = {"small", j->big, "after"};
  size_t want_len[3] = {5, j->big_len, 5};
  for (int k = 0; k < 3; k++) {
    const void *rec;
    int rc = store_journal_get(t, j->first + (uint64_t)k, &rec, &j->len[k]);
    if (rc) return rc;
    j->same[k] = j->len[k] == want_len[k] && !memcmp(rec, want[k], want_len[k]);
  }
  return SOCLOSS_OK;
}

/* store_journal_put asks LMDB for the record's room (MDB_RESERVE) and
 * copies it there, a record of BLOCKS_BIG bytes or more advised as huge
 * pages first: records around one of 5 MiB, in a map of 1 MiB that must
 * grow for it, each read back byte for byte. */
static void journal_records(void) {
  char dir[64];
  socloss *led = new_ledger(dir, 1 << 20);
  jrecs j = {.big_len = 5u << 20};
  j.big = malloc(j.big_len);
  for (size_t i = 0; i < j.big_len; i++) j.big[i] = (unsigned char)(i * 7 + i / 251);
  is(store_write(led->st, put_records, &j), SOCLOSS_OK, "three records, the middle one of 5 MiB, in a 1 MiB map");
  ok(store_map_size(led->st) > j.big_len, "the map grew for it, to %llu bytes",
     (unsigned long long)store_map_size(led->st));
  is(store_read(led->st, read_records, &j), SOCLOSS_OK, "read back");
  for (int k = 0; k < 3; k++)
    ok(j.same[k], "record %d of 3: %zu bytes, as put", k + 1, j.len[k]);
  free(j.big);
  drop_ledger(led, dir);
}

int main(void) {
  growth();
  ordered();
  same_state();
  cursor_writes();
  full();
  schema();
  journal_records();
  return done_testing();
}
