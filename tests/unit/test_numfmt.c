/*
 * test_numfmt.c - common/numfmt.h: exact round trips, shortest short
 * decimals, significant digits for aggregates.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "common/numfmt.h"
#include "tests/support/testutil.h"

static const char *fmt(double v) {
    static char b[NF_MAX + 1];
    b[nf_double(b, v)] = 0;
    return b;
}

static void test_short_decimals(void **state) {
    (void)state;
    assert_string_equal(fmt(0), "0");
    assert_string_equal(fmt(-0.0), "0");
    assert_string_equal(fmt(0.1), "0.1");
    assert_string_equal(fmt(0.3), "0.3");
    assert_string_equal(fmt(12.34), "12.34");
    assert_string_equal(fmt(-5), "-5");
    assert_string_equal(fmt(-0.05), "-0.05");
    assert_string_equal(fmt(1795796114747.0), "1795796114747");
    assert_string_equal(fmt(73.96732207), "73.96732207");
    assert_string_equal(fmt(NAN), "null");
    assert_string_equal(fmt(INFINITY), "null");
    char b[NF_MAX + 1];
    b[nf_i64(b, INT64_MIN)] = 0;
    assert_string_equal(b, "-9223372036854775808");
    b[nf_u64(b, 0)] = 0;
    assert_string_equal(b, "0");
}

static void test_round_trip(void **state) {
    (void)state;
    uint64_t seed = 42;
    char b[NF_MAX + 1];
    for (int i = 0; i < 200000; i++) {
        double v;
        switch (i % 4) {
            case 0: { /* any bit pattern that is a finite double */
                uint64_t bits = testutil_rand(&seed);
                memcpy(&v, &bits, 8);
                if (!isfinite(v)) continue;
                break;
            }
            case 1: /* quantized sensor values */
                v = (double)(int64_t)(testutil_rand(&seed) % 2000001 - 1000000) / 100;
                break;
            case 2: /* computed values */
                v = (double)(testutil_rand(&seed) % 1000000) / 7.0;
                break;
            default:
                v = ldexp((double)(testutil_rand(&seed) >> 11), -(int)(testutil_rand(&seed) % 80));
        }
        size_t n = nf_double(b, v);
        assert_true(n < NF_MAX);
        b[n] = 0;
        if (strtod(b, NULL) != v) fail_msg("%.17g printed as %s", v, b);
    }
}

static void test_significant_digits(void **state) {
    (void)state;
    uint64_t seed = 7;
    char b[NF_MAX + 1];
    for (int i = 0; i < 100000; i++) {
        double v = ((double)(testutil_rand(&seed) % 100000000) / 3.0 - 1e7) *
                   pow(10, (double)(int)(testutil_rand(&seed) % 16) - 8);
        size_t n = nf_double_sig(b, v, 12);
        b[n] = 0;
        double back = strtod(b, NULL);
        if (fabs(back - v) > fabs(v) * 1e-11) fail_msg("%.17g printed as %s", v, b);
        /* no more than 12 significant digits */
        int digits = 0, lead = 1;
        for (char *p = b; *p && *p != 'e'; p++)
            if (*p >= '0' && *p <= '9') {
                if (*p != '0') lead = 0;
                if (!lead) digits++;
            }
        assert_true(digits <= 12);
    }
    b[nf_double_sig(b, 2.0 / 3.0, 12)] = 0;
    assert_string_equal(b, "0.666666666667");
    b[nf_double_sig(b, 12.5, 12)] = 0;
    assert_string_equal(b, "12.5");
    b[nf_double_sig(b, 99999.99999999999, 12)] = 0;
    assert_string_equal(b, "100000");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_short_decimals),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_significant_digits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
