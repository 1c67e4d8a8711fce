/*
 * condition.h - a condition a module judges outside the alarm engine (a
 * vehicle off its route, a zone over its headcount, hot work near a gas
 * alarm, a camera that saw smoke), handed to whoever makes alarms of it.
 *
 * The modules that judge (closedpark/, specialwork/, cameras/) know
 * nothing of alerting/: they call a pw_condition_fn with the condition's
 * state each time it changes (and may repeat it: the receiver keeps only
 * changes). parkd's glue (tools/parkd_conditions.c) makes each distinct
 * name one alarm rule (ALERT_CONDITION) at first sight, so an alarm has
 * the ISA-18.2 states, acknowledgement, shelving, the journal and the
 * notifications every other alarm has.
 *
 * Threads: the callback may be called from any thread, never with the
 * calling module's lock held (a module collects its changes, releases its
 * lock, then calls), so the receiver may call back into the module.
 * Strings are borrowed for the call only.
 */
#ifndef PARKWATCH_COMMON_CONDITION_H
#define PARKWATCH_COMMON_CONDITION_H

#include <stdbool.h>
#include <stdint.h>

typedef struct pw_condition {
    /* The alarm's series name, unique per condition and stable across
     * restarts: "{enterprise or PARK}/{source}/{entity}/{kind}", e.g.
     * "PARK/vehicles/沪A12345/off_route", "E001/zones/E001-ZONE-1/over_limit",
     * "E001/permits/E001-20261207-0001/no_gas_test", "E001/cameras/E001-CAM-1/fire". */
    const char *name;
    const char *kind;       /* "off_route", "speeding", ...: [a-z_]+ */
    const char *enterprise; /* "" park-level */
    const char *asset;      /* what the row and the map point at: a plate, a zone, permit or
                               camera id (a layout feature id where there is one) */
    const char *unit;       /* of value and limit ("m", "km/h", "people", "min"); may be "" */
    const char *basis;      /* one line: the rule and its source ("more than 50 m off the
                               assigned route for 30 s"); may be "" */
    int priority;           /* 1 (highest) .. 4 */
    bool active;
    double value; /* the measure at ts_ms (metres off route, km/h, people, minutes) */
    double limit;
    int64_t ts_ms;
} pw_condition;

typedef void (*pw_condition_fn)(const pw_condition *c, void *ctx);

#endif
