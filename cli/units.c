/*
 * The ledger's units as the commands show them: amounts, prices and sizes
 * as exact decimals with their symbols (socloss_format_*), the plain
 * integers of old when the ledger has no units; and the "units" key JSON
 * output adds once per object.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "decimal.h" /* engine/common: only for a 128-bit sum, which no public call takes */

static int add_lot(void *ud, const socloss_lot *lot) {
  cli_units *cu = ud;
  if (cu->n == cu->cap) {
    size_t cap = cu->cap ? 2 * cu->cap : 16;
    socloss_lot *l = realloc(cu->lots, cap * sizeof *l);
    if (!l) return 1;
    cu->lots = l;
    cu->cap = cap;
  }
  cu->lots[cu->n++] = *lot;
  return 0;
}

int cli_units_load(socloss *led, cli_units *cu) {
  memset(cu, 0, sizeof *cu);
  socloss_units_init(&cu->u);
  int rc = socloss_units_get(led, &cu->u);
  if (!rc && cu->u.asset[0]) rc = socloss_lots(led, add_lot, cu);  /* in market-id order */
  return rc;
}

void cli_units_free(cli_units *cu) {
  free(cu->lots);
  cu->lots = NULL;
  cu->n = cu->cap = 0;
}

static int by_market(const void *key, const void *elem) {
  return strcmp(key, ((const socloss_lot *)elem)->market);
}

const socloss_lot *cli_lot(const cli_units *cu, const char *market) {
  return cu->n ? bsearch(market, cu->lots, cu->n, sizeof *cu->lots, by_market) : NULL;
}

/* SOCLOSS_TEXT_MAX is always room enough: a failure cannot happen, but the
 * text stays defined if it did */
const char *amount_text(const cli_units *cu, int64_t atoms, char *buf) {
  if (socloss_format_amount(&cu->u, atoms, buf, SOCLOSS_TEXT_MAX)) buf[0] = 0;
  return buf;
}

const char *amount128_text(const cli_units *cu, __int128 atoms, char *buf) {
  int n = dec_format(atoms, cu->u.asset[0] ? cu->u.decimals : 0, cu->u.asset[0] != 0, buf, SOCLOSS_TEXT_MAX - 20);
  if (n >= 0 && cu->u.asset[0]) {
    buf[n] = ' ';
    strcpy(buf + n + 1, cu->u.asset);
  }
  return n < 0 ? "" : buf;
}

const char *price_text(const cli_units *cu, const char *market, int64_t atoms_per_lot, char *buf) {
  if (socloss_format_price(&cu->u, cli_lot(cu, market), atoms_per_lot, buf, SOCLOSS_TEXT_MAX)) buf[0] = 0;
  return buf;
}

const char *size_text(const cli_units *cu, const char *market, int64_t lots, char *buf) {
  if (socloss_format_size(cli_lot(cu, market), lots, buf, SOCLOSS_TEXT_MAX)) buf[0] = 0;
  return buf;
}

json_t *units_json(const cli_units *cu) {
  if (!cu->u.asset[0]) return NULL;
  return json_pack("{s:s, s:i}", "asset", cu->u.asset, "decimals", cu->u.decimals);
}

void add_units_key(json_t *o, const cli_units *cu) {
  json_t *u = units_json(cu);
  if (u) json_object_set_new(o, "units", u);
}

const char *lot_decimal(const socloss_lot *lot, char *buf) {
  if (dec_format((__int128)lot->units, lot->scale, 0, buf, SOCLOSS_TEXT_MAX) < 0) buf[0] = 0;
  return buf;
}

json_t *lot_json(const socloss_lot *lot, json_t *o) {
  char num[SOCLOSS_TEXT_MAX];
  json_object_set_new(o, "lot", json_string(lot_decimal(lot, num)));
  json_object_set_new(o, "underlying", json_string(lot->underlying));
  return o;
}

int units_options(const call *c, const char *asset, const char *decimals, socloss_units *out, int *given) {
  socloss_units_init(out);
  *given = asset || decimals;
  if (!*given) return RUN;
  if (!asset || !decimals) return usage(c, "--asset and --decimals go together");
  char *end;
  long d = strtol(decimals, &end, 10);
  if (!*decimals || *end || decimals[0] < '0' || decimals[0] > '9' || d > SOCLOSS_DECIMALS_MAX)
    return usage(c, "--decimals: an integer from 0 to %d, not '%s'", SOCLOSS_DECIMALS_MAX, decimals);
  out->decimals = (int)d;
  /* a longer symbol keeps one byte too many, unended, which the library
   * refuses as not a symbol, quoting it */
  size_t n = strlen(asset);
  memcpy(out->asset, asset, n < sizeof out->asset ? n + 1 : sizeof out->asset);
  return RUN;
}
