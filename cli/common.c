/*
 * What the commands share besides the argument parser: refusals, the ledger,
 * files read whole up to a cap, JSON out.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "text.h" /* engine/common: the library's own UTF-8 rule, shared */

int refused(socloss *led, int rc) {
  fprintf(stderr, "socloss: %s\n", led ? socloss_errmsg(led) : socloss_strerror(rc));
  return EXIT_REFUSED;
}

socloss *open_ledger(const call *c) {
  socloss_options o;
  socloss_options_init(&o);
  o.create = c->cmd->flags & CREATES ? SOCLOSS_OPEN_CREATE_NEW : SOCLOSS_OPEN_EXISTING;
  o.unsafe_nosync = c->nosync;
  o.units = c->units;  /* init --asset --decimals: checked before anything is made */
  /* no evaluator option: the library's own search (SOCLOSS_EVALUATOR, then
   * beside this program, then ../libexec from it) finds the one built or
   * installed with it */
  socloss *led;
  int rc = socloss_open(&led, c->db, &o);
  if (rc) {
    refused(led, rc);
    socloss_close(led);
    return NULL;
  }
  return led;
}

char *read_all(const char *path, file_kind kind, size_t *len) {
  size_t cap = kind == POLICY_FILE ? CLI_POLICY_MAX : kind == SCENARIO_FILE ? SCENARIO_FILE_MAX : CLI_INPUT_MAX;
  const char *what = kind == POLICY_FILE ? "a policy file" : kind == SCENARIO_FILE ? "a scenario file" : "an input file";
  FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
  if (!f) {
    fprintf(stderr, "socloss: %s: %s\n", path, strerror(errno));
    return NULL;
  }
  struct stat st;
  int over = fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size > cap;
  size_t size = cap + 1 < 1 << 16 ? cap + 1 : 1 << 16, n = 0;
  char *buf = over ? NULL : malloc(size);
  /* never more than cap + 1 bytes: one more than the cap tells it is over */
  for (size_t got; buf && n <= cap && (got = fread(buf + n, 1, size - n, f)) > 0;) {
    n += got;
    if (n == size && n <= cap) {
      size = size > (cap + 1) / 2 ? cap + 1 : size * 2;
      char *more = realloc(buf, size);
      if (!more) free(buf);
      buf = more;
    }
  }
  int err = !over && buf && ferror(f) ? errno : 0;
  if (f != stdin) fclose(f);
  if (over || n > cap) {
    fprintf(stderr, "socloss: %s: %s may hold at most %zu bytes\n", path, what, cap);
    free(buf);
    return NULL;
  }
  if (!buf || err) {
    fprintf(stderr, "socloss: %s: %s\n", path, buf ? strerror(err) : "out of memory");
    free(buf);
    return NULL;
  }
  *len = n;
  return buf;
}

int read_input(call *c, int slot, const char *path, file_kind kind) {
  c->in[slot].name = path;
  return (c->in[slot].data = read_all(path, kind, &c->in[slot].len)) ? RUN : EXIT_REFUSED;
}

/* ---- JSON out ------------------------------------------------------------ */

json_t *json_text(const char *s) {
  json_t *v = json_string(s);
  if (v) return v;
  size_t n = strlen(s), out = 0;
  char *fixed = malloc(3 * n + 1);  /* a byte becomes at most the 3 of U+FFFD */
  if (!fixed) return NULL;
  for (size_t i = 0; i < n;) {
    size_t k = utf8_len((const unsigned char *)s + i, n - i);
    if (k) {
      memcpy(fixed + out, s + i, k);
      out += k;
      i += k;
    } else {
      memcpy(fixed + out, "\xef\xbf\xbd", 3);
      out += 3;
      i++;
    }
  }
  fixed[out] = 0;
  v = json_string(fixed);
  free(fixed);
  return v;
}

void json_print(json_t *v) {
  char *s = v ? json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
  if (s) fputs(s, stdout);
  free(s);
  json_decref(v);
}

/* ---- a progress line on a terminal ----------------------------------------- */

static int tty_progress(void *ud, const char *phase, uint64_t done, uint64_t total) {
  const char *what = ud;
  if (total) fprintf(stderr, "\r%s: %s %" PRIu64 " of %" PRIu64 " (%d%%)\033[K", what, phase, done, total,
                     (int)(done * 100 / total));
  else fprintf(stderr, "\r%s: %s %" PRIu64 "\033[K", what, phase, done);
  return 0;
}

void tty_progress_init(socloss_progress *p, const char *what) {
  memset(p, 0, sizeof *p);
  p->size = sizeof *p;
  if (isatty(STDERR_FILENO)) {
    p->fn = tty_progress;
    p->ud = (void *)what;
  }
}

void tty_progress_end(const socloss_progress *p) {
  if (p->fn) fputs("\r\033[K", stderr);
}
