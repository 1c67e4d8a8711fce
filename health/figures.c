/*
 * figures.c - the figures regulators ask for: online rate, data
 * completeness and the share of instruments healthy, per enterprise and
 * for the park, for a day (UTC+8) and now (health.h;
 * docs/reference/instrument-health.md). Past days are cached.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "health/internal.h"

#define UTC8_MS ((int64_t)8 * 3600000)
/* "now": completeness over the last hour. */
#define NOW_WINDOW_MS ((int64_t)3600000)
/* A past day is cached once it has been over this long (late readings, an
 * alarm's on-delay ending just after midnight dated before it). */
#define CACHE_GRACE_MS ((int64_t)3600000)
/* Readings a learned interval is taken from (figures side). */
#define SPACING_POINTS  2001
#define SPACING_SPAN_MS (7 * HM_DAY_MS)

int64_t health_day_start(int64_t t_ms) {
    int64_t x = t_ms + UTC8_MS;
    int64_t d = x / HM_DAY_MS;
    if (x % HM_DAY_MS < 0) d--;
    return d * HM_DAY_MS - UTC8_MS;
}

void hm_days_free(health_monitor *m) {
    for (size_t i = 0; i < m->n_days; i++) free(m->days[i].enterprise);
    free(m->days);
    m->days = NULL;
    m->n_days = m->next_day_slot = 0;
}

/* ---- the instruments counted, copied out under the lock ---- */

typedef struct sel_series {
    uint32_t id;
    int64_t interval_ms; /* 0: not known yet */
    bool learned_now;    /* interval learned by this call: stored back */
    bool counted;        /* existed in the window */
    bool unhealthy;
} sel_series;

typedef struct selection {
    sel_series *v;
    size_t n;
    int32_t *of_rule; /* rule id -> index into v of its series (instrument-class rules), or -1 */
    alert_kind *kind; /* rule id -> kind */
    size_t n_rules;
} selection;

static void selection_free(selection *s) {
    free(s->v);
    free(s->of_rule);
    free(s->kind);
    memset(s, 0, sizeof *s);
}

static int sel_find(const selection *s, uint32_t id) {
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->v[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < s->n && s->v[lo].id == id ? (int)lo : -1;
}

static bool is_park(const char *enterprise) {
    return !enterprise || !enterprise[0];
}

static int select_series(health_monitor *m, const char *enterprise, selection *out) {
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&m->mu);
    size_t n = 0;
    for (size_t i = 0; i < m->n; i++)
        if (is_park(enterprise) || strcmp(m->s[i].enterprise, enterprise) == 0) n++;
    out->v = calloc(n ? n : 1, sizeof *out->v);
    out->of_rule = malloc((m->n_rules ? m->n_rules : 1) * sizeof *out->of_rule);
    out->kind = malloc((m->n_rules ? m->n_rules : 1) * sizeof *out->kind);
    int rc = out->v && out->of_rule && out->kind ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < m->n; i++)
        if (is_park(enterprise) || strcmp(m->s[i].enterprise, enterprise) == 0)
            out->v[out->n++] = (sel_series){.id = m->s[i].id, .interval_ms = m->s[i].interval_ms};
    out->n_rules = rc == 0 ? m->n_rules : 0;
    for (size_t r = 0; r < out->n_rules; r++) {
        out->kind[r] = m->rules[r].kind;
        out->of_rule[r] = alert_kind_class(m->rules[r].kind) == ALERT_CLASS_INSTRUMENT
                              ? sel_find(out, m->rules[r].series)
                              : -1;
    }
    pthread_mutex_unlock(&m->mu);
    if (rc != 0) selection_free(out);
    return rc;
}

/* Intervals learned by this call go back into the table (a cache). */
static void store_intervals(health_monitor *m, const selection *s) {
    pthread_mutex_lock(&m->mu);
    for (size_t i = 0; i < s->n; i++) {
        if (!s->v[i].learned_now) continue;
        long x = hm_find(m, s->v[i].id);
        if (x >= 0 && !m->s[x].interval_configured && m->s[x].interval_ms == 0)
            m->s[x].interval_ms = s->v[i].interval_ms;
    }
    pthread_mutex_unlock(&m->mu);
}

/* The median spacing of a series' readings before to_ms. */
static hist_status learn_interval(health_monitor *m, sel_series *s, int64_t to_ms,
                                  hist_samples *raw, hist_error *he) {
    int64_t from = to_ms - SPACING_SPAN_MS;
    hist_status st =
        hist_query_raw(m->o.historian, s->id, from > 0 ? from : 0, to_ms, SPACING_POINTS, raw, he);
    if (st != HIST_OK) return st;
    s->interval_ms = hm_median_spacing(raw);
    s->learned_now = s->interval_ms > 0;
    return HIST_OK;
}

/* ---- online and completeness over [from, to) ---- */

/* Online series-minutes and completeness of the selection over [from,
 * to), whole minutes from `from`. Fills instruments, online (series online
 * every minute they existed), online_rate, points and completeness. */
static int window_figures(health_monitor *m, selection *sel, int64_t from, int64_t to,
                          health_figures *f, char *err, size_t errcap) {
    int64_t minutes = (to - from) / HM_MINUTE_MS;
    int64_t k_before = m->o.stale_ms / HM_MINUTE_MS; /* earlier minutes whose reading counts */
    hist_value *before = calloc(sel->n ? sel->n : 1, sizeof *before);
    uint32_t *ids = malloc((sel->n ? sel->n : 1) * sizeof *ids);
    hist_buckets b = {0};
    hist_samples raw = {0};
    hist_error he;
    int rc = -1;
    uint64_t online_min = 0, total_min = 0;
    if (!before || !ids) {
        snprintf(err, errcap, "health: out of memory");
        goto out;
    }
    for (size_t i = 0; i < sel->n; i++) ids[i] = sel->v[i].id;
    if (from > 0 && sel->n &&
        hist_snapshot(m->o.historian, from - 1, ids, sel->n, before, &he) != HIST_OK) {
        snprintf(err, errcap, "health: %s", he.msg);
        goto out;
    }
    for (size_t i = 0; i < sel->n; i++) {
        sel_series *s = &sel->v[i];
        if (hist_query_agg(m->o.historian, s->id, from, to, HM_MINUTE_MS, 0, &b, &he) != HIST_OK) {
            snprintf(err, errcap, "health: %s", he.msg);
            goto out;
        }
        bool existed = before[i].present;
        if (!existed && b.n == 0) continue; /* not yet (or no good reading): not counted */
        s->counted = true;
        f->instruments++;
        int64_t start_min = existed ? 0 : (b.v[0].ts_ms - from) / HM_MINUTE_MS;
        /* online minutes: a reading in the minute or in the K before it;
         * before the window, the exact time of the last reading */
        int64_t last_min = INT64_MIN / 2; /* minute index of the latest reading seen */
        size_t bi = 0;
        uint64_t on = 0, mins = 0, received = 0;
        for (size_t q = 0; q < b.n; q++) received += b.v[q].count;
        for (int64_t mi = start_min; mi < minutes; mi++) {
            while (bi < b.n && (b.v[bi].ts_ms - from) / HM_MINUTE_MS <= mi) {
                if (b.v[bi].count) last_min = (b.v[bi].ts_ms - from) / HM_MINUTE_MS;
                bi++;
            }
            int64_t t_m = from + mi * HM_MINUTE_MS;
            bool online =
                mi - last_min <= k_before || (existed && before[i].ts_ms >= t_m - m->o.stale_ms);
            mins++;
            on += online;
        }
        online_min += on, total_min += mins;
        if (mins && on == mins) f->online++;
        /* completeness: the span it existed over its interval */
        if (s->interval_ms <= 0 && learn_interval(m, s, to, &raw, &he) != HIST_OK) {
            snprintf(err, errcap, "health: %s", he.msg);
            goto out;
        }
        if (s->interval_ms > 0) {
            int64_t start = existed ? from : b.v[0].ts_ms - (b.v[0].ts_ms - from) % HM_MINUTE_MS;
            uint64_t expected = (uint64_t)((to - start + s->interval_ms - 1) / s->interval_ms);
            f->points_expected += expected;
            f->points_received += received < expected ? received : expected;
        }
    }
    f->online_rate = total_min ? (double)online_min / (double)total_min : 0;
    f->completeness =
        f->points_expected ? (double)f->points_received / (double)f->points_expected : 0;
    rc = 0;
out:
    free(before);
    free(ids);
    hist_buckets_free(&b);
    hist_samples_free(&raw);
    return rc;
}

/* ---- healthy ---- */

static int day_health(health_monitor *m, selection *sel, int64_t from, int64_t to,
                      health_figures *f, char *err, size_t errcap) {
    alert_status *st = NULL;
    alert_event *ev = NULL;
    size_t n_st = 0, n_ev = 0;
    if (alert_active_at(m->o.alarms, from, &st, &n_st) != 0 ||
        alert_journal_range(m->o.alarms, from, to, &ev, &n_ev) != 0) {
        free(st);
        snprintf(err, errcap, "health: the alarm journal could not be read");
        return -1;
    }
    for (size_t i = 0; i < n_st; i++) {
        uint32_t r = st[i].rule;
        if (st[i].active && r < sel->n_rules && sel->of_rule[r] >= 0)
            sel->v[sel->of_rule[r]].unhealthy = true;
    }
    for (size_t i = 0; i < n_ev; i++) {
        uint32_t r = ev[i].rule;
        if (!ev[i].active || r >= sel->n_rules || sel->of_rule[r] < 0) continue;
        sel->v[sel->of_rule[r]].unhealthy = true;
        if (ev[i].action == ALERT_ACT_CONDITION) f->by_kind[sel->kind[r]]++; /* a raise */
    }
    free(st);
    free(ev);
    for (size_t i = 0; i < sel->n; i++)
        if (sel->v[i].counted && !sel->v[i].unhealthy) f->healthy++;
    f->healthy_share = f->instruments ? (double)f->healthy / (double)f->instruments : 0;
    return 0;
}

/* ---- the day cache ---- */

static bool cached(health_monitor *m, const char *ent, int64_t day, health_figures *out) {
    bool hit = false;
    pthread_mutex_lock(&m->mu);
    for (size_t i = 0; i < m->n_days && !hit; i++)
        if (m->days[i].day_ms == day && strcmp(m->days[i].enterprise, ent) == 0) {
            *out = m->days[i].f;
            hit = true;
        }
    pthread_mutex_unlock(&m->mu);
    return hit;
}

static void remember(health_monitor *m, const char *ent, int64_t day, const health_figures *f) {
    char *copy = strdup(ent);
    if (!copy) return; /* a cache: not remembering is fine */
    pthread_mutex_lock(&m->mu);
    if (!m->days) m->days = calloc(HM_DAY_CACHE_MAX, sizeof *m->days);
    if (m->days) {
        size_t slot = m->n_days < HM_DAY_CACHE_MAX ? m->n_days++ : m->next_day_slot;
        if (m->n_days == HM_DAY_CACHE_MAX) /* full: the oldest entry goes */
            m->next_day_slot = (slot + 1) % HM_DAY_CACHE_MAX;
        free(m->days[slot].enterprise);
        m->days[slot] = (hm_day){copy, day, *f};
        copy = NULL;
    }
    pthread_mutex_unlock(&m->mu);
    free(copy);
}

/* ---- the figures ---- */

int health_day(health_monitor *m, const char *enterprise, int64_t day_ms, int64_t now_ms,
               health_figures *out, char *err, size_t errcap) {
    const char *ent = is_park(enterprise) ? "" : enterprise;
    int64_t day = health_day_start(day_ms);
    memset(out, 0, sizeof *out);
    out->day_ms = day;
    if (day >= now_ms) return 0; /* the future */
    bool over = day + HM_DAY_MS <= now_ms;
    if (day + HM_DAY_MS + CACHE_GRACE_MS <= now_ms && cached(m, ent, day, out)) return 0;
    if (hm_refresh(m, err, errcap) != 0) return -1;
    selection sel;
    if (select_series(m, ent, &sel) != 0) {
        snprintf(err, errcap, "health: out of memory");
        return -1;
    }
    int64_t to = over ? day + HM_DAY_MS : now_ms;
    int rc = window_figures(m, &sel, day, to, out, err, errcap);
    if (rc == 0) rc = day_health(m, &sel, day, to, out, err, errcap);
    store_intervals(m, &sel);
    selection_free(&sel);
    if (rc == 0 && day + HM_DAY_MS + CACHE_GRACE_MS <= now_ms) remember(m, ent, day, out);
    return rc;
}

int health_now(health_monitor *m, const char *enterprise, int64_t now_ms, health_figures *out,
               char *err, size_t errcap) {
    const char *ent = is_park(enterprise) ? "" : enterprise;
    memset(out, 0, sizeof *out);
    out->day_ms = now_ms;
    if (hm_refresh(m, err, errcap) != 0) return -1;
    selection sel;
    if (select_series(m, ent, &sel) != 0) {
        snprintf(err, errcap, "health: out of memory");
        return -1;
    }
    hist_value *last = calloc(sel.n ? sel.n : 1, sizeof *last);
    uint32_t *ids = malloc((sel.n ? sel.n : 1) * sizeof *ids);
    alert_status *st = NULL;
    size_t n_st = 0;
    hist_error he;
    int rc = -1;
    if (!last || !ids) {
        snprintf(err, errcap, "health: out of memory");
        goto out;
    }
    for (size_t i = 0; i < sel.n; i++) ids[i] = sel.v[i].id;
    if (sel.n && hist_last(m->o.historian, ids, sel.n, last, &he) != HIST_OK) {
        snprintf(err, errcap, "health: %s", he.msg);
        goto out;
    }
    if (alert_list_active(m->o.alarms, &st, &n_st) != 0) {
        snprintf(err, errcap, "health: the alarm engine could not list its alarms");
        goto out;
    }
    /* completeness over the last hour (instruments and online come below) */
    health_figures w;
    memset(&w, 0, sizeof w);
    if (window_figures(m, &sel, now_ms - NOW_WINDOW_MS, now_ms, &w, err, errcap) != 0) goto out;
    out->points_expected = w.points_expected;
    out->points_received = w.points_received;
    out->completeness = w.completeness;
    for (size_t i = 0; i < n_st; i++) {
        uint32_t r = st[i].rule;
        if (!st[i].active || r >= sel.n_rules || sel.of_rule[r] < 0) continue;
        sel.v[sel.of_rule[r]].unhealthy = true;
        out->by_kind[sel.kind[r]]++;
    }
    out->instruments = sel.n;
    for (size_t i = 0; i < sel.n; i++) {
        if (last[i].present && last[i].ts_ms >= now_ms - m->o.stale_ms) out->online++;
        if (!sel.v[i].unhealthy) out->healthy++;
    }
    out->online_rate = sel.n ? (double)out->online / (double)sel.n : 0;
    out->healthy_share = sel.n ? (double)out->healthy / (double)sel.n : 0;
    rc = 0;
out:
    store_intervals(m, &sel);
    selection_free(&sel);
    free(last);
    free(ids);
    free(st);
    return rc;
}
