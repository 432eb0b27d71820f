/*
 * cli.h — private to cli/: how main() runs a command, the argument parser and
 * the helpers the commands share.  The CLI sees the library through socloss.h
 * alone.
 *
 * A command runs in two steps around the ledger.  Its args step reads the
 * arguments and the files they name, so that a usage error or an unreadable
 * file is told before any ledger is opened; then main() opens the ledger the
 * command's flags ask for, calls the run step and closes the ledger.
 */
#ifndef SOCLOSS_CLI_H
#define SOCLOSS_CLI_H

#include <jansson.h>
#include <stdint.h>

#include "socloss.h"

enum { EXIT_DONE = 0, EXIT_REFUSED = 1, EXIT_USAGE = 2, EXIT_INTERRUPTED = 130 /* 128 + SIGINT */ };

/* What an args step returns to have the run step called; anything else is
 * the exit status, with nothing opened. */
#define RUN (-1)

/* command.flags: what main() does around the run step. */
enum {
  NEEDS_LEDGER = 1 << 0,    /* opens call.db before it and closes it after */
  CREATES = 1 << 1,         /* a new ledger, refused if one is there */
  NO_SYNC_OPTION = 1 << 2,  /* takes --unsafe-no-sync for the ledger it opens */
};

struct call;

typedef struct command {
  const char *name;
  int (*args)(struct call *c, int argc, char **argv);  /* RUN, or the exit status */
  int (*run)(struct call *c);                          /* the exit status */
  unsigned flags;
  const char *usage;
  const char *help;
} command;

/* An option a command takes, in a list ended by a NULL name. */
typedef struct opt {
  const char *name;    /* "--json" */
  int values;          /* 0: a flag; 1: takes a value; N > 1: a value, up to N times (call.list);
                          -N: a value, up to N times (call.more: a second repeated option)
                          WITH_LAST: a value for the list's last value so far (call.with) */
  const char *plural;  /* with N > 1: what "at most N ..." counts */
} opt;

#define MAX_OPTS 12   /* the longest option list of a command */
#define WITH_LAST (-1000000)  /* opt.values: "--with JSON" after a "--policy FILE" (not a -N) */
#define MAX_LIST 16   /* the most values a list option takes */
#define MAX_POS 256   /* the most positional arguments (test's files) */

/* One run of a command: what its arguments said and what its args step read,
 * for its run step. */
typedef struct call {
  const command *cmd;
  const char *value[MAX_OPTS];  /* each option's value in the order of its list: "" for a flag, NULL when not given */
  const char *list[MAX_LIST];   /* the values of the option that may be given more than once */
  int nlist;
  const char *with[MAX_LIST];   /* with[k]: the WITH_LAST option's value given after list[k], or NULL */
  const char *more[MAX_LIST];   /* the values of a second option that may be given more than once */
  int nmore;
  const char *pos[MAX_POS];     /* the positional arguments */
  int npos;
  const char *db;               /* the ledger: the first positional argument unless the args step says otherwise */
  int nosync;                   /* --unsafe-no-sync */
  socloss_source in[3];         /* the files read before the ledger opens; main() frees them */
  char *policy_file[3];         /* in[i] is a policy read from this file: main() names its source by it
                                   (the messages that locate its errors) and frees it */
  socloss *led;                 /* with NEEDS_LEDGER, open while the run step runs */
  const socloss_units *units;   /* init: the new ledger's units (the open's option), or NULL */
} call;

/* ---- args.c ---- */

/* Prints "socloss CMD: <message>" and the command's usage line to stderr;
 * returns EXIT_USAGE. */
int usage(const call *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Splits argv into the options of `opts` (NULL: none) and minpos to maxpos
 * positional arguments.  Returns RUN, or EXIT_DONE once --help is printed,
 * or EXIT_USAGE once the error is. */
int parse_args(call *c, int argc, char **argv, const opt *opts, int minpos, int maxpos);
/* --from SEQ into *from (1 when s is NULL).  Returns RUN, or EXIT_USAGE once
 * the error is printed.  `strict` refuses a signed or out-of-range number,
 * as journal does; replay has always taken strtoull's reading of one. */
int from_option(const call *c, const char *s, int strict, uint64_t *from);

/* ---- common.c ---- */

/* The most the CLI reads of a file, by kind; a file over it is refused by
 * name, after reading at most cap + 1 bytes (a regular file's size tells at
 * once), so that a device (/dev/zero), a pipe or a wrong file never exhausts
 * the memory.
 *   A policy: 256 KiB + 1 byte, one byte more than the library's evaluator
 *   takes (EVAL_SOURCE_MAX in engine/common/evalproto.h, which the CLI may
 *   not include: it sees the library through socloss.h alone).  A source
 *   just over the evaluator's limit still reaches it and is refused there
 *   with the library's own message; anything longer is not read.
 *   CSV and JSON Lines: 1 GiB, far above a real import or batch (the
 *   benchmark's 500,000 accounts and 1,000,000 positions are 47 MB of CSV)
 *   and well below what would take a host's memory by mistake. */
#define CLI_POLICY_MAX ((size_t)256 * 1024 + 1)
#define CLI_INPUT_MAX ((size_t)1 << 30)
typedef enum { POLICY_FILE, INPUT_FILE, SCENARIO_FILE } file_kind;

/* ---- scenario.c ---- */

/* A move's PCT (an optional sign, digits, at most 4 decimals; > -100, at
 * most 1000000) into *ppm exactly.  0, or -1 with the reason in why. */
int pct_of(const char *pct, int64_t *ppm, char *why, size_t wlen);

/* --scenario FILE (docs/cli.md, "simulate"): at most SCENARIO_STEPS_MAX
 * steps of at most SCENARIO_MOVES_MAX moves, the file at most
 * SCENARIO_FILE_MAX bytes. */
#define SCENARIO_STEPS_MAX 1000
#define SCENARIO_MOVES_MAX 64
#define SCENARIO_FILE_MAX ((size_t)1 << 20)
typedef struct scenario {
  socloss_sim_step *steps;
  size_t nsteps;
  socloss_shock *moves;                /* the steps' moves */
  char (*names)[SOCLOSS_ID_MAX + 1];   /* their markets */
  size_t line[SCENARIO_STEPS_MAX];     /* each step's line in the file */
  char why[600];                       /* "FILE:LINE: field: reason" */
} scenario;
/* Reads data (the file's len bytes) into sc: 0, or -1 with sc->why.
 * scenario_free either way. */
int scenario_parse(scenario *sc, const char *file, const char *data, size_t len);
void scenario_free(scenario *sc);

/* Prints the library's message for rc; returns EXIT_REFUSED. */
int refused(socloss *led, int rc);
/* Opens c->db as c->cmd->flags say; NULL once the refusal is printed. */
socloss *open_ledger(const call *c);
/* Reads a whole file ("-": stdin) of at most the kind's cap; NULL once the
 * error is printed. */
char *read_all(const char *path, file_kind kind, size_t *len);
/* Reads a file the run step needs into c->in[slot], named by its path;
 * RUN, or EXIT_REFUSED once the error is printed. */
int read_input(call *c, int slot, const char *path, file_kind kind);

/* A progress line on stderr when it is a terminal (never in a pipe or a
 * file, where it would only be noise): tty_progress_init fills p for
 * socloss_*_progress calls, or leaves p->fn NULL; tty_progress_end clears
 * the line. */
void tty_progress_init(socloss_progress *p, const char *what);
void tty_progress_end(const socloss_progress *p);

/* ---- policy_ref.c: a policy named on the command line ---- */

/* REF (--policy, policy add|set) into c->in[slot], named REF: a file at that
 * path, else a shipped policy (REF.lua in the reference policies'
 * directory).  RUN, also when it is neither (c->in[slot].data stays NULL
 * for policy_registered once the ledger is open); EXIT_REFUSED once an
 * error is printed. */
int policy_input(call *c, int slot, const char *ref);
/* The same where the registry is no place to look (policy add|set): REF
 * neither a file nor shipped is refused. */
int policy_input_file(call *c, int slot, const char *ref);
/* With the ledger open: what policy_input did not find, from the ledger's
 * registry (NAME, NAME@VERSION, hash).  RUN, or EXIT_REFUSED once the
 * refusal is printed. */
int policy_registered(call *c, int slot);
/* All three places at once, the ledger open: the source (malloc'd), or
 * NULL once the error is printed. */
char *policy_load(socloss *led, const char *ref, size_t *len);

/* Machine output is JSON built by jansson, never by hand (common.c). */
/* A JSON string of s: s as it is when it is UTF-8, which jansson requires,
 * else each byte that is not (a path need not be UTF-8) as U+FFFD. */
json_t *json_text(const char *s);
/* Prints v compact, keys in the order set, and takes v's reference. */
void json_print(json_t *v);

/* ---- units.c: what the ledger's integers are, as people read them ---- */

/* The units and the markets' lots, loaded once by a command that prints. */
typedef struct cli_units {
  socloss_units u;     /* asset "": no units, and every text below is the plain integer */
  socloss_lot *lots;   /* the markets that have a lot, in id order */
  size_t n, cap;
} cli_units;

/* A socloss code; the units are none when it is not SOCLOSS_OK. */
int cli_units_load(socloss *led, cli_units *cu);
void cli_units_free(cli_units *cu);
/* A market's lot, or NULL when it has none. */
const socloss_lot *cli_lot(const cli_units *cu, const char *market);
/* Into buf (SOCLOSS_TEXT_MAX bytes), returned: "1,234.567890 USD",
 * "60,000.000 USD/BTC", "-0.003 BTC"; without units the integer.  A size
 * is lots when the market has no lot. */
const char *amount_text(const cli_units *cu, int64_t atoms, char *buf);
const char *amount128_text(const cli_units *cu, __int128 atoms, char *buf);
const char *price_text(const cli_units *cu, const char *market, int64_t atoms_per_lot, char *buf);
const char *size_text(const cli_units *cu, const char *market, int64_t lots, char *buf);
/* {"asset","decimals"}, or NULL without units; add_units_key sets it as
 * "units" in o (nothing without units): JSON keeps atoms, and says once
 * what they are. */
json_t *units_json(const cli_units *cu);
void add_units_key(json_t *o, const cli_units *cu);
/* A lot as the decimal it was given ("0.001", never grouped), and as the
 * keys "lot" and "underlying" added to o (returned). */
const char *lot_decimal(const socloss_lot *lot, char *buf);
json_t *lot_json(const socloss_lot *lot, json_t *o);
/* --asset SYMBOL --decimals N (both or neither) into *out; RUN, or the
 * usage error's status.  *given is set when they were. */
int units_options(const call *c, const char *asset, const char *decimals, socloss_units *out, int *given);

/* ---- the commands' two steps ---- */

/* cmd_ledger.c */
int init_args(call *c, int argc, char **argv);
int cmd_init(call *c);
int import_args(call *c, int argc, char **argv);
int cmd_import(call *c);
int apply_args(call *c, int argc, char **argv);
int cmd_apply(call *c);
int show_args(call *c, int argc, char **argv);
int cmd_show(call *c);
int journal_args(call *c, int argc, char **argv);
int cmd_journal(call *c);
int check_args(call *c, int argc, char **argv);
int cmd_check(call *c);
int limits_args(call *c, int argc, char **argv);
int cmd_limits(call *c);
int units_args(call *c, int argc, char **argv);
int cmd_units(call *c);

/* cmd_resolve.c */
int resolve_args(call *c, int argc, char **argv);
int cmd_resolve(call *c);

/* cmd_policy.c */
int policy_args(call *c, int argc, char **argv);
int cmd_policy(call *c);
int test_args(call *c, int argc, char **argv);
int cmd_test(call *c);

/* cmd_audit.c */
int replay_args(call *c, int argc, char **argv);
int cmd_replay(call *c);
/* The text's "who pays differently": the accounts that would pay most more,
 * then most less (replay's, and simulate's for its second policy on). */
void print_who(const struct cli_units *cu, const char *head, socloss_replay_account *v, size_t n);
/* cmd_simulate.c */
int simulate_args(call *c, int argc, char **argv);
int cmd_simulate(call *c);

/* The figures of a simulation, one row each, for the text table and the HTML
 * report alike (cmd_simulate.c). */
#define FIGURES 11
extern const char *const figure_labels[FIGURES];
struct cli_units;
void figure_cell(const struct cli_units *cu, const socloss_sim_result *r, size_t row, char *out, size_t len);

/* ---- payers.c ---- */

/* An account and what it was charged, with its profit. */
typedef struct payer {
  const char *account;
  int64_t charge, profit;
} payer;

/* The accounts of charges (account -> [charge, profit]), the largest charge
 * first (equal ones in id order): *n of them, malloc'd (NULL: out of
 * memory); the strings are charges' keys. */
payer *payers_sorted(json_t *charges, size_t *n);
/* The accounts col charges differently from first (both account ->
 * [charge, ...]): recorded = first's charge, replayed = col's, in id order;
 * *n of them, malloc'd (NULL: out of memory), the strings the maps' keys. */
socloss_replay_account *charges_vs(json_t *first, json_t *col, size_t *n);
void sort_by_account(socloss_replay_account *v, size_t n);
/* The largest |replayed - recorded| first, equal ones in id order. */
void sort_by_change(socloss_replay_account *v, size_t n);

/* ---- svg.c: the report page's text and axis primitives ---- */

void html_text(FILE *f, const char *s);  /* s, HTML-escaped */
/* The width in px of s at size px, a little more than it takes (DejaVu
 * Sans' advance widths; a byte past ASCII starts a 1-em character). */
double text_px(const char *s, double size);
/* s cut into at most max lines of at most LABEL_WRAP bytes, after a space
 * or one of "/_-," when there is one, never inside a UTF-8 character. */
#define LABEL_WRAP 26
int label_wrap(const char *s, char lines[][SOCLOSS_TEXT_MAX], int max);
/* A one-line <text>; anchor "start", "middle" or "end"; cls may be NULL. */
void svg_text(FILE *f, double x, double y, int size, const char *anchor, const char *cls, const char *s);
double nice_step(double span);                      /* 1, 2 or 5 x 10^k: about 4 ticks over span */
void tick_text(double v, char *buf, size_t len);    /* 1.5k, 3M, -2.5B, 0.25 */

/* ---- report.c ---- */

/* One column of the report: a policy run. */
typedef struct report_col {
  const char *name;               /* the column's label */
  const char *file;               /* the policy as given */
  const char *hash;               /* its SHA-256, hex */
  const char *params;             /* as given, or NULL */
  const socloss_sim_result *r;
  json_t *charges;                /* the charged: account -> [charge, profit] */
  json_t *everyone;               /* charged or in profit: account -> [charge, profit] */
} report_col;

/* Writes the simulate --report page (report.c's comment says what it
 * shows) for n columns side by side.  Returns the exit status. */
int html_report(const char *path, const char *what, const struct cli_units *cu, const report_col *col, int n);

#endif
