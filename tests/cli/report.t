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
is "$(printf '%s' "$dom" | grep -o '<rect ' | wc -l | tr -d ' ')" "$(grep -o '<rect ' report.html | wc -l | tr -d ' ')" \
  "every bar of the page is in the rendered DOM"
timeout 120 "$chromium" "${flags[@]}" --window-size=900,1400 --screenshot="$TMP/report.png" "file://$TMP/report.html" \
  > /dev/null 2>&1
size=$(stat -c %s "$TMP/report.png" 2>/dev/null || echo 0)
ok "and paints it (a ${size}-byte screenshot)" test "$size" -gt 20000
done_testing
