/*
 * What the commands share besides the argument parser: refusals, the ledger
 * and the evaluator beside this program, files read whole.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

int refused(socloss *led, int rc) {
  fprintf(stderr, "socloss: %s\n", led ? socloss_errmsg(led) : socloss_strerror(rc));
  return EXIT_REFUSED;
}

const char *sibling_evaluator(void) {
  static char path[4096];
  ssize_t n = readlink("/proc/self/exe", path, sizeof path - 32);
  if (n <= 0) return NULL;
  path[n] = 0;
  char *slash = strrchr(path, '/');
  if (!slash) return NULL;
  strcpy(slash + 1, "socloss-eval");
  return access(path, X_OK) == 0 ? path : NULL;
}

socloss *open_ledger(const call *c) {
  socloss_options o;
  socloss_options_init(&o);
  o.create = c->cmd->flags & CREATES ? SOCLOSS_OPEN_CREATE_NEW : SOCLOSS_OPEN_EXISTING;
  o.unsafe_nosync = c->nosync;
  o.evaluator = sibling_evaluator();
  socloss *led;
  int rc = socloss_open(&led, c->db, &o);
  if (rc) {
    refused(led, rc);
    socloss_close(led);
    return NULL;
  }
  return led;
}

char *read_all(const char *path, size_t *len) {
  FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
  if (!f) {
    fprintf(stderr, "socloss: %s: %s\n", path, strerror(errno));
    return NULL;
  }
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap);
  for (size_t got; buf && (got = fread(buf + n, 1, cap - n, f)) > 0;) {
    n += got;
    if (n == cap) {
      char *more = realloc(buf, cap *= 2);
      if (!more) free(buf);
      buf = more;
    }
  }
  int err = ferror(f) ? errno : 0;
  if (f != stdin) fclose(f);
  if (!buf || err) {
    fprintf(stderr, "socloss: %s: %s\n", path, buf ? strerror(err) : "out of memory");
    free(buf);
    return NULL;
  }
  *len = n;
  return buf;
}

int read_input(call *c, int slot, const char *path) {
  c->in[slot].name = path;
  return (c->in[slot].data = read_all(path, &c->in[slot].len)) ? RUN : EXIT_REFUSED;
}
