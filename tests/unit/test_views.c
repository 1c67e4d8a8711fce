/*
 * test_views.c - views/views.h on a small park with a real historian, alarm
 * engine and layout: the risk figures from tank levels (day and night
 * occupancy, at a past time), the live state from detector alarms, the
 * AQI and the IDW grid from station data, an incident's footprints and
 * consequences in the recorded wind (and turning with it), incidents
 * surviving a restart, and an incident proposed by two detectors.
 *
 * The park, in metres east/north of a tank T1 (propane, 1000 m3, 20 m
 * high, 580 kg/m3) inside hazard source HS1 and plant E001 (+-100 m):
 * detectors GD1 20 m west and GD2 20 m east of the tank, GD3 150 m west,
 * toxic GD4; building B-in inside the plant (500 people by day), B-out
 * 300 m west (120 by day, 20 by night); shelters 400 m east and 600 m
 * west, a gate 400 m north, a fire station 800 m south, the weather
 * station, two air-quality stations.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "tests/support/testutil.h"
#include "consequence/consequence.h"
#include "views/views.h"

#define LON0 121.45
#define LAT0 30.80
#define H    3600000LL

static double mlon(double m) {
    return LON0 + m / (111320.0 * cos(LAT0 * M_PI / 180));
}
static double mlat(double m) {
    return LAT0 + m / 110574.0;
}

typedef struct fx {
    char dir[512];
    hist *h;
    alert_engine *al;
    geo_layout *g;
    roads *net;
    views *v;
    char *layout;
    int64_t noon, night; /* local (UTC+8) noon and 02:00 on 2026-06-21 */
} fx;

static size_t add(char *s, size_t cap, size_t n, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    n += (size_t)vsnprintf(s + n, cap - n, fmt, ap);
    va_end(ap);
    return n;
}

static size_t square(char *s, size_t cap, size_t n, double cx, double cy, double half) {
    return add(s, cap, n,
               "{\"type\": \"Polygon\", \"coordinates\": [[[%.8f, %.8f], [%.8f, %.8f], [%.8f, "
               "%.8f], [%.8f, %.8f], [%.8f, %.8f]]]}",
               mlon(cx - half), mlat(cy - half), mlon(cx + half), mlat(cy - half), mlon(cx + half),
               mlat(cy + half), mlon(cx - half), mlat(cy + half), mlon(cx - half), mlat(cy - half));
}

static size_t point(char *s, size_t cap, size_t n, double x, double y) {
    return add(s, cap, n, "{\"type\": \"Point\", \"coordinates\": [%.8f, %.8f]}", mlon(x), mlat(y));
}

static char *make_layout(void) {
    size_t cap = 16384, n = 0;
    char *s = malloc(cap);
    n = add(s, cap, n, "{\"type\": \"FeatureCollection\", \"features\": [");
#define FEAT_POLY(cx, cy, half, props)                                                             \
    n = add(s, cap, n, "{\"type\": \"Feature\", \"geometry\": ");                                  \
    n = square(s, cap, n, cx, cy, half);                                                           \
    n = add(s, cap, n, ", \"properties\": %s},", props)
#define FEAT_PT(x, y, props)                                                                       \
    n = add(s, cap, n, "{\"type\": \"Feature\", \"geometry\": ");                                  \
    n = point(s, cap, n, x, y);                                                                    \
    n = add(s, cap, n, ", \"properties\": %s},", props)
    FEAT_POLY(0, 0, 100, "{\"id\": \"E001\", \"kind\": \"enterprise\", \"name\": \"Donghai\"}");
    FEAT_POLY(0, 0, 40,
              "{\"id\": \"HS1\", \"kind\": \"hazard_source\", \"enterprise\": \"E001\", "
              "\"substances\": [\"propane\"], \"grade\": 3}");
    FEAT_PT(0, 0,
            "{\"id\": \"T1\", \"kind\": \"tank\", \"enterprise\": \"E001\", \"capacity_m3\": "
            "1000, \"height_m\": 20, \"density\": 580, \"substance\": \"propane\", \"series\": "
            "[\"E001/tf/T1.level\", \"E001/tf/T1.pressure\"]}");
    FEAT_PT(-20, 0,
            "{\"id\": \"GD1\", \"kind\": \"gas_detector\", \"enterprise\": \"E001\", \"gas\": "
            "\"propane\", \"type\": \"combustible\", \"series\": [\"E001/gd-1/lel\"]}");
    FEAT_PT(20, 0,
            "{\"id\": \"GD2\", \"kind\": \"gas_detector\", \"enterprise\": \"E001\", \"gas\": "
            "\"propane\", \"type\": \"combustible\", \"series\": [\"E001/gd-2/lel\"]}");
    FEAT_PT(-150, 0,
            "{\"id\": \"GD3\", \"kind\": \"gas_detector\", \"enterprise\": \"E001\", \"gas\": "
            "\"propane\", \"type\": \"combustible\", \"series\": [\"E001/gd-3/lel\"]}");
    FEAT_PT(30, -30,
            "{\"id\": \"GD4\", \"kind\": \"gas_detector\", \"enterprise\": \"E001\", \"gas\": "
            "\"hydrogen sulfide\", \"type\": \"toxic\", \"alarm1\": 10, \"alarm2\": 20, "
            "\"series\": [\"E001/gd-4/ppm\"]}");
    FEAT_POLY(60, 60, 10,
              "{\"id\": \"B-in\", \"kind\": \"building\", \"occupants_day\": 500, "
              "\"occupants_night\": 50}");
    FEAT_POLY(-300, 0, 10,
              "{\"id\": \"B-out\", \"kind\": \"building\", \"occupants_day\": 120, "
              "\"occupants_night\": 20}");
    FEAT_PT(400, 0, "{\"id\": \"S-east\", \"kind\": \"shelter\", \"capacity\": 500}");
    FEAT_PT(-600, 0, "{\"id\": \"S-west\", \"kind\": \"shelter\", \"capacity\": 300}");
    FEAT_PT(0, 400, "{\"id\": \"G-north\", \"kind\": \"gate\", \"name\": \"North gate\"}");
    FEAT_PT(0, -800, "{\"id\": \"F1\", \"kind\": \"fire_station\"}");
    FEAT_PT(70, -60,
            "{\"id\": \"ST-school\", \"kind\": \"sensitive_target\", \"target_type\": "
            "\"school\", \"name\": \"Park school\", \"population\": 300}");
    /* roads (issue 22's routes): west-east at y -100, north-south at x
     * 450 up to the gate's latitude, and from F1 east to it */
#define FEAT_ROAD(x0, y0, x1, y1, props)                                                           \
    n = add(s, cap, n,                                                                             \
            "{\"type\": \"Feature\", \"geometry\": {\"type\": \"LineString\", \"coordinates\": "   \
            "[[%.8f, %.8f], [%.8f, %.8f]]}, \"properties\": %s},",                                 \
            mlon(x0), mlat(y0), mlon(x1), mlat(y1), props)
    FEAT_ROAD(-700, -100, 450, -100, "{\"id\": \"R-EW\", \"kind\": \"road\", \"class\": \"main\"}");
    FEAT_ROAD(450, -800, 450, 400, "{\"id\": \"R-NS\", \"kind\": \"road\", \"class\": \"main\"}");
    FEAT_ROAD(0, -800, 450, -800, "{\"id\": \"R-F\", \"kind\": \"road\", \"class\": \"branch\"}");
    FEAT_ROAD(0, 400, 450, 400, "{\"id\": \"R-G\", \"kind\": \"road\", \"class\": \"branch\"}");
    FEAT_PT(500, 500,
            "{\"id\": \"MET1\", \"kind\": \"weather_station\", \"series\": "
            "[\"PARK/met-1/wind_speed\", \"PARK/met-1/wind_dir\"]}");
    FEAT_PT(-500, -500,
            "{\"id\": \"AQ1\", \"kind\": \"aq_station\", \"series\": [\"PARK/aq-1/PM2_5\", "
            "\"PARK/aq-1/SO2\"]}");
    n = add(s, cap, n, "{\"type\": \"Feature\", \"geometry\": ");
    n = point(s, cap, n, 500, -500);
    add(s, cap, n,
        ", \"properties\": {\"id\": \"AQ2\", \"kind\": \"aq_station\", \"series\": "
        "[\"PARK/aq-2/PM2_5\"]}}]}");
    return s;
}

static uint32_t sid(fx *f, const char *name) {
    uint32_t id;
    hist_error he;
    hist_series_def d = {name, NULL, NULL, 1000};
    if (hist_series_ensure(f->h, &d, 1, &id, &he) != HIST_OK) fail_msg("%s", he.msg);
    return id;
}

static void put(fx *f, const char *name, int64_t ts, double v) {
    hist_point p = {.series = sid(f, name), .ts_ms = ts, .value = v, .quality = 0};
    hist_error he;
    if (hist_append(f->h, &p, 1, &he) != HIST_OK) fail_msg("%s", he.msg);
}

static int64_t utc_ms(int y, int mo, int d, int hh, int mm) {
    struct tm t = {
        .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = hh, .tm_min = mm};
    return (int64_t)timegm(&t) * 1000;
}

/* The closed-park module's answer for a footprint, faked: one vehicle and
 * two people while tracked_people is set, else nobody tracked. */
static bool tracked_people = true;
static size_t inside_calls;

static int fake_inside(void *ctx, const double *lonlat, size_t n, json_t **vehicles,
                       json_t **people) {
    (void)ctx;
    assert_true(n >= 3 && isfinite(lonlat[0]) && isfinite(lonlat[2 * n - 1]));
    inside_calls++;
    *vehicles = json_pack("[{s:s,s:s}]", "plate", "沪A12345", "hazard_class", "3");
    *people = tracked_people ? json_pack("[{s:s,s:s},{s:s,s:s}]", "person", "P0001", "name", "张三",
                                         "person", "P0002", "name", "李四")
                             : json_array();
    return 0;
}

static void open_views(fx *f) {
    views_options o;
    views_options_default(&o);
    o.historian = f->h, o.alarms = f->al, o.layout = f->g;
    o.inside = fake_inside;
    o.roads = f->net;
    char inc[600];
    snprintf(inc, sizeof inc, "%s/incidents.jsonl", f->dir);
    o.incident_file = inc;
    char err[256];
    if (views_open(&o, &f->v, err, sizeof err) != 0) fail_msg("%s", err);
}

static int setup(void **state) {
    fx *f = calloc(1, sizeof *f);
    testutil_tmpdir(f->dir, sizeof f->dir, "views");
    char d[600];
    snprintf(d, sizeof d, "%s/historian", f->dir);
    hist_error he;
    if (hist_open(d, NULL, &f->h, &he) != HIST_OK) fail_msg("%s", he.msg);
    snprintf(d, sizeof d, "%s/alarms", f->dir);
    char err[256];
    if (alert_open(d, &f->al, err, sizeof err) != 0) fail_msg("%s", err);
    f->layout = make_layout();
    const char *texts[] = {f->layout}, *names[] = {"park.geojson"};
    geo_problems p = {0};
    if (geo_load_text(texts, names, 1, NULL, &f->g, &p) != 0)
        fail_msg("layout: %s", p.n ? p.v[0].message : "?");
    char rerr[256];
    if (roads_build(f->g, &f->net, rerr, sizeof rerr) != 0) fail_msg("roads: %s", rerr);
    /* high and high-high on the three combustible detectors (25/50 %LEL) */
    const char *dets[] = {"E001/gd-1/lel", "E001/gd-2/lel", "E001/gd-3/lel"};
    for (int i = 0; i < 3; i++) {
        alert_rule r[2] = {{.series = sid(f, dets[i]),
                            .series_name = dets[i],
                            .enterprise = "E001",
                            .kind = ALERT_HIGH,
                            .limit = 25,
                            .deadband = 1,
                            .priority = 2},
                           {.series = sid(f, dets[i]),
                            .series_name = dets[i],
                            .enterprise = "E001",
                            .kind = ALERT_HIGH_HIGH,
                            .limit = 50,
                            .deadband = 1,
                            .priority = 1}};
        uint32_t ids[2];
        if (alert_add_rules(f->al, r, 2, ids, err, sizeof err) != 0) fail_msg("%s", err);
    }
    f->noon = utc_ms(2026, 6, 21, 4, 0);
    f->night = utc_ms(2026, 6, 21, 18, 0);
    open_views(f);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fx *f = *state;
    views_close(f->v);
    alert_close(f->al);
    hist_error he;
    hist_close(f->h, &he);
    roads_free(f->net);
    geo_close(f->g);
    free(f->layout);
    testutil_rmtree(f->dir);
    free(f);
    return 0;
}

static json_t *risk_of(fx *f, int64_t at) {
    views_query q = {.at_ms = at};
    char *txt, err[256];
    size_t len;
    if (views_risk_layer(f->v, &q, &txt, &len, err, sizeof err) != 0) fail_msg("%s", err);
    json_t *fc = json_loadb(txt, len, 0, NULL);
    free(txt);
    assert_non_null(fc);
    assert_int_equal(json_array_size(json_object_get(fc, "features")), 1);
    json_t *r = json_object_get(
        json_object_get(json_array_get(json_object_get(fc, "features"), 0), "properties"), "risk");
    json_incref(r);
    if (getenv("VIEWS_DEBUG")) {
        char *t = json_dumps(r, 0);
        fprintf(stderr, "%s\n", t);
        free(t);
    }
    json_decref(fc);
    return r;
}

static double num(json_t *o, const char *k) {
    json_t *v = json_object_get(o, k);
    if (getenv("VIEWS_DEBUG")) fprintf(stderr, "%s = %.17g\n", k, json_number_value(v));
    if (!json_is_number(v)) fail_msg("%s is not a number", k);
    return json_number_value(v);
}

/* GB 18218 by hand: a 10 m level of 20 m in 1000 m3 is 500 m3, x 580 kg/m3
 * = 290 t of propane (Q 50 t, beta 1.5): S = 5.8. By day B-out's 120
 * people are within 500 m (B-in is inside the plant and not counted):
 * alpha 2.0, R = 2.0 x 1.5 x 5.8 = 17.4, grade 3. By night 20 people:
 * alpha 1.0, R = 8.7, grade 4. */
static void test_risk_day_night_and_replay(void **state) {
    fx *f = *state;
    put(f, "E001/tf/T1.level", f->noon - 10 * H, 10.0);
    put(f, "E001/tf/T1.level", f->night - 60000, 10.0);
    json_t *r = risk_of(f, f->noon);
    assert_true(fabs(num(r, "S") - 5.8) < 1e-9);
    assert_int_equal((int)num(r, "exposed_people"), 120);
    assert_true(num(r, "alpha") == 2.0);
    assert_true(fabs(num(r, "R") - 17.4) < 1e-9);
    assert_int_equal((int)num(r, "grade"), 3);
    assert_true(json_is_true(json_object_get(r, "major")));
    assert_string_equal(json_string_value(json_object_get(r, "period")), "day");
    json_decref(r);
    r = risk_of(f, f->night);
    assert_true(num(r, "alpha") == 1.0);
    assert_true(fabs(num(r, "R") - 8.7) < 1e-9);
    assert_int_equal((int)num(r, "grade"), 4);
    assert_string_equal(json_string_value(json_object_get(r, "period")), "night");
    json_decref(r);
    /* the tank drained to 1 m an hour after noon: 29 t, S 0.58, no longer
     * a major hazard; the view at noon still shows the old inventory */
    put(f, "E001/tf/T1.level", f->noon + H, 1.0);
    r = risk_of(f, f->noon + H + 1000);
    assert_true(fabs(num(r, "S") - 0.58) < 1e-9);
    assert_false(json_is_true(json_object_get(r, "major")));
    assert_int_equal((int)num(r, "grade"), 0);
    json_decref(r);
    r = risk_of(f, f->noon);
    assert_true(fabs(num(r, "S") - 5.8) < 1e-9);
    json_decref(r);
    /* the detail has the tanks and the trend: 290 t, then 29 t */
    views_query q = {.at_ms = f->noon + 2 * H};
    json_t *d;
    char err[256];
    assert_int_equal(
        views_risk_source(f->v, &q, "HS1", f->noon - H, f->noon + 2 * H, H, &d, err, sizeof err),
        0);
    json_t *tonnes =
        json_object_get(json_object_get(json_object_get(d, "trend"), "tonnes"), "propane");
    assert_int_equal(json_array_size(tonnes), 3);
    assert_true(fabs(json_number_value(json_array_get(tonnes, 0)) - 290) < 1e-9);
    assert_true(fabs(json_number_value(json_array_get(tonnes, 2)) - 29) < 1e-9);
    assert_int_equal(json_array_size(json_object_get(d, "detector_list")), 3); /* GD1, GD2, GD4 */
    json_decref(d);
    assert_int_not_equal(views_risk_source(f->v, &q, "T1", 0, H, H, &d, err, sizeof err), 0);
}

/* Two priority-1 alarms on the source's detectors: critical, with reasons;
 * a scope that hides E001 hides the source. */
static void test_risk_live_state_and_scope(void **state) {
    fx *f = *state;
    int64_t t = f->noon + 3 * H;
    put(f, "E001/tf/T1.level", t - 1000, 10.0);
    alert_point pts[] = {{sid(f, "E001/gd-1/lel"), t, 60, 0, 0},
                         {sid(f, "E001/gd-2/lel"), t, 70, 0, 0}};
    alert_points(f->al, pts, 2);
    json_t *r = risk_of(f, 0);
    assert_string_equal(json_string_value(json_object_get(r, "level")), "critical");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "gas_alarms"), "p1")),
                     2);
    assert_true(json_array_size(json_object_get(r, "reasons")) >= 1);
    json_decref(r);
    /* before the alarms (replay): normal */
    r = risk_of(f, t - 1);
    assert_string_equal(json_string_value(json_object_get(r, "level")), "normal");
    json_decref(r);
    bool (*only_e002)(void *, const char *) = NULL;
    (void)only_e002;
}

static bool keep_e002(void *ctx, const char *enterprise) {
    (void)ctx;
    return !strcmp(enterprise, "E002");
}

static void test_scope(void **state) {
    fx *f = *state;
    views_query q = {.keep = keep_e002};
    char *txt, err[256];
    size_t len;
    assert_int_equal(views_risk_layer(f->v, &q, &txt, &len, err, sizeof err), 0);
    json_t *fc = json_loads(txt, 0, NULL);
    free(txt);
    assert_int_equal(json_array_size(json_object_get(fc, "features")), 0);
    json_decref(fc);
    json_t *d;
    assert_int_not_equal(views_risk_source(f->v, &q, "HS1", 0, H, H, &d, err, sizeof err), 0);
}

/* PM2.5 at 75 ug/m3 for 24 hours is IAQI 100 (HJ 633 breakpoint), the
 * AQI, with PM2.5 primary; SO2 at 40 for the last hour is IAQI 14. */
static void test_aqi_and_idw(void **state) {
    fx *f = *state;
    int64_t t = f->noon + 30 * H;
    for (int k = 0; k < 24; k++) {
        for (int m = 0; m < 60; m += 10) {
            int64_t ts = t - (23 - k) * H - H + m * 60000 + 1;
            put(f, "PARK/aq-1/PM2_5", ts, 75);
            put(f, "PARK/aq-2/PM2_5", ts, 35);
            put(f, "PARK/aq-1/SO2", ts, 40);
        }
    }
    views_query q = {.at_ms = t};
    char *txt, err[256];
    size_t len;
    assert_int_equal(views_aqi_layer(f->v, &q, &txt, &len, err, sizeof err), 0);
    json_t *fc = json_loads(txt, 0, NULL);
    free(txt);
    json_t *feats = json_object_get(fc, "features");
    assert_int_equal(json_array_size(feats), 2);
    for (size_t i = 0; i < 2; i++) {
        json_t *p = json_object_get(json_array_get(feats, i), "properties");
        json_t *air = json_object_get(p, "air");
        const char *id = json_string_value(json_object_get(p, "id"));
        if (!strcmp(id, "AQ1")) {
            assert_int_equal(json_integer_value(json_object_get(air, "aqi")), 100);
            assert_string_equal(json_string_value(json_object_get(air, "pm_basis")), "24h");
            assert_string_equal(
                json_string_value(json_array_get(json_object_get(air, "primary"), 0)), "PM2.5");
            /* 40 / 150 x 50 = 13.3, rounded up (HJ 633) */
            assert_int_equal(
                json_integer_value(json_object_get(json_object_get(air, "iaqi"), "SO2_1h")), 14);
            assert_int_equal(json_array_size(json_object_get(air, "exceedances")),
                             0); /* 75 = limit */
        } else {
            assert_int_equal(json_integer_value(json_object_get(air, "aqi")), 50);
        }
    }
    json_decref(fc);
    /* the grid lies between the stations' values, nearest to each near it */
    assert_int_equal(views_idw(f->v, &q, "PM2_5", 20, 20, &txt, &len, err, sizeof err), 0);
    fc = json_loads(txt, 0, NULL);
    free(txt);
    feats = json_object_get(fc, "features");
    assert_int_equal(json_array_size(feats), 400);
    double lo = 1e9, hi = -1e9;
    for (size_t i = 0; i < 400; i++) {
        double v = json_number_value(
            json_object_get(json_object_get(json_array_get(feats, i), "properties"), "value"));
        lo = fmin(lo, v), hi = fmax(hi, v);
    }
    assert_true(lo >= 35 - 1e-9 && hi <= 75 + 1e-9 && hi - lo > 20);
    /* cell (0,0) is the south-west, near AQ1 (75) */
    json_t *sw = json_object_get(json_array_get(feats, 0), "properties");
    assert_true(json_number_value(json_object_get(sw, "value")) > 55);
    json_decref(fc);
    assert_int_not_equal(views_idw(f->v, &q, "smoke", 20, 20, &txt, &len, err, sizeof err), 0);
}

static json_t *zone(json_t *view, const char *endpoint) {
    size_t i;
    json_t *z;
    json_array_foreach(json_object_get(view, "zones"), i, z) {
        if (!strcmp(json_string_value(json_object_get(z, "endpoint")), endpoint)) return z;
    }
    fail_msg("no zone %s", endpoint);
    return NULL;
}

static bool has(json_t *arr, const char *key, const char *value) {
    size_t i;
    json_t *x;
    json_array_foreach(arr, i, x) {
        const char *s = key ? json_string_value(json_object_get(x, key)) : json_string_value(x);
        if (s && !strcmp(s, value)) return true;
    }
    return false;
}

/* 20 kg/s of propane at T1 in a 3 m/s easterly: the 50 % LEL footprint
 * reaches west over GD1 (20 m) and B-out (300 m) is inside the outer
 * zone or not depending on the plume; GD1 reading 60 %LEL confirms it,
 * GD3 reading 0 where the model puts gas disagrees; the east shelter is
 * upwind, the west one downwind is not offered. With the wind from the
 * north the footprint turns south. */
static void test_incident(void **state) {
    fx *f = *state;
    int64_t t = f->noon + 40 * H;
    put(f, "PARK/met-1/wind_speed", t - 1000, 3.0);
    put(f, "PARK/met-1/wind_dir", t - 1000, 90.0);
    put(f, "E001/gd-1/lel", t - 1000, 60.0);
    put(f, "E001/gd-3/lel", t - 1000, 0.0);
    views_incident_spec sp = {
        .tank_id = "T1", .release_kg_s = 20, .start_ms = t - 60000, .opened_by = "duty officer"};
    char id[32], err[256];
    assert_int_equal(views_incident_open(f->v, &sp, id, err, sizeof err), 0);
    views_query q = {.at_ms = t};
    json_t *v;
    assert_int_equal(views_incident_view(f->v, id, &q, &v, err, sizeof err), 0);
    assert_true(json_is_true(json_object_get(v, "active")));
    json_t *w = json_object_get(v, "weather");
    assert_false(json_is_true(json_object_get(w, "assumed")));
    assert_true(json_number_value(json_object_get(w, "wind_from_deg")) == 90);
    json_t *z50 = zone(v, "50% LEL");
    assert_true(json_is_object(json_object_get(z50, "polygon")));
    double reach = json_number_value(json_object_get(z50, "max_downwind_m"));
    assert_true(reach > 20);
    /* every polygon vertex lies west of the source (downwind) */
    json_t *ring =
        json_array_get(json_object_get(json_object_get(z50, "polygon"), "coordinates"), 0);
    size_t i;
    json_t *pt;
    double west = 0;
    json_array_foreach(ring, i, pt) west =
        fmin(west, json_number_value(json_array_get(pt, 0)) - LON0);
    assert_true(west < 0);
    json_array_foreach(ring, i, pt)
        assert_true(json_number_value(json_array_get(pt, 0)) <= mlon(1));
    /* the detectors inside, with verdicts */
    json_t *dets = json_object_get(z50, "detectors");
    json_t *gd;
    bool gd1 = false;
    json_array_foreach(dets, i, gd) {
        if (!strcmp(json_string_value(json_object_get(gd, "id")), "GD1")) {
            gd1 = true;
            assert_string_equal(json_string_value(json_object_get(gd, "verdict")), "confirms");
            assert_string_equal(json_string_value(json_object_get(gd, "unit")), "%LEL");
        }
        if (!strcmp(json_string_value(json_object_get(gd, "id")), "GD3"))
            assert_string_equal(json_string_value(json_object_get(gd, "verdict")), "disagrees");
    }
    assert_true(gd1);
    assert_false(has(dets, "id", "GD2")); /* upwind */
    /* what moves inside, from the closed-park module: the people tracked
     * there counted instead of the buildings' nominal occupancy */
    assert_true(inside_calls > 0);
    assert_string_equal(json_string_value(json_object_get(z50, "occupants_basis")), "tracked");
    assert_int_equal(json_integer_value(json_object_get(z50, "occupants")), 2);
    assert_true(json_is_integer(json_object_get(z50, "occupants_nominal")));
    assert_true(has(json_object_get(z50, "vehicles"), "plate", "沪A12345"));
    assert_true(has(json_object_get(z50, "people"), "name", "李四"));
    assert_true(has(json_object_get(z50, "enterprises"), NULL, "E001"));
    /* propane is heavier than air: the Britter-McQuaid screening beside
     * the Gaussian footprints, a distance for each endpoint */
    json_t *dg = json_object_get(v, "dense_gas");
    assert_true(json_is_true(json_object_get(dg, "dense")));
    assert_true(json_number_value(json_object_get(dg, "density_kg_m3")) > 1.2);
    assert_true(json_array_size(json_object_get(dg, "zones")) > 0);
    assert_true(json_number_value(json_object_get(json_array_get(json_object_get(dg, "zones"), 0),
                                                  "distance_m")) > 0);
    json_t *resp = json_object_get(v, "response");
    assert_true(has(json_object_get(resp, "shelters"), "id", "S-east"));
    assert_false(has(json_object_get(resp, "shelters"), "id", "S-west"));
    json_t *sh = json_array_get(json_object_get(resp, "shelters"), 0);
    assert_string_equal(json_string_value(json_object_get(sh, "side")), "upwind");
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(resp, "fire_stations"), 0), "id")),
                        "F1");
    /* the routes over the roads (response/): the staging point east of
     * the source (upwind), F1's engine there by R-F and R-NS, and nobody
     * sent west to the downwind shelter */
    json_t *routes = json_object_get(resp, "routes");
    assert_string_equal(json_string_value(json_object_get(routes, "type")), "FeatureCollection");
    json_t *rf, *staging = NULL, *engine = NULL;
    json_array_foreach(json_object_get(routes, "features"), i, rf) {
        json_t *pr = json_object_get(rf, "properties");
        const char *role = json_string_value(json_object_get(pr, "role"));
        if (!strcmp(role, "staging")) staging = rf;
        if (!strcmp(role, "responder")) engine = pr;
        if (!strcmp(role, "evacuation"))
            assert_string_not_equal(json_string_value(json_object_get(pr, "to")), "S-west");
    }
    assert_non_null(staging);
    assert_true(json_number_value(json_array_get(
                    json_object_get(json_object_get(staging, "geometry"), "coordinates"), 0)) >
                mlon(100));
    assert_non_null(engine);
    assert_string_equal(json_string_value(json_object_get(engine, "from")), "F1");
    assert_true(json_number_value(json_object_get(engine, "eta_s")) > 0);
    assert_true(has(json_object_get(engine, "roads"), NULL, "R-NS"));
    json_decref(v);
    /* nobody tracked there: the nominal occupancy stands */
    tracked_people = false;
    assert_int_equal(views_incident_view(f->v, id, &q, &v, err, sizeof err), 0);
    z50 = zone(v, "50% LEL");
    assert_string_equal(json_string_value(json_object_get(z50, "occupants_basis")), "nominal");
    assert_true(json_integer_value(json_object_get(z50, "occupants")) ==
                json_integer_value(json_object_get(z50, "occupants_nominal")));
    json_decref(v);
    tracked_people = true;
    /* the wind turns to come from the north: the footprint lies south */
    put(f, "PARK/met-1/wind_dir", t + 1000, 0.0);
    q.at_ms = t + 2000;
    assert_int_equal(views_incident_view(f->v, id, &q, &v, err, sizeof err), 0);
    ring = json_array_get(
        json_object_get(json_object_get(zone(v, "50% LEL"), "polygon"), "coordinates"), 0);
    double south = 0;
    json_array_foreach(ring, i, pt) {
        south = fmin(south, json_number_value(json_array_get(pt, 1)) - LAT0);
        assert_true(json_number_value(json_array_get(pt, 1)) <= mlat(1));
    }
    assert_true(south < 0);
    json_decref(v);
    /* before it started: nothing */
    q.at_ms = t - 120000;
    assert_int_equal(views_incident_view(f->v, id, &q, &v, err, sizeof err), 0);
    assert_false(json_is_true(json_object_get(v, "active")));
    json_decref(v);
    /* closed, and still there (closed) after a restart */
    assert_int_equal(views_incident_close(f->v, id, t + 5000, "duty officer", err, sizeof err), 0);
    assert_int_not_equal(views_incident_close(f->v, id, t + 6000, "x", err, sizeof err), 0);
    views_close(f->v);
    open_views(f);
    json_t *list;
    assert_int_equal(views_incidents(f->v, NULL, &list), 0);
    json_t *inc = NULL;
    json_array_foreach(json_object_get(list, "incidents"), i, pt) {
        if (!strcmp(json_string_value(json_object_get(pt, "id")), id)) inc = pt;
    }
    assert_non_null(inc);
    assert_int_equal(json_integer_value(json_object_get(inc, "end_ms")), t + 5000);
    assert_string_equal(json_string_value(json_object_get(inc, "opened_by")), "duty officer");
    json_decref(list);
    /* bad specs */
    views_incident_spec bad = {.tank_id = "nothing", .release_kg_s = 1};
    assert_int_not_equal(views_incident_open(f->v, &bad, id, err, sizeof err), 0);
    views_incident_spec nosub = {.lon = LON0, .lat = LAT0, .release_kg_s = 1};
    assert_int_not_equal(views_incident_open(f->v, &nosub, id, err, sizeof err), 0);
    views_incident_spec other = {.tank_id = "T1", .release_kg_s = 1, .only_enterprise = "E002"};
    assert_int_not_equal(views_incident_open(f->v, &other, id, err, sizeof err), 0);
    /* a hole: Bernoulli with the level over the hole */
    views_incident_spec hole = {.tank_id = "T1", .hole_mm = 25, .start_ms = t};
    assert_int_equal(views_incident_open(f->v, &hole, id, err, sizeof err), 0);
    q.at_ms = t + 1;
    assert_int_equal(views_incident_view(f->v, id, &q, &v, err, sizeof err), 0);
    double rate =
        json_number_value(json_object_get(json_object_get(v, "incident"), "release_kg_s"));
    /* 0.61 x pi/4 x 0.025^2 x sqrt(2 x 580 x 580 x 9.81 x 10) = 4.18 kg/s */
    assert_true(fabs(rate - 0.61 * M_PI / 4 * 0.025 * 0.025 * sqrt(2 * 580 * 580 * 9.81 * 10)) <
                0.01 * rate);
    json_decref(v);
    /* the journal keeps every number exact: reopened, the incidents are
     * where and what they were, bit for bit */
    json_t *before, *after;
    assert_int_equal(views_incidents(f->v, NULL, &before), 0);
    views_close(f->v);
    open_views(f);
    assert_int_equal(views_incidents(f->v, NULL, &after), 0);
    json_t *b = json_object_get(before, "incidents"), *a = json_object_get(after, "incidents");
    assert_int_equal(json_array_size(a), json_array_size(b));
    static const char *const keys[] = {"lon", "lat", "release_kg_s", "hole_mm", "height_m"};
    for (size_t i = 0; i < json_array_size(b); i++)
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
            double x = json_number_value(json_object_get(json_array_get(b, i), keys[k]));
            double y = json_number_value(json_object_get(json_array_get(a, i), keys[k]));
            if (memcmp(&x, &y, sizeof x)) fail_msg("%s: %.17g reloaded as %.17g", keys[k], x, y);
        }
    json_decref(before);
    json_decref(after);
}

/* Incidents in memory are bounded: past 10,000 the oldest closed one is
 * forgotten (the file keeps it), and with 10,000 open a new one is
 * refused, so a client opening incidents in a loop cannot grow parkd. */
/* Threat zones (issue 22): the view passes the scenario to consequence/
 * (whose numbers are checked against hand-worked examples in its own
 * tests), draws each zone and joins it with the park. */
static double metres_from_t1(double lon, double lat) {
    double dx = (lon - LON0) * 111320.0 * cos(LAT0 * M_PI / 180), dy = (lat - LAT0) * 110574.0;
    return hypot(dx, dy);
}

static json_t *threat_zone(json_t *v, const char *level) {
    size_t i;
    json_t *z;
    json_array_foreach(
        json_object_get(v, "zones"), i,
        z) if (!strcmp(json_string_value(json_object_get(z, "level")), level)) return z;
    return NULL;
}

static void test_threat_zones(void **state) {
    fx *f = *state;
    int64_t t = f->noon + 50 * H;
    put(f, "PARK/met-1/wind_speed", t - 1000, 2.0);
    put(f, "PARK/met-1/wind_dir", t - 1000, 90.0);
    views_query q = {.at_ms = t};
    char err[256];
    json_t *v, *req;
    /* 1000 kg of propane in the cloud at T1, yield 0.03, surface burst */
    req = json_pack("{s:s, s:s, s:f}", "model", "vce", "tank", "T1", "mass_kg", 1000.0);
    assert_int_equal(views_threat_zones(f->v, req, &q, &v, err, sizeof err), 0);
    json_decref(req);
    const cq_fuel *propane = cq_fuel_find("propane");
    assert_non_null(propane);
    double w;
    cq_zones z;
    assert_int_equal(cq_tnt_mass(1000, propane->heat_combustion_j_kg, 0.03, &w, NULL, 0), CQ_OK);
    assert_int_equal(cq_tnt_zones(CQ_BLAST_SURFACE_KB, w, CQ_P_ATM, &z, NULL, 0), CQ_OK);
    json_t *red = threat_zone(v, "red"), *yellow = threat_zone(v, "yellow");
    assert_true(fabs(json_number_value(json_object_get(red, "distance_m")) - z.red_m) < 0.06);
    assert_true(fabs(json_number_value(json_object_get(yellow, "distance_m")) - z.yellow_m) < 0.06);
    assert_string_equal(json_string_value(json_object_get(red, "unit")), "Pa");
    /* the red circle's vertices lie at its distance from T1 (0.5 %: the
     * test's own flat-earth metres) */
    json_t *ring =
        json_array_get(json_object_get(json_object_get(red, "polygon"), "coordinates"), 0);
    size_t i;
    json_t *pt;
    json_array_foreach(ring, i, pt) {
        double d = metres_from_t1(json_number_value(json_array_get(pt, 0)),
                                  json_number_value(json_array_get(pt, 1)));
        assert_true(fabs(d - z.red_m) < 0.005 * z.red_m + 0.5);
    }
    /* GD1 and GD2, 20 m from T1, are in the red zone (z.red_m is about 29
     * m); B-in, 85 m off, with its 500 people by day in the yellow one */
    assert_true(z.red_m > 20 && z.yellow_m > 85);
    assert_true(has(json_object_get(red, "detectors"), "id", "GD1"));
    assert_true(has(json_object_get(red, "detectors"), "id", "GD2"));
    assert_true(has(json_object_get(yellow, "buildings"), NULL, "B-in"));
    /* the school 92 m off is named in the yellow zone, not in the red */
    assert_true(has(json_object_get(yellow, "sensitive_targets"), "id", "ST-school"));
    assert_false(has(json_object_get(red, "sensitive_targets"), "id", "ST-school"));
    assert_false(has(json_object_get(red, "tanks"), "id", "T1")); /* not its own domino */
    assert_false(json_is_true(json_object_get(json_object_get(v, "weather"), "assumed")));
    json_decref(v);
    /* a BLEVE of T1 takes its full inventory by default: 1000 m3 x 580 */
    req = json_pack("{s:s, s:s}", "model", "bleve", "tank", "T1");
    assert_int_equal(views_threat_zones(f->v, req, &q, &v, err, sizeof err), 0);
    json_decref(req);
    json_t *in = json_object_get(v, "inputs");
    assert_true(json_number_value(json_object_get(in, "mass_kg")) == 580000);
    assert_true(json_number_value(json_object_get(threat_zone(v, "yellow"), "distance_m")) >
                json_number_value(json_object_get(threat_zone(v, "red"), "distance_m")));
    json_decref(v);
    /* a pool fire of propane over 400 m2 at T1: its three zones, and its
     * smoke rising (Briggs: the convective heat's buoyancy flux) */
    req = json_pack("{s:s, s:s, s:f}", "model", "pool_fire", "tank", "T1", "pool_area_m2", 400.0);
    assert_int_equal(views_threat_zones(f->v, req, &q, &v, err, sizeof err), 0);
    json_decref(req);
    double pr = json_number_value(json_object_get(threat_zone(v, "red"), "distance_m"));
    double py = json_number_value(json_object_get(threat_zone(v, "yellow"), "distance_m"));
    assert_true(pr > 0 && pr < py);
    json_t *smoke = json_object_get(json_object_get(v, "inputs"), "smoke");
    assert_true(json_number_value(json_object_get(smoke, "buoyancy_flux")) > 0);
    assert_true(json_number_value(json_object_get(smoke, "final_rise_m")) > 10);
    json_decref(v);
    /* chlorine, 1 kg/s at its boiling point, from a point: a corridor
     * downwind (west: the wind is from the east), red < orange < yellow */
    req = json_pack("{s:s, s:f, s:f, s:s, s:f, s:f}", "model", "dense_gas", "lon", LON0, "lat",
                    LAT0, "substance", "chlorine", "release_kg_s", 1.0, "release_temp_k", 239.1);
    assert_int_equal(views_threat_zones(f->v, req, &q, &v, err, sizeof err), 0);
    json_decref(req);
    double dr = json_number_value(json_object_get(threat_zone(v, "red"), "distance_m"));
    double dor = json_number_value(json_object_get(threat_zone(v, "orange"), "distance_m"));
    double dy = json_number_value(json_object_get(threat_zone(v, "yellow"), "distance_m"));
    assert_true(dr > 0 && dr < dor && dor < dy);
    ring = json_array_get(
        json_object_get(json_object_get(threat_zone(v, "yellow"), "polygon"), "coordinates"), 0);
    double westmost = 0;
    json_array_foreach(ring, i, pt) westmost =
        fmin(westmost, json_number_value(json_array_get(pt, 0)) - LON0);
    assert_true(westmost < 0);
    /* upwind (east) only the slump of the cloud, L_U = D/2 + 2 l_b */
    cq_bm_release rel = {.density_kg_m3 = cq_gas_density(0.0709, 239.1, CQ_P_ATM), .temp_k = 239.1};
    rel.rate_m3_s = 1.0 / rel.density_kg_m3;
    cq_air air = {.temp_k = 293.15, .pressure_pa = CQ_P_ATM, .wind_m_s = 2};
    cq_bm_params bp;
    assert_int_equal(cq_bm_plume_params(&rel, &air, &bp, NULL, 0), CQ_OK);
    double lu = bp.length_m / 2 + 2 * bp.lb_m, eastmost = -1e9;
    json_array_foreach(ring, i, pt) eastmost =
        fmax(eastmost, json_number_value(json_array_get(pt, 0)) - LON0);
    assert_true(eastmost > 0 && fabs(eastmost - mlon(lu) + LON0) < mlon(0.5) - LON0);
    assert_true(lu < dy / 10);
    json_decref(v);
    /* bad requests name the field */
    const struct {
        const char *body, *says;
    } bad[] = {
        {"{}", "model"},
        {"{\"model\": \"vce\", \"tank\": \"T1\"}", "mass_kg: required"},
        {"{\"model\": \"vce\", \"tank\": \"T1\", \"mass_kg\": -1}", "mass_kg"},
        {"{\"model\": \"vce\", \"tank\": \"nothing\", \"mass_kg\": 1}", "tank"},
        {"{\"model\": \"vce\", \"lon\": 121.45, \"lat\": 30.2, \"substance\": \"chlorine\", "
         "\"mass_kg\": 1}",
         "combustion"},
        {"{\"model\": \"vce\", \"tank\": \"T1\", \"mass_kg\": 1, \"yield\": 2}", "yield"},
        {"{\"model\": \"pool_fire\", \"tank\": \"T1\"}", "pool_area_m2"},
        {"{\"model\": \"dense_gas\", \"tank\": \"T1\", \"release_kg_s\": 1, \"mass_kg\": 1}",
         "release_kg_s"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        req = json_loads(bad[k].body, 0, NULL);
        err[0] = 0;
        assert_int_equal(views_threat_zones(f->v, req, &q, &v, err, sizeof err), -1);
        if (!strstr(err, bad[k].says))
            fail_msg("%s: \"%s\" lacks %s", bad[k].body, err, bad[k].says);
        json_decref(req);
    }
    /* an enterprise that does not own T1 cannot ask of it */
    views_query other = {.at_ms = t, .keep = keep_e002};
    req = json_pack("{s:s, s:s, s:f}", "model", "vce", "tank", "T1", "mass_kg", 1000.0);
    assert_int_equal(views_threat_zones(f->v, req, &other, &v, err, sizeof err), -1);
    json_decref(req);
}

static void test_incidents_bounded(void **state) {
    fx *f = *state;
    views_incident_spec sp = {.tank_id = "T1", .release_kg_s = 1, .start_ms = f->noon};
    char id[32], first[32] = "", err[256];
    int opened = 0;
    /* the earlier tests left a few incidents: open until refused */
    while (opened < 20000 && views_incident_open(f->v, &sp, id, err, sizeof err) == 0) {
        if (!first[0]) snprintf(first, sizeof first, "%s", id);
        opened++;
    }
    assert_true(opened > 9900 && opened <= 10000);
    assert_non_null(strstr(err, "open"));
    assert_int_equal(views_incident_close(f->v, first, 0, "duty", err, sizeof err), 0);
    assert_int_equal(views_incident_open(f->v, &sp, id, err, sizeof err), 0);
    json_t *list, *v;
    assert_int_equal(views_incidents(f->v, NULL, &list), 0);
    assert_int_equal(json_array_size(json_object_get(list, "incidents")), 10000);
    json_decref(list);
    views_query q = {0};
    assert_int_not_equal(views_incident_view(f->v, first, &q, &v, err, sizeof err), 0);
}

/* GD1 and GD2 guard T1: both raising gas alarms within two minutes
 * proposes an incident at T1. */
static void test_proposed_incident(void **state) {
    fx *f = *state;
    int64_t t = f->noon + 50 * H;
    json_t *list;
    assert_int_equal(views_incidents(f->v, NULL, &list), 0);
    size_t before = json_array_size(json_object_get(list, "incidents")), i;
    /* none while one is open at the tank: close what the last test left */
    json_t *inc;
    char err[256];
    json_array_foreach(json_object_get(list, "incidents"), i, inc) {
        if (json_is_null(json_object_get(inc, "end_ms")))
            views_incident_close(f->v, json_string_value(json_object_get(inc, "id")), t, "x", err,
                                 sizeof err);
    }
    json_decref(list);
    /* clear what earlier tests raised, then raise again */
    alert_point low[] = {{sid(f, "E001/gd-1/lel"), t, 0, 0, 0},
                         {sid(f, "E001/gd-2/lel"), t, 0, 0, 0}};
    alert_points(f->al, low, 2);
    alert_point a[] = {{sid(f, "E001/gd-1/lel"), t + 1000, 30, 0, 0}};
    alert_points(f->al, a, 1);
    assert_int_equal(views_incidents(f->v, NULL, &list), 0);
    assert_int_equal(json_array_size(json_object_get(list, "incidents")), before);
    json_decref(list);
    alert_point b[] = {{sid(f, "E001/gd-2/lel"), t + 30000, 30, 0, 0}};
    alert_points(f->al, b, 1);
    assert_int_equal(views_incidents(f->v, NULL, &list), 0);
    json_t *arr = json_object_get(list, "incidents");
    assert_int_equal(json_array_size(arr), before + 1);
    inc = json_array_get(arr, json_array_size(arr) - 1);
    assert_true(json_is_true(json_object_get(inc, "proposed")));
    assert_string_equal(json_string_value(json_object_get(inc, "tank")), "T1");
    assert_string_equal(json_string_value(json_object_get(inc, "substance")), "propane");
    json_decref(list);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_risk_day_night_and_replay),
        cmocka_unit_test(test_risk_live_state_and_scope),
        cmocka_unit_test(test_scope),
        cmocka_unit_test(test_aqi_and_idw),
        cmocka_unit_test(test_incident),
        cmocka_unit_test(test_proposed_incident),
        cmocka_unit_test(test_threat_zones),
        cmocka_unit_test(test_incidents_bounded), /* last: it leaves 10,000 open */
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
