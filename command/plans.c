/*
 * plans.c - the contingency plans file, checked where it enters, and the
 * choice of a plan and a level for an incident (command.h).
 */
#include <stdio.h>
#include <string.h>

#include "command/internal.h"
#include "common/errmsg.h"

#define ID_MAX 64

static bool text_ok(const json_t *v, size_t max, bool required) {
    if (!v) return !required;
    return json_is_string(v) && json_string_length(v) > 0 && json_string_length(v) <= max;
}

static bool strings_ok(const json_t *a) {
    if (!a) return true;
    if (!json_is_array(a) || json_array_size(a) > 100) return false;
    size_t i;
    json_t *x;
    json_array_foreach(a, i, x) if (!text_ok(x, ID_MAX, true)) return false;
    return true;
}

static int check_levels(const json_t *levels, const char *pid, char *err, size_t errcap) {
    if (!json_is_array(levels) || json_array_size(levels) < 1 || json_array_size(levels) > 4)
        return pw_fail(err, errcap, "plan %s: levels: 1 to 4 of them", pid);
    size_t i;
    json_t *l;
    int last = 0;
    json_array_foreach(levels, i, l) {
        json_int_t n = json_integer_value(json_object_get(l, "level"));
        json_t *mp = json_object_get(l, "min_people");
        if (!json_is_object(l) || !json_is_integer(json_object_get(l, "level")) || n < 1 || n > 4 ||
            n <= last)
            return pw_fail(err, errcap,
                           "plan %s: levels[%zu]: \"level\" 1 to 4, gravest first, each once", pid,
                           i);
        if (mp && (!json_is_integer(mp) || json_integer_value(mp) < 0))
            return pw_fail(err, errcap, "plan %s: levels[%zu]: \"min_people\" a whole number", pid,
                           i);
        const char *flags[] = {"sensitive_targets", "leaves_park"};
        for (int k = 0; k < 2; k++) {
            json_t *b = json_object_get(l, flags[k]);
            if (b && !json_is_boolean(b))
                return pw_fail(err, errcap, "plan %s: levels[%zu]: \"%s\" true or false", pid, i,
                               flags[k]);
        }
        last = (int)n;
    }
    return 0;
}

static int check_steps(const json_t *steps, const char *pid, char *err, size_t errcap) {
    if (!json_is_array(steps) || json_array_size(steps) < 1 ||
        json_array_size(steps) > CMD_STEPS_MAX)
        return pw_fail(err, errcap, "plan %s: steps: 1 to %d of them", pid, CMD_STEPS_MAX);
    size_t i, j;
    json_t *s, *x;
    json_array_foreach(steps, i, s) {
        if (!json_is_object(s) || !text_ok(json_object_get(s, "id"), ID_MAX, true) ||
            !text_ok(json_object_get(s, "text"), CMD_TEXT_MAX, true) ||
            !text_ok(json_object_get(s, "text_zh"), CMD_TEXT_MAX, false) ||
            !text_ok(json_object_get(s, "team"), ID_MAX, false))
            return pw_fail(err, errcap,
                           "plan %s: steps[%zu]: \"id\" (at most %d bytes), \"text\" (at most %d), "
                           "optional \"text_zh\" and \"team\"",
                           pid, i, ID_MAX, CMD_TEXT_MAX);
        json_t *lv = json_object_get(s, "levels");
        if (lv) {
            if (!json_is_array(lv) || !json_array_size(lv) || json_array_size(lv) > 4)
                return pw_fail(err, errcap, "plan %s: steps[%zu]: \"levels\" 1 to 4 of 1..4", pid,
                               i);
            json_array_foreach(lv, j, x) {
                if (!json_is_integer(x) || json_integer_value(x) < 1 || json_integer_value(x) > 4)
                    return pw_fail(err, errcap, "plan %s: steps[%zu]: \"levels\" 1 to 4 of 1..4",
                                   pid, i);
            }
        }
        for (size_t k = 0; k < i; k++)
            if (json_equal(json_object_get(json_array_get(steps, k), "id"),
                           json_object_get(s, "id")))
                return pw_fail(err, errcap, "plan %s: steps[%zu]: id \"%s\" twice", pid, i,
                               json_string_value(json_object_get(s, "id")));
    }
    return 0;
}

int cmd_plans_load(command *c, const char *text, const char *name, char *err, size_t errcap) {
    json_error_t je;
    json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &je);
    if (!root) return pw_fail(err, errcap, "%s: line %d: %s", name, je.line, je.text);
    json_t *plans = json_object_get(root, "plans");
    if (!json_is_array(plans) || json_array_size(plans) > CMD_PLANS_MAX) {
        json_decref(root);
        return pw_fail(err, errcap, "%s: \"plans\": an array of at most %d plans", name,
                       CMD_PLANS_MAX);
    }
    size_t i;
    json_t *p;
    json_array_foreach(plans, i, p) {
        const char *pid = json_string_value(json_object_get(p, "id"));
        json_t *ap = json_object_get(p, "applies");
        char e[300] = "";
        if (!json_is_object(p) || !text_ok(json_object_get(p, "id"), ID_MAX, true) ||
            !text_ok(json_object_get(p, "name"), CMD_TEXT_MAX, true) ||
            !text_ok(json_object_get(p, "name_zh"), CMD_TEXT_MAX, false))
            snprintf(e, sizeof e, "plans[%zu]: \"id\" and \"name\" (strings), optional \"name_zh\"",
                     i);
        else if (ap && (!json_is_object(ap) || !strings_ok(json_object_get(ap, "hazard_sources")) ||
                        !strings_ok(json_object_get(ap, "substances")) ||
                        !strings_ok(json_object_get(ap, "scenarios"))))
            snprintf(e, sizeof e,
                     "plan %s: \"applies\": hazard_sources, substances, scenarios (arrays of "
                     "names)",
                     pid);
        else if (check_levels(json_object_get(p, "levels"), pid, e, sizeof e) != 0 ||
                 check_steps(json_object_get(p, "steps"), pid, e, sizeof e) != 0) {
        }
        for (size_t k = 0; !e[0] && k < i; k++)
            if (json_equal(json_object_get(json_array_get(plans, k), "id"),
                           json_object_get(p, "id")))
                snprintf(e, sizeof e, "plan %s twice", pid);
        if (e[0]) {
            json_decref(root);
            return pw_fail(err, errcap, "%s: %s", name, e);
        }
    }
    c->plans = json_incref(plans);
    json_decref(root);
    return 0;
}

static bool names(const json_t *applies, const char *key, const char *value) {
    size_t i;
    json_t *x;
    if (!value || !*value) return false;
    json_array_foreach(json_object_get(applies, key), i,
                       x) if (!strcasecmp(json_string_value(x), value)) return true;
    return false;
}

/* -1: the plan names something else the incident is not; else its score:
 * a hazard source named 4, a substance 2, a scenario 1. */
static int score(const json_t *plan, const cmd_incident *inc) {
    const json_t *ap = json_object_get(plan, "applies");
    int s = 0;
    const struct {
        const char *key, *value;
        int weight;
    } keys[] = {{"hazard_sources", inc->hazard_source, 4},
                {"substances", inc->substance, 2},
                {"scenarios", inc->scenario, 1}};
    for (int k = 0; k < 3; k++) {
        if (!json_array_size(json_object_get(ap, keys[k].key))) continue; /* any */
        if (!names(ap, keys[k].key, keys[k].value)) return -1;
        s += keys[k].weight;
    }
    return s;
}

const json_t *cmd_plan_find(const command *c, const char *id) {
    size_t i;
    json_t *p;
    json_array_foreach(c->plans, i,
                       p) if (!strcmp(json_string_value(json_object_get(p, "id")), id)) return p;
    return NULL;
}

int cmd_plan_level(const json_t *plan, const cmd_incident *inc, const char **why) {
    size_t i;
    json_t *l;
    int lowest = 4;
    json_array_foreach(json_object_get(plan, "levels"), i, l) {
        int n = (int)json_integer_value(json_object_get(l, "level"));
        json_t *mp = json_object_get(l, "min_people");
        lowest = n;
        if (json_is_true(json_object_get(l, "sensitive_targets")) && inc->sensitive_targets > 0) {
            *why = "a sensitive target is in a threat zone";
            return n;
        }
        if (json_is_true(json_object_get(l, "leaves_park")) && inc->leaves_park) {
            *why = "a threat zone reaches beyond the park";
            return n;
        }
        if (mp && inc->people >= json_integer_value(mp) && json_integer_value(mp) > 0) {
            *why = "people in the threat zones";
            return n;
        }
    }
    *why = "the plan's least level";
    return lowest;
}

json_t *command_propose(command *c, const cmd_incident *inc) {
    size_t i;
    json_t *p, *best = NULL;
    int best_score = -1;
    json_array_foreach(c->plans, i, p) {
        int s = score(p, inc);
        if (s > best_score) best_score = s, best = p;
    }
    if (!best) return json_null();
    const char *why = "";
    int level = cmd_plan_level(best, inc, &why);
    return json_pack("{s:O, s:O, s:O?, s:i, s:s, s:i}", "plan", json_object_get(best, "id"), "name",
                     json_object_get(best, "name"), "name_zh", json_object_get(best, "name_zh"),
                     "level", level, "why", why, "match", best_score);
}

json_t *command_plans(command *c) {
    return json_pack("{s:o}", "plans", c->plans ? json_incref(c->plans) : json_array());
}
