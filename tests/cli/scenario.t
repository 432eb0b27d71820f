#!/usr/bin/env bash
# scenario.t — `socloss simulate --scenario FILE`: steps, each its moves then
# what went bankrupt resolved, the figures over the whole scenario; the
# file checked line by line before the ledger opens (FILE:LINE: field:
# reason).  The ledger and its figures are those of scenario_steps in
# tests/test_simulate.c, worked by hand there: pro_rata charges a's 1500 to
# p and b's 400 to r; one step of both moves gives shares 0.375 and 0.4
# (Gini 1/62 = 0.016129), two steps take the profits after the first step's
# move (r's is 0 then): largest share 0.375, Gini 0.
here=$(cd "$(dirname "$0")" && pwd)
policies=$here/../../policies
. "$here/tap.sh"
S=$SOCLOSS
T=$TMP/two
printf 'market,mark_price\nBTC,100\nETH,100\n' > m.csv
printf 'account,balance\na,-1000\nb,100\nc,300\nd,500\np,10000\nr,1000\n' > a.csv
printf 'account,market,size,entry_price\na,BTC,25,100\nb,ETH,10,100\nc,BTC,15,100\nd,ETH,10,100\np,BTC,-40,180\nr,ETH,-20,100\n' > p.csv
"$S" init "$T" 2>/dev/null
"$S" import "$T" --markets m.csv --accounts a.csv --positions p.csv > /dev/null
before=$(fingerprint "$T")
# deficits charged total largest_share gini, from --json
figures() { printf '%s' "$OUT" | sed -n 's/.*"deficits":\([0-9]*\),"not_resolved":[0-9]*,"charged":\([0-9]*\),"total_charged":\([0-9]*\),"largest_share":\([0-9.]*\),"gini":\([0-9.]*\).*/\1 \2 \3 \4 \5/p'; }
sim() { run "$S" simulate "$T" --policy "$policies/pro_rata.lua" "$@"; }

printf '%s\n' '{"moves":[{"market":"BTC","pct":"-20"},{"market":"ETH","pct":-50}]}' > one.jsonl
sim --scenario one.jsonl --json
is "$RC|$(figures)" "0|2 2 1900 0.400000 0.016129" "one step of two moves: as --shock BTC:-20 --shock ETH:-50"
sim --shock BTC:-20 --shock ETH:-50 --json
is "$(figures)" "2 2 1900 0.400000 0.016129" "the same figures from the two --shock"

printf '%s\n' '{"moves":[{"market":"BTC","pct":"-20"}]}' '' '{"moves":[{"market":"ETH","pct":"-50.0"}],"mode":"joint"}' > two.jsonl
sim --scenario two.jsonl --json
is "$RC|$(figures)" "0|2 2 1900 0.375000 0.000000" "two steps (a blank line between): profits after the first step's move"
sim --scenario two.jsonl --mode both
is "$RC" 0 "--mode both with a scenario"
like "$OUT" $'\ndeficits +2 +2\n' "each column: the steps without a mode in its mode"

# a market moved again in a later step, from the mark the earlier one left:
# BTC -20% (100 -> 80): a's 1500 from p (resolving a hands its 25 lots to
# the fund); then -50% from 80 (-> 40, not 50): c's equity 300 + 15 x (40 -
# 100) = -600 (from 100 it would be 300 - 15 x 50 = -450).  2 deficits,
# 1500 + 600 = 2100, all from p, whose profit after step 1 is 4000:
# largest share 2100 / 4000 = 0.525.
printf '%s\n' '{"moves":[{"market":"BTC","pct":"-20"}]}' '{"moves":[{"market":"BTC","pct":"-50"}]}' > again.jsonl
sim --scenario again.jsonl --json
is "$RC|$(figures)" "0|2 1 2100 0.525000 0.000000" "BTC twice, in two steps: the second move from 80"
is "$(fingerprint "$T")" "$before" "nothing was kept"

# a file that is not one: FILE:LINE: field: reason, exit 1, before the ledger opens
bad() {  # description want lines...
  local what=$1 want=$2; shift 2
  printf '%s\n' "$@" > bad.jsonl
  run "$S" simulate "$TMP/none" --policy "$policies/pro_rata.lua" --scenario bad.jsonl
  is "$RC|$ERR" "1|socloss: bad.jsonl:$want"$'\n' "$what"
}
bad "not JSON" "2: json: unexpected token near '}'" '{"moves":[]}' '{"moves":[}'
bad "not an object" '1: step: not an object {"moves":[...],"mode":...}' '[1]'
bad "an unknown key" "1: step: unknown key 'note' (moves, mode)" '{"moves":[],"note":"x"}'
bad "a key twice" "1: json: duplicate object key near '\"moves\"'" '{"moves":[],"moves":[]}'
bad "no moves" '1: moves: a list of moves is required (it may be [])' '{"mode":"joint"}'
bad "a mode that is not one" '1: mode: "sequential" or "joint" (absent: the run'"'"'s --mode)' '{"moves":[],"mode":"both"}'
bad "a move without market" '1: moves[0].market: a market'"'"'s id (a string) is required' '{"moves":[{"pct":"-1"}]}'
bad "a move without pct" '1: moves[0].pct: a percentage (a string like "-12.5", or an integer) is required' \
  '{"moves":[{"market":"BTC"}]}'
bad "a fraction as a JSON number" \
  '1: moves[0].pct: a number with a fraction is read through floating point: give it as a string, like "-12.5"' \
  '{"moves":[{"market":"BTC","pct":-12.5}]}'
bad "-100%, saying why" '1: moves[0].pct: a shock of -100% would make the mark 0 or less; PCT must be > -100' \
  '{"moves":[{"market":"BTC","pct":-100}]}'
bad "more than 4 decimals" '1: moves[0].pct: PCT has at most 4 decimals (a move is counted in millionths)' \
  '{"moves":[{"market":"BTC","pct":"1.00001"}]}'
bad "a market twice in a step" \
  '1: moves[1].market: BTC is moved twice in this step (moves[0]); give one move per market' \
  '{"moves":[{"market":"BTC","pct":"-1"},{"market":"BTC","pct":"2"}]}'
bad "an unknown key in a move" "1: moves[0]: unknown key 'size' (market, pct)" '{"moves":[{"market":"BTC","pct":1,"size":2}]}'
bad "no step" '1: file: no step (one JSON object a line)' ''
moves=$(for i in $(seq 65); do printf '{"market":"M%d","pct":1},' "$i"; done)
bad "65 moves in a step" '1: moves: 65 moves, at most 64 in a step' "{\"moves\":[${moves%,}]}"
bad "1001 steps" '1001: step: more than 1000 steps' $(for i in $(seq 1001); do echo '{"moves":[]}'; done)
head -c 1048577 /dev/zero | tr '\0' ' ' > big.jsonl
run "$S" simulate "$TMP/none" --policy "$policies/pro_rata.lua" --scenario big.jsonl
is "$RC|$ERR" $'1|socloss: big.jsonl: a scenario file may hold at most 1048576 bytes\n' "a file over 1 MiB is not read"

# what only the ledger knows, at the step's line
printf '%s\n' '{"moves":[]}' '' '{"moves":[{"market":"DOGE","pct":"1"}]}' > nope.jsonl
sim --scenario nope.jsonl
is "$RC|$ERR" $'1|socloss: nope.jsonl:3: shock: unknown market \'DOGE\'\n' "an unknown market, at its step's line"
printf '%s\n' '{"moves":[{"market":"BTC","pct":"-99.9999"}]}' > zero.jsonl
sim --scenario zero.jsonl
is "$RC|$ERR" "1|socloss: zero.jsonl:1: shock: 'BTC': its mark 100 moved by -999999 ppm would be 0, not a mark (1 to 9223372036854775807)"$'\n' \
  "a mark truncated to 0, at its line"
sim --scenario two.jsonl --shock BTC:-1
is "$RC|${ERR%%$'\n'*}" "2|socloss simulate: give --account X, --shock MARKET:PCT or --scenario FILE" "one of them"
done_testing
