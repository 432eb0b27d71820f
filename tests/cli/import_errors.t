#!/usr/bin/env bash
# import_errors.t — every refusal of `socloss import`: exit 1, the exact
# "file:line: field: reason" on stderr, nothing on stdout, and nothing
# written (state digest and journal length unchanged).
. "$(dirname "$0")/tap.sh"

S=$SOCLOSS
"$S" init db 2>/dev/null || { echo "1..0 # SKIP cannot init a ledger"; exit 0; }

# The ledger every refusal is tried against:
#   BTC mark 100, ETH mark 10; alice 1000, bob -50; alice BTC 1 @ 90, bob BTC -1 @ 90.
printf 'market,mark_price\nBTC,100\nETH,10\n' >m0.csv
printf 'account,balance\nalice,1000\nbob,-50\n' >a0.csv
printf 'account,market,size,entry_price\nalice,BTC,1,90\nbob,BTC,-1,90\n' >p0.csv
succeeds db "base import" $'imported 2 markets, 2 accounts, 2 positions\n' \
  "$S" import db --markets m0.csv --accounts a0.csv --positions p0.csv
BASE=$(fingerprint db)
like "$BASE" ' records 6$' "base import: 6 journal records"

# bad KIND NAME CONTENT MESSAGE : CONTENT (printf %s) as the only file of KIND
# (markets, accounts or positions) is refused with "socloss: MESSAGE".
bad() {
  local kind=$1 name=$2 content=$3 msg=$4 f
  case $kind in
    markets) f=m.csv ;;
    accounts) f=a.csv ;;
    positions) f=p.csv ;;
  esac
  printf '%s' "$content" >"$f"
  refused db "$name" 1 "socloss: $msg" "$S" import db --"$kind" "$f"
}

M=$'market,mark_price\n'
A=$'account,balance\n'
P=$'account,market,size,entry_price\n'
A64=$(printf 'a%.0s' {1..64})
A65=${A64}a
LONGX=$(printf 'x%.0s' {1..200})

# ---- headers and the shape of rows ---------------------------------------

bad markets "wrong markets header" $'market,mark\nSOL,1\n' \
  "m.csv:1: header: expected 'market,mark_price', got 'market,mark'"
bad accounts "wrong accounts header" $'account,amount\ncarol,1\n' \
  "a.csv:1: header: expected 'account,balance', got 'account,amount'"
bad positions "wrong positions header" $'account,market,size,price\n' \
  "p.csv:1: header: expected 'account,market,size,entry_price', got 'account,market,size,price'"
bad markets "header with an extra column" $'market,mark_price,x\nSOL,1,2\n' \
  "m.csv:1: header: expected 'market,mark_price', got 'market,mark_price,x'"
bad markets "header in the wrong case" $'Market,Mark_Price\nSOL,1\n' \
  "m.csv:1: header: expected 'market,mark_price', got 'Market,Mark_Price'"
bad markets "a blank first line is not a header" $'\nmarket,mark_price\nSOL,1\n' \
  "m.csv:1: header: expected 'market,mark_price', got ''"
bad markets "an empty file" "" \
  "m.csv:1: header: missing (expected 'market,mark_price')"
bad positions "an empty positions file" "" \
  "p.csv:1: header: missing (expected 'account,market,size,entry_price')"
bad markets "three fields in a markets row" "${M}SOL,1,2"$'\n' \
  "m.csv:2: row: expected 2 fields (market,mark_price), got 3"
bad markets "one field in a markets row" "${M}SOL"$'\n' \
  "m.csv:2: row: expected 2 fields (market,mark_price), got 1"
bad positions "three fields in a positions row" "${P}alice,ETH,1"$'\n' \
  "p.csv:2: row: expected 4 fields (account,market,size,entry_price), got 3"
bad positions "five fields in a positions row" "${P}alice,ETH,1,2,3"$'\n' \
  "p.csv:2: row: expected 4 fields (account,market,size,entry_price), got 5"

# ---- integers ---------------------------------------------------------------

bad markets "non-integer mark" "${M}SOL,1x"$'\n' "m.csv:2: mark_price: not an integer: '1x'"
bad markets "fractional mark" "${M}SOL,1.5"$'\n' "m.csv:2: mark_price: not an integer: '1.5'"
bad markets "empty mark" "${M}SOL,"$'\n' "m.csv:2: mark_price: not an integer: ''"
bad markets "a plus sign" "${M}SOL,+1"$'\n' "m.csv:2: mark_price: not an integer: '+1'"
bad accounts "a lone minus sign" "${A}carol,-"$'\n' "a.csv:2: balance: not an integer: '-'"
bad accounts "an exponent" "${A}carol,1e3"$'\n' "a.csv:2: balance: not an integer: '1e3'"
bad positions "non-integer size" "${P}alice,ETH,two,5"$'\n' "p.csv:2: size: not an integer: 'two'"
bad positions "non-integer entry price" "${P}alice,ETH,2,5.0"$'\n' "p.csv:2: entry_price: not an integer: '5.0'"
bad markets "mark 2^63" "${M}SOL,9223372036854775808"$'\n' \
  "m.csv:2: mark_price: out of int64 range: '9223372036854775808'"
bad accounts "balance -2^63-1" "${A}carol,-9223372036854775809"$'\n' \
  "a.csv:2: balance: out of int64 range: '-9223372036854775809'"
bad positions "size 10^20" "${P}alice,ETH,100000000000000000000,1"$'\n' \
  "p.csv:2: size: out of int64 range: '100000000000000000000'"
bad positions "entry price 2^64" "${P}alice,ETH,1,18446744073709551616"$'\n' \
  "p.csv:2: entry_price: out of int64 range: '18446744073709551616'"
# A field too long to be an int64 but not made of digits is not an integer
# (the message shows the first 80 characters).
bad markets "200 letters as a mark" "${M}SOL,${LONGX}"$'\n' \
  "m.csv:2: mark_price: not an integer: '${LONGX:0:80}'"

# ---- ids --------------------------------------------------------------------

ID_RULE="is not a valid id (1-64 printable ASCII characters, no spaces)"
bad markets "market id with a space" "${M}B C,1"$'\n' "m.csv:2: market: 'B C' $ID_RULE"
bad markets "empty market id" "${M},1"$'\n' "m.csv:2: market: '' $ID_RULE"
bad accounts "account id of 65 characters" "${A}${A65},1"$'\n' "a.csv:2: account: '$A65' $ID_RULE"
bad accounts "empty account id" "${A},1"$'\n' "a.csv:2: account: '' $ID_RULE"
# a quoted id shows each byte outside printable ASCII as \xNN (messages.t)
bad accounts "account id with a tab" "${A}\"car"$'\t'"ol\",1"$'\n' "a.csv:2: account: 'car\\x09ol' $ID_RULE"
bad accounts "account id with a non-ASCII byte" "${A}caról,1"$'\n' "a.csv:2: account: 'car\\xc3\\xb3l' $ID_RULE"
bad positions "position account id with a space" "${P}al ice,BTC,1,1"$'\n' "p.csv:2: account: 'al ice' $ID_RULE"
bad positions "position market id of 65 characters" "${P}alice,${A65},1,1"$'\n' "p.csv:2: market: '$A65' $ID_RULE"

# A NUL byte inside an id must not cut it short: "ab<NUL>cd" is not "ab".
# (On a copy of the ledger, so that a failure here does not spill over.)
cp -r db nuldb
printf 'account,balance\nab\0cd,5\n' >nul.csv
run "$S" import nuldb --accounts nul.csv
is "$RC|$OUT" "1|" "account id with a NUL byte: exit 1, nothing on stdout"
like "$ERR" "^socloss: nul\.csv:2: account: .*is not a valid id" "account id with a NUL byte: message"
is "$(fingerprint nuldb)" "$BASE" "account id with a NUL byte: ledger unchanged"

# ---- values -----------------------------------------------------------------

bad markets "zero mark" "${M}SOL,0"$'\n' "m.csv:2: mark_price: must be positive (got 0)"
bad markets "negative mark" "${M}SOL,-5"$'\n' "m.csv:2: mark_price: must be positive (got -5)"
bad positions "zero size" "${P}alice,ETH,0,5"$'\n' "p.csv:2: size: must not be zero"
bad positions "zero entry price" "${P}alice,ETH,1,0"$'\n' "p.csv:2: entry_price: must be positive (got 0)"
bad positions "negative entry price" "${P}alice,ETH,1,-3"$'\n' "p.csv:2: entry_price: must be positive (got -3)"

# ---- against the ledger -----------------------------------------------------

bad markets "duplicate market in the file" "${M}SOL,1"$'\n'"SOL,2"$'\n' \
  "m.csv:3: market: market 'SOL' already exists"
bad markets "market already in the ledger" "${M}SOL,1"$'\n'"ETH,2"$'\n' \
  "m.csv:3: market: market 'ETH' already exists"
bad accounts "duplicate account in the file" "${A}carol,1"$'\n'"carol,5"$'\n' \
  "a.csv:3: account: account 'carol' already exists"
bad accounts "account already in the ledger" "${A}carol,1"$'\n'"alice,5"$'\n' \
  "a.csv:3: account: account 'alice' already exists"
bad positions "duplicate position in the file" "${P}alice,ETH,1,5"$'\n'"alice,ETH,-1,5"$'\n' \
  "p.csv:3: market: account 'alice' already holds a position in 'ETH'"
bad positions "position already in the ledger" "${P}alice,BTC,1,5"$'\n'"bob,BTC,-1,5"$'\n' \
  "p.csv:2: market: account 'alice' already holds a position in 'BTC'"
bad positions "unknown account in positions" "${P}alice,ETH,1,5"$'\n'"zed,ETH,-1,5"$'\n' \
  "p.csv:3: account: unknown account 'zed'"
bad positions "unknown market in positions" "${P}alice,SOL,1,5"$'\n'"bob,SOL,-1,5"$'\n' \
  "p.csv:2: market: unknown market 'SOL'"
bad positions "positions not netting to zero" "${P}alice,ETH,3,5"$'\n'"bob,ETH,-2,5"$'\n' \
  "p.csv:3: size: market 'ETH': the imported sizes sum to 1, not 0"
bad positions "the unbalanced market is named with its last row" \
  "${P}alice,ETH,3,5"$'\n'"bob,ETH,-3,5"$'\n'"bob,SOL,-1,5"$'\n'"alice,BTC2,2,5"$'\n' \
  "p.csv:5: size: market 'BTC2': the imported sizes sum to 2, not 0"
# 2 x (2^63-1) does not fit int64: the sum in the message must not wrap.
bad positions "sizes summing beyond int64" \
  "${P}alice,ETH,9223372036854775807,1"$'\n'"bob,ETH,9223372036854775807,1"$'\n' \
  "p.csv:3: size: market 'ETH': the imported sizes sum to 18446744073709551614, not 0"
bad positions "size x entry price overflows int64" \
  "${P}alice,ETH,4611686018427387904,2"$'\n'"bob,ETH,-4611686018427387904,2"$'\n' \
  "p.csv:2: size: 4611686018427387904 x entry_price 2 overflows int64"
bad positions "negative size x entry price overflows int64" \
  "${P}alice,ETH,2,1"$'\n'"bob,ETH,-2,4611686018427387905"$'\n' \
  "p.csv:3: size: -2 x entry_price 4611686018427387905 overflows int64"
# ETH mark 10: 922337203685477581 lots x 10 > 2^63-1 although the cost (x 1) fits.
bad positions "size x mark overflows int64" \
  "${P}alice,ETH,922337203685477581,1"$'\n'"bob,ETH,-922337203685477581,1"$'\n' \
  "p.csv:2: size: the open interest of market 'ETH' at mark 10 would overflow int64"
bad accounts "balances overflowing the net flows" \
  "${A}rich,9223372036854775807"$'\n' \
  "a.csv:2: balance: the ledger's net flows would overflow int64"

# ---- the net flows: the total the rows make, in any order -------------------
#
# The base's net flows are 950.  The rows are summed in 128 bits and the
# total checked, so that the same rows are accepted or refused alike in any
# order: a running int64 sum could pass 2^63-1 on the way to a total that fits.
NEAR=9223372036854774857   # 950 + NEAR = 2^63-1
flows_order() {  # NAME ACCOUNTS_ROWS [POSITIONS_ROWS]: accepted on a copy of the base
  local name=$1 a=$2 p=${3:-} copy=flows$((++FLOWS_COPY))
  cp -r db "$copy"
  printf '%s' "$A$a" >fa.csv
  if [ -n "$p" ]; then
    printf '%s' "$P$p" >fp.csv
    run "$S" import "$copy" --accounts fa.csv --positions fp.csv
  else
    run "$S" import "$copy" --accounts fa.csv
  fi
  is "$RC|$ERR" "0|" "$name: accepted"
  like "$("$S" show "$copy" --json)" '"net_flows":9223372036854775807,' "$name: the net flows are 2^63-1"
  checks "$copy" "$name: check passes"
}
FLOWS_COPY=0
flows_order "a row past 2^63-1 on the way, then one back" "x,$NEAR"$'\n'"y,1"$'\n'"z,-1"$'\n'
flows_order "the same rows, the one back first" "x,$NEAR"$'\n'"z,-1"$'\n'"y,1"$'\n'
flows_order "the same rows, the largest last" "y,1"$'\n'"z,-1"$'\n'"x,$NEAR"$'\n'
is "$(fingerprint flows1)" "$(fingerprint flows2)" "the orders give the same ledger (1, 2)"
is "$(fingerprint flows1)" "$(fingerprint flows3)" "the orders give the same ledger (1, 3)"
# positions: a short's cost adds to the flows, a long's takes from them
flows_order "a short position past 2^63-1 on the way, then the long" "c,$NEAR"$'\n'"d,0"$'\n' \
  "c,ETH,-1,100"$'\n'"d,ETH,1,100"$'\n'
flows_order "the same positions, the long first" "c,$NEAR"$'\n'"d,0"$'\n' \
  "d,ETH,1,100"$'\n'"c,ETH,-1,100"$'\n'
# a total that does not fit is refused in every order, naming the last row
# that adds to it
bad accounts "net flows over int64, the large row first" "${A}x,$NEAR"$'\n'"y,1"$'\n'"z,1"$'\n' \
  "a.csv:4: balance: the ledger's net flows would overflow int64"
bad accounts "net flows over int64, the large row last" "${A}y,1"$'\n'"z,1"$'\n'"x,$NEAR"$'\n' \
  "a.csv:4: balance: the ledger's net flows would overflow int64"
bad accounts "net flows under int64, in any order" "${A}x,-9223372036854775807"$'\n'"y,-2000"$'\n'"z,1000"$'\n' \
  "a.csv:4: balance: the ledger's net flows would overflow int64"

# ---- CSV syntax, line ends, line numbers ---------------------------------

bad markets "unterminated quote" "${M}\"SOL,1"$'\n' \
  "m.csv:2: csv: error parsing data while strict checking enabled"
bad markets "quote inside an unquoted field" "${M}SOL,1"$'\n'"X\"RP,1"$'\n' \
  "m.csv:3: csv: error parsing data while strict checking enabled"
bad markets "text after a closing quote" "${M}\"SOL\"x,1"$'\n' \
  "m.csv:2: csv: error parsing data while strict checking enabled"
bad markets "CRLF line ends: the error is on line 4" \
  $'market,mark_price\r\nSOL,1\r\n\r\nXRP,x\r\n' "m.csv:4: mark_price: not an integer: 'x'"
bad accounts "CR line ends: the error is on line 3" \
  $'account,balance\rcarol,1\rdan,x\r' "a.csv:3: balance: not an integer: 'x'"
bad markets "blank lines keep the line numbers" \
  $'market,mark_price\n\nSOL,1\n\n\nXRP,0\n' "m.csv:6: mark_price: must be positive (got 0)"
bad markets "an error on a last line without a newline" "${M}SOL,1"$'\n'"XRP,0" \
  "m.csv:3: mark_price: must be positive (got 0)"
bad accounts "a quoted field spanning lines is one invalid id" \
  "${A}\"car"$'\n'"ol\",1"$'\n'"dan,x"$'\n' \
  "a.csv:2: account: 'car\\x0aol' $ID_RULE"

# ---- all or nothing across the three files -------------------------------

printf '%s' "${M}SOL,7"$'\n' >good_m.csv
printf '%s' "${A}carol,5"$'\n'"dan,6"$'\n' >good_a.csv
printf '%s' "${P}carol,SOL,4,7"$'\n'"dan,SOL,-4,7"$'\n' >good_p.csv
printf '%s' "${P}carol,SOL,4,7"$'\n'"dan,SOL,-4,0"$'\n' >bad_p.csv
printf '%s' "${A}carol,5"$'\n'"dan,6"$'\n'"carol,7"$'\n' >bad_a.csv
refused db "a bad positions file refuses the good markets and accounts" 1 \
  "socloss: bad_p.csv:3: entry_price: must be positive (got 0)" \
  "$S" import db --markets good_m.csv --accounts good_a.csv --positions bad_p.csv
refused db "a bad accounts file refuses the markets and positions" 1 \
  "socloss: bad_a.csv:4: account: account 'carol' already exists" \
  "$S" import db --markets good_m.csv --accounts bad_a.csv --positions good_p.csv
refused db "a syntax error is reported before an error in another file's rows" 1 \
  "socloss: m.csv:2: mark_price: not an integer: 'x'" \
  sh -c 'printf "market,mark_price\nSOL,x\n" >m.csv; "$0" import db --markets m.csv --accounts bad_a.csv' "$S"
refused db "a missing file among good ones" 1 "socloss: nosuch.csv: No such file or directory" \
  "$S" import db --markets good_m.csv --accounts nosuch.csv --positions good_p.csv
refused db "a missing positions file" 1 "socloss: nosuch.csv: No such file or directory" \
  "$S" import db --positions nosuch.csv
is "$(fingerprint db)" "$BASE" "after every refusal the ledger is the base import"

# ---- what is accepted: the same files, correct ---------------------------

printf '%s' $'account,balance\r\n"carol",5\r\ndan,6\r\n' >crlf_a.csv
succeeds db "good files, accounts with CRLF line ends and a quoted id" \
  $'imported 1 markets, 2 accounts, 2 positions\n' \
  "$S" import db --markets good_m.csv --accounts crlf_a.csv --positions good_p.csv
text want <<'EOF'
{"account":"carol","balance":5,"equity":5,"positions":[{"market":"SOL","size":4,"cost":28,"upnl":0}]}
EOF
succeeds db "carol imported" "$want" "$S" show db --json --account carol
succeeds db "a header-only file imports nothing" $'imported 0 markets, 0 accounts, 0 positions\n' \
  sh -c 'printf "account,balance\n" >h.csv; "$0" import db --accounts h.csv' "$S"
succeeds db "a 64-character id and int64 extremes are accepted" $'imported 0 markets, 1 accounts, 0 positions\n' \
  sh -c 'printf "account,balance\n%s,-9223372036854775000\n" "$1" >x.csv; "$0" import db --accounts x.csv' "$S" "$A64"
like "$(fingerprint db)" ' records 12$' "12 journal records after the accepted imports"

done_testing
