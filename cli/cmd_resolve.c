/*
 * resolve: one deficit, decided by a policy and applied in one transaction.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum { RESOLVE_ID, RESOLVE_POLICY, RESOLVE_PARAMS, RESOLVE_DRY_RUN, RESOLVE_JSON };
static const opt resolve_opts[] = {
    [RESOLVE_ID] = {"--id", 1, NULL}, [RESOLVE_POLICY] = {"--policy", 1, NULL},
    [RESOLVE_PARAMS] = {"--params", 1, NULL}, [RESOLVE_DRY_RUN] = {"--dry-run", 0, NULL},
    [RESOLVE_JSON] = {"--json", 0, NULL}, {NULL, 0, NULL}};

static void print_resolution(const socloss_resolution *r) {
  if (!strcmp(r->status, "failed")) {
    printf("deficit %s: account %s, policy %s (%.12s), failed: nothing applied\n", r->id, r->account,
           r->policy_name, r->policy_hash);
    return;
  }
  printf("deficit %s: account %s, equity %" PRId64 ", policy %s (%.12s), %s\n", r->id, r->account, r->equity,
         r->policy_name, r->policy_hash, r->status);
  for (size_t k = 0; k < r->ndeleveraged; k++)
    printf("  deleveraged %s %" PRId64 " lots of %s at %" PRId64 "\n", r->deleveraged[k].account,
           r->deleveraged[k].size, r->deleveraged[k].market, r->deleveraged[k].price);
  for (size_t k = 0; k < r->ntakeovers; k++)
    printf("  fund took over %" PRId64 " lots of %s at %" PRId64 "\n", r->takeovers[k].size,
           r->takeovers[k].market, r->takeovers[k].price);
  printf("  fund draw %" PRId64 "\n", r->fund_draw);
  for (size_t k = 0; k < r->nhaircuts; k++)
    printf("  haircut %s %" PRId64 "\n", r->haircuts[k].account, r->haircuts[k].amount);
  printf("  bad debt %" PRId64 "\n", r->bad_debt);
  if (r->failure && *r->failure) printf("  first policy failed: %s\n", r->failure);
  if (r->seq) printf("  journal record %" PRIu64 "\n", r->seq);
}

int resolve_args(call *c, int argc, char **argv) {
  int rc = parse_args(c, argc, argv, resolve_opts, 2, 2);
  if (rc != RUN || !c->value[RESOLVE_POLICY]) return rc;
  return read_input(c, 0, c->value[RESOLVE_POLICY], POLICY_FILE);
}

int cmd_resolve(call *c) {
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
  if (r && c->value[RESOLVE_JSON]) {
    char *json = socloss_resolution_json(r);
    if (json) puts(json);
    free(json);
  } else if (r) {
    print_resolution(r);
  }
  return rc ? refused(c->led, rc) : EXIT_DONE;
}
