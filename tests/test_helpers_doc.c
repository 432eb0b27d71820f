/*
 * docs/helpers.md is exact: every example line of its `lua` blocks that
 * starts with `sl.` (or `#sl.`) and holds `-->` runs here, in the real
 * evaluator, in a haircut step over the context the page describes, and
 * must give exactly what follows the arrow: a column as {…}, an integer,
 * nil, an action list, `error: TEXT` (the raised message without its
 * location) or `log: TEXT` (the entry the call logged).  The value is read
 * back through socloss.log, the same formatting a policy writer sees.
 */
#include <stdio.h>

#include "evalproto.h"
#include "policy.h"
#include "util.h"

/* The page's context: bob, carol, zed with equity 1000, 50, -5; one
 * market BTC where the bankrupt account is 10 lots long and d = 100. */
static const char IDS[] = "bobcarolzed";
static const uint32_t OFF[4] = {0, 3, 8, 11};
static const int64_t BAL[3] = {1000, 50, -5}, EQ[3] = {1000, 50, -5}, ZERO[3] = {0, 0, 0};
static const int64_t SIZE[3] = {-4, -6, -2}, COST[3] = {-400, -600, -200};
static const eval_market MK[1] = {{"BTC", 10, 1000, 80, 70, 100}};

static eval_request request(const char *source) {
  eval_request rq;
  memset(&rq, 0, sizeof rq);
  rq.fn = EVAL_FN_HAIRCUT;
  rq.limits = (eval_limits){10000000u, 64u << 20, 5000u};
  rq.source = source;
  rq.source_len = strlen(source);
  rq.deficit_id = "doc-1";
  rq.deficit_id_len = 5;
  strcpy(rq.account, "a");
  rq.equity = -200;
  rq.shortfall = 100;
  rq.nmarkets = 1;
  rq.markets = MK;
  rq.c = (eval_columns){3, 3, IDS, OFF, BAL, EQ, ZERO, ZERO, SIZE, COST, ZERO};
  return rq;
}

/* "policy:12: text" -> "text" */
static const char *unlocated(const char *s) {
  if (strncmp(s, "policy:", 7)) return s;
  const char *p = s + 7;
  while (*p >= '0' && *p <= '9') p++;
  return p[0] == ':' && p[1] == ' ' ? p + 2 : s;
}

/* What the example gives, in the page's notation, into got. */
static void run_example(evaluator *ev, const char *expr, char *got, size_t cap) {
  char src[2048];
  snprintf(src, sizeof src,
           "local sl = socloss\n"
           "return {name = 'doc', haircut = function(ctx)\n"
           "  local ok, v = pcall(function()\n"
           "    local r = %s\n"
           "    return r\n"
           "  end)\n"
           "  if ok then socloss.log('=>', v) else socloss.log('=> error:', v) end\n"
           "end}",
           expr);
  eval_request rq = request(src);
  eval_response rs;
  void *buf = NULL;
  evaluator_call(ev, &rq, &rs, &buf, NULL);
  if (rs.status != EVAL_OK) {
    snprintf(got, cap, "(the call failed: %s)", rs.message);
    free(buf);
    return;
  }
  /* the last entry is the value; one before it, what the example logged */
  char *log = rs.log, *last = strstr(log, "=> ");
  while (last && strstr(last + 1, "\n=> ")) last = strstr(last + 1, "\n=> ") + 1;
  if (!last) {
    snprintf(got, cap, "(no value: %s)", log);
  } else if (last != log) {
    *strchr(log, '\n') = 0;
    snprintf(got, cap, "log: %s", log);
  } else {
    char *v = last + 3;
    v[strcspn(v, "\n")] = 0;
    if (!strncmp(v, "error: ", 7)) snprintf(got, cap, "error: %s", unlocated(v + 7));
    else if (!strncmp(v, "column{", 7)) snprintf(got, cap, "%s", v + 6);
    else snprintf(got, cap, "%s", v);
  }
  free(buf);
}

int main(void) {
  char path[512], line[1024];
  snprintf(path, sizeof path, "%s/docs/helpers.md", SOCLOSS_SOURCE_DIR);
  FILE *f = fopen(path, "r");
  ok(f != NULL, "docs/helpers.md is there");
  if (!f) return done_testing();
  evaluator ev;
  evaluator_init(&ev, SOCLOSS_BINARY_DIR "/socloss-eval");
  int in_lua = 0, n = 0, lineno = 0;
  char helpers[64][32];
  int nhelpers = 0;
  while (fgets(line, sizeof line, f)) {
    lineno++;
    line[strcspn(line, "\n")] = 0;
    if (!strncmp(line, "```", 3)) {
      in_lua = !in_lua && !strcmp(line, "```lua");
      continue;
    }
    const char *arrow = strstr(line, "-->");
    const char *start = line + strspn(line, " ");
    if (!in_lua || !arrow || (strncmp(start, "sl.", 3) && strncmp(start, "#sl.", 4))) continue;
    char expr[1024], want[1024], got[8192];
    size_t elen = (size_t)(arrow - start);
    while (elen && start[elen - 1] == ' ') elen--;
    snprintf(expr, sizeof expr, "%.*s", (int)elen, start);
    const char *w = arrow + 3;
    if (*w == ' ') w++;
    snprintf(want, sizeof want, "%s", w);
    if (!strcmp(want, "log:")) strcpy(want, "log: ");  /* an empty entry: the page keeps no trailing space */
    run_example(&ev, expr, got, sizeof got);
    is_str(got, want, "helpers.md:%d: %s", lineno, expr);
    n++;
    /* which helpers the examples reach: sl.NAME( */
    const char *h = strstr(start, "sl.") + 3;
    size_t hl = strcspn(h, "(");
    int seen = 0;
    for (int k = 0; k < nhelpers; k++) seen |= strlen(helpers[k]) == hl && !strncmp(helpers[k], h, hl);
    if (!seen && nhelpers < 64 && hl < 32) snprintf(helpers[nhelpers++], 32, "%.*s", (int)hl, h);
  }
  fclose(f);
  evaluator_stop(&ev);
  ok(n >= 100, "the page holds at least 100 tested examples (%d)", n);
  /* every helper of the socloss table (evaluator/lhelpers.c) has one */
  static const char *const all[] = {"column", "add", "sub", "mul", "min", "max", "abs", "muldiv", "sum", "select",
                                    "pro_rata", "waterfill", "order", "brackets", "adl_score", "haircuts", "deleverage",
                                    "find", "log"};
  for (size_t k = 0; k < sizeof all / sizeof *all; k++) {
    int seen = 0;
    for (int j = 0; j < nhelpers; j++) seen |= !strcmp(helpers[j], all[k]);
    ok(seen, "socloss.%s has a tested example", all[k]);
  }
  return done_testing();
}
