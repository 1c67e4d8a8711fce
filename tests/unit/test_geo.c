/*
 * test_geo.c - the geo module on a small park whose answers are known by
 * construction (features placed in metres around an origin in the Shanghai
 * Chemical Industry Park), projection checked against PROJ's own cs2cs,
 * and every class of layout problem.
 */
#include <jansson.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "geo/geo.h"
#include "common/jsonfmt.h"
#include "tools/park_format.h"

#define LON0 121.45
#define LAT0 30.80

/* Metres east/north of the origin to lon/lat (local approximation; the
 * tests leave margins far larger than its 0.5 % error). */
static double lon_of(double x) {
    return LON0 + x / (111320.0 * cos(LAT0 * M_PI / 180));
}
static double lat_of(double y) {
    return LAT0 + y / 110850.0;
}

typedef struct text {
    char *p;
    size_t n, cap;
} text;

static void addf(text *t, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char buf[2048];
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (t->n + (size_t)n + 1 > t->cap) {
        t->cap = (t->n + (size_t)n + 1) * 2;
        t->p = realloc(t->p, t->cap);
    }
    memcpy(t->p + t->n, buf, (size_t)n + 1);
    t->n += (size_t)n;
}

static bool first_feature;

static void feature(text *t, const char *geometry, const char *props) {
    addf(t, "%s{\"type\": \"Feature\", \"geometry\": %s, \"properties\": {%s}}",
         first_feature ? "" : ",\n", geometry, props);
    first_feature = false;
}

static char *point(double x, double y) {
    static char b[8][128];
    static int k;
    char *s = b[k++ % 8];
    snprintf(s, 128, "{\"type\": \"Point\", \"coordinates\": [%.9f, %.9f]}", lon_of(x), lat_of(y));
    return s;
}

static char *rect(double x0, double y0, double x1, double y1) {
    static char b[4][512];
    static int k;
    char *s = b[k++ % 4];
    snprintf(s, 512,
             "{\"type\": \"Polygon\", \"coordinates\": [[[%.9f, %.9f], [%.9f, %.9f], [%.9f, %.9f], "
             "[%.9f, %.9f], [%.9f, %.9f]]]}",
             lon_of(x0), lat_of(y0), lon_of(x1), lat_of(y0), lon_of(x1), lat_of(y1), lon_of(x0),
             lat_of(y1), lon_of(x0), lat_of(y0));
    return s;
}

static char *line(double x0, double y0, double x1, double y1) {
    static char b[4][256];
    static int k;
    char *s = b[k++ % 4];
    snprintf(s, 256, "{\"type\": \"LineString\", \"coordinates\": [[%.9f, %.9f], [%.9f, %.9f]]}",
             lon_of(x0), lat_of(y0), lon_of(x1), lat_of(y1));
    return s;
}

static char *small_park(void) {
    text t = {0};
    first_feature = true;
    addf(&t, "{\"type\": \"FeatureCollection\", \"features\": [\n");
    feature(&t, rect(0, 0, 600, 600),
            "\"id\": \"E001\", \"kind\": \"enterprise\", \"name\": \"Donghai\"");
    feature(&t, rect(100, 100, 300, 300),
            "\"id\": \"HS1\", \"kind\": \"hazard_source\", \"enterprise\": \"E001\", "
            "\"substances\": [\"propane\"], \"grade\": 2");
    feature(&t, point(200, 200),
            "\"id\": \"T1\", \"kind\": \"tank\", \"enterprise\": \"E001\", \"capacity_m3\": 5000, "
            "\"substance\": \"propane\", \"series\": [\"E001/tankfarm-1/T1.level\"]");
    feature(&t, point(400, 200),
            "\"id\": \"T2\", \"kind\": \"tank\", \"enterprise\": \"E001\", \"capacity_m3\": 3000, "
            "\"substance\": \"propane\"");
    feature(&t, line(0, 500, 600, 500),
            "\"id\": \"P1\", \"kind\": \"pipeline\", \"enterprise\": \"E001\", \"substance\": "
            "\"propane\", \"series\": [\"E001/pipeline-1/PT01.pressure\"]");
    const double det[4][2] = {{200, 230}, {300, 470}, {550, 50}, {520, 540}};
    for (int i = 0; i < 4; i++) {
        char props[256];
        snprintf(props, sizeof props,
                 "\"id\": \"GD%d\", \"kind\": \"gas_detector\", \"enterprise\": \"E001\", "
                 "\"gas\": \"propane\", \"type\": \"combustible\", \"series\": "
                 "[\"E001/gd-%02d/lel\"]",
                 i + 1, i + 1);
        feature(&t, point(det[i][0], det[i][1]), props);
    }
    feature(&t, point(150, 250),
            "\"id\": \"GD5\", \"kind\": \"gas_detector\", \"enterprise\": \"E001\", \"gas\": "
            "\"H2S\", \"type\": \"toxic\", \"alarm1\": 10, \"alarm2\": 20");
    feature(
        &t, rect(350, 350, 370, 370),
        "\"id\": \"B1\", \"kind\": \"building\", \"occupants_day\": 10, \"occupants_night\": 2");
    feature(
        &t, rect(780, 150, 820, 250),
        "\"id\": \"B3\", \"kind\": \"building\", \"occupants_day\": 40, \"occupants_night\": 8");
    feature(
        &t, rect(2000, 2000, 2050, 2050),
        "\"id\": \"B2\", \"kind\": \"building\", \"occupants_day\": 100, \"occupants_night\": 5");
    feature(&t, point(-300, 800),
            "\"id\": \"AQ1\", \"kind\": \"aq_station\", \"series\": [\"PARK/aq-1/PM2_5\"]");
    feature(&t, point(-300, 900), "\"id\": \"MET1\", \"kind\": \"weather_station\"");
    feature(&t, point(0, -50), "\"id\": \"G1\", \"kind\": \"gate\"");
    feature(&t, point(1500, 1500), "\"id\": \"S1\", \"kind\": \"shelter\", \"capacity\": 500");
    feature(&t, point(-800, 0), "\"id\": \"F1\", \"kind\": \"fire_station\"");
    feature(&t, line(-100, -100, 1200, -100), "\"id\": \"R1\", \"kind\": \"road\"");
    feature(&t, point(1000, 0),
            "\"id\": \"T3\", \"kind\": \"tank\", \"enterprise\": \"E002\", \"capacity_m3\": 100, "
            "\"substance\": \"ammonia\"");
    addf(&t, "\n]}\n");
    return t.p;
}

static geo_layout *load_small(void) {
    char *txt = small_park();
    const char *texts[] = {txt}, *names[] = {"small.geojson"};
    geo_layout *g = NULL;
    geo_problems p = {0};
    int rc = geo_load_text(texts, names, 1, NULL, &g, &p);
    if (rc != 0)
        fail_msg("load: %zu problems, first: %s %s", p.n, p.n ? p.v[0].feature : "",
                 p.n ? p.v[0].message : "");
    geo_problems_free(&p);
    free(txt);
    return g;
}

static size_t idx(geo_layout *g, const char *id) {
    long i = geo_find(g, id);
    if (i < 0) fail_msg("no feature %s", id);
    return (size_t)i;
}

static const char *id_of(geo_layout *g, size_t i) {
    return geo_get(g, i)->id;
}

static void test_projection_matches_cs2cs(void **state) {
    (void)state;
    geo_layout *g = load_small();
    assert_string_equal(geo_metric_crs(g), "EPSG:32651"); /* UTM 51N: 120E..126E */
    /* cs2cs takes EPSG:4326 as latitude, longitude. */
    FILE *p = popen("echo '30.80 121.45' | cs2cs -f %.4f EPSG:4326 EPSG:32651", "r");
    assert_non_null(p);
    double ex, ey;
    assert_int_equal(fscanf(p, "%lf %lf", &ex, &ey), 2);
    pclose(p);
    double x, y, lon, lat;
    assert_int_equal(geo_project(g, LON0, LAT0, &x, &y), 0);
    assert_true(fabs(x - ex) < 0.001 && fabs(y - ey) < 0.001);
    assert_int_equal(geo_unproject(g, x, y, &lon, &lat), 0);
    assert_true(fabs(lon - LON0) < 1e-9 && fabs(lat - LAT0) < 1e-9);
    /* CGCS2000 (EPSG:4490) input lands within centimetres of WGS84's. */
    char *txt = small_park();
    const char *texts[] = {txt}, *names[] = {"cgcs2000.geojson"};
    geo_options o = {.source_crs = "EPSG:4490"};
    geo_layout *c = NULL;
    geo_problems pr = {0};
    assert_int_equal(geo_load_text(texts, names, 1, &o, &c, &pr), 0);
    double cx, cy;
    assert_int_equal(geo_project(c, LON0, LAT0, &cx, &cy), 0);
    assert_true(fabs(cx - x) < 0.05 && fabs(cy - y) < 0.05);
    geo_close(c);
    free(txt);
    /* A metric CRS from the configuration: CGCS2000 3-degree Gauss-Kruger CM 120E. */
    geo_options gk = {.metric_crs = "EPSG:4549"};
    txt = small_park();
    texts[0] = txt;
    assert_int_equal(geo_load_text(texts, names, 1, &gk, &c, &pr), 0);
    assert_string_equal(geo_metric_crs(c), "EPSG:4549");
    geo_hits h;
    assert_int_equal(geo_within_feature(c, (size_t)geo_find(c, "P1"), 50, GEO_GAS_DETECTOR, &h), 0);
    assert_int_equal(h.n, 2); /* the same answer in another metric CRS */
    geo_hits_free(&h);
    geo_close(c);
    free(txt);
    /* A feature's point comes back where it was put. */
    const geo_feature *t1 = geo_get(g, idx(g, "T1"));
    assert_true(fabs(t1->lon - lon_of(200)) < 1e-9 && fabs(t1->lat - lat_of(200)) < 1e-9);
    geo_close(g);
}

static void test_distances_and_joins(void **state) {
    (void)state;
    geo_layout *g = load_small();
    assert_int_equal(geo_count(g, GEO_GAS_DETECTOR), 5);
    assert_int_equal(geo_count(g, GEO_TANK), 3);
    geo_hits h;
    /* Detectors within 50 m of the tank T1's position: GD1 at 30 m, GD5 at ~71 m is out. */
    assert_int_equal(geo_within_point(g, lon_of(200), lat_of(200), 50, GEO_GAS_DETECTOR, &h), 0);
    assert_int_equal(h.n, 1);
    assert_string_equal(id_of(g, h.index[0]), "GD1");
    assert_true(fabs(h.distance_m[0] - 30) < 0.5);
    geo_hits_free(&h);
    /* Detectors within 50 m of the pipeline, nearest first. */
    assert_int_equal(geo_within_feature(g, idx(g, "P1"), 50, GEO_GAS_DETECTOR, &h), 0);
    assert_int_equal(h.n, 2);
    assert_string_equal(id_of(g, h.index[0]), "GD2");
    assert_string_equal(id_of(g, h.index[1]), "GD4");
    assert_true(fabs(h.distance_m[0] - 30) < 0.5 && fabs(h.distance_m[1] - 40) < 0.5);
    geo_hits_free(&h);
    /* The full join gives the same pairs. */
    geo_pairs pr;
    assert_int_equal(geo_join_within(g, GEO_GAS_DETECTOR, GEO_PIPELINE, 50, &pr), 0);
    assert_int_equal(pr.n, 2);
    for (size_t i = 0; i < pr.n; i++) assert_string_equal(id_of(g, pr.b[i]), "P1");
    geo_pairs_free(&pr);
    /* Everything within 500 m of the hazard source, any kind. */
    assert_int_equal(geo_within_feature(g, idx(g, "HS1"), 500, GEO_ANY, &h), 0);
    bool saw_b3 = false, saw_b2 = false;
    for (size_t i = 0; i < h.n; i++) {
        saw_b3 |= !strcmp(id_of(g, h.index[i]), "B3");
        saw_b2 |= !strcmp(id_of(g, h.index[i]), "B2");
    }
    assert_true(saw_b3 && !saw_b2);
    geo_hits_free(&h);
    /* The two nearest tanks to the origin corner. */
    assert_int_equal(geo_nearest(g, LON0, LAT0, 2, GEO_TANK, &h), 0);
    assert_int_equal(h.n, 2);
    assert_string_equal(id_of(g, h.index[0]), "T1");
    assert_string_equal(id_of(g, h.index[1]), "T2");
    assert_true(fabs(h.distance_m[0] - 282.8) < 2);
    geo_hits_free(&h);
    /* Tanks inside a drawn polygon. */
    double poly[] = {lon_of(150), lat_of(150), lon_of(450), lat_of(150),
                     lon_of(450), lat_of(250), lon_of(150), lat_of(250)};
    assert_int_equal(geo_intersecting(g, poly, 4, GEO_TANK, &h), 0);
    assert_int_equal(h.n, 2);
    geo_hits_free(&h);
    geo_close(g);
}

static void test_binding_and_exposure(void **state) {
    (void)state;
    geo_layout *g = load_small();
    long *guards;
    assert_int_equal(geo_bind_detectors(g, 100, &guards), 0);
    assert_string_equal(id_of(g, (size_t)guards[idx(g, "GD1")]), "T1");
    assert_string_equal(id_of(g, (size_t)guards[idx(g, "GD2")]), "P1");
    assert_int_equal(guards[idx(g, "GD3")], -1);
    assert_string_equal(id_of(g, (size_t)guards[idx(g, "GD4")]), "P1");
    assert_string_equal(id_of(g, (size_t)guards[idx(g, "GD5")]), "T1");
    assert_int_equal(guards[idx(g, "T1")], -1);
    free(guards);
    /* B1 wholly inside 500 m of HS1 (10 people), B3 half inside (40 -> 20), B2 far. */
    double day, night;
    assert_int_equal(geo_exposure(g, idx(g, "HS1"), 500, false, &day), 0);
    assert_int_equal(geo_exposure(g, idx(g, "HS1"), 500, true, &night), 0);
    assert_true(fabs(day - 30) < 4);
    assert_true(fabs(night - 6) < 1);
    double *all = malloc(geo_count_all(g) * sizeof *all);
    assert_int_equal(geo_exposure_kind(g, GEO_HAZARD_SOURCE, 500, false, all), 0);
    assert_true(all[idx(g, "HS1")] == day);
    assert_true(all[idx(g, "T1")] == 0);
    free(all);
    /* Detector alarm levels: GB/T 50493 defaults for combustible, given for toxic. */
    assert_true(geo_get(g, idx(g, "GD1"))->alarm1 == 25 && geo_get(g, idx(g, "GD1"))->alarm2 == 50);
    assert_true(geo_get(g, idx(g, "GD5"))->alarm1 == 10);
    geo_close(g);
}

static int fake_values(void *ctx, const char *const *series, size_t n, geo_value *out) {
    int *calls = ctx;
    (*calls)++;
    for (size_t i = 0; i < n; i++)
        if (strstr(series[i], "gd-01"))
            out[i] = (geo_value){true, 1767225600000LL, 12.5, 0, "%LEL"};
    return 0;
}

static void test_live_layer(void **state) {
    (void)state;
    geo_layout *g = load_small();
    char *js;
    size_t len;
    int calls = 0;
    assert_int_equal(geo_layer_geojson(g, GEO_GAS_DETECTOR, fake_values, &calls, &js, &len), 0);
    assert_int_equal(calls, 1);
    json_error_t je;
    json_t *root = json_loads(js, 0, &je);
    if (!root) fail_msg("layer is not JSON: %s at %d: %.200s", je.text, je.position, js);
    json_t *fs = json_object_get(root, "features");
    assert_int_equal(json_array_size(fs), 5);
    json_t *gd1 = json_array_get(fs, 0);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(gd1, "properties"), "id")), "GD1");
    json_t *v = json_object_get(json_object_get(json_object_get(gd1, "properties"), "values"),
                                "E001/gd-01/lel");
    assert_true(json_number_value(json_object_get(v, "value")) == 12.5);
    assert_string_equal(json_string_value(json_object_get(v, "unit")),
                        "%LEL"); /* the unit rides along */
    json_t *v2 = json_object_get(
        json_object_get(json_object_get(json_array_get(fs, 1), "properties"), "values"),
        "E001/gd-02/lel");
    assert_true(json_is_null(v2)); /* no value yet */
    json_decref(root);
    free(js);
    geo_close(g);
}

/* Every problem class, each reported with the feature it is about. */
static void test_validation(void **state) {
    (void)state;
    struct {
        const char *feature, *expect;
    } cases[] = {
        {"{\"type\": \"Feature\", \"geometry\": {\"type\": \"Point\", \"coordinates\": [121.4, "
         "30.8]}, "
         "\"properties\": {\"id\": \"X1\", \"kind\": \"volcano\"}}",
         "unknown kind"},
        {"{\"type\": \"Feature\", \"geometry\": {\"type\": \"Point\", \"coordinates\": [121.4, "
         "30.8]}, "
         "\"properties\": {\"id\": \"X2\", \"kind\": \"pipeline\", \"enterprise\": \"E001\", "
         "\"substance\": \"x\"}}",
         "cannot have this geometry"},
        {"{\"type\": \"Feature\", \"geometry\": {\"type\": \"Polygon\", \"coordinates\": "
         "[[[121.40, 30.80], [121.41, 30.81], [121.41, 30.80], [121.40, 30.81], [121.40, "
         "30.80]]]}, "
         "\"properties\": {\"id\": \"X3\", \"kind\": \"building\", \"occupants_day\": 1, "
         "\"occupants_night\": 1}}",
         "Self-intersection"},
        {"{\"type\": \"Feature\", \"geometry\": {\"type\": \"Point\", \"coordinates\": [121.4, "
         "30.8]}, "
         "\"properties\": {\"id\": \"X4\", \"kind\": \"tank\", \"enterprise\": \"E001\", "
         "\"substance\": \"x\"}}",
         "needs \"capacity_m3\""},
        {"{\"type\": \"Feature\", \"geometry\": {\"type\": \"Point\", \"coordinates\": [121.4, "
         "30.8]}, "
         "\"properties\": {\"id\": \"X5\", \"kind\": \"gas_detector\", \"enterprise\": \"E001\", "
         "\"gas\": \"H2S\", \"type\": \"combustible\", \"series\": [\"E002/gd/lel\"]}}",
         "another enterprise"},
        {"{\"type\": \"Feature\", \"geometry\": {\"type\": \"Point\", \"coordinates\": [181, "
         "30.8]}, "
         "\"properties\": {\"id\": \"X6\", \"kind\": \"gate\"}}",
         "not a longitude"},
        {"{\"type\": \"Feature\", \"geometry\": {\"type\": \"Polygon\", \"coordinates\": "
         "[[[121.40, 30.80], [121.41, 30.81], [121.41, 30.80], [121.40, 30.79]]]}, "
         "\"properties\": {\"id\": \"X7\", \"kind\": \"building\", \"occupants_day\": 1, "
         "\"occupants_night\": 1}}",
         "not closed"},
        {"{\"type\": \"Feature\", \"geometry\": {\"type\": \"Point\", \"coordinates\": [121.4, "
         "30.8]}, "
         "\"properties\": {\"id\": \"X8\", \"kind\": \"gas_detector\", \"enterprise\": \"E001\", "
         "\"gas\": \"H2S\", \"type\": \"toxic\"}}",
         "no default"},
        {"{\"type\": \"Feature\", \"geometry\": {\"type\": \"Point\", \"coordinates\": [121.4, "
         "30.8]}, "
         "\"properties\": {\"kind\": \"gate\"}}",
         "without an \"id\""},
        {"{\"type\": \"Feature\", \"geometry\": null, \"properties\": {\"id\": \"X10\", \"kind\": "
         "\"gate\"}}",
         "no geometry"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char doc[4096];
        snprintf(doc, sizeof doc,
                 "{\"type\": \"FeatureCollection\", \"features\": [{\"type\": \"Feature\", "
                 "\"geometry\": {\"type\": \"Point\", \"coordinates\": [121.45, 30.8]}, "
                 "\"properties\": {\"id\": \"OK\", \"kind\": \"gate\"}}, %s]}",
                 cases[i].feature);
        const char *texts[] = {doc}, *names[] = {"bad.geojson"};
        geo_layout *g = (geo_layout *)1;
        geo_problems p = {0};
        assert_int_equal(geo_load_text(texts, names, 1, NULL, &g, &p), -1);
        assert_null(g);
        bool found = false;
        for (size_t k = 0; k < p.n; k++) found |= strstr(p.v[k].message, cases[i].expect) != NULL;
        if (!found)
            fail_msg("case %zu: no problem saying \"%s\" (first: %s)", i, cases[i].expect,
                     p.n ? p.v[0].message : "none");
        assert_string_equal(p.v[0].file, "bad.geojson");
        assert_true(p.v[0].feature[0]); /* names the feature */
        geo_problems_free(&p);
    }
    /* Duplicate ids across files, and a file that is no FeatureCollection. */
    char *a = small_park();
    const char *texts[] = {a, a}, *names[] = {"a.geojson", "b.geojson"};
    geo_layout *g;
    geo_problems p = {0};
    assert_int_equal(geo_load_text(texts, names, 2, NULL, &g, &p), -1);
    assert_true(p.n > 0 && strstr(p.v[0].message, "used twice"));
    geo_problems_free(&p);
    const char *t2[] = {"{\"type\": \"Feature\"}"};
    assert_int_equal(geo_load_text(t2, names, 1, NULL, &g, &p), -1);
    assert_true(strstr(p.v[0].message, "FeatureCollection") != NULL);
    geo_problems_free(&p);
    free(a);
}

char *park_layout_geojson(int scale, uint64_t seed); /* tools/layout_gen.c */
char *park_layout_geojson_fmt(int scale, uint64_t seed, int fmt);

/* Replaces every "from" in text with "to" (no longer than from), in place. */
static void replace_all(char *text, const char *from, const char *to) {
    size_t nf = strlen(from), nt = strlen(to);
    char *w = text;
    for (const char *r = text; *r;)
        if (!strncmp(r, from, nf))
            memcpy(w, to, nt), w += nt, r += nf;
        else
            *w++ = *r++;
    *w = '\0';
}

/* The layout names every series as parkd stores it when parksim plays it
 * with the same --format: under mixed E004, E008, ... speak line protocol
 * (parksim's rotation: json, Neuron values, Neuron tags, line protocol), so
 * their detectors' dotless "lel"/"ppm" are "lel.value"/"ppm.value" (350 of
 * the 1,500), tags with a dot and every other enterprise's keep their name;
 * under lineproto the park's stations too. The demo's parkd watched
 * "E004/gd-01/lel" while parksim's readings landed in ".../lel.value". */
static void test_demo_park_formats(void **state) {
    (void)state;
    char *json = park_layout_geojson(1, 42);
    char *mixed = park_layout_geojson_fmt(1, 42, FMT_MIXED);
    char *neuron = park_layout_geojson_fmt(1, 42, FMT_NEURON_VALUES);
    char *lp = park_layout_geojson_fmt(1, 42, FMT_LP);
    assert_string_equal(neuron, json); /* Neuron keeps every name */
    json_error_t je;
    json_t *doc = json_loads(mixed, 0, &je);
    assert_non_null(doc);
    size_t i, k, n_series = 0, n_value = 0;
    json_t *f, *s;
    json_array_foreach(json_object_get(doc, "features"), i, f) {
        json_array_foreach(json_object_get(json_object_get(f, "properties"), "series"), k, s) {
            const char *name = json_string_value(s), *tag = strchr(strchr(name, '/') + 1, '/') + 1;
            size_t tl = strlen(tag);
            bool value = tl > 6 && !strcmp(tag + tl - 6, ".value");
            int e = name[0] == 'E' ? atoi(name + 1) : 0; /* PARK: 0, json */
            bool lineproto = e > 0 && e % 4 == 0;
            n_series++, n_value += value;
            if (lineproto && !memchr(tag, '.', value ? tl - 6 : tl))
                assert_true(value); /* a dotless tag of a line-protocol enterprise */
            else if (value)
                fail_msg("%s: .value on a tag with a dot or of another format", name);
        }
    }
    json_decref(doc);
    /* tanks: 300 level and temp less E025-T106's temp, 90 pressure; 180
     * pipeline, 1,500 detector, 66 station series */
    assert_int_equal(n_series, 299 + 90 + 180 + 1500 + 66);
    assert_int_equal(n_value, 7 * 50);
    /* the mixed layout loads as the json one does */
    const char *texts[] = {mixed}, *names[] = {"mixed"};
    geo_layout *g;
    geo_problems p = {0};
    if (geo_load_text(texts, names, 1, NULL, &g, &p) != 0)
        fail_msg("mixed: %s %s", p.v[0].feature, p.v[0].message);
    geo_close(g);
    /* and differs from it in nothing else */
    replace_all(mixed, "/lel.value\"", "/lel\"");
    replace_all(mixed, "/ppm.value\"", "/ppm\"");
    assert_string_equal(mixed, json);
    /* lineproto: every connection, the park's too */
    assert_non_null(strstr(lp, "\"PARK/met-1/wind_speed.value\""));
    assert_non_null(strstr(lp, "\"E001/gd-01/lel.value\""));
    assert_non_null(strstr(lp, "\"E001/tankfarm-1/T101.level\""));
    assert_null(strstr(lp, "level.value"));
    free(json), free(mixed), free(neuron), free(lp);
}

/* What closed-park management needs of the demo park: every gate on a
 * road (within roads.h's 2 m snap), every plot's point and every tank
 * within 100 m of one (a route ends with a straight leg from the road),
 * the roads' rules (the avenue and the chemical road main, the chemical
 * road designated, the northern road closed, one one-way loop), two
 * cameras a plot and one a gate, the zones by type, the vehicle park. */
static void demo_park_closed(const geo_layout *g) {
    int gates = 0, plots = 0, tanks = 0, cams = 0, oneway = 0;
    int zones[4] = {0}; /* hazard_area, confined_space, restricted, work_area */
    static const char *const zt[4] = {"hazard_area", "confined_space", "restricted", "work_area"};
    for (size_t i = 0; i < geo_count_all(g); i++) {
        const geo_feature *f = geo_get(g, i);
        double reach = f->kind == GEO_GATE ? 2 : 100;
        if (f->kind == GEO_GATE || f->kind == GEO_ENTERPRISE || f->kind == GEO_TANK) {
            geo_hits h;
            assert_int_equal(geo_nearest(g, f->lon, f->lat, 1, GEO_ROAD, &h), 0);
            if (h.n != 1 || h.distance_m[0] > reach)
                fail_msg("%s is %.1f m from the nearest road", f->id, h.n ? h.distance_m[0] : -1);
            geo_hits_free(&h);
            gates += f->kind == GEO_GATE, plots += f->kind == GEO_ENTERPRISE;
            tanks += f->kind == GEO_TANK;
        }
        if (f->kind == GEO_ENTERPRISE) { /* the plot's point 30 m off its plant road */
            geo_hits h;
            assert_int_equal(geo_nearest(g, f->lon, f->lat, 1, GEO_ROAD, &h), 0);
            assert_true(h.distance_m[0] < 50);
            geo_hits_free(&h);
        }
        if (f->kind == GEO_ROAD) {
            const char *cls = geo_prop_str(g, i, "class"), *hz = geo_prop_str(g, i, "hazmat");
            double v = geo_prop_num(g, i, "speed_kmh", 0);
            bool main_road = !strcmp(f->id, "PARK-RX1") || !strcmp(f->id, "PARK-RY1");
            if (main_road)
                assert_string_equal(cls, "main"), assert_true(v == 40);
            else if (strcmp(f->id, "PARK-RS1"))
                assert_string_equal(cls, "branch"), assert_true(v == 30);
            assert_string_equal(hz, !strcmp(f->id, "PARK-RY1")   ? "designated"
                                    : !strcmp(f->id, "PARK-RX6") ? "closed"
                                                                 : "allowed");
            oneway += geo_prop_bool(g, i, "oneway", false);
        }
        if (f->kind == GEO_CAMERA) {
            cams++;
            assert_true(geo_prop_num(g, i, "range_m", 0) == 80);
            assert_true(!strncmp(f->id, f->enterprise[0] ? f->enterprise : "PARK-CAM-G",
                                 f->enterprise[0] ? 4 : 10));
        }
        if (f->kind == GEO_ZONE)
            for (int k = 0; k < 4; k++) zones[k] += !strcmp(geo_prop_str(g, i, "zone_type"), zt[k]);
        if (f->kind == GEO_VEHICLE_PARK) assert_int_equal(f->capacity, 60);
    }
    assert_int_equal(gates, 6);
    assert_int_equal(plots, 30);
    assert_int_equal(tanks, 150);
    assert_int_equal(oneway, 1);
    assert_int_equal(cams, 66);
    assert_int_equal(zones[0], 15);
    assert_int_equal(zones[1], 6);
    assert_int_equal(zones[2], 1);
    assert_int_equal(zones[3], 1);
    /* Each confined space holds at most 2, a hazard area 10. */
    long cs = geo_find(g, "E001-ZONE-2"), ha = geo_find(g, "E001-ZONE-1");
    assert_true(cs >= 0 && ha >= 0);
    assert_true(geo_prop_num(g, (size_t)cs, "max_people", 0) == 2);
    assert_true(geo_prop_num(g, (size_t)ha, "max_people", 0) == 10);
}

/* The demo park loads without a single problem, has the counts the demo
 * promises, and is the same bytes for the same seed. */
static void test_demo_park(void **state) {
    (void)state;
    char *a = park_layout_geojson(1, 42), *b = park_layout_geojson(1, 42);
    assert_string_equal(a, b);
    /* The layout shipped in the repository is exactly the generator's. */
    FILE *f = fopen(PARKWATCH_SOURCE_DIR "/geo/demo-park.geojson", "rb");
    assert_non_null(f);
    size_t len = strlen(a);
    char *shipped = malloc(len + 2);
    size_t got = fread(shipped, 1, len + 1, f);
    fclose(f);
    assert_int_equal(got, len);
    assert_memory_equal(shipped, a, len);
    free(shipped);
    const char *texts[] = {a}, *names[] = {"demo"};
    geo_layout *g;
    geo_problems p = {0};
    if (geo_load_text(texts, names, 1, NULL, &g, &p) != 0)
        fail_msg("demo park: %s %s", p.v[0].feature, p.v[0].message);
    const struct {
        geo_kind k;
        size_t n;
    } want[] = {{GEO_ENTERPRISE, 30},      {GEO_HAZARD_SOURCE, 15}, {GEO_TANK, 150},
                {GEO_GAS_DETECTOR, 1500},  {GEO_AQ_STATION, 10},    {GEO_WEATHER_STATION, 2},
                {GEO_BUILDING, 400},       {GEO_GATE, 6},           {GEO_SHELTER, 4},
                {GEO_FIRE_STATION, 3},     {GEO_PIPELINE, 60},      {GEO_ROAD, 65},
                {GEO_CAMERA, 66},          {GEO_ZONE, 23},          {GEO_VEHICLE_PARK, 1},
                {GEO_SENSITIVE_TARGET, 6}, {GEO_RESOURCE, 11}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        assert_int_equal(geo_count(g, want[i].k), want[i].n);
    /* Every tank farm detector guards a tank, every other one a pipeline. */
    long *guards;
    assert_int_equal(geo_bind_detectors(g, 30, &guards), 0);
    for (size_t i = 0; i < geo_count_all(g); i++)
        if (geo_get(g, i)->kind == GEO_GAS_DETECTOR) assert_true(guards[i] >= 0);
    free(guards);
    /* What the demo's monitoring needs of it: named enterprises, pipelines
     * with a pressure and an inlet and outlet flow meter, tanks with level
     * and temperature (pressure and design pressure when pressurised), a
     * detector in every hazard source; and one tank, E025-T106, left
     * without its temperature on purpose. */
    int no_temp = 0;
    for (size_t i = 0; i < geo_count_all(g); i++) {
        const geo_feature *ft = geo_get(g, i);
        if (ft->kind == GEO_ENTERPRISE) assert_null(strstr(ft->name, "Enterprise"));
        if (ft->kind == GEO_PIPELINE) {
            assert_true(ft->design_pressure_mpa > 0);
            assert_int_equal(ft->n_series, 3);
            assert_non_null(strstr(ft->series[0], "/PT01.pressure"));
            assert_non_null(strstr(ft->series[1], "/FT01.flow"));
            assert_non_null(strstr(ft->series[2], "/FT02.flow"));
        }
        if (ft->kind == GEO_TANK) {
            bool level = false, temp = false, pressure = false;
            for (size_t k = 0; k < ft->n_series; k++) {
                level |= strstr(ft->series[k], ".level") != NULL;
                temp |= strstr(ft->series[k], ".temp") != NULL;
                pressure |= strstr(ft->series[k], ".pressure") != NULL;
            }
            assert_true(level);
            assert_int_equal(pressure, ft->design_pressure_mpa > 0);
            if (!temp) assert_string_equal(ft->id, "E025-T106"), no_temp++;
        }
        if (ft->kind == GEO_HAZARD_SOURCE) {
            geo_hits h;
            assert_int_equal(geo_within_feature(g, i, 0, GEO_GAS_DETECTOR, &h), 0);
            assert_true(h.n > 0);
            geo_hits_free(&h);
        }
    }
    assert_int_equal(no_temp, 1);
    demo_park_closed(g);
    /* Shelters lie outside 1 km of every hazard source. */
    for (size_t i = 0; i < geo_count_all(g); i++) {
        if (geo_get(g, i)->kind != GEO_SHELTER) continue;
        geo_hits h;
        assert_int_equal(geo_within_feature(g, i, 1000, GEO_HAZARD_SOURCE, &h), 0);
        assert_int_equal(h.n, 0);
        geo_hits_free(&h);
    }
    geo_close(g);
    free(a);
    free(b);
}

/* Every number of a and b the same double, bit for bit, in the same place. */
static void same_numbers(const json_t *a, const json_t *b, const char *where) {
    if (json_is_number(a) && json_is_number(b)) {
        double x = json_number_value(a), y = json_number_value(b);
        if (memcmp(&x, &y, sizeof x)) fail_msg("%s: %.17g became %.17g", where, x, y);
    } else if (json_is_array(a) && json_is_array(b)) {
        assert_int_equal(json_array_size(a), json_array_size(b));
        for (size_t i = 0; i < json_array_size(a); i++)
            same_numbers(json_array_get(a, i), json_array_get(b, i), where);
    } else if (json_is_object(a) && json_is_object(b)) {
        assert_int_equal(json_object_size(a), json_object_size(b));
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)a, k, v) same_numbers(v, json_object_get(b, k), where);
    } else if (!json_equal((json_t *)a, (json_t *)b)) {
        fail_msg("%s: values differ", where);
    }
}

/* Each feature of a layer against the same feature of the source text. */
static void layer_reads_back(const char *src, const char *layer) {
    json_t *in = json_loads(src, 0, NULL), *out = json_loads(layer, 0, NULL);
    assert_non_null(in);
    assert_non_null(out);
    json_t *fi = json_object_get(in, "features"), *fo = json_object_get(out, "features");
    assert_int_equal(json_array_size(fi), json_array_size(fo));
    for (size_t i = 0; i < json_array_size(fi); i++) {
        json_t *a = json_array_get(fi, i), *b = json_array_get(fo, i);
        const char *id = json_string_value(json_object_get(json_object_get(a, "properties"), "id"));
        same_numbers(json_object_get(a, "geometry"), json_object_get(b, "geometry"), id);
        same_numbers(json_object_get(a, "properties"), json_object_get(b, "properties"), id);
    }
    json_decref(in);
    json_decref(out);
}

static void test_layer_numbers(void **state) {
    (void)state;
    /* short decimals, a 17-digit double, tiny and huge values */
    const char *src =
        "{\"type\":\"FeatureCollection\",\"features\":["
        "{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[121.42,30.78]},"
        "\"properties\":{\"id\":\"G1\",\"kind\":\"gate\",\"w\":0.1,\"big\":1e300,\"tiny\":5e-324,"
        "\"neg\":-0.0,\"n\":7,\"s\":\"a\\\"b\\\\c\\n\\u0001 氯\"}},"
        "{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":"
        "[121.42837999999999,30.787216999999998]},\"properties\":{\"id\":\"G2\",\"kind\":\"gate\","
        "\"third\":0.3333333333333333,\"sum\":0.30000000000000004}}]}";
    const char *texts[] = {src}, *names[] = {"numbers"};
    geo_layout *g;
    geo_problems p = {0};
    assert_int_equal(geo_load_text(texts, names, 1, NULL, &g, &p), 0);
    char *layer;
    size_t len;
    assert_int_equal(geo_layer_geojson(g, GEO_ANY, NULL, NULL, &layer, &len), 0);
    /* exact and short: 30.78 is written as 30.78, not 30.780000000000001 */
    assert_non_null(strstr(layer, "\"coordinates\":[121.42,30.78]"));
    assert_non_null(strstr(layer, "\"w\":0.1,"));
    assert_non_null(strstr(layer, "\"sum\":0.30000000000000004"));
    assert_non_null(strstr(layer, "\"s\":\"a\\\"b\\\\c\\n\\u0001 氯\""));
    layer_reads_back(src, layer);
    free(layer);
    geo_close(g);

    /* the demo park: every coordinate of the full layer bit-identical */
    char *demo = park_layout_geojson(1, 42);
    texts[0] = demo;
    assert_int_equal(geo_load_text(texts, names, 1, NULL, &g, &p), 0);
    assert_int_equal(geo_layer_geojson(g, GEO_ANY, NULL, NULL, &layer, &len), 0);
    layer_reads_back(demo, layer);
    assert_null(strstr(layer, "0000000001")); /* no %.17g tails */
    free(layer);
    geo_close(g);
    free(demo);

    /* the writer on its own: what json_dumps writes, numbers aside */
    json_t *v = json_pack("{s:[f,f,I,b,n],s:s}", "a", 30.78, 1e-7, (json_int_t)-9007199254740993LL,
                          1, "k\t", "é\x7f");
    char *t = pw_json_text(v, &len);
    assert_string_equal(t,
                        "{\"a\":[30.78,0.0000001,-9007199254740993,true,null],\"k\\t\":\"é\x7f\"}");
    assert_int_equal(len, strlen(t));
    free(t);
    json_decref(v);
    assert_null(pw_json_text(NULL, NULL));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_demo_park),
        cmocka_unit_test(test_demo_park_formats),
        cmocka_unit_test(test_projection_matches_cs2cs),
        cmocka_unit_test(test_distances_and_joins),
        cmocka_unit_test(test_binding_and_exposure),
        cmocka_unit_test(test_live_layer),
        cmocka_unit_test(test_validation),
        cmocka_unit_test(test_layer_numbers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
