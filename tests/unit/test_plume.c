/*
 * test_plume.c - the views/ plume model: the reference's worked example
 * (gaussian-plume.md section 5), every Briggs row at 1 km against hand
 * arithmetic, every cell of the Pasquill-Gifford table and the solar-time
 * estimate at hand-checked times, properties of the concentration field and
 * of the threshold footprint (on the contour, turning with the wind, nested
 * in Q, empty, capped), units, the substance table and leak rates. The
 * reference's numbers are written out here; they are the facts of docs/reference/.
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

#include "views/plume.h"

static void assert_rel(double got, double want, double rel) {
    if (!(fabs(got - want) <= rel * fabs(want)))
        fail_msg("got %.9g, want %.9g (+-%.3g%%)", got, want, rel * 100);
}

static void assert_abs(double got, double want, double tol) {
    if (!(fabs(got - want) <= tol)) fail_msg("got %.9g, want %.9g (+-%.3g)", got, want, tol);
}

/* ---- reference section 5 ---------------------------------------------- */

static void test_worked_example(void **state) {
    (void)state;
    double sy, sz;
    assert_int_equal(plume_sigmas(PLUME_RURAL, PLUME_D, 1000, &sy, &sz), 0);
    assert_rel(sy, 76.277, 1e-5); /* 80 / sqrt(1.1) */
    assert_rel(sz, 37.947, 1e-5); /* 60 / sqrt(2.5) */
    plume_source src = {.q_g_s = 100, .height_m = 50};
    plume_met met = {.wind_m_s = 5, .cls = PLUME_D, .terrain = PLUME_RURAL};
    /* 2.1994e-3 g/m3 x exp(-0.86806) = 9.232e-4 g/m3 = 923 ug/m3 */
    assert_rel(plume_conc_g_m3(&src, &met, 1000, 0, 0) * 1e6, 923, 1e-3);
    /* x exp(-50^2 / (2 76.277^2)) = x 0.80667 -> 745 ug/m3 */
    assert_rel(plume_conc_g_m3(&src, &met, 1000, 50, 0) * 1e6, 745, 1e-3);
    assert_rel(plume_conc_g_m3(&src, &met, 1000, -50, 0) * 1e6, 745, 1e-3);
    /* The same through the map frame: wind from the west blows east. */
    met.wind_from_deg = 270;
    assert_rel(plume_conc_at_g_m3(&src, &met, 1000, 0, 0) * 1e6, 923, 1e-3);
    assert_rel(plume_conc_at_g_m3(&src, &met, 1000, 50, 0) * 1e6, 745, 1e-3);
}

/* ---- Briggs rows at x = 1000 m (reference section 3) ------------------ */

static void test_briggs_rows(void **state) {
    (void)state;
    /* Rural sigma_y = a x (1 + 0.0001 x)^-1/2 = a 1000 / sqrt(1.1), 1/sqrt(1.1) = 0.953463:
     *   A 220 x 0.953463 = 209.762   B 160 x = 152.554   C 110 x = 104.881
     *   D  80 x          =  76.277   E  60 x =  57.208   F  40 x =  38.139
     * Rural sigma_z:
     *   A 0.20 x 1000 = 200           B 0.12 x 1000 = 120
     *   C 80 / sqrt(1.2) = 80 / 1.095445 = 73.030
     *   D 60 / sqrt(2.5) = 60 / 1.581139 = 37.947
     *   E 30 / 1.3 = 23.077           F 16 / 1.3 = 12.308 */
    static const double rural[PLUME_CLASS_COUNT][2] = {
        {209.762, 200},   {152.554, 120},   {104.881, 73.030},
        {76.277, 37.947}, {57.208, 23.077}, {38.139, 12.308},
    };
    /* Urban sigma_y = a 1000 / sqrt(1.4), 1/sqrt(1.4) = 0.845154:
     *   A-B 320 x = 270.449   C 220 x = 185.934   D 160 x = 135.225   E-F 110 x = 92.967
     * Urban sigma_z:
     *   A-B 240 x sqrt(1 + 0.001 x 1000) = 240 x 1.414214 = 339.411
     *   C   0.20 x 1000 = 200
     *   D   140 / sqrt(1.3) = 140 / 1.140175 = 122.788
     *   E-F 80 / sqrt(2.5) = 80 / 1.581139 = 50.596 */
    static const double urban[PLUME_CLASS_COUNT][2] = {
        {270.449, 339.411}, {270.449, 339.411}, {185.934, 200},
        {135.225, 122.788}, {92.967, 50.596},   {92.967, 50.596},
    };
    for (int c = 0; c < PLUME_CLASS_COUNT; c++) {
        double sy, sz;
        assert_int_equal(plume_sigmas(PLUME_RURAL, (plume_class)c, 1000, &sy, &sz), 0);
        assert_rel(sy, rural[c][0], 5e-5); /* hand values rounded to 3 decimals */
        assert_rel(sz, rural[c][1], 5e-5);
        assert_int_equal(plume_sigmas(PLUME_URBAN, (plume_class)c, 1000, &sy, &sz), 0);
        assert_rel(sy, urban[c][0], 5e-5);
        assert_rel(sz, urban[c][1], 5e-5);
    }
    assert_int_equal(plume_sigmas(PLUME_RURAL, PLUME_D, 0, NULL, NULL), -1);
    assert_int_equal(plume_sigmas(PLUME_RURAL, (plume_class)6, 100, NULL, NULL), -1);
    assert_int_equal(plume_sigmas(PLUME_RURAL, PLUME_D, NAN, NULL, NULL), -1);
}

/* Reference section 3: urban A-B sigma_z has exponent +1/2, not -1/2. */
static void test_urban_ab_sigma_z_plus_half(void **state) {
    (void)state;
    for (int c = PLUME_A; c <= PLUME_B; c++) {
        double sz;
        assert_int_equal(plume_sigmas(PLUME_URBAN, (plume_class)c, 1000, NULL, &sz), 0);
        assert_rel(sz, 240 * sqrt(2.0), 1e-9);         /* +1/2: 339.411 */
        assert_true(fabs(sz - 240 / sqrt(2.0)) > 100); /* -1/2 would give 169.706 */
        /* Faster than linear in x: sigma_z / x grows. */
        double s1, s2;
        plume_sigmas(PLUME_URBAN, (plume_class)c, 500, NULL, &s1);
        plume_sigmas(PLUME_URBAN, (plume_class)c, 5000, NULL, &s2);
        assert_true(s2 / 5000 > s1 / 500);
        assert_rel(s2, 0.24 * 5000 * sqrt(1 + 0.001 * 5000), 1e-12);
    }
}

/* ---- stability (reference section 2) ---------------------------------- */

static plume_class class_of(const char *s) {
    /* "A" or "A-B": the resolved (stabler) class is the last letter */
    return (plume_class)(s[strlen(s) - 1] - 'A');
}

static void check_cell(const plume_weather *w, const char *want) {
    plume_class c;
    unsigned f;
    assert_int_equal(plume_stability(w, &c, &f), 0);
    if (c != class_of(want) || (strlen(want) > 1) != ((f & PLUME_FLAG_SPLIT_CLASS) != 0))
        fail_msg("wind %.2f period %d insolation %d okta %d thin %d: got %s flags %#x, want %s",
                 w->wind_10m_m_s, w->period, w->insolation, w->cloud_okta, w->thin_overcast,
                 plume_class_name(c), f, want);
}

/* Issue 22: a split class kept as such (its sigmas the geometric mean of
 * its two classes': Briggs rural A and B at 500 m here) and Pasquill-
 * Gifford sigmas by Turner's fits (D at 1 km: sigma_y = 0.128 x^0.90 =
 * 64.152 m, log10 sigma_z = -1.22 + 1.08 L - 0.061 L^2 with L = 3, so
 * 29.580 m; a ground release of 1 kg/s in 5 m/s then gives Q / (pi u sy
 * sz) = 0.033548 g/m3 on the ground at the centreline). */
static void test_split_class_and_sigma_sets(void **state) {
    (void)state;
    double sya, sza, syb, szb;
    assert_int_equal(plume_sigmas(PLUME_RURAL, PLUME_A, 500, &sya, &sza), 0);
    assert_int_equal(plume_sigmas(PLUME_RURAL, PLUME_B, 500, &syb, &szb), 0);
    plume_source src = {.q_g_s = 1000, .height_m = 0};
    plume_met ab = {.wind_m_s = 5, .cls = PLUME_B, .terrain = PLUME_RURAL, .split = true};
    double want = 1000 / (M_PI * 5 * sqrt(sya * syb) * sqrt(sza * szb));
    double got = plume_conc_g_m3(&src, &ab, 500, 0, 0);
    assert_true(fabs(got / want - 1) < 1e-9);
    /* between A's and B's own values */
    plume_met a = ab, b = ab;
    a.split = b.split = false;
    a.cls = PLUME_A;
    double ca = plume_conc_g_m3(&src, &a, 500, 0, 0), cb = plume_conc_g_m3(&src, &b, 500, 0, 0);
    assert_true(ca < got && got < cb);
    assert_string_equal(plume_class_label(PLUME_B, true), "A\u2013B");
    assert_string_equal(plume_class_label(PLUME_D, true), "C\u2013D");
    assert_string_equal(plume_class_label(PLUME_E, true), "E"); /* no split E */
    assert_string_equal(plume_class_label(PLUME_B, false), "B");
    /* a split of A or E-F does not exist: refused */
    plume_met bad = ab;
    bad.cls = PLUME_F;
    assert_true(isnan(plume_conc_g_m3(&src, &bad, 500, 0, 0)));
    plume_met pg = {.wind_m_s = 5, .cls = PLUME_D, .sigma_set = PLUME_SIGMAS_PASQUILL_GIFFORD};
    assert_true(fabs(plume_conc_g_m3(&src, &pg, 1000, 0, 0) - 0.033548) < 0.000001);
    /* the set matters: Briggs' rural D at 1 km (76.28 and 37.95 m) gives
     * 0.021994 g/m3 */
    plume_met br = pg;
    br.sigma_set = PLUME_SIGMAS_BRIGGS;
    assert_true(fabs(plume_conc_g_m3(&src, &br, 1000, 0, 0) - 0.021994) < 0.000001);
    plume_met bad_set = pg;
    bad_set.sigma_set = (plume_sigma_set)7;
    assert_true(isnan(plume_conc_g_m3(&src, &bad_set, 1000, 0, 0)));
}

static void test_stability_table(void **state) {
    (void)state;
    /* The table as printed; columns: strong, moderate, slight, night thin
     * overcast or > 4/8 low cloud, night <= 4/8 cloud. */
    static const char *const table[5][5] = {
        {"A", "A-B", "B", "E", "F"}, /* < 2 */
        {"A-B", "B", "C", "E", "F"}, /* 2-3 */
        {"B", "B-C", "C", "D", "E"}, /* 3-5 */
        {"C", "C-D", "D", "D", "D"}, /* 5-6 */
        {"C", "D", "D", "D", "D"},   /* > 6 */
    };
    /* Inside each row, and on its edges: 2 opens 2-3, 3 opens 3-5, 5 opens
     * 5-6, 6 closes 5-6, anything above 6 is > 6. */
    static const double winds[5][3] = {
        {0, 1.5, 1.99}, {2.0, 2.5, 2.99}, {3.0, 4.0, 4.99}, {5.0, 5.5, 6.0}, {6.01, 8, 20}};
    for (int r = 0; r < 5; r++) {
        for (int k = 0; k < 3; k++) {
            plume_weather w = {.wind_10m_m_s = winds[r][k], .cloud_okta = PLUME_OKTA_UNKNOWN};
            w.period = PLUME_DAY;
            for (int col = 0; col < 3; col++) {
                w.insolation = (plume_insolation)col;
                check_cell(&w, table[r][col]);
                w.cloud_okta = 3; /* by day cloud short of overcast does not count */
                check_cell(&w, table[r][col]);
                w.cloud_okta = PLUME_OKTA_UNKNOWN;
            }
            w.period = PLUME_NIGHT;
            w.cloud_okta = 5; /* > 4/8 */
            check_cell(&w, table[r][3]);
            w.cloud_okta = 7;
            check_cell(&w, table[r][3]);
            w.cloud_okta = PLUME_OKTA_UNKNOWN;
            w.thin_overcast = true;
            check_cell(&w, table[r][3]);
            w.thin_overcast = false;
            w.cloud_okta = 4; /* <= 4/8 */
            check_cell(&w, table[r][4]);
            w.cloud_okta = 0;
            check_cell(&w, table[r][4]);
            w.cloud_okta = PLUME_OKTA_UNKNOWN; /* unknown: the stabler column */
            check_cell(&w, table[r][4]);
        }
    }
    /* D for full overcast day or night, and for twilight, whatever the wind. */
    for (double u = 0.5; u < 10; u += 1) {
        plume_class c;
        unsigned f;
        plume_weather w = {.wind_10m_m_s = u, .period = PLUME_DAY, .cloud_okta = 8};
        assert_int_equal(plume_stability(&w, &c, &f), 0);
        assert_int_equal(c, PLUME_D);
        assert_true(f & PLUME_FLAG_OVERCAST);
        w.period = PLUME_NIGHT;
        assert_int_equal(plume_stability(&w, &c, &f), 0);
        assert_int_equal(c, PLUME_D);
        w.period = PLUME_TWILIGHT;
        w.cloud_okta = 0;
        assert_int_equal(plume_stability(&w, &c, &f), 0);
        assert_int_equal(c, PLUME_D);
        assert_true(f & PLUME_FLAG_TWILIGHT);
    }
    /* Low wind: flagged, still the < 2 row. */
    plume_class c;
    unsigned f;
    plume_weather w = {.wind_10m_m_s = 0.4, .period = PLUME_NIGHT, .cloud_okta = 1};
    assert_int_equal(plume_stability(&w, &c, &f), 0);
    assert_int_equal(c, PLUME_F);
    assert_true(f & PLUME_FLAG_LOW_WIND);
    w.wind_10m_m_s = 1.0;
    assert_int_equal(plume_stability(&w, &c, &f), 0);
    assert_false(f & PLUME_FLAG_LOW_WIND);
    /* Bad input. */
    w.wind_10m_m_s = -1;
    assert_int_equal(plume_stability(&w, &c, &f), -1);
    w.wind_10m_m_s = NAN;
    assert_int_equal(plume_stability(&w, &c, &f), -1);
    w.wind_10m_m_s = 3;
    w.cloud_okta = 9;
    assert_int_equal(plume_stability(&w, &c, &f), -1);
    assert_int_equal(plume_stability(NULL, &c, &f), -1);
    assert_string_equal(plume_class_name(PLUME_E), "E");
}

static plume_class sun_class(double hour, int doy, double lat, double u, int okta,
                             plume_period want_period) {
    plume_weather w = {.wind_10m_m_s = u, .cloud_okta = okta};
    assert_int_equal(plume_weather_from_sun(hour, doy, lat, &w), 0);
    if (w.period != want_period)
        fail_msg("hour %.2f day %d lat %.1f: period %d, want %d", hour, doy, lat, w.period,
                 want_period);
    plume_class c;
    assert_int_equal(plume_stability(&w, &c, NULL), 0);
    return c;
}

static void test_stability_from_sun(void **state) {
    (void)state;
    double e;
    /* Midsummer (day 172, declination +23.44) noon at 30 N: elevation
     * 90 - 30 + 23.44 = 83.4 deg > 60 -> strong; 1.5 m/s -> A. */
    assert_int_equal(plume_solar_elevation(12, 172, 30, &e), 0);
    assert_abs(e, 83.44, 0.1);
    assert_int_equal(sun_class(12, 172, 30, 1.5, PLUME_OKTA_UNKNOWN, PLUME_DAY), PLUME_A);
    /* Midnight, clear, 2.5 m/s -> F. */
    assert_int_equal(sun_class(0, 172, 30, 2.5, 0, PLUME_NIGHT), PLUME_F);
    /* ... and with 6/8 cloud -> E. */
    assert_int_equal(sun_class(23, 172, 30, 2.5, 6, PLUME_NIGHT), PLUME_E);
    /* Equinox (day 80, declination ~0.07 deg), 10:00 at 30 N: hour angle -30,
     * sin(elev) = cos 30 cos 30 = 0.75 -> 48.6 deg, moderate; 4 m/s -> B-C -> C. */
    assert_int_equal(plume_solar_elevation(10, 80, 30, &e), 0);
    assert_abs(e, 48.6, 0.2);
    assert_int_equal(sun_class(10, 80, 30, 4, 2, PLUME_DAY), PLUME_C);
    /* Midwinter (day 355, declination -23.43) noon at 52 N (England):
     * 90 - 52 - 23.43 = 14.6 deg -> slight; 2.5 m/s -> C. */
    assert_int_equal(plume_solar_elevation(12, 355, 52, &e), 0);
    assert_abs(e, 14.57, 0.1);
    assert_int_equal(sun_class(12, 355, 52, 2.5, PLUME_OKTA_UNKNOWN, PLUME_DAY), PLUME_C);
    /* Equinox at 30 N: cos w0 = sin(-0.833) / cos 30 -> w0 = 90.96 deg =
     * 6.064 h: sunrise 05:56, sunset 18:04 solar time. Night until 06:56,
     * twilight (D) until 07:56, day, twilight from 16:04, night from 17:04. */
    assert_int_equal(sun_class(6.5, 80, 30, 2.5, 0, PLUME_NIGHT), PLUME_F);
    assert_int_equal(sun_class(7.5, 80, 30, 1.5, 0, PLUME_TWILIGHT), PLUME_D);
    /* 08:30: hour angle -52.5, sin(elev) = 0.866 x 0.609 -> 31.8 deg slight;
     * 1.5 m/s -> B. */
    assert_int_equal(sun_class(8.5, 80, 30, 1.5, 0, PLUME_DAY), PLUME_B);
    assert_int_equal(sun_class(16.5, 80, 30, 1.5, 0, PLUME_TWILIGHT), PLUME_D);
    assert_int_equal(sun_class(17.5, 80, 30, 2.5, 0, PLUME_NIGHT), PLUME_F);
    /* Full overcast at noon -> D. */
    assert_int_equal(sun_class(12, 172, 30, 1.5, 8, PLUME_DAY), PLUME_D);
    /* Polar day at 80 N in June (even at midnight) and polar night in December. */
    assert_int_equal(sun_class(0, 172, 80, 2.5, 0, PLUME_DAY), PLUME_C);
    assert_int_equal(sun_class(12, 355, 80, 2.5, 0, PLUME_NIGHT), PLUME_F);
    /* Southern hemisphere: January noon at 30 S is midsummer. */
    assert_int_equal(sun_class(12, 15, -30, 1.5, 0, PLUME_DAY), PLUME_A);
    /* Solar time: Shanghai (121.45 E), 04:00 UTC on day 172: 4 + 121.45/15
     * = 12.0967 h, equation of time -1.32 min -> 12.0746 h. */
    assert_abs(plume_solar_hour(4, 172, 121.45), 12.0746, 0.002);
    assert_abs(plume_solar_hour(20, 172, 121.45), 4.0746, 0.002); /* wraps */
    /* Bad input. */
    plume_weather w = {0};
    assert_int_equal(plume_weather_from_sun(12, 0, 30, &w), -1);
    assert_int_equal(plume_weather_from_sun(12, 100, 91, &w), -1);
    assert_int_equal(plume_solar_elevation(NAN, 100, 30, &e), -1);
}

/* ---- concentration properties ----------------------------------------- */

static void test_concentration_properties(void **state) {
    (void)state;
    for (int t = PLUME_RURAL; t <= PLUME_URBAN; t++) {
        for (int c = 0; c < PLUME_CLASS_COUNT; c++) {
            plume_met met = {.wind_m_s = 3, .cls = (plume_class)c, .terrain = (plume_terrain)t};
            plume_source src = {.q_g_s = 50, .height_m = 30};
            /* The ground-level maximum on the centreline. */
            double xmax = 0, cmax = 0;
            for (double x = 10; x < 20000; x *= 1.01) {
                double v = plume_conc_g_m3(&src, &met, x, 0, 0);
                if (v > cmax) cmax = v, xmax = x;
            }
            assert_true(cmax > 0);
            double prev = INFINITY;
            for (double x = xmax * 1.02; x < 20000; x *= 1.02) {
                double v = plume_conc_g_m3(&src, &met, x, 0, 0);
                assert_true(v < prev);
                prev = v;
                /* symmetric across the centreline, and falling away from it */
                for (double y = 1; y < 2000; y *= 3) {
                    double a = plume_conc_g_m3(&src, &met, x, y, 0);
                    double b = plume_conc_g_m3(&src, &met, x, -y, 0);
                    assert_true(a == b);
                    assert_true(a <= v);
                }
            }
            /* A ground source at ground level only falls downwind. */
            src.height_m = 0;
            prev = INFINITY;
            for (double x = 10; x < 20000; x *= 1.05) {
                double v = plume_conc_g_m3(&src, &met, x, 0, 0);
                assert_true(v < prev);
                prev = v;
            }
        }
    }
    plume_source src = {.q_g_s = 100, .height_m = 0};
    plume_met met = {.wind_m_s = 4, .cls = PLUME_D};
    /* Ground source, ground receptor: Q / (pi u sy sz). */
    double sy, sz;
    plume_sigmas(PLUME_RURAL, PLUME_D, 500, &sy, &sz);
    assert_rel(plume_conc_g_m3(&src, &met, 500, 0, 0), 100 / (M_PI * 4 * sy * sz), 1e-12);
    /* Linear in Q, inverse in u. */
    src.q_g_s = 200;
    assert_rel(plume_conc_g_m3(&src, &met, 500, 0, 0), 200 / (M_PI * 4 * sy * sz), 1e-12);
    met.wind_m_s = 8;
    assert_rel(plume_conc_g_m3(&src, &met, 500, 0, 0), 200 / (M_PI * 8 * sy * sz), 1e-12);
    /* Upwind and at the source: zero. */
    assert_true(plume_conc_g_m3(&src, &met, -10, 0, 0) == 0);
    assert_true(plume_conc_g_m3(&src, &met, 0, 0, 0) == 0);
    /* Low wind: raised to 1 m/s. */
    met.wind_m_s = 1;
    double at1 = plume_conc_g_m3(&src, &met, 500, 0, 0);
    met.wind_m_s = 0.3;
    assert_true(plume_conc_g_m3(&src, &met, 500, 0, 0) == at1);
    met.wind_m_s = 0;
    assert_true(plume_conc_g_m3(&src, &met, 500, 0, 0) == at1);
    /* Bad input -> NAN. */
    met.wind_m_s = -1;
    assert_true(isnan(plume_conc_g_m3(&src, &met, 500, 0, 0)));
    met.wind_m_s = 3;
    assert_true(isnan(plume_conc_g_m3(&src, &met, 500, 0, -1)));
    src.q_g_s = -1;
    assert_true(isnan(plume_conc_g_m3(&src, &met, 500, 0, 0)));
    assert_true(isnan(plume_conc_g_m3(NULL, &met, 500, 0, 0)));
    /* Map frame axes: from the north blows south, left of that is east. */
    src = (plume_source){.q_g_s = 1, .x_m = 100, .y_m = 200};
    met.wind_from_deg = 0;
    double d, l;
    plume_to_plume_frame(&src, &met, 100, 200 - 50, &d, &l);
    assert_abs(d, 50, 1e-9);
    assert_abs(l, 0, 1e-9);
    plume_to_plume_frame(&src, &met, 130, 200, &d, &l);
    assert_abs(d, 0, 1e-9);
    assert_abs(l, 30, 1e-9);
}

/* ---- footprint -------------------------------------------------------- */

static double dist(double ax, double ay, double bx, double by) {
    return hypot(ax - bx, ay - by);
}

/* Every vertex but the source apex is on the contour, within 1 %; the ring
 * is closed and counter-clockwise; the extent figures agree with it. */
static void check_footprint(const plume_source *src, const plume_met *met, double threshold,
                            double z, const plume_footprint *fp) {
    assert_non_null(fp->ring);
    assert_true(fp->n >= 4);
    assert_true(fp->ring[0].x_m == fp->ring[fp->n - 1].x_m);
    assert_true(fp->ring[0].y_m == fp->ring[fp->n - 1].y_m);
    double area2 = 0, widest = 0, furthest = 0;
    for (size_t i = 0; i + 1 < fp->n; i++) {
        const plume_point *p = &fp->ring[i], *q = &fp->ring[i + 1];
        area2 += p->x_m * q->y_m - q->x_m * p->y_m;
        double d, l;
        plume_to_plume_frame(src, met, p->x_m, p->y_m, &d, &l);
        if (fabs(l) > widest) widest = fabs(l);
        if (d > furthest) furthest = d;
        if (dist(p->x_m, p->y_m, src->x_m, src->y_m) < 1e-6) {
            assert_true(fp->flags & PLUME_FLAG_NEAR_SOURCE);
            continue;
        }
        double cv = plume_conc_at_g_m3(src, met, p->x_m, p->y_m, z);
        if (!(fabs(cv / threshold - 1) < 0.01))
            fail_msg("vertex %zu (%.3f, %.3f) down %.3f: C %.6g vs threshold %.6g", i, p->x_m,
                     p->y_m, d, cv, threshold);
    }
    assert_true(area2 > 0);
    assert_rel(furthest, fp->max_downwind_m, 1e-9);
    assert_true(fp->max_half_width_m >= widest * (1 - 1e-12));
    assert_true(fp->max_half_width_m <= widest * 1.01);
}

static void test_footprint_on_contour(void **state) {
    (void)state;
    /* 1 kg/s of chlorine at ground level, D, 3 m/s; AEGL-2 2 ppm. */
    const plume_substance *cl2 = plume_substance_find("chlorine");
    assert_non_null(cl2);
    double thr = plume_ppm_to_g_m3(cl2->aegl_ppm[1], cl2->molar_mass_g_mol);
    plume_source src = {.q_g_s = 1000, .height_m = 0, .x_m = 1500, .y_m = -700};
    for (int t = PLUME_RURAL; t <= PLUME_URBAN; t++) {
        for (int c = 0; c < PLUME_CLASS_COUNT; c++) {
            plume_met met = {.wind_m_s = 3,
                             .wind_from_deg = 37 + 50 * c,
                             .cls = (plume_class)c,
                             .terrain = (plume_terrain)t};
            plume_footprint fp;
            assert_int_equal(plume_footprint_compute(&src, &met, thr, NULL, &fp), 0);
            assert_true(fp.flags & PLUME_FLAG_NEAR_SOURCE);
            assert_false(fp.flags & PLUME_FLAG_EMPTY);
            check_footprint(&src, &met, thr, 0, &fp);
            /* about 64 points a side */
            assert_true(fp.n > 100 && fp.n <= 2 * 64 + 2);
            plume_footprint_free(&fp);
            assert_null(fp.ring);
        }
    }
    /* An elevated source gives an island: the ends close on the axis. */
    src.height_m = 50;
    src.q_g_s = 100;
    plume_met met = {.wind_m_s = 5, .wind_from_deg = 200, .cls = PLUME_D};
    plume_footprint fp;
    plume_footprint_opts o = {.points_per_side = 200};
    /* 500 ug/m3: below the 923 at 1 km of the worked example */
    assert_int_equal(plume_footprint_compute(&src, &met, 500e-6, &o, &fp), 0);
    assert_false(fp.flags & (PLUME_FLAG_NEAR_SOURCE | PLUME_FLAG_EMPTY | PLUME_FLAG_CAPPED));
    assert_true(fp.min_downwind_m > 100 && fp.min_downwind_m < 1000);
    assert_true(fp.max_downwind_m > 1000);
    assert_true(fp.peak_g_m3 > 923e-6);
    assert_true(fp.n > 300 && fp.n <= 2 * 200 + 2);
    check_footprint(&src, &met, 500e-6, 0, &fp);
    plume_footprint_free(&fp);
    /* At a receptor height of 1.5 m. */
    o.receptor_z_m = 1.5;
    assert_int_equal(plume_footprint_compute(&src, &met, 500e-6, &o, &fp), 0);
    check_footprint(&src, &met, 500e-6, 1.5, &fp);
    plume_footprint_free(&fp);
}

static void test_footprint_turns_with_wind(void **state) {
    (void)state;
    plume_source src = {.q_g_s = 500, .height_m = 0, .x_m = -300, .y_m = 800};
    double thr = 0.01;
    for (double from = 0; from < 360; from += 37) {
        plume_met a = {.wind_m_s = 4, .wind_from_deg = from, .cls = PLUME_E};
        plume_met b = a;
        b.wind_from_deg = from + 90;
        plume_footprint fa, fb;
        assert_int_equal(plume_footprint_compute(&src, &a, thr, NULL, &fa), 0);
        assert_int_equal(plume_footprint_compute(&src, &b, thr, NULL, &fb), 0);
        assert_int_equal(fa.n, fb.n);
        /* The wind turned 90 deg clockwise (compass): so does every vertex
         * about the source, (dx, dy) -> (dy, -dx). */
        for (size_t i = 0; i < fa.n; i++) {
            double dx = fa.ring[i].x_m - src.x_m, dy = fa.ring[i].y_m - src.y_m;
            assert_abs(fb.ring[i].x_m, src.x_m + dy, 1e-6);
            assert_abs(fb.ring[i].y_m, src.y_m - dx, 1e-6);
        }
        assert_true(fa.max_downwind_m == fb.max_downwind_m);
        plume_footprint_free(&fa);
        plume_footprint_free(&fb);
    }
    /* Wind from the west: the footprint lies east of the source. */
    plume_met w = {.wind_m_s = 4, .wind_from_deg = 270, .cls = PLUME_D};
    plume_footprint fp;
    assert_int_equal(plume_footprint_compute(&src, &w, thr, NULL, &fp), 0);
    for (size_t i = 0; i < fp.n; i++) assert_true(fp.ring[i].x_m >= src.x_m - 1e-9);
    double east = 0;
    for (size_t i = 0; i < fp.n; i++) east = fmax(east, fp.ring[i].x_m - src.x_m);
    assert_rel(east, fp.max_downwind_m, 1e-9);
    plume_footprint_free(&fp);
}

/* Crossing-number point-in-polygon. */
static int inside(const plume_footprint *fp, double x, double y) {
    int in = 0;
    for (size_t i = 0, j = fp->n - 2; i + 1 < fp->n; j = i++) {
        const plume_point *a = &fp->ring[i], *b = &fp->ring[j];
        if ((a->y_m > y) != (b->y_m > y) &&
            x < (b->x_m - a->x_m) * (y - a->y_m) / (b->y_m - a->y_m) + a->x_m)
            in = !in;
    }
    return in;
}

static void test_footprint_nested_in_q(void **state) {
    (void)state;
    for (double h = 0; h <= 40; h += 40) {
        plume_source small = {.q_g_s = 200, .height_m = h, .x_m = 50, .y_m = 50};
        plume_source big = small;
        big.q_g_s = 800;
        plume_met met = {.wind_m_s = 2.5, .wind_from_deg = 135, .cls = PLUME_C};
        double thr = 2e-4;
        plume_footprint fs, fb;
        assert_int_equal(plume_footprint_compute(&small, &met, thr, NULL, &fs), 0);
        assert_int_equal(plume_footprint_compute(&big, &met, thr, NULL, &fb), 0);
        assert_false(fs.flags & PLUME_FLAG_EMPTY);
        assert_true(fb.max_downwind_m > fs.max_downwind_m);
        assert_true(fb.max_half_width_m > fs.max_half_width_m);
        for (size_t i = 0; i + 1 < fs.n; i++) {
            const plume_point *p = &fs.ring[i];
            if (dist(p->x_m, p->y_m, small.x_m, small.y_m) < 1e-6) continue; /* shared apex */
            if (!inside(&fb, p->x_m, p->y_m))
                fail_msg("H %.0f: vertex %zu (%.3f, %.3f) outside the larger footprint", h, i,
                         p->x_m, p->y_m);
        }
        plume_footprint_free(&fs);
        plume_footprint_free(&fb);
    }
}

static void test_footprint_edges(void **state) {
    (void)state;
    plume_source src = {.q_g_s = 100, .height_m = 50};
    plume_met met = {.wind_m_s = 5, .wind_from_deg = 90, .cls = PLUME_D};
    plume_footprint fp;
    assert_int_equal(plume_footprint_compute(&src, &met, 1e-6, NULL, &fp), 0);
    double peak = fp.peak_g_m3;
    assert_true(peak > 9.23e-4);
    plume_footprint_free(&fp);
    /* Above the peak: empty. */
    assert_int_equal(plume_footprint_compute(&src, &met, peak * 1.01, NULL, &fp), 0);
    assert_true(fp.flags & PLUME_FLAG_EMPTY);
    assert_null(fp.ring);
    assert_int_equal(fp.n, 0);
    assert_rel(fp.peak_g_m3, peak, 1e-9);
    plume_footprint_free(&fp);
    /* Just below: a small island around the peak. */
    assert_int_equal(plume_footprint_compute(&src, &met, peak * 0.99, NULL, &fp), 0);
    assert_false(fp.flags & PLUME_FLAG_EMPTY);
    assert_true(fp.min_downwind_m < fp.peak_at_m && fp.peak_at_m < fp.max_downwind_m);
    check_footprint(&src, &met, peak * 0.99, 0, &fp);
    plume_footprint_free(&fp);
    /* A very low threshold: capped at 20 km, extrapolated. */
    src.height_m = 0;
    assert_int_equal(plume_footprint_compute(&src, &met, 1e-7, NULL, &fp), 0);
    assert_true(fp.flags & PLUME_FLAG_CAPPED);
    assert_true(fp.flags & PLUME_FLAG_EXTRAPOLATED);
    assert_true(fp.max_downwind_m == PLUME_MAX_RANGE_M);
    check_footprint(&src, &met, 1e-7, 0, &fp);
    plume_footprint_free(&fp);
    /* A shorter cap. */
    plume_footprint_opts o = {.max_range_m = 3000, .points_per_side = 16};
    assert_int_equal(plume_footprint_compute(&src, &met, 1e-7, &o, &fp), 0);
    assert_true(fp.max_downwind_m == 3000);
    assert_true(fp.n <= 2 * 16 + 2);
    plume_footprint_free(&fp);
    /* Low wind: computed at 1 m/s and flagged. */
    met.wind_m_s = 0.2;
    plume_footprint slow;
    assert_int_equal(plume_footprint_compute(&src, &met, 1e-3, NULL, &slow), 0);
    assert_true(slow.flags & PLUME_FLAG_LOW_WIND);
    met.wind_m_s = 1;
    assert_int_equal(plume_footprint_compute(&src, &met, 1e-3, NULL, &fp), 0);
    assert_false(fp.flags & PLUME_FLAG_LOW_WIND);
    assert_true(fp.max_downwind_m == slow.max_downwind_m);
    plume_footprint_free(&fp);
    plume_footprint_free(&slow);
    /* Bad arguments. */
    assert_int_equal(plume_footprint_compute(&src, &met, 0, NULL, &fp), -1);
    assert_null(fp.ring);
    assert_int_equal(plume_footprint_compute(&src, &met, NAN, NULL, &fp), -1);
    o = (plume_footprint_opts){.points_per_side = 1};
    assert_int_equal(plume_footprint_compute(&src, &met, 1e-3, &o, &fp), -1);
    o = (plume_footprint_opts){.max_range_m = 5};
    assert_int_equal(plume_footprint_compute(&src, &met, 1e-3, &o, &fp), -1);
    met.cls = (plume_class)7;
    assert_int_equal(plume_footprint_compute(&src, &met, 1e-3, NULL, &fp), -1);
    assert_int_equal(plume_footprint_compute(&src, &met, 1e-3, NULL, NULL), -1);
    plume_footprint_free(NULL);
}

/* ---- units, substances, leaks ------------------------------------------ */

static void test_units(void **state) {
    (void)state;
    /* Chlorine 2 ppm = 2 x 70.90 / 24.45 = 5.7996 mg/m3. */
    assert_rel(plume_ppm_to_mg_m3(2, 70.90), 5.79959, 1e-5);
    assert_rel(plume_mg_m3_to_ppm(5.79959, 70.90), 2, 1e-5);
    assert_rel(plume_ppm_to_g_m3(2, 70.90), 5.79959e-3, 1e-5);
    assert_rel(plume_g_m3_to_ppm(5.79959e-3, 70.90), 2, 1e-5);
    /* Methane LEL 5 % vol: 100 %LEL = 50,000 ppm; 2,500 ppm = 5 %LEL. */
    assert_rel(plume_ppm_to_pct_lel(50000, 5.0), 100, 1e-12);
    assert_rel(plume_ppm_to_pct_lel(2500, 5.0), 5, 1e-12);
    assert_rel(plume_pct_lel_to_ppm(25, 5.0), 12500, 1e-12);
}

static void test_substances(void **state) {
    (void)state;
    const plume_substance *s = plume_substance_find("Chlorine");
    assert_non_null(s);
    assert_ptr_equal(plume_substance_find("cl2"), s);
    assert_ptr_equal(plume_substance_find("氯气"), s);
    assert_ptr_equal(plume_substance_find("液氯"), s);
    assert_rel(s->aegl_ppm[1], 2.0, 0);
    assert_rel(s->erpg_ppm[1], 3, 0);
    assert_rel(s->erpg_ppm[2], 20, 0);
    assert_rel(s->idlh_ppm, 10, 0);
    assert_true(isnan(s->lel_pct_vol));
    assert_true(s->unconfirmed & PLUME_EP_AEGL2);
    assert_false(s->unconfirmed & (PLUME_EP_ERPG2 | PLUME_EP_IDLH));

    s = plume_substance_find("ammonia");
    assert_non_null(s);
    assert_ptr_equal(plume_substance_find("NH3"), s);
    assert_rel(s->aegl_ppm[0], 30, 0);
    assert_rel(s->aegl_ppm[2], 1100, 0);
    assert_rel(s->erpg_ppm[0], 25, 0);
    assert_rel(s->erpg_ppm[2], 750, 0);
    assert_rel(s->idlh_ppm, 300, 0);
    assert_rel(s->lel_pct_vol, 15.0, 0);
    assert_true(s->unconfirmed & PLUME_EP_IDLH);

    s = plume_substance_find("Hydrogen-Sulphide");
    assert_non_null(s);
    assert_ptr_equal(plume_substance_find("h2s"), s);
    assert_ptr_equal(plume_substance_find("hydrogen_sulfide"), s);
    assert_rel(s->aegl_ppm[0], 0.51, 0);
    assert_rel(s->aegl_ppm[1], 27, 0);
    assert_rel(s->aegl_ppm[2], 50, 0);
    assert_rel(s->erpg_ppm[0], 0.1, 0);
    assert_rel(s->erpg_ppm[2], 100, 0);
    assert_rel(s->idlh_ppm, 100, 0);
    assert_int_equal(s->unconfirmed, 0);

    /* LELs (gas-detection-gb50493.md section 2; the lower of a spread). */
    static const struct {
        const char *name;
        double lel;
    } lel[] = {
        {"methane", 5.0},       {"hydrogen", 4.0},       {"LPG", 2.0},          {"butane", 1.5},
        {"ethylene", 2.7},      {"propene", 2.0},        {"acetylene", 2.5},    {"methanol", 6.0},
        {"benzene", 1.2},       {"toluene", 1.2},        {"gasoline", 1.4},     {"CO", 12.5},
        {"1,3-Butadiene", 2.0}, {"vinyl chloride", 3.6}, {"formaldehyde", 7.0}, {"甲烷", 5.0}};
    for (size_t i = 0; i < sizeof lel / sizeof lel[0]; i++) {
        s = plume_substance_find(lel[i].name);
        if (!s) fail_msg("%s not found", lel[i].name);
        assert_rel(s->lel_pct_vol, lel[i].lel, 0);
    }
    assert_true(plume_substance_find("vinyl chloride")->unconfirmed & PLUME_EP_LEL);
    assert_null(plume_substance_find("unobtainium"));
    assert_null(plume_substance_find(""));
    assert_null(plume_substance_find(" - "));
    assert_null(plume_substance_find(NULL));
    /* Every record: a name, a sane molar mass (or none, for a mixture),
     * endpoints increasing in severity, and found by its own name. */
    assert_true(plume_substance_count() >= 18);
    for (size_t i = 0; i < plume_substance_count(); i++) {
        s = plume_substance_get(i);
        assert_ptr_equal(plume_substance_find(s->name), s);
        assert_true(isnan(s->molar_mass_g_mol) ||
                    (s->molar_mass_g_mol > 1 && s->molar_mass_g_mol < 200));
        assert_true(isnan(s->lel_pct_vol) || (s->lel_pct_vol > 0 && s->lel_pct_vol < 100));
        for (int k = 0; k < 2; k++) {
            assert_false(s->aegl_ppm[k] >= s->aegl_ppm[k + 1]);
            assert_false(s->erpg_ppm[k] >= s->erpg_ppm[k + 1]);
        }
    }
    assert_null(plume_substance_get(plume_substance_count()));
}

static void test_leaks(void **state) {
    (void)state;
    double r;
    /* 10 mm hole, water-like liquid, 1 bar gauge: A = pi 0.01^2 / 4 =
     * 7.853982e-5 m2; sqrt(2 x 1000 x 1e5) = 14142.136; x 0.61 x A = 0.677540 kg/s. */
    assert_int_equal(plume_liquid_leak(0.01, 1000, 1e5, 0, 0, &r), 0);
    assert_rel(r, 0.677540, 1e-5);
    /* plus 2 m of liquid above the hole: dP = 1e5 + 1000 x 9.80665 x 2 =
     * 119613.3 Pa -> 0.741011 kg/s. */
    assert_int_equal(plume_liquid_leak(0.01, 1000, 1e5, 2, 0.61, &r), 0);
    assert_rel(r, 0.741011, 1e-5);
    assert_int_equal(plume_liquid_leak(0.01, 1000, -1e6, 0, 0, &r), 0);
    assert_true(r == 0);
    assert_int_equal(plume_liquid_leak(0.01, 0, 1e5, 0, 0, &r), -1);

    /* Air (M 28.966, gamma 1.4) at 10 bar abs, 293.15 K, Cd 1, 10 mm hole:
     * choked ((2/2.4)^3.5 = 0.5283 > 0.1). m = A p0 sqrt(gamma M / (R T)
     * (2/2.4)^6) = 7.853982e-5 x 1e6 x sqrt(1.66376e-5 x 0.334898) =
     * 0.185393 kg/s. */
    unsigned f;
    assert_int_equal(plume_gas_leak(0.01, 1e6, 293.15, 28.966, 1.4, 1e5, 1.0, &r, &f), 0);
    assert_rel(r, 0.185393, 1e-5);
    assert_true(f & PLUME_FLAG_CHOKED);
    /* Continuous at the critical ratio; subsonic below it; none without a
     * pressure difference. */
    double crit = pow(2 / 2.4, 1.4 / 0.4), sub;
    assert_int_equal(
        plume_gas_leak(0.01, 1e6, 293.15, 28.966, 1.4, 1e6 * crit * (1 + 1e-9), 1, &sub, &f), 0);
    assert_false(f & PLUME_FLAG_CHOKED);
    assert_rel(sub, r, 1e-6);
    assert_int_equal(plume_gas_leak(0.01, 1.2e5, 293.15, 28.966, 1.4, 1e5, 1, &sub, &f), 0);
    assert_true(sub > 0 && sub < 0.185393 * 0.12 * 1.0001);
    assert_int_equal(plume_gas_leak(0.01, 1e5, 293.15, 28.966, 1.4, 1e5, 1, &sub, &f), 0);
    assert_true(sub == 0);
    assert_int_equal(plume_gas_leak(0.01, 1e6, 293.15, 28.966, 1.0, 1e5, 1, &sub, &f), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_worked_example),
        cmocka_unit_test(test_briggs_rows),
        cmocka_unit_test(test_urban_ab_sigma_z_plus_half),
        cmocka_unit_test(test_split_class_and_sigma_sets),
        cmocka_unit_test(test_stability_table),
        cmocka_unit_test(test_stability_from_sun),
        cmocka_unit_test(test_concentration_properties),
        cmocka_unit_test(test_footprint_on_contour),
        cmocka_unit_test(test_footprint_turns_with_wind),
        cmocka_unit_test(test_footprint_nested_in_q),
        cmocka_unit_test(test_footprint_edges),
        cmocka_unit_test(test_units),
        cmocka_unit_test(test_substances),
        cmocka_unit_test(test_leaks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
