/*
 * The policy registry: entries by hash with name, version and journal
 * sequence; activation ledger-wide and per market; refusals change nothing.
 */
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

int main(void) {
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
