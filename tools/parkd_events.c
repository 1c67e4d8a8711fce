/*
 * parkd_events.c - the event store's opening and the dispatcher of events
 * by type (parkd_events.h). An array is taken event by event: a refused
 * event refuses the message (the sender learns which and why), the events
 * before it stay taken (each is stored as it is taken; a sender that
 * repeats the message repeats them: the modules keep a duplicate from
 * counting twice).
 */
#include <stdio.h>
#include <string.h>

#include "ingest/ingest.h"
#include "tools/parkd_events.h"

int parkd_events_open(parkd_events *pe, const char *data_dir, char *err, size_t errcap) {
    memset(pe, 0, sizeof *pe);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/events", data_dir);
    char e[256];
    if (ev_open(dir, NULL, &pe->store, e, sizeof e) != EV_OK) {
        snprintf(err, errcap, "event store: %s", e);
        return -1;
    }
    return 0;
}

void parkd_events_close(parkd_events *pe) {
    ev_close(pe->store);
    pe->store = NULL;
}

int parkd_events_register(parkd_events *pe, const char *type, parkd_event_taker take,
                          void *module) {
    if (pe->n_types == PARKD_EVENT_TYPES) return -1;
    pe->types[pe->n_types].type = type;
    pe->types[pe->n_types].take = take;
    pe->types[pe->n_types].module = module;
    pe->n_types++;
    return 0;
}

/* 0, 1 refused (why), -1 storage. */
static int take_one(parkd_events *pe, const char *source, json_t *ev, size_t index, bool many,
                    int64_t recv_ms, char *why, size_t whycap) {
    char at[32] = "";
    if (many) snprintf(at, sizeof at, "event %zu: ", index);
    if (!json_is_object(ev)) {
        snprintf(why, whycap, "%san event is a JSON object", at);
        return 1;
    }
    const char *type = json_string_value(json_object_get(ev, "type"));
    if (!type) {
        snprintf(why, whycap, "%san event needs a \"type\"", at);
        return 1;
    }
    for (size_t i = 0; i < pe->n_types; i++)
        if (!strcmp(pe->types[i].type, type)) {
            char w[200] = "";
            int rc = pe->types[i].take(pe->types[i].module, source, ev, recv_ms, w, sizeof w);
            if (rc) snprintf(why, whycap, "%s%s", at, *w ? w : "refused");
            return rc;
        }
    char known[128] = "";
    for (size_t i = 0; i < pe->n_types; i++)
        snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s", i ? ", " : "",
                 pe->types[i].type);
    snprintf(why, whycap, "%sunknown type \"%.40s\" (known: %s)", at, type,
             *known ? known : "none configured");
    return 1;
}

static int take(parkd_events *pe, const char *source, const void *payload, size_t len,
                int64_t recv_ms, char *why, size_t whycap) {
    json_error_t je;
    json_t *doc = json_loadb(payload, len, JSON_REJECT_DUPLICATES, &je);
    if (!doc) {
        snprintf(why, whycap, "not JSON: %s (line %d)", je.text, je.line);
        return 1;
    }
    int rc = 0;
    if (json_is_array(doc)) {
        if (json_array_size(doc) == 0 || json_array_size(doc) > PARKD_EVENTS_PER_MESSAGE) {
            snprintf(why, whycap, "an array of 1 to %d events", PARKD_EVENTS_PER_MESSAGE);
            rc = 1;
        }
        for (size_t i = 0; rc == 0 && i < json_array_size(doc); i++)
            rc = take_one(pe, source, json_array_get(doc, i), i, true, recv_ms, why, whycap);
    } else {
        rc = take_one(pe, source, doc, 0, false, recv_ms, why, whycap);
    }
    json_decref(doc);
    return rc;
}

int parkd_events_mqtt(const char *enterprise, const char *device, const void *payload, size_t len,
                      int64_t recv_ms, char *why, size_t whycap, void *ctx) {
    (void)device;
    int rc = take(ctx, enterprise, payload, len, recv_ms, why, whycap);
    return rc < 0 ? INGEST_EVENTS_RETRY : rc;
}

int parkd_events_http(const char *enterprise, const char *body, size_t len, int64_t recv_ms,
                      char *why, size_t whycap, void *ctx) {
    int rc = take(ctx, enterprise ? enterprise : "", body, len, recv_ms, why, whycap);
    return rc == 0 ? 0 : rc > 0 ? 400 : 503;
}

int parkd_events_sync(void *ctx) {
    parkd_events *pe = ctx;
    char err[128];
    return pe->store && ev_sync(pe->store, err, sizeof err) != EV_OK ? -1 : 0;
}
