/*
 * routes_notify.c - notification (notify/) as the API shows it: the
 * delivery journal (GET /notify/deliveries), who is on call now per
 * enterprise and for the park (GET /notify/oncall), and each channel's
 * state (GET /notify/channels). Without a "notify" config parkd has no
 * engine: the lists are empty (nothing was ever sent), not an error.
 * An enterprise token sees its own deliveries and rosters and the park's.
 */
#include "api/internal.h"
#include "notify/notify.h"

#define DELIVERIES_MAX 10000

enum MHD_Result api_h_notify_deliveries(req *r, struct MHD_Connection *c) {
    enum MHD_Result sent;
    int64_t from, to;
    if (api_want_range_span(r, c, 86400000, &from, &to, &sent)) return sent; /* default: 24 h */
    const char *ent;
    if (api_want_own_enterprise(r, c, &ent, &sent)) return sent;
    const char *result = api_arg(c, "result"), *channel = api_arg(c, "channel");
    if (result && strcmp(result, "sent") && strcmp(result, "failed") &&
        strcmp(result, "no_recipient"))
        return api_send_error(r, c, 400, "bad_request",
                              "result: one of sent, failed, no_recipient");
    textbuf b = {0};
    tb_printf(&b, "{\"from\":%lld,\"to\":%lld,\"deliveries\":[", (long long)from, (long long)to);
    notify *n = r->srv->o.notify;
    notify_delivery *d = NULL;
    size_t k = 0;
    char err[256];
    notify_filter f = {.channel = channel, .enterprise = ent, .result = result};
    if (n && notify_deliveries(n, from, to, &f, DELIVERIES_MAX, &d, &k, err, sizeof err) != 0) {
        free(b.p);
        return api_send_error(r, c, 500, "internal", "%s", err);
    }
    for (size_t i = 0; i < k; i++) {
        tb_printf(&b, "%s{\"ts_ms\":%lld,\"rule\":%u,\"seq\":%llu,\"step\":%d,\"alarms\":%u,",
                  i ? "," : "", (long long)d[i].ts_ms, d[i].rule, (unsigned long long)d[i].seq,
                  d[i].step, d[i].alarms);
        tb_str(&b, "\"channel\":");
        tb_jstr(&b, d[i].channel);
        tb_str(&b, ",\"enterprise\":");
        tb_jstr(&b, d[i].enterprise);
        tb_str(&b, ",\"recipient\":");
        tb_jstr(&b, d[i].recipient);
        tb_str(&b, ",\"result\":");
        tb_jstr(&b, d[i].result);
        tb_printf(&b, ",\"status\":%d,\"attempt\":%d,\"due_ms\":%lld,\"receipt\":", d[i].status,
                  d[i].attempt, (long long)d[i].due_ms);
        tb_jstr(&b, d[i].receipt);
        tb_str(&b, ",\"detail\":");
        tb_jstr(&b, d[i].detail);
        tb_str(&b, "}");
    }
    tb_printf(&b, "],\"truncated\":%s}", k == DELIVERIES_MAX ? "true" : "false");
    free(d);
    return api_send_sb(r, c, 200, "application/json", &b);
}

enum MHD_Result api_h_notify_oncall(req *r, struct MHD_Connection *c) {
    notify *n = r->srv->o.notify;
    int64_t now = pw_wall_ms();
    textbuf b = {0};
    tb_printf(&b, "{\"at\":%lld,\"rosters\":[", (long long)now);
    size_t shown = 0;
    for (size_t i = 0; n && i < notify_roster_count(n); i++) {
        const char *ent = notify_roster_enterprise(n, i);
        if (*ent && !api_scope_sees(r, ent, false)) continue;
        const char *ids[32];
        size_t k = notify_oncall(n, ent, now, ids, 32);
        tb_str(&b, shown++ ? ",{\"enterprise\":" : "{\"enterprise\":");
        tb_jstr(&b, ent);
        tb_str(&b, ",\"people\":[");
        for (size_t j = 0; j < k && j < 32; j++) {
            if (j) tb_str(&b, ",");
            tb_jstr(&b, ids[j]);
        }
        tb_str(&b, "]}");
    }
    tb_str(&b, "]}");
    return api_send_sb(r, c, 200, "application/json", &b);
}

enum MHD_Result api_h_notify_channels(req *r, struct MHD_Connection *c) {
    notify *n = r->srv->o.notify;
    textbuf b = {0};
    tb_str(&b, "{\"channels\":[");
    for (size_t i = 0; n && i < notify_channel_count(n); i++) {
        notify_channel_state s;
        if (notify_channel_get(n, i, &s) != 0) continue;
        tb_str(&b, i ? ",{\"name\":" : "{\"name\":");
        tb_jstr(&b, s.name);
        tb_printf(&b,
                  ",\"type\":\"%s\",\"state\":\"%s\",\"queued\":%llu,\"sent\":%llu,"
                  "\"failed\":%llu,\"dropped\":%llu,\"summaries\":%llu}",
                  s.type, s.up ? "up" : "down", (unsigned long long)s.queued,
                  (unsigned long long)s.sent, (unsigned long long)s.failed,
                  (unsigned long long)s.dropped, (unsigned long long)s.summaries);
    }
    tb_printf(&b, "],\"inbox_dropped\":%llu}",
              (unsigned long long)(n ? notify_inbox_dropped(n) : 0));
    return api_send_sb(r, c, 200, "application/json", &b);
}
