/*
 * svg.c — the text and axis primitives of the simulate --report page
 * (report.c lays the page and its charts out with them): HTML escaping,
 * label widths estimated from DejaVu Sans so that no chart clips its
 * labels, label wrapping, one-line SVG <text>, round tick steps and short
 * tick labels.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

void html_text(FILE *f, const char *s) {
  for (; *s; s++) {
    if (*s == '<') fputs("&lt;", f);
    else if (*s == '>') fputs("&gt;", f);
    else if (*s == '&') fputs("&amp;", f);
    else if (*s == '"') fputs("&quot;", f);
    else fputc(*s, f);
  }
}

/* ---- text widths ---------------------------------------------------------- */

/* Advance widths of DejaVu Sans in ems, ' ' to '~' (rounded up). */
static const double ascii_em[95] = {
    .318, .401, .461, .838, .637, .950, .780, .276, .391, .391, .500, .838, .318, .362, .318, .337,  /*  ../ */
    .637, .637, .637, .637, .637, .637, .637, .637, .637, .637, .337, .337, .838, .838, .838, .531,  /* 0..? */
    1.0,  .685, .687, .699, .771, .632, .576, .776, .753, .296, .296, .657, .558, .864, .749, .788,  /* @..O */
    .604, .788, .695, .636, .612, .733, .685, .990, .686, .612, .686, .391, .337, .391, .838, .500,  /* P.._ */
    .500, .613, .636, .551, .636, .616, .353, .636, .634, .278, .278, .580, .278, .975, .634, .613,  /* `..o */
    .636, .636, .412, .522, .393, .634, .592, .818, .592, .592, .526, .637, .337, .637, .838};       /* p..~ */

/* The width in px of s at size px, a little more than it takes: any byte
 * past ASCII starts a character counted 1 em (wider than most). */
double text_px(const char *s, double size) {
  double em = 0;
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p >= 32 && *p < 127) em += ascii_em[*p - 32];
    else if (*p >= 0xc0 || *p < 32) em += 1.0;  /* a UTF-8 lead byte (continuations count nothing) */
  }
  return ceil(em * size * 1.06) + 2;
}

/* s cut into lines of at most LABEL_WRAP bytes, after a space or
 * one of "/_-," when there is one, else hard: at most `max` lines, each
 * copied into lines[k] (SOCLOSS_TEXT_MAX). */
int label_wrap(const char *s, char lines[][SOCLOSS_TEXT_MAX], int max) {
  int n = 0;
  size_t len = strlen(s);
  while (len && n < max) {
    size_t cut = len;
    if (len > LABEL_WRAP && n < max - 1) {
      cut = LABEL_WRAP;
      for (size_t i = LABEL_WRAP; i > LABEL_WRAP / 2; i--)
        if (strchr(" /_-,", s[i - 1])) {
          cut = i;
          break;
        }
      while (cut < len && ((unsigned char)s[cut] & 0xc0) == 0x80) cut++;  /* never inside a character */
    }
    if (cut >= SOCLOSS_TEXT_MAX) cut = SOCLOSS_TEXT_MAX - 1;
    memcpy(lines[n], s, cut);
    lines[n][cut] = 0;
    n++;
    s += cut;
    len -= cut;
    while (*s == ' ') s++, len--;
  }
  return n;
}

/* A <text> of one line; anchor "start", "middle" or "end". */
void svg_text(FILE *f, double x, double y, int size, const char *anchor, const char *cls, const char *s) {
  fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%d\" text-anchor=\"%s\"%s%s%s>", x, y, size, anchor,
          cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
  html_text(f, s);
  fprintf(f, "</text>\n");
}

/* ---- axes ------------------------------------------------------------------ */

/* A round step (1, 2 or 5 x 10^k) giving about 4 ticks over span. */
double nice_step(double span) {
  if (!(span > 0)) return 1;
  double raw = span / 4, p = pow(10, floor(log10(raw))), m = raw / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

/* A tick's label, short: 1.5k, 3M, -2.5B, 0.25 (a decoration: the exact
 * amounts are the bars' labels and the tables'). */
void tick_text(double v, char *buf, size_t len) {
  double a = fabs(v);
  const char *sfx = "";
  if (a >= 1e12) v /= 1e12, sfx = "T";
  else if (a >= 1e9) v /= 1e9, sfx = "B";
  else if (a >= 1e6) v /= 1e6, sfx = "M";
  else if (a >= 1e4) v /= 1e3, sfx = "k";
  snprintf(buf, len, "%.3g%s", fabs(v) < 5e-13 ? 0.0 : v, sfx);
}
