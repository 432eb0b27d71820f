/*
 * fuzz_eval_answer — whatever the evaluator answers, through the host's
 * decoding, validation and ledger writes.
 *
 * The input is what an evaluator would write on its socket: frames, each an
 * 8-byte length (native order, as evalproto_write_frame sends it) and that
 * many bytes, the first answering the load check (name, which steps the
 * policy has), the next ones the deleverage and haircut calls, in the order
 * the host makes them.  An input that ends early is an evaluator that
 * stopped answering.
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
 *   A1 0, X 10 @ 100, Y 9 @ 100 (equity -461: bankrupt, the deficit)
 *   candidates in id order: D 500 (no position), L1 10000 X 20 @ 100,
 *   L2 10000 Y 1 @ 100, P1 1000 X -30 @ 100, P2 1000 Y -10 @ 111
 *
 * Each input resolves A1 as a dry run first: it must leave the ledger as it
 * was, and a refusal must say why in a message safe to show.  When the dry
 * run decides, the same answers are given to a real resolution, which must
 * decide the same (status aside) and leave a ledger that `socloss check`
 * passes; the base is then made again.
 */
#include <jansson.h>

#include "fuzz.h"
#include "policy.h"

static const char *POLICY = "native";  /* the source the host hashes; the answers are the input */

static void build(socloss *led) {
  socloss_source m = fz_src("m.csv", "market,mark_price\nX,80\nY,71\n"),
                 a = fz_src("a.csv", "account,balance\nA1,0\nD,500\nL1,10000\nL2,10000\nP1,1000\nP2,1000\n"),
                 p = fz_src("p.csv", "account,market,size,entry_price\nA1,X,10,100\nA1,Y,9,100\nP1,X,-30,100\n"
                                     "L1,X,20,100\nP2,Y,-10,111\nL2,Y,1,100\n");
  fz_must(led, socloss_import_csv(led, &m, &a, &p, NULL), "base import");
  socloss_source f = fz_src("f.jsonl", "{\"type\":\"fund\",\"amount\":100}\n");
  fz_must(led, socloss_apply_jsonl(led, &f, NULL), "base fund");
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
  if (nframes == sizeof frames / sizeof frames[0]) fz_die("more than %zu calls for one deficit", nframes);
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

/* The decision, status, sequence and timing aside, as sorted JSON. */
static char *decision(const socloss_resolution *r) {
  char *text = socloss_resolution_json(r);
  if (!text) fz_die("resolution_json: out of memory");
  json_error_t err;
  json_t *o = json_loads(text, 0, &err);
  if (!o) fz_die("resolution_json is not JSON (%s): %s", err.text, text);
  free(text);
  json_object_del(o, "status");
  json_object_del(o, "seq");
  json_object_del(o, "policy_us");
  text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
  json_decref(o);
  if (!text) fz_die("json_dumps: out of memory");
  return text;
}

static int resolve(int dry_run, const socloss_resolution **res) {
  socloss_resolve_options o;
  socloss_resolve_options_init(&o);
  o.id = "fz";
  o.policy = POLICY;
  o.policy_len = strlen(POLICY);
  o.dry_run = dry_run;
  *res = NULL;
  return socloss_resolve(fz_led, "A1", &o, res);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  fz_setup("eval_answer", build);
  hook();
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  in_start = data;
  in_end = data + size;
  rewind_answers();
  const socloss_resolution *res;
  int rc = resolve(1, &res);
  fz_refusal_ok(fz_led, rc, "dry run");
  fz_unchanged("a dry run");
  if (rc == SOCLOSS_OK) {
    if (!res || strcmp(res->status, "dry-run")) fz_die("dry run: status '%s'", res ? res->status : "(none)");
    char *dry = decision(res);
    fz_say("  decision: %s", dry);
    size_t dry_calls = calls;
    rewind_answers();
    rc = resolve(0, &res);
    if (rc != SOCLOSS_OK) fz_die("the dry run decided, the real run failed: %s", socloss_errmsg(fz_led));
    if (calls != dry_calls) fz_die("the dry run made %zu policy calls, the real run %zu", dry_calls, calls);
    char *real = decision(res);
    if (strcmp(res->status, "applied") || strcmp(dry, real))
      fz_die("the real run (%s) decided otherwise than the dry run:\n  dry:  %s\n  real: %s", res->status, dry, real);
    fz_check(fz_led, "resolve");
    free(dry);
    free(real);
    fz_reset();
    hook();
  } else if (res && strcmp(res->status, "failed")) {
    fz_die("refused (%s) with status '%s'", socloss_errname(rc), res->status);
  }
  rewind_answers();
  return 0;
}
