#!/usr/bin/env bash
# adl_identity.t — policies/adl.lua, whose score is the host's
# socloss.adl_score, decides exactly as the adl.lua whose score was a Lua
# loop (kept as tests/fixtures/adl_loop.lua):
#
#  - on a generated crash (socloss-gen --accounts 1000 --markets 2 --seed 7,
#    a fund of 20,000 USD, BTC-PERP down 20%: 57 bankrupt, each deficit a
#    queue over all 1,000 holders in one or two markets), `resolve
#    --all-bankrupt --event e --dry-run --json` under the two policies, for
#    every score and fund_first true and false, then again with the fund's
#    draw capped per deficit: the same bytes, less three fields that are not
#    decisions (the policy's hash, since the files differ; the instructions
#    and microseconds it took);
#    ("binance" through tests/fixtures/adl_flat_binance.lua, adl.lua before
#    its "binance" became Binance's order: the 7-argument adl_score, still the
#    loop's; the shipped adl.lua's Binance order decides otherwise here);
#  - the decisions depend on the score (each score's differ from pnl's), so
#    the comparison can tell scores apart;
#  - tests/fixtures/adl_score_probe.lua computes both scores in every one of
#    those deficits and compares them double by double (not only the order
#    they give), and over rows of extreme integers; a probe whose loop is
#    changed by one constant finds the difference, so the probe can fail.
here=$(cd "$(dirname "$0")" && pwd)
root=$here/../..
. "$here/tap.sh"
need_gen
S=$SOCLOSS
NEW=$root/policies/adl.lua
OLD=$root/tests/fixtures/adl_loop.lua
# adl.lua's "binance" is Binance's order now (brackets, a wallet floor of one
# unit: adl_score's 9-argument form), which the loop never was; the
# 7-argument form stays the loop's score, through adl.lua's copy from before
FLAT=$root/tests/fixtures/adl_flat_binance.lua
PROBE=$root/tests/fixtures/adl_score_probe.lua

"$SOCLOSS_GEN" gen --accounts 1000 --markets 2 --seed 7 2>/dev/null
"$S" init L --unsafe-no-sync 2>/dev/null
"$S" import L --markets gen/markets.csv --accounts gen/accounts.csv --positions gen/positions.csv \
  --unsafe-no-sync > /dev/null
printf '%s\n' '{"type":"fund","amount":20000000000}' '{"type":"market","market":"BTC-PERP","mark":48000000}' > shock.jsonl
run "$S" apply L shock.jsonl --unsafe-no-sync
is "$RC|$OUT" $'0|applied 2 events\n' "the crash: 1,000 accounts, 20,000 USD in the fund, BTC-PERP down 20%"

# The event's lines without the fields that are not decisions.
decide() {  # POLICY PARAMS
  "$S" resolve L --all-bankrupt --event e --dry-run --json --policy "$1" --params "$2" |
    sed -E 's/"hash":"[0-9a-f]{64}"/"hash":-/; s/"instructions":[0-9]+/"instructions":-/; s/"policy_us":[0-9]+/"policy_us":-/'
}

compare_all() {  # LABEL
  local score ff params old new
  for score in bitmex binance hyperliquid pnl; do
    for ff in true false; do
      params="{\"score\":\"$score\",\"fund_first\":$ff}"
      old=$(decide "$OLD" "$params")
      if [ "$score" = binance ]; then new=$(decide "$FLAT" "$params"); else new=$(decide "$NEW" "$params"); fi
      is "$new" "$old" "$1: score $score, fund_first $ff: the same decisions"
      eval "out_${score}_$ff=\$new"
    done
  done
}

compare_all "an uncapped fund"
is "$(printf '%s\n' "$out_bitmex_true" | tail -n 1)" \
  '{"event":"e","mode":"sequential","bankrupt":57,"resolved":57,"failed":0,"deficit":358986126753,"fund_draw":19999965219,"charged":338986161534,"bad_debt":0,"dry_run":true}' \
  "57 deficits, all resolved, 338,986,161,534 atoms charged through closes"
closes=$(printf '%s\n' "$out_bitmex_false" | grep -o '"share":10000' | wc -l)
is "$closes" 167 "score bitmex, fund_first false: 167 closes over the event"
for score in bitmex binance hyperliquid; do
  for ff in true false; do
    a=out_${score}_$ff b=out_pnl_$ff
    ok "score $score, fund_first $ff: decisions differ from pnl's" [ "${!a}" != "${!b}" ]
  done
done

for ff in true false; do
  a=out_binance_$ff
  ok "score binance, fund_first $ff: policies/adl.lua (Binance's order) decides otherwise than the flat score" \
    [ "$(decide "$NEW" "{\"score\":\"binance\",\"fund_first\":$ff}")" != "${!a}" ]
done

run "$S" limits L --fund-max-draw 50000000
is "$RC" 0 "the fund's draw capped at 50 USD a deficit"
compare_all "a capped fund"

run "$S" resolve L --all-bankrupt --event e --dry-run --policy "$PROBE"
is "$RC|$(printf '%s' "$OUT" | tail -n 1 | cut -d';' -f1)" \
  "0|event e (sequential, dry run): 57 bankrupt, 57 resolved, 0 failed" \
  "the probe: the helper's doubles are the loop's in every deficit of the event, for every score"
first=$("$S" show L --bankrupt | awk 'NR > 6 { print $1; exit }')
run "$S" resolve L "$first" --dry-run --json --policy "$PROBE" --params '{"extreme_rows":4000}'
like "$RC|$OUT" '^0\|\{.*"status":"dry-run"' "... and over 4,000 rows of extreme integers at six marks"
sed 's/math.max(equity\[i\], 1)/math.max(equity[i], 2)/' "$PROBE" > bad_probe.lua
run "$S" resolve L "$first" --dry-run --json --policy bad_probe.lua --params '{"extreme_rows":4000}'
like "$OUT" '"status":"failed".*"failure":"[^"]*raised an error in deleverage: bad_probe\.lua:[0-9]+: [^"]* row [0-9]+: loop [^"]*, helper ' \
  "a probe whose loop floors equity at 2 instead of 1 finds a row that differs"

done_testing
