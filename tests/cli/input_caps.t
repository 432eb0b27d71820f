#!/usr/bin/env bash
# input_caps.t — every file the CLI reads has a cap, and a file over it is
# refused by name without being read whole: a policy at 256 KiB + 1 byte (one
# more than the sandbox takes, so that a source just over the sandbox's limit
# is still told by it), CSV and JSON Lines at 1 GiB.  /dev/zero ends after
# cap + 1 bytes; a sparse file over the cap is refused by its size alone.
. "$(dirname "$0")/tap.sh"

S=$SOCLOSS
water_filling_ledger db || { echo "Bail out! cannot make the ledger"; exit 255; }
"$S" apply db /dev/stdin >/dev/null <<<'{"type":"market","market":"BTC","mark":80}'
POLICY_CAP=262145
INPUT_CAP=1073741824
POLICY_MSG="a policy file may hold at most $POLICY_CAP bytes"
INPUT_MSG="an input file may hold at most $INPUT_CAP bytes"

# A command that reads without end must not take the machine down with it:
# bounded in time and (but under a sanitizer, which maps terabytes) memory.
build=$(cd "$(dirname "$S")" && pwd)
if grep -q '^SOCLOSS_SANITIZE:BOOL=ON' "$build/CMakeCache.txt" 2>/dev/null; then SANITIZED=1; else SANITIZED=; fi
bounded() {
  ( [ -n "$SANITIZED" ] || ulimit -v 4194304; exec timeout 120 "$@" )
}

# ---- policies: /dev/zero, and a sparse file one byte over -------------------

for cmd in "resolve db a --policy" "policy add db" "policy set db" "replay db --policy" \
           "simulate db --account a --policy"; do
  # shellcheck disable=SC2086
  refused db "$cmd /dev/zero" 1 "socloss: /dev/zero: $POLICY_MSG" bounded "$S" $cmd /dev/zero
done
truncate -s $((POLICY_CAP + 1)) over.lua
refused db "a sparse policy one byte over the cap" 1 "socloss: over.lua: $POLICY_MSG" \
  bounded "$S" resolve db a --policy over.lua
truncate -s $((8 << 30)) huge.lua
refused db "a sparse policy of 8 GiB" 1 "socloss: huge.lua: $POLICY_MSG" bounded "$S" policy add db huge.lua
# at the cap the file reaches the sandbox, which tells what it takes
truncate -s $POLICY_CAP at.lua
run bounded "$S" policy add db at.lua
is "$RC|$OUT" "1|" "a policy at the cap is refused by the sandbox"
like "$ERR" "^socloss: policy \\([0-9a-f]{12}\\) does not load: policy source is larger than 256 KiB"$'\n$' \
  "... as larger than 256 KiB"
printf '{"type":"deficit","id":"z1","account":"a","policy":"/dev/zero"}\n' > zero.jsonl
run bounded "$S" apply db zero.jsonl
is "$RC|$OUT" "1|" "a deficit event's policy /dev/zero is read to the sandbox's limit and no further"
like "$ERR" "^socloss: zero.jsonl:1: policy \\([0-9a-f]{12}\\) does not load: policy source is larger than 256 KiB"$'\n$' \
  "... which refuses it"

# ---- CSV and JSON Lines: sparse files over 1 GiB -----------------------------

truncate -s $((INPUT_CAP + 1)) big.csv big.jsonl
refused db "a markets file one byte over 1 GiB" 1 "socloss: big.csv: $INPUT_MSG" \
  bounded "$S" import db --markets big.csv
text want <<TXT
socloss: big.csv: $INPUT_MSG
socloss: big.csv: $INPUT_MSG
TXT
run bounded "$S" import db --accounts big.csv --positions big.csv
is "$RC|$OUT|$ERR" "1||$want" "each file over the cap is told"
refused db "an events file one byte over 1 GiB" 1 "socloss: big.jsonl: $INPUT_MSG" bounded "$S" apply db big.jsonl
truncate -s $((64 << 30)) huge.jsonl
refused db "an events file of 64 GiB" 1 "socloss: huge.jsonl: $INPUT_MSG" bounded "$S" apply db huge.jsonl

done_testing
