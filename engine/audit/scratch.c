/*
 * scratch.c — the throwaway ledger that check, replay and simulate work in
 * (store_open_scratch), so that each only reads the ledger itself.
 */
#include "audit.h"

int audit_scratch(socloss *led, store **out) {
  /* as large as the ledger's map to begin with: it grows as the ledger would */
  store_config cfg = {STORE_OPEN_CREATE, store_map_size(led->st), led->opts.map_size_max, 1, led->log};
  return store_open_scratch(out, &cfg);
}
