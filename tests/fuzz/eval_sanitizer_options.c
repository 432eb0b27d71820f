/*
 * eval_sanitizer_options.c — linked into socloss-eval in the fuzz build only
 * (CMakeLists.txt, SOCLOSS_FUZZ).  The evaluator runs with an empty
 * environment and its stderr on /dev/null, so ASAN_OPTIONS cannot reach it
 * and a report would be lost: instead a sanitizer that finds an error makes
 * it exit with status 86 (no symbolizer: the seccomp filter would kill the
 * process that starts one), which the host turns into "the evaluator stopped
 * answering (exit 86)" and the fuzz harnesses into a crash.
 */
const char *__asan_default_options(void);
const char *__ubsan_default_options(void);

const char *__asan_default_options(void) { return "exitcode=86:symbolize=0:detect_leaks=0"; }
const char *__ubsan_default_options(void) {
  return "exitcode=86:symbolize=0:halt_on_error=1:print_stacktrace=0";
}
