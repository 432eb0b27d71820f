#define _GNU_SOURCE
#include "region.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int region_make(region *r, size_t size, char *msg, size_t msglen) {
  r->fd = -1;
  r->base = NULL;
  r->size = r->populated = 0;
  int fd = memfd_create("socloss-columns", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) {
    int e = errno;
    snprintf(msg, msglen, "memfd_create: %s", strerror(e));
    errno = e;
    return -1;
  }
  /* F_SEAL_SHRINK: not even the host can truncate the file under the
   * evaluator's mapping (a read past the end would be SIGBUS in the
   * evaluator); F_SEAL_SEAL: no other seal later */
  if (ftruncate(fd, (off_t)size) != 0 || fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_SEAL) != 0) {
    int e = errno;
    snprintf(msg, msglen, "sizing the column region to %zu bytes: %s", size, strerror(e));
    close(fd);
    errno = e;
    return -1;
  }
  void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) {
    int e = errno;
    snprintf(msg, msglen, "mapping the column region of %zu bytes: %s", size, strerror(e));
    close(fd);
    errno = e;
    return -1;
  }
  r->fd = fd;
  r->base = p;
  r->size = size;
  r->populated = 0;
  return 0;
}

void region_populate(region *r, size_t upto) {
  if (upto > r->size) upto = r->size;
  size_t from = r->populated & ~(size_t)4095;
  if (!r->base || upto <= from) return;
  madvise(r->base + from, upto - from, MADV_POPULATE_WRITE);
  r->populated = upto;
}

int region_reader(const region *r) {
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", r->fd);
  return open(path, O_RDONLY | O_CLOEXEC);
}

static pthread_mutex_t kept_lock = PTHREAD_MUTEX_INITIALIZER;
static region kept = {.fd = -1};
static char kept_owner[4096];

void region_keep(region *r, const char *owner) {
  if (!owner || !*owner || r->fd < 0 || strlen(owner) >= sizeof kept_owner) {
    region_free(r);
    return;
  }
  pthread_mutex_lock(&kept_lock);
  region old = kept;
  kept = *r;
  memcpy(kept_owner, owner, strlen(owner) + 1);
  pthread_mutex_unlock(&kept_lock);
  *r = (region){.fd = -1};
  region_free(&old);
}

int region_take(region *r, const char *owner, size_t least) {
  int rc = -1;
  if (!owner || !*owner) return rc;
  pthread_mutex_lock(&kept_lock);
  if (kept.fd >= 0 && kept.size >= least && !strcmp(kept_owner, owner)) {
    *r = kept;
    kept = (region){.fd = -1};
    rc = 0;
  }
  pthread_mutex_unlock(&kept_lock);
  return rc;
}

void region_forget(void) {
  pthread_mutex_lock(&kept_lock);
  region old = kept;
  kept = (region){.fd = -1};
  pthread_mutex_unlock(&kept_lock);
  region_free(&old);
}

void region_free(region *r) {
  if (r->base) munmap(r->base, r->size);
  if (r->fd >= 0) close(r->fd);
  r->fd = -1;
  r->base = NULL;
  r->size = r->populated = 0;
}
