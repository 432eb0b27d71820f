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
text want <<'EOF2'
{"policies":[{"policy":"POL/pro_rata.lua","deficits":1,"not_resolved":0,"charged":3,"total_charged":1500,"largest_share":0.934000,"gini":0.282664,"overshoot":0,"fund_draw":0,"bad_debt":0,"split":{"account":"p","delta":1},"log":[],"failures":[]},{"policy":"POL/adl.lua","deficits":1,"not_resolved":0,"charged":3,"total_charged":960,"largest_share":0.600000,"gini":0.285714,"overshoot":0,"fund_draw":0,"bad_debt":540,"split":{"account":"p","delta":0},"log":[],"failures":[]}]}
EOF2
is "$OUT" "${want//POL/$policies}" "the figures, exactly"
run "$S" simulate "$L" --policy "$policies/pro_rata.lua" --shock BTC:-20
like "$OUT" 'accounts charged +3' "the text table"
is "$(fingerprint "$L")" "$before" "nothing was kept"
run "$S" simulate "$L" --policy "$policies/pro_rata.lua"
is "$RC" 2 "a shock or an account is required"
run "$S" simulate "$L" --policy "$policies/pro_rata.lua" --shock ETH:-5
is "$RC" 1 "an unknown market is refused"
is "$ERR" $'socloss: shock: unknown market \'ETH\'\n' "by name"
done_testing
