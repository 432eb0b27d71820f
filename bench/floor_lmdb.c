/*
 * floor_lmdb — the physical floor under socloss_resolve: the reads and writes
 * a resolution cannot avoid, done in raw LMDB on the engine's own tables and
 * keys (store/store.c, store/codec.c), with the capped pro-rata rule in C
 * (alloc_waterfill) and nothing else: no evaluator, no validation, no applier.
 *
 * The rule is applied as the NEXT version of the engine will apply it, not
 * as the current one does: a haircut comes out of the account's profit, so
 * it raises the cost of its profitable position(s) (a position write) where
 * the current engine lowers the balance (an account write).  Either way one
 * record per charged account; the equities that result are the same.
 *
 *   floor_lmdb N RUNS
 *     builds bench_resolve's ledger (N candidates short 1 lot in profit,
 *     account "a" long N lots and bankrupt, empty fund) here, then per run
 *     on a fresh copy times one deficit: write txn, the merge of accounts
 *     with every market's positions (as build_cands does), the rule, the
 *     writes in key order through one cursor, one journal record, the
 *     deficit id, durable commit (the env is opened without MDB_NOSYNC).
 *   floor_lmdb --cascade DIR K
 *     on DIR, a socloss ledger (a copy: it is written): the candidate
 *     columns read once into memory, then the first K bankrupt accounts in
 *     id order, each computing the rule in memory and writing only the
 *     changed records, one durable transaction per deficit.
 *     Then, alternately, the same deficit by closes (closes_one: adl.lua's
 *     work on this ledger, its rule in C), printed as closes_s.
 *   floor_lmdb --one DIR ACCOUNT DEFICIT_ID
 *     the one-deficit floor on any socloss ledger (a copy: it is written).
 *   floor_lmdb --closes DIR ACCOUNT DEFICIT_ID
 *     the closes floor on a socloss ledger whose bankrupt holds one market
 *     (a copy: it is written; its balances and positions can then be
 *     compared with what adl.lua's resolution leaves).
 *
 * Prints one line of key=value pairs, which bench_resolve reads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "floor_lmdb.h"

/* ---- one deficit, everything read inside its transaction ----------------- */

typedef struct phases {
  double scan, rule, write, commit, total;
  size_t charged;
} phases;

/* k is a key of market m's positions (holder "" included). */
static int of_market(const MDB_val *k, const mkt *m) {
  return k->mv_size > m->len && !memcmp(k->mv_data, m->id, m->len) && ((const char *)k->mv_data)[m->len] == 0;
}

/* The bankrupt's positions (p->nm, slot, bsize, bcost) and equity. */
static void bankrupt_of(db *d, MDB_txn *t, plan *p, const mkt *mk, size_t nmk, int64_t balance) {
  unsigned char key[2 * ID_MAX + 2];
  __int128 eq = balance;
  p->nm = 0;
  for (size_t k = 0; k < nmk; k++) {
    MDB_val kk = poskey(key, mk[k].id, mk[k].len, p->acct, p->alen), v;
    if (mdb_get(t, d->d[POSITIONS], &kk, &v)) continue;
    p->slot[p->nm] = (int)k;
    p->bsize[p->nm] = dec(&v, 0);
    p->bcost[p->nm] = dec(&v, 1);
    eq += (__int128)p->bsize[p->nm] * mk[k].mark - p->bcost[p->nm];
    p->nm++;
  }
  p->equity = (int64_t)eq;
}

/* A deficit's start, shared by both floors: the write transaction, the
 * markets, the bankrupt's positions and equity (in p); its balance. */
static int64_t deficit_open(db *d, const char *acct, const char *did, MDB_txn **t, mkt *mk, size_t *nmk, plan *p) {
  ck(mdb_txn_begin(d->env, NULL, 0, t), "begin");
  *nmk = load_markets(d, *t, mk);
  *p = (plan){.did = did, .acct = acct, .dlen = strlen(did), .alen = strlen(acct)};
  MDB_val k = {p->alen, (void *)acct}, v;
  ck(mdb_get(*t, d->d[ACCOUNTS], &k, &v), "the bankrupt account");
  int64_t balance = dec(&v, 0);
  bankrupt_of(d, *t, p, mk, *nmk, balance);
  return balance;
}

static void resolve_one(db *d, const char *acct, const char *did, phases *ph) {
  double t0 = now();
  MDB_txn *t;
  mkt mk[MK_MAX];
  size_t nmk;
  plan p;
  deficit_open(d, acct, did, &t, mk, &nmk, &p);
  if (p.equity >= 0) {
    fprintf(stderr, "floor_lmdb: '%s' is not bankrupt\n", acct);
    exit(1);
  }
  int64_t cash = get_i64(d, t, FUND, "cash"), cash0 = cash, bad = get_i64(d, t, FUND, "bad_debt");
  int islot[MK_MAX];
  int64_t oi0[MK_MAX];
  for (size_t j = 0; j < nmk; j++) islot[j] = -1;
  for (size_t s = 0; s < p.nm; s++) islot[p.slot[s]] = (int)s, oi0[s] = mk[p.slot[s]].oi;

  /* the merge: accounts in id order against each market's positions in
   * holder order; kept: the accounts that can pay (profit and cap > 0) */
  MDB_stat st;
  mdb_stat(t, d->d[ACCOUNTS], &st);
  size_t cap = st.ms_entries, n = 0, ids_len = 0;
  char *ids = xcalloc(cap, 16);
  size_t ids_cap = cap * 16;
  uint32_t *off = xcalloc(cap, sizeof *off), *len = xcalloc(cap, sizeof *len);
  int64_t *w = xcalloc(cap, 8), *capv = xcalloc(cap, 8);
  int64_t *size = xcalloc(cap * (p.nm ? p.nm : 1), 8), *cost = xcalloc(cap * (p.nm ? p.nm : 1), 8);
  MDB_cursor *pc[MK_MAX], *ac;
  MDB_val pk[MK_MAX], pv[MK_MAX], ak, av;
  int live[MK_MAX];
  unsigned char key[2 * ID_MAX + 2];
  for (size_t j = 0; j < nmk; j++) {
    ck(mdb_cursor_open(t, d->d[POSITIONS], &pc[j]), "cursor");
    pk[j] = poskey(key, mk[j].id, mk[j].len, "", 0);
    live[j] = !mdb_cursor_get(pc[j], &pk[j], &pv[j], MDB_SET_RANGE) && of_market(&pk[j], &mk[j]);
    if (live[j] && pk[j].mv_size == mk[j].len + 1) {  /* the fund's position comes first */
      mk[j].fsize = dec(&pv[j], 0);
      mk[j].fcost = dec(&pv[j], 1);
      live[j] = !mdb_cursor_get(pc[j], &pk[j], &pv[j], MDB_NEXT) && of_market(&pk[j], &mk[j]);
    }
  }
  ck(mdb_cursor_open(t, d->d[ACCOUNTS], &ac), "cursor");
  for (int rc = mdb_cursor_get(ac, &ak, &av, MDB_FIRST); !rc; rc = mdb_cursor_get(ac, &ak, &av, MDB_NEXT)) {
    __int128 total = 0, profit = 0;
    int64_t ls[MK_MAX], lc[MK_MAX];  /* its positions in the deficit's markets */
    int holds = 0;
    for (size_t s = 0; s < p.nm; s++) ls[s] = lc[s] = 0;
    for (size_t j = 0; j < nmk; j++) {
      size_t hl = live[j] ? pk[j].mv_size - mk[j].len - 1 : 0;
      if (!live[j] || keycmp((char *)pk[j].mv_data + mk[j].len + 1, hl, ak.mv_data, ak.mv_size)) continue;
      int64_t s = dec(&pv[j], 0), c = dec(&pv[j], 1);
      __int128 u = (__int128)s * mk[j].mark - c;
      total += u;
      holds = 1;
      if (islot[j] >= 0) {
        ls[islot[j]] = s;
        lc[islot[j]] = c;
        if (u > 0) profit += u;
      }
      live[j] = !mdb_cursor_get(pc[j], &pk[j], &pv[j], MDB_NEXT) && of_market(&pk[j], &mk[j]);
    }
    if (!holds || profit <= 0 || !keycmp(ak.mv_data, ak.mv_size, acct, p.alen)) continue;
    __int128 eq = dec(&av, 0) + total, c = profit < eq ? profit : eq;
    if (c <= 0) continue;
    if (ids_len + ak.mv_size > ids_cap && !(ids = realloc(ids, ids_cap = 2 * ids_cap + ak.mv_size))) exit(1);
    memcpy(ids + ids_len, ak.mv_data, ak.mv_size);  /* LMDB's pointers last until the next write */
    off[n] = (uint32_t)ids_len;
    len[n] = (uint32_t)ak.mv_size;
    ids_len += ak.mv_size;
    for (size_t s = 0; s < p.nm; s++) size[s * cap + n] = ls[s], cost[s * cap + n] = lc[s];
    w[n] = (int64_t)profit;
    capv[n++] = (int64_t)c;
  }
  mdb_cursor_close(ac);
  for (size_t j = 0; j < nmk; j++) mdb_cursor_close(pc[j]);
  const char **idp = xcalloc(n, sizeof *idp);
  for (size_t i = 0; i < n; i++) idp[i] = ids + off[i];
  double t1 = now();

  decide(&p, mk, w, capv, idp, len, size, cost, n, cap, &cash, &bad);
  double t2 = now();
  write_plan(d, t, &p, mk, oi0, cash, cash0, bad, journal_last(d, t) + 1);
  double t3 = now();
  ck(mdb_txn_commit(t), "commit");
  double t4 = now();
  *ph = (phases){t1 - t0, t2 - t1, t3 - t2, t4 - t3, t4 - t0, p.nc};
  plan_free(&p);
  free(idp);
  free(ids);
  free(off);
  free(len);
  free(w);
  free(capv);
  free(size);
  free(cost);
}

/* ---- one deficit by closes: adl.lua's work with its rule in C ------------ */

/* A candidate of the closes: an account on the other side of the
 * bankrupt's one market. */
typedef struct opp {
  const char *id;  /* into ids */
  uint32_t len;
  int64_t size, cost, balance, score;
} opp;

static int by_score(const void *a, const void *b) {
  const opp *x = *(opp *const *)a, *y = *(opp *const *)b;
  if (x->score != y->score) return x->score > y->score ? -1 : 1;  /* highest first */
  return keycmp(x->id, x->len, y->id, y->len);                   /* ties: lower id */
}

/* The bankrupt's position (one market) closed against the other side at
 * its bankruptcy price, in order of upnl ("pnl" score, highest first, ties
 * to the lower id), each close the fewest lots left: the reads (the merge
 * of accounts and that market's positions), the order, then in key order
 * each closed position removed or cut and its holder's balance moved by
 * what the close realizes, the bankrupt's position removed and its balance
 * to zero, open interest, one journal record naming every close, the
 * deficit id, durable commit.  No fund, no haircut: what adl.lua decides
 * on bench_resolve's ledger (every lot closed, nothing left to charge). */
static void closes_one(db *d, const char *acct, const char *did, phases *ph) {
  double t0 = now();
  MDB_txn *t;
  mkt mk[MK_MAX];
  size_t nmk;
  plan p;
  int64_t bal0 = deficit_open(d, acct, did, &t, mk, &nmk, &p);
  MDB_val k, v;
  if (p.equity >= 0 || p.nm != 1) {
    fprintf(stderr, "floor_lmdb: '%s' is not bankrupt in one market\n", acct);
    exit(1);
  }
  mkt *m = &mk[p.slot[0]];
  int64_t bs = p.bsize[0], bc = p.bcost[0];
  /* the bankruptcy price: where its equity is zero, exact on this ledger */
  int64_t price = (int64_t)(((__int128)bc - bal0) / bs);
  MDB_stat st;
  mdb_stat(t, d->d[ACCOUNTS], &st);
  opp *o = xcalloc(st.ms_entries, sizeof *o);
  char *ids = xcalloc(st.ms_entries, 16);
  size_t ids_cap = st.ms_entries * 16, ids_len = 0, n = 0;
  MDB_cursor *pc, *ac;
  MDB_val pk, pv, ak, av;
  unsigned char key[2 * ID_MAX + 2];
  ck(mdb_cursor_open(t, d->d[POSITIONS], &pc), "cursor");
  ck(mdb_cursor_open(t, d->d[ACCOUNTS], &ac), "cursor");
  pk = poskey(key, m->id, m->len, "", 0);
  int live = !mdb_cursor_get(pc, &pk, &pv, MDB_SET_RANGE) && of_market(&pk, m);
  for (int rc = mdb_cursor_get(ac, &ak, &av, MDB_FIRST); !rc && live; rc = mdb_cursor_get(ac, &ak, &av, MDB_NEXT)) {
    int c = 1;
    while (live && (c = keycmp((char *)pk.mv_data + m->len + 1, pk.mv_size - m->len - 1, ak.mv_data, ak.mv_size)) < 0)
      live = !mdb_cursor_get(pc, &pk, &pv, MDB_NEXT) && of_market(&pk, m);
    if (!live || c) continue;
    int64_t size = dec(&pv, 0), cost = dec(&pv, 1);
    if ((size > 0) != (bs < 0) || !size) continue;  /* the other side only */
    if (ids_len + ak.mv_size > ids_cap && !(ids = realloc(ids, ids_cap = 2 * ids_cap + ak.mv_size))) exit(1);
    memcpy(ids + ids_len, ak.mv_data, ak.mv_size);
    o[n] = (opp){(const char *)(uintptr_t)ids_len, (uint32_t)ak.mv_size, size, cost, dec(&av, 0),
                 (int64_t)((__int128)size * m->mark - cost)};
    ids_len += ak.mv_size;
    n++;
  }
  mdb_cursor_close(ac);
  for (size_t i = 0; i < n; i++) o[i].id = ids + (uintptr_t)o[i].id;
  double t1 = now();
  /* the rule: by score, the fewest lots each until the position is closed */
  opp **by = xcalloc(n, sizeof *by);
  int64_t *q = xcalloc(n, sizeof *q), need = bs < 0 ? -bs : bs;
  for (size_t i = 0; i < n; i++) by[i] = &o[i];
  qsort(by, n, sizeof *by, by_score);
  size_t nc = 0;
  for (size_t r = 0; r < n && need > 0; r++, nc++) {
    int64_t have = by[r]->size < 0 ? -by[r]->size : by[r]->size, take = have < need ? have : need;
    q[by[r] - o] = take;
    need -= take;
  }
  double t2 = now();
  /* the writes, in key order: positions, then balances */
  enc e;
  int gone = 0;
  MDB_cursor *wc;
  ck(mdb_cursor_open(t, d->d[ACCOUNTS], &wc), "cursor");
  for (size_t i = 0; i <= n; i++) {
    if (!gone && (i == n || keycmp(acct, p.alen, o[i].id, o[i].len) < 0)) {
      k = poskey(key, m->id, m->len, acct, p.alen);
      ck(mdb_cursor_get(pc, &k, NULL, MDB_SET), "bankrupt position");
      ck(mdb_cursor_del(pc, 0), "bankrupt position");
      gone = 1;
    }
    if (i == n || !q[i]) continue;
    int64_t lots = o[i].size < 0 ? q[i] : -q[i];  /* the close trades against the position */
    int64_t s = o[i].size, c = o[i].cost;
    int64_t realized = fill(&s, &c, lots, price);
    k = poskey(key, m->id, m->len, o[i].id, o[i].len);
    if (s) {
      v = enc2(&e, s, c);
      ck(mdb_cursor_put(pc, &k, &v, 0), "position");
    } else {
      ck(mdb_cursor_get(pc, &k, NULL, MDB_SET), "position");
      ck(mdb_cursor_del(pc, 0), "position");
    }
    MDB_val a = {o[i].len, (void *)o[i].id};
    v = enc1(&e, o[i].balance + realized);
    ck(mdb_cursor_put(wc, &a, &v, 0), "balance");
    o[i].score = realized;  /* kept for the journal */
  }
  mdb_cursor_close(wc);
  mdb_cursor_close(pc);
  k = (MDB_val){p.alen, (void *)acct};
  v = enc1(&e, 0);
  ck(mdb_put(t, d->d[ACCOUNTS], &k, &v, 0), "account");
  MDB_val mkey = {m->len, (void *)m->id};
  v = enc2(&e, m->mark, m->oi - (bs > 0 ? bs : -bs));
  ck(mdb_put(t, d->d[MARKETS], &mkey, &v, 0), "market");
  /* one record: the deficit, then each close (account, market, lots,
   * price, transfer), in the order decided */
  size_t rlen = 64 + p.dlen + p.alen + nc * (2 + ID_MAX + m->len + 24), at = 0;
  unsigned char *rec = xcalloc(rlen, 1);
  rec[at++] = 1, rec[at++] = 111, rec[at++] = (unsigned char)p.dlen;
  memcpy(rec + at, did, p.dlen), at += p.dlen;
  rec[at++] = (unsigned char)p.alen;
  memcpy(rec + at, acct, p.alen), at += p.alen;
  put_be(rec + at, p.equity), at += 8;
  for (size_t r = 0; r < nc; r++) {
    const opp *x = by[r];
    rec[at++] = (unsigned char)x->len;
    memcpy(rec + at, x->id, x->len), at += x->len;
    rec[at++] = (unsigned char)m->len;
    memcpy(rec + at, m->id, m->len), at += m->len;
    put_be(rec + at, q[x - o]), at += 8;
    put_be(rec + at, price), at += 8;
    put_be(rec + at, x->score), at += 8;
  }
  unsigned char sk[8];
  put_be(sk, (int64_t)(journal_last(d, t) + 1));
  k = (MDB_val){8, sk};
  v = (MDB_val){at, rec};
  ck(mdb_put(t, d->d[JOURNAL], &k, &v, MDB_APPEND), "journal");
  k = (MDB_val){p.dlen, (void *)did};
  v = enc1(&e, (int64_t)get_be(sk));
  ck(mdb_put(t, d->d[DEFICITS], &k, &v, MDB_NOOVERWRITE), "deficit id");
  double t3 = now();
  ck(mdb_txn_commit(t), "commit");
  double t4 = now();
  *ph = (phases){t1 - t0, t2 - t1, t3 - t2, t4 - t3, t4 - t0, nc};
  free(rec);
  free(by);
  free(q);
  free(o);
  free(ids);
}

/* ---- bench_resolve's ledger, written as the import writes it ------------- */

/* One journal record of the import's size per imported row: the journal's
 * tree then has the import's depth when the deficit appends to it. */
static void journal_row(db *d, MDB_txn *t, uint64_t seq, size_t bytes) {
  static unsigned char rec[40] = {1};
  unsigned char sk[8];
  put_be(sk, (int64_t)seq);
  MDB_val k = {8, sk}, v = {bytes, rec};
  ck(mdb_put(t, d->d[JOURNAL], &k, &v, MDB_APPEND), "journal");
}

static void build(const char *dir, size_t n) {
  db d;
  open_db(&d, dir, 1, 1);  /* not timed: synced once at the end */
  MDB_txn *t;
  ck(mdb_txn_begin(d.env, NULL, 0, &t), "begin");
  enc e;
  unsigned char key[2 * ID_MAX + 2];
  char id[32];
  uint64_t seq = 0;
  __int128 flows = 0;
  MDB_val k = sval("schema"), v = enc1(&e, 1);
  ck(mdb_put(t, d.d[META], &k, &v, 0), "meta");
  k = sval("BTC");
  v = enc2(&e, 100, (int64_t)n);
  ck(mdb_put(t, d.d[MARKETS], &k, &v, 0), "market");
  journal_row(&d, t, ++seq, 24);
  for (size_t i = 0; i <= n; i++) {
    int64_t bal = i ? 1000 : -25 * (int64_t)n;
    snprintf(id, sizeof id, i ? "c%07zu" : "a", i - 1);
    k = sval(id);
    v = enc1(&e, bal);
    ck(mdb_put(t, d.d[ACCOUNTS], &k, &v, 0), "account");
    flows += bal;
    journal_row(&d, t, ++seq, 24);
  }
  for (size_t i = 0; i <= n; i++) {
    int64_t size = i ? -1 : (int64_t)n, cost = i ? -(int64_t)(101 + (i - 1) % 97) : 100 * (int64_t)n;
    snprintf(id, sizeof id, i ? "c%07zu" : "a", i - 1);
    k = poskey(key, "BTC", 3, id, strlen(id));
    v = enc2(&e, size, cost);
    ck(mdb_put(t, d.d[POSITIONS], &k, &v, 0), "position");
    flows -= cost;
    journal_row(&d, t, ++seq, 40);
  }
  k = sval("net_flows");
  v = enc1(&e, (int64_t)flows);
  ck(mdb_put(t, d.d[META], &k, &v, 0), "meta");
  ck(mdb_txn_commit(t), "commit");
  ck(mdb_env_sync(d.env, 1), "sync");
  mdb_env_close(d.env);
}

static void sh(const char *fmt, const char *a, const char *b) {
  char cmd[1024];
  snprintf(cmd, sizeof cmd, fmt, a, b);
  if (system(cmd) != 0) fprintf(stderr, "floor_lmdb: '%s' failed\n", cmd);
}

int main(int argc, char **argv) {
  if (argc == 4 && !strcmp(argv[1], "--cascade")) {
    cascade(argv[2], strtoul(argv[3], NULL, 10));
    return 0;
  }
  if (argc == 5 && !strcmp(argv[1], "--one")) {
    db d;
    phases ph;
    open_db(&d, argv[2], 0, 0);
    resolve_one(&d, argv[3], argv[4], &ph);
    mdb_env_close(d.env);
    printf("floor_lmdb one seconds=%.6f charged=%zu\n", ph.total, ph.charged);
    return 0;
  }
  if (argc == 5 && !strcmp(argv[1], "--closes")) {
    db d;
    phases ph;
    open_db(&d, argv[2], 0, 0);
    closes_one(&d, argv[3], argv[4], &ph);
    mdb_env_close(d.env);
    printf("floor_lmdb closes seconds=%.6f closed=%zu\n", ph.total, ph.charged);
    return 0;
  }
  if (argc < 2 || argv[1][0] == '-') {
    fprintf(stderr, "usage: floor_lmdb N [RUNS]\n       floor_lmdb --cascade LEDGER_DIR K\n"
                    "       floor_lmdb --one LEDGER_DIR ACCOUNT DEFICIT_ID\n"
                    "       floor_lmdb --closes LEDGER_DIR ACCOUNT DEFICIT_ID\n");
    return 2;
  }
  size_t n = strtoul(argv[1], NULL, 10);
  int runs = argc > 2 ? atoi(argv[2]) : 5;
  if (runs < 1) runs = 1;
  if (runs > 50) runs = 50;
  char root[] = "/tmp/socloss-floor-XXXXXX", tmpl[64], run[64];
  if (!mkdtemp(root)) return 1;
  snprintf(tmpl, sizeof tmpl, "%s/template", root);
  snprintf(run, sizeof run, "%s/run", root);
  build(tmpl, n);
  double tot[50], scan[50], rule[50], wr[50], com[50], ctot[50], cwr[50];
  size_t charged = 0, closed = 0;
  for (int r = 0; r < runs; r++) {  /* the haircut and the closes, alternately */
    for (int closes = 0; closes < 2; closes++) {
      sh("rm -rf '%s'%s", run, "");
      sh("cp -r '%s' '%s'", tmpl, run);
      db d;
      open_db(&d, run, 0, 0);
      phases ph;
      if (closes) {
        closes_one(&d, "a", "bench", &ph);
        ctot[r] = ph.total, cwr[r] = ph.write + ph.commit;
        closed = ph.charged;
      } else {
        resolve_one(&d, "a", "bench", &ph);
        tot[r] = ph.total, scan[r] = ph.scan, rule[r] = ph.rule, wr[r] = ph.write, com[r] = ph.commit;
        charged = ph.charged;
      }
      mdb_env_close(d.env);
    }
  }
  printf("floor_lmdb candidates=%zu runs=%d median_s=%.6f scan_s=%.6f rule_s=%.6f write_s=%.6f commit_s=%.6f "
         "charged=%zu closes_s=%.6f closes_write_commit_s=%.6f closed=%zu\n",
         n, runs, median(tot, runs), median(scan, runs), median(rule, runs), median(wr, runs), median(com, runs),
         charged, median(ctot, runs), median(cwr, runs), closed);
  sh("rm -rf '%s'%s", root, "");
  return 0;
}
