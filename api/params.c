/*
 * params.c - request numbers, checked once where they enter. See params.h.
 *
 * Why not strtod/strtoll alone: strtod takes "nan", "inf", "0x1p3" and
 * leading spaces, strtoll saturates at INT64_MIN/MAX, and both leave the
 * range to the caller. A saturated INT64_MIN "from" made to - from
 * overflow in the span check (issue 16). Here the grammar is explicit and
 * the range is part of the answer.
 */
#include "api/params.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

/* Decimal digits with at most one point, at least one digit, then the rest
 * (a unit) at *rest. */
static bool decimal_prefix(const char *s, const char **rest) {
    size_t digits = 0, points = 0;
    const char *p = s;
    for (; is_digit(*p) || *p == '.'; p++) {
        if (*p == '.')
            points++;
        else
            digits++;
    }
    *rest = p;
    return digits > 0 && points <= 1;
}

static int64_t unit_ms(const char *u) {
    if (!strcmp(u, "ms")) return 1;
    if (!strcmp(u, "s")) return 1000;
    if (!strcmp(u, "m")) return 60000;
    if (!strcmp(u, "h")) return 3600000;
    if (!strcmp(u, "d")) return 86400000;
    return 0;
}

bool api_time_ok(int64_t t) {
    return t >= 0 && t <= API_TIME_MAX_MS;
}

bool api_parse_count(const char *s, uint64_t min, uint64_t max, uint64_t *out) {
    if (!s || !*s) return false;
    uint64_t v = 0;
    for (const char *p = s; *p; p++) {
        if (!is_digit(*p)) return false;
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10) return false;
        v = v * 10 + d;
    }
    if (v < min || v > max) return false;
    *out = v;
    return true;
}

bool api_parse_time(const char *s, int64_t now_ms, int64_t *out) {
    if (!s || !*s) return false;
    if (!strcmp(s, "now")) {
        if (!api_time_ok(now_ms)) return false;
        *out = now_ms;
        return true;
    }
    if (s[0] == '-') { /* an offset back from now: a number and a unit */
        const char *unit;
        if (!decimal_prefix(s + 1, &unit)) return false;
        int64_t u = unit_ms(unit);
        if (!u) return false;
        errno = 0;
        double v = strtod(s + 1, NULL);
        if (errno || !(v >= 0) || v * (double)u > (double)API_TIME_MAX_MS) return false;
        int64_t back = (int64_t)(v * (double)u);
        *out = back >= now_ms ? 0 : now_ms - back;
        return api_time_ok(*out);
    }
    uint64_t v;
    if (!api_parse_count(s, 0, (uint64_t)API_TIME_MAX_MS, &v)) return false;
    *out = (int64_t)v;
    return true;
}

bool api_parse_duration(const char *s, int64_t *out) {
    if (!s) return false;
    const char *unit;
    if (!decimal_prefix(s, &unit)) return false;
    int64_t u = *unit ? unit_ms(unit) : 1;
    if (!u) return false;
    errno = 0;
    double v = strtod(s, NULL);
    if (errno || !(v > 0)) return false;
    double ms = v * (double)u;
    if (!(ms >= 1) || ms > (double)API_DURATION_MAX_MS) return false;
    *out = (int64_t)ms;
    return true;
}

bool api_parse_real(const char *s, double min, double max, double *out) {
    if (!s || !*s) return false;
    const char *p = s;
    if (*p == '-' || *p == '+') p++;
    const char *rest;
    if (!decimal_prefix(p, &rest)) return false;
    /* an exponent is allowed: 1e-3 */
    if (*rest == 'e' || *rest == 'E') {
        rest++;
        if (*rest == '-' || *rest == '+') rest++;
        if (!is_digit(*rest)) return false;
        while (is_digit(*rest)) rest++;
    }
    if (*rest) return false;
    errno = 0;
    char *end;
    double v = strtod(s, &end);
    if (end != rest || !isfinite(v) || v < min || v > max) return false;
    *out = v;
    return true;
}

size_t api_split_list(char *s, char **out, size_t cap, bool *overflow) {
    size_t n = 0;
    *overflow = false;
    char *save = NULL;
    for (char *tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (!*tok) continue;
        if (n == cap) {
            *overflow = true;
            break;
        }
        out[n++] = tok;
    }
    return n;
}
