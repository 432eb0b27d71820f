/*
 * constants.h — refuses a compiled chunk that Lua 5.4.4 may have
 * miscompiled: one with a function of more than 255 constants (upstream bug
 * 3 of 5.4.4, docs/design.md §8).
 */
#ifndef SOCLOSS_CONSTANTS_H
#define SOCLOSS_CONSTANTS_H

#include <lua.h>
#include <stddef.h>

#define CONSTANTS_MAX 255

/* The Lua function on top of the stack (a chunk just compiled from source
 * named "policy"): 0 when each of its functions has at most CONSTANTS_MAX
 * constants; else -1 with why (the first function over, or why they could
 * not be counted) in msg. */
int constants_check(lua_State *L, char *msg, size_t len);

#endif
