/*
 * fastjson.c - a fast path for the two common JSON messages,
 *
 *   {"ts": <int>, "values": {"tag": <number|true|false>, ...},
 *    "quality": {"tag": "good"|"uncertain"|"bad"|<0..255>, ...}}       Parkwatch
 *   {"timestamp": <int>, "node": "...", "group": "...",
 *    "values": {"tag": <number|true|false>, ...}, "errors": {"tag": <int>}}  Neuron
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

/* One member of the top-level object: an integer, a plain string or a flat
 * object whose entries are numbers, booleans or plain strings. */
enum { M_INT, M_STR, M_OBJ, M_TAGS };
enum { E_NUM, E_INT, E_BOOL, E_STR, E_ERR };

typedef struct entry {
    span key;
    int kind;
    double v;
    long long i;
    span s;
} entry;

typedef struct member {
    span key;
    int kind;
    long long i;
    span s;
    size_t first, n; /* entries, M_OBJ */
} member;

#define MAX_MEMBERS 8

typedef struct flat {
    member m[MAX_MEMBERS];
    size_t n_m;
    entry stack[128], *e;
    size_t n_e, cap_e;
} flat;

static bool add_entry(flat *f, entry x) {
    if (f->n_e == f->cap_e) {
        size_t cap = f->cap_e * 2;
        entry *ne = f->e == f->stack ? malloc(cap * sizeof *ne) : realloc(f->e, cap * sizeof *ne);
        if (!ne) return false;
        if (f->e == f->stack) memcpy(ne, f->stack, sizeof f->stack);
        f->e = ne;
        f->cap_e = cap;
    }
    f->e[f->n_e++] = x;
    return true;
}

static bool parse_flat(cursor *c, flat *f) {
    if (!eat(c, '{') || eat(c, '}')) return false;
    do {
        if (f->n_m == MAX_MEMBERS) return false;
        member *m = &f->m[f->n_m++];
        memset(m, 0, sizeof *m);
        if (!plain_string(c, &m->key) || !eat(c, ':')) return false;
        skip_ws(c);
        if (c->p < c->end && *c->p == '"') {
            m->kind = M_STR;
            if (!plain_string(c, &m->s)) return false;
        } else if (c->p < c->end && *c->p == '{') {
            m->kind = M_OBJ;
            m->first = f->n_e;
            c->p++;
            if (!eat(c, '}')) {
                do {
                    entry x = {0};
                    if (!plain_string(c, &x.key) || !eat(c, ':')) return false;
                    skip_ws(c);
                    bool is_int;
                    if (c->p < c->end && *c->p == '"') {
                        x.kind = E_STR;
                        if (!plain_string(c, &x.s)) return false;
                    } else if (is_literal(c, "true")) {
                        x.kind = E_BOOL, x.v = 1;
                    } else if (is_literal(c, "false")) {
                        x.kind = E_BOOL, x.v = 0;
                    } else if (number(c, &x.v, &is_int, &x.i)) {
                        x.kind = is_int ? E_INT : E_NUM;
                    } else {
                        return false;
                    }
                    if (!add_entry(f, x)) return false;
                } while (eat(c, ','));
                if (!eat(c, '}')) return false;
            }
            m->n = f->n_e - m->first;
        } else if (c->p < c->end && *c->p == '[') {
            /* Neuron's tags array: {"name": ..., "value": ...} or
             * {"name": ..., "error": <int>}, exactly those two keys. */
            m->kind = M_TAGS;
            m->first = f->n_e;
            c->p++;
            if (!eat(c, ']')) {
                do {
                    entry x = {0};
                    bool have_name = false, have_val = false;
                    if (!eat(c, '{')) return false;
                    for (int k = 0; k < 2; k++) {
                        span key;
                        if ((k && !eat(c, ',')) || !plain_string(c, &key) || !eat(c, ':'))
                            return false;
                        bool is_int;
                        if (span_is(key, "name") && !have_name) {
                            if (!plain_string(c, &x.key)) return false;
                            have_name = true;
                        } else if (span_is(key, "value") && !have_val) {
                            if (is_literal(c, "true"))
                                x.kind = E_BOOL, x.v = 1;
                            else if (is_literal(c, "false"))
                                x.kind = E_BOOL, x.v = 0;
                            else if (number(c, &x.v, &is_int, &x.i))
                                x.kind = is_int ? E_INT : E_NUM;
                            else
                                return false;
                            have_val = true;
                        } else if (span_is(key, "error") && !have_val) {
                            if (!number(c, &x.v, &is_int, &x.i) || !is_int) return false;
                            x.kind = E_ERR;
                            have_val = true;
                        } else {
                            return false;
                        }
                    }
                    if (!have_name || !have_val || !eat(c, '}') || !add_entry(f, x)) return false;
                } while (eat(c, ','));
                if (!eat(c, ']')) return false;
            }
            m->n = f->n_e - m->first;
        } else {
            double d;
            bool is_int;
            if (!number(c, &d, &is_int, &m->i) || !is_int) return false;
            m->kind = M_INT;
        }
    } while (eat(c, ','));
    if (!eat(c, '}')) return false;
    skip_ws(c);
    return c->p == c->end;
}

static const member *find(const flat *f, const char *key) {
    for (size_t i = 0; i < f->n_m; i++)
        if (span_is(f->m[i].key, key)) return &f->m[i];
    return NULL;
}

/* Duplicate keys anywhere make jansson (JSON_REJECT_DUPLICATES) refuse the
 * message: members pairwise, entries of each object through a hash set. */
static bool has_duplicates(const flat *f) {
    for (size_t i = 0; i < f->n_m; i++)
        for (size_t j = i + 1; j < f->n_m; j++)
            if (f->m[i].key.n == f->m[j].key.n &&
                !memcmp(f->m[i].key.p, f->m[j].key.p, f->m[i].key.n))
                return true;
    uint32_t stack_table[512], *table = stack_table;
    size_t cap = 512;
    bool dup = false;
    for (size_t k = 0; k < f->n_m && !dup; k++) {
        const member *m = &f->m[k];
        if (m->kind != M_OBJ || m->n < 2) continue;
        size_t need = 512;
        while (need < m->n * 2) need *= 2;
        if (need > cap) {
            uint32_t *t =
                table == stack_table ? malloc(need * sizeof *t) : realloc(table, need * sizeof *t);
            if (!t) {
                dup = true; /* out of memory: let the full path decide */
                break;
            }
            table = t;
            cap = need;
        }
        memset(table, 0, need * sizeof *table);
        for (size_t i = 0; i < m->n && !dup; i++) {
            const span *key = &f->e[m->first + i].key;
            uint64_t h = 1469598103934665603ull;
            for (size_t b = 0; b < key->n; b++) h = (h ^ (uint8_t)key->p[b]) * 1099511628211ull;
            size_t j = h & (need - 1);
            while (table[j] && !dup) {
                const span *o = &f->e[m->first + table[j] - 1].key;
                dup = o->n == key->n && !memcmp(o->p, key->p, key->n);
                j = (j + 1) & (need - 1);
            }
            table[j] = (uint32_t)i + 1;
        }
    }
    if (table != stack_table) free(table);
    return dup;
}

static bool only_keys(const flat *f, const char *const *keys) {
    for (size_t i = 0; i < f->n_m; i++) {
        bool known = false;
        for (const char *const *k = keys; *k && !known; k++) known = span_is(f->m[i].key, *k);
        if (!known) return false;
    }
    return true;
}

static void copy_span(char *out, span s) {
    memcpy(out, s.p, s.n);
    out[s.n] = 0;
}

static int parkwatch(const flat *f, int64_t now_ms, fastjson_emit_fn emit, void *ctx) {
    static const char *const keys[] = {"ts", "values", "quality", NULL};
    const member *ts = find(f, "ts"), *values = find(f, "values"), *quality = find(f, "quality");
    if (!only_keys(f, keys) || !values || values->kind != M_OBJ || values->n == 0 ||
        (ts && (ts->kind != M_INT || ts->i < 0)) || (quality && quality->kind != M_OBJ))
        return FASTJSON_NOT_MINE;
    /* Anything the full path would reject a reading for is left to it. */
    for (size_t i = 0; i < values->n; i++) {
        const entry *x = &f->e[values->first + i];
        if (x->kind == E_STR || x->key.n == 0 || x->key.n > 255) return FASTJSON_NOT_MINE;
    }
    const entry *q = quality ? &f->e[quality->first] : NULL;
    size_t nq = quality ? quality->n : 0;
    for (size_t k = 0; k < nq; k++) {
        if (q[k].kind == E_INT && q[k].i >= 0 && q[k].i <= 255) continue;
        if (q[k].kind == E_STR &&
            (span_is(q[k].s, "good") || span_is(q[k].s, "uncertain") || span_is(q[k].s, "bad")))
            continue;
        return FASTJSON_NOT_MINE;
    }
    if (nq > 16) return FASTJSON_NOT_MINE; /* quality is per exception, not per reading */
    int64_t t = ts ? ts->i : now_ms;
    int rc = 0;
    for (size_t i = 0; i < values->n && rc == 0; i++) {
        const entry *x = &f->e[values->first + i];
        char tag[256];
        copy_span(tag, x->key);
        uint8_t qual = INGEST_QUALITY_GOOD;
        for (size_t k = 0; k < nq; k++) {
            if (q[k].key.n != x->key.n || memcmp(q[k].key.p, x->key.p, x->key.n)) continue;
            qual = q[k].kind == E_INT             ? (uint8_t)q[k].i
                   : span_is(q[k].s, "good")      ? INGEST_QUALITY_GOOD
                   : span_is(q[k].s, "uncertain") ? INGEST_QUALITY_UNCERTAIN
                                                  : INGEST_QUALITY_BAD;
        }
        rc = emit(ctx, NULL, tag, t, x->v, qual, 0);
    }
    return rc;
}

static int neuron(const flat *f, int64_t now_ms, fastjson_emit_fn emit, void *ctx) {
    static const char *const keys[] = {"timestamp", "node",       "group", "values", "errors",
                                       "node_name", "group_name", "metas", "tags",   NULL};
    const member *ts = find(f, "timestamp"), *node = find(f, "node"), *group = find(f, "group"),
                 *values = find(f, "values"), *errors = find(f, "errors"), *tags = find(f, "tags");
    if (!node) node = find(f, "node_name");
    if (!group) group = find(f, "group_name");
    /* Both spellings at once, empty names, odd types: the full path. */
    if (!only_keys(f, keys) || (find(f, "node") && find(f, "node_name")) ||
        (find(f, "group") && find(f, "group_name")) || (ts && (ts->kind != M_INT || ts->i < 0)) ||
        (node && (node->kind != M_STR || node->s.n == 0 || node->s.n > 255)) ||
        (group && (group->kind != M_STR || group->s.n == 0 || group->s.n > 127)) ||
        (values && values->kind != M_OBJ) || (errors && errors->kind != M_OBJ) ||
        (find(f, "metas") && find(f, "metas")->kind != M_OBJ) || (tags && tags->kind != M_TAGS) ||
        (values ? values->n : 0) + (errors ? errors->n : 0) + (tags ? tags->n : 0) == 0)
        return FASTJSON_NOT_MINE;
    /* Emitted as the full path does: values, errors, then the tags array. */
    const member *parts[3] = {values, errors, tags};
    for (int p = 0; p < 3; p++)
        for (size_t i = 0; parts[p] && i < parts[p]->n; i++) {
            const entry *x = &f->e[parts[p]->first + i];
            bool err = p == 1 || x->kind == E_ERR;
            if (x->key.n == 0 || x->key.n > 127 || x->kind == E_STR ||
                (p == 1 && x->kind != E_INT) || (err && (x->i < INT_MIN || x->i > INT_MAX)))
                return FASTJSON_NOT_MINE;
        }
    int64_t t = ts ? ts->i : now_ms;
    char dev[256], tag[256];
    if (node) copy_span(dev, node->s);
    size_t gl = group ? group->s.n + 1 : 0;
    if (group) {
        memcpy(tag, group->s.p, group->s.n);
        tag[group->s.n] = '.';
    }
    int rc = 0;
    for (int p = 0; p < 3 && rc == 0; p++)
        for (size_t i = 0; parts[p] && i < parts[p]->n && rc == 0; i++) {
            const entry *x = &f->e[parts[p]->first + i];
            copy_span(tag + gl, x->key);
            if (p == 0 || (p == 2 && x->kind != E_ERR))
                rc = emit(ctx, node ? dev : NULL, tag, t, x->v, INGEST_QUALITY_GOOD, 0);
            else
                rc = emit(ctx, node ? dev : NULL, tag, t, 0.0, INGEST_QUALITY_BAD, (int)x->i);
        }
    return rc;
}

int fastjson_parse(const char *buf, size_t len, ingest_format fmt, int64_t now_ms,
                   fastjson_emit_fn emit, void *ctx, ingest_format *detected) {
    cursor c = {buf, buf + len};
    flat *f = malloc(sizeof *f);
    if (!f) return FASTJSON_NOT_MINE;
    f->n_m = f->n_e = 0;
    f->e = f->stack;
    f->cap_e = sizeof f->stack / sizeof f->stack[0];
    int rc = FASTJSON_NOT_MINE;
    if (parse_flat(&c, f) && !has_duplicates(f)) {
        /* The full path's rule: "values" with a timestamp or node, or
         * "errors" without "values", is Neuron. */
        bool is_neuron = (find(f, "tags") && find(f, "tags")->kind == M_TAGS) ||
                         (find(f, "values") &&
                          (find(f, "timestamp") || find(f, "node") || find(f, "node_name"))) ||
                         (find(f, "errors") && !find(f, "values"));
        ingest_format use = fmt != INGEST_FMT_AUTO ? fmt
                            : is_neuron            ? INGEST_FMT_NEURON
                                                   : INGEST_FMT_JSON;
        rc = use == INGEST_FMT_NEURON ? neuron(f, now_ms, emit, ctx)
                                      : parkwatch(f, now_ms, emit, ctx);
        if (rc != FASTJSON_NOT_MINE && detected) *detected = use;
    }
    if (f->e != f->stack) free(f->e);
    free(f);
    return rc;
}
