/*
 * The ledger's policies (policy add, list, show, activate, fallback, shadow,
 * set, clear) and the policy test files (test).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

/* ---- policy ------------------------------------------------------------- */

enum { POLICY_PARAMS, POLICY_FALLBACK, POLICY_MARKET, POLICY_JSON, POLICY_NOTE, POLICY_AT };
static const opt policy_opts[] = {
    [POLICY_PARAMS] = {"--params", 1, NULL}, [POLICY_FALLBACK] = {"--fallback", 0, NULL},
    [POLICY_MARKET] = {"--market", 1, NULL}, [POLICY_JSON] = {"--json", 0, NULL},
    [POLICY_NOTE] = {"--note", 1, NULL},     [POLICY_AT] = {"--at", 1, NULL},
    {NULL, 0, NULL}};

enum { ADD, LIST, SHOW, ACTIVATE, FALLBACK, SHADOW, SET, CLEAR, ACTIONS };
static const char *const actions[ACTIONS] = {"add", "list", "show", "activate", "fallback", "shadow", "set", "clear"};
static const char *const roles[] = {"active", "fallback", "shadow"};

/* The action named by `policy ACTION DB ...`, or -1. */
static int action_of(const char *name) {
  for (int a = 0; a < ACTIONS; a++)
    if (!strcmp(name, actions[a])) return a;
  return -1;
}

/* One entry: the list line, with its roles, time and note after it. */
static int print_entry(void *ud, const socloss_policy_entry *e) {
  const socloss_policy_info *p = &e->info;
  if (*(int *)ud) {
    json_t *o = json_object();
    json_object_set_new(o, "name", json_text(p->name));
    json_object_set_new(o, "version", json_integer(p->version));
    json_object_set_new(o, "hash", json_text(p->hash));
    json_object_set_new(o, "seq", json_integer((json_int_t)p->seq));
    json_object_set_new(o, "bytes", json_integer((json_int_t)p->source_len));
    if (*e->note) json_object_set_new(o, "note", json_text(e->note));
    if (*e->at) json_object_set_new(o, "at", json_text(e->at));
    json_t *held = json_array();
    for (size_t i = 0; i < e->nroles; i++) {
      const socloss_policy_role *r = &e->roles[i];
      json_t *ro = json_object();
      json_object_set_new(ro, "role", json_string(roles[r->role]));
      if (*r->market) json_object_set_new(ro, "market", json_text(r->market));
      json_t *params = *r->params ? json_loads(r->params, 0, NULL) : NULL;
      json_object_set_new(ro, "params", params ? params : json_object());
      json_array_append_new(held, ro);
    }
    json_object_set_new(o, "roles", held);
    json_print(o);
    putchar('\n');
    return 0;
  }
  printf("%-24s %4u  %.12s  added at record %" PRIu64 "  %zu bytes", p->name, p->version, p->hash, p->seq,
         p->source_len);
  for (size_t i = 0; i < e->nroles; i++)
    printf("%s%s%s%s%s", i ? ", " : "  [", roles[e->roles[i].role], *e->roles[i].market ? " of " : "",
           e->roles[i].market, i + 1 == e->nroles ? "]" : "");
  if (*e->at) printf("  at %s", e->at);
  /* the library keeps a note to one line of printable UTF-8 */
  if (*e->note) printf("  note: %s", e->note);
  putchar('\n');
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
  if (c->value[POLICY_NOTE] && act != ADD) return usage(c, "--note goes with policy add");
  if (c->value[POLICY_AT] && (act == LIST || act == SHOW))
    return usage(c, "--at goes with a change: add, activate, fallback, shadow, set, clear");
  c->db = c->pos[1];
  return file ? policy_input_file(c, 0, c->pos[2]) : RUN;  /* a file, or a shipped policy */
}

/* `--at now`: this host's clock, read here, by the CLI, for the record;
 * the library never reads one. */
static const char *time_of(const char *at, char now[32]) {
  if (!at || strcmp(at, "now")) return at;
  time_t t = time(NULL);
  struct tm tm;
  if (!gmtime_r(&t, &tm) || !strftime(now, 32, "%Y-%m-%dT%H:%M:%SZ", &tm)) return at;
  return now;
}

/* A role change: what it did, on stderr. */
static int change_role(call *c, int act, int role, const char *at) {
  const char *ref = c->pos[2], *market = c->value[POLICY_MARKET];
  socloss_role_options o;
  socloss_role_options_init(&o);
  o.role = role;
  o.params = c->value[POLICY_PARAMS];
  o.at = at;
  int off = act == SHADOW && !strcmp(ref, "off");
  if (act == SET) {
    o.source = c->in[0].data;
    o.source_len = c->in[0].len;
  } else if (act != CLEAR && !off) {
    o.ref = ref;
  }
  if (act != SET && act != CLEAR) o.market = market;  /* set and clear are ledger-wide */
  else market = NULL;
  socloss_role_change ch = {sizeof ch, 0, 0};
  int rc = socloss_policy_role_set(c->led, &o, &ch);
  if (rc) return rc;
  const char *of = market ? " of market " : "", *m = market ? market : "";
  if (act == SET || act == CLEAR) {
    if (ch.seq) fprintf(stderr, "socloss: %s policy %s\n", roles[role], act == SET ? "set" : "cleared");
    else if (act == SET) fprintf(stderr, "socloss: the %s policy is already this one; nothing written\n", roles[role]);
    else fprintf(stderr, "socloss: no %s policy was set; nothing written\n", roles[role]);
  } else if (off) {
    if (ch.seq) fprintf(stderr, "socloss: no shadow policy%s%s\n", of, m);
    else fprintf(stderr, "socloss: no shadow policy was set%s%s; nothing written\n", market ? " for market " : "", m);
  } else if (ch.seq) {
    fprintf(stderr, "socloss: %s is the %s policy%s%s\n", ref, roles[role], of, m);
  } else {
    fprintf(stderr, "socloss: %s is already the %s policy%s%s%s\n", ref, roles[role], of, m,
            ch.shadow_seq ? "" : "; nothing written");
  }
  if (ch.shadow_seq) fprintf(stderr, "socloss: it was the shadow policy%s%s: no shadow policy now\n", of, m);
  return SOCLOSS_OK;
}

int cmd_policy(call *c) {
  int act = action_of(c->pos[0]);
  const char *ref = c->pos[2];
  int role = act == SHADOW ? SOCLOSS_POLICY_SHADOW
             : act == FALLBACK || c->value[POLICY_FALLBACK] ? SOCLOSS_POLICY_FALLBACK
             : SOCLOSS_POLICY_ACTIVE;
  int json = c->value[POLICY_JSON] != NULL, rc;
  char now[32];
  const char *at = time_of(c->value[POLICY_AT], now);
  socloss_policy_info info;
  if (act == ADD) {
    socloss_policy_add_options o;
    socloss_policy_add_options_init(&o);
    o.note = c->value[POLICY_NOTE];
    o.at = at;
    rc = socloss_policy_add_with(c->led, c->in[0].data, c->in[0].len, &o, &info);
    if (!rc)
      printf("added %s@%u (%.12s) at journal record %" PRIu64 "\n", info.name, info.version, info.hash, info.seq);
  } else if (act == LIST) {
    rc = socloss_policy_entries(c->led, NULL, print_entry, &json);
  } else if (act == SHOW) {
    char *text = NULL;
    rc = socloss_policy_find(c->led, ref, &info, &text);
    if (!rc) rc = socloss_policy_entries(c->led, info.hash, print_entry, &json);
    if (!rc && !json) fwrite(text, 1, info.source_len, stdout);
    free(text);
  } else {
    rc = change_role(c, act, role, at);
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
