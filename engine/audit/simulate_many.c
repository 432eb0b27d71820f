/*
 * simulate_many.c — several simulations side by side: each run gets a
 * handle of its own (a worker): its scratch copy of one snapshot as its
 * store, its own evaluator (the path, the copying choice and the policy
 * names of the caller's), its own result and candidate view; the handle's
 * log and every callback through one lock.  At most `threads` copies live
 * at once, however many runs there are.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "simulate_int.h"

typedef struct many many;
typedef struct many_job {
  many *m;
  size_t k;
} many_job;

struct many {
  socloss *led;
  sim *s;
  socloss **w;  /* each run's worker while it runs */
  size_t n, nt;  /* runs, and how many at a time */
  socloss_sim_result *out;
  int *codes;
  char (*msg)[ERRMSG_MAX];
  pthread_t *t;
  int *started;
  many_job *job;
  pthread_mutex_t cb;  /* around every callback */
  log_sink log;        /* the caller's, called under cb */
  pthread_mutex_t slots;
  pthread_cond_t freed;
  size_t running;
};

static void locked_log(void *ud, const char *message) {
  many *m = ud;
  pthread_mutex_lock(&m->cb);
  m->log.fn(m->log.ud, message);
  pthread_mutex_unlock(&m->cb);
}

static void worker_close(socloss *w) {
  if (!w) return;
  if (w->ev) evaluator_stop(w->ev);
  free(w->ev);
  resolution_free(w->res);
  view_free(w);
  store_close(w->st);
  pthread_mutex_destroy(&w->lock);
  pthread_mutex_destroy(&w->stats_lock);
  free(w);
}

static int worker_open(many *m, store *scratch, socloss **out) {
  socloss *led = m->led, *w = calloc(1, sizeof *w);
  *out = w;
  if (!w) {
    store_close(scratch);
    return err_fail(SOCLOSS_ENOMEM, "out of memory");
  }
  w->st = scratch;
  pthread_mutex_init(&w->lock, NULL);
  pthread_mutex_init(&w->stats_lock, NULL);
  w->opts = led->opts;
  w->log = led->log.fn ? (log_sink){locked_log, m} : led->log;
  w->on_deficit = led->on_deficit;
  w->on_event = led->on_event;
  w->name_source = led->name_source;
  if (!(w->ev = malloc(sizeof *w->ev))) return err_fail(SOCLOSS_ENOMEM, "out of memory");
  evaluator_init(w->ev, led->ev->path);
  w->ev->copy = led->ev->copy;
  w->ev->native = led->ev->native;
  memcpy(w->ev->names, led->ev->names, sizeof w->ev->names);
  w->ev->next_name = led->ev->next_name;
  w->ev->log = w->log;
  return SOCLOSS_OK;
}

/* One run on its thread: its worker closed (its copy removed) as soon as
 * it is done, so that the next run's copy can be made. */
static void *run_one(void *ud) {
  many *m = ((many_job *)ud)->m;
  size_t k = ((many_job *)ud)->k;
  sim *s = &m->s[k];
  s->led = m->w[k];
  s->cb = &m->cb;
  ERRBUF[0] = 0;
  m->codes[k] = sim_runs(s, m->w[k]->st);
  snprintf(m->msg[k], ERRMSG_MAX, "%s", m->codes[k] ? ERRBUF : "");
  worker_close(m->w[k]);
  m->w[k] = NULL;
  pthread_mutex_lock(&m->slots);
  m->running--;
  pthread_cond_signal(&m->freed);
  pthread_mutex_unlock(&m->slots);
  return NULL;
}

/* Under one snapshot, held until the last run is done: for each run in
 * turn, once fewer than m->nt are running, a copy of the snapshot, its
 * worker and its thread.  At most m->nt copies live at once (plus the one
 * being made), however many runs there are. */
static int many_snapshot(store_txn *snapshot, void *ud) {
  many *m = ud;
  int rc = SOCLOSS_OK;
  size_t k = 0;
  for (; !rc && k < m->n; k++) {
    pthread_mutex_lock(&m->slots);
    while (m->running >= m->nt) pthread_cond_wait(&m->freed, &m->slots);
    pthread_mutex_unlock(&m->slots);
    store *scratch;
    if ((rc = audit_scratch(m->led, &scratch))) break;
    if ((rc = store_write(scratch, sim_copy_snapshot, snapshot))) {
      store_close(scratch);
      break;
    }
    if ((rc = worker_open(m, scratch, &m->w[k]))) break;
    m->job[k] = (many_job){m, k};
    pthread_mutex_lock(&m->slots);
    m->running++;
    pthread_mutex_unlock(&m->slots);
    if ((m->started[k] = !pthread_create(&m->t[k], NULL, run_one, &m->job[k])) == 0)
      run_one(&m->job[k]);  /* no thread to be had: here */
  }
  for (size_t i = 0; i < k; i++)
    if (m->started[i]) pthread_join(m->t[i], NULL);
  return rc;
}

int simulate_many_run(socloss *led, const socloss_sim_options *const *opts, size_t n, unsigned threads,
                      socloss_sim_result *out, int *codes) {
  if (!n) return SOCLOSS_OK;
  if (!opts || !out || !codes) return err_fail(SOCLOSS_EINVAL, "simulate_many: no options, results or codes");
  if (n > 1024) return err_fail(SOCLOSS_EINVAL, "simulate_many: %zu runs, at most 1024", n);
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  many m = {.led = led, .n = n, .out = out, .codes = codes, .log = led->log};
  m.nt = threads ? threads : cores > 0 ? (size_t)cores : 1;
  if (m.nt > n) m.nt = n;
  m.s = calloc(n, sizeof *m.s);
  m.w = calloc(n, sizeof *m.w);
  m.msg = calloc(n, sizeof *m.msg);
  m.t = calloc(n, sizeof *m.t);
  m.started = calloc(n, sizeof *m.started);
  m.job = calloc(n, sizeof *m.job);
  pthread_mutex_init(&m.cb, NULL);
  pthread_mutex_init(&m.slots, NULL);
  pthread_cond_init(&m.freed, NULL);
  int rc = m.s && m.w && m.msg && m.t && m.started && m.job ? SOCLOSS_OK : err_fail(SOCLOSS_ENOMEM, "out of memory");
  for (size_t k = 0; k < n; k++) codes[k] = SOCLOSS_OK;
  /* every run's options checked before any runs */
  for (size_t k = 0; !rc && k < n; k++) rc = sim_prepare(led, opts[k], &out[k], &m.s[k]);
  if (!rc) rc = store_read(led->st, many_snapshot, &m);
  for (size_t k = 0; !rc && k < n; k++)
    if (codes[k]) rc = err_fail(codes[k], "%s", m.msg[k]);
  for (size_t k = 0; m.w && k < n; k++) worker_close(m.w[k]);  /* a worker whose run never started */
  for (size_t k = 0; m.s && k < n; k++) sim_release(&m.s[k]);
  free(m.s);
  free(m.w);
  free(m.msg);
  free(m.t);
  free(m.started);
  free(m.job);
  pthread_mutex_destroy(&m.cb);
  pthread_mutex_destroy(&m.slots);
  pthread_cond_destroy(&m.freed);
  if (!rc) ERRBUF[0] = 0;
  return rc;
}
