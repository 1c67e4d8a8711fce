/*
 * engine.c - promql.h's calls: the engine (the historian, the catalog kept
 * up to date with new series), queries and their answers in Prometheus's
 * JSON, series, label names and values, and VictoriaMetrics's export.
 */
#include "promql/eval.h"

#include "common/clock.h"
#include "common/numfmt.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pq_engine {
    hist *h;
    pq_options o;
    pq_catalog *cat;
    pthread_mutex_t learn; /* one thread at a time adds new series */
    size_t known;          /* historian series count at the last look */
    pq_regex *any_name;    /* ".+": every series, for label lists over a window */
};

void pq_options_default(pq_options *o) {
    *o = (pq_options){
        .lookback_ms = 5 * 60 * 1000,
        .max_samples = 50000000,
        .max_series = 1000000,
        .max_points = 11000,
        .timeout_ms = 2 * 60 * 1000,
    };
}

static int learn(pq_engine *e, pq_error *err);
int pq_fail(pq_error *err, int status, const char *type, const char *fmt, ...) {
    err->status = status;
    err->type = type;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return -1;
}

pq_engine *pq_engine_new(hist *h, const pq_options *o, pq_error *err) {
    pq_engine *e = calloc(1, sizeof *e);
    if (!e || !(e->cat = pq_catalog_new())) {
        free(e);
        pq_fail(err, 500, "internal", "out of memory");
        return NULL;
    }
    char rerr[128];
    if (!(e->any_name = pq_regex_compile(".+", 2, rerr, sizeof rerr))) {
        pq_catalog_free(e->cat);
        free(e);
        pq_fail(err, 500, "internal", "%s", rerr);
        return NULL;
    }
    e->h = h;
    if (o)
        e->o = *o;
    else
        pq_options_default(&e->o);
    pthread_mutex_init(&e->learn, NULL);
    return e;
}

void pq_engine_free(pq_engine *e) {
    if (!e) return;
    pq_catalog_free(e->cat);
    pq_regex_free(e->any_name);
    pthread_mutex_destroy(&e->learn);
    free(e);
}

hist *pq_engine_hist(pq_engine *e) {
    return e->h;
}

pq_catalog *pq_engine_catalog(pq_engine *e) {
    return e->cat;
}

int pq_engine_learn(pq_engine *e, pq_error *err) {
    return learn(e, err);
}

size_t pq_series_known(pq_engine *e) {
    return pq_catalog_count(e->cat);
}

/* Gives the catalog the series the historian got since the last look. */
static int learn(pq_engine *e, pq_error *err) {
    size_t n = hist_series_count(e->h);
    pthread_mutex_lock(&e->learn);
    if (n == e->known) {
        pthread_mutex_unlock(&e->learn);
        return 0;
    }
    hist_series_list all = {0};
    hist_error he;
    int rc = 0;
    if (hist_series_find(e->h, NULL, &all, &he) != HIST_OK) {
        rc = pq_fail(err, 500, "internal", "historian: %s", he.msg);
        goto done;
    }
    for (size_t i = 0; i < all.n; i++) {
        if (pq_catalog_has(e->cat, all.ids[i])) continue;
        hist_series_info si;
        if (hist_series_get(e->h, all.ids[i], &si, &he) != HIST_OK) continue;
        char kind[64] = "", buf[4096];
        if (e->o.kind_of) e->o.kind_of(e->o.kind_ctx, si.name, kind, sizeof kind);
        pq_label l[PQ_MAX_LABELS];
        size_t nl = pq_labels_of_series(si.name, si.unit, kind, buf, sizeof buf, l, PQ_MAX_LABELS);
        if (nl && pq_catalog_set(e->cat, all.ids[i], l, nl) != 0) {
            rc = pq_fail(err, 500, "internal", "out of memory");
            goto done;
        }
    }
    e->known = n;
done:
    hist_series_list_free(&all);
    pthread_mutex_unlock(&e->learn);
    return rc;
}

static void ev_init(ev *x, pq_engine *e, const char *scope, pq_error *err) {
    *x = (ev){.e = e,
              .h = e->h,
              .cat = e->cat,
              .lookback = e->o.lookback_ms,
              .scope = scope,
              .max_series = e->o.max_series,
              .max_samples = e->o.max_samples,
              .deadline = pw_mono_ms() + e->o.timeout_ms,
              .err = err};
    /* a sample column costs 9 bytes a step; the budget is max_samples of them */
    x->ar.limit = e->o.max_samples > SIZE_MAX / 16 ? SIZE_MAX : e->o.max_samples * 16;
    err->type = NULL;
}

/* ---- JSON ---- */

static void json_labels(textbuf *b, lset l) {
    tb_put(b, "{", 1);
    for (size_t i = 0; i < l.n; i++) {
        if (i) tb_put(b, ",", 1);
        tb_jstr(b, l.l[i].name);
        tb_put(b, ":", 1);
        tb_jstr(b, l.l[i].value);
    }
    tb_put(b, "}", 1);
}

static void json_point(textbuf *b, int64_t t, double v) {
    char tb[40], vb[400];
    size_t tn = pq_fmt_time(tb, t), vn = pq_fmt_float(vb, v);
    if (!tb_reserve(b, tn + vn + 8)) return;
    char *p = b->p + b->n;
    *p++ = '[';
    memcpy(p, tb, tn), p += tn;
    *p++ = ',', *p++ = '"';
    memcpy(p, vb, vn), p += vn;
    *p++ = '"', *p++ = ']';
    b->n = (size_t)(p - b->p);
    b->p[b->n] = 0;
}

static int cmp_series(const void *a, const void *b) {
    return lset_cmp(((const vser *)a)->lab, ((const vser *)b)->lab);
}

static void json_result(ev *x, value *v, bool instant, textbuf *out) {
    tb_str(out, "{\"status\":\"success\",\"data\":{\"resultType\":");
    if (v->type == PQ_T_SCALAR || v->type == PQ_T_STRING) {
        tb_str(out, v->type == PQ_T_SCALAR ? "\"scalar\",\"result\":" : "\"string\",\"result\":");
        if (v->type == PQ_T_SCALAR) {
            json_point(out, ev_t(x, 0), v->sc[0]);
        } else {
            char tb[40];
            pq_fmt_time(tb, ev_t(x, 0));
            tb_printf(out, "[%s,", tb);
            tb_jstr(out, v->str);
            tb_put(out, "]", 1);
        }
        if (!instant) {
            /* a range query of a scalar is a matrix of one series */
            out->n = 0;
            tb_str(out, "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":"
                        "[{\"metric\":{},\"values\":[");
            for (size_t k = 0; k < x->ns; k++) {
                if (k) tb_put(out, ",", 1);
                json_point(out, ev_t(x, k), v->sc[k]);
            }
            tb_str(out, "]}]");
        }
        tb_str(out, "}}");
        return;
    }
    if (!v->ordered && v->n) qsort(v->s, v->n, sizeof *v->s, cmp_series);
    tb_str(out, instant ? "\"vector\",\"result\":[" : "\"matrix\",\"result\":[");
    bool first = true;
    for (size_t i = 0; i < v->n; i++) {
        const vser *s = &v->s[i];
        bool any = false;
        for (size_t k = 0; k < x->ns && !any; k++) any = s->has[k];
        if (!any) continue;
        if (!first) tb_put(out, ",", 1);
        first = false;
        tb_str(out, "{\"metric\":");
        json_labels(out, s->lab);
        if (instant) {
            tb_str(out, ",\"value\":");
            json_point(out, ev_t(x, 0), s->v[0]);
        } else {
            tb_str(out, ",\"values\":[");
            bool f = true;
            for (size_t k = 0; k < x->ns; k++) {
                if (!s->has[k]) continue;
                if (!f) tb_put(out, ",", 1);
                f = false;
                json_point(out, ev_t(x, k), s->v[k]);
            }
            tb_put(out, "]", 1);
        }
        tb_put(out, "}", 1);
    }
    tb_str(out, "]}}");
}

/* An instant query of a range selector: each series' raw samples. */
static int json_matrix_raw(ev *x, const pq_node *sel, textbuf *out) {
    pq_idlist ids = {0};
    if (ev_select(x, sel, &ids)) return -1;
    hist_samples buf = {0};
    int rc = 0;
    tb_str(out, "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[");
    bool first = true;
    for (size_t i = 0; i < ids.n && rc == 0; i++) {
        const hist_sample *s;
        size_t n;
        if ((rc = ev_read_range(x, sel, ids.ids[i], &buf, &s, &n)) != 0 || !n) continue;
        size_t nl;
        const pq_label *l = pq_catalog_labels(x->cat, ids.ids[i], &nl);
        if (!first) tb_put(out, ",", 1);
        first = false;
        tb_str(out, "{\"metric\":");
        json_labels(out, (lset){l, nl});
        tb_str(out, ",\"values\":[");
        for (size_t j = 0; j < n; j++) {
            if (j) tb_put(out, ",", 1);
            json_point(out, s[j].ts_ms, s[j].value);
        }
        tb_str(out, "]}");
    }
    tb_str(out, "]}}");
    hist_samples_free(&buf);
    pq_idlist_free(&ids);
    return rc;
}

int pq_query(pq_engine *e, const pq_query_args *q, textbuf *out, pq_error *err) {
    err->type = NULL;
    bool instant = q->step_ms == 0;
    if (!instant) {
        if (q->step_ms < 0)
            return pq_fail(err, 400, "bad_data",
                           "zero or negative query resolution step widths are not accepted. Try a "
                           "positive integer");
        if (q->end_ms < q->start_ms)
            return pq_fail(err, 400, "bad_data", "end timestamp must not be before start time");
        if ((q->end_ms - q->start_ms) / q->step_ms >= (int64_t)e->o.max_points)
            return pq_fail(err, 400, "bad_data",
                           "exceeded maximum resolution of 11,000 points per timeseries. Try "
                           "decreasing the query resolution (?step=XX)");
    }
    char perr[512];
    pq_ast *ast;
    pq_node *root;
    if (pq_parse(q->query, q->query_len, &ast, &root, perr, sizeof perr) != 0)
        return pq_fail(err, 400, "bad_data", "%s", perr);
    if (!instant && root->type != PQ_T_SCALAR && root->type != PQ_T_VECTOR) {
        pq_type t = root->type; /* read before the tree goes */
        pq_ast_free(ast);
        return pq_fail(err, 400, "bad_data",
                       "invalid expression type \"%s\" for range query, must be Scalar or instant "
                       "Vector",
                       t == PQ_T_MATRIX ? "range vector" : "string");
    }
    if (learn(e, err)) {
        pq_ast_free(ast);
        return -1;
    }
    ev x;
    ev_init(&x, e, q->scope, err);
    if (q->lookback_ms > 0) x.lookback = q->lookback_ms;
    x.start = q->start_ms;
    x.step = instant ? 0 : q->step_ms;
    x.ns = instant ? 1 : (size_t)((q->end_ms - q->start_ms) / q->step_ms) + 1;
    int rc;
    size_t mark = out->n;
    if (root->type == PQ_T_MATRIX) {
        rc = json_matrix_raw(&x, ev_unparen(root), out);
    } else {
        value v;
        rc = ev_eval(&x, root, &v);
        if (rc == 0) json_result(&x, &v, instant, out);
    }
    if (rc == 0 && out->oom) rc = pq_fail(err, 500, "internal", "out of memory writing the answer");
    if (rc != 0) out->n = mark;
    pq_arena_free(&x.ar);
    pq_ast_free(ast);
    return rc;
}

/* ---- series, labels, export ---- */

/* The union of the series the match[] selectors select, ascending. */
static int select_all(pq_engine *e, const pq_select_args *a, pq_idlist *ids, pq_error *err) {
    ids->n = 0;
    if (learn(e, err)) return -1;
    for (size_t m = 0; m < a->n_match; m++) {
        char perr[512];
        pq_ast *ast;
        pq_node *root;
        const char *s = a->match[m];
        if (pq_parse(s, strlen(s), &ast, &root, perr, sizeof perr) != 0)
            return pq_fail(err, 400, "bad_data", "%s", perr);
        const pq_node *sel = ev_unparen(root);
        if (sel->kind != PQ_N_SELECTOR) {
            pq_ast_free(ast);
            return pq_fail(err, 400, "bad_data",
                           "invalid parameter \"match[]\": %s is not a selector", s);
        }
        pq_idlist one = {0};
        char msg[256] = "";
        int rc = pq_catalog_select(e->cat, sel->u.sel.matchers, sel->u.sel.n_matchers, a->scope,
                                   e->o.max_series, &one, msg, sizeof msg);
        pq_ast_free(ast);
        if (rc != 0) {
            pq_idlist_free(&one);
            return pq_fail(err, 422, "execution", "%s", msg[0] ? msg : "out of memory");
        }
        /* merge two ascending lists */
        uint32_t *u = malloc((ids->n + one.n + 1) * sizeof *u);
        if (!u) {
            pq_idlist_free(&one);
            return pq_fail(err, 500, "internal", "out of memory");
        }
        size_t i = 0, j = 0, n = 0;
        while (i < ids->n || j < one.n) {
            if (j >= one.n || (i < ids->n && ids->ids[i] < one.ids[j]))
                u[n++] = ids->ids[i++];
            else if (i >= ids->n || one.ids[j] < ids->ids[i])
                u[n++] = one.ids[j++];
            else
                u[n++] = ids->ids[i++], j++;
        }
        pq_idlist_free(&one);
        free(ids->ids);
        ids->ids = u, ids->n = n, ids->cap = ids->n + 1;
    }
    return 0;
}

/* Keeps the series with a sample in [start, end]: the last sample at or
 * before end is at or after start. */
static int keep_in_range(pq_engine *e, pq_idlist *ids, int64_t start, int64_t end, pq_error *err) {
    if (!ids->n) return 0;
    hist_value *hv = malloc(ids->n * sizeof *hv);
    if (!hv) return pq_fail(err, 500, "internal", "out of memory");
    hist_error he;
    if (hist_snapshot(e->h, end, ids->ids, ids->n, hv, &he) != HIST_OK) {
        free(hv);
        return pq_fail(err, 500, "internal", "historian: %s", he.msg);
    }
    size_t m = 0;
    for (size_t i = 0; i < ids->n; i++)
        if (hv[i].present && hv[i].ts_ms >= start) ids->ids[m++] = ids->ids[i];
    ids->n = m;
    free(hv);
    return 0;
}

int pq_series(pq_engine *e, const pq_select_args *a, textbuf *out, pq_error *err) {
    pq_idlist ids = {0};
    if (!a->n_match) return pq_fail(err, 400, "bad_data", "no match[] parameter provided");
    int rc = select_all(e, a, &ids, err);
    if (rc == 0) rc = keep_in_range(e, &ids, a->start_ms, a->end_ms, err);
    if (rc == 0) {
        tb_str(out, "{\"status\":\"success\",\"data\":[");
        size_t n = a->limit && ids.n > a->limit ? a->limit : ids.n;
        for (size_t i = 0; i < n; i++) {
            size_t nl;
            const pq_label *l = pq_catalog_labels(e->cat, ids.ids[i], &nl);
            if (i) tb_put(out, ",", 1);
            json_labels(out, (lset){l, nl});
        }
        tb_str(out, "]}");
    }
    pq_idlist_free(&ids);
    return rc;
}

static void json_strings(textbuf *out, const char **s, long n) {
    tb_str(out, "{\"status\":\"success\",\"data\":[");
    for (long i = 0; i < n; i++) {
        if (i) tb_put(out, ",", 1);
        tb_jstr(out, s[i]);
    }
    tb_str(out, "]}");
}

/* The series that label names and values look at: those the match[]
 * selectors select, or every series of the scope, with a sample in
 * [start, end]. *all when that is simply every series of the scope (no
 * match[], no window): the catalog answers that without a list. */
static int label_series(pq_engine *e, const pq_select_args *a, pq_idlist *ids, bool *all,
                        pq_error *err) {
    if (learn(e, err)) return -1;
    *all = !a->n_match && a->start_ms <= 0 && a->end_ms >= HIST_MAX_TS_MS;
    if (*all) return 0;
    int rc;
    if (a->n_match) {
        rc = select_all(e, a, ids, err);
    } else {
        /* every series has a metric name */
        char msg[256] = "";
        pq_matcher any = {.name = "__name__", .value = ".+", .op = PQ_M_RE, .re = e->any_name};
        rc = pq_catalog_select(e->cat, &any, 1, a->scope, 0, ids, msg, sizeof msg);
        if (rc) pq_fail(err, 500, "internal", "%s", msg[0] ? msg : "out of memory");
    }
    if (rc == 0) rc = keep_in_range(e, ids, a->start_ms, a->end_ms, err);
    if (rc) pq_idlist_free(ids);
    return rc;
}

int pq_label_names(pq_engine *e, const pq_select_args *a, textbuf *out, pq_error *err) {
    pq_idlist ids = {0};
    const char **names = NULL;
    bool all;
    if (label_series(e, a, &ids, &all, err)) return -1;
    long n = pq_catalog_label_names(e->cat, all ? NULL : &ids, a->scope, &names);
    pq_idlist_free(&ids);
    if (n < 0) return pq_fail(err, 500, "internal", "out of memory");
    json_strings(out, names, n);
    free(names);
    return 0;
}

int pq_label_values(pq_engine *e, const char *name, const pq_select_args *a, textbuf *out,
                    pq_error *err) {
    pq_idlist ids = {0};
    const char **values = NULL;
    bool all;
    if (label_series(e, a, &ids, &all, err)) return -1;
    long n = pq_catalog_label_values(e->cat, name, all ? NULL : &ids, a->scope, &values);
    pq_idlist_free(&ids);
    if (n < 0) return pq_fail(err, 500, "internal", "out of memory");
    json_strings(out, values, n);
    free(values);
    return 0;
}

int pq_metadata(pq_engine *e, const char *metric, const char *scope, textbuf *out, pq_error *err) {
    const char **names = NULL;
    if (learn(e, err)) return -1;
    long n = pq_catalog_label_values(e->cat, "__name__", NULL, scope, &names);
    if (n < 0) return pq_fail(err, 500, "internal", "out of memory");
    tb_str(out, "{\"status\":\"success\",\"data\":{");
    size_t written = 0;
    for (long i = 0; i < n; i++) {
        if (metric && strcmp(metric, names[i])) continue;
        if (written++) tb_put(out, ",", 1);
        tb_jstr(out, names[i]);
        tb_str(out, ":[{\"type\":\"gauge\",\"help\":\"\",\"unit\":\"\"}]");
    }
    tb_str(out, "}}");
    free(names);
    return 0;
}

int pq_export(pq_engine *e, const pq_select_args *a, textbuf *out, pq_error *err) {
    pq_idlist ids = {0};
    if (!a->n_match) return pq_fail(err, 400, "bad_data", "missing `match[]` arg");
    if (select_all(e, a, &ids, err)) {
        pq_idlist_free(&ids);
        return -1;
    }
    hist_samples buf = {0};
    hist_error he;
    int rc = 0;
    for (size_t i = 0; i < ids.n && rc == 0; i++) {
        if (hist_query_raw(e->h, ids.ids[i], a->start_ms, a->end_ms + 1, e->o.max_samples + 1, &buf,
                           &he) != HIST_OK) {
            rc = pq_fail(err, 500, "internal", "historian: %s", he.msg);
            break;
        }
        if (buf.truncated) {
            rc = pq_fail(err, 422, "execution", "more than %zu samples in one series",
                         e->o.max_samples);
            break;
        }
        size_t n = 0;
        for (size_t j = 0; j < buf.n; j++)
            if (!hist_quality_bad(buf.v[j].quality)) buf.v[n++] = buf.v[j];
        if (!n) continue;
        size_t nl;
        const pq_label *l = pq_catalog_labels(e->cat, ids.ids[i], &nl);
        tb_str(out, "{\"metric\":");
        json_labels(out, (lset){l, nl});
        tb_str(out, ",\"values\":[");
        for (size_t j = 0; j < n; j++) {
            char vb[400];
            size_t vn;
            if (isfinite(buf.v[j].value))
                vn = pq_fmt_float(vb, buf.v[j].value);
            else
                vn = (size_t)sprintf(vb, "null"); /* JSON has no NaN */
            if (j) tb_put(out, ",", 1);
            tb_put(out, vb, vn);
        }
        tb_str(out, "],\"timestamps\":[");
        for (size_t j = 0; j < n; j++) {
            char tb[24];
            size_t tn = nf_i64(tb, buf.v[j].ts_ms);
            if (j) tb_put(out, ",", 1);
            tb_put(out, tb, tn);
        }
        tb_str(out, "]}\n");
    }
    if (rc == 0 && out->oom) rc = pq_fail(err, 500, "internal", "out of memory writing the answer");
    hist_samples_free(&buf);
    pq_idlist_free(&ids);
    return rc;
}
