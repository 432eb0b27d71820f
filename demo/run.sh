#!/usr/bin/env bash
# The demo: a deterministic ledger of 1,000 traders on two perpetual markets
# and an insurance fund, a 20% crash in BTC-PERP, the accounts it bankrupts
# and by how much, and the invariants checked before and after.
# Usage: demo/run.sh [BUILD_DIR]   (make demo runs it)
set -euo pipefail
build=${1:-build}
socloss=$build/socloss
gen=$build/socloss-gen
out=demo/out
rm -rf "$out"
mkdir -p "$out"

usd() { awk -v a="$1" 'BEGIN { printf "%.2f USD", a / 1e6 }'; }
say() { printf '\n== %s\n' "$*"; }

say "generate: 1,000 accounts, BTC-PERP and ETH-PERP (amounts in atoms, 1 USD = 1,000,000)"
"$gen" "$out/csv" --accounts 1000 --markets 2 --seed 1
"$socloss" init "$out/ledger"
"$socloss" import "$out/ledger" --markets "$out/csv/markets.csv" \
  --accounts "$out/csv/accounts.csv" --positions "$out/csv/positions.csv"

fund=250000000000   # 250,000 USD
echo "{\"type\":\"fund\",\"amount\":$fund}" | "$socloss" apply "$out/ledger" -
"$socloss" show "$out/ledger" | sed -n '1,6p'
"$socloss" check "$out/ledger" | sed 's/^/  /'

say "price shock: BTC-PERP falls 20%, from 60,000 to 48,000 USD/BTC"
echo '{"type":"market","market":"BTC-PERP","mark":48000000}' | "$socloss" apply "$out/ledger" -

say "bankrupt accounts (equity < 0), deepest first"
"$socloss" show "$out/ledger" --bankrupt > "$out/bankrupt.txt"
awk '$1 ~ /^(acct|mm)-/' "$out/bankrupt.txt" |
  sort -k3,3n | head -10 |
  awk '{ printf "  %-14s balance %14.2f USD  equity %12.2f USD  %s %s\n", $1, $2 / 1e6, $3 / 1e6, $4, $5 }'
summary=$(grep '^bankrupt accounts' "$out/bankrupt.txt")
count=$(echo "$summary" | awk '{ print $3 }' | tr -d ,)
deficit=$(echo "$summary" | awk '{ print $NF }')
echo "  ..."
echo "  $count accounts are bankrupt; together they are $(usd "$deficit") short."
echo "  The insurance fund holds $(usd $fund): it covers $(awk -v d="$deficit" -v f=$fund \
  'BEGIN { c = d < f ? d : f; printf "%.1f%%", d ? 100 * c / d : 100 }') of the hole."

say "check: the invariants still hold after the shock"
"$socloss" check "$out/ledger" | sed 's/^/  /'
echo
echo "ledger left in $out/ledger: try '$socloss show $out/ledger --bankrupt --json' or '$socloss journal $out/ledger'"
