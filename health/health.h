/*
 * health.h - instrument health: the stuck detector's model learned from
 * each series' own history, drift against neighbouring sensors, and the
 * figures regulators ask for (online rate, data completeness, the share of
 * instruments healthy), per enterprise and for the park, by day. The one
 * public header of health/.
 *
 * The alarms themselves are the alarm engine's (alerting.h, the instrument
 * class: ALERT_STALE, ALERT_FAULT, ALERT_STUCK, ALERT_RANGE, ALERT_DRIFT,
 * ALERT_FLAPPING). This module learns the stuck rules' models
 * (alert_rule_update), judges drift (alert_set_condition) and counts.
 *
 * Definitions (docs/reference/instrument-health.md):
 *   online       a series is online at a minute when it has a reading in
 *                that minute or in the stale period before it; the online
 *                rate of a day is online series-minutes over series-minutes
 *                (series that existed, from their first reading);
 *   completeness points received over points expected, per series and
 *                day, each series' expected count being the day's length
 *                over its interval (the configured one, else the median
 *                spacing learned from its history), received capped at
 *                expected;
 *   healthy      an instrument (a series with rules) is healthy over a day
 *                when no instrument-class alarm of it was active at any
 *                time of the day; now, when none is active.
 *
 * Ownership and threads: health_learn_stuck is pure. A monitor borrows the
 * historian, the alarm engine and the layout (they outlive it); one thread
 * calls health_tick, any thread may call the figure functions at the same
 * time (they take the monitor's lock; past days are cached).
 */
#ifndef PARKWATCH_HEALTH_H
#define PARKWATCH_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alerting/alerting.h"
#include "geo/geo.h"
#include "historian/historian.h"

/* ---- the stuck detector's model ---- */

typedef struct health_learn_info {
    size_t points;         /* readings looked at */
    int64_t interval_ms;   /* median spacing */
    double quantum;        /* the smallest change seen (the transmitter's resolution) */
    size_t flat_runs;      /* runs of "no change" of two readings or more */
    double longest_flat_s; /* the longest of them */
    bool enough;           /* false: too little history, the model never raises */
} health_learn_info;

/* Learns a series' flat-run model from its history (readings in time
 * order, good quality only). The model raises only for runs longer than
 * the series showed at that value level in its history (docs/reference/
 * instrument-health.md says how), so a value at which it normally rests (a
 * detector at 0 in clean air, a full tank at rest) never trips it. info
 * may be NULL. 0, or -1 for bad arguments. */
int health_learn_stuck(const int64_t *ts_ms, const double *values, size_t n, alert_stuck_model *out,
                       health_learn_info *info);
/* The same with another minimum of history (health_learn_stuck's is 2
 * days): less history gives a model sooner, learned from less (a park's
 * first hours; the demo). */
int health_learn_stuck_min(const int64_t *ts_ms, const double *values, size_t n,
                           int64_t min_history_ms, alert_stuck_model *out, health_learn_info *info);

/* ---- the monitor ---- */

typedef struct health_series_interval {
    const char *prefix; /* a series name prefix ("E001/"), longest match wins */
    int64_t interval_ms;
} health_series_interval;

typedef struct health_options {
    hist *historian;
    alert_engine *alarms;
    const geo_layout *layout; /* may be NULL: no drift groups */
    /* Expected intervals by name prefix (the config's enterprises'
     * interval_ms); series matching none use their learned median. */
    const health_series_interval *intervals;
    size_t n_intervals;
    int64_t learn_history_ms; /* history a stuck model learns from (its newest 200,000
                                 readings at most); default 365 days */
    int64_t relearn_every_ms; /* each model relearned this often; default 1 day */
    /* A model learns only from at least this much history (before, it
     * never raises, and is tried again every relearn_short_ms); default 2
     * days. */
    int64_t learn_min_history_ms;
    double drift_radius_m;   /* neighbours within; default 150 m */
    int64_t drift_window_ms; /* the means compared; default 30 min */
    int64_t stale_ms;        /* online: a reading within; default 60 s */
} health_options;

typedef struct health_monitor health_monitor;

void health_options_default(health_options *o);
int health_open(const health_options *o, health_monitor **out, char *err, size_t errcap);
void health_close(health_monitor *m);

/* Time passing (parkd's tick, about once a second): learns the stuck
 * models that are due (a bounded amount of work per call, so the first
 * learning of a large park is spread over its first minutes), and judges
 * drift once a minute. 0, or -1 with err (the work goes on next call). */
int health_tick(health_monitor *m, int64_t now_ms, char *err, size_t errcap);
/* Learns every stuck model now, whatever is due (tests, parkctl). */
int health_learn_all(health_monitor *m, int64_t now_ms, char *err, size_t errcap);

typedef struct health_figures {
    int64_t day_ms;     /* start of the day (UTC+8 midnight), or the time for "now" */
    size_t instruments; /* series counted */
    size_t online;      /* now: online; a day: series online for the whole day */
    size_t healthy;
    double online_rate;   /* 0..1 */
    double completeness;  /* 0..1 */
    double healthy_share; /* 0..1 */
    uint64_t points_received, points_expected;
    /* instrument alarms by kind, active now / raised during the day */
    unsigned by_kind[ALERT_KIND_COUNT];
} health_figures;

/* The figures of an enterprise (NULL or "" for the whole park) now, and for
 * the day starting at day_ms (a UTC+8 midnight; others are rounded down).
 * A day in the future or before any data has instruments 0. */
int health_now(health_monitor *m, const char *enterprise, int64_t now_ms, health_figures *out,
               char *err, size_t errcap);
int health_day(health_monitor *m, const char *enterprise, int64_t day_ms, int64_t now_ms,
               health_figures *out, char *err, size_t errcap);
/* UTC+8 midnight at or before t. */
int64_t health_day_start(int64_t t_ms);

#endif
