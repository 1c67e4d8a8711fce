/*
 * routes_ingest.c - ingest status, dead letters, devices, HTTP ingest, and
 * backups.
 */
#include "api/internal.h"

static enum MHD_Result no_ingest(req *r, struct MHD_Connection *c) {
    return api_send_error(r, c, 503, "unavailable", "ingest is not running");
}

/* What a full or failing disk is holding up, from ingest's status st (may
 * be NULL), the historian and the alarm journal: {"acknowledging", "problems":
 * [{"where", "error", "since_ms", "waiting"?}]}. *blocked: data is not
 * moving (nothing acknowledged, or ingest holding); *degraded: it moves but
 * something waits in memory for the disk. */
json_t *api_storage_state(api_server *s, json_t *st, bool *blocked, bool *degraded) {
    json_t *problems = json_array();
    *blocked = *degraded = false;
    static const char *const ingest_parts[][4] = {
        {"spool", "spool_blocked", "spool_error", "spool_blocked_since_ms"},
        {"ingest", "store_blocked", "store_error", "store_blocked_since_ms"}};
    for (size_t i = 0; st && i < 2; i++)
        if (json_is_true(json_object_get(st, ingest_parts[i][1]))) {
            *blocked = true;
            json_array_append_new(problems,
                                  json_pack("{s:s,s:O?,s:O?}", "where", ingest_parts[i][0], "error",
                                            json_object_get(st, ingest_parts[i][2]), "since_ms",
                                            json_object_get(st, ingest_parts[i][3])));
        }
    char why[256];
    int64_t since;
    if (s->o.historian && hist_storage_error(s->o.historian, why, sizeof why, &since)) {
        *degraded = true;
        api_utf8_scrub(why);
        json_array_append_new(problems, json_pack("{s:s,s:s,s:I}", "where", "historian", "error",
                                                  why, "since_ms", (json_int_t)since));
    }
    size_t waiting;
    if (s->o.alarms && alert_journal_error(s->o.alarms, why, sizeof why, &waiting, &since)) {
        *degraded = true;
        api_utf8_scrub(why);
        json_array_append_new(problems, json_pack("{s:s,s:s,s:I,s:I}", "where", "alarm_journal",
                                                  "error", why, "since_ms", (json_int_t)since,
                                                  "waiting", (json_int_t)waiting));
    }
    bool acknowledging = !(st && json_is_true(json_object_get(st, "spool_blocked")));
    return json_pack("{s:b,s:o}", "acknowledging", acknowledging, "problems", problems);
}

enum MHD_Result api_h_ingest_status(req *r, struct MHD_Connection *c) {
    api_ingest *in = &r->srv->o.ingest;
    if (!in->status) return no_ingest(r, c);
    json_t *j = in->status(in->ctx);
    if (!j) return api_send_error(r, c, 500, "internal", "out of memory");
    bool blocked, degraded;
    json_object_set_new(j, "storage", api_storage_state(r->srv, j, &blocked, &degraded));
    api_scope_filter(r, json_object_get(j, "enterprises"));
    if (r->tok.role == API_ROLE_ENTERPRISE) {
        /* the park-wide totals tell an enterprise about the others */
        json_t *ents = json_object_get(j, "enterprises");
        json_t *keep = json_pack("{s:O}", "enterprises", ents ? ents : json_array());
        json_decref(j);
        j = keep;
    }
    return api_send_json(r, c, 200, j);
}

enum MHD_Result api_h_dead_letters(req *r, struct MHD_Connection *c) {
    api_ingest *in = &r->srv->o.ingest;
    if (!in->dead_letters) return no_ingest(r, c);
    const char *ent;
    enum MHD_Result sent_e;
    /* the parameter first: a 403 must not leave the list behind (a leak a
     * request found: fuzz_api_extremes) */
    if (api_want_enterprise(r, c, &ent, &sent_e)) return sent_e;
    json_t *a = api_scope_filter(r, in->dead_letters(in->ctx));
    for (size_t i = json_array_size(a); ent && i-- > 0;) {
        const char *e = json_string_value(json_object_get(json_array_get(a, i), "enterprise"));
        if (!e || strcmp(e, ent)) json_array_remove(a, i);
    }
    return api_send_json(r, c, 200,
                         json_pack("{s:o,s:I}", "dead_letters", a ? a : json_array(), "count",
                                   (json_int_t)json_array_size(a)));
}

enum MHD_Result api_h_devices(req *r, struct MHD_Connection *c) {
    api_ingest *in = &r->srv->o.ingest;
    if (!in->devices) return no_ingest(r, c);
    json_t *a = api_scope_filter(r, in->devices(in->ctx));
    return api_send_json(r, c, 200,
                         json_pack("{s:o,s:I}", "devices", a ? a : json_array(), "count",
                                   (json_int_t)json_array_size(a)));
}

/* POST /api/v1/ingest?device=D[&enterprise=E][&precision=P]: the body as
 * the device would publish it over MQTT (any of the three formats; line
 * protocol timestamps in P, else the enterprise's MQTT precision). */
enum MHD_Result api_h_ingest_post(req *r, struct MHD_Connection *c) {
    api_ingest *in = &r->srv->o.ingest;
    const char *dev = api_arg(c, "device"), *ent, *prec = api_arg(c, "precision");
    enum MHD_Result sent;
    if (api_want_own_enterprise(r, c, &ent, &sent)) return sent;
    if (!in->submit) return no_ingest(r, c);
    if (!ent) return api_send_error(r, c, 400, "bad_request", "enterprise=E is required");
    if (prec && !api_precision_ok(prec))
        return api_send_error(r, c, 400, "bad_request", "precision: ns, u, ms, s, m or h");
    if (!dev) dev = "http";
    for (const char *p = dev; *p; p++)
        if (*p == '/' || *p == '+' || *p == '#' || (unsigned char)*p < 0x21)
            return api_send_error(r, c, 400, "bad_request", "device: no '/', '+', '#' or spaces");
    if (!r->body_n) return api_send_error(r, c, 400, "bad_request", "the body is empty");
    char topic[256];
    snprintf(topic, sizeof topic, "park/%s/%s/data", ent, dev);
    api_submit_result res;
    char err[256] = "";
    int rc = in->submit(in->ctx, topic, prec, r->body, r->body_n, &res, err, sizeof err);
    size_t acc = res.accepted, rej = res.rejected;
    api_audit_write(r->srv, r, "ingest", topic, r->body_n, acc, rej + (rc != 0 && !rej),
                    res.overwritten);
    /* submit's reasons: "invalid: ..." 400, "unavailable: ..." 503, else
     * (the message or all its readings rejected) 422 with the counts */
    if (rc != 0 && !strncmp(err, "invalid", 7))
        return api_send_error(r, c, 400, "bad_request", "%s", err);
    if (rc != 0 && !strncmp(err, "unavailable", 11))
        return api_send_error(r, c, 503, "unavailable", "%s", err);
    if (rc != 0 || (rej && !acc)) {
        json_t *j = json_pack("{s:{s:s,s:s},s:I,s:I}", "error", "code", "rejected", "message",
                              err[0] ? err : "every reading was rejected", "accepted",
                              (json_int_t)acc, "rejected", (json_int_t)rej);
        return api_send_json(r, c, 422, j);
    }
    /* overwritten: readings of the body that a later one with the same
     * series and time replaced; counted once, not as accepted */
    json_t *j = json_pack("{s:I,s:I,s:I}", "accepted", (json_int_t)acc, "rejected", (json_int_t)rej,
                          "overwritten", (json_int_t)res.overwritten);
    if (j && err[0]) json_object_set_new(j, "first_rejection", json_string(err));
    return api_send_json(r, c, 200, j);
}

/* POST /api/v1/admin/backup, body (optional) {"name": "NAME"}: a backup of
 * the live historian and alarm journal into the configured backup_dir/NAME
 * (api/backup.c) while ingest goes on; admin only, audit-logged. */
enum MHD_Result api_h_admin_backup(req *r, struct MHD_Connection *c) {
    json_t *body;
    enum MHD_Result sent;
    if (api_want_body_object(r, c, true, &body, &sent)) return sent;
    json_t *nj = json_object_get(body, "name");
    if (nj && !json_is_string(nj)) {
        json_decref(body);
        return api_send_error(r, c, 400, "bad_request", "name must be a string");
    }
    json_t *m = NULL;
    char err[512];
    int rc = api_backup_take(r->srv->o.historian, r->srv->o.alarms, r->srv->o.events,
                             r->srv->backup_dir, json_string_value(nj), &m, err, sizeof err);
    json_t *detail = rc == 0
                         ? json_pack("{s:O,s:O,s:O,s:s}", "backup", json_object_get(m, "name"),
                                     "directory", json_object_get(m, "directory"), "duration_ms",
                                     json_object_get(m, "duration_ms"), "result", "ok")
                         : json_pack("{s:s?,s:s}", "backup", json_string_value(nj), "result", err);
    api_audit(r->srv, r, "backup", detail);
    json_decref(body);
    switch (rc) {
        case 0:
            return api_send_json(r, c, 200, m);
        case API_BACKUP_EINVAL:
            return api_send_error(r, c, 400, "bad_request", "%s", err);
        case API_BACKUP_EEXIST:
        case API_BACKUP_EBUSY:
            return api_send_error(r, c, 409, "conflict", "%s", err);
        case API_BACKUP_EUNAVAILABLE:
            return api_send_error(r, c, 503, "unavailable", "%s (parkd's config: \"backup_dir\")",
                                  err);
        default:
            return api_send_error(r, c, 500, "internal", "backup failed: %s", err);
    }
}
