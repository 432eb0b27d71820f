/*
 * buildid.h — the evaluator's build id: the SHA-256 of its own executable,
 * read at start-up (before the seccomp filter, which allows no open), so
 * that every decision can name the interpreter that made it.
 */
#ifndef SOCLOSS_BUILDID_H
#define SOCLOSS_BUILDID_H

#include <stddef.h>

/* out gets the lowercase hex SHA-256 of the file at path, or "" when it
 * cannot be read. */
void buildid_of_file(const char *path, char out[65]);

/* The hex SHA-256 of len bytes (for the tests of the hash itself). */
void buildid_sha256_hex(const void *p, size_t len, char out[65]);

#endif
