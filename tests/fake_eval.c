/*
 * A stand-in for socloss-eval that misbehaves on purpose, to test how the
 * ledger process survives its evaluator: it answers the load check like the
 * real one (a policy named "fake" with a haircut), then on the next request
 * does what FAKE_MODE says.  Three modes answer differently from the start:
 * OVERFLOW's policy has a deleverage step too, NAME names the policy after
 * its source (the text after "name="), and DATA answers the first request
 * (a test file's) with as many bytes of JSON as its source says.  MANY
 * answers one action more than the request allows; STATUS answers with a
 * status that only the host sets.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "evalproto.h"

#define CRASH 1
#define HANG 2
#define GARBAGE 3
#define EXIT 4
#define ABORT 5
#define HUGE 6      /* announces an answer of 2^31 bytes and sends them */
#define OVERFLOW 7  /* closes 2^62 lots of one holder twice */
#define NAME 8      /* a policy named by its source, then answers with no actions */
#define DATA 9      /* a test file's data of N bytes, N its source */
#define MANY 10     /* one action more than the request allows */
#define STATUS 11   /* answers with EVAL_MISSING, a status only the host may set */

static eval_market markets[256];

/* the shared region, as the real evaluator maps it ("--region": fd 3) */
static const unsigned char *region;
static size_t region_size;

static int decode(const void *in, size_t len, eval_request *rq) {
  return evalproto_decode_request_in(in, len, rq, markets, 256, region, region_size, NULL, 0);
}

static void answer(const eval_response *rs) {
  codec_buf out = {0};
  evalproto_encode_response(&out, rs);
  evalproto_write_frame(1, out.p, out.len);
  codec_buf_free(&out);
}

/* The request's source as a NUL-ended string (at most cap - 1 bytes). */
static void source_of(const void *in, size_t len, char *out, size_t cap) {
  eval_request rq;
  out[0] = 0;
  if (decode(in, len, &rq)) return;
  size_t n = rq.source_len < cap - 1 ? rq.source_len : cap - 1;
  memcpy(out, rq.source, n);
  out[n] = 0;
}

static void data(const void *in, size_t len) {
  char src[32];
  source_of(in, len, src, sizeof src);
  size_t n = strtoul(src, NULL, 10);
  if (n < 3) n = 3;
  char *json = malloc(n);  /* "[", spaces, "0]": valid JSON of exactly n bytes */
  if (!json) return;
  memset(json, ' ', n);
  json[0] = '[';
  json[n - 2] = '0';
  json[n - 1] = ']';
  eval_response rs;
  memset(&rs, 0, sizeof rs);
  rs.data = json;
  rs.data_len = n;
  answer(&rs);
  free(json);
}

static void huge(void) {
  static char zeros[1 << 20];
  uint64_t n = (uint64_t)1 << 31;
  if (write(1, &n, sizeof n) != sizeof n) return;
  for (uint64_t sent = 0; sent < n; sent += sizeof zeros)
    if (write(1, zeros, sizeof zeros) != sizeof zeros) return;
}

int main(int argc, char **argv) {
  struct stat st;
  if (argc == 2 && !strcmp(argv[1], "--region") && fstat(3, &st) == 0) {
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, 3, 0);
    if (p != MAP_FAILED) {
      region = p;
      region_size = (size_t)st.st_size;
    }
  }
  void *in;
  size_t len;
  if (evalproto_read_frame(0, &in, &len)) return 1;
  if (FAKE_MODE == DATA) {
    data(in, len);
    pause();
    return 0;
  }
  eval_response rs;
  memset(&rs, 0, sizeof rs);
  strcpy(rs.name, "fake");
  rs.has_haircut = 1;
  rs.has_deleverage = FAKE_MODE == OVERFLOW;
  if (FAKE_MODE == NAME) {
    char src[CODEC_ID_MAX + 6];  /* "name=" and 64 bytes */
    source_of(in, len, src, sizeof src);
    strcpy(rs.name, strncmp(src, "name=", 5) ? "fake" : src + 5);
  }
  answer(&rs);
  free(in);
  if (evalproto_read_frame(0, &in, &len)) return 1;
  switch (FAKE_MODE) {
    case CRASH:
      raise(SIGSEGV); break;
    case HANG: for (;;) pause(); break;
    case GARBAGE: evalproto_write_frame(1, "not a response", 14); break;
    case EXIT: return 3;
    case ABORT: abort();
    case HUGE: huge(); break;
    case OVERFLOW: {
      /* candidate 0 closes 2^62 lots twice in market 0: 2^63 in all, past int64 */
      eval_action close = {0, 0, (int64_t)1 << 62, EVAL_SHARE_FULL, 0}, twice[2] = {close, close};
      memset(&rs, 0, sizeof rs);
      rs.nactions = 2;
      rs.actions = twice;
      answer(&rs);
      break;
    }
    case MANY: {
      eval_request rq;
      if (decode(in, len, &rq)) break;
      memset(&rs, 0, sizeof rs);
      rs.nactions = evalproto_actions_max(&rq) + 1;
      eval_action *a = calloc(rs.nactions, sizeof *a);  /* candidate 0 charged 1 atom, again and again */
      for (size_t k = 0; a && k < rs.nactions; k++) a[k].value = 1;
      rs.actions = a;
      if (a) answer(&rs);
      free(a);
      break;
    }
    case STATUS:
      memset(&rs, 0, sizeof rs);
      rs.status = EVAL_MISSING;
      strcpy(rs.message, "the evaluator /nowhere is missing");
      answer(&rs);
      break;
    case NAME:  /* every step answers no actions, as long as it is asked */
      for (;;) {
        memset(&rs, 0, sizeof rs);
        answer(&rs);
        free(in);
        if (evalproto_read_frame(0, &in, &len)) return 0;
      }
  }
  pause();
  return 0;
}
