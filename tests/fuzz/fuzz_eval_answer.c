/*
 * fuzz_eval_answer — whatever the evaluator answers, through the host's
 * decoding, validation and ledger writes.
 *
 * The input is a scenario byte, then what an evaluator would write on its
 * socket: frames, each an 8-byte length (native order, as
 * evalproto_write_frame sends it) and that many bytes, the first answering
 * the load check (name, which steps the policy has), the next ones the
 * deleverage and haircut calls, in the order the host makes them.  An input
 * that ends early is an evaluator that stopped answering.  The scenario
 * (byte 0 modulo 3: the seeds use '0', '1', '2'):
 *
 *   0  socloss_resolve of A1 alone
 *   1  a sequential crash event (socloss_resolve_event): A1, then A2, each
 *      its own load check and calls
 *   2  a joint crash event: a load check, A1's and A2's deleverage calls
 *      (when the policy has that step), one haircut call for both
 *
 * The seam: the evaluator's `native` hook (engine/policy/policy.h, which
 * bench/bench_resolve.c uses for its C rule).  With it set, evaluator_call
 * hands the request to a function in this process instead of the socket; the
 * function here decodes the next frame with evalproto_decode_response, the
 * host's own decoder, exactly as evaluator_call does with what it read from
 * the process (a frame longer than EVAL_MESSAGE_MAX or cut short is a
 * protocol failure, an undecodable one "malformed"), and gives the host the
 * decoded answer; from there on everything is the host's: ask_policy's
 * range checks, the steps' validation, the writes, the journal record.
 * Chosen over a fake evaluator process because the decoding is the host's
 * either way, and in this process the decoder and everything after it run
 * under libFuzzer's coverage and AddressSanitizer at thousands of inputs a
 * second, none of it spent on starting processes and copying over a socket;
 * the socket's framing (a length, then a bounded read) is tested by
 * tests/test_evaluator.c against evaluators that crash, hang and send garbage.
 * Each frame and the decoded actions are copied into blocks of their exact
 * size (the host frees the actions, as it frees the frame it read), so a
 * read past either is caught.  The request the host sends is checked too:
 * encoded and decoded as the evaluator would, it must be well formed.
 *
 * The ledger (tests/cli/events.t's crash, the fund 100 short of it):
 *   X mark 80, Y mark 71; fund 100
 *   A1 0, X 10 @ 100, Y 9 @ 100 (equity -461), A2 0, X 5 @ 100 (-100)
 *   D 500 (no position), L1 10000 X 15 @ 100, L2 10000 Y 1 @ 100,
 *   P1 1000 X -30 @ 100, P2 1000 Y -10 @ 111
 * so that the candidates of A1 are, by index, A2 D L1 L2 P1 P2, those of
 * A2 A1 D L1 L2 P1 P2, those of the joint haircut D L1 L2 P1 P2.
 *
 * Each input runs as a dry run first: it must leave the ledger as it was,
 * and a refusal must say why in a message safe to show.  When the dry run
 * decided something (a resolution, or any deficit of an event), the same
 * answers are given to the real run, which must end the same (its code,
 * and each result as the dry run's, "applied" for "dry-run") and leave a
 * ledger that `socloss check` passes; the base is then made again.
 */
#include <jansson.h>

#include "fuzz.h"
#include "policy.h"

static const char *POLICY = "native";  /* the source the host hashes; the answers are the input */

static void build(socloss *led) {
  fz_import_base(led, "market,mark_price\nX,80\nY,71\n",
                 "account,balance\nA1,0\nA2,0\nD,500\nL1,10000\nL2,10000\nP1,1000\nP2,1000\n",
                 "account,market,size,entry_price\nA1,X,10,100\nA1,Y,9,100\nA2,X,5,100\n"
                 "P1,X,-30,100\nL1,X,15,100\nP2,Y,-10,111\nL2,Y,1,100\n",
                 100);
}

/* ---- the answers ---------------------------------------------------------- */

static const uint8_t *in_start, *in_p, *in_end;
static void *frames[64];
static size_t nframes, calls;

static void stopped(eval_response *rs, const char *why) {
  memset(rs, 0, sizeof *rs);
  rs->status = EVAL_PROTOCOL;
  snprintf(rs->message, sizeof rs->message, "%s", why);
}

/* The request as the evaluator would read it: well formed. */
static void check_request(const eval_request *rq) {
  codec_buf b = {0};
  evalproto_encode_request(&b, rq);
  if (b.oom) fz_die("encoding the request ran out of memory");
  char *copy = fz_copy(b.p, b.len);
  static eval_market mk[256];
  eval_request back;
  if (evalproto_decode_request(copy, b.len, &back, mk, 256))
    fz_die("the host sent a request the evaluator cannot decode (call %zu, fn %d)", calls, rq->fn);
  if (back.fn != rq->fn || back.c.n != rq->c.n || back.nmarkets != rq->nmarkets)
    fz_die("the request decoded differs from the one sent (call %zu)", calls);
  free(copy);
  codec_buf_free(&b);
}

static void answer(const eval_request *rq, eval_response *rs) {
  calls++;
  check_request(rq);
  uint64_t n;
  if (in_end - in_p < 8) return stopped(rs, "the evaluator stopped answering (exit 0)");
  memcpy(&n, in_p, 8);
  in_p += 8;
  if (n > EVAL_MESSAGE_MAX || n > (uint64_t)(in_end - in_p))
    return stopped(rs, "the evaluator stopped answering (exit 0)");
  if (nframes == sizeof frames / sizeof frames[0]) fz_die("more than %zu policy calls for one input", nframes);
  void *f = frames[nframes++] = fz_copy(in_p, (size_t)n);
  in_p += n;
  if (evalproto_decode_response(f, (size_t)n, rs)) return stopped(rs, "the evaluator's answer is malformed");
  /* evaluator_call gives the host rs->actions to free: a block of its own */
  rs->actions = rs->nactions ? (const eval_action *)fz_copy(rs->actions, rs->nactions * sizeof *rs->actions) : NULL;
}

static void rewind_answers(void) {
  in_p = in_start;
  for (size_t k = 0; k < nframes; k++) free(frames[k]);
  nframes = calls = 0;
}

/* ---- the runs ---------------------------------------------------------------- */

static void hook(void) { fz_led->ev->native = answer; }


/* The decisions of a run, each as sorted JSON without its sequence and
 * timing, "dry-run" said as "applied", one per line. */
typedef struct outcome {
  int rc;
  size_t calls;
  char *text;
  size_t len;
} outcome;

static void add_result(outcome *out, const socloss_resolution *r) {
  char *text = socloss_resolution_json(r);
  if (!text) fz_die("resolution_json: out of memory");
  json_error_t err;
  json_t *o = json_loads(text, 0, &err);
  if (!o) fz_die("resolution_json is not JSON (%s): %s", err.text, text);
  free(text);
  json_object_del(o, "seq");
  json_object_del(o, "policy_us");
  const char *st = json_string_value(json_object_get(o, "status"));
  if (!st) fz_die("a result without a status");
  if (!strcmp(st, "dry-run")) json_object_set_new(o, "status", json_string("applied"));
  text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
  json_decref(o);
  if (!text) fz_die("json_dumps: out of memory");
  size_t n = strlen(text);
  char *grown = realloc(out->text, out->len + n + 2);
  if (!grown) fz_die("out of memory");
  out->text = grown;
  memcpy(out->text + out->len, text, n);
  out->len += n;
  out->text[out->len++] = '\n';
  out->text[out->len] = 0;
  free(text);
}

static int each_result(void *ud, const socloss_resolution *r) {
  add_result(ud, r);
  return 0;
}

/* One run of the scenario; its code, the policy calls it made, its results. */
static outcome run(int scenario, int dry_run) {
  outcome out = {0, 0, NULL, 0};
  if (scenario == 0) {
    socloss_resolve_options o;
    socloss_resolve_options_init(&o);
    o.id = "fz";
    o.policy = POLICY;
    o.policy_len = strlen(POLICY);
    o.dry_run = dry_run;
    const socloss_resolution *res = NULL;
    out.rc = socloss_resolve(fz_led, "A1", &o, &res);
    if (res) add_result(&out, res);
    if (out.rc == SOCLOSS_OK && (!res || strcmp(res->status, dry_run ? "dry-run" : "applied")))
      fz_die("resolved, with status '%s'", res ? res->status : "(none)");
    if (out.rc != SOCLOSS_OK && res && strcmp(res->status, "failed"))
      fz_die("refused (%s) with status '%s'", socloss_errname(out.rc), res->status);
  } else {
    socloss_event_options o;
    socloss_event_options_init(&o);
    o.id = "fz";
    o.joint = scenario == 2;
    o.policy = POLICY;
    o.policy_len = strlen(POLICY);
    o.dry_run = dry_run;
    o.each = each_result;
    o.ud = &out;
    socloss_event_summary sum;
    memset(&sum, 0, sizeof sum);
    sum.size = sizeof sum;
    out.rc = socloss_resolve_event(fz_led, &o, &sum);
    if (out.rc == SOCLOSS_OK && (sum.bankrupt != 2 || sum.resolved != 2 || sum.failed))
      fz_die("an event resolved with %zu bankrupt, %zu resolved, %zu failed", sum.bankrupt, sum.resolved, sum.failed);
  }
  out.calls = calls;
  return out;
}

/* Something was decided: a resolution, or a deficit of an event. */
static int decided(const outcome *o) {
  return o->rc == SOCLOSS_OK || (o->text && strstr(o->text, "\"status\":\"applied\""));
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  fz_setup("eval_answer", build);
  hook();
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  int scenario = data[0] % 3;
  in_start = data + 1;
  in_end = data + size;
  rewind_answers();
  outcome dry = run(scenario, 1);
  fz_refusal_ok(fz_led, dry.rc, scenario ? "dry run of an event" : "dry run");
  fz_unchanged("a dry run");
  if (decided(&dry)) {
    fz_say("  decided: %s", dry.text ? dry.text : "");
    rewind_answers();
    outcome real = run(scenario, 0);
    if (real.rc != dry.rc)
      fz_die("the dry run ended %s, the real run %s: %s", socloss_errname(dry.rc), socloss_errname(real.rc),
             socloss_errmsg(fz_led));
    if (real.calls != dry.calls) fz_die("the dry run made %zu policy calls, the real run %zu", dry.calls, real.calls);
    if (!dry.text || !real.text || strcmp(dry.text, real.text))
      fz_die("the real run decided otherwise than the dry run:\n  dry:\n%s  real:\n%s", dry.text ? dry.text : "",
             real.text ? real.text : "");
    fz_check(fz_led, "resolve");
    free(real.text);
    fz_reset();
    hook();
  }
  free(dry.text);
  rewind_answers();
  return 0;
}
