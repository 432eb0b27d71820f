/*
 * resolve: one deficit, decided by a policy and applied in one transaction;
 * or with --all-bankrupt, every bankrupt account as one crash event.
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum { RESOLVE_ID, RESOLVE_POLICY, RESOLVE_PARAMS, RESOLVE_DRY_RUN, RESOLVE_JSON, RESOLVE_ALL, RESOLVE_EVENT,
       RESOLVE_JOINT };
static const opt resolve_opts[] = {
    [RESOLVE_ID] = {"--id", 1, NULL}, [RESOLVE_POLICY] = {"--policy", 1, NULL},
    [RESOLVE_PARAMS] = {"--params", 1, NULL}, [RESOLVE_DRY_RUN] = {"--dry-run", 0, NULL},
    [RESOLVE_JSON] = {"--json", 0, NULL}, [RESOLVE_ALL] = {"--all-bankrupt", 0, NULL},
    [RESOLVE_EVENT] = {"--event", 1, NULL}, [RESOLVE_JOINT] = {"--joint", 0, NULL}, {NULL, 0, NULL}};

/* What the policy logged (socloss.log), after its decision: one entry a
 * line, each marked, so that no entry can pass for a line of the decision.
 * The library keeps it valid UTF-8 without control characters. */
static void print_log(const char *log) {
  for (const char *p = log ? log : ""; *p;) {
    const char *nl = strchr(p, '\n');
    int n = nl ? (int)(nl - p) : (int)strlen(p);
    printf("  log: %.*s\n", n, p);
    p += n + (nl != NULL);
  }
}

/* Amounts and prices in the ledger's units (plain atoms without). */
static void print_resolution(const cli_units *cu, const socloss_resolution *r) {
  char x[SOCLOSS_TEXT_MAX];
  if (!strcmp(r->status, "failed")) {
    printf("deficit %s: account %s, policy %s (%.12s), failed: nothing applied\n", r->id, r->account,
           r->policy_name, r->policy_hash);
    print_log(r->log);
    return;
  }
  printf("deficit %s: account %s, equity %s, policy %s (%.12s), %s\n", r->id, r->account,
         amount_text(cu, r->equity, x), r->policy_name, r->policy_hash, r->status);
  for (size_t k = 0; k < r->ndeleveraged; k++)
    printf("  deleveraged %s %" PRId64 " lots of %s at %s\n", r->deleveraged[k].account, r->deleveraged[k].size,
           r->deleveraged[k].market, price_text(cu, r->deleveraged[k].market, r->deleveraged[k].price, x));
  for (size_t k = 0; k < r->ntakeovers; k++)
    printf("  fund took over %" PRId64 " lots of %s at %s\n", r->takeovers[k].size, r->takeovers[k].market,
           price_text(cu, r->takeovers[k].market, r->takeovers[k].price, x));
  printf("  fund draw %s\n", amount_text(cu, r->fund_draw, x));
  for (size_t k = 0; k < r->nhaircuts; k++)
    printf("  haircut %s %s\n", r->haircuts[k].account, amount_text(cu, r->haircuts[k].amount, x));
  printf("  bad debt %s\n", amount_text(cu, r->bad_debt, x));
  if (r->failure && *r->failure) printf("  first policy failed: %s\n", r->failure);
  if (r->seq) printf("  journal record %" PRIu64 "\n", r->seq);
  print_log(r->log);
}

int resolve_args(call *c, int argc, char **argv) {
  int rc = parse_args(c, argc, argv, resolve_opts, 1, 2);
  if (rc != RUN) return rc;
  int all = c->value[RESOLVE_ALL] != NULL;
  if (all && c->npos != 1) return usage(c, "--all-bankrupt takes no ACCOUNT");
  if (!all && c->npos != 2) return usage(c, "missing arguments");
  if (all && !c->value[RESOLVE_EVENT]) return usage(c, "--all-bankrupt needs --event ID");
  if (!all && (c->value[RESOLVE_EVENT] || c->value[RESOLVE_JOINT])) return usage(c, "--event and --joint go with --all-bankrupt");
  if (all && c->value[RESOLVE_ID]) return usage(c, "--id names one deficit; an event's are EVENT:ACCOUNT");
  if (!c->value[RESOLVE_POLICY]) return rc;
  return policy_input(c, 0, c->value[RESOLVE_POLICY]);
}

/* The library's JSON of a resolution, with "units" added when the ledger
 * has them (its atoms stay atoms). */
static void print_resolution_json(const cli_units *cu, const socloss_resolution *r) {
  char *json = socloss_resolution_json(r);
  json_t *o = json && cu->u.asset[0] ? json_loads(json, 0, NULL) : NULL;
  if (o) {
    add_units_key(o, cu);
    json_print(o);
    putchar('\n');
  } else if (json) {
    puts(json);
  }
  free(json);
}

typedef struct each_ctx {
  const call *c;
  const cli_units *cu;
} each_ctx;

static int print_each(void *ud, const socloss_resolution *r) {
  const each_ctx *e = ud;
  if (e->c->value[RESOLVE_JSON]) print_resolution_json(e->cu, r);
  else print_resolution(e->cu, r);
  return 0;
}

static int resolve_one(call *c, const cli_units *cu);

/* --all-bankrupt: one event; one result per deficit as it lands, then the
 * totals; exit 1 when some could not be resolved (the rest are applied). */
static int resolve_all(call *c, const cli_units *cu) {
  each_ctx each = {c, cu};
  socloss_event_options eo;
  socloss_event_options_init(&eo);
  eo.id = c->value[RESOLVE_EVENT];
  eo.joint = c->value[RESOLVE_JOINT] != NULL;
  eo.params = c->value[RESOLVE_PARAMS];
  eo.dry_run = c->value[RESOLVE_DRY_RUN] != NULL;
  eo.policy = c->in[0].data;
  eo.policy_len = c->in[0].len;
  eo.each = print_each;
  eo.ud = &each;
  socloss_event_summary sum = {.size = sizeof sum};
  int rc = socloss_resolve_event(c->led, &eo, &sum);
  if (rc == SOCLOSS_OK || rc == SOCLOSS_EPOLICY) {
    const char *mode = eo.joint ? "joint" : "sequential";
    if (c->value[RESOLVE_JSON]) {
      /* through jansson: an id may hold quotes and backslashes */
      json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:b}", "event", eo.id, "mode", mode,
                            "bankrupt", (json_int_t)sum.bankrupt, "resolved", (json_int_t)sum.resolved, "failed",
                            (json_int_t)sum.failed, "deficit", (json_int_t)sum.deficit, "fund_draw",
                            (json_int_t)sum.fund_draw, "charged", (json_int_t)sum.charged, "bad_debt",
                            (json_int_t)sum.bad_debt, "dry_run", eo.dry_run);
      if (o) add_units_key(o, cu);
      char *text = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
      if (text) puts(text);
      free(text);
      json_decref(o);
    }
    else {
      char d[SOCLOSS_TEXT_MAX], f[SOCLOSS_TEXT_MAX], ch[SOCLOSS_TEXT_MAX], b[SOCLOSS_TEXT_MAX];
      printf("event %s (%s%s): %zu bankrupt, %zu resolved, %zu failed; deficit %s, fund draw %s, charged %s, bad "
             "debt %s\n",
             eo.id, mode, eo.dry_run ? ", dry run" : "", sum.bankrupt, sum.resolved, sum.failed,
             amount_text(cu, sum.deficit, d), amount_text(cu, sum.fund_draw, f), amount_text(cu, sum.charged, ch),
             amount_text(cu, sum.bad_debt, b));
    }
  }
  return rc ? refused(c->led, rc) : EXIT_DONE;
}

int cmd_resolve(call *c) {
  if (policy_registered(c, 0) != RUN) return EXIT_REFUSED;  /* --policy NAME of the registry */
  cli_units cu;
  int rc = cli_units_load(c->led, &cu);
  if (rc) return refused(c->led, rc);
  rc = c->value[RESOLVE_ALL] ? resolve_all(c, &cu) : resolve_one(c, &cu);
  cli_units_free(&cu);
  return rc;
}

static int resolve_one(call *c, const cli_units *cu) {
  socloss_resolve_options ro;
  socloss_resolve_options_init(&ro);
  ro.id = c->value[RESOLVE_ID];
  ro.params = c->value[RESOLVE_PARAMS];
  ro.dry_run = c->value[RESOLVE_DRY_RUN] != NULL;
  if (c->in[0].data) {
    ro.policy = c->in[0].data;
    ro.policy_len = c->in[0].len;
  }
  const socloss_resolution *r;
  int rc = socloss_resolve(c->led, c->pos[1], &ro, &r);
  /* a failed policy still has its resolution printed, then refuses */
  if (r && c->value[RESOLVE_JSON]) print_resolution_json(cu, r);
  else if (r) print_resolution(cu, r);
  return rc ? refused(c->led, rc) : EXIT_DONE;
}
