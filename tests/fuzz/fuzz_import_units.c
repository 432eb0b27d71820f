/*
 * fuzz_import_units — socloss_import_csv on arbitrary CSV into a ledger
 * with units: the input format and what must hold are fuzz_import_csv.c's
 * (import_one.h).  Here amounts and prices are decimals of the asset, USD
 * with 2 decimals, turned into atoms exactly or refused (never through
 * floating point), and a markets file may give each market's lot; so the
 * decimal parser, the lot column and prices per unit of the underlying
 * (whole atoms per lot or refused, naming the nearest values) meet
 * arbitrary bytes.
 *
 * The base: units USD/2; BTC mark 60000 USD/BTC in lots of 0.001 BTC (60.00
 * USD = 6000 atoms a lot), ETH mark 10.25 USD a lot (no lot); alice 1000.25,
 * bob -50.50; alice BTC 1 lot at 59000, bob BTC -1 at 59000.
 */
#include "import_one.h"

static void build(socloss *led) {
  socloss_units u;
  socloss_units_init(&u);
  snprintf(u.asset, sizeof u.asset, "USD");
  u.decimals = 2;
  fz_must(led, socloss_units_set(led, &u), "units");
  fz_import_base(led, "market,mark_price,lot\nBTC,60000,0.001 BTC\nETH,10.25,\n",
                 "account,balance\nalice,1000.25\nbob,-50.50\n",
                 "account,market,size,entry_price\nalice,BTC,1,59000\nbob,BTC,-1,59000\n", 0);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  fz_setup("import_units", build);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return fz_import_one(data, size); }
