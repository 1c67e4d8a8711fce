/*
 * internal.h - geo/'s private structures, shared by its files (geo.c
 * loads and queries, coords.c hands out properties and coordinates).
 */
#ifndef PARKWATCH_GEO_INTERNAL_H
#define PARKWATCH_GEO_INTERNAL_H

#include <geos_c.h>
#include <jansson.h>
#include <proj.h>
#include <pthread.h>

#include "geo/geo.h"

typedef struct feature {
    geo_feature pub;
    GEOSGeometry *geom; /* metric CRS */
    json_t *props;      /* the feature's properties, for layers */
    char *layer_head;   /* {"type":"Feature",...,"properties":{... without the closing braces */
    size_t layer_head_len;
    char *slim_head; /* the same with the id alone (geo_layer_request.slim) */
    size_t slim_head_len;
    char **series;
    char **series_json; /* each name as a JSON string, for the layers */
} feature;

struct geo_layout {
    GEOSContextHandle_t geos; /* used at load and close only */
    feature *f;
    size_t n;
    size_t *by_id; /* open addressing on the id: index + 1, 0 = empty */
    size_t by_id_cap;
    size_t count[GEO_KIND_COUNT];
    GEOSSTRtree *tree[GEO_KIND_COUNT];
    char metric_crs[32];
    char source_crs[32];
    pthread_mutex_t proj_mu; /* PROJ objects are not for concurrent use */
    PJ_CONTEXT *pctx;
    PJ *to_metric; /* source lon/lat -> metric x/y (normalized axis order) */
};

GEOSContextHandle_t geo_geos_ctx(void);

/* A problem of the layout being loaded, with its file and feature (geo.c). */
void geo_add_problem(geo_problems *p, const char *file, const char *feat, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The closed-park kinds' and the roads' own properties (checks.c). */
void geo_check_closedpark(geo_kind kind, json_t *props, const char *file, const char *feat,
                          geo_problems *problems);

#endif
