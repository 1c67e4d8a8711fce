/*
 * test_names.c - the one names rule of ingest (ingest_name_check,
 * ingest_text_scrub; ingest/ingest.h "names"): UTF-8 edge cases, control
 * characters, empty and too long, and the rule as the line protocol's
 * series name and the payload parser apply it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ingest/ingest.h"

#define CHECK_NAME(lit, want)                                                                      \
    assert_int_equal(ingest_name_check(lit, sizeof(lit) - 1, INGEST_NAME_MAX), want)

static void test_valid(void **state) {
    (void)state;
    CHECK_NAME("T301.level", INGEST_NAME_OK);
    CHECK_NAME("a", INGEST_NAME_OK);
    CHECK_NAME("~ !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}", INGEST_NAME_OK);
    CHECK_NAME("\xC2\xA0", INGEST_NAME_OK);                 /* U+00A0, first after C1 */
    CHECK_NAME("\xC3\xA9t\xC3\xA9", INGEST_NAME_OK);        /* été */
    CHECK_NAME("\xDF\xBF", INGEST_NAME_OK);                 /* U+07FF, last 2-byte */
    CHECK_NAME("\xE0\xA0\x80", INGEST_NAME_OK);             /* U+0800, first 3-byte */
    CHECK_NAME("\xE6\xB8\xA9\xE5\xBA\xA6", INGEST_NAME_OK); /* 温度 */
    CHECK_NAME("\xED\x9F\xBF", INGEST_NAME_OK);             /* U+D7FF, before the surrogates */
    CHECK_NAME("\xEE\x80\x80", INGEST_NAME_OK);             /* U+E000, after them */
    CHECK_NAME("\xEF\xBF\xBD", INGEST_NAME_OK);             /* U+FFFD */
    CHECK_NAME("\xF0\x90\x80\x80", INGEST_NAME_OK);         /* U+10000, first 4-byte */
    CHECK_NAME("\xF0\x9F\x94\xA5", INGEST_NAME_OK);         /* an emoji */
    CHECK_NAME("\xF4\x8F\xBF\xBF", INGEST_NAME_OK);         /* U+10FFFF, the maximum */
}

static void test_bad_utf8(void **state) {
    (void)state;
    CHECK_NAME("m\xC3\x28", INGEST_NAME_BAD_UTF8);                /* the measurement */
    CHECK_NAME("\xC0\xAF", INGEST_NAME_BAD_UTF8);                 /* overlong '/' */
    CHECK_NAME("\xC1\xBF", INGEST_NAME_BAD_UTF8);                 /* overlong, C1 lead */
    CHECK_NAME("\xE0\x80\xAF", INGEST_NAME_BAD_UTF8);             /* overlong 3-byte '/' */
    CHECK_NAME("\xE0\x9F\xBF", INGEST_NAME_BAD_UTF8);             /* overlong U+07FF */
    CHECK_NAME("\xF0\x80\x80\xAF", INGEST_NAME_BAD_UTF8);         /* overlong 4-byte '/' */
    CHECK_NAME("\xF0\x8F\xBF\xBF", INGEST_NAME_BAD_UTF8);         /* overlong U+FFFF */
    CHECK_NAME("\xC0\x80", INGEST_NAME_BAD_UTF8);                 /* "modified UTF-8" NUL */
    CHECK_NAME("\xED\xA0\x80", INGEST_NAME_BAD_UTF8);             /* U+D800, a surrogate */
    CHECK_NAME("\xED\xBF\xBF", INGEST_NAME_BAD_UTF8);             /* U+DFFF */
    CHECK_NAME("\xED\xA0\xBD\xED\xB4\xA5", INGEST_NAME_BAD_UTF8); /* CESU-8 pair */
    CHECK_NAME("\xF4\x90\x80\x80", INGEST_NAME_BAD_UTF8);         /* U+110000, above the max */
    CHECK_NAME("\xF5\x80\x80\x80", INGEST_NAME_BAD_UTF8);         /* F5 lead */
    CHECK_NAME("\xF8\x88\x80\x80\x80", INGEST_NAME_BAD_UTF8);     /* old 5-byte form */
    CHECK_NAME("\xFF", INGEST_NAME_BAD_UTF8);
    CHECK_NAME("\xFE", INGEST_NAME_BAD_UTF8);
    CHECK_NAME("\x80", INGEST_NAME_BAD_UTF8); /* lone continuation */
    CHECK_NAME("a\xBF"
               "b",
               INGEST_NAME_BAD_UTF8);
    /* truncated sequences, at the end and before an ASCII byte */
    CHECK_NAME("ab\xC3", INGEST_NAME_BAD_UTF8);
    CHECK_NAME("\xE6\xB8", INGEST_NAME_BAD_UTF8);
    CHECK_NAME("\xF0\x9F\x94", INGEST_NAME_BAD_UTF8);
    CHECK_NAME("\xE6\xB8"
               "a",
               INGEST_NAME_BAD_UTF8);
    CHECK_NAME("\xF0\x9F\x94=x", INGEST_NAME_BAD_UTF8);
    /* the length given bounds the check: a sequence cut by it is truncated */
    assert_int_equal(ingest_name_check("\xC3\xA9", 1, 10), INGEST_NAME_BAD_UTF8);
}

static void test_control(void **state) {
    (void)state;
    CHECK_NAME("a\tb", INGEST_NAME_CONTROL);
    CHECK_NAME("a\nb", INGEST_NAME_CONTROL);
    CHECK_NAME("\x01", INGEST_NAME_CONTROL);
    CHECK_NAME("\x1F", INGEST_NAME_CONTROL);
    CHECK_NAME("a\x7F", INGEST_NAME_CONTROL);                                /* DEL */
    CHECK_NAME("\xC2\x80", INGEST_NAME_CONTROL);                             /* U+0080, C1 */
    CHECK_NAME("\xC2\x9F", INGEST_NAME_CONTROL);                             /* U+009F, last C1 */
    assert_int_equal(ingest_name_check("a\0b", 3, 10), INGEST_NAME_CONTROL); /* a NUL inside */
}

static void test_empty_and_length(void **state) {
    (void)state;
    assert_int_equal(ingest_name_check("", 0, INGEST_NAME_MAX), INGEST_NAME_EMPTY);
    assert_int_equal(ingest_name_check(NULL, 0, INGEST_NAME_MAX), INGEST_NAME_EMPTY);
    char buf[INGEST_NAME_MAX + 2];
    memset(buf, 'x', sizeof buf);
    assert_int_equal(ingest_name_check(buf, INGEST_NAME_MAX, INGEST_NAME_MAX), INGEST_NAME_OK);
    assert_int_equal(ingest_name_check(buf, INGEST_NAME_MAX + 1, INGEST_NAME_MAX),
                     INGEST_NAME_TOO_LONG);
    /* 255 bytes of 3-byte characters and one more: bytes, not characters */
    char wide[INGEST_NAME_MAX + 3];
    for (size_t i = 0; i + 3 <= sizeof wide; i += 3) memcpy(wide + i, "\xE6\xB8\xA9", 3);
    assert_int_equal(ingest_name_check(wide, 255, INGEST_NAME_MAX), INGEST_NAME_OK);
    assert_int_equal(ingest_name_check(wide, 258, INGEST_NAME_MAX), INGEST_NAME_TOO_LONG);
    for (int st = INGEST_NAME_OK; st <= INGEST_NAME_CONTROL; st++)
        assert_non_null(ingest_name_problem((ingest_name_status)st));
}

static void test_scrub(void **state) {
    (void)state;
    char a[] = "ok \xC3\xA9t\xC3\xA9";
    assert_int_equal(ingest_text_scrub(a), 0);
    assert_string_equal(a, "ok \xC3\xA9t\xC3\xA9");
    char b[] = "m\xC3\x28\x01\xED\xA0\x80z\xC3";
    assert_int_equal(ingest_text_scrub(b), 1 + 1 + 3 + 1);
    assert_string_equal(b, "m?(???"
                           "?z?");
    char c[] = "\xC2\x85x\x7F";
    ingest_text_scrub(c);
    assert_string_equal(c, "??x?");
    assert_int_equal(ingest_name_check(b, strlen(b), 64), INGEST_NAME_OK);
}

/* ---- the rule where it is applied ---- */

#define HIST_NAME_CAP 256

static int lp_series(const ingest_lp_line *l, void *arg) {
    char *out = arg;
    if (ingest_lp_series_name(l, 0, "E001", out, HIST_NAME_CAP) != 0) strcpy(out, "(none)");
    return 0;
}

static const char *lp_name(const char *line, char *out) {
    strcpy(out, "(no line)");
    ingest_lp_parse(line, strlen(line), INGEST_LP_MS, lp_series, NULL, out, NULL);
    return out;
}

static void test_lp_series_name(void **state) {
    (void)state;
    char out[HIST_NAME_CAP];
    assert_string_equal(lp_name("m,device=d v=1", out), "E001/d/m.v");
    assert_string_equal(lp_name("\xE6\xB8\xA9,device=d v=1", out), "E001/d/\xE6\xB8\xA9.v");
    /* a bad part anywhere: no name */
    assert_string_equal(lp_name("m\xC3\x28,device=d v=1", out), "(none)");
    assert_string_equal(lp_name("m,device=d\xC3 v=1", out), "(none)");
    assert_string_equal(lp_name("m,device=d,k\xED\xA0\x80=x v=1", out), "(none)");
    assert_string_equal(lp_name("m,device=d,k=\xC0\xAF v=1", out), "(none)");
    assert_string_equal(lp_name("m,device=d v\xF4\x90\x80\x80=1", out), "(none)");
    assert_string_equal(lp_name("m,device=d,enterprise=E\x7F v=1", out), "(none)");
    assert_string_equal(lp_name("m\x01,device=d v=1", out), "(none)");
}

typedef struct seen {
    size_t readings, bad_tag, other;
} seen;

static int on_reading(const ingest_reading *r, void *arg) {
    seen *s = arg;
    assert_int_equal(ingest_name_check(r->tag, strlen(r->tag), INGEST_NAME_MAX), INGEST_NAME_OK);
    if (r->device)
        assert_int_equal(ingest_name_check(r->device, strlen(r->device), INGEST_NAME_MAX),
                         INGEST_NAME_OK);
    if (r->enterprise)
        assert_int_equal(ingest_name_check(r->enterprise, strlen(r->enterprise), INGEST_NAME_MAX),
                         INGEST_NAME_OK);
    s->readings++;
    return 0;
}

static void on_reject(const char *reason, const char *tag, const char *message, void *arg) {
    seen *s = arg;
    /* what a reject shows is safe to show */
    if (tag) {
        char copy[256];
        snprintf(copy, sizeof copy, "%s", tag);
        assert_int_equal(ingest_text_scrub(copy), 0);
    }
    char m[256];
    snprintf(m, sizeof m, "%s", message);
    assert_int_equal(ingest_text_scrub(m), 0);
    if (!strcmp(reason, "bad_tag"))
        s->bad_tag++;
    else
        s->other++;
}

static seen parse(const char *payload, ingest_format fmt) {
    seen s = {0};
    ingest_payload_parse(payload, strlen(payload), fmt, 1700000000000LL, on_reading, on_reject, &s,
                         NULL);
    return s;
}

/* The same bad names in each format: one good reading, the bad ones
 * rejected as bad_tag one by one. (Raw invalid UTF-8 cannot be written in
 * JSON at all: jansson refuses the message, test_payload's business.) */
static void test_each_format_same_rule(void **state) {
    (void)state;
    seen s;
    /* Parkwatch JSON: control characters by escape, C1 and DEL, too long */
    char longname[300];
    memset(longname, 'x', 256);
    longname[256] = 0;
    char buf[2048];
    snprintf(buf, sizeof buf,
             "{\"ts\": 1, \"values\": {\"ok\": 1, \"a\\u0001\": 2, \"b\\u0085\": 3, "
             "\"c\\u007f\": 4, \"\": 5, \"%s\": 6}}",
             longname);
    s = parse(buf, INGEST_FMT_AUTO);
    assert_int_equal(s.readings, 1);
    assert_int_equal(s.bad_tag, 5);
    assert_int_equal(s.other, 0);
    /* Neuron: the same in the tag, and a bad node */
    snprintf(buf, sizeof buf,
             "{\"timestamp\": 1, \"node\": \"n\", \"values\": {\"ok\": 1, \"a\\u0001\": 2, "
             "\"b\\u0085\": 3, \"c\\u007f\": 4, \"\": 5, \"%s\": 6}}",
             longname);
    s = parse(buf, INGEST_FMT_AUTO);
    assert_int_equal(s.readings, 1);
    assert_int_equal(s.bad_tag, 5);
    s = parse("{\"timestamp\": 1, \"node\": \"n\\t1\", \"values\": {\"a\": 1}}", INGEST_FMT_AUTO);
    assert_int_equal(s.readings, 0);
    assert_int_equal(s.bad_tag, 1);
    /* line protocol: raw bytes in every part */
    snprintf(buf, sizeof buf,
             "m ok=1\nm\xC3\x28 v=2\nm,k\xC0\xAF=x v=3\nm,k=\xED\xA0\x80 v=4\n"
             "m v\xF4\x90\x80\x80=5\nm,device=d\xC3 v=6\nm,enterprise=E\x7F v=7\n"
             "m\\ \x01 v=8\nm %s=9\n",
             longname);
    s = parse(buf, INGEST_FMT_LINEPROTO);
    assert_int_equal(s.readings, 1);
    assert_int_equal(s.bad_tag, 8);
    assert_int_equal(s.other, 0);
    /* valid non-ASCII names pass in every format */
    assert_int_equal(
        parse("{\"ts\": 1, \"values\": {\"\xE6\xB8\xA9\": 1}}", INGEST_FMT_AUTO).readings, 1);
    assert_int_equal(parse("\xE6\xB8\xA9 \xF4\x8F\xBF\xBF=1", INGEST_FMT_LINEPROTO).readings, 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_bad_utf8),
        cmocka_unit_test(test_control),
        cmocka_unit_test(test_empty_and_length),
        cmocka_unit_test(test_scrub),
        cmocka_unit_test(test_lp_series_name),
        cmocka_unit_test(test_each_format_same_rule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
