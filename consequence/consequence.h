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
/* ==== END explosion and dense gas ======================================== */

/* ==== BEGIN plume rise, source terms, dispersion options ================ */
/* ==== END plume rise, source terms, dispersion options =================== */

#endif
