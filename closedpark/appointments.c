/*
 * appointments.c - booking a hazardous-goods vehicle's entry: the checks,
 * the route planned from the gate to the destination, the appointment's
 * states (booked, inside, done, cancelled, expired), and overstay.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "closedpark/internal.h"

static const char *const state_names[CP_APPT_STATE_COUNT] = {"booked", "inside", "done",
                                                             "cancelled", "expired"};

const char *cp_appt_state_name(cp_appt_state s) {
    return s < CP_APPT_STATE_COUNT ? state_names[s] : "?";
}

bool cp_appt_state_parse(const char *name, cp_appt_state *out) {
    for (int i = 0; name && i < CP_APPT_STATE_COUNT; i++)
        if (!strcmp(name, state_names[i])) {
            *out = (cp_appt_state)i;
            return true;
        }
    return false;
}

static void route_free(cp_route *r) {
    for (size_t i = 0; i < r->n_roads; i++) free(r->roads[i]);
    free(r->roads), free(r->xy);
    memset(r, 0, sizeof *r);
}

void cp_appt_free(cp_appt *a) {
    if (!a) return;
    route_free(&a->route);
    route_free(&a->back);
    free(a);
}

bool cp_appt_hazmat(const cp_appt *a) {
    return a->hazard_class[0] || a->un_number[0];
}

static double round7(double v) {
    return round(v * 1e7) / 1e7;
}

static json_t *opt_str(const char *s) {
    return *s ? json_string(s) : json_null();
}

static json_t *opt_ms(int64_t ms) {
    return ms ? json_integer(ms) : json_null();
}

json_t *cp_appt_json(const closedpark *cp, const cp_appt *a, bool with_route) {
    json_t *o = json_object();
    if (!o) return NULL;
    json_object_set_new(o, "id", json_string(a->id));
    json_object_set_new(o, "plate", json_string(a->plate));
    json_object_set_new(o, "enterprise", json_string(a->enterprise));
    json_object_set_new(o, "window_from", json_integer(a->from));
    json_object_set_new(o, "window_to", json_integer(a->to));
    json_object_set_new(o, "gate", json_string(a->gate));
    json_t *d = json_object();
    if (a->dest_id[0]) json_object_set_new(d, "id", json_string(a->dest_id));
    json_object_set_new(d, "lon", json_real(round7(a->dest_lon)));
    json_object_set_new(d, "lat", json_real(round7(a->dest_lat)));
    json_object_set_new(o, "destination", d);
    json_object_set_new(o, "hazard_class", opt_str(a->hazard_class));
    json_object_set_new(o, "un_number", opt_str(a->un_number));
    json_object_set_new(o, "cargo", opt_str(a->cargo));
    json_object_set_new(o, "mass_kg", isnan(a->mass_kg) ? json_null() : json_real(a->mass_kg));
    json_object_set_new(o, "driver", opt_str(a->driver));
    json_object_set_new(o, "vehicle_type", opt_str(a->vehicle_type));
    json_object_set_new(o, "state", json_string(cp_appt_state_name(a->state)));
    json_object_set_new(o, "created_ms", json_integer(a->created));
    json_object_set_new(o, "created_by", json_string(a->created_by));
    json_object_set_new(o, "entered_ms", opt_ms(a->entered));
    json_object_set_new(o, "left_ms", opt_ms(a->left));
    json_object_set_new(o, "cancelled_ms", opt_ms(a->cancelled));
    json_object_set_new(o, "length_m", a->route.n ? json_real(a->route.length_m) : json_null());
    json_object_set_new(o, "duration_s", a->route.n ? json_real(a->route.duration_s) : json_null());
    json_t *roads = json_array();
    for (size_t i = 0; i < a->route.n_roads; i++)
        json_array_append_new(roads, json_string(a->route.roads[i]));
    json_object_set_new(o, "roads", roads);
    if (with_route) {
        json_t *route = json_null();
        if (a->route.n >= 2) {
            json_t *co = json_array();
            for (size_t i = 0; i < a->route.n; i++) {
                double lon, lat;
                if (geo_unproject(cp->g, a->route.xy[2 * i], a->route.xy[2 * i + 1], &lon, &lat))
                    continue;
                json_t *pt = json_array();
                json_array_append_new(pt, json_real(round7(lon)));
                json_array_append_new(pt, json_real(round7(lat)));
                json_array_append_new(co, pt);
            }
            route = json_pack("{s:s, s:o}", "type", "LineString", "coordinates", co);
        }
        json_object_set_new(o, "route", route);
    }
    return o;
}

char *cp_appt_body(const closedpark *cp, const cp_appt *a) {
    json_t *o = cp_appt_json(cp, a, true);
    char *s = cp_dump(o);
    if (s && strlen(s) > EV_BODY_MAX - 256) {
        /* A route too long for one event: the rebuild plans it again. */
        free(s);
        json_object_set_new(o, "route", json_null());
        json_object_set_new(o, "route_dropped", json_true());
        s = cp_dump(o);
    }
    json_decref(o);
    return s;
}

int cp_appt_store(closedpark *cp, const cp_appt *a, int64_t ts, char *err, size_t errcap) {
    char e0[CP_APPT_ID_MAX + 16], e1[CP_PLATE_MAX + 16];
    snprintf(e0, sizeof e0, "appointment:%s", a->id);
    snprintf(e1, sizeof e1, "vehicle:%s", a->plate);
    char *body = cp_appt_body(cp, a);
    if (!body) return -1;
    ev_record r = {.ts_ms = ts,
                   .kind = "appointment",
                   .enterprise = a->enterprise,
                   .entities = {e0, e1},
                   .n_entities = 2,
                   .body = body,
                   .body_len = strlen(body),
                   .state_of_first = true};
    int rc = cp_store(cp, &r, 1, err, errcap);
    free(body);
    return rc ? -1 : 0;
}

/* ---- planning ---- */

static int plan_one(closedpark *cp, cp_appt *a, cp_route *r, double x0, double y0, double x1,
                    double y1, char *err, size_t errcap) {
    roads_constraints c = {.hazmat = cp_appt_hazmat(a)};
    roads_route rt = {0};
    char e[200] = "";
    if (roads_plan(cp->roads, x0, y0, x1, y1, &c, &rt, e, sizeof e)) {
        cp_errf(err, errcap, "no route from gate %s to the destination: %s", a->gate, e);
        return -1;
    }
    r->xy = malloc((rt.n_points ? rt.n_points : 1) * 2 * sizeof *r->xy);
    r->roads = calloc(rt.n_road_ids ? rt.n_road_ids : 1, sizeof *r->roads);
    if (!r->xy || !r->roads) {
        roads_route_free(&rt);
        route_free(r);
        cp_errf(err, errcap, "out of memory");
        return -1;
    }
    memcpy(r->xy, rt.xy, rt.n_points * 2 * sizeof *r->xy);
    r->n = rt.n_points, r->length_m = rt.length_m, r->duration_s = rt.duration_s;
    for (size_t i = 0; i < rt.n_road_ids; i++)
        if ((r->roads[r->n_roads] = strdup(rt.road_ids[i]))) r->n_roads++;
    roads_route_free(&rt);
    return 0;
}

/* The way back, from the route's end to its start; none when the network
 * has none (the off-route check then knows the way in only). */
static void plan_back(closedpark *cp, cp_appt *a) {
    const cp_route *r = &a->route;
    if (!cp->roads || r->n < 2 || a->back.n) return;
    plan_one(cp, a, &a->back, r->xy[2 * (r->n - 1)], r->xy[2 * (r->n - 1) + 1], r->xy[0], r->xy[1],
             NULL, 0);
}

static int plan(closedpark *cp, cp_appt *a, double x0, double y0, double x1, double y1, char *err,
                size_t errcap) {
    if (!cp->roads) return 0;
    if (plan_one(cp, a, &a->route, x0, y0, x1, y1, err, errcap)) return -1;
    plan_back(cp, a);
    return 0;
}

/* ---- parsing ---- */

static int get_text(json_t *req, const char *key, char *dst, size_t cap, size_t max, char *err,
                    size_t errcap) {
    json_t *v = json_object_get(req, key);
    if (!v || json_is_null(v)) return 0;
    const char *s = json_string_value(v);
    if (!s || !cp_text_ok(s, max) || strlen(s) >= cap) {
        cp_errf(err, errcap, "%s: a string of at most %zu bytes of UTF-8", key, max);
        return -1;
    }
    snprintf(dst, cap, "%s", s);
    return 0;
}

static bool known_enterprise(const closedpark *cp, const char *id) {
    for (size_t i = 0; i < cp->n_enterprises; i++)
        if (!strcmp(cp->enterprises[i], id)) return true;
    return false;
}

#define MS_2000 946684800000LL
#define MS_2100 4102444800000LL

static int get_ms(json_t *req, const char *key, int64_t *out, char *err, size_t errcap) {
    json_t *v = json_object_get(req, key);
    double d = json_is_integer(v) ? (double)json_integer_value(v) : json_number_value(v);
    if (!json_is_number(v) || !(d >= MS_2000 && d < MS_2100) || d != floor(d)) {
        cp_errf(err, errcap, "%s: milliseconds since 1970 (2000..2100) required", key);
        return -1;
    }
    *out = (int64_t)d;
    return 0;
}

static bool in_extent(const closedpark *cp, double x, double y, double margin) {
    return x >= cp->extent[0] - margin && x <= cp->extent[2] + margin &&
           y >= cp->extent[1] - margin && y <= cp->extent[3] + margin;
}

/* Fills a from req; the destination's metric point in *x1, *y1. */
static cp_status parse_req(closedpark *cp, json_t *req, const char *actor, int64_t now, cp_appt *a,
                           double *x1, double *y1, char *err, size_t errcap) {
    if (!json_is_object(req)) {
        cp_errf(err, errcap, "an appointment is a JSON object");
        return CP_EINVAL;
    }
    const char *plate = json_string_value(json_object_get(req, "plate"));
    if (!cp_plate_ok(plate)) {
        cp_errf(err, errcap, "plate: 2..16 characters of UTF-8, without / . : or spaces");
        return CP_EINVAL;
    }
    snprintf(a->plate, sizeof a->plate, "%s", plate);
    const char *ent = json_string_value(json_object_get(req, "enterprise"));
    if (!ent && actor && *actor) ent = actor;
    if (!ent || !*ent || strlen(ent) > CP_ENT_MAX || !known_enterprise(cp, ent)) {
        cp_errf(err, errcap, "enterprise: a known enterprise id required");
        return CP_EINVAL;
    }
    if (actor && *actor && strcmp(actor, ent)) {
        cp_errf(err, errcap, "enterprise %s may book appointments to itself only", actor);
        return CP_EFORBIDDEN;
    }
    snprintf(a->enterprise, sizeof a->enterprise, "%s", ent);
    snprintf(a->created_by, sizeof a->created_by, "%s", actor ? actor : "");
    if (get_ms(req, "window_from", &a->from, err, errcap) ||
        get_ms(req, "window_to", &a->to, err, errcap))
        return CP_EINVAL;
    if (a->from >= a->to || a->to - a->from > CLOSEDPARK_WINDOW_MAX_MS) {
        cp_errf(err, errcap, "window: window_from before window_to, at most 7 days apart");
        return CP_EINVAL;
    }
    if (a->to <= now || a->from > now + CLOSEDPARK_BOOK_AHEAD_MS) {
        cp_errf(err, errcap, "window: must end in the future and start within 7 days");
        return CP_EINVAL;
    }
    const char *gate = json_string_value(json_object_get(req, "gate"));
    size_t gi;
    if (!gate || strlen(gate) >= sizeof a->gate || !cp_is_gate(cp, gate, &gi)) {
        cp_errf(err, errcap, "gate: a gate of the layout required");
        return CP_EINVAL;
    }
    snprintf(a->gate, sizeof a->gate, "%s", gate);
    json_t *dest = json_object_get(req, "destination");
    if (json_is_string(dest)) {
        const char *id = json_string_value(dest);
        long di = strlen(id) < sizeof a->dest_id ? geo_find(cp->g, id) : -1;
        if (di < 0) {
            cp_errf(err, errcap, "destination: no feature %s in the layout", id);
            return CP_EINVAL;
        }
        const geo_feature *f = geo_get(cp->g, (size_t)di);
        snprintf(a->dest_id, sizeof a->dest_id, "%s", id);
        a->dest_lon = f->lon, a->dest_lat = f->lat, *x1 = f->x, *y1 = f->y;
    } else if (json_is_object(dest)) {
        json_t *lo = json_object_get(dest, "lon"), *la = json_object_get(dest, "lat");
        double lon = json_number_value(lo), lat = json_number_value(la);
        if (!json_is_number(lo) || !json_is_number(la) || !(lon >= -180 && lon <= 180) ||
            !(lat >= -90 && lat <= 90) || geo_project(cp->g, lon, lat, x1, y1) ||
            !in_extent(cp, *x1, *y1, 0)) {
            cp_errf(err, errcap, "destination: {lon, lat} inside the park");
            return CP_EINVAL;
        }
        a->dest_lon = lon, a->dest_lat = lat;
    } else {
        cp_errf(err, errcap, "destination: a feature id or {lon, lat} required");
        return CP_EINVAL;
    }
    json_t *hc = json_object_get(req, "hazard_class"), *un = json_object_get(req, "un_number");
    if (hc && !json_is_null(hc)) {
        if (!cp_hazard_class_ok(json_string_value(hc))) {
            cp_errf(err, errcap, "hazard_class: a GB 6944 class or division (\"3\", \"2.1\")");
            return CP_EINVAL;
        }
        snprintf(a->hazard_class, sizeof a->hazard_class, "%s", json_string_value(hc));
    }
    if (un && !json_is_null(un)) {
        if (!cp_un_number_ok(json_string_value(un))) {
            cp_errf(err, errcap, "un_number: 4 digits");
            return CP_EINVAL;
        }
        snprintf(a->un_number, sizeof a->un_number, "%s", json_string_value(un));
    }
    if (get_text(req, "cargo", a->cargo, sizeof a->cargo, CP_TEXT_MAX, err, errcap) ||
        get_text(req, "driver", a->driver, sizeof a->driver, CP_TEXT_MAX, err, errcap) ||
        get_text(req, "vehicle_type", a->vehicle_type, sizeof a->vehicle_type, CP_TEXT_MAX, err,
                 errcap))
        return CP_EINVAL;
    json_t *m = json_object_get(req, "mass_kg");
    a->mass_kg = NAN;
    if (m && !json_is_null(m)) {
        double v = json_number_value(m);
        if (!json_is_number(m) || !(v >= 0 && v <= CLOSEDPARK_MASS_MAX_KG)) {
            cp_errf(err, errcap, "mass_kg: 0..100000");
            return CP_EINVAL;
        }
        a->mass_kg = v;
    }
    return CP_OK;
}

static size_t live_count(const closedpark *cp) {
    size_t n = 0;
    for (size_t i = 0; i < cp->appts.cap; i++) {
        const cp_appt *a = cp->appts.vals[i];
        if (cp->appts.keys[i] && a->state <= CP_APPT_INSIDE) n++;
    }
    return n;
}

cp_status closedpark_appointment_add(closedpark *cp, json_t *req, const char *actor_enterprise,
                                     int64_t now_ms, json_t **out, char *err, size_t errcap) {
    if (out) *out = NULL;
    cp_appt *a = calloc(1, sizeof *a);
    if (!a) return CP_ENOMEM;
    double x1 = 0, y1 = 0;
    cp_status s = parse_req(cp, req, actor_enterprise, now_ms, a, &x1, &y1, err, errcap);
    if (s != CP_OK) {
        cp_appt_free(a);
        return s;
    }
    size_t gi = 0;
    cp_is_gate(cp, a->gate, &gi);
    const geo_feature *gf = geo_get(cp->g, gi);
    /* Planning needs no lock: the network is immutable. */
    if (plan(cp, a, gf->x, gf->y, x1, y1, err, errcap)) {
        cp_appt_free(a);
        return CP_EINVAL;
    }
    a->state = CP_APPT_BOOKED;
    a->created = a->changed = now_ms;
    cp_lock(cp);
    if (live_count(cp) >= CLOSEDPARK_MAX_APPOINTMENTS) {
        cp_unlock_flush(cp, NULL);
        cp_appt_free(a);
        cp_errf(err, errcap, "too many open appointments");
        return CP_ECONFLICT;
    }
    int64_t day = cp_day_of(now_ms);
    if (day != cp->seq_day) cp->seq_day = day, cp->seq = 0;
    time_t t = (time_t)((now_ms + CP_TZ_MS) / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    do {
        if (cp->seq >= 9999) {
            cp_unlock_flush(cp, NULL);
            cp_appt_free(a);
            cp_errf(err, errcap, "no more appointment numbers today");
            return CP_ECONFLICT;
        }
        ++cp->seq;
        snprintf(a->id, sizeof a->id, "A%04u%02u%02u-%04u", (unsigned)(tm.tm_year + 1900) % 10000u,
                 (unsigned)(tm.tm_mon + 1) % 100u, (unsigned)tm.tm_mday % 100u, cp->seq % 10000u);
    } while (cp_map_get(&cp->appts, a->id));
    if (cp_appt_store(cp, a, now_ms, err, errcap)) {
        cp_unlock_flush(cp, NULL);
        cp_appt_free(a);
        return CP_EIO;
    }
    if (cp_map_put(&cp->appts, a->id, a)) {
        cp_unlock_flush(cp, NULL);
        cp_appt_free(a);
        return CP_ENOMEM;
    }
    if (out) *out = cp_appt_json(cp, a, true);
    cp_unlock_flush(cp, NULL);
    return CP_OK;
}

cp_status closedpark_appointment_get(closedpark *cp, const char *scope, const char *id,
                                     json_t **out, char *err, size_t errcap) {
    *out = NULL;
    cp_lock(cp);
    cp_appt *a = id ? cp_map_get(&cp->appts, id) : NULL;
    if (!a || !cp_in_scope(scope, a->enterprise)) {
        cp_unlock_flush(cp, NULL);
        cp_errf(err, errcap, "no appointment %s", id ? id : "");
        return CP_ENOTFOUND;
    }
    *out = cp_appt_json(cp, a, true);
    cp_unlock_flush(cp, NULL);
    return *out ? CP_OK : CP_ENOMEM;
}

static int cmp_appt(const void *x, const void *y) {
    const cp_appt *a = *(cp_appt *const *)x, *b = *(cp_appt *const *)y;
    if (a->from != b->from) return a->from < b->from ? -1 : 1;
    return strcmp(a->id, b->id);
}

cp_status closedpark_appointment_list(closedpark *cp, const char *scope,
                                      const closedpark_appt_filter *f, json_t **out, char *err,
                                      size_t errcap) {
    *out = NULL;
    closedpark_appt_filter d = {.state = -1};
    if (!f) f = &d;
    size_t limit = f->limit ? f->limit : CLOSEDPARK_LIST_MAX;
    if (limit > CLOSEDPARK_LIST_MAX) {
        cp_errf(err, errcap, "limit: 1..%d", CLOSEDPARK_LIST_MAX);
        return CP_EINVAL;
    }
    cp_lock(cp);
    cp_appt **v = malloc((cp->appts.n ? cp->appts.n : 1) * sizeof *v);
    if (!v) {
        cp_unlock_flush(cp, NULL);
        return CP_ENOMEM;
    }
    size_t n = 0;
    for (size_t i = 0; i < cp->appts.cap; i++) {
        cp_appt *a = cp->appts.vals[i];
        if (!cp->appts.keys[i] || !cp_in_scope(scope, a->enterprise)) continue;
        if (f->state >= 0 && (int)a->state != f->state) continue;
        if (f->enterprise && *f->enterprise && strcmp(f->enterprise, a->enterprise)) continue;
        if (f->plate && *f->plate && strcmp(f->plate, a->plate)) continue;
        if ((f->from_ms || f->to_ms) && (a->to <= f->from_ms || (f->to_ms && a->from >= f->to_ms)))
            continue;
        v[n++] = a;
    }
    if (n > 1) qsort(v, n, sizeof *v, cmp_appt); /* v may be NULL when n is 0 */
    json_t *arr = json_array();
    for (size_t i = 0; i < n && i < limit; i++)
        json_array_append_new(arr, cp_appt_json(cp, v[i], false));
    cp_unlock_flush(cp, NULL);
    free(v);
    *out = json_pack("{s:o, s:I, s:b}", "appointments", arr, "total", (json_int_t)n, "truncated",
                     n > limit);
    return *out ? CP_OK : CP_ENOMEM;
}

cp_status closedpark_appointment_cancel(closedpark *cp, const char *scope, const char *id,
                                        int64_t now_ms, json_t **out, char *err, size_t errcap) {
    if (out) *out = NULL;
    cp_lock(cp);
    cp_appt *a = id ? cp_map_get(&cp->appts, id) : NULL;
    if (!a || !cp_in_scope(scope, a->enterprise)) {
        cp_unlock_flush(cp, NULL);
        cp_errf(err, errcap, "no appointment %s", id ? id : "");
        return CP_ENOTFOUND;
    }
    if (a->state != CP_APPT_BOOKED) {
        cp_errf(err, errcap, "appointment %s is %s: only a booked one can be cancelled", a->id,
                cp_appt_state_name(a->state));
        cp_unlock_flush(cp, NULL);
        return CP_ECONFLICT;
    }
    cp_appt next = *a;
    next.state = CP_APPT_CANCELLED, next.cancelled = next.changed = now_ms;
    if (cp_appt_store(cp, &next, now_ms, err, errcap)) {
        cp_unlock_flush(cp, NULL);
        return CP_EIO;
    }
    a->state = next.state, a->cancelled = next.cancelled, a->changed = next.changed;
    if (out) *out = cp_appt_json(cp, a, true);
    cp_unlock_flush(cp, NULL);
    return CP_OK;
}

cp_appt *cp_appt_match(closedpark *cp, const char *plate, int64_t ts) {
    cp_appt *best = NULL;
    for (size_t i = 0; i < cp->appts.cap; i++) {
        cp_appt *a = cp->appts.vals[i];
        if (!cp->appts.keys[i] || strcmp(a->plate, plate)) continue;
        if (a->state == CP_APPT_INSIDE) return a;
        if (a->state != CP_APPT_BOOKED || ts < a->from - cp->o.grace_before_ms || ts > a->to)
            continue;
        if (!best || a->from < best->from) best = a;
    }
    return best;
}

/* ---- from a stored body ---- */

static void copy_str(json_t *o, const char *key, char *dst, size_t cap) {
    const char *s = json_string_value(json_object_get(o, key));
    snprintf(dst, cap, "%s", s ? s : "");
}

static int64_t get_int(json_t *o, const char *key) {
    json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

cp_appt *cp_appt_from_json(closedpark *cp, json_t *o) {
    const char *id = json_string_value(json_object_get(o, "id"));
    cp_appt_state st;
    if (!id || strlen(id) >= CP_APPT_ID_MAX ||
        !cp_appt_state_parse(json_string_value(json_object_get(o, "state")), &st))
        return NULL;
    cp_appt *a = calloc(1, sizeof *a);
    if (!a) return NULL;
    snprintf(a->id, sizeof a->id, "%s", id);
    a->state = st;
    copy_str(o, "plate", a->plate, sizeof a->plate);
    copy_str(o, "enterprise", a->enterprise, sizeof a->enterprise);
    copy_str(o, "created_by", a->created_by, sizeof a->created_by);
    copy_str(o, "gate", a->gate, sizeof a->gate);
    copy_str(o, "hazard_class", a->hazard_class, sizeof a->hazard_class);
    copy_str(o, "un_number", a->un_number, sizeof a->un_number);
    copy_str(o, "cargo", a->cargo, sizeof a->cargo);
    copy_str(o, "driver", a->driver, sizeof a->driver);
    copy_str(o, "vehicle_type", a->vehicle_type, sizeof a->vehicle_type);
    a->from = get_int(o, "window_from"), a->to = get_int(o, "window_to");
    a->created = get_int(o, "created_ms"), a->entered = get_int(o, "entered_ms");
    a->left = get_int(o, "left_ms"), a->cancelled = get_int(o, "cancelled_ms");
    json_t *m = json_object_get(o, "mass_kg");
    a->mass_kg = json_is_number(m) ? json_number_value(m) : NAN;
    json_t *d = json_object_get(o, "destination");
    copy_str(d, "id", a->dest_id, sizeof a->dest_id);
    a->dest_lon = json_number_value(json_object_get(d, "lon"));
    a->dest_lat = json_number_value(json_object_get(d, "lat"));
    json_t *co = json_object_get(json_object_get(o, "route"), "coordinates");
    size_t n = json_array_size(co);
    if (n >= 2 && (a->route.xy = malloc(n * 2 * sizeof *a->route.xy))) {
        for (size_t i = 0; i < n; i++) {
            json_t *pt = json_array_get(co, i);
            double x, y;
            if (geo_project(cp->g, json_number_value(json_array_get(pt, 0)),
                            json_number_value(json_array_get(pt, 1)), &x, &y))
                continue;
            a->route.xy[2 * a->route.n] = x, a->route.xy[2 * a->route.n + 1] = y;
            a->route.n++;
        }
        a->route.length_m = json_number_value(json_object_get(o, "length_m"));
        a->route.duration_s = json_number_value(json_object_get(o, "duration_s"));
        json_t *roads = json_object_get(o, "roads");
        size_t nr = json_array_size(roads);
        if (nr && (a->route.roads = calloc(nr, sizeof *a->route.roads)))
            for (size_t i = 0; i < nr; i++) {
                const char *r = json_string_value(json_array_get(roads, i));
                if (r && (a->route.roads[a->route.n_roads] = strdup(r))) a->route.n_roads++;
            }
    } else if (json_is_true(json_object_get(o, "route_dropped")) && cp->roads) {
        size_t gi;
        double x1, y1;
        if (cp_is_gate(cp, a->gate, &gi) && !geo_project(cp->g, a->dest_lon, a->dest_lat, &x1, &y1))
            plan(cp, a, geo_get(cp->g, gi)->x, geo_get(cp->g, gi)->y, x1, y1, NULL, 0);
    }
    plan_back(cp, a);
    a->changed = a->cancelled > a->left ? a->cancelled : a->left;
    if (a->entered > a->changed) a->changed = a->entered;
    if (a->created > a->changed) a->changed = a->created;
    return a;
}

/* ---- the tick ---- */

void cp_appts_tick(closedpark *cp, int64_t now, cp_pending *p) {
    for (size_t i = 0; i < cp->appts.cap; i++) {
        cp_appt *a = cp->appts.vals[i];
        if (!cp->appts.keys[i]) continue;
        if (a->state == CP_APPT_BOOKED && now > a->to) {
            cp_appt next = *a;
            next.state = CP_APPT_EXPIRED, next.changed = now;
            if (cp_appt_store(cp, &next, now, NULL, 0)) continue; /* again next tick */
            a->state = next.state, a->changed = now;
        } else if (a->state == CP_APPT_INSIDE) {
            cp_vehicle *v = cp_vehicle_get(cp, a->plate, false);
            if (!v || !v->inside || strcmp(v->appt, a->id)) continue;
            int64_t past = now - a->to - cp->o.overstay_ms;
            if (past > 0 && !v->active[CPK_OVERSTAY])
                cp_vehicle_set(cp, v, CPK_OVERSTAY, true, (double)(now - a->to) / 60000.0,
                               (double)cp->o.overstay_ms / 60000.0, now, p);
        }
    }
    /* Ended appointments stay listed for a day. */
    for (size_t i = 0; i < cp->appts.cap;) {
        cp_appt *a = cp->appts.vals[i];
        if (cp->appts.keys[i] && a->state > CP_APPT_INSIDE && a->changed < now - CP_DAY_MS) {
            cp_map_del(&cp->appts, a->id); /* may shift another entry into slot i */
            cp_appt_free(a);
            continue;
        }
        i++;
    }
}
