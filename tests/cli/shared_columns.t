#!/usr/bin/env bash
# shared_columns.t — the candidates' columns reach the evaluator two ways
# (docs/design.md §8, "The columns, shared"): through the shared region (the
# default) or copied into each request (the fallback, forced here with
# SOCLOSS_EVAL_COPY=1).  A policy sees byte-identical inputs either way, so
# every decision and every refusal must be byte for byte the same: the
# reference policies (policies/*.lua, policies/venues/*.lua) on a generated
# crash, sequential and joint, with each call's instruction count (one more
# or one fewer read of a column would change it), and the whole hostile
# corpus (tests/hostile/*.lua) on hostile.t's ledger, its exit code, its
# output and its message.  Only the policy's wall time (policy_us) differs.
here=$(cd "$(dirname "$0")" && pwd)
root=$here/../..
. "$here/tap.sh"
need_gen
S=$SOCLOSS
unset SOCLOSS_EVAL_COPY

# the crash of adl_identity.t: 1,000 accounts, 2 markets, BTC-PERP down 20%
"$SOCLOSS_GEN" gen --accounts 1000 --markets 2 --seed 7 2>/dev/null
"$S" init G --unsafe-no-sync 2>/dev/null
"$S" import G --markets gen/markets.csv --accounts gen/accounts.csv --positions gen/positions.csv \
  --unsafe-no-sync > /dev/null
printf '%s\n' '{"type":"fund","amount":2000000000}' '{"type":"market","market":"BTC-PERP","mark":48000000}' > shock.jsonl
run "$S" apply G shock.jsonl --unsafe-no-sync
is "$RC|$OUT" $'0|applied 2 events\n' "the crash: 1,000 accounts, 2,000 USD in the fund, BTC-PERP down 20%"

# hostile.t's ledger: five candidates, a's deficit
printf 'market,mark_price\nBTC,100\n' > m.csv
printf 'account,balance\na,-1000\nl,1000\np,4000\nq,-900\nr,4500\ns,4500\n' > a.csv
printf 'account,market,size,entry_price\na,BTC,25,100\nl,BTC,5,100\np,BTC,-10,180\nq,BTC,-10,180\nr,BTC,-5,180\ns,BTC,-5,180\n' > p.csv
"$S" init H 2>/dev/null
"$S" import H --markets m.csv --accounts a.csv --positions p.csv > /dev/null
echo '{"type":"market","market":"BTC","mark":80}' | "$S" apply H - > /dev/null
"$S" limits H --instructions 2000000 --memory 67108864 --wall-ms 5000 > /dev/null

# "RC|stdout|stderr" of one command, the policy's wall time taken out
both() {  # LABEL COMMAND...
  local shared copied label=$1
  shift
  run "$@"
  shared="$RC|$(sed -E 's/"policy_us":[0-9]+/"policy_us":-/g' <<<"$OUT")|$ERR"
  SOCLOSS_EVAL_COPY=1 run "$@"
  copied="$RC|$(sed -E 's/"policy_us":[0-9]+/"policy_us":-/g' <<<"$OUT")|$ERR"
  if [ "$shared" == "$copied" ]; then
    ok "$label" true
  else
    ok "$label" false
    diag "shared: ${shared:0:400}" "copied: ${copied:0:400}"
  fi
  LAST=$shared
}

count=0
for f in "$root"/policies/*.lua "$root"/policies/venues/*.lua; do
  case $f in *_test.lua) continue ;; esac
  name=${f#"$root"/policies/}
  both "$name: a sequential event decides the same, shared or copied" "$S" resolve G --all-bankrupt --event e \
    --dry-run --json --policy "$f"
  seq_out=$LAST
  both "$name: a joint event decides the same, shared or copied" "$S" resolve G --all-bankrupt --event e --joint \
    --dry-run --json --policy "$f"
  count=$((count + 1))
done
# a policy that reads every cell of every column and says what it read
# (weighted sums, the ids' bytes too): any byte that differs shows
cat > all.lua <<'LUA'
local function sum(col, n)
  local s = 0
  for i = 1, n do s = s + col[i] * i end
  return s
end
return {name = "all", haircut = function(ctx)
  local n, out = ctx.n, {}
  local ids = 0
  for i = 1, n do ids = ids + #ctx.account[i] * i + string.byte(ctx.account[i], -1) end
  out[#out + 1] = ids
  for _, k in ipairs({"balance", "equity", "upnl_total"}) do out[#out + 1] = sum(ctx[k], n) end
  for _, mk in ipairs(ctx.deficit.markets) do
    for _, k in ipairs({"size", "cost", "upnl"}) do out[#out + 1] = sum(ctx[k][mk.market], n) end
  end
  out[#out + 1] = sum(ctx.event.profit0, n)
  out[#out + 1] = sum(ctx.event.charged, n)
  error("read " .. n .. " rows: " .. table.concat(out, " "))
end}
LUA
both "every column, cell by cell: the same, shared or copied" "$S" resolve G --all-bankrupt --event e --dry-run \
  --json --policy all.lua
like "$LAST" '"failure":"[^"]*read 1001 rows: [0-9-]+( [0-9-]+){11}"' "(1,001 rows each time, 12 sums: 2 markets)"

ok "the reference policies and the venues' are all compared ($count, at least 14)" test "$count" -ge 14
like "$seq_out" '"resolved":[1-9]' "and they decide something (the last one's sequential event resolves deficits)"

# the hostile corpus, refused or deciding, each the same both ways; the
# three cases hostile.t makes are about the source, not the columns
hostile=0
for f in "$root"/tests/hostile/*.lua; do
  name=$(basename "$f" .lua)
  both "hostile $name: the same answer, shared or copied" "$S" resolve H a --policy "$f" --id cmp --dry-run --json
  hostile=$((hostile + 1))
done
ok "the hostile corpus is compared whole ($hostile policies, at least 80)" test "$hostile" -ge 80

# the column a policy tries to write is refused as before, and what the
# host reads back is its own: the decision after the attempt is the sound one
cat > write.lua <<'LUA'
return {name = "writer", haircut = function(ctx)
  local ok, err = pcall(function() ctx.balance[1] = 0 end)
  local ok2, err2 = pcall(function() ctx.size.BTC[2] = 1 end)
  error(err .. " / " .. err2)
end}
LUA
both "a write to a column: the same refusal, shared or copied" "$S" resolve H a --policy write.lua --dry-run
h=$(sha256sum write.lua | cut -c1-12)
is "$LAST" "1|deficit 16-a: account a, policy writer ($h), failed: nothing applied|socloss: policy 'writer' ($h) raised an error in haircut: write.lua:4: policy:2: this column is read-only / policy:3: this column is read-only
" \
  "and it is 'this column is read-only', for a market's column too"
done_testing
