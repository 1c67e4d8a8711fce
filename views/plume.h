/*
 * plume.h - Gaussian plume dispersion for the emergency view: Pasquill-Gifford
 * stability from routine weather, Briggs (1973) sigmas, the concentration
 * field of a continuous point release, the footprint polygon of a threshold
 * concentration, toxic endpoints and LELs of the park's substances, and leak
 * rates through a hole. A private header of views/; nothing outside views/
 * includes it.
 *
 * Reference: docs/reference/gaussian-plume.md (sections 1-5) and
 * docs/reference/gas-detection-gb50493.md (LEL table, section 2). The
 * numbers are copied into C tables in plume.c; nothing is read at run time.
 *
 * Frames and units. The map frame is a local metric frame: x east, y north,
 * metres. The plume frame has its origin at the source, x downwind and y
 * crosswind to the left of the wind (right-handed, like the map frame), z up.
 * Wind direction is meteorological: the direction the wind blows FROM, in
 * degrees clockwise from north (a north wind, 0, blows towards -y). Q is g/s,
 * u m/s, heights m, concentrations g/m3 unless a name says otherwise.
 *
 * Sigmas are Briggs' (1973) rural and urban fits throughout, not the
 * Pasquill-Gifford/Turner curves (reference section 3 asks to record which).
 * The wind is taken as given at release height; no profile is applied (for
 * a release near the ground the 10 m wind is the usual stand-in).
 *
 * Model limits, from reference section 1: steady state, flat terrain, no
 * mixing-height lid, no dense-gas slumping (chlorine and cold ammonia are
 * heavier than air: the footprint is a screening estimate for them), and no
 * validity at low wind. Wind below PLUME_MIN_WIND_M_S is raised to it and
 * flagged (PLUME_FLAG_LOW_WIND). Briggs' fits are for about 100 m - 10 km;
 * they are used from PLUME_NEAR_SOURCE_M to the footprint cap and anything
 * outside 100 m - 10 km is flagged PLUME_FLAG_EXTRAPOLATED.
 *
 * Errors: functions returning int give 0 on success and -1 on bad arguments;
 * functions returning a concentration give NAN on bad arguments. Nothing
 * prints, allocates except where stated, or keeps state.
 *
 * Threads: every function is thread-safe (pure; the substance table is
 * constant). Ownership: plume_footprint.ring is allocated by
 * plume_footprint_compute and freed by plume_footprint_free; substance
 * records and their strings are static and live for the program.
 */
#ifndef PARKWATCH_VIEWS_PLUME_H
#define PARKWATCH_VIEWS_PLUME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consequence/consequence.h"
#include "views/substances.h"

/* ---- flags, shared by stability, footprint and leak results ------------- */

#define PLUME_FLAG_LOW_WIND    (1u << 0) /* u < 1 m/s: model invalid; u raised to 1 m/s */
#define PLUME_FLAG_SPLIT_CLASS (1u << 1) /* table gave A-B, B-C or C-D: took the stabler */
#define PLUME_FLAG_OVERCAST    (1u << 2) /* 8/8 cloud: D by day or night */
#define PLUME_FLAG_TWILIGHT    (1u << 3) /* hour either side of night: D */
#define PLUME_FLAG_NEAR_SOURCE                                                                     \
    (1u << 4)                             /* footprint reaches PLUME_NEAR_SOURCE_M: ring closes    \
                                             at the source point, which is not on the contour */
#define PLUME_FLAG_CAPPED       (1u << 5) /* footprint reaches max_range_m: cut straight across */
#define PLUME_FLAG_EMPTY        (1u << 6) /* threshold never reached: no ring */
#define PLUME_FLAG_EXTRAPOLATED (1u << 7) /* footprint outside Briggs' 100 m - 10 km */
#define PLUME_FLAG_CHOKED       (1u << 8) /* gas leak at sonic (choked) flow */

/* Below this the Gaussian plume breaks down (reference section 1). */
#define PLUME_MIN_WIND_M_S 1.0
/* Downwind distance below which the footprint is not computed (see
 * plume_footprint_compute). */
#define PLUME_NEAR_SOURCE_M 10.0
/* Default footprint cap. */
#define PLUME_MAX_RANGE_M 20000.0

/* ---- stability class (reference section 2) ------------------------------ */

typedef enum plume_class { PLUME_A = 0, PLUME_B, PLUME_C, PLUME_D, PLUME_E, PLUME_F } plume_class;
#define PLUME_CLASS_COUNT 6

typedef enum plume_period {
    PLUME_DAY = 0,
    PLUME_NIGHT,   /* 1 h before sunset to 1 h after sunrise (Pasquill 1961) */
    PLUME_TWILIGHT /* the hour either side of night: class D */
} plume_period;

typedef enum plume_insolation {
    PLUME_INSOLATION_STRONG = 0, /* clear midsummer midday in England */
    PLUME_INSOLATION_MODERATE,
    PLUME_INSOLATION_SLIGHT /* a similar midwinter day */
} plume_insolation;

#define PLUME_OKTA_UNKNOWN (-1)

typedef struct plume_weather {
    double wind_10m_m_s;         /* wind speed at 10 m */
    plume_period period;         /* day, night or twilight */
    plume_insolation insolation; /* by day */
    int cloud_okta;              /* total cloud 0..8, or PLUME_OKTA_UNKNOWN */
    bool thin_overcast;          /* by night: thin overcast (E column like > 4/8) */
} plume_weather;

/* The class for the weather, split classes resolved to the more stable one.
 * Row boundaries: < 2, [2, 3), [3, 5), [5, 6], > 6 m/s. 8/8 cloud gives D at
 * any time; by night more than 4/8 cloud or a thin overcast gives the E
 * column, else (also when cloud is unknown: the stabler, conservative
 * choice) the F column. *flags (may be NULL) gets PLUME_FLAG_SPLIT_CLASS,
 * _OVERCAST, _TWILIGHT, _LOW_WIND (< 1 m/s: still the < 2 row). */
int plume_stability(const plume_weather *w, plume_class *cls, unsigned *flags);

/* Solar elevation of the sun's centre (no refraction), degrees, at local
 * apparent solar time solar_hour (0..24) on day_of_year (1..366) at
 * latitude_deg. Declination: Spencer (1971). */
int plume_solar_elevation(double solar_hour, int day_of_year, double latitude_deg,
                          double *elevation_deg);

/* Local apparent solar time (hours, 0..24) from UTC hours and longitude
 * (degrees east), with Spencer's (1971) equation of time. */
double plume_solar_hour(double utc_hour, int day_of_year, double longitude_deg);

/* Fills w->period and w->insolation from the sun, leaving the wind and the
 * cloud fields alone. Night runs from 1 h before sunset to 1 h after
 * sunrise; the hour before and after that is twilight (D); sunrise and
 * sunset are when the elevation is -0.833 deg (refraction and the sun's
 * semidiameter). Insolation by solar elevation (Turner 1964 classes): > 60
 * strong, 35..60 moderate, below 35 slight (also below 15 deg by day). Polar
 * day is all day; polar night all night. */
int plume_weather_from_sun(double solar_hour, int day_of_year, double latitude_deg,
                           plume_weather *w);

/* The class at a time and place from the wind and the sun (the incident
 * view's and the threat zones' one rule): the period and insolation from
 * the sun's elevation at (lon, lat) at at_ms (UTC ms), cloud unknown, then
 * plume_stability. *w (may be NULL) gets the weather used. */
int plume_stability_at(int64_t at_ms, double lon, double lat, double wind_10m_m_s, plume_class *cls,
                       unsigned *flags, plume_weather *w);

/* Letter of a class, "A".."F" ("?" if out of range). */
const char *plume_class_name(plume_class cls);
/* The same with a split class as the table prints it: "A–B", "B–C",
 * "C–D" (U+2013) when split and cls is its stabler half. */
const char *plume_class_label(plume_class cls, bool split);
/* The class as consequence/ numbers them (its nine have the split ones). */
cq_stability plume_class_cq(plume_class cls, bool split);

/* ---- sigmas and concentration (reference sections 1 and 3) -------------- */

typedef enum plume_terrain { PLUME_RURAL = 0, PLUME_URBAN } plume_terrain;

/* Which sigmas (issue 22; the sets are consequence/'s, cq_sigmas):
 * Briggs (1973) for the terrain (the default, these tables); Pasquill-
 * Gifford by Turner's (1970) fits; ISC3's rural set. The last two are
 * open-country fits whatever the terrain. */
typedef enum plume_sigma_set {
    PLUME_SIGMAS_BRIGGS = 0,
    PLUME_SIGMAS_PASQUILL_GIFFORD,
    PLUME_SIGMAS_ISC3
} plume_sigma_set;

/* Briggs (1973) sigmas at x_m > 0 downwind. Urban A and B share the A-B row,
 * E and F the E-F row. -1 if x_m <= 0 or not finite. */
int plume_sigmas(plume_terrain terrain, plume_class cls, double x_m, double *sigma_y_m,
                 double *sigma_z_m);

typedef struct plume_source {
    double q_g_s;    /* emission rate */
    double height_m; /* effective release height H above ground */
    double x_m, y_m; /* position in the map frame (used by _at and the footprint) */
} plume_source;

typedef struct plume_met {
    double wind_m_s;      /* at release height; raised to PLUME_MIN_WIND_M_S */
    double wind_from_deg; /* meteorological direction (used by _at and the footprint) */
    plume_class cls;
    plume_terrain terrain;
    plume_sigma_set sigma_set; /* 0: Briggs */
    /* cls is the stabler half of a split class (B of A-B, C of B-C, D of
     * C-D: what plume_stability returns with PLUME_FLAG_SPLIT_CLASS): the
     * sigmas are the geometric mean of the two classes' (consequence/'s
     * rule). false: the class as it is. */
    bool split;
} plume_met;

/* C(x, y, z) in the plume frame, with total reflection at the ground
 * (reference section 1). 0 upwind (x <= 0); NAN on bad arguments (Q < 0,
 * z < 0, H < 0, wind not > 0, anything not finite). */
double plume_conc_g_m3(const plume_source *src, const plume_met *met, double x_m, double y_m,
                       double z_m);

/* The same at a point of the map frame. */
double plume_conc_at_g_m3(const plume_source *src, const plume_met *met, double east_m,
                          double north_m, double z_m);

/* Map frame point -> plume frame (downwind, crosswind-left). */
void plume_to_plume_frame(const plume_source *src, const plume_met *met, double east_m,
                          double north_m, double *down_m, double *cross_m);

/* ---- units --------------------------------------------------------------- */

/* ppm = mg/m3 x 24.45 / M at 25 degC, 1 atm (reference section 1). */
double plume_mg_m3_to_ppm(double mg_m3, double molar_mass_g_mol);
double plume_ppm_to_mg_m3(double ppm, double molar_mass_g_mol);
double plume_g_m3_to_ppm(double g_m3, double molar_mass_g_mol);
double plume_ppm_to_g_m3(double ppm, double molar_mass_g_mol);
/* 100 %LEL = LEL (% vol) x 10,000 ppm. */
double plume_ppm_to_pct_lel(double ppm, double lel_pct_vol);
double plume_pct_lel_to_ppm(double pct_lel, double lel_pct_vol);

/* ---- footprint of a threshold concentration ----------------------------- */

typedef struct plume_point {
    double x_m, y_m; /* map frame */
} plume_point;

/* Zero fields take the default. */
typedef struct plume_footprint_opts {
    double receptor_z_m;  /* default 0 (ground) */
    int points_per_side;  /* default 64, at most 4096 */
    double max_range_m;   /* default PLUME_MAX_RANGE_M */
    double near_source_m; /* default PLUME_NEAR_SOURCE_M */
} plume_footprint_opts;

typedef struct plume_footprint {
    plume_point *ring;          /* closed ring, counter-clockwise, ring[n-1] == ring[0];
                                   NULL when empty; owned, free with plume_footprint_free */
    size_t n;                   /* points in ring, the closing one included */
    double min_downwind_m;      /* upwind end of the zone (near_source_m if it reaches it) */
    double max_downwind_m;      /* downwind end; 0 when empty */
    double max_half_width_m;    /* widest crosswind half-width */
    double max_half_width_at_m; /* downwind distance of the widest point */
    double peak_g_m3;           /* highest centreline value at receptor height, x >= near */
    double peak_at_m;
    unsigned flags; /* PLUME_FLAG_EMPTY, _NEAR_SOURCE, _CAPPED, _EXTRAPOLATED, _LOW_WIND */
} plume_footprint;

/* The zone where C(x, y, receptor_z) >= threshold_g_m3, for the source at
 * (src->x_m, src->y_m) in the wind met->wind_from_deg. The zone's ends on
 * the centreline are found by bisection, its half-width at downwind x is
 * sigma_y(x) * sqrt(2 ln(C0(x) / threshold)) with C0 the centreline value,
 * sampled on a geometric grid refined where the chord strays most from the
 * curve, and the ring turned to the wind. Empty (flag, n = 0, return 0) when
 * the threshold is not reached. Near the source (x < near_source_m) the
 * model is not evaluated: if the zone reaches it, the ring closes at the
 * source point (PLUME_FLAG_NEAR_SOURCE). Beyond max_range_m the zone is cut
 * straight across (PLUME_FLAG_CAPPED). -1 on bad arguments (threshold not
 * > 0, bad source or met). out is always initialised. */
int plume_footprint_compute(const plume_source *src, const plume_met *met, double threshold_g_m3,
                            const plume_footprint_opts *opts, plume_footprint *out);
void plume_footprint_free(plume_footprint *fp);

/* ---- substances: toxic endpoints and LEL -------------------------------- */

/* Bits of plume_substance.unconfirmed: values marked [U] in the reference. */
#define PLUME_EP_AEGL1 SUBST_EP_AEGL1
#define PLUME_EP_AEGL2 SUBST_EP_AEGL2
#define PLUME_EP_AEGL3 SUBST_EP_AEGL3
#define PLUME_EP_ERPG1 SUBST_EP_ERPG1
#define PLUME_EP_ERPG2 SUBST_EP_ERPG2
#define PLUME_EP_ERPG3 SUBST_EP_ERPG3
#define PLUME_EP_IDLH  SUBST_EP_IDLH
#define PLUME_EP_LEL   SUBST_EP_LEL

/* An entry of the shared substance catalogue (substances.h) with
 * dispersion data: molar mass, AEGL, ERPG, IDLH, LEL, unconfirmed. */
typedef substance plume_substance;

/* By any name, formula, alias or CAS number of the shared catalogue
 * (substance_find: trimmed, ASCII case-insensitive, then ignoring ' ',
 * '-', '_' and ','; "Hydrogen-Sulphide", "H2S", "液氯", "7782-50-5"),
 * following plume_as (LPG is dispersed as propane). NULL when unknown or
 * without dispersion data. */
const plume_substance *plume_substance_find(const char *name);
/* The entries with dispersion data of their own, in catalogue order. */
size_t plume_substance_count(void);
const plume_substance *plume_substance_get(size_t i);

/* ---- leak rates through a hole (standard engineering practice) ---------- */

/* Discharge coefficient of a sharp-edged orifice. */
#define PLUME_CD_SHARP_EDGED 0.61

/* Liquid through a hole, Bernoulli: m = Cd A sqrt(2 rho dP) with dP = gauge
 * pressure + rho g head (liquid above the hole). The initial, highest rate;
 * as the tank drains the rate falls. cd <= 0 takes PLUME_CD_SHARP_EDGED.
 * For a plume take Q = rate x 1000 g/s only as an upper bound: the airborne
 * part depends on flashing and pool evaporation. */
int plume_liquid_leak(double hole_diameter_m, double density_kg_m3, double gauge_pressure_pa,
                      double liquid_head_m, double cd, double *rate_kg_s);

/* Ideal gas through a hole from upstream absolute pressure p0_pa at
 * temperature_k into ambient_pa: choked (sonic) when ambient / p0 <=
 * (2 / (gamma + 1))^(gamma / (gamma - 1)), else subsonic (isentropic nozzle
 * equations). *flags (may be NULL) gets PLUME_FLAG_CHOKED. cd <= 0 takes
 * PLUME_CD_SHARP_EDGED. */
int plume_gas_leak(double hole_diameter_m, double p0_pa, double temperature_k,
                   double molar_mass_g_mol, double gamma, double ambient_pa, double cd,
                   double *rate_kg_s, unsigned *flags);

#endif
