/*
 * routes_layers.c - the map's GeoJSON layers with live or past values and
 * alarms, and the cache that shares a rendering among clients.
 */
#include "api/internal.h"

typedef struct layer_ctx {
    req *r;
    const char *enterprise; /* ?enterprise= */
    bool *in_bbox;          /* per feature, when ?bbox= */
    series_alarm *alarms;   /* sorted by series */
    size_t n_alarms;
    hist *h;
    bool values;
    bool slim;     /* ?slim=true: id, values and alarm alone */
    bool past;     /* ?at=: values and alarms as they were at... */
    int64_t at_ms; /* ...this time, from the historian and the journal */
} layer_ctx;

static bool layer_keep(void *ctx, size_t index, const geo_feature *f) {
    layer_ctx *lc = ctx;
    if (!api_scope_sees(lc->r, f->enterprise, true)) return false;
    if (lc->enterprise && strcmp(lc->enterprise, f->enterprise)) return false;
    if (lc->in_bbox && !lc->in_bbox[index]) return false;
    return true;
}

static int layer_values(void *ctx, const char *const *series, size_t n, geo_value *out) {
    layer_ctx *lc = ctx;
    uint32_t *ids = malloc((n ? n : 1) * sizeof *ids);
    size_t *slot = malloc((n ? n : 1) * sizeof *slot);
    hist_value *v = malloc((n ? n : 1) * sizeof *v);
    if (!ids || !slot || !v) {
        free(ids), free(slot), free(v);
        return -1;
    }
    size_t k = 0;
    hist_error he;
    for (size_t i = 0; i < n; i++) {
        out[i].present = false;
        /* a park-level feature shown to an enterprise carries no values of
         * series it may not read */
        if (!api_scope_sees_series(lc->r, series[i])) continue;
        if (hist_series_lookup(lc->h, series[i], &ids[k], &he) == HIST_OK) slot[k++] = i;
    }
    int rc = 0;
    if (k && (lc->past ? hist_snapshot(lc->h, lc->at_ms, ids, k, v, &he)
                       : hist_last(lc->h, ids, k, v, &he)) != HIST_OK)
        rc = -1;
    for (size_t j = 0; rc == 0 && j < k; j++) {
        geo_value *o = &out[slot[j]];
        *o = (geo_value){v[j].present, v[j].ts_ms, v[j].value, v[j].quality, ""};
        api_series_unit(lc->r->srv, ids[j], o->unit, sizeof o->unit);
    }
    free(ids), free(slot), free(v);
    return rc;
}

static const series_alarm *alarm_of_series(const layer_ctx *lc, uint32_t id) {
    size_t lo = 0, hi = lc->n_alarms;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (lc->alarms[mid].series < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < lc->n_alarms && lc->alarms[lo].series == id ? &lc->alarms[lo] : NULL;
}

/* "alarm": the most urgent alarm over the feature's series, or null. */
static size_t layer_extra(void *ctx, size_t index, const geo_feature *f, const geo_value *values,
                          char *buf, size_t cap) {
    (void)index, (void)values;
    layer_ctx *lc = ctx;
    if (!f->n_series || !lc->r->srv->o.alarms) return 0;
    const series_alarm *worst = NULL;
    int count = 0;
    hist_error he;
    for (size_t s = 0; s < f->n_series && lc->n_alarms; s++) {
        uint32_t id;
        if (!api_scope_sees_series(lc->r, f->series[s]) ||
            hist_series_lookup(lc->h, f->series[s], &id, &he) != HIST_OK)
            continue;
        const series_alarm *a = alarm_of_series(lc, id);
        if (!a) continue;
        count += a->active;
        if (!worst || a->priority < worst->priority) worst = a;
    }
    int n;
    if (!worst && cap > 14) {
        memcpy(buf, ",\"alarm\":null", 13);
        return 13;
    }
    if (!worst)
        n = snprintf(buf, cap, ",\"alarm\":null");
    else
        n = snprintf(buf, cap,
                     ",\"alarm\":{\"priority\":%d,\"state\":\"%s\",\"count\":%d,\"kinds\":\"%s\"}",
                     worst->priority, alert_state_name(worst->state), count, worst->kinds);
    return n > 0 ? (size_t)n : 0;
}

/* The alarms of every series now, or at at_ms when past. */
static int collect_series_alarms(api_server *s, bool past, int64_t at_ms, series_alarm **out,
                                 size_t *n_out) {
    *out = NULL, *n_out = 0;
    alert_engine *al = s->o.alarms;
    if (!al) return 0;
    alert_status *v;
    size_t n;
    if ((past ? alert_active_at(al, at_ms, &v, &n) : alert_list_active(al, &v, &n)) != 0) return -1;
    series_alarm *sa = calloc(n ? n : 1, sizeof *sa);
    size_t k = 0;
    for (size_t i = 0; sa && i < n; i++) {
        alert_rule ru;
        if (alert_rule_get(al, v[i].rule, &ru) != 0) continue;
        /* shelved, suppressed and out-of-service alarms are not annunciated */
        if (v[i].shelved || v[i].suppressed || v[i].out_of_service) continue;
        sa[k++] = (series_alarm){ru.series, ru.priority, v[i].state, 1, ""};
        snprintf(sa[k - 1].kinds, sizeof sa[k - 1].kinds, "%s", alert_kind_name(ru.kind));
    }
    free(v);
    if (!sa) return -1;
    qsort(sa, k, sizeof *sa, api_cmp_series_alarm);
    /* one entry per series: the most urgent, with the count and kinds */
    size_t m = 0;
    for (size_t i = 0; i < k; i++) {
        if (m && sa[m - 1].series == sa[i].series) {
            series_alarm *w = &sa[m - 1];
            w->active++;
            size_t l = strlen(w->kinds), k = strlen(sa[i].kinds);
            if (l + 1 + k < sizeof w->kinds) { /* w precedes sa[i]: no overlap */
                w->kinds[l] = ',';
                memcpy(w->kinds + l + 1, sa[i].kinds, k + 1);
            }
            if (sa[i].priority < w->priority) w->priority = sa[i].priority, w->state = sa[i].state;
        } else {
            sa[m++] = sa[i];
        }
    }
    *out = sa, *n_out = m;
    return 0;
}

enum MHD_Result api_h_layers(req *r, struct MHD_Connection *c) {
    const geo_layout *g = r->srv->o.layout;
    if (!g) return api_send_error(r, c, 503, "unavailable", "no park layout is configured");
    textbuf b = {0};
    tb_printf(&b, "{\"crs\":\"%s\",\"layers\":[", geo_metric_crs(g));
    bool first = true;
    for (int k = 0; k < GEO_KIND_COUNT; k++) {
        size_t n = 0;
        for (size_t i = 0; i < geo_count_all(g); i++) {
            const geo_feature *f = geo_get(g, i);
            if ((int)f->kind == k && api_scope_sees(r, f->enterprise, true)) n++;
        }
        tb_printf(&b, "%s{\"kind\":\"%s\",\"features\":%zu}", first ? "" : ",",
                  geo_kind_name((geo_kind)k), n);
        first = false;
    }
    tb_str(&b, "]}");
    return api_send_sb(r, c, 200, "application/json", &b);
}

void api_shared_release(void *cls) {
    shared_text *t = cls;
    if (t && atomic_fetch_sub(&t->refs, 1) == 1) free(t);
}

static enum MHD_Result send_shared(req *r, struct MHD_Connection *c, shared_text *t) {
    struct MHD_Response *resp = MHD_create_response_from_buffer_with_free_callback_cls(
        t->len, t->data, api_shared_release, t);
    if (!resp) {
        api_shared_release(t);
        return MHD_NO;
    }
    return api_queue_resp(r, c, 200, resp, "application/geo+json", "no-store", true);
}

static int render_layer(req *r, geo_kind kind, layer_ctx *lc, char **json, size_t *len) {
    api_server *s = r->srv;
    if (lc->values &&
        collect_series_alarms(s, lc->past, lc->at_ms, &lc->alarms, &lc->n_alarms) != 0)
        return -1;
    geo_layer_request rq = {.kind = kind,
                            .keep = layer_keep,
                            .value_of = lc->values ? layer_values : NULL,
                            .extra = lc->values ? layer_extra : NULL,
                            .ctx = lc,
                            .slim = lc->slim};
    int rc = geo_layer(s->o.layout, &rq, json, len);
    free(lc->alarms);
    lc->alarms = NULL;
    s->layer_renders++;
    return rc;
}

/* The cached rendering for (kind, scope, values, slim), rendered if stale;
 * NULL on failure. The caller owns one reference. */
static shared_text *cached_layer(req *r, geo_kind kind, layer_ctx *lc) {
    api_server *s = r->srv;
    const char *scope = r->tok.role == API_ROLE_ENTERPRISE ? r->tok.enterprise : "";
    double now = pw_mono_s();
    pthread_mutex_lock(&s->lmu);
    layer_slot *slot = NULL, *empty = NULL, *oldest = NULL;
    for (int i = 0; i < LAYER_SLOTS; i++) {
        layer_slot *x = &s->layers[i];
        if (!x->kind) {
            if (!empty) empty = x;
            continue;
        }
        if (x->kind == (int)kind + 1 && x->values == lc->values && x->slim == lc->slim &&
            !strcmp(x->scope, scope))
            slot = x;
        if (!x->building && (!oldest || x->built < oldest->built)) oldest = x;
    }
    if (!slot) {
        slot = empty ? empty : oldest;
        if (!slot) { /* every slot busy rendering: render for this request alone */
            pthread_mutex_unlock(&s->lmu);
            goto alone;
        }
        api_shared_release(slot->text);
        memset(slot, 0, sizeof *slot);
        slot->kind = (int)kind + 1, slot->values = lc->values, slot->slim = lc->slim;
        snprintf(slot->scope, sizeof slot->scope, "%s", scope);
    }
    shared_text *t = slot->text;
    bool fresh = t && (now - slot->built) * 1000 < LAYER_TTL_MS;
    /* someone is rendering: take the previous one if it is not too old */
    if (t && (fresh || (slot->building && (now - slot->built) < 2.0))) {
        atomic_fetch_add(&t->refs, 1);
        pthread_mutex_unlock(&s->lmu);
        s->layer_cache_hits++;
        return t;
    }
    bool mine = !slot->building;
    slot->building = true;
    pthread_mutex_unlock(&s->lmu);
    if (!mine) goto alone;
    char *json = NULL;
    size_t len = 0;
    shared_text *nt = NULL;
    if (render_layer(r, kind, lc, &json, &len) == 0 && (nt = malloc(sizeof *nt + len))) {
        atomic_init(&nt->refs, 2); /* the slot's and the caller's */
        nt->len = len;
        memcpy(nt->data, json, len);
    }
    free(json);
    pthread_mutex_lock(&s->lmu);
    slot->building = false;
    if (nt) {
        api_shared_release(slot->text);
        slot->text = nt;
        slot->built = pw_mono_s();
    }
    pthread_mutex_unlock(&s->lmu);
    return nt;
alone:
    json = NULL, len = 0;
    if (render_layer(r, kind, lc, &json, &len) != 0) return NULL;
    nt = malloc(sizeof *nt + len);
    if (nt) {
        atomic_init(&nt->refs, 1);
        nt->len = len;
        memcpy(nt->data, json, len);
    }
    free(json);
    return nt;
}

enum MHD_Result api_h_layer(req *r, struct MHD_Connection *c) {
    const char *kind_name = r->param[0];
    api_server *s = r->srv;
    const geo_layout *g = s->o.layout;
    if (!g) return api_send_error(r, c, 503, "unavailable", "no park layout is configured");
    geo_kind kind;
    if (!strcmp(kind_name, "all"))
        kind = GEO_ANY;
    else if (!geo_kind_parse(kind_name, &kind))
        return api_send_error(r, c, 404, "not_found", "no layer \"%s\"", kind_name);
    enum MHD_Result sent;
    const char *ent;
    if (api_want_enterprise(r, c, &ent, &sent)) return sent;
    layer_ctx lc = {.r = r, .enterprise = ent, .h = s->o.historian};
    const char *vals = api_arg(c, "values");
    lc.values = !vals || strcmp(vals, "false");
    const char *slim = api_arg(c, "slim");
    if (slim && strcmp(slim, "true") && strcmp(slim, "false"))
        return api_send_error(r, c, 400, "bad_request", "slim: true or false");
    lc.slim = slim && !strcmp(slim, "true");
    if (api_arg(c, "at")) { /* the whole layer as it was: the replay slider's map */
        if (!api_parse_time(api_arg(c, "at"), pw_wall_ms(), &lc.at_ms))
            return api_send_error(r, c, 400, "bad_request", "at: a time in ms, \"now\" or \"-1h\"");
        lc.past = true;
    }
    const char *bbox = api_arg(c, "bbox");
    if (bbox) {
        double x0, y0, x1, y1;
        char tail;
        if (sscanf(bbox, "%lf,%lf,%lf,%lf%c", &x0, &y0, &x1, &y1, &tail) != 4 || !(x0 < x1) ||
            !(y0 < y1) || x0 < -180 || x1 > 180 || y0 < -90 || y1 > 90)
            return api_send_error(r, c, 400, "bad_request",
                                  "bbox: min_lon,min_lat,max_lon,max_lat in WGS84");
        double ring[10] = {x0, y0, x1, y0, x1, y1, x0, y1, x0, y0};
        geo_hits hits;
        if (geo_intersecting(g, ring, 5, kind, &hits) != 0)
            return api_send_error(r, c, 500, "internal", "the spatial query failed");
        lc.in_bbox = calloc(geo_count_all(g) ? geo_count_all(g) : 1, 1);
        for (size_t i = 0; lc.in_bbox && i < hits.n; i++) lc.in_bbox[hits.index[i]] = true;
        geo_hits_free(&hits);
        if (!lc.in_bbox) return api_send_error(r, c, 500, "internal", "out of memory");
    }
    if (!bbox && !lc.enterprise && !lc.past) { /* the plain layer a map polls: shared */
        shared_text *t = cached_layer(r, kind, &lc);
        if (!t) return api_send_error(r, c, 500, "internal", "building the layer failed");
        return send_shared(r, c, t);
    }
    char *json = NULL;
    size_t len = 0;
    int rc = render_layer(r, kind, &lc, &json, &len);
    free(lc.in_bbox);
    if (rc != 0) return api_send_error(r, c, 500, "internal", "building the layer failed");
    return api_send_buf(r, c, 200, "application/geo+json", json, len);
}
