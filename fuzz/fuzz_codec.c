/*
 * fuzz_codec.c - libFuzzer target of the historian's chunk and rollup
 * decoders (historian/codec.h).
 *
 * The input is taken as a stored chunk and as a stored rollup record, the
 * way the historian reads them from RocksDB: count from the header, arrays
 * of that size, then the decode. Any input must decode or give
 * CODEC_ECORRUPT, without a crash, a leak or a read outside the input (it
 * is handed over in an exactly sized heap copy, so ASan sees an overrun by
 * one byte). For inputs that decode, the round trip must hold:
 *   decode(x) = P, encode(P) succeeds (the decoder accepted only what the
 *   encoder can write: strictly increasing timestamps in range, qualities
 *   in a byte, counts in 32 bits), decode(encode(P)) = P bit for bit (NaN
 *   payloads and -0.0 included), and encoding is deterministic.
 * Rollup records of every version are read (1 and 2: five value columns;
 * 3: the derived layout or the columns) and re-encoded as version 3.
 * A broken property aborts, which libFuzzer reports as a crash.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "historian/codec.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_codec: property failed: %s (line %d)\n", #cond, __LINE__);       \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static void chunk_round_trip(const uint8_t *p, size_t len) {
    size_t n;
    if (codec_chunk_count(p, len, &n) != CODEC_OK) return;
    int64_t *ts = malloc((n ? n : 1) * sizeof *ts);
    double *v = malloc((n ? n : 1) * sizeof *v);
    uint8_t *q = malloc(n ? n : 1);
    CHECK(ts && v && q);
    if (codec_chunk_decode(p, len, ts, v, q, n) == CODEC_OK) {
        CHECK(n >= 1);
        for (size_t i = 0; i < n; i++) {
            CHECK(ts[i] >= 0 && ts[i] <= CODEC_MAX_TS_MS);
            CHECK(i == 0 || ts[i] > ts[i - 1]);
        }
        /* a smaller capacity than the chunk's count is refused */
        CHECK(codec_chunk_decode(p, len, ts, v, q, n - 1) == CODEC_ECORRUPT);
        codec_buf b1 = {0}, b2 = {0};
        CHECK(codec_chunk_encode(&b1, ts, v, q, n) == CODEC_OK);
        CHECK(codec_chunk_encode(&b2, ts, v, q, n) == CODEC_OK);
        CHECK(b1.len == b2.len && memcmp(b1.p, b2.p, b1.len) == 0);
        uint8_t *copy = malloc(b1.len);
        CHECK(copy);
        memcpy(copy, b1.p, b1.len);
        size_t n2;
        CHECK(codec_chunk_count(copy, b1.len, &n2) == CODEC_OK && n2 == n);
        int64_t *ts2 = malloc(n * sizeof *ts2);
        double *v2 = malloc(n * sizeof *v2);
        uint8_t *q2 = malloc(n);
        CHECK(ts2 && v2 && q2);
        CHECK(codec_chunk_decode(copy, b1.len, ts2, v2, q2, n) == CODEC_OK);
        CHECK(memcmp(ts, ts2, n * sizeof *ts) == 0);
        CHECK(memcmp(v, v2, n * sizeof *v) == 0);
        CHECK(memcmp(q, q2, n) == 0);
        free(ts2);
        free(v2);
        free(q2);
        free(copy);
        codec_buf_free(&b1);
        codec_buf_free(&b2);
    }
    free(ts);
    free(v);
    free(q);
}

static void rollup_round_trip(const uint8_t *p, size_t len) {
    size_t n;
    if (codec_rollup_count(p, len, &n) != CODEC_OK) return;
    codec_rollup *r = malloc((n ? n : 1) * sizeof *r); /* as the historian reads them */
    CHECK(r);
    if (codec_rollup_decode(p, len, r, n) == CODEC_OK) {
        for (size_t i = 0; i < n; i++) {
            CHECK(r[i].ts_ms >= 0 && r[i].ts_ms <= CODEC_MAX_TS_MS);
            CHECK(i == 0 || r[i].ts_ms > r[i - 1].ts_ms);
        }
        if (n > 0) CHECK(codec_rollup_decode(p, len, r, n - 1) == CODEC_ECORRUPT);
        codec_buf b = {0}, b2 = {0};
        CHECK(codec_rollup_encode(&b, r, n) == CODEC_OK);
        CHECK(codec_rollup_encode(&b2, r, n) == CODEC_OK);
        CHECK(b.len == b2.len && memcmp(b.p, b2.p, b.len) == 0);
        /* whatever version was read, the writer's is the current one */
        CHECK(b.len >= 2 && b.p[0] == CODEC_ROLLUP_VERSION);
        codec_buf_free(&b2);
        uint8_t *copy = malloc(b.len);
        CHECK(copy);
        memcpy(copy, b.p, b.len);
        size_t n2;
        CHECK(codec_rollup_count(copy, b.len, &n2) == CODEC_OK && n2 == n);
        codec_rollup *r2 = calloc(n ? n : 1, sizeof *r2);
        CHECK(r2);
        CHECK(codec_rollup_decode(copy, b.len, r2, n) == CODEC_OK);
        for (size_t i = 0; i < n; i++) {
            CHECK(r[i].ts_ms == r2[i].ts_ms && r[i].count == r2[i].count);
            CHECK(memcmp(&r[i].min, &r2[i].min, sizeof(double)) == 0);
            CHECK(memcmp(&r[i].max, &r2[i].max, sizeof(double)) == 0);
            CHECK(memcmp(&r[i].sum, &r2[i].sum, sizeof(double)) == 0);
            CHECK(memcmp(&r[i].first, &r2[i].first, sizeof(double)) == 0);
            CHECK(memcmp(&r[i].last, &r2[i].last, sizeof(double)) == 0);
        }
        free(r2);
        free(copy);
        codec_buf_free(&b);
    }
    free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* exactly sized copy: libFuzzer's own buffer is exactly sized too, but
     * a NULL data with size 0 must not reach the decoders as "no input" */
    uint8_t *p = malloc(size ? size : 1);
    if (!p) return 0;
    if (size) memcpy(p, data, size);
    chunk_round_trip(p, size);
    rollup_round_trip(p, size);
    free(p);
    return 0;
}
