/*
 * test_payload.c - the payload parsers: each format and variant read
 * exactly, every reject reason, and the JSON fast path against the jansson
 * path on many random messages (same readings, same order, same rejects).
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

#include "ingest/internal.h"
#include "tests/support/testutil.h"

#define NOW 1767225600000LL

typedef struct got {
    char log[65536]; /* readings and rejects, one line each */
    size_t len;
    int readings, rejects;
    int stop_after; /* return 7 from the callback after this many readings (0: never) */
} got;

static void add(got *g, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(g->log + g->len, sizeof g->log - g->len, fmt, ap);
    va_end(ap);
    if (n > 0 && g->len + (size_t)n < sizeof g->log) g->len += (size_t)n;
}

static int on_reading(const ingest_reading *r, void *ctx) {
    got *g = ctx;
    add(g, "R %s|%s|%s|%lld|%.17g|%u|%d\n", r->enterprise ? r->enterprise : "-",
        r->device ? r->device : "-", r->tag, (long long)r->ts_ms, r->value, r->quality,
        r->error_code);
    g->readings++;
    return g->stop_after && g->readings >= g->stop_after ? 7 : 0;
}

static void on_reject(const char *reason, const char *tag, const char *message, void *ctx) {
    got *g = ctx;
    (void)message;
    add(g, "X %s|%s\n", reason, tag ? tag : "-");
    g->rejects++;
}

static int parse(const char *s, ingest_format fmt, got *g, ingest_format *det, bool fast) {
    memset(g, 0, sizeof *g);
    return payload_parse(s, strlen(s), fmt, NOW, on_reading, on_reject, g, det, fast);
}

static int parse1(const char *s, got *g) {
    ingest_format det;
    return parse(s, INGEST_FMT_AUTO, g, &det, true);
}

static void test_parkwatch_json(void **state) {
    (void)state;
    got g;
    ingest_format det;
    assert_int_equal(parse("{\"ts\": 1767225600123, \"values\": {\"T1.level\": 12.5, \"on\": true, "
                           "\"n\": -3}, \"quality\": {\"T1.level\": \"uncertain\", \"n\": 128}}",
                           INGEST_FMT_AUTO, &g, &det, true),
                     0);
    assert_int_equal(det, INGEST_FMT_JSON);
    assert_string_equal(g.log, "R -|-|T1.level|1767225600123|12.5|64|0\n"
                               "R -|-|on|1767225600123|1|0|0\n"
                               "R -|-|n|1767225600123|-3|128|0\n");
    /* No ts: the clock. An array: each element on its own, a bad one alone rejected. */
    assert_int_equal(parse1("[{\"values\": {\"a\": 1}}, {\"ts\": \"x\", \"values\": {}},"
                            " {\"ts\": 5, \"values\": {\"b\": 2.25}}]",
                            &g),
                     0);
    assert_string_equal(g.log,
                        "R -|-|a|1767225600000|1|0|0\nX bad_structure|-\nR -|-|b|5|2.25|0|0\n");
    /* Per-reading rejects keep the other readings. */
    assert_int_equal(parse1("{\"ts\": 1, \"values\": {\"s\": \"text\", \"z\": null, \"ok\": 1, "
                            "\"q\": 2}, \"quality\": {\"q\": \"great\"}}",
                            &g),
                     0);
    assert_string_equal(g.log, "X bad_value_type|s\nX bad_value_type|z\nR -|-|ok|1|1|0|0\n"
                               "X bad_quality|q\n");
}

static void test_neuron(void **state) {
    (void)state;
    got g;
    ingest_format det;
    assert_int_equal(parse("{\"timestamp\": 1650006388943, \"node\": \"plc-1\", \"group\": \"grp\","
                           " \"values\": {\"tag0\": 0, \"tag1\": false}, \"errors\": {\"tag2\": "
                           "2014}, \"metas\": {}}",
                           INGEST_FMT_AUTO, &g, &det, true),
                     0);
    assert_int_equal(det, INGEST_FMT_NEURON);
    assert_string_equal(g.log, "R -|plc-1|grp.tag0|1650006388943|0|0|0\n"
                               "R -|plc-1|grp.tag1|1650006388943|0|0|0\n"
                               "R -|plc-1|grp.tag2|1650006388943|0|128|2014\n");
    /* Neuron 2.0 names and the tags-array variant. */
    assert_int_equal(parse1("{\"timestamp\": 7, \"node_name\": \"n\", \"group_name\": \"g\", "
                            "\"tags\": [{\"name\": \"a\", \"value\": 1.5}, {\"name\": \"b\", "
                            "\"error\": 3002}, {\"name\": \"c\", \"value\": \"str\"}]}",
                            &g),
                     0);
    assert_string_equal(g.log, "R -|n|g.a|7|1.5|0|0\nR -|n|g.b|7|0|128|3002\nX bad_value_type|c\n");
}

static void test_line_protocol(void **state) {
    (void)state;
    got g;
    ingest_format det;
    assert_int_equal(parse("tank,enterprise=E001,device=tf-1,unit=m level=12.5,alarm=t 1000\n"
                           "flow value=7i\n"
                           "bad line\n"
                           "s,device=d v=\"x\" 5\n",
                           INGEST_FMT_AUTO, &g, &det, true),
                     0);
    assert_int_equal(det, INGEST_FMT_LINEPROTO);
    assert_string_equal(g.log, "R E001|tf-1|tank,unit=m.level|1000|12.5|0|0\n"
                               "R E001|tf-1|tank,unit=m.alarm|1000|1|0|0\n"
                               "R -|-|flow.value|1767225600000|7|0|0\n"
                               "X bad_field|-\n"
                               "X bad_value_type|s.v\n");
    assert_int_equal(parse1("no fields here", &g), 1);
}

static void test_message_rejects(void **state) {
    (void)state;
    got g;
    const char *cases[][2] = {
        {"{\"ts\": 1, \"values\": {", "malformed_json"},
        {"{\"ts\": 1, \"values\": {\"a\": 1}} trailing", "malformed_json"},
        {"{\"values\": {\"a\": 1, \"a\": 2}}", "malformed_json"}, /* duplicate key */
        {"{\"values\": {\"a\": 1e400}}", "malformed_json"},
        {"{\"values\": {\"a\": 99999999999999999999}}", "malformed_json"},
        {"{\"ts\": 1.5, \"values\": {\"a\": 1}}", "bad_structure"},
        {"{\"ts\": -1, \"values\": {\"a\": 1}}", "bad_structure"},
        {"{\"values\": [1, 2]}", "bad_structure"},
        {"{\"values\": {}}", "empty"},
        {"[]", "empty"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        for (int fast = 0; fast < 2; fast++) {
            memset(&g, 0, sizeof g);
            int rc = payload_parse(cases[i][0], strlen(cases[i][0]), INGEST_FMT_AUTO, NOW,
                                   on_reading, on_reject, &g, NULL, fast);
            if (rc != 1 || g.readings || !strstr(g.log, cases[i][1]))
                fail_msg("%s: rc %d, %s (fast %d)", cases[i][0], rc, g.log, fast);
        }
    }
    /* NUL bytes, and NULL with length 0. */
    memset(&g, 0, sizeof g);
    assert_int_equal(
        ingest_payload_parse("a\0b", 3, INGEST_FMT_AUTO, NOW, on_reading, on_reject, &g, NULL), 1);
    assert_int_equal(ingest_payload_parse("{\"values\":\0}", 12, INGEST_FMT_AUTO, NOW, on_reading,
                                          on_reject, &g, NULL),
                     1);
    assert_int_equal(
        ingest_payload_parse(NULL, 0, INGEST_FMT_AUTO, NOW, on_reading, on_reject, &g, NULL), 1);
    assert_int_equal(ingest_payload_parse(NULL, 3, INGEST_FMT_AUTO, NOW, NULL, NULL, NULL, NULL),
                     INGEST_LP_EINVAL);
}

static void test_callback_stops(void **state) {
    (void)state;
    const char *msgs[] = {"{\"values\": {\"a\": 1, \"b\": 2, \"c\": 3}}",
                          "[{\"values\": {\"a\": 1}}, {\"values\": {\"b\": 2}}]",
                          "{\"node\": \"n\", \"values\": {\"a\": 1, \"b\": 2}}", "m a=1,b=2,c=3 5"};
    for (size_t i = 0; i < sizeof msgs / sizeof msgs[0]; i++) {
        got g;
        memset(&g, 0, sizeof g);
        g.stop_after = 1;
        assert_int_equal(ingest_payload_parse(msgs[i], strlen(msgs[i]), INGEST_FMT_AUTO, NOW,
                                              on_reading, on_reject, &g, NULL),
                         7);
        assert_int_equal(g.readings, 1);
    }
}

static int count_emit(void *ctx, const char *device, const char *tag, int64_t ts, double v,
                      uint8_t q, int code) {
    (void)ctx, (void)device, (void)tag, (void)ts, (void)v, (void)q, (void)code;
    return 0;
}

/* Parses msg both ways and fails unless the results are identical; 1 when
 * the fast path took the message. */
static int paths_agree(const char *msg) {
    static got a, b;
    ingest_format da = INGEST_FMT_AUTO, db = INGEST_FMT_AUTO;
    int ra = parse(msg, INGEST_FMT_AUTO, &a, &da, true);
    int rb = parse(msg, INGEST_FMT_AUTO, &b, &db, false);
    if (ra != rb || strcmp(a.log, b.log) != 0 || da != db)
        fail_msg("paths disagree on %s:\nfast %d %s\nslow %d %s", msg, ra, a.log, rb, b.log);
    return fastjson_parse(msg, strlen(msg), INGEST_FMT_AUTO, NOW, count_emit, NULL, NULL) !=
           FASTJSON_NOT_MINE;
}

/* Random messages, mostly of the fast path's shape, with every kind of
 * deviation thrown in: the fast and the jansson path must agree exactly. */
static void test_fast_path_agrees(void **state) {
    (void)state;
    uint64_t rng = 12345;
    static const char *const oddities[] = {"\"x\\u00e9\"",
                                           "\"\"",
                                           "null",
                                           "\"str\"",
                                           "1e400",
                                           "-0",
                                           "0.5e-3",
                                           "1E+2",
                                           "01",
                                           "-",
                                           "1.",
                                           ".5",
                                           "true",
                                           "false",
                                           "[1]",
                                           "{}",
                                           "123456789012345678901",
                                           "9007199254740993",
                                           "1e-400",
                                           "-1.25"};
    int fast_taken = 0;
    for (int iter = 0; iter < 20000; iter++) {
        char msg[4096];
        size_t n = 0;
        int kind = (int)(testutil_rand(&rng) % 10);
        n += (size_t)snprintf(msg + n, sizeof msg - n, "%s{", kind == 0 ? " \n" : "");
        if (testutil_rand(&rng) % 4)
            n += (size_t)snprintf(msg + n, sizeof msg - n, "\"ts\": %s, ",
                                  kind == 1   ? "1.0"
                                  : kind == 2 ? "-5"
                                              : "1767225600000");
        n += (size_t)snprintf(msg + n, sizeof msg - n, "\"values\": {");
        int nv = (int)(testutil_rand(&rng) % 6);
        for (int k = 0; k < nv; k++) {
            char val[64];
            uint64_t r = testutil_rand(&rng) % 20;
            if (r < 14)
                snprintf(val, sizeof val, "%d.%02d", (int)(testutil_rand(&rng) % 2000) - 1000,
                         (int)(testutil_rand(&rng) % 100));
            else
                snprintf(val, sizeof val, "%s",
                         oddities[testutil_rand(&rng) % (sizeof oddities / sizeof oddities[0])]);
            int tag = kind == 3 ? 0 : k; /* kind 3: duplicate keys */
            n +=
                (size_t)snprintf(msg + n, sizeof msg - n, "%s\"t%d\": %s", k ? ", " : "", tag, val);
        }
        n += (size_t)snprintf(msg + n, sizeof msg - n, "}");
        if (testutil_rand(&rng) % 3 == 0)
            n += (size_t)snprintf(msg + n, sizeof msg - n, ", \"quality\": {\"t0\": %s}",
                                  kind == 4   ? "\"meh\""
                                  : kind == 5 ? "300"
                                              : "\"bad\"");
        if (kind == 6) n += (size_t)snprintf(msg + n, sizeof msg - n, ", \"extra\": 1");
        n += (size_t)snprintf(msg + n, sizeof msg - n, "}%s", kind == 7 ? " x" : "");
        fast_taken += paths_agree(msg);
    }
    assert_true(fast_taken > 1500); /* the fast path really ran */

    /* The same for Neuron uploads. */
    static const char *const heads[] = {
        "\"timestamp\": 1650006388943, \"node\": \"plc-1\", \"group\": \"grp\"",
        "\"node_name\": \"n\", \"group_name\": \"g\", \"timestamp\": 5",
        "\"node\": \"a\", \"node_name\": \"b\"",
        "\"timestamp\": 1.5, \"node\": \"n\"",
        "\"node\": \"\", \"group\": \"g\"",
        "\"timestamp\": 3",
        "\"metas\": {}, \"node\": \"m\"",
        "\"metas\": {\"x\": [1]}, \"node\": \"m\""};
    fast_taken = 0;
    for (int iter = 0; iter < 20000; iter++) {
        char msg[4096];
        size_t n = (size_t)snprintf(msg, sizeof msg, "{%s",
                                    heads[testutil_rand(&rng) % (sizeof heads / sizeof heads[0])]);
        for (int part = 0; part < 2; part++) {
            if (testutil_rand(&rng) % 4 == 0) continue;
            n += (size_t)snprintf(msg + n, sizeof msg - n, ", \"%s\": {",
                                  part ? "errors" : "values");
            int nv = (int)(testutil_rand(&rng) % 5);
            for (int k = 0; k < nv; k++) {
                char val[64];
                uint64_t r = testutil_rand(&rng) % 12;
                if (r < 8)
                    snprintf(val, sizeof val, part ? "%d" : "%d.%d",
                             (int)(testutil_rand(&rng) % 3000), (int)(testutil_rand(&rng) % 10));
                else
                    snprintf(
                        val, sizeof val, "%s",
                        oddities[testutil_rand(&rng) % (sizeof oddities / sizeof oddities[0])]);
                n += (size_t)snprintf(msg + n, sizeof msg - n, "%s\"tag%d\": %s", k ? ", " : "",
                                      (int)(testutil_rand(&rng) % 6), val);
            }
            n += (size_t)snprintf(msg + n, sizeof msg - n, "}");
        }
        if (testutil_rand(&rng) % 2) { /* the tags-array variant, with its own oddities */
            static const char *const elems[] = {
                "{\"name\": \"a\", \"value\": 1.5}",         "{\"value\": 2, \"name\": \"b\"}",
                "{\"name\": \"c\", \"error\": 2014}",        "{\"name\": \"d\", \"value\": true}",
                "{\"name\": \"e\", \"value\": \"s\"}",       "{\"name\": \"f\"}",
                "{\"name\": \"g\", \"value\": 1, \"x\": 2}", "{\"name\": \"\", \"value\": 1}",
                "{\"name\": \"h\", \"error\": 1.5}",         "{\"name\": \"i\", \"value\": null}",
                "{\"name\": \"a\", \"name\": \"b\"}",        "7"};
            n += (size_t)snprintf(msg + n, sizeof msg - n, ", \"tags\": [");
            int ne = (int)(testutil_rand(&rng) % 4);
            for (int k = 0; k < ne; k++) {
                uint64_t r = testutil_rand(&rng) % 16;
                n += (size_t)snprintf(msg + n, sizeof msg - n, "%s%s", k ? ", " : "",
                                      elems[r < 8 ? r % 4 : r - 4]);
            }
            n += (size_t)snprintf(msg + n, sizeof msg - n, "]");
        }
        snprintf(msg + n, sizeof msg - n, "}");
        fast_taken += paths_agree(msg);
    }
    assert_true(fast_taken > 1500);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parkwatch_json), cmocka_unit_test(test_neuron),
        cmocka_unit_test(test_line_protocol),  cmocka_unit_test(test_message_rejects),
        cmocka_unit_test(test_callback_stops), cmocka_unit_test(test_fast_path_agrees),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
