#!/usr/bin/env bash
# simulate.t — `socloss simulate` side by side on a small ledger: the figures
# (worked by hand in tests/test_simulate.c: pro_rata shares 0.1, 0.933, 0.934,
# Gini 2 x 4.768 / (3 x 1.967) - 4/3 = 0.282664; adl takes 60 a lot, only
# the lots each equity bears: p 10, q 1, r 5 = 960, shares 0.6, 0.06, 0.6,
# Gini 2/7; the empty fund leaves 540 of bad debt) in text and JSON, nothing
# kept.
here=$(cd "$(dirname "$0")" && pwd)
policies=$here/../../policies
. "$here/tap.sh"
S=$SOCLOSS
L=$TMP/ledger
water_filling_ledger "$L"
before=$(fingerprint "$L")

run "$S" simulate "$L" --policy "$policies/pro_rata.lua" --policy "$policies/adl.lua" --shock BTC:-20 \
  --params '{"score":"pnl","fund_first":false}' --json
is "$RC" 0 "simulate two policies on a 20% fall"
# added after 1.0: each column's label, hash, params and top payers (pro_rata
# p 933, r 467, q 100; adl p 600, r 300, q 60, with their profits 1000, 500,
# 1000), and who pays differently under adl than under pro_rata: p 933 -> 600
# (-333), q 100 -> 60 (-40), r 467 -> 300 (-167)
PR=$(sha256sum "$policies/pro_rata.lua" | cut -c1-64)
ADL=$(sha256sum "$policies/adl.lua" | cut -c1-64)
text want <<'EOF2'
{"policies":[{"policy":"POL/pro_rata.lua","deficits":1,"not_resolved":0,"charged":3,"total_charged":1500,"largest_share":0.934000,"gini":0.282664,"overshoot":0,"fund_draw":0,"bad_debt":0,"split":{"account":"p","delta":1},"log":[],"failures":[],"label":"pro_rata.lua","hash":"PRH","params":{"score":"pnl","fund_first":false},"accounts":[{"account":"p","charge":933,"profit":1000},{"account":"r","charge":467,"profit":500},{"account":"q","charge":100,"profit":1000}]},{"policy":"POL/adl.lua","deficits":1,"not_resolved":0,"charged":3,"total_charged":960,"largest_share":0.600000,"gini":0.285714,"overshoot":0,"fund_draw":0,"bad_debt":540,"split":{"account":"p","delta":0},"log":[],"failures":[],"label":"adl.lua","hash":"ADLH","params":{"score":"pnl","fund_first":false},"accounts":[{"account":"p","charge":600,"profit":1000},{"account":"r","charge":300,"profit":500},{"account":"q","charge":60,"profit":1000}]}],"differences":[{"policy":"adl.lua","first":"pro_rata.lua","accounts":[{"account":"p","first":933,"charge":600,"delta":-333},{"account":"q","first":100,"charge":60,"delta":-40},{"account":"r","first":467,"charge":300,"delta":-167}]}]}
EOF2
want=${want//POL/$policies}
want=${want//PRH/$PR}
is "$OUT" "${want//ADLH/$ADL}" "the figures, exactly"

# One --params for all policies: each --policy has its own --with.  pro_rata
# with event_cap 10000 (no more than all of the profit: no cap beyond profit
# and equity) charges p 933, q 100 (its equity), r 467 = 1500, as above;
# event_cap 5000 caps each at half its profit: p 500, q 100 (equity 100 <
# 500), r 250 = 850 < 1500, so all pay their caps and 650 is bad debt.  Two
# columns of one file: labelled by file, params and hash (8 digits); then who
# pays differently under the second: p 933 -> 500 (-433), r 467 -> 250
# (-217), the largest change first; q pays 100 under both.
text want <<'EOF2'
                                     pro_rata.lua {"event_cap":10000} PR8  pro_rata.lua {"event_cap":5000} PR8
deficits                                                                     1                                         1
not resolved                                                                 0                                         0
accounts charged                                                             3                                         3
total charged                                                             1500                                       850
largest charge / that profit                                            0.9340                                    0.5000
Gini of charge / profit                                                 0.2827                                    0.2424
overshoot (notional)                                                         0                                         0
fund used                                                                    0                                         0
bad debt                                                                     0                                       650
split test: who paid most, in two                                            p                                         p
split test: the halves pay more by                                           1                                         0
who pays differently under pro_rata.lua {"event_cap":5000} PR8 than under pro_rata.lua {"event_cap":10000} PR8: 2 accounts (0 more, 2 less); the 5 largest changes each way:
  pays less p: 933 -> 500 (-433)
  pays less r: 467 -> 250 (-217)
EOF2
run "$S" simulate "$L" --policy "$policies/pro_rata.lua" --with '{"event_cap":10000}' \
  --policy "$policies/pro_rata.lua" --with '{"event_cap":5000}' --shock BTC:-20 --params '{"event_cap":1}'
is "$RC|$OUT|$ERR" "0|${want//PR8/${PR:0:8}}|" "two settings of one policy: two columns, apart (--params unused)"
run "$S" simulate "$L" --policy "$policies/pro_rata.lua" --with '{"event_cap":10000}' \
  --policy "$policies/pro_rata.lua" --shock BTC:-20 --params '{"event_cap":5000}' --json
is "$RC" 0 "--params still applies to a policy without --with"
like "$OUT" ',"differences":\[\{"policy":"pro_rata.lua \{\\"event_cap\\":5000\} '"${PR:0:8}"'","first":"pro_rata.lua \{\\"event_cap\\":10000\} '"${PR:0:8}"'","accounts":\[\{"account":"p","first":933,"charge":500,"delta":-433\},\{"account":"r","first":467,"charge":250,"delta":-217\}\]\}\]\}' \
  "who pays differently with event_cap 5000: p 933 -> 500 (-433), r 467 -> 250 (-217), q 100 both"
like "$OUT" '"total_charged":850,.*"params":\{"event_cap":5000\},"accounts":\[\{"account":"p","charge":500,"profit":1000\},\{"account":"r","charge":250,"profit":500\},\{"account":"q","charge":100,"profit":1000\}\]\}\]' \
  "the second column's params and top payers"
run "$S" simulate "$L" --with '{}' --policy "$policies/pro_rata.lua" --shock BTC:-20
is "$RC|$(head -n 1 <<<"$ERR")" "2|socloss simulate: --with goes after the --policy it is for" "--with before any --policy"
run "$S" simulate "$L" --policy "$policies/pro_rata.lua" --with '{}' --with '{}' --shock BTC:-20
is "$RC|$(head -n 1 <<<"$ERR")" "2|socloss simulate: --with given twice for '$policies/pro_rata.lua'" "--with twice for one --policy"
run "$S" simulate "$L" --policy "$policies/pro_rata.lua" --shock BTC:-20
like "$OUT" 'accounts charged +3' "the text table"
is "$(fingerprint "$L")" "$before" "nothing was kept"

# --no-split: the same figures as above for pro_rata (1 deficit, p q r
# charged 1500, largest share 0.934, Gini 0.282664), the split test not run:
# its two rows left out of the table, its JSON object null
text want <<'EOF2'
                                          pro_rata.lua
deficits                                             1
not resolved                                         0
accounts charged                                     3
total charged                                     1500
largest charge / that profit                    0.9340
Gini of charge / profit                         0.2827
overshoot (notional)                                 0
fund used                                            0
bad debt                                             0
EOF2
run "$S" simulate "$L" --policy "$policies/pro_rata.lua" --shock BTC:-20 --params '{"score":"pnl","fund_first":false}' --no-split
is "$RC|$OUT|$ERR" "0|$want|" "--no-split: the figures without the split test's rows"
run "$S" simulate "$L" --policy "$policies/pro_rata.lua" --shock BTC:-20 --params '{"score":"pnl","fund_first":false}' --no-split --json
like "$OUT" '"total_charged":1500,"largest_share":0.934000,"gini":0.282664,"overshoot":0,"fund_draw":0,"bad_debt":0,"split":null,' \
  "--no-split --json: split is null, the figures as with the test"
run "$S" simulate "$L" --policy "$policies/pro_rata.lua" --shock BTC:-20 --no-split --report "$TMP/r.html"
is "$RC|$OUT" "2|" "--no-split with --report: a usage error"
like "$ERR" "no-split goes without --report \(the report charts the split test\)" "... saying why"
ok "... and no report written" test ! -e "$TMP/r.html"
is "$(fingerprint "$L")" "$before" "nothing was kept by the --no-split runs"
run "$S" simulate "$L" --policy "$policies/pro_rata.lua"
is "$RC" 2 "a shock or an account is required"
run "$S" simulate "$L" --policy "$policies/pro_rata.lua" --shock ETH:-5
is "$RC" 1 "an unknown market is refused"
is "$ERR" $'socloss: shock: unknown market \'ETH\'\n' "by name"

# Several --shock at once, all applied before anything is resolved (the
# ledger of several_shocks in tests/test_simulate.c: BTC -20% bankrupts a,
# 1500 short; ETH -50% b, 400 short; p's and r's profits cover both).
# Before scenarios a second --shock was silently dropped: 1 deficit, 1500.
T=$TMP/two
printf 'market,mark_price\nBTC,100\nETH,100\n' > "$TMP/two-m.csv"
printf 'account,balance\na,-1000\nb,100\nc,300\nd,500\np,10000\nr,1000\n' > "$TMP/two-a.csv"
printf 'account,market,size,entry_price\na,BTC,25,100\nb,ETH,10,100\nc,BTC,15,100\nd,ETH,10,100\np,BTC,-40,180\nr,ETH,-20,100\n' > "$TMP/two-p.csv"
"$S" init "$T" 2>/dev/null
"$S" import "$T" --markets "$TMP/two-m.csv" --accounts "$TMP/two-a.csv" --positions "$TMP/two-p.csv" > /dev/null
two=$(fingerprint "$T")
figures() { printf '%s' "$OUT" | sed -n 's/.*"deficits":\([0-9]*\),"not_resolved":[0-9]*,"charged":\([0-9]*\),"total_charged":\([0-9]*\).*/\1 \2 \3/p'; }
run "$S" simulate "$T" --policy "$policies/pro_rata.lua" --shock BTC:-20 --json
is "$RC|$(figures)" "0|1 1 1500" "one shock: a alone, 1500 from p"
run "$S" simulate "$T" --policy "$policies/pro_rata.lua" --shock BTC:-20 --shock ETH:-50 --json
is "$RC|$(figures)" "0|2 2 1900" "two shocks: both apply, a and b bankrupt, 1500 + 400 from p and r"
run "$S" simulate "$T" --policy "$policies/pro_rata.lua" --shock ETH:-50.0000 --shock BTC:-20 --json
is "$RC|$(figures)" "0|2 2 1900" "in the other order, PCT with 4 decimals: the same"
is "$(fingerprint "$T")" "$two" "nothing was kept"

# refusals, each with its reason (usage errors: exit 2, before the ledger opens)
refused() {  # want-first-line description args...
  local want=$1 what=$2; shift 2
  run "$S" simulate "$T" --policy "$policies/pro_rata.lua" "$@"
  is "$RC|${ERR%%$'\n'*}" "2|socloss simulate: $want" "$what"
}
refused "--shock BTC:-100: a shock of -100% would make the mark 0 or less; PCT must be > -100" \
  "-100% says why" --shock BTC:-100
refused "--shock BTC:-150: a shock of -150% would make the mark 0 or less; PCT must be > -100" \
  "below -100% too" --shock BTC:-150
refused "--shock BTC:abc: PCT 'abc' is not a percentage (like -20 or 12.5)" "a malformed PCT" --shock BTC:abc
refused "--shock BTC:1e3: PCT '1e3' is not a percentage (like -20 or 12.5)" "no exponents" --shock BTC:1e3
refused "--shock BTC:-20.12345: PCT has at most 4 decimals (a move is counted in millionths)" \
  "more than 4 decimals" --shock BTC:-20.12345
refused "--shock BTC:2000000: PCT must be at most 1000000" "more than +1000000%" --shock BTC:2000000
refused "--shock BTC: MARKET:PCT, like BTC-PERP:-20" "no colon" --shock BTC
refused "--shock :-20: MARKET:PCT, like BTC-PERP:-20" "no market" --shock :-20
refused "--shock: BTC is given twice; give one move per market" "the same market twice" \
  --shock BTC:-20 --shock ETH:-5 --shock BTC:-10
run "$S" simulate "$T" --policy "$policies/pro_rata.lua" --shock BTC:-20 --shock DOGE:-5
is "$RC|$ERR" $'1|socloss: shock: unknown market \'DOGE\'\n' "an unknown market among several, by name"
run "$S" simulate "$T" --policy "$policies/pro_rata.lua" --shock BTC:-99.9999
is "$RC|$ERR" "1|socloss: shock: 'BTC': its mark 100 moved by -999999 ppm would be 0, not a mark (1 to 9223372036854775807)"$'\n' \
  "a move that truncates this mark to 0: the mark it would be"

# Ctrl-C: the run stops at the next deficit and the figures so far are
# printed, exit 130.  A policy that burns CPU on each call (a loop, then
# pro_rata's haircuts) keeps the crash of a generated ledger (1,000 accounts,
# seed 7: 57 bankrupt after BTC-PERP -20%) going for seconds.
G=$TMP/gen
"$SOCLOSS_GEN" "$G.csv" --accounts 1000 --markets 2 --seed 7 > /dev/null 2>&1
$S init "$G" 2>/dev/null
$S import "$G" --markets "$G.csv/markets.csv" --accounts "$G.csv/accounts.csv" --positions "$G.csv/positions.csv" > /dev/null
$S limits "$G" --instructions 100000000 > /dev/null
sed 's/^  haircut = function(ctx)$/  haircut = function(ctx)\n    local x = 0 for i = 1, 4000000 do x = x + i end/' "$policies/pro_rata.lua" > "$TMP/slow.lua"
like "$(cat "$TMP/slow.lua")" 'for i = 1, 4000000' "the slow policy is pro_rata with a loop first"
# in a process group of its own, interrupted as a terminal's Ctrl-C does:
# the whole group, the evaluator too, which must finish the decision in
# hand (it ignores SIGINT) rather than die and fail that deficit
setsid "$S" simulate "$G" --policy "$TMP/slow.lua" --shock BTC-PERP:-20 > "$TMP/int.out" 2> "$TMP/int.err" &
pid=$!
# once it catches SIGINT (bit 2 of SigCgt), half a second into its run
for _ in $(seq 600); do
  cgt=$(sed -n 's/^SigCgt:\t//p' "/proc/$pid/status" 2>/dev/null)
  [ -n "$cgt" ] && (( 0x$cgt & 2 )) && break
  sleep 0.05
done
sleep 0.5
kill -INT -- -"$pid"
wait $pid
is "$?" 130 "Ctrl-C: exit 130"
n=$(sed -n 's/^deficits  *\([0-9]*\)$/\1/p' "$TMP/int.out")
like "$(cat "$TMP/int.err")" "^simulate: interrupted during slow.lua after $n of 57 deficits \(deficits\): its column holds the figures so far; what was not reached did not run\$" \
  "said on stderr, with the $n deficits done of 57"
ok "the table printed has the $n deficits resolved before the stop (fewer than 57)" test "${n:-57}" -lt 57
like "$(cat "$TMP/int.out")" $'\nnot resolved +0\n' "none of them counted as not resolved: the evaluator finished the one in hand"
done_testing
