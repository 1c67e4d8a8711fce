/*
 * parkd_riskunits.h - parkd's risk units (riskunits/): the store opened in
 * DATA/riskunits with the config's "risk_units" object,
 *   {"bands": {"lec": {...}, "ls": {...}},   ru_bands_load's overrides
 *    "import": "FILE.csv"}                   imported at every start (the
 *                                            same ids replaced; history only
 *                                            when a level changes)
 * and every RISKUNITS_LIVE_EVERY_MS each unit's live level from the alarm
 * engine: the active, annunciated alarms whose rule's asset is one of the
 * unit's assets, counted by priority. Called from parkd's main thread only.
 */
#ifndef PARKWATCH_PARKD_RISKUNITS_H
#define PARKWATCH_PARKD_RISKUNITS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "alerting/alerting.h"
#include "hazards/hazards.h"
#include "riskunits/riskunits.h"

#define RISKUNITS_LIVE_EVERY_MS 5000

typedef struct parkd_riskunits parkd_riskunits;

/* 0, or -1 with err (nothing open). *imported gets the rows of "import". */
int parkd_riskunits_open(const char *data_dir, const json_t *config, parkd_riskunits **out,
                         size_t *imported, char *err, size_t errcap);
riskunits *parkd_riskunits_store(parkd_riskunits *p); /* for the API; owned by p */
/* Recomputes the live levels when RISKUNITS_LIVE_EVERY_MS have passed
 * since the last time, from the active alarms on each unit's assets and
 * the open hidden hazards inside it (alarms and hz may be NULL); say, if
 * given, gets a line for parkd's log. */
void parkd_riskunits_tick(parkd_riskunits *p, alert_engine *alarms, hazards *hz, int64_t now_ms,
                          void (*say)(const char *line));
void parkd_riskunits_close(parkd_riskunits *p);

#endif
