#!/usr/bin/env bash
# crash_event.t — a generated crash resolved as one event under pro_rata
# (docs/design.md §12), checked from the outside against what the money rules
# (§5) promise, every number exact:
#
#  - the ledger of `socloss-gen --markets 2 --seed 7` (N accounts, below), a
#    fund of 250,000 USD, BTC-PERP marked down 20% (60,000,000 -> 48,000,000
#    atoms a lot), then `resolve --all-bankrupt --event crash` with
#    policies/pro_rata.lua and params {"scope":"account"}: pro_rata's cap is
#    min(profit, equity) with profit the deficit's MARKETS' positive upnl by
#    default; scope "account" makes it the account's total upnl if positive,
#    the same whole-account figure for every deficit, which is what makes the
#    sums below exact;
#  - before it, every account's gross profit G (Σ of its positive upnl) and
#    cap C = max(min(max(Σ upnl, 0), equity), 0) from `show --json`; after it,
#    from the per-deficit lines, what each account was charged (haircuts +
#    close transfers).  Since a haircut comes out of profit (§5 step 5) and
#    the marks are fixed during the event, each charge lowers the charged
#    account's cap by exactly its amount, so: no account is charged more than
#    G (nor more than C), and the event charges exactly min(Σ shortfalls,
#    Σ C), a deficit's shortfall being -equity - transfers - fund draw;
#  - the totals line is the sums of the lines; the state after is the state
#    before less each charge; `check` passes; `replay` reproduces every
#    deficit exactly;
#  - the same event with --dry-run first: nothing kept (same fingerprint), the
#    same per-deficit decisions as the real run;
#  - the same crash on a fresh copy as one joint event (one haircut call for
#    the whole shortfall): the same bounds, each part's bad debt its share of
#    what the haircuts did not cover, replay deciding it again the same.
#
# A crash on a generated ledger leaves far more profit than shortfall, so no
# cap binds there.  A second, smaller ledger (SQUEEZE accounts) is squeezed
# before its event: every account in profit withdraws down to an equity of
# 0 to 1% of its profit, so that the caps bind: then every such account must
# pay exactly its cap, and the rest is bad debt.
#
# Size: the whole script at 10,000 accounts (428 bankrupt) took 83 s here:
# the event ~10 s, its dry run ~10 s, check ~4 s, replay ~24 s (each policy
# call gets every account as a candidate, so an event costs about bankrupt x
# accounts, and both grow with the ledger).  At 5,000 (217 bankrupt) it takes
# ~18 s.  The default is the full 10,000 the crash-events issue asks for;
# SOCLOSS_CRASH_ACCOUNTS=5000 runs the smaller one.
here=$(cd "$(dirname "$0")" && pwd)
policies=$here/../../policies
. "$here/tap.sh"
need_gen
S=$SOCLOSS
N=${SOCLOSS_CRASH_ACCOUNTS:-10000}
SQUEEZE=${SOCLOSS_SQUEEZE_ACCOUNTS:-1000}
POLICY=$policies/pro_rata.lua
PARAMS='{"scope":"account"}'

# ---- the analysis, in perl -----------------------------------------------
# JSON::PP reads the small objects; the bulk (every account of `show --json`,
# every haircut of a line: ~20 MB of lines at 5,000 accounts, which JSON::PP
# takes half a minute to decode) is read with patterns over the documented
# shapes, and each pattern's matches are counted against the objects there,
# so that nothing can be skipped silently.  Sums in 64-bit integers.
cat >crash.pl <<'PERL'
use strict;
use warnings;
use integer;
use JSON::PP;

my $J = JSON::PP->new->canonical;
sub slurp { my $f = shift; open my $h, '<', $f or die "$f: $!"; local $/; scalar <$h> }
sub count { my ($re, $s) = @_; my $n = () = $s =~ /$re/g; $n }
my $ID = qr/"((?:[^"\\]|\\.)*)"/;
my $INT = qr/(-?[0-9]+)/;

# `show --json`: the fund's cash, the bad debt, and per account its balance,
# equity and positions (market, size, cost, upnl).
sub state {
  my $s = slurp(shift);
  my ($cash) = $s =~ /^\{"fund":\{"cash":$INT,/ or die "no fund";
  $s =~ s/^\{"fund":\{[^}]*"positions":\[[^\]]*\]\},//;  # the fund's positions
  my ($bad) = $s =~ /^"bad_debt":$INT,/ or die "no bad_debt";
  my %acc;
  while ($s =~ /\{"account":$ID,"balance":$INT,"equity":$INT,"positions":\[([^\]]*)\]\}/g) {
    my ($id, $bal, $eq, $ps) = ($1, $2, $3, $4);
    my @p;
    push @p, {market => $1, size => $2, cost => $3, upnl => $4}
      while $ps =~ /\{"market":$ID,"size":$INT,"cost":$INT,"upnl":$INT\}/g;
    die "$id: positions not read" unless @p == count(qr/\{/, $ps);
    $acc{$id} = {balance => $bal, equity => $eq, positions => \@p};
  }
  die "accounts not read" unless keys %acc == count(qr/\{"account":/, $s);
  return {cash => $cash, bad_debt => $bad, accounts => \%acc};
}

# The state when the event begins: equity, gross profit G and cap C per
# account, and the bankrupt accounts in account-id order.
sub start {
  my $s = state(shift);
  my (%eq, %g, %cap, %total, @bankrupt);
  for my $id (keys %{$s->{accounts}}) {
    my $a = $s->{accounts}{$id};
    my ($g, $t) = (0, 0);
    for my $p (@{$a->{positions}}) { $g += $p->{upnl} if $p->{upnl} > 0; $t += $p->{upnl} }
    my $profit = $t > 0 ? $t : 0;
    my $c = $profit < $a->{equity} ? $profit : $a->{equity};
    ($eq{$id}, $g{$id}, $cap{$id}, $total{$id}) = ($a->{equity}, $g, $c > 0 ? $c : 0, $t);
    push @bankrupt, $id if $a->{equity} < 0;
  }
  @bankrupt = sort @bankrupt;  # bytewise: the event's order
  return ($s, \%eq, \%g, \%cap, \@bankrupt, \%total);
}

# The lines of `resolve --all-bankrupt --json`: each deficit's line decoded
# without its haircuts, which come as [[account, amount], ...]; the totals.
sub lines {
  open my $h, '<', shift or die $!;
  my (@lines, $totals);
  while (my $l = <$h>) {
    next unless $l =~ /\S/;
    my @hc;
    if ($l =~ s/"haircuts":\[([^\]]*)\]/"haircuts":[]/) {
      my $hs = $1;
      push @hc, [$1, $2] while $hs =~ /\{"account":$ID,"amount":$INT\}/g;
      die "haircuts not read" unless @hc == count(qr/\{/, $hs);
    }
    my $o = $J->decode($l);
    if (exists $o->{event}) { $totals = $o; next }
    $o->{haircuts} = \@hc;
    push @lines, $o;
  }
  return (\@lines, $totals);
}

my $mode = shift;
if ($mode eq 'squeeze') {
  # withdrawals leaving every account in profit (Σ upnl > 0) with an equity of
  # k/400 of that profit, k = 0..4 by its place in account-id order
  my ($s, $eq, $g, $cap, $bankrupt, $total) = start(shift);
  my $i = 0;
  for my $id (sort keys %$eq) {
    next unless $total->{$id} > 0 && $eq->{$id} > 0;
    my $w = $eq->{$id} - $total->{$id} * ($i++ % 5) / 400;
    print qq({"type":"withdraw","account":"$id","amount":$w}\n) if $w > 0;
  }
  exit 0;
}
if ($mode eq 'norm') {
  # the decisions alone: status, seq and timing left out, and dry_run from the totals
  open my $h, '<', shift or die $!;
  while (my $l = <$h>) {
    $l =~ s/,"status":"[^"]*"//;
    $l =~ s/,"seq":[0-9]+//;
    $l =~ s/,"policy_us":[0-9]+//;
    $l =~ s/,"dry_run":(?:true|false)//;
    print $l;
  }
  exit 0;
}
die "mode?" unless $mode eq 'facts';
my ($before_f, $lines_f, $after_f, $event) = @ARGV;
my ($s0, $eq, $g, $cap, $bankrupt) = start($before_f);
my ($lines, $totals) = lines($lines_f);
# a joint event's own line (no account): the event's haircuts; its parts'
# lines carry none, and their bad debts add up to the shortfall less them
my ($joint) = grep { $_->{account} eq '' } @$lines;
$lines = [grep { $_->{account} ne '' } @$lines];

my (%charged, @order_bad, @bad_lines);
my ($shortfall, $charged, $fund, $deficit, $bad, $resolved, $failed) = (0) x 7;
if ($joint) {
  for (@{$joint->{haircuts}}) { $charged{$_->[0]} += $_->[1]; $charged += $_->[1] }
}
for my $i (0 .. $#$lines) {
  my $l = $lines->[$i];
  my $want = $bankrupt->[$i] // '(none)';
  push @order_bad, "line " . ($i + 1) . ": $l->{id} $l->{status} equity $l->{equity}, want $event:$want applied equity "
    . ($eq->{$want} // '?')
    unless $l->{account} eq $want && $l->{id} eq "$event:$want" && $l->{status} eq 'applied'
    && $l->{equity} == $eq->{$want};
  my ($hc, $tr) = (0, 0);
  for (@{$l->{haircuts}}) { $hc += $_->[1]; $charged{$_->[0]} += $_->[1] }
  for (@{$l->{deleveraged}}) { $tr += $_->{transfer}; $charged{$_->{account}} += $_->{transfer} }
  my $sf = -$l->{equity} - $tr - $l->{fund_draw};
  push @bad_lines, "$l->{id}: bad debt $l->{bad_debt}, want $sf - $hc" unless $joint || $l->{bad_debt} == $sf - $hc;
  $shortfall += $sf;
  $charged += $hc + $tr;
  $fund += $l->{fund_draw};
  $deficit -= $l->{equity};
  $bad += $l->{bad_debt};
  $l->{status} eq 'applied' ? $resolved++ : $failed++;
}
if ($joint) {  # the parts' bad debts: the shortfall less what the event's haircuts covered
  my $hc = 0;
  $hc += $_->[1] for @{$joint->{haircuts}};
  push @bad_lines, "joint: bad debt $bad, want $shortfall - $hc" unless $bad == $shortfall - $hc;
}
my $sumcaps = 0;
$sumcaps += $_ for values %$cap;
my (@over_g, @over_cap, @not_cap, $who);
my $max_ppm = 0;
for my $id (sort keys %charged) {
  my $c = $charged{$id};
  push @over_g, "$id charged $c, gross profit " . ($g->{$id} // 'none') if $c > ($g->{$id} // 0);
  push @over_cap, "$id charged $c, cap " . ($cap->{$id} // 'none') if $c > ($cap->{$id} // 0);
  my $ppm = ($g->{$id} // 0) > 0 ? $c * 1000000 / $g->{$id} : 0;
  ($max_ppm, $who) = ($ppm, $id) if $ppm > $max_ppm;
}
for my $id (sort keys %$cap) {
  my $c = $charged{$id} // 0;
  push @not_cap, "$id charged $c, cap $cap->{$id}" if $c != $cap->{$id};
}

# the state after: every account's equity fell by its charge; the bankrupt
# ones are flat at zero; the fund paid its draws; the bad debt grew by the lines'
my $s1 = state($after_f);
my %isb = map { $_ => 1 } @$bankrupt;
my @after_bad;
push @after_bad, "accounts " . scalar(keys %{$s1->{accounts}}) . ", before " . scalar(keys %$eq)
  unless keys %{$s1->{accounts}} == keys %$eq;
for my $id (sort keys %{$s1->{accounts}}) {
  my $a = $s1->{accounts}{$id};
  if ($isb{$id}) {
    push @after_bad, "$id: balance $a->{balance}, equity $a->{equity}, " . scalar(@{$a->{positions}}) . " positions"
      unless $a->{balance} == 0 && $a->{equity} == 0 && !@{$a->{positions}};
  } else {
    my $want = ($eq->{$id} // 0) - ($charged{$id} // 0);
    push @after_bad, "$id: equity $a->{equity}, want $want" unless $a->{equity} == $want;
  }
}
push @after_bad, "fund cash $s1->{cash}, want " . ($s0->{cash} - $fund) unless $s1->{cash} == $s0->{cash} - $fund;
push @after_bad, "bad debt $s1->{bad_debt}, want " . ($s0->{bad_debt} + $bad)
  unless $s1->{bad_debt} == $s0->{bad_debt} + $bad;

sub list { my $r = shift; scalar(@$r) . (@$r ? " (first: $r->[0])" : '') }
my $expected = $shortfall < $sumcaps ? $shortfall : $sumcaps;
print "bankrupt ", scalar(@$bankrupt), "\n";
print "lines ", scalar(@$lines), "\n";
print "order_bad ", list(\@order_bad), "\n";
print "bad_lines ", list(\@bad_lines), "\n";
print "over_profit ", list(\@over_g), "\n";
print "over_cap ", list(\@over_cap), "\n";
print "not_cap ", list(\@not_cap), "\n";
print "after_bad ", list(\@after_bad), "\n";
print "charged $charged\n";
print "expected $expected\n";
print "shortfall $shortfall\n";
print "sumcaps $sumcaps\n";
print "bad $bad\n";
print "sums bankrupt=", scalar(@$lines), " resolved=$resolved failed=$failed deficit=$deficit fund_draw=$fund ",
  "charged=$charged bad_debt=$bad\n";
print "totals ", join(' ', map { "$_=" . ($totals->{$_} // 'none') } qw(bankrupt resolved failed deficit fund_draw
  charged bad_debt)), "\n";
print "event ", ($totals->{event} // 'none'), " ", ($totals->{mode} // 'none'), "\n";
print "charged_accounts ", scalar(keys %charged), "\n";
printf "max_share %d.%06d %s\n", $max_ppm / 1000000, $max_ppm % 1000000, $who // '-';
PERL

fact() { sed -n "s/^$1 //p" <<<"$facts"; }

# A ledger: LEDGER ACCOUNTS; the fund and the 20% fall of BTC-PERP.
crashed() {
  rm -rf "gen-$2"
  "$SOCLOSS_GEN" "gen-$2" --accounts "$2" --markets 2 --seed 7 2>/dev/null &&
    "$S" init "$1" 2>/dev/null &&
    "$S" import "$1" --markets "gen-$2/markets.csv" --accounts "gen-$2/accounts.csv" \
      --positions "gen-$2/positions.csv" >/dev/null &&
    printf '%s\n' '{"type":"fund","amount":250000000000}' \
      '{"type":"market","market":"BTC-PERP","mark":48000000}' >shock.jsonl &&
    "$S" apply "$1" shock.jsonl >/dev/null
}

# ---- the crash ---------------------------------------------------------------
L=$TMP/ledger
ok "$N generated accounts imported, a fund of 250,000 USD, BTC-PERP down 20%" crashed "$L" "$N"
"$S" show "$L" --json >before.json
before=$(fingerprint "$L")

run "$S" resolve "$L" --all-bankrupt --event crash --policy "$POLICY" --params "$PARAMS" --json --dry-run
is "$RC" 0 "the dry run exits 0"
cp "$TMP/.out" dry.jsonl
is "$(fingerprint "$L")" "$before" "the dry run keeps nothing (same state digest, same journal)"

run "$S" resolve "$L" --all-bankrupt --event crash --policy "$POLICY" --params "$PARAMS" --json
is "$RC" 0 "the event exits 0"
is "$ERR" "" "nothing on stderr"
cp "$TMP/.out" real.jsonl
"$S" show "$L" --json >after.json
facts=$(perl crash.pl facts before.json real.jsonl after.json crash)
B=$(fact bankrupt)
note "$B of $N accounts bankrupt: shortfall after the fund $(fact shortfall), caps $(fact sumcaps);" \
  "$(fact charged_accounts) accounts charged, the largest share of gross profit $(fact max_share)"
ok "some accounts are bankrupt ($B)" test "$B" -gt 10
is "$(fact lines)" "$B" "one line per account bankrupt at the start"
is "$(fact order_bad)" 0 "in account-id order, ids crash:ACCOUNT, applied, each with its equity at the start"
is "$(fact event)" "crash sequential" "then the totals line"
is "$(fact totals)" "$(fact sums)" "the totals are the sums of the lines"
is "$(fact bad_lines)" 0 "each line's bad debt = -equity - transfers - fund draw - haircuts"
is "$(fact over_profit)" 0 "no account is charged more than its gross profit at the start"
is "$(fact over_cap)" 0 "nor more than its cap at the start, min(profit, equity)"
is "$(fact charged)" "$(fact expected)" "the event charges min(shortfall after the fund, sum of caps) = $(fact expected)"
is "$(fact after_bad)" 0 "after: each account's equity fell by its charge, the bankrupt are flat at zero, the fund and bad debt as the lines say"
checks "$L" "check passes after the event"
run "$S" replay "$L"
is "$RC" 0 "replay exits 0"
is "$(printf '%s' "$OUT" | tail -n 1)" "$B deficits replayed with their own policies: $B reproduced exactly, 0 differ" \
  "replay reproduces all $B deficits exactly"
perl crash.pl norm dry.jsonl >dry.norm
perl crash.pl norm real.jsonl >real.norm
if ! ok "the dry run decided every deficit as the event did (status, seq and timing aside)" cmp -s dry.norm real.norm; then
  diag "$(diff dry.norm real.norm | cut -c1-300 | head -6)"
fi
is "$(grep -c '"status":"dry-run","policy"' dry.jsonl)" "$B" "its $B lines say dry-run"
like "$(tail -1 dry.jsonl)" '"dry_run":true}$' "and its totals"

# ---- the same crash, joint: one haircut call for the whole shortfall ----------
L4=$TMP/joint-big
ok "$N generated accounts again, the same fall" crashed "$L4" "$N"
"$S" show "$L4" --json >before4.json
run "$S" resolve "$L4" --all-bankrupt --event crash --joint --policy "$POLICY" --params "$PARAMS" --json
is "$RC" 0 "the joint event exits 0"
cp "$TMP/.out" real4.jsonl
"$S" show "$L4" --json >after4.json
facts=$(perl crash.pl facts before4.json real4.jsonl after4.json crash)
B=$(fact bankrupt)
is "$(fact lines)" "$B" "joint: one line per account bankrupt at the start (and the event's own)"
is "$(fact order_bad)" 0 "in account-id order, ids crash:ACCOUNT, each with its equity at the start"
is "$(fact event)" "crash joint" "then the totals, mode joint"
is "$(fact totals)" "$(fact sums)" "the totals are the sums of the lines"
is "$(fact bad_lines)" 0 "the parts' bad debts are the shortfall less what the event's haircuts covered"
is "$(fact over_profit)" 0 "no account is charged more than its gross profit at the start"
is "$(fact over_cap)" 0 "nor more than its cap at the start"
is "$(fact charged)" "$(fact expected)" "the event charges min(shortfall after the fund, sum of caps) = $(fact expected)"
is "$(fact after_bad)" 0 "after: each account's equity fell by its charge, the bankrupt are flat at zero"
checks "$L4" "check passes after the joint event"
run "$S" replay "$L4"
is "$(printf '%s' "$OUT" | tail -n 1)" "1 deficits replayed with their own policies: 1 reproduced exactly, 0 differ" \
  "replay decides the joint event again, the same"

# ---- the caps bind -----------------------------------------------------------
L2=$TMP/squeezed
ok "$SQUEEZE generated accounts, the same fund and fall" crashed "$L2" "$SQUEEZE"
"$S" show "$L2" --json >before2.json
perl crash.pl squeeze before2.json >squeeze.jsonl
ok "every account in profit withdraws down to 0-1% of its profit ($(wc -l <squeeze.jsonl) withdrawals)" \
  "$S" apply "$L2" squeeze.jsonl
"$S" show "$L2" --json >before2.json
run "$S" resolve "$L2" --all-bankrupt --event squeeze --policy "$POLICY" --params "$PARAMS" --json
is "$RC" 0 "the event exits 0"
cp "$TMP/.out" real2.jsonl
"$S" show "$L2" --json >after2.json
facts=$(perl crash.pl facts before2.json real2.jsonl after2.json squeeze)
B=$(fact bankrupt)
note "$B of $SQUEEZE accounts bankrupt: shortfall after the fund $(fact shortfall), caps $(fact sumcaps), bad debt $(fact bad)"
ok "the caps bind: their sum $(fact sumcaps) < the shortfall $(fact shortfall)" test "$(fact sumcaps)" -lt "$(fact shortfall)"
is "$(fact lines)" "$B" "one line per account bankrupt at the start"
is "$(fact order_bad)" 0 "in account-id order, applied"
is "$(fact totals)" "$(fact sums)" "the totals are the sums of the lines"
is "$(fact bad_lines)" 0 "each line's bad debt = -equity - transfers - fund draw - haircuts"
is "$(fact over_profit)" 0 "no account is charged more than its gross profit at the start"
is "$(fact charged)" "$(fact sumcaps)" "the event charges the sum of the caps"
is "$(fact not_cap)" 0 "every account pays exactly its cap: min(profit, equity) at the start"
is "$(fact bad)" "$(($(fact shortfall) - $(fact sumcaps)))" "the rest is bad debt"
is "$(fact after_bad)" 0 "after: each account's equity fell by its charge"
checks "$L2" "check passes"
run "$S" replay "$L2"
is "$(printf '%s' "$OUT" | tail -n 1)" "$B deficits replayed with their own policies: $B reproduced exactly, 0 differ" \
  "replay reproduces all $B deficits exactly"

# ---- the same squeezed crash, joint: one haircut call for the whole shortfall
L3=$TMP/joint
ok "$SQUEEZE generated accounts, squeezed the same way" crashed "$L3" "$SQUEEZE"
"$S" apply "$L3" squeeze.jsonl >/dev/null
"$S" show "$L3" --json >before3.json
run "$S" resolve "$L3" --all-bankrupt --event joint --joint --policy "$POLICY" --params "$PARAMS" --json
is "$RC" 0 "the joint event exits 0"
cp "$TMP/.out" real3.jsonl
"$S" show "$L3" --json >after3.json
facts=$(perl crash.pl facts before3.json real3.jsonl after3.json joint)
B=$(fact bankrupt)
is "$(fact lines)" "$B" "joint: one line per account bankrupt at the start (and the event's own)"
is "$(fact order_bad)" 0 "in account-id order, ids joint:ACCOUNT"
is "$(fact event)" "joint joint" "then the totals, mode joint"
is "$(fact bad_lines)" 0 "the parts' bad debts are the shortfall less what the event's haircuts covered"
is "$(fact over_profit)" 0 "no account is charged more than its gross profit at the start"
is "$(fact not_cap)" 0 "every account pays exactly its cap (the caps bind)"
is "$(fact charged)" "$(fact sumcaps)" "the event charges the sum of the caps"
is "$(fact after_bad)" 0 "after: each account's equity fell by its charge"
checks "$L3" "check passes"
run "$S" replay "$L3"
is "$(printf '%s' "$OUT" | tail -n 1)" "1 deficits replayed with their own policies: 1 reproduced exactly, 0 differ" \
  "replay decides the joint event again, the same"
done_testing
