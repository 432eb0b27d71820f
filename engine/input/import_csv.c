/*
 * import_csv.c — bulk load of markets, accounts and positions from CSV.
 *
 * Parsing (libcsv) checks the syntax of every row and turns it into an
 * event; then every event is applied in one transaction.  Either way a
 * refusal names "file:line: field: reason" and writes nothing.
 */
#include <csv.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "text.h"
#include "units_in.h"

#define MAX_FIELDS 4
#define FIELD_MAX 128  /* longer than any valid id or int64; DEC_TEXT_MAX, the longest decimal */

typedef enum { CSV_MARKETS, CSV_ACCOUNTS, CSV_POSITIONS } csv_kind;

static const char *const headers[] = {"market,mark_price", "account,balance",
                                      "account,market,size,entry_price"};
static const size_t nfields[] = {2, 2, 4};
static const char *const names[][MAX_FIELDS] = {{"market", "mark_price", "lot"},
                                                {"account", "balance"},
                                                {"account", "market", "size", "entry_price"}};
/* A ledger with units also takes each market's lot (docs/cli.md, "Units"). */
static const char *const lot_header = "market,mark_price,lot";

typedef struct reader {
  socloss *led;
  batch *b;
  in_units *iu;         /* the ledger's units and the markets known */
  int with_lot;         /* a markets file with the lot column */
  csv_kind kind;
  uint32_t line;        /* the line of the row being read */
  int last_term;        /* the character that ended the previous row */
  size_t n;             /* fields in this row */
  char field[MAX_FIELDS][FIELD_MAX + 1];
  size_t len[MAX_FIELDS];
  int toolong[MAX_FIELDS];
  int rc;               /* first error */
} reader;

static void on_field(void *s, size_t len, void *ud) {
  reader *r = ud;
  (void)s;
  if (r->n < MAX_FIELDS) {
    size_t keep = len > FIELD_MAX ? FIELD_MAX : len;
    memcpy(r->field[r->n], s, keep);
    r->field[r->n][keep] = 0;
    r->len[r->n] = len;
    r->toolong[r->n] = len > FIELD_MAX;
  }
  r->n++;
}

static int row_fail(reader *r, int code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int row_fail(reader *r, int code, const char *field, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  r->rc = err_fail(code, "%s:%u: %s: %s", r->b->name, r->line, field, msg);
  return r->rc;
}

/* The field as a message quotes it: its first 80 bytes, printable. */
static const char *quoted(reader *r, int i, char q[TEXT_QUOTED(80)]) {
  return text_quote(q, r->field[i], r->len[i] < FIELD_MAX ? r->len[i] : FIELD_MAX, 80);
}

static int id_field(reader *r, int i, const char **out) {
  char q[TEXT_QUOTED(80)];
  if (r->toolong[i] || strlen(r->field[i]) != r->len[i] || !id_valid(r->field[i]))
    return row_fail(r, SOCLOSS_EINVAL, names[r->kind][i],
                    "'%s' is not a valid id (1-64 printable ASCII characters, no spaces)", quoted(r, i, q));
  *out = batch_strdup(r->b, r->field[i], r->len[i]);
  return *out ? SOCLOSS_OK : (r->rc = err_fail(SOCLOSS_ENOMEM, "out of memory"));
}

/* A field too long to keep is still an integer if it is all digits. */
static int digits(const char *s) {
  if (*s == '-') s++;
  if (!*s) return 0;
  for (; *s; s++)
    if (*s < '0' || *s > '9') return 0;
  return 1;
}

static int int_field(reader *r, int i, int64_t *out) {
  char q[TEXT_QUOTED(80)];
  int rc = r->toolong[i] ? (digits(r->field[i]) ? -2 : -1) : parse_i64(r->field[i], r->len[i], out);
  if (rc == -1) return row_fail(r, SOCLOSS_EPARSE, names[r->kind][i], "not an integer: '%s'", quoted(r, i, q));
  if (rc == -2)
    return row_fail(r, SOCLOSS_EOVERFLOW, names[r->kind][i], "out of int64 range: '%s'", quoted(r, i, q));
  return SOCLOSS_OK;
}

/* A value in the ledger's units: an amount, or (lot given) a price per unit
 * of the lot's underlying; an integer of atoms when the ledger has none. */
static int money_field(reader *r, int i, int price, const ledger_lot *lot, int64_t *out) {
  if (!in_units_on(r->iu)) return int_field(r, i, out);
  char why[512];
  /* a field over FIELD_MAX was kept cut: its true length says it is too long */
  int rc = price ? in_price(r->iu, lot, r->field[i], r->len[i], out, why, sizeof why)
                 : in_amount(r->iu, r->field[i], r->len[i], out, why, sizeof why);
  return rc ? row_fail(r, rc, names[r->kind][i], "%s", why) : SOCLOSS_OK;
}

/* "must be positive": the value as it was written, in units or atoms */
static int not_positive(reader *r, int i, int64_t v) {
  char q[TEXT_QUOTED(80)];
  if (!in_units_on(r->iu))
    return row_fail(r, SOCLOSS_EINVAL, names[r->kind][i], "must be positive (got %lld)", (long long)v);
  return row_fail(r, SOCLOSS_EINVAL, names[r->kind][i], "must be positive (got '%s')", quoted(r, i, q));
}

static void header(reader *r) {
  char got[MAX_FIELDS * (FIELD_MAX + 1) + 8] = "";
  for (size_t i = 0; i < r->n && i < MAX_FIELDS; i++) {
    if (i) strcat(got, ",");
    strcat(got, r->field[i]);
  }
  if (r->n > MAX_FIELDS) strcat(got, ",...");
  char q[TEXT_QUOTED(200)];
  int units = in_units_on(r->iu) && r->kind == CSV_MARKETS;
  if (units && !strcmp(got, lot_header)) r->with_lot = 1;
  else if (strcmp(got, headers[r->kind]) != 0)
    row_fail(r, SOCLOSS_EPARSE, "header", "expected '%s'%s%s%s, got '%s'", headers[r->kind], units ? " or '" : "",
             units ? lot_header : "", units ? "'" : "", text_quote(q, got, strlen(got), 200));
}

/* A markets row's lot: the column's "0.001 BTC", or none when the file has
 * no such column or the field is empty (prices are then per lot). */
static int lot_field(reader *r, ledger_lot *lot) {
  memset(lot, 0, sizeof *lot);
  if (!r->with_lot || r->len[2] == 0) return SOCLOSS_OK;
  if (lot_parse(r->field[2], r->toolong[2] ? FIELD_MAX : r->len[2], lot)) {
    char why[ERRMSG_MAX];
    snprintf(why, sizeof why, "%s", ERRBUF);
    return row_fail(r, SOCLOSS_EINVAL, "lot", "%s", why);
  }
  return SOCLOSS_OK;
}

static void row(reader *r) {
  socloss_event *e;
  ledger_lot lot;
  const ledger_lot *known;
  size_t want = nfields[r->kind] + (size_t)r->with_lot;
  if (r->n != want) {
    row_fail(r, SOCLOSS_EPARSE, "row", "expected %zu fields (%s), got %zu", want,
             r->with_lot ? lot_header : headers[r->kind], r->n);
    return;
  }
  if (!(e = batch_push(r->b, r->line))) {
    r->rc = err_fail(SOCLOSS_ENOMEM, "out of memory");
    return;
  }
  switch (r->kind) {
    case CSV_MARKETS:
      e->type = EV_LISTING;
      if (id_field(r, 0, &e->market) || lot_field(r, &lot) || money_field(r, 1, 1, &lot, &e->mark)) return;
      if (e->mark <= 0) not_positive(r, 1, e->mark);
      /* the positions of this import are read with the lots it lists */
      else if (in_units_on(r->iu) && (in_listed(r->iu, e->market, &lot) || batch_lot_push(r->b, r->b->n - 1, &lot)))
        r->rc = SOCLOSS_ENOMEM;
      break;
    case CSV_ACCOUNTS:
      e->type = EV_ACCOUNT;
      if (id_field(r, 0, &e->account) || money_field(r, 1, 0, NULL, &e->amount)) return;
      break;
    case CSV_POSITIONS:
      e->type = EV_POSITION;
      if (id_field(r, 0, &e->account) || id_field(r, 1, &e->market) || int_field(r, 2, &e->size)) return;
      known = in_lot(r->iu, e->market);
      /* a price per unit needs its market's lot: the market is told unknown
       * here, where the applier would tell it without units */
      if (in_units_on(r->iu) && !known) {
        char q[TEXT_QUOTED(80)];
        row_fail(r, SOCLOSS_ENOTFOUND, "market", "unknown market '%s'", quoted(r, 1, q));
        return;
      }
      if (money_field(r, 3, 1, known, &e->price)) return;
      if (e->size == 0) row_fail(r, SOCLOSS_EINVAL, "size", "must not be zero");
      else if (e->price <= 0) not_positive(r, 3, e->price);
      break;
  }
}

static void on_row(int term, void *ud) {
  reader *r = ud;
  /* CSV_REPALL_NL reports every line end, so "\r\n" arrives as a row and an
   * empty row: the empty one is not a new line. */
  int crlf_tail = term == '\n' && r->last_term == '\r' && r->n == 0;
  r->last_term = term;
  if (crlf_tail) return;
  if (!r->rc) {
    if (r->line == 1) header(r);
    else if (r->n > 0) row(r);  /* blank lines are skipped */
  }
  r->n = 0;
  r->line++;
}

/* Progress is told per 4 MiB of input parsed (libcsv parses in pieces). */
#define PARSE_CHUNK ((size_t)4 << 20)

static int parse(socloss *led, in_units *iu, const socloss_source *src, csv_kind kind, batch *b,
                 const socloss_progress *pg, uint64_t *parsed, uint64_t total) {
  struct csv_parser p;
  reader *r = calloc(1, sizeof *r);
  batch_init(b, src->name ? src->name : "-");
  if (!r || csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_REPALL_NL | CSV_APPEND_NULL)) {
    free(r);
    return err_fail(SOCLOSS_ENOMEM, "out of memory");
  }
  r->led = led;
  r->iu = iu;
  r->b = b;
  r->kind = kind;
  r->line = 1;
  int stopped = 0;
  for (size_t at = 0; at < src->len && !r->rc;) {
    size_t n = src->len - at < PARSE_CHUNK ? src->len - at : PARSE_CHUNK;
    if (pg && pg->fn(pg->ud, "parse", *parsed, total)) {
      stopped = 1;
      break;
    }
    size_t done = csv_parse(&p, src->data + at, n, on_field, on_row, r);
    if (!r->rc && done != n) row_fail(r, SOCLOSS_EPARSE, "csv", "%s", csv_strerror(csv_error(&p)));
    at += n;
    *parsed += n;
  }
  if (stopped) {
    csv_free(&p);
    free(r);
    return err_fail(SOCLOSS_ESTOP, "stopped by the progress callback: nothing written");
  }
  if (!r->rc && csv_fini(&p, on_field, on_row, r) != 0)
    row_fail(r, SOCLOSS_EPARSE, "csv", "%s", csv_strerror(csv_error(&p)));
  if (!r->rc && r->line == 1) {
    r->line = 1;
    row_fail(r, SOCLOSS_EPARSE, "header", "missing (expected '%s')", headers[kind]);
  }
  csv_free(&p);
  int rc = r->rc;
  free(r);
  return rc;
}

/* ---- every market must net to zero -------------------------------------- */

typedef struct net {
  const char *market;
  __int128 sum;
  uint32_t line;  /* the last row of that market */
} net;

static int cmp_net(const void *a, const void *b) {
  return strcmp(((const net *)a)->market, ((const net *)b)->market);
}

struct nets {
  socloss *led;
  const char *name;
  net *v;
  size_t n;
};

/* Adds a row's size to the net of its market among ns->v[0..ns->n): a ledger has
 * few markets, so a scan from the last one found (rows come grouped or
 * alternating) is shorter than sorting a million rows.  0 when there are
 * more than NET_SCAN distinct markets. */
enum { NET_SCAN = 64 };
static int net_add(struct nets *ns, size_t *last, const char *market, int64_t size, uint32_t line) {
  for (size_t k = 0; k < ns->n; k++) {
    size_t j = (*last + k) % ns->n;
    if (ns->v[j].market == market || strcmp(ns->v[j].market, market) == 0) {
      ns->v[j].sum += size;
      if (line > ns->v[j].line) ns->v[j].line = line;
      *last = j;
      return 1;
    }
  }
  if (ns->n == NET_SCAN) return 0;
  ns->v[*last = ns->n++] = (net){market, size, line};
  return 1;
}

/* Sums the imported sizes per market: a scan over the few markets seen,
 * else (many markets) sorting, then one pass.  The markets are then in
 * name order, and the first that does not net to zero is told. */
static int tally(struct nets *ns, const batch *b) {
  ns->v = malloc((b->n ? b->n : 1) * sizeof *ns->v);
  if (!ns->v) return err_fail(SOCLOSS_ENOMEM, "out of memory");
  size_t i = 0, last = 0;
  ns->n = 0;
  while (i < b->n && net_add(ns, &last, b->ev[i].market, b->ev[i].size, b->line[i])) i++;
  if (i < b->n) {
    for (i = 0; i < b->n; i++) ns->v[i] = (net){b->ev[i].market, b->ev[i].size, b->line[i]};
    ns->n = b->n;
  }
  qsort(ns->v, ns->n, sizeof *ns->v, cmp_net);
  size_t out = 0;
  for (i = 0; i < ns->n; i++) {
    if (out && strcmp(ns->v[out - 1].market, ns->v[i].market) == 0) {
      ns->v[out - 1].sum += ns->v[i].sum;
      if (ns->v[i].line > ns->v[out - 1].line) ns->v[out - 1].line = ns->v[i].line;
    } else {
      ns->v[out++] = ns->v[i];
    }
  }
  ns->n = out;
  char sum[48];
  for (i = 0; i < ns->n; i++)
    if (ns->v[i].sum != 0)
      return err_fail(SOCLOSS_EIMBALANCE,
                         "%s:%u: size: market '%s': the imported sizes sum to %s, not 0", ns->name,
                         ns->v[i].line, ns->v[i].market, i128_text(ns->v[i].sum, sum));
  return SOCLOSS_OK;
}

int import_csv_run(socloss *led, const socloss_source *markets, const socloss_source *accounts,
                   const socloss_source *positions, const socloss_progress *progress, socloss_import_stats *stats) {
  const socloss_source *src[3] = {markets, accounts, positions};
  batch b[3];
  batch *list[3];
  size_t n = 0;
  int rc = SOCLOSS_OK;
  struct nets ns = {led, positions && positions->name ? positions->name : "-", NULL, 0};
  for (int k = 0; k < 3; k++) batch_init(&b[k], NULL);
  const socloss_progress *pg = progress && progress->fn ? progress : NULL;
  uint64_t parsed = 0, total = 0;
  for (int k = 0; k < 3; k++) total += src[k] ? src[k]->len : 0;
  in_units iu;
  rc = in_units_load(led, &iu);
  for (int k = 0; k < 3 && !rc; k++) {
    if (!src[k]) continue;
    rc = parse(led, &iu, src[k], (csv_kind)k, &b[k], pg, &parsed, total);
    list[n++] = &b[k];
  }
  if (!rc && positions) rc = tally(&ns, &b[CSV_POSITIONS]);
  if (!rc) rc = batch_apply(led, list, n, pg, &iu.u);
  in_units_free(&iu);
  if (!rc && stats) {
    stats->markets = b[CSV_MARKETS].n;
    stats->accounts = b[CSV_ACCOUNTS].n;
    stats->positions = b[CSV_POSITIONS].n;
  }
  free(ns.v);
  for (int k = 0; k < 3; k++) batch_free(&b[k]);
  return rc;
}

