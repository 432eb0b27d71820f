/*
 * scratch.c — the throwaway ledger that check, replay and simulate work in
 * (store_open_scratch), so that each only reads the ledger itself.
 */
#include "audit.h"

/* The scratch's first map: a simulation writes a journal record per
 * deficit into one transaction that is never committed (a sequential
 * crash of 2,211 deficits each charging 35,000 accounts wrote 1.9 GB), and
 * a map that fills aborts that transaction, grows and runs it all again
 * from the start.  So it begins large, AUDIT_SCRATCH_MAP or the ledger's
 * map if larger, within map_size_max: it is address space, and the file
 * (unlinked, never synced) grows only with what is written.  Where so much
 * address space cannot be had, the ledger's own map size, as before. */
#define AUDIT_SCRATCH_MAP (64ull << 30)

uint64_t audit_scratch_map(uint64_t ledger_map, uint64_t map_max) {
  uint64_t want = ledger_map > AUDIT_SCRATCH_MAP ? ledger_map : AUDIT_SCRATCH_MAP;
  return want < map_max ? want : map_max < ledger_map ? ledger_map : map_max;
}

int audit_scratch(socloss *led, store **out) {
  uint64_t ledger_map = store_map_size(led->st);
  store_config cfg = {STORE_OPEN_CREATE, audit_scratch_map(ledger_map, led->opts.map_size_max),
                      led->opts.map_size_max, 1, led->log};
  int rc = store_open_scratch(out, &cfg);
  if (rc && cfg.map_size > ledger_map) {
    cfg.map_size = ledger_map;
    rc = store_open_scratch(out, &cfg);
  }
  return rc;
}
