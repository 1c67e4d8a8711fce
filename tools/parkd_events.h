/*
 * parkd_events.h - parkd's event store (events/, DATA/events) and the one
 * dispatcher of events (docs/closed-park.md): MQTT's park/+/+/events
 * messages (the ingest thread) and POST /api/v1/events (the API's
 * threads) both come here, one JSON object or an array of them, and go by
 * "type" to the module that registered it (closedpark: "gate_passage",
 * "badge"; cameras: "camera"), which checks and stores them.
 */
#ifndef PARKWATCH_PARKD_EVENTS_H
#define PARKWATCH_PARKD_EVENTS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "events/events.h"

/* A module's taker: 0 taken (stored), 1 refused (why), -1 storage. */
typedef int (*parkd_event_taker)(void *module, const char *source_enterprise, json_t *ev,
                                 int64_t recv_ms, char *why, size_t whycap);

#define PARKD_EVENT_TYPES        8
#define PARKD_EVENTS_PER_MESSAGE 1000 /* an array of more is refused whole */

typedef struct parkd_events {
    ev_store *store;
    struct {
        const char *type;
        parkd_event_taker take;
        void *module;
    } types[PARKD_EVENT_TYPES];
    size_t n_types; /* registered before the ingest service and the API start */
} parkd_events;

/* Opens DATA/events. 0, or -1 with err. */
int parkd_events_open(parkd_events *pe, const char *data_dir, char *err, size_t errcap);
void parkd_events_close(parkd_events *pe);
/* Registers the taker of a type (before anything is dispatched). */
int parkd_events_register(parkd_events *pe, const char *type, parkd_event_taker take, void *module);

/* The ingest_service_options.on_events callback (ctx: parkd_events). */
int parkd_events_mqtt(const char *enterprise, const char *device, const void *payload, size_t len,
                      int64_t recv_ms, char *why, size_t whycap, void *ctx);
/* The api_options.events_take callback (ctx: parkd_events): 0, 400, 503. */
int parkd_events_http(const char *enterprise, const char *body, size_t len, int64_t recv_ms,
                      char *why, size_t whycap, void *ctx);
/* ingest_service_options.events_sync (ctx: parkd_events). */
int parkd_events_sync(void *ctx);

#endif
