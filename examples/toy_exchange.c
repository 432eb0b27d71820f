/*
 * toy_exchange — a host that embeds libsocloss: a toy exchange reads a stream
 * of commands on stdin, keeps its ledger in socloss, and after every price
 * move hands the deficits of the accounts that went bankrupt to socloss in
 * one batch (group commit).  A "policy" line swaps the distribution rule
 * midway without a restart.
 *
 *   deposit ACCOUNT AMOUNT            fund AMOUNT
 *   trade MARKET BUYER SELLER SIZE PRICE
 *   mark MARKET PRICE                 (then: resolve every bankruptcy)
 *   policy FILE                       (the ledger's new active policy, FILE
 *                                      relative to POLICY_DIR)
 *
 * Build: cc toy_exchange.c $(pkg-config --cflags --libs socloss)
 *        (or socloss-static, to link libsocloss.a)
 * Run:   ./toy_exchange LEDGER_DIR "$(pkg-config --variable=policiesdir socloss)" < stream.txt
 *        (the installed reference policies; from a source tree: ../policies)
 */
#include <errno.h>
#include <socloss.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BANKRUPT 1024

static socloss *led;
static int deficits;

/* A call that returned rc failed: its message, or, should it have none, the
 * code's description: never an empty line. */
static int fail(const char *what, int rc) {
  const char *msg = socloss_errmsg(led);
  fprintf(stderr, "toy_exchange: %s: %s\n", what, *msg ? msg : socloss_strerror(rc));
  return 1;
}

/* A policy file (at most 256 KiB, what the evaluator takes), or NULL once
 * the reason is printed. */
static char *read_policy(const char *dir, const char *name, size_t *len) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "rb");
  char *buf = f ? malloc((1 << 18) + 1) : NULL;
  int err = errno;
  *len = buf ? fread(buf, 1, (1 << 18) + 1, f) : 0;
  if (buf && ferror(f)) err = errno;
  if (f) fclose(f);
  if (!buf || *len == 0 || *len > 1 << 18) {
    fprintf(stderr, "toy_exchange: policy: cannot read %s: %s\n", path,
            !f || !buf ? strerror(err) : *len ? "over 256 KiB" : "empty or unreadable");
    free(buf);
    return NULL;
  }
  return buf;
}

typedef struct bankrupt {
  size_t n;
  char id[MAX_BANKRUPT][SOCLOSS_ID_MAX + 1];
} bankrupt;

static int collect(void *ud, const socloss_account *a) {
  bankrupt *b = ud;
  if (a->equity < 0 && b->n < MAX_BANKRUPT) strcpy(b->id[b->n++], a->account);
  return 0;
}

/* Every bankrupt account's deficit, in one durable transaction. */
static int resolve_all(void) {
  static bankrupt b;
  static socloss_batch_item items[MAX_BANKRUPT];
  static char ids[MAX_BANKRUPT][32];
  b.n = 0;
  int rc = socloss_accounts(led, collect, &b);
  if (rc) return fail("accounts", rc);
  if (b.n == 0) return 0;
  for (size_t i = 0; i < b.n; i++) {
    snprintf(ids[i], sizeof ids[i], "deficit-%d", ++deficits);
    items[i] = (socloss_batch_item){ids[i], b.id[i], 0, 0, ""};
  }
  if ((rc = socloss_resolve_batch(led, items, b.n, NULL))) return fail("resolve", rc);
  printf("  %zu bankrupt, resolved in one batch:\n", b.n);
  for (size_t i = 0; i < b.n; i++) {
    if (items[i].code != SOCLOSS_OK) {
      printf("    %s %s: %s\n", items[i].id, items[i].account, items[i].message);
      continue;
    }
    /* what the journal says about it */
    printf("    %s %s: journal record %llu\n", items[i].id, items[i].account, (unsigned long long)items[i].seq);
  }
  return 0;
}

/* A deficit record, without what changes from run to run or with the
 * policy's text (its hash, the time spent). */
static int print_record(void *ud, uint64_t seq, const char *json) {
  (void)ud;
  (void)seq;
  if (!strstr(json, "\"type\":\"deficit\"")) return 0;
  const char *hash = strstr(json, "\"hash\":\""), *end = strstr(json, ",\"instructions\"");
  if (!hash || !end || end < hash + 74) return 0;
  /* ...,"hash":"<64 hex>"} then the rest up to ,"instructions" */
  printf("    %.*s}%.*s}\n", (int)(hash - json - 1), json, (int)(end - hash - 74), hash + 74);
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: toy_exchange LEDGER_DIR POLICY_DIR < stream\n");
    return 2;
  }
  const char *policies = argv[2];
  socloss_options o;
  socloss_options_init(&o);
  o.create = SOCLOSS_OPEN_CREATE;
  int rc = socloss_open(&led, argv[1], &o);
  if (rc != SOCLOSS_OK) {
    fail("open", rc);
    socloss_close(led);
    return 1;
  }
  printf("socloss %s\n", socloss_version());
  char line[512], a[128], b[128], c[128];
  long long x, y;
  uint64_t journal_from = 1;
  while (!rc && fgets(line, sizeof line, stdin)) {
    if (line[0] == '#' || line[0] == '\n') continue;
    printf("> %s", line);
    if (sscanf(line, "deposit %127s %lld", a, &x) == 2) {
      rc = socloss_deposit(led, a, x);
      if (rc) fail("deposit", rc);
    } else if (sscanf(line, "fund %lld", &x) == 1) {
      rc = socloss_fund_transfer(led, x);
      if (rc) fail("fund", rc);
    } else if (sscanf(line, "trade %127s %127s %127s %lld %lld", a, b, c, &x, &y) == 5) {
      rc = socloss_trade(led, a, b, c, x, y);
      if (rc) fail("trade", rc);
    } else if (sscanf(line, "mark %127s %lld", a, &x) == 2) {
      rc = socloss_set_mark(led, a, x);
      if (rc) fail("mark", rc);
      else rc = resolve_all();
    } else if (sscanf(line, "policy %127s", a) == 1) {
      size_t len;
      char *src = read_policy(policies, a, &len);
      rc = src ? socloss_policy_set(led, SOCLOSS_POLICY_ACTIVE, src, len, NULL) : 1;
      if (src && rc) fail("policy", rc);
      free(src);
    } else {
      fprintf(stderr, "toy_exchange: cannot read: %s", line);
      rc = 1;
    }
  }
  if (!rc) {
    socloss_totals t;
    socloss_check_report rep;
    socloss_totals_get(led, &t);
    printf("deficit records:\n");
    socloss_journal(led, journal_from, print_record, NULL);
    printf("fund %lld, bad debt %lld, %llu journal records, invariants %s\n", (long long)t.fund_cash,
           (long long)t.bad_debt, (unsigned long long)t.journal_seq,
           socloss_check(led, &rep) == SOCLOSS_OK ? "hold" : socloss_errmsg(led));
  }
  socloss_close(led);
  return rc ? 1 : 0;
}
