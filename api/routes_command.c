/*
 * routes_command.c - contingency plans and the command of an incident over
 * HTTP (command/, issue 22): GET /plans, GET and POST
 * /incidents/{id}/command.
 *
 * The incident is the views' (views_incident_view, with the caller's
 * scope: an enterprise sees and commands only its own); what the plan and
 * level are chosen from (its hazard source, substance, the people and
 * sensitive targets in its zones) is read from that view here. Who acts
 * is the token's name.
 */
#include "api/internal.h"
#include "command/command.h"

static enum MHD_Result unavailable(req *r, struct MHD_Connection *c) {
    return api_send_error(r, c, 503, "unavailable",
                          "plans and command are not configured (parkd runs them with its event "
                          "store and a layout)");
}

static enum MHD_Result send_code(req *r, struct MHD_Connection *c, cmd_code code, const char *msg) {
    static const struct {
        int http;
        const char *code;
    } map[] = {[CMD_OK] = {200, "ok"},
               [CMD_EINVAL] = {400, "bad_request"},
               [CMD_ENOTFOUND] = {404, "not_found"},
               [CMD_ECONFLICT] = {409, "conflict"},
               [CMD_EIO] = {503, "unavailable"}};
    unsigned i = (unsigned)code < sizeof map / sizeof map[0] ? (unsigned)code : CMD_EIO;
    return api_send_error(r, c, map[i].http, map[i].code, "%s", msg);
}

/* GET /plans */
enum MHD_Result api_h_plans(req *r, struct MHD_Connection *c) {
    command *cm = r->srv->o.command;
    if (!cm) return unavailable(r, c);
    return api_send_json(r, c, 200, command_plans(cm));
}

/* What command/ chooses from, read from the incident's view (owned by the
 * caller: strings point into view). */
typedef struct incident_facts {
    cmd_incident inc;
    char hazard_source[64];
} incident_facts;

static void facts_of(req *r, const json_t *view, incident_facts *f) {
    const json_t *in = json_object_get(view, "incident");
    memset(f, 0, sizeof *f);
    f->inc.id = json_string_value(json_object_get(in, "id"));
    f->inc.enterprise = json_string_value(json_object_get(in, "enterprise"));
    f->inc.substance = json_string_value(json_object_get(in, "substance"));
    f->inc.scenario = "release"; /* the views' incidents are releases */
    /* the people and sensitive targets of its widest zone */
    size_t i;
    json_t *z;
    json_array_foreach(json_object_get(view, "zones"), i, z) {
        long p = (long)json_integer_value(json_object_get(z, "occupants"));
        long t = (long)json_array_size(json_object_get(z, "sensitive_targets"));
        if (p > f->inc.people) f->inc.people = p;
        if (t > f->inc.sensitive_targets) f->inc.sensitive_targets = t;
    }
    f->inc.leaves_park = f->inc.sensitive_targets > 0;
    /* its hazard source: the one its release point lies in */
    const geo_layout *g = r->srv->o.layout;
    geo_hits h;
    double lon = json_number_value(json_object_get(in, "lon")),
           lat = json_number_value(json_object_get(in, "lat"));
    if (g && geo_within_point(g, lon, lat, 0, GEO_HAZARD_SOURCE, &h) == 0) {
        if (h.n) {
            snprintf(f->hazard_source, sizeof f->hazard_source, "%s", geo_get(g, h.index[0])->id);
            f->inc.hazard_source = f->hazard_source;
        }
        geo_hits_free(&h);
    }
}

/* The incident of {id} as the caller sees it (*view, the caller's), or
 * the error is sent. */
static int want_incident_view(req *r, struct MHD_Connection *c, json_t **view,
                              enum MHD_Result *sent) {
    views *v = r->srv->o.views;
    if (!v || !r->srv->o.command) {
        *sent = unavailable(r, c);
        return -1;
    }
    char err[256];
    views_query q = {.keep = api_view_keep, .ctx = r};
    if (strlen(r->param[0]) >= 32 ||
        views_incident_view(v, r->param[0], &q, view, err, sizeof err) != 0) {
        *sent = api_send_error(r, c, 404, "not_found", "no incident %s", r->param[0]);
        return -1;
    }
    return 0;
}

/* GET /incidents/{id}/command?at=: the proposal and the command at at. */
enum MHD_Result api_h_incident_command(req *r, struct MHD_Connection *c) {
    enum MHD_Result sent;
    json_t *view, *out;
    int64_t at = 0;
    const char *a = api_arg(c, "at");
    if (a && !api_parse_time(a, pw_wall_ms(), &at))
        return api_send_error(r, c, 400, "bad_request", "at: a time in ms, \"now\" or \"-1h\"");
    if (want_incident_view(r, c, &view, &sent)) return sent;
    incident_facts f;
    facts_of(r, view, &f);
    char err[256];
    int rc = command_view(r->srv->o.command, &f.inc, at, &out, err, sizeof err);
    if (rc == 0) {
        json_object_set_new(out, "proposal", command_propose(r->srv->o.command, &f.inc));
        json_object_set_new(out, "hazard_source",
                            f.inc.hazard_source ? json_string(f.inc.hazard_source) : json_null());
    }
    json_decref(view);
    if (rc != 0) return api_send_error(r, c, 503, "unavailable", "%s", err);
    return api_send_json(r, c, 200, out);
}

static const char *str_of(const json_t *b, const char *key) {
    return json_string_value(json_object_get(b, key));
}

/* POST /incidents/{id}/command: {action: "activate", plan?, level?,
 * drill?} | {action: "level", level, reason} | {action: "task", task,
 * state, note?} | {action: "log", kind, text, data?}; the command after. */
enum MHD_Result api_h_incident_command_post(req *r, struct MHD_Connection *c) {
    enum MHD_Result sent;
    json_t *view, *b;
    if (api_want_body_object(r, c, false, &b, &sent)) return sent;
    if (want_incident_view(r, c, &view, &sent)) {
        json_decref(b);
        return sent;
    }
    incident_facts f;
    facts_of(r, view, &f);
    command *cm = r->srv->o.command;
    const char *action = str_of(b, "action");
    const json_t *lv = json_object_get(b, "level"), *dr = json_object_get(b, "drill");
    char err[256] = "";
    cmd_code code = CMD_EINVAL;
    int rc = -1;
    int64_t now = pw_wall_ms();
    if (lv && (!json_is_integer(lv) || json_integer_value(lv) < 1 || json_integer_value(lv) > 4))
        snprintf(err, sizeof err, "level: 1 (gravest) to 4");
    else if (dr && !json_is_boolean(dr))
        snprintf(err, sizeof err, "drill: true or false");
    else if (action && !strcmp(action, "activate"))
        rc = command_activate(cm, &f.inc, str_of(b, "plan"), (int)json_integer_value(lv),
                              json_is_true(dr), r->tok.name, now, &code, err, sizeof err);
    else if (action && !strcmp(action, "level"))
        rc = command_set_level(cm, &f.inc, (int)json_integer_value(lv), str_of(b, "reason"),
                               r->tok.name, now, &code, err, sizeof err);
    else if (action && !strcmp(action, "task"))
        rc = command_task(cm, &f.inc, str_of(b, "task"), str_of(b, "state"), str_of(b, "note"),
                          r->tok.name, now, &code, err, sizeof err);
    else if (action && !strcmp(action, "log"))
        rc = command_log(cm, &f.inc, str_of(b, "kind"), str_of(b, "text"),
                         json_object_get(b, "data"), r->tok.name, now, &code, err, sizeof err);
    else
        snprintf(err, sizeof err, "action: activate, level, task or log");
    json_t *out = NULL;
    if (rc == 0 && command_view(cm, &f.inc, 0, &out, err, sizeof err) == 0)
        json_object_set_new(out, "proposal", command_propose(cm, &f.inc));
    if (rc == 0 && action)
        api_audit(r->srv, r, "incident_command",
                  json_pack("{s:s, s:s}", "incident", f.inc.id, "action", action));
    json_decref(view);
    json_decref(b);
    if (rc != 0) return send_code(r, c, code, err);
    if (!out) return api_send_error(r, c, 503, "unavailable", "%s", err);
    return api_send_json(r, c, 200, out);
}

/* GET /resources?at=: the layout's resources with their status then. */
enum MHD_Result api_h_resources(req *r, struct MHD_Connection *c) {
    command *cm = r->srv->o.command;
    if (!cm || !r->srv->o.layout) return unavailable(r, c);
    int64_t at = 0;
    const char *a = api_arg(c, "at");
    if (a && !api_parse_time(a, pw_wall_ms(), &at))
        return api_send_error(r, c, 400, "bad_request", "at: a time in ms, \"now\" or \"-1h\"");
    char err[256];
    json_t *o = command_resources(cm, r->srv->o.layout, at, err, sizeof err);
    if (!o) return api_send_error(r, c, 503, "unavailable", "%s", err);
    return api_send_json(r, c, 200, o);
}

/* POST /resources/{id}/status: {status, available?, incident?, note?}. */
enum MHD_Result api_h_resource_status(req *r, struct MHD_Connection *c) {
    command *cm = r->srv->o.command;
    if (!cm || !r->srv->o.layout) return unavailable(r, c);
    json_t *b;
    enum MHD_Result sent;
    if (api_want_body_object(r, c, false, &b, &sent)) return sent;
    const json_t *av = json_object_get(b, "available");
    char err[256] = "";
    cmd_code code = CMD_EINVAL;
    int rc = -1;
    long idx = geo_find(r->srv->o.layout, r->param[0]);
    if (r->tok.role == API_ROLE_ENTERPRISE &&
        (idx < 0 ||
         strcmp(geo_get(r->srv->o.layout, (size_t)idx)->enterprise, r->tok.enterprise))) {
        json_decref(b);
        return api_send_error(r, c, 403, "forbidden",
                              "an enterprise sets the status of its own resources only");
    }
    if (av && !json_is_number(av))
        snprintf(err, sizeof err, "available: a number");
    else
        rc = command_resource_set(cm, r->srv->o.layout, r->param[0], str_of(b, "status"),
                                  av ? json_number_value(av) : NAN, str_of(b, "incident"),
                                  str_of(b, "note"), r->tok.name, pw_wall_ms(), &code, err,
                                  sizeof err);
    json_decref(b);
    if (rc != 0) return send_code(r, c, code, err);
    api_audit(r->srv, r, "resource_status", json_pack("{s:s}", "resource", r->param[0]));
    json_t *o = command_resources(cm, r->srv->o.layout, 0, err, sizeof err);
    if (!o) return api_send_error(r, c, 503, "unavailable", "%s", err);
    return api_send_json(r, c, 200, o);
}
