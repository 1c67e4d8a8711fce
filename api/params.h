/*
 * params.h - the one place where a request's text becomes numbers (internal
 * to api/). Every time, duration, count and real number of a query string
 * or body passes through these before any arithmetic, so that the handlers
 * and the modules below them only ever see values in the ranges here:
 *
 *   times      0 .. API_TIME_MAX_MS (9999-12-31T23:59:59.999Z, the end of
 *              what RFC 3339 can write, well inside the historian's own
 *              bound of 2^53 ms), so that to - from, from - 1 and to + step
 *              cannot overflow, and no time a request names is nonsense;
 *   durations  1 .. API_DURATION_MAX_MS (about 317 years);
 *   counts     decimal digits only, within the caller's [min, max];
 *   reals      finite, decimal, within the caller's [min, max].
 *
 * Pure functions of their arguments: no allocation, no locks, any thread.
 */
#ifndef PARKWATCH_API_PARAMS_H
#define PARKWATCH_API_PARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define API_TIME_MAX_MS     ((int64_t)253402300799999) /* 9999-12-31T23:59:59.999Z */
#define API_DURATION_MAX_MS ((int64_t)10000000000000)  /* 1e13 ms */

/* A time, always to ms since 1970 within 0 .. API_TIME_MAX_MS:
 *   - plain digits: milliseconds ("1765099800000"), as always;
 *   - digits with a fraction: SECONDS ("1765099800.5", "1765099800.0"): the
 *     point is what tells seconds from milliseconds; digits past the third
 *     decimal are dropped (floor);
 *   - RFC 3339: "2026-12-07T09:30:00Z", "2026-12-07T17:30:00.250+08:00"
 *     ('t', 'z' or a space for 'T' also; no leap second ":60");
 *   - "now", or an offset back from now ("-10s", "-30m", "-1h", "-2d",
 *     "-500ms"); an offset reaching before 1970 gives 0.
 * False for anything else, including times before 1970. */
bool api_parse_time(const char *s, int64_t now_ms, int64_t *out);

/* The same, but plain digits are seconds (Prometheus's time=, start=,
 * end=): "1765099800", "1765099800.5", RFC 3339, "now", offsets. */
bool api_parse_time_s(const char *s, int64_t now_ms, int64_t *out);

/* A duration: "60000" (ms), "500ms", "10s", "1m", "1h", "1d", at least
 * 1 ms and at most API_DURATION_MAX_MS. */
bool api_parse_duration(const char *s, int64_t *out);

/* A count: decimal digits alone (no sign, space, "0x" or exponent) with a
 * value in [min, max]. */
bool api_parse_count(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* A real number in decimal notation (no hex, "inf" or "nan"), finite and
 * in [min, max]. */
bool api_parse_real(const char *s, double min, double max, double *out);

/* Whether a time given in a JSON body (already an integer) is in range. */
bool api_time_ok(int64_t t);

/* Splits a comma-separated list in place; returns the count of non-empty
 * pieces (at most cap; *overflow when there were more). */
size_t api_split_list(char *s, char **out, size_t cap, bool *overflow);

#endif
