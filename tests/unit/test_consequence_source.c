/*
 * test_consequence_source.c - consequence/source.c: the source terms of
 * reference section 7. The worked examples of docs/consequence-models.md
 * recomputed by hand (a liquid through a 25 mm hole; chlorine vapour at
 * 290 K choked through a 10 mm hole, with NIST's vapour pressure and heat
 * capacity; propane flashing from 20 degC; a spill spreading to 1 cm or a
 * dike; Mackay-Matsugu evaporation; propane boiling on ground), the
 * cross-checks between two forms of one quantity (the two choked-flow
 * formulas, the exit velocity against the speed of sound, the boil-off
 * rate against the derivative of the mass boiled off), and the errors.
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

/* ---- liquid --------------------------------------------------------------- */

static void test_liquid(void **state) {
    (void)state;
    double m;
    char err[128];
    /* rho 879 kg/m3 (benzene), 25 mm hole, 100 kPa gauge, 5 m of liquid above it:
     * A = pi 0.025^2 / 4 = 4.908739e-4 m2; 100000 / 879 + 9.80665 * 5 = 162.7989 m2/s2;
     * m = 0.61 * A * 879 * sqrt(2 * 162.7989) = 4.749297 kg/s. */
    cq_liquid_hole h = {
        .hole_diameter_m = 0.025, .density_kg_m3 = 879, .gauge_pressure_pa = 100e3, .head_m = 5};
    assert_int_equal(cq_liquid_release(&h, &m, err, sizeof err), CQ_OK);
    assert_rel(m, 4.749297008, 1e-8);
    /* cd 0 is 0.61; cd 1 scales by 1/0.61. */
    double m1;
    h.cd = 0.61;
    cq_liquid_release(&h, &m1, NULL, 0);
    assert_rel(m1, m, 1e-15);
    h.cd = 1;
    cq_liquid_release(&h, &m1, NULL, 0);
    assert_rel(m1, m / 0.61, 1e-12);
    /* Head alone (an atmospheric tank): Torricelli, rho Cd A sqrt(2 g h). */
    h = (cq_liquid_hole){.hole_diameter_m = 0.025, .density_kg_m3 = 879, .head_m = 5};
    cq_liquid_release(&h, &m1, NULL, 0);
    assert_rel(m1, 0.61 * 4.908738521e-4 * 879 * sqrt(2 * 9.80665 * 5), 1e-9);
    /* No driving head: nothing flows (a vacuum above the liquid outweighs it). */
    h.gauge_pressure_pa = -879 * 9.80665 * 6;
    cq_liquid_release(&h, &m1, NULL, 0);
    assert_true(m1 == 0);
    h.gauge_pressure_pa = 0;
    h.cd = 1.2;
    assert_int_equal(cq_liquid_release(&h, &m1, err, sizeof err), CQ_EINVAL);
    assert_has(err, "cd");
    h.cd = 0;
    h.head_m = -1;
    assert_int_equal(cq_liquid_release(&h, &m1, err, sizeof err), CQ_EINVAL);
    assert_has(err, "head_m");
    h.head_m = 1;
    h.density_kg_m3 = 0;
    assert_int_equal(cq_liquid_release(&h, &m1, err, sizeof err), CQ_EINVAL);
    assert_has(err, "density_kg_m3");
}

/* ---- gas ------------------------------------------------------------------ */

/* Chlorine at 290 K: saturation pressure 621.30 kPa and ideal-gas Cp/R 4.07 (NIST SRD
 * 134), so gamma = 4.07 / 3.07; M 70.9054 g/mol (NIST). */
static cq_gas_hole chlorine(void) {
    return (cq_gas_hole){.hole_diameter_m = 0.010,
                         .pressure_pa = 621.30e3,
                         .temp_k = 290,
                         .molar_mass_kg_mol = 0.0709054,
                         .gamma = 4.07 / 3.07};
}

static void test_gas_choked(void **state) {
    (void)state;
    cq_gas_release r;
    char err[128];
    cq_gas_hole in = chlorine();
    /* k = 1.325733; eta_c = (2 / 2.325733)^(1.325733 / 0.325733) = 0.5411200; P_a / P_1 =
     * 0.1630855 < eta_c: choked.
     * rho_1 = 621300 * 0.0709054 / (8.314462 * 290) = 18.27042 kg/m3
     * G/C_d = sqrt(rho_1 P_1 (2k/(k-1)) (eta_c^(2/k) - eta_c^((k+1)/k))) = 2263.661 kg/m2/s
     * m = 0.61 * 2263.661 * pi 0.01^2 / 4 = 0.1084504 kg/s
     * exit: P_j = 336.1978 kPa, T_j = 290 eta_c^(0.325733/1.325733) = 249.3838 K,
     * rho_j = 18.27042 eta_c^(1/k) = 11.49667 kg/m3, u_j = 2263.661 / 11.49667 = 196.8972 m/s. */
    assert_int_equal(cq_gas_release_rate(&in, &r, err, sizeof err), CQ_OK);
    assert_true(r.choked);
    assert_rel(r.rate_kg_s, 0.1084503945, 1e-8);
    assert_rel(r.mass_flux_kg_m2_s, 0.61 * 2263.661163, 1e-8);
    assert_rel(r.exit_pressure_pa, 336197.8271, 1e-8);
    assert_rel(r.exit_temp_k, 249.3837535, 1e-8);
    assert_rel(r.exit_density_kg_m3, 11.49666571, 1e-8);
    assert_rel(r.exit_velocity_m_s, 196.8971891, 1e-8);
    /* Two forms of one thing: the choked jet leaves at the speed of sound of the exit
     * state, sqrt(k R T_j / M); and the reference's second choked formula,
     * m = C_d A P_1 sqrt((k M / (R T_1)) (2/(k+1))^((k+1)/(k-1))), gives the same rate. */
    double k = in.gamma;
    assert_rel(r.exit_velocity_m_s, sqrt(k * CQ_R_GAS * r.exit_temp_k / in.molar_mass_kg_mol),
               1e-12);
    double alt = 0.61 * (M_PI * 1e-4 / 4) * in.pressure_pa *
                 sqrt(k * in.molar_mass_kg_mol / (CQ_R_GAS * in.temp_k) *
                      pow(2 / (k + 1), (k + 1) / (k - 1)));
    assert_rel(r.rate_kg_s, alt, 1e-12);
    /* Choked flow is linear in P_1. */
    cq_gas_release r2;
    in.pressure_pa *= 2;
    cq_gas_release_rate(&in, &r2, NULL, 0);
    assert_rel(r2.rate_kg_s, 2 * r.rate_kg_s, 1e-12);
}

static void test_gas_subsonic(void **state) {
    (void)state;
    cq_gas_release r, lo, hi;
    cq_gas_hole in = chlorine();
    /* 150 kPa: eta = 101325 / 150000 = 0.6755 > eta_c; rho_1 = 4.411049 kg/m3;
     * G/C_d = sqrt(rho_1 P_1 (2k/(k-1)) (eta^(2/k) - eta^((k+1)/k))) = 523.2936;
     * m = 0.61 * 523.2936 * 7.853982e-5 = 0.02507062 kg/s. */
    in.pressure_pa = 150e3;
    assert_int_equal(cq_gas_release_rate(&in, &r, NULL, 0), CQ_OK);
    assert_false(r.choked);
    assert_rel(r.rate_kg_s, 0.02507062203, 1e-8);
    assert_rel(r.exit_pressure_pa, CQ_P_ATM, 1e-12); /* leaves at ambient pressure */
    /* Continuous across the critical ratio. */
    double k = in.gamma, eta_c = pow(2 / (k + 1), k / (k - 1));
    in.pressure_pa = CQ_P_ATM / eta_c * (1 - 1e-9);
    cq_gas_release_rate(&in, &lo, NULL, 0);
    in.pressure_pa = CQ_P_ATM / eta_c * (1 + 1e-9);
    cq_gas_release_rate(&in, &hi, NULL, 0);
    assert_false(lo.choked);
    assert_true(hi.choked);
    assert_rel(lo.rate_kg_s, hi.rate_kg_s, 1e-6);
    /* The rate grows with the upstream pressure. */
    double prev = 0;
    for (double p = 102e3; p < 2e6; p *= 1.05) {
        in.pressure_pa = p;
        cq_gas_release_rate(&in, &r, NULL, 0);
        assert_true(r.rate_kg_s > prev);
        prev = r.rate_kg_s;
    }
    /* Nothing flows into a higher pressure; ambient 0 means 1 atm. */
    in.pressure_pa = 90e3;
    cq_gas_release_rate(&in, &r, NULL, 0);
    assert_true(r.rate_kg_s == 0 && !r.choked);
    in.pressure_pa = 150e3;
    in.ambient_pa = CQ_P_ATM;
    cq_gas_release_rate(&in, &lo, NULL, 0);
    assert_rel(lo.rate_kg_s, 0.02507062203, 1e-8);
}

static void test_gas_errors(void **state) {
    (void)state;
    cq_gas_release r;
    char err[128];
    cq_gas_hole in = chlorine();
    in.gamma = 1;
    assert_int_equal(cq_gas_release_rate(&in, &r, err, sizeof err), CQ_EINVAL);
    assert_has(err, "gamma");
    in = chlorine();
    in.temp_k = -3;
    assert_int_equal(cq_gas_release_rate(&in, &r, err, sizeof err), CQ_EINVAL);
    assert_has(err, "temp_k");
    in = chlorine();
    in.hole_diameter_m = INFINITY;
    assert_int_equal(cq_gas_release_rate(&in, &r, err, sizeof err), CQ_EINVAL);
    assert_has(err, "hole_diameter_m");
    in = chlorine();
    in.cd = -0.5;
    assert_int_equal(cq_gas_release_rate(&in, &r, err, sizeof err), CQ_EINVAL);
    assert_has(err, "cd");
    assert_int_equal(cq_gas_release_rate(NULL, &r, err, sizeof err), CQ_EINVAL);
    assert_has(err, "in");
}

/* ---- flash ------------------------------------------------------------------ */

static void test_flash(void **state) {
    (void)state;
    cq_flash f;
    char err[128];
    /* Propane at 20 degC: T_b 231.1 K and dH_v 426 kJ/kg (Liley, Mechanical Engineers'
     * Handbook vol. 4, 2006, table 3), c_p of the liquid 2.5 kJ/(kg K) (a mean between
     * T_b and 20 degC, unconfirmed). x = 2500 * 62.05 / 426000 = 0.3641432:
     * linear f_v = 0.3641432; integrated 1 - exp(-0.3641432) = 0.3052083. */
    assert_int_equal(
        cq_flash_fraction(293.15, 231.1, 2500, 426e3, CQ_FLASH_LINEAR, 0, &f, err, sizeof err),
        CQ_OK);
    assert_rel(f.vapour_fraction, 0.3641431925, 1e-9);
    assert_rel(f.airborne_fraction, 0.3641431925, 1e-9);
    assert_int_equal(f.flags, 0);
    assert_int_equal(
        cq_flash_fraction(293.15, 231.1, 2500, 426e3, CQ_FLASH_INTEGRATED, 0, &f, NULL, 0), CQ_OK);
    assert_rel(f.vapour_fraction, 0.3052083013, 1e-9);
    /* Aerosol carried as much again as the vapour (multiple 1): 0.7282864. */
    cq_flash_fraction(293.15, 231.1, 2500, 426e3, CQ_FLASH_LINEAR, 1, &f, NULL, 0);
    assert_rel(f.airborne_fraction, 0.7282863850, 1e-9);
    assert_rel(f.vapour_fraction, 0.3641431925, 1e-9);
    cq_flash_fraction(293.15, 231.1, 2500, 426e3, CQ_FLASH_LINEAR, 2, &f, NULL, 0);
    assert_true(f.airborne_fraction == 1); /* 3 f_v > 1: all of it */
    /* The integrated form is below the linear one everywhere (1 - e^-x < x) and both
     * grow with the storage temperature. */
    double prev_l = -1, prev_i = -1;
    for (double t = 240; t < 360; t += 5) {
        cq_flash l, i;
        cq_flash_fraction(t, 231.1, 2500, 426e3, CQ_FLASH_LINEAR, 0, &l, NULL, 0);
        cq_flash_fraction(t, 231.1, 2500, 426e3, CQ_FLASH_INTEGRATED, 0, &i, NULL, 0);
        assert_true(i.vapour_fraction < l.vapour_fraction);
        assert_true(l.vapour_fraction > prev_l && i.vapour_fraction > prev_i);
        prev_l = l.vapour_fraction, prev_i = i.vapour_fraction;
    }
    /* No superheat, no flash. */
    cq_flash_fraction(231.1, 231.1, 2500, 426e3, CQ_FLASH_LINEAR, 1, &f, NULL, 0);
    assert_true(f.vapour_fraction == 0 && f.airborne_fraction == 0);
    cq_flash_fraction(200, 231.1, 2500, 426e3, CQ_FLASH_INTEGRATED, 0, &f, NULL, 0);
    assert_true(f.vapour_fraction == 0);
    /* The linear form past 1 is held at 1 and flagged; the integrated one never is. */
    cq_flash_fraction(500, 231.1, 2500, 426e3, CQ_FLASH_LINEAR, 0, &f, NULL, 0);
    assert_true(f.vapour_fraction == 1);
    assert_int_equal(f.flags, CQ_FLAG_EXTRAPOLATED);
    cq_flash_fraction(500, 231.1, 2500, 426e3, CQ_FLASH_INTEGRATED, 0, &f, NULL, 0);
    assert_true(f.vapour_fraction < 1);
    assert_int_equal(f.flags, 0);
    assert_int_equal(cq_flash_fraction(293, 231, 2500, 0, CQ_FLASH_LINEAR, 0, &f, err, sizeof err),
                     CQ_EINVAL);
    assert_has(err, "hvap_j_kg");
    assert_int_equal(
        cq_flash_fraction(293, 231, 2500, 4e5, (cq_flash_form)3, 0, &f, err, sizeof err),
        CQ_EINVAL);
    assert_has(err, "form");
    assert_int_equal(
        cq_flash_fraction(293, 231, 2500, 4e5, CQ_FLASH_LINEAR, -1, &f, err, sizeof err),
        CQ_EINVAL);
    assert_has(err, "aerosol_multiple");
}

/* ---- pools ------------------------------------------------------------------- */

static void test_pool_instant(void **state) {
    (void)state;
    cq_pool p;
    char err[128];
    /* 10 m3 at once: r(t) = (8 g V / pi)^(1/4) t^(1/2), (8 * 9.80665 * 10 / pi)^(1/4) =
     * 3.975311; r(5) = 8.888945 m. The 1 cm depth is reached at r = sqrt(10 / (pi 0.01))
     * = 17.84124 m, t = (17.84124 / 3.975311)^2 = 20.14279 s. */
    cq_pool_spread s = {.spill = CQ_SPILL_INSTANT, .volume_m3 = 10};
    assert_int_equal(cq_pool_at(&s, 5, &p, err, sizeof err), CQ_OK);
    assert_int_equal(p.limit, CQ_POOL_SPREADING);
    assert_rel(p.radius_m, 8.888944603, 1e-8);
    assert_rel(p.area_m2 * p.depth_m, 10, 1e-12);
    cq_pool_at(&s, 30, &p, NULL, 0);
    assert_int_equal(p.limit, CQ_POOL_MIN_DEPTH);
    assert_rel(p.radius_m, 17.84124116, 1e-8);
    assert_rel(p.depth_m, 0.01, 1e-12);
    cq_pool_at(&s, 20.1, &p, NULL, 0);
    assert_int_equal(p.limit, CQ_POOL_SPREADING);
    cq_pool_at(&s, 20.2, &p, NULL, 0);
    assert_int_equal(p.limit, CQ_POOL_MIN_DEPTH);
    /* A 200 m2 dike holds it: r = sqrt(200 / pi) = 7.978846 m, 5 cm deep. */
    s.dike_area_m2 = 200;
    cq_pool_at(&s, 30, &p, NULL, 0);
    assert_int_equal(p.limit, CQ_POOL_DIKE);
    assert_rel(p.radius_m, 7.978845608, 1e-9);
    assert_rel(p.area_m2, 200, 1e-12);
    assert_rel(p.depth_m, 0.05, 1e-12);
    /* A 2 cm minimum depth stops it sooner. */
    s.dike_area_m2 = 0;
    s.min_depth_m = 0.02;
    cq_pool_at(&s, 30, &p, NULL, 0);
    assert_rel(p.radius_m, sqrt(10 / (M_PI * 0.02)), 1e-12);
    /* The radius never falls with time. */
    s.min_depth_m = 0;
    double prev = -1;
    for (double t = 0; t < 100; t += 0.5) {
        cq_pool_at(&s, t, &p, NULL, 0);
        assert_true(p.radius_m >= prev);
        prev = p.radius_m;
    }
}

static void test_pool_continuous(void **state) {
    (void)state;
    cq_pool p;
    /* 0.05 m3/s: r(t) = (32 g Q / (9 pi))^(1/4) t^(3/4), (32 * 9.80665 * 0.05 /
     * (9 pi))^(1/4) = 0.8631118; r(2) = 1.451559 m, depth 0.1 / (pi 1.451559^2) =
     * 1.511 cm. The depth falls as t^(-1/2) and reaches 1 cm at t = 4.564 s; from then
     * on the pool holds 1 cm as it is fed: r(60) = sqrt(3 / (pi 0.01)) = 9.772050 m. */
    cq_pool_spread s = {.spill = CQ_SPILL_CONTINUOUS, .rate_m3_s = 0.05};
    assert_int_equal(cq_pool_at(&s, 2, &p, NULL, 0), CQ_OK);
    assert_int_equal(p.limit, CQ_POOL_SPREADING);
    assert_rel(p.radius_m, 1.451558575, 1e-8);
    assert_rel(p.depth_m, 0.01510709624, 1e-8);
    cq_pool_at(&s, 4.5, &p, NULL, 0);
    assert_int_equal(p.limit, CQ_POOL_SPREADING);
    cq_pool_at(&s, 4.6, &p, NULL, 0);
    assert_int_equal(p.limit, CQ_POOL_MIN_DEPTH);
    cq_pool_at(&s, 60, &p, NULL, 0);
    assert_rel(p.radius_m, 9.772050238, 1e-8);
    assert_rel(p.depth_m, 0.01, 1e-12);
    assert_rel(p.area_m2 * p.depth_m, 3, 1e-12);
    /* In a 50 m2 dike: full width from when it reaches it. */
    s.dike_area_m2 = 50;
    cq_pool_at(&s, 60, &p, NULL, 0);
    assert_int_equal(p.limit, CQ_POOL_DIKE);
    assert_rel(p.area_m2, 50, 1e-12);
    assert_rel(p.depth_m, 3.0 / 50, 1e-12);
    /* At t = 0 there is no pool yet. */
    cq_pool_at(&s, 0, &p, NULL, 0);
    assert_true(p.radius_m == 0 && p.area_m2 == 0);
    char err[128];
    s.rate_m3_s = 0;
    assert_int_equal(cq_pool_at(&s, 1, &p, err, sizeof err), CQ_EINVAL);
    assert_has(err, "rate_m3_s");
    s.rate_m3_s = 1;
    assert_int_equal(cq_pool_at(&s, -1, &p, err, sizeof err), CQ_EINVAL);
    assert_has(err, "t_s");
    s.spill = (cq_spill)4;
    assert_int_equal(cq_pool_at(&s, 1, &p, err, sizeof err), CQ_EINVAL);
    assert_has(err, "spill");
}

/* ---- evaporation ---------------------------------------------------------------- */

static void test_evaporation(void **state) {
    (void)state;
    double km, e;
    char err[128];
    /* A 10 m pool in a 3 m/s wind, Sc 1.76: k_m = 0.0048 * 3^(7/9) * 10^(-1/9) *
     * 1.76^(-2/3) = 5.991690e-3 m/s. Of benzene (M 78.11 g/mol) at 20 degC with p_v
     * 10.0 kPa (illustrative inputs): E = k_m * 25 pi * 0.07811 * 10000 / (8.314462 *
     * 293.15) = 0.1508071 kg/s. */
    assert_int_equal(cq_mackay_matsugu(3, 10, 1.76, &km, err, sizeof err), CQ_OK);
    assert_rel(km, 5.991689835e-3, 1e-8);
    assert_int_equal(cq_pool_evaporation(km, 25 * M_PI, 0.07811, 10e3, 293.15, &e, err, sizeof err),
                     CQ_OK);
    assert_rel(e, 0.150807101, 1e-8);
    /* More wind, faster; a wider pool, a smaller coefficient (D^-1/9) but more area. */
    double k2;
    cq_mackay_matsugu(6, 10, 1.76, &k2, NULL, 0);
    assert_rel(k2 / km, pow(2, 7.0 / 9), 1e-12);
    cq_mackay_matsugu(3, 20, 1.76, &k2, NULL, 0);
    assert_true(k2 < km);
    double e2;
    cq_pool_evaporation(k2, 100 * M_PI, 0.07811, 10e3, 293.15, &e2, NULL, 0);
    assert_true(e2 > e);
    cq_mackay_matsugu(0, 10, 1.76, &k2, NULL, 0);
    assert_true(k2 == 0); /* still air: no forced mass transfer in this model */
    assert_int_equal(cq_mackay_matsugu(3, 0, 1.76, &km, err, sizeof err), CQ_EINVAL);
    assert_has(err, "pool_diameter_m");
    assert_int_equal(cq_mackay_matsugu(3, 10, -1, &km, err, sizeof err), CQ_EINVAL);
    assert_has(err, "schmidt");
    assert_int_equal(cq_pool_evaporation(1e-3, 10, 0.078, NAN, 293, &e, err, sizeof err),
                     CQ_EINVAL);
    assert_has(err, "vapour_pressure_pa");
}

static void test_boiling_pool(void **state) {
    (void)state;
    double m, total;
    char err[128];
    /* Propane (T_b 231.1 K, dH_v 426 kJ/kg) on ground at 20 degC, k_s 0.9 W/(m K),
     * alpha_s 4.3e-7 m2/s (illustrative ground), at 60 s:
     * q = 0.9 * 62.05 / sqrt(pi * 4.3e-7 * 60) = 6202.968 W/m2;
     * m'' = q / 426000 = 1.456096e-2 kg/m2/s; boiled off by then,
     * M'' = 2 * 0.9 * 62.05 * sqrt(60) / (426000 * sqrt(pi * 4.3e-7)) = 1.747315 kg/m2. */
    assert_int_equal(
        cq_boiling_pool(0.9, 4.3e-7, 293.15, 231.1, 426e3, 60, &m, &total, err, sizeof err), CQ_OK);
    assert_rel(m, 1.456095658e-2, 1e-8);
    assert_rel(total, 1.747314790, 1e-8);
    /* The rate is the derivative of the mass boiled off (central difference). */
    for (double t = 5; t < 600; t *= 1.7) {
        double a, b, rate;
        cq_boiling_pool(0.9, 4.3e-7, 293.15, 231.1, 426e3, t * (1 + 1e-5), &rate, &b, NULL, 0);
        cq_boiling_pool(0.9, 4.3e-7, 293.15, 231.1, 426e3, t * (1 - 1e-5), &rate, &a, NULL, 0);
        cq_boiling_pool(0.9, 4.3e-7, 293.15, 231.1, 426e3, t, &rate, NULL, NULL, 0);
        assert_rel((b - a) / (2e-5 * t), rate, 1e-8);
    }
    /* The ground cools: the rate falls with time. */
    double later;
    cq_boiling_pool(0.9, 4.3e-7, 293.15, 231.1, 426e3, 600, &later, NULL, NULL, 0);
    assert_rel(later, m / sqrt(10), 1e-12);
    /* Ground no warmer than the boiling point: nothing boils. */
    cq_boiling_pool(0.9, 4.3e-7, 220, 231.1, 426e3, 60, &m, &total, NULL, 0);
    assert_true(m == 0 && total == 0);
    assert_int_equal(
        cq_boiling_pool(0.9, 4.3e-7, 293.15, 231.1, 426e3, 0, &m, NULL, err, sizeof err),
        CQ_EINVAL);
    assert_has(err, "t_s");
    assert_int_equal(cq_boiling_pool(0, 4.3e-7, 293.15, 231.1, 426e3, 1, &m, NULL, err, sizeof err),
                     CQ_EINVAL);
    assert_has(err, "ground_conductivity");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_liquid),          cmocka_unit_test(test_gas_choked),
        cmocka_unit_test(test_gas_subsonic),    cmocka_unit_test(test_gas_errors),
        cmocka_unit_test(test_flash),           cmocka_unit_test(test_pool_instant),
        cmocka_unit_test(test_pool_continuous), cmocka_unit_test(test_evaporation),
        cmocka_unit_test(test_boiling_pool),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
