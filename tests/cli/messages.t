#!/usr/bin/env bash
# messages.t — what a message echoes of its input cannot act on a terminal,
# and a message is valid UTF-8 wherever it goes (stderr, resolve --json's
# "failure", the journal's "cause").  Quoted input shows every byte outside
# printable ASCII as \xNN (cut at the same 80 bytes of input as before);
# a policy's own error text keeps its UTF-8 but its control characters are
# \xNN and its bytes that are not UTF-8 are U+FFFD.
. "$(dirname "$0")/tap.sh"

S=$SOCLOSS
ID_RULE="is not a valid id (1-64 printable ASCII characters, no spaces)"
# printable TEXT: every byte of TEXT is printable ASCII
printable() {
  local LC_ALL=C
  [[ $1 != *[!\ -~]* ]]
}
printf 'market,mark_price\nBTC,100\n' > m.csv
printf 'account,balance\na,44\nb,1000\n' > a.csv
printf 'account,market,size,entry_price\na,BTC,1,100\nb,BTC,-1,100\n' > p.csv
"$S" init db 2>/dev/null && "$S" import db --markets m.csv --accounts a.csv --positions p.csv >/dev/null &&
  echo '{"type":"market","market":"BTC","mark":50}' | "$S" apply db - >/dev/null ||
  { echo "Bail out! no ledger"; exit 255; }

# ---- CSV ----------------------------------------------------------------------

# csv NAME CONTENT MESSAGE: CONTENT (printf %b) as an accounts file is refused
# with "socloss: c.csv:MESSAGE", the message holding no byte outside printable ASCII.
csv() {
  printf '%b' "$2" > c.csv
  refused db "$1" 1 "socloss: c.csv:$3" "$S" import db --accounts c.csv
  ok "$1: the message is printable ASCII" printable "${ERR%$'\n'}"
}
csv "an id holding a terminal escape" 'account,balance\na\033[31mb,5\n' \
  "2: account: 'a\\x1b[31mb' $ID_RULE"
csv "an id holding a byte that is not UTF-8" 'account,balance\nx\377y,5\n' "2: account: 'x\\xffy' $ID_RULE"
csv "an id of UTF-8 letters" 'account,balance\n\303\251t\303\251,5\n' "2: account: '\\xc3\\xa9t\\xc3\\xa9' $ID_RULE"
csv "a quoted id holding a newline" 'account,balance\n"a\nb",5\n' "2: account: 'a\\x0ab' $ID_RULE"
csv "an amount holding a bell" 'account,balance\nx,1\007\n' "2: balance: not an integer: '1\\x07'"
csv "a header holding an escape" 'account\033,balance\nx,1\n' \
  "1: header: expected 'account,balance', got 'account\\x1b,balance'"
# 100 control bytes: the first 80 are shown, each as \x01
ctl=$(printf '\\001%.0s' {1..100})
csv "a long id of control bytes, cut at 80 bytes of input" "account,balance\n$ctl,5\n" \
  "2: account: '$(printf '\\x01%.0s' {1..80})' $ID_RULE"

# ---- JSON Lines -----------------------------------------------------------------

jsonl() {
  printf '%s\n' "$2" > e.jsonl
  refused db "$1" 1 "socloss: e.jsonl:$3" "$S" apply db e.jsonl
  ok "$1: the message is printable ASCII" printable "${ERR%$'\n'}"
}
jsonl "an id holding an escape" '{"type":"deposit","account":"a\u001b[2Jb","amount":1}' \
  "1: account: 'a\\x1b[2Jb' $ID_RULE"
jsonl "an id holding U+00E9" '{"type":"deposit","account":"\u00e9","amount":1}' "1: account: '\\xc3\\xa9' $ID_RULE"
jsonl "an event type holding a bell" '{"type":"x\u0007"}' \
  "1: type: unknown event type 'x\\x07' (market, deposit, withdraw, trade, fund, deficit, event)"
jsonl "an unknown field holding an escape" '{"type":"fund","amount":1,"ex\u001btra":2}' \
  "1: ex\\x1btra: unknown field for a fund event"
jsonl "a policy path holding an escape" '{"type":"deficit","id":"d","account":"a","policy":"p\u001b[0m.lua"}' \
  "1: policy: cannot read 'p\\x1b[0m.lua': No such file or directory"
jsonl "raw bytes after the object" $'{"type":"fund","amount":1} \x1b' "1: json: end of file expected near '\\x1b'"

# ---- names the user gave: a ledger's path, a file's name --------------------

run "$S" show $'x\e[2Jy'
is "$RC|$ERR" "1|socloss: x\\x1b[2Jy: no ledger there (run 'socloss init' first)"$'\n' \
  "a ledger path holding an escape is shown as \\x1b"
printf 'account,balance\nx y,1\n' > $'c\e[1m\xff.csv'
run "$S" import db --accounts $'c\e[1m\xff.csv'
is "$RC|$ERR" "1|socloss: c\\x1b[1m"$'\xef\xbf\xbd'".csv:2: account: 'x y' $ID_RULE"$'\n' \
  "a file name holding an escape and a byte that is not UTF-8: \\x1b and U+FFFD"

# ---- a policy's error text: not UTF-8, and a terminal escape ------------------------

cat > bad.lua <<'LUA'
return { name = "badutf", haircut = function(ctx) error("bad \xff\xfe byte, \27[31mred\27[0m, d\u{e9}j\u{e0}") end }
LUA
H=$(sha256sum bad.lua | cut -c1-12)
# (the evaluator sends a control character of the text as '?' itself)
FFFD=$'\xef\xbf\xbd'
CAUSE="policy 'badutf' ($H) raised an error in haircut: bad.lua:1: bad $FFFD$FFFD byte, ?[31mred?[0m, d"$'\xc3\xa9'"j"$'\xc3\xa0'
run "$S" resolve db a --id d1 --policy bad.lua --json
is "$RC" 1 "a policy whose error is not UTF-8 fails the resolution"
is "$ERR" "socloss: $CAUSE"$'\n' "... told on stderr as UTF-8, each byte that is not as U+FFFD"
failure=$(perl -MJSON::PP -e 'my $v = eval { JSON::PP->new->utf8->decode($ARGV[0]) };
  binmode STDOUT, ":utf8"; print defined $v ? $v->{failure} // "(no failure)" : "INVALID: $@"' -- "$OUT")
is "$failure" "$CAUSE" "resolve --json keeps its \"failure\", the same text"
run "$S" journal db --json --from 4
OUT=${OUT%$'\n'}
OUT=${OUT##*$'\n'}  # the last record
cause=$(perl -MJSON::PP -e 'my $v = eval { JSON::PP->new->utf8->decode($ARGV[0]) };
  binmode STDOUT, ":utf8"; print defined $v ? "$v->{type} " . ($v->{cause} // "(no cause)") : "INVALID: $@"' -- "$OUT")
is "$cause" "deficit_failed $CAUSE" "the journal's deficit_failed record keeps its \"cause\", the same text"

done_testing
