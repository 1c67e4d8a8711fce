/*
 * test_lineproto.c - unit tests of ingest/lineproto.c: the line protocol
 * reference examples, every escape rule, every field type, precisions and
 * timestamp bounds, CRLF, comments, every rejection reason with the good
 * lines around it still parsed, NUL bytes, overlong lines, the tag and
 * field limits, float parsing bit for bit against strtod, series names, and
 * seeded random and mutated input.
 *
 * Every parse runs on an exactly sized heap copy of the input, so under
 * AddressSanitizer any read past the buffer is caught.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/ingest.h"

/* ---- helpers ---- */

static uint64_t rng_state;

static void rng_seed(uint64_t s) {
    rng_state = s ? s : 0x9E3779B97F4A7C15ull;
}

/* xorshift64*: deterministic across platforms. */
static uint64_t rng(void) {
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}

static uint64_t rng_below(uint64_t n) {
    return n ? rng() % n : 0;
}

static uint64_t bits_of(double d) {
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

#define MAX_GOT    64
#define MAX_GOT_KV 8

typedef struct got_field {
    char key[64];
    ingest_lp_type type;
    double value;
    int64_t i;
    uint64_t u;
    int has_str;
    char str[256];
} got_field;

typedef struct got_line {
    size_t line_no;
    char measurement[128];
    size_t n_tags, n_fields;
    char tag_key[MAX_GOT_KV][64], tag_value[MAX_GOT_KV][64];
    got_field fields[MAX_GOT_KV];
    int has_ts;
    int64_t ts_ms;
} got_line;

typedef struct got_reject {
    size_t line_no;
    char reason[32];
    char message[128];
} got_reject;

typedef struct collect {
    got_line lines[MAX_GOT];
    size_t n_lines; /* all good lines, even beyond MAX_GOT */
    got_reject rejects[MAX_GOT];
    size_t n_rejects;
    size_t stop_at; /* when non-zero, on_line returns 7 for this line number */
    ingest_lp_stats stats;
    int rc;
} collect;

static int on_line(const ingest_lp_line *l, void *ctx) {
    collect *c = ctx;
    assert_non_null(l->measurement);
    assert_true(l->measurement[0] != 0);
    assert_true(l->n_fields >= 1);
    assert_true(l->n_fields <= INGEST_LP_MAX_FIELDS);
    assert_true(l->n_tags <= INGEST_LP_MAX_TAGS);
    if (!l->has_ts)
        assert_int_equal(l->ts_ms, 0);
    else
        assert_true(l->ts_ms >= 0 && l->ts_ms <= INGEST_LP_MAX_TS_MS);
    for (size_t j = 0; j < l->n_fields; j++) {
        assert_non_null(l->fields[j].key);
        assert_true(l->fields[j].key[0] != 0);
        if (l->fields[j].type == INGEST_LP_STRING)
            assert_non_null(l->fields[j].str);
        else
            assert_null(l->fields[j].str);
        if (l->fields[j].type == INGEST_LP_FLOAT) assert_true(isfinite(l->fields[j].value));
    }
    for (size_t j = 0; j < l->n_tags; j++) {
        assert_true(l->tags[j].key[0] != 0);
        assert_true(l->tags[j].value[0] != 0);
    }
    if (c->n_lines < MAX_GOT) {
        got_line *g = &c->lines[c->n_lines];
        memset(g, 0, sizeof *g);
        g->line_no = l->line_no;
        snprintf(g->measurement, sizeof g->measurement, "%s", l->measurement);
        g->n_tags = l->n_tags;
        g->n_fields = l->n_fields;
        for (size_t j = 0; j < l->n_tags && j < MAX_GOT_KV; j++) {
            snprintf(g->tag_key[j], sizeof g->tag_key[j], "%s", l->tags[j].key);
            snprintf(g->tag_value[j], sizeof g->tag_value[j], "%s", l->tags[j].value);
        }
        for (size_t j = 0; j < l->n_fields && j < MAX_GOT_KV; j++) {
            got_field *f = &g->fields[j];
            snprintf(f->key, sizeof f->key, "%s", l->fields[j].key);
            f->type = l->fields[j].type;
            f->value = l->fields[j].value;
            f->i = l->fields[j].i;
            f->u = l->fields[j].u;
            if (l->fields[j].str) {
                f->has_str = 1;
                snprintf(f->str, sizeof f->str, "%s", l->fields[j].str);
            }
        }
        g->has_ts = l->has_ts;
        g->ts_ms = l->ts_ms;
    }
    c->n_lines++;
    return c->stop_at && l->line_no == c->stop_at ? 7 : 0;
}

static void on_reject(size_t line_no, const char *reason, const char *message, void *ctx) {
    collect *c = ctx;
    assert_non_null(reason);
    assert_non_null(message);
    assert_true(line_no >= 1);
    if (c->n_rejects < MAX_GOT) {
        got_reject *r = &c->rejects[c->n_rejects];
        r->line_no = line_no;
        snprintf(r->reason, sizeof r->reason, "%s", reason);
        snprintf(r->message, sizeof r->message, "%s", message);
    }
    c->n_rejects++;
}

/* Parses an exactly sized heap copy of p[0..n) into a fresh collect. */
static collect *parse_n(const char *p, size_t n, ingest_lp_precision prec) {
    collect *c = calloc(1, sizeof *c);
    assert_non_null(c);
    char *copy = malloc(n ? n : 1);
    assert_non_null(copy);
    if (n) memcpy(copy, p, n);
    c->rc = ingest_lp_parse(copy, n, prec, on_line, on_reject, c, &c->stats);
    free(copy);
    assert_int_equal(c->stats.lines,
                     c->stats.good_lines + c->stats.rejected_lines + c->stats.skipped_lines);
    if (c->rc == 0) {
        assert_int_equal(c->stats.good_lines, c->n_lines);
        assert_int_equal(c->stats.rejected_lines, c->n_rejects);
    }
    return c;
}

static collect *parse(const char *s, ingest_lp_precision prec) {
    return parse_n(s, strlen(s), prec);
}

/* One good line expected; returns the collect for inspection. */
static collect *parse_one(const char *s, ingest_lp_precision prec) {
    collect *c = parse(s, prec);
    if (c->n_lines != 1 || c->n_rejects != 0)
        fail_msg("'%s': %zu good, %zu rejected (%s: %s)", s, c->n_lines, c->n_rejects,
                 c->n_rejects ? c->rejects[0].reason : "",
                 c->n_rejects ? c->rejects[0].message : "");
    return c;
}

static void expect_reject(const char *s, const char *reason) {
    collect *c = parse(s, INGEST_LP_MS);
    if (c->n_lines != 0 || c->n_rejects != 1)
        fail_msg("'%s': %zu good, %zu rejected", s, c->n_lines, c->n_rejects);
    if (strcmp(c->rejects[0].reason, reason) != 0)
        fail_msg("'%s': reason %s (%s), expected %s", s, c->rejects[0].reason,
                 c->rejects[0].message, reason);
    assert_int_equal(c->rejects[0].line_no, 1);
    assert_non_null(strstr(c->rejects[0].message, "column "));
    free(c);
}

/* ---- reference examples ---- */

static void test_reference_examples(void **state) {
    (void)state;
    collect *c = parse_one(
        "myMeasurement,tag1=value1,tag2=value2 fieldKey=\"fieldValue\" 1556813561098000000",
        INGEST_LP_NS);
    got_line *g = &c->lines[0];
    assert_string_equal(g->measurement, "myMeasurement");
    assert_int_equal(g->n_tags, 2);
    assert_string_equal(g->tag_key[0], "tag1");
    assert_string_equal(g->tag_value[0], "value1");
    assert_string_equal(g->tag_key[1], "tag2");
    assert_string_equal(g->tag_value[1], "value2");
    assert_int_equal(g->n_fields, 1);
    assert_string_equal(g->fields[0].key, "fieldKey");
    assert_int_equal(g->fields[0].type, INGEST_LP_STRING);
    assert_string_equal(g->fields[0].str, "fieldValue");
    assert_int_equal(g->has_ts, 1);
    assert_int_equal(g->ts_ms, 1556813561098);
    assert_int_equal(g->line_no, 1);
    free(c);

    c = parse_one("sensor,enterprise=e07,device=d01234 v=231.57 1767225600000", INGEST_LP_MS);
    g = &c->lines[0];
    assert_string_equal(g->measurement, "sensor");
    assert_string_equal(g->tag_value[0], "e07");
    assert_string_equal(g->tag_value[1], "d01234");
    assert_int_equal(g->fields[0].type, INGEST_LP_FLOAT);
    assert_true(g->fields[0].value == 231.57);
    assert_int_equal(g->ts_ms, 1767225600000);
    free(c);

    c = parse_one("cpu,host=server\\ 01,region=uswest value=1.0,msg=\"all systems nominal\"",
                  INGEST_LP_NS);
    g = &c->lines[0];
    assert_string_equal(g->tag_value[0], "server 01");
    assert_string_equal(g->tag_value[1], "uswest");
    assert_true(g->fields[0].value == 1.0);
    assert_string_equal(g->fields[1].str, "all systems nominal");
    assert_int_equal(g->has_ts, 0);
    free(c);

    c = parse_one("home,room=Living\\ Room temp=21.1,hum=35.9,co=0i 1641024000", INGEST_LP_S);
    g = &c->lines[0];
    assert_string_equal(g->measurement, "home");
    assert_string_equal(g->tag_value[0], "Living Room");
    assert_int_equal(g->n_fields, 3);
    assert_true(g->fields[0].value == 21.1);
    assert_true(g->fields[1].value == 35.9);
    assert_int_equal(g->fields[2].type, INGEST_LP_INT);
    assert_int_equal(g->fields[2].i, 0);
    assert_int_equal(g->ts_ms, 1641024000000);
    free(c);

    /* several lines, spacing, line numbers */
    c = parse("a v=1 10\nb,t=x  w=2i,z=3u   20  \nc s=\"q\"\n", INGEST_LP_MS);
    assert_int_equal(c->n_lines, 3);
    assert_int_equal(c->stats.lines, 3);
    assert_int_equal(c->stats.fields, 4);
    assert_int_equal(c->lines[1].line_no, 2);
    assert_int_equal(c->lines[1].ts_ms, 20);
    assert_int_equal(c->lines[1].fields[1].u, 3);
    assert_int_equal(c->lines[2].has_ts, 0);
    free(c);
}

/* ---- escapes ---- */

static void test_escapes_measurement(void **state) {
    (void)state;
    collect *c = parse_one("my\\,meas\\ ure v=1", INGEST_LP_MS);
    assert_string_equal(c->lines[0].measurement, "my,meas ure");
    free(c);
    /* '=' is not special in a measurement; "\=" stays as it is */
    c = parse_one("a=b,t=1 v=1", INGEST_LP_MS);
    assert_string_equal(c->lines[0].measurement, "a=b");
    free(c);
    c = parse_one("m\\=x v=1", INGEST_LP_MS);
    assert_string_equal(c->lines[0].measurement, "m\\=x");
    free(c);
    /* "\\" is one backslash; a backslash before another byte is literal */
    c = parse_one("my\\\\measurement v=1", INGEST_LP_MS);
    assert_string_equal(c->lines[0].measurement, "my\\measurement");
    free(c);
    c = parse_one("my\\measurement v=1", INGEST_LP_MS);
    assert_string_equal(c->lines[0].measurement, "my\\measurement");
    free(c);
    c = parse_one("my\\\\\\measurement v=1", INGEST_LP_MS);
    assert_string_equal(c->lines[0].measurement, "my\\\\measurement");
    free(c);
    /* escaped backslash right before the separator ends the measurement */
    c = parse_one("m\\\\ v=1", INGEST_LP_MS);
    assert_string_equal(c->lines[0].measurement, "m\\");
    free(c);
    c = parse_one("m\\\\,t=1 v=1", INGEST_LP_MS);
    assert_string_equal(c->lines[0].measurement, "m\\");
    assert_string_equal(c->lines[0].tag_key[0], "t");
    free(c);
    /* UTF-8 passes through */
    c = parse_one("temp\xc3\xa9rature v=1", INGEST_LP_MS);
    assert_string_equal(c->lines[0].measurement, "temp\xc3\xa9rature");
    free(c);
    /* quotes are ordinary bytes in names */
    c = parse_one("\"m\" v=1", INGEST_LP_MS);
    assert_string_equal(c->lines[0].measurement, "\"m\"");
    free(c);
}

static void test_escapes_tags_and_keys(void **state) {
    (void)state;
    collect *c = parse_one("m,t\\ k\\,\\=x=v\\ a\\,b\\=c f\\ k\\,\\=y=1", INGEST_LP_MS);
    got_line *g = &c->lines[0];
    assert_string_equal(g->tag_key[0], "t k,=x");
    assert_string_equal(g->tag_value[0], "v a,b=c");
    assert_string_equal(g->fields[0].key, "f k,=y");
    free(c);
    c = parse_one("m,path=C:\\dir\\\\x f\\o=1", INGEST_LP_MS);
    g = &c->lines[0];
    assert_string_equal(g->tag_value[0], "C:\\dir\\x");
    assert_string_equal(g->fields[0].key, "f\\o");
    free(c);
    /* tag value ending in an escaped backslash */
    c = parse_one("m,t=a\\\\,u=b v=1", INGEST_LP_MS);
    g = &c->lines[0];
    assert_string_equal(g->tag_value[0], "a\\");
    assert_string_equal(g->tag_value[1], "b");
    free(c);
}

static void test_escapes_strings(void **state) {
    (void)state;
    collect *c =
        parse_one("m s=\"a\\\"b\\\\c\\d\",e=\"\",f=\"x, y=z w\",g=\"=,\\\\\"", INGEST_LP_MS);
    got_line *g = &c->lines[0];
    assert_int_equal(g->n_fields, 4);
    assert_string_equal(g->fields[0].str, "a\"b\\c\\d");
    assert_string_equal(g->fields[1].str, "");
    assert_int_equal(g->fields[1].type, INGEST_LP_STRING);
    assert_string_equal(g->fields[2].str, "x, y=z w");
    assert_string_equal(g->fields[3].str, "=,\\");
    assert_true(g->fields[0].value == 0);
    free(c);
    /* a string with a timestamp after it, and one with '#' */
    c = parse_one("m s=\"#not a comment\" 5", INGEST_LP_MS);
    assert_string_equal(c->lines[0].fields[0].str, "#not a comment");
    assert_int_equal(c->lines[0].ts_ms, 5);
    free(c);
}

/* ---- field types ---- */

static void check_float(const char *v, double want) {
    char line[512];
    snprintf(line, sizeof line, "m v=%s", v);
    collect *c = parse_one(line, INGEST_LP_MS);
    assert_int_equal(c->lines[0].fields[0].type, INGEST_LP_FLOAT);
    if (bits_of(c->lines[0].fields[0].value) != bits_of(want))
        fail_msg("%s: got %.17g, want %.17g", v, c->lines[0].fields[0].value, want);
    free(c);
}

static void test_field_floats(void **state) {
    (void)state;
    check_float("1.0", 1.0);
    check_float("1", 1.0);
    check_float("-1.5e3", -1500.0);
    check_float(".5", 0.5);
    check_float("-.5", -0.5);
    check_float("1.", 1.0);
    check_float("1E+2", 100.0);
    check_float("1e-2", 0.01);
    check_float("0", 0.0);
    check_float("-0.0", -0.0);
    check_float("0e999", 0.0);
    check_float("00012.50", 12.5);
    check_float("231.57", 231.57);
    check_float("3.14159265358979323846264338327950288", 3.14159265358979323846);
    check_float("1e308", 1e308);
    check_float("1.7976931348623157e308", DBL_MAX);
    check_float("2.2250738585072014e-308", DBL_MIN);
    check_float("4.9406564584124654e-324", 4.9406564584124654e-324);
    check_float("1e-400", 0.0); /* underflow rounds to zero, as strtod */
    check_float("1e-99999999999999999999999999", 0.0);
    check_float("0e99999999999999999999999999", 0.0);
    check_float("-0.000001e-99999999999999999999999999", -0.0);
    check_float("9007199254740993", 9007199254740992.0);
    check_float("123456789012345678901234567890", 123456789012345678901234567890.0);
    check_float("1e22", 1e22);
    check_float("1e23", 1e23);
    check_float("0.1e-22", 1e-23);
    check_float("-9.999999999999999e22", -9.999999999999999e22);
}

static void test_field_ints_and_bools(void **state) {
    (void)state;
    collect *c = parse_one("m a=12i,b=-12i,c=9223372036854775807i,d=-9223372036854775808i,e=-0i,"
                           "f=12u,g=18446744073709551615u,h=0u",
                           INGEST_LP_MS);
    got_field *f = c->lines[0].fields;
    assert_int_equal(c->lines[0].n_fields, 8);
    assert_int_equal(f[0].type, INGEST_LP_INT);
    assert_int_equal(f[0].i, 12);
    assert_true(f[0].value == 12.0);
    assert_int_equal(f[1].i, -12);
    assert_true(f[1].value == -12.0);
    assert_true(f[2].i == INT64_MAX);
    assert_true(f[3].i == INT64_MIN);
    assert_true(f[3].value == -9223372036854775808.0);
    assert_int_equal(f[4].i, 0);
    assert_int_equal(f[5].type, INGEST_LP_UINT);
    assert_int_equal(f[5].u, 12);
    assert_int_equal(f[5].i, 0);
    assert_true(f[5].value == 12.0);
    assert_true(f[6].u == UINT64_MAX);
    assert_true(f[6].value == 18446744073709551615.0);
    assert_int_equal(f[7].u, 0);
    free(c);

    static const char *const yes[] = {"t", "T", "true", "True", "TRUE"};
    static const char *const no[] = {"f", "F", "false", "False", "FALSE"};
    for (size_t k = 0; k < 5; k++) {
        char line[64];
        snprintf(line, sizeof line, "m a=%s,b=%s", yes[k], no[k]);
        c = parse_one(line, INGEST_LP_MS);
        assert_int_equal(c->lines[0].fields[0].type, INGEST_LP_BOOL);
        assert_true(c->lines[0].fields[0].value == 1.0);
        assert_int_equal(c->lines[0].fields[1].type, INGEST_LP_BOOL);
        assert_true(c->lines[0].fields[1].value == 0.0);
        free(c);
    }
    expect_reject("m a=tRUE", "bad_field_value");
    expect_reject("m a=yes", "bad_field_value");
    expect_reject("m a=truee", "bad_field_value");
}

/* The float parser's fast path and its strtod fallback agree with strtod
 * bit for bit on seeded random decimal strings of every shape, parsed as one
 * buffer; overflowing ones are rejected as out_of_range. */
typedef struct float_ctx {
    char (*vals)[40];
    size_t good, rejected, bad;
} float_ctx;

static int float_line(const ingest_lp_line *l, void *ctx) {
    float_ctx *fc = ctx;
    const char *v = fc->vals[l->line_no - 1];
    double want = strtod(v, NULL);
    fc->good++;
    if (l->fields[0].type != INGEST_LP_FLOAT || bits_of(l->fields[0].value) != bits_of(want)) {
        fc->bad++;
        print_error("%s: got %.17g want %.17g\n", v, l->fields[0].value, want);
    }
    return 0;
}

static void float_reject(size_t line_no, const char *reason, const char *message, void *ctx) {
    float_ctx *fc = ctx;
    const char *v = fc->vals[line_no - 1];
    fc->rejected++;
    if (strcmp(reason, "out_of_range") != 0 || isfinite(strtod(v, NULL))) {
        fc->bad++;
        print_error("%s: rejected %s (%s)\n", v, reason, message);
    }
}

static void test_float_matches_strtod(void **state) {
    (void)state;
    rng_seed(42);
    enum { N = 300000 };
    char *buf = malloc((size_t)N * 48);
    assert_non_null(buf);
    char(*vals)[40] = malloc(sizeof *vals * N);
    assert_non_null(vals);
    size_t len = 0, n_inf = 0;
    for (size_t k = 0; k < N; k++) {
        char *v = vals[k];
        size_t w = 0;
        if (rng() & 1) v[w++] = '-';
        size_t nd = 1 + rng_below(k % 4 == 0 ? 25 : 17);
        size_t point = rng_below(nd + 1);
        for (size_t d = 0; d < nd; d++) {
            if (d == point && (rng() & 3)) v[w++] = '.';
            v[w++] = (char)('0' + rng_below(10));
        }
        if (rng() & 1) {
            long e = (long)rng_below(k % 8 == 0 ? 700 : 60) - (k % 8 == 0 ? 350 : 30);
            w += (size_t)snprintf(v + w, 12, "%s%ld", rng() & 1 ? "e" : "E", e);
        }
        v[w] = 0;
        n_inf += !isfinite(strtod(v, NULL));
        len += (size_t)snprintf(buf + len, 48, "m v=%s\n", v);
    }
    char *copy = malloc(len);
    assert_non_null(copy);
    memcpy(copy, buf, len);
    float_ctx fc = {vals, 0, 0, 0};
    ingest_lp_stats st;
    assert_int_equal(ingest_lp_parse(copy, len, INGEST_LP_MS, float_line, float_reject, &fc, &st),
                     0);
    assert_int_equal(fc.bad, 0);
    assert_int_equal(fc.good + fc.rejected, N);
    assert_int_equal(fc.rejected, n_inf);
    assert_true(n_inf > 0);
    free(copy);
    free(vals);
    free(buf);
}

/* ---- precisions and timestamps ---- */

static int64_t ts_of(const char *ts, ingest_lp_precision prec) {
    char line[128];
    snprintf(line, sizeof line, "m v=1 %s", ts);
    collect *c = parse_one(line, prec);
    assert_int_equal(c->lines[0].has_ts, 1);
    int64_t v = c->lines[0].ts_ms;
    free(c);
    return v;
}

static void expect_bad_ts(const char *ts, ingest_lp_precision prec) {
    char line[128];
    snprintf(line, sizeof line, "a v=1\nm v=1 %s\nb v=2", ts);
    collect *c = parse(line, prec);
    assert_int_equal(c->n_lines, 2);
    assert_int_equal(c->n_rejects, 1);
    assert_int_equal(c->rejects[0].line_no, 2);
    if (strcmp(c->rejects[0].reason, "bad_timestamp") != 0)
        fail_msg("%s: reason %s", ts, c->rejects[0].reason);
    free(c);
}

static void test_precisions(void **state) {
    (void)state;
    assert_int_equal(ts_of("1767225600123456789", INGEST_LP_NS), 1767225600123);
    assert_int_equal(ts_of("1767225600123456", INGEST_LP_US), 1767225600123);
    assert_int_equal(ts_of("1767225600123", INGEST_LP_MS), 1767225600123);
    assert_int_equal(ts_of("1767225600", INGEST_LP_S), 1767225600000);
    /* ns and us round down (floor) */
    assert_int_equal(ts_of("999999", INGEST_LP_NS), 0);
    assert_int_equal(ts_of("1999999", INGEST_LP_NS), 1);
    assert_int_equal(ts_of("2000000", INGEST_LP_NS), 2);
    assert_int_equal(ts_of("1999", INGEST_LP_US), 1);
    assert_int_equal(ts_of("0", INGEST_LP_S), 0);
    assert_int_equal(ts_of("0", INGEST_LP_NS), 0);
    assert_int_equal(ts_of("000000000000000000000000042", INGEST_LP_MS), 42);
    /* minutes and hours (InfluxDB's m and h) */
    assert_int_equal(ts_of("29452093", INGEST_LP_M), 1767125580000);
    assert_int_equal(ts_of("490868", INGEST_LP_H), 1767124800000);
    /* the largest that fits, and one past it: refused, never wrapped */
    assert_int_equal(ts_of("150119987579", INGEST_LP_M), 150119987579LL * 60000);
    expect_bad_ts("150119987580", INGEST_LP_M);
    assert_int_equal(ts_of("2501999792", INGEST_LP_H), 2501999792LL * 3600000);
    expect_bad_ts("2501999793", INGEST_LP_H);
    expect_bad_ts("9223372036854775807", INGEST_LP_H);
}

static void test_precision_names(void **state) {
    (void)state;
    static const struct {
        const char *name;
        ingest_lp_precision p;
    } ok[] = {{"ns", INGEST_LP_NS}, {"n", INGEST_LP_NS}, {"u", INGEST_LP_US}, {"us", INGEST_LP_US},
              {"ms", INGEST_LP_MS}, {"s", INGEST_LP_S},  {"m", INGEST_LP_M},  {"h", INGEST_LP_H}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        ingest_lp_precision p = (ingest_lp_precision)-1;
        assert_int_equal(ingest_lp_precision_parse(ok[i].name, &p), 0);
        assert_int_equal(p, ok[i].p);
    }
    assert_string_equal(ingest_lp_precision_name(INGEST_LP_US), "u");
    assert_string_equal(ingest_lp_precision_name(INGEST_LP_H), "h");
    ingest_lp_precision p;
    const char *bad[] = {"", "NS", "d", "mss", "sec", " s"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(ingest_lp_precision_parse(bad[i], &p), -1);
    assert_int_equal(ingest_lp_precision_parse(NULL, &p), -1);
    /* an unknown precision value is refused by the parser itself */
    assert_int_equal(ingest_lp_parse("m v=1", 5, (ingest_lp_precision)6, NULL, NULL, NULL, NULL),
                     INGEST_LP_EINVAL);
}

static void test_timestamp_bounds(void **state) {
    (void)state;
    /* the largest accepted value in each precision */
    assert_int_equal(ts_of("9007199254740992", INGEST_LP_MS), INGEST_LP_MAX_TS_MS);
    assert_int_equal(ts_of("9007199254740", INGEST_LP_S), 9007199254740000);
    assert_int_equal(ts_of("9007199254740992999", INGEST_LP_US), INGEST_LP_MAX_TS_MS);
    assert_int_equal(ts_of("9223372036854775807", INGEST_LP_NS), 9223372036854);
    /* one past */
    expect_bad_ts("9007199254740993", INGEST_LP_MS);
    expect_bad_ts("9007199254741", INGEST_LP_S);
    expect_bad_ts("9007199254740993000", INGEST_LP_US);
    /* nanoseconds sent as milliseconds */
    expect_bad_ts("1767225600000000000", INGEST_LP_MS);
    /* int64 overflow and multiplication overflow */
    expect_bad_ts("9223372036854775808", INGEST_LP_NS);
    expect_bad_ts("18446744073709551616", INGEST_LP_NS);
    expect_bad_ts("99999999999999999999999999", INGEST_LP_NS);
    expect_bad_ts("9223372036854775807", INGEST_LP_S);
    expect_bad_ts("9223372036854775807", INGEST_LP_MS);
    /* not integers */
    expect_bad_ts("-1", INGEST_LP_MS);
    expect_bad_ts("-0", INGEST_LP_MS);
    expect_bad_ts("+1", INGEST_LP_MS);
    expect_bad_ts("12a", INGEST_LP_MS);
    expect_bad_ts("1.5", INGEST_LP_MS);
    expect_bad_ts("1e3", INGEST_LP_MS);
    expect_bad_ts("0x10", INGEST_LP_MS);
    expect_bad_ts("1,2", INGEST_LP_MS);
}

static void test_missing_timestamp(void **state) {
    (void)state;
    static const char *const lines[] = {"m v=1", "m v=1 ", "m v=1    ", "m,t=x v=\"s\"", "m v=1\r"};
    for (size_t k = 0; k < sizeof lines / sizeof lines[0]; k++) {
        collect *c = parse_one(lines[k], INGEST_LP_NS);
        assert_int_equal(c->lines[0].has_ts, 0);
        assert_int_equal(c->lines[0].ts_ms, 0);
        free(c);
    }
}

/* ---- line structure ---- */

static void test_crlf(void **state) {
    (void)state;
    collect *c = parse("a v=1\r\nb s=\"x\"\r\nc v=2 3\r\n\r\n#c\r\nd,t=u v=4i\r\n", INGEST_LP_MS);
    assert_int_equal(c->n_lines, 4);
    assert_int_equal(c->n_rejects, 0);
    assert_int_equal(c->stats.skipped_lines, 2);
    assert_string_equal(c->lines[1].fields[0].str, "x");
    assert_int_equal(c->lines[2].ts_ms, 3);
    assert_string_equal(c->lines[3].tag_value[0], "u");
    assert_int_equal(c->lines[3].fields[0].i, 4);
    assert_int_equal(c->lines[3].line_no, 6);
    free(c);
    /* only one '\r' is dropped; a lone '\r' elsewhere is an ordinary byte */
    c = parse("a v=1\r\r\nb,t=x\ry v=1\n", INGEST_LP_MS);
    assert_int_equal(c->n_lines, 1);
    assert_int_equal(c->n_rejects, 1);
    assert_int_equal(c->rejects[0].line_no, 1);
    assert_string_equal(c->lines[0].tag_value[0], "x\ry");
    free(c);
}

static void test_comments_and_blank_lines(void **state) {
    (void)state;
    collect *c = parse("# header\n\n   \n\t# indented\n  m v=1\n#m v=2\n\t\n", INGEST_LP_MS);
    assert_int_equal(c->n_lines, 1);
    assert_int_equal(c->n_rejects, 0);
    assert_int_equal(c->lines[0].line_no, 5);
    assert_string_equal(c->lines[0].measurement, "m");
    assert_int_equal(c->stats.lines, 7);
    assert_int_equal(c->stats.skipped_lines, 6);
    free(c);

    /* empty buffer, one newline, no final newline */
    c = parse("", INGEST_LP_MS);
    assert_int_equal(c->stats.lines, 0);
    free(c);
    c = parse("\n", INGEST_LP_MS);
    assert_int_equal(c->stats.lines, 1);
    assert_int_equal(c->stats.skipped_lines, 1);
    free(c);
    c = parse("a v=1\nb v=2", INGEST_LP_MS);
    assert_int_equal(c->n_lines, 2);
    assert_int_equal(c->lines[1].line_no, 2);
    free(c);
}

/* ---- rejections ---- */

typedef struct bad_case {
    const char *line;
    const char *reason;
} bad_case;

static const bad_case bad_cases[] = {
    {",t=1 v=1", "missing_measurement"},
    {",v=1", "missing_measurement"},
    {"m,t v=1", "bad_tag"},
    {"m,t", "bad_tag"},
    {"m,=x v=1", "bad_tag"},
    {"m,t= v=1", "bad_tag"},
    {"m,t=,u=1 v=1", "bad_tag"},
    {"m,t=a=b v=1", "bad_tag"},
    {"m, v=1", "bad_tag"},
    {"m,t=1, v=1", "bad_tag"},
    {"m,t=1,t=2 v=1", "duplicate_tag"},
    {"m,a=1,b=2,a=3 v=1", "duplicate_tag"},
    {"m", "missing_fields"},
    {"m ", "missing_fields"},
    {"m,t=1", "missing_fields"},
    {"m,t=1    ", "missing_fields"},
    {"m v", "bad_field"},
    {"m v 1", "bad_field"},
    {"m =1", "bad_field"},
    {"m v=1,", "bad_field"},
    {"m v=1, w=2", "bad_field"},
    {"m v=1,,w=2", "bad_field"},
    {"m v=1,v=2", "duplicate_field"},
    {"m a=1,b=\"x\",a=\"y\"", "duplicate_field"},
    {"m v=", "bad_field_value"},
    {"m v= 1", "bad_field_value"},
    {"m v=,w=1", "bad_field_value"},
    {"m v=abc", "bad_field_value"},
    {"m v=1.2.3", "bad_field_value"},
    {"m v=1i2", "bad_field_value"},
    {"m v=0x10", "bad_field_value"},
    {"m v=+1", "bad_field_value"},
    {"m v=1.5i", "bad_field_value"},
    {"m v=-1u", "bad_field_value"},
    {"m v=i", "bad_field_value"},
    {"m v=-i", "bad_field_value"},
    {"m v=u", "bad_field_value"},
    {"m v=1e", "bad_field_value"},
    {"m v=1e+", "bad_field_value"},
    {"m v=.", "bad_field_value"},
    {"m v=-", "bad_field_value"},
    {"m v=.e1", "bad_field_value"},
    {"m v=1_000", "bad_field_value"},
    {"m v=\"abc\"x", "bad_field_value"},
    {"m v=\"a\"\"b\"", "bad_field_value"},
    {"m v=1\t2", "bad_field_value"},
    {"m v=1=2", "bad_field_value"},
    {"m v=\"abc", "unterminated_string"},
    {"m v=\"abc\\\"", "unterminated_string"},
    {"m v=\"", "unterminated_string"},
    {"m v=nan", "nan_or_inf"},
    {"m v=NaN", "nan_or_inf"},
    {"m v=-nan", "nan_or_inf"},
    {"m v=inf", "nan_or_inf"},
    {"m v=-Inf", "nan_or_inf"},
    {"m v=+infinity", "nan_or_inf"},
    {"m v=Infinity", "nan_or_inf"},
    {"m v=9223372036854775808i", "out_of_range"},
    {"m v=-9223372036854775809i", "out_of_range"},
    {"m v=99999999999999999999999i", "out_of_range"},
    {"m v=18446744073709551616u", "out_of_range"},
    {"m v=1e400", "out_of_range"},
    {"m v=-1e309", "out_of_range"},
    {"m v=1.8e308", "out_of_range"},
    {"m v=1e99999999999999999999999999", "out_of_range"},
    {"m v=-0.5E+99999999999999999999999999", "out_of_range"},
    {"m v=1 -5", "bad_timestamp"},
    {"m v=1 12a", "bad_timestamp"},
    {"m v=1 123 456", "trailing_data"},
    {"m v=1 123 x", "trailing_data"},
    {"m\\", "bad_escape"},
    {"m,t=a\\", "bad_escape"},
    {"m,t\\", "bad_escape"},
    {"m v=1,f\\", "bad_escape"},
};

/* Every bad line alone, then between good lines (LF and CRLF), then all of
 * them interleaved with good lines in one buffer. */
static void test_rejections_keep_neighbours(void **state) {
    (void)state;
    size_t nb = sizeof bad_cases / sizeof bad_cases[0];
    for (size_t k = 0; k < nb; k++) {
        expect_reject(bad_cases[k].line, bad_cases[k].reason);
        for (int crlf = 0; crlf < 2; crlf++) {
            const char *eol = crlf ? "\r\n" : "\n";
            char buf[256];
            snprintf(buf, sizeof buf, "good1,t=a v=1 1%s%s%sgood2 v=2i 2%s", eol, bad_cases[k].line,
                     eol, eol);
            collect *c = parse(buf, INGEST_LP_MS);
            if (c->n_lines != 2 || c->n_rejects != 1)
                fail_msg("'%s': %zu good, %zu rejected", bad_cases[k].line, c->n_lines,
                         c->n_rejects);
            assert_string_equal(c->rejects[0].reason, bad_cases[k].reason);
            assert_int_equal(c->rejects[0].line_no, 2);
            assert_string_equal(c->lines[0].measurement, "good1");
            assert_int_equal(c->lines[0].line_no, 1);
            assert_int_equal(c->lines[0].ts_ms, 1);
            assert_string_equal(c->lines[1].measurement, "good2");
            assert_int_equal(c->lines[1].line_no, 3);
            assert_int_equal(c->lines[1].fields[0].i, 2);
            assert_int_equal(c->stats.rejected_lines, 1);
            assert_int_equal(c->stats.good_lines, 2);
            free(c);
        }
    }
    char *buf = malloc(nb * 300);
    assert_non_null(buf);
    size_t len = 0;
    for (size_t k = 0; k < nb; k++)
        len += (size_t)sprintf(buf + len, "g%zu v=%zu\n%s\n", k, k, bad_cases[k].line);
    len += (size_t)sprintf(buf + len, "last v=1");
    collect *c = parse_n(buf, len, INGEST_LP_MS);
    assert_int_equal(c->stats.good_lines, nb + 1);
    assert_int_equal(c->stats.rejected_lines, nb);
    for (size_t k = 0; k < nb && k < MAX_GOT; k++) {
        assert_int_equal(c->rejects[k].line_no, 2 * k + 2);
        assert_string_equal(c->rejects[k].reason, bad_cases[k].reason);
        assert_int_equal(c->lines[k].line_no, 2 * k + 1);
        assert_true(c->lines[k].fields[0].value == (double)k);
    }
    free(c);
    free(buf);
}

static void test_nul_bytes(void **state) {
    (void)state;
    static const char in[] = "a v=1\nb v\0=2\nc v=3\n# comment \0 with NUL\nd s=\"x\0y\"\ne v=5\0";
    collect *c = parse_n(in, sizeof in - 1, INGEST_LP_MS);
    assert_int_equal(c->n_lines, 2);
    assert_string_equal(c->lines[0].measurement, "a");
    assert_string_equal(c->lines[1].measurement, "c");
    assert_int_equal(c->lines[1].line_no, 3);
    assert_int_equal(c->n_rejects, 4);
    for (size_t k = 0; k < 4; k++) assert_string_equal(c->rejects[k].reason, "nul_byte");
    assert_int_equal(c->rejects[0].line_no, 2);
    assert_non_null(strstr(c->rejects[0].message, "column 4"));
    assert_int_equal(c->rejects[1].line_no, 4);
    assert_int_equal(c->rejects[2].line_no, 5);
    assert_int_equal(c->rejects[3].line_no, 6);
    free(c);
    /* a lone NUL line */
    c = parse_n("\0", 1, INGEST_LP_MS);
    assert_int_equal(c->n_rejects, 1);
    assert_string_equal(c->rejects[0].reason, "nul_byte");
    free(c);
}

/* A line of exactly n content bytes: m s="xxx...". */
static size_t make_line(char *p, size_t n) {
    memcpy(p, "m s=\"", 5);
    memset(p + 5, 'x', n - 6);
    p[n - 1] = '"';
    return n;
}

static void test_line_length(void **state) {
    (void)state;
    size_t max = INGEST_LP_MAX_LINE;
    char *buf = malloc(4 * max + 100);
    assert_non_null(buf);
    size_t len = 0;
    len += (size_t)sprintf(buf + len, "a v=1\n");
    len += make_line(buf + len, max); /* exactly the limit: accepted */
    len += (size_t)sprintf(buf + len, "\n");
    len += make_line(buf + len, max); /* the limit plus CRLF: accepted */
    len += (size_t)sprintf(buf + len, "\r\n");
    len += make_line(buf + len, max + 1); /* one over: rejected */
    len += (size_t)sprintf(buf + len, "\nb v=2\n");
    len += make_line(buf + len, max + 1); /* one over, last line, no newline */
    collect *c = parse_n(buf, len, INGEST_LP_MS);
    assert_int_equal(c->n_lines, 4);
    assert_int_equal(c->n_rejects, 2);
    assert_string_equal(c->lines[0].measurement, "a");
    assert_int_equal(c->lines[1].line_no, 2);
    assert_int_equal(c->lines[2].line_no, 3);
    assert_string_equal(c->lines[3].measurement, "b");
    assert_int_equal(c->lines[3].line_no, 5);
    assert_int_equal(c->rejects[0].line_no, 4);
    assert_string_equal(c->rejects[0].reason, "line_too_long");
    assert_int_equal(c->rejects[1].line_no, 6);
    assert_string_equal(c->rejects[1].reason, "line_too_long");
    free(c);

    /* a long line of escapes and huge float literals uses the heap scratch: a
     * 40,000-digit value on the fast path (leading zeros) and a 20,000-digit
     * one on the strtod path */
    len = 0;
    len += (size_t)sprintf(buf + len, "m\\ ");
    for (size_t k = 0; k < 2000; k++) len += (size_t)sprintf(buf + len, "\\,");
    len += (size_t)sprintf(buf + len, " v=0.");
    for (size_t k = 0; k < 40000; k++) buf[len++] = '0';
    len += (size_t)sprintf(buf + len, "15e40000,w=1");
    for (size_t k = 0; k < 20000; k++) buf[len++] = '0';
    len += (size_t)sprintf(buf + len, "e-20000 7");
    assert_true(len <= max);
    c = parse_n(buf, len, INGEST_LP_MS);
    assert_int_equal(c->n_lines, 1);
    assert_int_equal(strlen(c->lines[0].measurement), 127); /* the test's copy is truncated */
    assert_memory_equal(c->lines[0].measurement, "m ,,,,", 6);
    assert_true(c->lines[0].fields[0].value == 0.15);
    assert_true(c->lines[0].fields[1].value == 1.0);
    assert_int_equal(c->lines[0].ts_ms, 7);
    free(c);
    free(buf);
}

static void test_limits(void **state) {
    (void)state;
    char *buf = malloc(64 * 1024);
    assert_non_null(buf);
    for (int over = 0; over < 2; over++) {
        size_t n = INGEST_LP_MAX_FIELDS + (size_t)over;
        size_t len = (size_t)sprintf(buf, "a v=1\nm ");
        for (size_t k = 0; k < n; k++)
            len += (size_t)sprintf(buf + len, "%sf%zu=%zui", k ? "," : "", k, k);
        len += (size_t)sprintf(buf + len, " 9\nb v=2\n");
        collect *c = parse_n(buf, len, INGEST_LP_MS);
        assert_int_equal(c->n_lines, over ? 2 : 3);
        assert_int_equal(c->n_rejects, over ? 1 : 0);
        if (over) {
            assert_string_equal(c->rejects[0].reason, "too_many_fields");
            assert_int_equal(c->rejects[0].line_no, 2);
        } else {
            assert_int_equal(c->lines[1].n_fields, INGEST_LP_MAX_FIELDS);
            assert_int_equal(c->lines[1].fields[7].i, 7);
            assert_int_equal(c->lines[1].ts_ms, 9);
            assert_int_equal(c->stats.fields, INGEST_LP_MAX_FIELDS + 2);
        }
        free(c);

        n = INGEST_LP_MAX_TAGS + (size_t)over;
        len = (size_t)sprintf(buf, "a v=1\nm");
        for (size_t k = 0; k < n; k++) len += (size_t)sprintf(buf + len, ",t%zu=%zu", k, k);
        len += (size_t)sprintf(buf + len, " v=1\nb v=2\n");
        c = parse_n(buf, len, INGEST_LP_MS);
        assert_int_equal(c->n_lines, over ? 2 : 3);
        if (over) {
            assert_string_equal(c->rejects[0].reason, "too_many_tags");
        } else {
            assert_int_equal(c->lines[1].n_tags, INGEST_LP_MAX_TAGS);
            assert_string_equal(c->lines[1].tag_key[5], "t5");
            assert_string_equal(c->lines[1].tag_value[5], "5");
        }
        free(c);
    }
    /* a duplicate far apart among many keys */
    size_t len = (size_t)sprintf(buf, "m ");
    for (size_t k = 0; k < 500; k++) len += (size_t)sprintf(buf + len, "f%zu=1,", k);
    len += (size_t)sprintf(buf + len, "f3=2");
    collect *c = parse_n(buf, len, INGEST_LP_MS);
    assert_int_equal(c->n_rejects, 1);
    assert_string_equal(c->rejects[0].reason, "duplicate_field");
    free(c);
    len = (size_t)sprintf(buf, "m");
    for (size_t k = 0; k < 700; k++) len += (size_t)sprintf(buf + len, ",t%zu=1", k);
    len += (size_t)sprintf(buf + len, ",t699=2 v=1\nm");
    for (size_t k = 0; k < 700; k++) len += (size_t)sprintf(buf + len, ",t%zu=1", k);
    len += (size_t)sprintf(buf + len, " v=1");
    c = parse_n(buf, len, INGEST_LP_MS);
    assert_int_equal(c->n_rejects, 1);
    assert_string_equal(c->rejects[0].reason, "duplicate_tag");
    assert_int_equal(c->n_lines, 1); /* the same keys again on the next line are fine */
    assert_int_equal(c->lines[0].n_tags, 700);
    free(c);
    len = 0;
    for (size_t r = 0; r < 3; r++) {
        len += (size_t)sprintf(buf + len, "m ");
        for (size_t k = 0; k < 100 + r; k++) len += (size_t)sprintf(buf + len, "f%zu=%zu,", k, r);
        len += (size_t)sprintf(buf + len, "z=1\n");
    }
    c = parse_n(buf, len, INGEST_LP_MS);
    assert_int_equal(c->n_rejects, 0);
    assert_int_equal(c->n_lines, 3);
    assert_int_equal(c->lines[2].n_fields, 103);
    free(c);
    free(buf);
}

/* ---- API contract ---- */

static void test_stop_and_args(void **state) {
    (void)state;
    collect *c = calloc(1, sizeof *c);
    assert_non_null(c);
    c->stop_at = 2;
    const char *in = "a v=1\nb v=2\nc v=3\n";
    ingest_lp_stats st;
    int rc = ingest_lp_parse(in, strlen(in), INGEST_LP_MS, on_line, on_reject, c, &st);
    assert_int_equal(rc, 7);
    assert_int_equal(c->n_lines, 2);
    assert_int_equal(st.lines, 2);
    assert_int_equal(st.good_lines, 2);
    free(c);

    /* NULL callbacks and stats */
    assert_int_equal(ingest_lp_parse(in, strlen(in), INGEST_LP_NS, NULL, NULL, NULL, NULL), 0);
    assert_int_equal(ingest_lp_parse("x\ny", 3, INGEST_LP_NS, NULL, NULL, NULL, &st), 0);
    assert_int_equal(st.rejected_lines, 2);

    /* invalid arguments */
    st.lines = 99;
    assert_int_equal(ingest_lp_parse(NULL, 5, INGEST_LP_MS, NULL, NULL, NULL, &st),
                     INGEST_LP_EINVAL);
    assert_int_equal(st.lines, 0);
    assert_int_equal(
        ingest_lp_parse(in, strlen(in), (ingest_lp_precision)42, NULL, NULL, NULL, &st),
        INGEST_LP_EINVAL);
    assert_int_equal(ingest_lp_parse(NULL, 0, INGEST_LP_MS, NULL, NULL, NULL, &st), 0);
    assert_int_equal(st.lines, 0);
}

/* ---- series names ---- */

typedef struct name_ctx {
    size_t field;
    const char *dflt;
    size_t cap;
    int rc;
    char name[512];
} name_ctx;

static int name_cb(const ingest_lp_line *l, void *ctx) {
    name_ctx *n = ctx;
    n->rc = ingest_lp_series_name(l, n->field, n->dflt, n->name, n->cap);
    return 0;
}

static int series(const char *line, size_t field, const char *dflt, size_t cap, char *out) {
    name_ctx n = {field, dflt, cap, 99, {0}};
    assert_true(cap <= sizeof n.name);
    memset(n.name, '@', sizeof n.name);
    ingest_lp_stats st;
    assert_int_equal(ingest_lp_parse(line, strlen(line), INGEST_LP_MS, name_cb, NULL, &n, &st), 0);
    assert_int_equal(st.good_lines, 1);
    if (cap > 0) {
        assert_non_null(memchr(n.name, 0, cap));
        if (n.rc != 0) assert_string_equal(n.name, "");
        strcpy(out, n.name);
    }
    assert_true(cap >= sizeof n.name || n.name[cap] == '@'); /* nothing written past cap */
    return n.rc;
}

static void expect_name(const char *line, size_t field, const char *dflt, const char *want) {
    char out[512];
    int rc = series(line, field, dflt, 256, out);
    if (rc != 0) fail_msg("'%s' field %zu: rc %d", line, field, rc);
    assert_string_equal(out, want);
}

static void expect_no_name(const char *line, size_t field, const char *dflt) {
    char out[512];
    assert_int_equal(series(line, field, dflt, 256, out), -1);
}

static void test_series_names(void **state) {
    (void)state;
    expect_name("sensor,enterprise=e07,device=d01234 v=231.57 1767225600000", 0, NULL,
                "e07/d01234/sensor.v");
    expect_name("tank,enterprise=E012,device=tankfarm-3,unit=m level=12.5", 0, NULL,
                "E012/tankfarm-3/tank,unit=m.level");
    /* other tags by key, whatever their order in the line; second field */
    expect_name("tank,unit=m,enterprise=E,zone=z9,device=d,alpha=a level=1,temp=2", 1, NULL,
                "E/d/tank,alpha=a,unit=m,zone=z9.temp");
    /* default enterprise; the tag wins over it */
    expect_name("tank,device=d level=1", 0, "E099", "E099/d/tank.level");
    expect_name("tank,device=d,enterprise=E1 level=1", 0, "E099", "E1/d/tank.level");
    /* device from the measurement: tag = field key plus the other tags */
    expect_name("pump,enterprise=E012 rpm=1450i", 0, NULL, "E012/pump/rpm");
    expect_name("pump,site=north,enterprise=E012,area=b rpm=1450i,on=t", 1, NULL,
                "E012/pump/on,area=b,site=north");
    expect_name("pump rpm=1", 0, "E5", "E5/pump/rpm");
    /* unescaped names are used */
    expect_name("my\\ tank,enterprise=E,device=d\\,1 lev\\=el=1", 0, NULL, "E/d,1/my tank.lev=el");
    /* missing enterprise */
    expect_no_name("tank,device=d level=1", 0, NULL);
    expect_no_name("tank,device=d level=1", 0, "");
    /* '/' in any component */
    expect_no_name("tank,enterprise=E/1,device=d level=1", 0, NULL);
    expect_no_name("tank,device=d level=1", 0, "E/1");
    expect_no_name("tank,enterprise=E,device=d/1 level=1", 0, NULL);
    expect_no_name("ta/nk,enterprise=E,device=d level=1", 0, NULL);
    expect_no_name("ta/nk,enterprise=E level=1", 0, NULL);
    expect_no_name("tank,enterprise=E,device=d lev/el=1", 0, NULL);
    expect_no_name("tank,enterprise=E,device=d,u/nit=m level=1", 0, NULL);
    expect_no_name("tank,enterprise=E,device=d,unit=m/s level=1", 0, NULL);
    /* field index out of range */
    expect_no_name("tank,enterprise=E,device=d level=1", 1, NULL);

    /* fit: "E/d/tank.level" is 14 bytes, needs cap 15 */
    char out[512];
    const char *l = "tank,enterprise=E,device=d level=1";
    assert_int_equal(series(l, 0, NULL, 15, out), 0);
    assert_string_equal(out, "E/d/tank.level");
    for (size_t cap = 1; cap < 15; cap++) assert_int_equal(series(l, 0, NULL, cap, out), -1);
    assert_int_equal(series(l, 0, NULL, 0, out), -1);

    /* 40 tags given in reverse order come out sorted */
    char line40[1024], want40[1024];
    size_t l40 = (size_t)sprintf(line40, "m,enterprise=E,device=d");
    size_t w40 = (size_t)sprintf(want40, "E/d/m");
    for (size_t k = 0; k < 40; k++) {
        l40 += (size_t)sprintf(line40 + l40, ",t%02zu=v", 39 - k);
        w40 += (size_t)sprintf(want40 + w40, ",t%02zu=v", k);
    }
    sprintf(line40 + l40, " f=1");
    sprintf(want40 + w40, ".f");
    assert_int_equal(series(line40, 0, NULL, 512, out), 0);
    assert_string_equal(out, want40);
    assert_int_equal(series(line40, 0, NULL, strlen(want40) + 1, out), 0);
    assert_int_equal(series(line40, 0, NULL, strlen(want40), out), -1);

    /* many tags: the name fills up and stops without running away */
    char *big = malloc(64 * 1024);
    assert_non_null(big);
    size_t len = (size_t)sprintf(big, "m,enterprise=E");
    for (size_t k = 0; k < INGEST_LP_MAX_TAGS - 1; k++)
        len += (size_t)sprintf(big + len, ",t%04zu=v", k);
    sprintf(big + len, " f=1");
    assert_int_equal(series(big, 0, NULL, 256, out), -1);
    assert_int_equal(series(big, 0, NULL, 512, out), -1);
    free(big);

    /* direct calls with bad arguments */
    assert_int_equal(ingest_lp_series_name(NULL, 0, "E", out, sizeof out), -1);
    assert_string_equal(out, "");
    ingest_lp_field f = {.key = "v", .type = INGEST_LP_FLOAT, .value = 1};
    ingest_lp_line line = {.measurement = "m", .fields = &f, .n_fields = 1};
    assert_int_equal(ingest_lp_series_name(&line, 0, "E", NULL, 10), -1);
    assert_int_equal(ingest_lp_series_name(&line, 0, "E", out, sizeof out), 0);
    assert_string_equal(out, "E/m/v");
}

/* ---- robustness ---- */

static int count_only(const ingest_lp_line *l, void *ctx) {
    (void)l;
    (*(size_t *)ctx)++;
    char name[256];
    for (size_t j = 0; j < l->n_fields; j++)
        (void)ingest_lp_series_name(l, j, "E", name, sizeof name);
    return 0;
}

/* Expected number of lines of a buffer: one per '\n', plus a final unterminated one. */
static size_t lines_in(const char *p, size_t n) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++) k += p[i] == '\n';
    return k + (n > 0 && p[n - 1] != '\n');
}

static void test_random_and_mutated(void **state) {
    (void)state;
    static const char *const seeds[] = {
        "sensor,enterprise=e07,device=d01234 v=231.57 1767225600000",
        "m\\ x,t\\=a=b\\,c f=\"q\\\"\\\\\",g=12i,h=12u,i=T,j=-1.5e3 1",
        "cpu,host=a value=1.0,msg=\"all systems nominal\" 1556813561098000000\r\n# c",
    };
    static const char alphabet[] = "m,= \\\"\n\r#0123456789.eE+-iutfTFnaNI\t\0x";
    rng_seed(7);
    char buf[512];
    for (size_t iter = 0; iter < 300000; iter++) {
        size_t n;
        if (iter % 2 == 0) { /* random bytes from the special alphabet or anything */
            n = rng_below(sizeof buf);
            for (size_t i = 0; i < n; i++)
                buf[i] = iter % 4 == 0 ? (char)rng() : alphabet[rng_below(sizeof alphabet)];
        } else { /* mutated valid lines */
            const char *s = seeds[rng_below(3)];
            n = strlen(s);
            memcpy(buf, s, n);
            size_t muts = 1 + rng_below(4);
            for (size_t m = 0; m < muts && n > 0; m++) {
                size_t at = rng_below(n);
                switch (rng_below(3)) {
                    case 0:
                        buf[at] = alphabet[rng_below(sizeof alphabet)];
                        break;
                    case 1:
                        memmove(buf + at, buf + at + 1, n - at - 1), n--;
                        break;
                    default:
                        if (n < sizeof buf) {
                            memmove(buf + at + 1, buf + at, n - at);
                            buf[at] = alphabet[rng_below(sizeof alphabet)];
                            n++;
                        }
                }
            }
        }
        char *copy = malloc(n ? n : 1);
        assert_non_null(copy);
        memcpy(copy, buf, n);
        size_t good = 0;
        ingest_lp_stats st;
        ingest_lp_precision prec = (ingest_lp_precision)rng_below(4);
        assert_int_equal(ingest_lp_parse(copy, n, prec, count_only, NULL, &good, &st), 0);
        assert_int_equal(st.good_lines, good);
        assert_int_equal(st.lines, lines_in(buf, n));
        assert_int_equal(st.lines, st.good_lines + st.rejected_lines + st.skipped_lines);
        free(copy);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_examples),
        cmocka_unit_test(test_escapes_measurement),
        cmocka_unit_test(test_escapes_tags_and_keys),
        cmocka_unit_test(test_escapes_strings),
        cmocka_unit_test(test_field_floats),
        cmocka_unit_test(test_field_ints_and_bools),
        cmocka_unit_test(test_float_matches_strtod),
        cmocka_unit_test(test_precisions),
        cmocka_unit_test(test_precision_names),
        cmocka_unit_test(test_timestamp_bounds),
        cmocka_unit_test(test_missing_timestamp),
        cmocka_unit_test(test_crlf),
        cmocka_unit_test(test_comments_and_blank_lines),
        cmocka_unit_test(test_rejections_keep_neighbours),
        cmocka_unit_test(test_nul_bytes),
        cmocka_unit_test(test_line_length),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_stop_and_args),
        cmocka_unit_test(test_series_names),
        cmocka_unit_test(test_random_and_mutated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
