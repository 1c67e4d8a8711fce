/*
 * consequence.h - consequence models beyond the Gaussian plume, for the
 * emergency view's threat zones (issue 22): plume rise, pool and jet fire,
 * BLEVE fireball, vapour-cloud explosion, dense-gas screening and the
 * source terms that feed them, with the levels of concern responders use.
 *
 * Every model cites its source and states its assumptions here and in
 * docs/reference/consequence-models.md (the section numbers below are that
 * file's); docs/consequence-models.md carries the worked examples the tests
 * check, each recomputed by hand from the formula.
 *
 * Units are SI throughout unless a name says otherwise: m, s, kg, K, Pa,
 * W, J. Distances are horizontal ground distances from the source (the
 * pool's or fireball's centre, the cloud's centre) unless stated.
 *
 * Errors: functions returning int give CQ_OK or CQ_EINVAL and write a
 * one-line reason into err (may be NULL) naming the input at fault; inputs
 * are checked (finite, in the model's range) before anything is computed.
 * A model outside its fitted range still answers but sets a CQ_FLAG_* in
 * its result's flags, never silently.
 *
 * Threads: every function is pure and thread-safe; nothing allocates,
 * prints or keeps state. Tables (fuels, curves) are const and static.
 *
 * Dependency order: consequence/ depends on libm alone; views/ and api/
 * call it.
 */
#ifndef PARKWATCH_CONSEQUENCE_H
#define PARKWATCH_CONSEQUENCE_H

#include <stdbool.h>
#include <stddef.h>

#define CQ_OK     0
#define CQ_EINVAL (-1)

#define CQ_G       9.80665  /* m/s2 */
#define CQ_P_ATM   101325.0 /* Pa */
#define CQ_R_GAS   8.314462 /* J/(mol K) */
#define CQ_E_TNT   4.68e6   /* J/kg, reference section 5 [HyRAM] */
#define CQ_PSI_PA  6894.757

/* Result flags: a model answered outside what it was fitted for. */
#define CQ_FLAG_EXTRAPOLATED (1u << 0) /* an input or distance outside the fitted range */
#define CQ_FLAG_NOT_DENSE    (1u << 1) /* dense-gas model asked of a passive release */
#define CQ_FLAG_INSIDE       (1u << 2) /* target inside the flame or fireball */
#define CQ_FLAG_LOW_WIND     (1u << 3) /* wind below the model's limit, raised to it */
#define CQ_FLAG_CAPPED       (1u << 4) /* a distance search stopped at CQ_RANGE_MAX_M */

/* Distance searches (a level of concern) stop here. */
#define CQ_RANGE_MAX_M 20000.0

/* ---- levels of concern (reference section 8: ALOHA's defaults) ---------- */

/* Thermal radiation, 60 s exposure. */
#define CQ_THERMAL_RED_W_M2    10000.0 /* potentially lethal */
#define CQ_THERMAL_ORANGE_W_M2 5000.0  /* second-degree burns */
#define CQ_THERMAL_YELLOW_W_M2 2000.0  /* pain */
/* Overpressure. */
#define CQ_OVERPRESSURE_RED_PA    (8.0 * CQ_PSI_PA) /* destruction of buildings */
#define CQ_OVERPRESSURE_ORANGE_PA (3.5 * CQ_PSI_PA) /* serious injury likely */
#define CQ_OVERPRESSURE_YELLOW_PA (1.0 * CQ_PSI_PA) /* shatters glass */

/* The three threat zones of one model: the farthest ground distance at
 * which each level is reached, 0 where it is never reached. */
typedef struct cq_zones {
    double red_m, orange_m, yellow_m;
    double red_level, orange_level, yellow_level; /* the levels used (W/m2, Pa, or a fraction) */
    unsigned flags;
} cq_zones;

/* ---- atmosphere --------------------------------------------------------- */

/* Ambient conditions shared by the models. */
typedef struct cq_air {
    double temp_k;            /* ambient temperature */
    double pressure_pa;       /* 0: CQ_P_ATM */
    double relative_humidity; /* 0..1, for the transmissivity */
    double wind_m_s;          /* at 10 m */
} cq_air;

/* Atmospheric transmissivity over a path of path_m from a flame surface
 * (Bagster & Pitblado, reference section 2): 2.02 (Pw X)^-0.09, at most 1. */
double cq_transmissivity(const cq_air *air, double path_m);

/* ==== BEGIN fires (pool fire, jet fire, BLEVE fireball; fire.c) ========= */
/* ==== END fires ========================================================== */

/* ==== BEGIN explosion and dense gas (explosion.c, densegas.c) =========== */

/* ---- vapour cloud explosion: TNT equivalence (reference section 5) ------
 *
 * W_TNT = eta M dHc / E_TNT with E_TNT = CQ_E_TNT [HyRAM]; scaled distance
 * Z = R / W_TNT^(1/3) (m kg^-1/3); side-on overpressure from one of two
 * curves, never mixed:
 *
 *  - CQ_BLAST_SURFACE_KB (the default, 0): the simplified Kingery-Bulmash
 *    hemispherical surface burst [Swisdak 1994 via tangos blast_model.py],
 *    ln(P/kPa) = A + B lnZ + C lnZ^2 + D lnZ^3 + E lnZ^4 on Z <= 2.9,
 *    2.9..23.8, > 23.8. A vapour cloud lies on the ground and its blast is
 *    reflected by it, which is what a surface-burst curve already contains:
 *    no factor 2 on W is applied. The fit does not depend on P0 (sea level).
 *  - CQ_BLAST_FREE_AIR_KG: Kinney & Graham's free-air spherical burst,
 *    p/P0 = 808 [1 + (Z/4.5)^2] / (sqrt(1 + (Z/0.048)^2) sqrt(1 + (Z/0.32)^2)
 *    sqrt(1 + (Z/1.35)^2)) [KG85 via Guzas & Earls 2010 eq. 5]. The 808
 *    form, not Crowl & Louvar's 1616. No ground reflection: for a ground
 *    level cloud it reaches about 2^(-1/3) = 0.79 as far as a surface burst.
 *
 * Both are used over CQ_BLAST_Z_MIN..CQ_BLAST_Z_MAX (Swisdak's outer limits,
 * unconfirmed; for Kinney-Graham the same window is this module's choice, no
 * range having been read for it); outside, the answer is the fit carried on
 * and CQ_FLAG_EXTRAPOLATED is set. The Kingery-Bulmash pieces do not quite
 * join: at Z = 23.8 the pressure steps up by 0.7 %, so distance searches
 * solve each monotone piece by bisection and keep the farthest crossing.
 *
 * Yield: 0.03 is the CCPS default [HyRAM docstring]; 0.10 the EPA RMP worst
 * case (unconfirmed). Incidents show 0.01-0.10 [Blog-VCE]. */

#define CQ_TNT_YIELD_CCPS 0.03
#define CQ_TNT_YIELD_RMP  0.10
#define CQ_BLAST_Z_MIN    0.2   /* m kg^-1/3 */
#define CQ_BLAST_Z_MAX    198.5 /* m kg^-1/3 */

typedef enum cq_blast_curve {
    CQ_BLAST_SURFACE_KB = 0, /* Kingery-Bulmash hemispherical surface burst (default) */
    CQ_BLAST_FREE_AIR_KG     /* Kinney-Graham free-air spherical burst, 808 form */
} cq_blast_curve;

/* W_TNT (kg) = yield x fuel_kg x dhc_j_kg / CQ_E_TNT. fuel_kg > 0 (the
 * flammable mass in the cloud), dhc_j_kg > 0 (heat of combustion, J/kg),
 * 0 < yield <= 1. */
int cq_tnt_mass(double fuel_kg, double dhc_j_kg, double yield, double *w_tnt_kg, char *err,
                size_t errcap);

/* Side-on peak overpressure (Pa) at scaled distance z > 0 on the curve.
 * p0_pa: ambient pressure, 0 for CQ_P_ATM (used by Kinney-Graham only).
 * *flags (may be NULL) gets CQ_FLAG_EXTRAPOLATED outside the fit range. */
int cq_blast_overpressure_z(cq_blast_curve curve, double z, double p0_pa, double *dp_pa,
                            unsigned *flags, char *err, size_t errcap);

/* The same at distance_m > 0 from a charge of w_tnt_kg > 0. */
int cq_tnt_overpressure(cq_blast_curve curve, double w_tnt_kg, double distance_m, double p0_pa,
                        double *dp_pa, unsigned *flags, char *err, size_t errcap);

/* The farthest distance (m) at which the overpressure is at least dp_pa > 0.
 * Levels above the curve at CQ_BLAST_Z_MIN are CQ_EINVAL (the fit says
 * nothing there); levels below it at CQ_BLAST_Z_MAX are found on the last
 * piece carried on (CQ_FLAG_EXTRAPOLATED); the search stops at
 * CQ_RANGE_MAX_M (CQ_FLAG_CAPPED). */
int cq_tnt_distance(cq_blast_curve curve, double w_tnt_kg, double dp_pa, double p0_pa,
                    double *distance_m, unsigned *flags, char *err, size_t errcap);

/* The overpressure threat zones: distances to 8, 3.5 and 1 psi
 * (CQ_OVERPRESSURE_RED/ORANGE/YELLOW_PA); flags are the union of the three
 * searches'. */
int cq_tnt_zones(cq_blast_curve curve, double w_tnt_kg, double p0_pa, cq_zones *zones, char *err,
                 size_t errcap);

/* EPA RMP screening distance to 1 psi, X = 17 (0.1 W dHc / dHc_TNT)^(1/3) m
 * with dHc_TNT = 4680 kJ/kg (reference section 5; the form is unconfirmed,
 * the 1 psi endpoint is confirmed [RAPIDN]). fuel_kg, dhc_j_kg > 0. */
int cq_rmp_vce_distance(double fuel_kg, double dhc_j_kg, double *distance_m, char *err,
                        size_t errcap);

/* ---- vapour cloud explosion: TNO Multi-Energy, partial (section 5) ------
 *
 * Only the parts with a source read are here: the charge energy, the Sachs
 * scaling and each class's source overpressure dP'0 = 0.01, 0.02, 0.05,
 * 0.1, 0.2, 0.5, 1, 2, 5, 10 (x P0) for classes 1..10 [neqsim VCEModel],
 * which holds out to the charge radius. The blast curves beyond the charge
 * radius are NOT implemented: no digitisation or curve fit of them could be
 * read (Diaz Alonso et al. 2006 was found only as a title and abstract), so
 * cq_me_overpressure answers CQ_EINVAL there rather than guess. Use the TNT
 * curves for the far field. */

#define CQ_ME_ENERGY_DENSITY_J_M3 3.5e6 /* stoichiometric hydrocarbon-air (unconfirmed) */

/* E = v_m3 x CQ_ME_ENERGY_DENSITY_J_M3 for an obstructed volume v_m3 > 0 of
 * stoichiometric mixture. */
int cq_me_energy_from_volume(double v_m3, double *energy_j, char *err, size_t errcap);

/* Source overpressure ratio dP'0 of a charge strength class 1..10. */
int cq_me_class_overpressure(int strength_class, double *dp_ratio, char *err, size_t errcap);

/* Sachs-scaled distance R' = R / (E/P0)^(1/3); p0_pa 0 for CQ_P_ATM. */
int cq_me_scaled_distance(double distance_m, double energy_j, double p0_pa, double *r_scaled,
                          char *err, size_t errcap);

/* Charge radius (m): the hemisphere on the ground holding the stoichiometric
 * volume E / CQ_ME_ENERGY_DENSITY_J_M3, r0 = (3 V / (2 pi))^(1/3). The
 * hemispherical shape is this module's assumption for a ground-level cloud. */
int cq_me_charge_radius(double energy_j, double *r0_m, char *err, size_t errcap);

/* Side-on overpressure dP'0 x P0 (Pa) for distance_m <= the charge radius
 * (inside the burning charge, where the curves are flat); CQ_EINVAL with
 * "not available" beyond it (see above). */
int cq_me_overpressure(int strength_class, double energy_j, double distance_m, double p0_pa,
                       double *dp_pa, char *err, size_t errcap);

/* ---- overpressure probits (reference section 8) -------------------------
 * Y = k1 + k2 ln(p / Pa), probability Phi(Y - 5) = (1 + erf((Y - 5)/sqrt 2))/2. */

typedef enum cq_blast_effect {
    CQ_BLAST_LUNG_DEATH = 0, /* Eisenberg, lung haemorrhage death: -77.1 + 6.91 ln p [HyRAM] */
    CQ_BLAST_EARDRUM,        /* eardrum rupture: -15.6 + 1.93 ln p (secondary code, Baker 1983) */
    CQ_BLAST_STRUCTURE,      /* structural damage: -23.8 + 2.92 ln p (secondary, API 581 code) */
    CQ_BLAST_GLASS           /* glass breakage: -18.1 + 2.79 ln p (unconfirmed) */
} cq_blast_effect;

/* Probit y (may be NULL) and probability p (may be NULL) of the effect at
 * side-on overpressure dp_pa > 0. */
int cq_blast_probit(cq_blast_effect effect, double dp_pa, double *y, double *p, char *err,
                    size_t errcap);

/* ---- dense gas: Britter-McQuaid workbook screening (reference section 6) -
 *
 * Ground-level release without momentum on flat open ground; ensemble-mean,
 * cloud-average concentrations as volume fractions of a pure released gas
 * (C0 = 1). g0' = g (rho0 - rhoa)/rhoa, u = u10 (cq_air.wind_m_s).
 *
 * Plume (continuous, q0): D = sqrt(q0/u), alpha = 0.2 log10(g0'^2 q0/u^5),
 * beta = log10(x/D); the table of beta(alpha) for C'/C0 = 0.1 .. 0.002
 * [BM88; digitisation per CCPS99 p. 118 / TSCREEN via GDjl], C' linear in
 * beta between rows as GDjl does; near field 306/(306 + (x/D)^2) out to
 * x/D = 30 (or to the first row when that comes sooner, alpha > 0.605,
 * where the curve steps down as in GDjl); beyond the last row C' falls as
 * (x/D)^-2 from it [GDjl]. Dense if (g0' q0/(u^3 D))^(1/3) >= 0.15.
 *
 * Puff (instantaneous, V0): alpha = 0.5 log10(g0' V0^(1/3)/u^2), beta =
 * log10(x/V0^(1/3)), rows 0.1 .. 0.001; near field max(3.24/(3.24 + x'^2),
 * 0.1) out to the first row, (x')^-2 past the last [GDjl]. Dense if
 * sqrt(g0' V0^(1/3))/u >= 0.20 (unconfirmed).
 *
 * Non-isothermal: the chart value C' gives C = C'/(C' + (1 - C') T0/Ta).
 *
 * Flags: CQ_FLAG_NOT_DENSE when the criterion says passive (the answer is
 * still given); CQ_FLAG_EXTRAPOLATED when alpha is outside CQ_BM_ALPHA_MIN..
 * CQ_BM_ALPHA_MAX or the distance is past the table's last row (the x^-2
 * tail is GDjl's extension, not the workbook's); CQ_FLAG_CAPPED when a
 * distance search reaches CQ_RANGE_MAX_M. A release not denser than the air
 * is CQ_EINVAL (use the Gaussian plume). */

#define CQ_BM_ALPHA_MIN   (-0.7)
#define CQ_BM_ALPHA_MAX   1.0
#define CQ_M_AIR_KG_MOL   0.028964
#define CQ_BM_DENSE_PLUME 0.15
#define CQ_BM_DENSE_PUFF  0.20

typedef struct cq_bm_release {
    double density_kg_m3;     /* rho0 of the released gas at temp_k (cq_gas_density) */
    double temp_k;            /* T0, release temperature; 0 = ambient (isothermal) */
    double rate_m3_s;         /* q0 at T0, for the plume functions */
    double volume_m3;         /* V0 at T0, for the puff functions */
    double air_density_kg_m3; /* rhoa; 0 = ideal gas from the cq_air temperature and pressure */
} cq_bm_release;

/* The screening numbers of a plume or a puff. */
typedef struct cq_bm_params {
    double g0_m_s2;  /* g0' */
    double length_m; /* D (plume) or V0^(1/3) (puff) */
    double alpha;
    double criterion; /* compared with CQ_BM_DENSE_PLUME or _PUFF */
    double lb_m;      /* plume only: l_b = g0' q0/u^3 */
    double near_x;    /* x/length where the near-field formula ends */
    double last_x;    /* x/length of the table's last row (start of the x^-2 tail) */
    unsigned flags;   /* CQ_FLAG_NOT_DENSE, CQ_FLAG_EXTRAPOLATED (alpha) */
} cq_bm_params;

/* Ideal-gas density P M/(R T), kg/m3: molar_mass_kg_mol, temp_k > 0;
 * pressure_pa 0 for CQ_P_ATM. NAN on bad input. */
double cq_gas_density(double molar_mass_kg_mol, double temp_k, double pressure_pa);

int cq_bm_plume_params(const cq_bm_release *rel, const cq_air *air, cq_bm_params *out, char *err,
                       size_t errcap);
int cq_bm_puff_params(const cq_bm_release *rel, const cq_air *air, cq_bm_params *out, char *err,
                      size_t errcap);

/* Concentration (volume fraction) at downwind distance x_m >= 0. */
int cq_bm_plume_conc(const cq_bm_release *rel, const cq_air *air, double x_m, double *c,
                     unsigned *flags, char *err, size_t errcap);
int cq_bm_puff_conc(const cq_bm_release *rel, const cq_air *air, double x_m, double *c,
                    unsigned *flags, char *err, size_t errcap);

/* The farthest downwind distance (m) at which the concentration is at least
 * c (0 < c < 1): the threat-zone distance of a toxic endpoint given as a
 * volume fraction (ppm x 1e-6). */
int cq_bm_plume_distance(const cq_bm_release *rel, const cq_air *air, double c, double *x_m,
                         unsigned *flags, char *err, size_t errcap);
int cq_bm_puff_distance(const cq_bm_release *rel, const cq_air *air, double c, double *x_m,
                        unsigned *flags, char *err, size_t errcap);

/* Crosswind half-width of the plume at x_m >= 0: L_H = D + 8 l_b +
 * 2.5 (l_b x^2)^(1/3) [BM88 via GDjl]. */
int cq_bm_plume_half_width(const cq_bm_release *rel, const cq_air *air, double x_m, double *lh_m,
                           unsigned *flags, char *err, size_t errcap);

/* Toxic threat zones of a plume (puff = false) or a puff (true): distances
 * to the red, orange and yellow levels (volume fractions, e.g. AEGL-3/2/1
 * in ppm x 1e-6; red >= orange >= yellow, each in (0, 1)). */
int cq_bm_zones(const cq_bm_release *rel, const cq_air *air, bool puff, double red, double orange,
                double yellow, cq_zones *zones, char *err, size_t errcap);

/* ==== END explosion and dense gas ======================================== */

/* ==== BEGIN plume rise, source terms, dispersion options ================ */
/* ==== END plume rise, source terms, dispersion options =================== */

#endif
