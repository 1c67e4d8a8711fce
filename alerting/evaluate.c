/*
 * evaluate.c - the rules judged: readings as they arrive (alert_points),
 * time passing (alert_tick), conditions judged outside the engine
 * (alert_set_condition), and the state machine they all go through (the
 * deadband, the on/off delays, raise and clear). The model is in
 * alerting.h; the structures in internal.h.
 *
 * alert_points is the ingest hot path (about 200,000 points/s against
 * some 20,000 rules): a reading looks only at its series' rules, and
 * nothing here allocates.
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "alerting/alerting.h"
#include "alerting/internal.h"

/* ALERT_IMBALANCE: its deadband is the floor of the denominator, so the
 * hysteresis is fixed instead: an active imbalance clears at or below 90 %
 * of the limit. */
#define IMBALANCE_HYSTERESIS 0.1

/* The condition (after its delay) changes: raise or clear. */
static int set_condition(alert_engine *e, uint32_t id, bool active, int64_t ts, double value) {
    rule_state *r = &e->rules[id];
    if (r->active == active) return 0;
    alert_state from = r->state;
    alerting_set_active(e, r, active);
    r->value = value;
    r->since_ms = ts;
    if (active)
        r->state = from == ALERT_ACKED ? ALERT_ACKED : ALERT_UNACK;
    else
        r->state = from == ALERT_ACKED ? ALERT_NORMAL : ALERT_RTN_UNACK;
    if (!active && from == ALERT_NORMAL) r->state = ALERT_NORMAL;
    return alerting_transition(e, id, ALERT_ACT_CONDITION, from, ts, NULL, NULL) == 0 ? 1 : -1;
}

/* What the quantity asks for, with the deadband around the limit. */
static bool wanted(const rule_state *r, double x) {
    double lim = r->r.limit, db = r->r.deadband;
    switch (r->r.kind) {
        case ALERT_HIGH:
        case ALERT_HIGH_HIGH:
        case ALERT_RATE:
        case ALERT_DEVIATION:
            return r->active ? x > lim - db : x > lim;
        case ALERT_IMBALANCE:
            db = lim * IMBALANCE_HYSTERESIS;
            return r->active ? x > lim - db : x > lim;
        case ALERT_LOW:
        case ALERT_LOW_LOW:
            return r->active ? x < lim + db : x < lim;
        case ALERT_RANGE:
            return r->active ? x < r->r.limit_low + db || x > lim - db
                             : x < r->r.limit_low || x > lim;
        default:
            return false;
    }
}

/* Feeds a wanted condition through the on/off delays at time ts. */
void alerting_hot_update(alert_engine *e, const rule_state *r, bool was_hot) {
    bool hot = r->active || r->pending;
    if (hot == was_hot || r->r.series >= e->n_series) return;
    series_rules *sr = &e->by_series[r->r.series];
    if (hot)
        sr->n_hot++;
    else if (sr->n_hot)
        sr->n_hot--;
}

void alerting_series_refresh(alert_engine *e, uint32_t series) {
    if (series >= e->n_series) return;
    series_rules *sr = &e->by_series[series];
    sr->simple = true;
    sr->quiet_lo = -INFINITY, sr->quiet_hi = INFINITY;
    sr->stale_id = sr->stuck_id = 0;
    for (size_t k = 0; k < sr->n; k++) {
        const rule_state *r = &e->rules[sr->ids[k]];
        if (r->r.series != series || r->r.window_ms > 0) { /* a pair's other side, a mean */
            sr->simple = false;
            continue;
        }
        switch (r->r.kind) {
            case ALERT_HIGH:
            case ALERT_HIGH_HIGH:
                sr->quiet_hi = fmin(sr->quiet_hi, r->r.limit);
                break;
            case ALERT_LOW:
            case ALERT_LOW_LOW:
                sr->quiet_lo = fmax(sr->quiet_lo, r->r.limit);
                break;
            case ALERT_RANGE:
                sr->quiet_lo = fmax(sr->quiet_lo, r->r.limit_low);
                sr->quiet_hi = fmin(sr->quiet_hi, r->r.limit);
                break;
            case ALERT_STALE:
                if (sr->stale_id) sr->simple = false;
                sr->stale_id = sr->ids[k] + 1;
                break;
            case ALERT_STUCK:
                if (sr->stuck_id) sr->simple = false;
                sr->stuck_id = sr->ids[k] + 1;
                sr->stuck_band = r->r.stuck.band;
                sr->stuck_gap_s = r->r.stuck.interval_s > 0 ? 3 * r->r.stuck.interval_s : 0;
                break;
            default: /* rate, deviation, imbalance, flapping: every reading counts */
                sr->simple = false;
        }
    }
}

static int drive_(alert_engine *e, uint32_t id, bool want, int64_t ts, double value) {
    rule_state *r = &e->rules[id];
    if (want == r->active) {
        r->pending = false;
        if (r->active) r->value = value;
        return 0;
    }
    if (!r->pending || r->want != want) {
        r->pending = true;
        r->want = want;
        r->pending_since = ts;
        r->pending_value = value;
        alerting_tick_watch(e, id); /* the delay may run out with no reading */
    }
    int64_t delay = want ? r->r.on_delay_ms : r->r.off_delay_ms;
    if (ts - r->pending_since < delay) return 0;
    r->pending = false;
    return set_condition(e, id, want, delay ? r->pending_since + delay : ts, value);
}

/* Feeds a wanted condition through the on/off delays; keeps n_hot. */
static int drive(alert_engine *e, uint32_t id, bool want, int64_t ts, double value) {
    rule_state *r = &e->rules[id];
    bool was_hot = r->active || r->pending;
    int rc = drive_(e, id, want, ts, value);
    alerting_hot_update(e, r, was_hot);
    return rc;
}

/* ---- means of windows ---- */

static int64_t floor_div(int64_t a, int64_t b) {
    int64_t q = a / b;
    return a % b != 0 && (a < 0) != (b < 0) ? q - 1 : q;
}

static int64_t window_end(const rule_state *r) {
    return (r->win_k + 1) * r->r.window_ms + r->r.window_offset_ms;
}

/* Judges the mean of the window summed so far (it has readings) at its end. */
static int judge_window(alert_engine *e, uint32_t id) {
    rule_state *r = &e->rules[id];
    double mean = r->win_sum / r->win_n;
    r->win_n = 0, r->win_sum = 0;
    return drive(e, id, wanted(r, mean), window_end(r), mean);
}

/* Times this far out are a device's nonsense, not a window to sum into
 * (and would overflow the window arithmetic). */
#define WINDOW_TS_MAX (INT64_MAX / 4)

/* A rule's quantity x at time ts: judged at once, or, with a window,
 * summed into its window, the window before judged when x is the first of
 * a later one. */
static int judge(alert_engine *e, uint32_t id, double x, int64_t ts) {
    rule_state *r = &e->rules[id];
    if (r->r.window_ms <= 0) return drive(e, id, wanted(r, x), ts, x);
    if (ts > WINDOW_TS_MAX || ts < -WINDOW_TS_MAX) return 0;
    int64_t k = floor_div(ts - r->r.window_offset_ms, r->r.window_ms);
    int rc = 0;
    if (r->have_win) {
        /* older than the window open, or in one alert_tick already judged */
        if (k < r->win_k || (k == r->win_k && !r->win_n)) return 0;
        if (k > r->win_k && r->win_n) rc = judge_window(e, id);
    }
    if (!r->have_win || k != r->win_k) {
        r->have_win = true;
        r->win_k = k, r->win_n = 0, r->win_sum = 0;
    }
    r->win_sum += x;
    r->win_n++;
    return rc;
}

/* ---- stuck: a flat run longer than the series' model allows ---- */

static unsigned stuck_bin(const alert_stuck_model *m, double v) {
    unsigned b = 0;
    while (b + 1 < m->n_bins && v >= m->edges[b]) b++;
    return b;
}

void alerting_stuck_limit(rule_state *r) {
    const alert_stuck_model *m = &r->r.stuck;
    r->run_limit_s = m->n_bins && r->have_run ? m->flat_s[stuck_bin(m, r->anchor)] : 0;
}

void alerting_set_active(alert_engine *e, rule_state *r, bool active) {
    if (r->active != active && alert_kind_class(r->r.kind) == ALERT_CLASS_PROCESS &&
        r->r.series < e->n_series) {
        series_rules *sr = &e->by_series[r->r.series];
        if (active)
            sr->process_active++;
        else if (sr->process_active)
            sr->process_active--;
    }
    r->active = active;
}

/* A stuck rule's reading v at ts: true when it ends the flat run (it
 * moved beyond the band, came after a gap, or the process explains it)
 * and a new one starts from v; else *run_s is the run's length. Reads the
 * first cache line of r and the series' band and gap only. */
static bool stuck_new_run(const series_rules *sr, rule_state *r, double v, int64_t ts,
                          double *run_s) {
    *run_s = r->have_run ? (double)(ts - r->run_start) / 1000 : 0;
    /* A gap is no evidence of flatness (nothing was read in it): after more
     * than three usual spacings (or the limit), the run starts again. */
    double gap_s = sr->stuck_gap_s > 0 ? sr->stuck_gap_s : r->run_limit_s;
    bool gap = r->have_run && gap_s > 0 && (double)(ts - r->prev_ts) / 1000 > gap_s;
    r->prev_ts = ts;
    /* it moved, or the process explains it (a detector pinned at its span's
     * top in a leak): a new run */
    if (r->have_run && fabs(v - r->anchor) <= sr->stuck_band && !gap && !sr->process_active)
        return false;
    bool moved_level = !r->have_run || v != r->anchor;
    r->have_run = true;
    r->anchor = v, r->run_start = ts;
    if (moved_level) alerting_stuck_limit(r); /* the model only when the level changes */
    return true;
}

static int judge_stuck(alert_engine *e, const series_rules *sr, uint32_t id, double v, int64_t ts) {
    rule_state *r = &e->rules[id];
    double run_s;
    if (stuck_new_run(sr, r, v, ts, &run_s))
        return drive(e, id, false, ts, run_s); /* the value: the run that ended */
    return drive(e, id, r->run_limit_s > 0 && run_s > r->run_limit_s, ts, run_s);
}

/* ---- flapping: communication losses within a sliding window ---- */

/* The losses in (now - window_ms, now]. */
static unsigned flap_count(const rule_state *r, int64_t now) {
    unsigned c = 0;
    while (c < r->n_losses &&
           r->losses[(r->loss_head + FLAP_RING - 1 - c) % FLAP_RING] > now - r->r.window_ms)
        c++;
    return c;
}

/* Any reading, good or bad, of the rule's series. */
static int judge_flapping(alert_engine *e, uint32_t id, int64_t ts) {
    rule_state *r = &e->rules[id];
    if (r->have_prev && (double)(ts - r->prev_ts) > r->r.deadband * 1000) {
        r->losses[r->loss_head] = ts;
        r->loss_head = (r->loss_head + 1) % FLAP_RING;
        if (r->n_losses < FLAP_RING) r->n_losses++;
    }
    /* the newest seen: a backlog of older readings is not a gap */
    if (!r->have_prev || ts > r->prev_ts) r->prev_ts = ts;
    r->have_prev = true;
    unsigned c = flap_count(r, ts);
    return drive(e, id, c >= r->r.limit, ts, c);
}

/* Time passing: losses age out. The clear is dated when the loss that
 * kept the count at the limit left the window. */
static int tick_flapping(alert_engine *e, uint32_t id, int64_t now) {
    rule_state *r = &e->rules[id];
    unsigned c = flap_count(r, now);
    bool want = c >= r->r.limit;
    int64_t at = now;
    unsigned k = (unsigned)ceil(r->r.limit); /* the k-th newest loss held the count at k */
    if (!want && r->active && k <= r->n_losses) {
        int64_t out = r->losses[(r->loss_head + FLAP_RING - k) % FLAP_RING] + r->r.window_ms;
        if (out <= now && out >= r->prev_ts) at = out;
    }
    return drive(e, id, want, at, c);
}

/* ---- what each kind needs of a rule ---- */

const char *alerting_rule_invalid(const alert_rule *r, bool update) {
    alert_kind k = r->kind;
    if ((unsigned)k >= ALERT_KIND_COUNT || (k == ALERT_FAULT && !update)) return "kind";
    if (!isfinite(r->limit) || !isfinite(r->limit_low) || !isfinite(r->deadband) ||
        !(r->deadband >= 0))
        return "limit, limit_low and deadband must be finite, deadband >= 0";
    if (r->on_delay_ms < 0 || r->off_delay_ms < 0) return "negative delay";
    if (r->priority < 1 || r->priority > 4) return "priority not 1..4";
    if ((unsigned)r->origin > ALERT_ORIGIN_ENGINE) return "origin";
    if (r->window_ms < 0 || r->window_ms > WINDOW_MAX_MS) return "window_ms not 0 .. 366 days";
    if (r->window_ms > 0 && (r->window_offset_ms < 0 || r->window_offset_ms >= r->window_ms))
        return "window_offset_ms not in [0, window_ms)";
    /* means of windows are judged for the limit kinds only */
    if (r->window_ms > 0 && k != ALERT_HIGH && k != ALERT_HIGH_HIGH && k != ALERT_LOW &&
        k != ALERT_LOW_LOW && k != ALERT_DEVIATION && k != ALERT_IMBALANCE && k != ALERT_FLAPPING)
        return "window_ms for a kind judged reading by reading";
    switch (k) {
        case ALERT_STALE:
        case ALERT_RATE:
            return r->limit > 0 ? NULL : "limit must be > 0";
        case ALERT_DEVIATION:
            if (r->paired_series == r->series) return "paired with itself";
            return r->limit >= 0 ? NULL : "limit must be >= 0";
        case ALERT_IMBALANCE:
            if (r->paired_series == r->series) return "paired with itself";
            if (!(r->limit > 0)) return "limit must be > 0";
            return r->deadband > 0 ? NULL : "deadband (the denominator's floor) must be > 0";
        case ALERT_RANGE:
            return r->limit_low < r->limit ? NULL : "limit_low must be below limit";
        case ALERT_FLAPPING:
            if (!(r->limit >= 1) || r->limit > FLAP_RING) return "limit (losses) not 1 .. 64";
            if (!(r->deadband > 0)) return "deadband (gap seconds) must be > 0";
            return r->window_ms > 0 ? NULL : "window_ms must be > 0";
        case ALERT_STUCK: {
            const alert_stuck_model *m = &r->stuck;
            if (m->n_bins > ALERT_STUCK_BINS) return "stuck.n_bins above ALERT_STUCK_BINS";
            if (!isfinite(m->band) || m->band < 0) return "stuck.band must be finite, >= 0";
            for (unsigned b = 0; b + 1 < m->n_bins; b++)
                if (!isfinite(m->edges[b]) || (b > 0 && m->edges[b] < m->edges[b - 1]))
                    return "stuck.edges must be finite and sorted";
            for (unsigned b = 0; b < m->n_bins; b++)
                if (!isfinite(m->flat_s[b]) || m->flat_s[b] < 0)
                    return "stuck.flat_s must be finite, >= 0";
            if (!isfinite(m->interval_s) || m->interval_s < 0)
                return "stuck.interval_s must be finite, >= 0";
            return NULL;
        }
        default:
            return NULL;
    }
}

/* ---- readings ---- */

/* A reading shows a stale rule's link alive when it arrived; the newest
 * arrival counts: a backlog of older readings (the broker delivering what
 * it held) must not make it look stale. */
static void stale_seen(rule_state *r, const alert_point *p) {
    int64_t alive = p->received_ms > 0 ? p->received_ms : p->ts_ms;
    if (!r->have_prev || alive > r->prev_ts) r->prev_ts = alive;
    r->have_prev = true;
}

int alert_points(alert_engine *e, const alert_point *pts, size_t n) {
    pthread_mutex_lock(&e->mu);
    int changes = 0, rc = 0;
    for (size_t i = 0; i < n && rc >= 0; i++) {
        const alert_point *p = &pts[i];
        if (p->series >= e->n_series) continue;
        series_rules *sr = &e->by_series[p->series];
        if (!sr->n && !sr->fault) continue;
        bool bad = (p->quality & 0xC0) == QUALITY_BAD || !isfinite(p->value);
        if (!bad) sr->have_last = true, sr->last = p->value;
        if (!bad && sr->simple && !sr->n_hot && p->value >= sr->quiet_lo &&
            p->value <= sr->quiet_hi) { /* the quiet path: see series_rules */
            if (sr->stale_id) stale_seen(&e->rules[sr->stale_id - 1], p);
            /* No rule of the series is active or pending (n_hot 0): the
             * stuck rule needs driving only when its run is too long. */
            double run_s;
            uint32_t id = sr->stuck_id - 1;
            if (sr->stuck_id && !stuck_new_run(sr, &e->rules[id], p->value, p->ts_ms, &run_s) &&
                e->rules[id].run_limit_s > 0 && run_s > e->rules[id].run_limit_s)
                rc = drive(e, id, true, p->ts_ms, run_s);
            if (rc > 0) changes += rc;
            continue;
        }
        if (sr->fault) rc = drive(e, sr->fault - 1, bad, p->ts_ms, p->value);
        if (rc > 0) changes += rc;
        for (size_t k = 0; k < sr->n && rc >= 0; k++) {
            uint32_t id = sr->ids[k];
            rule_state *r = &e->rules[id];
            if (r->r.kind == ALERT_STALE) { /* any reading shows the link is alive */
                stale_seen(r, p);
                if (r->active || r->pending) rc = drive(e, id, false, p->ts_ms, p->value);
            } else if (r->r.kind == ALERT_FLAPPING) { /* any reading ends a gap */
                rc = judge_flapping(e, id, p->ts_ms);
            } else if (bad) {
                continue; /* no process alarm from a bad reading (nor a stuck run) */
            } else if (r->r.kind == ALERT_DEVIATION || r->r.kind == ALERT_IMBALANCE) {
                const series_rules *a = &e->by_series[r->r.series],
                                   *b = &e->by_series[r->r.paired_series];
                if (a->have_last && b->have_last) {
                    double x = r->r.kind == ALERT_DEVIATION
                                   ? fabs(a->last - b->last)
                                   : (a->last - b->last) / fmax(fabs(a->last), r->r.deadband);
                    rc = judge(e, id, x, p->ts_ms);
                }
            } else if (r->r.kind == ALERT_RATE) {
                if (r->have_prev && p->ts_ms > r->prev_ts) {
                    double per_min =
                        fabs(p->value - r->prev_v) * 60000.0 / (double)(p->ts_ms - r->prev_ts);
                    rc = drive(e, id, wanted(r, per_min), p->ts_ms, per_min);
                }
                r->have_prev = true;
                r->prev_ts = p->ts_ms;
                r->prev_v = p->value;
            } else if (r->r.kind == ALERT_STUCK) {
                rc = judge_stuck(e, sr, id, p->value, p->ts_ms);
            } else { /* high, high-high, low, low-low, range */
                rc = judge(e, id, p->value, p->ts_ms);
            }
            if (rc > 0) changes += rc;
        }
    }
    pthread_mutex_unlock(&e->mu);
    return rc < 0 ? -1 : changes;
}

int alert_set_condition(alert_engine *e, uint32_t rule, bool active, int64_t ts_ms, double value) {
    pthread_mutex_lock(&e->mu);
    int rc = rule < e->n_rules ? drive(e, rule, active, ts_ms, value) : -1;
    pthread_mutex_unlock(&e->mu);
    return rc < 0 ? -1 : rc;
}

/* ---- time ---- */

void alert_hold_stale(alert_engine *e, bool hold, int64_t now_ms) {
    pthread_mutex_lock(&e->mu);
    /* The path is back: every sensor gets a full period, and the gap the
     * outage left is not a loss of each sensor's (a flood of flapping). */
    if (e->stale_held && !hold)
        for (uint32_t id = 0; id < e->n_rules; id++) {
            rule_state *r = &e->rules[id];
            if ((r->r.kind == ALERT_STALE || r->r.kind == ALERT_FLAPPING) && r->have_prev &&
                r->prev_ts < now_ms)
                r->prev_ts = now_ms;
        }
    e->stale_held = hold;
    pthread_mutex_unlock(&e->mu);
}

static bool is_timed(const rule_state *r) {
    return r->r.kind == ALERT_STALE || r->r.kind == ALERT_FLAPPING || r->r.window_ms > 0;
}

void alerting_tick_watch(alert_engine *e, uint32_t id) {
    rule_state *r = &e->rules[id];
    if (is_timed(r)) {
        if (r->timed) return;
        r->timed = true;
        if (e->n_timed && e->timed[e->n_timed - 1] > id) e->timed_unsorted = true;
        e->timed[e->n_timed++] = id;
    } else if (!r->waking && (r->pending || r->shelved)) {
        r->waking = true;
        e->waking[e->n_waking++] = id;
    }
}

static int cmp_id(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* What time alone does to one rule: a shelving ends, a link goes stale, a
 * window ends, losses age out, a delay runs out. */
static int tick_rule(alert_engine *e, uint32_t id, int64_t now_ms) {
    rule_state *r = &e->rules[id];
    int rc = 0, changes = 0;
    if (r->shelved && now_ms >= r->shelved_until_ms) {
        r->shelved = false;
        rc = alerting_transition(e, id, ALERT_ACT_UNSHELVE, r->state, r->shelved_until_ms, "",
                                 "shelving expired");
        changes++;
    }
    if (rc >= 0 && r->r.kind == ALERT_STALE && r->have_prev && !e->stale_held) {
        bool stale = now_ms - r->prev_ts > (int64_t)(r->r.limit * 1000);
        rc = drive(e, id, stale, stale ? r->prev_ts + (int64_t)(r->r.limit * 1000) : now_ms,
                   (double)(now_ms - r->prev_ts) / 1000);
        if (rc > 0) changes += rc;
    }
    /* A window that ended while no reading of the next one came. */
    if (rc >= 0 && r->have_win && r->win_n && now_ms >= window_end(r)) {
        rc = judge_window(e, id);
        if (rc > 0) changes += rc;
    }
    /* Only an active (or rising) flapping alarm has losses to age out. */
    if (rc >= 0 && r->r.kind == ALERT_FLAPPING && (r->active || r->pending)) {
        rc = tick_flapping(e, id, now_ms);
        if (rc > 0) changes += rc;
    }
    /* A delay that ran out while no reading came. */
    if (rc >= 0 && r->pending) {
        rc = drive(e, id, r->want, now_ms, r->pending_value);
        if (rc > 0) changes += rc;
    }
    return rc < 0 ? -1 : changes;
}

/* Visits the timed rules and the waking ones in id order (the order the
 * journal had when every rule was visited), leaving in the waking list
 * only those still pending or shelved. */
int alert_tick(alert_engine *e, int64_t now_ms) {
    pthread_mutex_lock(&e->mu);
    alerting_journal_retry(e);
    /* (no rules yet: the lists are not allocated, and qsort wants a base) */
    if (e->timed_unsorted && e->n_timed > 1) qsort(e->timed, e->n_timed, sizeof *e->timed, cmp_id);
    e->timed_unsorted = false;
    if (e->n_waking > 1) qsort(e->waking, e->n_waking, sizeof *e->waking, cmp_id);
    int changes = 0, rc = 0;
    size_t i = 0, j = 0, kept = 0, n_waking = e->n_waking;
    while (rc >= 0 && (i < e->n_timed || j < n_waking)) {
        bool from_timed = j >= n_waking || (i < e->n_timed && e->timed[i] < e->waking[j]);
        uint32_t id = from_timed ? e->timed[i++] : e->waking[j++];
        rc = tick_rule(e, id, now_ms);
        if (rc > 0) changes += rc;
        if (from_timed) continue;
        rule_state *r = &e->rules[id];
        if (r->pending || r->shelved)
            e->waking[kept++] = id;
        else
            r->waking = false;
    }
    while (j < n_waking) e->waking[kept++] = e->waking[j++]; /* not reached: an error */
    /* listed during the visits (a delay started by a transition's subscriber) */
    for (size_t k = n_waking; k < e->n_waking; k++) e->waking[kept++] = e->waking[k];
    e->n_waking = kept;
    pthread_mutex_unlock(&e->mu);
    return rc < 0 ? -1 : changes;
}
