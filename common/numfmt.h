/*
 * numfmt.h - numbers to text, fast, for the JSON and GeoJSON that parkd
 * writes by the megabyte (a day of 1-minute buckets, 1,500 live features).
 * Header-only; used by geo/ and api/ (a shared internal header, not a
 * module: no state, no allocation).
 *
 * printf("%.17g") costs about 300 ns a number and prints 0.1 as
 * 0.10000000000000001. Sensor values are mostly short decimals (a
 * transmitter's resolution), so those are found and printed exactly by
 * integer arithmetic; what is not a short decimal goes to printf.
 *
 * nf_double: the value exactly (strtod gives back the same double).
 * nf_double_sig: at most sig significant digits, for computed values
 * (averages) whose 17th digit means nothing.
 *
 * Output buffers must hold NF_MAX bytes; the functions return the length
 * written (no NUL unless noted: they are for appending).
 */
#ifndef PARKWATCH_NUMFMT_H
#define PARKWATCH_NUMFMT_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NF_MAX 32

static const double nf_p10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static inline size_t nf_u64(char *out, uint64_t v) {
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++) out[i] = tmp[n - 1 - i];
    return n;
}

static inline size_t nf_i64(char *out, int64_t v) {
    if (v < 0) {
        out[0] = '-';
        return 1 + nf_u64(out + 1, (uint64_t)0 - (uint64_t)v);
    }
    return nf_u64(out, (uint64_t)v);
}

/* u / 10^k with k fraction digits (trailing zeros trimmed). */
static inline size_t nf_fixed(char *out, bool neg, uint64_t u, int k) {
    size_t n = 0;
    if (neg) out[n++] = '-';
    uint64_t scale = (uint64_t)nf_p10[k];
    n += nf_u64(out + n, u / scale);
    uint64_t frac = u % scale;
    if (k > 0 && frac) {
        out[n++] = '.';
        char d[24];
        for (int i = k - 1; i >= 0; i--) d[i] = (char)('0' + frac % 10), frac /= 10;
        int last = k;
        while (last > 0 && d[last - 1] == '0') last--;
        memcpy(out + n, d, (size_t)last);
        n += (size_t)last;
    }
    return n;
}

/* The value as a decimal with at most max_k fraction digits when one
 * reads back as exactly v; 0 when there is none. r / 10^k == v with a
 * correctly rounded division means v is the double nearest r / 10^k, which
 * is what strtod returns for that decimal. At most max_digits significant
 * digits. */
static inline size_t nf_short_decimal(char *out, double v, int max_k, int max_digits) {
    double a = fabs(v);
    if (!(a < 9e15)) return 0;
    double top = max_digits < 16 ? nf_p10[max_digits] : 9007199254740992.0;
    for (int k = 0; k <= max_k; k++) {
        double r = round(a * nf_p10[k]);
        if (r >= top) return 0;
        if (r / nf_p10[k] == a) return nf_fixed(out, signbit(v) && r != 0, (uint64_t)r, k);
    }
    return 0;
}

/* v rounded to k fraction digits (k <= 9; |v| < 1e9), trailing zeros
 * trimmed: coordinates. */
static inline size_t nf_fixed_digits(char *out, double v, int k) {
    double r = round(fabs(v) * nf_p10[k]);
    if (!isfinite(v) || r >= 9007199254740992.0) return (size_t)snprintf(out, NF_MAX, "%.*f", k, v);
    return nf_fixed(out, v < 0 && r != 0, (uint64_t)r, k);
}

static inline size_t nf_double(char *out, double v) {
    if (!isfinite(v)) {
        memcpy(out, "null", 4);
        return 4;
    }
    size_t n = nf_short_decimal(out, v, 9, 17);
    if (n) return n;
    int m = snprintf(out, NF_MAX, "%.17g", v);
    /* the shortest of 15, 16 or 17 digits that reads back the same */
    for (int p = 15; p < 17; p++) {
        char t[NF_MAX];
        int k = snprintf(t, sizeof t, "%.*g", p, v);
        if (strtod(t, NULL) == v) {
            memcpy(out, t, (size_t)k);
            return (size_t)k;
        }
    }
    return (size_t)m;
}

static inline size_t nf_double_sig(char *out, double v, int sig) {
    if (!isfinite(v)) {
        memcpy(out, "null", 4);
        return 4;
    }
    if (sig < 1) sig = 1;
    if (sig > 15) sig = 15;
    size_t n = nf_short_decimal(out, v, 6, sig);
    if (n) return n;
    double a = fabs(v);
    if (a >= 1e-6 && a < 1e15) {
        int e = (int)floor(log10(a));
        int k = sig - 1 - e; /* fraction digits */
        if (k >= 0 && k <= 22) {
            double r = round(a * nf_p10[k]);
            if (r >= nf_p10[sig]) r = round(r / 10), k--; /* log10 rounded down a power */
            if (k >= 0 && r < 9007199254740992.0) return nf_fixed(out, v < 0, (uint64_t)r, k);
        }
    }
    return (size_t)snprintf(out, NF_MAX, "%.*g", sig, v);
}

#endif
