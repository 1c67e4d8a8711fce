/*
 * parkd_events.h - parkd's event store (events/, DATA/events) and the one
 * dispatcher of events (docs/closed-park.md): MQTT's park/+/+/events
 * messages (the ingest thread) and POST /api/v1/events (the API's
 * threads) both come here, are checked against the topic's or the
 * token's enterprise, and go by "type" to closedpark ("gate_passage",
 * "badge") or cameras ("camera"), which store them.
 */
#ifndef PARKWATCH_PARKD_EVENTS_H
#define PARKWATCH_PARKD_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "events/events.h"

struct closedpark;
struct cameras;

typedef struct parkd_events {
    ev_store *store;
    struct closedpark *closedpark; /* may be NULL: its types refused */
    struct cameras *cameras;       /* may be NULL */
} parkd_events;

/* The ingest_service_options.on_events callback (ctx: parkd_events). */
int parkd_events_mqtt(const char *enterprise, const char *device, const void *payload, size_t len,
                      int64_t recv_ms, char *why, size_t whycap, void *ctx);
/* The api_options.events_take callback (ctx: parkd_events). */
int parkd_events_http(const char *enterprise, const char *body, size_t len, int64_t recv_ms,
                      char *why, size_t whycap, void *ctx);
/* ingest_service_options.events_sync (ctx: parkd_events). */
int parkd_events_sync(void *ctx);

#endif
