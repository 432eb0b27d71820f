/*
 * socloss — the command-line shell over libsocloss.  It parses arguments,
 * reads files, calls the public API and prints; all ledger logic is in the
 * library.  Exit codes: 0 done, 1 refused input or operation, 2 usage.
 * Machine output goes to stdout, messages to stderr.
 *
 * This file is the table of commands and the dispatch; each command is in a
 * cmd_*.c file (cli.h says how one is called).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* `socloss --help` lists them in this order. */
static const command commands[] = {
    {"init", init_args, cmd_init, NEEDS_LEDGER | CREATES | NO_SYNC_OPTION,
     "socloss init DB [--unsafe-no-sync]",
     "Creates an empty ledger in directory DB (refused if one exists).\n"
     "--asset SYMBOL --decimals N (both or neither) give it units: amounts in CSV and JSON Lines are then\n"
     "decimals of SYMBOL (an atom is 10^-N of it), prices per unit of each market's\n"
     "underlying (its lot, given when it is listed), and output shows them.\n"},
    {"import", import_args, cmd_import, NEEDS_LEDGER | NO_SYNC_OPTION,
     "socloss import DB [--markets F] [--accounts F] [--positions F] [--unsafe-no-sync]",
     "Bulk-loads CSV files with header rows, all in one transaction:\n"
     "  markets:   market,mark_price        (with units also: market,mark_price,lot)\n"
     "  accounts:  account,balance\n"
     "  positions: account,market,size,entry_price\n"
     "Accounts and positions must be new; per market the positions must net to zero.\n"
     "A bad row refuses everything with FILE:LINE: FIELD: REASON.\n"},
    {"apply", apply_args, cmd_apply, NEEDS_LEDGER | NO_SYNC_OPTION,
     "socloss apply DB FILE|- [--unsafe-no-sync]",
     "Applies JSON Lines events in one transaction, e.g.\n"
     "  {\"type\":\"market\",\"market\":\"BTC-PERP\",\"mark\":60000000}\n"
     "  {\"type\":\"deposit\",\"account\":\"alice\",\"amount\":1000000}\n"
     "  {\"type\":\"withdraw\",\"account\":\"alice\",\"amount\":500}\n"
     "  {\"type\":\"trade\",\"market\":\"BTC-PERP\",\"buyer\":\"alice\",\"seller\":\"bob\","
     "\"size\":3,\"price\":60000000}\n"
     "  {\"type\":\"fund\",\"amount\":1000000}\n"
     "  {\"type\":\"deficit\",\"id\":\"d-1\",\"account\":\"bob\",\"policy\":\"policies/pro_rata.lua\"}\n"
     "A bad line refuses the whole file with FILE:LINE: FIELD: REASON.\n"},
    {"show", show_args, cmd_show, NEEDS_LEDGER,
     "socloss show DB [--json] [--account ID] [--bankrupt]",
     "Prints the fund, bad debt, markets and accounts (--bankrupt: only accounts\n"
     "with negative equity; --account: one account).\n"},
    {"journal", journal_args, cmd_journal, NEEDS_LEDGER,
     "socloss journal DB [--json] [--from SEQ]",
     "Prints the journal, one record per line (--json: one JSON object per line).\n"},
    {"resolve", resolve_args, cmd_resolve, NEEDS_LEDGER,
     "socloss resolve DB ACCOUNT [--id ID] [--policy POLICY] [--params JSON] [--dry-run] [--json]\n"
     "       socloss resolve DB --all-bankrupt --event ID [--joint] [--policy POLICY] [--params JSON] [--dry-run] [--json]",
     "Resolves the deficit of bankrupt ACCOUNT: bankruptcy prices, the policy's\n"
     "deleverage, takeover by the fund, the fund draw, the policy's haircuts, bad\n"
     "debt, one journal record, all in one transaction.  Without --policy the\n"
     "ledger's active policy decides (socloss policy set).  --dry-run writes nothing.\n"
     "POLICY is a file, else a shipped policy (pro_rata, venues/NAME), else one of\n"
     "the ledger's registry (NAME, NAME@VERSION, HASH), looked for in that order.\n"
     "Exit 1 when refused or when the policy (and the fallback) failed.\n"
     "--all-bankrupt resolves every bankrupt account as one crash event ID, in one\n"
     "transaction: one by one in account-id order (deficit ids ID:ACCOUNT), each\n"
     "policy call seeing the event (ctx.event); --json prints one line per deficit\n"
     "then the totals.  Exit 1 when some could not be resolved (the rest are\n"
     "applied, the failures journaled).  --joint makes the crash one decision:\n"
     "steps 1-4 per account, then one haircut call for the combined shortfall,\n"
     "credited to the holes in proportion; one line per account, one for the\n"
     "event's haircuts, then the totals.\n"},
    {"policy", policy_args, cmd_policy, NEEDS_LEDGER,
     "socloss policy add|list|show|activate|fallback|shadow|set|clear DB [FILE|NAME|HASH] "
     "[--market M] [--params JSON] [--fallback] [--json] [--note TEXT] [--at TIME]",
     "The ledger's policies.  Every policy is loaded in the sandbox and its shape\n"
     "checked first; one that does not load is refused and nothing changes.\n"
     "  add DB FILE              into the registry (by SHA-256, with name and version);\n"
     "                           FILE may name a shipped policy (pro_rata);\n"
     "                           --note TEXT: who proposes it and why, kept with it\n"
     "  list DB [--json]         the registry, with each policy's roles per market\n"
     "  show DB REF              one entry and its source (REF: NAME, NAME@VERSION, HASH)\n"
     "  activate DB REF          the active policy, ledger-wide or --market M; the\n"
     "                           shadow, if it is this policy, is cleared\n"
     "  fallback DB REF          the policy that runs when the active one fails\n"
     "  shadow DB REF|off        a policy that decides every deficit too, never applied;\n"
     "                           its decision and how it differs are journaled\n"
     "  set DB FILE / clear DB   the active (--fallback: fallback) policy from a file\n"
     "Changes are journaled: the policy in force at any journal record can be told;\n"
     "one that changes nothing writes nothing.  --market must name a market of the\n"
     "ledger.  --at TIME (UTC, 2024-05-01T12:00:00Z, or now: this machine's clock)\n"
     "is recorded with a change; nothing reads a clock otherwise.\n"},
    {"limits", limits_args, cmd_limits, NEEDS_LEDGER,
     "socloss limits DB [--instructions N] [--memory BYTES] [--wall-ms MS] [--fund-max-draw ATOMS]",
     "Shows, or sets, the per-call policy limits and the most the fund pays per\n"
     "deficit (0: no cap).  Journaled.\n"},
    {"units", units_args, cmd_units, NEEDS_LEDGER,
     "socloss units DB [--asset SYMBOL --decimals N] [--json]",
     "Shows the ledger's units (the settlement asset, its decimals) and each market's\n"
     "lot.  --asset and --decimals set the units, while the ledger holds no amount\n"
     "(journaled); refused once it does.\n"},
    {"replay", replay_args, cmd_replay, NEEDS_LEDGER,
     "socloss replay DB [--policy POLICY [--params JSON]] [--from SEQ] [--json]",
     "Re-runs the journal's deficits from the journal alone, nothing written.\n"
     "Without --policy: each with the policy and params on record (kept in the\n"
     "registry): a verification; exit 1 at any decision that differs, naming it.\n"
     "With --policy: what that policy would have decided, deficit by deficit and\n"
     "in total, the recorded history going on as it happened, and who would pay\n"
     "differently (per account, in --json).\n"},
    {"simulate", simulate_args, cmd_simulate, NEEDS_LEDGER,
     "socloss simulate DB --policy POLICY [--with JSON] [--policy POLICY [--with JSON]...] (--account X | "
     "--shock MARKET:PCT [--shock MARKET:PCT...] | --scenario FILE) [--params JSON] [--json] [--report FILE.html] "
     "[--no-split]",
     "A dry run on the ledger, nothing kept: one deficit, or every bankruptcy a\n"
     "price shock causes (every --shock applied first, then the bankrupt resolved\n"
     "in account-id order; --scenario FILE: steps of moves, each followed by\n"
     "resolving what went bankrupt), under each policy side by\n"
     "side, with fairness figures: accounts charged, total charged, the largest\n"
     "charge as a share of that account's profit, the Gini coefficient of charges\n"
     "as a share of profit, notional deleveraged beyond what the shortfall needed\n"
     "(overshoot), fund used, bad debt, and a split test: the account that paid\n"
     "most, split in two halves, and how much more the halves pay together\n"
     "(--no-split: not run, the crash resolved once per policy).\n"
     "--with after a --policy: that policy's params (--params: the others').\n"
     "--report writes them as an HTML page with inline SVG charts (no network).\n"},
    {"test", test_args, cmd_test, 0,
     "socloss test FILE_test.lua...",
     "Runs policy test files: each case builds a throwaway ledger, resolves a\n"
     "deficit through the same engine path as resolve and compares what it was\n"
     "told to expect.  TAP on stdout; exit 1 when a case fails.\n"},
    {"check", check_args, cmd_check, NEEDS_LEDGER,
     "socloss check DB",
     "Verifies the invariants: sizes net to zero per market, open interest,\n"
     "conservation, journal contiguity, and that replaying the journal from empty\n"
     "reproduces the state.  Exit 1 when one fails.\n"},
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void main_usage(FILE *f) {
  fprintf(f, "usage: socloss COMMAND [ARGS]   (socloss COMMAND --help for more)\n\ncommands:\n");
  for (size_t i = 0; i < NCOMMANDS; i++)
    fprintf(f, "  %s\n", commands[i].usage);
}

/* The arguments and the files they name first, so that neither a usage error
 * nor an unreadable file leaves a ledger opened (or, with CREATES, created). */
static int dispatch(const command *cmd, int argc, char **argv) {
  call c = {.cmd = cmd};
  int status = cmd->args(&c, argc, argv);
  if (status == RUN && (cmd->flags & NEEDS_LEDGER) && !(c.led = open_ledger(&c))) status = EXIT_REFUSED;
  /* an error in a policy file is located by the file's name: "proposal.lua:3: ..." */
  for (size_t i = 0; status == RUN && c.led && i < sizeof c.in / sizeof c.in[0]; i++)
    if (c.policy_file[i] && c.in[i].data) socloss_policy_source_name(c.led, c.in[i].data, c.in[i].len, c.policy_file[i]);
  if (status == RUN) status = cmd->run(&c);
  socloss_close(c.led);
  for (size_t i = 0; i < sizeof c.in / sizeof c.in[0]; i++) {
    free((char *)c.in[i].data);
    free(c.policy_file[i]);
  }
  return status;
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
  for (size_t i = 0; i < NCOMMANDS; i++) {
    if (strcmp(argv[1], commands[i].name) == 0) {
      int rc = dispatch(&commands[i], argc - 2, argv + 2);
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
