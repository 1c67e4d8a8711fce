/*
 * explosion.c - vapour cloud explosion blast (TNT equivalence with the
 * Kingery-Bulmash surface-burst and Kinney-Graham free-air curves, the
 * EPA RMP screening distance, the citable part of TNO Multi-Energy) and the
 * overpressure probits. Formulas, sources and limits: consequence.h and
 * docs/reference/consequence-models.md sections 5 and 8.
 */
#include <math.h>
#include <stddef.h>

#include "consequence/consequence.h"
#include "consequence/internal_blast.h"

/* ---- the two TNT curves -------------------------------------------------- */

/* Simplified Kingery-Bulmash hemispherical surface burst, incident pressure
 * [Swisdak 1994 via tangos blast_model.py]: ln(P/kPa) = sum c_k (ln Z)^k on
 * Z <= 2.9, 2.9 < Z <= 23.8, Z > 23.8. */
#define KB_PIECES 3
static const double kb_upper[KB_PIECES] = {2.9, 23.8, INFINITY};
static const double kb_coef[KB_PIECES][5] = {
    {7.2106, -2.1069, -0.3229, 0.1117, 0.0685},
    {7.5938, -3.0523, 0.40977, 0.0261, -0.01267},
    {6.0536, -1.4066, 0, 0, 0},
};

static double kb_piece_pa(int piece, double z) {
    const double *c = kb_coef[piece];
    double l = log(z);
    return 1e3 * exp(c[0] + l * (c[1] + l * (c[2] + l * (c[3] + l * c[4]))));
}

static int kb_piece_of(double z) {
    int i = 0;
    while (i < KB_PIECES - 1 && z > kb_upper[i]) i++;
    return i;
}

/* Kinney & Graham free-air spherical burst, 808 form [KG85 via Guzas &
 * Earls 2010 eq. 5]. */
static double kg_pa(double z, double p0) {
    double a = z / 0.048, b = z / 0.32, c = z / 1.35, d = z / 4.5;
    return p0 * 808.0 * (1 + d * d) / (sqrt(1 + a * a) * sqrt(1 + b * b) * sqrt(1 + c * c));
}

static double curve_pa(cq_blast_curve curve, double z, double p0) {
    return curve == CQ_BLAST_SURFACE_KB ? kb_piece_pa(kb_piece_of(z), z) : kg_pa(z, p0);
}

/* One monotone (decreasing) piece of a curve: pressure at z. */
static double piece_pa(cq_blast_curve curve, int piece, double z, double p0) {
    return curve == CQ_BLAST_SURFACE_KB ? kb_piece_pa(piece, z) : kg_pa(z, p0);
}

static int curve_ok(cq_blast_curve curve) {
    return curve == CQ_BLAST_SURFACE_KB || curve == CQ_BLAST_FREE_AIR_KG;
}

static void range_flag(double z, unsigned *flags) {
    if (z < CQ_BLAST_Z_MIN || z > CQ_BLAST_Z_MAX) cq_flag(flags, CQ_FLAG_EXTRAPOLATED);
}

int cq_tnt_mass(double fuel_kg, double dhc_j_kg, double yield, double *w_tnt_kg, char *err,
                size_t errcap) {
    if (!cq_positive(fuel_kg)) return cq_fail(err, errcap, "fuel_kg must be > 0");
    if (!cq_positive(dhc_j_kg)) return cq_fail(err, errcap, "dhc_j_kg must be > 0");
    if (!cq_positive(yield) || yield > 1) return cq_fail(err, errcap, "yield must be in (0, 1]");
    if (!w_tnt_kg) return cq_fail(err, errcap, "w_tnt_kg is NULL");
    *w_tnt_kg = yield * fuel_kg * dhc_j_kg / CQ_E_TNT;
    return CQ_OK;
}

int cq_blast_overpressure_z(cq_blast_curve curve, double z, double p0_pa, double *dp_pa,
                            unsigned *flags, char *err, size_t errcap) {
    double p0;
    if (!curve_ok(curve)) return cq_fail(err, errcap, "curve %d is not a blast curve", curve);
    if (!cq_positive(z)) return cq_fail(err, errcap, "z must be > 0");
    if (!cqb_pressure(p0_pa, &p0)) return cq_fail(err, errcap, "p0_pa must be > 0 (or 0)");
    if (!dp_pa) return cq_fail(err, errcap, "dp_pa is NULL");
    *dp_pa = curve_pa(curve, z, p0);
    range_flag(z, flags);
    return CQ_OK;
}

int cq_tnt_overpressure(cq_blast_curve curve, double w_tnt_kg, double distance_m, double p0_pa,
                        double *dp_pa, unsigned *flags, char *err, size_t errcap) {
    if (!cq_positive(w_tnt_kg)) return cq_fail(err, errcap, "w_tnt_kg must be > 0");
    if (!cq_positive(distance_m)) return cq_fail(err, errcap, "distance_m must be > 0");
    return cq_blast_overpressure_z(curve, distance_m / cbrt(w_tnt_kg), p0_pa, dp_pa, flags, err,
                                   errcap);
}

/* Bisection in ln z on one decreasing piece, lo where p >= level. */
static double bisect_piece(cq_blast_curve curve, int piece, double lo, double hi, double level,
                           double p0) {
    for (int i = 0; i < 200 && hi / lo > 1 + 1e-13; i++) {
        double mid = sqrt(lo * hi);
        if (piece_pa(curve, piece, mid, p0) >= level)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* The largest z <= zcap with p(z) >= level, given p(Z_MIN) >= level >
 * p(zcap): the pieces are searched from the far end, and the first whose
 * near end reaches the level holds the farthest crossing. */
static double farthest_z(cq_blast_curve curve, double level, double p0, double zcap) {
    int pieces = curve == CQ_BLAST_SURFACE_KB ? KB_PIECES : 1;
    for (int i = pieces - 1; i >= 0; i--) {
        double a = i == 0 ? CQ_BLAST_Z_MIN : kb_upper[i - 1];
        double b = curve == CQ_BLAST_SURFACE_KB ? kb_upper[i] : INFINITY;
        if (a >= zcap) continue;
        if (b > zcap) b = zcap;
        /* The near end of piece i > 0 belongs to piece i - 1: look just past it. */
        double a_in = i == 0 ? a : a * (1 + 1e-12);
        if (piece_pa(curve, i, a_in, p0) < level) continue;
        if (piece_pa(curve, i, b, p0) >= level) return b;
        return bisect_piece(curve, i, a_in, b, level, p0);
    }
    return CQ_BLAST_Z_MIN; /* not reached: p(Z_MIN) >= level */
}

int cq_tnt_distance(cq_blast_curve curve, double w_tnt_kg, double dp_pa, double p0_pa,
                    double *distance_m, unsigned *flags, char *err, size_t errcap) {
    double p0;
    if (!curve_ok(curve)) return cq_fail(err, errcap, "curve %d is not a blast curve", curve);
    if (!cq_positive(w_tnt_kg)) return cq_fail(err, errcap, "w_tnt_kg must be > 0");
    if (!cq_positive(dp_pa)) return cq_fail(err, errcap, "dp_pa must be > 0");
    if (!cqb_pressure(p0_pa, &p0)) return cq_fail(err, errcap, "p0_pa must be > 0 (or 0)");
    if (!distance_m) return cq_fail(err, errcap, "distance_m is NULL");
    double top = curve_pa(curve, CQ_BLAST_Z_MIN, p0);
    if (dp_pa > top)
        return cq_fail(err, errcap,
                       "dp_pa %.6g Pa is above the curve's %.6g Pa at its nearest Z %.2g", dp_pa,
                       top, CQ_BLAST_Z_MIN);
    double w3 = cbrt(w_tnt_kg);
    double zcap = CQ_RANGE_MAX_M / w3;
    double z;
    if (zcap <= CQ_BLAST_Z_MIN || curve_pa(curve, zcap, p0) >= dp_pa) {
        z = zcap;
        cq_flag(flags, CQ_FLAG_CAPPED);
    } else {
        z = farthest_z(curve, dp_pa, p0, zcap);
    }
    range_flag(z, flags);
    *distance_m = z * w3;
    return CQ_OK;
}

int cq_tnt_zones(cq_blast_curve curve, double w_tnt_kg, double p0_pa, cq_zones *zones, char *err,
                 size_t errcap) {
    if (!zones) return cq_fail(err, errcap, "zones is NULL");
    cq_zones z = {.red_level = CQ_OVERPRESSURE_RED_PA,
                  .orange_level = CQ_OVERPRESSURE_ORANGE_PA,
                  .yellow_level = CQ_OVERPRESSURE_YELLOW_PA};
    int rc = cq_tnt_distance(curve, w_tnt_kg, z.red_level, p0_pa, &z.red_m, &z.flags, err, errcap);
    if (rc == CQ_OK)
        rc = cq_tnt_distance(curve, w_tnt_kg, z.orange_level, p0_pa, &z.orange_m, &z.flags, err,
                             errcap);
    if (rc == CQ_OK)
        rc = cq_tnt_distance(curve, w_tnt_kg, z.yellow_level, p0_pa, &z.yellow_m, &z.flags, err,
                             errcap);
    if (rc != CQ_OK) return rc;
    *zones = z;
    return CQ_OK;
}

int cq_rmp_vce_distance(double fuel_kg, double dhc_j_kg, double *distance_m, char *err,
                        size_t errcap) {
    if (!cq_positive(fuel_kg)) return cq_fail(err, errcap, "fuel_kg must be > 0");
    if (!cq_positive(dhc_j_kg)) return cq_fail(err, errcap, "dhc_j_kg must be > 0");
    if (!distance_m) return cq_fail(err, errcap, "distance_m is NULL");
    *distance_m = 17.0 * cbrt(0.1 * fuel_kg * dhc_j_kg / 4.68e6);
    return CQ_OK;
}

/* ---- TNO Multi-Energy: energy, scaling, class source overpressures ------- */

/* dP'0 of classes 1..10 [neqsim VCEModel]. */
static const double me_class_dp[10] = {0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10};

int cq_me_energy_from_volume(double v_m3, double *energy_j, char *err, size_t errcap) {
    if (!cq_positive(v_m3)) return cq_fail(err, errcap, "v_m3 must be > 0");
    if (!energy_j) return cq_fail(err, errcap, "energy_j is NULL");
    *energy_j = v_m3 * CQ_ME_ENERGY_DENSITY_J_M3;
    return CQ_OK;
}

int cq_me_class_overpressure(int strength_class, double *dp_ratio, char *err, size_t errcap) {
    if (strength_class < 1 || strength_class > 10)
        return cq_fail(err, errcap, "strength_class %d is not 1..10", strength_class);
    if (!dp_ratio) return cq_fail(err, errcap, "dp_ratio is NULL");
    *dp_ratio = me_class_dp[strength_class - 1];
    return CQ_OK;
}

int cq_me_scaled_distance(double distance_m, double energy_j, double p0_pa, double *r_scaled,
                          char *err, size_t errcap) {
    double p0;
    if (!(isfinite(distance_m) && distance_m >= 0))
        return cq_fail(err, errcap, "distance_m must be >= 0");
    if (!cq_positive(energy_j)) return cq_fail(err, errcap, "energy_j must be > 0");
    if (!cqb_pressure(p0_pa, &p0)) return cq_fail(err, errcap, "p0_pa must be > 0 (or 0)");
    if (!r_scaled) return cq_fail(err, errcap, "r_scaled is NULL");
    *r_scaled = distance_m / cbrt(energy_j / p0);
    return CQ_OK;
}

int cq_me_charge_radius(double energy_j, double *r0_m, char *err, size_t errcap) {
    if (!cq_positive(energy_j)) return cq_fail(err, errcap, "energy_j must be > 0");
    if (!r0_m) return cq_fail(err, errcap, "r0_m is NULL");
    double v = energy_j / CQ_ME_ENERGY_DENSITY_J_M3;
    *r0_m = cbrt(3 * v / (2 * M_PI));
    return CQ_OK;
}

int cq_me_overpressure(int strength_class, double energy_j, double distance_m, double p0_pa,
                       double *dp_pa, char *err, size_t errcap) {
    double ratio = 0, r0 = 0, rs = 0, p0 = CQ_P_ATM;
    int rc = cq_me_class_overpressure(strength_class, &ratio, err, errcap);
    if (rc == CQ_OK) rc = cq_me_scaled_distance(distance_m, energy_j, p0_pa, &rs, err, errcap);
    if (rc == CQ_OK) rc = cq_me_charge_radius(energy_j, &r0, err, errcap);
    if (rc != CQ_OK) return rc;
    cqb_pressure(p0_pa, &p0);
    if (!dp_pa) return cq_fail(err, errcap, "dp_pa is NULL");
    if (distance_m > r0)
        return cq_fail(err, errcap,
                       "distance_m %.6g m is beyond the charge radius %.6g m: the Multi-Energy "
                       "blast curves are not available (no citable source); use the TNT curves",
                       distance_m, r0);
    *dp_pa = ratio * p0;
    return CQ_OK;
}

/* ---- overpressure probits (reference section 8) ---------------------------- */

static const double probit_k[4][2] = {
    {-77.1, 6.91}, /* lung haemorrhage death, Eisenberg [HyRAM] */
    {-15.6, 1.93}, /* eardrum rupture (Baker 1983 via a secondary code) */
    {-23.8, 2.92}, /* structural damage (API 581 via a secondary code) */
    {-18.1, 2.79}, /* glass breakage (unconfirmed) */
};

int cq_blast_probit(cq_blast_effect effect, double dp_pa, double *y, double *p, char *err,
                    size_t errcap) {
    if ((int)effect < 0 || (int)effect > 3)
        return cq_fail(err, errcap, "effect %d is not a blast effect", (int)effect);
    if (!cq_positive(dp_pa)) return cq_fail(err, errcap, "dp_pa must be > 0");
    double yy = probit_k[effect][0] + probit_k[effect][1] * log(dp_pa);
    if (y) *y = yy;
    if (p) *p = 0.5 * (1 + erf((yy - 5) / sqrt(2.0)));
    return CQ_OK;
}
