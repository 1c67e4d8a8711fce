/*
 * aqi.h - ambient air quality: the HJ 633-2012 air quality index and the
 * GB 3095-2012 limits, with the averaging rules a caller needs and a ppm
 * conversion for toxic gas detectors. A private header of views/; nothing
 * outside views/ includes it.
 *
 * The facts come from docs/reference/air-quality-gb3095.md (cited as
 * "gb3095.md section N"); the numbers are copied into aqi.c so the module
 * builds and tests without that file.
 *
 *   IAQI = (IAQI_hi - IAQI_lo) / (BP_hi - BP_lo) * (C - BP_lo) + IAQI_lo
 *   AQI  = max IAQI                                (gb3095.md section 3)
 *
 * Concentrations are in ug/m3, except CO in mg/m3 (the standards' units).
 * They are used as given: a caller that reports rounded concentrations
 * rounds them before calling.
 *
 * Ownership and threads: every function is pure (no I/O, no mutable
 * globals) and thread-safe. Returned table pointers are static; results go
 * into caller-provided structs.
 */
#ifndef PARKWATCH_VIEWS_AQI_H
#define PARKWATCH_VIEWS_AQI_H

#include <stdbool.h>
#include <stddef.h>

/* ---------------------------------------------------------------------- */
/* IAQI (HJ 633-2012 Table 1)                                              */
/* ---------------------------------------------------------------------- */

/* One column of HJ 633 Table 1: a pollutant and its averaging period
 * (gb3095.md section 2). The 1-h SO2, NO2 and CO columns are for hourly
 * (real-time) reports only; daily reports use the 24-h columns. PM10 and
 * PM2.5 have only 24-h columns: hourly reports apply them to hourly or
 * rolling 24-h values, as the site does. */
typedef enum aqi_kind {
    AQI_SO2_24H = 0,
    AQI_SO2_1H,
    AQI_NO2_24H,
    AQI_NO2_1H,
    AQI_PM10_24H,
    AQI_CO_24H, /* mg/m3 */
    AQI_CO_1H,  /* mg/m3 */
    AQI_O3_1H,
    AQI_O3_8H, /* 8-h moving mean (hourly) or daily maximum 8-h mean (daily) */
    AQI_PM25_24H,
    AQI_KIND_COUNT
} aqi_kind;

/* "SO2_24h", "O3_8h", "PM2.5_24h", ...; NULL when out of range. */
const char *aqi_kind_name(aqi_kind kind);
/* "SO2", "NO2", "PM10", "CO", "O3", "PM2.5"; NULL when out of range. */
const char *aqi_kind_pollutant(aqi_kind kind);
/* "ug/m3" or "mg/m3"; NULL when out of range. */
const char *aqi_kind_unit(aqi_kind kind);

#define AQI_N_BREAKPOINTS 8

/* The IAQI values of the breakpoint rows: 0, 50, 100, 150, 200, 300, 400,
 * 500. */
const int *aqi_iaqi_levels(void);
/* The concentrations of kind's column, row by row, and in *n how many are
 * defined: 8, or 5 for SO2 1 h (up to 800) and 6 for O3 8 h (up to 800).
 * NULL when kind is out of range. */
const double *aqi_breakpoints(aqi_kind kind, size_t *n);

typedef enum aqi_iaqi_status {
    AQI_IAQI_OK = 0,
    /* Above the column's top breakpoint: IAQI 500. HJ 633 as reproduced
     * in gb3095.md defines nothing above 500; we cap rather than
     * extrapolate, and say so. */
    AQI_IAQI_CAPPED,
    /* gb3095.md section 2 notes b1 and b2: 1-h SO2 above 800 ug/m3 and
     * 8-h O3 above 800 ug/m3 have no IAQI; the 24-h SO2 and the 1-h O3
     * IAQI are reported instead. */
    AQI_IAQI_UNDEFINED
} aqi_iaqi_status;

typedef struct aqi_iaqi_value {
    double exact; /* interpolated; 500 when capped; NAN when undefined */
    int iaqi;     /* exact rounded UP to an integer; -1 when undefined */
    aqi_iaqi_status status;
} aqi_iaqi_value;

/* IAQI of one concentration by linear interpolation between the bracketing
 * breakpoints. Rounding: up to the next integer (gb3095.md section 3:
 * "rounded up", recalled from HJ 633 as "全部进位取整数" and marked
 * unconfirmed there; the reference's worked example 106.25 -> 107 follows
 * it). An exact value within 1e-9 above an integer counts as that integer,
 * so breakpoints map exactly (PM2.5 35 -> 50, not 51). Returns 0 (see
 * out->status), or -1 for a kind out of range or a concentration that is
 * negative or not finite. */
int aqi_iaqi(aqi_kind kind, double concentration, aqi_iaqi_value *out);

/* ---------------------------------------------------------------------- */
/* AQI, level, category, primary pollutant                                 */
/* ---------------------------------------------------------------------- */

/* gb3095.md section 4 (HJ 633 via caiyunapp/aqi-hub README). */
typedef struct aqi_category {
    int level;               /* 1..6 */
    const char *roman;       /* "I" .. "VI" */
    int aqi_lo, aqi_hi;      /* inclusive; aqi_hi = -1 for the open top */
    const char *name_zh;     /* "优" .. "严重污染" (UTF-8) */
    const char *name_en;     /* "Excellent" .. "Severely polluted" */
    const char *colour_name; /* "green" .. "maroon" */
    const char *colour_hex;  /* "#00E400" .. "#7E0023" */
    unsigned char r, g, b;
} aqi_category;

/* The six categories, level 1 first. */
const aqi_category *aqi_categories(size_t *n);
/* The category of an AQI: 0-50 level 1, 51-100 level 2, 101-150 level 3,
 * 151-200 level 4, 201-300 level 5, above 300 level 6. NULL for a
 * negative AQI. */
const aqi_category *aqi_category_of(int aqi);

/* One measured value: which column it belongs to, and the concentration. */
typedef struct aqi_input {
    aqi_kind kind;
    double value;
} aqi_input;

typedef struct aqi_result {
    int aqi;                             /* max IAQI; -1 when no IAQI was computed */
    const aqi_category *category;        /* NULL when aqi is -1 */
    bool present[AQI_KIND_COUNT];        /* which kinds were given */
    aqi_iaqi_value iaqi[AQI_KIND_COUNT]; /* per kind, valid where present */
    /* Primary pollutants: when AQI > 50, every kind whose (rounded) IAQI
     * equals the AQI (ties all listed, in aqi_kind order). None at AQI <= 50. */
    size_t n_primary;
    aqi_kind primary[AQI_KIND_COUNT];
    /* Exceeding pollutants: every kind with IAQI > 100 (gb3095.md section 3). */
    size_t n_exceeding;
    aqi_kind exceeding[AQI_KIND_COUNT];
    /* A 1-h SO2 above 800 without a 24-h SO2, or an 8-h O3 above 800 without
     * a 1-h O3, among the inputs: the substitute the standard calls for is
     * missing, so the AQI may be understated. */
    bool substitute_missing;
} aqi_result;

/* AQI of n values, at most one per kind. Kinds whose IAQI is undefined
 * (notes b1, b2) are left out of the maximum; the substitute kind, when
 * given, is in it like any other. Returns 0, or -1 with a message in err
 * for NULL pointers, a repeated kind, or a value aqi_iaqi rejects. n = 0
 * gives aqi -1. */
int aqi_compute(const aqi_input *inputs, size_t n, aqi_result *out, char *err, size_t errlen);

/* ---------------------------------------------------------------------- */
/* GB 3095-2012 limits                                                     */
/* ---------------------------------------------------------------------- */

typedef enum aqi_item {
    AQI_ITEM_SO2 = 0,
    AQI_ITEM_NO2,
    AQI_ITEM_CO, /* mg/m3 */
    AQI_ITEM_O3,
    AQI_ITEM_PM10,
    AQI_ITEM_PM25,
    AQI_ITEM_TSP, /* Table 2 from here on */
    AQI_ITEM_NOX,
    AQI_ITEM_PB,
    AQI_ITEM_BAP, /* benzo[a]pyrene */
    AQI_ITEM_COUNT
} aqi_item;

typedef enum aqi_period {
    AQI_AVG_ANNUAL = 0,
    AQI_AVG_QUARTER,
    AQI_AVG_24H,
    AQI_AVG_8H_MAX, /* daily maximum 8-h mean (O3) */
    AQI_AVG_1H,
    AQI_AVG_COUNT
} aqi_period;

/* "SO2", "NO2", "CO", "O3", "PM10", "PM2.5", "TSP", "NOx", "Pb", "BaP". */
const char *aqi_item_name(aqi_item item);
/* "annual", "quarterly", "24h", "8h_max", "1h". */
const char *aqi_period_name(aqi_period period);

/* One row of GB 3095-2012 Table 1 or 2 (gb3095.md section 1). */
typedef struct aqi_limit {
    aqi_item item;
    aqi_period period;
    double grade1; /* class 1 zones */
    double grade2; /* class 2 zones: chemical parks */
    const char *unit;
    int table; /* 1 (basic items) or 2 (other items) */
} aqi_limit;

/* Every row of both tables. */
const aqi_limit *aqi_limits(size_t *n);
/* The row for an item and period; NULL when GB 3095 sets no such limit
 * (e.g. CO annual, PM2.5 1 h). */
const aqi_limit *aqi_limit_find(aqi_item item, aqi_period period);

#define AQI_GRADE_I  1
#define AQI_GRADE_II 2 /* the park's: gb3095.md section 1 */

typedef struct aqi_exceedance {
    double limit;  /* in the row's unit */
    double ratio;  /* mean / limit */
    double excess; /* (mean - limit) / limit when exceeding, else 0 */
    bool exceeds;  /* mean > limit */
} aqi_exceedance;

/* Compares a mean (in the row's unit) with the limit of grade (AQI_GRADE_I
 * or AQI_GRADE_II). A mean equal to the limit does not exceed it: GB 3095
 * limits are the highest permitted values, and a mean within 1e-9
 * (relative) above the limit counts as equal, to absorb floating-point
 * noise from averaging. excess is the "超标倍数" (times over the limit) of
 * HJ 663 as we recall it, (C - S) / S [unconfirmed: not in the reference].
 * Returns 0, or -1 when there is no such limit, the grade is not 1 or 2,
 * or the mean is negative or not finite. */
int aqi_limit_check(aqi_item item, aqi_period period, int grade, double mean, aqi_exceedance *out);

/* ---------------------------------------------------------------------- */
/* Averaging                                                               */
/* ---------------------------------------------------------------------- */

/* Minimum data (GB 3095-2012 data validity rules, recalled: the reference
 * does not state them, so they are unconfirmed):
 *   24-h mean            at least 20 hourly values in the day
 *   8-h mean             at least 6 hourly values in the 8 hours
 *   O3 daily max 8-h     at least 14 valid 8-h means among the 17 whose
 *                        8 hours lie in the day (ending 08:00 .. 24:00) */
#define AQI_MIN_HOURS_24H      20
#define AQI_MIN_HOURS_8H       6
#define AQI_MIN_WINDOWS_O3_MAX 14

typedef struct aqi_mean {
    double value;     /* mean of the values present; NAN when none */
    unsigned n_valid; /* values (or windows) present */
    bool valid;       /* n_valid meets the minimum */
} aqi_mean;

/* Mean of the n hourly values present (a missing hour is NAN), valid when
 * at least min_valid are present. Negative or infinite values are
 * rejected. Returns 0 or -1 (NULL pointers, a bad value). */
int aqi_mean_hours(const double *hourly, size_t n, unsigned min_valid, aqi_mean *out);

/* 24-h mean of a day's hourly values (hourly[0] = 00:00-01:00), valid with
 * AQI_MIN_HOURS_24H or more. Returns 0 or -1. */
int aqi_mean_24h(const double hourly[24], aqi_mean *out);

/* 8-h mean of eight consecutive hourly values, valid with AQI_MIN_HOURS_8H
 * or more: the hourly O3 8-h moving mean (the caller passes the 8 hours
 * ending at the current one, across midnight if needed). Returns 0 or -1. */
int aqi_mean_8h(const double hourly[8], aqi_mean *out);

typedef struct aqi_o3_daily {
    double value;       /* highest valid 8-h mean; NAN when none */
    int end_hour;       /* its window ends at this hour (8..24); -1 when none */
    unsigned n_windows; /* valid 8-h means among the 17 */
    bool valid;         /* n_windows >= AQI_MIN_WINDOWS_O3_MAX */
} aqi_o3_daily;

/* Daily maximum 8-h O3 mean from a day's hourly values (hourly[0] =
 * 00:00-01:00; NAN = missing). The windows are the 17 whose hours lie in
 * the day: hours 0-7 (ending 08:00) to 16-23 (ending 24:00), each valid
 * with AQI_MIN_HOURS_8H values. When fewer than AQI_MIN_WINDOWS_O3_MAX
 * windows are valid, value is still the highest of those present, but
 * valid is false: it is a lower bound of the true maximum, so a caller
 * may still count it as an exceedance if it is above the limit (HJ 663
 * does, as we recall; unconfirmed). Returns 0 or -1. */
int aqi_o3_daily_max_8h(const double hourly[24], aqi_o3_daily *out);

/* ---------------------------------------------------------------------- */
/* ppm conversion (toxic gas detectors)                                    */
/* ---------------------------------------------------------------------- */

/* Molar volume of an ideal gas at 25 C and 101.325 kPa, L/mol, as the
 * occupational-hygiene convention rounds it (RT/p gives 24.465): also the
 * reference state GB 3095 uses since its 2018 amendment (298.15 K,
 * 1013.25 hPa; gb3095.md section 1, unconfirmed there). */
#define AQI_MOLAR_VOLUME_L 24.45

/* ug/m3 = ppm * M * 1000 / 24.45 and back (mg/m3 = ppm * M / 24.45).
 * Returns 0, or -1 for a negative or non-finite value or molar mass <= 0. */
int aqi_ppm_to_ug_m3(double ppm, double molar_mass_g_mol, double *ug_m3);
int aqi_ug_m3_to_ppm(double ug_m3, double molar_mass_g_mol, double *ppm);

/* Molar mass (g/mol) of a gas a park detects, by formula or English name,
 * ASCII case-insensitive ("H2S", "hydrogen sulfide", "cl2"); computed from
 * IUPAC standard atomic weights. -1.0 when not in the table. */
double aqi_molar_mass_g_mol(const char *gas);

#endif
