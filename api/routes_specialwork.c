/*
 * routes_specialwork.c - special-work permits over HTTP (specialwork/):
 * file, list, map, statistics, one permit, its gas tests and its steps,
 * under /api/v1/permits (docs/closed-park.md).
 *
 * The query string is checked here; the body goes whole to the module,
 * which checks every member where it enters and names the one that is
 * wrong. Who acts is the token: admin and operator as the park's staff,
 * an enterprise token for its own enterprise, the regulator reads only.
 * Each sw_status is one HTTP status; 503 when parkd runs without the
 * module.
 */
#include "api/internal.h"
#include "specialwork/specialwork.h"

static sw_actor actor_of(const req *r) {
    sw_actor a = {SW_ACTOR_PARK, r->tok.name, NULL};
    if (r->tok.role == API_ROLE_REGULATOR) a.kind = SW_ACTOR_REGULATOR;
    if (r->tok.role == API_ROLE_ENTERPRISE)
        a.kind = SW_ACTOR_ENTERPRISE, a.enterprise = r->tok.enterprise;
    return a;
}

static enum MHD_Result send_status(req *r, struct MHD_Connection *c, sw_status st,
                                   const char *msg) {
    static const struct {
        int http;
        const char *code;
    } map[] = {[SW_OK] = {200, "ok"},
               [SW_EINVAL] = {400, "bad_request"},
               [SW_EFORBIDDEN] = {403, "forbidden"},
               [SW_ENOTFOUND] = {404, "not_found"},
               [SW_ESTATE] = {409, "conflict"},
               [SW_EIO] = {503, "unavailable"}};
    unsigned i = (unsigned)st < sizeof map / sizeof map[0] ? (unsigned)st : SW_EIO;
    return api_send_error(r, c, map[i].http, map[i].code, "%s", msg);
}

static specialwork *module_of(req *r, struct MHD_Connection *c, enum MHD_Result *sent) {
    specialwork *sw = r->srv->o.specialwork;
    if (!sw)
        *sent = api_send_error(r, c, 503, "unavailable", "special-work permits are not configured");
    return sw;
}

/* ---- GET /permits ---- */

enum MHD_Result api_h_permits(req *r, struct MHD_Connection *c) {
    enum MHD_Result sent;
    specialwork *sw = module_of(r, c, &sent);
    if (!sw) return sent;
    sw_filter f = {-1, NULL, -1, 500};
    const char *s;
    uint64_t limit;
    if (api_want_enterprise(r, c, &f.enterprise, &sent)) return sent;
    if ((s = api_arg(c, "state"))) {
        sw_state st;
        if (!sw_state_parse(s, &st))
            return api_send_error(r, c, 400, "bad_request",
                                  "state: filed, active, suspended, closed or cancelled");
        f.state = (int)st;
    }
    if ((s = api_arg(c, "category"))) {
        sw_category cat;
        if (!sw_category_parse(s, &cat))
            return api_send_error(r, c, 400, "bad_request",
                                  "category: hot_work, confined_space, blinding, work_at_height, "
                                  "lifting, temporary_power, excavation or road_closure");
        f.category = (int)cat;
    }
    if ((s = api_arg(c, "limit"))) {
        if (!api_parse_count(s, 1, 5000, &limit))
            return api_send_error(r, c, 400, "bad_request", "limit: 1..5000");
        f.limit = (size_t)limit;
    }
    sw_actor who = actor_of(r);
    json_t *out;
    char err[256];
    sw_status st = specialwork_list(sw, &who, &f, &out, err, sizeof err);
    return st ? send_status(r, c, st, err) : api_send_json(r, c, 200, out);
}

/* ---- POST /permits ---- */

enum MHD_Result api_h_permit_file(req *r, struct MHD_Connection *c) {
    enum MHD_Result sent;
    specialwork *sw = module_of(r, c, &sent);
    json_t *b;
    if (!sw) return sent;
    if (api_want_body_object(r, c, false, &b, &sent)) return sent;
    sw_actor who = actor_of(r);
    char id[SW_ID_MAX], err[256];
    sw_status st = specialwork_file(sw, &who, b, pw_wall_ms(), id, err, sizeof err);
    json_decref(b);
    json_t *rec = NULL;
    if (!st) st = specialwork_get(sw, &who, id, &rec, err, sizeof err);
    if (st) return send_status(r, c, st, err);
    api_audit(r->srv, r, "permit_file", json_pack("{s:s}", "permit", id));
    return api_send_json(r, c, 201, rec);
}

/* ---- GET /permits/map, /permits/stats, /permits/{id} ---- */

enum MHD_Result api_h_permits_map(req *r, struct MHD_Connection *c) {
    enum MHD_Result sent;
    specialwork *sw = module_of(r, c, &sent);
    if (!sw) return sent;
    sw_actor who = actor_of(r);
    json_t *out;
    char err[256];
    sw_status st = specialwork_map(sw, &who, &out, err, sizeof err);
    return st ? send_status(r, c, st, err) : api_send_json(r, c, 200, out);
}

enum MHD_Result api_h_permits_stats(req *r, struct MHD_Connection *c) {
    enum MHD_Result sent;
    specialwork *sw = module_of(r, c, &sent);
    int64_t from, to;
    if (!sw) return sent;
    /* a month by default: the regulator's monthly figures */
    if (api_want_range_span(r, c, 30LL * 86400000, &from, &to, &sent)) return sent;
    sw_actor who = actor_of(r);
    json_t *out;
    char err[256];
    sw_status st = specialwork_stats(sw, &who, from, to, pw_wall_ms(), &out, err, sizeof err);
    return st ? send_status(r, c, st, err) : api_send_json(r, c, 200, out);
}

enum MHD_Result api_h_permit(req *r, struct MHD_Connection *c) {
    enum MHD_Result sent;
    specialwork *sw = module_of(r, c, &sent);
    if (!sw) return sent;
    sw_actor who = actor_of(r);
    json_t *out;
    char err[256];
    sw_status st = specialwork_get(sw, &who, r->param[0], &out, err, sizeof err);
    return st ? send_status(r, c, st, err) : api_send_json(r, c, 200, out);
}

/* ---- POST /permits/{id}/gas-tests, /permits/{id}/{action} ---- */

enum MHD_Result api_h_permit_gas_test(req *r, struct MHD_Connection *c) {
    enum MHD_Result sent;
    specialwork *sw = module_of(r, c, &sent);
    json_t *b;
    if (!sw) return sent;
    if (api_want_body_object(r, c, false, &b, &sent)) return sent;
    sw_actor who = actor_of(r);
    char err[256];
    bool pass;
    sw_status st =
        specialwork_gas_test(sw, &who, r->param[0], b, pw_wall_ms(), &pass, err, sizeof err);
    json_decref(b);
    json_t *rec = NULL;
    if (!st) st = specialwork_get(sw, &who, r->param[0], &rec, err, sizeof err);
    if (st) return send_status(r, c, st, err);
    api_audit(r->srv, r, "permit_gas_test",
              json_pack("{s:s,s:b}", "permit", r->param[0], "pass", pass));
    json_object_set_new(rec, "gas_test_passed", json_boolean(pass));
    return api_send_json(r, c, 201, rec);
}

enum MHD_Result api_h_permit_action(req *r, struct MHD_Connection *c) {
    enum MHD_Result sent;
    specialwork *sw = module_of(r, c, &sent);
    if (!sw) return sent;
    sw_action a;
    if (!sw_action_parse(r->param[1], &a))
        return api_send_error(r, c, 404, "not_found",
                              "no step %.40s: start, suspend, resume, close or cancel",
                              r->param[1]);
    json_t *b;
    if (api_want_body_object(r, c, true, &b, &sent)) return sent;
    json_t *nj = json_object_get(b, "note");
    if (nj && !json_is_string(nj) && !json_is_null(nj)) {
        json_decref(b);
        return api_send_error(r, c, 400, "bad_request", "note: a string");
    }
    sw_actor who = actor_of(r);
    char err[256];
    sw_status st = specialwork_act(sw, &who, r->param[0], a, json_string_value(nj), pw_wall_ms(),
                                   err, sizeof err);
    json_decref(b);
    json_t *rec = NULL;
    if (!st) st = specialwork_get(sw, &who, r->param[0], &rec, err, sizeof err);
    if (st) return send_status(r, c, st, err);
    api_audit(r->srv, r, "permit_step",
              json_pack("{s:s,s:s}", "permit", r->param[0], "step", sw_action_name(a)));
    return api_send_json(r, c, 200, rec);
}
