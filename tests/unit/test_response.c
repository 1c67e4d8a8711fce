/*
 * test_response.c - responders' and evacuation routes (response/) on the
 * road grid of tests/fixtures/roads-grid.geojson (drawn in test_roads.c),
 * with a fire station, refuges and buildings added at whole local metres,
 * and a threat zone drawn by hand: a wind from the north (blowing south)
 * and a zone x 450..550, y -400..320 over Middle Road (R-M) and South
 * Road's crossing (R-S at x 500).
 *
 *            G-W (0,600)  R-N (branch, 30 km/h)            S-N (1000,600)
 *     y=600   +--------------------+--------------------+
 *             | R-W 36 km/h        |  staging (500,475)  | R-E
 *             |           source * (500,300)            |
 *             |     B-FAR (0,300)  |###                  |
 *             |                    |### zone   B-IN (520,100), B-NEAR (700,100)
 *     y=0  +--+--------------------#####----------------+ S-S (1000,0): downwind
 *   FS-1 (-100,0)   R-S 36 km/h   |###
 *                            G-S (500,-200): inside the zone
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
#include "response/response.h"
#include "roads/roads.h"

#define X0  308000.0
#define Y0  3409000.0
#define TOL 0.05

static geo_layout *g;
static roads *net;

static geo_layout *load(const char *text) {
    const char *texts[] = {text}, *names[] = {"park"};
    geo_layout *l = NULL;
    geo_problems p = {0};
    if (geo_load_text(texts, names, 1, NULL, &l, &p) != 0)
        fail_msg("load: %zu problems, first: %s %s", p.n, p.n ? p.v[0].feature : "",
                 p.n ? p.v[0].message : "");
    geo_problems_free(&p);
    return l;
}

static json_t *lonlat(geo_layout *roads_only, double x, double y) {
    double lon, lat;
    assert_int_equal(geo_unproject(roads_only, X0 + x, Y0 + y, &lon, &lat), 0);
    return json_pack("[f, f]", lon, lat);
}

static json_t *point_feature(geo_layout *l, const char *id, const char *kind, double x, double y) {
    return json_pack("{s:s, s:{s:s, s:o}, s:{s:s, s:s, s:s, s:i}}", "type", "Feature", "geometry",
                     "type", "Point", "coordinates", lonlat(l, x, y), "properties", "id", id,
                     "kind", kind, "name", id, "capacity", 500);
}

/* A 10 m square building around (x, y) with its occupants by day. */
static json_t *building(geo_layout *l, const char *id, double x, double y, int people) {
    json_t *ring = json_array();
    const double d[5][2] = {{-5, -5}, {5, -5}, {5, 5}, {-5, 5}, {-5, -5}};
    for (int k = 0; k < 5; k++) json_array_append_new(ring, lonlat(l, x + d[k][0], y + d[k][1]));
    return json_pack("{s:s, s:{s:s, s:[o]}, s:{s:s, s:s, s:s, s:i, s:i}}", "type", "Feature",
                     "geometry", "type", "Polygon", "coordinates", ring, "properties", "id", id,
                     "kind", "building", "name", id, "occupants_day", people, "occupants_night",
                     people / 10);
}

static int setup(void **state) {
    (void)state;
    json_error_t je;
    json_t *fc = json_load_file(PARKWATCH_SOURCE_DIR "/tests/fixtures/roads-grid.geojson", 0, &je);
    if (!fc) return -1;
    char *text = json_dumps(fc, 0);
    geo_layout *roads_only = load(text);
    free(text);
    json_t *fs = json_object_get(fc, "features");
    json_array_append_new(fs, point_feature(roads_only, "FS-1", "fire_station", -100, 0));
    json_t *team = point_feature(roads_only, "TEAM-N", "resource", 1000, 600);
    json_t *props = json_pack("{s:s, s:i}", "resource_type", "team", "quantity", 12);
    json_object_update(json_object_get(team, "properties"), props);
    json_decref(props);
    json_array_append_new(fs, team);
    json_t *stock = point_feature(roads_only, "FOAM-1", "resource", 1000, 600);
    props = json_pack("{s:s}", "resource_type", "stock");
    json_object_update(json_object_get(stock, "properties"), props);
    json_decref(props);
    json_array_append_new(fs, stock);
    json_array_append_new(fs, point_feature(roads_only, "S-N", "shelter", 1000, 600));
    json_array_append_new(fs, point_feature(roads_only, "S-S", "shelter", 1000, 0));
    json_array_append_new(fs, point_feature(roads_only, "G-W", "gate", 0, 600));
    json_array_append_new(fs, point_feature(roads_only, "G-S", "gate", 500, -200));
    json_array_append_new(fs, building(roads_only, "B-IN", 520, 100, 50));
    json_array_append_new(fs, building(roads_only, "B-NEAR", 700, 100, 20));
    json_array_append_new(fs, building(roads_only, "B-FAR", 0, 300, 30));
    geo_close(roads_only);
    text = json_dumps(fc, 0);
    json_decref(fc);
    g = load(text);
    free(text);
    char err[256];
    if (roads_build(g, &net, err, sizeof err) != 0) return -1;
    return 0;
}

static int teardown(void **state) {
    (void)state;
    roads_free(net);
    geo_close(g);
    return 0;
}

static double zone_xy[8];
static const double *zone_rings[] = {zone_xy};
static size_t zone_n[] = {4};

static resp_scene scene(void) {
    const double v[] = {450, -400, 550, -400, 550, 320, 450, 320};
    for (int k = 0; k < 8; k++) zone_xy[k] = v[k] + (k % 2 ? Y0 : X0);
    return (resp_scene){.x = X0 + 500,
                        .y = Y0 + 300,
                        .wind_from_deg = 0,
                        .area_xy = zone_rings,
                        .area_n = zone_n,
                        .n_areas = 1};
}

static const resp_route *route_from(const resp_plan *p, const char *id) {
    for (size_t i = 0; i < p->n_routes; i++)
        if (!strcmp(geo_get(g, (size_t)p->routes[i].from)->id, id)) return &p->routes[i];
    return NULL;
}

static void test_responders_come_round_from_upwind(void **state) {
    (void)state;
    resp_scene s = scene();
    resp_plan p;
    char err[256];
    assert_int_equal(resp_plan_routes(net, g, &s, &p, err, sizeof err), 0);
    /* Staging: north of the source, 150 m clear of the zone: (500,450) is
     * 130 m from it, (500,475) 155 m. */
    assert_true(p.staged);
    assert_true(fabs(p.staging_x - (X0 + 500)) < 1e-6 && fabs(p.staging_y - (Y0 + 475)) < 1e-6);
    /* FS-1 and the team; not the foam stock */
    assert_int_equal(p.n_responders, 2);
    const resp_route *team = route_from(&p, "TEAM-N");
    assert_non_null(team);
    assert_null(route_from(&p, "FOAM-1"));
    /* R-N west 500 m (60 s), R-M down 125 m (12.5 s) */
    assert_true(fabs(team->route.length_m - 625) < TOL && fabs(team->eta_s - 72.5) < TOL);
    const resp_route *r = route_from(&p, "FS-1");
    assert_int_equal(r->kind, RESP_RESPONDER);
    assert_string_equal(geo_get(g, (size_t)r->from)->id, "FS-1");
    /* Not through the zone at R-S x 500: west and round by R-W and R-N,
     * then 125 m down R-M: 100 m (10 s) + 600 (60 s) + 500 at 30 km/h
     * (60 s) + 125 (12.5 s). */
    assert_true(fabs(r->route.length_m - 1325) < TOL);
    assert_true(fabs(r->eta_s - 142.5) < TOL);
    assert_false(r->through_zone);
    const char *ids[] = {"R-S", "R-W", "R-N", "R-M"};
    assert_int_equal(r->route.n_road_ids, 4);
    for (int k = 0; k < 4; k++) assert_string_equal(r->route.road_ids[k], ids[k]);
    resp_plan_free(&p);
}

static void test_evacuation(void **state) {
    (void)state;
    resp_scene s = scene();
    resp_plan p;
    char err[256];
    assert_int_equal(resp_plan_routes(net, g, &s, &p, err, sizeof err), 0);
    /* Refuges: S-N and G-W; S-S is 59 degrees off downwind, G-S inside. */
    assert_int_equal(p.refuges, 2);
    /* B-IN (inside) and B-NEAR (150 m from the zone); B-FAR is 450 m away. */
    assert_int_equal(p.evacuees, 2);
    assert_int_equal(p.n_unreachable, 0);
    assert_null(route_from(&p, "B-FAR"));
    /* B-NEAR: 100 m to R-S at (700,0), east 300 m, up R-E 600 m to S-N:
     * 1000 m at 5 km/h, 720 s, nothing in the zone. */
    const resp_route *near = route_from(&p, "B-NEAR");
    assert_non_null(near);
    assert_string_equal(geo_get(g, (size_t)near->to)->id, "S-N");
    assert_true(fabs(near->route.length_m - 1000) < TOL);
    assert_true(fabs(near->eta_s - 720) < TOL);
    assert_false(near->through_zone);
    assert_int_equal(near->people, 20);
    assert_true(fabs(near->from_zone_m - 150) < 1e-6);
    /* B-IN: out of the zone and to a safe refuge, through the zone by
     * necessity; listed first (nearest the zone). */
    const resp_route *in = route_from(&p, "B-IN");
    assert_non_null(in);
    assert_ptr_equal(in, &p.routes[p.n_responders]);
    const char *to = geo_get(g, (size_t)in->to)->id;
    assert_true(!strcmp(to, "S-N") || !strcmp(to, "G-W"));
    assert_true(in->through_zone);
    assert_true(in->route.in_areas_m > 0 && in->route.in_areas_m < in->route.length_m);
    assert_true(in->from_zone_m == 0);
    /* The GeoJSON: the staging point and four lines, WGS84. */
    json_t *fc = resp_plan_geojson(g, &p);
    assert_non_null(fc);
    json_t *fs = json_object_get(fc, "features");
    assert_int_equal(json_array_size(fs), 5);
    json_t *f0 = json_array_get(fs, 0);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(f0, "properties"), "role")), "staging");
    json_t *f2 = json_array_get(fs, 3);
    json_t *pr = json_object_get(f2, "properties");
    assert_string_equal(json_string_value(json_object_get(pr, "role")), "evacuation");
    json_t *co = json_object_get(json_object_get(f2, "geometry"), "coordinates");
    double lon = json_number_value(json_array_get(json_array_get(co, 0), 0));
    assert_true(lon > 120.99 && lon < 121.01);
    assert_int_equal(json_integer_value(json_object_get(fc, "evacuees")), 2);
    json_decref(fc);
    resp_plan_free(&p);
}

/* A wind from the south turns everything (the zone is left where it was
 * drawn): the staging point is south, S-S the one safe refuge; at night
 * B-NEAR's 20 people are 2. */
static void test_wind_turns(void **state) {
    (void)state;
    resp_scene s = scene();
    s.wind_from_deg = 180;
    s.night = true;
    resp_plan p;
    char err[256];
    assert_int_equal(resp_plan_routes(net, g, &s, &p, err, sizeof err), 0);
    assert_true(p.staged);
    /* south of the source: the zone reaches y = -400, so 150 m beyond it */
    assert_true(fabs(p.staging_x - (X0 + 500)) < 1e-6);
    assert_true(p.staging_y < Y0 - 400 - 149);
    /* downwind is north now: S-N and G-W (59 degrees off north) are out,
     * S-S is safe, G-S still inside */
    assert_int_equal(p.refuges, 1);
    /* B-NEAR: 100 m to R-S, 300 m east to S-S; 2 people by night */
    const resp_route *near = route_from(&p, "B-NEAR");
    assert_non_null(near);
    assert_string_equal(geo_get(g, (size_t)near->to)->id, "S-S");
    assert_true(fabs(near->route.length_m - 400) < TOL);
    assert_int_equal(near->people, 2);
    resp_plan_free(&p);
}

static void test_bad_scenes(void **state) {
    (void)state;
    resp_plan p;
    char err[256] = "";
    resp_scene s = scene();
    s.wind_from_deg = NAN;
    assert_int_equal(resp_plan_routes(net, g, &s, &p, err, sizeof err), -1);
    assert_non_null(strstr(err, "finite"));
    s = scene();
    size_t two[] = {2};
    s.area_n = two;
    assert_int_equal(resp_plan_routes(net, g, &s, &p, err, sizeof err), -1);
    assert_non_null(strstr(err, "area 0"));
    s = scene();
    s.walk_kmh = 100;
    assert_int_equal(resp_plan_routes(net, g, &s, &p, err, sizeof err), -1);
    assert_non_null(strstr(err, "walk_kmh"));
    /* No zones: responders still come; nobody is evacuated. */
    s = scene();
    s.n_areas = 0;
    assert_int_equal(resp_plan_routes(net, g, &s, &p, err, sizeof err), 0);
    assert_int_equal(p.n_responders, 2);
    assert_int_equal(p.evacuees, 0);
    resp_plan_free(&p);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_responders_come_round_from_upwind),
        cmocka_unit_test(test_evacuation),
        cmocka_unit_test(test_wind_turns),
        cmocka_unit_test(test_bad_scenes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
