/*
 * monitor.c - the health monitor: its options, the table of instruments
 * built from the alarm engine's rules, and the stuck models learned from
 * each series' history (health.h; docs/reference/instrument-health.md).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/clock.h"
#include "health/internal.h"

void health_options_default(health_options *o) {
    memset(o, 0, sizeof *o);
    o->learn_history_ms = 365 * HM_DAY_MS; /* up to HM_LEARN_MAX_POINTS, the newest */
    o->relearn_every_ms = HM_DAY_MS;
    o->learn_min_history_ms = 2 * HM_DAY_MS;
    o->drift_radius_m = 150;
    o->drift_window_ms = 30 * HM_MINUTE_MS;
    o->stale_ms = 60000;
}

/* ---- names ---- */

void hm_quantity(const char *series_name, const geo_feature *f, char *out) {
    if (f && f->kind == GEO_GAS_DETECTOR) {
        snprintf(out, HM_QUANTITY_MAX, "gas");
        return;
    }
    const char *p = strrchr(series_name, '/');
    p = p ? p + 1 : series_name;
    char tag[HM_QUANTITY_MAX * 4];
    snprintf(tag, sizeof tag, "%s", p);
    size_t len = strlen(tag);
    if (len > 6 && strcmp(tag + len - 6, ".value") == 0) tag[len - 6] = '\0';
    const char *q = strrchr(tag, '.');
    q = q ? q + 1 : tag;
    static const struct {
        const char *spelling, *word;
    } fold[] = {{"lel", "gas"},          {"ppm", "gas"},        {"conc", "gas"},
                {"temp", "temperature"}, {"press", "pressure"}, {"pres", "pressure"},
                {"lvl", "level"},        {"rh", "humidity"},    {"ws", "wind_speed"},
                {"wd", "wind_dir"},      {"pm25", "PM2_5"},     {"pm2_5", "PM2_5"}};
    for (size_t i = 0; i < sizeof fold / sizeof fold[0]; i++)
        if (strcasecmp(q, fold[i].spelling) == 0) {
            snprintf(out, HM_QUANTITY_MAX, "%s", fold[i].word);
            return;
        }
    snprintf(out, HM_QUANTITY_MAX, "%.*s", HM_QUANTITY_MAX - 1, q);
}

int64_t hm_configured_interval(const health_monitor *m, const char *name) {
    size_t best = 0;
    int64_t iv = 0;
    for (size_t i = 0; i < m->o.n_intervals; i++) {
        const char *p = m->intervals[i].prefix;
        size_t len = strlen(p);
        if (len >= best && strncmp(name, p, len) == 0 && m->intervals[i].interval_ms > 0) {
            best = len;
            iv = m->intervals[i].interval_ms;
        }
    }
    return iv;
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int64_t hm_median_spacing(const hist_samples *s) {
    if (s->n < 2) return 0;
    int64_t *d = malloc((s->n - 1) * sizeof *d);
    if (!d) return 0;
    size_t k = 0;
    int64_t prev = INT64_MIN;
    for (size_t i = 0; i < s->n; i++) {
        if (hist_quality_bad(s->v[i].quality)) continue;
        if (prev != INT64_MIN && s->v[i].ts_ms > prev) d[k++] = s->v[i].ts_ms - prev;
        prev = s->v[i].ts_ms;
    }
    int64_t med = 0;
    if (k) {
        qsort(d, k, sizeof *d, cmp_i64);
        med = d[k / 2];
    }
    free(d);
    return med;
}

/* ---- the table ---- */

static void table_free(hm_series *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        free(s[i].name);
        free(s[i].enterprise);
        free(s[i].stuck);
        free((void *)s[i].nbr);
    }
    free(s);
}

long hm_find(const health_monitor *m, uint32_t id) {
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->s[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < m->n && m->s[lo].id == id ? (long)lo : -1;
}

typedef struct name_feature {
    const char *name;
    size_t feature;
} name_feature;

static int cmp_nf(const void *a, const void *b) {
    return strcmp(((const name_feature *)a)->name, ((const name_feature *)b)->name);
}

/* Every series name of the layout's features, sorted, to find a series'
 * feature. *out NULL with n 0 when there is no layout. */
static int layout_names(const geo_layout *g, name_feature **out, size_t *n) {
    *out = NULL, *n = 0;
    if (!g) return 0;
    size_t total = 0, nf = geo_count_all(g);
    for (size_t i = 0; i < nf; i++) total += geo_get(g, i)->n_series;
    if (!total) return 0;
    name_feature *v = malloc(total * sizeof *v);
    if (!v) return -1;
    size_t k = 0;
    for (size_t i = 0; i < nf; i++) {
        const geo_feature *f = geo_get(g, i);
        for (size_t j = 0; j < f->n_series; j++) v[k++] = (name_feature){f->series[j], i};
    }
    qsort(v, k, sizeof *v, cmp_nf);
    *out = v, *n = k;
    return 0;
}

static long feature_of(const name_feature *v, size_t n, const char *name) {
    if (!n) return -1;
    name_feature key = {name, 0};
    const name_feature *hit = bsearch(&key, v, n, sizeof *v, cmp_nf);
    return hit ? (long)hit->feature : -1;
}

/* The drift neighbours of s: series of features of the same kind within
 * the radius measuring the same quantity (detectors: the same gas). */
static int find_neighbours(health_monitor *m, hm_series *s) {
    const geo_layout *g = m->o.layout;
    if (!g || s->feature < 0) return 0;
    const geo_feature *self = geo_get(g, (size_t)s->feature);
    geo_hits hits = {0};
    if (geo_within_feature(g, (size_t)s->feature, m->o.drift_radius_m, self->kind, &hits) != 0)
        return -1;
    int rc = 0;
    for (size_t h = 0; h < hits.n && rc == 0; h++) {
        const geo_feature *f = geo_get(g, hits.index[h]);
        if (self->kind == GEO_GAS_DETECTOR && strcasecmp(f->gas, self->gas) != 0) continue;
        for (size_t j = 0; j < f->n_series && rc == 0; j++) {
            char q[HM_QUANTITY_MAX];
            hm_quantity(f->series[j], f, q);
            if (strcmp(q, s->quantity) != 0) continue;
            if (strcmp(f->series[j], s->name) == 0) continue;
            const char **nb = realloc(s->nbr, (s->n_nbr + 1) * sizeof *nb);
            if (!nb) {
                rc = -1;
                break;
            }
            s->nbr = nb;
            s->nbr[s->n_nbr++] = f->series[j];
        }
    }
    geo_hits_free(&hits);
    return rc;
}

typedef struct rule_ref {
    uint32_t series, rule;
} rule_ref;

static int cmp_ref(const void *a, const void *b) {
    const rule_ref *x = a, *y = b;
    if (x->series != y->series) return x->series < y->series ? -1 : 1;
    return (x->rule > y->rule) - (x->rule < y->rule);
}

int hm_refresh(health_monitor *m, char *err, size_t errcap) {
    size_t count = alert_rule_count(m->o.alarms);
    pthread_mutex_lock(&m->mu);
    bool same = count == m->n_rules;
    pthread_mutex_unlock(&m->mu);
    if (same) return 0;

    rule_ref *refs = malloc((count ? count : 1) * sizeof *refs);
    hm_rule *rules = malloc((count ? count : 1) * sizeof *rules);
    alert_rule *copies = malloc((count ? count : 1) * sizeof *copies);
    name_feature *names = NULL;
    size_t n_names = 0;
    hm_series *s = NULL;
    size_t n = 0;
    int rc = -1;
    if (!refs || !rules || !copies || layout_names(m->o.layout, &names, &n_names) != 0) {
        snprintf(err, errcap, "health: out of memory");
        goto out;
    }
    for (uint32_t i = 0; i < count; i++) {
        if (alert_rule_get(m->o.alarms, i, &copies[i]) != 0) {
            snprintf(err, errcap, "health: rule %u vanished", i);
            goto out;
        }
        refs[i] = (rule_ref){copies[i].series, i};
        rules[i] = (hm_rule){copies[i].series, copies[i].kind};
    }
    qsort(refs, count, sizeof *refs, cmp_ref);
    size_t n_distinct = 0;
    for (size_t i = 0; i < count; i++)
        if (i == 0 || refs[i].series != refs[i - 1].series) n_distinct++;
    s = calloc(n_distinct ? n_distinct : 1, sizeof *s);
    if (!s) {
        snprintf(err, errcap, "health: out of memory");
        goto out;
    }
    for (size_t i = 0; i < count; i++) {
        const alert_rule *r = &copies[refs[i].rule];
        if (i == 0 || refs[i].series != refs[i - 1].series) {
            hm_series *x = &s[n++];
            x->id = r->series;
            x->name = strdup(r->series_name ? r->series_name : "");
            x->enterprise = strdup(r->enterprise ? r->enterprise : "");
            if (!x->name || !x->enterprise) {
                snprintf(err, errcap, "health: out of memory");
                goto out;
            }
            x->feature = feature_of(names, n_names, x->name);
            hm_quantity(x->name, x->feature >= 0 ? geo_get(m->o.layout, (size_t)x->feature) : NULL,
                        x->quantity);
            x->interval_ms = hm_configured_interval(m, x->name);
            x->interval_configured = x->interval_ms > 0;
        }
        hm_series *x = &s[n - 1];
        if (r->kind == ALERT_STUCK) {
            uint32_t *st = realloc(x->stuck, (x->n_stuck + 1) * sizeof *st);
            if (!st) {
                snprintf(err, errcap, "health: out of memory");
                goto out;
            }
            x->stuck = st;
            x->stuck[x->n_stuck++] = refs[i].rule;
        } else if (r->kind == ALERT_DRIFT && !x->has_drift) {
            x->has_drift = true;
            x->drift = refs[i].rule;
        }
    }
    for (size_t i = 0; i < n; i++)
        if (s[i].has_drift && find_neighbours(m, &s[i]) != 0) {
            snprintf(err, errcap, "health: the neighbours of %s: out of memory or geo failed",
                     s[i].name);
            goto out;
        }

    pthread_mutex_lock(&m->mu);
    /* what the old table learned carries over */
    for (size_t i = 0; i < n; i++) {
        long o = hm_find(m, s[i].id);
        if (o < 0) continue;
        s[i].next_learn_ms = m->s[o].next_learn_ms;
        if (!s[i].interval_configured) s[i].interval_ms = m->s[o].interval_ms;
    }
    hm_series *old = m->s;
    size_t n_old = m->n;
    hm_rule *old_rules = m->rules;
    m->s = s, m->n = n;
    m->rules = rules, m->n_rules = count;
    if (m->learn_cursor >= n) m->learn_cursor = 0;
    pthread_mutex_unlock(&m->mu);
    table_free(old, n_old);
    free(old_rules);
    s = NULL, n = 0, rules = NULL;
    rc = 0;
out:
    table_free(s, n);
    free(rules);
    free(refs);
    free(copies);
    free(names);
    return rc;
}

/* ---- open, close ---- */

int health_open(const health_options *o, health_monitor **out, char *err, size_t errcap) {
    *out = NULL;
    if (!o || !o->historian || !o->alarms || (o->n_intervals && !o->intervals) ||
        o->learn_history_ms <= 0 || o->relearn_every_ms <= 0 || !(o->drift_radius_m > 0) ||
        o->drift_window_ms < HM_MINUTE_MS || o->stale_ms < 0) {
        snprintf(err, errcap,
                 "health: options not valid (historian, alarms, positive periods, "
                 "a drift window of a minute or more)");
        return -1;
    }
    health_monitor *m = calloc(1, sizeof *m);
    if (!m) {
        snprintf(err, errcap, "health: out of memory");
        return -1;
    }
    m->o = *o;
    if (o->n_intervals) {
        m->intervals = calloc(o->n_intervals, sizeof *m->intervals);
        if (!m->intervals) goto oom;
        for (size_t i = 0; i < o->n_intervals; i++) {
            m->intervals[i].interval_ms = o->intervals[i].interval_ms;
            m->intervals[i].prefix = strdup(o->intervals[i].prefix ? o->intervals[i].prefix : "");
            if (!m->intervals[i].prefix) goto oom;
        }
    }
    m->o.intervals = m->intervals;
    pthread_mutex_init(&m->mu, NULL);
    if (hm_refresh(m, err, errcap) != 0) {
        health_close(m);
        return -1;
    }
    *out = m;
    return 0;
oom:
    for (size_t i = 0; m->intervals && i < o->n_intervals; i++)
        free((char *)m->intervals[i].prefix);
    free(m->intervals);
    free(m);
    snprintf(err, errcap, "health: out of memory");
    return -1;
}

void health_close(health_monitor *m) {
    if (!m) return;
    table_free(m->s, m->n);
    free(m->rules);
    hm_days_free(m);
    for (size_t i = 0; i < m->o.n_intervals; i++) free((char *)m->intervals[i].prefix);
    free(m->intervals);
    pthread_mutex_destroy(&m->mu);
    free(m);
}

/* ---- stuck models ---- */

static void say_duration(double s, char *out, size_t cap) {
    if (s < 120)
        snprintf(out, cap, "%.0f s", s);
    else if (s < 3 * 3600)
        snprintf(out, cap, "%.0f min", s / 60);
    else
        snprintf(out, cap, "%.1f h", s / 3600);
}

/* Learns the stuck models of one series (its history read without the
 * lock) and updates its rules. *interval receives the median spacing seen
 * (0: none). 0, or -1 with err. */
static int learn_one(health_monitor *m, uint32_t id, const uint32_t *stuck, size_t n_stuck,
                     int64_t interval_ms, int64_t now_ms, int64_t *interval, bool *settled,
                     char *err, size_t errcap) {
    *interval = 0;
    *settled = false;
    /* A stuck alarm standing: its run is no history to learn from (the
     * model would learn the freeze as normal and clear it); later. */
    for (size_t i = 0; i < n_stuck; i++) {
        alert_status st;
        if (alert_get(m->o.alarms, stuck[i], &st) == 0 && st.active) return 0;
    }
    int64_t from = now_ms - m->o.learn_history_ms;
    /* with a known interval, read only what the cap can hold: the newest */
    if (interval_ms > 0 && now_ms - (int64_t)HM_LEARN_MAX_POINTS * interval_ms > from)
        from = now_ms - (int64_t)HM_LEARN_MAX_POINTS * interval_ms;
    if (from < 0) from = 0;
    hist_samples raw = {0};
    hist_error he;
    if (hist_query_raw(m->o.historian, id, from, now_ms, HM_LEARN_MAX_POINTS, &raw, &he) !=
        HIST_OK) {
        snprintf(err, errcap, "health: history of series %u: %s", id, he.msg);
        hist_samples_free(&raw);
        return -1;
    }
    /* more than the cap, interval not known: the spacing of what came
     * says where the newest cap's worth starts */
    int64_t spacing = raw.truncated && interval_ms <= 0 ? hm_median_spacing(&raw) : 0;
    if (spacing > 0 && now_ms - (int64_t)HM_LEARN_MAX_POINTS * spacing > from &&
        hist_query_raw(m->o.historian, id, now_ms - (int64_t)HM_LEARN_MAX_POINTS * spacing, now_ms,
                       HM_LEARN_MAX_POINTS, &raw, &he) != HIST_OK) {
        snprintf(err, errcap, "health: history of series %u: %s", id, he.msg);
        hist_samples_free(&raw);
        return -1;
    }
    int64_t *ts = malloc((raw.n ? raw.n : 1) * sizeof *ts);
    double *v = malloc((raw.n ? raw.n : 1) * sizeof *v);
    int rc = -1;
    if (!ts || !v) {
        snprintf(err, errcap, "health: out of memory");
        goto out;
    }
    size_t k = 0;
    for (size_t i = 0; i < raw.n; i++)
        if ((raw.v[i].quality & 0xC0) == HIST_QUALITY_GOOD && isfinite(raw.v[i].value))
            ts[k] = raw.v[i].ts_ms, v[k++] = raw.v[i].value;
    alert_stuck_model model;
    health_learn_info info;
    memset(&info, 0, sizeof info);
    if (health_learn_stuck_min(ts, v, k, m->o.learn_min_history_ms, &model, &info) != 0) {
        snprintf(err, errcap, "health: learning the stuck model of series %u failed", id);
        goto out;
    }
    *interval = info.interval_ms;
    char basis[160], span[32], flat[32];
    double covered_s = k > 1 ? (double)(ts[k - 1] - ts[0]) / 1000 : 0;
    if (covered_s >= 2 * 86400)
        snprintf(span, sizeof span, "%.0f days", covered_s / 86400);
    else
        say_duration(covered_s, span, sizeof span);
    if (!info.enough) {
        snprintf(basis, sizeof basis,
                 "learned from %s (%zu readings): too little history, "
                 "never raises",
                 span, info.points);
    } else {
        say_duration(info.longest_flat_s, flat, sizeof flat);
        snprintf(basis, sizeof basis, "learned from %s: flat runs at most %s", span, flat);
    }
    rc = 0;
    for (size_t i = 0; i < n_stuck && rc == 0; i++) {
        alert_rule r;
        if (alert_rule_get(m->o.alarms, stuck[i], &r) != 0) {
            snprintf(err, errcap, "health: stuck rule %u vanished", stuck[i]);
            rc = -1;
            break;
        }
        r.stuck = model;
        *settled = info.enough;
        r.basis = basis; /* origin unchanged */
        if (alert_rule_update(m->o.alarms, stuck[i], &r, err, errcap) != 0) rc = -1;
    }
out:
    free(ts);
    free(v);
    hist_samples_free(&raw);
    return rc;
}

/* Learns up to max_series due models (all of them with max_series 0),
 * within budget_ms of monotonic time (0: no budget). */
static int learn_due(health_monitor *m, int64_t now_ms, size_t max_series, int64_t budget_ms,
                     char *err, size_t errcap) {
    int64_t t0 = pw_mono_ms();
    int rc = 0;
    size_t done = 0;
    pthread_mutex_lock(&m->mu);
    size_t start = m->learn_cursor, n = m->n;
    pthread_mutex_unlock(&m->mu);
    for (size_t step = 0; step < n; step++) {
        if (max_series && done >= max_series) break;
        if (budget_ms && done && pw_mono_ms() - t0 >= budget_ms) break;
        uint32_t id, *stuck = NULL;
        size_t n_stuck = 0;
        int64_t iv = 0;
        bool due = false;
        pthread_mutex_lock(&m->mu);
        if (n != m->n) { /* the table changed under us: next call */
            pthread_mutex_unlock(&m->mu);
            break;
        }
        size_t i = (start + step) % n;
        hm_series *s = &m->s[i];
        m->learn_cursor = (i + 1) % n;
        id = s->id;
        if (s->n_stuck && (max_series == 0 || s->next_learn_ms <= now_ms)) {
            stuck = malloc(s->n_stuck * sizeof *stuck);
            if (stuck) {
                memcpy(stuck, s->stuck, s->n_stuck * sizeof *stuck);
                n_stuck = s->n_stuck;
                iv = s->interval_ms;
                due = true;
                s->next_learn_ms = now_ms + m->o.relearn_every_ms;
            }
        }
        pthread_mutex_unlock(&m->mu);
        if (!due) continue;
        int64_t learned = 0;
        bool settled = false;
        int one = learn_one(m, id, stuck, n_stuck, iv, now_ms, &learned, &settled, err, errcap);
        free(stuck);
        done++;
        pthread_mutex_lock(&m->mu);
        long x = hm_find(m, id);
        if (x >= 0) {
            /* failed: tried again in a minute; too little history yet, or its
             * alarm standing: after a tenth of the history it waits for (a
             * new park learns as its history comes, without rereading every
             * series each minute) */
            if (one != 0)
                m->s[x].next_learn_ms = now_ms + HM_MINUTE_MS;
            else if (!settled) /* a tenth of the history it waits for, 1 min .. 1 day */
                m->s[x].next_learn_ms =
                    now_ms + (m->o.learn_min_history_ms / 10 < HM_MINUTE_MS ? HM_MINUTE_MS
                              : m->o.learn_min_history_ms / 10 > HM_DAY_MS
                                  ? HM_DAY_MS
                                  : m->o.learn_min_history_ms / 10);
            else if (!m->s[x].interval_configured && learned > 0)
                m->s[x].interval_ms = learned;
        }
        pthread_mutex_unlock(&m->mu);
        if (one != 0) rc = -1;
    }
    return rc;
}

int health_tick(health_monitor *m, int64_t now_ms, char *err, size_t errcap) {
    char e2[256] = "";
    int rc = hm_refresh(m, err, errcap);
    if (rc != 0) return -1;
    if (learn_due(m, now_ms, HM_LEARN_PER_TICK, HM_LEARN_BUDGET_MS, err, errcap) != 0) rc = -1;
    pthread_mutex_lock(&m->mu);
    bool drift = now_ms >= m->next_drift_ms;
    if (drift) m->next_drift_ms = now_ms + HM_DRIFT_EVERY_MS;
    pthread_mutex_unlock(&m->mu);
    if (drift && hm_drift_round(m, now_ms, e2, sizeof e2) != 0) {
        if (rc == 0) snprintf(err, errcap, "%s", e2);
        rc = -1;
    }
    return rc;
}

int health_learn_all(health_monitor *m, int64_t now_ms, char *err, size_t errcap) {
    if (hm_refresh(m, err, errcap) != 0) return -1;
    pthread_mutex_lock(&m->mu);
    m->learn_cursor = 0;
    pthread_mutex_unlock(&m->mu);
    return learn_due(m, now_ms, 0, 0, err, errcap);
}
