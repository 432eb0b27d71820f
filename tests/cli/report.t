#!/usr/bin/env bash
# report.t — `simulate --report` writes one self-contained HTML page (inline
# SVG, CSS and one small script, no network): the policies with their params
# and hashes, the figures, signed bar charts, the distribution, per policy a
# Lorenz curve and a scatter, the top payers, the biggest changes of
# switching and a per-account table.  Checked here as text; what a person
# sees in Chromium is report_browser.t's.
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
like "$html" '<h1>Who pays: the bankruptcies after the shock BTC:-20</h1>' "its title names the shock"
ok "with no external resource (no src=, href= or url())" bash -c '! grep -Eq "src=|href=|url\(" report.html'
# bars for total charged, largest share, Gini, bad debt and the split test
# (accounts charged and overshoot are the same under both: no bars), the
# distribution, and a Lorenz curve and a scatter per policy
is "$(grep -o '<svg ' report.html | wc -l | tr -d ' ')" 10 "ten inline SVG charts"
like "$html" '<p class="same" id="chart-charged">The same under every policy: 3 \(no bars drawn\).</p>' \
  "identical values draw no bars, and say so"
h1=$(sha256sum "$policies/pro_rata.lua" | cut -c1-64)
like "$html" "<tr><td><span class=\"key\" style=\"background:#4e79a7\"></span>pro_rata.lua</td><td>$policies/pro_rata.lua</td><td><code>\{\}</code></td><td><code title=\"$h1\">${h1:0:12}</code></td></tr>" \
  "each policy with its file, params and hash"
like "$html" '<dt>Gini coefficient</dt>' "how to read it: the Gini coefficient"
like "$html" '<dt>Overshoot</dt>' "overshoot"
like "$html" '<dt>Split test</dt>' "and the split test"
# the Lorenz curves (PL 64, PT 10, side 240: x = 64 + 240 X, y = 250 - 240 Y).
# pro_rata, by charge / profit: q 100/1000, p 933/1000, r 467/500; profit
# 2500 in all, charges 1500: q (1000/2500, 100/1500) = (0.4, 0.0667) ->
# 160.0,234.0; p (0.8, 1033/1500 = 0.68867) -> 256.0,84.7; r (1, 1)
like "$html" '<polyline class="lorenz" fill="none" stroke="#4e79a7" stroke-width="2" points="64.0,250.0 160.0,234.0 256.0,84.7 304.0,10.0"/>' \
  "pro_rata's Lorenz curve"
# adl: q 60/1000, then p 600/1000 and r 300/500 (0.6 both: id order); of
# 960: q (0.4, 0.0625) -> 160.0,235.0; p (0.8, 660/960 = 0.6875) -> 256.0,85.0
like "$html" '<polyline class="lorenz" fill="none" stroke="#f28e2b" stroke-width="2" points="64.0,250.0 160.0,235.0 256.0,85.0 304.0,10.0"/>' \
  "adl's Lorenz curve"
is "$(grep -c '<circle ' report.html)" 6 "a scatter point per account charged or in profit, per policy (3 + 3)"
like "$html" '<table id="accounts"><thead><tr><th>account</th><th>profit</th><th>pro_rata.lua</th><th>adl.lua</th><th>change: adl.lua</th></tr></thead>
<tbody>
<tr><td>p</td><td>1000</td><td>933</td><td>600</td><td>-333</td></tr>
<tr><td>q</td><td>1000</td><td>100</td><td>60</td><td>-40</td></tr>
<tr><td>r</td><td>500</td><td>467</td><td>300</td><td>-167</td></tr>
</tbody></table>' "every account charged or in profit (a, bankrupt, is neither), with the change"
like "$html" '<input id="filter" type="search"' "and a box to filter it"
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

done_testing
