/*
 * plumerise.c - Briggs plume rise as EPA's ISC3 uses it, for a stack and
 * for the smoke of a fire (a buoyant plume with no stack), and the
 * gradual rise up to the final rise. Reference section 1; the formulas and
 * their sources are in consequence.h.
 *
 * The sources: the ISC3 user's guide vol. II (EPA-454/B-95-003b) section
 * 1.1.4, read through GasDispersion.jl's plume_rise.jl and the Canarina
 * pages that reproduce the guide's equations; the fire's buoyancy flux is
 * Briggs's heat-flux form, checked here as algebra from the stack form.
 */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "consequence/consequence.h"
#include "consequence/internal_source.h"

/* The stack-top wind, raised to ISC3's floor. */
static double floor_wind(double u, unsigned *flags) {
    if (u < CQ_RISE_MIN_WIND_M_S) {
        *flags |= CQ_FLAG_LOW_WIND;
        return CQ_RISE_MIN_WIND_M_S;
    }
    return u;
}

/* Common checks of the ambient inputs; fills the stability parameter s
 * (0 for A-D). */
static int check_ambient(cq_stability cls, double ambient_temp_k, double wind_m_s,
                         const cq_rise_opts *opts, double *s, char *err, size_t errcap) {
    if ((int)cls < 0 || (int)cls >= CQ_STAB_COUNT)
        return cq_fail(err, errcap, "stability class %d out of range", cls);
    if (!cq_positive(ambient_temp_k))
        return cq_fail(err, errcap, "ambient_temp_k %g: must be finite and > 0", ambient_temp_k);
    if (!cq_nonneg(wind_m_s))
        return cq_fail(err, errcap, "wind_m_s %g: must be finite and >= 0", wind_m_s);
    double dtheta = opts ? opts->dtheta_dz_k_m : 0;
    if (!cq_nonneg(dtheta))
        return cq_fail(err, errcap, "opts->dtheta_dz_k_m %g: must be finite and >= 0", dtheta);
    *s = 0;
    if (cq_stability_is_stable(cls)) {
        if (dtheta == 0) dtheta = cls == CQ_STAB_E ? CQ_DTHETA_DZ_E : CQ_DTHETA_DZ_F;
        *s = CQ_G_ISC3 / ambient_temp_k * dtheta; /* Briggs (1971), eq. 16 of the Canarina pages */
    }
    return CQ_OK;
}

/* The buoyant branch (ISC3's table for A-D, eqs. 18-19 for E-F). */
static void buoyant_final(double fb, double u, double s, bool stable, double *xf, double *dh) {
    if (stable) {
        *xf = 2.0715 * u / sqrt(s);
        *dh = 2.6 * cbrt(fb / (u * s));
    } else if (fb < 55) {
        *xf = 49 * pow(fb, 5.0 / 8);
        *dh = 21.425 * pow(fb, 0.75) / u;
    } else {
        *xf = 119 * pow(fb, 0.4);
        *dh = 38.71 * pow(fb, 0.6) / u;
    }
}

int cq_briggs_stack_rise(const cq_stack *stack, cq_stability cls, double ambient_temp_k,
                         double wind_m_s, const cq_rise_opts *opts, cq_plume_rise *out, char *err,
                         size_t errcap) {
    if (!stack) return cq_fail(err, errcap, "stack: NULL");
    if (!out) return cq_fail(err, errcap, "out: NULL");
    if (!cq_nonneg(stack->height_m))
        return cq_fail(err, errcap, "stack->height_m %g: must be finite and >= 0", stack->height_m);
    if (!cq_positive(stack->diameter_m))
        return cq_fail(err, errcap, "stack->diameter_m %g: must be finite and > 0",
                       stack->diameter_m);
    if (!cq_positive(stack->exit_velocity_m_s))
        return cq_fail(err, errcap, "stack->exit_velocity_m_s %g: must be finite and > 0",
                       stack->exit_velocity_m_s);
    if (!cq_positive(stack->exit_temp_k))
        return cq_fail(err, errcap, "stack->exit_temp_k %g: must be finite and > 0",
                       stack->exit_temp_k);
    double s;
    int rc = check_ambient(cls, ambient_temp_k, wind_m_s, opts, &s, err, errcap);
    if (rc != CQ_OK) return rc;

    cq_plume_rise r;
    memset(&r, 0, sizeof r);
    r.cls = cls;
    r.stable = cq_stability_is_stable(cls);
    r.s = s;
    double u = floor_wind(wind_m_s, &r.flags);
    r.wind_m_s = u;
    double d = stack->diameter_m, v = stack->exit_velocity_m_s, ts = stack->exit_temp_k;
    double ta = ambient_temp_k, dt = ts - ta;
    r.buoyancy_flux = CQ_G_ISC3 * v * d * d * dt / (4 * ts);
    r.momentum_flux = v * v * d * d * ta / (4 * ts);
    double fb = r.buoyancy_flux;

    /* Stack-tip downwash (Briggs 1974; unconfirmed), floored at the ground. */
    r.base_height_m = stack->height_m;
    if (!(opts && opts->no_stack_tip_downwash) && v < 1.5 * u)
        r.base_height_m = fmax(0, stack->height_m + 2 * d * (v / u - 1.5));

    double neutral_momentum = 3 * d * v / u; /* Briggs (1969) p. 59 */
    if (!r.stable) {
        double xf_b = 0, dh_b = 0;
        if (fb < 55)
            r.crossover_dt_k = 0.0297 * ts * cbrt(v) / pow(d, 2.0 / 3);
        else
            r.crossover_dt_k = 0.00575 * ts * pow(v, 2.0 / 3) / cbrt(d);
        if (fb > 0) buoyant_final(fb, u, 0, false, &xf_b, &dh_b);
        if (fb > 0 && dt >= r.crossover_dt_k) {
            r.kind = CQ_RISE_BUOYANT;
            r.x_final_m = xf_b;
            r.final_rise_m = dh_b;
        } else {
            r.kind = CQ_RISE_MOMENTUM;
            r.final_rise_m = neutral_momentum;
            r.x_final_m = fb > 0 ? xf_b : 4 * d * (v + 3 * u) * (v + 3 * u) / (v * u);
        }
    } else {
        r.crossover_dt_k = 0.019582 * ts * v * sqrt(s);
        if (fb > 0 && dt >= r.crossover_dt_k) {
            r.kind = CQ_RISE_BUOYANT;
            buoyant_final(fb, u, s, true, &r.x_final_m, &r.final_rise_m);
        } else {
            /* Briggs (1969) eq. 4.28 as ISC3 uses it (eq. 20 of the
             * Canarina pages), with u_s, never above the unstable-neutral
             * momentum rise. */
            r.kind = CQ_RISE_MOMENTUM;
            double dh = 1.5 * cbrt(r.momentum_flux / (u * sqrt(s)));
            r.final_rise_m = fmin(dh, neutral_momentum);
            r.x_final_m = M_PI / 2 * u / sqrt(s);
        }
    }
    if (r.kind == CQ_RISE_MOMENTUM) r.beta_j = 1.0 / 3 + u / v;
    r.effective_height_m = r.base_height_m + r.final_rise_m;
    *out = r;
    return CQ_OK;
}

int cq_briggs_buoyant_rise(double buoyancy_flux, double release_height_m, cq_stability cls,
                           double ambient_temp_k, double wind_m_s, const cq_rise_opts *opts,
                           cq_plume_rise *out, char *err, size_t errcap) {
    if (!cq_positive(buoyancy_flux))
        return cq_fail(err, errcap, "buoyancy_flux %g: must be finite and > 0", buoyancy_flux);
    if (!cq_nonneg(release_height_m))
        return cq_fail(err, errcap, "release_height_m %g: must be finite and >= 0",
                       release_height_m);
    if (!out) return cq_fail(err, errcap, "out: NULL");
    double s;
    int rc = check_ambient(cls, ambient_temp_k, wind_m_s, opts, &s, err, errcap);
    if (rc != CQ_OK) return rc;
    cq_plume_rise r;
    memset(&r, 0, sizeof r);
    r.kind = CQ_RISE_BUOYANT;
    r.cls = cls;
    r.stable = cq_stability_is_stable(cls);
    r.s = s;
    r.wind_m_s = floor_wind(wind_m_s, &r.flags);
    r.buoyancy_flux = buoyancy_flux;
    buoyant_final(buoyancy_flux, r.wind_m_s, s, r.stable, &r.x_final_m, &r.final_rise_m);
    r.base_height_m = release_height_m;
    r.effective_height_m = release_height_m + r.final_rise_m;
    *out = r;
    return CQ_OK;
}

int cq_briggs_rise_at(const cq_plume_rise *rise, double x_m, double *rise_m, double *height_m,
                      char *err, size_t errcap) {
    if (!rise) return cq_fail(err, errcap, "rise: NULL");
    if (!cq_nonneg(x_m)) return cq_fail(err, errcap, "x_m %g: must be finite and >= 0", x_m);
    if (!rise_m) return cq_fail(err, errcap, "rise_m: NULL");
    if (!cq_positive(rise->wind_m_s) || !cq_nonneg(rise->final_rise_m) ||
        !cq_nonneg(rise->x_final_m))
        return cq_fail(err, errcap, "rise: not filled by cq_briggs_*_rise");
    double u = rise->wind_m_s, dh;
    if (x_m >= rise->x_final_m) {
        dh = rise->final_rise_m;
    } else if (rise->kind == CQ_RISE_BUOYANT) {
        dh = 1.60 * cbrt(rise->buoyancy_flux) * pow(x_m, 2.0 / 3) / u; /* Briggs 1972 */
    } else if (!rise->stable) {
        double b = rise->beta_j; /* Bowers et al. 1979, via ISC3 */
        dh = cbrt(3 * rise->momentum_flux * x_m / (b * b * u * u));
    } else {
        double b = rise->beta_j, rs = sqrt(rise->s);
        dh = cbrt(3 * rise->momentum_flux * sin(x_m * rs / u) / (b * b * u * rs));
    }
    dh = fmin(dh, rise->final_rise_m);
    *rise_m = dh;
    if (height_m) *height_m = rise->base_height_m + dh;
    return CQ_OK;
}

int cq_fire_convective_heat(double burning_rate_kg_m2_s, double area_m2,
                            double heat_of_combustion_j_kg, double radiative_fraction,
                            double *convective_w, char *err, size_t errcap) {
    if (!cq_nonneg(burning_rate_kg_m2_s))
        return cq_fail(err, errcap, "burning_rate_kg_m2_s %g: must be finite and >= 0",
                       burning_rate_kg_m2_s);
    if (!cq_nonneg(area_m2))
        return cq_fail(err, errcap, "area_m2 %g: must be finite and >= 0", area_m2);
    if (!cq_positive(heat_of_combustion_j_kg))
        return cq_fail(err, errcap, "heat_of_combustion_j_kg %g: must be finite and > 0",
                       heat_of_combustion_j_kg);
    if (!(radiative_fraction >= 0 && radiative_fraction < 1))
        return cq_fail(err, errcap, "radiative_fraction %g: must be in [0, 1)", radiative_fraction);
    if (!convective_w) return cq_fail(err, errcap, "convective_w: NULL");
    *convective_w =
        burning_rate_kg_m2_s * area_m2 * heat_of_combustion_j_kg * (1 - radiative_fraction);
    return CQ_OK;
}

int cq_fire_buoyancy_flux(double convective_w, double ambient_temp_k, double pressure_pa,
                          double *buoyancy_flux, char *err, size_t errcap) {
    if (!cq_nonneg(convective_w))
        return cq_fail(err, errcap, "convective_w %g: must be finite and >= 0", convective_w);
    if (!cq_positive(ambient_temp_k))
        return cq_fail(err, errcap, "ambient_temp_k %g: must be finite and > 0", ambient_temp_k);
    if (!cq_nonneg(pressure_pa))
        return cq_fail(err, errcap, "pressure_pa %g: must be finite and >= 0", pressure_pa);
    if (!buoyancy_flux) return cq_fail(err, errcap, "buoyancy_flux: NULL");
    if (pressure_pa == 0) pressure_pa = CQ_P_ATM;
    double rho_a = pressure_pa * CQ_AIR_MOLAR_MASS_KG_MOL / (CQ_R_GAS * ambient_temp_k);
    *buoyancy_flux = CQ_G_ISC3 * convective_w / (M_PI * CQ_AIR_CP_J_KG_K * rho_a * ambient_temp_k);
    return CQ_OK;
}
