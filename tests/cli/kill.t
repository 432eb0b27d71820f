#!/usr/bin/env bash
# kill.t — SIGKILL in the middle of a large `import` and of a long `apply`.
#
# For each: run the whole operation once on a throwaway ledger to learn its
# duration T and the state it ends in; then on a fresh ledger start it in the
# background, kill -9 it after about T/2 (and twice more late, during the
# commit), and require that it really died by SIGKILL, that the ledger opens
# and `socloss check` passes, and that the state is exactly all-before or
# exactly all-after.  Then a small import/apply on that ledger must succeed
# (the LMDB write lock of the dead process is recovered).
#
# Sizes (override for slow builds): SOCLOSS_KILL_ACCOUNTS (200000 accounts,
# 2 markets: ~600k journal records) and SOCLOSS_KILL_EVENTS (300000 deposits).
. "$(dirname "$0")/tap.sh"

S=$SOCLOSS
N_ACCOUNTS=${SOCLOSS_KILL_ACCOUNTS:-200000}
N_EVENTS=${SOCLOSS_KILL_EVENTS:-300000}
# Kill points, in percent of T.  At 50% the process is parsing or building
# the transaction; near the end the pages are being written and synced (on
# this kind of machine the commit is the last ~10% of T), and past the meta
# page write the state must be all-after.
FRACTIONS="50 93 99"

if [ ! -x "$SOCLOSS_GEN" ]; then
  echo "1..0 # SKIP no socloss-gen at $SOCLOSS_GEN"
  exit 0
fi

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# Big-ledger fingerprint: the digest and record count from `socloss check`
# (which also verifies the invariants: the function fails when check does),
# and the journal length confirmed with `socloss journal --from`: record N
# exists and record N+1 does not.
big_fingerprint() {
  local db=$1 out rc digest records
  check_digest "$db" || return 1
  digest=$DIGEST records=$RECORDS
  if [ "$records" -gt 0 ]; then
    out=$("$S" journal "$db" --from "$records" 2>&1)
    rc=$?
    if [ "$rc" != 0 ] || [ "$(wc -l <<<"$out")" != 1 ] || [[ $out != "$records "* ]]; then
      echo "check failed: journal --from $records (exit $rc): $(head -c 300 <<<"$out")"
      return 1
    fi
  fi
  out=$("$S" journal "$db" --from $((records + 1)) 2>&1)
  rc=$?
  if [ "$rc" != 0 ] || [ -n "$out" ]; then
    echo "check failed: journal --from $((records + 1)) (exit $rc): $(head -c 300 <<<"$out")"
    return 1
  fi
  echo "digest $digest records $records"
}

# ---- the inputs --------------------------------------------------------------

T0=$(now_ms)
"$SOCLOSS_GEN" gen --accounts "$N_ACCOUNTS" --markets 2 --seed 11 >/dev/null 2>gen.err
ok "socloss-gen wrote the ledger CSVs" test -s gen/positions.csv
N_M=$(($(wc -l <gen/markets.csv) - 1))
N_A=$(($(wc -l <gen/accounts.csv) - 1))
N_P=$(($(wc -l <gen/positions.csv) - 1))
note "generated $N_M markets, $N_A accounts, $N_P positions"
awk -v n="$N_EVENTS" -v a="$N_ACCOUNTS" 'BEGIN {
  for (i = 1; i <= n; i++)
    printf "{\"type\":\"deposit\",\"account\":\"acct-%07d\",\"amount\":%d}\n", (i % a) + 1, i
}' >deposits.jsonl
is "$(wc -l <deposits.jsonl)" "$N_EVENTS" "$N_EVENTS deposit events"
printf 'market,mark_price\nAFTER-KILL,5\n' >small.csv
echo '{"type":"deposit","account":"after-kill","amount":5}' >small.jsonl
IMPORT=("$S" import LEDGER --markets gen/markets.csv --accounts gen/accounts.csv --positions gen/positions.csv)

# on_ledger DB CMD... : sets the array CMD to CMD with the word LEDGER
# replaced by DB.  (The command is then started as a simple command, so that
# $! is the socloss process itself, not a subshell around it.)
on_ledger() {
  local db=$1 a
  shift
  CMD=()
  for a in "$@"; do
    if [ "$a" = LEDGER ]; then CMD+=("$db"); else CMD+=("$a"); fi
  done
}

# ---- the kill experiment -----------------------------------------------------
#
# kill_test NAME SETUP T_MS BEFORE AFTER SMALL_OUT SMALL_CMD_ARRAY CMD...
#   SETUP: a function that makes a fresh ledger "victim" in its pre-state;
#   BEFORE/AFTER: the fingerprints of the pre- and post-operation states.
kill_test() {
  local name=$1 setup=$2 t_ms=$3 before=$4 after=$5 small_out=$6
  local -n small_ref=$7
  shift 7
  local pct delay attempt st state fp fprc n_before
  for pct in $FRACTIONS; do
    delay=$((t_ms * pct / 100))
    for attempt in 1 2 3 4 5; do
      rm -rf victim
      $setup
      on_ledger victim "$@"
      "${CMD[@]}" >victim.out 2>victim.err &
      local pid=$!
      sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
      kill -KILL "$pid" 2>/dev/null
      wait "$pid" 2>/dev/null
      st=$?
      # the process is gone (reaped), so nothing can still write to victim
      if kill -0 "$pid" 2>/dev/null; then
        diag "process $pid is still alive after wait"
      fi
      [ "$st" = 137 ] && break
      note "$name: finished (exit $st) before the kill at ${delay} ms; retrying earlier"
      delay=$((delay * 3 / 4))
    done
    if ! is "${st}" 137 "$name: killed by SIGKILL at ${delay} ms of ~${t_ms} ms (${pct}%)"; then
      diag "stdout: $(cat victim.out)" "stderr: $(cat victim.err)"
      continue
    fi
    fp=$(big_fingerprint victim)
    fprc=$?
    ok "$name: the ledger opens and socloss check passes after the kill" test "$fprc" = 0 || diag "$fp"
    if [ "$fp" = "$before" ]; then
      state=all-before
    elif [ "$fp" = "$after" ]; then
      state=all-after
    else
      state=neither
    fi
    ok "$name: the state is all-before or all-after (it is $state)" test "$state" != neither ||
      diag "      got: $fp" "   before: $before" "    after: $after"
    note "$name killed at ${delay} ms of ~${t_ms} ms: $state"
    n_before=${fp##* records }
    [[ $n_before =~ ^[0-9]+$ ]] || n_before=-1
    on_ledger victim "${small_ref[@]}"
    run "${CMD[@]}"
    is "$RC|$OUT|$ERR" "0|$small_out|" "$name: a small operation after the kill succeeds"
    fp=$(big_fingerprint victim)
    like "$fp" "^digest [0-9a-f]{64} records $((n_before + 1))\$" \
      "$name: ... check passes and the journal has one more record"
  done
}

# ---- import ------------------------------------------------------------------

"$S" init full 2>/dev/null
T=$(now_ms)
on_ledger full "${IMPORT[@]}"
run "${CMD[@]}"
T_IMPORT=$(($(now_ms) - T))
is "$RC|$OUT" "0|imported $N_M markets, $N_A accounts, $N_P positions"$'\n' \
  "the whole import on a throwaway ledger (${T_IMPORT} ms)"
IMPORTED=$(big_fingerprint full)
like "$IMPORTED" "^digest [0-9a-f]{64} records $((N_M + N_A + N_P))\$" \
  "the imported ledger passes check, one journal record per row"

"$S" init empty 2>/dev/null
EMPTY=$(big_fingerprint empty)
like "$EMPTY" '^digest [0-9a-f]{64} records 0$' "an empty ledger passes check"

setup_import() { "$S" init victim 2>/dev/null; }
small_cmd=("$S" import LEDGER --markets small.csv)
kill_test "import" setup_import "$T_IMPORT" "$EMPTY" "$IMPORTED" \
  $'imported 1 markets, 0 accounts, 0 positions\n' small_cmd "${IMPORT[@]}"

# ---- apply -------------------------------------------------------------------

cp -r full applied
T=$(now_ms)
run "$S" apply applied deposits.jsonl
T_APPLY=$(($(now_ms) - T))
is "$RC|$OUT" "0|applied $N_EVENTS events"$'\n' "the whole apply on a throwaway copy (${T_APPLY} ms)"
APPLIED=$(big_fingerprint applied)
like "$APPLIED" "^digest [0-9a-f]{64} records $((N_M + N_A + N_P + N_EVENTS))\$" \
  "the applied ledger passes check, one journal record per event"
rm -rf applied

setup_apply() { cp -r full victim; }
small_cmd=("$S" apply LEDGER small.jsonl)
kill_test "apply" setup_apply "$T_APPLY" "$IMPORTED" "$APPLIED" \
  $'applied 1 events\n' small_cmd "$S" apply LEDGER deposits.jsonl

note "kill.t took $(($(now_ms) - T0)) ms"
done_testing
