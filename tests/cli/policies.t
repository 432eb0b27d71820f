#!/usr/bin/env bash
# policies.t — the reference policies' own tests (policies/*_test.lua) through
# `socloss test`, and the runner itself: a wrong expectation must fail it.
here=$(cd "$(dirname "$0")" && pwd)
policies=$here/../../policies
. "$here/tap.sh"
S=$SOCLOSS

for f in "$policies"/*_test.lua "$policies"/venues/*_test.lua; do
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
# transfers: the exact atoms of each close, compared like the other lists
# (adl, whole position: a long 1 at 100, mark 70, balance 0: d = 30, b's
# close moves 30)
cp "$policies/adl.lua" .
cat > transfers_test.lua <<'LUA'
return {
  policy = "adl.lua",
  cases = {
    { name = "one close of 30 atoms", markets = { { "BTC", 100 } }, accounts = { { "a", 0 }, { "b", 1000 } },
      positions = { { "a", "BTC", 1, 100 }, { "b", "BTC", -1, 100 } },
      events = { { type = "market", market = "BTC", mark = 70 } }, account = "a",
      params = { fund_first = false }, expect = { transfers = { 30 } } },
    { name = "expects 31", markets = { { "BTC", 100 } }, accounts = { { "a", 0 }, { "b", 1000 } },
      positions = { { "a", "BTC", 1, 100 }, { "b", "BTC", -1, 100 } },
      events = { { type = "market", market = "BTC", mark = 70 } }, account = "a",
      params = { fund_first = false }, expect = { transfers = { 31 } } },
  },
}
LUA
run "$S" test transfers_test.lua
text want <<'TXT'
1..2
ok 1 - one close of 30 atoms
#   transfers: got [30]
#             expected [31]
not ok 2 - expects 31
TXT
is "$RC|$OUT" "1|$want" "expect.transfers compares each close's exact atoms"
printf 'return { policy = "missing.lua", cases = {} }\n' > nopolicy_test.lua
run "$S" test nopolicy_test.lua
is "$RC" 1 "a test file whose policy is missing fails"
like "$OUT" 'cannot read the policy file' "and says so"
printf 'while true do end\n' > hostile_test.lua
run "$S" test hostile_test.lua
is "$RC" 1 "a hostile test file is stopped by the sandbox"
like "$OUT" 'exceeded its instruction budget' "by its instruction budget"

# A case may resolve a crash event instead of one account: event = {id,
# mode}, every account bankrupt then, sequential or joint, its lists over
# all its deficits in order, its totals the event's (added for the venues'
# joint rules, okx.lua).  Hand arithmetic: mark 100 -> 50, a1 (balance 10)
# and a2 (20), long 1 each, are at -40 and -30; b and c, short 1 each, have
# 50 of profit each; the empty fund leaves 70 to pro_rata.  Joint: one
# decision over 70, 35 and 35.  Sequential: a1's 40 (20, 20), then a2's 30
# (15, 15).  Each close's exact transfer: adl.lua by pnl closes s1 4, s2 3,
# s3 1 lots of a's 8 (d = 80, 10 a lot): 40, 30, 10.
cp "$policies/adl.lua" .
cat > event_test.lua <<'LUA'
local markets = { { "BTC", 100 } }
local accounts = { { "a1", 10 }, { "a2", 20 }, { "b", 1000 }, { "c", 1000 } }
local positions = { { "a1", "BTC", 1, 100 }, { "a2", "BTC", 1, 100 }, { "b", "BTC", -1, 100 }, { "c", "BTC", -1, 100 } }
local crash = { { type = "market", market = "BTC", mark = 50 } }
return {
  policy = "pro_rata.lua",
  cases = {
    { name = "joint: one haircut decision over both holes",
      markets = markets, accounts = accounts, positions = positions, events = crash,
      event = { id = "crash", mode = "joint" },
      expect = { resolved = 2, fund_draw = 0, bad_debt = 0, charged = 70,
                 haircuts = { { "b", 35 }, { "c", 35 } }, takeovers = { { "BTC", 1, 50 }, { "BTC", 1, 50 } } } },
    { name = "sequential: a1's 40, then a2's 30",
      markets = markets, accounts = accounts, positions = positions, events = crash, event = { id = "crash" },
      expect = { resolved = 2, charged = 70, haircuts = { { "b", 20 }, { "c", 20 }, { "b", 15 }, { "c", 15 } } } },
    { name = "joint, expecting the sequential haircuts",
      markets = markets, accounts = accounts, positions = positions, events = crash,
      event = { id = "crash", mode = "joint" },
      expect = { resolved = 1, charged = 71, haircuts = { { "b", 20 }, { "c", 20 }, { "b", 15 }, { "c", 15 } } } },
    { name = "an event and an account",
      markets = markets, accounts = accounts, positions = positions, events = crash,
      event = { id = "crash" }, account = "a1", expect = {} },
  },
}
LUA
run "$S" test event_test.lua
is "$RC" 1 "event cases: a wrong expectation fails the run"
text want <<'TXT'
1..4
ok 1 - joint: one haircut decision over both holes
ok 2 - sequential: a1's 40, then a2's 30
#   charged: got 70, expected 71
#   resolved: got 2, expected 1
#   haircuts: got [["b",35],["c",35]]
#            expected [["b",20],["c",20],["b",15],["c",15]]
not ok 3 - joint, expecting the sequential haircuts
#   status: got refused, expected applied: event: {id = ID, mode = "sequential" or "joint"}, and no account beside it
not ok 4 - an event and an account
TXT
is "$OUT" "$want" "a joint and a sequential event resolved and compared; the differences said"
cat > transfers_test.lua <<'LUA'
local case = {
  markets = { { "BTC", 100 } },
  accounts = { { "a", 0 }, { "s1", 1000 }, { "s2", 1000 }, { "s3", 1000 }, { "l1", 1000 } },
  positions = { { "a", "BTC", 8, 100 }, { "s1", "BTC", -4, 110 }, { "s2", "BTC", -3, 100 },
                { "s3", "BTC", -2, 95 }, { "l1", "BTC", 1, 100 } },
  events = { { type = "market", market = "BTC", mark = 90 } }, account = "a",
  params = { fund_first = false, score = "pnl" },
}
local function with(name, expect)
  local c = { name = name, expect = expect }
  for k, v in pairs(case) do c[k] = v end
  return c
end
return {
  policy = "adl.lua",
  cases = { with("each close's transfer", { charged = 80, transfers = { 40, 30, 10 } }),
            with("other transfers", { charged = 81, transfers = { 40, 30, 11 } }) },
}
LUA
run "$S" test transfers_test.lua
text want <<'TXT'
1..2
ok 1 - each close's transfer
#   charged: got 80, expected 81
#   transfers: got [40,30,10]
#             expected [40,30,11]
not ok 2 - other transfers
TXT
is "$RC|$OUT" "1|$want" "each close's exact transfer and what a case charged, compared"

# A test file that cannot be read is a failed test, not a skipped one, and
# says so on stderr too (a TAP harness counts "1..0 # SKIP" as a pass).
run "$S" test nosuch_test.lua
is "$RC" 1 "an unreadable test file fails the run"
is "$OUT" $'1..1\nnot ok 1 - nosuch_test.lua: cannot read it: No such file or directory\n' \
  "... as one failed test, not a skip"
is "$ERR" $'socloss: nosuch_test.lua: cannot read it: No such file or directory\n' "... and says why on stderr"
mkdir adir_test.lua
run "$S" test adir_test.lua
is "$RC|$OUT" $'1|1..1\nnot ok 1 - adir_test.lua: cannot read it: Is a directory\n' "a directory is no test file"
is "$ERR" $'socloss: adir_test.lua: cannot read it: Is a directory\n' "... and stderr says it is a directory"
run "$S" test nosuch_test.lua hostile_test.lua
text want <<'TXT'
1..2
# Subtest: nosuch_test.lua
    1..1
    not ok 1 - nosuch_test.lua: cannot read it: No such file or directory
not ok 1 - nosuch_test.lua
TXT
is "$RC|${OUT%%# Subtest: hostile*}" "1|$want" "among several files, an unreadable one is a failed subtest"
is "$ERR" $'socloss: nosuch_test.lua: cannot read it: No such file or directory\n' "... and stderr names it"

# The policy a test file names stays beside it: a path is taken relative to
# the test file's directory and may not be absolute nor leave that directory
# (else a test file could make the host read any file as its "policy", and
# the load error would echo the file's first line).
mkdir -p sub/inner
cp "$policies/pro_rata.lua" sub/
cp "$policies/pro_rata.lua" sub/inner/
echo 'secret = "do not read me"' > secret.lua
ln -s ../secret.lua sub/link.lua
# leaves PATH: sub/x_test.lua naming PATH is refused, exactly.
leaves() {
  local path=$1 why=$2
  printf 'return { policy = "%s", cases = {} }\n' "$path" > sub/x_test.lua
  run "$S" test sub/x_test.lua
  is "$RC" 1 "policy '$path' is refused"
  is "$OUT" "1..1"$'\n'"not ok 1 - sub/x_test.lua names its policy and cases"$'\n'"#   policy '$path' $why"$'\n' \
    "... as a failed test naming the path"
  is "$ERR" "socloss: sub/x_test.lua: policy '$path' $why"$'\n' "... and on stderr"
}
LEAVES="leaves the test file's directory"
leaves ../secret.lua "$LEAVES"
leaves inner/../../secret.lua "$LEAVES"
leaves ./../secret.lua "$LEAVES"
leaves .. "$LEAVES"
leaves link.lua "$LEAVES"
leaves "$PWD/secret.lua" "is an absolute path: name it relative to the test file"
leaves /etc/passwd "is an absolute path: name it relative to the test file"
# within the directory, any spelling is fine
for path in pro_rata.lua ./pro_rata.lua inner/pro_rata.lua inner/../pro_rata.lua inner/./../inner/pro_rata.lua; do
  printf 'return { policy = "%s", cases = {} }\n' "$path" > sub/x_test.lua
  run "$S" test sub/x_test.lua
  is "$RC|$OUT|$ERR" $'0|1..0\n|' "policy '$path' inside the test file's directory is read"
done
printf 'return { policy = "missing.lua", cases = {} }\n' > sub/x_test.lua
run "$S" test sub/x_test.lua
WHY="cannot read the policy file $(cd sub && pwd -P)/missing.lua ('missing.lua', relative to the test file's directory): No such file or directory"
is "$RC|$OUT" "1|1..1"$'\n'"not ok 1 - sub/x_test.lua names its policy and cases"$'\n'"#   $WHY"$'\n' \
  "a missing policy is named by the whole path it was looked for at, with the reason"
is "$ERR" "socloss: sub/x_test.lua: $WHY"$'\n' "... on stderr too"
done_testing
