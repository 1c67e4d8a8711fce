/*
 * metrics.c - /healthz (no token) and /metrics (Prometheus text format).
 */
#include "api/internal.h"

/* Unauthenticated (load balancers, systemd): the state only, nothing
 * about the park. 503 when ingest has failed. */
enum MHD_Result api_h_health(req *r, struct MHD_Connection *c) {
    api_server *s = r->srv;
    const char *status = "ok";
    int code = 200;
    json_t *j = json_object();
    json_t *st = s->o.ingest.status ? s->o.ingest.status(s->o.ingest.ctx) : NULL;
    bool blocked, degraded;
    json_decref(api_storage_state(s, st, &blocked, &degraded));
    if (degraded) status = "degraded";
    if (st) {
        bool conn = json_is_true(json_object_get(st, "connected"));
        json_object_set_new(j, "broker_connected", json_boolean(conn));
        if (json_is_true(json_object_get(st, "failed")))
            status = "failed", code = 503;
        else if (blocked)
            status = "blocked", code = 503;
        else if (!conn)
            status = "degraded";
        json_decref(st);
    }
    json_object_set_new(j, "status", json_string(status));
    return api_send_json(r, c, code, j);
}

const double api_lat_bounds_ms[N_LAT_BUCKETS] = {1, 2, 5, 10, 20, 50, 100, 250, 1000, 5000};

/* The request figures of one metric label: the sum over the table's rows
 * that share it (GET and POST of /incidents are both "incidents"). False
 * when an earlier index has the label (it was printed there). */
static bool label_stats(const api_server *s, int idx, route_stats_sum *out) {
    const char *label = api_route_label(idx);
    for (int k = 0; k < idx; k++)
        if (!strcmp(api_route_label(k), label)) return false;
    memset(out, 0, sizeof *out);
    for (int k = idx; k <= API_ROUTE_NONE; k++) {
        if (strcmp(api_route_label(k), label)) continue;
        const route_stats *rs = &s->routes[k];
        out->requests += rs->requests, out->errors_4xx += rs->errors_4xx;
        out->errors_5xx += rs->errors_5xx, out->sum_us += rs->sum_us;
        for (int b = 0; b <= N_LAT_BUCKETS; b++) out->le[b] += rs->le[b];
    }
    return true;
}

enum MHD_Result api_h_metrics(req *r, struct MHD_Connection *c) {
    api_server *s = r->srv;
    textbuf b = {0};
    tb_str(&b, "# HELP parkwatch_http_requests_total HTTP requests by route and status class.\n"
               "# TYPE parkwatch_http_requests_total counter\n");
    route_stats_sum rs;
    for (int i = 0; i <= API_ROUTE_NONE; i++) {
        if (!label_stats(s, i, &rs) || !rs.requests) continue;
        const char *label = api_route_label(i);
        uint64_t n = rs.requests, e4 = rs.errors_4xx, e5 = rs.errors_5xx;
        tb_printf(&b, "parkwatch_http_requests_total{route=\"%s\",code=\"2xx\"} %llu\n", label,
                  (unsigned long long)(n - e4 - e5));
        tb_printf(&b, "parkwatch_http_requests_total{route=\"%s\",code=\"4xx\"} %llu\n", label,
                  (unsigned long long)e4);
        tb_printf(&b, "parkwatch_http_requests_total{route=\"%s\",code=\"5xx\"} %llu\n", label,
                  (unsigned long long)e5);
    }
    tb_str(&b, "# HELP parkwatch_http_request_duration_seconds Time to answer, by route.\n"
               "# TYPE parkwatch_http_request_duration_seconds histogram\n");
    for (int i = 0; i <= API_ROUTE_NONE; i++) {
        if (!label_stats(s, i, &rs) || !rs.requests) continue;
        const char *label = api_route_label(i);
        uint64_t cum = 0;
        for (int k = 0; k <= N_LAT_BUCKETS; k++) {
            cum += rs.le[k];
            if (k < N_LAT_BUCKETS)
                tb_printf(
                    &b,
                    "parkwatch_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %llu\n",
                    label, api_lat_bounds_ms[k] / 1000, (unsigned long long)cum);
            else
                tb_printf(&b,
                          "parkwatch_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"}"
                          " %llu\n",
                          label, (unsigned long long)cum);
        }
        tb_printf(&b, "parkwatch_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n", label,
                  (double)rs.sum_us / 1e6);
        tb_printf(&b, "parkwatch_http_request_duration_seconds_count{route=\"%s\"} %llu\n", label,
                  (unsigned long long)cum);
    }
    pthread_mutex_lock(&s->smu);
    size_t streams = s->n_streams;
    pthread_mutex_unlock(&s->smu);
    tb_printf(
        &b,
        "# HELP parkwatch_http_streams Open server-sent event streams.\n"
        "# TYPE parkwatch_http_streams gauge\nparkwatch_http_streams %zu\n"
        "# HELP parkwatch_http_rate_limited_total Requests refused by the per-token rate limit.\n"
        "# TYPE parkwatch_http_rate_limited_total counter\nparkwatch_http_rate_limited_total "
        "%llu\n"
        "# HELP parkwatch_http_streams_ended_total Streams ended by the server, by reason.\n"
        "# TYPE parkwatch_http_streams_ended_total counter\n"
        "parkwatch_http_streams_ended_total{reason=\"token_revoked\"} %llu\n"
        "parkwatch_http_streams_ended_total{reason=\"client_gone\"} %llu\n"
        "# HELP parkwatch_http_streams_refused_total Streams refused: no slot for the token.\n"
        "# TYPE parkwatch_http_streams_refused_total counter\n"
        "parkwatch_http_streams_refused_total %llu\n"
        "# HELP parkwatch_http_head_timeouts_total Connections closed: a request head took longer "
        "than head_timeout.\n"
        "# TYPE parkwatch_http_head_timeouts_total counter\n"
        "parkwatch_http_head_timeouts_total %llu\n"
        "# HELP parkwatch_http_request_lines_refused_total Requests refused (414) before parsing: "
        "a request line over 32 KiB or 255 parameters.\n"
        "# TYPE parkwatch_http_request_lines_refused_total counter\n"
        "parkwatch_http_request_lines_refused_total %llu\n",
        streams, (unsigned long long)s->rate_limited, (unsigned long long)s->streams_revoked,
        (unsigned long long)s->streams_hung_up, (unsigned long long)s->streams_refused,
        (unsigned long long)api_guard_timeouts(s->guard),
        (unsigned long long)api_guard_refused(s->guard));
    tb_printf(&b,
              "# HELP parkwatch_http_layer_renders_total Live layers rendered.\n"
              "# TYPE parkwatch_http_layer_renders_total counter\n"
              "parkwatch_http_layer_renders_total %llu\n"
              "# HELP parkwatch_http_layer_cache_hits_total Live layers served from a rendering "
              "less than 250 ms old.\n"
              "# TYPE parkwatch_http_layer_cache_hits_total counter\n"
              "parkwatch_http_layer_cache_hits_total %llu\n",
              (unsigned long long)s->layer_renders, (unsigned long long)s->layer_cache_hits);
    hist_stats hs;
    hist_get_gauges(s->o.historian, &hs);
    tb_printf(&b,
              "# HELP parkwatch_historian_series Series registered.\n"
              "# TYPE parkwatch_historian_series gauge\nparkwatch_historian_series %llu\n"
              "# HELP parkwatch_historian_disk_bytes Bytes on disk by part.\n"
              "# TYPE parkwatch_historian_disk_bytes gauge\n"
              "parkwatch_historian_disk_bytes{part=\"sst\"} %llu\n"
              "parkwatch_historian_disk_bytes{part=\"wal\"} %llu\n"
              "parkwatch_historian_disk_bytes{part=\"all\"} %llu\n"
              "# HELP parkwatch_historian_head_points Points held in open windows.\n"
              "# TYPE parkwatch_historian_head_points gauge\nparkwatch_historian_head_points %llu\n"
              "# HELP parkwatch_historian_chunks_written_total Chunks written since start.\n"
              "# TYPE parkwatch_historian_chunks_written_total counter\n"
              "parkwatch_historian_chunks_written_total %llu\n"
              "# HELP parkwatch_historian_late_merges_total Chunks rewritten for late points.\n"
              "# TYPE parkwatch_historian_late_merges_total counter\n"
              "parkwatch_historian_late_merges_total %llu\n",
              (unsigned long long)hs.series, (unsigned long long)hs.bytes_sst,
              (unsigned long long)hs.bytes_wal, (unsigned long long)hs.bytes_on_disk,
              (unsigned long long)hs.head_points, (unsigned long long)hs.chunks_written,
              (unsigned long long)hs.late_merges);
    if (s->o.alarms) {
        alert_status *v;
        size_t n;
        if (alert_list_active(s->o.alarms, &v, &n) == 0) {
            uint64_t by[5][4] = {{0}};
            for (size_t i = 0; i < n; i++) {
                alert_rule ru;
                if (alert_rule_get(s->o.alarms, v[i].rule, &ru) != 0) continue;
                int p = ru.priority >= 1 && ru.priority <= 4 ? ru.priority : 4;
                by[p][v[i].state]++;
            }
            free(v);
            tb_str(&b, "# HELP parkwatch_alarms Alarms not in normal, by priority and state.\n"
                       "# TYPE parkwatch_alarms gauge\n");
            for (int p = 1; p <= 4; p++)
                for (int st = 1; st < 4; st++)
                    tb_printf(&b, "parkwatch_alarms{priority=\"%d\",state=\"%s\"} %llu\n", p,
                              alert_state_name((alert_state)st), (unsigned long long)by[p][st]);
        }
        tb_printf(&b,
                  "# HELP parkwatch_alarm_rules Alarm rules.\n# TYPE parkwatch_alarm_rules gauge\n"
                  "parkwatch_alarm_rules %zu\n",
                  alert_rule_count(s->o.alarms));
    }
    if (s->o.ingest.metrics) {
        char *m = s->o.ingest.metrics(s->o.ingest.ctx);
        if (m) tb_str(&b, m);
        free(m);
    }
    return api_send_sb(r, c, 200, "text/plain; version=0.0.4; charset=utf-8", &b);
}
