/*
 * routes_closedpark.c - closed-park management over HTTP (closedpark/,
 * docs/closed-park.md): appointments of hazardous-goods vehicles, the
 * vehicles inside (live, or at a past time) and one vehicle's track from
 * the historian, gate passages, the summary, the vehicle park and the
 * zones' headcounts.
 *
 * The request is checked here where it enters (times and counts through
 * params.c, texts for length and UTF-8); the module checks the rest and
 * its status maps to one HTTP status (closedpark_http_status; the event
 * store failing is a 503 here, as the event routes answer). Who acts is
 * the token: park staff and the regulator see everything, an enterprise
 * token its own (the module's scope: another enterprise's appointment,
 * vehicle or zone is "not found"). Booking and cancelling take
 * manage_appointments (admin, operator, an enterprise for itself).
 *
 * The router has no DELETE: an appointment is cancelled by
 * POST /appointments/{id}/cancel.
 */
#include "api/internal.h"
#include "closedpark/closedpark.h"

#define TRACK_POINTS_MAX 100000 /* points of one track answer */
#define TEXT_MAX         64     /* bytes of a plate, id or gate in a request */
#define TRACK_SPAN_MS    86400000LL

static closedpark *module_of(req *r, struct MHD_Connection *c, enum MHD_Result *sent) {
    closedpark *cp = r->srv->o.closedpark;
    if (!cp)
        *sent = api_send_error(r, c, 503, "unavailable",
                               "closed-park management is not configured (no layout)");
    return cp;
}

/* What the token sees: an enterprise token its own, the others all. */
static const char *scope_of(const req *r) {
    return r->tok.role == API_ROLE_ENTERPRISE ? r->tok.enterprise : "";
}

static enum MHD_Result send_status(req *r, struct MHD_Connection *c, cp_status st,
                                   const char *err) {
    switch (closedpark_http_status(st)) {
        case 400:
            return api_send_error(r, c, 400, "bad_request", "%s", err);
        case 403:
            return api_send_error(r, c, 403, "forbidden", "%s", err);
        case 404:
            return api_send_error(r, c, 404, "not_found", "%s", err);
        case 409:
            return api_send_error(r, c, 409, "conflict", "%s", err);
        default:
            if (st == CP_EIO) /* the event store: try again later */
                return api_send_error(r, c, 503, "unavailable", "event store: %s", err);
            return api_send_error(r, c, 500, "internal", "%s",
                                  st == CP_ENOMEM ? "out of memory" : err);
    }
}

/* A text of the request: 1..TEXT_MAX bytes of UTF-8 without control
 * characters (it may be quoted in answers, which jansson checks). */
static bool text_ok(const char *s) {
    size_t n = strlen(s);
    if (!n || n > TEXT_MAX) return false;
    char copy[TEXT_MAX + 1];
    memcpy(copy, s, n + 1);
    api_utf8_scrub(copy);
    if (memcmp(copy, s, n)) return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f) return false;
    return true;
}

/* ?name= as a text (NULL when absent); false when bad (the 400 sent). */
static bool want_text(req *r, struct MHD_Connection *c, const char *name, const char **out,
                      enum MHD_Result *sent) {
    *out = api_arg(c, name);
    if (*out && !text_ok(*out)) {
        *sent = api_send_error(r, c, 400, "bad_request", "%s: 1..%d bytes of UTF-8 text", name,
                               TEXT_MAX);
        return false;
    }
    return true;
}

/* The path's {name} parameter as a text; false when bad (the 400 sent). */
static bool want_param(req *r, struct MHD_Connection *c, const char *name, enum MHD_Result *sent) {
    if (!text_ok(r->param[0])) {
        *sent = api_send_error(r, c, 400, "bad_request", "%s: 1..%d bytes of UTF-8 text", name,
                               TEXT_MAX);
        return false;
    }
    return true;
}

static bool want_limit(req *r, struct MHD_Connection *c, uint64_t max, uint64_t *limit,
                       enum MHD_Result *sent) {
    const char *s = api_arg(c, "limit");
    if (s && !api_parse_count(s, 1, max, limit)) {
        *sent = api_send_error(r, c, 400, "bad_request", "limit: 1..%llu", (unsigned long long)max);
        return false;
    }
    return true;
}

static enum MHD_Result send_new(req *r, struct MHD_Connection *c, json_t *j) {
    if (!j) return api_send_error(r, c, 500, "internal", "out of memory");
    return api_send_json(r, c, 200, j);
}

/* ---- appointments ---- */

/* GET /appointments?state=&enterprise=&plate=&from=&to=&limit= */
enum MHD_Result api_h_appointments(req *r, struct MHD_Connection *c) {
    enum MHD_Result sent;
    closedpark *cp = module_of(r, c, &sent);
    if (!cp) return sent;
    closedpark_appt_filter f = {.state = -1};
    const char *s;
    if ((s = api_arg(c, "state"))) {
        cp_appt_state st;
        if (!cp_appt_state_parse(s, &st))
            return api_send_error(r, c, 400, "bad_request",
                                  "state: booked, inside, done, cancelled or expired");
        f.state = (int)st;
    }
    uint64_t limit = CLOSEDPARK_LIST_MAX;
    if (api_want_enterprise(r, c, &f.enterprise, &sent) ||
        !want_text(r, c, "plate", &f.plate, &sent) ||
        !want_limit(r, c, CLOSEDPARK_LIST_MAX, &limit, &sent))
        return sent;
    if (f.enterprise && !text_ok(f.enterprise))
        return api_send_error(r, c, 400, "bad_request", "enterprise: an enterprise id");
    /* windows overlapping [from, to): either end may be left open */
    int64_t now = pw_wall_ms();
    const char *from = api_arg(c, "from"), *to = api_arg(c, "to");
    if (from || to) {
        f.from_ms = 0, f.to_ms = API_TIME_MAX_MS;
        if (from && !api_parse_time(from, now, &f.from_ms))
            return api_send_error(r, c, 400, "bad_request",
                                  "from: a time in ms, \"now\" or \"-1d\"");
        if (to && !api_parse_time(to, now, &f.to_ms))
            return api_send_error(r, c, 400, "bad_request", "to: a time in ms, \"now\" or \"-1d\"");
        if (f.from_ms >= f.to_ms)
            return api_send_error(r, c, 400, "bad_request", "from must be before to");
    }
    f.limit = (size_t)limit;
    json_t *out = NULL;
    char err[256] = "";
    cp_status st = closedpark_appointment_list(cp, scope_of(r), &f, &out, err, sizeof err);
    return st ? send_status(r, c, st, err) : send_new(r, c, out);
}

/* POST /appointments: the body is the request closedpark_appointment_add
 * takes; an enterprise token books for itself when it names no enterprise. */
enum MHD_Result api_h_appointment_add(req *r, struct MHD_Connection *c) {
    enum MHD_Result sent;
    closedpark *cp = module_of(r, c, &sent);
    json_t *b;
    if (!cp) return sent;
    if (api_want_body_object(r, c, false, &b, &sent)) return sent;
    if (!json_object_get(b, "enterprise") && r->tok.role == API_ROLE_ENTERPRISE)
        json_object_set_new(b, "enterprise", json_string(r->tok.enterprise));
    json_t *out = NULL;
    char err[256] = "";
    cp_status st =
        closedpark_appointment_add(cp, b, scope_of(r), pw_wall_ms(), &out, err, sizeof err);
    json_decref(b);
    if (st) return send_status(r, c, st, err);
    if (!out) return api_send_error(r, c, 500, "internal", "out of memory");
    const char *id = json_string_value(json_object_get(out, "id"));
    api_audit(r->srv, r, "appointment_add", json_pack("{s:s}", "appointment", id ? id : ""));
    return api_send_json(r, c, 201, out);
}

/* GET /appointments/{id} */
enum MHD_Result api_h_appointment(req *r, struct MHD_Connection *c) {
    enum MHD_Result sent;
    closedpark *cp = module_of(r, c, &sent);
    if (!cp || !want_param(r, c, "id", &sent)) return sent;
    json_t *out = NULL;
    char err[256] = "";
    cp_status st = closedpark_appointment_get(cp, scope_of(r), r->param[0], &out, err, sizeof err);
    return st ? send_status(r, c, st, err) : send_new(r, c, out);
}

/* POST /appointments/{id}/cancel (a body, if any, is a JSON object) */
enum MHD_Result api_h_appointment_cancel(req *r, struct MHD_Connection *c) {
    enum MHD_Result sent;
    closedpark *cp = module_of(r, c, &sent);
    json_t *b;
    if (!cp || !want_param(r, c, "id", &sent)) return sent;
    if (api_want_body_object(r, c, true, &b, &sent)) return sent;
    json_decref(b);
    json_t *out = NULL;
    char err[256] = "";
    cp_status st = closedpark_appointment_cancel(cp, scope_of(r), r->param[0], pw_wall_ms(), &out,
                                                 err, sizeof err);
    if (st) return send_status(r, c, st, err);
    api_audit(r->srv, r, "appointment_cancel", json_pack("{s:s}", "appointment", r->param[0]));
    return send_new(r, c, out);
}

/* ---- vehicles ---- */

/* GET /vehicles?at=&track_s=&track_step_s= (the live layer: the last two
 * minutes of track a point per 10 s by default, so 5,000 vehicles stay a
 * small answer; a vehicle's whole recent track is GET /vehicles/{plate}) */
enum MHD_Result api_h_vehicles(req *r, struct MHD_Connection *c) {
    enum MHD_Result sent;
    closedpark *cp = module_of(r, c, &sent);
    if (!cp) return sent;
    int64_t now = pw_wall_ms(), at;
    const char *s = api_arg(c, "at");
    uint64_t track_s = 120, step_s = 10;
    const char *ts = api_arg(c, "track_s"), *st_s = api_arg(c, "track_step_s");
    if ((ts && !api_parse_count(ts, 0, 600, &track_s)) ||
        (st_s && !api_parse_count(st_s, 0, 600, &step_s)))
        return api_send_error(r, c, 400, "bad_request",
                              "track_s and track_step_s: whole seconds, 0 to 600");
    if (!s) {
        size_t len = 0;
        char *txt = closedpark_vehicles_geojson(cp, scope_of(r), now, (int64_t)track_s * 1000,
                                                (int64_t)step_s * 1000, &len);
        if (!txt) return api_send_error(r, c, 500, "internal", "out of memory");
        return api_send_buf(r, c, 200, "application/json", txt, len);
    }
    if (!api_parse_time(s, now, &at))
        return api_send_error(r, c, 400, "bad_request", "at: a time in ms, \"now\" or \"-1h\"");
    json_t *out = NULL;
    char err[256] = "";
    cp_status st = closedpark_vehicles_at(cp, scope_of(r), at, &out, err, sizeof err);
    return st ? send_status(r, c, st, err) : send_new(r, c, out);
}

/* GET /vehicles/{plate} */
enum MHD_Result api_h_vehicle(req *r, struct MHD_Connection *c) {
    enum MHD_Result sent;
    closedpark *cp = module_of(r, c, &sent);
    if (!cp || !want_param(r, c, "plate", &sent)) return sent;
    json_t *out = NULL;
    cp_status st = closedpark_vehicle(cp, scope_of(r), r->param[0], pw_wall_ms(), &out);
    if (st == CP_ENOTFOUND)
        return api_send_error(r, c, 404, "not_found", "no vehicle %s", r->param[0]);
    return st ? send_status(r, c, st, "") : send_new(r, c, out);
}

/* Whether an enterprise token may read the plate's track over [from, to):
 * a vehicle of its own inside now, or one of its appointments for the
 * plate whose window overlaps the range. */
static bool track_visible(closedpark *cp, const req *r, const char *plate, int64_t from,
                          int64_t to) {
    if (r->tok.role != API_ROLE_ENTERPRISE) return true;
    json_t *v = NULL;
    if (closedpark_vehicle(cp, scope_of(r), plate, pw_wall_ms(), &v) == CP_OK) {
        json_decref(v);
        return true;
    }
    closedpark_appt_filter f = {
        .state = -1, .plate = plate, .from_ms = from, .to_ms = to, .limit = 1};
    json_t *list = NULL;
    char err[256];
    bool seen = closedpark_appointment_list(cp, scope_of(r), &f, &list, err, sizeof err) == CP_OK &&
                json_integer_value(json_object_get(list, "total")) > 0;
    json_decref(list);
    return seen;
}

/* Raw points of PARK/vehicles/{plate}.{field}; false when the historian
 * failed (he says why). A series never written is no points. */
static bool track_series(api_server *s, const char *plate, const char *field, int64_t from,
                         int64_t to, size_t limit, hist_samples *out, hist_error *he) {
    char name[TEXT_MAX + 32];
    uint32_t id;
    snprintf(name, sizeof name, "PARK/vehicles/%s.%s", plate, field);
    if (hist_series_lookup(s->o.historian, name, &id, he) != HIST_OK) return true;
    return hist_query_raw(s->o.historian, id, from, to, limit, out, he) == HIST_OK;
}

/* GET /vehicles/{plate}/track?from=&to=&limit=: the historian's positions
 * zipped by timestamp into [[lon, lat, ts, speed], ...] (speed null when
 * not reported at that ts), at most limit points; truncated with
 * next_from when more are there. */
enum MHD_Result api_h_vehicle_track(req *r, struct MHD_Connection *c) {
    enum MHD_Result sent;
    api_server *s = r->srv;
    closedpark *cp = module_of(r, c, &sent);
    int64_t from, to;
    if (!cp || !want_param(r, c, "plate", &sent) ||
        api_want_range_span(r, c, TRACK_SPAN_MS, &from, &to, &sent))
        return sent;
    uint64_t cap = s->o.max_points < TRACK_POINTS_MAX ? s->o.max_points : TRACK_POINTS_MAX;
    uint64_t limit = cap;
    if (!want_limit(r, c, cap, &limit, &sent)) return sent;
    const char *plate = r->param[0];
    if (!track_visible(cp, r, plate, from, to))
        return api_send_error(r, c, 404, "not_found", "no vehicle %s", plate);
    hist_samples lat = {0}, lon = {0}, speed = {0};
    hist_error he = {0};
    if (!track_series(s, plate, "lat", from, to, (size_t)limit, &lat, &he) ||
        !track_series(s, plate, "lon", from, to, (size_t)limit, &lon, &he) ||
        !track_series(s, plate, "speed", from, to, (size_t)limit, &speed, &he)) {
        hist_samples_free(&lat), hist_samples_free(&lon), hist_samples_free(&speed);
        return api_send_error(r, c, 500, "internal", "historian: %s", he.msg);
    }
    /* Complete below end: every series read to its last point, or to to. */
    int64_t end = to;
    const hist_samples *all[3] = {&lat, &lon, &speed};
    for (int k = 0; k < 3; k++)
        if (all[k]->truncated && all[k]->n && all[k]->v[all[k]->n - 1].ts_ms + 1 < end)
            end = all[k]->v[all[k]->n - 1].ts_ms + 1;
    bool truncated = end < to;
    textbuf b = {0};
    tb_str(&b, "{\"plate\":");
    tb_jstr(&b, plate);
    tb_printf(&b, ",\"from\":%lld,\"to\":%lld,\"points\":[", (long long)from, (long long)to);
    size_t n = 0;
    for (size_t i = 0, j = 0, k = 0; i < lat.n && lat.v[i].ts_ms < end; i++) {
        const hist_sample *a = &lat.v[i];
        while (j < lon.n && lon.v[j].ts_ms < a->ts_ms) j++;
        if (j == lon.n || lon.v[j].ts_ms != a->ts_ms) continue;
        const hist_sample *o = &lon.v[j];
        if (hist_quality_bad(a->quality) || hist_quality_bad(o->quality) || !isfinite(a->value) ||
            !isfinite(o->value))
            continue;
        while (k < speed.n && speed.v[k].ts_ms < a->ts_ms) k++;
        tb_str(&b, n++ ? ",[" : "[");
        api_tb_num(&b, o->value);
        tb_put(&b, ",", 1);
        api_tb_num(&b, a->value);
        tb_put(&b, ",", 1);
        api_tb_int(&b, a->ts_ms);
        tb_put(&b, ",", 1);
        const hist_sample *v = k < speed.n && speed.v[k].ts_ms == a->ts_ms ? &speed.v[k] : NULL;
        if (v && !hist_quality_bad(v->quality) && isfinite(v->value))
            api_tb_num(&b, v->value);
        else
            tb_str(&b, "null");
        tb_put(&b, "]", 1);
    }
    tb_printf(&b, "],\"count\":%zu,\"truncated\":%s", n, truncated ? "true" : "false");
    if (truncated) tb_printf(&b, ",\"next_from\":%lld", (long long)end);
    tb_str(&b, "}");
    hist_samples_free(&lat), hist_samples_free(&lon), hist_samples_free(&speed);
    return api_send_sb(r, c, 200, "application/json", &b);
}

/* ---- gates, summary, vehicle park, zones ---- */

/* GET /gates/passages?from=&to=&gate=&limit= (the last day by default) */
enum MHD_Result api_h_gate_passages(req *r, struct MHD_Connection *c) {
    enum MHD_Result sent;
    closedpark *cp = module_of(r, c, &sent);
    int64_t from, to;
    uint64_t limit = 1000;
    const char *gate;
    if (!cp || api_want_range_span(r, c, 86400000LL, &from, &to, &sent) ||
        !want_text(r, c, "gate", &gate, &sent) || !want_limit(r, c, 10000, &limit, &sent))
        return sent;
    json_t *out = NULL;
    char err[256] = "";
    cp_status st =
        closedpark_passages(cp, scope_of(r), from, to, gate, (size_t)limit, &out, err, sizeof err);
    return st ? send_status(r, c, st, err) : send_new(r, c, out);
}

/* The module's counters since parkd started: what it refused and why
 * (park staff and the regulator; they are the park's, not an
 * enterprise's). */
static json_t *counters_json(closedpark *cp) {
    closedpark_counters k;
    closedpark_stats(cp, &k);
    const struct {
        const char *name;
        uint64_t v;
    } rows[] = {{"positions", k.positions},
                {"person_positions", k.person_positions},
                {"rejected_out_of_park", k.rejected_out_of_park},
                {"rejected_jump", k.rejected_jump},
                {"rejected_old", k.rejected_old},
                {"rejected_bad", k.rejected_bad},
                {"rejected_full", k.rejected_full},
                {"unknown_gate", k.unknown_gate},
                {"unknown_zone", k.unknown_zone},
                {"wrong_source", k.wrong_source},
                {"bad_event", k.bad_event},
                {"passages", k.passages},
                {"stale_passages", k.stale_passages},
                {"badges", k.badges},
                {"badge_duplicates", k.badge_duplicates},
                {"badge_anomalies", k.badge_anomalies},
                {"lost_outs", k.lost_outs},
                {"no_passage", k.no_passage},
                {"conditions_raised", k.conditions_raised},
                {"store_errors", k.store_errors},
                {"vehicles", k.vehicles},
                {"people", k.people},
                {"appointments", k.appointments}};
    json_t *o = json_object();
    for (size_t i = 0; o && i < sizeof rows / sizeof *rows; i++)
        json_object_set_new(o, rows[i].name, json_integer((json_int_t)rows[i].v));
    /* the fence and route checks per position (issue 21's figure) */
    if (o) {
        json_object_set_new(o, "position_check_p50_us", json_real(k.position_check_p50_us));
        json_object_set_new(o, "position_check_p99_us", json_real(k.position_check_p99_us));
        json_object_set_new(o, "position_check_max_us", json_real(k.position_check_max_us));
    }
    return o;
}

/* GET /closedpark/summary */
enum MHD_Result api_h_closedpark_summary(req *r, struct MHD_Connection *c) {
    enum MHD_Result sent;
    closedpark *cp = module_of(r, c, &sent);
    if (!cp) return sent;
    json_t *sum = closedpark_summary(cp, scope_of(r), pw_wall_ms());
    if (sum && r->tok.role != API_ROLE_ENTERPRISE)
        json_object_set_new(sum, "counters", counters_json(cp));
    return send_new(r, c, sum);
}

/* GET /vehicle-park */
enum MHD_Result api_h_vehicle_park(req *r, struct MHD_Connection *c) {
    enum MHD_Result sent;
    closedpark *cp = module_of(r, c, &sent);
    return cp ? send_new(r, c, closedpark_vehicle_park(cp, scope_of(r), pw_wall_ms())) : sent;
}

/* GET /zones */
enum MHD_Result api_h_zones(req *r, struct MHD_Connection *c) {
    enum MHD_Result sent;
    closedpark *cp = module_of(r, c, &sent);
    return cp ? send_new(r, c, closedpark_zones(cp, scope_of(r), pw_wall_ms())) : sent;
}

/* GET /zones/{id} */
enum MHD_Result api_h_zone(req *r, struct MHD_Connection *c) {
    enum MHD_Result sent;
    closedpark *cp = module_of(r, c, &sent);
    if (!cp || !want_param(r, c, "id", &sent)) return sent;
    json_t *out = NULL;
    cp_status st = closedpark_zone(cp, scope_of(r), r->param[0], pw_wall_ms(), &out);
    if (st == CP_ENOTFOUND)
        return api_send_error(r, c, 404, "not_found", "no zone %s", r->param[0]);
    return st ? send_status(r, c, st, "") : send_new(r, c, out);
}
