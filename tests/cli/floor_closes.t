#!/usr/bin/env bash
# The closes floor of the benchmark (bench/floor_lmdb.c, closes_one) does
# adl.lua's work and nothing else: on a ledger of bench_resolve's shape
# (7 candidates each short 1 lot at 101..107, "a" long 7 at 100, balance
# -175: bankruptcy price (700 + 175) / 7 = 125), closing "a" in raw LMDB
# leaves the balances, positions, open interest and fund that
# `socloss resolve --policy adl.lua --params {"score":"pnl"}` leaves.  Each
# short bought back at 125 realizes entry - 125: c0000000 (entry 101)
# 1000 - 24 = 976, ..., c0000006 (107) 982; "a" 0.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/tap.sh"
policies=$here/../../policies
FLOOR=$SOCLOSS_BUILD/floor_lmdb
[ -x "$FLOOR" ] || { echo "Bail out! no floor_lmdb at $FLOOR"; exit 1; }
cd "$TMP"
S=$SOCLOSS
printf 'market,mark_price\nBTC,100\n' > m.csv
{ echo 'account,balance'; echo 'a,-175'; for i in 0 1 2 3 4 5 6; do echo "c000000$i,1000"; done; } > a.csv
{ echo 'account,market,size,entry_price'; echo 'a,BTC,7,100'; for i in 0 1 2 3 4 5 6; do echo "c000000$i,BTC,-1,$((101 + i))"; done; } > p.csv
$S init T 2>/dev/null
$S import T --markets m.csv --accounts a.csv --positions p.csv > /dev/null
cp -r T E
cp -r T F
run "$S" resolve E a --policy "$policies/adl.lua" --params '{"score":"pnl"}'
is "$RC" 0 "adl.lua resolves a's deficit"
like "$OUT" 'deleveraged c0000006 1 lots of BTC at 125' "closing the highest upnl first, at the bankruptcy price 125"
run "$FLOOR" --closes F a x
is "$RC" 0 "the closes floor runs on a copy"
is "$(sed 's/seconds=[0-9.]*/seconds=S/' <<<"$OUT")" "floor_lmdb closes seconds=S closed=7" "and closes 7"
run "$S" show F
floor_show=$OUT
run "$S" show E
is "$floor_show" "$OUT" "the same balances, positions, open interest and fund"
like "$OUT" $'\nc0000000 +976 +976' "c0000000: 1000 + 101 - 125 = 976"
like "$OUT" $'\nc0000006 +982 +982' "c0000006: 1000 + 107 - 125 = 982"
like "$OUT" 'market BTC mark 100 open_interest 0' "no open interest left"
done_testing
