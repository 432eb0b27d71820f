/*
 * tap.h — a small Test Anything Protocol emitter for the C tests.
 *
 *   plan(n) | ok(cond, name...) | is(got, want, name...) for int64 |
 *   is_str(got, want, name...) | diag(fmt...) | skip(n, why) | done_testing()
 *
 * Header-only; every test program is one translation unit.
 */
#ifndef SOCLOSS_TAP_H
#define SOCLOSS_TAP_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_run, tap_failed, tap_planned = -1;

static inline void plan(int n) {
  tap_planned = n;
  printf("1..%d\n", n);
}

static inline void diag(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("# ", stdout);
  vprintf(fmt, ap);
  fputc('\n', stdout);
  va_end(ap);
}

static inline int tap_report(int pass, const char *file, int line, const char *fmt, va_list ap) {
  tap_run++;
  if (!pass) tap_failed++;
  printf("%sok %d - ", pass ? "" : "not ", tap_run);
  vprintf(fmt, ap);
  fputc('\n', stdout);
  if (!pass) printf("#   Failed test at %s line %d.\n", file, line);
  fflush(stdout);
  return pass;
}

static inline int tap_ok(int pass, const char *file, int line, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  pass = tap_report(pass, file, line, fmt, ap);
  va_end(ap);
  return pass;
}

static inline int tap_is(int64_t got, int64_t want, const char *file, int line, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int pass = tap_report(got == want, file, line, fmt, ap);
  va_end(ap);
  if (!pass) printf("#          got: %lld\n#     expected: %lld\n", (long long)got, (long long)want);
  return pass;
}

static inline int tap_is_str(const char *got, const char *want, const char *file, int line,
                             const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int pass = tap_report(got && want && strcmp(got, want) == 0, file, line, fmt, ap);
  va_end(ap);
  if (!pass) printf("#          got: '%s'\n#     expected: '%s'\n", got ? got : "(null)", want ? want : "(null)");
  return pass;
}

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define is(got, want, ...) tap_is((int64_t)(got), (int64_t)(want), __FILE__, __LINE__, __VA_ARGS__)
#define is_str(got, want, ...) tap_is_str((got), (want), __FILE__, __LINE__, __VA_ARGS__)

static inline void skip(int n, const char *why) {
  for (int i = 0; i < n; i++) printf("ok %d # skip %s\n", ++tap_run, why);
}

static inline int done_testing(void) {
  if (tap_planned < 0) printf("1..%d\n", tap_run);
  else if (tap_planned != tap_run) printf("# planned %d tests but ran %d\n", tap_planned, tap_run);
  if (tap_failed) printf("# failed %d of %d tests\n", tap_failed, tap_run);
  return tap_failed || (tap_planned >= 0 && tap_planned != tap_run) ? 1 : 0;
}

#endif
