/*
 * events.c - gate passages and badge events: checked where they enter,
 * matched with appointments, stored, then applied to the live state; and
 * the rebuild of that state from the event store at open.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "closedpark/internal.h"

#define MS_2000 946684800000LL
#define MS_2100 4102444800000LL

static bool park_source(const char *s) {
    return !s || !*s || !strcmp(s, "PARK");
}

static int refuse(uint64_t *counter, char *why, size_t cap, const char *msg, const char *arg) {
    if (counter) (*counter)++;
    cp_errf(why, cap, "%s%s", msg, arg ? arg : "");
    return 1;
}

static bool get_ts(json_t *ev, int64_t *ts) {
    json_t *v = json_object_get(ev, "ts");
    double d = json_is_integer(v) ? (double)json_integer_value(v) : json_number_value(v);
    if (!json_is_number(v) || !(d >= MS_2000 && d < MS_2100)) return false;
    *ts = (int64_t)d;
    return true;
}

/* An optional string member: absent or null is "", else checked. */
static bool opt_text(json_t *ev, const char *key, size_t max, const char **out) {
    json_t *v = json_object_get(ev, key);
    *out = "";
    if (!v || json_is_null(v)) return true;
    if (!json_is_string(v) || !cp_text_ok(json_string_value(v), max)) return false;
    *out = json_string_value(v);
    return true;
}

json_t *cp_presence_json(const cp_vehicle *v) {
    json_t *flags = json_array();
    for (int k = 0; k < CPK_COUNT; k++)
        if (v->active[k] && (k == CPK_NO_APPOINTMENT || k == CPK_CARGO_MISMATCH))
            json_array_append_new(flags, json_string(cp_kind_names[k]));
    json_t *o = json_object();
    json_object_set_new(o, "plate", json_string(v->plate));
    json_object_set_new(o, "inside", json_boolean(v->inside));
    json_object_set_new(o, "since", json_integer(v->since));
    json_object_set_new(o, "gate", json_string(v->gate));
    json_object_set_new(o, "appointment", v->appt[0] ? json_string(v->appt) : json_null());
    json_object_set_new(o, "enterprise", json_string(v->enterprise));
    json_object_set_new(o, "hazard_class", json_string(v->hazard_class));
    json_object_set_new(o, "un_number", json_string(v->un_number));
    json_object_set_new(o, "cargo", json_string(v->cargo));
    json_object_set_new(o, "mass_kg", isnan(v->mass_kg) ? json_null() : json_real(v->mass_kg));
    json_object_set_new(o, "flags", flags);
    return o;
}

static void count_passage(closedpark *cp, int64_t ts, bool in) {
    int64_t day = cp_day_of(ts);
    if (day > cp->today) cp->today = day, cp->passages_in = cp->passages_out = 0;
    if (day == cp->today) in ? cp->passages_in++ : cp->passages_out++;
}

/* ---- gate passages ---- */

static int take_passage(closedpark *cp, const char *src, json_t *ev, int64_t recv, char *why,
                        size_t cap, cp_pending *pend) {
    int64_t ts;
    const char *gate = json_string_value(json_object_get(ev, "gate"));
    const char *dir = json_string_value(json_object_get(ev, "direction"));
    const char *plate = json_string_value(json_object_get(ev, "plate"));
    const char *hc, *un, *cargo, *ent, *vt, *driver;
    if (!park_source(src))
        return refuse(&cp->c.wrong_source, why, cap, "gates are the park's: not reported by ", src);
    if (!get_ts(ev, &ts)) return refuse(&cp->c.bad_event, why, cap, "ts: ms (2000..2100)", NULL);
    if (!gate || !cp_is_gate(cp, gate, NULL) || strlen(gate) > 100)
        return refuse(&cp->c.unknown_gate, why, cap, "unknown gate ", gate ? gate : "(none)");
    if (!dir || (strcmp(dir, "in") && strcmp(dir, "out")))
        return refuse(&cp->c.bad_event, why, cap, "direction: \"in\" or \"out\"", NULL);
    if (!cp_plate_ok(plate))
        return refuse(&cp->c.bad_event, why, cap, "plate: 2..16 characters", NULL);
    if (!opt_text(ev, "hazard_class", CP_CLASS_MAX, &hc) || (*hc && !cp_hazard_class_ok(hc)))
        return refuse(&cp->c.bad_event, why, cap, "hazard_class: a GB 6944 class", NULL);
    if (!opt_text(ev, "un_number", 4, &un) || (*un && !cp_un_number_ok(un)))
        return refuse(&cp->c.bad_event, why, cap, "un_number: 4 digits", NULL);
    if (!opt_text(ev, "cargo", CP_TEXT_MAX, &cargo) ||
        !opt_text(ev, "enterprise", CP_ENT_MAX, &ent) ||
        !opt_text(ev, "vehicle_type", CP_TEXT_MAX, &vt) ||
        !opt_text(ev, "driver", CP_TEXT_MAX, &driver))
        return refuse(&cp->c.bad_event, why, cap,
                      "cargo, enterprise, vehicle_type, driver: short strings", NULL);
    json_t *mj = json_object_get(ev, "mass_kg");
    double mass = NAN;
    if (mj && !json_is_null(mj)) {
        mass = json_number_value(mj);
        if (!json_is_number(mj) || !(mass >= 0 && mass <= CLOSEDPARK_MASS_MAX_KG))
            return refuse(&cp->c.bad_event, why, cap, "mass_kg: 0..100000", NULL);
    }
    bool in = !strcmp(dir, "in");

    cp_vehicle *v = cp_vehicle_get(cp, plate, false);
    bool created = false;
    if (!v) {
        v = cp_vehicle_get(cp, plate, true);
        created = v != NULL;
    }
    bool stale = v && !created && ts < v->changed;
    cp_appt *a = NULL;
    if (in)
        a = cp_appt_match(cp, plate, ts);
    else if (v && v->appt[0])
        a = cp_map_get(&cp->appts, v->appt);
    if (!in && !a) a = cp_appt_match(cp, plate, ts);
    bool hazmat = *hc || *un;
    bool no_appt = in && !a && hazmat;
    json_t *mism = json_array();
    if (in && a) {
        if (*hc && strcmp(hc, a->hazard_class))
            json_array_append_new(mism, json_string("hazard_class"));
        if (*un && strcmp(un, a->un_number)) json_array_append_new(mism, json_string("un_number"));
        if (*cargo && a->cargo[0] && strcasecmp(cargo, a->cargo))
            json_array_append_new(mism, json_string("cargo"));
    }
    size_t n_mism = json_array_size(mism);
    bool mismatch = n_mism > 0;

    /* The state after, built aside: nothing changes unless the store takes it. */
    cp_vehicle next = v ? *v : (cp_vehicle){.mass_kg = NAN};
    if (!v) snprintf(next.plate, sizeof next.plate, "%s", plate);
    cp_appt an = a ? *a : (cp_appt){0};
    bool appt_changes = false;
    if (!stale) {
        next.inside = in, next.since = next.changed = ts;
        snprintf(next.gate, sizeof next.gate, "%s", gate);
        snprintf(next.appt, sizeof next.appt, "%s", a ? a->id : "");
        snprintf(next.enterprise, sizeof next.enterprise, "%s", a ? a->enterprise : ent);
        snprintf(next.hazard_class, sizeof next.hazard_class, "%s",
                 *hc || !a ? hc : a->hazard_class);
        snprintf(next.un_number, sizeof next.un_number, "%s", *un || !a ? un : a->un_number);
        snprintf(next.cargo, sizeof next.cargo, "%s", *cargo || !a ? cargo : a->cargo);
        next.mass_kg = !isnan(mass) || !a ? mass : a->mass_kg;
        for (int k = 0; k < CPK_COUNT; k++) next.active[k] = false;
        next.active[CPK_NO_APPOINTMENT] = no_appt, next.active[CPK_CARGO_MISMATCH] = mismatch;
        if (in && a && a->state == CP_APPT_BOOKED)
            an.state = CP_APPT_INSIDE, an.entered = an.changed = ts, appt_changes = true;
        if (!in && a && a->state == CP_APPT_INSIDE)
            an.state = CP_APPT_DONE, an.left = an.changed = ts, appt_changes = true;
    }
    json_t *check = json_pack("{s:b, s:o, s:b, s:b, s:o, s:b, s:b}", "matched", a != NULL,
                              "appointment", a ? json_string(a->id) : json_null(), "no_appointment",
                              no_appt, "cargo_mismatch", mismatch, "mismatch", mism,
                              "position_without_passage", v && v->no_passage && in, "stale", stale);
    json_t *body = json_deep_copy(ev);
    json_object_set_new(body, "check", check);
    char e_veh[CP_PLATE_MAX + 16], e_gate[128], e_appt[CP_APPT_ID_MAX + 16];
    snprintf(e_veh, sizeof e_veh, "vehicle:%s", plate);
    snprintf(e_gate, sizeof e_gate, "gate:%s", gate);
    if (a) snprintf(e_appt, sizeof e_appt, "appointment:%s", a->id);
    char *b0 = cp_dump(body), *b1 = NULL, *b2 = NULL;
    json_decref(body);
    const char *owner = a ? a->enterprise : ent;
    ev_record r[3] = {{.ts_ms = ts,
                       .recv_ms = recv,
                       .kind = "gate_passage",
                       .enterprise = owner,
                       .entities = {e_veh, e_gate, a ? e_appt : NULL},
                       .n_entities = a ? 3 : 2,
                       .body = b0,
                       .body_len = b0 ? strlen(b0) : 0}};
    size_t n = 1;
    if (!stale && v) {
        json_t *pj = cp_presence_json(&next);
        b1 = cp_dump(pj);
        json_decref(pj);
        r[n++] = (ev_record){.ts_ms = ts,
                             .recv_ms = recv,
                             .kind = "vehicle",
                             .enterprise = next.enterprise,
                             .entities = {e_veh},
                             .n_entities = 1,
                             .body = b1,
                             .body_len = b1 ? strlen(b1) : 0,
                             .state_of_first = true};
    }
    if (appt_changes) {
        b2 = cp_appt_body(cp, &an);
        r[n++] = (ev_record){.ts_ms = ts,
                             .recv_ms = recv,
                             .kind = "appointment",
                             .enterprise = an.enterprise,
                             .entities = {e_appt, e_veh},
                             .n_entities = 2,
                             .body = b2,
                             .body_len = b2 ? strlen(b2) : 0,
                             .state_of_first = true};
    }
    int rc = -1;
    if (b0 && (n < 2 || b1) && (!appt_changes || b2)) rc = cp_store(cp, r, n, why, cap);
    free(b0), free(b1), free(b2);
    if (rc) {
        if (created) cp_vehicle_forget(cp, v);
        if (rc > 0) cp->c.bad_event++;
        return rc;
    }
    cp->c.passages++;
    count_passage(cp, ts, in);
    if (stale) {
        cp->c.stale_passages++;
        return 0;
    }
    if (appt_changes)
        a->state = an.state, a->entered = an.entered, a->left = an.left, a->changed = an.changed;
    if (!v) return 0; /* the table is full: stored, not tracked */
    /* Raised at the entry; every condition of the vehicle cleared at its exit. */
    if (!in) cp_vehicle_clear_all(cp, v, ts, pend);
    cp_vehicle_set(cp, v, CPK_NO_APPOINTMENT, no_appt, 1, 0, ts, pend);
    cp_vehicle_set(cp, v, CPK_CARGO_MISMATCH, mismatch, (double)n_mism, 0, ts, pend);
    /* Copy the presence; the position, its track and the timers stay. */
    v->inside = next.inside, v->since = next.since, v->changed = next.changed;
    memcpy(v->gate, next.gate, sizeof v->gate), memcpy(v->appt, next.appt, sizeof v->appt);
    memcpy(v->enterprise, next.enterprise, sizeof v->enterprise);
    memcpy(v->hazard_class, next.hazard_class, sizeof v->hazard_class);
    memcpy(v->un_number, next.un_number, sizeof v->un_number);
    memcpy(v->cargo, next.cargo, sizeof v->cargo);
    v->mass_kg = next.mass_kg;
    if (in) v->no_passage = false;
    return 0;
}

/* ---- badges ---- */

/* Changes one membership of p: 1 changed, 0 a duplicate "in", -1 an "out"
 * for someone not inside (or no room). */
static int member_change(cp_person *p, size_t zone, bool in, int64_t ts, bool by_position) {
    size_t m = 0;
    while (m < p->n_in && p->in[m].zone != zone) m++;
    if (in) {
        if (m < p->n_in) return 0;
        if (p->n_in == CP_PERSON_ZONES) return -1;
        p->in[p->n_in++] = (cp_membership){zone, ts, by_position};
    } else {
        if (m == p->n_in) return -1;
        p->in[m] = p->in[--p->n_in];
    }
    p->changed = ts;
    return 1;
}

int cp_person_apply(closedpark *cp, cp_person *p, size_t zone, bool in, int64_t ts,
                    bool by_position, cp_pending *pend) {
    int rc = member_change(p, zone, in, ts, by_position);
    if (rc == 1) {
        cp_area *z = &cp->zones[zone];
        if (in)
            z->count++;
        else if (z->count)
            z->count--;
        cp_zone_judge(cp, z, ts, pend);
    }
    return rc;
}

void cp_person_state_json(const closedpark *cp, const cp_person *p, json_t *o) {
    json_t *zones = json_array();
    for (size_t i = 0; i < p->n_in; i++)
        json_array_append_new(
            zones, json_pack("{s:s, s:I, s:b}", "zone", cp->zones[p->in[i].zone].id, "since",
                             (json_int_t)p->in[i].since, "by_position", p->in[i].by_position));
    json_object_set_new(o, "zones", zones);
    if (p->name[0] && !json_object_get(o, "name"))
        json_object_set_new(o, "name", json_string(p->name));
}

static int take_badge(closedpark *cp, const char *src, json_t *ev, int64_t recv, char *why,
                      size_t cap, cp_pending *pend) {
    int64_t ts;
    const char *zid = json_string_value(json_object_get(ev, "zone"));
    const char *person = json_string_value(json_object_get(ev, "person"));
    const char *dir = json_string_value(json_object_get(ev, "direction"));
    const char *name;
    cp_area *z = zid ? cp_map_get(&cp->zone_by_id, zid) : NULL;
    if (!get_ts(ev, &ts)) return refuse(&cp->c.bad_event, why, cap, "ts: ms (2000..2100)", NULL);
    if (!z) return refuse(&cp->c.unknown_zone, why, cap, "unknown zone ", zid ? zid : "(none)");
    if (!park_source(src) && strcmp(src, z->enterprise))
        return refuse(&cp->c.wrong_source, why, cap, "the zone is not the reporter's: ", src);
    if (!person || !*person || !cp_text_ok(person, CP_ID_MAX) || strpbrk(person, "/:"))
        return refuse(&cp->c.bad_event, why, cap, "person: a badge id of 1..64 bytes", NULL);
    if (!dir || (strcmp(dir, "in") && strcmp(dir, "out")))
        return refuse(&cp->c.bad_event, why, cap, "direction: \"in\" or \"out\"", NULL);
    if (!opt_text(ev, "name", CP_TEXT_MAX, &name))
        return refuse(&cp->c.bad_event, why, cap, "name: at most 64 bytes", NULL);
    cp_person *p = cp_person_get(cp, person, true);
    if (!p) return refuse(&cp->c.rejected_full, why, cap, "too many people tracked", NULL);
    bool in = !strcmp(dir, "in"), stale = ts < p->changed;
    size_t zi = (size_t)(z - cp->zones);
    cp_person next = *p;
    int change = stale ? 0 : member_change(&next, zi, in, ts, false);
    if (*name) snprintf(next.name, sizeof next.name, "%s", name);
    json_t *body = json_deep_copy(ev);
    json_object_set_new(body, "source", json_string("badge"));
    cp_person_state_json(cp, &next, body);
    char *b = cp_dump(body);
    json_decref(body);
    char e0[CP_ID_MAX + 16], e1[160];
    snprintf(e0, sizeof e0, "person:%s", person);
    snprintf(e1, sizeof e1, "zone:%s", z->id);
    ev_record r = {.ts_ms = ts,
                   .recv_ms = recv,
                   .kind = "badge",
                   .enterprise = z->enterprise,
                   .entities = {e0, e1},
                   .n_entities = 2,
                   .body = b,
                   .body_len = b ? strlen(b) : 0,
                   .state_of_first = !stale};
    int rc = b ? cp_store(cp, &r, 1, why, cap) : -1;
    free(b);
    if (rc) {
        if (!p->n_in && !p->seen) {
            cp_map_del(&cp->people, p->badge);
            free(p);
        }
        if (rc > 0) cp->c.bad_event++;
        return rc;
    }
    cp->c.badges++;
    if (*name) snprintf(p->name, sizeof p->name, "%s", name);
    if (ts > p->seen) p->seen = ts;
    if (stale) return 0;
    if (change == 0 && in) cp->c.badge_duplicates++;
    if (change < 0) cp->c.badge_anomalies++;
    if (change == 1) cp_person_apply(cp, p, zi, in, ts, false, pend);
    return 0;
}

int closedpark_take_event(closedpark *cp, const char *source_enterprise, json_t *ev,
                          int64_t recv_ms, char *why, size_t whycap) {
    if (recv_ms < 0) recv_ms = 0; /* 0: the store's clock */
    const char *type = json_string_value(json_object_get(ev, "type"));
    cp_pending p = {0};
    cp_lock(cp);
    int rc;
    if (!json_is_object(ev) || !type)
        rc = refuse(&cp->c.bad_event, why, whycap, "an event is an object with a type", NULL);
    else if (!strcmp(type, "gate_passage"))
        rc = take_passage(cp, source_enterprise, ev, recv_ms, why, whycap, &p);
    else if (!strcmp(type, "badge"))
        rc = take_badge(cp, source_enterprise, ev, recv_ms, why, whycap, &p);
    else
        rc = refuse(&cp->c.bad_event, why, whycap, "not a closed-park event type: ", type);
    cp_unlock_flush(cp, &p);
    return rc;
}
