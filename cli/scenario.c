/*
 * A move's percentage read exactly, and --scenario FILE: a simulation's
 * steps as JSON Lines (docs/cli.md, "simulate"), checked line by line before
 * the ledger opens, errors as FILE:LINE: field: reason.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int pct_of(const char *pct, int64_t *ppm, char *why, size_t wlen) {
  const char *p = pct;
  int neg = *p == '-';
  if (*p == '-' || *p == '+') p++;
  int64_t whole = 0, frac = 0;
  int digits = 0, decimals = 0;
  for (; *p >= '0' && *p <= '9'; p++, digits++)
    if (whole <= 1000000) whole = whole * 10 + (*p - '0');  /* beyond: refused below all the same */
  if (*p == '.')
    for (p++; *p >= '0' && *p <= '9'; p++, digits++)
      if (++decimals <= 4) frac = frac * 10 + (*p - '0');
  if (!digits || *p) {
    snprintf(why, wlen, "PCT '%.40s' is not a percentage (like -20 or 12.5)", pct);
    return -1;
  }
  if (decimals > 4) {
    snprintf(why, wlen, "PCT has at most 4 decimals (a move is counted in millionths)");
    return -1;
  }
  for (int d = decimals; d < 4; d++) frac *= 10;
  int64_t v = whole * 10000 + frac;  /* whole <= 10,000,009: no overflow */
  if (neg) v = -v;
  if (v <= -1000000) {
    snprintf(why, wlen, "a shock of %.40s%% would make the mark 0 or less; PCT must be > -100", pct);
    return -1;
  }
  if (v > 10000000000LL) {
    snprintf(why, wlen, "PCT must be at most 1000000");
    return -1;
  }
  *ppm = v;
  return 0;
}

void scenario_free(scenario *sc) {
  free(sc->steps);
  free(sc->moves);
  free(sc->names);
  memset(sc, 0, sizeof *sc);
}

/* "FILE:LINE: field: reason" into sc->why; returns -1. */
static int bad(scenario *sc, const char *file, size_t line, const char *field, const char *reason) {
  snprintf(sc->why, sizeof sc->why, "%s:%zu: %s: %s", file, line, field, reason);
  return -1;
}

/* One move {"market":M,"pct":P} of step k into sc (its market's name copied
 * into sc->names at slot n). */
static int move_of(scenario *sc, const char *file, size_t line, size_t i, json_t *mv, size_t n) {
  char field[64], why[200];
  const char *key;
  json_t *v;
  snprintf(field, sizeof field, "moves[%zu]", i);
  if (!json_is_object(mv)) return bad(sc, file, line, field, "not an object {\"market\":...,\"pct\":...}");
  json_object_foreach(mv, key, v) if (strcmp(key, "market") && strcmp(key, "pct")) {
    snprintf(why, sizeof why, "unknown key '%.40s' (market, pct)", key);
    return bad(sc, file, line, field, why);
  }
  json_t *m = json_object_get(mv, "market"), *p = json_object_get(mv, "pct");
  snprintf(field, sizeof field, "moves[%zu].market", i);
  if (!json_is_string(m) || !json_string_length(m)) return bad(sc, file, line, field, "a market's id (a string) is required");
  if (json_string_length(m) > SOCLOSS_ID_MAX || strlen(json_string_value(m)) != json_string_length(m)) {
    snprintf(why, sizeof why, "not a market id (1 to %d bytes, no NUL)", SOCLOSS_ID_MAX);
    return bad(sc, file, line, field, why);
  }
  char *name = sc->names[n];
  snprintf(name, SOCLOSS_ID_MAX + 1, "%s", json_string_value(m));
  for (size_t j = 0; j < i; j++)
    if (!strcmp(sc->names[n - i + j], name)) {
      snprintf(why, sizeof why, "%s is moved twice in this step (moves[%zu]); give one move per market", name, j);
      return bad(sc, file, line, field, why);
    }
  snprintf(field, sizeof field, "moves[%zu].pct", i);
  char text[32];
  if (json_is_string(p)) {
    if (json_string_length(p) >= sizeof text) return bad(sc, file, line, field, "PCT is longer than 31 bytes");
    snprintf(text, sizeof text, "%s", json_string_value(p));
  } else if (json_is_integer(p)) {
    snprintf(text, sizeof text, "%lld", (long long)json_integer_value(p));
  } else {
    return bad(sc, file, line, field,
               json_is_real(p) ? "a number with a fraction is read through floating point: give it as a string, like \"-12.5\""
                               : "a percentage (a string like \"-12.5\", or an integer) is required");
  }
  if (pct_of(text, &sc->moves[n].ppm, why, sizeof why)) return bad(sc, file, line, field, why);
  sc->moves[n].market = name;
  return 0;
}

int scenario_parse(scenario *sc, const char *file, const char *data, size_t len) {
  memset(sc, 0, sizeof *sc);
  /* bounded before anything is allocated: lines and moves are counted first */
  size_t lines = 0, cap_moves = 0;
  for (size_t i = 0; i < len; i++) lines += data[i] == '\n';
  lines++;
  sc->steps = calloc(lines < SCENARIO_STEPS_MAX ? lines : SCENARIO_STEPS_MAX, sizeof *sc->steps);
  cap_moves = (lines < SCENARIO_STEPS_MAX ? lines : SCENARIO_STEPS_MAX) * SCENARIO_MOVES_MAX;
  if (!sc->steps) return bad(sc, file, 0, "file", "out of memory");
  size_t n = 0, line = 0;
  for (size_t at = 0; at < len;) {
    const char *s = data + at, *nl = memchr(s, '\n', len - at);
    size_t l = nl ? (size_t)(nl - s) : len - at;
    at += l + (nl != NULL);
    line++;
    size_t k = 0;
    while (k < l && (s[k] == ' ' || s[k] == '\t' || s[k] == '\r')) k++;
    if (k == l) continue;  /* a blank line */
    if (sc->nsteps == SCENARIO_STEPS_MAX) {
      char why[80];
      snprintf(why, sizeof why, "more than %d steps", SCENARIO_STEPS_MAX);
      return bad(sc, file, line, "step", why);
    }
    json_error_t je;
    json_t *o = json_loadb(s, l, JSON_REJECT_DUPLICATES, &je);
    if (!o) return bad(sc, file, line, "json", je.text);
    int rc = 0;
    const char *key;
    json_t *v;
    char why[200];
    if (!json_is_object(o)) rc = bad(sc, file, line, "step", "not an object {\"moves\":[...],\"mode\":...}");
    if (!rc) json_object_foreach(o, key, v) if (!rc && strcmp(key, "moves") && strcmp(key, "mode")) {
        snprintf(why, sizeof why, "unknown key '%.40s' (moves, mode)", key);
        rc = bad(sc, file, line, "step", why);
      }
    json_t *moves = rc ? NULL : json_object_get(o, "moves"), *mode = rc ? NULL : json_object_get(o, "mode");
    if (!rc && !json_is_array(moves)) rc = bad(sc, file, line, "moves", "a list of moves is required (it may be [])");
    if (!rc && json_array_size(moves) > SCENARIO_MOVES_MAX) {
      snprintf(why, sizeof why, "%zu moves, at most %d in a step", json_array_size(moves), SCENARIO_MOVES_MAX);
      rc = bad(sc, file, line, "moves", why);
    }
    socloss_sim_step *st = &sc->steps[sc->nsteps];
    if (!rc && mode) {
      const char *mo = json_string_value(mode);
      if (mo && !strcmp(mo, "sequential")) st->mode = 1;
      else if (mo && !strcmp(mo, "joint")) st->mode = 2;
      else rc = bad(sc, file, line, "mode", "\"sequential\" or \"joint\" (absent: the run's --mode)");
    }
    if (!rc && !sc->moves && json_array_size(moves)) {
      sc->moves = calloc(cap_moves, sizeof *sc->moves);
      sc->names = calloc(cap_moves, sizeof *sc->names);
      if (!sc->moves || !sc->names) rc = bad(sc, file, line, "moves", "out of memory");
    }
    for (size_t i = 0; !rc && i < json_array_size(moves); i++)
      rc = move_of(sc, file, line, i, json_array_get(moves, i), n + i);
    if (!rc) {
      st->nshocks = json_array_size(moves);
      st->shocks = (const socloss_shock *)(uintptr_t)n;  /* an index: sc->moves is allocated at the first move */
      n += st->nshocks;
      sc->line[sc->nsteps] = line;
      sc->nsteps++;
    }
    json_decref(o);
    if (rc) return rc;
  }
  if (!sc->nsteps) return bad(sc, file, 1, "file", "no step (one JSON object a line)");
  for (size_t k = 0; k < sc->nsteps; k++)
    sc->steps[k].shocks = sc->steps[k].nshocks ? sc->moves + (uintptr_t)sc->steps[k].shocks : NULL;
  return 0;
}
