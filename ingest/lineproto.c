/*
 * lineproto.c - InfluxDB line protocol parser and series naming of ingest/.
 *
 * What is here: ingest_lp_parse, which turns a buffer of line protocol into
 * one callback per good line and one per rejected line, and
 * ingest_lp_series_name, which names the Parkwatch series of a field. The
 * accepted grammar, the reason codes and the limits are in ingest.h.
 *
 * Design:
 *   - Lines first: memchr finds each '\n', so a line's bounds are known
 *     before it is parsed. An overlong line is rejected without being read,
 *     a line with a NUL byte is rejected by one memchr, and a bad line can
 *     never swallow its neighbours: the next line always starts after the
 *     '\n', whatever happened inside.
 *   - Then a single forward pass over the line: measurement, tags, fields
 *     and timestamp are recognised as the cursor moves, with a 256-entry
 *     byte class table telling which bytes end or escape an element; the
 *     cursor never backs up (an unquoted value is delimited, then its few
 *     bytes are converted), so the work is linear in the line length.
 *   - Zero-copy where possible, one scratch buffer where not: the input is
 *     const and not NUL-terminated, so names and string values are copied,
 *     unescaped, into one scratch buffer as they are scanned and
 *     NUL-terminated there; numbers and timestamps are read straight from
 *     the input and never copied (except for the rare strtod fallback
 *     below). Unescaping only shrinks text, so the output cursor never
 *     passes the input cursor and a scratch of line length + a small slack
 *     always suffices: the size is fixed before the line is parsed and no
 *     pointer handed out ever moves.
 *   - Scratch lives on the stack for ordinary lines (1 KiB of text, 32 tags,
 *     32 fields) and only lines beyond that grow heap arrays, bounded by
 *     INGEST_LP_MAX_LINE / _MAX_TAGS / _MAX_FIELDS, freed on return.
 *   - Floats: exact fast path (Clinger): when the decimal significand fits
 *     in 53 bits and the decimal exponent is within [-22, 22], both the
 *     significand and the power of ten are exact doubles, and one IEEE
 *     multiplication or division rounds correctly, so the result equals
 *     strtod's. Only compiled in when doubles are IEEE binary64 evaluated
 *     without excess precision (FLT_EVAL_METHOD == 0). Every other float is
 *     rewritten into the scratch as "[-]digits e exp" (no decimal point, so
 *     the locale's decimal separator cannot matter) and given to strtod.
 *     The grammar is checked by hand first, so strtod never sees hex, inf,
 *     nan or anything else it would accept and line protocol does not.
 *   - Duplicate keys: a 32-bit FNV-1a hash of each key is compared with
 *     those before it (strcmp on a match) while a line has few keys; past
 *     32 a 4096-slot open-addressing table takes over, so even 1024 keys
 *     cost linear time.
 */
#include "ingest/ingest.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    STACK_CHARS = 1024, /* scratch text kept on the stack */
    STACK_TAGS = 32,
    STACK_FIELDS = 32,
    SCRATCH_SLACK = 64 /* room past the line length: final NUL, strtod exponent */
};

/* Byte classes. C_MEAS: ends or escapes a measurement. C_KEY: ends or
 * escapes a tag key, tag value or field key. C_VAL: ends an unquoted field
 * value or a timestamp. A backslash escapes exactly the bytes of its own
 * class (including itself). */
#define C_MEAS 1u
#define C_KEY  2u
#define C_VAL  4u
static const unsigned char byte_class[256] = {
    [','] = C_MEAS | C_KEY | C_VAL,
    [' '] = C_MEAS | C_KEY | C_VAL,
    ['='] = C_KEY,
    ['\\'] = C_MEAS | C_KEY,
};

#define END_OF_LINE (-1)
#define BAD_ESCAPE  (-2)

typedef struct lp_parser {
    char *text; /* scratch for unescaped, NUL-terminated strings */
    size_t text_cap;
    ingest_lp_tag *tags;
    uint32_t *tag_hash;
    size_t tags_cap;
    ingest_lp_field *fields;
    uint32_t *field_hash;
    size_t fields_cap;
    int text_heap, tags_heap, fields_heap; /* arrays currently on the heap */
    uint16_t *tag_table, *field_table;     /* duplicate-key hash tables, see key_seen */
    int tag_table_live, field_table_live;  /* the table holds the current line's keys */
    const char *reason;                    /* of the last rejection */
    char msg[128];
} lp_parser;

static int reject(lp_parser *p, size_t col, const char *reason, const char *what) {
    p->reason = reason;
    snprintf(p->msg, sizeof p->msg, "column %zu: %s", col + 1, what);
    return -1;
}

static uint32_t key_hash(const char *s, size_t n) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

/* ---- duplicate keys ----
 * Up to KEY_TABLE_MIN keys, a new key is compared with the hashes of those
 * before it. Beyond, an open-addressing table of key indexes (built from the
 * keys so far, then kept up to date) makes the check O(1), so a line of
 * 1024 keys costs no more per key than a line of 4. */
#define KEY_TABLE_MIN   32u
#define KEY_TABLE_SLOTS 4096u /* power of two, 4x the key limits */
_Static_assert(KEY_TABLE_SLOTS >= 2 * INGEST_LP_MAX_TAGS &&
                   KEY_TABLE_SLOTS >= 2 * INGEST_LP_MAX_FIELDS && INGEST_LP_MAX_FIELDS < 65535 &&
                   INGEST_LP_MAX_TAGS < 65535,
               "key table too small");

_Static_assert(offsetof(ingest_lp_tag, key) == 0 && offsetof(ingest_lp_field, key) == 0,
               "key_at needs the key first");

/* Key j of an array of structs whose first member is the key. */
static const char *key_at(const void *base, size_t stride, size_t j) {
    const char *const *k = (const void *)((const char *)base + j * stride);
    return *k;
}

static void table_put(uint16_t *table, uint32_t h, size_t j) {
    size_t s = h & (KEY_TABLE_SLOTS - 1);
    while (table[s]) s = (s + 1) & (KEY_TABLE_SLOTS - 1);
    table[s] = (uint16_t)(j + 1);
}

/* Is key k (hash h) among keys 0..n-1 of base? Records h as hash[n] and, if
 * not, k in the table. Returns 1 if seen, 0 if not, -1 out of memory. */
static int key_seen(const void *base, size_t stride, uint32_t *hash, uint16_t **table, int *live,
                    size_t n, const char *k, uint32_t h) {
    hash[n] = h;
    if (n < KEY_TABLE_MIN) {
        for (size_t j = 0; j < n; j++)
            if (hash[j] == h && strcmp(key_at(base, stride, j), k) == 0) return 1;
        return 0;
    }
    if (!*table && !(*table = malloc(KEY_TABLE_SLOTS * sizeof **table))) return -1;
    if (!*live) {
        memset(*table, 0, KEY_TABLE_SLOTS * sizeof **table);
        for (size_t j = 0; j < n; j++) table_put(*table, hash[j], j); /* distinct */
        *live = 1;
    }
    for (size_t s = h & (KEY_TABLE_SLOTS - 1);; s = (s + 1) & (KEY_TABLE_SLOTS - 1)) {
        size_t e = (*table)[s];
        if (e == 0) break;
        if (hash[e - 1] == h && strcmp(key_at(base, stride, e - 1), k) == 0) return 1;
    }
    table_put(*table, h, n);
    return 0;
}

/* ---- scratch growth (all bounded by the limits of ingest.h) ---- */

static int ensure_text(lp_parser *p, size_t need) {
    if (need <= p->text_cap) return 0;
    size_t cap = p->text_cap * 2;
    if (cap < need) cap = need;
    if (cap > INGEST_LP_MAX_LINE + SCRATCH_SLACK) cap = INGEST_LP_MAX_LINE + SCRATCH_SLACK;
    char *t = malloc(cap);
    if (!t) return -1;
    if (p->text_heap) free(p->text);
    p->text = t;
    p->text_cap = cap;
    p->text_heap = 1;
    return 0;
}

static int grow_tags(lp_parser *p) {
    size_t cap = p->tags_cap * 2;
    if (cap > INGEST_LP_MAX_TAGS) cap = INGEST_LP_MAX_TAGS;
    ingest_lp_tag *t = malloc(cap * sizeof *t);
    uint32_t *h = malloc(cap * sizeof *h);
    if (!t || !h) {
        free(t);
        free(h);
        return -1;
    }
    memcpy(t, p->tags, p->tags_cap * sizeof *t);
    memcpy(h, p->tag_hash, p->tags_cap * sizeof *h);
    if (p->tags_heap) {
        free(p->tags);
        free(p->tag_hash);
    }
    p->tags = t;
    p->tag_hash = h;
    p->tags_cap = cap;
    p->tags_heap = 1;
    return 0;
}

static int grow_fields(lp_parser *p) {
    size_t cap = p->fields_cap * 2;
    if (cap > INGEST_LP_MAX_FIELDS) cap = INGEST_LP_MAX_FIELDS;
    ingest_lp_field *f = malloc(cap * sizeof *f);
    uint32_t *h = malloc(cap * sizeof *h);
    if (!f || !h) {
        free(f);
        free(h);
        return -1;
    }
    memcpy(f, p->fields, p->fields_cap * sizeof *f);
    memcpy(h, p->field_hash, p->fields_cap * sizeof *h);
    if (p->fields_heap) {
        free(p->fields);
        free(p->field_hash);
    }
    p->fields = f;
    p->field_hash = h;
    p->fields_cap = cap;
    p->fields_heap = 1;
    return 0;
}

/* ---- elements ---- */

/* Copies the element at s[*pi] to *po, unescaping, up to the first unescaped
 * byte of class mask. Returns that byte (',', ' ' or '='), END_OF_LINE, or
 * BAD_ESCAPE for a backslash ending the line (*pi then points at it). */
static int scan_element(const unsigned char *s, size_t n, size_t *pi, char **po, unsigned mask) {
    size_t i = *pi;
    char *o = *po;
    int end = END_OF_LINE;
    while (i < n) {
        unsigned char c = s[i];
        if (!(byte_class[c] & mask)) {
            *o++ = (char)c;
            i++;
            continue;
        }
        if (c != '\\') {
            end = c;
            break;
        }
        if (i + 1 == n) {
            *pi = i;
            return BAD_ESCAPE;
        }
        if (byte_class[s[i + 1]] & mask) { /* escaped separator or backslash */
            *o++ = (char)s[i + 1];
            i += 2;
        } else { /* a backslash before any other byte is literal */
            *o++ = '\\';
            i++;
        }
    }
    *pi = i;
    *po = o;
    return end;
}

/* Digits only, to uint64. Returns 0, -1 for not digits (or none), -2 for overflow. */
static int parse_u64(const unsigned char *t, size_t n, uint64_t *out) {
    if (n == 0) return -1;
    uint64_t v = 0;
    int over = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned d = (unsigned)t[i] - '0';
        if (d > 9) return -1;
        if (v > (UINT64_MAX - d) / 10)
            over = 1;
        else
            v = v * 10 + d;
    }
    if (over) return -2;
    *out = v;
    return 0;
}

static int ascii_ieq(const unsigned char *t, size_t n, const char *word) {
    size_t i = 0;
    for (; i < n && word[i]; i++) {
        unsigned c = t[i];
        if (c >= 'A' && c <= 'Z') c += 'a' - 'A';
        if (c != (unsigned char)word[i]) return 0;
    }
    return i == n && word[i] == 0;
}

static int is_nan_or_inf(const unsigned char *t, size_t n) {
    if (n > 0 && (t[0] == '-' || t[0] == '+')) {
        t++;
        n--;
    }
    return ascii_ieq(t, n, "nan") || ascii_ieq(t, n, "inf") || ascii_ieq(t, n, "infinity");
}

/* 1: true, 0: false, -1: not a boolean. */
static int parse_bool(const unsigned char *t, size_t n) {
    static const char *const yes[] = {"t", "T", "true", "True", "TRUE"};
    static const char *const no[] = {"f", "F", "false", "False", "FALSE"};
    if (n > 5) return -1;
    for (size_t k = 0; k < 5; k++) {
        if (strlen(yes[k]) == n && memcmp(t, yes[k], n) == 0) return 1;
        if (strlen(no[k]) == n && memcmp(t, no[k], n) == 0) return 0;
    }
    return -1;
}

#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD == 0 && FLT_RADIX == 2 && DBL_MANT_DIG == 53
#define LP_FAST_FLOAT 1
static const double exact_pow10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                       1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                       1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
#else
#define LP_FAST_FLOAT 0
#endif

#define MAX_EXACT_SIG ((UINT64_C(1) << 53) - 1)
#define EXP_SATURATE  100000L

/* Float per the line protocol grammar -?(d+(.d*)?|.d+)([eE][+-]?d+)?.
 * tmp: scratch of at least n + 16 bytes for the strtod fallback.
 * Returns 0, -1 for syntax, -2 for out of the double range. */
static int parse_float(const unsigned char *t, size_t n, char *tmp, double *out) {
    size_t j = 0;
    int neg = 0;
    if (j < n && t[j] == '-') {
        neg = 1;
        j++;
    }
    uint64_t sig = 0;
    int exact = 1;  /* sig holds every digit exactly */
    long scale = 0; /* digits taken after the point */
    size_t int_start = j;
    while (j < n && (unsigned)t[j] - '0' <= 9) {
        unsigned d = (unsigned)t[j] - '0';
        if (exact && sig <= (MAX_EXACT_SIG - d) / 10)
            sig = sig * 10 + d;
        else
            exact = 0;
        j++;
    }
    size_t int_end = j, frac_start = j, frac_end = j;
    if (j < n && t[j] == '.') {
        j++;
        frac_start = j;
        while (j < n && (unsigned)t[j] - '0' <= 9) {
            unsigned d = (unsigned)t[j] - '0';
            if (exact && sig <= (MAX_EXACT_SIG - d) / 10) {
                sig = sig * 10 + d;
                scale++;
            } else {
                exact = 0;
            }
            j++;
        }
        frac_end = j;
    }
    if (int_end == int_start && frac_end == frac_start) return -1; /* no digit */
    long ex = 0;
    if (j < n && (t[j] == 'e' || t[j] == 'E')) {
        j++;
        int eneg = 0;
        if (j < n && (t[j] == '+' || t[j] == '-')) eneg = t[j++] == '-';
        size_t es = j;
        while (j < n && (unsigned)t[j] - '0' <= 9) {
            if (ex < EXP_SATURATE) ex = ex * 10 + (t[j] - '0');
            j++;
        }
        if (j == es) return -1;
        if (ex > EXP_SATURATE) ex = EXP_SATURATE;
        if (eneg) ex = -ex;
    }
    if (j != n) return -1;

    if (exact && sig == 0) { /* 0, -0.0, 0e999: no rounding question */
        *out = neg ? -0.0 : 0.0;
        return 0;
    }
#if LP_FAST_FLOAT
    long e10 = ex - scale;
    if (exact && e10 >= -22 && e10 <= 22) {
        double d = (double)sig; /* exact: sig < 2^53 */
        d = e10 >= 0 ? d * exact_pow10[e10] : d / exact_pow10[-e10];
        *out = neg ? -d : d;
        return 0;
    }
#endif
    /* Slow path: "[-]<all digits>e<exponent>" for strtod. Saturating the
     * written exponent at +-EXP_SATURATE cannot change the result: with at
     * most INGEST_LP_MAX_LINE digits the value is then far outside the
     * double range either way. */
    char *w = tmp;
    if (neg) *w++ = '-';
    memcpy(w, t + int_start, int_end - int_start);
    w += int_end - int_start;
    memcpy(w, t + frac_start, frac_end - frac_start);
    w += frac_end - frac_start;
    long total = ex - (long)(frac_end - frac_start);
    w += snprintf(w, 16, "e%ld", total);
    char *end = NULL;
    double d = strtod(tmp, &end);
    if (end != w) return -1;
    if (!isfinite(d)) return -2; /* overflow; underflow to 0 or subnormal is kept */
    *out = d;
    return 0;
}

/* Parses the field value at s[*pi] into f; *po is the scratch cursor. */
static int parse_value(lp_parser *p, const unsigned char *s, size_t n, size_t *pi, char **po,
                       ingest_lp_field *f) {
    size_t i = *pi;
    f->value = 0;
    f->i = 0;
    f->u = 0;
    f->str = NULL;
    if (i < n && s[i] == '"') {
        size_t start = i++;
        char *o = *po, *str = o;
        for (;;) {
            if (i == n)
                return reject(p, start, "unterminated_string",
                              "string value without closing quote");
            unsigned char c = s[i];
            if (c == '"') break;
            if (c == '\\' && i + 1 < n && (s[i + 1] == '"' || s[i + 1] == '\\')) {
                *o++ = (char)s[i + 1];
                i += 2;
            } else {
                *o++ = (char)c;
                i++;
            }
        }
        i++; /* closing quote */
        *o++ = 0;
        if (i < n && s[i] != ',' && s[i] != ' ')
            return reject(p, i, "bad_field_value", "unexpected byte after string value");
        f->type = INGEST_LP_STRING;
        f->str = str;
        *pi = i;
        *po = o;
        return 0;
    }

    size_t start = i;
    while (i < n && !(byte_class[s[i]] & C_VAL)) i++;
    const unsigned char *t = s + start;
    size_t len = i - start;
    *pi = i;
    if (len == 0) return reject(p, start, "bad_field_value", "empty field value");

    unsigned char last = t[len - 1];
    if (last == 'i') {
        int neg = t[0] == '-';
        uint64_t u;
        int rc = parse_u64(t + neg, len - 1 - (size_t)neg, &u);
        if (rc == -1) return reject(p, start, "bad_field_value", "invalid integer value");
        if (rc == -2 || u > (uint64_t)INT64_MAX + (uint64_t)neg)
            return reject(p, start, "out_of_range", "integer value out of int64 range");
        f->type = INGEST_LP_INT;
        /* -(u - 1) - 1 reaches INT64_MIN without overflowing */
        f->i = !neg ? (int64_t)u : u == 0 ? 0 : -(int64_t)(u - 1) - 1;
        f->value = (double)f->i;
        return 0;
    }
    if (last == 'u') {
        uint64_t u;
        int rc = parse_u64(t, len - 1, &u);
        if (rc == -1) return reject(p, start, "bad_field_value", "invalid unsigned value");
        if (rc == -2) return reject(p, start, "out_of_range", "unsigned value out of uint64 range");
        f->type = INGEST_LP_UINT;
        f->u = u;
        f->value = (double)u;
        return 0;
    }
    int b = (t[0] | 0x20) == 't' || (t[0] | 0x20) == 'f' ? parse_bool(t, len) : -1;
    if (b >= 0) {
        f->type = INGEST_LP_BOOL;
        f->value = b;
        return 0;
    }
    double d;
    int rc = parse_float(t, len, *po, &d);
    if (rc == 0) {
        f->type = INGEST_LP_FLOAT;
        f->value = d;
        return 0;
    }
    if (rc == -2) return reject(p, start, "out_of_range", "float value out of double range");
    if (is_nan_or_inf(t, len))
        return reject(p, start, "nan_or_inf", "NaN and infinity are not accepted");
    return reject(p, start, "bad_field_value", "invalid field value");
}

static int parse_timestamp(lp_parser *p, const unsigned char *t, size_t n, size_t col,
                           ingest_lp_precision prec, int64_t *ms) {
    if (t[0] == '-') return reject(p, col, "bad_timestamp", "negative timestamp");
    uint64_t v;
    int rc = parse_u64(t, n, &v);
    if (rc == -1) return reject(p, col, "bad_timestamp", "timestamp is not an integer");
    if (rc == -2 || v > (uint64_t)INT64_MAX)
        return reject(p, col, "bad_timestamp", "timestamp overflows int64");
    /* v >= 0, so floor division is plain division. */
    uint64_t max = (uint64_t)INGEST_LP_MAX_TS_MS;
    switch (prec) {
        case INGEST_LP_NS:
            v /= 1000000;
            break;
        case INGEST_LP_US:
            v /= 1000;
            break;
        case INGEST_LP_MS:
            break;
        case INGEST_LP_S:
        case INGEST_LP_M:
        case INGEST_LP_H: {
            /* checked before the multiplication: no overflow */
            uint64_t f = prec == INGEST_LP_S ? 1000 : prec == INGEST_LP_M ? 60000 : 3600000;
            v = v > max / f ? max + 1 : v * f;
            break;
        }
    }
    if (v > max) return reject(p, col, "bad_timestamp", "timestamp beyond the historian's range");
    *ms = (int64_t)v;
    return 0;
}

static int add_tag(lp_parser *p, size_t nt, const char *k, size_t klen, const char *v, size_t col) {
    if (nt == p->tags_cap) {
        if (nt >= INGEST_LP_MAX_TAGS) return reject(p, col, "too_many_tags", "too many tags");
        if (grow_tags(p) < 0) return reject(p, col, "no_memory", "out of memory for tags");
    }
    int seen = key_seen(p->tags, sizeof *p->tags, p->tag_hash, &p->tag_table, &p->tag_table_live,
                        nt, k, key_hash(k, klen));
    if (seen < 0) return reject(p, col, "no_memory", "out of memory for tags");
    if (seen) return reject(p, col, "duplicate_tag", "tag key given twice");
    p->tags[nt].key = k;
    p->tags[nt].value = v;
    return 0;
}

static int add_field(lp_parser *p, size_t nf, const char *k, size_t klen, size_t col) {
    if (nf == p->fields_cap) {
        if (nf >= INGEST_LP_MAX_FIELDS) return reject(p, col, "too_many_fields", "too many fields");
        if (grow_fields(p) < 0) return reject(p, col, "no_memory", "out of memory for fields");
    }
    int seen = key_seen(p->fields, sizeof *p->fields, p->field_hash, &p->field_table,
                        &p->field_table_live, nf, k, key_hash(k, klen));
    if (seen < 0) return reject(p, col, "no_memory", "out of memory for fields");
    if (seen) return reject(p, col, "duplicate_field", "field key given twice");
    p->fields[nf].key = k;
    return 0;
}

/* Parses s[i..n) (the line is s[0..n), i skips its leading blanks) into L.
 * Returns 0, or -1 with p->reason and p->msg set. */
static int parse_line(lp_parser *p, const unsigned char *s, size_t n, size_t i,
                      ingest_lp_precision prec, ingest_lp_line *L) {
    char *o = p->text; /* never more than 1 byte ahead of s + i, see the file comment */
    size_t nt = 0, nf = 0;
    int end;
    p->tag_table_live = p->field_table_live = 0;

    /* measurement */
    size_t start = i, series_start = i;
    char *meas = o;
    end = scan_element(s, n, &i, &o, C_MEAS);
    if (end == BAD_ESCAPE) return reject(p, i, "bad_escape", "backslash at end of line");
    if (o == meas) return reject(p, start, "missing_measurement", "empty measurement");
    *o++ = 0;

    /* tags */
    while (end == ',') {
        i++;
        start = i;
        char *k = o;
        end = scan_element(s, n, &i, &o, C_KEY);
        if (end == BAD_ESCAPE) return reject(p, i, "bad_escape", "backslash at end of line");
        if (end != '=') return reject(p, i, "bad_tag", "tag without '='");
        if (o == k) return reject(p, start, "bad_tag", "empty tag key");
        size_t klen = (size_t)(o - k);
        *o++ = 0;
        i++;
        size_t vstart = i;
        char *v = o;
        end = scan_element(s, n, &i, &o, C_KEY);
        if (end == BAD_ESCAPE) return reject(p, i, "bad_escape", "backslash at end of line");
        if (end == '=') return reject(p, i, "bad_tag", "unescaped '=' in tag value");
        if (o == v) return reject(p, vstart, "bad_tag", "empty tag value");
        *o++ = 0;
        if (add_tag(p, nt, k, klen, v, start) < 0) return -1;
        nt++;
    }
    if (end == END_OF_LINE) return reject(p, i, "missing_fields", "no field set");
    L->raw_series = (const char *)s + series_start;
    L->raw_series_len = i - series_start;
    while (i < n && s[i] == ' ') i++;
    if (i == n) return reject(p, i, "missing_fields", "no field set");

    /* fields */
    for (;;) {
        start = i;
        char *k = o;
        end = scan_element(s, n, &i, &o, C_KEY);
        if (end == BAD_ESCAPE) return reject(p, i, "bad_escape", "backslash at end of line");
        if (end != '=') return reject(p, i, "bad_field", "field without '='");
        if (o == k) return reject(p, start, "bad_field", "empty field key");
        size_t klen = (size_t)(o - k);
        *o++ = 0;
        i++;
        if (add_field(p, nf, k, klen, start) < 0) return -1;
        p->fields[nf].raw_key = (const char *)s + start;
        p->fields[nf].raw_key_len = i - 1 - start;
        if (parse_value(p, s, n, &i, &o, &p->fields[nf]) < 0) return -1;
        nf++;
        if (i < n && s[i] == ',') {
            i++;
            continue;
        }
        break; /* end of line or ' ' */
    }

    /* timestamp */
    L->has_ts = 0;
    L->ts_ms = 0;
    while (i < n && s[i] == ' ') i++;
    if (i < n) {
        start = i;
        while (i < n && s[i] != ' ') i++;
        if (parse_timestamp(p, s + start, i - start, start, prec, &L->ts_ms) < 0) return -1;
        L->has_ts = 1;
        while (i < n && s[i] == ' ') i++;
        if (i < n) return reject(p, i, "trailing_data", "unexpected data after the timestamp");
    }

    L->measurement = meas;
    L->tags = p->tags;
    L->n_tags = nt;
    L->fields = p->fields;
    L->n_fields = nf;
    return 0;
}

int ingest_lp_parse(const char *buf, size_t len, ingest_lp_precision precision,
                    ingest_lp_line_fn on_line, ingest_lp_reject_fn on_reject, void *ctx,
                    ingest_lp_stats *stats) {
    ingest_lp_stats st = {0, 0, 0, 0, 0};
    if (stats) *stats = st;
    if ((!buf && len > 0) || (unsigned)precision > (unsigned)INGEST_LP_H) return INGEST_LP_EINVAL;

    char text[STACK_CHARS];
    ingest_lp_tag tags[STACK_TAGS];
    uint32_t tag_hash[STACK_TAGS];
    ingest_lp_field fields[STACK_FIELDS];
    uint32_t field_hash[STACK_FIELDS];
    lp_parser p = {
        .text = text,
        .text_cap = sizeof text,
        .tags = tags,
        .tag_hash = tag_hash,
        .tags_cap = STACK_TAGS,
        .fields = fields,
        .field_hash = field_hash,
        .fields_cap = STACK_FIELDS,
    };

    int rc = 0;
    size_t pos = 0, line_no = 0;
    while (pos < len) {
        const unsigned char *s = (const unsigned char *)buf + pos;
        const unsigned char *nl = memchr(s, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - s) : len - pos;
        pos += n + (nl != NULL);
        line_no++;
        st.lines++;
        if (n > 0 && s[n - 1] == '\r') n--;

        int bad;
        ingest_lp_line L;
        if (n > INGEST_LP_MAX_LINE) {
            bad = reject(&p, INGEST_LP_MAX_LINE, "line_too_long", "line too long");
        } else if (memchr(s, 0, n)) {
            bad = reject(&p, (size_t)((const unsigned char *)memchr(s, 0, n) - s), "nul_byte",
                         "NUL byte in line");
        } else {
            size_t i = 0;
            while (i < n && (s[i] == ' ' || s[i] == '\t')) i++;
            if (i == n || s[i] == '#') {
                st.skipped_lines++;
                continue;
            }
            if (ensure_text(&p, n + SCRATCH_SLACK) < 0)
                bad = reject(&p, 0, "no_memory", "out of memory for the line");
            else
                bad = parse_line(&p, s, n, i, precision, &L);
        }
        if (bad) {
            st.rejected_lines++;
            if (on_reject) on_reject(line_no, p.reason, p.msg, ctx);
            continue;
        }
        L.line_no = line_no;
        st.good_lines++;
        st.fields += L.n_fields;
        if (on_line && (rc = on_line(&L, ctx)) != 0) break;
    }

    if (p.text_heap) free(p.text);
    if (p.tags_heap) {
        free(p.tags);
        free(p.tag_hash);
    }
    if (p.fields_heap) {
        free(p.fields);
        free(p.field_hash);
    }
    free(p.tag_table);
    free(p.field_table);
    if (stats) *stats = st;
    return rc;
}

/* ---- series names ---- */

typedef struct name_buf {
    char *out;
    size_t cap, len;
    int bad;
} name_buf;

/* Appends s; marks the name bad if s holds '/' (when no_slash) or does not fit. */
static void put(name_buf *b, const char *s, int no_slash) {
    if (b->bad) return;
    size_t n = strlen(s);
    if ((no_slash && memchr(s, '/', n)) || n >= b->cap - b->len) {
        b->bad = 1;
        return;
    }
    memcpy(b->out + b->len, s, n);
    b->len += n;
}

static int is_naming_tag(const char *key) {
    return strcmp(key, "enterprise") == 0 || strcmp(key, "device") == 0;
}

/* Appends ",key=value" for every tag but enterprise and device, by key. The
 * caller has checked that they fit, so there are at most cap / 4 of them and
 * the quadratic selection stays small. */
static void put_other_tags(name_buf *b, const ingest_lp_line *line) {
    const char *prev = NULL;
    while (!b->bad) { /* selection: the next smallest key */
        const ingest_lp_tag *best = NULL;
        for (size_t j = 0; j < line->n_tags; j++) {
            const ingest_lp_tag *t = &line->tags[j];
            if (is_naming_tag(t->key) || (prev && strcmp(t->key, prev) <= 0)) continue;
            if (!best || strcmp(t->key, best->key) < 0) best = t;
        }
        if (!best) return;
        put(b, ",", 0);
        put(b, best->key, 1);
        put(b, "=", 0);
        put(b, best->value, 1);
        prev = best->key;
    }
}

int ingest_lp_series_name(const ingest_lp_line *line, size_t field_index,
                          const char *default_enterprise, char *out, size_t cap) {
    if (!out || cap == 0) return -1;
    out[0] = 0;
    if (!line || !line->measurement || field_index >= line->n_fields || !line->fields ||
        (line->n_tags > 0 && !line->tags))
        return -1;

    const char *enterprise = NULL, *device = NULL;
    for (size_t j = 0; j < line->n_tags; j++) {
        if (strcmp(line->tags[j].key, "enterprise") == 0)
            enterprise = line->tags[j].value;
        else if (strcmp(line->tags[j].key, "device") == 0)
            device = line->tags[j].value;
    }
    if (!enterprise) enterprise = default_enterprise;
    if (!enterprise || !*enterprise) return -1;
    const char *field_key = line->fields[field_index].key;
    if (!field_key) return -1;

    /* Length first: a line with many tags fails here in linear time. */
    size_t need = strlen(enterprise) + strlen(line->measurement) + strlen(field_key) + 2;
    if (device) need += strlen(device) + 1;
    for (size_t j = 0; j < line->n_tags && need < cap; j++)
        if (!is_naming_tag(line->tags[j].key))
            need += strlen(line->tags[j].key) + strlen(line->tags[j].value) + 2;
    if (need >= cap) return -1;

    name_buf b = {out, cap, 0, 0};
    put(&b, enterprise, 1);
    put(&b, "/", 0);
    if (device) {
        put(&b, device, 1);
        put(&b, "/", 0);
        put(&b, line->measurement, 1);
        put_other_tags(&b, line);
        put(&b, ".", 0);
        put(&b, field_key, 1);
    } else {
        put(&b, line->measurement, 1);
        put(&b, "/", 0);
        put(&b, field_key, 1);
        put_other_tags(&b, line);
    }
    /* The names rule (ingest.h) over the whole name covers every part:
     * the separators are ASCII, so no bad part can hide in a good whole. */
    if (b.bad || ingest_name_check(out, b.len, b.len) != INGEST_NAME_OK) {
        out[0] = 0;
        return -1;
    }
    out[b.len] = 0;
    return 0;
}

static const char *const prec_names[] = {"ns", "u", "ms", "s", "m", "h"};

int ingest_lp_precision_parse(const char *name, ingest_lp_precision *out) {
    if (!name || !out) return -1;
    if (!strcmp(name, "n")) name = "ns";
    if (!strcmp(name, "us")) name = "u";
    for (size_t i = 0; i < sizeof prec_names / sizeof prec_names[0]; i++)
        if (!strcmp(name, prec_names[i])) {
            *out = (ingest_lp_precision)i;
            return 0;
        }
    return -1;
}

const char *ingest_lp_precision_name(ingest_lp_precision p) {
    return (unsigned)p <= (unsigned)INGEST_LP_H ? prec_names[p] : "?";
}
