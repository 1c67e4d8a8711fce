/*
 * byteorder.h - fixed-width integers to and from bytes in a stated order,
 * for file and wire formats (WAL, spool, codec). Unaligned pointers are
 * fine; compilers turn these into single loads and stores.
 */
#ifndef PARKWATCH_COMMON_BYTEORDER_H
#define PARKWATCH_COMMON_BYTEORDER_H

#include <stdint.h>
#include <string.h>

static inline void pw_put_le32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static inline uint32_t pw_get_le32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void pw_put_le64(uint8_t *p, uint64_t v) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    memcpy(p, &v, 8);
}

static inline uint64_t pw_get_le64(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

static inline void pw_put_be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline uint32_t pw_get_be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static inline void pw_put_be64(uint8_t *p, uint64_t v) {
    pw_put_be32(p, (uint32_t)(v >> 32));
    pw_put_be32(p + 4, (uint32_t)v);
}

static inline uint64_t pw_get_be64(const uint8_t *p) {
    return (uint64_t)pw_get_be32(p) << 32 | pw_get_be32(p + 4);
}

#endif
