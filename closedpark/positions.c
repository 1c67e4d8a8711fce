/*
 * positions.c - vehicle and person positions: the plausibility checks
 * (inside the park, no jump), the vehicles' live track and conditions
 * (off route, speeding, restricted zone, stopped), zone membership by tag
 * position, and the timed half of those conditions (the tick).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "closedpark/internal.h"

#define MS_2000              946684800000LL
#define MS_2100              4102444800000LL
#define NO_PASSAGE_FORGET_MS 3600000LL      /* a vehicle seen only by positions, silent this long */
#define LEFT_QUIET_MS        (10 * 60000LL) /* positions after an exit: leaving, not arriving */
#define MATCH_RETRY_MS       60000LL

static bool in_extent(const closedpark *cp, double x, double y, double margin) {
    return x >= cp->extent[0] - margin && x <= cp->extent[2] + margin &&
           y >= cp->extent[1] - margin && y <= cp->extent[3] + margin;
}

/* The distance to a route: roads/' scan of its polyline (no hint: the way
 * in and the way back are both asked, and a whole scan is exact). */
static double route_dist(const cp_route *r, double x, double y) {
    roads_route view = {.xy = r->xy, .n_points = r->n};
    return roads_route_distance(&view, x, y, NULL);
}

static void track_push(closedpark *cp, cp_vehicle *v, int64_t ts) {
    (void)cp;
    if (!v->ring && !(v->ring = malloc(CLOSEDPARK_TRACK_POINTS * sizeof *v->ring))) return;
    size_t i = (v->ring_head + v->ring_n) % CLOSEDPARK_TRACK_POINTS;
    v->ring[i] = (cp_track_pt){ts, v->lon, v->lat};
    if (v->ring_n < CLOSEDPARK_TRACK_POINTS)
        v->ring_n++;
    else
        v->ring_head = (v->ring_head + 1) % CLOSEDPARK_TRACK_POINTS;
}

static void judge_stopped(closedpark *cp, cp_vehicle *v, int64_t now, cp_pending *p) {
    bool on = v->slow_since && now - v->slow_since >= cp->o.stopped_ms && v->vpark < 0;
    cp_vehicle_set(cp, v, CPK_STOPPED, on, on ? (double)(now - v->slow_since) / 60000.0 : 0,
                   (double)cp->o.stopped_ms / 60000.0, now, p);
}

/* The checks of a tracked vehicle at its new position. */
static void judge(closedpark *cp, cp_vehicle *v, int64_t ts, cp_pending *p) {
    cp_appt *a = v->appt[0] ? cp_map_get(&cp->appts, v->appt) : NULL;
    if (a && a->route.n >= 2) {
        /* the way in, or the way back out once there */
        double d = route_dist(&a->route, v->x, v->y);
        if (a->back.n >= 2) d = fmin(d, route_dist(&a->back, v->x, v->y));
        if (d > cp->o.off_route_m) {
            if (!v->off_since) v->off_since = ts;
            v->off_m = d;
            if (ts - v->off_since >= cp->o.off_route_ms)
                cp_vehicle_set(cp, v, CPK_OFF_ROUTE, true, d, cp->o.off_route_m, ts, p);
        } else {
            v->off_since = 0;
            cp_vehicle_set(cp, v, CPK_OFF_ROUTE, false, d, cp->o.off_route_m, ts, p);
        }
    }
    roads_position rp;
    if (isfinite(v->speed) && cp->roads &&
        !roads_nearest(cp->roads, v->x, v->y, CLOSEDPARK_SPEEDING_ROAD_M, &rp) && rp.road >= 0) {
        double limit = rp.speed_kmh;
        if (cp_vehicle_hazmat(v) && limit > ROADS_HAZMAT_KMH) limit = ROADS_HAZMAT_KMH;
        v->limit_kmh = limit;
        if (v->speed > limit + cp->o.speeding_margin_kmh) {
            if (!v->over_since) v->over_since = ts;
            v->over_kmh = v->speed;
            if (ts - v->over_since >= cp->o.speeding_ms)
                cp_vehicle_set(cp, v, CPK_SPEEDING, true, v->speed, limit, ts, p);
        } else {
            v->over_since = 0;
            cp_vehicle_set(cp, v, CPK_SPEEDING, false, v->speed, limit, ts, p);
        }
    } else if (isfinite(v->speed)) {
        v->over_since = 0; /* off the network: no limit known */
        cp_vehicle_set(cp, v, CPK_SPEEDING, false, v->speed, 0, ts, p);
    }
    bool restricted = false;
    for (size_t i = 0; cp_vehicle_hazmat(v) && !restricted && i < cp->n_zones; i++)
        restricted =
            cp->zones[i].type == CP_ZONE_RESTRICTED && cp_area_contains(&cp->zones[i], v->x, v->y);
    cp_vehicle_set(cp, v, CPK_RESTRICTED, restricted, restricted ? 1 : 0, 0, ts, p);
    long park = -1;
    for (size_t i = 0; park < 0 && i < cp->n_vparks; i++)
        if (cp_area_contains(&cp->vparks[i], v->x, v->y)) park = (long)i;
    if (park != v->vpark) v->vpark = park, v->vpark_since = park >= 0 ? ts : 0;
    if (isfinite(v->speed)) {
        if (v->speed < cp->o.stopped_kmh) {
            if (!v->slow_since) v->slow_since = ts;
        } else {
            v->slow_since = 0;
        }
    }
    judge_stopped(cp, v, ts, p);
}

static double mono_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

void cp_check_time(closedpark *cp, double us) {
    int b = us > 1 ? (int)(10 * log10(us)) + 1 : 0;
    cp->check_hist[b >= CP_CHECK_BUCKETS ? CP_CHECK_BUCKETS - 1 : b < 0 ? 0 : b]++;
    if (us > cp->check_max_us) cp->check_max_us = us;
}

int closedpark_vehicle_position(closedpark *cp, const char *plate, int64_t ts_ms, double lat,
                                double lon, double speed_kmh, double heading_deg) {
    double t0 = mono_us();
    double x, y;
    if (!cp_plate_ok(plate) || !(lat >= -90 && lat <= 90) || !(lon >= -180 && lon <= 180) ||
        ts_ms < MS_2000 || ts_ms >= MS_2100 || geo_project(cp->g, lon, lat, &x, &y)) {
        cp_lock(cp);
        cp->c.rejected_bad++;
        cp_unlock_flush(cp, NULL);
        return 1;
    }
    if (!(speed_kmh >= 0 && speed_kmh < 1000)) speed_kmh = NAN;
    if (isfinite(heading_deg)) {
        heading_deg = fmod(heading_deg, 360.0);
        if (heading_deg < 0) heading_deg += 360.0;
    } else {
        heading_deg = NAN;
    }
    cp_pending p = {0};
    cp_lock(cp);
    int rc = 1;
    cp_vehicle *v = NULL;
    if (!in_extent(cp, x, y, CLOSEDPARK_EXTENT_MARGIN_M)) {
        cp->c.rejected_out_of_park++;
        goto out;
    }
    if (!(v = cp_vehicle_get(cp, plate, true))) {
        cp->c.rejected_full++;
        goto out;
    }
    if (v->has_pos) {
        if (ts_ms < v->pos_ts) {
            cp->c.rejected_old++;
            goto out;
        }
        if (ts_ms == v->pos_ts) { /* a repeat */
            rc = 0;
            goto out;
        }
        double d = hypot(x - v->x, y - v->y), dt = (double)(ts_ms - v->pos_ts) / 1000.0;
        if (d / dt * 3.6 > cp->o.max_speed_kmh) {
            cp->c.rejected_jump++;
            goto out;
        }
        if (isnan(speed_kmh) && dt >= 1) speed_kmh = d / dt * 3.6;
    }
    rc = 0;
    cp->c.positions++;
    v->has_pos = true, v->pos_ts = ts_ms;
    v->lon = lon, v->lat = lat, v->x = x, v->y = y, v->speed = speed_kmh, v->heading = heading_deg;
    track_push(cp, v, ts_ms);
    bool left_lately = v->changed && !v->inside && ts_ms - v->changed < LEFT_QUIET_MS;
    if (!v->inside && !v->no_passage && !left_lately && in_extent(cp, x, y, 0)) {
        v->no_passage = true;
        cp->c.no_passage++;
    }
    if (v->no_passage && !v->appt[0] && ts_ms - v->match_tried >= MATCH_RETRY_MS) {
        /* A late gate event: the appointment for now gives the route and the cargo
         * (looked for once a minute: it is a scan of the appointments). */
        v->match_tried = ts_ms;
        cp_appt *a = cp_appt_match(cp, plate, ts_ms);
        if (a) {
            snprintf(v->appt, sizeof v->appt, "%s", a->id);
            snprintf(v->enterprise, sizeof v->enterprise, "%s", a->enterprise);
            snprintf(v->hazard_class, sizeof v->hazard_class, "%s", a->hazard_class);
            snprintf(v->un_number, sizeof v->un_number, "%s", a->un_number);
            snprintf(v->cargo, sizeof v->cargo, "%s", a->cargo);
            v->mass_kg = a->mass_kg;
        }
    }
    if (v->inside || v->no_passage) judge(cp, v, ts_ms, &p);
out:
    if (v && !v->has_pos && !v->changed) cp_vehicle_forget(cp, v); /* created for nothing */
    cp_check_time(cp, mono_us() - t0);
    cp_unlock_flush(cp, &p);
    return rc;
}

/* ---- people ---- */

int closedpark_person_position(closedpark *cp, const char *badge, int64_t ts_ms, double lat,
                               double lon) {
    double x, y;
    bool ok = badge && *badge && cp_text_ok(badge, CP_ID_MAX) && !strpbrk(badge, "/:") &&
              lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180 && ts_ms >= MS_2000 &&
              ts_ms < MS_2100 && !geo_project(cp->g, lon, lat, &x, &y);
    cp_pending pend = {0};
    cp_lock(cp);
    int rc = 1;
    if (!ok) {
        cp->c.rejected_bad++;
        goto out;
    }
    if (!in_extent(cp, x, y, CLOSEDPARK_EXTENT_MARGIN_M)) {
        cp->c.rejected_out_of_park++;
        goto out;
    }
    cp_person *p = cp_person_get(cp, badge, true);
    if (!p) {
        cp->c.rejected_full++;
        goto out;
    }
    if (p->has_pos && ts_ms < p->pos_ts) {
        cp->c.rejected_old++;
        goto out;
    }
    rc = 0;
    cp->c.person_positions++;
    p->has_pos = true, p->pos_ts = ts_ms, p->lon = lon, p->lat = lat, p->x = x, p->y = y;
    if (ts_ms > p->seen) p->seen = ts_ms;
    if (ts_ms < p->changed) goto out; /* older than the last membership change */
    /* Membership by position: in where the point is; out only of the zones
     * entered by position (a badge's zone may have no tag coverage). */
    size_t zone[2 * CP_PERSON_ZONES];
    bool in[2 * CP_PERSON_ZONES];
    size_t n = 0;
    cp_person next = *p;
    for (size_t i = 0; i < next.n_in && n < 2 * CP_PERSON_ZONES; i++)
        if (next.in[i].by_position && !cp_area_contains(&cp->zones[next.in[i].zone], x, y))
            zone[n] = next.in[i].zone, in[n++] = false;
    for (size_t i = 0; i < cp->n_zones && n < 2 * CP_PERSON_ZONES; i++) {
        if (!cp_area_contains(&cp->zones[i], x, y)) continue;
        bool member = false;
        for (size_t k = 0; k < next.n_in; k++) member |= next.in[k].zone == i;
        if (!member) zone[n] = i, in[n++] = true;
    }
    if (!n) goto out;
    cp_person after = next;
    size_t applied = 0;
    for (size_t k = 0; k < n; k++) {
        /* Mirror of cp_person_apply on a copy, for the stored state. */
        size_t m = 0;
        while (m < after.n_in && after.in[m].zone != zone[k]) m++;
        if (in[k] && m == after.n_in && after.n_in < CP_PERSON_ZONES)
            after.in[after.n_in++] = (cp_membership){zone[k], ts_ms, true}, applied++;
        else if (!in[k] && m < after.n_in)
            after.in[m] = after.in[--after.n_in], applied++;
        else
            zone[k] = SIZE_MAX; /* no room: left as it is */
    }
    if (!applied) goto out;
    ev_record r[2 * CP_PERSON_ZONES];
    char *bodies[2 * CP_PERSON_ZONES] = {0};
    char e0[CP_ID_MAX + 16], e1[2 * CP_PERSON_ZONES][160];
    snprintf(e0, sizeof e0, "person:%s", badge);
    size_t nr = 0;
    for (size_t k = 0; k < n; k++) {
        if (zone[k] == SIZE_MAX) continue;
        const cp_area *z = &cp->zones[zone[k]];
        json_t *o = json_pack("{s:s, s:I, s:s, s:s, s:s, s:s}", "type", "badge", "ts",
                              (json_int_t)ts_ms, "zone", z->id, "person", badge, "direction",
                              in[k] ? "in" : "out", "source", "position");
        cp_person_state_json(cp, &after, o);
        bodies[nr] = cp_dump(o);
        json_decref(o);
        snprintf(e1[nr], sizeof e1[nr], "zone:%s", z->id);
        r[nr] = (ev_record){.ts_ms = ts_ms,
                            .kind = "badge",
                            .enterprise = z->enterprise,
                            .entities = {e0, e1[nr]},
                            .n_entities = 2,
                            .body = bodies[nr],
                            .body_len = bodies[nr] ? strlen(bodies[nr]) : 0,
                            .state_of_first = true};
        if (!bodies[nr]) rc = -1;
        nr++;
    }
    if (rc == 0) rc = cp_store(cp, r, nr, NULL, 0) ? -1 : 0;
    for (size_t k = 0; k < nr; k++) free(bodies[k]);
    if (rc) goto out;
    for (size_t k = 0; k < n; k++)
        if (zone[k] != SIZE_MAX) cp_person_apply(cp, p, zone[k], in[k], ts_ms, true, &pend);
out:
    cp_unlock_flush(cp, &pend);
    return rc;
}

/* ---- the tick ---- */

void cp_positions_tick(closedpark *cp, int64_t now, cp_pending *p) {
    for (size_t i = 0; i < cp->vehicles.cap;) {
        cp_vehicle *v = cp->vehicles.vals[i];
        if (!cp->vehicles.keys[i]) {
            i++;
            continue;
        }
        bool tracked = v->inside || v->no_passage;
        if (tracked && v->off_since && now - v->off_since >= cp->o.off_route_ms)
            cp_vehicle_set(cp, v, CPK_OFF_ROUTE, true, v->off_m, cp->o.off_route_m, now, p);
        if (tracked && v->over_since && now - v->over_since >= cp->o.speeding_ms)
            cp_vehicle_set(cp, v, CPK_SPEEDING, true, v->over_kmh, v->limit_kmh, now, p);
        if (tracked) judge_stopped(cp, v, now, p);
        bool forget = (v->no_passage && !v->inside && v->pos_ts < now - NO_PASSAGE_FORGET_MS) ||
                      (!tracked && v->changed < now - CP_DAY_MS &&
                       (!v->has_pos || v->pos_ts < now - cp->o.track_ms));
        if (forget) {
            cp_vehicle_clear_all(cp, v, now, p);
            cp_vehicle_forget(cp, v); /* may shift another entry into slot i */
            continue;
        }
        i++;
    }
    for (size_t i = 0; i < cp->people.cap;) {
        cp_person *q = cp->people.vals[i];
        if (!cp->people.keys[i]) {
            i++;
            continue;
        }
        if (q->seen < now - cp->o.lost_out_ms) {
            /* A lost "out": nobody stays 16 h without a badge or a position. */
            if (q->n_in) cp->c.lost_outs++;
            while (q->n_in) cp_person_apply(cp, q, q->in[0].zone, false, now, false, p);
            cp_map_del(&cp->people, q->badge);
            free(q);
            continue;
        }
        i++;
    }
}
