/*
 * cameras.h - camera events from the park's video analytics (a helmet
 * missing, smoking, fire, smoke, an intrusion, a fall, a post left), their
 * snapshots, and the alarms they raise: the one public header of
 * cameras/. The design: docs/closed-park.md ("camera" events, the
 * conditions table).
 *
 * An event (JSON, as MQTT and POST /api/v1/events carry it):
 *   {"type": "camera", "ts": ms, "camera": "E001-CAM-1", "event": "fire",
 *    "confidence": 0.93, "snapshot": "<base64 JPEG or PNG>", "clear": false}
 * is checked where it enters: the camera must be a layout feature of kind
 * camera; the source (the topic's or the token's enterprise) must own it
 * ("" park staff and "PARK", the park's own video platform, report for any
 * camera; an enterprise for its own cameras only); event one of
 * no_helmet, smoking, fire, smoke, intrusion, fall, absent; confidence a
 * number in 0..1; ts within 2000..2100 and at most 10 min after its
 * receipt; the snapshot optional, base64 (RFC 4648, padding optional) of
 * at most CAMERAS_SNAPSHOT_MAX bytes, a JPEG (FF D8 FF) or PNG (89 50 4E 47
 * 0D 0A 1A 0A) by its first bytes. Anything else is refused and `why`
 * says which member and why.
 *
 * A snapshot is stored once under DIR/snapshots/ named by its SHA-256 (a
 * temporary file, fsync, rename, the directory synced), with a list of
 * the enterprises whose cameras sent it (DIR/snapshots/HASH.owners: an
 * enterprise token reads only its own cameras' snapshots). The event goes
 * to the event store: kind "camera", entity "camera:{id}", the camera's
 * enterprise, body {camera, event, confidence, clear, snapshot {sha256,
 * size, type}, tank, hazard_source}.
 *
 * Conditions (common/condition.h), one per camera and event:
 * "{enterprise or PARK}/cameras/{camera}/{event}", asset the camera,
 * priority fire and smoke 1, fall and intrusion 2, the others 3; raised by
 * an event, cleared by an event with "clear": true or by cameras_tick when
 * clear_after_ms (5 min) pass without a repeat. Fire or smoke at a camera
 * within tank_radius_m (100 m) of a tank names the tank and the hazard
 * source holding it in the condition's basis, and cameras_fire_near_tanks
 * lists them for the risk view. After a restart the events of the last
 * hour are replayed (not stored again) so what was raised clears.
 *
 * Threads: every call may come from any thread (one mutex; the callback is
 * called outside it). The layout and the event store are borrowed and must
 * outlive the module.
 */
#ifndef PARKWATCH_CAMERAS_H
#define PARKWATCH_CAMERAS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/condition.h"
#include "events/events.h"
#include "geo/geo.h"

#define CAMERAS_SNAPSHOT_MAX (512u * 1024u) /* decoded bytes (docs/closed-park.md) */

typedef struct cameras cameras;

typedef struct cameras_options {
    const char *dir;              /* snapshots/ is made under it; required */
    ev_store *events;             /* required */
    const geo_layout *layout;     /* the cameras and tanks; NULL: every event refused */
    pw_condition_fn on_condition; /* may be NULL */
    void *ctx;
    int64_t clear_after_ms; /* 0: 5 min */
    double tank_radius_m;   /* 0: 100 m */
} cameras_options;

/* 0 and *out, or -1 with err. now_ms: the replay's end (0: the clock). */
int cameras_open(const cameras_options *o, int64_t now_ms, cameras **out, char *err, size_t errcap);
void cameras_close(cameras *c);

/* One "camera" event: 0 taken and stored, 1 refused (why says why), -1
 * storage (the snapshot or the event store; retry). source_enterprise: the
 * topic's or the token's ("" park staff). */
int cameras_take_event(cameras *c, const char *source_enterprise, json_t *ev, int64_t recv_ms,
                       char *why, size_t whycap);

/* Clears the conditions without a repeat for clear_after_ms. */
void cameras_tick(cameras *c, int64_t now_ms);

/* ---- queries; scope: NULL sees everything, else only that enterprise's
 * cameras (park-level cameras are the park's) ---- */

/* {"cameras": [{id, name, enterprise, lon, lat, direction_deg, fov_deg,
 * range_m, last_event {seq, ts_ms, event, confidence, snapshot}|null,
 * active [events]}]} */
int cameras_list(cameras *c, const char *scope, json_t **out, char *err, size_t errcap);
/* {"events": [{seq, ts_ms, recv_ms, camera, enterprise, event, confidence,
 * clear, snapshot, tank, hazard_source}], "truncated": bool}: from_ms <= ts <
 * to_ms, one camera (NULL: all), at most limit (0: 1000; at most 10000).
 * -1 with err: a bad argument (err starts "invalid:") or the store. */
int cameras_events(cameras *c, const char *scope, int64_t from_ms, int64_t to_ms,
                   const char *camera, size_t limit, json_t **out, char *err, size_t errcap);
/* A snapshot's bytes by its hash (64 lower-case hex digits): malloc'd
 * *bytes (the caller frees) and its type ("image/jpeg" or "image/png").
 * 0, 1 not found (or not the scope's), -1 storage. */
int cameras_snapshot(cameras *c, const char *scope, const char *sha256_hex, void **bytes,
                     size_t *len, const char **type, char *err, size_t errcap);

/* Fire or smoke raised now at a camera within tank_radius_m of a tank:
 * the risk view counts each as it counts a gas alarm at that source. */
typedef struct cameras_tank_fire {
    char camera[64], event[16];       /* "fire" or "smoke" */
    char tank[64], hazard_source[64]; /* hazard_source "" when no source holds the tank */
    double distance_m;
    int64_t ts_ms;
} cameras_tank_fire;
/* Fills out (cap rows) and returns how many there are (may exceed cap). */
size_t cameras_fire_near_tanks(cameras *c, cameras_tank_fire *out, size_t cap);

#endif
