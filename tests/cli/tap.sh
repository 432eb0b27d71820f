# tap.sh — a small TAP producer for the CLI tests, sourced by every tests/cli/*.t.
#
#   plan N | done_testing           the plan, up front or at the end; done_testing
#                                   ends the script (exit status = failures)
#   ok NAME CMD [ARGS...]           passes when CMD exits 0
#   is GOT WANT NAME                exact string comparison
#   like GOT ERE NAME               bash regex match
#   diag MSG... / note MSG...       "# " lines on stderr / stdout
#   skip NAME REASON                a passing "ok N # skip"
#   run CMD [ARGS...]               sets OUT, ERR (exact, trailing newlines kept) and RC;
#                                   stdin is $STDIN (default /dev/null): STDIN=f run ...
#   run_in FILE CMD [ARGS...]       the same with stdin from FILE
#   fingerprint DB                  prints "digest <hex> records <n>" (check + journal | wc -l);
#                                   returns check's exit code
#   text VAR <<'EOF'                reads a here-document into VAR exactly (final newline kept)
#
# On load it sets SOCLOSS (the CLI), SOCLOSS_GEN (the generator), creates
# $TMP (a mktemp -d directory removed on exit) and cd's into it, so that the
# names in messages are the short relative ones the tests spell out.

set -u

_tap_n=0
_tap_failed=0
_tap_planned=

# SOCLOSS_BUILD: the build directory (default: build/ in the repository); a
# relative path is taken from the directory the test was started in.
_tap_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SOCLOSS_BUILD=${SOCLOSS_BUILD:-$_tap_root/build}
case $SOCLOSS_BUILD in
  /*) ;;
  *) SOCLOSS_BUILD=$PWD/$SOCLOSS_BUILD ;;
esac
SOCLOSS=$SOCLOSS_BUILD/socloss
SOCLOSS_GEN=$SOCLOSS_BUILD/socloss-gen

if [ ! -x "$SOCLOSS" ]; then
  echo "Bail out! no socloss binary at $SOCLOSS (build first, or set SOCLOSS_BUILD)"
  exit 255
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/socloss-cli.XXXXXX") || exit 1
_tap_cleanup() {
  local st=$? pid
  # background commands this script started and has not reaped (kill.t)
  for pid in $(jobs -p); do kill -KILL "$pid" 2>/dev/null; done
  wait 2>/dev/null
  cd / && rm -rf "$TMP"
  exit "$st"
}
trap _tap_cleanup EXIT
trap 'exit 130' INT TERM
cd "$TMP" || exit 1

# The tests that generate their ledgers need socloss-gen, built with the
# project: without it they fail at once, as one failed test.
need_gen() {
  [ -x "$SOCLOSS_GEN" ] && return 0
  echo "1..1"
  echo "not ok 1 - no socloss-gen at $SOCLOSS_GEN (it is built with the project)"
  exit 1
}

# The golden tests: the array `got` (lines a run printed) against the
# lines of the file WANT (left in the array `want`), the count first, then
# line by line.
is_golden() {  # WANT
  local w i
  mapfile -t want < "$1"
  is "${#got[@]}" "${#want[@]}" "every case ran (${#want[@]})"
  for i in "${!want[@]}"; do
    w=${want[$i]}
    is "${got[$i]:-}" "$w" "${w%% resolve=*}: the same journal and state"
  done
}

plan() {
  _tap_planned=$1
  echo "1..$1"
}

diag() {
  local line
  printf '%s\n' "$@" | while IFS= read -r line; do echo "# $line"; done >&2
}

note() {
  local line
  printf '%s\n' "$@" | while IFS= read -r line; do echo "# $line"; done
}

# "file:line" of the innermost caller outside this file.
_tap_where() {
  local i=0 frame
  while frame=$(caller $i); do
    case $frame in
      *tap.sh) ;;
      *) echo "${frame#* * }:${frame%% *}"; return ;;
    esac
    i=$((i + 1))
  done
}

_tap_result() {  # PASSED NAME
  _tap_n=$((_tap_n + 1))
  if [ "$1" = 1 ]; then
    echo "ok $_tap_n - $2"
  else
    _tap_failed=$((_tap_failed + 1))
    echo "not ok $_tap_n - $2"
    diag "  Failed test '$2'" "  at $(_tap_where)"
  fi
}

ok() {
  local name=$1
  shift
  if "$@"; then _tap_result 1 "$name"; else
    _tap_result 0 "$name"
    return 1
  fi
}

# A value in a diagnostic: quoted, with control characters shown ($'..').
_tap_show() {
  if [[ $1 == *[![:print:]]* ]]; then printf '%q' "$1"; else printf "'%s'" "$1"; fi
}

is() {
  local got=$1 want=$2 name=$3
  if [ "$got" == "$want" ]; then
    _tap_result 1 "$name"
    return 0
  fi
  _tap_result 0 "$name"
  if [[ $got == *$'\n'?* || $want == *$'\n'?* ]]; then
    diag "$(diff -u --label expected --label got <(printf '%s' "$want") <(printf '%s' "$got"))"
  else
    diag "         got: $(_tap_show "$got")" "    expected: $(_tap_show "$want")"
  fi
  return 1
}

like() {
  local got=$1 re=$2 name=$3
  if [[ $got =~ $re ]]; then
    _tap_result 1 "$name"
    return 0
  fi
  _tap_result 0 "$name"
  diag "                  $(_tap_show "$got")" "    doesn't match '$re'"
  return 1
}

skip() {
  _tap_n=$((_tap_n + 1))
  echo "ok $_tap_n # skip $1: $2"
}

done_testing() {
  [ -n "$_tap_planned" ] || echo "1..$_tap_n"
  if [ -n "$_tap_planned" ] && [ "$_tap_planned" != "$_tap_n" ]; then
    diag "planned $_tap_planned tests but ran $_tap_n"
  fi
  [ "$_tap_failed" = 0 ] || diag "failed $_tap_failed of $_tap_n tests"
  # like Test::More: the exit status is the number of failures (at most 254)
  exit $((_tap_failed > 254 ? 254 : _tap_failed))
}

# run CMD... : OUT, ERR and RC of the command, stdout and stderr apart.
run() {
  run_in "${STDIN:-/dev/null}" "$@"
}

run_in() {
  local input=$1
  shift
  "$@" <"$input" >"$TMP/.out" 2>"$TMP/.err"
  RC=$?
  IFS= read -r -d '' OUT <"$TMP/.out" || true
  IFS= read -r -d '' ERR <"$TMP/.err" || true
}

text() {
  IFS= read -r -d '' "$1" || true
}

# The state fingerprint: the canonical state digest (from `socloss check`),
# the count of journal records and check's own record count.
fingerprint() {
  local db=$1 out rc digest records
  out=$("$SOCLOSS" check "$db" 2>/dev/null)
  rc=$?
  digest=$(sed -n 's/^digest //p' <<<"$out")
  records=$("$SOCLOSS" journal "$db" 2>/dev/null | wc -l)
  echo "digest ${digest:-none} records $records"
  return $rc
}

# check_digest DB: `socloss check DB` passes (the invariants included); sets
# DIGEST (the canonical state digest) and RECORDS (the journal's length, as
# check counted it), or prints why not and returns 1.
check_digest() {
  local out rc
  out=$("$SOCLOSS" check "$1" 2>&1)
  rc=$?
  DIGEST=$(sed -n 's/^digest //p' <<<"$out")
  RECORDS=$(sed -n 's/^ok - journal contiguous (\([0-9]*\) records)$/\1/p' <<<"$out")
  if [ "$rc" != 0 ] || [ -z "$DIGEST" ] || [ -z "$RECORDS" ]; then
    echo "check failed (exit $rc): $(tr '\n' ' ' <<<"$out" | head -c 400)"
    return 1
  fi
}

# ---- assertions the scripts share ---------------------------------------

# refused DB NAME WANT_RC WANT_STDERR CMD... : the command exits WANT_RC, prints
# exactly WANT_STDERR (one line, newline added) on stderr and nothing on
# stdout, and the ledger DB's fingerprint is unchanged.  4 assertions.
refused() {
  local db=$1 name=$2 want_rc=$3 want_err=$4 before
  shift 4
  before=$(fingerprint "$db")
  run "$@"
  is "$RC" "$want_rc" "$name: exit $want_rc"
  is "$ERR" "$want_err"$'\n' "$name: message"
  is "$OUT" "" "$name: nothing on stdout"
  if [[ $before == "digest none "* ]]; then
    _tap_result 0 "$name: ledger unchanged"
    diag "socloss check $db failed before the command: nothing to compare with"
  else
    is "$(fingerprint "$db")" "$before" "$name: ledger unchanged"
  fi
}

# succeeds DB NAME WANT_STDOUT CMD... : exit 0, exact stdout, empty stderr,
# then `socloss check DB` exits 0.  4 assertions.
succeeds() {
  local db=$1 name=$2 want_out=$3
  shift 3
  run "$@"
  is "$RC" 0 "$name: exit 0"
  is "$OUT" "$want_out" "$name: output"
  is "$ERR" "" "$name: nothing on stderr"
  checks "$db" "$name: check passes"
}

# checks DB NAME : `socloss check DB` exits 0 and every line is ok.
checks() {
  local out rc
  out=$("$SOCLOSS" check "$1" 2>&1)
  rc=$?
  if [ $rc = 0 ] && ! grep -q FAILED <<<"$out"; then
    _tap_result 1 "$2"
  else
    _tap_result 0 "$2"
    diag "socloss check $1 exited $rc:" "$out"
  fi
}

# water_filling_ledger DB: the ledger of the worked examples (tests/test_simulate.c):
# a 25 long at 100 with balance -1000; p, q short 10 at 180, r short 5 at 180;
# q's balance -900 (so its equity at mark 80 is 100).
water_filling_ledger() {
  printf 'market,mark_price\nBTC,100\n' > "$TMP/wf-m.csv"
  printf 'account,balance\na,-1000\np,4000\nq,-900\nr,4500\n' > "$TMP/wf-a.csv"
  printf 'account,market,size,entry_price\na,BTC,25,100\np,BTC,-10,180\nq,BTC,-10,180\nr,BTC,-5,180\n' > "$TMP/wf-p.csv"
  "$SOCLOSS" init "$1" 2>/dev/null &&
    "$SOCLOSS" import "$1" --markets "$TMP/wf-m.csv" --accounts "$TMP/wf-a.csv" --positions "$TMP/wf-p.csv" > /dev/null
}
