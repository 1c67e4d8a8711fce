/*
 * gas_defaults.c - a gas detector's alarm rules (gas_defaults.h).
 */
#include "alerting/gas_defaults.h"

#define GAS_DEADBAND_SHARE 0.05 /* of the first level: a reading at the limit does not chatter */
#define GAS_ON_DELAY_MS    2000
#define GAS_OFF_DELAY_MS   5000
#define GAS_STALE_S        60

void alert_gas_defaults(const char *series_name, const char *enterprise, double alarm1,
                        double alarm2, bool near_hazard, alert_rule out[ALERT_GAS_RULES]) {
    double deadband = alarm1 * GAS_DEADBAND_SHARE;
    out[0] = (alert_rule){.series_name = series_name,
                          .enterprise = enterprise,
                          .kind = ALERT_HIGH,
                          .limit = alarm1,
                          .deadband = deadband,
                          .on_delay_ms = GAS_ON_DELAY_MS,
                          .off_delay_ms = GAS_OFF_DELAY_MS,
                          /* one higher near a major hazard source */
                          .priority = near_hazard ? 1 : 2};
    out[1] = (alert_rule){.series_name = series_name,
                          .enterprise = enterprise,
                          .kind = ALERT_HIGH_HIGH,
                          .limit = alarm2,
                          .deadband = deadband,
                          .on_delay_ms = GAS_ON_DELAY_MS,
                          .off_delay_ms = GAS_OFF_DELAY_MS,
                          .priority = 1};
    out[2] = (alert_rule){.series_name = series_name,
                          .enterprise = enterprise,
                          .kind = ALERT_STALE,
                          .limit = GAS_STALE_S,
                          .priority = 3};
}
