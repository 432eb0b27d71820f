/*
 * view.c — the candidate view: every account's balance and every position
 * (size and cost) with the markets' marks, kept in memory by the handle
 * between deficits, so that a cascade (a sequential event, or deficits one
 * transaction each) does not read every account and position again for
 * each deficit (issue 11, item 4; docs/design.md §12, "The candidate view").
 *
 * The store's write watch (store.h) tells the view what each transaction
 * wrote; the view applies those changes, and reads the tables again when
 * the store says it must (another writer came between, a transaction took
 * back changes already applied, a table was cleared) or when a change is
 * one it cannot apply (a new account or market, a mark moved).  The
 * candidates made from the view are those build_cands makes from the
 * tables, byte for byte: the same rows, columns, stride and refusals
 * (tests/test_view.c decides a cascade both ways; the journals and digests
 * of tests/cli/haircuts_golden.t and closes_golden.t are those of the code
 * before the view).
 *
 * A lone deficit keeps no view: it is made at the second candidate set
 * asked for on the same store in the same transaction or the next one (a
 * cascade's second deficit, or a deficit's second step).
 */
#include <stdlib.h>
#include <string.h>

#include "blocks.h"
#include "resolve_int.h"

struct cand_view {
  store *st;               /* the store whose watch it follows; NULL: none */
  account_scan acc;        /* the accounts' ids, in id order (n, ids, off) */
  int64_t *balance;
  size_t nmk;
  char (*market)[CODEC_ID_MAX + 1];
  int64_t *mark;
  int64_t *size, *cost;    /* market-major, stride acc.n; size 0: none */
  int64_t *upnl;           /* size x mark - cost, as build_cands casts it */
  /* per account, what build_cands computes of its positions: total upnl,
   * gross profit, equity (the truncated casts) and which of its refusals
   * it would meet (ROW_*), with how many accounts meet one */
  int64_t *total, *gross, *equity;
  unsigned char *bad;
  size_t nbad;
  size_t hint, mhint;      /* where the last change's account and market were */
  const char *mname;       /* during a take: the last change's market name (the
                              watch gives a run of one market's changes one name) */
  size_t *dirty;           /* during a take: the rows changed, to compute again */
  size_t ndirty;
  unsigned char *is_dirty;
  cands spare;             /* the last candidates' buffers, for the next (cands_done) */
  store *asked_st;         /* the last candidates built from the tables */
  uint64_t asked_txn;
  uint64_t same_serial;    /* the event whose accounts were compared with acc (0: none) */
  int same;                /* ... and they are acc: a row is that event's index */
};

int cands_view_off = 0;
/* counted atomically: runs side by side (socloss_simulate_many) count at once */
size_t cands_view_builds = 0, cands_view_hits = 0;

static void view_clear(cand_view *v) {
  account_scan_free(&v->acc);
  free(v->balance);
  free(v->market);
  free(v->mark);
  free(v->size);
  free(v->cost);
  free(v->upnl);
  free(v->total);
  free(v->gross);
  free(v->equity);
  free(v->bad);
  free(v->dirty);
  free(v->is_dirty);
  cands_free(&v->spare);
  store *keep = v->asked_st;
  uint64_t txn = v->asked_txn;
  memset(v, 0, sizeof *v);
  v->asked_st = keep;
  v->asked_txn = txn;
}

void view_free(socloss *led) {
  if (!led->view) return;
  if (led->view->st == led->st) store_watch_stop(led->st);
  view_clear(led->view);
  free(led->view);
  led->view = NULL;
}

enum { ROW_EQUITY = 1, ROW_GROSS = 2 };  /* build_cands' two refusals, in its order */

/* Row a's derived columns as its balance and positions make them (as
 * build_cands computes them): each
 * position's upnl (into upnl when given), the total, the gross profit, the
 * equity and whether one is out of range. */
typedef struct row_sums {
  __int128 total, gross, eq;
  unsigned char bad;
} row_sums;

static row_sums row_derive(const cand_view *v, size_t a, int64_t *upnl) {
  size_t n = v->acc.n;
  row_sums r = {0, 0, 0, 0};
  for (size_t k = 0; k < v->nmk; k++) {
    size_t at = k * n + a;
    if (!v->size[at]) continue;
    __int128 u = (__int128)v->size[at] * v->mark[k] - v->cost[at];
    if (upnl) upnl[at] = (int64_t)u;
    r.total += u;
    if (u > 0) r.gross += u;
  }
  r.eq = r.total + v->balance[a];
  r.bad = !fits_i64(r.total) || !fits_i64(r.eq) ? ROW_EQUITY : !fits_i64(r.gross) ? ROW_GROSS : 0;
  return r;
}

static void row_update(cand_view *v, size_t a) {
  row_sums r = row_derive(v, a, v->upnl);
  v->nbad += (r.bad != 0) - (v->bad[a] != 0);
  v->bad[a] = r.bad;
  v->total[a] = (int64_t)r.total;
  v->gross[a] = (int64_t)r.gross;
  v->equity[a] = (int64_t)r.eq;
}

size_t view_unsound(socloss *led) {
  const cand_view *v = led->view;
  size_t wrong = 0, n = v && v->st ? v->acc.n : 0;
  for (size_t a = 0; a < n; a++) {
    if (v->is_dirty[a]) continue;  /* computed again at the next take */
    row_sums r = row_derive(v, a, NULL);
    int same = r.bad == v->bad[a] && (r.bad || (r.total == v->total[a] && r.gross == v->gross[a] && r.eq == v->equity[a]));
    for (size_t k = 0; same && !r.bad && k < v->nmk; k++) {
      size_t at = k * n + a;
      same = !v->size[at] || (__int128)v->size[at] * v->mark[k] - v->cost[at] == v->upnl[at];
    }
    wrong += !same;
  }
  return wrong;
}

/* ---- built from the tables ---------------------------------------------- */

/* The view as t sees the tables: the same merge as build_cands, of every
 * account and every market.  1 when it cannot hold them (a position of
 * size 0, which build_cands would count and the view could not tell from
 * none; a position no account holds), rc on an error, with the view
 * cleared either way: the caller then builds from the tables. */
static int view_build(cand_view *v, store_txn *t) {
  view_clear(v);
  pos_merge pm;
  memset(&pm, 0, sizeof pm);
  size_t nmk = 0, na, np;
  int rc = store_counts(t, &nmk, &na, &np);
  if (!rc) rc = merge_open(t, &pm);
  nmk = pm.n;
  size_t cap = na ? na : 1, cols = cap * (nmk ? nmk : 1);
  if (!rc) {
    v->nmk = nmk;
    v->market = malloc((nmk ? nmk : 1) * sizeof *v->market);
    v->mark = malloc((nmk ? nmk : 1) * sizeof *v->mark);
    v->balance = blocks_malloc(cap * sizeof *v->balance);
    v->size = blocks_calloc(cols, sizeof *v->size);
    v->cost = blocks_calloc(cols, sizeof *v->cost);
    v->upnl = blocks_calloc(cols, sizeof *v->upnl);
    v->total = blocks_malloc(cap * sizeof *v->total);
    v->gross = blocks_malloc(cap * sizeof *v->gross);
    v->equity = blocks_malloc(cap * sizeof *v->equity);
    v->bad = blocks_calloc(cap, 1);
    v->dirty = blocks_malloc(cap * sizeof *v->dirty);
    v->is_dirty = blocks_calloc(cap, 1);
    v->acc.off = malloc((cap + 1) * sizeof *v->acc.off);
    v->acc.ids_cap = cap * 13 + 64;
    v->acc.ids = malloc(v->acc.ids_cap);
    if (!v->market || !v->mark || !v->balance || !v->size || !v->cost || !v->upnl || !v->total || !v->gross ||
        !v->equity || !v->bad || !v->dirty || !v->is_dirty || !v->acc.off || !v->acc.ids)
      rc = err_fail(SOCLOSS_ENOMEM, "out of memory for the view of %zu accounts", na);
  }
  for (size_t k = 0; !rc && k < nmk; k++) {
    memcpy(v->market[k], pm.v[k].market, sizeof v->market[k]);
    v->mark[k] = pm.v[k].mark;
  }
  char id[CODEC_ID_MAX + 1];
  int64_t balance;
  if (!rc) v->acc.off[0] = 0;
  while (!rc && (rc = merge_next(&pm, id, &balance)) == SOCLOSS_OK) {
    size_t i = v->acc.n;
    if (i == cap) {  /* more accounts than counted: cannot be */
      rc = 1;
      break;
    }
    for (size_t k = 0; k < nmk && !rc; k++) {
      if (!pm.v[k].here) continue;
      if (pm.v[k].held.size == 0) rc = 1;
      v->size[k * cap + i] = pm.v[k].held.size;
      v->cost[k * cap + i] = pm.v[k].held.cost;
    }
    if (rc) break;
    size_t len = strlen(id);
    if (v->acc.ids_len + len > v->acc.ids_cap) {
      size_t c2 = v->acc.ids_cap * 2 + len;
      char *p = realloc(v->acc.ids, c2);
      if (!p) {
        rc = err_fail(SOCLOSS_ENOMEM, "out of memory");
        break;
      }
      v->acc.ids = p;
      v->acc.ids_cap = c2;
    }
    memcpy(v->acc.ids + v->acc.ids_len, id, len);
    v->acc.ids_len += len;
    v->acc.off[i + 1] = (uint32_t)v->acc.ids_len;
    v->balance[i] = balance;
    v->acc.n++;
  }
  if (rc == SOCLOSS_ENOTFOUND) rc = SOCLOSS_OK;
  if (!rc && v->acc.n != na) rc = 1;  /* the stride must be build_cands' */
  /* a position no account holds stops build_cands' merge of its market
   * there: the view would not follow it */
  for (size_t k = 0; !rc && k < nmk; k++)
    if (pm.v[k].live) rc = 1;
  for (size_t a = 0; !rc && a < v->acc.n; a++) row_update(v, a);
  merge_close(&pm);
  if (rc) view_clear(v);
  else v->st = store_txn_store(t), __atomic_fetch_add(&cands_view_builds, 1, __ATOMIC_RELAXED);
  return rc;
}

/* ---- kept up to date ---------------------------------------------------- */

static long market_of(cand_view *v, const char *market) {
  if (market == v->mname) return (long)v->mhint;
  v->mname = market;
  if (v->mhint < v->nmk && !strcmp(v->market[v->mhint], market)) return (long)v->mhint;
  for (size_t k = 0; k < v->nmk; k++)
    if (!strcmp(v->market[k], market)) return (long)(v->mhint = k);
  v->mname = NULL;
  return -1;
}

/* A row changed: its derived columns are computed again once the take is
 * over (a holder charged in two markets once). */
static void row_changed(cand_view *v, size_t a) {
  if (v->is_dirty[a]) return;
  v->is_dirty[a] = 1;
  v->dirty[v->ndirty++] = a;
}

/* Row `row` holds account id. */
static int row_is(const cand_view *v, size_t row, const char *id, size_t id_len) {
  return !bytes_order(v->acc.ids + v->acc.off[row], v->acc.off[row + 1] - v->acc.off[row], id, id_len);
}

/* Market m's position of the account at `row` (size 0: none). */
static void set_position(cand_view *v, size_t m, size_t row, int64_t size, int64_t cost) {
  size_t at = m * v->acc.n + row;
  v->size[at] = size;
  v->cost[at] = size ? cost : 0;
  v->upnl[at] = 0;
  row_changed(v, row);
}

/* The changes since the last take applied: 0, or 1 when the view must be
 * read again. */
static int apply_change(void *ud, const store_change *c);
static int view_take(cand_view *v, store_txn *t) {
  v->mname = NULL;  /* names point into the watch's notes, which move between takes */
  int lost = store_watch_take(t, apply_change, v);
  /* the rows changed: by the notes, and by the writer itself (view_put) */
  for (size_t i = 0; i < v->ndirty; i++) {
    v->is_dirty[v->dirty[i]] = 0;
    if (!lost) row_update(v, v->dirty[i]);
  }
  v->ndirty = 0;
  v->mname = NULL;
  return lost;
}

/* One change written: 0 applied, 1 the view cannot hold it (read again). */
static int apply_change(void *ud, const store_change *c) {
  cand_view *v = ud;
  long m, i;
  switch (c->kind) {
  case STORE_CHANGE_ACCOUNT:
    if ((i = account_scan_find_from(&v->acc, c->id, c->id_len, &v->hint)) < 0) return 1;  /* a new account */
    v->balance[i] = c->a;
    row_changed(v, (size_t)i);
    return 0;
  case STORE_CHANGE_POSITION:
    if (!*c->id) return 0;  /* the fund's: never a candidate's */
    if ((m = market_of(v, c->market)) < 0) return 1;
    if (c->hint < v->acc.n && row_is(v, c->hint, c->id, c->id_len))
      i = (long)c->hint;  /* the writer's word, checked */
    else if ((i = account_scan_find_from(&v->acc, c->id, c->id_len, &v->hint)) < 0)
      return 1;
    set_position(v, (size_t)m, (size_t)i, c->a, c->b);
    return 0;
  case STORE_CHANGE_MARKET:
    if ((m = market_of(v, c->market)) < 0) return 1;  /* a new market */
    return v->mark[m] != c->a;  /* its open interest is not the view's */
  default:
    return 1;
  }
}

void cands_done(socloss *led, cands *c) {
  cand_view *v = led->view;
  if (!c->row || !v || !v->st || c->lo) {  /* not from the view, no view now, or in the region */
    cands_free(c);
    return;
  }
  cands_free(&v->spare);
  v->spare = *c;
  memset(c, 0, sizeof *c);
}

/* ---- written by the resolution itself ----------------------------------- */

int view_markets(socloss *led, store_txn *t, const deficit_rec *d, long *vm) {
  const cand_view *v = led->view;
  if (!v || !v->st || v->st != store_txn_store(t)) return 0;
  for (size_t k = 0; k < d->nm; k++) {
    vm[k] = -1;
    for (size_t j = 0; j < v->nmk && vm[k] < 0; j++)
      if (!strcmp(v->market[j], d->mk[k].market)) vm[k] = (long)j;
  }
  return 1;
}

int view_is_event(socloss *led, const event_ctx *ev) {
  cand_view *v = led->view;
  if (!v || !v->st || !ev->serial) return 0;
  if (v->same_serial != ev->serial) {  /* once per event and view: the view's accounts stay until it is read again */
    v->same_serial = ev->serial;
    v->same = account_scan_same(&v->acc, &ev->all);
  }
  return v->same;
}

int view_row(socloss *led, long vm, uint32_t row, const char *id, size_t id_len) {
  const cand_view *v = led->view;
  return vm >= 0 && (size_t)vm < v->nmk && row < v->acc.n && row_is(v, row, id, id_len);
}

void view_put(socloss *led, long vm, uint32_t row, int64_t size, int64_t cost) {
  cand_view *v = led->view;
  size_t at = (size_t)vm * v->acc.n + row;
  /* A row whose columns are up to date (not dirty, none out of range)
   * with the position held before and after: its derived columns move by
   * what the position's upnl moved, exactly what row_update would compute
   * from scratch; a haircut's rows are so, and are then left out of the
   * next take's updates (a tenth of a crash's deficit). */
  if (!v->is_dirty[row] && !v->bad[row] && v->size[at] && size) {
    __int128 u = (__int128)size * v->mark[vm] - cost, old = v->upnl[at];
    __int128 total = v->total[row] + (u - old), eq = v->equity[row] + (u - old);
    __int128 gross = v->gross[row] + (u > 0 ? u : 0) - (old > 0 ? old : 0);
    if (fits_i64(u) && fits_i64(total) && fits_i64(eq) && fits_i64(gross)) {
      v->size[at] = size;
      v->cost[at] = cost;
      v->upnl[at] = (int64_t)u;
      v->total[row] = (int64_t)total;
      v->equity[row] = (int64_t)eq;
      v->gross[row] = (int64_t)gross;
      return;
    }
  }
  set_position(v, (size_t)vm, row, size, cost);
}

/* ---- the candidates from the view --------------------------------------- */

static int cmp_size(const void *a, const void *b) {
  size_t x = *(const size_t *)a, y = *(const size_t *)b;
  return (x > y) - (x < y);
}

/* The rows the deficit leaves out (its account, a joint event's others),
 * as view indices in order, each once; *nex of them. */
static int excluded(const cand_view *v, const deficit_rec *d, const char *const *out, size_t nout, size_t **ex,
                    size_t *nex) {
  size_t k = 0;
  *nex = 0;
  if (!(*ex = malloc((nout + 1) * sizeof **ex))) return err_fail(SOCLOSS_ENOMEM, "out of memory");
  long i = account_scan_find(&v->acc, d->account, strlen(d->account));
  if (i >= 0) (*ex)[k++] = (size_t)i;
  for (size_t j = 0; j < nout; j++)
    if ((i = account_scan_find(&v->acc, out[j], strlen(out[j]))) >= 0) (*ex)[k++] = (size_t)i;
  qsort(*ex, k, sizeof **ex, cmp_size);
  size_t m = 0;
  for (size_t j = 0; j < k; j++)
    if (!m || (*ex)[m - 1] != (*ex)[j]) (*ex)[m++] = (*ex)[j];
  *nex = m;
  return SOCLOSS_OK;
}

/* Rows [from, to) of the view to candidates [at, ...). */
static void copy_rows(const cand_view *v, const int *slots, cands *c, size_t from, size_t to, size_t at) {
  size_t k = to - from, n = v->acc.n;
  if (!k) return;
  memcpy(c->balance + at, v->balance + from, k * sizeof *c->balance);
  memcpy(c->equity + at, v->equity + from, k * sizeof *c->equity);
  memcpy(c->upnl_total + at, v->total + from, k * sizeof *c->upnl_total);
  memcpy(c->profit + at, v->gross + from, k * sizeof *c->profit);
  for (size_t m = 0; m < v->nmk; m++) {
    if (slots[m] < 0) continue;
    size_t to_at = (size_t)slots[m] * c->stride + at, from_at = m * n + from;
    memcpy(c->size + to_at, v->size + from_at, k * sizeof *c->size);
    memcpy(c->cost + to_at, v->cost + from_at, k * sizeof *c->cost);
    memcpy(c->upnl + to_at, v->upnl + from_at, k * sizeof *c->upnl);
  }
  for (size_t i = 0; i < k; i++) c->row[at + i] = (uint32_t)(from + i);
  uint32_t shift = v->acc.off[from] - (uint32_t)c->ids_len;
  memcpy(c->ids + c->ids_len, v->acc.ids + v->acc.off[from], v->acc.off[to] - v->acc.off[from]);
  for (size_t i = 0; i < k; i++) c->off[at + i + 1] = v->acc.off[from + i + 1] - shift;
  c->ids_len += v->acc.off[to] - v->acc.off[from];
}

/* build_cands' refusal for the first row it would refuse, if any. */
static int refused(const cand_view *v, const size_t *ex, size_t nex) {
  size_t e = 0;
  for (size_t a = 0; a < v->acc.n; a++) {
    if (e < nex && ex[e] == a) {
      e++;
      continue;
    }
    if (!v->bad[a]) continue;
    int len = (int)(v->acc.off[a + 1] - v->acc.off[a]);
    const char *id = v->acc.ids + v->acc.off[a];
    return v->bad[a] == ROW_EQUITY ? err_fail(SOCLOSS_EOVERFLOW, "equity of '%.*s' overflows int64", len, id)
                                   : err_fail(SOCLOSS_EOVERFLOW, "the gross profit of '%.*s' overflows int64", len, id);
  }
  return SOCLOSS_OK;
}

static int from_view(cand_view *v, const deficit_rec *d, const char *const *out, size_t nout, evaluator *place,
                     cands *c) {
  size_t n = v->acc.n, cap = n ? n : 1, nex = 0;
  size_t *ex;
  int rc = excluded(v, d, out, nout, &ex, &nex);
  if (rc) return rc;
  if (v->nbad && (rc = refused(v, ex, nex))) {
    free(ex);
    return rc;
  }
  int slot[64], *slots = v->nmk <= 64 ? slot : malloc(v->nmk * sizeof *slots);
  if (!slots) {
    free(ex);
    return err_fail(SOCLOSS_ENOMEM, "out of memory");
  }
  for (size_t k = 0; k < v->nmk; k++) {
    slots[k] = -1;
    for (size_t j = 0; j < d->nm; j++)
      if (!strcmp(d->mk[j].market, v->market[k])) slots[k] = (int)j;
  }
  size_t cols = cap * (d->nm ? d->nm : 1);
  /* in the region: exactly the rows and ids the view leaves in (no
   * spare: the region's pages are the ones kept) */
  size_t rows = n - nex, ids = v->acc.ids_len;
  for (size_t e = 0; e < nex; e++) ids -= v->acc.off[ex[e] + 1] - v->acc.off[ex[e]];
  if (place) {
    rc = cands_alloc(c, place, rows ? rows : 1, d->nm, ids + 1, n);
    if (!rc && !(c->row = malloc(c->cap * sizeof *c->row))) rc = err_fail(SOCLOSS_ENOMEM, "out of memory for %zu candidates", n);
  } else if (v->spare.cap == cap && v->spare.nm == d->nm && v->spare.ids_cap >= v->acc.ids_len + 1) {
    /* the last deficit's buffers, already faulted in: a cascade's deficit
     * otherwise maps and zeroes ~9 MB of fresh pages per 100k candidates */
    *c = v->spare;
    memset(&v->spare, 0, sizeof v->spare);
    c->n = c->ids_len = 0;
    memset(c->size, 0, cols * sizeof *c->size);
    memset(c->cost, 0, cols * sizeof *c->cost);
    memset(c->upnl, 0, cols * sizeof *c->upnl);
  } else {
    cands_free(&v->spare);
    rc = cands_alloc(c, NULL, cap, d->nm, v->acc.ids_len + 1, n);
    if (!rc && !(c->row = malloc(cap * sizeof *c->row))) rc = err_fail(SOCLOSS_ENOMEM, "out of memory for %zu candidates", n);
  }
  if (!rc) {
    c->off[0] = 0;
    size_t from = 0;
    for (size_t e = 0; e <= nex; e++) {
      size_t to = e < nex ? ex[e] : n;
      copy_rows(v, slots, c, from, to, c->n);
      c->n += to - from;
      from = to + 1;
    }
  }
  if (slots != slot) free(slots);
  free(ex);
  return rc;
}

int cands_for(socloss *led, store_txn *t, const deficit_rec *d, const char *const *out, size_t nout, evaluator *place,
              cands *c) {
  if (cands_view_off) return build_cands(t, d, out, nout, place, c);
  if (!led->view && !(led->view = calloc(1, sizeof *led->view))) return build_cands(t, d, out, nout, place, c);
  cand_view *v = led->view;
  store *s = store_txn_store(t);
  uint64_t txn = store_txn_id(t);
  if (v->st && v->st != s) {  /* it follows another store: a scratch ledger's, or the handle's */
    if (v->st == led->st) store_watch_stop(led->st);
    view_clear(v);
  }
  int kept = v->st == s && view_take(v, t) == 0;
  if (!kept) {
    int cascade = v->st == s || (v->asked_st == s && (txn == v->asked_txn || txn == v->asked_txn + 1));
    v->asked_st = s;
    v->asked_txn = txn;
    if (!cascade) {
      view_clear(v);
      return build_cands(t, d, out, nout, place, c);
    }
    store_watch_start(t);
    if (view_build(v, t)) {  /* it cannot hold them, or no memory for it: as without a view */
      store_watch_stop(s);
      return build_cands(t, d, out, nout, place, c);
    }
  }
  __atomic_fetch_add(&cands_view_hits, 1, __ATOMIC_RELAXED);
  return from_view(v, d, out, nout, place, c);
}
