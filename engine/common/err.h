/*
 * err.h — the one place that owns the message of the last failed call and
 * the one helper that tells a host's log callback.  Each thread has its own
 * message (like errno), so threads sharing a handle never overwrite each
 * other's.  Used by store/ and every layer of the library above it.
 */
#ifndef SOCLOSS_ERR_H
#define SOCLOSS_ERR_H

#include <stddef.h>

#define ERRMSG_MAX 1024

/* This thread's message buffer (ERRMSG_MAX bytes). */
char *err_buf(void);
#define ERRBUF (err_buf())

/* Writes the message and returns code, so that `return err_fail(...)` reads
 * as what it does. */
int err_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Puts a prefix in front of the current message ("file:12: " + "amount: ..."). */
void err_prefix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A host's log callback, as the options carry it. */
typedef struct log_sink {
  void (*fn)(void *ud, const char *message);
  void *ud;
} log_sink;

/* Formats a line and hands it to the sink; nothing when it has no callback. */
void log_say(const log_sink *sink, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
