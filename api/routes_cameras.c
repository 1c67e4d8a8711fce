/*
 * routes_cameras.c - camera events over HTTP (cameras/): the layout's
 * cameras with their last event, the events from the event store, and a
 * snapshot's bytes by its SHA-256 (docs/closed-park.md). Events come in
 * through POST /api/v1/events (parkd's dispatcher), not here.
 *
 * Scope: an enterprise token sees its own cameras, their events and
 * snapshots only (another's snapshot is "not found", as hazards/ serves
 * evidence); the other roles see every camera. 503 when parkd runs
 * without the module.
 */
#include "api/internal.h"
#include "cameras/cameras.h"

static cameras *module_of(req *r, struct MHD_Connection *c, enum MHD_Result *sent) {
    cameras *cm = r->srv->o.cameras;
    if (!cm) *sent = api_send_error(r, c, 503, "unavailable", "camera events are not configured");
    return cm;
}

static const char *scope_of(const req *r) {
    return r->tok.role == API_ROLE_ENTERPRISE ? r->tok.enterprise : NULL;
}

enum MHD_Result api_h_cameras(req *r, struct MHD_Connection *c) {
    enum MHD_Result sent;
    cameras *cm = module_of(r, c, &sent);
    if (!cm) return sent;
    json_t *out;
    char err[256];
    if (cameras_list(cm, scope_of(r), &out, err, sizeof err) != 0)
        return api_send_error(r, c, 500, "internal", "%s", err);
    return api_send_json(r, c, 200, out);
}

enum MHD_Result api_h_camera_events(req *r, struct MHD_Connection *c) {
    enum MHD_Result sent;
    cameras *cm = module_of(r, c, &sent);
    int64_t from, to;
    uint64_t limit = 1000;
    const char *s;
    if (!cm) return sent;
    if (api_want_range_span(r, c, 86400000, &from, &to, &sent)) return sent;
    if ((s = api_arg(c, "limit")) && !api_parse_count(s, 1, 10000, &limit))
        return api_send_error(r, c, 400, "bad_request", "limit: 1..10000");
    json_t *out;
    char err[256];
    if (cameras_events(cm, scope_of(r), from, to, api_arg(c, "camera"), (size_t)limit, &out, err,
                       sizeof err) != 0) {
        if (!strncmp(err, "invalid: ", 9))
            return api_send_error(r, c, 400, "bad_request", "%s", err + 9);
        return api_send_error(r, c, 503, "unavailable", "%s", err);
    }
    json_object_set_new(out, "from_ms", json_integer(from));
    json_object_set_new(out, "to_ms", json_integer(to));
    return api_send_json(r, c, 200, out);
}

enum MHD_Result api_h_camera_snapshot(req *r, struct MHD_Connection *c) {
    enum MHD_Result sent;
    cameras *cm = module_of(r, c, &sent);
    if (!cm) return sent;
    void *bytes;
    size_t len;
    const char *type;
    char err[256];
    int rc = cameras_snapshot(cm, scope_of(r), r->param[0], &bytes, &len, &type, err, sizeof err);
    if (rc > 0) return api_send_error(r, c, 404, "not_found", "%s", err);
    if (rc < 0) return api_send_error(r, c, 500, "internal", "%s", err);
    return api_send_buf(r, c, 200, type, bytes, len);
}
