#!/usr/bin/env bash
# The demo: a deterministic ledger of 1,000 traders on two perpetual markets
# and an insurance fund, a 20% crash in BTC-PERP, the accounts it bankrupts
# and by how much, and the invariants checked before and after.
# Usage: demo/run.sh [BUILD_DIR [DIR]]   (make demo runs it; DIR: demo)
#
# What it rebuilds goes to DIR/out, its own, deleted and made again on every
# run.  The README walk-through works on copies in DIR/walkthrough (the
# shocked ledger and the one resolved under pro_rata), made on the first run
# and never touched again: a proposal added or activated there survives
# `make demo`.  Delete DIR/walkthrough to have fresh copies made.
set -euo pipefail
build=${1:-build}
dir=${2:-demo}
socloss=$build/socloss
gen=$build/socloss-gen
out=$dir/out
walk=$dir/walkthrough
rm -rf "$out"
mkdir -p "$out"

# the ledger has units (USD with 6 decimals): amounts print as 1,234.567890 USD
num() { tr -d , <<< "$1"; }
usd() { awk -v a="$1" 'BEGIN { printf "%.2f USD", a }'; }
say() { printf '\n== %s\n' "$*"; }

say "generate: 1,000 accounts, BTC-PERP and ETH-PERP (a ledger in USD with 6 decimals; lots of 0.001 BTC and 0.01 ETH)"
"$gen" "$out/csv" --accounts 1000 --markets 2 --seed 1 --usd
"$socloss" init "$out/ledger" --asset USD --decimals 6
"$socloss" import "$out/ledger" --markets "$out/csv/markets.csv" \
  --accounts "$out/csv/accounts.csv" --positions "$out/csv/positions.csv"

fund=250000   # USD
echo "{\"type\":\"fund\",\"amount\":$fund}" | "$socloss" apply "$out/ledger" -
"$socloss" show "$out/ledger" | sed -n '1,6p'
"$socloss" check "$out/ledger" | sed 's/^/  /'

say "price shock: BTC-PERP falls 20%, from 60,000 to 48,000 USD/BTC"
echo '{"type":"market","market":"BTC-PERP","mark":48000}' | "$socloss" apply "$out/ledger" -

say "bankrupt accounts (equity < 0), deepest first"
"$socloss" show "$out/ledger" --bankrupt > "$out/bankrupt.txt"
# ACCOUNT BALANCE USD EQUITY USD MARKET:LOTS (SIZE UNDERLYING)...
awk '$1 ~ /^(acct|mm)-/ { gsub(/,/, "", $2); gsub(/,/, "", $4); print }' "$out/bankrupt.txt" |
  sort -k4,4n | awk "NR <= 10" |
  awk '{ printf "  %-14s balance %14.2f USD  equity %12.2f USD  %s %s\n", $1, $2, $4, $6, $9 }'
summary=$(grep '^bankrupt accounts' "$out/bankrupt.txt")
count=$(echo "$summary" | awk '{ print $3 }' | tr -d ,)
deficit=$(num "$(echo "$summary" | awk '{ print $(NF - 1) }')")
echo "  ..."
echo "  $count accounts are bankrupt; together they are $(usd "$deficit") short."
echo "  The insurance fund holds $(usd $fund): it covers $(awk -v d="$deficit" -v f=$fund \
  'BEGIN { c = d < f ? d : f; printf "%.1f%%", d ? 100 * c / d : 100 }') of the hole."

say "check: the invariants still hold after the shock"
"$socloss" check "$out/ledger" | sed 's/^/  /'

# ---- resolution under each policy, on copies of the shocked ledger --------
policies="pro_rata tiered adl"
for p in $policies; do
  rm -rf "$out/ledger-$p"
  cp -r "$out/ledger" "$out/ledger-$p"
  # the crash as one event: every bankrupt account, in id order, one transaction
  "$socloss" resolve "$out/ledger-$p" --all-bankrupt --event crash --policy "policies/$p.lua" \
    > "$out/resolutions-$p.txt"
  "$socloss" check "$out/ledger-$p" > "$out/check-$p.txt" || { cat "$out/check-$p.txt"; exit 1; }
done

say "the same $count deficits under each policy, as one crash event (each on its own copy of the ledger)"
"$socloss" units "$out/ledger" > "$out/units.txt"   # "lot BTC-PERP 0.001 BTC"
summary() {  # policy -> "key value" lines; amounts in USD ("1,234.567890 USD")
  awk '
    function amt(x) { gsub(/,/, "", x); return x + 0 }   # "1,234.5" -> 1234.5
    FNR == NR            { if ($1 == "lot") lot[$2] = $3; next }
    /^deficit /          { n++ }
    /^  deleveraged /    { lots += $3; notional += $3 * lot[$6] * amt($8); closed[$2] = 1 }  # lots x lot x USD per unit
    /^  fund draw /      { fund += amt($3) }
    /^  haircut /        { paid[$2] += amt($3); total += amt($3) }
    /^  bad debt /       { bad += amt($3) }
    END {
      for (a in paid) { payers++; if (paid[a] > top) top = paid[a] }
      for (a in closed) deleveraged++
      printf "resolved %d\npayers %d\ncharged %.2f\nlargest %.2f\ndeleveraged %d\nnotional %.2f\nfund %.2f\nbad %.2f\n",
        n, payers, total, top, deleveraged, notional, fund, bad
    }' "$out/units.txt" "$out/resolutions-$1.txt"
}
for p in $policies; do summary "$p" > "$out/summary-$p.txt"; done
row() {  # label key format
  printf '  %-34s' "$1"
  for p in $policies; do printf "%16s" "$(awk -v k="$2" -v f="$3" '$1 == k { printf f, $2 }' "$out/summary-$p.txt")"; done
  echo
}
printf '  %-34s' ""; for p in $policies; do printf '%16s' "$p"; done; echo
row "deficits resolved" resolved "%d"
row "fund used (USD)" fund "%.2f"
row "accounts charged by haircut" payers "%d"
row "total charged (USD)" charged "%.2f"
row "largest single charge (USD)" largest "%.2f"
row "accounts deleveraged" deleveraged "%d"
row "notional deleveraged (USD)" notional "%.2f"
row "bad debt (USD)" bad "%.2f"

say "who paid the most"
for p in $policies; do
  echo "  $p:"
  awk 'function amt(x) { gsub(/,/, "", x); return x + 0 }
       /^  haircut / { paid[$2] += amt($3) } /^  deleveraged / { lots[$2] += $3 }
       END { for (a in paid) printf "    %-14s charged %12.2f USD\n", a, paid[a]
             for (a in lots) printf "    %-14s deleveraged %6d lots\n", a, lots[a] }' "$out/resolutions-$p.txt" |
    sort -k3,3nr | awk "NR <= 5"
done
say "the same crash as one joint decision under pro_rata (one rate for the whole loss)"
rm -rf "$out/ledger-joint"
cp -r "$out/ledger" "$out/ledger-joint"
"$socloss" resolve "$out/ledger-joint" --all-bankrupt --event crash --joint --policy policies/pro_rata.lua \
  > "$out/resolutions-joint.txt"
tail -1 "$out/resolutions-joint.txt" | sed 's/^/  /'
"$socloss" check "$out/ledger-joint" > "$out/check-joint.txt" || { cat "$out/check-joint.txt"; exit 1; }

say "simulate: sequential and joint side by side, on the shocked ledger (nothing kept)"
"$socloss" simulate "$out/ledger" --policy policies/pro_rata.lua --policy policies/tiered.lua \
  --shock BTC-PERP:0 --mode both | sed 's/^/  /'

say "replay: each ledger's journal decided again from the journal alone"
for p in $policies joint; do
  printf '  %-9s %s\n' "$p" "$("$socloss" replay "$out/ledger-$p" | tail -1)"
done

say "check after resolving, per policy"
for p in $policies; do
  printf '  %-9s %s\n' "$p" "$(grep -c '^ok' "$out/check-$p.txt") of 5 invariants hold, $(grep digest "$out/check-$p.txt")"
done
say "the walk-through's ledgers (README, \"A governance proposal, end to end\")"
if [ -e "$walk" ]; then
  echo "  $walk/ exists already: kept as it is (delete it for fresh copies of this run's ledgers)"
else
  mkdir -p "$walk"
  cp -r "$out/ledger" "$walk/ledger"
  cp -r "$out/ledger-pro_rata" "$walk/ledger-pro_rata"
  echo "  $walk/ledger and $walk/ledger-pro_rata: copies of this run's, kept across runs of the demo"
fi
echo
echo "ledgers rebuilt on every run in $out/: try '$socloss journal $out/ledger-adl --json | tail -1' or '$socloss show $out/ledger-pro_rata'"
