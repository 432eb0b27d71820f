/*
 * check: the invariants read from one snapshot, the journal replayed into a
 * scratch ledger beside the scan (a second thread) or after it (the
 * fallback when a writer committed in between): both paths give the same
 * report and the same message, on sound and on damaged ledgers.  A writer
 * commits while a check holds its snapshot; the check reports the state it
 * began with; its scratch ledger leaves nothing behind, even when stopped.
 */
#include <dirent.h>
#include <lmdb.h>
#include <sys/stat.h>

#include "audit.h"
#include "codec.h"
#include "record.h"
#include "util.h"

static void bail(const char *why) {
  printf("Bail out! %s\n", why);
  exit(1);
}

/* ---- damage, straight in LMDB ------------------------------------------- */

typedef int (*damage_fn)(MDB_txn *txn, MDB_dbi dbi);

static int damage(const char *dir, const char *table, damage_fn fn) {
  MDB_env *env;
  MDB_txn *txn;
  MDB_dbi dbi;
  int rc = mdb_env_create(&env);
  if (!rc) rc = mdb_env_set_maxdbs(env, 16);
  if (!rc) rc = mdb_env_open(env, dir, 0, 0644);
  if (!rc) rc = mdb_txn_begin(env, NULL, 0, &txn);
  if (!rc) rc = mdb_dbi_open(txn, table, 0, &dbi);
  if (!rc) rc = fn(txn, dbi);
  if (!rc) rc = mdb_txn_commit(txn);
  mdb_env_close(env);
  return rc;
}

/* account "l": balance 1000 -> 1001 (an atom from nowhere) */
static int bump_balance(MDB_txn *txn, MDB_dbi dbi) {
  unsigned char enc[CODEC_I64_LEN];
  codec_i64_encode(enc, 1001);
  MDB_val k = {1, "l"}, v = {sizeof enc, enc};
  return mdb_put(txn, dbi, &k, &v, 0);
}

static MDB_val seq_key(uint64_t seq, unsigned char key[8]) {
  codec_put_u64(key, seq);
  MDB_val k = {8, key};
  return k;
}

static int drop_record_3(MDB_txn *txn, MDB_dbi dbi) {
  unsigned char key[8];
  MDB_val k = seq_key(3, key);
  return mdb_del(txn, dbi, &k, NULL);
}

static int garble_record_3(MDB_txn *txn, MDB_dbi dbi) {
  unsigned char key[8];
  MDB_val k = seq_key(3, key), v = {3, "\377\377\377"};
  return mdb_put(txn, dbi, &k, &v, 0);
}

/* a withdrawal of more than l's equity, journaled as if it had been taken */
static uint64_t journal_end;
static int overdraw(MDB_txn *txn, MDB_dbi dbi) {
  socloss_event e = {.type = SOCLOSS_EV_WITHDRAW, .account = "l", .amount = 999999};
  codec_buf b = {0};
  record_encode(&b, &e);
  unsigned char key[8];
  MDB_val k = seq_key(journal_end + 1, key), v = {b.len, b.p};
  int rc = mdb_put(txn, dbi, &k, &v, 0);
  codec_buf_free(&b);
  return rc;
}

static void replay_lets_writers_go_on(fixture *fx);

/* ---- the two paths ------------------------------------------------------- */

/* check_run with the replay beside the scan and after it: the same code,
 * report and message; then what they said, for the caller to assert. */
static int both_paths(socloss *led, const char *what, socloss_check_report *rep, char msg[1024]) {
  socloss_check_report one, two;
  int rc1 = check_run(led, NULL, 1, &one);
  char msg1[1024];
  snprintf(msg1, sizeof msg1, "%s", socloss_errmsg(NULL));
  int rc2 = check_run(led, NULL, 2, &two);
  snprintf(msg, 1024, "%s", socloss_errmsg(NULL));
  is(rc2, rc1, "%s: the replay beside the scan returns what the replay after it does (%d)", what, rc1);
  ok(memcmp(&one, &two, sizeof one) == 0, "%s: the same report", what);
  is_str(msg, msg1, "%s: the same message", what);
  *rep = two;
  return rc2;
}

/* ---- replay, likewise a reader ------------------------------------------ */

typedef struct replayed {
  const char *dir, *events;
  int items, same, status;
  uint64_t seq;
} replayed;

static int note_progress(void *ud, const char *phase, uint64_t done, uint64_t total) {
  char *heard = ud;
  size_t n = strlen(heard);
  snprintf(heard + n, 128 - n, "%s %llu/%llu ", phase, (unsigned long long)done, (unsigned long long)total);
  return 0;
}

static int say_stop(void *ud, const char *phase, uint64_t done, uint64_t total) {
  (void)ud, (void)phase, (void)done, (void)total;
  return 1;
}

static int write_at_first_item(void *ud, const socloss_replay_item *it) {
  replayed *w = ud;
  w->same += it->same;
  w->seq = it->seq;
  if (w->items++ == 0 && w->events) {
    w->status = apply_elsewhere(w->dir, w->events);
  }
  return 0;
}

/* The replay decides the journal's deficits again on a copy of one snapshot
 * (settings, registry and journal in a scratch ledger): another process's
 * deposit commits while it runs; the deposit is not in what it replays. */
static void replay_lets_writers_go_on(fixture *fx) {
  char events[128];
  snprintf(events, sizeof events, "%s/deposit.jsonl", fx->dir);
  FILE *f = fopen(events, "w");
  fputs("{\"type\":\"deposit\",\"account\":\"p\",\"amount\":7}\n", f);
  fclose(f);
  fingerprint start = fp_of(fx->led);
  replayed w = {fx->dir, events, 0, 0, -1, 0};
  size_t differ = 99;
  is(socloss_replay(fx->led, NULL, 0, NULL, 1, write_at_first_item, &w, &differ), SOCLOSS_OK, "replay: runs");
  ok(WIFEXITED(w.status) && WEXITSTATUS(w.status) == 0,
     "replay: a deposit was committed by another process while it ran (status %d)", w.status);
  ok(w.items == 1 && w.same == 1 && w.seq == 10 && differ == 0,
     "replay: the one deficit (record 10) decided again exactly (%d items, %d same, %zu differ)", w.items, w.same,
     differ);
  is((int)fp_of(fx->led).seq, (int)start.seq + 1, "replay: the deposit is journaled after it");
  is(view(fx->led, "p").balance, 4000 + 7, "replay: p has its 7 atoms");

  /* its progress: one call per 65,536 records, the first before record 1
   * (11 records now); a callback that says stop stops it there */
  char heard[128] = "";
  socloss_progress pg = {sizeof pg, note_progress, heard};
  replayed quiet = {fx->dir, NULL, 0, 0, -1, 0};
  is(socloss_replay_progress(fx->led, NULL, 0, NULL, 1, write_at_first_item, &quiet, &pg, &differ), SOCLOSS_OK,
     "replay with progress");
  is_str(heard, "records 0/11 ", "told once, before the first record");
  pg.fn = say_stop;
  is(socloss_replay_progress(fx->led, NULL, 0, NULL, 1, write_at_first_item, &quiet, &pg, &differ), SOCLOSS_ESTOP,
     "replay stopped by its progress callback");
  is_str(socloss_errmsg(fx->led), "replay stopped by the progress callback at journal record 1", "saying where");
  unlink(events);
}

static const char *M = "market,mark_price\nBTC,100\n";
static const char *A = "account,balance\na,-1000\nl,1000\np,4000\n";
static const char *P = "account,market,size,entry_price\na,BTC,5,100\nl,BTC,5,100\np,BTC,-10,100\n";

static void sound_and_damaged(void) {
  fixture fx;
  if (fixture_make(&fx, M, A, P, "{\"type\":\"market\",\"market\":\"BTC\",\"mark\":80}\n")) bail("fixture");
  const socloss_resolution *r;
  size_t len;
  char *src = policy_text("pro_rata", &len);
  socloss_resolve_options o;
  socloss_resolve_options_init(&o);
  o.policy = src;
  o.policy_len = len;
  is(socloss_resolve(fx.led, "a", &o, &r), SOCLOSS_OK, "a's deficit resolved");
  free(src);
  socloss_totals t;
  socloss_totals_get(fx.led, &t);
  journal_end = t.journal_seq;
  /* 1 listing + 3 accounts + 3 positions + 1 mark + pro_rata's registry
   * entry + 1 deficit */
  is((int)t.journal_seq, 10, "10 journal records");
  socloss_check_report rep;
  char msg[1024];
  is(both_paths(fx.led, "sound", &rep, msg), SOCLOSS_OK, "sound: passes");
  ok(rep.sizes_net_zero && rep.open_interest_ok && rep.conservation && rep.journal_contiguous && rep.replay_matches,
     "sound: every invariant holds");
  is((int)rep.records, 10, "sound: 10 records read");
  unsigned char live[32];
  socloss_state_digest(fx.led, live);
  ok(memcmp(live, rep.digest, 32) == 0, "sound: the digest is the state's");
  socloss_close(fx.led);

  /* each damage on a fresh copy of the sound ledger */
  struct {
    const char *what, *table;
    damage_fn fn;
    int rc;
    const char *msg;
    int conservation, contiguous, replay;
  } cases[] = {
      {"a balance moved", "accounts", bump_balance, SOCLOSS_EINVARIANT,
       /* after the deficit: equity 4900, bad debt 900, net flows 4000; one atom more */
       "conservation: equity 4901 + fund cash 0 - bad debt 900 = 4001, but net flows are 4000", 0, 1, 0},
      {"a record gone", "journal", drop_record_3, SOCLOSS_EINVARIANT, "journal jumps from record 2 to 4", 1, 0, 0},
      {"a record garbled", "journal", garble_record_3, SOCLOSS_EINVARIANT, "journal record 3 is corrupt", 1, 0, 0},
      {"an overdraft", "journal", overdraw, SOCLOSS_EINVARIANT,
       "replay refuses journal record 11: amount: withdrawal of 999999 exceeds the equity 900 of account 'l'", 1, 1,
       0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char dir[64], cmd[200];
    strcpy(dir, "/tmp/socloss-test-XXXXXX");
    if (!mkdtemp(dir)) bail("mkdtemp");
    snprintf(cmd, sizeof cmd, "cp '%s'/data.mdb '%s'/", fx.dir, dir);
    if (system(cmd)) bail("cp");
    is(damage(dir, cases[i].table, cases[i].fn), 0, "%s: done in LMDB", cases[i].what);
    socloss_options oo;
    socloss_options_init(&oo);
    oo.evaluator = SOCLOSS_BINARY_DIR "/socloss-eval";
    socloss *led;
    if (socloss_open(&led, dir, &oo)) { diag("open: %s", socloss_errmsg(led)); exit(1); };
    is(both_paths(led, cases[i].what, &rep, msg), cases[i].rc, "%s: refused", cases[i].what);
    is_str(msg, cases[i].msg, "%s: says why", cases[i].what);
    ok(rep.conservation == cases[i].conservation && rep.journal_contiguous == cases[i].contiguous &&
           rep.replay_matches == cases[i].replay,
       "%s: conservation %d, contiguous %d, replay %d", cases[i].what, rep.conservation, rep.journal_contiguous,
       rep.replay_matches);
    drop_ledger(led, dir);
  }
  socloss_options oo;
  socloss_options_init(&oo);
  oo.evaluator = SOCLOSS_BINARY_DIR "/socloss-eval";
  if (socloss_open(&fx.led, fx.dir, &oo)) bail("reopen");
  replay_lets_writers_go_on(&fx);
  drop_ledger(fx.led, fx.dir);
}

/* ---- a writer goes on while a check reads ------------------------------- */

typedef struct writer {
  const char *dir, *events;
  int calls, status;
  int stop_at;  /* 0: never stop */
  char phases[256];
} writer;

/* At the first call, another process writes to the ledger; with the
 * writer lock held by the check it would wait for ever: alarm() ends it
 * after 60 s instead (exit by SIGALRM, a failure below, not a timing). */
static int write_meanwhile(void *ud, const char *phase, uint64_t done, uint64_t total) {
  writer *w = ud;
  (void)done;
  (void)total;
  if (strlen(w->phases) + strlen(phase) + 2 < sizeof w->phases && !strstr(w->phases, phase)) {
    strcat(w->phases, phase);
    strcat(w->phases, " ");
  }
  if (w->stop_at && ++w->calls >= w->stop_at) return 1;
  if (w->events && w->calls++ == 0) {
    w->status = apply_elsewhere(w->dir, w->events);
  }
  return 0;
}

static int entries(const char *dir) {
  DIR *d = opendir(dir);
  int n = 0;
  if (!d) return -1;
  for (struct dirent *e; (e = readdir(d));)
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
  closedir(d);
  return n;
}

static void writer_goes_on(void) {
  fixture fx;
  if (fixture_make(&fx, M, A, P, NULL)) bail("fixture");
  char tmp[64], events[128];
  strcpy(tmp, "/tmp/socloss-scratch-test-XXXXXX");
  if (!mkdtemp(tmp)) bail("mkdtemp");
  setenv("TMPDIR", tmp, 1);
  snprintf(events, sizeof events, "%s/deposit.jsonl", fx.dir);
  FILE *f = fopen(events, "w");
  fputs("{\"type\":\"deposit\",\"account\":\"l\",\"amount\":5}\n", f);
  fclose(f);
  fingerprint before = fp_of(fx.led);

  for (int threads = 1; threads <= 2; threads++) {
    writer w = {fx.dir, events, 0, -1, 0, ""};
    socloss_progress pg = {sizeof pg, write_meanwhile, &w};
    socloss_check_report rep;
    fingerprint start = fp_of(fx.led);
    is(check_run(fx.led, &pg, threads, &rep), SOCLOSS_OK, "threads %d: the check passes", threads);
    ok(WIFEXITED(w.status) && WEXITSTATUS(w.status) == 0,
       "threads %d: a deposit was committed by another process while the check ran (status %d)", threads, w.status);
    ok(memcmp(rep.digest, start.digest, 32) == 0 && rep.records == start.seq,
       "threads %d: the check reports the snapshot it began with (%llu records)", threads,
       (unsigned long long)rep.records);
    fingerprint now = fp_of(fx.led);
    is((int)now.seq, (int)start.seq + 1, "threads %d: the deposit is in the journal after", threads);
    is_str(w.phases, "state ", "threads %d: told of the state scan", threads);
    is(entries(tmp), 0, "threads %d: no scratch ledger left in TMPDIR", threads);
  }
  ok(invariants_hold(fx.led), "and the ledger with both deposits passes");
  is(view(fx.led, "l").balance, 1010, "l: 1000 + 5 + 5");
  (void)before;

  /* stopped by its callback: SOCLOSS_ESTOP, nothing left behind */
  writer w = {fx.dir, NULL, 0, -1, 1, ""};
  socloss_progress pg = {sizeof pg, write_meanwhile, &w};
  socloss_check_report rep;
  is(socloss_check_progress(fx.led, &pg, &rep), SOCLOSS_ESTOP, "a callback that says stop stops the check");
  is_str(socloss_errmsg(NULL), "check stopped by the progress callback", "saying so");
  is(entries(tmp), 0, "no scratch ledger left in TMPDIR");

  pg.size = sizeof pg - 1;
  char want[160];
  snprintf(want, sizeof want, "progress: size is %zu, not sizeof (socloss_progress) = %zu", sizeof pg - 1, sizeof pg);
  is(socloss_check_progress(fx.led, &pg, &rep), SOCLOSS_EINVAL, "a progress struct of another size is refused");
  is_str(socloss_errmsg(NULL), want, "naming the sizes");

  /* nowhere to put the scratch ledger: an error, not a finding */
  rmdir(tmp);
  is(socloss_check(fx.led, &rep), SOCLOSS_EIO, "no TMPDIR: check cannot run");
  char gone[200];
  snprintf(gone, sizeof gone, "cannot create a scratch directory in %s: No such file or directory", tmp);
  is_str(socloss_errmsg(NULL), gone, "and says where it looked");
  unsetenv("TMPDIR");
  snprintf(gone, sizeof gone, "rm -rf '%s'", fx.dir);
  socloss_close(fx.led);
  if (system(gone)) diag("could not remove %s", fx.dir);
}

/* The scratch map: 64 GiB to begin with (a simulation's journal in one
 * transaction must not fill it and start again), the ledger's if larger,
 * never past map_size_max; and a scratch opened that way has it. */
static void scratch_map(void) {
  const uint64_t G = 1ull << 30;
  is((long long)audit_scratch_map(1 * G, 1024 * G), (long long)(64 * G), "scratch map: 64 GiB for a 1 GiB ledger");
  is((long long)audit_scratch_map(128 * G, 1024 * G), (long long)(128 * G), "the ledger's when larger");
  is((long long)audit_scratch_map(1 * G, 4 * G), (long long)(4 * G), "within map_size_max");
  is((long long)audit_scratch_map(4 * G, 4 * G), (long long)(4 * G), "map_size_max when the ledger is there");
  char dir[64];
  socloss *led = new_ledger(dir, 0);
  store *scratch = NULL;
  is(audit_scratch(led, &scratch), SOCLOSS_OK, "a scratch ledger opens");
  is((long long)(scratch ? store_map_size(scratch) : 0), (long long)(64 * G), "with a 64 GiB map");
  store_close(scratch);
  drop_ledger(led, dir);
}

int main(void) {
  scratch_map();
  sound_and_damaged();
  writer_goes_on();
  return done_testing();
}
