/*
 * command.h - contingency plans (预案) and the command of an incident
 * (issue 22): the one public header of command/.
 *
 * Plans are read from a JSON file (docs/emergency-plans.md gives the
 * format): each applies to hazard sources, substances and scenarios, has
 * response levels (1 the gravest, 4 the least; each with the people in
 * the threat zones or a sensitive target that calls for it) and a
 * checklist of steps, each for a team (a layout resource or a role) and
 * the levels it applies at.
 *
 * Command: opening an incident proposes the plan whose scope matches best
 * (a hazard source named beats a substance, which beats a scenario alone)
 * and the level its criteria give. Activating it turns the steps of that
 * level into tasks, each tracked open -> acknowledged -> done (or
 * skipped, with a reason). Every decision, task change, message and model
 * run is an event of the incident's timeline, with who and when, in the
 * event store (kind "command", entity "incident:<id>"). Nothing else is
 * kept: the state at any time is the journal folded up to that time, so a
 * replay shows the command as it stood then, and a restart loses nothing.
 *
 * A drill is an incident activated with drill set: marked so in every
 * answer and every event of its timeline, so that whatever reads the
 * timeline (a notifier, a report) can leave it inside the park.
 *
 * Errors: functions return 0, or -1 with err (CMD_* in *code where given:
 * a bad request, nothing there, a conflict). Threads: a command is safe to
 * call from any thread; writes of one incident are serialised by the
 * module's lock so two operators cannot activate twice. Ownership: answers
 * are new jansson values the caller owns; the event store is borrowed.
 */
#ifndef PARKWATCH_COMMAND_H
#define PARKWATCH_COMMAND_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "events/events.h"
#include "geo/geo.h"

#define CMD_PLANS_MAX    256
#define CMD_STEPS_MAX    200
#define CMD_TEXT_MAX     1000 /* bytes of a step's text or a message */
#define CMD_TIMELINE_MAX 5000 /* events of one incident read back */

typedef enum cmd_code { CMD_OK = 0, CMD_EINVAL, CMD_ENOTFOUND, CMD_ECONFLICT, CMD_EIO } cmd_code;

typedef struct command command;

/* plans_text: the plans file's JSON text (NULL: no plans; every incident
 * then gets no proposal); name for messages. The store is required. */
int command_open(ev_store *events, const char *plans_text, const char *name, command **out,
                 char *err, size_t errcap);
void command_close(command *c);

/* The plans as loaded: {"plans": [{id, name, name_zh, applies, levels,
 * steps}]}. */
json_t *command_plans(command *c);

/* What an incident is, for choosing its plan and level. */
typedef struct cmd_incident {
    const char *id;            /* "INC-1" */
    const char *enterprise;    /* "" park-level */
    const char *hazard_source; /* the layout's hazard source it is in, or NULL */
    const char *substance;
    const char *scenario;   /* "release", "fire", "explosion" */
    long people;            /* in its threat zones (tracked or nominal) */
    long sensitive_targets; /* reached by its zones */
    bool leaves_park;       /* a zone reaches beyond the park's plots */
} cmd_incident;

/* {plan, name, name_zh, level, why} of the best plan, or JSON null when
 * none applies. */
json_t *command_propose(command *c, const cmd_incident *inc);

/* Activates plan (NULL: the proposal) at level (0: the proposed one) for
 * the incident: its tasks made from the steps of that level. CMD_ECONFLICT
 * when a plan is active already (a level change is command_set_level). */
int command_activate(command *c, const cmd_incident *inc, const char *plan, int level, bool drill,
                     const char *user, int64_t now_ms, cmd_code *code, char *err, size_t errcap);
/* Raises or lowers the level: the steps of the new level not yet tasks
 * become tasks; done ones stay done. */
int command_set_level(command *c, const cmd_incident *inc, int level, const char *reason,
                      const char *user, int64_t now_ms, cmd_code *code, char *err, size_t errcap);
/* A task's change: state "acknowledged", "done" or "skipped" (a note is
 * required for skipped). CMD_ECONFLICT for a change its state does not
 * allow (done is final). */
int command_task(command *c, const cmd_incident *inc, const char *task, const char *state,
                 const char *note, const char *user, int64_t now_ms, cmd_code *code, char *err,
                 size_t errcap);
/* A line of the timeline: kind "message", "decision" or "model_run", with
 * a text and optional data (a JSON object, e.g. a threat-zone run's
 * inputs and distances; borrowed). */
int command_log(command *c, const cmd_incident *inc, const char *kind, const char *text,
                const json_t *data, const char *user, int64_t now_ms, cmd_code *code, char *err,
                size_t errcap);
/* The command at at_ms (0: now): {incident, active, drill, plan {id,
 * name, name_zh}, level, tasks [{id, step, text, text_zh, team, state,
 * by, at, note}], counts {open, acknowledged, done, skipped}, timeline
 * [{ts, kind, by, text, data, drill}]}, folded from the journal. */
int command_view(command *c, const cmd_incident *inc, int64_t at_ms, json_t **out, char *err,
                 size_t errcap);

/* ---- the response's resources (issue 22) ---- */

/* A resource's status as last set: the layout's resources (geo kind
 * resource: teams, vehicles, equipment, stock, medical points) are
 * "available" with their whole quantity until set otherwise. status:
 * "available", "deployed" (to an incident, named) or "out_of_service";
 * available: how much of the quantity is at hand (0..quantity; NAN: all
 * when available, none otherwise). Journalled in the event store (kind
 * "resource", entity "resource:<id>", the state of the entity), so the
 * status at any time is ev_state_at's. CMD_ENOTFOUND for an id that is no
 * resource of the layout. */
int command_resource_set(command *c, const geo_layout *g, const char *id, const char *status,
                         double available, const char *incident, const char *note, const char *user,
                         int64_t now_ms, cmd_code *code, char *err, size_t errcap);
/* Every resource of the layout with its status at at_ms (0: now):
 * {"resources": [{id, name, name_zh, resource_type, quantity, unit,
 * enterprise, lon, lat, status, available, incident, note, by, at}]}
 * (by and at null when never set). NULL with err when the store fails. */
json_t *command_resources(command *c, const geo_layout *g, int64_t at_ms, char *err, size_t errcap);

#endif
