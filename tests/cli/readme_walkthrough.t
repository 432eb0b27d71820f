#!/usr/bin/env bash
# readme_walkthrough.t — the outputs README.md quotes are what the commands
# print.  Every indented README block whose first line is `$ socloss ...`
# (the walk-through's "Who pays differently, in dollars") is run, as the
# README shows it, in a directory holding the demo's ledgers (`make demo`,
# here into $TMP) and policies/; each further line of the block (a "..."
# line stands for lines left out) must be a line of the output, in order.
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$here/tap.sh"
W=$TMP/w
mkdir -p "$W/bin"
ln -s "$SOCLOSS" "$W/bin/socloss"
ln -s "$root/policies" "$W/policies"
run bash -c "cd '$root' && demo/run.sh '$SOCLOSS_BUILD' '$W/demo'"
is "$RC" 0 "the demo runs (its walk-through ledgers in $W/demo/walkthrough)"

# The blocks: "N<TAB>LINE" per line of each, N counting blocks from 1.
blocks=$(awk '
  /^    \$ socloss / { n++; inb = 1 }
  inb && !/^    / { inb = 0 }
  inb { print n "\t" substr($0, 5) }' "$root/README.md")
count=$(printf '%s\n' "$blocks" | awk -F'\t' 'END { print $1 + 0 }')
is "$count" 2 "README quotes two commands' outputs (simulate, replay --policy)"

# in_order OUTPUT EXPECTED: every line of EXPECTED ("..." skipped) is a
# line of OUTPUT, in order; else prints the first one missing
in_order() {
  perl -e '
    my @out = split /\n/, $ARGV[0], -1;
    my $i = 0;
    for my $want (split /\n/, $ARGV[1]) {
      next if $want =~ /^\s*\.\.\.$/;
      $i++ while $i < @out && $out[$i] ne $want;
      if ($i == @out) { print "not printed (in this order): $want\n"; exit 1 }
      $i++;
    }' "$1" "$2"
}

for k in $(seq 1 "$count"); do
  lines=$(printf '%s\n' "$blocks" | awk -F'\t' -v k="$k" '$1 == k { sub(/^[0-9]+\t/, ""); print }')
  cmd=${lines%%$'\n'*}
  cmd=${cmd#\$ }
  want=${lines#*$'\n'}
  run bash -c "set -o pipefail; cd '$W' && PATH='$W/bin':\$PATH && $cmd"
  is "$RC" 0 "README: $cmd"
  miss=$(in_order "$OUT" "$want")
  is "$miss" "" "its $(printf '%s\n' "$want" | grep -vc '^ *\.\.\.$') quoted lines are what it prints, in order"
  # the check can fail: one figure changed in the quote is not printed
  bad=$(printf '%s\n' "$want" | sed '0,/691/s/691/692/')
  like "$(in_order "$OUT" "$bad")" '^not printed \(in this order\): .*692' "a quote with 691 changed to 692 would be caught"
done
done_testing
