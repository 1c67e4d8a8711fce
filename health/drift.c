/*
 * drift.c - drift judged against neighbouring sensors: a series' mean over
 * the drift window against the median of its neighbours' means
 * (docs/reference/instrument-health.md, "Drift"). The verdict goes to the
 * series' ALERT_DRIFT rule through alert_set_condition; the rule's
 * on-delay makes it hold before it raises.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "health/internal.h"

/* A MAD of the neighbours scaled to a standard deviation (normal data),
 * and how many of those the reading may be away. */
#define MAD_TO_SIGMA 1.4826
#define DRIFT_K      3.0
/* %LEL: combustible detectors within a few %LEL of each other. */
#define DRIFT_LEL 5.0
/* ppm: a fifth of the detector's first alarm level. */
#define DRIFT_PPM_OF_ALARM1 0.2
/* Otherwise 10 % of the median's magnitude plus a floor in the unit. */
#define DRIFT_REL 0.10

typedef struct unit_floor {
    const char *unit;
    double floor;
} unit_floor;

static const unit_floor floors[] = {
    {"m", 0.05},   {"mm", 50},     {"%", 5},       {"°C", 1.0},   {"C", 1.0},
    {"MPa", 0.01}, {"kPa", 10},    {"bar", 0.1},   {"m3/h", 1.0}, {"m³/h", 1.0},
    {"t/h", 1.0},  {"m/s", 1.0},   {"%RH", 5},     {"hPa", 2},    {"µg/m³", 10},
    {"ug/m3", 10}, {"mg/m³", 0.5}, {"mg/m3", 0.5}, {"ppm", 5},    {"%LEL", DRIFT_LEL},
};
#define DEFAULT_FLOOR 1.0

double hm_drift_threshold(const alert_rule *r, const geo_feature *f, double median) {
    if (r->limit > 0) return r->limit; /* set on the rule: it wins */
    const char *unit = r->unit ? r->unit : "";
    if (strcasecmp(unit, "%LEL") == 0) return DRIFT_LEL;
    if (strcasecmp(unit, "ppm") == 0 && f && f->alarm1 > 0) return DRIFT_PPM_OF_ALARM1 * f->alarm1;
    double floor_ = DEFAULT_FLOOR;
    for (size_t i = 0; i < sizeof floors / sizeof floors[0]; i++)
        if (strcmp(unit, floors[i].unit) == 0) {
            floor_ = floors[i].floor;
            break;
        }
    return DRIFT_REL * fabs(median) + floor_;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median_of(double *v, size_t n) {
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* One drift rule's work, copied out of the table. */
typedef struct drift_job {
    uint32_t rule, series;
    long feature;
    const char **nbr; /* the layout's strings */
    size_t n_nbr;
} drift_job;

/* Means of the window, computed once per series per round. */
typedef struct mean_cache {
    uint32_t *id;
    double *mean; /* NaN: no data */
    size_t n, cap;
} mean_cache;

static int window_mean(health_monitor *m, mean_cache *c, hist_buckets *b, uint32_t id,
                       int64_t now_ms, double *out) {
    for (size_t i = 0; i < c->n; i++)
        if (c->id[i] == id) {
            *out = c->mean[i];
            return 0;
        }
    double mean = NAN;
    hist_error he;
    /* the window in buckets of its own length: at most two, summed */
    hist_status st = hist_query_agg(m->o.historian, id, now_ms - m->o.drift_window_ms, now_ms,
                                    m->o.drift_window_ms, 4, b, &he);
    if (st == HIST_OK) {
        double sum = 0;
        uint64_t count = 0;
        for (size_t i = 0; i < b->n; i++) sum += b->v[i].sum, count += b->v[i].count;
        if (count) mean = sum / (double)count;
    } else if (st != HIST_EINVAL) {
        return -1;
    }
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        uint32_t *ids = realloc(c->id, cap * sizeof *ids);
        if (!ids) return -1;
        c->id = ids;
        double *means = realloc(c->mean, cap * sizeof *means);
        if (!means) return -1;
        c->mean = means;
        c->cap = cap;
    }
    c->id[c->n] = id, c->mean[c->n++] = mean;
    *out = mean;
    return 0;
}

int hm_drift_round(health_monitor *m, int64_t now_ms, char *err, size_t errcap) {
    drift_job *jobs = NULL;
    size_t n_jobs = 0;
    int rc = 0;
    if (errcap) err[0] = '\0';
    pthread_mutex_lock(&m->mu);
    for (size_t i = 0; i < m->n; i++)
        if (m->s[i].has_drift) n_jobs++;
    if (n_jobs) jobs = calloc(n_jobs, sizeof *jobs);
    size_t k = 0;
    for (size_t i = 0; jobs && i < m->n; i++) {
        const hm_series *s = &m->s[i];
        if (!s->has_drift) continue;
        drift_job *j = &jobs[k++];
        j->rule = s->drift, j->series = s->id, j->feature = s->feature;
        if (s->n_nbr && (j->nbr = malloc(s->n_nbr * sizeof *j->nbr)) != NULL) {
            memcpy(j->nbr, s->nbr, s->n_nbr * sizeof *j->nbr);
            j->n_nbr = s->n_nbr;
        }
    }
    pthread_mutex_unlock(&m->mu);
    if (n_jobs && !jobs) {
        snprintf(err, errcap, "health: out of memory");
        return -1;
    }
    mean_cache cache = {0};
    hist_buckets b = {0};
    double *means = NULL;
    size_t cap_means = 0;
    for (size_t i = 0; i < n_jobs && rc == 0; i++) {
        drift_job *j = &jobs[i];
        if (j->n_nbr < 2) continue; /* never judged */
        if (j->n_nbr > cap_means) {
            double *nm = realloc(means, j->n_nbr * sizeof *nm);
            if (!nm) {
                rc = -1;
                break;
            }
            means = nm, cap_means = j->n_nbr;
        }
        double mine;
        size_t have = 0;
        if (window_mean(m, &cache, &b, j->series, now_ms, &mine) != 0) {
            rc = -1;
            break;
        }
        for (size_t q = 0; q < j->n_nbr && rc == 0; q++) {
            double x;
            uint32_t nid;
            if (hist_series_lookup(m->o.historian, j->nbr[q], &nid, NULL) != HIST_OK ||
                nid == j->series)
                continue; /* not reporting (yet) */
            if (window_mean(m, &cache, &b, nid, now_ms, &x) != 0)
                rc = -1;
            else if (!isnan(x))
                means[have++] = x;
        }
        if (rc != 0 || isnan(mine) || have < 2) continue;
        double med = median_of(means, have);
        for (size_t q = 0; q < have; q++) means[q] = fabs(means[q] - med);
        double mad = median_of(means, have);
        alert_rule r;
        if (alert_rule_get(m->o.alarms, j->rule, &r) != 0) continue;
        const geo_feature *f =
            m->o.layout && j->feature >= 0 ? geo_get(m->o.layout, (size_t)j->feature) : NULL;
        double limit = fmax(hm_drift_threshold(&r, f, med), DRIFT_K * MAD_TO_SIGMA * mad);
        bool drifting = fabs(mine - med) > limit;
        /* At or above its first alarm level a detector reads the process
         * (a leak its neighbours are not in), not its own drift: no
         * verdict, its gas alarms speak. */
        if (f && f->alarm1 > 0 && mine >= f->alarm1) continue;
        if (alert_set_condition(m->o.alarms, j->rule, drifting, now_ms, mine - med) < 0) {
            snprintf(err, errcap, "health: drift rule %u: the alarm engine refused", j->rule);
            rc = -1;
        }
    }
    if (rc != 0 && !err[0]) snprintf(err, errcap, "health: drift: out of memory or historian");
    for (size_t i = 0; i < n_jobs; i++) free((void *)jobs[i].nbr);
    free(jobs);
    free(means);
    free(cache.id);
    free(cache.mean);
    hist_buckets_free(&b);
    return rc;
}
