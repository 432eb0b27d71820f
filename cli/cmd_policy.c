/*
 * The ledger's policies (policy add, list, show, activate, fallback, shadow,
 * set, clear) and the policy test files (test).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* ---- policy ------------------------------------------------------------- */

enum { POLICY_PARAMS, POLICY_FALLBACK, POLICY_MARKET, POLICY_JSON };
static const opt policy_opts[] = {
    [POLICY_PARAMS] = {"--params", 1, NULL}, [POLICY_FALLBACK] = {"--fallback", 0, NULL},
    [POLICY_MARKET] = {"--market", 1, NULL}, [POLICY_JSON] = {"--json", 0, NULL}, {NULL, 0, NULL}};

enum { ADD, LIST, SHOW, ACTIVATE, FALLBACK, SHADOW, SET, CLEAR, ACTIONS };
static const char *const actions[ACTIONS] = {"add", "list", "show", "activate", "fallback", "shadow", "set", "clear"};

/* The action named by `policy ACTION DB ...`, or -1. */
static int action_of(const char *name) {
  for (int a = 0; a < ACTIONS; a++)
    if (!strcmp(name, actions[a])) return a;
  return -1;
}

static int print_policy(void *ud, const socloss_policy_info *p) {
  if (*(int *)ud) {
    json_t *o = json_object();
    json_object_set_new(o, "name", json_text(p->name));
    json_object_set_new(o, "version", json_integer(p->version));
    json_object_set_new(o, "hash", json_text(p->hash));
    json_object_set_new(o, "seq", json_integer((json_int_t)p->seq));
    json_object_set_new(o, "bytes", json_integer((json_int_t)p->source_len));
    json_print(o);
    putchar('\n');
  } else
    printf("%-24s %4u  %.12s  added at record %" PRIu64 "  %zu bytes\n", p->name, p->version, p->hash, p->seq,
           p->source_len);
  return 0;
}

int policy_args(call *c, int argc, char **argv) {
  int rc = parse_args(c, argc, argv, policy_opts, 2, 3);
  if (rc != RUN) return rc;
  const char *name = c->pos[0];
  int act = action_of(name);
  if (act < 0)
    return usage(c, "unknown policy action '%s' (add, list, show, activate, fallback, shadow, set, clear)", name);
  int needs = act != LIST && act != CLEAR, file = act == SET || act == ADD;
  if (needs != (c->npos == 3))
    return usage(c, "policy %s takes DB%s", name, needs ? (file ? " FILE" : " NAME|HASH") : " only");
  c->db = c->pos[1];
  return file ? policy_input_file(c, 0, c->pos[2]) : RUN;  /* a file, or a shipped policy */
}

int cmd_policy(call *c) {
  static const char *const roles[] = {"active", "fallback", "shadow"};
  int act = action_of(c->pos[0]);
  const char *ref = c->pos[2], *market = c->value[POLICY_MARKET];
  int role = act == SHADOW ? SOCLOSS_POLICY_SHADOW
             : act == FALLBACK || c->value[POLICY_FALLBACK] ? SOCLOSS_POLICY_FALLBACK
             : SOCLOSS_POLICY_ACTIVE;
  int json = c->value[POLICY_JSON] != NULL, rc;
  socloss_policy_info info;
  if (act == SET || act == CLEAR) {
    rc = socloss_policy_set(c->led, role, c->in[0].data, c->in[0].len, c->value[POLICY_PARAMS]);
    if (!rc) fprintf(stderr, "socloss: %s policy %s\n", roles[role], act == SET ? "set" : "cleared");
  } else if (act == ADD) {
    rc = socloss_policy_add(c->led, c->in[0].data, c->in[0].len, &info);
    if (!rc)
      printf("added %s@%u (%.12s) at journal record %" PRIu64 "\n", info.name, info.version, info.hash, info.seq);
  } else if (act == LIST) {
    rc = socloss_policy_list(c->led, print_policy, &json);
  } else if (act == SHOW) {
    char *text = NULL;
    rc = socloss_policy_find(c->led, ref, &info, &text);
    if (!rc) {
      print_policy(&json, &info);
      if (!json) fwrite(text, 1, info.source_len, stdout);
    }
    free(text);
  } else if (act == SHADOW && !strcmp(ref, "off")) {
    rc = socloss_policy_set(c->led, role, NULL, 0, NULL);
    if (!rc) fprintf(stderr, "socloss: no shadow policy\n");
  } else {
    rc = socloss_policy_activate(c->led, ref, role, market, c->value[POLICY_PARAMS]);
    if (!rc)
      fprintf(stderr, "socloss: %s is the %s policy%s%s\n", ref, roles[role], market ? " of market " : "",
              market ? market : "");
  }
  return rc ? refused(c->led, rc) : EXIT_DONE;
}

/* ---- test --------------------------------------------------------------- */

typedef struct test_out {
  const char *indent;
} test_out;

static int print_line(void *ud, const char *line) {
  printf("%s%s\n", ((test_out *)ud)->indent, line);
  return 0;
}

int test_args(call *c, int argc, char **argv) {
  return parse_args(c, argc, argv, NULL, 1, MAX_POS);
}

/* A file that could not be run at all is told on stderr too, beside its
 * failed TAP line; failing cases are the TAP's to tell. */
static void test_refused(int rc) {
  fflush(stdout);  /* the TAP line first, when both streams go to one place */
  if (rc == SOCLOSS_EIO || rc == SOCLOSS_EINVAL) fprintf(stderr, "socloss: %s\n", socloss_errmsg(NULL));
}

int cmd_test(call *c) {
  const char *ev = NULL;  /* the library's default: SOCLOSS_EVALUATOR, beside this program, ../libexec */
  int bad = 0;
  if (c->npos == 1) {
    test_out o = {""};
    test_refused(socloss_test_file(c->pos[0], ev, print_line, &o, &bad));
    return bad ? EXIT_REFUSED : EXIT_DONE;
  }
  /* several files: one TAP stream, each file a subtest */
  printf("1..%d\n", c->npos);
  for (int i = 0; i < c->npos; i++) {
    test_out o = {"    "};
    int failed = 0;
    printf("# Subtest: %s\n", c->pos[i]);
    int rc = socloss_test_file(c->pos[i], ev, print_line, &o, &failed);
    printf("%sok %d - %s\n", failed ? "not " : "", i + 1, c->pos[i]);
    test_refused(rc);
    bad += failed != 0;
  }
  return bad ? EXIT_REFUSED : EXIT_DONE;
}
