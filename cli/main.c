/*
 * socloss — the command-line shell over libsocloss.  It parses arguments,
 * reads files, calls the public API and prints; all ledger logic is in the
 * library.  Exit codes: 0 done, 1 refused input or operation, 2 usage.
 * Machine output goes to stdout, messages to stderr.
 */
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "socloss.h"

enum { EXIT_DONE = 0, EXIT_REFUSED = 1, EXIT_USAGE = 2 };

/* ---- arguments ---------------------------------------------------------- */

typedef struct opt {
  const char *name;   /* "--json" */
  int takes_value;
  const char *value;  /* set when seen: the value, or "" for a flag */
} opt;

typedef struct command {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *usage;
  const char *help;
} command;

static const command *current;

static int usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "socloss %s: ", current->name);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\nusage: %s\n", current->usage);
  return EXIT_USAGE;
}

/* Splits argv into options (from `opts`, NULL-terminated by name) and up to
 * `maxpos` positional arguments.  Returns -1 after printing a usage error,
 * 1 when --help was asked (and printed), 0 otherwise. */
static int parse_args(int argc, char **argv, opt *opts, const char **pos, int minpos, int maxpos,
                      int *npos) {
  *npos = 0;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      printf("usage: %s\n\n%s", current->usage, current->help);
      return 1;
    }
    if (a[0] == '-' && a[1] == '-') {
      opt *o = opts;
      while (o->name && strcmp(o->name, a) != 0) o++;
      if (!o->name) return usage("unknown option '%s'", a), -1;
      if (o->takes_value) {
        if (i + 1 >= argc) return usage("option %s needs a value", a), -1;
        o->value = argv[++i];
      } else {
        o->value = "";
      }
      continue;
    }
    if (*npos >= maxpos) return usage("unexpected argument '%s'", a), -1;
    pos[(*npos)++] = a;
  }
  if (*npos < minpos) return usage("missing arguments"), -1;
  return 0;
}

/* ---- helpers ------------------------------------------------------------ */

static int refused(socloss *led, int rc) {
  fprintf(stderr, "socloss: %s\n", led ? socloss_errmsg(led) : socloss_strerror(rc));
  return EXIT_REFUSED;
}

/* The evaluator installed or built beside this program, when there is one. */
static const char *sibling_evaluator(void) {
  static char path[4096];
  ssize_t n = readlink("/proc/self/exe", path, sizeof path - 32);
  if (n <= 0) return NULL;
  path[n] = 0;
  char *slash = strrchr(path, '/');
  if (!slash) return NULL;
  strcpy(slash + 1, "socloss-eval");
  return access(path, X_OK) == 0 ? path : NULL;
}

static socloss *open_ledger(const char *path, int create, int nosync, int *rc) {
  socloss_options o;
  socloss_options_init(&o);
  o.create = create;
  o.unsafe_nosync = nosync;
  o.evaluator = sibling_evaluator();
  socloss *led;
  *rc = socloss_open(&led, path, &o);
  if (*rc) {
    refused(led, *rc);
    socloss_close(led);
    return NULL;
  }
  return led;
}

/* Reads a whole file ("-" is stdin). */
static char *read_all(const char *path, size_t *len) {
  FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
  if (!f) {
    fprintf(stderr, "socloss: %s: %s\n", path, strerror(errno));
    return NULL;
  }
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap);
  for (size_t got; buf && (got = fread(buf + n, 1, cap - n, f)) > 0;) {
    n += got;
    if (n == cap) {
      char *more = realloc(buf, cap *= 2);
      if (!more) free(buf);
      buf = more;
    }
  }
  int err = ferror(f) ? errno : 0;
  if (f != stdin) fclose(f);
  if (!buf || err) {
    fprintf(stderr, "socloss: %s: %s\n", path, buf ? strerror(err) : "out of memory");
    free(buf);
    return NULL;
  }
  *len = n;
  return buf;
}

static void print_json(json_t *v) {
  char *s = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
  if (s) fputs(s, stdout);
  free(s);
  json_decref(v);
}

/* ---- init --------------------------------------------------------------- */

static int cmd_init(int argc, char **argv) {
  opt opts[] = {{"--unsafe-no-sync", 0, NULL}, {NULL, 0, NULL}};
  const char *pos[1];
  int n, rc = parse_args(argc, argv, opts, pos, 1, 1, &n);
  if (rc) return rc < 0 ? EXIT_USAGE : EXIT_DONE;
  socloss *led = open_ledger(pos[0], SOCLOSS_OPEN_CREATE_NEW, opts[0].value != NULL, &rc);
  if (!led) return EXIT_REFUSED;
  socloss_close(led);
  fprintf(stderr, "socloss: created ledger %s\n", pos[0]);
  return EXIT_DONE;
}

/* ---- import ------------------------------------------------------------- */

static int cmd_import(int argc, char **argv) {
  opt opts[] = {{"--markets", 1, NULL}, {"--accounts", 1, NULL}, {"--positions", 1, NULL},
                {"--unsafe-no-sync", 0, NULL}, {NULL, 0, NULL}};
  const char *pos[1];
  int n, rc = parse_args(argc, argv, opts, pos, 1, 1, &n);
  if (rc) return rc < 0 ? EXIT_USAGE : EXIT_DONE;
  if (!opts[0].value && !opts[1].value && !opts[2].value)
    return usage("give at least one of --markets, --accounts, --positions");
  socloss_source src[3] = {{0}};
  int failed = 0;
  for (int i = 0; i < 3; i++) {
    if (!opts[i].value) continue;
    src[i].name = opts[i].value;
    if (!(src[i].data = read_all(opts[i].value, &src[i].len))) failed = 1;
  }
  socloss *led = failed ? NULL : open_ledger(pos[0], SOCLOSS_OPEN_EXISTING, opts[3].value != NULL, &rc);
  int status = EXIT_REFUSED;
  if (led) {
    socloss_import_stats st;
    rc = socloss_import_csv(led, opts[0].value ? &src[0] : NULL, opts[1].value ? &src[1] : NULL,
                            opts[2].value ? &src[2] : NULL, &st);
    if (rc) {
      refused(led, rc);
    } else {
      printf("imported %zu markets, %zu accounts, %zu positions\n", st.markets, st.accounts,
             st.positions);
      status = EXIT_DONE;
    }
  }
  socloss_close(led);
  for (int i = 0; i < 3; i++) free((char *)src[i].data);
  return status;
}

/* ---- apply -------------------------------------------------------------- */

static int cmd_apply(int argc, char **argv) {
  opt opts[] = {{"--unsafe-no-sync", 0, NULL}, {NULL, 0, NULL}};
  const char *pos[2];
  int n, rc = parse_args(argc, argv, opts, pos, 2, 2, &n);
  if (rc) return rc < 0 ? EXIT_USAGE : EXIT_DONE;
  socloss_source src = {strcmp(pos[1], "-") ? pos[1] : "<stdin>", NULL, 0};
  if (!(src.data = read_all(pos[1], &src.len))) return EXIT_REFUSED;
  socloss *led = open_ledger(pos[0], SOCLOSS_OPEN_EXISTING, opts[0].value != NULL, &rc);
  int status = EXIT_REFUSED;
  if (led) {
    size_t applied;
    rc = socloss_apply_jsonl(led, &src, &applied);
    if (rc) {
      refused(led, rc);
    } else {
      printf("applied %zu events\n", applied);
      status = EXIT_DONE;
    }
  }
  socloss_close(led);
  free((char *)src.data);
  return status;
}

/* ---- show --------------------------------------------------------------- */

static json_t *positions_json(const socloss_account *a) {
  json_t *arr = json_array();
  for (size_t i = 0; i < a->npositions; i++) {
    const socloss_position *p = &a->positions[i];
    json_t *o = json_object();
    json_object_set_new(o, "market", json_string(p->market));
    json_object_set_new(o, "size", json_integer(p->size));
    json_object_set_new(o, "cost", json_integer(p->cost));
    json_object_set_new(o, "upnl", json_integer(p->upnl));
    json_array_append_new(arr, o);
  }
  return arr;
}

typedef struct show_ctx {
  int json, bankrupt_only;
  size_t shown;
  __int128 deficit;    /* sum of the negative equities shown */
} show_ctx;

static int show_account(void *ud, const socloss_account *a) {
  show_ctx *c = ud;
  if (c->bankrupt_only && a->equity >= 0) return 0;
  c->deficit += a->equity < 0 ? a->equity : 0;
  if (c->json) {
    json_t *o = json_object();
    json_object_set_new(o, "account", json_string(a->account));
    json_object_set_new(o, "balance", json_integer(a->balance));
    json_object_set_new(o, "equity", json_integer(a->equity));
    json_object_set_new(o, "positions", positions_json(a));
    if (c->shown) fputc(',', stdout);
    print_json(o);
  } else {
    printf("%-24s %20" PRId64 " %20" PRId64, a->account, a->balance, a->equity);
    for (size_t i = 0; i < a->npositions; i++)
      printf("  %s:%" PRId64, a->positions[i].market, a->positions[i].size);
    fputc('\n', stdout);
  }
  c->shown++;
  return 0;
}

static int show_fund(void *ud, const socloss_account *a) {
  show_ctx *c = ud;
  if (c->json) {
    json_t *o = json_object();
    json_object_set_new(o, "cash", json_integer(a->balance));
    json_object_set_new(o, "equity", json_integer(a->equity));
    json_object_set_new(o, "positions", positions_json(a));
    fputs("\"fund\":", stdout);
    print_json(o);
  } else {
    printf("fund cash %" PRId64 " equity %" PRId64 "\n", a->balance, a->equity);
    for (size_t i = 0; i < a->npositions; i++)
      printf("  fund position %s size %" PRId64 " cost %" PRId64 " upnl %" PRId64 "\n",
             a->positions[i].market, a->positions[i].size, a->positions[i].cost, a->positions[i].upnl);
  }
  return 0;
}

static int show_market(void *ud, const socloss_market *m) {
  show_ctx *c = ud;
  if (c->json) {
    json_t *o = json_object();
    json_object_set_new(o, "market", json_string(m->market));
    json_object_set_new(o, "mark", json_integer(m->mark));
    json_object_set_new(o, "open_interest", json_integer(m->open_interest));
    if (c->shown++) fputc(',', stdout);
    print_json(o);
  } else {
    printf("market %s mark %" PRId64 " open_interest %" PRId64 "\n", m->market, m->mark,
           m->open_interest);
  }
  return 0;
}

static int cmd_show(int argc, char **argv) {
  opt opts[] = {{"--json", 0, NULL}, {"--account", 1, NULL}, {"--bankrupt", 0, NULL},
                {NULL, 0, NULL}};
  const char *pos[1];
  int n, rc = parse_args(argc, argv, opts, pos, 1, 1, &n);
  if (rc) return rc < 0 ? EXIT_USAGE : EXIT_DONE;
  socloss *led = open_ledger(pos[0], SOCLOSS_OPEN_EXISTING, 0, &rc);
  if (!led) return EXIT_REFUSED;
  show_ctx c = {opts[0].value != NULL, opts[2].value != NULL, 0, 0};
  socloss_totals tot;
  rc = socloss_totals_get(led, &tot);
  if (!rc && opts[1].value) {
    /* one account, in the shape of an element of "accounts" */
    rc = socloss_account_get(led, opts[1].value, show_account, &c);
    if (!rc && c.json) fputc('\n', stdout);
  } else if (!rc) {
    if (c.json) fputc('{', stdout);
    rc = socloss_account_get(led, "", show_fund, &c);
    if (!rc) {
      if (c.json)
        printf(",\"bad_debt\":%" PRId64 ",\"net_flows\":%" PRId64 ",\"markets\":[", tot.bad_debt,
               tot.net_flows);
      else
        printf("bad_debt %" PRId64 "\nnet_flows %" PRId64 "\n", tot.bad_debt, tot.net_flows);
      rc = socloss_markets(led, show_market, &c);
    }
    if (!rc) {
      c.shown = 0;
      if (c.json) fputs("],\"accounts\":[", stdout);
      else printf("%-24s %20s %20s  positions\n", "account", "balance", "equity");
      rc = socloss_accounts(led, show_account, &c);
    }
    if (!rc && c.json) fputs("]}\n", stdout);
    if (!rc && !c.json && c.bankrupt_only) {
      /* the sum of many deficits can pass int64: print all 128 bits */
      char digits[48];
      int k = 0;
      unsigned __int128 u = (unsigned __int128)-c.deficit;
      do digits[k++] = (char)('0' + (int)(u % 10)); while ((u /= 10) != 0);
      printf("bankrupt accounts %zu, total deficit ", c.shown);
      while (k) putchar(digits[--k]);
      putchar('\n');
    }
  }
  int status = rc ? refused(led, rc) : EXIT_DONE;
  socloss_close(led);
  return status;
}

/* ---- journal ------------------------------------------------------------ */

static int print_record(void *ud, uint64_t seq, const char *text) {
  int json = *(int *)ud;
  if (json) {
    puts(text);
    return 0;
  }
  /* text form: "SEQ TYPE key=value ..." from the same JSON object */
  json_t *o = json_loads(text, 0, NULL);
  const char *key;
  json_t *v;
  printf("%" PRIu64 " %s", seq, json_string_value(json_object_get(o, "type")));
  json_object_foreach(o, key, v) {
    if (!strcmp(key, "seq") || !strcmp(key, "type")) continue;
    if (json_is_string(v)) printf(" %s=%s", key, json_string_value(v));
    else if (json_is_integer(v)) printf(" %s=%" JSON_INTEGER_FORMAT, key, json_integer_value(v));
  }
  fputc('\n', stdout);
  json_decref(o);
  return 0;
}

static int cmd_journal(int argc, char **argv) {
  opt opts[] = {{"--json", 0, NULL}, {"--from", 1, NULL}, {NULL, 0, NULL}};
  const char *pos[1];
  int n, rc = parse_args(argc, argv, opts, pos, 1, 1, &n);
  if (rc) return rc < 0 ? EXIT_USAGE : EXIT_DONE;
  uint64_t from = 1;
  if (opts[1].value) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(opts[1].value, &end, 10);
    if (errno || *end || !*opts[1].value || opts[1].value[0] == '-')
      return usage("--from: not a sequence number: '%s'", opts[1].value);
    from = v;
  }
  socloss *led = open_ledger(pos[0], SOCLOSS_OPEN_EXISTING, 0, &rc);
  if (!led) return EXIT_REFUSED;
  int json = opts[0].value != NULL;
  rc = socloss_journal(led, from, print_record, &json);
  int status = rc ? refused(led, rc) : EXIT_DONE;
  socloss_close(led);
  return status;
}

/* ---- check -------------------------------------------------------------- */

static int cmd_check(int argc, char **argv) {
  opt opts[] = {{NULL, 0, NULL}};
  const char *pos[1];
  int n, rc = parse_args(argc, argv, opts, pos, 1, 1, &n);
  if (rc) return rc < 0 ? EXIT_USAGE : EXIT_DONE;
  socloss *led = open_ledger(pos[0], SOCLOSS_OPEN_EXISTING, 0, &rc);
  if (!led) return EXIT_REFUSED;
  socloss_check_report r;
  rc = socloss_check(led, &r);
  if (rc && rc != SOCLOSS_EINVARIANT) {
    refused(led, rc);
    socloss_close(led);
    return EXIT_REFUSED;
  }
  printf("%s - sizes net to zero in every market\n", r.sizes_net_zero ? "ok" : "FAILED");
  printf("%s - open interest matches the positions\n", r.open_interest_ok ? "ok" : "FAILED");
  printf("%s - conservation: equity + fund - bad debt = net flows\n", r.conservation ? "ok" : "FAILED");
  printf("%s - journal contiguous (%" PRIu64 " records)\n", r.journal_contiguous ? "ok" : "FAILED",
         r.records);
  printf("%s - replaying the journal reproduces the state\n", r.replay_matches ? "ok" : "FAILED");
  printf("digest ");
  for (int i = 0; i < 32; i++) printf("%02x", r.digest[i]);
  printf("\n");
  int status = rc ? refused(led, rc) : EXIT_DONE;
  socloss_close(led);
  return status;
}

/* ---- resolve ------------------------------------------------------------ */

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

static int cmd_resolve(int argc, char **argv) {
  opt opts[] = {{"--id", 1, NULL}, {"--policy", 1, NULL}, {"--params", 1, NULL},
                {"--dry-run", 0, NULL}, {"--json", 0, NULL}, {NULL, 0, NULL}};
  const char *pos[2];
  int n, rc = parse_args(argc, argv, opts, pos, 2, 2, &n);
  if (rc) return rc < 0 ? EXIT_USAGE : EXIT_DONE;
  socloss_resolve_options ro;
  socloss_resolve_options_init(&ro);
  ro.id = opts[0].value;
  ro.params = opts[2].value;
  ro.dry_run = opts[3].value != NULL;
  char *src = NULL;
  if (opts[1].value) {
    if (!(src = read_all(opts[1].value, &ro.policy_len))) return EXIT_REFUSED;
    ro.policy = src;
  }
  socloss *led = open_ledger(pos[0], SOCLOSS_OPEN_EXISTING, 0, &rc);
  int status = EXIT_REFUSED;
  if (led) {
    const socloss_resolution *r;
    rc = socloss_resolve(led, pos[1], &ro, &r);
    if (r && opts[4].value) {
      char *json = socloss_resolution_json(r);
      if (json) puts(json);
      free(json);
    } else if (r) {
      print_resolution(r);
    }
    status = rc ? refused(led, rc) : EXIT_DONE;
  }
  socloss_close(led);
  free(src);
  return status;
}

/* ---- policy and limits -------------------------------------------------- */

static int print_policy(void *ud, const socloss_policy_info *p) {
  if (*(int *)ud)
    printf("{\"name\":\"%s\",\"version\":%u,\"hash\":\"%s\",\"seq\":%" PRIu64 ",\"bytes\":%zu}\n", p->name,
           p->version, p->hash, p->seq, p->source_len);
  else
    printf("%-24s %4u  %.12s  added at record %" PRIu64 "  %zu bytes\n", p->name, p->version, p->hash, p->seq,
           p->source_len);
  return 0;
}

static int cmd_policy(int argc, char **argv) {
  opt opts[] = {{"--params", 1, NULL}, {"--fallback", 0, NULL}, {"--market", 1, NULL},
                {"--json", 0, NULL}, {NULL, 0, NULL}};
  const char *pos[3];
  int n, rc = parse_args(argc, argv, opts, pos, 2, 3, &n);
  if (rc) return rc < 0 ? EXIT_USAGE : EXIT_DONE;
  const char *act = pos[0];
  int set = !strcmp(act, "set"), clear = !strcmp(act, "clear"), add = !strcmp(act, "add"),
      list = !strcmp(act, "list"), show = !strcmp(act, "show"), activate = !strcmp(act, "activate"),
      fallback = !strcmp(act, "fallback"), shadow = !strcmp(act, "shadow");
  if (!set && !clear && !add && !list && !show && !activate && !fallback && !shadow)
    return usage("unknown policy action '%s' (add, list, show, activate, fallback, shadow, set, clear)", act);
  int needs = set || add || show || activate || fallback || shadow;
  if (needs != (n == 3)) return usage("policy %s takes DB%s", act, needs ? (set || add ? " FILE" : " NAME|HASH") : " only");
  char *src = NULL;
  size_t len = 0;
  if ((set || add) && !(src = read_all(pos[2], &len))) return EXIT_REFUSED;
  socloss *led = open_ledger(pos[1], SOCLOSS_OPEN_EXISTING, 0, &rc);
  int status = EXIT_REFUSED;
  if (led) {
    int role = shadow ? SOCLOSS_POLICY_SHADOW
                      : opts[1].value || fallback ? SOCLOSS_POLICY_FALLBACK : SOCLOSS_POLICY_ACTIVE;
    static const char *const roles[] = {"active", "fallback", "shadow"};
    int json = opts[3].value != NULL;
    socloss_policy_info info;
    if (set || clear) {
      rc = socloss_policy_set(led, role, src, len, opts[0].value);
      if (!rc) fprintf(stderr, "socloss: %s policy %s\n", roles[role], set ? "set" : "cleared");
    } else if (add) {
      rc = socloss_policy_add(led, src, len, &info);
      if (!rc) printf("added %s@%u (%.12s) at journal record %" PRIu64 "\n", info.name, info.version, info.hash, info.seq);
    } else if (list) {
      rc = socloss_policy_list(led, print_policy, &json);
    } else if (show) {
      char *text = NULL;
      rc = socloss_policy_find(led, pos[2], &info, &text);
      if (!rc) {
        print_policy(&json, &info);
        if (!json) fwrite(text, 1, info.source_len, stdout);
      }
      free(text);
    } else if (shadow && !strcmp(pos[2], "off")) {
      rc = socloss_policy_set(led, role, NULL, 0, NULL);
      if (!rc) fprintf(stderr, "socloss: no shadow policy\n");
    } else {
      rc = socloss_policy_activate(led, pos[2], role, opts[2].value, opts[0].value);
      if (!rc)
        fprintf(stderr, "socloss: %s is the %s policy%s%s\n", pos[2], roles[role],
                opts[2].value ? " of market " : "", opts[2].value ? opts[2].value : "");
    }
    status = rc ? refused(led, rc) : EXIT_DONE;
  }
  socloss_close(led);
  free(src);
  return status;
}

static int cmd_limits(int argc, char **argv) {
  opt opts[] = {{"--instructions", 1, NULL}, {"--memory", 1, NULL}, {"--wall-ms", 1, NULL},
                {"--fund-max-draw", 1, NULL}, {NULL, 0, NULL}};
  const char *pos[1];
  int n, rc = parse_args(argc, argv, opts, pos, 1, 1, &n);
  if (rc) return rc < 0 ? EXIT_USAGE : EXIT_DONE;
  socloss *led = open_ledger(pos[0], SOCLOSS_OPEN_EXISTING, 0, &rc);
  if (!led) return EXIT_REFUSED;
  socloss_limits lim;
  rc = socloss_limits_get(led, &lim);
  int changed = 0;
  for (int k = 0; !rc && k < 4; k++) {
    if (!opts[k].value) continue;
    char *end;
    errno = 0;
    long long v = strtoll(opts[k].value, &end, 10);
    if (errno || *end || !*opts[k].value || v < 0) {
      socloss_close(led);
      return usage("%s: not a non-negative integer: '%s'", opts[k].name, opts[k].value);
    }
    if (k == 0) lim.instructions = (uint64_t)v;
    if (k == 1) lim.memory = (uint64_t)v;
    if (k == 2) lim.wall_ms = (uint64_t)v;
    if (k == 3) lim.fund_max_draw = v;
    changed = 1;
  }
  if (!rc && changed) rc = socloss_limits_set(led, &lim);
  if (!rc)
    printf("instructions %" PRIu64 "\nmemory %" PRIu64 "\nwall_ms %" PRIu64 "\nfund_max_draw %" PRId64 "\n",
           lim.instructions, lim.memory, lim.wall_ms, lim.fund_max_draw);
  int status = rc ? refused(led, rc) : EXIT_DONE;
  socloss_close(led);
  return status;
}

/* ---- replay ------------------------------------------------------------- */

typedef struct replay_out {
  int json, whatif;
} replay_out;

static int print_replayed(void *ud, const socloss_replay_item *it) {
  replay_out *o = ud;
  if (o->json) {
    printf("{\"seq\":%" PRIu64 ",\"id\":\"%s\",\"account\":\"%s\",\"same\":%s,\"field\":\"%s\","
           "\"recorded\":%s,\"replayed\":%s}\n",
           it->seq, it->id, it->account, it->same ? "true" : "false", it->field, it->recorded,
           *it->replayed ? it->replayed : "null");
    return 0;
  }
  printf("record %" PRIu64 " deficit %s (%s): ", it->seq, it->id, it->account);
  if (it->code) printf("the policy fails now: %s\n", it->message);
  else if (o->whatif)
    printf("charged %" PRId64 " -> %" PRId64 ", fund %" PRId64 " -> %" PRId64 ", bad debt %" PRId64 " -> %" PRId64 "%s\n",
           it->recorded_charged, it->replayed_charged, it->recorded_fund_draw, it->replayed_fund_draw,
           it->recorded_bad_debt, it->replayed_bad_debt, it->same ? " (same decision)" : "");
  else if (it->same) printf("reproduced exactly\n");
  else printf("DIFFERS in %s\n  recorded %.400s\n  replayed %.400s\n", it->field, it->recorded, it->replayed);
  return 0;
}

typedef struct replay_sum {
  replay_out out;
  size_t n;
  int64_t rec_charged, alt_charged, rec_bad, alt_bad, rec_fund, alt_fund;
} replay_sum;

static int sum_replayed(void *ud, const socloss_replay_item *it) {
  replay_sum *s = ud;
  s->n++;
  s->rec_charged += it->recorded_charged;
  s->alt_charged += it->replayed_charged;
  s->rec_bad += it->recorded_bad_debt;
  s->alt_bad += it->replayed_bad_debt;
  s->rec_fund += it->recorded_fund_draw;
  s->alt_fund += it->replayed_fund_draw;
  return print_replayed(&s->out, it);
}

static int cmd_replay(int argc, char **argv) {
  opt opts[] = {{"--policy", 1, NULL}, {"--params", 1, NULL}, {"--from", 1, NULL}, {"--json", 0, NULL},
                {NULL, 0, NULL}};
  const char *pos[1];
  int n, rc = parse_args(argc, argv, opts, pos, 1, 1, &n);
  if (rc) return rc < 0 ? EXIT_USAGE : EXIT_DONE;
  uint64_t from = 1;
  if (opts[2].value) {
    char *end;
    from = strtoull(opts[2].value, &end, 10);
    if (*end || !*opts[2].value) return usage("--from: not a sequence number: '%s'", opts[2].value);
  }
  char *src = NULL;
  size_t len = 0;
  if (opts[0].value && !(src = read_all(opts[0].value, &len))) return EXIT_REFUSED;
  socloss *led = open_ledger(pos[0], SOCLOSS_OPEN_EXISTING, 0, &rc);
  int status = EXIT_REFUSED;
  if (led) {
    replay_sum sum = {{opts[3].value != NULL, src != NULL}, 0, 0, 0, 0, 0, 0, 0};
    size_t differ = 0;
    rc = socloss_replay(led, src, len, opts[1].value, from, sum_replayed, &sum, &differ);
    if (!rc && !sum.out.json) {
      if (src)
        printf("%zu deficits under %s: charged %" PRId64 " -> %" PRId64 ", fund %" PRId64 " -> %" PRId64
               ", bad debt %" PRId64 " -> %" PRId64 "; %zu decided differently\n",
               sum.n, opts[0].value, sum.rec_charged, sum.alt_charged, sum.rec_fund, sum.alt_fund, sum.rec_bad,
               sum.alt_bad, differ);
      else
        printf("%zu deficits replayed with their own policies: %zu reproduced exactly, %zu differ\n", sum.n,
               sum.n - differ, differ);
    }
    status = rc ? refused(led, rc) : (!src && differ ? EXIT_REFUSED : EXIT_DONE);
  }
  socloss_close(led);
  free(src);
  return status;
}

/* ---- simulate ----------------------------------------------------------- */

/* The figures of a simulation, one row each, for the text table and the
 * HTML report alike. */
static const char *const figure_labels[] = {
    "deficits", "not resolved", "accounts charged", "total charged", "largest charge / that profit",
    "Gini of charge / profit", "overshoot (notional)", "fund used", "bad debt",
    "split test: who paid most, in two", "split test: the halves pay more by"};
#define FIGURES (sizeof figure_labels / sizeof figure_labels[0])

static void figure_cell(const socloss_sim_result *r, size_t row, char *out, size_t len) {
  switch (row) {
    case 0: snprintf(out, len, "%zu", r->deficits); break;
    case 1: snprintf(out, len, "%zu", r->failed); break;
    case 2: snprintf(out, len, "%zu", r->charged); break;
    case 3: snprintf(out, len, "%" PRId64, r->total_charged); break;
    case 4: snprintf(out, len, "%.4f", r->largest_share); break;
    case 5: snprintf(out, len, "%.4f", r->gini); break;
    case 6: snprintf(out, len, "%" PRId64, r->overshoot); break;
    case 7: snprintf(out, len, "%" PRId64, r->fund_draw); break;
    case 8: snprintf(out, len, "%" PRId64, r->bad_debt); break;
    case 9: snprintf(out, len, "%s", r->split_account); break;
    default: snprintf(out, len, "%" PRId64, r->split_delta); break;
  }
}

static void html_text(FILE *f, const char *s) {
  for (; *s; s++) {
    if (*s == '<') fputs("&lt;", f);
    else if (*s == '>') fputs("&gt;", f);
    else if (*s == '&') fputs("&amp;", f);
    else if (*s == '"') fputs("&quot;", f);
    else fputc(*s, f);
  }
}

static const char *const colors[] = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948",
                                     "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac", "#86bcb6", "#d37295",
                                     "#8cd17d", "#b6992d", "#499894", "#79706e"};

/* One horizontal bar per policy, scaled to the largest |value|. */
static void html_bars(FILE *f, const char *title, const char *const *names, const double *v, int n, const char *fmt) {
  double max = 0;
  for (int k = 0; k < n; k++) max = fabs(v[k]) > max ? fabs(v[k]) : max;
  int h = 24 * n + 34;
  fprintf(f, "<figure><figcaption>");
  html_text(f, title);
  fprintf(f, "</figcaption><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"640\" height=\"%d\" role=\"img\">\n", h);
  for (int k = 0; k < n; k++) {
    double w = max > 0 ? 360 * fabs(v[k]) / max : 0;
    char num[64];
    snprintf(num, sizeof num, fmt, v[k]);
    fprintf(f, "<text x=\"0\" y=\"%d\" font-size=\"13\">", 24 * k + 20);
    html_text(f, names[k]);
    fprintf(f, "</text><rect x=\"170\" y=\"%d\" width=\"%.1f\" height=\"16\" fill=\"%s\"/>"
               "<text x=\"%.1f\" y=\"%d\" font-size=\"12\">%s</text>\n",
            24 * k + 8, w, colors[k % 16], 176 + w, 24 * k + 20, num);
  }
  fprintf(f, "</svg></figure>\n");
}

static int html_report(const char *path, const char *what, const char *const *names, const socloss_sim_result *r, int n) {
  FILE *f = fopen(path, "w");
  if (!f) {
    fprintf(stderr, "socloss: %s: %s\n", path, strerror(errno));
    return EXIT_REFUSED;
  }
  fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>socloss simulate</title>\n"
             "<style>body{font-family:sans-serif;margin:2em;max-width:60em}table{border-collapse:collapse}"
             "td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}th:first-child,td:first-child{text-align:left}"
             "figure{margin:1.5em 0}figcaption{font-weight:bold;margin-bottom:.3em}</style></head><body>\n"
             "<h1>Who pays: ");
  html_text(f, what);
  fprintf(f, "</h1>\n<table id=\"figures\"><tr><th>figure</th>");
  for (int k = 0; k < n; k++) {
    fprintf(f, "<th>");
    html_text(f, names[k]);
    fprintf(f, "</th>");
  }
  fprintf(f, "</tr>\n");
  for (size_t row = 0; row < FIGURES; row++) {
    fprintf(f, "<tr><td>%s</td>", figure_labels[row]);
    for (int k = 0; k < n; k++) {
      char cell[96];
      figure_cell(&r[k], row, cell, sizeof cell);
      fprintf(f, "<td>");
      html_text(f, cell);
      fprintf(f, "</td>");
    }
    fprintf(f, "</tr>\n");
  }
  fprintf(f, "</table>\n<h2>Side by side</h2>\n");
  double v[16];
  struct { const char *title, *fmt; int kind; } charts[] = {
      {"Total charged (atoms)", "%.0f", 0}, {"Accounts charged", "%.0f", 1}, {"Largest charge as a share of profit", "%.4f", 2},
      {"Gini coefficient of charge / profit", "%.4f", 3}, {"Overshoot (notional, atoms)", "%.0f", 4},
      {"Bad debt (atoms)", "%.0f", 5}, {"Split test: what the halves pay more (atoms)", "%.0f", 6}};
  for (size_t c = 0; c < sizeof charts / sizeof charts[0]; c++) {
    for (int k = 0; k < n; k++) {
      const socloss_sim_result *x = &r[k];
      double vals[] = {(double)x->total_charged, (double)x->charged, x->largest_share, x->gini,
                       (double)x->overshoot, (double)x->bad_debt, (double)x->split_delta};
      v[k] = vals[charts[c].kind];
    }
    html_bars(f, charts[c].title, names, v, n, charts[c].fmt);
  }
  /* the distribution of charges: accounts in profit by charge / profit */
  static const char *const buckets[] = {"0", "&#8804;10%", "&#8804;20%", "&#8804;30%", "&#8804;40%", "&#8804;50%",
                                        "&#8804;60%", "&#8804;70%", "&#8804;80%", "&#8804;90%", "&#8804;100%", "&gt;100%"};
  size_t max = 1;
  for (int k = 0; k < n; k++)
    for (int b = 0; b < 12; b++) max = r[k].share_hist[b] > max ? r[k].share_hist[b] : max;
  int bw = (600 - 40) / (12 * (n + 1));
  fprintf(f, "<h2>The distribution of charges</h2>\n<figure><figcaption>Accounts in profit by what they paid as a "
             "share of their profit</figcaption><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"640\" "
             "height=\"260\" role=\"img\" id=\"distribution\">\n");
  for (int b = 0; b < 12; b++) {
    int x0 = 40 + b * bw * (n + 1);
    for (int k = 0; k < n; k++) {
      double hgt = 200.0 * (double)r[k].share_hist[b] / (double)max;
      fprintf(f, "<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" fill=\"%s\"><title>%zu</title></rect>\n",
              x0 + k * bw, 210 - hgt, bw - 1, hgt, colors[k % 16], r[k].share_hist[b]);
    }
    fprintf(f, "<text x=\"%d\" y=\"228\" font-size=\"10\">%s</text>\n", x0, buckets[b]);
  }
  for (int k = 0; k < n; k++) {
    fprintf(f, "<rect x=\"%d\" y=\"240\" width=\"10\" height=\"10\" fill=\"%s\"/><text x=\"%d\" y=\"250\" "
               "font-size=\"11\">", 40 + 150 * k, colors[k % 16], 54 + 150 * k);
    html_text(f, names[k]);
    fprintf(f, "</text>\n");
  }
  fprintf(f, "</svg></figure>\n<p>socloss %s; nothing was written to the ledger.</p></body></html>\n", socloss_version());
  int err = ferror(f);
  if (fclose(f) || err) {
    fprintf(stderr, "socloss: %s: write error\n", path);
    return EXIT_REFUSED;
  }
  return EXIT_DONE;
}

static int cmd_simulate(int argc, char **argv) {
  const char *files[16], *account = NULL, *shock = NULL, *params = NULL, *db = NULL, *report = NULL;
  int nf = 0, json = 0;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      printf("usage: %s\n\n%s", current->usage, current->help);
      return EXIT_DONE;
    }
    int value = !strcmp(a, "--policy") || !strcmp(a, "--account") || !strcmp(a, "--shock") || !strcmp(a, "--params") ||
                !strcmp(a, "--report");
    if (value && i + 1 >= argc) return usage("option %s needs a value", a);
    if (!strcmp(a, "--policy")) {
      if (nf == 16) return usage("at most 16 policies");
      files[nf++] = argv[++i];
    } else if (!strcmp(a, "--account")) account = argv[++i];
    else if (!strcmp(a, "--shock")) shock = argv[++i];
    else if (!strcmp(a, "--params")) params = argv[++i];
    else if (!strcmp(a, "--report")) report = argv[++i];
    else if (!strcmp(a, "--json")) json = 1;
    else if (a[0] == '-' && a[1] == '-') return usage("unknown option '%s'", a);
    else if (db) return usage("unexpected argument '%s'", a);
    else db = a;
  }
  if (!db || !nf) return usage("give DB and at least one --policy");
  if (!account == !shock) return usage("give --account X or --shock MARKET:PCT");
  char market[128] = "";
  int64_t ppm = 0;
  if (shock) {
    const char *colon = strrchr(shock, ':');
    char *end;
    double pct = colon ? strtod(colon + 1, &end) : 0;
    if (!colon || colon == shock || (size_t)(colon - shock) >= sizeof market || *end || pct <= -100 || pct > 1e6)
      return usage("--shock: MARKET:PCT, like BTC-PERP:-20");
    memcpy(market, shock, (size_t)(colon - shock));
    ppm = (int64_t)(pct * 10000 + (pct < 0 ? -0.5 : 0.5));  /* to the ppm */
  }
  int rc;
  socloss *led = open_ledger(db, SOCLOSS_OPEN_EXISTING, 0, &rc);
  if (!led) return EXIT_REFUSED;
  socloss_sim_result res[16];
  int status = EXIT_DONE;
  for (int k = 0; k < nf && status == EXIT_DONE; k++) {
    size_t len;
    char *src = read_all(files[k], &len);
    if (!src) status = EXIT_REFUSED;
    else if ((rc = socloss_simulate(led, src, len, params, account, shock ? market : NULL, ppm, &res[k]))) status = refused(led, rc);
    free(src);
  }
  if (status == EXIT_DONE && json) {
    printf("{\"policies\":[");
    for (int k = 0; k < nf; k++)
      printf("%s{\"policy\":\"%s\",\"deficits\":%zu,\"not_resolved\":%zu,\"charged\":%zu,\"total_charged\":%" PRId64
             ",\"largest_share\":%.6f,\"gini\":%.6f,\"overshoot\":%" PRId64 ",\"fund_draw\":%" PRId64 ",\"bad_debt\":%" PRId64
             ",\"split\":{\"account\":\"%s\",\"delta\":%" PRId64 "}}",
             k ? "," : "", files[k], res[k].deficits, res[k].failed, res[k].charged, res[k].total_charged,
             res[k].largest_share, res[k].gini, res[k].overshoot, res[k].fund_draw, res[k].bad_debt,
             res[k].split_account, res[k].split_delta);
    printf("]}\n");
  } else if (status == EXIT_DONE) {
    printf("%-36s", "");
    for (int k = 0; k < nf; k++) {
      const char *b = strrchr(files[k], '/');
      printf("%18.18s", b ? b + 1 : files[k]);
    }
    printf("\n");
    for (size_t row = 0; row < FIGURES; row++) {
      printf("%-36s", figure_labels[row]);
      for (int k = 0; k < nf; k++) {
        char cell[96];
        figure_cell(&res[k], row, cell, sizeof cell);
        printf("%18s", cell);
      }
      printf("\n");
    }
  }
  if (status == EXIT_DONE && report) {
    const char *names[16];
    for (int k = 0; k < nf; k++) {
      const char *b = strrchr(files[k], '/');
      names[k] = b ? b + 1 : files[k];
    }
    char what[200];
    snprintf(what, sizeof what, account ? "the deficit of %s" : "the bankruptcies of %s", account ? account : shock);
    status = html_report(report, what, names, res, nf);
  }
  socloss_close(led);
  return status;
}

/* ---- test --------------------------------------------------------------- */

typedef struct test_out {
  const char *indent;
} test_out;

static int print_line(void *ud, const char *line) {
  printf("%s%s\n", ((test_out *)ud)->indent, line);
  return 0;
}

static int cmd_test(int argc, char **argv) {
  opt opts[] = {{NULL, 0, NULL}};
  const char *pos[256];
  int n, rc = parse_args(argc, argv, opts, pos, 1, 256, &n);
  if (rc) return rc < 0 ? EXIT_USAGE : EXIT_DONE;
  const char *ev = sibling_evaluator();
  int bad = 0;
  if (n == 1) {
    test_out o = {""};
    socloss_test_file(pos[0], ev, print_line, &o, &bad);
    return bad ? EXIT_REFUSED : EXIT_DONE;
  }
  /* several files: one TAP stream, each file a subtest */
  printf("1..%d\n", n);
  for (int i = 0; i < n; i++) {
    test_out o = {"    "};
    int failed = 0;
    printf("# Subtest: %s\n", pos[i]);
    socloss_test_file(pos[i], ev, print_line, &o, &failed);
    printf("%sok %d - %s\n", failed ? "not " : "", i + 1, pos[i]);
    bad += failed != 0;
  }
  return bad ? EXIT_REFUSED : EXIT_DONE;
}

/* ---- main --------------------------------------------------------------- */

static const command commands[] = {
    {"init", cmd_init, "socloss init DB [--unsafe-no-sync]",
     "Creates an empty ledger in directory DB (refused if one exists).\n"},
    {"import", cmd_import,
     "socloss import DB [--markets F] [--accounts F] [--positions F] [--unsafe-no-sync]",
     "Bulk-loads CSV files with header rows, all in one transaction:\n"
     "  markets:   market,mark_price\n"
     "  accounts:  account,balance\n"
     "  positions: account,market,size,entry_price\n"
     "Accounts and positions must be new; per market the positions must net to zero.\n"
     "A bad row refuses everything with FILE:LINE: FIELD: REASON.\n"},
    {"apply", cmd_apply, "socloss apply DB FILE|- [--unsafe-no-sync]",
     "Applies JSON Lines events in one transaction, e.g.\n"
     "  {\"type\":\"market\",\"market\":\"BTC-PERP\",\"mark\":60000000}\n"
     "  {\"type\":\"deposit\",\"account\":\"alice\",\"amount\":1000000}\n"
     "  {\"type\":\"withdraw\",\"account\":\"alice\",\"amount\":500}\n"
     "  {\"type\":\"trade\",\"market\":\"BTC-PERP\",\"buyer\":\"alice\",\"seller\":\"bob\",\"size\":3,\"price\":60000000}\n"
     "  {\"type\":\"fund\",\"amount\":1000000}\n"
     "  {\"type\":\"deficit\",\"id\":\"d-1\",\"account\":\"bob\",\"policy\":\"policies/pro_rata.lua\"}\n"
     "A bad line refuses the whole file with FILE:LINE: FIELD: REASON.\n"},
    {"show", cmd_show, "socloss show DB [--json] [--account ID] [--bankrupt]",
     "Prints the fund, bad debt, markets and accounts (--bankrupt: only accounts\n"
     "with negative equity; --account: one account).\n"},
    {"journal", cmd_journal, "socloss journal DB [--json] [--from SEQ]",
     "Prints the journal, one record per line (--json: one JSON object per line).\n"},
    {"resolve", cmd_resolve,
     "socloss resolve DB ACCOUNT [--id ID] [--policy FILE] [--params JSON] [--dry-run] [--json]",
     "Resolves the deficit of bankrupt ACCOUNT: bankruptcy prices, the policy's\n"
     "deleverage, takeover by the fund, the fund draw, the policy's haircuts, bad\n"
     "debt, one journal record, all in one transaction.  Without --policy the\n"
     "ledger's active policy decides (socloss policy set).  --dry-run writes nothing.\n"
     "Exit 1 when refused or when the policy (and the fallback) failed.\n"},
    {"policy", cmd_policy,
     "socloss policy add|list|show|activate|fallback|shadow|set|clear DB [FILE|NAME|HASH] [--market M] [--params JSON] [--fallback] [--json]",
     "The ledger's policies.  Every policy is loaded in the sandbox and its shape\n"
     "checked first; one that does not load is refused and nothing changes.\n"
     "  add DB FILE              into the registry (by SHA-256, with name and version)\n"
     "  list DB [--json]         the registry\n"
     "  show DB REF              one entry and its source (REF: NAME, NAME@VERSION, HASH)\n"
     "  activate DB REF          the active policy, ledger-wide or --market M\n"
     "  fallback DB REF          the policy that runs when the active one fails\n"
     "  shadow DB REF|off        a policy that decides every deficit too, never applied;\n"
     "                           its decision and how it differs are journaled\n"
     "  set DB FILE / clear DB   the active (--fallback: fallback) policy from a file\n"
     "Changes are journaled: the policy in force at any journal record can be told.\n"},
    {"limits", cmd_limits,
     "socloss limits DB [--instructions N] [--memory BYTES] [--wall-ms MS] [--fund-max-draw ATOMS]",
     "Shows, or sets, the per-call policy limits and the most the fund pays per\n"
     "deficit (0: no cap).  Journaled.\n"},
    {"replay", cmd_replay, "socloss replay DB [--policy FILE [--params JSON]] [--from SEQ] [--json]",
     "Re-runs the journal's deficits from the journal alone, nothing written.\n"
     "Without --policy: each with the policy and params on record (kept in the\n"
     "registry): a verification; exit 1 at any decision that differs, naming it.\n"
     "With --policy: what that policy would have decided, deficit by deficit and\n"
     "in total, the recorded history going on as it happened.\n"},
    {"simulate", cmd_simulate,
     "socloss simulate DB --policy FILE [--policy FILE...] (--account X | --shock MARKET:PCT) [--params JSON] [--json] [--report FILE.html]",
     "A dry run on the ledger, nothing kept: one deficit, or every bankruptcy a\n"
     "price shock causes (resolved in account-id order), under each policy side by\n"
     "side, with fairness figures: accounts charged, total charged, the largest\n"
     "charge as a share of that account's profit, the Gini coefficient of charges\n"
     "as a share of profit, notional deleveraged beyond what the shortfall needed\n"
     "(overshoot), fund used, bad debt, and a split test: the account that paid\n"
     "most, split in two halves, and how much more the halves pay together.\n"
     "--report writes them as an HTML page with inline SVG charts (no network).\n"},
    {"test", cmd_test, "socloss test FILE_test.lua...",
     "Runs policy test files: each case builds a throwaway ledger, resolves a\n"
     "deficit through the same engine path as resolve and compares what it was\n"
     "told to expect.  TAP on stdout; exit 1 when a case fails.\n"},
    {"check", cmd_check, "socloss check DB",
     "Verifies the invariants: sizes net to zero per market, open interest,\n"
     "conservation, journal contiguity, and that replaying the journal from empty\n"
     "reproduces the state.  Exit 1 when one fails.\n"},
};

static void main_usage(FILE *f) {
  fprintf(f, "usage: socloss COMMAND [ARGS]   (socloss COMMAND --help for more)\n\ncommands:\n");
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf(f, "  %s\n", commands[i].usage);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    main_usage(stderr);
    return EXIT_USAGE;
  }
  if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
    main_usage(stdout);
    return EXIT_DONE;
  }
  if (!strcmp(argv[1], "--version")) {
    printf("socloss %s\n", socloss_version());
    return EXIT_DONE;
  }
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
    if (strcmp(argv[1], commands[i].name) == 0) {
      current = &commands[i];
      int rc = commands[i].run(argc - 2, argv + 2);
      if (fflush(stdout) != 0) {
        fprintf(stderr, "socloss: cannot write output: %s\n", strerror(errno));
        return EXIT_REFUSED;
      }
      return rc;
    }
  }
  fprintf(stderr, "socloss: unknown command '%s'\n", argv[1]);
  main_usage(stderr);
  return EXIT_USAGE;
}
