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

static bool in_scope(const char *scope, const char *enterprise) {
    return !scope || !*scope || !strcmp(scope, enterprise);
}

static json_t *num_or_null(double v) {
    return isfinite(v) ? json_real(round(v * 100) / 100) : json_null();
}

static json_t *opt_str(const char *s) {
    return *s ? json_string(s) : json_null();
}

static json_t *coord(double lon, double lat) {
    return json_pack("[f, f]", round(lon * 1e7) / 1e7, round(lat * 1e7) / 1e7);
}

static const char *zone_type_name(const closedpark *cp, const cp_area *z) {
    static const char *const names[] = {"hazard_area", "confined_space", "restricted", "work_area"};
    return z->type < CP_ZONE_OTHER ? names[z->type] : geo_prop_str(cp->g, z->feature, "zone_type");
}

/* The feature of v with the track points pts[0..n) (a copy of what the
 * ring held: the JSON may be built outside the module's lock). */
static json_t *vehicle_feature(const closedpark *cp, const cp_vehicle *v, const cp_track_pt *pts,
                               size_t n) {
    json_t *flags = json_array(), *track = json_array();
    for (int k = 0; k < CPK_COUNT; k++)
        if (v->active[k]) json_array_append_new(flags, json_string(cp_kind_names[k]));
    for (size_t i = 0; i < n; i++)
        json_array_append_new(track,
                              json_pack("[f, f, I]", round(pts[i].lon * 1e7) / 1e7,
                                        round(pts[i].lat * 1e7) / 1e7, (json_int_t)pts[i].ts));
    json_t *pr = json_object();
    json_object_set_new(pr, "plate", json_string(v->plate));
    json_object_set_new(pr, "ts", v->has_pos ? json_integer(v->pos_ts) : json_null());
    json_object_set_new(pr, "speed", num_or_null(v->speed));
    json_object_set_new(pr, "heading", num_or_null(v->heading));
    json_object_set_new(pr, "hazard_class", opt_str(v->hazard_class));
    json_object_set_new(pr, "un_number", opt_str(v->un_number));
    json_object_set_new(pr, "cargo", opt_str(v->cargo));
    json_object_set_new(pr, "mass_kg", num_or_null(v->mass_kg));
    json_object_set_new(pr, "enterprise", opt_str(v->enterprise));
    json_object_set_new(pr, "appointment", opt_str(v->appt));
    json_object_set_new(pr, "inside", json_boolean(v->inside));
    json_object_set_new(pr, "since", v->changed ? json_integer(v->since) : json_null());
    json_object_set_new(pr, "gate", opt_str(v->gate));
    json_object_set_new(pr, "in_vehicle_park",
                        v->vpark >= 0 ? json_string(cp->vparks[v->vpark].id) : json_null());
    json_object_set_new(pr, "no_passage", json_boolean(v->no_passage));
    json_object_set_new(pr, "flags", flags);
    json_object_set_new(pr, "track", track);
    json_t *geom =
        v->has_pos ? json_pack("{s:s, s:o}", "type", "Point", "coordinates", coord(v->lon, v->lat))
                   : json_null();
    return json_pack("{s:s, s:s, s:o, s:o}", "type", "Feature", "id", v->plate, "geometry", geom,
                     "properties", pr);
}

static json_t *collection(json_t *features) {
    return json_pack("{s:s, s:o}", "type", "FeatureCollection", "features", features);
}

/* The ring's points within [now - track_ms, now], one per step_ms at most
 * (0: all), appended to *pts (grown); how many. */
static size_t track_points(const cp_vehicle *v, int64_t now, int64_t track_ms, int64_t step_ms,
                           cp_track_pt **pts, size_t *n, size_t *cap) {
    size_t before = *n;
    int64_t last = INT64_MIN;
    for (size_t i = 0; track_ms > 0 && i < v->ring_n; i++) {
        const cp_track_pt *t = &v->ring[(v->ring_head + i) % CLOSEDPARK_TRACK_POINTS];
        if (t->ts < now - track_ms || t->ts > now) continue;
        if (step_ms > 0 && last != INT64_MIN && t->ts - last < step_ms) continue;
        if (*n == *cap) {
            size_t c = *cap ? *cap * 2 : 4096;
            cp_track_pt *p = realloc(*pts, c * sizeof *p);
            if (!p) break;
            *pts = p, *cap = c;
        }
        (*pts)[(*n)++] = *t;
        last = t->ts;
    }
    return *n - before;
}

typedef struct vehicle_copy {
    cp_vehicle v;
    size_t first, n; /* its track points in the copy's array */
} vehicle_copy;

json_t *closedpark_vehicles_track(closedpark *cp, const char *scope, int64_t now_ms,
                                  int64_t track_ms, int64_t step_ms) {
    if (track_ms > cp->o.track_ms) track_ms = cp->o.track_ms;
    vehicle_copy *vs = NULL;
    size_t nv = 0, capv = 0, npts = 0, cappts = 0;
    cp_track_pt *pts = NULL;
    bool oom = false;
    /* A copy under the lock (a memcpy a vehicle), the JSON outside it: a
     * reader of 5,000 vehicles does not hold up their positions. */
    cp_lock(cp);
    for (size_t i = 0; i < cp->vehicles.cap && !oom; i++) {
        const cp_vehicle *v = cp->vehicles.vals[i];
        if (!cp->vehicles.keys[i] || !(v->inside || v->no_passage) ||
            !in_scope(scope, v->enterprise))
            continue;
        if (nv == capv) {
            size_t c = capv ? capv * 2 : 256;
            vehicle_copy *p = realloc(vs, c * sizeof *p);
            if (!p) {
                oom = true;
                break;
            }
            vs = p, capv = c;
        }
        vehicle_copy *c = &vs[nv++];
        c->v = *v;
        c->v.ring = NULL;
        c->first = npts;
        c->n = track_points(v, now_ms, track_ms, step_ms, &pts, &npts, &cappts);
    }
    cp_unlock_flush(cp, NULL);
    json_t *fs = json_array();
    for (size_t i = 0; fs && !oom && i < nv; i++)
        json_array_append_new(fs, vehicle_feature(cp, &vs[i].v, pts + vs[i].first, vs[i].n));
    free(vs);
    free(pts);
    if (oom) {
        json_decref(fs);
        return NULL;
    }
    return collection(fs);
}

json_t *closedpark_vehicles(closedpark *cp, const char *scope, int64_t now_ms) {
    return closedpark_vehicles_track(cp, scope, now_ms, cp->o.track_ms, 0);
}

cp_status closedpark_vehicle(closedpark *cp, const char *scope, const char *plate, int64_t now_ms,
                             json_t **out) {
    *out = NULL;
    cp_lock(cp);
    const cp_vehicle *v = plate ? cp_vehicle_get(cp, plate, false) : NULL;
    if (!v || !in_scope(scope, v->enterprise)) {
        cp_unlock_flush(cp, NULL);
        return CP_ENOTFOUND;
    }
    cp_track_pt *pts = NULL;
    size_t npts = 0, cappts = 0;
    track_points(v, now_ms, cp->o.track_ms, 0, &pts, &npts, &cappts);
    json_t *f = vehicle_feature(cp, v, pts, npts);
    free(pts);
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
            !in_scope(scope, v->enterprise))
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
        if (!cp->appts.keys[i] || !in_scope(scope, a->enterprise)) continue;
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
            if (!in_scope(scope, v->enterprise)) continue;
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
            if (in_scope(scope, cp->zones[i].enterprise)) ppl[i] = json_array();
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
    if (!z || !in_scope(scope, z->enterprise)) {
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
