#!/usr/bin/env bash
# crashpoints.t — a process killed at an exact write or sync of its
# transaction (tests/crashpoint.c, an LD_PRELOAD shim: SIGKILL to itself at
# the Nth pwrite/write/writev/fdatasync/fsync/msync), for four writers:
#
#   import    socloss import of a generated ledger into an empty one
#   apply     socloss apply: a deposit to every third trader, a crash of
#             BTC, a `deficit` line and an `event` line that resolves every
#             other bankrupt account
#   resolve   socloss resolve --all-bankrupt --event ID after the crash
#   batch     socloss_resolve_batch from a host (tests/crash_batch.c) over
#             every bankrupt account after the crash
#
# For each: a clean run counts the calls (twice: the count is the same) and
# shows where the commit is (the last calls are the data file's fdatasync
# and the meta page's pwrite, LMDB's commit point); then the operation runs
# again on a fresh copy of its ledger and is killed at chosen calls.  After
# each kill: it died by SIGKILL; the ledger opens and `socloss check` passes;
# the state (check's digest and journal length, and `show --json`) is
# exactly the state before, or, killed once the meta page is written,
# exactly the state after; and the ledger takes the next write.
#
# SOCLOSS_CRASHPOINTS: unset, two points per writer (the handful `make test`
# runs: the middle of the page writes, and the meta page's write, before it
# for two writers, after it for the other two); "long" (`make test-long`):
# before and after every call, at most SOCLOSS_CRASHPOINTS_MAX (default 100)
# per writer, spread evenly, the last three calls (the end of the pages, the
# fdatasync, the meta page) always in: at least 100 in all.
# SOCLOSS_CRASH_ACCOUNTS: the generated ledger's size (default 4000, long
# 40000: the import's commit is then some 45 calls).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/tap.sh"

S=$SOCLOSS
SHIM=$SOCLOSS_BUILD/tests/shims/crashpoint.so
BATCH=$SOCLOSS_BUILD/tests/helpers/crash_batch
POLICY=$here/../../policies/pro_rata.lua
for f in "$SHIM" "$BATCH"; do
  [ -e "$f" ] || { echo "Bail out! no $f (build first)"; exit 255; }
done
# a sanitizer's runtime wants to be the first library loaded; the shim is
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
MODE=${SOCLOSS_CRASHPOINTS:-handful}
if [ "$MODE" = long ]; then
  MAX=${SOCLOSS_CRASHPOINTS_MAX:-100}
  N=${SOCLOSS_CRASH_ACCOUNTS:-40000}
else
  N=${SOCLOSS_CRASH_ACCOUNTS:-4000}
fi
now_ms() { echo $(($(date +%s%N) / 1000000)); }
T0=$(now_ms)

# ---- the shim itself ------------------------------------------------------------

WRITER='open(my $f, ">", "f") or die; syswrite($f, "ab"); syswrite($f, "c"); print "done\n"'
run env SOCLOSS_CRASHPOINT=count="$TMP/shim.calls" LD_PRELOAD="$SHIM" perl -e "$WRITER"
is "$RC|$OUT|$(cut -d' ' -f1,2,4,5 shim.calls | tr '\n' ',')|$(cat f)" "0|done"$'\n'"|1 write 2 -1,2 write 1 -1,|abc" \
  "the shim counts the writes to a file, not those to stdout"
for spec in before=1 before=2 after=2; do
  rm -f f
  { env SOCLOSS_CRASHPOINT=$spec LD_PRELOAD="$SHIM" perl -e "$WRITER" >shim.out; } 2>/dev/null
  st=$?
  got="$st|$(cat shim.out)|$(cat f)"
  case $spec in
    before=1) want="137||" ;;
    before=2) want="137||ab" ;;
    after=2) want="137||abc" ;;
  esac
  is "$got" "$want" "the shim with $spec: SIGKILL, the file as written so far"
done

# ---- the ledger ----------------------------------------------------------------
#
# N traders in pairs: a long and a short of 1 BTC at 1000, the other way 2
# ETH at 100, balances 1000-1006; eight risky longs r1..r8, 1 BTC at 1000 on
# a balance of 50, against mm (short 8 BTC at 1000, balance 1,000,000); the
# fund holds 30.  The crash takes BTC to 900: each r is bankrupt by 50.
awk -v n="$N" 'BEGIN {
  print "market,mark_price\nBTC,1000\nETH,100" > "m.csv"
  print "account,balance" > "a.csv"
  print "account,market,size,entry_price" > "p.csv"
  for (i = 1; i <= n; i++) {
    printf "t%06d,%d\n", i, 1000 + i % 7 > "a.csv"
    printf "t%06d,BTC,%d,1000\n", i, i % 2 ? 1 : -1 > "p.csv"
    printf "t%06d,ETH,%d,100\n", i, i % 2 ? -2 : 2 > "p.csv"
  }
  print "mm,1000000" > "a.csv"
  printf "mm,BTC,-8,1000\n" > "p.csv"
  for (i = 1; i <= 8; i++) {
    printf "r%d,50\n", i > "a.csv"
    printf "r%d,BTC,1,1000\n", i > "p.csv"
  }
}'
[ $((N % 2)) = 0 ] || { echo "Bail out! SOCLOSS_CRASH_ACCOUNTS must be even"; exit 255; }
IMPORT=(import LEDGER --markets m.csv --accounts a.csv --positions p.csv)
{
  echo '{"type":"fund","amount":30}'
  echo '{"type":"deposit","account":"t000001","amount":5}'
  echo '{"type":"deposit","account":"newcomer","amount":700}'
} >fund.jsonl
echo '{"type":"market","market":"BTC","mark":900}' >crash.jsonl
{
  awk -v n="$N" 'BEGIN { for (i = 2; i <= n; i += 3) printf "{\"type\":\"deposit\",\"account\":\"t%06d\",\"amount\":%d}\n", i, i }'
  echo '{"type":"withdraw","account":"t000003","amount":3}'
  echo '{"type":"market","market":"BTC","mark":900}'
  echo "{\"type\":\"deficit\",\"id\":\"d-r1\",\"account\":\"r1\",\"policy\":\"$POLICY\"}"
  echo "{\"type\":\"event\",\"id\":\"e1\",\"policy\":\"$POLICY\"}"
} >ops.jsonl
echo '{"type":"deposit","account":"late","amount":1}' >small.jsonl

"$S" init empty 2>/dev/null
cp -r empty imported
run "$S" import imported --markets m.csv --accounts a.csv --positions p.csv
is "$RC|$OUT" "0|imported 2 markets, $((N + 9)) accounts, $((2 * N + 9)) positions"$'\n' \
  "the generated ledger: $((N + 9)) accounts"
"$S" apply imported fund.jsonl >/dev/null
cp -r imported crashed
"$S" apply crashed crash.jsonl >/dev/null
run "$S" show crashed --bankrupt
is "$(grep -c '^r[1-8] ' <<<"$OUT")" 8 "after the crash r1..r8 are bankrupt"

# state DB: "digest D records R show H" (check's digest and record count, the
# hash of show --json); returns 1 when check or show fails.
state() {
  local db=$1 show
  check_digest "$db" || return 1
  show=$("$S" show "$db" --json 2>&1) || { echo "show failed: $(head -c 200 <<<"$show")"; return 1; }
  echo "digest $DIGEST records $RECORDS show $(sha256sum <<<"$show" | cut -c1-16)"
}

# on DB WORDS...: CMD, the words with LEDGER replaced by DB
on() {
  local db=$1 a
  shift
  CMD=()
  for a in "$@"; do
    if [ "$a" = LEDGER ]; then CMD+=("$db"); else CMD+=("$a"); fi
  done
}

TOTAL_POINTS=0
TOTAL_BEFORE=0
TOTAL_AFTER=0

# writer NAME TEMPLATE WANT_LAST WORDS... : the experiment for one writer;
# WORDS with LEDGER for the ledger, run on copies of TEMPLATE; WANT_LAST the
# last line the clean run prints.
writer() {
  local name=$1 template=$2 want_out=$3
  shift 3
  local before after t trace2 last sync k n points=() p st got want where t1
  t1=$(now_ms)
  before=$(state "$template")
  like "$before" '^digest [0-9a-f]{64} records [0-9]+ show [0-9a-f]{16}$' "$name: the ledger before passes check"

  # the clean runs: the calls counted, twice
  rm -rf v && cp -r "$template" v
  on v "$@"
  run env SOCLOSS_CRASHPOINT=count="$TMP/$name.calls" LD_PRELOAD="$SHIM" "${CMD[@]}"
  is "$RC|$(printf "%s" "$OUT" | tail -n 1)|$ERR" "0|$want_out|" "$name: the clean run"
  after=$(state v)
  like "$after" '^digest [0-9a-f]{64} records [0-9]+ show [0-9a-f]{16}$' "$name: the ledger after passes check"
  rm -rf v && cp -r "$template" v
  run env SOCLOSS_CRASHPOINT=count="$TMP/$name.calls2" LD_PRELOAD="$SHIM" "${CMD[@]}"
  t=$(wc -l <"$TMP/$name.calls")
  is "$(wc -l <"$TMP/$name.calls2")|$(cut -d' ' -f2,4,5 "$TMP/$name.calls2" | md5sum)" \
    "$t|$(cut -d' ' -f2,4,5 "$TMP/$name.calls" | md5sum)" "$name: a second clean run makes the same $t calls"
  # LMDB's commit ends with the data file's fdatasync, then the meta page
  # (pages 0-1: below 8192 with 4 KiB pages) written through its O_DSYNC
  # descriptor: the commit point
  local last_call last_off sync_call
  read -r _ last_call _ _ last_off < <(tail -n 1 "$TMP/$name.calls")
  read -r _ sync_call _ < <(tail -n 2 "$TMP/$name.calls" | head -n 1)
  is "$sync_call|$last_call|$([ "${last_off:--1}" -ge 0 ] && [ "$last_off" -lt 8192 ] && echo meta)" \
    "fdatasync|pwrite|meta" "$name: the last two calls are the fdatasync and the meta page's pwrite"
  note "$name: $t calls: $(cut -d' ' -f2 "$TMP/$name.calls" | sort | uniq -c | tr -s ' ' | tr '\n' ',')"

  # the points: before=K and after=K, K = 1..t
  if [ "$MODE" = long ]; then
    local all=() tail=()
    for ((k = 1; k <= t; k++)); do
      if [ "$k" -gt $((t - 3)) ]; then tail+=("before=$k" "after=$k"); else all+=("before=$k" "after=$k"); fi
    done
    local take=$((MAX - ${#tail[@]}))
    [ "$take" -lt "${#all[@]}" ] || take=${#all[@]}
    for ((k = 0; k < take; k++)); do points+=("${all[$((k * ${#all[@]} / take))]}"); done
    points+=("${tail[@]}")
  else
    points=("before=$(((t + 1) / 2))")
    if [ "$name" = import ] || [ "$name" = resolve ]; then points+=("before=$t"); else points+=("after=$t"); fi
  fi

  for p in "${points[@]}"; do
    rm -rf v && cp -r "$template" v
    on v "$@"
    # (the braces keep bash's "Killed" notice off the output)
    { env SOCLOSS_CRASHPOINT="$p" LD_PRELOAD="$SHIM" "${CMD[@]}" >v.out 2>v.err; } 2>/dev/null
    st=$?
    k=${p#*=}
    where="call $k of $t ($(sed -n "${k}p" "$TMP/$name.calls" | cut -d' ' -f2))"
    if ! is "$st" 137 "$name: killed by SIGKILL ${p%%=*} $where"; then
      diag "stdout: $(head -c 300 v.out)" "stderr: $(head -c 300 v.err)"
      continue
    fi
    got=$(state v)
    ok "$name ${p}: the ledger opens and check passes" test $? = 0 || diag "$got"
    if [ "$p" = "after=$t" ]; then want=$after label=all-after; else want=$before label=all-before; fi
    is "$got" "$want" "$name ${p}: the state is exactly $label"
    TOTAL_POINTS=$((TOTAL_POINTS + 1))
    if [ "$label" = all-after ]; then TOTAL_AFTER=$((TOTAL_AFTER + 1)); else TOTAL_BEFORE=$((TOTAL_BEFORE + 1)); fi
    # the dead writer's lock is recovered: the next write lands
    run "$S" apply v small.jsonl
    local r=${want#* records }
    r=${r%% *}
    like "$RC|$OUT|$ERR|$(state v)" "^0\|applied 1 events"$'\n'"\|\|digest [0-9a-f]{64} records $((r + 1)) show " \
      "$name ${p}: the next write lands, one record more"
  done
  note "$name: ${#points[@]} kill points in $(($(now_ms) - t1)) ms"
}

writer import empty "imported 2 markets, $((N + 9)) accounts, $((2 * N + 9)) positions" \
  "$S" "${IMPORT[@]}"
writer apply imported "applied $(wc -l <ops.jsonl) events" "$S" apply LEDGER ops.jsonl
writer resolve crashed \
  "event crash (sequential): 8 bankrupt, 8 resolved, 0 failed; deficit 400, fund draw 30, charged 370, bad debt 0" \
  "$S" resolve LEDGER --all-bankrupt --event crash --policy "$POLICY"
writer batch crashed "batch: 8 deficits, 8 resolved" "$BATCH" LEDGER "$POLICY" storm

note "$TOTAL_POINTS kill points ($TOTAL_BEFORE all-before, $TOTAL_AFTER all-after) in $(($(now_ms) - T0)) ms"
if [ "$MODE" = long ]; then
  ok "$TOTAL_POINTS kill points, at least 100" test "$TOTAL_POINTS" -ge 100
else
  is "$TOTAL_POINTS|$TOTAL_AFTER" "8|2" "8 kill points, 2 of them after the commit point"
fi
done_testing
