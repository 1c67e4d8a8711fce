/*
 * internal_blast.h - helpers shared by explosion.c and densegas.c: the
 * error line and the input checks. Private to consequence/.
 */
#ifndef PARKWATCH_CONSEQUENCE_INTERNAL_BLAST_H
#define PARKWATCH_CONSEQUENCE_INTERNAL_BLAST_H

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include "consequence/consequence.h"

/* Writes the one-line reason into err (when there is room) and returns
 * CQ_EINVAL, so callers can `return cqb_fail(...)`. */
__attribute__((format(printf, 3, 4))) static inline int cqb_fail(char *err, size_t errcap,
                                                                 const char *fmt, ...) {
    if (err && errcap > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errcap, fmt, ap);
        va_end(ap);
    }
    return CQ_EINVAL;
}

static inline int cqb_positive(double v) {
    return isfinite(v) && v > 0;
}

static inline void cqb_flag(unsigned *flags, unsigned f) {
    if (flags) *flags |= f;
}

/* Ambient pressure: 0 means CQ_P_ATM; otherwise finite and positive. */
static inline int cqb_pressure(double p0_pa, double *out) {
    if (p0_pa == 0) {
        *out = CQ_P_ATM;
        return 1;
    }
    *out = p0_pa;
    return cqb_positive(p0_pa);
}

#endif
