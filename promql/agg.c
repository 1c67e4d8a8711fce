/*
 * agg.c - aggregation across series (sum, avg, min, max, count, group,
 * stddev, stdvar, topk, bottomk, quantile) by or without labels, as
 * Prometheus 2.42's aggregation() computes them, at every step.
 */
#include "promql/eval.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct group {
    lset lab;
    size_t *members; /* input series, in input order */
    size_t n_members, cap;
    double *val, *mean, *cnt; /* per step */
} group;

static int add_member(ev *x, group *g, size_t i) {
    if (g->n_members == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 8;
        size_t *m = pq_arena_alloc(&x->ar, cap * sizeof *m);
        if (!m) return ev_oom(x);
        if (g->n_members) memcpy(m, g->members, g->n_members * sizeof *m);
        g->members = m, g->cap = cap;
    }
    g->members[g->n_members++] = i;
    return 0;
}

/* The series' group labels: by (...) keeps the listed labels, without (...)
 * drops them and the metric name, no clause is one group. */
static int group_labels(ev *x, const pq_node *n, lset in, lset *out) {
    const char *const *g = n->u.agg.grouping;
    size_t ng = n->u.agg.n_grouping;
    if (n->u.agg.without) return lset_filter(x, in, g, ng, false, true, out);
    return lset_filter(x, in, g, ng, true, false, out);
}

typedef struct kv {
    double v;
    size_t i;
} kv;

static int kv_desc(const void *a, const void *b) {
    double x = ((const kv *)a)->v, y = ((const kv *)b)->v;
    /* NaN is the smallest for topk (it goes last) */
    if (isnan(x)) return isnan(y) ? 0 : 1;
    if (isnan(y)) return -1;
    return x > y ? -1 : x < y;
}

static int kv_asc(const void *a, const void *b) {
    double x = ((const kv *)a)->v, y = ((const kv *)b)->v;
    /* and the largest for bottomk (it goes last too) */
    if (isnan(x)) return isnan(y) ? 0 : 1;
    if (isnan(y)) return -1;
    return x < y ? -1 : x > y;
}

static int agg_k(ev *x, const pq_node *n, value *in, group *gs, size_t ngroups, const double *param,
                 value *out) {
    bool top = n->u.agg.op == PQ_A_TOPK;
    /* each input series is an output series, with the steps where it made
     * its group's k */
    if (ev_vector(x, in->n, out)) return -1;
    for (size_t i = 0; i < in->n; i++) out->s[i].lab = in->s[i].lab;
    kv *tmp = malloc((in->n ? in->n : 1) * sizeof *tmp);
    size_t *order = malloc((in->n ? in->n : 1) * sizeof *order);
    if (!tmp || !order) {
        free(tmp), free(order);
        return ev_oom(x);
    }
    size_t n_order = 0;
    for (size_t k = 0; k < x->ns; k++) {
        double kf = param[k];
        if (isnan(kf) || kf < 1) continue;
        size_t kk = kf >= (double)in->n ? in->n : (size_t)kf;
        for (size_t g = 0; g < ngroups; g++) {
            size_t m = 0;
            for (size_t j = 0; j < gs[g].n_members; j++) {
                size_t i = gs[g].members[j];
                if (in->s[i].has[k]) tmp[m++] = (kv){in->s[i].v[k], i};
            }
            qsort(tmp, m, sizeof *tmp, top ? kv_desc : kv_asc);
            for (size_t j = 0; j < m && j < kk; j++) {
                vser *o = &out->s[tmp[j].i];
                o->has[k] = 1, o->v[k] = tmp[j].v;
                if (x->ns == 1) order[n_order++] = tmp[j].i;
            }
        }
    }
    if (x->ns == 1) {
        /* an instant answer lists each group's top k in order */
        vser *s = pq_arena_alloc(&x->ar, (n_order ? n_order : 1) * sizeof *s);
        if (!s) {
            free(tmp), free(order);
            return ev_oom(x);
        }
        for (size_t j = 0; j < n_order; j++) s[j] = out->s[order[j]];
        out->s = s, out->n = n_order, out->ordered = true;
    }
    free(tmp), free(order);
    return 0;
}

int ev_agg(ev *x, const pq_node *n, value *out) {
    pq_agg_op op = n->u.agg.op;
    value in, param = {0};
    if (n->u.agg.param && ev_eval(x, n->u.agg.param, &param)) return -1;
    if (ev_eval(x, n->u.agg.expr, &in)) return -1;
    /* groups, in the order their first series comes */
    outtab idx;
    if (outtab_init(x, &idx, in.n)) return -1;
    group *gs = pq_arena_alloc(&x->ar, (in.n ? in.n : 1) * sizeof *gs);
    size_t ngroups = 0;
    if (!gs) {
        outtab_value(&idx, NULL);
        return ev_oom(x);
    }
    for (size_t i = 0; i < in.n; i++) {
        lset gl;
        if (group_labels(x, n, in.s[i].lab, &gl)) goto fail;
        size_t before = idx.n;
        vser *slot = outtab_get(x, &idx, gl);
        if (!slot) goto fail;
        size_t g = (size_t)(slot - idx.s);
        if (idx.n > before) gs[ngroups++].lab = gl;
        if (add_member(x, &gs[g], i)) goto fail;
    }
    outtab_value(&idx, NULL);
    if (op == PQ_A_TOPK || op == PQ_A_BOTTOMK) return agg_k(x, n, &in, gs, ngroups, param.sc, out);

    if (ev_vector(x, ngroups, out)) return -1;
    double *scratch = op == PQ_A_QUANTILE ? malloc((in.n ? in.n : 1) * sizeof *scratch) : NULL;
    if (op == PQ_A_QUANTILE && !scratch) return ev_oom(x);
    for (size_t g = 0; g < ngroups; g++) {
        vser *o = &out->s[g];
        o->lab = gs[g].lab;
        for (size_t k = 0; k < x->ns; k++) {
            double val = 0, mean = 0, cnt = 0;
            size_t nq = 0;
            for (size_t j = 0; j < gs[g].n_members; j++) {
                const vser *s = &in.s[gs[g].members[j]];
                if (!s->has[k]) continue;
                double v = s->v[k];
                if (cnt == 0) {
                    /* the group's first sample */
                    cnt = 1;
                    val = v, mean = v;
                    if (op == PQ_A_STDDEV || op == PQ_A_STDVAR) val = 0;
                    if (op == PQ_A_QUANTILE) scratch[nq++] = v;
                    continue;
                }
                cnt++;
                switch (op) {
                    case PQ_A_SUM:
                        val += v;
                        break;
                    case PQ_A_AVG:
                        if (isinf(mean)) {
                            if (isinf(v) && (mean > 0) == (v > 0)) break;
                            if (!isinf(v) && !isnan(v)) break;
                        }
                        mean += v / cnt - mean / cnt;
                        break;
                    case PQ_A_MAX:
                        if (val < v || isnan(val)) val = v;
                        break;
                    case PQ_A_MIN:
                        if (val > v || isnan(val)) val = v;
                        break;
                    case PQ_A_STDDEV:
                    case PQ_A_STDVAR: {
                        double d = v - mean;
                        mean += d / cnt;
                        val += d * (v - mean);
                        break;
                    }
                    case PQ_A_QUANTILE:
                        scratch[nq++] = v;
                        break;
                    default:
                        break;
                }
            }
            if (cnt == 0) continue;
            double r;
            switch (op) {
                case PQ_A_AVG:
                    r = mean;
                    break;
                case PQ_A_COUNT:
                    r = cnt;
                    break;
                case PQ_A_GROUP:
                    r = 1;
                    break;
                case PQ_A_STDVAR:
                    r = val / cnt;
                    break;
                case PQ_A_STDDEV:
                    r = sqrt(val / cnt);
                    break;
                case PQ_A_QUANTILE:
                    r = pq_quantile(param.sc[k], scratch, nq);
                    break;
                default:
                    r = val;
                    break;
            }
            o->has[k] = 1, o->v[k] = r;
        }
        if (ev_tick(x)) {
            free(scratch);
            return -1;
        }
    }
    free(scratch);
    return 0;
fail:
    outtab_value(&idx, NULL);
    return -1;
}
