/*
 * internal.h - what views.c and incidents.c share: the views object and
 * the helpers both use. Private to views/; views.h is the public header.
 */
#ifndef PARKWATCH_VIEWS_INTERNAL_H
#define PARKWATCH_VIEWS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "views/views.h"

#include "common/clock.h"
#include "common/errmsg.h"

#define HOUR_MS           ((int64_t)3600000)
#define DAY_MS            ((int64_t)86400000)
#define VIEWS_TIME_MAX_MS ((int64_t)1 << 53) /* the historian's bound on points */

typedef struct source {
    size_t index;
    size_t *tanks, n_tanks;
    size_t *dets, n_dets;
    size_t *lines, n_lines;                /* its pipelines (within 0 m) */
    double occupants_day, occupants_night; /* within the exposure radius, outside the plant */
} source;

typedef struct incident {
    char id[32];
    char tank_id[64], substance[64], opened_by[64], note[160], closed_by[64];
    double lon, lat, x, y, height_m, release_kg_s, hole_mm;
    int64_t start_ms, end_ms; /* end 0: open */
    bool proposed;            /* by the detectors, not yet by an operator */
    char enterprise[32];
} incident;

typedef struct raise {
    long asset; /* the guarded tank or pipeline */
    size_t detector;
    int64_t ts_ms;
} raise;

struct views {
    views_options o;
    char *incident_file;
    source *src;
    size_t n_src;
    long *guards;
    double x0, y0, x1, y1; /* the park's extent, metric */
    pthread_mutex_t mu;    /* incidents and raises */
    incident *inc;
    size_t n_inc, cap_inc;
    unsigned next_inc;
    raise raises[64];
    size_t n_raises;
    bool subscribed;
};

typedef struct series_alarms {
    uint32_t series;
    unsigned by_priority[4]; /* process-class alarms */
    bool fault, stale;
    bool instrument; /* another instrument-class alarm: stuck, out of range, drift, flapping */
} series_alarms;

/* q's time (0: now), within 0..VIEWS_TIME_MAX_MS */
int64_t vw_at(const views_query *q);
/* q's time, or now */
int64_t vw_when(const views_query *q);
/* whether the caller's scope sees this enterprise */
bool vw_sees(const views_query *q, const char *enterprise);
/* buildings are occupied by night from 19:00 to 07:00 local time */
bool vw_is_night(const views *v, int64_t t);
/* What lies in a zone (a ring of n lon, lat pairs; NULL: nothing): sets
 * zone's occupants (tracked people where the park tracks them, else the
 * buildings' occupancy by day or night), occupants_nominal and _basis,
 * buildings, enterprises, sensitive_targets, vehicles and people; visit
 * (may be NULL) sees every feature inside, for what the caller lists. */
void vw_zone_reach(views *v, const double *ll, size_t n, bool night,
                   void (*visit)(void *ctx, size_t index), void *ctx, json_t *zone);
/* A sensitive target (geo kind sensitive_target) as a threat or incident
 * zone lists it: {id, name, name_zh, target_type, population}. */
json_t *vw_target_json(const views *v, size_t index);
/* The wind at at_ms from the weather station nearest (lon, lat): true
 * when measured; else 1.5 m/s from the north (F-class weather's screening
 * wind), false. *station (may be NULL) gets the station's id or NULL. */
bool vw_wind(views *v, int64_t at_ms, double lon, double lat, double *speed_m_s, double *from_deg,
             const char **station);
/* a series of a feature whose name ends in suffix, or NULL */
const char *vw_series_ending(const geo_feature *f, const char *suffix);
/* values of n series at t (0: the last ones); unknown series not present.
 * (api.c's layer_values does the same for the API's layers.) */
int vw_values_at(views *v, int64_t at_ms, const char *const *names, size_t n, hist_value *out);
/* one good value at t, or NAN with *present false */
double vw_value_of(views *v, int64_t at_ms, const char *name, bool *present);
/* the annunciated alarms at t (0: now), folded by series and sorted */
int vw_alarms_by_series(views *v, int64_t at_ms, series_alarms **out, size_t *n_out);
const series_alarms *vw_alarms_of(views *v, const series_alarms *sa, size_t n, const char *name);

/* incidents.c */
int vw_load_incidents(views *v);
void vw_on_alarm(const alert_event *e, const alert_rule *r, void *ctx);

#endif
