/*
 * test_consequence_fire.c - consequence/'s fire models (consequence.h,
 * "fires") against the worked examples of docs/consequence-models.md
 * ("Fires"), each recomputed there by hand from the formula: the
 * transmissivity, the fuel table (names as views/substances.c has them),
 * the pool fire (diameter rules, burning-rate rules, flame length and
 * tilt, SEP rule, Mudan's view factor against the quadrature of the
 * tilted flame and against an independent brute-force sum), the jet fire,
 * the BLEVE fireball, the Eisenberg probit and the threat-zone search.
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

#include "consequence/consequence.h"
#include "consequence/internal_fires.h"
#include "views/substances.h"

static void assert_rel(double got, double want, double rel) {
    if (!(fabs(got - want) <= rel * fabs(want)))
        fail_msg("got %.9g, want %.9g (+-%.3g%%)", got, want, rel * 100);
}

static void assert_abs(double got, double want, double tol) {
    if (!(fabs(got - want) <= tol)) fail_msg("got %.9g, want %.9g (+-%.3g)", got, want, tol);
}

/* The doc's air: 20 C, 70 % RH, standard pressure. */
static cq_air air_at(double wind_m_s) {
    return (cq_air){.temp_k = 293.15, .relative_humidity = 0.7, .wind_m_s = wind_m_s};
}

/* ---- transmissivity ------------------------------------------------------ */

static void test_transmissivity(void **state) {
    (void)state;
    cq_air air = air_at(0);
    /* p_sat(293.15) = 101325 exp(14.4114 - 5328/293.15) = 2350.757 Pa;
     * P_w = 0.7 x = 1645.530 Pa; P_w X = 82276.50 Pa m at 50 m;
     * tau = 2.02 x 82276.50^-0.09 = 0.729418 */
    assert_rel(cq_water_psat_pa(293.15), 2350.757, 1e-6);
    assert_rel(cq_transmissivity(&air, 50), 0.729418, 1e-5);
    /* 25 C: 3188.4 Pa against the steam tables' 3169.9 (0.6 %) */
    assert_rel(cq_water_psat_pa(298.15), 3188.446, 1e-6);
    assert_rel(cq_water_psat_pa(298.15), 3169.9, 0.007);
    /* capped at 1: no path, a short path (P_w X < 2.5e3), dry air */
    assert_true(cq_transmissivity(&air, 0) == 1.0);
    assert_true(cq_transmissivity(&air, -3) == 1.0);
    assert_true(cq_transmissivity(&air, 1.0) == 1.0);
    cq_air dry = air;
    dry.relative_humidity = 0;
    assert_true(cq_transmissivity(&dry, 1000) == 1.0);
    /* decreasing with the path and with humidity */
    double prev = 1.0;
    for (double x = 2; x < 20000; x *= 1.7) {
        double t = cq_transmissivity(&air, x);
        assert_true(t <= prev && t > 0);
        prev = t;
    }
    cq_air humid = air;
    humid.relative_humidity = 1.0;
    assert_true(cq_transmissivity(&humid, 100) < cq_transmissivity(&air, 100));
    /* invalid */
    assert_true(isnan(cq_transmissivity(NULL, 10)));
    assert_true(isnan(cq_transmissivity(&air, NAN)));
    cq_air bad = air;
    bad.temp_k = 500;
    assert_true(isnan(cq_transmissivity(&bad, 10)));
    bad = air, bad.relative_humidity = 1.5;
    assert_true(isnan(cq_transmissivity(&bad, 10)));
    bad = air, bad.pressure_pa = 2e5;
    assert_true(isnan(cq_transmissivity(&bad, 10)));
    assert_true(isnan(cq_water_psat_pa(NAN)));
    assert_true(isnan(cq_water_psat_pa(100)));
}

/* ---- fuel table ---------------------------------------------------------- */

static const char *const park_fuels[] = {
    "gasoline",         "liquefied petroleum gas",
    "methane",          "hydrogen",
    "methanol",         "benzene",
    "toluene",          "ethylene",
    "propylene",        "acetylene",
    "1,3-butadiene",    "dimethyl ether",
    "acetone",          "ethanol",
    "ethyl acetate",    "styrene",
    "vinyl chloride",   "ethylene oxide",
    "carbon disulfide", "acrylonitrile",
    "propane",          "butane",
    "diesel",           "n-hexane",
    "cyclohexane",
};

static void test_fuel_find(void **state) {
    (void)state;
    size_t n = 0;
    const cq_fuel *all = cq_fuels_all(&n);
    assert_int_equal(n, sizeof park_fuels / sizeof park_fuels[0]);
    for (size_t i = 0; i < n; i++) {
        const cq_fuel *f = cq_fuel_find(park_fuels[i]);
        assert_non_null(f);
        assert_string_equal(f->name, park_fuels[i]);
        assert_ptr_equal(cq_fuel_find(all[i].name), &all[i]); /* names unique */
    }
    assert_ptr_equal(cq_fuel_find("  GASOLINE\t"), cq_fuel_find("gasoline"));
    assert_ptr_equal(cq_fuel_find("n-butane"), cq_fuel_find("butane"));
    assert_ptr_equal(cq_fuel_find("LPG"), cq_fuel_find("liquefied petroleum gas"));
    assert_ptr_equal(cq_fuel_find("Petrol"), cq_fuel_find("gasoline"));
    assert_null(cq_fuel_find("chlorine"));
    assert_null(cq_fuel_find("gasolin"));
    assert_null(cq_fuel_find("gasoline2"));
    assert_null(cq_fuel_find(""));
    assert_null(cq_fuel_find("   "));
    assert_null(cq_fuel_find(NULL));
}

/* Every fuel but diesel is a views/substances.c entry of the same name,
 * and the molar masses agree where the catalogue has one. */
static void test_fuel_names_match_substances(void **state) {
    (void)state;
    size_t n = 0;
    const cq_fuel *all = cq_fuels_all(&n);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(all[i].name, "diesel") == 0) continue;
        const substance *s = substance_find(all[i].name);
        if (!s) fail_msg("%s: not in views/substances.c", all[i].name);
        assert_string_equal(s->name, all[i].name);
        if (s->dispersion && isfinite(s->molar_mass_g_mol))
            assert_abs(all[i].molar_mass_kg_mol * 1000, s->molar_mass_g_mol, 0.01);
    }
}

static void test_fuel_values(void **state) {
    (void)state;
    size_t n = 0;
    const cq_fuel *all = cq_fuels_all(&n);
    for (size_t i = 0; i < n; i++) {
        const cq_fuel *f = &all[i];
        assert_true(f->molar_mass_kg_mol > 0.002 && f->molar_mass_kg_mol < 0.25);
        assert_true(f->heat_combustion_j_kg > 10e6 && f->heat_combustion_j_kg < 125e6);
        assert_true(f->boiling_point_k > 20 && f->boiling_point_k < 600);
        assert_true(f->air_fuel_stoich > 5 && f->air_fuel_stoich < 35);
        if (strcmp(f->name, "acetylene") == 0) {
            assert_true(isnan(f->heat_vaporisation_j_kg) && isnan(f->density_liquid_kg_m3));
            continue;
        }
        assert_true(f->heat_vaporisation_j_kg > 200e3 && f->heat_vaporisation_j_kg < 1200e3);
        assert_true(f->cp_liquid_j_kg_k > 900 && f->cp_liquid_j_kg_k < 10000);
        assert_true(f->density_liquid_kg_m3 > 60 && f->density_liquid_kg_m3 < 1300);
        assert_true(f->burning_rate_inf_kg_m2_s >= 0 && f->burning_rate_inf_kg_m2_s < 0.2);
        if (f->burning_rate_inf_kg_m2_s > 0) assert_true(f->k_beta_per_m > 0);
    }
    /* spot values: benzene's dHc from the CRC's dfH (doc, "Fuel table") */
    assert_rel(cq_fuel_find("benzene")->heat_combustion_j_kg, 40.14e6, 1e-4);
    assert_rel(cq_fuel_find("gasoline")->burning_rate_inf_kg_m2_s, 0.055, 1e-9);
    assert_true(isinf(cq_fuel_find("methanol")->k_beta_per_m));
    /* Chamberlain's W = 1/(1 + air/fuel) against fireSIM's fit for alkanes
     * (and hydrogen) W = M/(15.816 M + 0.0395): propane 0.05995 and 0.05984 */
    const char *hc[] = {"methane", "propane", "butane", "n-hexane", "hydrogen"};
    for (size_t i = 0; i < sizeof hc / sizeof hc[0]; i++) {
        const cq_fuel *f = cq_fuel_find(hc[i]);
        double m = f->molar_mass_kg_mol;
        assert_rel(1 / (1 + f->air_fuel_stoich), m / (15.816 * m + 0.0395), 0.01);
    }
}

/* ---- pool fire: burning rate and diameter -------------------------------- */

static void test_burning_rate(void **state) {
    (void)state;
    cq_burn_model model = CQ_BURN_GIVEN;
    /* Babrauskas: 0.055 (1 - e^(-2.1 x 20)) = 0.055; at 1 m 0.055 (1 - e^-2.1) = 0.0482649 */
    assert_rel(cq_pool_burning_rate(cq_fuel_find("gasoline"), 20, 293.15, &model), 0.055, 1e-12);
    assert_int_equal(model, CQ_BURN_BABRAUSKAS);
    assert_rel(cq_pool_burning_rate(cq_fuel_find("gasoline"), 1, 293.15, NULL), 0.0482649, 1e-5);
    /* methanol: no diameter effect */
    assert_rel(cq_pool_burning_rate(cq_fuel_find("methanol"), 0.3, 293.15, NULL), 0.017, 1e-12);
    /* Burgess, toluene: dH* = 360.1e3 + 1699 (383.78 - 293.15) = 514080.4 J/kg,
     * m'' = 1e-3 x 40.53e6 / 514080.4 = 0.0788398 */
    assert_rel(cq_pool_burning_rate(cq_fuel_find("toluene"), 20, 293.15, &model), 0.0788398, 1e-5);
    assert_int_equal(model, CQ_BURN_BURGESS);
    /* ethylene boils below ambient: dH* = dHv, 1e-3 x 47.16e6 / 482.3e3 = 0.0977815 */
    assert_rel(cq_pool_burning_rate(cq_fuel_find("ethylene"), 20, 293.15, NULL), 0.0977815, 1e-5);
    /* ...and does not depend on the ambient temperature */
    assert_rel(cq_pool_burning_rate(cq_fuel_find("ethylene"), 20, 313.15, NULL), 0.0977815, 1e-5);
    /* diesel: dH* = 250e3 + 2100 (543 - 293.15) = 774685, m'' = 0.0556355 */
    assert_rel(cq_pool_burning_rate(cq_fuel_find("diesel"), 20, 293.15, NULL), 0.0556355, 1e-5);
    /* acetylene has no liquid */
    assert_true(isnan(cq_pool_burning_rate(cq_fuel_find("acetylene"), 20, 293.15, NULL)));
    assert_true(isnan(cq_pool_burning_rate(NULL, 20, 293.15, NULL)));
    assert_true(isnan(cq_pool_burning_rate(cq_fuel_find("toluene"), 0, 293.15, NULL)));
}

static void test_pool_diameter(void **state) {
    (void)state;
    cq_air air = air_at(0);
    cq_pool_fire pf;
    char err[160];
    /* pi m3 at the default 1 cm: 314.159 m2, D = 20 m */
    cq_pool_fire_in in = {.fuel = cq_fuel_find("gasoline"), .spill_volume_m3 = M_PI};
    assert_int_equal(cq_pool_fire_model(&in, &air, &pf, err, sizeof err), CQ_OK);
    assert_rel(pf.diameter_m, 20, 1e-12);
    /* at 5 cm: 62.83 m2, D = sqrt(80) = 8.944 m */
    in.depth_m = 0.05;
    assert_int_equal(cq_pool_fire_model(&in, &air, &pf, err, sizeof err), CQ_OK);
    assert_rel(pf.diameter_m, sqrt(80), 1e-12);
    /* a dike of 100 m2: the spill (62.83 m2) is smaller and does not fill it */
    in.dike_area_m2 = 100;
    assert_int_equal(cq_pool_fire_model(&in, &air, &pf, err, sizeof err), CQ_OK);
    assert_rel(pf.diameter_m, sqrt(80), 1e-12);
    /* 10 m3 would cover 200 m2: the dike holds it at 100 m2, D = 11.284 m */
    in.spill_volume_m3 = 10;
    assert_int_equal(cq_pool_fire_model(&in, &air, &pf, err, sizeof err), CQ_OK);
    assert_rel(pf.diameter_m, sqrt(400 / M_PI), 1e-12);
    /* the dike alone */
    in.spill_volume_m3 = 0;
    assert_int_equal(cq_pool_fire_model(&in, &air, &pf, err, sizeof err), CQ_OK);
    assert_rel(pf.diameter_m, sqrt(400 / M_PI), 1e-12);
    /* a diameter given wins */
    in.diameter_m = 7;
    assert_int_equal(cq_pool_fire_model(&in, &air, &pf, err, sizeof err), CQ_OK);
    assert_rel(pf.diameter_m, 7, 1e-12);
    assert_int_equal(pf.flags & CQ_FLAG_EXTRAPOLATED, 0);
    in.diameter_m = 0.5;
    assert_int_equal(cq_pool_fire_model(&in, &air, &pf, err, sizeof err), CQ_OK);
    assert_true(pf.flags & CQ_FLAG_EXTRAPOLATED);
    in.diameter_m = 150;
    assert_int_equal(cq_pool_fire_model(&in, &air, &pf, err, sizeof err), CQ_OK);
    assert_true(pf.flags & CQ_FLAG_EXTRAPOLATED);

    /* errors name the input */
    cq_pool_fire_in none = {.fuel = cq_fuel_find("gasoline")};
    assert_int_equal(cq_pool_fire_model(&none, &air, &pf, err, sizeof err), CQ_EINVAL);
    assert_non_null(strstr(err, "pool"));
    cq_pool_fire_in neg = {.fuel = cq_fuel_find("gasoline"), .diameter_m = -1};
    assert_int_equal(cq_pool_fire_model(&neg, &air, &pf, err, sizeof err), CQ_EINVAL);
    cq_pool_fire_in nanv = {.fuel = cq_fuel_find("gasoline"), .spill_volume_m3 = NAN};
    assert_int_equal(cq_pool_fire_model(&nanv, &air, &pf, err, sizeof err), CQ_EINVAL);
    cq_pool_fire_in nofuel = {.diameter_m = 10};
    assert_int_equal(cq_pool_fire_model(&nofuel, &air, &pf, err, sizeof err), CQ_EINVAL);
    assert_non_null(strstr(err, "fuel"));
    cq_pool_fire_in acet = {.fuel = cq_fuel_find("acetylene"), .diameter_m = 10};
    assert_int_equal(cq_pool_fire_model(&acet, &air, &pf, err, sizeof err), CQ_EINVAL);
    assert_non_null(strstr(err, "acetylene"));
    cq_pool_fire_in eta = {
        .fuel = cq_fuel_find("gasoline"), .diameter_m = 10, .radiative_fraction = 1.2};
    assert_int_equal(cq_pool_fire_model(&eta, &air, &pf, err, sizeof err), CQ_EINVAL);
    assert_non_null(strstr(err, "radiative_fraction"));
    cq_air hot = air;
    hot.temp_k = 400;
    assert_int_equal(cq_pool_fire_model(&in, &hot, &pf, err, sizeof err), CQ_EINVAL);
    assert_non_null(strstr(err, "air.temp_k"));
    assert_int_equal(cq_pool_fire_model(&in, NULL, &pf, NULL, 0), CQ_EINVAL);
    assert_int_equal(cq_pool_fire_model(NULL, &air, &pf, NULL, 0), CQ_EINVAL);
}

/* ---- view factors -------------------------------------------------------- */

static void test_view_factor_closed_form(void **state) {
    (void)state;
    double fv, fh;
    /* R 10, H 30, L 30: S = 3, h = 3, A = 19/6, B = 5/3 (doc) */
    assert_rel(cq_view_factor_cylinder(10, 30, 30, &fv, &fh), 0.166740706, 1e-8);
    assert_rel(fv, 0.150735943, 1e-8);
    assert_rel(fh, 0.0712821051, 1e-8);
    /* the same by a brute-force midpoint sum over the whole side (800 x 800,
     * visibility by N.d > 0), independent of both: 0.1507360, 0.0712822 */
    assert_rel(fv, 0.15073599, 2e-6);
    assert_rel(fh, 0.07128216, 2e-6);
    /* far away the flame is a vertical rectangle D x H seen edge-on:
     * F_V -> D H / (pi L^2) */
    assert_rel(cq_view_factor_cylinder(1, 2, 2000, &fv, NULL), 4 / (M_PI * 4e6), 1e-3);
    /* outside the base only */
    assert_true(isnan(cq_view_factor_cylinder(10, 30, 10, NULL, NULL)));
    assert_true(isnan(cq_view_factor_cylinder(10, 30, 5, NULL, NULL)));
    assert_true(isnan(cq_view_factor_cylinder(0, 30, 50, NULL, NULL)));
    assert_true(isnan(cq_view_factor_tilted(10, 30, 0.3, 9, NULL, NULL)));
    assert_true(isnan(cq_view_factor_tilted(10, 30, M_PI / 2, 50, NULL, NULL)));
    /* bounded and decreasing with distance */
    double prev = 1;
    for (double s = 1.001; s < 500; s *= 1.3) {
        double f = cq_view_factor_cylinder(5, 12, 5 * s, NULL, NULL);
        assert_true(f > 0 && f < prev && f <= 1);
        prev = f;
    }
}

/* The quadrature of the tilted flame at zero tilt against the closed form,
 * from next to the flame to far away, for short and tall flames. */
static void test_view_factor_quadrature_matches(void **state) {
    (void)state;
    const double s[] = {1.0001, 1.001, 1.01, 1.1, 1.5, 2, 3, 5, 10, 20, 100, 1000};
    const double h[] = {0.2, 1, 3, 10, 40};
    for (size_t j = 0; j < sizeof h / sizeof h[0]; j++) {
        for (size_t i = 0; i < sizeof s / sizeof s[0]; i++) {
            double fv0, fh0, fv1, fh1;
            double f0 = cq_view_factor_cylinder(1, h[j], s[i], &fv0, &fh0);
            double f1 = cq_view_factor_tilted(1, h[j], 0, s[i], &fv1, &fh1);
            assert_rel(f1, f0, 1e-6);
            assert_rel(fv1, fv0, 1e-6);
            assert_rel(fh1, fh0, 1e-5);
        }
    }
}

/* Tilted: against an independent brute-force midpoint sum (1500 x 1500
 * over the whole side, visibility by N.d > 0, the vertical element's
 * cosine clipped at 0) for the doc's windy gasoline pool: R 10,
 * H 18.2584744, tilt 57.6220582 deg. */
static void test_view_factor_tilted(void **state) {
    (void)state;
    const double tilt = 57.6220582 * M_PI / 180;
    const struct {
        double l, fv, fh;
    } ref[] = {
        {15, 0.44932944, 0.73630773}, /* the target under the leaning flame */
        {30, 0.25167883, 0.16136886},
        {60, 0.03271819, 0.00458429},
    };
    for (size_t i = 0; i < sizeof ref / sizeof ref[0]; i++) {
        double fv, fh;
        cq_view_factor_tilted(10, 18.2584744, tilt, ref[i].l, &fv, &fh);
        assert_rel(fv, ref[i].fv, 2e-6);
        assert_rel(fh, ref[i].fh, 2e-6);
    }
    /* leaning towards a near target raises its view factor */
    for (double l = 11; l < 50; l *= 1.25)
        assert_true(cq_view_factor_tilted(10, 18.26, tilt, l, NULL, NULL) >
                    cq_view_factor_cylinder(10, 18.26, l, NULL, NULL));
    /* far away both are a projected area over pi d^2: D H cos(theta) at
     * L - H sin(theta)/2 against D H at L, a ratio of cos(theta) (L / (L -
     * H sin(theta)/2))^2 = 0.535815 x 1.007744 = 0.539964 at 2 km */
    double far = 2000, half = 18.26 * sin(tilt) / 2;
    assert_rel(cq_view_factor_tilted(10, 18.26, tilt, far, NULL, NULL) /
                   cq_view_factor_cylinder(10, 18.26, far, NULL, NULL),
               cos(tilt) * pow(far / (far - half), 2), 0.005);
}

/* ---- pool fire: the worked examples -------------------------------------- */

static void test_pool_fire_still_air(void **state) {
    (void)state;
    cq_air air = air_at(0);
    cq_pool_fire_in in = {.fuel = cq_fuel_find("gasoline"), .spill_volume_m3 = M_PI};
    cq_pool_fire pf;
    assert_int_equal(cq_pool_fire_model(&in, &air, &pf, NULL, 0), CQ_OK);
    /* rho_a = 101325 x 0.028965 / (8.314462 x 293.15) = 1.204110 */
    assert_rel(pf.air_density_kg_m3, 1.204110, 1e-6);
    assert_rel(pf.burning_rate_kg_m2_s, 0.055, 1e-12);
    assert_int_equal(pf.burn_model, CQ_BURN_BABRAUSKAS);
    /* x = 0.055 / (1.204110 x 14.004749) = 0.00326153; H = 42 x 20 x x^0.61 */
    assert_false(pf.wind_form);
    assert_rel(pf.flame_length_m, 25.55443, 1e-6);
    assert_abs(pf.tilt_rad, 0, 0);
    /* energy balance 0.35 x 0.055 x 43.7e6 / (1 + 4 x 1.277722) = 137660 W/m2;
     * Mudan & Croce 140e3 x 0.0907180 + 20e3 x 0.9092820 = 30886.15: lower */
    assert_rel(pf.sep_w_m2, 30886.154, 1e-7);
    assert_int_equal(pf.sep_model, CQ_SEP_MUDAN_CROCE);
    /* Q = 0.055 x 314.159 x 43.7e6 */
    assert_rel(pf.heat_release_w, 0.055 * 100 * M_PI * 43.7e6, 1e-12);
    /* 50 m: S = 5, F = 0.0656614, tau(40 m) = 0.744215 -> 1509.29 W/m2 */
    unsigned fl = 0;
    assert_rel(cq_pool_fire_flux(&pf, 50, &fl), 1509.290, 1e-6);
    assert_int_equal(fl, 0);
    /* within the pool: the SEP, flagged */
    assert_rel(cq_pool_fire_flux(&pf, 5, &fl), 30886.154, 1e-7);
    assert_true(fl & CQ_FLAG_INSIDE);
    assert_rel(cq_pool_fire_flux(&pf, 10, NULL), 30886.154, 1e-7);
    assert_true(isnan(cq_pool_fire_flux(&pf, -1, NULL)));
    assert_true(isnan(cq_pool_fire_flux(NULL, 10, NULL)));

    cq_zones z;
    assert_int_equal(cq_pool_fire_zones(&pf, &z), CQ_OK);
    assert_rel(z.red_m, 16.0452, 1e-5);
    assert_rel(z.orange_m, 25.6055, 1e-5);
    assert_rel(z.yellow_m, 43.2324, 1e-5);
    assert_int_equal(z.flags, 0);
    assert_true(z.red_level == CQ_THERMAL_RED_W_M2 && z.yellow_level == CQ_THERMAL_YELLOW_W_M2);
    /* on the level at the zone's edge, below it just past */
    assert_rel(cq_pool_fire_flux(&pf, z.orange_m, NULL), 5000, 1e-6);
    assert_true(cq_pool_fire_flux(&pf, z.yellow_m * 1.001, NULL) < 2000);
}

static void test_pool_fire_wind(void **state) {
    (void)state;
    cq_air air = air_at(5);
    cq_pool_fire_in in = {.fuel = cq_fuel_find("gasoline"), .spill_volume_m3 = M_PI};
    cq_pool_fire pf;
    assert_int_equal(cq_pool_fire_model(&in, &air, &pf, NULL, 0), CQ_OK);
    /* rho_v = 101325 x 0.1 / (8.314462 x 333) = 3.659639; (g m'' D / rho_v)^(1/3)
     * = 1.433810 m/s; u* = 5 / 1.433810 = 3.487212 */
    assert_rel(pf.vapour_density_kg_m3, 3.659639, 1e-6);
    assert_rel(pf.u_star, 3.487212, 1e-6);
    assert_true(pf.wind_form);
    /* H = 55 x 20 x 0.0215771 x 0.769271 = 18.25847 m; cos theta = u*^-1/2 */
    assert_rel(pf.flame_length_m, 18.25847, 1e-6);
    assert_rel(pf.tilt_rad * 180 / M_PI, 57.62206, 1e-6);
    assert_rel(pf.sep_w_m2, 30886.154, 1e-7);
    /* 30 m downwind: F = sqrt(0.2516788^2 + 0.1613689^2) = 0.2989684 (brute
     * force above), tau(20 m) = 0.7921203 -> 7314.43 W/m2 */
    assert_rel(cq_pool_fire_flux(&pf, 30, NULL), 7314.43, 1e-5);
    cq_zones zw, zv;
    assert_int_equal(cq_pool_fire_zones(&pf, &zw), CQ_OK);
    assert_rel(zw.red_m, 27.0102, 1e-5);
    assert_rel(zw.orange_m, 33.5509, 1e-5);
    assert_rel(zw.yellow_m, 43.6694, 1e-5);
    for (double x = zw.red_m * 1.0001; x < 200; x *= 1.05)
        assert_true(cq_pool_fire_flux(&pf, x, NULL) < CQ_THERMAL_RED_W_M2);

    /* vertical on request: the same H, no tilt, the closed form */
    in.vertical = true;
    cq_pool_fire pv;
    assert_int_equal(cq_pool_fire_model(&in, &air, &pv, NULL, 0), CQ_OK);
    assert_rel(pv.flame_length_m, pf.flame_length_m, 1e-12);
    assert_abs(pv.tilt_rad, 0, 0);
    assert_int_equal(cq_pool_fire_zones(&pv, &zv), CQ_OK);
    assert_true(zv.red_m < zw.red_m && zv.orange_m < zw.orange_m);

    /* a breeze below u* = 1 leaves the still-air flame */
    cq_air breeze = air_at(1.2);
    in.vertical = false;
    assert_int_equal(cq_pool_fire_model(&in, &breeze, &pf, NULL, 0), CQ_OK);
    assert_false(pf.wind_form);
    assert_rel(pf.u_star, 1, 0);
    assert_rel(pf.flame_length_m, 25.55443, 1e-6);
}

static void test_pool_fire_sep_rules(void **state) {
    (void)state;
    cq_air air = air_at(0);
    cq_pool_fire pf;
    /* a 2 m gasoline pool: the energy balance is below Mudan & Croce's 114 kW/m2 */
    cq_pool_fire_in in = {.fuel = cq_fuel_find("gasoline"), .diameter_m = 2};
    assert_int_equal(cq_pool_fire_model(&in, &air, &pf, NULL, 0), CQ_OK);
    assert_int_equal(pf.sep_model, CQ_SEP_RADIATIVE_FRACTION);
    double k = exp(-0.24);
    assert_true(pf.sep_w_m2 < 140e3 * k + 20e3 * (1 - k));
    /* the switch is continuous in D */
    double prev_d = 0, prev_e = 0;
    for (double d = 1; d < 60; d *= 1.01) {
        in.diameter_m = d;
        assert_int_equal(cq_pool_fire_model(&in, &air, &pf, NULL, 0), CQ_OK);
        if (prev_d > 0) assert_rel(pf.sep_w_m2, prev_e, 0.03);
        prev_d = d, prev_e = pf.sep_w_m2;
    }
    /* methanol burns clean: the energy balance at any size.
     * 0.35 x 0.017 x 19.91e6 / (1 + 4 H/D) with H from Thomas */
    cq_pool_fire_in me = {.fuel = cq_fuel_find("methanol"), .diameter_m = 30};
    assert_int_equal(cq_pool_fire_model(&me, &air, &pf, NULL, 0), CQ_OK);
    assert_int_equal(pf.sep_model, CQ_SEP_RADIATIVE_FRACTION);
    double x = 0.017 / (pf.air_density_kg_m3 * sqrt(CQ_G * 30));
    double h = 42 * 30 * pow(x, 0.61);
    assert_rel(pf.flame_length_m, h, 1e-12);
    assert_rel(pf.sep_w_m2, 0.35 * 0.017 * 19.91e6 / (1 + 4 * h / 30), 1e-12);
    /* the caller's eta, rate and SEP */
    me.radiative_fraction = 0.2;
    assert_int_equal(cq_pool_fire_model(&me, &air, &pf, NULL, 0), CQ_OK);
    assert_rel(pf.sep_w_m2, 0.2 * 0.017 * 19.91e6 / (1 + 4 * h / 30), 1e-12);
    me.burning_rate_kg_m2_s = 0.02;
    me.sep_w_m2 = 25000;
    assert_int_equal(cq_pool_fire_model(&me, &air, &pf, NULL, 0), CQ_OK);
    assert_int_equal(pf.burn_model, CQ_BURN_GIVEN);
    assert_int_equal(pf.sep_model, CQ_SEP_GIVEN);
    assert_rel(pf.burning_rate_kg_m2_s, 0.02, 0);
    assert_rel(pf.sep_w_m2, 25000, 0);
    /* Burgess for a pool of toluene */
    cq_pool_fire_in tol = {.fuel = cq_fuel_find("toluene"), .diameter_m = 10};
    assert_int_equal(cq_pool_fire_model(&tol, &air, &pf, NULL, 0), CQ_OK);
    assert_int_equal(pf.burn_model, CQ_BURN_BURGESS);
    assert_rel(pf.burning_rate_kg_m2_s, 0.0788398, 1e-5);
}

/* ---- jet fire ------------------------------------------------------------ */

static void test_jet_fire(void **state) {
    (void)state;
    cq_air air = air_at(0);
    cq_jet_fire_in in = {
        .fuel = cq_fuel_find("propane"), .mass_rate_kg_s = 1, .exit_velocity_m_s = 250};
    cq_jet_fire jf;
    char err[160];
    assert_int_equal(cq_jet_fire_model(&in, &air, &jf, err, sizeof err), CQ_OK);
    /* F_s = 0.21 e^(-0.8075) + 0.11 = 0.2036540 */
    assert_rel(jf.radiated_fraction, 0.2036540, 1e-6);
    assert_rel(jf.heat_release_w, 46.35e6, 1e-12);
    /* D_s = sqrt(4 / (pi x 1.204110 x 250)) = 0.06503573 m */
    assert_rel(jf.source_diameter_m, 0.06503573, 1e-6);
    /* W = 1/16.68; Y = 250.3804 solves 5.205656e-4 Y^(5/3) + 0.2 Y^(2/3) = 13.12282 */
    assert_rel(jf.flame_length_still_m, 16.28367, 1e-6);
    double w = 1 / (1 + 15.68), ds = jf.source_diameter_m, y = jf.flame_length_still_m / ds;
    assert_abs(0.024 * cbrt(CQ_G * ds / (250.0 * 250)) * pow(y, 5.0 / 3) + 0.2 * pow(y, 2.0 / 3) -
                   pow(2.85 / w, 2.0 / 3),
               0, 1e-9);
    assert_rel(jf.flame_length_wind_m, jf.flame_length_still_m, 1e-12);
    /* 30 m: 0.7637354 x 0.2036540 x 46.35e6 / (4 pi 900) = 637.431 W/m2 */
    unsigned fl = 0;
    assert_rel(cq_jet_fire_flux(&jf, 30, &fl), 637.4312, 1e-6);
    assert_int_equal(fl, 0);
    /* within the flame length: flagged */
    cq_jet_fire_flux(&jf, 10, &fl);
    assert_true(fl & CQ_FLAG_EXTRAPOLATED);
    assert_true(isnan(cq_jet_fire_flux(&jf, 0, NULL)));

    cq_zones z;
    assert_int_equal(cq_jet_fire_zones(&jf, &z), CQ_OK);
    assert_rel(z.red_m, 8.036737, 1e-6);
    assert_rel(z.orange_m, 11.19730, 1e-6);
    assert_rel(z.yellow_m, 17.35862, 1e-6);
    assert_true(z.flags & CQ_FLAG_EXTRAPOLATED); /* red and orange within the flame */

    /* in a 5 m/s wind the vertical jet's flame is (0.51 e^-2 + 0.49) as long */
    cq_air windy = air_at(5);
    assert_int_equal(cq_jet_fire_model(&in, &windy, &jf, NULL, 0), CQ_OK);
    assert_rel(jf.flame_length_wind_m, 16.28367 * (0.51 * exp(-2) + 0.49), 1e-6);
    /* a given fraction */
    in.radiated_fraction = 0.3;
    assert_int_equal(cq_jet_fire_model(&in, &air, &jf, NULL, 0), CQ_OK);
    assert_rel(jf.radiated_fraction, 0.3, 0);

    /* errors */
    in.radiated_fraction = 0;
    in.mass_rate_kg_s = 0;
    assert_int_equal(cq_jet_fire_model(&in, &air, &jf, err, sizeof err), CQ_EINVAL);
    assert_non_null(strstr(err, "mass_rate_kg_s"));
    in.mass_rate_kg_s = 1, in.exit_velocity_m_s = NAN;
    assert_int_equal(cq_jet_fire_model(&in, &air, &jf, err, sizeof err), CQ_EINVAL);
    assert_non_null(strstr(err, "exit_velocity_m_s"));
    in.exit_velocity_m_s = 250, in.fuel = NULL;
    assert_int_equal(cq_jet_fire_model(&in, &air, &jf, err, sizeof err), CQ_EINVAL);
    /* acetylene has no pool but burns as a jet */
    in.fuel = cq_fuel_find("acetylene");
    assert_int_equal(cq_jet_fire_model(&in, &air, &jf, NULL, 0), CQ_OK);
}

/* ---- BLEVE fireball ------------------------------------------------------ */

static void test_fireball_ccps(void **state) {
    (void)state;
    cq_air air = air_at(0);
    cq_fireball_in in = {
        .fuel = cq_fuel_find("propane"), .mass_kg = 50000, .vessel_pressure_pa = 1.5e6};
    cq_fireball fb;
    assert_int_equal(cq_fireball_model(&in, &air, &fb, NULL, 0), CQ_OK);
    /* CCPS: D = 5.8 x 36.840315 = 213.6738 m; t = 2.6 x 6.0696223 = 15.78102 s;
     * H = 0.75 D = 160.2554 m */
    assert_rel(fb.diameter_m, 213.6738, 1e-6);
    assert_rel(fb.duration_s, 15.78102, 1e-6);
    assert_rel(fb.centre_height_m, 160.2554, 1e-6);
    /* Roberts: 0.00325 x (1.5e6)^0.32 = 0.3077744 */
    assert_rel(fb.radiative_fraction, 0.3077744, 1e-6);
    assert_int_equal(fb.flags, 0);
    /* SEP = 0.3077744 x 50000 x 46.35e6 / (pi 213.6738^2 x 15.78102) */
    assert_rel(fb.sep_w_m2, 315111.9, 1e-6);
    /* 500 m: L = 525.0541, F = 106.8369^2 x 500 / L^3 = 0.03942762,
     * tau(418.2172 m) = 0.6025009 -> 7485.54 W/m2 */
    unsigned fl = 0;
    double q = cq_fireball_flux(&fb, 500, &fl);
    assert_rel(q, 7485.538, 1e-6);
    assert_int_equal(fl, 0);
    /* dose 15.78102 x 7485.538^(4/3) = 2.310818e6; Y = -0.968; P = 1.2e-9 */
    assert_rel(cq_thermal_dose(q, fb.duration_s), 2.310818e6, 1e-6);
    assert_rel(cq_thermal_probit_lethal(q, fb.duration_s), 1.200652e-9, 1e-4);
    /* under the fireball a vertical target sees nothing; the peak is near H/sqrt 2 */
    assert_abs(cq_fireball_flux(&fb, 0, &fl), 0, 0);
    assert_true(fl & CQ_FLAG_EXTRAPOLATED);
    double peak = fb.centre_height_m / sqrt(2);
    assert_true(cq_fireball_flux(&fb, peak, NULL) > cq_fireball_flux(&fb, 0.8 * peak, NULL));
    assert_true(cq_fireball_flux(&fb, peak, NULL) > cq_fireball_flux(&fb, 1.2 * peak, NULL));

    cq_zones z;
    assert_int_equal(cq_fireball_zones(&fb, &z), CQ_OK);
    assert_rel(z.red_m, 424.8519, 1e-6);
    assert_rel(z.orange_m, 620.3450, 1e-6);
    assert_rel(z.yellow_m, 986.5449, 1e-6);
    assert_int_equal(z.flags, 0);
}

/* A published worked example: the propane tank truck BLEVE of the CCPS
 * correlations as A. Srivastava's CCPS calculation sheet works it
 * (scribd.com/document/529343808, "BLEVE Fireball Diameter & Duration"):
 * 22.7 m3 at 585.3 kg/m3, 90 % full, all of it in the fireball: m =
 * 11957.7 kg, D = 132.6 m, t = 10.3 s; at X = 100 m from a centre D/2 up,
 * F = 0.255 and, with CCPS's 350 kW/m2 SEP and no attenuation, q = 89.1
 * kW/m2. The sheet's figures are matched to the digits it prints. */
static void test_fireball_published_truck(void **state) {
    (void)state;
    cq_air air = air_at(0);
    air.relative_humidity = 0; /* the example leaves out the air's transmissivity */
    double m = 22.7 * 585.3 * 0.9;
    cq_fireball_in in = {.fuel = cq_fuel_find("propane"), .mass_kg = m};
    cq_fireball fb;
    assert_int_equal(cq_fireball_model(&in, &air, &fb, NULL, 0), CQ_OK);
    assert_abs(m, 11957.7, 0.05);
    assert_abs(fb.diameter_m, 132.6, 0.05);
    assert_abs(fb.duration_s, 10.3, 0.05);
    /* the sheet's geometry and SEP: centre at D/2, 350 kW/m2 */
    in.centre_height_m = fb.diameter_m / 2;
    in.radiative_fraction = 350e3 * M_PI * fb.diameter_m * fb.diameter_m * fb.duration_s /
                            (m * in.fuel->heat_combustion_j_kg);
    assert_int_equal(cq_fireball_model(&in, &air, &fb, NULL, 0), CQ_OK);
    assert_abs(fb.sep_w_m2, 350e3, 1);
    double q = cq_fireball_flux(&fb, 100, NULL);
    assert_abs(q / 350e3, 0.255, 0.0005); /* F */
    assert_abs(q / 1000, 89.1, 0.05);
}

static void test_fireball_options(void **state) {
    (void)state;
    cq_air air = air_at(0);
    cq_fireball fb;
    char err[160];
    /* below 30 t CCPS's duration is 0.45 M^(1/3): 20 t -> 12.21488 s, D 157.4362 m */
    cq_fireball_in in = {.fuel = cq_fuel_find("propane"), .mass_kg = 20000};
    assert_int_equal(cq_fireball_model(&in, &air, &fb, NULL, 0), CQ_OK);
    assert_rel(fb.duration_s, 12.21488, 1e-6);
    assert_rel(fb.diameter_m, 157.4362, 1e-6);
    assert_rel(fb.radiative_fraction, CQ_FIREBALL_RADIATIVE_FRACTION, 0); /* default */
    /* the branches meet near 30 t: 0.45 x 30000^(1/3) = 13.98, 2.6 x 30000^(1/6) = 14.66 */
    in.mass_kg = 29999;
    assert_int_equal(cq_fireball_model(&in, &air, &fb, NULL, 0), CQ_OK);
    double below = fb.duration_s;
    in.mass_kg = 30001;
    assert_int_equal(cq_fireball_model(&in, &air, &fb, NULL, 0), CQ_OK);
    assert_rel(fb.duration_s, below, 0.05);
    /* TNO: D = 6.48 x 50000^0.325 = 218.1425 m, t = 0.852 x 50000^0.26 = 14.19619 s */
    in.mass_kg = 50000, in.method = CQ_FIREBALL_TNO;
    assert_int_equal(cq_fireball_model(&in, &air, &fb, NULL, 0), CQ_OK);
    assert_rel(fb.diameter_m, 218.1425, 1e-6);
    assert_rel(fb.duration_s, 14.19619, 1e-6);
    assert_rel(fb.centre_height_m, 0.75 * 218.1425, 1e-6);
    /* given fraction and height */
    in.radiative_fraction = 0.25, in.centre_height_m = 50, in.vessel_pressure_pa = 2e6;
    assert_int_equal(cq_fireball_model(&in, &air, &fb, NULL, 0), CQ_OK);
    assert_rel(fb.radiative_fraction, 0.25, 0);
    assert_rel(fb.centre_height_m, 50, 0);
    /* a centre below the radius: the ground under it is inside the fireball */
    unsigned fl = 0;
    assert_rel(cq_fireball_flux(&fb, 0, &fl), fb.sep_w_m2, 0);
    assert_true(fl & CQ_FLAG_INSIDE);
    /* Roberts above 0.4 (P > 3.4 MPa) is flagged: 5 MPa -> 0.4452 */
    in.radiative_fraction = 0, in.centre_height_m = 0, in.vessel_pressure_pa = 5e6;
    assert_int_equal(cq_fireball_model(&in, &air, &fb, NULL, 0), CQ_OK);
    assert_rel(fb.radiative_fraction, 0.00325 * pow(5e6, 0.32), 1e-12);
    assert_true(fb.flags & CQ_FLAG_EXTRAPOLATED);
    /* errors */
    in.vessel_pressure_pa = 0, in.mass_kg = -5;
    assert_int_equal(cq_fireball_model(&in, &air, &fb, err, sizeof err), CQ_EINVAL);
    assert_non_null(strstr(err, "mass_kg"));
    in.mass_kg = 1000, in.method = (cq_fireball_method)7;
    assert_int_equal(cq_fireball_model(&in, &air, &fb, err, sizeof err), CQ_EINVAL);
    assert_non_null(strstr(err, "method"));
    in.method = CQ_FIREBALL_CCPS, in.radiative_fraction = 1;
    assert_int_equal(cq_fireball_model(&in, &air, &fb, err, sizeof err), CQ_EINVAL);
    in.radiative_fraction = 0, in.fuel = NULL;
    assert_int_equal(cq_fireball_model(&in, &air, &fb, err, sizeof err), CQ_EINVAL);
}

/* ---- probit -------------------------------------------------------------- */

static void test_probit(void **state) {
    (void)state;
    /* 10 kW/m2 for 60 s: V = 60 x 1e4^(4/3) = 1.292661e7; Y = -38.48 + 2.56
     * ln V = 3.439484; P = Phi(-1.560516) = 0.05931898 */
    assert_rel(cq_thermal_dose(1e4, 60), 1.292661e7, 1e-6);
    assert_rel(cq_thermal_probit_lethal(1e4, 60), 0.05931898, 1e-6);
    /* 20 kW/m2, 30 s: Y = 4.030969, P = 0.1662650; 30 kW/m2, 60 s: P = 0.9857166 */
    assert_rel(cq_thermal_probit_lethal(2e4, 30), 0.1662650, 1e-6);
    assert_rel(cq_thermal_probit_lethal(3e4, 60), 0.9857166, 1e-6);
    /* Y = 5 at V = e^(43.48/2.56): P = 1/2 */
    double q50 = pow(exp(43.48 / 2.56) / 60, 0.75);
    assert_rel(cq_thermal_probit_lethal(q50, 60), 0.5, 1e-9);
    /* the same as -14.9 + 2.56 ln(V/1e4) */
    assert_abs(-38.48 + 2.56 * log(1e4), -14.9, 0.003);
    /* monotone, bounded */
    double prev = 0;
    for (double q = 1000; q < 2e5; q *= 1.2) {
        double p = cq_thermal_probit_lethal(q, 40);
        assert_true(p >= prev && p <= 1);
        prev = p;
    }
    assert_abs(cq_thermal_probit_lethal(1e6, 60), 1, 1e-12);
    assert_abs(cq_thermal_probit_lethal(0, 60), 0, 0);
    assert_abs(cq_thermal_probit_lethal(1e4, 0), 0, 0);
    assert_abs(cq_thermal_probit_lethal(-5, 60), 0, 0);
    assert_true(isnan(cq_thermal_probit_lethal(NAN, 60)));
    assert_true(isnan(cq_thermal_probit_lethal(1e4, INFINITY)));
    assert_abs(cq_thermal_dose(0, 60), 0, 0);
}

/* ---- the zone search on synthetic fluxes --------------------------------- */

static double flux_inverse_square(const void *model, double x, unsigned *flags) {
    (void)flags;
    return *(const double *)model / (x * x);
}

static double flux_constant(const void *model, double x, unsigned *flags) {
    (void)x;
    if (flags) *flags |= CQ_FLAG_EXTRAPOLATED;
    return *(const double *)model;
}

/* Rises to a peak of 12 kW/m2 at 300 m, then falls: x/300 e^(1 - x/300) x 12e3. */
static double flux_peaked(const void *model, double x, unsigned *flags) {
    (void)model, (void)flags;
    return 12e3 * x / 300 * exp(1 - x / 300);
}

static void test_zone_search(void **state) {
    (void)state;
    cq_zones z;
    /* q = 1e8 / x^2: 100, 141.42, 223.61 m */
    double k = 1e8;
    cqf_zones(flux_inverse_square, &k, 0.01, 0, 0.01, &z);
    assert_rel(z.red_m, 100, 1e-9);
    assert_rel(z.orange_m, sqrt(2e4), 1e-9);
    assert_rel(z.yellow_m, sqrt(5e4), 1e-9);
    assert_int_equal(z.flags, 0);
    /* never reached */
    k = 1e-3;
    cqf_zones(flux_inverse_square, &k, 0.01, 0, 0.01, &z);
    assert_true(z.red_m == 0 && z.orange_m == 0 && z.yellow_m == 0);
    /* 3 kW/m2 everywhere: yellow capped at CQ_RANGE_MAX_M, the others 0;
     * the model's flags come through */
    k = 3000;
    cqf_zones(flux_constant, &k, 1, 0, 1, &z);
    assert_true(z.red_m == 0 && z.orange_m == 0);
    assert_rel(z.yellow_m, CQ_RANGE_MAX_M, 0);
    assert_true(z.flags & CQ_FLAG_CAPPED);
    assert_true(z.flags & CQ_FLAG_EXTRAPOLATED);
    /* an inside flux above a level sets that zone to the start at least */
    k = 1e-3;
    cqf_zones(flux_inverse_square, &k, 5, 6000, 5, &z);
    assert_true(z.red_m == 0 && z.orange_m == 5 && z.yellow_m == 5);
    /* rising then falling: the farthest crossing, past the peak */
    cqf_zones(flux_peaked, NULL, 0.1, 0, 600, &z);
    for (int i = 0; i < 3; i++) {
        double d = i == 0 ? z.red_m : i == 1 ? z.orange_m : z.yellow_m;
        double lv = i == 0 ? 1e4 : i == 1 ? 5e3 : 2e3;
        assert_true(d > 300);
        assert_rel(flux_peaked(NULL, d, NULL), lv, 1e-8);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transmissivity),
        cmocka_unit_test(test_fuel_find),
        cmocka_unit_test(test_fuel_names_match_substances),
        cmocka_unit_test(test_fuel_values),
        cmocka_unit_test(test_burning_rate),
        cmocka_unit_test(test_pool_diameter),
        cmocka_unit_test(test_view_factor_closed_form),
        cmocka_unit_test(test_view_factor_quadrature_matches),
        cmocka_unit_test(test_view_factor_tilted),
        cmocka_unit_test(test_pool_fire_still_air),
        cmocka_unit_test(test_pool_fire_wind),
        cmocka_unit_test(test_pool_fire_sep_rules),
        cmocka_unit_test(test_jet_fire),
        cmocka_unit_test(test_fireball_ccps),
        cmocka_unit_test(test_fireball_published_truck),
        cmocka_unit_test(test_fireball_options),
        cmocka_unit_test(test_probit),
        cmocka_unit_test(test_zone_search),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
