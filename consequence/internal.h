/*
 * internal.h - what every file of consequence/ shares: the one-line error
 * and the argument checks. Private to consequence/; the models' own
 * helpers are in internal_fires.h, internal_blast.h, internal_source.h.
 */
#ifndef PARKWATCH_CONSEQUENCE_INTERNAL_H
#define PARKWATCH_CONSEQUENCE_INTERNAL_H

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include "consequence/consequence.h"

/* Writes the reason into err (when there is room) and returns CQ_EINVAL,
 * so a check fails in one line: return cq_fail(err, errcap, "..."). */
__attribute__((format(printf, 3, 4))) static inline int cq_fail(char *err, size_t errcap,
                                                                const char *fmt, ...) {
    if (err && errcap > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errcap, fmt, ap);
        va_end(ap);
    }
    return CQ_EINVAL;
}

/* finite and > 0; finite and >= 0 (NaN fails both). */
static inline int cq_positive(double v) {
    return isfinite(v) && v > 0;
}

static inline int cq_nonneg(double v) {
    return isfinite(v) && v >= 0;
}

static inline void cq_flag(unsigned *flags, unsigned f) {
    if (flags) *flags |= f;
}

#endif
