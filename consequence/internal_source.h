/*
 * internal_source.h - private helpers shared by plumerise.c, source.c and
 * dispersion.c: the one-line error message and the argument checks. Not
 * part of the module's interface.
 */
#ifndef PARKWATCH_CONSEQUENCE_INTERNAL_SOURCE_H
#define PARKWATCH_CONSEQUENCE_INTERNAL_SOURCE_H

#include <math.h>
#include <stdarg.h>
#include <stdio.h>

#include "consequence/consequence.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* Writes the reason into err (when given) and returns CQ_EINVAL, so a
 * check fails in one line: return cq_src_fail(err, errcap, "..."). */
__attribute__((format(printf, 3, 4))) static inline int cq_src_fail(char *err, size_t errcap,
                                                                    const char *fmt, ...) {
    if (err && errcap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errcap, fmt, ap);
        va_end(ap);
    }
    return CQ_EINVAL;
}

/* finite and > 0; finite and >= 0 (NaN fails both). */
static inline int cq_src_pos(double v) {
    return isfinite(v) && v > 0;
}
static inline int cq_src_nonneg(double v) {
    return isfinite(v) && v >= 0;
}

#endif
