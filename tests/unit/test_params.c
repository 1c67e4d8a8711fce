/*
 * test_params.c - the API's times (api/params.c): milliseconds as before,
 * seconds with a fraction, RFC 3339 with fractions and offsets, and the
 * seconds form of api_parse_time_s; what each refuses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "api/params.h"

#define NOW 1765099800000LL /* 2025-12-07T09:30:00Z */

static int64_t t_ms(const char *s) {
    int64_t v = -1;
    if (!api_parse_time(s, NOW, &v)) fail_msg("api_parse_time(\"%s\") refused", s);
    return v;
}

static int64_t t_s(const char *s) {
    int64_t v = -1;
    if (!api_parse_time_s(s, NOW, &v)) fail_msg("api_parse_time_s(\"%s\") refused", s);
    return v;
}

static void test_ms_and_seconds(void **state) {
    (void)state;
    /* plain digits stay milliseconds */
    assert_int_equal(t_ms("1765099800000"), 1765099800000);
    assert_int_equal(t_ms("0"), 0);
    /* a fraction says seconds; past the third decimal: floor */
    assert_int_equal(t_ms("1733563800.5"), 1733563800500);
    assert_int_equal(t_ms("1733563800.0"), 1733563800000);
    assert_int_equal(t_ms("1733563800.123999"), 1733563800123);
    assert_int_equal(t_ms("253402300799.999"), API_TIME_MAX_MS); /* 9999-12-31T23:59:59.999Z */
    /* relative forms as before */
    assert_int_equal(t_ms("now"), NOW);
    assert_int_equal(t_ms("-10s"), NOW - 10000);
    /* the seconds form: digits are seconds */
    assert_int_equal(t_s("1733563800"), 1733563800000);
    assert_int_equal(t_s("1733563800.25"), 1733563800250);
    assert_int_equal(t_s("-1h"), NOW - 3600000);
    const char *bad[] = {"1733563800.",
                         ".5",
                         "1.2.3",
                         "1e9",
                         "+5",
                         " 5",
                         "5 ",
                         "0x10",
                         "253402300800.000",
                         "99999999999999999999.5",
                         "nan",
                         "inf"};
    int64_t v;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (api_parse_time(bad[i], NOW, &v)) fail_msg("api_parse_time took \"%s\"", bad[i]);
        if (api_parse_time_s(bad[i], NOW, &v)) fail_msg("api_parse_time_s took \"%s\"", bad[i]);
    }
    assert_false(api_parse_time_s("9007199254741", NOW, &v)); /* seconds past the bound */
}

static void test_rfc3339(void **state) {
    (void)state;
    assert_int_equal(t_ms("2026-12-07T09:30:00Z"), 1796635800000);
    assert_int_equal(t_ms("2026-12-07T09:30:00.5Z"), 1796635800500);
    assert_int_equal(t_ms("2026-12-07T09:30:00.123456789Z"), 1796635800123);
    assert_int_equal(t_ms("2026-12-07T17:30:00+08:00"), 1796635800000);
    assert_int_equal(t_ms("2026-12-07T04:00:00.250-05:30"), 1796635800250);
    assert_int_equal(t_ms("2026-12-07t09:30:00z"), 1796635800000);
    assert_int_equal(t_ms("2026-12-07 09:30:00Z"), 1796635800000);
    assert_int_equal(t_ms("1970-01-01T00:00:00Z"), 0);
    assert_int_equal(t_ms("2024-02-29T00:00:00Z"), 1709164800000);
    assert_int_equal(t_ms("2000-02-29T23:59:59.999Z"), 951868799999);
    assert_int_equal(t_s("2026-12-07T09:30:00Z"), 1796635800000);
    const char *bad[] = {"2026-12-07",
                         "2026-12-07T09:30Z",
                         "2026-12-07T09:30:00",
                         "2026-13-07T09:30:00Z",
                         "2026-02-29T09:30:00Z",
                         "1900-02-29T00:00:00Z",
                         "2026-12-32T09:30:00Z",
                         "2026-12-07T24:00:00Z",
                         "2026-12-07T09:60:00Z",
                         "2026-12-07T09:30:60Z",
                         "2026-12-07T09:30:00.Z",
                         "2026-12-07T09:30:00+8:00",
                         "2026-12-07T09:30:00+08",
                         "2026-12-07T09:30:00Zx",
                         "1969-12-31T23:59:59Z",
                         "1970-01-01T07:59:59+08:00",
                         "2026-12-07X09:30:00Z",
                         "２026-12-07T09:30:00Z"};
    int64_t v;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (api_parse_time(bad[i], NOW, &v)) fail_msg("took \"%s\" as %lld", bad[i], (long long)v);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ms_and_seconds),
        cmocka_unit_test(test_rfc3339),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
