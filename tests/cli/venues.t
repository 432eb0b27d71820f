#!/usr/bin/env bash
# venues.t — the venue policies side by side, BY NAME, on the demo's crash
# (socloss-gen --accounts 1000 --markets 2 --seed 1, 250,000 USD in the fund,
# BTC-PERP down 20%; as tests/cli/demo_crash.t makes it): `simulate --policy
# venues/NAME` for every policies/venues/*.lua that is not a test, found by
# the loop below (so a venue policy added later is in it).  A venue policy
# runs with its defaults; one that needs params names them in a header line
# `-- with: {JSON}` (README, "Venue policies"), passed as its --with.
here=$(cd "$(dirname "$0")" && pwd)
policies=$here/../../policies
. "$here/tap.sh"
S=$SOCLOSS
"$SOCLOSS_GEN" gen --accounts 1000 --markets 2 --seed 1 2>/dev/null
"$S" init L 2>/dev/null
"$S" import L --markets gen/markets.csv --accounts gen/accounts.csv --positions gen/positions.csv > /dev/null
printf '%s\n' '{"type":"fund","amount":250000000000}' '{"type":"market","market":"BTC-PERP","mark":48000000}' > shock.jsonl
run "$S" apply L shock.jsonl
is "$RC" 0 "the demo's crash: 1,000 accounts, the fund, BTC-PERP down 20%"

# The deficits every column must account for: the 46 bankrupt accounts'
# -equity, 513,054,191,748 atoms in all (513,054.19 USD).
run "$S" show L --bankrupt --json
holes=$(perl -MJSON::PP -e 'my ($n, $s) = (0, 0);
  for (@{decode_json(join "", <STDIN>)->{accounts}}) { if ($_->{equity} < 0) { $n++; $s -= $_->{equity} } }
  print "$n $s"' <<< "$OUT")
is "$holes" "46 513054191748" "46 accounts bankrupt, 513,054,191,748 atoms short"

names=()
args=()
for f in "$policies"/venues/*.lua; do
  case $f in *_test.lua) continue ;; esac
  name=$(basename "$f" .lua)
  names+=("$name")
  args+=(--policy "venues/$name")
  with=$(sed -n 's/^-- with: //p' "$f" | head -n 1)
  [ -z "$with" ] || args+=(--with "$with")
done
note "venue policies: ${names[*]}"
for mine in binance bitmex bybit drift dydx ftx hyperliquid leverage_drain mango okx vertex; do
  like " ${names[*]} " " $mine " "the loop finds venues/$mine"
done

# (simulate takes at most 16 policies: the venues, 11 so far, fit in one run)
run "$S" simulate L "${args[@]}" --shock BTC-PERP:0
is "$RC" 0 "simulate: ${#names[@]} venue policies side by side, by name"
header=${OUT%%$'\n'*}
for name in "${names[@]}"; do
  like "$header" "(^| )$name( |$)" "the column of venues/$name is labelled $name"
done
like "$OUT" $'\n''deficits( +46){'"${#names[@]}"'}'$'\n' "every column resolves the 46 deficits"

run "$S" simulate L "${args[@]}" --shock BTC-PERP:0 --json
is "$RC" 0 "the same in JSON"
figures=$(perl -MJSON::PP -e 'for (@{decode_json(join "", <STDIN>)->{policies}}) {
  print join("|", $_->{label}, $_->{policy}, map { $_ // "" } @$_{qw(deficits not_resolved charged total_charged fund_draw bad_debt)}), "\n" }' <<< "$OUT")
for name in "${names[@]}"; do
  row=$(grep "^$name|" <<< "$figures")
  like "$row" "^$name\|venues/$name\|46\|0\|" "venues/$name: its column, all 46 deficits resolved"
  # every atom of the 513,054,191,748 is charged (haircuts and close
  # transfers), paid by the fund, or bad debt
  IFS='|' read -r _ _ _ _ _ charged fund bad <<< "$row"
  is "$((charged + fund + bad))" 513054191748 "venues/$name: charged + fund + bad debt = the 513,054,191,748 short"
done

# The figures of each policy, exactly (deficits|not resolved|
# accounts charged|total charged|fund used|bad debt):
# - drift: every open position of the deficit's market pays, winners and
#   losers (956 accounts); the fund's 250,000,000,000 goes first; Drift's
#   payments cap each charge (at most Drift's amount, at most its equity), so
#   what losing positions cannot bear stays: 257,488,968,055 charged +
#   5,565,223,693 bad debt = 263,054,191,748 = 513,054,191,748 - 250e9.
# - mango, vertex: the same 956 positions (Mango per lot of either side,
#   Vertex half per side), no cap but equity, so the shortfall left by the
#   fund, 263,054,191,748, is charged in full and nothing is bad debt.
# - dydx: the fund cannot cover the crash, so each position is deleveraged
#   whole against the opposite holders from the first (start 0): 42 accounts
#   move 263,245,662,227, more than the fund leaves short; the fund pays the
#   rest of the 513,054,191,748: 249,808,529,521.
# - leverage_drain: fund first, as adl.lua: only ceil(R x N / d) lots a
#   market, spread to lower the largest leverage (133 accounts); the ceil
#   moves 14,141 atoms more than R (263,054,205,889 - 263,054,191,748), which
#   the fund does not have to pay: 250,000,000,000 - 14,141 = 249,999,985,859.
text want <<'EOF2'
drift|46|0|956|257488968055|250000000000|5565223693
dydx|46|0|42|263245662227|249808529521|0
leverage_drain|46|0|133|263054205889|249999985859|0
mango|46|0|956|263054191748|250000000000|0
vertex|46|0|956|263054191748|250000000000|0
EOF2
got=$(grep -E '^(drift|dydx|leverage_drain|mango|vertex)\|' <<< "$figures" | cut -d'|' -f1,3- | sort)
is "$got"$'\n' "$want" "the exact figures of drift, dydx, leverage_drain, mango and vertex"

# And the other six, exactly (same columns):
# - bitmex, bybit, binance: fund first, like leverage_drain: ceil(R x N / d)
#   lots a market, whose transfers move 14,141 atoms more than the R the
#   fund leaves short (263,054,205,889), so the fund pays 249,999,985,859;
#   they differ in whom they close: bitmex and bybit (PnL% x leverage over
#   the profitable holders) 59 accounts, binance (PnL% x margin ratio) 53.
# - hyperliquid: fund_first false by default: every bankrupt position is
#   closed whole at the bankruptcy price, so the holders move all
#   513,054,191,748 and the fund pays nothing.
# - okx: here a sequential event, so each deficit gets its own rate over the
#   net profit left (435 accounts); a share cut by an account's equity is
#   not spread (it would be a second rate): 3,157 atoms stay bad debt;
#   263,054,188,591 + 3,157 + the fund's 250,000,000,000 = 513,054,191,748.
# - ftx: the top 10 holders closed at share 6667 (2/3 of the way from the
#   mark to the bankruptcy price) move 342,053,229,588; the fund pays the
#   rest, 171,000,962,160.
text want <<'EOF2'
binance|46|0|53|263054205889|249999985859|0
bitmex|46|0|59|263054205889|249999985859|0
bybit|46|0|59|263054205889|249999985859|0
ftx|46|0|45|342053229588|171000962160|0
hyperliquid|46|0|119|513054191748|0|0
okx|46|0|435|263054188591|250000000000|3157
EOF2
got=$(grep -E '^(binance|bitmex|bybit|ftx|hyperliquid|okx)\|' <<< "$figures" | cut -d'|' -f1,3- | sort)
is "$got"$'\n' "$want" "the exact figures of binance, bitmex, bybit, ftx, hyperliquid and okx"

# one of them with params: dydx from another start is another column
run "$S" simulate L --policy venues/dydx --policy venues/dydx --with '{"start":7}' --shock BTC-PERP:0
is "$RC" 0 "dydx at two starts"
like "${OUT%%$'\n'*}" 'dydx \{\} [0-9a-f]{8} +dydx \{"start":7\} [0-9a-f]{8}$' "two columns, told apart by their params"
done_testing
