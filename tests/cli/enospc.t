#!/usr/bin/env bash
# enospc.t — a full disk, made by tests/enospc.c (an LD_PRELOAD shim: no root,
# no small file system, never skipped).  `init` on a full disk is refused
# cleanly, never SIGBUS, and leaves nothing behind; a commit that fills the
# disk says the disk is full (not "Input/output error") and leaves the ledger
# as it was; at every failing call in turn, the outcome is one of the two.
. "$(dirname "$0")/tap.sh"

S=$SOCLOSS
SHIM=$SOCLOSS_BUILD/tests/shims/enospc.so
[ -f "$SHIM" ] || { echo "Bail out! no shim at $SHIM (build first)"; exit 255; }
# a sanitizer's runtime wants to be the first library loaded; the shim is
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
# full SPEC CMD...: CMD on a disk that is full as SPEC says (bytes=N, call=N)
full() {
  local spec=$1
  shift
  SOCLOSS_ENOSPC=$spec LD_PRELOAD=$SHIM "$@"
}
DISK_FULL="no space left on device (the disk is full)"

# ---- the shim: a write that crosses the end is short, the next one fails ----
full bytes=10 perl -e 'open(my $f, ">", "f") or die; my $n = syswrite($f, "0123456789abcdef");
  my $m = syswrite($f, "x"); print "$n ", defined $m ? "written" : "$!", "\n"' > shim.out
is "$(cat shim.out)|$(stat -c %s f)" "10 No space left on device|10" "the shim: 10 bytes fit, then ENOSPC"
full call=2 perl -e 'open(my $f, ">", "f") or die; print defined syswrite($f, "a") ? "ok" : "$!", " ",
  defined syswrite($f, "b") ? "ok" : "$!", "\n"' > shim.out
is "$(cat shim.out)" "ok No space left on device" "the shim: the second call fails"

# ---- init -------------------------------------------------------------------

run full bytes=0 "$S" init db
is "$RC|$OUT" "1|" "init on a full disk: exit 1 (no SIGBUS)"
is "$ERR" "socloss: db: cannot create the ledger: $DISK_FULL"$'\n' "... saying the disk is full"
ok "... and leaves no directory" test ! -e db
run "$S" init db
is "$RC|$ERR" $'0|socloss: created ledger db\n' "init then succeeds once there is room"
checks db "... and the ledger passes check"
mkdir empty
run full bytes=0 "$S" init empty
is "$RC|$ERR" "1|socloss: empty: cannot create the ledger: $DISK_FULL"$'\n' "init into an empty directory on a full disk"
is "$(ls -A empty)" "" "... leaves the directory as it was, empty"

# Every point of failure in turn: the Nth writing call fails (then every one
# after it), or the disk holds N bytes.  Each init either makes a ledger that
# passes check or is refused, saying the disk is full, leaving nothing.
# init_at SPEC: one such init; sets DONE when it succeeded.
init_at() {
  local spec=$1 d=i-${1/=/-}
  run full "$spec" "$S" init "$d"
  DONE=
  if [ "$RC" = 0 ]; then
    DONE=1
    is "$ERR" "socloss: created ledger $d"$'\n' "init with $spec: succeeds"
    checks "$d" "init with $spec: the ledger passes check"
  else
    is "$RC|$OUT|$ERR" "1||socloss: $d: cannot create the ledger: $DISK_FULL"$'\n' "init with $spec: refused"
    ok "init with $spec: nothing left" test ! -e "$d"
  fi
}
for n in $(seq 1 40); do
  init_at call=$n
  [ -z "$DONE" ] || break
done
ok "init succeeds once its calls are all past the failing one (call=$n)" test -n "$DONE" -a "$n" -gt 3
for n in 0 1 4096 8191 8192 12288 16384 20480 24576 32768 65536; do
  init_at bytes=$n
done
is "$DONE" 1 "init succeeds on a disk with 64 KiB free"

# ---- commits that fill the disk -----------------------------------------------

printf 'account,balance\n' > a.csv
for i in $(seq 1 2000); do echo "acct-$i,$i"; done >> a.csv
BASE=$(fingerprint db)
for spec in bytes=0 bytes=100 bytes=4096 bytes=40000; do
  refused db "an import on a disk with ${spec#bytes=} bytes free" 1 "socloss: commit failed: $DISK_FULL" \
    full "$spec" "$S" import db --accounts a.csv
done
# import_at SPEC: the import with SPEC either lands whole or is refused,
# saying the disk is full, leaving the ledger as it was.
import_at() {
  local spec=$1 before
  rm -rf c && cp -r db c
  before=$(fingerprint c)
  run full "$spec" "$S" import c --accounts a.csv
  DONE=
  if [ "$RC" = 0 ]; then
    DONE=1
    is "$OUT|$ERR" $'imported 0 markets, 2000 accounts, 0 positions\n|' "import with $spec: lands"
    like "$(fingerprint c)" ' records 2000$' "import with $spec: every row is journaled"
  else
    # refused when the ledger is opened (lock.mdb's pages) or at the commit
    local want="socloss: commit failed: $DISK_FULL"$'\n'
    [ "$ERR" != "socloss: c: cannot open: $DISK_FULL"$'\n' ] || want=$ERR
    is "$RC|$OUT|$ERR" "1||$want" "import with $spec: refused, saying the disk is full"
    is "$(fingerprint c)" "$before" "import with $spec: the ledger is as it was"
  fi
}
for n in $(seq 1 40); do
  import_at call=$n
  [ -z "$DONE" ] || break
done
ok "the import lands once its calls are all past the failing one (call=$n)" test -n "$DONE"
is "$(fingerprint db)" "$BASE" "the ledger the copies came from is untouched"

# a batch of events, the same
printf '{"type":"deposit","account":"d-%d","amount":5}\n' $(seq 1 2000) > ev.jsonl
refused db "apply on a full disk" 1 "socloss: commit failed: $DISK_FULL" full bytes=0 "$S" apply db ev.jsonl
refused db "apply on a disk that fills midway" 1 "socloss: commit failed: $DISK_FULL" full bytes=5000 "$S" apply db ev.jsonl

done_testing
