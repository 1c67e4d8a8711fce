/*
 * test_command.c - plans and the command of an incident (command/): the
 * plan proposed for an incident and its level, activation into tasks,
 * task changes, a level raised, the timeline, a drill, the state replayed
 * at a past time and after a restart, and plans files refused with the
 * place named.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "command/command.h"
#include "tests/support/testutil.h"

#define T0  1796000000000LL
#define MIN 60000LL

/* A chlorine plan for hazard source HS-CL, a generic toxic-release plan,
 * and a fire plan for any substance. */
static const char *plans =
    "{\"plans\": ["
    " {\"id\": \"P-CL2\", \"name\": \"Chlorine release at the chlor-alkali plant\","
    "  \"name_zh\": \"氯碱装置液氯泄漏\","
    "  \"applies\": {\"hazard_sources\": [\"HS-CL\"], \"substances\": [\"chlorine\"],"
    "               \"scenarios\": [\"release\"]},"
    "  \"levels\": [{\"level\": 1, \"sensitive_targets\": true}, {\"level\": 2, \"min_people\": "
    "50},"
    "              {\"level\": 3, \"min_people\": 1}, {\"level\": 4}],"
    "  \"steps\": ["
    "   {\"id\": \"S1\", \"text\": \"Isolate the tank and stop the transfer\", \"team\": \"OPS\"},"
    "   {\"id\": \"S2\", \"text\": \"Water curtain downwind\", \"team\": \"PARK-TEAM-F1\","
    "    \"levels\": [1, 2, 3]},"
    "   {\"id\": \"S3\", \"text\": \"Evacuate the homes downwind\", \"levels\": [1]}]},"
    " {\"id\": \"P-TOX\", \"name\": \"Toxic release\", \"applies\": {\"scenarios\": [\"release\"]},"
    "  \"levels\": [{\"level\": 3, \"min_people\": 1}, {\"level\": 4}],"
    "  \"steps\": [{\"id\": \"S1\", \"text\": \"Shelter in place\"}]},"
    " {\"id\": \"P-FIRE\", \"name\": \"Fire\", \"applies\": {\"scenarios\": [\"fire\"]},"
    "  \"levels\": [{\"level\": 4}], \"steps\": [{\"id\": \"S1\", \"text\": \"Cool the tanks\"}]}"
    "]}";

typedef struct fx {
    char dir[512];
    ev_store *ev;
    command *c;
} fx;

static int setup(void **state) {
    fx *f = calloc(1, sizeof *f);
    char err[256];
    testutil_tmpdir(f->dir, sizeof f->dir, "command");
    if (ev_open(f->dir, NULL, &f->ev, err, sizeof err) != EV_OK) return -1;
    if (command_open(f->ev, plans, "plans.json", &f->c, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fx *f = *state;
    command_close(f->c);
    ev_close(f->ev);
    testutil_rmtree(f->dir);
    free(f);
    return 0;
}

static cmd_incident chlorine(long people, long targets) {
    return (cmd_incident){.id = "INC-1",
                          .enterprise = "E003",
                          .hazard_source = "HS-CL",
                          .substance = "chlorine",
                          .scenario = "release",
                          .people = people,
                          .sensitive_targets = targets};
}

static void test_proposal(void **state) {
    fx *f = *state;
    cmd_incident inc = chlorine(120, 0);
    json_t *p = command_propose(f->c, &inc);
    /* the plan naming the source beats the generic one; 120 people: level 2 */
    assert_string_equal(json_string_value(json_object_get(p, "plan")), "P-CL2");
    assert_int_equal(json_integer_value(json_object_get(p, "level")), 2);
    json_decref(p);
    inc.sensitive_targets = 1; /* a school in a zone: level 1 */
    p = command_propose(f->c, &inc);
    assert_int_equal(json_integer_value(json_object_get(p, "level")), 1);
    json_decref(p);
    inc.people = 0, inc.sensitive_targets = 0; /* nobody: the least level */
    p = command_propose(f->c, &inc);
    assert_int_equal(json_integer_value(json_object_get(p, "level")), 4);
    json_decref(p);
    /* ammonia elsewhere: the generic toxic plan; a fire: the fire plan */
    cmd_incident nh3 = {.id = "INC-2", .substance = "ammonia", .scenario = "release", .people = 3};
    p = command_propose(f->c, &nh3);
    assert_string_equal(json_string_value(json_object_get(p, "plan")), "P-TOX");
    assert_int_equal(json_integer_value(json_object_get(p, "level")), 3);
    json_decref(p);
    nh3.scenario = "fire";
    p = command_propose(f->c, &nh3);
    assert_string_equal(json_string_value(json_object_get(p, "plan")), "P-FIRE");
    json_decref(p);
    nh3.scenario = "explosion"; /* no plan */
    p = command_propose(f->c, &nh3);
    assert_true(json_is_null(p));
    json_decref(p);
}

static json_t *view(fx *f, const cmd_incident *inc, int64_t at) {
    json_t *v = NULL;
    char err[256];
    assert_int_equal(command_view(f->c, inc, at, &v, err, sizeof err), 0);
    return v;
}

static const char *task_state(json_t *v, const char *id) {
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(v, "tasks"), i,
                       t) if (!strcmp(json_string_value(json_object_get(t, "id")),
                                      id)) return json_string_value(json_object_get(t, "state"));
    return NULL;
}

static void test_activate_tasks_timeline_replay(void **state) {
    fx *f = *state;
    cmd_incident inc = chlorine(120, 0);
    char err[256];
    cmd_code code;
    /* the proposal at its level 2: steps S1 and S2 (S3 is level 1 only) */
    assert_int_equal(command_activate(f->c, &inc, NULL, 0, false, "duty officer", T0 + MIN, &code,
                                      err, sizeof err),
                     0);
    json_t *v = view(f, &inc, 0);
    assert_true(json_is_true(json_object_get(v, "active")));
    assert_false(json_is_true(json_object_get(v, "drill")));
    assert_string_equal(json_string_value(json_object_get(json_object_get(v, "plan"), "id")),
                        "P-CL2");
    assert_int_equal(json_integer_value(json_object_get(v, "level")), 2);
    assert_int_equal(json_array_size(json_object_get(v, "tasks")), 2);
    assert_string_equal(task_state(v, "S1"), "open");
    assert_null(task_state(v, "S3"));
    json_decref(v);
    /* twice: a conflict */
    assert_int_equal(command_activate(f->c, &inc, "P-TOX", 0, false, "someone", T0 + 2 * MIN, &code,
                                      err, sizeof err),
                     -1);
    assert_int_equal(code, CMD_ECONFLICT);
    /* S1 acknowledged then done; done is final; S2 skipped needs a note */
    assert_int_equal(command_task(f->c, &inc, "S1", "acknowledged", NULL, "shift leader",
                                  T0 + 3 * MIN, &code, err, sizeof err),
                     0);
    assert_int_equal(command_task(f->c, &inc, "S1", "done", "valve closed", "shift leader",
                                  T0 + 5 * MIN, &code, err, sizeof err),
                     0);
    assert_int_equal(command_task(f->c, &inc, "S1", "acknowledged", NULL, "x", T0 + 6 * MIN, &code,
                                  err, sizeof err),
                     -1);
    assert_int_equal(code, CMD_ECONFLICT);
    assert_int_equal(
        command_task(f->c, &inc, "S2", "skipped", NULL, "x", T0 + 6 * MIN, &code, err, sizeof err),
        -1);
    assert_int_equal(code, CMD_EINVAL);
    assert_int_equal(
        command_task(f->c, &inc, "S9", "done", NULL, "x", T0 + 6 * MIN, &code, err, sizeof err),
        -1);
    assert_int_equal(code, CMD_ENOTFOUND);
    /* the school is reached: level 1 adds S3, S1 stays done */
    assert_int_equal(command_set_level(f->c, &inc, 1, "the plume reaches the school", "commander",
                                       T0 + 8 * MIN, &code, err, sizeof err),
                     0);
    json_t *data = json_pack("{s:s, s:f}", "model", "dense_gas", "yellow_m", 1870.0);
    assert_int_equal(command_log(f->c, &inc, "model_run", "Britter-McQuaid run", data, "analyst",
                                 T0 + 9 * MIN, &code, err, sizeof err),
                     0);
    json_decref(data);
    assert_int_equal(command_log(f->c, &inc, "message", "Bus sent to the school", NULL, "commander",
                                 T0 + 10 * MIN, &code, err, sizeof err),
                     0);
    v = view(f, &inc, 0);
    assert_int_equal(json_integer_value(json_object_get(v, "level")), 1);
    assert_string_equal(task_state(v, "S1"), "done");
    assert_string_equal(task_state(v, "S3"), "open");
    json_t *counts = json_object_get(v, "counts");
    assert_int_equal(json_integer_value(json_object_get(counts, "done")), 1);
    assert_int_equal(json_integer_value(json_object_get(counts, "open")), 2);
    /* the timeline: every decision with who and when, in order */
    json_t *tl = json_object_get(v, "timeline");
    assert_int_equal(json_array_size(tl), 6);
    const char *kinds[] = {"activate", "task", "task", "level", "model_run", "message"};
    for (size_t i = 0; i < 6; i++)
        assert_string_equal(json_string_value(json_object_get(json_array_get(tl, i), "kind")),
                            kinds[i]);
    assert_string_equal(json_string_value(json_object_get(json_array_get(tl, 3), "by")),
                        "commander");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(tl, 4), "ts")),
                     T0 + 9 * MIN);
    json_decref(v);
    /* replay at T0 + 4 min: S1 acknowledged, level 2, two lines */
    v = view(f, &inc, T0 + 4 * MIN);
    assert_string_equal(task_state(v, "S1"), "acknowledged");
    assert_int_equal(json_integer_value(json_object_get(v, "level")), 2);
    assert_int_equal(json_array_size(json_object_get(v, "timeline")), 2);
    json_decref(v);
    /* before the activation: nothing */
    v = view(f, &inc, T0);
    assert_false(json_is_true(json_object_get(v, "active")));
    assert_true(json_is_null(json_object_get(v, "plan")));
    json_decref(v);
    /* a restart: the same state from the journal */
    command_close(f->c);
    ev_close(f->ev);
    assert_int_equal(ev_open(f->dir, NULL, &f->ev, err, sizeof err), EV_OK);
    assert_int_equal(command_open(f->ev, plans, "plans.json", &f->c, err, sizeof err), 0);
    v = view(f, &inc, 0);
    assert_int_equal(json_integer_value(json_object_get(v, "level")), 1);
    assert_string_equal(task_state(v, "S1"), "done");
    assert_int_equal(json_array_size(json_object_get(v, "timeline")), 6);
    json_decref(v);
}

static void test_drill(void **state) {
    fx *f = *state;
    cmd_incident inc = chlorine(5, 0);
    inc.id = "INC-7";
    char err[256];
    cmd_code code;
    assert_int_equal(
        command_activate(f->c, &inc, "P-CL2", 3, true, "trainer", T0, &code, err, sizeof err), 0);
    assert_int_equal(command_log(f->c, &inc, "message", "drill message", NULL, "trainer", T0 + MIN,
                                 &code, err, sizeof err),
                     0);
    json_t *v = view(f, &inc, 0);
    assert_true(json_is_true(json_object_get(v, "drill")));
    size_t i;
    json_t *line;
    json_array_foreach(json_object_get(v, "timeline"), i, line)
        assert_true(json_is_true(json_object_get(line, "drill")));
    json_decref(v);
    /* another incident's command is its own */
    cmd_incident other = chlorine(5, 0);
    other.id = "INC-8";
    v = view(f, &other, 0);
    assert_false(json_is_true(json_object_get(v, "active")));
    assert_int_equal(json_array_size(json_object_get(v, "timeline")), 0);
    json_decref(v);
}

static void test_bad_requests_and_plans(void **state) {
    fx *f = *state;
    cmd_incident inc = chlorine(5, 0);
    char err[256];
    cmd_code code;
    assert_int_equal(
        command_activate(f->c, &inc, "P-NONE", 0, false, "u", T0, &code, err, sizeof err), -1);
    assert_int_equal(code, CMD_ENOTFOUND);
    assert_int_equal(
        command_activate(f->c, &inc, "P-CL2", 7, false, "u", T0, &code, err, sizeof err), -1);
    assert_int_equal(code, CMD_EINVAL);
    assert_int_equal(
        command_activate(f->c, &inc, "P-CL2", 0, false, "", T0, &code, err, sizeof err), -1);
    assert_int_equal(command_set_level(f->c, &inc, 2, "why", "u", T0, &code, err, sizeof err), -1);
    assert_int_equal(code, CMD_ECONFLICT); /* nothing active */
    assert_int_equal(command_log(f->c, &inc, "gossip", "x", NULL, "u", T0, &code, err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "kind"));
    /* plans files refused with the place named */
    const struct {
        const char *text, *says;
    } bad[] = {
        {"{\"plans\": [{\"id\": \"A\", \"name\": \"a\", \"levels\": [{\"level\": 5}], "
         "\"steps\": [{\"id\": \"S\", \"text\": \"t\"}]}]}",
         "plan A: levels[0]"},
        {"{\"plans\": [{\"id\": \"A\", \"name\": \"a\", \"levels\": [{\"level\": 1}], "
         "\"steps\": [{\"id\": \"S\", \"text\": \"t\"}, {\"id\": \"S\", \"text\": \"u\"}]}]}",
         "id \"S\" twice"},
        {"{\"plans\": [{\"id\": \"A\", \"name\": \"a\", \"levels\": [{\"level\": 1}], "
         "\"steps\": [{\"id\": \"S\", \"text\": \"t\"}]}, {\"id\": \"A\", \"name\": \"b\", "
         "\"levels\": [{\"level\": 1}], \"steps\": [{\"id\": \"S\", \"text\": \"t\"}]}]}",
         "plan A twice"},
        {"{\"plans\": [{\"id\": \"A\", \"name\": \"a\", \"levels\": [{\"level\": 2}, {\"level\": "
         "1}], \"steps\": [{\"id\": \"S\", \"text\": \"t\"}]}]}",
         "gravest first"},
        {"{\"plans\": {}}", "\"plans\""},
        {"{\"plans\": [", "line 1"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        command *c2 = NULL;
        err[0] = 0;
        assert_int_equal(command_open(f->ev, bad[k].text, "p.json", &c2, err, sizeof err), -1);
        if (!strstr(err, bad[k].says)) fail_msg("\"%s\" lacks %s", err, bad[k].says);
        assert_null(c2);
    }
    /* no plans: no proposal, activation finds nothing */
    command *none = NULL;
    assert_int_equal(command_open(f->ev, NULL, NULL, &none, err, sizeof err), 0);
    json_t *p = command_propose(none, &inc);
    assert_true(json_is_null(p));
    json_decref(p);
    assert_int_equal(command_activate(none, &inc, NULL, 0, false, "u", T0, &code, err, sizeof err),
                     -1);
    assert_int_equal(code, CMD_ENOTFOUND);
    command_close(none);
}

/* The response's resources: available with their whole quantity until
 * set; deployed to an incident; the status at a past time; refused
 * changes name the field. */
static void test_resources(void **state) {
    fx *f = *state;
    const char *layout =
        "{\"type\": \"FeatureCollection\", \"features\": ["
        "{\"type\": \"Feature\", \"geometry\": {\"type\": \"Point\", \"coordinates\": "
        "[121.42, 30.78]}, \"properties\": {\"id\": \"TEAM-1\", \"kind\": \"resource\", "
        "\"resource_type\": \"team\", \"name\": \"Fire brigade 1\", \"quantity\": 24, "
        "\"unit\": \"people\"}},"
        "{\"type\": \"Feature\", \"geometry\": {\"type\": \"Point\", \"coordinates\": "
        "[121.43, 30.78]}, \"properties\": {\"id\": \"FOAM-1\", \"kind\": \"resource\", "
        "\"resource_type\": \"stock\", \"name\": \"Foam\", \"quantity\": 20, \"unit\": "
        "\"t\"}},"
        "{\"type\": \"Feature\", \"geometry\": {\"type\": \"Point\", \"coordinates\": "
        "[121.44, 30.78]}, \"properties\": {\"id\": \"G1\", \"kind\": \"gate\"}}]}";
    const char *texts[] = {layout}, *names[] = {"park"};
    geo_layout *g = NULL;
    geo_problems p = {0};
    assert_int_equal(geo_load_text(texts, names, 1, NULL, &g, &p), 0);
    char err[256];
    cmd_code code;
    json_t *r = command_resources(f->c, g, 0, err, sizeof err);
    json_t *team = json_array_get(json_object_get(r, "resources"), 0);
    assert_int_equal(json_array_size(json_object_get(r, "resources")), 2);
    assert_string_equal(json_string_value(json_object_get(team, "status")), "available");
    assert_true(json_number_value(json_object_get(team, "available")) == 24);
    assert_true(json_is_null(json_object_get(team, "at")));
    json_decref(r);
    /* deployed to INC-1 at T0 + 1 min, 16 of 24 */
    assert_int_equal(command_resource_set(f->c, g, "TEAM-1", "deployed", 16, "INC-1", NULL,
                                          "commander", T0 + MIN, &code, err, sizeof err),
                     0);
    /* foam used up: out of service with nothing at hand */
    assert_int_equal(command_resource_set(f->c, g, "FOAM-1", "out_of_service", NAN, NULL,
                                          "restock ordered", "store", T0 + 2 * MIN, &code, err,
                                          sizeof err),
                     0);
    r = command_resources(f->c, g, 0, err, sizeof err);
    team = json_array_get(json_object_get(r, "resources"), 0);
    json_t *foam = json_array_get(json_object_get(r, "resources"), 1);
    assert_string_equal(json_string_value(json_object_get(team, "status")), "deployed");
    assert_string_equal(json_string_value(json_object_get(team, "incident")), "INC-1");
    assert_true(json_number_value(json_object_get(team, "available")) == 16);
    assert_string_equal(json_string_value(json_object_get(team, "by")), "commander");
    assert_true(json_number_value(json_object_get(foam, "available")) == 0);
    assert_string_equal(json_string_value(json_object_get(foam, "note")), "restock ordered");
    json_decref(r);
    /* at T0 + 30 s: nothing set yet */
    r = command_resources(f->c, g, T0 + MIN / 2, err, sizeof err);
    team = json_array_get(json_object_get(r, "resources"), 0);
    assert_string_equal(json_string_value(json_object_get(team, "status")), "available");
    json_decref(r);
    /* refused: not a resource, more than it has, deployed nowhere, a bad status */
    assert_int_equal(command_resource_set(f->c, g, "G1", "available", NAN, NULL, NULL, "u", T0,
                                          &code, err, sizeof err),
                     -1);
    assert_int_equal(code, CMD_ENOTFOUND);
    assert_int_equal(command_resource_set(f->c, g, "TEAM-1", "available", 25, NULL, NULL, "u", T0,
                                          &code, err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "available"));
    assert_int_equal(command_resource_set(f->c, g, "TEAM-1", "deployed", 5, NULL, NULL, "u", T0,
                                          &code, err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "incident"));
    assert_int_equal(command_resource_set(f->c, g, "TEAM-1", "asleep", NAN, NULL, NULL, "u", T0,
                                          &code, err, sizeof err),
                     -1);
    assert_int_equal(code, CMD_EINVAL);
    geo_close(g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_proposal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_activate_tasks_timeline_replay, setup, teardown),
        cmocka_unit_test_setup_teardown(test_drill, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_requests_and_plans, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resources, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
