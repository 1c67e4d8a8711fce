/*
 * codec.c - time-series encoders of the historian: varints, PFor integer
 * packing, Gorilla XOR floats, scaled-decimal value columns, timestamp
 * columns, run-length columns, and on top of them the chunk layout (points
 * of one series in one time window), plus CRC-32C for the WAL. The rollup
 * record layout, built on these columns, is in codec_rollup.c; what the two
 * files share is in codec_internal.h. The byte layouts are specified in
 * historian/FORMAT.md.
 *
 * The idea: plant data is mostly regular timestamps and values that were
 * quantised by an instrument or a PLC to a few decimals. So timestamps go
 * through delta-of-delta, which is zero for a regular series, and values are
 * first tried as integers scaled by 10^d (then delta or delta-of-delta).
 * Every integer stream ends in PFor: blocks of 128 values sharing one bit
 * width chosen from a histogram of bit lengths, with the rare wide values
 * stored as exceptions, so one spike does not widen the whole block. When
 * most values are decimal but a few are not (noise from float arithmetic
 * such as 73.96732207000001, NaN, -0.0), the scaled column is kept and the
 * few are stored beside it as exceptions with their raw bits ("patched
 * decimal"); values that are not decimal at all fall back to Gorilla XOR,
 * which is lossless for any bit pattern.
 *
 * Trade-offs: the encoder spends time trying every value mode and keeping
 * the smallest (ingest pays once, queries read many times); the decoders are
 * written for speed (PFor unpacks with one unaligned 64-bit load per value,
 * no per-bit loops, no allocation) but still validate everything, because
 * chunks are read back from disk and the chunk decoder is a fuzz target:
 * any malformed or truncated input gives CODEC_ECORRUPT, never a read
 * outside [p, end), never a crash. Decoders are strict (non-minimal varints,
 * non-zero padding bits, trailing bytes are all rejected) so that a byte
 * string has at most one meaning. Encoders return CODEC_ECORRUPT when the
 * caller's data break the documented preconditions (unsorted or out of range
 * timestamps, n = 0 or n > CODEC_MAX_POINTS for a chunk), and on any error
 * leave the output buffer as it was. Scaled modes are exact because the
 * decimal exponent is accepted only when (double)k / 10^d reproduces every
 * value bit for bit (in the patched mode: every value that is not an
 * exception), and the decoder performs that very same division.
 */
#include "historian/codec_internal.h"

#include "common/byteorder.h"
#include "common/crc32c.h"

#include <assert.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Worst-case byte size of a PFor block header. */
#define PFOR_HDR 2

/* Powers of ten exactly representable as doubles (all up to 10^22 are). */
const double codec_pow10[CODEC_MAX_DECIMALS + 1] = {1e0, 1e1, 1e2, 1e3, 1e4,
                                                    1e5, 1e6, 1e7, 1e8, 1e9};

/* ------------------------------------------------------------------ */
/* growable buffer                                                     */
/* ------------------------------------------------------------------ */

int codec_buf_reserve(codec_buf *b, size_t extra) {
    assert(b != NULL);
    if (b->cap - b->len >= extra) return CODEC_OK;
    if (extra > SIZE_MAX - b->len) return CODEC_ENOMEM;
    size_t need = b->len + extra;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    uint8_t *np = realloc(b->p, cap);
    if (np == NULL) return CODEC_ENOMEM;
    b->p = np;
    b->cap = cap;
    return CODEC_OK;
}

int codec_buf_put(codec_buf *b, const void *src, size_t n) {
    assert(b != NULL && (src != NULL || n == 0));
    if (n == 0) return CODEC_OK;
    int rc = codec_buf_reserve(b, n);
    if (rc != CODEC_OK) return rc;
    memcpy(b->p + b->len, src, n);
    b->len += n;
    return CODEC_OK;
}

void codec_buf_free(codec_buf *b) {
    if (b == NULL) return;
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

int codec_put_byte(codec_buf *b, uint8_t v) {
    return codec_buf_put(b, &v, 1);
}

/* ------------------------------------------------------------------ */
/* varints                                                             */
/* ------------------------------------------------------------------ */

int codec_put_uvarint(codec_buf *b, uint64_t v) {
    assert(b != NULL);
    int rc = codec_buf_reserve(b, UVARINT_MAX);
    if (rc != CODEC_OK) return rc;
    b->len += codec_uvarint_raw(b->p + b->len, v);
    return CODEC_OK;
}

int codec_get_uvarint(const uint8_t **p, const uint8_t *end, uint64_t *out) {
    assert(p != NULL && *p != NULL && end != NULL && out != NULL);
    const uint8_t *q = *p;
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (q >= end) return CODEC_ECORRUPT;
        uint8_t c = *q++;
        if (shift == 63 && c > 1) return CODEC_ECORRUPT; /* > 64 bits */
        v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            if (c == 0 && shift != 0) return CODEC_ECORRUPT; /* non-minimal */
            *p = q;
            *out = v;
            return CODEC_OK;
        }
    }
    return CODEC_ECORRUPT; /* continuation bit on the 10th byte */
}

int codec_get_byte(const uint8_t **p, const uint8_t *end, uint8_t *out) {
    if (*p >= end) return CODEC_ECORRUPT;
    *out = *(*p)++;
    return CODEC_OK;
}

/* ------------------------------------------------------------------ */
/* decimal exponent                                                    */
/* ------------------------------------------------------------------ */

int codec_decimal_exponent(const double *v, size_t n) {
    assert(v != NULL || n == 0);
    int d = 0;
    size_t i = 0;
    int64_t k;
    /* Check all values at d; on the first failure raise d until that value
     * passes, then restart the scan (d only grows, so at most 10 scans). */
    while (i < n) {
        if (codec_decimal_ok(v[i], d, &k)) {
            i++;
            continue;
        }
        if (!isfinite(v[i])) return -1;
        do {
            if (++d > CODEC_MAX_DECIMALS) return -1;
        } while (!codec_decimal_ok(v[i], d, &k));
        i = 0;
    }
    return d;
}

/* ------------------------------------------------------------------ */
/* PFor                                                                */
/* ------------------------------------------------------------------ */

/* Encodes one block of m (1..CODEC_PFOR_BLOCK) values. */
static int codec_pfor_block_encode(codec_buf *b, const uint64_t *v, size_t m) {
    unsigned hist[65] = {0};
    unsigned maxl = 0;
    for (size_t i = 0; i < m; i++) {
        unsigned l = codec_bitlen(v[i]);
        hist[l]++;
        if (l > maxl) maxl = l;
    }
    /* cost(w) = packed bytes + for each value longer than w: one index byte
     * and the uvarint of its high (len - w) bits. Only widths up to the
     * longest value can win; ties go to the wider width (fewer exceptions). */
    unsigned best_w = maxl;
    size_t best_cost = (m * maxl + 7) / 8;
    for (unsigned w = maxl; w-- > 0;) {
        size_t cost = (m * w + 7) / 8;
        for (unsigned l = w + 1; l <= maxl && cost < best_cost; l++)
            cost += (size_t)hist[l] * (1 + (l - w + 6) / 7);
        if (cost < best_cost) {
            best_cost = cost;
            best_w = w;
        }
    }
    const unsigned w = best_w;
    size_t nexc = 0;
    for (unsigned l = w + 1; l <= maxl; l++) nexc += hist[l];

    size_t packed = (m * w + 7) / 8;
    /* +8: the packer stores whole 64-bit words. */
    int rc = codec_buf_reserve(b, PFOR_HDR + packed + 8 + nexc * (1 + UVARINT_MAX));
    if (rc != CODEC_OK) return rc;
    uint8_t *q = b->p + b->len;
    q[0] = (uint8_t)w;
    q[1] = (uint8_t)nexc;
    q += PFOR_HDR;
    if (w > 0) {
        const uint64_t mask = w == 64 ? ~(uint64_t)0 : ((uint64_t)1 << w) - 1;
        uint64_t acc = 0;
        unsigned fill = 0;
        uint8_t *o = q;
        for (size_t i = 0; i < m; i++) {
            uint64_t x = v[i] & mask;
            acc |= x << fill;
            if (fill + w >= 64) {
                pw_put_le64(o, acc);
                o += 8;
                acc = fill ? x >> (64 - fill) : 0;
                fill = fill + w - 64;
            } else {
                fill += w;
            }
        }
        if (fill) pw_put_le64(o, acc); /* only (fill+7)/8 bytes count */
        q += packed;
    }
    for (size_t i = 0; i < m && nexc; i++) {
        if (codec_bitlen(v[i]) > w) {
            *q++ = (uint8_t)i;
            q += codec_uvarint_raw(q, v[i] >> w);
        }
    }
    b->len = (size_t)(q - b->p);
    return CODEC_OK;
}

int codec_pfor_encode(codec_buf *b, const uint64_t *v, size_t n) {
    assert(b != NULL && (v != NULL || n == 0));
    size_t start = b->len;
    for (size_t i = 0; i < n; i += CODEC_PFOR_BLOCK) {
        size_t m = n - i < CODEC_PFOR_BLOCK ? n - i : CODEC_PFOR_BLOCK;
        int rc = codec_pfor_block_encode(b, v + i, m);
        if (rc != CODEC_OK) {
            b->len = start;
            return rc;
        }
    }
    return CODEC_OK;
}

/* Unpacks m values of width w (1..64) from src, which has at least 7
 * readable bytes past the (m*w+7)/8 packed bytes. */
static inline void codec_unpack(const uint8_t *src, uint64_t *out, size_t m, unsigned w) {
    const uint64_t mask = w == 64 ? ~(uint64_t)0 : ((uint64_t)1 << w) - 1;
    if (w <= 57) {
        /* one unaligned load covers the value: bit offset <= 7, 7 + 57 = 64 */
        size_t pos = 0;
        for (size_t i = 0; i < m; i++, pos += w)
            out[i] = (pw_get_le64(src + (pos >> 3)) >> (pos & 7)) & mask;
    } else {
        size_t pos = 0;
        for (size_t i = 0; i < m; i++, pos += w) {
            unsigned s = (unsigned)(pos & 7);
            uint64_t x = pw_get_le64(src + (pos >> 3)) >> s;
            if (s + w > 64) x |= (uint64_t)src[(pos >> 3) + 8] << (64 - s);
            out[i] = x & mask;
        }
    }
}

/* Decodes one block of m (1..CODEC_PFOR_BLOCK) values into out[m]. */
static int codec_pfor_block_decode(const uint8_t **p, const uint8_t *end, uint64_t *out, size_t m) {
    const uint8_t *q = *p;
    if (end - q < PFOR_HDR) return CODEC_ECORRUPT;
    unsigned w = q[0];
    size_t nexc = q[1];
    q += PFOR_HDR;
    if (w > 64 || nexc > m || (w == 64 && nexc)) return CODEC_ECORRUPT;
    size_t bits = m * w;
    size_t packed = (bits + 7) / 8;
    if ((size_t)(end - q) < packed) return CODEC_ECORRUPT;
    if (w == 0) {
        memset(out, 0, m * sizeof *out);
    } else {
        if ((bits & 7) && (q[packed - 1] >> (bits & 7))) return CODEC_ECORRUPT; /* padding */
        if ((size_t)(end - q) >= packed + 7) {
            codec_unpack(q, out, m, w);
        } else {
            /* near the end of the input: unpack from a zero-padded copy */
            uint8_t tmp[CODEC_PFOR_BLOCK * 8 + 8] = {0};
            memcpy(tmp, q, packed);
            codec_unpack(tmp, out, m, w);
        }
        q += packed;
    }
    size_t last = 0;
    for (size_t e = 0; e < nexc; e++) {
        uint64_t hi;
        if (q >= end) return CODEC_ECORRUPT;
        size_t idx = *q++;
        if (idx >= m || (e > 0 && idx <= last)) return CODEC_ECORRUPT;
        if (codec_get_uvarint(&q, end, &hi) != CODEC_OK) return CODEC_ECORRUPT;
        /* an exception is wider than w: high part non-zero and fits */
        if (hi == 0 || (w > 0 && (hi >> (64 - w)) != 0)) return CODEC_ECORRUPT;
        out[idx] |= hi << w;
        last = idx;
    }
    *p = q;
    return CODEC_OK;
}

int codec_pfor_decode(const uint8_t **p, const uint8_t *end, uint64_t *out, size_t n) {
    assert(p != NULL && *p != NULL && end != NULL && (out != NULL || n == 0));
    const uint8_t *q = *p;
    for (size_t i = 0; i < n; i += CODEC_PFOR_BLOCK) {
        size_t m = n - i < CODEC_PFOR_BLOCK ? n - i : CODEC_PFOR_BLOCK;
        if (codec_pfor_block_decode(&q, end, out + i, m) != CODEC_OK) return CODEC_ECORRUPT;
    }
    *p = q;
    return CODEC_OK;
}

/* ------------------------------------------------------------------ */
/* Gorilla XOR                                                         */
/* ------------------------------------------------------------------ */

/* The MSB-first bit writer and reader are in codec_internal.h (the rollup
 * records' Rice codes use them too). */

int codec_xor_encode(codec_buf *b, const double *v, size_t n) {
    assert(b != NULL && (v != NULL || n == 0));
    if (n == 0) return CODEC_OK;
    /* worst case 2 + 5 + 6 + 64 = 77 bits per value after the first */
    if (n > (SIZE_MAX - 16) / 10) return CODEC_ENOMEM;
    int rc = codec_buf_reserve(b, n * 10 + 16);
    if (rc != CODEC_OK) return rc;
    codec_bitw w = {b->p + b->len, 0, 0};
    uint64_t prev = codec_dbl_bits(v[0]);
    codec_bw_put64(&w, prev, 64);
    unsigned plz = 65, ptz = 65; /* no window yet */
    for (size_t i = 1; i < n; i++) {
        uint64_t cur = codec_dbl_bits(v[i]);
        uint64_t x = cur ^ prev;
        prev = cur;
        if (x == 0) {
            codec_bw_put(&w, 0, 1);
            continue;
        }
        unsigned lz = (unsigned)__builtin_clzll(x), tz = (unsigned)__builtin_ctzll(x);
        if (lz > 31) lz = 31;
        if (lz >= plz && tz >= ptz) {
            codec_bw_put(&w, 2, 2); /* '10' */
            codec_bw_put64(&w, x >> ptz, 64 - plz - ptz);
        } else {
            unsigned len = 64 - lz - tz;
            /* '11', 5 bits leading zeros, 6 bits length (64 -> 0) */
            codec_bw_put(&w, (uint64_t)3 << 11 | (uint64_t)lz << 6 | (len & 63), 13);
            codec_bw_put64(&w, x >> tz, len);
            plz = lz;
            ptz = tz;
        }
    }
    if (w.fill) w.o++; /* the pending partial byte is already stored */
    b->len = (size_t)(w.o - b->p);
    return CODEC_OK;
}

int codec_xor_decode(const uint8_t **p, const uint8_t *end, double *out, size_t n) {
    assert(p != NULL && *p != NULL && end != NULL && (out != NULL || n == 0));
    if (n == 0) return CODEC_OK;
    codec_bitr r = {*p, (size_t)(end - *p), 0};
    uint64_t prev, t;
    if (codec_br_get64(&r, 64, &prev) != CODEC_OK) return CODEC_ECORRUPT;
    out[0] = codec_bits_dbl(prev);
    unsigned ptz = 0, plen = 0; /* plen 0: no window yet */
    for (size_t i = 1; i < n; i++) {
        if (codec_br_get(&r, 1, &t) != CODEC_OK) return CODEC_ECORRUPT;
        if (t == 0) {
            out[i] = codec_bits_dbl(prev);
            continue;
        }
        if (codec_br_get(&r, 1, &t) != CODEC_OK) return CODEC_ECORRUPT;
        if (t == 1) {
            if (codec_br_get(&r, 11, &t) != CODEC_OK) return CODEC_ECORRUPT;
            unsigned lz = (unsigned)(t >> 6), len = (unsigned)(t & 63);
            if (len == 0) len = 64;
            if (lz + len > 64) return CODEC_ECORRUPT;
            plen = len;
            ptz = 64 - lz - len;
        } else if (plen == 0) {
            return CODEC_ECORRUPT; /* '10' before any window */
        }
        uint64_t bits;
        if (codec_br_get64(&r, plen, &bits) != CODEC_OK) return CODEC_ECORRUPT;
        prev ^= bits << ptz;
        out[i] = codec_bits_dbl(prev);
    }
    size_t used = (r.pos + 7) / 8;
    if ((r.pos & 7) && (r.p[used - 1] & (0xffu >> (r.pos & 7)))) return CODEC_ECORRUPT;
    *p += used;
    return CODEC_OK;
}

/* ------------------------------------------------------------------ */
/* timestamp column                                                    */
/* ------------------------------------------------------------------ */

int codec_ts_encode(codec_buf *b, const int64_t *ts, size_t n) {
    assert(b != NULL && (ts != NULL || n == 0));
    if (n == 0) return CODEC_OK;
    for (size_t i = 0; i < n; i++) {
        if (ts[i] < 0 || ts[i] > CODEC_MAX_TS_MS) return CODEC_ECORRUPT;
        if (i > 0 && ts[i] <= ts[i - 1]) return CODEC_ECORRUPT;
    }
    size_t start = b->len;
    int rc = codec_put_uvarint(b, (uint64_t)ts[0]);
    if (rc == CODEC_OK && n > 1) {
        int64_t prev_delta = ts[1] - ts[0];
        rc = codec_put_uvarint(b, (uint64_t)prev_delta);
        uint64_t blk[CODEC_PFOR_BLOCK];
        for (size_t i = 2; i < n && rc == CODEC_OK; i += CODEC_PFOR_BLOCK) {
            size_t m = n - i < CODEC_PFOR_BLOCK ? n - i : CODEC_PFOR_BLOCK;
            for (size_t j = 0; j < m; j++) {
                int64_t delta, dod;
                if (__builtin_sub_overflow(ts[i + j], ts[i + j - 1], &delta) ||
                    __builtin_sub_overflow(delta, prev_delta, &dod)) {
                    rc = CODEC_ECORRUPT; /* cannot happen within [0, 2^53] */
                    break;
                }
                blk[j] = codec_zigzag(dod);
                prev_delta = delta;
            }
            if (rc == CODEC_OK) rc = codec_pfor_block_encode(b, blk, m);
        }
    }
    if (rc != CODEC_OK) b->len = start;
    return rc;
}

int codec_ts_decode(const uint8_t **p, const uint8_t *end, int64_t *out, size_t n) {
    assert(p != NULL && *p != NULL && end != NULL && (out != NULL || n == 0));
    if (n == 0) return CODEC_OK;
    const uint8_t *q = *p;
    uint64_t u;
    if (codec_get_uvarint(&q, end, &u) != CODEC_OK || u > (uint64_t)CODEC_MAX_TS_MS)
        return CODEC_ECORRUPT;
    int64_t t = (int64_t)u;
    out[0] = t;
    if (n > 1) {
        if (codec_get_uvarint(&q, end, &u) != CODEC_OK || u == 0 || u > (uint64_t)CODEC_MAX_TS_MS)
            return CODEC_ECORRUPT;
        int64_t delta = (int64_t)u;
        t += delta;
        if (t > CODEC_MAX_TS_MS) return CODEC_ECORRUPT;
        out[1] = t;
        uint64_t blk[CODEC_PFOR_BLOCK];
        for (size_t i = 2; i < n; i += CODEC_PFOR_BLOCK) {
            size_t m = n - i < CODEC_PFOR_BLOCK ? n - i : CODEC_PFOR_BLOCK;
            if (codec_pfor_block_decode(&q, end, blk, m) != CODEC_OK) return CODEC_ECORRUPT;
            for (size_t j = 0; j < m; j++) {
                if (__builtin_add_overflow(delta, codec_unzigzag(blk[j]), &delta) || delta <= 0 ||
                    __builtin_add_overflow(t, delta, &t) || t > CODEC_MAX_TS_MS)
                    return CODEC_ECORRUPT;
                out[i + j] = t;
            }
        }
    }
    *p = q;
    return CODEC_OK;
}

/* ------------------------------------------------------------------ */
/* value column                                                        */
/* ------------------------------------------------------------------ */

enum { CODEC_MODE_XOR = 0, CODEC_MODE_DELTA = 1, CODEC_MODE_DOD = 2, CODEC_MODE_PATCHED = 3 };

/* The scaled integer of value i: from kv when given (patched mode, where
 * the caller already rounded and placed the exceptions), else from v. */
static inline int64_t codec_scaled_k(const double *v, const int64_t *kv, size_t i, double p10) {
    return kv ? kv[i] : codec_round(v[i] * p10);
}

/* Scaled-integer candidate: mode, d, zigzag k0, [zigzag first delta,] PFor.
 * Returns CODEC_ECORRUPT when a difference overflows (candidate unusable). */
static int codec_scaled_encode(codec_buf *b, const double *v, const int64_t *kv, size_t n, int d,
                               int mode) {
    const double p10 = codec_pow10[d];
    int64_t k0 = codec_scaled_k(v, kv, 0, p10);
    int rc = codec_buf_reserve(b, 2 + 2 * UVARINT_MAX);
    if (rc != CODEC_OK) return rc;
    b->p[b->len++] = (uint8_t)mode;
    b->p[b->len++] = (uint8_t)d;
    b->len += codec_uvarint_raw(b->p + b->len, codec_zigzag(k0));
    int64_t prev = k0, prev_delta = 0;
    size_t first = 1;
    if (mode == CODEC_MODE_DOD && n > 1) {
        int64_t k1 = codec_scaled_k(v, kv, 1, p10);
        if (__builtin_sub_overflow(k1, k0, &prev_delta)) return CODEC_ECORRUPT;
        b->len += codec_uvarint_raw(b->p + b->len, codec_zigzag(prev_delta));
        prev = k1;
        first = 2;
    }
    uint64_t blk[CODEC_PFOR_BLOCK];
    for (size_t i = first; i < n; i += CODEC_PFOR_BLOCK) {
        size_t m = n - i < CODEC_PFOR_BLOCK ? n - i : CODEC_PFOR_BLOCK;
        for (size_t j = 0; j < m; j++) {
            int64_t k = codec_scaled_k(v, kv, i + j, p10), delta, dod;
            if (__builtin_sub_overflow(k, prev, &delta)) return CODEC_ECORRUPT;
            if (mode == CODEC_MODE_DELTA) {
                blk[j] = codec_zigzag(delta);
            } else {
                if (__builtin_sub_overflow(delta, prev_delta, &dod)) return CODEC_ECORRUPT;
                blk[j] = codec_zigzag(dod);
                prev_delta = delta;
            }
            prev = k;
        }
        rc = codec_pfor_block_encode(b, blk, m);
        if (rc != CODEC_OK) return rc;
    }
    return CODEC_OK;
}

/* Patched decimal: most values are d-decimal numbers but a few are not
 * (float noise like 73.96732207000001, NaN, -0.0, 1e300): those few become
 * exceptions after a scaled column of all the values, where each holds a
 * stand-in integer chosen to keep the differences small. */
#define CODEC_PATCH_MIN_N     16 /* below this, the exception list never pays */
#define CODEC_PATCH_MAX_SHARE 4  /* at most n/4 exceptions (9+ bytes each) */
#define CODEC_PATCH_SAMPLE    64 /* values looked at to guess the exponent */

/* Guesses the exponent of a patched column from CODEC_PATCH_SAMPLE values
 * spread over the column: the smallest d < below that covers all but a
 * quarter of the sample, or -1. Cheap on hopeless columns: it gives up once
 * more than a quarter of the sample fits no d < below. */
static int codec_patch_exponent(const double *v, size_t n, int below) {
    const size_t s = n < CODEC_PATCH_SAMPLE ? n : CODEC_PATCH_SAMPLE;
    const size_t limit = s / CODEC_PATCH_MAX_SHARE;
    size_t have[CODEC_MAX_DECIMALS + 1] = {0}, miss = 0;
    int64_t k;
    for (size_t j = 0; j < s; j++) {
        double x = v[j * n / s];
        int d = 0;
        if (isfinite(x))
            while (d < below && !codec_decimal_ok(x, d, &k)) d++;
        else
            d = below;
        if (d < below)
            have[d]++;
        else if (++miss > limit)
            return -1;
    }
    size_t covered = 0;
    for (int d = 0; d < below; d++)
        if ((covered += have[d]) >= s - limit) return d;
    return -1;
}

/* Scaled integers at d for a patched column: k[i] for the d-decimal values;
 * for the others (listed in exc[], at most max_exc of them) the nearest
 * integer llround(v*10^d) when |.| < 2^53 (float noise lands next to its
 * neighbours), else the previous integer (the first one for leading ones).
 * Returns the number of exceptions, or 0 when there are more than max_exc
 * or none at all. */
static size_t codec_patch_scale(const double *v, size_t n, int d, int64_t *k, size_t *exc,
                                size_t max_exc) {
    const double p10 = codec_pow10[d];
    size_t n_exc = 0, lead = 0;
    int64_t prev = 0;
    for (size_t i = 0; i < n; i++) {
        double x = v[i] * p10;
        int64_t r = 0;
        int near = 0;
        if (fabs(x) < 9007199254740992.0) { /* also rejects NaN, Inf */
            r = codec_round(x);
            near = r < CODEC_2P53 && r > -CODEC_2P53;
            if (near && codec_dbl_bits(codec_unscale(r, d)) == codec_dbl_bits(v[i])) {
                if (lead) /* leading far exceptions take the first integer */
                    for (size_t j = 0; j < i; j++) k[j] = r;
                k[i] = prev = r;
                lead = 0;
                continue;
            }
        }
        if (n_exc == max_exc) return 0;
        exc[n_exc++] = i;
        if (near) {
            if (lead)
                for (size_t j = 0; j < i; j++) k[j] = r;
            k[i] = prev = r;
            lead = 0;
        } else {
            k[i] = prev;
            if (i == lead) lead++; /* nothing before it holds an integer yet */
        }
    }
    return lead ? 0 : n_exc;
}

/* Builds the patched candidates (inner mode 1 and 2) after the current best
 * at b->p + start (*best bytes) and moves the smaller down over it. */
static int codec_patched_encode(codec_buf *b, const double *v, size_t n, int below, size_t *best,
                                size_t start) {
    if (n < CODEC_PATCH_MIN_N) return CODEC_OK;
    int d = codec_patch_exponent(v, n, below);
    if (d < 0) return CODEC_OK;
    const size_t max_exc = n / CODEC_PATCH_MAX_SHARE;
    int64_t *k = malloc(n * sizeof *k);
    size_t *exc = malloc(max_exc * sizeof *exc);
    if (!k || !exc) {
        free(k);
        free(exc);
        return CODEC_ENOMEM;
    }
    size_t n_exc = codec_patch_scale(v, n, d, k, exc, max_exc);
    if (n_exc * 9 >= *best) n_exc = 0; /* a gap byte and 8 bytes each: cannot win */
    int rc = CODEC_OK;
    for (int mode = CODEC_MODE_DELTA; mode <= CODEC_MODE_DOD && n_exc; mode++) {
        size_t mark = b->len;
        rc = codec_put_byte(b, CODEC_MODE_PATCHED);
        if (rc == CODEC_OK) rc = codec_scaled_encode(b, NULL, k, n, d, mode);
        if (rc == CODEC_OK) rc = codec_buf_reserve(b, UVARINT_MAX + n_exc * (UVARINT_MAX + 8));
        if (rc == CODEC_OK) {
            b->len += codec_uvarint_raw(b->p + b->len, n_exc);
            for (size_t e = 0; e < n_exc; e++) {
                b->len += codec_uvarint_raw(b->p + b->len, e ? exc[e] - exc[e - 1] - 1 : exc[0]);
                pw_put_le64(b->p + b->len, codec_dbl_bits(v[exc[e]]));
                b->len += 8;
            }
            size_t len = b->len - mark;
            if (len < *best) {
                memmove(b->p + start, b->p + mark, len);
                *best = len;
            }
        }
        b->len = start + *best;
        if (rc == CODEC_ENOMEM) break;
    }
    free(k);
    free(exc);
    return rc == CODEC_ENOMEM ? rc : CODEC_OK;
}

int codec_values_encode(codec_buf *b, const double *v, size_t n) {
    assert(b != NULL && (v != NULL || n == 0));
    if (n == 0) return CODEC_OK;
    size_t start = b->len;
    int rc = codec_put_byte(b, CODEC_MODE_XOR);
    if (rc == CODEC_OK) rc = codec_xor_encode(b, v, n);
    if (rc != CODEC_OK) {
        b->len = start;
        return rc;
    }
    /* Each candidate is encoded after the current best, then moved down
     * over it when smaller. */
    size_t best = b->len - start;
    int d = codec_decimal_exponent(v, n);
    static const int modes[] = {CODEC_MODE_DELTA, CODEC_MODE_DOD};
    for (size_t c = 0; d >= 0 && c < sizeof modes / sizeof modes[0]; c++) {
        size_t mark = b->len;
        rc = codec_scaled_encode(b, v, NULL, n, d, modes[c]);
        if (rc == CODEC_ENOMEM) {
            b->len = start;
            return rc;
        }
        size_t len = b->len - mark;
        if (rc == CODEC_OK && len < best) {
            memmove(b->p + start, b->p + mark, len);
            best = len;
        }
        b->len = start + best;
    }
    /* Patched: when no exponent fits every value, or a smaller one fits
     * nearly all of them (one 9-decimal reading among 2-decimal ones). */
    if (d != 0) {
        rc = codec_patched_encode(b, v, n, d < 0 ? CODEC_MAX_DECIMALS + 1 : d, &best, start);
        if (rc != CODEC_OK) {
            b->len = start;
            return rc;
        }
    }
    return CODEC_OK;
}

/* Adds a decoded difference to *acc, keeping |*acc| < 2^53 as the encoder
 * guarantees. */
static inline int codec_scaled_step(int64_t *acc, int64_t diff) {
    int64_t r;
    if (__builtin_add_overflow(*acc, diff, &r) || r >= CODEC_2P53 || r <= -CODEC_2P53)
        return CODEC_ECORRUPT;
    *acc = r;
    return CODEC_OK;
}

int codec_values_decode(const uint8_t **p, const uint8_t *end, double *out, size_t n) {
    assert(p != NULL && *p != NULL && end != NULL && (out != NULL || n == 0));
    if (n == 0) return CODEC_OK;
    const uint8_t *q = *p;
    uint8_t mode, db;
    if (codec_get_byte(&q, end, &mode) != CODEC_OK) return CODEC_ECORRUPT;
    if (mode == CODEC_MODE_PATCHED) {
        /* A scaled column (not itself patched), then the exceptions. */
        if (q >= end || (*q != CODEC_MODE_DELTA && *q != CODEC_MODE_DOD) ||
            codec_values_decode(&q, end, out, n) != CODEC_OK)
            return CODEC_ECORRUPT;
        uint64_t count, gap;
        if (codec_get_uvarint(&q, end, &count) != CODEC_OK || count == 0 || count >= n)
            return CODEC_ECORRUPT;
        uint64_t idx = 0;
        for (uint64_t c = 0; c < count; c++) {
            if (codec_get_uvarint(&q, end, &gap) != CODEC_OK) return CODEC_ECORRUPT;
            /* strictly increasing, inside the column */
            if (c == 0 ? gap >= n : gap >= n - idx - 1) return CODEC_ECORRUPT;
            idx = c == 0 ? gap : idx + gap + 1;
            if ((size_t)(end - q) < 8) return CODEC_ECORRUPT;
            uint64_t bits = 0;
            for (int j = 0; j < 8; j++) bits |= (uint64_t)q[j] << (8 * j);
            q += 8;
            memcpy(&out[idx], &bits, 8);
        }
        *p = q;
        return CODEC_OK;
    }
    if (mode == CODEC_MODE_XOR) {
        if (codec_xor_decode(&q, end, out, n) != CODEC_OK) return CODEC_ECORRUPT;
        *p = q;
        return CODEC_OK;
    }
    if (mode != CODEC_MODE_DELTA && mode != CODEC_MODE_DOD) return CODEC_ECORRUPT;
    if (codec_get_byte(&q, end, &db) != CODEC_OK || db > CODEC_MAX_DECIMALS) return CODEC_ECORRUPT;
    const int d = db;
    uint64_t u;
    int64_t k = 0, delta = 0;
    if (codec_get_uvarint(&q, end, &u) != CODEC_OK ||
        codec_scaled_step(&k, codec_unzigzag(u)) != CODEC_OK)
        return CODEC_ECORRUPT;
    out[0] = codec_unscale(k, d);
    size_t first = 1;
    if (mode == CODEC_MODE_DOD && n > 1) {
        if (codec_get_uvarint(&q, end, &u) != CODEC_OK) return CODEC_ECORRUPT;
        delta = codec_unzigzag(u);
        if (codec_scaled_step(&k, delta) != CODEC_OK) return CODEC_ECORRUPT;
        out[1] = codec_unscale(k, d);
        first = 2;
    }
    uint64_t blk[CODEC_PFOR_BLOCK];
    for (size_t i = first; i < n; i += CODEC_PFOR_BLOCK) {
        size_t m = n - i < CODEC_PFOR_BLOCK ? n - i : CODEC_PFOR_BLOCK;
        if (codec_pfor_block_decode(&q, end, blk, m) != CODEC_OK) return CODEC_ECORRUPT;
        /* one exact division per value bounds this loop; the checks run in
         * its shadow (a separate conversion pass measured slower) */
        if (mode == CODEC_MODE_DELTA) {
            for (size_t j = 0; j < m; j++) {
                if (codec_scaled_step(&k, codec_unzigzag(blk[j])) != CODEC_OK)
                    return CODEC_ECORRUPT;
                out[i + j] = codec_unscale(k, d);
            }
        } else {
            for (size_t j = 0; j < m; j++) {
                if (__builtin_add_overflow(delta, codec_unzigzag(blk[j]), &delta) ||
                    codec_scaled_step(&k, delta) != CODEC_OK)
                    return CODEC_ECORRUPT;
                out[i + j] = codec_unscale(k, d);
            }
        }
    }
    *p = q;
    return CODEC_OK;
}

/* ------------------------------------------------------------------ */
/* run-length column                                                   */
/* ------------------------------------------------------------------ */

static inline uint64_t codec_rle_get(const void *v, int kind, size_t i) {
    switch (kind) {
        case CODEC_RLE_U8:
            return ((const uint8_t *)v)[i];
        case CODEC_RLE_ROLLUP_COUNT:
            return ((const codec_rollup *)v)[i].count;
        default:
            return ((const uint64_t *)v)[i];
    }
}

int codec_rle_encode_kind(codec_buf *b, const void *v, int kind, size_t n) {
    size_t runs = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || codec_rle_get(v, kind, i) != codec_rle_get(v, kind, i - 1)) runs++;
    size_t start = b->len;
    int rc = codec_put_uvarint(b, runs);
    for (size_t i = 0; i < n && rc == CODEC_OK;) {
        uint64_t x = codec_rle_get(v, kind, i);
        size_t j = i + 1;
        while (j < n && codec_rle_get(v, kind, j) == x) j++;
        rc = codec_put_uvarint(b, x);
        if (rc == CODEC_OK) rc = codec_put_uvarint(b, j - i);
        i = j;
    }
    if (rc != CODEC_OK) b->len = start;
    return rc;
}

int codec_rle_decode_kind(const uint8_t **p, const uint8_t *end, void *out, int kind, size_t n) {
    const uint8_t *q = *p;
    uint64_t runs, x, len;
    const uint64_t maxv = kind == CODEC_RLE_U8             ? 0xff
                          : kind == CODEC_RLE_ROLLUP_COUNT ? 0xffffffffu
                                                           : UINT64_MAX;
    if (codec_get_uvarint(&q, end, &runs) != CODEC_OK || runs > n) return CODEC_ECORRUPT;
    size_t i = 0;
    for (uint64_t r = 0; r < runs; r++) {
        if (codec_get_uvarint(&q, end, &x) != CODEC_OK || x > maxv ||
            codec_get_uvarint(&q, end, &len) != CODEC_OK || len == 0 || len > n - i)
            return CODEC_ECORRUPT;
        size_t stop = i + (size_t)len;
        switch (kind) {
            case CODEC_RLE_U8:
                memset((uint8_t *)out + i, (int)x, (size_t)len);
                break;
            case CODEC_RLE_ROLLUP_COUNT:
                for (; i < stop; i++) ((codec_rollup *)out)[i].count = (uint32_t)x;
                break;
            default:
                for (; i < stop; i++) ((uint64_t *)out)[i] = x;
        }
        i = stop;
    }
    if (i != n) return CODEC_ECORRUPT;
    *p = q;
    return CODEC_OK;
}

int codec_rle_encode(codec_buf *b, const uint64_t *v, size_t n) {
    assert(b != NULL && (v != NULL || n == 0));
    return codec_rle_encode_kind(b, v, CODEC_RLE_U64, n);
}

int codec_rle_decode(const uint8_t **p, const uint8_t *end, uint64_t *out, size_t n) {
    assert(p != NULL && *p != NULL && end != NULL && (out != NULL || n == 0));
    return codec_rle_decode_kind(p, end, out, CODEC_RLE_U64, n);
}

/* ------------------------------------------------------------------ */
/* chunk                                                               */
/* ------------------------------------------------------------------ */

/* Fewest bytes that can encode a column of n values (FORMAT.md). Callers
 * size arrays from the header's n before decoding, so the header reader
 * checks n against these: a corrupt n (up to 2^24) in a short record must
 * fail at once, not after the caller allocated 17 or 48 bytes per point.
 * Each bound is at most the shortest valid encoding (for timestamps and
 * values exactly that: a regular series of zeros reaches it), so no valid
 * record is refused, and they hold n to about 32 points per byte of a chunk
 * and 10 buckets per byte of a rollup record. */

/* PFor: a block of up to 128 values is at least its 2 header bytes (w = 0,
 * no exceptions: no packed area). */
static inline size_t codec_pfor_min(size_t m) {
    return PFOR_HDR * ((m + CODEC_PFOR_BLOCK - 1) / CODEC_PFOR_BLOCK);
}

/* Timestamps: uvarint ts[0], uvarint first delta, PFor of n - 2. */
static inline size_t codec_ts_min(size_t n) {
    return n == 0 ? 0 : n == 1 ? 1 : 2 + codec_pfor_min(n - 2);
}

/* Values: the shortest mode. Delta: mode, d, uvarint k[0], PFor of n - 1;
 * delta-of-delta: the same plus uvarint first delta, PFor of n - 2; XOR:
 * mode, 64 bits, then at least 1 bit per value. Patched is an inner delta
 * or delta-of-delta column plus at least one exception, so never shorter. */
static inline size_t codec_values_min(size_t n) {
    if (n == 0) return 0;
    size_t delta = 3 + codec_pfor_min(n - 1);
    size_t dod = n == 1 ? 3 : 4 + codec_pfor_min(n - 2);
    size_t gorilla = 1 + (64 + (n - 1) + 7) / 8;
    size_t m = delta < dod ? delta : dod;
    return m < gorilla ? m : gorilla;
}

/* RLE: uvarint runs, and with n > 0 at least one run (value, length). */
static inline size_t codec_rle_min(size_t n) {
    return n == 0 ? 1 : 3;
}

/* Rollup version 3, derived layout: uvarint F0, then a bit stream of 5-bit
 * Rice parameters (4 for one bucket, 5 for more) and at least 1 bit per
 * value (5n - 1 values). */
static inline size_t codec_derived_min(size_t n) {
    return n == 0 ? 0 : 1 + (20 + (n > 1 ? 5 : 0) + 5 * n - 1 + 7) / 8;
}

/* Version byte and uvarint n of a chunk (rollup = 0) or rollup record
 * (rollup = 1); n in [min_n, 2^24] and encodable in the bytes left. */
int codec_header_read(const uint8_t **p, const uint8_t *end, uint64_t min_n, int rollup, size_t *n,
                      uint8_t *version) {
    uint8_t ver;
    uint64_t u;
    /* Version 2 added value mode 3, rollup version 3 the derived layout;
     * older versions are still read. */
    const unsigned max_ver = rollup ? CODEC_ROLLUP_VERSION : CODEC_CHUNK_VERSION;
    if (codec_get_byte(p, end, &ver) != CODEC_OK || ver < 1 || ver > max_ver ||
        codec_get_uvarint(p, end, &u) != CODEC_OK || u < min_n || u > CODEC_MAX_POINTS)
        return CODEC_ECORRUPT;
    size_t cnt = (size_t)u;
    size_t need;
    if (!rollup) {
        need = codec_ts_min(cnt) + codec_rle_min(cnt) + codec_values_min(cnt); /* ts, values, q */
    } else if (ver < 3) {
        need = codec_ts_min(cnt) + codec_rle_min(cnt) + 5 * codec_values_min(cnt);
    } else if (cnt == 0) {
        need = 0;
    } else {
        /* layout byte, ts, counts, then the shorter of the two layouts */
        size_t cols = 5 * codec_values_min(cnt), der = codec_derived_min(cnt);
        need = 1 + codec_ts_min(cnt) + codec_rle_min(cnt) + (der < cols ? der : cols);
    }
    if ((size_t)(end - *p) < need) return CODEC_ECORRUPT;
    *n = cnt;
    if (version) *version = ver;
    return CODEC_OK;
}

static int codec_header_write(codec_buf *b, size_t n) {
    int rc = codec_put_byte(b, CODEC_CHUNK_VERSION);
    return rc == CODEC_OK ? codec_put_uvarint(b, n) : rc;
}

int codec_chunk_encode(codec_buf *b, const int64_t *ts, const double *v, const uint8_t *q,
                       size_t n) {
    assert(b != NULL && ts != NULL && v != NULL && q != NULL);
    if (n == 0 || n > CODEC_MAX_POINTS) return CODEC_ECORRUPT;
    size_t start = b->len;
    int rc = codec_header_write(b, n);
    if (rc == CODEC_OK) rc = codec_ts_encode(b, ts, n);
    if (rc == CODEC_OK) rc = codec_values_encode(b, v, n);
    if (rc == CODEC_OK) rc = codec_rle_encode_kind(b, q, CODEC_RLE_U8, n);
    if (rc != CODEC_OK) b->len = start;
    return rc;
}

int codec_chunk_count(const uint8_t *p, size_t len, size_t *n) {
    assert((p != NULL || len == 0) && n != NULL);
    if (p == NULL) return CODEC_ECORRUPT;
    return codec_header_read(&p, p + len, 1, 0, n, NULL);
}

/* Decodes into arrays of capacity n; the chunk's own count must fit. */
int codec_chunk_decode(const uint8_t *p, size_t len, int64_t *ts, double *v, uint8_t *q, size_t n) {
    assert(ts != NULL && v != NULL && q != NULL);
    if (p == NULL) return CODEC_ECORRUPT;
    const uint8_t *end = p + len;
    size_t cnt;
    if (codec_header_read(&p, end, 1, 0, &cnt, NULL) != CODEC_OK || cnt > n ||
        codec_ts_decode(&p, end, ts, cnt) != CODEC_OK ||
        codec_values_decode(&p, end, v, cnt) != CODEC_OK ||
        codec_rle_decode_kind(&p, end, q, CODEC_RLE_U8, cnt) != CODEC_OK || p != end)
        return CODEC_ECORRUPT;
    return CODEC_OK;
}

/* ------------------------------------------------------------------ */
/* CRC-32C                                                             */
/* ------------------------------------------------------------------ */

/* Kept for its callers; the one CRC-32C is common/crc32c.c. */
uint32_t codec_crc32c(uint32_t crc, const void *p, size_t n) {
    return pw_crc32c(crc, p, n);
}
