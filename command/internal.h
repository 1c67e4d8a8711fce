/*
 * internal.h - command/'s private parts: the module's state and the plans'
 * helpers shared by plans.c and command.c.
 */
#ifndef PARKWATCH_COMMAND_INTERNAL_H
#define PARKWATCH_COMMAND_INTERNAL_H

#include <pthread.h>

#include "command/command.h"

struct command {
    ev_store *ev;
    json_t *plans;      /* the checked array, or NULL */
    pthread_mutex_t mu; /* a write's check and append, one at a time */
};

/* Loads and checks the plans file's text into c->plans. */
int cmd_plans_load(command *c, const char *text, const char *name, char *err, size_t errcap);
/* The plan with this id, or NULL (borrowed from c->plans). */
const json_t *cmd_plan_find(const command *c, const char *id);
/* The level the plan's criteria give for the incident, and why (static). */
int cmd_plan_level(const json_t *plan, const cmd_incident *inc, const char **why);

#endif
