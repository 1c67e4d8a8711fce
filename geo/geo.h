/*
 * geo.h - the park layout, projected and indexed, and spatial queries: the
 * one public header of geo/.
 *
 * A layout is loaded from GeoJSON files (RFC 7946: WGS84 longitude and
 * latitude; CGCS2000, EPSG:4490, is accepted when named in the options).
 * Every feature has properties "id" (unique across the files) and "kind",
 * one of the geo_kind names below, plus kind-specific properties:
 *
 *   enterprise       Polygon|MultiPolygon   name, name_zh (optional)
 *   hazard_source    Polygon|MultiPolygon   enterprise, substances (array), grade
 *   tank             Point|Polygon          enterprise, capacity_m3, substance,
 *                                           density (kg/m3), height_m, series,
 *                                           design_pressure_mpa (a pressure vessel)
 *   pipeline         LineString|MultiLineString  enterprise, substance,
 *                                           design_pressure_mpa, series (the
 *                                           first flow meter is the inlet, the
 *                                           last the outlet: assets.h)
 *   gas_detector     Point                  enterprise, gas, type ("combustible" or
 *                                           "toxic"), series, alarm1, alarm2
 *   aq_station, weather_station  Point      series
 *   building         Polygon|MultiPolygon   occupants_day, occupants_night
 *   gate, fire_station  Point
 *   shelter          Point                  capacity
 *   road             LineString|MultiLineString  name, name_zh (optional),
 *                                           speed_kmh (posted limit), hazmat ("allowed",
 *                                           the default, "designated" or "closed" to
 *                                           hazardous goods), oneway (true: drawn direction
 *                                           only), class ("main", "branch", "service")
 *   camera           Point                  direction_deg (0 north, clockwise), fov_deg
 *                                           (default 90), range_m (default 100),
 *                                           enterprise (optional)
 *   zone             Polygon|MultiPolygon   zone_type ("hazard_area", "confined_space",
 *                                           "restricted": no hazardous-goods vehicle,
 *                                           "work_area"), max_people (optional, 0 none),
 *                                           enterprise (optional)
 *   vehicle_park     Polygon|MultiPolygon   capacity (vehicles): the hazardous-goods
 *                                           vehicle park, where stopping is allowed
 *   sensitive_target Point|Polygon          target_type ("school", "kindergarten",
 *                                           "hospital", "nursing_home", "residential",
 *                                           "water_intake", "other"), name, population
 *                                           (optional): what lies around the park and
 *                                           must be named when a threat zone reaches it
 *   resource         Point                  resource_type ("team", "vehicle", "equipment",
 *                                           "stock", "medical"), name, quantity (optional,
 *                                           default 1), unit (optional), enterprise
 *                                           (optional): the response's teams and means
 *
 * "series" is an array of historian series names; those of a feature with
 * an enterprise must be that enterprise's ("E001/..."). Gas detector alarm
 * levels default to GB/T 50493-2019: combustible 25 and 50 %LEL
 * (docs/reference/gas-detection-gb50493.md); toxic ones have no
 * default and must be given.
 *
 * Loading checks everything and reports every problem with the feature id
 * (or "#N" for the Nth feature of a file without one) and what is wrong; a
 * layout with any problem is not loaded at all. Geometries are projected
 * once with PROJ to a metric CRS (the UTM zone of the layout's centre, or
 * the one in the options) and indexed per kind in GEOS STRtrees.
 *
 * Distances are metres in the metric CRS. Query results are feature indexes
 * (0 .. geo_count_all - 1), in increasing distance where a distance is
 * involved, else in index order.
 *
 * Ownership and threads: a loaded layout is immutable and owned by the
 * caller (geo_close). Every query may run concurrently on any thread; each
 * call uses its own GEOS context. Result arrays are owned by the caller
 * (geo_hits_free, free()).
 */
#ifndef PARKWATCH_GEO_H
#define PARKWATCH_GEO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum geo_kind {
    GEO_ENTERPRISE = 0,
    GEO_HAZARD_SOURCE,
    GEO_TANK,
    GEO_PIPELINE,
    GEO_GAS_DETECTOR,
    GEO_AQ_STATION,
    GEO_WEATHER_STATION,
    GEO_BUILDING,
    GEO_GATE,
    GEO_SHELTER,
    GEO_FIRE_STATION,
    GEO_ROAD,
    /* Appended (the numbers above never change). */
    GEO_CAMERA,
    GEO_ZONE,
    GEO_VEHICLE_PARK,
    GEO_SENSITIVE_TARGET, /* issue 22 */
    GEO_RESOURCE,
    GEO_KIND_COUNT,
    GEO_ANY = -1
} geo_kind;

const char *geo_kind_name(geo_kind k);
bool geo_kind_parse(const char *name, geo_kind *out);

typedef struct geo_layout geo_layout;

typedef struct geo_options {
    const char *source_crs; /* default "EPSG:4326"; "EPSG:4490" for CGCS2000 */
    const char *metric_crs; /* default: the UTM zone of the layout's centre */
} geo_options;

typedef struct geo_problem {
    char file[128];
    char feature[64];
    char message[192];
} geo_problem;

typedef struct geo_problems {
    geo_problem *v;
    size_t n, cap;
} geo_problems;

void geo_problems_free(geo_problems *p);

/* Loads the files (GeoJSON FeatureCollections). Returns 0 and *out, or -1
 * with every problem in *problems (and *out NULL). options may be NULL. */
int geo_load(const char *const *paths, size_t n_paths, const geo_options *options, geo_layout **out,
             geo_problems *problems);
/* The same from GeoJSON text already in memory (name is used in problems). */
int geo_load_text(const char *const *texts, const char *const *names, size_t n,
                  const geo_options *options, geo_layout **out, geo_problems *problems);
void geo_close(geo_layout *g);

typedef struct geo_feature {
    const char *id, *name, *enterprise; /* "" when absent */
    const char *name_zh;                /* the Chinese name, "" when absent */
    geo_kind kind;
    double lon, lat; /* a point on the feature (WGS84) */
    double x, y;     /* the same, in the metric CRS */
    const char *const *series;
    size_t n_series;
    const char *substance, *gas, *type; /* "" when absent */
    double capacity_m3, density, design_pressure_mpa, alarm1, alarm2;
    double height_m; /* tank: the level at which it holds capacity_m3; 0 when not given */
    long occupants_day, occupants_night, capacity;
    /* The geometry's extent as given (longitude, latitude: west, south,
     * east, north), for zooming to it. */
    double bbox[4];
} geo_feature;

size_t geo_count_all(const geo_layout *g);
size_t geo_count(const geo_layout *g, geo_kind kind);
const geo_feature *geo_get(const geo_layout *g, size_t index);
/* Index of the feature with this id, or -1. */
long geo_find(const geo_layout *g, const char *id);
const char *geo_metric_crs(const geo_layout *g); /* e.g. "EPSG:32651" */

/* A feature's other properties, as loaded (checked at load for the kinds
 * above): a number (dflt when absent or not a number), a string ("" when
 * absent or not a string), a boolean (dflt when absent). */
double geo_prop_num(const geo_layout *g, size_t index, const char *name, double dflt);
const char *geo_prop_str(const geo_layout *g, size_t index, const char *name);
bool geo_prop_bool(const geo_layout *g, size_t index, const char *name, bool dflt);

/* A feature's coordinates in the metric CRS: its parts (each LineString of
 * a line, the exterior ring of each Polygon, closed; holes are left out; a
 * Point is one part of one point) one after the other in xy (x, y pairs),
 * part k being points [k ? part_end[k-1] : 0, part_end[k]). Owned by the
 * caller: geo_coords_free. 0, or -1 (no such feature, out of memory). */
typedef struct geo_coords {
    double *xy;
    size_t n_points;
    size_t *part_end;
    size_t n_parts;
} geo_coords;
int geo_feature_coords(const geo_layout *g, size_t index, geo_coords *out);
void geo_coords_free(geo_coords *c);

/* WGS84 (or the source CRS) to metres and back, as the layout projects. */
int geo_project(const geo_layout *g, double lon, double lat, double *x, double *y);
int geo_unproject(const geo_layout *g, double x, double y, double *lon, double *lat);

typedef struct geo_hits {
    size_t *index;
    double *distance_m; /* per hit; 0 for intersects queries */
    size_t n;
} geo_hits;

void geo_hits_free(geo_hits *h);

/* Features of kind (or GEO_ANY) within metres of a point (lon, lat). */
int geo_within_point(const geo_layout *g, double lon, double lat, double metres, geo_kind kind,
                     geo_hits *out);
/* Features of kind within metres of feature `index` (itself excluded). */
int geo_within_feature(const geo_layout *g, size_t index, double metres, geo_kind kind,
                       geo_hits *out);
/* Features of kind intersecting a polygon given as a ring of lon/lat pairs
 * (closed or not; at least 3 distinct points). */
int geo_intersecting(const geo_layout *g, const double *lonlat, size_t n_points, geo_kind kind,
                     geo_hits *out);
/* The k nearest features of kind to (lon, lat). */
int geo_nearest(const geo_layout *g, double lon, double lat, size_t k, geo_kind kind,
                geo_hits *out);

/* Every pair (a of kind_a, b of kind_b) closer than metres: the full join. */
typedef struct geo_pairs {
    size_t *a, *b;
    double *distance_m;
    size_t n;
} geo_pairs;
void geo_pairs_free(geo_pairs *p);
int geo_join_within(const geo_layout *g, geo_kind kind_a, geo_kind kind_b, double metres,
                    geo_pairs *out);

/* Which tank or pipeline each gas detector guards: the nearest within
 * max_m, or none (guards[i] = -1). guards has one entry per feature index
 * (-1 for features that are not detectors); caller frees. */
int geo_bind_detectors(const geo_layout *g, double max_m, long **guards);

/* Occupants of buildings (by day or night) within metres of feature index,
 * counted in proportion to the part of each building inside the radius. */
int geo_exposure(const geo_layout *g, size_t index, double metres, bool night, double *occupants);
/* The same for every feature of kind at once (the emergency view's table):
 * occupants has geo_count_all entries; other kinds get 0. */
int geo_exposure_kind(const geo_layout *g, geo_kind kind, double metres, bool night,
                      double *occupants);

/* Features of kind as a GeoJSON FeatureCollection in WGS84, each with its
 * properties and, when value_of is given, "values": {series: {"ts", "value",
 * "quality"}} from it (called once with all the kind's series; fills
 * present/ts/value/quality per series). Caller frees *json. */
typedef struct geo_value {
    bool present;
    int64_t ts_ms;
    double value;
    uint8_t quality;
    char unit[24]; /* the series' engineering unit, "" when none (written as "unit") */
} geo_value;
typedef int (*geo_values_fn)(void *ctx, const char *const *series, size_t n, geo_value *out);
int geo_layer_geojson(const geo_layout *g, geo_kind kind, geo_values_fn value_of, void *ctx,
                      char **json, size_t *len);

/* The same with a filter and extra properties (the API's live layers):
 * keep (NULL keeps all) chooses features; extra (may be NULL) writes more
 * members of the feature's properties into buf, each starting with a
 * comma (`,"alarm":{...}`), and returns their length (0: none; cap or more:
 * dropped); it sees the feature's values (n_series of them, filled only
 * when value_of is given). Both are called with ctx. */
typedef struct geo_layer_request {
    geo_kind kind; /* or GEO_ANY */
    bool (*keep)(void *ctx, size_t index, const geo_feature *f);
    geo_values_fn value_of;
    size_t (*extra)(void *ctx, size_t index, const geo_feature *f, const geo_value *values,
                    char *buf, size_t cap);
    void *ctx;
    /* Each feature as {"type":"Feature","id":…,"geometry":null,"properties":
     * {"id":…, values and extra}}: what a client that already has the
     * features polls (a third of the detectors' layer). */
    bool slim;
} geo_layer_request;
int geo_layer(const geo_layout *g, const geo_layer_request *rq, char **json, size_t *len);

#endif
