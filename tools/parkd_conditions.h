/*
 * parkd_conditions.h - conditions judged outside the alarm engine
 * (closedpark/, specialwork/, cameras/: common/condition.h) made alarms.
 *
 * Each distinct condition name becomes one rule of kind ALERT_CONDITION on
 * a historian series of that name, the first time it is seen. Rule ids are
 * the engine's indexes and must come back in the same order at every
 * start: the names are kept, in order, in DIR/condition-rules.jsonl
 * (appended and synced before the rule is added), and
 * parkd_conditions_open re-adds them after the layout's and the config's
 * rules and before the alarm states are restored.
 *
 * Threads: parkd_conditions_set may be called from any thread (a mutex;
 * the engine has its own lock).
 */
#ifndef PARKWATCH_PARKD_CONDITIONS_H
#define PARKWATCH_PARKD_CONDITIONS_H

#include <stddef.h>

#include "alerting/alerting.h"
#include "common/condition.h"
#include "historian/historian.h"

typedef struct parkd_conditions parkd_conditions;

/* Re-adds the rules listed in dir's file. 0 and *out, or -1 with err. */
int parkd_conditions_open(const char *dir, hist *h, alert_engine *al, parkd_conditions **out,
                          char *err, size_t errcap);
void parkd_conditions_close(parkd_conditions *pc);

/* The pw_condition_fn: ctx is the parkd_conditions. */
void parkd_conditions_set(const pw_condition *c, void *ctx);

/* How many rules it has made or re-added, and conditions it could not
 * make an alarm of (a full disk, a bad name). */
void parkd_conditions_counts(parkd_conditions *pc, size_t *rules, size_t *failed);

#endif
