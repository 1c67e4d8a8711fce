/*
 * densegas.c - Britter-McQuaid dense-gas screening: the denseness criteria,
 * the continuous-plume and instantaneous-puff correlations with their near
 * fields and GDjl's x^-2 tails, the non-isothermal correction, the plume's
 * crosswind half-width and toxic threat zones. Formulas, sources and limits:
 * consequence.h and docs/reference/consequence-models.md section 6.
 */
#include <math.h>
#include <stdbool.h>
#include <stddef.h>

#include "consequence/consequence.h"
#include "consequence/internal_blast.h"

/* g as GDjl and the reference's section 1 use it for these correlations. */
#define BM_G 9.80616

/* ---- the tables [BM88; CCPS99 p. 118 via GDjl britter_mcquaid_correls] ---
 * Each row gives beta(alpha) piecewise: piece k applies for alpha <=
 * upper[k] (the last piece for everything above), beta = slope alpha + b. */
#define BM_MAX_PIECES 4
typedef struct bm_row {
    double conc; /* C'/C0 of the row */
    int pieces;
    double upper[BM_MAX_PIECES];
    double slope[BM_MAX_PIECES];
    double b[BM_MAX_PIECES];
} bm_row;

#define PLUME_ROWS 6
static const bm_row plume_rows[PLUME_ROWS] = {
    {0.10, 3, {-0.55, -0.14, 1.0}, {0, 0.24, -0.50}, {1.75, 1.88, 1.78}},
    {0.05, 4, {-0.68, -0.29, -0.18, 1.0}, {0, 0.36, 0, -0.56}, {1.92, 2.16, 2.06, 1.96}},
    {0.02, 4, {-0.69, -0.31, -0.16, 1.0}, {0, 0.45, 0, -0.54}, {2.08, 2.39, 2.25, 2.16}},
    {0.01, 4, {-0.70, -0.29, -0.20, 1.0}, {0, 0.49, 0, -0.52}, {2.25, 2.59, 2.45, 2.35}},
    {0.005, 4, {-0.67, -0.28, -0.15, 1.0}, {0, 0.59, 0, -0.48}, {2.40, 2.80, 2.63, 2.56}},
    {0.002, 4, {-0.69, -0.25, -0.13, 1.0}, {0, 0.39, 0, -0.50}, {2.60, 2.87, 2.77, 2.71}},
};

#define PUFF_ROWS 7
static const bm_row puff_rows[PUFF_ROWS] = {
    {0.10, 3, {-0.44, 0.43, 1.0}, {0, 0.26, 0}, {0.70, 0.81, 0.93}},
    {0.05, 3, {-0.56, 0.31, 1.0}, {0, 0.26, -0.12}, {0.85, 1.00, 1.12}},
    {0.02, 3, {-0.66, 0.32, 1.0}, {0, 0.36, -0.26}, {0.95, 1.19, 1.38}},
    {0.01, 3, {-0.71, 0.37, 1.0}, {0, 0.34, -0.38}, {1.15, 1.39, 1.66}},
    {0.005, 3, {-0.52, 0.24, 1.0}, {0, 0.26, -0.30}, {1.48, 1.62, 1.75}},
    {0.002, 2, {0.27, 1.0}, {0, -0.32}, {1.83, 1.92}},
    {0.001, 2, {-0.10, 1.0}, {0, -0.27}, {2.075, 2.05}},
};

static double row_beta(const bm_row *r, double alpha) {
    int k = 0;
    while (k < r->pieces - 1 && alpha > r->upper[k]) k++;
    return r->slope[k] * alpha + r->b[k];
}

/* One release's chart curve C'(x'), x' = x / length. */
#define BM_MAX_POINTS (PUFF_ROWS + 1)
typedef struct bm_curve {
    bool puff;
    int n;                      /* interpolation points */
    double beta[BM_MAX_POINTS]; /* increasing */
    double conc[BM_MAX_POINTS]; /* decreasing */
    double near_x;              /* near-field formula up to here */
    double last_x;              /* x' of the last point: the x^-2 tail beyond */
    double tail_a;              /* C' = tail_a / x'^2 in the tail */
} bm_curve;

/* Above alpha = 1 the table is held at its alpha = 1 values (flagged): the
 * rows shorten with alpha there, so holding them errs long, and carried on
 * they cross by alpha = 3. Below -0.70 every row is flat already. */
static void build_curve(bool puff, double alpha, bm_curve *c) {
    const bm_row *rows = puff ? puff_rows : plume_rows;
    int nrows = puff ? PUFF_ROWS : PLUME_ROWS;
    double a = alpha > CQ_BM_ALPHA_MAX ? CQ_BM_ALPHA_MAX : alpha;
    c->puff = puff;
    c->n = 0;
    double first = pow(10, row_beta(&rows[0], a));
    if (!puff && 30 < first) {
        /* Plume: the near field joins the table at x' = 30 [GDjl]. */
        c->near_x = 30;
        c->beta[c->n] = log10(30.0);
        c->conc[c->n++] = 306.0 / (306.0 + 900.0);
    } else {
        /* Puff, or a plume with alpha > 0.605: the near field stops at the
         * first row and the curve steps down to it, as in GDjl. */
        c->near_x = first;
    }
    for (int i = 0; i < nrows; i++) {
        c->beta[c->n] = row_beta(&rows[i], a);
        c->conc[c->n++] = rows[i].conc;
    }
    c->last_x = pow(10, c->beta[c->n - 1]);
    c->tail_a = c->conc[c->n - 1] * c->last_x * c->last_x;
}

static double near_conc(const bm_curve *c, double xs) {
    if (c->puff) {
        double v = 3.24 / (3.24 + xs * xs);
        return v > 0.1 ? v : 0.1; /* not below the first row [GDjl] */
    }
    return 306.0 / (306.0 + xs * xs);
}

static double chart_conc(const bm_curve *c, double xs) {
    if (xs <= c->near_x) return near_conc(c, xs);
    if (xs >= c->last_x) return c->tail_a / (xs * xs);
    double b = log10(xs);
    int k = 0;
    while (k < c->n - 2 && b > c->beta[k + 1]) k++;
    double t = (b - c->beta[k]) / (c->beta[k + 1] - c->beta[k]);
    return c->conc[k] + t * (c->conc[k + 1] - c->conc[k]);
}

/* The farthest x' with C'(x') >= level (0 < level < 1), read off the curve
 * piece by piece from the far end; C' never rises with x'. */
static double chart_distance(const bm_curve *c, double level) {
    if (level <= c->conc[c->n - 1]) return sqrt(c->tail_a / level);
    for (int k = c->n - 2; k >= 0; k--) {
        if (level <= c->conc[k]) {
            double t = (c->conc[k] - level) / (c->conc[k] - c->conc[k + 1]);
            return pow(10, c->beta[k] + t * (c->beta[k + 1] - c->beta[k]));
        }
    }
    /* Above the table: the near field (the puff's holds at 0.1 beyond
     * x' = 5.4, so level > 0.1 here inverts its falling part). */
    double k = c->puff ? 3.24 : 306.0;
    double xs = sqrt(k * (1 / level - 1));
    return xs < c->near_x ? xs : c->near_x;
}

/* ---- inputs and the screening numbers ------------------------------------ */

double cq_gas_density(double molar_mass_kg_mol, double temp_k, double pressure_pa) {
    double p;
    if (!cq_positive(molar_mass_kg_mol) || !cq_positive(temp_k) || !cqb_pressure(pressure_pa, &p))
        return NAN;
    return p * molar_mass_kg_mol / (CQ_R_GAS * temp_k);
}

typedef struct bm_state {
    cq_bm_params prm;
    double temp_ratio; /* T0/Ta */
    bm_curve curve;
} bm_state;

static int prepare(const cq_bm_release *rel, const cq_air *air, bool puff, bm_state *s, char *err,
                   size_t errcap) {
    if (!rel) return cq_fail(err, errcap, "release is NULL");
    if (!air) return cq_fail(err, errcap, "air is NULL");
    if (!(air->temp_k >= CQ_AIR_TEMP_MIN_K && air->temp_k <= CQ_AIR_TEMP_MAX_K))
        return cq_fail(err, errcap, "air temp_k must be %g to %g", CQ_AIR_TEMP_MIN_K,
                       CQ_AIR_TEMP_MAX_K);
    if (!(air->wind_m_s > 0 && air->wind_m_s <= CQ_WIND_MAX_M_S))
        return cq_fail(err, errcap, "air wind_m_s must be > 0 and at most %g", CQ_WIND_MAX_M_S);
    double p;
    if (!cqb_pressure(air->pressure_pa, &p))
        return cq_fail(err, errcap, "air pressure_pa must be > 0 (or 0)");
    if (!(rel->density_kg_m3 > 0 && rel->density_kg_m3 <= CQ_GAS_DENSITY_MAX_KG_M3))
        return cq_fail(err, errcap, "release density_kg_m3 must be > 0 and at most %g (a gas)",
                       CQ_GAS_DENSITY_MAX_KG_M3);
    if (!(rel->temp_k == 0 || (rel->temp_k >= 20 && rel->temp_k <= 1500)))
        return cq_fail(err, errcap, "release temp_k must be 20 to 1500 K (or 0 for ambient)");
    if (!(isfinite(rel->air_density_kg_m3) && rel->air_density_kg_m3 >= 0))
        return cq_fail(err, errcap, "release air_density_kg_m3 must be > 0 (or 0)");
    double amount = puff ? rel->volume_m3 : rel->rate_m3_s;
    /* a millilitre (a second) to a cubic kilometre: below it the length
     * scale underflows and the correlations mean nothing */
    if (!(amount >= 1e-6 && amount <= (puff ? 1e9 : 1e6)))
        return cq_fail(err, errcap,
                       puff ? "release volume_m3 must be 1e-6 to 1e9"
                            : "release rate_m3_s must be 1e-6 to 1e6");
    double rho_a = rel->air_density_kg_m3 > 0 ? rel->air_density_kg_m3
                                              : p * CQ_M_AIR_KG_MOL / (CQ_R_GAS * air->temp_k);
    if (!(rel->density_kg_m3 > rho_a))
        return cq_fail(err, errcap,
                       "release density_kg_m3 %.6g is not above the air's %.6g: not a dense "
                       "gas (use the Gaussian plume)",
                       rel->density_kg_m3, rho_a);
    double u = air->wind_m_s;
    cq_bm_params *m = &s->prm;
    *m = (cq_bm_params){0};
    m->g0_m_s2 = BM_G * (rel->density_kg_m3 - rho_a) / rho_a;
    if (puff) {
        double l = cbrt(amount);
        m->length_m = l;
        m->alpha = 0.5 * log10(m->g0_m_s2 * l / (u * u));
        m->criterion = sqrt(m->g0_m_s2 * l) / u;
        if (m->criterion < CQ_BM_DENSE_PUFF) m->flags |= CQ_FLAG_NOT_DENSE;
    } else {
        double d = sqrt(amount / u);
        m->length_m = d;
        m->alpha = 0.2 * log10(m->g0_m_s2 * m->g0_m_s2 * amount / pow(u, 5));
        m->lb_m = m->g0_m_s2 * amount / (u * u * u);
        m->criterion = cbrt(m->lb_m / d);
        if (m->criterion < CQ_BM_DENSE_PLUME) m->flags |= CQ_FLAG_NOT_DENSE;
    }
    if (m->alpha < CQ_BM_ALPHA_MIN || m->alpha > CQ_BM_ALPHA_MAX) m->flags |= CQ_FLAG_EXTRAPOLATED;
    build_curve(puff, m->alpha, &s->curve);
    m->near_x = s->curve.near_x;
    m->last_x = s->curve.last_x;
    s->temp_ratio = rel->temp_k > 0 ? rel->temp_k / air->temp_k : 1.0;
    return CQ_OK;
}

static int params(const cq_bm_release *rel, const cq_air *air, bool puff, cq_bm_params *out,
                  char *err, size_t errcap) {
    bm_state s;
    int rc = prepare(rel, air, puff, &s, err, errcap);
    if (rc != CQ_OK) return rc;
    if (!out) return cq_fail(err, errcap, "out is NULL");
    *out = s.prm;
    return CQ_OK;
}

int cq_bm_plume_params(const cq_bm_release *rel, const cq_air *air, cq_bm_params *out, char *err,
                       size_t errcap) {
    return params(rel, air, false, out, err, errcap);
}

int cq_bm_puff_params(const cq_bm_release *rel, const cq_air *air, cq_bm_params *out, char *err,
                      size_t errcap) {
    return params(rel, air, true, out, err, errcap);
}

/* ---- concentration and distance ------------------------------------------ */

static int conc(const cq_bm_release *rel, const cq_air *air, bool puff, double x_m, double *c,
                unsigned *flags, char *err, size_t errcap) {
    bm_state s;
    int rc = prepare(rel, air, puff, &s, err, errcap);
    if (rc != CQ_OK) return rc;
    if (!(isfinite(x_m) && x_m >= 0)) return cq_fail(err, errcap, "x_m must be >= 0");
    if (!c) return cq_fail(err, errcap, "c is NULL");
    double xs = x_m / s.prm.length_m;
    double cc = chart_conc(&s.curve, xs);
    /* Non-isothermal correction: chart C' -> real C. */
    *c = cc / (cc + (1 - cc) * s.temp_ratio);
    cq_flag(flags, s.prm.flags);
    if (xs > s.curve.last_x) cq_flag(flags, CQ_FLAG_EXTRAPOLATED);
    return CQ_OK;
}

int cq_bm_plume_conc(const cq_bm_release *rel, const cq_air *air, double x_m, double *c,
                     unsigned *flags, char *err, size_t errcap) {
    return conc(rel, air, false, x_m, c, flags, err, errcap);
}

int cq_bm_puff_conc(const cq_bm_release *rel, const cq_air *air, double x_m, double *c,
                    unsigned *flags, char *err, size_t errcap) {
    return conc(rel, air, true, x_m, c, flags, err, errcap);
}

static int distance(const cq_bm_release *rel, const cq_air *air, bool puff, double c, double *x_m,
                    unsigned *flags, char *err, size_t errcap) {
    bm_state s;
    int rc = prepare(rel, air, puff, &s, err, errcap);
    if (rc != CQ_OK) return rc;
    if (!(isfinite(c) && c > 0 && c < 1)) return cq_fail(err, errcap, "c must be in (0, 1)");
    if (!x_m) return cq_fail(err, errcap, "x_m is NULL");
    /* Real C -> the chart value C' to look up. */
    double level = c / (c + (1 - c) / s.temp_ratio);
    double xs = chart_distance(&s.curve, level);
    double x = xs * s.prm.length_m;
    cq_flag(flags, s.prm.flags);
    if (xs > s.curve.last_x) cq_flag(flags, CQ_FLAG_EXTRAPOLATED);
    if (x > CQ_RANGE_MAX_M) {
        x = CQ_RANGE_MAX_M;
        cq_flag(flags, CQ_FLAG_CAPPED);
    }
    *x_m = x;
    return CQ_OK;
}

int cq_bm_plume_distance(const cq_bm_release *rel, const cq_air *air, double c, double *x_m,
                         unsigned *flags, char *err, size_t errcap) {
    return distance(rel, air, false, c, x_m, flags, err, errcap);
}

int cq_bm_puff_distance(const cq_bm_release *rel, const cq_air *air, double c, double *x_m,
                        unsigned *flags, char *err, size_t errcap) {
    return distance(rel, air, true, c, x_m, flags, err, errcap);
}

int cq_bm_plume_half_width(const cq_bm_release *rel, const cq_air *air, double x_m, double *lh_m,
                           unsigned *flags, char *err, size_t errcap) {
    bm_state s;
    int rc = prepare(rel, air, false, &s, err, errcap);
    if (rc != CQ_OK) return rc;
    if (!(isfinite(x_m) && x_m >= 0)) return cq_fail(err, errcap, "x_m must be >= 0");
    if (!lh_m) return cq_fail(err, errcap, "lh_m is NULL");
    double lb = s.prm.lb_m;
    *lh_m = s.prm.length_m + 8 * lb + 2.5 * cbrt(lb * x_m * x_m);
    cq_flag(flags, s.prm.flags);
    return CQ_OK;
}

int cq_bm_zones(const cq_bm_release *rel, const cq_air *air, bool puff, double red, double orange,
                double yellow, cq_zones *zones, char *err, size_t errcap) {
    if (!zones) return cq_fail(err, errcap, "zones is NULL");
    if (!(red >= orange && orange >= yellow))
        return cq_fail(err, errcap, "levels must satisfy red >= orange >= yellow");
    cq_zones z = {.red_level = red, .orange_level = orange, .yellow_level = yellow};
    int rc = distance(rel, air, puff, red, &z.red_m, &z.flags, err, errcap);
    if (rc == CQ_OK) rc = distance(rel, air, puff, orange, &z.orange_m, &z.flags, err, errcap);
    if (rc == CQ_OK) rc = distance(rel, air, puff, yellow, &z.yellow_m, &z.flags, err, errcap);
    if (rc != CQ_OK) return rc;
    *zones = z;
    return CQ_OK;
}
