/*
 * dispersion.c - the dispersion options of the Gaussian models: stability
 * classes with the split classes as values, four sigma sets (Briggs rural
 * and urban, Pasquill-Gifford by Turner's fits, ISC3 rural) and the
 * power-law wind profile. Reference section 9; the API is consequence.h.
 *
 * Every set is a function of one plain class (A..F) and x; a split class
 * (A-B, B-C, C-D) is the geometric mean of its neighbours, Parkwatch's
 * rule. The coefficient tables are copied from the reference, which took
 * them from GasDispersion.jl (briggs.jl, turner.jl, isc3.jl, irwin.jl).
 */
#include <math.h>
#include <stddef.h>

#include "consequence/consequence.h"
#include "consequence/internal_source.h"

/* The six plain classes, the index of the tables below. */
enum { PA, PB, PC, PD, PE, PF, N_PLAIN };

/* ---- stability classes --------------------------------------------------- */

const char *cq_stability_name(cq_stability cls) {
    static const char *const names[CQ_STAB_COUNT] = {"A",        "A\u2013B", "B", "B\u2013C", "C",
                                                     "C\u2013D", "D",        "E", "F"};
    if ((int)cls < 0 || (int)cls >= CQ_STAB_COUNT) return "?";
    return names[cls];
}

/* The plain classes either side of cls, as table indices. */
static void neighbours(cq_stability cls, int *lo, int *hi) {
    static const int lower[CQ_STAB_COUNT] = {PA, PA, PB, PB, PC, PC, PD, PE, PF};
    static const int upper[CQ_STAB_COUNT] = {PA, PB, PB, PC, PC, PD, PD, PE, PF};
    *lo = lower[cls];
    *hi = upper[cls];
}

static int class_ok(cq_stability cls) {
    return (int)cls >= 0 && (int)cls < CQ_STAB_COUNT;
}

int cq_stability_neighbours(cq_stability cls, cq_stability *lower, cq_stability *upper, char *err,
                            size_t errcap) {
    static const cq_stability plain[N_PLAIN] = {CQ_STAB_A, CQ_STAB_B, CQ_STAB_C,
                                                CQ_STAB_D, CQ_STAB_E, CQ_STAB_F};
    if (!class_ok(cls)) return cq_fail(err, errcap, "stability class %d out of range", cls);
    if (!lower || !upper) return cq_fail(err, errcap, "lower/upper: NULL");
    int lo, hi;
    neighbours(cls, &lo, &hi);
    *lower = plain[lo];
    *upper = plain[hi];
    return CQ_OK;
}

bool cq_stability_is_stable(cq_stability cls) {
    return cls == CQ_STAB_E || cls == CQ_STAB_F;
}

/* ---- the sigma sets, one plain class ------------------------------------ */

typedef struct sigma_pair {
    double y, z;
    unsigned flags;
} sigma_pair;

static unsigned outside(double x, double lo, double hi) {
    return (x < lo || x > hi) ? CQ_FLAG_EXTRAPOLATED : 0;
}

/* Briggs (1973) rural and urban [GDjl briggs.jl citing CCPS99, Briggs 1973,
 * Griffiths 1994]; CCPS quotes 100 m - 10 km (unconfirmed). */
static sigma_pair briggs(int urban, int c, double x) {
    static const double ry[N_PLAIN] = {0.22, 0.16, 0.11, 0.08, 0.06, 0.04};
    static const double uy[N_PLAIN] = {0.32, 0.32, 0.22, 0.16, 0.11, 0.11};
    sigma_pair s;
    if (!urban) {
        s.y = ry[c] * x / sqrt(1 + 0.0001 * x);
        switch (c) {
            case PA:
                s.z = 0.20 * x;
                break;
            case PB:
                s.z = 0.12 * x;
                break;
            case PC:
                s.z = 0.08 * x / sqrt(1 + 0.0002 * x);
                break;
            case PD:
                s.z = 0.06 * x / sqrt(1 + 0.0015 * x);
                break;
            case PE:
                s.z = 0.03 * x / (1 + 0.0003 * x);
                break;
            default:
                s.z = 0.016 * x / (1 + 0.0003 * x);
                break;
        }
    } else {
        s.y = uy[c] * x / sqrt(1 + 0.0004 * x);
        switch (c) {
            case PA:
            case PB:
                s.z = 0.24 * x * sqrt(1 + 0.001 * x);
                break;
            case PC:
                s.z = 0.20 * x;
                break;
            case PD:
                s.z = 0.14 * x / sqrt(1 + 0.0003 * x);
                break;
            default:
                s.z = 0.08 * x / sqrt(1 + 0.0015 * x);
                break;
        }
    }
    s.flags = outside(x, 100, 10000);
    return s;
}

/* Turner (1970) fits via Lees [GDjl turner.jl]: x in m. */
static sigma_pair turner(int c, double x) {
    static const double ya[N_PLAIN] = {0.493, 0.337, 0.195, 0.128, 0.091, 0.067};
    static const double yb[N_PLAIN] = {0.88, 0.88, 0.90, 0.90, 0.91, 0.90};
    /* sigma_z: power law a x^b up to x_split, then log10 sz = p + q L + r L^2. */
    static const struct {
        double a, b, x_split, p, q, r, x_max;
    } z[N_PLAIN] = {
        {0.087, 1.10, 300, -1.67, 0.902, 0.181, 3000},
        {0.135, 0.95, 500, -1.25, 1.09, 0.0018, 20000},
        {0.112, 0.91, INFINITY, 0, 0, 0, 100000},
        {0.093, 0.85, 500, -1.22, 1.08, -0.061, 100000},
        {0.082, 0.82, 500, -1.18, 1.04, -0.070, 100000},
        {0.057, 0.80, 500, -1.91, 1.37, -0.119, 100000},
    };
    sigma_pair s;
    s.y = ya[c] * pow(x, yb[c]);
    if (x <= z[c].x_split) {
        s.z = z[c].a * pow(x, z[c].b);
    } else {
        double l = log10(x);
        s.z = pow(10, z[c].p + z[c].q * l + z[c].r * l * l);
    }
    s.flags = outside(x, 100, 100000) | outside(x, 100, z[c].x_max);
    return s;
}

/* ISC3 rural [ISC3 via GDjl isc3.jl]: x_k in km, result in m. */
typedef struct isc3_piece {
    double upto_km, a, b; /* (a, b) while x_k <= upto_km (the last: beyond) */
} isc3_piece;

static sigma_pair isc3(int c, double x) {
    static const double yc[N_PLAIN] = {24.1670, 18.3330, 12.5000, 8.3330, 6.2500, 4.1667};
    static const double yd[N_PLAIN] = {2.5334, 1.8096, 1.0857, 0.72382, 0.54287, 0.36191};
    static const isc3_piece za[] = {{0.10, 122.800, 0.94470}, {0.15, 158.080, 1.05420},
                                    {0.20, 170.220, 1.09320}, {0.25, 179.520, 1.12620},
                                    {0.30, 217.410, 1.26440}, {0.40, 258.890, 1.40940},
                                    {0.50, 346.750, 1.72830}, {INFINITY, 453.850, 2.11660}};
    static const isc3_piece zb[] = {
        {0.20, 90.673, 0.93198}, {0.40, 98.483, 0.98332}, {INFINITY, 109.300, 1.09710}};
    static const isc3_piece zc[] = {{INFINITY, 61.141, 0.91465}};
    static const isc3_piece zd[] = {{0.30, 34.459, 0.86974},  {1.00, 32.093, 0.81066},
                                    {3.00, 32.093, 0.64403},  {10.00, 33.504, 0.60486},
                                    {30.00, 36.650, 0.56589}, {INFINITY, 44.053, 0.51179}};
    static const isc3_piece ze[] = {
        {0.10, 24.260, 0.83660},  {0.30, 23.331, 0.81956},  {1.00, 21.628, 0.75660},
        {2.00, 21.628, 0.63077},  {4.00, 22.534, 0.57154},  {10.00, 24.703, 0.50527},
        {20.00, 26.970, 0.46713}, {40.00, 35.420, 0.37615}, {INFINITY, 47.618, 0.29592}};
    static const isc3_piece zf[] = {{0.20, 15.209, 0.81558},  {0.70, 14.457, 0.78407},
                                    {1.00, 13.953, 0.68465},  {2.00, 13.953, 0.63227},
                                    {3.00, 14.823, 0.54503},  {7.00, 16.187, 0.46490},
                                    {15.00, 17.836, 0.41507}, {30.00, 22.651, 0.32681},
                                    {60.00, 27.074, 0.27436}, {INFINITY, 34.219, 0.21716}};
    static const isc3_piece *const zt[N_PLAIN] = {za, zb, zc, zd, ze, zf};
    double xk = x / 1000;
    sigma_pair s;
    s.y = 465.11628 * xk * tan(0.017453293 * (yc[c] - yd[c] * log(xk)));
    const isc3_piece *p = zt[c];
    /* Class A's first row is "< 0.10 km", every other row "<= upto": at
     * exactly 0.10 km A takes its second row, as ISC3 does. */
    if (c == PA && !(xk < p->upto_km)) p++;
    while (!(xk <= p->upto_km)) p++;
    s.z = fmin(p->a * pow(xk, p->b), 5000.0); /* ISC3's cap */
    s.flags = outside(x, 100, 100000);
    return s;
}

static sigma_pair plain_sigmas(cq_sigma_set set, int c, double x) {
    switch (set) {
        case CQ_SIGMAS_BRIGGS_RURAL:
            return briggs(0, c, x);
        case CQ_SIGMAS_BRIGGS_URBAN:
            return briggs(1, c, x);
        case CQ_SIGMAS_TURNER_PG:
            return turner(c, x);
        default:
            return isc3(c, x);
    }
}

int cq_sigmas(cq_sigma_set set, cq_stability cls, double x_m, double *sigma_y_m, double *sigma_z_m,
              unsigned *flags, char *err, size_t errcap) {
    if ((int)set < 0 || (int)set >= CQ_SIGMA_SET_COUNT)
        return cq_fail(err, errcap, "sigma set %d out of range", set);
    if (!class_ok(cls)) return cq_fail(err, errcap, "stability class %d out of range", cls);
    if (!cq_positive(x_m)) return cq_fail(err, errcap, "x_m %g: must be finite and > 0", x_m);
    if (!sigma_y_m || !sigma_z_m) return cq_fail(err, errcap, "sigma_y_m/sigma_z_m: NULL");
    int lo, hi;
    neighbours(cls, &lo, &hi);
    sigma_pair a = plain_sigmas(set, lo, x_m);
    if (lo != hi) {
        /* Parkwatch's rule for a split class: the geometric mean. */
        sigma_pair b = plain_sigmas(set, hi, x_m);
        a.y = sqrt(a.y * b.y);
        a.z = sqrt(a.z * b.z);
        a.flags |= b.flags;
    }
    *sigma_y_m = a.y;
    *sigma_z_m = a.z;
    if (flags) *flags = a.flags;
    return CQ_OK;
}

/* ---- wind profile --------------------------------------------------------- */

int cq_wind_exponent(cq_wind_profile profile, cq_stability cls, double *p, char *err,
                     size_t errcap) {
    /* Irwin (1979) [GDjl irwin.jl; CCPS99 Table 2.11]; ISC3 urban E, F [isc3.jl]. */
    static const double ex[3][N_PLAIN] = {
        {0.07, 0.07, 0.10, 0.15, 0.35, 0.55},
        {0.15, 0.15, 0.20, 0.25, 0.40, 0.60},
        {0.15, 0.15, 0.20, 0.25, 0.30, 0.30},
    };
    if ((int)profile < 0 || (int)profile > CQ_WIND_ISC3_URBAN)
        return cq_fail(err, errcap, "wind profile %d out of range", profile);
    if (!class_ok(cls)) return cq_fail(err, errcap, "stability class %d out of range", cls);
    if (!p) return cq_fail(err, errcap, "p: NULL");
    int lo, hi;
    neighbours(cls, &lo, &hi);
    *p = (ex[profile][lo] + ex[profile][hi]) / 2;
    return CQ_OK;
}

int cq_wind_at_height(cq_wind_profile profile, cq_stability cls, double u_ref_m_s, double z_ref_m,
                      double z_m, double *u_m_s, char *err, size_t errcap) {
    double p = 0;
    int rc = cq_wind_exponent(profile, cls, &p, err, errcap);
    if (rc != CQ_OK) return rc;
    if (!cq_nonneg(u_ref_m_s))
        return cq_fail(err, errcap, "u_ref_m_s %g: must be finite and >= 0", u_ref_m_s);
    if (!cq_nonneg(z_ref_m))
        return cq_fail(err, errcap, "z_ref_m %g: must be finite and >= 0", z_ref_m);
    if (!cq_positive(z_m)) return cq_fail(err, errcap, "z_m %g: must be finite and > 0", z_m);
    if (!u_m_s) return cq_fail(err, errcap, "u_m_s: NULL");
    if (z_ref_m == 0) z_ref_m = 10.0;
    *u_m_s = u_ref_m_s * pow(z_m / z_ref_m, p);
    return CQ_OK;
}
