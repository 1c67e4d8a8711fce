/*
 * test_consequence_plumerise.c - consequence/plumerise.c: Briggs plume
 * rise as ISC3 uses it. The worked examples of docs/consequence-models.md
 * (a 50 m stack in D and F, a large stack past F_b = 55, cold momentum
 * plumes, stack-tip downwash, the smoke of a 142 MW pool fire), each
 * recomputed by hand from the reference's formulas (section 1); the
 * gradual rise and its continuity at x_f; the options, flags and errors.
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

static cq_plume_rise stack_rise(cq_stack st, cq_stability cls, double ta, double u,
                                const cq_rise_opts *o) {
    cq_plume_rise r;
    char err[160] = "";
    if (cq_briggs_stack_rise(&st, cls, ta, u, o, &r, err, sizeof err) != CQ_OK) fail_msg("%s", err);
    return r;
}

/* The worked example: h_s 50 m, d_s 2 m, v_s 15 m/s, T_s 400 K, T_a 293.15 K, u 5 m/s. */
static const cq_stack example = {50, 2, 15, 400};

static void test_example_neutral(void **state) {
    (void)state;
    cq_plume_rise r = stack_rise(example, CQ_STAB_D, 293.15, 5, NULL);
    /* F_b = 9.80616 * 15 * 2^2 * 106.85 / (4 * 400) = 39.29206 m4/s3 (< 55)
     * F_m = 15^2 * 2^2 * 293.15 / (4 * 400) = 164.8969 m4/s2
     * (dT)c = 0.0297 * 400 * 15^(1/3) / 2^(2/3) = 18.45696 K < 106.85: buoyant
     * x_f = 49 * 39.29206^(5/8) = 486.0003 m
     * dh = 21.425 * 39.29206^(3/4) / 5 = 67.24800 m
     * v_s = 15 >= 1.5 u = 7.5: no downwash; h_e = 50 + 67.248 = 117.2480 m */
    assert_int_equal(r.kind, CQ_RISE_BUOYANT);
    assert_false(r.stable);
    assert_rel(r.buoyancy_flux, 39.29205735, 1e-9);
    assert_rel(r.momentum_flux, 164.896875, 1e-9);
    assert_rel(r.crossover_dt_k, 18.45696109, 1e-8);
    assert_rel(r.x_final_m, 486.0003263, 1e-8);
    assert_rel(r.final_rise_m, 67.24800473, 1e-8);
    assert_rel(r.base_height_m, 50, 1e-12);
    assert_rel(r.effective_height_m, 117.2480047, 1e-8);
    assert_int_equal(r.flags, 0);
    /* A-B, B-C and C-D take the unstable-neutral formulas too. */
    cq_plume_rise rs = stack_rise(example, CQ_STAB_CD, 293.15, 5, NULL);
    assert_rel(rs.effective_height_m, r.effective_height_m, 1e-12);
    assert_false(rs.stable);
}

static void test_example_stable(void **state) {
    (void)state;
    cq_plume_rise r = stack_rise(example, CQ_STAB_F, 293.15, 5, NULL);
    /* s = 9.80616 / 293.15 * 0.035 = 1.170785e-3 s^-2
     * (dT)c = 0.019582 * 400 * 15 * sqrt(s) = 4.020193 K: buoyant
     * x_f = 2.0715 * 5 / sqrt(s) = 302.7028 m
     * dh = 2.6 * (39.29206 / (5 * s))^(1/3) = 49.04475 m; h_e = 99.04475 m */
    assert_true(r.stable);
    assert_int_equal(r.kind, CQ_RISE_BUOYANT);
    assert_rel(r.s, 1.170784922e-3, 1e-8);
    assert_rel(r.crossover_dt_k, 4.020192574, 1e-8);
    assert_rel(r.x_final_m, 302.7027605, 1e-8);
    assert_rel(r.final_rise_m, 49.04475424, 1e-8);
    assert_rel(r.effective_height_m, 99.04475424, 1e-8);
    /* The stable plume rises less than the neutral one. */
    assert_true(r.final_rise_m < 67.248);
    /* dtheta/dz: E's default 0.020 K/m given to F is E. */
    cq_rise_opts o = {.dtheta_dz_k_m = 0.020};
    cq_plume_rise f_as_e = stack_rise(example, CQ_STAB_F, 293.15, 5, &o);
    cq_plume_rise e = stack_rise(example, CQ_STAB_E, 293.15, 5, NULL);
    assert_rel(f_as_e.final_rise_m, e.final_rise_m, 1e-12);
    assert_true(e.final_rise_m > r.final_rise_m); /* less stable, higher */
}

static void test_large_stack(void **state) {
    (void)state;
    /* h_s 100 m, d_s 5 m, v_s 20 m/s, T_s 420 K, T_a 293.15 K, u 8 m/s, D:
     * F_b = 9.80616 * 20 * 25 * 126.85 / 1680 = 370.2117 (>= 55)
     * (dT)c = 0.00575 * 420 * 20^(2/3) / 5^(1/3) = 10.40592 K: buoyant
     * x_f = 119 * 370.2117^(2/5) = 1267.439 m; dh = 38.71 * 370.2117^(3/5) / 8 = 168.1912 m */
    cq_stack big = {100, 5, 20, 420};
    cq_plume_rise r = stack_rise(big, CQ_STAB_D, 293.15, 8, NULL);
    assert_int_equal(r.kind, CQ_RISE_BUOYANT);
    assert_rel(r.buoyancy_flux, 370.211725, 1e-9);
    assert_rel(r.crossover_dt_k, 10.40591955, 1e-8);
    assert_rel(r.x_final_m, 1267.438891, 1e-8);
    assert_rel(r.final_rise_m, 168.1912065, 1e-8);
    assert_rel(r.effective_height_m, 268.1912065, 1e-8);
}

static void test_momentum_and_downwash(void **state) {
    (void)state;
    /* A cold plume: h_s 30 m, d_s 1 m, v_s 8 m/s, T_s 280 K, T_a 293.15 K.
     * F_b = -0.9210786 (< 0), F_m = 64 * 293.15 / 1120 = 16.75143.
     * D, u 6: momentum dh = 3 * 1 * 8 / 6 = 4; F_b <= 0 so x_f = 4 * 1 * (8 + 18)^2 /
     * (8 * 6) = 56.33333 m; v_s = 8 < 9 = 1.5 u: downwash h_s' = 30 + 2 (8/6 - 1.5) =
     * 29.66667 m; beta_j = 1/3 + 6/8 = 1.083333. */
    cq_stack cold = {30, 1, 8, 280};
    cq_plume_rise r = stack_rise(cold, CQ_STAB_D, 293.15, 6, NULL);
    assert_int_equal(r.kind, CQ_RISE_MOMENTUM);
    assert_rel(r.buoyancy_flux, -0.9210786, 1e-6);
    assert_rel(r.momentum_flux, 16.75142857, 1e-9);
    assert_rel(r.final_rise_m, 4.0, 1e-12);
    assert_rel(r.x_final_m, 56.33333333, 1e-9);
    assert_rel(r.base_height_m, 29.66666667, 1e-9);
    assert_rel(r.effective_height_m, 33.66666667, 1e-9);
    assert_rel(r.beta_j, 1.083333333, 1e-9);
    /* ISC3's NOSTD: no downwash. */
    cq_rise_opts nostd = {.no_stack_tip_downwash = true};
    assert_rel(stack_rise(cold, CQ_STAB_D, 293.15, 6, &nostd).base_height_m, 30, 1e-12);
    /* E, u 6: 1.5 (16.75143 / (6 sqrt(s_E)))^(1/3) = 7.14 is above the neutral 4: 4. */
    r = stack_rise(cold, CQ_STAB_E, 293.15, 6, NULL);
    assert_int_equal(r.kind, CQ_RISE_MOMENTUM);
    assert_rel(r.final_rise_m, 4.0, 1e-12);
    /* F, u 2: s = 1.170785e-3, dh = 1.5 (16.75143 / (2 sqrt(s)))^(1/3) = 9.383230 m
     * under the neutral 3 * 8 / 2 = 12; x_f = (pi/2) * 2 / sqrt(s) = 91.81451 m;
     * v_s 8 >= 3: no downwash. */
    r = stack_rise(cold, CQ_STAB_F, 293.15, 2, NULL);
    assert_int_equal(r.kind, CQ_RISE_MOMENTUM);
    assert_rel(r.final_rise_m, 9.383229896, 1e-8);
    assert_rel(r.x_final_m, 91.81450820, 1e-8);
    assert_rel(r.effective_height_m, 39.38322990, 1e-8);
    /* A warm plume whose excess is below the crossover is momentum-dominated too:
     * d 0.5, v 10, T_s 300 (dT 6.85 < (dT)c = 0.0297 * 300 * 10^(1/3) / 0.5^(2/3) =
     * 30.47 K): dh = 3 * 0.5 * 10 / 4 = 3.75 m. */
    cq_stack warm = {20, 0.5, 10, 300};
    r = stack_rise(warm, CQ_STAB_C, 293.15, 4, NULL);
    assert_int_equal(r.kind, CQ_RISE_MOMENTUM);
    assert_rel(r.final_rise_m, 3.75, 1e-12);
    assert_rel(r.x_final_m, 49 * pow(r.buoyancy_flux, 5.0 / 8), 1e-12); /* buoyant x_f */
    /* Downwash on a hot stack: h_s 30, d 1, v 5, T_s 400, u 6 (D): h_s' = 30 + 2 (5/6 -
     * 1.5) = 28.66667; F_b = 3.274338, dh = 21.425 F_b^(3/4) / 6 = 8.691850, h_e =
     * 37.35852 m. */
    cq_stack hot = {30, 1, 5, 400};
    r = stack_rise(hot, CQ_STAB_D, 293.15, 6, NULL);
    assert_int_equal(r.kind, CQ_RISE_BUOYANT);
    assert_rel(r.base_height_m, 28.66666667, 1e-9);
    assert_rel(r.final_rise_m, 8.691849995, 1e-8);
    assert_rel(r.effective_height_m, 37.35851666, 1e-8);
    /* A short, wide stack in a strong wind is not pushed below the ground. */
    cq_stack stub = {1, 2, 1, 400};
    assert_rel(stack_rise(stub, CQ_STAB_D, 293.15, 10, NULL).base_height_m, 0, 0);
}

static void test_low_wind(void **state) {
    (void)state;
    cq_plume_rise r = stack_rise(example, CQ_STAB_D, 293.15, 0.5, NULL);
    assert_int_equal(r.flags, CQ_FLAG_LOW_WIND);
    assert_rel(r.wind_m_s, 1.0, 0);
    assert_rel(r.final_rise_m, 67.24800473 * 5, 1e-8); /* dh ~ 1/u: the u = 1 value */
    r = stack_rise(example, CQ_STAB_D, 293.15, 0, NULL);
    assert_int_equal(r.flags, CQ_FLAG_LOW_WIND);
}

static void test_gradual_rise(void **state) {
    (void)state;
    cq_plume_rise r = stack_rise(example, CQ_STAB_D, 293.15, 5, NULL);
    double dh, h;
    char err[128];
    /* 1.6 * 39.29206^(1/3) * 100^(2/3) / 5 = 23.43788 m at 100 m. */
    assert_int_equal(cq_briggs_rise_at(&r, 100, &dh, &h, err, sizeof err), CQ_OK);
    assert_rel(dh, 23.43787505, 1e-8);
    assert_rel(h, 73.43787505, 1e-8);
    assert_int_equal(cq_briggs_rise_at(&r, 0, &dh, NULL, NULL, 0), CQ_OK);
    assert_true(dh == 0);
    assert_int_equal(cq_briggs_rise_at(&r, 1000, &dh, NULL, NULL, 0), CQ_OK);
    assert_rel(dh, r.final_rise_m, 0);
    /* The 2/3 law reaches the final rise exactly at x_f (21.425 = 1.6 * 49^(2/3);
     * 2.6 = 1.6 * 2.0715^(2/3) for the stable case): no jump, and it never falls. */
    const cq_stability cls[2] = {CQ_STAB_D, CQ_STAB_F};
    for (int k = 0; k < 2; k++) {
        cq_plume_rise q = stack_rise(example, cls[k], 293.15, 5, NULL);
        cq_briggs_rise_at(&q, q.x_final_m * (1 - 1e-9), &dh, NULL, NULL, 0);
        assert_rel(dh, q.final_rise_m, 2e-4);
        double prev = -1;
        for (double x = 0; x < 3 * q.x_final_m; x += q.x_final_m / 97) {
            cq_briggs_rise_at(&q, x, &dh, NULL, NULL, 0);
            assert_true(dh >= prev && dh <= q.final_rise_m);
            prev = dh;
        }
    }
    /* Momentum, D (the cold plume, u 6, beta_j 1.083333): (3 * 16.75143 * 10 /
     * (1.083333^2 * 36))^(1/3) = 2.282700 m at 10 m; capped at 4 m from x_f. */
    cq_stack cold = {30, 1, 8, 280};
    r = stack_rise(cold, CQ_STAB_D, 293.15, 6, NULL);
    cq_briggs_rise_at(&r, 10, &dh, NULL, NULL, 0);
    assert_rel(dh, 2.282699781, 1e-8);
    cq_briggs_rise_at(&r, 50, &dh, NULL, NULL, 0);
    assert_rel(dh, 3.903361718, 1e-8);
    cq_briggs_rise_at(&r, 56, &dh, NULL, NULL, 0);
    assert_true(dh <= 4.0);
    /* Momentum, F (u 2, beta_j 0.583333): (3 F_m sin(20 sqrt(s) / 2) / (beta_j^2 * 2 *
     * sqrt(s)))^(1/3) = 8.979812 m at 20 m; 9.383230 (final) at 60 m. */
    r = stack_rise(cold, CQ_STAB_F, 293.15, 2, NULL);
    cq_briggs_rise_at(&r, 20, &dh, NULL, NULL, 0);
    assert_rel(dh, 8.979812299, 1e-8);
    cq_briggs_rise_at(&r, 60, &dh, NULL, NULL, 0);
    assert_rel(dh, 9.383229896, 1e-8);
    assert_int_equal(cq_briggs_rise_at(&r, -1, &dh, NULL, err, sizeof err), CQ_EINVAL);
    assert_has(err, "x_m");
    assert_int_equal(cq_briggs_rise_at(NULL, 1, &dh, NULL, err, sizeof err), CQ_EINVAL);
    assert_has(err, "rise");
}

static void test_fire_plume(void **state) {
    (void)state;
    double qc, fb;
    char err[128];
    /* 100 m2 pool burning 0.05 kg/m2/s, dH_c 43.7 MJ/kg, 35 % radiated:
     * Q_c = 0.05 * 100 * 43.7e6 * 0.65 = 142.025 MW. */
    assert_int_equal(cq_fire_convective_heat(0.05, 100, 43.7e6, 0.35, &qc, err, sizeof err), CQ_OK);
    assert_rel(qc, 142.025e6, 1e-12);
    /* rho_a = 101325 * 0.0289647 / (8.314462 * 293.15) = 1.204097 kg/m3;
     * F_b = 9.80616 * Q_c / (pi * 1005 * 1.204097 * 293.15) = 1249.673 m4/s3,
     * 8.798964e-6 per W. */
    assert_int_equal(cq_fire_buoyancy_flux(qc, 293.15, 0, &fb, err, sizeof err), CQ_OK);
    assert_rel(fb, 1249.672878, 1e-8);
    /* rho_a T_a = p M / R: the flux does not depend on T_a; it scales as 1/p. */
    double fb2;
    cq_fire_buoyancy_flux(qc, 260, CQ_P_ATM, &fb2, NULL, 0);
    assert_rel(fb2, fb, 1e-12);
    cq_fire_buoyancy_flux(qc, 293.15, CQ_P_ATM / 2, &fb2, NULL, 0);
    assert_rel(fb2, 2 * fb, 1e-12);
    /* The heat form agrees with the stack form: a stack of d 2 m, v 15 m/s, T_s 400 K
     * carries Q = rho_s c_p v (pi d^2 / 4)(T_s - T_a), rho_s = p M / (R T_s); its
     * buoyancy flux from Q is the stack's F_b. */
    double rho_s = CQ_P_ATM * CQ_AIR_MOLAR_MASS_KG_MOL / (CQ_R_GAS * 400);
    double q_stack = rho_s * CQ_AIR_CP_J_KG_K * 15 * (3.14159265358979 * 4 / 4) * (400 - 293.15);
    cq_fire_buoyancy_flux(q_stack, 293.15, 0, &fb2, NULL, 0);
    assert_rel(fb2, 39.29205735, 1e-9);

    cq_plume_rise r;
    /* D, u 5, ground release: x_f = 119 * 1249.673^0.4 = 2061.890 m,
     * dh = 38.71 * 1249.673^0.6 / 5 = 558.3814 m. */
    assert_int_equal(cq_briggs_buoyant_rise(fb, 0, CQ_STAB_D, 293.15, 5, NULL, &r, err, sizeof err),
                     CQ_OK);
    assert_int_equal(r.kind, CQ_RISE_BUOYANT);
    assert_rel(r.x_final_m, 2061.890032, 1e-8);
    assert_rel(r.final_rise_m, 558.3814389, 1e-8);
    assert_rel(r.effective_height_m, 558.3814389, 1e-8);
    assert_true(r.momentum_flux == 0 && r.crossover_dt_k == 0);
    /* 200 m on: 1.6 * 1249.673^(1/3) * 200^(2/3) / 5 = 117.8787 m. */
    double dh;
    cq_briggs_rise_at(&r, 200, &dh, NULL, NULL, 0);
    assert_rel(dh, 117.8787233, 1e-8);
    /* F, u 2: x_f = 2.0715 * 2 / sqrt(s) = 121.0811 m, dh = 2.6 (F_b / (2 s))^(1/3) =
     * 210.8967 m; from a 5 m release height, 215.8967 m. */
    assert_int_equal(cq_briggs_buoyant_rise(fb, 5, CQ_STAB_F, 293.15, 2, NULL, &r, NULL, 0), CQ_OK);
    assert_rel(r.x_final_m, 121.0811042, 1e-8);
    assert_rel(r.final_rise_m, 210.8966869, 1e-8);
    assert_rel(r.effective_height_m, 215.8966869, 1e-8);
    /* A bigger fire rises higher, in every class. */
    for (int c = 0; c < CQ_STAB_COUNT; c++) {
        cq_plume_rise a, b;
        cq_briggs_buoyant_rise(fb, 0, (cq_stability)c, 293.15, 4, NULL, &a, NULL, 0);
        cq_briggs_buoyant_rise(2 * fb, 0, (cq_stability)c, 293.15, 4, NULL, &b, NULL, 0);
        assert_true(b.final_rise_m > a.final_rise_m);
    }
    /* Errors. */
    assert_int_equal(cq_fire_convective_heat(0.05, 100, 43.7e6, 1.0, &qc, err, sizeof err),
                     CQ_EINVAL);
    assert_has(err, "radiative_fraction");
    assert_int_equal(cq_fire_convective_heat(0.05, -1, 43.7e6, 0.3, &qc, err, sizeof err),
                     CQ_EINVAL);
    assert_has(err, "area_m2");
    assert_int_equal(cq_fire_buoyancy_flux(-1, 293.15, 0, &fb, err, sizeof err), CQ_EINVAL);
    assert_has(err, "convective_w");
    assert_int_equal(cq_briggs_buoyant_rise(0, 0, CQ_STAB_D, 293.15, 5, NULL, &r, err, sizeof err),
                     CQ_EINVAL);
    assert_has(err, "buoyancy_flux");
}

static void test_errors(void **state) {
    (void)state;
    cq_plume_rise r;
    memset(&r, 0x5a, sizeof r);
    cq_plume_rise before = r;
    char err[160];
    cq_stack st = example;
    st.diameter_m = 0;
    assert_int_equal(cq_briggs_stack_rise(&st, CQ_STAB_D, 293.15, 5, NULL, &r, err, sizeof err),
                     CQ_EINVAL);
    assert_has(err, "diameter_m");
    st = example;
    st.exit_velocity_m_s = 0;
    assert_int_equal(cq_briggs_stack_rise(&st, CQ_STAB_D, 293.15, 5, NULL, &r, err, sizeof err),
                     CQ_EINVAL);
    assert_has(err, "exit_velocity_m_s");
    st = example;
    st.exit_temp_k = NAN;
    assert_int_equal(cq_briggs_stack_rise(&st, CQ_STAB_D, 293.15, 5, NULL, &r, err, sizeof err),
                     CQ_EINVAL);
    assert_has(err, "exit_temp_k");
    assert_int_equal(cq_briggs_stack_rise(&example, CQ_STAB_D, 0, 5, NULL, &r, err, sizeof err),
                     CQ_EINVAL);
    assert_has(err, "ambient_temp_k");
    assert_int_equal(
        cq_briggs_stack_rise(&example, CQ_STAB_D, 293.15, -2, NULL, &r, err, sizeof err),
        CQ_EINVAL);
    assert_has(err, "wind_m_s");
    assert_int_equal(
        cq_briggs_stack_rise(&example, (cq_stability)11, 293.15, 5, NULL, &r, err, sizeof err),
        CQ_EINVAL);
    assert_has(err, "stability class");
    cq_rise_opts o = {.dtheta_dz_k_m = -0.01};
    assert_int_equal(cq_briggs_stack_rise(&example, CQ_STAB_F, 293.15, 5, &o, &r, err, sizeof err),
                     CQ_EINVAL);
    assert_has(err, "dtheta_dz");
    assert_int_equal(cq_briggs_stack_rise(NULL, CQ_STAB_D, 293.15, 5, NULL, &r, err, sizeof err),
                     CQ_EINVAL);
    assert_has(err, "stack");
    assert_memory_equal(&r, &before, sizeof r); /* untouched on error */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_example_neutral), cmocka_unit_test(test_example_stable),
        cmocka_unit_test(test_large_stack),     cmocka_unit_test(test_momentum_and_downwash),
        cmocka_unit_test(test_low_wind),        cmocka_unit_test(test_gradual_rise),
        cmocka_unit_test(test_fire_plume),      cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
