/*
 * test_roads.c - the road network of tests/fixtures/roads-grid.geojson,
 * whose vertices are whole metres in UTM 51N (EPSG:32651) from the origin
 * X0, Y0 (local x east, y north), so every length below is worked out by
 * hand. The network, in local metres:
 *
 *          (0,600) R-N, branch, no posted speed: 30 km/h    (1000,600)
 *     y=600   +--------------------+--------------------+
 *             |                    |                    |
 *        R-W  | 36 km/h      R-M   | 36 km/h,      R-E  | 36 km/h,
 *   (drawn from (0,1):      hazmat | "closed"   "designated"
 *    a T 1 m short of R-S)  (500,-200)-(500,800): crosses
 *             |              R-S and R-N, no shared vertex
 *     y=0  +--+--------+-----------+-----+--------------+  R-S, 36 km/h (posted over main's 40)
 *     (-100,0) (0,0)  (300,0)   (500,0) (700,0)   (1000,0)
 *                      |                  |
 *                      |  R-O one-way,    |   R-O: (300,0) -> (300,-300) -> (700,-300)
 *                      |  service 20 km/h |          -> (700,0), only in that direction
 *            (300,-300)+------------------+(700,-300)
 *
 *   R-I, an island: (2000,0)-(2000,300) and (2000,300)-(2300,300), service.
 *
 * Speeds: 36 km/h is 10 m/s, 30 km/h 8.333 m/s, 20 km/h 5.556 m/s.
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

#include "geo/geo.h"
#include "roads/roads.h"

#define X0  308000.0
#define Y0  3409000.0
#define TOL 0.05 /* metres (and seconds): the fixture's degrees carry 0.01 mm */

static geo_layout *g;
static roads *net;

static char *read_text(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
        free(s);
        s = NULL;
    }
    if (s) s[n] = 0;
    fclose(f);
    return s;
}

static geo_layout *load_text(const char *text) {
    const char *texts[] = {text}, *names[] = {"roads"};
    geo_layout *l = NULL;
    geo_problems p = {0};
    if (geo_load_text(texts, names, 1, NULL, &l, &p) != 0)
        fail_msg("load: %zu problems, first: %s %s", p.n, p.n ? p.v[0].feature : "",
                 p.n ? p.v[0].message : "");
    geo_problems_free(&p);
    return l;
}

static int setup(void **state) {
    (void)state;
    char *text = read_text(PARKWATCH_SOURCE_DIR "/tests/fixtures/roads-grid.geojson");
    if (!text) return -1;
    g = load_text(text);
    free(text);
    char err[256];
    if (roads_build(g, &net, err, sizeof err) != 0) {
        fprintf(stderr, "roads_build: %s\n", err);
        return -1;
    }
    return 0;
}

static int teardown(void **state) {
    (void)state;
    roads_free(net);
    geo_close(g);
    return 0;
}

/* Plans from local (xa, ya) to (xb, yb). */
static int plan(double xa, double ya, double xb, double yb, const roads_constraints *c,
                roads_route *rt, char *err) {
    return roads_plan(net, X0 + xa, Y0 + ya, X0 + xb, Y0 + yb, c, rt, err, 256);
}

static void assert_route(const roads_route *rt, double length_m, double duration_s,
                         const char *const *ids, size_t n_ids) {
    if (fabs(rt->length_m - length_m) > TOL || fabs(rt->duration_s - duration_s) > TOL)
        fail_msg("route: %.3f m %.3f s, expected %.3f m %.3f s", rt->length_m, rt->duration_s,
                 length_m, duration_s);
    assert_int_equal(rt->n_road_ids, n_ids);
    for (size_t k = 0; k < n_ids; k++) assert_string_equal(rt->road_ids[k], ids[k]);
    /* The polyline's own length is the route's. */
    double len = 0;
    for (size_t k = 1; k < rt->n_points; k++)
        len += hypot(rt->xy[2 * k] - rt->xy[2 * k - 2], rt->xy[2 * k + 1] - rt->xy[2 * k - 1]);
    assert_true(fabs(len - rt->length_m) < 1e-6);
}

static void assert_point(const roads_route *rt, size_t k, double x, double y) {
    assert_true(k < rt->n_points);
    if (fabs(rt->xy[2 * k] - (X0 + x)) > TOL || fabs(rt->xy[2 * k + 1] - (Y0 + y)) > TOL)
        fail_msg("point %zu: (%.3f, %.3f), expected (%.3f, %.3f)", k, rt->xy[2 * k] - X0,
                 rt->xy[2 * k + 1] - Y0, x, y);
}

/* Seven roads; nodes: R-S's ends and its junctions at x = 0 (R-W's T),
 * 300 and 700 (R-O's ends), 500 (R-M's crossing), 1000 (R-E); R-N's at
 * 0, 500, 1000; R-M's ends; R-O's two corners; R-I's three: 16. Edges:
 * R-S 5, R-N 2, R-W 1, R-M 3, R-E 1, R-O 3, R-I 2: 17. Length: 1100 +
 * 1000 + 600 (R-W's 1 m gap closed) + 1000 + 600 + 1000 + 600 = 5900. */
static void test_network(void **state) {
    (void)state;
    assert_string_equal(geo_metric_crs(g), "EPSG:32651");
    roads_info in;
    roads_get_info(net, &in);
    assert_int_equal(in.n_roads, 7);
    assert_int_equal(in.n_nodes, 16);
    assert_int_equal(in.n_edges, 17);
    assert_true(fabs(in.length_m - 5900) < TOL);
}

/* (480,0) to (480,600): by R-M, 20 m of R-S (2 s), 600 m of R-M (60 s),
 * 20 m of R-N (2.4 s): 640 m, 64.4 s. West by R-W would be 1560 m. */
static void test_shortest(void **state) {
    (void)state;
    roads_route rt;
    char err[256];
    assert_int_equal(plan(480, 0, 480, 600, NULL, &rt, err), 0);
    const char *ids[] = {"R-S", "R-M", "R-N"};
    assert_route(&rt, 640, 64.4, ids, 3);
    assert_int_equal(rt.n_points, 4); /* start and end on the roads: no legs */
    assert_point(&rt, 0, 480, 0);
    assert_point(&rt, 1, 500, 0);
    assert_point(&rt, 2, 500, 600);
    assert_point(&rt, 3, 480, 600);
    /* The ends are the points asked for, not their snaps (a few
     * micrometres off through the projection). */
    assert_true(rt.xy[0] == X0 + 480 && rt.xy[1] == Y0);
    assert_true(rt.xy[6] == X0 + 480 && rt.xy[7] == Y0 + 600);
    roads_route_free(&rt);
    assert_null(rt.xy);
}

/* The T drawn 1 m short is a junction: (50,-30) to (50,600) is a 30 m leg
 * to (50,0) (at R-S's speed, 3 s), 50 m of R-S (5 s), R-W's 600 m (60 s),
 * 50 m of R-N (6 s): 730 m, 74 s; by R-M it would be 1530 m. */
static void test_t_junction_and_legs(void **state) {
    (void)state;
    roads_route rt;
    char err[256];
    assert_int_equal(plan(50, -30, 50, 600, NULL, &rt, err), 0);
    const char *ids[] = {"R-S", "R-W", "R-N"};
    assert_route(&rt, 730, 74, ids, 3);
    assert_int_equal(rt.n_points, 5);
    assert_point(&rt, 0, 50, -30);
    assert_point(&rt, 1, 50, 0);
    assert_point(&rt, 2, 0, 0); /* the junction on R-S, not R-W's end at (0,1) */
    assert_point(&rt, 3, 0, 600);
    assert_point(&rt, 4, 50, 600);
    roads_route_free(&rt);
}

/* A hazardous-goods vehicle never takes R-M. From (480,0) to (480,600):
 * west, 480 + 600 + 480 m at 10, 10 and 8.333 m/s, costs 48 + 60 + 57.6 =
 * 165.6 s; east, 520 + 600 + 520 m on designated R-E (its 60 s counting
 * 48) costs 52 + 48 + 62.4 = 162.4 s: east, 1640 m taking 174.4 s. A
 * vehicle without dangerous goods compares the same two at 165.6 and
 * 174.4 s (test_areas). */
static void test_hazmat(void **state) {
    (void)state;
    roads_route rt;
    char err[256];
    roads_constraints hz = {.hazmat = true};
    assert_int_equal(plan(480, 0, 480, 600, &hz, &rt, err), 0);
    const char *ids[] = {"R-S", "R-E", "R-N"};
    assert_route(&rt, 1640, 174.4, ids, 3);
    roads_route_free(&rt);
    /* Starting at R-M's south end, the vehicle snaps to the nearest road
     * it may take: R-O's bottom at (500,-300), a 100 m leg; then R-O's
     * one-way east and north (200 + 300 m), R-S east 300 m, R-E 600 m
     * (costing 48 s, taking 60), R-N west 500 m: 2000 m. West by R-W would
     * cost 70 + 60 + 60 s on R-S, R-W and R-N against 30 + 48 + 60. The
     * leg goes at R-O's 20 km/h: 18 s; in all 18 + 90 + 30 + 60 + 60 = 258 s. */
    assert_int_equal(plan(500, -200, 500, 600, &hz, &rt, err), 0);
    const char *ids2[] = {"R-O", "R-S", "R-E", "R-N"};
    assert_route(&rt, 2000, 258, ids2, 4);
    assert_point(&rt, 1, 500, -300);
    roads_route_free(&rt);
}

/* R-O is one-way: (400,-300) to (600,-300) is 200 m of it (36 s); back
 * the vehicle goes on round: 100 + 300 m of R-O (72 s), 400 m of R-S west
 * (40 s), 300 + 100 m of R-O (72 s): 1200 m, 184 s. */
static void test_oneway(void **state) {
    (void)state;
    roads_route rt;
    char err[256];
    assert_int_equal(plan(400, -300, 600, -300, NULL, &rt, err), 0);
    const char *there[] = {"R-O"};
    assert_route(&rt, 200, 36, there, 1);
    roads_route_free(&rt);
    assert_int_equal(plan(600, -300, 400, -300, NULL, &rt, err), 0);
    const char *back[] = {"R-O", "R-S", "R-O"};
    assert_route(&rt, 1200, 184, back, 3);
    roads_route_free(&rt);
    /* On R-O's bottom itself, backwards: the same way round. */
    assert_int_equal(plan(650, -300, 350, -300, NULL, &rt, err), 0);
    /* 50 + 300 + 300 + 50 m of R-O (126 s) and 400 of R-S (40 s). */
    assert_route(&rt, 1100, 166, back, 3);
    roads_route_free(&rt);
}

static void square(double *xy, double x0, double y0, double x1, double y1) {
    const double v[] = {x0, y0, x1, y0, x1, y1, x0, y1};
    for (int k = 0; k < 8; k++) xy[k] = v[k] + (k % 2 ? Y0 : X0);
}

static void test_areas(void **state) {
    (void)state;
    roads_route rt;
    char err[256];
    double xy[8];
    const double *rings[] = {xy};
    size_t n[] = {4};
    roads_constraints c = {.area_xy = rings, .area_n = n, .n_areas = 1};
    /* Across R-M's middle: west, 480 m of R-S (48 s), R-W (60 s), 480 m of
     * R-N (57.6 s): 1560 m, 165.6 s (east: 1640 m, 174.4 s). */
    square(xy, 450, 250, 550, 350);
    assert_int_equal(plan(480, 0, 480, 600, &c, &rt, err), 0);
    const char *west[] = {"R-S", "R-W", "R-N"};
    assert_route(&rt, 1560, 165.6, west, 3);
    roads_route_free(&rt);
    /* Far from every road: the direct way. */
    square(xy, 5000, 5000, 5100, 5100);
    assert_int_equal(plan(480, 0, 480, 600, &c, &rt, err), 0);
    assert_true(fabs(rt.length_m - 640) < TOL);
    roads_route_free(&rt);
    /* R-N inside the area whole (its two edges; the roads to it cross the
     * area's edge): nothing reaches (480,600). */
    square(xy, -50, 550, 1050, 650);
    assert_int_equal(plan(480, 0, 480, 600, &c, &rt, err), -1);
    assert_non_null(strstr(err, "no route"));
    assert_null(rt.xy);
    /* On R-S between (300,0) and (500,0), west of the start: that edge is
     * refused, but its piece from the start east to R-M is not. */
    square(xy, 400, -10, 440, 10);
    assert_int_equal(plan(480, 0, 480, 600, &c, &rt, err), 0);
    const char *mid[] = {"R-S", "R-M", "R-N"};
    assert_route(&rt, 640, 64.4, mid, 3);
    roads_route_free(&rt);
    /* From (350,0), west of the area, the piece east is refused: west to
     * R-W, 350 + 600 + 480 m: 35 + 60 + 57.6 s. */
    assert_int_equal(plan(350, 0, 480, 600, &c, &rt, err), 0);
    assert_route(&rt, 1430, 152.6, west, 3);
    roads_route_free(&rt);
    /* With a second area across R-W, the only way east from (350,0) is
     * R-O's loop: 50 m of R-S west to (300,0) (5 s), R-O's 1000 m (180 s),
     * then R-S west 200 m to R-M (20 s), R-M (60 s), R-N 20 m (2.4 s):
     * 1870 m, 267.4 s (by R-E instead: 337.4 s). */
    double xy2[8];
    square(xy2, -20, 250, 20, 350);
    const double *rings2[] = {xy, xy2};
    size_t n2[] = {4, 4};
    roads_constraints c2 = {.area_xy = rings2, .area_n = n2, .n_areas = 2};
    assert_int_equal(plan(350, 0, 480, 600, &c2, &rt, err), 0);
    const char *round[] = {"R-S", "R-O", "R-S", "R-M", "R-N"};
    assert_route(&rt, 1870, 267.4, round, 5);
    roads_route_free(&rt);
    /* Bad areas are refused with a message. */
    size_t bad_n[] = {2};
    roads_constraints bad = {.area_xy = rings, .area_n = bad_n, .n_areas = 1};
    assert_int_equal(plan(480, 0, 480, 600, &bad, &rt, err), -1);
    assert_non_null(strstr(err, "area 0"));
}

/* Evacuation (issue 22): from inside an area, with a penalty, the route
 * leaves by the quickest way out and does not come back; on foot, one
 * speed for every road and one-way streets walked both ways. */
static void test_way_out_and_on_foot(void **state) {
    (void)state;
    roads_route rt;
    char err[256];
    double xy[8];
    const double *rings[] = {xy};
    size_t n[] = {4};
    square(xy, 450, 250, 550, 350);
    roads_constraints c = {.area_xy = rings, .area_n = n, .n_areas = 1};
    /* (500,300) on R-M is inside: refused without a penalty. */
    assert_int_equal(plan(500, 300, 0, 600, &c, &rt, err), -1);
    assert_non_null(strstr(err, "no route"));
    /* With 10: north on R-M 300 m (30 s, costing 300) then R-N west 500 m
     * (60 s): cost 360; south (300) then R-S 500 m (50 s) and R-W (60 s):
     * 410. North: 800 m, 90 s, 300 m of it in the area (the piece counts
     * whole). */
    c.area_penalty = 10;
    assert_int_equal(plan(500, 300, 0, 600, &c, &rt, err), 0);
    const char *north[] = {"R-M", "R-N"};
    assert_route(&rt, 800, 90, north, 2);
    assert_true(fabs(rt.in_areas_m - 300) < TOL);
    roads_route_free(&rt);
    /* From outside, the area is still kept out of when a way round exists
     * at less than ten times the cost: test_areas' west route, nothing in it. */
    assert_int_equal(plan(480, 0, 480, 600, &c, &rt, err), 0);
    const char *west[] = {"R-S", "R-W", "R-N"};
    assert_route(&rt, 1560, 165.6, west, 3);
    assert_true(rt.in_areas_m == 0);
    roads_route_free(&rt);
    /* On foot at 5 km/h: against R-O's one way, 200 m: 144 s. */
    roads_constraints foot = {.speed_kmh = 5, .oneway_ignored = true};
    assert_int_equal(plan(600, -300, 400, -300, &foot, &rt, err), 0);
    const char *ro[] = {"R-O"};
    assert_route(&rt, 200, 144, ro, 1);
    roads_route_free(&rt);
    /* On foot keeping one-way rules: round by R-S, 1200 m: 864 s. */
    foot.oneway_ignored = false;
    assert_int_equal(plan(600, -300, 400, -300, &foot, &rt, err), 0);
    const char *back[] = {"R-O", "R-S", "R-O"};
    assert_route(&rt, 1200, 864, back, 3);
    roads_route_free(&rt);
    /* A penalty below 1 and a speed out of range are refused. */
    c.area_penalty = 0.5;
    assert_int_equal(plan(500, 300, 0, 600, &c, &rt, err), -1);
    assert_non_null(strstr(err, "area_penalty"));
    foot.speed_kmh = -1;
    assert_int_equal(plan(600, -300, 400, -300, &foot, &rt, err), -1);
}

static void test_unreachable(void **state) {
    (void)state;
    roads_route rt;
    char err[256] = "";
    assert_int_equal(plan(480, 0, 2000, 100, NULL, &rt, err), -1);
    assert_non_null(strstr(err, "no route"));
    assert_null(rt.xy);
    assert_int_equal(rt.n_road_ids, 0);
    /* Within the island: R-I's two parts are one road taken once, 200 +
     * 200 m at 20 km/h: 72 s. */
    assert_int_equal(plan(2000, 100, 2200, 300, NULL, &rt, err), 0);
    const char *ids[] = {"R-I"};
    assert_route(&rt, 400, 72, ids, 1);
    roads_route_free(&rt);
    /* From a point to itself: no way to go, nothing taken. */
    assert_int_equal(plan(480, 0, 480, 0, NULL, &rt, err), 0);
    assert_int_equal(rt.n_points, 1);
    assert_true(rt.length_m == 0 && rt.duration_s == 0 && rt.n_road_ids == 0);
    roads_route_free(&rt);
    /* Not a number. */
    assert_int_equal(roads_plan(net, NAN, 0, 0, 0, NULL, &rt, err, sizeof err), -1);
}

static double brute(const roads_route *rt, double x, double y) {
    double best = INFINITY;
    for (size_t k = 0; k + 1 < rt->n_points; k++) {
        double ax = rt->xy[2 * k], ay = rt->xy[2 * k + 1];
        double bx = rt->xy[2 * k + 2], by = rt->xy[2 * k + 3];
        double dx = bx - ax, dy = by - ay,
               t = ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy);
        t = t < 0 ? 0 : t > 1 ? 1 : t;
        best = fmin(best, hypot(x - ax - t * dx, y - ay - t * dy));
    }
    return best;
}

static void test_route_distance(void **state) {
    (void)state;
    roads_route rt;
    char err[256];
    /* (480,0) (500,0) (500,600) (480,600). */
    assert_int_equal(plan(480, 0, 480, 600, NULL, &rt, err), 0);
    const double probe[][3] = {
        {500, 300, 0}, {530, 300, 30}, {490, 650, 50}, {400, -100, 128.0624847}, {480, 0, 0}};
    for (size_t k = 0; k < sizeof probe / sizeof probe[0]; k++) {
        double d = roads_route_distance(&rt, X0 + probe[k][0], Y0 + probe[k][1], NULL);
        assert_true(fabs(d - probe[k][2]) < 1e-3);
    }
    /* A vehicle driving it with 7 m of sideways wander, hinted: the same
     * distances as the scan, the hint following it to the last segment. */
    size_t hint = 0;
    for (int i = 0; i <= 64; i++) {
        double s = i * 10.0, x, y; /* s metres along the 640 */
        if (s <= 20)
            x = 480 + s, y = 0;
        else if (s <= 620)
            x = 500, y = s - 20;
        else
            x = 500 - (s - 620), y = 600;
        x += 7 * sin(i * 1.3);
        y += 7 * cos(i * 0.7);
        double d = roads_route_distance(&rt, X0 + x, Y0 + y, &hint);
        assert_true(fabs(d - brute(&rt, X0 + x, Y0 + y)) < 1e-9);
    }
    assert_int_equal(hint, 2);
    /* A hint past the end is taken as the last segment. */
    hint = 99;
    assert_true(roads_route_distance(&rt, X0 + 500, Y0 + 300, &hint) < 1e-3);
    assert_int_equal(hint, 1);
    roads_route_free(&rt);

    /* The one-way's way back doubles on itself: (600,-300) (700,-300)
     * (700,0) (500,0) (the junction with R-M) (300,0) (300,-300)
     * (400,-300). At (400,-290) with the hint
     * at the start the walk stops 200 m off at the first segment: far, so
     * the whole route is scanned: 10 m from the last one. */
    assert_int_equal(plan(600, -300, 400, -300, NULL, &rt, err), 0);
    assert_int_equal(rt.n_points, 7);
    assert_point(&rt, 3, 500, 0);
    hint = 0;
    double d = roads_route_distance(&rt, X0 + 400, Y0 - 290, &hint);
    assert_true(fabs(d - 10) < 1e-3);
    assert_int_equal(hint, 5);
    d = roads_route_distance(&rt, X0 + 350, Y0 - 295, &hint);
    assert_true(fabs(d - 5) < 1e-3);
    /* Off the route by 300 m, anywhere: the exact distance with a hint or without. */
    for (size_t h0 = 0; h0 < 6; h0++) {
        hint = h0;
        d = roads_route_distance(&rt, X0 + 500, Y0 + 300, &hint);
        assert_true(fabs(d - 300) < 1e-3);
        assert_true(fabs(d - brute(&rt, X0 + 500, Y0 + 300)) < 1e-9);
    }
    roads_route_free(&rt);
    assert_true(isinf(roads_route_distance(&rt, X0, Y0, NULL)));
}

static void test_nearest(void **state) {
    (void)state;
    roads_position p;
    assert_int_equal(roads_nearest(net, X0 + 250, Y0 + 5, 0, &p), 0);
    assert_string_equal(p.road_id, "R-S");
    assert_int_equal(p.road, geo_find(g, "R-S"));
    assert_true(fabs(p.distance_m - 5) < 1e-3);
    assert_true(p.speed_kmh == 36); /* posted, over main's 40 */
    assert_int_equal(p.hazmat, ROADS_HAZMAT_ALLOWED);

    assert_int_equal(roads_nearest(net, X0 + 800, Y0 + 598, 0, &p), 0);
    assert_string_equal(p.road_id, "R-N");
    assert_true(fabs(p.distance_m - 2) < 1e-3);
    assert_true(p.speed_kmh == 30); /* branch, no posted speed */

    assert_int_equal(roads_nearest(net, X0 + 2010, Y0 + 100, 0, &p), 0);
    assert_string_equal(p.road_id, "R-I");
    assert_true(fabs(p.distance_m - 10) < 1e-3);
    assert_true(p.speed_kmh == 20); /* service */

    assert_int_equal(roads_nearest(net, X0 + 500, Y0 + 900, 0, &p), 0);
    assert_string_equal(p.road_id, "R-M");
    assert_true(fabs(p.distance_m - 100) < 1e-3); /* its north end */
    assert_int_equal(p.hazmat, ROADS_HAZMAT_CLOSED);

    assert_int_equal(roads_nearest(net, X0 + 1150, Y0 + 300, 0, &p), 0);
    assert_string_equal(p.road_id, "R-E");
    assert_true(fabs(p.distance_m - 150) < 1e-3);
    assert_int_equal(p.hazmat, ROADS_HAZMAT_DESIGNATED);
    assert_int_equal(roads_nearest(net, X0 + 1150, Y0 + 300, 149, &p), -1);
    assert_int_equal(roads_nearest(net, X0 + 1150, Y0 + 300, 151, &p), 0);

    /* Within 10 m of (250,50): nothing (R-S is 50 m off). */
    assert_int_equal(roads_nearest(net, X0 + 250, Y0 + 50, 10, &p), -1);
    assert_int_equal(p.road, -1);
    assert_string_equal(p.road_id, "");
    /* Far outside the network, any distance: R-I's east end. */
    assert_int_equal(roads_nearest(net, X0 + 50000, Y0 + 300, 0, &p), 0);
    assert_string_equal(p.road_id, "R-I");
    assert_true(fabs(p.distance_m - (50000 - 2300)) < 1e-3);
}

/* A layout without roads: an empty network every route fails on. */
static void test_empty(void **state) {
    (void)state;
    double lon, lat;
    assert_int_equal(geo_unproject(g, X0, Y0, &lon, &lat), 0);
    char text[512];
    snprintf(text, sizeof text,
             "{\"type\": \"FeatureCollection\", \"features\": [{\"type\": \"Feature\", "
             "\"geometry\": {\"type\": \"Point\", \"coordinates\": [%.10f, %.10f]}, "
             "\"properties\": {\"id\": \"G1\", \"kind\": \"gate\"}}]}",
             lon, lat);
    geo_layout *l = load_text(text);
    roads *r;
    char err[256];
    assert_int_equal(roads_build(l, &r, err, sizeof err), 0);
    roads_info in;
    roads_get_info(r, &in);
    assert_int_equal(in.n_roads + in.n_nodes + in.n_edges, 0);
    roads_route rt;
    assert_int_equal(roads_plan(r, X0, Y0, X0 + 10, Y0, NULL, &rt, err, sizeof err), -1);
    assert_non_null(strstr(err, "no route"));
    roads_position p;
    assert_int_equal(roads_nearest(r, X0, Y0, 0, &p), -1);
    roads_free(r);
    geo_close(l);
}

/* Roads given as local metre polylines ({x, y, ...}, n points each) made
 * into a layout through the fixture's own projection (the ids R0, R1...). */
static geo_layout *layout_of(const double *const *lines, const size_t *n, size_t n_lines) {
    size_t cap = 4096, len = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    len += (size_t)snprintf(text, cap, "{\"type\": \"FeatureCollection\", \"features\": [");
    for (size_t k = 0; k < n_lines; k++) {
        len += (size_t)snprintf(text + len, cap - len,
                                "%s{\"type\": \"Feature\", \"properties\": {\"id\": \"R%zu\", "
                                "\"kind\": \"road\"}, \"geometry\": {\"type\": \"LineString\", "
                                "\"coordinates\": [",
                                k ? "," : "", k);
        for (size_t i = 0; i < n[k]; i++) {
            double lon, lat;
            assert_int_equal(
                geo_unproject(g, X0 + lines[k][2 * i], Y0 + lines[k][2 * i + 1], &lon, &lat), 0);
            len += (size_t)snprintf(text + len, cap - len, "%s[%.10f, %.10f]", i ? ", " : "", lon,
                                    lat);
        }
        len += (size_t)snprintf(text + len, cap - len, "]}}");
        assert_true(len < cap);
    }
    snprintf(text + len, cap - len, "]}");
    geo_layout *l = load_text(text);
    free(text);
    return l;
}

/* How drawings that almost meet are noded. R0 (0,0)-(100,0); R1 from
 * (50,1.5) north, a T 1.5 m short; R2 from (101,1) north, an L corner
 * 1.4 m off R0's end; R3 from (75,1.5) south, crossing R0 and overshooting
 * it by 1.5 m (the stub goes); R4 (60,40) (51.5,50) (60,60), a vertex
 * passing 1.5 m from R1: not a junction (only ends snap). Nodes: R0's
 * (0,0) (50,0) (75,0) (100,0), R1's, R2's and R3's far ends, R4's three:
 * 10. Edges: R0 3, R1 1, R2 1 ((100,0) to (101,100)), R3 1, R4 2: 8. */
static void test_snapping(void **state) {
    (void)state;
    const double r0[] = {0, 0, 100, 0}, r1[] = {50, 1.5, 50, 100}, r2[] = {101, 1, 101, 100};
    const double r3[] = {75, 1.5, 75, -100}, r4[] = {60, 40, 51.5, 50, 60, 60};
    const double *lines[] = {r0, r1, r2, r3, r4};
    const size_t n[] = {2, 2, 2, 2, 3};
    geo_layout *l = layout_of(lines, n, 5);
    roads *r;
    char err[256];
    assert_int_equal(roads_build(l, &r, err, sizeof err), 0);
    roads_info in;
    roads_get_info(r, &in);
    assert_int_equal(in.n_nodes, 10);
    assert_int_equal(in.n_edges, 8);
    double r2_len = hypot(1, 100), r4_len = 2 * hypot(8.5, 10);
    assert_true(fabs(in.length_m - (100 + 100 + r2_len + 100 + r4_len)) < TOL);
    /* R1's top to R2's top: 100 + 50 + 100.005 m. */
    roads_route rt;
    assert_int_equal(
        roads_plan(r, X0 + 50, Y0 + 100, X0 + 101, Y0 + 100, NULL, &rt, err, sizeof err), 0);
    assert_true(fabs(rt.length_m - (150 + r2_len)) < TOL);
    assert_int_equal(rt.n_road_ids, 3);
    assert_string_equal(rt.road_ids[0], "R1");
    assert_string_equal(rt.road_ids[1], "R0");
    assert_string_equal(rt.road_ids[2], "R2");
    roads_route_free(&rt);
    /* R3's south end to R1's top: 100 + 25 + 100 m, through the crossing. */
    assert_int_equal(
        roads_plan(r, X0 + 75, Y0 - 100, X0 + 50, Y0 + 100, NULL, &rt, err, sizeof err), 0);
    assert_true(fabs(rt.length_m - 225) < TOL);
    roads_route_free(&rt);
    /* R4 is on its own. */
    assert_int_equal(roads_plan(r, X0 + 60, Y0 + 40, X0 + 50, Y0 + 100, NULL, &rt, err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "no route"));
    roads_free(r);
    geo_close(l);

    /* An end 1.9 m from two roads that cross 2.7 m from it: its feet on
     * them (1.9 m from the crossing) join the crossing, and so does the
     * end, though the crossing itself is beyond ROADS_SNAP_M. R0 (0,0)-
     * (100,0), R1 (50,-50)-(50,50), R2 from (51.9,1.9) to (100,50). */
    const double c0[] = {0, 0, 100, 0}, c1[] = {50, -50, 50, 50}, c2[] = {51.9, 1.9, 100, 50};
    const double *cross[] = {c0, c1, c2};
    const size_t cn[] = {2, 2, 2};
    l = layout_of(cross, cn, 3);
    assert_int_equal(roads_build(l, &r, err, sizeof err), 0);
    roads_get_info(r, &in);
    assert_int_equal(in.n_nodes, 6); /* the crossing and five ends */
    assert_int_equal(in.n_edges, 5);
    /* (100,50) to (50,-50): R2 to the crossing, 50 m of R1 south. */
    assert_int_equal(roads_plan(r, X0 + 100, Y0 + 50, X0 + 50, Y0 - 50, NULL, &rt, err, sizeof err),
                     0);
    assert_true(fabs(rt.length_m - (hypot(50, 50) + 50)) < TOL);
    roads_route_free(&rt);
    roads_free(r);
    geo_close(l);
}

/* A lattice of n east-west and n north-south roads 100 m apart, each
 * overshooting the outer ones by 50 m, drawn in metres and unprojected
 * with the layout's own projection: n * n crossings and 4n ends are the
 * nodes, each road n + 1 edges, each road 100 n metres long. Corner to
 * corner is 2 * 100 (n - 1) metres whichever way. */
static void test_lattice(void **state) {
    (void)state;
    enum { n = 30 };
    size_t cap = 4 * n * 512, len = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    len += (size_t)snprintf(text, cap, "{\"type\": \"FeatureCollection\", \"features\": [");
    for (int k = 0; k < 2 * n; k++) {
        double c = (k % n) * 100.0, lo = -50, hi = (n - 1) * 100.0 + 50;
        double ax = k < n ? lo : c, ay = k < n ? c : lo, bx = k < n ? hi : c, by = k < n ? c : hi;
        double alon, alat, blon, blat;
        assert_int_equal(geo_unproject(g, X0 + ax, Y0 + ay, &alon, &alat), 0);
        assert_int_equal(geo_unproject(g, X0 + bx, Y0 + by, &blon, &blat), 0);
        len +=
            (size_t)snprintf(text + len, cap - len,
                             "%s{\"type\": \"Feature\", \"geometry\": {\"type\": \"LineString\", "
                             "\"coordinates\": [[%.10f, %.10f], [%.10f, %.10f]]}, "
                             "\"properties\": {\"id\": \"L%d\", \"kind\": \"road\"}}",
                             k ? "," : "", alon, alat, blon, blat, k);
        assert_true(len < cap);
    }
    snprintf(text + len, cap - len, "]}");
    geo_layout *l = load_text(text);
    free(text);
    roads *r;
    char err[256];
    assert_int_equal(roads_build(l, &r, err, sizeof err), 0);
    roads_info in;
    roads_get_info(r, &in);
    assert_int_equal(in.n_roads, 2 * n);
    assert_int_equal(in.n_nodes, n * n + 4 * n);
    assert_int_equal(in.n_edges, 2 * n * (n + 1));
    assert_true(fabs(in.length_m - 2 * n * 100.0 * n) < 0.5);
    roads_route rt;
    assert_int_equal(roads_plan(r, X0, Y0, X0 + (n - 1) * 100.0, Y0 + (n - 1) * 100.0, NULL, &rt,
                                err, sizeof err),
                     0);
    assert_true(fabs(rt.length_m - 2 * (n - 1) * 100.0) < 0.1);
    assert_true(fabs(rt.duration_s - rt.length_m / (30 / 3.6)) < 0.1); /* no class: 30 km/h */
    roads_route_free(&rt);
    roads_free(r);
    geo_close(l);
}

/* The demo park (geo/demo-park.geojson, parkgen's): whatever its roads,
 * every gate reaches every enterprise, with or without hazardous goods,
 * and each route starts at the gate and ends at the enterprise. */
static void test_demo_park(void **state) {
    (void)state;
    char *text = read_text(PARKWATCH_SOURCE_DIR "/geo/demo-park.geojson");
    assert_non_null(text);
    geo_layout *l = load_text(text);
    free(text);
    roads *r;
    char err[256];
    assert_int_equal(roads_build(l, &r, err, sizeof err), 0);
    roads_info in;
    roads_get_info(r, &in);
    assert_int_equal(in.n_roads, geo_count(l, GEO_ROAD));
    assert_true(in.n_edges > 0);
    size_t routes = 0;
    for (size_t i = 0; i < geo_count_all(l); i++) {
        const geo_feature *gate = geo_get(l, i);
        if (gate->kind != GEO_GATE) continue;
        for (size_t j = 0; j < geo_count_all(l); j++) {
            const geo_feature *e = geo_get(l, j);
            if (e->kind != GEO_ENTERPRISE) continue;
            for (int hz = 0; hz < 2; hz++) {
                roads_constraints c = {.hazmat = hz};
                roads_route rt;
                if (roads_plan(r, gate->x, gate->y, e->x, e->y, &c, &rt, err, sizeof err) != 0)
                    fail_msg("%s to %s: %s", gate->id, e->id, err);
                assert_true(rt.n_points >= 2 && rt.n_road_ids >= 1);
                assert_true(rt.xy[0] == gate->x && rt.xy[1] == gate->y);
                assert_true(rt.xy[2 * rt.n_points - 2] == e->x &&
                            rt.xy[2 * rt.n_points - 1] == e->y);
                assert_true(rt.length_m >= hypot(e->x - gate->x, e->y - gate->y) - 1e-6);
                roads_route_free(&rt);
                routes++;
            }
        }
    }
    assert_true(routes >= 2);
    roads_free(r);
    geo_close(l);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_network),
        cmocka_unit_test(test_shortest),
        cmocka_unit_test(test_t_junction_and_legs),
        cmocka_unit_test(test_hazmat),
        cmocka_unit_test(test_oneway),
        cmocka_unit_test(test_areas),
        cmocka_unit_test(test_way_out_and_on_foot),
        cmocka_unit_test(test_unreachable),
        cmocka_unit_test(test_route_distance),
        cmocka_unit_test(test_nearest),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_snapping),
        cmocka_unit_test(test_lattice),
        cmocka_unit_test(test_demo_park),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
