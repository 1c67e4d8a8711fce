/*
 * funcs.c - PromQL's functions, as Prometheus 2.42 computes them
 * (promql/functions.go): the range functions slide each series' window
 * over the steps; the others work value by value.
 */
#include "promql/eval.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Kahan summation, as Prometheus sums. */
static inline double kahan_inc(double inc, double sum, double *c) {
    double t = sum + inc;
    if (fabs(sum) >= fabs(inc))
        *c += (sum - t) + inc;
    else
        *c += (inc - t) + sum;
    return t;
}

/* Go's math.Max and math.Min: NaN wins (C's fmax and fmin drop it). */
static inline double go_max(double a, double b) {
    return isnan(a) || isnan(b) ? NAN : a > b ? a : b;
}
static inline double go_min(double a, double b) {
    return isnan(a) || isnan(b) ? NAN : a < b ? a : b;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    if (isnan(x)) return isnan(y) ? 0 : -1; /* NaN first, as Go's sort of Prometheus's heap */
    if (isnan(y)) return 1;
    return x < y ? -1 : x > y;
}

/* Prometheus's quantile(): linear interpolation between the closest ranks;
 * sorts v. */
double pq_quantile(double q, double *v, size_t n) {
    if (!n || isnan(q)) return NAN;
    if (q < 0) return -INFINITY;
    if (q > 1) return INFINITY;
    qsort(v, n, sizeof *v, cmp_double);
    double rank = q * (double)(n - 1);
    double lo = fmax(0, floor(rank)), hi = fmin((double)n - 1, lo + 1);
    double w = rank - floor(rank);
    return v[(size_t)lo] * (1 - w) + v[(size_t)hi] * w;
}

/* extrapolatedRate: delta, increase and rate. */
static double extrapolated(const hist_sample *s, size_t n, int64_t range_start, int64_t range_end,
                           int64_t range_ms, bool counter, bool rate, bool *ok) {
    *ok = n >= 2;
    if (!*ok) return 0;
    double result = s[n - 1].value - s[0].value;
    if (counter) {
        double last = 0;
        for (size_t i = 0; i < n; i++) {
            if (s[i].value < last) result += last;
            last = s[i].value;
        }
    }
    double to_start = (double)(s[0].ts_ms - range_start) / 1000;
    double to_end = (double)(range_end - s[n - 1].ts_ms) / 1000;
    double sampled = (double)(s[n - 1].ts_ms - s[0].ts_ms) / 1000;
    double avg_between = sampled / (double)(n - 1);
    if (counter && result > 0 && s[0].value >= 0) {
        double to_zero = sampled * (s[0].value / result);
        if (to_zero < to_start) to_start = to_zero;
    }
    double threshold = avg_between * 1.1, interval = sampled;
    interval += to_start < threshold ? to_start : avg_between / 2;
    interval += to_end < threshold ? to_end : avg_between / 2;
    result *= interval / sampled;
    if (rate) result /= (double)range_ms / 1000;
    return result;
}

static double deriv(const hist_sample *s, size_t n) {
    /* linearRegression with the intercept at the first sample */
    double init = s[0].value;
    bool constant = true;
    double cnt = 0, sx = 0, cx = 0, sy = 0, cy = 0, sxy = 0, cxy = 0, sx2 = 0, cx2 = 0;
    for (size_t i = 0; i < n; i++) {
        if (constant && i > 0 && s[i].value != init) constant = false;
        cnt += 1;
        double xv = (double)(s[i].ts_ms - s[0].ts_ms) / 1e3;
        sx = kahan_inc(xv, sx, &cx);
        sy = kahan_inc(s[i].value, sy, &cy);
        sxy = kahan_inc(xv * s[i].value, sxy, &cxy);
        sx2 = kahan_inc(xv * xv, sx2, &cx2);
    }
    if (constant) return isinf(init) ? NAN : 0;
    sx += cx, sy += cy, sxy += cxy, sx2 += cx2;
    double cov = sxy - sx * sy / cnt, var = sx2 - sx * sx / cnt;
    return cov / var;
}

/* One range function over the samples of one window. */
static bool window_value(pq_func f, const hist_sample *s, size_t n, int64_t lo, int64_t hi,
                         int64_t range_ms, double phi, double *scratch, double *out) {
    bool ok = n > 0;
    if (!ok) return false;
    switch (f) {
        case PQ_F_RATE:
            *out = extrapolated(s, n, lo, hi, range_ms, true, true, &ok);
            return ok;
        case PQ_F_INCREASE:
            *out = extrapolated(s, n, lo, hi, range_ms, true, false, &ok);
            return ok;
        case PQ_F_DELTA:
            *out = extrapolated(s, n, lo, hi, range_ms, false, false, &ok);
            return ok;
        case PQ_F_IRATE:
        case PQ_F_IDELTA: {
            if (n < 2) return false;
            const hist_sample *l = &s[n - 1], *p = &s[n - 2];
            double r = (f == PQ_F_IRATE && l->value < p->value) ? l->value : l->value - p->value;
            int64_t dt = l->ts_ms - p->ts_ms;
            if (dt == 0) return false;
            *out = f == PQ_F_IRATE ? r / ((double)dt / 1000) : r;
            return true;
        }
        case PQ_F_DERIV:
            if (n < 2) return false;
            *out = deriv(s, n);
            return true;
        case PQ_F_AVG_OVER_TIME: {
            double mean = 0, c = 0, cnt = 0;
            for (size_t i = 0; i < n; i++) {
                cnt++;
                double v = s[i].value;
                if (isinf(mean)) {
                    if (isinf(v) && (mean > 0) == (v > 0)) continue;
                    if (!isinf(v) && !isnan(v)) continue;
                }
                mean = kahan_inc(v / cnt - mean / cnt, mean, &c);
            }
            *out = isinf(mean) ? mean : mean + c;
            return true;
        }
        case PQ_F_MIN_OVER_TIME:
        case PQ_F_MAX_OVER_TIME: {
            double m = s[0].value;
            for (size_t i = 0; i < n; i++) {
                double v = s[i].value;
                if ((f == PQ_F_MIN_OVER_TIME ? v < m : v > m) || isnan(m)) m = v;
            }
            *out = m;
            return true;
        }
        case PQ_F_SUM_OVER_TIME: {
            double sum = 0, c = 0;
            for (size_t i = 0; i < n; i++) sum = kahan_inc(s[i].value, sum, &c);
            *out = isinf(sum) ? sum : sum + c;
            return true;
        }
        case PQ_F_COUNT_OVER_TIME:
            *out = (double)n;
            return true;
        case PQ_F_LAST_OVER_TIME:
            *out = s[n - 1].value;
            return true;
        case PQ_F_QUANTILE_OVER_TIME:
            for (size_t i = 0; i < n; i++) scratch[i] = s[i].value;
            *out = pq_quantile(phi, scratch, n);
            return true;
        case PQ_F_CHANGES:
        case PQ_F_RESETS: {
            double c = 0, prev = s[0].value;
            for (size_t i = 1; i < n; i++) {
                double cur = s[i].value;
                if (f == PQ_F_CHANGES ? (cur != prev && !(isnan(cur) && isnan(prev))) : cur < prev)
                    c++;
                prev = cur;
            }
            *out = c;
            return true;
        }
        default:
            return false;
    }
}

/* The labels absent() and absent_over_time() give: the selector's equality
 * matchers (but the metric name; a name matched twice is dropped). */
static int absent_labels(ev *x, const pq_node *arg, lset *out) {
    *out = (lset){0};
    arg = ev_unparen(arg);
    if (arg->kind != PQ_N_SELECTOR) return 0;
    size_t nm = arg->u.sel.n_matchers;
    pq_label *l = pq_arena_alloc(&x->ar, (nm ? nm : 1) * sizeof *l);
    if (!l) return ev_oom(x);
    size_t n = 0;
    for (size_t i = 0; i < nm; i++) {
        const pq_matcher *m = &arg->u.sel.matchers[i];
        if (m->op != PQ_M_EQ || !strcmp(m->name, "__name__")) continue;
        bool dup = false;
        for (size_t j = 0; j < nm; j++)
            if (j != i && arg->u.sel.matchers[j].op == PQ_M_EQ &&
                !strcmp(arg->u.sel.matchers[j].name, m->name))
                dup = true;
        if (!dup) l[n++] = (pq_label){m->name, m->value};
    }
    /* sorted by name, as every label set is */
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && strcmp(l[j - 1].name, l[j].name) > 0; j--) {
            pq_label t = l[j];
            l[j] = l[j - 1], l[j - 1] = t;
        }
    *out = (lset){l, n};
    return 0;
}

/* A vector whose names were dropped: series that now have the same labels
 * are one series, and may not both have a value at a step. */
static int merge_dropped(ev *x, value *v) {
    outtab t;
    if (outtab_init(x, &t, v->n)) return -1;
    for (size_t i = 0; i < v->n; i++) {
        vser *o = outtab_get(x, &t, v->s[i].lab);
        if (!o) goto fail;
        for (size_t k = 0; k < x->ns; k++) {
            if (!v->s[i].has[k]) continue;
            if (o->has[k]) {
                ev_fail(x, 422, "execution",
                        "vector cannot contain metrics with the same labelset");
                goto fail;
            }
            o->has[k] = 1, o->v[k] = v->s[i].v[k];
        }
    }
    outtab_value(&t, v);
    return 0;
fail:
    outtab_value(&t, NULL);
    return -1;
}

int ev_drop_names(ev *x, value *v) {
    bool any = false;
    for (size_t i = 0; i < v->n; i++) {
        lset d;
        if (lset_drop_name(x, v->s[i].lab, &d)) return -1;
        any |= d.l != v->s[i].lab.l;
        v->s[i].lab = d;
    }
    v->ordered = false;
    return any ? merge_dropped(x, v) : 0;
}

/* min, max, sum, count and avg over a long window (an hour or more) at one step, from the
 * historian's one-minute rollups: the window's whole minutes come from the
 * rollup tier and only its partial first and last minute from raw points
 * (hist_query_agg), so "the highest reading of the last day" reads 1,440
 * rollups, not 86,400 points. The rollups hold the same points the raw path
 * would read: good and uncertain quality, finite values (ingest stores no
 * NaN or infinity). Prometheus sums with Kahan's method and averages
 * incrementally; these sums differ from its in the last bits at most. */
#define ROLLUP_MIN_RANGE_MS (60 * 60000)

static bool rollup_fits(const ev *x, pq_func f, int64_t range) {
    /* below an hour the raw points are cheaper: a window of minutes lies in
     * one or two chunks, decoded once and then served by the historian's
     * chunk cache, while rollups cost seeks in two more column families */
    return x->ns == 1 && range >= ROLLUP_MIN_RANGE_MS &&
           (f == PQ_F_MIN_OVER_TIME || f == PQ_F_MAX_OVER_TIME || f == PQ_F_SUM_OVER_TIME ||
            f == PQ_F_COUNT_OVER_TIME || f == PQ_F_AVG_OVER_TIME);
}

static int window_from_rollups(ev *x, pq_func f, uint32_t id, int64_t lo, int64_t hi,
                               hist_buckets *bk, bool *has, double *out) {
    hist_error he;
    hist_status st = hist_query_agg(x->h, id, lo, hi + 1, 60000, 0, bk, &he);
    if (st != HIST_OK) return ev_fail(x, 500, "internal", "historian: %s", he.msg);
    double cnt = 0, sum = 0, c = 0, mn = 0, mx = 0;
    for (size_t j = 0; j < bk->n; j++) {
        const hist_bucket *b = &bk->v[j];
        if (!b->count) continue;
        if (cnt == 0 || b->min < mn) mn = b->min;
        if (cnt == 0 || b->max > mx) mx = b->max;
        cnt += b->count;
        sum = kahan_inc(b->sum, sum, &c);
    }
    *has = cnt > 0;
    sum += c;
    *out = f == PQ_F_MIN_OVER_TIME     ? mn
           : f == PQ_F_MAX_OVER_TIME   ? mx
           : f == PQ_F_SUM_OVER_TIME   ? sum
           : f == PQ_F_COUNT_OVER_TIME ? cnt
                                       : sum / cnt;
    return ev_tick(x);
}

/* One slice of a range function's series, [from, to) of ids: a worker's
 * share. It reads with its own buffers and writes only its series'
 * columns; x is the worker's own copy of the query (its error, its clock
 * checks), and nothing here allocates from the query's arena. */
typedef struct range_job {
    ev x;
    pq_error err;
    pq_func f;
    const pq_node *msel;
    const value *phi;
    const pq_idlist *ids;
    size_t from, to;
    value *out;
    int rc;
} range_job;

static int range_slice(range_job *j) {
    ev *x = &j->x;
    int64_t range = j->msel->u.sel.range_ms, off = j->msel->u.sel.offset_ms;
    int rc = 0;
    if (rollup_fits(x, j->f, range)) {
        hist_buckets bk = {0};
        int64_t ref = ev_t(x, 0) - off;
        for (size_t i = j->from; i < j->to && rc == 0; i++) {
            bool has = false;
            double v = 0;
            rc = window_from_rollups(x, j->f, j->ids->ids[i], ref - range, ref, &bk, &has, &v);
            if (rc == 0 && has) j->out->s[i].has[0] = 1, j->out->s[i].v[0] = v;
        }
        hist_buckets_free(&bk);
        return rc;
    }
    hist_samples buf = {0};
    double *scratch = NULL;
    for (size_t i = j->from; i < j->to && rc == 0; i++) {
        const hist_sample *s;
        size_t cnt;
        if ((rc = ev_read_range(x, j->msel, j->ids->ids[i], &buf, &s, &cnt)) != 0) break;
        if (j->f == PQ_F_QUANTILE_OVER_TIME) {
            free(scratch);
            if (!(scratch = malloc((cnt ? cnt : 1) * sizeof *scratch))) {
                rc = ev_oom(x);
                break;
            }
        }
        size_t lo = 0, hi = 0;
        vser *o = &j->out->s[i];
        for (size_t k = 0; k < x->ns; k++) {
            int64_t ref = ev_t(x, k) - off;
            while (lo < cnt && s[lo].ts_ms < ref - range) lo++;
            if (hi < lo) hi = lo;
            while (hi < cnt && s[hi].ts_ms <= ref) hi++;
            double v;
            if (window_value(j->f, s + lo, hi - lo, ref - range, ref, range,
                             j->phi->sc ? j->phi->sc[k] : 0, scratch, &v))
                o->has[k] = 1, o->v[k] = v;
        }
    }
    free(scratch);
    hist_samples_free(&buf);
    return rc;
}

static void *range_worker(void *arg) {
    range_job *j = arg;
    j->rc = range_slice(j);
    return NULL;
}

/* A range function over many series uses every core: reading and decoding
 * the samples is most of its time, and each series is independent (as
 * VictoriaMetrics spreads a query over its cores). Fewer than
 * PAR_MIN_SERIES series stay on the calling thread. */
#define PAR_MIN_SERIES  64
#define PAR_MAX_THREADS 4

static int range_parallel(ev *x, pq_func f, const pq_node *msel, const value *phi,
                          const pq_idlist *ids, value *out) {
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    size_t nt = ids->n < PAR_MIN_SERIES ? 1 : cpus < 1 ? 1 : (size_t)cpus;
    if (nt > PAR_MAX_THREADS) nt = PAR_MAX_THREADS;
    range_job jobs[PAR_MAX_THREADS];
    pthread_t th[PAR_MAX_THREADS];
    bool started[PAR_MAX_THREADS] = {false};
    for (size_t t = 0; t < nt; t++) {
        jobs[t] = (range_job){.x = *x, .f = f, .msel = msel, .phi = phi, .ids = ids, .out = out};
        jobs[t].x.err = &jobs[t].err;
        jobs[t].x.checks = 0;
        jobs[t].from = ids->n * t / nt;
        jobs[t].to = ids->n * (t + 1) / nt;
    }
    /* the caller's thread takes the first slice; a thread that cannot
     * start leaves its slice to the caller too */
    for (size_t t = 1; t < nt; t++)
        started[t] = pthread_create(&th[t], NULL, range_worker, &jobs[t]) == 0;
    range_worker(&jobs[0]);
    for (size_t t = 1; t < nt; t++) {
        if (started[t])
            pthread_join(th[t], NULL);
        else
            range_worker(&jobs[t]);
    }
    for (size_t t = 0; t < nt; t++)
        if (jobs[t].rc != 0) {
            *x->err = jobs[t].err;
            return -1;
        }
    return 0;
}

static int call_range(ev *x, const pq_node *n, value *out) {
    pq_func f = n->u.call.func;
    const pq_node *msel = ev_unparen(n->u.call.args[f == PQ_F_QUANTILE_OVER_TIME ? 1 : 0]);
    value phi = {0};
    if (f == PQ_F_QUANTILE_OVER_TIME && ev_eval(x, n->u.call.args[0], &phi)) return -1;
    pq_idlist ids = {0};
    if (ev_select(x, msel, &ids)) return -1;
    int rc = -1;
    hist_samples buf = {0};
    double *scratch = NULL;
    int64_t range = msel->u.sel.range_ms, off = msel->u.sel.offset_ms;
    if (f == PQ_F_ABSENT_OVER_TIME) {
        uint8_t *seen = pq_arena_alloc(&x->ar, x->ns);
        if (!seen) {
            ev_oom(x);
            goto done;
        }
        for (size_t i = 0; i < ids.n; i++) {
            const hist_sample *s;
            size_t cnt;
            if (ev_read_range(x, msel, ids.ids[i], &buf, &s, &cnt)) goto done;
            size_t lo = 0, hi = 0;
            for (size_t k = 0; k < x->ns; k++) {
                int64_t ref = ev_t(x, k) - off;
                while (lo < cnt && s[lo].ts_ms < ref - range) lo++;
                if (hi < lo) hi = lo;
                while (hi < cnt && s[hi].ts_ms <= ref) hi++;
                if (hi > lo) seen[k] = 1;
            }
        }
        lset lab;
        if (absent_labels(x, msel, &lab) || ev_vector(x, 1, out)) goto done;
        out->s[0].lab = lab;
        for (size_t k = 0; k < x->ns; k++)
            if (!seen[k]) out->s[0].has[k] = 1, out->s[0].v[k] = 1;
        rc = 0;
        goto done;
    }
    if (ev_vector(x, ids.n, out)) goto done;
    for (size_t i = 0; i < ids.n; i++) {
        size_t nl;
        const pq_label *l = pq_catalog_labels(x->cat, ids.ids[i], &nl);
        out->s[i].lab = (lset){l, nl};
    }
    if (range_parallel(x, f, msel, &phi, &ids, out)) goto done;
    /* last_over_time keeps the metric name, as Prometheus keeps it */
    rc = f == PQ_F_LAST_OVER_TIME ? 0 : ev_drop_names(x, out);
done:
    free(scratch);
    hist_samples_free(&buf);
    pq_idlist_free(&ids);
    return rc;
}

static int cmp_by_value(const void *a, const void *b) {
    const vser *p = a, *q = b;
    return cmp_double(&p->v[0], &q->v[0]);
}

static int cmp_by_value_desc(const void *a, const void *b) {
    const vser *p = a, *q = b;
    double x = p->v[0], y = q->v[0];
    if (isnan(x)) return isnan(y) ? 0 : -1; /* NaN first here too */
    if (isnan(y)) return 1;
    return x > y ? -1 : x < y;
}

int ev_call(ev *x, const pq_node *n, value *out) {
    pq_func f = n->u.call.func;
    switch (f) {
        case PQ_F_RATE:
        case PQ_F_IRATE:
        case PQ_F_INCREASE:
        case PQ_F_DELTA:
        case PQ_F_IDELTA:
        case PQ_F_DERIV:
        case PQ_F_AVG_OVER_TIME:
        case PQ_F_MIN_OVER_TIME:
        case PQ_F_MAX_OVER_TIME:
        case PQ_F_SUM_OVER_TIME:
        case PQ_F_COUNT_OVER_TIME:
        case PQ_F_LAST_OVER_TIME:
        case PQ_F_QUANTILE_OVER_TIME:
        case PQ_F_CHANGES:
        case PQ_F_RESETS:
        case PQ_F_ABSENT_OVER_TIME:
            return call_range(x, n, out);
        case PQ_F_TIME:
            if (ev_scalar(x, out)) return -1;
            for (size_t k = 0; k < x->ns; k++) out->sc[k] = (double)ev_t(x, k) / 1000;
            return 0;
        case PQ_F_VECTOR: {
            value s;
            if (ev_eval(x, n->u.call.args[0], &s) || ev_vector(x, 1, out)) return -1;
            for (size_t k = 0; k < x->ns; k++) out->s[0].has[k] = 1, out->s[0].v[k] = s.sc[k];
            return 0;
        }
        case PQ_F_SCALAR: {
            value v;
            if (ev_eval(x, n->u.call.args[0], &v) || ev_scalar(x, out)) return -1;
            for (size_t k = 0; k < x->ns; k++) {
                size_t c = 0;
                double val = NAN;
                for (size_t i = 0; i < v.n; i++)
                    if (v.s[i].has[k]) c++, val = v.s[i].v[k];
                out->sc[k] = c == 1 ? val : NAN;
            }
            return 0;
        }
        case PQ_F_ABSENT: {
            value v;
            lset lab;
            if (ev_eval(x, n->u.call.args[0], &v) || absent_labels(x, n->u.call.args[0], &lab) ||
                ev_vector(x, 1, out))
                return -1;
            out->s[0].lab = lab;
            for (size_t k = 0; k < x->ns; k++) {
                bool any = false;
                for (size_t i = 0; i < v.n && !any; i++) any = v.s[i].has[k];
                if (!any) out->s[0].has[k] = 1, out->s[0].v[k] = 1;
            }
            return 0;
        }
        case PQ_F_TIMESTAMP: {
            const pq_node *a = ev_unparen(n->u.call.args[0]);
            if (a->kind == PQ_N_SELECTOR) {
                if (ev_selector(x, a, true, out)) return -1;
                for (size_t i = 0; i < out->n; i++)
                    for (size_t k = 0; k < x->ns; k++)
                        if (out->s[i].has[k]) out->s[i].v[k] = (double)out->s[i].ts[k] / 1000;
            } else {
                if (ev_eval(x, n->u.call.args[0], out)) return -1;
                for (size_t i = 0; i < out->n; i++)
                    for (size_t k = 0; k < x->ns; k++) out->s[i].v[k] = (double)ev_t(x, k) / 1000;
            }
            return ev_drop_names(x, out);
        }
        case PQ_F_SORT:
        case PQ_F_SORT_DESC:
            if (ev_eval(x, n->u.call.args[0], out)) return -1;
            if (x->ns == 1) {
                /* only an instant query has an order; series without a value
                 * are not in its answer */
                size_t m = 0;
                for (size_t i = 0; i < out->n; i++)
                    if (out->s[i].has[0]) out->s[m++] = out->s[i];
                out->n = m;
                if (out->n)
                    qsort(out->s, out->n, sizeof *out->s,
                          f == PQ_F_SORT ? cmp_by_value : cmp_by_value_desc);
                out->ordered = true;
            }
            return 0;
        default:
            break;
    }
    /* value by value: abs, ceil, floor, round, clamp*, sqrt, exp, ln, log2, log10 */
    if (ev_eval(x, n->u.call.args[0], out)) return -1;
    value a1 = {0}, a2 = {0};
    if (n->u.call.n_args > 1 && ev_eval(x, n->u.call.args[1], &a1)) return -1;
    if (n->u.call.n_args > 2 && ev_eval(x, n->u.call.args[2], &a2)) return -1;
    for (size_t i = 0; i < out->n; i++) {
        vser *s = &out->s[i];
        for (size_t k = 0; k < x->ns; k++) {
            if (!s->has[k]) continue;
            double v = s->v[k];
            switch (f) {
                case PQ_F_ABS:
                    v = fabs(v);
                    break;
                case PQ_F_CEIL:
                    v = ceil(v);
                    break;
                case PQ_F_FLOOR:
                    v = floor(v);
                    break;
                case PQ_F_SQRT:
                    v = sqrt(v);
                    break;
                case PQ_F_EXP:
                    v = exp(v);
                    break;
                case PQ_F_LN:
                    v = log(v);
                    break;
                case PQ_F_LOG2:
                    v = log2(v);
                    break;
                case PQ_F_LOG10:
                    v = log10(v);
                    break;
                case PQ_F_ROUND: {
                    double to = a1.sc ? a1.sc[k] : 1, inv = 1.0 / to;
                    v = floor(v * inv + 0.5) / inv;
                    break;
                }
                case PQ_F_CLAMP:
                    /* min > max: no result at that step */
                    if (a1.sc[k] > a2.sc[k]) {
                        s->has[k] = 0;
                        continue;
                    }
                    v = go_max(a1.sc[k], go_min(a2.sc[k], v));
                    break;
                case PQ_F_CLAMP_MIN:
                    v = go_max(a1.sc[k], v);
                    break;
                case PQ_F_CLAMP_MAX:
                    v = go_min(a1.sc[k], v);
                    break;
                default:
                    return ev_fail(x, 400, "bad_data", "function %s not supported",
                                   pq_func_name(f));
            }
            s->v[k] = v;
        }
    }
    return ev_drop_names(x, out);
}
