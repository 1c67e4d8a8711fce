/*
 * codec_rollup.c - rollup records of the historian: the aggregates (start,
 * count, min, max, sum, first, last) of consecutive buckets of one series,
 * encoded on top of the columns of codec.c. The byte layout is specified in
 * historian/FORMAT.md.
 *
 * Rollup records (version 3) exploit that a bucket's five aggregates are
 * related: on one decimal scale shared by the whole record, first is close
 * to the previous bucket's last, min and max lie just beyond first and last,
 * and the sum is near count x midrange. Those residuals are Rice-coded in
 * one bit stream with one 5-bit parameter per kind, so a 15-bucket record
 * pays about 3 bytes of headers instead of five column headers; records not
 * on one decimal scale (or smaller as columns) keep the five value columns.
 * Versions 1 and 2 (the five value columns only) are still read.
 *
 * The rules of codec.c hold here too: the decoder validates everything (it
 * is fed by the fuzz target with the chunk decoder) and gives CODEC_ECORRUPT
 * on malformed or truncated input, never a read outside the record; it is
 * strict, so a byte string has at most one meaning; the encoder leaves the
 * output buffer as it was on any error; every double round-trips bit for
 * bit.
 */
#include "historian/codec_internal.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* Offsets of the five double fields, in on-disk column order. */
static const size_t codec_rollup_fields[5] = {
    offsetof(codec_rollup, min), offsetof(codec_rollup, max), offsetof(codec_rollup, sum),
    offsetof(codec_rollup, first), offsetof(codec_rollup, last)};

/* Version 3 layout byte: bits 0-3 the shared decimal exponent d of the
 * derived layout, or CODEC_LAYOUT_COLUMNS for the five value columns of
 * version 2; bits 4-5 the unit of the bucket starts (codec_ts_units); bit 6
 * and 7: the min and max residuals are stored unsigned, not zigzagged. */
#define CODEC_LAYOUT_COLUMNS 15
#define CODEC_LAYOUT_MIN_U   0x40
#define CODEC_LAYOUT_MAX_U   0x80
static const int64_t codec_ts_units[4] = {1, 1000, 60000, 3600000};

/* Rice codes: q = v >> k ones, a zero, the k low bits; from
 * CODEC_RICE_ESC ones on, 6 bits of bitlen(v) - 1 and v below its top bit
 * follow instead (a step change must not cost a long run of ones). */
#define CODEC_RICE_ESC   16
#define CODEC_RICE_KBITS 5 /* k in 0..31 */

static inline uint64_t codec_rice_cost(uint64_t v, unsigned k) {
    uint64_t q = v >> k;
    return q < CODEC_RICE_ESC ? q + 1 + k : CODEC_RICE_ESC + 6 + codec_bitlen(v) - 1;
}

static inline void codec_rice_put(codec_bitw *w, uint64_t v, unsigned k) {
    uint64_t q = v >> k;
    if (q < CODEC_RICE_ESC) {
        uint64_t low = k ? v & (((uint64_t)1 << k) - 1) : 0;
        codec_bw_put(w, ((((uint64_t)1 << q) - 1) << (k + 1)) | low, (unsigned)q + 1 + k);
    } else {
        unsigned l = codec_bitlen(v) - 1;
        codec_bw_put(w, (((uint64_t)1 << CODEC_RICE_ESC) - 1) << 6 | l, CODEC_RICE_ESC + 6);
        if (l) codec_bw_put64(w, v & (((uint64_t)1 << l) - 1), l);
    }
}

/* The next (up to) 64 bits at the reader's position, zero past the end;
 * at least 57 of them are the input's when it has that many left. */
static inline uint64_t codec_br_peek(const codec_bitr *r) {
    size_t byte = r->pos >> 3;
    uint64_t win = 0;
    if (r->nbytes - byte >= 8) {
        win = codec_load64be(r->p + byte);
    } else {
        for (unsigned k = 0; byte + k < r->nbytes; k++)
            win |= (uint64_t)r->p[byte + k] << (56 - 8 * k);
    }
    return win << (r->pos & 7);
}

static inline int codec_rice_get(codec_bitr *r, unsigned k, uint64_t *out) {
    const size_t left = r->nbytes * 8 - r->pos;
    const uint64_t win = codec_br_peek(r);
    const unsigned q = ~win ? (unsigned)__builtin_clzll(~win) : 64;
    if (q < CODEC_RICE_ESC) {
        /* one window holds it all: q + 1 + k <= 47 < 57 */
        unsigned len = q + 1 + k;
        if (len > left) return CODEC_ECORRUPT;
        *out = (uint64_t)q << k | (k ? (win << (q + 1)) >> (64 - k) : 0);
        r->pos += len;
        return CODEC_OK;
    }
    uint64_t l, low = 0;
    if (left < CODEC_RICE_ESC) return CODEC_ECORRUPT;
    r->pos += CODEC_RICE_ESC;
    if (codec_br_get(r, 6, &l) != CODEC_OK ||
        (l && codec_br_get64(r, (unsigned)l, &low) != CODEC_OK))
        return CODEC_ECORRUPT;
    uint64_t v = (uint64_t)1 << l | low;
    if ((v >> k) < CODEC_RICE_ESC) return CODEC_ECORRUPT; /* the short form was due */
    *out = v;
    return CODEC_OK;
}

/* a + b into *out with |*out| < 2^53, the range of every scaled value */
static inline int codec_k_add(int64_t a, int64_t b, int64_t *out) {
    int64_t r;
    if (__builtin_add_overflow(a, b, &r) || r >= CODEC_2P53 || r <= -CODEC_2P53)
        return CODEC_ECORRUPT;
    *out = r;
    return CODEC_OK;
}

/* The sum's prediction: count times the midrange (on the peers' data it
 * leaves 0.4-1 bit less than the mean of first and last, or of all four);
 * scaled values are below 2^53, so only the product can overflow. */
static inline int codec_sum_pred(uint32_t count, int64_t mn, int64_t mx, int64_t *pred) {
    int64_t p;
    if (__builtin_mul_overflow((int64_t)count, mn + mx, &p)) return CODEC_ECORRUPT;
    *pred = p / 2;
    return CODEC_OK;
}

/* Residuals of the derived layout, bucket-major: for each bucket, first -
 * previous last (not for bucket 0), last - first, min(first, last) - min,
 * max - max(first, last), sum - prediction; in *flags which of min and max
 * residuals are all >= 0 (stored unsigned). res holds 5n values; returns
 * their count, or 0 when a prediction overflows (use the columns). */
static size_t codec_rollup_residuals(const codec_rollup *r, const int64_t *k, size_t n,
                                     uint64_t *res, uint8_t *flags) {
    size_t m = 0;
    uint8_t fl = CODEC_LAYOUT_MIN_U | CODEC_LAYOUT_MAX_U;
    for (size_t i = 0; i < n; i++) {
        const int64_t *b = k + 5 * i; /* min, max, sum, first, last */
        if (b[0] > (b[3] < b[4] ? b[3] : b[4])) fl &= (uint8_t)~CODEC_LAYOUT_MIN_U;
        if (b[1] < (b[3] > b[4] ? b[3] : b[4])) fl &= (uint8_t)~CODEC_LAYOUT_MAX_U;
    }
    for (size_t i = 0; i < n; i++) {
        const int64_t *b = k + 5 * i;
        int64_t lo = b[3] < b[4] ? b[3] : b[4], hi = b[3] > b[4] ? b[3] : b[4], pred;
        if (codec_sum_pred(r[i].count, b[0], b[1], &pred) != CODEC_OK) return 0;
        int64_t rs;
        if (__builtin_sub_overflow(b[2], pred, &rs)) return 0;
        if (i > 0) res[m++] = codec_zigzag(b[3] - k[5 * (i - 1) + 4]);
        res[m++] = codec_zigzag(b[4] - b[3]);
        res[m++] = fl & CODEC_LAYOUT_MIN_U ? (uint64_t)(lo - b[0]) : codec_zigzag(lo - b[0]);
        res[m++] = fl & CODEC_LAYOUT_MAX_U ? (uint64_t)(b[1] - hi) : codec_zigzag(b[1] - hi);
        res[m++] = codec_zigzag(rs);
    }
    *flags = fl;
    return m;
}

/* Column of residual m (0..4) in the bucket-major order above. */
static inline unsigned codec_res_col(size_t m) {
    return m < 4 ? (unsigned)m + 1 : (unsigned)((m - 4) % 5);
}

/* Derived body: uvarint zigzag(first[0]), then MSB-first bits: the Rice
 * parameter of each column (not the first-value column with one bucket),
 * the residuals, zero padding to a byte. */
static int codec_derived_encode(codec_buf *b, int64_t f0, const uint64_t *res, size_t m, size_t n) {
    unsigned kk[5] = {0};
    uint64_t total = (n > 1 ? 5 : 4) * CODEC_RICE_KBITS;
    for (unsigned c = 0; c < 5; c++) {
        if (c == 0 && n == 1) continue;
        unsigned maxl = 0;
        for (size_t i = 0; i < m; i++)
            if (codec_res_col(i) == c && codec_bitlen(res[i]) > maxl) maxl = codec_bitlen(res[i]);
        uint64_t best = UINT64_MAX;
        for (unsigned k = 0; k <= maxl && k < (1u << CODEC_RICE_KBITS); k++) {
            uint64_t cost = 0;
            for (size_t i = 0; i < m; i++)
                if (codec_res_col(i) == c) cost += codec_rice_cost(res[i], k);
            if (cost < best) best = cost, kk[c] = k;
        }
        total += best;
    }
    size_t bytes = (size_t)((total + 7) / 8);
    int rc = codec_buf_reserve(b, UVARINT_MAX + bytes + 8);
    if (rc != CODEC_OK) return rc;
    b->len += codec_uvarint_raw(b->p + b->len, codec_zigzag(f0));
    codec_bitw w = {b->p + b->len, 0, 0};
    for (unsigned c = n > 1 ? 0 : 1; c < 5; c++) codec_bw_put(&w, kk[c], CODEC_RICE_KBITS);
    for (size_t i = 0; i < m; i++) codec_rice_put(&w, res[i], kk[codec_res_col(i)]);
    if (w.fill) w.o++;
    b->len = (size_t)(w.o - b->p);
    return CODEC_OK;
}

static int codec_rollup_cols_encode(codec_buf *b, const codec_rollup *r, size_t n, double *col) {
    int rc = CODEC_OK;
    for (size_t f = 0; f < 5 && rc == CODEC_OK; f++) {
        for (size_t i = 0; i < n; i++)
            memcpy(&col[i], (const char *)&r[i] + codec_rollup_fields[f], sizeof(double));
        rc = codec_values_encode(b, col, n);
    }
    return rc;
}

int codec_rollup_encode(codec_buf *b, const codec_rollup *r, size_t n) {
    assert(b != NULL && (r != NULL || n == 0));
    if (n > CODEC_MAX_POINTS) return CODEC_ECORRUPT;
    for (size_t i = 0; i < n; i++)
        if (r[i].ts_ms < 0 || r[i].ts_ms > CODEC_MAX_TS_MS ||
            (i > 0 && r[i].ts_ms <= r[i - 1].ts_ms))
            return CODEC_ECORRUPT;
    size_t start = b->len;
    int rc = codec_put_byte(b, CODEC_ROLLUP_VERSION);
    if (rc == CODEC_OK) rc = codec_put_uvarint(b, n);
    if (rc != CODEC_OK || n == 0) {
        if (rc != CODEC_OK) b->len = start;
        return rc;
    }
    /* scratch: ts, 5n doubles, 5n scaled values, 5n residuals */
    if (n > SIZE_MAX / (16 * sizeof(int64_t))) return b->len = start, CODEC_ENOMEM;
    int64_t *ts = malloc(n * sizeof *ts);
    double *v = malloc(5 * n * sizeof *v);
    int64_t *k = malloc(5 * n * sizeof *k);
    uint64_t *res = malloc(5 * n * sizeof *res);
    rc = ts && v && k && res ? CODEC_OK : CODEC_ENOMEM;
    unsigned unit = 3;
    for (size_t i = 0; i < n && rc == CODEC_OK; i++)
        while (unit && r[i].ts_ms % codec_ts_units[unit]) unit--;
    const size_t lay_at = b->len;
    if (rc == CODEC_OK) rc = codec_put_byte(b, (uint8_t)(unit << 4 | CODEC_LAYOUT_COLUMNS));
    for (size_t i = 0; i < n && rc == CODEC_OK; i++) ts[i] = r[i].ts_ms / codec_ts_units[unit];
    if (rc == CODEC_OK) rc = codec_ts_encode(b, ts, n);
    if (rc == CODEC_OK) rc = codec_rle_encode_kind(b, r, CODEC_RLE_ROLLUP_COUNT, n);
    const size_t body = b->len;
    /* derived layout when all 5n values share a decimal exponent */
    int d = -1;
    size_t m = 0;
    uint8_t flags = 0;
    if (rc == CODEC_OK) {
        for (size_t i = 0; i < n; i++)
            for (size_t f = 0; f < 5; f++)
                memcpy(&v[5 * i + f], (const char *)&r[i] + codec_rollup_fields[f], sizeof(double));
        d = codec_decimal_exponent(v, 5 * n);
        for (size_t i = 0; d >= 0 && i < 5 * n; i++)
            if (!codec_decimal_ok(v[i], d, &k[i])) d = -1; /* cannot happen */
        if (d >= 0) m = codec_rollup_residuals(r, k, n, res, &flags);
        if (m) rc = codec_derived_encode(b, k[3], res, m, n);
    }
    /* the five columns, kept when shorter (or when the derived one is out) */
    if (rc == CODEC_OK) {
        size_t mark = b->len;
        rc = codec_rollup_cols_encode(b, r, n, v);
        if (rc == CODEC_OK && m && mark - body <= b->len - mark) {
            b->len = mark;
            b->p[lay_at] = (uint8_t)(unit << 4 | flags | d);
        } else if (rc == CODEC_OK && m) {
            memmove(b->p + body, b->p + mark, b->len - mark);
            b->len = body + (b->len - mark);
        }
    }
    free(ts);
    free(v);
    free(k);
    free(res);
    if (rc != CODEC_OK) b->len = start;
    return rc;
}

int codec_rollup_count(const uint8_t *p, size_t len, size_t *n) {
    assert((p != NULL || len == 0) && n != NULL);
    if (p == NULL) return CODEC_ECORRUPT;
    return codec_header_read(&p, p + len, 0, 1, n, NULL);
}

static int codec_rollup_cols_decode(const uint8_t **p, const uint8_t *end, codec_rollup *r,
                                    size_t n, double *col) {
    for (size_t f = 0; f < 5; f++) {
        if (codec_values_decode(p, end, col, n) != CODEC_OK) return CODEC_ECORRUPT;
        for (size_t i = 0; i < n; i++)
            memcpy((char *)&r[i] + codec_rollup_fields[f], &col[i], sizeof(double));
    }
    return CODEC_OK;
}

/* Derived body of n >= 1 buckets at exponent d, to the end of the record. */
static int codec_derived_decode(const uint8_t *p, const uint8_t *end, codec_rollup *r, size_t n,
                                int d, uint8_t flags) {
    uint64_t u, kk[5] = {0};
    if (codec_get_uvarint(&p, end, &u) != CODEC_OK) return CODEC_ECORRUPT;
    int64_t f = codec_unzigzag(u), l = 0;
    if (f >= CODEC_2P53 || f <= -CODEC_2P53) return CODEC_ECORRUPT;
    codec_bitr br = {p, (size_t)(end - p), 0};
    for (unsigned c = n > 1 ? 0 : 1; c < 5; c++)
        if (codec_br_get(&br, CODEC_RICE_KBITS, &kk[c]) != CODEC_OK) return CODEC_ECORRUPT;
    for (size_t i = 0; i < n; i++) {
        uint64_t x[5];
        for (unsigned c = i ? 0 : 1; c < 5; c++)
            if (codec_rice_get(&br, (unsigned)kk[c], &x[c]) != CODEC_OK) return CODEC_ECORRUPT;
        if (i > 0 && codec_k_add(l, codec_unzigzag(x[0]), &f) != CODEC_OK) return CODEC_ECORRUPT;
        if (codec_k_add(f, codec_unzigzag(x[1]), &l) != CODEC_OK) return CODEC_ECORRUPT;
        /* an unsigned residual above 2^63 would not survive the cast */
        if (((flags & CODEC_LAYOUT_MIN_U) && x[2] > INT64_MAX) ||
            ((flags & CODEC_LAYOUT_MAX_U) && x[3] > INT64_MAX))
            return CODEC_ECORRUPT;
        int64_t dmin = flags & CODEC_LAYOUT_MIN_U ? (int64_t)x[2] : codec_unzigzag(x[2]);
        int64_t dmax = flags & CODEC_LAYOUT_MAX_U ? (int64_t)x[3] : codec_unzigzag(x[3]);
        int64_t mn, mx, pred, s;
        if (__builtin_sub_overflow(f < l ? f : l, dmin, &mn) || mn >= CODEC_2P53 ||
            mn <= -CODEC_2P53 || codec_k_add(f > l ? f : l, dmax, &mx) != CODEC_OK ||
            codec_sum_pred(r[i].count, mn, mx, &pred) != CODEC_OK ||
            codec_k_add(pred, codec_unzigzag(x[4]), &s) != CODEC_OK)
            return CODEC_ECORRUPT;
        r[i].min = codec_unscale(mn, d);
        r[i].max = codec_unscale(mx, d);
        r[i].sum = codec_unscale(s, d);
        r[i].first = codec_unscale(f, d);
        r[i].last = codec_unscale(l, d);
    }
    /* zero padding, then the end of the record */
    size_t used = (br.pos + 7) / 8;
    if (used != br.nbytes || ((br.pos & 7) && (p[used - 1] & (0xffu >> (br.pos & 7)))))
        return CODEC_ECORRUPT;
    return CODEC_OK;
}

int codec_rollup_decode(const uint8_t *p, size_t len, codec_rollup *r, size_t n) {
    assert(r != NULL || n == 0);
    if (p == NULL) return CODEC_ECORRUPT;
    const uint8_t *end = p + len;
    size_t cnt;
    uint8_t ver, lay = CODEC_LAYOUT_COLUMNS;
    if (codec_header_read(&p, end, 0, 1, &cnt, &ver) != CODEC_OK || cnt > n) return CODEC_ECORRUPT;
    if (ver >= 3 && cnt == 0) return p == end ? CODEC_OK : CODEC_ECORRUPT;
    if (ver >= 3 && codec_get_byte(&p, end, &lay) != CODEC_OK) return CODEC_ECORRUPT;
    const unsigned dl = lay & 15;
    if ((dl > CODEC_MAX_DECIMALS && dl != CODEC_LAYOUT_COLUMNS) ||
        (dl == CODEC_LAYOUT_COLUMNS && (lay & (CODEC_LAYOUT_MIN_U | CODEC_LAYOUT_MAX_U))))
        return CODEC_ECORRUPT;
    const int64_t unit = codec_ts_units[(lay >> 4) & 3];
    /* cnt is bounded by the record's length (codec_header_read); small
     * records, the usual ones, decode without allocating */
    int64_t ts_stack[64];
    double col_stack[64];
    int64_t *ts = cnt <= 64 ? ts_stack : malloc(cnt * sizeof *ts);
    double *col = cnt <= 64 ? col_stack : malloc(cnt * sizeof *col);
    int rc = ts && col ? CODEC_OK : CODEC_ENOMEM;
    if (rc == CODEC_OK) rc = codec_ts_decode(&p, end, ts, cnt);
    for (size_t i = 0; i < cnt && rc == CODEC_OK; i++) {
        if (ts[i] > CODEC_MAX_TS_MS / unit)
            rc = CODEC_ECORRUPT; /* before the product */
        else
            r[i].ts_ms = ts[i] * unit;
    }
    if (rc == CODEC_OK) rc = codec_rle_decode_kind(&p, end, r, CODEC_RLE_ROLLUP_COUNT, cnt);
    if (rc == CODEC_OK && dl == CODEC_LAYOUT_COLUMNS) {
        rc = codec_rollup_cols_decode(&p, end, r, cnt, col);
        if (rc == CODEC_OK && p != end) rc = CODEC_ECORRUPT;
    } else if (rc == CODEC_OK) {
        rc = codec_derived_decode(p, end, r, cnt, (int)dl, lay);
    }
    if (ts != ts_stack) free(ts);
    if (col != col_stack) free(col);
    return rc;
}
