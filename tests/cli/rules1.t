#!/usr/bin/env bash
# rules1.t — a ledger written before the money rules changed
# (tests/fixtures/rules1-ledger, its README says how it was made) still
# checks and replays under the rules its records were written with, the fund
# cap of the time included; a deficit resolved on it now is of rules 2, and
# the whole journal still checks and replays.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/tap.sh"
S=$SOCLOSS
L=$TMP/ledger
mkdir "$L" && cp "$here/../fixtures/rules1-ledger/data.mdb" "$L/"

run "$S" check "$L"
is "$RC" 0 "the old ledger checks"
like "$OUT" 'ok - replaying the journal reproduces the state' "its journal replays to the same state"
run "$S" replay "$L"
is "$RC" 0 "replay verifies it"
like "$OUT" 'record 28 deficit dust \(d\): reproduced exactly' \
  "the deficit decided under a fund cap of 5 is decided again under that cap, not today's"
is "$(printf '%s' "$OUT" | tail -n 1)" "3 deficits replayed with their own policies: 3 reproduced exactly, 0 differ" "all three reproduce"
run "$S" journal "$L" --json
is "$(printf '%s\n' "$OUT" | grep -c '"type":"deficit".*"rules":1')" 3 "the three records say rules 1"
# two-markets: rules 1 closed at the rounded prices 100 and 50, and the
# atom lost to rounding was drawn from the fund (fund_draw 1)
like "$OUT" '"id":"two-markets".*"price":100\},\{"account":"c","market":"ETH","size":20,"price":50\}\],"takeovers":\[\],"fund_draw":1,' \
  "as they were written: the rounded prices, the dust atom from the fund"

printf '%s\n' '{"type":"market","market":"BTC","mark":200}' > shock.jsonl
run "$S" apply "$L" shock.jsonl
is "$RC" 0 "BTC to 200: b goes bankrupt"
run "$S" resolve "$L" b --id new --policy "$here/../../policies/pro_rata.lua" --json
is "$RC" 0 "a new deficit on the old ledger"
like "$OUT" '"rules":2' "is decided under rules 2"
run "$S" check "$L"
is "$RC" 0 "the mixed journal checks"
run "$S" replay "$L"
is "$(printf '%s' "$OUT" | tail -n 1)" "4 deficits replayed with their own policies: 4 reproduced exactly, 0 differ" \
  "and replays, each record under its own rules"
done_testing
