/*
 * parkd_closedpark.h - closed-park management (closedpark/) in parkd
 * (docs/closed-park.md): the road network built from the layout, the
 * module opened on the event store with the conditions made alarms, its
 * event types ("gate_passage", "badge") registered with the dispatcher,
 * the positions of PARK/vehicles/ and PARK/people/ observed as ingest
 * stores them, the module handed to the API and to the views (what is
 * inside an incident's footprint) and ticked by the main loop.
 *
 * The config's optional "closedpark" object sets the thresholds (numbers;
 * absent: closedpark.h's defaults): off_route_m 1..10000, off_route_s,
 * speeding_s 0.1..3600, speeding_margin_kmh 0..100, stopped_min 0.01..1440,
 * overstay_min 0..1440.
 *
 * Threads: open and close on parkd's main thread, open before the ingest
 * service and the API start, close after both stopped and before the event
 * store and the conditions close. The observer runs on ingest's threads,
 * the tick on the main loop; the module serialises them.
 */
#ifndef PARKWATCH_PARKD_CLOSEDPARK_H
#define PARKWATCH_PARKD_CLOSEDPARK_H

#include <stddef.h>
#include <stdint.h>

#include "closedpark/closedpark.h"
#include "roads/roads.h"
#include "geo/geo.h"
#include "tools/parkd_conditions.h"
#include "tools/parkd_config.h"
#include "tools/parkd_events.h"

typedef struct parkd_closedpark parkd_closedpark;

/* Without a layout (NULL) the closed park is off: 0 and *out NULL (its
 * routes answer 503). Otherwise builds the roads, opens the module, sets
 * c->svc.pipeline's observer, c->api.closedpark and c->views.inside
 * (views must be opened from c->views after this, and closed before
 * parkd_closedpark_close), registers the event takers with pev: 0 and
 * *out, or -1 with err (nothing left open). The layout, pev's store and
 * conditions must outlive it. */
int parkd_closedpark_open(parkd_config *c, const geo_layout *layout, parkd_events *pev,
                          parkd_conditions *conditions, parkd_closedpark **out, char *err,
                          size_t errcap);

/* The timed conditions (closedpark_tick); p may be NULL. */
void parkd_closedpark_tick(parkd_closedpark *p, int64_t now_ms);

/* The observer's own counts: positions handed to the module, and groups
 * it dropped (a lat without a lon or the reverse, a name it cannot read). */
typedef struct parkd_closedpark_counts {
    uint64_t vehicle_positions, person_positions; /* handed to the module */
    uint64_t rejected;                            /* refused by the module (its counters say why) */
    uint64_t store_errors;                        /* the module's event store failed */
    uint64_t dropped;                             /* not a whole position */
} parkd_closedpark_counts;
void parkd_closedpark_counts_get(parkd_closedpark *p, parkd_closedpark_counts *out);

closedpark *parkd_closedpark_module(parkd_closedpark *p);
/* The park's road network it built (the emergency view routes over it too;
 * issue 22); NULL without one. Lives until parkd_closedpark_close. */
const roads *parkd_closedpark_roads(parkd_closedpark *p);

/* Closes the module and frees the roads; p may be NULL. */
void parkd_closedpark_close(parkd_closedpark *p);

#endif
