/*
 * The store's write watch (store/watch.c): every account, position and
 * market write noted in order (written straight to the store, around the
 * journal: this is the store's own test); what an aborted transaction (nested or not)
 * wrote taken back; the consumer told to read the tables again when it had
 * taken changes that were then taken back, when another store wrote in
 * between, when the tables were cleared, and after the watch stopped; a
 * write its consumer applied itself (STORE_SEEN) not noted, but taking it
 * back losing the consumer's copy.
 */
#include <inttypes.h>

#include "ledger.h"
#include "util.h"

/* What a take gave: the changes as text, "A id bal", "P market id size
 * cost", "M market mark", separated by "; ". */
typedef struct took {
  char text[512];
  int n;
} took;

static int note(void *ud, const store_change *c) {
  took *t = ud;
  size_t len = strlen(t->text);
  const char *sep = t->n++ ? "; " : "";
  if (c->kind == STORE_CHANGE_ACCOUNT)
    snprintf(t->text + len, sizeof t->text - len, "%sA %s %" PRId64, sep, c->id, c->a);
  else if (c->kind == STORE_CHANGE_POSITION)
    snprintf(t->text + len, sizeof t->text - len, "%sP %s %s %" PRId64 " %" PRId64, sep, c->market, c->id, c->a,
             c->b);
  else
    snprintf(t->text + len, sizeof t->text - len, "%sM %s %" PRId64, sep, c->market, c->a);
  if (c->hint != STORE_NO_HINT) {
    len = strlen(t->text);
    snprintf(t->text + len, sizeof t->text - len, " @%" PRIu64, c->hint);
  }
  if (strlen(c->id) != c->id_len) snprintf(t->text, sizeof t->text, "id_len %zu for '%s'", c->id_len, c->id);
  return 0;
}

/* One take: its return and what it gave. */
static int take(store_txn *t, took *out) {
  memset(out, 0, sizeof *out);
  return store_watch_take(t, note, out);
}

typedef struct step_ctx {
  int step;
  took got[4];
  int rc[4];
} step_ctx;

static int fail_after(store_txn *t, void *ud) {
  step_ctx *c = ud;
  if (c->step == 2) store_account_put(t, "y", 7);
  if (c->step == 3) {
    store_account_put(t, "w", 1);
    c->rc[1] = take(t, &c->got[1]);  /* taken inside, then taken back */
  }
  return SOCLOSS_ENOTFOUND;  /* any error aborts the nested transaction */
}

/* A position written by a consumer that applied it itself (STORE_SEEN). */
static void put_seen(store_txn *t, const char *holder, int64_t size) {
  store_cursor *cur = NULL;
  store_position q = {size, size * 100};
  if (store_cursor_position_writes(t, &cur) == 0) store_put_position_hinted(cur, "BTC", holder, &q, STORE_SEEN);
  store_cursor_close(cur);
}

static int seen_then_fail(store_txn *t, void *ud) {
  (void)ud;
  put_seen(t, "y", -4);
  return SOCLOSS_ENOTFOUND;
}

static int commit_nested(store_txn *t, void *ud) {
  (void)ud;
  return store_account_put(t, "z", 9);
}

static int scenario(store_txn *t, void *ud) {
  step_ctx *c = ud;
  store_position p = {3, 300};
  store_market mk = {0};
  store_cursor *cur = NULL;
  switch (c->step) {
  case 1:
    store_watch_start(t);
    store_account_put(t, "x", 5);
    store_position_put(t, "BTC", "x", &p);
    store_market_get(t, "BTC", &mk);
    mk.mark = 120;
    store_market_put(t, "BTC", &mk);
    c->rc[0] = take(t, &c->got[0]);
    p.size = 0;
    store_position_put(t, "BTC", "x", &p);  /* deleted: size 0 */
    if (store_cursor_position_writes(t, &cur) == 0) {
      store_position q = {-2, -150};
      store_put_position_hinted(cur, "BTC", "x2", &q, 42);
      store_cursor_close(cur);
    }
    c->rc[1] = take(t, &c->got[1]);
    return 0;
  case 2:
    c->rc[0] = take(t, &c->got[0]);
    store_nested(t, fail_after, c);
    c->rc[1] = take(t, &c->got[1]);
    store_nested(t, commit_nested, c);
    c->rc[2] = take(t, &c->got[2]);
    return 0;
  case 3:
    store_nested(t, fail_after, c);
    c->rc[2] = take(t, &c->got[2]);
    c->rc[3] = take(t, &c->got[3]);
    return 0;
  case 4:  /* thrown away after a take */
    store_account_put(t, "v", 4);
    c->rc[0] = take(t, &c->got[0]);
    return 0;
  case 5:
  case 6:
  case 8:
    c->rc[0] = take(t, &c->got[0]);
    return 0;
  case 9:
    c->rc[0] = take(t, &c->got[0]);  /* whatever came before: from here on */
    put_seen(t, "y", -3);
    store_account_put(t, "u", 3);
    c->rc[1] = take(t, &c->got[1]);
    store_nested(t, seen_then_fail, c);
    c->rc[2] = take(t, &c->got[2]);
    c->rc[3] = take(t, &c->got[3]);
    return 0;
  case 7:
    store_clear_state(t);
    c->rc[0] = take(t, &c->got[0]);
    c->rc[1] = take(t, &c->got[1]);
    return 1;  /* not kept */
  }
  return 0;
}

static int read_y(store_txn *t, void *ud) { return store_position_get(t, "BTC", "y", ud); }

static step_ctx run(socloss *led, int step, int keep) {
  step_ctx c;
  memset(&c, 0, sizeof c);
  c.step = step;
  int rc = (keep ? store_write : store_write_discard)(led->st, scenario, &c);
  if (rc && step != 7) diag("step %d: %s", step, socloss_errmsg(led));
  return c;
}

int main(void) {
  fixture fx;
  fixture_make(&fx, "market,mark_price\nBTC,100\n", "account,balance\nx,1\ny,2\n",
               "account,market,size,entry_price\nx,BTC,1,100\ny,BTC,-1,100\n", NULL);
  socloss *led = fx.led;

  step_ctx c = run(led, 1, 1);
  is(c.rc[0], 0, "started: the changes since");
  is_str(c.got[0].text, "A x 5; P BTC x 3 300; M BTC 120", "an account, a position and a market, in order");
  is(c.rc[1], 0, "a delete and a cursor's write");
  is_str(c.got[1].text, "P BTC x 0 0; P BTC x2 -2 -150 @42",
         "a delete is size 0; a cursor's write is noted, with the row its writer hinted");

  c = run(led, 2, 1);
  is(c.rc[0], 0, "the next transaction follows the last commit: nothing lost");
  is_str(c.got[0].text, "", "and nothing new");
  is(c.rc[1], 0, "a nested transaction that aborted");
  is_str(c.got[1].text, "", "took its write back");
  is(c.rc[2], 0, "one that committed");
  is_str(c.got[2].text, "A z 9", "keeps its write");

  c = run(led, 3, 1);
  is(c.rc[1], 0, "a take inside a nested transaction");
  is_str(c.got[1].text, "A w 1", "sees its write");
  is(c.rc[2], 1, "when that transaction aborts, the consumer must read the tables again");
  is(c.rc[3], 0, "and after that, the watch goes on");

  c = run(led, 4, 0);
  is_str(c.got[0].text, "A v 4", "a write taken in a transaction thrown away");
  c = run(led, 5, 1);
  is(c.rc[0], 1, "the next transaction: read the tables again");

  /* another store of the same ledger writes in between */
  socloss *other;
  socloss_options o;
  socloss_options_init(&o);
  o.unsafe_nosync = 1;
  ok(socloss_open(&other, fx.dir, &o) == SOCLOSS_OK && socloss_deposit(other, "x", 1) == SOCLOSS_OK,
     "another handle deposits");
  socloss_close(other);
  c = run(led, 6, 1);
  is(c.rc[0], 1, "after another writer: read the tables again");

  c = run(led, 7, 1);
  is(c.rc[0], 1, "after the state is cleared: read the tables again");
  is(c.rc[1], 0, "then the watch goes on");
  c = run(led, 8, 1);
  is(c.rc[0], 1, "the clearing transaction was thrown away: its changes, taken back, had been taken");

  /* a consumer that applies a write itself (the view, as the resolution
   * charges a haircut) has it written with STORE_SEEN: not noted, but
   * taken, so that taking it back loses the view */
  c = run(led, 9, 1);
  is(c.rc[1], 0, "a position written as seen, then an account");
  is_str(c.got[1].text, "A u 3", "only the account is noted");
  is(c.rc[2], 1, "a nested transaction that wrote a position as seen aborted: read the tables again");
  is(c.rc[3], 0, "then the watch goes on");
  store_position y;
  ok(store_read(led->st, read_y, &y) == SOCLOSS_OK && y.size == -3 && y.cost == -300,
     "the store holds the position written as seen (-3, -300), not the one taken back");

  store_watch_stop(led->st);
  c = run(led, 8, 1);
  is(c.rc[0], 1, "a stopped watch: read the tables");
  /* (no invariants here: these writes went around the journal on purpose) */
  drop_ledger(led, fx.dir);
  return done_testing();
}
