/*
 * test_parksim_roads.c - parksim's own road network and router
 * (tools/parksim_roads.c), what its closed-park scenario drives on: on
 * the demo park's roads, the closed northern road avoided by hazardous
 * goods, the vehicle park's one-way loop, the designated chemical road
 * preferred, and positions and headings along a route.
 */
#include <jansson.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tools/parksim.h"

char *park_layout_geojson(int scale, uint64_t seed); /* tools/layout_gen.c */

void *xrealloc(void *p, size_t n) { /* parksim.c's */
    p = realloc(p, n);
    if (!p) abort();
    return p;
}

/* The layout's frame (layout_gen.c: metres from 121.42E 30.78N). */
static void xy(json_t *pt, double *x, double *y) {
    *x = (json_number_value(json_array_get(pt, 0)) - 121.42) * 111320.0 * cos(30.78 * PI / 180);
    *y = (json_number_value(json_array_get(pt, 1)) - 30.78) * 110850.0;
}

static cp_net *demo_net(void) {
    char *text = park_layout_geojson(1, 42);
    json_t *doc = json_loads(text, 0, NULL);
    free(text);
    assert_non_null(doc);
    cp_net *n = cp_net_new();
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(doc, "features"), i, f) {
        json_t *p = json_object_get(f, "properties");
        json_t *co = json_object_get(json_object_get(f, "geometry"), "coordinates");
        if (strcmp(json_string_value(json_object_get(p, "kind")), "road")) continue;
        size_t m = json_array_size(co);
        double pts[16];
        assert_true(m <= 8);
        for (size_t k = 0; k < m; k++) xy(json_array_get(co, k), &pts[2 * k], &pts[2 * k + 1]);
        const char *hz = json_string_value(json_object_get(p, "hazmat"));
        cp_net_add_road(n, pts, (int)m, json_number_value(json_object_get(p, "speed_kmh")),
                        !strcmp(hz, "designated") ? 1
                        : !strcmp(hz, "closed")   ? 2
                                                  : 0,
                        json_is_true(json_object_get(p, "oneway")));
    }
    json_decref(doc);
    cp_net_build(n);
    return n;
}

/* Gate 4 (-100, 5150) to gate 2 (2900, 5150), both 150 m north of the
 * closed northern road (y 4900): 250 + 3000 + 250 m along it; hazardous
 * goods go round by the road 1 km south: 1250 + 3000 + 1250 m. */
static void test_closed_road(void **state) {
    (void)state;
    cp_net *n = demo_net();
    cp_route r;
    assert_int_equal(cp_net_plan(n, -100, 5150, 2900, 5150, false, &r), 0);
    assert_true(fabs(r.length - 3500) < 1);
    cp_route_free(&r);
    assert_int_equal(cp_net_plan(n, -100, 5150, 2900, 5150, true, &r), 0);
    assert_true(fabs(r.length - 5500) < 1);
    for (int i = 0; i < r.n; i++) /* north of 4000 m only on the two gates' roads */
        if (r.xy[2 * i + 1] > 4000)
            assert_true(fabs(r.xy[2 * i] + 100) < 1 || fabs(r.xy[2 * i] - 2900) < 1);
    cp_route_free(&r);
    cp_net_free(n);
}

/* The vehicle park's loop runs (100, -100) south to (100, -300), east to
 * (200, -300), north to (200, -100): from its east side to its west side
 * 140 m north, 100 m west on the avenue and 140 m south (380 m); the
 * other way round 60 + 100 + 60 m. */
static void test_oneway_loop(void **state) {
    (void)state;
    cp_net *n = demo_net();
    cp_route r;
    assert_int_equal(cp_net_plan(n, 200, -240, 100, -240, false, &r), 0);
    assert_true(fabs(r.length - 380) < 1);
    cp_route_free(&r);
    assert_int_equal(cp_net_plan(n, 100, -240, 200, -240, false, &r), 0);
    assert_true(fabs(r.length - 220) < 1);
    cp_route_free(&r);
    cp_net_free(n);
}

/* The posted speeds: the chemical road (x -100) 40 km/h, a branch road
 * 30, the loop 20; and positions along a route with their headings
 * (north 0, clockwise). */
static void test_limits_and_positions(void **state) {
    (void)state;
    cp_net *n = demo_net();
    assert_true(cp_net_limit(n, -100, 2000) == 40);
    assert_true(cp_net_limit(n, 900, 2000) == 30);
    assert_true(cp_net_limit(n, 150, -300) == 20);
    /* gate 1 (-100, -250) to the junction (900, 900): north 1150 m on the
     * chemical road (designated: its time counts 0.8), then east 1 km */
    cp_route r;
    assert_int_equal(cp_net_plan(n, -100, -250, 900, 900, true, &r), 0);
    assert_true(fabs(r.length - 2150) < 1);
    double x, y, h;
    cp_route_at(&r, 500, &x, &y, &h);
    assert_true(fabs(x + 100) < 0.05 && fabs(y - 250) < 0.05 && fabs(h) < 0.05);
    cp_route_at(&r, 1650, &x, &y, &h);
    assert_true(fabs(x - 400) < 0.05 && fabs(y - 900) < 0.05 && fabs(h - 90) < 0.05);
    cp_route back;
    cp_route_reverse(&r, &back);
    cp_route_at(&back, 0, &x, &y, &h);
    assert_true(fabs(x - 900) < 0.05 && fabs(y - 900) < 0.05 && fabs(h - 270) < 0.05);
    cp_route_free(&back);
    cp_route_free(&r);
    cp_net_free(n);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_closed_road),
        cmocka_unit_test(test_oneway_loop),
        cmocka_unit_test(test_limits_and_positions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
