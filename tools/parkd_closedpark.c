/*
 * parkd_closedpark.c - closed-park management wired into parkd
 * (parkd_closedpark.h): the roads, the module, its event takers, the
 * ingest observer of positions and the config's thresholds.
 *
 * A position is the lat and lon of one vehicle (or badge) at one ts in one
 * message: the observer gets a message's readings, series by series, and
 * puts them back together by entity and time before calling the module
 * once per position, in time order.
 */
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "historian/historian.h"
#include "ingest/ingest.h"
#include "roads/roads.h"
#include "tools/parkd_closedpark.h"

#define ENTITY_MAX   128 /* bytes of a plate or badge in a series name */
#define STACK_GROUPS 64  /* readings of a message sorted without an allocation */

static const char *const observed_prefixes[] = {"PARK/vehicles/", "PARK/people/"};

struct parkd_closedpark {
    roads *roads;
    closedpark *cp;
    const char **ents; /* the config's enterprise ids (borrowed strings) */
    atomic_uint_fast64_t vehicle_positions, person_positions, rejected, store_errors, dropped;
};

/* ---- the config's "closedpark" thresholds ---- */

/* An optional number in [lo, hi]: *out untouched when absent. */
static int opt_num(json_t *o, const char *key, double lo, double hi, double *out, char *err,
                   size_t errcap) {
    json_t *v = json_object_get(o, key);
    if (!v) return 0;
    double x = json_number_value(v);
    if (!json_is_number(v) || !isfinite(x) || x < lo || x > hi) {
        snprintf(err, errcap, "closedpark.%s: a number %g..%g", key, lo, hi);
        return -1;
    }
    *out = x;
    return 0;
}

static int load_thresholds(json_t *cfg, closedpark_options *o, char *err, size_t errcap) {
    if (!cfg) return 0;
    if (!json_is_object(cfg)) {
        snprintf(err, errcap, "closedpark: must be an object");
        return -1;
    }
    double off_m = 0, off_s = 0, margin = -1, speed_s = 0, stopped_min = 0, overstay_min = -1;
    if (opt_num(cfg, "off_route_m", 1, 10000, &off_m, err, errcap) ||
        opt_num(cfg, "off_route_s", 0.1, 3600, &off_s, err, errcap) ||
        opt_num(cfg, "speeding_margin_kmh", 0, 100, &margin, err, errcap) ||
        opt_num(cfg, "speeding_s", 0.1, 3600, &speed_s, err, errcap) ||
        opt_num(cfg, "stopped_min", 0.01, 1440, &stopped_min, err, errcap) ||
        opt_num(cfg, "overstay_min", 0, 1440, &overstay_min, err, errcap))
        return -1;
    /* 0 is the module's "default": a margin or an overstay of 0 is its default too */
    if (off_m > 0) o->off_route_m = off_m;
    if (off_s > 0) o->off_route_ms = (int64_t)llround(off_s * 1000);
    if (margin >= 0) o->speeding_margin_kmh = margin;
    if (speed_s > 0) o->speeding_ms = (int64_t)llround(speed_s * 1000);
    if (stopped_min > 0) o->stopped_ms = (int64_t)llround(stopped_min * 60000);
    if (overstay_min >= 0) o->overstay_ms = (int64_t)llround(overstay_min * 60000);
    return 0;
}

/* ---- events ---- */

static int take_event(void *module, const char *source_enterprise, json_t *ev, int64_t recv_ms,
                      char *why, size_t whycap) {
    return closedpark_take_event(module, source_enterprise, ev, recv_ms, why, whycap);
}

/* views_options.inside: what moves inside an incident's footprint */
static int inside(void *ctx, const double *lonlat, size_t n, json_t **vehicles, json_t **people) {
    return closedpark_inside(ctx, lonlat, n, vehicles, people);
}

/* ---- positions ---- */

enum { F_LAT, F_LON, F_SPEED, F_HEADING, F_OTHER };

typedef struct reading {
    int kind; /* 0 a vehicle, 1 a person: the prefix's index */
    const char *entity;
    size_t len;
    int64_t ts;
    int field;
    double value;
} reading;

static int cmp_reading(const void *pa, const void *pb) {
    const reading *a = pa, *b = pb;
    if (a->kind != b->kind) return a->kind < b->kind ? -1 : 1;
    size_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->entity, b->entity, n);
    if (c) return c;
    if (a->len != b->len) return a->len < b->len ? -1 : 1;
    if (a->ts != b->ts) return a->ts < b->ts ? -1 : 1;
    return 0;
}

static int field_of(const char *f) {
    return !strcmp(f, "lat")       ? F_LAT
           : !strcmp(f, "lon")     ? F_LON
           : !strcmp(f, "speed")   ? F_SPEED
           : !strcmp(f, "heading") ? F_HEADING
                                   : F_OTHER;
}

/* Splits "PARK/vehicles/沪A12345.lat": false when it is not {entity}.{field}. */
static bool split_name(const char *series, reading *r) {
    for (int k = 0; k < 2; k++) {
        size_t pl = strlen(observed_prefixes[k]);
        if (strncmp(series, observed_prefixes[k], pl)) continue;
        const char *ent = series + pl, *dot = strrchr(ent, '.');
        if (!dot || dot == ent || !dot[1] || (size_t)(dot - ent) >= ENTITY_MAX) return false;
        r->kind = k, r->entity = ent, r->len = (size_t)(dot - ent), r->field = field_of(dot + 1);
        return true;
    }
    return false;
}

/* The n readings of one entity at one ts: a position, or dropped. */
static void position(parkd_closedpark *p, const reading *g, size_t n) {
    double v[4] = {NAN, NAN, NAN, NAN};
    bool has[4] = {false, false, false, false}, any = false;
    for (size_t i = 0; i < n; i++)
        if (g[i].field != F_OTHER) has[g[i].field] = any = true, v[g[i].field] = g[i].value;
    if (!any) return; /* fields of no position (an odometer): not ours */
    if (!has[F_LAT] || !has[F_LON]) {
        p->dropped++;
        return;
    }
    char entity[ENTITY_MAX];
    memcpy(entity, g->entity, g->len);
    entity[g->len] = 0;
    int rc;
    if (g->kind == 0) {
        rc = closedpark_vehicle_position(p->cp, entity, g->ts, v[F_LAT], v[F_LON], v[F_SPEED],
                                         v[F_HEADING]);
        if (!rc) p->vehicle_positions++;
    } else {
        rc = closedpark_person_position(p->cp, entity, g->ts, v[F_LAT], v[F_LON]);
        if (!rc) p->person_positions++;
    }
    if (rc > 0) p->rejected++;
    if (rc < 0) p->store_errors++;
}

/* ingest_options.observe: one message's accepted readings. */
static void observe(const ingest_observed *pts, size_t n, void *ctx) {
    parkd_closedpark *p = ctx;
    reading stack[STACK_GROUPS], *rs = n <= STACK_GROUPS ? stack : malloc(n * sizeof *rs);
    if (!rs) {
        p->dropped += n; /* out of memory: the readings are stored all the same */
        return;
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        reading r = {0};
        if (hist_quality_bad(pts[i].quality)) continue; /* stored, but no measurement */
        if (!split_name(pts[i].series, &r)) {
            p->dropped++;
            continue;
        }
        r.ts = pts[i].ts_ms, r.value = pts[i].value;
        rs[m++] = r;
    }
    if (m > 1) qsort(rs, m, sizeof *rs, cmp_reading);
    for (size_t i = 0, j; i < m; i = j) {
        for (j = i + 1; j < m && !cmp_reading(&rs[i], &rs[j]); j++) {
        }
        position(p, rs + i, j - i);
    }
    if (rs != stack) free(rs);
}

/* ---- open, tick, close ---- */

int parkd_closedpark_open(parkd_config *c, const geo_layout *layout, parkd_events *pev,
                          parkd_conditions *conditions, parkd_closedpark **out, char *err,
                          size_t errcap) {
    *out = NULL;
    if (!layout) return 0; /* no park drawn: nothing to manage */
    parkd_closedpark *p = calloc(1, sizeof *p);
    const char **ents = calloc(c->n_ents + 1, sizeof *ents);
    if (!p || !ents) {
        free(p), free(ents);
        snprintf(err, errcap, "closedpark: out of memory");
        return -1;
    }
    p->ents = ents;
    for (size_t i = 0; i < c->n_ents; i++) ents[i] = c->ents[i].id;
    closedpark_options o;
    closedpark_options_default(&o);
    if (load_thresholds(json_object_get(c->root, "closedpark"), &o, err, errcap) != 0) {
        parkd_closedpark_close(p);
        return -1;
    }
    char e[256];
    if (roads_build(layout, &p->roads, e, sizeof e) != 0) {
        snprintf(err, errcap, "closedpark: roads: %s", e);
        parkd_closedpark_close(p);
        return -1;
    }
    o.layout = layout, o.roads = p->roads, o.events = pev->store;
    o.on_condition = parkd_conditions_set, o.condition_ctx = conditions;
    o.enterprises = ents, o.n_enterprises = c->n_ents;
    if (closedpark_open(&o, &p->cp, e, sizeof e) != CP_OK) {
        snprintf(err, errcap, "closedpark: %s", e);
        parkd_closedpark_close(p);
        return -1;
    }
    if (parkd_events_register(pev, "gate_passage", take_event, p->cp) != 0 ||
        parkd_events_register(pev, "badge", take_event, p->cp) != 0) {
        snprintf(err, errcap, "closedpark: too many event types for the dispatcher");
        parkd_closedpark_close(p);
        return -1;
    }
    c->svc.pipeline.observe = observe, c->svc.pipeline.observe_ctx = p;
    c->svc.pipeline.observe_prefixes = observed_prefixes;
    c->svc.pipeline.n_observe_prefixes = sizeof observed_prefixes / sizeof *observed_prefixes;
    c->api.closedpark = p->cp;
    c->views.inside = inside, c->views.inside_ctx = p->cp;
    *out = p;
    return 0;
}

void parkd_closedpark_tick(parkd_closedpark *p, int64_t now_ms) {
    if (p) closedpark_tick(p->cp, now_ms);
}

void parkd_closedpark_counts_get(parkd_closedpark *p, parkd_closedpark_counts *out) {
    memset(out, 0, sizeof *out);
    if (!p) return;
    out->vehicle_positions = p->vehicle_positions, out->person_positions = p->person_positions;
    out->rejected = p->rejected, out->store_errors = p->store_errors, out->dropped = p->dropped;
}

closedpark *parkd_closedpark_module(parkd_closedpark *p) {
    return p ? p->cp : NULL;
}

void parkd_closedpark_close(parkd_closedpark *p) {
    if (!p) return;
    if (p->cp) closedpark_close(p->cp);
    if (p->roads) roads_free(p->roads);
    free(p->ents);
    free(p);
}

const roads *parkd_closedpark_roads(parkd_closedpark *p) {
    return p ? p->roads : NULL;
}
