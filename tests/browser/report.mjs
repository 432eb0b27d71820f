// report.mjs SPEC.json — opens a `simulate --report` page in headless
// Chromium (Debian's /usr/bin/chromium, driven by playwright-core) and checks
// what a person sees, in TAP:
//   - the figures table, its rows' values as rendered text (spec.figures:
//     [[label, value under each policy...], ...]);
//   - a bar chart's bars each with a visible label (spec.labelled: {chart,
//     labels}): the text shown, inside the chart, at its bar's end;
//   - a signed chart's zero line between its negative and positive bars
//     (spec.signed: a chart id): a negative bar's right edge and a positive
//     bar's left edge on the line;
//   - no <text> of any chart outside its <svg>'s box (a clipped label);
//   - the per-account table's filter box (spec.filter: {query, rows});
//   - a row of the top payers (spec.payers: {row, cells}) and the Lorenz
//     curves (spec.lorenz: how many), drawn inside their charts;
//   - no request leaves the file.
// spec.screenshot: where the whole page's PNG goes.  spec.expect_clipped
// (a text): the run is expected to find that label clipped (the suite's
// check that the clipping test can fail), instead of none.
import { readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';

const spec = JSON.parse(readFileSync(process.argv[2], 'utf8'));
let n = 0, failed = 0;
const ok = (cond, name, diag) => {
  n++;
  if (!cond) failed++;
  console.log(`${cond ? 'ok' : 'not ok'} ${n} - ${name}`);
  if (!cond && diag) for (const l of String(diag).split('\n')) console.log(`#   ${l}`);
};

const browser = await chromium.launch({
  executablePath: spec.chromium || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const remote = [];
  page.on('request', (r) => { if (!r.url().startsWith('file:')) remote.push(r.url()); });
  await page.goto('file://' + spec.report);

  // the figures table: each row as a person reads it
  const figures = await page.$$eval('#figures tr', (rows) =>
    rows.map((r) => [...r.cells].map((c) => c.innerText.trim())));
  const visible = await page.$eval('#figures', (t) => {
    const b = t.getBoundingClientRect();
    return b.width > 0 && b.height > 0 && getComputedStyle(t).visibility === 'visible';
  });
  ok(visible, 'the figures table is shown');
  for (const want of spec.figures || []) {
    const got = figures.find((r) => r[0] === want[0]);
    ok(got && JSON.stringify(got) === JSON.stringify(want), `figures: ${want.join(' | ')}`,
      `got: ${got ? got.join(' | ') : 'no such row'}`);
  }

  // the top payers side by side: a row as a person reads it
  if (spec.payers) {
    const row = await page.$$eval('#payers tr', (rows, i) => rows[i] && [...rows[i].cells].map((c) => c.innerText.trim()),
      spec.payers.row);
    ok(JSON.stringify(row) === JSON.stringify(spec.payers.cells), `top payers, row ${spec.payers.row}: ${spec.payers.cells.join(' | ')}`,
      `got: ${JSON.stringify(row)}`);
  }

  // the Lorenz curves: one per policy, drawn (a curve with its points, and
  // the diagonal), each inside its chart and shown
  if (spec.lorenz) {
    const curves = await page.$$eval('svg[id^="lorenz-"]', (svgs) => svgs.map((svg) => {
      const s = svg.getBoundingClientRect(), line = svg.querySelector('polyline.lorenz');
      const b = line && line.getBoundingClientRect();
      return { id: svg.id, points: line ? line.points.numberOfItems : 0, diagonal: !!svg.querySelector('line.diagonal'),
               inside: !!b && b.width > 0 && b.left >= s.left && b.right <= s.right && b.top >= s.top && b.bottom <= s.bottom };
    }));
    ok(curves.length === spec.lorenz && curves.every((c) => c.points >= 2 && c.diagonal && c.inside),
      `${spec.lorenz} Lorenz curves drawn, each with the diagonal, inside its chart`, JSON.stringify(curves));
  }

  // a labelled bar chart: each bar's label is shown, at its end
  if (spec.labelled) {
    const bars = await page.$eval('#' + spec.labelled.chart, (svg) => {
      const rects = [...svg.querySelectorAll('rect.bar')].map((r) => r.getBoundingClientRect());
      const texts = [...svg.querySelectorAll('text.value')].map((t) => {
        const b = t.getBoundingClientRect(), s = getComputedStyle(t);
        return { text: t.textContent, left: b.left, right: b.right, top: b.top, bottom: b.bottom,
                 shown: s.visibility === 'visible' && s.display !== 'none' && Number(s.opacity) > 0 && b.width > 0 };
      });
      return { rects: rects.map((b) => ({ left: b.left, right: b.right, top: b.top, bottom: b.bottom })), texts };
    });
    ok(bars.rects.length === spec.labelled.labels.length, `${spec.labelled.chart}: ${spec.labelled.labels.length} bars`,
      `got ${bars.rects.length}`);
    spec.labelled.labels.forEach((want, i) => {
      const t = bars.texts[i], r = bars.rects[i];
      const atEnd = t && r && t.top < r.bottom && t.bottom > r.top &&
        (Math.abs(t.left - r.right) < 8 || Math.abs(t.right - r.left) < 8);
      ok(t && t.text === want && t.shown && atEnd, `${spec.labelled.chart}: bar ${i + 1} labelled '${want}', shown at its end`,
        JSON.stringify({ text: t, bar: r }));
    });
  }

  // a signed chart: the zero line between negative and positive bars
  if (spec.signed) {
    const g = await page.$eval('#' + spec.signed, (svg) => {
      const box = (e) => { const b = e.getBoundingClientRect(); return { left: b.left, right: b.right }; };
      return { zero: box(svg.querySelector('line.zero')),
               neg: [...svg.querySelectorAll('rect.bar.neg')].map(box),
               pos: [...svg.querySelectorAll('rect.bar.pos')].map(box) };
    });
    const zx = (g.zero.left + g.zero.right) / 2;
    ok(g.neg.length > 0 && g.pos.length > 0, `${spec.signed}: negative and positive bars`, JSON.stringify(g));
    ok(g.neg.every((b) => Math.abs(b.right - zx) <= 1 && b.left < zx - 1),
      `${spec.signed}: every negative bar ends at the zero line (x ${zx.toFixed(1)}) and lies left of it`, JSON.stringify(g));
    ok(g.pos.every((b) => Math.abs(b.left - zx) <= 1 && b.right >= zx),
      `${spec.signed}: every positive bar starts at the zero line and lies right of it`, JSON.stringify(g));
  }

  // no label outside its chart
  const clipped = await page.$$eval('svg', (svgs) => {
    const out = [];
    for (const svg of svgs) {
      const s = svg.getBoundingClientRect();
      for (const t of svg.querySelectorAll('text')) {
        const b = t.getBoundingClientRect();
        if (b.left < s.left - 0.5 || b.right > s.right + 0.5 || b.top < s.top - 0.5 || b.bottom > s.bottom + 0.5)
          out.push(`${svg.id || 'svg'}: '${t.textContent}' at x ${b.left.toFixed(1)}..${b.right.toFixed(1)}, ` +
                   `y ${b.top.toFixed(1)}..${b.bottom.toFixed(1)}; the chart ${s.left.toFixed(1)}..${s.right.toFixed(1)}, ` +
                   `${s.top.toFixed(1)}..${s.bottom.toFixed(1)}`);
      }
    }
    return out;
  });
  const texts = await page.$$eval('svg text', (t) => t.length);
  if (spec.expect_clipped) {
    ok(clipped.some((c) => c.includes(`: '${spec.expect_clipped}' at`)),
      `the label '${spec.expect_clipped}' is clipped`, clipped.join('\n'));
  } else {
    ok(texts > 0 && clipped.length === 0, `none of the ${texts} labels lies outside its chart`, clipped.join('\n'));
  }

  // the per-account table's filter
  if (spec.filter) {
    await page.fill('#filter', spec.filter.query);
    const rows = await page.$$eval('#accounts tbody tr', (rs) => rs.filter((r) => !r.hidden).map((r) => r.cells[0].innerText));
    const shown = await page.$eval('#shown', (s) => s.textContent);
    ok(JSON.stringify(rows) === JSON.stringify(spec.filter.rows) && shown === String(rows.length),
      `typing '${spec.filter.query}' in the filter box leaves ${spec.filter.rows.length} rows`,
      `got ${JSON.stringify(rows)}, shown ${shown}`);
    await page.fill('#filter', '');
  }

  ok(remote.length === 0, 'no request leaves the file', remote.join('\n'));
  if (spec.screenshot) await page.screenshot({ path: spec.screenshot, fullPage: true });
} finally {
  await browser.close();
}
console.log(`1..${n}`);
process.exit(failed ? 1 : 0);
