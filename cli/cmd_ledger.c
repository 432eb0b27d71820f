/*
 * The commands that fill the ledger and look into it: init, import, apply,
 * show, journal, check, limits, units.
 */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* ---- init --------------------------------------------------------------- */

enum { UNITS_ASSET, UNITS_DECIMALS, UNITS_JSON };
static const opt init_opts[] = {
    [UNITS_ASSET] = {"--asset", 1, NULL}, [UNITS_DECIMALS] = {"--decimals", 1, NULL}, {NULL, 0, NULL}};

static socloss_units new_units;  /* init's --asset and --decimals, which the open gives the new ledger */

int init_args(call *c, int argc, char **argv) {
  int rc = parse_args(c, argc, argv, init_opts, 1, 1), given;
  if (rc == RUN) rc = units_options(c, c->value[UNITS_ASSET], c->value[UNITS_DECIMALS], &new_units, &given);
  if (rc == RUN && given) c->units = &new_units;
  return rc;
}

/* main() has created the ledger, with its units, by the time this runs
 * (CREATES). */
int cmd_init(call *c) {
  if (c->units)
    fprintf(stderr, "socloss: created ledger %s (units: %s with %d decimals)\n", c->db, c->units->asset,
            c->units->decimals);
  else
    fprintf(stderr, "socloss: created ledger %s\n", c->db);
  return EXIT_DONE;
}

/* ---- import ------------------------------------------------------------- */

/* In the order of the three sources of socloss_import_csv, which are call.in. */
static const opt import_opts[] = {
    {"--markets", 1, NULL}, {"--accounts", 1, NULL}, {"--positions", 1, NULL}, {NULL, 0, NULL}};

int import_args(call *c, int argc, char **argv) {
  int rc = parse_args(c, argc, argv, import_opts, 1, 1);
  if (rc != RUN) return rc;
  if (!c->value[0] && !c->value[1] && !c->value[2])
    return usage(c, "give at least one of --markets, --accounts, --positions");
  /* every file is tried, so that all the unreadable ones are told at once */
  for (int i = 0; i < 3; i++)
    if (c->value[i] && read_input(c, i, c->value[i], INPUT_FILE) != RUN) rc = EXIT_REFUSED;
  return rc;
}

int cmd_import(call *c) {
  socloss_import_stats st;
  socloss_progress pg;
  tty_progress_init(&pg, "import");
  int rc = socloss_import_csv_progress(c->led, c->value[0] ? &c->in[0] : NULL, c->value[1] ? &c->in[1] : NULL,
                                       c->value[2] ? &c->in[2] : NULL, &pg, &st);
  tty_progress_end(&pg);
  if (rc) return refused(c->led, rc);
  printf("imported %zu markets, %zu accounts, %zu positions\n", st.markets, st.accounts, st.positions);
  return EXIT_DONE;
}

/* ---- apply -------------------------------------------------------------- */

int apply_args(call *c, int argc, char **argv) {
  int rc = parse_args(c, argc, argv, NULL, 2, 2);
  if (rc != RUN) return rc;
  rc = read_input(c, 0, c->pos[1], INPUT_FILE);
  if (!strcmp(c->pos[1], "-")) c->in[0].name = "<stdin>";  /* the name in the library's FILE:LINE messages */
  return rc;
}

int cmd_apply(call *c) {
  size_t applied;
  int rc = socloss_apply_jsonl(c->led, &c->in[0], &applied);
  if (rc) return refused(c->led, rc);
  printf("applied %zu events\n", applied);
  return EXIT_DONE;
}

/* ---- show --------------------------------------------------------------- */

enum { SHOW_JSON, SHOW_ACCOUNT, SHOW_BANKRUPT };
static const opt show_opts[] = {
    [SHOW_JSON] = {"--json", 0, NULL}, [SHOW_ACCOUNT] = {"--account", 1, NULL},
    [SHOW_BANKRUPT] = {"--bankrupt", 0, NULL}, {NULL, 0, NULL}};

static json_t *positions_json(const socloss_account *a) {
  json_t *arr = json_array();
  for (size_t i = 0; i < a->npositions; i++) {
    const socloss_position *p = &a->positions[i];
    json_t *o = json_object();
    json_object_set_new(o, "market", json_text(p->market));
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
  json_t *doc;         /* --json: the document but its accounts, built before any is printed */
  cli_units cu;        /* the ledger's units: text shows amounts in them */
  int one;             /* --account: the object printed is the whole output */
} show_ctx;

/* "  MARKET:SIZE" per position; with a lot, the underlying's amount too */
static void print_positions(const show_ctx *c, const socloss_account *a) {
  char t[SOCLOSS_TEXT_MAX];
  for (size_t i = 0; i < a->npositions; i++) {
    const socloss_position *p = &a->positions[i];
    printf("  %s:%" PRId64, p->market, p->size);
    if (cli_lot(&c->cu, p->market)) printf(" (%s)", size_text(&c->cu, p->market, p->size, t));
  }
}

static int show_account(void *ud, const socloss_account *a) {
  show_ctx *c = ud;
  if (c->bankrupt_only && a->equity >= 0) return 0;
  c->deficit += a->equity < 0 ? a->equity : 0;
  if (c->json) {
    json_t *o = json_object();
    json_object_set_new(o, "account", json_text(a->account));
    json_object_set_new(o, "balance", json_integer(a->balance));
    json_object_set_new(o, "equity", json_integer(a->equity));
    json_object_set_new(o, "positions", positions_json(a));
    if (c->one) add_units_key(o, &c->cu);  /* once, in the object printed */
    if (c->shown) fputc(',', stdout);
    json_print(o);
  } else if (c->cu.u.asset[0]) {
    char b[SOCLOSS_TEXT_MAX], e[SOCLOSS_TEXT_MAX];
    printf("%-24s %28s %28s", a->account, amount_text(&c->cu, a->balance, b), amount_text(&c->cu, a->equity, e));
    print_positions(c, a);
    fputc('\n', stdout);
  } else {
    printf("%-24s %20" PRId64 " %20" PRId64, a->account, a->balance, a->equity);
    print_positions(c, a);
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
    json_object_set_new(c->doc, "fund", o);
  } else {
    const cli_units *cu = &c->cu;
    char x[SOCLOSS_TEXT_MAX], y[SOCLOSS_TEXT_MAX], z[SOCLOSS_TEXT_MAX];
    printf("fund cash %s equity %s\n", amount_text(cu, a->balance, x), amount_text(cu, a->equity, y));
    for (size_t i = 0; i < a->npositions; i++) {
      const socloss_position *p = &a->positions[i];
      printf("  fund position %s size %" PRId64, p->market, p->size);
      if (cli_lot(cu, p->market)) printf(" (%s)", size_text(cu, p->market, p->size, x));
      printf(" cost %s upnl %s\n", amount_text(cu, p->cost, y), amount_text(cu, p->upnl, z));
    }
  }
  return 0;
}

static int show_market(void *ud, const socloss_market *m) {
  show_ctx *c = ud;
  if (c->json) {
    json_t *o = json_object();
    json_object_set_new(o, "market", json_text(m->market));
    json_object_set_new(o, "mark", json_integer(m->mark));
    json_object_set_new(o, "open_interest", json_integer(m->open_interest));
    const socloss_lot *lot = cli_lot(&c->cu, m->market);
    if (lot) lot_json(lot, o);  /* with units, since the lot came */
    json_array_append_new(json_object_get(c->doc, "markets"), o);
  } else {
    char x[SOCLOSS_TEXT_MAX], y[SOCLOSS_TEXT_MAX];
    const socloss_lot *lot = cli_lot(&c->cu, m->market);
    printf("market %s mark %s open_interest %" PRId64, m->market, price_text(&c->cu, m->market, m->mark, x),
           m->open_interest);
    if (lot) printf(" (%s) lot %s %s", size_text(&c->cu, m->market, m->open_interest, x), lot_decimal(lot, y),
                    lot->underlying);
    fputc('\n', stdout);
  }
  return 0;
}

int show_args(call *c, int argc, char **argv) {
  return parse_args(c, argc, argv, show_opts, 1, 1);
}

/* The JSON document is jansson's: the fund, the totals and the markets
 * first, with an empty "accounts" array last; it is printed but its closing
 * "]}", then each account, which may be millions (a tree of them all would
 * take far more memory than the ledger's text), is written into it by
 * jansson as it is read, and the "]}" last. */
static int show_json(socloss *led, show_ctx *sc, const socloss_totals *tot, int *oom) {
  sc->doc = json_object();
  int rc = socloss_account_get(led, "", show_fund, sc);
  if (!rc) {
    json_object_set_new(sc->doc, "bad_debt", json_integer(tot->bad_debt));
    json_object_set_new(sc->doc, "net_flows", json_integer(tot->net_flows));
    json_object_set_new(sc->doc, "markets", json_array());
    rc = socloss_markets(led, show_market, sc);
  }
  add_units_key(sc->doc, &sc->cu);  /* before "accounts", which is written last, account by account */
  json_object_set_new(sc->doc, "accounts", json_array());
  char *head = rc ? NULL : json_dumps(sc->doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
  json_decref(sc->doc);
  size_t n = head ? strlen(head) : 0;
  *oom = !rc && (n < 3 || strcmp(head + n - 3, "[]}"));  /* jansson ran out of memory */
  if (!rc && !*oom) {
    fwrite(head, 1, n - 2, stdout);
    rc = socloss_accounts(led, show_account, sc);
    if (!rc) fputs("]}\n", stdout);
  }
  free(head);
  return rc;
}

int cmd_show(call *c) {
  socloss *led = c->led;
  show_ctx sc = {.json = c->value[SHOW_JSON] != NULL, .bankrupt_only = c->value[SHOW_BANKRUPT] != NULL};
  socloss_totals tot;
  int rc = cli_units_load(led, &sc.cu), oom = 0;
  if (!rc) rc = socloss_totals_get(led, &tot);
  sc.one = c->value[SHOW_ACCOUNT] != NULL;
  if (!rc && c->value[SHOW_ACCOUNT]) {
    /* one account, in the shape of an element of "accounts" */
    rc = socloss_account_get(led, c->value[SHOW_ACCOUNT], show_account, &sc);
    if (!rc && sc.json) fputc('\n', stdout);
  } else if (!rc && sc.json) {
    rc = show_json(led, &sc, &tot, &oom);
  } else if (!rc) {
    rc = socloss_account_get(led, "", show_fund, &sc);
    if (!rc) {
      char x[SOCLOSS_TEXT_MAX], y[SOCLOSS_TEXT_MAX];
      printf("bad_debt %s\nnet_flows %s\n", amount_text(&sc.cu, tot.bad_debt, x),
             amount_text(&sc.cu, tot.net_flows, y));
      rc = socloss_markets(led, show_market, &sc);
    }
    if (!rc) {
      int w = sc.cu.u.asset[0] ? 28 : 20;  /* room for "1,234.567890 USD" */
      printf("%-24s %*s %*s  positions\n", "account", w, "balance", w, "equity");
      rc = socloss_accounts(led, show_account, &sc);
    }
    if (!rc && sc.bankrupt_only) {
      /* the sum of many deficits can pass int64: all 128 bits are printed */
      char d[SOCLOSS_TEXT_MAX];
      printf("bankrupt accounts %zu, total deficit %s\n", sc.shown, amount128_text(&sc.cu, -sc.deficit, d));
    }
  }
  cli_units_free(&sc.cu);
  if (oom) {
    fprintf(stderr, "socloss: out of memory\n");
    return EXIT_REFUSED;
  }
  return rc ? refused(led, rc) : EXIT_DONE;
}

/* ---- journal ------------------------------------------------------------ */

enum { JOURNAL_JSON, JOURNAL_FROM };
static const opt journal_opts[] = {
    [JOURNAL_JSON] = {"--json", 0, NULL}, [JOURNAL_FROM] = {"--from", 1, NULL}, {NULL, 0, NULL}};

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

int journal_args(call *c, int argc, char **argv) {
  uint64_t from;
  int rc = parse_args(c, argc, argv, journal_opts, 1, 1);
  return rc != RUN ? rc : from_option(c, c->value[JOURNAL_FROM], 1, &from);
}

int cmd_journal(call *c) {
  uint64_t from;
  from_option(c, c->value[JOURNAL_FROM], 1, &from);  /* journal_args has checked it */
  int json = c->value[JOURNAL_JSON] != NULL;
  int rc = socloss_journal(c->led, from, print_record, &json);
  return rc ? refused(c->led, rc) : EXIT_DONE;
}

/* ---- check -------------------------------------------------------------- */

int check_args(call *c, int argc, char **argv) {
  return parse_args(c, argc, argv, NULL, 1, 1);
}

int cmd_check(call *c) {
  socloss_check_report r;
  socloss_progress pg;
  tty_progress_init(&pg, "check");
  int rc = socloss_check_progress(c->led, &pg, &r);
  tty_progress_end(&pg);
  /* a failed invariant still has its report printed, then refuses */
  if (rc && rc != SOCLOSS_EINVARIANT) return refused(c->led, rc);
  printf("%s - sizes net to zero in every market\n", r.sizes_net_zero ? "ok" : "FAILED");
  printf("%s - open interest matches the positions\n", r.open_interest_ok ? "ok" : "FAILED");
  printf("%s - conservation: equity + fund - bad debt = net flows\n", r.conservation ? "ok" : "FAILED");
  printf("%s - journal contiguous (%" PRIu64 " records)\n", r.journal_contiguous ? "ok" : "FAILED",
         r.records);
  printf("%s - replaying the journal reproduces the state\n", r.replay_matches ? "ok" : "FAILED");
  printf("digest ");
  for (int i = 0; i < 32; i++) printf("%02x", r.digest[i]);
  printf("\n");
  return rc ? refused(c->led, rc) : EXIT_DONE;
}

/* ---- limits ------------------------------------------------------------- */

static const opt limits_opts[] = {{"--instructions", 1, NULL}, {"--memory", 1, NULL}, {"--wall-ms", 1, NULL},
                                  {"--fund-max-draw", 1, NULL}, {NULL, 0, NULL}};

int limits_args(call *c, int argc, char **argv) {
  return parse_args(c, argc, argv, limits_opts, 1, 1);
}

/* The values are checked only once the ledger is open, as they always were: on
 * a ledger that will not open, a bad value is a refusal, not a usage error. */
int cmd_limits(call *c) {
  socloss_limits lim;
  int rc = socloss_limits_get(c->led, &lim);
  int changed = 0;
  for (int k = 0; !rc && k < 4; k++) {
    const char *s = c->value[k];
    if (!s) continue;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || !*s || v < 0) return usage(c, "%s: not a non-negative integer: '%s'", limits_opts[k].name, s);
    if (k == 0) lim.instructions = (uint64_t)v;
    if (k == 1) lim.memory = (uint64_t)v;
    if (k == 2) lim.wall_ms = (uint64_t)v;
    if (k == 3) lim.fund_max_draw = v;
    changed = 1;
  }
  if (!rc && changed) rc = socloss_limits_set(c->led, &lim);
  cli_units cu;
  if (!rc) rc = cli_units_load(c->led, &cu);
  if (!rc) {
    printf("instructions %" PRIu64 "\nmemory %" PRIu64 "\nwall_ms %" PRIu64 "\nfund_max_draw %" PRId64,
           lim.instructions, lim.memory, lim.wall_ms, lim.fund_max_draw);
    char t[SOCLOSS_TEXT_MAX];
    /* the cap is given in atoms (--fund-max-draw ATOMS); in units, what that is */
    if (cu.u.asset[0]) printf(" (%s)", amount_text(&cu, lim.fund_max_draw, t));
    putchar('\n');
    cli_units_free(&cu);
  }
  return rc ? refused(c->led, rc) : EXIT_DONE;
}

/* ---- units -------------------------------------------------------------- */

static const opt units_opts[] = {[UNITS_ASSET] = {"--asset", 1, NULL}, [UNITS_DECIMALS] = {"--decimals", 1, NULL},
                                 [UNITS_JSON] = {"--json", 0, NULL}, {NULL, 0, NULL}};

static socloss_units set_units;  /* --asset and --decimals, set once the ledger is open */
static int units_given;

int units_args(call *c, int argc, char **argv) {
  int rc = parse_args(c, argc, argv, units_opts, 1, 1);
  return rc != RUN ? rc : units_options(c, c->value[UNITS_ASSET], c->value[UNITS_DECIMALS], &set_units, &units_given);
}

static void print_units(const cli_units *cu, int json) {
  char t[SOCLOSS_TEXT_MAX];
  if (json) {
    json_t *o = json_object(), *lots = json_array();
    json_t *u = units_json(cu);
    json_object_set_new(o, "units", u ? u : json_null());
    for (size_t i = 0; i < cu->n; i++)
      json_array_append_new(lots, lot_json(&cu->lots[i], json_pack("{s:s}", "market", cu->lots[i].market)));
    json_object_set_new(o, "lots", lots);
    json_print(o);
    putchar('\n');
    return;
  }
  if (!cu->u.asset[0]) {
    printf("no units: amounts are atoms, sizes lots, prices atoms per lot\n");
    return;
  }
  printf("asset %s\ndecimals %d\n", cu->u.asset, cu->u.decimals);
  for (size_t i = 0; i < cu->n; i++)
    printf("lot %s %s %s\n", cu->lots[i].market, lot_decimal(&cu->lots[i], t), cu->lots[i].underlying);
}

/* Shows the units and the lots; with --asset and --decimals sets the units
 * first (while the ledger holds no amount). */
int cmd_units(call *c) {
  cli_units cu;
  int rc = cli_units_load(c->led, &cu);
  if (!rc && units_given) {
    if (!strcmp(cu.u.asset, set_units.asset) && cu.u.decimals == set_units.decimals) {
      fprintf(stderr, "socloss: the units are already %s with %d decimals; nothing written\n", cu.u.asset,
              cu.u.decimals);
    } else if (!(rc = socloss_units_set(c->led, &set_units))) {
      fprintf(stderr, "socloss: units set: %s with %d decimals\n", set_units.asset, set_units.decimals);
      cli_units_free(&cu);
      rc = cli_units_load(c->led, &cu);
    }
  }
  if (!rc) print_units(&cu, c->value[UNITS_JSON] != NULL);
  cli_units_free(&cu);
  return rc ? refused(c->led, rc) : EXIT_DONE;
}
