/*
 * test_specialwork.c - special-work permits (specialwork/): every category
 * and grade rule and each window maximum refused with its reason
 * (docs/reference/special-work-and-closed-park.md §1.1, §1.2), invalid
 * locations refused, the state machine (start outside the window, steps
 * out of order), gas tests judged against §1.5 on worked values, each
 * condition raised by a hand-made scenario and cleared with nothing else
 * raised, the rebuild from the event store at reopen, the enterprise
 * scope, the map and the regulator's statistics.
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

#include "events/events.h"
#include "specialwork/specialwork.h"
#include "tests/support/testutil.h"

#define T0  1765094400000LL /* 2025-12-07T08:00:00Z, 16:00 in the park (UTC+8) */
#define MIN 60000LL
#define H   (60 * MIN)
#define D   (24 * H)

static const sw_actor park = {SW_ACTOR_PARK, "op-wang", NULL};
static const sw_actor e1 = {SW_ACTOR_ENTERPRISE, "e001-safety", "E001"};
static const sw_actor e2 = {SW_ACTOR_ENTERPRISE, "e002-safety", "E002"};
static const sw_actor reg = {SW_ACTOR_REGULATOR, "regulator-liu", NULL};

typedef struct said {
    char name[160], kind[32], basis[200];
    bool active;
    int priority;
    double value, limit;
} said;

typedef struct fixture {
    char dir[512];
    ev_store *ev;
    specialwork *sw;
    said s[64];
    size_t n;
} fixture;

static void record(const pw_condition *c, void *ctx) {
    fixture *f = ctx;
    assert_true(f->n < 64);
    said *s = &f->s[f->n++];
    snprintf(s->name, sizeof s->name, "%s", c->name);
    snprintf(s->kind, sizeof s->kind, "%s", c->kind);
    snprintf(s->basis, sizeof s->basis, "%s", c->basis);
    s->active = c->active, s->priority = c->priority, s->value = c->value, s->limit = c->limit;
}

static void open_sw(fixture *f) {
    specialwork_options o;
    specialwork_options_default(&o);
    o.events = f->ev, o.on_condition = record, o.ctx = f;
    char err[256];
    assert_int_equal(specialwork_open(&o, &f->sw, err, sizeof err), SW_OK);
}

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    testutil_tmpdir(f->dir, sizeof f->dir, "specialwork");
    char err[256];
    assert_int_equal(ev_open(f->dir, NULL, &f->ev, err, sizeof err), EV_OK);
    open_sw(f);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    specialwork_close(f->sw);
    ev_close(f->ev);
    testutil_rmtree(f->dir);
    free(f);
    return 0;
}

/* A permit from a JSON template: %s the category and grade members,
 * windows from T0 + from to T0 + to. */
#define POINT "{\"type\":\"Point\",\"coordinates\":[121.0,30.0]}"

static sw_status file(fixture *f, const sw_actor *who, const char *ent, const char *cat,
                      const char *grade, int64_t from, int64_t to, const char *loc, int64_t now,
                      char id[SW_ID_MAX], char *err, size_t errcap) {
    json_t *r =
        json_pack("{s:s,s:s,s:I,s:I,s:s,s:s,s:s}", "category", cat, "enterprise", ent,
                  "window_from_ms", (json_int_t)(T0 + from), "window_to_ms", (json_int_t)(T0 + to),
                  "content", "replace flange gasket", "leader", "张工", "guardian", "李师傅");
    if (grade) json_object_set_new(r, "grade", json_string(grade));
    json_object_set_new(r, "location", json_loads(loc ? loc : POINT, 0, NULL));
    sw_status st = specialwork_file(f->sw, who, r, now, id, err, errcap);
    json_decref(r);
    return st;
}

/* Files and expects a refusal whose message holds `want`. */
static void refused(fixture *f, const char *cat, const char *grade, int64_t span, const char *loc,
                    const char *want) {
    char id[SW_ID_MAX], err[256] = "";
    assert_int_equal(file(f, &park, "E001", cat, grade, 0, span, loc, T0, id, err, sizeof err),
                     SW_EINVAL);
    if (!strstr(err, want)) fail_msg("%s/%s: \"%s\" lacks \"%s\"", cat, grade, err, want);
}

static void accepted(fixture *f, const char *cat, const char *grade, int64_t span,
                     char id[SW_ID_MAX]) {
    char err[256] = "";
    sw_status st = file(f, &park, "E001", cat, grade, 0, span, NULL, T0, id, err, sizeof err);
    if (st) fail_msg("%s/%s refused: %s", cat, grade ? grade : "-", err);
}

static void test_categories_grades_windows(void **state) {
    fixture *f = *state;
    char id[SW_ID_MAX];
    refused(f, "welding", NULL, H, NULL, "category: hot_work, confined_space");
    /* grades, reference §1.1 */
    refused(f, "hot_work", NULL, H, NULL, "hot_work is graded special (特级), 1 (一级) or 2");
    refused(f, "hot_work", "3", H, NULL, "hot_work is graded");
    refused(f, "work_at_height", "V", H, NULL, "work_at_height is graded I, II, III or IV");
    refused(f, "lifting", "4", H, NULL, "lifting is graded 1, 2 or 3");
    refused(f, "confined_space", "1", H, NULL, "confined_space is not graded");
    refused(f, "blinding", "2", H, NULL, "blinding is not graded");
    refused(f, "temporary_power", "I", H, NULL, "temporary_power is not graded");
    refused(f, "excavation", "1", H, NULL, "excavation is not graded");
    refused(f, "road_closure", "special", H, NULL, "road_closure is not graded");
    /* the longest windows, reference §1.2: at the limit taken, 1 ms more refused */
    struct {
        const char *cat, *grade;
        int64_t max;
        const char *why;
    } v[] = {
        {"hot_work", "special", 8 * H, "hot work grade special or 1: 8 h"},
        {"hot_work", "1", 8 * H, "hot work grade special or 1: 8 h"},
        {"hot_work", "2", 72 * H, "hot work grade 2: 72 h"},
        {"confined_space", NULL, 24 * H, "confined space: 24 h"},
        {"work_at_height", "IV", 7 * D, "work at height: 7 d"},
        {"temporary_power", NULL, 30 * D, "temporary power: 30 d"},
        {"blinding", NULL, 7 * D, "Parkwatch's choice"},
        {"lifting", "1", 7 * D, "Parkwatch's choice"},
        {"excavation", NULL, 7 * D, "Parkwatch's choice"},
        {"road_closure", NULL, 7 * D, "Parkwatch's choice"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        refused(f, v[i].cat, v[i].grade, v[i].max + 1, NULL, v[i].why);
        accepted(f, v[i].cat, v[i].grade, v[i].max, id);
    }
    assert_int_equal(specialwork_count(f->sw), 10);
    /* the ids: the filing day in the park's time, in sequence */
    assert_string_equal(id, "E001-20251207-0010");
    /* the window itself */
    char err[256];
    assert_int_equal(
        file(f, &park, "E001", "excavation", NULL, H, H, NULL, T0, id, err, sizeof err), SW_EINVAL);
    assert_non_null(strstr(err, "window_from_ms before window_to_ms"));
    assert_int_equal(
        file(f, &park, "E001", "excavation", NULL, -2 * H, -H, NULL, T0, id, err, sizeof err),
        SW_EINVAL);
    assert_non_null(strstr(err, "already ended"));
    json_t *r = json_pack("{s:s,s:s,s:s,s:s}", "category", "excavation", "enterprise", "E001",
                          "content", "dig", "guardian", "g");
    assert_int_equal(specialwork_file(f->sw, &park, r, T0, id, err, sizeof err), SW_EINVAL);
    assert_non_null(strstr(err, "leader"));
    json_decref(r);
    assert_int_equal(specialwork_count(f->sw), 10);
}

static void test_locations(void **state) {
    fixture *f = *state;
    char id[SW_ID_MAX];
    refused(f, "excavation", NULL, H,
            "{\"type\":\"Polygon\",\"coordinates\":[[[121,30],[121.001,30],[121.001,30.001],"
            "[121,30.001]]]}",
            "not closed");
    refused(f, "excavation", NULL, H,
            "{\"type\":\"Polygon\",\"coordinates\":[[[121,30],[121.001,30],[121,30]]]}",
            "4..200 positions");
    /* a bow tie: edges 0 and 2 cross */
    refused(f, "excavation", NULL, H,
            "{\"type\":\"Polygon\",\"coordinates\":[[[121,30],[121.001,30.001],[121.001,30],"
            "[121,30.001],[121,30]]]}",
            "crosses itself");
    /* a spike doubling back on its own edge */
    refused(f, "excavation", NULL, H,
            "{\"type\":\"Polygon\",\"coordinates\":[[[121,30],[121.002,30],[121.001,30],"
            "[121.001,30.001],[121,30]]]}",
            "crosses itself");
    refused(f, "excavation", NULL, H,
            "{\"type\":\"Polygon\",\"coordinates\":[[[121,30],[121.001,30],[121.001,30.001],"
            "[121,30]],[[121.0002,30.0001],[121.0003,30.0001],[121.0003,30.0002],"
            "[121.0002,30.0001]]]}",
            "holes are not taken");
    refused(f, "excavation", NULL, H, "{\"type\":\"Point\",\"coordinates\":[200,30]}",
            "position 0");
    refused(f, "excavation", NULL, H,
            "{\"type\":\"LineString\",\"coordinates\":[[121,30],[121.001,30]]}",
            "type Point or Polygon");
    /* 201 positions */
    json_t *ring = json_array();
    for (int i = 0; i < 200; i++) {
        double a = 2 * M_PI * i / 200;
        json_array_append_new(ring, json_pack("[f,f]", 121 + 0.001 * cos(a), 30 + 0.001 * sin(a)));
    }
    json_array_append_new(ring, json_pack("[f,f]", 121.001, 30.0));
    json_t *poly = json_pack("{s:s,s:[o]}", "type", "Polygon", "coordinates", ring);
    char *text = json_dumps(poly, 0);
    refused(f, "excavation", NULL, H, text, "4..200 positions");
    /* 200 positions (199 + the closing one) are taken */
    json_array_remove(ring, 199);
    free(text);
    text = json_dumps(poly, 0);
    char err[256];
    assert_int_equal(
        file(f, &park, "E001", "excavation", NULL, 0, H, text, T0, id, err, sizeof err), SW_OK);
    free(text);
    json_decref(poly);
    assert_int_equal(specialwork_count(f->sw), 1);
}

static sw_status act(fixture *f, const sw_actor *who, const char *id, sw_action a, int64_t now) {
    char err[256];
    return specialwork_act(f->sw, who, id, a, NULL, now, err, sizeof err);
}

static const char *state_of(fixture *f, const char *id) {
    static char buf[32];
    json_t *r;
    char err[256];
    assert_int_equal(specialwork_get(f->sw, &park, id, &r, err, sizeof err), SW_OK);
    snprintf(buf, sizeof buf, "%s", json_string_value(json_object_get(r, "state")));
    json_decref(r);
    return buf;
}

static void test_state_machine(void **state) {
    fixture *f = *state;
    char id[SW_ID_MAX], id2[SW_ID_MAX], err[256];
    assert_int_equal(
        file(f, &park, "E001", "hot_work", "2", H, 3 * H, NULL, T0, id, err, sizeof err), SW_OK);
    /* before the window, and at its end: refused */
    assert_int_equal(specialwork_act(f->sw, &park, id, SW_ACT_START, NULL, T0, err, sizeof err),
                     SW_ESTATE);
    assert_non_null(
        strstr(err, "only inside its window 2025-12-07T09:00:00Z..2025-12-07T11:00:00Z"));
    assert_int_equal(act(f, &park, id, SW_ACT_START, T0 + 3 * H), SW_ESTATE);
    assert_int_equal(act(f, &park, id, SW_ACT_SUSPEND, T0 + H), SW_ESTATE);
    assert_int_equal(act(f, &park, id, SW_ACT_CLOSE, T0 + H), SW_ESTATE);
    assert_int_equal(act(f, &park, id, SW_ACT_START, T0 + H), SW_OK);
    assert_string_equal(state_of(f, id), "active");
    assert_int_equal(specialwork_act(f->sw, &park, id, SW_ACT_START, NULL, T0 + H, err, sizeof err),
                     SW_ESTATE);
    assert_non_null(strstr(err, "is active: start takes a filed permit"));
    assert_int_equal(act(f, &park, id, SW_ACT_CANCEL, T0 + H), SW_ESTATE);
    assert_int_equal(act(f, &park, id, SW_ACT_RESUME, T0 + H), SW_ESTATE);
    assert_int_equal(act(f, &park, id, SW_ACT_SUSPEND, T0 + 2 * H), SW_OK);
    assert_string_equal(state_of(f, id), "suspended");
    /* resumed inside the window only */
    assert_int_equal(act(f, &park, id, SW_ACT_RESUME, T0 + 3 * H), SW_ESTATE);
    assert_int_equal(act(f, &park, id, SW_ACT_RESUME, T0 + 2 * H + MIN), SW_OK);
    assert_int_equal(act(f, &park, id, SW_ACT_CLOSE, T0 + 2 * H + 30 * MIN), SW_OK);
    assert_string_equal(state_of(f, id), "closed");
    for (int a = 0; a < SW_ACTION_COUNT; a++)
        assert_int_equal(act(f, &park, id, (sw_action)a, T0 + 2 * H + 40 * MIN), SW_ESTATE);
    /* cancelled before it starts; then nothing more */
    assert_int_equal(
        file(f, &park, "E001", "lifting", "2", H, 3 * H, NULL, T0, id2, err, sizeof err), SW_OK);
    assert_int_equal(act(f, &park, id2, SW_ACT_CANCEL, T0), SW_OK);
    assert_string_equal(state_of(f, id2), "cancelled");
    assert_int_equal(act(f, &park, id2, SW_ACT_START, T0 + H), SW_ESTATE);
    assert_int_equal(act(f, &park, "E001-20251207-9999", SW_ACT_START, T0 + H), SW_ENOTFOUND);
    /* the record keeps the times */
    json_t *r;
    assert_int_equal(specialwork_get(f->sw, &park, id, &r, err, sizeof err), SW_OK);
    assert_int_equal(json_integer_value(json_object_get(r, "started_ms")), T0 + H);
    assert_int_equal(json_integer_value(json_object_get(r, "closed_ms")), T0 + 2 * H + 30 * MIN);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(r, "last_action"), "action")), "close");
    json_decref(r);
}

static sw_status gas(fixture *f, const char *id, const char *json, int64_t now, bool *pass,
                     char *err, size_t errcap) {
    json_t *r = json_loads(json, 0, NULL);
    assert_non_null(r);
    sw_status st = specialwork_gas_test(f->sw, &park, id, r, now, pass, err, errcap);
    json_decref(r);
    return st;
}

static void test_gas_tests(void **state) {
    fixture *f = *state;
    char hot[SW_ID_MAX], cs[SW_ID_MAX], err[256];
    bool pass;
    assert_int_equal(
        file(f, &park, "E001", "hot_work", "1", 0, 4 * H, NULL, T0, hot, err, sizeof err), SW_OK);
    assert_int_equal(
        file(f, &park, "E001", "confined_space", NULL, 0, 4 * H, NULL, T0, cs, err, sizeof err),
        SW_OK);
    /* methane, LEL 5 % vol >= 4 %: the 0.5 % vol band (reference §1.5) */
    assert_int_equal(gas(f, hot,
                         "{\"point\":\"flange A\",\"analyst\":\"王\",\"gas\":\"methane\","
                         "\"combustible_pct_vol\":0.4}",
                         T0, &pass, err, sizeof err),
                     SW_OK);
    assert_true(pass);
    assert_int_equal(gas(f, hot,
                         "{\"point\":\"flange A\",\"analyst\":\"王\",\"gas\":\"甲烷\","
                         "\"combustible_pct_vol\":0.6}",
                         T0, &pass, err, sizeof err),
                     SW_OK);
    assert_false(pass);
    /* propane, LEL 2.0 % (< 4 %): the 0.2 % vol band: 0.3 fails */
    assert_int_equal(gas(f, hot,
                         "{\"point\":\"p\",\"analyst\":\"a\",\"gas\":\"propane\","
                         "\"combustible_pct_vol\":0.3}",
                         T0, &pass, err, sizeof err),
                     SW_OK);
    assert_false(pass);
    /* an unknown gas: the stricter 0.2 % band */
    assert_int_equal(gas(f, hot, "{\"point\":\"p\",\"analyst\":\"a\",\"combustible_pct_vol\":0.3}",
                         T0, &pass, err, sizeof err),
                     SW_OK);
    assert_false(pass);
    /* 8 %LEL of methane is 0.4 % vol: passes */
    assert_int_equal(gas(f, hot,
                         "{\"point\":\"p\",\"analyst\":\"a\",\"gas\":\"methane\","
                         "\"combustible_pct_lel\":8}",
                         T0, &pass, err, sizeof err),
                     SW_OK);
    assert_true(pass);
    /* refused: %LEL of an unknown LEL, no reading, no analyst, a future sample */
    assert_int_equal(gas(f, hot, "{\"point\":\"p\",\"analyst\":\"a\",\"combustible_pct_lel\":8}",
                         T0, &pass, err, sizeof err),
                     SW_EINVAL);
    assert_non_null(strstr(err, "needs the gas's LEL"));
    assert_int_equal(gas(f, hot, "{\"point\":\"p\",\"analyst\":\"a\"}", T0, &pass, err, sizeof err),
                     SW_EINVAL);
    assert_int_equal(
        gas(f, hot, "{\"point\":\"p\",\"combustible_pct_vol\":0.1}", T0, &pass, err, sizeof err),
        SW_EINVAL);
    assert_non_null(strstr(err, "analyst"));
    assert_int_equal(gas(f, hot,
                         "{\"point\":\"p\",\"analyst\":\"a\",\"combustible_pct_vol\":0.1,"
                         "\"ts_ms\":1765094520000}",
                         T0, &pass, err, sizeof err),
                     SW_EINVAL);
    /* confined space: O2 19.5..21 % vol (23.5 enriched) */
    assert_int_equal(gas(f, cs, "{\"point\":\"p\",\"analyst\":\"a\",\"combustible_pct_vol\":0.1}",
                         T0, &pass, err, sizeof err),
                     SW_EINVAL);
    assert_non_null(strstr(err, "o2_pct_vol: required for confined space"));
    assert_int_equal(gas(f, cs,
                         "{\"point\":\"p\",\"analyst\":\"a\",\"combustible_pct_vol\":0.1,"
                         "\"o2_pct_vol\":19.0}",
                         T0, &pass, err, sizeof err),
                     SW_OK);
    assert_false(pass);
    assert_int_equal(gas(f, cs,
                         "{\"point\":\"p\",\"analyst\":\"a\",\"combustible_pct_vol\":0.1,"
                         "\"o2_pct_vol\":20.9}",
                         T0, &pass, err, sizeof err),
                     SW_OK);
    assert_true(pass);
    assert_int_equal(gas(f, cs,
                         "{\"point\":\"p\",\"analyst\":\"a\",\"combustible_pct_vol\":0.1,"
                         "\"o2_pct_vol\":23.0}",
                         T0, &pass, err, sizeof err),
                     SW_OK);
    assert_false(pass);
    assert_int_equal(gas(f, cs,
                         "{\"point\":\"p\",\"analyst\":\"a\",\"combustible_pct_vol\":0.1,"
                         "\"o2_pct_vol\":23.0,\"enriched\":true}",
                         T0, &pass, err, sizeof err),
                     SW_OK);
    assert_true(pass);
    /* a toxic gas above the limit given with it */
    assert_int_equal(gas(f, cs,
                         "{\"point\":\"p\",\"analyst\":\"a\",\"combustible_pct_vol\":0.1,"
                         "\"o2_pct_vol\":20.9,\"toxic\":[{\"gas\":\"H2S\",\"ppm\":12,"
                         "\"limit_ppm\":10}]}",
                         T0, &pass, err, sizeof err),
                     SW_OK);
    assert_false(pass);
    /* stored, failures included */
    json_t *r;
    assert_int_equal(specialwork_get(f->sw, &park, hot, &r, err, sizeof err), SW_OK);
    json_t *tests = json_object_get(r, "gas_tests");
    assert_int_equal(json_array_size(tests), 5);
    json_t *t1 = json_array_get(tests, 1);
    assert_false(json_is_true(json_object_get(t1, "pass")));
    assert_non_null(strstr(json_string_value(json_array_get(json_object_get(t1, "reasons"), 0)),
                           "above 0.5 % vol"));
    json_decref(r);
    /* no more after closing */
    assert_int_equal(act(f, &park, cs, SW_ACT_START, T0 + MIN), SW_OK);
    assert_int_equal(act(f, &park, cs, SW_ACT_CLOSE, T0 + 2 * MIN), SW_OK);
    assert_int_equal(gas(f, cs,
                         "{\"point\":\"p\",\"analyst\":\"a\",\"combustible_pct_vol\":0.1,"
                         "\"o2_pct_vol\":20.9}",
                         T0 + 3 * MIN, &pass, err, sizeof err),
                     SW_ESTATE);
}

static const said *find_said(fixture *f, size_t from, const char *kind, bool active) {
    for (size_t i = from; i < f->n; i++)
        if (!strcmp(f->s[i].kind, kind) && f->s[i].active == active) return &f->s[i];
    return NULL;
}

#define PASS_TEST                                                                                  \
    "{\"point\":\"p\",\"analyst\":\"a\",\"gas\":\"methane\",\"combustible_pct_vol\":0.1}"

static void test_conditions(void **state) {
    fixture *f = *state;
    char hot[SW_ID_MAX], dig[SW_ID_MAX], later[SW_ID_MAX], err[256];
    bool pass;
    /* hot work at (121, 30); an excavation at the same spot and a hot work
     * filed but not started: neither may raise anything */
    assert_int_equal(
        file(f, &park, "E001", "hot_work", "1", 0, 4 * H, NULL, T0, hot, err, sizeof err), SW_OK);
    assert_int_equal(
        file(f, &park, "E001", "excavation", NULL, 0, 4 * H, NULL, T0, dig, err, sizeof err),
        SW_OK);
    assert_int_equal(
        file(f, &park, "E001", "hot_work", "2", 0, 4 * H, NULL, T0, later, err, sizeof err), SW_OK);
    assert_int_equal(act(f, &park, dig, SW_ACT_START, T0), SW_OK);
    assert_int_equal(gas(f, hot, PASS_TEST, T0, &pass, err, sizeof err), SW_OK);
    assert_true(pass);
    assert_int_equal(act(f, &park, hot, SW_ACT_START, T0 + MIN), SW_OK);
    specialwork_tick(f->sw, T0 + 2 * MIN, NULL, 0, NULL, 0);
    assert_int_equal(f->n, 0);
    /* a combustible-gas alarm 20 m north: hot_work_near_gas, P1 */
    sw_gas_alarm near = {"E001-GD-7", 121.0, 30.0 + 20.0 / 111195.0};
    sw_gas_alarm far = {"E001-GD-8", 121.0, 30.0 + 40.0 / 111195.0};
    specialwork_tick(f->sw, T0 + 3 * MIN, &far, 1, NULL, 0);
    assert_int_equal(f->n, 0);
    specialwork_tick(f->sw, T0 + 3 * MIN, &near, 1, NULL, 0);
    assert_int_equal(f->n, 1);
    assert_true(f->s[0].active);
    assert_int_equal(f->s[0].priority, 1);
    char name[160];
    snprintf(name, sizeof name, "E001/permits/%s/hot_work_near_gas", hot);
    assert_string_equal(f->s[0].name, name);
    assert_true(fabs(f->s[0].value - 20.0) < 0.1);
    assert_non_null(strstr(f->s[0].basis, "E001-GD-7"));
    /* raised once */
    specialwork_tick(f->sw, T0 + 4 * MIN, &near, 1, NULL, 0);
    assert_int_equal(f->n, 1);
    specialwork_tick(f->sw, T0 + 5 * MIN, NULL, 0, NULL, 0);
    assert_int_equal(f->n, 2);
    assert_false(f->s[1].active);
    assert_string_equal(f->s[1].name, name);
    /* inside an open incident's footprint (a square around the permit) */
    double ring[] = {120.999, 29.999, 121.001, 29.999, 121.001, 30.001, 120.999, 30.001};
    sw_area inc = {"INC-3", ring, 4};
    specialwork_tick(f->sw, T0 + 6 * MIN, NULL, 0, &inc, 1);
    assert_int_equal(f->n, 3);
    assert_true(f->s[2].active);
    assert_non_null(strstr(f->s[2].basis, "incident INC-3's footprint (inside)"));
    specialwork_tick(f->sw, T0 + 7 * MIN, NULL, 0, NULL, 0);
    assert_int_equal(f->n, 4);
    assert_false(f->s[3].active);
    /* the last passing test at T0; 30 min later it is not yet too old */
    specialwork_tick(f->sw, T0 + 30 * MIN, NULL, 0, NULL, 0);
    assert_int_equal(f->n, 4);
    specialwork_tick(f->sw, T0 + 30 * MIN + 1, NULL, 0, NULL, 0);
    assert_int_equal(f->n, 5);
    assert_string_equal(f->s[4].kind, "no_gas_test");
    assert_true(f->s[4].active);
    assert_int_equal(f->s[4].priority, 2);
    /* a failing test does not count */
    assert_int_equal(gas(f, hot,
                         "{\"point\":\"p\",\"analyst\":\"a\",\"gas\":\"methane\","
                         "\"combustible_pct_vol\":0.7}",
                         T0 + 31 * MIN, &pass, err, sizeof err),
                     SW_OK);
    specialwork_tick(f->sw, T0 + 32 * MIN, NULL, 0, NULL, 0);
    assert_int_equal(f->n, 5);
    assert_int_equal(gas(f, hot, PASS_TEST, T0 + 33 * MIN, &pass, err, sizeof err), SW_OK);
    specialwork_tick(f->sw, T0 + 34 * MIN, NULL, 0, NULL, 0);
    assert_int_equal(f->n, 6);
    assert_false(f->s[5].active);
    /* past the windows' end (T0 + 4 h): the hot work's past_window, its
     * gas test old again, and the excavation's past_window */
    specialwork_tick(f->sw, T0 + 4 * H, NULL, 0, NULL, 0);
    assert_int_equal(f->n, 9);
    const said *pw = find_said(f, 6, "past_window", true);
    assert_non_null(pw);
    assert_int_equal(pw->priority, 3);
    assert_non_null(find_said(f, 6, "no_gas_test", true));
    size_t n_dig = 0;
    for (size_t i = 6; i < 9; i++)
        if (strstr(f->s[i].name, dig)) {
            assert_string_equal(f->s[i].kind, "past_window");
            assert_true(f->s[i].active);
            n_dig++;
        }
    assert_int_equal(n_dig, 1);
    /* closed: the hot work's two clear; the excavation's stays */
    assert_int_equal(act(f, &park, hot, SW_ACT_CLOSE, T0 + 4 * H + MIN), SW_OK);
    specialwork_tick(f->sw, T0 + 4 * H + 2 * MIN, NULL, 0, NULL, 0);
    assert_int_equal(f->n, 11);
    for (size_t i = 9; i < 11; i++) {
        assert_non_null(strstr(f->s[i].name, hot));
        assert_false(f->s[i].active);
    }
    specialwork_tick(f->sw, T0 + 4 * H + 3 * MIN, NULL, 0, NULL, 0);
    assert_int_equal(f->n, 11);
    /* the permit never started named nothing */
    for (size_t i = 0; i < f->n; i++) assert_null(strstr(f->s[i].name, later));
}

/* A polygon permit and footprints beside it: 20 m off is near (30 m,
 * reference §1.6), 40 m off is not; an alarm inside the polygon is 0 m. */
static void test_near_footprint(void **state) {
    fixture *f = *state;
    char hot[SW_ID_MAX], err[256];
    bool pass;
    const double m = 1.0 / 111195.0; /* a metre north */
    assert_int_equal(file(f, &park, "E001", "hot_work", "2", 0, 4 * H,
                          "{\"type\":\"Polygon\",\"coordinates\":[[[121,30],[121.0002,30],"
                          "[121.0002,30.0002],[121,30.0002],[121,30]]]}",
                          T0, hot, err, sizeof err),
                     SW_OK);
    assert_int_equal(gas(f, hot, PASS_TEST, T0, &pass, err, sizeof err), SW_OK);
    assert_int_equal(act(f, &park, hot, SW_ACT_START, T0), SW_OK);
    double top = 30.0002;
    double far[] = {121,      top + 40 * m, 121.0002, top + 40 * m,
                    121.0002, top + 80 * m, 121,      top + 80 * m};
    double near[] = {121,      top + 20 * m, 121.0002, top + 20 * m,
                     121.0002, top + 60 * m, 121,      top + 60 * m};
    sw_area a_far = {"INC-1", far, 4}, a_near = {"INC-2", near, 4};
    specialwork_tick(f->sw, T0 + MIN, NULL, 0, &a_far, 1);
    assert_int_equal(f->n, 0);
    specialwork_tick(f->sw, T0 + 2 * MIN, NULL, 0, &a_near, 1);
    assert_int_equal(f->n, 1);
    assert_true(f->s[0].active);
    assert_true(fabs(f->s[0].value - 20) < 0.1);
    assert_non_null(strstr(f->s[0].basis, "INC-2's footprint (near)"));
    /* an alarm inside the polygon: 0 m; still the same raised condition */
    sw_gas_alarm in = {"GD-IN", 121.0001, 30.0001};
    specialwork_tick(f->sw, T0 + 3 * MIN, &in, 1, NULL, 0);
    assert_int_equal(f->n, 1);
    specialwork_tick(f->sw, T0 + 4 * MIN, NULL, 0, &a_far, 1);
    assert_int_equal(f->n, 2);
    assert_false(f->s[1].active);
}

static void test_reopen(void **state) {
    fixture *f = *state;
    char hot[SW_ID_MAX], err[256];
    bool pass;
    assert_int_equal(
        file(f, &park, "E001", "hot_work", "1", 0, 4 * H, NULL, T0, hot, err, sizeof err), SW_OK);
    assert_int_equal(gas(f, hot, PASS_TEST, T0, &pass, err, sizeof err), SW_OK);
    assert_int_equal(act(f, &park, hot, SW_ACT_START, T0 + MIN), SW_OK);
    specialwork_tick(f->sw, T0 + 31 * MIN, NULL, 0, NULL, 0);
    assert_int_equal(f->n, 1); /* no_gas_test raised */
    /* another writer's "permit:" state is left out, counted */
    ev_record bogus = {.ts_ms = T0,
                       .kind = "permit",
                       .enterprise = "E001",
                       .entities = {"permit:BOGUS"},
                       .n_entities = 1,
                       .body = "{\"state\":\"filed\"}",
                       .body_len = 17,
                       .state_of_first = true};
    assert_int_equal(ev_append(f->ev, &bogus, 1, NULL, err, sizeof err), EV_OK);
    specialwork_close(f->sw);
    f->n = 0;
    open_sw(f);
    assert_int_equal(specialwork_count(f->sw), 1);
    assert_int_equal(specialwork_skipped(f->sw), 1);
    json_t *r;
    assert_int_equal(specialwork_get(f->sw, &park, hot, &r, err, sizeof err), SW_OK);
    assert_string_equal(json_string_value(json_object_get(r, "state")), "active");
    assert_int_equal(json_array_size(json_object_get(r, "gas_tests")), 1);
    assert_int_equal(json_integer_value(json_object_get(r, "started_ms")), T0 + MIN);
    json_decref(r);
    /* after a test, the first tick says every condition's state once: all clear */
    assert_int_equal(gas(f, hot, PASS_TEST, T0 + 32 * MIN, &pass, err, sizeof err), SW_OK);
    specialwork_tick(f->sw, T0 + 33 * MIN, NULL, 0, NULL, 0);
    assert_int_equal(f->n, 3);
    for (size_t i = 0; i < 3; i++) assert_false(f->s[i].active);
    specialwork_tick(f->sw, T0 + 34 * MIN, NULL, 0, NULL, 0);
    assert_int_equal(f->n, 3);
    /* the ids go on */
    char id2[SW_ID_MAX];
    assert_int_equal(
        file(f, &park, "E001", "hot_work", "2", 0, 4 * H, NULL, T0, id2, err, sizeof err), SW_OK);
    assert_string_equal(id2, "E001-20251207-0002");
}

static void test_enterprise_scope(void **state) {
    fixture *f = *state;
    char a[SW_ID_MAX], b[SW_ID_MAX], err[256];
    /* an enterprise files for itself (its id when none is given) */
    json_t *r =
        json_pack("{s:s,s:s,s:I,s:I,s:s,s:s,s:s,s:o}", "category", "excavation", "grade", "",
                  "window_from_ms", (json_int_t)T0, "window_to_ms", (json_int_t)(T0 + H), "content",
                  "c", "leader", "l", "guardian", "g", "location", json_loads(POINT, 0, NULL));
    assert_int_equal(specialwork_file(f->sw, &e1, r, T0, a, err, sizeof err), SW_OK);
    assert_string_equal(a, "E001-20251207-0001");
    json_decref(r);
    assert_int_equal(file(f, &e2, "E001", "excavation", NULL, 0, H, NULL, T0, b, err, sizeof err),
                     SW_EFORBIDDEN);
    assert_int_equal(file(f, &reg, "E001", "excavation", NULL, 0, H, NULL, T0, b, err, sizeof err),
                     SW_EFORBIDDEN);
    assert_int_equal(file(f, &park, "E002", "excavation", NULL, 0, H, NULL, T0, b, err, sizeof err),
                     SW_OK);
    json_t *o;
    assert_int_equal(specialwork_get(f->sw, &e2, a, &o, err, sizeof err), SW_ENOTFOUND);
    assert_int_equal(specialwork_get(f->sw, &reg, a, &o, err, sizeof err), SW_OK);
    json_decref(o);
    assert_int_equal(act(f, &e2, a, SW_ACT_START, T0), SW_ENOTFOUND);
    assert_int_equal(act(f, &reg, a, SW_ACT_START, T0), SW_EFORBIDDEN);
    assert_int_equal(act(f, &e1, a, SW_ACT_START, T0), SW_OK);
    /* lists: an enterprise its own whatever it asks */
    sw_filter fl = {-1, "E001", -1, 0};
    assert_int_equal(specialwork_list(f->sw, &e2, &fl, &o, err, sizeof err), SW_OK);
    assert_int_equal(json_integer_value(json_object_get(o, "total")), 0);
    json_decref(o);
    assert_int_equal(specialwork_list(f->sw, &park, NULL, &o, err, sizeof err), SW_OK);
    assert_int_equal(json_integer_value(json_object_get(o, "total")), 2);
    json_decref(o);
    sw_filter active = {SW_ACTIVE, NULL, -1, 0};
    assert_int_equal(specialwork_list(f->sw, &reg, &active, &o, err, sizeof err), SW_OK);
    assert_int_equal(json_integer_value(json_object_get(o, "total")), 1);
    json_decref(o);
    /* the map: active and suspended only, the scope's */
    assert_int_equal(specialwork_map(f->sw, &park, &o, err, sizeof err), SW_OK);
    json_t *feats = json_object_get(o, "features");
    assert_int_equal(json_array_size(feats), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(feats, 0), "id")), a);
    json_decref(o);
    assert_int_equal(specialwork_map(f->sw, &e2, &o, err, sizeof err), SW_OK);
    assert_int_equal(json_array_size(json_object_get(o, "features")), 0);
    json_decref(o);
    /* related permits: only those the filer sees */
    r = json_pack("{s:s,s:I,s:I,s:s,s:s,s:s,s:o,s:[s]}", "category", "excavation", "window_from_ms",
                  (json_int_t)T0, "window_to_ms", (json_int_t)(T0 + H), "content", "c", "leader",
                  "l", "guardian", "g", "location", json_loads(POINT, 0, NULL), "related", a);
    assert_int_equal(specialwork_file(f->sw, &e2, r, T0, b, err, sizeof err), SW_EINVAL);
    assert_non_null(strstr(err, "related[0]"));
    json_decref(r);
}

static void test_related_and_stats(void **state) {
    fixture *f = *state;
    char hot[SW_ID_MAX], pw[SW_ID_MAX], x[SW_ID_MAX], err[256];
    bool pass;
    assert_int_equal(
        file(f, &park, "E001", "hot_work", "special", H, 5 * H, NULL, T0, hot, err, sizeof err),
        SW_OK);
    /* temporary power serving that hot work: within its window (reference §1.2) */
    json_t *r = json_pack("{s:s,s:s,s:I,s:I,s:s,s:s,s:s,s:o,s:[s]}", "category", "temporary_power",
                          "enterprise", "E001", "window_from_ms", (json_int_t)T0, "window_to_ms",
                          (json_int_t)(T0 + 5 * H), "content", "welding set", "leader", "l",
                          "guardian", "g", "location", json_loads(POINT, 0, NULL), "related", hot);
    assert_int_equal(specialwork_file(f->sw, &park, r, T0, pw, err, sizeof err), SW_EINVAL);
    assert_non_null(strstr(err, "must lie within its window"));
    json_object_set_new(r, "window_from_ms", json_integer(T0 + H));
    assert_int_equal(specialwork_file(f->sw, &park, r, T0, pw, err, sizeof err), SW_OK);
    json_decref(r);
    /* statistics: hot work started, tested (one failure), run past its end, closed */
    assert_int_equal(act(f, &park, hot, SW_ACT_START, T0 + H), SW_OK);
    assert_int_equal(gas(f, hot,
                         "{\"point\":\"p\",\"analyst\":\"a\",\"gas\":\"methane\","
                         "\"combustible_pct_vol\":0.9}",
                         T0 + H, &pass, err, sizeof err),
                     SW_OK);
    assert_int_equal(act(f, &park, hot, SW_ACT_CLOSE, T0 + 5 * H + MIN), SW_OK);
    assert_int_equal(act(f, &park, pw, SW_ACT_START, T0 + H), SW_OK);
    assert_int_equal(file(f, &park, "E002", "lifting", "3", 0, H, NULL, T0, x, err, sizeof err),
                     SW_OK);
    assert_int_equal(act(f, &park, x, SW_ACT_CANCEL, T0), SW_OK);
    json_t *o;
    assert_int_equal(
        specialwork_stats(f->sw, &reg, T0 - H, T0 + H, T0 + 2 * H, &o, err, sizeof err), SW_OK);
    json_t *p = json_object_get(o, "park");
    assert_int_equal(json_integer_value(json_object_get(p, "filed")), 3);
    assert_int_equal(json_integer_value(json_object_get(p, "active_now")), 1);
    assert_int_equal(json_integer_value(json_object_get(p, "closed")), 1);
    assert_int_equal(json_integer_value(json_object_get(p, "cancelled")), 1);
    assert_int_equal(json_integer_value(json_object_get(p, "past_window")), 1);
    assert_int_equal(json_integer_value(json_object_get(p, "with_gas_failures")), 1);
    json_t *rows = json_object_get(o, "rows");
    assert_int_equal(json_array_size(rows), 3);
    json_t *r0 = json_array_get(rows, 0);
    assert_string_equal(json_string_value(json_object_get(r0, "enterprise")), "E001");
    assert_string_equal(json_string_value(json_object_get(r0, "category")), "hot_work");
    assert_int_equal(json_integer_value(json_object_get(r0, "gas_test_failures")), 1);
    json_decref(o);
    /* the enterprise's own only */
    assert_int_equal(specialwork_stats(f->sw, &e2, T0 - H, T0 + H, T0 + 2 * H, &o, err, sizeof err),
                     SW_OK);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "park"), "filed")), 1);
    json_decref(o);
    assert_int_equal(specialwork_stats(f->sw, &reg, T0, T0, T0, &o, err, sizeof err), SW_EINVAL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_categories_grades_windows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_locations, setup, teardown),
        cmocka_unit_test_setup_teardown(test_state_machine, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gas_tests, setup, teardown),
        cmocka_unit_test_setup_teardown(test_conditions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_near_footprint, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_enterprise_scope, setup, teardown),
        cmocka_unit_test_setup_teardown(test_related_and_stats, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
