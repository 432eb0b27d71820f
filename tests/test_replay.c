/*
 * Replay: the journal's deficits decided again from the journal alone.  A
 * verification reproduces every decision; a tampered record is caught; a
 * what-if with another policy reports the differences; nothing is written.
 */
#include <lmdb.h>

#include "resolve.h"
#include "journal_edit.h"
#include "util.h"

typedef struct seen {
  int n, same;
  uint64_t seq;
  char field[32];
  int64_t rec_charged, alt_charged;
} seen;

static int on_item(void *ud, const socloss_replay_item *it) {
  seen *s = ud;
  s->n++;
  s->same += it->same;
  if (!it->same && !s->seq) {
    s->seq = it->seq;
    snprintf(s->field, sizeof s->field, "%s", it->field);
  }
  s->rec_charged += it->recorded_charged;
  s->alt_charged += it->replayed_charged;
  return 0;
}

/* Moves one atom of a recorded haircut to the next one. */
static int move_an_atom(deficit_rec *d) {
  if (d->nhc < 2) return -1;
  hc_action *hc = (hc_action *)d->hc;
  hc[0].amount -= 1;
  hc[1].amount += 1;
  return 0;
}

/* The per-account lines of a what-if, as "account recorded replayed;". */
typedef struct who {
  int n;
  char text[256];
} who;

static int on_who(void *ud, const socloss_replay_item *it) {
  who *w = ud;
  w->n++;
  for (size_t k = 0; k < it->naccounts; k++) {
    size_t used = strlen(w->text);
    snprintf(w->text + used, sizeof w->text - used, "%s %lld %lld;", it->accounts[k].account,
             (long long)it->accounts[k].recorded, (long long)it->accounts[k].replayed);
  }
  return 0;
}

/* Identical totals hiding who pays: "first" charges the whole shortfall to
 * the first candidate in id order, "last" to the last one. */
static void who_pays(void) {
  static const char first[] =
      "return { name = 'first', haircut = function(ctx)\n"
      "  if ctx.deficit.shortfall == 0 then return {} end\n"
      "  return { { account = ctx.account[1], amount = ctx.deficit.shortfall } } end }\n";
  static const char last[] =
      "return { name = 'last', haircut = function(ctx)\n"
      "  if ctx.deficit.shortfall == 0 then return {} end\n"
      "  return { { account = ctx.account[ctx.n], amount = ctx.deficit.shortfall } } end }\n";
  char dir[64];
  socloss *led = new_ledger(dir, 0);
  /* a long 9 at 100 with 44: at 94 its equity is 44 + 9 x (94 - 100) = -10;
   * b, c, d short 3 each, in profit 3 x 6 = 18 each: the candidates */
  socloss_source m = src_of("m", "market,mark_price\nBTC,100\n"),
                 a = src_of("a", "account,balance\na,44\nb,1000\nc,1000\nd,1000\n"),
                 p = src_of("p", "account,market,size,entry_price\na,BTC,9,100\nb,BTC,-3,100\nc,BTC,-3,100\n"
                                 "d,BTC,-3,100\n");
  ok(socloss_import_csv(led, &m, &a, &p, NULL) == SOCLOSS_OK && socloss_set_mark(led, "BTC", 94) == SOCLOSS_OK,
     "a bankrupt after a fall to 94");
  ok(socloss_policy_set(led, SOCLOSS_POLICY_ACTIVE, first, strlen(first), NULL) == SOCLOSS_OK, "first active");
  const socloss_resolution *r;
  socloss_resolve_options o;
  socloss_resolve_options_init(&o);
  o.id = "da";
  ok(socloss_resolve(led, "a", &o, &r) == SOCLOSS_OK && r->nhaircuts == 1 && !strcmp(r->haircuts[0].account, "b") &&
         r->haircuts[0].amount == 10,
     "first charges b the shortfall, 10");
  seen s = {0};
  size_t differ = 0;
  is(socloss_replay(led, last, strlen(last), NULL, 1, on_item, &s, &differ), SOCLOSS_OK, "what-if under last");
  /* the totals cannot tell them apart: 10 charged either way */
  ok(s.n == 1 && s.rec_charged == 10 && s.alt_charged == 10 && differ == 1, "the same total, 10, decided differently");
  who w = {0};
  is(socloss_replay(led, last, strlen(last), NULL, 1, on_who, &w, NULL), SOCLOSS_OK, "what-if under last, again");
  /* b paid 10 and would pay 0; d paid 0 and would pay 10; c pays 0 both ways */
  is_str(w.text, "b 10 0;d 0 10;", "who pays differently: b 10 -> 0, d 0 -> 10");
  memset(&w, 0, sizeof w);
  is(socloss_replay(led, NULL, 0, NULL, 1, on_who, &w, NULL), SOCLOSS_OK, "verification");
  ok(w.n == 1 && !strcmp(w.text, ""), "reproduced: no account pays differently");
  /* the hash a file is known by, as the registry knows it */
  socloss_policy_info info;
  char hash[65];
  socloss_policy_hash(last, strlen(last), hash);
  is(socloss_policy_add(led, last, strlen(last), &info), SOCLOSS_OK, "last added to the registry");
  is_str(hash, info.hash, "socloss_policy_hash gives the registry's hash");
  drop_ledger(led, dir);
}

/* A what-if of a crash event after the fund was paid in.  The fund's cash
 * moved by the events before lived in the replay's memory only, while the
 * what-if's run of the event read the totals of its transaction: it saw an
 * empty fund, decided to charge instead, and the recorded fund draw that
 * followed was refused ("fund draw 10 is not possible (hole 10, cash 0)").
 * The demo's crash hit it at its first deficit. */
static void whatif_after_fund(void) {
  char dir[64];
  socloss *led = new_ledger(dir, 0);
  /* a long 9 at 100 with 44: at 94 its equity is 44 - 54 = -10; b, c, d
   * short 3 each, in profit 18 each; 100 in the fund covers a's 10 */
  socloss_source m = src_of("m", "market,mark_price\nBTC,100\n"),
                 a = src_of("a", "account,balance\na,44\nb,1000\nc,1000\nd,1000\n"),
                 p = src_of("p", "account,market,size,entry_price\na,BTC,9,100\nb,BTC,-3,100\nc,BTC,-3,100\n"
                                 "d,BTC,-3,100\n");
  ok(socloss_import_csv(led, &m, &a, &p, NULL) == SOCLOSS_OK && socloss_fund_transfer(led, 100) == SOCLOSS_OK &&
         socloss_set_mark(led, "BTC", 94) == SOCLOSS_OK,
     "100 in the fund, then a bankrupt at 94");
  size_t len;
  char *src = policy_text("pro_rata", &len);
  socloss_event_options eo;
  socloss_event_options_init(&eo);
  eo.id = "crash";
  eo.policy = src;
  eo.policy_len = len;
  socloss_event_summary sum;
  memset(&sum, 0, sizeof sum);
  sum.size = sizeof sum;
  ok(socloss_resolve_event(led, &eo, &sum) == SOCLOSS_OK && sum.resolved == 1 && sum.fund_draw == 10 && sum.charged == 0,
     "the crash: the fund pays a's 10, nobody is charged");
  seen s = {0};
  size_t differ = 99;
  is(socloss_replay(led, src, len, NULL, 1, on_item, &s, &differ), SOCLOSS_OK,
     "a what-if of the event under pro_rata itself runs (%s)", socloss_errmsg(led));
  ok(s.n == 1 && s.same == 1 && differ == 0 && s.alt_charged == 0, "and decides as recorded: the fund pays, 0 charged");
  free(src);
  drop_ledger(led, dir);
}

int main(void) {
  char dir[64];
  socloss *led = new_ledger(dir, 0);
  socloss_source m = src_of("m", "market,mark_price\nBTC,100\n"),
                 a = src_of("a", "account,balance\na,44\nb,1000\nc,1000\nd,1000\ne,2\n");
  socloss_source p2 = src_of("p", "account,market,size,entry_price\na,BTC,9,100\nb,BTC,-4,100\nc,BTC,-3,100\n"
                                  "d,BTC,-3,100\ne,BTC,1,100\n");
  ok(socloss_import_csv(led, &m, &a, &p2, NULL) == SOCLOSS_OK && socloss_set_mark(led, "BTC", 94) == SOCLOSS_OK,
     "a and e bankrupt after a fall to 94");
  size_t len;
  char *src = policy_text("pro_rata", &len);
  ok(socloss_policy_set(led, SOCLOSS_POLICY_ACTIVE, src, len, NULL) == SOCLOSS_OK, "pro_rata active");
  const socloss_resolution *r;
  socloss_resolve_options o;
  socloss_resolve_options_init(&o);
  o.id = "da";
  ok(socloss_resolve(led, "a", &o, &r) == SOCLOSS_OK && r->nhaircuts == 3, "a resolved: three haircuts");
  uint64_t seq_a = r->seq;
  o.id = "de";
  ok(socloss_resolve(led, "e", &o, &r) == SOCLOSS_OK, "e resolved");
  fingerprint before = fp_of(led);

  seen s = {0};
  size_t differ = 99;
  is(socloss_replay(led, NULL, 0, NULL, 1, on_item, &s, &differ), SOCLOSS_OK, "verification runs");
  ok(s.n == 2 && s.same == 2 && differ == 0, "both deficits reproduced exactly");
  ok(fp_equal(before, fp_of(led)), "and nothing was written");

  memset(&s, 0, sizeof s);
  char *tiered = policy_text("tiered", &len);
  is(socloss_replay(led, tiered, len, "{\"tiers\":[{\"upto\":10,\"rate\":100},{\"rate\":10000}]}", 1, on_item, &s,
                    &differ),
     SOCLOSS_OK, "what-if under tiered");
  ok(s.n == 2 && s.rec_charged == s.alt_charged, "the same total charged (the shortfall), %lld", (long long)s.alt_charged);
  ok(differ >= 1, "distributed differently in %zu deficit(s)", differ);
  ok(fp_equal(before, fp_of(led)), "nothing written");

  socloss_close(led);
  ok(journal_edit_deficit(dir, seq_a, move_an_atom) == 0, "an atom moved between two haircuts of record %llu", (unsigned long long)seq_a);
  socloss_options oo;
  socloss_options_init(&oo);
  oo.evaluator = SOCLOSS_BINARY_DIR "/socloss-eval";
  socloss_open(&led, dir, &oo);
  memset(&s, 0, sizeof s);
  is(socloss_replay(led, NULL, 0, NULL, 1, on_item, &s, &differ), SOCLOSS_OK, "verification runs");
  ok(differ == 1 && s.seq == seq_a && !strcmp(s.field, "haircuts"), "the tampered record is the one that differs, in haircuts");
  socloss_check_report rep;
  is(socloss_check(led, &rep), SOCLOSS_EINVARIANT, "check sees it too");
  is_str(socloss_errmsg(led), "replaying the journal gives a different state", "as a different state");
  free(src);
  free(tiered);
  drop_ledger(led, dir);
  who_pays();
  whatif_after_fund();
  return done_testing();
}
