#!/usr/bin/env bash
# registry.t — the registry's manners (docs/cli.md, "policy"): `policy list`
# tells which policy holds which role in which market; an unknown market is
# refused; making the shadow active clears it; a change that changes nothing
# writes nothing; `policy add --note` and `--at` are kept and shown, and
# never change what is decided.  A ledger written before all this
# (tests/fixtures/registry0-ledger) still reads, checks and replays as it did.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/tap.sh"
S=$SOCLOSS
FX=$here/../fixtures/registry0-ledger

# records DB: the journal's length
records() { "$S" journal "$1" | wc -l; }
# last_records DB N: the journal's last N records as JSON
last_records() { "$S" journal "$1" --json | tail -n "$2"; }
sha() { sha256sum "$1" | cut -c1-64; }

# ---- a ledger written before -------------------------------------------------

mkdir old && cp "$FX/data.mdb" old/
run "$S" journal old --json
is "$RC" 0 "the older journal reads"
is "$OUT" "$(cat "$FX/journal.jsonl")"$'\n' "byte for byte as the older code printed it (journal.jsonl)"
ok "the older ledger checks" check_digest old
is "$DIGEST|$RECORDS" "0026dd9b8a39127b28dcf5e8e367a365c7eb6ae847280c9748108cdfa1ae0385|24" \
  "to the same state digest, its 24 records"
run "$S" replay old
is "$RC" 0 "it replays"
# a note line appears when socloss-eval is another build than the one that decided
is "$(printf '%s' "$OUT" | grep -v '^note: ')" "record 17 deficit dx (x): reproduced exactly
record 22 deficit dz (z): reproduced exactly
2 deficits replayed with their own policies: 2 reproduced exactly, 0 differ" "both deficits reproduce exactly"
F=$(sha "$FX/first.lua")
L=$(sha "$FX/last.lua")
# what it holds: last active ledger-wide and (params k=1) for ETH, the
# fallback, and its own shadow; first active for NOPE, a market the older
# code let through
text want <<EOF
{"name":"first","version":1,"hash":"$F","seq":11,"bytes":191,"roles":[{"role":"active","market":"NOPE","params":{}}]}
{"name":"last","version":1,"hash":"$L","seq":12,"bytes":194,"roles":[{"role":"active","params":{}},{"role":"active","market":"ETH","params":{"k":1}},{"role":"fallback","params":{}},{"role":"shadow","params":{}}]}
EOF
succeeds old "policy list --json on the older ledger: its roles" "$want" "$S" policy list old --json
text want <<EOF
first                       1  ${F:0:12}  added at record 11  191 bytes  [active of NOPE]
last                        1  ${L:0:12}  added at record 12  194 bytes  [active, active of ETH, fallback, shadow]
EOF
succeeds old "policy list on the older ledger" "$want" "$S" policy list old
run "$S" policy activate old last
is "$RC|$OUT" "0|" "activating last, already active and its own shadow: exit 0"
is "$ERR" $'socloss: last is already the active policy\nsocloss: it was the shadow policy: no shadow policy now\n' \
  "says the shadow is cleared"
is "$(records old)" 25 "one record written: the shadow's clearing"
is "$(last_records old 1)" '{"seq":25,"type":"policy","role":"shadow","name":"","hash":"","params":{}}' "this one"
checks old "and the ledger checks"

# ---- roles per market ----------------------------------------------------------

cp "$FX/first.lua" "$FX/last.lua" .
water_filling_ledger db || { echo "Bail out! cannot make the ledger"; exit 255; }
# records 1-9: the market, four accounts, four positions
run "$S" policy add db first.lua --note "bob: the first account pays — a test" --at 2024-05-01T12:00:00Z
is "$RC|$OUT" "0|added first@1 (${F:0:12}) at journal record 10"$'\n' "policy add --note --at"
"$S" policy add db last.lua >/dev/null
for step in "activate db first" "fallback db last" "shadow db last" "activate db last --market BTC"; do
  # shellcheck disable=SC2086
  run "$S" policy $step
  is "$RC" 0 "policy $step"
done
text want <<EOF
first                       1  ${F:0:12}  added at record 10  191 bytes  [active]  at 2024-05-01T12:00:00Z  note: bob: the first account pays — a test
last                        1  ${L:0:12}  added at record 11  194 bytes  [active of BTC, fallback, shadow]
EOF
succeeds db "policy list: roles, time and note" "$want" "$S" policy list db
text want <<EOF
{"name":"first","version":1,"hash":"$F","seq":10,"bytes":191,"note":"bob: the first account pays — a test","at":"2024-05-01T12:00:00Z","roles":[{"role":"active","params":{}}]}
{"name":"last","version":1,"hash":"$L","seq":11,"bytes":194,"roles":[{"role":"active","market":"BTC","params":{}},{"role":"fallback","params":{}},{"role":"shadow","params":{}}]}
EOF
succeeds db "policy list --json: roles, at and note" "$want" "$S" policy list db --json
succeeds db "policy show --json: the same line" "${want%%$'\n'*}"$'\n' "$S" policy show db first --json
is "$(last_records db 6 | head -n 1)" \
  '{"seq":10,"type":"policy_added","name":"first","version":1,"hash":"'"$F"'","note":"bob: the first account pays — a test","at":"2024-05-01T12:00:00Z"}' \
  "the journal keeps the note and the time with the entry's record"

# ---- unknown markets -------------------------------------------------------------

refused db "activate --market NOPE" 1 "socloss: market: unknown market 'NOPE'" "$S" policy activate db first --market NOPE
refused db "fallback --market NOPE" 1 "socloss: market: unknown market 'NOPE'" "$S" policy fallback db first --market NOPE
refused db "shadow --market NOPE" 1 "socloss: market: unknown market 'NOPE'" "$S" policy shadow db first --market NOPE
refused db "shadow off --market NOPE" 1 "socloss: market: unknown market 'NOPE'" "$S" policy shadow db off --market NOPE

# ---- no-op changes write nothing ------------------------------------------------

# noop NAME WANT_STDERR CMD...: exit 0, nothing on stdout, exactly WANT_STDERR,
# and the ledger (its journal included) unchanged.  4 assertions.
noop() {
  local name=$1 want=$2 before
  shift 2
  before=$(fingerprint db)
  run "$@"
  is "$RC|$OUT" "0|" "$name: exit 0"
  is "$ERR" "$want"$'\n' "$name: says so"
  is "$(fingerprint db)" "$before" "$name: nothing written"
  like "$before" ' records 15$' "$name: (15 records before and after)"
}
noop "activate the active policy" "socloss: first is already the active policy; nothing written" \
  "$S" policy activate db first
noop "activate it with params {} (as none)" "socloss: first is already the active policy; nothing written" \
  "$S" policy activate db first --params '{}' --at 2024-05-02T00:00:00Z
noop "fallback again" "socloss: last is already the fallback policy; nothing written" "$S" policy fallback db last
noop "shadow off for BTC, which has none of its own" \
  "socloss: no shadow policy was set for market BTC; nothing written" "$S" policy shadow db off --market BTC
run "$S" policy shadow db off
is "$RC|$ERR" $'0|socloss: no shadow policy\n' "shadow off"
is "$(last_records db 1)" '{"seq":16,"type":"policy","role":"shadow","name":"","hash":"","params":{}}' "is journaled"
before=$(fingerprint db)
run "$S" policy shadow db off
is "$RC|$ERR" $'0|socloss: no shadow policy was set; nothing written\n' "shadow off again: says nothing was set"
is "$(fingerprint db)" "$before" "and journals nothing"
run "$S" policy clear db --fallback
is "$RC|$ERR" $'0|socloss: fallback policy cleared\n' "clear --fallback"
before=$(fingerprint db)
run "$S" policy clear db --fallback
is "$RC|$ERR|$(fingerprint db)" "0|socloss: no fallback policy was set; nothing written"$'\n'"|$before" \
  "clear --fallback again: nothing written"
run "$S" policy set db first.lua
is "$RC|$ERR|$(fingerprint db)" "0|socloss: the active policy is already this one; nothing written"$'\n'"|$before" \
  "set to the active policy's file: nothing written"

# ---- the shadow made active is cleared ------------------------------------------

run "$S" policy shadow db last --params '{"k":2}'
is "$RC|$ERR" $'0|socloss: last is the shadow policy\n' "last (k=2) as the shadow"
run "$S" policy activate db last
is "$RC|$ERR" $'0|socloss: last is the active policy\n' "last (no params) made active"
is "$(records db)" 19 "one record: a shadow with other params is another trial and stays"
run "$S" policy activate db last --params '{"k":2}' --at 2024-06-01T00:00:00Z
is "$RC|$ERR" $'0|socloss: last is the active policy\nsocloss: it was the shadow policy: no shadow policy now\n' \
  "last (k=2), the shadow, made active: the shadow is cleared"
text want <<EOF
{"seq":20,"type":"policy","role":"active","name":"last","hash":"$L","params":{"k":2},"at":"2024-06-01T00:00:00Z"}
{"seq":21,"type":"policy","role":"shadow","name":"","hash":"","params":{}}
EOF
# (the clearing carries the same time)
is "$(last_records db 2)"$'\n' "${want/'"params":{}}'/'"params":{},"at":"2024-06-01T00:00:00Z"}'}" \
  "two records: the activation, then the shadow cleared, both at the host's time"
run "$S" policy list db --json
like "$OUT" '"name":"last".*"roles":\[\{"role":"active","params":\{"k":2\}\},\{"role":"active","market":"BTC","params":\{\}\}\]\}' \
  "last is active (ledger-wide and for BTC) and no longer its own shadow"
run "$S" resolve db a --id after
is "$RC" 0 "a deficit after it"
run "$S" journal db --json
is "$(printf '%s' "$OUT" | grep -c '"type":"shadow"')" 0 "is decided once: no shadow record"

# ---- the time: given by the host, checked, never read by the library -------------

refused db "a time that is not one" 1 \
  "socloss: at: '2024-13-01T00:00:00Z' is not a UTC time YYYY-MM-DDTHH:MM:SS[.FRACTION]Z" \
  "$S" policy activate db first --at 2024-13-01T00:00:00Z
refused db "a time with an offset" 1 \
  "socloss: at: '2024-05-01T14:00:00+02:00' is not a UTC time YYYY-MM-DDTHH:MM:SS[.FRACTION]Z" \
  "$S" policy add db first.lua --at 2024-05-01T14:00:00+02:00
refused db "a note of two lines" 1 "socloss: note: byte 4 is a control character; a note is one line of text" \
  "$S" policy add db first.lua --note $'one\ntwo'
run "$S" policy activate db first --note "why"
is "$RC" 2 "--note with activate: a usage error"
is "${ERR%%$'\n'*}" "socloss policy: --note goes with policy add" "... saying so"
run "$S" policy list db --at 2024-05-01T12:00:00Z
is "$RC|${ERR%%$'\n'*}" "2|socloss policy: --at goes with a change: add, activate, fallback, shadow, set, clear" \
  "--at with list: a usage error"
run "$S" policy fallback db first --at now
is "$RC" 0 "--at now: this machine's clock, read by the CLI"
like "$(last_records db 1)" '^\{"seq":[0-9]+,"type":"policy","role":"fallback","name":"first",.*"at":"20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9]Z"\}$' \
  "recorded as a UTC time"

# The same commands with the same times make the same journal, and the notes
# and times change nothing that is decided: a ledger without them replays
# and ends the same.
make_one() {  # DB [--with]: a proposal on trial, then adopted; a deficit resolved
  local db=$1 note=() at1=() at2=()
  if [ "${2:-}" = --with ]; then
    note=(--note "carol: last pays") at1=(--at 2024-07-01T09:00:00Z) at2=(--at 2024-07-02T09:00:00.125Z)
  fi
  water_filling_ledger "$db" && "$S" policy add "$db" first.lua "${at1[@]}" >/dev/null &&
    "$S" policy add "$db" last.lua "${note[@]}" "${at1[@]}" >/dev/null &&
    "$S" policy activate "$db" first "${at1[@]}" 2>/dev/null &&
    "$S" policy shadow "$db" last "${at1[@]}" 2>/dev/null &&
    "$S" policy activate "$db" last "${at2[@]}" 2>/dev/null &&
    "$S" resolve "$db" a --id crash-1 >/dev/null
}
make_one w1 --with && make_one w2 --with && make_one plain || { echo "Bail out! cannot make the ledgers"; exit 255; }
policy_records() { "$S" journal "$1" --json | grep -E '"type":"(policy|policy_added)"'; }
is "$(policy_records w1)" "$(policy_records w2)" "the same calls, the same times: the same policy records"
like "$(policy_records w1)" '"name":"last","version":1,"hash":"[0-9a-f]{64}","note":"carol: last pays","at":"2024-07-01T09:00:00Z"\}' \
  "with the note and time given"
is "$(policy_records w1 | sed -E 's/,"(note|at)":"[^"]*"//g')" "$(policy_records plain)" \
  "and, without them, those of the ledger made without"
ok "w1 checks" check_digest w1
with=$DIGEST
ok "the plain one checks" check_digest plain
is "$with" "$DIGEST" "both end in the same state"
run "$S" replay w1
is "$(printf '%s' "$OUT" | tail -n 1)" "1 deficits replayed with their own policies: 1 reproduced exactly, 0 differ" \
  "the ledger with notes and times replays exactly"
done_testing
