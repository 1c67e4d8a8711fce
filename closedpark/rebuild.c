/*
 * rebuild.c - the live state at open, from the event store: appointments
 * (their ids carry their booking day, so the live ones are those of the
 * last 15 days: booked at most 7 days ahead for a window of at most 7
 * days), the vehicles' presences, the people's zones, today's passages.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "closedpark/internal.h"

#define APPT_DAYS 15

static json_t *body_of(const ev_event *e) {
    return json_loadb(e->body, e->body_len, 0, NULL);
}

static void keep_appt(closedpark *cp, cp_appt *a, int64_t now) {
    cp_appt *old = cp_map_get(&cp->appts, a->id);
    bool live = a->state <= CP_APPT_INSIDE || a->changed >= now - CP_DAY_MS;
    if (old || !live || cp_map_put(&cp->appts, a->id, a)) cp_appt_free(a);
}

static int load_appts(closedpark *cp, int64_t now, char *err, size_t errcap) {
    int64_t today = cp_day_of(now);
    cp->seq_day = today, cp->seq = 0;
    for (int64_t d = today - APPT_DAYS; d <= today; d++) {
        time_t t = (time_t)(d * 86400);
        struct tm tm;
        gmtime_r(&t, &tm);
        char prefix[48];
        snprintf(prefix, sizeof prefix, "appointment:A%04d%02d%02d-", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday);
        ev_list l = {0};
        char e[200];
        if (ev_state_at(cp->ev, prefix, now, NULL, 10000, &l, e, sizeof e) != EV_OK) {
            cp_errf(err, errcap, "closedpark: reading appointments: %s", e);
            return -1;
        }
        for (size_t i = 0; i < l.n; i++) {
            if (strcmp(l.v[i].kind, "appointment")) continue;
            json_t *o = body_of(&l.v[i]);
            cp_appt *a = o ? cp_appt_from_json(cp, o) : NULL;
            json_decref(o);
            if (!a) continue;
            unsigned seq = 0;
            const char *dash = strchr(a->id, '-');
            if (d == today && dash && sscanf(dash + 1, "%u", &seq) == 1 && seq > cp->seq)
                cp->seq = seq;
            keep_appt(cp, a, now);
        }
        ev_list_free(&l);
    }
    return 0;
}

static void copy_str(json_t *o, const char *key, char *dst, size_t cap) {
    const char *s = json_string_value(json_object_get(o, key));
    snprintf(dst, cap, "%s", s ? s : "");
}

static void presence(closedpark *cp, const ev_event *e, int64_t now, cp_pending *p) {
    if (strcmp(e->kind, "vehicle") || !e->n_entities || strncmp(e->entities[0], "vehicle:", 8))
        return;
    json_t *o = body_of(e);
    const char *plate = e->entities[0] + 8;
    bool inside = json_is_true(json_object_get(o, "inside"));
    cp_vehicle *old = cp_vehicle_get(cp, plate, false);
    if (!o || !cp_plate_ok(plate) || (old && old->changed >= e->ts_ms) ||
        (!inside && e->ts_ms < now - CP_DAY_MS)) {
        json_decref(o);
        return;
    }
    cp_vehicle *v = old ? old : cp_vehicle_get(cp, plate, true);
    if (v) {
        v->inside = inside, v->since = v->changed = e->ts_ms;
        copy_str(o, "gate", v->gate, sizeof v->gate);
        copy_str(o, "appointment", v->appt, sizeof v->appt);
        copy_str(o, "enterprise", v->enterprise, sizeof v->enterprise);
        copy_str(o, "hazard_class", v->hazard_class, sizeof v->hazard_class);
        copy_str(o, "un_number", v->un_number, sizeof v->un_number);
        copy_str(o, "cargo", v->cargo, sizeof v->cargo);
        json_t *m = json_object_get(o, "mass_kg");
        v->mass_kg = json_is_number(m) ? json_number_value(m) : NAN;
        json_t *flags = json_object_get(o, "flags"), *f;
        size_t i;
        bool na = false, mm = false;
        json_array_foreach(flags, i, f) {
            const char *s = json_string_value(f);
            na |= s && !strcmp(s, "no_appointment");
            mm |= s && !strcmp(s, "cargo_mismatch");
        }
        cp_vehicle_set(cp, v, CPK_NO_APPOINTMENT, inside && na, 1, 0, e->ts_ms, p);
        cp_vehicle_set(cp, v, CPK_CARGO_MISMATCH, inside && mm, 1, 0, e->ts_ms, p);
    }
    json_decref(o);
}

static int load_vehicles(closedpark *cp, int64_t now, cp_pending *p, char *err, size_t errcap) {
    ev_list l = {0};
    char e[200];
    if (ev_state_at(cp->ev, "vehicle:", now, NULL, 0, &l, e, sizeof e) != EV_OK) {
        cp_errf(err, errcap, "closedpark: reading vehicles: %s", e);
        return -1;
    }
    for (size_t i = 0; i < l.n; i++) presence(cp, &l.v[i], now, p);
    bool truncated = l.truncated;
    ev_list_free(&l);
    if (truncated) {
        /* More plates than one answer holds: the last day's changes at least. */
        ev_filter f = {.kind = "vehicle"};
        if (ev_query_time(cp->ev, now - CP_DAY_MS, now + 1, &f, 100000, &l, e, sizeof e) != EV_OK) {
            cp_errf(err, errcap, "closedpark: reading vehicles: %s", e);
            return -1;
        }
        for (size_t i = 0; i < l.n; i++) presence(cp, &l.v[i], now, p);
        ev_list_free(&l);
    }
    /* The vehicles of appointments inside, should the answers have missed them. */
    for (size_t i = 0; i < cp->appts.cap; i++) {
        cp_appt *a = cp->appts.vals[i];
        if (!cp->appts.keys[i] || a->state != CP_APPT_INSIDE || cp_vehicle_get(cp, a->plate, false))
            continue;
        char prefix[CP_PLATE_MAX + 16];
        snprintf(prefix, sizeof prefix, "vehicle:%s", a->plate);
        if (ev_state_at(cp->ev, prefix, now, NULL, 16, &l, e, sizeof e) != EV_OK) continue;
        for (size_t k = 0; k < l.n; k++)
            if (!strcmp(l.v[k].entities[0], prefix)) presence(cp, &l.v[k], now, p);
        ev_list_free(&l);
    }
    return 0;
}

static void person_state(closedpark *cp, const ev_event *e, int64_t now, cp_pending *p) {
    if (strcmp(e->kind, "badge") || !e->n_entities || strncmp(e->entities[0], "person:", 7) ||
        e->ts_ms < now - cp->o.lost_out_ms)
        return;
    json_t *o = body_of(e);
    json_t *zones = json_object_get(o, "zones"), *z;
    size_t i;
    cp_person *q = json_array_size(zones) ? cp_person_get(cp, e->entities[0] + 7, true) : NULL;
    if (q && !q->seen) {
        copy_str(o, "name", q->name, sizeof q->name);
        json_array_foreach(zones, i, z) {
            const char *zid = json_string_value(json_object_get(z, "zone"));
            cp_area *a = zid ? cp_map_get(&cp->zone_by_id, zid) : NULL;
            json_t *since = json_object_get(z, "since");
            if (!a) continue;
            cp_person_apply(cp, q, (size_t)(a - cp->zones), true,
                            json_is_integer(since) ? json_integer_value(since) : e->ts_ms,
                            json_is_true(json_object_get(z, "by_position")), p);
        }
        q->changed = q->seen = e->ts_ms;
    }
    json_decref(o);
}

static int load_people(closedpark *cp, int64_t now, cp_pending *p, char *err, size_t errcap) {
    ev_list l = {0};
    char e[200];
    if (ev_state_at(cp->ev, "person:", now, NULL, 0, &l, e, sizeof e) != EV_OK) {
        cp_errf(err, errcap, "closedpark: reading people: %s", e);
        return -1;
    }
    for (size_t i = 0; i < l.n; i++) person_state(cp, &l.v[i], now, p);
    ev_list_free(&l);
    return 0;
}

static int count_today(closedpark *cp, int64_t now, char *err, size_t errcap) {
    cp->today = cp_day_of(now);
    int64_t start = cp->today * CP_DAY_MS - CP_TZ_MS;
    ev_filter f = {.kind = "gate_passage"};
    ev_list l = {0};
    char e[200];
    if (ev_query_time(cp->ev, start, now + 1, &f, 100000, &l, e, sizeof e) != EV_OK) {
        cp_errf(err, errcap, "closedpark: reading passages: %s", e);
        return -1;
    }
    for (size_t i = 0; i < l.n; i++) {
        json_t *o = body_of(&l.v[i]);
        const char *d = json_string_value(json_object_get(o, "direction"));
        if (d && !strcmp(d, "in"))
            cp->passages_in++;
        else if (d && !strcmp(d, "out"))
            cp->passages_out++;
        json_decref(o);
    }
    ev_list_free(&l);
    return 0;
}

int cp_rebuild(closedpark *cp, int64_t now, cp_pending *p, char *err, size_t errcap) {
    if (load_appts(cp, now, err, errcap) || load_vehicles(cp, now, p, err, errcap) ||
        load_people(cp, now, p, err, errcap) || count_today(cp, now, err, errcap))
        return -1;
    return 0;
}
