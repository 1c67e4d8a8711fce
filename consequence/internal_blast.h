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

#include "consequence/internal.h"

/* Ambient pressure: 0 means CQ_P_ATM; otherwise finite and positive. */
static inline int cqb_pressure(double p0_pa, double *out) {
    if (p0_pa == 0) {
        *out = CQ_P_ATM;
        return 1;
    }
    *out = p0_pa;
    return cq_positive(p0_pa);
}

#endif
