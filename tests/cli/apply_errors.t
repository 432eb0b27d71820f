#!/usr/bin/env bash
# apply_errors.t — every refusal of `socloss apply`: exit 1, the exact
# "file:line: field: reason" on stderr, nothing on stdout, nothing written
# (state digest and journal length unchanged), and a refused line anywhere
# in a file leaves the lines before it unapplied.
. "$(dirname "$0")/tap.sh"

S=$SOCLOSS
"$S" init db 2>/dev/null || { echo "1..0 # SKIP cannot init a ledger"; exit 0; }

# The ledger every refusal is tried against:
#   BTC mark 100
#   alice 1000                                   equity 1000
#   bob   1000,  BTC -10 @ 40 (cost -400, upnl -600)  equity 400
#   carol -500,  BTC  10 @ 40 (cost  400, upnl  600)  equity 100
#   debtor -1000000                              equity -1000000
#   fund 50; net flows = sum of equity = 1000+400+100-1000000+50 = -998450
printf 'market,mark_price\nBTC,100\n' >m0.csv
printf 'account,balance\nalice,1000\nbob,1000\ncarol,-500\ndebtor,-1000000\n' >a0.csv
printf 'account,market,size,entry_price\nbob,BTC,-10,40\ncarol,BTC,10,40\n' >p0.csv
succeeds db "base import" $'imported 1 markets, 4 accounts, 2 positions\n' \
  "$S" import db --markets m0.csv --accounts a0.csv --positions p0.csv
echo '{"type":"fund","amount":50}' >f0.jsonl
succeeds db "base fund" $'applied 1 events\n' "$S" apply db f0.jsonl
BASE=$(fingerprint db)
like "$BASE" ' records 8$' "base: 8 journal records"
run "$S" show db --json
is "$OUT" '{"fund":{"cash":50,"equity":50,"positions":[]},"bad_debt":0,"net_flows":-998450,"markets":[{"market":"BTC","mark":100,"open_interest":10}],"accounts":[{"account":"alice","balance":1000,"equity":1000,"positions":[]},{"account":"bob","balance":1000,"equity":400,"positions":[{"market":"BTC","size":-10,"cost":-400,"upnl":-600}]},{"account":"carol","balance":-500,"equity":100,"positions":[{"market":"BTC","size":10,"cost":400,"upnl":600}]},{"account":"debtor","balance":-1000000,"equity":-1000000,"positions":[]}]}'$'\n' \
  "base: the state as worked out above"

# bad NAME LINES MESSAGE : the lines (each argument one line) in e.jsonl are
# refused with "socloss: e.jsonl:MESSAGE".
bad() {
  local name=$1 msg=$2
  shift 2
  printf '%s\n' "$@" >e.jsonl
  refused db "$name" 1 "socloss: e.jsonl:$msg" "$S" apply db e.jsonl
}

# ---- JSON and the shape of an event --------------------------------------

bad "malformed JSON" "1: json: '}' expected near end of file" '{"type":"deposit"'
bad "trailing text after the object" "1: json: end of file expected near 'x'" '{"type":"fund","amount":1} x'
bad "two objects on one line" "1: json: end of file expected near '{'" '{"type":"fund","amount":1}{}'
bad "an array, not an object" "1: json: expected an object, got an array" '[1,2]'
bad "a string, not an object" "1: json: '[' or '{' expected near '\"x\"'" '"x"'
bad "a number, not an object" "1: json: '[' or '{' expected near '42'" '42'
bad "null, not an object" "1: json: '[' or '{' expected near 'null'" 'null'
bad "an empty object" "1: type: missing" '{}'
bad "missing type" "1: type: missing" '{"account":"alice","amount":1}'
bad "type in capitals is not type" "1: type: missing" '{"TYPE":"fund","amount":1}'
bad "type not a string" "1: type: must be a string, not an integer" '{"type":5}'
bad "unknown type" "1: type: unknown event type 'bogus' (market, deposit, withdraw, trade, fund, deficit, event)" \
  '{"type":"bogus"}'
bad "an import-only record type" "1: type: unknown event type 'account' (market, deposit, withdraw, trade, fund, deficit, event)" \
  '{"type":"account","account":"zoe","balance":5}'
bad "unknown field" "1: extra: unknown field for a deposit event" \
  '{"type":"deposit","account":"alice","amount":1,"extra":2}'
bad "a field of another type" "1: market: unknown field for a fund event" \
  '{"type":"fund","amount":1,"market":"BTC"}'
bad "duplicate key" "1: json: duplicate object key near '\"amount\"'" \
  '{"type":"deposit","account":"alice","amount":1,"amount":2}'
bad "duplicate type key" "1: json: duplicate object key near '\"type\"'" \
  '{"type":"deposit","account":"alice","amount":1,"type":"fund"}'
bad "missing amount" "1: amount: missing" '{"type":"deposit","account":"alice"}'
bad "missing account" "1: account: missing" '{"type":"withdraw","amount":1}'
bad "missing seller" "1: seller: missing" '{"type":"trade","market":"BTC","buyer":"alice","size":1,"price":1}'
bad "missing mark" "1: mark: missing" '{"type":"market","market":"BTC"}'
bad "missing fund amount" "1: amount: missing" '{"type":"fund"}'

# ---- numbers ----------------------------------------------------------------

bad "float amount 1.5" "1: amount: must be an integer, not a fraction" '{"type":"deposit","account":"alice","amount":1.5}'
bad "float amount 1.0" "1: amount: must be an integer, not a fraction" '{"type":"deposit","account":"alice","amount":1.0}'
bad "exponent amount 1e3" "1: amount: must be an integer, not a fraction" '{"type":"deposit","account":"alice","amount":1e3}'
bad "string amount" "1: amount: must be an integer, not a string" '{"type":"deposit","account":"alice","amount":"1"}'
bad "null amount" "1: amount: must be an integer, not null" '{"type":"fund","amount":null}'
bad "boolean amount" "1: amount: must be an integer, not a boolean" '{"type":"fund","amount":true}'
bad "array size" "1: size: must be an integer, not an array" \
  '{"type":"trade","market":"BTC","buyer":"alice","seller":"bob","size":[1],"price":1}'
bad "object price" "1: price: must be an integer, not an object" \
  '{"type":"trade","market":"BTC","buyer":"alice","seller":"bob","size":1,"price":{}}'
bad "string mark" "1: mark: must be an integer, not a string" '{"type":"market","market":"BTC","mark":"100"}'
bad "leading zero" "1: json: invalid token near '0'" '{"type":"deposit","account":"alice","amount":01}'
bad "too big integer 2^63" "1: json: too big integer near '9223372036854775808'" \
  '{"type":"deposit","account":"alice","amount":9223372036854775808}'
bad "too big negative integer" "1: json: too big negative integer near '-9223372036854775809'" \
  '{"type":"fund","amount":-9223372036854775809}'

# ---- ids --------------------------------------------------------------------

ID_RULE="is not a valid id (1-64 printable ASCII characters, no spaces)"
A65=$(printf 'a%.0s' {1..65})
bad "account id with a space" "1: account: 'al ice' $ID_RULE" '{"type":"deposit","account":"al ice","amount":1}'
bad "empty account id" "1: account: '' $ID_RULE" '{"type":"deposit","account":"","amount":1}'
bad "account id of 65 characters" "1: account: '$A65' $ID_RULE" "{\"type\":\"deposit\",\"account\":\"$A65\",\"amount\":1}"
# a quoted id shows each byte outside printable ASCII as \xNN (messages.t)
bad "account id with a tab" "1: account: 'a\\x09b' $ID_RULE" '{"type":"deposit","account":"a\tb","amount":1}'
bad "non-ASCII account id" "1: account: '\\xc3\\xa9' $ID_RULE" '{"type":"deposit","account":"\u00e9","amount":1}'
bad "account id with NUL" "1: json: \\u0000 is not allowed without JSON_ALLOW_NUL near '\"a\\u0000b\"'" \
  '{"type":"deposit","account":"a\u0000b","amount":1}'
bad "account id not a string" "1: account: must be a string, not an integer" '{"type":"deposit","account":5,"amount":1}'
bad "invalid market id" "1: market: 'B TC' $ID_RULE" '{"type":"market","market":"B TC","mark":1}'
bad "invalid buyer id, reported before a bad size" "1: buyer: 'a b' $ID_RULE" \
  '{"type":"trade","market":"BTC","buyer":"a b","seller":"bob","size":0,"price":1}'
bad "invalid seller id" "1: seller: '' $ID_RULE" \
  '{"type":"trade","market":"BTC","buyer":"alice","seller":"","size":1,"price":1}'

# ---- values -----------------------------------------------------------------

bad "zero deposit" "1: amount: must be positive (got 0)" '{"type":"deposit","account":"alice","amount":0}'
bad "negative deposit" "1: amount: must be positive (got -1)" '{"type":"deposit","account":"alice","amount":-1}'
bad "zero withdrawal" "1: amount: must be positive (got 0)" '{"type":"withdraw","account":"alice","amount":0}'
bad "negative withdrawal" "1: amount: must be positive (got -5)" '{"type":"withdraw","account":"alice","amount":-5}'
bad "zero size" "1: size: must be positive (got 0)" \
  '{"type":"trade","market":"BTC","buyer":"alice","seller":"bob","size":0,"price":1}'
bad "negative size" "1: size: must be positive (got -1)" \
  '{"type":"trade","market":"BTC","buyer":"alice","seller":"bob","size":-1,"price":1}'
bad "zero price" "1: price: must be positive (got 0)" \
  '{"type":"trade","market":"BTC","buyer":"alice","seller":"bob","size":1,"price":0}'
bad "negative price" "1: price: must be positive (got -100)" \
  '{"type":"trade","market":"BTC","buyer":"alice","seller":"bob","size":1,"price":-100}'
bad "zero mark" "1: mark: must be positive (got 0)" '{"type":"market","market":"BTC","mark":0}'
bad "negative mark" "1: mark: must be positive (got -4)" '{"type":"market","market":"BTC","mark":-4}'
bad "zero fund amount" "1: amount: must not be zero" '{"type":"fund","amount":0}'

# ---- against the ledger -----------------------------------------------------

bad "withdrawal beyond equity" "1: amount: withdrawal of 1001 exceeds the equity 1000 of account 'alice'" \
  '{"type":"withdraw","account":"alice","amount":1001}'
bad "withdrawal beyond equity, not balance" "1: amount: withdrawal of 401 exceeds the equity 400 of account 'bob'" \
  '{"type":"withdraw","account":"bob","amount":401}'
bad "withdrawal on a negative balance beyond equity" "1: amount: withdrawal of 101 exceeds the equity 100 of account 'carol'" \
  '{"type":"withdraw","account":"carol","amount":101}'
bad "withdrawal from a bankrupt account" "1: amount: withdrawal of 1 exceeds the equity -1000000 of account 'debtor'" \
  '{"type":"withdraw","account":"debtor","amount":1}'
bad "fund withdrawal beyond fund cash" "1: amount: fund withdrawal of 51 exceeds the fund cash 50" \
  '{"type":"fund","amount":-51}'
bad "fund withdrawal of -2^63" "1: amount: fund withdrawal of 9223372036854775808 exceeds the fund cash 50" \
  '{"type":"fund","amount":-9223372036854775808}'
bad "withdrawal from an unknown account" "1: account: unknown account 'zed'" \
  '{"type":"withdraw","account":"zed","amount":1}'
bad "unknown buyer" "1: buyer: unknown account 'zed'" \
  '{"type":"trade","market":"BTC","buyer":"zed","seller":"bob","size":1,"price":1}'
bad "unknown seller" "1: seller: unknown account 'zed'" \
  '{"type":"trade","market":"BTC","buyer":"alice","seller":"zed","size":1,"price":1}'
bad "unknown market" "1: market: unknown market 'ETH'" \
  '{"type":"trade","market":"ETH","buyer":"alice","seller":"bob","size":1,"price":1}'
bad "buyer is the seller" "1: seller: buyer and seller are the same account 'alice'" \
  '{"type":"trade","market":"BTC","buyer":"alice","seller":"alice","size":1,"price":1}'

# ---- a deficit's policy file ------------------------------------------------

mkdir pdir
bad "a deficit whose policy is a directory" "1: policy: 'pdir' is a directory, not a policy file" \
  '{"type":"deficit","id":"d1","account":"debtor","policy":"pdir"}'
bad "a deficit whose policy file is missing" "1: policy: cannot read 'nosuch.lua': No such file or directory" \
  '{"type":"deficit","id":"d1","account":"debtor","policy":"nosuch.lua"}'

# ---- int64 overflow ---------------------------------------------------------

# alice 1000 + 9223372036854774808 = 2^63; the net flows (-998450 + it) fit.
bad "deposit overflowing a balance" "1: amount: the balance of account 'alice' would overflow int64" \
  '{"type":"deposit","account":"alice","amount":9223372036854774808}'
bad "deposits overflowing the net flows" "2: amount: the ledger's net flows would overflow int64" \
  '{"type":"deposit","account":"yves","amount":9223372036854775807}' \
  '{"type":"deposit","account":"zoe","amount":1000000}'
bad "fund cash overflowing" "1: amount: the fund cash would overflow int64" \
  '{"type":"fund","amount":9223372036854775807}'
bad "trade size x price overflowing" "1: size: 4611686018427387904 x price 2 overflows int64" \
  '{"type":"trade","market":"BTC","buyer":"alice","seller":"bob","size":4611686018427387904,"price":2}'
# open interest 10 + 92233720368547759 lots, x mark 100 > 2^63-1
bad "trade open interest x mark overflowing" \
  "1: size: open interest 92233720368547769 x mark 100 of market 'BTC' would overflow int64" \
  '{"type":"trade","market":"BTC","buyer":"alice","seller":"debtor","size":92233720368547759,"price":1}'
bad "mark x open interest overflowing" \
  "1: mark: 922337203685477581 x open interest 10 of market 'BTC' overflows int64" \
  '{"type":"market","market":"BTC","mark":922337203685477581}'

# ---- all or nothing, line numbers ---------------------------------------

bad "an error on line 3 leaves lines 1-2 unapplied" \
  "3: account: unknown account 'zed'" \
  '{"type":"deposit","account":"alice","amount":500}' \
  '{"type":"market","market":"ETH","mark":7}' \
  '{"type":"withdraw","account":"zed","amount":1}'
# each event sees the ones before it: after the deposit alice has 1010, after
# the first withdrawal 0
bad "an event refused because of the events before it" \
  "3: amount: withdrawal of 1 exceeds the equity 0 of account 'alice'" \
  '{"type":"deposit","account":"alice","amount":10}' \
  '{"type":"withdraw","account":"alice","amount":1010}' \
  '{"type":"withdraw","account":"alice","amount":1}'
bad "a trade against a market created on the line before, then a bad line" \
  "4: json: '}' expected near end of file" \
  '{"type":"market","market":"ETH","mark":7}' \
  '{"type":"deposit","account":"zoe","amount":100}' \
  '{"type":"trade","market":"ETH","buyer":"zoe","seller":"alice","size":2,"price":7}' \
  '{"type":"fund","amount":1'
bad "blank lines keep the line numbers" "5: amount: must not be zero" \
  '{"type":"fund","amount":1}' '' '   ' $'\t' '{"type":"fund","amount":0}'
printf '{"type":"fund","amount":1}\r\n\r\n{"type":"fund","amount":0}\r\n' >crlf.jsonl
refused db "CRLF line ends: the error is on line 3" 1 "socloss: crlf.jsonl:3: amount: must not be zero" \
  "$S" apply db crlf.jsonl
printf '{"type":"fund","amount":1}\n{"type":"fund","amount":0}' >nonl.jsonl
refused db "an error on a last line without a newline" 1 "socloss: nonl.jsonl:2: amount: must not be zero" \
  "$S" apply db nonl.jsonl

printf '%s\n' '{"type":"deposit","account":"alice","amount":5}' '{"type":"deposit","account":"alice","amount":"5"}' >in.jsonl
STDIN=in.jsonl refused db "stdin is named <stdin>" 1 \
  "socloss: <stdin>:2: amount: must be an integer, not a string" "$S" apply db -
refused db "a missing file" 1 "socloss: nosuch.jsonl: No such file or directory" "$S" apply db nosuch.jsonl

is "$(fingerprint db)" "$BASE" "after every refusal the ledger is the base"

# ---- what is accepted -------------------------------------------------------

succeeds db "an empty file applies nothing" $'applied 0 events\n' "$S" apply db /dev/null
printf '\n  \n\t\n\r\n' >blank.jsonl
succeeds db "a file of blank lines applies nothing" $'applied 0 events\n' "$S" apply db blank.jsonl
is "$(fingerprint db)" "$BASE" "... and changes nothing"
printf '%s\r\n' '{"type":"deposit","account":"alice","amount":1}' '{ "amount" : 2 , "type" : "fund" }' >ok.jsonl
succeeds db "CRLF line ends, keys in any order, spaces" $'applied 2 events\n' "$S" apply db ok.jsonl
printf '%s\n' '{"type":"deposit","account":"yves","amount":9223372036854775807}' >max.jsonl
succeeds db "a deposit of 2^63-1 when the net flows are negative" $'applied 1 events\n' "$S" apply db max.jsonl
succeeds db "yves holds 2^63-1" \
  $'{"account":"yves","balance":9223372036854775807,"equity":9223372036854775807,"positions":[]}\n' \
  "$S" show db --json --account yves
like "$(fingerprint db)" ' records 11$' "11 journal records after the accepted applies"

# The net flows are checked once the file's events are summed: a deposit may
# take a running total past 2^63-1 if a withdrawal brings it back.
"$S" init flowsdb 2>/dev/null
printf '%s\n' '{"type":"deposit","account":"zoe","amount":9223372036854775807}' \
  '{"type":"deposit","account":"amy","amount":5}' '{"type":"withdraw","account":"amy","amount":5}' >near.jsonl
succeeds flowsdb "net flows past 2^63-1 and back within one file" $'applied 3 events\n' "$S" apply flowsdb near.jsonl
like "$("$S" show flowsdb --json)" '"net_flows":9223372036854775807,' "... and they end at 2^63-1"

# ---- a mark move that would make an equity unrepresentable ---------------
#
# On its own ledger: whale 9e18 goes long 1 BTC at 1 from minnow; moving the
# mark to 10^18 would make whale's equity 9e18 + 10^18 - 1 > 2^63-1.  The
# event must be refused (the ledger could no longer be shown), and the
# ledger must stay showable.
"$S" init big 2>/dev/null
printf '%s\n' '{"type":"market","market":"BTC","mark":1}' \
  '{"type":"deposit","account":"whale","amount":9000000000000000000}' \
  '{"type":"deposit","account":"minnow","amount":1}' \
  '{"type":"trade","market":"BTC","buyer":"whale","seller":"minnow","size":1,"price":1}' >big.jsonl
succeeds big "a whale's ledger" $'applied 4 events\n' "$S" apply big big.jsonl
BIG=$(fingerprint big)
echo '{"type":"market","market":"BTC","mark":1000000000000000000}' >moon.jsonl
run "$S" apply big moon.jsonl
is "$RC|$OUT" "1|" "a mark making an equity overflow int64 is refused"
like "$ERR" "^socloss: moon\.jsonl:1: mark: .*overflow" "... naming the line and the mark"
is "$(fingerprint big)" "$BIG" "... and changes nothing"
run "$S" show big --json
is "$RC|$ERR" "0|" "... and the ledger can still be shown"

done_testing
