/*
 * eval.c - the evaluator's core: the query's arena, errors, label sets,
 * the table that merges series by labels, and the walk of the tree.
 */
#include "promql/eval.h"

#include "common/clock.h"
#include "common/numfmt.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the arena ---- */

struct pq_arena_blk {
    pq_arena_blk *next;
    size_t used, cap;
    _Alignas(16) unsigned char data[];
};

void *pq_arena_alloc(pq_arena *a, size_t n) {
    n = (n + 15) & ~(size_t)15;
    if (n == 0) n = 16;
    if (n > a->limit || a->used > a->limit - n) return NULL;
    pq_arena_blk *b = a->head;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > (1u << 20) ? n : (1u << 20);
        b = malloc(sizeof *b + cap);
        if (!b) return NULL;
        b->next = a->head, b->used = 0, b->cap = cap;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += n;
    a->used += n;
    memset(p, 0, n);
    return p;
}

void pq_arena_free(pq_arena *a) {
    for (pq_arena_blk *b = a->head, *nx; b; b = nx) nx = b->next, free(b);
    a->head = NULL, a->used = 0;
}

/* ---- errors ---- */

int ev_fail(ev *x, int status, const char *type, const char *fmt, ...) {
    if (x->err->type) return -1; /* the first error is the one to tell */
    x->err->status = status;
    x->err->type = type;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->err->msg, sizeof x->err->msg, fmt, ap);
    va_end(ap);
    return -1;
}

int ev_oom(ev *x) {
    /* Prometheus's words for a query over its sample budget */
    return ev_fail(x, 422, "execution",
                   "query processing would load too many samples into memory in query execution");
}

int ev_tick(ev *x) {
    if (++x->checks < 256) return 0;
    x->checks = 0;
    if (pw_mono_ms() > x->deadline)
        return ev_fail(x, 503, "timeout", "query timed out in query execution");
    return 0;
}

int ev_vector(ev *x, size_t n, value *out) {
    *out = (value){.type = PQ_T_VECTOR, .n = n};
    if (!n) return 0;
    if (n > SIZE_MAX / sizeof(vser)) return ev_oom(x);
    out->s = pq_arena_alloc(&x->ar, n * sizeof(vser));
    if (!out->s) return ev_oom(x);
    for (size_t i = 0; i < n; i++) {
        out->s[i].v = pq_arena_alloc(&x->ar, x->ns * sizeof(double));
        out->s[i].has = pq_arena_alloc(&x->ar, x->ns);
        if (!out->s[i].v || !out->s[i].has) return ev_oom(x);
    }
    return 0;
}

int ev_scalar(ev *x, value *out) {
    *out = (value){.type = PQ_T_SCALAR};
    out->sc = pq_arena_alloc(&x->ar, x->ns * sizeof(double));
    return out->sc ? 0 : ev_oom(x);
}

/* ---- label sets ---- */

uint64_t lset_hash(lset a) {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < a.n; i++) {
        for (const unsigned char *p = (const unsigned char *)a.l[i].name; *p; p++)
            h = (h ^ *p) * 1099511628211ull;
        h = (h ^ 0xff) * 1099511628211ull;
        for (const unsigned char *p = (const unsigned char *)a.l[i].value; *p; p++)
            h = (h ^ *p) * 1099511628211ull;
        h = (h ^ 0xfe) * 1099511628211ull;
    }
    return h;
}

bool lset_eq(lset a, lset b) {
    if (a.n != b.n) return false;
    for (size_t i = 0; i < a.n; i++)
        if ((a.l[i].name != b.l[i].name && strcmp(a.l[i].name, b.l[i].name)) ||
            (a.l[i].value != b.l[i].value && strcmp(a.l[i].value, b.l[i].value)))
            return false;
    return true;
}

/* Prometheus's labels.Compare: name, then value, label by label. */
int lset_cmp(lset a, lset b) {
    size_t n = a.n < b.n ? a.n : b.n;
    for (size_t i = 0; i < n; i++) {
        int c = strcmp(a.l[i].name, b.l[i].name);
        if (c) return c;
        c = strcmp(a.l[i].value, b.l[i].value);
        if (c) return c;
    }
    return a.n < b.n ? -1 : a.n > b.n;
}

const char *lset_get(lset a, const char *name) {
    for (size_t i = 0; i < a.n; i++)
        if (!strcmp(a.l[i].name, name)) return a.l[i].value;
    return "";
}

static bool in_list(const char *name, const char *const *names, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!strcmp(names[i], name)) return true;
    return false;
}

int lset_filter(ev *x, lset a, const char *const *names, size_t n, bool keep, bool drop_name,
                lset *out) {
    pq_label *l = pq_arena_alloc(&x->ar, (a.n ? a.n : 1) * sizeof *l);
    if (!l) return ev_oom(x);
    size_t m = 0;
    for (size_t i = 0; i < a.n; i++) {
        bool listed = in_list(a.l[i].name, names, n);
        if (keep != listed) continue;
        if (drop_name && !strcmp(a.l[i].name, "__name__")) continue;
        if (!*a.l[i].value) continue; /* an empty label is no label */
        l[m++] = a.l[i];
    }
    *out = (lset){l, m};
    return 0;
}

int lset_drop_name(ev *x, lset a, lset *out) {
    bool has = false;
    for (size_t i = 0; i < a.n && !has; i++) has = !strcmp(a.l[i].name, "__name__");
    if (!has) {
        *out = a;
        return 0;
    }
    return lset_filter(x, a, NULL, 0, false, true, out);
}

/* ---- series merged by labels ---- */

int outtab_init(ev *x, outtab *t, size_t expect) {
    *t = (outtab){0};
    size_t ns = 16;
    while (ns < expect * 2 + 2) ns *= 2;
    t->slot = calloc(ns, sizeof *t->slot);
    if (!t->slot) return ev_oom(x);
    t->nslot = ns;
    return 0;
}

static int outtab_grow(ev *x, outtab *t) {
    size_t ns = t->nslot * 2;
    uint32_t *slot = calloc(ns, sizeof *slot);
    if (!slot) return ev_oom(x);
    for (size_t i = 0; i < t->n; i++) {
        size_t h = lset_hash(t->s[i].lab) & (ns - 1);
        while (slot[h]) h = (h + 1) & (ns - 1);
        slot[h] = (uint32_t)(i + 1);
    }
    free(t->slot);
    t->slot = slot, t->nslot = ns;
    return 0;
}

vser *outtab_get(ev *x, outtab *t, lset lab) {
    size_t h = lset_hash(lab) & (t->nslot - 1);
    for (; t->slot[h]; h = (h + 1) & (t->nslot - 1))
        if (lset_eq(t->s[t->slot[h] - 1].lab, lab)) return &t->s[t->slot[h] - 1];
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        vser *s = pq_arena_alloc(&x->ar, cap * sizeof *s);
        if (!s) return ev_oom(x), NULL;
        if (t->n) memcpy(s, t->s, t->n * sizeof *s);
        t->s = s, t->cap = cap;
    }
    vser *s = &t->s[t->n];
    *s = (vser){.lab = lab};
    s->v = pq_arena_alloc(&x->ar, x->ns * sizeof(double));
    s->has = pq_arena_alloc(&x->ar, x->ns);
    if (!s->v || !s->has) return ev_oom(x), NULL;
    t->slot[h] = (uint32_t)(++t->n);
    if (t->n * 2 > t->nslot && outtab_grow(x, t) != 0) return NULL;
    return s;
}

int outtab_put(ev *x, outtab *t, lset lab, size_t k, double v) {
    vser *s = outtab_get(x, t, lab);
    if (!s) return -1;
    if (s->has[k])
        return ev_fail(x, 422, "execution", "vector cannot contain metrics with the same labelset");
    s->has[k] = 1, s->v[k] = v;
    return 0;
}

/* The table's series (in the arena) as a vector; frees the table's index.
 * Call it on every path, failed ones too (out may then be NULL). */
void outtab_value(outtab *t, value *out) {
    if (out) *out = (value){.type = PQ_T_VECTOR, .n = t->n, .s = t->s};
    free(t->slot);
    t->slot = NULL;
}

/* ---- the walk ---- */

int ev_eval(ev *x, const pq_node *n, value *out) {
    if (ev_tick(x)) return -1;
    switch (n->kind) {
        case PQ_N_NUMBER:
            if (ev_scalar(x, out)) return -1;
            for (size_t k = 0; k < x->ns; k++) out->sc[k] = n->u.number;
            return 0;
        case PQ_N_STRING:
            *out = (value){.type = PQ_T_STRING, .str = n->u.string};
            return 0;
        case PQ_N_PAREN:
            return ev_eval(x, n->u.unary.expr, out);
        case PQ_N_NEG: {
            if (ev_eval(x, n->u.unary.expr, out)) return -1;
            if (out->type == PQ_T_SCALAR) {
                for (size_t k = 0; k < x->ns; k++) out->sc[k] = -out->sc[k];
                return 0;
            }
            for (size_t i = 0; i < out->n; i++) {
                if (lset_drop_name(x, out->s[i].lab, &out->s[i].lab)) return -1;
                for (size_t k = 0; k < x->ns; k++) out->s[i].v[k] = -out->s[i].v[k];
            }
            out->ordered = false;
            return 0;
        }
        case PQ_N_SELECTOR:
            if (n->u.sel.range_ms)
                return ev_fail(x, 400, "bad_data",
                               "a range vector can only be an argument of a function");
            return ev_selector(x, n, false, out);
        case PQ_N_CALL:
            return ev_call(x, n, out);
        case PQ_N_AGG:
            return ev_agg(x, n, out);
        case PQ_N_BINARY:
            return ev_binary(x, n, out);
    }
    return ev_fail(x, 500, "internal", "unknown node");
}

/* ---- numbers as Prometheus writes them ---- */

size_t pq_fmt_float(char *buf, double v) {
    if (isnan(v)) return (size_t)sprintf(buf, "NaN");
    if (isinf(v)) return (size_t)sprintf(buf, v > 0 ? "+Inf" : "-Inf");
    if (v == 0) return (size_t)sprintf(buf, signbit(v) ? "-0" : "0");
    /* most readings are short decimals: exact by integer arithmetic, no printf */
    size_t n0 = nf_short_decimal(buf, v, 9, 17);
    if (n0) {
        buf[n0] = 0;
        return n0;
    }
    /* Go's strconv.FormatFloat(v, 'f', -1, 64): the shortest digits that
     * read back as v, written without an exponent */
    char e[40];
    /* computed values mostly need 15 to 17 digits: try those first, and
     * look for fewer only when 15 read back */
    int p = 15;
    snprintf(e, sizeof e, "%.*e", p - 1, v);
    if (strtod(e, NULL) == v) {
        char t[40];
        while (p > 1) {
            snprintf(t, sizeof t, "%.*e", p - 2, v);
            if (strtod(t, NULL) != v) break;
            memcpy(e, t, sizeof e);
            p--;
        }
    } else {
        for (p = 16; p <= 17; p++) {
            snprintf(e, sizeof e, "%.*e", p - 1, v);
            if (strtod(e, NULL) == v) break;
        }
    }
    /* e is [-]d[.ddd]e[+-]XX */
    const char *s = e;
    bool neg = *s == '-';
    if (neg) s++;
    char digits[24];
    size_t nd = 0;
    for (; *s && *s != 'e'; s++)
        if (*s != '.') digits[nd++] = *s;
    int exp10 = atoi(s + 1);
    while (nd > 1 && digits[nd - 1] == '0') nd--;
    size_t n = 0;
    if (neg && !(nd == 1 && digits[0] == '0')) buf[n++] = '-';
    int point = exp10 + 1; /* digits before the decimal point */
    if (point <= 0) {
        buf[n++] = '0';
        buf[n++] = '.';
        for (int i = 0; i < -point; i++) buf[n++] = '0';
        memcpy(buf + n, digits, nd);
        n += nd;
    } else if ((size_t)point >= nd) {
        memcpy(buf + n, digits, nd);
        n += nd;
        for (size_t i = nd; i < (size_t)point; i++) buf[n++] = '0';
    } else {
        memcpy(buf + n, digits, (size_t)point);
        n += (size_t)point;
        buf[n++] = '.';
        memcpy(buf + n, digits + point, nd - (size_t)point);
        n += nd - (size_t)point;
    }
    buf[n] = 0;
    return n;
}

size_t pq_fmt_time(char *buf, int64_t ms) {
    /* integer arithmetic, no printf: an answer of 10,000 samples writes
     * 10,000 of these */
    size_t n = 0;
    if (ms < 0) buf[n++] = '-', ms = -ms; /* times are >= 0; kept exact anyway */
    n += nf_u64(buf + n, (uint64_t)(ms / 1000));
    int f = (int)(ms % 1000);
    if (f) {
        buf[n++] = '.';
        buf[n++] = (char)('0' + f / 100);
        if (f % 100) {
            buf[n++] = (char)('0' + f / 10 % 10);
            if (f % 10) buf[n++] = (char)('0' + f % 10);
        }
    }
    buf[n] = 0;
    return n;
}
