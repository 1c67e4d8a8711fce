/*
 * unit.c - a risk unit checked where it enters: one JSON object (from the
 * API's body, a CSV row made an object by csv.c, or the store's own record
 * at open), every member bounded, its geometry checked as GeoJSON, its
 * assessment graded by the bands. What is kept is ru_unit (internal.h).
 */
#include "riskunits/internal.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kinds[] = {"unit",        "tank_area", "warehouse",
                                    "loading_bay", "pipeline",  "other"};

/* The members the store writes itself: accepted and ignored, so that a
 * unit read from the API can be sent back edited. */
static const char *const derived[] = {"score",      "lec_grade",   "level",   "colour",
                                      "live_level", "live_colour", "reasons", "live_since_ms",
                                      "updated_ms", "updated_by",  "history", "enterprise_name"};
static const char *const inputs[] = {"id",       "enterprise", "name",     "name_zh",    "kind",
                                     "geometry", "assets",     "method",   "l",          "e",
                                     "c",        "s",          "assessor", "assessed_ms"};

void ru_unit_release(ru_unit *u) {
    if (!u) return;
    free(u->geometry);
    for (size_t i = 0; i < u->n_assets; i++) free(u->assets[i]);
    free(u->assets);
    u->geometry = NULL, u->assets = NULL, u->n_assets = 0;
}

int ru_unit_copy(ru_unit *dst, const ru_unit *u) {
    *dst = *u;
    dst->geometry = NULL, dst->assets = NULL, dst->n_assets = 0;
    dst->geometry = strdup(u->geometry ? u->geometry : "null");
    dst->assets = calloc(u->n_assets ? u->n_assets : 1, sizeof *dst->assets);
    if (!dst->geometry || !dst->assets) return ru_unit_release(dst), -1;
    for (size_t i = 0; i < u->n_assets; i++) {
        if (!(dst->assets[i] = strdup(u->assets[i]))) return ru_unit_release(dst), -1;
        dst->n_assets++;
    }
    return 0;
}

bool ru_id_ok(const char *id) {
    size_t n = strlen(id);
    if (n == 0 || n > 63 || !strcmp(id, "map") || !strcmp(id, "import")) return false;
    for (size_t k = 0; k < n; k++)
        if (!isalnum((unsigned char)id[k]) && !strchr("._-", id[k])) return false;
    return true;
}

/* A layout asset id: [A-Za-z0-9._/-]{1,63}. */
static bool asset_ok(const char *s) {
    size_t n = strlen(s);
    if (n == 0 || n > 63) return false;
    for (size_t k = 0; k < n; k++)
        if (!isalnum((unsigned char)s[k]) && !strchr("._/-", s[k])) return false;
    return true;
}

/* ---- geometry ---- */

#define RU_VERTICES_TEXT "2000" /* RU_VERTICES_MAX, for messages */

static int position_ok(const json_t *p, char *err, size_t errcap, const char *where) {
    if (!json_is_array(p) || json_array_size(p) < 2 || json_array_size(p) > 3) {
        snprintf(err, errcap, "geometry: %s is not a position [lon, lat]", where);
        return -1;
    }
    for (size_t i = 0; i < json_array_size(p); i++) {
        const json_t *x = json_array_get(p, i);
        if (!json_is_number(x) || !isfinite(json_number_value(x))) {
            snprintf(err, errcap, "geometry: %s holds a coordinate that is not a finite number",
                     where);
            return -1;
        }
    }
    double lon = json_number_value(json_array_get(p, 0));
    double lat = json_number_value(json_array_get(p, 1));
    if (lon < -180 || lon > 180 || lat < -90 || lat > 90) {
        snprintf(err, errcap, "geometry: %s: lon -180..180, lat -90..90 (WGS84)", where);
        return -1;
    }
    return 0;
}

int ru_geometry_check(const json_t *g, char *err, size_t errcap) {
    if (!json_is_object(g)) {
        snprintf(err, errcap, "geometry: a GeoJSON object (Point or Polygon)");
        return -1;
    }
    const char *type = json_string_value(json_object_get(g, "type"));
    const json_t *co = json_object_get(g, "coordinates");
    if (type && !strcmp(type, "Point")) return position_ok(co, err, errcap, "the point");
    if (!type || strcmp(type, "Polygon")) {
        snprintf(err, errcap, "geometry: type must be Point or Polygon");
        return -1;
    }
    if (!json_is_array(co) || json_array_size(co) < 1 || json_array_size(co) > RU_RINGS_MAX) {
        snprintf(err, errcap, "geometry: a polygon is 1 to %d rings", RU_RINGS_MAX);
        return -1;
    }
    size_t total = 0;
    for (size_t r = 0; r < json_array_size(co); r++) {
        const json_t *ring = json_array_get(co, r);
        size_t n = json_is_array(ring) ? json_array_size(ring) : 0;
        if (n < 4 || (total += n) > RU_VERTICES_MAX) {
            snprintf(err, errcap, "geometry: ring %zu: %s", r,
                     n < 4 ? "a ring is at least 4 positions"
                           : "more than " RU_VERTICES_TEXT " vertices in the polygon");
            return -1;
        }
        char where[64];
        for (size_t i = 0; i < n; i++) {
            snprintf(where, sizeof where, "ring %zu position %zu", r, i);
            if (position_ok(json_array_get(ring, i), err, errcap, where)) return -1;
        }
        const json_t *a = json_array_get(ring, 0), *z = json_array_get(ring, n - 1);
        for (size_t k = 0; k < 2; k++)
            if (json_number_value(json_array_get(a, k)) !=
                json_number_value(json_array_get(z, k))) {
                snprintf(err, errcap, "geometry: ring %zu is not closed (last position != first)",
                         r);
                return -1;
            }
    }
    return 0;
}

/* ---- members ---- */

static int bad(const char **bad_field, const char *field, char *err, size_t errcap, const char *fmt,
               const char *why) {
    if (bad_field) *bad_field = field;
    snprintf(err, errcap, fmt, field, why);
    return -1;
}

/* A string member into out: required or "" when absent; at most cap-1
 * bytes, no control characters. */
static int get_str(const json_t *o, const char *key, bool required, char *out, size_t cap,
                   const char **bad_field, char *err, size_t errcap) {
    const json_t *v = json_object_get(o, key);
    out[0] = 0;
    if (!v || json_is_null(v))
        return required ? bad(bad_field, key, err, errcap, "%s: %s", "required") : 0;
    if (!json_is_string(v)) return bad(bad_field, key, err, errcap, "%s: %s", "must be a string");
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (n >= cap) return bad(bad_field, key, err, errcap, "%s: %s", "too long");
    for (size_t k = 0; k < n; k++)
        if ((unsigned char)s[k] < 0x20 || s[k] == 0x7f)
            return bad(bad_field, key, err, errcap, "%s: %s", "holds a control character");
    if (required && !n) return bad(bad_field, key, err, errcap, "%s: %s", "must not be empty");
    memcpy(out, s, n + 1);
    return 0;
}

static bool listed(const char *key, const char *const *names, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!strcmp(key, names[i])) return true;
    return false;
}

#define COUNT(a) (sizeof(a) / sizeof *(a))

int ru_unit_parse(const json_t *o, const ru_bands *b, ru_unit *u, const char **bad_field, char *err,
                  size_t errcap) {
    memset(u, 0, sizeof *u);
    if (bad_field) *bad_field = NULL;
    if (!json_is_object(o)) return bad(bad_field, "unit", err, errcap, "%s: %s", "not an object");
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)o, key, v) {
        if (!listed(key, inputs, COUNT(inputs)) && !listed(key, derived, COUNT(derived)))
            return bad(bad_field, key, err, errcap, "%s: %s", "unknown member");
    }
    if (get_str(o, "id", true, u->id, sizeof u->id, bad_field, err, errcap) ||
        get_str(o, "enterprise", true, u->enterprise, sizeof u->enterprise, bad_field, err,
                errcap) ||
        get_str(o, "name", true, u->name, sizeof u->name, bad_field, err, errcap) ||
        get_str(o, "name_zh", false, u->name_zh, sizeof u->name_zh, bad_field, err, errcap) ||
        get_str(o, "kind", true, u->kind, sizeof u->kind, bad_field, err, errcap) ||
        get_str(o, "assessor", true, u->assessor, sizeof u->assessor, bad_field, err, errcap))
        return -1;
    if (!ru_id_ok(u->id))
        return bad(bad_field, "id", err, errcap, "%s: %s",
                   "[A-Za-z0-9._-]{1,63}, not \"map\" or \"import\"");
    if (!asset_ok(u->enterprise) || strchr(u->enterprise, '/'))
        return bad(bad_field, "enterprise", err, errcap, "%s: %s", "an enterprise id");
    if (!listed(u->kind, kinds, COUNT(kinds)))
        return bad(bad_field, "kind", err, errcap, "%s: %s",
                   "unit, tank_area, warehouse, loading_bay, pipeline or other");
    /* geometry */
    const json_t *g = json_object_get(o, "geometry");
    char gerr[160];
    if (ru_geometry_check(g, gerr, sizeof gerr) != 0) {
        if (bad_field) *bad_field = "geometry";
        snprintf(err, errcap, "%s", gerr);
        return -1;
    }
    if (!(u->geometry = json_dumps(g, JSON_COMPACT))) {
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    /* assets */
    const json_t *as = json_object_get(o, "assets");
    if (as && !json_is_array(as))
        return bad(bad_field, "assets", err, errcap, "%s: %s", "an array of layout asset ids");
    size_t na = as ? json_array_size(as) : 0;
    if (na > RU_ASSETS_MAX)
        return bad(bad_field, "assets", err, errcap, "%s: %s", "at most 64 assets a unit");
    u->assets = calloc(na ? na : 1, sizeof *u->assets);
    if (!u->assets) return snprintf(err, errcap, "out of memory"), -1;
    for (size_t i = 0; i < na; i++) {
        const char *a = json_string_value(json_array_get(as, i));
        if (!a || !asset_ok(a))
            return bad(bad_field, "assets", err, errcap, "%s: %s",
                       "each a layout asset id [A-Za-z0-9._/-]{1,63}");
        if (!(u->assets[u->n_assets] = strdup(a)))
            return snprintf(err, errcap, "out of memory"), -1;
        u->n_assets++;
    }
    /* the assessment */
    const char *method = json_string_value(json_object_get(o, "method"));
    if (!method || (strcmp(method, "LEC") && strcmp(method, "LS")))
        return bad(bad_field, "method", err, errcap, "%s: %s", "LEC or LS");
    u->method = strcmp(method, "LEC") ? RU_LS : RU_LEC;
    const json_t *am = json_object_get(o, "assessed_ms");
    if (am && !json_is_null(am)) {
        if (!json_is_integer(am) || json_integer_value(am) < 0 ||
            json_integer_value(am) > 32503680000000LL) /* 3000-01-01 */
            return bad(bad_field, "assessed_ms", err, errcap, "%s: %s", "a time in ms since 1970");
        u->assessed_ms = json_integer_value(am);
    }
    static const char *const lec_keys[] = {"l", "e", "c"};
    static const char *const ls_keys[] = {"l", "s"};
    const char *const *need = u->method == RU_LEC ? lec_keys : ls_keys;
    size_t n_need = u->method == RU_LEC ? 3 : 2;
    for (size_t i = 0; i < n_need; i++) {
        const json_t *x = json_object_get(o, need[i]);
        if (!json_is_number(x) || !isfinite(json_number_value(x)))
            return bad(bad_field, need[i], err, errcap, "%s: %s",
                       u->method == RU_LEC ? "required, a number of the LEC tables"
                                           : "required, an integer 1..5");
    }
    const char *other = u->method == RU_LEC ? "s" : "e";
    if (json_object_get(o, other) && !json_is_null(json_object_get(o, other)))
        return bad(bad_field, other, err, errcap, "%s: %s",
                   u->method == RU_LEC ? "LEC has no s" : "LS has no e or c");
    if (u->method == RU_LS && json_object_get(o, "c") && !json_is_null(json_object_get(o, "c")))
        return bad(bad_field, "c", err, errcap, "%s: %s", "LS has no e or c");
    char gradeerr[128];
    if (u->method == RU_LEC) {
        u->l = json_number_value(json_object_get(o, "l"));
        u->e = json_number_value(json_object_get(o, "e"));
        u->c = json_number_value(json_object_get(o, "c"));
        if (ru_lec(u->l, u->e, u->c, b, &u->score, &u->level, gradeerr, sizeof gradeerr) != 0) {
            if (bad_field) *bad_field = gradeerr[0] == 'l' ? "l" : gradeerr[0] == 'e' ? "e" : "c";
            snprintf(err, errcap, "%s", gradeerr);
            return -1;
        }
    } else {
        const json_t *l = json_object_get(o, "l"), *s = json_object_get(o, "s");
        int r;
        if (!json_is_integer(l) || !json_is_integer(s) || json_integer_value(l) < 1 ||
            json_integer_value(l) > 5 || json_integer_value(s) < 1 || json_integer_value(s) > 5)
            return bad(bad_field,
                       json_is_integer(l) && json_integer_value(l) >= 1 &&
                               json_integer_value(l) <= 5
                           ? "s"
                           : "l",
                       err, errcap, "%s: %s", "an LS factor is an integer 1..5");
        u->l = (double)json_integer_value(l);
        u->s = (int)json_integer_value(s);
        if (ru_ls((int)u->l, u->s, b, &r, &u->level, gradeerr, sizeof gradeerr) != 0)
            return snprintf(err, errcap, "%s", gradeerr), -1;
        u->score = r;
    }
    u->live = u->level;
    return 0;
}

/* ---- out ---- */

json_t *ru_unit_input_json(const ru_unit *u) {
    json_t *assets = json_array();
    for (size_t i = 0; assets && i < u->n_assets; i++)
        json_array_append_new(assets, json_string(u->assets[i]));
    json_t *g = json_loads(u->geometry ? u->geometry : "null", JSON_DECODE_ANY, NULL);
    json_t *o =
        json_pack("{s:s,s:s,s:s,s:s,s:s,s:o*,s:o*,s:s,s:s,s:I}", "id", u->id, "enterprise",
                  u->enterprise, "name", u->name, "name_zh", u->name_zh, "kind", u->kind,
                  "geometry", g, "assets", assets, "method", u->method == RU_LEC ? "LEC" : "LS",
                  "assessor", u->assessor, "assessed_ms", (json_int_t)u->assessed_ms);
    if (!o) return NULL;
    if (u->method == RU_LEC) {
        json_object_set_new(o, "l", json_real(u->l));
        json_object_set_new(o, "e", json_real(u->e));
        json_object_set_new(o, "c", json_real(u->c));
    } else {
        json_object_set_new(o, "l", json_integer((json_int_t)u->l));
        json_object_set_new(o, "s", json_integer(u->s));
    }
    return o;
}

json_t *ru_unit_json(const ru_unit *u) {
    json_t *o = ru_unit_input_json(u);
    if (!o) return NULL;
    json_t *reasons = json_array();
    for (size_t i = 0; reasons && i < u->n_reasons; i++)
        json_array_append_new(reasons, json_string(u->reasons[i]));
    json_object_set_new(o, "score", json_real(u->score));
    if (u->method == RU_LEC)
        json_object_set_new(o, "lec_grade", json_integer(ru_lec_grade(u->score)));
    json_object_set_new(o, "level", json_string(ru_level_name(u->level)));
    json_object_set_new(o, "colour", json_string(ru_level_colour(u->level)));
    json_object_set_new(o, "live_level", json_string(ru_level_name(u->live)));
    json_object_set_new(o, "live_colour", json_string(ru_level_colour(u->live)));
    json_object_set_new(o, "reasons", reasons ? reasons : json_array());
    json_object_set_new(o, "live_since_ms", json_integer(u->live_since_ms));
    json_object_set_new(o, "updated_ms", json_integer(u->updated_ms));
    json_object_set_new(o, "updated_by", json_string(u->updated_by));
    return o;
}
