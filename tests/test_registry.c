/*
 * The policy registry: entries by hash with name, version and journal
 * sequence; activation ledger-wide and per market; refusals change nothing.
 * Its manners: roles in the listing, unknown markets refused, the shadow
 * cleared when it is made active, no-op changes unjournaled, a note and a
 * host-given time kept, and records without them the older bytes exactly.
 */
#include "record.h"
#include "util.h"

static const char *V1 = "return {name = 'flat', haircut = function(ctx) return {} end}";
static const char *V2 = "return {name = 'flat', params = {v = 2}, haircut = function(ctx) return {} end}";
static const char *OTHER = "return {name = 'other', haircut = function(ctx) return {} end}";

static int shadow_cb(void *ud, uint64_t seq, const char *json) {
  (void)seq;
  if (strstr(json, "\"type\":\"shadow\"")) snprintf(ud, 512, "%s", json);
  return 0;
}

static int count_cb(void *ud, const socloss_policy_info *p) {
  char *out = ud;
  size_t n = strlen(out);
  snprintf(out + n, 256 - n, "%s@%u ", p->name, p->version);
  return 0;
}

/* ---- manners -------------------------------------------------------------- */

/* The last journal record's JSON, and how many there are. */
struct last {
  char json[2048];
  uint64_t seq;
};

static int last_cb(void *ud, uint64_t seq, const char *json) {
  struct last *l = ud;
  snprintf(l->json, sizeof l->json, "%s", json);
  l->seq = seq;
  return 0;
}

static struct last last_record(socloss *led) {
  struct last l = {"", 0};
  socloss_journal(led, 1, last_cb, &l);
  return l;
}

static int count_type_cb(void *ud, uint64_t seq, const char *json) {
  (void)seq;
  if (strstr(json, "\"type\":\"shadow\"")) ++*(int *)ud;
  return 0;
}

/* Each entry as "name@v [role(/market)(params) ...] note=... at=...;". */
static int entry_cb(void *ud, const socloss_policy_entry *e) {
  char *out = ud;
  static const char *const roles[] = {"active", "fallback", "shadow"};
  size_t n = strlen(out);
  n += snprintf(out + n, 1024 - n, "%s@%u [", e->info.name, e->info.version);
  for (size_t i = 0; i < e->nroles; i++)
    n += snprintf(out + n, 1024 - n, "%s%s%s%s%s", i ? " " : "", roles[e->roles[i].role], *e->roles[i].market ? "/" : "",
                  e->roles[i].market, e->roles[i].params);
  n += snprintf(out + n, 1024 - n, "]");
  if (*e->note) n += snprintf(out + n, 1024 - n, " note=%s", e->note);
  if (*e->at) n += snprintf(out + n, 1024 - n, " at=%s", e->at);
  snprintf(out + n, 1024 - n, "; ");
  return 0;
}

static void entries_of(socloss *led, const char *ref, char out[1024]) {
  out[0] = 0;
  int rc = socloss_policy_entries(led, ref, entry_cb, out);
  if (rc) snprintf(out, 1024, "error %d: %s", rc, socloss_errmsg(led));
}

/* One role change through the options; rc, and ch filled. */
static int role_set(socloss *led, int role, const char *ref, const char *market, const char *params, const char *at,
                    socloss_role_change *ch) {
  socloss_role_options o;
  socloss_role_options_init(&o);
  o.role = role;
  o.ref = ref;
  o.market = market;
  o.params = params;
  o.at = at;
  *ch = (socloss_role_change){sizeof *ch, 99, 99};
  return socloss_policy_role_set(led, &o, ch);
}

static void manners(void) {
  char dir[64], list[1024];
  socloss *led = new_ledger(dir, 0);
  socloss_source m = src_of("m", "market,mark_price\nBTC,100\nETH,50\n"),
                 a = src_of("a", "account,balance\nx,-10\ny,1000\nz,-10\nw,1000\n"),
                 p = src_of("p", "account,market,size,entry_price\nx,BTC,1,100\ny,BTC,-1,100\nz,ETH,2,50\nw,ETH,-2,50\n");
  ok(socloss_import_csv(led, &m, &a, &p, NULL) == SOCLOSS_OK, "manners: two markets, x bankrupt in BTC, z in ETH");
  socloss_policy_add_options ao;
  socloss_policy_add_options_init(&ao);
  ao.note = "alice: flat, for small accounts \xe2\x80\x94 see the forum";  /* an em dash: UTF-8 */
  ao.at = "2024-05-01T12:00:00Z";
  socloss_policy_info i1, i2;
  is(socloss_policy_add_with(led, V1, strlen(V1), &ao, &i1), SOCLOSS_OK, "flat@1 added with a note and a time");
  char want[1024];
  snprintf(want, sizeof want,
           "{\"seq\":11,\"type\":\"policy_added\",\"name\":\"flat\",\"version\":1,\"hash\":\"%s\","
           "\"note\":\"alice: flat, for small accounts \xe2\x80\x94 see the forum\",\"at\":\"2024-05-01T12:00:00Z\"}",
           i1.hash);
  is_str(last_record(led).json, want, "its journal record carries both");
  is(socloss_policy_add_with(led, OTHER, strlen(OTHER), NULL, &i2), SOCLOSS_OK, "other@1 added with neither");
  snprintf(want, sizeof want, "{\"seq\":12,\"type\":\"policy_added\",\"name\":\"other\",\"version\":1,\"hash\":\"%s\"}",
           i2.hash);
  is_str(last_record(led).json, want, "its record is as before: no note, no at");
  entries_of(led, NULL, list);
  is_str(list,
         "flat@1 [] note=alice: flat, for small accounts \xe2\x80\x94 see the forum at=2024-05-01T12:00:00Z; "
         "other@1 []; ",
         "the listing has the note and the time, and no roles yet");

  /* a note or a time that cannot be kept is refused, and nothing changes */
  fingerprint before = fp_of(led);
  static const struct {
    const char *note, *at, *msg;
  } bad[] = {
      {NULL, "2024-02-30T00:00:00Z", "at: '2024-02-30T00:00:00Z' is not a UTC time YYYY-MM-DDTHH:MM:SS[.FRACTION]Z"},
      {NULL, "2023-02-29T00:00:00Z", "at: '2023-02-29T00:00:00Z' is not a UTC time YYYY-MM-DDTHH:MM:SS[.FRACTION]Z"},
      {NULL, "2024-05-01 12:00:00Z", "at: '2024-05-01 12:00:00Z' is not a UTC time YYYY-MM-DDTHH:MM:SS[.FRACTION]Z"},
      {NULL, "2024-05-01T12:00:00+02:00",
       "at: '2024-05-01T12:00:00+02:00' is not a UTC time YYYY-MM-DDTHH:MM:SS[.FRACTION]Z"},
      {NULL, "2024-05-01T12:00:00.Z", "at: '2024-05-01T12:00:00.Z' is not a UTC time YYYY-MM-DDTHH:MM:SS[.FRACTION]Z"},
      {NULL, "2024-05-01T12:00:00.1234567890Z",
       "at: '2024-05-01T12:00:00.1234567890Z' is not a UTC time YYYY-MM-DDTHH:MM:SS[.FRACTION]Z"},
      {NULL, "2024-05-01T24:00:00Z", "at: '2024-05-01T24:00:00Z' is not a UTC time YYYY-MM-DDTHH:MM:SS[.FRACTION]Z"},
      {NULL, "1714564800", "at: '1714564800' is not a UTC time YYYY-MM-DDTHH:MM:SS[.FRACTION]Z"},
      {"two\nlines", NULL, "note: byte 4 is a control character; a note is one line of text"},
      {"\x1b[31mred", NULL, "note: byte 1 is a control character; a note is one line of text"},
      {"ok \xc2\x9b", NULL, "note: byte 4 is a control character; a note is one line of text"},
      {"caf\xe9", NULL, "note: byte 4 is not UTF-8"},
  };
  const char *V3 = "return {name = 'flat', params = {v = 3}, haircut = function(ctx) return {} end}";
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
    ao.note = bad[k].note;
    ao.at = bad[k].at;
    is(socloss_policy_add_with(led, V3, strlen(V3), &ao, NULL), SOCLOSS_EINVAL, "refused: %s", bad[k].msg);
    is_str(socloss_errmsg(led), bad[k].msg, "... with its reason");
  }
  char big[1024 + 2];  /* 1025 bytes and the NUL: one over the cap */
  memset(big, 'n', sizeof big - 1);
  big[sizeof big - 1] = 0;
  ao.note = big;
  ao.at = NULL;
  is(socloss_policy_add_with(led, V3, strlen(V3), &ao, NULL), SOCLOSS_EINVAL, "a note of 1025 bytes is refused");
  is_str(socloss_errmsg(led), "note: 1025 bytes; a note holds at most 1024", "... saying the cap");
  ok(fp_equal(before, fp_of(led)), "no refused note or time wrote anything");
  socloss_role_change ch;
  socloss_role_options zero;
  memset(&zero, 0, sizeof zero);
  is(socloss_policy_role_set(led, &zero, NULL), SOCLOSS_EINVAL, "options not made by init are refused");
  is_str(socloss_errmsg(led), "options: not set by socloss_role_options_init", "... rather than read as 'clear'");
  is(role_set(led, SOCLOSS_POLICY_ACTIVE, "flat", NULL, NULL, "yesterday", &ch), SOCLOSS_EINVAL,
     "a role change with a bad time is refused too");
  ok(fp_equal(before, fp_of(led)), "... writing nothing");

  /* unknown markets */
  is(socloss_policy_activate(led, "flat", SOCLOSS_POLICY_ACTIVE, "NOPE", NULL), SOCLOSS_ENOTFOUND,
     "activating for a market the ledger does not have is refused");
  is_str(socloss_errmsg(led), "market: unknown market 'NOPE'", "naming the market");
  is(role_set(led, SOCLOSS_POLICY_SHADOW, "other", "NOPE", NULL, NULL, &ch), SOCLOSS_ENOTFOUND,
     "a shadow for it likewise");
  ok(fp_equal(before, fp_of(led)), "nothing written");

  /* no-op changes write nothing */
  is(socloss_policy_set(led, SOCLOSS_POLICY_SHADOW, NULL, 0, NULL), SOCLOSS_OK, "clearing a shadow when none is set");
  ok(fp_equal(before, fp_of(led)), "... writes nothing");
  is(role_set(led, SOCLOSS_POLICY_FALLBACK, NULL, "ETH", NULL, NULL, &ch), SOCLOSS_OK,
     "clearing ETH's fallback when none is set");
  ok(ch.seq == 0 && ch.shadow_seq == 0 && fp_equal(before, fp_of(led)), "... says so (seq 0) and writes nothing");
  is(role_set(led, SOCLOSS_POLICY_ACTIVE, "flat", NULL, NULL, "2024-05-02T08:30:00.5Z", &ch), SOCLOSS_OK,
     "flat active");
  is(ch.seq, 13, "journal record 13");
  snprintf(want, sizeof want,
           "{\"seq\":13,\"type\":\"policy\",\"role\":\"active\",\"name\":\"flat\",\"hash\":\"%s\",\"params\":{},"
           "\"at\":\"2024-05-02T08:30:00.5Z\"}",
           i1.hash);
  is_str(last_record(led).json, want, "the role's record carries the host's time");
  before = fp_of(led);
  is(role_set(led, SOCLOSS_POLICY_ACTIVE, "flat", NULL, "{}", "2024-05-03T00:00:00Z", &ch), SOCLOSS_OK,
     "flat active again (params {}: as none)");
  ok(ch.seq == 0 && fp_equal(before, fp_of(led)), "... writes nothing");
  is(socloss_policy_activate(led, "flat@1", SOCLOSS_POLICY_ACTIVE, NULL, NULL), SOCLOSS_OK, "and through the old call");
  ok(fp_equal(before, fp_of(led)), "... writes nothing either");
  is(role_set(led, SOCLOSS_POLICY_ACTIVE, "flat", NULL, "{\"v\":1}", NULL, &ch), SOCLOSS_OK,
     "flat active with other params");
  is(ch.seq, 14, "is a change: record 14");

  /* the shadow made active is cleared */
  is(role_set(led, SOCLOSS_POLICY_SHADOW, "other", NULL, NULL, NULL, &ch), SOCLOSS_OK, "other as the shadow");
  is(ch.seq, 15, "record 15");
  is(role_set(led, SOCLOSS_POLICY_SHADOW, "flat", "BTC", "{\"v\":2}", NULL, &ch), SOCLOSS_OK,
     "flat {v=2} as BTC's shadow");
  is(role_set(led, SOCLOSS_POLICY_FALLBACK, "other", "ETH", NULL, NULL, &ch), SOCLOSS_OK, "other as ETH's fallback");
  entries_of(led, NULL, list);
  is_str(list,
         "flat@1 [active{\"v\":1} shadow/BTC{\"v\":2}] note=alice: flat, for small accounts \xe2\x80\x94 see the forum "
         "at=2024-05-01T12:00:00Z; other@1 [fallback/ETH shadow]; ",
         "the listing says which policy holds which role where");
  is(role_set(led, SOCLOSS_POLICY_ACTIVE, "flat", "BTC", NULL, NULL, &ch), SOCLOSS_OK,
     "flat (no params) active for BTC, where its shadow has {v=2}");
  ok(ch.seq == 18 && ch.shadow_seq == 0, "BTC's shadow stays: the trial is of other params");
  is(role_set(led, SOCLOSS_POLICY_ACTIVE, "other", NULL, NULL, "2024-06-01T00:00:00Z", &ch), SOCLOSS_OK,
     "other, the shadow, made active ledger-wide");
  ok(ch.seq == 19 && ch.shadow_seq == 20, "two records: the activation (19), the shadow cleared (20)");
  is_str(last_record(led).json,
         "{\"seq\":20,\"type\":\"policy\",\"role\":\"shadow\",\"name\":\"\",\"hash\":\"\",\"params\":{},"
         "\"at\":\"2024-06-01T00:00:00Z\"}",
         "the shadow's clearing, at the same time");
  is(role_set(led, SOCLOSS_POLICY_ACTIVE, "flat", "BTC", "{\"v\":2}", NULL, &ch), SOCLOSS_OK,
     "flat {v=2}, BTC's shadow, made BTC's active policy");
  ok(ch.seq == 21 && ch.shadow_seq == 22, "its shadow cleared too (21, 22)");
  is_str(last_record(led).json,
         "{\"seq\":22,\"type\":\"policy\",\"role\":\"shadow\",\"name\":\"\",\"hash\":\"\",\"params\":{},"
         "\"market\":\"BTC\"}",
         "... for BTC");
  entries_of(led, NULL, list);
  is_str(list,
         "flat@1 [active/BTC{\"v\":2}] note=alice: flat, for small accounts \xe2\x80\x94 see the forum "
         "at=2024-05-01T12:00:00Z; other@1 [active fallback/ETH]; ",
         "no policy is left as its own shadow (other replaced flat ledger-wide)");
  entries_of(led, "other", list);
  is_str(list, "other@1 [active fallback/ETH]; ", "one entry by its name");
  entries_of(led, "nothing", list);
  is_str(list, "error 3: policy: no policy 'nothing' in the registry", "an unknown one is named");
  const socloss_resolution *r;
  socloss_resolve_options o;
  socloss_resolve_options_init(&o);
  o.id = "dz";
  ok(socloss_resolve(led, "z", &o, &r) == SOCLOSS_OK && !strcmp(r->policy_name, "other"), "z (ETH) decided by other");
  int shadows = 0;
  socloss_journal(led, 1, count_type_cb, &shadows);
  is(shadows, 0, "and no shadow decided it again");
  ok(invariants_hold(led), "invariants");
  drop_ledger(led, dir);
}

/* ---- the older bytes ------------------------------------------------------ */

/* A record or entry without a note or a time is the older format byte for
 * byte, and the older formats still read as they did. */
static void older_bytes(void) {
  const char *hash = "2ae6e6c1366c122e3f32fb56a44f3175e68e8eb7fe8f426571b60069579e4a63";
  codec_buf b = {0}, old = {0};
  /* policy_added as written before: u8 1 | u8 114 | str name | u32 version | str hash */
  codec_buf_u8(&old, 1);
  codec_buf_u8(&old, EV_POLICY_ADD);
  codec_buf_str(&old, "flat");
  codec_buf_u32(&old, 1);
  codec_buf_str(&old, hash);
  record_policy_add_encode(&b, "flat", 1, hash, NULL, "");
  ok(b.len == old.len && !memcmp(b.p, old.p, b.len), "policy_added without a note or time: the older bytes (%zu)",
     b.len);
  char *j = aux_record_json(11, old.p, old.len);
  char want[512];
  snprintf(want, sizeof want, "{\"seq\":11,\"type\":\"policy_added\",\"name\":\"flat\",\"version\":1,\"hash\":\"%s\"}",
           hash);
  is_str(j, want, "and reads as before");
  free(j);
  codec_buf_free(&b);
  codec_buf_free(&old);

  /* policy as first written, before per-market roles: no market at all */
  codec_buf_u8(&old, 1);
  codec_buf_u8(&old, EV_POLICY);
  codec_buf_u8(&old, SOCLOSS_POLICY_FALLBACK);
  codec_buf_str(&old, "flat");
  codec_buf_str(&old, hash);
  codec_buf_blob(&old, "{\"v\":1}", 7);
  j = aux_record_json(5, old.p, old.len);
  snprintf(want, sizeof want,
           "{\"seq\":5,\"type\":\"policy\",\"role\":\"fallback\",\"name\":\"flat\",\"hash\":\"%s\",\"params\":{\"v\":1}}",
           hash);
  is_str(j, want, "a policy record of the first format reads as before");
  free(j);
  /* then with the market */
  codec_buf_str(&old, "ETH");
  record_policy_encode(&b, SOCLOSS_POLICY_FALLBACK, "flat", hash, "{\"v\":1}", "ETH", NULL);
  ok(b.len == old.len && !memcmp(b.p, old.p, b.len), "a policy record without a time: the per-market format's bytes");
  j = aux_record_json(5, old.p, old.len);
  snprintf(want, sizeof want,
           "{\"seq\":5,\"type\":\"policy\",\"role\":\"fallback\",\"name\":\"flat\",\"hash\":\"%s\",\"params\":{\"v\":1},"
           "\"market\":\"ETH\"}",
           hash);
  is_str(j, want, "... read as before");
  free(j);
  codec_buf_free(&b);
  codec_buf_free(&old);
}

int main(void) {
  manners();
  older_bytes();
  char dir[64];
  socloss *led = new_ledger(dir, 0);
  socloss_source m = src_of("m", "market,mark_price\nBTC,100\nETH,50\n"),
                 a = src_of("a", "account,balance\nx,-10\ny,1000\nz,-10\nw,1000\n"),
                 p = src_of("p", "account,market,size,entry_price\nx,BTC,1,100\ny,BTC,-1,100\nz,ETH,2,50\nw,ETH,-2,50\n");
  ok(socloss_import_csv(led, &m, &a, &p, NULL) == SOCLOSS_OK, "two markets, x bankrupt in BTC, z in ETH");
  socloss_policy_info i1, i2, i3, f;
  is(socloss_policy_add(led, V1, strlen(V1), &i1), SOCLOSS_OK, "add flat");
  ok(!strcmp(i1.name, "flat") && i1.version == 1 && i1.seq == 11 && i1.source_len == strlen(V1),
     "flat@1, journal record 11 (after the 10 imported)");
  is(socloss_policy_add(led, V2, strlen(V2), &i2), SOCLOSS_OK, "add a changed flat");
  is(i2.version, 2, "it is flat@2");
  is(socloss_policy_add(led, OTHER, strlen(OTHER), &i3), SOCLOSS_OK, "add other");
  fingerprint before = fp_of(led);
  is(socloss_policy_add(led, V1, strlen(V1), &f), SOCLOSS_EEXIST, "the same source again is refused");
  ok(strstr(socloss_errmsg(led), "already in the registry as flat@1") && f.version == 1, "naming its entry");
  const char *bad = "return {name = 'bad'}";
  is(socloss_policy_add(led, bad, strlen(bad), NULL), SOCLOSS_EPOLICY, "a policy without functions is refused");
  ok(fp_equal(before, fp_of(led)), "refusals change nothing");
  char names[256] = "";
  ok(socloss_policy_list(led, count_cb, names) == 0, "list");
  is_str(names, "flat@1 flat@2 other@1 ", "by name, then version");

  char *src = NULL;
  ok(socloss_policy_find(led, "flat", &f, &src) == 0 && f.version == 2 && !strcmp(src, V2), "NAME finds the latest");
  free(src);
  ok(socloss_policy_find(led, "flat@1", &f, NULL) == 0 && !strcmp(f.hash, i1.hash), "NAME@VERSION finds that one");
  char prefix[13];
  memcpy(prefix, i3.hash, 12);
  prefix[12] = 0;
  ok(socloss_policy_find(led, prefix, &f, NULL) == 0 && !strcmp(f.name, "other"), "a hash prefix finds it");
  is(socloss_policy_find(led, "nothing", &f, NULL), SOCLOSS_ENOTFOUND, "an unknown name");
  is_str(socloss_errmsg(led), "policy: no policy 'nothing' in the registry", "is named");
  is(socloss_policy_find(led, "flat@7", &f, NULL), SOCLOSS_ENOTFOUND, "an unknown version too");

  ok(socloss_policy_activate(led, "flat@1", SOCLOSS_POLICY_ACTIVE, NULL, NULL) == 0, "flat@1 active ledger-wide");
  ok(socloss_policy_activate(led, "other", SOCLOSS_POLICY_ACTIVE, "ETH", "{\"k\":1}") == 0, "other active for ETH");
  is(socloss_policy_activate(led, "flat", SOCLOSS_POLICY_ACTIVE, "B C", NULL), SOCLOSS_EINVAL, "a bad market id is refused");
  ok(socloss_policy_activate(led, "flat@2", SOCLOSS_POLICY_SHADOW, NULL, NULL) == 0, "flat@2 as the shadow");
  const socloss_resolution *r;
  socloss_resolve_options o;
  socloss_resolve_options_init(&o);
  o.id = "dx";
  ok(socloss_resolve(led, "x", &o, &r) == 0 && !strcmp(r->policy_name, "flat") && !strcmp(r->policy_hash, i1.hash),
     "x's deficit (BTC) is decided by flat@1");
  o.id = "dz";
  ok(socloss_resolve(led, "z", &o, &r) == 0 && !strcmp(r->policy_name, "other") && !strcmp(r->params, "{\"k\":1}"),
     "z's deficit (ETH) by other, with the market's params");
  char shadow[512] = "";
  socloss_journal(led, 1, shadow_cb, shadow);
  ok(strstr(shadow, "\"id\":\"dz\"") && strstr(shadow, "\"policy\":{\"name\":\"flat\"") &&
         strstr(shadow, "\"same\":true") && strstr(shadow, "\"decision\":{\"deleveraged\":[]"),
     "the shadow decided z's deficit too, the same way, journaled: %.120s", shadow);
  ok(!strcmp(r->policy_name, "other"), "and was not applied");
  ok(invariants_hold(led), "invariants");
  drop_ledger(led, dir);
  return done_testing();
}
