/*
 * datajson.h — the value a test file returns, as the JSON the host parses
 * (EVAL_FN_DATA).  Evaluator side only.
 */
#ifndef SOCLOSS_DATAJSON_H
#define SOCLOSS_DATAJSON_H

#include <lua.h>

#include "bytes.h"

/* Appends the value at idx to out as compact JSON; a Lua error (out keeps
 * what was written, for the caller to free) when the value has no JSON form
 * or the text would pass EVAL_DATA_MAX bytes. */
void datajson_write(lua_State *L, int idx, codec_buf *out);

#endif
