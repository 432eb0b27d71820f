/*
 * batch.h — a parsed input: events with the line each came from, their
 * strings in one arena, applied in one transaction by batch_apply.
 */
#ifndef SOCLOSS_BATCH_H
#define SOCLOSS_BATCH_H

#include "ledger.h"

typedef struct arena_chunk arena_chunk;

/* A listing read in units: the lot its market gets (m 0: none). */
typedef struct batch_lot {
  size_t ev;        /* the event that lists it */
  ledger_lot lot;
} batch_lot;

typedef struct batch {
  const char *name;      /* the source's name, for messages */
  socloss_event *ev;
  uint32_t *line;        /* ev[i] came from line[i] */
  size_t n, cap;
  arena_chunk *chunks;   /* the strings the events point to */
  int oom;
  batch_lot *lots;       /* in event order; only for input in units */
  size_t nlots, lots_cap;
} batch;

void batch_init(batch *b, const char *name);
void batch_free(batch *b);
/* Appends an event (its strings copied); NULL when out of memory. */
socloss_event *batch_push(batch *b, uint32_t line);
const char *batch_strdup(batch *b, const char *s, size_t len);
/* The lot of the market that event ev (the last pushed) lists. */
int batch_lot_push(batch *b, size_t ev, const ledger_lot *lot);

/* Applies several batches in order in one write transaction; a refused
 * event's message is prefixed with "name:line: ".  progress (may be NULL)
 * hears "write" every 65,536 events; asked to stop, nothing is written.
 * units: those the input was read with, which the ledger must still have;
 * each listing's lot is settled (lot_settle) after its event. */
int batch_apply(socloss *led, batch *const *batches, size_t n, const socloss_progress *progress,
                const ledger_units *units);

/* Strict decimal int64: optional '-', digits, nothing else.  0 on success,
 * -1 when not an integer, -2 when out of int64 range. */
int parse_i64(const char *s, size_t len, int64_t *out);

/* The gate's calls (api/gate.c). */
int import_csv_run(socloss *led, const socloss_source *markets, const socloss_source *accounts,
                   const socloss_source *positions, const socloss_progress *progress, socloss_import_stats *stats);
int apply_jsonl_run(socloss *led, const socloss_source *src, size_t *applied);

#endif
