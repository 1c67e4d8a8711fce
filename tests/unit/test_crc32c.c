/*
 * test_crc32c.c - common/crc32c.c: known vectors, and the SSE 4.2 path
 * against the table at every alignment and length 0..300 (the bits on
 * disk must not depend on the CPU).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/crc32c.h"

/* The definition, a bit at a time: what both fast paths must equal. */
static uint32_t crc32c_bitwise(uint32_t crc, const uint8_t *p, size_t n) {
    crc = ~crc;
    while (n--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++) crc = (crc & 1) ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
    }
    return ~crc;
}

static void test_vectors(void **state) {
    (void)state;
    assert_int_equal(pw_crc32c(0, "123456789", 9), 0xE3069283u);
    assert_int_equal(pw_crc32c_table(0, "123456789", 9), 0xE3069283u);
    assert_int_equal(pw_crc32c_hw(0, "123456789", 9), 0xE3069283u);
    assert_int_equal(pw_crc32c(0, NULL, 0), 0);
    assert_int_equal(pw_crc32c(pw_crc32c(0, "1234", 4), "56789", 5), 0xE3069283u);
    /* RFC 3720 B.4 (iSCSI): 32 zeros, 32 0xff, 0..31, 31..0. */
    uint8_t buf[32];
    memset(buf, 0, sizeof buf);
    assert_int_equal(pw_crc32c(0, buf, 32), 0x8A9136AAu);
    memset(buf, 0xff, sizeof buf);
    assert_int_equal(pw_crc32c(0, buf, 32), 0x62A8AB43u);
    for (int i = 0; i < 32; i++) buf[i] = (uint8_t)i;
    assert_int_equal(pw_crc32c(0, buf, 32), 0x46DD794Eu);
    for (int i = 0; i < 32; i++) buf[i] = (uint8_t)(31 - i);
    assert_int_equal(pw_crc32c(0, buf, 32), 0x113FDB5Cu);
}

static void test_paths_agree(void **state) {
    (void)state;
    if (!pw_crc32c_hw_available()) print_message("no SSE 4.2: the hardware path is the table\n");
    uint8_t data[300 + 16];
    uint64_t x = 0x9E3779B97F4A7C15u;
    for (size_t i = 0; i < sizeof data; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        data[i] = (uint8_t)x;
    }
    for (size_t off = 0; off < 16; off++)
        for (size_t n = 0; n <= 300; n++) {
            uint32_t want = crc32c_bitwise(0, data + off, n);
            assert_int_equal(pw_crc32c_table(0, data + off, n), want);
            assert_int_equal(pw_crc32c_hw(0, data + off, n), want);
            assert_int_equal(pw_crc32c(0, data + off, n), want);
            /* a seed carried over from an earlier piece */
            assert_int_equal(pw_crc32c_hw(want, data, n % 37), pw_crc32c_table(want, data, n % 37));
        }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_paths_agree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
