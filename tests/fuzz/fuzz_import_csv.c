/*
 * fuzz_import_csv — socloss_import_csv on arbitrary CSV.
 *
 * An input is a mask byte, then the files it names, separated by lines that
 * are exactly "%%":
 *
 *   byte 0 & 7: which of markets (1), accounts (2), positions (4) are given
 *               (0 stands for all three); e.g. '7', '6' (accounts, positions)
 *   then:       the given files in that order, "\n%%\n" between two of them
 *
 * (the corpus files are readable: "7market,mark_price\nSOL,5\n%%\n...").  A
 * file that the input ends before is empty.  Each file is copied into a
 * block of its exact size: nothing after it, not even a NUL.
 *
 * The ledger is import_errors.t's base (BTC mark 100, ETH 10; alice 1000,
 * bob -50; alice BTC 1 @ 90, bob BTC -1 @ 90), so that rows can collide with
 * what exists.  A refused import must leave it exactly as it was (and say
 * why in a message safe to show); an accepted one must leave a ledger that
 * `socloss check` passes, with one journal record per row, and is then
 * undone by making the base again.
 */
#include "import_one.h"

static void build(socloss *led) {
  fz_import_base(led, "market,mark_price\nBTC,100\nETH,10\n", "account,balance\nalice,1000\nbob,-50\n",
                 "account,market,size,entry_price\nalice,BTC,1,90\nbob,BTC,-1,90\n", 0);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  fz_setup("import_csv", build);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return fz_import_one(data, size); }
