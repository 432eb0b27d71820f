/* socloss-gen: writes a synthetic but realistic ledger as the three CSV files
 * `socloss import` reads (markets.csv, accounts.csv, positions.csv).
 *
 * Units are atoms of a 6-decimal USD stablecoin (1 USD = 1,000,000 atoms),
 * sizes are signed lots, prices are atoms per lot. Everything is integer
 * arithmetic on a private PRNG (splitmix64), so the output is byte-identical
 * for a given (accounts, markets, seed, per-account) on every platform.
 *
 * Account i draws from its own stream, seeded from (seed, i): the first n
 * accounts of a larger run are the same as those of a smaller one. The market
 * makers `mm-<market>` close each market's net size to exactly zero.
 *
 * With --usd the same ledger is written for one initialised with units
 * (`socloss init DB --asset USD --decimals 6`): balances as USD decimals
 * (2368.036170), the named markets with their lot (`0.001 BTC`) and every
 * price per unit of the underlying (62100.000 USD per BTC), the others
 * with no lot (prices per lot).  Imported, it holds the very same atoms. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

__extension__ typedef __int128 i128;
__extension__ typedef unsigned __int128 u128;

#define USD INT64_C(1000000)     /* atoms per USD */
#define MAX_ACCOUNTS 9999999     /* acct-%07d */
#define MAX_MARKETS 100000
#define NOTIONAL_MIN (200 * USD)
#define NOTIONAL_MAX (500000 * USD)
#define ENTRY_SPREAD_BPS 800     /* entry within +-8% of the mark */
#define LONG_PER_MILLE 550       /* about 55% of positions are long */
#define NEG_BALANCE_PER_MILLE 30 /* candidates for a negative balance */
#define MM_MIN_BALANCE (1000000 * USD)

static const char usage_line[] =
    "usage: socloss-gen OUTDIR [--accounts N] [--markets M] [--seed S] [--per-account K] [--usd]\n";

/* ---- PRNG ---------------------------------------------------------------- */

static uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}

typedef struct { uint64_t s; } rng;

static uint64_t next64(rng *r) {
  r->s += UINT64_C(0x9e3779b97f4a7c15);
  return mix64(r->s);
}

/* Uniform in [0, n), n > 0 (Lemire's multiply-high; the bias is < n / 2^64). */
static uint64_t below(rng *r, uint64_t n) { return (uint64_t)(((u128)next64(r) * n) >> 64); }

/* Uniform in [lo, hi]. */
static int64_t between(rng *r, int64_t lo, int64_t hi) {
  return lo + (int64_t)below(r, (uint64_t)(hi - lo) + 1);
}

/* ---- markets ------------------------------------------------------------- */

/* lot: the underlying's units in a lot as 10^lot_exp (--usd writes it). */
typedef struct { const char *id; int64_t mark; const char *lot; int lot_exp; } named_market;

/* Mark prices are atoms per lot; the lot is chosen so one lot is a few to a
 * few dozen USD. */
static const named_market named[] = {
    {"BTC-PERP", 60000000, "0.001 BTC", -3},  /* 0.001 BTC at 60,000 USD */
    {"ETH-PERP", 30000000, "0.01 ETH", -2},  /* 0.01 ETH at 3,000 USD */
    {"SOL-PERP", 15000000, "0.1 SOL", -1},  /* 0.1 SOL at 150 USD */
    {"DOGE-PERP", 15000000, "100 DOGE", 2}, /* 100 DOGE at 0.15 USD */
    {"AVAX-PERP", 35000000, "1 AVAX", 0}, /* 1 AVAX at 35 USD */
    {"LINK-PERP", 15000000, "1 LINK", 0}, /* 1 LINK at 15 USD */
    {"XRP-PERP", 5500000, "10 XRP", 1},   /* 10 XRP at 0.55 USD */
    {"BNB-PERP", 5800000, "0.01 BNB", -2},   /* 0.01 BNB at 580 USD */
    {"ARB-PERP", 10000000, "10 ARB", 1},  /* 10 ARB at 1.00 USD */
    {"OP-PERP", 20000000, "10 OP", 1},   /* 10 OP at 2.00 USD */
    {"ADA-PERP", 4500000, "10 ADA", 1},   /* 10 ADA at 0.45 USD */
};
#define NAMED ((int)(sizeof named / sizeof named[0]))

typedef struct {
  char id[24];    /* "MKT100000-PERP" at most */
  char mm_id[32]; /* "mm-" + lowercase id */
  int64_t mark;
  i128 net; /* Σ sizes of the ordinary accounts */
  const char *lot; /* NULL: none */
  int lot_exp;
} market;

static void init_market(market *m, int idx) {
  if (idx < NAMED) {
    snprintf(m->id, sizeof m->id, "%s", named[idx].id);
    m->mark = named[idx].mark;
    m->lot = named[idx].lot;
    m->lot_exp = named[idx].lot_exp;
  } else {
    m->lot = NULL;
    m->lot_exp = 0;
    snprintf(m->id, sizeof m->id, "MKT%d-PERP", idx + 1);
    /* 1 to 100 USD per lot, independent of the seed. */
    m->mark = USD + (int64_t)(mix64((uint64_t)idx + 1) % (uint64_t)(99 * USD));
  }
  size_t n = strlen(m->id);
  memcpy(m->mm_id, "mm-", 3);
  for (size_t i = 0; i <= n; i++) {
    char c = m->id[i];
    m->mm_id[3 + i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
  }
  m->net = 0;
}

/* ---- distributions --------------------------------------------------------- */

/* Notional in atoms, NOTIONAL_MIN..NOTIONAL_MAX, log-uniform-ish and skewed to
 * the small end: half the draws are log-uniform, half have their log-fraction
 * squared (so most positions are retail-sized, a few are whales). Integer only:
 * 2^x is taken piecewise-linearly inside each octave. */
static int64_t draw_notional(rng *r) {
  /* log2(500000 / 200) = 11.2877 in 16.16 fixed point */
  const uint64_t log_span = 739741;
  uint64_t t = next64(r) >> 32; /* fraction in 2^-32 units */
  if (next64(r) & 1) t = (t * t) >> 32;
  uint64_t x = (t * log_span) >> 32; /* 16.16 */
  unsigned e = (unsigned)(x >> 16);
  uint64_t f = x & 0xffff;
  int64_t v = (int64_t)(((uint64_t)NOTIONAL_MIN << e) * (65536 + f) >> 16);
  return v > NOTIONAL_MAX ? NOTIONAL_MAX : v;
}

/* Leverage in hundredths (100 = 1x .. 5000 = 50x): mostly 1-4x, a shoulder
 * to 15x and a thin tail of 15-50x. A 20% drop bankrupts a long above ~5x
 * whose book is mostly that market, so the shoulder and tail set how many
 * accounts a shock takes out (a few percent). */
static int64_t draw_leverage(rng *r) {
  uint64_t u = below(r, 10000);
  if (u < 3200) return between(r, 100, 200);
  if (u < 7700) return between(r, 200, 400);
  if (u < 9000) return between(r, 400, 600);
  if (u < 9700) return between(r, 600, 1500);
  return between(r, 1500, 5000);
}

/* ---- output -------------------------------------------------------------- */

typedef struct {
  FILE *f;
  const char *path;
  char *buf;
} out;

static void die_io(const char *what, const char *path) {
  fprintf(stderr, "socloss-gen: %s %s: %s\n", what, path, strerror(errno));
  exit(1);
}

static char *join(const char *dir, const char *name) {
  size_t n = strlen(dir) + strlen(name) + 2;
  char *p = malloc(n);
  if (!p) {
    fprintf(stderr, "socloss-gen: out of memory\n");
    exit(1);
  }
  snprintf(p, n, "%s/%s", dir, name);
  return p;
}

static void out_open(out *o, const char *dir, const char *name, const char *header) {
  o->path = join(dir, name);
  o->f = fopen(o->path, "wb");
  if (!o->f) die_io("cannot create", o->path);
  o->buf = malloc(1 << 20);
  if (!o->buf || setvbuf(o->f, o->buf, _IOFBF, 1 << 20) != 0) {
    fprintf(stderr, "socloss-gen: out of memory\n");
    exit(1);
  }
  fputs(header, o->f);
}

static void out_close(out *o) {
  if (ferror(o->f)) die_io("cannot write", o->path);
  if (fclose(o->f) != 0) die_io("cannot write", o->path);
  free(o->buf);
  free((char *)o->path);
}

/* Appends the decimal form of v to p, returns the new end. */
static char *put_i64(char *p, int64_t v) {
  char tmp[24];
  int n = 0;
  uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
  do {
    tmp[n++] = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  if (v < 0) *p++ = '-';
  while (n) *p++ = tmp[--n];
  return p;
}

/* v / 10^decimals as an exact decimal (decimals >= 0): 2368.036170. */
static char *put_dec(char *p, int64_t v, int decimals) {
  if (decimals <= 0) return put_i64(p, v);
  char digits[24];
  char *e = put_i64(digits, v < 0 ? -v : v);  /* |v| < 2^63: fits */
  int n = (int)(e - digits);
  if (v < 0) *p++ = '-';
  if (n > decimals) {
    memcpy(p, digits, (size_t)(n - decimals));
    p += n - decimals;
  } else {
    *p++ = '0';
  }
  *p++ = '.';
  for (int i = n; i < decimals; i++) *p++ = '0';
  int frac = n < decimals ? n : decimals;
  memcpy(p, e - frac, (size_t)frac);
  return p + frac;
}

/* A price of m in atoms per lot, as --usd writes it: per unit of the
 * underlying (atoms / 10^6 / 10^lot_exp), or per lot when m has none. */
static char *put_price(char *p, const market *m, int usd, int64_t atoms) {
  if (!usd) return put_i64(p, atoms);
  return put_dec(p, atoms, 6 + (m->lot ? m->lot_exp : 0));
}

static char *put_str(char *p, const char *s) {
  size_t n = strlen(s);
  memcpy(p, s, n);
  return p + n;
}

static void put_line(out *o, char *line, char *end) {
  *end++ = '\n';
  fwrite(line, 1, (size_t)(end - line), o->f);
}

/* acct-%07d into p (12 bytes + NUL). */
static void account_id(char *p, long i) {
  memcpy(p, "acct-", 5);
  for (int d = 11; d >= 5; d--) {
    p[d] = (char)('0' + i % 10);
    i /= 10;
  }
  p[12] = '\0';
}

/* ---- arguments ------------------------------------------------------------ */

static void usage_fail(const char *fmt, ...) {
  va_list ap;
  fputs("socloss-gen: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  fputs(usage_line, stderr);
  exit(2);
}

static uint64_t parse_u64(const char *opt, const char *s, uint64_t lo, uint64_t hi) {
  if (!s) usage_fail("%s needs a value", opt);
  if (*s < '0' || *s > '9') usage_fail("%s: '%s' is not a non-negative integer", opt, s);
  errno = 0;
  char *end;
  unsigned long long v = strtoull(s, &end, 10);
  if (*end != '\0') usage_fail("%s: '%s' is not a non-negative integer", opt, s);
  if (errno == ERANGE || v < lo || v > hi)
    usage_fail("%s: %s is out of range [%" PRIu64 ", %" PRIu64 "]", opt, s, lo, hi);
  return (uint64_t)v;
}

/* ---- main ------------------------------------------------------------------ */

typedef struct {
  int market;
  int64_t size;
  int64_t entry;
} position;

static int cmp_int(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

static int cmp_mm(const void *a, const void *b) {
  const market *x = *(market *const *)a, *y = *(market *const *)b;
  return strcmp(x->mm_id, y->mm_id);
}

int main(int argc, char **argv) {
  const char *dir = NULL;
  uint64_t n_accounts = 1000, n_markets = 2, seed = 1, per_account = 0;
  int have_k = 0, usd = 0;

  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      fputs(usage_line, stdout);
      return 0;
    } else if (strcmp(a, "--accounts") == 0) {
      n_accounts = parse_u64(a, v, 1, MAX_ACCOUNTS), i++;
    } else if (strcmp(a, "--markets") == 0) {
      n_markets = parse_u64(a, v, 1, MAX_MARKETS), i++;
    } else if (strcmp(a, "--seed") == 0) {
      seed = parse_u64(a, v, 0, UINT64_MAX), i++;
    } else if (strcmp(a, "--per-account") == 0) {
      per_account = parse_u64(a, v, 1, MAX_MARKETS), i++, have_k = 1;
    } else if (strcmp(a, "--usd") == 0) {
      usd = 1;
    } else if (a[0] == '-' && a[1] != '\0') {
      usage_fail("unknown option '%s'", a);
    } else if (dir) {
      usage_fail("more than one OUTDIR ('%s', '%s')", dir, a);
    } else {
      dir = a;
    }
  }
  if (!dir) usage_fail("OUTDIR is missing");
  if (!have_k) per_account = n_markets;
  if (per_account > n_markets)
    usage_fail("--per-account %" PRIu64 " is more than --markets %" PRIu64, per_account, n_markets);

  if (mkdir(dir, 0777) != 0 && errno != EEXIST) die_io("cannot create directory", dir);
  struct stat st;
  if (stat(dir, &st) != 0) die_io("cannot stat", dir);
  if (!S_ISDIR(st.st_mode)) {
    errno = ENOTDIR;
    die_io("cannot use", dir);
  }

  const int M = (int)n_markets, K = (int)per_account;
  const long N = (long)n_accounts;
  market *mk = malloc((size_t)M * sizeof *mk);
  long *stamp = malloc((size_t)M * sizeof *stamp);
  int *pick = malloc((size_t)K * sizeof *pick);
  position *pos = malloc((size_t)K * sizeof *pos);
  if (!mk || !stamp || !pick || !pos) {
    fprintf(stderr, "socloss-gen: out of memory\n");
    return 1;
  }
  for (int m = 0; m < M; m++) init_market(&mk[m], m), stamp[m] = 0;

  out fm, fa, fp;
  out_open(&fm, dir, "markets.csv", usd ? "market,mark_price,lot\n" : "market,mark_price\n");
  out_open(&fa, dir, "accounts.csv", "account,balance\n");
  out_open(&fp, dir, "positions.csv", "account,market,size,entry_price\n");

  char line[256], id[16];
  for (int m = 0; m < M; m++) {
    char *p = put_str(line, mk[m].id);
    *p++ = ',';
    p = put_price(p, &mk[m], usd, mk[m].mark);
    if (usd) {
      *p++ = ',';
      if (mk[m].lot) p = put_str(p, mk[m].lot);
    }
    put_line(&fm, line, p);
  }

  const uint64_t base = mix64(seed ^ UINT64_C(0x736f636c6f737321)); /* "soclose!" */
  long n_positions = 0, n_negative = 0, n_topped = 0;

  for (long i = 1; i <= N; i++) {
    rng r = {mix64(base + (uint64_t)i * UINT64_C(0xd1b54a32d192ed03))};
    account_id(id, i);

    /* K distinct markets (Floyd's sampling), in market order. */
    if (K == M) {
      for (int j = 0; j < K; j++) pick[j] = j;
    } else {
      int c = 0;
      for (int j = M - K; j < M; j++) {
        int t = (int)below(&r, (uint64_t)j + 1);
        if (stamp[t] == i) t = j;
        stamp[t] = i;
        pick[c++] = t;
      }
      qsort(pick, (size_t)K, sizeof *pick, cmp_int);
    }

    int64_t lev = draw_leverage(&r);
    /* An adverse entry costs at most ~half the margin, so nobody starts
     * bankrupt; an account at 50x is at most 1% under water. */
    int64_t max_adverse = 500000 / lev;
    if (max_adverse > ENTRY_SPREAD_BPS) max_adverse = ENTRY_SPREAD_BPS;

    i128 cost_abs = 0, upnl = 0;
    for (int j = 0; j < K; j++) {
      const market *m = &mk[pick[j]];
      int longp = below(&r, 1000) < LONG_PER_MILLE;
      int64_t lots = draw_notional(&r) / m->mark;
      if (lots < 1) lots = 1;
      int64_t gain = between(&r, -ENTRY_SPREAD_BPS, ENTRY_SPREAD_BPS); /* bps in our favour */
      if (gain < 0) gain = gain * max_adverse / ENTRY_SPREAD_BPS;
      int64_t delta = m->mark * gain / 10000;
      int64_t entry = longp ? m->mark - delta : m->mark + delta;
      int64_t size = longp ? lots : -lots;
      pos[j] = (position){pick[j], size, entry};
      cost_abs += (i128)lots * entry;
      upnl += (i128)size * (m->mark - entry);
    }

    i128 margin = cost_abs * 100 / lev;
    i128 balance = margin;
    /* A few accounts carry realized losses covered by open profit. */
    if (below(&r, 1000) < NEG_BALANCE_PER_MILLE && upnl > 0) {
      i128 keep = upnl * between(&r, 20, 80) / 100;
      balance = (keep < margin ? keep : margin) - upnl;
      if (balance < 0) n_negative++;
    }
    if (balance + upnl < 0) { /* cannot happen by the bounds above; belt and braces */
      balance = -upnl;
      n_topped++;
    }
    if (balance > INT64_MAX || balance < INT64_MIN) {
      fprintf(stderr, "socloss-gen: %s: balance does not fit int64\n", id);
      return 1;
    }

    char *p = put_str(line, id);
    *p++ = ',';
    put_line(&fa, line, usd ? put_dec(p, (int64_t)balance, 6) : put_i64(p, (int64_t)balance));
    for (int j = 0; j < K; j++) {
      market *m = &mk[pos[j].market];
      m->net += pos[j].size;
      p = put_str(line, id);
      *p++ = ',';
      p = put_str(p, m->id);
      *p++ = ',';
      p = put_i64(p, pos[j].size);
      *p++ = ',';
      put_line(&fp, line, put_price(p, m, usd, pos[j].entry));
    }
    n_positions += K;
  }

  /* Market makers, sorted by id: each holds the opposite of its market's net
   * size at the mark, with 3x that notional as cash (at least 1M USD). */
  market **mm = malloc((size_t)M * sizeof *mm);
  if (!mm) {
    fprintf(stderr, "socloss-gen: out of memory\n");
    return 1;
  }
  int n_mm = 0;
  for (int m = 0; m < M; m++)
    if (mk[m].net != 0) mm[n_mm++] = &mk[m];
  qsort(mm, (size_t)n_mm, sizeof *mm, cmp_mm);
  for (int j = 0; j < n_mm; j++) {
    market *m = mm[j];
    i128 size = -m->net;
    i128 notional = (size < 0 ? -size : size) * m->mark;
    i128 cash = 3 * notional;
    if (cash < MM_MIN_BALANCE) cash = MM_MIN_BALANCE;
    if (size > INT64_MAX || size < INT64_MIN || cash > INT64_MAX) {
      fprintf(stderr, "socloss-gen: %s: market maker position does not fit int64\n", m->mm_id);
      return 1;
    }
    char *p = put_str(line, m->mm_id);
    *p++ = ',';
    put_line(&fa, line, usd ? put_dec(p, (int64_t)cash, 6) : put_i64(p, (int64_t)cash));
    p = put_str(line, m->mm_id);
    *p++ = ',';
    p = put_str(p, m->id);
    *p++ = ',';
    p = put_i64(p, (int64_t)size);
    *p++ = ',';
    put_line(&fp, line, put_price(p, m, usd, m->mark));
    n_positions++;
  }

  out_close(&fm);
  out_close(&fa);
  out_close(&fp);
  fprintf(stderr,
          "socloss-gen: %s: %d markets, %ld accounts (%d market makers, %ld negative balances), "
          "%ld positions\n",
          dir, M, N + n_mm, n_mm, n_negative, n_positions);
  if (n_topped) fprintf(stderr, "socloss-gen: note: %ld balances raised to zero equity\n", n_topped);
  free(mm);
  free(mk);
  free(stamp);
  free(pick);
  free(pos);
  return 0;
}
