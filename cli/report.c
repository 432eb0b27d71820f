/*
 * simulate --report: one self-contained HTML page (inline SVG, no network)
 * with the figures, a bar chart per figure, the distribution of charges, the
 * top payers side by side and the biggest changes of switching policy.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void html_text(FILE *f, const char *s) {
  for (; *s; s++) {
    if (*s == '<') fputs("&lt;", f);
    else if (*s == '>') fputs("&gt;", f);
    else if (*s == '&') fputs("&amp;", f);
    else if (*s == '"') fputs("&quot;", f);
    else fputc(*s, f);
  }
}

static const char *const colors[] = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948",
                                     "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac", "#86bcb6", "#d37295",
                                     "#8cd17d", "#b6992d", "#499894", "#79706e"};

/* The figures as the text table has them, one column per policy. */
static void html_figures(FILE *f, const cli_units *cu, const char *const *names, const socloss_sim_result *r, int n) {
  fprintf(f, "<table id=\"figures\"><tr><th>figure</th>");
  for (int k = 0; k < n; k++) {
    fprintf(f, "<th>");
    html_text(f, names[k]);
    fprintf(f, "</th>");
  }
  fprintf(f, "</tr>\n");
  for (size_t row = 0; row < FIGURES; row++) {
    fprintf(f, "<tr><td>%s</td>", figure_labels[row]);
    for (int k = 0; k < n; k++) {
      char cell[SOCLOSS_TEXT_MAX];
      figure_cell(cu, &r[k], row, cell, sizeof cell);
      fprintf(f, "<td>");
      html_text(f, cell);
      fprintf(f, "</td>");
    }
    fprintf(f, "</tr>\n");
  }
  fprintf(f, "</table>\n");
}

/* One horizontal bar per policy, scaled to the largest |value|; labelled
 * with its exact text when one is given (an amount in units), else fmt. */
static void html_bars(FILE *f, const char *title, const char *const *names, const double *v, int n, const char *fmt,
                      char labels[][SOCLOSS_TEXT_MAX]) {
  double max = 0;
  for (int k = 0; k < n; k++) max = fabs(v[k]) > max ? fabs(v[k]) : max;
  int h = 24 * n + 34;
  fprintf(f, "<figure><figcaption>");
  html_text(f, title);
  fprintf(f, "</figcaption><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"640\" height=\"%d\" role=\"img\">\n", h);
  for (int k = 0; k < n; k++) {
    double w = max > 0 ? 360 * fabs(v[k]) / max : 0;
    char num[SOCLOSS_TEXT_MAX];
    if (labels) snprintf(num, sizeof num, "%s", labels[k]);
    else snprintf(num, sizeof num, fmt, v[k]);
    fprintf(f, "<text x=\"0\" y=\"%d\" font-size=\"13\">", 24 * k + 20);
    html_text(f, names[k]);
    fprintf(f, "</text><rect x=\"170\" y=\"%d\" width=\"%.1f\" height=\"16\" fill=\"%s\"/>"
               "<text x=\"%.1f\" y=\"%d\" font-size=\"12\">",
            24 * k + 8, w, colors[k % 16], 176 + w, 24 * k + 20);
    html_text(f, num);
    fprintf(f, "</text>\n");
  }
  fprintf(f, "</svg></figure>\n");
}

static void html_side_by_side(FILE *f, const cli_units *cu, const char *const *names, const socloss_sim_result *r,
                              int n) {
  fprintf(f, "<h2>Side by side</h2>\n");
  double v[2 * MAX_LIST];
  char labels[2 * MAX_LIST][SOCLOSS_TEXT_MAX];
  /* amounts are named in the ledger's asset when it has units, in atoms
   * otherwise; the bars' lengths only are drawn from doubles */
  const char *unit = cu->u.asset[0] ? cu->u.asset : "atoms";
  struct { const char *title, *fmt; int kind, money; } charts[] = {
      {"Total charged (%s)", "%.0f", 0, 1}, {"Accounts charged", "%.0f", 1, 0},
      {"Largest charge as a share of profit", "%.4f", 2, 0}, {"Gini coefficient of charge / profit", "%.4f", 3, 0},
      {"Overshoot (notional, %s)", "%.0f", 4, 1}, {"Bad debt (%s)", "%.0f", 5, 1},
      {"Split test: what the halves pay more (%s)", "%.0f", 6, 1}};
  for (size_t c = 0; c < sizeof charts / sizeof charts[0]; c++) {
    for (int k = 0; k < n; k++) {
      const socloss_sim_result *x = &r[k];
      double vals[] = {(double)x->total_charged, (double)x->charged, x->largest_share, x->gini,
                       (double)x->overshoot, (double)x->bad_debt, (double)x->split_delta};
      int64_t atoms[] = {x->total_charged, 0, 0, 0, x->overshoot, x->bad_debt, x->split_delta};
      v[k] = vals[charts[c].kind];
      if (charts[c].money) amount_text(cu, atoms[charts[c].kind], labels[k]);
    }
    char title[128];
    snprintf(title, sizeof title, charts[c].title, unit);
    html_bars(f, title, names, v, n, charts[c].fmt, charts[c].money && cu->u.asset[0] ? labels : NULL);
  }
}

/* Accounts in profit by charge / profit: a group of bars per bucket, one bar
 * per policy. */
static void html_distribution(FILE *f, const char *const *names, const socloss_sim_result *r, int n) {
  static const char *const buckets[] = {"0", "&#8804;10%", "&#8804;20%", "&#8804;30%", "&#8804;40%",
                                        "&#8804;50%", "&#8804;60%", "&#8804;70%", "&#8804;80%", "&#8804;90%",
                                        "&#8804;100%", "&gt;100%"};
  size_t max = 1;
  for (int k = 0; k < n; k++)
    for (int b = 0; b < 12; b++) max = r[k].share_hist[b] > max ? r[k].share_hist[b] : max;
  int bw = (600 - 40) / (12 * (n + 1));
  fprintf(f, "<h2>The distribution of charges</h2>\n<figure><figcaption>Accounts in profit by what they paid as a "
             "share of their profit</figcaption><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"640\" "
             "height=\"260\" role=\"img\" id=\"distribution\">\n");
  for (int b = 0; b < 12; b++) {
    int x0 = 40 + b * bw * (n + 1);
    for (int k = 0; k < n; k++) {
      double hgt = 200.0 * (double)r[k].share_hist[b] / (double)max;
      fprintf(f, "<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" fill=\"%s\"><title>%zu</title></rect>\n",
              x0 + k * bw, 210 - hgt, bw - 1, hgt, colors[k % 16], r[k].share_hist[b]);
    }
    fprintf(f, "<text x=\"%d\" y=\"228\" font-size=\"10\">%s</text>\n", x0, buckets[b]);
  }
  for (int k = 0; k < n; k++) {
    fprintf(f, "<rect x=\"%d\" y=\"240\" width=\"10\" height=\"10\" fill=\"%s\"/><text x=\"%d\" y=\"250\" "
               "font-size=\"11\">", 40 + 150 * k, colors[k % 16], 54 + 150 * k);
    html_text(f, names[k]);
    fprintf(f, "</text>\n");
  }
  fprintf(f, "</svg></figure>\n");
}

/* The top payers side by side: row i holds each policy's i-th largest
 * payer, its charge and that as a share of its profit. */
#define REPORT_TOP 10
static void html_payers(FILE *f, const cli_units *cu, const char *const *names, json_t *const *charges, int n) {
  payer *v[2 * MAX_LIST];
  size_t len[2 * MAX_LIST], rows = 0;
  for (int k = 0; k < n; k++) {
    v[k] = payers_sorted(charges[k], &len[k]);
    if (!v[k]) len[k] = 0;
    if (len[k] > rows) rows = len[k];
  }
  if (rows > REPORT_TOP) rows = REPORT_TOP;
  fprintf(f, "<h2>Top payers</h2>\n<p>The %d accounts each policy charged most: the charge (haircuts and what its "
             "closes cost it) and, in brackets, that as a share of the account's profit.</p>\n"
             "<table id=\"payers\"><tr><th>#</th>", REPORT_TOP);
  for (int k = 0; k < n; k++) {
    fprintf(f, "<th>");
    html_text(f, names[k]);
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
static void html_switching(FILE *f, const cli_units *cu, const char *const *names, json_t *const *charges, int n) {
  for (int k = 1; k < n; k++) {
    size_t nd, more = 0;
    socloss_replay_account *d = charges_vs(charges[0], charges[k], &nd);
    if (!d) nd = 0;
    for (size_t i = 0; i < nd; i++) more += d[i].replayed > d[i].recorded;
    fprintf(f, "<h2>Switching from ");
    html_text(f, names[0]);
    fprintf(f, " to ");
    html_text(f, names[k]);
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

int html_report(const char *path, const char *what, const cli_units *cu, const char *const *names,
                const socloss_sim_result *r, json_t *const *charges, int n) {
  FILE *f = fopen(path, "w");
  if (!f) {
    fprintf(stderr, "socloss: %s: %s\n", path, strerror(errno));
    return EXIT_REFUSED;
  }
  fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>socloss simulate</title>\n"
             "<style>body{font-family:sans-serif;margin:2em;max-width:60em}table{border-collapse:collapse}"
             "td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}"
             "th:first-child,td:first-child{text-align:left}"
             "figure{margin:1.5em 0}figcaption{font-weight:bold;margin-bottom:.3em}</style></head><body>\n"
             "<h1>Who pays: ");
  html_text(f, what);
  fprintf(f, "</h1>\n");
  html_figures(f, cu, names, r, n);
  html_side_by_side(f, cu, names, r, n);
  html_distribution(f, names, r, n);
  html_payers(f, cu, names, charges, n);
  html_switching(f, cu, names, charges, n);
  fprintf(f, "<p>socloss %s; nothing was written to the ledger.</p></body></html>\n", socloss_version());
  /* a write error (a full disk) may show only when fclose flushes */
  int err = ferror(f);
  if (fclose(f) || err) {
    fprintf(stderr, "socloss: %s: write error\n", path);
    return EXIT_REFUSED;
  }
  return EXIT_DONE;
}
