/*
 * routes_prom.c - the Prometheus HTTP query API, read-only, under /prom
 * (Parkwatch's own /api/v1/series is taken): what Grafana's Prometheus
 * datasource and any Prometheus client call. The queries are promql/'s;
 * this file reads the parameters (query string and form bodies alike, as
 * Prometheus reads them), applies the token's scope and answers in
 * Prometheus's shapes, errors included.
 */
#include "api/internal.h"

#define PROM_MAX_PARAMS 256
#define PROM_MAX_MATCH  64

/* A request's parameters: the query string's, then a form body's. */
typedef struct prom_params {
    const char *key[PROM_MAX_PARAMS];
    const char *val[PROM_MAX_PARAMS];
    size_t n;
    bool overflow;
    char *decoded; /* the form body, decoded in place */
} prom_params;

static enum MHD_Result collect(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *value) {
    (void)kind;
    prom_params *p = cls;
    if (p->n == PROM_MAX_PARAMS) {
        p->overflow = true;
        return MHD_NO;
    }
    p->key[p->n] = key, p->val[p->n] = value ? value : "";
    p->n++;
    return MHD_YES;
}

static int params_read(req *r, struct MHD_Connection *c, prom_params *p) {
    *p = (prom_params){0};
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect, p);
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
    if (r->body_n && ct && !strncasecmp(ct, "application/x-www-form-urlencoded", 33)) {
        if (!(p->decoded = malloc(r->body_n + 1))) return -1;
        memcpy(p->decoded, r->body, r->body_n);
        char *s = p->decoded, *end = s + r->body_n;
        while (s < end && !p->overflow) {
            char *amp = memchr(s, '&', (size_t)(end - s));
            if (!amp) amp = end;
            char *eq = memchr(s, '=', (size_t)(amp - s));
            if (amp > s) {
                char *kend = eq ? eq : amp;
                s[api_form_unescape(s, s, (size_t)(kend - s))] = 0;
                char *v = eq ? eq + 1 : amp;
                if (eq) v[api_form_unescape(v, v, (size_t)(amp - v))] = 0;
                if (p->n == PROM_MAX_PARAMS) {
                    p->overflow = true;
                    break;
                }
                p->key[p->n] = s, p->val[p->n] = eq ? v : "";
                p->n++;
            }
            s = amp + 1;
        }
    }
    return 0;
}

static const char *param(const prom_params *p, const char *key) {
    for (size_t i = 0; i < p->n; i++)
        if (!strcmp(p->key[i], key)) return p->val[i];
    return NULL;
}

static enum MHD_Result prom_error(req *r, struct MHD_Connection *c, int status, const char *type,
                                  const char *msg) {
    textbuf b = {0};
    tb_str(&b, "{\"status\":\"error\",\"errorType\":");
    tb_jstr(&b, type);
    tb_str(&b, ",\"error\":");
    tb_jstr(&b, msg);
    tb_str(&b, "}");
    return api_send_sb(r, c, status, "application/json", &b);
}

static enum MHD_Result bad_param(req *r, struct MHD_Connection *c, const char *name,
                                 const char *why) {
    char msg[300];
    snprintf(msg, sizeof msg, "invalid parameter \"%s\": %s", name, why);
    return prom_error(r, c, 400, "bad_data", msg);
}

static const char *scope_of(const req *r) {
    return r->tok.role == API_ROLE_ENTERPRISE ? r->tok.enterprise : NULL;
}

/* Prometheus's step and timeout: seconds as a number ("15", "0.5") or a
 * duration ("15s", "1m30s"). */
static bool parse_step(const char *s, int64_t *ms) {
    if (!s || !*s) return false;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end != s && !*end && isfinite(v) && errno == 0 &&
        (isdigit((unsigned char)s[0]) || s[0] == '.')) {
        double m = v * 1000;
        if (!(m >= 1 && m <= (double)API_DURATION_MAX_MS)) return false;
        *ms = (int64_t)m;
        return true;
    }
    return pq_parse_duration(s, strlen(s), ms);
}

static bool want_time(req *r, struct MHD_Connection *c, const prom_params *p, const char *name,
                      int64_t dflt, int64_t *out, enum MHD_Result *sent) {
    const char *v = param(p, name);
    if (!v || !*v) {
        *out = dflt;
        return true;
    }
    if (api_parse_time_s(v, pw_wall_ms(), out)) return true;
    char why[200];
    snprintf(why, sizeof why, "cannot parse \"%.100s\" to a valid timestamp", v);
    *sent = bad_param(r, c, name, why);
    return false;
}

static enum MHD_Result answer(req *r, struct MHD_Connection *c, int rc, const pq_error *err,
                              textbuf *b) {
    if (rc != 0) {
        free(b->p);
        return prom_error(r, c, err->status, err->type, err->msg);
    }
    return api_send_sb(r, c, 200, "application/json", b);
}

static enum MHD_Result h_query(req *r, struct MHD_Connection *c, bool range) {
    prom_params p;
    enum MHD_Result sent = MHD_NO;
    if (params_read(r, c, &p) != 0) return prom_error(r, c, 500, "internal", "out of memory");
    pq_query_args q = {.scope = scope_of(r)};
    const char *query = param(&p, "query");
    int64_t now = pw_wall_ms();
    if (p.overflow) {
        sent = prom_error(r, c, 400, "bad_data", "too many parameters");
        goto done;
    }
    if (!query || !*query) {
        sent = bad_param(r, c, "query", "no query given");
        goto done;
    }
    q.query = query, q.query_len = strlen(query);
    if (range) {
        const char *step = param(&p, "step");
        if (!want_time(r, c, &p, "start", -1, &q.start_ms, &sent) ||
            !want_time(r, c, &p, "end", -1, &q.end_ms, &sent))
            goto done;
        if (q.start_ms < 0 || q.end_ms < 0) {
            sent = bad_param(r, c, q.start_ms < 0 ? "start" : "end", "is required");
            goto done;
        }
        if (!step || !parse_step(step, &q.step_ms)) {
            sent = bad_param(r, c, "step",
                             "zero or negative query resolution step widths are not accepted. "
                             "Try a positive integer");
            goto done;
        }
    } else {
        if (!want_time(r, c, &p, "time", now, &q.start_ms, &sent)) goto done;
        q.end_ms = q.start_ms;
    }
    const char *lb = param(&p, "lookback_delta");
    if (lb && *lb && !parse_step(lb, &q.lookback_ms)) {
        sent = bad_param(r, c, "lookback_delta", "not a duration");
        goto done;
    }
    textbuf b = {0};
    pq_error err = {0};
    int rc = pq_query(r->srv->prom, &q, &b, &err);
    sent = answer(r, c, rc, &err, &b);
done:
    free(p.decoded);
    return sent;
}

enum MHD_Result api_h_prom_query(req *r, struct MHD_Connection *c) {
    return h_query(r, c, false);
}

enum MHD_Result api_h_prom_query_range(req *r, struct MHD_Connection *c) {
    return h_query(r, c, true);
}

typedef enum { SEL_SERIES, SEL_LABELS, SEL_VALUES, SEL_EXPORT } sel_kind;

static enum MHD_Result h_select(req *r, struct MHD_Connection *c, sel_kind kind) {
    prom_params p;
    enum MHD_Result sent = MHD_NO;
    if (params_read(r, c, &p) != 0) return prom_error(r, c, 500, "internal", "out of memory");
    const char *match[PROM_MAX_MATCH];
    pq_select_args a = {.match = match, .scope = scope_of(r)};
    for (size_t i = 0; i < p.n; i++) {
        if (strcmp(p.key[i], "match[]")) continue;
        if (a.n_match == PROM_MAX_MATCH) {
            sent = bad_param(r, c, "match[]", "at most 64 selectors");
            goto done;
        }
        match[a.n_match++] = p.val[i];
    }
    if (p.overflow) {
        sent = prom_error(r, c, 400, "bad_data", "too many parameters");
        goto done;
    }
    if (!want_time(r, c, &p, "start", 0, &a.start_ms, &sent) ||
        !want_time(r, c, &p, "end", HIST_MAX_TS_MS, &a.end_ms, &sent))
        goto done;
    if (a.end_ms < a.start_ms) {
        sent = bad_param(r, c, "end", "end timestamp must not be before start time");
        goto done;
    }
    const char *limit = param(&p, "limit");
    if (limit && *limit && !api_parse_size(limit, &a.limit)) {
        sent = bad_param(r, c, "limit", "not a count");
        goto done;
    }
    textbuf b = {0};
    pq_error err = {0};
    int rc;
    pq_engine *e = r->srv->prom;
    switch (kind) {
        case SEL_SERIES:
            rc = pq_series(e, &a, &b, &err);
            break;
        case SEL_LABELS:
            rc = pq_label_names(e, &a, &b, &err);
            break;
        case SEL_VALUES:
            rc = pq_label_values(e, r->param[0], &a, &b, &err);
            break;
        default:
            if (!param(&p, "start")) a.start_ms = 0;
            rc = pq_export(e, &a, &b, &err);
            if (rc == 0) {
                sent = api_send_sb(r, c, 200, "application/stream+json", &b);
                goto done;
            }
            break;
    }
    sent = answer(r, c, rc, &err, &b);
done:
    free(p.decoded);
    return sent;
}

enum MHD_Result api_h_prom_series(req *r, struct MHD_Connection *c) {
    return h_select(r, c, SEL_SERIES);
}

enum MHD_Result api_h_prom_labels(req *r, struct MHD_Connection *c) {
    return h_select(r, c, SEL_LABELS);
}

enum MHD_Result api_h_prom_label_values(req *r, struct MHD_Connection *c) {
    return h_select(r, c, SEL_VALUES);
}

enum MHD_Result api_h_prom_export(req *r, struct MHD_Connection *c) {
    return h_select(r, c, SEL_EXPORT);
}

/* Every metric name is a gauge (promql.h's pq_metadata). */
enum MHD_Result api_h_prom_metadata(req *r, struct MHD_Connection *c) {
    textbuf b = {0};
    pq_error err = {0};
    int rc = pq_metadata(r->srv->prom, api_arg(c, "metric"), scope_of(r), &b, &err);
    return answer(r, c, rc, &err, &b);
}

/* The Prometheus version whose API and PromQL this follows: Grafana picks
 * its features by it. */
enum MHD_Result api_h_prom_buildinfo(req *r, struct MHD_Connection *c) {
    textbuf b = {0};
    tb_str(&b, "{\"status\":\"success\",\"data\":{\"version\":\"2.42.0\",\"revision\":"
               "\"parkwatch\",\"branch\":\"parkwatch\",\"buildUser\":\"parkwatch\","
               "\"buildDate\":\"\",\"goVersion\":\"\"}}");
    return api_send_sb(r, c, 200, "application/json", &b);
}

/* Parkwatch keeps no exemplars and no alerting rules: the empty answers
 * Grafana expects rather than a 404 in its logs. */
enum MHD_Result api_h_prom_exemplars(req *r, struct MHD_Connection *c) {
    textbuf b = {0};
    tb_str(&b, "{\"status\":\"success\",\"data\":[]}");
    return api_send_sb(r, c, 200, "application/json", &b);
}

enum MHD_Result api_h_prom_rules(req *r, struct MHD_Connection *c) {
    textbuf b = {0};
    tb_str(&b, "{\"status\":\"success\",\"data\":{\"groups\":[]}}");
    return api_send_sb(r, c, 200, "application/json", &b);
}

/* The layout kind of a series, for its "kind" label. */
static void kind_of(void *ctx, const char *series, char *kind, size_t cap) {
    const char *k = api_series_kind(ctx, series);
    snprintf(kind, cap, "%s", k ? k : "");
}

int api_prom_start(api_server *s, char *err, size_t errcap) {
    pq_options o;
    pq_options_default(&o);
    o.kind_of = kind_of, o.kind_ctx = s;
    pq_error pe = {0};
    if (!s->o.historian) return 0;
    s->prom = pq_engine_new(s->o.historian, &o, &pe);
    if (!s->prom) {
        snprintf(err, errcap, "api: %s", pe.msg);
        return -1;
    }
    return 0;
}
