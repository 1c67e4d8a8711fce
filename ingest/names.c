/*
 * names.c - the one rule for names that become part of a series or a
 * label (ingest.h, "names"): every payload format and every transport
 * checks its names here, so no format can store what another refuses.
 */
#include <string.h>

#include "ingest/ingest.h"

/* Length of the well-formed UTF-8 sequence at s (n bytes left), its code
 * point in *cp; 0 if the bytes there are not one (RFC 3629 table 3:
 * no overlong forms, no surrogates, nothing above U+10FFFF). */
static size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *cp) {
    unsigned char c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF; /* bounds of the second byte */
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0) lo = 0xA0; /* overlong below U+0800 */
        if (c == 0xED) hi = 0x9F; /* surrogates U+D800..U+DFFF */
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0) lo = 0x90; /* overlong below U+10000 */
        if (c == 0xF4) hi = 0x8F; /* above U+10FFFF */
    } else
        return 0; /* a continuation byte, C0/C1 (overlong) or F5..FF */
    if (n < len || s[1] < lo || s[1] > hi) return 0;
    uint32_t v = c & (len == 2 ? 0x1Fu : len == 3 ? 0x0Fu : 0x07u);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        v = (v << 6) | (s[i] & 0x3Fu);
    }
    *cp = v;
    return len;
}

/* Unicode's control characters (general category Cc). */
static bool is_control(uint32_t cp) {
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}

ingest_name_status ingest_name_check(const char *s, size_t len, size_t max_len) {
    if (!s || len == 0) return INGEST_NAME_EMPTY;
    if (len > max_len) return INGEST_NAME_TOO_LONG;
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        if (p[i] >= 0x20 && p[i] < 0x7F) { /* printable ASCII: the common case */
            i++;
            continue;
        }
        uint32_t cp;
        size_t k = utf8_seq(p + i, len - i, &cp);
        if (!k) return INGEST_NAME_BAD_UTF8;
        if (is_control(cp)) return INGEST_NAME_CONTROL;
        i += k;
    }
    return INGEST_NAME_OK;
}

const char *ingest_name_problem(ingest_name_status st) {
    switch (st) {
        case INGEST_NAME_OK:
            return "valid";
        case INGEST_NAME_EMPTY:
            return "empty name";
        case INGEST_NAME_TOO_LONG:
            return "name too long";
        case INGEST_NAME_BAD_UTF8:
            return "name is not valid UTF-8";
        case INGEST_NAME_CONTROL:
            return "control character in the name";
    }
    return "invalid name";
}

size_t ingest_text_scrub(char *s) {
    if (!s) return 0;
    size_t n = strlen(s), changed = 0;
    unsigned char *p = (unsigned char *)s;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t k = utf8_seq(p + i, n - i, &cp);
        if (k && !is_control(cp)) {
            i += k;
            continue;
        }
        /* A bad sequence or a control character: one '?' per byte keeps
         * the length, so a buffer's bound still holds. */
        size_t bad = k ? k : 1;
        memset(p + i, '?', bad);
        i += bad;
        changed += bad;
    }
    return changed;
}
