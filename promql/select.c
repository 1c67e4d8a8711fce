/*
 * select.c - selectors: which series (the catalog), and their samples (the
 * historian), with Prometheus 2.42's lookback for instant selectors.
 */
#include "promql/eval.h"

#include <stdlib.h>
#include <string.h>

const pq_node *ev_unparen(const pq_node *n) {
    while (n->kind == PQ_N_PAREN) n = n->u.unary.expr;
    return n;
}

int ev_select(ev *x, const pq_node *sel, pq_idlist *ids) {
    char msg[256] = "";
    if (pq_catalog_select(x->cat, sel->u.sel.matchers, sel->u.sel.n_matchers, x->scope,
                          x->max_series, ids, msg, sizeof msg) != 0) {
        pq_idlist_free(ids);
        return ev_fail(x, 422, "execution", "%s", msg[0] ? msg : "out of memory");
    }
    return 0;
}

static int hist_err(ev *x, hist_status st, const hist_error *he) {
    if (st == HIST_ELIMIT) return ev_oom(x);
    return ev_fail(x, 500, "internal", "historian: %s", he->msg);
}

/* Latest good sample in [ref - lookback, ref] of a series whose latest
 * sample at ref is of bad quality: read back over the lookback. */
static int last_good(ev *x, uint32_t id, int64_t ref, hist_samples *buf, bool *has, double *v,
                     int64_t *ts) {
    hist_error he;
    hist_status st = hist_query_raw(x->h, id, ref - x->lookback, ref + 1, 0, buf, &he);
    if (st != HIST_OK) return hist_err(x, st, &he);
    *has = false;
    for (size_t j = buf->n; j-- > 0;)
        if (!hist_quality_bad(buf->v[j].quality)) {
            *has = true, *v = buf->v[j].value, *ts = buf->v[j].ts_ms;
            break;
        }
    return 0;
}

int ev_selector(ev *x, const pq_node *sel, bool want_ts, value *out) {
    pq_idlist ids = {0};
    if (ev_select(x, sel, &ids)) return -1;
    int rc = -1;
    hist_value *hv = NULL;
    hist_samples buf = {0};
    if (ev_vector(x, ids.n, out)) goto done;
    for (size_t i = 0; i < ids.n; i++) {
        size_t nl;
        const pq_label *l = pq_catalog_labels(x->cat, ids.ids[i], &nl);
        out->s[i].lab = (lset){l, nl};
        if (want_ts && !(out->s[i].ts = pq_arena_alloc(&x->ar, x->ns * sizeof(int64_t)))) {
            ev_oom(x);
            goto done;
        }
    }
    int64_t off = sel->u.sel.offset_ms;
    hist_error he;
    if (x->ns <= 4) {
        /* A few steps: the state at each step is one lookup a series (the
         * last value of every series is a direct read of the head). */
        hv = malloc((ids.n ? ids.n : 1) * sizeof *hv);
        if (!hv) {
            ev_oom(x);
            goto done;
        }
        for (size_t k = 0; k < x->ns; k++) {
            int64_t ref = ev_t(x, k) - off;
            hist_status st = hist_snapshot(x->h, ref, ids.ids, ids.n, hv, &he);
            if (st != HIST_OK) {
                hist_err(x, st, &he);
                goto done;
            }
            for (size_t i = 0; i < ids.n; i++) {
                if (!hv[i].present || hv[i].ts_ms < ref - x->lookback) continue;
                bool has = true;
                double v = hv[i].value;
                int64_t ts = hv[i].ts_ms;
                if (hist_quality_bad(hv[i].quality) &&
                    last_good(x, ids.ids[i], ref, &buf, &has, &v, &ts))
                    goto done;
                if (!has) continue;
                out->s[i].has[k] = 1, out->s[i].v[k] = v;
                if (want_ts) out->s[i].ts[k] = ts;
            }
            if (ev_tick(x)) goto done;
        }
    } else {
        /* Many steps: each series read once over the whole query, and the
         * steps swept over it. */
        int64_t from = ev_t(x, 0) - off - x->lookback, to = ev_t(x, x->ns - 1) - off;
        for (size_t i = 0; i < ids.n; i++) {
            hist_status st = hist_query_raw(x->h, ids.ids[i], from, to + 1, 0, &buf, &he);
            if (st != HIST_OK) {
                hist_err(x, st, &he);
                goto done;
            }
            size_t j = 0;
            ptrdiff_t last = -1;
            for (size_t k = 0; k < x->ns; k++) {
                int64_t ref = ev_t(x, k) - off;
                for (; j < buf.n && buf.v[j].ts_ms <= ref; j++)
                    if (!hist_quality_bad(buf.v[j].quality)) last = (ptrdiff_t)j;
                if (last < 0 || buf.v[last].ts_ms < ref - x->lookback) continue;
                out->s[i].has[k] = 1, out->s[i].v[k] = buf.v[last].value;
                if (want_ts) out->s[i].ts[k] = buf.v[last].ts_ms;
            }
            if (ev_tick(x)) goto done;
        }
    }
    rc = 0;
done:
    free(hv);
    hist_samples_free(&buf);
    pq_idlist_free(&ids);
    return rc;
}

int ev_read_range(ev *x, const pq_node *sel, uint32_t id, hist_samples *buf, const hist_sample **s,
                  size_t *n) {
    int64_t off = sel->u.sel.offset_ms;
    int64_t from = ev_t(x, 0) - off - sel->u.sel.range_ms, to = ev_t(x, x->ns - 1) - off;
    hist_error he;
    /* one series may not hold more samples than the whole query may */
    hist_status st = hist_query_raw(x->h, id, from, to + 1, x->max_samples + 1, buf, &he);
    if (st != HIST_OK) return hist_err(x, st, &he);
    if (buf->truncated || buf->n > x->max_samples) return ev_oom(x);
    size_t m = 0;
    for (size_t j = 0; j < buf->n; j++)
        if (!hist_quality_bad(buf->v[j].quality)) buf->v[m++] = buf->v[j];
    buf->n = m;
    *s = buf->v, *n = m;
    return ev_tick(x);
}
