/*
 * test_idw.c - the views/ inverse-distance interpolation: exact at the
 * stations, bounded by the station values, symmetric for a symmetric layout,
 * hand-computed weights, the radius and minimum-count rules, stations
 * without a value, and bad arguments.
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

#include "views/idw.h"

static void assert_near(double got, double want, double tol) {
    if (!(fabs(got - want) <= tol)) fail_msg("got %.12g, want %.12g (+-%.3g)", got, want, tol);
}

/* A small deterministic generator, so failures repeat. */
static double uniform(uint64_t *s) {
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 11) / 9007199254740992.0;
}

static void random_stations(idw_station *st, size_t n, uint64_t seed) {
    for (size_t i = 0; i < n; i++) {
        st[i].x_m = -2000 + 4000 * uniform(&seed);
        st[i].y_m = -1500 + 3000 * uniform(&seed);
        st[i].value = 10 + 90 * uniform(&seed);
    }
}

static void test_exact_at_stations(void **state) {
    (void)state;
    idw_station st[30];
    random_stations(st, 30, 1);
    for (double p = 1; p <= 3; p += 0.5) {
        idw_opts o = {.power = p};
        for (size_t i = 0; i < 30; i++) {
            double v;
            assert_int_equal(idw_point(st, 30, &o, st[i].x_m, st[i].y_m, &v), 0);
            assert_true(v == st[i].value);
        }
    }
    /* A cell centre on a station: 10 x 10 cells of 100 m from (0, 0), so
     * centres at 50, 150, ...; a station at (250, 750) is cell (2, 7). */
    idw_station two[] = {{250, 750, 42.5}, {900, 100, 7}};
    idw_grid g = {0, 0, 1000, 1000, 10, 10};
    double cells[100];
    assert_int_equal(idw_fill(two, 2, &g, NULL, cells, NULL), 0);
    assert_true(cells[7 * 10 + 2] == 42.5);
    double x, y;
    idw_cell_centre(&g, 2, 7, &x, &y);
    assert_true(x == 250 && y == 750);
    /* Two stations on the same spot: their mean there. */
    idw_station same[] = {{0, 0, 10}, {0, 0, 20}, {500, 0, 100}};
    double v;
    assert_int_equal(idw_point(same, 3, NULL, 0, 0, &v), 0);
    assert_near(v, 15, 0);
    assert_int_equal(idw_point(same, 3, NULL, 1e-7, 0, &v), 0); /* within IDW_EXACT_M */
    assert_near(v, 15, 0);
}

static void test_bounded_by_stations(void **state) {
    (void)state;
    for (uint64_t seed = 1; seed <= 5; seed++) {
        idw_station st[40];
        random_stations(st, 40, seed);
        double lo = INFINITY, hi = -INFINITY;
        for (size_t i = 0; i < 40; i++) lo = fmin(lo, st[i].value), hi = fmax(hi, st[i].value);
        idw_grid g = {-3000, -2000, 3000, 2000, 60, 40};
        double *cells = malloc(60 * 40 * sizeof *cells);
        for (double p = 0.5; p <= 4; p += 0.5) {
            idw_opts o = {.power = p};
            size_t empty = 99;
            assert_int_equal(idw_fill(st, 40, &g, &o, cells, &empty), 0);
            assert_int_equal(empty, 0);
            for (size_t k = 0; k < 60 * 40; k++) assert_true(cells[k] >= lo && cells[k] <= hi);
        }
        free(cells);
    }
}

static void test_symmetric_layout(void **state) {
    (void)state;
    /* Four stations symmetric about both axes and the diagonals, plus one at
     * the centre; the square box around them is too. */
    idw_station st[] = {{600, 0, 30},    {-600, 0, 30},   {0, 600, 30},
                        {0, -600, 30},   {0, 0, 80},      {400, 400, 55},
                        {-400, 400, 55}, {400, -400, 55}, {-400, -400, 55}};
    size_t n = sizeof st / sizeof st[0];
    enum { N = 50 };
    idw_grid g = {-1000, -1000, 1000, 1000, N, N};
    double cells[N * N];
    assert_int_equal(idw_fill(st, n, &g, NULL, cells, NULL), 0);
    for (size_t j = 0; j < N; j++) {
        for (size_t i = 0; i < N; i++) {
            double v = cells[j * N + i];
            assert_near(cells[j * N + (N - 1 - i)], v, 1e-9); /* x -> -x */
            assert_near(cells[(N - 1 - j) * N + i], v, 1e-9); /* y -> -y */
            assert_near(cells[i * N + j], v, 1e-9);           /* x <-> y */
        }
    }
    /* Falls off from the high centre towards the corners. */
    assert_true(cells[(N / 2) * N + N / 2] > cells[0]);
}

static void test_hand_weights(void **state) {
    (void)state;
    idw_station st[] = {{0, 0, 10}, {1000, 0, 20}};
    double v;
    /* At x = 250: d = 250 and 750; p = 2 weights 1/250^2 : 1/750^2 = 9 : 1,
     * (9 x 10 + 1 x 20) / 10 = 11. */
    assert_int_equal(idw_point(st, 2, NULL, 250, 0, &v), 0);
    assert_near(v, 11, 1e-12);
    /* p = 1: 3 : 1, (30 + 20) / 4 = 12.5. */
    idw_opts o = {.power = 1};
    assert_int_equal(idw_point(st, 2, &o, 250, 0, &v), 0);
    assert_near(v, 12.5, 1e-12);
    /* Half-way: the mean, whatever the power. */
    o.power = 3.7;
    assert_int_equal(idw_point(st, 2, &o, 500, 300, &v), 0);
    assert_near(v, 15, 1e-12);
    /* A large power tends to the nearest station. */
    o.power = 30;
    assert_int_equal(idw_point(st, 2, &o, 400, 0, &v), 0);
    assert_near(v, 10, 1e-4);
}

static void test_radius_and_min_count(void **state) {
    (void)state;
    idw_station st[] = {{0, 0, 10}, {1000, 0, 20}};
    double v;
    idw_opts o = {.max_radius_m = 600};
    /* Only the first within 600 m of x = 100: its value. */
    assert_int_equal(idw_point(st, 2, &o, 100, 0, &v), 0);
    assert_near(v, 10, 0);
    /* Both at x = 500. */
    assert_int_equal(idw_point(st, 2, &o, 500, 0, &v), 0);
    assert_near(v, 15, 1e-12);
    /* None beyond. */
    assert_int_equal(idw_point(st, 2, &o, 3000, 0, &v), 0);
    assert_true(isnan(v));
    /* On the radius counts. */
    assert_int_equal(idw_point(st, 2, &o, -600, 0, &v), 0);
    assert_near(v, 10, 0);
    /* Two needed: only where both reach. */
    o.min_stations = 2;
    assert_int_equal(idw_point(st, 2, &o, 100, 0, &v), 0);
    assert_true(isnan(v));
    assert_int_equal(idw_point(st, 2, &o, 500, 0, &v), 0);
    assert_near(v, 15, 1e-12);
    /* On a grid: five 1 km cells along x, centres at -1.5, -0.5, 0.5, 1.5 and
     * 2.5 km on y = 0. Within 600 m: none, the first station, both, the
     * second, none. Needing two, only the middle cell has a value. */
    idw_grid g = {-2000, -500, 3000, 500, 5, 1};
    double cells[5];
    size_t empty;
    assert_int_equal(idw_fill(st, 2, &g, &o, cells, &empty), 0);
    assert_int_equal(empty, 4);
    assert_true(isnan(cells[0]) && isnan(cells[1]) && isnan(cells[3]) && isnan(cells[4]));
    assert_near(cells[2], 15, 1e-12);
    o.min_stations = 1;
    assert_int_equal(idw_fill(st, 2, &g, &o, cells, &empty), 0);
    assert_int_equal(empty, 2); /* -1.5 and 2.5 km reach nothing; -0.5 and 1.5 reach one */
    assert_near(cells[1], 10, 0);
    assert_near(cells[3], 20, 0);
    /* More needed than there are stations: all empty. */
    o = (idw_opts){.min_stations = 3};
    assert_int_equal(idw_fill(st, 2, &g, &o, cells, &empty), 0);
    assert_int_equal(empty, 5);
}

static void test_missing_values_and_bad_args(void **state) {
    (void)state;
    idw_station st[] = {{0, 0, 10}, {100, 0, NAN}, {1000, 0, 20}};
    double v;
    /* The offline station does not count, even on top of it. */
    assert_int_equal(idw_point(st, 3, NULL, 100, 0, &v), 0);
    idw_station two[] = {{0, 0, 10}, {1000, 0, 20}};
    double w;
    assert_int_equal(idw_point(two, 2, NULL, 100, 0, &w), 0);
    assert_near(v, w, 0);
    /* No stations: all NAN, not an error. */
    idw_grid g = {0, 0, 100, 100, 4, 4};
    double cells[16];
    size_t empty;
    assert_int_equal(idw_fill(NULL, 0, &g, NULL, cells, &empty), 0);
    assert_int_equal(empty, 16);
    assert_int_equal(idw_point(NULL, 0, NULL, 0, 0, &v), 0);
    assert_true(isnan(v));
    /* Bad arguments. */
    assert_int_equal(idw_point(NULL, 2, NULL, 0, 0, &v), -1);
    assert_int_equal(idw_point(two, 2, NULL, NAN, 0, &v), -1);
    assert_int_equal(idw_point(two, 2, NULL, 0, 0, NULL), -1);
    idw_opts o = {.power = -1};
    assert_int_equal(idw_point(two, 2, &o, 0, 0, &v), -1);
    o = (idw_opts){.max_radius_m = -5};
    assert_int_equal(idw_point(two, 2, &o, 0, 0, &v), -1);
    idw_station bad[] = {{INFINITY, 0, 1}};
    assert_int_equal(idw_point(bad, 1, NULL, 0, 0, &v), -1);
    idw_grid flat = {0, 0, 0, 100, 4, 4};
    assert_int_equal(idw_fill(two, 2, &flat, NULL, cells, NULL), -1);
    idw_grid none = {0, 0, 100, 100, 0, 4};
    assert_int_equal(idw_fill(two, 2, &none, NULL, cells, NULL), -1);
    assert_int_equal(idw_fill(two, 2, &g, NULL, NULL, NULL), -1);
    assert_int_equal(idw_fill(two, 2, NULL, NULL, cells, NULL), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_at_stations),
        cmocka_unit_test(test_bounded_by_stations),
        cmocka_unit_test(test_symmetric_layout),
        cmocka_unit_test(test_hand_weights),
        cmocka_unit_test(test_radius_and_min_count),
        cmocka_unit_test(test_missing_values_and_bad_args),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
