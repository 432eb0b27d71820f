/*
 * replay: the journal's deficits re-decided without writing, with their own
 * policy or another, and what would have differed.  (simulate, the other
 * command that re-decides without writing, is cmd_simulate.c.)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* ---- replay ------------------------------------------------------------- */

enum { REPLAY_POLICY, REPLAY_PARAMS, REPLAY_FROM, REPLAY_JSON };
static const opt replay_opts[] = {
    [REPLAY_POLICY] = {"--policy", 1, NULL}, [REPLAY_PARAMS] = {"--params", 1, NULL},
    [REPLAY_FROM] = {"--from", 1, NULL}, [REPLAY_JSON] = {"--json", 0, NULL}, {NULL, 0, NULL}};

/* "charged A -> B, fund C -> D, bad debt E -> F", amounts in units */
static const char *changes_text(const cli_units *cu, int64_t rc, int64_t ac, int64_t rf, int64_t af, int64_t rb,
                                int64_t ab) {
  static char out[8 * SOCLOSS_TEXT_MAX];
  char t[6][SOCLOSS_TEXT_MAX];
  snprintf(out, sizeof out, "charged %s -> %s, fund %s -> %s, bad debt %s -> %s", amount_text(cu, rc, t[0]),
           amount_text(cu, ac, t[1]), amount_text(cu, rf, t[2]), amount_text(cu, af, t[3]), amount_text(cu, rb, t[4]),
           amount_text(cu, ab, t[5]));
  return out;
}

typedef struct replay_out {
  int json, whatif;
  const cli_units *cu;  /* amounts in the ledger's units */
} replay_out;

/* [{"account","recorded","replayed","delta"}]: delta is replayed - recorded,
 * what switching costs the account (< 0: it pays less). */
static json_t *accounts_json(const socloss_replay_account *a, size_t n) {
  json_t *list = json_array();
  for (size_t k = 0; k < n; k++)
    json_array_append_new(list, json_pack("{s:o,s:I,s:I,s:I}", "account", json_text(a[k].account), "recorded",
                                          (json_int_t)a[k].recorded, "replayed", (json_int_t)a[k].replayed, "delta",
                                          (json_int_t)(a[k].replayed - a[k].recorded)));
  return list;
}

static int print_replayed(void *ud, const socloss_replay_item *it) {
  replay_out *o = ud;
  if (o->json) {
    /* the decisions come as JSON text from the library: parsed, then written
     * back as they were (jansson both ways, the same flags) */
    json_t *x = json_object(), *rec = json_loads(it->recorded, 0, NULL);
    json_t *alt = *it->replayed ? json_loads(it->replayed, 0, NULL) : NULL;
    json_object_set_new(x, "seq", json_integer((json_int_t)it->seq));
    json_object_set_new(x, "id", json_text(it->id));
    json_object_set_new(x, "account", json_text(it->account));
    json_object_set_new(x, "same", json_boolean(it->same));
    json_object_set_new(x, "field", json_text(it->field));
    json_object_set_new(x, "recorded", rec ? rec : json_null());
    json_object_set_new(x, "replayed", alt ? alt : json_null());
    json_object_set_new(x, "accounts", accounts_json(it->accounts, it->naccounts));  /* added after 1.0 */
    add_units_key(x, o->cu);
    json_print(x);
    putchar('\n');
    return 0;
  }
  if (*it->account) printf("record %" PRIu64 " deficit %s (%s): ", it->seq, it->id, it->account);
  else printf("record %" PRIu64 " joint event %s: ", it->seq, it->id);  /* one decision for many accounts */
  if (it->code) printf("the policy fails now: %s\n", it->message);
  else if (o->whatif)
    printf("%s%s\n", changes_text(o->cu, it->recorded_charged, it->replayed_charged, it->recorded_fund_draw,
                                  it->replayed_fund_draw, it->recorded_bad_debt, it->replayed_bad_debt),
           it->same ? " (same decision)" : "");
  else if (it->same) printf("reproduced exactly\n");
  else printf("DIFFERS in %s\n  recorded %.400s\n  replayed %.400s\n", it->field, it->recorded, it->replayed);
  return 0;
}

typedef struct replay_sum {
  replay_out out;
  size_t n;
  int64_t rec_charged, alt_charged, rec_bad, alt_bad, rec_fund, alt_fund;
  size_t other;  /* records decided by another evaluator build; the first one's and this one's: */
  char lua[65], build[65], now_lua[65], now_build[65];
  json_t *who;  /* account -> [recorded, replayed], summed over the deficits where they differ */
} replay_sum;

/* Text from a journal shown on a terminal: printable ASCII only. */
static void keep_printable(char *out, size_t len, const char *in) {
  snprintf(out, len, "%s", in);
  for (; *out; out++)
    if (*out < 0x20 || *out > 0x7e) *out = '?';
}

static int sum_replayed(void *ud, const socloss_replay_item *it) {
  replay_sum *s = ud;
  s->n++;
  if (it->other_build && !s->other++) {
    keep_printable(s->lua, sizeof s->lua, it->lua_release);
    keep_printable(s->build, sizeof s->build, it->build_id);
    keep_printable(s->now_lua, sizeof s->now_lua, it->now_lua_release);
    keep_printable(s->now_build, sizeof s->now_build, it->now_build_id);
  }
  s->rec_charged += it->recorded_charged;
  s->alt_charged += it->replayed_charged;
  s->rec_bad += it->recorded_bad_debt;
  s->alt_bad += it->replayed_bad_debt;
  s->rec_fund += it->recorded_fund_draw;
  s->alt_fund += it->replayed_fund_draw;
  for (size_t k = 0; k < it->naccounts; k++) {
    const socloss_replay_account *a = &it->accounts[k];
    json_t *pair = json_object_get(s->who, a->account);
    if (!pair) json_object_set_new(s->who, a->account, pair = json_pack("[II]", (json_int_t)0, (json_int_t)0));
    if (!pair) return 1;  /* out of memory: the replay stops */
    json_array_set_new(pair, 0, json_integer(json_integer_value(json_array_get(pair, 0)) + a->recorded));
    json_array_set_new(pair, 1, json_integer(json_integer_value(json_array_get(pair, 1)) + a->replayed));
  }
  return print_replayed(&s->out, it);
}

/* The accounts whose charges, summed over the replay, differ: *n of them,
 * in account-id order (the strings are s->who's keys). */
static socloss_replay_account *who_totals(const replay_sum *s, size_t *n) {
  socloss_replay_account *v = malloc((json_object_size(s->who) + 1) * sizeof *v);
  *n = 0;
  if (!v) return NULL;
  const char *key;
  json_t *pair;
  json_object_foreach(s->who, key, pair) {
    int64_t rec = json_integer_value(json_array_get(pair, 0)), alt = json_integer_value(json_array_get(pair, 1));
    if (rec != alt) v[(*n)++] = (socloss_replay_account){key, rec, alt};
  }
  return v;
}

/* replay --json's last line: {"totals":{...}} */
static void print_totals(const replay_sum *s, size_t differ, const socloss_replay_account *v, size_t n) {
  json_t *t = json_object(), *o = json_object();
  json_object_set_new(t, "deficits", json_integer((json_int_t)s->n));
  json_object_set_new(t, "differ", json_integer((json_int_t)differ));
  json_object_set_new(t, "recorded", json_pack("{s:I,s:I,s:I}", "charged", (json_int_t)s->rec_charged, "fund_draw",
                                               (json_int_t)s->rec_fund, "bad_debt", (json_int_t)s->rec_bad));
  json_object_set_new(t, "replayed", json_pack("{s:I,s:I,s:I}", "charged", (json_int_t)s->alt_charged, "fund_draw",
                                               (json_int_t)s->alt_fund, "bad_debt", (json_int_t)s->alt_bad));
  json_object_set_new(t, "accounts", accounts_json(v, n));
  json_object_set_new(o, "totals", t);
  add_units_key(o, s->out.cu);
  json_print(o);
  putchar('\n');
}

/* The text's "who pays differently" (head, then the count): the WHO_TOP
 * accounts that would pay most more, then the WHO_TOP that would pay most
 * less. */
#define WHO_TOP 5
void print_who(const cli_units *cu, const char *head, socloss_replay_account *v, size_t n) {
  size_t more = 0, less = 0;
  for (size_t k = 0; k < n; k++) {
    if (v[k].replayed > v[k].recorded) more++;
    else less++;
  }
  printf("%s: %zu account%s (%zu more, %zu less); the %d largest changes each way:\n", head, n, n == 1 ? "" : "s",
         more, less, WHO_TOP);
  sort_by_change(v, n);
  for (int side = 0; side < 2; side++) {
    int shown = 0;
    for (size_t k = 0; k < n && shown < WHO_TOP; k++) {
      int64_t d = v[k].replayed - v[k].recorded;
      if ((side == 0) != (d > 0)) continue;
      char t[3][SOCLOSS_TEXT_MAX];
      char sid[SOCLOSS_ID_MAX + 1];
      keep_printable(sid, sizeof sid, v[k].account);
      printf("  pays %s %s: %s -> %s (%s%s)\n", side ? "less" : "more", sid, amount_text(cu, v[k].recorded, t[0]),
             amount_text(cu, v[k].replayed, t[1]), d > 0 ? "+" : "", amount_text(cu, d, t[2]));
      shown++;
    }
  }
}

int replay_args(call *c, int argc, char **argv) {
  uint64_t from;
  int rc = parse_args(c, argc, argv, replay_opts, 1, 1);
  if (rc == RUN) rc = from_option(c, c->value[REPLAY_FROM], 0, &from);
  if (rc != RUN || !c->value[REPLAY_POLICY]) return rc;
  return policy_input(c, 0, c->value[REPLAY_POLICY]);
}

int cmd_replay(call *c) {
  uint64_t from;
  if (policy_registered(c, 0) != RUN) return EXIT_REFUSED;  /* --policy NAME of the registry */
  from_option(c, c->value[REPLAY_FROM], 0, &from);  /* replay_args has checked it */
  const char *src = c->in[0].data, *policy = c->value[REPLAY_POLICY];
  cli_units cu;
  int rc = cli_units_load(c->led, &cu);
  if (rc) return refused(c->led, rc);
  replay_sum sum = {{c->value[REPLAY_JSON] != NULL, src != NULL, &cu}, 0, 0, 0, 0, 0, 0, 0, 0, "", "", "", "",
                    json_object()};
  size_t differ = 0, nwho = 0;
  socloss_progress pg;
  tty_progress_init(&pg, "replay");
  rc = sum.who ? socloss_replay_progress(c->led, src, c->in[0].len, c->value[REPLAY_PARAMS], from, sum_replayed, &sum,
                                         &pg, &differ)
               : SOCLOSS_ENOMEM;
  tty_progress_end(&pg);
  socloss_replay_account *who = rc ? NULL : who_totals(&sum, &nwho);
  if (who) sort_by_account(who, nwho);
  if (!rc && sum.out.json) print_totals(&sum, differ, who, nwho);  /* added after 1.0 */
  if (!rc && !sum.out.json) {
    if (src) {
      printf("%zu deficits under %s: %s; %zu decided differently\n", sum.n, policy,
             changes_text(&cu, sum.rec_charged, sum.alt_charged, sum.rec_fund, sum.alt_fund, sum.rec_bad, sum.alt_bad),
             differ);
      if (nwho) print_who(&cu, "who pays differently", who, nwho);
    } else
      printf("%zu deficits replayed with their own policies: %zu reproduced exactly, %zu differ\n", sum.n,
             sum.n - differ, differ);
  }
  /* a decision that differs may be the interpreter's doing, not the
   * policy's: said once, on stdout beside the summary, on stderr beside JSON */
  if (!rc && sum.other)
    fprintf(sum.out.json ? stderr : stdout,
            "note: %zu record%s decided by another evaluator build (recorded %s build %.12s, now %s build %.12s)\n",
            sum.other, sum.other == 1 ? " was" : "s were", sum.lua, sum.build, sum.now_lua, sum.now_build);
  free(who);
  json_decref(sum.who);
  cli_units_free(&cu);
  /* without --policy replay is a verification: a decision that differs fails it */
  return rc ? refused(c->led, rc) : (!src && differ ? EXIT_REFUSED : EXIT_DONE);
}
