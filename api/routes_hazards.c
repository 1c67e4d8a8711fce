/*
 * routes_hazards.c - the hidden-hazard register over HTTP (hazards/):
 * list, report, one hazard, its steps, evidence, statistics, the 20
 * criteria and the journal, under /api/v1/hazards.
 *
 * The request is checked here where it enters (numbers through params.c,
 * the body's members by type, naming the field); the register checks the
 * rest (states, who may act, assignees, deadlines) and its status maps to
 * one HTTP status. Who acts is the token: admin and operator act as the
 * park's staff, an enterprise token for its own enterprise, the regulator
 * reads and supervises. Evidence is a raw body with its own size limit
 * (hazards_max_attachment_bytes), enforced by server.c before the body is
 * read (api_body_limit), so a 10 MiB photo passes where a 1 MiB JSON body
 * would not.
 */
#include "api/internal.h"
#include "hazards/hazards.h"

static hazard_actor actor_of(const req *r) {
    hazard_actor a = {HAZARD_ACTOR_PARK, r->tok.name, NULL};
    if (r->tok.role == API_ROLE_REGULATOR) a.kind = HAZARD_ACTOR_REGULATOR;
    if (r->tok.role == API_ROLE_ENTERPRISE)
        a.kind = HAZARD_ACTOR_ENTERPRISE, a.enterprise = r->tok.enterprise;
    return a;
}

static enum MHD_Result send_status(req *r, struct MHD_Connection *c, hazard_status st,
                                   const char *msg) {
    static const struct {
        int http;
        const char *code;
    } map[] = {[HAZARD_OK] = {200, "ok"},
               [HAZARD_EINVAL] = {400, "bad_request"},
               [HAZARD_EFORBIDDEN] = {403, "forbidden"},
               [HAZARD_ENOTFOUND] = {404, "not_found"},
               [HAZARD_ESTATE] = {409, "conflict"},
               [HAZARD_ETOOLARGE] = {413, "payload_too_large"},
               [HAZARD_ETYPE] = {415, "unsupported_media_type"},
               [HAZARD_EIO] = {500, "internal"}};
    unsigned i = (unsigned)st < sizeof map / sizeof map[0] ? (unsigned)st : HAZARD_EIO;
    return api_send_error(r, c, map[i].http, map[i].code, "%s", msg);
}

static hazards *register_of(req *r, struct MHD_Connection *c, enum MHD_Result *sent) {
    hazards *hz = r->srv->o.hazards;
    if (!hz) *sent = api_send_error(r, c, 503, "unavailable", "no hazard register");
    return hz;
}

static bool want_id(req *r, struct MHD_Connection *c, uint64_t *id, enum MHD_Result *sent) {
    if (!api_parse_count(r->param[0], 1, UINT64_MAX / 2, id)) {
        *sent = api_send_error(r, c, 404, "not_found", "no hazard %.40s", r->param[0]);
        return false;
    }
    return true;
}

/* ?at=: the register as it was then (-1: now). */
static bool want_at(req *r, struct MHD_Connection *c, int64_t *at, enum MHD_Result *sent) {
    const char *s = api_arg(c, "at");
    *at = -1;
    if (s && (!api_parse_time(s, pw_wall_ms(), at) || *at < 0)) {
        *sent = api_send_error(r, c, 400, "bad_request", "at: a time in ms, \"now\" or \"-1d\"");
        return false;
    }
    return true;
}

/* A tri-state query flag: true, false, or absent (-1). */
static bool want_flag(req *r, struct MHD_Connection *c, const char *name, int *out,
                      enum MHD_Result *sent) {
    const char *s = api_arg(c, name);
    *out = -1;
    if (!s) return true;
    if (!strcmp(s, "true") || !strcmp(s, "1"))
        *out = 1;
    else if (!strcmp(s, "false") || !strcmp(s, "0"))
        *out = 0;
    else {
        *sent = api_send_error(r, c, 400, "bad_request", "%s: true or false", name);
        return false;
    }
    return true;
}

/* ---- GET /hazards ---- */

enum MHD_Result api_h_hazards(req *r, struct MHD_Connection *c) {
    enum MHD_Result sent;
    hazards *hz = register_of(r, c, &sent);
    if (!hz) return sent;
    hazard_filter f = {NULL, -1, -1, -1, -1, NULL};
    int64_t at;
    uint64_t limit = 100, offset = 0;
    const char *s;
    if (api_want_enterprise(r, c, &f.enterprise, &sent)) return sent;
    if ((s = api_arg(c, "state"))) {
        hazard_state hs;
        if (!hazard_state_parse(s, &hs))
            return api_send_error(r, c, 400, "bad_request",
                                  "state: reported, assigned, rectified, verified or closed");
        f.state = (int)hs;
    }
    if ((s = api_arg(c, "grade"))) {
        hazard_grade g;
        if (!hazard_grade_parse(s, &g))
            return api_send_error(r, c, 400, "bad_request", "grade: general or major");
        f.grade = (int)g;
    }
    if (!want_flag(r, c, "overdue", &f.overdue, &sent) ||
        !want_flag(r, c, "supervised", &f.supervised, &sent) || !want_at(r, c, &at, &sent))
        return sent;
    f.text = api_arg(c, "q");
    if ((s = api_arg(c, "limit")) && !api_parse_count(s, 1, HAZARDS_LIST_MAX, &limit))
        return api_send_error(r, c, 400, "bad_request", "limit: 1..%d", HAZARDS_LIST_MAX);
    if ((s = api_arg(c, "offset")) && !api_parse_count(s, 0, 100000 - limit, &offset))
        return api_send_error(r, c, 400, "bad_request", "offset: offset + limit at most 100000");
    uint64_t *ids = malloc(limit * sizeof *ids);
    if (!ids) return api_send_error(r, c, 500, "internal", "out of memory");
    size_t n, total;
    char next[HAZARDS_CURSOR], err[256];
    int64_t now = pw_wall_ms();
    hazard_actor who = actor_of(r);
    hazard_status st = hazards_list(hz, &who, &f, at, now, api_arg(c, "cursor"), (size_t)offset,
                                    (size_t)limit, ids, &n, &total, next, err, sizeof err);
    if (st) {
        free(ids);
        return send_status(r, c, st, err);
    }
    json_t *rows = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *rec;
        if (hazards_get(hz, &who, ids[i], at, now, &rec, err, sizeof err) == HAZARD_OK)
            json_array_append_new(rows, rec);
    }
    free(ids);
    json_t *out = json_pack("{s:I,s:s,s:o}", "total", (json_int_t)total, "next_cursor", next,
                            "hazards", rows);
    if (out && at >= 0) json_object_set_new(out, "at_ms", json_integer(at));
    return api_send_json(r, c, 200, out);
}

/* ---- POST /hazards ---- */

/* A body member that must be a string when present (NULL when absent). */
static bool member_str(json_t *b, const char *k, const char **out, char *err, size_t cap) {
    json_t *v = json_object_get(b, k);
    *out = NULL;
    if (!v || json_is_null(v)) return true;
    if (!json_is_string(v)) {
        snprintf(err, cap, "%s: a string", k);
        return false;
    }
    *out = json_string_value(v);
    return true;
}

static bool parse_report(req *r, json_t *b, hazard_report *rep, char *err, size_t cap) {
    const char *src = NULL, *grade = NULL;
    memset(rep, 0, sizeof *rep);
    if (!member_str(b, "enterprise", &rep->enterprise, err, cap) ||
        !member_str(b, "title", &rep->title, err, cap) ||
        !member_str(b, "description", &rep->description, err, cap) ||
        !member_str(b, "location", &rep->location, err, cap) ||
        !member_str(b, "source", &src, err, cap) || !member_str(b, "grade", &grade, err, cap))
        return false;
    if (!rep->enterprise && r->tok.role == API_ROLE_ENTERPRISE) rep->enterprise = r->tok.enterprise;
    if (src && !hazard_source_parse(src, &rep->source)) {
        snprintf(err, cap, "source: manual, alarm or inspection");
        return false;
    }
    if (grade && !hazard_grade_parse(grade, &rep->grade)) {
        snprintf(err, cap, "grade: general or major");
        return false;
    }
    json_t *lon = json_object_get(b, "lon"), *lat = json_object_get(b, "lat");
    if (lon || lat) {
        if (!json_is_number(lon) || !json_is_number(lat)) {
            snprintf(err, cap, "lon, lat: both numbers, or neither");
            return false;
        }
        rep->has_position = true;
        rep->lon = json_number_value(lon), rep->lat = json_number_value(lat);
    }
    json_t *rule = json_object_get(b, "alarm_rule");
    if (rep->source == HAZARD_SOURCE_ALARM) {
        if (!json_is_integer(rule) || json_integer_value(rule) < 0 ||
            json_integer_value(rule) > UINT32_MAX) {
            snprintf(err, cap, "alarm_rule: the alarm rule's id, required with source alarm");
            return false;
        }
        rep->alarm_rule = (uint32_t)json_integer_value(rule);
    }
    json_t *crit = json_object_get(b, "criteria"), *v;
    size_t i;
    if (crit && !json_is_array(crit)) {
        snprintf(err, cap, "criteria: an array of numbers 1..%d", HAZARD_CRITERIA);
        return false;
    }
    json_array_foreach(crit, i, v) {
        json_int_t n = json_integer_value(v);
        if (!json_is_integer(v) || n < 1 || n > HAZARD_CRITERIA) {
            snprintf(err, cap, "criteria: an array of numbers 1..%d", HAZARD_CRITERIA);
            return false;
        }
        rep->criteria |= 1u << n;
    }
    return true;
}

enum MHD_Result api_h_hazard_report(req *r, struct MHD_Connection *c) {
    enum MHD_Result sent;
    hazards *hz = register_of(r, c, &sent);
    json_t *b;
    if (!hz) return sent;
    if (api_want_body_object(r, c, false, &b, &sent)) return sent;
    hazard_report rep;
    char err[256];
    if (!parse_report(r, b, &rep, err, sizeof err)) {
        json_decref(b);
        return api_send_error(r, c, 400, "bad_request", "%s", err);
    }
    hazard_actor who = actor_of(r);
    uint64_t id;
    int64_t now = pw_wall_ms();
    hazard_status st = hazards_report(hz, &who, &rep, now, &id, err, sizeof err);
    json_decref(b);
    json_t *rec = NULL;
    if (!st) st = hazards_get(hz, &who, id, -1, now, &rec, err, sizeof err);
    if (st) return send_status(r, c, st, err);
    api_audit(r->srv, r, "hazard_report", json_pack("{s:I}", "hazard", (json_int_t)id));
    return api_send_json(r, c, 201, rec);
}

/* ---- GET /hazards/{id} ---- */

enum MHD_Result api_h_hazard(req *r, struct MHD_Connection *c) {
    enum MHD_Result sent;
    hazards *hz = register_of(r, c, &sent);
    uint64_t id;
    int64_t at;
    if (!hz || !want_id(r, c, &id, &sent) || !want_at(r, c, &at, &sent)) return sent;
    hazard_actor who = actor_of(r);
    json_t *rec;
    char err[256];
    hazard_status st = hazards_get(hz, &who, id, at, pw_wall_ms(), &rec, err, sizeof err);
    return st ? send_status(r, c, st, err) : api_send_json(r, c, 200, rec);
}

/* ---- POST /hazards/{id}/{action} and /supervise ---- */

static enum MHD_Result hazard_step_as(req *r, struct MHD_Connection *c, hazard_action a) {
    enum MHD_Result sent;
    hazards *hz = register_of(r, c, &sent);
    uint64_t id;
    json_t *b;
    if (!hz || !want_id(r, c, &id, &sent)) return sent;
    if (api_want_body_object(r, c, true, &b, &sent)) return sent;
    hazard_step s = {.action = a};
    char err[256];
    json_t *dl = json_object_get(b, "deadline_ms");
    bool ok = member_str(b, "assignee", &s.assignee, err, sizeof err) &&
              member_str(b, "measures", &s.measures, err, sizeof err) &&
              member_str(b, "funds", &s.funds, err, sizeof err) &&
              member_str(b, "note", &s.note, err, sizeof err);
    if (ok && dl && !json_is_null(dl)) {
        if (!json_is_integer(dl) || !api_time_ok(json_integer_value(dl))) {
            snprintf(err, sizeof err, "deadline_ms: a time in ms since 1970");
            ok = false;
        } else
            s.deadline_ms = json_integer_value(dl);
    }
    if (!ok) {
        json_decref(b);
        return api_send_error(r, c, 400, "bad_request", "%s", err);
    }
    hazard_actor who = actor_of(r);
    int64_t now = pw_wall_ms();
    hazard_status st = hazards_act(hz, &who, id, &s, now, err, sizeof err);
    json_decref(b);
    json_t *rec = NULL;
    if (!st) st = hazards_get(hz, &who, id, -1, now, &rec, err, sizeof err);
    if (st) return send_status(r, c, st, err);
    api_audit(r->srv, r, "hazard_step",
              json_pack("{s:I,s:s}", "hazard", (json_int_t)id, "step", hazard_action_name(a)));
    return api_send_json(r, c, 200, rec);
}

enum MHD_Result api_h_hazard_action(req *r, struct MHD_Connection *c) {
    hazard_action a;
    const char *name = r->param[1];
    if (!hazard_action_parse(name, &a) || a == HAZARD_ACT_REPORT || a == HAZARD_ACT_ATTACH ||
        a == HAZARD_ACT_SUPERVISE)
        return api_send_error(r, c, 404, "not_found",
                              "no step %.40s: assign, rectify, verify, reject or close", name);
    return hazard_step_as(r, c, a);
}

enum MHD_Result api_h_hazard_supervise(req *r, struct MHD_Connection *c) {
    return hazard_step_as(r, c, HAZARD_ACT_SUPERVISE);
}

/* ---- evidence ---- */

size_t api_body_limit(const api_server *s, const char *url) {
    int idx = api_route_of_url(url);
    if (s->o.hazards && (api_route_flags(idx) & API_ROUTE_UPLOAD))
        return hazards_max_attachment_bytes(s->o.hazards);
    return s->o.max_body_bytes;
}

enum MHD_Result api_h_hazard_attach(req *r, struct MHD_Connection *c) {
    enum MHD_Result sent;
    hazards *hz = register_of(r, c, &sent);
    uint64_t id;
    if (!hz || !want_id(r, c, &id, &sent)) return sent;
    const char *name = api_arg(c, "name");
    if (!name) return api_send_error(r, c, 400, "bad_request", "name: the file's name, required");
    const char *ctype = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
    hazard_actor who = actor_of(r);
    char hex[65], err[256];
    int64_t now = pw_wall_ms();
    hazard_status st =
        hazards_attach(hz, &who, id, name, ctype, r->body, r->body_n, now, hex, err, sizeof err);
    json_t *rec = NULL;
    if (!st) st = hazards_get(hz, &who, id, -1, now, &rec, err, sizeof err);
    if (st) return send_status(r, c, st, err);
    api_audit(r->srv, r, "hazard_attach",
              json_pack("{s:I,s:s,s:I}", "hazard", (json_int_t)id, "sha256", hex, "bytes",
                        (json_int_t)r->body_n));
    return api_send_json(r, c, 201, rec);
}

enum MHD_Result api_h_hazard_attachment(req *r, struct MHD_Connection *c) {
    enum MHD_Result sent;
    hazards *hz = register_of(r, c, &sent);
    uint64_t id;
    if (!hz || !want_id(r, c, &id, &sent)) return sent;
    hazard_actor who = actor_of(r);
    void *bytes;
    size_t len;
    const char *type;
    char err[256];
    hazard_status st =
        hazards_attachment(hz, &who, id, r->param[1], &bytes, &len, &type, err, sizeof err);
    if (st == HAZARD_EINVAL) st = HAZARD_ENOTFOUND; /* a bad hash names nothing */
    if (st) return send_status(r, c, st, err);
    return api_send_buf(r, c, 200, type, bytes, len);
}

/* ---- GET /hazards/stats, /criteria, /journal ---- */

static json_t *stats_json(const hazard_stats *s) {
    return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "found", (json_int_t)s->found, "open",
                     (json_int_t)s->open, "closed", (json_int_t)s->closed, "closed_on_time",
                     (json_int_t)s->closed_on_time, "overdue", (json_int_t)s->overdue, "major",
                     (json_int_t)s->major, "supervised", (json_int_t)s->supervised);
}

enum MHD_Result api_h_hazard_stats(req *r, struct MHD_Connection *c) {
    enum MHD_Result sent;
    hazards *hz = register_of(r, c, &sent);
    if (!hz) return sent;
    hazard_actor who = actor_of(r);
    hazard_stats park, *per;
    size_t n;
    char err[256];
    hazard_status st = hazards_stats(hz, &who, pw_wall_ms(), &park, &per, &n, err, sizeof err);
    if (st) return send_status(r, c, st, err);
    json_t *rows = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = stats_json(&per[i]);
        json_object_set_new(o, "enterprise", json_string(per[i].enterprise));
        json_array_append_new(rows, o);
    }
    free(per);
    return api_send_json(r, c, 200,
                         json_pack("{s:o,s:o}", "park", stats_json(&park), "enterprises", rows));
}

enum MHD_Result api_h_hazard_criteria(req *r, struct MHD_Connection *c) {
    const hazard_criterion *t = hazard_criteria();
    json_t *rows = json_array();
    for (int i = 0; i < HAZARD_CRITERIA; i++)
        json_array_append_new(rows,
                              json_pack("{s:i,s:s}", "number", t[i].number, "text", t[i].text));
    return api_send_json(
        r, c, 200, json_pack("{s:s,s:o}", "source", "安监总管三〔2017〕121号", "criteria", rows));
}

enum MHD_Result api_h_hazard_journal(req *r, struct MHD_Connection *c) {
    enum MHD_Result sent;
    hazards *hz = register_of(r, c, &sent);
    int64_t from, to;
    uint64_t limit = 1000;
    const char *s;
    if (!hz || api_want_range_span(r, c, 30LL * 86400000, &from, &to, &sent))
        return hz ? sent : sent;
    if ((s = api_arg(c, "limit")) && !api_parse_count(s, 1, 10000, &limit))
        return api_send_error(r, c, 400, "bad_request", "limit: 1..10000");
    if (from < 0) from = 0;
    if (to <= from) return api_send_error(r, c, 400, "bad_request", "from must be before to");
    hazard_actor who = actor_of(r);
    json_t *events;
    bool more;
    char err[256];
    hazard_status st =
        hazards_journal(hz, &who, from, to, (size_t)limit, &events, &more, err, sizeof err);
    if (st) return send_status(r, c, st, err);
    return api_send_json(r, c, 200, json_pack("{s:o,s:b}", "events", events, "more", more));
}
