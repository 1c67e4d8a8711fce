/*
 * views.c - the risk, environment and emergency views, live. See views.h;
 * the formulas are in risk.c (GB 18218), aqi.c (HJ 633, GB 3095), plume.c
 * (Gaussian plume, Briggs) and idw.c.
 *
 * What depends only on the layout (which tanks and detectors belong to
 * which hazard source, the occupants around it, the stations, the park's
 * extent) is worked out once in views_open; what depends on time is read
 * from the historian and the alarm engine on every call.
 */
#include "views/views.h"
#include "assets/assets.h"
#include "common/errmsg.h"
#include "common/clock.h"
#include "common/jsonfmt.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "common/numfmt.h"
#include "common/textbuf.h"
#include "views/aqi.h"
#include "views/internal.h"
#include "views/idw.h"
#include "views/plume.h"
#include "views/risk.h"

int64_t vw_at(const views_query *q) {
    /* the caller's time is not trusted: 0 (now) or within the historian's
     * bound, so that no hour or window arithmetic below can overflow */
    int64_t t = q ? q->at_ms : 0;
    return t < 0 ? 0 : t > VIEWS_TIME_MAX_MS ? VIEWS_TIME_MAX_MS : t;
}

int64_t vw_when(const views_query *q) {
    int64_t t = vw_at(q);
    return t ? t : pw_wall_ms();
}

bool vw_sees(const views_query *q, const char *enterprise) {
    return !q || !q->keep || q->keep(q->ctx, enterprise ? enterprise : "");
}

/* Local hour (0..24) at t. */
static double local_hour(const views *v, int64_t t) {
    int64_t local = t + (int64_t)v->o.utc_offset_min * 60000;
    int64_t ms = ((local % DAY_MS) + DAY_MS) % DAY_MS;
    return (double)ms / HOUR_MS;
}

/* Buildings are occupied by night from 19:00 to 07:00 local time. */
void vw_zone_reach(views *v, const double *ll, size_t n, bool night,
                   void (*visit)(void *ctx, size_t index), void *ctx, json_t *zone) {
    const geo_layout *g = v->o.layout;
    json_t *blds = json_array(), *ents = json_array(), *targets = json_array();
    double occupants = 0;
    geo_hits h;
    if (ll && geo_intersecting(g, ll, n, GEO_ANY, &h) == 0) {
        for (size_t k = 0; k < h.n; k++) {
            const geo_feature *f = geo_get(g, h.index[k]);
            if (f->kind == GEO_BUILDING) {
                occupants += (double)(night ? f->occupants_night : f->occupants_day);
                json_array_append_new(blds, json_string(f->id));
            } else if (f->kind == GEO_ENTERPRISE) {
                json_array_append_new(ents, json_string(f->id));
            } else if (f->kind == GEO_SENSITIVE_TARGET) {
                json_array_append_new(targets, vw_target_json(v, h.index[k]));
            }
            if (visit) visit(ctx, h.index[k]);
        }
        geo_hits_free(&h);
    }
    /* Live counts where the park tracks people (badges, tags): the people
     * inside by name, the vehicles by plate and cargo, counted instead of
     * the buildings' nominal occupancy when any is tracked there. */
    json_t *vehicles = NULL, *people = NULL;
    if (ll && v->o.inside && v->o.inside(v->o.inside_ctx, ll, n, &vehicles, &people) != 0)
        vehicles = people = NULL;
    bool live = people && json_array_size(people) > 0;
    json_object_set_new(zone, "occupants_nominal", json_integer((json_int_t)lround(occupants)));
    json_object_set_new(zone, "occupants_basis", json_string(live ? "tracked" : "nominal"));
    json_object_set_new(
        zone, "occupants",
        json_integer(live ? (json_int_t)json_array_size(people) : (json_int_t)lround(occupants)));
    json_object_set_new(zone, "vehicles", vehicles ? vehicles : json_array());
    json_object_set_new(zone, "people", people ? people : json_array());
    json_object_set_new(zone, "buildings", blds);
    json_object_set_new(zone, "enterprises", ents);
    json_object_set_new(zone, "sensitive_targets", targets);
}

json_t *vw_target_json(const views *v, size_t index) {
    const geo_feature *f = geo_get(v->o.layout, index);
    return json_pack("{s:s, s:s, s:s, s:s, s:I}", "id", f->id, "name", f->name, "name_zh",
                     f->name_zh, "target_type", geo_prop_str(v->o.layout, index, "target_type"),
                     "population", (json_int_t)geo_prop_num(v->o.layout, index, "population", 0));
}

bool vw_wind(views *v, int64_t at_ms, double lon, double lat, double *speed_m_s, double *from_deg,
             const char **station) {
    *speed_m_s = 1.5, *from_deg = 0;
    if (station) *station = NULL;
    bool measured = false;
    geo_hits met;
    if (geo_nearest(v->o.layout, lon, lat, 1, GEO_WEATHER_STATION, &met) == 0) {
        if (met.n) {
            const geo_feature *m = geo_get(v->o.layout, met.index[0]);
            bool hs, hd;
            double s = vw_value_of(v, at_ms, vw_series_ending(m, "wind_speed"), &hs);
            double d = vw_value_of(v, at_ms, vw_series_ending(m, "wind_dir"), &hd);
            if (hs && hd && isfinite(s) && isfinite(d))
                *speed_m_s = s, *from_deg = d, measured = true;
            if (station) *station = m->id;
        }
        geo_hits_free(&met);
    }
    return measured;
}

bool vw_is_night(const views *v, int64_t t) {
    double h = local_hour(v, t);
    return h < 7 || h >= 19;
}

/* A series of a feature whose name ends in suffix, or NULL. */
const char *vw_series_ending(const geo_feature *f, const char *suffix) {
    size_t ls = strlen(suffix);
    for (size_t i = 0; i < f->n_series; i++) {
        size_t n = strlen(f->series[i]);
        if (n >= ls && !strcmp(f->series[i] + n - ls, suffix)) return f->series[i];
    }
    return NULL;
}

/* Values of n series at t (at_ms 0: the last ones); unknown series are not
 * present. */
int vw_values_at(views *v, int64_t at_ms, const char *const *names, size_t n, hist_value *out) {
    uint32_t *ids = malloc((n ? n : 1) * sizeof *ids);
    size_t *slot = malloc((n ? n : 1) * sizeof *slot);
    hist_value *tmp = malloc((n ? n : 1) * sizeof *tmp);
    if (!ids || !slot || !tmp) {
        free(ids), free(slot), free(tmp);
        return -1;
    }
    size_t k = 0;
    hist_error he;
    for (size_t i = 0; i < n; i++) {
        out[i] = (hist_value){0};
        if (names[i] && hist_series_lookup(v->o.historian, names[i], &ids[k], &he) == HIST_OK)
            slot[k++] = i;
    }
    hist_status st = HIST_OK;
    if (k)
        st = at_ms ? hist_snapshot(v->o.historian, at_ms, ids, k, tmp, &he)
                   : hist_last(v->o.historian, ids, k, tmp, &he);
    for (size_t j = 0; st == HIST_OK && j < k; j++) out[slot[j]] = tmp[j];
    free(ids), free(slot), free(tmp);
    return st == HIST_OK ? 0 : -1;
}

double vw_value_of(views *v, int64_t at_ms, const char *name, bool *present) {
    hist_value hv;
    *present = false;
    if (!name || vw_values_at(v, at_ms, &name, 1, &hv) != 0 || !hv.present || hv.quality >= 0x80)
        return NAN;
    *present = isfinite(hv.value);
    return hv.value;
}

/* ---- alarms by series ---- */

static int cmp_sa(const void *a, const void *b) {
    uint32_t x = ((const series_alarms *)a)->series, y = ((const series_alarms *)b)->series;
    return x < y ? -1 : x > y;
}

/* The annunciated alarms at t (0: now), folded by series and sorted. */
int vw_alarms_by_series(views *v, int64_t at_ms, series_alarms **out, size_t *n_out) {
    *out = NULL, *n_out = 0;
    if (!v->o.alarms) return 0;
    alert_status *st;
    size_t n;
    if ((at_ms ? alert_active_at(v->o.alarms, at_ms, &st, &n)
               : alert_list_active(v->o.alarms, &st, &n)) != 0)
        return -1;
    series_alarms *sa = calloc(n ? n : 1, sizeof *sa);
    size_t k = 0;
    for (size_t i = 0; sa && i < n; i++) {
        alert_rule ru;
        if (!st[i].active || st[i].shelved || st[i].suppressed || st[i].out_of_service) continue;
        if (alert_rule_get(v->o.alarms, st[i].rule, &ru) != 0) continue;
        series_alarms a = {.series = ru.series};
        if (ru.kind == ALERT_FAULT)
            a.fault = true;
        else if (ru.kind == ALERT_STALE)
            a.stale = true;
        else if (alert_kind_class(ru.kind) == ALERT_CLASS_INSTRUMENT)
            a.instrument = true;
        else
            a.by_priority[(ru.priority >= 1 && ru.priority <= 4 ? ru.priority : 4) - 1] = 1;
        sa[k++] = a;
    }
    free(st);
    if (!sa) return -1;
    qsort(sa, k, sizeof *sa, cmp_sa);
    size_t m = 0;
    for (size_t i = 0; i < k; i++) {
        if (m && sa[m - 1].series == sa[i].series) {
            for (int p = 0; p < 4; p++) sa[m - 1].by_priority[p] += sa[i].by_priority[p];
            sa[m - 1].fault |= sa[i].fault, sa[m - 1].stale |= sa[i].stale;
            sa[m - 1].instrument |= sa[i].instrument;
        } else {
            sa[m++] = sa[i];
        }
    }
    *out = sa, *n_out = m;
    return 0;
}

const series_alarms *vw_alarms_of(views *v, const series_alarms *sa, size_t n, const char *name) {
    uint32_t id;
    hist_error he;
    if (!n || hist_series_lookup(v->o.historian, name, &id, &he) != HIST_OK) return NULL;
    series_alarms key = {.series = id};
    return bsearch(&key, sa, n, sizeof *sa, cmp_sa);
}

/* ---- opening ---- */

void views_options_default(views_options *o) {
    memset(o, 0, sizeof *o);
    o->utc_offset_min = 480;
    o->exposure_radius_m = 500;
    o->default_tank_height_m = 20;
    o->auto_min_detectors = 2;
    o->auto_window_ms = 120000;
}

static char *member_text(const char *name, json_t *o);

/* Occupants of buildings within metres of feature index that lie outside
 * the source's own enterprise (GB 18218 counts people outside the plant). */
static int outside_occupants(const geo_layout *g, size_t index, double metres, double *day,
                             double *night) {
    const geo_feature *f = geo_get(g, index);
    double d_all, n_all;
    if (geo_exposure(g, index, metres, false, &d_all) ||
        geo_exposure(g, index, metres, true, &n_all))
        return -1;
    *day = d_all, *night = n_all;
    long plant = -1;
    for (size_t i = 0; f->enterprise[0] && i < geo_count_all(g); i++) {
        const geo_feature *e = geo_get(g, i);
        if (e->kind == GEO_ENTERPRISE && !strcmp(e->id, f->enterprise)) plant = (long)i;
    }
    if (plant < 0) return 0;
    /* the plant's own buildings: those within 0 m of its boundary */
    geo_hits own;
    if (geo_within_feature(g, (size_t)plant, 0, GEO_BUILDING, &own) != 0) return -1;
    geo_hits near;
    if (geo_within_feature(g, index, metres, GEO_BUILDING, &near) != 0) {
        geo_hits_free(&own);
        return -1;
    }
    for (size_t i = 0; i < own.n; i++)
        for (size_t k = 0; k < near.n; k++)
            if (near.index[k] == own.index[i]) {
                const geo_feature *b = geo_get(g, own.index[i]);
                double share_d, share_n;
                /* the building's counted share: its exposure alone is not
                 * available, so leave out its whole occupancy (clamped) */
                share_d = (double)b->occupants_day, share_n = (double)b->occupants_night;
                *day = fmax(0, *day - share_d), *night = fmax(0, *night - share_n);
            }
    geo_hits_free(&own);
    geo_hits_free(&near);
    return 0;
}

int views_open(const views_options *o, views **out, char *err, size_t errcap) {
    *out = NULL;
    if (!o || !o->historian || !o->layout)
        return pw_fail(err, errcap, "views: historian and layout required");
    views *v = calloc(1, sizeof *v);
    if (!v) return pw_fail(err, errcap, "views: out of memory");
    v->o = *o;
    views_options d;
    views_options_default(&d);
    if (v->o.exposure_radius_m <= 0) v->o.exposure_radius_m = d.exposure_radius_m;
    if (v->o.default_tank_height_m <= 0) v->o.default_tank_height_m = d.default_tank_height_m;
    if (v->o.sigma_set < 0 || v->o.sigma_set > 2) {
        free(v);
        return pw_fail(err, errcap, "sigma_set: 0 (Briggs), 1 (Pasquill-Gifford) or 2 (ISC3)");
    }
    if (v->o.auto_window_ms <= 0) v->o.auto_window_ms = d.auto_window_ms;
    pthread_mutex_init(&v->mu, NULL);
    const geo_layout *g = o->layout;
    size_t n = geo_count_all(g);
    v->src = calloc(geo_count(g, GEO_HAZARD_SOURCE) + 1, sizeof *v->src);
    if (!v->src) goto oom;
    v->x0 = v->y0 = INFINITY, v->x1 = v->y1 = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        const geo_feature *f = geo_get(g, i);
        v->x0 = fmin(v->x0, f->x), v->x1 = fmax(v->x1, f->x);
        v->y0 = fmin(v->y0, f->y), v->y1 = fmax(v->y1, f->y);
        if (f->kind != GEO_HAZARD_SOURCE) continue;
        source *s = &v->src[v->n_src++];
        s->index = i;
        geo_hits h;
        /* the tanks inside the source, and the detectors inside or within
         * 30 m of it (GB/T 50493 places detectors around the equipment) */
        if (geo_within_feature(g, i, 0, GEO_TANK, &h) != 0) goto oom;
        s->tanks = h.index, s->n_tanks = h.n, free(h.distance_m);
        if (geo_within_feature(g, i, 30, GEO_GAS_DETECTOR, &h) != 0) goto oom;
        s->dets = h.index, s->n_dets = h.n, free(h.distance_m);
        if (geo_within_feature(g, i, 0, GEO_PIPELINE, &h) != 0) goto oom;
        s->lines = h.index, s->n_lines = h.n, free(h.distance_m);
        if (outside_occupants(g, i, v->o.exposure_radius_m, &s->occupants_day, &s->occupants_night))
            goto oom;
    }
    if (!isfinite(v->x0)) v->x0 = v->y0 = 0, v->x1 = v->y1 = 1;
    if (geo_bind_detectors(g, 60, &v->guards) != 0) goto oom;
    v->incident_file = o->incident_file ? strdup(o->incident_file) : NULL;
    v->o.incident_file = v->incident_file;
    if (vw_load_incidents(v) != 0) {
        views_close(v);
        return pw_fail(err, errcap, "views: %s: unreadable incident file", o->incident_file);
    }
    if (o->alarms && v->o.auto_min_detectors > 0) {
        if (alert_subscribe(o->alarms, vw_on_alarm, v) != 0) {
            views_close(v);
            return pw_fail(err, errcap, "views: the alarm engine has no room for a subscriber");
        }
        v->subscribed = true;
    }
    *out = v;
    return 0;
oom:
    views_close(v);
    return pw_fail(err, errcap, "views: out of memory or a failed spatial query");
}

void views_close(views *v) {
    if (!v) return;
    if (v->subscribed) alert_unsubscribe(v->o.alarms, vw_on_alarm, v);
    for (size_t i = 0; i < v->n_src; i++)
        free(v->src[i].tanks), free(v->src[i].dets), free(v->src[i].lines);
    free(v->src);
    free(v->guards);
    free(v->inc);
    free(v->incident_file);
    pthread_mutex_destroy(&v->mu);
    free(v);
}

/* ---- risk ---- */

/* A tank's or a pipeline's process alarms and instrument faults into
 * live, and each critical parameter (level, temperature, pressure) whose every
 * transmitter is in an instrument alarm: unmonitored. */
static void count_process(views *v, const geo_feature *f, const series_alarms *sa, size_t n_sa,
                          risk_live *live) {
    static const char *const critical[] = {"level", "temperature", "pressure"};
    unsigned have[3] = {0}, blind[3] = {0};
    for (size_t k = 0; k < f->n_series; k++) {
        const series_alarms *a = vw_alarms_of(v, sa, n_sa, f->series[k]);
        bool faulty = a && (a->fault || a->stale || a->instrument);
        if (a)
            for (int p = 0; p < 4; p++) live->process_alarms[p] += a->by_priority[p];
        live->process_instrument_faults += faulty;
        const char *q = assets_quantity_of(f, f->series[k]);
        for (int c = 0; f->kind == GEO_TANK && c < 3; c++)
            if (!strcmp(q, critical[c])) have[c]++, blind[c] += faulty;
    }
    for (int c = 0; c < 3; c++) live->unmonitored += have[c] && blind[c] == have[c];
}

typedef struct tank_q {
    size_t index;
    double level_m, q_t;
    bool measured, clamped;
} tank_q;

typedef struct source_eval {
    tank_q *tanks;
    risk_item items[16];
    risk_contribution contrib[16];
    size_t n_items;
    risk_result res;
    risk_live live;
    risk_state state;
    double occupants;
    bool night;
    size_t unmeasured;
} source_eval;

static int eval_source(views *v, const source *s, int64_t at_ms, const series_alarms *sa,
                       size_t n_sa, source_eval *ev) {
    const geo_layout *g = v->o.layout;
    memset(ev, 0, sizeof *ev);
    ev->tanks = calloc(s->n_tanks ? s->n_tanks : 1, sizeof *ev->tanks);
    if (!ev->tanks) return -1;
    /* inventory: tank levels now (or at T) */
    const char **names = malloc((s->n_tanks ? s->n_tanks : 1) * sizeof *names);
    hist_value *hv = malloc((s->n_tanks ? s->n_tanks : 1) * sizeof *hv);
    if (!names || !hv) {
        free(names), free(hv);
        return -1;
    }
    for (size_t i = 0; i < s->n_tanks; i++)
        names[i] = vw_series_ending(geo_get(g, s->tanks[i]), ".level");
    int rc = vw_values_at(v, at_ms, names, s->n_tanks, hv);
    for (size_t i = 0; rc == 0 && i < s->n_tanks; i++) {
        const geo_feature *t = geo_get(g, s->tanks[i]);
        tank_q *tq = &ev->tanks[i];
        tq->index = s->tanks[i];
        if (!hv[i].present || hv[i].quality >= 0x80 || !isfinite(hv[i].value)) {
            ev->unmeasured++;
            continue;
        }
        risk_tank tk = {.level_m = hv[i].value,
                        .height_m = t->height_m > 0 ? t->height_m : v->o.default_tank_height_m,
                        .capacity_m3 = t->capacity_m3,
                        .density_kg_m3 = t->density > 0 ? t->density : 1000};
        tq->level_m = hv[i].value;
        if (risk_tank_inventory_t(&tk, &tq->q_t, &tq->clamped) != 0) {
            ev->unmeasured++;
            continue;
        }
        tq->measured = true;
        /* one item per substance */
        size_t k = 0;
        while (k < ev->n_items && strcasecmp(ev->items[k].substance, t->substance)) k++;
        if (k == ev->n_items && k < sizeof ev->items / sizeof ev->items[0])
            ev->items[ev->n_items++] = (risk_item){.substance = t->substance};
        if (k < ev->n_items) ev->items[k].q_t += tq->q_t;
    }
    free(names), free(hv);
    if (rc != 0) return -1;
    ev->night = vw_is_night(v, at_ms ? at_ms : pw_wall_ms());
    ev->occupants = ev->night ? s->occupants_night : s->occupants_day;
    char err[256];
    if (risk_unit_evaluate(ev->items, ev->n_items, ev->occupants, ev->contrib, &ev->res, err,
                           sizeof err) != 0)
        return -1;
    /* the live state: alarms, faults and stale data of its detectors */
    ev->live.grade = ev->res.grade;
    ev->live.detectors = (unsigned)s->n_dets;
    ev->live.unknown_substances = ev->res.n_unknown;
    for (size_t i = 0; i < s->n_dets; i++) {
        const geo_feature *d = geo_get(g, s->dets[i]);
        bool fault = false, stale = false;
        for (size_t k = 0; k < d->n_series; k++) {
            const series_alarms *a = vw_alarms_of(v, sa, n_sa, d->series[k]);
            if (!a) continue;
            for (int p = 0; p < 4; p++) ev->live.gas_alarms[p] += a->by_priority[p];
            fault |= a->fault, stale |= a->stale;
        }
        ev->live.instrument_faults += fault;
        ev->live.stale_series += stale && !fault;
    }
    for (size_t i = 0; i < s->n_tanks; i++)
        count_process(v, geo_get(g, s->tanks[i]), sa, n_sa, &ev->live);
    for (size_t i = 0; i < s->n_lines; i++)
        count_process(v, geo_get(g, s->lines[i]), sa, n_sa, &ev->live);
    return risk_live_state(&ev->live, &ev->state);
}

static void eval_free(source_eval *ev) {
    free(ev->tanks);
}

static json_t *risk_json(const source *s, const source_eval *ev, int64_t at_ms) {
    json_t *inv = json_array();
    for (size_t i = 0; i < ev->n_items; i++) {
        const risk_contribution *c = &ev->contrib[i];
        json_t *it = json_pack("{s:s,s:f,s:b}", "substance", ev->items[i].substance, "q_t",
                               ev->items[i].q_t, "known", c->resolution != RISK_UNKNOWN);
        if (c->resolution != RISK_UNKNOWN) {
            json_object_set_new(it, "Q_t", json_real(c->q_crit_t));
            json_object_set_new(it, "beta", json_real(c->beta));
            json_object_set_new(it, "q_over_Q", json_real(c->ratio));
        }
        json_array_append_new(inv, it);
    }
    json_t *reasons = json_array();
    for (size_t i = 0; i < ev->state.n_reasons; i++)
        json_array_append_new(reasons, json_string(ev->state.reasons[i]));
    if (ev->unmeasured) {
        char r[96];
        snprintf(r, sizeof r, "%zu tank level%s not measured", ev->unmeasured,
                 ev->unmeasured == 1 ? "" : "s");
        json_array_append_new(reasons, json_string(r));
    }
    json_t *o = json_pack(
        "{s:I,s:o,s:f,s:b,s:f,s:I,s:f,s:i,s:i,s:s,s:s,s:s,s:o,s:I,s:I,s:{s:I,s:I,s:I,s:I},s:I,s:I}",
        "at", (json_int_t)at_ms, "inventory", inv, "S", ev->res.s, "major", ev->res.is_major, "R",
        ev->res.r, "exposed_people", (json_int_t)ev->res.people, "alpha", ev->res.alpha, "grade",
        ev->res.grade, "occupants", (int)lround(ev->occupants), "level", ev->state.level_name,
        "colour", ev->state.colour_hex, "period", ev->night ? "night" : "day", "reasons", reasons,
        "tanks", (json_int_t)s->n_tanks, "detectors", (json_int_t)s->n_dets, "gas_alarms", "p1",
        (json_int_t)ev->live.gas_alarms[0], "p2", (json_int_t)ev->live.gas_alarms[1], "p3",
        (json_int_t)ev->live.gas_alarms[2], "p4", (json_int_t)ev->live.gas_alarms[3],
        "instrument_faults", (json_int_t)ev->live.instrument_faults, "stale_detectors",
        (json_int_t)ev->live.stale_series);
    json_object_set_new(o, "pipelines", json_integer((json_int_t)s->n_lines));
    json_object_set_new(o, "process_alarms",
                        json_pack("{s:I,s:I,s:I,s:I}", "p1", (json_int_t)ev->live.process_alarms[0],
                                  "p2", (json_int_t)ev->live.process_alarms[1], "p3",
                                  (json_int_t)ev->live.process_alarms[2], "p4",
                                  (json_int_t)ev->live.process_alarms[3]));
    json_object_set_new(o, "process_instrument_faults",
                        json_integer((json_int_t)ev->live.process_instrument_faults));
    json_object_set_new(o, "unmonitored", json_integer((json_int_t)ev->live.unmonitored));
    return o;
}

typedef struct risk_ctx {
    views *v;
    const views_query *q;
    char **props; /* per feature index: the risk members, or NULL */
} risk_ctx;

static bool risk_keep(void *ctx, size_t index, const geo_feature *f) {
    risk_ctx *rc = ctx;
    return rc->props[index] && vw_sees(rc->q, f->enterprise);
}

static size_t risk_extra(void *ctx, size_t index, const geo_feature *f, const geo_value *values,
                         char *buf, size_t cap) {
    (void)f, (void)values;
    risk_ctx *rc = ctx;
    const char *p = rc->props[index];
    size_t n = p ? strlen(p) : 0;
    if (!n || n + 1 >= cap) return 0;
    memcpy(buf, p, n + 1);
    return n;
}

int views_risk_layer(views *v, const views_query *q, char **json, size_t *len, char *err,
                     size_t errcap) {
    *json = NULL;
    int64_t at = vw_at(q);
    series_alarms *sa;
    size_t n_sa;
    if (vw_alarms_by_series(v, at, &sa, &n_sa) != 0)
        return pw_fail(err, errcap, "reading alarms failed");
    size_t n = geo_count_all(v->o.layout);
    char **props = calloc(n ? n : 1, sizeof *props);
    int rc = props ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < v->n_src; i++) {
        const source *s = &v->src[i];
        if (!vw_sees(q, geo_get(v->o.layout, s->index)->enterprise)) continue;
        source_eval ev;
        if (eval_source(v, s, at, sa, n_sa, &ev) != 0) {
            eval_free(&ev);
            rc = -1;
            break;
        }
        json_t *o = risk_json(s, &ev, vw_when(q));
        eval_free(&ev);
        /* `,"risk":{...}` as extra feature properties */
        char *txt = o ? member_text("risk", o) : NULL;
        if (!txt) {
            rc = -1;
            break;
        }
        props[s->index] = txt;
    }
    free(sa);
    if (rc == 0) {
        risk_ctx ctx = {v, q, props};
        geo_layer_request rq = {
            .kind = GEO_HAZARD_SOURCE, .keep = risk_keep, .extra = risk_extra, .ctx = &ctx};
        rc = geo_layer(v->o.layout, &rq, json, len);
    }
    for (size_t i = 0; props && i < n; i++) free(props[i]);
    free(props);
    return rc == 0 ? 0 : pw_fail(err, errcap, "computing the risk layer failed");
}

int views_risk_source(views *v, const views_query *q, const char *id, int64_t from_ms,
                      int64_t to_ms, int64_t step_ms, json_t **out, char *err, size_t errcap) {
    *out = NULL;
    long fi = geo_find(v->o.layout, id);
    const source *s = NULL;
    for (size_t i = 0; fi >= 0 && i < v->n_src; i++)
        if (v->src[i].index == (size_t)fi) s = &v->src[i];
    if (!s || !vw_sees(q, geo_get(v->o.layout, s->index)->enterprise))
        return pw_fail(err, errcap, "no hazard source \"%s\"", id);
    int64_t span; /* the caller's range is not trusted: no overflow */
    if (step_ms <= 0 || to_ms <= from_ms || __builtin_sub_overflow(to_ms, from_ms, &span) ||
        span / step_ms > 10000)
        return pw_fail(err, errcap, "the trend needs from < to and at most 10,000 steps");
    int64_t at = vw_at(q);
    series_alarms *sa;
    size_t n_sa;
    if (vw_alarms_by_series(v, at, &sa, &n_sa) != 0)
        return pw_fail(err, errcap, "reading alarms failed");
    source_eval ev;
    int rc = eval_source(v, s, at, sa, n_sa, &ev);
    free(sa);
    if (rc != 0) {
        eval_free(&ev);
        return pw_fail(err, errcap, "computing the source failed");
    }
    json_t *o = risk_json(s, &ev, vw_when(q));
    const geo_layout *g = v->o.layout;
    const geo_feature *f = geo_get(g, s->index);
    json_object_set_new(o, "id", json_string(f->id));
    json_object_set_new(o, "enterprise", json_string(f->enterprise));
    json_t *tanks = json_array();
    for (size_t i = 0; i < s->n_tanks; i++) {
        const geo_feature *t = geo_get(g, s->tanks[i]);
        const tank_q *tq = &ev.tanks[i];
        json_t *tj = json_pack("{s:s,s:s,s:f,s:f}", "id", t->id, "substance", t->substance,
                               "capacity_m3", t->capacity_m3, "density", t->density);
        if (tq->measured) {
            json_object_set_new(tj, "level_m", json_real(tq->level_m));
            json_object_set_new(tj, "q_t", json_real(tq->q_t));
            json_object_set_new(tj, "clamped", json_boolean(tq->clamped));
        }
        json_array_append_new(tanks, tj);
    }
    json_object_set_new(o, "tank_list", tanks);
    json_t *dets = json_array();
    for (size_t i = 0; i < s->n_dets; i++)
        json_array_append_new(dets, json_string(geo_get(g, s->dets[i])->id));
    json_object_set_new(o, "detector_list", dets);
    /* the inventory trend: each tank's level, step by step, summed by
     * substance (the last level of each step; a gap keeps the previous) */
    size_t steps = (size_t)((to_ms - from_ms + step_ms - 1) / step_ms);
    json_t *trend = json_object();
    for (size_t i = 0; i < s->n_tanks; i++) {
        const geo_feature *t = geo_get(g, s->tanks[i]);
        const char *lvl = vw_series_ending(t, ".level");
        uint32_t sid;
        hist_error he;
        if (!lvl || hist_series_lookup(v->o.historian, lvl, &sid, &he) != HIST_OK) continue;
        hist_buckets b = {0};
        if (hist_query_agg(v->o.historian, sid, from_ms, to_ms, step_ms, steps + 2, &b, &he) !=
            HIST_OK) {
            hist_buckets_free(&b);
            continue;
        }
        risk_tank tk = {.height_m = t->height_m > 0 ? t->height_m : v->o.default_tank_height_m,
                        .capacity_m3 = t->capacity_m3,
                        .density_kg_m3 = t->density > 0 ? t->density : 1000};
        json_t *arr = json_object_get(trend, t->substance);
        if (!arr) {
            arr = json_array();
            for (size_t k = 0; k < steps; k++) json_array_append_new(arr, json_null());
            json_object_set_new(trend, t->substance, arr);
        }
        /* the level standing at from carries into the first steps */
        bool have0;
        double last = vw_value_of(v, from_ms - 1, lvl, &have0);
        size_t bi = 0;
        for (size_t k = 0; k < steps; k++) {
            int64_t t0 = from_ms + (int64_t)k * step_ms;
            while (bi < b.n && b.v[bi].ts_ms < t0 + step_ms) {
                if (b.v[bi].count) last = b.v[bi].last;
                bi++;
            }
            tk.level_m = last;
            double q;
            if (!isfinite(last) || risk_tank_inventory_t(&tk, &q, NULL) != 0) continue;
            json_t *cell = json_array_get(arr, k);
            double prev = json_is_number(cell) ? json_number_value(cell) : 0;
            json_array_set_new(arr, k, json_real(prev + q));
        }
        hist_buckets_free(&b);
    }
    json_t *ts = json_array();
    for (size_t k = 0; k < steps; k++)
        json_array_append_new(ts, json_integer(from_ms + (json_int_t)k * step_ms));
    json_object_set_new(
        o, "trend",
        json_pack("{s:I,s:o,s:o}", "step_ms", (json_int_t)step_ms, "ts", ts, "tonnes", trend));
    eval_free(&ev);
    *out = o;
    return 0;
}

/* ---- environment ---- */

static const struct {
    const char *tag; /* the station's series name ends in "/" tag */
    aqi_item item;
    aqi_kind k1h, k24h; /* AQI_KIND_COUNT: none */
} pollutants[] = {
    {"PM2_5", AQI_ITEM_PM25, AQI_KIND_COUNT, AQI_PM25_24H},
    {"PM10", AQI_ITEM_PM10, AQI_KIND_COUNT, AQI_PM10_24H},
    {"SO2", AQI_ITEM_SO2, AQI_SO2_1H, AQI_SO2_24H},
    {"NO2", AQI_ITEM_NO2, AQI_NO2_1H, AQI_NO2_24H},
    {"CO", AQI_ITEM_CO, AQI_CO_1H, AQI_CO_24H},
    {"O3", AQI_ITEM_O3, AQI_O3_1H, AQI_KIND_COUNT},
};
#define N_POLLUTANTS (sizeof pollutants / sizeof pollutants[0])

static const char *station_series(const geo_feature *f, const char *tag) {
    char suffix[16];
    snprintf(suffix, sizeof suffix, "/%s", tag);
    return vw_series_ending(f, suffix);
}

/* Hourly means of a series over the 24 hours up to t: hourly[23] is the
 * hour containing t (partial); a missing hour is NAN. The 1-h value is the
 * rolling mean of the last 60 minutes. */
static int hourly_means(views *v, const char *name, int64_t t, double hourly[24], double *last60) {
    for (int k = 0; k < 24; k++) hourly[k] = NAN;
    *last60 = NAN;
    uint32_t id;
    hist_error he;
    if (!name || hist_series_lookup(v->o.historian, name, &id, &he) != HIST_OK) return 0;
    int64_t base = t / HOUR_MS * HOUR_MS - 23 * HOUR_MS;
    hist_buckets b = {0};
    if (hist_query_agg(v->o.historian, id, base, t + 1, HOUR_MS, 30, &b, &he) != HIST_OK) {
        hist_buckets_free(&b);
        return -1;
    }
    for (size_t i = 0; i < b.n; i++) {
        int64_t k = (b.v[i].ts_ms - base) / HOUR_MS;
        if (k >= 0 && k < 24 && b.v[i].count) hourly[k] = b.v[i].sum / b.v[i].count;
    }
    hist_buckets_free(&b);
    hist_buckets r = {0};
    if (hist_query_agg(v->o.historian, id, t - HOUR_MS, t + 1, HOUR_MS, 4, &r, &he) == HIST_OK) {
        double sum = 0;
        uint64_t n = 0;
        for (size_t i = 0; i < r.n; i++) sum += r.v[i].sum, n += r.v[i].count;
        if (n) *last60 = sum / (double)n;
    }
    hist_buckets_free(&r);
    return 0;
}

/* One station's air quality at t, as JSON members. */
static json_t *station_aqi(views *v, const geo_feature *f, int64_t t) {
    aqi_input in[AQI_KIND_COUNT];
    size_t n = 0;
    json_t *conc = json_object(), *exc = json_array();
    bool pm_hourly = false;
    for (size_t p = 0; p < N_POLLUTANTS; p++) {
        const char *name = station_series(f, pollutants[p].tag);
        double hourly[24], h1;
        if (!name || hourly_means(v, name, t, hourly, &h1) != 0) continue;
        aqi_mean m24 = {NAN, 0, false}, m8 = {NAN, 0, false};
        aqi_mean_24h(hourly, &m24);
        aqi_mean_8h(hourly + 16, &m8);
        json_t *c = json_object();
        if (isfinite(h1)) json_object_set_new(c, "1h", json_real(h1));
        if (m24.n_valid) json_object_set_new(c, "24h", json_real(m24.value));
        json_object_set_new(c, "24h_valid", json_boolean(m24.valid));
        if (pollutants[p].item == AQI_ITEM_O3 && m8.n_valid) {
            json_object_set_new(c, "8h", json_real(m8.value));
            json_object_set_new(c, "8h_valid", json_boolean(m8.valid));
        }
        json_object_set_new(conc, pollutants[p].tag, c);
        if (pollutants[p].k1h != AQI_KIND_COUNT && isfinite(h1))
            in[n++] = (aqi_input){pollutants[p].k1h, h1};
        if (pollutants[p].k24h != AQI_KIND_COUNT) {
            /* PM has only 24-h breakpoints: real-time reporting applies them
             * to the 1-h mean until a valid 24-h mean exists (our choice,
             * flagged in "pm_basis") */
            if (m24.valid)
                in[n++] = (aqi_input){pollutants[p].k24h, m24.value};
            else if ((pollutants[p].item == AQI_ITEM_PM25 || pollutants[p].item == AQI_ITEM_PM10) &&
                     isfinite(h1))
                in[n++] = (aqi_input){pollutants[p].k24h, h1}, pm_hourly = true;
        }
        if (pollutants[p].item == AQI_ITEM_O3 && m8.valid)
            in[n++] = (aqi_input){AQI_O3_8H, m8.value};
        /* GB 3095-2012 grade II: 1-h, 24-h and 8-h limits where they exist */
        struct {
            aqi_period period;
            double mean;
            bool ok;
        } checks[] = {{AQI_AVG_1H, h1, isfinite(h1)},
                      {AQI_AVG_24H, m24.value, m24.valid},
                      {AQI_AVG_8H_MAX, m8.value, m8.valid}};
        for (size_t k = 0; k < 3; k++) {
            aqi_exceedance e;
            if (!checks[k].ok || !aqi_limit_find(pollutants[p].item, checks[k].period)) continue;
            if (aqi_limit_check(pollutants[p].item, checks[k].period, AQI_GRADE_II, checks[k].mean,
                                &e) != 0 ||
                !e.exceeds)
                continue;
            json_array_append_new(exc,
                                  json_pack("{s:s,s:s,s:f,s:f,s:f}", "pollutant", pollutants[p].tag,
                                            "period", aqi_period_name(checks[k].period), "mean",
                                            checks[k].mean, "limit", e.limit, "ratio", e.ratio));
        }
    }
    aqi_result r;
    char err[128];
    json_t *o = json_pack("{s:I,s:o,s:o,s:s}", "at", (json_int_t)t, "concentrations", conc,
                          "exceedances", exc, "pm_basis", pm_hourly ? "1h" : "24h");
    if (n && aqi_compute(in, n, &r, err, sizeof err) == 0 && r.aqi >= 0) {
        json_t *iaqi = json_object(), *prim = json_array();
        for (int k = 0; k < AQI_KIND_COUNT; k++)
            if (r.present[k] && r.iaqi[k].status != AQI_IAQI_UNDEFINED)
                json_object_set_new(iaqi, aqi_kind_name((aqi_kind)k), json_integer(r.iaqi[k].iaqi));
        for (size_t k = 0; k < r.n_primary; k++)
            json_array_append_new(prim, json_string(aqi_kind_pollutant(r.primary[k])));
        json_object_set_new(o, "aqi", json_integer(r.aqi));
        json_object_set_new(o, "iaqi", iaqi);
        json_object_set_new(o, "primary", prim);
        json_object_set_new(o, "level", json_integer(r.category->level));
        json_object_set_new(o, "category", json_string(r.category->name_en));
        json_object_set_new(o, "category_zh", json_string(r.category->name_zh));
        json_object_set_new(o, "colour", json_string(r.category->colour_hex));
    } else {
        json_object_set_new(o, "aqi", json_null());
    }
    return o;
}

typedef struct props_ctx {
    const views_query *q;
    char **props;
} props_ctx;

static bool props_keep(void *ctx, size_t index, const geo_feature *f) {
    (void)f;
    return ((props_ctx *)ctx)->props[index] != NULL;
}

static size_t props_extra(void *ctx, size_t index, const geo_feature *f, const geo_value *values,
                          char *buf, size_t cap) {
    (void)f, (void)values;
    const char *p = ((props_ctx *)ctx)->props[index];
    size_t n = p ? strlen(p) : 0;
    if (!n || n + 1 >= cap) return 0;
    memcpy(buf, p, n + 1);
    return n;
}

/* `,"name":{...}` from an object, for geo_layer's extra properties. */
static char *member_text(const char *name, json_t *o) {
    json_t *w = json_object();
    json_object_set_new(w, name, o);
    /* exact and short, as the layer around it (was rounded to 10 digits) */
    size_t l;
    char *txt = pw_json_text(w, &l);
    json_decref(w);
    if (!txt) return NULL;
    txt[l - 1] = 0;
    txt[0] = ',';
    return txt;
}

int views_aqi_layer(views *v, const views_query *q, char **json, size_t *len, char *err,
                    size_t errcap) {
    *json = NULL;
    int64_t t = vw_when(q);
    size_t n = geo_count_all(v->o.layout);
    char **props = calloc(n ? n : 1, sizeof *props);
    if (!props) return pw_fail(err, errcap, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const geo_feature *f = geo_get(v->o.layout, i);
        if (f->kind != GEO_AQ_STATION || f->n_series == 0) continue;
        char ent[32];
        snprintf(ent, sizeof ent, "%.*s", (int)strcspn(f->series[0], "/"), f->series[0]);
        if (!vw_sees(q, f->enterprise[0] ? f->enterprise : ent)) continue;
        props[i] = member_text("air", station_aqi(v, f, t));
    }
    props_ctx ctx = {q, props};
    geo_layer_request rq = {
        .kind = GEO_AQ_STATION, .keep = props_keep, .extra = props_extra, .ctx = &ctx};
    int rc = geo_layer(v->o.layout, &rq, json, len);
    for (size_t i = 0; i < n; i++) free(props[i]);
    free(props);
    return rc == 0 ? 0 : pw_fail(err, errcap, "computing the air-quality layer failed");
}

int views_idw(views *v, const views_query *q, const char *pollutant, int nx, int ny, char **json,
              size_t *len, char *err, size_t errcap) {
    *json = NULL;
    if (nx < 1 || ny < 1 || nx > 500 || ny > 500)
        return pw_fail(err, errcap, "the grid is 1..500 cells a side");
    size_t p = 0;
    while (p < N_POLLUTANTS && strcasecmp(pollutants[p].tag, pollutant ? pollutant : "")) p++;
    if (p == N_POLLUTANTS)
        return pw_fail(err, errcap, "pollutant: PM2_5, PM10, SO2, NO2, CO or O3");
    int64_t t = vw_when(q);
    const geo_layout *g = v->o.layout;
    size_t n = geo_count_all(g), ns = 0;
    idw_station *st = malloc((n ? n : 1) * sizeof *st);
    if (!st) return pw_fail(err, errcap, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const geo_feature *f = geo_get(g, i);
        if (f->kind != GEO_AQ_STATION) continue;
        const char *name = station_series(f, pollutants[p].tag);
        char ent[32];
        snprintf(ent, sizeof ent, "%.*s", name ? (int)strcspn(name, "/") : 0, name ? name : "");
        if (!name || !vw_sees(q, ent)) continue;
        double hourly[24], h1;
        if (hourly_means(v, name, t, hourly, &h1) != 0 || !isfinite(h1)) continue;
        st[ns++] = (idw_station){f->x, f->y, h1};
    }
    /* the park's extent and 5 % around it */
    double mx = (v->x1 - v->x0) * 0.05 + 50, my = (v->y1 - v->y0) * 0.05 + 50;
    idw_grid grid = {v->x0 - mx, v->y0 - my, v->x1 + mx, v->y1 + my, (size_t)nx, (size_t)ny};
    double *cells = malloc((size_t)nx * (size_t)ny * sizeof *cells);
    double *lon = malloc((size_t)(nx + 1) * (size_t)(ny + 1) * sizeof *lon);
    double *lat = malloc((size_t)(nx + 1) * (size_t)(ny + 1) * sizeof *lat);
    size_t empty = 0;
    int rc = cells && lon && lat ? 0 : -1;
    if (rc == 0 && ns)
        rc = idw_fill(st, ns, &grid, NULL, cells, &empty);
    else if (rc == 0)
        for (size_t i = 0; i < (size_t)nx * (size_t)ny; i++) cells[i] = NAN;
    /* the cell corners in WGS84, once each */
    double dx = (grid.x_max_m - grid.x_min_m) / nx, dy = (grid.y_max_m - grid.y_min_m) / ny;
    for (int j = 0; rc == 0 && j <= ny; j++)
        for (int i = 0; rc == 0 && i <= nx; i++) {
            size_t k = (size_t)j * (size_t)(nx + 1) + (size_t)i;
            rc = geo_unproject(g, grid.x_min_m + i * dx, grid.y_min_m + j * dy, &lon[k], &lat[k]);
        }
    textbuf b = {0};
    if (rc == 0) {
        tb_printf(
            &b,
            "{\"type\":\"FeatureCollection\",\"pollutant\":\"%s\",\"at\":%lld,\"stations\":%zu,"
            "\"nx\":%d,\"ny\":%d,\"features\":[",
            pollutants[p].tag, (long long)t, ns, nx, ny);
        /* each corner's "[lon,lat]" once: cells share them */
        size_t w = (size_t)nx + 1, nc = w * ((size_t)ny + 1);
        char(*ct)[48] = malloc(nc * sizeof *ct);
        unsigned char *cl = malloc(nc);
        for (size_t k = 0; ct && cl && k < nc; k++) {
            size_t m = 0;
            ct[k][m++] = '[';
            m += nf_fixed_digits(ct[k] + m, lon[k], 7);
            ct[k][m++] = ',';
            m += nf_fixed_digits(ct[k] + m, lat[k], 7);
            ct[k][m++] = ']';
            cl[k] = (unsigned char)m;
        }
        if (!ct || !cl) b.oom = true;
        static const char head[] =
            "{\"type\":\"Feature\",\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[";
        for (int j = 0; j < ny && !b.oom; j++)
            for (int i = 0; i < nx; i++) {
                size_t c = (size_t)j * (size_t)nx + (size_t)i;
                size_t a = (size_t)j * w + (size_t)i, corners[5] = {a, a + 1, a + w + 1, a + w, a};
                if (c) tb_put(&b, ",", 1);
                tb_put(&b, head, sizeof head - 1);
                for (int k = 0; k < 5; k++) {
                    if (k) tb_put(&b, ",", 1);
                    tb_put(&b, ct[corners[k]], cl[corners[k]]);
                }
                char num[3 * NF_MAX + 64];
                size_t m = (size_t)snprintf(num, sizeof num, "]]},\"properties\":{\"i\":");
                m += nf_i64(num + m, i);
                memcpy(num + m, ",\"j\":", 5), m += 5;
                m += nf_i64(num + m, j);
                memcpy(num + m, ",\"value\":", 9), m += 9;
                m += isfinite(cells[c]) ? nf_double_sig(num + m, cells[c], 4)
                                        : nf_double(num + m, NAN);
                memcpy(num + m, "}}", 2), m += 2;
                tb_put(&b, num, m);
            }
        free(ct);
        free(cl);
        tb_printf(&b, "]}");
    }
    free(st), free(cells), free(lon), free(lat);
    if (rc != 0 || b.oom) {
        free(b.p);
        return pw_fail(err, errcap, "computing the grid failed");
    }
    *json = b.p;
    if (len) *len = b.n;
    return 0;
}

int views_toxic_summary(views *v, const views_query *q, json_t **out, char *err, size_t errcap) {
    *out = NULL;
    int64_t t = vw_when(q);
    int64_t off = (int64_t)v->o.utc_offset_min * 60000;
    int64_t day0 = (t + off) / DAY_MS * DAY_MS - off;
    const geo_layout *g = v->o.layout;
    json_t *ents = json_object();
    for (size_t i = 0; i < geo_count_all(g); i++) {
        const geo_feature *f = geo_get(g, i);
        if (f->kind != GEO_GAS_DETECTOR || strcmp(f->type, "toxic") || !f->n_series) continue;
        if (!vw_sees(q, f->enterprise) || !(f->alarm1 > 0)) continue;
        uint32_t id;
        hist_error he;
        json_t *e = json_object_get(ents, f->enterprise);
        if (!e) {
            e = json_pack("{s:s,s:i,s:i,s:i,s:f,s:o}", "enterprise", f->enterprise, "detectors", 0,
                          "detectors_exceeding", 0, "exceedance_hours", 0, "max_ratio", 0.0,
                          "worst", json_null());
            json_object_set_new(ents, f->enterprise, e);
        }
        json_object_set_new(e, "detectors",
                            json_integer(json_integer_value(json_object_get(e, "detectors")) + 1));
        if (hist_series_lookup(v->o.historian, f->series[0], &id, &he) != HIST_OK) continue;
        hist_buckets b = {0};
        if (hist_query_agg(v->o.historian, id, day0, t + 1, HOUR_MS, 30, &b, &he) != HIST_OK) {
            hist_buckets_free(&b);
            return pw_fail(err, errcap, "historian: %s", he.msg);
        }
        int hours = 0;
        double mx = 0;
        for (size_t k = 0; k < b.n; k++)
            if (b.v[k].count) {
                hours += b.v[k].max > f->alarm1;
                mx = fmax(mx, b.v[k].max);
            }
        hist_buckets_free(&b);
        if (hours) {
            json_object_set_new(
                e, "detectors_exceeding",
                json_integer(json_integer_value(json_object_get(e, "detectors_exceeding")) + 1));
            json_object_set_new(
                e, "exceedance_hours",
                json_integer(json_integer_value(json_object_get(e, "exceedance_hours")) + hours));
        }
        double ratio = mx / f->alarm1;
        if (ratio > json_number_value(json_object_get(e, "max_ratio"))) {
            json_object_set_new(e, "max_ratio", json_real(ratio));
            json_object_set_new(e, "worst",
                                json_pack("{s:s,s:s,s:f,s:f}", "detector", f->id, "gas", f->gas,
                                          "max", mx, "alarm1", f->alarm1));
        }
    }
    json_t *arr = json_array();
    const char *k;
    json_t *e;
    json_object_foreach(ents, k, e) json_array_append(arr, e);
    json_decref(ents);
    *out = json_pack("{s:I,s:I,s:o}", "day_start", (json_int_t)day0, "at", (json_int_t)t,
                     "enterprises", arr);
    return 0;
}
