/*
 * closedpark.c - the module's open and close, its areas (zones and
 * vehicle parks as metric rings), the tables, the conditions collected
 * under the lock and called after it, and the checks of what comes in.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "closedpark/internal.h"

const char *const cp_kind_names[CPK_COUNT] = {
    "no_appointment", "cargo_mismatch",  "off_route", "speeding",
    "stopped",        "restricted_zone", "overstay",
};

static const int kind_priority[CPK_COUNT] = {2, 2, 2, 3, 3, 1, 3};
static const char *const kind_unit[CPK_COUNT] = {"", "", "m", "km/h", "min", "", "min"};
static const char *const kind_basis[CPK_COUNT] = {
    "a hazardous-goods vehicle entered without an appointment for now",
    "cargo, hazard class or UN number differs from the appointment",
    "more than the limit (m) from its planned route for 30 s",
    "above the road's limit + 5 km/h for 10 s (hazardous goods: min(posted, 60 km/h), Art. 46)",
    "below 2 km/h for more than 10 min outside a vehicle park",
    "a hazardous-goods vehicle inside a restricted zone",
    "inside past its appointment's window end",
};

void cp_errf(char *err, size_t cap, const char *fmt, ...) {
    if (!err || !cap) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
}

const char *cp_status_name(cp_status s) {
    switch (s) {
        case CP_OK:
            return "ok";
        case CP_EINVAL:
            return "invalid";
        case CP_EFORBIDDEN:
            return "forbidden";
        case CP_ENOTFOUND:
            return "not found";
        case CP_ECONFLICT:
            return "conflict";
        case CP_EIO:
            return "storage";
        case CP_ENOMEM:
            return "out of memory";
    }
    return "?";
}

int closedpark_http_status(cp_status s) {
    switch (s) {
        case CP_OK:
            return 200;
        case CP_EINVAL:
            return 400;
        case CP_EFORBIDDEN:
            return 403;
        case CP_ENOTFOUND:
            return 404;
        case CP_ECONFLICT:
            return 409;
        default:
            return 500;
    }
}

/* ---- the map ---- */

static uint64_t hash_str(const char *s) {
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

void *cp_map_get(const cp_map *m, const char *key) {
    if (!m->cap) return NULL;
    for (size_t i = hash_str(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        if (!m->keys[i]) return NULL;
        if (!strcmp(m->keys[i], key)) return m->vals[i];
    }
}

static int map_grow(cp_map *m) {
    size_t cap = m->cap ? m->cap * 2 : 64;
    const char **keys = calloc(cap, sizeof *keys);
    void **vals = calloc(cap, sizeof *vals);
    if (!keys || !vals) {
        free(keys), free(vals);
        return -1;
    }
    for (size_t j = 0; j < m->cap; j++) {
        if (!m->keys[j]) continue;
        size_t i = hash_str(m->keys[j]) & (cap - 1);
        while (keys[i]) i = (i + 1) & (cap - 1);
        keys[i] = m->keys[j], vals[i] = m->vals[j];
    }
    free(m->keys), free(m->vals);
    m->keys = keys, m->vals = vals, m->cap = cap;
    return 0;
}

int cp_map_put(cp_map *m, const char *key, void *val) {
    if ((m->n + 1) * 2 > m->cap && map_grow(m)) return -1;
    size_t i = hash_str(key) & (m->cap - 1);
    while (m->keys[i] && strcmp(m->keys[i], key)) i = (i + 1) & (m->cap - 1);
    if (!m->keys[i]) m->n++;
    m->keys[i] = key, m->vals[i] = val;
    return 0;
}

void cp_map_del(cp_map *m, const char *key) {
    if (!m->cap) return;
    size_t mask = m->cap - 1, i = hash_str(key) & mask;
    while (m->keys[i] && strcmp(m->keys[i], key)) i = (i + 1) & mask;
    if (!m->keys[i]) return;
    m->keys[i] = NULL, m->vals[i] = NULL, m->n--;
    /* Backward shift: the entries after the hole that hash before it move up. */
    for (size_t j = (i + 1) & mask; m->keys[j]; j = (j + 1) & mask) {
        size_t home = hash_str(m->keys[j]) & mask;
        bool between = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (between) continue;
        m->keys[i] = m->keys[j], m->vals[i] = m->vals[j];
        m->keys[j] = NULL, m->vals[j] = NULL;
        i = j;
    }
}

void cp_map_free(cp_map *m) {
    free(m->keys), free(m->vals);
    memset(m, 0, sizeof *m);
}

/* ---- areas ---- */

bool cp_ring_contains(const double *xy, size_t n, double x, double y) {
    bool in = false;
    for (size_t i = 0, j = n - 1; i < n; j = i++) {
        double xi = xy[2 * i], yi = xy[2 * i + 1], xj = xy[2 * j], yj = xy[2 * j + 1];
        if ((yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) in = !in;
    }
    return in;
}

bool cp_area_contains(const cp_area *a, double x, double y) {
    if (x < a->bbox[0] || x > a->bbox[2] || y < a->bbox[1] || y > a->bbox[3]) return false;
    for (size_t k = 0; k < a->n_parts; k++) {
        size_t b = k ? a->part_end[k - 1] : 0, e = a->part_end[k];
        if (e - b >= 3 && cp_ring_contains(a->xy + 2 * b, e - b, x, y)) return true;
    }
    return false;
}

static int area_load(closedpark *cp, size_t index, cp_area *a) {
    const geo_feature *f = geo_get(cp->g, index);
    geo_coords c = {0};
    if (geo_feature_coords(cp->g, index, &c)) return -1;
    a->feature = index, a->id = f->id, a->name = f->name, a->enterprise = f->enterprise;
    a->xy = c.xy, a->part_end = c.part_end, a->n_parts = c.n_parts;
    a->bbox[0] = a->bbox[1] = INFINITY, a->bbox[2] = a->bbox[3] = -INFINITY;
    for (size_t i = 0; i < c.n_points; i++) {
        a->bbox[0] = fmin(a->bbox[0], c.xy[2 * i]), a->bbox[1] = fmin(a->bbox[1], c.xy[2 * i + 1]);
        a->bbox[2] = fmax(a->bbox[2], c.xy[2 * i]), a->bbox[3] = fmax(a->bbox[3], c.xy[2 * i + 1]);
    }
    const char *t = geo_prop_str(cp->g, index, "zone_type");
    a->type = !strcmp(t, "hazard_area")      ? CP_ZONE_HAZARD_AREA
              : !strcmp(t, "confined_space") ? CP_ZONE_CONFINED_SPACE
              : !strcmp(t, "restricted")     ? CP_ZONE_RESTRICTED
              : !strcmp(t, "work_area")      ? CP_ZONE_WORK_AREA
                                             : CP_ZONE_OTHER;
    double mp = geo_prop_num(cp->g, index, "max_people", 0);
    a->max_people = mp > 0 && mp < 1e9 ? (long)mp : 0;
    a->capacity = f->capacity > 0 ? f->capacity : (long)geo_prop_num(cp->g, index, "capacity", 0);
    return 0;
}

static void area_free(cp_area *a) {
    free(a->xy), free(a->part_end);
}

/* The metric extent of the features of kind (GEO_ANY: all), corners projected. */
static void extent_of(closedpark *cp, geo_kind kind, double e[4]) {
    e[0] = e[1] = INFINITY, e[2] = e[3] = -INFINITY;
    size_t n = geo_count_all(cp->g);
    for (size_t i = 0; i < n; i++) {
        const geo_feature *f = geo_get(cp->g, i);
        if (kind != GEO_ANY && f->kind != kind) continue;
        if (!isfinite(f->bbox[0])) continue;
        for (int k = 0; k < 4; k++) {
            double x, y;
            if (geo_project(cp->g, f->bbox[k & 1 ? 2 : 0], f->bbox[k & 2 ? 3 : 1], &x, &y))
                continue;
            e[0] = fmin(e[0], x), e[1] = fmin(e[1], y), e[2] = fmax(e[2], x), e[3] = fmax(e[3], y);
        }
    }
}

bool cp_is_gate(const closedpark *cp, const char *id, size_t *index) {
    long i = geo_find(cp->g, id);
    if (i < 0 || geo_get(cp->g, (size_t)i)->kind != GEO_GATE) return false;
    if (index) *index = (size_t)i;
    return true;
}

/* ---- checks ---- */

/* Valid UTF-8 without control characters; *chars gets the count. */
static bool utf8_ok(const char *s, size_t *chars) {
    const unsigned char *p = (const unsigned char *)s;
    size_t n = 0;
    while (*p) {
        unsigned c = *p;
        size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (!len || (len == 1 && (c < 0x20 || c == 0x7f))) return false;
        if (len == 2 && c < 0xc2) return false;
        for (size_t k = 1; k < len; k++)
            if ((p[k] & 0xc0) != 0x80) return false;
        if (len == 3 && ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] >= 0xa0))) return false;
        if (len == 4 && (c > 0xf4 || (c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] >= 0x90)))
            return false;
        p += len, n++;
    }
    if (chars) *chars = n;
    return true;
}

bool cp_plate_ok(const char *s) {
    size_t n;
    if (!s || strlen(s) > CP_PLATE_MAX || !utf8_ok(s, &n) || n < 2 || n > 16) return false;
    /* Plates name series ("PARK/vehicles/{plate}.lat") and entities. */
    return !strpbrk(s, "/.:{}\" \\*?");
}

bool cp_text_ok(const char *s, size_t max_bytes) {
    return s && strlen(s) <= max_bytes && utf8_ok(s, NULL);
}

bool cp_hazard_class_ok(const char *s) {
    static const char *const ok[] = {"1",   "1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "2", "2.1",
                                     "2.2", "2.3", "3",   "4",   "4.1", "4.2", "4.3", "5", "5.1",
                                     "5.2", "6",   "6.1", "6.2", "7",   "8",   "9"};
    for (size_t i = 0; s && i < sizeof ok / sizeof *ok; i++)
        if (!strcmp(s, ok[i])) return true;
    return false;
}

bool cp_un_number_ok(const char *s) {
    if (!s || strlen(s) != 4) return false;
    for (int i = 0; i < 4; i++)
        if (s[i] < '0' || s[i] > '9') return false;
    return true;
}

int64_t cp_day_of(int64_t ms) {
    int64_t t = ms + CP_TZ_MS;
    return t >= 0 ? t / CP_DAY_MS : (t - CP_DAY_MS + 1) / CP_DAY_MS;
}

/* ---- the lock and the conditions ---- */

void cp_lock(closedpark *cp) {
    pthread_mutex_lock(&cp->mu);
}

void cp_unlock_flush(closedpark *cp, cp_pending *p) {
    pthread_mutex_unlock(&cp->mu);
    for (size_t i = 0; p && i < p->n; i++) {
        cp_change *c = &p->v[i];
        pw_condition pc = {.name = c->name,
                           .kind = c->kind,
                           .enterprise = c->enterprise,
                           .asset = c->asset,
                           .unit = c->unit,
                           .basis = c->basis,
                           .priority = c->priority,
                           .active = c->active,
                           .value = c->value,
                           .limit = c->limit,
                           .ts_ms = c->ts_ms};
        if (cp->o.on_condition) cp->o.on_condition(&pc, cp->o.condition_ctx);
    }
    if (p) {
        free(p->v);
        memset(p, 0, sizeof *p);
    }
}

static cp_change *pending_add(cp_pending *p) {
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 8;
        cp_change *v = realloc(p->v, cap * sizeof *v);
        if (!v) return NULL;
        p->v = v, p->cap = cap;
    }
    cp_change *c = &p->v[p->n++];
    memset(c, 0, sizeof *c);
    return c;
}

void cp_vehicle_set(closedpark *cp, cp_vehicle *v, cp_kind k, bool active, double value,
                    double limit, int64_t ts, cp_pending *p) {
    if (v->active[k] == active) return;
    v->active[k] = active;
    if (active) cp->c.conditions_raised++;
    cp_change *c = p ? pending_add(p) : NULL;
    if (!c) return;
    snprintf(c->name, sizeof c->name, "PARK/vehicles/%s/%s", v->plate, cp_kind_names[k]);
    snprintf(c->kind, sizeof c->kind, "%s", cp_kind_names[k]);
    snprintf(c->asset, sizeof c->asset, "%s", v->plate);
    c->unit = kind_unit[k], c->basis = kind_basis[k], c->priority = kind_priority[k];
    c->active = active, c->value = value, c->limit = limit, c->ts_ms = ts;
}

void cp_vehicle_clear_all(closedpark *cp, cp_vehicle *v, int64_t ts, cp_pending *p) {
    for (int k = 0; k < CPK_COUNT; k++) cp_vehicle_set(cp, v, (cp_kind)k, false, 0, 0, ts, p);
    v->off_since = v->over_since = v->slow_since = 0;
}

void cp_zone_judge(closedpark *cp, cp_area *z, int64_t ts, cp_pending *p) {
    bool over = z->max_people > 0 && z->count > (size_t)z->max_people;
    if (over == z->over) return;
    z->over = over;
    if (over) cp->c.conditions_raised++;
    cp_change *c = p ? pending_add(p) : NULL;
    if (!c) return;
    snprintf(c->name, sizeof c->name, "%s/zones/%s/over_limit",
             *z->enterprise ? z->enterprise : "PARK", z->id);
    snprintf(c->kind, sizeof c->kind, "over_limit");
    snprintf(c->enterprise, sizeof c->enterprise, "%s", z->enterprise);
    snprintf(c->asset, sizeof c->asset, "%s", z->id);
    c->unit = "people";
    c->basis = "headcount above the zone's max_people";
    c->priority = z->type == CP_ZONE_CONFINED_SPACE ? 1 : 2;
    c->active = over, c->value = (double)z->count, c->limit = (double)z->max_people;
    c->ts_ms = ts;
}

/* ---- the tables ---- */

cp_vehicle *cp_vehicle_get(closedpark *cp, const char *plate, bool create) {
    cp_vehicle *v = cp_map_get(&cp->vehicles, plate);
    if (v || !create) return v;
    if (cp->vehicles.n >= cp->o.max_vehicles) return NULL;
    v = calloc(1, sizeof *v);
    if (!v) return NULL;
    snprintf(v->plate, sizeof v->plate, "%s", plate);
    v->mass_kg = NAN, v->speed = NAN, v->heading = NAN, v->vpark = -1;
    if (cp_map_put(&cp->vehicles, v->plate, v)) {
        free(v);
        return NULL;
    }
    return v;
}

void cp_vehicle_forget(closedpark *cp, cp_vehicle *v) {
    cp_map_del(&cp->vehicles, v->plate);
    free(v->ring);
    free(v);
}

cp_person *cp_person_get(closedpark *cp, const char *badge, bool create) {
    cp_person *p = cp_map_get(&cp->people, badge);
    if (p || !create) return p;
    if (cp->people.n >= cp->o.max_people) return NULL;
    p = calloc(1, sizeof *p);
    if (!p) return NULL;
    snprintf(p->badge, sizeof p->badge, "%s", badge);
    if (cp_map_put(&cp->people, p->badge, p)) {
        free(p);
        return NULL;
    }
    return p;
}

bool cp_vehicle_hazmat(const cp_vehicle *v) {
    return v->hazard_class[0] || v->un_number[0];
}

/* ---- the store ---- */

char *cp_dump(json_t *o) {
    return o ? json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(12)) : NULL;
}

int cp_store(closedpark *cp, const ev_record *r, size_t n, char *why, size_t whycap) {
    char err[256] = "";
    ev_status s = ev_append(cp->ev, r, n, NULL, err, sizeof err);
    if (s == EV_OK) return 0;
    if (s == EV_EINVAL) {
        cp_errf(why, whycap, "refused by the event store: %s", err);
        return 1;
    }
    cp->c.store_errors++;
    cp_errf(why, whycap, "event store: %s", err);
    return -1;
}

/* ---- open and close ---- */

void closedpark_options_default(closedpark_options *o) {
    memset(o, 0, sizeof *o);
    o->off_route_m = CLOSEDPARK_OFF_ROUTE_M;
    o->off_route_ms = CLOSEDPARK_OFF_ROUTE_MS;
    o->speeding_margin_kmh = CLOSEDPARK_SPEEDING_MARGIN;
    o->speeding_ms = CLOSEDPARK_SPEEDING_MS;
    o->stopped_kmh = CLOSEDPARK_STOPPED_KMH;
    o->stopped_ms = CLOSEDPARK_STOPPED_MS;
    o->max_speed_kmh = CLOSEDPARK_MAX_SPEED_KMH;
    o->grace_before_ms = CLOSEDPARK_GRACE_BEFORE_MS;
    o->overstay_ms = CLOSEDPARK_OVERSTAY_MS;
    o->track_ms = CLOSEDPARK_TRACK_MS;
    o->lost_out_ms = CLOSEDPARK_LOST_OUT_MS;
    o->max_vehicles = CLOSEDPARK_MAX_VEHICLES;
    o->max_people = CLOSEDPARK_MAX_PEOPLE;
}

static void resolve(closedpark_options *o) {
    closedpark_options d;
    closedpark_options_default(&d);
#define DFLT(f)                                                                                    \
    if (!(o->f > 0)) o->f = d.f
    DFLT(off_route_m);
    DFLT(off_route_ms);
    DFLT(speeding_margin_kmh);
    DFLT(speeding_ms);
    DFLT(stopped_kmh);
    DFLT(stopped_ms);
    DFLT(max_speed_kmh);
    DFLT(grace_before_ms);
    DFLT(track_ms);
    DFLT(lost_out_ms);
    DFLT(max_vehicles);
    DFLT(max_people);
#undef DFLT
    if (o->overstay_ms < 0) o->overstay_ms = 0;
}

static int add_areas(closedpark *cp, geo_kind kind, cp_area **out, size_t *n) {
    size_t total = geo_count_all(cp->g), cnt = geo_count(cp->g, kind);
    *out = cnt ? calloc(cnt, sizeof **out) : NULL;
    if (cnt && !*out) return -1;
    *n = 0;
    for (size_t i = 0; i < total && *n < cnt; i++) {
        if (geo_get(cp->g, i)->kind != kind) continue;
        if (area_load(cp, i, &(*out)[*n])) return -1;
        (*n)++;
    }
    return 0;
}

static int copy_enterprises(closedpark *cp, const closedpark_options *o) {
    size_t n = o->enterprises ? o->n_enterprises : geo_count(cp->g, GEO_ENTERPRISE);
    cp->enterprises = n ? calloc(n, sizeof *cp->enterprises) : NULL;
    if (n && !cp->enterprises) return -1;
    if (o->enterprises) {
        for (size_t i = 0; i < n; i++) {
            if (!o->enterprises[i] || !*o->enterprises[i]) continue;
            if (!(cp->enterprises[cp->n_enterprises] = strdup(o->enterprises[i]))) return -1;
            cp->n_enterprises++;
        }
        return 0;
    }
    size_t all = geo_count_all(cp->g);
    for (size_t i = 0; i < all && cp->n_enterprises < n; i++) {
        const geo_feature *f = geo_get(cp->g, i);
        if (f->kind != GEO_ENTERPRISE) continue;
        if (!(cp->enterprises[cp->n_enterprises] = strdup(f->id))) return -1;
        cp->n_enterprises++;
    }
    return 0;
}

cp_status closedpark_open(const closedpark_options *o, closedpark **out, char *err, size_t errcap) {
    *out = NULL;
    if (!o || !o->layout || !o->events) {
        cp_errf(err, errcap, "closedpark: the layout and the event store are required");
        return CP_EINVAL;
    }
    closedpark *cp = calloc(1, sizeof *cp);
    if (!cp) return CP_ENOMEM;
    pthread_mutex_init(&cp->mu, NULL);
    cp->o = *o;
    resolve(&cp->o);
    cp->o.enterprises = NULL, cp->o.n_enterprises = 0;
    cp->g = o->layout, cp->roads = o->roads, cp->ev = o->events;
    if (copy_enterprises(cp, o) || add_areas(cp, GEO_ZONE, &cp->zones, &cp->n_zones) ||
        add_areas(cp, GEO_VEHICLE_PARK, &cp->vparks, &cp->n_vparks)) {
        closedpark_close(cp);
        cp_errf(err, errcap, "closedpark: out of memory reading the layout");
        return CP_ENOMEM;
    }
    for (size_t i = 0; i < cp->n_zones; i++)
        if (cp_map_put(&cp->zone_by_id, cp->zones[i].id, &cp->zones[i])) {
            closedpark_close(cp);
            return CP_ENOMEM;
        }
    extent_of(cp, GEO_ENTERPRISE, cp->extent);
    if (!(cp->extent[0] <= cp->extent[2])) extent_of(cp, GEO_ANY, cp->extent);
    int64_t now = o->now_ms;
    if (!now) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    }
    cp_pending p = {0};
    cp_lock(cp);
    int rc = cp_rebuild(cp, now, &p, err, errcap);
    if (rc) p.n = 0; /* not opened: nobody to tell */
    cp_unlock_flush(cp, &p);
    if (rc) {
        closedpark_close(cp);
        return CP_EIO;
    }
    *out = cp;
    return CP_OK;
}

void closedpark_close(closedpark *cp) {
    if (!cp) return;
    for (size_t i = 0; i < cp->appts.cap; i++)
        if (cp->appts.keys[i]) cp_appt_free(cp->appts.vals[i]);
    for (size_t i = 0; i < cp->vehicles.cap; i++)
        if (cp->vehicles.keys[i]) {
            cp_vehicle *v = cp->vehicles.vals[i];
            free(v->ring), free(v);
        }
    for (size_t i = 0; i < cp->people.cap; i++)
        if (cp->people.keys[i]) free(cp->people.vals[i]);
    cp_map_free(&cp->appts), cp_map_free(&cp->vehicles), cp_map_free(&cp->people);
    cp_map_free(&cp->zone_by_id);
    for (size_t i = 0; i < cp->n_zones; i++) area_free(&cp->zones[i]);
    for (size_t i = 0; i < cp->n_vparks; i++) area_free(&cp->vparks[i]);
    free(cp->zones), free(cp->vparks);
    for (size_t i = 0; i < cp->n_enterprises; i++) free(cp->enterprises[i]);
    free(cp->enterprises);
    pthread_mutex_destroy(&cp->mu);
    free(cp);
}

void closedpark_tick(closedpark *cp, int64_t now_ms) {
    cp_pending p = {0};
    cp_lock(cp);
    cp_appts_tick(cp, now_ms, &p);
    cp_positions_tick(cp, now_ms, &p);
    cp_unlock_flush(cp, &p);
}

void closedpark_stats(closedpark *cp, closedpark_counters *out) {
    cp_lock(cp);
    *out = cp->c;
    out->vehicles = cp->vehicles.n, out->people = cp->people.n, out->appointments = cp->appts.n;
    uint64_t total = 0, acc = 0;
    for (int b = 0; b < CP_CHECK_BUCKETS; b++) total += cp->check_hist[b];
    for (int b = 0; b < CP_CHECK_BUCKETS && total; b++) {
        acc += cp->check_hist[b];
        double upper = pow(10.0, b / 10.0); /* bucket b holds [10^((b-1)/10), 10^(b/10)) us */
        if (!out->position_check_p50_us && acc * 2 >= total) out->position_check_p50_us = upper;
        if (!out->position_check_p99_us && acc * 100 >= total * 99) {
            out->position_check_p99_us = upper;
            break;
        }
    }
    out->position_check_max_us = cp->check_max_us;
    cp_unlock_flush(cp, NULL);
}
