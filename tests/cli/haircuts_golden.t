#!/usr/bin/env bash
# haircuts_golden.t — the haircut step writes the charges it takes from the
# candidate columns through one LMDB cursor per market, in key order
# (engine/resolve/steps.c, from_columns), and decides and writes exactly
# what it did with one mdb_put per charged position:
#
#  - the cases of tests/fixtures/haircuts_golden/cases.sh: three generated
#    ledgers (socloss-gen, seeds 7, 11, 23; one or both markets shocked; a
#    fund of 20,000 USD, 5,000 or none), each crash resolved under
#    pro_rata.lua and tiered.lua as a sequential event, a joint event and
#    lone deficits in one `apply` (each nested in the file's transaction):
#    18 cases;
#  - each case's line holds the journal's SHA-256 (`journal --json`, every
#    record, less the policy's hash, the evaluator's build, the instructions
#    and microseconds: not decisions) and `check`'s state digest (every
#    record of the state, every invariant, and the journal replayed, which
#    writes each haircut through store_position_put as before);
#  - expected.txt holds the lines the commit before (bf1a34c) printed
#    (generate.sh says how), so every byte of every journal and every
#    record of the state after must be what the one-put-a-position code
#    wrote.
#
# Its size: 18 events of 56 to 226 deficits on 1,000 to 2,000 accounts; 8 s
# here.
here=$(cd "$(dirname "$0")" && pwd)
root=$here/../..
. "$here/tap.sh"
need_gen
. "$root/tests/fixtures/haircuts_golden/cases.sh"

mapfile -t got < <(golden_cases "$SOCLOSS" "$SOCLOSS_GEN" "$root/policies" "$TMP/w")
is_golden "$root/tests/fixtures/haircuts_golden/expected.txt"

# What the expected lines exercise, so that a comparison of nothing cannot pass.
haircuts=0
for w in "${want[@]}"; do
  j=${w#* journal=}
  haircuts=$((haircuts + ${j%%,*}))
done
is "$haircuts" "1749486" "1,749,486 haircuts in all"
like "$(printf '%s\n' "${want[@]}" | grep -v -c ' resolve=0 .* check=0/5 ')" '^0$' \
  "in every case every deficit resolved and check passed (5 ok lines)"

done_testing
