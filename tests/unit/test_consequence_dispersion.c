/*
 * test_consequence_dispersion.c - consequence/dispersion.c: the stability
 * classes with their split classes, the four sigma sets against values
 * worked by hand from the reference's formulas (section 9) at stated
 * distances, the geometric-mean rule of the split classes, each sigma
 * growing with x (and the one published step of Turner's fits), ISC3's
 * 5000 m cap on sigma_z, the fitted-range flags, the wind profile and
 * the errors. The expected numbers are the arithmetic written out in
 * docs/consequence-models.md, done apart from the code (python3 from the
 * formulas).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "consequence/consequence.h"

static void assert_rel(double got, double want, double rel) {
    if (!(fabs(got - want) <= rel * fabs(want)))
        fail_msg("got %.9g, want %.9g (+-%.3g%%)", got, want, rel * 100);
}

static void assert_has(const char *err, const char *part) {
    if (!strstr(err, part)) fail_msg("error \"%s\" does not name \"%s\"", err, part);
}

static const cq_stability all_classes[CQ_STAB_COUNT] = {CQ_STAB_A,  CQ_STAB_AB, CQ_STAB_B,
                                                        CQ_STAB_BC, CQ_STAB_C,  CQ_STAB_CD,
                                                        CQ_STAB_D,  CQ_STAB_E,  CQ_STAB_F};
static const cq_sigma_set all_sets[CQ_SIGMA_SET_COUNT] = {
    CQ_SIGMAS_BRIGGS_RURAL, CQ_SIGMAS_BRIGGS_URBAN, CQ_SIGMAS_TURNER_PG, CQ_SIGMAS_ISC3_RURAL};

/* ---- classes -------------------------------------------------------------- */

static void test_class_names(void **state) {
    (void)state;
    const char *want[CQ_STAB_COUNT] = {"A",
                                       "A\xe2\x80\x93"
                                       "B",
                                       "B",
                                       "B\xe2\x80\x93"
                                       "C",
                                       "C",
                                       "C\xe2\x80\x93"
                                       "D",
                                       "D",
                                       "E",
                                       "F"};
    for (int i = 0; i < CQ_STAB_COUNT; i++)
        assert_string_equal(cq_stability_name(all_classes[i]), want[i]);
    assert_string_equal(cq_stability_name((cq_stability)9), "?");
    assert_string_equal(cq_stability_name((cq_stability)-1), "?");
}

static void test_class_neighbours(void **state) {
    (void)state;
    cq_stability lo, hi;
    char err[128] = "";
    assert_int_equal(cq_stability_neighbours(CQ_STAB_AB, &lo, &hi, err, sizeof err), CQ_OK);
    assert_int_equal(lo, CQ_STAB_A);
    assert_int_equal(hi, CQ_STAB_B);
    assert_int_equal(cq_stability_neighbours(CQ_STAB_BC, &lo, &hi, NULL, 0), CQ_OK);
    assert_int_equal(lo, CQ_STAB_B);
    assert_int_equal(hi, CQ_STAB_C);
    assert_int_equal(cq_stability_neighbours(CQ_STAB_CD, &lo, &hi, NULL, 0), CQ_OK);
    assert_int_equal(lo, CQ_STAB_C);
    assert_int_equal(hi, CQ_STAB_D);
    assert_int_equal(cq_stability_neighbours(CQ_STAB_E, &lo, &hi, NULL, 0), CQ_OK);
    assert_int_equal(lo, CQ_STAB_E);
    assert_int_equal(hi, CQ_STAB_E);
    assert_int_equal(cq_stability_neighbours((cq_stability)12, &lo, &hi, err, sizeof err),
                     CQ_EINVAL);
    assert_has(err, "stability class");
    /* Only E and F take the stable plume-rise formulas. */
    for (int i = 0; i < CQ_STAB_COUNT; i++)
        assert_int_equal(cq_stability_is_stable(all_classes[i]),
                         all_classes[i] == CQ_STAB_E || all_classes[i] == CQ_STAB_F);
}

/* ---- hand values ------------------------------------------------------------ */

static void check(cq_sigma_set set, cq_stability cls, double x, double sy, double sz) {
    double gy, gz;
    char err[128] = "";
    if (cq_sigmas(set, cls, x, &gy, &gz, NULL, err, sizeof err) != CQ_OK) fail_msg("%s", err);
    assert_rel(gy, sy, 1e-6);
    assert_rel(gz, sz, 1e-6);
}

static void test_sigmas_by_hand(void **state) {
    (void)state;
    /* Briggs rural, x = 2000 m: 1 + 0.0001 x = 1.2, 1 + 0.0015 x = 4, 1 + 0.0003 x = 1.6:
     *   D: 0.08 * 2000 / sqrt(1.2) = 146.0593; 0.06 * 2000 / 2 = 60
     *   F: 0.04 * 2000 / sqrt(1.2) = 73.02967; 0.016 * 2000 / 1.6 = 20 */
    check(CQ_SIGMAS_BRIGGS_RURAL, CQ_STAB_D, 2000, 146.0593487, 60.0);
    check(CQ_SIGMAS_BRIGGS_RURAL, CQ_STAB_F, 2000, 73.02967433, 20.0);
    /* x = 500 m: D 40 / sqrt(1.05) = 39.03600, 30 / sqrt(1.75) = 22.67787;
     * F 20 / sqrt(1.05) = 19.51800, 8 / 1.15 = 6.956522 */
    check(CQ_SIGMAS_BRIGGS_RURAL, CQ_STAB_D, 500, 39.03600292, 22.67786838);
    check(CQ_SIGMAS_BRIGGS_RURAL, CQ_STAB_F, 500, 19.51800146, 6.956521739);
    /* Briggs urban, x = 500 m: A 160 / sqrt(1.2) = 146.0593, 120 sqrt(1.5) = 146.9694;
     * E 55 / sqrt(1.2) = 50.20790, 40 / sqrt(1.75) = 30.23716.
     * x = 2000 m: A 640 / sqrt(1.8) = 477.0278, 480 sqrt(3) = 831.3844. */
    check(CQ_SIGMAS_BRIGGS_URBAN, CQ_STAB_A, 500, 146.0593487, 146.9693846);
    check(CQ_SIGMAS_BRIGGS_URBAN, CQ_STAB_E, 500, 50.20790110, 30.23715784);
    check(CQ_SIGMAS_BRIGGS_URBAN, CQ_STAB_A, 2000, 477.0278352, 831.3843876);
    /* Turner, x = 500 m (power laws): D 0.128 500^0.90 = 34.37819, 0.093 500^0.85 =
     * 18.30659; B 0.337 500^0.88 = 79.93252, 0.135 500^0.95 = 49.47152.
     * x = 2000 m, L = log10 2000 = 3.30103: D sigma_z = 10^(-1.22 + 1.08 L - 0.061 L^2)
     * = 47.90796; B sigma_z = 10^(-1.25 + 1.09 L + 0.0018 L^2) = 233.2045. */
    check(CQ_SIGMAS_TURNER_PG, CQ_STAB_D, 500, 34.37818731, 18.30658988);
    check(CQ_SIGMAS_TURNER_PG, CQ_STAB_B, 500, 79.93251994, 49.47152210);
    check(CQ_SIGMAS_TURNER_PG, CQ_STAB_D, 2000, 119.7118013, 47.90795736);
    check(CQ_SIGMAS_TURNER_PG, CQ_STAB_B, 2000, 270.7299463, 233.2045038);
    /* ISC3 rural, x = 0.5 km: D sigma_y = 465.11628 0.5 tan(0.017453293 (8.3330 -
     * 0.72382 ln 0.5)) = 36.14619, sigma_z = 32.093 0.5^0.81066 = 18.29689; F sigma_y
     * = 17.96606, sigma_z = 14.457 0.5^0.78407 = 8.395559.
     * x = 2 km: D 127.9435, 32.093 2^0.64403 = 50.15135; F 63.67532, 13.953 2^0.63227
     * = 21.62718. */
    check(CQ_SIGMAS_ISC3_RURAL, CQ_STAB_D, 500, 36.14619350, 18.29689264);
    check(CQ_SIGMAS_ISC3_RURAL, CQ_STAB_F, 500, 17.96605952, 8.395558504);
    check(CQ_SIGMAS_ISC3_RURAL, CQ_STAB_D, 2000, 127.9435348, 50.15135417);
    check(CQ_SIGMAS_ISC3_RURAL, CQ_STAB_F, 2000, 63.67531853, 21.62717675);
}

/* ---- the split classes ---------------------------------------------------- */

static void test_split_geometric_mean(void **state) {
    (void)state;
    /* Briggs rural C-D at 1 km, by hand: sigma_y sqrt(104.8809 * 76.2770) = 89.44272,
     * sigma_z sqrt(73.02967 * 37.94733) = 52.64296. */
    check(CQ_SIGMAS_BRIGGS_RURAL, CQ_STAB_CD, 1000, 89.44271910, 52.64296052);
    /* The rule everywhere: each sigma of a split class is the geometric mean of its
     * neighbours' and lies between them. */
    const cq_stability split[3] = {CQ_STAB_AB, CQ_STAB_BC, CQ_STAB_CD};
    const double xs[5] = {50, 300, 1000, 7000, 60000};
    for (int s = 0; s < CQ_SIGMA_SET_COUNT; s++)
        for (int k = 0; k < 3; k++)
            for (int i = 0; i < 5; i++) {
                cq_stability lo, hi;
                cq_stability_neighbours(split[k], &lo, &hi, NULL, 0);
                double y, z, y1, z1, y2, z2;
                assert_int_equal(cq_sigmas(all_sets[s], split[k], xs[i], &y, &z, NULL, NULL, 0),
                                 CQ_OK);
                cq_sigmas(all_sets[s], lo, xs[i], &y1, &z1, NULL, NULL, 0);
                cq_sigmas(all_sets[s], hi, xs[i], &y2, &z2, NULL, NULL, 0);
                assert_rel(y, sqrt(y1 * y2), 1e-12);
                assert_rel(z, sqrt(z1 * z2), 1e-12);
                assert_true(y <= fmax(y1, y2) && y >= fmin(y1, y2));
                assert_true(z <= fmax(z1, z2) && z >= fmin(z1, z2));
            }
}

/* ---- growth with x --------------------------------------------------------- */

static void test_monotonic_in_x(void **state) {
    (void)state;
    /* 10 m to 100 km in steps of 1 %: every sigma grows with x (sigma_z may stay flat
     * at ISC3's cap), except Turner's sigma_z for D and E, which step down where the
     * published power law hands over to the log-quadratic at 500 m: D from 18.30659
     * to 17.80479, E from 13.39582 to 13.09236 (by hand). That step, and only it. */
    for (int s = 0; s < CQ_SIGMA_SET_COUNT; s++)
        for (int c = 0; c < CQ_STAB_COUNT; c++) {
            cq_stability cls = all_classes[c];
            int may_step = all_sets[s] == CQ_SIGMAS_TURNER_PG &&
                           (cls == CQ_STAB_D || cls == CQ_STAB_E || cls == CQ_STAB_CD);
            double py = 0, pz = 0, px = 0;
            for (double x = 10; x <= 100000; x *= 1.01) {
                double y, z;
                assert_int_equal(cq_sigmas(all_sets[s], cls, x, &y, &z, NULL, NULL, 0), CQ_OK);
                assert_true(isfinite(y) && y > 0 && isfinite(z) && z > 0);
                if (!(y > py)) fail_msg("set %d class %d: sigma_y falls at %g m", s, c, x);
                int step = may_step && px <= 500 && x > 500;
                int capped = all_sets[s] == CQ_SIGMAS_ISC3_RURAL && z == 5000.0 && pz == 5000.0;
                if (!(z > pz) && !step && !capped)
                    fail_msg("set %d class %d: sigma_z does not grow from %g at %g m to %g at %g m",
                             s, c, pz, px, z, x);
                if (step && !(z < pz)) fail_msg("set %d class %d: no step at 500 m", s, c);
                py = y, pz = z, px = x;
            }
        }
    double y, z1, z2;
    cq_sigmas(CQ_SIGMAS_TURNER_PG, CQ_STAB_D, 500, &y, &z1, NULL, NULL, 0);
    cq_sigmas(CQ_SIGMAS_TURNER_PG, CQ_STAB_D, 500.000001, &y, &z2, NULL, NULL, 0);
    assert_rel(z1, 18.30658988, 1e-6);
    assert_rel(z2, 17.80478856, 1e-6);
    cq_sigmas(CQ_SIGMAS_TURNER_PG, CQ_STAB_E, 500, &y, &z1, NULL, NULL, 0);
    cq_sigmas(CQ_SIGMAS_TURNER_PG, CQ_STAB_E, 500.000001, &y, &z2, NULL, NULL, 0);
    assert_rel(z1, 13.39581854, 1e-6);
    assert_rel(z2, 13.09236392, 1e-6);
}

/* ---- ISC3's cap ------------------------------------------------------------ */

static void test_isc3_cap(void **state) {
    (void)state;
    double y, z;
    /* A beyond 0.5 km: 453.85 x_km^2.1166. At 3 km 4642.877 m, under the cap; at 5 km
     * 13688 m, capped to 5000. */
    cq_sigmas(CQ_SIGMAS_ISC3_RURAL, CQ_STAB_A, 3000, &y, &z, NULL, NULL, 0);
    assert_rel(z, 4642.877097, 1e-6);
    cq_sigmas(CQ_SIGMAS_ISC3_RURAL, CQ_STAB_A, 5000, &y, &z, NULL, NULL, 0);
    assert_true(z == 5000.0);
    /* B at 100 km: 109.3 100^1.0971 = 17093 m -> 5000. */
    cq_sigmas(CQ_SIGMAS_ISC3_RURAL, CQ_STAB_B, 100000, &y, &z, NULL, NULL, 0);
    assert_true(z == 5000.0);
    /* A-B at 5 km: the cap applies to A before the mean, sqrt(5000 * 638.9401) =
     * 1787.373 (B: 109.3 5^1.0971 = 638.9401). */
    cq_sigmas(CQ_SIGMAS_ISC3_RURAL, CQ_STAB_AB, 5000, &y, &z, NULL, NULL, 0);
    assert_rel(z, 1787.372530, 1e-6);
    /* Nothing exceeds the cap anywhere. */
    for (int c = 0; c < CQ_STAB_COUNT; c++)
        for (double x = 10; x <= 1e6; x *= 1.1) {
            cq_sigmas(CQ_SIGMAS_ISC3_RURAL, all_classes[c], x, &y, &z, NULL, NULL, 0);
            assert_true(z <= 5000.0);
        }
    /* The other sets have no cap: Briggs urban A at 20 km is 0.24 x sqrt(21) = 21996 m. */
    cq_sigmas(CQ_SIGMAS_BRIGGS_URBAN, CQ_STAB_A, 20000, &y, &z, NULL, NULL, 0);
    assert_rel(z, 0.24 * 20000 * sqrt(21), 1e-12);
}

/* ---- flags and errors ------------------------------------------------------ */

static unsigned flags_at(cq_sigma_set set, cq_stability cls, double x) {
    double y, z;
    unsigned f = 12345;
    assert_int_equal(cq_sigmas(set, cls, x, &y, &z, &f, NULL, 0), CQ_OK);
    return f;
}

static void test_flags(void **state) {
    (void)state;
    assert_int_equal(flags_at(CQ_SIGMAS_BRIGGS_RURAL, CQ_STAB_D, 1000), 0);
    assert_int_equal(flags_at(CQ_SIGMAS_BRIGGS_RURAL, CQ_STAB_D, 100), 0);
    assert_int_equal(flags_at(CQ_SIGMAS_BRIGGS_RURAL, CQ_STAB_D, 10000), 0);
    assert_int_equal(flags_at(CQ_SIGMAS_BRIGGS_RURAL, CQ_STAB_D, 99), CQ_FLAG_EXTRAPOLATED);
    assert_int_equal(flags_at(CQ_SIGMAS_BRIGGS_URBAN, CQ_STAB_F, 20000), CQ_FLAG_EXTRAPOLATED);
    /* Turner: sigma_z of A is fitted to 3 km, of B to 20 km, of C-F to 100 km. */
    assert_int_equal(flags_at(CQ_SIGMAS_TURNER_PG, CQ_STAB_A, 3000), 0);
    assert_int_equal(flags_at(CQ_SIGMAS_TURNER_PG, CQ_STAB_A, 5000), CQ_FLAG_EXTRAPOLATED);
    assert_int_equal(flags_at(CQ_SIGMAS_TURNER_PG, CQ_STAB_B, 25000), CQ_FLAG_EXTRAPOLATED);
    assert_int_equal(flags_at(CQ_SIGMAS_TURNER_PG, CQ_STAB_C, 50000), 0);
    assert_int_equal(flags_at(CQ_SIGMAS_TURNER_PG, CQ_STAB_F, 150000), CQ_FLAG_EXTRAPOLATED);
    /* A split class is flagged where either neighbour is: A-B at 5 km (A's 3 km). */
    assert_int_equal(flags_at(CQ_SIGMAS_TURNER_PG, CQ_STAB_AB, 5000), CQ_FLAG_EXTRAPOLATED);
    assert_int_equal(flags_at(CQ_SIGMAS_TURNER_PG, CQ_STAB_BC, 5000), 0);
    /* ISC3: 100 m - 100 km. */
    assert_int_equal(flags_at(CQ_SIGMAS_ISC3_RURAL, CQ_STAB_E, 50), CQ_FLAG_EXTRAPOLATED);
    assert_int_equal(flags_at(CQ_SIGMAS_ISC3_RURAL, CQ_STAB_E, 50000), 0);
}

static void test_errors(void **state) {
    (void)state;
    double y = -7, z = -7;
    char err[128];
    const double bad_x[4] = {0, -1, NAN, INFINITY};
    for (int i = 0; i < 4; i++) {
        err[0] = 0;
        assert_int_equal(
            cq_sigmas(CQ_SIGMAS_BRIGGS_RURAL, CQ_STAB_D, bad_x[i], &y, &z, NULL, err, sizeof err),
            CQ_EINVAL);
        assert_has(err, "x_m");
    }
    assert_true(y == -7 && z == -7); /* untouched on error */
    assert_int_equal(cq_sigmas((cq_sigma_set)7, CQ_STAB_D, 100, &y, &z, NULL, err, sizeof err),
                     CQ_EINVAL);
    assert_has(err, "sigma set");
    assert_int_equal(
        cq_sigmas(CQ_SIGMAS_TURNER_PG, (cq_stability)9, 100, &y, &z, NULL, err, sizeof err),
        CQ_EINVAL);
    assert_has(err, "stability class");
    assert_int_equal(
        cq_sigmas(CQ_SIGMAS_TURNER_PG, CQ_STAB_D, 100, NULL, &z, NULL, err, sizeof err), CQ_EINVAL);
    assert_has(err, "sigma_y_m");
    /* err may be NULL or tiny. */
    assert_int_equal(cq_sigmas(CQ_SIGMAS_TURNER_PG, CQ_STAB_D, -1, &y, &z, NULL, NULL, 0),
                     CQ_EINVAL);
    char tiny[4] = "xyz";
    assert_int_equal(cq_sigmas(CQ_SIGMAS_TURNER_PG, CQ_STAB_D, -1, &y, &z, NULL, tiny, sizeof tiny),
                     CQ_EINVAL);
    assert_int_equal(tiny[3], 0);
}

/* ---- wind profile ------------------------------------------------------------ */

static void test_wind_profile(void **state) {
    (void)state;
    double p, u;
    char err[128];
    assert_int_equal(cq_wind_exponent(CQ_WIND_IRWIN_RURAL, CQ_STAB_D, &p, NULL, 0), CQ_OK);
    assert_rel(p, 0.15, 1e-12);
    assert_int_equal(cq_wind_exponent(CQ_WIND_IRWIN_URBAN, CQ_STAB_F, &p, NULL, 0), CQ_OK);
    assert_rel(p, 0.60, 1e-12);
    assert_int_equal(cq_wind_exponent(CQ_WIND_ISC3_URBAN, CQ_STAB_F, &p, NULL, 0), CQ_OK);
    assert_rel(p, 0.30, 1e-12);
    assert_int_equal(cq_wind_exponent(CQ_WIND_IRWIN_RURAL, CQ_STAB_BC, &p, NULL, 0), CQ_OK);
    assert_rel(p, (0.07 + 0.10) / 2, 1e-12);
    /* 5 m/s at 10 m to 50 m: rural D 5 * 5^0.15 = 6.365251; urban C-D 5 * 5^0.225 =
     * 7.181882; ISC3 urban E 5 * 5^0.30 = 8.103283. */
    assert_int_equal(
        cq_wind_at_height(CQ_WIND_IRWIN_RURAL, CQ_STAB_D, 5, 10, 50, &u, err, sizeof err), CQ_OK);
    assert_rel(u, 6.365250578, 1e-9);
    assert_int_equal(cq_wind_at_height(CQ_WIND_IRWIN_URBAN, CQ_STAB_CD, 5, 0, 50, &u, NULL, 0),
                     CQ_OK);
    assert_rel(u, 7.181881835, 1e-9);
    assert_int_equal(cq_wind_at_height(CQ_WIND_ISC3_URBAN, CQ_STAB_E, 5, 10, 50, &u, NULL, 0),
                     CQ_OK);
    assert_rel(u, 8.103282983, 1e-9);
    /* The split class's wind is the geometric mean of its neighbours'. */
    double u1, u2;
    cq_wind_at_height(CQ_WIND_IRWIN_URBAN, CQ_STAB_C, 5, 10, 50, &u1, NULL, 0);
    cq_wind_at_height(CQ_WIND_IRWIN_URBAN, CQ_STAB_D, 5, 10, 50, &u2, NULL, 0);
    cq_wind_at_height(CQ_WIND_IRWIN_URBAN, CQ_STAB_CD, 5, 10, 50, &u, NULL, 0);
    assert_rel(u, sqrt(u1 * u2), 1e-12);
    /* More stable, faster aloft; below 10 m, slower. */
    cq_wind_at_height(CQ_WIND_IRWIN_RURAL, CQ_STAB_F, 5, 10, 50, &u1, NULL, 0);
    assert_true(u1 > 6.365250578);
    cq_wind_at_height(CQ_WIND_IRWIN_RURAL, CQ_STAB_D, 5, 10, 2, &u1, NULL, 0);
    assert_true(u1 < 5);
    assert_int_equal(
        cq_wind_at_height(CQ_WIND_IRWIN_RURAL, CQ_STAB_D, 5, 10, 0, &u, err, sizeof err),
        CQ_EINVAL);
    assert_has(err, "z_m");
    assert_int_equal(
        cq_wind_at_height(CQ_WIND_IRWIN_RURAL, CQ_STAB_D, -1, 10, 50, &u, err, sizeof err),
        CQ_EINVAL);
    assert_has(err, "u_ref_m_s");
    assert_int_equal(
        cq_wind_at_height((cq_wind_profile)5, CQ_STAB_D, 5, 10, 50, &u, err, sizeof err),
        CQ_EINVAL);
    assert_has(err, "wind profile");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_class_names),    cmocka_unit_test(test_class_neighbours),
        cmocka_unit_test(test_sigmas_by_hand), cmocka_unit_test(test_split_geometric_mean),
        cmocka_unit_test(test_monotonic_in_x), cmocka_unit_test(test_isc3_cap),
        cmocka_unit_test(test_flags),          cmocka_unit_test(test_errors),
        cmocka_unit_test(test_wind_profile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
