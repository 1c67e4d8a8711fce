/*
 * source.c - source terms: liquid and gas through a hole, the flash of a
 * pressurised liquefied gas, pool spreading and pool evaporation.
 * Reference section 7; the formulas and their sources are in
 * consequence.h, the worked examples in docs/consequence-models.md.
 *
 * All rates are the initial (highest) ones of a steady model: nothing here
 * follows a vessel draining or a pool cooling.
 */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "consequence/consequence.h"
#include "consequence/internal_source.h"

static double hole_area(double d) {
    return M_PI * d * d / 4;
}

/* cd 0 takes the default; otherwise (0, 1]. -1 when out of range. */
static double discharge_coefficient(double cd) {
    if (cd == 0) return CQ_CD_DEFAULT;
    if (!(cd > 0 && cd <= 1)) return -1;
    return cd;
}

/* ---- liquid through a hole ------------------------------------------------ */

int cq_liquid_release(const cq_liquid_hole *in, double *rate_kg_s, char *err, size_t errcap) {
    if (!in) return cq_fail(err, errcap, "in: NULL");
    if (!rate_kg_s) return cq_fail(err, errcap, "rate_kg_s: NULL");
    if (!cq_positive(in->hole_diameter_m))
        return cq_fail(err, errcap, "hole_diameter_m %g: must be finite and > 0",
                       in->hole_diameter_m);
    if (!cq_positive(in->density_kg_m3))
        return cq_fail(err, errcap, "density_kg_m3 %g: must be finite and > 0", in->density_kg_m3);
    if (!isfinite(in->gauge_pressure_pa))
        return cq_fail(err, errcap, "gauge_pressure_pa %g: must be finite", in->gauge_pressure_pa);
    if (!cq_nonneg(in->head_m))
        return cq_fail(err, errcap, "head_m %g: must be finite and >= 0", in->head_m);
    double cd = discharge_coefficient(in->cd);
    if (cd < 0) return cq_fail(err, errcap, "cd %g: must be 0 (default) or in (0, 1]", in->cd);
    /* CCPS96 eq. 4-10: m = Cd A rho sqrt(2 dP / rho + 2 g h). */
    double e = in->gauge_pressure_pa / in->density_kg_m3 + CQ_G * in->head_m;
    *rate_kg_s = e > 0 ? cd * hole_area(in->hole_diameter_m) * in->density_kg_m3 * sqrt(2 * e) : 0;
    return CQ_OK;
}

/* ---- gas through a hole ----------------------------------------------------- */

int cq_gas_release_rate(const cq_gas_hole *in, cq_gas_release *out, char *err, size_t errcap) {
    if (!in) return cq_fail(err, errcap, "in: NULL");
    if (!out) return cq_fail(err, errcap, "out: NULL");
    if (!cq_positive(in->hole_diameter_m))
        return cq_fail(err, errcap, "hole_diameter_m %g: must be finite and > 0",
                       in->hole_diameter_m);
    if (!cq_positive(in->pressure_pa))
        return cq_fail(err, errcap, "pressure_pa %g: must be finite and > 0", in->pressure_pa);
    if (!cq_positive(in->temp_k))
        return cq_fail(err, errcap, "temp_k %g: must be finite and > 0", in->temp_k);
    if (!cq_positive(in->molar_mass_kg_mol))
        return cq_fail(err, errcap, "molar_mass_kg_mol %g: must be finite and > 0",
                       in->molar_mass_kg_mol);
    if (!(isfinite(in->gamma) && in->gamma > 1))
        return cq_fail(err, errcap, "gamma %g: must be finite and > 1", in->gamma);
    if (!cq_nonneg(in->ambient_pa))
        return cq_fail(err, errcap, "ambient_pa %g: must be finite and >= 0", in->ambient_pa);
    double cd = discharge_coefficient(in->cd);
    if (cd < 0) return cq_fail(err, errcap, "cd %g: must be 0 (default) or in (0, 1]", in->cd);

    double k = in->gamma, p1 = in->pressure_pa, t1 = in->temp_k;
    double pa = in->ambient_pa == 0 ? CQ_P_ATM : in->ambient_pa;
    double rho1 = p1 * in->molar_mass_kg_mol / (CQ_R_GAS * t1);
    cq_gas_release r;
    memset(&r, 0, sizeof r);
    if (pa >= p1) {
        /* No driving pressure: nothing flows; the exit state is upstream's. */
        r.exit_pressure_pa = p1;
        r.exit_temp_k = t1;
        r.exit_density_kg_m3 = rho1;
        *out = r;
        return CQ_OK;
    }
    double eta_c = pow(2 / (k + 1), k / (k - 1));
    double eta = pa / p1;
    if (eta <= eta_c) {
        r.choked = true;
        eta = eta_c;
    }
    /* GDjl jet_source.jl (CCPS99): the same expression serves both
     * regimes with eta held at eta_c when choked. */
    double g0 = sqrt(rho1 * p1 * (2 * k / (k - 1)) * (pow(eta, 2 / k) - pow(eta, (k + 1) / k)));
    r.mass_flux_kg_m2_s = cd * g0;
    r.rate_kg_s = r.mass_flux_kg_m2_s * hole_area(in->hole_diameter_m);
    r.exit_pressure_pa = eta * p1;
    r.exit_temp_k = t1 * pow(eta, (k - 1) / k);
    r.exit_density_kg_m3 = rho1 * pow(eta, 1 / k);
    r.exit_velocity_m_s = g0 / r.exit_density_kg_m3;
    *out = r;
    return CQ_OK;
}

/* ---- flash ------------------------------------------------------------------ */

int cq_flash_fraction(double temp_k, double boil_k, double cp_liquid_j_kg_k, double hvap_j_kg,
                      cq_flash_form form, double aerosol_multiple, cq_flash *out, char *err,
                      size_t errcap) {
    if (!cq_positive(temp_k))
        return cq_fail(err, errcap, "temp_k %g: must be finite and > 0", temp_k);
    if (!cq_positive(boil_k))
        return cq_fail(err, errcap, "boil_k %g: must be finite and > 0", boil_k);
    if (!cq_positive(cp_liquid_j_kg_k))
        return cq_fail(err, errcap, "cp_liquid_j_kg_k %g: must be finite and > 0",
                       cp_liquid_j_kg_k);
    if (!cq_positive(hvap_j_kg))
        return cq_fail(err, errcap, "hvap_j_kg %g: must be finite and > 0", hvap_j_kg);
    if (form != CQ_FLASH_LINEAR && form != CQ_FLASH_INTEGRATED)
        return cq_fail(err, errcap, "form %d: not a cq_flash_form", form);
    if (!cq_nonneg(aerosol_multiple))
        return cq_fail(err, errcap, "aerosol_multiple %g: must be finite and >= 0",
                       aerosol_multiple);
    if (!out) return cq_fail(err, errcap, "out: NULL");
    cq_flash f = {0, 0, 0};
    double x = temp_k > boil_k ? cp_liquid_j_kg_k * (temp_k - boil_k) / hvap_j_kg : 0;
    if (form == CQ_FLASH_LINEAR) {
        f.vapour_fraction = x; /* CCPS96 eq. 4-14 */
        if (x > 1) {
            f.vapour_fraction = 1;
            f.flags |= CQ_FLAG_EXTRAPOLATED;
        }
    } else {
        f.vapour_fraction = 1 - exp(-x); /* dm/m = -(c_p/dH_v) dT, integrated */
    }
    f.airborne_fraction = fmin(1, f.vapour_fraction * (1 + aerosol_multiple));
    *out = f;
    return CQ_OK;
}

/* ---- pool spreading --------------------------------------------------------- */

int cq_pool_at(const cq_pool_spread *in, double t_s, cq_pool *out, char *err, size_t errcap) {
    if (!in) return cq_fail(err, errcap, "in: NULL");
    if (!out) return cq_fail(err, errcap, "out: NULL");
    if (in->spill != CQ_SPILL_INSTANT && in->spill != CQ_SPILL_CONTINUOUS)
        return cq_fail(err, errcap, "spill %d: not a cq_spill", in->spill);
    if (in->spill == CQ_SPILL_INSTANT && !cq_positive(in->volume_m3))
        return cq_fail(err, errcap, "volume_m3 %g: must be finite and > 0", in->volume_m3);
    if (in->spill == CQ_SPILL_CONTINUOUS && !cq_positive(in->rate_m3_s))
        return cq_fail(err, errcap, "rate_m3_s %g: must be finite and > 0", in->rate_m3_s);
    if (!cq_nonneg(in->dike_area_m2))
        return cq_fail(err, errcap, "dike_area_m2 %g: must be finite and >= 0", in->dike_area_m2);
    if (!cq_nonneg(in->min_depth_m))
        return cq_fail(err, errcap, "min_depth_m %g: must be finite and >= 0", in->min_depth_m);
    if (!cq_nonneg(t_s)) return cq_fail(err, errcap, "t_s %g: must be finite and >= 0", t_s);

    double h_min = in->min_depth_m == 0 ? CQ_POOL_MIN_DEPTH_M : in->min_depth_m;
    double volume, r;
    if (in->spill == CQ_SPILL_INSTANT) {
        volume = in->volume_m3;
        r = pow(8 * CQ_G * volume / M_PI, 0.25) * sqrt(t_s);
    } else {
        volume = in->rate_m3_s * t_s;
        r = pow(32 * CQ_G * in->rate_m3_s / (9 * M_PI), 0.25) * pow(t_s, 0.75);
    }
    cq_pool p = {0, 0, 0, CQ_POOL_SPREADING};
    double r_depth = sqrt(volume / (M_PI * h_min));
    if (r > r_depth) {
        r = r_depth;
        p.limit = CQ_POOL_MIN_DEPTH;
    }
    if (in->dike_area_m2 > 0) {
        double r_dike = sqrt(in->dike_area_m2 / M_PI);
        if (r > r_dike) {
            r = r_dike;
            p.limit = CQ_POOL_DIKE;
        }
    }
    p.radius_m = r;
    p.area_m2 = M_PI * r * r;
    p.depth_m = p.area_m2 > 0 ? volume / p.area_m2 : 0;
    *out = p;
    return CQ_OK;
}

/* ---- evaporation -------------------------------------------------------------- */

int cq_mackay_matsugu(double wind_10m_m_s, double pool_diameter_m, double schmidt, double *k_m_s,
                      char *err, size_t errcap) {
    if (!cq_nonneg(wind_10m_m_s))
        return cq_fail(err, errcap, "wind_10m_m_s %g: must be finite and >= 0", wind_10m_m_s);
    if (!cq_positive(pool_diameter_m))
        return cq_fail(err, errcap, "pool_diameter_m %g: must be finite and > 0", pool_diameter_m);
    if (!cq_positive(schmidt))
        return cq_fail(err, errcap, "schmidt %g: must be finite and > 0", schmidt);
    if (!k_m_s) return cq_fail(err, errcap, "k_m_s: NULL");
    *k_m_s = 0.0048 * pow(wind_10m_m_s, 7.0 / 9) * pow(pool_diameter_m, -1.0 / 9) *
             pow(schmidt, -2.0 / 3);
    return CQ_OK;
}

int cq_pool_evaporation(double k_m_s, double area_m2, double molar_mass_kg_mol,
                        double vapour_pressure_pa, double pool_temp_k, double *rate_kg_s, char *err,
                        size_t errcap) {
    if (!cq_nonneg(k_m_s)) return cq_fail(err, errcap, "k_m_s %g: must be finite and >= 0", k_m_s);
    if (!cq_nonneg(area_m2))
        return cq_fail(err, errcap, "area_m2 %g: must be finite and >= 0", area_m2);
    if (!cq_positive(molar_mass_kg_mol))
        return cq_fail(err, errcap, "molar_mass_kg_mol %g: must be finite and > 0",
                       molar_mass_kg_mol);
    if (!cq_nonneg(vapour_pressure_pa))
        return cq_fail(err, errcap, "vapour_pressure_pa %g: must be finite and >= 0",
                       vapour_pressure_pa);
    if (!cq_positive(pool_temp_k))
        return cq_fail(err, errcap, "pool_temp_k %g: must be finite and > 0", pool_temp_k);
    if (!rate_kg_s) return cq_fail(err, errcap, "rate_kg_s: NULL");
    *rate_kg_s =
        k_m_s * area_m2 * molar_mass_kg_mol * vapour_pressure_pa / (CQ_R_GAS * pool_temp_k);
    return CQ_OK;
}

int cq_boiling_pool(double ground_conductivity_w_m_k, double ground_diffusivity_m2_s,
                    double ground_temp_k, double boil_k, double hvap_j_kg, double t_s,
                    double *mass_flux_kg_m2_s, double *evaporated_kg_m2, char *err, size_t errcap) {
    if (!cq_positive(ground_conductivity_w_m_k))
        return cq_fail(err, errcap, "ground_conductivity_w_m_k %g: must be finite and > 0",
                       ground_conductivity_w_m_k);
    if (!cq_positive(ground_diffusivity_m2_s))
        return cq_fail(err, errcap, "ground_diffusivity_m2_s %g: must be finite and > 0",
                       ground_diffusivity_m2_s);
    if (!cq_positive(ground_temp_k))
        return cq_fail(err, errcap, "ground_temp_k %g: must be finite and > 0", ground_temp_k);
    if (!cq_positive(boil_k))
        return cq_fail(err, errcap, "boil_k %g: must be finite and > 0", boil_k);
    if (!cq_positive(hvap_j_kg))
        return cq_fail(err, errcap, "hvap_j_kg %g: must be finite and > 0", hvap_j_kg);
    if (!cq_positive(t_s)) return cq_fail(err, errcap, "t_s %g: must be finite and > 0", t_s);
    if (!mass_flux_kg_m2_s) return cq_fail(err, errcap, "mass_flux_kg_m2_s: NULL");
    double dt = fmax(0, ground_temp_k - boil_k);
    double a = ground_conductivity_w_m_k * dt / (hvap_j_kg * sqrt(M_PI * ground_diffusivity_m2_s));
    *mass_flux_kg_m2_s = a / sqrt(t_s);
    if (evaporated_kg_m2) *evaporated_kg_m2 = 2 * a * sqrt(t_s);
    return CQ_OK;
}
