/*
 * gas_defaults.h - the alarms every gas detector gets (GB/T 50493-2019,
 * "Standard for design of combustible gas and toxic gas detection and
 * alarm for petrochemical industry"), as parkd sets them up for each
 * series of a layout's detectors.
 *
 * The two levels' limits are the detector's own: the layout gives them,
 * or for a combustible gas geo defaults them to 25 and 50 %LEL; a toxic
 * gas has no default. This module adds the policy around them: which kind
 * and priority each level is, the deadband and delays that keep a reading
 * at the limit from chattering, and the stale-data watch.
 */
#ifndef PARKWATCH_GAS_DEFAULTS_H
#define PARKWATCH_GAS_DEFAULTS_H

#include <stdbool.h>

#include "alerting/alerting.h"

#define ALERT_GAS_RULES 3 /* rules per detector series */

/* The rules of one series of a gas detector, in this order:
 *   [0] ALERT_HIGH at alarm1 (first level), priority 2, or 1 when the
 *       detector is near a major hazard source (near_hazard);
 *   [1] ALERT_HIGH_HIGH at alarm2 (second level), priority 1;
 *   both with a deadband of 5 % of alarm1, on after 2 s, off after 5 s;
 *   [2] ALERT_STALE after 60 s without a reading, priority 3, no delays.
 * series is left 0 (the caller registers the series); series_name and
 * enterprise are the caller's strings (alert_add_rules copies them). */
void alert_gas_defaults(const char *series_name, const char *enterprise, double alarm1,
                        double alarm2, bool near_hazard, alert_rule out[ALERT_GAS_RULES]);

#endif
