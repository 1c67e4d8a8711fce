/*
 * internal.h - what the files of health/ share: the monitor's state and
 * the helpers of its three parts (monitor.c: the series table, options and
 * stuck learning; drift.c: drift judged against neighbours; figures.c: the
 * figures by day and now). Not installed; health.h is the public header.
 *
 * Threads: m->mu guards everything below it in struct health_monitor. The
 * series table is rebuilt (hm_refresh) outside the lock and swapped in
 * under it; readers copy what they need under the lock and do their
 * historian and journal reads without it.
 */
#ifndef PARKWATCH_HEALTH_INTERNAL_H
#define PARKWATCH_HEALTH_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "health/health.h"

#define HM_MINUTE_MS ((int64_t)60000)
#define HM_DAY_MS    ((int64_t)86400000)
/* Raw points read per series to learn a stuck model. */
#define HM_LEARN_MAX_POINTS 200000
/* Stuck models learned per health_tick, and the time one call may spend. */
#define HM_LEARN_PER_TICK  20
#define HM_LEARN_BUDGET_MS 20
/* Drift is judged this often. */
#define HM_DRIFT_EVERY_MS HM_MINUTE_MS
/* Past days' figures kept (enterprise x day). */
#define HM_DAY_CACHE_MAX 4096
#define HM_QUANTITY_MAX  32

/* One instrument: a series with at least one rule. */
typedef struct hm_series {
    uint32_t id; /* historian series id */
    char *name, *enterprise;
    uint32_t *stuck; /* its ALERT_STUCK rules */
    size_t n_stuck;
    bool has_drift;
    uint32_t drift; /* its ALERT_DRIFT rule */
    long feature;   /* layout feature whose series list names it, or -1 */
    char quantity[HM_QUANTITY_MAX];
    /* drift neighbours' series names (same kind, quantity, gas), pointing
     * into the layout: looked up in the historian at each judgement, so a
     * neighbour that starts reporting later is found */
    const char **nbr;
    size_t n_nbr;
    int64_t interval_ms; /* expected interval: configured, else learned; 0 not known yet */
    bool interval_configured;
    int64_t next_learn_ms; /* when its stuck models are due */
} hm_series;

/* Per rule id: which instrument it belongs to (index into the table) and
 * its kind. */
typedef struct hm_rule {
    uint32_t series; /* historian id */
    alert_kind kind;
} hm_rule;

typedef struct hm_day {
    char *enterprise; /* "" for the park */
    int64_t day_ms;
    health_figures f;
} hm_day;

struct health_monitor {
    health_options o;
    health_series_interval *intervals; /* copies, prefixes owned */
    pthread_mutex_t mu;
    /* ---- guarded by mu ---- */
    hm_series *s; /* sorted by id */
    size_t n;
    hm_rule *rules; /* by rule id */
    size_t n_rules;
    size_t learn_cursor;
    int64_t next_drift_ms;
    hm_day *days;
    size_t n_days, next_day_slot;
};

/* The quantity a series measures from its name: the part after the last
 * '/' and then the last '.', a trailing ".value" dropped, a few spellings
 * folded to assets' words ("lel", "ppm" -> "gas" ...); on a gas detector
 * always "gas". Into out (HM_QUANTITY_MAX). */
void hm_quantity(const char *series_name, const geo_feature *f, char *out);

/* Rebuilds the table from the engine's rules when their count changed
 * (rules are only ever added). Takes the lock to swap. 0, or -1 with err. */
int hm_refresh(health_monitor *m, char *err, size_t errcap);
/* Index of series id in the table, or -1. Caller holds mu. */
long hm_find(const health_monitor *m, uint32_t id);
/* The configured interval of a name (longest prefix), or 0. */
int64_t hm_configured_interval(const health_monitor *m, const char *name);
/* Median spacing of the good readings in samples, or 0 with fewer than 2. */
int64_t hm_median_spacing(const hist_samples *s);

/* drift.c: judges every drift rule at now_ms. 0, or -1 with err. */
int hm_drift_round(health_monitor *m, int64_t now_ms, char *err, size_t errcap);
/* The fixed part of the drift threshold for a rule of this unit on this
 * feature (may be NULL), around a median (docs: ## Drift). */
double hm_drift_threshold(const alert_rule *r, const geo_feature *f, double median);

/* figures.c: frees the day cache. Caller holds mu or owns m. */
void hm_days_free(health_monitor *m);

#endif
