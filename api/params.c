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

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; H. Hinnant's
 * days_from_civil), for years 0..9999: no overflow in int64. */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* n digits at s as a number, or -1. */
static int64_t digits_n(const char *s, int n) {
    int64_t v = 0;
    for (int i = 0; i < n; i++) {
        if (!is_digit(s[i])) return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* A fraction of a second after the '.', to ms (floor: digits past the
 * third are dropped, as line protocol's ns are); *end after it. */
static bool fraction_ms(const char *s, int64_t *ms, const char **end) {
    int64_t v = 0;
    int n = 0;
    for (; is_digit(s[n]); n++)
        if (n < 3) v = v * 10 + (s[n] - '0');
    if (!n) return false;
    for (int k = n; k < 3; k++) v *= 10;
    *ms = v;
    *end = s + n;
    return true;
}

/* RFC 3339: 2026-12-07T09:30:00Z, 2026-12-07T09:30:00.250+08:00 ('t', 'z'
 * and a space for 'T' too, as RFC 3339 allows). No leap second (:60).
 * Times before 1970 or past API_TIME_MAX_MS are refused. */
static bool parse_rfc3339(const char *s, int64_t *out) {
    if (strlen(s) < 20 || s[4] != '-' || s[7] != '-' || s[13] != ':' || s[16] != ':' ||
        (s[10] != 'T' && s[10] != 't' && s[10] != ' '))
        return false;
    int64_t y = digits_n(s, 4), mo = digits_n(s + 5, 2), d = digits_n(s + 8, 2);
    int64_t h = digits_n(s + 11, 2), mi = digits_n(s + 14, 2), sec = digits_n(s + 17, 2);
    if (y < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 ||
        sec > 59)
        return false;
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[mo - 1] + (mo == 2 && leap)) return false;
    const char *p = s + 19;
    int64_t ms = 0;
    if (*p == '.' && !fraction_ms(p + 1, &ms, &p)) return false;
    int64_t off_min = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int64_t oh = digits_n(p + 1, 2), om = p[3] == ':' ? digits_n(p + 4, 2) : -1;
        if (oh < 0 || oh > 23 || om < 0 || om > 59) return false;
        off_min = (*p == '-' ? -1 : 1) * (oh * 60 + om);
        p += 6;
    } else {
        return false;
    }
    if (*p) return false;
    int64_t t = ((days_from_civil(y, mo, d) * 24 + h) * 60 + mi - off_min) * 60 + sec;
    t = t * 1000 + ms; /* |t| < 2^49: no overflow */
    if (!api_time_ok(t)) return false;
    *out = t;
    return true;
}

/* Seconds since 1970 with an optional fraction ("1733563800.5"), to ms. */
static bool parse_seconds(const char *s, int64_t *out) {
    int64_t sec = 0, ms = 0;
    const char *p = s;
    if (!is_digit(*p)) return false;
    for (; is_digit(*p); p++) {
        if (sec > API_TIME_MAX_MS / 1000) return false; /* before it can overflow */
        sec = sec * 10 + (*p - '0');
    }
    if (*p == '.' && !fraction_ms(p + 1, &ms, &p)) return false;
    if (*p || sec > API_TIME_MAX_MS / 1000) return false;
    int64_t t = sec * 1000 + ms;
    if (!api_time_ok(t)) return false;
    *out = t;
    return true;
}

/* "now" and offsets back from it, shared by both time forms; -1: neither. */
static int parse_relative(const char *s, int64_t now_ms, int64_t *out) {
    if (!strcmp(s, "now")) {
        if (!api_time_ok(now_ms)) return 0;
        *out = now_ms;
        return 1;
    }
    if (s[0] != '-') return -1;
    /* an offset back from now: a number and a unit */
    const char *unit;
    if (!decimal_prefix(s + 1, &unit)) return 0;
    int64_t u = unit_ms(unit);
    if (!u) return 0;
    errno = 0;
    double v = strtod(s + 1, NULL);
    if (errno || !(v >= 0) || v * (double)u > (double)API_TIME_MAX_MS) return 0;
    int64_t back = (int64_t)(v * (double)u);
    *out = back >= now_ms ? 0 : now_ms - back;
    return api_time_ok(*out);
}

bool api_parse_time_s(const char *s, int64_t now_ms, int64_t *out) {
    if (!s || !*s) return false;
    int rel = parse_relative(s, now_ms, out);
    if (rel >= 0) return rel == 1;
    if (strchr(s, '-') || strchr(s, ':')) return parse_rfc3339(s, out);
    return parse_seconds(s, out);
}

bool api_parse_time(const char *s, int64_t now_ms, int64_t *out) {
    if (!s || !*s) return false;
    int rel = parse_relative(s, now_ms, out);
    if (rel >= 0) return rel == 1;
    if (strchr(s, '-') || strchr(s, ':')) return parse_rfc3339(s, out);
    /* a fraction says seconds; plain digits stay milliseconds, as always */
    if (strchr(s, '.')) return parse_seconds(s, out);
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
