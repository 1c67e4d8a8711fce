/*
 * test_layout_roads.c - the demo park's roads (tools/layout_gen.c) as
 * roads/ builds them: one network on which every gate reaches every
 * enterprise's plot and every tank, hazardous goods too (never over the
 * closed northern road), the one-way loop through the vehicle park driven
 * one way only, and the restricted zone never crossed.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "geo/geo.h"
#include "roads/roads.h"

char *park_layout_geojson(int scale, uint64_t seed); /* tools/layout_gen.c */

static geo_layout *demo;
static roads *net;

static int setup(void **state) {
    (void)state;
    char *text = park_layout_geojson(1, 42);
    const char *texts[] = {text}, *names[] = {"demo"};
    geo_problems p = {0};
    int rc = geo_load_text(texts, names, 1, NULL, &demo, &p);
    free(text);
    geo_problems_free(&p);
    char err[256];
    if (rc == 0 && roads_build(demo, &net, err, sizeof err) != 0) {
        print_error("roads_build: %s\n", err);
        rc = -1;
    }
    return rc;
}

static int teardown(void **state) {
    (void)state;
    roads_free(net);
    geo_close(demo);
    return 0;
}

static bool takes(const roads_route *rt, const char *road) {
    for (size_t i = 0; i < rt->n_road_ids; i++)
        if (!strcmp(rt->road_ids[i], road)) return true;
    return false;
}

static const geo_feature *by_id(const char *id) {
    long i = geo_find(demo, id);
    assert_true(i >= 0);
    return geo_get(demo, (size_t)i);
}

/* 65 roads (13 of the grid, 30 plant roads, 15 tank farm lanes, 6 gate
 * roads, the loop), all noded into one network: each of the 6 gates
 * reaches each of the 30 plots and the 150 tanks, with and without
 * hazardous goods; hazardous goods never over the closed road. */
static void test_every_gate_reaches_every_plot(void **state) {
    (void)state;
    roads_info info;
    roads_get_info(net, &info);
    assert_int_equal(info.n_roads, 65);
    roads_constraints hazmat = {.hazmat = true};
    int routes = 0;
    for (size_t g = 0; g < geo_count_all(demo); g++) {
        const geo_feature *gate = geo_get(demo, g);
        if (gate->kind != GEO_GATE) continue;
        roads_position at;
        assert_int_equal(roads_nearest(net, gate->x, gate->y, 0, &at), 0);
        assert_true(at.distance_m <= ROADS_SNAP_M);
        for (size_t e = 0; e < geo_count_all(demo); e++) {
            const geo_feature *to = geo_get(demo, e);
            if (to->kind != GEO_ENTERPRISE && to->kind != GEO_TANK) continue;
            for (int h = 0; h < 2; h++) {
                roads_route rt;
                char err[128];
                if (roads_plan(net, gate->x, gate->y, to->x, to->y, h ? &hazmat : NULL, &rt, err,
                               sizeof err) != 0)
                    fail_msg("%s to %s%s: %s", gate->id, to->id, h ? " (hazmat)" : "", err);
                /* the legs off the network are short: the plot's point is
                 * 30 m from its plant road, a tank 70 m from its lane */
                assert_true(hypot(rt.xy[0] - gate->x, rt.xy[1] - gate->y) < 1);
                assert_true(rt.length_m < 12000);
                if (h) assert_false(takes(&rt, "PARK-RX6"));
                roads_route_free(&rt);
                routes++;
            }
        }
    }
    assert_int_equal(routes, 6 * 180 * 2);
}

/* Gate 4 (north-west) to gate 2 (north-middle): 3.5 km along the
 * northern road, which hazardous goods may not take: they go round by
 * Weiwu Road, 5.5 km. */
static void test_closed_road(void **state) {
    (void)state;
    const geo_feature *g4 = by_id("PARK-G4"), *g2 = by_id("PARK-G2");
    roads_route any, hz;
    char err[128];
    roads_constraints hazmat = {.hazmat = true};
    assert_int_equal(roads_plan(net, g4->x, g4->y, g2->x, g2->y, NULL, &any, err, sizeof err), 0);
    assert_int_equal(roads_plan(net, g4->x, g4->y, g2->x, g2->y, &hazmat, &hz, err, sizeof err), 0);
    assert_true(takes(&any, "PARK-RX6"));
    assert_false(takes(&hz, "PARK-RX6"));
    assert_true(fabs(any.length_m - 3500) < 40);
    assert_true(fabs(hz.length_m - 5500) < 40);
    roads_route_free(&any);
    roads_route_free(&hz);
}

/* The vehicle park's loop is one-way (in on its west side, out on its
 * east): from its east side back to its west side a vehicle leaves by
 * the exit and comes in again by the entrance (over the avenue), about
 * 200 + 100 + 200 m, not the 100 m straight back. */
static void test_oneway_loop(void **state) {
    (void)state;
    const geo_feature *vp = by_id("PARK-VP1");
    roads_position on;
    /* the loop's east side, 50 m east of the park's point; its west side 50 m west */
    assert_int_equal(roads_nearest(net, vp->x + 50, vp->y, 5, &on), 0);
    assert_string_equal(on.road_id, "PARK-RS1");
    roads_route rt;
    char err[128];
    assert_int_equal(
        roads_plan(net, vp->x + 50, vp->y, vp->x - 50, vp->y, NULL, &rt, err, sizeof err), 0);
    assert_true(rt.length_m > 350);
    assert_true(takes(&rt, "PARK-RX1"));
    roads_route_free(&rt);
}

/* No route of a hazardous-goods vehicle from any gate to any tank passes
 * through the restricted zone (the administrative centre and school). */
static void test_restricted_zone_clear(void **state) {
    (void)state;
    const geo_feature *z = by_id("PARK-ZONE-1");
    double x0, y0, x1, y1;
    assert_int_equal(geo_project(demo, z->bbox[0], z->bbox[1], &x0, &y0), 0);
    assert_int_equal(geo_project(demo, z->bbox[2], z->bbox[3], &x1, &y1), 0);
    roads_constraints hazmat = {.hazmat = true};
    for (size_t g = 0; g < geo_count_all(demo); g++) {
        const geo_feature *gate = geo_get(demo, g);
        if (gate->kind != GEO_GATE) continue;
        for (size_t t = 0; t < geo_count_all(demo); t++) {
            const geo_feature *tank = geo_get(demo, t);
            if (tank->kind != GEO_TANK) continue;
            roads_route rt;
            char err[128];
            assert_int_equal(
                roads_plan(net, gate->x, gate->y, tank->x, tank->y, &hazmat, &rt, err, sizeof err),
                0);
            for (size_t i = 0; i < rt.n_points; i++) {
                double x = rt.xy[2 * i], y = rt.xy[2 * i + 1];
                if (x > x0 && x < x1 && y > y0 && y < y1)
                    fail_msg("%s to %s passes the restricted zone", gate->id, tank->id);
            }
            roads_route_free(&rt);
        }
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_gate_reaches_every_plot),
        cmocka_unit_test(test_closed_road),
        cmocka_unit_test(test_oneway_loop),
        cmocka_unit_test(test_restricted_zone_clear),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
