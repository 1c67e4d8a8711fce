/*
 * test_consequence_published.c - consequence/ against worked examples
 * published by others (issue 22: "each model against worked examples from
 * published sources, with the source cited in the test"), as opposed to the
 * examples of docs/consequence-models.md that were recomputed here from the
 * formulas. Each test cites its source by repository and path (the commit
 * read is named where the text was taken from one version), the book example
 * the source says it reproduces, its inputs and its printed result, and
 * justifies the tolerance: the printed digits, or the effect of a constant
 * the source chose differently from ours (converted where that is exact).
 * The list, with our results beside the published ones, is the section
 * "Published worked examples" at the end of docs/consequence-models.md.
 *
 * Sources (all read through the public-code index):
 *  [Blog-Butane]  aefarrell/aefarrell.github.io
 *                 _posts/2020-11-20-butane_leak_example.md (commit 05d9e1e6)
 *  [Blog-VCE]     aefarrell/aefarrell.github.io
 *                 _posts/2021-01-09-vapour_cloud_explosion_example.md (05d9e1e6)
 *  [Blog-BM]      aefarrell/aefarrell.github.io _posts/2023-03-12-Britter-McQuaid.md
 *                 (17df2bb6), the Burro LNG example "adapted from CCPS 1999 p. 122"
 *  [GDjl-*]       aefarrell/GasDispersion.jl: docs/src/scenarios.md (7e5120dd),
 *                 docs/src/plume.md (00ca469e), test/source_models/jet_source_tests.jl
 *                 (1c8fe1e7), test/models/britter_mcquaid_plume_tests.jl (1c8fe1e7),
 *                 test/models/britter_mcquaid_puff_tests.jl (1433312f),
 *                 test/utils/util_tests.jl, isc3_tests.jl (016a3ce8), ccps_tests.jl (1a68549d)
 *  [KB-py]        fcento100/kingery-bulmash README.md (194c3c7a) and
 *                 tests/test_kingery_bulmash.py (18f6570f): Swisdak's simplified
 *                 Kingery-Bulmash hemispherical surface burst, metric.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "consequence/consequence.h"

/* Prints ours beside the published figure (the test log doubles as the
 * comparison table), then checks it. PROBE builds report without failing. */
static void check_abs(const char *what, double ours, double published, double tol) {
    print_message("%-58s ours %-14.9g published %-14.9g tol +-%.3g\n", what, ours, published, tol);
#ifndef PROBE
    if (!(fabs(ours - published) <= tol))
        fail_msg("%s: ours %.10g, published %.10g (+-%.3g)", what, ours, published, tol);
#endif
}

static void check_rel(const char *what, double ours, double published, double rel) {
    print_message("%-58s ours %-14.9g published %-14.9g tol +-%.3g%%\n", what, ours, published,
                  rel * 100);
#ifndef PROBE
    if (!(fabs(ours - published) <= rel * fabs(published)))
        fail_msg("%s: ours %.10g, published %.10g (+-%.3g%%)", what, ours, published, rel * 100);
#endif
}

/* A comparison that disagrees beyond the source's precision: printed and
 * documented (docs/consequence-models.md, "Published worked examples"),
 * not asserted; the model is not tuned to it. */
static void report_only(const char *what, double ours, double published) {
    print_message("%-58s ours %-14.9g published %-14.9g DISAGREES by %+.3g%% (reported)\n", what,
                  ours, published, (ours / published - 1) * 100);
}

static void ok(int rc, const char *err) {
    if (rc != CQ_OK) fail_msg("CQ_EINVAL: %s", err);
}

/* Unit conversions as Unitful.jl (the blogs' package) defines them. */
#define FT   0.3048
#define INCH 0.0254
#define PSI  6894.757293168361

/* ==== source terms ======================================================== */

/* n-butane, Perry's 8th edition correlations as [Blog-Butane] gives them:
 * liquid density (kg/m3), heat capacity and latent heat (J/kmol). */
#define BUTANE_MW 58.122
#define BUTANE_TC 425.12
static double butane_rho_l(double t) {
    return BUTANE_MW * (1.0677 / pow(0.27188, 1 + pow(1 - t / BUTANE_TC, 0.28688)));
}
static double butane_cp_kmol(double t) {
    return 191030 - 1675 * t + 12.5 * t * t - 0.03874 * t * t * t + 4.6121e-5 * t * t * t * t;
}
static double butane_hv_kmol(double t) {
    double tr = t / BUTANE_TC;
    return 3.6238e7 * pow(1 - tr, 0.8337 - 0.82274 * tr + 0.39613 * tr * tr);
}

/* [Blog-Butane] "The Release Rate": a 40 ft butane sphere at 250 psig and
 * 25 C, a 2 in hole at the bottom under 50 ft of liquid, C_d 0.61, liquid
 * density from the Perry's correlation at 298.15 K; Bernoulli (CCPS96 eq.
 * 4-10, as ours): Q_l = 56.31092763613714 kg/s. The blog takes g = 9.81;
 * the head is given as 50 ft x 9.81 / CQ_G so that g h is the blog's
 * (an exact conversion), which leaves only rounding: 1e-9. */
static void test_butane_sphere_liquid_release(void **state) {
    (void)state;
    char err[160] = "";
    double t = 298.15;
    cq_liquid_hole h = {.hole_diameter_m = 2 * INCH,
                        .density_kg_m3 = butane_rho_l(t),
                        .gauge_pressure_pa = 250 * PSI,
                        .head_m = 50 * FT * 9.81 / CQ_G,
                        .cd = 0.61};
    double m;
    ok(cq_liquid_release(&h, &m, err, sizeof err), err);
    check_rel("butane sphere, liquid rate (kg/s)", m, 56.31092763613714, 1e-9);
}

/* [Blog-Butane] "Flashing Fraction": f_v = c_p (T_r - T_b) / dH_v (CCPS96
 * eq. 4-14, our linear form) with c_p and dH_v at T_r = 298.15 K from the
 * Perry's correlations, T_b = 272.55 K: f_v = 0.17128269541302374. Same
 * formula, same inputs: 1e-12. */
static void test_butane_flash_fraction(void **state) {
    (void)state;
    char err[160] = "";
    double t = 298.15, tb = -0.6 + 273.15;
    cq_flash f;
    ok(cq_flash_fraction(t, tb, butane_cp_kmol(t) / BUTANE_MW, butane_hv_kmol(t) / BUTANE_MW,
                         CQ_FLASH_LINEAR, 0, &f, err, sizeof err),
       err);
    check_rel("butane flash fraction f_v", f.vapour_fraction, 0.17128269541302374, 1e-12);
}

/* [GDjl-scenarios] docs/src/scenarios.md, "Horizontal Jets", the liquid
 * propane leak "adapted from CCPS 1999 p. 40": a 10 mm hole under a head
 * space at 0.1 barg and 2 m of liquid (526.13 kg/m3), GasDispersion.jl's
 * default C_d 0.63: m = 0.22879112394689263 kg/s. GasDispersion.jl adds
 * the head as rho g h with g = 9.80616; the head is scaled by 9.80616 /
 * CQ_G (exact), leaving rounding: 1e-9.
 * [GDjl-jet-tests] test/source_models/jet_source_tests.jl, "Liquid jet
 * example, CCPS 1999 pg 40": 490 kg/m3, 120935.0368 Pa absolute at the
 * hole (head included), C_d 0.63, 10 mm: 0.21691154763598 kg/s. */
static void test_ccps_liquid_jet(void **state) {
    (void)state;
    char err[160] = "";
    double m;
    cq_liquid_hole h = {.hole_diameter_m = 0.01,
                        .density_kg_m3 = 526.13,
                        .gauge_pressure_pa = 0.1e5,
                        .head_m = 2 * 9.80616 / CQ_G,
                        .cd = 0.63};
    ok(cq_liquid_release(&h, &m, err, sizeof err), err);
    check_rel("CCPS p.40 propane liquid jet, rate (kg/s) [GDjl docs]", m, 0.22879112394689263,
              1e-9);
    h = (cq_liquid_hole){.hole_diameter_m = 0.01,
                         .density_kg_m3 = 490.0,
                         .gauge_pressure_pa = 120935.0368 - CQ_P_ATM,
                         .cd = 0.63};
    ok(cq_liquid_release(&h, &m, err, sizeof err), err);
    check_rel("CCPS p.40 liquid jet, rate (kg/s) [GDjl test]", m, 0.21691154763598, 1e-9);
}

/* Gas through a hole, isentropic ideal gas (CCPS99 p. 30 as ours).
 * GasDispersion.jl reports the jet velocity as m / (rho_j A), the flow
 * spread over the whole hole; ours is G / (C_d rho_j), the velocity of the
 * contracted jet (sonic when choked). The two differ by C_d exactly, so
 * ours x C_d is compared with theirs.
 *
 * [GDjl-jet-tests] "Gas jet example, CCPS 1999 pg 47": 501 kPa absolute,
 * 298 K, rho_1 = 8.90 kg/m3, k = 1.15, C_d 0.85, 10 mm, to 101325 Pa:
 * m = 0.09002799947040846 kg/s, P_j = 287766.01316878956 Pa, T_j =
 * 277.2093023255814 K, u = 208.58711308961637 m/s. The molar mass is
 * rho_1 R T_1 / P_1 with our R, so that rho_1 is the source's 8.90.
 * [GDjl-plume] docs/src/plume.md, the same CCPS p. 47 leak as propane:
 * 4 barg, 25 C, M 0.044096, k 1.142, C_d 0.85: m = 0.08991798763471508,
 * P_j = 288765.2212333958, T_j = 278.3846872082166, u = 208.10961399327573.
 * [GDjl-scenarios] the same tank's head space (0.1 barg, 231.02 K, k 1.4,
 * C_d 0.63), not choked: m = 0.010634767194389562, T_j = 224.8902857468354,
 * u = 56.66660301903551, P_j = 101325.
 * Tolerance 1e-6: the same formulas; the propane cases compute rho_1 with
 * GasDispersion.jl's R (8.31446261815324 against our 8.314462, 8e-8). */
static void gas_case(const char *name, cq_gas_hole in, double m, double pj, double tj, double u) {
    char err[160] = "", what[96];
    cq_gas_release r;
    ok(cq_gas_release_rate(&in, &r, err, sizeof err), err);
    snprintf(what, sizeof what, "%s, rate (kg/s)", name);
    check_rel(what, r.rate_kg_s, m, 1e-6);
    snprintf(what, sizeof what, "%s, exit pressure (Pa)", name);
    check_rel(what, r.exit_pressure_pa, pj, 1e-6);
    snprintf(what, sizeof what, "%s, exit temperature (K)", name);
    check_rel(what, r.exit_temp_k, tj, 1e-6);
    snprintf(what, sizeof what, "%s, C_d x exit velocity (m/s)", name);
    check_rel(what, in.cd * r.exit_velocity_m_s, u, 1e-6);
}

static void test_ccps_gas_jet(void **state) {
    (void)state;
    gas_case("CCPS p.47 gas jet [GDjl test]",
             (cq_gas_hole){.hole_diameter_m = 0.01,
                           .pressure_pa = 501e3,
                           .temp_k = 298,
                           .molar_mass_kg_mol = 8.90 * CQ_R_GAS * 298 / 501e3,
                           .gamma = 1.15,
                           .ambient_pa = 101325,
                           .cd = 0.85},
             0.09002799947040846, 287766.01316878956, 277.2093023255814, 208.58711308961637);
    gas_case("CCPS p.47 propane gas jet [GDjl docs]",
             (cq_gas_hole){.hole_diameter_m = 0.01,
                           .pressure_pa = 4e5 + 101325,
                           .temp_k = 298.15,
                           .molar_mass_kg_mol = 0.044096,
                           .gamma = 1.142,
                           .ambient_pa = 101325,
                           .cd = 0.85},
             0.08991798763471508, 288765.2212333958, 278.3846872082166, 208.10961399327573);
    gas_case("CCPS p.40 tank head space, propane vapour [GDjl docs]",
             (cq_gas_hole){.hole_diameter_m = 0.01,
                           .pressure_pa = 0.1e5 + 101325,
                           .temp_k = 231.02,
                           .molar_mass_kg_mol = 0.044096,
                           .gamma = 1.4,
                           .ambient_pa = 101325,
                           .cd = 0.63},
             0.010634767194389562, 101325, 224.8902857468354, 56.66660301903551);
}

/* ==== dense gas: Britter-McQuaid ========================================= */

/* The Burro LNG example of CCPS 1999 p. 122 (Britter-McQuaid plume): 0.23
 * m3/s of LNG liquid (425.6 kg/m3) boiling off as vapour of 1.76 kg/m3 at
 * -162 C, wind 10.9 m/s at 10 m; the distance to the LFL, 5 % v/v.
 * [Blog-BM] takes air at 288.15 K and 1.225 kg/m3 and g = 9.806: alpha =
 * -0.4356993075502021, l_b = 0.18392758812310803 m, L_Ho = D + 8 l_b =
 * 3.7303110272242135 m, distance to the LFL 354.5630187009715 m (Brent's
 * root of its C(x) - 0.05). Its C(x) is ours: the same CCPS p. 118 rows,
 * the near field to x/D = 30, C linear in beta, the same non-isothermal
 * correction. g 9.806 against our 9.80616 moves alpha by 3e-6: 1e-5 on
 * alpha, 1e-4 relative on the lengths (l_b scales with g: 1.6e-5).
 * [GDjl-plume] docs/src/plume.md, "Britter-McQuaid Model": the same release
 * with air at 298 K, 1 atm: C(367 m) = 0.050717667650511944, "From the
 * reference, we expect the concentration to be ~5%" at 367 m; and
 * [GDjl-bm-tests] britter_mcquaid_plume_tests.jl for the same scenario:
 * C(367) = 0.05071175952024219 (a later version), C(45.2) =
 * 0.6720234544594696, C(1200) = 0.004920569368181627. The two versions
 * differ from each other by 1.2e-4 relative, so 2e-4 there. */
static void test_burro_lng_plume(void **state) {
    (void)state;
    char err[160] = "";
    double q0 = 425.6 * 0.23 / 1.76;
    cq_air air = {.temp_k = 288.15, .wind_m_s = 10.9};
    cq_bm_release rel = {
        .density_kg_m3 = 1.76, .temp_k = 273.15 - 162, .rate_m3_s = q0, .air_density_kg_m3 = 1.225};
    cq_bm_params p;
    ok(cq_bm_plume_params(&rel, &air, &p, err, sizeof err), err);
    check_abs("Burro LNG (CCPS p.122), alpha [Blog-BM]", p.alpha, -0.4356993075502021, 1e-5);
    check_rel("Burro LNG, l_b (m) [Blog-BM]", p.lb_m, 0.18392758812310803, 1e-4);
    double lh0;
    ok(cq_bm_plume_half_width(&rel, &air, 0, &lh0, NULL, err, sizeof err), err);
    check_rel("Burro LNG, L_Ho = D + 8 l_b (m) [Blog-BM]", lh0, 3.7303110272242135, 1e-4);
    double x;
    ok(cq_bm_plume_distance(&rel, &air, 0.05, &x, NULL, err, sizeof err), err);
    check_rel("Burro LNG, distance to LFL 5 % (m) [Blog-BM]", x, 354.5630187009715, 1e-4);

    /* GasDispersion.jl: air at 298 K from the ideal gas (ours: M 28.964) */
    air.temp_k = 298;
    rel.air_density_kg_m3 = 0;
    double c, c367;
    ok(cq_bm_plume_conc(&rel, &air, 367, &c367, NULL, err, sizeof err), err);
    check_rel("Burro LNG, C(367 m) at 298 K [GDjl docs]", c367, 0.050717667650511944, 2e-4);
    check_rel("Burro LNG, C(367 m) at 298 K [GDjl test]", c367, 0.05071175952024219, 2e-4);
    ok(cq_bm_plume_conc(&rel, &air, 2.26 * 20, &c, NULL, err, sizeof err), err);
    check_rel("Burro LNG, C(45.2 m), near field [GDjl test]", c, 0.6720234544594696, 2e-4);
    ok(cq_bm_plume_conc(&rel, &air, 1200, &c, NULL, err, sizeof err), err);
    check_rel("Burro LNG, C(1200 m), x^-2 tail [GDjl test]", c, 0.004920569368181627, 2e-4);
    /* CCPS's own answer as GasDispersion.jl quotes it, "~5 %" at 367 m (the
     * book worked by hand from the charts): to its one printed figure, the
     * concentration is 0.05 +- 0.005. The distance to 5 % is 371.4 m here
     * (and in GasDispersion.jl, whose C(367) is 0.0507): 1.2 % beyond the
     * book's 367 m, more than a three-figure distance allows; reported. */
    check_abs("Burro LNG, C(367 m) = \"~5 %\" [CCPS p.122 via GDjl docs]", c367, 0.05, 0.005);
    ok(cq_bm_plume_distance(&rel, &air, 0.05, &x, NULL, err, sizeof err), err);
    report_only("Burro LNG, distance to 5 % at 298 K (m) [CCPS p.122]", x, 367);
}

/* [Blog-VCE] "Britter-McQuaid model": the butane release of [Blog-Butane]
 * (52.82002170865257 kg/s airborne, flashed fraction 0.17128269541302374,
 * aerosol fraction 0.9227949810754577), a cloud at the boiling point
 * 272.55 K whose density mixes vapour (ideal gas at 14.7 psi) and aerosol
 * (the Perry's liquid density), air at 25 C and 14.7 psi (M 28.960), wind
 * 3 m/s at the 10 ft release height carried to 10 m with p = 0.55 (rural
 * F, CCPS99 Table 2.11): alpha = 0.17108241842192004 and the distance to
 * half the LFL (0.93 % v/v, corrected to the chart's 0.008508269826866945)
 * 165.85001073807788 m. The blog's table has -0.49 as the slope of the
 * 0.005 row above alpha = -0.15 where ours (CCPS p. 118 via GasDispersion
 * .jl) has -0.48: at this alpha that moves the 0.005 row's beta by 0.0017
 * and, 30 % of the way from the 0.01 row, the distance by +0.12 %. The
 * tolerance is 0.2 %, covering that one digit; g 9.806 against 9.80616 is
 * 1e-6 on alpha. */
static void test_butane_cloud_plume(void **state) {
    (void)state;
    char err[160] = "";
    const double r = 8.31446261815324, pa = 14.7 * PSI, ta = 298.15, tc = 272.55;
    const double fv = 0.17128269541302374, fa = 0.9227949810754577;
    double rho_g = pa * BUTANE_MW / (r * tc) / 1000;
    double rho_c = 1 / (fv / rho_g + (1 - fv) * fa / butane_rho_l(tc));
    double u10 = 3.0 * pow(10 / (10 * FT), 0.55);
    cq_air air = {.temp_k = ta, .pressure_pa = pa, .wind_m_s = u10};
    cq_bm_release rel = {.density_kg_m3 = rho_c,
                         .temp_k = tc,
                         .rate_m3_s = 52.82002170865257 / rho_c,
                         .air_density_kg_m3 = pa * 28.960 / (r * ta) / 1000};
    cq_bm_params p;
    ok(cq_bm_plume_params(&rel, &air, &p, err, sizeof err), err);
    check_abs("butane cloud, alpha [Blog-VCE]", p.alpha, 0.17108241842192004, 1e-5);
    double x;
    ok(cq_bm_plume_distance(&rel, &air, 0.5 * 1.86e-2, &x, NULL, err, sizeof err), err);
    check_rel("butane cloud, distance to 1/2 LFL (m) [Blog-VCE]", x, 165.85001073807788, 0.002);
    /* The cause, shown: the blog's own rows at our alpha and D (0.01: -0.52
     * alpha + 2.35; 0.005: -0.49 alpha + 2.56), beta interpolated linearly
     * in C at the chart value, give back its figure to 1e-5. */
    double cc = 0.5 * 1.86e-2, cp = cc / (cc + (1 - cc) * ta / tc);
    check_rel("butane cloud, chart value of 1/2 LFL [Blog-VCE]", cp, 0.008508269826866945, 1e-9);
    double b1 = -0.52 * p.alpha + 2.35, b2 = -0.49 * p.alpha + 2.56;
    double xb = p.length_m * pow(10, b1 + (0.01 - cp) / (0.01 - 0.005) * (b2 - b1));
    check_rel("butane cloud, blog's table digits at our alpha, D (m)", xb, 165.85001073807788,
              1e-5);
}

/* [GDjl-bm-puff-tests] britter_mcquaid_puff_tests.jl, "Britter-McQuaid
 * example, Workbook on the Dispersion of Dense Gases, Potchefstroom
 * Accident": 38 t of ammonia in an initial cloud of 7.25e4 m3 and density
 * 1.434 kg/m3 at 239.834 K, wind 2 m/s, dry air at 293.15 K
 * (GasDispersion.jl's DryAir: rho = P / (287.05 T)). Its test expects
 * 0.11109705839813348 / 1.434 at 160 m (near field), 0.06264084534270946 /
 * 1.434 at 355 m (table) and 0.0006403658290584752 / 1.434 at 3133 m
 * (x^-2 tail), each inside the cloud at its time: (c0 / 1.434) C with c0 =
 * 38e3 / 7.25e4 kg/m3 the ammonia in the initial cloud and C the corrected
 * chart value. Ours is C itself (the fraction of the initial cloud's
 * material), so the numerators are divided by c0. Same table and
 * formulas: 1e-6. */
static void test_potchefstroom_puff(void **state) {
    (void)state;
    char err[160] = "";
    const double c0 = 38e3 / 7.25e4;
    cq_air air = {.temp_k = 293.15, .wind_m_s = 2.0};
    cq_bm_release rel = {.density_kg_m3 = 1.434,
                         .temp_k = 273.15 - 33.316,
                         .volume_m3 = 7.25e4,
                         .air_density_kg_m3 = CQ_P_ATM / (287.05 * 293.15)};
    static const struct {
        double x, c;
    } pts[] = {
        {160, 0.11109705839813348}, {355, 0.06264084534270946}, {3133, 0.0006403658290584752}};
    for (size_t i = 0; i < sizeof pts / sizeof pts[0]; i++) {
        double c;
        char what[96];
        ok(cq_bm_puff_conc(&rel, &air, pts[i].x, &c, NULL, err, sizeof err), err);
        snprintf(what, sizeof what, "Potchefstroom puff, C at %g m [GDjl test]", pts[i].x);
        check_rel(what, c, pts[i].c / c0, 1e-6);
    }
}

/* ==== vapour cloud explosion: Kingery-Bulmash surface burst ============== */

/* [KB-py] README: 10 000 kg TNT-equivalent at 500 m, hemispherical surface
 * burst (Swisdak 1994, metric coefficients): incident pressure
 * 5.0549639655028455 kPa. Ours is the same simplified fit [Swisdak 1994
 * via tangos]: to the README's digits, 1e-6.
 * [KB-py] tests/test_kingery_bulmash.py: incident pressure (kPa) against
 * scaled distance (m/kg^1/3) at NEQ 1000 kg, a table of 4 significant
 * figures (its origin not stated) that the package asserts to 1 %; we hold
 * ours to half a unit of the printed last digit. */
static void test_kingery_bulmash(void **state) {
    (void)state;
    char err[160] = "";
    double dp;
    ok(cq_tnt_overpressure(CQ_BLAST_SURFACE_KB, 10000, 500, 0, &dp, NULL, err, sizeof err), err);
    check_rel("KB 10 t at 500 m, incident (kPa) [KB-py README]", dp / 1000, 5.0549639655028455,
              1e-6);
    static const struct {
        double z, kpa, half_unit; /* half a unit of the printed last digit */
    } tab[] = {{0.2, 17310.36, 0.005}, {0.5, 4888, 0.5},     {1, 1354, 0.5},
               {1.5, 551.4, 0.05},     {2, 283.7, 0.05},     {3, 115.7, 0.05},
               {5, 43.23, 0.005},      {7, 24.94, 0.005},    {10, 14.89, 0.005},
               {15, 8.758, 0.0005},    {20, 6.102, 0.0005},  {22, 5.411, 0.0005},
               {24, 4.871, 0.0005},    {30, 3.559, 0.0005},  {40, 2.375, 0.0005},
               {60, 1.342, 0.0005},    {100, 0.654, 0.0005}, {150, 0.37, 0.005}};
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++) {
        char what[96];
        ok(cq_blast_overpressure_z(CQ_BLAST_SURFACE_KB, tab[i].z, 0, &dp, NULL, err, sizeof err),
           err);
        snprintf(what, sizeof what, "KB incident at Z = %g (kPa) [KB-py tests]", tab[i].z);
        check_abs(what, dp / 1000, tab[i].kpa, tab[i].half_unit);
    }
}

/* ==== Briggs plume rise (ISC3) =========================================== */

/* [GDjl-util-tests] test/utils/util_tests.jl, "Plume rise": GasDispersion.jl's
 * Briggs/ISC3 rise (US EPA 1995, as ours) for a 1 m stack, a 4 m/s wind
 * at the top, air at 288.15 K, g = 9.80616 (our CQ_G_ISC3), the default
 * dtheta/dz 0.020 (E) and 0.035 K/m (F). Not a textbook example: an
 * independent implementation's expected values, each case chosen there to
 * land on one branch. Same formulas and constants: 1e-9.
 *
 * One disagreement, reported and not asserted: the stable momentum rise
 * (E, F). ISC3 (EPA-454/B-95-003b eq. 1-20 as the Canarina pages give it,
 * "h_e = h_s + 1.5 [F_m / (u_s s^1/2)]^1/3", Briggs 1969 eq. 4.28) divides
 * by the wind at the stack top u_s, and so does ours; GasDispersion.jl's
 * src/models/plume_rise.jl (05f603d7) has 1.5 (F_m / (u_j sqrt(s)))^(1/3),
 * the stack exit velocity in its place. Its 19.045 m (E) and 17.349 m (F)
 * are that formula to 1e-9 (asserted below, with its F_m and s, which ours
 * match); ours are 74.65 m and 68.01 m. */
typedef struct rise_case {
    const char *name;
    cq_stability cls;
    double t_s, v_s;
    cq_rise_kind kind;
    double fb, xf, dh;
} rise_case;

static void test_briggs_rise(void **state) {
    (void)state;
    char err[160] = "";
    static const rise_case cases[] = {
        {"A buoyant, F_b 50", CQ_STAB_A, 400, 72.93819699672669, CQ_RISE_BUOYANT, 50.0,
         565.0050541491846, 100.71365158671999},
        {"A buoyant, F_b 60", CQ_STAB_A, 400, 87.52583639607202, CQ_RISE_BUOYANT, 60.0,
         612.07897481385, 112.8895989623143},
        {"A momentum", CQ_STAB_A, 325, 179.87751923862007, CQ_RISE_MOMENTUM, NAN, 565.0050541491846,
         3 * 179.87751923862007 / 4},
        {"E buoyant", CQ_STAB_E, 400, 72.93819699672669, CQ_RISE_BUOYANT, 50.0, 317.60677324769046,
         68.59722859012221},
        {"F buoyant", CQ_STAB_F, 400, 72.93819699672669, CQ_RISE_BUOYANT, 50.0, 240.0881533494489,
         56.92380039947288},
        {"E momentum", CQ_STAB_E, 325, 240.91531595745576, CQ_RISE_MOMENTUM, NAN,
         240.83782417699823, 19.04522445600697},
        {"F momentum", CQ_STAB_F, 325, 240.91531595745576, CQ_RISE_MOMENTUM, NAN, 182.0562825914961,
         17.349211998937378},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const rise_case *c = &cases[i];
        cq_stack st = {
            .height_m = 10, .diameter_m = 1, .exit_velocity_m_s = c->v_s, .exit_temp_k = c->t_s};
        cq_plume_rise r;
        char what[96];
        ok(cq_briggs_stack_rise(&st, c->cls, 288.15, 4.0, NULL, &r, err, sizeof err), err);
        assert_int_equal(r.kind, c->kind);
        if (!isnan(c->fb)) {
            snprintf(what, sizeof what, "Briggs %s, F_b (m4/s3) [GDjl]", c->name);
            check_rel(what, r.buoyancy_flux, c->fb, 1e-9);
        }
        snprintf(what, sizeof what, "Briggs %s, x_f (m) [GDjl]", c->name);
        check_rel(what, r.x_final_m, c->xf, 1e-9);
        snprintf(what, sizeof what, "Briggs %s, final rise (m) [GDjl]", c->name);
        if (!r.stable || c->kind != CQ_RISE_MOMENTUM) {
            check_rel(what, r.final_rise_m, c->dh, 1e-9);
            continue;
        }
        report_only(what, r.final_rise_m, c->dh);
        snprintf(what, sizeof what, "Briggs %s, F_m (m4/s2) [GDjl]", c->name);
        check_rel(what, r.momentum_flux, 12864.831225945449, 1e-9);
        snprintf(what, sizeof what, "Briggs %s, s (1/s2) [GDjl]", c->name);
        check_rel(what, r.s, c->cls == CQ_STAB_E ? 0.0006806288391462781 : 0.0011911004685059867,
                  1e-9);
        snprintf(what, sizeof what, "Briggs %s, GDjl's 1.5 (F_m/(u_j s^1/2))^1/3", c->name);
        check_rel(what, 1.5 * cbrt(r.momentum_flux / (c->v_s * sqrt(r.s))), c->dh, 1e-9);
        snprintf(what, sizeof what, "Briggs %s, ours = ISC3's 1.5 (F_m/(u_s s^1/2))^1/3", c->name);
        check_rel(what, r.final_rise_m, 1.5 * cbrt(r.momentum_flux / (4.0 * sqrt(r.s))), 1e-12);
    }
    /* gradual rise at 50 m: buoyant A 20.0 m, momentum A 81.01824072514351 m
     * (GDjl's stable momentum case there is its final rise, above) */
    static const struct {
        double t_s, v_s, rise;
        cq_stability cls;
    } at50[] = {{400, 72.93819699672669, 20.0, CQ_STAB_A},
                {325, 179.87751923862007, 81.01824072514351, CQ_STAB_A}};
    for (size_t i = 0; i < sizeof at50 / sizeof at50[0]; i++) {
        cq_stack st = {.height_m = 10,
                       .diameter_m = 1,
                       .exit_velocity_m_s = at50[i].v_s,
                       .exit_temp_k = at50[i].t_s};
        cq_plume_rise r;
        double dh;
        char what[96];
        ok(cq_briggs_stack_rise(&st, at50[i].cls, 288.15, 4.0, NULL, &r, err, sizeof err), err);
        ok(cq_briggs_rise_at(&r, 50, &dh, NULL, err, sizeof err), err);
        snprintf(what, sizeof what, "Briggs rise at 50 m, case %zu (m) [GDjl]", i + 1);
        check_rel(what, dh, at50[i].rise, 1e-9);
    }
}

/* ==== dispersion coefficients and wind profile =========================== */

/* [GDjl-isc3-tests] test/utils/isc3_tests.jl and [GDjl-ccps-tests]
 * test/utils/ccps_tests.jl: GasDispersion.jl's ISC3 rural sigma_z at stated
 * distances (one per distance range), the sigma_y of ISC3 rural, ISC3
 * urban (= Briggs urban) and CCPS rural (Briggs open country) at x = 1.2 m,
 * and the power-law wind carried from 3 m/s at 1 m to 10 m. Cross-checks
 * of the coefficient tables against an independent transcription (EPA-454/
 * B-95-003b; CCPS99 Tables 2.10-2.11), not worked examples: 1e-9, except
 * where noted. */
static void sig(cq_sigma_set set, cq_stability cls, double x, double *sy, double *sz) {
    char err[160] = "";
    ok(cq_sigmas(set, cls, x, sy, sz, NULL, err, sizeof err), err);
}

static void test_sigmas_and_wind(void **state) {
    (void)state;
    static const cq_stability cls6[] = {CQ_STAB_A, CQ_STAB_B, CQ_STAB_C,
                                        CQ_STAB_D, CQ_STAB_E, CQ_STAB_F};
    static const double isc3_sy[] = {0.48870396813625905, 0.3288132138806368,  0.20096244824229573,
                                     0.1309207626723034,  0.09742134712173195, 0.0645858766834503};
    static const double urban_sy[] = {0.38390787316433456, 0.38390787316433456, 0.26393666280048,
                                      0.19195393658216728, 0.13196833140024,    0.13196833140024};
    static const double urban_sz[] = {
        0.2881727481910807,  0.2881727481910807,  0.24,
        0.16796976816235135, 0.09591371646531512, 0.09591371646531512};
    static const double rural_sy[] = {0.2639841614254575,  0.19198848103669636,
                                      0.13199208071272875, 0.09599424051834818,
                                      0.07199568038876113, 0.04799712025917409};
    static const double rural_sz[] = {0.24,
                                      0.144,
                                      0.09598848207318536,
                                      0.07193528734898633,
                                      0.03598704466392099,
                                      0.019193090487424527};
    double sy, sz;
    char what[96];
    for (int i = 0; i < 6; i++) {
        const char *n = cq_stability_name(cls6[i]);
        sig(CQ_SIGMAS_ISC3_RURAL, cls6[i], 1.2, &sy, &sz);
        snprintf(what, sizeof what, "ISC3 rural sigma_y(1.2 m) %s [GDjl]", n);
        check_rel(what, sy, isc3_sy[i], 1e-9);
        sig(CQ_SIGMAS_BRIGGS_URBAN, cls6[i], 1.2, &sy, &sz);
        snprintf(what, sizeof what, "ISC3/Briggs urban sigma_y(1.2 m) %s [GDjl]", n);
        check_rel(what, sy, urban_sy[i], 1e-9);
        snprintf(what, sizeof what, "ISC3/Briggs urban sigma_z(1.2 m) %s [GDjl]", n);
        check_rel(what, sz, urban_sz[i], 1e-9);
        sig(CQ_SIGMAS_BRIGGS_RURAL, cls6[i], 1.2, &sy, &sz);
        snprintf(what, sizeof what, "Briggs rural sigma_y(1.2 m) %s [GDjl]", n);
        check_rel(what, sy, rural_sy[i], 1e-9);
        snprintf(what, sizeof what, "Briggs rural sigma_z(1.2 m) %s [GDjl]", n);
        check_rel(what, sz, rural_sz[i], 1e-9);
    }
    static const struct {
        cq_stability cls;
        double x, sz;
    } isc3_sz[] = {
        {CQ_STAB_A, 50, 7.246283645973222},     {CQ_STAB_A, 125, 17.6538512508938},
        {CQ_STAB_A, 175, 25.32210358392127},    {CQ_STAB_A, 225, 33.46114450376929},
        {CQ_STAB_A, 275, 42.49832115580982},    {CQ_STAB_A, 350, 58.955561122372494},
        {CQ_STAB_A, 450, 87.22955507375895},    {CQ_STAB_A, 550, 128.0454080208172},
        {CQ_STAB_B, 100, 10.604690180980183},   {CQ_STAB_B, 300, 30.144226325216724},
        {CQ_STAB_B, 500, 51.092852947678885},   {CQ_STAB_C, 100, 7.44187785547111},
        {CQ_STAB_D, 100, 4.651174892531855},    {CQ_STAB_D, 500, 18.29689264165363},
        {CQ_STAB_D, 2000, 50.15135417398994},   {CQ_STAB_D, 5000, 88.69020460936578},
        {CQ_STAB_D, 15000, 169.67281358959912}, {CQ_STAB_D, 35000, 271.77785930262854},
        {CQ_STAB_E, 50, 1.979015073784176},     {CQ_STAB_E, 100, 3.534197346966356},
        {CQ_STAB_E, 500, 12.80138815568348},    {CQ_STAB_E, 1500, 27.931190340632067},
        {CQ_STAB_E, 3000, 42.22135548587303},   {CQ_STAB_E, 7500, 68.37414410048738},
        {CQ_STAB_E, 15000, 95.55830909365176},  {CQ_STAB_E, 30000, 127.31152395989899},
        {CQ_STAB_E, 50000, 151.5410717370677},  {CQ_STAB_F, 100, 2.3255231110829815},
        {CQ_STAB_F, 500, 8.395558503802999},    {CQ_STAB_F, 800, 11.976175562087187},
        {CQ_STAB_F, 1500, 18.030377292486545},  {CQ_STAB_F, 2500, 24.42448141869856},
        {CQ_STAB_F, 5000, 34.207199596890135},  {CQ_STAB_F, 10000, 46.38392157098271},
        {CQ_STAB_F, 20000, 60.29440210746138},  {CQ_STAB_F, 45000, 76.93568233551231},
        {CQ_STAB_F, 75000, 87.38876819912205},
    };
    for (size_t i = 0; i < sizeof isc3_sz / sizeof isc3_sz[0]; i++) {
        sig(CQ_SIGMAS_ISC3_RURAL, isc3_sz[i].cls, isc3_sz[i].x, &sy, &sz);
        snprintf(what, sizeof what, "ISC3 rural sigma_z(%g m) %s [GDjl]", isc3_sz[i].x,
                 cq_stability_name(isc3_sz[i].cls));
        check_rel(what, sz, isc3_sz[i].sz, 1e-9);
    }
    /* the wind from 3 m/s at 1 m to 10 m */
    static const double rural_u[] = {3.5246926648185886, 3.5246926648185886, 3.776776235382502,
                                     4.237612633868263,  6.716163415705019,  10.644401677007265};
    static const double isc3_urban_u[] = {4.237612633868263, 4.237612633868263, 4.754679577383341,
                                          5.334838230116768, 5.985786944906638, 5.985786944906638};
    static const double irwin_urban_u[] = {4.237612633868263, 4.237612633868263,
                                           4.754679577383341, 5.334838230116768,
                                           7.53565929452874,  11.943215116604916};
    for (int i = 0; i < 6; i++) {
        char err[160] = "";
        const char *n = cq_stability_name(cls6[i]);
        double u;
        ok(cq_wind_at_height(CQ_WIND_IRWIN_RURAL, cls6[i], 3.0, 1.0, 10.0, &u, err, sizeof err),
           err);
        snprintf(what, sizeof what, "wind 1 m -> 10 m, Irwin/ISC3 rural %s [GDjl]", n);
        check_rel(what, u, rural_u[i], 1e-9);
        ok(cq_wind_at_height(CQ_WIND_ISC3_URBAN, cls6[i], 3.0, 1.0, 10.0, &u, err, sizeof err),
           err);
        snprintf(what, sizeof what, "wind 1 m -> 10 m, ISC3 urban %s [GDjl]", n);
        check_rel(what, u, isc3_urban_u[i], 1e-9);
        ok(cq_wind_at_height(CQ_WIND_IRWIN_URBAN, cls6[i], 3.0, 1.0, 10.0, &u, err, sizeof err),
           err);
        snprintf(what, sizeof what, "wind 1 m -> 10 m, Irwin (CCPS) urban %s [GDjl]", n);
        check_rel(what, u, irwin_urban_u[i], 1e-9);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_butane_sphere_liquid_release),
        cmocka_unit_test(test_butane_flash_fraction),
        cmocka_unit_test(test_ccps_liquid_jet),
        cmocka_unit_test(test_ccps_gas_jet),
        cmocka_unit_test(test_burro_lng_plume),
        cmocka_unit_test(test_butane_cloud_plume),
        cmocka_unit_test(test_potchefstroom_puff),
        cmocka_unit_test(test_kingery_bulmash),
        cmocka_unit_test(test_briggs_rise),
        cmocka_unit_test(test_sigmas_and_wind),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
