#!/usr/bin/env bash
# run.sh [BUILD [HARNESS...]] — runs each libFuzzer harness of BUILD/fuzz (made
# by `make fuzz`: CMake's SOCLOSS_FUZZ, clang, ASan + UBSan) for
# FUZZ_SECONDS (default 60) on its committed seed corpus
# tests/fuzz/corpus/NAME/ and the directories tests/fuzz/NAME.seeds names
# (one per line, from the repository's root: policy_source's seeds are the
# shipped policies and the hostile corpus, read where they live rather than
# copied), with tests/fuzz/NAME.dict when there is one, and
# prints TAP: one test per harness, with libFuzzer's final figures (total
# executions, executions per second, coverage `cov:` and features `ft:`,
# the corpus it ended with).
#
# The committed corpus is only read: what the run adds goes to
# BUILD/fuzz-out/NAME/corpus (kept, to look at or to merge by hand), and a
# crash to BUILD/fuzz-out/NAME/crash-*, which the failing test names with
# the command that replays it.  A crash found becomes a regression input:
# copy it into tests/fuzz/corpus/NAME/ with the fix.
#
# The ledgers the harnesses make live under a temporary directory on
# /dev/shm when there is one (in memory), removed at the end.
set -uo pipefail

# BUILD: the argument, else $FUZZ_BUILD, else build-fuzz (`make fuzz` runs
# this script under prove, with FUZZ_BUILD set)
build=${1:-${FUZZ_BUILD:-build-fuzz}}
[ $# = 0 ] || shift
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
seconds=${FUZZ_SECONDS:-60}
case $build in /*) ;; *) build=$PWD/$build ;; esac

harnesses=("$@")
if [ ${#harnesses[@]} = 0 ]; then
  for src in "$here"/fuzz_*.c; do
    n=$(basename "$src" .c)
    harnesses+=("${n#fuzz_}")
  done
fi

shm=/dev/shm
[ -d "$shm" ] && [ -w "$shm" ] || shm=${TMPDIR:-/tmp}
scratch=$(mktemp -d "$shm/socloss-fuzz.XXXXXX") || exit 1
trap 'rm -rf "$scratch"' EXIT

echo "1..${#harnesses[@]}"
n=0
failed=0
for h in "${harnesses[@]}"; do
  n=$((n + 1))
  bin=$build/fuzz/fuzz_$h
  seeds=()
  [ -d "$here/corpus/$h" ] && seeds+=("$here/corpus/$h")
  if [ -f "$here/$h.seeds" ]; then
    while read -r d; do [ -z "$d" ] || seeds+=("$root/$d"); done <"$here/$h.seeds"
  fi
  out=$build/fuzz-out/$h
  if [ ! -x "$bin" ] || [ ${#seeds[@]} = 0 ]; then
    echo "not ok $n - $h: no harness at $bin or no seeds (tests/fuzz/corpus/$h/, tests/fuzz/$h.seeds)"
    failed=$((failed + 1))
    continue
  fi
  rm -rf "$out"
  mkdir -p "$out/corpus"
  dict=()
  [ -f "$here/$h.dict" ] && dict=(-dict="$here/$h.dict")
  log=$out/log
  t0=$(date +%s)
  # -timeout: one input may take at most 10 s (a policy killed at its
  # deadline takes 0.6 s); -rss_limit_mb: the whole process, ASan included
  TMPDIR=$scratch "$bin" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=4096 \
    -artifact_prefix="$out/" "${dict[@]}" "$out/corpus" "${seeds[@]}" </dev/null >"$log" 2>&1
  rc=$?
  took=$(($(date +%s) - t0))
  done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE ' "$log" | tail -n 1)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
  cov=$(sed -n 's/.* cov: \([0-9]*\) .*/\1/p' <<<"$done_line")
  ft=$(sed -n 's/.* ft: \([0-9]*\) .*/\1/p' <<<"$done_line")
  corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9]*[A-Za-z]*\) .*/\1/p' <<<"$done_line")
  seeds_n=$(find "${seeds[@]}" -type f | wc -l)
  figures="$took s, ${execs:-?} execs, ${rate:-?} exec/s, cov ${cov:-?}, ft ${ft:-?}, corpus ${corp:-?} (from $seeds_n seeds)"
  crash=$(find "$out" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | head -n 1)
  if [ "$rc" = 0 ] && [ -z "$crash" ] && [ -n "$done_line" ]; then
    echo "ok $n - $h: $figures"
    outcomes=$(grep '^policy outcomes' "$log" | tail -n 1)
    [ -z "$outcomes" ] || echo "# $h: $outcomes"
  else
    failed=$((failed + 1))
    echo "not ok $n - $h: exit $rc after $took s${crash:+, found $crash}"
    {
      grep -E 'fuzz oracle:|ERROR: |SUMMARY: |runtime error' "$log" | head -n 20
      echo "log: $log"
      [ -z "$crash" ] || echo "replay: TMPDIR=/tmp $bin $crash"
    } | sed 's/^/# /' >&2
  fi
done
[ "$failed" = 0 ] || echo "# failed $failed of $n harnesses" >&2
exit $((failed > 254 ? 254 : failed))
