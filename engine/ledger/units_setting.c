/*
 * units_setting.c — the units settings read and checked: the ledger's
 * units, a market's lot, a lot's text.  Reads only, so that the applier's
 * messages can name amounts in units without calling up into units.c.
 */
#include <stdio.h>
#include <string.h>

#include "decimal.h"
#include "ledger.h"
#include "text.h"

int units_symbol_valid(const char *s) {
  size_t n = 0;
  for (; s[n]; n++) {
    char c = s[n];
    int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
             c == '-';
    if (!ok || n >= UNITS_SYMBOL_MAX) return 0;
  }
  return n > 0;
}

void lot_key(char out[LOT_KEY_MAX], const char *market) { snprintf(out, LOT_KEY_MAX, "lot/%s", market); }

int units_read(store_txn *t, ledger_units *u) {
  const void *p;
  size_t len;
  memset(u, 0, sizeof *u);
  int rc = store_setting_get(t, "units", &p, &len);
  if (rc == SOCLOSS_ENOTFOUND) return SOCLOSS_OK;
  if (rc) return rc;
  codec_reader r = {p, len, 0, 0};
  char sym[CODEC_ID_MAX + 1];
  if (codec_rd_u8(&r) != 1) r.bad = 1;
  codec_rd_str(&r, sym);
  u->decimals = (int)codec_rd_u8(&r);
  if (r.bad || r.pos != r.len || !units_symbol_valid(sym) || u->decimals > DEC_SCALE_MAX)
    return err_fail(SOCLOSS_ESTORE, "corrupt units setting");
  memcpy(u->asset, sym, strlen(sym) + 1);  /* a symbol: at most 16 bytes */
  return SOCLOSS_OK;
}

int lot_decode(const void *p, size_t len, ledger_lot *l) {
  codec_reader r = {p, len, 0, 0};
  char sym[CODEC_ID_MAX + 1];
  if (codec_rd_u8(&r) != 1) r.bad = 1;
  int64_t m = codec_rd_i64(&r);
  l->scale = (int)codec_rd_u8(&r);
  codec_rd_str(&r, sym);
  if (r.bad || r.pos != r.len || m <= 0 || m > 1000000000000000000 || l->scale > DEC_SCALE_MAX ||
      !dec_terminates((uint64_t)m) || !units_symbol_valid(sym))
    return err_fail(SOCLOSS_ESTORE, "corrupt lot setting");
  l->m = (uint64_t)m;
  memcpy(l->underlying, sym, strlen(sym) + 1);
  return SOCLOSS_OK;
}

int lot_read(store_txn *t, const char *market, ledger_lot *l) {
  char key[LOT_KEY_MAX];
  const void *p;
  size_t len;
  memset(l, 0, sizeof *l);
  lot_key(key, market);
  int rc = store_setting_get(t, key, &p, &len);
  if (rc == SOCLOSS_ENOTFOUND) return SOCLOSS_OK;
  return rc ? rc : lot_decode(p, len, l);
}

int lot_parse(const char *s, size_t len, ledger_lot *l) {
  const char *sp = memchr(s, ' ', len);
  char sym[UNITS_SYMBOL_MAX + 2] = "";
  memset(l, 0, sizeof *l);
  size_t sl = sp ? len - (size_t)(sp - s) - 1 : 0;
  if (sp && sl <= UNITS_SYMBOL_MAX) {
    memcpy(sym, sp + 1, sl);
    sym[sl] = 0;
  }
  char q[TEXT_QUOTED(80)];
  text_quote(q, s, len, 80);
  if (!sp || sl > UNITS_SYMBOL_MAX || strlen(sym) != sl || !units_symbol_valid(sym))
    return err_fail(SOCLOSS_EINVAL,
                    "'%s' is not a lot: a positive decimal, one space and the underlying's symbol (1-16 of A-Z a-z "
                    "0-9 . _ -), like '0.001 BTC'",
                    q);
  int rc = dec_mantissa(s, (size_t)(sp - s), &l->m, &l->scale);
  if (rc == DEC_RANGE)
    return err_fail(SOCLOSS_EINVAL, "'%s': a lot has at most 18 decimals and is at most 10^18", q);
  if (rc)
    return err_fail(SOCLOSS_EINVAL,
                    "'%s' is not a lot: a positive decimal, one space and the underlying's symbol, like '0.001 BTC'",
                    q);
  /* a price per unit is atoms per lot / lot: a finite decimal for every
   * price only when the lot's digits divide a power of ten */
  if (!dec_terminates(l->m))
    return err_fail(SOCLOSS_EINVAL,
                    "'%s': a lot's digits may have no prime factor but 2 and 5 (like 1, 25 or 5 x 10^-4), so that "
                    "every price per %s is a finite decimal",
                    q, sym);
  memcpy(l->underlying, sym, sl + 1);
  return SOCLOSS_OK;
}

void lot_text(const ledger_lot *l, char *out, size_t cap) {
  char num[DEC_OUT_MAX];
  if (!l->m || dec_format((__int128)l->m, l->scale, 0, num, sizeof num) < 0) snprintf(out, cap, "none");
  else snprintf(out, cap, "%s %s", num, l->underlying);
}

int lot_same(const ledger_lot *a, const ledger_lot *b) {
  return a->m == b->m && (!a->m || (a->scale == b->scale && !strcmp(a->underlying, b->underlying)));
}


_Static_assert(UNITS_MONEY_TEXT >= DEC_OUT_MAX + UNITS_SYMBOL_MAX + 2, "room for an amount and its symbol");

const char *units_money_text(store_txn *t, __int128 v, char buf[UNITS_MONEY_TEXT]) {
  ledger_units u;
  int units = units_read(t, &u) == SOCLOSS_OK && u.asset[0];
  int n = dec_format(v, units ? u.decimals : 0, 0, buf, DEC_OUT_MAX);
  if (n >= 0 && units) snprintf(buf + n, UNITS_SYMBOL_MAX + 2, " %s", u.asset);
  return n < 0 ? "?" : buf;
}
