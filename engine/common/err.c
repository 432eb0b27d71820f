/*
 * err.c — the thread's last message and the log helper.
 */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char message[ERRMSG_MAX];

char *err_buf(void) { return message; }

int err_fail(int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(message, sizeof message, fmt, ap);
  va_end(ap);
  return code;
}

void err_prefix(const char *fmt, ...) {
  char rest[ERRMSG_MAX];
  memcpy(rest, message, sizeof rest);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(message, sizeof message, fmt, ap);
  va_end(ap);
  size_t n = strlen(message), room = ERRMSG_MAX - 1 - n, m = strnlen(rest, sizeof rest);
  if (m > room) m = room;
  memcpy(message + n, rest, m);
  message[n + m] = 0;
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
