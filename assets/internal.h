/*
 * internal.h - what the files of assets/ share: the parameter lookup
 * through the overrides, the rule names "off" accepts, and the string
 * arena the derived rules point into. Private to assets/.
 */
#ifndef PARKWATCH_ASSETS_INTERNAL_H
#define PARKWATCH_ASSETS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "assets/assets.h"

/* ---- the string arena of assets_rules ---- */

typedef struct arena_block {
    struct arena_block *next;
    size_t used, cap;
    char data[];
} arena_block;

/* A copy of s (NULL: "") in the arena at *head; NULL when out of memory. */
char *arena_strdup(arena_block **head, const char *s);
char *arena_printf(arena_block **head, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void arena_free(arena_block *head);

/* ---- parameters and overrides ---- */

/* A parameter's value for one feature and where it came from: from is ""
 * for the built-in default, else the override's path
 * ("assets.E001-T101.level_high_high_m"). */
typedef struct param_value {
    double v;
    bool overridden;
    char from[192];
} param_value;

/* Checks the overrides against the layout and the parameter table; *root
 * receives the parsed JSON (NULL for no overrides; json_decref it). */
int params_parse(const geo_layout *g, const char *overrides_json, json_t **root, char *err,
                 size_t errcap);
/* The value of parameter name for feature f (most specific scope wins).
 * The name must be in the table for f's kind. */
void params_get(const json_t *root, const geo_feature *f, const char *name, param_value *out);
/* Whether rule_name is turned off for f: the most specific scope with an
 * "off" list decides. */
bool params_off(const json_t *root, const geo_feature *f, const char *rule_name);
/* Whether rule_name is one a feature of kind k can have ("level_high" on a
 * tank). */
bool params_rule_known(geo_kind k, const char *rule_name);

/* The lowest-level name part of a series: after the last '/', a trailing
 * ".value" dropped, then after the last '.'. Into buf (truncated). */
void units_last_part(const char *series_name, char *buf, size_t cap);

#endif
