/*
 * plume.c - Gaussian plume dispersion for the emergency view. The API and
 * the frames are in plume.h; the physics is docs/reference/gaussian-
 * plume.md, whose numbers are copied into the tables below.
 *
 * Everything here is a pure function of its arguments: the stability table,
 * the Briggs sigma rows and the substance records are const tables, and the
 * footprint works in stack buffers plus the one ring it hands back.
 *
 * The footprint is the one piece of numerics. Along the plume axis the
 * centreline value C0(x) (at receptor height) is scanned on a geometric grid
 * from the near-source limit to the cap, its maximum refined by golden-
 * section search and inserted into the scan, and the ends of the zone
 * C0 >= threshold found by bisection between the scan points that straddle
 * the threshold. Across the plume the Gaussian gives the half-width in
 * closed form, y(x) = sigma_y sqrt(2 ln(C0 / threshold)), so every interior
 * vertex lies exactly on the contour. The x samples start geometric (the
 * zone is thin and fast-changing near the source) and are then refined where
 * the chord between neighbours strays furthest from y(x) - which puts points
 * at the rounded downwind tip, where y(x) goes like sqrt(x2 - x). A zone made
 * of several pieces along the axis (not seen with Briggs sigmas) would come
 * out as one ring pinched to the axis between them.
 */
#include <assert.h>
#include <math.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#include "consequence/consequence.h"
#include "views/plume.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

#define DEG (M_PI / 180.0)

/* Argument checks: finite and >= 0, finite and > 0 (NaN fails both). */
static int nonneg(double v) {
    return isfinite(v) && v >= 0;
}
static int positive(double v) {
    return isfinite(v) && v > 0;
}

/* ---- stability class ---------------------------------------------------- */

/* Reference section 2 (NOAA READY after Pasquill 1961), each cell as
 * printed: "A-B" is a split class. Columns: day strong, moderate, slight
 * insolation; night with thin overcast or > 4/8 low cloud; night with <= 4/8
 * cloud. */
enum { COL_STRONG, COL_MODERATE, COL_SLIGHT, COL_NIGHT_CLOUDY, COL_NIGHT_CLEAR, N_COLS };

static const char stability_table[5][N_COLS][4] = {
    /* < 2 m/s */ {"A", "A-B", "B", "E", "F"},
    /* 2-3 m/s */ {"A-B", "B", "C", "E", "F"},
    /* 3-5 m/s */ {"B", "B-C", "C", "D", "E"},
    /* 5-6 m/s */ {"C", "C-D", "D", "D", "D"},
    /* > 6 m/s */ {"C", "D", "D", "D", "D"},
};

/* Rows: < 2, [2, 3), [3, 5), [5, 6], > 6. The reference prints "5-6" and
 * "> 6", so 6 itself belongs to the 5-6 row; the other shared edges go to
 * the row they open. */
static int wind_row(double u) {
    if (u < 2) return 0;
    if (u < 3) return 1;
    if (u < 5) return 2;
    if (u <= 6) return 3;
    return 4;
}

int plume_stability(const plume_weather *w, plume_class *cls, unsigned *flags) {
    if (!w || !cls) return -1;
    if (!nonneg(w->wind_10m_m_s)) return -1;
    if (w->period < PLUME_DAY || w->period > PLUME_TWILIGHT) return -1;
    if (w->insolation < PLUME_INSOLATION_STRONG || w->insolation > PLUME_INSOLATION_SLIGHT)
        return -1;
    if (w->cloud_okta < PLUME_OKTA_UNKNOWN || w->cloud_okta > 8) return -1;

    unsigned f = 0;
    if (w->wind_10m_m_s < PLUME_MIN_WIND_M_S) f |= PLUME_FLAG_LOW_WIND;
    /* Reference section 2: D whatever the wind for full overcast, by day or
     * night, and for the hour either side of night. */
    if (w->cloud_okta == 8) {
        *cls = PLUME_D;
        f |= PLUME_FLAG_OVERCAST;
    } else if (w->period == PLUME_TWILIGHT) {
        *cls = PLUME_D;
        f |= PLUME_FLAG_TWILIGHT;
    } else {
        int col;
        if (w->period == PLUME_DAY)
            col = (int)w->insolation; /* COL_STRONG .. COL_SLIGHT */
        else
            col = (w->thin_overcast || w->cloud_okta > 4) ? COL_NIGHT_CLOUDY : COL_NIGHT_CLEAR;
        const char *cell = stability_table[wind_row(w->wind_10m_m_s)][col];
        /* Split class -> the more stable one (reference section 2, reported
         * convention: A-B -> B, B-C -> C, C-D -> D). */
        *cls = (plume_class)(cell[cell[1] ? 2 : 0] - 'A');
        if (cell[1]) f |= PLUME_FLAG_SPLIT_CLASS;
    }
    if (flags) *flags = f;
    return 0;
}

const char *plume_class_name(plume_class cls) {
    static const char *const names[PLUME_CLASS_COUNT] = {"A", "B", "C", "D", "E", "F"};
    if ((int)cls < 0 || (int)cls >= PLUME_CLASS_COUNT) return "?";
    return names[cls];
}

int plume_stability_at(int64_t at_ms, double lon, double lat, double wind_10m_m_s, plume_class *cls,
                       unsigned *flags, plume_weather *w) {
    time_t secs = (time_t)(at_ms / 1000);
    struct tm tm;
    if (!gmtime_r(&secs, &tm)) return -1;
    double utc_h = tm.tm_hour + tm.tm_min / 60.0 + tm.tm_sec / 3600.0;
    plume_weather ww = {.wind_10m_m_s = wind_10m_m_s, .cloud_okta = PLUME_OKTA_UNKNOWN};
    plume_weather_from_sun(plume_solar_hour(utc_h, tm.tm_yday + 1, lon), tm.tm_yday + 1, lat, &ww);
    if (w) *w = ww;
    return plume_stability(&ww, cls, flags);
}

const char *plume_class_label(plume_class cls, bool split) {
    static const char *const splits[] = {"A\u2013B", "B\u2013C", "C\u2013D"};
    if (split && cls >= PLUME_B && cls <= PLUME_D) return splits[cls - PLUME_B];
    return plume_class_name(cls);
}

/* ---- the sun ------------------------------------------------------------- */

/* Spencer, J.W. (1971), Fourier series representation of the position of the
 * sun, Search 2(5):172, as given in Duffie & Beckman, Solar Engineering of
 * Thermal Processes, eqs. 1.4.2 (equation of time) and 1.6.1b (declination).
 * Not from the reference; accurate to about 0.04 deg and 0.5 min. */
static double spencer_angle(int day_of_year) {
    return 2 * M_PI * (day_of_year - 1) / 365.0;
}

static double declination_rad(int day_of_year) {
    double b = spencer_angle(day_of_year);
    return 0.006918 - 0.399912 * cos(b) + 0.070257 * sin(b) - 0.006758 * cos(2 * b) +
           0.000907 * sin(2 * b) - 0.002697 * cos(3 * b) + 0.00148 * sin(3 * b);
}

static double wrap_hours(double h) {
    h = fmod(h, 24.0);
    return h < 0 ? h + 24.0 : h;
}

double plume_solar_hour(double utc_hour, int day_of_year, double longitude_deg) {
    if (!isfinite(utc_hour) || !isfinite(longitude_deg) || day_of_year < 1 || day_of_year > 366)
        return NAN;
    double b = spencer_angle(day_of_year);
    double eot_min = 229.2 * (0.000075 + 0.001868 * cos(b) - 0.032077 * sin(b) -
                              0.014615 * cos(2 * b) - 0.04089 * sin(2 * b));
    return wrap_hours(utc_hour + longitude_deg / 15.0 + eot_min / 60.0);
}

static int sun_args_ok(double solar_hour, int day_of_year, double latitude_deg) {
    return isfinite(solar_hour) && isfinite(latitude_deg) && latitude_deg >= -90 &&
           latitude_deg <= 90 && day_of_year >= 1 && day_of_year <= 366;
}

int plume_solar_elevation(double solar_hour, int day_of_year, double latitude_deg,
                          double *elevation_deg) {
    if (!elevation_deg || !sun_args_ok(solar_hour, day_of_year, latitude_deg)) return -1;
    double phi = latitude_deg * DEG, delta = declination_rad(day_of_year);
    double omega = 15.0 * (wrap_hours(solar_hour) - 12.0) * DEG; /* hour angle */
    double s = sin(phi) * sin(delta) + cos(phi) * cos(delta) * cos(omega);
    if (s > 1) s = 1;
    if (s < -1) s = -1;
    *elevation_deg = asin(s) / DEG;
    return 0;
}

int plume_weather_from_sun(double solar_hour, int day_of_year, double latitude_deg,
                           plume_weather *w) {
    if (!w || !sun_args_ok(solar_hour, day_of_year, latitude_deg)) return -1;
    double elev;
    plume_solar_elevation(solar_hour, day_of_year, latitude_deg, &elev);
    double t = wrap_hours(solar_hour);

    /* Sunrise/sunset: elevation -0.833 deg (refraction 0.567 + semidiameter
     * 0.267, the usual almanac convention). */
    double phi = latitude_deg * DEG, delta = declination_rad(day_of_year);
    double den = cos(phi) * cos(delta);
    double cos_w0 = den > 1e-12 ? (sin(-0.833 * DEG) - sin(phi) * sin(delta)) / den
                                : (sin(phi) * sin(delta) > 0 ? -2.0 : 2.0);
    plume_period period;
    if (cos_w0 <= -1) {
        period = PLUME_DAY; /* the sun never sets */
    } else if (cos_w0 >= 1) {
        period = PLUME_NIGHT; /* it never rises */
    } else {
        double half_day_h = acos(cos_w0) / DEG / 15.0;
        double sunrise = 12.0 - half_day_h, sunset = 12.0 + half_day_h;
        /* Reference section 2 (Pasquill 1961): night runs from 1 h before
         * sunset to 1 h after sunrise, and the hour either side of it takes
         * D. On days shorter than 2 h the night covers everything. */
        if (t < sunrise + 1 || t > sunset - 1)
            period = PLUME_NIGHT;
        else if (t < sunrise + 2 || t > sunset - 2)
            period = PLUME_TWILIGHT;
        else
            period = PLUME_DAY;
    }
    w->period = period;
    /* Turner (1964) insolation classes by solar elevation (given in the
     * brief; the reference only names the classes): > 60 strong, 35-60
     * moderate, 15-35 slight; below 15 deg by day is also slight. */
    if (period != PLUME_DAY)
        w->insolation = PLUME_INSOLATION_SLIGHT; /* not used at night or twilight */
    else if (elev > 60)
        w->insolation = PLUME_INSOLATION_STRONG;
    else if (elev >= 35)
        w->insolation = PLUME_INSOLATION_MODERATE;
    else
        w->insolation = PLUME_INSOLATION_SLIGHT;
    return 0;
}

/* ---- Briggs sigmas -------------------------------------------------------- */

/* sigma = a x (1 + b x)^e, e one of 0, +1/2, -1/2, -1. */
typedef struct briggs_fit {
    double a, b;
    int e2; /* 2 e */
} briggs_fit;

/* Reference section 3: Briggs (1973), ATDL 79, via AIChE/CCPS (1999). */
static const briggs_fit rural_y[PLUME_CLASS_COUNT] = {
    {0.22, 0.0001, -1}, {0.16, 0.0001, -1}, {0.11, 0.0001, -1},
    {0.08, 0.0001, -1}, {0.06, 0.0001, -1}, {0.04, 0.0001, -1},
};
static const briggs_fit rural_z[PLUME_CLASS_COUNT] = {
    {0.20, 0, 0},        /* A: 0.20x */
    {0.12, 0, 0},        /* B: 0.12x */
    {0.08, 0.0002, -1},  /* C: 0.08x(1+0.0002x)^-1/2 */
    {0.06, 0.0015, -1},  /* D: 0.06x(1+0.0015x)^-1/2 */
    {0.03, 0.0003, -2},  /* E: 0.03x(1+0.0003x)^-1 */
    {0.016, 0.0003, -2}, /* F: 0.016x(1+0.0003x)^-1 */
};
/* Urban rows: A-B, C, D, E-F (terrain_fits maps the classes to them). */
static const briggs_fit urban_y[4] = {
    {0.32, 0.0004, -1}, {0.22, 0.0004, -1}, {0.16, 0.0004, -1}, {0.11, 0.0004, -1}};
static const briggs_fit urban_z[4] = {
    {0.24, 0.001, +1},  /* A-B: 0.24x(1+0.001x)^+1/2 - plus, as Briggs has it (section 3) */
    {0.20, 0, 0},       /* C: 0.20x */
    {0.14, 0.0003, -1}, /* D: 0.14x(1+0.0003x)^-1/2 */
    {0.08, 0.0015, -1}, /* E-F: 0.08x(1+0.0015x)^-1/2 */
};

/* Per terrain: the sigma_y and sigma_z rows, and each class's row in them. */
static const struct terrain_fits {
    const briggs_fit *y, *z;
    int row[PLUME_CLASS_COUNT];
} terrain_fits[] = {
    [PLUME_RURAL] = {rural_y, rural_z, {0, 1, 2, 3, 4, 5}},
    [PLUME_URBAN] = {urban_y, urban_z, {0, 0, 1, 2, 3, 3}},
};

static double briggs(const briggs_fit *f, double x) {
    double ax = f->a * x, g = 1 + f->b * x;
    switch (f->e2) {
        case 0:
            return ax;
        case 1:
            return ax * sqrt(g);
        case -1:
            return ax / sqrt(g);
        default:
            return ax / g;
    }
}

static int class_ok(plume_terrain t, plume_class c) {
    return (t == PLUME_RURAL || t == PLUME_URBAN) && (int)c >= 0 && (int)c < PLUME_CLASS_COUNT;
}

/* Unchecked: callers have validated the class. */
static void sigmas(plume_terrain t, plume_class c, double x, double *sy, double *sz) {
    const struct terrain_fits *f = &terrain_fits[t];
    *sy = briggs(&f->y[f->row[c]], x);
    *sz = briggs(&f->z[f->row[c]], x);
}

cq_stability plume_class_cq(plume_class c, bool split) {
    static const cq_stability whole[PLUME_CLASS_COUNT] = {CQ_STAB_A, CQ_STAB_B, CQ_STAB_C,
                                                          CQ_STAB_D, CQ_STAB_E, CQ_STAB_F};
    return split && c >= PLUME_B && c <= PLUME_D ? (cq_stability)(whole[c] - 1) : whole[c];
}

/* The met's sigmas: Briggs' (this file's tables, as since issue 12) for a
 * whole class; another set, or a split class (the geometric mean of its
 * two neighbours' sigmas, consequence/'s documented rule), from
 * consequence/. */
static void met_sigmas(const plume_met *m, double x, double *sy, double *sz) {
    if (m->sigma_set == PLUME_SIGMAS_BRIGGS && !m->split) {
        sigmas(m->terrain, m->cls, x, sy, sz);
        return;
    }
    cq_sigma_set set = m->sigma_set == PLUME_SIGMAS_PASQUILL_GIFFORD ? CQ_SIGMAS_TURNER_PG
                       : m->sigma_set == PLUME_SIGMAS_ISC3           ? CQ_SIGMAS_ISC3_RURAL
                       : m->terrain == PLUME_URBAN                   ? CQ_SIGMAS_BRIGGS_URBAN
                                                                     : CQ_SIGMAS_BRIGGS_RURAL;
    if (cq_sigmas(set, plume_class_cq(m->cls, m->split), x, sy, sz, NULL, NULL, 0) != CQ_OK)
        sigmas(m->terrain, m->cls, x, sy, sz); /* not reached: x > 0 and the class are checked */
}

int plume_sigmas(plume_terrain terrain, plume_class cls, double x_m, double *sigma_y_m,
                 double *sigma_z_m) {
    if (!class_ok(terrain, cls) || !positive(x_m)) return -1;
    double sy, sz;
    sigmas(terrain, cls, x_m, &sy, &sz);
    if (sigma_y_m) *sigma_y_m = sy;
    if (sigma_z_m) *sigma_z_m = sz;
    return 0;
}

/* ---- concentration -------------------------------------------------------- */

static double effective_wind(double u, unsigned *flags) {
    if (u < PLUME_MIN_WIND_M_S) {
        if (flags) *flags |= PLUME_FLAG_LOW_WIND;
        return PLUME_MIN_WIND_M_S;
    }
    return u;
}

static int source_met_ok(const plume_source *s, const plume_met *m) {
    return s && m && nonneg(s->q_g_s) && nonneg(s->height_m) && isfinite(s->x_m) &&
           isfinite(s->y_m) && nonneg(m->wind_m_s) && isfinite(m->wind_from_deg) &&
           class_ok(m->terrain, m->cls) && (int)m->sigma_set >= 0 &&
           m->sigma_set <= PLUME_SIGMAS_ISC3 &&
           (!m->split || (m->cls >= PLUME_B && m->cls <= PLUME_D));
}

/* Reference section 1, with the image source at -H. Also yields sigma_y for
 * the footprint's half-width. */
static double conc_core(const plume_met *m, double q, double u, double h, double x, double y,
                        double z, double *sy_out) {
    if (x <= 0) {
        if (sy_out) *sy_out = 0;
        return 0;
    }
    double sy, sz;
    met_sigmas(m, x, &sy, &sz);
    if (sy_out) *sy_out = sy;
    double zm = z - h, zp = z + h;
    double vert = exp(-zm * zm / (2 * sz * sz)) + exp(-zp * zp / (2 * sz * sz));
    return q / (2 * M_PI * u * sy * sz) * exp(-y * y / (2 * sy * sy)) * vert;
}

double plume_conc_g_m3(const plume_source *src, const plume_met *met, double x_m, double y_m,
                       double z_m) {
    if (!source_met_ok(src, met) || !isfinite(x_m) || !isfinite(y_m) || !isfinite(z_m) || z_m < 0)
        return NAN;
    double u = effective_wind(met->wind_m_s, NULL);
    return conc_core(met, src->q_g_s, u, src->height_m, x_m, y_m, z_m, NULL);
}

/* Unit vectors of the plume frame in the map frame: downwind d and the
 * crosswind-left l = d turned 90 deg counter-clockwise. A wind from bearing
 * theta blows towards theta + 180. */
static void plume_axes(double wind_from_deg, double *dx, double *dy, double *lx, double *ly) {
    double th = wind_from_deg * DEG;
    *dx = -sin(th);
    *dy = -cos(th);
    *lx = -*dy;
    *ly = *dx;
}

void plume_to_plume_frame(const plume_source *src, const plume_met *met, double east_m,
                          double north_m, double *down_m, double *cross_m) {
    assert(src && met && down_m && cross_m);
    double dx, dy, lx, ly;
    plume_axes(met->wind_from_deg, &dx, &dy, &lx, &ly);
    double e = east_m - src->x_m, n = north_m - src->y_m;
    *down_m = e * dx + n * dy;
    *cross_m = e * lx + n * ly;
}

double plume_conc_at_g_m3(const plume_source *src, const plume_met *met, double east_m,
                          double north_m, double z_m) {
    if (!source_met_ok(src, met) || !isfinite(east_m) || !isfinite(north_m)) return NAN;
    double x, y;
    plume_to_plume_frame(src, met, east_m, north_m, &x, &y);
    return plume_conc_g_m3(src, met, x, y, z_m);
}

/* ---- units ------------------------------------------------------------------ */

/* Reference section 1: molar volume 24.45 L at 25 degC and 1 atm. */
#define MOLAR_VOLUME_L 24.45

double plume_mg_m3_to_ppm(double mg_m3, double molar_mass_g_mol) {
    return mg_m3 * MOLAR_VOLUME_L / molar_mass_g_mol;
}
double plume_ppm_to_mg_m3(double ppm, double molar_mass_g_mol) {
    return ppm * molar_mass_g_mol / MOLAR_VOLUME_L;
}
double plume_g_m3_to_ppm(double g_m3, double molar_mass_g_mol) {
    return plume_mg_m3_to_ppm(g_m3 * 1000.0, molar_mass_g_mol);
}
double plume_ppm_to_g_m3(double ppm, double molar_mass_g_mol) {
    return plume_ppm_to_mg_m3(ppm, molar_mass_g_mol) / 1000.0;
}
/* 100 %LEL = LEL % vol x 10,000 ppm, so %LEL = ppm / (LEL x 100). */
double plume_ppm_to_pct_lel(double ppm, double lel_pct_vol) {
    return ppm / (lel_pct_vol * 100.0);
}
double plume_pct_lel_to_ppm(double pct_lel, double lel_pct_vol) {
    return pct_lel * lel_pct_vol * 100.0;
}

/* ---- footprint ---------------------------------------------------------------- */

#define SCAN_POINTS      512
#define MAX_PER_SIDE     4096
#define DEFAULT_PER_SIDE 64
/* Briggs' fits hold for roughly 100 m - 10 km (reference section 3). */
#define BRIGGS_MIN_M 100.0
#define BRIGGS_MAX_M 10000.0

typedef struct zone {
    plume_met met;
    double q, u, h, z, threshold;
} zone;

static double centreline(const zone *c, double x) {
    return conc_core(&c->met, c->q, c->u, c->h, x, 0, c->z, NULL);
}

static double half_width(const zone *c, double x) {
    double sy;
    double c0 = conc_core(&c->met, c->q, c->u, c->h, x, 0, c->z, &sy);
    if (!(c0 > c->threshold)) return 0;
    return sy * sqrt(2 * log(c0 / c->threshold));
}

/* Golden-section search for the maximum of f on [a, b]; *fx its value. */
static double golden_max(double (*f)(const zone *, double), const zone *c, double a, double b,
                         double *fx) {
    const double r = 0.6180339887498949;
    double x1 = b - r * (b - a), x2 = a + r * (b - a);
    double f1 = f(c, x1), f2 = f(c, x2);
    for (int i = 0; i < 200 && b - a > 1e-10 * b; i++) {
        if (f1 < f2) {
            a = x1;
            x1 = x2;
            f1 = f2;
            x2 = a + r * (b - a);
            f2 = f(c, x2);
        } else {
            b = x2;
            x2 = x1;
            f2 = f1;
            x1 = b - r * (b - a);
            f1 = f(c, x1);
        }
    }
    if (f1 >= f2) {
        *fx = f1;
        return x1;
    }
    *fx = f2;
    return x2;
}

/* The threshold crossing of C0 between an inside point (C0 >= threshold)
 * and an outside one, in either order. */
static double crossing(const zone *c, double inside, double outside) {
    for (int i = 0; i < 200 && fabs(outside - inside) > 1e-12 * fmax(inside, outside); i++) {
        double mid = 0.5 * (inside + outside);
        if (centreline(c, mid) >= c->threshold)
            inside = mid;
        else
            outside = mid;
    }
    return 0.5 * (inside + outside);
}

/* Chord error of interval [i, i+1]: how far y at its midpoint is from the
 * straight line between the ends. */
static double chord_error(const zone *c, const double *xs, const double *ys, size_t i) {
    double mid = 0.5 * (xs[i] + xs[i + 1]);
    return fabs(half_width(c, mid) - 0.5 * (ys[i] + ys[i + 1]));
}

/* Samples x in [x1, x2] and the half-widths there: n points, the first
 * n / 2 geometric, the rest added one at a time in the middle of the
 * interval with the largest chord error. The end half-widths are as given
 * (0 where the zone closes on the axis). Returns the point count. */
static size_t sample_sides(const zone *c, double x1, double x2, double y1, double y2, size_t n,
                           double *xs, double *ys, double *err) {
    assert(n >= 2 && x1 > 0 && x2 > x1);
    size_t m = n / 2 < 2 ? 2 : n / 2;
    for (size_t i = 0; i < m; i++) {
        xs[i] = x1 * pow(x2 / x1, (double)i / (double)(m - 1));
        ys[i] = half_width(c, xs[i]);
    }
    xs[0] = x1;
    xs[m - 1] = x2;
    ys[0] = y1;
    ys[m - 1] = y2;
    for (size_t i = 0; i + 1 < m; i++) err[i] = chord_error(c, xs, ys, i);
    while (m < n) {
        size_t worst = 0;
        for (size_t i = 1; i + 1 < m; i++)
            if (err[i] > err[worst]) worst = i;
        if (!(err[worst] > 1e-9)) break; /* resolved to a nanometre: stop */
        double mid = 0.5 * (xs[worst] + xs[worst + 1]);
        memmove(xs + worst + 2, xs + worst + 1, (m - worst - 1) * sizeof *xs);
        memmove(ys + worst + 2, ys + worst + 1, (m - worst - 1) * sizeof *ys);
        memmove(err + worst + 2, err + worst + 1, (m - worst - 2) * sizeof *err);
        xs[worst + 1] = mid;
        ys[worst + 1] = half_width(c, mid);
        m++;
        err[worst] = chord_error(c, xs, ys, worst);
        err[worst + 1] = chord_error(c, xs, ys, worst + 1);
    }
    return m;
}

void plume_footprint_free(plume_footprint *fp) {
    if (!fp) return;
    free(fp->ring);
    fp->ring = NULL;
    fp->n = 0;
}

int plume_footprint_compute(const plume_source *src, const plume_met *met, double threshold_g_m3,
                            const plume_footprint_opts *opts, plume_footprint *out) {
    if (!out) return -1;
    memset(out, 0, sizeof *out);
    if (!source_met_ok(src, met) || !positive(threshold_g_m3)) return -1;
    plume_footprint_opts o = opts ? *opts : (plume_footprint_opts){0};
    if (o.points_per_side == 0) o.points_per_side = DEFAULT_PER_SIDE;
    if (o.max_range_m == 0) o.max_range_m = PLUME_MAX_RANGE_M;
    if (o.near_source_m == 0) o.near_source_m = PLUME_NEAR_SOURCE_M;
    if (!nonneg(o.receptor_z_m) || o.points_per_side < 2 || o.points_per_side > MAX_PER_SIDE ||
        !positive(o.near_source_m) || !isfinite(o.max_range_m) || o.max_range_m <= o.near_source_m)
        return -1;

    unsigned flags = 0;
    zone c = {*met,          src->q_g_s,     effective_wind(met->wind_m_s, &flags),
              src->height_m, o.receptor_z_m, threshold_g_m3};
    double xn = o.near_source_m, xmax = o.max_range_m;

    /* Scan the centreline, refine its maximum and insert it into the scan. */
    double sx[SCAN_POINTS + 1], sc[SCAN_POINTS + 1];
    size_t kmax = 0;
    for (size_t k = 0; k < SCAN_POINTS; k++) {
        sx[k] = xn * pow(xmax / xn, (double)k / (SCAN_POINTS - 1));
        sc[k] = centreline(&c, sx[k]);
        if (sc[k] > sc[kmax]) kmax = k;
    }
    sx[SCAN_POINTS - 1] = xmax;
    size_t ns = SCAN_POINTS;
    out->peak_g_m3 = sc[kmax];
    out->peak_at_m = sx[kmax];
    if (kmax > 0 && kmax < SCAN_POINTS - 1) {
        double cp, xp = golden_max(centreline, &c, sx[kmax - 1], sx[kmax + 1], &cp);
        if (cp > sc[kmax]) {
            size_t at = xp < sx[kmax] ? kmax : kmax + 1;
            memmove(sx + at + 1, sx + at, (ns - at) * sizeof *sx);
            memmove(sc + at + 1, sc + at, (ns - at) * sizeof *sc);
            sx[at] = xp;
            sc[at] = cp;
            ns++;
            out->peak_g_m3 = cp;
            out->peak_at_m = xp;
        }
    }
    out->flags = flags;
    if (!(out->peak_g_m3 >= threshold_g_m3)) {
        out->flags |= PLUME_FLAG_EMPTY;
        return 0;
    }

    /* The zone's ends on the axis. */
    size_t first = 0, last = 0;
    while (sc[first] < threshold_g_m3) first++;
    for (size_t k = first; k < ns; k++)
        if (sc[k] >= threshold_g_m3) last = k;
    bool near = first == 0, capped = last == ns - 1;
    double x1 = near ? xn : crossing(&c, sx[first], sx[first - 1]);
    double x2 = capped ? xmax : crossing(&c, sx[last], sx[last + 1]);
    if (!near && !capped && !(x2 - x1 > 1e-9 * x2)) {
        /* the threshold only touches the peak: nothing to draw */
        out->flags |= PLUME_FLAG_EMPTY;
        return 0;
    }
    if (near) flags |= PLUME_FLAG_NEAR_SOURCE;
    if (capped) flags |= PLUME_FLAG_CAPPED;
    if (x1 < BRIGGS_MIN_M || x2 > BRIGGS_MAX_M) flags |= PLUME_FLAG_EXTRAPOLATED;

    /* Sample both sides. */
    size_t n = (size_t)o.points_per_side;
    double *work = malloc(3 * n * sizeof *work);
    plume_point *ring = malloc((2 * n + 2) * sizeof *ring);
    if (!work || !ring) {
        free(work);
        free(ring);
        return -1;
    }
    double *xs = work, *ys = work + n, *err = work + 2 * n;
    size_t m = sample_sides(&c, x1, x2, near ? half_width(&c, x1) : 0,
                            capped ? half_width(&c, x2) : 0, n, xs, ys, err);

    /* Widest point: best sample, refined when it is interior. */
    size_t kw = 0;
    for (size_t i = 1; i < m; i++)
        if (ys[i] > ys[kw]) kw = i;
    out->max_half_width_m = ys[kw];
    out->max_half_width_at_m = xs[kw];
    if (kw > 0 && kw + 1 < m) {
        double yw, xw = golden_max(half_width, &c, xs[kw - 1], xs[kw + 1], &yw);
        if (yw > ys[kw]) {
            out->max_half_width_m = yw;
            out->max_half_width_at_m = xw;
        }
    }

    /* The ring in the plume frame: (source,) right side downwind, left side
     * back; counter-clockwise since the plume frame is right-handed. */
    size_t nr = 0;
    if (near) ring[nr++] = (plume_point){0, 0};
    for (size_t i = 0; i < m; i++) ring[nr++] = (plume_point){xs[i], -ys[i]};
    for (size_t i = m; i-- > 0;) ring[nr++] = (plume_point){xs[i], ys[i]};
    size_t k = 0;
    for (size_t i = 0; i < nr; i++) /* drop repeats where a side meets the axis */
        if (k == 0 || ring[i].x_m != ring[k - 1].x_m || ring[i].y_m != ring[k - 1].y_m)
            ring[k++] = ring[i];
    if (k > 1 && ring[k - 1].x_m == ring[0].x_m && ring[k - 1].y_m == ring[0].y_m) k--;
    ring[k++] = ring[0];
    nr = k;

    /* Turn to the wind and move to the source. */
    double dx, dy, lx, ly;
    plume_axes(met->wind_from_deg, &dx, &dy, &lx, &ly);
    for (size_t i = 0; i < nr; i++) {
        double x = ring[i].x_m, y = ring[i].y_m;
        ring[i] = (plume_point){src->x_m + x * dx + y * lx, src->y_m + x * dy + y * ly};
    }
    free(work);
    out->ring = ring;
    out->n = nr;
    out->min_downwind_m = x1;
    out->max_downwind_m = x2;
    out->flags = flags;
    return 0;
}

/* ---- substances ------------------------------------------------------------------ */

/* The data are in the shared catalogue, substances.c. */

const plume_substance *plume_substance_find(const char *name) {
    return substance_for_plume(substance_find(name));
}

size_t plume_substance_count(void) {
    size_t n, k = 0;
    const substance *all = substances_all(&n);
    for (size_t i = 0; i < n; i++) k += all[i].dispersion;
    return k;
}

const plume_substance *plume_substance_get(size_t i) {
    size_t n;
    const substance *all = substances_all(&n);
    for (size_t k = 0; k < n; k++)
        if (all[k].dispersion && i-- == 0) return &all[k];
    return NULL;
}

/* ---- leak rates -------------------------------------------------------------------- */

#define GRAVITY_M_S2 9.80665     /* standard gravity */
#define GAS_CONSTANT 8.314462618 /* J/(mol K), CODATA 2018 */

static double hole_area_m2(double d) {
    return M_PI * d * d / 4;
}

/* Bernoulli through an orifice, m = Cd A sqrt(2 rho dP): standard
 * engineering practice (e.g. Crowl & Louvar, Chemical Process Safety, 3rd
 * ed., eq. 4-6; CCPS Guidelines for Consequence Analysis). Cd 0.61: a
 * sharp-edged orifice. */
int plume_liquid_leak(double hole_diameter_m, double density_kg_m3, double gauge_pressure_pa,
                      double liquid_head_m, double cd, double *rate_kg_s) {
    if (!rate_kg_s || !nonneg(hole_diameter_m) || !positive(density_kg_m3) ||
        !isfinite(gauge_pressure_pa) || !nonneg(liquid_head_m) || !isfinite(cd) || cd > 1)
        return -1;
    if (cd <= 0) cd = PLUME_CD_SHARP_EDGED;
    double dp = gauge_pressure_pa + density_kg_m3 * GRAVITY_M_S2 * liquid_head_m;
    *rate_kg_s = dp > 0 ? cd * hole_area_m2(hole_diameter_m) * sqrt(2 * density_kg_m3 * dp) : 0;
    return 0;
}

/* Isentropic flow of an ideal gas through a hole: standard engineering
 * practice (Crowl & Louvar, eqs. 4-49 subsonic and 4-50 choked; CCPS). */
int plume_gas_leak(double hole_diameter_m, double p0_pa, double temperature_k,
                   double molar_mass_g_mol, double gamma, double ambient_pa, double cd,
                   double *rate_kg_s, unsigned *flags) {
    if (!rate_kg_s || !nonneg(hole_diameter_m) || !positive(p0_pa) || !positive(temperature_k) ||
        !positive(molar_mass_g_mol) || !isfinite(gamma) || gamma <= 1 || !nonneg(ambient_pa) ||
        !isfinite(cd) || cd > 1)
        return -1;
    if (cd <= 0) cd = PLUME_CD_SHARP_EDGED;
    if (flags) *flags = 0;
    double m_kg = molar_mass_g_mol / 1000.0, rt = GAS_CONSTANT * temperature_k;
    double a = cd * hole_area_m2(hole_diameter_m);
    double critical = pow(2 / (gamma + 1), gamma / (gamma - 1));
    double ratio = ambient_pa / p0_pa;
    if (ratio >= 1) {
        *rate_kg_s = 0;
    } else if (ratio <= critical) {
        double k = gamma * m_kg / rt * pow(2 / (gamma + 1), (gamma + 1) / (gamma - 1));
        *rate_kg_s = a * p0_pa * sqrt(k);
        if (flags) *flags = PLUME_FLAG_CHOKED;
    } else {
        double k = 2 * m_kg / rt * gamma / (gamma - 1) *
                   (pow(ratio, 2 / gamma) - pow(ratio, (gamma + 1) / gamma));
        *rate_kg_s = a * p0_pa * sqrt(k);
    }
    return 0;
}
