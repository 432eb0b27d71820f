#!/usr/bin/env bash
# policy_errors.t — where a policy's error is, as a policy writer meets it:
# located by the policy's file name (`err.lua:3: ...`, never its
# directories) in resolve, test, simulate and replay, by name@version for a
# policy taken from the registry, never as the old `policy:3`; the journal
# names policies by name and hash and holds no path of the host's; an error
# a policy catches reads the same whoever runs it, so naming never changes a
# decision; and a test file copied as the README says runs, while one whose
# policy is not beside it is refused naming the whole path looked at.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/tap.sh"
S=$SOCLOSS
has() { [[ $1 == *"$2"* ]]; }  # HAYSTACK NEEDLE: a literal substring

# a (long 25 at 100) is bankrupt at 80: equity -1500, the fund is empty;
# p q r s are short and in profit (tests/cli/policy_log.t)
printf 'market,mark_price\nBTC,100\n' > m.csv
printf 'account,balance\na,-1000\nl,1000\np,4000\nq,-900\nr,4500\ns,4500\n' > a.csv
printf 'account,market,size,entry_price\na,BTC,25,100\nl,BTC,5,100\np,BTC,-10,180\nq,BTC,-10,180\nr,BTC,-5,180\ns,BTC,-5,180\n' > p.csv
make_ledger() {
  $S init "$1" 2>/dev/null
  $S import "$1" --markets m.csv --accounts a.csv --positions p.csv > /dev/null
  echo '{"type":"market","market":"BTC","mark":80}' | $S apply "$1" - > /dev/null
}
make_ledger L

cat > err.lua <<'EOF'
return { name = "err", haircut = function(ctx)
  local t = nil
  return t.x
end }
EOF
H=$(sha256sum err.lua | cut -c1-12)
CAUSE="policy 'err' ($H) raised an error in haircut: err.lua:3: attempt to index a nil value (local 't')"

# ---- resolve ---------------------------------------------------------------------
run "$S" resolve L a --policy err.lua --dry-run
is "$RC|$ERR" "1|socloss: $CAUSE"$'\n' "resolve: the error is located as err.lua:3, not policy:3"
mkdir -p deep/er
cp err.lua deep/er/err.lua
run "$S" resolve L a --policy "$TMP/deep/er/err.lua" --id d-err
is "$RC|$ERR" "1|socloss: $CAUSE"$'\n' "by the file's name alone, whatever directory it was given in"
run "$S" journal L --json
last=${OUT%$'\n'}
last=${last##*$'\n'}
like "$last" '^\{"seq":[0-9]+,"type":"deficit_failed","id":"d-err","account":"a","policy":\{"name":"err","hash":"[0-9a-f]{64}"\},"stage":"haircut","cause":"policy .err. \([0-9a-f]{12}\) raised an error in haircut: err\.lua:3: attempt to index a nil value \(local .t.\)","evaluator":' \
  "the deficit_failed record names the policy by name and hash, the error by file name and line"
printf 'return { name = "syn", haircut = function(ctx)\n  return x x\nend }\n' > syn.lua
run "$S" resolve L a --policy syn.lua --dry-run
like "$ERR" "^socloss: policy \\($(sha256sum syn.lua | cut -c1-12)\\) does not load: syn\\.lua:2: " "a syntax error: syn.lua:2"

# a shipped policy by its name (docs/cli.md, "Naming a policy"): the file it is
run "$S" resolve L a --policy pro_rata --params '{"scope":"nope"}' --dry-run
like "$ERR" "raised an error in haircut: pro_rata\\.lua:[0-9]+: scope must be 'market' or 'account', not 'nope'"$'\n$' \
  "a shipped policy: located by its file, pro_rata.lua"
# a policy on stdin
STDIN=err.lua run "$S" resolve L a --policy - --dry-run
is "$ERR" "socloss: ${CAUSE/err.lua:3/<stdin>:3}"$'\n' "a policy read from stdin: <stdin>:3"

# a policy from the registry: name@version
run "$S" policy add L err.lua
is "$RC|$OUT" "0|added err@1 ($H) at journal record $(( $($S journal L | wc -l) ))"$'\n' "err@1 in the registry"
$S policy activate L err 2>/dev/null
run "$S" resolve L a --dry-run
is "$ERR" "socloss: ${CAUSE/err.lua:3/err@1:3}"$'\n' "the active policy, from the registry: err@1:3"
$S policy clear L 2>/dev/null

# a deficit line of an applied file names its policy file: located by it too
make_ledger D
echo '{"type":"deficit","id":"d-line","account":"a","policy":"deep/er/err.lua"}' > line.jsonl
run "$S" apply D line.jsonl
is "$RC|$ERR" "1|socloss: line.jsonl:1: $CAUSE"$'\n' "apply: a deficit line's policy file, err.lua:3"

# ---- socloss test ----------------------------------------------------------------------
cat > err_test.lua <<'EOF'
return {
  policy = "err.lua",
  cases = {
    { name = "the error, where it is",
      markets = { { "BTC", 100 } },
      accounts = { { "a", -1000 }, { "p", 4000 } },
      positions = { { "a", "BTC", 10, 100 }, { "p", "BTC", -10, 100 } },
      account = "a",
      expect = { status = "failed", error = "err.lua:3: attempt to index a nil value (local 't')" } },
    { name = "expected to pass",
      markets = { { "BTC", 100 } },
      accounts = { { "a", -1000 }, { "p", 4000 } },
      positions = { { "a", "BTC", 10, 100 }, { "p", "BTC", -10, 100 } },
      account = "a" },
  },
}
EOF
run "$S" test err_test.lua
is "$RC|$OUT" "1|1..2
ok 1 - the error, where it is
#   status: got failed, expected applied: $CAUSE
not ok 2 - expected to pass
" "test: a case can expect the located error; a failing case shows it"
printf 'return {\n  policy = "err.lua",\n  cases = { x x },\n}\n' > broken_test.lua
run "$S" test broken_test.lua
like "$OUT" $'^1\\.\\.1\nnot ok 1 - broken_test\\.lua loads\n#   does not load: broken_test\\.lua:3: ' "a test file's own error: broken_test.lua:3"

# ---- simulate ----------------------------------------------------------------------------
run "$S" simulate L --policy err.lua --account a
is "$ERR" "not resolved: err.lua sim-1: $CAUSE"$'\n' "simulate: why the deficit was not resolved, on stderr, located"
like "$OUT" 'not resolved +1' "and counted"
run "$S" simulate L --policy err.lua --account a --json
like "$OUT" '"failures":\[\{"deficit":"sim-1","cause":"policy .err. \([0-9a-f]{12}\) raised an error in haircut: err\.lua:3: attempt to index a nil value \(local .t.\)"\}\]' \
  "--json: \"failures\", each deficit with its cause"
is "$ERR" "" "nothing on stderr with --json"

# ---- replay ---------------------------------------------------------------------------------
cat > ok.lua <<'EOF'
local sl = socloss
return { name = "ok", haircut = function(ctx)
  local profit = sl.max(ctx.upnl.BTC, 0)
  return sl.haircuts(sl.waterfill(profit, sl.max(sl.min(profit, ctx.equity), 0), ctx.deficit.shortfall))
end }
EOF
make_ledger R
$S resolve R a --policy ok.lua --id d1 > /dev/null
run "$S" replay R --policy err.lua
like "$OUT" "^record [0-9]+ deficit d1 \\(a\\): the policy fails now: ${CAUSE//[().]/.}"$'\n' "replay --policy: located by the file's name"

# ---- naming never changes a decision -----------------------------------------------------------
# inside the sandbox every chunk is "policy": the caught message is
# "policy:3: x" (11 bytes) whatever the host calls the file
cat > a_much_longer_name_for_the_catching_rule.lua <<'EOF'
return { name = "catcher", haircut = function(ctx)
  local ok, e = pcall(function()
    error("x") end)
  return { { account = "p", amount = #e } }
end }
EOF
make_ledger C
run "$S" resolve C a --policy a_much_longer_name_for_the_catching_rule.lua --id c1
like "$OUT" $'\n  haircut p 11\n' "a policy that charges the length of an error it caught: 11, 'policy:3: x'"
run "$S" replay C
like "$OUT" 'record [0-9]+ deficit c1 \(a\): reproduced exactly' "replay runs it as catcher@1 and decides the same"

# ---- no path of the host's in the journal ---------------------------------------------------------
# every record kind these commands wrote: policies added, set, activated,
# cleared, decided, failed, shadowed, limits
$S policy set L "$TMP/ok.lua" --at 2024-01-01T00:00:00Z 2>/dev/null
$S policy shadow L err 2>/dev/null
$S resolve L a --id d-ok > /dev/null 2>&1
$S limits L --instructions 3000000 > /dev/null
echo '{"type":"deficit","id":"d-file","account":"a","policy":"'"$TMP"'/deep/er/err.lua"}' > d.jsonl
$S apply L d.jsonl > /dev/null 2>&1
run "$S" journal L --json
kinds=$(grep -o '"type":"[a-z_]*"' <<<"$OUT" | sort -u | tr '\n' ' ')
is "$kinds" '"type":"account" "type":"deficit" "type":"deficit_failed" "type":"limits" "type":"market" "type":"policy" "type":"policy_added" "type":"position" "type":"shadow" ' \
  "the journal holds every kind these commands write"
ok "and no path of the host's: not $TMP, not deep/er" test "$(grep -c -e "$TMP" -e 'deep/er' <<<"$OUT")" = 0
run "$S" journal L
ok "nor in text" test "$(grep -c -e "$TMP" -e 'deep/er' <<<"$OUT")" = 0
ok "nor anywhere in the ledger's file" test "$(grep -c -a -e "$TMP" -e 'deep/er' L/data.mdb)" = 0

# ---- a test file copied as the README says -----------------------------------------------------------
# the README's lines, run as they are from a copy of the repository's
# policies/, with $EDITOR making the edit its comment asks for, then the
# other comment's edit
readme=$here/../../README.md
mkdir -p walk/policies
cp "$here/../../policies/pro_rata.lua" "$here/../../policies/pro_rata_test.lua" walk/policies/
printf '#!/bin/sh\nsed -i "s/name = \\"pro_rata\\"/name = \\"proposal\\"/" "$1"\n' > edit-name
chmod +x edit-name
steps=$(sed -n 's/^    \(cp policies\/pro_rata[^#]*\)#.*/\1/p' "$readme")
is "$(wc -l <<<"$steps")" 2 "the README copies the policy and its test file"
(cd walk && EDITOR=$TMP/edit-name eval "$steps")
sed -i 's/policy = "pro_rata.lua"/policy = "proposal.lua"/' walk/proposal_test.lua  # its comment: policy = "proposal.lua"
grep -q 'name = "proposal"' walk/proposal.lua && grep -q 'policy = "proposal.lua"' walk/proposal_test.lua
is "$?" 0 "both edited as the comments say"
test_line=$(sed -n 's/^    socloss \(test proposal_test\.lua\) *#.*/\1/p' "$readme")
is "$test_line" "test proposal_test.lua" "the README runs: socloss test proposal_test.lua"
cases=$(grep -c '^ *name = "' walk/policies/pro_rata_test.lua)
run sh -c 'cd walk && "$0" $1' "$S" "$test_line"
is "$RC" 0 "the copied test file runs from where the README runs it"
like "$OUT" "^1\\.\\.$cases"$'\n' "all $cases cases"
ok "none fails" test "$(grep -c '^not ok' <<<"$OUT")" = 0
run "$S" test "$TMP/walk/proposal_test.lua"
is "$RC" 0 "and from anywhere else: its policy is taken beside it"
# copied but not edited: pro_rata.lua is not beside it
cp walk/policies/pro_rata_test.lua walk/copied_test.lua
run sh -c 'cd walk && "$0" test copied_test.lua' "$S"
is "$RC|$OUT" "1|1..1
not ok 1 - copied_test.lua names its policy and cases
#   cannot read the policy file $(cd walk && pwd -P)/pro_rata.lua ('pro_rata.lua', relative to the test file's directory): No such file or directory
" "a copy whose policy is not beside it: refused, naming the whole path it was looked for at"
done_testing
