#!/usr/bin/env bash
# policies.t — the reference policies' own tests (policies/*_test.lua) through
# `socloss test`, and the runner itself: a wrong expectation must fail it.
here=$(cd "$(dirname "$0")" && pwd)
policies=$here/../../policies
. "$here/tap.sh"
S=$SOCLOSS

for f in "$policies"/*_test.lua; do
  name=$(basename "$f")
  run "$S" test "$f"
  is "$RC" 0 "$name passes"
  [ "$RC" = 0 ] || diag "$OUT"
  cases=$(printf '%s' "$OUT" | grep -c '^ok ')
  planned=$(printf '%s' "$OUT" | sed -n 's/^1\.\.//p')
  is "$cases" "$planned" "$name: all $planned cases ran and passed"
done

# the runner can fail: a wrong expectation, a broken ledger, a missing policy
cp "$policies/pro_rata.lua" .
cat > wrong_test.lua <<'LUA'
return {
  policy = "pro_rata.lua",
  cases = {
    { name = "expects the wrong haircut",
      markets = { { "BTC", 100 } }, accounts = { { "a", -30 }, { "b", 1000 } },
      positions = { { "a", "BTC", 1, 100 }, { "b", "BTC", -1, 150 } }, account = "a",
      expect = { haircuts = { { "b", 31 } } } },
    { name = "a ledger that does not net to zero",
      markets = { { "BTC", 100 } }, accounts = { { "a", -30 } },
      positions = { { "a", "BTC", 1, 100 } }, account = "a", expect = {} },
  },
}
LUA
run "$S" test wrong_test.lua
is "$RC" 1 "a failing case fails the run"
text want <<'TXT'
1..2
#   haircuts: got [["b",30]]
#            expected [["b",31]]
not ok 1 - expects the wrong haircut
not ok 2 - a ledger that does not net to zero
#   the case's ledger is refused: positions:2: size: market 'BTC': the imported sizes sum to 1, not 0
TXT
is "$OUT" "$want" "and says what differed"
printf 'return { policy = "missing.lua", cases = {} }\n' > nopolicy_test.lua
run "$S" test nopolicy_test.lua
is "$RC" 1 "a test file whose policy is missing fails"
like "$OUT" 'cannot read the policy file' "and says so"
printf 'while true do end\n' > hostile_test.lua
run "$S" test hostile_test.lua
is "$RC" 1 "a hostile test file is stopped by the sandbox"
like "$OUT" 'exceeded its instruction budget' "by its instruction budget"
done_testing
