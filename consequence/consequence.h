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
/* ==== END explosion and dense gas ======================================== */

/* ==== BEGIN plume rise, source terms, dispersion options ================ */
/* ==== END plume rise, source terms, dispersion options =================== */

#endif
