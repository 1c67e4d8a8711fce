/*
 * textbuf.h - a growable NUL-terminated text buffer for the JSON that api/
 * and views/ write by hand (faster than building jansson trees for
 * megabyte answers). Header-only, like numfmt.h: a shared internal header,
 * not a module.
 *
 * Zero-initialise a textbuf, append, then take b.p (owned by the caller,
 * free it) and b.n. An allocation failure sets oom and makes every later
 * append a no-op, so a writer checks once at the end.
 */
#ifndef PARKWATCH_TEXTBUF_H
#define PARKWATCH_TEXTBUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct textbuf {
    char *p;
    size_t n, cap;
    bool oom;
} textbuf;

/* Room for n more bytes and the NUL; false (and oom) when there is none. */
static inline bool tb_reserve(textbuf *b, size_t n) {
    if (b->oom) return false;
    if (b->n + n + 1 <= b->cap) return true;
    size_t cap = b->cap ? b->cap * 2 : 4096;
    while (cap < b->n + n + 1) cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
        b->oom = true;
        return false;
    }
    b->p = p, b->cap = cap;
    return true;
}

static inline void tb_put(textbuf *b, const char *s, size_t n) {
    if (!tb_reserve(b, n)) return;
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

static inline void tb_str(textbuf *b, const char *s) {
    tb_put(b, s, strlen(s));
}

/* Formats straight into the buffer, growing it once if it must. */
static inline void tb_printf(textbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static inline void tb_printf(textbuf *b, const char *fmt, ...) {
    for (int pass = 0; pass < 2 && !b->oom; pass++) {
        va_list ap;
        va_start(ap, fmt);
        size_t room = b->p ? b->cap - b->n : 0;
        int n = vsnprintf(b->p ? b->p + b->n : NULL, room, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = true;
            return;
        }
        if ((size_t)n < room) {
            b->n += (size_t)n;
            return;
        }
        if (!tb_reserve(b, (size_t)n)) return;
    }
}

/* A JSON string literal of s (quotes included); s must be UTF-8. */
/* The length of the valid UTF-8 sequence at p (RFC 3629: no overlong
 * forms, no surrogates, nothing past U+10FFFF), or 0. */
static inline size_t tb_utf8_len(const unsigned char *p) {
    unsigned c = p[0];
    if (c >= 0xC2 && c <= 0xDF) return (p[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        unsigned lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
        return p[1] >= lo && p[1] <= hi && (p[2] & 0xC0) == 0x80 ? 3 : 0;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        unsigned lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
        return p[1] >= lo && p[1] <= hi && (p[2] & 0xC0) == 0x80 && (p[3] & 0xC0) == 0x80 ? 4 : 0;
    }
    return 0;
}

/* A JSON string literal of s. Bytes that are not valid UTF-8 (text a
 * request carried, echoed back) become U+FFFD, so the answer is always
 * JSON a client can parse. */
static inline void tb_jstr(textbuf *b, const char *s) {
    tb_put(b, "\"", 1);
    const unsigned char *p = (const unsigned char *)s, *run = p;
    while (*p) {
        if (*p >= 0x80) {
            size_t n = tb_utf8_len(p);
            if (n) {
                p += n;
                continue;
            }
            tb_put(b, (const char *)run, (size_t)(p - run));
            tb_put(b, "\\ufffd", 6);
            run = ++p;
            continue;
        }
        if (*p != '"' && *p != '\\' && *p >= 0x20) {
            p++;
            continue;
        }
        tb_put(b, (const char *)run, (size_t)(p - run)); /* the safe run before it */
        char e[8];
        if (*p == '"' || *p == '\\')
            e[0] = '\\', e[1] = (char)*p, tb_put(b, e, 2);
        else
            snprintf(e, sizeof e, "\\u%04x", *p), tb_put(b, e, 6);
        run = ++p;
    }
    tb_put(b, (const char *)run, (size_t)(p - run));
    tb_put(b, "\"", 1);
}

#endif
