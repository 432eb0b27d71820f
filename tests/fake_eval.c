/*
 * A stand-in for socloss-eval that misbehaves on purpose, to test how the
 * ledger process survives its evaluator: it answers the load check like the
 * real one (a policy named "fake" with a haircut), then on the next request
 * does what FAKE_MODE says.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "evalproto.h"

#define CRASH 1
#define HANG 2
#define GARBAGE 3
#define EXIT 4
#define ABORT 5

int main(void) {
  void *in;
  size_t len;
  if (evalproto_read_frame(0, &in, &len)) return 1;
  eval_response rs;
  memset(&rs, 0, sizeof rs);
  strcpy(rs.name, "fake");
  rs.has_haircut = 1;
  codec_buf out = {0};
  evalproto_encode_response(&out, &rs);
  evalproto_write_frame(1, out.p, out.len);
  if (evalproto_read_frame(0, &in, &len)) return 1;
  switch (FAKE_MODE) {
    case CRASH:
      raise(SIGSEGV); break;
    case HANG: for (;;) pause(); break;
    case GARBAGE: evalproto_write_frame(1, "not a response", 14); break;
    case EXIT: return 3;
    case ABORT: abort();
  }
  pause();
  return 0;
}
