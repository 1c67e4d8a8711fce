/*
 * queries.c - the permits read (list, map, the regulator's statistics) and
 * the conditions judged (specialwork_tick), handed to the callback after
 * the lock is released (common/condition.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "specialwork/internal.h"

#define DAY_MS 86400000LL

/* ---- list ---- */

static bool keep(const sw_actor *who, const sw_filter *f, const sw_permit *p) {
    return sw_sees(who, p) && (f->state < 0 || (int)p->state == f->state) &&
           (f->category < 0 || (int)p->cat == f->category) &&
           (!f->enterprise || !*f->enterprise || !strcmp(f->enterprise, p->enterprise));
}

sw_status specialwork_list(specialwork *sw, const sw_actor *who, const sw_filter *f, json_t **out,
                           char *err, size_t errcap) {
    sw_filter all = {-1, NULL, -1, 0};
    if (!f) f = &all;
    size_t limit = f->limit ? f->limit : 500;
    if (limit > 5000) return sw_fail(err, errcap, SW_EINVAL, "limit: 1..5000");
    json_t *rows = json_array();
    size_t total = 0;
    pthread_mutex_lock(&sw->mu);
    for (size_t i = 0; i < sw->n; i++) {
        if (!keep(who, f, sw->p[i])) continue;
        if (total++ < limit) json_array_append_new(rows, sw_record_out(sw->p[i]));
    }
    pthread_mutex_unlock(&sw->mu);
    *out = json_pack("{s:o,s:I,s:b}", "permits", rows, "total", (json_int_t)total, "truncated",
                     total > limit);
    return *out ? SW_OK : sw_fail(err, errcap, SW_EIO, "out of memory");
}

/* ---- map ---- */

sw_status specialwork_map(specialwork *sw, const sw_actor *who, json_t **out, char *err,
                          size_t errcap) {
    json_t *feats = json_array();
    pthread_mutex_lock(&sw->mu);
    for (size_t i = 0; i < sw->n; i++) {
        const sw_permit *p = sw->p[i];
        if (!sw_sees(who, p) || (p->state != SW_ACTIVE && p->state != SW_SUSPENDED)) continue;
        json_t *r = sw_record_out(p);
        json_t *props = json_pack(
            "{s:s,s:s,s:s,s:O,s:s,s:I,s:I,s:O,s:O,s:O}", "id", p->id, "enterprise", p->enterprise,
            "category", sw_category_name(p->cat), "grade", json_object_get(r, "grade"), "state",
            sw_state_name(p->state), "window_from_ms", (json_int_t)p->from_ms, "window_to_ms",
            (json_int_t)p->to_ms, "leader", json_object_get(r, "leader"), "guardian",
            json_object_get(r, "guardian"), "conditions", json_object_get(r, "conditions"));
        json_array_append_new(feats, json_pack("{s:s,s:s,s:O,s:o}", "type", "Feature", "id", p->id,
                                               "geometry", json_object_get(r, "location"),
                                               "properties", props));
        json_decref(r);
    }
    pthread_mutex_unlock(&sw->mu);
    *out = json_pack("{s:s,s:o}", "type", "FeatureCollection", "features", feats);
    return *out ? SW_OK : sw_fail(err, errcap, SW_EIO, "out of memory");
}

/* ---- statistics ---- */

typedef struct stat_row {
    char enterprise[33];
    sw_category cat;
    uint64_t filed, active_now, closed, cancelled, past_window, with_gas_failures,
        gas_test_failures;
} stat_row;

static json_t *row_json(const stat_row *r) {
    return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "filed", (json_int_t)r->filed, "active_now",
                     (json_int_t)r->active_now, "closed", (json_int_t)r->closed, "cancelled",
                     (json_int_t)r->cancelled, "past_window", (json_int_t)r->past_window,
                     "with_gas_failures", (json_int_t)r->with_gas_failures, "gas_test_failures",
                     (json_int_t)r->gas_test_failures);
}

static int row_cmp(const void *a, const void *b) {
    const stat_row *x = a, *y = b;
    int c = strcmp(x->enterprise, y->enterprise);
    return c ? c : (int)x->cat - (int)y->cat;
}

sw_status specialwork_stats(specialwork *sw, const sw_actor *who, int64_t from_ms, int64_t to_ms,
                            int64_t now_ms, json_t **out, char *err, size_t errcap) {
    *out = NULL;
    if (from_ms >= to_ms) return sw_fail(err, errcap, SW_EINVAL, "from must be before to");
    stat_row *rows = NULL, park = {"", 0, 0, 0, 0, 0, 0, 0, 0};
    size_t n = 0, cap = 0;
    sw_status st = SW_OK;
    pthread_mutex_lock(&sw->mu);
    for (size_t i = 0; i < sw->n && !st; i++) {
        const sw_permit *p = sw->p[i];
        bool filed_in = p->filed_ms >= from_ms && p->filed_ms < to_ms;
        bool active = p->state == SW_ACTIVE || p->state == SW_SUSPENDED;
        if (!sw_sees(who, p) || (!filed_in && !active)) continue;
        stat_row *r = NULL;
        for (size_t k = 0; k < n && !r; k++)
            if (rows[k].cat == p->cat && !strcmp(rows[k].enterprise, p->enterprise)) r = &rows[k];
        if (!r) {
            if (n == cap) {
                size_t nc = cap ? cap * 2 : 32;
                stat_row *nr = realloc(rows, nc * sizeof *nr);
                if (!nr) {
                    st = sw_fail(err, errcap, SW_EIO, "out of memory");
                    break;
                }
                rows = nr, cap = nc;
            }
            r = &rows[n++];
            memset(r, 0, sizeof *r);
            snprintf(r->enterprise, sizeof r->enterprise, "%s", p->enterprise);
            r->cat = p->cat;
        }
        stat_row *both[2] = {r, &park};
        for (int k = 0; k < 2; k++) {
            stat_row *x = both[k];
            if (active) x->active_now++;
            if (!filed_in) continue;
            x->filed++;
            x->closed += p->state == SW_CLOSED;
            x->cancelled += p->state == SW_CANCELLED;
            /* ran past its end: closed after it, or still open after it */
            x->past_window +=
                (p->state == SW_CLOSED && p->closed_ms > p->to_ms) || (active && now_ms > p->to_ms);
            x->with_gas_failures += p->gas_failures > 0;
            x->gas_test_failures += p->gas_failures;
        }
    }
    pthread_mutex_unlock(&sw->mu);
    if (st) {
        free(rows);
        return st;
    }
    if (n > 1) qsort(rows, n, sizeof *rows, row_cmp); /* rows may be NULL when n is 0 */
    json_t *arr = json_array();
    for (size_t k = 0; k < n; k++) {
        json_t *o = row_json(&rows[k]);
        json_object_set_new(o, "enterprise", json_string(rows[k].enterprise));
        json_object_set_new(o, "category", json_string(sw_category_name(rows[k].cat)));
        json_array_append_new(arr, o);
    }
    free(rows);
    *out = json_pack("{s:I,s:I,s:o,s:o}", "from_ms", (json_int_t)from_ms, "to_ms",
                     (json_int_t)to_ms, "park", row_json(&park), "rows", arr);
    return *out ? SW_OK : sw_fail(err, errcap, SW_EIO, "out of memory");
}

/* ---- conditions ---- */

static const struct {
    const char *kind, *unit;
    int priority;
} ckinds[SW_C_COUNT] = {
    [SW_C_NEAR_GAS] = {"hot_work_near_gas", "m", 1},
    [SW_C_NO_GAS_TEST] = {"no_gas_test", "min", 2},
    [SW_C_PAST_WINDOW] = {"past_window", "min", 3},
};

typedef struct change {
    char name[160], ent[33], asset[SW_ID_MAX], basis[160];
    int kind;
    bool active;
    double value, limit;
} change;

typedef struct judged {
    bool on;
    double value, limit;
    char basis[160];
} judged;

/* Which conditions apply to a category at all. */
static unsigned applies(sw_category c) {
    unsigned m = 1u << SW_C_PAST_WINDOW;
    if (c == SW_HOT_WORK) m |= 1u << SW_C_NEAR_GAS;
    if (c == SW_HOT_WORK || c == SW_CONFINED_SPACE) m |= 1u << SW_C_NO_GAS_TEST;
    return m;
}

static void judge(const specialwork *sw, const sw_permit *p, int64_t now,
                  const sw_gas_alarm *alarms, size_t na, const sw_area *inc, size_t ni,
                  judged j[SW_C_COUNT]) {
    memset(j, 0, SW_C_COUNT * sizeof *j);
    bool active = p->state == SW_ACTIVE;
    double near = sw->o.near_gas_m;
    /* no combustible gas within 30 m of hot work (GB 30871-2022 Table
     * A.1, reference §1.6); an incident's footprint: the gas is there */
    j[SW_C_NEAR_GAS].limit = near;
    j[SW_C_NEAR_GAS].value = INFINITY;
    if (active && p->cat == SW_HOT_WORK) {
        for (size_t i = 0; i < na; i++) {
            double d = sw_geom_dist_point(p->ll, p->n, p->polygon, alarms[i].lon, alarms[i].lat);
            if (d <= near && d < j[SW_C_NEAR_GAS].value) {
                j[SW_C_NEAR_GAS] = (judged){true, d, near, ""};
                snprintf(j[SW_C_NEAR_GAS].basis, sizeof j[0].basis,
                         "hot work %.0f m from the combustible-gas alarm at %.40s: none within "
                         "%.0f m (GB 30871-2022 Table A.1, reference §1.6)",
                         d, alarms[i].detector ? alarms[i].detector : "?", near);
            }
        }
        for (size_t i = 0; i < ni; i++) {
            double d = sw_geom_dist_ring(p->ll, p->n, p->polygon, inc[i].lonlat, inc[i].n_points);
            if (d <= near && d < j[SW_C_NEAR_GAS].value) {
                j[SW_C_NEAR_GAS] = (judged){true, d, near, ""};
                snprintf(j[SW_C_NEAR_GAS].basis, sizeof j[0].basis,
                         "hot work %.0f m from incident %.40s's footprint (%s): none within "
                         "%.0f m of gas (reference §1.6)",
                         d, inc[i].id ? inc[i].id : "?", d == 0 ? "inside" : "near", near);
            }
        }
        if (!j[SW_C_NEAR_GAS].on) j[SW_C_NEAR_GAS].value = 0;
    }
    /* a passing gas test at most 30 min old (reference §1.5) */
    int64_t age_limit = sw->o.gas_test_max_age_ms;
    j[SW_C_NO_GAS_TEST].limit = (double)age_limit / 60000.0;
    if (active && (p->cat == SW_HOT_WORK || p->cat == SW_CONFINED_SPACE)) {
        int64_t since = p->last_pass_ms;
        if (!since || now - since > age_limit) {
            int64_t started = json_integer_value(json_object_get(p->rec, "started_ms"));
            int64_t ref = since ? since : started;
            j[SW_C_NO_GAS_TEST].on = true;
            j[SW_C_NO_GAS_TEST].value = (double)(now - ref) / 60000.0;
            snprintf(j[SW_C_NO_GAS_TEST].basis, sizeof j[0].basis,
                     "%s: %s; a passing gas test within %.0f min is required "
                     "(GB 30871-2022 Table A.1, 6.4; reference §1.5)",
                     sw_category_name(p->cat),
                     since ? "the last passing gas test is older" : "no passing gas test",
                     j[SW_C_NO_GAS_TEST].limit);
        }
    }
    /* the permit is valid for its window only (reference §1.2) */
    if (active && now >= p->to_ms) {
        j[SW_C_PAST_WINDOW] = (judged){true, (double)(now - p->to_ms) / 60000.0, 0, ""};
        snprintf(j[SW_C_PAST_WINDOW].basis, sizeof j[0].basis,
                 "active past its window's end: a permit is valid for its window only "
                 "(reference §1.2)");
    }
}

void specialwork_tick(specialwork *sw, int64_t now_ms, const sw_gas_alarm *alarms, size_t n_alarms,
                      const sw_area *incidents, size_t n_incidents) {
    change *ch = NULL;
    size_t nch = 0, cap = 0;
    pthread_mutex_lock(&sw->mu);
    for (size_t i = 0; i < sw->n; i++) {
        sw_permit *p = sw->p[i];
        bool terminal = p->state == SW_CLOSED || p->state == SW_CANCELLED;
        /* a permit long closed whose state was said: nothing can change */
        if (terminal && p->said && !p->raised) continue;
        judged j[SW_C_COUNT];
        judge(sw, p, now_ms, alarms, n_alarms, incidents, n_incidents, j);
        /* after open, the state of what may have been raised before is
         * said once (an alarm left active by a stop clears); permits
         * closed more than a day before are not named at all */
        unsigned say = 0;
        if (!p->said) {
            if (!terminal || now_ms - p->closed_ms < DAY_MS) say = applies(p->cat);
            p->said = true;
        }
        for (int k = 0; k < SW_C_COUNT; k++) {
            bool was = p->raised & (1u << k);
            if (was == j[k].on && !(say & (1u << k))) continue;
            if (j[k].on)
                p->raised |= 1u << k, snprintf(p->basis[k], sizeof p->basis[k], "%s", j[k].basis);
            else
                p->raised &= ~(1u << k);
            if (nch == cap) {
                size_t nc = cap ? cap * 2 : 16;
                change *n = realloc(ch, nc * sizeof *n);
                if (!n) continue; /* said at the next tick */
                ch = n, cap = nc;
            }
            change *c = &ch[nch++];
            snprintf(c->name, sizeof c->name, "%s/permits/%s/%s", p->enterprise, p->id,
                     ckinds[k].kind);
            snprintf(c->ent, sizeof c->ent, "%s", p->enterprise);
            snprintf(c->asset, sizeof c->asset, "%s", p->id);
            snprintf(c->basis, sizeof c->basis, "%s", j[k].on ? j[k].basis : p->basis[k]);
            c->kind = k, c->active = j[k].on, c->value = j[k].value, c->limit = j[k].limit;
            if (!isfinite(c->value)) c->value = 0;
        }
    }
    pthread_mutex_unlock(&sw->mu);
    for (size_t i = 0; sw->o.on_condition && i < nch; i++) {
        const change *c = &ch[i];
        pw_condition pc = {.name = c->name,
                           .kind = ckinds[c->kind].kind,
                           .enterprise = c->ent,
                           .asset = c->asset,
                           .unit = ckinds[c->kind].unit,
                           .basis = c->basis,
                           .priority = ckinds[c->kind].priority,
                           .active = c->active,
                           .value = c->value,
                           .limit = c->limit,
                           .ts_ms = now_ms};
        sw->o.on_condition(&pc, sw->o.ctx);
    }
    free(ch);
}
