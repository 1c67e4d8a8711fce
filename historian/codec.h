/*
 * codec.h - time-series encoders of the historian (private to historian/).
 *
 * Pure functions over buffers: no I/O, no RocksDB, no global state, so each
 * encoder is tested and benchmarked on its own (the Prometheus TSDB habit).
 * The bit layouts are written down in historian/FORMAT.md; change one and
 * the other together, and bump CODEC_CHUNK_VERSION.
 *
 * Ownership: encoders append to a caller-owned codec_buf (grown with
 * realloc, freed by codec_buf_free). Decoders read a caller-owned byte range
 * and write into caller-owned arrays sized as the function says; they never
 * read outside [p, p+len) and return CODEC_ECORRUPT on any malformed input,
 * never crash (the chunk decoder is a fuzz target).
 *
 * Threads: every function is reentrant; a codec_buf belongs to one thread.
 */
#ifndef PARKWATCH_HISTORIAN_CODEC_H
#define PARKWATCH_HISTORIAN_CODEC_H

#include <stddef.h>
#include <stdint.h>

#define CODEC_OK       0
#define CODEC_ECORRUPT (-1)
#define CODEC_ENOMEM   (-2)

#define CODEC_CHUNK_VERSION 2 /* 2: value mode 3 (patched decimal); readers accept 1 and 2 */
/* 3: derived layout (FORMAT.md); rollup readers accept 1 to 3 */
#define CODEC_ROLLUP_VERSION 3
/* Block length of the patched frame-of-reference integer packing. */
#define CODEC_PFOR_BLOCK 128
/* Largest decimal exponent tried by the scaled-integer value encoding. */
#define CODEC_MAX_DECIMALS 9
/* Timestamps are limited to [0, CODEC_MAX_TS_MS] so deltas never overflow. */
#define CODEC_MAX_TS_MS ((int64_t)1 << 53)

/* ---- growable output buffer ---- */
typedef struct codec_buf {
    uint8_t *p;
    size_t len, cap;
} codec_buf;

int codec_buf_reserve(codec_buf *b, size_t extra);
int codec_buf_put(codec_buf *b, const void *src, size_t n);
void codec_buf_free(codec_buf *b);

/* ---- primitives ---- */
static inline uint64_t codec_zigzag(int64_t v) {
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}
static inline int64_t codec_unzigzag(uint64_t u) {
    return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}
int codec_put_uvarint(codec_buf *b, uint64_t v);
/* Reads a varint from *p (not past end); advances *p. Returns CODEC_OK or ECORRUPT. */
int codec_get_uvarint(const uint8_t **p, const uint8_t *end, uint64_t *out);

/* Decimal exponent d in [0, CODEC_MAX_DECIMALS] such that every value v[i]
 * is exactly (double)llround(v[i]*10^d) / 10^d (bit for bit, so -0.0, NaN and
 * Inf never qualify) with |llround(v*10^d)| < 2^53; the smallest such d, or
 * -1 when none exists. */
int codec_decimal_exponent(const double *v, size_t n);

/* ---- integer columns: patched frame-of-reference (PFor) ----
 * Packs n unsigned integers in blocks of CODEC_PFOR_BLOCK with one bit width
 * per block and exceptions for the few values wider than it. */
int codec_pfor_encode(codec_buf *b, const uint64_t *v, size_t n);
/* Decodes exactly n values into out[n]. */
int codec_pfor_decode(const uint8_t **p, const uint8_t *end, uint64_t *out, size_t n);

/* ---- Gorilla XOR float column (Facebook Gorilla paper, VLDB 2015, 4.1.2) ---- */
int codec_xor_encode(codec_buf *b, const double *v, size_t n);
int codec_xor_decode(const uint8_t **p, const uint8_t *end, double *out, size_t n);

/* ---- columns ----
 * Timestamp column: strictly increasing int64 ms in [0, CODEC_MAX_TS_MS]:
 * first value, first delta, then delta-of-delta, zigzag, PFor. */
int codec_ts_encode(codec_buf *b, const int64_t *ts, size_t n);
int codec_ts_decode(const uint8_t **p, const uint8_t *end, int64_t *out, size_t n);

/* Double column: picks the smallest of scaled-integer delta, scaled-integer
 * delta-of-delta (when codec_decimal_exponent finds d), patched decimal (a
 * scaled column at a d that fits all but at most n/4 values, those few
 * stored as exceptions with their raw bits) and Gorilla XOR; one mode byte
 * says which. Lossless bit for bit in every mode. */
int codec_values_encode(codec_buf *b, const double *v, size_t n);
int codec_values_decode(const uint8_t **p, const uint8_t *end, double *out, size_t n);

/* Small unsigned integer column (counts, qualities): run-length pairs. */
int codec_rle_encode(codec_buf *b, const uint64_t *v, size_t n);
int codec_rle_decode(const uint8_t **p, const uint8_t *end, uint64_t *out, size_t n);

/* ---- chunk: the points of one series in one time window ----
 * Layout: version byte, uvarint n (>= 1), ts column, values column,
 * quality column (RLE of bytes). Points must be sorted by strictly
 * increasing timestamp. */
int codec_chunk_encode(codec_buf *b, const int64_t *ts, const double *v, const uint8_t *q,
                       size_t n);
/* The number of points, from the header, checked against the record's
 * length: a count the bytes could not hold is CODEC_ECORRUPT (so callers
 * may size arrays by it). Pass the whole record. */
int codec_chunk_count(const uint8_t *p, size_t len, size_t *n);
/* Decodes a whole chunk; arrays must hold codec_chunk_count() entries. */
int codec_chunk_decode(const uint8_t *p, size_t len, int64_t *ts, double *v, uint8_t *q, size_t n);

/* ---- rollup record: aggregates of consecutive buckets of one series ----
 * Each bucket: start ts, count of aggregated points, min, max, sum, first,
 * last. Layout (version 3): version byte, uvarint n, and for n >= 1 a
 * layout byte (shared decimal exponent or "columns", unit of the starts),
 * ts column of bucket starts / unit, count column (RLE), then either the
 * derived body, five residuals a bucket on the shared decimal scale (first
 * - previous last, last - first, min and max beyond first/last, sum -
 * count x midrange) Rice-coded in one bit stream, or when shorter or when
 * the values share no decimal scale, min, max, sum, first, last as value
 * columns (versions 1 and 2 hold only those, without the layout byte).
 * Every double round-trips bit for bit. */
typedef struct codec_rollup {
    int64_t ts_ms; /* bucket start */
    uint32_t count;
    double min, max, sum, first, last;
} codec_rollup;

int codec_rollup_encode(codec_buf *b, const codec_rollup *r, size_t n);
int codec_rollup_count(const uint8_t *p, size_t len, size_t *n);
int codec_rollup_decode(const uint8_t *p, size_t len, codec_rollup *r, size_t n);

/* CRC-32C (Castagnoli), used by the write-ahead log records. */
uint32_t codec_crc32c(uint32_t crc, const void *p, size_t n);

#endif
