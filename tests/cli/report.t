#!/usr/bin/env bash
# report.t — `simulate --report` writes an HTML page with inline SVG charts and
# no network access; headless Chromium (Debian's chromium) opens it, and the
# rendered DOM has the figures table, every chart and the distribution.
here=$(cd "$(dirname "$0")" && pwd)
policies=$here/../../policies
. "$here/tap.sh"
S=$SOCLOSS
L=$TMP/ledger
water_filling_ledger "$L"

run "$S" simulate "$L" --policy "$policies/pro_rata.lua" --policy "$policies/adl.lua" --shock BTC:-20 --report report.html
is "$RC" 0 "simulate writes the report"
html=$(cat report.html)
like "$html" '^<!DOCTYPE html>' "an HTML page"
ok "with no external resource (no src=, href= or url())" bash -c '! grep -Eq "src=|href=|url\(" report.html'
is "$(grep -o '<svg ' report.html | wc -l | tr -d ' ')" 8 "eight inline SVG charts"
# the top payers side by side (worked in tests/test_simulate.c): pro_rata
# charges p 933 of its profit 1000, r 467 of 500, q 100 of 1000; adl p 600,
# r 300, q 60
like "$html" '<table id="payers"><tr><th>#</th><th>pro_rata.lua</th><th>adl.lua</th></tr>
<tr><td>1</td><td>p: 933 \(93.3%\)</td><td>p: 600 \(60.0%\)</td></tr>
<tr><td>2</td><td>r: 467 \(93.4%\)</td><td>r: 300 \(60.0%\)</td></tr>
<tr><td>3</td><td>q: 100 \(10.0%\)</td><td>q: 60 \(6.0%\)</td></tr>
</table>' "the top payers side by side, with their share of profit"
# switching to adl: everyone pays less, p 333, r 167, q 40, the largest first
like "$html" '<h2>Switching from pro_rata.lua to adl.lua</h2>
<p>3 accounts would pay differently: 0 more, 3 less.  The 5 largest changes each way:</p>
<table id="switch-1"><tr><th>account</th><th>under the first</th><th>under this one</th><th>change</th></tr>
<tr><td>p</td><td>933</td><td>600</td><td>-333</td></tr>
<tr><td>r</td><td>467</td><td>300</td><td>-167</td></tr>
<tr><td>q</td><td>100</td><td>60</td><td>-40</td></tr>
</table>' "the biggest winners and losers of switching"

chromium=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chromium" ]; then
  skip "headless Chromium renders it" "no chromium (make test installs Debian's)"
  done_testing
fi
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking
       --disable-component-update --disable-sync --user-data-dir="$TMP/chromium")
dom=$(timeout 120 "$chromium" "${flags[@]}" --dump-dom "file://$TMP/report.html" 2>/dev/null)
like "$dom" '<table id="figures">' "Chromium renders the figures table"
like "$dom" '<td>accounts charged</td><td>3</td><td>3</td>' "with the figures (3 accounts charged under each)"
like "$dom" '<td>split test: the halves pay more by</td><td>1</td><td>0</td>' "and the split test"
like "$dom" 'id="distribution"' "and the distribution chart"
like "$dom" '<tr><td>1</td><td>p: 933 \(93.3%\)</td><td>p: 600 \(60.0%\)</td></tr>' "and the top payers"
is "$(printf '%s' "$dom" | grep -o '<rect ' | wc -l | tr -d ' ')" "$(grep -o '<rect ' report.html | wc -l | tr -d ' ')" \
  "every bar of the page is in the rendered DOM"
timeout 120 "$chromium" "${flags[@]}" --window-size=900,1400 --screenshot="$TMP/report.png" "file://$TMP/report.html" \
  > /dev/null 2>&1
size=$(stat -c %s "$TMP/report.png" 2>/dev/null || echo 0)
ok "and paints it (a ${size}-byte screenshot)" test "$size" -gt 20000
done_testing
