/*
 * parkd_notify.h - parkd's notification (notify/): the engine made from
 * the config's "notify" object and "people", subscribed to the alarm
 * engine, its MQTT channels publishing through the ingest service.
 * Ownership: parkd_notify_start returns the engine (NULL without a
 * "notify" object); parkd_notify_stop unsubscribes and frees it.
 */
#ifndef PARKWATCH_PARKD_NOTIFY_H
#define PARKWATCH_PARKD_NOTIFY_H

#include "alerting/alerting.h"
#include "ingest/ingest.h"
#include "notify/notify.h"
#include "tools/parkd_config.h"

/* Roster gaps are logged (unless quiet). 0, or -1 with err. */
int parkd_notify_start(const parkd_config *c, alert_engine *alarms, ingest_service **svc,
                       bool quiet, notify **out, char *err, size_t errcap);
void parkd_notify_stop(notify *n, alert_engine *alarms);

#endif
