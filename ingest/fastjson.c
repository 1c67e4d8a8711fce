/*
 * fastjson.c - a fast path for the common Parkwatch JSON message,
 *
 *   {"ts": <int>, "values": {"tag": <number|true|false>, ...},
 *    "quality": {"tag": "good"|"uncertain"|"bad"|<0..255>, ...}}
 *
 * parsed without building a jansson tree: jansson allocates a node per key
 * and value, which is most of what ingest spends in user space at a million
 * readings a second. The fast path only ever accepts a message it can read
 * exactly as the jansson path would (same readings, same order); anything
 * else (escapes in strings, other keys, other value types, duplicates,
 * numbers jansson would reject or treat differently, arrays) answers
 * "not mine" and the caller parses the message with jansson. It emits
 * nothing until the whole message has been read, so a fallback never
 * repeats a reading. test_payload.c checks both paths agree on random
 * messages.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/internal.h"

#define FAST_MAX_QUALITY 16

typedef struct span {
    const char *p;
    size_t n;
} span;

typedef struct cursor {
    const char *p, *end;
} cursor;

static void skip_ws(cursor *c) {
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static bool eat(cursor *c, char ch) {
    skip_ws(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return true;
    }
    return false;
}

/* A string without escapes or control bytes (anything else: not mine). */
static bool plain_string(cursor *c, span *out) {
    skip_ws(c);
    if (c->p >= c->end || *c->p != '"') return false;
    const char *s = ++c->p;
    while (c->p < c->end && *c->p != '"') {
        unsigned char ch = (unsigned char)*c->p;
        if (ch < 0x20 || ch == '\\' || ch >= 0x80) return false; /* UTF-8 checks: jansson's */
        c->p++;
    }
    if (c->p >= c->end) return false;
    out->p = s;
    out->n = (size_t)(c->p - s);
    c->p++;
    return true;
}

static bool span_is(span s, const char *lit) {
    size_t n = strlen(lit);
    return s.n == n && memcmp(s.p, lit, n) == 0;
}

/* A JSON number: integers of up to 18 digits exactly as jansson's
 * json_integer (long long, then double), reals through strtod as jansson
 * does. Returns false for anything jansson could treat otherwise. */
static bool number(cursor *c, double *out, bool *is_int, long long *ival) {
    skip_ws(c);
    const char *s = c->p, *q = s;
    if (q < c->end && *q == '-') q++;
    const char *digits = q;
    while (q < c->end && *q >= '0' && *q <= '9') q++;
    size_t nd = (size_t)(q - digits);
    if (nd == 0 || (nd > 1 && *digits == '0')) return false;
    bool real = false, exp_part = false;
    size_t frac_digits = 0;
    if (q < c->end && *q == '.') {
        real = true;
        q++;
        const char *f = q;
        while (q < c->end && *q >= '0' && *q <= '9') q++;
        if (q == f) return false;
        frac_digits = (size_t)(q - f);
    }
    if (q < c->end && (*q == 'e' || *q == 'E')) {
        real = true;
        exp_part = true;
        q++;
        if (q < c->end && (*q == '+' || *q == '-')) q++;
        const char *x = q;
        while (q < c->end && *q >= '0' && *q <= '9') q++;
        if (q == x) return false;
    }
    size_t n = (size_t)(q - s);
    if (n >= 64) return false;
    char tmp[64];
    memcpy(tmp, s, n);
    tmp[n] = 0;
    if (!real) {
        if (nd > 18) return false;
        *ival = strtoll(tmp, NULL, 10);
        *out = (double)*ival;
        *is_int = true;
    } else if (!exp_part && nd + frac_digits <= 15) {
        /* Clinger's fast path: at most 15 significant digits make an exact
         * integer m, 10^k is exact, and one IEEE division rounds correctly,
         * so m / 10^k is the double strtod returns. */
        static const double pow10[] = {1,   1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                       1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
        long long m = 0;
        for (const char *d = digits; d < q; d++)
            if (*d != '.') m = m * 10 + (*d - '0');
        double v = (double)m / pow10[frac_digits];
        *out = *s == '-' ? -v : v;
        *is_int = false;
    } else {
        errno = 0;
        double v = strtod(tmp, NULL);
        if (errno == ERANGE) return false; /* jansson's overflow and underflow rules */
        *out = v;
        *is_int = false;
    }
    c->p = q;
    return true;
}

static bool is_literal(cursor *c, const char *lit) {
    size_t n = strlen(lit);
    skip_ws(c);
    if ((size_t)(c->end - c->p) >= n && memcmp(c->p, lit, n) == 0) {
        c->p += n;
        return true;
    }
    return false;
}

typedef struct fast_value {
    span tag;
    double v;
} fast_value;

typedef struct fast_quality {
    span tag;
    uint8_t q;
    bool ok;
} fast_quality;

/* Duplicate keys make jansson (JSON_REJECT_DUPLICATES) refuse the message. */
static bool has_duplicate(const fast_value *v, size_t n, uint32_t *table, size_t cap) {
    memset(table, 0, cap * sizeof *table);
    for (size_t i = 0; i < n; i++) {
        uint64_t h = 1469598103934665603ull;
        for (size_t k = 0; k < v[i].tag.n; k++) h = (h ^ (uint8_t)v[i].tag.p[k]) * 1099511628211ull;
        size_t j = h & (cap - 1);
        while (table[j]) {
            const fast_value *o = &v[table[j] - 1];
            if (o->tag.n == v[i].tag.n && !memcmp(o->tag.p, v[i].tag.p, o->tag.n)) return true;
            j = (j + 1) & (cap - 1);
        }
        table[j] = (uint32_t)i + 1;
    }
    return false;
}

int fastjson_parkwatch(const char *buf, size_t len, int64_t now_ms, fastjson_emit_fn emit,
                       void *ctx) {
    cursor c = {buf, buf + len};
    fast_value stack_vals[128], *vals = stack_vals;
    size_t n_vals = 0, cap_vals = sizeof stack_vals / sizeof stack_vals[0];
    fast_quality qual[FAST_MAX_QUALITY];
    size_t n_qual = 0;
    int64_t ts = now_ms;
    bool seen_ts = false, seen_values = false, seen_quality = false;
    int rc = FASTJSON_NOT_MINE;
    if (!eat(&c, '{')) goto out;
    for (bool first = true;; first = false) {
        if (first && eat(&c, '}')) goto out; /* {} is not a message of ours */
        span key;
        if (!plain_string(&c, &key) || !eat(&c, ':')) goto out;
        if (span_is(key, "ts") && !seen_ts) {
            double d;
            bool is_int;
            long long iv;
            if (!number(&c, &d, &is_int, &iv) || !is_int || iv < 0) goto out;
            ts = iv;
            seen_ts = true;
        } else if (span_is(key, "values") && !seen_values) {
            seen_values = true;
            if (!eat(&c, '{')) goto out;
            if (!eat(&c, '}')) {
                do {
                    span tag;
                    if (!plain_string(&c, &tag) || tag.n == 0 || tag.n > 255 || !eat(&c, ':'))
                        goto out;
                    double v;
                    bool is_int;
                    long long iv;
                    if (is_literal(&c, "true"))
                        v = 1.0;
                    else if (is_literal(&c, "false"))
                        v = 0.0;
                    else if (!number(&c, &v, &is_int, &iv))
                        goto out;
                    if (n_vals == cap_vals) {
                        size_t cap = cap_vals * 2;
                        fast_value *nv = vals == stack_vals ? malloc(cap * sizeof *nv)
                                                            : realloc(vals, cap * sizeof *nv);
                        if (!nv) goto out;
                        if (vals == stack_vals) memcpy(nv, stack_vals, sizeof stack_vals);
                        vals = nv;
                        cap_vals = cap;
                    }
                    vals[n_vals++] = (fast_value){tag, v};
                } while (eat(&c, ','));
                if (!eat(&c, '}')) goto out;
            }
        } else if (span_is(key, "quality") && !seen_quality) {
            seen_quality = true;
            if (!eat(&c, '{')) goto out;
            if (!eat(&c, '}')) {
                do {
                    span tag, word;
                    if (n_qual == FAST_MAX_QUALITY || !plain_string(&c, &tag) || !eat(&c, ':'))
                        goto out;
                    fast_quality *q = &qual[n_qual++];
                    q->tag = tag;
                    q->ok = true;
                    skip_ws(&c);
                    if (c.p < c.end && *c.p == '"') {
                        if (!plain_string(&c, &word)) goto out;
                        if (span_is(word, "good"))
                            q->q = INGEST_QUALITY_GOOD;
                        else if (span_is(word, "uncertain"))
                            q->q = INGEST_QUALITY_UNCERTAIN;
                        else if (span_is(word, "bad"))
                            q->q = INGEST_QUALITY_BAD;
                        else
                            goto out; /* a reject: leave it to the full path */
                    } else {
                        double d;
                        bool is_int;
                        long long iv;
                        if (!number(&c, &d, &is_int, &iv) || !is_int || iv < 0 || iv > 255)
                            goto out;
                        q->q = (uint8_t)iv;
                    }
                } while (eat(&c, ','));
                if (!eat(&c, '}')) goto out;
            }
        } else {
            goto out;
        }
        if (eat(&c, '}')) break;
        if (!eat(&c, ',')) goto out;
    }
    skip_ws(&c);
    if (c.p != c.end || !seen_values || n_vals == 0) goto out;
    /* Duplicates in quality too: jansson would refuse the message. */
    for (size_t i = 0; i < n_qual; i++)
        for (size_t j = i + 1; j < n_qual; j++)
            if (qual[i].tag.n == qual[j].tag.n &&
                !memcmp(qual[i].tag.p, qual[j].tag.p, qual[i].tag.n))
                goto out;
    {
        size_t cap = 256;
        while (cap < n_vals * 2) cap *= 2;
        uint32_t stack_table[256], *table = cap == 256 ? stack_table : malloc(cap * sizeof *table);
        if (!table) goto out;
        bool dup = has_duplicate(vals, n_vals, table, cap);
        if (table != stack_table) free(table);
        if (dup) goto out;
    }
    /* The whole message is ours: emit, tag names NUL-terminated. */
    rc = 0;
    for (size_t i = 0; i < n_vals && rc == 0; i++) {
        char name[256]; /* tags are at most 255 bytes here, checked while reading */
        memcpy(name, vals[i].tag.p, vals[i].tag.n);
        name[vals[i].tag.n] = 0;
        uint8_t q = INGEST_QUALITY_GOOD;
        for (size_t k = 0; k < n_qual; k++)
            if (qual[k].tag.n == vals[i].tag.n && !memcmp(qual[k].tag.p, name, qual[k].tag.n))
                q = qual[k].q;
        rc = emit(ctx, name, ts, vals[i].v, q);
    }
out:
    if (vals != stack_vals) free(vals);
    return rc;
}
