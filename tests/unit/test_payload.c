/*
 * test_payload.c - the payload parsers: each format and variant read
 * exactly, every reject reason, the series layout shared by the formats,
 * and the JSON fast path against the jansson path on many random messages
 * (same readings, same order, same rejects).
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
    char msgs[8192]; /* the reject messages, one line each */
    size_t mlen;
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
    add(g, "X %s|%s\n", reason, tag ? tag : "-");
    int n = snprintf(g->msgs + g->mlen, sizeof g->msgs - g->mlen, "%s\n", message);
    if (n > 0 && g->mlen + (size_t)n < sizeof g->msgs) g->mlen += (size_t)n;
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
    /* A reject names the tag as the reading would have it. */
    assert_string_equal(g.log,
                        "R -|n|g.a|7|1.5|0|0\nR -|n|g.b|7|0|128|3002\nX bad_value_type|g.c\n");
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

/* Parses len bytes of msg with the fast path on and off: both must return
 * want_rc, report format want_det and log exactly want (readings and
 * rejects). Returns the fast run, for checks of its reject messages. */
static got *expect_n(const char *msg, size_t len, ingest_format fmt, int want_rc,
                     ingest_format want_det, const char *want) {
    static got g[2];
    for (int fast = 1; fast >= 0; fast--) {
        got *x = &g[fast];
        memset(x, 0, sizeof *x);
        ingest_format det = (ingest_format)99;
        int rc = payload_parse(msg, len, fmt, NOW, on_reading, on_reject, x, &det, fast);
        if (rc != want_rc || det != want_det || strcmp(x->log, want) != 0)
            fail_msg("%.*s (fast %d): rc %d, format %d, log\n%swanted rc %d, format %d, log\n%s",
                     (int)len, msg, fast, rc, (int)det, x->log, want_rc, (int)want_det, want);
    }
    return &g[1];
}

static got *expect(const char *msg, ingest_format fmt, int want_rc, ingest_format want_det,
                   const char *want) {
    return expect_n(msg, strlen(msg), fmt, want_rc, want_det, want);
}

#define AUTO      INGEST_FMT_AUTO
#define FJSON     INGEST_FMT_JSON
#define FNEURON   INGEST_FMT_NEURON
#define FLINEPROT INGEST_FMT_LINEPROTO

static void test_neuron_variants(void **state) {
    (void)state;
    /* No group: the tag name alone; no timestamp: the clock; metas and
     * other keys ignored. */
    expect("{\"node\": \"plc-2\", \"values\": {\"T1\": 1.25, \"T2\": true}, \"metas\": {\"x\": "
           "[1, {}]}, \"extra\": \"y\"}",
           AUTO, 0, FNEURON,
           "R -|plc-2|T1|1767225600000|1.25|0|0\nR -|plc-2|T2|1767225600000|1|0|0\n");
    /* An empty node or group counts as absent. */
    expect("{\"timestamp\": 9, \"node\": \"\", \"group\": \"\", \"values\": {\"a\": -2}}", AUTO, 0,
           FNEURON, "R -|-|a|9|-2|0|0\n");
    /* node wins over node_name, group over group_name. */
    expect("{\"timestamp\": 9, \"node\": \"n1\", \"node_name\": \"n2\", \"group_name\": \"g2\", "
           "\"group\": \"g1\", \"values\": {\"a\": 1}}",
           AUTO, 0, FNEURON, "R -|n1|g1.a|9|1|0|0\n");
    /* errors alone make an upload Neuron; codes that are not ints give -1;
     * an empty tag name is rejected alone. */
    expect(
        "{\"group\": \"g\", \"errors\": {\"e1\": 2014, \"e2\": \"timeout\", \"e3\": 99999999999, "
        "\"e4\": 1.5, \"\": 3, \"e5\": -2147483648}}",
        AUTO, 0, FNEURON,
        "R -|-|g.e1|1767225600000|0|128|2014\nR -|-|g.e2|1767225600000|0|128|-1\n"
        "R -|-|g.e3|1767225600000|0|128|-1\nR -|-|g.e4|1767225600000|0|128|-1\n"
        "X bad_tag|\nR -|-|g.e5|1767225600000|0|128|-2147483648\n");
    /* Values before errors before tags, whatever the key order. */
    expect("{\"tags\": [{\"name\": \"c\", \"value\": 3}], \"errors\": {\"b\": 1}, \"values\": "
           "{\"a\": 2}, \"node\": \"n\", \"timestamp\": 4}",
           AUTO, 0, FNEURON, "R -|n|a|4|2|0|0\nR -|n|b|4|0|128|1\nR -|n|c|4|3|0|0\n");
    /* tags elements: both value and error is an error; no name, neither, or
     * not an object is rejected alone; a bad value is rejected by its tag. */
    got *g = expect(
        "{\"timestamp\": 3, \"node\": \"n\", \"group\": \"g\", \"tags\": [{\"name\": \"a\", "
        "\"value\": "
        "2, \"error\": 5}, {\"value\": 1}, {\"name\": \"b\"}, 7, {\"name\": \"c\", \"value\": "
        "[1]}, "
        "{\"name\": \"d\", \"value\": false}, {\"name\": 5, \"value\": 1}, {\"name\": \"\", "
        "\"value\": 1}, {\"name\": \"e\", \"value\": null}, {\"name\": \"f\", \"value\": {}}]}",
        AUTO, 0, FNEURON,
        "R -|n|g.a|3|0|128|5\nX bad_structure|-\nX bad_structure|-\nX bad_structure|-\n"
        "X bad_value_type|g.c\nR -|n|g.d|3|0|0|0\nX bad_structure|-\nX bad_tag|\n"
        "X bad_value_type|g.e\nX bad_value_type|g.f\n");
    assert_non_null(strstr(g->msgs, "tags[1]"));
    assert_non_null(strstr(g->msgs, "tags[3]"));
    assert_non_null(strstr(g->msgs, "tags[6]"));
    /* Forced formats: Neuron reads "timestamp" (ts is just another key),
     * Parkwatch JSON reads "ts" and no device. */
    expect("{\"values\": {\"a\": 1}, \"ts\": 5}", FNEURON, 0, FNEURON,
           "R -|-|a|1767225600000|1|0|0\n");
    expect("{\"timestamp\": 5, \"node\": \"n\", \"values\": {\"a\": 1}}", FJSON, 0, FJSON,
           "R -|-|a|1767225600000|1|0|0\n");
    /* Wrong shapes. */
    expect("{\"node\": 5, \"values\": {\"a\": 1}}", AUTO, 1, FNEURON, "X bad_structure|-\n");
    expect("{\"node\": \"n\", \"group\": [], \"values\": {\"a\": 1}}", AUTO, 1, FNEURON,
           "X bad_structure|-\n");
    expect("{\"node\": \"n\", \"values\": [1]}", AUTO, 1, FNEURON, "X bad_structure|-\n");
    expect("{\"node\": \"n\", \"errors\": [1], \"values\": {}}", AUTO, 1, FNEURON,
           "X bad_structure|-\n");
    expect("{\"node\": \"n\", \"values\": {}, \"tags\": {}}", AUTO, 1, FNEURON,
           "X bad_structure|-\n");
    expect("{\"timestamp\": -1, \"values\": {\"a\": 1}}", AUTO, 1, FNEURON, "X bad_structure|-\n");
    expect("{\"timestamp\": 1.7e12, \"values\": {\"a\": 1}}", AUTO, 1, FNEURON,
           "X bad_structure|-\n");
    expect("{\"timestamp\": \"5\", \"values\": {\"a\": 1}}", AUTO, 1, FNEURON,
           "X bad_structure|-\n");
    expect("[{\"node\": \"n\", \"values\": {\"a\": 1}}]", FNEURON, 1, FNEURON,
           "X bad_structure|-\n");
    expect("{\"node\": \"n\", \"values\": {}, \"errors\": {}, \"tags\": []}", AUTO, 1, FNEURON,
           "X empty|-\n");
    expect("{\"node\": \"n\", \"values\": {}, \"metas\": {\"a\": 1}}", AUTO, 1, FNEURON,
           "X empty|-\n");
}

/* Group and tag names longer than the stack buffer read back exactly. */
static void test_neuron_long_names(void **state) {
    (void)state;
    for (size_t glen = 250; glen <= 1250; glen += 250) {
        static char msg[4096], want[4096];
        char group[1300];
        memset(group, 'g', glen);
        group[glen] = 0;
        snprintf(msg, sizeof msg,
                 "{\"timestamp\": 1, \"node\": \"n\", \"group\": \"%s\", \"values\": {\"tag\": 1, "
                 "\"s\": \"x\"}, \"errors\": {\"e\": 7}}",
                 group);
        if (glen + 4 <= INGEST_NAME_MAX) {
            snprintf(want, sizeof want,
                     "R -|n|%s.tag|1|1|0|0\nX bad_value_type|%s.s\nR -|n|%s.e|1|0|128|7\n", group,
                     group, group);
            expect(msg, AUTO, 0, FNEURON, want);
        } else {
            /* Beyond the names rule's length: bad_tag, whatever the value
             * (the reject shows the name's first 63 bytes). */
            snprintf(want, sizeof want, "X bad_tag|%.63s\nX bad_tag|%.63s\nX bad_tag|%.63s\n",
                     group, group, group);
            expect(msg, AUTO, 0, FNEURON, want);
        }
    }
}

static void test_array_form(void **state) {
    (void)state;
    got *g = expect("[{\"ts\": 1, \"values\": {\"a\": 1}}, {\"ts\": 1.5, \"values\": {\"b\": 2}}, "
                    "5, {\"ts\": 3, \"values\": {\"c\": 3}, \"quality\": {\"c\": \"bad\"}}, "
                    "{\"values\": []}, {\"values\": {\"d\": \"x\"}}]",
                    AUTO, 0, FJSON,
                    "R -|-|a|1|1|0|0\nX bad_structure|-\nX bad_structure|-\n"
                    "R -|-|c|3|3|128|0\nX bad_structure|-\nX bad_value_type|d\n");
    /* Each rejected element is named by its 0-based index. */
    const char *m = g->msgs;
    assert_non_null(strstr(m, "element 1:"));
    assert_non_null(strstr(m, "element 2:"));
    assert_non_null(strstr(m, "element 4:"));
    assert_null(strstr(m, "element 0:"));
    assert_null(strstr(m, "element 3:"));
    /* Every element of the wrong shape: the whole message. */
    expect("[1, {\"values\": 2}, [{\"values\": {\"a\": 1}}]]", AUTO, 1, FJSON,
           "X bad_structure|-\nX bad_structure|-\nX bad_structure|-\n");
    /* A bad element and an empty one: no reading at all. */
    expect("[{\"ts\": -1, \"values\": {\"a\": 1}}, {\"values\": {}}]", AUTO, 1, FJSON,
           "X bad_structure|-\nX empty|-\n");
    expect("[]", AUTO, 1, FJSON, "X empty|-\n");
    expect(" \n[ ]\n", AUTO, 1, FJSON, "X empty|-\n");
    expect("[{\"values\": {}}, {\"values\": {}}]", AUTO, 1, FJSON, "X empty|-\n");
    /* Array elements are never Neuron, and a Neuron-looking one is Parkwatch JSON. */
    expect("[{\"timestamp\": 5, \"node\": \"n\", \"values\": {\"a\": 1}}]", AUTO, 0, FJSON,
           "R -|-|a|1767225600000|1|0|0\n");
}

static void test_quality(void **state) {
    (void)state;
    expect("{\"ts\": 1, \"values\": {\"a\": 1, \"b\": 2, \"c\": 3, \"d\": 4, \"e\": 5, \"f\": 6, "
           "\"g\": 7, \"h\": 8, \"i\": 9, \"j\": 10}, \"quality\": {\"a\": 300, \"b\": -1, \"c\": "
           "1.5, \"d\": \"Good\", \"e\": null, \"f\": 255, \"g\": \"bad\", \"h\": \"good\", \"i\": "
           "0, \"j\": true, \"zz\": \"nonsense\", \"yy\": 9999}}",
           AUTO, 0, FJSON,
           "X bad_quality|a\nX bad_quality|b\nX bad_quality|c\nX bad_quality|d\n"
           "X bad_quality|e\nR -|-|f|1|6|255|0\nR -|-|g|1|7|128|0\nR -|-|h|1|8|0|0\n"
           "R -|-|i|1|9|0|0\nX bad_quality|j\n");
    /* Every reading rejected: still handled (the rejects say why), not empty. */
    expect("{\"values\": {\"a\": 1}, \"quality\": {\"a\": \"meh\"}}", AUTO, 0, FJSON,
           "X bad_quality|a\n");
    /* A bad value is reported once, before its quality is looked at. */
    expect("{\"values\": {\"a\": \"x\"}, \"quality\": {\"a\": \"meh\"}}", AUTO, 0, FJSON,
           "X bad_value_type|a\n");
    expect("{\"values\": {\"a\": 1}, \"quality\": [\"bad\"]}", AUTO, 1, FJSON,
           "X bad_structure|-\n");
    expect("{\"values\": {\"a\": 1}, \"quality\": {\"a\": \"bad\", \"a\": \"good\"}}", AUTO, 1,
           FJSON, "X malformed_json|-\n");
}

static void test_numbers(void **state) {
    (void)state;
    expect("{\"ts\": 0, \"values\": {\"big\": 1e308, \"neg\": -1.7976931348623157e308, \"i53\": "
           "9007199254740993, \"imax\": 9223372036854775807, \"imin\": -9223372036854775808, "
           "\"tiny\": 5e-324, \"nz\": -0.0, \"z\": 0, \"e\": 1E+2, \"f\": 0.1}}",
           AUTO, 0, FJSON,
           "R -|-|big|0|1e+308|0|0\nR -|-|neg|0|-1.7976931348623157e+308|0|0\n"
           "R -|-|i53|0|9007199254740992|0|0\nR -|-|imax|0|9.2233720368547758e+18|0|0\n"
           "R -|-|imin|0|-9.2233720368547758e+18|0|0\nR -|-|tiny|0|4.9406564584124654e-324|0|0\n"
           "R -|-|nz|0|-0|0|0\nR -|-|z|0|0|0|0\nR -|-|e|0|100|0|0\nR "
           "-|-|f|0|0.10000000000000001|0|0\n");
    /* Timestamps are taken as they are: range checks are the pipeline's. */
    expect("{\"ts\": 9223372036854775807, \"values\": {\"a\": 1}}", AUTO, 0, FJSON,
           "R -|-|a|9223372036854775807|1|0|0\n");
    expect("{\"ts\": 1767225600000.0, \"values\": {\"a\": 1}}", AUTO, 1, FJSON,
           "X bad_structure|-\n");
    expect("{\"ts\": 1.7e12, \"values\": {\"a\": 1}}", AUTO, 1, FJSON, "X bad_structure|-\n");
    /* Numbers neither an int64 nor a double can hold: jansson refuses the message. */
    expect("{\"values\": {\"a\": 1e309}}", AUTO, 1, FJSON, "X malformed_json|-\n");
    expect("{\"values\": {\"a\": -1e400}}", AUTO, 1, FJSON, "X malformed_json|-\n");
    expect("{\"values\": {\"a\": 9223372036854775808}}", AUTO, 1, FJSON, "X malformed_json|-\n");
    /* Line protocol: the same rounding. */
    expect("m v=9007199254740993i,w=1e308,u=18446744073709551615u,b=F 5", AUTO, 0, FLINEPROT,
           "R -|-|m.v|5|9007199254740992|0|0\nR -|-|m.w|5|1e+308|0|0\n"
           "R -|-|m.u|5|1.8446744073709552e+19|0|0\nR -|-|m.b|5|0|0|0\n");
}

/* Every proper prefix of a JSON message is malformed; trailing garbage too,
 * trailing blanks are not. */
static void test_truncated_and_trailing(void **state) {
    (void)state;
    static const char *const msgs[] = {
        "{\"ts\": 1767225600123, \"values\": {\"a\": 1.5, \"b\": true}, \"quality\": {\"a\": 64}}",
        "[{\"ts\": 1, \"values\": {\"a\": 1}}, {\"values\": {\"b\": -2.5e3}}]",
        "{\"timestamp\": 1, \"node\": \"n\", \"group\": \"g\", \"values\": {\"a\": 1}, "
        "\"errors\": {\"b\": 2014}}",
        "{\"timestamp\": 1, \"node_name\": \"n\", \"tags\": [{\"name\": \"a\", \"value\": 1}, "
        "{\"name\": \"b\", \"error\": 3}]}"};
    static const char *const tails[] = {"x", "{}", ",", "]", "}", "0", "\"\"", "\x01"};
    for (size_t i = 0; i < sizeof msgs / sizeof msgs[0]; i++) {
        size_t len = strlen(msgs[i]);
        /* Malformed JSON reports the JSON family it was taken for. */
        for (size_t cut = 1; cut < len; cut++)
            expect_n(msgs[i], cut, AUTO, 1, FJSON, "X malformed_json|-\n");
        expect_n(msgs[i], len / 2, FNEURON, 1, FNEURON, "X malformed_json|-\n");
        char buf[512];
        for (size_t t = 0; t < sizeof tails / sizeof tails[0]; t++) {
            snprintf(buf, sizeof buf, "%s%s", msgs[i], tails[t]);
            expect(buf, AUTO, 1, FJSON, "X malformed_json|-\n");
        }
        /* A NUL byte after the message. */
        memcpy(buf, msgs[i], len);
        buf[len] = 0;
        expect_n(buf, len + 1, AUTO, 1, FJSON, "X malformed_json|-\n");
        /* Blanks around it change nothing. */
        got plain;
        ingest_format det;
        assert_int_equal(parse(msgs[i], AUTO, &plain, &det, true), 0);
        assert_int_equal(plain.rejects, 0);
        assert_true(plain.readings >= 2);
        snprintf(buf, sizeof buf, " \r\n\t%s\r\n \t", msgs[i]);
        expect(buf, AUTO, 0, det, plain.log);
    }
}

static void test_json_rejects(void **state) {
    (void)state;
    expect("{}", AUTO, 1, FJSON, "X bad_structure|-\n");
    expect("{\"ts\": 1}", AUTO, 1, FJSON, "X bad_structure|-\n");
    expect("{\"values\": null}", AUTO, 1, FJSON, "X bad_structure|-\n");
    expect("{\"values\": \"a=1\"}", AUTO, 1, FJSON, "X bad_structure|-\n");
    expect("{\"ts\": null, \"values\": {\"a\": 1}}", AUTO, 1, FJSON, "X bad_structure|-\n");
    expect("{\"ts\": \"1767225600000\", \"values\": {\"a\": 1}}", AUTO, 1, FJSON,
           "X bad_structure|-\n");
    expect("{\"ts\": true, \"values\": {\"a\": 1}}", AUTO, 1, FJSON, "X bad_structure|-\n");
    /* Only an object or an array is a JSON payload (jansson's decoder). */
    expect("\"text\"", FJSON, 1, FJSON, "X malformed_json|-\n");
    expect("42", FJSON, 1, FJSON, "X malformed_json|-\n");
    expect("null", FJSON, 1, FJSON, "X malformed_json|-\n");
    /* An object with an empty values (and a quality for nothing) is empty. */
    expect("{\"values\": {}}", AUTO, 1, FJSON, "X empty|-\n");
    expect("{\"ts\": 5, \"values\": {}, \"quality\": {\"a\": \"bad\"}}", AUTO, 1, FJSON,
           "X empty|-\n");
    /* Value types. */
    expect("{\"values\": {\"s\": \"1.5\", \"n\": null, \"o\": {\"x\": 1}, \"a\": [1], \"t\": true, "
           "\"f\": false, \"\": 1}}",
           AUTO, 0, FJSON,
           "X bad_value_type|s\nX bad_value_type|n\nX bad_value_type|o\nX bad_value_type|a\n"
           "R -|-|t|1767225600000|1|0|0\nR -|-|f|1767225600000|0|0|0\nX bad_tag|\n");
    /* Duplicate keys anywhere. */
    static const char *const dups[] = {
        "{\"ts\": 1, \"ts\": 2, \"values\": {\"a\": 1}}",
        "{\"values\": {\"a\": 1}, \"values\": {\"b\": 1}}",
        "{\"values\": {\"a\": 1, \"b\": 2, \"a\": 1}}",
        "[{\"values\": {\"a\": 1}}, {\"values\": {\"b\": 1, \"b\": 1}}]",
        "{\"node\": \"n\", \"values\": {\"a\": 1}, \"errors\": {\"e\": 1, \"e\": 2}}",
        "{\"node\": \"n\", \"tags\": [{\"name\": \"a\", \"value\": 1, \"value\": 2}]}",
        "{\"node\": \"n\", \"values\": {\"a\": 1}, \"metas\": {\"m\": {\"x\": 1, \"x\": 1}}}",
        "{\"values\": {\"a\": 1}, \"extra\": {\"k\": 1, \"k\": 2}}"};
    for (size_t i = 0; i < sizeof dups / sizeof dups[0]; i++) {
        got *g = expect(dups[i], AUTO, 1, FJSON, "X malformed_json|-\n");
        assert_non_null(strstr(g->msgs, "duplicate"));
    }
    /* NUL bytes: raw, escaped, after the message; in JSON and forced formats. */
    expect_n("{\"values\": {\"a\0b\": 1}}", 22, AUTO, 1, FJSON, "X malformed_json|-\n");
    expect_n("{\"values\":\0{\"a\": 1}}", 20, AUTO, 1, FJSON, "X malformed_json|-\n");
    expect("{\"values\": {\"a\\u0000b\": 1}}", AUTO, 1, FJSON, "X malformed_json|-\n");
    expect("{\"node\": \"n\\u0000\", \"values\": {\"a\": 1}}", AUTO, 1, FJSON,
           "X malformed_json|-\n");
    expect_n("\0{\"values\": {\"a\": 1}}", 21, FJSON, 1, FJSON, "X malformed_json|-\n");
    /* Other malformed JSON. */
    expect("{\"values\": {\"a\": 1,}}", AUTO, 1, FJSON, "X malformed_json|-\n");
    expect("{'values': {'a': 1}}", AUTO, 1, FJSON, "X malformed_json|-\n");
    expect("{\"values\": {\"a\": NaN}}", AUTO, 1, FJSON, "X malformed_json|-\n");
    expect("{\"values\": {\"a\": 01}}", AUTO, 1, FJSON, "X malformed_json|-\n");
    expect("{\"values\": {\"\xff\": 1}}", AUTO, 1, FJSON, "X malformed_json|-\n");
    expect("m v=1", FJSON, 1, FJSON, "X malformed_json|-\n");
    expect("m v=1", FNEURON, 1, FNEURON, "X malformed_json|-\n");
    /* Empty payloads, in every format. */
    for (int f = AUTO; f <= FLINEPROT; f++) {
        ingest_format want = f == AUTO ? FLINEPROT : (ingest_format)f;
        expect_n(NULL, 0, (ingest_format)f, 1, want, "X empty|-\n");
        expect_n("", 0, (ingest_format)f, 1, want, "X empty|-\n");
        expect(" \r\n\t\n", (ingest_format)f, 1, want, "X empty|-\n");
    }
    /* Bad arguments: nothing is called. */
    got g;
    memset(&g, 0, sizeof g);
    ingest_format det = (ingest_format)99;
    assert_int_equal(ingest_payload_parse(NULL, 1, AUTO, NOW, on_reading, on_reject, &g, &det),
                     INGEST_LP_EINVAL);
    assert_int_equal(
        ingest_payload_parse("m v=1", 5, (ingest_format)4, NOW, on_reading, on_reject, &g, &det),
        INGEST_LP_EINVAL);
    assert_int_equal(g.readings + g.rejects, 0);
    assert_int_equal(det, 99);
    /* No callbacks at all is fine. */
    assert_int_equal(
        ingest_payload_parse("{\"values\": {\"a\": 1}}", 20, AUTO, NOW, NULL, NULL, NULL, NULL), 0);
    assert_int_equal(ingest_payload_parse("{}", 2, AUTO, NOW, NULL, NULL, NULL, NULL), 1);
    assert_int_equal(ingest_payload_parse("m v=1", 5, AUTO, NOW, NULL, NULL, NULL, NULL), 0);
}

/* Every reject of the line protocol parser comes through with its reason,
 * tag NULL and the line number; the good lines around it are kept. */
static void test_lp_rejects(void **state) {
    (void)state;
    got *g = expect("m v=1 1000\n"
                    "m v=\"unterminated\n"
                    "m v=nan\n"
                    "m v=1 12x\n"
                    "m,a=1,a=2 v=1\n"
                    "m v=1,v=2\n"
                    "m v=1 1 extra\n"
                    "m,t v=1\n"
                    "# comment\n"
                    "m v=2i\r\n"
                    "m,device=a/b v=1,w=\"s\"\n"
                    ",t=1 v=1\n"
                    "m\n"
                    "m v=1e400\n"
                    "m v=1 99999999999999999999\n"
                    "m v=x\n"
                    "m v=1 -5\n"
                    "m v\\\n"
                    "m =1\n"
                    "  \t\n"
                    "m,enterprise=E9,device=d9 v=3 7",
                    AUTO, 0, FLINEPROT,
                    "R -|-|m.v|1000|1|0|0\n"
                    "X unterminated_string|-\n"
                    "X nan_or_inf|-\n"
                    "X bad_timestamp|-\n"
                    "X duplicate_tag|-\n"
                    "X duplicate_field|-\n"
                    "X trailing_data|-\n"
                    "X bad_tag|-\n"
                    "R -|-|m.v|1767225600000|2|0|0\n"
                    "X bad_tag|v\n"
                    "X bad_tag|w\n"
                    "X missing_measurement|-\n"
                    "X missing_fields|-\n"
                    "X out_of_range|-\n"
                    "X bad_timestamp|-\n"
                    "X bad_field_value|-\n"
                    "X bad_timestamp|-\n"
                    "X bad_escape|-\n"
                    "X bad_field|-\n"
                    "R E9|d9|m.v|7|3|0|0\n");
    static const int lines[] = {2, 3, 4, 5, 6, 7, 8, 11, 12, 13, 14, 15, 16, 17, 18, 19};
    char want[32];
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        snprintf(want, sizeof want, "line %d: ", lines[i]);
        if (!strstr(g->msgs, want)) fail_msg("no \"%s\" in\n%s", want, g->msgs);
    }
    /* Too long and NUL: a line alone vs the whole payload. */
    static char big[INGEST_LP_MAX_LINE + 64];
    size_t n = (size_t)snprintf(big, sizeof big, "m v=1 1\nm v=\"");
    memset(big + n, 'x', INGEST_LP_MAX_LINE);
    n += INGEST_LP_MAX_LINE;
    n += (size_t)snprintf(big + n, sizeof big - n, "\"\nm w=2 2");
    expect_n(big, n, AUTO, 0, FLINEPROT,
             "R -|-|m.v|1|1|0|0\nX line_too_long|-\nR -|-|m.w|2|2|0|0\n");
    expect_n("m v=1 1\nm\0 v=2 2\n", 17, AUTO, 1, FLINEPROT, "X malformed|-\n");
    expect_n("m v=1\0", 6, FLINEPROT, 1, FLINEPROT, "X malformed|-\n");
    /* Forced line protocol reads JSON as (bad) line protocol. */
    expect("{\"values\": {\"a\": 1}}", FLINEPROT, 1, FLINEPROT, "X bad_field|-\n");
    /* Only bad lines: the whole message; only comments: empty. */
    expect("m\nm v", AUTO, 1, FLINEPROT, "X missing_fields|-\nX bad_field|-\n");
    expect("# a\n\n  # b\n", AUTO, 1, FLINEPROT, "X empty|-\n");
    /* A good line of string fields only: handled, its readings rejected. */
    expect("m,device=d s=\"x\",t=\"\"", AUTO, 0, FLINEPROT,
           "X bad_value_type|m.s\nX bad_value_type|m.t\n");
}

typedef struct lp_names {
    char names[16][256];
    size_t n;
} lp_names;

static int lp_name_line(const ingest_lp_line *line, void *ctx) {
    lp_names *x = ctx;
    for (size_t f = 0; f < line->n_fields && x->n < 16; f++)
        assert_int_equal(ingest_lp_series_name(line, f, "E001", x->names[x->n++], 256), 0);
    return 0;
}

typedef struct reading_names {
    char names[16][256];
    size_t n;
    const char *topic_device;
} reading_names;

static int reading_name(const ingest_reading *r, void *ctx) {
    reading_names *x = ctx;
    if (x->n < 16)
        snprintf(x->names[x->n++], 256, "%s/%s/%s", r->enterprise ? r->enterprise : "E001",
                 r->device ? r->device : x->topic_device, r->tag);
    return 0;
}

/* The series the pipeline builds from the first reading of payload:
 * {enterprise}/{the reading's device, else the topic's}/{tag}. */
static void series_of(const char *payload, const char *topic_device, char *out) {
    reading_names x = {.topic_device = topic_device};
    assert_int_equal(
        ingest_payload_parse(payload, strlen(payload), AUTO, NOW, reading_name, NULL, &x, NULL), 0);
    assert_true(x.n >= 1);
    snprintf(out, 256, "%s", x.names[0]);
}

/* The same data in every format names the same series. */
static void test_series_layout(void **state) {
    (void)state;
    char name[256];
    /* On topic park/E001/d1/data (Neuron names its device itself). */
    const char *const same[] = {
        "{\"values\": {\"tank.level\": 12.5}}",
        "[{\"ts\": 5, \"values\": {\"tank.level\": 12.5}}]",
        "{\"node\": \"d1\", \"group\": \"tank\", \"values\": {\"level\": 1}}",
        "{\"node_name\": \"d1\", \"group_name\": \"tank\", \"tags\": "
        "[{\"name\": \"level\", \"value\": 1}]}",
        "tank level=12.5",
        "tank,device=d1 level=12.5 5",
        "tank,enterprise=E001,device=d1 level=12.5"};
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        series_of(same[i], "d1", name);
        if (strcmp(name, "E001/d1/tank.level") != 0)
            fail_msg("%s names %s, not E001/d1/tank.level", same[i], name);
    }
    /* With other tags: key order, as ingest_lp_series_name names it. */
    series_of("{\"values\": {\"tank,site=north,unit=m.level\": 1}}", "d1", name);
    assert_string_equal(name, "E001/d1/tank,site=north,unit=m.level");
    series_of("tank,unit=m,site=north level=1", "d1", name);
    assert_string_equal(name, "E001/d1/tank,site=north,unit=m.level");
    series_of("tank,unit=m,device=d1,site=north level=1", "other", name);
    assert_string_equal(name, "E001/d1/tank,site=north,unit=m.level");

    /* Line protocol with a device tag: exactly ingest_lp_series_name's name;
     * without one: its name for the line with the topic's device added. */
    static const char *const lp[] = {"sensor,enterprise=E001,device=d01234 v=231.57,w=1i",
                                     "tank,enterprise=E001,device=tankfarm-3,unit=m level=12.5",
                                     "pump,site=north,device=p-7,a=1,zz=2 rpm=1450i,on=t",
                                     "pump,site=north rpm=1450i,temp=61.5",
                                     "m\\ x,k\\ 1=v\\,1,device=d\\=2 f\\=1=1",
                                     "m\\ x,k\\ 1=v\\,1 f\\=1=1"};
    for (size_t i = 0; i < sizeof lp / sizeof lp[0]; i++) {
        lp_names want = {0};
        reading_names got_names = {.topic_device = "topicdev"};
        char with_dev[256];
        const char *src = lp[i];
        if (!strstr(lp[i], "device=")) {
            /* measurement[,tags] plus the topic's device as a tag */
            const char *sp = lp[i];
            while (*sp != ' ' || sp[-1] == '\\') sp++; /* the first unescaped space */
            snprintf(with_dev, sizeof with_dev, "%.*s,device=topicdev%s", (int)(sp - lp[i]), lp[i],
                     sp);
            src = with_dev;
        }
        assert_int_equal(
            ingest_lp_parse(src, strlen(src), INGEST_LP_MS, lp_name_line, NULL, &want, NULL), 0);
        assert_int_equal(ingest_payload_parse(lp[i], strlen(lp[i]), AUTO, NOW, reading_name, NULL,
                                              &got_names, NULL),
                         0);
        assert_int_equal(want.n, got_names.n);
        for (size_t k = 0; k < want.n; k++) assert_string_equal(got_names.names[k], want.names[k]);
    }
}

static void test_callback_stops_everywhere(void **state) {
    (void)state;
    static const char *const msgs[] = {
        "{\"ts\": 1, \"values\": {\"a\": 1, \"b\": 2, \"c\": 3}}",
        "{\"ts\": 1, \"values\": {\"a\": 1, \"s\": \"x\", \"b\": 2, \"c\": 3}}",
        "[{\"values\": {\"a\": 1}}, {\"values\": {\"b\": 2}}, {\"values\": {\"c\": 3}}]",
        "{\"node\": \"n\", \"values\": {\"a\": 1}, \"errors\": {\"b\": 2, \"c\": 3}}",
        "{\"node\": \"n\", \"errors\": {\"a\": 1, \"b\": 2, \"c\": 3}}",
        "{\"node\": \"n\", \"tags\": [{\"name\": \"a\", \"value\": 1}, {\"name\": \"b\", "
        "\"error\": "
        "2}, {\"name\": \"c\", \"value\": 3}]}",
        "{\"node\": \"n\", \"tags\": [{\"name\": \"a\", \"value\": 1, \"x\": 0}, {\"name\": \"b\", "
        "\"error\": 2}, {\"name\": \"c\", \"value\": 3}]}",
        "m a=1\nm b=2\nm c=3",
        "m a=1,b=2,c=3 5"};
    for (size_t i = 0; i < sizeof msgs / sizeof msgs[0]; i++)
        for (int fast = 0; fast < 2; fast++) {
            got g;
            memset(&g, 0, sizeof g);
            g.stop_after = 2;
            ingest_format det;
            int rc = payload_parse(msgs[i], strlen(msgs[i]), AUTO, NOW, on_reading, on_reject, &g,
                                   &det, fast);
            if (rc != 7 || g.readings != 2)
                fail_msg("%s (fast %d): rc %d after %d readings", msgs[i], fast, rc, g.readings);
        }
}

static void test_format_names(void **state) {
    (void)state;
    for (int f = AUTO; f <= FLINEPROT; f++) {
        ingest_format back = (ingest_format)99;
        assert_int_equal(ingest_format_parse(ingest_format_name((ingest_format)f), &back), 0);
        assert_int_equal(back, f);
    }
    assert_string_equal(ingest_format_name(INGEST_FMT_NEURON), "neuron");
    assert_string_equal(ingest_format_name((ingest_format)17), "?");
    ingest_format out = FJSON;
    assert_int_equal(ingest_format_parse("JSON", &out), -1);
    assert_int_equal(ingest_format_parse("", &out), -1);
    assert_int_equal(ingest_format_parse(NULL, &out), -1);
    assert_int_equal(ingest_format_parse("json", NULL), -1);
    assert_int_equal(out, FJSON);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parkwatch_json),  cmocka_unit_test(test_neuron),
        cmocka_unit_test(test_line_protocol),   cmocka_unit_test(test_message_rejects),
        cmocka_unit_test(test_callback_stops),  cmocka_unit_test(test_fast_path_agrees),
        cmocka_unit_test(test_neuron_variants), cmocka_unit_test(test_neuron_long_names),
        cmocka_unit_test(test_array_form),      cmocka_unit_test(test_quality),
        cmocka_unit_test(test_numbers),         cmocka_unit_test(test_truncated_and_trailing),
        cmocka_unit_test(test_json_rejects),    cmocka_unit_test(test_lp_rejects),
        cmocka_unit_test(test_series_layout),   cmocka_unit_test(test_callback_stops_everywhere),
        cmocka_unit_test(test_format_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
