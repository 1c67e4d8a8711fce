/*
 * routes_handover.c - shift handover (交接班): the draft of what a shift
 * leaves open (GET /handovers/draft), the outgoing officer's signature
 * (POST /handovers), the incoming officer's answer (POST
 * /handovers/{id}/accept or /refuse), and the records (GET /handovers,
 * GET /handovers/{id}). A signature is the name of the token that signs.
 *
 * A scope is an enterprise id, or "PARK" for the park's duty room (stored
 * as ""); an enterprise token hands over its own enterprise only.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>

#include "api/internal.h"
#include "api/params.h"
#include "common/clock.h"
#include "handover/handover.h"
#include "hazards/hazards.h"

static enum MHD_Result no_handover(req *r, struct MHD_Connection *c) {
    return api_send_error(r, c, 503, "unavailable", "shift handover is not configured");
}

/* The scope asked for (?scope= or the body's "scope"), checked against the
 * token: into out ("" for the park). 0, or -1 with the error sent. */
static int want_scope(req *r, struct MHD_Connection *c, const char *given, char out[32],
                      enum MHD_Result *sent) {
    if (r->tok.role == API_ROLE_ENTERPRISE) {
        if (given && *given && strcmp(given, r->tok.enterprise)) {
            *sent = api_send_error(r, c, 403, "forbidden",
                                   "an enterprise token hands over its own enterprise only");
            return -1;
        }
        snprintf(out, 32, "%s", r->tok.enterprise);
        return 0;
    }
    if (!given || !*given || !strcmp(given, "PARK")) {
        out[0] = 0;
        return 0;
    }
    size_t n = strlen(given);
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)given[i]) && given[i] != '-' && given[i] != '_') n = 0;
    if (n == 0 || n >= 32) {
        *sent = api_send_error(r, c, 400, "bad_request",
                               "scope: an enterprise id (letters, digits, - and _) or PARK");
        return -1;
    }
    snprintf(out, 32, "%s", given);
    return 0;
}

static bool in_scope(const char *scope, const char *enterprise) {
    return !*scope || !strcmp(scope, enterprise ? enterprise : "");
}

static json_t *alarm_row(const alert_status *st, const alert_rule *ru) {
    json_t *o = json_pack(
        "{s:i,s:s,s:s,s:s,s:i,s:s,s:I,s:b,s:s,s:s,s:s}", "rule", (int)st->rule, "series",
        ru->series_name, "enterprise", ru->enterprise, "kind", alert_kind_name(ru->kind),
        "priority", ru->priority, "state", alert_state_name(st->state), "since_ms",
        (json_int_t)st->since_ms, "active", st->active, "unit", ru->unit ? ru->unit : "", "class",
        alert_class_name(alert_kind_class(ru->kind)), "asset", ru->asset ? ru->asset : "");
    if (o && isfinite(st->value)) json_object_set_new(o, "value", json_real(st->value));
    if (o && st->shelved)
        json_object_set_new(o, "shelved_until_ms", json_integer(st->shelved_until_ms));
    return o;
}

/* The hidden hazards overdue in scope ("" the park: every enterprise's),
 * for the draft: the first HANDOVER_HAZARDS of them, overdue longest
 * first, with how many there are. */
#define HANDOVER_HAZARDS 100
static void overdue_hazards(req *r, const char *scope, int64_t now_ms, json_t *draft) {
    json_t *arr = json_array();
    json_object_set_new(draft, "overdue_hazards", arr);
    hazards *hz = r->srv->o.hazards;
    if (!hz) return;
    hazard_actor park = {HAZARD_ACTOR_PARK, r->tok.name, NULL};
    hazard_filter f = {.enterprise = *scope ? scope : NULL,
                       .state = -1,
                       .grade = -1,
                       .overdue = 1,
                       .supervised = -1};
    uint64_t ids[HANDOVER_HAZARDS];
    size_t n = 0, total = 0;
    char next[HAZARDS_CURSOR], err[256];
    if (hazards_list(hz, &park, &f, -1, now_ms, NULL, 0, HANDOVER_HAZARDS, ids, &n, &total, next,
                     err, sizeof err) != HAZARD_OK)
        return;
    for (size_t i = 0; i < n; i++) {
        json_t *h = NULL;
        if (hazards_get(hz, &park, ids[i], -1, now_ms, &h, err, sizeof err) == HAZARD_OK)
            json_array_append_new(arr, h);
    }
    json_object_set_new(draft, "overdue_hazards_total", json_integer((json_int_t)total));
}

/* What the shift leaves open in scope, now: open alarms (process, not
 * shelved), shelved ones, instrument faults, open incidents. */
static json_t *compose(req *r, const char *scope, int64_t now_ms) {
    api_server *s = r->srv;
    json_t *open = json_array(), *shelved = json_array(), *faults = json_array(),
           *incidents = json_array();
    json_t *o = json_pack("{s:s,s:I,s:o,s:o,s:o,s:o}", "scope", *scope ? scope : "PARK", "at_ms",
                          (json_int_t)now_ms, "open_alarms", open, "shelved_alarms", shelved,
                          "instrument_faults", faults, "open_incidents", incidents);
    if (!o) return NULL;
    alert_status *st = NULL;
    size_t n = 0;
    if (s->o.alarms && alert_list_active(s->o.alarms, &st, &n) != 0) n = 0;
    for (size_t i = 0; i < n; i++) {
        alert_rule ru;
        if (alert_rule_get(s->o.alarms, st[i].rule, &ru) != 0 || !in_scope(scope, ru.enterprise))
            continue;
        json_t *row = alarm_row(&st[i], &ru);
        if (!row) continue;
        if (st[i].shelved)
            json_array_append_new(shelved, row);
        else if (alert_kind_class(ru.kind) == ALERT_CLASS_INSTRUMENT && st[i].active)
            json_array_append_new(faults, row);
        else
            json_array_append_new(open, row);
    }
    free(st);
    json_t *all = NULL;
    views_query q = {.keep = api_view_keep, .ctx = r};
    if (s->o.views && views_incidents(s->o.views, &q, &all) == 0) {
        size_t k;
        json_t *inc;
        json_array_foreach(json_object_get(all, "incidents"), k, inc) {
            const char *state = json_string_value(json_object_get(inc, "state"));
            const char *ent = json_string_value(json_object_get(inc, "enterprise"));
            if (state && !strcmp(state, "closed")) continue;
            if (*scope && !in_scope(scope, ent)) continue;
            json_array_append(incidents, inc);
        }
    }
    json_decref(all);
    overdue_hazards(r, scope, now_ms, o);
    json_object_set_new(
        o, "counts",
        json_pack("{s:i,s:i,s:i,s:i,s:i}", "open_alarms", (int)json_array_size(open),
                  "shelved_alarms", (int)json_array_size(shelved), "instrument_faults",
                  (int)json_array_size(faults), "open_incidents", (int)json_array_size(incidents),
                  "overdue_hazards",
                  (int)json_integer_value(json_object_get(o, "overdue_hazards_total"))));
    return o;
}

static json_t *record_json(const handover_record *h) {
    json_error_t je;
    json_t *snap = json_loads(h->snapshot, 0, &je);
    return json_pack("{s:I,s:s,s:s,s:I,s:I,s:s,s:s,s:s,s:s,s:o}", "id", (json_int_t)h->id, "scope",
                     *h->scope ? h->scope : "PARK", "state", handover_state_name(h->state),
                     "signed_ms", (json_int_t)h->signed_ms, "answered_ms",
                     (json_int_t)h->answered_ms, "outgoing", h->outgoing, "incoming", h->incoming,
                     "notes", h->notes, "answer", h->answer, "snapshot",
                     snap ? snap : json_object());
}

enum MHD_Result api_h_handover_draft(req *r, struct MHD_Connection *c) {
    char scope[32];
    enum MHD_Result sent;
    if (want_scope(r, c, api_arg(c, "scope"), scope, &sent)) return sent;
    json_t *o = compose(r, scope, pw_wall_ms());
    if (!o) return api_send_error(r, c, 500, "internal", "out of memory");
    return api_send_json(r, c, 200, o);
}

enum MHD_Result api_h_handover_sign(req *r, struct MHD_Connection *c) {
    handover_store *hs = r->srv->o.handover;
    if (!hs) return no_handover(r, c);
    json_t *b;
    enum MHD_Result sent;
    if (api_want_body_object(r, c, true, &b, &sent)) return sent;
    json_t *jscope = json_object_get(b, "scope"), *jnotes = json_object_get(b, "notes");
    if ((jscope && !json_is_string(jscope)) || (jnotes && !json_is_string(jnotes))) {
        json_decref(b);
        return api_send_error(r, c, 400, "bad_request", "scope and notes must be strings");
    }
    char scope[32];
    if (want_scope(r, c, json_string_value(jscope), scope, &sent)) {
        json_decref(b);
        return sent;
    }
    int64_t now = pw_wall_ms();
    json_t *snap = compose(r, scope, now);
    char *text = snap ? json_dumps(snap, JSON_COMPACT) : NULL;
    json_decref(snap);
    char err[256];
    uint64_t id = 0;
    int rc = text ? handover_sign(hs, scope, r->tok.name, text, json_string_value(jnotes), now, &id,
                                  err, sizeof err)
                  : (snprintf(err, sizeof err, "out of memory"), -1);
    free(text);
    json_decref(b);
    if (rc != 0)
        return strstr(err, "still open") ? api_send_error(r, c, 409, "conflict", "%s", err)
                                         : api_send_error(r, c, 400, "bad_request", "%s", err);
    api_audit(r->srv, r, "handover_sign",
              json_pack("{s:I,s:s}", "id", (json_int_t)id, "scope", *scope ? scope : "PARK"));
    handover_record h;
    if (handover_get(hs, id, &h) != 0) return api_send_error(r, c, 500, "internal", "lost");
    json_t *o = record_json(&h);
    handover_free(&h);
    return api_send_json(r, c, 201, o);
}

/* The record of {id} if the token's scope may see it: 0, or -1 sent. */
static int want_record(req *r, struct MHD_Connection *c, handover_record *h,
                       enum MHD_Result *sent) {
    handover_store *hs = r->srv->o.handover;
    if (!hs) return *sent = no_handover(r, c), -1;
    char *end;
    errno = 0;
    unsigned long long id = strtoull(r->param[0], &end, 10);
    if (*end || errno || handover_get(hs, id, h) != 0) {
        *sent = api_send_error(r, c, 404, "not_found", "no handover record %s", r->param[0]);
        return -1;
    }
    if (!api_scope_sees(r, h->scope, !*h->scope)) {
        handover_free(h);
        *sent = api_send_error(r, c, 404, "not_found", "no handover record %s", r->param[0]);
        return -1;
    }
    return 0;
}

enum MHD_Result api_h_handover(req *r, struct MHD_Connection *c) {
    handover_record h;
    enum MHD_Result sent;
    if (want_record(r, c, &h, &sent)) return sent;
    json_t *o = record_json(&h);
    handover_free(&h);
    return api_send_json(r, c, 200, o);
}

enum MHD_Result api_h_handover_answer(req *r, struct MHD_Connection *c) {
    const char *action = r->param[1];
    bool accept = !strcmp(action, "accept");
    if (!accept && strcmp(action, "refuse"))
        return api_send_error(r, c, 404, "not_found", "actions: accept, refuse");
    handover_record h;
    enum MHD_Result sent;
    if (want_record(r, c, &h, &sent)) return sent;
    /* the park's duty room is answered by park staff only */
    if (!*h.scope && r->tok.role == API_ROLE_ENTERPRISE) {
        handover_free(&h);
        return api_send_error(r, c, 403, "forbidden", "the park's handover is the park's");
    }
    json_t *b;
    if (api_want_body_object(r, c, true, &b, &sent)) {
        handover_free(&h);
        return sent;
    }
    json_t *jn = json_object_get(b, accept ? "notes" : "reason");
    if (jn && !json_is_string(jn)) {
        json_decref(b);
        handover_free(&h);
        return api_send_error(r, c, 400, "bad_request", "%s must be a string",
                              accept ? "notes" : "reason");
    }
    char err[256];
    int rc = handover_answer(r->srv->o.handover, h.id, r->tok.name, accept, json_string_value(jn),
                             pw_wall_ms(), err, sizeof err);
    json_decref(b);
    uint64_t id = h.id;
    handover_free(&h);
    if (rc != 0)
        return strstr(err, "already") ? api_send_error(r, c, 409, "conflict", "%s", err)
                                      : api_send_error(r, c, 400, "bad_request", "%s", err);
    api_audit(r->srv, r, accept ? "handover_accept" : "handover_refuse",
              json_pack("{s:I}", "id", (json_int_t)id));
    if (handover_get(r->srv->o.handover, id, &h) != 0)
        return api_send_error(r, c, 500, "internal", "lost");
    json_t *o = record_json(&h);
    handover_free(&h);
    return api_send_json(r, c, 200, o);
}

static bool keep_scope(void *ctx, const char *scope) {
    const req *r = ctx;
    return api_scope_sees(r, scope, !*scope);
}

enum MHD_Result api_h_handovers(req *r, struct MHD_Connection *c) {
    handover_store *hs = r->srv->o.handover;
    if (!hs) return no_handover(r, c);
    int64_t from = 0, to = INT64_MAX;
    const char *f = api_arg(c, "from"), *t = api_arg(c, "to");
    int64_t now = pw_wall_ms();
    if ((f && !api_parse_time(f, now, &from)) || (t && !api_parse_time(t, now, &to)))
        return api_send_error(r, c, 400, "bad_request", "from and to: times (ms, RFC 3339, -1d)");
    size_t limit = 100;
    const char *l = api_arg(c, "limit");
    if (l && (!api_parse_size(l, &limit) || limit < 1 || limit > 1000))
        return api_send_error(r, c, 400, "bad_request", "limit: 1 to 1000");
    handover_record *v;
    size_t n;
    if (handover_list(hs, from, to, keep_scope, r, limit, &v, &n) != 0)
        return api_send_error(r, c, 500, "internal", "out of memory");
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(arr, record_json(&v[i]));
    handover_list_free(v, n);
    return api_send_json(r, c, 200, json_pack("{s:o}", "handovers", arr));
}
