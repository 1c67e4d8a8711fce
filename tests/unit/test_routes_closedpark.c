/*
 * test_routes_closedpark.c - the closed-park routes against the API
 * in-process, over the demo park, a real historian and event store:
 * one vehicle's track zipped from its lat, lon and speed series (a lat
 * without its lon, a bad-quality lon, a missing speed; truncation at
 * different points in each series and where the answer may stop), the
 * plate percent-encoded UTF-8 in the path, who may read a track (an
 * enterprise: a plate it has an appointment for), bad parameters, and 503
 * on every route when the module is not configured. The flows through
 * parkd (appointments by role, gate events and positions over MQTT,
 * alarms) are tests/integration/openapi_check.py's.
 */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "api/api.h"
#include "closedpark/closedpark.h"
#include "common/clock.h"
#include "common/kit/httpclient.h"
#include "events/events.h"
#include "geo/geo.h"
#include "roads/roads.h"
#include "tests/support/park.h"

#ifndef PARKWATCH_SOURCE_DIR
#error "PARKWATCH_SOURCE_DIR must name the source tree"
#endif

#define PLATE                                                                                      \
    "\xe6\xb2\xaa"                                                                                 \
    "A12345" /* 沪A12345 */
#define PLATE_URL "%E6%B2%AAA12345"
#define PLATE_FMT "%%E6%%B2%%AAA12345" /* in call()'s format */

static struct {
    char dir[512], hdir[600], edir[600], toks[600];
    hist *h;
    ev_store *ev;
    geo_layout *g;
    roads *rd;
    closedpark *cp;
    api_server *s, *bare;
    int port, bare_port;
    int64_t t0; /* the track's first point */
    char admin[API_TOKEN_MAX], e1[API_TOKEN_MAX], e2[API_TOKEN_MAX], reg[API_TOKEN_MAX];
} A;

/* The vehicle's series: lat at t0 + 0..4 s, lon at 0, 1, 3 and 4 s (the
 * one at 4 s of bad quality), speed at 1 and 3 s. */
static void write_track(void) {
    hist_series_def defs[3] = {{.name = "PARK/vehicles/" PLATE ".lat"},
                               {.name = "PARK/vehicles/" PLATE ".lon"},
                               {.name = "PARK/vehicles/" PLATE ".speed"}};
    uint32_t id[3];
    hist_error he;
    assert_int_equal(hist_series_ensure(A.h, defs, 3, id, &he), HIST_OK);
    hist_point p[16];
    size_t n = 0;
    for (int k = 0; k < 5; k++) p[n++] = (hist_point){id[0], 0, A.t0 + 1000 * k, 30.78 + k * 1e-4};
    const int lon_at[] = {0, 1, 3, 4};
    for (int i = 0; i < 4; i++)
        p[n++] = (hist_point){id[1], lon_at[i] == 4 ? HIST_QUALITY_BAD : 0, A.t0 + 1000 * lon_at[i],
                              121.42 + lon_at[i] * 1e-4};
    p[n++] = (hist_point){id[2], 0, A.t0 + 1000, 10};
    p[n++] = (hist_point){id[2], 0, A.t0 + 3000, 30};
    assert_int_equal(hist_append(A.h, p, n, &he), HIST_OK);
}

static int setup(void **state) {
    (void)state;
    testutil_tmpdir(A.dir, sizeof A.dir, "cp-api");
    snprintf(A.hdir, sizeof A.hdir, "%s/historian", A.dir);
    snprintf(A.edir, sizeof A.edir, "%s/events", A.dir);
    snprintf(A.toks, sizeof A.toks, "%s/tokens.json", A.dir);
    hist_error he;
    assert_int_equal(hist_open(A.hdir, NULL, &A.h, &he), HIST_OK);
    char err[256];
    assert_int_equal(ev_open(A.edir, NULL, &A.ev, err, sizeof err), EV_OK);
    const char *paths[] = {PARKWATCH_SOURCE_DIR "/geo/demo-park.geojson"};
    geo_problems gp = {0};
    if (geo_load(paths, 1, NULL, &A.g, &gp) != 0) fail_msg("the demo park does not load");
    assert_int_equal(roads_build(A.g, &A.rd, err, sizeof err), 0);
    closedpark_options co;
    closedpark_options_default(&co);
    co.layout = A.g, co.roads = A.rd, co.events = A.ev;
    assert_int_equal(closedpark_open(&co, &A.cp, err, sizeof err), CP_OK);
    api_token_info info;
    struct {
        api_role role;
        const char *ent;
        char *out;
    } toks[] = {{API_ROLE_ADMIN, "", A.admin},
                {API_ROLE_ENTERPRISE, "E001", A.e1},
                {API_ROLE_ENTERPRISE, "E002", A.e2},
                {API_ROLE_REGULATOR, "", A.reg}};
    for (size_t i = 0; i < sizeof toks / sizeof *toks; i++)
        assert_int_equal(api_token_create(A.toks, toks[i].role, toks[i].ent, "t", 0, toks[i].out,
                                          &info, err, sizeof err),
                         0);
    A.t0 = pw_wall_ms() - 3600000;
    write_track();
    api_options o;
    api_options_default(&o);
    o.historian = A.h, o.token_file = A.toks, o.listen = "127.0.0.1:0";
    o.closedpark = A.cp;
    assert_int_equal(api_start(&o, &A.s, err, sizeof err), 0);
    A.port = api_port(A.s);
    o.closedpark = NULL;
    assert_int_equal(api_start(&o, &A.bare, err, sizeof err), 0);
    A.bare_port = api_port(A.bare);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    api_stop(A.s);
    api_stop(A.bare);
    closedpark_close(A.cp);
    roads_free(A.rd);
    geo_close(A.g);
    ev_close(A.ev);
    close_historian(A.h);
    testutil_rmtree(A.dir);
    return 0;
}

static json_t *call(int port, const char *method, const char *token, int *status, const char *fmt,
                    ...) __attribute__((format(printf, 5, 6)));
static json_t *call(int port, const char *method, const char *token, int *status, const char *fmt,
                    ...) {
    char path[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(path, sizeof path, fmt, ap);
    va_end(ap);
    http_resp r;
    assert_int_equal(http_request(port, method, path, token, "application/json",
                                  strcmp(method, "POST") ? NULL : "{}",
                                  strcmp(method, "POST") ? 0 : 2, &r, 10000),
                     0);
    *status = r.status;
    json_t *j = json_loads(r.body, 0, NULL);
    if (!j) fail_msg("%s %s: not JSON: %s", method, path, r.body);
    http_resp_free(&r);
    return j;
}

/* The track's points as text, "[lon,lat,ts-t0,speed]" each, to compare. */
static void points_text(json_t *tr, char *out, size_t cap) {
    size_t i, k = 0;
    json_t *p;
    out[0] = 0;
    json_array_foreach(json_object_get(tr, "points"), i, p) {
        json_t *sp = json_array_get(p, 3);
        char speed[32];
        if (json_is_null(sp))
            snprintf(speed, sizeof speed, "null");
        else
            snprintf(speed, sizeof speed, "%g", json_number_value(sp));
        k += (size_t)snprintf(out + k, cap - k, "[%.4f,%.4f,%lld,%s]",
                              json_number_value(json_array_get(p, 0)),
                              json_number_value(json_array_get(p, 1)),
                              (long long)(json_integer_value(json_array_get(p, 2)) - A.t0), speed);
        if (k >= cap) break;
    }
}

static void test_track_zipped(void **state) {
    (void)state;
    int st;
    char got[512];
    json_t *tr = call(A.port, "GET", A.reg, &st, "/api/v1/vehicles/" PLATE_FMT "/track?from=%lld",
                      (long long)A.t0);
    assert_int_equal(st, 200);
    assert_string_equal(json_string_value(json_object_get(tr, "plate")), PLATE);
    points_text(tr, got, sizeof got);
    /* 2 s: no lon; 4 s: its lon is bad; 0 s: no speed */
    assert_string_equal(got, "[121.4200,30.7800,0,null][121.4201,30.7801,1000,10]"
                             "[121.4203,30.7803,3000,30]");
    assert_int_equal(json_integer_value(json_object_get(tr, "count")), 3);
    assert_false(json_is_true(json_object_get(tr, "truncated")));
    assert_null(json_object_get(tr, "next_from"));
    json_decref(tr);
    /* 2 points a series: lat and lon both end at 1 s, so does the answer */
    tr = call(A.port, "GET", A.admin, &st,
              "/api/v1/vehicles/" PLATE_FMT "/track?from=%lld&to=%lld&limit=2", (long long)A.t0,
              (long long)A.t0 + 5000);
    assert_int_equal(st, 200);
    points_text(tr, got, sizeof got);
    assert_string_equal(got, "[121.4200,30.7800,0,null][121.4201,30.7801,1000,10]");
    assert_true(json_is_true(json_object_get(tr, "truncated")));
    assert_int_equal(json_integer_value(json_object_get(tr, "next_from")), A.t0 + 1001);
    json_decref(tr);
    /* 3: lat ends at 2 s, lon at 3 s: the answer stops after 2 s (the lon
     * at 3 s is not given before its lat is known) */
    tr = call(A.port, "GET", A.admin, &st,
              "/api/v1/vehicles/" PLATE_FMT "/track?from=%lld&to=%lld&limit=3", (long long)A.t0,
              (long long)A.t0 + 5000);
    points_text(tr, got, sizeof got);
    assert_string_equal(got, "[121.4200,30.7800,0,null][121.4201,30.7801,1000,10]");
    assert_int_equal(json_integer_value(json_object_get(tr, "next_from")), A.t0 + 2001);
    json_decref(tr);
    /* from next_from on: the rest */
    tr = call(A.port, "GET", A.admin, &st,
              "/api/v1/vehicles/" PLATE_FMT "/track?from=%lld&to=%lld&limit=3",
              (long long)A.t0 + 2001, (long long)A.t0 + 5000);
    points_text(tr, got, sizeof got);
    assert_string_equal(got, "[121.4203,30.7803,3000,30]");
    assert_false(json_is_true(json_object_get(tr, "truncated")));
    json_decref(tr);
    /* a plate never seen: no points */
    tr = call(A.port, "GET", A.admin, &st, "/api/v1/vehicles/%%E6%%B2%%AAZ00000/track");
    assert_int_equal(st, 200);
    assert_int_equal(json_array_size(json_object_get(tr, "points")), 0);
    json_decref(tr);
}

/* An enterprise reads the track of a plate booked to it, not another's. */
static void test_track_scope(void **state) {
    (void)state;
    int st;
    json_t *j = call(A.port, "GET", A.e1, &st, "/api/v1/vehicles/" PLATE_FMT "/track?from=-2h");
    assert_int_equal(st, 404);
    json_decref(j);
    int64_t now = pw_wall_ms();
    json_t *req =
        json_pack("{s:s, s:s, s:I, s:I, s:s, s:s}", "plate", PLATE, "enterprise", "E001",
                  "window_from", (json_int_t)(now - 7200000), "window_to",
                  (json_int_t)(now + 3600000), "gate", "PARK-G1", "destination", "E001-T101");
    json_t *appt = NULL;
    char err[256];
    assert_int_equal(closedpark_appointment_add(A.cp, req, "", now, &appt, err, sizeof err), CP_OK);
    json_decref(req);
    json_decref(appt);
    j = call(A.port, "GET", A.e1, &st, "/api/v1/vehicles/" PLATE_FMT "/track?from=-2h");
    assert_int_equal(st, 200);
    assert_int_equal(json_integer_value(json_object_get(j, "count")), 3);
    json_decref(j);
    j = call(A.port, "GET", A.e2, &st, "/api/v1/vehicles/" PLATE_FMT "/track?from=-2h");
    assert_int_equal(st, 404);
    json_decref(j);
    /* a range before the appointment's window: not E001's to read */
    j = call(A.port, "GET", A.e1, &st, "/api/v1/vehicles/" PLATE_FMT "/track?from=-5h&to=-3h");
    assert_int_equal(st, 404);
    json_decref(j);
    /* the appointment is E001's, listed by its plate decoded from the query */
    j = call(A.port, "GET", A.e1, &st, "/api/v1/appointments?plate=" PLATE_FMT);
    assert_int_equal(st, 200);
    assert_int_equal(json_integer_value(json_object_get(j, "total")), 1);
    json_decref(j);
    j = call(A.port, "GET", A.e2, &st, "/api/v1/appointments?plate=" PLATE_FMT);
    assert_int_equal(json_integer_value(json_object_get(j, "total")), 0);
    json_decref(j);
}

static void expect_status(int port, const char *method, const char *token, int want,
                          const char *path) {
    int st;
    json_t *j = call(port, method, token, &st, "%s", path);
    if (st != want)
        fail_msg("%s %s: %d, expected %d: %s", method, path, st, want,
                 json_string_value(json_object_get(json_object_get(j, "error"), "message")));
    json_decref(j);
}

static void test_bad_parameters(void **state) {
    (void)state;
    static const char *const bad[] = {
        "/api/v1/vehicles/%FFA1/track", /* not UTF-8 */
        "/api/v1/vehicles/A%01B",       /* a control character */
        "/api/v1/vehicles/" PLATE_URL "/track?limit=0",
        "/api/v1/vehicles/" PLATE_URL "/track?limit=100001",
        "/api/v1/vehicles/" PLATE_URL "/track?from=now&to=-1h",
        "/api/v1/vehicles/" PLATE_URL "/track?to=tomorrow",
        "/api/v1/vehicles?at=9999999999999999999",
        "/api/v1/appointments?state=parked",
        "/api/v1/appointments?limit=1001",
        "/api/v1/appointments?from=-1h&to=-2h",
        "/api/v1/appointments/"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "/api/v1/gates/passages?limit=10001",
        "/api/v1/gates/passages?from=-1h&to=-2h",
        "/api/v1/gates/passages?gate=%FF",
        "/api/v1/zones/%FF"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        expect_status(A.port, "GET", A.admin, 400, bad[i]);
    expect_status(A.port, "GET", A.e2, 403, "/api/v1/appointments?enterprise=E001");
    expect_status(A.port, "GET", A.admin, 404, "/api/v1/zones/NO-ZONE");
    expect_status(A.port, "GET", A.e2, 404, "/api/v1/zones/E001-ZONE-1");
    expect_status(A.port, "GET", A.e1, 200, "/api/v1/zones/E001-ZONE-1");
    expect_status(A.port, "POST", A.reg, 403, "/api/v1/appointments");
    expect_status(A.port, "POST", A.admin, 404, "/api/v1/appointments/A20000101-0001/cancel");
}

/* Without the module (no layout) every route says so: 503. */
static void test_not_configured(void **state) {
    (void)state;
    static const char *const get[] = {"/api/v1/appointments",
                                      "/api/v1/appointments/A20261207-0001",
                                      "/api/v1/vehicles",
                                      "/api/v1/vehicles?at=now",
                                      "/api/v1/vehicles/" PLATE_URL,
                                      "/api/v1/vehicles/" PLATE_URL "/track",
                                      "/api/v1/gates/passages",
                                      "/api/v1/closedpark/summary",
                                      "/api/v1/vehicle-park",
                                      "/api/v1/zones",
                                      "/api/v1/zones/E001-ZONE-1"};
    for (size_t i = 0; i < sizeof get / sizeof *get; i++)
        expect_status(A.bare_port, "GET", A.reg, 503, get[i]);
    expect_status(A.bare_port, "POST", A.admin, 503, "/api/v1/appointments");
    expect_status(A.bare_port, "POST", A.admin, 503, "/api/v1/appointments/A20261207-0001/cancel");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_track_zipped),
        cmocka_unit_test(test_track_scope),
        cmocka_unit_test(test_bad_parameters),
        cmocka_unit_test(test_not_configured),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
