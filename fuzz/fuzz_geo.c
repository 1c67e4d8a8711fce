/*
 * fuzz_geo.c - libFuzzer target of the park layout loader (geo_load_text,
 * geo/geo.h): GeoJSON parsing, the per-kind property checks, geometry
 * building with GEOS and projection with PROJ.
 *
 * The input is one GeoJSON file (NUL-terminated copy). A layout that loads
 * is then queried the way the API and the views do: each feature found by
 * id, the point and radius queries around the first feature, the k nearest,
 * a polygon query, the detector binding, the exposure of the first feature
 * and the GeoJSON layers of every kind, so that a layout the loader accepts
 * cannot crash what comes after it. A layout that is refused must come with
 * at least one problem. A broken property aborts.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geo/geo.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_geo: property failed: %s (line %d)\n", #cond, __LINE__);         \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static void query(const geo_layout *g) {
    size_t n = geo_count_all(g);
    size_t sum = 0;
    for (int k = 0; k < GEO_KIND_COUNT; k++) sum += geo_count(g, (geo_kind)k);
    CHECK(sum == n);
    (void)strlen(geo_metric_crs(g));
    for (size_t i = 0; i < n; i++) {
        const geo_feature *f = geo_get(g, i);
        CHECK(f && f->id);
        CHECK(geo_find(g, f->id) == (long)i);
        for (size_t s = 0; s < f->n_series; s++) (void)strlen(f->series[s]);
    }
    if (n == 0) return;
    const geo_feature *f0 = geo_get(g, 0);
    geo_hits h;
    if (geo_within_point(g, f0->lon, f0->lat, 500, GEO_ANY, &h) == 0) {
        for (size_t i = 0; i < h.n; i++) CHECK(h.index[i] < n);
        geo_hits_free(&h);
    }
    if (geo_within_feature(g, 0, 250, GEO_ANY, &h) == 0) {
        for (size_t i = 0; i < h.n; i++) CHECK(h.index[i] < n && h.index[i] != 0);
        geo_hits_free(&h);
    }
    if (geo_nearest(g, f0->lon, f0->lat, 3, GEO_ANY, &h) == 0) {
        CHECK(h.n <= 3);
        geo_hits_free(&h);
    }
    double ring[8] = {f0->lon - 0.01, f0->lat - 0.01, f0->lon + 0.01, f0->lat - 0.01,
                      f0->lon + 0.01, f0->lat + 0.01, f0->lon - 0.01, f0->lat + 0.01};
    if (geo_intersecting(g, ring, 4, GEO_ANY, &h) == 0) geo_hits_free(&h);
    geo_pairs pr;
    if (geo_join_within(g, GEO_GAS_DETECTOR, GEO_TANK, 100, &pr) == 0) geo_pairs_free(&pr);
    long *guards = NULL;
    if (geo_bind_detectors(g, 50, &guards) == 0) free(guards);
    double occ;
    (void)geo_exposure(g, 0, 300, false, &occ);
    for (int k = 0; k < GEO_KIND_COUNT; k++) {
        char *json = NULL;
        size_t len = 0;
        if (geo_layer_geojson(g, (geo_kind)k, NULL, NULL, &json, &len) == 0) {
            CHECK(json && strlen(json) == len);
            free(json);
        }
    }
    double x, y, lon, lat;
    if (geo_project(g, f0->lon, f0->lat, &x, &y) == 0) (void)geo_unproject(g, x, y, &lon, &lat);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = 0;
    const char *texts[1] = {text}, *names[1] = {"fuzz.geojson"};
    geo_layout *g = NULL;
    geo_problems p = {0};
    int rc = geo_load_text(texts, names, 1, NULL, &g, &p);
    if (rc == 0) {
        CHECK(g != NULL);
        query(g);
        geo_close(g);
    } else {
        CHECK(g == NULL && p.n >= 1);
        for (size_t i = 0; i < p.n; i++) (void)strlen(p.v[i].message);
    }
    geo_problems_free(&p);
    free(text);
    return 0;
}
