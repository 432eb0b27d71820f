/*
 * account_scan_find_from: the search from a hint (galloping forward from the
 * last account found) finds exactly what the plain binary search finds, for
 * ids asked in order, in reverse, at random and absent, with prefixes of
 * one another ("a" < "a0" < "ab"), and leaves the hint on what it found.
 */
#include "ledger.h"
#include "util.h"

/* A scan of n ids "k000".."k(n-1)" with every third one also as a prefix
 * pair ("k003" and "k003x"), in byte order as the ledger keeps them. */
static void make(account_scan *s, size_t n) {
  memset(s, 0, sizeof *s);
  s->ids = malloc(n * 16 + 1);
  s->off = malloc((2 * n + 1) * sizeof *s->off);
  size_t len = 0;
  s->off[0] = 0;
  for (size_t i = 0; i < n; i++) {
    len += (size_t)sprintf(s->ids + len, "k%03zu", i);
    s->off[++s->n] = (uint32_t)len;
    if (i % 3 == 0) {
      len += (size_t)sprintf(s->ids + len, "k%03zux", i);
      s->off[++s->n] = (uint32_t)len;
    }
  }
}

static const char *id_at(const account_scan *s, size_t i, size_t *len) {
  *len = s->off[i + 1] - s->off[i];
  return s->ids + s->off[i];
}

int main(void) {
  for (size_t n = 0; n <= 40; n += 13) {
    account_scan s;
    make(&s, n);
    size_t hint = 0, len;
    int same = 1, hinted = 1;
    /* in order, then in reverse: every one found where it is */
    for (size_t i = 0; i < s.n; i++) {
      const char *id = id_at(&s, i, &len);
      same &= account_scan_find_from(&s, id, len, &hint) == (long)i;
      hinted &= hint == i;
    }
    for (size_t i = s.n; i-- > 0;) {
      const char *id = id_at(&s, i, &len);
      same &= account_scan_find_from(&s, id, len, &hint) == (long)i;
      hinted &= hint == i;
    }
    ok(same, "n %zu (%zu ids): in order and in reverse, each found at its index", n, s.n);
    ok(hinted, "n %zu: the hint left on each", n);
    /* at random (a fixed LCG), present and absent, from wherever the hint is */
    uint64_t x = 12345;
    int agree = 1;
    char buf[16];
    for (int k = 0; k < 5000; k++) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      size_t i = (size_t)(x >> 33) % (n + 3);
      int kind = (int)((x >> 20) % 4);
      int l = sprintf(buf, kind == 3 ? "k%03zuy" : kind == 2 ? "k%03zux" : "k%03zu", i);
      if (kind == 1) l--;  /* "k00": a prefix of every id, itself absent */
      long want = account_scan_find(&s, buf, (size_t)l);
      long got = account_scan_find_from(&s, buf, (size_t)l, &hint);
      agree &= got == want;
      if (got >= 0) agree &= hint == (size_t)got;
    }
    ok(agree, "n %zu: 5,000 random searches (absent ids, prefixes) agree with the binary search", n);
    hint = s.n + 7;  /* past the end: a plain search */
    if (s.n) {
      const char *id = id_at(&s, s.n - 1, &len);
      is(account_scan_find_from(&s, id, len, &hint), (long)s.n - 1, "n %zu: a hint past the end still finds the last", n);
    }
    is(account_scan_find_from(&s, "zzz", 3, &hint), -1, "n %zu: an id after every other: -1", n);
    is(account_scan_find_from(&s, "a", 1, &hint), -1, "n %zu: an id before every other: -1", n);
    account_scan_free(&s);
  }
  return done_testing();
}
