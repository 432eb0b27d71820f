/*
 * The argument parser every command's args step uses, and its usage errors.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int usage(const call *c, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "socloss %s: ", c->cmd->name);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\nusage: %s\n", c->cmd->usage);
  return EXIT_USAGE;
}

/* The option named a, its index in opts, or -1. */
static int find_opt(const opt *opts, const char *a) {
  for (int k = 0; opts && opts[k].name; k++)
    if (!strcmp(opts[k].name, a)) return k;
  return -1;
}

int parse_args(call *c, int argc, char **argv, const opt *opts, int minpos, int maxpos) {
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      printf("usage: %s\n\n%s", c->cmd->usage, c->cmd->help);
      return EXIT_DONE;
    }
    if (a[0] == '-' && a[1] == '-') {
      int k = find_opt(opts, a);
      if (k < 0 && (c->cmd->flags & NO_SYNC_OPTION) && !strcmp(a, "--unsafe-no-sync")) {
        c->nosync = 1;
        continue;
      }
      if (k < 0) return usage(c, "unknown option '%s'", a);
      if (opts[k].values && i + 1 >= argc) return usage(c, "option %s needs a value", a);
      if (opts[k].values == WITH_LAST) {
        const char *list = a;  /* the list option it goes with */
        for (int j = 0; opts[j].name; j++)
          if (opts[j].values > 1) list = opts[j].name;
        if (!c->nlist) return usage(c, "%s goes after the %s it is for", a, list);
        if (c->with[c->nlist - 1]) return usage(c, "%s given twice for '%s'", a, c->list[c->nlist - 1]);
        c->with[c->nlist - 1] = argv[++i];
        continue;
      }
      if (opts[k].values < 0) {
        if (c->nmore == -opts[k].values) return usage(c, "at most %d %s", -opts[k].values, opts[k].plural);
        c->value[k] = argv[++i];  /* the last one, as given */
        c->more[c->nmore++] = c->value[k];
      } else if (opts[k].values <= 1) {
        c->value[k] = opts[k].values ? argv[++i] : "";
      } else {
        if (c->nlist == opts[k].values) return usage(c, "at most %d %s", opts[k].values, opts[k].plural);
        c->list[c->nlist++] = argv[++i];
      }
      continue;
    }
    if (c->npos >= maxpos) return usage(c, "unexpected argument '%s'", a);
    c->pos[c->npos++] = a;
  }
  if (c->npos < minpos) return usage(c, "missing arguments");
  c->db = c->pos[0];
  return RUN;
}

int from_option(const call *c, const char *s, int strict, uint64_t *from) {
  *from = 1;
  if (!s) return RUN;
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (*end || !*s || (strict && (errno || s[0] == '-'))) return usage(c, "--from: not a sequence number: '%s'", s);
  *from = v;
  return RUN;
}
