#!/usr/bin/env bash
# policy_log.t — socloss.log, as a policy writer meets it: what a policy logs
# comes back with its decision and is shown by `resolve` (text and --json
# "log"), `resolve --all-bankrupt`, `socloss test` (TAP comments) and
# `simulate` (stderr, or --json "log"); it is never an input to a decision
# nor part of one: the same rule with and without its log lines leaves the
# same journal records (but for the fields that name the source and
# measure the run: its hash, instructions, policy_us) and the same state
# digest, replay finds no difference, and nothing it logged is stored.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/tap.sh"
S=$SOCLOSS
has() { [[ $1 == *"$2"* ]]; }  # HAYSTACK NEEDLE: a literal substring

# a (long 25 at 100) is bankrupt at 80: equity -1000 + 25 x (80 - 100) =
# -1500, the fund is empty.  Candidates in id order l p q r s: upnl at 80
# l -100, p q +1000, r s +500; equity l 900, p 5000, q -900 + 1000 = 100,
# r s 5000.
printf 'market,mark_price\nBTC,100\n' > m.csv
printf 'account,balance\na,-1000\nl,1000\np,4000\nq,-900\nr,4500\ns,4500\n' > a.csv
printf 'account,market,size,entry_price\na,BTC,25,100\nl,BTC,5,100\np,BTC,-10,180\nq,BTC,-10,180\nr,BTC,-5,180\ns,BTC,-5,180\n' > p.csv
make_ledger() {
  $S init "$1" 2>/dev/null
  $S import "$1" --markets m.csv --accounts a.csv --positions p.csv > /dev/null
  echo '{"type":"market","market":"BTC","mark":80}' | $S apply "$1" - > /dev/null
}

# one rule, quiet and loud: profit pro rata, each capped at min(profit,
# equity): q's cap of 100 binds (100 / 1000 is the lowest cap / weight),
# the other 1400 split 1000:500:500 = p 700, r 350, s 350
cat > quiet.lua <<'EOF'
local sl = socloss
return { name = "rule", haircut = function(ctx)
  local profit = sl.max(ctx.upnl.BTC, 0)
  local cap = sl.max(sl.min(profit, ctx.equity), 0)
  return sl.haircuts(sl.waterfill(profit, cap, ctx.deficit.shortfall))
end }
EOF
cat > loud.lua <<'EOF'
local sl = socloss
return { name = "rule", haircut = function(ctx)
  local profit = sl.max(ctx.upnl.BTC, 0)
  sl.log("shortfall", ctx.deficit.shortfall, "profit", profit)
  local cap = sl.max(sl.min(profit, ctx.equity), 0)
  sl.log("cap", cap, "share", 0.5, "note", "tab\there\27[2J")
  return sl.haircuts(sl.waterfill(profit, cap, ctx.deficit.shortfall))
end }
EOF
LOG1='shortfall 1500 profit column{0, 1000, 1000, 500, 500}'
LOG2='cap column{0, 1000, 100, 500, 500} share 0.5 note tab\there\x1b[2J'

make_ledger quiet
make_ledger loud

# ---- resolve: the log beside the decision ------------------------------------
run "$S" resolve loud a --policy loud.lua --id d1 --dry-run
is "$RC" 0 "a dry run with the loud rule"
like "$OUT" $'  haircut p 700\n  haircut q 100\n  haircut r 350\n  haircut s 350\n  bad debt 0\n' "it decides p 700, q 100, r 350, s 350"
is "${OUT#*bad debt 0$'\n'}" "  log: $LOG1
  log: $LOG2
" "then what it logged, each entry marked, the escape sequence escaped"
run "$S" resolve loud a --policy loud.lua --id d1 --dry-run --json
like "${OUT%$'\n'}" '"log":\["shortfall 1500 profit column\{0, 1000, 1000, 500, 500\}","cap column\{0, 1000, 100, 500, 500\} share 0\.5 note tab\\\\there\\\\x1b\[2J"\]\}$' \
  "--json: a \"log\" array, one string an entry"
run "$S" resolve quiet a --policy quiet.lua --id d1 --dry-run --json
like "${OUT%$'\n'}" '"log":\[\]\}$' "a policy that logs nothing: \"log\":[]"

# ---- never part of the decision -----------------------------------------------
run "$S" resolve quiet a --policy quiet.lua --id d1
quiet_out=$OUT
run "$S" resolve loud a --policy loud.lua --id d1
is "$RC" 0 "applied with the loud rule"
loud_out=$(grep -v '^  log: ' <<<"$OUT")
hq=$(sed -n 's/.*policy rule (\([0-9a-f]*\)).*/\1/p' <<<"$quiet_out")
hl=$(sed -n 's/.*policy rule (\([0-9a-f]*\)).*/\1/p' <<<"$loud_out")
is "${loud_out//$hl/HASH}" "$(sed 's/'"$hq"'/HASH/' <<<"${quiet_out%$'\n'}")" "the same decision printed, but for the hash"
normal() { $S journal "$1" --json | sed -E 's/[0-9a-f]{64}/HASH/g; s/"(instructions|policy_us|bytes)":[0-9]+/"\1":N/g'; }
is "$(normal loud)" "$(normal quiet)" "the same journal records, but for the hash, instructions and policy_us"
check_digest quiet && dq=$DIGEST
check_digest loud && dl=$DIGEST
is "$dl" "$dq" "the same state digest"
ok "nothing logged is stored (the log's text is nowhere in the ledger)" \
  test "$(grep -c 'shortfall 1500' loud/data.mdb)" = 0
run "$S" replay quiet --policy loud.lua
like "$OUT" '1 deficits under loud\.lua: .*; 0 decided differently' "replay: the loud rule decides what the quiet one did"
run "$S" replay loud
like "$OUT" 'reproduced exactly' "and the loud ledger replays exactly"

# ---- crash events --------------------------------------------------------------
make_ledger ev
run "$S" resolve ev --all-bankrupt --event e1 --policy loud.lua --dry-run --json
is "$RC" 0 "an event with the loud rule"
like "${OUT%%$'\n'*}" '"id":"e1:a".*"log":\["shortfall 1500 profit column' "each deficit's line has its log"
run "$S" resolve ev --all-bankrupt --event e1 --policy loud.lua --dry-run
ok "and in text" has "$OUT" "  log: $LOG1"

# ---- socloss test: TAP comments ------------------------------------------------
cat > loud_test.lua <<'EOF'
return {
  policy = "loud.lua",
  cases = {
    { name = "the cap binds q",
      markets = { { "BTC", 100 } },
      accounts = { { "a", -1000 }, { "l", 1000 }, { "p", 4000 }, { "q", -900 }, { "r", 4500 }, { "s", 4500 } },
      positions = { { "a", "BTC", 25, 100 }, { "l", "BTC", 5, 100 }, { "p", "BTC", -10, 180 }, { "q", "BTC", -10, 180 },
                    { "r", "BTC", -5, 180 }, { "s", "BTC", -5, 180 } },
      events = { { type = "market", market = "BTC", mark = 80 } },
      account = "a",
      expect = { haircuts = { { "p", 700 }, { "q", 100 }, { "r", 350 }, { "s", 350 } } } },
  },
}
EOF
run "$S" test loud_test.lua
is "$RC|$OUT" "0|1..1
#   log: $LOG1
#   log: $LOG2
ok 1 - the cap binds q
" "the case passes, what the policy logged as TAP comments before its line"

# ---- simulate --------------------------------------------------------------------
before=$(fingerprint ev)
run "$S" simulate ev --policy loud.lua --policy quiet.lua --account a
is "$RC" 0 "simulate the loud and the quiet rule"
is "$ERR" "log: loud.lua sim-1: $LOG1
log: loud.lua sim-1: $LOG2
" "stderr: the loud one's log, marked with its column and deficit, once (not for the split test's run)"
like "$OUT" 'total charged +1500 +1500' "the figures are the same for both"
# two loud columns run side by side: each column's lines together, in
# column order, never interleaved
run "$S" simulate ev --policy loud.lua --with '{}' --policy loud.lua --with '{"x":1}' --account a
is "$RC|$ERR" "0|log: loud.lua sim-1: $LOG1
log: loud.lua sim-1: $LOG2
log: loud.lua sim-1: $LOG1
log: loud.lua sim-1: $LOG2
" "two columns side by side: the first's two lines, then the second's"
run "$S" simulate ev --policy loud.lua --policy quiet.lua --account a --json
like "$OUT" '"log":\[\{"deficit":"sim-1","text":"shortfall 1500 profit column\{0, 1000, 1000, 500, 500\}"\},\{"deficit":"sim-1","text":"cap column\{0, 1000, 100, 500, 500\} share 0\.5 note tab\\\\there\\\\x1b\[2J"\}\],"failures":\[\],"label":"loud\.lua",.*\{"policy":"quiet\.lua",.*"log":\[\],"failures":\[\],"label":"quiet\.lua",.*\}\]\}\],"differences":\[\{"policy":"quiet\.lua","first":"loud\.lua","accounts":\[\]\}\]\}' \
  "--json: each policy's \"log\", {deficit, text} an entry"
is "$ERR" "" "nothing on stderr with --json"
is "$(fingerprint ev)" "$before" "nothing kept"

# ---- a deficit keeps at most 64 KiB -----------------------------------------------
# 20 accounts bankrupt at once, one joint event: 20 deleverage calls each
# logging 5,000 bytes, cut at 4,096 (4,095 d and the newline) and marked (50
# bytes): 4,146 a call; 15 calls are 62,190 bytes, the 16th would pass
# 65,536, so the deficit's cut line ends the log and the rest is dropped
{ echo 'account,balance'; for i in $(seq -w 1 20); do echo "b$i,-1000"; done; echo 'z,1000000'; } > a20.csv
{ echo 'account,market,size,entry_price'; for i in $(seq -w 1 20); do echo "b$i,BTC,10,100"; done; echo 'z,BTC,-200,100'; } > p20.csv
$S init big 2>/dev/null
$S import big --markets m.csv --accounts a20.csv --positions p20.csv > /dev/null
cat > flood.lua <<'EOF'
return { name = "flood",
  deleverage = function(ctx) socloss.log(string.rep("d", 5000)) end,
  haircut = function(ctx) socloss.log("haircut") end }
EOF
run "$S" resolve big --all-bankrupt --event crash --joint --policy flood.lua --dry-run --json
is "$RC" 0 "a joint event of 20 deficits with a flooding policy"
last=$(tail -n 2 <<<"${OUT%$'\n'}" | head -n 1)
n=$(grep -o "this call's 4096 bytes are spent" <<<"$last" | wc -l)
is "$n" 15 "the event's result keeps 15 calls' logs, each cut at 4 KiB"
like "$last" '"\[log truncated: this deficit.s 65536 bytes are spent\]"\]\}$' "then the deficit's own cut line, last"
done_testing
