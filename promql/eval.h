/*
 * eval.h - what the evaluator's files share (internal to promql/).
 *
 * A query is evaluated column-wise: every node yields its value at all
 * steps at once (one step for an instant query), so a range selector reads
 * each series once and slides its window over the steps, as Prometheus's
 * range evaluation does. Everything a query allocates comes from its arena
 * (pq_arena) and goes at once when the query ends; the arena's cap is the
 * query's memory budget (max_samples).
 *
 * Label strings point into the catalog or the query's tree (both outlive
 * the query); label arrays made by the evaluator live in the arena.
 */
#ifndef PARKWATCH_PROMQL_EVAL_H
#define PARKWATCH_PROMQL_EVAL_H

#include "promql/ast.h"
#include "promql/catalog.h"
#include "promql/promql.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct pq_arena_blk pq_arena_blk;
typedef struct pq_arena {
    pq_arena_blk *head;
    size_t used, limit;
} pq_arena;

/* n bytes, 16-aligned and zeroed; NULL past the limit or without memory. */
void *pq_arena_alloc(pq_arena *a, size_t n);
void pq_arena_free(pq_arena *a);

typedef struct lset {
    const pq_label *l; /* sorted by name */
    size_t n;
} lset;

/* One series of a vector: its value and presence at every step. */
typedef struct vser {
    lset lab;
    double *v;
    uint8_t *has;
    int64_t *ts; /* the samples' own times, only for timestamp() */
} vser;

typedef struct value {
    pq_type type;
    size_t n; /* series */
    vser *s;
    double *sc;      /* a scalar at every step */
    const char *str; /* a string */
    bool ordered;    /* sort, sort_desc, topk, bottomk: keep the order */
} value;

typedef struct ev {
    pq_engine *e;
    hist *h;
    pq_catalog *cat;
    int64_t start, step; /* step 0 for an instant query */
    size_t ns;           /* steps */
    int64_t lookback;
    const char *scope;
    size_t max_series;
    size_t max_samples; /* one series' samples in one read */
    int64_t deadline;   /* monotonic ms */
    pq_arena ar;
    pq_error *err;
    unsigned checks; /* calls since the last look at the clock */
} ev;

static inline int64_t ev_t(const ev *x, size_t k) {
    return x->start + (int64_t)k * x->step;
}

/* Fails the query: returns -1 after filling x->err. */
int ev_fail(ev *x, int status, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int ev_oom(ev *x);
/* -1 (timeout) when the deadline passed; cheap enough for inner loops. */
int ev_tick(ev *x);

int ev_eval(ev *x, const pq_node *n, value *out);
/* A vector of n series with zeroed columns. */
int ev_vector(ev *x, size_t n, value *out);
int ev_scalar(ev *x, value *out);

/* Labels */
uint64_t lset_hash(lset a);
bool lset_eq(lset a, lset b);
int lset_cmp(lset a, lset b);
const char *lset_get(lset a, const char *name);
/* a without __name__ (a copy in the arena, or a itself when it has none) */
int lset_drop_name(ev *x, lset a, lset *out);
/* a restricted to (keep = true) or without (keep = false) names[0..n) */
int lset_filter(ev *x, lset a, const char *const *names, size_t n, bool keep, bool drop_name,
                lset *out);

/* Series with the same labels merged into one (a step may have at most one
 * value: two is Prometheus's "vector cannot contain metrics with the same
 * labelset"). */
typedef struct outtab {
    vser *s;
    size_t n, cap;
    uint32_t *slot; /* open addressing over s, index + 1 */
    size_t nslot;
} outtab;
int outtab_init(ev *x, outtab *t, size_t expect);
/* The series with labels lab (made when new); NULL after ev_fail. */
vser *outtab_get(ev *x, outtab *t, lset lab);
int outtab_put(ev *x, outtab *t, lset lab, size_t k, double v);
void outtab_value(outtab *t, value *out);

/* funcs.c */
/* v's series without __name__; series that then have the same labels
 * are merged (a step with two values: Prometheus's "vector cannot contain
 * metrics with the same labelset"). */
int ev_drop_names(ev *x, value *v);
int ev_call(ev *x, const pq_node *n, value *out);
/* Prometheus's quantile() of v[0..n) (sorts v) */
double pq_quantile(double q, double *v, size_t n);
/* agg.c */
int ev_agg(ev *x, const pq_node *n, value *out);
/* binop.c */
int ev_binary(ev *x, const pq_node *n, value *out);
/* select.c */
/* The ids a selector selects (ascending; ids->ids is malloc'd: free it). */
int ev_select(ev *x, const pq_node *sel, pq_idlist *ids);
/* An instant selector's values at every step. */
int ev_selector(ev *x, const pq_node *sel, bool want_ts, value *out);
/* The samples of one series that a range selector sees over the whole
 * query, [start - range - offset, end - offset], bad quality left out: into
 * buf (reused across calls), *s and *n point into it. */
int ev_read_range(ev *x, const pq_node *sel, uint32_t id, hist_samples *buf, const hist_sample **s,
                  size_t *n);
/* The selector under parentheses. */
const pq_node *ev_unparen(const pq_node *n);

/* engine.c: fills err (status, Prometheus errorType, message); returns -1.
 * ev_fail is the same for a query under way (its first error wins). */
int pq_fail(pq_error *err, int status, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* engine.c: the engine's parts, for pick.c */
hist *pq_engine_hist(pq_engine *e);
pq_catalog *pq_engine_catalog(pq_engine *e);
/* Gives the catalog the historian's new series. */
int pq_engine_learn(pq_engine *e, pq_error *err);

/* Prometheus's text of a float: shortest round-trip digits, no exponent
 * ('f' format), NaN, +Inf, -Inf. Returns the length (buf >= 400 bytes). */
size_t pq_fmt_float(char *buf, double v);
/* Seconds with up to 3 decimals, as Prometheus writes timestamps. */
size_t pq_fmt_time(char *buf, int64_t ms);

#endif
