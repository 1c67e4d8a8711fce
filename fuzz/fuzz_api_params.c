/*
 * fuzz_api_params.c - libFuzzer target of the API's own small parsers and
 * writers, linked from the api library: api_parse_time, api_parse_duration,
 * api_parse_count, api_parse_real and api_split_list (api/params.c: every
 * number of a query string goes through them), and the writers that put
 * request-controlled text and stored numbers into responses: tb_jstr
 * (common/textbuf.h, JSON string literals) and nf_double / nf_double_sig
 * (common/numfmt.h, JSON numbers).
 *
 * The first input byte picks the function, the rest is its argument (a
 * NUL-terminated string, or 8 bytes of a double). Properties, beyond the
 * sanitizers: parsed times (api_parse_time and api_parse_time_s: the same
 * answer for RFC 3339 and fractions, whole seconds for the digits of the
 * seconds form), durations, counts and reals are in the ranges
 * params.h documents, whatever the text; split_list returns non-empty,
 * comma-free pieces, at most cap of them; tb_jstr of valid UTF-8 is JSON
 * that jansson reads back as the same string (and is a well-formed literal
 * for any bytes); nf_double writes a JSON number that reads back as the
 * same double (null for NaN and infinities), nf_double_sig one within its
 * 12 significant digits. The whole request path, with these in it, is
 * fuzz_api's. A broken property aborts.
 */
#include "api/params.h"
#include "common/numfmt.h"
#include "common/textbuf.h"

#include <ctype.h>
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_api_params: property failed: %s (line %d)\n", #cond, __LINE__);  \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#define NOW_MS 1700000000000LL

static bool utf8_valid(const unsigned char *s) {
    json_t *j = json_string((const char *)s); /* jansson checks UTF-8 */
    bool ok = j != NULL;
    json_decref(j);
    return ok;
}

static void check_jstr(const char *s) {
    textbuf b = {0};
    tb_jstr(&b, s);
    CHECK(!b.oom && b.p && b.n >= 2 && b.p[0] == '"' && b.p[b.n - 1] == '"');
    CHECK(strlen(b.p) == b.n);
    /* any bytes: the literal is JSON (invalid UTF-8 became U+FFFD) */
    json_error_t je;
    json_t *j = json_loadb(b.p, b.n, JSON_DECODE_ANY, &je);
    if (!j) fprintf(stderr, "fuzz_api_params: %s: %s\n", b.p, je.text);
    CHECK(json_is_string(j));
    /* valid UTF-8: it reads back as the same string */
    if (utf8_valid((const unsigned char *)s)) CHECK(strcmp(json_string_value(j), s) == 0);
    json_decref(j);
    free(b.p);
}

static void check_num(double v) {
    char t[NF_MAX + 1];
    size_t n = nf_double(t, v);
    CHECK(n > 0 && n < NF_MAX);
    t[n] = 0;
    if (!isfinite(v)) {
        CHECK(strcmp(t, "null") == 0);
    } else {
        json_error_t je;
        json_t *j = json_loadb(t, n, JSON_DECODE_ANY, &je);
        if (!json_is_number(j)) fprintf(stderr, "fuzz_api_params: %.17g -> %s\n", v, t);
        CHECK(json_is_number(j));
        json_decref(j);
        char *end;
        double back = strtod(t, &end);
        if (back != v) fprintf(stderr, "fuzz_api_params: %.17g -> %s -> %.17g\n", v, t, back);
        CHECK(*end == 0 && back == v);
    }
    n = nf_double_sig(t, v, 12);
    CHECK(n > 0 && n < NF_MAX);
    t[n] = 0;
    if (isfinite(v)) {
        char *end;
        double back = strtod(t, &end);
        CHECK(*end == 0);
        if (!(fabs(back - v) <= fabs(v) * 1e-11 || (fabs(v) < 1e-300 && fabs(back) < 1e-300)))
            fprintf(stderr, "fuzz_api_params: %.17g -> %s (12 digits)\n", v, t);
        CHECK(fabs(back - v) <= fabs(v) * 1e-11 || (fabs(v) < 1e-300 && fabs(back) < 1e-300));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    uint8_t op = data[0];
    char *s = malloc(size);
    if (!s) return 0;
    memcpy(s, data + 1, size - 1);
    s[size - 1] = 0;
    int64_t t = 0;
    switch (op % 7) {
        case 0: {
            /* both time forms (the op's top bit picks): in range; an offset
             * is not in the future; plain digits are ms in one, seconds in
             * the other; a seconds form with a fraction means the same in
             * both; RFC 3339 (a ':') gives the same in both */
            bool secs = op & 0x80;
            if (secs ? api_parse_time_s(s, NOW_MS, &t) : api_parse_time(s, NOW_MS, &t)) {
                CHECK(api_time_ok(t));
                if (s[0] == '-') CHECK(t <= NOW_MS);
                bool digits = s[0] != 0;
                for (const char *p = s; *p; p++) digits = digits && isdigit((unsigned char)*p);
                int64_t other = -1;
                bool ok_other =
                    secs ? api_parse_time(s, NOW_MS, &other) : api_parse_time_s(s, NOW_MS, &other);
                if (digits && secs) CHECK(t % 1000 == 0);
                if (!digits && s[0] != '-' && strcmp(s, "now")) CHECK(ok_other && other == t);
            }
            break;
        }
        case 1:
            if (api_parse_duration(s, &t)) CHECK(t >= 1 && t <= API_DURATION_MAX_MS);
            break;
        case 2: {
            uint64_t v, lo = op >> 6, hi = lo + ((uint64_t)1 << (op & 63));
            if (api_parse_count(s, lo, hi, &v))
                CHECK(v >= lo && v <= hi && isdigit((unsigned char)s[0]));
            break;
        }
        case 3: {
            char *out[8];
            bool overflow;
            size_t cap = (size_t)(op >> 3) % 9; /* 0..8 */
            size_t n = api_split_list(s, out, cap, &overflow);
            CHECK(n <= cap);
            for (size_t i = 0; i < n; i++) CHECK(out[i][0] && !strchr(out[i], ','));
            break;
        }
        case 4:
            check_jstr(s);
            break;
        case 5: {
            double v;
            uint8_t raw[8] = {0};
            memcpy(raw, data + 1, size - 1 < 8 ? size - 1 : 8);
            memcpy(&v, raw, sizeof v);
            check_num(v);
            break;
        }
        case 6: {
            double v;
            if (api_parse_real(s, -1e6, 1e6, &v)) CHECK(isfinite(v) && v >= -1e6 && v <= 1e6);
            break;
        }
    }
    free(s);
    return 0;
}
