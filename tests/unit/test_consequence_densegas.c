/*
 * test_consequence_densegas.c - consequence/densegas.c, the Britter-McQuaid
 * screening: a chlorine plume and puff worked by hand (python3 from the
 * reference's section 6 tables; docs/consequence-models.md), releases built
 * to land on chosen alpha so that each row's beta is the table's own number,
 * the near field, the x^-2 tail, the non-isothermal correction, the
 * criteria and flags, monotonicity and round trips, and bad inputs.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "consequence/consequence.h"

static void assert_rel(double got, double want, double rel) {
    if (!(fabs(got - want) <= rel * fabs(want)))
        fail_msg("got %.9g, want %.9g (+-%.3g%%)", got, want, rel * 100);
}

static void assert_err_names(int rc, const char *err, const char *name) {
    assert_int_equal(rc, CQ_EINVAL);
    if (!strstr(err, name)) fail_msg("error \"%s\" does not name \"%s\"", err, name);
}

/* Chlorine (M 70.906 g/mol) vapour at its boiling point 239.1 K, air at
 * 293.15 K and 1 atm, wind 2 m/s at 10 m. */
static const cq_air air = {.temp_k = 293.15, .wind_m_s = 2.0};

static cq_bm_release chlorine(void) {
    double rho = cq_gas_density(0.070906, 239.1, 0);
    return (cq_bm_release){.density_kg_m3 = rho,
                           .temp_k = 239.1,
                           .rate_m3_s = 1.0 / rho,     /* 1 kg/s */
                           .volume_m3 = 1000.0 / rho}; /* 1000 kg */
}

static void test_chlorine_plume(void **state) {
    (void)state;
    cq_bm_release rel = chlorine();
    cq_bm_params m;
    char err[200];
    assert_rel(rel.density_kg_m3, 3.6139810, 1e-7);
    assert_int_equal(cq_bm_plume_params(&rel, &air, &m, err, sizeof err), CQ_OK);
    /* rhoa 1.2040682; q0 0.27670317; g0' 19.626787; D = sqrt(q0/2). */
    assert_rel(m.g0_m_s2, 19.626787, 1e-6);
    assert_rel(m.length_m, 0.37195643, 1e-7);
    assert_rel(m.alpha, 0.10451251, 1e-6);
    assert_rel(m.criterion, 1.2220635, 1e-6);
    assert_rel(m.lb_m, 0.67884926, 1e-6);
    assert_int_equal(m.flags, 0); /* dense, alpha in range */
    assert_rel(m.near_x, 30, 1e-12);
    assert_rel(m.last_x, pow(10, -0.50 * m.alpha + 2.71), 1e-12);

    double x, c;
    unsigned f = 0;
    /* 1 % by volume: chart C' = 0.01/(0.01 + 0.99 x 293.15/239.1) = 0.0081713,
     * between the 0.01 row (beta 2.295653) and the 0.005 row (2.509834):
     * x = D 10^2.372389 = 87.9994 m. */
    assert_int_equal(cq_bm_plume_distance(&rel, &air, 0.01, &x, &f, err, sizeof err), CQ_OK);
    assert_rel(x, 87.999446, 1e-6);
    assert_int_equal(f, 0);
    /* 0.2 %: C' = 0.00163185, past the 0.002 row: the x^-2 tail, flagged. */
    assert_int_equal(cq_bm_plume_distance(&rel, &air, 0.002, &x, &f, err, sizeof err), CQ_OK);
    assert_rel(x, 187.24528, 1e-6);
    assert_true(f & CQ_FLAG_EXTRAPOLATED);
    /* 20 ppm: the tail again, 1872.79 m. */
    assert_int_equal(cq_bm_plume_distance(&rel, &air, 20e-6, &x, NULL, err, sizeof err), CQ_OK);
    assert_rel(x, 1872.7947, 1e-6);

    /* At 50 m (x/D = 134.424): C' = 0.0187030 between the 0.02 and 0.01
     * rows, C = 0.0228343. */
    f = 0;
    assert_int_equal(cq_bm_plume_conc(&rel, &air, 50, &c, &f, err, sizeof err), CQ_OK);
    assert_rel(c, 0.022834347, 1e-6);
    assert_int_equal(f, 0);
    /* Near field at 5 m: 306/(306 + 13.4424^2) = 0.628725, C = 0.674927. */
    assert_int_equal(cq_bm_plume_conc(&rel, &air, 5, &c, &f, err, sizeof err), CQ_OK);
    assert_rel(c, 0.67492699, 1e-6);
    /* At the source the pure gas. */
    assert_int_equal(cq_bm_plume_conc(&rel, &air, 0, &c, &f, err, sizeof err), CQ_OK);
    assert_rel(c, 1, 1e-12);

    /* L_H = D + 8 l_b + 2.5 (l_b x^2)^(1/3): 5.802750 m at 0, 53.13943 m at 100. */
    double lh;
    assert_int_equal(cq_bm_plume_half_width(&rel, &air, 0, &lh, NULL, err, sizeof err), CQ_OK);
    assert_rel(lh, 5.8027505, 1e-7);
    assert_int_equal(cq_bm_plume_half_width(&rel, &air, 100, &lh, NULL, err, sizeof err), CQ_OK);
    assert_rel(lh, 53.139430, 1e-7);
}

static void test_chlorine_puff(void **state) {
    (void)state;
    cq_bm_release rel = chlorine();
    cq_bm_params m;
    char err[200];
    assert_int_equal(cq_bm_puff_params(&rel, &air, &m, err, sizeof err), CQ_OK);
    /* V0 276.70317 m3, V0^(1/3) 6.5163546 m, alpha 0.752397, criterion 5.65454. */
    assert_rel(m.length_m, 6.5163546, 1e-7);
    assert_rel(m.alpha, 0.75239696, 1e-6);
    assert_rel(m.criterion, 5.6545358, 1e-6);
    assert_int_equal(m.flags, 0);
    double x;
    unsigned f = 0;
    /* 1 %: C' 0.0081713 between the 0.01 (1.374089) and 0.005 (1.524281)
     * rows: 174.995 m. */
    assert_int_equal(cq_bm_puff_distance(&rel, &air, 0.01, &x, &f, err, sizeof err), CQ_OK);
    assert_rel(x, 174.99474, 1e-6);
    assert_int_equal(f, 0);
    /* 0.1 %: past the 0.001 row, the tail: 507.076 m, flagged. */
    assert_int_equal(cq_bm_puff_distance(&rel, &air, 0.001, &x, &f, err, sizeof err), CQ_OK);
    assert_rel(x, 507.07553, 1e-6);
    assert_true(f & CQ_FLAG_EXTRAPOLATED);
    /* The puff's near field holds at the first row's 0.1 out to it:
     * x' = 10^0.93 gives C' 0.1. */
    double c;
    assert_int_equal(
        cq_bm_puff_conc(&rel, &air, 6.5163546 * pow(10, 0.93), &c, NULL, err, sizeof err), CQ_OK);
    assert_rel(c, 0.1 / (0.1 + 0.9 * 239.1 / 293.15), 1e-6);
}

/* An isothermal release of rho0 = 3, rhoa = 1.2 (g0' = 1.5 g) in a 2 m/s
 * wind, its rate chosen so that alpha = 0.2 log10(g0'^2 q0 / u^5) = a. */
static cq_bm_release at_alpha(double a, double *d) {
    double g0 = 9.80616 * 1.5, u = 2;
    double q0 = pow(10, 5 * a) * pow(u, 5) / (g0 * g0);
    *d = sqrt(q0 / u);
    return (cq_bm_release){.density_kg_m3 = 3, .air_density_kg_m3 = 1.2, .rate_m3_s = q0};
}

static void test_rows_on_breakpoints(void **state) {
    (void)state;
    double d, x, c;
    unsigned f = 0;
    char err[200];
    /* alpha = -0.235 sits on the flat middle pieces of the 0.05, 0.02, 0.01
     * and 0.005 rows (2.06, 2.25, 2.45, 2.63) and the 0.002 row's (2.77 for
     * -0.25 < alpha <= -0.13); the 0.1 row gives 0.24 (-0.235) + 1.88. */
    cq_bm_release rel = at_alpha(-0.235, &d);
    static const struct {
        double conc, beta;
    } rows[] = {{0.1, 1.8236}, {0.05, 2.06},  {0.02, 2.25},
                {0.01, 2.45},  {0.005, 2.63}, {0.002, 2.77}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        assert_int_equal(cq_bm_plume_distance(&rel, &air, rows[i].conc, &x, &f, err, sizeof err),
                         CQ_OK);
        assert_rel(x, d * pow(10, rows[i].beta), 1e-9);
        assert_int_equal(
            cq_bm_plume_conc(&rel, &air, d * pow(10, rows[i].beta), &c, &f, err, sizeof err),
            CQ_OK);
        assert_rel(c, rows[i].conc, 1e-9);
    }
    assert_int_equal(f, 0);
    /* Halfway in beta between the 0.02 and 0.01 rows: C linear, 0.015. */
    assert_int_equal(cq_bm_plume_conc(&rel, &air, d * pow(10, 2.35), &c, NULL, NULL, 0), CQ_OK);
    assert_rel(c, 0.015, 1e-9);
    /* The tail: C' = 0.002 (10^2.77 / x')^2; at x' = 1000, 6.93480e-4. */
    assert_int_equal(cq_bm_plume_conc(&rel, &air, d * 1000, &c, &f, NULL, 0), CQ_OK);
    assert_rel(c, 0.002 * pow(pow(10, 2.77) / 1000, 2), 1e-9);
    assert_true(f & CQ_FLAG_EXTRAPOLATED);
    /* The near field joins at x' = 30: 306/1206. */
    assert_int_equal(cq_bm_plume_conc(&rel, &air, d * 30, &c, NULL, NULL, 0), CQ_OK);
    assert_rel(c, 306.0 / 1206.0, 1e-9);

    /* Below alpha = -0.70 every row is flat (1.75 ... 2.60), flagged. */
    rel = at_alpha(-0.8, &d);
    f = 0;
    assert_int_equal(cq_bm_plume_distance(&rel, &air, 0.01, &x, &f, NULL, 0), CQ_OK);
    assert_rel(x, d * pow(10, 2.25), 1e-9);
    assert_true(f & CQ_FLAG_EXTRAPOLATED);

    /* alpha = 0.8: the 0.1 row is at beta 1.38, x' = 23.99 < 30, so the near
     * field stops there and the curve steps down to 0.1. */
    rel = at_alpha(0.8, &d);
    cq_bm_params m;
    assert_int_equal(cq_bm_plume_params(&rel, &air, &m, NULL, 0), CQ_OK);
    assert_rel(m.near_x, pow(10, 1.38), 1e-9);
    assert_int_equal(cq_bm_plume_conc(&rel, &air, d * pow(10, 1.38), &c, NULL, NULL, 0), CQ_OK);
    assert_rel(c, 306 / (306 + pow(10, 2 * 1.38)), 1e-9);
    /* A level inside the step is reached out to the step. */
    assert_int_equal(cq_bm_plume_distance(&rel, &air, 0.2, &x, NULL, NULL, 0), CQ_OK);
    assert_rel(x, d * pow(10, 1.38), 1e-9);
    /* Above alpha = 1 the table is held at its alpha = 1 rows, flagged. */
    rel = at_alpha(1.2, &d);
    f = 0;
    assert_int_equal(cq_bm_plume_distance(&rel, &air, 0.01, &x, &f, NULL, 0), CQ_OK);
    assert_rel(x, d * pow(10, -0.52 + 2.35), 1e-9);
    assert_true(f & CQ_FLAG_EXTRAPOLATED);
}

static void test_non_isothermal(void **state) {
    (void)state;
    cq_bm_release cold = chlorine(), iso = chlorine();
    iso.temp_k = 0; /* same density and rate, no correction */
    for (double x = 1; x < 3000; x *= 1.7) {
        double cc, ci;
        assert_int_equal(cq_bm_plume_conc(&cold, &air, x, &cc, NULL, NULL, 0), CQ_OK);
        assert_int_equal(cq_bm_plume_conc(&iso, &air, x, &ci, NULL, NULL, 0), CQ_OK);
        /* C = C'/(C' + (1 - C') T0/Ta) with T0 < Ta: more than the chart. */
        assert_rel(cc, ci / (ci + (1 - ci) * 239.1 / 293.15), 1e-9);
        assert_true(cc > ci);
    }
}

static void test_monotone_and_round_trip(void **state) {
    (void)state;
    static const double alphas[] = {-0.8, -0.3, 0.1, 0.7, 1.2};
    for (size_t i = 0; i < sizeof alphas / sizeof alphas[0]; i++) {
        double d;
        cq_bm_release rel = at_alpha(alphas[i], &d);
        rel.volume_m3 = 50 * pow(10, alphas[i]);
        rel.temp_k = 250; /* with the correction */
        for (int puff = 0; puff < 2; puff++) {
            double prev = 2;
            for (double x = 0.01; x < 1e4; x *= 1.05) {
                double c, back;
                int rc = puff ? cq_bm_puff_conc(&rel, &air, x, &c, NULL, NULL, 0)
                              : cq_bm_plume_conc(&rel, &air, x, &c, NULL, NULL, 0);
                assert_int_equal(rc, CQ_OK);
                assert_true(c <= prev);
                prev = c;
                /* Where the curve strictly falls, the distance to C(x) is x. */
                double c2;
                rc = puff ? cq_bm_puff_conc(&rel, &air, x * 1.0001, &c2, NULL, NULL, 0)
                          : cq_bm_plume_conc(&rel, &air, x * 1.0001, &c2, NULL, NULL, 0);
                if (c2 < c && c < 0.99 && x < 15000) {
                    rc = puff ? cq_bm_puff_distance(&rel, &air, c, &back, NULL, NULL, 0)
                              : cq_bm_plume_distance(&rel, &air, c, &back, NULL, NULL, 0);
                    assert_int_equal(rc, CQ_OK);
                    assert_rel(back, x, 1e-6);
                }
            }
        }
    }
}

static void test_criteria_and_errors(void **state) {
    (void)state;
    char err[240];
    double x, c;
    unsigned f = 0;
    /* Slightly dense gas in a strong wind: (g0' q0/(u^3 D))^(1/3) =
     * (0.40859 x 0.01 / (1000 x 0.031623))^(1/3) = 0.0506 < 0.15: passive,
     * flagged, still answered (alpha -1.555 is flagged too). */
    cq_bm_release weak = {
        .density_kg_m3 = 1.25, .air_density_kg_m3 = 1.2, .rate_m3_s = 0.01, .volume_m3 = 0.01};
    cq_air windy = {.temp_k = 293.15, .wind_m_s = 10};
    cq_bm_params m;
    assert_int_equal(cq_bm_plume_params(&weak, &windy, &m, err, sizeof err), CQ_OK);
    assert_rel(m.criterion, cbrt(9.80616 * 0.05 / 1.2 * 0.01 / (1000 * sqrt(0.001))), 1e-9);
    assert_true(m.flags & CQ_FLAG_NOT_DENSE);
    assert_true(m.flags & CQ_FLAG_EXTRAPOLATED);
    assert_int_equal(cq_bm_plume_distance(&weak, &windy, 0.01, &x, &f, err, sizeof err), CQ_OK);
    assert_true(f & CQ_FLAG_NOT_DENSE);
    /* Puff: sqrt(g0' V0^(1/3))/u = sqrt(0.40859 x 0.21544)/10 = 0.0297 < 0.2. */
    assert_int_equal(cq_bm_puff_params(&weak, &windy, &m, err, sizeof err), CQ_OK);
    assert_rel(m.criterion, sqrt(9.80616 * 0.05 / 1.2 * cbrt(0.01)) / 10, 1e-9);
    assert_true(m.flags & CQ_FLAG_NOT_DENSE);

    /* Capped far out. */
    cq_bm_release rel = chlorine();
    f = 0;
    assert_int_equal(cq_bm_plume_distance(&rel, &air, 1e-12, &x, &f, NULL, 0), CQ_OK);
    assert_rel(x, CQ_RANGE_MAX_M, 1e-12);
    assert_true(f & CQ_FLAG_CAPPED);

    /* Zones: AEGL-like levels (chlorine's 60-min AEGL-3/2/1 as fractions
     * 20, 2, 0.5 ppm are the caller's) nest. */
    cq_zones z;
    assert_int_equal(cq_bm_zones(&rel, &air, false, 20e-6, 2e-6, 0.5e-6, &z, err, sizeof err),
                     CQ_OK);
    assert_rel(z.red_m, 1872.7947, 1e-6);
    assert_true(z.red_m < z.orange_m && z.orange_m < z.yellow_m);
    assert_true(z.flags & CQ_FLAG_EXTRAPOLATED);
    assert_err_names(cq_bm_zones(&rel, &air, true, 1e-6, 2e-6, 0.5e-6, &z, err, sizeof err), err,
                     "red >= orange");

    /* Bad inputs name what is wrong. */
    cq_bm_release light = {.density_kg_m3 = 0.7, .rate_m3_s = 1};
    assert_err_names(cq_bm_plume_conc(&light, &air, 10, &c, NULL, err, sizeof err), err,
                     "not a dense gas");
    assert_err_names(cq_bm_plume_conc(&rel, NULL, 10, &c, NULL, err, sizeof err), err, "air");
    cq_air calm = {.temp_k = 293.15, .wind_m_s = 0};
    assert_err_names(cq_bm_plume_conc(&rel, &calm, 10, &c, NULL, err, sizeof err), err, "wind_m_s");
    cq_bm_release norate = rel;
    norate.rate_m3_s = 0;
    assert_err_names(cq_bm_plume_conc(&norate, &air, 10, &c, NULL, err, sizeof err), err,
                     "rate_m3_s");
    norate.volume_m3 = NAN;
    assert_err_names(cq_bm_puff_conc(&norate, &air, 10, &c, NULL, err, sizeof err), err,
                     "volume_m3");
    assert_err_names(cq_bm_plume_conc(&rel, &air, -1, &c, NULL, err, sizeof err), err, "x_m");
    assert_err_names(cq_bm_plume_distance(&rel, &air, 0, &x, NULL, err, sizeof err), err, "c must");
    assert_err_names(cq_bm_puff_distance(&rel, &air, 1, &x, NULL, err, sizeof err), err, "c must");
    assert_true(isnan(cq_gas_density(0, 300, 0)));
    assert_rel(cq_gas_density(0.028964, 293.15, 0), 1.2040682, 1e-7);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chlorine_plume),          cmocka_unit_test(test_chlorine_puff),
        cmocka_unit_test(test_rows_on_breakpoints),     cmocka_unit_test(test_non_isothermal),
        cmocka_unit_test(test_monotone_and_round_trip), cmocka_unit_test(test_criteria_and_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
