/*
 * access.c - who may do what: the role x capability matrix, what a token sees
 * (scope), authentication, rate limits and the audit log.
 */
#include "api/internal.h"

/* The one place that decides what a token sees: every series, alarm,
 * feature, device and dead letter passes through here with its enterprise
 * ("" for park-level things). park_context lets enterprise tokens see
 * park-level map features (roads, gates, shelters) that belong to nobody. */
bool api_scope_sees(const req *r, const char *enterprise, bool park_context) {
    if (r->tok.role != API_ROLE_ENTERPRISE) return true;
    if (!enterprise || !*enterprise) return park_context;
    return !strcmp(enterprise, r->tok.enterprise);
}

bool api_scope_sees_series(const req *r, const char *series) {
    char ent[64];
    api_series_enterprise(series, ent, sizeof ent);
    return api_scope_sees(r, ent, false);
}

/* Filters a JSON array of objects in place by their "enterprise" member. */
json_t *api_scope_filter(const req *r, json_t *arr) {
    if (!json_is_array(arr)) return arr;
    for (size_t i = json_array_size(arr); i-- > 0;) {
        const char *e = json_string_value(json_object_get(json_array_get(arr, i), "enterprise"));
        if (!api_scope_sees(r, e ? e : "", false)) json_array_remove(arr, i);
    }
    return arr;
}

/* The matrix: the one place that says which role may do what. Anything
 * it does not list is denied (a capability added to the table but not
 * here reaches nobody). The last two rows: hidden hazards (hazards/),
 * park staff and the enterprise act on them, the regulator supervises. */
static const struct {
    api_role role;
    api_cap cap;
} grants[] = {
    {API_ROLE_ADMIN, API_CAP_READ},
    {API_ROLE_ADMIN, API_CAP_METRICS},
    {API_ROLE_ADMIN, API_CAP_ALARM_ACT},
    {API_ROLE_ADMIN, API_CAP_INCIDENT},
    {API_ROLE_ADMIN, API_CAP_INGEST},
    {API_ROLE_ADMIN, API_CAP_BACKUP},
    {API_ROLE_ADMIN, API_CAP_ALARM_RULES},
    {API_ROLE_OPERATOR, API_CAP_ALARM_RULES},
    {API_ROLE_OPERATOR, API_CAP_READ},
    {API_ROLE_OPERATOR, API_CAP_METRICS},
    {API_ROLE_OPERATOR, API_CAP_ALARM_ACT},
    {API_ROLE_OPERATOR, API_CAP_INCIDENT},
    {API_ROLE_REGULATOR, API_CAP_READ},
    {API_ROLE_REGULATOR, API_CAP_METRICS},
    {API_ROLE_ENTERPRISE, API_CAP_READ},
    {API_ROLE_ENTERPRISE, API_CAP_ALARM_ACT},
    {API_ROLE_ENTERPRISE, API_CAP_INCIDENT},
    {API_ROLE_ENTERPRISE, API_CAP_INGEST},
    /* shift handover */
    {API_ROLE_ADMIN, API_CAP_HANDOVER},
    {API_ROLE_OPERATOR, API_CAP_HANDOVER},
    {API_ROLE_ENTERPRISE, API_CAP_HANDOVER},
    /* hidden hazards: park staff and the enterprise act, the regulator supervises */
    {API_ROLE_ADMIN, API_CAP_HAZARD},
    {API_ROLE_OPERATOR, API_CAP_HAZARD},
    {API_ROLE_ENTERPRISE, API_CAP_HAZARD},
    {API_ROLE_REGULATOR, API_CAP_SUPERVISE},
    /* ---- issue 21: closedpark ---- park staff book for anyone, an
     * enterprise for itself (closedpark checks); the regulator reads */
    {API_ROLE_ADMIN, API_CAP_APPOINTMENTS},
    {API_ROLE_OPERATOR, API_CAP_APPOINTMENTS},
    {API_ROLE_ENTERPRISE, API_CAP_APPOINTMENTS},
    /* ---- issue 21: specialwork ---- park staff file for anyone, an enterprise its own */
    {API_ROLE_ADMIN, API_CAP_PERMITS},
    {API_ROLE_OPERATOR, API_CAP_PERMITS},
    {API_ROLE_ENTERPRISE, API_CAP_PERMITS},
};

static const char *const cap_names[API_CAP_COUNT] = {
    [API_CAP_PUBLIC] = "public",
    [API_CAP_READ] = "read",
    [API_CAP_METRICS] = "read_metrics",
    [API_CAP_ALARM_ACT] = "act_on_alarms",
    [API_CAP_INCIDENT] = "open_and_close_incidents",
    [API_CAP_INGEST] = "write_readings",
    [API_CAP_BACKUP] = "take_backups",
    [API_CAP_ALARM_RULES] = "set_alarm_limits",
    [API_CAP_HANDOVER] = "hand_over_shifts",
    [API_CAP_RISK_UNITS] = "edit_risk_units", /* risk units (riskunits/) */
    /* hidden hazards (hazards/) */
    [API_CAP_HAZARD] = "act_on_hazards",
    [API_CAP_SUPERVISE] = "supervise_hazards",
    /* ---- issue 21: closedpark ---- */
    [API_CAP_APPOINTMENTS] = "manage_appointments",
    [API_CAP_PERMITS] = "file_permits", /* ---- issue 21: specialwork ---- */
};

const char *api_cap_name(api_cap cap) {
    return (unsigned)cap < API_CAP_COUNT && cap_names[cap] ? cap_names[cap] : "unknown";
}

/* risk units (riskunits/): admin and operator edit every unit, an
 * enterprise its own (riskunits_put checks), a regulator none. */
static const struct {
    api_role role;
    api_cap cap;
} grants_risk_units[] = {
    {API_ROLE_ADMIN, API_CAP_RISK_UNITS},
    {API_ROLE_OPERATOR, API_CAP_RISK_UNITS},
    {API_ROLE_ENTERPRISE, API_CAP_RISK_UNITS},
};

bool api_cap_granted(api_role role, api_cap cap) {
    for (size_t i = 0; i < sizeof grants / sizeof grants[0]; i++)
        if (grants[i].role == role && grants[i].cap == cap) return true;
    for (size_t i = 0; i < sizeof grants_risk_units / sizeof grants_risk_units[0]; i++)
        if (grants_risk_units[i].role == role && grants_risk_units[i].cap == cap) return true;
    return false;
}

bool api_route_permits(const api_route *rt, api_role role) {
    return rt->cap == API_CAP_PUBLIC || api_cap_granted(role, rt->cap);
}

void api_audit(api_server *s, const req *r, const char *action, json_t *detail) {
    if (!s->audit) {
        json_decref(detail);
        return;
    }
    json_t *j = json_pack("{s:I,s:s,s:s,s:s,s:s,s:s}", "ts_ms", (json_int_t)pw_wall_ms(), "token",
                          r->tok.id, "name", r->tok.name, "role", api_role_name(r->tok.role),
                          "enterprise", r->tok.enterprise, "action", action);
    if (j && detail) json_object_update(j, detail);
    json_decref(detail);
    char *txt = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!txt) return;
    pthread_mutex_lock(&s->amu);
    fprintf(s->audit, "%s\n", txt);
    fflush(s->audit);
    pthread_mutex_unlock(&s->amu);
    free(txt);
}

static void audit_line(api_server *s, json_t *j) {
    char *txt = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!txt) return;
    fprintf(s->audit, "%s\n", txt);
    fflush(s->audit);
    free(txt);
}

/* The minute's sum of a slot; amu held. */
static void audit_write_flush_locked(api_server *s, audit_write_slot *w) {
    if (!w->calls) return;
    audit_line(s, json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I}", "ts_ms",
                            (json_int_t)pw_wall_ms(), "token", w->tok.id, "name", w->tok.name,
                            "role", api_role_name(w->tok.role), "enterprise", w->tok.enterprise,
                            "action", w->action, "since_ms", (json_int_t)w->since_ms, "calls",
                            (json_int_t)w->calls, "bytes", (json_int_t)w->bytes, "accepted",
                            (json_int_t)w->accepted, "rejected", (json_int_t)w->rejected,
                            "overwritten", (json_int_t)w->overwritten));
    w->calls = w->bytes = w->accepted = w->rejected = w->overwritten = 0;
}

void api_audit_write(api_server *s, const req *r, const char *action, const char *topic,
                     uint64_t bytes, uint64_t accepted, uint64_t rejected, uint64_t overwritten) {
    if (!s->audit) return;
    int64_t now = pw_wall_ms();
    pthread_mutex_lock(&s->amu);
    audit_write_slot *w = NULL;
    for (size_t i = 0; i < s->n_aw && !w; i++)
        if (!strcmp(s->aw[i].tok.id, r->tok.id) && !strcmp(s->aw[i].action, action)) w = &s->aw[i];
    bool alone = rejected > 0 || !w || now - w->since_ms >= AUDIT_WRITE_WINDOW_MS;
    if (w && now - w->since_ms >= AUDIT_WRITE_WINDOW_MS) audit_write_flush_locked(s, w);
    if (!w) {
        audit_write_slot *aw = realloc(s->aw, (s->n_aw + 1) * sizeof *aw);
        if (aw) {
            s->aw = aw;
            w = &s->aw[s->n_aw++];
            *w = (audit_write_slot){.tok = r->tok, .since_ms = now};
            snprintf(w->action, sizeof w->action, "%s", action);
        }
    }
    if (alone || !w) {
        if (w && now - w->since_ms >= AUDIT_WRITE_WINDOW_MS) w->since_ms = now;
        audit_line(s, json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:I}", "ts_ms",
                                (json_int_t)now, "token", r->tok.id, "name", r->tok.name, "role",
                                api_role_name(r->tok.role), "enterprise", r->tok.enterprise,
                                "action", action, "topic", topic, "bytes", (json_int_t)bytes,
                                "accepted", (json_int_t)accepted, "rejected", (json_int_t)rejected,
                                "overwritten", (json_int_t)overwritten));
    } else {
        w->calls++, w->bytes += bytes, w->accepted += accepted, w->overwritten += overwritten;
    }
    pthread_mutex_unlock(&s->amu);
}

void api_audit_flush_stale(api_server *s, int64_t now) {
    if (!s->audit) return;
    pthread_mutex_lock(&s->amu);
    for (size_t i = 0; i < s->n_aw; i++)
        if (s->aw[i].calls && now - s->aw[i].since_ms >= AUDIT_WRITE_WINDOW_MS) {
            audit_write_flush_locked(s, &s->aw[i]);
            s->aw[i].since_ms = now;
        }
    pthread_mutex_unlock(&s->amu);
}

void api_audit_flush(api_server *s) {
    if (!s->audit) return;
    pthread_mutex_lock(&s->amu);
    for (size_t i = 0; i < s->n_aw; i++) audit_write_flush_locked(s, &s->aw[i]);
    pthread_mutex_unlock(&s->amu);
}

/* A token bucket per token: rate_limit_per_s requests a second, bursts of
 * twice that. */
bool api_rate_ok(api_server *s, const char *id) {
    double rate = s->o.rate_limit_per_s;
    if (rate <= 0) return true;
    double now = pw_mono_s();
    bool ok;
    pthread_mutex_lock(&s->rmu);
    rate_slot *slot = NULL;
    for (size_t i = 0; i < s->n_rate; i++)
        if (!strcmp(s->rate[i].id, id)) slot = &s->rate[i];
    if (!slot) {
        rate_slot *nr = realloc(s->rate, (s->n_rate + 1) * sizeof *nr);
        if (nr) {
            s->rate = nr;
            slot = &s->rate[s->n_rate++];
            snprintf(slot->id, sizeof slot->id, "%s", id);
            slot->tokens = 2 * rate;
            slot->last = now;
        }
    }
    if (slot) {
        slot->tokens = fmin(2 * rate, slot->tokens + (now - slot->last) * rate);
        slot->last = now;
        ok = slot->tokens >= 1;
        if (ok) slot->tokens -= 1;
    } else {
        ok = true;
    }
    pthread_mutex_unlock(&s->rmu);
    return ok;
}

bool api_view_keep(void *ctx, const char *enterprise) {
    return api_scope_sees(ctx, enterprise, false);
}

bool api_base64_decode(const char *in, size_t len, char *out, size_t cap) {
    uint32_t acc = 0;
    size_t bits = 0, n = 0, i = 0;
    for (; i < len && in[i] != '='; i++) {
        char ch = in[i];
        int v = ch >= 'A' && ch <= 'Z'   ? ch - 'A'
                : ch >= 'a' && ch <= 'z' ? ch - 'a' + 26
                : ch >= '0' && ch <= '9' ? ch - '0' + 52
                : ch == '+'              ? 62
                : ch == '/'              ? 63
                                         : -1;
        if (v < 0) return false;
        acc = (acc << 6 | (uint32_t)v) & 0xFFFFFF;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (n + 1 >= cap) return false;
            out[n++] = (char)(acc >> bits & 0xFF);
        }
    }
    for (; i < len; i++) /* only padding after the first '=' */
        if (in[i] != '=') return false;
    if (bits >= 6) return false; /* a lone sixth of a byte: not base64 */
    out[n] = 0;
    return memchr(out, 0, n) == NULL; /* no NUL inside: it is text */
}

/* The token of "Basic base64(user:token)": the password; any user name
 * (InfluxDB clients and Grafana insist on one). */
static bool basic_token(const char *b64, char *tok, size_t cap) {
    char text[API_TOKEN_MAX + 128];
    size_t len = strlen(b64);
    if (len > (sizeof text - 1) / 3 * 4 + 4 || !api_base64_decode(b64, len, text, sizeof text))
        return false;
    const char *colon = strchr(text, ':');
    if (!colon || strlen(colon + 1) >= cap) return false;
    snprintf(tok, cap, "%s", colon + 1);
    return true;
}

bool api_authenticate(req *r, struct MHD_Connection *c, const char *url, unsigned flags) {
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    bool influx = flags & API_ROUTE_INFLUX, basic = influx || (flags & API_ROUTE_BASIC);
    char tok[API_TOKEN_MAX];
    if (!h && influx) {
        /* InfluxDB 1.x's query parameters: u (any) and p, the token */
        const char *p = api_arg(c, "p");
        return p && strlen(p) < sizeof tok &&
               api_token_store_check(r->srv->tokens, p, &r->tok) == 0;
    }
    if (!h) {
        /* EventSource cannot set headers: streams (only) may carry a
         * one-use ?ticket= (api/tickets.h), never the token itself */
        const char *t = api_arg(c, "ticket");
        size_t n = strlen(url);
        if (!t || n < 7 || strcmp(url + n - 7, "/stream")) return false;
        return api_ticket_redeem(r->srv->tickets, t, pw_wall_ms(), &r->tok) == 0 &&
               api_token_store_valid(r->srv->tokens, r->tok.id, pw_wall_ms());
    }
    const char *t;
    if (!strncasecmp(h, "Bearer ", 7))
        t = h + 7;
    else if (influx && !strncasecmp(h, "Token ", 6)) /* InfluxDB 2.x clients' form */
        t = h + 6;
    else if (basic && !strncasecmp(h, "Basic ", 6)) {
        h += 6;
        while (*h == ' ') h++;
        if (!basic_token(h, tok, sizeof tok)) return false;
        return api_token_store_check(r->srv->tokens, tok, &r->tok) == 0;
    } else
        return false;
    while (*t == ' ') t++;
    return api_token_store_check(r->srv->tokens, t, &r->tok) == 0;
}
