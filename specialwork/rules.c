/*
 * rules.c - GB 30871-2022's rules as data (ref: docs/reference/
 * special-work-and-closed-park.md): the categories and grades (ref §1.1),
 * each permit's longest validity (ref §1.2), the gas-test limits (ref
 * §1.5) with the gases' LELs (docs/reference/gas-detection-gb50493.md §2),
 * and the location's geometry: checked where it enters, and distances in
 * metres on a local plane (a park is a few km across: the flat-earth error
 * is far below a metre at 30 m).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "specialwork/internal.h"

#define MIN_MS  60000LL
#define HOUR_MS (60 * MIN_MS)
#define DAY_MS  (24 * HOUR_MS)

/* ---- categories and grades (ref §1.1) ---- */

static const char *const grades_hot[] = {"special", "1", "2", NULL};
static const char *const grades_height[] = {"I", "II", "III", "IV", NULL};
static const char *const grades_lifting[] = {"1", "2", "3", NULL};

static const struct {
    const char *name;
    const char *chapter; /* GB 30871-2022's chapter, ref §1.1 */
    const char *const *grades;
    const char *grade_help;
} cats[SW_CATEGORY_COUNT] = {
    [SW_HOT_WORK] = {"hot_work", "5", grades_hot, "special (特级), 1 (一级) or 2 (二级)"},
    [SW_CONFINED_SPACE] = {"confined_space", "6", NULL, NULL},
    [SW_BLINDING] = {"blinding", "7", NULL, NULL},
    [SW_WORK_AT_HEIGHT] = {"work_at_height", "8", grades_height, "I, II, III or IV"},
    [SW_LIFTING] = {"lifting", "9", grades_lifting, "1, 2 or 3"},
    [SW_TEMPORARY_POWER] = {"temporary_power", "10", NULL, NULL},
    [SW_EXCAVATION] = {"excavation", "11", NULL, NULL},
    [SW_ROAD_CLOSURE] = {"road_closure", "12", NULL, NULL},
};

const char *sw_category_name(sw_category c) {
    return (unsigned)c < SW_CATEGORY_COUNT ? cats[c].name : "unknown";
}

bool sw_category_parse(const char *name, sw_category *out) {
    for (int i = 0; name && i < SW_CATEGORY_COUNT; i++)
        if (!strcmp(name, cats[i].name)) {
            *out = (sw_category)i;
            return true;
        }
    return false;
}

const char *sw_grade_check(sw_category c, const char *grade, int *grade_idx) {
    static __thread char why[200];
    *grade_idx = -1;
    const char *const *g = cats[c].grades;
    if (!g) {
        if (!grade || !*grade) return NULL;
        snprintf(why, sizeof why,
                 "grade: %s is not graded (GB 30871-2022 chapter %s; reference §1.1)", cats[c].name,
                 cats[c].chapter);
        return why;
    }
    for (int i = 0; grade && g[i]; i++)
        if (!strcmp(grade, g[i])) {
            *grade_idx = i;
            return NULL;
        }
    snprintf(why, sizeof why, "grade: %s is graded %s (GB 30871-2022 chapter %s; reference §1.1)",
             cats[c].name, cats[c].grade_help, cats[c].chapter);
    return why;
}

/* ---- validity (ref §1.2) ---- */

int64_t sw_validity_ms(sw_category c, int grade_idx, const char **basis) {
    switch (c) {
        case SW_HOT_WORK:
            if (grade_idx == 2) {
                *basis = "hot work grade 2: 72 h (reference §1.2)";
                return 72 * HOUR_MS;
            }
            *basis = "hot work grade special or 1: 8 h (reference §1.2)";
            return 8 * HOUR_MS;
        case SW_CONFINED_SPACE:
            *basis = "confined space: 24 h (reference §1.2)";
            return 24 * HOUR_MS;
        case SW_WORK_AT_HEIGHT:
            *basis = "work at height: 7 d (reference §1.2)";
            return 7 * DAY_MS;
        case SW_TEMPORARY_POWER:
            /* 15 d normally, 30 d at most in special cases: the limit is
             * the most the standard allows */
            *basis = "temporary power: 30 d at most (reference §1.2)";
            return 30 * DAY_MS;
        default:
            /* blinding, lifting, excavation, road closure: the reference
             * found no limit; a week is our choice, not the standard's */
            *basis = "7 d (no limit found in the reference, §1.2: Parkwatch's choice)";
            return 7 * DAY_MS;
    }
}

/* ---- gas tests (ref §1.5) ---- */

/* LEL % vol, docs/reference/gas-detection-gb50493.md §2; where its sources
 * disagree the lower value (a stricter band, a %LEL reading converted
 * higher), except acetylene (the reference says use 2.5). */
static const struct {
    const char *name, *zh;
    double lel;
} gases[] = {
    {"methane", "甲烷", 5.0},
    {"natural gas", "天然气", 5.0},
    {"hydrogen", "氢气", 4.0},
    {"ammonia", "氨", 15.0},
    {"hydrogen sulfide", "硫化氢", 4.0},
    {"propane", "丙烷", 2.0},
    {"lpg", "液化石油气", 2.0},
    {"butane", "丁烷", 1.5},
    {"ethylene", "乙烯", 2.7},
    {"propylene", "丙烯", 2.0},
    {"acetylene", "乙炔", 2.5},
    {"methanol", "甲醇", 6.0},
    {"benzene", "苯", 1.2},
    {"toluene", "甲苯", 1.2},
    {"gasoline", "汽油", 1.4},
    {"carbon monoxide", "一氧化碳", 12.5},
    {"1,3-butadiene", "1,3-丁二烯", 2.0},
};

static double lel_of(const char *gas) {
    for (size_t i = 0; gas && i < sizeof gases / sizeof gases[0]; i++)
        if (!strcasecmp(gas, gases[i].name) || !strcmp(gas, gases[i].zh)) return gases[i].lel;
    return NAN;
}

/* A member that must be a number in [lo, hi] when present (NaN absent). */
static bool num_member(const json_t *o, const char *k, double lo, double hi, double *out, char *err,
                       size_t cap) {
    json_t *v = json_object_get(o, k);
    *out = NAN;
    if (!v || json_is_null(v)) return true;
    double d = json_number_value(v);
    if (!json_is_number(v) || !isfinite(d) || d < lo || d > hi) {
        snprintf(err, cap, "%s: a number in %g..%g", k, lo, hi);
        return false;
    }
    *out = d;
    return true;
}

static bool str_member(const json_t *o, const char *k, size_t max, bool required, const char **out,
                       char *err, size_t cap) {
    json_t *v = json_object_get(o, k);
    *out = NULL;
    if ((!v || json_is_null(v)) && !required) return true;
    const char *s = json_string_value(v);
    size_t n = s ? strlen(s) : 0;
    if (!s || (required && !n) || n > max) {
        snprintf(err, cap, "%s: a string of %s%zu bytes", k, required ? "1.." : "0..", max);
        return false;
    }
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20) {
            snprintf(err, cap, "%s: control characters", k);
            return false;
        }
    *out = s;
    return true;
}

sw_status sw_gas_judge(sw_category c, const json_t *req, int64_t now_ms, const char *by,
                       json_t **test, bool *pass, char *err, size_t errcap) {
    *test = NULL;
    char e[200];
    const char *point, *analyst, *gas;
    double comb_vol, comb_lel, lel, o2;
    int64_t ts = now_ms;
    json_t *tsj = json_object_get(req, "ts_ms");
    if (tsj && !json_is_null(tsj)) {
        if (!json_is_integer(tsj))
            return sw_fail(err, errcap, SW_EINVAL, "ts_ms: the sample's time in ms since 1970");
        ts = json_integer_value(tsj);
        if (ts > now_ms + MIN_MS || ts < now_ms - DAY_MS)
            return sw_fail(err, errcap, SW_EINVAL,
                           "ts_ms: the sample's time, within the last 24 h and not in the future");
    }
    json_t *enr = json_object_get(req, "enriched");
    if (enr && !json_is_boolean(enr) && !json_is_null(enr))
        return sw_fail(err, errcap, SW_EINVAL, "enriched: true or false");
    bool enriched = json_is_true(enr);
    if (!str_member(req, "point", SW_NAME_MAX, true, &point, e, sizeof e) ||
        !str_member(req, "analyst", SW_NAME_MAX, true, &analyst, e, sizeof e) ||
        !str_member(req, "gas", SW_NAME_MAX, false, &gas, e, sizeof e) ||
        !num_member(req, "combustible_pct_vol", 0, 100, &comb_vol, e, sizeof e) ||
        !num_member(req, "combustible_pct_lel", 0, 100, &comb_lel, e, sizeof e) ||
        !num_member(req, "lel_pct_vol", 0.1, 100, &lel, e, sizeof e) ||
        !num_member(req, "o2_pct_vol", 0, 100, &o2, e, sizeof e))
        return sw_fail(err, errcap, SW_EINVAL, "%s", e);
    if (isnan(lel)) lel = lel_of(gas);
    if (isnan(comb_vol) == isnan(comb_lel))
        return sw_fail(err, errcap, SW_EINVAL,
                       "combustible_pct_vol or combustible_pct_lel: one of them (reference §1.5)");
    if (!isnan(comb_lel)) {
        if (isnan(lel))
            return sw_fail(err, errcap, SW_EINVAL,
                           "combustible_pct_lel needs the gas's LEL: give lel_pct_vol or a known "
                           "gas");
        comb_vol = comb_lel * lel / 100; /* the limits are in % vol (reference §1.5 note) */
    }
    if (c == SW_CONFINED_SPACE && isnan(o2))
        return sw_fail(err, errcap, SW_EINVAL,
                       "o2_pct_vol: required for confined space (reference §1.5)");
    json_t *tox = json_object_get(req, "toxic");
    if (tox && !json_is_null(tox) && (!json_is_array(tox) || json_array_size(tox) > 8))
        return sw_fail(err, errcap, SW_EINVAL,
                       "toxic: an array of at most 8 {gas, ppm, limit_ppm}");
    json_t *reasons = json_array(), *tox_out = json_array();
    /* combustible: 0.5 % vol for gases with LEL >= 4 %, else 0.2 % vol;
     * unknown LEL: the stricter band */
    double limit = !isnan(lel) && lel >= 4.0 ? 0.5 : 0.2;
    char line[200];
    if (comb_vol > limit) {
        snprintf(line, sizeof line,
                 "combustible %.3g %% vol above %.1f %% vol (LEL %s 4 %%: GB 30871-2022 5.3.2, "
                 "reference §1.5)",
                 comb_vol, limit, limit == 0.5 ? ">=" : (isnan(lel) ? "unknown, taken <" : "<"));
        json_array_append_new(reasons, json_string(line));
    }
    if (!isnan(o2) && c == SW_CONFINED_SPACE) {
        double hi = enriched ? 23.5 : 21.0;
        if (o2 < 19.5 || o2 > hi) {
            snprintf(line, sizeof line,
                     "O2 %.3g %% vol outside 19.5..%.1f %% vol (confined space, GB 30871-2022 "
                     "6.4, reference §1.5)",
                     o2, hi);
            json_array_append_new(reasons, json_string(line));
        }
    }
    size_t i;
    json_t *t;
    json_array_foreach(tox, i, t) {
        const char *tg;
        double ppm, lim;
        if (!json_is_object(t) || !str_member(t, "gas", SW_NAME_MAX, true, &tg, e, sizeof e) ||
            !num_member(t, "ppm", 0, 1e6, &ppm, e, sizeof e) ||
            !num_member(t, "limit_ppm", 0, 1e6, &lim, e, sizeof e) || isnan(ppm) || isnan(lim)) {
            json_decref(reasons);
            json_decref(tox_out);
            return sw_fail(err, errcap, SW_EINVAL,
                           "toxic[%zu]: {gas, ppm, limit_ppm (the GBZ 2.1 limit)}", i);
        }
        json_array_append_new(tox_out,
                              json_pack("{s:s,s:f,s:f}", "gas", tg, "ppm", ppm, "limit_ppm", lim));
        if (ppm > lim) {
            snprintf(line, sizeof line,
                     "%.40s %.4g ppm above its limit %.4g ppm (GBZ 2.1, "
                     "reference §1.5)",
                     tg, ppm, lim);
            json_array_append_new(reasons, json_string(line));
        }
    }
    bool ok = json_array_size(reasons) == 0;
    json_t *o = json_pack("{s:I,s:s,s:s,s:f,s:f,s:b,s:o,s:b,s:o,s:s}", "ts_ms", (json_int_t)ts,
                          "point", point, "analyst", analyst, "combustible_pct_vol", comb_vol,
                          "limit_pct_vol", limit, "enriched", enriched, "toxic", tox_out, "pass",
                          ok, "reasons", reasons, "by", by ? by : "");
    if (!o) return sw_fail(err, errcap, SW_EIO, "out of memory");
    json_object_set_new(o, "gas", gas ? json_string(gas) : json_null());
    json_object_set_new(o, "lel_pct_vol", isnan(lel) ? json_null() : json_real(lel));
    json_object_set_new(o, "o2_pct_vol", isnan(o2) ? json_null() : json_real(o2));
    if (!isnan(comb_lel)) json_object_set_new(o, "combustible_pct_lel", json_real(comb_lel));
    *test = o;
    if (pass) *pass = ok;
    return SW_OK;
}

/* ---- geometry ---- */

#define EARTH_M 6371008.8
#define DEG     (M_PI / 180.0)

/* lon/lat to metres on the plane tangent at (lon0, lat0) */
static void to_local(double lon0, double lat0, double lon, double lat, double *x, double *y) {
    *x = (lon - lon0) * DEG * EARTH_M * cos(lat0 * DEG);
    *y = (lat - lat0) * DEG * EARTH_M;
}

static double orient(const double *a, const double *b, const double *c) {
    return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]);
}

static bool on_seg(const double *a, const double *b, const double *p) {
    return fmin(a[0], b[0]) <= p[0] && p[0] <= fmax(a[0], b[0]) && fmin(a[1], b[1]) <= p[1] &&
           p[1] <= fmax(a[1], b[1]);
}

/* Whether segments ab and cd meet (touching counts). */
static bool seg_meet(const double *a, const double *b, const double *c, const double *d) {
    double o1 = orient(a, b, c), o2 = orient(a, b, d), o3 = orient(c, d, a), o4 = orient(c, d, b);
    if (((o1 > 0 && o2 < 0) || (o1 < 0 && o2 > 0)) && ((o3 > 0 && o4 < 0) || (o3 < 0 && o4 > 0)))
        return true;
    return (o1 == 0 && on_seg(a, b, c)) || (o2 == 0 && on_seg(a, b, d)) ||
           (o3 == 0 && on_seg(c, d, a)) || (o4 == 0 && on_seg(c, d, b));
}

sw_status sw_geom_parse(const json_t *loc, double **ll, size_t *n, bool *polygon, char *err,
                        size_t errcap) {
    *ll = NULL, *n = 0, *polygon = false;
    const char *type = json_string_value(json_object_get(loc, "type"));
    json_t *co = json_object_get(loc, "coordinates");
    if (!json_is_object(loc) || !type)
        return sw_fail(err, errcap, SW_EINVAL,
                       "location: a GeoJSON Point or Polygon geometry in lon/lat");
    json_t *ring;
    if (!strcmp(type, "Point")) {
        ring = json_pack("[O]", co);
    } else if (!strcmp(type, "Polygon")) {
        if (!json_is_array(co) || json_array_size(co) != 1)
            return sw_fail(err, errcap, SW_EINVAL,
                           "location: a Polygon of one ring (holes are not taken)");
        ring = json_incref(json_array_get(co, 0));
        *polygon = true;
    } else
        return sw_fail(err, errcap, SW_EINVAL, "location: type Point or Polygon, not %.20s", type);
    size_t m = json_array_size(ring);
    if (!json_is_array(ring) || (*polygon && (m < 4 || m > SW_MAX_POINTS))) {
        json_decref(ring);
        return sw_fail(err, errcap, SW_EINVAL,
                       "location: a Polygon's ring has 4..%d positions (first = last)",
                       SW_MAX_POINTS);
    }
    double *v = malloc(2 * m * sizeof *v);
    if (!v) {
        json_decref(ring);
        return sw_fail(err, errcap, SW_EIO, "out of memory");
    }
    for (size_t i = 0; i < m; i++) {
        json_t *p = json_array_get(ring, i);
        json_t *x = json_array_get(p, 0), *y = json_array_get(p, 1);
        double lon = json_number_value(x), lat = json_number_value(y);
        if (!json_is_array(p) || json_array_size(p) < 2 || json_array_size(p) > 3 ||
            !json_is_number(x) || !json_is_number(y) || !(lon >= -180 && lon <= 180) ||
            !(lat >= -90 && lat <= 90)) {
            free(v);
            json_decref(ring);
            return sw_fail(err, errcap, SW_EINVAL,
                           "location: position %zu is not [lon, lat] within -180..180, -90..90", i);
        }
        v[2 * i] = lon, v[2 * i + 1] = lat;
    }
    json_decref(ring);
    if (*polygon) {
        if (v[0] != v[2 * (m - 1)] || v[1] != v[2 * m - 1]) {
            free(v);
            return sw_fail(err, errcap, SW_EINVAL,
                           "location: the ring is not closed (the last position must repeat the "
                           "first)");
        }
        size_t segs = m - 1;
        for (size_t i = 0; i < segs; i++) {
            const double *a = v + 2 * i, *b = v + 2 * i + 2;
            if (a[0] == b[0] && a[1] == b[1]) {
                free(v);
                return sw_fail(err, errcap, SW_EINVAL,
                               "location: positions %zu and %zu repeat each other", i, i + 1);
            }
            /* every pair of edges: neighbours share one end only (no
             * spike doubling back), the others do not meet at all */
            for (size_t j = i + 1; j < segs; j++) {
                const double *c = v + 2 * j, *d = v + 2 * j + 2;
                bool adjacent = j == i + 1 || (i == 0 && j == segs - 1);
                bool bad;
                if (!adjacent)
                    bad = seg_meet(a, b, c, d);
                else {
                    /* the shared end; the others must not lie on the other edge */
                    const double *other_i = j == i + 1 ? a : b, *other_j = j == i + 1 ? d : c;
                    const double *shared = j == i + 1 ? b : a;
                    bad = (orient(other_i, shared, other_j) == 0 &&
                           ((other_j[0] - shared[0]) * (other_i[0] - shared[0]) +
                                (other_j[1] - shared[1]) * (other_i[1] - shared[1]) >
                            0));
                }
                if (bad) {
                    free(v);
                    return sw_fail(err, errcap, SW_EINVAL,
                                   "location: the ring crosses itself (edges %zu and %zu)", i, j);
                }
            }
        }
        double area = 0;
        for (size_t i = 0; i < segs; i++)
            area += v[2 * i] * v[2 * i + 3] - v[2 * i + 2] * v[2 * i + 1];
        if (area == 0) {
            free(v);
            return sw_fail(err, errcap, SW_EINVAL, "location: the ring encloses no area");
        }
    }
    *ll = v, *n = m;
    return SW_OK;
}

/* ring of n points (closed), local metres: whether p lies inside */
static bool inside(const double *xy, size_t n, double px, double py) {
    bool in = false;
    for (size_t i = 0, j = n - 1; i < n; j = i++) {
        double xi = xy[2 * i], yi = xy[2 * i + 1], xj = xy[2 * j], yj = xy[2 * j + 1];
        if ((yi > py) != (yj > py) && px < (xj - xi) * (py - yi) / (yj - yi) + xi) in = !in;
    }
    return in;
}

static double seg_dist(const double *a, const double *b, double px, double py) {
    double dx = b[0] - a[0], dy = b[1] - a[1], l2 = dx * dx + dy * dy;
    double t = l2 > 0 ? ((px - a[0]) * dx + (py - a[1]) * dy) / l2 : 0;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    return hypot(px - (a[0] + t * dx), py - (a[1] + t * dy));
}

/* n lon/lat pairs to local metres around (lon0, lat0); malloc'd */
static double *local_of(const double *ll, size_t n, double lon0, double lat0) {
    double *xy = malloc(2 * (n ? n : 1) * sizeof *xy);
    for (size_t i = 0; xy && i < n; i++)
        to_local(lon0, lat0, ll[2 * i], ll[2 * i + 1], &xy[2 * i], &xy[2 * i + 1]);
    return xy;
}

double sw_geom_dist_point(const double *ll, size_t n, bool polygon, double lon, double lat) {
    if (!polygon) {
        double x, y;
        to_local(lon, lat, ll[0], ll[1], &x, &y);
        return hypot(x, y);
    }
    double *xy = local_of(ll, n, lon, lat);
    if (!xy) return INFINITY;
    double d = INFINITY;
    if (inside(xy, n, 0, 0))
        d = 0;
    else
        for (size_t i = 0; i + 1 < n; i++) d = fmin(d, seg_dist(xy + 2 * i, xy + 2 * i + 2, 0, 0));
    free(xy);
    return d;
}

double sw_geom_dist_ring(const double *ll, size_t n, bool polygon, const double *ring, size_t rn) {
    if (rn < 3) return INFINITY;
    double *b = local_of(ring, rn, ring[0], ring[1]);
    double *a = local_of(ll, n, ring[0], ring[1]);
    double d = INFINITY;
    if (!a || !b) goto out;
    /* the ring closed: its last edge back to the first point */
    size_t bn = rn;
    bool closed = ring[0] == ring[2 * (rn - 1)] && ring[1] == ring[2 * rn - 1];
    if (!closed) {
        double *nb = realloc(b, 2 * (rn + 1) * sizeof *nb);
        if (!nb) goto out;
        b = nb;
        b[2 * rn] = b[0], b[2 * rn + 1] = b[1];
        bn = rn + 1;
    }
    for (size_t i = 0; i < n; i++)
        if (inside(b, bn, a[2 * i], a[2 * i + 1])) {
            d = 0;
            goto out;
        }
    for (size_t i = 0; polygon && i < bn; i++)
        if (inside(a, n, b[2 * i], b[2 * i + 1])) {
            d = 0;
            goto out;
        }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j + 1 < bn; j++) {
            if (polygon && i + 1 < n &&
                seg_meet(a + 2 * i, a + 2 * i + 2, b + 2 * j, b + 2 * j + 2)) {
                d = 0;
                goto out;
            }
            d = fmin(d, seg_dist(b + 2 * j, b + 2 * j + 2, a[2 * i], a[2 * i + 1]));
            if (polygon)
                d = fmin(d, seg_dist(a + 2 * (i + 1 < n ? i : 0), a + 2 * (i + 1 < n ? i + 1 : 0),
                                     b[2 * j], b[2 * j + 1]));
        }
out:
    free(a);
    free(b);
    return d;
}
