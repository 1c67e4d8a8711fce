/*
 * routes_riskunits.c - the park's risk units and their four-colour map
 * (riskunits/): listed with filters, one with its live level, reasons and
 * history, created or replaced one at a time (JSON) or many at once (CSV,
 * all or nothing), and the map as a GeoJSON FeatureCollection for the
 * dashboard's layer. An enterprise token sees and edits its own units
 * only; another enterprise's unit reads as one that does not exist.
 */
#include "api/internal.h"

#define HISTORY_MAX 200 /* entries GET /risk-units/{id} returns, newest first */

static enum MHD_Result no_store(req *r, struct MHD_Connection *c) {
    return api_send_error(r, c, 503, "unavailable", "risk units are not configured");
}

/* The scope and ?enterprise= and ?level= of a listing; -1 when a
 * parameter is bad (the 400 sent). */
static int want_filter(req *r, struct MHD_Connection *c, ru_filter *f, ru_level *level,
                       enum MHD_Result *sent) {
    *f = (ru_filter){.keep = api_view_keep, .ctx = r};
    if (api_want_enterprise(r, c, &f->enterprise, sent)) return -1;
    const char *lv = api_arg(c, "level");
    if (lv) {
        if (!ru_level_parse(lv, level)) {
            *sent = api_send_error(r, c, 400, "bad_request", "level: major, large, general or low");
            return -1;
        }
        f->level = level;
    }
    return 0;
}

static enum MHD_Result store_error(req *r, struct MHD_Connection *c, int rc, const char *err) {
    switch (rc) {
        case RU_EINVAL:
            return api_send_error(r, c, 400, "bad_request", "%s", err);
        case RU_EFORBIDDEN:
            return api_send_error(r, c, 403, "forbidden", "%s", err);
        case RU_ENOENT:
            return api_send_error(r, c, 404, "not_found", "%s", err);
        default:
            return api_send_error(r, c, 500, "internal", "%s", err);
    }
}

/* GET /risk-units?enterprise=&level= */
enum MHD_Result api_h_risk_units(req *r, struct MHD_Connection *c) {
    riskunits *ru = r->srv->o.riskunits;
    if (!ru) return no_store(r, c);
    ru_filter f;
    ru_level level;
    enum MHD_Result sent;
    if (want_filter(r, c, &f, &level, &sent)) return sent;
    json_t *units = riskunits_list(ru, &f);
    if (!units) return api_send_error(r, c, 500, "internal", "out of memory");
    return api_send_json(
        r, c, 200,
        json_pack("{s:I,s:o}", "count", (json_int_t)json_array_size(units), "units", units));
}

/* POST /risk-units: one unit, created or replaced */
enum MHD_Result api_h_risk_unit_put(req *r, struct MHD_Connection *c) {
    riskunits *ru = r->srv->o.riskunits;
    if (!ru) return no_store(r, c);
    json_t *b;
    enum MHD_Result sent;
    if (api_want_body_object(r, c, false, &b, &sent)) return sent;
    char id[64] = "", err[256];
    int rc = riskunits_put(ru, b, r->tok.name,
                           r->tok.role == API_ROLE_ENTERPRISE ? r->tok.enterprise : NULL,
                           pw_wall_ms(), id, err, sizeof err);
    json_decref(b);
    if (rc) return store_error(r, c, rc, err);
    api_audit(r->srv, r, "risk_unit_put", json_pack("{s:s}", "unit", id));
    json_t *o;
    if (riskunits_get(ru, id, NULL, HISTORY_MAX, &o) != 0)
        return api_send_error(r, c, 500, "internal", "the unit stored does not read back");
    return api_send_json(r, c, 200, o);
}

/* POST /risk-units/import: CSV, all or nothing */
enum MHD_Result api_h_risk_units_import(req *r, struct MHD_Connection *c) {
    riskunits *ru = r->srv->o.riskunits;
    if (!ru) return no_store(r, c);
    size_t n = 0;
    char err[320];
    int rc = riskunits_import_csv(ru, r->body ? r->body : "", r->body_n, r->tok.name,
                                  r->tok.role == API_ROLE_ENTERPRISE ? r->tok.enterprise : NULL,
                                  pw_wall_ms(), &n, err, sizeof err);
    if (rc) return store_error(r, c, rc, err);
    api_audit(r->srv, r, "risk_units_import", json_pack("{s:I}", "imported", (json_int_t)n));
    return api_send_json(r, c, 200, json_pack("{s:I}", "imported", (json_int_t)n));
}

/* GET /risk-units/map?enterprise=&level= */
enum MHD_Result api_h_risk_units_map(req *r, struct MHD_Connection *c) {
    riskunits *ru = r->srv->o.riskunits;
    if (!ru) return no_store(r, c);
    ru_filter f;
    ru_level level;
    enum MHD_Result sent;
    if (want_filter(r, c, &f, &level, &sent)) return sent;
    json_t *m = riskunits_map(ru, &f);
    if (!m) return api_send_error(r, c, 500, "internal", "out of memory");
    return api_send_json(r, c, 200, m);
}

/* GET /risk-units/{id}?at= : with its history; at= a past time adds the
 * levels it had then */
enum MHD_Result api_h_risk_unit(req *r, struct MHD_Connection *c) {
    riskunits *ru = r->srv->o.riskunits;
    if (!ru) return no_store(r, c);
    const char *id = r->param[0];
    ru_filter f = {.keep = api_view_keep, .ctx = r};
    json_t *o;
    if (riskunits_get(ru, id, &f, HISTORY_MAX, &o) != 0)
        return api_send_error(r, c, 404, "not_found", "no risk unit \"%s\"", id);
    const char *at_s = api_arg(c, "at");
    if (at_s) {
        int64_t at;
        if (!api_parse_time(at_s, pw_wall_ms(), &at)) {
            json_decref(o);
            return api_send_error(r, c, 400, "bad_request",
                                  "at: a time (ms since 1970, RFC 3339, now, -1h)");
        }
        ru_level a, l;
        json_t *then = riskunits_level_at(ru, id, at, &a, &l) == 0
                           ? json_pack("{s:I,s:s,s:s,s:s,s:s}", "at_ms", (json_int_t)at, "level",
                                       ru_level_name(a), "colour", ru_level_colour(a), "live_level",
                                       ru_level_name(l), "live_colour", ru_level_colour(l))
                           : json_pack("{s:I,s:n}", "at_ms", (json_int_t)at, "level");
        json_object_set_new(o, "at", then);
    }
    return api_send_json(r, c, 200, o);
}
