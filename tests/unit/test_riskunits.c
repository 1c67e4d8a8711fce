/*
 * test_riskunits.c - risk units: LEC and LS worked examples computed by
 * hand from the tables of docs/reference/risk-grading.md (band edges
 * included, under both published LS band sets), factors outside the tables
 * refused, geometry checked, CSV imports good and bad (the line and column
 * named, nothing stored on an error), the live rule's raises and reasons,
 * history and its replay at a past time, and a reopened store keeping it
 * all.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "riskunits/riskunits.h"
#include "tests/support/testutil.h"

/* ---- grading ---- */

static void lec_is(double l, double e, double c, double want_d, ru_level want, int grade) {
    ru_bands b;
    ru_bands_default(&b);
    double d = -1;
    ru_level lv = RU_LEVEL_COUNT;
    char err[128];
    assert_int_equal(ru_lec(l, e, c, &b, &d, &lv, err, sizeof err), 0);
    assert_true(fabs(d - want_d) < 1e-9);
    assert_int_equal(lv, want);
    assert_int_equal(ru_lec_grade(d), grade);
}

static void test_lec_worked_examples(void **state) {
    (void)state;
    lec_is(6, 6, 15, 540, RU_MAJOR, 1);    /* quite possible, daily, one death */
    lec_is(1, 10, 40, 400, RU_MAJOR, 1);   /* unlikely, continuous, several deaths */
    lec_is(3, 6, 15, 270, RU_LARGE, 2);    /* possible, daily, one death */
    lec_is(10, 6, 3, 180, RU_LARGE, 2);    /* expected, daily, disability */
    lec_is(10, 1, 15, 150, RU_GENERAL, 3); /* expected, yearly, one death */
    lec_is(3, 3, 15, 135, RU_GENERAL, 3);
    lec_is(10, 1, 7, 70, RU_LOW, 4); /* D = 70: the 20-70 band, grade 4, blue */
    lec_is(1, 6, 7, 42, RU_LOW, 4);
    lec_is(10, 2, 1, 20, RU_LOW, 5); /* D = 20: below the 20-70 band's lower edge */
    lec_is(0.5, 1, 15, 7.5, RU_LOW, 5);
    lec_is(0.1, 0.5, 1, 0.05, RU_LOW, 5); /* hundredths exact */
    lec_is(0.2, 0.5, 100, 10, RU_LOW, 5);

    ru_bands b;
    ru_bands_default(&b);
    /* the band edges: "> 320" is grade 1, 160-320 grade 2 */
    assert_int_equal(ru_lec_level(320, &b), RU_LARGE);
    assert_int_equal(ru_lec_level(321, &b), RU_MAJOR);
    assert_int_equal(ru_lec_level(160, &b), RU_GENERAL);
    assert_int_equal(ru_lec_level(161, &b), RU_LARGE);
    assert_int_equal(ru_lec_level(70, &b), RU_LOW);
    assert_int_equal(ru_lec_level(71, &b), RU_GENERAL);
    assert_int_equal(ru_lec_grade(320), 2);
    assert_int_equal(ru_lec_grade(321), 1);
    assert_int_equal(ru_lec_grade(20), 5);
    assert_int_equal(ru_lec_grade(21), 4);
}

static void test_lec_factors_not_in_table(void **state) {
    (void)state;
    ru_bands b;
    ru_bands_default(&b);
    double d;
    ru_level lv;
    char err[128];
    assert_int_not_equal(ru_lec(2, 6, 15, &b, &d, &lv, err, sizeof err), 0);
    assert_non_null(strstr(err, "l:"));
    assert_int_not_equal(ru_lec(3, 4, 15, &b, &d, &lv, err, sizeof err), 0);
    assert_non_null(strstr(err, "e:"));
    assert_int_not_equal(ru_lec(3, 6, 50, &b, &d, &lv, err, sizeof err), 0);
    assert_non_null(strstr(err, "c:"));
    assert_int_not_equal(ru_lec(3, 6, 0, &b, &d, &lv, err, sizeof err), 0);
    assert_int_not_equal(ru_lec(NAN, 6, 15, &b, &d, &lv, err, sizeof err), 0);
    assert_false(ru_lec_factor_ok('E', 0.1)); /* a likelihood, not an exposure */
    assert_true(ru_lec_factor_ok('L', 0.1));
    assert_true(ru_lec_factor_ok('C', 100));
}

static void test_ls_worked_examples_both_band_sets(void **state) {
    (void)state;
    ru_bands b;
    ru_bands_default(&b); /* R6b: orange 9-16, yellow 4-8 */
    int r;
    ru_level lv;
    char err[128];
    assert_int_equal(ru_ls(4, 5, &b, &r, &lv, err, sizeof err), 0);
    assert_int_equal(r, 20), assert_int_equal(lv, RU_MAJOR);
    assert_int_equal(ru_ls(4, 4, &b, &r, &lv, err, sizeof err), 0);
    assert_int_equal(r, 16), assert_int_equal(lv, RU_LARGE);
    assert_int_equal(ru_ls(3, 3, &b, &r, &lv, err, sizeof err), 0);
    assert_int_equal(r, 9), assert_int_equal(lv, RU_LARGE); /* R6b: 9 is orange */
    assert_int_equal(ru_ls(2, 4, &b, &r, &lv, err, sizeof err), 0);
    assert_int_equal(r, 8), assert_int_equal(lv, RU_GENERAL);
    assert_int_equal(ru_ls(2, 2, &b, &r, &lv, err, sizeof err), 0);
    assert_int_equal(r, 4), assert_int_equal(lv, RU_GENERAL);
    assert_int_equal(ru_ls(1, 3, &b, &r, &lv, err, sizeof err), 0);
    assert_int_equal(r, 3), assert_int_equal(lv, RU_LOW);
    assert_int_equal(ru_ls(5, 5, &b, &r, &lv, err, sizeof err), 0);
    assert_int_equal(r, 25), assert_int_equal(lv, RU_MAJOR);

    /* R6c: orange 10-16, yellow 4-9 */
    json_t *r6c = json_pack("{s:{s:i}}", "ls", "large_min", 10);
    assert_int_equal(ru_bands_load(r6c, &b, err, sizeof err), 0);
    json_decref(r6c);
    assert_int_equal(ru_ls(3, 3, &b, &r, &lv, err, sizeof err), 0);
    assert_int_equal(r, 9), assert_int_equal(lv, RU_GENERAL);
    assert_int_equal(ru_ls(2, 5, &b, &r, &lv, err, sizeof err), 0);
    assert_int_equal(r, 10), assert_int_equal(lv, RU_LARGE);

    assert_int_not_equal(ru_ls(0, 3, &b, &r, &lv, err, sizeof err), 0);
    assert_int_not_equal(ru_ls(3, 6, &b, &r, &lv, err, sizeof err), 0);
    assert_non_null(strstr(err, "s:"));
    /* bands that do not fall are refused, and change nothing */
    json_t *bad = json_pack("{s:{s:i}}", "ls", "large_min", 25);
    assert_int_not_equal(ru_bands_load(bad, &b, err, sizeof err), 0);
    json_decref(bad);
    assert_int_equal(b.ls_large_min, 10);
    bad = json_pack("{s:{s:f}}", "lec", "general_above", 400.0);
    assert_int_not_equal(ru_bands_load(bad, &b, err, sizeof err), 0);
    json_decref(bad);
}

static void test_live_rule(void **state) {
    (void)state;
    char rs[RU_REASONS_MAX][RU_REASON_MAX];
    size_t n;
    ru_live_inputs none = {0};
    assert_int_equal(ru_live_level(RU_LOW, &none, rs, &n), RU_LOW);
    assert_int_equal(n, 0);
    assert_int_equal(ru_live_level(RU_MAJOR, NULL, rs, &n), RU_MAJOR);

    const char *details[] = {"E001-T101 level high-high (P1)"};
    ru_live_inputs p1 = {.alarms_by_priority = {1, 0, 0, 0}, .reasons = details, .n_reasons = 1};
    assert_int_equal(ru_live_level(RU_LOW, &p1, rs, &n), RU_LARGE);
    assert_int_equal(n, 2);
    assert_non_null(strstr(rs[0], "1 active priority-1 alarm: at least large"));
    assert_string_equal(rs[1], "E001-T101 level high-high (P1)");
    /* never lowered: a major unit with a P1 alarm stays major */
    assert_int_equal(ru_live_level(RU_MAJOR, &p1, rs, &n), RU_MAJOR);

    ru_live_inputs p2 = {.alarms_by_priority = {0, 2, 0, 0}};
    assert_int_equal(ru_live_level(RU_LOW, &p2, rs, &n), RU_GENERAL);
    assert_non_null(strstr(rs[0], "2 active priority-2 alarms"));
    assert_int_equal(ru_live_level(RU_LARGE, &p2, rs, &n), RU_LARGE);

    ru_live_inputs major_hz = {.hazards_open = 1, .hazards_major_open = 1};
    assert_int_equal(ru_live_level(RU_GENERAL, &major_hz, rs, &n), RU_LARGE);
    assert_non_null(strstr(rs[0], "open major hidden hazard"));

    ru_live_inputs overdue = {.hazards_open = 1, .hazards_overdue = 1};
    assert_int_equal(ru_live_level(RU_LOW, &overdue, rs, &n), RU_GENERAL);
    assert_int_equal(ru_live_level(RU_MAJOR, &overdue, rs, &n), RU_MAJOR);
    /* floors first, then one up: P1 on a low unit with an overdue hazard */
    ru_live_inputs both = {.alarms_by_priority = {1, 0, 0, 0}, .hazards_overdue = 1};
    assert_int_equal(ru_live_level(RU_LOW, &both, rs, &n), RU_MAJOR);
    assert_int_equal(n, 2);
    assert_non_null(strstr(rs[1], "one level up, to major"));

    ru_live_inputs minor = {.alarms_by_priority = {0, 0, 3, 1}};
    assert_int_equal(ru_live_level(RU_LOW, &minor, rs, &n), RU_LOW);
    assert_int_equal(n, 1);
    assert_non_null(strstr(rs[0], "no raise"));
}

/* ---- the store ---- */

static const char *square =
    "{\"type\":\"Polygon\",\"coordinates\":[[[121.421,30.781],[121.422,30.781],"
    "[121.422,30.782],[121.421,30.782],[121.421,30.781]]]}";

static json_t *unit_json(const char *id, const char *ent, double l, double e, double c) {
    json_t *u =
        json_pack("{s:s,s:s,s:s,s:s,s:s,s:[s,s],s:s,s:f,s:f,s:f,s:s,s:I}", "id", id, "enterprise",
                  ent, "name", "Tank area 1", "name_zh", "罐区一", "kind", "tank_area", "assets",
                  "E001-T101", "E001-T102", "method", "LEC", "l", l, "e", e, "c", c, "assessor",
                  "Zhang Wei", "assessed_ms", (json_int_t)1700000000000LL);
    json_object_set_new(u, "geometry", json_loads(square, 0, NULL));
    return u;
}

static riskunits *open_store(const char *dir) {
    riskunits *ru = NULL;
    char err[256];
    assert_int_equal(riskunits_open(dir, NULL, &ru, err, sizeof err), 0);
    return ru;
}

static void put_bad(riskunits *ru, json_t *u, const char *want) {
    char err[256], id[64];
    assert_int_equal(riskunits_put(ru, u, "test", NULL, 1000, id, err, sizeof err), RU_EINVAL);
    if (!strstr(err, want)) fail_msg("error \"%s\" does not say \"%s\"", err, want);
    json_decref(u);
}

static void test_unit_checks(void **state) {
    (void)state;
    char dir[256];
    testutil_tmpdir(dir, sizeof dir, "riskunits-checks");
    riskunits *ru = open_store(dir);
    json_t *u = unit_json("E001-RU1", "E001", 3, 6, 15);
    json_object_set_new(u, "l", json_real(2));
    put_bad(ru, u, "l: not an LEC likelihood");
    u = unit_json("map", "E001", 3, 6, 15);
    put_bad(ru, u, "id:");
    u = unit_json("E001-RU1", "E001", 3, 6, 15);
    json_object_set_new(u, "kind", json_string("reactor"));
    put_bad(ru, u, "kind:");
    u = unit_json("E001-RU1", "E001", 3, 6, 15);
    json_object_set_new(u, "colour_hint", json_string("red"));
    put_bad(ru, u, "colour_hint: unknown member");
    u = unit_json("E001-RU1", "E001", 3, 6, 15);
    json_object_set_new(u, "s", json_integer(3));
    put_bad(ru, u, "s: LEC has no s");
    /* geometry: an open ring, a coordinate out of range, too few
     * positions, a line, too many vertices */
    u = unit_json("E001-RU1", "E001", 3, 6, 15);
    json_object_set_new(u, "geometry",
                        json_loads("{\"type\":\"Polygon\",\"coordinates\":[[[121,30],[122,30],"
                                   "[122,31],[121,31]]]}",
                                   0, NULL));
    put_bad(ru, u, "not closed");
    u = unit_json("E001-RU1", "E001", 3, 6, 15);
    json_object_set_new(u, "geometry",
                        json_loads("{\"type\":\"Point\",\"coordinates\":[181, 30]}", 0, NULL));
    put_bad(ru, u, "lon -180..180");
    u = unit_json("E001-RU1", "E001", 3, 6, 15);
    json_object_set_new(u, "geometry",
                        json_loads("{\"type\":\"Polygon\",\"coordinates\":[[[121,30],[122,30],"
                                   "[121,30]]]}",
                                   0, NULL));
    put_bad(ru, u, "at least 4 positions");
    u = unit_json("E001-RU1", "E001", 3, 6, 15);
    json_object_set_new(
        u, "geometry",
        json_loads("{\"type\":\"LineString\",\"coordinates\":[[121,30],[122,30]]}", 0, NULL));
    put_bad(ru, u, "Point or Polygon");
    json_t *ring = json_array();
    for (int i = 0; i < 2001; i++)
        json_array_append_new(ring, json_pack("[f,f]", 121 + i * 1e-6, i ? 30.001 : 30.0));
    json_array_append_new(ring, json_pack("[f,f]", 121.0, 30.0));
    u = unit_json("E001-RU1", "E001", 3, 6, 15);
    json_object_set_new(u, "geometry",
                        json_pack("{s:s,s:[o]}", "type", "Polygon", "coordinates", ring));
    put_bad(ru, u, "vertices");
    assert_int_equal(riskunits_count(ru), 0);

    /* an enterprise's caller: its own units only */
    char err[256], id[64];
    u = unit_json("E002-RU1", "E002", 3, 6, 15);
    assert_int_equal(riskunits_put(ru, u, "e1", "E001", 1000, id, err, sizeof err), RU_EFORBIDDEN);
    assert_int_equal(riskunits_put(ru, u, "e2", "E002", 1000, id, err, sizeof err), 0);
    json_object_set_new(u, "enterprise", json_string("E001"));
    assert_int_equal(riskunits_put(ru, u, "e1", "E001", 1000, id, err, sizeof err),
                     RU_EFORBIDDEN); /* taking E002's unit over */
    json_decref(u);
    riskunits_close(ru);
    testutil_rmtree(dir);
}

static void test_store_history_replay_reopen(void **state) {
    (void)state;
    char dir[256], err[256], id[64];
    testutil_tmpdir(dir, sizeof dir, "riskunits-store");
    riskunits *ru = open_store(dir);
    /* t=1000: created, D = 3 x 6 x 15 = 270, large */
    json_t *u = unit_json("E001-RU1", "E001", 3, 6, 15);
    assert_int_equal(riskunits_put(ru, u, "Zhang Wei", NULL, 1000, id, err, sizeof err), 0);
    assert_string_equal(id, "E001-RU1");
    /* t=2000: reassessed, D = 6 x 6 x 15 = 540, major */
    json_object_set_new(u, "l", json_real(6));
    assert_int_equal(riskunits_put(ru, u, "Li Na", NULL, 2000, id, err, sizeof err), 0);
    /* t=2500: the same again: no history entry */
    assert_int_equal(riskunits_put(ru, u, "Li Na", NULL, 2500, id, err, sizeof err), 0);
    /* t=3000: back to D = 1 x 6 x 7 = 42, low */
    json_object_set_new(u, "l", json_real(1));
    json_object_set_new(u, "c", json_real(7));
    assert_int_equal(riskunits_put(ru, u, "Li Na", NULL, 3000, id, err, sizeof err), 0);
    json_decref(u);
    /* t=4000: a P1 alarm on T101: live large; t=5000 cleared: low */
    const char *why[] = {"E001-T101 level high-high (P1)"};
    ru_live_inputs p1 = {.alarms_by_priority = {1, 0, 0, 0}, .reasons = why, .n_reasons = 1};
    assert_int_equal(riskunits_update_live(ru, "E001-RU1", &p1, 4000), 0);
    assert_int_equal(riskunits_update_live(ru, "E001-RU1", &p1, 4500), 0); /* unchanged */
    json_t *got;
    assert_int_equal(riskunits_get(ru, "E001-RU1", NULL, 100, &got), 0);
    assert_string_equal(json_string_value(json_object_get(got, "level")), "low");
    assert_string_equal(json_string_value(json_object_get(got, "colour")), "blue");
    assert_string_equal(json_string_value(json_object_get(got, "live_level")), "large");
    assert_string_equal(json_string_value(json_object_get(got, "live_colour")), "orange");
    assert_int_equal(json_array_size(json_object_get(got, "reasons")), 2);
    /* newest first: live large (4000), assessed low and the live low it
     * brought (3000), assessed and live major (2000), created (1000) x2 */
    json_t *h = json_object_get(got, "history");
    assert_int_equal(json_array_size(h), 7);
    json_t *h0 = json_array_get(h, 0);
    assert_int_equal(json_integer_value(json_object_get(h0, "ts_ms")), 4000);
    assert_string_equal(json_string_value(json_object_get(h0, "what")), "live");
    assert_string_equal(json_string_value(json_object_get(h0, "previous")), "low");
    assert_string_equal(json_string_value(json_object_get(h0, "by")), "live");
    json_decref(got);
    assert_int_equal(riskunits_update_live(ru, "E001-RU1", &(ru_live_inputs){0}, 5000), 0);
    assert_int_equal(riskunits_update_live(ru, "nope", &p1, 5000), RU_ENOENT);

    /* replay */
    ru_level a, l;
    assert_int_equal(riskunits_level_at(ru, "E001-RU1", 999, &a, &l), RU_ENOENT);
    assert_int_equal(riskunits_level_at(ru, "E001-RU1", 1500, &a, &l), 0);
    assert_int_equal(a, RU_LARGE), assert_int_equal(l, RU_LARGE);
    assert_int_equal(riskunits_level_at(ru, "E001-RU1", 2700, &a, &l), 0);
    assert_int_equal(a, RU_MAJOR), assert_int_equal(l, RU_MAJOR);
    assert_int_equal(riskunits_level_at(ru, "E001-RU1", 4200, &a, &l), 0);
    assert_int_equal(a, RU_LOW), assert_int_equal(l, RU_LARGE);
    assert_int_equal(riskunits_level_at(ru, "E001-RU1", 6000, &a, &l), 0);
    assert_int_equal(a, RU_LOW), assert_int_equal(l, RU_LOW);
    json_t *hist;
    assert_int_equal(riskunits_history(ru, "E001-RU1", 2000, 4000, &hist), 0);
    assert_int_equal(json_array_size(hist), 5);
    json_decref(hist);
    riskunits_close(ru);

    /* reopened: everything kept */
    ru = open_store(dir);
    assert_int_equal(riskunits_count(ru), 1);
    assert_int_equal(riskunits_level_at(ru, "E001-RU1", 4200, &a, &l), 0);
    assert_int_equal(a, RU_LOW), assert_int_equal(l, RU_LARGE);
    assert_int_equal(riskunits_get(ru, "E001-RU1", NULL, 100, &got), 0);
    assert_int_equal(json_array_size(json_object_get(got, "history")), 8);
    assert_string_equal(json_string_value(json_object_get(got, "name_zh")), "罐区一");
    assert_int_equal(json_array_size(json_object_get(got, "assets")), 2);
    json_decref(got);
    /* a live change after the reopen gets a key after the old ones */
    assert_int_equal(riskunits_update_live(ru, "E001-RU1", &p1, 7000), 0);
    assert_int_equal(riskunits_level_at(ru, "E001-RU1", 7000, &a, &l), 0);
    assert_int_equal(l, RU_LARGE);
    riskunits_close(ru);

    /* reopened with R6c-like stricter LEC bands: regraded, a history entry by "bands" */
    ru_bands b;
    ru_bands_default(&b);
    b.lec_general_above = 20; /* grade 4 yellow */
    assert_int_equal(riskunits_open(dir, &b, &ru, err, sizeof err), 0);
    assert_int_equal(riskunits_get(ru, "E001-RU1", NULL, 1, &got), 0);
    assert_string_equal(json_string_value(json_object_get(got, "level")), "general");
    h0 = json_array_get(json_object_get(got, "history"), 0);
    assert_string_equal(json_string_value(json_object_get(h0, "by")), "bands");
    json_decref(got);
    riskunits_close(ru);
    testutil_rmtree(dir);
}

static void test_list_filters_and_map(void **state) {
    (void)state;
    char dir[256], err[256], id[64];
    testutil_tmpdir(dir, sizeof dir, "riskunits-map");
    riskunits *ru = open_store(dir);
    json_t *u = unit_json("E001-RU1", "E001", 3, 6, 15); /* large */
    assert_int_equal(riskunits_put(ru, u, "t", NULL, 1, id, err, sizeof err), 0);
    json_decref(u);
    u = unit_json("E002-RU1", "E002", 1, 6, 7); /* low */
    assert_int_equal(riskunits_put(ru, u, "t", NULL, 1, id, err, sizeof err), 0);
    json_decref(u);
    json_t *all = riskunits_list(ru, NULL);
    assert_int_equal(json_array_size(all), 2);
    json_decref(all);
    ru_level large = RU_LARGE;
    json_t *l = riskunits_list(ru, &(ru_filter){.level = &large});
    assert_int_equal(json_array_size(l), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(l, 0), "id")), "E001-RU1");
    json_decref(l);
    l = riskunits_list(ru, &(ru_filter){.enterprise = "E002"});
    assert_int_equal(json_array_size(l), 1);
    json_decref(l);
    json_t *m = riskunits_map(ru, NULL);
    assert_string_equal(json_string_value(json_object_get(m, "type")), "FeatureCollection");
    json_t *f0 = json_array_get(json_object_get(m, "features"), 0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(f0, "geometry"), "type")),
                        "Polygon");
    json_t *p = json_object_get(f0, "properties");
    assert_string_equal(json_string_value(json_object_get(p, "colour")), "orange");
    assert_string_equal(json_string_value(json_object_get(p, "live_colour")), "orange");
    json_decref(m);
    riskunits_close(ru);
    testutil_rmtree(dir);
}

/* ---- CSV ---- */

static const char *good_csv =
    "id,enterprise,name,name_zh,kind,geometry,assets,method,l,e,c,s,assessor,assessed_ms\r\n"
    "E001-RU1,E001,Tank area "
    "1,罐区一,tank_area,\"{\"\"type\"\":\"\"Polygon\"\",\"\"coordinates\"\":"
    "[[[121.421,30.781],[121.422,30.781],[121.422,30.782],[121.421,30.781]]]}\","
    "E001-T101;E001-T102,LEC,3,6,15,,Zhang Wei,1700000000000\r\n"
    "E001-RU2,E001,\"Loading bay, north\",装卸区,loading_bay,\"{\"\"type\"\":\"\"Point\"\","
    "\"\"coordinates\"\":[121.423,30.783]}\",,LS,3,,,3,Zhang Wei,\r\n";

static void test_csv_import(void **state) {
    (void)state;
    char dir[256], err[256];
    testutil_tmpdir(dir, sizeof dir, "riskunits-csv");
    riskunits *ru = open_store(dir);
    size_t n = 99;
    assert_int_equal(riskunits_import_csv(ru, good_csv, strlen(good_csv), "import", NULL, 1000, &n,
                                          err, sizeof err),
                     0);
    assert_int_equal(n, 2);
    json_t *got;
    assert_int_equal(riskunits_get(ru, "E001-RU2", NULL, 10, &got), 0);
    assert_string_equal(json_string_value(json_object_get(got, "name")), "Loading bay, north");
    assert_string_equal(json_string_value(json_object_get(got, "level")), "large"); /* R = 9 */
    json_decref(got);
    assert_int_equal(riskunits_get(ru, "E001-RU1", NULL, 10, &got), 0);
    assert_int_equal(json_array_size(json_object_get(got, "assets")), 2);
    json_decref(got);

    /* lon and lat for a point */
    const char *pts = "id,enterprise,name,kind,lon,lat,method,l,s,assessor\n"
                      "E003-RU1,E003,Warehouse,warehouse,121.43,30.79,LS,1,2,Wang\n";
    assert_int_equal(
        riskunits_import_csv(ru, pts, strlen(pts), "import", NULL, 1000, &n, err, sizeof err), 0);
    assert_int_equal(riskunits_count(ru), 3);

    /* bad: every error names the line and column; nothing is stored */
    struct {
        const char *csv, *want;
    } bad[] = {
        {"id,enterprise,name,kind,lon,lat,method,l,s,assessor\n"
         "E004-RU1,E004,A,unit,121,30,LS,1,2,W\n"
         "E004-RU2,E004,B,unit,121,30,LS,1,9,W\n",
         "line 3, column 9 (s)"},
        {"id,enterprise,name,kind,lon,lat,method,l,e,c,assessor\n"
         "E004-RU1,E004,A,unit,121,30,LEC,3,6,15,W\n"
         "E004-RU2,E004,B,unit,121,30,LEC,3,4,15,W\n",
         "line 3, column 9 (e): e: not an LEC exposure"},
        {"id,enterprise,name,kind,lon,lat,method,l,s,assessor\n"
         "E004-RU1,E004,A,unit,121,abc,LS,1,2,W\n",
         "line 2, column 6 (lat): not a number"},
        {"id,enterprise,name,kind,lon,lat,method,l,s,assessor,colour\n",
         "line 1, column 11 (colour)"},
        {"id,enterprise,name,kind,lon,lat,method,l,s,assessor\n"
         "E004-RU1,E004,A,unit,121,30,LS,1,2\n",
         "line 2: 9 fields"},
        {"id,enterprise,name,kind,lon,lat,method,l,s,assessor\n"
         "E004-RU1,E004,\"A,unit,121,30,LS,1,2,W\n",
         "not closed"},
        {"id,enterprise,name,kind,lon,lat,method,l,s,assessor\n"
         "E004-RU1,E004,A,unit,121,30,LS,1,2,W\n"
         "E004-RU1,E004,A,unit,121,30,LS,1,2,W\n",
         "line 3, column 1 (id)"},
        {"id,enterprise,name,kind,geometry,method,l,s,assessor\n"
         "E004-RU1,E004,A,unit,\"{\"\"type\"\":\"\"Polygon\"\",\"\"coordinates\"\":"
         "[[[121,30],[122,30],[122,31],[121,31]]]}\",LS,1,2,W\n",
         "line 2, column 5 (geometry): geometry: ring 0 is not closed"},
        {"id,enterprise,name,kind,lon,lat,method,l,s,assessor\n"
         "E004-RU1,E004,\xff,unit,121,30,LS,1,2,W\n",
         "line 2: not UTF-8"},
        {"", "no header"},
        {"id,enterprise,name,kind,lon,lat,method,l,s,assessor\n", "no rows"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        n = 99;
        int rc = riskunits_import_csv(ru, bad[i].csv, strlen(bad[i].csv), "import", NULL, 2000, &n,
                                      err, sizeof err);
        if (rc != RU_EINVAL || !strstr(err, bad[i].want))
            fail_msg("case %zu: rc %d, \"%s\", wanted \"%s\"", i, rc, err, bad[i].want);
        assert_int_equal(n, 0);
        assert_int_equal(riskunits_count(ru), 3);
    }
    /* an enterprise importing another's unit: refused whole */
    const char *mixed = "id,enterprise,name,kind,lon,lat,method,l,s,assessor\n"
                        "E004-RU1,E004,A,unit,121,30,LS,1,2,W\n"
                        "E005-RU1,E005,A,unit,121,30,LS,1,2,W\n";
    assert_int_equal(
        riskunits_import_csv(ru, mixed, strlen(mixed), "e4", "E004", 2000, &n, err, sizeof err),
        RU_EFORBIDDEN);
    assert_int_equal(riskunits_count(ru), 3);
    riskunits_close(ru);
    ru = open_store(dir); /* and nothing reached the disk */
    assert_int_equal(riskunits_count(ru), 3);
    riskunits_close(ru);
    testutil_rmtree(dir);
}

/* scripts/risk-units-demo.csv, which the demo's parkd imports, imports:
 * six units in all four colours */
static void test_demo_csv(void **state) {
    (void)state;
    FILE *f = fopen(RU_DEMO_CSV, "rb");
    assert_non_null(f);
    static char text[65536];
    size_t len = fread(text, 1, sizeof text, f);
    fclose(f);
    char dir[256], err[320];
    testutil_tmpdir(dir, sizeof dir, "riskunits-demo");
    riskunits *ru = open_store(dir);
    size_t n = 0;
    if (riskunits_import_csv(ru, text, len, "demo", NULL, 1000, &n, err, sizeof err) != 0)
        fail_msg("%s", err);
    assert_int_equal(n, 6);
    static const char *const colours[] = {"red", "orange", "yellow", "blue"};
    json_t *m = riskunits_map(ru, NULL);
    for (size_t k = 0; k < 4; k++) {
        bool seen = false;
        json_t *feat;
        size_t i;
        json_array_foreach(json_object_get(m, "features"), i, feat) {
            const char *c =
                json_string_value(json_object_get(json_object_get(feat, "properties"), "colour"));
            seen |= c && !strcmp(c, colours[k]);
        }
        if (!seen) fail_msg("no %s unit in the demo", colours[k]);
    }
    json_decref(m);
    riskunits_close(ru);
    testutil_rmtree(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lec_worked_examples),
        cmocka_unit_test(test_lec_factors_not_in_table),
        cmocka_unit_test(test_ls_worked_examples_both_band_sets),
        cmocka_unit_test(test_live_rule),
        cmocka_unit_test(test_unit_checks),
        cmocka_unit_test(test_store_history_replay_reopen),
        cmocka_unit_test(test_list_filters_and_map),
        cmocka_unit_test(test_csv_import),
        cmocka_unit_test(test_demo_csv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
