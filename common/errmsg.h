/*
 * errmsg.h - the error convention of the libraries: a function that fails
 * returns -1 (or its own code) with a message in the caller's err[errcap].
 */
#ifndef PARKWATCH_COMMON_ERRMSG_H
#define PARKWATCH_COMMON_ERRMSG_H

#include <stdarg.h>
#include <stddef.h>

/* Formats into err (when err and errcap are set; a cut message is fine)
 * and returns -1, so a failure is one line: return pw_fail(err, cap, ...). */
int pw_fail(char *err, size_t errcap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The same, formatting only, for a caller that returns its own code. */
void pw_errf(char *err, size_t errcap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void pw_verrf(char *err, size_t errcap, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

#endif
