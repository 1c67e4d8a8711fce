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

#include "consequence/internal.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

#endif
