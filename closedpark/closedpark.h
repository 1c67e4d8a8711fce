/*
 * closedpark.h - closed-park management (封闭化管理): gates and their
 * passages, appointments of hazardous-goods vehicles with a planned route,
 * vehicles tracked inside the park, the hazardous-goods vehicle park and
 * people in zones. The one public header of closedpark/. The design shared
 * with the other modules is docs/closed-park.md; facts and sources are in
 * docs/reference/special-work-and-closed-park.md.
 *
 * State: every live thing (appointments, vehicles and their last minutes
 * of track, people in zones, the active conditions) is in memory under
 * one mutex. Every change is written to the event store (events.h) first:
 *
 *   kind "appointment"   entities appointment:{id}, vehicle:{plate};
 *                        state_of_first: the body is the appointment
 *   kind "gate_passage"  entities vehicle:{plate}, gate:{gate}
 *                        [, appointment:{id}]; the body is the event as
 *                        received plus "check": {matched, appointment,
 *                        no_appointment, cargo_mismatch, mismatch: [fields],
 *                        position_without_passage, stale}
 *   kind "vehicle"       entity vehicle:{plate}, state_of_first: the
 *                        vehicle's presence {plate, inside, since, gate,
 *                        appointment, enterprise, hazard_class, un_number,
 *                        cargo, mass_kg, flags}
 *   kind "badge"         entities person:{badge}, zone:{zone};
 *                        state_of_first: the body is the event (with
 *                        "source": "badge" or "position") plus the
 *                        person's full state "zones": [{zone, since}]
 *
 * (a gate passage's records go in one atomic append). Positions are not
 * stored here: the historian keeps them as series. closedpark_open
 * rebuilds the live state from the store: the appointments not done,
 * cancelled or expired (ev_state_at "appointment:"), the vehicles inside
 * (ev_state_at "vehicle:") and the people in zones (ev_state_at
 * "person:", dropping those whose last event is older than lost_out_ms).
 *
 * Conditions (common/condition.h; names and priorities in
 * docs/closed-park.md): no_appointment, cargo_mismatch (raised at the
 * entry, cleared when the vehicle leaves), off_route, speeding, stopped,
 * restricted_zone, overstay (vehicles: name "PARK/vehicles/{plate}/{kind}",
 * enterprise "", asset the plate) and over_limit (zones: name
 * "{enterprise or PARK}/zones/{zone}/over_limit", enterprise the zone's,
 * asset the zone id). Each is raised once when it starts and cleared once
 * when it ends. The callback is called outside the module's lock (changes
 * are collected, the lock released, then the callback called), so it may
 * call back into the module.
 *
 * Enterprise scope: every query takes a scope: NULL or "" sees all (park
 * staff, the regulator); an enterprise id sees only its own: appointments
 * to it, vehicles whose appointment (or, without one, whose gate event)
 * names it, zones it owns and the people in them. Another enterprise's
 * appointment or zone is "not found" (CP_ENOTFOUND), never forbidden.
 *
 * Ownership and threads: the module borrows the layout, the road network
 * and the event store given at open; they must outlive it. JSON returned
 * is a new reference the caller releases (json_decref); JSON given is
 * borrowed for the call. Every call may come from any thread.
 *
 * Times are Unix milliseconds. Appointment ids are "A" + the date in the
 * park's time zone (UTC+8) + "-" + a 4-digit sequence of that day
 * ("A20261207-0001").
 */
#ifndef PARKWATCH_CLOSEDPARK_H
#define PARKWATCH_CLOSEDPARK_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/condition.h"
#include "events/events.h"
#include "geo/geo.h"
#include "roads/roads.h"

/* Results; each maps to one HTTP status (closedpark_http_status). */
typedef enum cp_status {
    CP_OK = 0,
    CP_EINVAL,     /* a field is wrong (400); err names it */
    CP_EFORBIDDEN, /* an enterprise acting for another (403) */
    CP_ENOTFOUND,  /* no such appointment, zone or vehicle, or not the scope's (404) */
    CP_ECONFLICT,  /* out of order: cancelling what is inside or done, a full table (409) */
    CP_EIO,        /* the event store (500; 503 for the API) */
    CP_ENOMEM
} cp_status;

const char *cp_status_name(cp_status s);
int closedpark_http_status(cp_status s); /* 200, 400, 403, 404, 409, 500 */

/* ---- defaults (docs/closed-park.md, "Conditions") ---- */

#define CLOSEDPARK_OFF_ROUTE_M      50.0
#define CLOSEDPARK_OFF_ROUTE_MS     30000
#define CLOSEDPARK_SPEEDING_MARGIN  5.0 /* km/h above the limit */
#define CLOSEDPARK_SPEEDING_MS      10000
#define CLOSEDPARK_SPEEDING_ROAD_M  30.0 /* roads_nearest: farther, no limit known */
#define CLOSEDPARK_STOPPED_KMH      2.0
#define CLOSEDPARK_STOPPED_MS       (10 * 60000)
#define CLOSEDPARK_MAX_SPEED_KMH    150.0 /* faster between two positions: a jump */
#define CLOSEDPARK_EXTENT_MARGIN_M  1000.0
#define CLOSEDPARK_GRACE_BEFORE_MS  (30 * 60000) /* a passage this early matches */
#define CLOSEDPARK_OVERSTAY_MS      0            /* after the window's end */
#define CLOSEDPARK_TRACK_MS         (10 * 60000) /* the live layer's track */
#define CLOSEDPARK_TRACK_POINTS     600          /* per vehicle, a ring */
#define CLOSEDPARK_LOST_OUT_MS      (16 * 3600000LL)
#define CLOSEDPARK_MAX_VEHICLES     20000
#define CLOSEDPARK_MAX_PEOPLE       100000
#define CLOSEDPARK_MAX_APPOINTMENTS 100000 /* live (not done, cancelled, expired) */
#define CLOSEDPARK_WINDOW_MAX_MS    (7 * 86400000LL)
#define CLOSEDPARK_BOOK_AHEAD_MS    (7 * 86400000LL) /* window_from at most this ahead */
#define CLOSEDPARK_MASS_MAX_KG      100000.0
#define CLOSEDPARK_LIST_MAX         1000

typedef struct closedpark closedpark;

typedef struct closedpark_options {
    const geo_layout *layout;     /* required: gates, zones, the vehicle park, the extent */
    const roads *roads;           /* NULL: appointments get no route (no off_route check) */
    ev_store *events;             /* required */
    pw_condition_fn on_condition; /* may be NULL */
    void *condition_ctx;
    /* Enterprises appointments may be made to: NULL takes the layout's
     * enterprise features' ids. Copied. */
    const char *const *enterprises;
    size_t n_enterprises;
    /* Thresholds; 0 takes the default above. */
    double off_route_m;
    int64_t off_route_ms;
    double speeding_margin_kmh;
    int64_t speeding_ms;
    double stopped_kmh;
    int64_t stopped_ms;
    double max_speed_kmh;
    int64_t grace_before_ms;
    int64_t overstay_ms;
    int64_t track_ms;
    int64_t lost_out_ms;
    size_t max_vehicles; /* tracked at once; more are rejected ("full") */
    size_t max_people;
    /* The time of the open, for the rebuild (0: the wall clock). */
    int64_t now_ms;
} closedpark_options;

void closedpark_options_default(closedpark_options *o);

/* Opens the module: precomputes the zones' and vehicle parks' rings, the
 * gates and the park's extent (the enterprises' features' bbox union, or
 * all features' when there are none, plus CLOSEDPARK_EXTENT_MARGIN_M), then
 * rebuilds the live state from the event store. Conditions found active
 * in the rebuilt state (no_appointment, cargo_mismatch of the vehicles
 * inside, over_limit) are raised again through the callback before it
 * returns. */
cp_status closedpark_open(const closedpark_options *o, closedpark **out, char *err, size_t errcap);
void closedpark_close(closedpark *cp);

/* ---- appointments ---- */

/* Books an appointment. req (borrowed):
 *   plate        2..16 UTF-8 characters, no control characters, none of
 *                / . : { } " \ * ? or space (plates name series and
 *                entities) (required)
 *   enterprise   a known enterprise (required; an enterprise actor: its own,
 *                else CP_EFORBIDDEN)
 *   window_from, window_to  ms; from < to, to - from <= 7 days, to > now,
 *                from <= now + 7 days
 *   gate         a layout gate id (required)
 *   destination  a layout feature id (its point) or {"lon", "lat"} inside
 *                the park's extent (required)
 *   hazard_class GB 6944-2012: "1".."9" or a division ("1.1".."1.6",
 *                "2.1".."2.3", "4.1".."4.3", "5.1", "5.2", "6.1", "6.2")
 *   un_number    4 digits ("1203")
 *   cargo        up to 64 bytes; mass_kg 0..100,000; driver, vehicle_type
 *                up to 64 bytes
 * actor_enterprise: "" or NULL park staff, else the enterprise booking.
 * The route is planned from the gate to the destination (roads_plan, as a
 * hazardous-goods vehicle when hazard_class or un_number is given); no
 * route found is CP_EINVAL ("no route ..."). *out (may be NULL) gets the
 * appointment: {id, plate, enterprise, window_from, window_to, gate,
 * destination {id?, lon, lat}, hazard_class, un_number, cargo, mass_kg,
 * driver, vehicle_type, state, created_ms, created_by ("" park staff or the
 * enterprise), entered_ms, left_ms, cancelled_ms (when they happened),
 * route (GeoJSON LineString, WGS84), length_m, duration_s, roads [ids]}. */
cp_status closedpark_appointment_add(closedpark *cp, json_t *req, const char *actor_enterprise,
                                     int64_t now_ms, json_t **out, char *err, size_t errcap);

/* States: booked (not yet entered), inside (entered through a gate),
 * done (left), cancelled, expired (its window ended without an entry). */
typedef enum cp_appt_state {
    CP_APPT_BOOKED = 0,
    CP_APPT_INSIDE,
    CP_APPT_DONE,
    CP_APPT_CANCELLED,
    CP_APPT_EXPIRED,
    CP_APPT_STATE_COUNT
} cp_appt_state;
const char *cp_appt_state_name(cp_appt_state s);
bool cp_appt_state_parse(const char *name, cp_appt_state *out);

/* One appointment (as above) the scope sees, or CP_ENOTFOUND. */
cp_status closedpark_appointment_get(closedpark *cp, const char *scope, const char *id,
                                     json_t **out, char *err, size_t errcap);

typedef struct closedpark_appt_filter {
    int state;              /* a cp_appt_state, or -1: any */
    const char *enterprise; /* NULL: any (the scope applies regardless) */
    const char *plate;      /* NULL: any */
    int64_t from_ms, to_ms; /* windows overlapping [from, to); 0, 0: any */
    size_t limit;           /* 1..CLOSEDPARK_LIST_MAX; 0: CLOSEDPARK_LIST_MAX */
} closedpark_appt_filter;

/* The appointments in memory (live ones, and those that ended since the
 * open or within the last day before it) matching f, by window_from then
 * id, as {"appointments": [...], "total": n (all matching), "truncated"}.
 * The route is left out of list items (get gives it). */
cp_status closedpark_appointment_list(closedpark *cp, const char *scope,
                                      const closedpark_appt_filter *f, json_t **out, char *err,
                                      size_t errcap);

/* Cancels a booked appointment (CP_ECONFLICT when inside, done, cancelled
 * or expired; CP_ENOTFOUND when not the scope's). *out (may be NULL): the
 * appointment after. */
cp_status closedpark_appointment_cancel(closedpark *cp, const char *scope, const char *id,
                                        int64_t now_ms, json_t **out, char *err, size_t errcap);

/* ---- events (docs/closed-park.md, "MQTT") ---- */

/* A "gate_passage" or "badge" event (ev, borrowed) reported by
 * source_enterprise ("" park staff; the topic's or the token's). Gate
 * events must come from "PARK" or "": the gate is the park's; a badge from
 * its zone's enterprise, "PARK" or "". Returns 0 taken (stored), 1 refused
 * (why says why: unknown gate or zone, not the source's, a bad field;
 * counted), -1 the event store failed (nothing changed; retry). A passage
 * or badge older than the vehicle's or person's last change is stored but
 * does not change the live state. */
int closedpark_take_event(closedpark *cp, const char *source_enterprise, json_t *ev,
                          int64_t recv_ms, char *why, size_t whycap);

/* ---- positions (parkd's ingest observer) ---- */

/* A vehicle's position (WGS84 degrees; speed km/h and heading degrees
 * NaN when absent). 0 accepted; 1 rejected and counted (bad plate or
 * number, outside the park's extent plus the margin, a jump faster than
 * max_speed_kmh from the last position, older than the last position, the
 * table full); -1 the event store failed. A vehicle not known inside is
 * accepted and marked "position without a passage". */
int closedpark_vehicle_position(closedpark *cp, const char *plate, int64_t ts_ms, double lat,
                                double lon, double speed_kmh, double heading_deg);

/* A person's tag position: zone membership by point in polygon; entering
 * or leaving a zone is stored as a "badge" event (source "position") and
 * changes the headcount as a badge would. 0, 1 rejected (counted), -1
 * storage. */
int closedpark_person_position(closedpark *cp, const char *badge, int64_t ts_ms, double lat,
                               double lon);

/* ---- time ---- */

/* Judges the timed conditions at now_ms: stopped, overstay, off_route and
 * speeding whose positions stopped coming (their duration still counts
 * until the next position), people inside longer than lost_out_ms without
 * an event (dropped from the count: a lost "out"), appointments whose
 * window ended without an entry (expired), vehicles that left more than
 * track_ms ago (forgotten). */
void closedpark_tick(closedpark *cp, int64_t now_ms);

/* ---- queries (new references; NULL only when out of memory) ---- */

/* The vehicles inside (or seen by a position without a passage) as a
 * GeoJSON FeatureCollection: a Point at the last position (geometry null
 * when no position yet), properties {plate, ts (of the position), speed,
 * heading, hazard_class, un_number, cargo, mass_kg, enterprise,
 * appointment, inside, since, gate, in_vehicle_park, no_passage, flags
 * [active condition kinds], track [[lon, lat, ts], ...] of the last
 * track_ms before now_ms}. */
json_t *closedpark_vehicles(closedpark *cp, const char *scope, int64_t now_ms);
/* The same with the track of the last track_ms only (0: no track; at most
 * the option's track_ms), thinned to a point per step_ms (0: every one):
 * the live layer of thousands of vehicles stays small. The JSON is built
 * from a copy outside the module's lock, so a reader never holds up the
 * positions' checks. */
json_t *closedpark_vehicles_track(closedpark *cp, const char *scope, int64_t now_ms,
                                  int64_t track_ms, int64_t step_ms);
/* The same collection as GeoJSON text written straight into a buffer
 * (the API's live layer: jansson's tree of 5,000 vehicles cost 40 times
 * more); malloc'd, the caller frees it; *len its length. NULL when out of
 * memory. */
char *closedpark_vehicles_geojson(closedpark *cp, const char *scope, int64_t now_ms,
                                  int64_t track_ms, int64_t step_ms, size_t *len);

/* One vehicle (the feature above with "appointment_detail" when it has
 * one, and its last passages' check), or CP_ENOTFOUND. */
cp_status closedpark_vehicle(closedpark *cp, const char *scope, const char *plate, int64_t now_ms,
                             json_t **out);

/* The vehicles inside at a past time, from the stored presences
 * (ev_state_at "vehicle:"): a FeatureCollection whose features have
 * geometry null (positions are the historian's) and the presence as
 * properties. CP_EIO when the store fails. */
cp_status closedpark_vehicles_at(closedpark *cp, const char *scope, int64_t at_ms, json_t **out,
                                 char *err, size_t errcap);

/* Stored gate passages with from_ms <= ts < to_ms (gate NULL: any), at
 * most limit (0: 1,000; at most 10,000), each {seq, ts, gate, plate,
 * direction, enterprise, hazard_class, un_number, cargo, mass_kg, check},
 * as {"passages": [...], "truncated"}. */
cp_status closedpark_passages(closedpark *cp, const char *scope, int64_t from_ms, int64_t to_ms,
                              const char *gate, size_t limit, json_t **out, char *err,
                              size_t errcap);

/* {ts, inside, by_hazard_class {class: n}, by_enterprise {ent: n},
 * goods_kg {class: kg} (mass on wheels inside), passages_today {in, out}
 * (since 00:00 UTC+8; null for an enterprise scope: counted for the park
 * only), flagged (vehicles with an active condition),
 * no_passage, appointments {booked, inside}}. */
json_t *closedpark_summary(closedpark *cp, const char *scope, int64_t now_ms);

/* {parks: [{id, name, capacity, occupancy, vehicles [{plate, since,
 * dwell_s, hazard_class, enterprise}], by_hazard_class {class: n}}],
 * occupancy, capacity}: vehicles whose last position is inside a
 * vehicle_park polygon, dwell since they entered it. */
json_t *closedpark_vehicle_park(closedpark *cp, const char *scope, int64_t now_ms);

/* {zones: [{id, name, zone_type, enterprise, max_people, count, over,
 * people [{person, name, since, source}]}]}: the layout's zones. */
json_t *closedpark_zones(closedpark *cp, const char *scope, int64_t now_ms);
/* One zone as above, or CP_ENOTFOUND (unknown, or not the scope's). */
cp_status closedpark_zone(closedpark *cp, const char *scope, const char *id, int64_t now_ms,
                          json_t **out);

/* What is inside an incident's footprint (a ring of lon, lat pairs, n
 * points, closed or not, 3..10,000): *vehicles [{plate, lon, lat,
 * hazard_class, un_number, cargo, mass_kg, enterprise}] by their last
 * position, *people [{person, name, zone, lon?, lat?}] (by tag position
 * when known, else by a zone of theirs whose point is inside). 0, or -1
 * (a bad ring; out of memory). Either out may be NULL. No scope: the
 * emergency view sees everything. */
int closedpark_inside(closedpark *cp, const double *lonlat_ring, size_t n, json_t **vehicles,
                      json_t **people);

/* ---- counters ---- */

typedef struct closedpark_counters {
    uint64_t positions;                    /* vehicle positions accepted */
    uint64_t person_positions;             /* person positions accepted */
    uint64_t rejected_out_of_park;         /* positions outside the extent plus margin */
    uint64_t rejected_jump;                /* faster than max_speed_kmh from the last */
    uint64_t rejected_old;                 /* older than the last position */
    uint64_t rejected_bad;                 /* bad plate, badge or number */
    uint64_t rejected_full;                /* max_vehicles or max_people reached */
    uint64_t unknown_gate;                 /* gate events refused: not a layout gate */
    uint64_t unknown_zone;                 /* badge events refused: not a layout zone */
    uint64_t wrong_source;                 /* events refused: the source does not own it */
    uint64_t bad_event;                    /* events refused: a field is wrong */
    uint64_t passages;                     /* gate passages taken */
    uint64_t stale_passages;               /* stored only: older than the vehicle's last change */
    uint64_t badges;                       /* badge events taken */
    uint64_t badge_duplicates;             /* "in" for someone already inside */
    uint64_t badge_anomalies;              /* "out" for someone not inside */
    uint64_t lost_outs;                    /* people dropped after lost_out_ms without an event */
    uint64_t no_passage;                   /* vehicles first seen by a position */
    uint64_t conditions_raised;            /* condition starts (any kind) */
    uint64_t store_errors;                 /* event store failures */
    size_t vehicles, people, appointments; /* live now */
    /* The fence and route checks of a vehicle position (closedpark_vehicle_position, from
     * its call to its answer, the lock's wait included): upper bounds of the buckets (ten
     * per decade from 1 us) holding the median and the 99th percentile, and the longest. */
    double position_check_p50_us, position_check_p99_us, position_check_max_us;
} closedpark_counters;

void closedpark_stats(closedpark *cp, closedpark_counters *out);

#endif
