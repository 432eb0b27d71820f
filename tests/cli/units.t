#!/usr/bin/env bash
# units.t — a ledger with units (issue 12, "Units"): what was seen was
# atoms-only output and decimals refused.  Done when a ledger initialised with
# 6 decimals imports 150.25, shows dollars, and refuses 1.2345678 with
# file:line:field and the nearest exact values; then lots and prices per
# unit, JSON Lines in units, every command's text in units and JSON with
# "units" added, the units fixed once amounts are written.
. "$(dirname "$0")/tap.sh"

S=$SOCLOSS

# ---- the Done-when line, literally ------------------------------------------

run "$S" init L --asset USD --decimals 6
is "$RC|$OUT|$ERR" $'0||socloss: created ledger L (units: USD with 6 decimals)\n' "init L --asset USD --decimals 6"
printf 'account,balance\nalice,150.25\n' >a.csv
succeeds L "import 150.25" $'imported 0 markets, 1 accounts, 0 positions\n' "$S" import L --accounts a.csv
# 150.25 USD is 150,250,000 atoms; shown as dollars, the integer part grouped
text SHOW <<'EOF'
fund cash 0.000000 USD equity 0.000000 USD
bad_debt 0.000000 USD
net_flows 150.250000 USD
account                                       balance                       equity  positions
alice                                  150.250000 USD               150.250000 USD
EOF
run "$S" show L
is "$RC|$OUT|$ERR" "0|$SHOW|" "show prints dollars"
run "$S" show L --json
is "$OUT" '{"fund":{"cash":0,"equity":0,"positions":[]},"bad_debt":0,"net_flows":150250000,"markets":[],"units":{"asset":"USD","decimals":6},"accounts":[{"account":"alice","balance":150250000,"equity":150250000,"positions":[]}]}'$'\n' \
  "show --json: atoms, and the units once"
printf 'account,balance\nbob,1.2345678\n' >b.csv
refused L "1.2345678 refused" 1 \
  "socloss: b.csv:2: balance: '1.2345678' is not a whole number of atoms (USD has 6 decimals); nearest: 1.234567 or 1.234568" \
  "$S" import L --accounts b.csv
printf 'account,balance\nbob,-1.2345678\n' >b.csv
refused L "-1.2345678 refused" 1 \
  "socloss: b.csv:2: balance: '-1.2345678' is not a whole number of atoms (USD has 6 decimals); nearest: -1.234568 or -1.234567" \
  "$S" import L --accounts b.csv
printf 'account,balance\nbob,1e3\n' >b.csv
refused L "1e3 refused" 1 "socloss: b.csv:2: balance: not a decimal number: '1e3'" "$S" import L --accounts b.csv
run "$S" journal L --json
is "$OUT" '{"seq":1,"type":"units","asset":"USD","decimals":6}
{"seq":2,"type":"account","account":"alice","balance":150250000}'$'\n' "the units are journaled; the journal keeps atoms"

# ---- the units are fixed once amounts are written -----------------------------

run "$S" units L
is "$RC|$OUT|$ERR" $'0|asset USD\ndecimals 6\n|' "units L"
refused L "units cannot change after an amount" 1 \
  "socloss: units: the ledger holds amounts since journal record 2 (account), counted in its units (USD with 6 decimals): they cannot change now" \
  "$S" units L --asset EUR --decimals 2
run "$S" units L --asset USD --decimals 6
is "$RC|$OUT|$ERR" $'0|asset USD\ndecimals 6\n|socloss: the units are already USD with 6 decimals; nothing written\n' \
  "the same units: nothing written"
"$S" init E 2>/dev/null
run "$S" units E
is "$RC|$OUT" $'0|no units: amounts are atoms, sizes lots, prices atoms per lot\n' "a ledger without units says so"
run "$S" units E --json
is "$OUT" '{"units":null,"lots":[]}'$'\n' "units --json without units"
run "$S" units E --asset EUR --decimals 2
is "$RC|$OUT|$ERR" $'0|asset EUR\ndecimals 2\n|socloss: units set: EUR with 2 decimals\n' "units set on an empty ledger"
run "$S" journal E
is "$OUT" $'1 units asset=EUR decimals=2\n' "journaled"

# ---- usage and refusals of the options ----------------------------------------

run "$S" init X --asset USD
is "$RC|$ERR" "2|socloss init: --asset and --decimals go together"$'\n'"usage: socloss init DB [--unsafe-no-sync]"$'\n' \
  "--asset without --decimals: usage"
run "$S" init X --asset USD --decimals 19
is "$RC|$(head -n 1 <<<"$ERR")" "2|socloss init: --decimals: an integer from 0 to 18, not '19'" "--decimals 19: usage"
run "$S" init X --asset 'US D' --decimals 2
is "$RC|$ERR" "1|socloss: asset: 'US D' is not a symbol (1-16 of A-Z a-z 0-9 . _ -)"$'\n' "a symbol with a space: refused"
ok "and no ledger was made" test ! -e X
run "$S" init X --asset ABCDEFGHIJKLMNOPQ --decimals 2
is "$RC|$ERR" "1|socloss: asset: 'ABCDEFGHIJKLMNOPQ' is not a symbol (1-16 of A-Z a-z 0-9 . _ -)"$'\n' "17 characters: refused"
run "$S" init --help
like "$OUT" "--asset SYMBOL --decimals N \(both or neither\) give it units" "init --help tells the units options"

# ---- lots and prices per unit -------------------------------------------------
# BTC in lots of 0.001 BTC: 60000.5 USD/BTC x 0.001 x 10^6 = 60,000,500 atoms per lot;
# ETH without a lot: its prices are per lot.  alice (150.25) and bob (1000) hold
# 3 lots each way at 59000.001 USD/BTC = 59,000,001 atoms per lot.
printf 'market,mark_price,lot\nBTC,60000.5,0.001 BTC\nETH,3000,\n' >m.csv
printf 'account,balance\nbob,1000\n' >a2.csv
printf 'account,market,size,entry_price\nalice,BTC,3,59000.001\nbob,BTC,-3,59000.001\n' >p.csv
succeeds L "import with lots" $'imported 2 markets, 1 accounts, 2 positions\n' \
  "$S" import L --markets m.csv --accounts a2.csv --positions p.csv
# alice: cost 177,000,003, upnl 180,001,500 - 177,000,003 = 3,001,497, equity 153.251497 USD;
# bob: cost -177,000,003, upnl -180,001,500 + 177,000,003 = -3,001,497, equity 996.998503 USD
text SHOW <<'EOF'
fund cash 0.000000 USD equity 0.000000 USD
bad_debt 0.000000 USD
net_flows 1,150.250000 USD
market BTC mark 60,000.500 USD/BTC open_interest 3 (0.003 BTC) lot 0.001 BTC
market ETH mark 3,000.000000 USD/lot open_interest 0
account                                       balance                       equity  positions
alice                                  150.250000 USD               153.251497 USD  BTC:3 (0.003 BTC)
bob                                  1,000.000000 USD               996.998503 USD  BTC:-3 (-0.003 BTC)
EOF
run "$S" show L
is "$RC|$OUT|$ERR" "0|$SHOW|" "show: marks per BTC, sizes in BTC too"
run "$S" show L --account alice --json
is "$OUT" '{"account":"alice","balance":150250000,"equity":153251497,"positions":[{"market":"BTC","size":3,"cost":177000003,"upnl":3001497}],"units":{"asset":"USD","decimals":6}}'$'\n' \
  "show --account --json: the units added"
run "$S" show L --json
like "$OUT" '"markets":\[\{"market":"BTC","mark":60000500,"open_interest":3,"lot":"0.001","underlying":"BTC"\},\{"market":"ETH","mark":3000000000,"open_interest":0\}\],"units":\{"asset":"USD","decimals":6\}' \
  "show --json: each market's lot"
run "$S" units L --json
is "$OUT" '{"units":{"asset":"USD","decimals":6},"lots":[{"market":"BTC","lot":"0.001","underlying":"BTC"}]}'$'\n' "units --json"
run "$S" journal L --from 3
is "$OUT" '3 market market=BTC mark=60000500
4 lot market=BTC lot=0.001 underlying=BTC
5 market market=ETH mark=3000000000
6 account account=bob balance=1000000000
7 position account=alice market=BTC size=3 entry_price=59000001
8 position account=bob market=BTC size=-3 entry_price=59000001'$'\n' "the lot is journaled after its market"
printf 'account,market,size,entry_price\nalice,ETH,1,3000\nbob,ETH,-1,3000.0000005\n' >p2.csv
refused L "a price between two atoms per lot" 1 \
  "socloss: p2.csv:3: entry_price: '3000.0000005' USD per lot is not a whole number of atoms (USD has 6 decimals); nearest: 3000.000000 or 3000.000001" \
  "$S" import L --positions p2.csv
printf 'account,market,size,entry_price\nalice,BTC,1,60000.0005\nbob,BTC,-1,60000\n' >p2.csv
refused L "a price per BTC between two atoms per lot" 1 \
  "socloss: p2.csv:2: entry_price: '60000.0005' USD per BTC is not a whole number of atoms per lot of 0.001 BTC; nearest: 60000.000 or 60000.001" \
  "$S" import L --positions p2.csv
printf 'market,mark_price,lot\nXRP,0.5,3 XRP\n' >m2.csv
refused L "a lot of 3 XRP" 1 \
  "socloss: m2.csv:2: lot: '3 XRP': a lot's digits may have no prime factor but 2 and 5 (like 1, 25 or 5 x 10^-4), so that every price per XRP is a finite decimal" \
  "$S" import L --markets m2.csv

# ---- JSON Lines in units: a JSON integer is whole units, a string a decimal -----
# SOL listed at 150.25 USD/SOL in lots of 0.1 SOL: 15,025,000 atoms per lot; bob buys
# 1 BTC lot at 60001 USD/BTC (60,001,000 atoms) from alice; the fund gets 12.5 USD.
cat >ev.jsonl <<'EOF'
{"type":"market","market":"SOL","mark":"150.25","lot":"0.1 SOL"}
{"type":"deposit","account":"alice","amount":"2.000001"}
{"type":"trade","market":"BTC","buyer":"bob","seller":"alice","size":1,"price":60001}
{"type":"fund","amount":"12.5"}
EOF
succeeds L "apply in units" $'applied 4 events\n' "$S" apply L ev.jsonl
run "$S" journal L --from 9 --json
is "$OUT" '{"seq":9,"type":"market","market":"SOL","mark":15025000}
{"seq":10,"type":"lot","market":"SOL","lot":"0.1","underlying":"SOL"}
{"seq":11,"type":"deposit","account":"alice","amount":2000001}
{"seq":12,"type":"trade","market":"BTC","buyer":"bob","seller":"alice","size":1,"price":60001000}
{"seq":13,"type":"fund","amount":12500000}'$'\n' "decimals into atoms, exactly"
printf '{"type":"deposit","account":"alice","amount":"1.2345678"}\n' >bad.jsonl
refused L "JSON: a seventh decimal" 1 \
  "socloss: bad.jsonl:1: amount: '1.2345678' is not a whole number of atoms (USD has 6 decimals); nearest: 1.234567 or 1.234568" \
  "$S" apply L bad.jsonl
printf '{"type":"deposit","account":"alice","amount":1.5}\n' >bad.jsonl
refused L "JSON: a fraction is never read" 1 \
  "socloss: bad.jsonl:1: amount: must be an integer or a decimal string (\"150.25\"), not a fraction" \
  "$S" apply L bad.jsonl
printf '{"type":"market","market":"SOL","mark":"1","lot":"1 SOL"}\n' >bad.jsonl
refused L "JSON: a listed market keeps its lot" 1 \
  "socloss: bad.jsonl:1: lot: market 'SOL' has lot 0.1 SOL, not 1 SOL; a market's lot is fixed when it is listed" \
  "$S" apply L bad.jsonl
printf '{"type":"fund","amount":"-100"}\n' >bad.jsonl
refused L "JSON: the fund's refusal in units" 1 \
  "socloss: bad.jsonl:1: amount: fund withdrawal of 100.000000 USD exceeds the fund cash 12.500000 USD" \
  "$S" apply L bad.jsonl
printf '{"type":"market","market":"SOL","mark":1,"lot":"1 SOL"}\n' >bad.jsonl
"$S" init N 2>/dev/null
refused N "JSON: a lot on a ledger without units" 1 \
  "socloss: bad.jsonl:1: lot: the ledger has no units, so its markets have no lots (socloss init DB --asset SYMBOL --decimals N)" \
  "$S" apply N bad.jsonl

# ---- a deficit in dollars: resolve, simulate, replay, the report ---------------
# USD with 2 decimals and BTC in lots of 0.01 BTC make the README's example in
# atoms: marks 100 then 94 USD/BTC are 100 and 94 atoms per lot (x 0.01 x 10^2),
# a 0.44 USD = 44 atoms, b c d 10 USD = 1000; a long 9 lots, each of them short 3.
# a's equity 44 + 9 x (94 - 100) = -10 atoms; pro_rata charges b 4, c 3, d 3
# (0.04, 0.03, 0.03 USD) and the fund takes a's 9 lots at the mark.  Records:
# 1 units, 2 market, 3 lot, 4-7 accounts, 8-11 positions, 12 the mark,
# 13 pro_rata added to the registry, 14 the deficit.
"$S" init R --asset USD --decimals 2 2>/dev/null
printf 'market,mark_price,lot\nBTC,100,0.01 BTC\n' >rm.csv
printf 'account,balance\na,0.44\nb,10\nc,10\nd,10\n' >ra.csv
printf 'account,market,size,entry_price\na,BTC,9,100\nb,BTC,-3,100\nc,BTC,-3,100\nd,BTC,-3,100\n' >rp.csv
"$S" import R --markets rm.csv --accounts ra.csv --positions rp.csv >/dev/null
echo '{"type":"market","market":"BTC","mark":"94"}' | "$S" apply R - >/dev/null
run "$S" show R --bankrupt
is "$(printf '%s' "$OUT" | tail -n 2)" 'a                                            0.44 USD                    -0.10 USD  BTC:9 (0.09 BTC)
bankrupt accounts 1, total deficit 0.10 USD' "show --bankrupt: the deficit in dollars"
text SIM <<'EOF'
                                              pro_rata
deficits                                             1
not resolved                                         0
accounts charged                                     3
total charged                                 0.10 USD
largest charge / that profit                    0.2222
Gini of charge / profit                         0.0667
overshoot (notional)                          0.00 USD
fund used                                     0.00 USD
bad debt                                      0.00 USD
split test: who paid most, in two                    b
split test: the halves pay more by           -0.01 USD
EOF
run "$S" simulate R --policy pro_rata --account a --report r.html
is "$RC|$OUT|$ERR" "0|$SIM|" "simulate: the amounts in dollars"
ok "the report names the chart's unit" grep -q 'Total charged (USD)' r.html
ok "the report's table shows dollars" grep -q '<td>0.10 USD</td>' r.html
ok "the report's bar is labelled in dollars" grep -q '>0.10 USD</text>' r.html
run "$S" simulate R --policy pro_rata --account a --json
# the top payers in atoms: b 4, c 3, d 3 of their 18 each (3 lots x 6)
like "$OUT" '"total_charged":10,.*"split":\{"account":"b","delta":-1\},"log":\[\],"failures":\[\],.*"accounts":\[\{"account":"b","charge":4,"profit":18\},\{"account":"c","charge":3,"profit":18\},\{"account":"d","charge":3,"profit":18\}\]\}\],"units":\{"asset":"USD","decimals":2\},"differences":\[\]\}' \
  "simulate --json: atoms, and the units once"
run "$S" resolve R a --id d1 --policy pro_rata --dry-run --json
like "$OUT" '"equity":-10,.*"haircuts":\[\{"account":"b","amount":4\},\{"account":"c","amount":3\},\{"account":"d","amount":3\}\],.*"rules":2,"log":\[\],"units":\{"asset":"USD","decimals":2\}\}' \
  "resolve --json: atoms, and the units"
run "$S" resolve R a --id d1 --policy pro_rata
HASH=$(sed -n 's/.*policy pro_rata (\([0-9a-f]*\)).*/\1/p' <<<"$OUT")
text RES <<EOF
deficit d1: account a, equity -0.10 USD, policy pro_rata ($HASH), applied
  fund took over 9 lots of BTC at 94 USD/BTC
  fund draw 0.00 USD
  haircut b 0.04 USD
  haircut c 0.03 USD
  haircut d 0.03 USD
  bad debt 0.00 USD
  journal record 14
EOF
is "$RC|$OUT|$ERR" "0|$RES|" "resolve: the deficit in dollars"
checks R "check passes after the resolution"
run "$S" replay R --policy pro_rata
is "$RC|$OUT" '0|record 14 deficit d1 (a): charged 0.10 USD -> 0.10 USD, fund 0.00 USD -> 0.00 USD, bad debt 0.00 USD -> 0.00 USD (same decision)
1 deficits under pro_rata: charged 0.10 USD -> 0.10 USD, fund 0.00 USD -> 0.00 USD, bad debt 0.00 USD -> 0.00 USD; 0 decided differently'$'\n' \
  "replay --policy: in dollars"
# who pays differently, in dollars: first.lua charges the whole 0.10 USD to
# the first candidate, b; pro_rata charged b 4, c 3, d 3 atoms: b pays 6 more
# (0.04 -> 0.10 USD), c and d 3 less each (0.03 -> 0.00 USD); the largest
# change first, equal ones in id order
printf '%s\n' 'return { name = "first", haircut = function(ctx)' \
  '  return { { account = ctx.account[1], amount = ctx.deficit.shortfall } } end }' > first.lua
run "$S" replay R --policy first.lua
is "$RC|$(printf '%s' "$OUT" | tail -n 4)" '0|who pays differently: 3 accounts (1 more, 2 less); the 5 largest changes each way:
  pays more b: 0.04 USD -> 0.10 USD (+0.06 USD)
  pays less c: 0.03 USD -> 0.00 USD (-0.03 USD)
  pays less d: 0.03 USD -> 0.00 USD (-0.03 USD)' "replay --policy: who pays differently, in dollars"
run "$S" replay R --policy first.lua --json
like "$(printf '%s' "$OUT" | tail -n 1)" '^\{"totals":\{"deficits":1,"differ":1,"recorded":\{"charged":10,"fund_draw":0,"bad_debt":0\},"replayed":\{"charged":10,"fund_draw":0,"bad_debt":0\},"accounts":\[\{"account":"b","recorded":4,"replayed":10,"delta":6\},\{"account":"c","recorded":3,"replayed":0,"delta":-3\},\{"account":"d","recorded":3,"replayed":0,"delta":-3\}\]\},"units":\{"asset":"USD","decimals":2\}\}$' \
  "replay --json: the totals line in atoms, per account, and the units"
run "$S" replay R --json
like "$OUT" '^\{"seq":14,"id":"d1","account":"a","same":true,.*,"units":\{"asset":"USD","decimals":2\}\}' "replay --json: the units added"

# b after paying 0.04: 10 USD + 3 x (100 - 94) cents per lot - 0.04 = 10.14 USD
refused R "a refusal names the equity in dollars" 1 "socloss: account: 'b' is not bankrupt (equity 10.14 USD)" \
  "$S" resolve R b --policy pro_rata
run "$S" limits R --fund-max-draw 500
is "$RC|$(printf '%s' "$OUT" | tail -n 1)" "0|fund_max_draw 500 (5.00 USD)" "limits: the cap in atoms, and in dollars"

# ---- the same atoms without units: the same state -----------------------------
# (the digest before the deficit: a resolved deficit's id keeps its journal
# record, which the units and lot records move on)
"$S" init R0 2>/dev/null
printf 'market,mark_price\nBTC,100\n' >rm0.csv
printf 'account,balance\na,44\nb,1000\nc,1000\nd,1000\n' >ra0.csv
"$S" import R0 --markets rm0.csv --accounts ra0.csv --positions rp.csv >/dev/null
echo '{"type":"market","market":"BTC","mark":94}' | "$S" apply R0 - >/dev/null
"$S" init R1 --asset USD --decimals 2 2>/dev/null
"$S" import R1 --markets rm.csv --accounts ra.csv --positions rp.csv >/dev/null
echo '{"type":"market","market":"BTC","mark":"94"}' | "$S" apply R1 - >/dev/null
is "$("$S" check R1 | tail -n 1)" "$("$S" check R0 | tail -n 1)" "units change no state: the same digest as the ledger in atoms"
"$S" resolve R0 a --id d1 --policy pro_rata >/dev/null
accounts_of() { "$S" show "$1" --json | sed 's/.*"accounts"://'; }
is "$(accounts_of R)" "$(accounts_of R0)" "and the same accounts after the same resolution"

done_testing
