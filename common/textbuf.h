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
static inline void tb_jstr(textbuf *b, const char *s) {
    tb_put(b, "\"", 1);
    const unsigned char *p = (const unsigned char *)s, *run = p;
    for (; *p; p++) {
        if (*p != '"' && *p != '\\' && *p >= 0x20) continue;
        tb_put(b, (const char *)run, (size_t)(p - run)); /* the safe run before it */
        char e[8];
        if (*p == '"' || *p == '\\')
            e[0] = '\\', e[1] = (char)*p, tb_put(b, e, 2);
        else
            snprintf(e, sizeof e, "\\u%04x", *p), tb_put(b, e, 6);
        run = p + 1;
    }
    tb_put(b, (const char *)run, (size_t)(p - run));
    tb_put(b, "\"", 1);
}

#endif
