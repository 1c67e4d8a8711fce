/*
 * test_parkd_closedpark.c - parkd's closed-park glue (tools/parkd_closedpark.c)
 * over the demo park, a real historian, alarm engine and event store: what
 * it wires (the observer and its prefixes, the API's and the views' module,
 * the event takers), the config's thresholds checked, no layout leaving it
 * off, and the observer putting one message's readings back together by
 * entity and time: positions in time order whatever the readings' order,
 * a lat without its lon, a bad-quality lon and a name without a field
 * dropped and counted, a field of no position ignored, a person's tag.
 */
#include <jansson.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/clock.h"
#include "tests/support/park.h"
#include "tools/parkd_closedpark.h"

#ifndef PARKWATCH_SOURCE_DIR
#error "PARKWATCH_SOURCE_DIR must name the source tree"
#endif

#define PLATE                                                                                      \
    "\xe6\xb2\xaa"                                                                                 \
    "A12345"             /* 沪A12345 */
#define LON0 121.4214638 /* E001-T101 */
#define LAT0 30.7816238

static struct {
    char dir[512];
    hist *h;
    alert_engine *al;
    parkd_conditions *pc;
    parkd_events pev;
    geo_layout *g;
    parkd_config c;
    parkd_closedpark *p;
} T;

static int setup(void **state) {
    (void)state;
    testutil_tmpdir(T.dir, sizeof T.dir, "parkd-cp");
    char d[700], err[256];
    hist_error he;
    snprintf(d, sizeof d, "%s/historian", T.dir);
    assert_int_equal(hist_open(d, NULL, &T.h, &he), HIST_OK);
    snprintf(d, sizeof d, "%s/alarms", T.dir);
    assert_int_equal(alert_open(d, &T.al, err, sizeof err), 0);
    assert_int_equal(parkd_conditions_open(d, T.h, T.al, &T.pc, err, sizeof err), 0);
    assert_int_equal(parkd_events_open(&T.pev, T.dir, err, sizeof err), 0);
    const char *paths[] = {PARKWATCH_SOURCE_DIR "/geo/demo-park.geojson"};
    geo_problems gp = {0};
    if (geo_load(paths, 1, NULL, &T.g, &gp) != 0) fail_msg("the demo park does not load");
    T.c.root = json_loads("{\"closedpark\": {\"off_route_m\": 20, \"stopped_min\": 0.5}}", 0, NULL);
    T.c.ents[0].id = "E001", T.c.ents[1].id = "E002", T.c.ents[2].id = "PARK";
    T.c.n_ents = 3;
    assert_int_equal(parkd_closedpark_open(&T.c, T.g, &T.pev, T.pc, &T.p, err, sizeof err), 0);
    assert_non_null(T.p);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    parkd_closedpark_close(T.p);
    parkd_events_close(&T.pev);
    parkd_conditions_close(T.pc);
    alert_close(T.al);
    close_historian(T.h);
    geo_close(T.g);
    json_decref(T.c.root);
    testutil_rmtree(T.dir);
    return 0;
}

static void test_wired(void **state) {
    (void)state;
    const ingest_options *o = &T.c.svc.pipeline;
    assert_non_null(o->observe);
    assert_ptr_equal(o->observe_ctx, T.p);
    assert_int_equal(o->n_observe_prefixes, 2);
    assert_string_equal(o->observe_prefixes[0], "PARK/vehicles/");
    assert_string_equal(o->observe_prefixes[1], "PARK/people/");
    assert_ptr_equal(T.c.api.closedpark, parkd_closedpark_module(T.p));
    assert_non_null(T.c.views.inside);
    assert_ptr_equal(T.c.views.inside_ctx, parkd_closedpark_module(T.p));
    assert_int_equal(T.pev.n_types, 2);
    assert_string_equal(T.pev.types[0].type, "gate_passage");
    assert_string_equal(T.pev.types[1].type, "badge");
    /* a gate passage through the dispatcher reaches the module */
    char body[512], why[256] = "";
    snprintf(body, sizeof body,
             "{\"type\": \"gate_passage\", \"ts\": %lld, \"gate\": \"PARK-G1\", \"direction\": "
             "\"in\", \"plate\": \"\xe6\xb2\xaa"
             "C77777\", \"enterprise\": \"E002\"}",
             (long long)pw_wall_ms());
    assert_int_equal(
        parkd_events_http("", body, strlen(body), pw_wall_ms(), why, sizeof why, &T.pev), 0);
    json_t *v = NULL;
    assert_int_equal(closedpark_vehicle(parkd_closedpark_module(T.p), "",
                                        "\xe6\xb2\xaa"
                                        "C77777",
                                        pw_wall_ms(), &v),
                     CP_OK);
    assert_true(json_is_true(json_object_get(json_object_get(v, "properties"), "inside")));
    json_decref(v);
}

static void test_observer(void **state) {
    (void)state;
    int64_t t = pw_wall_ms() - 2000;
    double dlat = 10 / 110540.0; /* 10 m north: 36 km/h over a second */
    /* one message, its readings in no useful order */
    const ingest_observed pts[] = {
        {"PARK/vehicles/" PLATE ".lat", 1, t, LAT0 + dlat, 0},
        {"PARK/vehicles/\xe6\xb2\xaa"
         "B00001.lat",
         2, t, LAT0, 0}, /* no lon: dropped */
        {"PARK/vehicles/" PLATE ".speed", 3, t, 36, 0},
        {"PARK/vehicles/" PLATE ".lon", 4, t - 1000, LON0, 0}, /* the earlier position */
        {"PARK/people/P0042.lon", 5, t, LON0, 0},
        {"PARK/vehicles/" PLATE ".heading", 6, t, 0, 0},
        {"PARK/vehicles/" PLATE ".lon", 4, t, LON0, 0},
        {"PARK/vehicles/nodot", 7, t, 1, 0},                        /* no field: dropped */
        {"PARK/vehicles/" PLATE ".odometer", 8, t + 5000, 1234, 0}, /* no position: ignored */
        {"PARK/vehicles/" PLATE ".lat", 1, t - 1000, LAT0, 0},
        {"PARK/people/P0042.lat", 9, t, LAT0, 0},
        {"PARK/vehicles/V3.lat", 10, t, LAT0, 0},
        {"PARK/vehicles/V3.lon", 11, t, LON0, HIST_QUALITY_BAD}, /* no measurement: dropped */
    };
    T.c.svc.pipeline.observe(pts, sizeof pts / sizeof *pts, T.c.svc.pipeline.observe_ctx);
    parkd_closedpark_counts k;
    parkd_closedpark_counts_get(T.p, &k);
    assert_int_equal(k.vehicle_positions, 2);
    assert_int_equal(k.person_positions, 1);
    assert_int_equal(k.dropped, 3);
    assert_int_equal(k.rejected, 0);
    assert_int_equal(k.store_errors, 0);
    closedpark *cp = parkd_closedpark_module(T.p);
    json_t *v = NULL;
    assert_int_equal(closedpark_vehicle(cp, "", PLATE, pw_wall_ms(), &v), CP_OK);
    json_t *pr = json_object_get(v, "properties");
    assert_int_equal(json_integer_value(json_object_get(pr, "ts")), t);
    assert_float_equal(json_number_value(json_object_get(pr, "speed")), 36, 1e-9);
    assert_float_equal(json_number_value(json_object_get(pr, "heading")), 0, 1e-9);
    json_t *track = json_object_get(pr, "track");
    assert_int_equal(json_array_size(track), 2);
    assert_int_equal(json_integer_value(json_array_get(json_array_get(track, 0), 2)), t - 1000);
    json_decref(v);
    assert_int_equal(closedpark_vehicle(cp, "",
                                        "\xe6\xb2\xaa"
                                        "B00001",
                                        pw_wall_ms(), &v),
                     CP_ENOTFOUND);
    assert_int_equal(closedpark_vehicle(cp, "", "V3", pw_wall_ms(), &v), CP_ENOTFOUND);
    closedpark_counters cc;
    closedpark_stats(cp, &cc);
    assert_int_equal(cc.person_positions, 1);
    assert_int_equal(cc.rejected_old + cc.rejected_bad + cc.rejected_jump, 0);
}

static void test_config_and_no_layout(void **state) {
    (void)state;
    static parkd_config c; /* large: not on the stack */
    char err[256] = "";
    parkd_closedpark *p = (parkd_closedpark *)(uintptr_t)1; /* overwritten */
    c.root = json_loads("{}", 0, NULL);
    assert_int_equal(parkd_closedpark_open(&c, NULL, &T.pev, T.pc, &p, err, sizeof err), 0);
    assert_null(p);
    assert_null(c.svc.pipeline.observe);
    assert_null(c.api.closedpark);
    parkd_closedpark_tick(NULL, 0);
    parkd_closedpark_close(NULL);
    json_decref(c.root);
    static const char *const bad[] = {
        "{\"closedpark\": 5}", "{\"closedpark\": {\"off_route_m\": 0}}",
        "{\"closedpark\": {\"off_route_s\": \"30\"}}", "{\"closedpark\": {\"stopped_min\": 1e9}}",
        "{\"closedpark\": {\"speeding_margin_kmh\": -1}}"};
    const char *named[] = {"closedpark", "closedpark.off_route_m", "closedpark.off_route_s",
                           "closedpark.stopped_min", "closedpark.speeding_margin_kmh"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        c.root = json_loads(bad[i], 0, NULL);
        err[0] = 0;
        assert_int_equal(parkd_closedpark_open(&c, T.g, &T.pev, T.pc, &p, err, sizeof err), -1);
        assert_null(p);
        if (strncmp(err, named[i], strlen(named[i])))
            fail_msg("%s: \"%s\" does not name %s", bad[i], err, named[i]);
        json_decref(c.root);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wired),
        cmocka_unit_test(test_observer),
        cmocka_unit_test(test_config_and_no_layout),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
