/*
 * fire.c - the pool fire (reference section 2) and what the three fire
 * models share: the air check, the view factors of a cylindrical flame and
 * the threat-zone search. Jet fire and fireball are in fireball.c.
 *
 * The pool fire is the solid-flame model: a cylinder of the pool's
 * diameter D and flame length H, upright in still air and tilted downwind
 * by the AGA angle in wind, radiating a uniform surface emissive power
 * (SEP) E, so that a target at ground level receives q = E F tau. Each
 * step has more than one published correlation; the rules that pick one
 * are fixed here and written in consequence.h and
 * docs/consequence-models.md ("Fires"):
 *   burning rate  Babrauskas m''_inf (1 - exp(-k beta D)) where the fuel
 *                 table has m''_inf (a measured, diameter-dependent rate),
 *                 else Burgess 1e-3 dHc/dH* with dH* = dHv + cp (Tb - Ta),
 *                 the sensible term dropped when Tb < Ta (a liquefied gas
 *                 boils at Tb: there is nothing to heat).
 *   flame length  Thomas with wind (CCPS: 55 D x^0.67 u*^-0.21) where
 *                 u* > 1, Thomas in still air (42 D x^0.61) otherwise: u*
 *                 is clipped at 1 because below it the wind does not
 *                 move the flame, so the still-air fit is the one to use.
 *                 The two differ by a few per cent at u* = 1.
 *   tilt          AGA: cos theta = u*^-1/2 for u* > 1.
 *   SEP           the energy balance eta m'' dHc / (1 + 4 H/D) (the
 *                 radiated power spread over the side and top), and for a
 *                 sooty fuel Mudan & Croce's 140 e^(-0.12 D) + 20 (1 -
 *                 e^(-0.12 D)) kW/m2 where that is lower: smoke can only
 *                 hide flame, and for large sooty pools it does. The
 *                 switch is continuous in D, where fireSIM's "D > 15 m"
 *                 jumps by a factor of three for gasoline.
 *   view factor   Mudan's closed form for the upright cylinder; for a
 *                 tilted flame, Gauss-Legendre quadrature over the visible
 *                 side of the sheared cylinder towards a downwind target
 *                 (the tests check it against the closed form at zero
 *                 tilt). A ground-level target sees the side only.
 *
 * The quadrature: for the sheared cylinder P(phi, z) = (R cos phi + z
 * tan theta, R sin phi, z) and a target at (L, 0, 0), the side's normal
 * N = (R cos phi, R sin phi, -R tan theta cos phi) gives N.(T - P) =
 * R (L cos phi - R): the visible part is cos phi > R/L at every height,
 * so the integral runs over phi in [0, acos(R/L)] (twice, by symmetry) and
 * z in [0, H cos theta], on panels that double in width away from the
 * point nearest the target, 8 Gauss points each.
 */
#include "consequence/consequence.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "consequence/internal_fires.h"

/* ==== shared ============================================================= */

int cqf_air_check(const cq_air *air, cq_air *out, char *err, size_t errlen) {
    if (!air) return cq_fail(err, errlen, "air: NULL");
    if (!isfinite(air->temp_k) || air->temp_k < 223.15 || air->temp_k > 333.15)
        return cq_fail(err, errlen, "air.temp_k: %g not in [223.15, 333.15] K", air->temp_k);
    if (!isfinite(air->pressure_pa) ||
        (air->pressure_pa != 0 && (air->pressure_pa < 5e4 || air->pressure_pa > 1.1e5)))
        return cq_fail(err, errlen, "air.pressure_pa: %g not 0 or in [50, 110] kPa",
                       air->pressure_pa);
    if (!isfinite(air->relative_humidity) || air->relative_humidity < 0 ||
        air->relative_humidity > 1)
        return cq_fail(err, errlen, "air.relative_humidity: %g not in [0, 1]",
                       air->relative_humidity);
    if (!isfinite(air->wind_m_s) || air->wind_m_s < 0 || air->wind_m_s > 50)
        return cq_fail(err, errlen, "air.wind_m_s: %g not in [0, 50] m/s", air->wind_m_s);
    *out = *air;
    if (out->pressure_pa == 0) out->pressure_pa = CQ_P_ATM;
    return CQ_OK;
}

double cqf_gas_density(const cq_air *air, double m_kg_mol, double temp_k) {
    double p = air->pressure_pa > 0 ? air->pressure_pa : CQ_P_ATM;
    return p * m_kg_mol / (CQ_R_GAS * temp_k);
}

/* ---- threat zones -------------------------------------------------------- */

#define ZONE_STEP 1.02

void cqf_zones(cqf_flux_fn flux, const void *model, double x_start_m, double inside_flux,
               double x_tail_m, cq_zones *out) {
    const double level[3] = {CQ_THERMAL_RED_W_M2, CQ_THERMAL_ORANGE_W_M2, CQ_THERMAL_YELLOW_W_M2};
    double lowest = fmin(level[0], fmin(level[1], level[2]));
    double zone[3], lo[3], hi[3];
    bool bracket[3] = {false, false, false};
    for (int k = 0; k < 3; k++) zone[k] = inside_flux >= level[k] ? x_start_m : 0;

    double xa = x_start_m, qa = flux(model, xa, NULL);
    while (xa < CQ_RANGE_MAX_M) {
        double xb = fmin(xa * ZONE_STEP, CQ_RANGE_MAX_M);
        double qb = flux(model, xb, NULL);
        for (int k = 0; k < 3; k++)
            if (qa >= level[k] && qb < level[k]) lo[k] = xa, hi[k] = xb, bracket[k] = true;
        xa = xb, qa = qb;
        if (xa >= x_tail_m && qa < lowest) break;
    }

    unsigned flags = 0;
    for (int k = 0; k < 3; k++) {
        if (xa >= CQ_RANGE_MAX_M && qa >= level[k]) {
            zone[k] = CQ_RANGE_MAX_M;
            flags |= CQ_FLAG_CAPPED;
        } else if (bracket[k]) {
            double a = lo[k], b = hi[k];
            for (int it = 0; it < 200 && b - a > 1e-10 * b; it++) {
                double m = 0.5 * (a + b);
                if (flux(model, m, NULL) >= level[k])
                    a = m;
                else
                    b = m;
            }
            zone[k] = fmax(zone[k], a);
        }
        if (zone[k] > 0) flux(model, zone[k], &flags);
    }
    out->red_m = zone[0], out->orange_m = zone[1], out->yellow_m = zone[2];
    out->red_level = level[0], out->orange_level = level[1], out->yellow_level = level[2];
    out->flags = flags;
}

/* ==== view factors ======================================================= */

double cq_view_factor_cylinder(double radius_m, double height_m, double distance_m, double *f_v,
                               double *f_h) {
    if (!(radius_m > 0) || !(height_m > 0) || !isfinite(radius_m) || !isfinite(height_m) ||
        !isfinite(distance_m) || !(distance_m > radius_m))
        return NAN;
    /* Mudan 1984, reference section 2 (verified there numerically). */
    double s = distance_m / radius_m, h = height_m / radius_m;
    double a = (h * h + s * s + 1) / (2 * s), b = (1 + s * s) / (2 * s);
    double sa = sqrt(a * a - 1), sb = sqrt(b * b - 1);
    double at_a = atan(sqrt((a + 1) * (s - 1) / ((a - 1) * (s + 1))));
    double at_b = atan(sqrt((b + 1) * (s - 1) / ((b - 1) * (s + 1))));
    double fv = atan(h / sqrt(s * s - 1)) / (M_PI * s) -
                h / (M_PI * s) * atan(sqrt((s - 1) / (s + 1))) + a * h / (M_PI * s * sa) * at_a;
    double fh = (b - 1 / s) / (M_PI * sb) * at_b - (a - 1 / s) / (M_PI * sa) * at_a;
    if (f_v) *f_v = fv;
    if (f_h) *f_h = fh;
    return sqrt(fv * fv + fh * fh);
}

/* 8-point Gauss-Legendre on [-1, 1]. */
static const double gl_x[8] = {-0.9602898564975363, -0.7966664774136267, -0.5255324099163290,
                               -0.1834346424956498, 0.1834346424956498,  0.5255324099163290,
                               0.7966664774136267,  0.9602898564975363};
static const double gl_w[8] = {0.1012285362903763, 0.2223810344533745, 0.3137066458778873,
                               0.3626837833783620, 0.3626837833783620, 0.3137066458778873,
                               0.2223810344533745, 0.1012285362903763};

#define MAX_PANELS 128

/* Panel edges on [lo, hi], doubling in width away from focus (clamped to
 * the interval), the first panels w0 wide. Returns the number of edges. */
static int graded_edges(double lo, double hi, double focus, double w0, double *edge) {
    focus = fmin(fmax(focus, lo), hi);
    if (!(w0 > 0)) w0 = hi - lo;
    double left[MAX_PANELS / 2], right[MAX_PANELS / 2];
    int nl = 0, nr = 0;
    for (double w = w0, x = focus; x > lo && nl < MAX_PANELS / 2 - 1; w *= 2) {
        x = x - w <= lo || nl == MAX_PANELS / 2 - 2 ? lo : x - w;
        left[nl++] = x;
    }
    for (double w = w0, x = focus; x < hi && nr < MAX_PANELS / 2 - 1; w *= 2) {
        x = x + w >= hi || nr == MAX_PANELS / 2 - 2 ? hi : x + w;
        right[nr++] = x;
    }
    int n = 0;
    for (int i = nl - 1; i >= 0; i--) edge[n++] = left[i];
    edge[n++] = focus;
    for (int i = 0; i < nr; i++) edge[n++] = right[i];
    return n;
}

/* The geometry of one tilted-flame view factor. */
typedef struct tilted {
    double r, l, t, ct; /* radius, target distance, tan and cos of the tilt */
} tilted;

/* Integrands over z at one phi: d = T - P, weight (N.d) c / (pi |d|^4),
 * c = d_x (vertical element facing the flame) or z (horizontal, facing up). */
static double inner(const tilted *g, double cphi, double sphi, double z_hi, bool vertical) {
    if (!(z_hi > 0)) return 0;
    double a = g->l - g->r * cphi; /* d_x at z = 0 */
    double nd = g->r * (g->l * cphi - g->r);
    double edge[MAX_PANELS + 1];
    /* nearest approach along z: (a - z t)^2 + z^2 is least at z = a t ct^2 */
    double zf = a * g->t * g->ct * g->ct, scale = fmax(fabs(a) * g->ct, 1e-9 * g->r);
    int n = graded_edges(0, z_hi, zf, 0.5 * scale, edge);
    double sum = 0;
    for (int p = 0; p + 1 < n; p++) {
        double half = 0.5 * (edge[p + 1] - edge[p]), mid = 0.5 * (edge[p + 1] + edge[p]);
        for (int i = 0; i < 8; i++) {
            double z = mid + half * gl_x[i];
            double dx = a - z * g->t, dy = -g->r * sphi;
            double d2 = dx * dx + dy * dy + z * z;
            double c = vertical ? dx : z;
            sum += gl_w[i] * half * nd * c / (M_PI * d2 * d2);
        }
    }
    return sum;
}

double cq_view_factor_tilted(double radius_m, double height_m, double tilt_rad, double distance_m,
                             double *f_v, double *f_h) {
    if (!(radius_m > 0) || !(height_m > 0) || !isfinite(radius_m) || !isfinite(height_m) ||
        !isfinite(tilt_rad) || tilt_rad < 0 || tilt_rad >= M_PI / 2 || !isfinite(distance_m) ||
        !(distance_m > radius_m))
        return NAN;
    tilted g = {.r = radius_m, .l = distance_m, .t = tan(tilt_rad), .ct = cos(tilt_rad)};
    double z_top = height_m * g.ct;
    double phi0 = acos(radius_m / distance_m);
    double edge[MAX_PANELS + 1];
    int n = graded_edges(0, phi0, 0, 0.5 * (distance_m - radius_m) / radius_m, edge);
    double fv = 0, fh = 0;
    for (int p = 0; p + 1 < n; p++) {
        double half = 0.5 * (edge[p + 1] - edge[p]), mid = 0.5 * (edge[p + 1] + edge[p]);
        for (int i = 0; i < 8; i++) {
            double phi = mid + half * gl_x[i], c = cos(phi), s = sin(phi);
            /* the vertical element sees only flame in front of its plane */
            double zv = g.t > 0 ? fmin(z_top, (distance_m - radius_m * c) / g.t) : z_top;
            fv += 2 * gl_w[i] * half * inner(&g, c, s, zv, true);
            fh += 2 * gl_w[i] * half * inner(&g, c, s, z_top, false);
        }
    }
    if (f_v) *f_v = fv;
    if (f_h) *f_h = fh;
    return sqrt(fv * fv + fh * fh);
}

/* ==== pool fire ========================================================== */

double cq_pool_burning_rate(const cq_fuel *fuel, double diameter_m, double ambient_k,
                            cq_burn_model *model) {
    if (!fuel || !isfinite(diameter_m) || !(diameter_m > 0) || !isfinite(ambient_k)) return NAN;
    if (fuel->burning_rate_inf_kg_m2_s > 0) {
        /* Babrauskas (Zabetakis-Burgess), reference section 2 [AK10 p. 81] */
        if (model) *model = CQ_BURN_BABRAUSKAS;
        double kb = fuel->k_beta_per_m;
        double f = isinf(kb) ? 1.0 : -expm1(-kb * diameter_m);
        return fuel->burning_rate_inf_kg_m2_s * f;
    }
    /* Burgess/Mudan [AK10 pp. 81-83]: dH* = dHv + cp (Tb - Ta), the
     * sensible term dropped when Tb < Ta. */
    double dhv = fuel->heat_vaporisation_j_kg;
    if (!(dhv > 0) || !(fuel->heat_combustion_j_kg > 0)) return NAN;
    double dh = dhv;
    if (fuel->boiling_point_k > ambient_k) {
        if (!(fuel->cp_liquid_j_kg_k > 0)) return NAN;
        dh += fuel->cp_liquid_j_kg_k * (fuel->boiling_point_k - ambient_k);
    }
    if (model) *model = CQ_BURN_BURGESS;
    return 1.0e-3 * fuel->heat_combustion_j_kg / dh;
}

static bool nonneg(double x) {
    return isfinite(x) && x >= 0;
}

int cq_pool_fire_model(const cq_pool_fire_in *in, const cq_air *air, cq_pool_fire *out, char *err,
                       size_t errlen) {
    if (!in || !out) return cq_fail(err, errlen, "pool fire: NULL input or output");
    memset(out, 0, sizeof *out);
    int rc = cqf_air_check(air, &out->air, err, errlen);
    if (rc != CQ_OK) return rc;
    const cq_fuel *fuel = in->fuel;
    if (!fuel) return cq_fail(err, errlen, "fuel: NULL");
    if (!(fuel->heat_combustion_j_kg > 0) || !(fuel->molar_mass_kg_mol > 0) ||
        !(fuel->boiling_point_k > 0))
        return cq_fail(err, errlen, "fuel %s: no heat of combustion, molar mass or Tb", fuel->name);
    if (!nonneg(in->diameter_m) || !nonneg(in->dike_area_m2) || !nonneg(in->spill_volume_m3) ||
        !nonneg(in->depth_m))
        return cq_fail(err, errlen, "pool: diameter, dike area, volume and depth must be >= 0");
    if (!nonneg(in->burning_rate_kg_m2_s) || in->burning_rate_kg_m2_s > 1)
        return cq_fail(err, errlen, "burning_rate_kg_m2_s: %g not in [0, 1]",
                       in->burning_rate_kg_m2_s);
    if (!nonneg(in->sep_w_m2) || in->sep_w_m2 > 1e6)
        return cq_fail(err, errlen, "sep_w_m2: %g not in [0, 1e6]", in->sep_w_m2);
    if (!nonneg(in->radiative_fraction) || in->radiative_fraction >= 1)
        return cq_fail(err, errlen, "radiative_fraction: %g not in [0, 1)", in->radiative_fraction);

    /* Pool diameter, reference section 2 [RAPIDN est. 602, est. 16]. */
    double d = in->diameter_m;
    if (d == 0) {
        double depth = in->depth_m > 0 ? in->depth_m : CQ_POOL_DEPTH_DEFAULT_M;
        if (depth < 1e-4 || depth > 10)
            return cq_fail(err, errlen, "depth_m: %g not in [1e-4, 10] m", depth);
        double area = INFINITY;
        if (in->dike_area_m2 > 0) area = in->dike_area_m2;
        if (in->spill_volume_m3 > 0) area = fmin(area, in->spill_volume_m3 / depth);
        if (isinf(area))
            return cq_fail(err, errlen, "pool: none of diameter, dike area or volume given");
        d = sqrt(4 * area / M_PI);
    }
    if (!(d >= 0.01 && d <= 2000))
        return cq_fail(err, errlen, "pool diameter %g m not in [0.01, 2000] m", d);
    if (d < 1 || d > 100) out->flags |= CQ_FLAG_EXTRAPOLATED;
    out->diameter_m = d;

    /* Burning rate. */
    double ta = out->air.temp_k;
    double m = in->burning_rate_kg_m2_s;
    out->burn_model = CQ_BURN_GIVEN;
    if (m == 0) {
        m = cq_pool_burning_rate(fuel, d, ta, &out->burn_model);
        if (!(m > 0))
            return cq_fail(err, errlen, "fuel %s: no liquid data for a burning rate", fuel->name);
    }
    out->burning_rate_kg_m2_s = m;
    out->heat_release_w = m * M_PI * d * d / 4 * fuel->heat_combustion_j_kg;

    /* Flame length and tilt [AK10 p. 86; CCPS99]. */
    double rho_a = cqf_gas_density(&out->air, CQF_M_AIR, ta);
    double rho_v = cqf_gas_density(&out->air, fuel->molar_mass_kg_mol, fuel->boiling_point_k);
    out->air_density_kg_m3 = rho_a, out->vapour_density_kg_m3 = rho_v;
    double x = m / (rho_a * sqrt(CQ_G * d));
    double u_star = out->air.wind_m_s / cbrt(CQ_G * m * d / rho_v);
    if (u_star > 1) {
        out->wind_form = true;
        out->u_star = u_star;
        out->flame_length_m = 55 * d * pow(x, 0.67) * pow(u_star, -0.21);
        out->tilt_rad = in->vertical ? 0 : acos(1 / sqrt(u_star));
    } else {
        out->u_star = 1;
        out->flame_length_m = 42 * d * pow(x, 0.61);
        out->tilt_rad = 0;
    }

    /* Surface emissive power [AK10 p. 90]. */
    if (in->sep_w_m2 > 0) {
        out->sep_w_m2 = in->sep_w_m2;
        out->sep_model = CQ_SEP_GIVEN;
    } else {
        double eta =
            in->radiative_fraction > 0 ? in->radiative_fraction : CQ_POOL_RADIATIVE_FRACTION;
        double e = eta * m * fuel->heat_combustion_j_kg / (1 + 4 * out->flame_length_m / d);
        out->sep_model = CQ_SEP_RADIATIVE_FRACTION;
        if (fuel->sooty) {
            double k = exp(-CQ_POOL_MUDAN_S_PER_M * d);
            double e_mc = CQ_POOL_MUDAN_E_MAX_W_M2 * k + CQ_POOL_MUDAN_E_SOOT_W_M2 * (1 - k);
            if (e_mc < e) e = e_mc, out->sep_model = CQ_SEP_MUDAN_CROCE;
        }
        out->sep_w_m2 = e;
    }
    return CQ_OK;
}

double cq_pool_fire_flux(const cq_pool_fire *pf, double distance_m, unsigned *flags) {
    if (!pf || !isfinite(distance_m) || distance_m < 0 || !(pf->diameter_m > 0)) return NAN;
    double r = pf->diameter_m / 2;
    unsigned fl = pf->flags;
    double q;
    if (distance_m <= r) {
        fl |= CQ_FLAG_INSIDE;
        q = pf->sep_w_m2;
    } else {
        double f =
            pf->tilt_rad > 0
                ? cq_view_factor_tilted(r, pf->flame_length_m, pf->tilt_rad, distance_m, NULL, NULL)
                : cq_view_factor_cylinder(r, pf->flame_length_m, distance_m, NULL, NULL);
        q = pf->sep_w_m2 * f * cq_transmissivity(&pf->air, distance_m - r);
    }
    if (flags) *flags |= fl;
    return q;
}

static double pool_flux(const void *model, double x_m, unsigned *flags) {
    return cq_pool_fire_flux(model, x_m, flags);
}

int cq_pool_fire_zones(const cq_pool_fire *pf, cq_zones *out) {
    if (!pf || !out || !(pf->diameter_m > 0)) return CQ_EINVAL;
    double r = pf->diameter_m / 2;
    /* Past the flame's downwind reach the flux only falls. */
    double tail = 2 * (r + pf->flame_length_m * sin(pf->tilt_rad));
    cqf_zones(pool_flux, pf, r * (1 + 1e-4), pf->sep_w_m2, tail, out);
    return CQ_OK;
}
