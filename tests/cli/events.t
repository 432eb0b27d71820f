#!/usr/bin/env bash
# events.t — crash events from the CLI on a ledger worked by hand
# (tests/test_event.c has the arithmetic): A1 is 200 short in X, A2 261 in
# Y; P1 has 600 of profit in X, P2 400 in Y; an empty fund.  Sequential
# pro_rata charges P1 200 and P2 261; joint, one rate: P1 277, P2 184.
here=$(cd "$(dirname "$0")" && pwd)
policies=$here/../../policies
. "$here/tap.sh"
S=$SOCLOSS

printf 'market,mark_price\nX,100\nY,100\n' > m.csv
printf 'account,balance\nA1,0\nA2,0\nP1,1000\nP2,1000\nL1,10000\nL2,10000\n' > a.csv
printf 'account,market,size,entry_price\nA1,X,10,100\nP1,X,-30,100\nL1,X,20,100\nA2,Y,9,100\nP2,Y,-10,111\nL2,Y,1,100\n' > p.csv
printf '%s\n' '{"type":"market","market":"X","mark":80}' '{"type":"market","market":"Y","mark":71}' > crash.jsonl
make_ledger() {
  "$S" init "$1" > /dev/null 2>&1 && "$S" import "$1" --markets m.csv --accounts a.csv --positions p.csv > /dev/null &&
    "$S" apply "$1" crash.jsonl > /dev/null
}
charges() {  # the haircut lines' accounts and amounts, in order
  perl -MJSON::PP -ne 'my $o = eval { decode_json($_) } or next; next unless $o->{haircuts};
    print "$_->{account}=$_->{amount} " for @{$o->{haircuts}}' <<< "$1"
}

make_ledger seq
run "$S" resolve seq --all-bankrupt --event crash --policy "$policies/pro_rata.lua" --json
is "$RC" 0 "sequential: exit 0, everyone resolved"
is "$(printf '%s' "$OUT" | grep -c '"status":"applied"')" 2 "two deficit lines"
is "$(charges "$OUT")" "P1=200 P2=261 " "P1 pays A1's 200, P2 A2's 261"
is "$(printf '%s' "$OUT" | tail -n 1)" \
  '{"event":"crash","mode":"sequential","bankrupt":2,"resolved":2,"failed":0,"deficit":461,"fund_draw":0,"charged":461,"bad_debt":0,"dry_run":false}' \
  "then the totals"
like "$OUT" '"id":"crash:A1"' "deficit ids EVENT:ACCOUNT"
run "$S" check seq
is "$RC" 0 "check passes"

make_ledger joint
before=$(fingerprint joint)
run "$S" resolve joint --all-bankrupt --event crash --joint --policy "$policies/pro_rata.lua" --json --dry-run
is "$RC|$(fingerprint joint)" "0|$before" "a joint dry run keeps nothing"
run "$S" resolve joint --all-bankrupt --event crash --joint --policy "$policies/pro_rata.lua" --json
is "$RC" 0 "joint: exit 0"
is "$(charges "$OUT")" "P1=277 P2=184 " "one rate for the whole 461: P1 277, P2 184"
is "$(printf '%s\n' "$OUT" | sed -n 3p | perl -MJSON::PP -ne 'my $o = decode_json($_); print "$o->{id}|$o->{account}|$o->{equity}|$o->{bad_debt}"')" \
  "crash||-461|0" "the event's own line: no account, the summed equity"
is "$(printf '%s' "$OUT" | tail -n 1)" \
  '{"event":"crash","mode":"joint","bankrupt":2,"resolved":2,"failed":0,"deficit":461,"fund_draw":0,"charged":461,"bad_debt":0,"dry_run":false}' \
  "the totals say joint"
run "$S" journal joint --json
is "$(printf '%s\n' "$OUT" | grep -c '"type":"event","id":"crash","mode":"joint"')" 1 "one journal record for the event"
run "$S" replay joint
is "$RC" 0 "replay verifies it"
like "$OUT" 'joint event crash: reproduced exactly' "decided again as a whole, the same"
run "$S" check joint
is "$RC" 0 "check replays it"

# socloss.lots_to_close has one deficit's lots to give: in a joint event's
# one haircut call it is the policy's error, journaled with its cause
make_ledger lots
printf '%s\n' 'return { name = "lots_joint", haircut = function(ctx)' \
  '  local lots = socloss.lots_to_close() return socloss.haircuts(socloss.column(ctx.n)) end }' > lots_joint.lua
run "$S" resolve lots --all-bankrupt --event crash --joint --policy lots_joint.lua --json
is "$RC" 1 "joint with lots_to_close in the haircut: exit 1"
like "$OUT" '"resolved":0,"failed":2' "neither account resolved"
run "$S" journal lots --json
like "$OUT" '"type":"deficit_failed","id":"crash",.*"cause":"policy .lots_joint. \([0-9a-f]{12}\) raised an error in haircut: lots_joint.lua:2: lots_to_close: a joint event.s haircut has no one deficit to close"' \
  "the cause journaled: no one deficit to close"

# an event line in an applied file
make_ledger applied
printf '%s\n' "{\"type\":\"event\",\"id\":\"crash\",\"mode\":\"joint\",\"policy\":\"$policies/pro_rata.lua\"}" > ev.jsonl
run "$S" apply applied ev.jsonl
is "$RC" 0 "apply: an event line, joint"
run "$S" show applied --account P1 --json
like "$OUT" '"equity":1323' "P1 paid 277 out of its 600 (equity 1000 + 600 - 277)"
printf '%s\n' '{"type":"event","id":"x","mode":"sideways"}' > bad.jsonl
run "$S" apply applied bad.jsonl
is "$RC|$ERR" $'1|socloss: bad.jsonl:1: mode: \'sideways\' is not sequential or joint\n' "an unknown mode is refused"

# simulate, both modes side by side
make_ledger sim
printf '%s\n' '{"type":"market","market":"X","mark":100}' > back.jsonl
"$S" apply sim back.jsonl > /dev/null
run "$S" simulate sim --policy "$policies/pro_rata.lua" --shock X:-20 --mode both
is "$RC" 0 "simulate --mode both"
like "$OUT" 'largest charge / that profit +0\.6525 +0\.4617' \
  "largest share: 261/400 sequential, 277/600 joint"
like "$OUT" 'total charged +461 +461' "the same total"

# usage
run "$S" resolve seq --all-bankrupt
is "$RC" 2 "--all-bankrupt needs --event"
run "$S" resolve seq A1 --joint
is "$RC" 2 "--joint goes with --all-bankrupt"
long=$(printf 'e%.0s' $(seq 62))
make_ledger long
run "$S" resolve long --all-bankrupt --event "$long" --policy "$policies/pro_rata.lua"
is "$RC|$ERR" "1|socloss: id: '$long' and account 'A1' make a deficit id longer than 64 bytes"$'\n' \
  "an event id too long for its deficit ids is refused before anything runs"
done_testing
