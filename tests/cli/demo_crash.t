#!/usr/bin/env bash
# demo_crash.t — the demo's crash (socloss-gen --accounts 1000 --markets 2
# --seed 1, 250,000 USD in the fund, BTC-PERP down 20%): under the money rules
# of docs/design.md §5 a haircut comes out of profit, so across the whole
# cascade no account pays more than its profit under the profit-capped
# reference policies.  (Under the rules of 0.1, haircuts came out of the
# balance and pro_rata's largest charge was 3.8 times that account's profit.)
# simulate measures it in both event modes; the figures are pinned exactly.
# The demo's ledger has units (socloss-gen --usd, init --asset USD
# --decimals 6): the same atoms, shown in dollars.
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

run "$S" simulate L --policy "$policies/pro_rata.lua" --policy "$policies/tiered.lua" --shock BTC-PERP:0 --mode both --json
is "$RC" 0 "simulate, both policies, both modes"
shares=$(perl -MJSON::PP -e 'my $d = decode_json(join "", <STDIN>);
  print join " ", map { ($_->{policy} =~ m{([^/]+)\.lua$})[0] . "/$_->{mode}=$_->{largest_share}|$_->{deficits}|$_->{bad_debt}" }
  @{$d->{policies}}' <<< "$OUT")
is "$shares" "pro_rata/sequential=0.043474|46|0 pro_rata/joint=0.043465|46|0 tiered/sequential=0.064307|46|0 tiered/joint=0.064664|46|0" \
  "46 deficits, no bad debt; the largest charge is 4.3% (pro_rata) and 6.5% (tiered) of that account's profit"
ok "every largest share is at most 1: nobody pays more than its profit" \
  perl -e 'exit(grep { $_ > 1 } map { /=([0-9.]+)/ } split / /, $ARGV[0])' "$shares"

# the demo's way: the same ledger written in USD (socloss-gen --usd) for a
# ledger with units, the fund and the mark given in dollars
"$SOCLOSS_GEN" usd --accounts 1000 --markets 2 --seed 1 --usd 2>/dev/null
is "$(head -2 usd/markets.csv | tr '\n' ' ')" "market,mark_price,lot BTC-PERP,60000.000,0.001 BTC " \
  "socloss-gen --usd: BTC-PERP at 60,000 USD per BTC (60,000,000 atoms per lot of 0.001 BTC)"
is "$(sed -n 2p usd/accounts.csv)" "$(sed -n 2p gen/accounts.csv | awk -F, '{ printf "%s,%d.%06d", $1, $2 / 1e6, $2 % 1e6 }')" \
  "balances in USD with 6 decimals (atoms / 10^6)"
"$S" init U --asset USD --decimals 6 2>/dev/null
"$S" import U --markets usd/markets.csv --accounts usd/accounts.csv --positions usd/positions.csv > /dev/null
printf '%s\n' '{"type":"fund","amount":250000}' '{"type":"market","market":"BTC-PERP","mark":48000}' > shock-usd.jsonl
run "$S" apply U shock-usd.jsonl
is "$RC" 0 "the same crash in dollars: 250,000 USD to the fund, BTC-PERP at 48,000 USD per BTC"
digest() { "$S" check "$1" | grep '^digest'; }
is "$(digest U)" "$(digest L)" "the very same state as the ledger in atoms (the same digest)"
run "$S" simulate U --policy "$policies/pro_rata.lua" --shock BTC-PERP:0
like "$OUT" $'\ntotal charged +263,054.191748 USD\n' "simulate shows dollars: 263,054.191748 USD charged (263054191748 atoms)"
done_testing
