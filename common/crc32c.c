/*
 * crc32c.c - CRC-32C: the SSE 4.2 instruction or a slicing-by-8 table.
 */
#include "common/crc32c.h"

#include <pthread.h>
#include <string.h>

#include "common/byteorder.h"

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

#define CRC32C_POLY 0x82F63B78u

static uint32_t crc_tab[8][256];
static pthread_once_t crc_tab_once = PTHREAD_ONCE_INIT;

static void crc_tab_init(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ CRC32C_POLY : c >> 1;
        crc_tab[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++) {
            uint32_t c = crc_tab[t - 1][i];
            crc_tab[t][i] = (c >> 8) ^ crc_tab[0][c & 0xff];
        }
}

uint32_t pw_crc32c_table(uint32_t crc, const void *p, size_t n) {
    pthread_once(&crc_tab_once, crc_tab_init);
    const uint32_t(*t)[256] = (const uint32_t(*)[256])crc_tab;
    const uint8_t *s = p;
    crc = ~crc;
    for (; n >= 8; n -= 8, s += 8) {
        uint64_t w = pw_get_le64(s) ^ crc;
        crc = t[7][w & 0xff] ^ t[6][(w >> 8) & 0xff] ^ t[5][(w >> 16) & 0xff] ^
              t[4][(w >> 24) & 0xff] ^ t[3][(w >> 32) & 0xff] ^ t[2][(w >> 40) & 0xff] ^
              t[1][(w >> 48) & 0xff] ^ t[0][w >> 56];
    }
    for (; n; n--) crc = t[0][(crc ^ *s++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

#if defined(__x86_64__)
/* The instruction computes exactly CRC-32C, about 10x the table. */
__attribute__((target("sse4.2"))) static uint32_t crc_sse42(uint32_t crc, const uint8_t *p,
                                                            size_t n) {
    uint64_t c = ~crc;
    for (; n >= 8; p += 8, n -= 8) c = _mm_crc32_u64(c, pw_get_le64(p));
    uint32_t c32 = (uint32_t)c;
    while (n--) c32 = _mm_crc32_u8(c32, *p++);
    return ~c32;
}
#endif

bool pw_crc32c_hw_available(void) {
#if defined(__x86_64__)
    return __builtin_cpu_supports("sse4.2");
#else
    return false;
#endif
}

uint32_t pw_crc32c_hw(uint32_t crc, const void *p, size_t n) {
#if defined(__x86_64__)
    if (pw_crc32c_hw_available()) return crc_sse42(crc, p, n);
#endif
    return pw_crc32c_table(crc, p, n);
}

uint32_t pw_crc32c(uint32_t crc, const void *p, size_t n) {
    if (n == 0) return crc; /* p may be NULL then */
    return pw_crc32c_hw(crc, p, n);
}
