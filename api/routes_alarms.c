/*
 * routes_alarms.c - alarms: the standing ones, rules, journal, KPIs, the
 * operator's actions and the alarm stream.
 */
#include "api/internal.h"

int api_cmp_series_alarm(const void *a, const void *b) {
    uint32_t x = ((const series_alarm *)a)->series, y = ((const series_alarm *)b)->series;
    return x < y ? -1 : x > y;
}

void api_tb_alarm(textbuf *b, const api_server *s, const alert_status *st, const alert_rule *ru) {
    tb_printf(b, "{\"rule\":%u,\"series\":", st->rule);
    tb_jstr(b, ru->series_name ? ru->series_name : "");
    tb_str(b, ",\"enterprise\":");
    tb_jstr(b, ru->enterprise ? ru->enterprise : "");
    tb_printf(b,
              ",\"kind\":\"%s\",\"priority\":%d,\"state\":\"%s\",\"active\":%s,\"shelved\":%s,"
              "\"suppressed\":%s,\"out_of_service\":%s,\"since_ms\":%lld",
              alert_kind_name(ru->kind), ru->priority, alert_state_name(st->state),
              st->active ? "true" : "false", st->shelved ? "true" : "false",
              st->suppressed ? "true" : "false", st->out_of_service ? "true" : "false",
              (long long)st->since_ms);
    if (st->shelved) tb_printf(b, ",\"shelved_until_ms\":%lld", (long long)st->shelved_until_ms);
    tb_str(b, ",\"value\":");
    api_tb_num(b, st->value);
    tb_str(b, ",\"limit\":");
    api_tb_num(b, ru->limit);
    api_tb_rule_meta(b, s, ru);
    tb_str(b, "}");
}

static enum MHD_Result no_alarms(req *r, struct MHD_Connection *c) {
    return api_send_error(r, c, 503, "unavailable", "alarms are not configured");
}

enum MHD_Result api_h_alarms(req *r, struct MHD_Connection *c) {
    alert_engine *al = r->srv->o.alarms;
    if (!al) return no_alarms(r, c);
    const char *ent;
    enum MHD_Result sent_e;
    if (api_want_enterprise(r, c, &ent, &sent_e)) return sent_e;
    alert_status *v;
    size_t n;
    if (alert_list_active(al, &v, &n) != 0)
        return api_send_error(r, c, 500, "internal", "out of memory");
    textbuf b = {0};
    tb_str(&b, "{\"alarms\":[");
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        alert_rule ru;
        if (alert_rule_get(al, v[i].rule, &ru) != 0) continue;
        if (!api_scope_sees(r, ru.enterprise, false)) continue;
        if (ent && strcmp(ent, ru.enterprise)) continue;
        if (k++) tb_str(&b, ",");
        api_tb_alarm(&b, r->srv, &v[i], &ru);
    }
    tb_printf(&b, "],\"count\":%zu}", k);
    free(v);
    return api_send_sb(r, c, 200, "application/json", &b);
}

/* A rule: its alarm row and its settings. */
void api_tb_rule(textbuf *b, const api_server *s, const alert_status *st, const alert_rule *ru) {
    api_tb_alarm(b, s, st, ru);
    b->n--; /* reopen the object for the rule's settings */
    tb_str(b, ",\"deadband\":");
    api_tb_num(b, ru->deadband);
    tb_printf(b, ",\"on_delay_ms\":%lld,\"off_delay_ms\":%lld}", (long long)ru->on_delay_ms,
              (long long)ru->off_delay_ms);
}

enum MHD_Result api_h_rules(req *r, struct MHD_Connection *c) {
    alert_engine *al = r->srv->o.alarms;
    if (!al) return no_alarms(r, c);
    const char *series = api_arg(c, "series"), *ent, *asset = api_arg(c, "asset"),
               *origin = api_arg(c, "origin"), *cls = api_arg(c, "class"),
               *kind = api_arg(c, "kind");
    enum MHD_Result sent;
    if (api_want_enterprise(r, c, &ent, &sent)) return sent;
    alert_kind want_kind = ALERT_KIND_COUNT;
    if (kind && !alert_kind_parse(kind, &want_kind))
        return api_send_error(r, c, 400, "bad_request", "kind: %.64s is not an alarm kind", kind);
    if (origin && strcmp(origin, "derived") && strcmp(origin, "config") &&
        strcmp(origin, "manual") && strcmp(origin, "engine"))
        return api_send_error(r, c, 400, "bad_request",
                              "origin: derived, config, manual or engine");
    if (cls && strcmp(cls, "process") && strcmp(cls, "instrument"))
        return api_send_error(r, c, 400, "bad_request", "class: process or instrument");
    size_t n = alert_rule_count(al), k = 0;
    textbuf b = {0};
    tb_str(&b, "{\"rules\":[");
    for (uint32_t id = 0; id < n; id++) {
        alert_rule ru;
        alert_status st;
        if (alert_rule_get(al, id, &ru) || alert_get(al, id, &st)) continue;
        if (!api_scope_sees(r, ru.enterprise, false)) continue;
        if (series && strcmp(series, ru.series_name)) continue;
        if (ent && strcmp(ent, ru.enterprise)) continue;
        if (asset && strcmp(asset, ru.asset ? ru.asset : "")) continue;
        if (origin && strcmp(origin, alert_origin_name(ru.origin))) continue;
        if (cls && strcmp(cls, alert_class_name(alert_kind_class(ru.kind)))) continue;
        if (kind && ru.kind != want_kind) continue;
        if (k++) tb_str(&b, ",");
        api_tb_rule(&b, r->srv, &st, &ru);
    }
    tb_printf(&b, "],\"count\":%zu}", k);
    return api_send_sb(r, c, 200, "application/json", &b);
}

static const char *action_name(alert_action a) {
    static const char *const names[] = {"condition", "ack",        "shelve",         "unshelve",
                                        "suppress",  "unsuppress", "out_of_service", "in_service"};
    return (unsigned)a < sizeof names / sizeof names[0] ? names[a] : "?";
}

void api_tb_event(textbuf *b, const api_server *s, const alert_event *e, const alert_rule *ru) {
    tb_printf(b, "{\"seq\":%llu,\"ts_ms\":%lld,\"rule\":%u,\"series\":", (unsigned long long)e->seq,
              (long long)e->ts_ms, e->rule);
    tb_jstr(b, ru->series_name);
    tb_str(b, ",\"enterprise\":");
    tb_jstr(b, ru->enterprise);
    tb_printf(b,
              ",\"kind\":\"%s\",\"priority\":%d,\"action\":\"%s\",\"from\":\"%s\",\"to\":\"%s\","
              "\"active\":%s,\"shelved\":%s,\"suppressed\":%s,\"out_of_service\":%s,\"value\":",
              alert_kind_name(ru->kind), ru->priority, action_name(e->action),
              alert_state_name(e->from), alert_state_name(e->to), e->active ? "true" : "false",
              e->shelved ? "true" : "false", e->suppressed ? "true" : "false",
              e->out_of_service ? "true" : "false");
    api_tb_num(b, e->value);
    tb_str(b, ",\"limit\":");
    api_tb_num(b, e->limit);
    tb_str(b, ",\"user\":");
    tb_jstr(b, e->user);
    tb_str(b, ",\"comment\":");
    tb_jstr(b, e->comment);
    if (e->shelved) tb_printf(b, ",\"shelved_until_ms\":%lld", (long long)e->shelved_until_ms);
    api_tb_rule_meta(b, s, ru);
    tb_str(b, "}");
}

enum MHD_Result api_h_journal(req *r, struct MHD_Connection *c) {
    alert_engine *al = r->srv->o.alarms;
    if (!al) return no_alarms(r, c);
    enum MHD_Result sent;
    int64_t from, to;
    if (api_want_range(r, c, &from, &to, &sent)) return sent;
    const char *ent, *series = api_arg(c, "series");
    if (api_want_enterprise(r, c, &ent, &sent)) return sent;
    size_t limit = r->srv->o.max_points;
    if (api_arg(c, "limit") &&
        (!api_parse_size(api_arg(c, "limit"), &limit) || !limit || limit > r->srv->o.max_points))
        return api_send_error(r, c, 400, "limit_exceeded", "limit: 1 to %zu", r->srv->o.max_points);
    alert_event *ev;
    size_t n;
    if (alert_journal_range(al, from, to, &ev, &n) != 0)
        return api_send_error(r, c, 500, "internal", "reading the alarm journal failed");
    textbuf b = {0};
    tb_str(&b, "{\"events\":[");
    size_t k = 0;
    bool truncated = false;
    for (size_t i = 0; i < n; i++) {
        alert_rule ru;
        if (alert_rule_get(al, ev[i].rule, &ru) != 0) continue;
        if (!api_scope_sees(r, ru.enterprise, false)) continue;
        if (ent && strcmp(ent, ru.enterprise)) continue;
        if (series && strcmp(series, ru.series_name)) continue;
        if (k == limit) {
            truncated = true;
            break;
        }
        if (k++) tb_str(&b, ",");
        api_tb_event(&b, r->srv, &ev[i], &ru);
    }
    tb_printf(&b, "],\"count\":%zu,\"truncated\":%s}", k, truncated ? "true" : "false");
    free(ev);
    return api_send_sb(r, c, 200, "application/json", &b);
}

enum MHD_Result api_h_kpis(req *r, struct MHD_Connection *c) {
    alert_engine *al = r->srv->o.alarms;
    if (!al) return no_alarms(r, c);
    enum MHD_Result sent;
    int64_t from, to;
    if (api_want_range_span(r, c, 86400000, &from, &to, &sent)) return sent; /* default: 24 h */
    const char *ent;
    if (api_want_own_enterprise(r, c, &ent, &sent)) return sent;
    alert_kpis k;
    if (alert_kpis_get(al, from, to, ent, &k) != 0)
        return api_send_error(r, c, 500, "internal", "reading the alarm journal failed");
    textbuf b = {0};
    tb_printf(&b, "{\"from\":%lld,\"to\":%lld,\"enterprise\":", (long long)from, (long long)to);
    tb_jstr(&b, ent ? ent : "");
    tb_printf(&b,
              ",\"alarms\":%llu,\"per_10min_avg\":%.3f,\"per_10min_peak\":%llu,"
              "\"flood_windows\":%llu,\"windows\":%llu,\"flood_time_pct\":%.2f,"
              "\"chattering_rules\":%llu,\"standing_alarms\":%llu,\"top\":[",
              (unsigned long long)k.alarms, k.per_10min_avg, (unsigned long long)k.per_10min_peak,
              (unsigned long long)k.flood_windows, (unsigned long long)k.windows, k.flood_time_pct,
              (unsigned long long)k.chattering_rules, (unsigned long long)k.standing_alarms);
    for (size_t i = 0, shown = 0; i < k.n_top; i++) {
        alert_rule ru;
        if (alert_rule_get(al, k.top_rule[i], &ru) != 0) continue;
        tb_printf(&b, "%s{\"rule\":%u,\"series\":", shown++ ? "," : "", k.top_rule[i]);
        tb_jstr(&b, ru.series_name);
        tb_printf(&b, ",\"kind\":\"%s\",\"count\":%llu}", alert_kind_name(ru.kind),
                  (unsigned long long)k.top_count[i]);
    }
    tb_str(&b, "]}");
    return api_send_sb(r, c, 200, "application/json", &b);
}

/* POST /api/v1/alarms/{rule}/{ack|shelve|unshelve}, body (optional JSON):
 * {"comment": "...", "until_ms": T} or {"minutes": M} for shelve. */
enum MHD_Result api_h_alarm_action(req *r, struct MHD_Connection *c) {
    const char *rest = r->param[0]; /* {rule} */
    alert_engine *al = r->srv->o.alarms;
    if (!al) return no_alarms(r, c);
    char *end;
    errno = 0;
    unsigned long rule = strtoul(rest, &end, 10);
    if (end == rest || *end || errno || !isdigit((unsigned char)rest[0]))
        return api_send_error(r, c, 404, "not_found", "no such alarm endpoint");
    const char *action = r->param[1]; /* {action} */
    if (strcmp(action, "ack") && strcmp(action, "shelve") && strcmp(action, "unshelve"))
        return api_send_error(r, c, 404, "not_found", "alarm actions are ack, shelve and unshelve");
    alert_rule ru;
    if (rule > UINT32_MAX || alert_rule_get(al, (uint32_t)rule, &ru) != 0 ||
        !api_scope_sees(r, ru.enterprise, false))
        return api_send_error(r, c, 404, "not_found", "no alarm rule %lu", rule);
    json_t *body;
    enum MHD_Result sent;
    if (api_want_body_object(r, c, true, &body, &sent)) return sent;
    const char *comment = json_string_value(json_object_get(body, "comment"));
    if (!comment) comment = "";
    int64_t now = pw_wall_ms();
    int rc;
    if (!strcmp(action, "ack")) {
        rc = alert_ack(al, (uint32_t)rule, now, r->tok.name, comment);
    } else if (!strcmp(action, "shelve")) {
        json_t *u = json_object_get(body, "until_ms"), *m = json_object_get(body, "minutes");
        int64_t until = 0;
        if (json_is_integer(u))
            until = json_integer_value(u);
        else if (json_is_number(m) && json_number_value(m) > 0 && json_number_value(m) <= 1440)
            until = now + (int64_t)(json_number_value(m) * 60000);
        /* shelving is always time-limited (alarm-management.md section 1):
         * at most 24 h, by default 1 h */
        if (!u && !m) until = now + 3600000;
        if (until <= now || until > now + 86400000) {
            json_decref(body);
            return api_send_error(
                r, c, 400, "bad_request",
                "shelving needs an expiry within the next 24 h (until_ms or minutes)");
        }
        rc = alert_shelve(al, (uint32_t)rule, now, until, r->tok.name, comment);
    } else {
        rc = alert_unshelve(al, (uint32_t)rule, now, r->tok.name, comment);
    }
    api_audit(r->srv, r, action,
              json_pack("{s:i,s:s,s:s,s:i}", "rule", (int)rule, "series", ru.series_name, "comment",
                        comment, "result", rc));
    json_decref(body);
    if (rc < 0)
        return api_send_error(r, c, 500, "internal", "the alarm journal could not be written");
    if (rc == 0)
        return api_send_error(r, c, 409, "conflict", "alarm %lu: nothing to %s in its state", rule,
                              action);
    alert_status st;
    alert_get(al, (uint32_t)rule, &st);
    textbuf b = {0};
    api_tb_alarm(&b, r->srv, &st, &ru);
    return api_send_sb(r, c, 200, "application/json", &b);
}

enum MHD_Result api_h_alarm_stream(req *r, struct MHD_Connection *c) {
    api_server *s = r->srv;
    if (!s->o.alarms) return no_alarms(r, c);
    stream *st = calloc(1, sizeof *st);
    if (!st) return api_send_error(r, c, 500, "internal", "out of memory");
    st->kind = ST_ALARMS;
    /* first the alarms standing now, so a client needs no second request */
    alert_status *v;
    size_t n;
    textbuf b = {0};
    if (alert_list_active(s->o.alarms, &v, &n) == 0) {
        textbuf d = {0};
        tb_str(&d, "{\"alarms\":[");
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            alert_rule ru;
            if (alert_rule_get(s->o.alarms, v[i].rule, &ru) != 0) continue;
            if (!api_scope_sees(r, ru.enterprise, false)) continue;
            if (k++) tb_str(&d, ",");
            api_tb_alarm(&d, r->srv, &v[i], &ru);
        }
        tb_str(&d, "]}");
        free(v);
        tb_str(&b, "event: active\ndata: ");
        tb_str(&b, d.p ? d.p : "{}");
        tb_str(&b, "\n\n");
        free(d.p);
    }
    enum MHD_Result rc = api_start_stream(r, c, st, b.p, b.oom ? 0 : b.n);
    free(b.p);
    return rc;
}
