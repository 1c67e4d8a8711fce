/*
 * test_closedpark.c - closed-park management on tests/fixtures/closedpark-park.geojson
 * (metres east and north of UTM 51N 308000 E, 3409000 N): one gate at (100, 0);
 * roads R-1 (100,0)-(100,500) 40 km/h, R-2 (100,300)-(900,300) 80 km/h, R-3
 * (900,300)-(900,500) 30 km/h, R-4 (100,500)-(900,500) 20 km/h; a restricted
 * zone (400..600, 380..460); E001's confined space (700..800, 100..200) for 2
 * people; E002's work area (1100..1200, 100..200); the vehicle park
 * (200..300, 320..400); enterprises E001 (0..1000) and E002 (1000..1400) over
 * y 0..600.
 *
 * Each condition is raised by a hand-made sequence and by nothing else (an
 * in-memory collector sees every change); the planned route; appointments'
 * checks and enterprise scope; headcounts after duplicated, lost and late
 * badge events; rejected positions counted; unknown gates refused; a reopen
 * rebuilds the vehicles inside and the headcounts from the event store.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "closedpark/closedpark.h"
#include "tests/support/testutil.h"

#define E0   308000.0
#define N0   3409000.0
#define T0   1765094400000LL /* 2025-12-07 08:00 UTC, 16:00 in the park */
#define SEC  1000LL
#define MIN  60000LL
#define HOUR 3600000LL

typedef struct cond_rec {
    char name[192], kind[24];
    bool active;
    int priority;
    double value, limit;
} cond_rec;

typedef struct fixture {
    char dir[512];
    geo_layout *g;
    roads *net;
    ev_store *ev;
    closedpark *cp;
    cond_rec rec[512];
    size_t n;
} fixture;

static void collect(const pw_condition *c, void *ctx) {
    fixture *f = ctx;
    if (f->n == sizeof f->rec / sizeof *f->rec) return;
    cond_rec *r = &f->rec[f->n++];
    snprintf(r->name, sizeof r->name, "%s", c->name);
    snprintf(r->kind, sizeof r->kind, "%s", c->kind);
    r->active = c->active, r->priority = c->priority, r->value = c->value, r->limit = c->limit;
    /* Called outside the module's lock: calling back in does not deadlock. */
    if (f->cp) {
        closedpark_counters k;
        closedpark_stats(f->cp, &k);
        assert_true(k.conditions_raised >= 1);
    }
}

/* How many changes to active (or cleared) of this kind were seen. */
static size_t count(const fixture *f, const char *kind, bool active) {
    size_t n = 0;
    for (size_t i = 0; i < f->n; i++)
        n += !strcmp(f->rec[i].kind, kind) && f->rec[i].active == active;
    return n;
}

static size_t raised(const fixture *f) {
    size_t n = 0;
    for (size_t i = 0; i < f->n; i++) n += f->rec[i].active;
    return n;
}

/* The last change of a condition name: 1 active, 0 cleared, -1 never seen. */
static int state_of(const fixture *f, const char *name) {
    for (size_t i = f->n; i-- > 0;)
        if (!strcmp(f->rec[i].name, name)) return f->rec[i].active;
    return -1;
}

static void open_cp(fixture *f, int64_t now) {
    closedpark_options o;
    closedpark_options_default(&o);
    o.layout = f->g, o.roads = f->net, o.events = f->ev;
    o.on_condition = collect, o.condition_ctx = f;
    o.now_ms = now;
    f->cp = NULL;
    char err[256] = "";
    assert_int_equal(closedpark_open(&o, &f->cp, err, sizeof err), CP_OK);
}

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    testutil_tmpdir(f->dir, sizeof f->dir, "closedpark");
    const char *paths[] = {PARKWATCH_SOURCE_DIR "/tests/fixtures/closedpark-park.geojson"};
    geo_problems p = {0};
    if (geo_load(paths, 1, NULL, &f->g, &p)) {
        fprintf(stderr, "layout: %s %s\n", p.n ? p.v[0].feature : "", p.n ? p.v[0].message : "");
        return -1;
    }
    char err[256];
    if (roads_build(f->g, &f->net, err, sizeof err)) return -1;
    char evdir[600];
    snprintf(evdir, sizeof evdir, "%s/events", f->dir);
    if (ev_open(evdir, NULL, &f->ev, err, sizeof err) != EV_OK) return -1;
    open_cp(f, T0 - 2 * HOUR);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    closedpark_close(f->cp);
    ev_close(f->ev);
    roads_free(f->net);
    geo_close(f->g);
    testutil_rmtree(f->dir);
    free(f);
    return 0;
}

static void lonlat(const fixture *f, double dx, double dy, double *lon, double *lat) {
    assert_int_equal(geo_unproject(f->g, E0 + dx, N0 + dy, lon, lat), 0);
}

static int pos(fixture *f, const char *plate, int64_t ts, double dx, double dy, double kmh) {
    double lon, lat;
    lonlat(f, dx, dy, &lon, &lat);
    return closedpark_vehicle_position(f->cp, plate, ts, lat, lon, kmh, 90);
}

/* Positions every second along a straight line at kmh, from (x0, y0) to
 * (x1, y1), starting at ts; the time of the last one. */
static int64_t drive(fixture *f, const char *plate, int64_t ts, double x0, double y0, double x1,
                     double y1, double kmh) {
    double len = hypot(x1 - x0, y1 - y0), step = kmh / 3.6;
    int n = (int)ceil(len / step);
    for (int i = 0; i <= n; i++) {
        double t = n ? fmin(1.0, i * step / len) : 1;
        assert_int_equal(pos(f, plate, ts + i * SEC, x0 + t * (x1 - x0), y0 + t * (y1 - y0), kmh),
                         0);
    }
    return ts + n * SEC;
}

static int gate(fixture *f, const char *src, const char *gate_id, const char *plate,
                const char *dir, int64_t ts, const char *hc, const char *un, const char *cargo) {
    json_t *ev = json_pack("{s:s, s:I, s:s, s:s, s:s}", "type", "gate_passage", "ts",
                           (json_int_t)ts, "gate", gate_id, "direction", dir, "plate", plate);
    if (hc) json_object_set_new(ev, "hazard_class", json_string(hc));
    if (un) json_object_set_new(ev, "un_number", json_string(un));
    if (cargo) json_object_set_new(ev, "cargo", json_string(cargo));
    if (hc) json_object_set_new(ev, "mass_kg", json_integer(20000));
    char why[256] = "";
    int rc = closedpark_take_event(f->cp, src, ev, ts, why, sizeof why);
    json_decref(ev);
    return rc;
}

static int badge(fixture *f, const char *src, const char *zone, const char *person, const char *dir,
                 int64_t ts) {
    json_t *ev = json_pack("{s:s, s:I, s:s, s:s, s:s, s:s}", "type", "badge", "ts", (json_int_t)ts,
                           "zone", zone, "person", person, "name", "李四", "direction", dir);
    char why[256] = "";
    int rc = closedpark_take_event(f->cp, src, ev, ts, why, sizeof why);
    json_decref(ev);
    return rc;
}

/* A request to E001's destination (900, 500) through the gate. */
static json_t *request(fixture *f, const char *plate, const char *ent, int64_t from, int64_t to) {
    double lon, lat;
    lonlat(f, 900, 500, &lon, &lat);
    return json_pack("{s:s, s:s, s:I, s:I, s:s, s:{s:f, s:f}, s:s, s:s, s:s, s:i}", "plate", plate,
                     "enterprise", ent, "window_from", (json_int_t)from, "window_to",
                     (json_int_t)to, "gate", "GATE-S", "destination", "lon", lon, "lat", lat,
                     "hazard_class", "3", "un_number", "1203", "cargo", "gasoline", "mass_kg",
                     20000);
}

/* Books plate for E001 from T0 - 1 h to T0 + 1 h; its id into id. */
static void book(fixture *f, const char *plate, char *id, size_t cap) {
    json_t *req = request(f, plate, "E001", T0 - HOUR, T0 + HOUR), *out = NULL;
    char err[256] = "";
    cp_status s = closedpark_appointment_add(f->cp, req, "", T0 - 2 * HOUR, &out, err, sizeof err);
    if (s != CP_OK) fail_msg("book %s: %s", plate, err);
    snprintf(id, cap, "%s", json_string_value(json_object_get(out, "id")));
    json_decref(req), json_decref(out);
}

/* The vehicle's live feature properties (a new reference), or NULL. */
static json_t *vehicle_props(fixture *f, const char *scope, const char *plate, int64_t now) {
    json_t *fc = closedpark_vehicles(f->cp, scope, now), *ft, *res = NULL;
    size_t i;
    json_array_foreach(json_object_get(fc, "features"), i, ft) {
        json_t *p = json_object_get(ft, "properties");
        if (!strcmp(json_string_value(json_object_get(p, "plate")), plate)) res = json_incref(p);
    }
    json_decref(fc);
    return res;
}

static long zone_count(fixture *f, const char *zone) {
    json_t *z = NULL;
    if (closedpark_zone(f->cp, NULL, zone, T0, &z) != CP_OK) return -1;
    long n = (long)json_integer_value(json_object_get(z, "count"));
    json_decref(z);
    return n;
}

/* ---- appointments ---- */

static void test_appointment_route_and_checks(void **state) {
    fixture *f = *state;
    json_t *req = request(f, "沪A12345", "E001", T0 - HOUR, T0 + HOUR), *out = NULL;
    char err[256] = "";
    assert_int_equal(
        closedpark_appointment_add(f->cp, req, "", T0 - 2 * HOUR, &out, err, sizeof err), CP_OK);
    /* 14:00 in the park on 2025-12-07: the first of the day. */
    assert_string_equal(json_string_value(json_object_get(out, "id")), "A20251207-0001");
    assert_string_equal(json_string_value(json_object_get(out, "state")), "booked");
    /* Gate (100,0) north 300 m on R-1, east 800 m on R-2, north 200 m on R-3. */
    assert_float_equal(json_number_value(json_object_get(out, "length_m")), 1300.0, 1.0);
    json_t *roads = json_object_get(out, "roads");
    assert_int_equal(json_array_size(roads), 3);
    assert_string_equal(json_string_value(json_array_get(roads, 0)), "R-1");
    assert_string_equal(json_string_value(json_array_get(roads, 1)), "R-2");
    assert_string_equal(json_string_value(json_array_get(roads, 2)), "R-3");
    json_t *route = json_object_get(out, "route");
    assert_string_equal(json_string_value(json_object_get(route, "type")), "LineString");
    assert_true(json_array_size(json_object_get(route, "coordinates")) >= 4);
    json_decref(out);

    /* Each bad field alone is refused with a 400. */
    struct {
        const char *key;
        json_t *val;
    } bad[] = {
        {"plate", json_string("A")},
        {"plate", json_string("沪A/12345")},
        {"hazard_class", json_string("10")},
        {"hazard_class", json_string("2.4")},
        {"un_number", json_string("123")},
        {"un_number", json_string("12a4")},
        {"mass_kg", json_integer(100001)},
        {"mass_kg", json_integer(-1)},
        {"window_to", json_integer(T0 - HOUR)},                 /* not after window_from */
        {"window_to", json_integer(T0 - HOUR + 8 * 24 * HOUR)}, /* longer than 7 days */
        {"gate", json_string("R-1")},                           /* a road, not a gate */
        {"destination", json_string("NOPE")},
        {"destination", json_pack("{s:f, s:f}", "lon", 122.5, "lat", 30.8)}, /* outside */
        {"enterprise", json_string("E404")},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        json_t *r = json_deep_copy(req);
        json_object_set_new(r, bad[i].key, bad[i].val);
        assert_int_equal(
            closedpark_appointment_add(f->cp, r, "", T0 - 2 * HOUR, NULL, err, sizeof err),
            CP_EINVAL);
        json_decref(r);
    }
    /* A division is a class; a destination may be a feature (its point). */
    json_t *r = json_deep_copy(req);
    json_object_set_new(r, "hazard_class", json_string("6.1"));
    json_object_set_new(r, "destination", json_string("E001-CS-1"));
    assert_int_equal(
        closedpark_appointment_add(f->cp, r, "E001", T0 - 2 * HOUR, &out, err, sizeof err), CP_OK);
    assert_string_equal(json_string_value(json_object_get(out, "id")), "A20251207-0002");
    assert_string_equal(json_string_value(json_object_get(out, "created_by")), "E001");
    json_decref(out);
    /* An enterprise books for itself only. */
    assert_int_equal(
        closedpark_appointment_add(f->cp, r, "E002", T0 - 2 * HOUR, NULL, err, sizeof err),
        CP_EFORBIDDEN);
    json_decref(r);
    json_decref(req);
}

static void test_scope_and_cancel(void **state) {
    fixture *f = *state;
    char id[64];
    book(f, "沪A11111", id, sizeof id);
    json_t *out = NULL;
    char err[256];
    assert_int_equal(closedpark_appointment_get(f->cp, "E002", id, &out, err, sizeof err),
                     CP_ENOTFOUND);
    assert_int_equal(closedpark_appointment_get(f->cp, "E001", id, &out, err, sizeof err), CP_OK);
    json_decref(out);
    closedpark_appt_filter flt = {.state = -1};
    assert_int_equal(closedpark_appointment_list(f->cp, "E002", &flt, &out, err, sizeof err),
                     CP_OK);
    assert_int_equal(json_integer_value(json_object_get(out, "total")), 0);
    json_decref(out);
    flt.state = CP_APPT_BOOKED;
    assert_int_equal(closedpark_appointment_list(f->cp, NULL, &flt, &out, err, sizeof err), CP_OK);
    assert_int_equal(json_integer_value(json_object_get(out, "total")), 1);
    json_decref(out);
    assert_int_equal(closedpark_appointment_cancel(f->cp, "E002", id, T0, NULL, err, sizeof err),
                     CP_ENOTFOUND);
    assert_int_equal(closedpark_appointment_cancel(f->cp, "E001", id, T0, &out, err, sizeof err),
                     CP_OK);
    assert_string_equal(json_string_value(json_object_get(out, "state")), "cancelled");
    json_decref(out);
    assert_int_equal(closedpark_appointment_cancel(f->cp, NULL, id, T0, NULL, err, sizeof err),
                     CP_ECONFLICT);
    /* A cancelled appointment matches nothing: a hazmat arrival has none. */
    assert_int_equal(gate(f, "PARK", "GATE-S", "沪A11111", "in", T0, "3", "1203", "gasoline"), 0);
    assert_int_equal(state_of(f, "PARK/vehicles/沪A11111/no_appointment"), 1);
    /* Zones: an enterprise sees its own. */
    json_t *zs = closedpark_zones(f->cp, "E001", T0);
    assert_int_equal(json_array_size(json_object_get(zs, "zones")), 1);
    json_decref(zs);
    assert_int_equal(closedpark_zone(f->cp, "E001", "E002-WA-1", T0, &out), CP_ENOTFOUND);
    /* The vehicle without an appointment named no enterprise: E001 does not see it. */
    json_t *p = vehicle_props(f, "E001", "沪A11111", T0);
    assert_null(p);
}

/* The live layer is written by hand (closedpark/layer.c): it must stay
 * JSON whatever the text carries, with the positions to 1e-7 degrees and
 * the track thinned from the ring's tail after the ring has wrapped. */
static void test_layer_text(void **state) {
    fixture *f = *state;
    const char *cargo = "液化\"石油气\" \\ 99%";
    assert_int_equal(gate(f, "PARK", "GATE-S", "沪B7777", "in", T0, "2.1", "1075", cargo), 0);
    /* 700 positions a second apart: the ring (600) wraps */
    int64_t t = T0;
    for (int i = 0; i < 700; i++) {
        t = T0 + (i + 1) * SEC;
        assert_int_equal(pos(f, "沪B7777", t, 100 + i * 0.5, 300, 30), 0);
    }
    size_t len = 0;
    char *txt = closedpark_vehicles_geojson(f->cp, NULL, t, 60 * SEC, 15 * SEC, &len);
    assert_non_null(txt);
    assert_int_equal(strlen(txt), len);
    json_error_t je;
    json_t *fc = json_loadb(txt, len, 0, &je);
    assert_non_null(fc);
    json_t *ft = json_array_get(json_object_get(fc, "features"), 0);
    json_t *p = json_object_get(ft, "properties");
    assert_string_equal(json_string_value(json_object_get(ft, "id")), "沪B7777");
    assert_string_equal(json_string_value(json_object_get(p, "cargo")), cargo);
    assert_string_equal(json_string_value(json_object_get(p, "un_number")), "1075");
    assert_true(json_number_value(json_object_get(p, "mass_kg")) == 20000);
    assert_true(fabs(json_number_value(json_object_get(p, "speed")) - 30) < 1e-9);
    assert_true(json_is_false(json_object_get(p, "no_passage")));
    assert_true(json_is_null(json_object_get(p, "in_vehicle_park")));
    /* the point is the last position, to 1e-7 degrees */
    double lon, lat;
    lonlat(f, 100 + 699 * 0.5, 300, &lon, &lat);
    json_t *co = json_object_get(json_object_get(ft, "geometry"), "coordinates");
    assert_true(fabs(json_number_value(json_array_get(co, 0)) - lon) <= 0.6e-7);
    assert_true(fabs(json_number_value(json_array_get(co, 1)) - lat) <= 0.6e-7);
    /* the last 60 s a point per 15 s: t-60, t-45, t-30, t-15, t */
    json_t *tr = json_object_get(p, "track");
    assert_int_equal(json_array_size(tr), 5);
    assert_int_equal(json_integer_value(json_array_get(json_array_get(tr, 0), 2)), t - 60 * SEC);
    assert_int_equal(json_integer_value(json_array_get(json_array_get(tr, 4), 2)), t);
    json_decref(fc);
    free(txt);
    /* an enterprise that has none of them sees an empty collection */
    txt = closedpark_vehicles_geojson(f->cp, "E002", t, 60 * SEC, 15 * SEC, &len);
    assert_non_null(txt);
    fc = json_loadb(txt, len, 0, &je);
    assert_int_equal(json_array_size(json_object_get(fc, "features")), 0);
    json_decref(fc);
    free(txt);
}

/* ---- vehicles' conditions ---- */

static void test_on_route_raises_nothing(void **state) {
    fixture *f = *state;
    char id[64];
    book(f, "沪A12345", id, sizeof id);
    assert_int_equal(gate(f, "PARK", "GATE-S", "沪A12345", "in", T0, "3", "1203", "gasoline"), 0);
    int64_t t = drive(f, "沪A12345", T0 + SEC, 100, 0, 100, 300, 36);
    t = drive(f, "沪A12345", t + SEC, 100, 300, 900, 300, 36);
    t = drive(f, "沪A12345", t + SEC, 900, 300, 900, 500, 25);
    closedpark_tick(f->cp, t + MIN);
    json_t *p = vehicle_props(f, "E001", "沪A12345", t);
    assert_non_null(p);
    assert_string_equal(json_string_value(json_object_get(p, "appointment")), id);
    assert_int_equal(json_array_size(json_object_get(p, "flags")), 0);
    assert_true(json_array_size(json_object_get(p, "track")) > 100);
    json_decref(p);
    /* the live layer's track: the last 30 s, a point per 10 s at most (positions come each
     * second: 4 of them, at t-30, t-20, t-10 and t); none when asked for none */
    json_t *layer = closedpark_vehicles_track(f->cp, NULL, t, 30 * SEC, 10 * SEC);
    json_t *tr = json_object_get(
        json_object_get(json_array_get(json_object_get(layer, "features"), 0), "properties"),
        "track");
    assert_int_equal(json_array_size(tr), 4);
    assert_int_equal(json_integer_value(json_array_get(json_array_get(tr, 3), 2)), t);
    assert_int_equal(json_integer_value(json_array_get(json_array_get(tr, 0), 2)), t - 30 * SEC);
    json_decref(layer);
    layer = closedpark_vehicles_track(f->cp, NULL, t, 0, 0);
    assert_int_equal(
        json_array_size(json_object_get(
            json_object_get(json_array_get(json_object_get(layer, "features"), 0), "properties"),
            "track")),
        0);
    json_decref(layer);
    json_t *a = NULL;
    char err[256];
    assert_int_equal(closedpark_appointment_get(f->cp, NULL, id, &a, err, sizeof err), CP_OK);
    assert_string_equal(json_string_value(json_object_get(a, "state")), "inside");
    json_decref(a);
    assert_int_equal(gate(f, "PARK", "GATE-S", "沪A12345", "out", t + 2 * MIN, NULL, NULL, NULL),
                     0);
    assert_int_equal(closedpark_appointment_get(f->cp, NULL, id, &a, err, sizeof err), CP_OK);
    assert_string_equal(json_string_value(json_object_get(a, "state")), "done");
    json_decref(a);
    assert_null(vehicle_props(f, NULL, "沪A12345", t + 3 * MIN));
    assert_int_equal(raised(f), 0);
}

/* Off the route (R-2 at y = 300) to y = 360 for `secs` seconds, then back. */
static void off_route_for(fixture *f, const char *plate, int secs) {
    char id[64];
    book(f, plate, id, sizeof id);
    assert_int_equal(gate(f, "PARK", "GATE-S", plate, "in", T0, "3", "1203", "gasoline"), 0);
    int64_t t = drive(f, plate, T0 + SEC, 500, 300, 500, 350, 36); /* 50 m: not yet off */
    t += SEC;
    assert_int_equal(pos(f, plate, t, 500, 360, 10), 0); /* 60 m off from t */
    for (int s = 1; s <= secs; s++) assert_int_equal(pos(f, plate, t + s * SEC, 500, 360, 10), 0);
    drive(f, plate, t + (secs + 1) * SEC, 500, 350, 500, 300, 36);
}

static void test_off_route_31s(void **state) {
    fixture *f = *state;
    off_route_for(f, "沪B00031", 31);
    assert_int_equal(count(f, "off_route", true), 1);
    assert_int_equal(count(f, "off_route", false), 1); /* back on the route */
    assert_int_equal(raised(f), 1);
    assert_int_equal(f->rec[0].priority, 2);
    assert_float_equal(f->rec[0].value, 60.0, 0.5);
    assert_string_equal(f->rec[0].name, "PARK/vehicles/沪B00031/off_route");
}

static void test_off_route_29s(void **state) {
    fixture *f = *state;
    off_route_for(f, "沪B00029", 29);
    assert_int_equal(raised(f), 0);
}

static void test_speeding(void **state) {
    fixture *f = *state;
    char id[64];
    /* A hazardous-goods vehicle on R-2 (posted 80): its limit is 60, so 70 km/h for 11 s. */
    book(f, "沪C00070", id, sizeof id);
    assert_int_equal(gate(f, "PARK", "GATE-S", "沪C00070", "in", T0, "3", "1203", "gasoline"), 0);
    int64_t t = drive(f, "沪C00070", T0 + SEC, 200, 300, 200 + 11.5 * 70 / 3.6, 300, 70);
    assert_int_equal(state_of(f, "PARK/vehicles/沪C00070/speeding"), 1);
    assert_int_equal(f->rec[0].priority, 3);
    assert_float_equal(f->rec[0].limit, 60.0, 1e-9);
    drive(f, "沪C00070", t + SEC, 430, 300, 500, 300, 40);
    assert_int_equal(state_of(f, "PARK/vehicles/沪C00070/speeding"), 0);
    /* 64 km/h is within 60 + 5; an ordinary vehicle at 70 is under 80. */
    book(f, "沪C00064", id, sizeof id);
    assert_int_equal(gate(f, "PARK", "GATE-S", "沪C00064", "in", T0, "3", "1203", "gasoline"), 0);
    drive(f, "沪C00064", T0 + SEC, 200, 300, 400, 300, 64);
    assert_int_equal(gate(f, "PARK", "GATE-S", "沪C00001", "in", T0, NULL, NULL, NULL), 0);
    drive(f, "沪C00001", T0 + SEC, 200, 300, 400, 300, 70);
    /* 9 s over, then within: nothing. */
    book(f, "沪C00009", id, sizeof id);
    assert_int_equal(gate(f, "PARK", "GATE-S", "沪C00009", "in", T0, "3", "1203", "gasoline"), 0);
    t = drive(f, "沪C00009", T0 + SEC, 200, 300, 200 + 8.5 * 70 / 3.6, 300, 70);
    drive(f, "沪C00009", t + SEC, 380, 300, 450, 300, 50);
    assert_int_equal(raised(f), 1);
}

static void test_stopped(void **state) {
    fixture *f = *state;
    /* Ordinary vehicles: no route, no cargo; one stops on R-2, one in the vehicle park. */
    assert_int_equal(gate(f, "PARK", "GATE-S", "沪D00001", "in", T0, NULL, NULL, NULL), 0);
    assert_int_equal(gate(f, "PARK", "GATE-S", "沪D00002", "in", T0, NULL, NULL, NULL), 0);
    for (int m = 0; m <= 5; m++) {
        assert_int_equal(pos(f, "沪D00001", T0 + m * MIN, 500, 300, 0), 0);
        assert_int_equal(pos(f, "沪D00002", T0 + m * MIN, 250, 360, 0), 0);
    }
    closedpark_tick(f->cp, T0 + 10 * MIN - SEC);
    assert_int_equal(raised(f), 0);
    closedpark_tick(f->cp, T0 + 11 * MIN);
    assert_int_equal(state_of(f, "PARK/vehicles/沪D00001/stopped"), 1);
    assert_int_equal(state_of(f, "PARK/vehicles/沪D00002/stopped"), -1);
    assert_int_equal(raised(f), 1);
    /* Moving again clears it. */
    assert_int_equal(pos(f, "沪D00001", T0 + 11 * MIN + SEC, 505, 300, 20), 0);
    assert_int_equal(state_of(f, "PARK/vehicles/沪D00001/stopped"), 0);
    json_t *vp = closedpark_vehicle_park(f->cp, NULL, T0 + 11 * MIN);
    assert_int_equal(json_integer_value(json_object_get(vp, "occupancy")), 1);
    assert_int_equal(json_integer_value(json_object_get(vp, "capacity")), 10);
    json_t *v0 = json_array_get(
        json_object_get(json_array_get(json_object_get(vp, "parks"), 0), "vehicles"), 0);
    assert_string_equal(json_string_value(json_object_get(v0, "plate")), "沪D00002");
    assert_int_equal(json_integer_value(json_object_get(v0, "dwell_s")), 11 * 60);
    json_decref(vp);
}

static void test_restricted_zone(void **state) {
    fixture *f = *state;
    char id[64];
    book(f, "沪E00001", id, sizeof id);
    assert_int_equal(gate(f, "PARK", "GATE-S", "沪E00001", "in", T0, "3", "1203", "gasoline"), 0);
    int64_t t = drive(f, "沪E00001", T0 + SEC, 500, 300, 500, 370, 36);
    assert_int_equal(raised(f), 0);
    t = drive(f, "沪E00001", t + SEC, 500, 380, 500, 400, 36); /* (500, 380+) is inside */
    assert_int_equal(state_of(f, "PARK/vehicles/沪E00001/restricted_zone"), 1);
    drive(f, "沪E00001", t + SEC, 500, 370, 500, 300, 36);
    assert_int_equal(state_of(f, "PARK/vehicles/沪E00001/restricted_zone"), 0);
    assert_int_equal(raised(f), 1); /* off the route for less than 30 s */
    for (size_t i = 0; i < f->n; i++)
        if (f->rec[i].active) assert_int_equal(f->rec[i].priority, 1);
    /* An ordinary vehicle there is no matter of the zone. */
    assert_int_equal(gate(f, "PARK", "GATE-S", "沪E00002", "in", T0, NULL, NULL, NULL), 0);
    drive(f, "沪E00002", T0 + SEC, 500, 300, 500, 420, 36);
    assert_int_equal(raised(f), 1);
}

static void test_overstay_and_expiry(void **state) {
    fixture *f = *state;
    char id[64], id2[64];
    book(f, "沪F00001", id, sizeof id);
    book(f, "沪F00002", id2, sizeof id2);
    assert_int_equal(gate(f, "PARK", "GATE-S", "沪F00001", "in", T0, "3", "1203", "gasoline"), 0);
    closedpark_tick(f->cp, T0 + HOUR - SEC);
    assert_int_equal(raised(f), 0);
    closedpark_tick(f->cp, T0 + HOUR + SEC);
    assert_int_equal(state_of(f, "PARK/vehicles/沪F00001/overstay"), 1);
    assert_int_equal(raised(f), 1);
    json_t *a = NULL;
    char err[256];
    assert_int_equal(closedpark_appointment_get(f->cp, NULL, id2, &a, err, sizeof err), CP_OK);
    assert_string_equal(json_string_value(json_object_get(a, "state")), "expired");
    json_decref(a);
    assert_int_equal(
        gate(f, "PARK", "GATE-S", "沪F00001", "out", T0 + HOUR + MIN, NULL, NULL, NULL), 0);
    assert_int_equal(state_of(f, "PARK/vehicles/沪F00001/overstay"), 0);
}

static void test_no_appointment_and_cargo_mismatch(void **state) {
    fixture *f = *state;
    char id[64], err[256];
    /* An ordinary vehicle without an appointment is only counted. */
    assert_int_equal(gate(f, "PARK", "GATE-S", "沪G00001", "in", T0, NULL, NULL, NULL), 0);
    assert_int_equal(raised(f), 0);
    /* A hazardous-goods one is flagged; 40 min before its window is too early. */
    book(f, "沪G00002", id, sizeof id);
    assert_int_equal(
        gate(f, "", "GATE-S", "沪G00002", "in", T0 - HOUR - 40 * MIN, "3", "1203", "gasoline"), 0);
    assert_int_equal(state_of(f, "PARK/vehicles/沪G00002/no_appointment"), 1);
    assert_int_equal(
        gate(f, "", "GATE-S", "沪G00002", "out", T0 - HOUR - 35 * MIN, NULL, NULL, NULL), 0);
    assert_int_equal(state_of(f, "PARK/vehicles/沪G00002/no_appointment"), 0);
    /* 20 min before is within the grace: matched, but UN 1230 is not what was booked. */
    assert_int_equal(
        gate(f, "PARK", "GATE-S", "沪G00002", "in", T0 - HOUR - 20 * MIN, "3", "1230", "gasoline"),
        0);
    assert_int_equal(state_of(f, "PARK/vehicles/沪G00002/cargo_mismatch"), 1);
    assert_int_equal(count(f, "no_appointment", true), 1);
    assert_int_equal(raised(f), 2);
    json_t *ps = NULL;
    assert_int_equal(closedpark_passages(f->cp, NULL, T0 - 2 * HOUR, T0 + HOUR, "GATE-S", 0, &ps,
                                         err, sizeof err),
                     CP_OK);
    json_t *arr = json_object_get(ps, "passages");
    assert_int_equal(json_array_size(arr), 4);
    json_t *last = json_array_get(arr, 2); /* time order: G00002 in, out, in; G00001 in */
    json_t *check = json_object_get(last, "check");
    assert_true(json_is_true(json_object_get(check, "matched")));
    assert_string_equal(json_string_value(json_object_get(check, "appointment")), id);
    assert_string_equal(json_string_value(json_array_get(json_object_get(check, "mismatch"), 0)),
                        "un_number");
    json_decref(ps);
    assert_int_equal(gate(f, "PARK", "GATE-S", "沪G00002", "out", T0, NULL, NULL, NULL), 0);
    assert_int_equal(state_of(f, "PARK/vehicles/沪G00002/cargo_mismatch"), 0);
    json_t *sum = closedpark_summary(f->cp, NULL, T0);
    assert_int_equal(json_integer_value(json_object_get(sum, "inside")), 1);
    json_t *pt = json_object_get(sum, "passages_today");
    assert_int_equal(json_integer_value(json_object_get(pt, "in")), 3);
    assert_int_equal(json_integer_value(json_object_get(pt, "out")), 2);
    json_decref(sum);
}

/* A passage older than the vehicle's last change is stored, and changes nothing. */
static void test_late_passage_stored_only(void **state) {
    fixture *f = *state;
    assert_int_equal(gate(f, "PARK", "GATE-S", "沪M00001", "in", T0, NULL, NULL, NULL), 0);
    assert_int_equal(gate(f, "PARK", "GATE-S", "沪M00001", "out", T0 + 10 * MIN, NULL, NULL, NULL),
                     0);
    assert_int_equal(gate(f, "PARK", "GATE-S", "沪M00001", "in", T0 + 5 * MIN, NULL, NULL, NULL),
                     0);
    assert_null(vehicle_props(f, NULL, "沪M00001", T0 + 11 * MIN));
    closedpark_counters c;
    closedpark_stats(f->cp, &c);
    assert_int_equal(c.passages, 3);
    assert_int_equal(c.stale_passages, 1);
    json_t *d = NULL;
    assert_int_equal(closedpark_vehicle(f->cp, NULL, "沪M00001", T0 + 11 * MIN, &d), CP_OK);
    json_t *pr = json_object_get(d, "properties");
    assert_true(json_is_false(json_object_get(pr, "inside")));
    json_t *ps = json_object_get(pr, "passages");
    assert_int_equal(json_array_size(ps), 3); /* in time order: in, the late in, out */
    json_t *late = json_object_get(json_array_get(ps, 1), "check");
    assert_true(json_is_true(json_object_get(late, "stale")));
    json_decref(d);
    assert_int_equal(closedpark_vehicle(f->cp, "E001", "沪M00001", T0, &d), CP_ENOTFOUND);
}

static void test_gate_refusals(void **state) {
    fixture *f = *state;
    assert_int_equal(gate(f, "PARK", "GATE-X", "沪H00001", "in", T0, NULL, NULL, NULL), 1);
    assert_int_equal(gate(f, "PARK", "R-1", "沪H00001", "in", T0, NULL, NULL, NULL), 1);
    assert_int_equal(gate(f, "E001", "GATE-S", "沪H00001", "in", T0, NULL, NULL, NULL), 1);
    assert_int_equal(gate(f, "PARK", "GATE-S", "沪H00001", "sideways", T0, NULL, NULL, NULL), 1);
    assert_int_equal(gate(f, "PARK", "GATE-S", "沪H00001", "in", T0, "3.3", NULL, NULL), 1);
    closedpark_counters c;
    closedpark_stats(f->cp, &c);
    assert_int_equal(c.unknown_gate, 2);
    assert_int_equal(c.wrong_source, 1);
    assert_int_equal(c.bad_event, 2);
    assert_int_equal(c.passages, 0);
    json_t *ps = NULL;
    char err[256];
    assert_int_equal(
        closedpark_passages(f->cp, NULL, T0 - HOUR, T0 + HOUR, NULL, 0, &ps, err, sizeof err),
        CP_OK);
    assert_int_equal(json_array_size(json_object_get(ps, "passages")), 0);
    json_decref(ps);
    assert_null(vehicle_props(f, NULL, "沪H00001", T0));
}

static void test_positions_rejected(void **state) {
    fixture *f = *state;
    assert_int_equal(gate(f, "PARK", "GATE-S", "沪J00001", "in", T0, NULL, NULL, NULL), 0);
    assert_int_equal(pos(f, "沪J00001", T0 + SEC, 500, 300, 30), 0);
    assert_int_equal(pos(f, "沪J00001", T0 + 2 * SEC, 900, 300, 30), 1);   /* 400 m in 1 s */
    assert_int_equal(pos(f, "沪J00001", T0 + 3 * SEC, 3000, 300, 30), 1);  /* 1.6 km east */
    assert_int_equal(pos(f, "沪J00001", T0 + 4 * SEC, 500, -1100, 30), 1); /* 1.1 km south */
    assert_int_equal(pos(f, "沪J00001", T0, 500, 300, 30), 1);             /* older */
    assert_int_equal(closedpark_vehicle_position(f->cp, "J", T0, 30.8, 121.0, 0, 0), 1);
    assert_int_equal(closedpark_vehicle_position(f->cp, "沪J00001", T0 + 5 * SEC, NAN, 121.0, 0, 0),
                     1);
    /* 500 m south of the park is within the margin: accepted. */
    assert_int_equal(pos(f, "沪J00001", T0 + 100 * SEC, 500, -500, 30), 0);
    /* A position before its gate event: accepted and marked. */
    assert_int_equal(pos(f, "沪J00002", T0, 300, 300, 20), 0);
    closedpark_counters c;
    closedpark_stats(f->cp, &c);
    assert_int_equal(c.rejected_jump, 1);
    /* every position's checks timed, the rejected ones too: the figures are ordered */
    assert_true(c.position_check_p50_us >= 1 && c.position_check_p50_us <= c.position_check_p99_us);
    assert_true(c.position_check_max_us > 0 &&
                c.position_check_max_us <= c.position_check_p99_us * 10 + 1e6);
    assert_int_equal(c.rejected_out_of_park, 2);
    assert_int_equal(c.rejected_old, 1);
    assert_int_equal(c.rejected_bad, 2);
    assert_int_equal(c.positions, 3);
    assert_int_equal(c.no_passage, 1);
    json_t *p = vehicle_props(f, NULL, "沪J00001", T0 + 100 * SEC);
    assert_int_equal(json_array_size(json_object_get(p, "track")), 2); /* the rejected not drawn */
    json_decref(p);
    p = vehicle_props(f, NULL, "沪J00002", T0);
    assert_true(json_is_true(json_object_get(p, "no_passage")));
    assert_true(json_is_false(json_object_get(p, "inside")));
    json_decref(p);
    /* Its gate event, late: now inside, the mark gone. */
    assert_int_equal(gate(f, "PARK", "GATE-S", "沪J00002", "in", T0 - 30 * SEC, NULL, NULL, NULL),
                     0);
    p = vehicle_props(f, NULL, "沪J00002", T0);
    assert_true(json_is_false(json_object_get(p, "no_passage")));
    assert_true(json_is_true(json_object_get(p, "inside")));
    json_decref(p);
    assert_int_equal(raised(f), 0);
}

/* Positions before the gate event: the appointment for now is found by plate and judges. */
static void test_position_before_passage(void **state) {
    fixture *f = *state;
    char id[64];
    book(f, "沪N00001", id, sizeof id);
    int64_t t = drive(f, "沪N00001", T0, 100, 100, 100, 300, 36);
    json_t *p = vehicle_props(f, "E001", "沪N00001", t);
    assert_non_null(p);
    assert_true(json_is_true(json_object_get(p, "no_passage")));
    assert_string_equal(json_string_value(json_object_get(p, "appointment")), id);
    assert_string_equal(json_string_value(json_object_get(p, "hazard_class")), "3");
    json_decref(p);
    /* Off its route for 31 s, as any vehicle. */
    for (int s = 1; s <= 6; s++)
        assert_int_equal(pos(f, "沪N00001", t + s * SEC, 100 + 10 * s, 360 - 10 * (6 - s), 36), 0);
    for (int s = 7; s <= 40; s++) assert_int_equal(pos(f, "沪N00001", t + s * SEC, 160, 360, 5), 0);
    assert_int_equal(state_of(f, "PARK/vehicles/沪N00001/off_route"), 1);
    assert_int_equal(raised(f), 1);
    /* The gate event comes late: now inside, matched. */
    assert_int_equal(
        gate(f, "PARK", "GATE-S", "沪N00001", "in", T0 - 10 * SEC, "3", "1203", "gasoline"), 0);
    p = vehicle_props(f, NULL, "沪N00001", t + 41 * SEC);
    assert_true(json_is_true(json_object_get(p, "inside")));
    assert_true(json_is_false(json_object_get(p, "no_passage")));
    json_decref(p);
}

/* ---- people ---- */

static void test_headcount(void **state) {
    fixture *f = *state;
    const char *cs = "E001-CS-1";
    assert_int_equal(badge(f, "E001", cs, "P0001", "in", T0), 0);
    assert_int_equal(badge(f, "E001", cs, "P0001", "in", T0 + SEC), 0); /* duplicated */
    assert_int_equal(badge(f, "PARK", cs, "P0002", "in", T0 + HOUR), 0);
    assert_int_equal(zone_count(f, cs), 2);
    assert_int_equal(raised(f), 0);
    assert_int_equal(badge(f, "E001", cs, "P0003", "in", T0 + HOUR + MIN), 0);
    assert_int_equal(zone_count(f, cs), 3);
    assert_int_equal(state_of(f, "E001/zones/E001-CS-1/over_limit"), 1);
    assert_int_equal(f->rec[0].priority, 1); /* a confined space */
    assert_float_equal(f->rec[0].value, 3, 0);
    assert_int_equal(badge(f, "E001", cs, "P0003", "out", T0 + HOUR + 2 * MIN), 0);
    assert_int_equal(state_of(f, "E001/zones/E001-CS-1/over_limit"), 0);
    /* An "out" for someone not inside is ignored; a late "out" older than P0002's entry too. */
    assert_int_equal(badge(f, "E001", cs, "P0009", "out", T0 + HOUR + 3 * MIN), 0);
    assert_int_equal(badge(f, "E001", cs, "P0002", "out", T0 + 30 * MIN), 0);
    assert_int_equal(zone_count(f, cs), 2);
    /* Refused: another enterprise's zone, an unknown zone. */
    assert_int_equal(badge(f, "E002", cs, "P0004", "in", T0), 1);
    assert_int_equal(badge(f, "E001", "E001-CS-9", "P0004", "in", T0), 1);
    /* P0001's "out" was lost: 16 h after its last event it is no longer counted. */
    closedpark_tick(f->cp, T0 + 16 * HOUR + MIN);
    assert_int_equal(zone_count(f, cs), 1);
    json_t *z = NULL;
    assert_int_equal(closedpark_zone(f->cp, "E001", cs, T0, &z), CP_OK);
    json_t *who = json_array_get(json_object_get(z, "people"), 0);
    assert_string_equal(json_string_value(json_object_get(who, "person")), "P0002");
    assert_string_equal(json_string_value(json_object_get(who, "name")), "李四");
    json_decref(z);
    closedpark_counters c;
    closedpark_stats(f->cp, &c);
    assert_int_equal(c.badge_duplicates, 1);
    assert_int_equal(c.badge_anomalies, 1);
    assert_int_equal(c.stale_passages, 0);
    assert_int_equal(c.lost_outs, 1);
    assert_int_equal(c.unknown_zone, 1);
    assert_int_equal(c.wrong_source, 1);
}

static void test_person_positions(void **state) {
    fixture *f = *state;
    double lon, lat;
    const char *wa = "E002-WA-1";
    for (int i = 0; i < 5; i++) {
        lonlat(f, 1150, 150 + i, &lon, &lat);
        assert_int_equal(closedpark_person_position(f->cp, "P0042", T0 + i * SEC, lat, lon), 0);
    }
    assert_int_equal(zone_count(f, wa), 1);
    lonlat(f, 1150, 250, &lon, &lat);
    assert_int_equal(closedpark_person_position(f->cp, "P0042", T0 + 10 * SEC, lat, lon), 0);
    assert_int_equal(zone_count(f, wa), 0);
    /* Stored on change only: one "in", one "out". */
    ev_list l = {0};
    char err[256];
    assert_int_equal(ev_query_entity(f->ev, "person:P0042", 0, T0 + HOUR, 0, &l, err, sizeof err),
                     EV_OK);
    assert_int_equal(l.n, 2);
    ev_list_free(&l);
    /* A footprint around (1150, 250) finds the person by position. */
    double ring[8];
    lonlat(f, 1100, 200, &ring[0], &ring[1]), lonlat(f, 1200, 200, &ring[2], &ring[3]);
    lonlat(f, 1200, 300, &ring[4], &ring[5]), lonlat(f, 1100, 300, &ring[6], &ring[7]);
    json_t *vs = NULL, *ps = NULL;
    assert_int_equal(closedpark_inside(f->cp, ring, 4, &vs, &ps), 0);
    assert_int_equal(json_array_size(vs), 0);
    assert_int_equal(json_array_size(ps), 1);
    json_decref(vs), json_decref(ps);
}

static void test_inside_footprint(void **state) {
    fixture *f = *state;
    assert_int_equal(gate(f, "PARK", "GATE-S", "沪K00001", "in", T0, "3", NULL, NULL), 0);
    assert_int_equal(pos(f, "沪K00001", T0 + SEC, 500, 300, 0), 0);
    assert_int_equal(gate(f, "PARK", "GATE-S", "沪K00002", "in", T0, NULL, NULL, NULL), 0);
    assert_int_equal(pos(f, "沪K00002", T0 + SEC, 300, 300, 0), 0);
    assert_int_equal(badge(f, "E001", "E001-CS-1", "P0001", "in", T0), 0);
    double ring[8];
    lonlat(f, 450, 100, &ring[0], &ring[1]), lonlat(f, 850, 100, &ring[2], &ring[3]);
    lonlat(f, 850, 350, &ring[4], &ring[5]), lonlat(f, 450, 350, &ring[6], &ring[7]);
    json_t *vs = NULL, *ps = NULL;
    assert_int_equal(closedpark_inside(f->cp, ring, 4, &vs, &ps), 0);
    assert_int_equal(json_array_size(vs), 1);
    json_t *v = json_array_get(vs, 0);
    assert_string_equal(json_string_value(json_object_get(v, "plate")), "沪K00001");
    assert_string_equal(json_string_value(json_object_get(v, "hazard_class")), "3");
    assert_int_equal(json_array_size(ps), 1); /* in the confined space (750, 150) */
    assert_string_equal(json_string_value(json_object_get(json_array_get(ps, 0), "zone")),
                        "E001-CS-1");
    json_decref(vs), json_decref(ps);
    assert_int_equal(closedpark_inside(f->cp, ring, 2, &vs, &ps), -1);
}

/* ---- reopen ---- */

static void test_reopen_rebuilds(void **state) {
    fixture *f = *state;
    char id[64], err[256];
    book(f, "沪L00001", id, sizeof id);
    assert_int_equal(gate(f, "PARK", "GATE-S", "沪L00001", "in", T0, "3", "1203", "gasoline"), 0);
    assert_int_equal(gate(f, "PARK", "GATE-S", "沪L00002", "in", T0, "8", "1789", "acid"), 0);
    assert_int_equal(gate(f, "PARK", "GATE-S", "沪L00003", "in", T0, NULL, NULL, NULL), 0);
    assert_int_equal(gate(f, "PARK", "GATE-S", "沪L00003", "out", T0 + MIN, NULL, NULL, NULL), 0);
    for (int i = 1; i <= 3; i++) {
        char p[8];
        snprintf(p, sizeof p, "P%04d", i);
        assert_int_equal(badge(f, "E001", "E001-CS-1", p, "in", T0 + i * SEC), 0);
    }
    assert_int_equal(badge(f, "E001", "E001-CS-1", "P0001", "out", T0 + 10 * SEC), 0);
    assert_int_equal(badge(f, "E001", "E001-CS-1", "P0004", "in", T0 + 11 * SEC), 0);
    closedpark_close(f->cp);
    f->n = 0;
    open_cp(f, T0 + HOUR / 2);
    /* Raised again from the stored state: L00002's missing appointment, the headcount. */
    assert_int_equal(state_of(f, "PARK/vehicles/沪L00002/no_appointment"), 1);
    assert_int_equal(state_of(f, "E001/zones/E001-CS-1/over_limit"), 1);
    assert_int_equal(raised(f), 2);
    json_t *fc = closedpark_vehicles(f->cp, NULL, T0 + HOUR / 2);
    assert_int_equal(json_array_size(json_object_get(fc, "features")), 2);
    json_decref(fc);
    json_t *p = vehicle_props(f, "E001", "沪L00001", T0 + HOUR / 2);
    assert_non_null(p);
    assert_string_equal(json_string_value(json_object_get(p, "appointment")), id);
    json_decref(p);
    json_t *a = NULL;
    assert_int_equal(closedpark_appointment_get(f->cp, "E001", id, &a, err, sizeof err), CP_OK);
    assert_string_equal(json_string_value(json_object_get(a, "state")), "inside");
    assert_true(json_array_size(json_object_get(json_object_get(a, "route"), "coordinates")) >= 4);
    json_decref(a);
    assert_int_equal(zone_count(f, "E001-CS-1"), 3);
    /* The day's numbering goes on; the route still judges. */
    json_t *req = request(f, "沪L00009", "E001", T0, T0 + HOUR), *out = NULL;
    assert_int_equal(
        closedpark_appointment_add(f->cp, req, NULL, T0 + HOUR / 2, &out, err, sizeof err), CP_OK);
    assert_string_equal(json_string_value(json_object_get(out, "id")), "A20251207-0002");
    json_decref(req), json_decref(out);
    json_t *sum = closedpark_summary(f->cp, NULL, T0 + HOUR / 2);
    assert_int_equal(json_integer_value(json_object_get(sum, "inside")), 2);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(sum, "goods_kg"), "3")),
                     20000);
    json_t *pt = json_object_get(sum, "passages_today");
    assert_int_equal(json_integer_value(json_object_get(pt, "in")), 3);
    assert_int_equal(json_integer_value(json_object_get(pt, "out")), 1);
    json_decref(sum);
    /* As it was between the passages: L00003 inside then. */
    json_t *at = NULL;
    assert_int_equal(closedpark_vehicles_at(f->cp, NULL, T0 + 30 * SEC, &at, err, sizeof err),
                     CP_OK);
    assert_int_equal(json_array_size(json_object_get(at, "features")), 3);
    json_decref(at);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_appointment_route_and_checks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scope_and_cancel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_on_route_raises_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_layer_text, setup, teardown),
        cmocka_unit_test_setup_teardown(test_off_route_31s, setup, teardown),
        cmocka_unit_test_setup_teardown(test_off_route_29s, setup, teardown),
        cmocka_unit_test_setup_teardown(test_speeding, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stopped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restricted_zone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_overstay_and_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_appointment_and_cargo_mismatch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_late_passage_stored_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gate_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_positions_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_position_before_passage, setup, teardown),
        cmocka_unit_test_setup_teardown(test_headcount, setup, teardown),
        cmocka_unit_test_setup_teardown(test_person_positions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inside_footprint, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reopen_rebuilds, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
