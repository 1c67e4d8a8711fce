/*
 * aqi.c - the HJ 633-2012 air quality index, the GB 3095-2012 limits, the
 * averaging rules behind them and ppm conversion (see aqi.h).
 *
 * Four static tables copied from docs/reference/air-quality-gb3095.md
 * (cited as "gb3095.md"): the IAQI breakpoints (HJ 633 Table 1), the AQI
 * categories and colours, the GB 3095 limits (Tables 1 and 2), and, ours,
 * molar masses for ppm conversion.
 *
 * The IAQI is interpolated with the multiplication done before the
 * division, so a concentration on a breakpoint lands exactly on its IAQI
 * in binary floating point, and rounded up with a 1e-9 allowance, so a
 * result that should be an integer is not pushed to the next one by noise.
 * Undefined IAQIs (1-h SO2 and 8-h O3 above 800) are a status, not an
 * error: the caller's other columns stand in for them.
 */
#include "views/aqi.h"
#include "common/errmsg.h"

#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---------------------------------------------------------------------- */
/* IAQI                                                                    */
/* ---------------------------------------------------------------------- */

/* gb3095.md section 2: the IAQI of each breakpoint row. */
static const int iaqi_levels[AQI_N_BREAKPOINTS] = {0, 50, 100, 150, 200, 300, 400, 500};

/* gb3095.md section 2, HJ 633-2012 Table 1, one column per kind; NAN where
 * the standard defines no breakpoint (notes b1, b2). ug/m3, CO mg/m3. */
static const struct {
    const char *name, *pollutant, *unit;
    double bp[AQI_N_BREAKPOINTS];
    size_t n; /* defined breakpoints */
} columns[AQI_KIND_COUNT] = {
    [AQI_SO2_24H] = {"SO2_24h", "SO2", "ug/m3", {0, 50, 150, 475, 800, 1600, 2100, 2620}, 8},
    /* b1: no 1-h SO2 IAQI above 800 */
    [AQI_SO2_1H] = {"SO2_1h", "SO2", "ug/m3", {0, 150, 500, 650, 800, NAN, NAN, NAN}, 5},
    [AQI_NO2_24H] = {"NO2_24h", "NO2", "ug/m3", {0, 40, 80, 180, 280, 565, 750, 940}, 8},
    [AQI_NO2_1H] = {"NO2_1h", "NO2", "ug/m3", {0, 100, 200, 700, 1200, 2340, 3090, 3840}, 8},
    [AQI_PM10_24H] = {"PM10_24h", "PM10", "ug/m3", {0, 50, 150, 250, 350, 420, 500, 600}, 8},
    [AQI_CO_24H] = {"CO_24h", "CO", "mg/m3", {0, 2, 4, 14, 24, 36, 48, 60}, 8},
    [AQI_CO_1H] = {"CO_1h", "CO", "mg/m3", {0, 5, 10, 35, 60, 90, 120, 150}, 8},
    [AQI_O3_1H] = {"O3_1h", "O3", "ug/m3", {0, 160, 200, 300, 400, 800, 1000, 1200}, 8},
    /* b2: no 8-h O3 IAQI above 800 */
    [AQI_O3_8H] = {"O3_8h", "O3", "ug/m3", {0, 100, 160, 215, 265, 800, NAN, NAN}, 6},
    [AQI_PM25_24H] = {"PM2.5_24h", "PM2.5", "ug/m3", {0, 35, 75, 115, 150, 250, 350, 500}, 8},
};

static bool kind_ok(aqi_kind kind) {
    return (unsigned)kind < AQI_KIND_COUNT;
}

const char *aqi_kind_name(aqi_kind kind) {
    return kind_ok(kind) ? columns[kind].name : NULL;
}

const char *aqi_kind_pollutant(aqi_kind kind) {
    return kind_ok(kind) ? columns[kind].pollutant : NULL;
}

const char *aqi_kind_unit(aqi_kind kind) {
    return kind_ok(kind) ? columns[kind].unit : NULL;
}

const int *aqi_iaqi_levels(void) {
    return iaqi_levels;
}

const double *aqi_breakpoints(aqi_kind kind, size_t *n) {
    if (!kind_ok(kind)) return NULL;
    if (n) *n = columns[kind].n;
    return columns[kind].bp;
}

/* An exact value this close above an integer rounds to it, not past it. */
#define ROUND_TOLERANCE 1e-9

int aqi_iaqi(aqi_kind kind, double concentration, aqi_iaqi_value *out) {
    if (!out || !kind_ok(kind) || !isfinite(concentration) || concentration < 0) return -1;
    const double *bp = columns[kind].bp;
    size_t n = columns[kind].n;
    assert(n >= 2 && bp[0] == 0);
    if (concentration > bp[n - 1]) {
        if (n < AQI_N_BREAKPOINTS) { /* b1, b2: undefined above the column */
            *out = (aqi_iaqi_value){NAN, -1, AQI_IAQI_UNDEFINED};
        } else {
            *out = (aqi_iaqi_value){iaqi_levels[n - 1], iaqi_levels[n - 1], AQI_IAQI_CAPPED};
        }
        return 0;
    }
    size_t i = 0; /* bp[i] <= C <= bp[i + 1] */
    while (concentration > bp[i + 1]) i++;
    assert(i + 1 < n && bp[i] <= concentration);
    /* gb3095.md section 3; multiply first so that C = bp[i + 1] gives
     * exactly iaqi_levels[i + 1]. */
    double exact = iaqi_levels[i] + (double)(iaqi_levels[i + 1] - iaqi_levels[i]) *
                                        (concentration - bp[i]) / (bp[i + 1] - bp[i]);
    out->exact = exact;
    out->iaqi = (int)ceil(exact - ROUND_TOLERANCE);
    out->status = AQI_IAQI_OK;
    assert(out->iaqi >= 0 && out->iaqi <= 500);
    return 0;
}

/* ---------------------------------------------------------------------- */
/* AQI                                                                     */
/* ---------------------------------------------------------------------- */

/* gb3095.md section 4 (HJ 633 via caiyunapp/aqi-hub README; names also on
 * alen0769.com). */
static const aqi_category categories[] = {
    {1, "I", 0, 50, "优", "Excellent", "green", "#00E400", 0, 228, 0},
    {2, "II", 51, 100, "良", "Good", "yellow", "#FFFF00", 255, 255, 0},
    {3, "III", 101, 150, "轻度污染", "Lightly polluted", "orange", "#FF7E00", 255, 126, 0},
    {4, "IV", 151, 200, "中度污染", "Moderately polluted", "red", "#FF0000", 255, 0, 0},
    {5, "V", 201, 300, "重度污染", "Heavily polluted", "purple", "#99004C", 153, 0, 76},
    {6, "VI", 301, -1, "严重污染", "Severely polluted", "maroon", "#7E0023", 126, 0, 35},
};

const aqi_category *aqi_categories(size_t *n) {
    if (n) *n = COUNT(categories);
    return categories;
}

const aqi_category *aqi_category_of(int aqi) {
    if (aqi < 0) return NULL;
    for (size_t i = 0; i < COUNT(categories); i++)
        if (categories[i].aqi_hi < 0 || aqi <= categories[i].aqi_hi) return &categories[i];
    assert(0 && "the last category is open");
    return NULL;
}

int aqi_compute(const aqi_input *inputs, size_t n, aqi_result *out, char *err, size_t errlen) {
    if (!out) return pw_fail(err, errlen, "aqi_compute: out is NULL");
    if (n > 0 && !inputs) return pw_fail(err, errlen, "aqi_compute: inputs is NULL");
    aqi_result res = {0};
    res.aqi = -1;
    for (size_t i = 0; i < n; i++) {
        aqi_kind k = inputs[i].kind;
        if (!kind_ok(k)) return pw_fail(err, errlen, "input %zu: kind %d out of range", i, (int)k);
        if (res.present[k])
            return pw_fail(err, errlen, "input %zu: %s given twice", i, columns[k].name);
        if (aqi_iaqi(k, inputs[i].value, &res.iaqi[k]) != 0)
            return pw_fail(err, errlen, "input %zu: %s concentration %g is not >= 0", i,
                           columns[k].name, inputs[i].value);
        res.present[k] = true;
    }
    for (int k = 0; k < AQI_KIND_COUNT; k++)
        if (res.present[k] && res.iaqi[k].status != AQI_IAQI_UNDEFINED &&
            res.iaqi[k].iaqi > res.aqi)
            res.aqi = res.iaqi[k].iaqi;
    /* Notes b1, b2: the stand-in column must be among the inputs. */
    if (res.present[AQI_SO2_1H] && res.iaqi[AQI_SO2_1H].status == AQI_IAQI_UNDEFINED &&
        !res.present[AQI_SO2_24H])
        res.substitute_missing = true;
    if (res.present[AQI_O3_8H] && res.iaqi[AQI_O3_8H].status == AQI_IAQI_UNDEFINED &&
        !res.present[AQI_O3_1H])
        res.substitute_missing = true;
    for (int k = 0; k < AQI_KIND_COUNT; k++) {
        if (!res.present[k] || res.iaqi[k].status == AQI_IAQI_UNDEFINED) continue;
        /* gb3095.md section 3: primary when AQI > 50 (ties all listed);
         * exceeding when IAQI > 100. */
        if (res.aqi > 50 && res.iaqi[k].iaqi == res.aqi) res.primary[res.n_primary++] = k;
        if (res.iaqi[k].iaqi > 100) res.exceeding[res.n_exceeding++] = k;
    }
    res.category = aqi_category_of(res.aqi);
    *out = res;
    return 0;
}

/* ---------------------------------------------------------------------- */
/* GB 3095-2012 limits                                                     */
/* ---------------------------------------------------------------------- */

static const char *const item_names[AQI_ITEM_COUNT] = {
    "SO2", "NO2", "CO", "O3", "PM10", "PM2.5", "TSP", "NOx", "Pb", "BaP",
};

static const char *const period_names[AQI_AVG_COUNT] = {
    "annual", "quarterly", "24h", "8h_max", "1h",
};

const char *aqi_item_name(aqi_item item) {
    return (unsigned)item < AQI_ITEM_COUNT ? item_names[item] : NULL;
}

const char *aqi_period_name(aqi_period period) {
    return (unsigned)period < AQI_AVG_COUNT ? period_names[period] : NULL;
}

/* gb3095.md section 1: GB 3095-2012 Table 1 (basic items) and Table 2
 * (other items), Grade I and Grade II. */
static const aqi_limit limits[] = {
    {AQI_ITEM_SO2, AQI_AVG_ANNUAL, 20, 60, "ug/m3", 1},
    {AQI_ITEM_SO2, AQI_AVG_24H, 50, 150, "ug/m3", 1},
    {AQI_ITEM_SO2, AQI_AVG_1H, 150, 500, "ug/m3", 1},
    {AQI_ITEM_NO2, AQI_AVG_ANNUAL, 40, 40, "ug/m3", 1},
    {AQI_ITEM_NO2, AQI_AVG_24H, 80, 80, "ug/m3", 1},
    {AQI_ITEM_NO2, AQI_AVG_1H, 200, 200, "ug/m3", 1},
    {AQI_ITEM_CO, AQI_AVG_24H, 4, 4, "mg/m3", 1},
    {AQI_ITEM_CO, AQI_AVG_1H, 10, 10, "mg/m3", 1},
    {AQI_ITEM_O3, AQI_AVG_8H_MAX, 100, 160, "ug/m3", 1},
    {AQI_ITEM_O3, AQI_AVG_1H, 160, 200, "ug/m3", 1},
    {AQI_ITEM_PM10, AQI_AVG_ANNUAL, 40, 70, "ug/m3", 1},
    {AQI_ITEM_PM10, AQI_AVG_24H, 50, 150, "ug/m3", 1},
    {AQI_ITEM_PM25, AQI_AVG_ANNUAL, 15, 35, "ug/m3", 1},
    {AQI_ITEM_PM25, AQI_AVG_24H, 35, 75, "ug/m3", 1},
    {AQI_ITEM_TSP, AQI_AVG_ANNUAL, 80, 200, "ug/m3", 2},
    {AQI_ITEM_TSP, AQI_AVG_24H, 120, 300, "ug/m3", 2},
    {AQI_ITEM_NOX, AQI_AVG_ANNUAL, 50, 50, "ug/m3", 2},
    {AQI_ITEM_NOX, AQI_AVG_24H, 100, 100, "ug/m3", 2},
    {AQI_ITEM_NOX, AQI_AVG_1H, 250, 250, "ug/m3", 2},
    {AQI_ITEM_PB, AQI_AVG_ANNUAL, 0.5, 0.5, "ug/m3", 2},
    {AQI_ITEM_PB, AQI_AVG_QUARTER, 1, 1, "ug/m3", 2},
    {AQI_ITEM_BAP, AQI_AVG_ANNUAL, 0.001, 0.001, "ug/m3", 2},
    {AQI_ITEM_BAP, AQI_AVG_24H, 0.0025, 0.0025, "ug/m3", 2},
};

const aqi_limit *aqi_limits(size_t *n) {
    if (n) *n = COUNT(limits);
    return limits;
}

const aqi_limit *aqi_limit_find(aqi_item item, aqi_period period) {
    for (size_t i = 0; i < COUNT(limits); i++)
        if (limits[i].item == item && limits[i].period == period) return &limits[i];
    return NULL;
}

/* A mean this close above a limit (relative) is taken as equal to it. */
#define LIMIT_TOLERANCE 1e-9

int aqi_limit_check(aqi_item item, aqi_period period, int grade, double mean, aqi_exceedance *out) {
    if (!out || !isfinite(mean) || mean < 0) return -1;
    if (grade != AQI_GRADE_I && grade != AQI_GRADE_II) return -1;
    const aqi_limit *row = aqi_limit_find(item, period);
    if (!row) return -1;
    double limit = grade == AQI_GRADE_I ? row->grade1 : row->grade2;
    assert(limit > 0);
    aqi_exceedance e = {limit, mean / limit, 0, false};
    e.exceeds = mean > limit * (1 + LIMIT_TOLERANCE);
    if (e.exceeds) e.excess = (mean - limit) / limit;
    *out = e;
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Averaging                                                               */
/* ---------------------------------------------------------------------- */

int aqi_mean_hours(const double *hourly, size_t n, unsigned min_valid, aqi_mean *out) {
    if (!out || (n > 0 && !hourly)) return -1;
    double sum = 0;
    unsigned count = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(hourly[i])) continue; /* missing hour */
        if (!isfinite(hourly[i]) || hourly[i] < 0) return -1;
        sum += hourly[i];
        count++;
    }
    out->n_valid = count;
    out->value = count ? sum / count : NAN;
    out->valid = count > 0 && count >= min_valid;
    return 0;
}

int aqi_mean_24h(const double hourly[24], aqi_mean *out) {
    return aqi_mean_hours(hourly, 24, AQI_MIN_HOURS_24H, out);
}

int aqi_mean_8h(const double hourly[8], aqi_mean *out) {
    return aqi_mean_hours(hourly, 8, AQI_MIN_HOURS_8H, out);
}

int aqi_o3_daily_max_8h(const double hourly[24], aqi_o3_daily *out) {
    if (!out || !hourly) return -1;
    aqi_o3_daily d = {NAN, -1, 0, false};
    /* Windows hourly[s .. s+7] for s = 0 .. 16, ending at hour s + 8. */
    for (int s = 0; s + 8 <= 24; s++) {
        aqi_mean m;
        if (aqi_mean_8h(hourly + s, &m) != 0) return -1;
        if (!m.valid) continue;
        d.n_windows++;
        if (d.end_hour < 0 || m.value > d.value) {
            d.value = m.value;
            d.end_hour = s + 8;
        }
    }
    d.valid = d.n_windows >= AQI_MIN_WINDOWS_O3_MAX;
    *out = d;
    return 0;
}

/* ---------------------------------------------------------------------- */
/* ppm conversion                                                          */
/* ---------------------------------------------------------------------- */

int aqi_ppm_to_ug_m3(double ppm, double molar_mass_g_mol, double *ug_m3) {
    if (!ug_m3 || !isfinite(ppm) || ppm < 0) return -1;
    if (!isfinite(molar_mass_g_mol) || molar_mass_g_mol <= 0) return -1;
    *ug_m3 = ppm * molar_mass_g_mol * 1000.0 / AQI_MOLAR_VOLUME_L;
    return 0;
}

int aqi_ug_m3_to_ppm(double ug_m3, double molar_mass_g_mol, double *ppm) {
    if (!ppm || !isfinite(ug_m3) || ug_m3 < 0) return -1;
    if (!isfinite(molar_mass_g_mol) || molar_mass_g_mol <= 0) return -1;
    *ppm = ug_m3 / 1000.0 * AQI_MOLAR_VOLUME_L / molar_mass_g_mol;
    return 0;
}

/* Ours: sums of IUPAC standard atomic weights (abridged: H 1.008, C 12.011,
 * N 14.007, O 15.999, F 18.998, P 30.974, S 32.06, Cl 35.45), to 3
 * decimals. The gases of gas-detection-gb50493.md and gb3095.md. */
static const struct {
    const char *formula, *name;
    double g_mol;
} molar_masses[] = {
    {"SO2", "sulfur dioxide", 64.058},
    {"NO2", "nitrogen dioxide", 46.005},
    {"NO", "nitric oxide", 30.006},
    {"CO", "carbon monoxide", 28.010},
    {"O3", "ozone", 47.997},
    {"H2S", "hydrogen sulfide", 34.076},
    {"NH3", "ammonia", 17.031},
    {"Cl2", "chlorine", 70.900},
    {"HCl", "hydrogen chloride", 36.458},
    {"HCN", "hydrogen cyanide", 27.026},
    {"HF", "hydrogen fluoride", 20.006},
    {"COCl2", "phosgene", 98.910},
    {"PH3", "phosphine", 33.998},
    {"C6H6", "benzene", 78.114},
    {"C7H8", "toluene", 92.141},
    {"CH3OH", "methanol", 32.042},
    {"CH2O", "formaldehyde", 30.026},
    {"C2H3Cl", "vinyl chloride", 62.496},
    {"C2H4O", "ethylene oxide", 44.053},
    {"C3H3N", "acrylonitrile", 53.064},
    {"CH4", "methane", 16.043},
};

static bool same_ascii_ci(const char *a, const char *b) {
    for (; *a && *b; a++, b++) {
        unsigned char x = (unsigned char)*a, y = (unsigned char)*b;
        if (x >= 'A' && x <= 'Z') x = (unsigned char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = (unsigned char)(y - 'A' + 'a');
        if (x != y) return false;
    }
    return *a == *b;
}

double aqi_molar_mass_g_mol(const char *gas) {
    if (!gas) return -1.0;
    for (size_t i = 0; i < COUNT(molar_masses); i++)
        if (same_ascii_ci(gas, molar_masses[i].formula) || same_ascii_ci(gas, molar_masses[i].name))
            return molar_masses[i].g_mol;
    return -1.0;
}
