/*
 * What a policy sees and says, across the wire: the request's new fields
 * (each market's deficit share d, the fund's draw cap, the event and its two
 * columns) and the answer's close share survive encode -> decode exactly;
 * the real evaluator shows them in ctx (and makes a lone deficit an event of
 * one); it refuses a share outside 0..10000 naming the action; every
 * account but the bankrupt one is a candidate, positions or not; and every
 * answer names the interpreter: Lua's release and the build id, the SHA-256
 * of socloss-eval itself.  The evaluator's way of writing an answer (the
 * actions from where they are) sends the encoder's bytes.
 */
#include <dirent.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <unistd.h>

#include "evalproto.h"
#include "policy.h"
#include "util.h"

/* Three candidates over two markets; per-market columns with a stride of 4,
 * so the encoder's repacking to a stride of n is exercised too. */
static const char IDS[] = "bobcarolzed";
static const uint32_t OFF[4] = {0, 3, 8, 11};
static const int64_t BAL[3] = {1000, -900, 0}, EQ[3] = {1400, 100, 0}, UT[3] = {400, 1000, 0},
                     PROFIT[3] = {700, 1000, 0}, PROFIT0[3] = {900, 1200, 5}, CHARGED[3] = {40, 0, 3};
static const int64_t SIZE[8] = {-10, -5, 0, 99, 2, 0, 0, 99}, COST[8] = {-1800, -900, 0, 99, 20, 0, 0, 99},
                     UPNL[8] = {1000, 500, 0, 99, -300, 0, 0, 99};
static const eval_market MK[2] = {{"BTC", 25, 2500, 80, 140, 1500}, {"ETH", -3, -30, 9, 5, 12}};

static eval_request request(int fn, const char *source, int with_event) {
  eval_request rq;
  memset(&rq, 0, sizeof rq);
  rq.fn = fn;
  rq.limits = (eval_limits){1000000u, 64u << 20, 2000u};
  rq.source = source;
  rq.source_len = strlen(source);
  rq.params = "{\"x\":1}";
  rq.params_len = 7;
  rq.deficit_id = "d-1";
  rq.deficit_id_len = 3;
  strcpy(rq.account, "a");
  rq.equity = -1500;
  rq.shortfall = 450;
  rq.fund_cash = 700;
  rq.fund_max_draw = 20;
  rq.nmarkets = 2;
  rq.markets = MK;
  rq.c = (eval_columns){3, 4, IDS, OFF, BAL, EQ, UT, PROFIT, SIZE, COST, UPNL};
  if (with_event) rq.event = (eval_event){"crash-7", 7, PROFIT0, CHARGED};
  return rq;
}

static int same_column(const int64_t *a, const int64_t *b, size_t n) { return a && b && !memcmp(a, b, n * 8); }

static void request_round_trip(void) {
  eval_request rq = request(EVAL_FN_HAIRCUT, "return 1", 1), got;
  eval_market mk[4];
  codec_buf b = {0};
  evalproto_encode_request(&b, &rq);
  ok(!b.oom && evalproto_decode_request(b.p, b.len, &got, mk, 4) == 0, "a request with an event decodes");
  ok(got.fn == EVAL_FN_HAIRCUT && got.limits.instructions == 1000000u && got.limits.memory == 64u << 20 &&
         got.limits.wall_ms == 2000u,
     "fn and limits");
  ok(got.source_len == 8 && !memcmp(got.source, "return 1", 8) && got.params_len == 7 &&
         !memcmp(got.params, "{\"x\":1}", 7) && got.deficit_id_len == 3 && !memcmp(got.deficit_id, "d-1", 3) &&
         !strcmp(got.account, "a"),
     "source, params, deficit id, account");
  ok(got.equity == -1500 && got.shortfall == 450 && got.fund_cash == 700, "equity, shortfall, fund cash");
  is(got.fund_max_draw, 20, "fund_max_draw");
  is(got.nmarkets, 2, "two markets");
  for (int m = 0; m < 2; m++)
    ok(!strcmp(mk[m].market, MK[m].market) && mk[m].size == MK[m].size && mk[m].cost == MK[m].cost &&
           mk[m].mark == MK[m].mark && mk[m].bankruptcy_price == MK[m].bankruptcy_price,
       "market %d: id, size, cost, mark, bankruptcy price", m + 1);
  ok(mk[0].deficit == 1500 && mk[1].deficit == 12, "each market's deficit share: 1500 and 12");
  ok(got.c.n == 3 && got.c.off[3] == 11 && !memcmp(got.c.ids, IDS, 11) && !memcmp(got.c.off, OFF, sizeof OFF),
     "candidate ids");
  ok(same_column(got.c.balance, BAL, 3) && same_column(got.c.equity, EQ, 3) && same_column(got.c.upnl_total, UT, 3),
     "balance, equity, upnl_total");
  ok(same_column(got.c.profit, PROFIT, 3), "the gross profit column");
  is(got.c.stride, 3, "per-market columns arrive packed at stride n");
  ok(same_column(got.c.size, SIZE, 3) && same_column(got.c.size + 3, SIZE + 4, 3) &&
         same_column(got.c.cost, COST, 3) && same_column(got.c.cost + 3, COST + 4, 3) &&
         same_column(got.c.upnl, UPNL, 3) && same_column(got.c.upnl + 3, UPNL + 4, 3),
     "size, cost, upnl of both markets");
  ok(got.event.id_len == 7 && !memcmp(got.event.id, "crash-7", 7), "the event id");
  ok(same_column(got.event.profit0, PROFIT0, 3) && same_column(got.event.charged, CHARGED, 3),
     "the event's profit0 and charged columns");
  ok(evalproto_decode_request(b.p, b.len - 1, &got, mk, 4) == -1, "one byte short is refused");
  ok(evalproto_decode_request(b.p, b.len, &got, mk, 1) == -1, "more markets than the decoder holds is refused");
  codec_buf_free(&b);

  /* no event: nothing but an empty id and a flags byte of 0 */
  rq = request(EVAL_FN_HAIRCUT, "return 1", 0);
  evalproto_encode_request(&b, &rq);
  ok(evalproto_decode_request(b.p, b.len, &got, mk, 4) == 0 && !got.event.id && got.event.id_len == 0 &&
         !got.event.profit0 && !got.event.charged,
     "without an event: no id, no columns");
  unsigned char *flags = b.p + b.len - 1;
  *flags = 4;
  ok(evalproto_decode_request(b.p, b.len, &got, mk, 4) == -1, "an unknown event flag is refused");
  codec_buf_free(&b);

  /* one column alone */
  rq.event.charged = CHARGED;
  evalproto_encode_request(&b, &rq);
  ok(evalproto_decode_request(b.p, b.len, &got, mk, 4) == 0 && !got.event.profit0 &&
         same_column(got.event.charged, CHARGED, 3),
     "charged alone");
  codec_buf_free(&b);
}

static void response_round_trip(void) {
  eval_action acts[3] = {{.index = 2, .market = 1, .value = 7, .share = 6667},
                         {.index = 0, .market = 0, .value = 3, .share = EVAL_SHARE_FULL},
                         {.index = 1, .market = 0, .value = 5, .share = 0}};
  eval_response rs, got;
  memset(&rs, 0, sizeof rs);
  strcpy(rs.name, "adl");
  rs.has_deleverage = 1;
  rs.instructions = 12000;
  rs.nactions = 3;
  rs.actions = acts;
  strcpy(rs.lua_release, "Lua 5.4.4");
  memset(rs.build_id, 'f', 64);
  rs.build_id[3] = '\n';
  codec_buf b = {0};
  evalproto_encode_response(&b, &rs);
  ok(evalproto_decode_response(b.p, b.len, &got) == 0 && got.nactions == 3, "a response with three closes decodes");
  ok(!strcmp(got.lua_release, "Lua 5.4.4") && strlen(got.build_id) == 64 && !strncmp(got.build_id, "fff?fff", 7),
     "the release and the build id at its end, control characters as '?': %s %.8s", got.lua_release, got.build_id);
  ok(evalproto_decode_response(b.p, b.len - 1, &got) != 0, "a response cut short is refused");
  int same = 1;
  for (int k = 0; k < 3; k++)
    same &= got.actions[k].index == acts[k].index && got.actions[k].market == acts[k].market &&
            got.actions[k].value == acts[k].value && got.actions[k].share == acts[k].share;
  ok(same, "index, market, lots and share of each: 6667, 10000, 0");
  ok(got.log_len == 0 && got.log[0] == 0, "no log: an empty one");
  codec_buf_free(&b);

  /* the log comes back tamed: a broken evaluator's control characters and
   * invalid UTF-8 as '?', the newlines between entries kept */
  static const char raw[] = "ok \xc3\xa9\n\x1b[31m\x00\xff\xc2\x9b\r\n";
  memcpy(rs.log, raw, sizeof raw - 1);
  rs.log_len = sizeof raw - 1;
  evalproto_encode_response(&b, &rs);
  ok(evalproto_decode_response(b.p, b.len, &got) == 0, "a response with a log decodes");
  is((int)got.log_len, (int)sizeof raw - 1, "the log's length is kept");
  is_str(got.log, "ok \xc3\xa9\n?[31m?????\n", "printable text and UTF-8 as they were, the rest '?'");
  codec_buf_free(&b);
  memset(rs.log, 'y', EVAL_LOG_MAX);
  rs.log_len = EVAL_LOG_MAX;
  evalproto_encode_response(&b, &rs);
  ok(evalproto_decode_response(b.p, b.len, &got) == 0 && got.log_len == EVAL_LOG_MAX, "a log of EVAL_LOG_MAX bytes decodes");
  codec_buf_free(&b);
  /* one byte more, as a broken evaluator could send it: the encoder caps, so
   * the frame is made by hand: the blob's length is the frame's last u32
   * but the bytes themselves */
  codec_buf_raw(&b, "", 0);
  rs.log_len = 0;
  evalproto_encode_response(&b, &rs);
  b.len -= 4;
  codec_buf_u32(&b, EVAL_LOG_MAX + 1);
  for (int k = 0; k <= EVAL_LOG_MAX; k++) codec_buf_raw(&b, "y", 1);
  ok(evalproto_decode_response(b.p, b.len, &got) != 0, "a log of EVAL_LOG_MAX + 1 bytes is refused");
  codec_buf_free(&b);
}

/* evalproto_write_response (the evaluator's way: the actions written from
 * where they are) sends the bytes of evalproto_encode_response behind the
 * frame's length, for no actions, three, and with data and a log. */
static void response_written_in_parts(void) {
  eval_action acts[3] = {{.index = 2, .market = 1, .value = 7, .share = 6667},
                         {.index = 0, .market = 0, .value = 3, .share = EVAL_SHARE_FULL},
                         {.index = 1, .market = 0, .value = 5, .share = 0}};
  eval_response rs;
  memset(&rs, 0, sizeof rs);
  strcpy(rs.name, "parts");  /* 5 bytes: the head needs padding before the actions */
  strcpy(rs.message, "m");
  strcpy(rs.lua_release, "Lua 5.4.4");
  memset(rs.build_id, 'a', 64);
  for (int k = 0; k < 3; k++) {
    if (k >= 1) rs.nactions = 3, rs.actions = acts, rs.has_haircut = 1;
    if (k == 2) {
      rs.data = "{\"x\":1}";
      rs.data_len = 7;
      memcpy(rs.log, "a log\n", 6);
      rs.log_len = 6;
    }
    codec_buf want = {0};
    evalproto_encode_response(&want, &rs);
    int fd[2];
    if (pipe(fd) != 0) return (void)ok(0, "pipe");
    is(evalproto_write_response(fd[1], &rs), 0, "case %d: written", k);
    close(fd[1]);
    void *got = NULL;
    size_t len = 0;
    is(evalproto_read_frame(fd[0], &got, &len), 0, "case %d: read back as one frame", k);
    close(fd[0]);
    is((int)len, (int)want.len, "case %d: %zu bytes, as encoded", k, want.len);
    ok(got && len == want.len && !memcmp(got, want.p, len), "case %d: the same bytes", k);
    eval_response back;
    ok(got && evalproto_decode_response(got, len, &back) == 0 && back.nactions == rs.nactions &&
           (!rs.nactions || back.actions[0].value == 7),
       "case %d: it decodes, %zu actions", k, rs.nactions);
    free(got);
    codec_buf_free(&want);
  }
}

/* A step that shows what it sees, as the text of an error (level 0: no
 * position prefix). */
static const char *VIEW =
    "return {name = 'view', haircut = function(ctx)\n"
    "  local m, e = ctx.deficit.markets[2], ctx.event\n"
    "  error(string.format('%s d=%d max_draw=%d event=%s profit0=%d,%d,%d charged=%d,%d,%d n=%d',\n"
    "    m.market, m.deficit, ctx.fund.max_draw, e.id, e.profit0[1], e.profit0[2], e.profit0[3],\n"
    "    e.charged[1], e.charged[2], e.charged[3], #e.charged), 0)\n"
    "end}";

static const char *WRITE_CHARGED =
    "return {name = 'w', haircut = function(ctx) ctx.event.charged[1] = 0 end}";

static const char *BIG_BLOCKS =
    "return {name = 'big', haircut = function(ctx)\n"
    "  local t, sum = {}, 0\n"
    "  for i = 1, 140000 do t[i] = i; sum = sum + i end\n"
    "  sum = sum - t[140000] + t[131073] + t[1]\n"
    "  local r = string.rep('x', 1024 * 1024)\n"
    "  local s = r .. r .. r\n"
    "  local c = socloss.column(300000, 7)\n"
    "  error(string.format('sum=%d n=%d len=%d col=%d', sum, #t, #s, socloss.sum(c)), 0)\n"
    "end}";

static void through_the_evaluator(void) {
  evaluator ev;
  evaluator_init(&ev, SOCLOSS_BINARY_DIR "/socloss-eval");
  eval_response rs;
  void *buf;
  eval_request rq = request(EVAL_FN_HAIRCUT, VIEW, 1);
  evaluator_call(&ev, &rq, &rs, &buf, NULL);
  is(rs.status, EVAL_ERROR, "the viewing policy raises its view");
  is_str(rs.message, "ETH d=12 max_draw=20 event=crash-7 profit0=900,1200,5 charged=40,0,3 n=3",
         "ctx.deficit.markets[i].deficit, ctx.fund.max_draw, ctx.event as the host sent them");
  free(buf);
  rq = request(EVAL_FN_HAIRCUT, VIEW, 0);
  evaluator_call(&ev, &rq, &rs, &buf, NULL);
  is_str(rs.message, "ETH d=12 max_draw=20 event=d-1 profit0=700,1000,0 charged=0,0,0 n=3",
         "no event: the deficit id, today's gross profit, zeros");
  free(buf);
  /* blocks across the 2 MiB line (blocks.h): a table's array part grows
   * by doubling from malloc's into a mapping of its own (131,072 slots of
   * 16 bytes), then mapping to mapping (262,144); a string of 3 MiB and a
   * column of 300,000 rows are mappings from the start */
  rq = request(EVAL_FN_HAIRCUT, BIG_BLOCKS, 0);
  evaluator_call(&ev, &rq, &rs, &buf, NULL);
  /* sum 1..140000 = 140000 x 140001 / 2 = 9800070000, less t[140000],
   * plus t[131073] and t[1] (read back across both moves): 9800070000 -
   * 140000 + 131073 + 1 = 9800061074; the string's length 3 x 2^20 =
   * 3145728; the column's 300000 rows of 7 = 2100000 */
  is_str(rs.message, "sum=9800061074 n=140000 len=3145728 col=2100000",
         "a table of 140,000, a string of 3 MiB and a column of 300,000: values read back");
  free(buf);
  rq = request(EVAL_FN_HAIRCUT, WRITE_CHARGED, 0);
  evaluator_call(&ev, &rq, &rs, &buf, NULL);
  ok(rs.status == EVAL_ERROR && strstr(rs.message, "this column is read-only"), "ctx.event.charged is read-only: %s",
     rs.message);
  free(buf);
  rq = request(EVAL_FN_HAIRCUT, WRITE_CHARGED, 1);
  evaluator_call(&ev, &rq, &rs, &buf, NULL);
  ok(rs.status == EVAL_ERROR && strstr(rs.message, "this column is read-only"), "so is the host's: %s", rs.message);
  free(buf);
  /* the probe answer names the interpreter: the build id is the SHA-256 of
   * the executable, read by the evaluator before its seccomp filter */
  rq = request(EVAL_FN_PROBE, WRITE_CHARGED, 0);
  evaluator_call(&ev, &rq, &rs, &buf, NULL);
  char want[65] = "";
  FILE *f = fopen(SOCLOSS_BINARY_DIR "/socloss-eval", "rb");
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  if (f && md && EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
    unsigned char chunk[65536], d[32];
    size_t n;
    unsigned dl = 32;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) EVP_DigestUpdate(md, chunk, n);
    EVP_DigestFinal_ex(md, d, &dl);
    for (int i = 0; i < 32; i++) snprintf(want + 2 * i, 3, "%02x", d[i]);
  }
  if (f) fclose(f);
  EVP_MD_CTX_free(md);
  is(rs.status, EVAL_OK, "the probe loads the policy");
  is_str(rs.lua_release, "Lua 5.4.4", "the probe answer names Lua's release");
  is_str(rs.build_id, want, "and the build id: the SHA-256 of socloss-eval");
  ok(!strcmp(ev.build_id, want) && !strcmp(ev.lua_release, "Lua 5.4.4"), "the host keeps the last one it was told");
  free(buf);
  evaluator_stop(&ev);
}

/* What one call logs, as the evaluator answers it. */
static void logged_by(evaluator *ev, const char *body, eval_response *rs, void **buf) {
  char src[4096];
  snprintf(src, sizeof src, "return {name = 'log', haircut = function(ctx)\n%s\nend}", body);
  eval_request rq = request(EVAL_FN_HAIRCUT, src, 0);
  evaluator_call(ev, &rq, rs, buf, NULL);
}

/* socloss.log: values formatted by their type, strings escaped, a budget
 * per call with the cut marked, never a metamethod, kept when the call
 * fails. */
static void logging(void) {
  evaluator ev;
  evaluator_init(&ev, SOCLOSS_BINARY_DIR "/socloss-eval");
  eval_response rs;
  void *buf;
  logged_by(&ev,
            "socloss.log('n', 42, -7, math.mininteger, 1.5, 1.0, 0.1, 2^63, 1e300 * 1e300, -1e300 * 1e300, "
            "0.0 / 0.0, -0.0, true, false, nil, {}, print, socloss.log)\n"
            "socloss.log()\n"
            "socloss.log(ctx.balance, ctx.account, socloss.column(2, 0.5), socloss.column(0))\n"
            "socloss.log(socloss.haircuts({1, 0, 2}))\n"
            "return {}",
            &rs, &buf);
  is(rs.status, EVAL_OK, "a logging policy decides: %s", rs.message);
  /* 0.1 is 0.1000000000000000055511151231257827 exactly: 17 digits show it;
   * an integral float keeps ".0", as Lua shows it; NaN is "nan" whatever
   * its sign bit; print is absent: nil */
  is_str(rs.log,
         "n 42 -7 -9223372036854775808 1.5 1.0 0.10000000000000001 9.2233720368547758e+18 inf -inf nan -0.0 "
         "true false nil table nil function\n"
         "\n"
         "column{1000, -900, 0} column{bob, carol, zed} column{0.5, 0.5} column{}\n"
         "actions{bob 1, zed 2}\n",
         "numbers exactly, other values by type, one entry a call");
  is((int)rs.log_len, (int)strlen(rs.log), "log_len is its length");
  free(buf);

  logged_by(&ev,
            "socloss.log('back\\\\slash', 'two\\nlines\\ttab\\rcr', '\\27[31mred\\27[0m', 'nul\\0byte', "
            "'caf\\195\\169', 'bad\\255\\192', 'c1\\194\\155', 'bidi\\226\\128\\174', "
            "'ls\\226\\128\\168')",
            &rs, &buf);
  is_str(rs.log,
         "back\\\\slash two\\nlines\\ttab\\rcr \\x1b[31mred\\x1b[0m nul\\x00byte caf\xc3\xa9 bad\\xff\\xc0 "
         "c1\\xc2\\x9b bidi\\xe2\\x80\\xae ls\\xe2\\x80\\xa8\n",
         "strings: a backslash doubled, control characters, invalid UTF-8, C1, bidi overrides and separators "
         "escaped, UTF-8 text as it is");
  free(buf);

  /* the budget: 40 entries of 101 bytes are 4040; the 41st is cut after 55
   * x (4040 + 55 + its newline = 4096), then the marker; the rest dropped */
  logged_by(&ev, "for i = 1, 10000 do socloss.log(string.rep('x', 100)) end return {}", &rs, &buf);
  char want[EVAL_LOG_MAX + 1] = "";
  for (int k = 0; k < 40; k++) strcat(strcat(want, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"), "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n");
  strcat(want, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n" EVAL_LOG_CUT);
  ok(rs.status == EVAL_OK && !strcmp(rs.log, want), "10,000 entries: 4,096 bytes kept, the cut marked once (%zu bytes)",
     rs.log_len);
  is((int)rs.log_len, 4096 + 50, "4,096 bytes and the 50 of the marker");
  free(buf);

  /* an escape is never cut in two: 4095 bytes, then "\n" (2) does not fit */
  logged_by(&ev, "socloss.log(string.rep('z', 4094)) socloss.log('\\n') return {}", &rs, &buf);
  ok(rs.log_len == 4095 + 1 + 50 && !strcmp(rs.log + 4095, "\n" EVAL_LOG_CUT),
     "an entry that cannot hold its first unit is an empty line, then the marker");
  free(buf);

  /* a huge string or column is read only as far as it is shown: 200 logs of
   * a megabyte and of 2^22 elements, well within the instruction budget */
  logged_by(&ev,
            "local s, c = string.rep('y', 1 << 20), socloss.column(1 << 22, 7)\n"
            "for i = 1, 200 do socloss.log(s, c) end return {}",
            &rs, &buf);
  ok(rs.status == EVAL_OK && rs.log_len == 4096 + 50 && !strncmp(rs.log, "yyyy", 4) && strstr(rs.log, EVAL_LOG_CUT),
     "megabyte strings and 2^22-element columns: cut at the budget (%s)", rs.status ? rs.message : "ok");
  free(buf);

  /* no metamethod runs: a table's __tostring field is just a field (a
   * policy has no setmetatable), and a log inside one is never reached */
  logged_by(&ev,
            "local t = {} t.__tostring = function() socloss.log('inner') return 'x' end\n"
            "socloss.log(t, tostring(t)) return {}",
            &rs, &buf);
  is_str(rs.log, "table table\n", "a table is 'table', its __tostring never called");
  free(buf);

  /* a failing call keeps what it logged before its error */
  logged_by(&ev, "socloss.log('before', ctx.deficit.shortfall) error('boom')", &rs, &buf);
  ok(rs.status == EVAL_ERROR && !strcmp(rs.log, "before 450\n"), "an error keeps the log before it: %s / %s",
     rs.message, rs.log);
  free(buf);
  evaluator_stop(&ev);
}

/* A policy whose haircut function holds n float constants (a table of n
 * distinct ones) and whose main chunk holds extra more besides its three
 * ("name", "k", "haircut"). */
static char *constants_policy(int n, int extra) {
  codec_buf b = {0};
  char num[32];
  const char *head = "local m = {";
  codec_buf_raw(&b, head, strlen(head));
  for (int i = 0; i < extra; i++) codec_buf_raw(&b, num, (size_t)snprintf(num, sizeof num, "%d.25,", i));
  head = "}\nreturn {name = 'k', haircut = function()\n  local t = {";
  codec_buf_raw(&b, head, strlen(head));
  for (int i = 0; i < n; i++) codec_buf_raw(&b, num, (size_t)snprintf(num, sizeof num, "%d.5,", i));
  codec_buf_raw(&b, "} end}", 7);
  return (char *)b.p;
}

/* Lua 5.4.4 miscompiles code in a function of more than 256 constants: one
 * of more than 255 is refused at load, counted from the compiled chunk. */
static void constants_limit(void) {
  evaluator ev;
  evaluator_init(&ev, SOCLOSS_BINARY_DIR "/socloss-eval");
  static const struct {
    int n, extra, status;
    const char *message;
  } cases[] = {
      {255, 0, EVAL_OK, ""},
      {256, 0, EVAL_LOAD,
       "policy:2: a function with 256 constants (distinct literals and names), more than 255: Lua 5.4.4 can "
       "miscompile it"},
      {0, 252, EVAL_OK, ""},
      {0, 253, EVAL_LOAD,
       "policy: the main chunk has 256 constants (distinct literals and names), more than 255: Lua 5.4.4 can "
       "miscompile it"},
  };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    char *src = constants_policy(cases[k].n, cases[k].extra);
    eval_request rq = request(EVAL_FN_PROBE, src, 0);
    eval_response rs;
    void *buf;
    evaluator_call(&ev, &rq, &rs, &buf, NULL);
    ok(rs.status == cases[k].status && !strcmp(rs.message, cases[k].message),
       "%d constants in the haircut, %d + 3 in the main chunk: %s", cases[k].n, cases[k].extra,
       rs.status == EVAL_OK ? "loads" : rs.message);
    free(buf);
    free(src);
  }
  evaluator_stop(&ev);
}

/* a 10 long at 100, mark 80, balance -1000: equity -1200; b 10 short at
 * 100 (equity 5200); c a depositor with no position. */
static const char *M = "market,mark_price\nBTC,80\n", *A = "account,balance\na,-1000\nb,5000\nc,300\n",
                  *P = "account,market,size,entry_price\na,BTC,10,100\nb,BTC,-10,100\n";

static socloss *ledger(char dir[64]) {
  socloss *led = new_ledger(dir, 0);
  socloss_source m = src_of("m", M), a = src_of("a", A), p = src_of("p", P);
  if (socloss_import_csv(led, &m, &a, &p, NULL)) diag("import: %s", socloss_errmsg(led));
  return led;
}

static int resolve(socloss *led, const char *policy, const socloss_resolution **r) {
  socloss_resolve_options ro;
  socloss_resolve_options_init(&ro);
  ro.policy = policy;
  ro.policy_len = strlen(policy);
  ro.dry_run = 1;
  return socloss_resolve(led, "a", &ro, r);
}

/* The failure text of a close with this share field (Lua source). */
static void share_refused(socloss *led, const char *actions, const char *want) {
  char src[512], msg[600];
  snprintf(src, sizeof src, "return {name = 's', deleverage = function(ctx) return %s end}", actions);
  const socloss_resolution *r;
  is(resolve(led, src, &r), SOCLOSS_EPOLICY, "refused: %s", actions);
  snprintf(msg, sizeof msg, "policy 's' (%.12s) returned an invalid result in deleverage: %s", r->policy_hash, want);
  is_str(socloss_errmsg(led), msg, "with its message");
}

static void shares_and_candidates(void) {
  char dir[64];
  socloss *led = ledger(dir);
  share_refused(led, "{{account = 'b', market = 'BTC', size = 1, share = 10001}}",
                "deleverage action 1: share 10001 is out of 0..10000 (basis points)");
  share_refused(led,
                "{{account = 'b', market = 'BTC', size = 1}, "
                "{account = 'b', market = 'BTC', size = 1, share = -1}}",
                "deleverage action 2: share -1 is out of 0..10000 (basis points)");
  share_refused(led, "{{account = 'b', market = 'BTC', size = 1, share = 1.5}}",
                "deleverage action 1: share is a float (1.5), not an integer");
  share_refused(led, "{{account = 'b', market = 'BTC', size = 1, share = '5000'}}",
                "deleverage action 1: share is a string, not an integer");
  const socloss_resolution *r;
  const char *half = "return {name = 'h', deleverage = function(ctx) "
                     "return {{account = 'b', market = 'BTC', size = 4, share = 5000}} end}";
  is(resolve(led, half, &r), SOCLOSS_OK, "a share of 5000 is accepted");
  ok(r->ndeleveraged == 1 && r->deleveraged[0].size == 4, "the close of 4 lots is made");

  /* c holds no position and is a candidate all the same */
  const char *depositor = "return {name = 'dep', haircut = function(ctx)\n"
                          "  if ctx.n ~= 2 or ctx.account[2] ~= 'c' or ctx.size.BTC[2] ~= 0 then error('view') end\n"
                          "  return {{account = 'c', amount = 300}} end}";
  is(resolve(led, depositor, &r), SOCLOSS_OK, "a depositor can be charged: %s", socloss_errmsg(led));
  ok(r->nhaircuts == 1 && !strcmp(r->haircuts[0].account, "c") && r->haircuts[0].amount == 300 && r->bad_debt == 900,
     "c pays 300 of the 1200, 900 is bad debt");
  const char *unknown = "return {name = 'u', haircut = function(ctx) return {{account = 'zz', amount = 1}} end}";
  is(resolve(led, unknown, &r), SOCLOSS_EPOLICY, "an account that does not exist");
  ok(strstr(socloss_errmsg(led), "haircut action 1: unknown account 'zz' (no such account)") != NULL, "%s",
     socloss_errmsg(led));
  ok(invariants_hold(led), "invariants");
  drop_ledger(led, dir);
}

/* The fuzz_eval_answer seeds (tests/fuzz/seeds_eval_answer.pl) are frames
 * of this wire format: each must still decode, but for the seeds written to
 * break it, or libFuzzer starts from answers the host refuses at the first
 * byte (they went stale once, when the answer grew the evaluator's name, and
 * the harness's coverage fell from 1,395 edges to 417). */
static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void fuzz_seeds_decode(void) {
  char dir[512], path[1024], broken[512] = "";
  snprintf(dir, sizeof dir, "%s/tests/fuzz/corpus/eval_answer", SOCLOSS_SOURCE_DIR);
  DIR *d = opendir(dir);
  ok(d != NULL, "the eval_answer seed corpus is there");
  if (!d) return;
  char *names[128];
  size_t n = 0, frames = 0;
  for (struct dirent *e; (e = readdir(d)) && n < 128;)
    if (e->d_name[0] != '.') names[n++] = strdup(e->d_name);
  closedir(d);
  qsort(names, n, sizeof *names, by_name);
  static unsigned char buf[1 << 16];
  for (size_t k = 0; k < n; k++) {
    snprintf(path, sizeof path, "%s/%s", dir, names[k]);
    FILE *f = fopen(path, "rb");
    size_t len = f ? fread(buf, 1, sizeof buf, f) : 0, at = 1, bad = 0;
    if (f) fclose(f);
    while (at + 8 <= len) {  /* byte 0 is the scenario; then length, frame */
      uint64_t flen;
      memcpy(&flen, buf + at, 8);
      at += 8;
      eval_response rs;
      if (flen > len - at || evalproto_decode_response(buf + at, (size_t)flen, &rs)) bad++;
      else frames++;
      at += flen > len - at ? len - at : (size_t)flen;
    }
    if (bad || at != len) snprintf(broken + strlen(broken), sizeof broken - strlen(broken), " %s", names[k]);
    free(names[k]);
  }
  is((int)n, 66, "66 seeds");
  /* 138 frames fit in their files; bad_magic's, trailing_byte's, the second
   * of actions_count_lies and of log_over_max do not decode: 138 - 4 */
  is((int)frames, 134, "134 of their frames decode");
  is_str(broken,
         " actions_count_lies bad_magic length_over_max log_over_max trailing_byte truncated_frame truncated_length",
         "the seven seeds written to break the format are the only ones that do not decode");
}

int main(void) {
  fuzz_seeds_decode();
  request_round_trip();
  response_round_trip();
  response_written_in_parts();
  through_the_evaluator();
  logging();
  constants_limit();
  shares_and_candidates();
  return done_testing();
}
