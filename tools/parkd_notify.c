/*
 * parkd_notify.c - parkd's wiring of notify/: the engine from the config,
 * fed by an alerting subscriber (which only queues: notify_on_alarm), its
 * MQTT channels published through the ingest service once that runs.
 * parkd's main loop calls notify_tick five times a second.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "tools/parkd_notify.h"

static void on_alarm(const alert_event *e, const alert_rule *r, void *ctx) {
    notify_on_alarm(ctx, e, r);
}

/* ctx: parkd's ingest_service pointer, set once the service runs. */
static int publish(void *ctx, const char *topic, const char *payload, size_t len) {
    ingest_service *svc = *(ingest_service **)ctx;
    return svc ? ingest_service_publish(svc, topic, payload, len) : -1;
}

int parkd_notify_start(const parkd_config *c, alert_engine *alarms, ingest_service **svc,
                       bool quiet, notify **out, char *err, size_t errcap) {
    *out = NULL;
    if (!c->notify) return 0;
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/notify", c->data_dir);
    notify_options o = {.config = c->notify,
                        .people = c->people,
                        .dir = dir,
                        .publish = publish,
                        .publish_ctx = svc};
    if (notify_open(&o, out, err, errcap) != 0) return -1;
    for (size_t i = 0; !quiet && notify_warning(*out, i); i++)
        fprintf(stderr, "parkd: notify: %s\n", notify_warning(*out, i));
    if (alert_subscribe(alarms, on_alarm, *out) != 0) {
        notify_close(*out);
        *out = NULL;
        snprintf(err, errcap, "notify: cannot subscribe to the alarms");
        return -1;
    }
    return 0;
}

void parkd_notify_stop(notify *n, alert_engine *alarms) {
    if (!n) return;
    alert_unsubscribe(alarms, on_alarm, n);
    notify_close(n);
}
