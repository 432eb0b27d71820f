/*
 * A policy named on the command line (`--policy REF`, `policy add|set DB
 * REF`), found in this order (docs/cli.md, "Naming a policy"):
 *
 *   1. a file at the path REF (relative to the working directory);
 *   2. a shipped policy: REF.lua (or REF, when it ends in .lua) in the
 *      reference policies' directory, which is ../share/socloss/policies
 *      from this program once installed, and the source tree's policies/
 *      when this program is the one of its build tree;
 *   3. a policy in the ledger's registry: NAME (its latest version),
 *      NAME@VERSION or a hash prefix (`--policy` only; the ledger is open).
 *
 * A REF that names an existing file which cannot be read is that file's
 * error, never a step further: the order only skips what is not there.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

/* The reference policies' directory (see above), or "" when this program
 * cannot say where it is. */
static const char *shipped_dir(void) {
  static char dir[2 * PATH_MAX];
  char exe[PATH_MAX], build[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return "";
  exe[n] = 0;
  char *slash = strrchr(exe, '/');
  if (!slash) return "";
  *slash = 0;
  /* the build tree's program reads the source tree's policies: what it was
   * built with, not whatever an earlier install left */
  if (realpath(SOCLOSS_BUILD_DIR, build) && !strcmp(build, exe))
    snprintf(dir, sizeof dir, "%s", SOCLOSS_SOURCE_POLICIES);
  else
    snprintf(dir, sizeof dir, "%s/%s", exe, SOCLOSS_POLICIES_FROM_BIN);
  return dir;
}

/* 1 when the path is not there (nothing at it, or a parent is not a
 * directory): the next place is looked at; anything else is the file's. */
static int absent(const char *path) {
  struct stat st;
  return stat(path, &st) != 0 && (errno == ENOENT || errno == ENOTDIR);
}

/* REF as a shipped policy's name: relative, no empty, "." or ".."
 * component, so that it stays inside the directory. */
static int shipped_name(const char *ref) {
  if (!*ref || *ref == '/') return 0;
  for (const char *p = ref; *p;) {
    size_t k = strcspn(p, "/");
    if (k == 0 || (k == 1 && p[0] == '.') || (k == 2 && p[0] == '.' && p[1] == '.')) return 0;
    p += k;
    if (*p) p++;
    if (!*p && p[-1] == '/') return 0;
  }
  return 1;
}

/* Where the shipped policy REF would be, into out. */
static void shipped_path(const char *ref, char *out, size_t len) {
  size_t n = strlen(ref);
  int lua = n > 4 && !strcmp(ref + n - 4, ".lua");
  snprintf(out, len, "%s/%s%s", shipped_dir(), ref, lua ? "" : ".lua");
}

/* Steps 1 and 2: the source (malloc'd) with *len, and the path it was read
 * from in found (cap bytes), or NULL: *missing then says whether it was not
 * found (1) or its error is printed (0). */
static char *file_or_shipped(const char *ref, size_t *len, int *missing, char *found, size_t cap) {
  *missing = 0;
  snprintf(found, cap, "%s", ref);
  if (!strcmp(ref, "-") || !absent(ref)) return read_all(ref, POLICY_FILE, len);
  char path[3 * PATH_MAX];
  if (shipped_name(ref) && *shipped_dir()) {
    shipped_path(ref, path, sizeof path);
    snprintf(found, cap, "%s", path);
    if (!absent(path)) return read_all(path, POLICY_FILE, len);
  }
  *missing = 1;
  return NULL;
}

/* The refusal when REF is nowhere.  registry: NULL when step 3 was not
 * taken, "" when the registry has no such policy, else what the registry
 * said of REF (a hash prefix matching two policies, a bad version). */
static int nowhere(const char *ref, const char *registry) {
  char path[3 * PATH_MAX] = "";
  if (shipped_name(ref) && *shipped_dir()) shipped_path(ref, path, sizeof path);
  fprintf(stderr, "socloss: %s: no such file%s%s%s%s\n", ref, *path ? ", no shipped policy " : "", path,
          !registry ? "" : *registry ? "; registry: " : " and no such policy in the registry",
          registry ? registry : "");
  return EXIT_REFUSED;
}

int policy_input(call *c, int slot, const char *ref) {
  int missing;
  char found[3 * PATH_MAX];
  c->in[slot].name = ref;
  c->in[slot].data = file_or_shipped(ref, &c->in[slot].len, &missing, found, sizeof found);
  /* a file's errors are located by its name once the ledger is open (main.c) */
  if (c->in[slot].data && !(c->policy_file[slot] = strdup(strcmp(ref, "-") ? found : "<stdin>"))) {
    fprintf(stderr, "socloss: out of memory\n");
    return EXIT_REFUSED;
  }
  return c->in[slot].data || missing ? RUN : EXIT_REFUSED;
}

int policy_input_file(call *c, int slot, const char *ref) {
  int rc = policy_input(c, slot, ref);
  return rc == RUN && !c->in[slot].data ? nowhere(ref, NULL) : rc;
}

/* Step 3, with the ledger open: the source (malloc'd) with *len, or NULL
 * once the refusal is printed. */
static char *registered(socloss *led, const char *ref, size_t *len) {
  socloss_policy_info info;
  char *src = NULL;
  int rc = socloss_policy_find(led, ref, &info, &src);
  if (rc == SOCLOSS_OK) {
    *len = info.source_len;
    return src;
  }
  free(src);
  nowhere(ref, rc == SOCLOSS_ENOTFOUND ? "" : socloss_errmsg(led));
  return NULL;
}

int policy_registered(call *c, int slot) {
  const char *ref = c->in[slot].name;
  if (c->in[slot].data || !ref) return RUN;
  c->in[slot].data = registered(c->led, ref, &c->in[slot].len);
  return c->in[slot].data ? RUN : EXIT_REFUSED;
}

char *policy_load(socloss *led, const char *ref, size_t *len) {
  int missing;
  char found[3 * PATH_MAX];
  char *src = file_or_shipped(ref, len, &missing, found, sizeof found);
  if (src) socloss_policy_source_name(led, src, *len, found);  /* its errors located by its file's name */
  return src || !missing ? src : registered(led, ref, len);
}
