/*
 * test_aggregate.c - GET /api/v1/aggregate against the API in-process: series
 * picked by exact names, lists, globs and regexes; grouped; aggregated
 * within buckets and across groups; top k; the state at a time; an
 * enterprise token's scope; the limits' 400 and 413. Every expected figure
 * is worked out from the data below.
 */
#include <jansson.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "api/api.h"
#include "common/kit/httpclient.h"
#include "tests/support/park.h"

#define T0  1767225600000LL /* 2026-01-01T00:00:00Z */
#define MIN 60000LL

static struct {
    char dir[512], hdir[600], toks[600];
    hist *h;
    api_server *s;
    int port;
    char admin[API_TOKEN_MAX], e1[API_TOKEN_MAX];
} A;

/* E001/gd-01/lel = m % 10 and E001/gd-02/lel = 2 (m % 10) at minute m;
 * E002/gd-03/lel = 100 + m % 10; E001/tank-1/level = 50; three hours.
 * E003/x-00..x-11/v: one point each (for the series limit). */
static int setup(void **state) {
    (void)state;
    testutil_tmpdir(A.dir, sizeof A.dir, "aggregate");
    snprintf(A.hdir, sizeof A.hdir, "%s/historian", A.dir);
    snprintf(A.toks, sizeof A.toks, "%s/tokens.json", A.dir);
    hist_error he;
    assert_int_equal(hist_open(A.hdir, NULL, &A.h, &he), HIST_OK);
    const char *names[4] = {"E001/gd-01/lel", "E001/gd-02/lel", "E002/gd-03/lel",
                            "E001/tank-1/level"};
    hist_series_def defs[16];
    char extra[12][32];
    for (int i = 0; i < 4; i++) defs[i] = (hist_series_def){.name = names[i]};
    for (int i = 0; i < 12; i++) {
        snprintf(extra[i], sizeof extra[i], "E003/x-%02d/v", i);
        defs[4 + i] = (hist_series_def){.name = extra[i]};
    }
    uint32_t ids[16];
    assert_int_equal(hist_series_ensure(A.h, defs, 16, ids, &he), HIST_OK);
    hist_point *p = calloc(4 * 180 + 12, sizeof *p);
    size_t n = 0;
    for (int m = 0; m < 180; m++) {
        int64_t t = T0 + m * MIN;
        p[n++] = (hist_point){ids[0], 0, t, m % 10};
        p[n++] = (hist_point){ids[1], 0, t, 2 * (m % 10)};
        p[n++] = (hist_point){ids[2], 0, t, 100 + m % 10};
        p[n++] = (hist_point){ids[3], 0, t, 50};
    }
    for (int i = 0; i < 12; i++) p[n++] = (hist_point){ids[4 + i], 0, T0, i};
    assert_int_equal(hist_append(A.h, p, n, &he), HIST_OK);
    free(p);
    char err[256];
    api_token_info info;
    assert_int_equal(
        api_token_create(A.toks, API_ROLE_ADMIN, "", "admin", 0, A.admin, &info, err, sizeof err),
        0);
    assert_int_equal(api_token_create(A.toks, API_ROLE_ENTERPRISE, "E001", "e1", 0, A.e1, &info,
                                      err, sizeof err),
                     0);
    api_options o;
    api_options_default(&o);
    o.historian = A.h;
    o.token_file = A.toks;
    o.listen = "127.0.0.1:0";
    o.max_series_per_req = 1; /* a selection of more than 10 series is 413 */
    assert_int_equal(api_start(&o, &A.s, err, sizeof err), 0);
    A.port = api_port(A.s);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    api_stop(A.s);
    close_historian(A.h);
    testutil_rmtree(A.dir);
    return 0;
}

/* GET /api/v1/aggregate?query; the parsed body and the status. */
static json_t *get(const char *token, int *status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static json_t *get(const char *token, int *status, const char *fmt, ...) {
    char q[1024], path[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(q, sizeof q, fmt, ap);
    va_end(ap);
    snprintf(path, sizeof path, "/api/v1/aggregate?%s", q);
    http_resp r;
    assert_int_equal(http_get(A.port, path, token, &r), 0);
    *status = r.status;
    json_t *j = json_loads(r.body, 0, NULL);
    if (!j) fail_msg("%s: not JSON: %s", path, r.body);
    http_resp_free(&r);
    return j;
}

static json_t *ok(const char *fmt, const char *arg) {
    int st;
    json_t *j = get(A.admin, &st, fmt, arg);
    if (st != 200) fail_msg("%s: status %d: %s", arg, st, json_dumps(j, 0));
    return j;
}

/* The value of the group whose label name is val, bucket k. */
static double group_value(json_t *j, const char *name, const char *val, size_t k) {
    json_t *g;
    size_t i;
    json_array_foreach(json_object_get(j, "groups"), i, g) {
        const char *v = json_string_value(json_object_get(json_object_get(g, "labels"), name));
        if (v && !strcmp(v, val))
            return json_number_value(
                json_object_get(json_array_get(json_object_get(g, "buckets"), k), "v"));
    }
    fail_msg("no group %s=%s", name, val);
    return NAN;
}

static size_t n_groups(json_t *j) {
    return json_array_size(json_object_get(j, "groups"));
}

#define RANGE "from=1767225600000&to=1767236400000"

static void test_pick_group_aggregate(void **state) {
    (void)state;
    /* the highest reading of every detector of E001 */
    json_t *j = ok("%s&enterprise=E001&tag=lel&agg=max&group_by=device", RANGE);
    assert_int_equal(n_groups(j), 2);
    assert_true(group_value(j, "device", "gd-01", 0) == 9);
    assert_true(group_value(j, "device", "gd-02", 0) == 18);
    json_decref(j);
    /* a glob across enterprises, grouped by enterprise: max of maxes */
    j = ok("%s&device=gd-*&agg=max&group_by=enterprise", RANGE);
    assert_true(group_value(j, "enterprise", "E001", 0) == 18);
    assert_true(group_value(j, "enterprise", "E002", 0) == 109);
    json_decref(j);
    /* a list; count of points per series */
    j = ok("%s&device=gd-01,gd-03&agg=count&group_by=series", RANGE);
    assert_int_equal(n_groups(j), 2);
    assert_true(group_value(j, "series", "E002/gd-03/lel", 0) == 180);
    json_decref(j);
    /* a regex; the average of the series' averages (4.5 and 9) */
    j = ok("%s&device=~gd-0[12]&agg=avg&across=avg&group_by=enterprise", RANGE);
    assert_true(fabs(group_value(j, "enterprise", "E001", 0) - 6.75) < 1e-12);
    json_decref(j);
    /* sum across the group of each series' sum */
    j = ok("%s&enterprise=E001&tag=lel&agg=sum&group_by=enterprise", RANGE);
    assert_true(group_value(j, "enterprise", "E001", 0) == 18 * 45 * 3);
    json_decref(j);
    /* buckets of an hour: three of them, each with the hour's max */
    j = ok("%s&device=gd-01&agg=max&step=1h&group_by=device", RANGE);
    json_t *b = json_object_get(json_array_get(json_object_get(j, "groups"), 0), "buckets");
    assert_int_equal(json_array_size(b), 3);
    for (size_t k = 0; k < 3; k++) {
        assert_true(json_number_value(json_object_get(json_array_get(b, k), "v")) == 9);
        assert_true(json_number_value(json_object_get(json_array_get(b, k), "t")) ==
                    (double)(T0 + (int64_t)k * 60 * MIN));
        assert_true(json_number_value(json_object_get(json_array_get(b, k), "points")) == 60);
    }
    json_decref(j);
    /* first and last of a series over the range */
    j = ok("%s&device=gd-02&agg=last&group_by=device", RANGE);
    assert_true(group_value(j, "device", "gd-02", 0) == 18); /* minute 179 */
    json_decref(j);
    /* the top detector */
    j = ok("%s&tag=lel&agg=max&group_by=device&top=1", RANGE);
    assert_int_equal(n_groups(j), 1);
    assert_true(group_value(j, "device", "gd-03", 0) == 109);
    json_decref(j);
    j = ok("%s&tag=lel&agg=max&group_by=device&bottom=2", RANGE);
    assert_int_equal(n_groups(j), 2);
    assert_true(group_value(j, "device", "gd-01", 0) == 9);
    json_decref(j);
    /* the state at minute 95: 5, 10 and 105 */
    j = ok("at=%s&tag=lel&group_by=enterprise&across=sum", "1767231300000");
    assert_true(group_value(j, "enterprise", "E001", 0) == 15);
    assert_true(group_value(j, "enterprise", "E002", 0) == 105);
    json_decref(j);
}

static void test_scope_and_limits(void **state) {
    (void)state;
    int st;
    /* an enterprise token's picks see its own series only */
    json_t *j = get(A.e1, &st, "%s&tag=lel&agg=max&group_by=enterprise", RANGE);
    assert_int_equal(st, 200);
    assert_int_equal(n_groups(j), 1);
    assert_true(group_value(j, "enterprise", "E001", 0) == 18);
    json_decref(j);
    j = get(A.e1, &st, "%s&enterprise=E002&agg=max", RANGE);
    assert_int_equal(st, 200);
    assert_int_equal(n_groups(j), 0);
    assert_int_equal(json_integer_value(json_object_get(j, "series_selected")), 0);
    json_decref(j);
    /* E003 has 12 series: over the limit of 10 for the admin, nothing for E001's token
     * (the limit counts only what the token sees) */
    j = get(A.admin, &st, "%s&enterprise=E003", RANGE);
    assert_int_equal(st, 413);
    json_decref(j);
    j = get(A.e1, &st, "%s&device=x-*", RANGE);
    assert_int_equal(st, 200);
    json_decref(j);
    const char *bad[] = {RANGE,
                         RANGE "&device=gd-01&agg=median",
                         RANGE "&device=gd-01&group_by=colour",
                         RANGE "&device=gd-01&top=0",
                         RANGE "&device=gd-01&top=1&bottom=1",
                         RANGE "&device=~(",
                         RANGE "&device=gd-01&step=1ms",
                         RANGE "&device=gd-01&across=median",
                         "at=yesterday&device=gd-01",
                         "at=now&device=gd-01&agg=max",
                         RANGE "&device=*"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        j = get(A.admin, &st, "%s", bad[i]);
        if (st != 400) fail_msg("%s: status %d, expected 400", bad[i], st);
        assert_non_null(json_object_get(json_object_get(j, "error"), "message"));
        json_decref(j);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pick_group_aggregate),
        cmocka_unit_test(test_scope_and_limits),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
