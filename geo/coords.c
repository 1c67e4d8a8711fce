/*
 * coords.c - a feature's own properties and its coordinates in the metric
 * CRS, for the modules that keep their own structures over the layout
 * (roads/ builds its graph from the roads' lines, closedpark/ tests
 * positions against zone rings thousands of times a second without GEOS).
 */
#include <stdlib.h>
#include <string.h>

#include "geo/internal.h"

static json_t *prop(const geo_layout *g, size_t index, const char *name) {
    return g && index < g->n ? json_object_get(g->f[index].props, name) : NULL;
}

double geo_prop_num(const geo_layout *g, size_t index, const char *name, double dflt) {
    json_t *v = prop(g, index, name);
    return json_is_number(v) ? json_number_value(v) : dflt;
}

const char *geo_prop_str(const geo_layout *g, size_t index, const char *name) {
    const char *s = json_string_value(prop(g, index, name));
    return s ? s : "";
}

bool geo_prop_bool(const geo_layout *g, size_t index, const char *name, bool dflt) {
    json_t *v = prop(g, index, name);
    return json_is_boolean(v) ? json_is_true(v) : dflt;
}

typedef struct coords_builder {
    geo_coords *c;
    size_t cap_points, cap_parts;
} coords_builder;

static int add_point(coords_builder *b, double x, double y) {
    geo_coords *c = b->c;
    if (c->n_points == b->cap_points) {
        size_t cap = b->cap_points ? b->cap_points * 2 : 64;
        double *v = realloc(c->xy, cap * 2 * sizeof *v);
        if (!v) return -1;
        c->xy = v, b->cap_points = cap;
    }
    c->xy[2 * c->n_points] = x, c->xy[2 * c->n_points + 1] = y;
    c->n_points++;
    return 0;
}

static int end_part(coords_builder *b) {
    geo_coords *c = b->c;
    if (c->n_parts == b->cap_parts) {
        size_t cap = b->cap_parts ? b->cap_parts * 2 : 4;
        size_t *v = realloc(c->part_end, cap * sizeof *v);
        if (!v) return -1;
        c->part_end = v, b->cap_parts = cap;
    }
    c->part_end[c->n_parts++] = c->n_points;
    return 0;
}

static int add_sequence(GEOSContextHandle_t h, coords_builder *b, const GEOSGeometry *line) {
    const GEOSCoordSequence *seq = GEOSGeom_getCoordSeq_r(h, line);
    unsigned int n = 0;
    if (!seq || !GEOSCoordSeq_getSize_r(h, seq, &n)) return -1;
    for (unsigned int i = 0; i < n; i++) {
        double x, y;
        if (!GEOSCoordSeq_getXY_r(h, seq, i, &x, &y) || add_point(b, x, y)) return -1;
    }
    return end_part(b);
}

static int add_geometry(GEOSContextHandle_t h, coords_builder *b, const GEOSGeometry *gm) {
    switch (GEOSGeomTypeId_r(h, gm)) {
        case GEOS_POINT:
        case GEOS_LINESTRING:
        case GEOS_LINEARRING:
            return add_sequence(h, b, gm);
        case GEOS_POLYGON: {
            const GEOSGeometry *ring = GEOSGetExteriorRing_r(h, gm);
            return ring ? add_sequence(h, b, ring) : -1;
        }
        default: {
            int n = GEOSGetNumGeometries_r(h, gm);
            for (int i = 0; i < n; i++)
                if (add_geometry(h, b, GEOSGetGeometryN_r(h, gm, i))) return -1;
            return n >= 0 ? 0 : -1;
        }
    }
}

int geo_feature_coords(const geo_layout *g, size_t index, geo_coords *out) {
    memset(out, 0, sizeof *out);
    if (!g || index >= g->n || !g->f[index].geom) return -1;
    GEOSContextHandle_t h = geo_geos_ctx();
    if (!h) return -1;
    coords_builder b = {out, 0, 0};
    int rc = add_geometry(h, &b, g->f[index].geom);
    GEOS_finish_r(h);
    if (rc) geo_coords_free(out);
    return rc;
}

void geo_coords_free(geo_coords *c) {
    if (!c) return;
    free(c->xy);
    free(c->part_end);
    memset(c, 0, sizeof *c);
}
