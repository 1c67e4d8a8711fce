/*
 * routes_views.c - the views (risk, air quality, toxic summary) and incidents.
 */
#include "api/internal.h"

static enum MHD_Result no_views(req *r, struct MHD_Connection *c) {
    return api_send_error(r, c, 503, "unavailable", "the views need a park layout");
}

/* ?at= (default now) into a query with the caller's scope. */
static int want_view_query(req *r, struct MHD_Connection *c, views_query *q,
                           enum MHD_Result *sent) {
    memset(q, 0, sizeof *q);
    q->keep = api_view_keep, q->ctx = r;
    if (api_arg(c, "at") && !api_parse_time(api_arg(c, "at"), pw_wall_ms(), &q->at_ms)) {
        *sent = api_send_error(r, c, 400, "bad_request", "at: a time in ms, \"now\" or \"-1h\"");
        return -1;
    }
    return 0;
}

typedef int (*view_layer_fn)(views *v, const views_query *q, char **json, size_t *len, char *err,
                             size_t errcap);

/* A view that is a GeoJSON layer at ?at= (risk, air quality). */
static enum MHD_Result send_view_layer(req *r, struct MHD_Connection *c, view_layer_fn layer) {
    views *v = r->srv->o.views;
    if (!v) return no_views(r, c);
    views_query q;
    enum MHD_Result sent;
    if (want_view_query(r, c, &q, &sent)) return sent;
    char *json, err[256];
    size_t len;
    if (layer(v, &q, &json, &len, err, sizeof err) != 0)
        return api_send_error(r, c, 500, "internal", "%s", err);
    return api_send_buf(r, c, 200, "application/geo+json", json, len);
}

enum MHD_Result api_h_view_risk(req *r, struct MHD_Connection *c) {
    return send_view_layer(r, c, views_risk_layer);
}

enum MHD_Result api_h_view_source(req *r, struct MHD_Connection *c) {
    const char *id = r->param[0];
    views *v = r->srv->o.views;
    if (!v) return no_views(r, c);
    views_query q;
    enum MHD_Result sent;
    int64_t from, to, step = 3600000;
    if (want_view_query(r, c, &q, &sent) || api_want_range_span(r, c, 86400000, &from, &to, &sent))
        return sent;
    if (api_arg(c, "step") && !api_parse_duration(api_arg(c, "step"), &step))
        return api_send_error(r, c, 400, "bad_request", "step: a duration such as 10m or 1h");
    if ((to - from) / step > 10000)
        return api_send_error(r, c, 400, "limit_exceeded", "at most 10,000 steps");
    json_t *o;
    char err[256];
    if (views_risk_source(v, &q, id, from, to, step, &o, err, sizeof err) != 0)
        return api_send_error(r, c, 404, "not_found", "%s", err);
    return api_send_json(r, c, 200, o);
}

enum MHD_Result api_h_view_aqi(req *r, struct MHD_Connection *c) {
    return send_view_layer(r, c, views_aqi_layer);
}

enum MHD_Result api_h_view_idw(req *r, struct MHD_Connection *c) {
    views *v = r->srv->o.views;
    if (!v) return no_views(r, c);
    views_query q;
    enum MHD_Result sent;
    if (want_view_query(r, c, &q, &sent)) return sent;
    size_t nx = 100, ny = 100;
    if ((api_arg(c, "nx") && !api_parse_size(api_arg(c, "nx"), &nx)) ||
        (api_arg(c, "ny") && !api_parse_size(api_arg(c, "ny"), &ny)) || !nx || !ny)
        return api_send_error(r, c, 400, "bad_request", "nx and ny: cells a side, 1 to 500");
    if (nx > 500 || ny > 500)
        return api_send_error(r, c, 400, "limit_exceeded", "at most 500 cells a side");
    const char *pol = api_arg(c, "pollutant");
    char *json, err[256];
    size_t len;
    if (views_idw(v, &q, pol ? pol : "PM2_5", (int)nx, (int)ny, &json, &len, err, sizeof err) != 0)
        return api_send_error(r, c, 400, "bad_request", "%s", err);
    return api_send_buf(r, c, 200, "application/geo+json", json, len);
}

enum MHD_Result api_h_view_toxic(req *r, struct MHD_Connection *c) {
    views *v = r->srv->o.views;
    if (!v) return no_views(r, c);
    views_query q;
    enum MHD_Result sent;
    if (want_view_query(r, c, &q, &sent)) return sent;
    json_t *o;
    char err[256];
    if (views_toxic_summary(v, &q, &o, err, sizeof err) != 0)
        return api_send_error(r, c, 500, "internal", "%s", err);
    return api_send_json(r, c, 200, o);
}

/* GET /incidents; POST /incidents (operator, admin, or an enterprise for
 * its own plot) with {"tank": id} or {"lon", "lat", "substance"}, and
 * "release_kg_s" or "hole_mm", "height_m", "start_ms", "note". */
enum MHD_Result api_h_incidents(req *r, struct MHD_Connection *c) {
    views *v = r->srv->o.views;
    if (!v) return no_views(r, c);
    views_query q = {.keep = api_view_keep, .ctx = r};
    json_t *o;
    if (views_incidents(v, &q, &o) != 0)
        return api_send_error(r, c, 500, "internal", "out of memory");
    return api_send_json(r, c, 200, o);
}

enum MHD_Result api_h_incident_open(req *r, struct MHD_Connection *c) {
    views *v = r->srv->o.views;
    if (!v) return no_views(r, c);
    json_t *b;
    enum MHD_Result sent;
    if (api_want_body_object(r, c, false, &b, &sent)) return sent;
    static const char *const numbers[] = {"lon", "lat", "release_kg_s", "hole_mm", "height_m"};
    for (size_t i = 0; i < sizeof numbers / sizeof *numbers; i++) {
        json_t *x = json_object_get(b, numbers[i]);
        if (x && !json_is_number(x)) {
            json_decref(b);
            return api_send_error(r, c, 400, "bad_request", "%s must be a number", numbers[i]);
        }
    }
    /* a point given is a point on the Earth, even beside a tank that
     * overrides it */
    json_t *lon = json_object_get(b, "lon"), *lat = json_object_get(b, "lat");
    if ((lon && fabs(json_number_value(lon)) > 180) || (lat && fabs(json_number_value(lat)) > 90)) {
        json_decref(b);
        return api_send_error(r, c, 400, "bad_request", "lon: -180 to 180, lat: -90 to 90");
    }
    json_t *start = json_object_get(b, "start_ms");
    if (start && (!json_is_integer(start) || !api_time_ok(json_integer_value(start)))) {
        json_decref(b);
        return api_send_error(r, c, 400, "bad_request", "start_ms: a time in ms since 1970");
    }
    views_incident_spec sp = {
        .tank_id = json_string_value(json_object_get(b, "tank")),
        .lon = json_number_value(json_object_get(b, "lon")),
        .lat = json_number_value(json_object_get(b, "lat")),
        .substance = json_string_value(json_object_get(b, "substance")),
        .release_kg_s = json_number_value(json_object_get(b, "release_kg_s")),
        .hole_mm = json_number_value(json_object_get(b, "hole_mm")),
        .height_m = json_number_value(json_object_get(b, "height_m")),
        .start_ms = json_integer_value(json_object_get(b, "start_ms")),
        .opened_by = r->tok.name,
        .note = json_string_value(json_object_get(b, "note")),
        .only_enterprise = r->tok.role == API_ROLE_ENTERPRISE ? r->tok.enterprise : NULL,
    };
    char id[32], err[256];
    int rc = views_incident_open(v, &sp, id, err, sizeof err);
    json_decref(b);
    if (rc != 0) return api_send_error(r, c, 400, "bad_request", "%s", err);
    views_query q = {.keep = api_view_keep, .ctx = r};
    json_t *o;
    if (views_incident_view(v, id, &q, &o, err, sizeof err) != 0)
        return api_send_error(r, c, 500, "internal", "%s", err);
    api_audit(r->srv, r, "incident_open", json_pack("{s:s}", "incident", id));
    return api_send_json(r, c, 201, o);
}

/* The incident of the path's {id} as the caller sees it (*o, the caller's),
 * with the view query and its id; or the error is sent. */
static int want_incident(req *r, struct MHD_Connection *c, char id[32], views_query *q, json_t **o,
                         enum MHD_Result *sent) {
    views *v = r->srv->o.views;
    char err[256];
    size_t n = strlen(r->param[0]);
    if (!v) {
        *sent = no_views(r, c);
        return -1;
    }
    if (n == 0 || n >= 32) {
        *sent = api_send_error(r, c, 404, "not_found", "no such incident");
        return -1;
    }
    memcpy(id, r->param[0], n + 1);
    if (want_view_query(r, c, q, sent)) return -1;
    if (views_incident_view(v, id, q, o, err, sizeof err) != 0) {
        *sent = api_send_error(r, c, 404, "not_found", "%s", err);
        return -1;
    }
    return 0;
}

/* GET /incidents/{id} */
enum MHD_Result api_h_incident(req *r, struct MHD_Connection *c) {
    char id[32];
    views_query q;
    json_t *o;
    enum MHD_Result sent;
    if (want_incident(r, c, id, &q, &o, &sent)) return sent;
    return api_send_json(r, c, 200, o);
}

/* POST /incidents/{id}/close */
enum MHD_Result api_h_incident_close(req *r, struct MHD_Connection *c) {
    views *v = r->srv->o.views;
    char id[32], err[256];
    views_query q;
    json_t *o;
    enum MHD_Result sent;
    if (want_incident(r, c, id, &q, &o, &sent)) return sent;
    json_decref(o);
    if (views_incident_close(v, id, 0, r->tok.name, err, sizeof err) != 0)
        return api_send_error(r, c, 409, "conflict", "%s", err);
    api_audit(r->srv, r, "incident_close", json_pack("{s:s}", "incident", id));
    q.at_ms = 0;
    views_incidents(v, &q, &o);
    return api_send_json(r, c, 200, o);
}

/* POST /threat-zones?at=: a fire, explosion or dense-gas scenario's threat
 * zones joined with the park (views_threat_zones; issue 22). A what-if:
 * nothing is stored, so every reader may ask; an enterprise only of its
 * own tanks, and it sees its own things inside. */
enum MHD_Result api_h_threat_zones(req *r, struct MHD_Connection *c) {
    views *v = r->srv->o.views;
    if (!v) return no_views(r, c);
    views_query q;
    json_t *b, *o;
    enum MHD_Result sent;
    if (want_view_query(r, c, &q, &sent)) return sent;
    if (api_want_body_object(r, c, false, &b, &sent)) return sent;
    char err[256];
    int rc = views_threat_zones(v, b, &q, &o, err, sizeof err);
    json_decref(b);
    if (rc != 0) return api_send_error(r, c, 400, "bad_request", "%s", err);
    return api_send_json(r, c, 200, o);
}
