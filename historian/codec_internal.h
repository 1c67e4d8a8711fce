/*
 * codec_internal.h - what codec.c (primitives, columns, chunks) and
 * codec_rollup.c (rollup records) share; private to those two files, not
 * part of codec.h. The byte layouts are specified in historian/FORMAT.md.
 *
 * Small hot helpers are static inline here (byte order, bit lengths, the
 * decimal scale test, the MSB-first bit writer and reader); the few shared
 * out-of-line functions are defined in codec.c and declared only here.
 */
#ifndef PARKWATCH_HISTORIAN_CODEC_INTERNAL_H
#define PARKWATCH_HISTORIAN_CODEC_INTERNAL_H

#include "historian/codec.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Largest n accepted in a chunk or rollup header; more is surely garbage. */
#define CODEC_MAX_POINTS ((uint64_t)1 << 24)
/* Worst-case byte size of a uvarint, used for up-front reservations. */
#define UVARINT_MAX 10

#define CODEC_2P53 ((int64_t)1 << 53)

/* Powers of ten exactly representable as doubles (all up to 10^22 are);
 * defined in codec.c. */
extern const double codec_pow10[CODEC_MAX_DECIMALS + 1];

/* ------------------------------------------------------------------ */
/* little helpers                                                      */
/* ------------------------------------------------------------------ */

static inline uint64_t codec_load64be(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, 8);
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

static inline void codec_store64be(uint8_t *p, uint64_t v) {
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    memcpy(p, &v, 8);
}

static inline uint64_t codec_dbl_bits(double d) {
    uint64_t u;
    memcpy(&u, &d, 8);
    return u;
}

static inline double codec_bits_dbl(uint64_t u) {
    double d;
    memcpy(&d, &u, 8);
    return d;
}

/* Number of significant bits of v: 0 for 0, 64 for values >= 2^63. */
static inline unsigned codec_bitlen(uint64_t v) {
    return v ? 64u - (unsigned)__builtin_clzll(v) : 0u;
}

/* Writes a uvarint to q (which has room for UVARINT_MAX bytes); returns its length. */
static inline size_t codec_uvarint_raw(uint8_t *q, uint64_t v) {
    size_t n = 0;
    while (v >= 0x80) {
        q[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    q[n++] = (uint8_t)v;
    return n;
}

/* llround(x) for |x| < 2^53, inlined: there the truncation and the fraction
 * x - trunc(x) are exact, so rounding half away from zero is exact too. */
static inline int64_t codec_round(double x) {
    int64_t t = (int64_t)x;
    double frac = x - (double)t;
    return t + (frac >= 0.5) - (frac <= -0.5);
}

/* 1 when v == (double)llround(v*10^d) / 10^d bit for bit with |k| < 2^53. */
static inline int codec_decimal_ok(double v, int d, int64_t *k) {
    double x = v * codec_pow10[d];
    if (!(fabs(x) < 9007199254740992.0)) return 0; /* also rejects NaN, Inf */
    int64_t r = codec_round(x);
    if (r >= CODEC_2P53 || r <= -CODEC_2P53) return 0;
    double back = (double)r / codec_pow10[d];
    if (codec_dbl_bits(back) != codec_dbl_bits(v)) return 0;
    *k = r;
    return 1;
}

/* The reader's value of scaled integer k; encoders check against this very
 * expression. */
static inline double codec_unscale(int64_t k, int d) {
    return d ? (double)k / codec_pow10[d] : (double)k;
}

/* ------------------------------------------------------------------ */
/* bit writer and reader (Gorilla XOR, the rollups' Rice codes)        */
/* ------------------------------------------------------------------ */

/* MSB-first bit writer into memory reserved beforehand (+8 bytes slack).
 * acc holds the `fill` (< 8 between calls) pending bits at its top. */
typedef struct {
    uint8_t *o;
    uint64_t acc;
    unsigned fill;
} codec_bitw;

/* Appends the low nb (1..56) bits of v. */
static inline void codec_bw_put(codec_bitw *w, uint64_t v, unsigned nb) {
    w->acc |= v << (64 - w->fill - nb);
    w->fill += nb;
    codec_store64be(w->o, w->acc);
    unsigned bytes = w->fill >> 3;
    w->o += bytes;
    w->acc <<= bytes * 8; /* fill <= 63, so shift <= 56 */
    w->fill &= 7;
}

static inline void codec_bw_put64(codec_bitw *w, uint64_t v, unsigned nb) {
    if (nb > 56) {
        codec_bw_put(w, v >> 32, nb - 32);
        codec_bw_put(w, v & 0xffffffffu, 32);
    } else {
        codec_bw_put(w, v, nb);
    }
}

/* MSB-first bit reader over [p, p+nbytes). */
typedef struct {
    const uint8_t *p;
    size_t nbytes;
    size_t pos; /* in bits */
} codec_bitr;

/* Reads nb (1..56) bits. */
static inline int codec_br_get(codec_bitr *r, unsigned nb, uint64_t *out) {
    if (nb > r->nbytes * 8 - r->pos) return CODEC_ECORRUPT;
    size_t byte = r->pos >> 3;
    uint64_t win;
    if (r->nbytes - byte >= 8) {
        win = codec_load64be(r->p + byte);
    } else {
        win = 0;
        for (unsigned k = 0; byte + k < r->nbytes; k++)
            win |= (uint64_t)r->p[byte + k] << (56 - 8 * k);
    }
    win <<= r->pos & 7;
    *out = win >> (64 - nb);
    r->pos += nb;
    return CODEC_OK;
}

static inline int codec_br_get64(codec_bitr *r, unsigned nb, uint64_t *out) {
    if (nb <= 56) return codec_br_get(r, nb, out);
    uint64_t hi, lo;
    if (codec_br_get(r, nb - 32, &hi) != CODEC_OK || codec_br_get(r, 32, &lo) != CODEC_OK)
        return CODEC_ECORRUPT;
    *out = hi << 32 | lo;
    return CODEC_OK;
}

/* ------------------------------------------------------------------ */
/* shared functions of codec.c                                         */
/* ------------------------------------------------------------------ */

int codec_put_byte(codec_buf *b, uint8_t v);
/* Reads one byte from *p (not past end); advances *p. */
int codec_get_byte(const uint8_t **p, const uint8_t *end, uint8_t *out);

/* Element types the RLE helpers read from / write to. */
enum { CODEC_RLE_U64, CODEC_RLE_U8, CODEC_RLE_ROLLUP_COUNT };

/* RLE column of n elements of the given kind, read from v / written to out. */
int codec_rle_encode_kind(codec_buf *b, const void *v, int kind, size_t n);
int codec_rle_decode_kind(const uint8_t **p, const uint8_t *end, void *out, int kind, size_t n);

/* Version byte and uvarint n of a chunk (rollup = 0) or rollup record
 * (rollup = 1); n in [min_n, 2^24] and encodable in the bytes left. */
int codec_header_read(const uint8_t **p, const uint8_t *end, uint64_t min_n, int rollup, size_t *n,
                      uint8_t *version);

#endif
