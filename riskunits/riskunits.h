/*
 * riskunits.h - the park's risk units and their four-colour map
 * (安全风险分级管控, 四色图): the one public header of riskunits/.
 *
 * A risk unit (风险单元) is a place of one enterprise (a process unit, a
 * tank area, a warehouse, a loading bay, a pipeline) with a geometry
 * (GeoJSON Point or Polygon, WGS84 lon/lat), the layout assets it holds
 * ("E001-T101": its alarms raise its live level) and an assessment:
 *   LEC  D = L x E x C, each factor from its table only;
 *   LS   R = L x S, both integers 1..5.
 * The score falls in one of four levels by bands the park configures
 * (ru_bands; defaults and sources in docs/reference/risk-grading.md):
 *   major 重大 red, large 较大 orange, general 一般 yellow, low 低 blue.
 *
 * The live level (动态风险) is the assessed level raised by what is going
 * on now, never lowered below it (ru_live_level states the rule). The
 * caller counts the inputs (active alarms by priority, open, overdue and
 * major hidden hazards); this module depends on neither the alarm engine
 * nor the hazard register.
 *
 * Every change of a unit's assessed or live level is a history entry (when,
 * who, why), kept in RocksDB with the units; riskunits_level_at replays a
 * unit's levels at a past time.
 *
 * Input is checked once where it enters (riskunits_put's JSON object,
 * riskunits_import_csv's text): an error names the field, and for CSV the
 * line and column. An import is all or nothing.
 *
 * Ownership: riskunits_open returns a store the caller closes with
 * riskunits_close. Every json_t * returned is a new reference the caller
 * releases; every const char * argument is copied. Thread rules: every
 * function taking a riskunits * is thread-safe (one lock inside); the pure
 * functions (ru_*) are reentrant.
 */
#ifndef PARKWATCH_RISKUNITS_H
#define PARKWATCH_RISKUNITS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- levels, colours, bands (pure) ---- */

typedef enum ru_level {
    RU_LOW = 0, /* 低风险, blue */
    RU_GENERAL, /* 一般风险, yellow */
    RU_LARGE,   /* 较大风险, orange */
    RU_MAJOR,   /* 重大风险, red */
    RU_LEVEL_COUNT
} ru_level;

const char *ru_level_name(ru_level l);   /* "low", "general", "large", "major" */
const char *ru_level_colour(ru_level l); /* "blue", "yellow", "orange", "red" */
bool ru_level_parse(const char *name, ru_level *out);

typedef enum ru_method { RU_LEC = 0, RU_LS } ru_method;

/* Where a score falls. A level holds the scores strictly above its LEC
 * threshold (D > 320 is major) and at or above its LS minimum (R >= 20 is
 * major); below the general band is low. */
typedef struct ru_bands {
    double lec_major_above, lec_large_above, lec_general_above; /* 320, 160, 70 */
    int ls_major_min, ls_large_min, ls_general_min;             /* 20, 9, 4 */
} ru_bands;

void ru_bands_default(ru_bands *b);
/* Overrides from a JSON object {"lec": {"major_above", "large_above",
 * "general_above"}, "ls": {"major_min", "large_min", "general_min"}}, any
 * member absent keeps its value; NULL changes nothing. The thresholds must
 * fall strictly: major > large > general (LEC > 0, LS 2..25). 0, or -1
 * with err naming the member. */
int ru_bands_load(const json_t *obj, ru_bands *b, char *err, size_t errcap);

/* LEC's five grades (1 extremely dangerous .. 5 slight), fixed by the
 * reference's table: D > 320, > 160, > 70, > 20, else 5. Shown beside the
 * level; the level comes from the bands. */
int ru_lec_grade(double d);

/* Whether v is one of the table's values of the factor ('L', 'E' or 'C'). */
bool ru_lec_factor_ok(char factor, double v);

/* D = L x E x C and its level; -1 with err naming a factor not in its
 * table. */
int ru_lec(double l, double e, double c, const ru_bands *b, double *d, ru_level *level, char *err,
           size_t errcap);
/* R = L x S (1..5 each) and its level; -1 with err otherwise. */
int ru_ls(int l, int s, const ru_bands *b, int *r, ru_level *level, char *err, size_t errcap);
ru_level ru_lec_level(double d, const ru_bands *b);
ru_level ru_ls_level(int r, const ru_bands *b);

/* ---- the live level ---- */

#define RU_REASONS_MAX     8
#define RU_REASON_MAX      160 /* bytes of one reason with its NUL */
#define RU_ASSETS_MAX      64  /* of one unit */
#define RU_VERTICES_MAX    2000
#define RU_RINGS_MAX       8
#define RU_UNITS_MAX       20000
#define RU_IMPORT_ROWS_MAX RU_UNITS_MAX

/* What the caller saw of a unit now. reasons: the caller's details, e.g.
 * "E001-T101 level high-high (P1)" (at most RU_REASONS_MAX kept, each cut
 * to RU_REASON_MAX - 1 bytes); may be NULL. */
typedef struct ru_live_inputs {
    unsigned alarms_by_priority[4]; /* active, annunciated alarms on its assets, P1..P4 */
    unsigned hazards_open;          /* open hidden hazards of the unit */
    unsigned hazards_overdue;       /* of them past their deadline */
    unsigned hazards_major_open;    /* of them major (重大隐患) */
    const char *const *reasons;
    size_t n_reasons;
} ru_live_inputs;

/* The rule (docs/reference/risk-grading.md, "Dynamic risk"):
 *   1. start from the assessed level;
 *   2. an active priority-1 alarm on one of its assets, or an open major
 *      hidden hazard: at least large;
 *   3. an active priority-2 alarm: at least general;
 *   4. an overdue hidden hazard: one level up from 1..3 (major stays
 *      major);
 * priority-3 and -4 alarms and other open hazards are listed, never raise.
 * Nothing lowers the level below the assessed one. reasons (may be NULL)
 * gets one line a rule that applied, then the caller's, RU_REASONS_MAX at
 * most; *n_reasons their count. */
ru_level ru_live_level(ru_level assessed, const ru_live_inputs *in, char reasons[][RU_REASON_MAX],
                       size_t *n_reasons);

/* ---- the store ---- */

typedef struct riskunits riskunits;

enum {
    RU_EINVAL = 1, /* bad input: err names the field (and the line, column) */
    RU_ENOENT,     /* no such unit (or not one the caller's enterprise sees) */
    RU_EFORBIDDEN, /* a unit of another enterprise */
    RU_EIO         /* the store failed; nothing was changed */
};

/* Opens (creating) the store in dir; bands NULL: the defaults. A unit's
 * assessed level is re-derived from its factors by these bands at open (a
 * change of bands is a history entry, by "bands"). 0, or -1 with err. */
int riskunits_open(const char *dir, const ru_bands *bands, riskunits **out, char *err,
                   size_t errcap);
void riskunits_close(riskunits *ru);
size_t riskunits_count(riskunits *ru);

/* Creates or replaces one unit from a JSON object:
 *   {"id", "enterprise", "name", "name_zh"?, "kind", "geometry",
 *    "assets"?: ["E001-T101", ...], "method": "LEC"|"LS",
 *    "l", "e", "c" (LEC) or "l", "s" (LS), "assessor", "assessed_ms"?}
 * by: who (a token's name; the history's "by"); only_enterprise: non-NULL
 * for an enterprise's caller, who may only create or replace its own
 * units. id_out (64 bytes, may be NULL) gets the id. 0, or RU_E* with
 * err. */
int riskunits_put(riskunits *ru, const json_t *unit, const char *by, const char *only_enterprise,
                  int64_t now_ms, char id_out[64], char *err, size_t errcap);

/* Imports units from CSV text (RFC 4180: a header row naming the columns,
 * quoted fields, "" for a quote, UTF-8, CRLF or LF). Columns: id,
 * enterprise, name, name_zh, kind, geometry (GeoJSON text) or lon and lat
 * (a point), assets (separated by ';'), method, l, e, c, s, assessor,
 * assessed_ms; unknown columns are refused. All rows are checked before
 * any is stored: on an error nothing is imported and err says "line N,
 * column M (name): why". *imported gets the rows stored. */
int riskunits_import_csv(riskunits *ru, const char *text, size_t len, const char *by,
                         const char *only_enterprise, int64_t now_ms, size_t *imported, char *err,
                         size_t errcap);

/* Updates a unit's live level from the inputs (ru_live_level); a change of
 * level is a history entry by "live". 0, RU_ENOENT or RU_EIO. */
int riskunits_update_live(riskunits *ru, const char *unit_id, const ru_live_inputs *in,
                          int64_t now_ms);

/* Which units a listing shows: enterprise and the levels may be NULL; keep
 * (may be NULL) decides per unit's enterprise (the API's scope). */
typedef struct ru_filter {
    const char *enterprise;
    const ru_level *level;      /* the assessed level */
    const ru_level *live_level; /* the live level */
    bool (*keep)(void *ctx, const char *enterprise);
    void *ctx;
} ru_filter;

/* The units, by id: [{"id", "enterprise", "name", "name_zh", "kind",
 * "geometry", "assets", "method", "l", "e", "c" | "s", "score", "lec_grade"
 * (LEC), "assessor", "assessed_ms", "level", "colour", "live_level",
 * "live_colour", "reasons", "live_since_ms", "updated_ms", "updated_by"}]. */
json_t *riskunits_list(riskunits *ru, const ru_filter *f);

/* The four-colour map: a GeoJSON FeatureCollection, a Feature per unit
 * with its geometry and properties id, enterprise, name, name_zh, kind,
 * level, colour, live_level, live_colour, reasons. */
json_t *riskunits_map(riskunits *ru, const ru_filter *f);

/* One unit as riskunits_list shows it, with "history" (newest first, at
 * most max_history entries). RU_ENOENT when there is none or keep refuses
 * its enterprise. */
int riskunits_get(riskunits *ru, const char *id, const ru_filter *f, size_t max_history,
                  json_t **out);

/* Its history between from_ms and to_ms (inclusive), oldest first:
 * [{"ts_ms", "what": "assessed"|"live", "level", "previous", "by", "why":
 * [...]}]. 0, RU_ENOENT or RU_EIO. */
int riskunits_history(riskunits *ru, const char *id, int64_t from_ms, int64_t to_ms, json_t **out);

/* The unit's assessed and live levels as they were at at_ms (the history
 * replayed). RU_ENOENT when the unit did not exist then. */
int riskunits_level_at(riskunits *ru, const char *id, int64_t at_ms, ru_level *assessed,
                       ru_level *live);

#endif
