/*
 * parkd_alarms.h - parkd's alarm rules, set up at start: the limits every
 * asset of the layout gets (assets_derive, with the config's "limits"
 * overrides), the config's own "alarms.rules", then an operator's limits
 * kept by the API (api_manual_rules_apply); and every series of the
 * layout registered with its engineering unit.
 *
 * Rule ids are the engine's indexes, so the order is fixed: the gas
 * detectors' GB/T 50493 rules first in the order earlier versions made
 * them, then the config's rules, then every other derived rule. A park
 * upgraded with the same layout and config keeps its alarms' ids (and the
 * journal's states).
 */
#ifndef PARKWATCH_PARKD_ALARMS_H
#define PARKWATCH_PARKD_ALARMS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "alerting/alerting.h"
#include "geo/geo.h"
#include "historian/historian.h"
#include "ingest/ingest.h"

typedef struct parkd_alarm_setup {
    alert_engine *alarms;
    hist *historian;
    const geo_layout *layout; /* may be NULL */
    json_t *rules;            /* "alarms.rules"; may be NULL */
    json_t *limits;           /* "limits" (assets_derive's overrides); may be NULL */
    json_t *units;            /* "units": {"series" or "*.suffix": "unit"}; may be NULL */
    double hazard_margin_m;   /* "alarms.hazard_margin_m" */
    bool derive;              /* "alarms.derive": the layout's rules (default); else only the
                                 config's, the layout's series still registered with units */
    const char *manual_rules_file;
    const ingest_enterprise *ents; /* their interval_ms for the series registered */
    size_t n_ents;
    /* The conditions' rules (parkd_conditions.h), re-added from this
     * directory after the layout's and the config's and before the states
     * are restored; opened into *conditions. NULL: none. */
    const char *conditions_dir;
    struct parkd_conditions **conditions;
} parkd_alarm_setup;

typedef struct parkd_alarm_counts {
    size_t derived, configured, manual, series_with_units;
} parkd_alarm_counts;

/* 0, or -1 with err (nothing is started). */
int parkd_setup_alarms(const parkd_alarm_setup *s, parkd_alarm_counts *counts, char *err,
                       size_t errcap);

#endif
