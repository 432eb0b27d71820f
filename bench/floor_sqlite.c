/*
 * floor_sqlite — what a user would build instead of socloss: SQLite in WAL
 * mode with synchronous=FULL (each commit durable), the ledger in plain
 * tables, and the deficit of bench_resolve resolved in one transaction by a
 * plain UPDATE … FROM that charges every profitable holder pro rata, the
 * takeover of the bankrupt's position by the fund, and a journal insert.
 *
 * NOT the same rule, nor the same rounding, as socloss and floor_lmdb: each
 * holder pays floor(shortfall * profit / total profit), capped by
 * MIN(profit, equity); there is no largest-remainder step (the atoms the
 * floors leave over, fewer than one per holder, are charged to nobody) and
 * no water-filling (what a binding cap leaves is not passed on to the
 * others).  The charge raises the position's cost, as in floor_lmdb (the
 * next engine's rule); the journal row lists each charged holder with the
 * cost it ends at (RETURNING cannot name the FROM clause's columns).  The
 * products are int64 in SQLite: fine for this ledger's small numbers, while
 * socloss takes them in 128 bits.  Everything else is SQLite's defaults
 * (2 MB page cache), as a user would leave them.
 *
 * usage: floor_sqlite N [RUNS]
 * Builds the ledger (N candidates short 1 lot and 1..97 atoms in profit,
 * account "a" long N lots at mark with 25 atoms of deficit per lot), then per
 * run on a fresh copy times the transaction, BEGIN to durable COMMIT.
 * Prints one line of key=value pairs, which bench_resolve reads.
 */
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

static sqlite3 *db;

static void die(const char *what) {
  fprintf(stderr, "floor_sqlite: %s: %s\n", what, sqlite3_errmsg(db));
  exit(1);
}

static void exec(const char *sql) {
  if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) die(sql);
}

static sqlite3_stmt *prep(const char *sql) {
  sqlite3_stmt *s;
  if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) die(sql);
  return s;
}

/* Runs a statement expected to give one integer row. */
static int64_t one_int(sqlite3_stmt *s) {
  if (sqlite3_step(s) != SQLITE_ROW) die("query");
  int64_t v = sqlite3_column_int64(s, 0);
  sqlite3_reset(s);
  return v;
}

static void open_db(const char *path) {
  if (sqlite3_open(path, &db) != SQLITE_OK) die(path);
  exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;");
}

/* The sum of the candidates' costs: before and after, what was charged. */
static int64_t charged_costs(void) {
  sqlite3_stmt *s = prep("SELECT SUM(cost) FROM positions WHERE market = 'BTC' AND account NOT IN ('', 'a')");
  int64_t v = one_int(s);
  sqlite3_finalize(s);
  return v;
}

/* Returns the candidates' costs (read here, not before the timed run,
 * where it would fill SQLite's page cache). */
static int64_t build(const char *path, size_t n) {
  open_db(path);
  exec("CREATE TABLE markets(id TEXT PRIMARY KEY, mark INTEGER NOT NULL);"
       "CREATE TABLE accounts(id TEXT PRIMARY KEY, balance INTEGER NOT NULL);"
       "CREATE TABLE positions(account TEXT NOT NULL, market TEXT NOT NULL, size INTEGER NOT NULL,"
       "  cost INTEGER NOT NULL, PRIMARY KEY(market, account));"
       "CREATE TABLE journal(seq INTEGER PRIMARY KEY, deficit TEXT UNIQUE, body BLOB NOT NULL);"
       "BEGIN; INSERT INTO markets VALUES('BTC', 100);");
  sqlite3_stmt *a = prep("INSERT INTO accounts VALUES(?1, ?2)"),
               *p = prep("INSERT INTO positions VALUES(?1, 'BTC', ?2, ?3)");
  char id[32];
  for (size_t i = 0; i <= n; i++) {
    snprintf(id, sizeof id, i ? "c%07zu" : "a", i - 1);
    sqlite3_bind_text(a, 1, id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(a, 2, i ? 1000 : -25 * (int64_t)n);
    if (sqlite3_step(a) != SQLITE_DONE) die("insert account");
    sqlite3_reset(a);
  }
  for (size_t i = 0; i <= n; i++) {  /* in key order, like the accounts */
    snprintf(id, sizeof id, i ? "c%07zu" : "a", i - 1);
    sqlite3_bind_text(p, 1, id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(p, 2, i ? -1 : (int64_t)n);
    sqlite3_bind_int64(p, 3, i ? -(int64_t)(101 + (i - 1) % 97) : 100 * (int64_t)n);
    if (sqlite3_step(p) != SQLITE_DONE) die("insert position");
    sqlite3_reset(p);
  }
  sqlite3_finalize(a);
  sqlite3_finalize(p);
  /* the statistics a user would gather after a load: without them the
   * planner scans every position per holder for the equity (quadratic) */
  exec("COMMIT; ANALYZE;");
  int64_t costs = charged_costs();
  sqlite3_close(db);  /* checkpoints the WAL into the file */
  return costs;
}

typedef struct result {
  double seconds;
  size_t charged;
  int64_t shortfall, dust;
} result;

/* One deficit: the bankrupt account `a`, its BTC position, empty fund. */
static result resolve(int64_t before) {
  const char *acct = "a", *market = "BTC", *deficit = "bench";
  sqlite3_stmt *eq = prep(
      "SELECT a.balance + (SELECT COALESCE(SUM(p.size * m.mark - p.cost), 0)"
      "  FROM markets m JOIN positions p ON p.market = m.id AND p.account = a.id)"
      " FROM accounts a WHERE a.id = ?1");
  sqlite3_stmt *pos = prep("SELECT size, (SELECT mark FROM markets WHERE id = ?2) FROM positions"
                           " WHERE market = ?2 AND account = ?1");
  sqlite3_stmt *total = prep(
      "SELECT SUM(size * ?3 - cost) FROM positions"
      " WHERE market = ?2 AND account <> ?1 AND size * ?3 - cost > 0");
  sqlite3_stmt *charge = prep(
      "UPDATE positions SET cost = positions.cost + c.charge FROM ("
      "  SELECT p.account, MIN(?4 * (p.size * ?3 - p.cost) / ?5, p.size * ?3 - p.cost,"
      "    a.balance + (SELECT SUM(q.size * m.mark - q.cost)"
      "      FROM markets m JOIN positions q ON q.market = m.id AND q.account = p.account)) AS charge"
      "  FROM positions p JOIN accounts a ON a.id = p.account"
      "  WHERE p.market = ?2 AND p.account <> ?1 AND p.size * ?3 - p.cost > 0) AS c"
      " WHERE positions.market = ?2 AND positions.account = c.account AND c.charge > 0"
      " RETURNING account, cost");
  sqlite3_stmt *take = prep(
      "INSERT INTO positions(account, market, size, cost) VALUES('', ?2, ?3, ?3 * ?4)"
      " ON CONFLICT(market, account) DO UPDATE SET size = size + excluded.size, cost = cost + excluded.cost");
  sqlite3_stmt *drop = prep("DELETE FROM positions WHERE market = ?2 AND account = ?1");
  sqlite3_stmt *zero = prep("UPDATE accounts SET balance = 0 WHERE id = ?1");
  sqlite3_stmt *journal = prep("INSERT INTO journal(deficit, body) VALUES(?1, ?2)");
  result r = {0};

  double t0 = now();
  exec("BEGIN IMMEDIATE");
  sqlite3_bind_text(eq, 1, acct, -1, SQLITE_STATIC);
  int64_t equity = one_int(eq);
  sqlite3_bind_text(pos, 1, acct, -1, SQLITE_STATIC);
  sqlite3_bind_text(pos, 2, market, -1, SQLITE_STATIC);
  if (sqlite3_step(pos) != SQLITE_ROW) die("the bankrupt's position");
  int64_t size = sqlite3_column_int64(pos, 0), mark = sqlite3_column_int64(pos, 1);
  r.shortfall = -equity;  /* no fund cash to draw on */
  sqlite3_bind_text(total, 1, acct, -1, SQLITE_STATIC);
  sqlite3_bind_text(total, 2, market, -1, SQLITE_STATIC);
  sqlite3_bind_int64(total, 3, mark);
  int64_t profit = one_int(total);
  /* the journal body: as floor_lmdb's, one (id, int64) per charged holder */
  size_t cap = 4096, len = 0;
  unsigned char *body = malloc(cap);
  len += (size_t)snprintf((char *)body, cap, "%s %s %lld ", deficit, acct, (long long)equity);
  sqlite3_bind_text(charge, 1, acct, -1, SQLITE_STATIC);
  sqlite3_bind_text(charge, 2, market, -1, SQLITE_STATIC);
  sqlite3_bind_int64(charge, 3, mark);
  sqlite3_bind_int64(charge, 4, r.shortfall);
  sqlite3_bind_int64(charge, 5, profit);
  int rc;
  while ((rc = sqlite3_step(charge)) == SQLITE_ROW) {
    int n = sqlite3_column_bytes(charge, 0);
    if (len + (size_t)n + 9 > cap && !(body = realloc(body, cap = 2 * cap + (size_t)n))) exit(1);
    body[len++] = (unsigned char)n;
    memcpy(body + len, sqlite3_column_text(charge, 0), (size_t)n);
    len += (size_t)n;
    int64_t c = sqlite3_column_int64(charge, 1);
    for (int i = 7; i >= 0; i--) body[len++] = (unsigned char)((uint64_t)c >> (8 * i));
    r.charged++;
  }
  if (rc != SQLITE_DONE) die("update");
  sqlite3_bind_text(take, 2, market, -1, SQLITE_STATIC);
  sqlite3_bind_int64(take, 3, size);
  sqlite3_bind_int64(take, 4, mark);
  if (sqlite3_step(take) != SQLITE_DONE) die("takeover");
  sqlite3_bind_text(drop, 1, acct, -1, SQLITE_STATIC);
  sqlite3_bind_text(drop, 2, market, -1, SQLITE_STATIC);
  if (sqlite3_step(drop) != SQLITE_DONE) die("takeover");
  sqlite3_bind_text(zero, 1, acct, -1, SQLITE_STATIC);
  if (sqlite3_step(zero) != SQLITE_DONE) die("balance");
  sqlite3_bind_text(journal, 1, deficit, -1, SQLITE_STATIC);
  sqlite3_bind_blob(journal, 2, body, (int)len, SQLITE_STATIC);
  if (sqlite3_step(journal) != SQLITE_DONE) die("journal");
  exec("COMMIT");
  r.seconds = now() - t0;

  free(body);
  r.dust = r.shortfall - (charged_costs() - before);
  sqlite3_stmt *all[] = {eq, pos, total, charge, take, drop, zero, journal};
  for (size_t i = 0; i < sizeof all / sizeof *all; i++) sqlite3_finalize(all[i]);
  return r;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: floor_sqlite N [RUNS]\n");
    return 2;
  }
  size_t n = strtoul(argv[1], NULL, 10);
  int runs = argc > 2 ? atoi(argv[2]) : 5;
  if (runs < 1) runs = 1;
  if (runs > 50) runs = 50;
  char root[] = "/tmp/socloss-sqlite-XXXXXX", tmpl[64], run[64], cmd[256];
  if (!mkdtemp(root)) return 1;
  snprintf(tmpl, sizeof tmpl, "%s/template.db", root);
  snprintf(run, sizeof run, "%s/run.db", root);
  int64_t before = build(tmpl, n);
  double t[50];
  result r = {0};
  for (int i = 0; i < runs; i++) {
    snprintf(cmd, sizeof cmd, "rm -f '%s'*; cp '%s' '%s'", run, tmpl, run);
    if (system(cmd) != 0) return 1;
    open_db(run);
    r = resolve(before);
    sqlite3_close(db);
    t[i] = r.seconds;
  }
  printf("floor_sqlite candidates=%zu runs=%d median_s=%.6f charged=%zu shortfall=%lld uncharged_dust=%lld "
         "rule=floor-division-no-largest-remainder\n",
         n, runs, median(t, runs), r.charged, (long long)r.shortfall, (long long)r.dust);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
  return system(cmd) != 0;
}
