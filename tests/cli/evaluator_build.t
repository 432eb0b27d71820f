#!/usr/bin/env bash
# evaluator_build.t — every decision names the interpreter that made it:
# socloss-eval holds Lua itself (Debian's static liblua5.4.a, no shared
# liblua), and answers with Lua's release and its build id, the SHA-256 of
# its own executable; each deficit, joint event and failure record carries
# them ("evaluator" in journal --json), and replay says, once, how many
# records another evaluator build decided (here a copy of socloss-eval one
# byte longer, beside a copy of socloss, which starts the evaluator beside it).
here=$(cd "$(dirname "$0")" && pwd)
policies=$here/../../policies
. "$here/tap.sh"
S=$SOCLOSS

ok "socloss-eval links no shared Lua library" bash -c "! ldd '$SOCLOSS_BUILD/socloss-eval' | grep -q liblua"
build=$(sha256sum "$SOCLOSS_BUILD/socloss-eval" | cut -d' ' -f1)
ev="\"evaluator\":\\{\"lua\":\"Lua 5\\.4\\.4\",\"build\":\"$build\"\\}"

# a lone deficit, a joint event and a failure, each in the journal with the evaluator
printf 'market,mark_price\nX,100\nY,100\n' > m.csv
printf 'account,balance\nA1,0\nA2,0\nP1,1000\nP2,1000\nL1,10000\nL2,10000\n' > a.csv
printf '%s\n' account,market,size,entry_price A1,X,10,100 P1,X,-30,100 L1,X,20,100 A2,Y,9,100 P2,Y,-10,111 \
  L2,Y,1,100 > p.csv
printf '%s\n' '{"type":"market","market":"X","mark":80}' '{"type":"market","market":"Y","mark":71}' > crash.jsonl
make_ledger() {
  "$1" init "$2" > /dev/null 2>&1 && "$1" import "$2" --markets m.csv --accounts a.csv --positions p.csv > /dev/null &&
    "$1" apply "$2" crash.jsonl > /dev/null
}
echo 'return {name = "boom", haircut = function() error("boom") end}' > boom.lua

make_ledger "$S" L
run "$S" resolve L A1 --id d-1 --policy boom.lua
is "$RC" 1 "a failing policy: exit 1"
run "$S" resolve L A1 --id d-1 --policy "$policies/pro_rata.lua"
is "$RC" 0 "a deficit resolved"
run "$S" resolve L --all-bankrupt --event crash --joint --policy "$policies/pro_rata.lua"
is "$RC" 0 "the rest as a joint event"
run "$S" journal L --json
like "$(grep '"type":"deficit_failed"' <<< "$OUT")" "\"cause\":\"[^\"]*boom\",$ev\\}\$" \
  "the failure record names the evaluator: Lua's release and the SHA-256 of socloss-eval"
like "$(grep '"type":"deficit"' <<< "$OUT")" "\"rules\":2,$ev\\}\$" "so does the deficit record"
like "$(grep '"type":"event"' <<< "$OUT")" "\"rules\":2,$ev\\}\$" "and the joint event's"
run "$S" replay L
text want <<'EOF2'
record 19 deficit d-1 (A1): reproduced exactly
record 20 joint event crash: reproduced exactly
2 deficits replayed with their own policies: 2 reproduced exactly, 0 differ
EOF2
is "$RC|$OUT" "0|$want" "replayed by the same build: no note"

# the same decisions by another build of the evaluator
mkdir other
cp "$S" other/socloss
cp "$SOCLOSS_BUILD/socloss-eval" other/socloss-eval
printf '\n' >> other/socloss-eval
other=$(sha256sum other/socloss-eval | cut -d' ' -f1)
make_ledger "$TMP/other/socloss" M
run "$TMP/other/socloss" resolve M A1 --id d-1 --policy "$policies/pro_rata.lua"
is "$RC" 0 "another build resolves a deficit"
run "$TMP/other/socloss" resolve M --all-bankrupt --event crash --joint --policy "$policies/pro_rata.lua"
is "$RC" 0 "and the joint event"
run "$S" journal M --json
like "$(grep '"type":"deficit"' <<< "$OUT")" "\"build\":\"$other\"\\}\\}\$" "its records name it"
note="note: 2 records were decided by another evaluator build"
note="$note (recorded Lua 5.4.4 build ${other:0:12}, now Lua 5.4.4 build ${build:0:12})"
run "$S" replay M
text want <<EOF2
record 18 deficit d-1 (A1): reproduced exactly
record 19 joint event crash: reproduced exactly
2 deficits replayed with their own policies: 2 reproduced exactly, 0 differ
$note
EOF2
is "$RC|$OUT" "0|$want" "replay says so in one line after the others, which are unchanged"
run "$S" replay M --json
is "$(grep -c '"same":true' <<< "$OUT")|$ERR" "2|$note"$'\n' "with --json, the note goes to stderr"
run "$S" replay M --policy "$policies/tiered.lua"
is "$(tail -n 1 <<< "${OUT%$'\n'}")" "$note" "a what-if says it too"
done_testing
