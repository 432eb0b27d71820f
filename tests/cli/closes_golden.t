#!/usr/bin/env bash
# closes_golden.t — the deleverage step applies its closes in bulk (each
# record read once, changed in memory close by close, written once in key
# order: engine/resolve/closes.c) and decides and writes exactly what it
# did when it applied them one by one through ledger_trade:
#
#  - the cases of tests/fixtures/closes_golden/cases.sh: generated ledgers
#    (socloss-gen, three seeds, one or two markets shocked, longs or shorts
#    bankrupt, a fund of 20,000 USD, 5,000 or none) and a wide one (three
#    accounts bankrupt against 3,000 holders, thousands of closes each, in
#    two markets, the bankrupt ids among the holders'), each crash resolved
#    as a sequential and as a joint event under policies/adl.lua (its
#    copy from before Binance's order, tests/fixtures/adl_flat_binance.lua) with every
#    score and fund_first true and false: 64 cases;
#  - each case's line holds the journal's SHA-256 (`journal --json`, every
#    record, less the policy's hash, the evaluator's build, the instructions
#    and microseconds: not decisions) and `check`'s state digest (every
#    invariant, and the journal replayed through the same step, which then
#    reads every holder from the store);
#  - expected.txt holds the lines the commit before (6b4c32c) printed
#    (generate.sh says how), so every byte of every journal and every
#    record of the state after must be what the one-by-one code wrote.
#
# Its size: 48 events of 57 to 227 deficits on the generated ledgers, 16 of
# 3 deficits with ~900 closes each on the wide one; 20 to 45 s here.
here=$(cd "$(dirname "$0")" && pwd)
root=$here/../..
. "$here/tap.sh"
need_gen
. "$root/tests/fixtures/closes_golden/cases.sh"

# adl.lua as expected.txt was made with: its "binance" the flat-rate score
# (policies/adl.lua's is Binance's order since; the closes are the subject here)
mapfile -t got < <(golden_cases "$SOCLOSS" "$SOCLOSS_GEN" "$root/tests/fixtures/adl_flat_binance.lua" "$TMP/w")
is_golden "$root/tests/fixtures/closes_golden/expected.txt"

# What the expected lines exercise, so that a comparison of nothing cannot pass.
closes=0 two=0 wide_min=
for w in "${want[@]}"; do
  j=${w#* journal=}
  j=${j%% *}
  IFS=, read -r c t _ _ <<< "$j"
  closes=$((closes + c))
  two=$((two + t))
  case $w in wide*) [ -z "$wide_min" ] || [ "$c" -lt "$wide_min" ] && wide_min=$c ;; esac
done
is "$closes|$two|$wide_min" "69018|3252|2750" \
  "69,018 closes in all, 3,252 holders closing in two markets of one deficit, 2,750+ closes in each wide event"
like "$(printf '%s\n' "${want[@]}" | grep -v -c ' resolve=0 .* check=0/5 ')" '^0$' \
  "in every case every deficit resolved and check passed (5 ok lines)"

done_testing
