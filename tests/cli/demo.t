#!/usr/bin/env bash
# demo.t — `make demo` (demo/run.sh) keeps the README walk-through's ledgers
# apart from what it rebuilds: a proposal added and activated on the
# walk-through's ledger, as the README says, is still there, active, after
# the demo runs again.  (Before, every run deleted demo/out/, the ledgers the
# walk-through had the user activate proposals on.)  The demo runs here into
# a directory of its own under $TMP, not the repository's demo/.
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$here/tap.sh"
S=$SOCLOSS
D=$TMP/d
demo() { (cd "$root" && demo/run.sh "$SOCLOSS_BUILD" "$D"); }

run demo
is "$RC" 0 "the demo runs"
like "$OUT" "$D/walkthrough/ledger and $D/walkthrough/ledger-pro_rata: copies of this run's, kept across runs of the demo" \
  "and says where the walk-through's ledgers are"
W=$D/walkthrough/ledger-pro_rata
run "$S" check "$D/walkthrough/ledger"
is "$RC" 0 "the walk-through's shocked ledger checks"
is "$(fingerprint "$W")" "$(fingerprint "$D/out/ledger-pro_rata")" "the walk-through's pro_rata ledger: a copy of this run's"

# the walk-through: a proposal added, then activated
sed 's/name = "pro_rata"/name = "proposal"/' "$root/policies/pro_rata.lua" > proposal.lua
run "$S" policy add "$W" proposal.lua
is "$RC" 0 "policy add proposal.lua on the walk-through's ledger"
run "$S" policy activate "$W" proposal
is "$RC" 0 "policy activate proposal"
after=$(fingerprint "$W")
run "$S" policy list "$W"
like "$OUT" $'\nproposal +1 .*\\[active\\]' "proposal is active"
touch "$D/out/marker"

run demo
is "$RC" 0 "the demo runs again"
like "$OUT" "$D/walkthrough/ exists already: kept as it is \\(delete it for fresh copies of this run's ledgers\\)" \
  "saying it keeps the walk-through's ledgers"
ok "what it rebuilds is rebuilt (its out/ made anew)" test ! -e "$D/out/marker"
is "$(fingerprint "$W")" "$after" "the walk-through's ledger is untouched: the same digest and records"
run "$S" policy list "$W"
like "$OUT" $'\nproposal +1 .*\\[active\\]' "and proposal is still the active policy"
done_testing
