/*
 * test_events_api.c - /api/v1/events and /api/v1/events/state against the
 * API in-process over a real event store, and POST /api/v1/events through
 * a stand-in for parkd's dispatcher: events in time order by entity and
 * by kind, an enterprise token's scope, limits and truncation, the 24-hour
 * default range, the state of every permit at a time, every bad parameter
 * a 400, the dispatcher's answers mapped to 202, 400 and 503, and 503 when
 * nothing is configured.
 */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "api/api.h"
#include "common/clock.h"
#include "common/kit/httpclient.h"
#include "events/events.h"
#include "tests/support/park.h"

#define T0  1600000000000LL /* 2020-09-13T12:26:40Z: long before the wall clock */
#define MIN 60000LL

static struct {
    char dir[512], hdir[600], edir[600], toks[600];
    hist *h;
    ev_store *ev;
    api_server *s, *bare;
    int port, bare_port;
    char admin[API_TOKEN_MAX], e1[API_TOKEN_MAX], reg[API_TOKEN_MAX], op[API_TOKEN_MAX];
    char taken_ent[64], taken_body[256];
    int64_t taken_recv;
} A;

/* parkd's dispatcher stand-in: "refuse" in the body is refused, "fail" a storage error */
static int take(const char *enterprise, const char *body, size_t len, int64_t recv_ms, char *why,
                size_t whycap, void *ctx) {
    (void)ctx;
    snprintf(A.taken_ent, sizeof A.taken_ent, "%s", enterprise);
    snprintf(A.taken_body, sizeof A.taken_body, "%.*s", (int)len, body);
    A.taken_recv = recv_ms;
    if (strstr(A.taken_body, "refuse")) return snprintf(why, whycap, "gate: no such gate"), 400;
    if (strstr(A.taken_body, "fail")) return snprintf(why, whycap, "events: disk full"), 500;
    return 0;
}

static void append(int64_t ts, const char *kind, const char *ent, const char *e0, const char *e1,
                   bool state, const char *body) {
    ev_record r = {.ts_ms = ts, .recv_ms = ts + 500, .kind = kind, .enterprise = ent};
    r.entities[r.n_entities++] = e0;
    if (e1) r.entities[r.n_entities++] = e1;
    r.body = body, r.body_len = strlen(body), r.state_of_first = state;
    char err[256];
    if (ev_append(A.ev, &r, 1, NULL, err, sizeof err) != EV_OK) fail_msg("append: %s", err);
}

static int setup(void **state) {
    (void)state;
    testutil_tmpdir(A.dir, sizeof A.dir, "events-api");
    snprintf(A.hdir, sizeof A.hdir, "%s/historian", A.dir);
    snprintf(A.edir, sizeof A.edir, "%s/events", A.dir);
    snprintf(A.toks, sizeof A.toks, "%s/tokens.json", A.dir);
    hist_error he;
    assert_int_equal(hist_open(A.hdir, NULL, &A.h, &he), HIST_OK);
    char err[256];
    assert_int_equal(ev_open(A.edir, NULL, &A.ev, err, sizeof err), EV_OK);
    api_token_info info;
    assert_int_equal(
        api_token_create(A.toks, API_ROLE_ADMIN, "", "admin", 0, A.admin, &info, err, sizeof err),
        0);
    assert_int_equal(api_token_create(A.toks, API_ROLE_ENTERPRISE, "E001", "e1", 0, A.e1, &info,
                                      err, sizeof err),
                     0);
    assert_int_equal(
        api_token_create(A.toks, API_ROLE_REGULATOR, "", "reg", 0, A.reg, &info, err, sizeof err),
        0);
    assert_int_equal(
        api_token_create(A.toks, API_ROLE_OPERATOR, "", "op", 0, A.op, &info, err, sizeof err), 0);
    /* vehicle:V1 enters at GATE-N (park), is seen by E001's camera, leaves (out of order) */
    append(T0 + 10 * MIN, "gate_passage", "", "vehicle:V1", "gate:GATE-N", false,
           "{\"direction\":\"out\"}");
    append(T0, "gate_passage", "", "vehicle:V1", "gate:GATE-N", false, "{\"direction\":\"in\"}");
    append(T0 + 5 * MIN, "camera", "E001", "camera:E001-CAM-1", "vehicle:V1", false,
           "{\"event\":\"smoking\"}");
    append(T0 + 6 * MIN, "camera", "E002", "camera:E002-CAM-1", "vehicle:V1", false,
           "{\"event\":\"intrusion\"}");
    /* permits: P1 (E001) filed then active after T0+20m; P2 (E002) active */
    append(T0 + 15 * MIN, "permit", "E001", "permit:P1", NULL, true, "{\"state\":\"filed\"}");
    append(T0 + 25 * MIN, "permit", "E001", "permit:P1", NULL, true, "{\"state\":\"active\"}");
    append(T0 + 16 * MIN, "permit", "E002", "permit:P2", NULL, true, "{\"state\":\"active\"}");
    /* recent: an hour ago (inside the default 24 h) */
    append(pw_wall_ms() - 3600000, "badge", "E001", "person:P0042", "zone:E001-ZONE-1", false,
           "{\"direction\":\"in\"}");
    api_options o;
    api_options_default(&o);
    o.historian = A.h;
    o.token_file = A.toks;
    o.listen = "127.0.0.1:0";
    o.events = A.ev;
    o.events_take = take;
    assert_int_equal(api_start(&o, &A.s, err, sizeof err), 0);
    A.port = api_port(A.s);
    o.events = NULL, o.events_take = NULL;
    assert_int_equal(api_start(&o, &A.bare, err, sizeof err), 0);
    A.bare_port = api_port(A.bare);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    api_stop(A.s);
    api_stop(A.bare);
    ev_close(A.ev);
    close_historian(A.h);
    testutil_rmtree(A.dir);
    return 0;
}

static json_t *get(int port, const char *token, int *status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static json_t *get(int port, const char *token, int *status, const char *fmt, ...) {
    char path[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(path, sizeof path, fmt, ap);
    va_end(ap);
    http_resp r;
    assert_int_equal(http_get(port, path, token, &r), 0);
    *status = r.status;
    json_t *j = json_loads(r.body, 0, NULL);
    if (!j) fail_msg("%s: not JSON: %s", path, r.body);
    http_resp_free(&r);
    return j;
}

static void expect_status(int port, const char *token, int want, const char *path) {
    int st;
    json_t *j = get(port, token, &st, "%s", path);
    if (st != want) fail_msg("%s: status %d, want %d: %s", path, st, want, json_dumps(j, 0));
    json_decref(j);
}

static const char *ev_str(json_t *j, size_t i, const char *k) {
    return json_string_value(json_object_get(json_array_get(json_object_get(j, "events"), i), k));
}
static json_int_t ev_int(json_t *j, size_t i, const char *k) {
    return json_integer_value(json_object_get(json_array_get(json_object_get(j, "events"), i), k));
}

#define RANGE "from=1600000000000&to=1600003600000" /* T0 .. T0 + 1 h */

static void test_entity_and_kind(void **state) {
    (void)state;
    int st;
    json_t *j = get(A.port, A.admin, &st, "/api/v1/events?entity=vehicle:V1&" RANGE);
    assert_int_equal(st, 200);
    assert_int_equal(json_integer_value(json_object_get(j, "count")), 4);
    assert_true(json_is_false(json_object_get(j, "truncated")));
    assert_int_equal(ev_int(j, 0, "ts_ms"), T0);
    assert_int_equal(ev_int(j, 0, "seq"), 2);
    assert_int_equal(ev_int(j, 0, "recv_ms"), T0 + 500);
    assert_string_equal(ev_str(j, 0, "kind"), "gate_passage");
    assert_string_equal(ev_str(j, 0, "enterprise"), "");
    json_t *e0 = json_array_get(json_object_get(j, "events"), 0);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(e0, "body"), "direction")), "in");
    assert_string_equal(json_string_value(json_array_get(json_object_get(e0, "entities"), 1)),
                        "gate:GATE-N");
    assert_int_equal(ev_int(j, 1, "ts_ms"), T0 + 5 * MIN);
    assert_int_equal(ev_int(j, 2, "ts_ms"), T0 + 6 * MIN);
    assert_int_equal(ev_int(j, 3, "ts_ms"), T0 + 10 * MIN);
    assert_int_equal(ev_int(j, 3, "seq"), 1);
    json_decref(j);

    /* E001's token: its own camera event only (not the park's passages, not E002's) */
    j = get(A.port, A.e1, &st, "/api/v1/events?entity=vehicle:V1&" RANGE);
    assert_int_equal(st, 200);
    assert_int_equal(json_integer_value(json_object_get(j, "count")), 1);
    assert_string_equal(ev_str(j, 0, "enterprise"), "E001");
    json_decref(j);
    expect_status(A.port, A.e1, 403, "/api/v1/events?enterprise=E002&" RANGE);

    /* by kind; by enterprise; a limit */
    j = get(A.port, A.admin, &st, "/api/v1/events?kind=permit&" RANGE);
    assert_int_equal(json_integer_value(json_object_get(j, "count")), 3);
    assert_int_equal(ev_int(j, 0, "ts_ms"), T0 + 15 * MIN);
    assert_int_equal(ev_int(j, 1, "ts_ms"), T0 + 16 * MIN);
    assert_true(
        json_is_true(json_object_get(json_array_get(json_object_get(j, "events"), 0), "state")));
    json_decref(j);
    j = get(A.port, A.admin, &st, "/api/v1/events?enterprise=E002&" RANGE);
    assert_int_equal(json_integer_value(json_object_get(j, "count")), 2);
    json_decref(j);
    j = get(A.port, A.e1, &st, "/api/v1/events?" RANGE);
    assert_int_equal(json_integer_value(json_object_get(j, "count")), 3); /* camera, P1 twice */
    json_decref(j);
    j = get(A.port, A.admin, &st, "/api/v1/events?limit=2&" RANGE);
    assert_int_equal(st, 200);
    assert_int_equal(json_integer_value(json_object_get(j, "count")), 2);
    assert_true(json_is_true(json_object_get(j, "truncated")));
    json_decref(j);

    /* the default range: the last 24 hours (the badge an hour ago, nothing of T0) */
    j = get(A.port, A.admin, &st, "/api/v1/events");
    assert_int_equal(st, 200);
    assert_int_equal(json_integer_value(json_object_get(j, "count")), 1);
    assert_string_equal(ev_str(j, 0, "kind"), "badge");
    json_decref(j);
}

static void test_state(void **state) {
    (void)state;
    int st;
    /* at T0 + 20 m: P1 filed, P2 active */
    json_t *j = get(A.port, A.admin, &st, "/api/v1/events/state?type=permit&at=%lld",
                    (long long)(T0 + 20 * MIN));
    assert_int_equal(st, 200);
    assert_int_equal(json_integer_value(json_object_get(j, "at")), T0 + 20 * MIN);
    assert_int_equal(json_integer_value(json_object_get(j, "count")), 2);
    json_t *ents = json_object_get(j, "entities");
    assert_string_equal(json_string_value(json_object_get(json_array_get(ents, 0), "entity")),
                        "permit:P1");
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(json_array_get(ents, 0), "body"), "state")),
                        "filed");
    assert_string_equal(json_string_value(json_object_get(json_array_get(ents, 1), "entity")),
                        "permit:P2");
    json_decref(j);
    /* later, as E001: P1 active, P2 not E001's */
    j = get(A.port, A.e1, &st, "/api/v1/events/state?type=permit&at=%lld",
            (long long)(T0 + 30 * MIN));
    assert_int_equal(st, 200);
    assert_int_equal(json_integer_value(json_object_get(j, "count")), 1);
    ents = json_object_get(j, "entities");
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(json_array_get(ents, 0), "body"), "state")),
                        "active");
    json_decref(j);
    /* before any permit */
    j = get(A.port, A.admin, &st, "/api/v1/events/state?type=permit&at=%lld", (long long)T0);
    assert_int_equal(json_integer_value(json_object_get(j, "count")), 0);
    json_decref(j);
}

static void test_bad_parameters(void **state) {
    (void)state;
    char path[400], longent[200];
    memset(longent, 'x', 129), longent[129] = 0;
    static const char *const bad[] = {
        "/api/v1/events?limit=0",
        "/api/v1/events?limit=10001",
        "/api/v1/events?limit=-1",
        "/api/v1/events?limit=1e3",
        "/api/v1/events?from=yesterday",
        "/api/v1/events?to=12:00",
        "/api/v1/events?from=1600003600000&to=1600000000000",
        "/api/v1/events?kind=Gate",
        "/api/v1/events?entity=vehicle:%01",
        "/api/v1/events/state",
        "/api/v1/events/state?type=Permit",
        "/api/v1/events/state?type=permit:",
        "/api/v1/events/state?type=abcdefghijklmnopq",
        "/api/v1/events/state?type=permit&at=soon",
        "/api/v1/events/state?type=permit&limit=100001",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_status(A.port, A.admin, 400, bad[i]);
    /* an empty parameter is an absent one, as everywhere in the API */
    expect_status(A.port, A.admin, 200, "/api/v1/events?kind=&entity=");
    snprintf(path, sizeof path, "/api/v1/events?entity=%s", longent);
    expect_status(A.port, A.admin, 400, path);
    longent[128] = 0; /* 128 bytes: fine */
    snprintf(path, sizeof path, "/api/v1/events?entity=%s", longent);
    expect_status(A.port, A.admin, 200, path);
}

static void post(int port, const char *token, const char *body, int want, const char *ent) {
    http_resp r;
    A.taken_ent[0] = '?';
    assert_int_equal(http_post(port, "/api/v1/events", token, "application/json", body, &r), 0);
    if (r.status != want) fail_msg("POST %s: status %d, want %d: %s", body, r.status, want, r.body);
    if (want == 202) {
        json_t *j = json_loads(r.body, 0, NULL);
        assert_true(json_is_true(json_object_get(j, "accepted")));
        json_decref(j);
    }
    if (want == 400 && strstr(body, "refuse")) assert_non_null(strstr(r.body, "no such gate"));
    if (ent) assert_string_equal(A.taken_ent, ent);
    http_resp_free(&r);
}

static void test_post(void **state) {
    (void)state;
    int64_t before = pw_wall_ms();
    post(A.port, A.admin, "{\"type\":\"gate_passage\"}", 202, "");
    assert_string_equal(A.taken_body, "{\"type\":\"gate_passage\"}");
    assert_true(A.taken_recv >= before && A.taken_recv <= pw_wall_ms());
    post(A.port, A.e1, "[{\"type\":\"badge\"}]", 202, "E001");
    post(A.port, A.e1, "{\"type\":\"refuse\"}", 400, "E001");
    post(A.port, A.admin, "{\"type\":\"fail\"}", 503, "");
    post(A.port, A.admin, "", 400, NULL);
    post(A.port, A.reg, "{}", 403, NULL);
    post(A.port, A.op, "{}", 403, NULL); /* write_readings is not the operator's (access.c) */
}

static void test_not_configured(void **state) {
    (void)state;
    expect_status(A.bare_port, A.admin, 503, "/api/v1/events");
    expect_status(A.bare_port, A.admin, 503, "/api/v1/events/state?type=permit");
    http_resp r;
    assert_int_equal(
        http_post(A.bare_port, "/api/v1/events", A.admin, "application/json", "{}", &r), 0);
    assert_int_equal(r.status, 503);
    assert_non_null(strstr(r.body, "not configured"));
    http_resp_free(&r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_entity_and_kind), cmocka_unit_test(test_state),
        cmocka_unit_test(test_bad_parameters),  cmocka_unit_test(test_post),
        cmocka_unit_test(test_not_configured),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
