/*
 * jsonfmt.h - a jansson value as compact JSON text whose numbers read back
 * as the same doubles and are as short as that allows (numfmt.h's
 * nf_double; json_dumps writes 30.78 as 30.780000000000001, and
 * JSON_REAL_PRECISION rounds). Keys in the object's order.
 *
 * Pure: any thread; the caller owns the text.
 */
#ifndef PARKWATCH_COMMON_JSONFMT_H
#define PARKWATCH_COMMON_JSONFMT_H

#include <jansson.h>
#include <stddef.h>

/* malloc'd text (and *len when len is given), or NULL when out of memory
 * or v is NULL. */
char *pw_json_text(const json_t *v, size_t *len);

#endif
