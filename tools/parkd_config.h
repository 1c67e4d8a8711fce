/*
 * parkd_config.h - parkd's configuration: the JSON file of `parkd --config
 * FILE` (README, "parkd configuration"), loaded, defaulted and checked.
 *
 * Every integer option has a range (below, and in the README); a value
 * outside it, or not an integer, is an error naming the option, never
 * cast or wrapped. Relative paths are relative to the config's directory.
 * The strings the struct hands on point into `root` (or into the struct):
 * they live until parkd_config_free.
 */
#ifndef PARKWATCH_PARKD_CONFIG_H
#define PARKWATCH_PARKD_CONFIG_H

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "api/api.h"
#include "geo/geo.h"
#include "health/health.h"
#include "historian/historian.h"
#include "ingest/ingest.h"
#include "people/people.h"
#include "views/views.h"

#define PARKD_MAX_ENTERPRISES 1024
#define PARKD_MAX_LAYOUT      16

/*
 * Ranges (inclusive), [default]:
 *   broker.port 1..65535 [1883]; broker.keepalive_s 5..65535 [30]
 *   ingest.sync_interval_ms 1..60000 [50]
 *   ingest.max_backlog_bytes 1..2^40 [256 MiB]
 *   ingest.max_payload_bytes 1..256 MiB [1 MiB]
 *   ingest.max_series_per_enterprise 1..10^7 [10000]
 *   ingest.dead_letters 1..100000 [100]
 *   ingest.max_future_ms 1..366 days [1 day]
 *   historian.retention_{raw,1m,1h}_days 0..36500 [0: kept for ever]
 *   enterprises[].max_series 0..10^7 [0: ingest.max_series_per_enterprise]
 *   enterprises[].interval_ms 0..86400000 [0: unknown]
 *   enterprises[].lp_precision ns|u|ms|s|m|h [ms] (line protocol over MQTT)
 *   alarms.hazard_margin_m 0..10000 [50]; alarms.derive true|false [true]
 *   alarms.rules[].on_delay_ms, off_delay_ms 0..86400000 [0]; priority 1..4 [2]
 *   health.learn_history_days 1..366 [365]; health.relearn_hours 1..8784 [24];
 *   health.learn_min_history_s 60..31622400 [172800]; health.drift_radius_m 1..10000 [150];
 *   health.drift_window_s 60..86400 [1800]; health.online_s 1..86400 [60]
 *   views.utc_offset_min -720..840 [480]; views.auto_incident_detectors 0..10000 [2];
 *   views.auto_incident_window_ms 1..86400000 [120000]
 *   api.threads 1..64 [2]; api.max_points 1..10^8 [100000];
 *   api.max_span_days 1..36500 [400]; api.max_body_bytes 1..1 GiB [1 MiB];
 *   api.max_streams 1..100000 [64]; api.max_streams_per_token 1..100000 [8];
 *   api.streams_reserved 0..100000 [8]; api.head_timeout_s 1..3600 [30]
 *   api.decompress_ratio 1..1000 [10]; api.max_decompressed_bytes 0..1 GiB
 *   [0: max_body_bytes x decompress_ratio] (gzip bodies of /write)
 */
typedef struct parkd_config {
    json_t *root; /* the parsed file; owns the strings below */
    const char *data_dir;
    const char *stats_file;     /* NULL: none */
    char backup_dir[PATH_MAX];  /* "" when not set */
    ingest_service_options svc; /* spool_dir, historian, alerts, log_level: parkd's */
    ingest_enterprise ents[PARKD_MAX_ENTERPRISES];
    size_t n_ents;
    hist_options hist;
    geo_options geo;
    char layout[PARKD_MAX_LAYOUT][PATH_MAX];
    size_t n_layout;
    char cafile[PATH_MAX], certfile[PATH_MAX], keyfile[PATH_MAX], password_file[PATH_MAX];
    char password[1024]; /* from broker.password_file */
    /* "alarms" */
    double hazard_margin_m;
    bool derive_rules;   /* "alarms.derive" [true] */
    const char *webhook; /* NULL: none */
    json_t *alarm_rules; /* "alarms.rules", checked here, read by parkd; may be NULL */
    /* "limits": overrides of the limits derived from the layout
     * (assets/assets.h), checked by assets_derive; may be NULL */
    json_t *limits;
    /* "units": {"series name" or "*suffix": "unit"}: a series' unit when
     * the layout's is not right; may be NULL */
    json_t *units;
    /* "health": instrument health's options, without the run-time pointers */
    health_options health;
    /* enterprises[].name and name_zh, for the API */
    api_enterprise ent_names[PARKD_MAX_ENTERPRISES];
    /* "views": the options without their run-time pointers */
    views_options views;
    /* "api": without an "api" object parkd serves no HTTP. token_file and
     * audit_log are NULL unless given (parkd puts them in the data dir);
     * the run-time pointers are parkd's. */
    bool has_api;
    api_options api;
    /* "people" (people/people.h: the park's directory, loaded and checked
     * here; owned, freed by parkd_config_free; NULL or empty when absent),
     * "notify" (checked whole by notify_open; NULL: no notification) and
     * "hazards": {"max_attachment_bytes": 1..1 GiB [10 MiB]} (the
     * hidden-hazard register) */
    people *people;
    json_t *notify;
    size_t hazard_max_attachment_bytes;
} parkd_config;

/* Loads and checks the config at path into *c (which the caller zeroed).
 * 0, or -1 with err filled (and c to be freed all the same). */
int parkd_config_load(const char *path, parkd_config *c, char *err, size_t errcap);

/* Releases what parkd_config_load took (the parsed JSON); c may be partly
 * loaded. */
void parkd_config_free(parkd_config *c);

#endif
