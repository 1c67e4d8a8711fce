/*
 * test_codec.c - unit tests of historian/codec.c: round trips of every
 * encoder on edge values, block boundaries and seeded random data, decoder
 * robustness on truncated, bit-flipped and hand-crafted malformed input,
 * encoded size targets, and the CRC-32C known answer.
 *
 * Every decode runs on an exactly sized heap copy of the encoded bytes, so
 * under AddressSanitizer any read past the input is caught.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "historian/codec.h"

#define MAX_TS CODEC_MAX_TS_MS

/* ---- helpers ---- */

static uint64_t rng_state;

static void rng_seed(uint64_t s) {
    rng_state = s ? s : 0x9E3779B97F4A7C15ull;
}

/* xorshift64*: deterministic across platforms. */
static uint64_t rng(void) {
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}

static uint64_t rng_below(uint64_t n) {
    return n ? rng() % n : 0;
}

/* Uniform in [0, 1). */
static double rng_unit(void) {
    return (double)(rng() >> 11) / 9007199254740992.0;
}

static uint64_t rng_bits(unsigned w) {
    if (w == 0) return 0;
    return w >= 64 ? rng() : rng() & (((uint64_t)1 << w) - 1);
}

static double dbl(uint64_t bits) {
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

static uint64_t bits_of(double d) {
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static void assert_doubles_identical(const double *a, const double *b, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (bits_of(a[i]) != bits_of(b[i]))
            fail_msg("value %zu differs: %016llx vs %016llx", i, (unsigned long long)bits_of(a[i]),
                     (unsigned long long)bits_of(b[i]));
    }
}

/* Exactly sized heap copy (at least one byte so malloc never returns NULL for 0). */
static uint8_t *dup_exact(const uint8_t *p, size_t n) {
    uint8_t *q = malloc(n ? n : 1);
    assert_non_null(q);
    if (n) memcpy(q, p, n);
    return q;
}

static size_t uvarint_len(uint64_t v) {
    size_t n = 1;
    for (; v >= 0x80; v >>= 7) n++;
    return n;
}

static unsigned bitlen(uint64_t v) {
    unsigned n = 0;
    for (; v; v >>= 1) n++;
    return n;
}

typedef int (*decode_fn)(const uint8_t **, const uint8_t *, void *, size_t);

/* Every strict prefix of enc must be rejected (the decoder reads a fixed
 * structure, so a shorter input always runs out of bytes). */
static void check_prefixes_rejected(const codec_buf *enc, decode_fn dec, size_t n, size_t elem) {
    void *out = malloc((n ? n : 1) * elem);
    assert_non_null(out);
    for (size_t len = 0; len < enc->len; len++) {
        uint8_t *cp = dup_exact(enc->p, len);
        const uint8_t *p = cp;
        if (dec(&p, cp + len, out, n) != CODEC_ECORRUPT)
            fail_msg("prefix of %zu of %zu bytes accepted", len, enc->len);
        assert_ptr_equal(p, cp); /* not advanced on error */
        free(cp);
    }
    free(out);
}

static int dec_pfor(const uint8_t **p, const uint8_t *e, void *o, size_t n) {
    return codec_pfor_decode(p, e, o, n);
}
static int dec_xor(const uint8_t **p, const uint8_t *e, void *o, size_t n) {
    return codec_xor_decode(p, e, o, n);
}
static int dec_ts(const uint8_t **p, const uint8_t *e, void *o, size_t n) {
    return codec_ts_decode(p, e, o, n);
}
static int dec_values(const uint8_t **p, const uint8_t *e, void *o, size_t n) {
    return codec_values_decode(p, e, o, n);
}
static int dec_rle(const uint8_t **p, const uint8_t *e, void *o, size_t n) {
    return codec_rle_decode(p, e, o, n);
}

/* Decodes enc fully (must consume it exactly) into out. */
static void decode_all(const codec_buf *enc, decode_fn dec, void *out, size_t n) {
    uint8_t *cp = dup_exact(enc->p, enc->len);
    const uint8_t *p = cp;
    assert_int_equal(dec(&p, cp + enc->len, out, n), CODEC_OK);
    assert_ptr_equal(p, cp + enc->len);
    free(cp);
}

/* Decoding raw bytes must fail. */
static void expect_corrupt(const uint8_t *bytes, size_t len, decode_fn dec, size_t n, size_t elem) {
    uint8_t *cp = dup_exact(bytes, len);
    void *out = malloc((n ? n : 1) * elem);
    assert_non_null(out);
    const uint8_t *p = cp;
    assert_int_equal(dec(&p, cp + len, out, n), CODEC_ECORRUPT);
    free(out);
    free(cp);
}

/* ---- varint, zigzag ---- */

static void test_uvarint(void **state) {
    (void)state;
    static const struct {
        uint64_t v;
        size_t len;
    } cases[] = {{0, 1},         {1, 1},           {127, 1},        {128, 2},
                 {300, 2},       {16383, 2},       {16384, 3},      {(uint64_t)1 << 35, 6},
                 {INT64_MAX, 9}, {1ull << 63, 10}, {UINT64_MAX, 10}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        codec_buf b = {0};
        assert_int_equal(codec_put_uvarint(&b, cases[i].v), CODEC_OK);
        assert_int_equal(b.len, cases[i].len);
        uint8_t *cp = dup_exact(b.p, b.len);
        const uint8_t *p = cp;
        uint64_t got = 0;
        assert_int_equal(codec_get_uvarint(&p, cp + b.len, &got), CODEC_OK);
        assert_true(got == cases[i].v);
        assert_ptr_equal(p, cp + b.len);
        for (size_t len = 0; len < b.len; len++) {
            p = cp;
            assert_int_equal(codec_get_uvarint(&p, cp + len, &got), CODEC_ECORRUPT);
            assert_ptr_equal(p, cp);
        }
        free(cp);
        codec_buf_free(&b);
    }
    /* 300 = 0xac 0x02 */
    {
        codec_buf b = {0};
        assert_int_equal(codec_put_uvarint(&b, 300), CODEC_OK);
        assert_int_equal(b.p[0], 0xac);
        assert_int_equal(b.p[1], 0x02);
        codec_buf_free(&b);
    }
    static const uint8_t nonminimal[] = {0x80, 0x00};
    static const uint8_t eleven[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                     0xff, 0xff, 0xff, 0xff, 0x01};
    static const uint8_t over64[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02};
    const uint8_t *bad[] = {nonminimal, eleven, over64};
    size_t badlen[] = {sizeof nonminimal, sizeof eleven, sizeof over64};
    for (size_t i = 0; i < 3; i++) {
        uint8_t *cp = dup_exact(bad[i], badlen[i]);
        const uint8_t *p = cp;
        uint64_t got;
        assert_int_equal(codec_get_uvarint(&p, cp + badlen[i], &got), CODEC_ECORRUPT);
        free(cp);
    }
}

static void test_zigzag(void **state) {
    (void)state;
    assert_true(codec_zigzag(0) == 0);
    assert_true(codec_zigzag(-1) == 1);
    assert_true(codec_zigzag(1) == 2);
    assert_true(codec_zigzag(-2) == 3);
    assert_true(codec_zigzag(INT64_MAX) == UINT64_MAX - 1);
    assert_true(codec_zigzag(INT64_MIN) == UINT64_MAX);
    static const int64_t vals[] = {0, 1, -1, 63, -64, 1000000, -1000000, INT64_MAX, INT64_MIN};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++)
        assert_true(codec_unzigzag(codec_zigzag(vals[i])) == vals[i]);
}

/* ---- PFor ---- */

/* Smallest possible size of one block, trying every width. */
static size_t pfor_block_bruteforce(const uint64_t *v, size_t m) {
    size_t best = SIZE_MAX;
    for (unsigned w = 0; w <= 64; w++) {
        size_t cost = 2 + (m * w + 7) / 8;
        for (size_t i = 0; i < m; i++)
            if (bitlen(v[i]) > w) cost += 1 + uvarint_len(v[i] >> w);
        if (cost < best) best = cost;
    }
    return best;
}

/* Round trip; returns the encoded size and checks it is optimal. */
static size_t pfor_roundtrip(const uint64_t *v, size_t n, int check_prefixes) {
    codec_buf b = {0};
    assert_int_equal(codec_pfor_encode(&b, v, n), CODEC_OK);
    size_t optimal = 0;
    for (size_t i = 0; i < n; i += CODEC_PFOR_BLOCK)
        optimal += pfor_block_bruteforce(v + i, n - i < 128 ? n - i : 128);
    assert_int_equal(b.len, optimal);
    uint64_t *out = malloc((n ? n : 1) * sizeof *out);
    assert_non_null(out);
    decode_all(&b, dec_pfor, out, n);
    for (size_t i = 0; i < n; i++)
        if (out[i] != v[i])
            fail_msg("pfor value %zu: got %llu want %llu", i, (unsigned long long)out[i],
                     (unsigned long long)v[i]);
    if (check_prefixes) check_prefixes_rejected(&b, dec_pfor, n, sizeof(uint64_t));
    size_t len = b.len;
    free(out);
    codec_buf_free(&b);
    return len;
}

static void test_pfor_edges(void **state) {
    (void)state;
    static uint64_t v[600];
    static const size_t ns[] = {0, 1, 2, 127, 128, 129, 255, 256, 257, 513};
    for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++) {
        size_t n = ns[k], blocks = (n + 127) / 128;
        memset(v, 0, sizeof v);
        /* all zero: two header bytes per block */
        assert_int_equal(pfor_roundtrip(v, n, 1), 2 * blocks);
        /* all ones of 64 bits: width 64, no exceptions */
        for (size_t i = 0; i < n; i++) v[i] = UINT64_MAX;
        assert_int_equal(pfor_roundtrip(v, n, 1), 2 * blocks + 8 * n);
        /* every width 0..64 cycling, including the 58..64 two-word path */
        for (size_t i = 0; i < n; i++) v[i] = rng_bits((unsigned)(i % 65)) | (i % 65 ? 1 : 0);
        pfor_roundtrip(v, n, 1);
        for (unsigned w = 1; w <= 64; w++) {
            for (size_t i = 0; i < n; i++) v[i] = rng_bits(w) | ((uint64_t)1 << (w - 1));
            size_t len = pfor_roundtrip(v, n, 0);
            assert_int_equal(len, 2 * blocks + (n / 128) * 16 * w + ((n % 128) * w + 7) / 8);
        }
    }
}

static void test_pfor_exceptions(void **state) {
    (void)state;
    uint64_t v[128];
    rng_seed(7);
    for (size_t i = 0; i < 128; i++) v[i] = rng_bits(3);
    v[77] = (uint64_t)1 << 40;
    size_t len = pfor_roundtrip(v, 128, 1);
    /* 2 header + 48 packed (3 bits) + index + 6-byte varint of 2^37 */
    assert_int_equal(len, 2 + 48 + 1 + 6);
    codec_buf b = {0};
    assert_int_equal(codec_pfor_encode(&b, v, 128), CODEC_OK);
    assert_int_equal(b.p[0], 3); /* width */
    assert_int_equal(b.p[1], 1); /* one exception */
    assert_int_equal(b.p[50], 77);
    codec_buf_free(&b);
    /* a single big value in a zero block: width 0 plus one exception */
    memset(v, 0, sizeof v);
    v[0] = UINT64_MAX;
    assert_int_equal(pfor_roundtrip(v, 128, 1), 2 + 1 + 10);
    v[127] = UINT64_MAX;
    assert_int_equal(pfor_roundtrip(v, 128, 1), 2 + 2 * 11);
}

static void test_pfor_random(void **state) {
    (void)state;
    rng_seed(12345);
    uint64_t *v = malloc(1000 * sizeof *v);
    assert_non_null(v);
    for (int trial = 0; trial < 3000; trial++) {
        size_t n = (size_t)rng_below(trial < 100 ? 300 : 1000);
        unsigned w = (unsigned)rng_below(65);
        unsigned exc_per_mille = (unsigned)rng_below(4) == 0 ? 0 : (unsigned)rng_below(60);
        for (size_t i = 0; i < n; i++) {
            if (i % 128 == 0 && rng_below(3) == 0) w = (unsigned)rng_below(65);
            v[i] = rng_bits(w);
            if (rng_below(1000) < exc_per_mille) v[i] = rng_bits(1 + (unsigned)rng_below(64));
        }
        pfor_roundtrip(v, n, trial % 50 == 0);
    }
    free(v);
}

static void test_pfor_corrupt(void **state) {
    (void)state;
    const size_t E = sizeof(uint64_t);
    /* width 65 */
    expect_corrupt((const uint8_t[]){65, 0}, 2, dec_pfor, 1, E);
    /* more exceptions than values */
    expect_corrupt((const uint8_t[]){0, 2, 0, 1, 0, 1}, 6, dec_pfor, 1, E);
    /* exception with width 64 */
    expect_corrupt((const uint8_t[]){64, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 12, dec_pfor, 1, E);
    /* exception index out of the block */
    expect_corrupt((const uint8_t[]){0, 1, 1, 1}, 4, dec_pfor, 1, E);
    /* exception indexes not increasing */
    expect_corrupt((const uint8_t[]){0, 2, 1, 1, 1, 1}, 6, dec_pfor, 2, E);
    expect_corrupt((const uint8_t[]){0, 2, 1, 1, 0, 1}, 6, dec_pfor, 2, E);
    /* exception whose high part is zero */
    expect_corrupt((const uint8_t[]){0, 1, 0, 0}, 4, dec_pfor, 1, E);
    /* exception that does not fit in 64 bits: width 60, high 2^4 */
    expect_corrupt((const uint8_t[]){60, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 16}, 12, dec_pfor, 1, E);
    /* non-zero padding bits: width 3, one value, byte 0x08 */
    expect_corrupt((const uint8_t[]){3, 0, 0x08}, 3, dec_pfor, 1, E);
    /* the same with padding zero is fine and gives 5 */
    {
        uint8_t *cp = dup_exact((const uint8_t[]){3, 0, 0x05}, 3);
        const uint8_t *p = cp;
        uint64_t out;
        assert_int_equal(codec_pfor_decode(&p, cp + 3, &out, 1), CODEC_OK);
        assert_true(out == 5);
        free(cp);
    }
    /* high part at the limit: width 60, high 15 -> value 15 << 60 */
    {
        const uint8_t raw[] = {60, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 15};
        uint8_t *cp = dup_exact(raw, sizeof raw);
        const uint8_t *p = cp;
        uint64_t out;
        assert_int_equal(codec_pfor_decode(&p, cp + sizeof raw, &out, 1), CODEC_OK);
        assert_true(out == (uint64_t)15 << 60);
        free(cp);
    }
}

/* ---- Gorilla XOR ---- */

static size_t xor_roundtrip(const double *v, size_t n, int check_prefixes) {
    codec_buf b = {0};
    assert_int_equal(codec_xor_encode(&b, v, n), CODEC_OK);
    double *out = malloc((n ? n : 1) * sizeof *out);
    assert_non_null(out);
    decode_all(&b, dec_xor, out, n);
    assert_doubles_identical(v, out, n);
    if (check_prefixes) check_prefixes_rejected(&b, dec_xor, n, sizeof(double));
    size_t len = b.len;
    free(out);
    codec_buf_free(&b);
    return len;
}

static const uint64_t special_bits[] = {
    0x7ff8000000000000ull, /* quiet NaN */
    0x7ff8000000000001ull, /* NaN with payload */
    0x7ff0000000000001ull, /* signalling NaN */
    0xfff8000000000000ull, /* negative NaN */
    0x7fffffffffffffffull, /* NaN, all payload bits */
    0xfff00000deadbeefull, /* negative sNaN with payload */
    0x7ff0000000000000ull, /* +Inf */
    0xfff0000000000000ull, /* -Inf */
    0x8000000000000000ull, /* -0.0 */
    0x0000000000000000ull, /* +0.0 */
    0x0000000000000001ull, /* smallest denormal */
    0x000fffffffffffffull, /* largest denormal */
    0x800fffffffffffffull, /* negative denormal */
    0x0010000000000000ull, /* DBL_MIN */
    0x7fefffffffffffffull, /* DBL_MAX */
    0xffefffffffffffffull, /* -DBL_MAX */
    0x3ff0000000000000ull, /* 1.0 */
};
#define NSPECIAL (sizeof special_bits / sizeof special_bits[0])

static void test_xor_special(void **state) {
    (void)state;
    double v[4 * NSPECIAL];
    for (size_t i = 0; i < NSPECIAL; i++) v[i] = dbl(special_bits[i]);
    /* reversed and interleaved orders exercise every window transition */
    for (size_t i = 0; i < NSPECIAL; i++) v[NSPECIAL + i] = dbl(special_bits[NSPECIAL - 1 - i]);
    for (size_t i = 0; i < 2 * NSPECIAL; i++) v[2 * NSPECIAL + i] = v[(i * 7) % (2 * NSPECIAL)];
    xor_roundtrip(v, 4 * NSPECIAL, 1);
    for (size_t i = 0; i < NSPECIAL; i++) {
        assert_int_equal(xor_roundtrip(&v[i], 1, 1), 8);
        double pair[2] = {v[i], v[(i + 3) % NSPECIAL]};
        xor_roundtrip(pair, 2, 1);
    }
    assert_true(bits_of(DBL_MAX) == special_bits[14]);
    assert_int_equal(xor_roundtrip(v, 0, 0), 0);
    /* constant series: 64 bits then one bit per value */
    double c[129];
    for (size_t i = 0; i < 129; i++) c[i] = 21.5;
    assert_int_equal(xor_roundtrip(c, 129, 1), 8 + 16);
}

static void test_xor_random(void **state) {
    (void)state;
    rng_seed(99);
    double *v = malloc(600 * sizeof *v);
    assert_non_null(v);
    for (int trial = 0; trial < 1500; trial++) {
        size_t n = (size_t)rng_below(600);
        int kind = (int)rng_below(4);
        double x = rng_unit() * 100;
        for (size_t i = 0; i < n; i++) {
            switch (kind) {
                case 0:
                    v[i] = dbl(rng());
                    break; /* any bit pattern */
                case 1:
                    x += rng_unit() - 0.5;
                    v[i] = x;
                    break;
                case 2:
                    v[i] = rng_below(4) ? x : dbl(special_bits[rng_below(NSPECIAL)]);
                    break;
                default:
                    v[i] = dbl(bits_of(x) ^ (rng_bits(8) << rng_below(56)));
                    break;
            }
        }
        xor_roundtrip(v, n, trial % 100 == 0);
    }
    free(v);
}

static void test_xor_corrupt(void **state) {
    (void)state;
    const size_t E = sizeof(double);
    /* '10' before any '11' window */
    expect_corrupt((const uint8_t[]){0, 0, 0, 0, 0, 0, 0, 0, 0x80, 0}, 10, dec_xor, 2, E);
    /* '11' with leading 31 + length 40 > 64: 11 11111 101000 */
    expect_corrupt((const uint8_t[]){0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xa0, 0, 0, 0, 0, 0, 0}, 16,
                   dec_xor, 2, E);
    /* '0' then non-zero padding */
    expect_corrupt((const uint8_t[]){0, 0, 0, 0, 0, 0, 0, 0, 0x01}, 9, dec_xor, 2, E);
    /* fewer than 64 bits */
    expect_corrupt((const uint8_t[]){1, 2, 3}, 3, dec_xor, 1, E);
}

/* ---- decimal exponent ---- */

static void test_decimal_exponent(void **state) {
    (void)state;
    double v;
    v = 12.34;
    assert_int_equal(codec_decimal_exponent(&v, 1), 2);
    v = 1.0;
    assert_int_equal(codec_decimal_exponent(&v, 1), 0);
    v = 0.1 + 0.2;
    assert_int_equal(codec_decimal_exponent(&v, 1), -1);
    v = -0.0;
    assert_int_equal(codec_decimal_exponent(&v, 1), -1);
    v = 0.0;
    assert_int_equal(codec_decimal_exponent(&v, 1), 0);
    v = 1e20; /* an integer, but not below 2^53 */
    assert_int_equal(codec_decimal_exponent(&v, 1), -1);
    v = 9007199254740991.0; /* 2^53 - 1 */
    assert_int_equal(codec_decimal_exponent(&v, 1), 0);
    v = 9007199254740992.0; /* 2^53 */
    assert_int_equal(codec_decimal_exponent(&v, 1), -1);
    v = NAN;
    assert_int_equal(codec_decimal_exponent(&v, 1), -1);
    v = INFINITY;
    assert_int_equal(codec_decimal_exponent(&v, 1), -1);
    v = -INFINITY;
    assert_int_equal(codec_decimal_exponent(&v, 1), -1);
    v = 1e-9;
    assert_int_equal(codec_decimal_exponent(&v, 1), 9);
    v = 1e-10;
    assert_int_equal(codec_decimal_exponent(&v, 1), -1);
    v = -12.5;
    assert_int_equal(codec_decimal_exponent(&v, 1), 1);
    v = 123456.789;
    assert_int_equal(codec_decimal_exponent(&v, 1), 3);
    v = 4.9e-324; /* denormal */
    assert_int_equal(codec_decimal_exponent(&v, 1), -1);
    v = DBL_MAX;
    assert_int_equal(codec_decimal_exponent(&v, 1), -1);
    assert_int_equal(codec_decimal_exponent(NULL, 0), 0);
    double mix[] = {1.0, 2.5, 3.125, -7.0};
    assert_int_equal(codec_decimal_exponent(mix, 4), 3);
    double mix2[] = {12.34, 1.0, 0.3};
    assert_int_equal(codec_decimal_exponent(mix2, 3), 2);
    double bad[] = {12.34, 1.0, 0.1 + 0.2};
    assert_int_equal(codec_decimal_exponent(bad, 3), -1);
    double negz[] = {1.5, -0.0};
    assert_int_equal(codec_decimal_exponent(negz, 2), -1);
    /* the result always round-trips */
    rng_seed(3);
    for (int t = 0; t < 2000; t++) {
        int d = (int)rng_below(10);
        double p = 1;
        for (int i = 0; i < d; i++) p *= 10;
        double x = (double)((int64_t)rng_below(2000000) - 1000000) / p;
        int got = codec_decimal_exponent(&x, 1);
        assert_true(got >= 0 && got <= d);
        double q = 1;
        for (int i = 0; i < got; i++) q *= 10;
        assert_true(bits_of((double)llround(x * q) / q) == bits_of(x));
    }
}

/* ---- value column ---- */

/* Round trip; returns the size, stores the mode byte in *mode (-1 if n = 0). */
static size_t values_roundtrip(const double *v, size_t n, int *mode, int check_prefixes) {
    codec_buf b = {0};
    assert_int_equal(codec_values_encode(&b, v, n), CODEC_OK);
    if (mode) *mode = b.len ? b.p[0] : -1;
    double *out = malloc((n ? n : 1) * sizeof *out);
    assert_non_null(out);
    decode_all(&b, dec_values, out, n);
    assert_doubles_identical(v, out, n);
    if (check_prefixes) check_prefixes_rejected(&b, dec_values, n, sizeof(double));
    /* never bigger than the XOR candidate */
    codec_buf x = {0};
    assert_int_equal(codec_xor_encode(&x, v, n), CODEC_OK);
    if (n) assert_true(b.len <= x.len + 1);
    codec_buf_free(&x);
    size_t len = b.len;
    free(out);
    codec_buf_free(&b);
    return len;
}

static void test_values_modes(void **state) {
    (void)state;
    static double v[1000];
    int mode;
    assert_int_equal(values_roundtrip(v, 0, &mode, 0), 0);

    /* single values of every kind */
    for (size_t i = 0; i < NSPECIAL; i++) {
        double x = dbl(special_bits[i]);
        values_roundtrip(&x, 1, &mode, 1);
    }
    v[0] = 12.34;
    values_roundtrip(v, 1, &mode, 1);
    assert_int_equal(mode, 1);

    /* random walk in 0.01 steps: scaled delta */
    rng_seed(5);
    double x = 50.0;
    for (size_t i = 0; i < 1000; i++) {
        x = round((x + (double)((int)rng_below(7) - 3) * 0.01) * 100) / 100;
        v[i] = x;
    }
    values_roundtrip(v, 1000, &mode, 1);
    assert_int_equal(mode, 1);

    /* linear ramp: delta-of-delta is zero */
    for (size_t i = 0; i < 1000; i++) v[i] = (double)(1000 + 7 * (int64_t)i) / 4;
    size_t len = values_roundtrip(v, 1000, &mode, 1);
    assert_int_equal(mode, 2);
    assert_true(len < 40);

    /* block boundaries of both scaled modes (mode 2 packs n - 2 values) */
    static const size_t ns[] = {2, 3, 127, 128, 129, 130, 131, 256, 257, 258};
    for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++) {
        for (size_t i = 0; i < ns[k]; i++) v[i] = (double)(3 * (int64_t)i) / 100;
        values_roundtrip(v, ns[k], &mode, 1);
        /* n = 3: both scaled modes take 6 bytes, ties keep mode 1 */
        assert_int_equal(mode, ns[k] == 3 ? 1 : 2);
        for (size_t i = 0; i < ns[k]; i++) v[i] = (double)(int64_t)rng_below(1000) / 10;
        values_roundtrip(v, ns[k], &mode, 1);
        /* for tiny n the uvarint first delta of mode 2 beats a PFor block */
        if (ns[k] > 3)
            assert_int_equal(mode, 1);
        else
            assert_true(mode == 1 || mode == 2);
        for (size_t i = 0; i < ns[k]; i++) v[i] = dbl(rng());
        values_roundtrip(v, ns[k], &mode, 1);
        assert_int_equal(mode, 0);
    }

    /* one non-decimal value no longer forces XOR: it becomes an exception */
    for (size_t i = 0; i < 300; i++) v[i] = (double)i / 10;
    v[150] = 0.1 + 0.2;
    values_roundtrip(v, 300, &mode, 1);
    assert_int_equal(mode, 3);
    v[150] = -0.0;
    values_roundtrip(v, 300, &mode, 0);
    assert_int_equal(mode, 3);
    v[150] = NAN;
    values_roundtrip(v, 300, &mode, 0);
    assert_int_equal(mode, 3);

    /* extremes of the scaled range: |k| just below 2^53, largest deltas */
    v[0] = -9007199254740991.0;
    v[1] = 9007199254740991.0;
    v[2] = -9007199254740991.0;
    v[3] = 0;
    values_roundtrip(v, 4, &mode, 1); /* XOR wins here: the sign flips are 1-bit XORs */
    {
        /* hand-made scaled column spanning the whole range: +(2^53-1) then -(2^53-1) */
        codec_buf c = {0};
        int64_t top = ((int64_t)1 << 53) - 1;
        uint8_t hdr[2] = {1, 9};
        assert_int_equal(codec_buf_put(&c, hdr, 2), CODEC_OK);
        assert_int_equal(codec_put_uvarint(&c, codec_zigzag(top)), CODEC_OK);
        uint64_t delta = codec_zigzag(-2 * top);
        assert_int_equal(codec_pfor_encode(&c, &delta, 1), CODEC_OK);
        double out[2];
        decode_all(&c, dec_values, out, 2);
        assert_true(bits_of(out[0]) == bits_of(9007199.254740991));
        assert_true(bits_of(out[1]) == bits_of(-9007199.254740991));
        codec_buf_free(&c);
    }
    v[0] = 9007199254.740991;
    v[1] = -9007199254.740991;
    values_roundtrip(v, 2, &mode, 1);

    /* edge values mixed in: XOR, bit exact */
    for (size_t i = 0; i < 200; i++) v[i] = dbl(special_bits[i % NSPECIAL]);
    values_roundtrip(v, 200, &mode, 1);
    assert_int_equal(mode, 0);
    for (size_t i = 0; i < 200; i++) v[i] = i % 2 ? DBL_MAX : 1e300;
    values_roundtrip(v, 200, &mode, 0);
}

static void test_values_random(void **state) {
    (void)state;
    rng_seed(2024);
    double *v = malloc(700 * sizeof *v);
    assert_non_null(v);
    int seen[4] = {0, 0, 0, 0}; /* one per value mode */
    for (int trial = 0; trial < 1500; trial++) {
        size_t n = (size_t)rng_below(700);
        int d = (int)rng_below(10);
        double p = 1;
        for (int i = 0; i < d; i++) p *= 10;
        int64_t k = (int64_t)rng_below(1000000), step = (int64_t)rng_below(50);
        int kind = (int)rng_below(6);
        for (size_t i = 0; i < n; i++) {
            switch (kind) {
                case 0:
                    k += (int64_t)rng_below(2 * (uint64_t)step + 1) - step;
                    break;
                case 1:
                    k += step;
                    break;
                case 2:
                    k = (int64_t)rng_below(1ull << rng_below(53)) - (1ll << 20);
                    break;
                case 3:
                    k += rng_below(100) == 0 ? (int64_t)rng_below(1ull << 40) : 0;
                    break;
                default:
                    break;
            }
            v[i] = kind == 4 ? rng_unit() * 1000 : (double)k / p;
            if (kind == 5 && rng_below(30) == 0) { /* a few values for mode 3 to patch */
                static const double odd[] = {NAN, -0.0, INFINITY, -1e300, 0.1 + 0.2};
                v[i] = rng_below(2) ? nextafter(v[i], INFINITY) : odd[rng_below(5)];
            }
        }
        int mode;
        values_roundtrip(v, n, &mode, trial % 100 == 0);
        if (mode >= 0) seen[mode]++;
    }
    assert_true(seen[0] > 0 && seen[1] > 0 && seen[2] > 0 && seen[3] > 0);
    free(v);
}

/* ---- hand-crafted input ---- */

static void put_u8(codec_buf *b, uint8_t x) {
    assert_int_equal(codec_buf_put(b, &x, 1), CODEC_OK);
}

static void put_uv(codec_buf *b, uint64_t x) {
    assert_int_equal(codec_put_uvarint(b, x), CODEC_OK);
}

/* PFor of n copies of x. */
static void put_pfor(codec_buf *b, uint64_t x, size_t n) {
    uint64_t *v = malloc((n ? n : 1) * sizeof *v);
    assert_non_null(v);
    for (size_t i = 0; i < n; i++) v[i] = x;
    assert_int_equal(codec_pfor_encode(b, v, n), CODEC_OK);
    free(v);
}

/* Decoding b must fail; frees b. */
static void crafted_corrupt(codec_buf *b, decode_fn dec, size_t n, size_t elem) {
    expect_corrupt(b->p, b->len, dec, n, elem);
    codec_buf_free(b);
}

static void put_raw(codec_buf *b, const uint8_t *p, size_t n) {
    assert_int_equal(codec_buf_put(b, p, n), CODEC_OK);
}

static void test_values_corrupt(void **state) {
    (void)state;
    const size_t E = sizeof(double);
    codec_buf b = {0};
    /* unknown modes */
    expect_corrupt((const uint8_t[]){4, 0, 0}, 3, dec_values, 1, E);
    expect_corrupt((const uint8_t[]){255, 0, 0}, 3, dec_values, 1, E);
    /* mode 3 over an XOR column */
    expect_corrupt((const uint8_t[]){3, 0, 0}, 3, dec_values, 1, E);
    /* d > CODEC_MAX_DECIMALS */
    expect_corrupt((const uint8_t[]){1, 10, 0}, 3, dec_values, 1, E);
    /* first integer 2^53: outside the scaled range */
    put_u8(&b, 1), put_u8(&b, 0), put_uv(&b, codec_zigzag((int64_t)1 << 53));
    crafted_corrupt(&b, dec_values, 1, E);
    put_u8(&b, 1), put_u8(&b, 0), put_uv(&b, codec_zigzag(-((int64_t)1 << 53)));
    crafted_corrupt(&b, dec_values, 1, E);
    /* delta stepping out of the range */
    put_u8(&b, 1), put_u8(&b, 0), put_uv(&b, codec_zigzag(((int64_t)1 << 53) - 1));
    put_pfor(&b, codec_zigzag(1), 1);
    crafted_corrupt(&b, dec_values, 2, E);
    /* delta that overflows int64 */
    put_u8(&b, 1), put_u8(&b, 0), put_uv(&b, codec_zigzag(((int64_t)1 << 53) - 1));
    put_pfor(&b, codec_zigzag(INT64_MAX), 1);
    crafted_corrupt(&b, dec_values, 2, E);
    /* mode 2: first delta out of range, then dod overflowing int64 */
    put_u8(&b, 2), put_u8(&b, 3), put_uv(&b, 0), put_uv(&b, codec_zigzag(INT64_MIN));
    crafted_corrupt(&b, dec_values, 2, E);
    put_u8(&b, 2), put_u8(&b, 3), put_uv(&b, 0), put_uv(&b, codec_zigzag(1));
    put_pfor(&b, codec_zigzag(INT64_MAX), 1);
    crafted_corrupt(&b, dec_values, 3, E);
    /* a valid hand-made column: mode 1, d 2, 1234, +1 -> 12.34, 12.35 */
    put_u8(&b, 1), put_u8(&b, 2), put_uv(&b, codec_zigzag(1234)), put_pfor(&b, 2, 1);
    double out[2];
    decode_all(&b, dec_values, out, 2);
    assert_true(bits_of(out[0]) == bits_of(12.34));
    assert_true(bits_of(out[1]) == bits_of(12.35));
    codec_buf_free(&b);
}

/* 8-decimal readings (a random walk, as NAB's temperatures) with float
 * noise (+1..5e-14, giving 14 to 16 decimals) on a share 1/noise_every of
 * them. */
static void nab_like(double *v, size_t n, uint64_t seed, uint64_t noise_every) {
    rng_seed(seed);
    double x = 70.0;
    for (size_t i = 0; i < n; i++) {
        x += (double)((int64_t)rng_below(2000001) - 1000000) / 1e8;
        v[i] = round(x * 1e8) / 1e8;
        if (rng_below(noise_every) == 0) v[i] += 1e-14 * (double)(1 + rng_below(5));
    }
}

/* Mode 3 column: its inner mode and d, and its exception count (read back
 * from the encoded bytes by decoding the inner column, whose values go to
 * inner_v[n] when not NULL). */
static void patched_parts(const codec_buf *b, size_t n, int *inner, int *d, uint64_t *count,
                          double *inner_v) {
    assert_int_equal(b->p[0], 3);
    *inner = b->p[1];
    *d = b->p[2];
    double *tmp = inner_v ? inner_v : malloc(n * sizeof *tmp);
    assert_non_null(tmp);
    const uint8_t *q = b->p + 1;
    assert_int_equal(codec_values_decode(&q, b->p + b->len, tmp, n), CODEC_OK);
    assert_int_equal(codec_get_uvarint(&q, b->p + b->len, count), CODEC_OK);
    if (!inner_v) free(tmp);
}

/* Patched decimal (value mode 3): 8-decimal readings with float noise on a
 * few (as in the NAB data), special and huge values, exceptions at both ends
 * and in leading runs; the encoder's choice of d; corrupt exception lists
 * rejected. */
static void test_values_patched(void **state) {
    (void)state;
    static double v[2016];
    const size_t n = 2016;
    nab_like(v, n, 99, 20); /* ~5 % noise */
    v[0] = 73.96732207000001, v[n - 1] = NAN, v[7] = -0.0, v[8] = INFINITY, v[9] = -INFINITY;
    v[100] = 1e300, v[101] = -DBL_MAX, v[102] = 9007199254740991.0, v[103] = dbl(1);
    v[104] = dbl(0xfff00000deadbeefull); /* NaN payload */
    int mode;
    size_t len = values_roundtrip(v, n, &mode, 0);
    assert_int_equal(mode, 3);
    codec_buf xb = {0};
    assert_int_equal(codec_xor_encode(&xb, v, n), CODEC_OK);
    print_message("NAB-like 2016 values, 5 %% noise: patched %zu bytes (%.2f B/pt), XOR %zu\n", len,
                  (double)len / n, xb.len);
    assert_true(len * 10 < xb.len * 7); /* at least 30 % smaller than XOR */
    codec_buf_free(&xb);
    codec_buf b = {0};
    int inner, d;
    uint64_t count;
    assert_int_equal(codec_values_encode(&b, v, n), CODEC_OK);
    patched_parts(&b, n, &inner, &d, &count, NULL);
    assert_int_equal(d, 8);
    assert_true(count >= 9 && count < n / 10);
    codec_buf_free(&b);

    /* noise in bursts: 15 % of a chunk is still far better than XOR */
    nab_like(v, n, 7, 7);
    len = values_roundtrip(v, n, &mode, 0);
    assert_int_equal(mode, 3);
    assert_int_equal(codec_xor_encode(&xb, v, n), CODEC_OK);
    assert_true(len * 10 < xb.len * 7);
    codec_buf_free(&xb);

    /* leading and trailing runs of exceptions that have no integer (NaN,
     * Inf, huge), on a smooth ramp that goes to mode 2 inside */
    for (size_t i = 0; i < 300; i++) v[i] = (double)(12345 + 3 * (int64_t)i) / 100;
    for (size_t i = 0; i < 5; i++) v[i] = i % 2 ? NAN : -INFINITY;
    for (size_t i = 295; i < 300; i++) v[i] = 1e200 * (double)i;
    v[150] = 0.1 + 0.2;
    values_roundtrip(v, 300, &mode, 1);
    assert_int_equal(mode, 3);
    assert_int_equal(codec_values_encode(&b, v, 300), CODEC_OK);
    static double in[300];
    patched_parts(&b, 300, &inner, &d, &count, in);
    assert_int_equal(inner, 2);
    assert_int_equal(d, 2);
    assert_int_equal(count, 11);
    /* the stand-ins: the first integer for the leading run, the previous
     * one for the trailing run, the nearest one for the noisy 0.3 */
    for (size_t i = 0; i < 5; i++) assert_true(bits_of(in[i]) == bits_of(v[5]));
    for (size_t i = 295; i < 300; i++) assert_true(bits_of(in[i]) == bits_of(v[294]));
    assert_true(bits_of(in[150]) == bits_of(0.3));
    codec_buf_free(&b);

    /* a smaller d that fits all but a few values beats the d that fits all:
     * one 9-decimal reading among 2-decimal ones */
    rng_seed(5);
    double x = 50.0;
    for (size_t i = 0; i < 1000; i++) {
        x = round((x + (double)((int)rng_below(7) - 3) * 0.01) * 100) / 100;
        v[i] = x;
    }
    v[500] = 50.123456789;
    assert_int_equal(codec_decimal_exponent(v, 1000), 9);
    len = values_roundtrip(v, 1000, &mode, 1);
    assert_int_equal(mode, 3);
    assert_int_equal(codec_values_encode(&b, v, 1000), CODEC_OK);
    patched_parts(&b, 1000, &inner, &d, &count, NULL);
    assert_int_equal(d, 2);
    assert_int_equal(count, 1);
    codec_buf_free(&b);
    assert_true(len < 500); /* mode 1 at d = 9 needs about 3 bytes a value */

    /* all exceptions: nothing decimal, or too many exceptions -> XOR */
    for (size_t i = 0; i < 300; i++) v[i] = 0.1 * (double)i + 1e-13;
    assert_int_equal(codec_decimal_exponent(v, 300), -1);
    values_roundtrip(v, 300, &mode, 0);
    assert_int_equal(mode, 0);
    for (size_t i = 0; i < 300; i++) v[i] = dbl(special_bits[i % NSPECIAL]);
    values_roundtrip(v, 300, &mode, 0);
    assert_int_equal(mode, 0);
    for (size_t i = 0; i < 300; i++) v[i] = i % 3 ? (double)i / 4 : (double)i / 4 + 1e-13;
    values_roundtrip(v, 300, &mode, 0);
    assert_int_equal(mode, 0); /* a third are exceptions: more than n/4 */
    /* short columns are never patched */
    for (size_t i = 0; i < 15; i++) v[i] = (double)i / 4;
    v[3] = 0.1 + 0.2;
    values_roundtrip(v, 15, &mode, 1);
    assert_int_equal(mode, 0);

    /* Corruptions of a small patched column. */
    double w[40];
    for (size_t i = 0; i < 40; i++) w[i] = (double)i / 4;
    w[3] = 0.1 + 0.2, w[39] = 0.1 + 0.7;
    assert_int_equal(codec_values_encode(&b, w, 40), CODEC_OK);
    assert_int_equal(b.p[0], 3);
    check_prefixes_rejected(&b, dec_values, 40, sizeof(double)); /* truncations */
    double out[40];
    /* The exception list is the last 2 * (1 + 8) + 1 bytes: count, gaps, bits. */
    size_t list = b.len - 19;
    assert_int_equal(b.p[list], 2);
    assert_int_equal(b.p[list + 1], 3);
    assert_int_equal(b.p[list + 10], 35);
    const uint8_t *q;
    uint8_t saved = b.p[list];
    b.p[list] = 0; /* count 0 */
    q = b.p;
    assert_int_equal(codec_values_decode(&q, b.p + b.len, out, 40), CODEC_ECORRUPT);
    b.p[list] = 40; /* count >= n */
    q = b.p;
    assert_int_equal(codec_values_decode(&q, b.p + b.len, out, 40), CODEC_ECORRUPT);
    b.p[list] = 1; /* count 1: the second entry is left over (the chunk rejects it) */
    q = b.p;
    assert_int_equal(codec_values_decode(&q, b.p + b.len, out, 40), CODEC_OK);
    assert_ptr_equal(q, b.p + b.len - 9);
    b.p[list] = 3; /* count 3: the list ends early */
    q = b.p;
    assert_int_equal(codec_values_decode(&q, b.p + b.len, out, 40), CODEC_ECORRUPT);
    b.p[list] = saved;
    b.p[list + 1] = 40; /* first index n */
    q = b.p;
    assert_int_equal(codec_values_decode(&q, b.p + b.len, out, 40), CODEC_ECORRUPT);
    b.p[list + 1] = 39; /* first index n - 1: the second is then past the end */
    q = b.p;
    assert_int_equal(codec_values_decode(&q, b.p + b.len, out, 40), CODEC_ECORRUPT);
    b.p[list + 1] = 3;
    saved = b.p[list + 10];
    b.p[list + 10] = 36; /* second gap past the end: 3 + 36 + 1 = 40 */
    q = b.p;
    assert_int_equal(codec_values_decode(&q, b.p + b.len, out, 40), CODEC_ECORRUPT);
    b.p[list + 10] = saved;
    b.p[1] = 3; /* the inner column patched again */
    q = b.p;
    assert_int_equal(codec_values_decode(&q, b.p + b.len, out, 40), CODEC_ECORRUPT);
    b.p[1] = 0; /* the inner column XOR */
    q = b.p;
    assert_int_equal(codec_values_decode(&q, b.p + b.len, out, 40), CODEC_ECORRUPT);
    codec_buf_free(&b);

    /* Hand-made: inner mode 1, d 0, the 4 values 0, 1, 2, 3, then a list. */
    const double pi = 3.14159;
    const uint64_t pib = bits_of(pi);
    uint8_t raw[8];
    for (int j = 0; j < 8; j++) raw[j] = (uint8_t)(pib >> (8 * j));
    /* valid: exceptions at 0 and 3 (first and last) */
    put_u8(&b, 3), put_u8(&b, 1), put_u8(&b, 0), put_uv(&b, 0), put_pfor(&b, 2, 3);
    put_uv(&b, 2), put_uv(&b, 0), put_raw(&b, raw, 8), put_uv(&b, 2);
    put_raw(&b, raw, 8);
    double o4[4];
    decode_all(&b, dec_values, o4, 4);
    assert_true(bits_of(o4[0]) == pib && bits_of(o4[3]) == pib);
    assert_true(bits_of(o4[1]) == bits_of(1.0) && bits_of(o4[2]) == bits_of(2.0));
    codec_buf_free(&b);
    /* unsorted (3 then 1) and duplicate (2, 2): with gaps coded as
     * index - previous - 1 both need a gap that wraps around 2^64 */
    static const uint64_t second[] = {UINT64_MAX - 1, UINT64_MAX, (uint64_t)INT64_MAX, 4};
    static const uint64_t first[] = {3, 2, 1, 0};
    for (size_t t = 0; t < 4; t++) {
        put_u8(&b, 3), put_u8(&b, 1), put_u8(&b, 0), put_uv(&b, 0), put_pfor(&b, 2, 3);
        put_uv(&b, 2), put_uv(&b, first[t]), put_raw(&b, raw, 8), put_uv(&b, second[t]);
        put_raw(&b, raw, 8);
        crafted_corrupt(&b, dec_values, 4, sizeof(double));
    }
    /* every value an exception: count n is corrupt (never written, XOR is
     * smaller) */
    put_u8(&b, 3), put_u8(&b, 1), put_u8(&b, 0), put_uv(&b, 0), put_pfor(&b, 2, 3);
    put_uv(&b, 4);
    for (int e = 0; e < 4; e++) put_uv(&b, 0), put_raw(&b, raw, 8);
    crafted_corrupt(&b, dec_values, 4, sizeof(double));
    /* a gap as a non-minimal varint */
    put_u8(&b, 3), put_u8(&b, 1), put_u8(&b, 0), put_uv(&b, 0), put_pfor(&b, 2, 3);
    put_uv(&b, 1), put_u8(&b, 0x81), put_u8(&b, 0), put_raw(&b, raw, 8);
    crafted_corrupt(&b, dec_values, 4, sizeof(double));
}

/* ---- timestamp column ---- */

static size_t ts_roundtrip(const int64_t *ts, size_t n, int check_prefixes) {
    codec_buf b = {0};
    assert_int_equal(codec_ts_encode(&b, ts, n), CODEC_OK);
    int64_t *out = malloc((n ? n : 1) * sizeof *out);
    assert_non_null(out);
    decode_all(&b, dec_ts, out, n);
    for (size_t i = 0; i < n; i++)
        if (out[i] != ts[i])
            fail_msg("ts %zu: got %lld want %lld", i, (long long)out[i], (long long)ts[i]);
    if (check_prefixes) check_prefixes_rejected(&b, dec_ts, n, sizeof(int64_t));
    size_t len = b.len;
    free(out);
    codec_buf_free(&b);
    return len;
}

static void test_ts_roundtrip(void **state) {
    (void)state;
    static int64_t ts[1000];
    assert_int_equal(ts_roundtrip(ts, 0, 0), 0);
    ts[0] = 0;
    assert_int_equal(ts_roundtrip(ts, 1, 1), 1);
    ts[0] = MAX_TS;
    assert_int_equal(ts_roundtrip(ts, 1, 1), 8);
    /* 0 and 2^53 in the same column: the largest delta and dod */
    int64_t a[] = {0, MAX_TS};
    ts_roundtrip(a, 2, 1);
    int64_t b3[] = {0, 1, MAX_TS};
    ts_roundtrip(b3, 3, 1);
    int64_t c3[] = {0, MAX_TS - 1, MAX_TS};
    ts_roundtrip(c3, 3, 1);
    int64_t d4[] = {0, 1, MAX_TS - 1, MAX_TS};
    ts_roundtrip(d4, 4, 1);

    /* perfectly regular 1 s series: 6 + 2 bytes, then 2 bytes per block */
    for (size_t i = 0; i < 900; i++) ts[i] = 1700000000000 + 1000 * (int64_t)i;
    size_t len = ts_roundtrip(ts, 900, 1);
    assert_int_equal(len, 6 + 2 + 2 * 8);
    assert_true((double)len / 900 < 0.05);

    /* block boundaries of the dod stream (n - 2 values) */
    static const size_t ns[] = {2, 3, 129, 130, 131, 257, 258, 259};
    rng_seed(17);
    for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++) {
        ts[0] = (int64_t)rng_below(1ull << 42);
        for (size_t i = 1; i < ns[k]; i++) ts[i] = ts[i - 1] + 1 + (int64_t)rng_below(5000);
        ts_roundtrip(ts, ns[k], 1);
    }
    /* random gaps, jitter, and the odd huge jump */
    for (int trial = 0; trial < 500; trial++) {
        size_t n = 1 + (size_t)rng_below(1000);
        ts[0] = (int64_t)rng_below(1ull << 44);
        for (size_t i = 1; i < n; i++) {
            int64_t gap = 1000 + (int64_t)rng_below(21) - 10;
            if (rng_below(50) == 0) gap = 1 + (int64_t)rng_below(1ull << 40);
            ts[i] = ts[i - 1] + gap;
        }
        if (ts[n - 1] <= MAX_TS) ts_roundtrip(ts, n, trial % 100 == 0);
    }
}

static void test_ts_reject_encode(void **state) {
    (void)state;
    static const int64_t dup[] = {5, 5}, down[] = {5, 4}, neg[] = {-1}, big[] = {MAX_TS + 1},
                         big2[] = {0, MAX_TS + 1}, negmin[] = {INT64_MIN, 0};
    const int64_t *cases[] = {dup, down, neg, big, big2, negmin};
    size_t ns[] = {2, 2, 1, 1, 2, 2};
    for (size_t i = 0; i < 6; i++) {
        codec_buf b = {0};
        put_u8(&b, 0xAA);
        assert_int_equal(codec_ts_encode(&b, cases[i], ns[i]), CODEC_ECORRUPT);
        assert_int_equal(b.len, 1);
        assert_int_equal(b.p[0], 0xAA);
        codec_buf_free(&b);
    }
}

static void test_ts_corrupt(void **state) {
    (void)state;
    const size_t E = sizeof(int64_t);
    codec_buf b = {0};
    put_uv(&b, (uint64_t)MAX_TS + 1); /* first ts out of range */
    crafted_corrupt(&b, dec_ts, 1, E);
    put_uv(&b, 5), put_uv(&b, 0); /* zero first delta */
    crafted_corrupt(&b, dec_ts, 2, E);
    put_uv(&b, (uint64_t)MAX_TS), put_uv(&b, 1); /* past the maximum */
    crafted_corrupt(&b, dec_ts, 2, E);
    put_uv(&b, 0), put_uv(&b, UINT64_MAX); /* delta beyond int64 */
    crafted_corrupt(&b, dec_ts, 2, E);
    put_uv(&b, 0), put_uv(&b, 10), put_pfor(&b, codec_zigzag(-10), 1); /* delta 0 */
    crafted_corrupt(&b, dec_ts, 3, E);
    put_uv(&b, 0), put_uv(&b, 10), put_pfor(&b, codec_zigzag(-11), 1); /* going back */
    crafted_corrupt(&b, dec_ts, 3, E);
    put_uv(&b, 0), put_uv(&b, (uint64_t)MAX_TS), put_pfor(&b, codec_zigzag(INT64_MAX), 1);
    crafted_corrupt(&b, dec_ts, 3, E); /* delta + dod overflows int64 */
    put_uv(&b, 0), put_uv(&b, 1), put_pfor(&b, codec_zigzag(MAX_TS), 1);
    crafted_corrupt(&b, dec_ts, 3, E); /* ts beyond 2^53 */
    put_uv(&b, 0), put_uv(&b, 10), put_pfor(&b, 0, 1);
    int64_t out[3];
    decode_all(&b, dec_ts, out, 3);
    assert_true(out[0] == 0 && out[1] == 10 && out[2] == 20);
    codec_buf_free(&b);
}

/* ---- run-length column ---- */

static size_t rle_roundtrip(const uint64_t *v, size_t n, int check_prefixes) {
    codec_buf b = {0};
    assert_int_equal(codec_rle_encode(&b, v, n), CODEC_OK);
    uint64_t *out = malloc((n ? n : 1) * sizeof *out);
    assert_non_null(out);
    decode_all(&b, dec_rle, out, n);
    for (size_t i = 0; i < n; i++) assert_true(out[i] == v[i]);
    if (check_prefixes) check_prefixes_rejected(&b, dec_rle, n, sizeof(uint64_t));
    size_t len = b.len;
    free(out);
    codec_buf_free(&b);
    return len;
}

static void test_rle(void **state) {
    (void)state;
    static uint64_t v[1000];
    assert_int_equal(rle_roundtrip(v, 0, 0), 1);
    v[0] = 192;
    assert_int_equal(rle_roundtrip(v, 1, 1), 1 + 2 + 1);
    for (size_t i = 0; i < 900; i++) v[i] = 192;
    assert_int_equal(rle_roundtrip(v, 900, 1), 1 + 2 + 2);
    v[450] = 0;
    /* three runs: (192, 450) (0, 1) (192, 449) */
    assert_int_equal(rle_roundtrip(v, 900, 1), 1 + (2 + 2) + (1 + 1) + (2 + 2));
    for (size_t i = 0; i < 300; i++) v[i] = i % 2 ? UINT64_MAX : 0;
    rle_roundtrip(v, 300, 1);
    rng_seed(41);
    for (int trial = 0; trial < 300; trial++) {
        size_t n = (size_t)rng_below(1000);
        uint64_t x = rng_bits(8);
        for (size_t i = 0; i < n; i++) {
            if (rng_below(20) == 0) x = rng_bits((unsigned)rng_below(65));
            v[i] = x;
        }
        rle_roundtrip(v, n, trial % 50 == 0);
    }
}

static void test_rle_corrupt(void **state) {
    (void)state;
    const size_t E = sizeof(uint64_t);
    codec_buf b = {0};
    put_uv(&b, 2), put_uv(&b, 7), put_uv(&b, 1), put_uv(&b, 8), put_uv(&b, 2); /* sum 3 */
    crafted_corrupt(&b, dec_rle, 4, E);
    put_uv(&b, 2), put_uv(&b, 7), put_uv(&b, 3), put_uv(&b, 8), put_uv(&b, 2); /* sum 5 */
    crafted_corrupt(&b, dec_rle, 4, E);
    put_uv(&b, 2), put_uv(&b, 7), put_uv(&b, 0), put_uv(&b, 8), put_uv(&b, 4); /* empty run */
    crafted_corrupt(&b, dec_rle, 4, E);
    put_uv(&b, 5), put_uv(&b, 7), put_uv(&b, 1); /* more runs than values */
    crafted_corrupt(&b, dec_rle, 4, E);
    put_uv(&b, 0); /* no runs for one value */
    crafted_corrupt(&b, dec_rle, 1, E);
    put_uv(&b, 1), put_uv(&b, 7), put_uv(&b, UINT64_MAX); /* run longer than n */
    crafted_corrupt(&b, dec_rle, 4, E);
}

/* ---- chunk ---- */

/* A plausible plant signal: regular 1 s timestamps, a slow wave quantised to
 * 0.01 with small noise, good quality with one bad stretch. */
static void make_series(int64_t *ts, double *v, uint8_t *q, size_t n, uint64_t seed) {
    rng_seed(seed);
    for (size_t i = 0; i < n; i++) {
        ts[i] = 1700000000000 + 1000 * (int64_t)i;
        double x = 20 + 0.5 * sin((double)i / 40) + (rng_unit() - 0.5) * 0.04;
        v[i] = round(x * 100) / 100;
        q[i] = i >= n / 3 && i < n / 3 + 10 ? 0 : 192;
    }
}

static void chunk_decode_check(const codec_buf *enc, const int64_t *ts, const double *v,
                               const uint8_t *q, size_t n) {
    uint8_t *cp = dup_exact(enc->p, enc->len);
    size_t cnt = 0;
    assert_int_equal(codec_chunk_count(cp, enc->len, &cnt), CODEC_OK);
    assert_int_equal(cnt, n);
    int64_t *ts2 = malloc((n + 5) * sizeof *ts2);
    double *v2 = malloc((n + 5) * sizeof *v2);
    uint8_t *q2 = malloc(n + 5);
    assert_true(ts2 && v2 && q2);
    assert_int_equal(codec_chunk_decode(cp, enc->len, ts2, v2, q2, n), CODEC_OK);
    for (size_t i = 0; i < n; i++) {
        assert_true(ts2[i] == ts[i]);
        assert_int_equal(q2[i], q[i]);
    }
    assert_doubles_identical(v, v2, n);
    /* larger arrays are fine, smaller ones are refused */
    assert_int_equal(codec_chunk_decode(cp, enc->len, ts2, v2, q2, n + 5), CODEC_OK);
    assert_int_equal(codec_chunk_decode(cp, enc->len, ts2, v2, q2, n - 1), CODEC_ECORRUPT);
    free(cp);
    /* trailing garbage */
    cp = malloc(enc->len + 1);
    assert_non_null(cp);
    memcpy(cp, enc->p, enc->len);
    cp[enc->len] = 0;
    assert_int_equal(codec_chunk_decode(cp, enc->len + 1, ts2, v2, q2, n), CODEC_ECORRUPT);
    free(cp);
    free(ts2);
    free(v2);
    free(q2);
}

static size_t chunk_roundtrip(const int64_t *ts, const double *v, const uint8_t *q, size_t n) {
    codec_buf b = {0};
    assert_int_equal(codec_chunk_encode(&b, ts, v, q, n), CODEC_OK);
    assert_int_equal(b.p[0], CODEC_CHUNK_VERSION);
    chunk_decode_check(&b, ts, v, q, n);
    size_t len = b.len;
    codec_buf_free(&b);
    return len;
}

static void test_chunk_roundtrip(void **state) {
    (void)state;
    static int64_t ts[1000];
    static double v[1000];
    static uint8_t q[1000];
    make_series(ts, v, q, 900, 1);
    chunk_roundtrip(ts, v, q, 900);
    /* single-point chunks of every special value */
    for (size_t i = 0; i < NSPECIAL; i++) {
        int64_t t = (int64_t)i * 12345;
        double x = dbl(special_bits[i]);
        uint8_t qq = (uint8_t)(i * 17);
        chunk_roundtrip(&t, &x, &qq, 1);
    }
    /* the extremes together */
    int64_t ets[] = {0, 1, MAX_TS};
    double ev[] = {NAN, -INFINITY, -0.0};
    uint8_t eq[] = {0, 255, 7};
    chunk_roundtrip(ets, ev, eq, 3);
    static const size_t ns[] = {2, 127, 128, 129, 130, 256, 257, 1000};
    for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++) {
        make_series(ts, v, q, ns[k], k + 10);
        chunk_roundtrip(ts, v, q, ns[k]);
        for (size_t i = 0; i < ns[k]; i++) v[i] = dbl(special_bits[(i * 5) % NSPECIAL]);
        chunk_roundtrip(ts, v, q, ns[k]);
    }
}

static void test_chunk_reject_encode(void **state) {
    (void)state;
    int64_t ts[] = {10, 20, 15};
    double v[] = {1, 2, 3};
    uint8_t q[] = {0, 0, 0};
    codec_buf b = {0};
    put_u8(&b, 0x55);
    assert_int_equal(codec_chunk_encode(&b, ts, v, q, 0), CODEC_ECORRUPT);
    assert_int_equal(codec_chunk_encode(&b, ts, v, q, 3), CODEC_ECORRUPT);
    /* the count is checked before any array is read */
    assert_int_equal(codec_chunk_encode(&b, ts, v, q, ((size_t)1 << 24) + 1), CODEC_ECORRUPT);
    assert_int_equal(b.len, 1);
    assert_int_equal(b.p[0], 0x55);
    assert_int_equal(codec_chunk_encode(&b, ts, v, q, 2), CODEC_OK);
    assert_true(b.len > 1);
    codec_buf_free(&b);
}

static int chunk_decode_raw(const codec_buf *b, size_t cap) {
    uint8_t *cp = dup_exact(b->p, b->len);
    int64_t *ts = malloc((cap ? cap : 1) * sizeof *ts);
    double *v = malloc((cap ? cap : 1) * sizeof *v);
    uint8_t *q = malloc(cap ? cap : 1);
    assert_true(ts && v && q);
    int rc = codec_chunk_decode(cp, b->len, ts, v, q, cap);
    free(cp);
    free(ts);
    free(v);
    free(q);
    return rc;
}

static void test_chunk_corrupt(void **state) {
    (void)state;
    codec_buf b = {0};
    size_t n;
    /* empty input */
    assert_int_equal(codec_chunk_count((const uint8_t *)"", 0, &n), CODEC_ECORRUPT);
    /* unknown version */
    put_u8(&b, CODEC_CHUNK_VERSION + 1), put_uv(&b, 1), put_uv(&b, 0), put_u8(&b, 1);
    put_u8(&b, 0), put_uv(&b, 0), put_uv(&b, 1), put_uv(&b, 0), put_uv(&b, 1);
    assert_int_equal(codec_chunk_count(b.p, b.len, &n), CODEC_ECORRUPT);
    assert_int_equal(chunk_decode_raw(&b, 1), CODEC_ECORRUPT);
    b.p[0] = CODEC_CHUNK_VERSION; /* now valid: one point (0, 0.0 scaled, q 0) */
    assert_int_equal(codec_chunk_count(b.p, b.len, &n), CODEC_OK);
    assert_int_equal(n, 1);
    assert_int_equal(chunk_decode_raw(&b, 1), CODEC_OK);
    codec_buf_free(&b);
    /* n = 0 and n > 2^24 */
    put_u8(&b, CODEC_CHUNK_VERSION), put_uv(&b, 0);
    assert_int_equal(codec_chunk_count(b.p, b.len, &n), CODEC_ECORRUPT);
    codec_buf_free(&b);
    put_u8(&b, CODEC_CHUNK_VERSION), put_uv(&b, ((uint64_t)1 << 24) + 1);
    assert_int_equal(codec_chunk_count(b.p, b.len, &n), CODEC_ECORRUPT);
    codec_buf_free(&b);
    /* n = 2^24 is the limit, but only with the bytes to hold that many
     * points (test_count_bounded) */
    put_u8(&b, CODEC_CHUNK_VERSION), put_uv(&b, (uint64_t)1 << 24);
    assert_int_equal(codec_chunk_count(b.p, b.len, &n), CODEC_ECORRUPT);
    codec_buf_free(&b);
    /* quality above 255, then exactly 255 */
    for (int qv = 256; qv >= 255; qv--) {
        put_u8(&b, CODEC_CHUNK_VERSION), put_uv(&b, 1), put_uv(&b, 0);
        put_u8(&b, 0), put_u8(&b, 0), put_u8(&b, 0), put_u8(&b, 0), put_u8(&b, 0);
        put_u8(&b, 0), put_u8(&b, 0), put_u8(&b, 0), put_u8(&b, 0); /* XOR 0.0 */
        put_uv(&b, 1), put_uv(&b, (uint64_t)qv), put_uv(&b, 1);
        assert_int_equal(chunk_decode_raw(&b, 1), qv > 255 ? CODEC_ECORRUPT : CODEC_OK);
        codec_buf_free(&b);
    }
}

/* A patched value column inside a chunk: round trip, and a trailing byte
 * after it rejected. */
static void test_chunk_patched(void **state) {
    (void)state;
    static int64_t ts[2016];
    static double v[2016];
    static uint8_t qual[2016];
    const size_t n = 2016;
    codec_buf b = {0};
    nab_like(v, n, 3, 20);
    for (size_t i = 0; i < n; i++) ts[i] = 1372896000000 + 300000 * (int64_t)i, qual[i] = 192;
    assert_int_equal(codec_chunk_encode(&b, ts, v, qual, n), CODEC_OK);
    chunk_decode_check(&b, ts, v, qual, n);
    put_u8(&b, 0);
    assert_int_equal(chunk_decode_raw(&b, n), CODEC_ECORRUPT);
    codec_buf_free(&b);
}

/* A few encoded chunks covering every value mode. */
static size_t sample_chunks(codec_buf *out, size_t max) {
    static int64_t ts[900];
    static double v[900];
    static uint8_t q[900];
    size_t k = 0;
    assert_true(max >= 6);
    make_series(ts, v, q, 900, 77); /* scaled delta */
    assert_int_equal(codec_chunk_encode(&out[k++], ts, v, q, 900), CODEC_OK);
    for (size_t i = 0; i < 300; i++) v[i] = 0.25 * (double)i; /* scaled dod */
    assert_int_equal(codec_chunk_encode(&out[k++], ts, v, q, 300), CODEC_OK);
    for (size_t i = 0; i < 200; i++) {
        v[i] = i % 13 ? sin((double)i) : dbl(special_bits[i % NSPECIAL]); /* XOR */
        ts[i] = (int64_t)(i * i * 37 + i);
    }
    assert_int_equal(codec_chunk_encode(&out[k++], ts, v, q, 200), CODEC_OK);
    int64_t t1 = 1700000000000;
    double v1 = 3.5;
    uint8_t q1 = 192;
    assert_int_equal(codec_chunk_encode(&out[k++], &t1, &v1, &q1, 1), CODEC_OK);
    int64_t ets[] = {0, 1, MAX_TS};
    double ev[] = {NAN, -INFINITY, -0.0};
    uint8_t eq[] = {0, 255, 7};
    assert_int_equal(codec_chunk_encode(&out[k++], ets, ev, eq, 3), CODEC_OK);
    nab_like(v, 700, 11, 15); /* patched decimal */
    v[0] = NAN, v[699] = -0.0;
    for (size_t i = 0; i < 700; i++) ts[i] = 1700000000000 + 60000 * (int64_t)i;
    assert_int_equal(codec_chunk_encode(&out[k++], ts, v, q, 700), CODEC_OK);
    codec_buf tb = {0};
    assert_int_equal(codec_ts_encode(&tb, ts, 700), CODEC_OK);
    assert_int_equal(out[k - 1].p[1 + uvarint_len(700) + tb.len], 3); /* the value mode */
    codec_buf_free(&tb);
    return k;
}

static void test_chunk_truncated(void **state) {
    (void)state;
    codec_buf chunks[8] = {{0}};
    size_t nc = sample_chunks(chunks, 8);
    for (size_t c = 0; c < nc; c++) {
        size_t n;
        assert_int_equal(codec_chunk_count(chunks[c].p, chunks[c].len, &n), CODEC_OK);
        int64_t *ts = malloc(n * sizeof *ts);
        double *v = malloc(n * sizeof *v);
        uint8_t *q = malloc(n);
        assert_true(ts && v && q);
        for (size_t len = 0; len < chunks[c].len; len++) {
            uint8_t *cp = dup_exact(chunks[c].p, len);
            size_t m;
            int rc = codec_chunk_count(cp, len, &m);
            assert_true(rc == CODEC_ECORRUPT || (rc == CODEC_OK && m == n));
            if (codec_chunk_decode(cp, len, ts, v, q, n) != CODEC_ECORRUPT)
                fail_msg("chunk %zu: prefix of %zu of %zu bytes accepted", c, len, chunks[c].len);
            free(cp);
        }
        free(ts);
        free(v);
        free(q);
        codec_buf_free(&chunks[c]);
    }
}

/* Decodes arbitrary bytes as a chunk: must not crash; a success must still
 * satisfy the chunk invariants. Returns the decoder's result. */
static int decode_any(const uint8_t *p, size_t len) {
    uint8_t *cp = dup_exact(p, len);
    size_t n = 0;
    int rc = codec_chunk_count(cp, len, &n);
    if (rc == CODEC_OK) {
        assert_true(n >= 1 && n <= ((size_t)1 << 24));
        size_t cap = n < ((size_t)1 << 16) ? n : ((size_t)1 << 16);
        int64_t *ts = malloc(cap * sizeof *ts);
        double *v = malloc(cap * sizeof *v);
        uint8_t *q = malloc(cap);
        assert_true(ts && v && q);
        rc = codec_chunk_decode(cp, len, ts, v, q, cap);
        assert_true(rc == CODEC_OK || rc == CODEC_ECORRUPT);
        if (rc == CODEC_OK) {
            assert_true(cap == n);
            for (size_t i = 0; i < n; i++) {
                assert_true(ts[i] >= 0 && ts[i] <= MAX_TS);
                if (i) assert_true(ts[i] > ts[i - 1]);
            }
        }
        free(ts);
        free(v);
        free(q);
    } else {
        assert_int_equal(rc, CODEC_ECORRUPT);
    }
    free(cp);
    return rc;
}

static void test_chunk_bitflips(void **state) {
    (void)state;
    codec_buf chunks[8] = {{0}};
    size_t nc = sample_chunks(chunks, 8);
    rng_seed(4242);
    size_t ok = 0, bad = 0;
    uint8_t *buf = malloc(8192);
    assert_non_null(buf);
    for (int trial = 0; trial < 40000; trial++) {
        const codec_buf *c = &chunks[rng_below(nc)];
        size_t len = c->len;
        memcpy(buf, c->p, len);
        switch (rng_below(4)) {
            case 0: /* flip one bit */
                buf[rng_below(len)] ^= (uint8_t)(1u << rng_below(8));
                break;
            case 1: /* flip a few bits */
                for (int k = 1 + (int)rng_below(4); k > 0; k--)
                    buf[rng_below(len)] ^= (uint8_t)(1u << rng_below(8));
                break;
            case 2: /* random byte, then truncate somewhere */
                buf[rng_below(len)] = (uint8_t)rng();
                len = 1 + (size_t)rng_below(len);
                break;
            default: /* random bytes after a valid header */
                for (size_t i = 2 + (size_t)rng_below(len - 1); i < len; i++)
                    buf[i] = (uint8_t)rng();
                break;
        }
        if (decode_any(buf, len) == CODEC_OK)
            ok++;
        else
            bad++;
    }
    /* pure garbage with a plausible header */
    for (int trial = 0; trial < 20000; trial++) {
        size_t len = (size_t)rng_below(80);
        for (size_t i = 0; i < len; i++) buf[i] = (uint8_t)rng();
        if (len > 0) buf[0] = CODEC_CHUNK_VERSION;
        if (len > 1) buf[1] = (uint8_t)(1 + rng_below(6));
        decode_any(buf, len);
    }
    print_message("bit flips: %zu decoded, %zu rejected\n", ok, bad);
    assert_true(bad > ok); /* most damage is detected */
    free(buf);
    for (size_t k = 0; k < nc; k++) codec_buf_free(&chunks[k]);
}

/* ---- sizes ---- */

static void test_sizes(void **state) {
    (void)state;
    static int64_t ts[900];
    static double v[900];
    static uint8_t q[900];
    make_series(ts, v, q, 900, 2025);
    codec_buf b = {0};
    assert_int_equal(codec_chunk_encode(&b, ts, v, q, 900), CODEC_OK);
    codec_buf t = {0};
    assert_int_equal(codec_ts_encode(&t, ts, 900), CODEC_OK);
    codec_buf x = {0};
    assert_int_equal(codec_xor_encode(&x, v, 900), CODEC_OK);
    codec_buf vv = {0};
    assert_int_equal(codec_values_encode(&vv, v, 900), CODEC_OK);
    print_message("900-point chunk: %zu bytes (%.3f B/pt): ts %zu, values %zu (mode %d; "
                  "XOR alone %zu)\n",
                  b.len, (double)b.len / 900, t.len, vv.len, vv.p[0], x.len);
    assert_true(b.len < 900);
    assert_true((double)t.len / 900 < 0.05);
    assert_int_equal(vv.p[0], 1);
    assert_true(vv.len < x.len / 2);
    codec_buf_free(&b);
    codec_buf_free(&t);
    codec_buf_free(&x);
    codec_buf_free(&vv);
}

/* ---- rollup ---- */

static void rollup_check(const codec_rollup *r, size_t n, int check_prefixes) {
    codec_buf b = {0};
    assert_int_equal(codec_rollup_encode(&b, r, n), CODEC_OK);
    uint8_t *cp = dup_exact(b.p, b.len);
    size_t cnt = 99;
    assert_int_equal(codec_rollup_count(cp, b.len, &cnt), CODEC_OK);
    assert_int_equal(cnt, n);
    codec_rollup *out = calloc(n + 1, sizeof *out);
    assert_non_null(out);
    assert_int_equal(codec_rollup_decode(cp, b.len, out, n), CODEC_OK);
    for (size_t i = 0; i < n; i++) {
        assert_true(out[i].ts_ms == r[i].ts_ms);
        assert_true(out[i].count == r[i].count);
        assert_true(bits_of(out[i].min) == bits_of(r[i].min));
        assert_true(bits_of(out[i].max) == bits_of(r[i].max));
        assert_true(bits_of(out[i].sum) == bits_of(r[i].sum));
        assert_true(bits_of(out[i].first) == bits_of(r[i].first));
        assert_true(bits_of(out[i].last) == bits_of(r[i].last));
    }
    if (n) assert_int_equal(codec_rollup_decode(cp, b.len, out, n - 1), CODEC_ECORRUPT);
    free(cp);
    cp = malloc(b.len + 1);
    assert_non_null(cp);
    memcpy(cp, b.p, b.len);
    cp[b.len] = 0;
    assert_int_equal(codec_rollup_decode(cp, b.len + 1, out, n), CODEC_ECORRUPT);
    free(cp);
    if (check_prefixes) {
        for (size_t len = 0; len < b.len; len++) {
            cp = dup_exact(b.p, len);
            assert_int_equal(codec_rollup_decode(cp, len, out, n), CODEC_ECORRUPT);
            free(cp);
        }
    }
    free(out);
    codec_buf_free(&b);
}

static void test_rollup(void **state) {
    (void)state;
    static int64_t ts[900];
    static double v[900];
    static uint8_t q[900];
    static codec_rollup r[96];
    rollup_check(r, 0, 1);
    /* a day of 15-minute buckets built from 1 s points */
    for (size_t k = 0; k < 96; k++) {
        make_series(ts, v, q, 900, k);
        r[k].ts_ms = 1700000000000 + 900000 * (int64_t)k;
        r[k].count = k % 10 ? 900 : 899;
        r[k].min = r[k].max = r[k].sum = v[0];
        for (size_t i = 1; i < r[k].count; i++) {
            r[k].min = fmin(r[k].min, v[i]);
            r[k].max = fmax(r[k].max, v[i]);
            r[k].sum += v[i];
        }
        r[k].first = v[0];
        r[k].last = v[r[k].count - 1];
    }
    rollup_check(r, 96, 1);
    /* extreme single bucket */
    r[0].ts_ms = MAX_TS;
    r[0].count = UINT32_MAX;
    r[0].min = -INFINITY;
    r[0].max = NAN;
    r[0].sum = -0.0;
    r[0].first = DBL_MAX;
    r[0].last = dbl(1);
    rollup_check(r, 1, 1);
    /* unsorted buckets cannot be encoded */
    r[1] = r[0];
    codec_buf b = {0};
    assert_int_equal(codec_rollup_encode(&b, r, 2), CODEC_ECORRUPT);
    assert_int_equal(b.len, 0);
    codec_buf_free(&b);
    /* a count above UINT32_MAX is corrupt */
    for (uint64_t c = (uint64_t)UINT32_MAX + 1; c >= UINT32_MAX; c--) {
        put_u8(&b, CODEC_CHUNK_VERSION), put_uv(&b, 1), put_uv(&b, 0);
        put_uv(&b, 1), put_uv(&b, c), put_uv(&b, 1);
        for (int f = 0; f < 5; f++) put_u8(&b, 1), put_u8(&b, 0), put_uv(&b, 0);
        codec_rollup one;
        assert_int_equal(codec_rollup_decode(b.p, b.len, &one, 1),
                         c > UINT32_MAX ? CODEC_ECORRUPT : CODEC_OK);
        codec_buf_free(&b);
    }
}

/* ---- rollup record version 3 ---- */

/* Layout byte of an encoded version-3 record of at least one bucket. */
static uint8_t rollup_layout(const codec_buf *b) {
    const uint8_t *p = b->p + 1;
    uint64_t n;
    assert_int_equal(b->p[0], CODEC_ROLLUP_VERSION);
    assert_int_equal(codec_get_uvarint(&p, b->p + b->len, &n), CODEC_OK);
    assert_true(n >= 1);
    return *p;
}

/* Minutes of a random walk quantised to 10^-d, as the historian builds
 * them (sums rounded to the inputs' decimals). */
static void make_minutes(codec_rollup *r, size_t n, int d, double level, double step) {
    const double p10 = pow(10, d);
    double x = level;
    for (size_t i = 0; i < n; i++) {
        r[i].ts_ms = 1767225600000 + 60000 * (int64_t)i;
        r[i].count = 60;
        double s = 0;
        for (int k = 0; k < 60; k++) {
            x += step * (rng_unit() - 0.5);
            double v = round(x * p10) / p10;
            if (k == 0) r[i].first = r[i].min = r[i].max = v;
            r[i].min = fmin(r[i].min, v);
            r[i].max = fmax(r[i].max, v);
            r[i].last = v;
            s += v;
        }
        r[i].sum = round(s * p10) / p10;
    }
}

static void test_rollup_v3_layouts(void **state) {
    (void)state;
    static codec_rollup r[64];
    codec_buf b = {0};
    rng_seed(31);
    /* 15 minutes of a 2-decimal series: derived layout at d = 2, starts in
     * minutes, about 5 bytes a bucket (the five columns took about 9) */
    make_minutes(r, 15, 2, 231.57, 0.4);
    assert_int_equal(codec_rollup_encode(&b, r, 15), CODEC_OK);
    assert_int_equal(rollup_layout(&b), 0xc0 | 0x20 | 2); /* min, max unsigned */
    assert_true(b.len < 15 * 6 + 20);
    rollup_check(r, 15, 1);
    /* one hour bucket: starts in hours */
    codec_rollup h = {.ts_ms = 1767225600000,
                      .count = 3600,
                      .min = 99.5,
                      .max = 130.25,
                      .sum = 401234.75,
                      .first = 101,
                      .last = 120.5};
    b.len = 0;
    assert_int_equal(codec_rollup_encode(&b, &h, 1), CODEC_OK);
    assert_int_equal(rollup_layout(&b) & 0x3f, 0x30 | 2);
    assert_true(b.len <= 24);
    rollup_check(&h, 1, 1);
    /* starts in seconds and in milliseconds */
    make_minutes(r, 4, 1, 5, 1);
    r[2].ts_ms += 1000;
    b.len = 0;
    assert_int_equal(codec_rollup_encode(&b, r, 4), CODEC_OK);
    assert_int_equal(rollup_layout(&b) & 0x30, 0x10);
    rollup_check(r, 4, 1);
    r[2].ts_ms += 1;
    b.len = 0;
    assert_int_equal(codec_rollup_encode(&b, r, 4), CODEC_OK);
    assert_int_equal(rollup_layout(&b) & 0x30, 0x00);
    rollup_check(r, 4, 1);
    /* mixed scales share the largest exponent; when that makes the
     * residuals wider than the five columns, the columns are kept */
    make_minutes(r, 6, 2, 10, 0.2);
    r[3].sum += 0.001;
    b.len = 0;
    assert_int_equal(codec_rollup_encode(&b, r, 6), CODEC_OK);
    assert_int_equal(rollup_layout(&b) & 15, 3);
    rollup_check(r, 6, 1);
    r[3].sum = 0.123456789;
    b.len = 0;
    assert_int_equal(codec_rollup_encode(&b, r, 6), CODEC_OK);
    assert_int_equal(rollup_layout(&b) & 15, 15);
    rollup_check(r, 6, 1);
    /* -0.0, a non-decimal value, +-1e308, the smallest subnormal: columns */
    const double odd[] = {-0.0, 1.0 / 3, 1e308, -1e308, 5e-324, 73.96732207000001};
    for (size_t k = 0; k < sizeof odd / sizeof odd[0]; k++) {
        make_minutes(r, 5, 2, 10, 0.2);
        memcpy((char *)&r[k % 5] +
                   (k % 2 ? offsetof(codec_rollup, sum) : offsetof(codec_rollup, min)),
               &odd[k], sizeof(double));
        b.len = 0;
        assert_int_equal(codec_rollup_encode(&b, r, 5), CODEC_OK);
        assert_int_equal(rollup_layout(&b) & 15, 15);
        rollup_check(r, 5, 1);
    }
    /* integers near +-2^53 with any order of min/first/last/max: derived,
     * with escaped residuals; the same with a count whose prediction
     * overflows: columns */
    const double big = 9007199254740991.0;
    for (int c = 0; c < 2; c++) {
        for (size_t i = 0; i < 8; i++) {
            r[i].ts_ms = (int64_t)i * 3600000;
            r[i].count = c ? UINT32_MAX : 1;
            r[i].min = i % 2 ? big : -big;
            r[i].max = i % 3 ? -big : big;
            r[i].sum = i % 4 ? 0 : -big;
            r[i].first = i % 5 ? big : 1;
            r[i].last = -r[i].first;
        }
        b.len = 0;
        assert_int_equal(codec_rollup_encode(&b, r, 8), CODEC_OK);
        if (c) assert_int_equal(rollup_layout(&b) & 15, 15);
        rollup_check(r, 8, 1);
    }
    /* a step change of 10^6 in a 2-decimal series: escaped residuals */
    make_minutes(r, 15, 2, 231.57, 0.4);
    for (size_t i = 7; i < 15; i++) {
        r[i].min += 1e6, r[i].max += 1e6, r[i].first += 1e6, r[i].last += 1e6;
        r[i].sum = round((r[i].sum + 6e7) * 100) / 100;
    }
    b.len = 0;
    assert_int_equal(codec_rollup_encode(&b, r, 15), CODEC_OK);
    assert_int_equal(rollup_layout(&b) & 15, 2);
    rollup_check(r, 15, 1);
    /* counts of 0 and 1, min above first and max below last (signed
     * residuals), tiny magnitudes at 9 decimals, a single bucket */
    make_minutes(r, 10, 9, 1e-6, 1e-7);
    for (size_t i = 0; i < 10; i++) r[i].count = (uint32_t)(i % 2);
    r[4].min = r[4].first + 1e-9 * 7;
    r[7].max = r[7].last - 3e-9;
    rollup_check(r, 10, 1);
    rollup_check(r, 1, 1);
    codec_buf_free(&b);
}

static void test_rollup_v3_random(void **state) {
    (void)state;
    static codec_rollup r[200];
    rng_seed(77);
    for (int iter = 0; iter < 3000; iter++) {
        size_t n = 1 + (size_t)rng_below(iter % 10 ? 64 : 200);
        int d = (int)rng_below(10);
        double level = (rng_unit() - 0.5) * pow(10, (double)rng_below(12));
        make_minutes(r, n, d, level, fabs(level) * 0.01 + 1e-3);
        /* adversarial touches */
        for (size_t t = rng_below(4); t-- > 0;) {
            size_t i = (size_t)rng_below(n);
            double *f = (double *)((char *)&r[i] + offsetof(codec_rollup, min)) + rng_below(5);
            switch (rng_below(6)) {
                case 0:
                    *f = -*f;
                    break;
                case 1:
                    *f = round(rng_unit() * 1e6) / 1e3;
                    break;
                case 2:
                    *f = dbl(rng());
                    if (isnan(*f)) *f = 0;
                    break;
                case 3:
                    r[i].count = (uint32_t)rng();
                    break;
                case 4:
                    *f = 0.0;
                    break;
                default:
                    *f *= 1e6;
            }
        }
        rollup_check(r, n, n <= 4);
    }
}

/* Every bit of a derived record flipped: it is refused or decodes to
 * buckets that encode and decode back the same, never a crash or a read
 * past the input. */
static void test_rollup_v3_bitflips(void **state) {
    (void)state;
    static codec_rollup r[20], out[20];
    rng_seed(5);
    make_minutes(r, 20, 2, 1497.13, 3);
    codec_buf b = {0};
    assert_int_equal(codec_rollup_encode(&b, r, 20), CODEC_OK);
    size_t ok = 0;
    for (size_t bit = 0; bit < b.len * 8; bit++) {
        uint8_t *cp = dup_exact(b.p, b.len);
        cp[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        size_t n;
        if (codec_rollup_count(cp, b.len, &n) == CODEC_OK && n <= 20 &&
            codec_rollup_decode(cp, b.len, out, n) == CODEC_OK) {
            ok++;
            rollup_check(out, n, 0);
        }
        free(cp);
    }
    assert_true(ok < b.len * 8);
    codec_buf_free(&b);
}

static void decode_expect(const uint8_t *rec, size_t len, int want, codec_rollup *out) {
    uint8_t *cp = dup_exact(rec, len);
    assert_int_equal(codec_rollup_decode(cp, len, out, 4), want);
    free(cp);
}

static void test_rollup_v3_corrupt(void **state) {
    (void)state;
    codec_rollup out[4];
    /* one bucket at hour 0, count 1, d = 0, all residuals 0 at k = 0 */
    uint8_t zero[] = {3, 1, 0x30, 0, 1, 1, 1, 0, 0, 0, 0};
    decode_expect(zero, sizeof zero, CODEC_OK, out);
    assert_true(out[0].ts_ms == 0 && out[0].count == 1 && out[0].sum == 0 && out[0].last == 0);
    /* exponents 10 to 14 do not exist; flags belong to the derived layout */
    for (uint8_t d = 10; d < 15; d++) {
        zero[2] = (uint8_t)(0x30 | d);
        decode_expect(zero, sizeof zero, CODEC_ECORRUPT, out);
    }
    zero[2] = 0x30 | 15 | 0x40;
    decode_expect(zero, sizeof zero, CODEC_ECORRUPT, out);
    zero[2] = 0x30;
    /* a version above 3, or 3 in a chunk, is refused */
    zero[0] = 4;
    decode_expect(zero, sizeof zero, CODEC_ECORRUPT, out);
    size_t n;
    zero[0] = 3;
    assert_int_equal(codec_chunk_count(zero, sizeof zero, &n), CODEC_ECORRUPT);
    /* a trailing byte; a missing one */
    uint8_t trail[] = {3, 1, 0x30, 0, 1, 1, 1, 0, 0, 0, 0, 0};
    decode_expect(trail, sizeof trail, CODEC_ECORRUPT, out);
    decode_expect(trail, sizeof trail - 2, CODEC_ECORRUPT, out);
    /* k = 1 for first - previous last leaves 7 padding bits: must be zero */
    uint8_t pad[] = {3, 1, 0x30, 0, 1, 1, 1, 0, 0x08, 0, 0, 0};
    decode_expect(pad, sizeof pad, CODEC_OK, out);
    pad[sizeof pad - 1] = 1;
    decode_expect(pad, sizeof pad, CODEC_ECORRUPT, out);
    /* last - first = 8 escaped (16 ones, length 4, 0000) is valid; 1 escaped
     * (its short form was due) is not */
    const uint8_t esc[] = {3, 1, 0x30, 0, 1, 1, 1, 0, 0, 0, 0x0f, 0xff, 0xf1, 0, 0};
    decode_expect(esc, sizeof esc, CODEC_OK, out);
    assert_true(out[0].first == 0 && out[0].last == 8 && out[0].min == 0 && out[0].max == 8);
    const uint8_t esc1[] = {3, 1, 0x30, 0, 1, 1, 1, 0, 0, 0, 0x0f, 0xff, 0xf0, 0};
    decode_expect(esc1, sizeof esc1, CODEC_ECORRUPT, out);
    /* first at 2^53 - 1 is valid, 2^53 is not */
    uint8_t f0[] = {3,    1,    0x30, 0,    1,    1,    1, 0xfe, 0xff,
                    0xff, 0xff, 0xff, 0xff, 0xff, 0x1f, 0, 0,    0};
    decode_expect(f0, sizeof f0, CODEC_OK, out);
    assert_true(out[0].first == 9007199254740991.0);
    f0[7] = 0x80, f0[14] = 0x20;
    decode_expect(f0, sizeof f0, CODEC_ECORRUPT, out);
    /* a start beyond CODEC_MAX_TS_MS once multiplied by its unit, even one
     * whose product overflows int64 (found by fuzz_codec) */
    codec_buf b = {0};
    const uint8_t far[] = {3,    1,    0x20, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
                           0x80, 0x10, 1,    1,    1,    0,    0,    0,    0};
    decode_expect(far, sizeof far, CODEC_ECORRUPT, out);
    for (int past = 0; past < 2; past++) {
        b.len = 0;
        put_u8(&b, 3), put_u8(&b, 1), put_u8(&b, 0x30);
        put_uv(&b, (uint64_t)(MAX_TS / 3600000) + (uint64_t)past);
        put_u8(&b, 1), put_u8(&b, 1), put_u8(&b, 1);
        for (int i = 0; i < 4; i++) put_u8(&b, 0);
        decode_expect(b.p, b.len, past ? CODEC_ECORRUPT : CODEC_OK, out);
    }
    /* a sum whose prediction overflows: count 2^32 - 1 times 2 * (2^53 - 1) */
    b.len = 0;
    put_u8(&b, 3), put_u8(&b, 1), put_u8(&b, 0x30), put_u8(&b, 0);
    put_uv(&b, 1), put_uv(&b, UINT32_MAX), put_uv(&b, 1);
    put_uv(&b, 0xfffffffffffffeull >> 2); /* zigzag(2^53 - 1) */
    for (int i = 0; i < 4; i++) put_u8(&b, 0);
    decode_expect(b.p, b.len, CODEC_ECORRUPT, out);
    codec_buf_free(&b);
    /* n = 0 is the two bytes version, n */
    const uint8_t empty[] = {3, 0}, empty_more[] = {3, 0, 0};
    decode_expect(empty, sizeof empty, CODEC_OK, out);
    decode_expect(empty_more, sizeof empty_more, CODEC_ECORRUPT, out);
}

/* Records written by the previous release (version 2, five value columns,
 * captured from its encoder) and the same bytes as version 1 still read. */
static void test_rollup_old_layout(void **state) {
    (void)state;
    uint8_t four[] = {0x02, 0x04, 0x80, 0xd0, 0xea, 0xb6, 0xb7, 0x33, 0xe0, 0xd4, 0x03, 0x00,
                      0x00, 0x03, 0x3c, 0x02, 0x3b, 0x01, 0x3c, 0x01, 0x02, 0x02, 0x92, 0x13,
                      0x63, 0x00, 0x00, 0x02, 0x02, 0x8c, 0x15, 0x32, 0x00, 0x00, 0x02, 0x02,
                      0x96, 0xb1, 0x09, 0xc8, 0x01, 0x00, 0x00, 0x01, 0x02, 0xc4, 0x13, 0x02,
                      0x00, 0x2a, 0x01, 0x02, 0xa8, 0x14, 0x01, 0x00, 0x07};
    uint8_t one[] = {0x02, 0x01, 0x80, 0xd0, 0xea, 0xb6, 0xb7, 0x33, 0x01, 0x90, 0x1c,
                     0x01, 0x01, 0x01, 0x45, 0x01, 0x00, 0x80, 0x89, 0x7a, 0x00, 0x80,
                     0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x01, 0x02, 0x00,
                     0x40, 0x52, 0x7d, 0xe8, 0x9a, 0xd3, 0xd6, 0x57};
    codec_rollup out[4];
    for (uint8_t ver = 1; ver <= 2; ver++) {
        four[0] = one[0] = ver;
        memset(out, 0, sizeof out);
        decode_expect(four, sizeof four, CODEC_OK, out);
        for (int i = 0; i < 4; i++) {
            assert_true(out[i].ts_ms == 1767225600000 + i * 60000);
            assert_true(out[i].count == (uint32_t)(60 - (i == 2)));
            assert_true(out[i].min == 12.25 - i * 0.5 && out[i].max == 13.5 + i * 0.25);
            assert_true(out[i].sum == 768.75 + i);
            assert_true(out[i].first == 12.5 + i * 0.01 && out[i].last == 13.0 - i * 0.01);
        }
        decode_expect(one, sizeof one, CODEC_OK, out);
        assert_true(out[0].ts_ms == 1767225600000 && out[0].count == 3600);
        assert_true(out[0].min == -3.5 && out[0].max == 1e6 && out[0].first == 0.1);
        assert_true(bits_of(out[0].sum) == bits_of(-0.0));
        assert_true(out[0].last == 73.96732207000001);
        /* and the new encoder writes them smaller */
        codec_buf b = {0};
        assert_int_equal(codec_rollup_encode(&b, out, 1), CODEC_OK);
        assert_true(b.len < sizeof one);
        codec_buf_free(&b);
    }
}

/* ---- counts bounded by the record's length ---- */

/* The shortest encodings (FORMAT.md): a timestamp column of 0, 1, 2, ...
 * (first value, first delta, then all-zero delta-of-deltas: 2 bytes per PFor
 * block), a value column of zeros (mode 1 or 2 with d = 0, k[0] = 0, zero
 * differences), and one quality run. */
static size_t blocks_of(size_t m) {
    return (m + CODEC_PFOR_BLOCK - 1) / CODEC_PFOR_BLOCK;
}

static void put_zero_blocks(codec_buf *b, size_t m) {
    for (size_t i = 0; i < blocks_of(m); i++) put_u8(b, 0), put_u8(b, 0);
}

static void put_min_ts(codec_buf *b, size_t n) {
    put_uv(b, 0);
    if (n > 1) put_uv(b, 1), put_zero_blocks(b, n - 2);
}

/* Mode 1 or 2, whichever is shorter for n zeros (ties: mode 1). */
static void put_min_values(codec_buf *b, size_t n) {
    size_t delta = 3 + 2 * blocks_of(n - 1), dod = n > 1 ? 4 + 2 * blocks_of(n - 2) : 3;
    if (delta <= dod) {
        put_u8(b, 1), put_u8(b, 0), put_uv(b, 0), put_zero_blocks(b, n - 1);
    } else {
        put_u8(b, 2), put_u8(b, 0), put_uv(b, 0), put_uv(b, 0), put_zero_blocks(b, n - 2);
    }
}

static void put_min_chunk(codec_buf *b, size_t n) {
    put_u8(b, CODEC_CHUNK_VERSION), put_uv(b, n);
    put_min_ts(b, n);
    put_min_values(b, n);
    put_uv(b, 1), put_uv(b, 0), put_uv(b, n); /* one run of quality 0 */
}

/* A corrupt header claiming 2^24 points, then 15 plausible bytes: the
 * starts of a timestamp column (0, +1, one PFor block), a value column
 * (mode 1, one block) and a quality column of one run of 2^24. Also kept as
 * fuzz/regressions/codec/huge-count-short-chunk. */
static const uint8_t huge_count_chunk[] = {0x02, 0x80, 0x80, 0x80, 0x08, 0x00, 0x01,
                                           0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
                                           0x01, 0x00, 0x80, 0x80, 0x80, 0x08};

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define UNDER_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) ||                         \
    __has_feature(memory_sanitizer)
#define UNDER_SANITIZER 1
#endif
#endif

#ifndef UNDER_SANITIZER
/* Virtual memory size of this process in bytes (VmSize), 0 if unknown. */
static size_t vm_size(void) {
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return 0;
    char line[256];
    unsigned long kb = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmSize: %lu kB", &kb) == 1) break;
    fclose(f);
    return (size_t)kb * 1024;
}

/* In a child limited to 64 MiB more address space than it has: reads p as
 * the historian reads a stored chunk and a rollup record (count, arrays of
 * that size, decode). Exit status 0: both refused as corrupt without asking
 * for the arrays; 1, 3: an array was refused by the limit (the count got
 * through); 2, 4: a decode did not say corrupt; 5: the limit would not have
 * stopped a 128 MiB allocation, so it proves nothing; 6: setrlimit failed. */
static int read_path_limited(const uint8_t *p, size_t len, size_t vm) {
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct rlimit rl;
        if (getrlimit(RLIMIT_AS, &rl) != 0) _exit(6);
        rl.rlim_cur = vm + ((size_t)64 << 20);
        if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < rl.rlim_cur) rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_AS, &rl) != 0) _exit(6);
        size_t n;
        if (codec_chunk_count(p, len, &n) == CODEC_OK) {
            int64_t *ts = malloc(n * sizeof *ts);
            double *v = malloc(n * sizeof *v);
            uint8_t *q = malloc(n);
            if (!ts || !v || !q) _exit(1);
            if (codec_chunk_decode(p, len, ts, v, q, n) != CODEC_ECORRUPT) _exit(2);
            free(ts), free(v), free(q);
        }
        if (codec_rollup_count(p, len, &n) == CODEC_OK) {
            codec_rollup *r = malloc((n ? n : 1) * sizeof *r);
            if (!r) _exit(3);
            if (codec_rollup_decode(p, len, r, n) != CODEC_ECORRUPT) _exit(4);
            free(r);
        }
        void *volatile big = malloc((size_t)128 << 20);
        if (big) _exit(5);
        _exit(0);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}
#endif

static void test_count_bounded(void **state) {
    (void)state;
    size_t n;
    /* the header's n must fit in the bytes after it: refused at once, by the
     * count as by the decoders */
    uint8_t *cp = dup_exact(huge_count_chunk, sizeof huge_count_chunk);
    assert_int_equal(codec_chunk_count(cp, sizeof huge_count_chunk, &n), CODEC_ECORRUPT);
    assert_int_equal(codec_rollup_count(cp, sizeof huge_count_chunk, &n), CODEC_ECORRUPT);
    int64_t ts[4];
    double v[4];
    uint8_t q[4];
    codec_rollup r[4];
    assert_int_equal(codec_chunk_decode(cp, sizeof huge_count_chunk, ts, v, q, 4), CODEC_ECORRUPT);
    assert_int_equal(codec_rollup_decode(cp, sizeof huge_count_chunk, r, 4), CODEC_ECORRUPT);
#ifndef UNDER_SANITIZER
    /* ... before anything of the size of n is allocated (the sanitizers'
     * allocators reserve their address space up front: no proof there) */
    size_t vm = vm_size();
    if (vm) assert_int_equal(read_path_limited(cp, sizeof huge_count_chunk, vm), 0);
#endif
    free(cp);

    /* The bound never refuses a valid chunk: the shortest chunks of n points
     * (what the encoder writes for regular timestamps and zeros) are
     * accepted, and below 128 points (one byte of run length) a byte less
     * is refused by the count already. */
    static const size_t sizes[] = {1,   2,   3,   4,   127, 128,  129,  130,
                                   131, 255, 256, 257, 258, 1000, 4097, 65536};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        size_t k = sizes[s];
        codec_buf b = {0};
        put_min_chunk(&b, k);
        int64_t *t2 = malloc(k * sizeof *t2);
        double *v2 = calloc(k, sizeof *v2);
        uint8_t *q2 = calloc(k, 1);
        assert_true(t2 && v2 && q2);
        for (size_t i = 0; i < k; i++) t2[i] = (int64_t)i;
        codec_buf enc = {0};
        assert_int_equal(codec_chunk_encode(&enc, t2, v2, q2, k), CODEC_OK);
        assert_int_equal(enc.len, b.len); /* it is the shortest */
        cp = dup_exact(b.p, b.len);
        assert_int_equal(codec_chunk_count(cp, b.len, &n), CODEC_OK);
        assert_int_equal(n, k);
        assert_int_equal(codec_chunk_decode(cp, b.len, t2, v2, q2, k), CODEC_OK);
        for (size_t i = 0; i < k; i++) assert_true(t2[i] == (int64_t)i && v2[i] == 0.0 && !q2[i]);
        free(cp);
        if (k < 128) {
            cp = dup_exact(b.p, b.len - 1);
            assert_int_equal(codec_chunk_count(cp, b.len - 1, &n), CODEC_ECORRUPT);
            free(cp);
        }
        /* the same for a rollup record of k zero buckets */
        codec_rollup *rr = calloc(k, sizeof *rr);
        assert_non_null(rr);
        for (size_t i = 0; i < k; i++) rr[i].ts_ms = (int64_t)i;
        codec_buf rb = {0};
        assert_int_equal(codec_rollup_encode(&rb, rr, k), CODEC_OK);
        cp = dup_exact(rb.p, rb.len);
        assert_int_equal(codec_rollup_count(cp, rb.len, &n), CODEC_OK);
        assert_int_equal(n, k);
        assert_int_equal(codec_rollup_decode(cp, rb.len, rr, k), CODEC_OK);
        free(cp);
        if (k < 128) {
            cp = dup_exact(rb.p, rb.len - 1);
            assert_int_equal(codec_rollup_count(cp, rb.len - 1, &n), CODEC_ECORRUPT);
            free(cp);
        }
        free(rr);
        codec_buf_free(&rb);
        codec_buf_free(&enc);
        codec_buf_free(&b);
        free(t2), free(v2), free(q2);
    }
    /* an empty rollup record is the 3 bytes version, n = 0, no runs */
    static const uint8_t empty[] = {CODEC_CHUNK_VERSION, 0, 0};
    cp = dup_exact(empty, sizeof empty);
    assert_int_equal(codec_rollup_count(cp, sizeof empty, &n), CODEC_OK);
    assert_int_equal(n, 0);
    assert_int_equal(codec_rollup_decode(cp, sizeof empty, r, 0), CODEC_OK);
    free(cp);

    /* 2^24 points fit in about 512 KiB (counted, not decoded: the arrays
     * would take 285 MB); half of those bytes cannot hold them */
    codec_buf b = {0};
    put_min_chunk(&b, (size_t)1 << 24);
    assert_true(b.len < ((size_t)1 << 20));
    cp = dup_exact(b.p, b.len);
    assert_int_equal(codec_chunk_count(cp, b.len, &n), CODEC_OK);
    assert_int_equal(n, (size_t)1 << 24);
    assert_int_equal(codec_chunk_count(cp, b.len / 2, &n), CODEC_ECORRUPT);
    free(cp);
    codec_buf_free(&b);
}

/* ---- CRC-32C ---- */

static uint32_t crc32c_bitwise(uint32_t crc, const uint8_t *p, size_t n) {
    crc = ~crc;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0x82F63B78u & -(crc & 1));
    }
    return ~crc;
}

static void test_crc32c(void **state) {
    (void)state;
    assert_int_equal(codec_crc32c(0, "123456789", 9), 0xE3069283u);
    assert_int_equal(codec_crc32c(0, NULL, 0), 0);
    /* RFC 3720 (iSCSI) B.4 test vectors */
    uint8_t buf[32];
    memset(buf, 0, sizeof buf);
    assert_int_equal(codec_crc32c(0, buf, 32), 0x8A9136AAu);
    memset(buf, 0xff, sizeof buf);
    assert_int_equal(codec_crc32c(0, buf, 32), 0x62A8AB43u);
    for (int i = 0; i < 32; i++) buf[i] = (uint8_t)i;
    assert_int_equal(codec_crc32c(0, buf, 32), 0x46DD794Eu);
    for (int i = 0; i < 32; i++) buf[i] = (uint8_t)(31 - i);
    assert_int_equal(codec_crc32c(0, buf, 32), 0x113FDB5Cu);
    /* any length, any alignment, chained at any split */
    static uint8_t data[1100];
    rng_seed(8);
    for (size_t i = 0; i < sizeof data; i++) data[i] = (uint8_t)rng();
    for (size_t off = 0; off < 8; off++) {
        for (size_t n = 0; n < 70; n++)
            assert_int_equal(codec_crc32c(0, data + off, n), crc32c_bitwise(0, data + off, n));
        uint32_t whole = codec_crc32c(0, data + off, 1000);
        assert_int_equal(whole, crc32c_bitwise(0, data + off, 1000));
        for (size_t split = 0; split <= 1000; split += 37)
            assert_int_equal(
                codec_crc32c(codec_crc32c(0, data + off, split), data + off + split, 1000 - split),
                whole);
    }
}

/* ---- buffer ---- */

static void test_buf(void **state) {
    (void)state;
    codec_buf b = {0};
    assert_int_equal(codec_buf_put(&b, "abc", 3), CODEC_OK);
    assert_int_equal(codec_buf_reserve(&b, 10000), CODEC_OK);
    assert_true(b.cap >= 10003);
    assert_memory_equal(b.p, "abc", 3);
    assert_int_equal(codec_buf_reserve(&b, SIZE_MAX), CODEC_ENOMEM);
    assert_int_equal(b.len, 3);
    codec_buf_free(&b);
    assert_null(b.p);
    assert_int_equal(b.len, 0);
    codec_buf_free(&b); /* twice is harmless */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf),
        cmocka_unit_test(test_uvarint),
        cmocka_unit_test(test_zigzag),
        cmocka_unit_test(test_pfor_edges),
        cmocka_unit_test(test_pfor_exceptions),
        cmocka_unit_test(test_pfor_random),
        cmocka_unit_test(test_pfor_corrupt),
        cmocka_unit_test(test_xor_special),
        cmocka_unit_test(test_xor_random),
        cmocka_unit_test(test_xor_corrupt),
        cmocka_unit_test(test_decimal_exponent),
        cmocka_unit_test(test_values_modes),
        cmocka_unit_test(test_values_random),
        cmocka_unit_test(test_values_corrupt),
        cmocka_unit_test(test_values_patched),
        cmocka_unit_test(test_ts_roundtrip),
        cmocka_unit_test(test_ts_reject_encode),
        cmocka_unit_test(test_ts_corrupt),
        cmocka_unit_test(test_rle),
        cmocka_unit_test(test_rle_corrupt),
        cmocka_unit_test(test_chunk_roundtrip),
        cmocka_unit_test(test_chunk_reject_encode),
        cmocka_unit_test(test_chunk_corrupt),
        cmocka_unit_test(test_chunk_patched),
        cmocka_unit_test(test_chunk_truncated),
        cmocka_unit_test(test_chunk_bitflips),
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_rollup),
        cmocka_unit_test(test_rollup_v3_layouts),
        cmocka_unit_test(test_rollup_v3_random),
        cmocka_unit_test(test_rollup_v3_bitflips),
        cmocka_unit_test(test_rollup_v3_corrupt),
        cmocka_unit_test(test_rollup_old_layout),
        cmocka_unit_test(test_count_bounded),
        cmocka_unit_test(test_crc32c),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
