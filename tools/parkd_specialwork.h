/*
 * parkd_specialwork.h - parkd's special-work permits (specialwork/): the
 * module opened on parkd's event store (its permits live there, nothing
 * else on disk), and its tick fed what it cannot see itself:
 *   - the active combustible-gas alarms: the alarm engine's active HIGH and
 *     HIGH_HIGH alarms whose rule's asset is a gas_detector of the layout
 *     of type "combustible", at the detector's lon/lat;
 *   - the open incidents' footprints (views/): the outermost footprint of
 *     each open incident (views_incident_view's zones), recomputed every
 *     SPECIALWORK_INCIDENTS_EVERY_MS (a plume costs milliseconds) and kept
 *     between.
 * The conditions are judged every SPECIALWORK_TICK_EVERY_MS. Called from
 * parkd's main thread only; the module itself is thread-safe (the API
 * uses it from its threads).
 */
#ifndef PARKWATCH_PARKD_SPECIALWORK_H
#define PARKWATCH_PARKD_SPECIALWORK_H

#include <stddef.h>
#include <stdint.h>

#include "alerting/alerting.h"
#include "common/condition.h"
#include "events/events.h"
#include "geo/geo.h"
#include "specialwork/specialwork.h"
#include "views/views.h"

#define SPECIALWORK_TICK_EVERY_MS      1000
#define SPECIALWORK_INCIDENTS_EVERY_MS 30000
#define SPECIALWORK_MAX_INCIDENTS      16

typedef struct parkd_specialwork parkd_specialwork;

/* Opens the permits on ev (borrowed) with the config's "specialwork"
 * object (may be NULL: near_gas_m, gas_test_max_age_min); on_condition/ctx
 * get the conditions (parkd_conditions_set). 0, or -1 with err. */
int parkd_specialwork_open(ev_store *ev, const json_t *cfg, pw_condition_fn on_condition, void *ctx,
                           parkd_specialwork **out, char *err, size_t errcap);
specialwork *parkd_specialwork_module(parkd_specialwork *p); /* for the API; NULL-safe */
/* alarms, layout, vw may be NULL (no gas alarms, no incidents). */
void parkd_specialwork_tick(parkd_specialwork *p, alert_engine *alarms, const geo_layout *layout,
                            views *vw, int64_t now_ms);
void parkd_specialwork_close(parkd_specialwork *p);

#endif
