/*
 * test_aqi.c - HJ 633-2012 AQI and GB 3095-2012 limits (views/aqi.h):
 * every breakpoint maps exactly to its IAQI, hand-computed interpolations
 * and round-ups, the 800 ug/m3 rules for 1-h SO2 and 8-h O3, values above
 * the scale, the reference's worked example, primary pollutant ties, the
 * category boundaries and colours, every limit row and the exceedance at
 * exactly the limit, the 24-h, 8-h and daily maximum 8-h O3 means with
 * missing hours, and ppm conversion.
 *
 * The expected values are copied from
 * docs/reference/air-quality-gb3095.md; the test does not read it.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "views/aqi.h"

#define EPS 1e-9

/* cmocka's assert_float_equal works in float; compare doubles here. */
#define assert_near(a, b, eps) near_at((a), (b), (eps), #a, __LINE__)
static void near_at(double a, double b, double eps, const char *what, int line) {
    if (!(fabs(a - b) <= eps)) fail_msg("line %d: %s = %.12g, expected %.12g", line, what, a, b);
}

static aqi_iaqi_value iaqi(aqi_kind k, double c) {
    aqi_iaqi_value v;
    if (aqi_iaqi(k, c, &v) != 0) fail_msg("aqi_iaqi(%s, %g) failed", aqi_kind_name(k), c);
    return v;
}

/* ---------------------------------------------------------------------- */
/* IAQI                                                                    */
/* ---------------------------------------------------------------------- */

/* gb3095.md section 2, HJ 633 Table 1, written out again column by column
 * (independently of aqi.c's table); -1 where the column stops. */
static const double table1[AQI_KIND_COUNT][AQI_N_BREAKPOINTS] = {
    [AQI_SO2_24H] = {0, 50, 150, 475, 800, 1600, 2100, 2620},
    [AQI_SO2_1H] = {0, 150, 500, 650, 800, -1, -1, -1},
    [AQI_NO2_24H] = {0, 40, 80, 180, 280, 565, 750, 940},
    [AQI_NO2_1H] = {0, 100, 200, 700, 1200, 2340, 3090, 3840},
    [AQI_PM10_24H] = {0, 50, 150, 250, 350, 420, 500, 600},
    [AQI_CO_24H] = {0, 2, 4, 14, 24, 36, 48, 60},
    [AQI_CO_1H] = {0, 5, 10, 35, 60, 90, 120, 150},
    [AQI_O3_1H] = {0, 160, 200, 300, 400, 800, 1000, 1200},
    [AQI_O3_8H] = {0, 100, 160, 215, 265, 800, -1, -1},
    [AQI_PM25_24H] = {0, 35, 75, 115, 150, 250, 350, 500},
};
static const int levels[AQI_N_BREAKPOINTS] = {0, 50, 100, 150, 200, 300, 400, 500};

static void test_breakpoints_exact(void **state) {
    (void)state;
    for (int k = 0; k < AQI_KIND_COUNT; k++) {
        size_t n;
        const double *bp = aqi_breakpoints((aqi_kind)k, &n);
        assert_non_null(bp);
        for (size_t i = 0; i < AQI_N_BREAKPOINTS; i++) {
            if (table1[k][i] < 0) {
                assert_true(i >= n);
                continue;
            }
            assert_true(i < n);
            assert_near(bp[i], table1[k][i], 0);
            aqi_iaqi_value v = iaqi((aqi_kind)k, table1[k][i]);
            if (v.iaqi != levels[i] || v.status != AQI_IAQI_OK)
                fail_msg("%s %g -> %d (%g), expected %d", aqi_kind_name((aqi_kind)k), table1[k][i],
                         v.iaqi, v.exact, levels[i]);
            assert_near(v.exact, levels[i], 1e-12);
        }
    }
    assert_int_equal(aqi_iaqi_levels()[7], 500);
    /* The brief's own examples. */
    assert_int_equal(iaqi(AQI_PM25_24H, 35).iaqi, 50);
    assert_int_equal(iaqi(AQI_PM25_24H, 75).iaqi, 100);
    assert_int_equal(iaqi(AQI_PM25_24H, 115).iaqi, 150);
    assert_int_equal(iaqi(AQI_PM25_24H, 150).iaqi, 200);
    assert_int_equal(iaqi(AQI_PM25_24H, 250).iaqi, 300);
    assert_int_equal(iaqi(AQI_PM25_24H, 350).iaqi, 400);
    assert_int_equal(iaqi(AQI_PM25_24H, 500).iaqi, 500);
}

static void test_interpolation(void **state) {
    (void)state;
    aqi_iaqi_value v;
    /* gb3095.md section 5 rows. */
    v = iaqi(AQI_PM25_24H, 80); /* 50/40 * 5 + 100 */
    assert_near(v.exact, 106.25, EPS);
    assert_int_equal(v.iaqi, 107);
    v = iaqi(AQI_PM10_24H, 180); /* 50/100 * 30 + 100 */
    assert_near(v.exact, 115, EPS);
    assert_int_equal(v.iaqi, 115);
    v = iaqi(AQI_SO2_24H, 65); /* 50/100 * 15 + 50 */
    assert_near(v.exact, 57.5, EPS);
    assert_int_equal(v.iaqi, 58);
    v = iaqi(AQI_NO2_24H, 150); /* 50/100 * 70 + 100 */
    assert_int_equal(v.iaqi, 135);
    v = iaqi(AQI_CO_24H, 8); /* 50/10 * 4 + 100 */
    assert_int_equal(v.iaqi, 120);
    v = iaqi(AQI_O3_8H, 200); /* 50/55 * 40 + 100 = 136.36 */
    assert_near(v.exact, 100 + 50.0 * 40 / 55, EPS);
    assert_int_equal(v.iaqi, 137);
    /* Ours, by hand. */
    v = iaqi(AQI_SO2_1H, 700); /* 50/150 * 50 + 150 = 166.67 */
    assert_int_equal(v.iaqi, 167);
    v = iaqi(AQI_NO2_1H, 1000); /* 50/500 * 300 + 150 */
    assert_int_equal(v.iaqi, 180);
    v = iaqi(AQI_O3_1H, 900); /* 100/200 * 100 + 300 */
    assert_int_equal(v.iaqi, 350);
    v = iaqi(AQI_CO_1H, 0.3); /* 50/5 * 0.3 = 3 */
    assert_near(v.exact, 3, EPS);
    assert_int_equal(v.iaqi, 3);
    v = iaqi(AQI_CO_24H, 0.7); /* 50/2 * 0.7 = 17.5 */
    assert_int_equal(v.iaqi, 18);
    v = iaqi(AQI_PM25_24H, 0.1); /* 0.14: rounds up to 1 */
    assert_int_equal(v.iaqi, 1);
    v = iaqi(AQI_PM25_24H, 0);
    assert_int_equal(v.iaqi, 0);
    /* Decimal concentrations whose IAQI is a whole number but comes out a
     * hair above it in binary (55.00000000000001): not rounded past it. */
    assert_int_equal(iaqi(AQI_CO_24H, 2.2).iaqi, 55);   /* 50 + 50/2 * 0.2 */
    assert_int_equal(iaqi(AQI_CO_1H, 1.1).iaqi, 11);    /* 50/5 * 1.1 */
    assert_int_equal(iaqi(AQI_PM25_24H, 4.9).iaqi, 7);  /* 50/35 * 4.9 */
    assert_int_equal(iaqi(AQI_O3_8H, 163.3).iaqi, 103); /* 100 + 50/55 * 3.3 */
    assert_int_equal(iaqi(AQI_NO2_24H, 35.2).iaqi, 44); /* 50/40 * 35.2 */
    v = iaqi(AQI_PM10_24H, 455);                        /* 100/80 * 35 + 300 = 343.75 */
    assert_int_equal(v.iaqi, 344);
    v = iaqi(AQI_SO2_24H, 2360); /* 100/520 * 260 + 400 */
    assert_int_equal(v.iaqi, 450);
    v = iaqi(AQI_O3_8H, 532.5); /* 100/535 * 267.5 + 200 */
    assert_int_equal(v.iaqi, 250);
}

static void test_scale_ends(void **state) {
    (void)state;
    aqi_iaqi_value v;
    /* Above the top: capped at 500. */
    v = iaqi(AQI_PM25_24H, 600);
    assert_int_equal(v.status, AQI_IAQI_CAPPED);
    assert_int_equal(v.iaqi, 500);
    v = iaqi(AQI_SO2_24H, 2620);
    assert_int_equal(v.status, AQI_IAQI_OK);
    v = iaqi(AQI_SO2_24H, 2620.5);
    assert_int_equal(v.status, AQI_IAQI_CAPPED);
    v = iaqi(AQI_O3_1H, 1300);
    assert_int_equal(v.status, AQI_IAQI_CAPPED);
    assert_int_equal(v.iaqi, 500);
    /* b1: 1-h SO2 above 800 has no IAQI; 800 itself does. */
    v = iaqi(AQI_SO2_1H, 800);
    assert_int_equal(v.status, AQI_IAQI_OK);
    assert_int_equal(v.iaqi, 200);
    v = iaqi(AQI_SO2_1H, 800.1);
    assert_int_equal(v.status, AQI_IAQI_UNDEFINED);
    assert_int_equal(v.iaqi, -1);
    assert_true(isnan(v.exact));
    /* b2: 8-h O3 above 800. */
    v = iaqi(AQI_O3_8H, 800);
    assert_int_equal(v.iaqi, 300);
    v = iaqi(AQI_O3_8H, 801);
    assert_int_equal(v.status, AQI_IAQI_UNDEFINED);
    /* Bad input. */
    assert_int_equal(aqi_iaqi(AQI_PM25_24H, -1, &v), -1);
    assert_int_equal(aqi_iaqi(AQI_PM25_24H, NAN, &v), -1);
    assert_int_equal(aqi_iaqi(AQI_PM25_24H, INFINITY, &v), -1);
    assert_int_equal(aqi_iaqi(AQI_KIND_COUNT, 1, &v), -1);
    assert_int_equal(aqi_iaqi(AQI_PM25_24H, 1, NULL), -1);
    assert_null(aqi_kind_name(AQI_KIND_COUNT));
    assert_string_equal(aqi_kind_unit(AQI_CO_1H), "mg/m3");
    assert_string_equal(aqi_kind_pollutant(AQI_PM25_24H), "PM2.5");
}

/* ---------------------------------------------------------------------- */
/* AQI                                                                     */
/* ---------------------------------------------------------------------- */

static aqi_result compute(const aqi_input *in, size_t n) {
    aqi_result r;
    char err[128];
    if (aqi_compute(in, n, &r, err, sizeof err) != 0) fail_msg("%s", err);
    return r;
}

static void test_worked_example(void **state) {
    (void)state;
    /* gb3095.md section 5: AQI 137, level III, primary O3 (8 h),
     * exceeding PM2.5, PM10, NO2, CO and O3. */
    aqi_input in[] = {
        {AQI_PM25_24H, 80}, {AQI_PM10_24H, 180}, {AQI_SO2_24H, 65},
        {AQI_NO2_24H, 150}, {AQI_CO_24H, 8},     {AQI_O3_8H, 200},
    };
    aqi_result r = compute(in, 6);
    assert_int_equal(r.aqi, 137);
    assert_int_equal(r.category->level, 3);
    assert_string_equal(r.category->roman, "III");
    assert_string_equal(r.category->name_zh, "轻度污染");
    assert_string_equal(r.category->name_en, "Lightly polluted");
    assert_string_equal(r.category->colour_hex, "#FF7E00");
    assert_int_equal(r.n_primary, 1);
    assert_int_equal(r.primary[0], AQI_O3_8H);
    assert_int_equal(r.n_exceeding, 5);
    assert_int_equal(r.exceeding[0], AQI_NO2_24H); /* aqi_kind order */
    assert_int_equal(r.exceeding[1], AQI_PM10_24H);
    assert_int_equal(r.exceeding[2], AQI_CO_24H);
    assert_int_equal(r.exceeding[3], AQI_O3_8H);
    assert_int_equal(r.exceeding[4], AQI_PM25_24H);
    assert_int_equal(r.iaqi[AQI_SO2_24H].iaqi, 58);
    assert_true(r.present[AQI_SO2_24H]);
    assert_false(r.present[AQI_SO2_1H]);
    assert_false(r.substitute_missing);
}

static void test_primary_and_ties(void **state) {
    (void)state;
    /* Tie at 100: both primary, neither exceeding (IAQI > 100 only). */
    aqi_input tie[] = {{AQI_PM25_24H, 75}, {AQI_PM10_24H, 150}, {AQI_SO2_24H, 20}};
    aqi_result r = compute(tie, 3);
    assert_int_equal(r.aqi, 100);
    assert_int_equal(r.category->level, 2);
    assert_int_equal(r.n_primary, 2);
    assert_int_equal(r.primary[0], AQI_PM10_24H);
    assert_int_equal(r.primary[1], AQI_PM25_24H);
    assert_int_equal(r.n_exceeding, 0);
    /* Tie on the rounded index: 106.25 and 106.5 both publish as 107. */
    aqi_input tie2[] = {{AQI_PM25_24H, 80}, {AQI_PM10_24H, 163}};
    r = compute(tie2, 2);
    assert_int_equal(r.aqi, 107);
    assert_int_equal(r.n_primary, 2);
    /* AQI 50: no primary pollutant. */
    aqi_input clean[] = {{AQI_PM25_24H, 35}, {AQI_O3_1H, 20}};
    r = compute(clean, 2);
    assert_int_equal(r.aqi, 50);
    assert_int_equal(r.category->level, 1);
    assert_string_equal(r.category->name_zh, "优");
    assert_int_equal(r.n_primary, 0);
    /* AQI 51: PM2.5 35.5 -> 50.625 -> 51. */
    aqi_input just[] = {{AQI_PM25_24H, 35.5}, {AQI_O3_1H, 20}};
    r = compute(just, 2);
    assert_int_equal(r.aqi, 51);
    assert_int_equal(r.n_primary, 1);
    assert_int_equal(r.primary[0], AQI_PM25_24H);
    /* Nothing given. */
    r = compute(NULL, 0);
    assert_int_equal(r.aqi, -1);
    assert_null(r.category);
}

static void test_substitutes(void **state) {
    (void)state;
    /* b1: 1-h SO2 900 has no IAQI; the 24-h SO2 (500: 50/325 * 25 + 150 =
     * 153.8 -> 154) stands in. */
    aqi_input so2[] = {{AQI_SO2_1H, 900}, {AQI_SO2_24H, 500}, {AQI_PM25_24H, 20}};
    aqi_result r = compute(so2, 3);
    assert_int_equal(r.iaqi[AQI_SO2_1H].status, AQI_IAQI_UNDEFINED);
    assert_int_equal(r.aqi, 154);
    assert_int_equal(r.primary[0], AQI_SO2_24H);
    assert_false(r.substitute_missing);
    /* Without the 24-h value the standard's substitute is missing. */
    r = compute(so2, 1);
    assert_int_equal(r.aqi, -1);
    assert_true(r.substitute_missing);
    aqi_input so2b[] = {{AQI_SO2_1H, 900}, {AQI_PM25_24H, 20}};
    r = compute(so2b, 2);
    assert_true(r.substitute_missing);
    assert_int_equal(r.aqi, 29); /* 50/35 * 20 = 28.6 */
    /* b2: 8-h O3 850 has no IAQI; the 1-h O3 (900 -> 350) stands in. */
    aqi_input o3[] = {{AQI_O3_8H, 850}, {AQI_O3_1H, 900}};
    r = compute(o3, 2);
    assert_int_equal(r.aqi, 350);
    assert_int_equal(r.category->level, 6);
    assert_int_equal(r.n_primary, 1);
    assert_int_equal(r.primary[0], AQI_O3_1H);
    assert_false(r.substitute_missing);
    r = compute(o3, 1);
    assert_true(r.substitute_missing);
}

static void test_compute_errors(void **state) {
    (void)state;
    aqi_result r;
    char err[128];
    aqi_input dup[] = {{AQI_PM25_24H, 10}, {AQI_PM25_24H, 20}};
    assert_int_equal(aqi_compute(dup, 2, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "PM2.5_24h"));
    aqi_input neg[] = {{AQI_CO_1H, -0.1}};
    assert_int_equal(aqi_compute(neg, 1, &r, err, sizeof err), -1);
    aqi_input bad[] = {{(aqi_kind)42, 1}};
    assert_int_equal(aqi_compute(bad, 1, &r, err, sizeof err), -1);
    assert_int_equal(aqi_compute(NULL, 1, &r, err, sizeof err), -1);
    assert_int_equal(aqi_compute(dup, 1, NULL, NULL, 0), -1);
}

static void test_categories(void **state) {
    (void)state;
    /* gb3095.md section 4: boundaries, names and RGB. */
    static const struct {
        int aqi, level;
        const char *zh, *en, *hex;
        int r, g, b;
    } cases[] = {
        {0, 1, "优", "Excellent", "#00E400", 0, 228, 0},
        {50, 1, "优", "Excellent", "#00E400", 0, 228, 0},
        {51, 2, "良", "Good", "#FFFF00", 255, 255, 0},
        {100, 2, "良", "Good", "#FFFF00", 255, 255, 0},
        {101, 3, "轻度污染", "Lightly polluted", "#FF7E00", 255, 126, 0},
        {150, 3, "轻度污染", "Lightly polluted", "#FF7E00", 255, 126, 0},
        {151, 4, "中度污染", "Moderately polluted", "#FF0000", 255, 0, 0},
        {200, 4, "中度污染", "Moderately polluted", "#FF0000", 255, 0, 0},
        {201, 5, "重度污染", "Heavily polluted", "#99004C", 153, 0, 76},
        {300, 5, "重度污染", "Heavily polluted", "#99004C", 153, 0, 76},
        {301, 6, "严重污染", "Severely polluted", "#7E0023", 126, 0, 35},
        {500, 6, "严重污染", "Severely polluted", "#7E0023", 126, 0, 35},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const aqi_category *c = aqi_category_of(cases[i].aqi);
        assert_non_null(c);
        if (c->level != cases[i].level) fail_msg("AQI %d: level %d", cases[i].aqi, c->level);
        assert_string_equal(c->name_zh, cases[i].zh);
        assert_string_equal(c->name_en, cases[i].en);
        assert_string_equal(c->colour_hex, cases[i].hex);
        assert_int_equal(c->r, cases[i].r);
        assert_int_equal(c->g, cases[i].g);
        assert_int_equal(c->b, cases[i].b);
    }
    assert_null(aqi_category_of(-1));
    size_t n;
    const aqi_category *all = aqi_categories(&n);
    assert_int_equal(n, 6);
    assert_string_equal(all[4].colour_name, "purple");
    assert_string_equal(all[5].colour_name, "maroon");
}

/* ---------------------------------------------------------------------- */
/* GB 3095 limits                                                          */
/* ---------------------------------------------------------------------- */

static void test_limit_table(void **state) {
    (void)state;
    /* gb3095.md section 1, Tables 1 and 2: item, period, Grade I, Grade II. */
    static const struct {
        aqi_item item;
        aqi_period period;
        double g1, g2;
        int table;
    } rows[] = {
        {AQI_ITEM_SO2, AQI_AVG_ANNUAL, 20, 60, 1},
        {AQI_ITEM_SO2, AQI_AVG_24H, 50, 150, 1},
        {AQI_ITEM_SO2, AQI_AVG_1H, 150, 500, 1},
        {AQI_ITEM_NO2, AQI_AVG_ANNUAL, 40, 40, 1},
        {AQI_ITEM_NO2, AQI_AVG_24H, 80, 80, 1},
        {AQI_ITEM_NO2, AQI_AVG_1H, 200, 200, 1},
        {AQI_ITEM_CO, AQI_AVG_24H, 4, 4, 1},
        {AQI_ITEM_CO, AQI_AVG_1H, 10, 10, 1},
        {AQI_ITEM_O3, AQI_AVG_8H_MAX, 100, 160, 1},
        {AQI_ITEM_O3, AQI_AVG_1H, 160, 200, 1},
        {AQI_ITEM_PM10, AQI_AVG_ANNUAL, 40, 70, 1},
        {AQI_ITEM_PM10, AQI_AVG_24H, 50, 150, 1},
        {AQI_ITEM_PM25, AQI_AVG_ANNUAL, 15, 35, 1},
        {AQI_ITEM_PM25, AQI_AVG_24H, 35, 75, 1},
        {AQI_ITEM_TSP, AQI_AVG_ANNUAL, 80, 200, 2},
        {AQI_ITEM_TSP, AQI_AVG_24H, 120, 300, 2},
        {AQI_ITEM_NOX, AQI_AVG_ANNUAL, 50, 50, 2},
        {AQI_ITEM_NOX, AQI_AVG_24H, 100, 100, 2},
        {AQI_ITEM_NOX, AQI_AVG_1H, 250, 250, 2},
        {AQI_ITEM_PB, AQI_AVG_ANNUAL, 0.5, 0.5, 2},
        {AQI_ITEM_PB, AQI_AVG_QUARTER, 1, 1, 2},
        {AQI_ITEM_BAP, AQI_AVG_ANNUAL, 0.001, 0.001, 2},
        {AQI_ITEM_BAP, AQI_AVG_24H, 0.0025, 0.0025, 2},
    };
    size_t n;
    aqi_limits(&n);
    assert_int_equal(n, sizeof rows / sizeof rows[0]);
    for (size_t i = 0; i < n; i++) {
        const aqi_limit *l = aqi_limit_find(rows[i].item, rows[i].period);
        if (!l)
            fail_msg("no limit for %s %s", aqi_item_name(rows[i].item),
                     aqi_period_name(rows[i].period));
        assert_near(l->grade1, rows[i].g1, 0);
        assert_near(l->grade2, rows[i].g2, 0);
        assert_int_equal(l->table, rows[i].table);
        assert_string_equal(l->unit, rows[i].item == AQI_ITEM_CO ? "mg/m3" : "ug/m3");

        /* At exactly the limit: not an exceedance; just above: one. */
        aqi_exceedance e;
        assert_int_equal(
            aqi_limit_check(rows[i].item, rows[i].period, AQI_GRADE_II, rows[i].g2, &e), 0);
        assert_false(e.exceeds);
        assert_near(e.ratio, 1, EPS);
        assert_near(e.excess, 0, 0);
        assert_int_equal(
            aqi_limit_check(rows[i].item, rows[i].period, AQI_GRADE_II, rows[i].g2 * 1.001, &e), 0);
        assert_true(e.exceeds);
        assert_int_equal(aqi_limit_check(rows[i].item, rows[i].period, AQI_GRADE_I, rows[i].g1, &e),
                         0);
        assert_false(e.exceeds);
        assert_near(e.limit, rows[i].g1, 0);
    }
    assert_null(aqi_limit_find(AQI_ITEM_CO, AQI_AVG_ANNUAL));
    assert_null(aqi_limit_find(AQI_ITEM_PM25, AQI_AVG_1H));
    assert_string_equal(aqi_item_name(AQI_ITEM_PM25), "PM2.5");
    assert_string_equal(aqi_period_name(AQI_AVG_8H_MAX), "8h_max");
}

static void test_limit_check(void **state) {
    (void)state;
    aqi_exceedance e;
    /* PM2.5 24 h 112.5 against Grade II 75: 1.5 times the limit, 0.5 over. */
    assert_int_equal(aqi_limit_check(AQI_ITEM_PM25, AQI_AVG_24H, AQI_GRADE_II, 112.5, &e), 0);
    assert_true(e.exceeds);
    assert_near(e.limit, 75, 0);
    assert_near(e.ratio, 1.5, EPS);
    assert_near(e.excess, 0.5, EPS);
    /* The same against Grade I (35). */
    assert_int_equal(aqi_limit_check(AQI_ITEM_PM25, AQI_AVG_24H, AQI_GRADE_I, 112.5, &e), 0);
    assert_near(e.ratio, 112.5 / 35, EPS);
    /* O3 daily max 8 h at 160 (Grade II): compliant; 161: not. */
    assert_int_equal(aqi_limit_check(AQI_ITEM_O3, AQI_AVG_8H_MAX, AQI_GRADE_II, 160, &e), 0);
    assert_false(e.exceeds);
    assert_int_equal(aqi_limit_check(AQI_ITEM_O3, AQI_AVG_8H_MAX, AQI_GRADE_II, 161, &e), 0);
    assert_true(e.exceeds);
    /* A mean computed as 0.1 * 3 * 250 = 75.00000000000001: equal. */
    assert_int_equal(aqi_limit_check(AQI_ITEM_PM25, AQI_AVG_24H, AQI_GRADE_II, 0.1 * 3 * 250, &e),
                     0);
    assert_false(e.exceeds);
    /* Below the limit. */
    assert_int_equal(aqi_limit_check(AQI_ITEM_CO, AQI_AVG_1H, AQI_GRADE_II, 5, &e), 0);
    assert_false(e.exceeds);
    assert_near(e.ratio, 0.5, EPS);
    /* No such limit, bad grade, bad mean. */
    assert_int_equal(aqi_limit_check(AQI_ITEM_CO, AQI_AVG_ANNUAL, AQI_GRADE_II, 1, &e), -1);
    assert_int_equal(aqi_limit_check(AQI_ITEM_PM25, AQI_AVG_24H, 3, 1, &e), -1);
    assert_int_equal(aqi_limit_check(AQI_ITEM_PM25, AQI_AVG_24H, AQI_GRADE_II, -1, &e), -1);
    assert_int_equal(aqi_limit_check(AQI_ITEM_PM25, AQI_AVG_24H, AQI_GRADE_II, NAN, &e), -1);
    assert_int_equal(aqi_limit_check(AQI_ITEM_COUNT, AQI_AVG_24H, AQI_GRADE_II, 1, &e), -1);
}

/* ---------------------------------------------------------------------- */
/* Averaging                                                               */
/* ---------------------------------------------------------------------- */

static void test_mean_24h(void **state) {
    (void)state;
    double h[24];
    for (int i = 0; i < 24; i++) h[i] = i + 1; /* 1 .. 24: mean 12.5 */
    aqi_mean m;
    assert_int_equal(aqi_mean_24h(h, &m), 0);
    assert_true(m.valid);
    assert_int_equal(m.n_valid, 24);
    assert_near(m.value, 12.5, EPS);
    /* Four hours missing: 20 left, still valid. Missing 1, 2, 3, 4: the
     * mean of 5 .. 24 is 14.5. */
    for (int i = 0; i < 4; i++) h[i] = NAN;
    assert_int_equal(aqi_mean_24h(h, &m), 0);
    assert_true(m.valid);
    assert_int_equal(m.n_valid, 20);
    assert_near(m.value, 14.5, EPS);
    /* A fifth missing (5): 19 left, invalid, the mean still given (15). */
    h[4] = NAN;
    assert_int_equal(aqi_mean_24h(h, &m), 0);
    assert_false(m.valid);
    assert_int_equal(m.n_valid, 19);
    assert_near(m.value, 15, EPS);
    /* None. */
    for (int i = 0; i < 24; i++) h[i] = NAN;
    assert_int_equal(aqi_mean_24h(h, &m), 0);
    assert_false(m.valid);
    assert_true(isnan(m.value));
    /* A negative or infinite value is an error, not a missing hour. */
    h[3] = -1;
    assert_int_equal(aqi_mean_24h(h, &m), -1);
    h[3] = INFINITY;
    assert_int_equal(aqi_mean_24h(h, &m), -1);
    assert_int_equal(aqi_mean_24h(NULL, &m), -1);
    /* The general form. */
    double three[] = {1, NAN, 3};
    assert_int_equal(aqi_mean_hours(three, 3, 2, &m), 0);
    assert_true(m.valid);
    assert_near(m.value, 2, EPS);
}

static void test_mean_8h(void **state) {
    (void)state;
    double h[8] = {100, 110, 120, 130, 140, 150, 160, 170};
    aqi_mean m;
    assert_int_equal(aqi_mean_8h(h, &m), 0);
    assert_true(m.valid);
    assert_near(m.value, 135, EPS);
    h[0] = h[7] = NAN; /* 6 of 8: valid, mean of 110 .. 160 = 135 */
    assert_int_equal(aqi_mean_8h(h, &m), 0);
    assert_true(m.valid);
    assert_int_equal(m.n_valid, 6);
    assert_near(m.value, 135, EPS);
    h[1] = NAN; /* 5 of 8: invalid */
    assert_int_equal(aqi_mean_8h(h, &m), 0);
    assert_false(m.valid);
    assert_near(m.value, 140, EPS);
}

static void test_o3_daily_max(void **state) {
    (void)state;
    double h[24];
    for (int i = 0; i < 24; i++) h[i] = 10.0 * i; /* 0, 10, .., 230 */
    aqi_o3_daily d;
    /* All 17 windows valid; the last (hours 16-23, ending 24:00) is the
     * highest: 10 * (16 + .. + 23) / 8 = 195. */
    assert_int_equal(aqi_o3_daily_max_8h(h, &d), 0);
    assert_int_equal(d.n_windows, 17);
    assert_true(d.valid);
    assert_near(d.value, 195, EPS);
    assert_int_equal(d.end_hour, 24);

    /* Hours 20, 21, 22 missing. Windows starting at 0..12 are whole (13),
     * 13-20 has 7 hours, 14-21 has 6 (valid), 15-22 and 16-23 have 5
     * (invalid): 15 windows. Highest: 14-21 over hours 14..19 = 165,
     * ending 22:00. */
    h[20] = h[21] = h[22] = NAN;
    assert_int_equal(aqi_o3_daily_max_8h(h, &d), 0);
    assert_int_equal(d.n_windows, 15);
    assert_true(d.valid);
    assert_near(d.value, 165, EPS);
    assert_int_equal(d.end_hour, 22);

    /* Hours 0, 1, 2 missing too: window 0-7 has 5, invalid: 14 windows,
     * still valid (the minimum is 14). */
    h[0] = h[1] = h[2] = NAN;
    assert_int_equal(aqi_o3_daily_max_8h(h, &d), 0);
    assert_int_equal(d.n_windows, 14);
    assert_true(d.valid);
    /* Hour 3 as well: 1-8 drops to 5 too: 13 windows, not valid; the value
     * is kept as a lower bound of the day's maximum. */
    h[3] = NAN;
    assert_int_equal(aqi_o3_daily_max_8h(h, &d), 0);
    assert_int_equal(d.n_windows, 13);
    assert_false(d.valid);
    assert_near(d.value, 165, EPS);

    /* A day without data. */
    for (int i = 0; i < 24; i++) h[i] = NAN;
    assert_int_equal(aqi_o3_daily_max_8h(h, &d), 0);
    assert_int_equal(d.n_windows, 0);
    assert_int_equal(d.end_hour, -1);
    assert_true(isnan(d.value));
    assert_int_equal(aqi_o3_daily_max_8h(NULL, &d), -1);

    /* Feeds the AQI and the limit: a constant 200 ug/m3 day. */
    for (int i = 0; i < 24; i++) h[i] = 200;
    assert_int_equal(aqi_o3_daily_max_8h(h, &d), 0);
    aqi_exceedance e;
    assert_int_equal(aqi_limit_check(AQI_ITEM_O3, AQI_AVG_8H_MAX, AQI_GRADE_II, d.value, &e), 0);
    assert_true(e.exceeds);
    assert_near(e.ratio, 1.25, EPS);
    assert_int_equal(iaqi(AQI_O3_8H, d.value).iaqi, 137);
}

/* ---------------------------------------------------------------------- */
/* ppm                                                                     */
/* ---------------------------------------------------------------------- */

static void test_ppm(void **state) {
    (void)state;
    double ug, ppm;
    double m_cl2 = aqi_molar_mass_g_mol("chlorine");
    assert_near(m_cl2, 70.9, 1e-3);
    assert_near(aqi_molar_mass_g_mol("cl2"), m_cl2, 0);
    /* 1 ppm chlorine = 70.9 / 24.45 mg/m3 = 2899.8 ug/m3. */
    assert_int_equal(aqi_ppm_to_ug_m3(1, m_cl2, &ug), 0);
    assert_near(ug, 70.9 * 1000 / 24.45, 1e-6);
    /* 30 ppm chlorine is about 87 mg/m3 (gas-detection-gb50493.md: the old
     * IDLH 88 mg/m3 ~ 30 ppm). */
    assert_int_equal(aqi_ppm_to_ug_m3(30, m_cl2, &ug), 0);
    assert_near(ug / 1000, 87.0, 0.1);
    /* ppm = mg/m3 * 24.45 / M: 1000 ug/m3 SO2 = 24.45 / 64.058 ppm. */
    assert_int_equal(aqi_ug_m3_to_ppm(1000, aqi_molar_mass_g_mol("SO2"), &ppm), 0);
    assert_near(ppm, 24.45 / 64.058, 1e-9);
    /* Round trip: 10 ppm H2S. */
    double m_h2s = aqi_molar_mass_g_mol("hydrogen sulfide");
    assert_near(m_h2s, 34.076, 1e-3);
    assert_int_equal(aqi_ppm_to_ug_m3(10, m_h2s, &ug), 0);
    assert_near(ug, 13937.0, 1.0);
    assert_int_equal(aqi_ug_m3_to_ppm(ug, m_h2s, &ppm), 0);
    assert_near(ppm, 10, 1e-9);
    /* CO: 10 mg/m3 (the 1-h limit) is 8.73 ppm. */
    assert_int_equal(aqi_ug_m3_to_ppm(10000, aqi_molar_mass_g_mol("CO"), &ppm), 0);
    assert_near(ppm, 8.729, 1e-3);
    /* Bad input. */
    assert_int_equal(aqi_ppm_to_ug_m3(-1, 10, &ug), -1);
    assert_int_equal(aqi_ppm_to_ug_m3(1, 0, &ug), -1);
    assert_int_equal(aqi_ppm_to_ug_m3(NAN, 10, &ug), -1);
    assert_int_equal(aqi_ug_m3_to_ppm(1, -5, &ppm), -1);
    assert_int_equal(aqi_ug_m3_to_ppm(1, 5, NULL), -1);
    assert_near(aqi_molar_mass_g_mol("unobtainium"), -1, 0);
    assert_near(aqi_molar_mass_g_mol(NULL), -1, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_breakpoints_exact), cmocka_unit_test(test_interpolation),
        cmocka_unit_test(test_scale_ends),        cmocka_unit_test(test_worked_example),
        cmocka_unit_test(test_primary_and_ties),  cmocka_unit_test(test_substitutes),
        cmocka_unit_test(test_compute_errors),    cmocka_unit_test(test_categories),
        cmocka_unit_test(test_limit_table),       cmocka_unit_test(test_limit_check),
        cmocka_unit_test(test_mean_24h),          cmocka_unit_test(test_mean_8h),
        cmocka_unit_test(test_o3_daily_max),      cmocka_unit_test(test_ppm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
