#!/usr/bin/env bash
# truncated.t — a ledger whose data.mdb was cut short (a copy that stopped, a
# full disk, a careless truncate) is refused when it is opened, naming the
# ledger and the sizes, before any page past the end is touched: exit 1 and
# one line, never SIGBUS; and the file is left as it was.
. "$(dirname "$0")/tap.sh"

S=$SOCLOSS
water_filling_ledger db || { echo "Bail out! cannot make the ledger"; exit 255; }
printf '{"type":"deposit","account":"a","amount":%d}\n' $(seq 1 300) > many.jsonl
"$S" apply db many.jsonl >/dev/null || { echo "Bail out! cannot fill the ledger"; exit 255; }
NEED=$(stat -c %s db/data.mdb)   # LMDB writes every page below its last, and none past it
PAGE=$(getconf PAGESIZE)
ok "the ledger spans more than four pages ($NEED bytes)" test "$NEED" -gt $((4 * PAGE))

# truncated SIZE WANT_MESSAGE: db copied, its data.mdb cut to SIZE bytes; every
# command that opens it is refused with "socloss: t: WANT_MESSAGE".
truncated() {
  local size=$1 want=$2 cmd
  rm -rf t && cp -r db t && truncate -s "$size" t/data.mdb && cp t/data.mdb cut.mdb
  for cmd in check show "show --json" journal "apply t many.jsonl" "resolve t a --dry-run"; do
    # shellcheck disable=SC2086
    set -- $cmd
    [ "$1" = apply ] || [ "$1" = resolve ] || set -- "$@" t
    run "$S" "$@"
    is "$RC|$OUT" "1|" "data.mdb cut to $size bytes: '$cmd' exits 1 (no signal), printing nothing"
    is "$ERR" "socloss: t: $want"$'\n' "data.mdb cut to $size bytes: '$cmd' says it is truncated"
  done
  ok "data.mdb cut to $size bytes: the file is left as it was" cmp -s t/data.mdb cut.mdb
}

TWO_METAS="less than its two meta pages"
for size in $((2 * PAGE)) $((3 * PAGE)) $((NEED - PAGE)) $((NEED - 1)) $((2 * PAGE + 100)); do
  truncated "$size" "data.mdb is truncated: $size bytes, its pages need $NEED"
done
for size in 0 100 $PAGE $((2 * PAGE - 1)); do
  truncated "$size" "data.mdb is truncated: $size bytes, $TWO_METAS"
done

# the untouched ledger still opens, and init still refuses a truncated one
checks db "the ledger itself still passes check"
rm -rf t && cp -r db t && truncate -s $((2 * PAGE)) t/data.mdb
run "$S" init t
is "$RC|$ERR" $'1|socloss: t: a ledger already exists there\n' "init refuses the directory of a truncated ledger"
# a file that is not LMDB's at all is not called truncated
rm -rf t && mkdir t && head -c 100 /dev/urandom | tr '\0' x > t/data.mdb
run "$S" check t
is "$RC|$ERR" $'1|socloss: t: cannot open: MDB_INVALID: File is not an LMDB file\n' "a data.mdb that is no LMDB file is no truncated ledger"

done_testing
