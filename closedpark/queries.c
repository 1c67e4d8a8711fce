/*
 * queries.c - the live state as JSON for the API and the views: vehicles
 * (the live layer), the summary, the vehicle park, zones and their
 * headcounts, what is inside an incident's footprint, stored passages.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "closedpark/internal.h"

#define ZONE_PEOPLE_MAX 1000 /* listed per zone; the count is exact */
#define RING_MAX        10000

static json_t *num_or_null(double v) {
    return isfinite(v) ? json_real(round(v * 100) / 100) : json_null();
}

static json_t *opt_str(const char *s) {
    return *s ? json_string(s) : json_null();
}

static const char *zone_type_name(const closedpark *cp, const cp_area *z) {
    static const char *const names[] = {"hazard_area", "confined_space", "restricted", "work_area"};
    return z->type < CP_ZONE_OTHER ? names[z->type] : geo_prop_str(cp->g, z->feature, "zone_type");
}

static json_t *collection(json_t *features) {
    return json_pack("{s:s, s:o}", "type", "FeatureCollection", "features", features);
}

json_t *closedpark_vehicles_track(closedpark *cp, const char *scope, int64_t now_ms,
                                  int64_t track_ms, int64_t step_ms) {
    size_t len = 0;
    char *txt = closedpark_vehicles_geojson(cp, scope, now_ms, track_ms, step_ms, &len);
    json_t *j = txt ? json_loadb(txt, len, 0, NULL) : NULL;
    free(txt);
    return j;
}

json_t *closedpark_vehicles(closedpark *cp, const char *scope, int64_t now_ms) {
    return closedpark_vehicles_track(cp, scope, now_ms, cp->o.track_ms, 0);
}

cp_status closedpark_vehicle(closedpark *cp, const char *scope, const char *plate, int64_t now_ms,
                             json_t **out) {
    *out = NULL;
    cp_lock(cp);
    const cp_vehicle *v = plate ? cp_vehicle_get(cp, plate, false) : NULL;
    if (!v || !cp_in_scope(scope, v->enterprise)) {
        cp_unlock_flush(cp, NULL);
        return CP_ENOTFOUND;
    }
    cp_track_pt *pts = NULL;
    size_t npts = 0, cappts = 0;
    cp_track_points(v, now_ms, cp->o.track_ms, 0, &pts, &npts, &cappts);
    textbuf b = {0};
    cp_vehicle_feature_text(cp, v, pts, npts, &b);
    free(pts);
    json_t *f = b.oom ? NULL : json_loadb(b.p, b.n, 0, NULL);
    free(b.p);
    if (!f) {
        cp_unlock_flush(cp, NULL);
        return CP_ENOMEM;
    }
    const cp_appt *a = v->appt[0] ? cp_map_get(&cp->appts, v->appt) : NULL;
    json_object_set_new(json_object_get(f, "properties"), "appointment_detail",
                        a ? cp_appt_json(cp, a, true) : json_null());
    cp_unlock_flush(cp, NULL);
    /* The last day's passages, from the store (no lock needed). */
    char entity[CP_PLATE_MAX + 16];
    snprintf(entity, sizeof entity, "vehicle:%s", plate);
    ev_list l = {0};
    json_t *passages = json_array();
    if (ev_query_entity(cp->ev, entity, now_ms - CP_DAY_MS, now_ms + 1, 200, &l, NULL, 0) ==
        EV_OK) {
        for (size_t i = 0; i < l.n; i++) {
            if (strcmp(l.v[i].kind, "gate_passage")) continue;
            json_t *b = json_loadb(l.v[i].body, l.v[i].body_len, 0, NULL);
            if (b) json_array_append_new(passages, b);
        }
        ev_list_free(&l);
    }
    json_object_set_new(json_object_get(f, "properties"), "passages", passages);
    *out = f;
    return CP_OK;
}

cp_status closedpark_vehicles_at(closedpark *cp, const char *scope, int64_t at_ms, json_t **out,
                                 char *err, size_t errcap) {
    *out = NULL;
    ev_list l = {0};
    char e[200] = "";
    if (ev_state_at(cp->ev, "vehicle:", at_ms, scope && *scope ? scope : NULL, 0, &l, e,
                    sizeof e) != EV_OK) {
        cp_errf(err, errcap, "event store: %s", e);
        return CP_EIO;
    }
    json_t *fs = json_array();
    for (size_t i = 0; i < l.n; i++) {
        if (strcmp(l.v[i].kind, "vehicle")) continue;
        json_t *b = json_loadb(l.v[i].body, l.v[i].body_len, 0, NULL);
        if (!json_is_true(json_object_get(b, "inside"))) {
            json_decref(b);
            continue;
        }
        const char *plate = json_string_value(json_object_get(b, "plate"));
        json_array_append_new(fs, json_pack("{s:s, s:s?, s:n, s:o}", "type", "Feature", "id", plate,
                                            "geometry", "properties", b));
    }
    ev_list_free(&l);
    *out = collection(fs);
    return *out ? CP_OK : CP_ENOMEM;
}

cp_status closedpark_passages(closedpark *cp, const char *scope, int64_t from_ms, int64_t to_ms,
                              const char *gate, size_t limit, json_t **out, char *err,
                              size_t errcap) {
    *out = NULL;
    if (!limit) limit = 1000;
    if (limit > 10000 || from_ms >= to_ms) {
        cp_errf(err, errcap, limit > 10000 ? "limit: at most 10000" : "from must be before to");
        return CP_EINVAL;
    }
    char prefix[160];
    if (gate) snprintf(prefix, sizeof prefix, "gate:%s", gate);
    ev_filter f = {.kind = "gate_passage",
                   .enterprise = scope && *scope ? scope : NULL,
                   .entity_prefix = gate ? prefix : NULL};
    ev_list l = {0};
    char e[200] = "";
    if (ev_query_time(cp->ev, from_ms, to_ms, &f, limit, &l, e, sizeof e) != EV_OK) {
        cp_errf(err, errcap, "event store: %s", e);
        return CP_EIO;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < l.n; i++) {
        json_t *b = json_loadb(l.v[i].body, l.v[i].body_len, 0, NULL);
        const char *g = json_string_value(json_object_get(b, "gate"));
        if (!b || (gate && (!g || strcmp(g, gate)))) { /* the prefix matched a longer id */
            json_decref(b);
            continue;
        }
        json_object_del(b, "type");
        json_object_set_new(b, "seq", json_integer((json_int_t)l.v[i].seq));
        if (!json_object_get(b, "enterprise") && l.v[i].enterprise[0])
            json_object_set_new(b, "enterprise", json_string(l.v[i].enterprise));
        json_array_append_new(arr, b);
    }
    bool truncated = l.truncated;
    ev_list_free(&l);
    *out = json_pack("{s:o, s:b}", "passages", arr, "truncated", truncated);
    return *out ? CP_OK : CP_ENOMEM;
}

static void bump(json_t *o, const char *key, double by) {
    json_t *v = json_object_get(o, key);
    double n = (v ? json_number_value(v) : 0) + by;
    json_object_set_new(
        o, key, n == floor(n) && fabs(n) < 1e15 ? json_integer((json_int_t)n) : json_real(n));
}

json_t *closedpark_summary(closedpark *cp, const char *scope, int64_t now_ms) {
    json_t *by_class = json_object(), *by_ent = json_object(), *goods = json_object();
    size_t inside = 0, flagged = 0, no_passage = 0, booked = 0, in_appt = 0;
    cp_lock(cp);
    for (size_t i = 0; i < cp->vehicles.cap; i++) {
        const cp_vehicle *v = cp->vehicles.vals[i];
        if (!cp->vehicles.keys[i] || !(v->inside || v->no_passage) ||
            !cp_in_scope(scope, v->enterprise))
            continue;
        bool flag = false;
        for (int k = 0; k < CPK_COUNT; k++) flag |= v->active[k];
        flagged += flag;
        if (!v->inside) {
            no_passage++;
            continue;
        }
        inside++;
        const char *cls = v->hazard_class[0] ? v->hazard_class : "none";
        bump(by_class, cls, 1);
        bump(by_ent, v->enterprise[0] ? v->enterprise : "unknown", 1);
        if (v->hazard_class[0] && isfinite(v->mass_kg)) bump(goods, cls, v->mass_kg);
    }
    for (size_t i = 0; i < cp->appts.cap; i++) {
        const cp_appt *a = cp->appts.vals[i];
        if (!cp->appts.keys[i] || !cp_in_scope(scope, a->enterprise)) continue;
        booked += a->state == CP_APPT_BOOKED, in_appt += a->state == CP_APPT_INSIDE;
    }
    bool today = cp->today == cp_day_of(now_ms);
    json_t *passages =
        scope && *scope ? json_null()
                        : json_pack("{s:I, s:I}", "in", (json_int_t)(today ? cp->passages_in : 0),
                                    "out", (json_int_t)(today ? cp->passages_out : 0));
    cp_unlock_flush(cp, NULL);
    return json_pack("{s:I, s:I, s:o, s:o, s:o, s:o, s:I, s:I, s:{s:I, s:I}}", "ts",
                     (json_int_t)now_ms, "inside", (json_int_t)inside, "by_hazard_class", by_class,
                     "by_enterprise", by_ent, "goods_kg", goods, "passages_today", passages,
                     "flagged", (json_int_t)flagged, "no_passage", (json_int_t)no_passage,
                     "appointments", "booked", (json_int_t)booked, "inside", (json_int_t)in_appt);
}

json_t *closedpark_vehicle_park(closedpark *cp, const char *scope, int64_t now_ms) {
    json_t *parks = json_array();
    long occupancy = 0, capacity = 0;
    cp_lock(cp);
    for (size_t k = 0; k < cp->n_vparks; k++) {
        const cp_area *a = &cp->vparks[k];
        json_t *vs = json_array(), *by = json_object();
        long n = 0;
        for (size_t i = 0; i < cp->vehicles.cap; i++) {
            const cp_vehicle *v = cp->vehicles.vals[i];
            if (!cp->vehicles.keys[i] || v->vpark != (long)k || !(v->inside || v->no_passage))
                continue;
            n++;
            if (!cp_in_scope(scope, v->enterprise)) continue;
            bump(by, v->hazard_class[0] ? v->hazard_class : "none", 1);
            json_array_append_new(vs, json_pack("{s:s, s:I, s:I, s:o, s:o}", "plate", v->plate,
                                                "since", (json_int_t)v->vpark_since, "dwell_s",
                                                (json_int_t)((now_ms - v->vpark_since) / 1000),
                                                "hazard_class", opt_str(v->hazard_class),
                                                "enterprise", opt_str(v->enterprise)));
        }
        occupancy += n, capacity += a->capacity;
        json_array_append_new(parks,
                              json_pack("{s:s, s:s, s:I, s:I, s:o, s:o}", "id", a->id, "name",
                                        a->name, "capacity", (json_int_t)a->capacity, "occupancy",
                                        (json_int_t)n, "vehicles", vs, "by_hazard_class", by));
    }
    cp_unlock_flush(cp, NULL);
    return json_pack("{s:o, s:I, s:I}", "parks", parks, "occupancy", (json_int_t)occupancy,
                     "capacity", (json_int_t)capacity);
}

/* ---- zones ---- */

static json_t *zone_json(const closedpark *cp, const cp_area *z, json_t *people) {
    return json_pack("{s:s, s:s, s:s, s:o, s:I, s:I, s:b, s:o}", "id", z->id, "name", z->name,
                     "zone_type", zone_type_name(cp, z), "enterprise", opt_str(z->enterprise),
                     "max_people", (json_int_t)z->max_people, "count", (json_int_t)z->count, "over",
                     z->over, "people", people);
}

/* Each zone's people (ppl[zone index]; NULL rows are not wanted). */
static void zone_people(const closedpark *cp, json_t **ppl) {
    for (size_t i = 0; i < cp->people.cap; i++) {
        const cp_person *p = cp->people.vals[i];
        if (!cp->people.keys[i]) continue;
        for (size_t k = 0; k < p->n_in; k++) {
            json_t *row = ppl[p->in[k].zone];
            if (!row || json_array_size(row) >= ZONE_PEOPLE_MAX) continue;
            json_array_append_new(row,
                                  json_pack("{s:s, s:o, s:I, s:s}", "person", p->badge, "name",
                                            opt_str(p->name), "since", (json_int_t)p->in[k].since,
                                            "source", p->in[k].by_position ? "position" : "badge"));
        }
    }
}

json_t *closedpark_zones(closedpark *cp, const char *scope, int64_t now_ms) {
    (void)now_ms;
    json_t *zones = json_array();
    cp_lock(cp);
    json_t **ppl = calloc(cp->n_zones ? cp->n_zones : 1, sizeof *ppl);
    if (ppl) {
        for (size_t i = 0; i < cp->n_zones; i++)
            if (cp_in_scope(scope, cp->zones[i].enterprise)) ppl[i] = json_array();
        zone_people(cp, ppl);
        for (size_t i = 0; i < cp->n_zones; i++)
            if (ppl[i]) json_array_append_new(zones, zone_json(cp, &cp->zones[i], ppl[i]));
        free(ppl);
    }
    cp_unlock_flush(cp, NULL);
    return json_pack("{s:o}", "zones", zones);
}

cp_status closedpark_zone(closedpark *cp, const char *scope, const char *id, int64_t now_ms,
                          json_t **out) {
    (void)now_ms;
    *out = NULL;
    cp_lock(cp);
    const cp_area *z = id ? cp_map_get(&cp->zone_by_id, id) : NULL;
    if (!z || !cp_in_scope(scope, z->enterprise)) {
        cp_unlock_flush(cp, NULL);
        return CP_ENOTFOUND;
    }
    json_t **ppl = calloc(cp->n_zones, sizeof *ppl);
    if (ppl) {
        size_t zi = (size_t)(z - cp->zones);
        ppl[zi] = json_array();
        zone_people(cp, ppl);
        *out = zone_json(cp, z, ppl[zi]);
        free(ppl);
    }
    cp_unlock_flush(cp, NULL);
    return *out ? CP_OK : CP_ENOMEM;
}

/* ---- an incident's footprint ---- */

int closedpark_inside(closedpark *cp, const double *lonlat_ring, size_t n, json_t **vehicles,
                      json_t **people) {
    if (vehicles) *vehicles = NULL;
    if (people) *people = NULL;
    if (!lonlat_ring || n < 3 || n > RING_MAX) return -1;
    double *xy = malloc(n * 2 * sizeof *xy), bb[4] = {INFINITY, INFINITY, -INFINITY, -INFINITY};
    if (!xy) return -1;
    for (size_t i = 0; i < n; i++) {
        double lon = lonlat_ring[2 * i], lat = lonlat_ring[2 * i + 1];
        if (!(lon >= -180 && lon <= 180 && lat >= -90 && lat <= 90) ||
            geo_project(cp->g, lon, lat, &xy[2 * i], &xy[2 * i + 1])) {
            free(xy);
            return -1;
        }
        bb[0] = fmin(bb[0], xy[2 * i]), bb[1] = fmin(bb[1], xy[2 * i + 1]);
        bb[2] = fmax(bb[2], xy[2 * i]), bb[3] = fmax(bb[3], xy[2 * i + 1]);
    }
#define INSIDE(x, y)                                                                               \
    ((x) >= bb[0] && (x) <= bb[2] && (y) >= bb[1] && (y) <= bb[3] &&                               \
     cp_ring_contains(xy, n, (x), (y)))
    json_t *vs = json_array(), *ps = json_array();
    cp_lock(cp);
    for (size_t i = 0; i < cp->vehicles.cap; i++) {
        const cp_vehicle *v = cp->vehicles.vals[i];
        if (!cp->vehicles.keys[i] || !(v->inside || v->no_passage) || !v->has_pos ||
            !INSIDE(v->x, v->y))
            continue;
        json_array_append_new(vs, json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "plate",
                                            v->plate, "lon", json_real(round(v->lon * 1e7) / 1e7),
                                            "lat", json_real(round(v->lat * 1e7) / 1e7),
                                            "hazard_class", opt_str(v->hazard_class), "un_number",
                                            opt_str(v->un_number), "cargo", opt_str(v->cargo),
                                            "mass_kg", num_or_null(v->mass_kg), "enterprise",
                                            opt_str(v->enterprise)));
    }
    for (size_t i = 0; i < cp->people.cap; i++) {
        const cp_person *p = cp->people.vals[i];
        if (!cp->people.keys[i]) continue;
        json_t *zone = p->n_in ? json_string(cp->zones[p->in[0].zone].id) : json_null();
        if (p->has_pos && INSIDE(p->x, p->y)) {
            json_array_append_new(ps, json_pack("{s:s, s:o, s:o, s:f, s:f}", "person", p->badge,
                                                "name", opt_str(p->name), "zone", zone, "lon",
                                                round(p->lon * 1e7) / 1e7, "lat",
                                                round(p->lat * 1e7) / 1e7));
            continue;
        }
        json_decref(zone);
        if (p->has_pos) continue; /* its position is outside */
        for (size_t k = 0; k < p->n_in; k++) {
            const geo_feature *f = geo_get(cp->g, cp->zones[p->in[k].zone].feature);
            if (!INSIDE(f->x, f->y)) continue;
            json_array_append_new(ps, json_pack("{s:s, s:o, s:s}", "person", p->badge, "name",
                                                opt_str(p->name), "zone", f->id));
            break;
        }
    }
    cp_unlock_flush(cp, NULL);
#undef INSIDE
    free(xy);
    if (vehicles)
        *vehicles = vs;
    else
        json_decref(vs);
    if (people)
        *people = ps;
    else
        json_decref(ps);
    return 0;
}
