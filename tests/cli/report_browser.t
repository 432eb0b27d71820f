#!/usr/bin/env bash
# report_browser.t — the simulate report as a person sees it: headless
# Chromium (Debian's /usr/bin/chromium) driven by playwright-core (npm, from
# tests/browser/package-lock.json: `make test` runs `npm ci` there) opens the
# report of the demo's crash, in dollars, under five columns (pro_rata,
# tiered, adl, adl with {"score":"pnl"}, and pro_rata copied under a long
# file name), and tests/browser/report.mjs checks the figures table, a
# labelled bar, the split test's zero line between its negative and positive
# bars, that no label lies outside its chart, the top payers, the Lorenz
# curves and the filter box.  Then the
# same page with one chart narrowed: the check must see its labels clipped.
# The screenshot is kept as $SOCLOSS_BUILD/report_browser.png.
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
policies=$root/policies
. "$here/tap.sh"
S=$SOCLOSS
browser=$root/tests/browser
chromium=${SOCLOSS_CHROMIUM:-/usr/bin/chromium}

# report.mjs's TAP lines, each as one of this script's assertions
relay() {
  local line
  while IFS= read -r line; do
    case $line in
      'ok '*) ok "${line#ok * - }" true ;;
      'not ok '*) ok "${line#not ok * - }" false ;;
      '#'*) echo "$line" >&2 ;;
    esac
  done <<< "$1"
}

ok "node is installed" bash -c 'command -v node > /dev/null'
ok "Debian's chromium is installed ($chromium)" test -x "$chromium"
ok "playwright-core is installed in tests/browser (npm ci)" test -f "$browser/node_modules/playwright-core/package.json"

"$SOCLOSS_GEN" usd --accounts 1000 --markets 2 --seed 1 --usd 2>/dev/null
"$S" init U --asset USD --decimals 6 2>/dev/null
"$S" import U --markets usd/markets.csv --accounts usd/accounts.csv --positions usd/positions.csv > /dev/null
printf '%s\n' '{"type":"fund","amount":250000}' '{"type":"market","market":"BTC-PERP","mark":48000}' | "$S" apply U - > /dev/null
long=a_proposal_with_a_rather_long_file_name_for_the_vote_of_march.lua
cp "$policies/pro_rata.lua" "$long"
run "$S" simulate U --policy "$policies/pro_rata.lua" --policy "$policies/tiered.lua" --policy "$policies/adl.lua" \
  --policy "$policies/adl.lua" --with '{"score":"pnl"}' --policy "$long" --with '{"scope":"market"}' \
  --shock BTC-PERP:0 --report report.html
is "$RC" 0 "the report of the demo's crash, five columns"

shot=$SOCLOSS_BUILD/report_browser.png
cp report.html "$SOCLOSS_BUILD/report_browser.html"
# the values as the text table prints them (pinned: the demo's crash, in
# tests/cli/demo_crash.t); adl with pnl scores charges 5 accounts
cat > spec.json <<JSON
{"report": "$TMP/report.html", "screenshot": "$shot", "chromium": "$chromium",
 "figures": [["deficits", "46", "46", "46", "46", "46"],
             ["accounts charged", "691", "691", "59", "5", "691"],
             ["total charged", "263,054.191748 USD", "263,054.191748 USD", "263,054.205889 USD", "263,054.205889 USD", "263,054.191748 USD"],
             ["split test: the halves pay more by", "-0.000002 USD", "-1,517.464274 USD", "7,807.906100 USD", "0.000000 USD", "-0.000002 USD"]],
 "labelled": {"chart": "chart-charged", "labels": ["691", "691", "59", "5", "691"]},
 "payers": {"row": 1, "cells": ["1", "mm-btc-perp: 56,021.336465 USD (4.3%)", "mm-btc-perp: 82,883.837914 USD (6.4%)",
            "acct-0000839: 32,843.375660 USD (46.8%)", "mm-btc-perp: 244,324.548544 USD (19.0%)", "mm-btc-perp: 56,021.336465 USD (4.3%)"]},
 "lorenz": 5,
 "signed": "chart-split",
 "filter": {"query": "mm-", "rows": ["mm-btc-perp"]}}
JSON
rm -f "$shot"
out=$(cd "$browser" && timeout 300 node report.mjs "$TMP/spec.json" 2>&1)
rc=$?
relay "$out"
is "$rc" 0 "report.mjs passes"
size=$(stat -c %s "$shot" 2>/dev/null || echo 0)
ok "a screenshot of the whole page (${size} bytes, $shot)" test "$size" -gt 100000

# the check can fail: the total's chart narrowed to 300 px clips its labels
sed 's/width="[0-9]*" \(height="[0-9]*" role="img" id="chart-total"\)/width="300" \1/' report.html > narrow.html
ok "a copy with the total's chart narrowed" bash -c '! cmp -s report.html narrow.html'
cat > narrow.json <<JSON
{"report": "$TMP/narrow.html", "chromium": "$chromium", "expect_clipped": "263,054.205889 USD"}
JSON
out=$(cd "$browser" && timeout 300 node report.mjs "$TMP/narrow.json" 2>&1)
rc=$?
like "$out" "ok [0-9]+ - the label '263,054.205889 USD' is clipped" "narrowed, the check finds a bar's label clipped"
is "$rc" 0 "(and only what is expected)"
done_testing
