/*
 * errmsg.c - error messages into a caller's buffer (errmsg.h).
 */
#include "common/errmsg.h"

#include <stdio.h>

void pw_verrf(char *err, size_t errcap, const char *fmt, va_list ap) {
    if (err && errcap) vsnprintf(err, errcap, fmt, ap);
}

void pw_errf(char *err, size_t errcap, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    pw_verrf(err, errcap, fmt, ap);
    va_end(ap);
}

int pw_fail(char *err, size_t errcap, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    pw_verrf(err, errcap, fmt, ap);
    va_end(ap);
    return -1;
}
