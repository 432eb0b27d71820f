#!/usr/bin/env bash
# policy_names.t — `--policy REF` (resolve, replay, simulate) and `policy
# add|set DB REF` find a policy in this order (docs/cli.md, "Naming a
# policy"): a file at the path REF; a shipped policy, REF.lua in the
# reference policies' directory (from the build tree: the source tree's
# policies/; the installed copy is tests/cli/install.t's); a policy of the
# ledger's registry (--policy only).  Each step is shown winning over the
# next, and what is found nowhere is refused naming every place looked at.
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
. "$here/tap.sh"
S=$SOCLOSS

hash12() { sha256sum "$1" | cut -c1-12; }
pro=$(hash12 "$repo/policies/pro_rata.lua")
tiered=$(hash12 "$repo/policies/tiered.lua")

# the first line of a dry run of a's deficit
first_line() { head -n 1 <<<"$OUT"; }
water_filling_ledger db

# ---- 2. shipped: the build tree's program reads the source tree's policies
run "$S" resolve db a --id d --dry-run --policy pro_rata
is "$RC|$ERR" "0|" "resolve --policy pro_rata: no such file here, the shipped one decides"
is "$(first_line)" "deficit d: account a, equity -1000, policy pro_rata ($pro), dry-run" \
  "... policies/pro_rata.lua of the source tree (its hash)"
run "$S" resolve db a --id d --dry-run --policy tiered.lua
is "$RC|$(first_line)" "0|deficit d: account a, equity -1000, policy tiered ($tiered), dry-run" \
  "a shipped policy may be named with its .lua too"
run "$S" policy add db pro_rata
is "$RC|$OUT|$ERR" "0|added pro_rata@1 ($pro) at journal record 10"$'\n'"|" "policy add db pro_rata: the shipped file"

# ---- 1. a file at the path comes first, even under a shipped name
cat > pro_rata <<'EOF'
return { name = "local_file", haircut = function(ctx) return {} end }
EOF
local_file=$(hash12 pro_rata)
run "$S" resolve db a --id d --dry-run --policy pro_rata
is "$RC|$(first_line)" "0|deficit d: account a, equity -1000, policy local_file ($local_file), dry-run" \
  "a file named pro_rata in the working directory wins over the shipped pro_rata"
mkdir tiered
run "$S" resolve db a --id d --dry-run --policy tiered
is "$RC|$OUT|$ERR" "1||socloss: tiered: Is a directory"$'\n' \
  "a path that is there but cannot be read is its own error, never the shipped one's turn"
rm -f pro_rata
rmdir tiered

# ---- 3. the registry: what is neither a file nor shipped
cat > mine.lua <<'EOF'
return { name = "mine", haircut = function(ctx) return {} end }
EOF
mine=$(hash12 mine.lua)
run "$S" policy add db mine.lua
is "$RC|$OUT" "0|added mine@1 ($mine) at journal record 11"$'\n' "mine@1 in the registry"
# a registered policy named like a shipped one: the shipped file wins
cat > fake_tiered.lua <<'EOF'
return { name = "tiered", haircut = function(ctx) return {} end }
EOF
run "$S" policy add db fake_tiered.lua
is "$RC" 0 "a policy named tiered in the registry"
rm mine.lua fake_tiered.lua
for ref in mine mine@1 "$mine"; do
  run "$S" resolve db a --id d --dry-run --policy "$ref"
  is "$RC|$(first_line)" "0|deficit d: account a, equity -1000, policy mine ($mine), dry-run" \
    "resolve --policy $ref: from the registry"
done
run "$S" resolve db a --id d --dry-run --policy tiered
is "$RC|$(first_line)" "0|deficit d: account a, equity -1000, policy tiered ($tiered), dry-run" \
  "resolve --policy tiered: the shipped tiered.lua, not the registry's tiered@1"
run "$S" resolve db --all-bankrupt --event e1 --dry-run --policy mine
is "$RC|$(first_line)" "0|deficit e1:a: account a, equity -1000, policy mine ($mine), dry-run" \
  "resolve --all-bankrupt --policy mine: from the registry"
run "$S" replay db --policy mine
is "$RC|$OUT|$ERR" "0|0 deficits under mine: charged 0 -> 0, fund 0 -> 0, bad debt 0 -> 0; 0 decided differently"$'\n'"|" \
  "replay --policy mine: from the registry"
run "$S" simulate db --policy mine --policy pro_rata --account a --json
like "$RC|$OUT" '^0\|\{"policies":\[\{"policy":"mine","deficits":1,.*\},\{"policy":"pro_rata","deficits":1,' \
  "simulate --policy mine --policy pro_rata: the registry's and the shipped one side by side"

# ---- nowhere: every place looked at is named
run "$S" resolve db a --id d --dry-run --policy nope
is "$RC|$OUT|$ERR" "1||socloss: nope: no such file, no shipped policy $repo/policies/nope.lua and no such policy in the registry"$'\n' \
  "resolve --policy nope: refused, naming the file, the shipped path and the registry"
run "$S" simulate db --policy nope --account a
is "$RC|$OUT|$ERR" "1||socloss: nope: no such file, no shipped policy $repo/policies/nope.lua and no such policy in the registry"$'\n' \
  "simulate --policy nope: the same"
run "$S" replay db --policy mine@7
is "$RC|$ERR" "1|socloss: mine@7: no such file, no shipped policy $repo/policies/mine@7.lua and no such policy in the registry"$'\n' \
  "replay --policy mine@7: no such version"
run "$S" replay db --policy mine@x
is "$RC|$ERR" "1|socloss: mine@x: no such file, no shipped policy $repo/policies/mine@x.lua; registry: policy: bad version in 'mine@x'"$'\n' \
  "what the registry says of a reference it cannot take is told"
run "$S" resolve db a --id d --dry-run --policy ../policies/pro_rata
is "$RC|$ERR" "1|socloss: ../policies/pro_rata: no such file and no such policy in the registry"$'\n' \
  "a name with .. is never looked for among the shipped policies"
run "$S" policy add db nope
is "$RC|$OUT|$ERR" "1||socloss: nope: no such file, no shipped policy $repo/policies/nope.lua"$'\n' \
  "policy add db nope: a file or a shipped policy, never the registry"
done_testing
