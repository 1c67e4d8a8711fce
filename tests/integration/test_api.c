/*
 * test_api.c - the JSON API over real HTTP, against parkd fed by parksim
 * through a real mosquitto broker: every role, each cross-enterprise
 * attempt, the error classes, the event streams, replay checked against
 * what parksim published (its ledger), ingest views, metrics, token
 * revocation; and, in-process, HTTPS with a generated certificate.
 *
 * The park: enterprises E001 and E002, each a propane tank with a
 * combustible detector 20 m downwind (west: parksim's wind blows from the
 * east without a weather station) and one 20 m upwind, plus a road that
 * belongs to nobody. parksim plays a leak at E002's tank, so E002's
 * downwind detector alarms and E001's stays quiet.
 */
#include <jansson.h>
#include <math.h>
#include <mosquitto.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "api/api.h"
#include "common/kit/httpclient.h"
#include "tests/support/park.h"

typedef struct world {
    park p;
    int api;
    char layout[8192], extra[256];
    char admin[API_TOKEN_MAX], oper[API_TOKEN_MAX], regul[API_TOKEN_MAX], e1[API_TOKEN_MAX],
        e2[API_TOKEN_MAX];
    char tokens[700], ledger[700];
    int64_t t_before; /* wall time before parksim started: no alarm yet */
} world;

static world W;

static void make_layout(char *s, size_t cap) {
    const double lon0 = 121.45, lat0 = 30.80, m = 1 / (111320.0 * cos(lat0 * M_PI / 180));
    const double lat2 = lat0 + 0.005; /* E002, 550 m north */
    const char *tank =
        "{\"type\": \"Feature\", \"geometry\": {\"type\": \"Point\", \"coordinates\": "
        "[%.8f, %.8f]}, \"properties\": {\"id\": \"%s\", \"kind\": \"tank\", "
        "\"enterprise\": \"%s\", \"capacity_m3\": 5000, \"substance\": "
        "\"propane\", \"series\": [\"%s/tankfarm-1/%s.level\"]}},";
    const char *det =
        "{\"type\": \"Feature\", \"geometry\": {\"type\": \"Point\", \"coordinates\": "
        "[%.8f, %.8f]}, \"properties\": {\"id\": \"%s\", \"kind\": \"gas_detector\", "
        "\"enterprise\": \"%s\", \"gas\": \"propane\", \"type\": \"combustible\", "
        "\"series\": [\"%s/%s/lel\"]}},";
    size_t n = (size_t)snprintf(s, cap, "{\"type\": \"FeatureCollection\", \"features\": [");
    n += (size_t)snprintf(s + n, cap - n, tank, lon0, lat0, "T101", "E001", "E001", "T101");
    n += (size_t)snprintf(s + n, cap - n, det, lon0 - 20 * m, lat0, "E001-GD1", "E001", "E001",
                          "gd-01");
    n += (size_t)snprintf(s + n, cap - n, det, lon0 + 20 * m, lat0, "E001-GD2", "E001", "E001",
                          "gd-02");
    n += (size_t)snprintf(s + n, cap - n, tank, lon0, lat2, "T201", "E002", "E002", "T201");
    n += (size_t)snprintf(s + n, cap - n, det, lon0 - 20 * m, lat2, "E002-GD1", "E002", "E002",
                          "gd-01");
    n += (size_t)snprintf(s + n, cap - n, det, lon0 + 20 * m, lat2, "E002-GD2", "E002", "E002",
                          "gd-02");
    snprintf(s + n, cap - n,
             "{\"type\": \"Feature\", \"geometry\": {\"type\": \"LineString\", \"coordinates\": "
             "[[%.8f, %.8f], [%.8f, %.8f]]}, \"properties\": {\"id\": \"R1\", \"kind\": "
             "\"road\"}}]}",
             lon0 - 0.002, lat0 - 0.001, lon0 + 0.002, lat2 + 0.001);
}

/* parkctl token create: the token, as printed once on stdout. */
static void make_token(const char *role, const char *ent, const char *name, char *out) {
    park_token(&W.p, W.tokens, role, ent, name, out, API_TOKEN_MAX);
}

/* GET (or POST with body) and parse: the JSON body (NULL if not JSON). */
static json_t *call(const char *method, const char *path, const char *token, const char *body,
                    int *status) {
    http_resp r;
    int rc = http_request(W.api, method, path, token, body ? "application/json" : NULL, body,
                          body ? strlen(body) : 0, &r, 20000);
    assert_int_equal(rc, 0);
    *status = r.status;
    json_t *j = json_loadb(r.body ? r.body : "", r.body_len, 0, NULL);
    http_resp_free(&r);
    return j;
}

static json_t *get_ok(const char *path, const char *token) {
    int st;
    json_t *j = call("GET", path, token, NULL, &st);
    if (st != 200) fail_msg("GET %s: %d", path, st);
    assert_non_null(j);
    return j;
}

/* Asserts status and error code of a call. */
static void expect_error(const char *method, const char *path, const char *token, const char *body,
                         int status, const char *code) {
    int st;
    json_t *j = call(method, path, token, body, &st);
    if (st != status) fail_msg("%s %s: %d, expected %d", method, path, st, status);
    assert_non_null(j);
    const char *c = json_string_value(json_object_get(json_object_get(j, "error"), "code"));
    if (!c || strcmp(c, code)) fail_msg("%s %s: code %s, expected %s", method, path, c, code);
    assert_non_null(json_string_value(json_object_get(json_object_get(j, "error"), "message")));
    json_decref(j);
}

/* The ledger's readings of one series, in time order. */
typedef struct reading {
    int64_t ts;
    double v;
} reading;

static size_t ledger_of(const char *series, reading *out, size_t cap) {
    FILE *f = fopen(W.ledger, "r");
    assert_non_null(f);
    char name[256];
    long long ts;
    double v;
    size_t n = 0;
    while (fscanf(f, "%255s %lld %lf", name, &ts, &v) == 3)
        if (!strcmp(name, series) && n < cap) out[n++] = (reading){ts, v};
    fclose(f);
    return n;
}

static size_t count_alarms(json_t *j, const char *series) {
    size_t n = 0, i;
    json_t *a;
    json_array_foreach(json_object_get(j, "alarms"), i, a) {
        if (!series || !strcmp(json_string_value(json_object_get(a, "series")), series)) n++;
    }
    return n;
}

/* The rule id of the alarm of series and kind among the active ones. */
static int rule_of(const char *series, const char *kind) {
    json_t *j = get_ok("/api/v1/alarms", W.admin);
    size_t i;
    json_t *a;
    int id = -1;
    json_array_foreach(json_object_get(j, "alarms"), i, a) {
        if (!strcmp(json_string_value(json_object_get(a, "series")), series) &&
            !strcmp(json_string_value(json_object_get(a, "kind")), kind))
            id = (int)json_integer_value(json_object_get(a, "rule"));
    }
    json_decref(j);
    return id;
}

static int setup(void **state) {
    (void)state;
    make_layout(W.layout, sizeof W.layout);
    W.p.layout = W.layout;
    W.api = proc_free_port();
    snprintf(W.extra, sizeof W.extra,
             " \"api\": {\"listen\": \"127.0.0.1:%d\", \"max_points\": 5000, \"max_body_bytes\": "
             "65536},\n",
             W.api);
    W.p.extra = W.extra;
    park_up(&W.p, "api", NULL);
    for (int i = 0; i < 500 && !proc_port_open(W.api); i++) proc_sleep_ms(10);
    assert_true(proc_port_open(W.api));
    /* tokens made while parkd runs: it rereads the token file */
    snprintf(W.tokens, sizeof W.tokens, "%s/tokens.json", W.p.data);
    snprintf(W.ledger, sizeof W.ledger, "%s/ledger.txt", W.p.dir);
    make_token("admin", NULL, "admin-1", W.admin);
    make_token("operator", NULL, "operator-li", W.oper);
    make_token("regulator", NULL, "regulator-wang", W.regul);
    make_token("enterprise", "E001", "e001-gateway", W.e1);
    make_token("enterprise", "E002", "e002-gateway", W.e2);
    int st = 0;
    for (int i = 0; i < 50 && st != 200; i++) {
        json_decref(call("GET", "/api/v1/whoami", W.e2, NULL, &st));
        if (st != 200) proc_sleep_ms(100);
    }
    assert_int_equal(st, 200);

    W.t_before = proc_wall_ms();
    char lay[700];
    snprintf(lay, sizeof lay, "%s/layout.geojson", W.p.dir);
    assert_int_equal(park_parksim_run(&W.p, W.p.port, "parksim", "--park", lay, "--rate", "4",
                                      "--duration", "9", "--ledger", W.ledger, "--incident",
                                      "leak:E002:tankfarm-1:T201:at=2:rate=5:for=100", NULL),
                     0);
    /* everything parksim had acknowledged is stored: the last reading of
     * the leak's detector is there */
    reading rd[64];
    size_t n = ledger_of("E002/gd-01/lel", rd, 64);
    assert_true(n > 10);
    for (int i = 0; i < 500; i++) {
        json_t *j = get_ok("/api/v1/last?series=E002/gd-01/lel", W.admin);
        json_t *v = json_array_get(json_object_get(j, "values"), 0);
        bool there = json_integer_value(json_object_get(v, "ts")) == rd[n - 1].ts;
        json_decref(j);
        if (there) break;
        proc_sleep_ms(20);
    }
    /* the leak's alarms are up (2 s on-delay) */
    for (int i = 0; i < 500 && rule_of("E002/gd-01/lel", "high_high") < 0; i++) proc_sleep_ms(20);
    assert_true(rule_of("E002/gd-01/lel", "high_high") >= 0);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    park_down(&W.p);
    testutil_rmtree(W.p.dir);
    return 0;
}

static void test_auth(void **state) {
    (void)state;
    int st;
    json_t *j = call("GET", "/healthz", NULL, NULL, &st);
    assert_int_equal(st, 200);
    assert_string_equal(json_string_value(json_object_get(j, "status")), "ok");
    json_decref(j);
    j = call("GET", "/api/v1/openapi.json", NULL, NULL, &st);
    assert_int_equal(st, 200);
    assert_non_null(json_object_get(j, "openapi"));
    json_decref(j);
    expect_error("GET", "/api/v1/series", NULL, NULL, 401, "unauthorized");
    expect_error("GET", "/api/v1/series", "pw_0123456789abcdef_00", NULL, 401, "unauthorized");
    /* one changed character of a real token */
    char bad[API_TOKEN_MAX];
    snprintf(bad, sizeof bad, "%s", W.oper);
    bad[strlen(bad) - 1] ^= 1;
    expect_error("GET", "/api/v1/series", bad, NULL, 401, "unauthorized");
    const char *toks[] = {W.admin, W.oper, W.regul, W.e1, W.e2};
    const char *roles[] = {"admin", "operator", "regulator", "enterprise", "enterprise"};
    for (int i = 0; i < 5; i++) {
        j = get_ok("/api/v1/whoami", toks[i]);
        assert_string_equal(json_string_value(json_object_get(j, "role")), roles[i]);
        json_decref(j);
    }
    j = get_ok("/api/v1/whoami", W.e2);
    assert_string_equal(json_string_value(json_object_get(j, "enterprise")), "E002");
    json_decref(j);
}

static bool has_series(json_t *j, const char *prefix) {
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(j, "series"), i, s) {
        if (!strncmp(json_string_value(json_object_get(s, "name")), prefix, strlen(prefix)))
            return true;
    }
    return false;
}

static void test_series_scope(void **state) {
    (void)state;
    json_t *j = get_ok("/api/v1/series", W.regul);
    assert_true(has_series(j, "E001/") && has_series(j, "E002/"));
    json_decref(j);
    j = get_ok("/api/v1/series", W.e2);
    assert_true(has_series(j, "E002/") && !has_series(j, "E001/"));
    json_decref(j);
    j = get_ok("/api/v1/series?kind=gas_detector&enterprise=E001", W.admin);
    assert_int_equal(json_integer_value(json_object_get(j, "count")), 2);
    json_t *s0 = json_array_get(json_object_get(j, "series"), 0);
    assert_string_equal(json_string_value(json_object_get(s0, "kind")), "gas_detector");
    json_decref(j);
    /* every way for E002 to reach E001's data is closed */
    expect_error("GET", "/api/v1/series?enterprise=E001", W.e2, NULL, 403, "forbidden");
    expect_error("GET", "/api/v1/series/raw?series=E001/gd-01/lel&from=-1h", W.e2, NULL, 404,
                 "not_found");
    expect_error("GET", "/api/v1/series/range?series=E001/gd-01/lel&from=-1h&step=1m", W.e2, NULL,
                 404, "not_found");
    expect_error("GET", "/api/v1/last?series=E001/gd-01/lel", W.e2, NULL, 404, "not_found");
    expect_error("GET", "/api/v1/last?enterprise=E001", W.e2, NULL, 403, "forbidden");
    expect_error("GET", "/api/v1/alarms/kpis?enterprise=E001", W.e2, NULL, 403, "forbidden");
    j = get_ok("/api/v1/replay/state?at=now&series=E001/gd-01/lel,E002/gd-01/lel", W.e2);
    assert_int_equal(json_array_size(json_object_get(j, "values")), 1);
    assert_int_equal(count_alarms(j, NULL), count_alarms(j, NULL)); /* shape */
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(j, "alarms"), i, a) {
        assert_string_equal(json_string_value(json_object_get(a, "enterprise")), "E002");
    }
    json_decref(j);
}

static void test_raw_matches_ledger(void **state) {
    (void)state;
    const char *names[] = {"E002/gd-01/lel", "E002/tankfarm-1/T201.level", "E001/gd-02/lel"};
    for (int k = 0; k < 3; k++) {
        reading rd[256];
        size_t n = ledger_of(names[k], rd, 256);
        assert_true(n > 10);
        char path[256];
        snprintf(path, sizeof path, "/api/v1/series/raw?series=%s&from=%lld&to=%lld", names[k],
                 (long long)rd[0].ts, (long long)rd[n - 1].ts + 1);
        json_t *j = get_ok(path, W.admin);
        json_t *pts = json_object_get(j, "points");
        assert_int_equal(json_array_size(pts), n);
        for (size_t i = 0; i < n; i++) {
            json_t *p = json_array_get(pts, i);
            assert_int_equal(json_integer_value(json_array_get(p, 0)), rd[i].ts);
            assert_true(json_number_value(json_array_get(p, 1)) == rd[i].v);
            assert_int_equal(json_integer_value(json_array_get(p, 2)), 0);
        }
        json_decref(j);
        /* the same as CSV: a header and one line a point */
        http_resp r;
        strcat(path, "&format=csv");
        assert_int_equal(http_get(W.api, path, W.admin, &r), 0);
        assert_int_equal(r.status, 200);
        char ct[64];
        assert_non_null(http_header(&r, "Content-Type", ct, sizeof ct));
        assert_non_null(strstr(ct, "text/csv"));
        size_t lines = 0;
        for (char *c = r.body; *c; c++) lines += *c == '\n';
        assert_int_equal(lines, n + 1);
        http_resp_free(&r);
        /* paging: a limit of 5 says truncated and where to go on */
        snprintf(path, sizeof path, "/api/v1/series/raw?series=%s&from=%lld&to=%lld&limit=5",
                 names[k], (long long)rd[0].ts, (long long)rd[n - 1].ts + 1);
        j = get_ok(path, W.admin);
        assert_true(json_is_true(json_object_get(j, "truncated")));
        assert_int_equal(json_integer_value(json_object_get(j, "next_from")), rd[4].ts + 1);
        json_decref(j);
        /* last is the ledger's last */
        snprintf(path, sizeof path, "/api/v1/last?series=%s", names[k]);
        j = get_ok(path, W.e2[0] && !strncmp(names[k], "E002", 4) ? W.e2 : W.admin);
        json_t *v = json_array_get(json_object_get(j, "values"), 0);
        assert_int_equal(json_integer_value(json_object_get(v, "ts")), rd[n - 1].ts);
        assert_true(json_number_value(json_object_get(v, "value")) == rd[n - 1].v);
        json_decref(j);
    }
}

static void test_range_agrees_with_raw(void **state) {
    (void)state;
    reading rd[256];
    size_t n = ledger_of("E002/gd-01/lel", rd, 256);
    int64_t from = rd[0].ts - rd[0].ts % 1000, to = rd[n - 1].ts + 1;
    char path[256];
    snprintf(path, sizeof path,
             "/api/v1/series/range?series=E002/gd-01/lel&from=%lld&to=%lld&step=2s&agg=all",
             (long long)from, (long long)to);
    json_t *j = get_ok(path, W.oper);
    size_t i, total = 0;
    json_t *b;
    json_array_foreach(json_object_get(j, "buckets"), i, b) {
        int64_t t0 = json_integer_value(json_object_get(b, "ts"));
        double sum = 0, mx = -INFINITY;
        size_t cnt = 0;
        for (size_t k = 0; k < n; k++)
            if (rd[k].ts >= t0 && rd[k].ts < t0 + 2000)
                sum += rd[k].v, cnt++, mx = fmax(mx, rd[k].v);
        assert_int_equal(json_integer_value(json_object_get(b, "count")), cnt);
        assert_true(fabs(json_number_value(json_object_get(b, "avg")) - sum / cnt) < 1e-9);
        assert_true(json_number_value(json_object_get(b, "max")) == mx);
        total += cnt;
    }
    assert_int_equal(total, n);
    json_decref(j);
}

static void test_errors(void **state) {
    (void)state;
    static const struct {
        const char *method, *path;
        int status;
        const char *code;
    } cases[] = {
        {"GET", "/api/v1/nothing", 404, "not_found"},
        {"DELETE", "/api/v1/series", 405, "method_not_allowed"},
        {"POST", "/api/v1/series", 405, "method_not_allowed"},
        {"GET", "/api/v1/series/raw", 400, "bad_request"},
        {"GET", "/api/v1/series/raw?series=E001/gd-01/lel&from=yesterday", 400, "bad_request"},
        {"GET", "/api/v1/series/raw?series=E001/gd-01/lel&from=2000&to=1000", 400, "bad_request"},
        {"GET", "/api/v1/series/raw?series=E001/gd-01/lel&from=0&to=99999999999999", 400,
         "limit_exceeded"},
        {"GET", "/api/v1/series/raw?series=E001/gd-01/lel&limit=5001", 400, "limit_exceeded"},
        {"GET", "/api/v1/series/raw?series=E001/nothing/x", 404, "not_found"},
        {"GET", "/api/v1/series/range?series=E001/gd-01/lel&from=-1d&step=1s", 400,
         "limit_exceeded"},
        {"GET", "/api/v1/series/range?series=E001/gd-01/lel&step=fast", 400, "bad_request"},
        {"GET", "/api/v1/series/range?series=E001/gd-01/lel&agg=median", 400, "bad_request"},
        {"GET", "/api/v1/last", 400, "bad_request"},
        {"GET", "/api/v1/layers/volcano", 404, "not_found"},
        {"GET", "/api/v1/layers/gas_detector?bbox=1,2,3", 400, "bad_request"},
        {"GET", "/api/v1/replay/state?at=then", 400, "bad_request"},
        {"GET", "/api/v1/replay/stream?from=-1h", 400, "bad_request"},
        {"GET", "/api/v1/live/stream?series=E001/gd-01/lel&interval=1ms", 400, "bad_request"},
        {"POST", "/api/v1/alarms/999999/ack", 404, "not_found"},
        {"POST", "/api/v1/alarms/0/explode", 404, "not_found"},
        {"GET", "/api/v1/alarms/0/ack", 405, "method_not_allowed"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_error(cases[i].method, cases[i].path, W.admin, NULL, cases[i].status, cases[i].code);
    /* Messages that quote the request stay 4xx when it is not UTF-8, or when
     * the message is cut inside a character (found by fuzz_api: both were a
     * 500 "out of memory", jansson refusing the message). */
    expect_error("GET", "/api/v1/series/raw?series=E0%F9y1/gd-01/lel", W.admin, NULL, 404,
                 "not_found");
    char cut[64 + 300 * 6] = "/api/v1/series/raw?series=E001/";
    for (int k = 0; k < 300; k++) strcat(cut, "%C3%A9"); /* U+00E9, 2 bytes */
    expect_error("GET", cut, W.admin, NULL, 404, "not_found");
    int rule = rule_of("E002/gd-01/lel", "high");
    char path[128];
    snprintf(path, sizeof path, "/api/v1/alarms/%d/ack", rule);
    expect_error("POST", path, W.oper, "{not json", 400, "bad_request");
    /* a body over max_body_bytes (64 KiB here) */
    size_t big = 70000;
    char *body = malloc(big + 1);
    memset(body, ' ', big);
    body[big] = 0;
    body[0] = '{', body[big - 1] = '}';
    expect_error("POST", path, W.oper, body, 413, "payload_too_large");
    free(body);
}

static size_t count_features(json_t *fc, const char *enterprise) {
    size_t n = 0, i;
    json_t *f;
    json_array_foreach(json_object_get(fc, "features"), i, f) {
        const char *e =
            json_string_value(json_object_get(json_object_get(f, "properties"), "enterprise"));
        if (!enterprise || (e && !strcmp(e, enterprise))) n++;
    }
    return n;
}

static void test_layers(void **state) {
    (void)state;
    json_t *j = get_ok("/api/v1/layers/gas_detector", W.regul);
    assert_int_equal(count_features(j, NULL), 4);
    /* live values and alarm state: E002's downwind detector is in alarm */
    size_t i;
    json_t *f;
    bool seen = false;
    json_array_foreach(json_object_get(j, "features"), i, f) {
        json_t *pr = json_object_get(f, "properties");
        json_t *v =
            json_object_get(json_object_get(pr, "values"),
                            json_string_value(json_array_get(json_object_get(pr, "series"), 0)));
        assert_true(json_is_number(json_object_get(v, "value")));
        if (!strcmp(json_string_value(json_object_get(pr, "id")), "E002-GD1")) {
            json_t *al = json_object_get(pr, "alarm");
            assert_true(json_is_object(al));
            assert_int_equal(json_integer_value(json_object_get(al, "priority")), 1);
            seen = true;
        } else if (!strcmp(json_string_value(json_object_get(pr, "id")), "E001-GD1")) {
            assert_true(json_is_null(json_object_get(pr, "alarm")));
        }
    }
    assert_true(seen);
    /* slim: the same features in the same order, id, values and alarm alone */
    json_t *sl = get_ok("/api/v1/layers/gas_detector?slim=true", W.regul);
    json_t *full = json_object_get(j, "features"), *slim = json_object_get(sl, "features");
    assert_int_equal(json_array_size(slim), json_array_size(full));
    json_array_foreach(slim, i, f) {
        json_t *pr = json_object_get(f, "properties");
        json_t *fp = json_object_get(json_array_get(full, i), "properties");
        assert_true(json_is_null(json_object_get(f, "geometry")));
        assert_string_equal(json_string_value(json_object_get(f, "id")),
                            json_string_value(json_object_get(fp, "id")));
        assert_string_equal(json_string_value(json_object_get(pr, "id")),
                            json_string_value(json_object_get(fp, "id")));
        assert_int_equal(json_object_size(pr), 3); /* id, values, alarm */
        assert_int_equal(json_object_size(json_object_get(pr, "values")),
                         json_object_size(json_object_get(fp, "values")));
        assert_true(json_equal(json_object_get(pr, "alarm"), json_object_get(fp, "alarm")));
    }
    json_decref(sl);
    json_decref(j);
    j = get_ok("/api/v1/layers/gas_detector?slim=true", W.e2); /* its own two alone */
    assert_int_equal(count_features(j, NULL), 2);
    json_array_foreach(json_object_get(j, "features"), i, f)
        assert_memory_equal(json_string_value(json_object_get(f, "id")), "E002-", 5);
    json_decref(j);
    expect_error("GET", "/api/v1/layers/gas_detector?slim=yes", W.oper, NULL, 400, "bad_request");
    /* an enterprise sees its own features and the park's road, nothing of E001 */
    j = get_ok("/api/v1/layers/all", W.e2);
    assert_int_equal(count_features(j, "E001"), 0);
    assert_int_equal(count_features(j, "E002"), 3);
    assert_int_equal(count_features(j, NULL), 4);
    json_decref(j);
    expect_error("GET", "/api/v1/layers/gas_detector?enterprise=E001", W.e2, NULL, 403,
                 "forbidden");
    expect_error("GET", "/api/v1/alarms?enterprise=E001", W.e2, NULL, 403, "forbidden");
    expect_error("GET", "/api/v1/alarms/journal?enterprise=E001", W.e2, NULL, 403, "forbidden");
    expect_error("GET", "/api/v1/ingest/dead-letters?enterprise=E001", W.e2, NULL, 403,
                 "forbidden");
    /* bbox around E001 only (E002 is 550 m north) */
    j = get_ok("/api/v1/layers/gas_detector?bbox=121.449,30.799,121.451,30.801", W.admin);
    assert_int_equal(count_features(j, "E001"), 2);
    assert_int_equal(count_features(j, NULL), 2);
    json_decref(j);
    j = get_ok("/api/v1/layers", W.e2);
    json_array_foreach(json_object_get(j, "layers"), i, f) {
        if (!strcmp(json_string_value(json_object_get(f, "kind")), "gas_detector"))
            assert_int_equal(json_integer_value(json_object_get(f, "features")), 2);
    }
    json_decref(j);
}

static void test_alarm_roles_and_actions(void **state) {
    (void)state;
    json_t *j = get_ok("/api/v1/alarms", W.oper);
    assert_true(count_alarms(j, "E002/gd-01/lel") >= 2);
    assert_int_equal(count_alarms(j, "E001/gd-01/lel"), 0);
    json_decref(j);
    j = get_ok("/api/v1/alarms", W.e1);
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(j, "alarms"), i, a) {
        assert_string_equal(json_string_value(json_object_get(a, "enterprise")), "E001");
    }
    json_decref(j);
    int rule = rule_of("E002/gd-01/lel", "high");
    assert_true(rule >= 0);
    char path[128];
    snprintf(path, sizeof path, "/api/v1/alarms/%d/ack", rule);
    expect_error("POST", path, W.regul, "{\"comment\": \"x\"}", 403, "forbidden");
    expect_error("POST", path, W.e1, "{\"comment\": \"x\"}", 404, "not_found");
    int st;
    j = call("POST", path, W.oper, "{\"comment\": \"crew sent to T201\"}", &st);
    assert_int_equal(st, 200);
    assert_string_equal(json_string_value(json_object_get(j, "state")), "acked");
    json_decref(j);
    expect_error("POST", path, W.oper, NULL, 409, "conflict");
    snprintf(path, sizeof path, "/api/v1/alarms/%d/shelve", rule);
    expect_error("POST", path, W.e2, "{\"minutes\": 3000}", 400, "bad_request");
    j = call("POST", path, W.e2, "{\"minutes\": 10, \"comment\": \"maintenance\"}", &st);
    assert_int_equal(st, 200);
    assert_true(json_is_true(json_object_get(j, "shelved")));
    json_decref(j);
    snprintf(path, sizeof path, "/api/v1/alarms/%d/unshelve", rule);
    j = call("POST", path, W.oper, NULL, &st);
    assert_int_equal(st, 200);
    assert_false(json_is_true(json_object_get(j, "shelved")));
    json_decref(j);
    /* the journal tells who did what */
    j = get_ok("/api/v1/alarms/journal?from=-10m&series=E002/gd-01/lel", W.regul);
    bool ack = false, shelve = false;
    json_array_foreach(json_object_get(j, "events"), i, a) {
        const char *act = json_string_value(json_object_get(a, "action"));
        const char *user = json_string_value(json_object_get(a, "user"));
        if (!strcmp(act, "ack") && (int)json_integer_value(json_object_get(a, "rule")) == rule) {
            assert_string_equal(user, "operator-li");
            assert_string_equal(json_string_value(json_object_get(a, "comment")),
                                "crew sent to T201");
            ack = true;
        }
        if (!strcmp(act, "shelve")) {
            shelve = !strcmp(user, "e002-gateway");
            /* the event carries when the shelving runs out: 10 minutes on */
            int64_t until = json_integer_value(json_object_get(a, "shelved_until_ms"));
            int64_t at = json_integer_value(json_object_get(a, "ts_ms"));
            assert_true(until >= at + 600000 - 2000 && until <= at + 600000 + 2000);
        }
    }
    assert_true(ack && shelve);
    json_decref(j);
    j = get_ok("/api/v1/alarms/journal?from=-10m", W.e1);
    json_array_foreach(json_object_get(j, "events"), i, a) {
        assert_string_equal(json_string_value(json_object_get(a, "enterprise")), "E001");
    }
    json_decref(j);
    /* and the audit log, with the token's id and name */
    char audit_path[800];
    snprintf(audit_path, sizeof audit_path, "%s/audit.log", W.p.data);
    char *audit = proc_read_file(audit_path);
    assert_non_null(audit);
    assert_non_null(strstr(audit, "\"name\":\"operator-li\""));
    assert_non_null(strstr(audit, "\"action\":\"ack\""));
    assert_non_null(strstr(audit, "\"comment\":\"crew sent to T201\""));
    assert_non_null(strstr(audit, "\"action\":\"shelve\""));
    free(audit);
    j = get_ok("/api/v1/alarms/kpis?from=-1h", W.e2);
    assert_true(json_integer_value(json_object_get(j, "alarms")) >= 2);
    assert_string_equal(json_string_value(json_object_get(j, "enterprise")), "E002");
    json_decref(j);
    j = get_ok("/api/v1/alarms/rules?series=E002/gd-01/lel", W.e2);
    assert_true(json_integer_value(json_object_get(j, "count")) >= 3); /* high, high_high, stale */
    json_decref(j);
}

static void test_alarm_stream(void **state) {
    (void)state;
    int st;
    http_sse *op = http_sse_open(W.api, "/api/v1/alarms/stream", W.oper, &st);
    assert_non_null(op);
    char path[160];
    /* EventSource cannot set headers: a one-use ticket, never the token,
     * goes in the URL */
    snprintf(path, sizeof path, "/api/v1/alarms/stream?access_token=%s", W.e1);
    assert_null(http_sse_open(W.api, path, NULL, &st));
    assert_int_equal(st, 401);
    json_t *tk = call("POST", "/api/v1/stream-tickets", W.e1, "", &st);
    assert_int_equal(st, 201);
    assert_true(json_integer_value(json_object_get(tk, "expires_ms")) > 0);
    snprintf(path, sizeof path, "/api/v1/alarms/stream?ticket=%s",
             json_string_value(json_object_get(tk, "ticket")));
    json_decref(tk);
    http_sse *e1 = http_sse_open(W.api, path, NULL, &st);
    assert_non_null(e1);
    assert_null(http_sse_open(W.api, path, NULL, &st)); /* spent */
    assert_int_equal(st, 401);
    assert_null(http_sse_open(W.api, "/api/v1/alarms/stream", NULL, &st));
    assert_int_equal(st, 401);
    char ev[32];
    /* first the alarms standing now */
    assert_int_equal(http_sse_next(op, 5000, ev, sizeof ev, NULL, 0, NULL, 0), 1);
    assert_string_equal(ev, "active");
    json_t *j = json_loads(http_sse_data(op), 0, NULL);
    assert_true(count_alarms(j, "E002/gd-01/lel") >= 2);
    json_decref(j);
    assert_int_equal(http_sse_next(e1, 5000, ev, sizeof ev, NULL, 0, NULL, 0), 1);
    assert_string_equal(ev, "active");
    j = json_loads(http_sse_data(e1), 0, NULL);
    assert_int_equal(count_alarms(j, "E002/gd-01/lel"), 0);
    json_decref(j);
    /* an acknowledgement reaches the operator's stream, not E001's */
    int rule = rule_of("E002/gd-01/lel", "high_high");
    snprintf(path, sizeof path, "/api/v1/alarms/%d/ack", rule);
    json_decref(call("POST", path, W.admin, "{\"comment\": \"seen\"}", &st));
    assert_int_equal(st, 200);
    int got = 0;
    while (http_sse_next(op, 5000, ev, sizeof ev, NULL, 0, NULL, 0) == 1) {
        if (strcmp(ev, "alarm")) continue;
        j = json_loads(http_sse_data(op), 0, NULL);
        got = (int)json_integer_value(json_object_get(j, "rule")) == rule &&
              !strcmp(json_string_value(json_object_get(j, "action")), "ack") &&
              !strcmp(json_string_value(json_object_get(j, "to")), "acked");
        json_decref(j);
        if (got) break;
    }
    assert_true(got);
    assert_int_equal(http_sse_next(e1, 1500, ev, sizeof ev, NULL, 0, NULL, 0), 0);
    http_sse_close(op);
    http_sse_close(e1);
}

static void test_replay(void **state) {
    (void)state;
    char path[256];
    snprintf(path, sizeof path, "/api/v1/replay/state?at=%lld&series=E002/gd-01/lel",
             (long long)W.t_before);
    json_t *j = get_ok(path, W.oper);
    assert_int_equal(json_array_size(json_object_get(j, "alarms")), 0);
    json_decref(j);
    j = get_ok("/api/v1/replay/state?at=now&series=E002/gd-01/lel", W.oper);
    assert_true(count_alarms(j, "E002/gd-01/lel") >= 2);
    json_decref(j);
    /* the whole layer as it was: E002-GD1 with no value and no alarm before
     * parksim began, the ledger's reading at a time in the middle of the
     * stream, and its alarm now */
    reading led[256];
    size_t nled = ledger_of("E002/gd-01/lel", led, 256);
    assert_true(nled >= 3);
    int64_t at[3] = {W.t_before, led[nled / 2].ts, proc_wall_ms()};
    for (int t = 0; t < 3; t++) {
        snprintf(path, sizeof path, "/api/v1/layers/gas_detector?at=%lld", (long long)at[t]);
        j = get_ok(path, W.oper);
        size_t i;
        json_t *f;
        bool seen = false;
        json_array_foreach(json_object_get(j, "features"), i, f) {
            json_t *pr = json_object_get(f, "properties");
            if (strcmp(json_string_value(json_object_get(pr, "id")), "E002-GD1")) continue;
            seen = true;
            json_t *al = json_object_get(pr, "alarm");
            json_t *v = json_object_get(json_object_get(pr, "values"), "E002/gd-01/lel");
            if (t == 0) {
                assert_true(json_is_null(al));
                assert_true(json_is_null(v));
            } else if (t == 1) {
                assert_int_equal(json_integer_value(json_object_get(v, "ts")), led[nled / 2].ts);
                assert_true(json_number_value(json_object_get(v, "value")) == led[nled / 2].v);
            } else {
                assert_true(json_is_object(al));
            }
        }
        assert_true(seen);
        json_decref(j);
    }
    expect_error("GET", "/api/v1/layers/gas_detector?at=yesterday", W.oper, NULL, 400,
                 "bad_request");
    /* the stream, unpaced, holds every point parksim published and the
     * alarm transitions, in time order, then "end" */
    reading rd[256];
    size_t n = ledger_of("E002/gd-01/lel", rd, 256);
    snprintf(path, sizeof path,
             "/api/v1/replay/stream?series=E002/gd-01/lel&from=%lld&to=%lld&speed=0",
             (long long)W.t_before, (long long)proc_wall_ms());
    int st;
    http_sse *s = http_sse_open(W.api, path, W.oper, &st);
    assert_non_null(s);
    char ev[32];
    size_t points = 0, alarms = 0;
    int64_t last_ts = 0;
    bool end = false;
    while (!end && http_sse_next(s, 5000, ev, sizeof ev, NULL, 0, NULL, 0) == 1) {
        j = json_loads(http_sse_data(s), 0, NULL);
        if (!strcmp(ev, "point")) {
            assert_int_equal(json_integer_value(json_object_get(j, "ts")), rd[points].ts);
            assert_true(json_number_value(json_object_get(j, "value")) == rd[points].v);
            points++;
        }
        if (!strcmp(ev, "alarm")) alarms++;
        if (!strcmp(ev, "point") || !strcmp(ev, "alarm")) {
            int64_t ts =
                json_integer_value(json_object_get(j, !strcmp(ev, "point") ? "ts" : "ts_ms"));
            assert_true(ts >= last_ts);
            last_ts = ts;
        }
        end = !strcmp(ev, "end");
        json_decref(j);
    }
    assert_true(end);
    assert_int_equal(points, n);
    assert_true(alarms >= 2);
    assert_int_equal(http_sse_next(s, 2000, ev, sizeof ev, NULL, 0, NULL, 0), -1);
    http_sse_close(s);
}

static void test_live_stream(void **state) {
    (void)state;
    /* a reading published now shows up on the stream */
    int st;
    http_sse *s =
        http_sse_open(W.api, "/api/v1/live/stream?series=E001/gd-02/lel&interval=200ms", W.e1, &st);
    assert_non_null(s);
    char ev[32];
    assert_int_equal(http_sse_next(s, 3000, ev, sizeof ev, NULL, 0, NULL, 0), 1);
    assert_string_equal(ev, "values");
    int64_t ts = proc_wall_ms();
    char msg[128];
    snprintf(msg, sizeof msg, "{\"ts\": %lld, \"values\": {\"lel\": 7.25}}", (long long)ts);
    mosquitto_lib_init();
    struct mosquitto *m = mosquitto_new(NULL, true, NULL);
    assert_int_equal(mosquitto_connect(m, "127.0.0.1", W.p.port, 10), MOSQ_ERR_SUCCESS);
    assert_int_equal(
        mosquitto_publish(m, NULL, "park/E001/gd-02/data", (int)strlen(msg), msg, 1, false),
        MOSQ_ERR_SUCCESS);
    for (int i = 0; i < 20; i++) mosquitto_loop(m, 50, 1);
    bool got = false;
    while (!got && http_sse_next(s, 5000, ev, sizeof ev, NULL, 0, NULL, 0) == 1) {
        json_t *j = json_loads(http_sse_data(s), 0, NULL);
        json_t *v = json_array_get(json_object_get(j, "values"), 0);
        got = json_integer_value(json_object_get(v, "ts")) == ts &&
              json_number_value(json_object_get(v, "value")) == 7.25;
        json_decref(j);
    }
    assert_true(got);
    http_sse_close(s);
    /* another enterprise's series cannot be watched */
    assert_null(http_sse_open(W.api, "/api/v1/live/stream?series=E001/gd-02/lel", W.e2, &st));
    assert_int_equal(st, 404);
    /* bad messages of both enterprises, for the dead-letter test */
    mosquitto_publish(m, NULL, "park/E001/gd-02/data", 9, "{not json", 1, false);
    mosquitto_publish(m, NULL, "park/E002/gd-02/data", 9, "{not json", 1, false);
    for (int i = 0; i < 20; i++) mosquitto_loop(m, 50, 1);
    mosquitto_disconnect(m);
    mosquitto_destroy(m);
    mosquitto_lib_cleanup();
}

static void test_ingest_views(void **state) {
    (void)state;
    json_t *j = NULL;
    for (int i = 0; i < 100; i++) {
        json_decref(j);
        j = get_ok("/api/v1/ingest/dead-letters", W.admin);
        if (json_array_size(json_object_get(j, "dead_letters")) >= 2) break;
        proc_sleep_ms(50);
    }
    assert_true(json_array_size(json_object_get(j, "dead_letters")) >= 2);
    json_decref(j);
    j = get_ok("/api/v1/ingest/dead-letters", W.e2);
    size_t i;
    json_t *d;
    assert_true(json_array_size(json_object_get(j, "dead_letters")) >= 1);
    json_array_foreach(json_object_get(j, "dead_letters"), i, d) {
        assert_string_equal(json_string_value(json_object_get(d, "enterprise")), "E002");
    }
    json_decref(j);
    j = get_ok("/api/v1/ingest/status", W.regul);
    assert_true(json_is_true(json_object_get(j, "connected")));
    assert_true(json_integer_value(json_object_get(j, "points")) > 0);
    json_decref(j);
    j = get_ok("/api/v1/ingest/status", W.e2);
    assert_null(json_object_get(j, "points")); /* no park-wide totals for an enterprise */
    json_array_foreach(json_object_get(j, "enterprises"), i, d) {
        assert_string_equal(json_string_value(json_object_get(d, "enterprise")), "E002");
    }
    json_decref(j);
    j = get_ok("/api/v1/ingest/devices", W.e1);
    json_array_foreach(json_object_get(j, "devices"), i, d) {
        assert_string_equal(json_string_value(json_object_get(d, "enterprise")), "E001");
    }
    assert_true(json_array_size(json_object_get(j, "devices")) >= 1);
    json_decref(j);
    /* HTTP ingest: stored as if published, and readable at once */
    int st;
    int64_t ts = proc_wall_ms();
    char body[160], path[160];
    snprintf(body, sizeof body, "{\"ts\": %lld, \"values\": {\"flow\": 41.5, \"bad\": \"x\"}}",
             (long long)ts);
    j = call("POST", "/api/v1/ingest?device=http-meter", W.e2, body, &st);
    assert_int_equal(st, 200);
    assert_int_equal(json_integer_value(json_object_get(j, "accepted")), 1);
    assert_int_equal(json_integer_value(json_object_get(j, "rejected")), 1);
    json_decref(j);
    j = get_ok("/api/v1/last?series=E002/http-meter/flow", W.e2);
    json_t *v = json_array_get(json_object_get(j, "values"), 0);
    assert_int_equal(json_integer_value(json_object_get(v, "ts")), ts);
    assert_true(json_number_value(json_object_get(v, "value")) == 41.5);
    json_decref(j);
    /* a spoofed series of another enterprise is refused whole */
    snprintf(body, sizeof body, "{\"ts\": %lld, \"values\": {\"E001/gd-01/lel\": 99}}",
             (long long)ts);
    j = call("POST", "/api/v1/ingest?device=http-meter", W.e2, body, &st);
    assert_int_equal(st, 422);
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "error"), "code")),
                        "rejected");
    json_decref(j);
    snprintf(path, sizeof path, "/api/v1/ingest?device=a/b&enterprise=E002");
    expect_error("POST", path, W.admin, "{}", 400, "bad_request");
    expect_error("POST", "/api/v1/ingest?device=x", W.regul, "{}", 403, "forbidden");
    expect_error("POST", "/api/v1/ingest?device=x&enterprise=E001", W.e2, "{}", 403, "forbidden");
}

static void test_metrics(void **state) {
    (void)state;
    http_resp r;
    assert_int_equal(http_get(W.api, "/metrics", W.regul, &r), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(
        strstr(r.body, "parkwatch_http_requests_total{route=\"series_raw\",code=\"2xx\"}"));
    assert_non_null(strstr(r.body, "parkwatch_http_request_duration_seconds_bucket"));
    assert_non_null(strstr(r.body, "parkwatch_ingest_points_total"));
    assert_non_null(strstr(r.body, "parkwatch_alarms{priority=\"1\",state="));
    assert_non_null(strstr(r.body, "parkwatch_historian_series"));
    http_resp_free(&r);
    expect_error("GET", "/metrics", W.e1, NULL, 403, "forbidden");
    expect_error("GET", "/metrics", NULL, NULL, 401, "unauthorized");
}

static void test_token_revocation(void **state) {
    (void)state;
    char tok[API_TOKEN_MAX];
    make_token("regulator", NULL, "visitor", tok);
    json_t *j = NULL;
    for (int i = 0; i < 40; i++) { /* the server rereads the file within a second */
        int st;
        json_decref(j);
        j = call("GET", "/api/v1/whoami", tok, NULL, &st);
        if (st == 200) break;
        proc_sleep_ms(100);
    }
    assert_string_equal(json_string_value(json_object_get(j, "name")), "visitor");
    json_decref(j);
    char bin[PATH_MAX + 16], log[800];
    snprintf(bin, sizeof bin, "%s/parkctl", proc_bindir());
    snprintf(log, sizeof log, "%s/revoke.out", W.p.dir);
    char *argv[] = {bin, "token", "revoke", "--file", W.tokens, "visitor", NULL};
    assert_int_equal(proc_wait(proc_spawn(argv, log), 30), 0);
    int st = 200;
    for (int i = 0; i < 40 && st == 200; i++) {
        json_decref(call("GET", "/api/v1/whoami", tok, NULL, &st));
        if (st == 200) proc_sleep_ms(100);
    }
    assert_int_equal(st, 401);
}

/* ---- the API server in-process, on an empty historian of its own ---- */

typedef struct inproc {
    char dir[512], hdir[600], toks[600];
    hist *h;
    char token[API_TOKEN_MAX]; /* an admin's */
    api_options o;             /* on 127.0.0.1:0; the test adds to them */
    api_server *s;
    int port;
} inproc;

/* A fresh directory (tagged tag) with the historian and the token file
 * holding one admin token (named name); x->o set for them, not started. */
static void inproc_open(inproc *x, const char *tag, const char *name) {
    memset(x, 0, sizeof *x);
    testutil_tmpdir(x->dir, sizeof x->dir, tag);
    snprintf(x->hdir, sizeof x->hdir, "%s/historian", x->dir);
    snprintf(x->toks, sizeof x->toks, "%s/tokens.json", x->dir);
    hist_error he;
    assert_int_equal(hist_open(x->hdir, NULL, &x->h, &he), HIST_OK);
    char err[256];
    api_token_info info;
    assert_int_equal(
        api_token_create(x->toks, API_ROLE_ADMIN, "", name, 0, x->token, &info, err, sizeof err),
        0);
    api_options_default(&x->o);
    x->o.historian = x->h;
    x->o.token_file = x->toks;
    x->o.listen = "127.0.0.1:0";
}

static void inproc_start(inproc *x) {
    char err[256];
    assert_int_equal(api_start(&x->o, &x->s, err, sizeof err), 0);
    x->port = api_port(x->s);
    assert_true(x->port > 0);
}

static void inproc_close(inproc *x) {
    api_stop(x->s);
    close_historian(x->h);
    testutil_rmtree(x->dir);
}

/* In-process: HTTPS with a certificate made here, and plain HTTP refused
 * off loopback. */
static void test_https(void **state) {
    (void)state;
    inproc x;
    inproc_open(&x, "api-tls", "tls");
    char cmd[2048], cert[600], key[600], err[256];
    snprintf(cert, sizeof cert, "%s/cert.pem", x.dir);
    snprintf(key, sizeof key, "%s/key.pem", x.dir);
    snprintf(cmd, sizeof cmd,
             "openssl req -x509 -newkey rsa:2048 -nodes -keyout '%s' -out '%s' -days 2 "
             "-subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1",
             key, cert);
    assert_int_equal(system(cmd), 0);
    x.o.listen = "0.0.0.0:0";
    assert_int_equal(api_start(&x.o, &x.s, err, sizeof err), -1);
    assert_non_null(strstr(err, "refused"));
    x.o.listen = "127.0.0.1:0";
    x.o.tls_cert = cert, x.o.tls_key = key;
    inproc_start(&x);
    char url[128], auth[API_TOKEN_MAX + 32];
    snprintf(url, sizeof url, "https://127.0.0.1:%d/api/v1/whoami", x.port);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", x.token);
    int status;
    char *body;
    const char *args[] = {"--cacert", cert, "-H", auth, url, NULL};
    assert_int_equal(http_curl(args, &status, &body, 20000), 0);
    assert_int_equal(status, 200);
    assert_non_null(strstr(body, "\"role\":\"admin\""));
    free(body);
    /* an untrusted certificate is refused by the client, as it should be */
    const char *untrusted[] = {url, NULL};
    assert_int_not_equal(http_curl(untrusted, &status, &body, 20000), 0);
    free(body);
    /* plain HTTP to the TLS port gets no API answer */
    http_resp r;
    if (http_request(x.port, "GET", "/api/v1/whoami", x.token, NULL, NULL, 0, &r, 3000) == 0) {
        assert_int_not_equal(r.status, 200);
        http_resp_free(&r);
    }
    inproc_close(&x);
}

/* In-process: the dashboard's files, and nothing beside their directory.
 * A request target that is not a path ("-x/secret.txt", or "%00", which
 * the server decodes to "") once named "<static_dir>-x/secret.txt" (found
 * by fuzz_api: the empty one read a byte before the string). */
static void test_static_files(void **state) {
    (void)state;
    inproc x;
    inproc_open(&x, "api-static", "static");
    char dash[600], file[700];
    snprintf(dash, sizeof dash, "%s/dash", x.dir);
    assert_int_equal(mkdir(dash, 0755), 0);
    snprintf(file, sizeof file, "%s/index.html", dash);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fputs("<!doctype html><title>parkwatch</title>\n", f);
    fclose(f);
    snprintf(file, sizeof file, "%s-x", dash);
    assert_int_equal(mkdir(file, 0755), 0);
    snprintf(file, sizeof file, "%s-x/secret.txt", dash);
    assert_non_null(f = fopen(file, "w"));
    fputs("not for the web\n", f);
    fclose(f);
    x.o.static_dir = dash;
    inproc_start(&x);
    int port = x.port;
    http_resp r;
    assert_int_equal(http_get(port, "/", NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "parkwatch"));
    /* revalidation: the same file is a bodyless 304, a changed one a 200 */
    char etag[128], req[400];
    assert_non_null(http_header(&r, "ETag", etag, sizeof etag));
    http_resp_free(&r);
    snprintf(req, sizeof req,
             "GET / HTTP/1.1\r\nHost: x\r\nIf-None-Match: %s\r\nConnection: close\r\n\r\n", etag);
    assert_int_equal(http_raw(port, req, strlen(req), &r, 10000), 0);
    assert_int_equal(r.status, 304);
    assert_int_equal(r.body_len, 0);
    http_resp_free(&r);
    snprintf(file, sizeof file, "%s/index.html", dash);
    assert_non_null(f = fopen(file, "a"));
    fputs("<!-- changed -->\n", f);
    fclose(f);
    assert_int_equal(http_raw(port, req, strlen(req), &r, 10000), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "changed"));
    http_resp_free(&r);
    static const char *const bad[] = {
        "GET -x/secret.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "GET %00 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "GET /../dash-x/secret.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(http_raw(port, bad[i], strlen(bad[i]), &r, 10000), 0);
        if (r.status != 404) fail_msg("%s: %d, expected 404", bad[i], r.status);
        assert_null(r.body ? strstr(r.body, "not for the web") : NULL);
        http_resp_free(&r);
    }
    inproc_close(&x);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_auth),
        cmocka_unit_test(test_series_scope),
        cmocka_unit_test(test_raw_matches_ledger),
        cmocka_unit_test(test_range_agrees_with_raw),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_layers),
        cmocka_unit_test(test_alarm_stream),
        cmocka_unit_test(test_alarm_roles_and_actions),
        cmocka_unit_test(test_replay),
        cmocka_unit_test(test_live_stream),
        cmocka_unit_test(test_ingest_views),
        cmocka_unit_test(test_metrics),
        cmocka_unit_test(test_token_revocation),
        cmocka_unit_test(test_https),
        cmocka_unit_test(test_static_files),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
