/*
 * views.h - the one map's risk, environment and emergency views: the
 * park's standards computed live from the historian, the layout and the
 * alarms. The one public header of views/ (risk.h, aqi.h, plume.h and
 * idw.h are its private formula layers).
 *
 * Risk (GB 18218-2018, docs/reference/major-hazard-gb18218.md): each
 * hazard source's inventory from the levels of the tanks inside it
 * (level / height x capacity x density), S = sum q/Q, R = alpha x sum
 * beta q/Q with alpha from the occupants of buildings within 500 m by time
 * of day, the grade, and a live state raised by the alarms, faults and
 * stale data of its detectors.
 *
 * Environment (HJ 633-2012, GB 3095-2012, air-quality-gb3095.md): per
 * air-quality station, the hourly means of the last 24 h from the
 * historian's rollups give the 1-h, 8-h and 24-h concentrations, the IAQI
 * of each, the AQI, its category and primary pollutant, and the grade II
 * exceedances; an inverse-distance grid of one pollutant over the park;
 * per enterprise, the hours its toxic detectors spent above their first
 * alarm level each day.
 *
 * Emergency (gaussian-plume.md): an incident (a release at a point or a
 * tank, opened by an operator or proposed when detectors of one area alarm
 * together) is drawn as Gaussian plume footprints for the substance's
 * toxic endpoints (AEGL-3/2/1, else ERPG) or for 100 % and 50 % LEL, in
 * the wind of the nearest weather station at that time with the
 * Pasquill-Gifford class from the wind and the sun; with what lies inside
 * each footprint (occupants, buildings, enterprises, detectors and whether
 * their readings confirm the plume) and the nearest shelters and gates
 * outside it, upwind or across the wind, and fire stations by distance.
 *
 * Every view is computed at a time T (0: now, from the last values), so
 * replay shows the park as it was. The caller's scope (which enterprises
 * a token may see) is a callback applied to every enterprise-owned thing.
 *
 * Ownership and threads: views_open borrows the historian, the alarm
 * engine and the layout, which must outlive it. Every function may be
 * called from any thread; incidents are guarded by an internal lock.
 * Results are new jansson references (json_decref) or malloc'd text.
 */
#ifndef PARKWATCH_VIEWS_H
#define PARKWATCH_VIEWS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alerting/alerting.h"
#include "geo/geo.h"
#include "historian/historian.h"
#include "roads/roads.h"

typedef struct views views;

typedef struct views_options {
    hist *historian;
    alert_engine *alarms;         /* may be NULL */
    const geo_layout *layout;     /* required */
    int utc_offset_min;           /* local time for day/night occupancy; default +480 (UTC+8) */
    double exposure_radius_m;     /* GB 18218 alpha: default 500 */
    double default_tank_height_m; /* for tanks without height_m; default 20 */
    const char *incident_file;    /* JSON lines, appended; NULL: incidents in memory only */
    /* An incident is proposed when at least auto_min_detectors detectors
     * guarding one tank or pipeline (geo_bind_detectors) raise gas alarms
     * within auto_window_ms; default 2 and 120 s. 0 detectors: never. */
    int auto_min_detectors;
    int64_t auto_window_ms;
    /* What moves (closedpark/, issue 21): the vehicles and the people
     * inside a footprint (a ring of n lon, lat pairs), as closedpark_inside
     * answers: 0 and two new arrays, or -1. An incident's zones then list
     * them by plate and name, and count the people tracked there instead
     * of the buildings' nominal occupancy when any is tracked. NULL: none
     * known (the nominal occupancy only). Called from the API's threads. */
    int (*inside)(void *ctx, const double *lonlat, size_t n, json_t **vehicles, json_t **people);
    void *inside_ctx;
    /* The park's roads (roads/, issue 22): an incident's response then
     * routes responders to a staging point upwind and people out of the
     * footprint to safe refuges over them (response/). NULL: straight-line
     * distances only. Borrowed; immutable. */
    const roads *roads;
    /* Dispersion (issue 22): the park's terrain for Briggs' sigmas (false:
     * rural, open country) and the sigma set: 0 Briggs (1973), 1 Pasquill-
     * Gifford by Turner's (1970) fits, 2 ISC3 rural; the last two are
     * open-country fits. */
    bool urban;
    int sigma_set;
} views_options;

void views_options_default(views_options *o);
int views_open(const views_options *o, views **out, char *err, size_t errcap);
void views_close(views *v);

/* What a caller sees: keep(ctx, enterprise) for each enterprise-owned
 * thing (NULL keeps everything); at_ms 0 means now. */
typedef struct views_query {
    int64_t at_ms;
    bool (*keep)(void *ctx, const char *enterprise);
    void *ctx;
} views_query;

/* The hazard sources as GeoJSON with their inventory, S, R, grade, live
 * state, colour and reasons. Caller frees *json. */
int views_risk_layer(views *v, const views_query *q, char **json, size_t *len, char *err,
                     size_t errcap);
/* One source: the same figures plus its tanks, detectors, and the
 * inventory trend (tonnes per substance) over [from, to) at step. */
int views_risk_source(views *v, const views_query *q, const char *id, int64_t from_ms,
                      int64_t to_ms, int64_t step_ms, json_t **out, char *err, size_t errcap);

/* The air-quality stations as GeoJSON with concentrations, IAQI, AQI,
 * category, colour, primary pollutant and exceedances. */
int views_aqi_layer(views *v, const views_query *q, char **json, size_t *len, char *err,
                    size_t errcap);
/* A grid of nx x ny cells (each at most 500) over the park of one pollutant
 * ("PM2_5", "PM10", "SO2", "NO2", "CO", "O3": the latest 1-h mean of each
 * station), as GeoJSON polygons with "value" (null where no station is
 * near enough). */
int views_idw(views *v, const views_query *q, const char *pollutant, int nx, int ny, char **json,
              size_t *len, char *err, size_t errcap);
/* Per enterprise, its toxic detectors' hours above alarm level 1 on the
 * local day containing q->at_ms (or today). */
int views_toxic_summary(views *v, const views_query *q, json_t **out, char *err, size_t errcap);

/* ---- incidents ---- */

typedef struct views_incident_spec {
    const char *tank_id;   /* a tank of the layout: location and substance; or NULL */
    double lon, lat;       /* the release point when no tank */
    const char *substance; /* required without a tank */
    double release_kg_s;   /* > 0; or 0 with hole_mm through the tank's wall */
    double hole_mm;
    double height_m;  /* release height; default 1 m */
    int64_t start_ms; /* 0: now */
    const char *opened_by;
    const char *note;
    const char *only_enterprise; /* when set, the release must lie in this enterprise's plot */
} views_incident_spec;

/* Opens an incident; *id gets its id ("INC-<n>"). */
int views_incident_open(views *v, const views_incident_spec *s, char id[32], char *err,
                        size_t errcap);
int views_incident_close(views *v, const char *id, int64_t at_ms, const char *user, char *err,
                         size_t errcap);
/* All incidents (open, closed and proposed) the scope may see. */
int views_incidents(views *v, const views_query *q, json_t **out);
/* The incident at q->at_ms (0: now): the wind and class used, every
 * footprint as a GeoJSON polygon with its endpoint, and the consequences. */
int views_incident_view(views *v, const char *id, const views_query *q, json_t **out, char *err,
                        size_t errcap);

/* ---- threat zones of fires, explosions and dense gas (issue 22) ---- */

/* Runs a consequence model (consequence/) for a tank or a point and joins
 * its three threat zones with the live park. req (the API's body):
 * {model: "vce"|"pool_fire"|"jet_fire"|"bleve"|"dense_gas", tank | lon+lat,
 * substance (default the tank's), and the model's numbers: vce mass_kg,
 * yield (0.03), curve ("surface"|"free_air"); pool_fire pool_area_m2 |
 * diameter_m | spill_volume_m3; jet_fire release_kg_s, exit_velocity_m_s;
 * bleve mass_kg (default the tank's inventory); dense_gas release_kg_s
 * (plume) | mass_kg (puff), release_temp_k; ambient_temp_k (293.15),
 * relative_humidity (0.7)}. The wind is the nearest station's at q's time.
 * Answer: {model, substance, source {lon, lat, tank}, inputs (with the
 * defaults used), weather, zones [{level red|orange|yellow, threshold,
 * unit, distance_m, polygon, occupants, occupants_basis, occupants_nominal,
 * buildings, enterprises, tanks (other tanks reached: dominoes), detectors
 * [{id, type, reading, alarm}], vehicles, people}], flags, assumptions,
 * reference}. -1 with err (a 400: the field at fault) on a bad request. */
int views_threat_zones(views *v, const json_t *req, const views_query *q, json_t **out, char *err,
                       size_t errcap);

#endif
