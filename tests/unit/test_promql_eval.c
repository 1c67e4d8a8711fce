/*
 * test_promql_eval.c - promql's engine over a real historian: answers worked
 * out by hand (lookback, rate's extrapolation, aggregations, vector
 * matching, topk's order, offsets), the token's scope, Prometheus's error
 * shapes and limits, and the number formats. test_promql_reference.py
 * compares the same engine with Prometheus itself on a larger data set.
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
#include <jansson.h>

#include "historian/historian.h"
#include "promql/promql.h"
#include "tests/support/testutil.h"

#define T0 1767225600000LL /* 2026-01-01T00:00:00Z */
#define S  1000LL

static char dir[512];
static hist *h;
static pq_engine *eng;

/* e1/d1 and e1/d2 and e2/d3 sensor_v: 1 Hz for 10 minutes, value = device
 * number * 10 + minute; e1/d1 counter_total: +2 a second with a reset to 0
 * at minute 5; e1/d1 gappy_v: one sample at minute 0 only. */
static int setup(void **state) {
    (void)state;
    testutil_tmpdir(dir, sizeof dir, "promql");
    assert_int_equal(hist_open(dir, NULL, &h, NULL), HIST_OK);
    hist_series_def defs[] = {{.name = "e1/d1/sensor.v"},
                              {.name = "e1/d2/sensor.v"},
                              {.name = "e2/d3/sensor.v"},
                              {.name = "e1/d1/counter.total"},
                              {.name = "e1/d1/gappy.v", .unit = "%LEL"}};
    uint32_t ids[5];
    assert_int_equal(hist_series_ensure(h, defs, 5, ids, NULL), HIST_OK);
    hist_point *pts = calloc(5 * 600, sizeof *pts);
    size_t n = 0;
    for (int64_t t = 0; t < 600; t++) {
        for (int d = 0; d < 3; d++)
            pts[n++] = (hist_point){ids[d], 0, T0 + t * S, (d + 1) * 10.0 + (double)(t / 60)};
        double c = t < 300 ? 2.0 * (double)t : 2.0 * (double)(t - 300);
        pts[n++] = (hist_point){ids[3], 0, T0 + t * S, c};
    }
    pts[n++] = (hist_point){ids[4], 0, T0, 7.5};
    assert_int_equal(hist_append(h, pts, n, NULL), HIST_OK);
    free(pts);
    /* e9/p000..p099/par.v = i, at 1 Hz for ten minutes: enough series for a
     * range function to spread over the cores */
    hist_series_def pdef[100];
    char pname[100][32];
    uint32_t pid[100];
    for (int i = 0; i < 100; i++) {
        snprintf(pname[i], sizeof pname[i], "e9/p%03d/par.v", i);
        pdef[i] = (hist_series_def){.name = pname[i]};
    }
    assert_int_equal(hist_series_ensure(h, pdef, 100, pid, NULL), HIST_OK);
    pts = calloc(100 * 600, sizeof *pts);
    n = 0;
    for (int64_t t = 0; t < 600; t++)
        for (int i = 0; i < 100; i++)
            pts[n++] = (hist_point){pid[i], 0, T0 + t * S, i + (double)t / 1000};
    assert_int_equal(hist_append(h, pts, n, NULL), HIST_OK);
    free(pts);
    pq_error err;
    eng = pq_engine_new(h, NULL, &err);
    assert_non_null(eng);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    pq_engine_free(eng);
    hist_close(h, NULL);
    testutil_rmtree(dir);
    return 0;
}

/* Runs a query; returns the parsed answer (or the error's) and the status. */
static json_t *run(const char *q, int64_t start, int64_t end, int64_t step, const char *scope,
                   int *status) {
    textbuf b = {0};
    pq_error err = {0};
    pq_query_args a = {.query = q,
                       .query_len = strlen(q),
                       .start_ms = start,
                       .end_ms = end,
                       .step_ms = step,
                       .scope = scope};
    int rc = pq_query(eng, &a, &b, &err);
    json_t *j;
    if (rc == 0) {
        *status = 200;
        j = json_loadb(b.p, b.n, 0, NULL);
        assert_non_null(j);
    } else {
        *status = err.status;
        j = json_pack("{s:s,s:s}", "errorType", err.type, "error", err.msg);
    }
    free(b.p);
    return j;
}

static json_t *instant(const char *q, int64_t t) {
    int st;
    json_t *j = run(q, t, t, 0, NULL, &st);
    if (st != 200) fail_msg("%s: %s", q, json_string_value(json_object_get(j, "error")));
    return j;
}

static json_t *result(json_t *j) {
    return json_object_get(json_object_get(j, "data"), "result");
}

/* The value of the series whose label name=value (or the only one). */
static double value_of(json_t *j, const char *name, const char *val) {
    json_t *r = result(j), *s;
    size_t i;
    json_array_foreach(r, i, s) {
        json_t *m = json_object_get(s, "metric");
        const char *got = json_string_value(json_object_get(m, name ? name : ""));
        if (name && (!got || strcmp(got, val))) continue;
        return strtod(json_string_value(json_array_get(json_object_get(s, "value"), 1)), NULL);
    }
    fail_msg("no series %s=%s", name ? name : "", val ? val : "");
    return NAN;
}

static void test_selectors_and_lookback(void **state) {
    (void)state;
    json_t *j = instant("sensor_v", T0 + 599 * S);
    assert_int_equal(json_array_size(result(j)), 3);
    assert_true(value_of(j, "device", "d2") == 29.0);
    json_t *m = json_object_get(json_array_get(result(j), 0), "metric");
    assert_string_equal(json_string_value(json_object_get(m, "__name__")), "sensor_v");
    assert_string_equal(json_string_value(json_object_get(m, "enterprise")), "e1");
    json_decref(j);
    /* the lookback is [t - 5m, t]: exactly 5 minutes after the last sample
     * it is still there, a millisecond later it is gone */
    j = instant("gappy_v", T0 + 300 * S);
    assert_int_equal(json_array_size(result(j)), 1);
    assert_true(value_of(j, NULL, NULL) == 7.5);
    json_t *gm = json_object_get(json_array_get(result(j), 0), "metric");
    assert_string_equal(json_string_value(json_object_get(gm, "unit")), "%LEL");
    json_decref(j);
    j = instant("gappy_v", T0 + 300 * S + 1);
    assert_int_equal(json_array_size(result(j)), 0);
    json_decref(j);
    /* matchers */
    j = instant("sensor_v{device=~\"d[12]\",enterprise!=\"e2\"}", T0 + 60 * S);
    assert_int_equal(json_array_size(result(j)), 2);
    json_decref(j);
    j = instant("{__name__=~\"sensor_.*\",device!~\"d1|d2\"}", T0 + 60 * S);
    assert_int_equal(json_array_size(result(j)), 1);
    assert_true(value_of(j, "device", "d3") == 31.0);
    json_decref(j);
    /* offset: minute 2's value seen from minute 3 */
    j = instant("sensor_v{device=\"d1\"} offset 1m", T0 + 180 * S);
    assert_true(value_of(j, NULL, NULL) == 12.0);
    json_decref(j);
}

static void test_range_functions(void **state) {
    (void)state;
    /* +2 a second, samples on every second: rate over 1m is exactly 2 */
    json_t *j = instant("rate(counter_total[1m])", T0 + 200 * S);
    assert_true(fabs(value_of(j, NULL, NULL) - 2.0) < 1e-9);
    json_t *m = json_object_get(json_array_get(result(j), 0), "metric");
    assert_null(json_object_get(m, "__name__")); /* rate drops the name */
    json_decref(j);
    /* across the reset at 300 s: 540 -> 598, then 0 -> 60 (Prometheus
     * counts the reset as a fall to 0) */
    j = instant("increase(counter_total[1m])", T0 + 330 * S);
    assert_true(fabs(value_of(j, NULL, NULL) - 118.0) < 1e-9);
    json_decref(j);
    j = instant("resets(counter_total[2m])", T0 + 330 * S);
    assert_true(value_of(j, NULL, NULL) == 1.0);
    json_decref(j);
    /* [t - 1m, t] holds 61 samples at 1 Hz (Prometheus 2.x: both ends) */
    j = instant("count_over_time(sensor_v{device=\"d1\"}[1m])", T0 + 120 * S);
    assert_true(value_of(j, NULL, NULL) == 61.0);
    json_decref(j);
    j = instant("max_over_time(sensor_v[10m])", T0 + 599 * S);
    assert_true(value_of(j, "device", "d3") == 39.0);
    json_decref(j);
    j = instant("min_over_time(sensor_v{device=\"d3\"}[10m])", T0 + 599 * S);
    assert_true(value_of(j, NULL, NULL) == 30.0);
    json_decref(j);
    /* minute 1 (60 samples of 11) and 1 sample of 12: (60*11 + 12) / 61 */
    j = instant("avg_over_time(sensor_v{device=\"d1\"}[1m])", T0 + 120 * S);
    assert_true(fabs(value_of(j, NULL, NULL) - (60 * 11.0 + 12) / 61) < 1e-12);
    json_decref(j);
    /* windows of an hour or more come from the one-minute rollups and their
     * partial edges from raw points: [30 s, 3630 s] holds 30 samples of 10,
     * 60 each of 11 .. 19 */
    j = instant("count_over_time(sensor_v{device=\"d1\"}[1h])", T0 + 3630 * S);
    assert_true(value_of(j, NULL, NULL) == 570);
    json_decref(j);
    j = instant("sum_over_time(sensor_v{device=\"d1\"}[1h])", T0 + 3630 * S);
    assert_true(value_of(j, NULL, NULL) == 300 + 60 * 135);
    json_decref(j);
    j = instant("avg_over_time(sensor_v{device=\"d1\"}[1h])", T0 + 3630 * S);
    assert_true(fabs(value_of(j, NULL, NULL) - (300.0 + 60 * 135) / 570) < 1e-12);
    json_decref(j);
    j = instant("min_over_time(sensor_v{device=\"d3\"}[2h] offset 1h)", T0 + 7230 * S);
    assert_true(value_of(j, NULL, NULL) == 30.0);
    json_decref(j);
    j = instant("max_over_time(sensor_v{device=\"d3\"}[1h])", T0 + 3630 * S);
    assert_true(value_of(j, NULL, NULL) == 39.0);
    json_decref(j);
    /* and the same windows from raw points agree (quantile 0 and 1 are min and max) */
    j = instant("quantile_over_time(1, sensor_v{device=\"d3\"}[1h])", T0 + 3630 * S);
    assert_true(value_of(j, NULL, NULL) == 39.0);
    json_decref(j);
    j = instant("deriv(counter_total[1m])", T0 + 100 * S);
    assert_true(fabs(value_of(j, NULL, NULL) - 2.0) < 1e-9);
    json_decref(j);
    j = instant("irate(counter_total[1m])", T0 + 100 * S);
    assert_true(fabs(value_of(j, NULL, NULL) - 2.0) < 1e-12);
    json_decref(j);
    j = instant("quantile_over_time(0.5, sensor_v{device=\"d1\"}[2m])", T0 + 120 * S);
    assert_true(value_of(j, NULL, NULL) == 11.0);
    json_decref(j);
    j = instant("absent_over_time(gappy_v{device=\"d1\"}[1m])", T0 + 120 * S);
    assert_true(value_of(j, "device", "d1") == 1.0);
    json_decref(j);
    j = instant("absent(nothing_here{enterprise=\"e9\"})", T0);
    assert_true(value_of(j, "enterprise", "e9") == 1.0);
    json_decref(j);
}

/* A range function over 100 series runs on several threads: every series
 * gets its own answer. */
static void test_many_series(void **state) {
    (void)state;
    json_t *j = instant("max_over_time(par_v[5m])", T0 + 599 * S);
    assert_int_equal(json_array_size(result(j)), 100);
    for (int i = 0; i < 100; i += 33) {
        char dev[8];
        snprintf(dev, sizeof dev, "p%03d", i);
        assert_true(fabs(value_of(j, "device", dev) - (i + 0.599)) < 1e-12);
    }
    json_decref(j);
    j = instant("sum(rate(par_v[1m]))", T0 + 300 * S);
    assert_true(fabs(value_of(j, NULL, NULL) - 100 * 0.001) < 1e-9);
    json_decref(j);
    int st;
    j = run("min_over_time(par_v[30s])", T0 + 100 * S, T0 + 500 * S, 100 * S, NULL, &st);
    assert_int_equal(st, 200);
    assert_int_equal(json_array_size(result(j)), 100);
    json_decref(j);
}

static void test_aggregation_and_matching(void **state) {
    (void)state;
    int64_t t = T0 + 60 * S; /* values 11, 21, 31 */
    json_t *j = instant("sum(sensor_v)", t);
    assert_true(value_of(j, NULL, NULL) == 63.0);
    json_decref(j);
    j = instant("sum by (enterprise) (sensor_v)", t);
    assert_true(value_of(j, "enterprise", "e1") == 32.0);
    assert_true(value_of(j, "enterprise", "e2") == 31.0);
    json_decref(j);
    j = instant("count without (device) (sensor_v)", t);
    assert_true(value_of(j, "enterprise", "e1") == 2.0);
    json_decref(j);
    j = instant("avg(sensor_v)", t);
    assert_true(fabs(value_of(j, NULL, NULL) - 21.0) < 1e-12);
    json_decref(j);
    j = instant("stddev(sensor_v)", t);
    assert_true(fabs(value_of(j, NULL, NULL) - sqrt(200.0 / 3)) < 1e-9);
    json_decref(j);
    j = instant("quantile(0.5, sensor_v)", t);
    assert_true(value_of(j, NULL, NULL) == 21.0);
    json_decref(j);
    /* topk keeps the whole series and lists them largest first */
    j = instant("topk(2, sensor_v)", t);
    assert_int_equal(json_array_size(result(j)), 2);
    json_t *first = json_object_get(json_array_get(result(j), 0), "metric");
    assert_string_equal(json_string_value(json_object_get(first, "device")), "d3");
    assert_string_equal(json_string_value(json_object_get(first, "__name__")), "sensor_v");
    json_decref(j);
    j = instant("bottomk(1, sensor_v)", t);
    assert_true(value_of(j, "device", "d1") == 11.0);
    json_decref(j);
    /* scalar arithmetic and comparisons */
    j = instant("sensor_v{device=\"d1\"} * 2 + 1", t);
    assert_true(value_of(j, NULL, NULL) == 23.0);
    json_decref(j);
    j = instant("sensor_v > 20", t);
    assert_int_equal(json_array_size(result(j)), 2);
    json_decref(j);
    j = instant("sensor_v > bool 20", t);
    assert_int_equal(json_array_size(result(j)), 3);
    assert_true(value_of(j, "device", "d1") == 0.0);
    json_decref(j);
    /* each device's share of its enterprise's total: many-to-one */
    j = instant("sensor_v / on (enterprise) group_left sum by (enterprise) (sensor_v)", t);
    assert_int_equal(json_array_size(result(j)), 3);
    assert_true(fabs(value_of(j, "device", "d1") - 11.0 / 32) < 1e-12);
    assert_true(value_of(j, "device", "d3") == 1.0);
    json_decref(j);
    int st;
    j = run("sensor_v / on (enterprise) sum by (enterprise) (sensor_v)", t, t, 0, NULL, &st);
    assert_int_equal(st, 422); /* many-to-one without group_left */
    assert_string_equal(json_string_value(json_object_get(j, "errorType")), "execution");
    json_decref(j);
    j = instant("sensor_v and sensor_v{device=\"d2\"}", t);
    assert_int_equal(json_array_size(result(j)), 1);
    json_decref(j);
    j = instant("sensor_v unless sensor_v{device=\"d2\"}", t);
    assert_int_equal(json_array_size(result(j)), 2);
    json_decref(j);
    j = instant("gappy_v or sensor_v{device=\"d2\"}", t);
    assert_int_equal(json_array_size(result(j)), 2);
    json_decref(j);
    j = instant("clamp(sensor_v, 15, 25)", t);
    assert_true(value_of(j, "device", "d1") == 15.0 && value_of(j, "device", "d3") == 25.0);
    json_decref(j);
    j = instant("round(sensor_v / 7, 0.5)", t);
    assert_true(value_of(j, "device", "d1") == 1.5);
    json_decref(j);
    j = instant("scalar(sum(sensor_v)) - 3", t);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(j, "data"), "resultType")), "scalar");
    assert_string_equal(json_string_value(json_array_get(result(j), 1)), "60");
    json_decref(j);
}

static void test_range_query(void **state) {
    (void)state;
    int st;
    /* steps at 0, 60, ..., 540 s: ten points, the minute's value each */
    json_t *j = run("sensor_v{device=\"d2\"}", T0, T0 + 540 * S, 60 * S, NULL, &st);
    assert_int_equal(st, 200);
    json_t *vals = json_object_get(json_array_get(result(j), 0), "values");
    assert_int_equal(json_array_size(vals), 10);
    for (size_t k = 0; k < 10; k++) {
        json_t *p = json_array_get(vals, k);
        assert_true(json_number_value(json_array_get(p, 0)) == (double)(T0 / 1000 + 60 * k));
        assert_true(strtod(json_string_value(json_array_get(p, 1)), NULL) == 20.0 + (double)k);
    }
    json_decref(j);
    /* a scalar over a range is a matrix of one series without labels */
    j = run("time()", T0, T0 + 2 * S, S, NULL, &st);
    assert_int_equal(json_array_size(json_object_get(json_array_get(result(j), 0), "values")), 3);
    json_decref(j);
    /* 11,000 points a series at most, with Prometheus's words */
    j = run("sensor_v", T0, T0 + 11000 * S, S, NULL, &st);
    assert_int_equal(st, 400);
    assert_non_null(strstr(json_string_value(json_object_get(j, "error")),
                           "exceeded maximum resolution of 11,000 points"));
    json_decref(j);
    j = run("sensor_v", T0, T0 + 10999 * S, S, NULL, &st);
    assert_int_equal(st, 200);
    json_decref(j);
    j = run("sensor_v[5m]", T0, T0 + 60 * S, S, NULL, &st);
    assert_int_equal(st, 400);
    json_decref(j);
}

static void test_scope_and_errors(void **state) {
    (void)state;
    int st;
    /* an enterprise token's .* matches its own series only */
    json_t *j = run("{__name__=~\".+\"}", T0 + 60 * S, T0 + 60 * S, 0, "e2", &st);
    assert_int_equal(st, 200);
    assert_int_equal(json_array_size(result(j)), 1);
    json_decref(j);
    j = run("count(sensor_v)", T0 + 60 * S, T0 + 60 * S, 0, "e2", &st);
    assert_true(value_of(j, NULL, NULL) == 1.0);
    json_decref(j);
    j = run("sensor_v{enterprise=\"e1\"}", T0 + 60 * S, T0 + 60 * S, 0, "e2", &st);
    assert_int_equal(json_array_size(result(j)), 0);
    json_decref(j);
    const char *bad[] = {"sum(",    "rate(sensor_v)",
                         "{}",      "sensor_v{a=~\"(\"}",
                         "foo bar", "histogram_quantile(0.9, x)"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        j = run(bad[i], T0, T0, 0, NULL, &st);
        assert_int_equal(st, 400);
        assert_string_equal(json_string_value(json_object_get(j, "errorType")), "bad_data");
        json_decref(j);
    }
}

static void test_series_labels_export(void **state) {
    (void)state;
    textbuf b = {0};
    pq_error err = {0};
    const char *m[] = {"sensor_v{enterprise=\"e1\"}"};
    pq_select_args a = {.match = m, .n_match = 1, .end_ms = HIST_MAX_TS_MS};
    assert_int_equal(pq_series(eng, &a, &b, &err), 0);
    json_t *j = json_loadb(b.p, b.n, 0, NULL);
    assert_int_equal(json_array_size(json_object_get(j, "data")), 2);
    json_decref(j);
    b.n = 0;
    a.n_match = 0;
    a.scope = "e2";
    assert_int_equal(pq_label_values(eng, "device", &a, &b, &err), 0);
    j = json_loadb(b.p, b.n, 0, NULL);
    assert_int_equal(json_array_size(json_object_get(j, "data")), 1);
    assert_string_equal(json_string_value(json_array_get(json_object_get(j, "data"), 0)), "d3");
    json_decref(j);
    b.n = 0;
    a.scope = NULL, a.n_match = 1;
    a.start_ms = T0, a.end_ms = T0 + 2 * S;
    assert_int_equal(pq_export(eng, &a, &b, &err), 0);
    /* two lines, three samples each: both ends of [start, end] */
    size_t lines = 0;
    for (char *p = b.p; (p = strchr(p, '\n')); p++) lines++;
    assert_int_equal(lines, 2);
    j = json_loadb(b.p, (size_t)(strchr(b.p, '\n') - b.p), 0, NULL);
    assert_int_equal(json_array_size(json_object_get(j, "timestamps")), 3);
    json_decref(j);
    free(b.p);
}

static void test_number_text(void **state) {
    (void)state;
    int st;
    const struct {
        const char *q, *want;
    } cases[] = {{"0.1 + 0.2", "0.30000000000000004"},
                 {"1e21", "1000000000000000000000"},
                 {"1/0", "+Inf"},
                 {"-1/0", "-Inf"},
                 {"0/0", "NaN"},
                 {"1.5e-7", "0.00000015"},
                 {"-2.5", "-2.5"},
                 {"100", "100"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *j = run(cases[i].q, T0 + 500, T0 + 500, 0, NULL, &st);
        assert_int_equal(st, 200);
        json_t *r = result(j);
        assert_string_equal(json_string_value(json_array_get(r, 1)), cases[i].want);
        assert_true(json_number_value(json_array_get(r, 0)) == (double)(T0 + 500) / 1000);
        json_decref(j);
    }
}

/* Sample times are seconds with up to three decimals, trailing zeros
 * dropped, as Prometheus writes them. */
static void test_time_text(void **state) {
    (void)state;
    const int64_t ms[] = {0, 5, 50, 123, 250, 500, 999, 1000, 60001};
    for (size_t i = 0; i < sizeof ms / sizeof ms[0]; i++) {
        int st;
        json_t *j = run("1", T0 + ms[i], T0 + ms[i], 0, NULL, &st);
        assert_int_equal(st, 200);
        assert_true(json_number_value(json_array_get(result(j), 0)) == (double)(T0 + ms[i]) / 1000);
        json_decref(j);
    }
}

/* Any double written back reads as the same double, without an exponent. */
static void test_number_roundtrip(void **state) {
    (void)state;
    uint64_t seed = 7;
    for (int i = 0; i < 2000; i++) {
        uint64_t bits = testutil_rand(&seed);
        double v;
        memcpy(&v, &bits, sizeof v);
        if (!isfinite(v)) continue;
        if (i % 2)
            v = (double)(int64_t)(testutil_rand(&seed) % 2000000) / 1000; /* short decimals */
        char q[64];
        snprintf(q, sizeof q, "%.17g", v);
        int st;
        json_t *j = run(q, T0, T0, 0, NULL, &st);
        assert_int_equal(st, 200);
        const char *text = json_string_value(json_array_get(result(j), 1));
        if (strtod(text, NULL) != v || strchr(text, 'e')) fail_msg("%s -> %s", q, text);
        json_decref(j);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_selectors_and_lookback),
        cmocka_unit_test(test_range_functions),
        cmocka_unit_test(test_many_series),
        cmocka_unit_test(test_aggregation_and_matching),
        cmocka_unit_test(test_range_query),
        cmocka_unit_test(test_scope_and_errors),
        cmocka_unit_test(test_series_labels_export),
        cmocka_unit_test(test_number_text),
        cmocka_unit_test(test_number_roundtrip),
        cmocka_unit_test(test_time_text),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
