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

#define CQ_G      9.80665  /* m/s2 */
#define CQ_P_ATM  101325.0 /* Pa */
#define CQ_R_GAS  8.314462 /* J/(mol K) */
#define CQ_E_TNT  4.68e6   /* J/kg, reference section 5 [HyRAM] */
#define CQ_PSI_PA 6894.757

/* Result flags: a model answered outside what it was fitted for. */
#define CQ_FLAG_EXTRAPOLATED (1u << 0) /* an input or distance outside the fitted range */
#define CQ_FLAG_NOT_DENSE    (1u << 1) /* dense-gas model asked of a passive release */
#define CQ_FLAG_INSIDE       (1u << 2) /* target inside the flame or fireball */
#define CQ_FLAG_LOW_WIND     (1u << 3) /* wind below the model's limit, raised to it */
#define CQ_FLAG_CAPPED       (1u << 4) /* a distance search stopped at CQ_RANGE_MAX_M */

/* The weather and releases the models answer for at all: outside these
 * an input is refused (CQ_EINVAL), not extrapolated into nonsense (a
 * wind of 1e136 m/s is a caller's bug, not weather). */
#define CQ_AIR_TEMP_MIN_K        180.0
#define CQ_AIR_TEMP_MAX_K        350.0
#define CQ_WIND_MAX_M_S          75.0 /* above the strongest typhoon's 10-min mean */
#define CQ_GAS_DENSITY_MAX_KG_M3 100.0

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
/*
 * Files: air.c (cq_transmissivity, cq_water_psat_pa), fuels.c (the fuel
 * table), fire.c (pool fire, view factors, the zone search), fireball.c
 * (jet fire, BLEVE fireball, thermal dose and probit). Worked examples:
 * docs/consequence-models.md, "Fires".
 *
 * cq_transmissivity (above) uses P_w = RH * cq_water_psat_pa(T) and
 * returns 1 for a path <= 0 or a dry atmosphere (the formula exceeds 1
 * below P_w X = 2.02^(1/0.09) = 2.5e3 Pa m and is capped there), and NAN
 * for a NULL or invalid air (see "valid air" below). CCPS's validity range
 * 1e4 < P_w X < 1e5 Pa m is not flagged: short and long paths are common.
 *
 * Valid air, for every model below: temp_k in [223.15, 333.15] K, pressure
 * 0 (CQ_P_ATM) or in [50, 110] kPa, relative_humidity in [0, 1], wind_m_s
 * in [0, 50]. Functions returning double give NAN on invalid input.
 */

/* Saturation pressure of water over liquid, reference section 2:
 * 101325 exp(14.4114 - 5328/T) Pa (unconfirmed there; 3188 Pa at 25 C,
 * steam tables 3170). NAN outside [150, 400] K. */
double cq_water_psat_pa(double temp_k);

/* ---- fuels (fuels.c) ---------------------------------------------------- */

/* One flammable substance, named as views/substances.c names it. Typical
 * handbook values, each row's sources in fuels.c; NAN where a property has
 * no meaning (acetylene sublimes at 1 atm: no liquid pool). */
typedef struct cq_fuel {
    const char *name;                /* views/substances.c's name */
    const char *alias;               /* a second accepted name, or NULL */
    double molar_mass_kg_mol;        /* a mixture's: a typical average */
    double boiling_point_k;          /* normal (101.325 kPa); a mixture's: representative */
    double heat_combustion_j_kg;     /* lower (net): water as vapour, 25 C */
    double heat_vaporisation_j_kg;   /* at the normal boiling point */
    double cp_liquid_j_kg_k;         /* liquid, at the density's temperature */
    double density_liquid_kg_m3;     /* at 25 C, or at the boiling point if below 25 C */
    double burning_rate_inf_kg_m2_s; /* Babrauskas m''_inf; 0: not tabulated */
    double k_beta_per_m;             /* Babrauskas k beta; INFINITY: no diameter effect */
    double air_fuel_stoich;          /* stoichiometric air/fuel mass ratio */
    bool sooty;                      /* smoky flame: Mudan & Croce's SEP applies */
} cq_fuel;

/* The fuel of that name or alias, ASCII case-insensitive, surrounding
 * blanks ignored; NULL if none. The pointer is to static const data. */
const cq_fuel *cq_fuel_find(const char *name);

/* The whole table (static const); *n gets its length. */
const cq_fuel *cq_fuels_all(size_t *n);

/* ---- pool fire (fire.c; reference section 2) ---------------------------- */

#define CQ_POOL_DEPTH_DEFAULT_M    0.01 /* EPA RMP spill depth, 1 cm */
#define CQ_POOL_RADIATIVE_FRACTION 0.35 /* default eta: top of the reference's 0.15-0.35 */
#define CQ_POOL_MUDAN_E_MAX_W_M2   140000.0
#define CQ_POOL_MUDAN_E_SOOT_W_M2  20000.0
#define CQ_POOL_MUDAN_S_PER_M      0.12

typedef enum cq_burn_model {
    CQ_BURN_GIVEN = 0,  /* the caller's rate */
    CQ_BURN_BABRAUSKAS, /* m''_inf (1 - exp(-k beta D)): the fuel has m''_inf */
    CQ_BURN_BURGESS     /* 1e-3 dHc / dH*: every other fuel */
} cq_burn_model;

typedef enum cq_sep_model {
    CQ_SEP_GIVEN = 0,         /* the caller's SEP */
    CQ_SEP_MUDAN_CROCE,       /* sooty fuel, where it is below the energy balance */
    CQ_SEP_RADIATIVE_FRACTION /* eta m'' dHc / (1 + 4 H/D) */
} cq_sep_model;

typedef struct cq_pool_fire_in {
    const cq_fuel *fuel;
    /* The pool: diameter_m if > 0; else the dike's area and the spill's
     * area at depth_m, the smaller of those given (a spill smaller than the
     * dike does not fill it). */
    double diameter_m;
    double dike_area_m2;
    double spill_volume_m3;
    double depth_m;              /* 0: CQ_POOL_DEPTH_DEFAULT_M */
    double burning_rate_kg_m2_s; /* > 0: used instead of the models */
    double sep_w_m2;             /* > 0: used instead of the models */
    double radiative_fraction;   /* 0: CQ_POOL_RADIATIVE_FRACTION */
    bool vertical;               /* true: no tilt, whatever the wind */
} cq_pool_fire_in;

typedef struct cq_pool_fire {
    double diameter_m;
    double burning_rate_kg_m2_s; /* m'' */
    cq_burn_model burn_model;
    double heat_release_w; /* m'' A dHc */
    double flame_length_m; /* H, along the flame's axis */
    double tilt_rad;       /* from the vertical, downwind (AGA) */
    double u_star;         /* dimensionless wind, clipped to >= 1 */
    bool wind_form;        /* H from Thomas with wind (u* > 1), else still air */
    double sep_w_m2;
    cq_sep_model sep_model;
    double air_density_kg_m3, vapour_density_kg_m3; /* rho_a; rho_v at the boiling point */
    cq_air air;                                     /* the ambient conditions, pressure filled in */
    unsigned flags;                                 /* CQ_FLAG_EXTRAPOLATED: D outside 1-100 m */
} cq_pool_fire;

/* Diameter, burning rate, flame length and tilt, SEP, reference section 2
 * [AK10 via fireSIM; CCPS99; RAPIDN]. Rules (documented in
 * docs/consequence-models.md): Babrauskas where the fuel has m''_inf,
 * else Burgess with dH* = dHv + cp (Tb - Ta), the sensible term dropped
 * when Tb < Ta; Thomas with wind where u* > 1, else Thomas in still air;
 * AGA tilt; the SEP min(energy balance, Mudan & Croce) for sooty fuels,
 * the energy balance for the others. Marked (unconfirmed) in the
 * reference and used as given: dropping the sensible term, Thomas with
 * wind, the AGA tilt, the 0.15-0.35 range of eta. */
int cq_pool_fire_model(const cq_pool_fire_in *in, const cq_air *air, cq_pool_fire *out, char *err,
                       size_t errlen);

/* The burning rate on its own (kg/m2/s) and which model gave it; NAN on a
 * fuel with neither m''_inf nor heat of vaporisation. */
double cq_pool_burning_rate(const cq_fuel *fuel, double diameter_m, double ambient_k,
                            cq_burn_model *model);

/* Flux (W/m2) at a ground-level target distance_m downwind of the pool's
 * centre: SEP F tau, tau over distance - D/2; within the pool radius the
 * SEP itself with CQ_FLAG_INSIDE. F is the maximum over target
 * orientations, sqrt(F_V^2 + F_H^2): Mudan's closed form for an upright
 * flame, the numerical integral over the sheared cylinder for a tilted
 * one. Flags are ORed into *flags (may be NULL). */
double cq_pool_fire_flux(const cq_pool_fire *pf, double distance_m, unsigned *flags);

/* Downwind distances to CQ_THERMAL_RED/ORANGE/YELLOW_W_M2 from the pool's
 * centre (the pool radius where only the flame itself reaches a level). */
int cq_pool_fire_zones(const cq_pool_fire *pf, cq_zones *out);

/* View factors from a cylindrical flame of radius_m and axis length
 * height_m, its base on the ground, to a ground-level element distance_m
 * from the base's centre (outside the base): vertical (facing the flame)
 * and horizontal (facing up) components; returns sqrt(F_V^2 + F_H^2).
 * cq_view_factor_cylinder: Mudan's closed form, upright. ..._tilted: the
 * cylinder sheared downwind by tilt_rad (horizontal sections stay circles
 * of radius_m), the element downwind, by Gauss-Legendre quadrature over
 * the visible side; the vertical component counts only the flame in front
 * of the element's plane. NAN if the element is not outside the base. */
double cq_view_factor_cylinder(double radius_m, double height_m, double distance_m, double *f_v,
                               double *f_h);
double cq_view_factor_tilted(double radius_m, double height_m, double tilt_rad, double distance_m,
                             double *f_v, double *f_h);

/* ---- jet fire (fireball.c; reference section 3) ------------------------- */

typedef struct cq_jet_fire_in {
    const cq_fuel *fuel;
    double mass_rate_kg_s;
    double exit_velocity_m_s; /* choked: at the expanded (atmospheric) state */
    double radiated_fraction; /* 0: Chamberlain's F_s(u_j) */
} cq_jet_fire_in;

typedef struct cq_jet_fire {
    double radiated_fraction;    /* F_s */
    double heat_release_w;       /* m dHc */
    double source_diameter_m;    /* D_s = sqrt(4 m / (pi rho_a u_j)) */
    double flame_length_still_m; /* Chamberlain's L_b0 */
    double flame_length_wind_m;  /* L_b for a vertical jet: L_b0 (0.51 e^(-0.4 u) + 0.49) */
    cq_air air;
    unsigned flags;
} cq_jet_fire;

int cq_jet_fire_model(const cq_jet_fire_in *in, const cq_air *air, cq_jet_fire *out, char *err,
                      size_t errlen);

/* Reference section 3 [CCPS99; AK10 pp. 108-117 via fireSIM]. The model
 * checks the fuel (dHc, air/fuel), 0 < mass rate <= 1e5 kg/s, 0 < u_j <=
 * 2000 m/s and the air.
 *
 * Point-source flux tau F_s m dHc / (4 pi x^2) at distance_m (> 0) from the
 * release, tau over distance_m; CQ_FLAG_EXTRAPOLATED within the longer
 * flame length, where a point source does not describe the flame. */
double cq_jet_fire_flux(const cq_jet_fire *jf, double distance_m, unsigned *flags);
int cq_jet_fire_zones(const cq_jet_fire *jf, cq_zones *out);

/* ---- BLEVE fireball (fireball.c; reference section 4) ------------------- */

typedef enum cq_fireball_method {
    CQ_FIREBALL_CCPS = 0, /* D = 5.8 M^(1/3); t = 0.45 M^(1/3) (< 30 t) or 2.6 M^(1/6) */
    CQ_FIREBALL_TNO       /* D = 6.48 M^0.325; t = 0.852 M^0.26 */
} cq_fireball_method;

/* Hymes's R for a vessel failing at or above its relief set pressure. */
#define CQ_FIREBALL_RADIATIVE_FRACTION 0.4

typedef struct cq_fireball_in {
    const cq_fuel *fuel; /* for dHc */
    double mass_kg;      /* flammable mass in the fireball */
    cq_fireball_method method;
    double radiative_fraction; /* > 0: used; else from vessel_pressure_pa; else the default */
    double vessel_pressure_pa; /* > 0: F_rad = 0.00325 P^0.32 (Roberts) */
    double centre_height_m;    /* 0: 0.75 D (CCPS, unconfirmed; used with TNO too) */
} cq_fireball_in;

typedef struct cq_fireball {
    double diameter_m, duration_s, centre_height_m;
    double radiative_fraction;
    double sep_w_m2; /* F_rad M dHc / (pi D^2 t) */
    cq_air air;
    unsigned flags; /* CQ_FLAG_EXTRAPOLATED: Roberts's F_rad above 0.4 */
} cq_fireball;

int cq_fireball_model(const cq_fireball_in *in, const cq_air *air, cq_fireball *out, char *err,
                      size_t errlen);

/* Flux on a vertical ground-level target facing the fireball, distance_m
 * horizontally from the point below its centre: SEP F tau with
 * F = r^2 X / L^3, L = sqrt(X^2 + H^2), tau over L - r. Within X < r part
 * of the sphere is behind the target's plane: CQ_FLAG_EXTRAPOLATED (the
 * formula overstates F there). */
double cq_fireball_flux(const cq_fireball *fb, double distance_m, unsigned *flags);
int cq_fireball_zones(const cq_fireball *fb, cq_zones *out);

/* ---- thermal dose and lethality (fireball.c; reference section 8) ------- */

/* Dose t q^(4/3), q in W/m2, t in s; 0 for q or t <= 0. */
double cq_thermal_dose(double flux_w_m2, double exposure_s);

/* Eisenberg: Y = -38.48 + 2.56 ln(t q^(4/3)), P = Phi(Y - 5); the
 * probability of death, 0 for q or t <= 0, NAN on non-finite input. */
double cq_thermal_probit_lethal(double flux_w_m2, double exposure_s);
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

/* Plume rise, source terms and the dispersion options of the Gaussian
 * models (plumerise.c, source.c, dispersion.c): reference sections 1, 7
 * and 9, worked examples in docs/consequence-models.md. Every function
 * returns CQ_OK, or CQ_EINVAL with a one-line reason in err[errcap] (err
 * may be NULL) naming the input at fault; outputs are untouched on error. */

/* ---- stability classes (dispersion.c) ----------------------------------- */

/* Pasquill-Gifford classes with the split classes of the stability table
 * as values of their own (views/plume.c resolves a split class to the
 * stabler one; these keep it). */
typedef enum cq_stability {
    CQ_STAB_A = 0,
    CQ_STAB_AB, /* A-B */
    CQ_STAB_B,
    CQ_STAB_BC, /* B-C */
    CQ_STAB_C,
    CQ_STAB_CD, /* C-D */
    CQ_STAB_D,
    CQ_STAB_E,
    CQ_STAB_F
} cq_stability;
#define CQ_STAB_COUNT 9

/* "A", "A–B", "B", "B–C", "C", "C–D", "D", "E", "F" (the split classes
 * with U+2013 EN DASH, UTF-8); "?" out of range. */
const char *cq_stability_name(cq_stability cls);
/* The two plain classes either side of a split class (A-B: A and B); a
 * plain class gives itself twice. CQ_EINVAL out of range. */
int cq_stability_neighbours(cq_stability cls, cq_stability *lower, cq_stability *upper, char *err,
                            size_t errcap);
/* E and F: the stable classes of the plume-rise formulas (A-D, the split
 * classes included, are unstable or neutral). False out of range. */
bool cq_stability_is_stable(cq_stability cls);

/* ---- dispersion coefficients (dispersion.c; reference section 9) -------- */

typedef enum cq_sigma_set {
    CQ_SIGMAS_BRIGGS_RURAL = 0, /* Briggs (1973) open country [GDjl, CCPS99] */
    CQ_SIGMAS_BRIGGS_URBAN,     /* Briggs (1973) urban; also ISC3's urban set */
    CQ_SIGMAS_TURNER_PG,        /* Pasquill-Gifford, Turner (1970) fits via Lees */
    CQ_SIGMAS_ISC3_RURAL        /* ISC3 rural (EPA-454/B-95-003b) */
} cq_sigma_set;
#define CQ_SIGMA_SET_COUNT 4

/* sigma_y and sigma_z (m) at x_m > 0 downwind, plume (not puff) sigmas.
 *  - Briggs rural and urban: the reference's table; fitted 100 m - 10 km
 *    (CCPS, unconfirmed).
 *  - Turner: sigma_y = a x^b; sigma_z piecewise (power law below 300 m for
 *    A and 500 m for B, D, E, F; log-quadratic beyond). Fitted 100 m -
 *    100 km for sigma_y (the span of the Pasquill-Gifford charts,
 *    unconfirmed) and per class for sigma_z: A to 3 km, B to 20 km, C-F
 *    to 100 km. The published pieces do not meet exactly: at 500 m D
 *    steps down 2.7 % and E 2.4 % (kept as published).
 *  - ISC3 rural: sigma_y = 465.11628 x_km tan(0.017453293 (c - d ln x_km)),
 *    sigma_z = a x_km^b by distance range, capped at 5000 m (ISC3's cap,
 *    not a flag). Flagged outside 100 m - 100 km (the Pasquill-Gifford
 *    span the set was fitted to; unconfirmed).
 * Split classes (A-B, B-C, C-D): each sigma is the geometric mean of the
 * two neighbouring classes' sigmas at the same x. This is Parkwatch's
 * rule, not a published one; it keeps the split class between its
 * neighbours on a log scale, where the curves are drawn.
 * *flags (may be NULL) gets CQ_FLAG_EXTRAPOLATED when x is outside the
 * set's fitted range (for a split class, either neighbour's). */
int cq_sigmas(cq_sigma_set set, cq_stability cls, double x_m, double *sigma_y_m, double *sigma_z_m,
              unsigned *flags, char *err, size_t errcap);

/* ---- wind profile (dispersion.c; reference section 9) ------------------- */

typedef enum cq_wind_profile {
    CQ_WIND_IRWIN_RURAL = 0, /* Irwin (1979) rural, also ISC3 rural */
    CQ_WIND_IRWIN_URBAN,     /* Irwin (1979) urban */
    CQ_WIND_ISC3_URBAN       /* ISC3 urban: Irwin urban with E and F at 0.30 */
} cq_wind_profile;

/* The power-law exponent p of u = u_ref (z / z_ref)^p [GDjl irwin.jl,
 * isc3.jl; CCPS99 Table 2.11]. A split class takes the mean of its
 * neighbours' exponents, which makes its wind the geometric mean of
 * theirs (the rule of cq_sigmas). */
int cq_wind_exponent(cq_wind_profile profile, cq_stability cls, double *p, char *err,
                     size_t errcap);
/* The wind at z_m from u_ref_m_s measured at z_ref_m (0: 10 m), e.g. the
 * 10 m wind carried to a stack top or an effective height. z_m > 0. */
int cq_wind_at_height(cq_wind_profile profile, cq_stability cls, double u_ref_m_s, double z_ref_m,
                      double z_m, double *u_m_s, char *err, size_t errcap);

/* ---- Briggs plume rise as EPA ISC3 uses it (plumerise.c; section 1) ----- */

#define CQ_G_ISC3                9.80616 /* m/s2, ISC3's g (reference section 1) */
#define CQ_DTHETA_DZ_E           0.020   /* K/m, ISC3 default for E (unconfirmed) */
#define CQ_DTHETA_DZ_F           0.035   /* K/m, ISC3 default for F (unconfirmed) */
#define CQ_RISE_MIN_WIND_M_S     1.0     /* ISC3's floor on the stack-top wind (unconfirmed) */
#define CQ_AIR_CP_J_KG_K         1005.0  /* dry air near 300 K, for a fire's buoyancy flux */
#define CQ_AIR_MOLAR_MASS_KG_MOL 0.0289647

typedef struct cq_stack {
    double height_m;          /* physical stack height h_s */
    double diameter_m;        /* inside diameter at the top d_s */
    double exit_velocity_m_s; /* v_s, > 0 */
    double exit_temp_k;       /* T_s */
} cq_stack;

/* Zero fields take the default. */
typedef struct cq_rise_opts {
    double dtheta_dz_k_m;       /* stable classes: 0 takes CQ_DTHETA_DZ_E or _F */
    bool no_stack_tip_downwash; /* ISC3's NOSTD option: h_s' = h_s */
} cq_rise_opts;

typedef enum cq_rise_kind { CQ_RISE_BUOYANT = 0, CQ_RISE_MOMENTUM } cq_rise_kind;

typedef struct cq_plume_rise {
    cq_rise_kind kind;
    cq_stability cls;
    bool stable;               /* E or F formulas */
    double wind_m_s;           /* u_s used (raised to CQ_RISE_MIN_WIND_M_S) */
    double buoyancy_flux;      /* F_b, m4/s3 */
    double momentum_flux;      /* F_m, m4/s2 (0 for a fire) */
    double crossover_dt_k;     /* (dT)_c (0 for a fire) */
    double s;                  /* stability parameter (g/T_a) dtheta/dz, 1/s2; 0 for A-D */
    double beta_j;             /* 1/3 + u_s/v_s, momentum rise only */
    double x_final_m;          /* distance to final rise x_f */
    double final_rise_m;       /* final rise dh */
    double base_height_m;      /* h_s' after stack-tip downwash (release height for a fire) */
    double effective_height_m; /* h_e = h_s' + dh */
    unsigned flags;            /* CQ_FLAG_LOW_WIND */
} cq_plume_rise;

/* Final rise of a stack plume, ISC3 (EPA-454/B-95-003b section 1.1.4 via
 * [GDjl plume_rise.jl] and the Canarina pages reproducing it):
 *   F_b = g v_s d_s^2 (T_s - T_a) / (4 T_s);  F_m = v_s^2 d_s^2 T_a / (4 T_s)
 *   stack-tip downwash (Briggs 1974): h_s' = h_s + 2 d_s (v_s/u_s - 1.5)
 *     when v_s < 1.5 u_s, at least 0 (Parkwatch's floor); the equation is
 *     from secondary pages, unconfirmed against the EPA guide
 *   A-D (and the split classes): F_b < 55: (dT)_c = 0.0297 T_s v_s^(1/3) /
 *     d_s^(2/3), x_f = 49 F_b^(5/8), dh = 21.425 F_b^(3/4) / u_s; F_b >= 55:
 *     (dT)_c = 0.00575 T_s v_s^(2/3) / d_s^(1/3), x_f = 119 F_b^(2/5),
 *     dh = 38.71 F_b^(3/5) / u_s. Momentum (T_s - T_a < (dT)_c):
 *     dh = 3 d_s v_s / u_s, x_f as above or 4 d_s (v_s + 3 u_s)^2 / (v_s u_s)
 *     when F_b <= 0.
 *   E, F: s = (g / T_a) dtheta/dz; (dT)_c = 0.019582 T_s v_s sqrt(s);
 *     buoyant x_f = 2.0715 u_s / sqrt(s), dh = 2.6 (F_b / (u_s s))^(1/3);
 *     momentum dh = min(1.5 (F_m / (u_s sqrt(s)))^(1/3), 3 d_s v_s / u_s),
 *     x_f = (pi/2) u_s / sqrt(s). ISC3 takes no calm-air minimum here
 *     (GasDispersion.jl does).
 * wind_m_s is the wind at the stack top (cq_wind_at_height), raised to
 * CQ_RISE_MIN_WIND_M_S with CQ_FLAG_LOW_WIND. For hot, bent-over plumes;
 * not for dense or cold releases (those fall to momentum rise here). */
int cq_briggs_stack_rise(const cq_stack *stack, cq_stability cls, double ambient_temp_k,
                         double wind_m_s, const cq_rise_opts *opts, cq_plume_rise *out, char *err,
                         size_t errcap);

/* Final rise of a buoyant plume with no stack, from its buoyancy flux
 * alone (the buoyant branches above: no crossover, no momentum, no
 * downwash), released at release_height_m: smoke from a fire. */
int cq_briggs_buoyant_rise(double buoyancy_flux, double release_height_m, cq_stability cls,
                           double ambient_temp_k, double wind_m_s, const cq_rise_opts *opts,
                           cq_plume_rise *out, char *err, size_t errcap);

/* Rise dh(x) and height h_s' + dh(x) at x_m >= 0 downwind (ISC3's gradual
 * rise, each capped at the final rise and equal to it from x_f on):
 *   buoyant: 1.60 F_b^(1/3) x^(2/3) / u_s
 *   momentum A-D: (3 F_m x / (beta_j^2 u_s^2))^(1/3)
 *   momentum E-F: (3 F_m sin(x sqrt(s) / u_s) / (beta_j^2 u_s sqrt(s)))^(1/3)
 * height_m may be NULL. */
int cq_briggs_rise_at(const cq_plume_rise *rise, double x_m, double *rise_m, double *height_m,
                      char *err, size_t errcap);

/* Convective heat of a burning pool, Q_c = m'' A dH_c (1 - chi_r) in W:
 * the heat the smoke carries up (what is not radiated). */
int cq_fire_convective_heat(double burning_rate_kg_m2_s, double area_m2,
                            double heat_of_combustion_j_kg, double radiative_fraction,
                            double *convective_w, char *err, size_t errcap);
/* Buoyancy flux of a heat source (Briggs 1969, 1975):
 *   F_b = g Q_c / (pi c_p rho_a T_a),  rho_a = p M_air / (R T_a)
 * (so F_b = g Q_c R / (pi c_p p M_air), independent of T_a: 8.80e-6
 * m4/s3 per W at 1 atm). It is the stack F_b with the heat carried,
 * Q_c = rho_s c_p v_s (pi d_s^2 / 4)(T_s - T_a) and rho_s T_s = rho_a T_a
 * (verified algebra). pressure_pa 0: CQ_P_ATM; ambient_temp_k is checked
 * but cancels. Q_c >= 0. */
int cq_fire_buoyancy_flux(double convective_w, double ambient_temp_k, double pressure_pa,
                          double *buoyancy_flux, char *err, size_t errcap);

/* ---- source terms (source.c; reference section 7) ----------------------- */

#define CQ_CD_DEFAULT       0.61 /* sharp-edged orifice, Re > 30 000 [CCPS99 p. 27] */
#define CQ_POOL_MIN_DEPTH_M 0.01 /* EPA RMP's 1 cm */

/* Liquid through a hole (Bernoulli, CCPS96 eq. 4-10):
 *   m = C_d A rho sqrt(2 dP / rho + 2 g h_L),  dP = gauge pressure.
 * The initial, highest rate; 0 when dP / rho + g h_L <= 0. cd 0 takes
 * CQ_CD_DEFAULT (1.0 is the conservative choice). */
typedef struct cq_liquid_hole {
    double hole_diameter_m;
    double density_kg_m3;
    double gauge_pressure_pa; /* pressure above the liquid minus ambient */
    double head_m;            /* liquid height above the hole, >= 0 */
    double cd;                /* 0: CQ_CD_DEFAULT; else (0, 1] */
} cq_liquid_hole;
int cq_liquid_release(const cq_liquid_hole *in, double *rate_kg_s, char *err, size_t errcap);

typedef struct cq_gas_hole {
    double hole_diameter_m;
    double pressure_pa; /* upstream absolute P_1 */
    double temp_k;      /* upstream T_1 */
    double molar_mass_kg_mol;
    double gamma;      /* c_p / c_v, > 1 */
    double ambient_pa; /* 0: CQ_P_ATM */
    double cd;         /* 0: CQ_CD_DEFAULT; else (0, 1] */
} cq_gas_hole;

typedef struct cq_gas_release {
    double rate_kg_s;
    double mass_flux_kg_m2_s; /* G, per hole area */
    bool choked;
    double exit_pressure_pa;   /* P_j = eta P_1 */
    double exit_temp_k;        /* T_j = T_1 eta^((k-1)/k) */
    double exit_density_kg_m3; /* rho_j = rho_1 eta^(1/k) */
    double exit_velocity_m_s;  /* G / (C_d rho_j): sonic when choked */
} cq_gas_release;

/* Ideal gas through a hole, isentropic [GDjl jet_source.jl citing CCPS99]:
 *   eta_c = (2/(k+1))^(k/(k-1)); eta = max(P_a/P_1, eta_c); choked when
 *   P_a/P_1 <= eta_c;
 *   G = C_d sqrt(rho_1 P_1 (2k/(k-1)) (eta^(2/k) - eta^((k+1)/k)))
 * with the exit state above. No flow (rate 0) when P_1 <= P_a. */
int cq_gas_release_rate(const cq_gas_hole *in, cq_gas_release *out, char *err, size_t errcap);

typedef enum cq_flash_form {
    CQ_FLASH_LINEAR = 0, /* f = c_p (T - T_b) / dH_v [CCPS96 eq. 4-14]: the default */
    CQ_FLASH_INTEGRATED  /* f = 1 - exp(-c_p (T - T_b) / dH_v) (unconfirmed; Crowl & Louvar) */
} cq_flash_form;

typedef struct cq_flash {
    double vapour_fraction;   /* f_v, 0..1 */
    double airborne_fraction; /* f_v (1 + aerosol multiple), at most 1 */
    unsigned flags;           /* CQ_FLAG_EXTRAPOLATED: the linear form passed 1, held at 1 */
} cq_flash;

/* Flash of a pressurised liquefied gas let down from temp_k to 1 atm
 * (boil_k, its normal boiling point). The linear form is the default: it
 * is the confirmed one and the larger (the conservative choice); the
 * integrated form lets c_p and dH_v act on the shrinking liquid. 0 when
 * temp_k <= boil_k (no superheat). aerosol_multiple >= 0 adds liquid
 * carried as fine droplets, airborne = f_v (1 + multiple) (often 1-2 x
 * f_v [Blog-Butane]); 0 for none. */
int cq_flash_fraction(double temp_k, double boil_k, double cp_liquid_j_kg_k, double hvap_j_kg,
                      cq_flash_form form, double aerosol_multiple, cq_flash *out, char *err,
                      size_t errcap);

/* Pool spreading on flat ground from the front condition
 * dr/dt = sqrt(2 g h) (standard form, unconfirmed):
 *   instantaneous volume V: r(t) = (8 g V / pi)^(1/4) t^(1/2)
 *   continuous rate Q:      r(t) = (32 g Q / (9 pi))^(1/4) t^(3/4)
 * stopped at the dike (r = sqrt(A_dike / pi)) or at the minimum depth
 * (default 1 cm): r = sqrt(V / (pi h_min)), V = Q t for a continuous
 * spill (which then grows at that depth as it is fed: Parkwatch's reading
 * of "stop at a minimum depth" for a pool still being fed). No
 * evaporation or soak-away. */
typedef enum cq_spill { CQ_SPILL_INSTANT = 0, CQ_SPILL_CONTINUOUS } cq_spill;
typedef enum cq_pool_limit {
    CQ_POOL_SPREADING = 0, /* still spreading freely */
    CQ_POOL_MIN_DEPTH,     /* held at the minimum depth */
    CQ_POOL_DIKE           /* filling the dike */
} cq_pool_limit;

typedef struct cq_pool_spread {
    cq_spill spill;
    double volume_m3;    /* instant: the volume spilled */
    double rate_m3_s;    /* continuous: the volume rate */
    double dike_area_m2; /* 0: no dike */
    double min_depth_m;  /* 0: CQ_POOL_MIN_DEPTH_M */
} cq_pool_spread;

typedef struct cq_pool {
    double radius_m, area_m2, depth_m;
    cq_pool_limit limit;
} cq_pool;

int cq_pool_at(const cq_pool_spread *in, double t_s, cq_pool *out, char *err, size_t errcap);

/* Mass-transfer coefficient of a non-boiling pool, Mackay & Matsugu
 * (1973): k_m = 0.0048 u10^(7/9) D^(-1/9) Sc^(-2/3) m/s, D the pool
 * diameter (coefficients unconfirmed; RAPID-N confirms EPA RMP eq. D-1
 * derives from it). */
int cq_mackay_matsugu(double wind_10m_m_s, double pool_diameter_m, double schmidt, double *k_m_s,
                      char *err, size_t errcap);
/* Evaporation of a non-boiling pool: E = k_m A M p_v / (R T_pool), kg/s. */
int cq_pool_evaporation(double k_m_s, double area_m2, double molar_mass_kg_mol,
                        double vapour_pressure_pa, double pool_temp_k, double *rate_kg_s, char *err,
                        size_t errcap);
/* A boiling (cryogenic) pool on ground, heat conducted from a
 * semi-infinite solid (unconfirmed):
 *   q(t) = k_s (T_g - T_b) / sqrt(pi alpha_s t),  m''(t) = q / dH_v
 * and the mass boiled off per area up to t,
 *   M''(t) = 2 k_s (T_g - T_b) sqrt(t) / (dH_v sqrt(pi alpha_s)).
 * t_s > 0; 0 when T_g <= T_b. evaporated_kg_m2 may be NULL. */
int cq_boiling_pool(double ground_conductivity_w_m_k, double ground_diffusivity_m2_s,
                    double ground_temp_k, double boil_k, double hvap_j_kg, double t_s,
                    double *mass_flux_kg_m2_s, double *evaporated_kg_m2, char *err, size_t errcap);

/* ==== END plume rise, source terms, dispersion options =================== */

#endif
