#!/usr/bin/env bash
# basic.t — the CLI end to end on a small hand-written ledger whose every
# number is worked out by hand below: init, import, show, journal, apply,
# show --bankrupt, --help, usage errors, a missing ledger.
. "$(dirname "$0")/tap.sh"

S=$SOCLOSS

# ---- init ----------------------------------------------------------------

run "$S" init db
is "$RC" 0 "init: exit 0"
is "$ERR" $'socloss: created ledger db\n' "init: message"
is "$OUT" "" "init: nothing on stdout"
checks db "init: check passes on the empty ledger"
EMPTY=$(fingerprint db)
like "$EMPTY" '^digest [0-9a-f]{64} records 0$' "init: empty ledger has a digest and no journal"

refused db "init again" 1 "socloss: db: a ledger already exists there" "$S" init db

mkdir emptydir
run "$S" init emptydir
is "$RC $ERR" $'0 socloss: created ledger emptydir\n' "init in an existing empty directory"
checks emptydir "init in an existing empty directory: check passes"
is "$(fingerprint emptydir)" "$EMPTY" "two empty ledgers have the same digest"

run "$S" init no/such/parent
is "$RC" 1 "init under a missing parent: exit 1"
is "$ERR" $'socloss: no/such/parent: cannot create directory: No such file or directory\n' \
  "init under a missing parent: message"

# ---- import --------------------------------------------------------------
#
#   BTC mark 50000, ETH mark 3000
#   alice  balance 100000  BTC  2 @ 48000: cost  96000, upnl 2*50000-96000  = 4000  equity 104000
#   bob    balance  20000  BTC -3 @ 51000: cost -153000, upnl -150000+153000 = 3000 equity  23000
#   carol  balance  -5000  BTC  1 @ 45000: cost  45000, upnl 5000
#                          ETH -10 @ 3100: cost -31000, upnl -30000+31000  = 1000  equity   1000
#   dave   balance  50000  ETH 10 @ 2900:  cost  29000, upnl 1000                  equity  51000
#   net flows = balances 165000 - costs (96000-153000+45000-31000+29000 = -14000) = 179000
#             = sum of equity (104000+23000+1000+51000)
#   open interest: BTC 2+1 = 3, ETH 10

cat >markets.csv <<'EOF'
market,mark_price
BTC,50000
ETH,3000
EOF
cat >accounts.csv <<'EOF'
account,balance
alice,100000
bob,20000
carol,-5000
dave,50000
EOF
cat >positions.csv <<'EOF'
account,market,size,entry_price
alice,BTC,2,48000
bob,BTC,-3,51000
carol,BTC,1,45000
carol,ETH,-10,3100
dave,ETH,10,2900
EOF

succeeds db "import" $'imported 2 markets, 4 accounts, 5 positions\n' \
  "$S" import db --markets markets.csv --accounts accounts.csv --positions positions.csv
IMPORTED=$(fingerprint db)
like "$IMPORTED" ' records 11$' "import: 11 journal records (2 markets, 4 accounts, 5 positions)"

text want <<'EOF'
fund cash 0 equity 0
bad_debt 0
net_flows 179000
market BTC mark 50000 open_interest 3
market ETH mark 3000 open_interest 10
account                               balance               equity  positions
alice                                  100000               104000  BTC:2
bob                                     20000                23000  BTC:-3
carol                                   -5000                 1000  BTC:1  ETH:-10
dave                                    50000                51000  ETH:10
EOF
succeeds db "show after import" "$want" "$S" show db

text want <<'EOF'
{"fund":{"cash":0,"equity":0,"positions":[]},"bad_debt":0,"net_flows":179000,"markets":[{"market":"BTC","mark":50000,"open_interest":3},{"market":"ETH","mark":3000,"open_interest":10}],"accounts":[{"account":"alice","balance":100000,"equity":104000,"positions":[{"market":"BTC","size":2,"cost":96000,"upnl":4000}]},{"account":"bob","balance":20000,"equity":23000,"positions":[{"market":"BTC","size":-3,"cost":-153000,"upnl":3000}]},{"account":"carol","balance":-5000,"equity":1000,"positions":[{"market":"BTC","size":1,"cost":45000,"upnl":5000},{"market":"ETH","size":-10,"cost":-31000,"upnl":1000}]},{"account":"dave","balance":50000,"equity":51000,"positions":[{"market":"ETH","size":10,"cost":29000,"upnl":1000}]}]}
EOF
succeeds db "show --json after import" "$want" "$S" show db --json

succeeds db "show --account carol" \
  $'carol                                   -5000                 1000  BTC:1  ETH:-10\n' \
  "$S" show db --account carol
succeeds db "show --account carol --json" \
  $'{"account":"carol","balance":-5000,"equity":1000,"positions":[{"market":"BTC","size":1,"cost":45000,"upnl":5000},{"market":"ETH","size":-10,"cost":-31000,"upnl":1000}]}\n' \
  "$S" show db --json --account carol
refused db "show --account of an unknown account" 1 "socloss: account: unknown account 'zed'" \
  "$S" show db --account zed

text want <<'EOF'
1 market market=BTC mark=50000
2 market market=ETH mark=3000
3 account account=alice balance=100000
4 account account=bob balance=20000
5 account account=carol balance=-5000
6 account account=dave balance=50000
7 position account=alice market=BTC size=2 entry_price=48000
8 position account=bob market=BTC size=-3 entry_price=51000
9 position account=carol market=BTC size=1 entry_price=45000
10 position account=carol market=ETH size=-10 entry_price=3100
11 position account=dave market=ETH size=10 entry_price=2900
EOF
succeeds db "journal after import" "$want" "$S" journal db

text want <<'EOF'
{"seq":1,"type":"market","market":"BTC","mark":50000}
{"seq":2,"type":"market","market":"ETH","mark":3000}
{"seq":3,"type":"account","account":"alice","balance":100000}
{"seq":4,"type":"account","account":"bob","balance":20000}
{"seq":5,"type":"account","account":"carol","balance":-5000}
{"seq":6,"type":"account","account":"dave","balance":50000}
{"seq":7,"type":"position","account":"alice","market":"BTC","size":2,"entry_price":48000}
{"seq":8,"type":"position","account":"bob","market":"BTC","size":-3,"entry_price":51000}
{"seq":9,"type":"position","account":"carol","market":"BTC","size":1,"entry_price":45000}
{"seq":10,"type":"position","account":"carol","market":"ETH","size":-10,"entry_price":3100}
{"seq":11,"type":"position","account":"dave","market":"ETH","size":10,"entry_price":2900}
EOF
succeeds db "journal --json after import" "$want" "$S" journal db --json

succeeds db "journal --from 10" \
  $'10 position account=carol market=ETH size=-10 entry_price=3100\n11 position account=dave market=ETH size=10 entry_price=2900\n' \
  "$S" journal db --from 10
succeeds db "journal --json --from 11" \
  $'{"seq":11,"type":"position","account":"dave","market":"ETH","size":10,"entry_price":2900}\n' \
  "$S" journal db --json --from 11
succeeds db "journal --from past the end" "" "$S" journal db --from 12

# ---- apply ---------------------------------------------------------------
#
# Average cost: reducing a position (s, c) by q lots at price p removes
# trunc(c*q/s) of the cost and realizes q*p minus that (for a long; for a short
# the mirror: -(q*p) - trunc(c*q/s) with c < 0).
#
#  1 market SOL at 100                                      (new market)
#  2 deposit erin 10000                                     (new account)
#  3 deposit bob 5000                 bob   20000 -> 25000
#  4 withdraw alice 4000 (<= 104000)  alice 100000 -> 96000
#  5 fund +7000                       fund 7000
#  6 (blank line)
#  7 fund -2000                       fund 5000
#  8 BTC bob buys 1 from alice @52000
#      bob   (-3,-153000) +1: removed trunc(-153000*1/3) = -51000,
#            realized -52000+51000 = -1000  -> (-2,-102000), balance 24000
#      alice (2,96000) -1: removed 48000, realized 52000-48000 = 4000
#            -> (1,48000), balance 100000
#  9 SOL erin buys 3 from bob @101    erin (3,303)   bob (-3,-303)
# 10 SOL erin buys 4 from bob @100    erin (7,703)   bob (-7,-703)
# 11 SOL bob buys 2 from erin @110
#      erin (7,703) -2: removed trunc(1406/7 = 200.86) = 200, realized 220-200 = 20
#            -> (5,503), balance 10020
#      bob (-7,-703) +2: removed trunc(-200.86) = -200, realized -220+200 = -20
#            -> (-5,-503), balance 23980
# 12 SOL dave buys 8 from erin @95   (erin crosses zero)
#      erin (5,503) -8: closes 5: realized 5*95-503 = -28, opens -3 @95
#            -> (-3,-285), balance 9992
#      dave (8,760), balance 50000
#   -- show here, SOL still at 100: erin -3*100+285 = -15, equity 9977;
#      dave 50000+1000+(800-760) = 51040; bob 23980+2000+(-500+503) = 25983
# 13 SOL erin buys 3 from dave @96   (erin closes exactly)
#      erin (-3,-285) +3: removed -285, realized -288+285 = -3 -> no position, balance 9989
#      dave (8,760) -3: removed trunc(760*3/8) = 285, realized 288-285 = 3
#            -> (5,475), balance 50003
# 14 market SOL at 120
#
# Equity at the end (BTC 50000, ETH 3000, SOL 120):
#   alice 100000 + (50000-48000)                              = 102000
#   bob   23980 + (-100000+102000) + (-600+503)               =  25883
#   carol -5000 + 5000 + 1000                                 =   1000
#   dave  50003 + 1000 + (600-475)                            =  51128
#   erin  9989                                                =   9989
#   fund 5000; total 195000 = net flows 179000+10000+5000-4000+7000-2000

cat >events1.jsonl <<'EOF'
{"type":"market","market":"SOL","mark":100}
{"type":"deposit","account":"erin","amount":10000}
{"type":"deposit","account":"bob","amount":5000}
{"type":"withdraw","account":"alice","amount":4000}
{"type":"fund","amount":7000}

{"type":"fund","amount":-2000}
{"type":"trade","market":"BTC","buyer":"bob","seller":"alice","size":1,"price":52000}
{"type":"trade","market":"SOL","buyer":"erin","seller":"bob","size":3,"price":101}
{"type":"trade","market":"SOL","buyer":"erin","seller":"bob","size":4,"price":100}
{"type":"trade","market":"SOL","buyer":"bob","seller":"erin","size":2,"price":110}
{"type":"trade","market":"SOL","buyer":"dave","seller":"erin","size":8,"price":95}
EOF
succeeds db "apply events 1-12" $'applied 11 events\n' "$S" apply db events1.jsonl

text want <<'EOF'
{"account":"erin","balance":9992,"equity":9977,"positions":[{"market":"SOL","size":-3,"cost":-285,"upnl":-15}]}
EOF
succeeds db "erin after crossing zero" "$want" "$S" show db --json --account erin
text want <<'EOF'
{"account":"dave","balance":50000,"equity":51040,"positions":[{"market":"ETH","size":10,"cost":29000,"upnl":1000},{"market":"SOL","size":8,"cost":760,"upnl":40}]}
EOF
succeeds db "dave after opening SOL" "$want" "$S" show db --json --account dave
text want <<'EOF'
{"account":"bob","balance":23980,"equity":25983,"positions":[{"market":"BTC","size":-2,"cost":-102000,"upnl":2000},{"market":"SOL","size":-5,"cost":-503,"upnl":3}]}
EOF
succeeds db "bob after the truncated reduce" "$want" "$S" show db --json --account bob

printf '%s\n' \
  '{"type":"trade","market":"SOL","buyer":"erin","seller":"dave","size":3,"price":96}' \
  '{"type":"market","market":"SOL","mark":120}' >events2.jsonl
succeeds db "apply events 13-14" $'applied 2 events\n' "$S" apply db events2.jsonl

text want <<'EOF'
fund cash 5000 equity 5000
bad_debt 0
net_flows 195000
market BTC mark 50000 open_interest 2
market ETH mark 3000 open_interest 10
market SOL mark 120 open_interest 5
account                               balance               equity  positions
alice                                  100000               102000  BTC:1
bob                                     23980                25883  BTC:-2  SOL:-5
carol                                   -5000                 1000  BTC:1  ETH:-10
dave                                    50003                51128  ETH:10  SOL:5
erin                                     9989                 9989
EOF
succeeds db "show after apply" "$want" "$S" show db

text want <<'EOF'
{"fund":{"cash":5000,"equity":5000,"positions":[]},"bad_debt":0,"net_flows":195000,"markets":[{"market":"BTC","mark":50000,"open_interest":2},{"market":"ETH","mark":3000,"open_interest":10},{"market":"SOL","mark":120,"open_interest":5}],"accounts":[{"account":"alice","balance":100000,"equity":102000,"positions":[{"market":"BTC","size":1,"cost":48000,"upnl":2000}]},{"account":"bob","balance":23980,"equity":25883,"positions":[{"market":"BTC","size":-2,"cost":-102000,"upnl":2000},{"market":"SOL","size":-5,"cost":-503,"upnl":-97}]},{"account":"carol","balance":-5000,"equity":1000,"positions":[{"market":"BTC","size":1,"cost":45000,"upnl":5000},{"market":"ETH","size":-10,"cost":-31000,"upnl":1000}]},{"account":"dave","balance":50003,"equity":51128,"positions":[{"market":"ETH","size":10,"cost":29000,"upnl":1000},{"market":"SOL","size":5,"cost":475,"upnl":125}]},{"account":"erin","balance":9989,"equity":9989,"positions":[]}]}
EOF
succeeds db "show --json after apply" "$want" "$S" show db --json

text want <<'EOF'
12 market market=SOL mark=100
13 deposit account=erin amount=10000
14 deposit account=bob amount=5000
15 withdraw account=alice amount=4000
16 fund amount=7000
17 fund amount=-2000
18 trade market=BTC buyer=bob seller=alice size=1 price=52000
19 trade market=SOL buyer=erin seller=bob size=3 price=101
20 trade market=SOL buyer=erin seller=bob size=4 price=100
21 trade market=SOL buyer=bob seller=erin size=2 price=110
22 trade market=SOL buyer=dave seller=erin size=8 price=95
23 trade market=SOL buyer=erin seller=dave size=3 price=96
24 market market=SOL mark=120
EOF
succeeds db "journal of the applied events" "$want" "$S" journal db --from 12

text want <<'EOF'
{"seq":12,"type":"market","market":"SOL","mark":100}
{"seq":13,"type":"deposit","account":"erin","amount":10000}
{"seq":14,"type":"deposit","account":"bob","amount":5000}
{"seq":15,"type":"withdraw","account":"alice","amount":4000}
{"seq":16,"type":"fund","amount":7000}
{"seq":17,"type":"fund","amount":-2000}
{"seq":18,"type":"trade","market":"BTC","buyer":"bob","seller":"alice","size":1,"price":52000}
{"seq":19,"type":"trade","market":"SOL","buyer":"erin","seller":"bob","size":3,"price":101}
{"seq":20,"type":"trade","market":"SOL","buyer":"erin","seller":"bob","size":4,"price":100}
{"seq":21,"type":"trade","market":"SOL","buyer":"bob","seller":"erin","size":2,"price":110}
{"seq":22,"type":"trade","market":"SOL","buyer":"dave","seller":"erin","size":8,"price":95}
{"seq":23,"type":"trade","market":"SOL","buyer":"erin","seller":"dave","size":3,"price":96}
{"seq":24,"type":"market","market":"SOL","mark":120}
EOF
succeeds db "journal --json of the applied events" "$want" "$S" journal db --json --from 12
like "$(fingerprint db)" ' records 24$' "24 journal records in all"

# A refused apply in the middle of the story changes nothing.
echo '{"type":"withdraw","account":"erin","amount":9990}' >w.jsonl
refused db "withdrawal beyond equity" 1 \
  "socloss: w.jsonl:1: amount: withdrawal of 9990 exceeds the equity 9989 of account 'erin'" \
  "$S" apply db w.jsonl

# Withdrawing exactly the equity is allowed, and a negative balance can
# withdraw what its open profit carries: carol's equity is 1000.
printf '%s\n' '{"type":"withdraw","account":"erin","amount":9989}' \
  '{"type":"deposit","account":"erin","amount":9989}' \
  '{"type":"withdraw","account":"carol","amount":1000}' \
  '{"type":"deposit","account":"carol","amount":1000}' >w2.jsonl
BEFORE=$(fingerprint db)
succeeds db "withdraw the whole equity, then deposit it back" $'applied 4 events\n' "$S" apply db w2.jsonl
is "$(fingerprint db)" "${BEFORE% records *} records 28" "same state after, 4 more records"

# ---- a price shock: carol goes bankrupt ----------------------------------
#
# BTC 50000 -> 40000:
#   alice 100000 + (40000-48000)            = 92000
#   bob   23980 + (-80000+102000) - 97      = 45883
#   carol -5000 + (40000-45000) + 1000      = -9000   bankrupt
#   dave 51128, erin 9989, fund 5000; total 195000

echo '{"type":"market","market":"BTC","mark":40000}' >shock.jsonl
STDIN=shock.jsonl succeeds db "price shock, from stdin" $'applied 1 events\n' "$S" apply db -

text want <<'EOF'
fund cash 5000 equity 5000
bad_debt 0
net_flows 195000
market BTC mark 40000 open_interest 2
market ETH mark 3000 open_interest 10
market SOL mark 120 open_interest 5
account                               balance               equity  positions
carol                                   -5000                -9000  BTC:1  ETH:-10
bankrupt accounts 1, total deficit 9000
EOF
succeeds db "show --bankrupt" "$want" "$S" show db --bankrupt

text want <<'EOF'
{"fund":{"cash":5000,"equity":5000,"positions":[]},"bad_debt":0,"net_flows":195000,"markets":[{"market":"BTC","mark":40000,"open_interest":2},{"market":"ETH","mark":3000,"open_interest":10},{"market":"SOL","mark":120,"open_interest":5}],"accounts":[{"account":"carol","balance":-5000,"equity":-9000,"positions":[{"market":"BTC","size":1,"cost":45000,"upnl":-5000},{"market":"ETH","size":-10,"cost":-31000,"upnl":1000}]}]}
EOF
succeeds db "show --bankrupt --json" "$want" "$S" show db --bankrupt --json

text want <<'EOF'
account                               balance               equity  positions
alice                                  100000                92000  BTC:1
bob                                     23980                45883  BTC:-2  SOL:-5
carol                                   -5000                -9000  BTC:1  ETH:-10
dave                                    50003                51128  ETH:10  SOL:5
erin                                     9989                 9989
EOF
run "$S" show db
is "$RC|$(printf '%s' "$OUT" | sed -n '7,$p')"$'\n' "0|$want" "show after the shock: every account's equity"

echo '{"type":"withdraw","account":"carol","amount":1}' >w3.jsonl
STDIN=w3.jsonl refused db "a bankrupt account cannot withdraw" 1 \
  "socloss: <stdin>:1: amount: withdrawal of 1 exceeds the equity -9000 of account 'carol'" \
  "$S" apply db -

# Fewer bankrupt after a recovery: BTC back to 50000.
echo '{"type":"market","market":"BTC","mark":50000}' >recover.jsonl
succeeds db "recovery" $'applied 1 events\n' "$S" apply db recover.jsonl
run "$S" show db --bankrupt
is "$RC|$(printf '%s' "$OUT" | tail -n 2)" $'0|account                               balance               equity  positions\nbankrupt accounts 0, total deficit 0' \
  "show --bankrupt with nobody bankrupt"

# The total deficit is the exact sum, even beyond int64: two accounts at
# -5e18 (imported with a rich one between them, so the net flows fit).
"$S" init deep 2>/dev/null
printf 'account,balance\na,-5000000000000000000\nc,9000000000000000000\nb,-5000000000000000000\n' >deep.csv
succeeds deep "import two deep debtors" $'imported 0 markets, 3 accounts, 0 positions\n' \
  "$S" import deep --accounts deep.csv
run "$S" show deep --bankrupt
is "$RC|$(printf '%s' "$OUT" | tail -n 1)" "0|bankrupt accounts 2, total deficit 10000000000000000000" \
  "show --bankrupt: a total deficit beyond int64 is printed exactly"

# ---- --help, --version, usage errors -------------------------------------

declare -A USAGE=(
  [init]="socloss init DB [--unsafe-no-sync]"
  [import]="socloss import DB [--markets F] [--accounts F] [--positions F] [--unsafe-no-sync]"
  [apply]="socloss apply DB FILE|- [--unsafe-no-sync]"
  [show]="socloss show DB [--json] [--account ID] [--bankrupt]"
  [journal]="socloss journal DB [--json] [--from SEQ]"
  [check]="socloss check DB"
)
COMMANDS="init import apply show journal check"

for c in $COMMANDS; do
  run "$S" "$c" --help
  is "$RC" 0 "$c --help: exit 0"
  is "$(head -n 1 <<<"$OUT")" "usage: ${USAGE[$c]}" "$c --help: usage line on stdout"
  is "$ERR" "" "$c --help: nothing on stderr"
  run "$S" "$c" -h
  is "$RC $(head -n 1 <<<"$OUT")" "0 usage: ${USAGE[$c]}" "$c -h"
done

# The command list grows with the CLI: check the head line and that every
# command above is listed with its usage, one per line.
MAIN_HEAD="usage: socloss COMMAND [ARGS]   (socloss COMMAND --help for more)"
lists_commands() {  # TEXT
  local c
  for c in $COMMANDS; do
    grep -Fxq "  ${USAGE[$c]}" <<<"$1" || { echo "missing: ${USAGE[$c]}"; return 1; }
  done
}
for h in --help -h help; do
  run "$S" $h
  is "$RC|$(head -n 1 <<<"$OUT")|$ERR" "0|$MAIN_HEAD|" "socloss $h: usage on stdout, exit 0"
  ok "socloss $h: every command listed" lists_commands "$OUT"
done
run "$S" --version
is "$RC|$OUT|$ERR" $'0|socloss 1.0.0\n|' "socloss --version"

run "$S"
is "$RC|$OUT|$(head -n 1 <<<"$ERR")" "2||$MAIN_HEAD" "no command: usage on stderr, exit 2"
ok "no command: every command listed" lists_commands "$ERR"
run "$S" bogus db
is "$RC|$OUT|$(head -n 2 <<<"$ERR")" "2||socloss: unknown command 'bogus'"$'\n'"$MAIN_HEAD" \
  "unknown command: message and usage on stderr, exit 2"
ok "unknown command: every command listed" lists_commands "$ERR"

SETTLED=$(fingerprint db)
usage_error() {  # NAME COMMAND MESSAGE ARGS...
  local name=$1 c=$2 msg=$3
  shift 3
  run "$S" "$c" "$@"
  is "$RC" 2 "$name: exit 2"
  is "$ERR" "socloss $c: $msg"$'\n'"usage: ${USAGE[$c]}"$'\n' "$name: message and usage"
  is "$OUT" "" "$name: nothing on stdout"
}
for c in $COMMANDS; do
  usage_error "$c without arguments" "$c" "missing arguments"
  usage_error "$c with an unknown option" "$c" "unknown option '--bogus'" db --bogus
done
usage_error "init with two directories" init "unexpected argument 'other'" db other
usage_error "import without a file" import "give at least one of --markets, --accounts, --positions" db
usage_error "import --markets without a value" import "option --markets needs a value" db --markets
usage_error "apply without a file" apply "missing arguments" db
usage_error "apply with two files" apply "unexpected argument 'b.jsonl'" db a.jsonl b.jsonl
usage_error "show --account without a value" show "option --account needs a value" db --account
usage_error "show with two ledgers" show "unexpected argument 'db2'" db db2
usage_error "journal --from x" journal "--from: not a sequence number: 'x'" db --from x
usage_error "journal --from -1" journal "--from: not a sequence number: '-1'" db --from -1
usage_error "journal --from ''" journal "--from: not a sequence number: ''" db --from ''
usage_error "check with an option" check "unknown option '--json'" db --json
is "$(fingerprint db)" "$SETTLED" "no usage error changed the ledger"

# ---- a missing ledger ----------------------------------------------------

missing() {  # NAME ARGS...
  local name=$1
  shift
  run "$S" "$@"
  is "$RC" 1 "$name on a missing ledger: exit 1"
  is "$ERR" $'socloss: nope: no ledger there (run \'socloss init\' first)\n' "$name on a missing ledger: message"
  is "$OUT" "" "$name on a missing ledger: nothing on stdout"
  ok "$name on a missing ledger: no directory created" test ! -e nope
}
missing import import nope --markets markets.csv
missing apply apply nope events2.jsonl
missing show show nope
missing "show --json" show nope --json
missing journal journal nope
missing check check nope
mkdir notaledger
run "$S" show notaledger
is "$RC|$OUT|$ERR" $'1||socloss: notaledger: no ledger there (run \'socloss init\' first)\n' \
  "show on a directory without a ledger"
ok "... and nothing was created in it" test -z "$(ls -A notaledger)"

# A missing input file is named before the ledger is opened.
run "$S" apply db nosuch.jsonl
is "$RC|$OUT|$ERR" $'1||socloss: nosuch.jsonl: No such file or directory\n' "apply of a missing file"
run "$S" import db --accounts nosuch.csv
is "$RC|$OUT|$ERR" $'1||socloss: nosuch.csv: No such file or directory\n' "import of a missing file"
run "$S" apply nope nosuch.jsonl
is "$RC|$OUT|$ERR" $'1||socloss: nosuch.jsonl: No such file or directory\n' \
  "apply of a missing file to a missing ledger names the file"

# A directory given as an input file is refused with the cause.
run "$S" apply db .
is "$RC|$OUT" "1|" "apply of a directory: exit 1, nothing on stdout"
is "$ERR" $'socloss: .: Is a directory\n' "apply of a directory: message names the cause"
is "$(fingerprint db)" "$SETTLED" "no refusal above changed the ledger"

done_testing
