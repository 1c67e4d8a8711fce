/*
 * fireball.c - the jet fire (reference section 3), the BLEVE fireball
 * (section 4), and the thermal dose and lethality probit (section 8).
 *
 * Jet fire: a point source at the release, q = tau F_s m dHc / (4 pi x^2),
 * with Chamberlain's radiated fraction F_s = 0.21 e^(-0.00323 u_j) + 0.11
 * and tau over x. The flame's length comes from Chamberlain's still-air
 * equation for L_b0 = Y D_s, solved for Y by bisection (its left side
 * rises monotonically in Y from a negative value at 0), and the wind's
 * shortening for a vertical jet, (0.51 e^(-0.4 u) + 0.49): the length is
 * reported and marks the near field, where a point source says little
 * about a flame (CQ_FLAG_EXTRAPOLATED), but the flux stays the point
 * source's. Chamberlain's W, the stoichiometric fuel mass fraction, is
 * 1/(1 + air/fuel) from the fuel table; for alkanes it matches fireSIM's
 * W = M_f/(15.816 M_f + 0.0395) (propane 0.0600 against 0.0598), a fit
 * that does not hold for alkenes or oxygenates (ethylene 0.0634 against
 * 0.0581, methanol 0.134 against 0.059).
 *
 * Fireball: CCPS's or TNO's diameter and duration, a centre at 0.75 D
 * (CCPS) unless given, the SEP F_rad M dHc / (pi D^2 t) with Roberts's
 * F_rad = 0.00325 P^0.32 from the vessel's pressure, or the caller's, or
 * 0.4 (Hymes, a vessel failing at or above its relief set pressure: the
 * fire-engulfed vessel a BLEVE usually is). The target is vertical, at
 * ground level, facing the fireball: F = (r/L)^2 cos beta with cos beta =
 * X/L, that is r^2 X / L^3 (reference section 4). A standing person
 * presents a vertical surface; the flux on it falls to 0 right under the
 * fireball and peaks at X = H/sqrt 2 (a horizontal target, r^2 H / L^3,
 * would see most there instead). For X < r part of the sphere is behind
 * the target's plane and the formula overstates F: flagged.
 */
#include "consequence/consequence.h"

#include <math.h>
#include <string.h>

#include "consequence/internal_fires.h"

/* ==== jet fire =========================================================== */

/* Chamberlain's still-air length factor Y: 0.024 (g D_s / u_j^2)^(1/3)
 * Y^(5/3) + 0.2 Y^(2/3) = (2.85/W)^(2/3). */
static double chamberlain_y(double ds, double uj, double w) {
    double k = 0.024 * cbrt(CQ_G * ds / (uj * uj));
    double c = pow(2.85 / w, 2.0 / 3.0);
    double lo = 0, hi = pow(c / 0.2, 1.5); /* the second term alone reaches c there */
    for (int it = 0; it < 200 && hi - lo > 1e-13 * hi; it++) {
        double y = 0.5 * (lo + hi);
        double y23 = cbrt(y * y);
        if (k * y * y23 + 0.2 * y23 < c)
            lo = y;
        else
            hi = y;
    }
    return 0.5 * (lo + hi);
}

int cq_jet_fire_model(const cq_jet_fire_in *in, const cq_air *air, cq_jet_fire *out, char *err,
                      size_t errlen) {
    if (!in || !out) return cq_fail(err, errlen, "jet fire: NULL input or output");
    memset(out, 0, sizeof *out);
    int rc = cqf_air_check(air, &out->air, err, errlen);
    if (rc != CQ_OK) return rc;
    const cq_fuel *fuel = in->fuel;
    if (!fuel) return cq_fail(err, errlen, "fuel: NULL");
    if (!(fuel->heat_combustion_j_kg > 0) || !(fuel->air_fuel_stoich > 0))
        return cq_fail(err, errlen, "fuel %s: no heat of combustion or air/fuel ratio", fuel->name);
    if (!isfinite(in->mass_rate_kg_s) || !(in->mass_rate_kg_s > 0) || in->mass_rate_kg_s > 1e5)
        return cq_fail(err, errlen, "mass_rate_kg_s: %g not in (0, 1e5]", in->mass_rate_kg_s);
    if (!isfinite(in->exit_velocity_m_s) || !(in->exit_velocity_m_s > 0) ||
        in->exit_velocity_m_s > 2000)
        return cq_fail(err, errlen, "exit_velocity_m_s: %g not in (0, 2000]",
                       in->exit_velocity_m_s);
    if (!isfinite(in->radiated_fraction) || in->radiated_fraction < 0 || in->radiated_fraction >= 1)
        return cq_fail(err, errlen, "radiated_fraction: %g not in [0, 1)", in->radiated_fraction);

    double m = in->mass_rate_kg_s, uj = in->exit_velocity_m_s;
    out->radiated_fraction =
        in->radiated_fraction > 0 ? in->radiated_fraction : 0.21 * exp(-0.00323 * uj) + 0.11;
    out->heat_release_w = m * fuel->heat_combustion_j_kg;
    double rho_a = cqf_gas_density(&out->air, CQF_M_AIR, out->air.temp_k);
    out->source_diameter_m = sqrt(4 * m / (M_PI * rho_a * uj));
    double w = 1 / (1 + fuel->air_fuel_stoich);
    out->flame_length_still_m =
        chamberlain_y(out->source_diameter_m, uj, w) * out->source_diameter_m;
    out->flame_length_wind_m =
        out->flame_length_still_m * (0.51 * exp(-0.4 * out->air.wind_m_s) + 0.49);
    return CQ_OK;
}

double cq_jet_fire_flux(const cq_jet_fire *jf, double distance_m, unsigned *flags) {
    if (!jf || !isfinite(distance_m) || !(distance_m > 0) || !(jf->heat_release_w > 0)) return NAN;
    unsigned fl = jf->flags;
    if (distance_m < fmax(jf->flame_length_still_m, jf->flame_length_wind_m))
        fl |= CQ_FLAG_EXTRAPOLATED;
    if (flags) *flags |= fl;
    return cq_transmissivity(&jf->air, distance_m) * jf->radiated_fraction * jf->heat_release_w /
           (4 * M_PI * distance_m * distance_m);
}

static double jet_flux(const void *model, double x_m, unsigned *flags) {
    return cq_jet_fire_flux(model, x_m, flags);
}

int cq_jet_fire_zones(const cq_jet_fire *jf, cq_zones *out) {
    if (!jf || !out || !(jf->heat_release_w > 0)) return CQ_EINVAL;
    cqf_zones(jet_flux, jf, 0.01, 0, 0.01, out); /* q falls with x from the start */
    return CQ_OK;
}

/* ==== BLEVE fireball ===================================================== */

int cq_fireball_model(const cq_fireball_in *in, const cq_air *air, cq_fireball *out, char *err,
                      size_t errlen) {
    if (!in || !out) return cq_fail(err, errlen, "fireball: NULL input or output");
    memset(out, 0, sizeof *out);
    int rc = cqf_air_check(air, &out->air, err, errlen);
    if (rc != CQ_OK) return rc;
    const cq_fuel *fuel = in->fuel;
    if (!fuel) return cq_fail(err, errlen, "fuel: NULL");
    if (!(fuel->heat_combustion_j_kg > 0))
        return cq_fail(err, errlen, "fuel %s: no heat of combustion", fuel->name);
    double m = in->mass_kg;
    if (!isfinite(m) || !(m > 0) || m > 1e7)
        return cq_fail(err, errlen, "mass_kg: %g not in (0, 1e7]", m);
    if (in->method != CQ_FIREBALL_CCPS && in->method != CQ_FIREBALL_TNO)
        return cq_fail(err, errlen, "method: %d unknown", (int)in->method);
    if (!isfinite(in->radiative_fraction) || in->radiative_fraction < 0 ||
        in->radiative_fraction >= 1)
        return cq_fail(err, errlen, "radiative_fraction: %g not in [0, 1)", in->radiative_fraction);
    if (!isfinite(in->vessel_pressure_pa) || in->vessel_pressure_pa < 0 ||
        in->vessel_pressure_pa > 1e8)
        return cq_fail(err, errlen, "vessel_pressure_pa: %g not in [0, 1e8]",
                       in->vessel_pressure_pa);
    if (!isfinite(in->centre_height_m) || in->centre_height_m < 0 || in->centre_height_m > 1e4)
        return cq_fail(err, errlen, "centre_height_m: %g not in [0, 1e4]", in->centre_height_m);

    if (in->method == CQ_FIREBALL_CCPS) {
        /* CCPS99 [reference section 4] */
        out->diameter_m = 5.8 * cbrt(m);
        out->duration_s = m < 30000 ? 0.45 * cbrt(m) : 2.6 * pow(m, 1.0 / 6.0);
    } else {
        /* TNO Yellow Book [AK10 pp. 100-104, C-2.35, C-2.36] */
        out->diameter_m = 6.48 * pow(m, 0.325);
        out->duration_s = 0.852 * pow(m, 0.26);
    }
    out->centre_height_m = in->centre_height_m > 0 ? in->centre_height_m : 0.75 * out->diameter_m;
    if (in->radiative_fraction > 0) {
        out->radiative_fraction = in->radiative_fraction;
    } else if (in->vessel_pressure_pa > 0) {
        out->radiative_fraction = 0.00325 * pow(in->vessel_pressure_pa, 0.32); /* Roberts */
        if (out->radiative_fraction > 0.4) out->flags |= CQ_FLAG_EXTRAPOLATED;
    } else {
        out->radiative_fraction = CQ_FIREBALL_RADIATIVE_FRACTION;
    }
    out->sep_w_m2 = out->radiative_fraction * m * fuel->heat_combustion_j_kg /
                    (M_PI * out->diameter_m * out->diameter_m * out->duration_s);
    return CQ_OK;
}

double cq_fireball_flux(const cq_fireball *fb, double distance_m, unsigned *flags) {
    if (!fb || !isfinite(distance_m) || distance_m < 0 || !(fb->diameter_m > 0)) return NAN;
    double r = fb->diameter_m / 2, x = distance_m;
    double l = hypot(x, fb->centre_height_m);
    unsigned fl = fb->flags;
    double q;
    if (l <= r) {
        fl |= CQ_FLAG_INSIDE;
        q = fb->sep_w_m2;
    } else {
        if (x < r) fl |= CQ_FLAG_EXTRAPOLATED;
        double f = r * r * x / (l * l * l);
        q = fb->sep_w_m2 * f * cq_transmissivity(&fb->air, l - r);
    }
    if (flags) *flags |= fl;
    return q;
}

static double fireball_flux(const void *model, double x_m, unsigned *flags) {
    return cq_fireball_flux(model, x_m, flags);
}

int cq_fireball_zones(const cq_fireball *fb, cq_zones *out) {
    if (!fb || !out || !(fb->diameter_m > 0)) return CQ_EINVAL;
    /* The flux rises from 0 below the centre to its peak near H/sqrt 2. */
    cqf_zones(fireball_flux, fb, fmin(0.1, 1e-3 * fb->diameter_m), 0,
              fmax(fb->centre_height_m, fb->diameter_m), out);
    return CQ_OK;
}

/* ==== thermal dose and probit ============================================ */

double cq_thermal_dose(double flux_w_m2, double exposure_s) {
    if (!isfinite(flux_w_m2) || !isfinite(exposure_s)) return NAN;
    if (flux_w_m2 <= 0 || exposure_s <= 0) return 0;
    return exposure_s * pow(flux_w_m2, 4.0 / 3.0);
}

double cq_thermal_probit_lethal(double flux_w_m2, double exposure_s) {
    double v = cq_thermal_dose(flux_w_m2, exposure_s);
    if (isnan(v)) return NAN;
    if (v <= 0) return 0;
    double y = -38.48 + 2.56 * log(v); /* Eisenberg [HyRAM], reference section 8 */
    return 0.5 * erfc(-(y - 5) / M_SQRT2);
}
