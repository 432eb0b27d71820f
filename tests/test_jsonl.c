/*
 * JSON Lines events through the API: a clean batch with exact results, then
 * each refusal with its exact "file:line: field: reason", nothing written.
 */
#include "util.h"

static const char *SETUP =
    "{\"type\":\"market\",\"market\":\"BTC\",\"mark\":100}\n"
    "\n"
    "{\"type\":\"deposit\",\"account\":\"alice\",\"amount\":1000}\n"
    "{\"type\":\"deposit\",\"account\":\"bob\",\"amount\":1000}\r\n"
    "{\"type\":\"trade\",\"market\":\"BTC\",\"buyer\":\"alice\",\"seller\":\"bob\",\"size\":5,\"price\":100}\n"
    "{\"type\":\"fund\",\"amount\":300}\n"
    "{\"type\":\"withdraw\",\"account\":\"bob\",\"amount\":100}";  /* no final newline */

typedef struct bad {
  const char *text;
  int code;
  const char *msg;
} bad;

static const bad cases[] = {
    {"{\"type\":\"deposit\",\"account\":\"a\",\"amount\":1}\n{oops}\n", SOCLOSS_EPARSE,
     "e.jsonl:2: json: string or '}' expected near 'oops'"},
    {"[1]\n", SOCLOSS_EPARSE, "e.jsonl:1: json: expected an object, got an array"},
    {"{\"account\":\"a\"}\n", SOCLOSS_EPARSE, "e.jsonl:1: type: missing"},
    {"{\"type\":\"liquidate\",\"account\":\"a\"}\n", SOCLOSS_EINVAL,
     "e.jsonl:1: type: unknown event type 'liquidate' (market, deposit, withdraw, trade, fund, deficit, event)"},
    {"{\"type\":\"deficit\",\"id\":\"d1\",\"account\":\"alice\",\"policy\":\"/nonexistent.lua\"}\n", SOCLOSS_EINVAL,
     "e.jsonl:1: policy: cannot read '/nonexistent.lua': No such file or directory"},
    {"{\"type\":\"deficit\",\"id\":\"d1\",\"account\":\"alice\"}\n", SOCLOSS_EINVAL,
     "e.jsonl:1: policy: none given and the ledger has no active policy (socloss policy set)"},
    {"{\"type\":\"deficit\",\"id\":\"d1\",\"account\":\"alice\",\"params\":[1]}\n", SOCLOSS_EPARSE,
     "e.jsonl:1: params: must be an object, not an array"},
    {"{\"type\":\"deposit\",\"account\":\"a\",\"amount\":1,\"memo\":\"x\"}\n", SOCLOSS_EPARSE,
     "e.jsonl:1: memo: unknown field for a deposit event"},
    {"{\"type\":\"deposit\",\"account\":\"a\",\"account\":\"b\",\"amount\":1}\n", SOCLOSS_EPARSE,
     "e.jsonl:1: json: duplicate object key near '\"account\"'"},
    {"{\"type\":\"deposit\",\"amount\":1}\n", SOCLOSS_EPARSE, "e.jsonl:1: account: missing"},
    {"{\"type\":\"deposit\",\"account\":\"a\",\"amount\":1.5}\n", SOCLOSS_EPARSE,
     "e.jsonl:1: amount: must be an integer, not a fraction"},
    {"{\"type\":\"deposit\",\"account\":\"a\",\"amount\":1.0}\n", SOCLOSS_EPARSE,
     "e.jsonl:1: amount: must be an integer, not a fraction"},
    {"{\"type\":\"deposit\",\"account\":\"a\",\"amount\":\"1\"}\n", SOCLOSS_EPARSE,
     "e.jsonl:1: amount: must be an integer, not a string"},
    {"{\"type\":\"deposit\",\"account\":\"a\",\"amount\":9223372036854775808}\n", SOCLOSS_EPARSE,
     "e.jsonl:1: json: too big integer near '9223372036854775808'"},
    {"{\"type\":\"deposit\",\"account\":7,\"amount\":1}\n", SOCLOSS_EPARSE,
     "e.jsonl:1: account: must be a string, not an integer"},
    {"{\"type\":\"deposit\",\"account\":\"a\\u0000b\",\"amount\":1}\n", SOCLOSS_EPARSE,
     "e.jsonl:1: json: \\u0000 is not allowed without JSON_ALLOW_NUL near '\"a\\u0000b\"'"},
    {"{\"type\":\"deposit\",\"account\":\"a b\",\"amount\":1}\n", SOCLOSS_EINVAL,
     "e.jsonl:1: account: 'a b' is not a valid id (1-64 printable ASCII characters, no spaces)"},
    {"{\"type\":\"deposit\",\"account\":\"a\",\"amount\":0}\n", SOCLOSS_EINVAL,
     "e.jsonl:1: amount: must be positive (got 0)"},
    {"{\"type\":\"fund\",\"amount\":-301}\n", SOCLOSS_EFUNDS,
     "e.jsonl:1: amount: fund withdrawal of 301 exceeds the fund cash 300"},
    {"{\"type\":\"deposit\",\"account\":\"carol\",\"amount\":5}\n"
     "{\"type\":\"withdraw\",\"account\":\"carol\",\"amount\":5}\n"
     "{\"type\":\"withdraw\",\"account\":\"carol\",\"amount\":1}\n",
     SOCLOSS_EFUNDS, "e.jsonl:3: amount: withdrawal of 1 exceeds the equity 0 of account 'carol'"},
    {"{\"type\":\"trade\",\"market\":\"BTC\",\"buyer\":\"alice\",\"seller\":\"alice\",\"size\":1,\"price\":1}\n",
     SOCLOSS_EINVAL, "e.jsonl:1: seller: buyer and seller are the same account 'alice'"},
};

int main(void) {
  char dir[64];
  socloss *led = new_ledger(dir, 0);
  socloss_source s = src_of("setup.jsonl", SETUP);
  size_t n = 0;
  is(socloss_apply_jsonl(led, &s, &n), SOCLOSS_OK, "the setup batch applies");
  is(n, 6, "six events (blank line skipped, CRLF and a missing final newline accepted)");
  acct_view a = view(led, "alice"), b = view(led, "bob");
  ok(a.balance == 1000 && pos_in(&a, "BTC").size == 5, "alice long 5");
  ok(b.balance == 900 && pos_in(&b, "BTC").size == -5, "bob short 5, withdrew 100");
  is(view(led, "").balance, 300, "fund cash 300");
  ok(invariants_hold(led), "invariants after the batch");

  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    socloss_source src = src_of("e.jsonl", cases[i].text);
    fingerprint f = fp_of(led);
    is(socloss_apply_jsonl(led, &src, &n), cases[i].code, "case %zu: code", i);
    is_str(socloss_errmsg(led), cases[i].msg, "case %zu: message", i);
    ok(fp_equal(f, fp_of(led)) && n == 0, "case %zu: nothing written", i);
  }
  ok(invariants_hold(led), "invariants after the refusals");
  drop_ledger(led, dir);
  return done_testing();
}
