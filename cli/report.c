/*
 * simulate --report: one self-contained HTML page (inline SVG, CSS and one
 * small script; no network, no external resource) for an analyst: the
 * policies compared (name, params, hash), the figures in the ledger's units,
 * how to read them, a signed bar chart per figure, the distribution of
 * charge / profit, per policy a Lorenz curve and a profit-vs-charge scatter,
 * the top payers side by side, the biggest changes of switching policy and a
 * searchable per-account table.
 *
 * Charts are laid out here, in C, with no script: every label's width is
 * estimated (svg.c) from the widths of DejaVu Sans (Debian's default sans-serif, and
 * the first font the page asks for), rounded up, and the chart widened to
 * hold it, so that nothing is clipped by its <svg>.  Lengths are drawn from
 * doubles; every number a label shows is exact (the ledger's integers).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char *const colors[] = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948",
                                     "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac", "#86bcb6", "#d37295",
                                     "#8cd17d", "#b6992d", "#499894", "#79706e"};

/* ---- axes ------------------------------------------------------------------ */

/* The scale of an amount's ticks: atoms per unit shown (10^decimals with
 * units, 1 without), and the unit's name. */
static double unit_scale(const cli_units *cu, const char **name) {
  *name = cu->u.asset[0] ? cu->u.asset : "atoms";
  return cu->u.asset[0] ? pow(10, cu->u.decimals) : 1;
}

/* ---- the policies and the figures ----------------------------------------- */

static void html_policies(FILE *f, const report_col *col, int n) {
  fprintf(f, "<h2>The policies compared</h2>\n<table id=\"policies\"><tr><th>column</th><th>policy</th>"
             "<th>params</th><th>hash (SHA-256)</th></tr>\n");
  for (int k = 0; k < n; k++) {
    fprintf(f, "<tr><td><span class=\"key\" style=\"background:%s\"></span>", colors[k % 16]);
    html_text(f, col[k].name);
    fprintf(f, "</td><td>");
    html_text(f, col[k].file);
    fprintf(f, "</td><td><code>");
    html_text(f, col[k].params ? col[k].params : "{}");
    fprintf(f, "</code></td><td><code title=\"");
    html_text(f, col[k].hash);
    fprintf(f, "\">%.12s</code></td></tr>\n", col[k].hash);
  }
  fprintf(f, "</table>\n");
}

/* The figures as the text table has them, one column per policy. */
static void html_figures(FILE *f, const cli_units *cu, const report_col *col, int n) {
  fprintf(f, "<h2>The figures</h2>\n<p>");
  if (cu->u.asset[0]) {
    fprintf(f, "Amounts in ");
    html_text(f, cu->u.asset);
    fprintf(f, " (%d decimals).", cu->u.decimals);
  } else {
    fprintf(f, "Amounts in atoms: the ledger has no units.");
  }
  fprintf(f, "</p>\n<table id=\"figures\"><tr><th>figure</th>");
  for (int k = 0; k < n; k++) {
    fprintf(f, "<th>");
    html_text(f, col[k].name);
    fprintf(f, "</th>");
  }
  fprintf(f, "</tr>\n");
  for (size_t row = 0; row < FIGURES; row++) {
    fprintf(f, "<tr><td>%s</td>", figure_labels[row]);
    for (int k = 0; k < n; k++) {
      char cell[SOCLOSS_TEXT_MAX];
      figure_cell(cu, col[k].r, row, cell, sizeof cell);
      fprintf(f, "<td>");
      html_text(f, cell);
      fprintf(f, "</td>");
    }
    fprintf(f, "</tr>\n");
  }
  fprintf(f, "</table>\n");
}

static void html_how_to_read(FILE *f) {
  fprintf(f,
          "<h2>How to read this</h2>\n<dl id=\"how\">\n"
          "<dt>Charge</dt><dd>What an account paid: its haircuts plus what its deleverage closes cost it (the "
          "gap between the mark and the close price, times the size). Profit is its gross unrealised profit "
          "just before the first deficit.</dd>\n"
          "<dt>Gini coefficient</dt><dd>How unevenly the accounts in profit paid, each measured as charge "
          "divided by profit. 0: every one of them paid the same share of its profit. Near 1: a few paid "
          "a large share while most paid little or nothing. Each account counts once, whatever its size. "
          "The Lorenz curve below shows the same unevenness weighted by profit: the closer to the diagonal, "
          "the more even.</dd>\n"
          "<dt>Overshoot</dt><dd>Notional (size times mark) closed by deleveraging beyond the fewest lots "
          "that would have covered what the insurance fund could not pay. Positions taken away for "
          "nothing; 0 is best.</dd>\n"
          "<dt>Split test</dt><dd>The account that paid most is split in two halves (half its balance, half "
          "of each position) and the same crash is run again. The figure is what the two halves pay "
          "together minus what the whole account paid. Above 0, splitting cost more; below 0, an account "
          "could pay less by splitting itself, a reason to game the policy. 0 is the fair answer.</dd>\n"
          "</dl>\n");
}

/* ---- signed bars ------------------------------------------------------------ */

/* One horizontal bar per policy from a zero axis (negative values to its
 * left), each with its exact label, an axis with ticks below in `unit`
 * (scale: values per unit).  Identical values for every policy draw no
 * bars: a sentence says so. */
static void html_bars(FILE *f, const char *id, const char *title, const report_col *col, const double *v,
                      char labels[][SOCLOSS_TEXT_MAX], int n, double scale, const char *unit) {
  fprintf(f, "<figure><figcaption>");
  html_text(f, title);
  fprintf(f, "</figcaption>\n");
  int same = n > 1;
  for (int k = 1; k < n; k++) same &= !strcmp(labels[k], labels[0]);
  if (same) {
    fprintf(f, "<p class=\"same\" id=\"%s\">The same under every policy: ", id);
    html_text(f, labels[0]);
    fprintf(f, " (no bars drawn).</p></figure>\n");
    return;
  }
  double lo = 0, hi = 0;
  for (int k = 0; k < n; k++) lo = v[k] < lo ? v[k] : lo, hi = v[k] > hi ? v[k] : hi;
  if (lo == hi) hi = 1;  /* all zero: an axis all the same */
  char name[MAX_LIST * 2][4][SOCLOSS_TEXT_MAX];
  int nl[MAX_LIST * 2];
  double namew = 0, valw = 0;
  for (int k = 0; k < n; k++) {
    nl[k] = label_wrap(col[k].name, name[k], 4);
    for (int i = 0; i < nl[k]; i++) namew = fmax(namew, text_px(name[k][i], 13));
    valw = fmax(valw, text_px(labels[k], 12));
  }
  double step = nice_step((hi - lo) / scale) * scale;
  double t0 = ceil(lo / step - 1e-9) * step;
  double tickw = 0;
  for (double t = t0; t <= hi + step * 1e-9; t += step) {
    char tt[32];
    tick_text(t / scale, tt, sizeof tt);
    tickw = fmax(tickw, text_px(tt, 10));
  }
  const double plot = 360;
  double left = 6 + namew + 8 + (lo < 0 ? valw + 6 : 0);
  left = fmax(left, tickw / 2 + 4);
  double width = left + plot + (hi > 0 ? valw + 6 : 0) + tickw / 2 + 6;
  double unitw = text_px(unit, 11);
  width = fmax(width, left + plot / 2 + unitw / 2 + 6);
  double y = 6, rows[MAX_LIST * 2];
  for (int k = 0; k < n; k++) {
    rows[k] = y;
    y += fmax(24, 15.0 * nl[k] + 9);
  }
  double axis = y + 2, height = axis + 34;
#define X(val) (left + plot * ((val) - lo) / (hi - lo))
  fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" role=\"img\" id=\"%s\" "
             "class=\"bars\">\n", ceil(width), ceil(height), id);
  /* the ticks' grid, then the bars, then the zero line over them */
  for (double t = t0; t <= hi + step * 1e-9; t += step) {
    char tt[32];
    tick_text(t / scale, tt, sizeof tt);
    fprintf(f, "<line x1=\"%.1f\" y1=\"4\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e4e4e4\"/>\n", X(t), X(t), axis + 4);
    svg_text(f, X(t), axis + 16, 10, "middle", "tick", tt);
  }
  fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#888\"/>\n", left, axis, left + plot,
          axis);
  svg_text(f, left + plot / 2, axis + 30, 11, "middle", "unit", unit);
  for (int k = 0; k < n; k++) {
    double r = rows[k], mid = r + (fmax(24, 15.0 * nl[k] + 9) - 6) / 2;
    for (int i = 0; i < nl[k]; i++)
      svg_text(f, 6, mid + 4 + 15 * (i - (nl[k] - 1) / 2.0), 13, "start", "name", name[k][i]);
    double x0 = X(0), x1 = X(v[k]);
    /* a value that is not zero shows, however small beside the others */
    if (v[k] != 0 && fabs(x1 - x0) < 2) x1 = x0 + (v[k] < 0 ? -2 : 2);
    fprintf(f, "<rect class=\"bar %s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"16\" fill=\"%s\"><title>",
            v[k] < 0 ? "neg" : "pos", fmin(x0, x1), mid - 8, fabs(x1 - x0), colors[k % 16]);
    html_text(f, col[k].name);
    fprintf(f, ": ");
    html_text(f, labels[k]);
    fprintf(f, "</title></rect>\n");
    if (v[k] < 0) svg_text(f, x1 - 5, mid + 4, 12, "end", "value", labels[k]);
    else svg_text(f, x1 + 5, mid + 4, 12, "start", "value", labels[k]);
  }
  fprintf(f, "<line class=\"zero\" x1=\"%.1f\" y1=\"2\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#222\" "
             "stroke-width=\"1.5\"/>\n</svg></figure>\n", X(0), X(0), axis);
#undef X
}

static void html_side_by_side(FILE *f, const cli_units *cu, const report_col *col, int n) {
  fprintf(f, "<h2>Side by side</h2>\n<p>One bar per policy, from zero (a value below zero to the left of the "
             "zero line), labelled with its exact value.</p>\n");
  double v[2 * MAX_LIST];
  char labels[2 * MAX_LIST][SOCLOSS_TEXT_MAX];
  const char *unit;
  double money = unit_scale(cu, &unit);
  struct { const char *id, *title; int kind, is_money; } charts[] = {
      {"chart-total", "Total charged (%s)", 0, 1}, {"chart-charged", "Accounts charged", 1, 0},
      {"chart-largest", "Largest charge as a share of profit", 2, 0},
      {"chart-gini", "Gini coefficient of charge / profit", 3, 0}, {"chart-overshoot", "Overshoot (notional, %s)", 4, 1},
      {"chart-bad-debt", "Bad debt (%s)", 5, 1}, {"chart-split", "Split test: what the halves pay more (%s)", 6, 1}};
  for (size_t c = 0; c < sizeof charts / sizeof charts[0]; c++) {
    for (int k = 0; k < n; k++) {
      const socloss_sim_result *x = col[k].r;
      double vals[] = {(double)x->total_charged, (double)x->charged, x->largest_share, x->gini,
                       (double)x->overshoot, (double)x->bad_debt, (double)x->split_delta};
      int64_t atoms[] = {x->total_charged, 0, 0, 0, x->overshoot, x->bad_debt, x->split_delta};
      v[k] = vals[charts[c].kind];
      if (charts[c].is_money) amount_text(cu, atoms[charts[c].kind], labels[k]);
      else if (charts[c].kind == 1) snprintf(labels[k], SOCLOSS_TEXT_MAX, "%zu", x->charged);
      else snprintf(labels[k], SOCLOSS_TEXT_MAX, "%.4f", v[k]);
    }
    char title[128];
    snprintf(title, sizeof title, charts[c].title, unit);
    html_bars(f, charts[c].id, title, col, v, labels, n, charts[c].is_money ? money : 1,
              charts[c].is_money ? unit : charts[c].kind == 1 ? "accounts" : "share");
  }
}

/* ---- the distribution ------------------------------------------------------- */

/* Accounts in profit by charge / profit: per bucket a bar per policy, each
 * labelled with its count, an axis of counts below and a legend. */
static void html_distribution(FILE *f, const report_col *col, int n) {
  static const char *const buckets[] = {"paid nothing", "up to 10%", "10-20%", "20-30%", "30-40%", "40-50%",
                                        "50-60%", "60-70%", "70-80%", "80-90%", "90-100%", "over 100%"};
  size_t max = 1;
  for (int k = 0; k < n; k++)
    for (int b = 0; b < 12; b++) max = col[k].r->share_hist[b] > max ? col[k].r->share_hist[b] : max;
  double left = 6, countw = text_px("0000000000", 11), legendw = 0;
  for (int b = 0; b < 12; b++) left = fmax(left, 6 + text_px(buckets[b], 12) + 8);
  for (int k = 0; k < n; k++) legendw = fmax(legendw, 24 + text_px(col[k].name, 12));
  const double plot = 360, bh = 10;
  double group = n * (bh + 2) + 8, axis = 6 + 12 * group;
  double step = nice_step((double)max), width = fmax(left + plot + countw + 6, legendw + 12);
  double height = axis + 34 + 16.0 * n + 6;
  fprintf(f, "<h2>The distribution of charges</h2>\n<figure><figcaption>Accounts in profit by what they paid as a "
             "share of their profit (a bar per policy, its count at its end)</figcaption>"
             "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" role=\"img\" "
             "id=\"distribution\" class=\"bars\">\n", ceil(width), ceil(height));
  for (double t = 0; t <= (double)max + 1e-9; t += step) {
    char tt[32];
    double x = left + plot * t / (double)max;
    tick_text(t, tt, sizeof tt);
    fprintf(f, "<line x1=\"%.1f\" y1=\"4\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e4e4e4\"/>\n", x, x, axis + 4);
    svg_text(f, x, axis + 16, 10, "middle", "tick", tt);
  }
  for (int b = 0; b < 12; b++) {
    double y0 = 6 + b * group;
    svg_text(f, 6, y0 + (group - 8) / 2 + 4, 12, "start", "name", buckets[b]);
    for (int k = 0; k < n; k++) {
      size_t c = col[k].r->share_hist[b];
      double w = plot * (double)c / (double)max, y = y0 + k * (bh + 2);
      fprintf(f, "<rect class=\"bar pos\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.0f\" fill=\"%s\"><title>",
              left, y, w, bh, colors[k % 16]);
      html_text(f, col[k].name);
      fprintf(f, ", %s: %zu</title></rect>\n", buckets[b], c);
      char t[32];
      snprintf(t, sizeof t, "%zu", c);
      svg_text(f, left + w + 4, y + bh - 1, 10, "start", "value", t);
    }
  }
  fprintf(f, "<line class=\"zero\" x1=\"%.1f\" y1=\"2\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#222\"/>\n", left, left, axis);
  svg_text(f, left + plot / 2, axis + 30, 11, "middle", "unit", "accounts");
  for (int k = 0; k < n; k++) {
    double y = axis + 40 + 16.0 * k;
    fprintf(f, "<rect x=\"6\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"%s\"/>\n", y, colors[k % 16]);
    svg_text(f, 24, y + 10, 12, "start", "legend", col[k].name);
  }
  fprintf(f, "</svg></figure>\n");
}

/* ---- per account: Lorenz curves and scatters -------------------------------- */

typedef struct acct_row {
  const char *account;
  int64_t profit;
  int64_t charge[2 * MAX_LIST];
} acct_row;

/* charge / profit ascending, exactly (profits > 0): a.c x b.p < b.c x a.p */
static int by_share(const void *a, const void *b) {
  const payer *x = a, *y = b;
  __int128 l = (__int128)x->charge * y->profit, r = (__int128)y->charge * x->profit;
  return l != r ? (l < r ? -1 : 1) : strcmp(x->account, y->account);
}

/* Square plot geometry shared by the Lorenz curve and the scatter. */
#define PL 64.0   /* left margin: ticks and the y axis' title */
#define PT 10.0
#define PS 240.0  /* the plot's side */
#define PB 46.0   /* bottom margin: ticks and the x axis' title */

static void plot_frame(FILE *f, const char *id, double width, const char *xtitle, const char *ytitle) {
  fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" role=\"img\" id=\"%s\" "
             "class=\"plot\">\n<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
             "stroke=\"#888\"/>\n", ceil(width), PT + PS + PB, id, PL, PT, PS, PS);
  svg_text(f, PL + PS / 2, PT + PS + 38, 11, "middle", "unit", xtitle);
  fprintf(f, "<text x=\"0\" y=\"0\" font-size=\"11\" text-anchor=\"middle\" class=\"unit\" "
             "transform=\"translate(14 %.1f) rotate(-90)\">", PT + PS / 2);
  html_text(f, ytitle);
  fprintf(f, "</text>\n");
}

/* Ticks along both axes at 0, step, ... max (values), labelled scaled. */
static void plot_ticks(FILE *f, double xmax, double ymax, double xscale, double yscale, int pct) {
  for (int axis = 0; axis < 2; axis++) {
    double max = axis ? ymax : xmax, scale = axis ? yscale : xscale;
    double step = pct ? max / 4 : nice_step(max / scale) * scale;
    for (double t = 0; t <= max * (1 + 1e-9); t += step) {
      char tt[32];
      if (pct) snprintf(tt, sizeof tt, "%.0f%%", 100 * t / max);
      else tick_text(t / scale, tt, sizeof tt);
      double p = PS * t / max;
      if (axis) {
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e4e4e4\"/>\n", PL, PT + PS - p,
                PL + PS, PT + PS - p);
        svg_text(f, PL - 4, PT + PS - p + 4, 10, "end", "tick", tt);
      } else {
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e4e4e4\"/>\n", PL + p, PT,
                PL + p, PT + PS);
        svg_text(f, PL + p, PT + PS + 16, 10, "middle", "tick", tt);
      }
    }
  }
}

#define LORENZ_POINTS 2000
static void html_lorenz(FILE *f, const report_col *c, int k) {
  size_t n;
  payer *v = payers_sorted(c->everyone, &n);  /* then kept: the accounts in profit, by charge / profit */
  size_t m = 0;
  __int128 tp = 0, tc = 0;
  for (size_t i = 0; v && i < n; i++)
    if (v[i].profit > 0) {
      v[m++] = v[i];
      tp += v[i].profit;
      tc += v[i].charge;
    }
  fprintf(f, "<figure class=\"small\"><figcaption>");
  html_text(f, c->name);
  fprintf(f, "<br>Lorenz curve (Gini %.4f)</figcaption>\n", c->r->gini);
  if (!v || !m || tc == 0) {
    fprintf(f, "<p class=\"same\">%s: no curve.</p></figure>\n",
            !m ? "No account was in profit" : "No account in profit paid anything");
    free(v);
    return;
  }
  qsort(v, m, sizeof *v, by_share);
  char id[32];
  snprintf(id, sizeof id, "lorenz-%d", k + 1);
  plot_frame(f, id, PL + PS + 16, "share of profit (lowest charge / profit first)", "share of charges");
  plot_ticks(f, 1, 1, 1, 1, 1);
  fprintf(f, "<line class=\"diagonal\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#999\" "
             "stroke-dasharray=\"4 3\"/>\n<polyline class=\"lorenz\" fill=\"none\" stroke=\"%s\" "
             "stroke-width=\"2\" points=\"%.1f,%.1f",
          PL, PT + PS, PL + PS, PT, colors[k % 16], PL, PT + PS);
  __int128 cp = 0, cc = 0;
  double last = 0;
  for (size_t i = 0; i < m; i++) {
    cp += v[i].profit;
    cc += v[i].charge;
    double x = (double)cp / (double)tp, y = (double)cc / (double)tc;
    if (i + 1 < m && x - last < 1.0 / LORENZ_POINTS) continue;  /* thinned: a point per 1/2000 of profit */
    last = x;
    fprintf(f, " %.1f,%.1f", PL + PS * x, PT + PS - PS * y);
  }
  fprintf(f, "\"/>\n");
  fprintf(f, "<text x=\"0\" y=\"0\" font-size=\"10\" text-anchor=\"middle\" class=\"note\" "
             "transform=\"translate(%.1f %.1f) rotate(-45)\">everyone the same share</text>\n",
          PL + PS * 0.5 - 9, PT + PS * 0.5 - 9);
  fprintf(f, "</svg>\n<p class=\"note\">%zu account%s in profit; %zu paid something.</p></figure>\n", m,
          m == 1 ? "" : "s", c->r->charged);
  free(v);
}

#define SCATTER_POINTS 20000
static void html_scatter(FILE *f, const cli_units *cu, const report_col *c, int k) {
  size_t n;
  payer *v = payers_sorted(c->everyone, &n);
  double xmax = 0, ymax = 0;
  for (size_t i = 0; v && i < n; i++) {
    xmax = fmax(xmax, (double)v[i].profit);
    ymax = fmax(ymax, (double)v[i].charge);
  }
  fprintf(f, "<figure class=\"small\"><figcaption>");
  html_text(f, c->name);
  fprintf(f, "<br>charge against profit</figcaption>\n");
  if (!v || !n || ymax <= 0) {
    fprintf(f, "<p class=\"same\">Nobody paid: no points.</p></figure>\n");
    free(v);
    return;
  }
  if (xmax <= 0) xmax = 1;
  const char *unit;
  double scale = unit_scale(cu, &unit);
  /* the axes end on a round tick */
  double xs = nice_step(xmax / scale) * scale, ys = nice_step(ymax / scale) * scale;
  xmax = ceil(xmax / xs - 1e-9) * xs;
  ymax = ceil(ymax / ys - 1e-9) * ys;
  char xt[64], yt[64], id[32];
  snprintf(xt, sizeof xt, "profit (%s)", unit);
  snprintf(yt, sizeof yt, "charge (%s)", unit);
  snprintf(id, sizeof id, "scatter-%d", k + 1);
  plot_frame(f, id, PL + PS + 20, xt, yt);
  plot_ticks(f, xmax, ymax, scale, scale, 0);
  /* charge = profit: above it an account paid more than its profit */
  double d = fmin(xmax, ymax);
  fprintf(f, "<line class=\"diagonal\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#999\" "
             "stroke-dasharray=\"4 3\"><title>charge = profit</title></line>\n",
          PL, PT + PS, PL + PS * d / xmax, PT + PS - PS * d / ymax);
  size_t shown = 0;
  for (size_t i = 0; i < n && shown < SCATTER_POINTS; i++, shown++) {  /* the largest charges first */
    char t[2][SOCLOSS_TEXT_MAX];
    fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\" fill-opacity=\"0.6\"><title>",
            PL + PS * (double)v[i].profit / xmax, PT + PS - PS * (double)v[i].charge / ymax, colors[k % 16]);
    html_text(f, v[i].account);
    fprintf(f, ": paid ");
    html_text(f, amount_text(cu, v[i].charge, t[0]));
    fprintf(f, " of a profit of ");
    html_text(f, amount_text(cu, v[i].profit, t[1]));
    fprintf(f, "</title></circle>\n");
  }
  fprintf(f, "</svg>\n<p class=\"note\">%zu account%s charged or in profit", n, n == 1 ? "" : "s");
  if (shown < n) fprintf(f, " (the %zu largest charges drawn)", shown);
  fprintf(f, "; the dashed line is charge = profit.</p></figure>\n");
  free(v);
}

static void html_per_policy(FILE *f, const cli_units *cu, const report_col *col, int n) {
  fprintf(f, "<h2>Who pays, account by account</h2>\n<p>Left, the Lorenz curve: the accounts in profit "
             "from the one that paid the smallest share of its profit to the largest; across, the share of "
             "all their profit counted so far, up, the share of all the charges. Everyone paying the same "
             "share of profit is the dashed diagonal; the further below it the curve sags, the more the "
             "charges fall on a few. Right, each account's charge against its profit.</p>\n");
  for (int k = 0; k < n; k++) {
    fprintf(f, "<div class=\"row\">\n");
    html_lorenz(f, &col[k], k);
    html_scatter(f, cu, &col[k], k);
    fprintf(f, "</div>\n");
  }
}

/* ---- tables ----------------------------------------------------------------- */

/* The top payers side by side: row i holds each policy's i-th largest
 * payer, its charge and that as a share of its profit. */
#define REPORT_TOP 10
static void html_payers(FILE *f, const cli_units *cu, const report_col *col, int n) {
  payer *v[2 * MAX_LIST];
  size_t len[2 * MAX_LIST], rows = 0;
  for (int k = 0; k < n; k++) {
    v[k] = payers_sorted(col[k].charges, &len[k]);
    if (!v[k]) len[k] = 0;
    if (len[k] > rows) rows = len[k];
  }
  if (rows > REPORT_TOP) rows = REPORT_TOP;
  fprintf(f, "<h2>Top payers</h2>\n<p>The %d accounts each policy charged most: the charge (haircuts and what its "
             "closes cost it) and, in brackets, that as a share of the account's profit.</p>\n"
             "<table id=\"payers\"><tr><th>#</th>", REPORT_TOP);
  for (int k = 0; k < n; k++) {
    fprintf(f, "<th>");
    html_text(f, col[k].name);
    fprintf(f, "</th>");
  }
  fprintf(f, "</tr>\n");
  for (size_t i = 0; i < rows; i++) {
    fprintf(f, "<tr><td>%zu</td>", i + 1);
    for (int k = 0; k < n; k++) {
      fprintf(f, "<td>");
      if (i < len[k]) {
        char t[SOCLOSS_TEXT_MAX];
        html_text(f, v[k][i].account);
        fprintf(f, ": ");
        html_text(f, amount_text(cu, v[k][i].charge, t));
        if (v[k][i].profit > 0) fprintf(f, " (%.1f%%)", 100.0 * (double)v[k][i].charge / (double)v[k][i].profit);
      }
      fprintf(f, "</td>");
    }
    fprintf(f, "</tr>\n");
  }
  if (!rows) fprintf(f, "<tr><td>-</td><td colspan=\"%d\">no account was charged</td></tr>\n", n);
  fprintf(f, "</table>\n");
  for (int k = 0; k < n; k++) free(v[k]);
}

/* Per policy after the first: the accounts that would pay most more and
 * most less than under the first. */
#define REPORT_SWITCH 5
static void html_switching(FILE *f, const cli_units *cu, const report_col *col, int n) {
  for (int k = 1; k < n; k++) {
    size_t nd, more = 0;
    socloss_replay_account *d = charges_vs(col[0].charges, col[k].charges, &nd);
    if (!d) nd = 0;
    for (size_t i = 0; i < nd; i++) more += d[i].replayed > d[i].recorded;
    fprintf(f, "<h2>Switching from ");
    html_text(f, col[0].name);
    fprintf(f, " to ");
    html_text(f, col[k].name);
    fprintf(f, "</h2>\n<p>%zu account%s would pay differently: %zu more, %zu less.  The %d largest changes each "
               "way:</p>\n<table id=\"switch-%d\"><tr><th>account</th><th>under the first</th><th>under this one"
               "</th><th>change</th></tr>\n",
            nd, nd == 1 ? "" : "s", more, nd - more, REPORT_SWITCH, k);
    sort_by_change(d, nd);
    for (int side = 0; side < 2; side++) {
      int shown = 0;
      for (size_t i = 0; i < nd && shown < REPORT_SWITCH; i++) {
        int64_t c = d[i].replayed - d[i].recorded;
        if ((side == 0) != (c > 0)) continue;
        char t[3][SOCLOSS_TEXT_MAX];
        fprintf(f, "<tr><td>");
        html_text(f, d[i].account);
        fprintf(f, "</td><td>");
        html_text(f, amount_text(cu, d[i].recorded, t[0]));
        fprintf(f, "</td><td>");
        html_text(f, amount_text(cu, d[i].replayed, t[1]));
        fprintf(f, "</td><td>%s", c > 0 ? "+" : "");
        html_text(f, amount_text(cu, c, t[2]));
        fprintf(f, "</td></tr>\n");
        shown++;
      }
    }
    fprintf(f, "</table>\n");
    free(d);
  }
}

static int by_account(const void *a, const void *b) {
  return strcmp(((const acct_row *)a)->account, ((const acct_row *)b)->account);
}

static int64_t row_max(const acct_row *r, int n) {
  int64_t m = 0;
  for (int k = 0; k < n; k++) m = r->charge[k] > m ? r->charge[k] : m;
  return m;
}

static int by_max_charge_n;
static int by_max_charge(const void *a, const void *b) {
  int64_t x = row_max(a, by_max_charge_n), y = row_max(b, by_max_charge_n);
  return x != y ? (x < y ? 1 : -1) : by_account(a, b);
}

/* Every account charged or in profit under some policy: its profit, its
 * charge under each and the change from the first; a box filters the rows
 * by account id (the page's one script).  At most REPORT_ROWS rows: the
 * largest charges when there are more. */
#define REPORT_ROWS 10000
static void html_accounts(FILE *f, const cli_units *cu, const report_col *col, int n) {
  json_t *all = json_object();
  for (int k = 0; all && k < n; k++) {
    const char *key;
    json_t *pair;
    json_object_foreach(col[k].everyone, key, pair) json_object_set_nocheck(all, key, pair);  /* profit is one */
  }
  size_t total = all ? json_object_size(all) : 0, m = 0;
  acct_row *rows = malloc((total + 1) * sizeof *rows);
  const char *key;
  json_t *pair;
  if (rows && all)
    json_object_foreach(all, key, pair) {
      acct_row *r = &rows[m++];
      r->account = key;
      r->profit = json_integer_value(json_array_get(pair, 1));
      for (int k = 0; k < n; k++)
        r->charge[k] = json_integer_value(json_array_get(json_object_get(col[k].everyone, key), 0));
    }
  if (m > REPORT_ROWS) {
    by_max_charge_n = n;
    qsort(rows, m, sizeof *rows, by_max_charge);
    m = REPORT_ROWS;
  }
  if (rows) qsort(rows, m, sizeof *rows, by_account);
  fprintf(f, "<h2>Every account</h2>\n<p>Each account charged or in profit: its profit, what it pays under each "
             "policy and the change from the first. ");
  if (m < total) fprintf(f, "The %zu of %zu with the largest charges. ", m, total);
  fprintf(f, "</p>\n<p><label for=\"filter\">Find an account: </label><input id=\"filter\" type=\"search\" "
             "placeholder=\"part of its id\" autocomplete=\"off\"> <span id=\"shown\">%zu</span> of %zu "
             "shown</p>\n<table id=\"accounts\"><thead><tr><th>account</th><th>profit</th>", m, m);
  for (int k = 0; k < n; k++) {
    fprintf(f, "<th>");
    html_text(f, col[k].name);
    fprintf(f, "</th>");
  }
  for (int k = 1; k < n; k++) {
    fprintf(f, "<th>change: ");
    html_text(f, col[k].name);
    fprintf(f, "</th>");
  }
  fprintf(f, "</tr></thead>\n<tbody>\n");
  for (size_t i = 0; i < m; i++) {
    char t[SOCLOSS_TEXT_MAX];
    fprintf(f, "<tr><td>");
    html_text(f, rows[i].account);
    fprintf(f, "</td><td>");
    html_text(f, amount_text(cu, rows[i].profit, t));
    for (int k = 0; k < n; k++) {
      fprintf(f, "</td><td>");
      html_text(f, amount_text(cu, rows[i].charge[k], t));
    }
    for (int k = 1; k < n; k++) {
      int64_t c = rows[i].charge[k] - rows[i].charge[0];
      fprintf(f, "</td><td>%s", c > 0 ? "+" : "");
      html_text(f, amount_text(cu, c, t));
    }
    fprintf(f, "</td></tr>\n");
  }
  fprintf(f, "</tbody></table>\n"
             "<script>document.getElementById('filter').addEventListener('input', function () {\n"
             "  var q = this.value.toLowerCase(), shown = 0;\n"
             "  document.querySelectorAll('#accounts tbody tr').forEach(function (r) {\n"
             "    var hit = r.cells[0].textContent.toLowerCase().indexOf(q) >= 0;\n"
             "    r.hidden = !hit;\n"
             "    shown += hit;\n"
             "  });\n"
             "  document.getElementById('shown').textContent = shown;\n"
             "});</script>\n");
  free(rows);
  json_decref(all);
}

int html_report(const char *path, const char *what, const cli_units *cu, const report_col *col, int n) {
  FILE *f = fopen(path, "w");
  if (!f) {
    fprintf(stderr, "socloss: %s: %s\n", path, strerror(errno));
    return EXIT_REFUSED;
  }
  fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>socloss simulate</title>\n"
             "<style>body{font-family:\"DejaVu Sans\",Verdana,sans-serif;margin:2em;max-width:72em;color:#222}"
             "table{border-collapse:collapse;margin:.5em 0}"
             "td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}"
             "th:first-child,td:first-child{text-align:left}"
             /* a row's label on one line; a long label (a file name with no
              * space) breaks anywhere rather than widen its table past
              * the page */
             "td:first-child{white-space:nowrap}th{overflow-wrap:anywhere;min-width:5em}"
             "#policies td{white-space:normal;overflow-wrap:anywhere}"
             "svg text{font-family:\"DejaVu Sans\",Verdana,sans-serif;fill:#222}svg .tick,svg .note{fill:#666}"
             "figure{margin:1.5em 0}figcaption{font-weight:bold;margin-bottom:.3em}"
             ".row{display:flex;flex-wrap:wrap;gap:2em}.row figure{margin:1em 0;max-width:21em}"
             ".row figcaption{overflow-wrap:anywhere}"
             ".note{color:#666;font-size:90%%}.same{font-style:italic}"
             ".key{display:inline-block;width:.8em;height:.8em;margin-right:.4em}"
             "dt{font-weight:bold;margin-top:.5em}dd{margin-left:1.5em}"
             "#policies td,#policies th{text-align:left}</style></head><body>\n"
             "<h1>Who pays: ");
  html_text(f, what);
  fprintf(f, "</h1>\n");
  html_policies(f, col, n);
  html_figures(f, cu, col, n);
  html_how_to_read(f);
  html_side_by_side(f, cu, col, n);
  html_distribution(f, col, n);
  html_per_policy(f, cu, col, n);
  html_payers(f, cu, col, n);
  html_switching(f, cu, col, n);
  html_accounts(f, cu, col, n);
  fprintf(f, "<p>socloss %s; nothing was written to the ledger.</p></body></html>\n", socloss_version());
  /* a write error (a full disk) may show only when fclose flushes */
  int err = ferror(f);
  if (fclose(f) || err) {
    fprintf(stderr, "socloss: %s: write error\n", path);
    return EXIT_REFUSED;
  }
  return EXIT_DONE;
}
