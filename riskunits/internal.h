/*
 * internal.h - what the files of riskunits/ share; not a public header
 * (riskunits.h is).
 *
 *   grading.c   levels, bands, LEC and LS, the live rule (pure)
 *   unit.c      a unit checked where it enters (JSON object), geometry
 *   store.c     the store: units in memory and RocksDB, history, replay
 *   csv.c       CSV import: RFC 4180 rows to the JSON objects unit.c checks
 */
#ifndef PARKWATCH_RISKUNITS_INTERNAL_H
#define PARKWATCH_RISKUNITS_INTERNAL_H

#include "riskunits/riskunits.h"

/* One unit as kept: what was entered, checked, and its grading. */
typedef struct ru_unit {
    char id[64], enterprise[32], name[128], name_zh[128], kind[16], assessor[128];
    char *geometry; /* compact GeoJSON text; owned */
    char **assets;  /* n_assets strings; owned */
    size_t n_assets;
    ru_method method;
    double l, e, c; /* LEC factors, or l for LS */
    int s;          /* LS severity */
    double score;   /* D or R */
    ru_level level; /* assessed */
    int64_t assessed_ms;
    /* the live state */
    ru_level live;
    char reasons[RU_REASONS_MAX][RU_REASON_MAX];
    size_t n_reasons;
    int64_t live_since_ms, updated_ms;
    char updated_by[64];
    unsigned alarms_by_priority[4], hazards_open, hazards_overdue, hazards_major_open;
} ru_unit;

void ru_unit_release(ru_unit *u); /* frees what u owns, not u */
/* Copies what u owns into dst (a deep copy); -1 when out of memory. */
int ru_unit_copy(ru_unit *dst, const ru_unit *u);

/* Checks a unit's JSON object (riskunits_put's shape) and fills u (zeroed
 * first; release it with ru_unit_release even on failure). Members that
 * the store writes itself (score, level, live_level, ...) are ignored, any
 * other unknown member refused. On error, *bad_field (may be NULL) names
 * the member at fault and err says "member: why". */
int ru_unit_parse(const json_t *o, const ru_bands *b, ru_unit *u, const char **bad_field, char *err,
                  size_t errcap);
/* The input members of u as riskunits_put takes them (new reference). */
json_t *ru_unit_input_json(const ru_unit *u);
/* u as riskunits_list shows it (new reference). */
json_t *ru_unit_json(const ru_unit *u);
/* Checks a GeoJSON geometry object (Point or Polygon, WGS84); 0, or -1
 * with err. */
int ru_geometry_check(const json_t *g, char *err, size_t errcap);
/* A unit id: [A-Za-z0-9._-]{1,63}, not a word of the API's paths. */
bool ru_id_ok(const char *id);

/* store.c: applies checked units (created or replaced) in one write; takes
 * what the units own on success and on failure (released either way). */
int ru_store_apply(riskunits *ru, ru_unit *units, size_t n, const char *by,
                   const char *only_enterprise, int64_t now_ms, char *err, size_t errcap);
const ru_bands *ru_store_bands(const riskunits *ru);

#endif
