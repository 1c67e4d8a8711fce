/*
 * params.c - the parameter table of the derived limits, the overrides
 * (parkd's config "limits") checked and looked up, and the string arena of
 * the rules. Each default's source is docs/reference/process-limits.md
 * (cited as "limits.md section N").
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assets/assets.h"
#include "assets/internal.h"
#include "common/errmsg.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* The table assets_params() lists. A default of NAN means "not set": the
 * limit comes from the percentage of the layout's figure (or from the
 * layout itself, for a detector's alarm levels). */
static const assets_param params[] = {
    /* limits.md section 1 */
    {"tank", "level_high_pct", "%", 85, "API 2350 maximum working level, typical safe fill [U]"},
    {"tank", "level_high_high_pct", "%", 90, "API 2350 high-high / overfill prevention level [U]"},
    {"tank", "level_low_low_pct", "%", 5, "pump suction and roof landing protection [U]"},
    {"tank", "level_high_m", "m", NAN, "not set: level_high_pct of height_m"},
    {"tank", "level_high_high_m", "m", NAN, "not set: level_high_high_pct of height_m"},
    {"tank", "level_low_low_m", "m", NAN, "not set: level_low_low_pct of height_m"},
    {"tank", "level_deadband_pct", "%", 5,
     "ISA-18.2 starting value for level (alarm-management.md 2) [U]"},
    {"tank", "level_delay_s", "s", 60,
     "ISA-18.2 starting value for level (alarm-management.md 2) [U]"},
    {"tank", "temperature_high_c", "°C", 40, "ambient storage of volatile liquids (ours) [U]"},
    {"tank", "temperature_high_high_c", "°C", 50, "ambient storage of volatile liquids (ours) [U]"},
    {"tank", "temperature_deadband_pct", "%", 1, "ISA-18.2 starting value for temperature [U]"},
    {"tank", "temperature_delay_s", "s", 60, "ISA-18.2 starting value for temperature [U]"},
    {"tank", "pressure_high_pct", "%", 90,
     "below the safety valve set pressure (TSG 21, GB 150) [U]"},
    {"tank", "pressure_high_high_pct", "%", 100,
     "safety valve set at or below design pressure (TSG 21, GB 150) [U]"},
    {"tank", "pressure_high_mpa", "MPa", NAN, "not set: pressure_high_pct of design_pressure_mpa"},
    {"tank", "pressure_high_high_mpa", "MPa", NAN,
     "not set: pressure_high_high_pct of design_pressure_mpa"},
    {"tank", "pressure_deadband_pct", "%", 2, "ISA-18.2 starting value for pressure [U]"},
    {"tank", "pressure_delay_s", "s", 15, "ISA-18.2 starting value for pressure [U]"},
    {"tank", "stale_s", "s", 60, "as gas detectors (ours)"},
    /* limits.md section 2 */
    {"pipeline", "pressure_high_pct", "%", 90,
     "normal operation at or below 90 % of design pressure (GB 50316, ASME B31.3) [U]"},
    {"pipeline", "pressure_high_high_pct", "%", 100, "design pressure (GB 50316, ASME B31.3) [U]"},
    {"pipeline", "pressure_low_low_pct", "%", 20,
     "a sudden loss of line pressure: a rupture (ours)"},
    {"pipeline", "pressure_high_mpa", "MPa", NAN,
     "not set: pressure_high_pct of design_pressure_mpa"},
    {"pipeline", "pressure_high_high_mpa", "MPa", NAN,
     "not set: pressure_high_high_pct of design_pressure_mpa"},
    {"pipeline", "pressure_low_low_mpa", "MPa", NAN,
     "not set: pressure_low_low_pct of design_pressure_mpa"},
    {"pipeline", "pressure_deadband_pct", "%", 2, "ISA-18.2 starting value for pressure [U]"},
    {"pipeline", "pressure_delay_s", "s", 15, "ISA-18.2 starting value for pressure [U]"},
    {"pipeline", "flow_imbalance_pct", "%", 2,
     "line balance beyond two meters of +-1 % (API RP 1130) [U]"},
    {"pipeline", "flow_window_s", "s", 300, "line balance window (API RP 1130, ours) [U]"},
    {"pipeline", "flow_floor", "m³/h", 1, "imbalance denominator floor, a line at rest (ours)"},
    {"pipeline", "stale_s", "s", 60, "as gas detectors (ours)"},
    /* limits.md section 3 */
    {"gas_detector", "alarm1", "%LEL or ppm", NAN,
     "not set: the layout's alarm1 (GB/T 50493-2019)"},
    {"gas_detector", "alarm2", "%LEL or ppm", NAN,
     "not set: the layout's alarm2 (GB/T 50493-2019)"},
    {"gas_detector", "hazard_margin_m", "m", 50,
     "near a major hazard source: first level one priority higher (parkd's "
     "alarms.hazard_margin_m)"},
    {"gas_detector", "stale_s", "s", 60, "alert_gas_defaults"},
    {"gas_detector", "drift_delay_s", "s", 1800, "a drift must last 30 min (ours)"},
    /* limits.md section 4 */
    {"aq_station", "SO2_1h", "µg/m³", 500, "GB 3095-2012 Grade II 1-hour limit [C]"},
    {"aq_station", "NO2_1h", "µg/m³", 200, "GB 3095-2012 Grade II 1-hour limit [C]"},
    {"aq_station", "CO_1h", "mg/m³", 10, "GB 3095-2012 Grade II 1-hour limit [C]"},
    {"aq_station", "O3_1h", "µg/m³", 200, "GB 3095-2012 Grade II 1-hour limit [C]"},
    {"aq_station", "PM2_5_24h", "µg/m³", 75, "GB 3095-2012 Grade II 24-hour limit [C]"},
    {"aq_station", "PM10_24h", "µg/m³", 150, "GB 3095-2012 Grade II 24-hour limit [C]"},
    {"aq_station", "utc_offset_h", "h", 8,
     "China Standard Time: the local day of the 24-hour mean [U]"},
    {"aq_station", "stale_s", "s", 300, "stations report every few minutes at best (ours)"},
    /* limits.md section 5 */
    {"weather_station", "wind_speed_high_ms", "m/s", 10.8,
     "GB 30871-2022: no work at height or hoisting at Beaufort 6 and above [U]"},
    {"weather_station", "wind_window_s", "s", 600, "the Beaufort scale's 10-minute mean [U]"},
    {"weather_station", "stale_s", "s", 300, "as air quality (ours)"},
};

/* The accepted range of each parameter, in the table's order. */
static const double bounds[][2] = {
    {0, 100},   {0, 100},     {0, 100},     {0, 1000},  {0, 1000},  {0, 1000},  {0, 50},
    {0, 3600},  {-200, 1000}, {-200, 1000}, {0, 50},    {0, 3600},  {0, 150},   {0, 150},
    {0, 100},   {0, 100},     {0, 50},      {0, 3600},  {1, 86400}, {0, 150},   {0, 150},
    {0, 100},   {0, 100},     {0, 100},     {0, 100},   {0, 50},    {0, 3600},  {0.01, 100},
    {1, 86400}, {0, 1e6},     {1, 86400},   {0, 1e6},   {0, 1e6},   {0, 10000}, {1, 86400},
    {0, 86400}, {0, 1e5},     {0, 1e5},     {0, 1e4},   {0, 1e5},   {0, 1e5},   {0, 1e5},
    {-12, 14},  {1, 86400},   {0, 75},      {1, 86400}, {1, 86400},
};
_Static_assert(COUNT(bounds) == COUNT(params), "a range for every parameter");

/* The rule names "off" accepts, per kind. */
static const char *const tank_rules[] = {"level_high",
                                         "level_high_high",
                                         "level_low_low",
                                         "temperature_high",
                                         "temperature_high_high",
                                         "pressure_high",
                                         "pressure_high_high",
                                         "stale",
                                         "range",
                                         "stuck",
                                         NULL};
static const char *const pipeline_rules[] = {"pressure_high",
                                             "pressure_high_high",
                                             "pressure_low_low",
                                             "flow_imbalance",
                                             "stale",
                                             "range",
                                             "stuck",
                                             NULL};
static const char *const detector_rules[] = {"alarm1", "alarm2", "stale", "range",
                                             "stuck",  "drift",  NULL};
static const char *const aq_rules[] = {"SO2_1h",   "NO2_1h", "CO_1h", "O3_1h", "PM2_5_24h",
                                       "PM10_24h", "stale",  "range", "stuck", NULL};
static const char *const weather_rules[] = {"wind_speed_high", "stale", "range", "stuck", NULL};

static const char *const *rules_of(geo_kind k) {
    switch (k) {
        case GEO_TANK:
            return tank_rules;
        case GEO_PIPELINE:
            return pipeline_rules;
        case GEO_GAS_DETECTOR:
            return detector_rules;
        case GEO_AQ_STATION:
            return aq_rules;
        case GEO_WEATHER_STATION:
            return weather_rules;
        default:
            return NULL;
    }
}

const assets_param *assets_params(size_t *n) {
    if (n) *n = COUNT(params);
    return params;
}

static long param_find(const char *kind, const char *name) {
    for (size_t i = 0; i < COUNT(params); i++)
        if (!strcmp(params[i].kind, kind) && !strcmp(params[i].name, name)) return (long)i;
    return -1;
}

bool params_rule_known(geo_kind k, const char *rule_name) {
    const char *const *r = rules_of(k);
    for (; r && *r; r++)
        if (!strcmp(*r, rule_name)) return true;
    return false;
}

/* ---- checking the overrides ---- */

static bool kind_has_params(geo_kind k) {
    return rules_of(k) != NULL;
}

/* One scope's object for a kind: parameters of that kind and "off".
 * path is the scope's name in messages ("enterprises.E004.tank"). */
static int check_scope(json_t *o, geo_kind k, const char *path, char *err, size_t errcap) {
    if (!json_is_object(o)) return pw_fail(err, errcap, "limits: %s is not an object", path);
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v) {
        if (!strcmp(key, "off")) {
            if (!json_is_array(v))
                return pw_fail(err, errcap, "limits: %s.off is not an array of rule names", path);
            size_t i;
            json_t *r;
            json_array_foreach(v, i, r) {
                if (!json_is_string(r))
                    return pw_fail(err, errcap, "limits: %s.off[%zu] is not a rule name", path, i);
                if (!params_rule_known(k, json_string_value(r)))
                    return pw_fail(err, errcap, "limits: %s.off: a %s has no rule \"%s\"", path,
                                   geo_kind_name(k), json_string_value(r));
            }
            continue;
        }
        long p = param_find(geo_kind_name(k), key);
        if (p < 0)
            return pw_fail(err, errcap, "limits: %s: unknown parameter \"%s\" for a %s", path, key,
                           geo_kind_name(k));
        if (!json_is_number(v))
            return pw_fail(err, errcap, "limits: %s.%s is not a number", path, key);
        double x = json_number_value(v);
        if (!(x >= bounds[p][0] && x <= bounds[p][1]))
            return pw_fail(err, errcap, "limits: %s.%s = %g is out of range [%g, %g] %s", path, key,
                           x, bounds[p][0], bounds[p][1], params[p].unit);
    }
    return 0;
}

/* One kind's scope at the top level or in an enterprise: "tank": {...}.
 * path: the enclosing scope ("" at the top level). */
static int check_kind(const char *key, json_t *v, const char *path, char *err, size_t errcap) {
    geo_kind k;
    char sub[192];
    snprintf(sub, sizeof sub, "%s%s%s", path, *path ? "." : "", key);
    if (!geo_kind_parse(key, &k)) return pw_fail(err, errcap, "limits: unknown key \"%s\"", sub);
    if (!kind_has_params(k))
        return pw_fail(err, errcap, "limits: %s: a %s has no limits to set", sub, key);
    return check_scope(v, k, sub, err, errcap);
}

static bool enterprise_known(const geo_layout *g, const char *id) {
    for (size_t i = 0; i < geo_count_all(g); i++) {
        const geo_feature *f = geo_get(g, i);
        if (!strcmp(f->enterprise, id) || (f->kind == GEO_ENTERPRISE && !strcmp(f->id, id)))
            return true;
    }
    return false;
}

/* The "level_high_high_m" of a tank without height_m would be a rule the
 * tank cannot have (no deadband, no range): said rather than ignored. */
static int check_asset_figures(const geo_feature *f, json_t *o, const char *path, char *err,
                               size_t errcap) {
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v) {
        size_t n = strlen(key);
        if (f->kind == GEO_TANK && !strncmp(key, "level_", 6) && n > 2 &&
            !strcmp(key + n - 2, "_m") && !(f->height_m > 0))
            return pw_fail(err, errcap, "limits: %s.%s: the tank has no height_m in the layout",
                           path, key);
        if (n > 4 && !strcmp(key + n - 4, "_mpa") && !(f->design_pressure_mpa > 0))
            return pw_fail(err, errcap,
                           "limits: %s.%s: the %s has no design_pressure_mpa in the layout", path,
                           key, geo_kind_name(f->kind));
    }
    return 0;
}

int params_parse(const geo_layout *g, const char *overrides_json, json_t **root, char *err,
                 size_t errcap) {
    *root = NULL;
    if (!overrides_json) return 0;
    json_error_t je;
    json_t *o = json_loads(overrides_json, JSON_REJECT_DUPLICATES, &je);
    if (!o)
        return pw_fail(err, errcap, "limits: not JSON: %s (line %d, column %d)", je.text, je.line,
                       je.column);
    if (!json_is_object(o)) {
        json_decref(o);
        return pw_fail(err, errcap, "limits: not a JSON object");
    }
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v) {
        char path[192];
        if (!strcmp(key, "enterprises")) {
            if (!json_is_object(v)) goto not_object;
            const char *ent;
            json_t *e;
            json_object_foreach(v, ent, e) {
                snprintf(path, sizeof path, "enterprises.%s", ent);
                if (!enterprise_known(g, ent)) {
                    pw_errf(err, errcap, "limits: %s: no enterprise \"%s\" in the layout", path,
                            ent);
                    goto fail;
                }
                if (!json_is_object(e)) {
                    pw_errf(err, errcap, "limits: %s is not an object", path);
                    goto fail;
                }
                const char *kind;
                json_t *ko;
                json_object_foreach(e, kind, ko) {
                    if (check_kind(kind, ko, path, err, errcap) != 0) goto fail;
                }
            }
        } else if (!strcmp(key, "assets")) {
            if (!json_is_object(v)) goto not_object;
            const char *id;
            json_t *a;
            json_object_foreach(v, id, a) {
                snprintf(path, sizeof path, "assets.%s", id);
                long i = geo_find(g, id);
                if (i < 0) {
                    pw_errf(err, errcap, "limits: %s: no asset \"%s\" in the layout", path, id);
                    goto fail;
                }
                const geo_feature *f = geo_get(g, (size_t)i);
                if (!kind_has_params(f->kind)) {
                    pw_errf(err, errcap, "limits: %s: a %s has no limits to set", path,
                            geo_kind_name(f->kind));
                    goto fail;
                }
                if (check_scope(a, f->kind, path, err, errcap) != 0 ||
                    check_asset_figures(f, a, path, err, errcap) != 0)
                    goto fail;
            }
        } else {
            if (check_kind(key, v, "", err, errcap) != 0) goto fail;
        }
        continue;
    not_object:
        pw_errf(err, errcap, "limits: %s is not an object", key);
        goto fail;
    }
    *root = o;
    return 0;
fail:
    json_decref(o);
    return -1;
}

/* ---- looking them up ---- */

/* The scopes of a feature, most specific first: its asset object, its
 * enterprise's object for its kind, the kind's object. */
static size_t scopes_of(const json_t *root, const geo_feature *f, json_t *scope[3],
                        char path[3][160]) {
    size_t n = 0;
    const char *kind = geo_kind_name(f->kind);
    json_t *a = json_object_get(json_object_get(root, "assets"), f->id);
    if (a) {
        scope[n] = a;
        snprintf(path[n++], 160, "assets.%s", f->id);
    }
    json_t *e =
        *f->enterprise
            ? json_object_get(json_object_get(json_object_get(root, "enterprises"), f->enterprise),
                              kind)
            : NULL;
    if (e) {
        scope[n] = e;
        snprintf(path[n++], 160, "enterprises.%s.%s", f->enterprise, kind);
    }
    json_t *k = json_object_get(root, kind);
    if (k) {
        scope[n] = k;
        snprintf(path[n++], 160, "%s", kind);
    }
    return n;
}

void params_get(const json_t *root, const geo_feature *f, const char *name, param_value *out) {
    long p = param_find(geo_kind_name(f->kind), name);
    out->v = p >= 0 ? params[p].dflt : NAN;
    out->overridden = false;
    out->from[0] = '\0';
    json_t *scope[3];
    char path[3][160];
    size_t n = root ? scopes_of(root, f, scope, path) : 0;
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_object_get(scope[i], name);
        if (v) {
            out->v = json_number_value(v);
            out->overridden = true;
            snprintf(out->from, sizeof out->from, "%s.%s", path[i], name);
            return;
        }
    }
}

bool params_off(const json_t *root, const geo_feature *f, const char *rule_name) {
    json_t *scope[3];
    char path[3][160];
    size_t n = root ? scopes_of(root, f, scope, path) : 0;
    for (size_t i = 0; i < n; i++) {
        json_t *off = json_object_get(scope[i], "off");
        if (!off) continue;
        size_t k;
        json_t *r;
        json_array_foreach(off, k, r) if (!strcmp(json_string_value(r), rule_name)) return true;
        return false;
    }
    return false;
}

/* ---- the arena ---- */

static char *arena_alloc(arena_block **head, size_t n) {
    arena_block *b = *head;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > 16384 ? n : 16384;
        b = malloc(sizeof *b + cap);
        if (!b) return NULL;
        b->next = *head, b->used = 0, b->cap = cap;
        *head = b;
    }
    char *p = b->data + b->used;
    b->used += n;
    return p;
}

char *arena_strdup(arena_block **head, const char *s) {
    if (!s) s = "";
    size_t n = strlen(s) + 1;
    char *p = arena_alloc(head, n);
    if (p) memcpy(p, s, n);
    return p;
}

char *arena_printf(arena_block **head, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return NULL;
    char *p = arena_alloc(head, (size_t)n + 1);
    if (!p) return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

void arena_free(arena_block *head) {
    while (head) {
        arena_block *next = head->next;
        free(head);
        head = next;
    }
}
