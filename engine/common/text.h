/*
 * text.h — text from outside in messages.  Input a message quotes (an id, a
 * field, a path, a policy's error) must not act on the terminal that shows
 * it, and every message must be valid UTF-8, for it also goes into JSON
 * (resolve --json's "failure", the journal's "cause"), which jansson takes
 * as UTF-8 only and drops otherwise.
 */
#ifndef SOCLOSS_TEXT_H
#define SOCLOSS_TEXT_H

#include <stddef.h>

/* The room text_quote needs for `max` bytes of input. */
#define TEXT_QUOTED(max) (4 * (max) + 1)

/* The first `max` of the len bytes at s as printable ASCII, into out
 * (TEXT_QUOTED(max) bytes): each byte outside 0x20-0x7e, NUL and UTF-8
 * included, as \xNN, so that a quoted id or field shows what its bytes are
 * (ids are printable ASCII) and no escape sequence reaches a terminal.
 * Returns out. */
const char *text_quote(char *out, const char *s, size_t len, size_t max);

/* The length of the valid UTF-8 sequence at s (n bytes left), or 0: no
 * overlong form, no surrogate, nothing past U+10FFFF (jansson's rules). */
size_t utf8_len(const unsigned char *s, size_t n);

/* The NUL-ended s as valid UTF-8 without control characters, into out (cap
 * bytes, NUL-ended, cut between characters): each byte that is not part of
 * valid UTF-8 as U+FFFD, each control character (C0, DEL, C1) as \xNN of its
 * bytes; printable text and \xNN stay as they are, so cleaning twice is
 * cleaning once.  Returns the length written. */
size_t text_clean(char *out, size_t cap, const char *s);

/* In place, keeping the length: each byte of the n at s that is a control
 * character (C0 but '\n' when keep_newline, DEL, both bytes of a C1) or not
 * part of valid UTF-8 becomes '?'.  Clean text is left as it is. */
void text_tame(char *s, size_t n, int keep_newline);

#endif
