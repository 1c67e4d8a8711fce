/*
 * internal.h - what the files of specialwork/ share; not a public header.
 *
 *   rules.c        GB 30871-2022's rules as data: categories, grades,
 *                  validity, gas-test limits, gases' LELs; the location's
 *                  geometry (checks and distances)
 *   specialwork.c  the permits: filing, steps, gas tests, the event store
 *   queries.c      list, map, statistics, the conditions (tick)
 */
#ifndef PARKWATCH_SPECIALWORK_INTERNAL_H
#define PARKWATCH_SPECIALWORK_INTERNAL_H

#include <pthread.h>

#include "specialwork/specialwork.h"

/* The conditions, one bit each. */
enum { SW_C_NEAR_GAS = 0, SW_C_NO_GAS_TEST, SW_C_PAST_WINDOW, SW_C_COUNT };

typedef struct sw_permit {
    json_t *rec; /* the record as stored (owned) */
    char id[SW_ID_MAX];
    char enterprise[33];
    sw_category cat;
    sw_state state;
    int64_t from_ms, to_ms, filed_ms, closed_ms; /* closed_ms: closed or cancelled, else 0 */
    int64_t last_pass_ms;                        /* last passing gas test, 0: none */
    size_t gas_failures;
    double *ll; /* the location: n lon/lat pairs (a polygon's ring closed) */
    size_t n;
    bool polygon;
    unsigned raised; /* SW_C_* bits raised and said */
    bool said;       /* the conditions' state was said since open */
    char basis[SW_C_COUNT][160];
} sw_permit;

struct specialwork {
    pthread_mutex_t mu;
    specialwork_options o;
    sw_permit **p; /* sorted by id */
    size_t n, cap;
    size_t skipped; /* records left out at open */
};

/* ---- rules.c ---- */

/* The grade's index (hot work special 0, 1 1, 2 2; height I..IV 0..3;
 * lifting 1..3 0..2; -1 for an ungraded category) or NULL with the reason. */
const char *sw_grade_check(sw_category c, const char *grade, int *grade_idx);
/* The longest window of a category and grade (ref §1.2), with its source. */
int64_t sw_validity_ms(sw_category c, int grade_idx, const char **basis);
/* The gas test of a request judged (ref §1.5): *test the stored object. */
sw_status sw_gas_judge(sw_category c, const json_t *req, int64_t now_ms, const char *by,
                       json_t **test, bool *pass, char *err, size_t errcap);

/* A GeoJSON Point or Polygon checked: *ll (malloc'd) lon/lat pairs. */
sw_status sw_geom_parse(const json_t *loc, double **ll, size_t *n, bool *polygon, char *err,
                        size_t errcap);
/* Metres from the location to a point (0 inside a polygon). */
double sw_geom_dist_point(const double *ll, size_t n, bool polygon, double lon, double lat);
/* Metres from the location to a ring of rn lon/lat pairs (0 when they meet
 * or one holds the other). */
double sw_geom_dist_ring(const double *ll, size_t n, bool polygon, const double *ring, size_t rn);

/* ---- specialwork.c, for queries.c ---- */

sw_status sw_fail(char *err, size_t errcap, sw_status st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
bool sw_sees(const sw_actor *who, const sw_permit *p);
/* The record with its computed members (a new reference); lock held. */
json_t *sw_record_out(const sw_permit *p);

#endif
