/*
 * gen_codec_corpus.c - writes the seed corpus of fuzz_codec: encoded chunks
 * and rollup records of the shapes the historian stores (regular and
 * jittered timestamps, decimal values, patched-decimal noise, NaN and -0.0,
 * Gorilla XOR, qualities, a block boundary; rollup records in the derived
 * and the column layouts).
 *
 *   gen_codec_corpus DIR
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "historian/codec.h"

#define N_MAX 300

static const char *dir;

static void write_file(const char *name, const codec_buf *b) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(b->p, 1, b->len, f) != b->len || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

static void chunk(const char *name, const int64_t *ts, const double *v, const uint8_t *q,
                  size_t n) {
    codec_buf b = {0};
    if (codec_chunk_encode(&b, ts, v, q, n) != CODEC_OK) {
        fprintf(stderr, "gen_codec_corpus: %s does not encode\n", name);
        exit(1);
    }
    write_file(name, &b);
    codec_buf_free(&b);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: gen_codec_corpus DIR\n");
        return 2;
    }
    dir = argv[1];
    static int64_t ts[N_MAX];
    static double v[N_MAX];
    static uint8_t q[N_MAX];
    uint64_t x = 0x9E3779B97F4A7C15ull;
    /* regular 1 s series of a level quantised to 2 decimals, good quality */
    for (size_t i = 0; i < N_MAX; i++) {
        ts[i] = 1700000000000 + (int64_t)i * 1000;
        v[i] = round((12.5 + sin((double)i / 20.0)) * 100) / 100;
        q[i] = 0;
    }
    chunk("chunk-regular-decimal", ts, v, q, 60);
    chunk("chunk-one-point", ts, v, q, 1);
    chunk("chunk-two-blocks", ts, v, q, 260);
    /* jittered timestamps, integer counter (delta-of-delta values) */
    for (size_t i = 0; i < N_MAX; i++) {
        x ^= x >> 12, x ^= x << 25, x ^= x >> 27;
        ts[i] = (i ? ts[i - 1] : 1700000000000) + 900 + (int64_t)(x % 200);
        v[i] = (double)(1000 + 7 * i);
        q[i] = i % 17 == 0 ? 0x40 : 0;
    }
    chunk("chunk-jitter-counter", ts, v, q, 100);
    /* mostly decimal with float noise, NaN, -0.0 and Inf (patched decimal) */
    for (size_t i = 0; i < N_MAX; i++) v[i] = round(73.9 * 1000 + (double)i) / 1000;
    v[3] = 73.96732207000001, v[10] = NAN, v[20] = -0.0, v[30] = INFINITY;
    q[10] = 0x80;
    chunk("chunk-patched", ts, v, q, 64);
    /* random doubles: Gorilla XOR */
    for (size_t i = 0; i < N_MAX; i++) {
        x ^= x >> 12, x ^= x << 25, x ^= x >> 27;
        v[i] = (double)(x >> 11) / 9007199254740992.0 * 1e6 - 5e5;
        q[i] = (uint8_t)(x >> 56);
    }
    chunk("chunk-xor", ts, v, q, 50);
    /* extremes of the timestamp range */
    ts[0] = 0, ts[1] = 1, ts[2] = CODEC_MAX_TS_MS;
    v[0] = 0, v[1] = -1e308, v[2] = 5e-324;
    chunk("chunk-extremes", ts, v, q, 3);
    /* rollup records of 1 minute buckets */
    static codec_rollup r[N_MAX];
    for (size_t i = 0; i < 40; i++) {
        r[i].ts_ms = 1700000000000 + (int64_t)i * 60000;
        r[i].count = 60;
        r[i].min = 10 + (double)i / 10, r[i].max = 12 + (double)i / 10;
        r[i].sum = 660 + (double)i * 6;
        r[i].first = r[i].min, r[i].last = r[i].max;
    }
    r[5].count = 59;
    codec_buf b = {0};
    if (codec_rollup_encode(&b, r, 40) != CODEC_OK) return 1;
    write_file("rollup-minutes", &b);
    b.len = 0;
    if (codec_rollup_encode(&b, r, 1) != CODEC_OK) return 1;
    write_file("rollup-one", &b);
    /* version 3 derived layout: a 2-decimal random walk with a step change
     * (escaped residuals), and one hour bucket */
    double w = 231.57;
    for (size_t i = 0; i < 15; i++) {
        r[i].ts_ms = 1767225600000 + (int64_t)i * 60000;
        r[i].count = 60;
        double s = 0;
        for (int k = 0; k < 60; k++) {
            x ^= x >> 12, x ^= x << 25, x ^= x >> 27;
            w += (double)(x % 41) / 100 - 0.2 + (i == 9 && k == 0 ? 5000 : 0);
            double y = round(w * 100) / 100;
            if (k == 0) r[i].first = r[i].min = r[i].max = y;
            r[i].min = fmin(r[i].min, y), r[i].max = fmax(r[i].max, y);
            r[i].last = y;
            s += y;
        }
        r[i].sum = round(s * 100) / 100;
    }
    b.len = 0;
    if (codec_rollup_encode(&b, r, 15) != CODEC_OK) return 1;
    write_file("rollup-derived", &b);
    codec_rollup h = {.ts_ms = 1767225600000,
                      .count = 3600,
                      .min = 99.5,
                      .max = 130.25,
                      .sum = 401234.75,
                      .first = 101,
                      .last = 120.5};
    b.len = 0;
    if (codec_rollup_encode(&b, &h, 1) != CODEC_OK) return 1;
    write_file("rollup-hour", &b);
    /* not on one decimal scale: the five columns inside version 3 */
    h.sum = -0.0;
    b.len = 0;
    if (codec_rollup_encode(&b, &h, 1) != CODEC_OK) return 1;
    write_file("rollup-columns", &b);
    codec_buf_free(&b);
    return 0;
}
