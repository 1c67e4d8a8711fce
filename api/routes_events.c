/*
 * routes_events.c - the event store over HTTP (events/, docs/closed-park.md):
 * GET /api/v1/events (an entity's events, or the events of a time range
 * by kind and enterprise), GET /api/v1/events/state (the state of every
 * entity of a type at a time) and POST /api/v1/events (parkd's dispatcher,
 * the one MQTT's events go through too).
 *
 * Every parameter is checked here where it enters; the store checks the
 * rest. Scope: an enterprise token sees the events of its own enterprise
 * only (not the park-level ones): the time query asks the store for its
 * enterprise alone, the entity query filters what the store answers, so
 * an enterprise's page of an entity shared with others may be short while
 * "truncated" says more matched.
 */
#include "api/internal.h"
#include "events/events.h"

#define EVENTS_LIMIT_DEFAULT 1000
#define EVENTS_LIMIT_MAX     10000
#define STATE_LIMIT_MAX      100000

static ev_store *store_of(req *r, struct MHD_Connection *c, enum MHD_Result *sent) {
    ev_store *s = r->srv->o.events;
    if (!s) *sent = api_send_error(r, c, 503, "unavailable", "the event store is not configured");
    return s;
}

static enum MHD_Result send_status(req *r, struct MHD_Connection *c, ev_status st,
                                   const char *msg) {
    if (st == EV_EINVAL) return api_send_error(r, c, 400, "bad_request", "%s", msg);
    return api_send_error(r, c, 500, "internal", "%s", msg);
}

/* 1..max bytes without control characters (an entity or a prefix). */
static bool text_ok(const char *s, size_t max) {
    size_t n = strnlen(s, max + 1);
    if (n < 1 || n > max) return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) return false;
    return true;
}

static bool word_ok(const char *s, size_t max, bool digits) {
    size_t n = strnlen(s, max + 1);
    if (n < 1 || n > max) return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '_' ||
              (digits && s[i] >= '0' && s[i] <= '9')))
            return false;
    return true;
}

static json_t *event_json(const ev_event *e) {
    json_t *ents = json_array();
    for (size_t i = 0; i < e->n_entities; i++)
        json_array_append_new(ents, json_string(e->entities[i]));
    /* the body was a JSON object when stored; a value that no longer parses is null */
    json_t *body = json_loadb(e->body, e->body_len, 0, NULL);
    if (!json_is_object(body)) json_decref(body), body = json_null();
    return json_pack("{s:I,s:I,s:I,s:s,s:s,s:o,s:b,s:o}", "seq", (json_int_t)e->seq, "ts_ms",
                     (json_int_t)e->ts_ms, "recv_ms", (json_int_t)e->recv_ms, "kind", e->kind,
                     "enterprise", e->enterprise, "entities", ents, "state", e->state_of_first,
                     "body", body);
}

/* ---- GET /events ---- */

enum MHD_Result api_h_events(req *r, struct MHD_Connection *c) {
    enum MHD_Result sent;
    ev_store *s = store_of(r, c, &sent);
    if (!s) return sent;
    int64_t from, to;
    const char *ent, *entity = api_arg(c, "entity"), *kind = api_arg(c, "kind"), *v;
    if (api_want_range_span(r, c, 86400000, &from, &to, &sent)) return sent; /* default: 24 h */
    if (api_want_own_enterprise(r, c, &ent, &sent)) return sent;
    uint64_t limit = EVENTS_LIMIT_DEFAULT;
    if ((v = api_arg(c, "limit")) && !api_parse_count(v, 1, EVENTS_LIMIT_MAX, &limit))
        return api_send_error(r, c, 400, "limit_exceeded", "limit: 1 to %d", EVENTS_LIMIT_MAX);
    if (entity && !text_ok(entity, EV_ENTITY_MAX))
        return api_send_error(r, c, 400, "bad_request",
                              "entity: \"type:id\", 1..%d bytes without control characters",
                              EV_ENTITY_MAX);
    if (kind && !word_ok(kind, EV_KIND_MAX, true))
        return api_send_error(r, c, 400, "bad_request", "kind: 1..%d bytes of [a-z0-9_]",
                              EV_KIND_MAX);
    if (ent && strlen(ent) > 32)
        return api_send_error(r, c, 400, "bad_request", "enterprise: at most 32 bytes");
    ev_list l;
    char err[256] = "";
    ev_status st;
    if (entity)
        st = ev_query_entity(s, entity, from, to, (size_t)limit, &l, err, sizeof err);
    else {
        ev_filter f = {kind, ent, NULL};
        st = ev_query_time(s, from, to, &f, (size_t)limit, &l, err, sizeof err);
    }
    if (st) return send_status(r, c, st, err);
    json_t *arr = json_array();
    for (size_t i = 0; i < l.n; i++) {
        const ev_event *e = &l.v[i];
        if (!api_scope_sees(r, e->enterprise, false)) continue;
        if (ent && strcmp(ent, e->enterprise)) continue;
        if (kind && strcmp(kind, e->kind)) continue;
        json_array_append_new(arr, event_json(e));
    }
    bool truncated = l.truncated;
    ev_list_free(&l);
    return api_send_json(r, c, 200,
                         json_pack("{s:I,s:b,s:o}", "count", (json_int_t)json_array_size(arr),
                                   "truncated", truncated, "events", arr));
}

/* ---- GET /events/state ---- */

enum MHD_Result api_h_events_state(req *r, struct MHD_Connection *c) {
    enum MHD_Result sent;
    ev_store *s = store_of(r, c, &sent);
    if (!s) return sent;
    const char *type = api_arg(c, "type"), *ent, *v;
    if (!type || !word_ok(type, 16, false))
        return api_send_error(r, c, 400, "bad_request",
                              "type: the entities' type, 1..16 bytes of [a-z_] (permit, vehicle)");
    int64_t now = pw_wall_ms(), at = now;
    if ((v = api_arg(c, "at")) && !api_parse_time(v, now, &at))
        return api_send_error(r, c, 400, "bad_request", "at: a time in ms, \"now\" or \"-1h\"");
    if (api_want_own_enterprise(r, c, &ent, &sent)) return sent;
    if (ent && strlen(ent) > 32)
        return api_send_error(r, c, 400, "bad_request", "enterprise: at most 32 bytes");
    uint64_t limit = EVENTS_LIMIT_MAX;
    if ((v = api_arg(c, "limit")) && !api_parse_count(v, 1, STATE_LIMIT_MAX, &limit))
        return api_send_error(r, c, 400, "limit_exceeded", "limit: 1 to %d", STATE_LIMIT_MAX);
    char prefix[20];
    snprintf(prefix, sizeof prefix, "%s:", type);
    ev_list l;
    char err[256] = "";
    ev_status st = ev_state_at(s, prefix, at, ent, (size_t)limit, &l, err, sizeof err);
    if (st) return send_status(r, c, st, err);
    json_t *arr = json_array();
    for (size_t i = 0; i < l.n; i++) {
        if (!api_scope_sees(r, l.v[i].enterprise, false)) continue;
        json_t *o = event_json(&l.v[i]);
        json_object_set_new(o, "entity", json_string(l.v[i].entities[0]));
        json_array_append_new(arr, o);
    }
    bool truncated = l.truncated;
    ev_list_free(&l);
    return api_send_json(r, c, 200,
                         json_pack("{s:I,s:I,s:b,s:o}", "at", (json_int_t)at, "count",
                                   (json_int_t)json_array_size(arr), "truncated", truncated,
                                   "entities", arr));
}

/* ---- POST /events ---- */

enum MHD_Result api_h_events_post(req *r, struct MHD_Connection *c) {
    api_options *o = &r->srv->o;
    if (!o->events_take)
        return api_send_error(r, c, 503, "unavailable", "the event intake is not configured");
    if (!r->body_n) return api_send_error(r, c, 400, "bad_request", "the body is empty");
    const char *ent = r->tok.role == API_ROLE_ENTERPRISE ? r->tok.enterprise : "";
    char why[256] = "";
    int rc =
        o->events_take(ent, r->body, r->body_n, pw_wall_ms(), why, sizeof why, o->events_take_ctx);
    api_audit_write(r->srv, r, "events", "events", r->body_n, rc == 0, rc != 0, 0);
    if (rc == 0) return api_send_json(r, c, 202, json_pack("{s:b}", "accepted", 1));
    if (rc >= 400 && rc <= 499)
        return api_send_error(r, c, 400, "bad_request", "%s", why[0] ? why : "refused");
    return api_send_error(r, c, 503, "unavailable", "%s", why[0] ? why : "the event store failed");
}
