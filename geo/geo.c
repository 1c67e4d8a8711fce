/*
 * geo.c - loading, checking, projecting and indexing the park layout, and
 * the spatial queries over it. See geo.h for the layout format and rules.
 *
 * Geometries live in the metric CRS only; WGS84 is what comes in and goes
 * out. Each kind has its own GEOS STRtree (items are feature indexes), built
 * at load by a first query, so that later queries only read it and may run
 * on many threads, each with its own GEOS context. Distance queries ask the
 * tree for the envelope grown by the distance, then check candidates with
 * GEOSDistanceWithin (exact, and cheaper than a distance).
 */
#include <geos_c.h>
#include <jansson.h>
#include <math.h>
#include <proj.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geo/geo.h"
#include "geo/internal.h"
#include "common/jsonfmt.h"

#include "common/numfmt.h"

/* ---- kinds ---- */

enum { G_POINT = 1, G_LINE = 2, G_POLY = 4 };

typedef struct kind_rule {
    const char *name;
    int geoms; /* allowed geometry families */
    bool needs_enterprise;
    const char *required[4]; /* numeric or string properties that must be present */
} kind_rule;

static const kind_rule rules[GEO_KIND_COUNT] = {
    [GEO_ENTERPRISE] = {"enterprise", G_POLY, false, {"name"}},
    [GEO_HAZARD_SOURCE] = {"hazard_source", G_POLY, true, {"substances"}},
    [GEO_TANK] = {"tank", G_POINT | G_POLY, true, {"capacity_m3", "substance"}},
    [GEO_PIPELINE] = {"pipeline", G_LINE, true, {"substance"}},
    [GEO_GAS_DETECTOR] = {"gas_detector", G_POINT, true, {"gas", "type"}},
    [GEO_AQ_STATION] = {"aq_station", G_POINT, false, {0}},
    [GEO_WEATHER_STATION] = {"weather_station", G_POINT, false, {0}},
    [GEO_BUILDING] = {"building", G_POLY, false, {"occupants_day", "occupants_night"}},
    [GEO_GATE] = {"gate", G_POINT, false, {0}},
    [GEO_SHELTER] = {"shelter", G_POINT, false, {"capacity"}},
    [GEO_FIRE_STATION] = {"fire_station", G_POINT, false, {0}},
    [GEO_ROAD] = {"road", G_LINE, false, {0}},
    /* closed-park management (closedpark/, cameras/) */
    [GEO_CAMERA] = {"camera", G_POINT, false, {"direction_deg"}},
    [GEO_ZONE] = {"zone", G_POLY, false, {"zone_type"}},
    [GEO_VEHICLE_PARK] = {"vehicle_park", G_POLY, false, {"capacity"}},
    /* the response (issue 22: views, response/) */
    [GEO_SENSITIVE_TARGET] = {"sensitive_target", G_POINT | G_POLY, false, {"target_type", "name"}},
    [GEO_RESOURCE] = {"resource", G_POINT, false, {"resource_type", "name"}},
};

const char *geo_kind_name(geo_kind k) {
    return k >= 0 && k < GEO_KIND_COUNT ? rules[k].name : "any";
}

bool geo_kind_parse(const char *name, geo_kind *out) {
    for (int k = 0; name && k < GEO_KIND_COUNT; k++)
        if (!strcmp(rules[k].name, name)) {
            *out = (geo_kind)k;
            return true;
        }
    return false;
}

void geo_problems_free(geo_problems *p) {
    if (!p) return;
    free(p->v);
    memset(p, 0, sizeof *p);
}

void geo_add_problem(geo_problems *p, const char *file, const char *feat, const char *fmt, ...) {
    if (!p) return;
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 16;
        geo_problem *v = realloc(p->v, cap * sizeof *v);
        if (!v) return;
        p->v = v;
        p->cap = cap;
    }
    geo_problem *x = &p->v[p->n++];
    snprintf(x->file, sizeof x->file, "%s", file);
    snprintf(x->feature, sizeof x->feature, "%s", feat);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->message, sizeof x->message, fmt, ap);
    va_end(ap);
}

static void geos_quiet(const char *fmt, ...) {
    (void)fmt; /* GEOS notices and errors come back as return values here */
}

GEOSContextHandle_t geo_geos_ctx(void) {
    GEOSContextHandle_t h = GEOS_init_r();
    if (h) {
        GEOSContext_setNoticeHandler_r(h, geos_quiet);
        GEOSContext_setErrorHandler_r(h, geos_quiet);
    }
    return h;
}

/* ---- GeoJSON geometry -> GEOS, projected ---- */

typedef struct build_ctx {
    geo_layout *g;
    const char *file, *feat;
    geo_problems *problems;
    bool bad;
} build_ctx;

static bool read_position(build_ctx *b, json_t *pos, double *lon, double *lat) {
    if (!json_is_array(pos) || json_array_size(pos) < 2 ||
        !json_is_number(json_array_get(pos, 0)) || !json_is_number(json_array_get(pos, 1))) {
        geo_add_problem(b->problems, b->file, b->feat, "a position is not [longitude, latitude]");
        return false;
    }
    *lon = json_number_value(json_array_get(pos, 0));
    *lat = json_number_value(json_array_get(pos, 1));
    if (!isfinite(*lon) || !isfinite(*lat) || fabs(*lon) > 180 || fabs(*lat) > 90) {
        geo_add_problem(b->problems, b->file, b->feat,
                        "position [%g, %g] is not a longitude and latitude", *lon, *lat);
        return false;
    }
    return true;
}

/* Projects n positions into a GEOS coordinate sequence. */
static GEOSCoordSequence *read_positions(build_ctx *b, json_t *arr, size_t min_n, bool ring) {
    size_t n = json_is_array(arr) ? json_array_size(arr) : 0;
    if (n < min_n) {
        geo_add_problem(b->problems, b->file, b->feat, "a %s needs at least %zu positions",
                        ring ? "polygon ring" : "line", min_n);
        return NULL;
    }
    double *xy = malloc(2 * n * sizeof *xy);
    if (!xy) return NULL;
    for (size_t i = 0; i < n; i++) {
        double lon, lat;
        if (!read_position(b, json_array_get(arr, i), &lon, &lat)) {
            free(xy);
            return NULL;
        }
        xy[2 * i] = lon, xy[2 * i + 1] = lat;
    }
    if (ring && (xy[0] != xy[2 * n - 2] || xy[1] != xy[2 * n - 1])) {
        geo_add_problem(b->problems, b->file, b->feat, "a polygon ring is not closed");
        free(xy);
        return NULL;
    }
    pthread_mutex_lock(&b->g->proj_mu);
    size_t done = proj_trans_generic(b->g->to_metric, PJ_FWD, xy, 2 * sizeof *xy, n, xy + 1,
                                     2 * sizeof *xy, n, NULL, 0, 0, NULL, 0, 0);
    pthread_mutex_unlock(&b->g->proj_mu);
    GEOSCoordSequence *seq = NULL;
    if (done == n)
        seq = GEOSCoordSeq_copyFromBuffer_r(b->g->geos, xy, (unsigned)n, 0, 0);
    else
        geo_add_problem(b->problems, b->file, b->feat, "positions cannot be projected to %s",
                        b->g->metric_crs);
    free(xy);
    return seq;
}

static GEOSGeometry *read_polygon(build_ctx *b, json_t *rings) {
    size_t n = json_is_array(rings) ? json_array_size(rings) : 0;
    if (n == 0) {
        geo_add_problem(b->problems, b->file, b->feat, "a polygon without rings");
        return NULL;
    }
    GEOSGeometry *shell = NULL, **holes = calloc(n, sizeof *holes);
    if (!holes) return NULL;
    size_t nh = 0;
    bool ok = true;
    for (size_t i = 0; i < n && ok; i++) {
        GEOSCoordSequence *s = read_positions(b, json_array_get(rings, i), 4, true);
        GEOSGeometry *r = s ? GEOSGeom_createLinearRing_r(b->g->geos, s) : NULL;
        if (!r)
            ok = false;
        else if (i == 0)
            shell = r;
        else
            holes[nh++] = r;
    }
    GEOSGeometry *poly =
        ok ? GEOSGeom_createPolygon_r(b->g->geos, shell, holes, (unsigned)nh) : NULL;
    if (!poly) {
        if (shell) GEOSGeom_destroy_r(b->g->geos, shell);
        for (size_t i = 0; i < nh; i++) GEOSGeom_destroy_r(b->g->geos, holes[i]);
    }
    free(holes);
    return poly;
}

static GEOSGeometry *read_geometry(build_ctx *b, json_t *geom, int *family) {
    const char *type = json_string_value(json_object_get(geom, "type"));
    json_t *c = json_object_get(geom, "coordinates");
    GEOSContextHandle_t h = b->g->geos;
    *family = 0;
    if (!json_is_object(geom) || !type || !c) {
        geo_add_problem(b->problems, b->file, b->feat, "no geometry with a type and coordinates");
        return NULL;
    }
    if (!strcmp(type, "Point")) {
        *family = G_POINT;
        double lon, lat, xy[2];
        if (!read_position(b, c, &lon, &lat)) return NULL;
        xy[0] = lon, xy[1] = lat;
        json_t *wrap = json_pack("[[f,f]]", xy[0], xy[1]);
        GEOSCoordSequence *s = read_positions(b, wrap, 1, false);
        json_decref(wrap);
        return s ? GEOSGeom_createPoint_r(h, s) : NULL;
    }
    if (!strcmp(type, "LineString")) {
        *family = G_LINE;
        GEOSCoordSequence *s = read_positions(b, c, 2, false);
        return s ? GEOSGeom_createLineString_r(h, s) : NULL;
    }
    if (!strcmp(type, "Polygon")) {
        *family = G_POLY;
        return read_polygon(b, c);
    }
    bool multi_line = !strcmp(type, "MultiLineString"), multi_poly = !strcmp(type, "MultiPolygon");
    if (multi_line || multi_poly) {
        *family = multi_line ? G_LINE : G_POLY;
        size_t n = json_is_array(c) ? json_array_size(c) : 0;
        if (!n) {
            geo_add_problem(b->problems, b->file, b->feat, "an empty %s", type);
            return NULL;
        }
        GEOSGeometry **parts = calloc(n, sizeof *parts);
        if (!parts) return NULL;
        size_t k = 0;
        bool ok = true;
        for (size_t i = 0; i < n && ok; i++) {
            GEOSCoordSequence *s = NULL;
            if (multi_line && (s = read_positions(b, json_array_get(c, i), 2, false)))
                parts[k] = GEOSGeom_createLineString_r(h, s);
            else if (multi_poly)
                parts[k] = read_polygon(b, json_array_get(c, i));
            if (!parts[k])
                ok = false;
            else
                k++;
        }
        GEOSGeometry *m =
            ok ? GEOSGeom_createCollection_r(
                     h, multi_line ? GEOS_MULTILINESTRING : GEOS_MULTIPOLYGON, parts, (unsigned)k)
               : NULL;
        if (!m)
            for (size_t i = 0; i < k; i++) GEOSGeom_destroy_r(h, parts[i]);
        free(parts);
        return m;
    }
    geo_add_problem(b->problems, b->file, b->feat, "geometry type %s is not supported", type);
    return NULL;
}

/* ---- properties ---- */

static const char *str_prop(json_t *props, const char *key) {
    const char *s = json_string_value(json_object_get(props, key));
    return s ? s : "";
}

/* ,"unit":"..." for a unit that needs no escaping (a unit is short and
 * printable); 0 bytes when there is none or it would need escaping. */
static size_t unit_member(char *out, size_t cap, const char *unit) {
    size_t n = strnlen(unit, 24);
    if (!n || n == 24 || n + 10 > cap) return 0;
    for (size_t i = 0; i < n; i++)
        if (unit[i] == '"' || unit[i] == '\\' || (unsigned char)unit[i] < 0x20) return 0;
    memcpy(out, ",\"unit\":\"", 9);
    memcpy(out + 9, unit, n);
    out[9 + n] = '"';
    return n + 10;
}

/* The extent of a GeoJSON coordinates array (positions at any depth). */
static void extent_of(json_t *co, double bbox[4], int depth) {
    if (!json_is_array(co) || depth > 8) return;
    if (json_is_number(json_array_get(co, 0))) {
        double x = json_number_value(json_array_get(co, 0)),
               y = json_number_value(json_array_get(co, 1));
        bbox[0] = fmin(bbox[0], x), bbox[1] = fmin(bbox[1], y);
        bbox[2] = fmax(bbox[2], x), bbox[3] = fmax(bbox[3], y);
        return;
    }
    size_t i;
    json_t *v;
    json_array_foreach(co, i, v) extent_of(v, bbox, depth + 1);
}

static double num_prop(json_t *props, const char *key, double dflt) {
    json_t *v = json_object_get(props, key);
    return json_is_number(v) ? json_number_value(v) : dflt;
}

/* ---- loading ---- */

static int open_projection(geo_layout *g, double lon, double lat, const geo_options *o,
                           geo_problems *problems) {
    snprintf(g->source_crs, sizeof g->source_crs, "%s",
             o && o->source_crs ? o->source_crs : "EPSG:4326");
    if (o && o->metric_crs)
        snprintf(g->metric_crs, sizeof g->metric_crs, "%s", o->metric_crs);
    else /* the UTM zone of the centre: 326zz north, 327zz south */
        snprintf(g->metric_crs, sizeof g->metric_crs, "EPSG:%d",
                 (lat >= 0 ? 32600 : 32700) + (int)floor((lon + 180) / 6) % 60 + 1);
    g->pctx = proj_context_create();
    PJ *p = proj_create_crs_to_crs(g->pctx, g->source_crs, g->metric_crs, NULL);
    g->to_metric = p ? proj_normalize_for_visualization(g->pctx, p) : NULL;
    if (p) proj_destroy(p);
    if (!g->to_metric) {
        geo_add_problem(problems, "", "", "cannot project from %s to %s: %s", g->source_crs,
                        g->metric_crs,
                        proj_context_errno_string(g->pctx, proj_context_errno(g->pctx)));
        return -1;
    }
    return 0;
}

/* The centre of everything, from each feature's first position. */
static bool layout_centre(json_t *const *docs, size_t n, double *lon, double *lat) {
    double sx = 0, sy = 0;
    size_t k = 0;
    for (size_t d = 0; d < n; d++) {
        size_t i;
        json_t *f;
        json_array_foreach(json_object_get(docs[d], "features"), i, f) {
            json_t *c = json_object_get(json_object_get(f, "geometry"), "coordinates");
            while (json_is_array(c) && json_is_array(json_array_get(c, 0)))
                c = json_array_get(c, 0);
            if (json_is_array(c) && json_is_number(json_array_get(c, 0)) &&
                json_is_number(json_array_get(c, 1))) {
                double x = json_number_value(json_array_get(c, 0));
                double y = json_number_value(json_array_get(c, 1));
                if (fabs(x) <= 180 && fabs(y) <= 90) sx += x, sy += y, k++;
            }
        }
    }
    if (!k) return false;
    *lon = sx / (double)k, *lat = sy / (double)k;
    return true;
}

static int check_series(build_ctx *b, json_t *props, const char *enterprise, feature *f) {
    json_t *s = json_object_get(props, "series");
    if (!s) return 0;
    if (!json_is_array(s)) {
        geo_add_problem(b->problems, b->file, b->feat, "\"series\" is not an array of names");
        return -1;
    }
    f->series = calloc(json_array_size(s) + 1, sizeof *f->series);
    if (!f->series) return -1;
    size_t i;
    json_t *v;
    int rc = 0;
    json_array_foreach(s, i, v) {
        const char *name = json_string_value(v);
        size_t el = strlen(enterprise);
        if (!name) {
            geo_add_problem(b->problems, b->file, b->feat, "series %zu is not a string", i);
            rc = -1;
        } else if (el && (strncmp(name, enterprise, el) || name[el] != '/')) {
            geo_add_problem(b->problems, b->file, b->feat,
                            "series %s belongs to another enterprise than %s", name, enterprise);
            rc = -1;
        } else if (!(f->series[f->pub.n_series++] = strdup(name))) {
            rc = -1;
        }
    }
    f->pub.series = (const char *const *)f->series;
    return rc;
}

static void feature_free(GEOSContextHandle_t h, feature *f) {
    if (f->geom) GEOSGeom_destroy_r(h, f->geom);
    json_decref(f->props);
    free(f->layer_head);
    free(f->slim_head);
    for (size_t i = 0; f->series && i < f->pub.n_series; i++) free(f->series[i]);
    free(f->series);
    for (size_t i = 0; f->series_json && i < f->pub.n_series; i++) free(f->series_json[i]);
    free(f->series_json);
}

static void add_features(geo_layout *g, json_t *doc, const char *file, geo_problems *problems) {
    json_t *features = json_object_get(doc, "features");
    size_t i;
    json_t *jf;
    json_array_foreach(features, i, jf) {
        char feat[64];
        json_t *props = json_object_get(jf, "properties");
        const char *id = json_string_value(json_object_get(props, "id"));
        if (!id) id = json_string_value(json_object_get(jf, "id"));
        snprintf(feat, sizeof feat, "%s", id ? id : "");
        if (!id) snprintf(feat, sizeof feat, "#%zu", i);
        build_ctx b = {g, file, feat, problems, false};
        size_t before = problems->n;
        if (!id) geo_add_problem(problems, file, feat, "feature without an \"id\"");
        geo_kind kind;
        const char *kname = json_string_value(json_object_get(props, "kind"));
        if (!kname || !geo_kind_parse(kname, &kind)) {
            geo_add_problem(problems, file, feat, "unknown kind \"%s\"", kname ? kname : "(none)");
            continue;
        }
        const kind_rule *r = &rules[kind];
        const char *enterprise = str_prop(props, "enterprise");
        if (r->needs_enterprise && !*enterprise)
            geo_add_problem(problems, file, feat, "a %s needs an \"enterprise\"", r->name);
        for (int k = 0; k < 4 && r->required[k]; k++)
            if (!json_object_get(props, r->required[k]))
                geo_add_problem(problems, file, feat, "a %s needs \"%s\"", r->name, r->required[k]);
        if (kind == GEO_GAS_DETECTOR && strcmp(str_prop(props, "type"), "combustible") &&
            (!json_is_number(json_object_get(props, "alarm1")) ||
             !json_is_number(json_object_get(props, "alarm2"))))
            geo_add_problem(problems, file, feat,
                            "a toxic gas detector needs \"alarm1\" and \"alarm2\" (no default)");
        geo_check_closedpark(kind, props, file, feat, problems);
        int family;
        GEOSGeometry *geom = read_geometry(&b, json_object_get(jf, "geometry"), &family);
        if (geom && !(family & r->geoms)) {
            geo_add_problem(problems, file, feat, "a %s cannot have this geometry type", r->name);
        } else if (geom && GEOSisValid_r(g->geos, geom) != 1) {
            char *why = GEOSisValidReason_r(g->geos, geom);
            geo_add_problem(problems, file, feat, "invalid geometry: %s", why ? why : "?");
            GEOSFree_r(g->geos, why);
        }
        if (g->n % 1024 == 0) {
            feature *nf = realloc(g->f, (g->n + 1024) * sizeof *nf);
            if (!nf) {
                if (geom) GEOSGeom_destroy_r(g->geos, geom);
                geo_add_problem(problems, file, feat, "out of memory");
                return;
            }
            g->f = nf;
        }
        feature *f = &g->f[g->n++];
        memset(f, 0, sizeof *f);
        f->geom = geom;
        f->props = json_incref(props);
        f->pub.kind = kind;
        f->pub.id = id ? json_string_value(json_object_get(props, "id"))
                             ? json_string_value(json_object_get(props, "id"))
                             : json_string_value(json_object_get(jf, "id"))
                       : "";
        f->pub.name = str_prop(props, "name");
        f->pub.name_zh = str_prop(props, "name_zh");
        f->pub.bbox[0] = f->pub.bbox[1] = INFINITY, f->pub.bbox[2] = f->pub.bbox[3] = -INFINITY;
        extent_of(json_object_get(json_object_get(jf, "geometry"), "coordinates"), f->pub.bbox, 0);
        f->pub.enterprise = enterprise;
        f->pub.substance = str_prop(props, "substance");
        f->pub.gas = str_prop(props, "gas");
        f->pub.type = str_prop(props, "type");
        f->pub.capacity_m3 = num_prop(props, "capacity_m3", 0);
        f->pub.density = num_prop(props, "density", 0);
        f->pub.height_m = num_prop(props, "height_m", 0);
        f->pub.design_pressure_mpa = num_prop(props, "design_pressure_mpa", 0);
        /* GB/T 50493-2019: combustible detectors alarm at <= 25 and <= 50 %LEL. */
        bool comb = !strcmp(f->pub.type, "combustible");
        f->pub.alarm1 = num_prop(props, "alarm1", comb ? 25 : 0);
        f->pub.alarm2 = num_prop(props, "alarm2", comb ? 50 : 0);
        f->pub.occupants_day = (long)num_prop(props, "occupants_day", 0);
        f->pub.occupants_night = (long)num_prop(props, "occupants_night", 0);
        f->pub.capacity = (long)num_prop(props, "capacity", 0);
        check_series(&b, props, enterprise, f);
        f->series_json = calloc(f->pub.n_series + 1, sizeof *f->series_json);
        for (size_t k = 0; f->series_json && k < f->pub.n_series; k++) {
            json_t *name = json_string(f->pub.series[k]);
            f->series_json[k] = name ? json_dumps(name, JSON_ENCODE_ANY) : NULL;
            json_decref(name);
        }
        /* The map layer's static part, serialized once: only values change. */
        json_t *o =
            json_pack("{s:s,s:s,s:O,s:O}", "type", "Feature", "id", f->pub.id, "geometry",
                      json_object_get(jf, "geometry"), "properties", props ? props : json_object());
        /* numbers as short as reads back exactly: json_dumps's %.17g nearly
         * doubled the layers */
        char *txt = o ? pw_json_text(o, NULL) : NULL;
        json_decref(o);
        if (txt && strlen(txt) >= 2) {
            f->layer_head_len = strlen(txt) - 2; /* drop "}}" */
            f->layer_head = txt;
        } else {
            free(txt);
            geo_add_problem(problems, file, feat, "out of memory");
        }
        o = json_pack("{s:s,s:s,s:n,s:{s:s}}", "type", "Feature", "id", f->pub.id, "geometry",
                      "properties", "id", f->pub.id);
        txt = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
        json_decref(o);
        if (txt && strlen(txt) >= 2) {
            f->slim_head_len = strlen(txt) - 2;
            f->slim_head = txt;
        } else {
            free(txt);
            geo_add_problem(problems, file, feat, "out of memory");
        }
        if (geom && problems->n == before) {
            GEOSGeometry *pt = GEOSPointOnSurface_r(g->geos, geom);
            if (pt) {
                GEOSGeomGetX_r(g->geos, pt, &f->pub.x);
                GEOSGeomGetY_r(g->geos, pt, &f->pub.y);
                GEOSGeom_destroy_r(g->geos, pt);
                geo_unproject(g, f->pub.x, f->pub.y, &f->pub.lon, &f->pub.lat);
            }
        }
    }
}

static uint64_t id_hash(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

static void tree_query_first(void *item, void *userdata) {
    (void)item, (void)userdata;
}

int geo_load_text(const char *const *texts, const char *const *names, size_t n,
                  const geo_options *options, geo_layout **out, geo_problems *problems) {
    geo_problems local = {0};
    if (!problems) problems = &local;
    *out = NULL;
    geo_layout *g = calloc(1, sizeof *g);
    json_t **docs = calloc(n ? n : 1, sizeof *docs);
    if (!g || !docs) {
        free(g);
        free(docs);
        geo_add_problem(problems, "", "", "out of memory");
        return -1;
    }
    pthread_mutex_init(&g->proj_mu, NULL);
    g->geos = geo_geos_ctx();
    for (size_t d = 0; d < n; d++) {
        json_error_t je;
        docs[d] = json_loads(texts[d], JSON_REJECT_DUPLICATES, &je);
        if (!docs[d])
            geo_add_problem(problems, names[d], "", "not JSON: line %d: %s", je.line, je.text);
        else if (strcmp(str_prop(docs[d], "type"), "FeatureCollection") ||
                 !json_is_array(json_object_get(docs[d], "features")))
            geo_add_problem(problems, names[d], "", "not a GeoJSON FeatureCollection");
    }
    double lon = 0, lat = 0;
    if (!problems->n && !layout_centre(docs, n, &lon, &lat))
        geo_add_problem(problems, "", "", "the layout has no feature with coordinates");
    if (!problems->n && open_projection(g, lon, lat, options, problems) == 0)
        for (size_t d = 0; d < n; d++) add_features(g, docs[d], names[d], problems);
    /* Ids are unique across all files; the index serves geo_find too. */
    g->by_id_cap = 64;
    while (g->by_id_cap < g->n * 2) g->by_id_cap *= 2;
    g->by_id = calloc(g->by_id_cap, sizeof *g->by_id);
    if (!g->by_id) geo_add_problem(problems, "", "", "out of memory");
    for (size_t i = 0; g->by_id && i < g->n && !problems->n; i++) {
        size_t j = id_hash(g->f[i].pub.id) & (g->by_id_cap - 1);
        while (g->by_id[j] && strcmp(g->f[g->by_id[j] - 1].pub.id, g->f[i].pub.id))
            j = (j + 1) & (g->by_id_cap - 1);
        if (g->by_id[j])
            geo_add_problem(problems, "", g->f[i].pub.id, "the id is used twice");
        else
            g->by_id[j] = i + 1;
    }
    for (size_t d = 0; d < n; d++) json_decref(docs[d]);
    free(docs);
    if (problems->n) {
        geo_close(g);
        if (problems == &local) geo_problems_free(&local);
        return -1;
    }
    for (int k = 0; k < GEO_KIND_COUNT; k++) g->tree[k] = GEOSSTRtree_create_r(g->geos, 10);
    for (size_t i = 0; i < g->n; i++) {
        GEOSSTRtree_insert_r(g->geos, g->tree[g->f[i].pub.kind], g->f[i].geom,
                             (void *)(uintptr_t)i);
        g->count[g->f[i].pub.kind]++;
    }
    /* The first query builds a tree; do it now, while nobody else reads. */
    GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(g->geos, 0, 0);
    for (int k = 0; k < GEO_KIND_COUNT; k++)
        GEOSSTRtree_query_r(g->geos, g->tree[k], pt, tree_query_first, NULL);
    GEOSGeom_destroy_r(g->geos, pt);
    *out = g;
    return 0;
}

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    if (b) b[n] = 0, *len = (size_t)n;
    fclose(f);
    return b;
}

int geo_load(const char *const *paths, size_t n_paths, const geo_options *options, geo_layout **out,
             geo_problems *problems) {
    char **texts = calloc(n_paths ? n_paths : 1, sizeof *texts);
    int rc = texts ? 0 : -1;
    for (size_t i = 0; i < n_paths && texts; i++) {
        size_t len;
        if (!(texts[i] = read_file(paths[i], &len))) {
            geo_add_problem(problems, paths[i], "", "cannot read the file");
            rc = -1;
        }
    }
    if (rc == 0)
        rc = geo_load_text((const char *const *)texts, paths, n_paths, options, out, problems);
    for (size_t i = 0; i < n_paths && texts; i++) free(texts[i]);
    free(texts);
    return rc;
}

void geo_close(geo_layout *g) {
    if (!g) return;
    for (int k = 0; k < GEO_KIND_COUNT; k++)
        if (g->tree[k]) GEOSSTRtree_destroy_r(g->geos, g->tree[k]);
    for (size_t i = 0; i < g->n; i++) feature_free(g->geos, &g->f[i]);
    free(g->f);
    free(g->by_id);
    if (g->to_metric) proj_destroy(g->to_metric);
    if (g->pctx) proj_context_destroy(g->pctx);
    if (g->geos) GEOS_finish_r(g->geos);
    pthread_mutex_destroy(&g->proj_mu);
    free(g);
}

/* ---- accessors ---- */

size_t geo_count_all(const geo_layout *g) {
    return g->n;
}

size_t geo_count(const geo_layout *g, geo_kind kind) {
    if (kind == GEO_ANY) return g->n;
    return kind >= 0 && kind < GEO_KIND_COUNT ? g->count[kind] : 0;
}

const geo_feature *geo_get(const geo_layout *g, size_t index) {
    return index < g->n ? &g->f[index].pub : NULL;
}

long geo_find(const geo_layout *g, const char *id) {
    if (!g->by_id_cap) return -1;
    size_t j = id_hash(id) & (g->by_id_cap - 1);
    while (g->by_id[j]) {
        if (!strcmp(g->f[g->by_id[j] - 1].pub.id, id)) return (long)(g->by_id[j] - 1);
        j = (j + 1) & (g->by_id_cap - 1);
    }
    return -1;
}

const char *geo_metric_crs(const geo_layout *g) {
    return g->metric_crs;
}

int geo_project(const geo_layout *g, double lon, double lat, double *x, double *y) {
    geo_layout *m = (geo_layout *)g; /* the mutex only */
    pthread_mutex_lock(&m->proj_mu);
    PJ_COORD c = proj_trans(g->to_metric, PJ_FWD, proj_coord(lon, lat, 0, 0));
    pthread_mutex_unlock(&m->proj_mu);
    if (!isfinite(c.xy.x) || !isfinite(c.xy.y) || c.xy.x == HUGE_VAL) return -1;
    *x = c.xy.x, *y = c.xy.y;
    return 0;
}

int geo_unproject(const geo_layout *g, double x, double y, double *lon, double *lat) {
    geo_layout *m = (geo_layout *)g;
    pthread_mutex_lock(&m->proj_mu);
    PJ_COORD c = proj_trans(g->to_metric, PJ_INV, proj_coord(x, y, 0, 0));
    pthread_mutex_unlock(&m->proj_mu);
    if (!isfinite(c.lp.lam) || !isfinite(c.lp.phi) || c.lp.lam == HUGE_VAL) return -1;
    *lon = c.lp.lam, *lat = c.lp.phi;
    return 0;
}

/* ---- queries ---- */

void geo_hits_free(geo_hits *h) {
    if (!h) return;
    free(h->index);
    free(h->distance_m);
    memset(h, 0, sizeof *h);
}

void geo_pairs_free(geo_pairs *p) {
    if (!p) return;
    free(p->a);
    free(p->b);
    free(p->distance_m);
    memset(p, 0, sizeof *p);
}

typedef struct collect {
    size_t *v;
    size_t n, cap;
    bool oom;
} collect;

static void collect_item(void *item, void *userdata) {
    collect *c = userdata;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        size_t *v = realloc(c->v, cap * sizeof *v);
        if (!v) {
            c->oom = true;
            return;
        }
        c->v = v;
        c->cap = cap;
    }
    c->v[c->n++] = (size_t)(uintptr_t)item;
}

/* Candidates of kind whose envelope meets geom's envelope grown by d. */
static int candidates(const geo_layout *g, GEOSContextHandle_t h, const GEOSGeometry *geom,
                      double d, geo_kind kind, collect *c) {
    double x0, y0, x1, y1;
    if (!GEOSGeom_getXMin_r(h, geom, &x0) || !GEOSGeom_getYMin_r(h, geom, &y0) ||
        !GEOSGeom_getXMax_r(h, geom, &x1) || !GEOSGeom_getYMax_r(h, geom, &y1))
        return -1;
    GEOSGeometry *env = GEOSGeom_createRectangle_r(h, x0 - d, y0 - d, x1 + d, y1 + d);
    if (!env) return -1;
    for (int k = 0; k < GEO_KIND_COUNT; k++)
        if (kind == GEO_ANY || kind == k) GEOSSTRtree_query_r(h, g->tree[k], env, collect_item, c);
    GEOSGeom_destroy_r(h, env);
    return c->oom ? -1 : 0;
}

typedef struct hit {
    size_t index;
    double d;
} hit;

static int hit_cmp(const void *a, const void *b) {
    const hit *x = a, *y = b;
    if (x->d != y->d) return x->d < y->d ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

/* Exact check of the candidates, sorted by distance then index. */
static int within(const geo_layout *g, GEOSContextHandle_t h, const GEOSGeometry *geom,
                  double metres, geo_kind kind, long exclude, geo_hits *out) {
    memset(out, 0, sizeof *out);
    collect c = {0};
    if (candidates(g, h, geom, metres, kind, &c) != 0) {
        free(c.v);
        return -1;
    }
    hit *hits = malloc((c.n ? c.n : 1) * sizeof *hits);
    size_t n = 0;
    const GEOSPreparedGeometry *prep = hits ? GEOSPrepare_r(h, geom) : NULL;
    for (size_t i = 0; prep && i < c.n; i++) {
        if ((long)c.v[i] == exclude) continue;
        const GEOSGeometry *other = g->f[c.v[i]].geom;
        if (GEOSPreparedDistanceWithin_r(h, prep, other, metres) != 1) continue;
        double d = 0;
        GEOSPreparedDistance_r(h, prep, other, &d);
        hits[n++] = (hit){c.v[i], d};
    }
    if (prep) GEOSPreparedGeom_destroy_r(h, prep);
    free(c.v);
    if (!hits) return -1;
    qsort(hits, n, sizeof *hits, hit_cmp);
    out->index = malloc((n ? n : 1) * sizeof *out->index);
    out->distance_m = malloc((n ? n : 1) * sizeof *out->distance_m);
    if (!out->index || !out->distance_m) {
        free(hits);
        geo_hits_free(out);
        return -1;
    }
    for (size_t i = 0; i < n; i++) out->index[i] = hits[i].index, out->distance_m[i] = hits[i].d;
    out->n = n;
    free(hits);
    return 0;
}

static GEOSGeometry *point_at(const geo_layout *g, GEOSContextHandle_t h, double lon, double lat) {
    double x, y;
    if (geo_project(g, lon, lat, &x, &y) != 0) return NULL;
    return GEOSGeom_createPointFromXY_r(h, x, y);
}

int geo_within_point(const geo_layout *g, double lon, double lat, double metres, geo_kind kind,
                     geo_hits *out) {
    memset(out, 0, sizeof *out);
    if (!(metres >= 0)) return -1;
    GEOSContextHandle_t h = geo_geos_ctx();
    GEOSGeometry *pt = h ? point_at(g, h, lon, lat) : NULL;
    int rc = pt ? within(g, h, pt, metres, kind, -1, out) : -1;
    if (pt) GEOSGeom_destroy_r(h, pt);
    if (h) GEOS_finish_r(h);
    return rc;
}

int geo_within_feature(const geo_layout *g, size_t index, double metres, geo_kind kind,
                       geo_hits *out) {
    memset(out, 0, sizeof *out);
    if (index >= g->n || !(metres >= 0)) return -1;
    GEOSContextHandle_t h = geo_geos_ctx();
    int rc = h ? within(g, h, g->f[index].geom, metres, kind, (long)index, out) : -1;
    if (h) GEOS_finish_r(h);
    return rc;
}

int geo_intersecting(const geo_layout *g, const double *lonlat, size_t n_points, geo_kind kind,
                     geo_hits *out) {
    memset(out, 0, sizeof *out);
    if (n_points < 3) return -1;
    bool closed = lonlat[0] == lonlat[2 * n_points - 2] && lonlat[1] == lonlat[2 * n_points - 1];
    size_t n = n_points + (closed ? 0 : 1);
    double *xy = malloc(2 * n * sizeof *xy);
    if (!xy) return -1;
    for (size_t i = 0; i < n_points; i++)
        if (geo_project(g, lonlat[2 * i], lonlat[2 * i + 1], &xy[2 * i], &xy[2 * i + 1]) != 0) {
            free(xy);
            return -1;
        }
    if (!closed) xy[2 * n - 2] = xy[0], xy[2 * n - 1] = xy[1];
    GEOSContextHandle_t h = geo_geos_ctx();
    GEOSCoordSequence *s = h ? GEOSCoordSeq_copyFromBuffer_r(h, xy, (unsigned)n, 0, 0) : NULL;
    GEOSGeometry *ring = s ? GEOSGeom_createLinearRing_r(h, s) : NULL;
    GEOSGeometry *poly = ring ? GEOSGeom_createPolygon_r(h, ring, NULL, 0) : NULL;
    int rc = poly && GEOSisValid_r(h, poly) == 1 ? within(g, h, poly, 0, kind, -1, out) : -1;
    if (poly) GEOSGeom_destroy_r(h, poly);
    if (h) GEOS_finish_r(h);
    free(xy);
    return rc;
}

int geo_nearest(const geo_layout *g, double lon, double lat, size_t k, geo_kind kind,
                geo_hits *out) {
    memset(out, 0, sizeof *out);
    size_t avail = geo_count(g, kind);
    if (k > avail) k = avail;
    if (k == 0) return 0;
    /* Grow a radius until it holds k features: exact, and a handful of
     * index probes even for a sparse kind. */
    for (double r = 50;; r *= 2) {
        geo_hits h;
        if (geo_within_point(g, lon, lat, r, kind, &h) != 0) return -1;
        if (h.n >= k || r > 4e7) {
            h.n = h.n < k ? h.n : k;
            *out = h;
            return 0;
        }
        geo_hits_free(&h);
    }
}

int geo_join_within(const geo_layout *g, geo_kind kind_a, geo_kind kind_b, double metres,
                    geo_pairs *out) {
    memset(out, 0, sizeof *out);
    GEOSContextHandle_t h = geo_geos_ctx();
    if (!h) return -1;
    size_t cap = 0;
    int rc = 0;
    for (size_t i = 0; i < g->n && rc == 0; i++) {
        if (kind_a != GEO_ANY && g->f[i].pub.kind != kind_a) continue;
        geo_hits hits;
        if (within(g, h, g->f[i].geom, metres, kind_b, (long)i, &hits) != 0) {
            rc = -1;
            break;
        }
        if (out->n + hits.n > cap) {
            size_t nc = cap ? cap * 2 : 1024;
            while (nc < out->n + hits.n) nc *= 2;
            size_t *a = realloc(out->a, nc * sizeof *a),
                   *b = a ? realloc(out->b, nc * sizeof *b) : NULL;
            if (a) out->a = a;
            if (b) out->b = b;
            double *d = b ? realloc(out->distance_m, nc * sizeof *d) : NULL;
            if (d) out->distance_m = d;
            if (!a || !b || !d) rc = -1;
            cap = nc;
        }
        for (size_t j = 0; j < hits.n && rc == 0; j++) {
            out->a[out->n] = i;
            out->b[out->n] = hits.index[j];
            out->distance_m[out->n++] = hits.distance_m[j];
        }
        geo_hits_free(&hits);
    }
    GEOS_finish_r(h);
    if (rc) geo_pairs_free(out);
    return rc;
}

int geo_bind_detectors(const geo_layout *g, double max_m, long **guards) {
    long *v = malloc((g->n ? g->n : 1) * sizeof *v);
    if (!v) return -1;
    GEOSContextHandle_t h = geo_geos_ctx();
    int rc = h ? 0 : -1;
    for (size_t i = 0; i < g->n && rc == 0; i++) {
        v[i] = -1;
        if (g->f[i].pub.kind != GEO_GAS_DETECTOR) continue;
        geo_hits a, b;
        if (within(g, h, g->f[i].geom, max_m, GEO_TANK, -1, &a) != 0 ||
            within(g, h, g->f[i].geom, max_m, GEO_PIPELINE, -1, &b) != 0) {
            rc = -1;
            break;
        }
        /* The nearest of both kinds; a tank wins a tie (it is the bigger store). */
        if (a.n && (!b.n || a.distance_m[0] <= b.distance_m[0]))
            v[i] = (long)a.index[0];
        else if (b.n)
            v[i] = (long)b.index[0];
        geo_hits_free(&a);
        geo_hits_free(&b);
    }
    if (h) GEOS_finish_r(h);
    if (rc) {
        free(v);
        return -1;
    }
    *guards = v;
    return 0;
}

/* A polygon's shell as x,y pairs (closed), or NULL for other geometries. */
static double *shell_xy(GEOSContextHandle_t h, const GEOSGeometry *geom, unsigned *n) {
    *n = 0;
    if (GEOSGeomTypeId_r(h, geom) != GEOS_POLYGON) return NULL;
    const GEOSGeometry *ring = GEOSGetExteriorRing_r(h, geom);
    const GEOSCoordSequence *s = ring ? GEOSGeom_getCoordSeq_r(h, ring) : NULL;
    if (!s || !GEOSCoordSeq_getSize_r(h, s, n) || *n < 4) return NULL;
    double *xy = malloc(2 * *n * sizeof *xy);
    if (xy && !GEOSCoordSeq_copyToBuffer_r(h, s, xy, 0, 0)) {
        free(xy);
        xy = NULL;
    }
    return xy;
}

/* Distance from a point to a closed ring's polygon (0 inside). */
static double point_polygon_distance(const double *xy, unsigned n, double px, double py) {
    bool inside = false;
    double best = INFINITY;
    for (unsigned i = 0, j = n - 1; i < n; j = i++) {
        double xi = xy[2 * i], yi = xy[2 * i + 1], xj = xy[2 * j], yj = xy[2 * j + 1];
        if ((yi > py) != (yj > py) && px < (xj - xi) * (py - yi) / (yj - yi) + xi) inside = !inside;
        double dx = xj - xi, dy = yj - yi, len2 = dx * dx + dy * dy;
        double t = len2 > 0 ? ((px - xi) * dx + (py - yi) * dy) / len2 : 0;
        t = t < 0 ? 0 : t > 1 ? 1 : t;
        double ex = xi + t * dx - px, ey = yi + t * dy - py, d = ex * ex + ey * ey;
        if (d < best) best = d;
    }
    return inside ? 0 : sqrt(best);
}

static int exposure_one(const geo_layout *g, GEOSContextHandle_t h, size_t index, double metres,
                        bool night, double *occupants) {
    *occupants = 0;
    collect c = {0};
    int rc = candidates(g, h, g->f[index].geom, metres, GEO_BUILDING, &c);
    /* Most buildings are plainly inside the zone: all their corners within
     * the radius of a polygon source (its buffer is convex for the convex
     * sources of a park). Only the others need GEOS: a distance check, and
     * for those straddling the edge the share of their area inside the
     * source grown by the radius (arcs in 8 segments a quadrant, at most
     * 0.8 % of the radius short of the true circle). */
    unsigned ns = 0;
    double *src = rc == 0 ? shell_xy(h, g->f[index].geom, &ns) : NULL;
    GEOSGeometry *zone = NULL;
    for (size_t i = 0; rc == 0 && i < c.n; i++) {
        const feature *b = &g->f[c.v[i]];
        double people = (double)(night ? b->pub.occupants_night : b->pub.occupants_day);
        if (people <= 0 || c.v[i] == index) continue;
        unsigned nb = 0;
        double *bxy = src ? shell_xy(h, b->geom, &nb) : NULL;
        bool inside = bxy != NULL;
        for (unsigned k = 0; inside && k < nb; k++)
            inside = point_polygon_distance(src, ns, bxy[2 * k], bxy[2 * k + 1]) <= metres;
        free(bxy);
        if (inside) {
            *occupants += people;
            continue;
        }
        if (GEOSDistanceWithin_r(h, g->f[index].geom, b->geom, metres) != 1) continue;
        if (!zone && !(zone = GEOSBuffer_r(h, g->f[index].geom, metres, 8))) {
            rc = -1;
            break;
        }
        double area = 0, part = 0;
        GEOSGeometry *in = GEOSIntersection_r(h, zone, b->geom);
        if (in && GEOSArea_r(h, b->geom, &area) && GEOSArea_r(h, in, &part) && area > 0)
            *occupants += people * part / area;
        if (in) GEOSGeom_destroy_r(h, in);
    }
    if (zone) GEOSGeom_destroy_r(h, zone);
    free(src);
    free(c.v);
    return rc;
}

int geo_exposure(const geo_layout *g, size_t index, double metres, bool night, double *occupants) {
    *occupants = 0;
    if (index >= g->n || !(metres > 0)) return -1;
    GEOSContextHandle_t h = geo_geos_ctx();
    if (!h) return -1;
    int rc = exposure_one(g, h, index, metres, night, occupants);
    GEOS_finish_r(h);
    return rc;
}

int geo_exposure_kind(const geo_layout *g, geo_kind kind, double metres, bool night,
                      double *occupants) {
    if (!(metres > 0)) return -1;
    GEOSContextHandle_t h = geo_geos_ctx();
    if (!h) return -1;
    int rc = 0;
    for (size_t i = 0; i < g->n && rc == 0; i++) {
        occupants[i] = 0;
        if (kind == GEO_ANY || g->f[i].pub.kind == kind)
            rc = exposure_one(g, h, i, metres, night, &occupants[i]);
    }
    GEOS_finish_r(h);
    return rc;
}

/* ---- map layers ---- */

typedef struct out_buf {
    char *p;
    size_t n, cap;
    bool oom;
} out_buf;

static void out_put(out_buf *b, const char *s, size_t n) {
    if (b->oom) return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 65536;
        while (cap < b->n + n + 1) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

static void out_str(out_buf *b, const char *s) {
    out_put(b, s, strlen(s));
}

int geo_layer_geojson(const geo_layout *g, geo_kind kind, geo_values_fn value_of, void *ctx,
                      char **json, size_t *len) {
    geo_layer_request rq = {.kind = kind, .value_of = value_of, .ctx = ctx};
    return geo_layer(g, &rq, json, len);
}

int geo_layer(const geo_layout *g, const geo_layer_request *rq, char **json, size_t *len) {
    geo_kind kind = rq->kind;
    geo_values_fn value_of = rq->value_of;
    void *ctx = rq->ctx;
    *json = NULL;
    /* All the kind's series at once: one call to the historian. */
    size_t n_series = 0;
#define LAYER_KEEPS(i)                                                                             \
    ((kind == GEO_ANY || g->f[i].pub.kind == kind) &&                                              \
     (!rq->keep || rq->keep(ctx, (i), &g->f[i].pub)))
    bool *kept = malloc(g->n ? g->n : 1);
    if (!kept) return -1;
    for (size_t i = 0; i < g->n; i++) {
        kept[i] = LAYER_KEEPS(i);
        if (kept[i]) n_series += g->f[i].pub.n_series;
    }
#undef LAYER_KEEPS
    const char **names = malloc((n_series ? n_series : 1) * sizeof *names);
    geo_value *vals = calloc(n_series ? n_series : 1, sizeof *vals);
    if (!names || !vals) {
        free(names);
        free(vals);
        free(kept);
        return -1;
    }
    size_t k = 0;
    for (size_t i = 0; i < g->n; i++)
        if (kept[i])
            for (size_t s = 0; s < g->f[i].pub.n_series; s++) names[k++] = g->f[i].pub.series[s];
    if (value_of && n_series && value_of(ctx, names, n_series, vals) != 0) {
        free(names);
        free(vals);
        free(kept);
        return -1;
    }
    out_buf b = {0};
    out_str(&b, "{\"type\":\"FeatureCollection\",\"features\":[");
    k = 0;
    bool first = true;
    for (size_t i = 0; i < g->n; i++) {
        const feature *f = &g->f[i];
        if (!kept[i]) continue;
        if (!first) out_put(&b, ",", 1);
        first = false;
        if (rq->slim)
            out_put(&b, f->slim_head, f->slim_head_len);
        else
            out_put(&b, f->layer_head, f->layer_head_len);
        if (value_of && f->pub.n_series) {
            out_str(&b, ",\"values\":{");
            for (size_t s = 0; s < f->pub.n_series; s++, k++) {
                char item[160];
                const geo_value *v = &vals[k];
                const char *qn = f->series_json && f->series_json[s] ? f->series_json[s] : "\"\"";
                if (s) out_put(&b, ",", 1);
                out_str(&b, qn);
                size_t n;
                if (v->present && isfinite(v->value)) {
                    memcpy(item, ":{\"ts\":", 7);
                    n = 7 + nf_i64(item + 7, v->ts_ms);
                    memcpy(item + n, ",\"value\":", 9);
                    n += 9 + nf_double(item + n + 9, v->value);
                    memcpy(item + n, ",\"quality\":", 11);
                    n += 11 + nf_u64(item + n + 11, v->quality);
                    n += unit_member(item + n, sizeof item - n - 1, v->unit);
                    item[n++] = '}';
                } else {
                    memcpy(item, ":null", 5);
                    n = 5;
                }
                out_put(&b, item, n);
            }
            out_put(&b, "}", 1);
        } else {
            k += f->pub.n_series;
        }
        if (rq->extra) {
            char extra[8192];
            size_t n = rq->extra(ctx, i, &f->pub, vals + k - f->pub.n_series, extra, sizeof extra);
            if (n > 0 && n < sizeof extra) out_put(&b, extra, n);
        }
        out_put(&b, "}}", 2);
    }
    out_str(&b, "]}");
    free(names);
    free(vals);
    free(kept);
    if (b.oom) {
        free(b.p);
        return -1;
    }
    *json = b.p;
    if (len) *len = b.n;
    return 0;
}
