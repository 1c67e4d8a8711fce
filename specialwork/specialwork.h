/*
 * specialwork.h - special-work permits (特殊作业, GB 30871-2022) filed by
 * the park's enterprises, their gas tests, and the conditions the park
 * watches while the work runs: the one public header of specialwork/.
 * Facts and their sources: docs/reference/special-work-and-closed-park.md
 * (cited below as "ref §1.x"); the design: docs/closed-park.md.
 *
 * A permit (ref §1.3, the fields common to the 8 forms): category (ref
 * §1.1: hot_work, confined_space, blinding, work_at_height, lifting,
 * temporary_power, excavation, road_closure), grade where the category is
 * graded (hot work "special", "1", "2"; work at height "I".."IV"; lifting
 * "1".."3"; none for the others), enterprise, location (a GeoJSON Point or
 * Polygon in lon/lat: one closed ring of 4..200 points without
 * self-intersection), work window [window_from_ms, window_to_ms) no longer
 * than the category's maximum validity (ref §1.2: hot work special and 1:
 * 8 h; hot work 2: 72 h; confined space 24 h; work at height 7 d; temporary
 * power 30 d; the others, for which the reference found no limit: 7 d, our
 * choice), work content, leader, guardian, related permits (ref §1.7: a
 * job combining several special works has a permit for each, citing each
 * other; temporary power serving hot work or confined-space work must lie
 * within that work's window, ref §1.2). Its id is
 * "{enterprise}-{yyyymmdd}-{seq}" (the filing day in the park's local
 * time, seq from 0001 per enterprise and day).
 *
 *   filed --start--> active <--suspend/resume--> suspended
 *     |                 |                            |
 *     +--cancel--> cancelled     active|suspended --close--> closed
 *
 * A permit starts and resumes only inside its window. Gas tests (ref §1.3
 * "gas analysis: time, point, data, analyst"; §1.5) are judged when filed:
 * combustible gas at most 0.5 % vol for a gas whose LEL is at least 4 %
 * vol, else at most 0.2 % vol (a gas of unknown LEL: the stricter 0.2);
 * for confined space, O2 19.5..21 % vol (23.5 in oxygen-enriched
 * conditions) and each toxic gas at most its exposure limit (GBZ 2.1,
 * given with the reading: we keep no table). A failing test is stored and
 * never counts as a pass.
 *
 * Storage: every change is an event of the event store (events/: kind
 * "permit", entity "permit:{id}", state_of_first, the body the permit's
 * full record); specialwork_open rebuilds the permits from ev_state_at.
 * Records cross the boundary as JSON objects (new references): id,
 * enterprise, category, grade (null when not graded), location, window_from_ms,
 * window_to_ms, content, leader, guardian, related, state, filed_ms,
 * filed_by, started_ms, suspended_ms, closed_ms, cancelled_ms (0 when not
 * yet), gas_tests [{ts_ms, point, analyst, combustible_pct_vol, gas,
 * lel_pct_vol, limit_pct_vol, o2_pct_vol, enriched, toxic [{gas, ppm,
 * limit_ppm}], pass, reasons [..], by}], last_action {action, by, ts_ms,
 * note} and, computed, conditions [kind...] (the ones raised now).
 *
 * Conditions (common/condition.h; docs/closed-park.md), judged by
 * specialwork_tick and handed to the options' callback outside the lock,
 * once when raised and once when cleared (a closed permit's included):
 *   hot_work_near_gas  P1  active hot work within near_gas_m (30 m, ref
 *                          §1.6) of an active combustible-gas alarm, or
 *                          inside or within near_gas_m of an open
 *                          incident's footprint
 *   no_gas_test        P2  active hot work or confined-space work whose
 *                          last passing gas test is older than
 *                          gas_test_max_age_ms (30 min, ref §1.5) or absent
 *   past_window        P3  active after its window's end
 * Names: "{enterprise}/permits/{id}/{kind}".
 *
 * Who acts (sw_actor): park staff file for any enterprise and act on every
 * permit; an enterprise files for itself and acts on its own only
 * (another's are "not found"); the regulator reads everything and changes
 * nothing.
 *
 * Threads: every call may come from any thread (one mutex; the event
 * store is written under it so the store's order is the permits' order).
 * The event store is borrowed and must outlive the module.
 */
#ifndef PARKWATCH_SPECIALWORK_H
#define PARKWATCH_SPECIALWORK_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/condition.h"
#include "events/events.h"

/* Results; each maps to one HTTP status in the API. */
typedef enum sw_status {
    SW_OK = 0,
    SW_EINVAL,     /* a field is wrong (400); err names it */
    SW_EFORBIDDEN, /* the actor may not do this (403) */
    SW_ENOTFOUND,  /* no such permit, or not the actor's (404) */
    SW_ESTATE,     /* out of order: the state or the window (409) */
    SW_EIO         /* the event store, or the module full (503) */
} sw_status;

typedef enum sw_category {
    SW_HOT_WORK = 0,
    SW_CONFINED_SPACE,
    SW_BLINDING,
    SW_WORK_AT_HEIGHT,
    SW_LIFTING,
    SW_TEMPORARY_POWER,
    SW_EXCAVATION,
    SW_ROAD_CLOSURE,
    SW_CATEGORY_COUNT
} sw_category;
const char *sw_category_name(sw_category c);
bool sw_category_parse(const char *name, sw_category *out);

typedef enum sw_state {
    SW_FILED = 0,
    SW_ACTIVE,
    SW_SUSPENDED,
    SW_CLOSED,
    SW_CANCELLED,
    SW_STATE_COUNT
} sw_state;
const char *sw_state_name(sw_state s);
bool sw_state_parse(const char *name, sw_state *out);

typedef enum sw_action {
    SW_ACT_START = 0,
    SW_ACT_SUSPEND,
    SW_ACT_RESUME,
    SW_ACT_CLOSE,
    SW_ACT_CANCEL,
    SW_ACTION_COUNT
} sw_action;
const char *sw_action_name(sw_action a);
bool sw_action_parse(const char *name, sw_action *out);

typedef enum sw_actor_kind {
    SW_ACTOR_PARK = 0,   /* admin, operator */
    SW_ACTOR_ENTERPRISE, /* its own permits */
    SW_ACTOR_REGULATOR   /* reads all, changes nothing */
} sw_actor_kind;

typedef struct sw_actor {
    sw_actor_kind kind;
    const char *name;       /* who, as the record names them; NULL: "" */
    const char *enterprise; /* SW_ACTOR_ENTERPRISE: its id */
} sw_actor;

/* Limits of what a permit carries. */
#define SW_ID_MAX        64 /* a permit id with its NUL */
#define SW_MAX_PERMITS   50000
#define SW_MAX_POINTS    200 /* of a location's ring */
#define SW_MAX_RELATED   8
#define SW_MAX_GAS_TESTS 100
#define SW_TEXT_MAX      2000 /* work content */
#define SW_NAME_MAX      100  /* leader, guardian, analyst, point */

typedef struct specialwork specialwork;

typedef struct specialwork_options {
    ev_store *events;             /* required; borrowed */
    pw_condition_fn on_condition; /* may be NULL */
    void *ctx;
    double near_gas_m;           /* 0: 30 (ref §1.6) */
    int64_t gas_test_max_age_ms; /* 0: 30 min (ref §1.5) */
    int utc_offset_min;          /* the id's day in local time, minutes east of UTC */
} specialwork_options;

/* Zeroes o and sets the defaults: UTC+8 (the park's time) for the ids. */
void specialwork_options_default(specialwork_options *o);

/* Opens the module and rebuilds the permits from the event store. */
sw_status specialwork_open(const specialwork_options *o, specialwork **out, char *err,
                           size_t errcap);
void specialwork_close(specialwork *sw);
size_t specialwork_count(specialwork *sw);
/* Permit states in the store that were no valid record, left out at open. */
size_t specialwork_skipped(specialwork *sw);

/* Files a permit from a request's JSON object (members as in the record:
 * category, grade, enterprise (an enterprise actor's own when absent),
 * location, window_from_ms, window_to_ms, content, leader, guardian,
 * related). id gets the new permit's id. */
sw_status specialwork_file(specialwork *sw, const sw_actor *who, const json_t *req, int64_t now_ms,
                           char id[SW_ID_MAX], char *err, size_t errcap);

/* A step of the state machine; note (may be NULL) kept with it. */
sw_status specialwork_act(specialwork *sw, const sw_actor *who, const char *id, sw_action a,
                          const char *note, int64_t now_ms, char *err, size_t errcap);

/* A gas test from a request's JSON object: ts_ms (default now; not after
 * now + 1 min, nor more than 24 h before), point, analyst (required),
 * combustible_pct_vol or combustible_pct_lel (one required; %LEL needs the
 * gas's LEL), gas (name, for its LEL: methane, hydrogen, ... or 甲烷 ...),
 * lel_pct_vol (the LEL itself, overrides the name's), o2_pct_vol
 * (required for confined space), enriched (bool), toxic [{gas, ppm,
 * limit_ppm}] (at most 8). Taken in states filed, active and suspended.
 * *pass (may be NULL) gets the verdict; a failing test is SW_OK too. */
sw_status specialwork_gas_test(specialwork *sw, const sw_actor *who, const char *id,
                               const json_t *req, int64_t now_ms, bool *pass, char *err,
                               size_t errcap);

/* The permit's record (a new reference). */
sw_status specialwork_get(specialwork *sw, const sw_actor *who, const char *id, json_t **out,
                          char *err, size_t errcap);

typedef struct sw_filter {
    int state;              /* an sw_state, or -1 */
    const char *enterprise; /* NULL: any (an enterprise actor: its own regardless) */
    int category;           /* an sw_category, or -1 */
    size_t limit;           /* 0: 500; at most 5000 */
} sw_filter;

/* {"permits": [records by id], "total": n, "truncated": bool}. */
sw_status specialwork_list(specialwork *sw, const sw_actor *who, const sw_filter *f, json_t **out,
                           char *err, size_t errcap);
/* A GeoJSON FeatureCollection of the active and suspended permits who sees,
 * each with its location and properties id, enterprise, category, grade,
 * state, window_from_ms, window_to_ms, leader, guardian, conditions. */
sw_status specialwork_map(specialwork *sw, const sw_actor *who, json_t **out, char *err,
                          size_t errcap);
/* For the regulator (ref §2.1, "票证统计分析"): per enterprise and category,
 * of the permits filed in [from_ms, to_ms): filed, closed, cancelled,
 * past_window (ran past their window's end: closed after it, or still
 * active or suspended after it at now_ms), with_gas_failures (at least one
 * failing test) and gas_test_failures (tests); and active_now (any filing
 * time). {"from_ms", "to_ms", "park": {...sums}, "rows": [{enterprise,
 * category, ...}]}. */
sw_status specialwork_stats(specialwork *sw, const sw_actor *who, int64_t from_ms, int64_t to_ms,
                            int64_t now_ms, json_t **out, char *err, size_t errcap);

/* ---- the conditions ---- */

/* An active combustible-gas alarm at a detector (parkd: from the alarm
 * engine and the layout). Strings borrowed for the call. */
typedef struct sw_gas_alarm {
    const char *detector; /* the layout feature id */
    double lon, lat;
} sw_gas_alarm;

/* An open incident's footprint: a ring of n_points lon/lat pairs (closed
 * or not, at least 3 points). */
typedef struct sw_area {
    const char *id;
    const double *lonlat;
    size_t n_points;
} sw_area;

/* Judges every permit's conditions at now_ms and hands the changes to the
 * callback (after releasing the lock). */
void specialwork_tick(specialwork *sw, int64_t now_ms, const sw_gas_alarm *alarms, size_t n_alarms,
                      const sw_area *incidents, size_t n_incidents);

#endif
