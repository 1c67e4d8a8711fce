/*
 * routes_series.c - series: the list, raw points, aggregates, last values and
 * the state at a past time.
 */
#include "api/internal.h"

static long feature_of_series(const api_server *s, const char *name) {
    if (!s->fs_cap) return -1;
    for (size_t i = api_hash_str(name) & (s->fs_cap - 1);; i = (i + 1) & (s->fs_cap - 1)) {
        if (!s->fs_names[i]) return -1;
        if (!strcmp(s->fs_names[i], name)) return s->fs_feature[i];
    }
}

const char *api_series_kind(const api_server *s, const char *series) {
    long fi = feature_of_series(s, series);
    return fi >= 0 ? geo_kind_name(geo_get(s->o.layout, (size_t)fi)->kind) : NULL;
}

int api_index_layout(api_server *s) {
    const geo_layout *g = s->o.layout;
    size_t n = 0;
    for (size_t i = 0; g && i < geo_count_all(g); i++) n += geo_get(g, i)->n_series;
    if (!n) return 0;
    size_t cap = 16;
    while (cap < n * 2) cap *= 2;
    s->fs_names = calloc(cap, sizeof *s->fs_names);
    s->fs_feature = calloc(cap, sizeof *s->fs_feature);
    if (!s->fs_names || !s->fs_feature) return -1;
    s->fs_cap = cap;
    for (size_t i = 0; i < geo_count_all(g); i++) {
        const geo_feature *f = geo_get(g, i);
        for (size_t k = 0; k < f->n_series; k++) {
            size_t h = api_hash_str(f->series[k]) & (cap - 1);
            while (s->fs_names[h] && strcmp(s->fs_names[h], f->series[k])) h = (h + 1) & (cap - 1);
            if (!s->fs_names[h]) {
                s->fs_names[h] = (char *)f->series[k]; /* the layout owns it */
                s->fs_feature[h] = (long)i;
            }
        }
    }
    return 0;
}

static void tb_series_info(textbuf *b, const api_server *s, const hist_series_info *si) {
    char ent[64];
    api_series_enterprise(si->name, ent, sizeof ent);
    const char *dev = strchr(si->name, '/');
    const char *tag = dev ? strchr(dev + 1, '/') : NULL;
    tb_str(b, "{\"name\":");
    tb_jstr(b, si->name);
    tb_printf(b, ",\"id\":%u,\"enterprise\":", si->id);
    tb_jstr(b, ent);
    tb_str(b, ",\"device\":");
    if (dev && tag) {
        char d[128];
        snprintf(d, sizeof d, "%.*s", (int)(tag - dev - 1), dev + 1);
        tb_jstr(b, d);
        tb_str(b, ",\"tag\":");
        tb_jstr(b, tag + 1);
    } else {
        tb_str(b, "\"\",\"tag\":\"\"");
    }
    tb_str(b, ",\"unit\":");
    tb_jstr(b, si->unit);
    long fi = feature_of_series(s, si->name);
    const geo_feature *f = fi >= 0 ? geo_get(s->o.layout, (size_t)fi) : NULL;
    tb_str(b, ",\"kind\":");
    tb_jstr(b, f ? geo_kind_name(f->kind) : "");
    tb_str(b, ",\"feature\":");
    tb_jstr(b, f ? f->id : "");
    tb_str(b, "}");
}

enum MHD_Result api_h_series(req *r, struct MHD_Connection *c) {
    api_server *s = r->srv;
    const char *ent, *dev = api_arg(c, "device"), *kind = api_arg(c, "kind"), *q = api_arg(c, "q");
    size_t max = s->o.max_series_per_req * 10, limit = max;
    if (api_arg(c, "limit") && (!api_parse_size(api_arg(c, "limit"), &limit) || limit == 0))
        return api_send_error(r, c, 400, "bad_request", "limit must be a positive integer");
    if (limit > max)
        return api_send_error(r, c, 400, "limit_exceeded", "limit is at most %zu series", max);
    geo_kind gk = GEO_ANY;
    if (kind && !geo_kind_parse(kind, &gk))
        return api_send_error(r, c, 400, "bad_request", "unknown kind \"%s\"", kind);
    enum MHD_Result sent;
    if (api_want_own_enterprise(r, c, &ent, &sent)) return sent;
    hist_series_list l = {0};
    hist_error he;
    if (hist_series_find(s->o.historian, ent, &l, &he) != HIST_OK)
        return api_send_error(r, c, 500, "internal", "historian: %s", he.msg);
    textbuf b = {0};
    tb_str(&b, "{\"series\":[");
    size_t n = 0, total = 0;
    for (size_t i = 0; i < l.n; i++) {
        hist_series_info si;
        if (hist_series_get(s->o.historian, l.ids[i], &si, &he) != HIST_OK) continue;
        if (!api_scope_sees_series(r, si.name)) continue;
        if (dev) {
            const char *d = strchr(si.name, '/');
            size_t dl = strlen(dev);
            if (!d || strncmp(d + 1, dev, dl) || d[1 + dl] != '/') continue;
        }
        if (kind) {
            long fi = feature_of_series(s, si.name);
            if (fi < 0 || geo_get(s->o.layout, (size_t)fi)->kind != gk) continue;
        }
        if (q && !strcasestr(si.name, q) && !strcasestr(si.description, q)) continue;
        total++;
        if (n == limit) continue;
        if (n++) tb_str(&b, ",");
        tb_series_info(&b, s, &si);
    }
    hist_series_list_free(&l);
    tb_printf(&b, "],\"count\":%zu,\"total\":%zu,\"truncated\":%s}", n, total,
              n < total ? "true" : "false");
    return api_send_sb(r, c, 200, "application/json", &b);
}

/* A series' engineering unit ("" when it has none) into out. */
void api_series_unit(api_server *s, uint32_t id, char *out, size_t cap) {
    hist_series_info si;
    hist_error he;
    if (hist_series_get(s->o.historian, id, &si, &he) == HIST_OK)
        snprintf(out, cap, "%s", si.unit);
    else if (cap)
        out[0] = 0;
}

/* As is, or quoted (RFC 4180) when it holds a comma, a quote or a line
 * break. */
void api_csv_field(const char *in, char *out, size_t cap) {
    if (!cap) return;
    if (!strpbrk(in, ",\"\r\n")) {
        snprintf(out, cap, "%s", in);
        return;
    }
    size_t k = 0;
    out[k++] = '"';
    for (; *in && k + 3 < cap; in++) {
        if (*in == '"') out[k++] = '"';
        out[k++] = *in;
    }
    out[k++] = '"';
    out[k] = 0;
}

enum MHD_Result api_h_raw(req *r, struct MHD_Connection *c) {
    api_server *s = r->srv;
    enum MHD_Result sent;
    uint32_t id;
    int64_t from, to;
    const char *name = api_arg(c, "series");
    if (api_want_series(r, c, name, &id, &sent) || api_want_range(r, c, &from, &to, &sent))
        return sent;
    size_t limit = s->o.max_points;
    if (api_arg(c, "limit") && (!api_parse_size(api_arg(c, "limit"), &limit) || limit == 0))
        return api_send_error(r, c, 400, "bad_request", "limit must be a positive integer");
    if (limit > s->o.max_points)
        return api_send_error(r, c, 400, "limit_exceeded", "limit is at most %zu points",
                              s->o.max_points);
    hist_samples sm = {0};
    hist_error he;
    if (hist_query_raw(s->o.historian, id, from, to, limit, &sm, &he) != HIST_OK) {
        hist_samples_free(&sm);
        return api_send_error(r, c, 500, "internal", "historian: %s", he.msg);
    }
    textbuf b = {0};
    bool csv = api_want_csv(c);
    char unit[32], unit_csv[80];
    api_series_unit(s, id, unit, sizeof unit);
    api_csv_field(unit, unit_csv, sizeof unit_csv);
    if (csv) {
        tb_str(&b, "ts_ms,value,quality,unit\n");
        for (size_t i = 0; i < sm.n; i++) {
            api_tb_int(&b, sm.v[i].ts_ms);
            tb_put(&b, ",", 1);
            if (isfinite(sm.v[i].value)) api_tb_num(&b, sm.v[i].value);
            tb_put(&b, ",", 1);
            api_tb_int(&b, sm.v[i].quality);
            tb_put(&b, ",", 1);
            tb_str(&b, unit_csv);
            tb_put(&b, "\n", 1);
        }
    } else {
        tb_str(&b, "{\"series\":");
        tb_jstr(&b, name);
        tb_str(&b, ",\"unit\":");
        tb_jstr(&b, unit);
        tb_printf(&b, ",\"from\":%lld,\"to\":%lld,\"points\":[", (long long)from, (long long)to);
        for (size_t i = 0; i < sm.n; i++) {
            tb_put(&b, i ? ",[" : "[", i ? 2 : 1);
            api_tb_int(&b, sm.v[i].ts_ms);
            tb_put(&b, ",", 1);
            api_tb_num(&b, sm.v[i].value);
            tb_put(&b, ",", 1);
            api_tb_int(&b, sm.v[i].quality);
            tb_put(&b, "]", 1);
        }
        tb_printf(&b, "],\"count\":%zu,\"truncated\":%s", sm.n, sm.truncated ? "true" : "false");
        if (sm.truncated && sm.n)
            tb_printf(&b, ",\"next_from\":%lld", (long long)sm.v[sm.n - 1].ts_ms + 1);
        tb_str(&b, "}");
    }
    hist_samples_free(&sm);
    if (csv) return api_send_sb(r, c, 200, "text/csv; charset=utf-8", &b);
    return api_send_sb(r, c, 200, "application/json", &b);
}

enum MHD_Result api_h_range(req *r, struct MHD_Connection *c) {
    api_server *s = r->srv;
    enum MHD_Result sent;
    uint32_t id;
    int64_t from, to, step = 60000;
    const char *name = api_arg(c, "series");
    if (api_want_series(r, c, name, &id, &sent) || api_want_range(r, c, &from, &to, &sent))
        return sent;
    if (api_arg(c, "step") && !api_parse_duration(api_arg(c, "step"), &step))
        return api_send_error(r, c, 400, "bad_request",
                              "step: a duration such as 60000, 10s, 1m, 1h");
    hist_agg agg = HIST_AGG_AVG;
    const char *aggs = api_arg(c, "agg");
    bool all = aggs && !strcmp(aggs, "all");
    if (aggs && !all && !hist_agg_parse(aggs, &agg))
        return api_send_error(r, c, 400, "bad_request",
                              "agg must be avg, min, max, first, last, count, sum or all");
    if ((to - from) / step + 2 > (int64_t)s->o.max_points)
        return api_send_error(r, c, 400, "limit_exceeded",
                              "%lld buckets asked; at most %zu (raise step or shorten the range)",
                              (long long)((to - from) / step + 1), s->o.max_points);
    hist_buckets bk = {0};
    hist_error he;
    hist_status st = hist_query_agg(s->o.historian, id, from, to, step, s->o.max_points, &bk, &he);
    if (st != HIST_OK) {
        hist_buckets_free(&bk);
        return api_send_error(r, c, st == HIST_EINVAL ? 400 : 500,
                              st == HIST_EINVAL ? "bad_request" : "internal", "historian: %s",
                              he.msg);
    }
    textbuf b = {0};
    bool csv = api_want_csv(c);
    char unit[32], unit_csv[80];
    api_series_unit(s, id, unit, sizeof unit);
    api_csv_field(unit, unit_csv, sizeof unit_csv);
    if (csv)
        tb_str(&b, "ts_ms,count,value,unit\n");
    else {
        tb_str(&b, "{\"series\":");
        tb_jstr(&b, name);
        tb_str(&b, ",\"unit\":");
        tb_jstr(&b, unit);
        tb_printf(&b,
                  ",\"from\":%lld,\"to\":%lld,\"step_ms\":%lld,\"agg\":\"%s\",\"tier\":\"%s\","
                  "\"buckets\":[",
                  (long long)from, (long long)to, (long long)step, hist_agg_name(agg),
                  bk.tier == 2   ? "1h"
                  : bk.tier == 1 ? "1m"
                                 : "raw");
    }
    for (size_t i = 0; i < bk.n; i++) {
        const hist_bucket *x = &bk.v[i];
        double val = hist_bucket_value(x, agg);
        /* min, max, first and last are stored values, printed exactly;
         * avg and sum are computed: 12 significant digits */
        void (*num)(textbuf *, double) =
            agg == HIST_AGG_AVG || agg == HIST_AGG_SUM ? api_tb_num12 : api_tb_num;
        if (csv) {
            api_tb_int(&b, x->ts_ms);
            tb_put(&b, ",", 1);
            api_tb_int(&b, x->count);
            tb_put(&b, ",", 1);
            num(&b, val);
            tb_put(&b, ",", 1);
            tb_str(&b, unit_csv);
            tb_put(&b, "\n", 1);
        } else if (all) {
            tb_str(&b, i ? ",{\"ts\":" : "{\"ts\":");
            api_tb_int(&b, x->ts_ms);
            tb_str(&b, ",\"count\":");
            api_tb_int(&b, x->count);
            tb_str(&b, ",\"min\":");
            api_tb_num(&b, x->min);
            tb_str(&b, ",\"max\":");
            api_tb_num(&b, x->max);
            tb_str(&b, ",\"avg\":");
            api_tb_num12(&b, x->count ? x->sum / x->count : NAN);
            tb_str(&b, ",\"first\":");
            api_tb_num(&b, x->first);
            tb_str(&b, ",\"last\":");
            api_tb_num(&b, x->last);
            tb_put(&b, "}", 1);
        } else {
            tb_put(&b, i ? ",[" : "[", i ? 2 : 1);
            api_tb_int(&b, x->ts_ms);
            tb_put(&b, ",", 1);
            num(&b, val);
            tb_put(&b, ",", 1);
            api_tb_int(&b, x->count);
            tb_put(&b, "]", 1);
        }
    }
    if (!csv) tb_printf(&b, "],\"count\":%zu}", bk.n);
    hist_buckets_free(&bk);
    if (csv) return api_send_sb(r, c, 200, "text/csv; charset=utf-8", &b);
    return api_send_sb(r, c, 200, "application/json", &b);
}

void api_tb_values(textbuf *b, api_server *s, const series_set *ss, const hist_value *v) {
    for (size_t i = 0; i < ss->n; i++) {
        if (i) tb_str(b, ",");
        tb_str(b, "{\"series\":");
        tb_jstr(b, ss->names[i]);
        char unit[32];
        api_series_unit(s, ss->ids[i], unit, sizeof unit);
        tb_str(b, ",\"unit\":");
        tb_jstr(b, unit);
        if (v[i].present) {
            tb_str(b, ",\"ts\":");
            api_tb_int(b, v[i].ts_ms);
            tb_str(b, ",\"value\":");
            api_tb_num(b, v[i].value);
            tb_str(b, ",\"quality\":");
            api_tb_int(b, v[i].quality);
            tb_put(b, "}", 1);
        } else {
            tb_str(b, ",\"ts\":null,\"value\":null,\"quality\":null}");
        }
    }
}

/* The series asked for and their values: the last ones (at < 0) or those
 * at a time. 0 with *ss and *v filled (the caller frees both), or the
 * error is sent. */
static int want_values(req *r, struct MHD_Connection *c, bool lenient, int64_t at, series_set *ss,
                       hist_value **v, enum MHD_Result *sent) {
    *v = NULL;
    if (api_want_series_set(r, c, ss, lenient, sent)) {
        api_series_set_free(ss);
        return -1;
    }
    hist *h = r->srv->o.historian;
    hist_error he;
    *v = calloc(ss->n ? ss->n : 1, sizeof **v);
    if (!*v || (at < 0 ? hist_last(h, ss->ids, ss->n, *v, &he)
                       : hist_snapshot(h, at, ss->ids, ss->n, *v, &he)) != HIST_OK) {
        *sent =
            api_send_error(r, c, 500, "internal", "historian: %s", *v ? he.msg : "out of memory");
        free(*v);
        api_series_set_free(ss);
        return -1;
    }
    return 0;
}

enum MHD_Result api_h_last(req *r, struct MHD_Connection *c) {
    enum MHD_Result sent;
    series_set ss;
    hist_value *v;
    if (want_values(r, c, false, -1, &ss, &v, &sent)) return sent;
    textbuf b = {0};
    tb_str(&b, "{\"values\":[");
    api_tb_values(&b, r->srv, &ss, v);
    tb_printf(&b, "],\"count\":%zu}", ss.n);
    free(v);
    api_series_set_free(&ss);
    return api_send_sb(r, c, 200, "application/json", &b);
}

/* Whether an alarm belongs to what a replay asked for: the named series,
 * or the named enterprise, or (neither named) everything. */
bool api_alarm_asked(const series_set *ss, const char *enterprise, const alert_rule *ru) {
    if (ss->buf) {
        for (size_t i = 0; i < ss->n; i++)
            if (!strcmp(ss->names[i], ru->series_name)) return true;
        return false;
    }
    return !enterprise || !strcmp(enterprise, ru->enterprise);
}

enum MHD_Result api_h_replay_state(req *r, struct MHD_Connection *c) {
    api_server *s = r->srv;
    int64_t at;
    if (!api_parse_time(api_arg(c, "at"), pw_wall_ms(), &at))
        return api_send_error(r, c, 400, "bad_request", "at: a time in ms, \"now\" or \"-1h\"");
    enum MHD_Result sent;
    series_set ss;
    hist_value *v;
    if (want_values(r, c, true, at, &ss, &v, &sent)) return sent;
    textbuf b = {0};
    tb_printf(&b, "{\"at\":%lld,\"values\":[", (long long)at);
    api_tb_values(&b, r->srv, &ss, v);
    tb_str(&b, "],\"alarms\":[");
    free(v);
    const char *ent_asked = api_arg(c, "enterprise");
    if (s->o.alarms) {
        alert_status *st;
        size_t n;
        if (alert_active_at(s->o.alarms, at, &st, &n) == 0) {
            size_t k = 0;
            for (size_t i = 0; i < n; i++) {
                alert_rule ru;
                if (alert_rule_get(s->o.alarms, st[i].rule, &ru) != 0) continue;
                if (!api_scope_sees(r, ru.enterprise, false) ||
                    !api_alarm_asked(&ss, ent_asked, &ru))
                    continue;
                if (k++) tb_str(&b, ",");
                api_tb_alarm(&b, r->srv, &st[i], &ru);
            }
            free(st);
        }
    }
    api_series_set_free(&ss);
    tb_str(&b, "]}");
    return api_send_sb(r, c, 200, "application/json", &b);
}
