/*
 * err.c — the thread's last message and the log helper.
 */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "text.h"

static _Thread_local char message[ERRMSG_MAX];

char *err_buf(void) { return message; }

/* Every message is made valid UTF-8 without control characters as it is
 * written (text_clean): whatever it quotes (a policy's error, a path), it is
 * one line a terminal shows as it is, and JSON can carry it. */
int err_fail(int code, const char *fmt, ...) {
  char raw[ERRMSG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(raw, sizeof raw, fmt, ap);
  va_end(ap);
  text_clean(message, sizeof message, raw);
  return code;
}

void err_prefix(const char *fmt, ...) {
  char raw[ERRMSG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(raw, sizeof raw, fmt, ap);
  va_end(ap);
  size_t n = strlen(raw), room = ERRMSG_MAX - 1 - n, m = strnlen(message, sizeof message);
  if (m > room) m = room;
  memcpy(raw + n, message, m);
  raw[n + m] = 0;
  text_clean(message, sizeof message, raw);
}

void log_say(const log_sink *sink, const char *fmt, ...) {
  if (!sink || !sink->fn) return;
  char msg[ERRMSG_MAX + 128];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  sink->fn(sink->ud, msg);
}
