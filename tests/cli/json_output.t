#!/usr/bin/env bash
# json_output.t — every machine-readable output is JSON built by jansson:
# `policy list|show --json`, `replay --json`, `simulate --json`, `show --json`.
# For ordinary ids the lines are byte for byte the contract's (docs/cli.md:
# keys, order, number formats); ids, names and paths holding '"', '\',
# control characters or bytes that are not UTF-8 still make valid JSON
# (parsed strictly by Perl's JSON::PP), with exact values.
. "$(dirname "$0")/tap.sh"

S=$SOCLOSS

# jfield JSON PATH: the value at PATH (keys and array indexes joined by '.')
# of JSON, which must parse strictly; "INVALID: why" when it does not.
jfield() {
  perl -MJSON::PP -e 'my ($text, $path) = @ARGV;
    my $v = eval { JSON::PP->new->utf8->decode($text) };
    if (!defined $v) { print "INVALID: $@"; exit 0 }
    for my $k (split /\./, $path) { $v = ref $v eq "ARRAY" ? $v->[$k] : $v->{$k} }
    binmode STDOUT, ":utf8";
    print JSON::PP::is_bool($v) ? ($v ? "true" : "false") : defined $v ? $v : "null"' -- "$1" "$2"
}

# charges the whole shortfall to the first candidate in id order (ctx.n: the last)
cat > first.lua <<'LUA'
return {
  name = "first",
  haircut = function(ctx)
    if ctx.deficit.shortfall == 0 then return {} end
    return { { account = ctx.account[1], amount = ctx.deficit.shortfall } }
  end,
}
LUA
sed 's/"first"/"last"/; s/ctx.account\[1\]/ctx.account[ctx.n]/' first.lua > last.lua
printf 'return { name = "fail", haircut = function(ctx) error("no") end }\n' > fail.lua

# ---- ordinary ids: the contract's bytes ------------------------------------

water_filling_ledger db || { echo "Bail out! cannot make the ledger"; exit 255; }
"$S" policy add db first.lua >/dev/null && "$S" policy add db last.lua >/dev/null
cp -r db sim
"$S" resolve db a --id plain-1 --policy first.lua >/dev/null
sha() { sha256sum "$1" | cut -c1-64; }
FIRST='{"name":"first","version":1,"hash":"'$(sha first.lua)'","seq":10,"bytes":'$(stat -c %s first.lua)',"roles":[]}'
LAST='{"name":"last","version":1,"hash":"'$(sha last.lua)'","seq":11,"bytes":'$(stat -c %s last.lua)',"roles":[]}'
succeeds db "policy list --json" "$FIRST"$'\n'"$LAST"$'\n' "$S" policy list db --json
succeeds db "policy show --json" "$FIRST"$'\n' "$S" policy show db first --json
REC='"recorded":{"deleveraged":[],"takeovers":[{"market":"BTC","size":25,"price":100}],"fund_draw":0,"haircuts":[{"account":"p","amount":1000}],"bad_debt":0}'
# the totals line that ends replay --json (added after 1.0): tot DIFFER
# REPLAYED-CHARGED ACCOUNTS
tot() { printf '{"totals":{"deficits":1,"differ":%s,"recorded":{"charged":1000,"fund_draw":0,"bad_debt":0},"replayed":{"charged":%s,"fund_draw":0,"bad_debt":0},"accounts":[%s]}}' "$1" "$2" "$3"; }
succeeds db "replay --json" \
  '{"seq":12,"id":"plain-1","account":"a","same":true,"field":"",'"$REC"',"replayed":'"${REC#\"recorded\":}"$',"accounts":[]}\n'"$(tot 0 1000 '')"$'\n' \
  "$S" replay db --json
succeeds db "replay --json --policy, the same decision" \
  '{"seq":12,"id":"plain-1","account":"a","same":true,"field":"",'"$REC"',"replayed":'"${REC#\"recorded\":}"$',"accounts":[]}\n'"$(tot 0 1000 '')"$'\n' \
  "$S" replay db --json --policy first.lua
# Identical totals hiding who pays: a's shortfall is 1000 (balance -1000, 25
# long at the mark 100); in profit are p (4000 + 10 x (180 - 100) = 4800) and
# r (4500 + 5 x 80 = 4900), q is not (-900 + 800 = -100).  first charged p the
# 1000, last charges r: 1000 charged either way, but p pays 1000 -> 0 (delta
# -1000) and r 0 -> 1000 (+1000), on the deficit's line and in the totals.
WHO='{"account":"p","recorded":1000,"replayed":0,"delta":-1000},{"account":"r","recorded":0,"replayed":1000,"delta":1000}'
succeeds db "replay --json --policy, a different decision: who pays differently" \
  '{"seq":12,"id":"plain-1","account":"a","same":false,"field":"haircuts",'"$REC"',"replayed":'"${REC#\"recorded\":}"',"accounts":['"$WHO"$']}\n'"$(tot 1 1000 "$WHO")"$'\n' \
  sh -c '"$0" replay db --json --policy last.lua | sed "s/\"r\",\"amount\":1000}],\"bad_debt\":0},\"accounts\"/\"p\",\"amount\":1000}],\"bad_debt\":0},\"accounts\"/"' "$S"
WHOTXT='record 12 deficit plain-1 (a): charged 1000 -> 1000, fund 0 -> 0, bad debt 0 -> 0
1 deficits under last.lua: charged 1000 -> 1000, fund 0 -> 0, bad debt 0 -> 0; 1 decided differently
who pays differently: 2 accounts (1 more, 1 less); the 5 largest changes each way:
  pays more r: 0 -> 1000 (+1000)
  pays less p: 1000 -> 0 (-1000)
'
succeeds db "replay --policy: who pays differently, in text" "$WHOTXT" "$S" replay db --policy last.lua
# a joint event: a (-1000) and q (-900 + 10 x (180 - 100) = -100) at once,
# 1100 in all, one haircut call: first charged p the 1100, last charges r;
# the accounts are read from the event's haircuts and its parts' closes
water_filling_ledger joint || { echo "Bail out! cannot make the ledger"; exit 255; }
"$S" resolve joint --all-bankrupt --event e --joint --policy first.lua >/dev/null
run "$S" replay joint --policy last.lua --json
JWHO='"accounts":\[\{"account":"p","recorded":1100,"replayed":0,"delta":-1100\},\{"account":"r","recorded":0,"replayed":1100,"delta":1100\}\]'
like "$(head -n 1 <<<"$OUT")" '^\{"seq":11,"id":"e","account":"","same":false,"field":"event",.*,'"$JWHO"'\}$' \
  "replay --json, a joint event: who pays differently"
like "$(printf '%s' "$OUT" | tail -n 1)" '^\{"totals":\{"deficits":1,"differ":1,"recorded":\{"charged":1100,.*\},'"$JWHO"'\}\}$' \
  "and in the totals line"
succeeds db "replay --json --policy, a policy that fails now" \
  '{"seq":12,"id":"plain-1","account":"a","same":false,"field":"",'"$REC"$',"replayed":null,"accounts":[]}\n'"$(tot 1 0 '')"$'\n' \
  "$S" replay db --json --policy fail.lua
# after the figures (added after 1.0): label, hash, params, top payers; then
# "differences" from the first column (none: the same policy twice, whose
# two columns are told apart by params and hash, to no avail)
H=$(sha first.lua)
FIG='"deficits":1,"not_resolved":0,"charged":1,"total_charged":1000,"largest_share":1.250000,"gini":0.666667,"overshoot":0,"fund_draw":0,"bad_debt":0,"split":{"account":"p","delta":0},"log":[],"failures":[],"label":"first.lua","hash":"'$H'","params":{},"accounts":[{"account":"p","charge":1000,"profit":800}]'
succeeds sim "simulate --json" '{"policies":[{"policy":"first.lua",'"$FIG"$'}],"differences":[]}\n' \
  "$S" simulate sim --policy first.lua --account a --json
FIG2='"deficits":1,"not_resolved":0,"charged":1,"total_charged":1250,"largest_share":1.388889,"gini":0.666667,"overshoot":0,"fund_draw":0,"bad_debt":0,"split":{"account":"p","delta":0},"log":[],"failures":[],"label":"first.lua {} '${H:0:8}'","hash":"'$H'","params":{},"accounts":[{"account":"p","charge":1250,"profit":900}]'
succeeds sim "simulate --json, two policies" \
  '{"policies":[{"policy":"first.lua",'"$FIG2"'},{"policy":"./first.lua",'"$FIG2"'}],"differences":[{"policy":"first.lua {} '${H:0:8}'","first":"first.lua {} '${H:0:8}'","accounts":[]}]}'$'\n' \
  "$S" simulate sim --policy first.lua --policy ./first.lua --shock BTC:-10 --json

# ---- ids and names holding '"' and '\' -------------------------------------

mkdir q && cd q || exit 1
printf 'market,mark_price\nBTC,100\n' > m.csv
printf 'account,balance\n"x""y\\z",44\n"b""1",1000\nc\\2,1000\nd,1000\n' > a.csv
printf 'account,market,size,entry_price\n"x""y\\z",BTC,9,100\n"b""1",BTC,-3,100\nc\\2,BTC,-3,100\nd,BTC,-3,100\n' > p.csv
"$S" init db 2>/dev/null && "$S" import db --markets m.csv --accounts a.csv --positions p.csv >/dev/null &&
  echo '{"type":"market","market":"BTC","mark":94}' | "$S" apply db - >/dev/null || { echo "Bail out! no ledger"; exit 255; }
sed 's/name = "first"/name = "q\\"uo\\\\te"/' ../first.lua > q.lua
run "$S" policy add db q.lua
is "$RC|$OUT" "0|added q\"uo\\te@1 ($(sha q.lua | cut -c1-12)) at journal record 11"$'\n' "a policy named q\"uo\\te is accepted"
cp -r db sim
for args in "list db" 'show db q"uo\te'; do
  read -r action _ ref <<<"$args"
  run "$S" policy "$action" db ${ref:+"$ref"} --json
  is "$RC" 0 "policy $args --json: exit 0"
  is "$(jfield "$OUT" name)|$(jfield "$OUT" version)|$(jfield "$OUT" hash)|$(jfield "$OUT" seq)" "q\"uo\\te|1|$(sha q.lua)|11" \
    "policy $args --json is valid JSON with the name exact"
done
"$S" resolve db 'x"y\z' --id 'i"d\1' --policy q.lua >/dev/null
for flags in "" "--policy q.lua"; do
  # shellcheck disable=SC2086
  run "$S" replay db --json $flags
  is "$RC" 0 "replay --json $flags: exit 0"
  OUT=$(head -n 1 <<<"$OUT")  # the deficit's line; the totals line follows
  is "$(jfield "$OUT" id)|$(jfield "$OUT" account)|$(jfield "$OUT" same)|$(jfield "$OUT" replayed.haircuts.0.account)" \
    'i"d\1|x"y\z|true|b"1' "replay --json $flags is valid JSON with the ids exact"
done
run "$S" show db --json
is "$(jfield "$OUT" accounts.0.account)|$(jfield "$OUT" accounts.3.account)" 'b"1|x"y\z' "show --json is valid JSON, ids exact"
run "$S" show db --json --account 'c\2'
is "$(jfield "$OUT" account)" 'c\2' "show --account --json: valid JSON, the id exact"

# ---- paths holding '"', '\', control characters, bytes that are not UTF-8 ----

odd=$'p"a\\t\th\n\x1b[31m\xff.lua'
cp q.lua "$odd"
run "$S" simulate sim --policy "$odd" --policy q.lua --account 'x"y\z' --json
is "$RC" 0 "simulate --json with an odd policy path: exit 0"
is "$(jfield "$OUT" policies.0.policy)" $'p"a\\t\th\n\x1b[31m\xef\xbf\xbd.lua' \
  "the path is exact in valid JSON, the byte that is not UTF-8 as U+FFFD"
is "$(jfield "$OUT" policies.1.policy)|$(jfield "$OUT" policies.1.split.account)" 'q.lua|b"1' \
  "the split account is exact"
is "$(jfield "$OUT" policies.0.largest_share)" "$(jfield "$OUT" policies.1.largest_share)" \
  "the same policy under two names decides alike"
like "$OUT" '"largest_share":[0-9]+\.[0-9]{6},"gini":[0-9]+\.[0-9]{6},' "shares keep their 6 decimals"

done_testing
