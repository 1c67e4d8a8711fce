/*
 * jsonfmt.c - jansson values as compact JSON text with numbers written by
 * common/numfmt.h (pw_json_text in jsonfmt.h): the one number writer of
 * the JSON the API, the layers and the views send. json_dumps writes reals with
 * "%.17g" (30.78 as 30.780000000000001) or, with JSON_REAL_PRECISION(p),
 * rounds them; nf_double writes the shortest text that reads back as the
 * same double.
 */
#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/jsonfmt.h"

#include "common/numfmt.h"

typedef struct jt_buf {
    char *p;
    size_t n, cap;
    bool oom;
} jt_buf;

static void put(jt_buf *b, const char *s, size_t n) {
    if (b->oom) return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        while (cap < b->n + n + 1) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p, b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

/* As jansson escapes by default: '"', '\\' and control characters; UTF-8
 * passes through (jansson strings are valid UTF-8). */
static void put_string(jt_buf *b, const char *s, size_t len) {
    put(b, "\"", 1);
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        put(b, s + run, i - run);
        run = i + 1;
        char esc[8];
        const char *short_esc = c == '"'    ? "\\\""
                                : c == '\\' ? "\\\\"
                                : c == '\b' ? "\\b"
                                : c == '\f' ? "\\f"
                                : c == '\n' ? "\\n"
                                : c == '\r' ? "\\r"
                                : c == '\t' ? "\\t"
                                            : NULL;
        if (short_esc)
            put(b, short_esc, 2);
        else
            put(b, esc, (size_t)snprintf(esc, sizeof esc, "\\u%04X", c));
    }
    put(b, s + run, len - run);
    put(b, "\"", 1);
}

static void put_value(jt_buf *b, const json_t *v, int depth) {
    char num[NF_MAX];
    if (depth > 2048) { /* jansson's own parsing depth limit */
        b->oom = true;
        return;
    }
    switch (json_typeof(v)) {
        case JSON_OBJECT: {
            const char *key;
            json_t *m;
            bool first = true;
            put(b, "{", 1);
            json_object_foreach((json_t *)v, key, m) {
                if (!first) put(b, ",", 1);
                first = false;
                put_string(b, key, strlen(key));
                put(b, ":", 1);
                put_value(b, m, depth + 1);
            }
            put(b, "}", 1);
            break;
        }
        case JSON_ARRAY:
            put(b, "[", 1);
            for (size_t i = 0; i < json_array_size(v); i++) {
                if (i) put(b, ",", 1);
                put_value(b, json_array_get(v, i), depth + 1);
            }
            put(b, "]", 1);
            break;
        case JSON_STRING:
            put_string(b, json_string_value(v), json_string_length(v));
            break;
        case JSON_INTEGER:
            put(b, num, nf_i64(num, (int64_t)json_integer_value(v)));
            break;
        case JSON_REAL: {
            double d = json_real_value(v);
            /* nf_double writes -0.0 as 0; "-0.0" keeps the sign (a
             * parser reads "-0" as the integer 0) */
            if (d == 0 && signbit(d))
                put(b, "-0.0", 4);
            else
                put(b, num, nf_double(num, d));
            break;
        }
        case JSON_TRUE:
            put(b, "true", 4);
            break;
        case JSON_FALSE:
            put(b, "false", 5);
            break;
        default:
            put(b, "null", 4);
            break;
    }
}

char *pw_json_text(const json_t *v, size_t *len) {
    jt_buf b = {0};
    if (!v) return NULL;
    put_value(&b, v, 0);
    if (b.oom || !b.p) {
        free(b.p);
        return NULL;
    }
    if (len) *len = b.n;
    return b.p;
}
