/*
 * parkd_specialwork.c - the special-work permits for parkd
 * (parkd_specialwork.h): the module on the event store, and the gas
 * alarms and incident footprints its conditions are judged against.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/parkd_specialwork.h"

typedef struct footprint {
    char id[32];
    double *lonlat;
    size_t n;
} footprint;

struct parkd_specialwork {
    specialwork *sw;
    int64_t next_tick_ms, next_incidents_ms;
    footprint inc[SPECIALWORK_MAX_INCIDENTS];
    size_t n_inc;
};

/* The config's "specialwork" object: near_gas_m (1..1000) and
 * gas_test_max_age_min (0.1..1440), each optional (absent: the module's
 * defaults, 30 m and 30 min). */
static int read_config(const json_t *cfg, specialwork_options *o, char *err, size_t errcap) {
    if (!cfg) return 0;
    if (!json_is_object(cfg)) return snprintf(err, errcap, "specialwork: must be an object"), -1;
    json_t *v = json_object_get(cfg, "near_gas_m");
    if (v) {
        if (!json_is_number(v) || !(json_number_value(v) >= 1 && json_number_value(v) <= 1000))
            return snprintf(err, errcap, "specialwork.near_gas_m: a number of metres, 1 to 1000"),
                   -1;
        o->near_gas_m = json_number_value(v);
    }
    v = json_object_get(cfg, "gas_test_max_age_min");
    if (v) {
        if (!json_is_number(v) || !(json_number_value(v) >= 0.1 && json_number_value(v) <= 1440))
            return snprintf(err, errcap,
                            "specialwork.gas_test_max_age_min: a number of minutes, 0.1 to 1440"),
                   -1;
        o->gas_test_max_age_ms = (int64_t)(json_number_value(v) * 60000);
    }
    return 0;
}

int parkd_specialwork_open(ev_store *ev, const json_t *cfg, pw_condition_fn on_condition, void *ctx,
                           parkd_specialwork **out, char *err, size_t errcap) {
    *out = NULL;
    specialwork_options o;
    specialwork_options_default(&o);
    if (read_config(cfg, &o, err, errcap) != 0) return -1;
    parkd_specialwork *p = calloc(1, sizeof *p);
    if (!p) return snprintf(err, errcap, "specialwork: out of memory"), -1;
    o.events = ev, o.on_condition = on_condition, o.ctx = ctx;
    char serr[512];
    if (specialwork_open(&o, &p->sw, serr, sizeof serr) != SW_OK) {
        free(p);
        snprintf(err, errcap, "%s", serr);
        return -1;
    }
    *out = p;
    return 0;
}

specialwork *parkd_specialwork_module(parkd_specialwork *p) {
    return p ? p->sw : NULL;
}

static void drop_incidents(parkd_specialwork *p) {
    for (size_t i = 0; i < p->n_inc; i++) free(p->inc[i].lonlat);
    p->n_inc = 0;
}

/* The outermost footprint of an incident's view: the zone reaching
 * furthest downwind (the lowest endpoint) that has a polygon. */
static bool outer_ring(const json_t *view, footprint *fp) {
    const json_t *best = NULL;
    double reach = -1;
    size_t i;
    json_t *z;
    json_array_foreach(json_object_get(view, "zones"), i, z) {
        json_t *poly = json_object_get(z, "polygon");
        double d = json_number_value(json_object_get(z, "max_downwind_m"));
        if (json_is_object(poly) && d > reach) best = poly, reach = d;
    }
    json_t *ring = json_array_get(json_object_get(best, "coordinates"), 0);
    size_t n = json_array_size(ring);
    if (n < 3 || n > 100000) return false;
    fp->lonlat = malloc(2 * n * sizeof *fp->lonlat);
    if (!fp->lonlat) return false;
    for (size_t k = 0; k < n; k++) {
        json_t *pt = json_array_get(ring, k);
        fp->lonlat[2 * k] = json_number_value(json_array_get(pt, 0));
        fp->lonlat[2 * k + 1] = json_number_value(json_array_get(pt, 1));
    }
    fp->n = n;
    return true;
}

static void refresh_incidents(parkd_specialwork *p, views *vw) {
    drop_incidents(p);
    views_query q = {0};
    json_t *all = NULL;
    if (!vw || views_incidents(vw, &q, &all) != 0) return;
    size_t i;
    json_t *inc;
    json_array_foreach(json_object_get(all, "incidents"), i, inc) {
        const char *id = json_string_value(json_object_get(inc, "id"));
        /* open: no end yet (proposed ones too: detectors saw the gas) */
        if (!id || !json_is_null(json_object_get(inc, "end_ms"))) continue;
        if (p->n_inc == SPECIALWORK_MAX_INCIDENTS) break;
        json_t *view = NULL;
        char err[256];
        if (views_incident_view(vw, id, &q, &view, err, sizeof err) != 0) continue;
        footprint *fp = &p->inc[p->n_inc];
        snprintf(fp->id, sizeof fp->id, "%s", id);
        if (outer_ring(view, fp)) p->n_inc++;
        json_decref(view);
    }
    json_decref(all);
}

/* The active combustible-gas alarms at their detectors; *out malloc'd. */
static size_t gas_alarms(alert_engine *al, const geo_layout *g, sw_gas_alarm **out) {
    *out = NULL;
    alert_status *st = NULL;
    size_t n = 0, k = 0;
    if (!al || !g || alert_list_active(al, &st, &n) != 0) return 0;
    sw_gas_alarm *v = calloc(n ? n : 1, sizeof *v);
    for (size_t i = 0; v && i < n; i++) {
        alert_rule ru;
        if (!st[i].active || alert_rule_get(al, st[i].rule, &ru) != 0) continue;
        if ((ru.kind != ALERT_HIGH && ru.kind != ALERT_HIGH_HIGH) || !ru.asset || !*ru.asset)
            continue;
        long f = geo_find(g, ru.asset);
        const geo_feature *gf = f >= 0 ? geo_get(g, (size_t)f) : NULL;
        if (!gf || gf->kind != GEO_GAS_DETECTOR || strcmp(gf->type, "combustible")) continue;
        /* a detector with two alarms (HIGH and HIGH_HIGH) counts once */
        bool dup = false;
        for (size_t j = 0; j < k && !dup; j++) dup = v[j].detector == gf->id;
        if (!dup) v[k++] = (sw_gas_alarm){gf->id, gf->lon, gf->lat};
    }
    free(st);
    *out = v;
    return k;
}

void parkd_specialwork_tick(parkd_specialwork *p, alert_engine *alarms, const geo_layout *layout,
                            views *vw, int64_t now_ms) {
    if (!p || now_ms < p->next_tick_ms) return;
    p->next_tick_ms = now_ms + SPECIALWORK_TICK_EVERY_MS;
    if (now_ms >= p->next_incidents_ms) {
        p->next_incidents_ms = now_ms + SPECIALWORK_INCIDENTS_EVERY_MS;
        refresh_incidents(p, vw);
    }
    sw_gas_alarm *ga;
    size_t n = gas_alarms(alarms, layout, &ga);
    sw_area areas[SPECIALWORK_MAX_INCIDENTS];
    for (size_t i = 0; i < p->n_inc; i++)
        areas[i] = (sw_area){p->inc[i].id, p->inc[i].lonlat, p->inc[i].n};
    specialwork_tick(p->sw, now_ms, ga, n, areas, p->n_inc);
    free(ga);
}

void parkd_specialwork_close(parkd_specialwork *p) {
    if (!p) return;
    drop_incidents(p);
    specialwork_close(p->sw);
    free(p);
}
