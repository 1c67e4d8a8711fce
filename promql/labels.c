/*
 * labels.c - the Prometheus labels of a Parkwatch series: its name
 * "E/D/T", unit and layout kind turned into __name__, enterprise, device,
 * kind, unit and the line protocol's other tags (catalog.h's
 * pq_labels_of_series states the rule).
 */
#include "promql/catalog.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct span {
    const char *p;
    size_t n;
} span;

typedef struct wbuf {
    char *p;
    size_t cap, len;
    bool bad;
} wbuf;

static void w_bytes(wbuf *b, const char *s, size_t n) {
    if (b->bad || n > b->cap - b->len) {
        b->bad = true;
        return;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

static bool name_byte(unsigned char c, bool colon) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           (colon && c == ':');
}

/* Appends s with every byte outside [A-Za-z0-9_] (and ':' when colon) as '_'. */
static void w_sanitised(wbuf *b, span s, bool colon) {
    if (b->bad || s.n > b->cap - b->len) {
        b->bad = true;
        return;
    }
    for (size_t i = 0; i < s.n; i++)
        b->p[b->len++] = name_byte((unsigned char)s.p[i], colon) ? s.p[i] : '_';
}

/* NUL-terminates the string started at offset start; NULL when out of room. */
static const char *w_end(wbuf *b, size_t start) {
    w_bytes(b, "", 1);
    return b->bad ? NULL : b->p + start;
}

static const char *w_str(wbuf *b, span s) {
    size_t start = b->len;
    w_bytes(b, s.p, s.n);
    return w_end(b, start);
}

static span cstr(const char *s) {
    return (span){s, strlen(s)};
}

/* One ",key=value" tag at *cur (just past a ','). A following part with no
 * '=' (or an empty key) cannot be a tag, so it belongs to this value: ingest
 * writes tag values unescaped and they may hold ','. False when malformed. */
static bool next_tag(const char **cur, const char *end, span *key, span *val) {
    const char *p = *cur;
    const char *part_end = memchr(p, ',', (size_t)(end - p));
    if (!part_end) part_end = end;
    const char *eq = memchr(p, '=', (size_t)(part_end - p));
    if (!eq || eq == p || eq + 1 == part_end) return false;
    *key = (span){p, (size_t)(eq - p)};
    *val = (span){eq + 1, (size_t)(part_end - eq - 1)};
    while (part_end < end) {
        const char *nxt = part_end + 1;
        const char *nend = memchr(nxt, ',', (size_t)(end - nxt));
        if (!nend) nend = end;
        const char *neq = memchr(nxt, '=', (size_t)(nend - nxt));
        if (neq && neq != nxt) break;
        val->n = (size_t)(nend - val->p);
        part_end = nend;
    }
    *cur = part_end < end ? part_end + 1 : end;
    return true;
}

typedef enum t_form { T_PLAIN, T_MEAS_FIELD, T_FIELD_TAGS } t_form;

typedef struct t_shape {
    t_form form;
    span head;  /* measurement (T_MEAS_FIELD) or field (T_FIELD_TAGS) */
    span field; /* T_MEAS_FIELD: after the last '.' of the last value */
    const char *tags, *end;
    size_t n_tags;
} t_shape;

/* Which of the three forms of catalog.h T has; the tags are re-read by
 * next_tag when written, so nothing here needs memory. */
static t_shape t_parse(span t) {
    t_shape s = {T_PLAIN, t, {NULL, 0}, NULL, NULL, 0};
    const char *end = t.p + t.n;
    const char *comma = memchr(t.p, ',', t.n);
    if (!comma || comma == t.p || comma + 1 == end) return s;
    const char *cur = comma + 1;
    span k, v = {NULL, 0};
    size_t n = 0;
    while (cur < end) {
        if (!next_tag(&cur, end, &k, &v)) return s;
        n++;
    }
    const char *dot = NULL;
    for (const char *q = v.p + v.n; q > v.p; q--)
        if (q[-1] == '.') {
            dot = q - 1;
            break;
        }
    s.head = (span){t.p, (size_t)(comma - t.p)};
    s.tags = comma + 1;
    s.end = end;
    s.n_tags = n;
    if (!dot) {
        s.form = T_FIELD_TAGS;
        return s;
    }
    if (dot == v.p || dot + 1 == end) return (t_shape){T_PLAIN, t, {NULL, 0}, NULL, NULL, 0};
    s.form = T_MEAS_FIELD;
    s.field = (span){dot + 1, (size_t)(end - dot - 1)};
    s.end = dot; /* the last value ends at its last '.' */
    return s;
}

static bool reserved_key(const char *k) {
    static const char *const names[] = {"__name__", "enterprise", "device", "kind", "unit"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(k, names[i]) == 0) return true;
    return false;
}

static bool label_taken(const pq_label *out, size_t n, const char *k) {
    for (size_t i = 0; i < n; i++)
        if (strcmp(out[i].name, k) == 0) return true;
    return false;
}

/* Writes a tag key as a label name: sanitised, a '_' before a leading
 * digit, and "exported_" in front while it collides (Prometheus's rule for
 * scraped labels that clash with target labels). */
static const char *w_tag_key(wbuf *b, span key, const pq_label *out, size_t n) {
    size_t start = b->len;
    if (key.p[0] >= '0' && key.p[0] <= '9') w_bytes(b, "_", 1);
    w_sanitised(b, key, false);
    const char *k = w_end(b, start);
    static const char prefix[] = "exported_";
    const size_t plen = sizeof prefix - 1;
    bool first = true;
    while (k && ((first && reserved_key(k)) || label_taken(out, n, k))) {
        first = false;
        size_t klen = b->len - start; /* with its NUL */
        if (plen > b->cap - b->len) return NULL;
        memmove(b->p + start + plen, b->p + start, klen);
        memcpy(b->p + start, prefix, plen);
        b->len += plen;
    }
    return k;
}

size_t pq_labels_of_series(const char *name, const char *unit, const char *kind, char *buf,
                           size_t cap, pq_label *out, size_t out_cap) {
    if (!name || !buf || !out) return 0;
    const char *s1 = strchr(name, '/');
    if (!s1 || s1 == name) return 0;
    const char *s2 = strchr(s1 + 1, '/');
    if (!s2 || s2 == s1 + 1 || s2[1] == 0) return 0;
    span e = {name, (size_t)(s1 - name)}, d = {s1 + 1, (size_t)(s2 - s1 - 1)};
    t_shape t = t_parse(cstr(s2 + 1));
    bool has_unit = unit && *unit, has_kind = kind && *kind;
    size_t need = 3 + (has_unit ? 1 : 0) + (has_kind ? 1 : 0);
    if (t.n_tags > out_cap || need > out_cap - t.n_tags) return 0;

    wbuf b = {buf, cap, 0, false};
    size_t n = 0;
    out[n++] = (pq_label){w_str(&b, cstr("enterprise")), w_str(&b, e)};
    out[n++] = (pq_label){w_str(&b, cstr("device")), w_str(&b, d)};
    if (has_kind) out[n++] = (pq_label){w_str(&b, cstr("kind")), w_str(&b, cstr(kind))};
    if (has_unit) out[n++] = (pq_label){w_str(&b, cstr("unit")), w_str(&b, cstr(unit))};

    const char *mname = w_str(&b, cstr("__name__"));
    size_t start = b.len;
    span first = t.form == T_FIELD_TAGS ? d : t.head, second = {NULL, 0};
    if (t.form == T_MEAS_FIELD) second = t.field;
    if (t.form == T_FIELD_TAGS) second = t.head;
    if (first.p[0] >= '0' && first.p[0] <= '9') w_bytes(&b, "_", 1);
    w_sanitised(&b, first, true);
    if (second.p) {
        w_bytes(&b, "_", 1);
        w_sanitised(&b, second, true);
    }
    out[n++] = (pq_label){mname, w_end(&b, start)};

    const char *cur = t.tags;
    for (size_t i = 0; i < t.n_tags; i++) {
        span k, v;
        next_tag(&cur, t.end, &k, &v); /* t_parse accepted these */
        const char *kn = b.bad ? NULL : w_tag_key(&b, k, out, n);
        if (!kn) return 0;
        out[n++] = (pq_label){kn, w_str(&b, v)};
    }
    if (b.bad) return 0;
    for (size_t i = 1; i < n; i++) /* insertion sort: at most a few dozen */
        for (size_t j = i; j > 0 && strcmp(out[j - 1].name, out[j].name) > 0; j--) {
            pq_label tmp = out[j];
            out[j] = out[j - 1];
            out[j - 1] = tmp;
        }
    return n;
}
