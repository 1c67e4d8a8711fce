/*
 * parkd - the Parkwatch daemon: the historian, fed by the ingest service
 * from the park's MQTT broker.
 *
 *   parkd --config FILE [--data DIR] [--broker HOST:PORT] [--stats-file FILE] [--quiet]
 *
 * The config is JSON (see README, "parkd configuration"); the flags
 * override it. Signals: SIGTERM/SIGINT stop cleanly (no new messages,
 * everything spooled stored, RocksDB closed); SIGUSR1 prints the counters
 * to stderr. The counters are also written every second to the stats file,
 * as one JSON object, replaced atomically.
 *
 * Exit status: 0 after a clean stop, 1 on a configuration or startup
 * error, 2 if ingest failed while running (the spool keeps what was not
 * stored; the next start stores it).
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alerting/alerting.h"
#include "common/clock.h"
#include "api/api.h"
#include "geo/geo.h"
#include "historian/historian.h"
#include "ingest/ingest.h"
#include "handover/handover.h"
#include "health/health.h"
#include "tools/parkd_alarms.h"
#include "tools/parkd_closedpark.h" /* closed-park management (issue 21) */
#include "tools/parkd_conditions.h"
#include "tools/parkd_events.h"
#include "command/command.h"
#include "tools/parkd_riskunits.h" /* risk units (riskunits/) */
#include "tools/parkd_config.h"
#include "tools/parkd_notify.h"
#include "tools/parkd_hazards.h"
#include "tools/parkd_cameras.h"     /* issue 21: cameras */
#include "tools/parkd_specialwork.h" /* issue 21: specialwork */

static const char *prog = "parkd";

static void usage(void) {
    fprintf(stderr, "usage: parkd --config FILE [--data DIR] [--broker HOST:PORT] "
                    "[--stats-file FILE] [--quiet]\n"
                    "       parkd --routes   (the API's route table and role matrix, as JSON)\n");
    exit(1);
}

/* ---- alarms ---- */

typedef struct alarm_ctx {
    ingest_service *svc;    /* set once the service runs */
    alert_webhook *webhook; /* alarms.webhook, or NULL */
    bool quiet;
} alarm_ctx;

/* Every transition goes out on park/alarms/{enterprise} as JSON. */
static void notify_alarm(const alert_event *ev, const alert_rule *r, void *arg) {
    alarm_ctx *a = arg;
    json_t *o = json_pack("{s:I,s:I,s:i,s:s,s:s,s:s,s:s,s:s,s:b,s:b,s:b,s:b,s:i,s:s,s:s}", "seq",
                          (json_int_t)ev->seq, "ts_ms", (json_int_t)ev->ts_ms, "rule",
                          (int)ev->rule, "series", r->series_name, "kind", alert_kind_name(r->kind),
                          "from", alert_state_name(ev->from), "to", alert_state_name(ev->to),
                          "enterprise", r->enterprise, "active", ev->active, "shelved", ev->shelved,
                          "suppressed", ev->suppressed, "out_of_service", ev->out_of_service,
                          "priority", r->priority, "user", ev->user, "comment", ev->comment);
    if (o && isfinite(ev->value)) json_object_set_new(o, "value", json_real(ev->value));
    if (o) json_object_set_new(o, "limit", json_real(ev->limit));
    if (o) { /* what the value means and where the limit comes from */
        json_object_set_new(o, "unit", json_string(r->unit ? r->unit : ""));
        json_object_set_new(o, "class", json_string(alert_class_name(alert_kind_class(r->kind))));
        json_object_set_new(o, "asset", json_string(r->asset ? r->asset : ""));
        json_object_set_new(o, "origin", json_string(alert_origin_name(r->origin)));
    }
    char *txt = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!txt) return;
    char topic[96];
    snprintf(topic, sizeof topic, "park/alarms/%s", r->enterprise[0] ? r->enterprise : "PARK");
    if (a->svc) ingest_service_publish(a->svc, topic, txt, strlen(txt));
    if (a->webhook) alert_webhook_send(a->webhook, txt);
    if (!a->quiet && ev->action == ALERT_ACT_CONDITION)
        fprintf(stderr, "parkd: alarm %s %s %s -> %s (%g %s, limit %g %s)\n", r->series_name,
                alert_kind_name(r->kind), alert_state_name(ev->from), alert_state_name(ev->to),
                ev->value, r->unit ? r->unit : "", ev->limit, r->unit ? r->unit : "");
    free(txt);
}

static void write_stats(ingest_service *svc, FILE *out) {
    ingest_service_stats ss;
    ingest_stats st;
    ingest_service_get_stats(svc, &ss);
    ingest_get_stats(ingest_service_pipeline(svc), &st);
    fprintf(out,
            "{\"connected\": %s, \"connects\": %llu, \"connection_losses\": %llu, "
            "\"messages\": %llu, \"messages_rejected\": %llu, \"status_messages\": %llu, "
            "\"readings\": %llu, \"points\": %llu, \"readings_rejected\": %llu, "
            "\"series_created\": %llu, \"spooled_messages\": %llu, \"spool_backlog_bytes\": %llu, "
            "\"spool_damaged\": %llu, \"spool_errors\": %llu, \"commits\": %llu, "
            "\"flush_ms_last\": %.1f, \"flush_ms_max\": %.1f, \"latency_count\": %llu, "
            "\"latency_p50_ms\": %.2f, \"latency_p99_ms\": %.2f, \"latency_max_ms\": %.1f, "
            "\"spool_blocked\": %s, \"store_blocked\": %s, \"store_retries\": %llu, "
            "\"broker_session_takeovers\": %llu, \"failed\": %s, \"last_error\": ",
            ss.connected ? "true" : "false", (unsigned long long)ss.connects,
            (unsigned long long)ss.connection_losses, (unsigned long long)st.messages,
            (unsigned long long)st.messages_rejected, (unsigned long long)st.status_messages,
            (unsigned long long)st.readings, (unsigned long long)st.points,
            (unsigned long long)st.readings_rejected, (unsigned long long)st.series_created,
            (unsigned long long)ss.spooled_messages, (unsigned long long)ss.spool_backlog_bytes,
            (unsigned long long)ss.spool_damaged, (unsigned long long)ss.spool_errors,
            (unsigned long long)ss.commits, ss.flush_ms_last, ss.flush_ms_max,
            (unsigned long long)st.latency_count, st.latency_p50_ms, st.latency_p99_ms,
            st.latency_max_ms, ss.spool_blocked ? "true" : "false",
            ss.store_blocked ? "true" : "false", (unsigned long long)ss.store_retries,
            (unsigned long long)ss.session_takeovers, ss.failed ? "true" : "false");
    json_t *le = json_string(ss.last_error);
    char *les = json_dumps(le, JSON_ENCODE_ANY);
    fprintf(out, "%s, \"rejects\": [", les ? les : "\"\"");
    free(les);
    json_decref(le);
    for (size_t i = 0; i < st.n_rejects; i++)
        fprintf(out,
                "%s{\"enterprise\": \"%s\", \"reason\": \"%s\", \"messages\": %llu, "
                "\"readings\": %llu}",
                i ? ", " : "", st.rejects[i].enterprise, st.rejects[i].reason,
                (unsigned long long)st.rejects[i].messages,
                (unsigned long long)st.rejects[i].readings);
    fprintf(out, "]}\n");
}

static void write_stats_file(ingest_service *svc, const char *path) {
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) return;
    write_stats(svc, f);
    if (fclose(f) == 0 && rename(tmp, path) != 0) unlink(tmp);
}

/* ---- the API's view of ingest (api.h, "ingest, as parkd provides it") ---- */

static json_t *api_ingest_status(void *ctx) {
    ingest_service *svc = ctx;
    ingest_service_stats ss;
    ingest_stats st;
    ingest_service_get_stats(svc, &ss);
    ingest *g = ingest_service_pipeline(svc);
    ingest_get_stats(g, &st);
    json_t *o = json_pack(
        "{s:b,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:f,s:f,s:b,s:s}", "connected",
        ss.connected, "connects", (json_int_t)ss.connects, "connection_losses",
        (json_int_t)ss.connection_losses, "messages", (json_int_t)st.messages, "messages_rejected",
        (json_int_t)st.messages_rejected, "status_messages", (json_int_t)st.status_messages,
        "readings", (json_int_t)st.readings, "points", (json_int_t)st.points, "readings_rejected",
        (json_int_t)st.readings_rejected, "series_created", (json_int_t)st.series_created,
        "queue_depth_bytes", (json_int_t)ss.spool_backlog_bytes, "commits", (json_int_t)ss.commits,
        "latency_p50_ms", st.latency_p50_ms, "latency_p99_ms", st.latency_p99_ms, "failed",
        ss.failed, "last_error", ss.last_error);
    json_t *ents = json_array();
    /* each enterprise's counters, then its rejections by reason */
    ingest_enterprise_count *ec = calloc(1024, sizeof *ec);
    size_t nec = ec ? ingest_enterprise_counts(g, ec, 1024) : 0;
    for (size_t i = 0; i < nec; i++)
        json_array_append_new(
            ents, json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:{}}", "enterprise", ec[i].enterprise,
                            "messages", (json_int_t)ec[i].messages, "messages_rejected",
                            (json_int_t)ec[i].messages_rejected, "readings",
                            (json_int_t)ec[i].readings, "points", (json_int_t)ec[i].points,
                            "readings_rejected", (json_int_t)ec[i].readings_rejected,
                            "last_message_ms", (json_int_t)ec[i].last_message_ms, "rejected"));
    free(ec);
    /* rejections by enterprise and reason */
    for (size_t i = 0; i < st.n_rejects; i++) {
        const ingest_reject_count *rc = &st.rejects[i];
        json_t *e = NULL;
        size_t k;
        json_t *x;
        json_array_foreach(ents, k, x) {
            if (!strcmp(json_string_value(json_object_get(x, "enterprise")), rc->enterprise)) e = x;
        }
        if (!e) {
            e = json_pack("{s:s,s:{}}", "enterprise", rc->enterprise, "rejected");
            json_array_append_new(ents, e);
        }
        /* every rejection under its reason: whole messages and single
         * readings (counted apart in /metrics) */
        json_object_set_new(json_object_get(e, "rejected"), rc->reason,
                            json_integer((json_int_t)(rc->messages + rc->readings)));
    }
    json_object_set_new(o, "enterprises", ents);
    json_object_set_new(o, "spool_blocked", json_boolean(ss.spool_blocked));
    json_object_set_new(o, "store_blocked", json_boolean(ss.store_blocked));
    json_object_set_new(o, "store_retries", json_integer((json_int_t)ss.store_retries));
    json_object_set_new(o, "broker_session_takeovers",
                        json_integer((json_int_t)ss.session_takeovers));
    if (ss.spool_blocked) {
        json_object_set_new(o, "spool_error", json_string(ss.spool_error));
        json_object_set_new(o, "spool_blocked_since_ms",
                            json_integer((json_int_t)ss.spool_blocked_since_ms));
    }
    if (ss.store_blocked) {
        json_object_set_new(o, "store_error", json_string(ss.store_error));
        json_object_set_new(o, "store_blocked_since_ms",
                            json_integer((json_int_t)ss.store_blocked_since_ms));
    }
    return o;
}

static json_t *api_dead_letters(void *ctx) {
    ingest *g = ingest_service_pipeline(ctx);
    ingest_dead_letter *v = calloc(1024, sizeof *v);
    size_t n = v ? ingest_dead_letters(g, v, 1024) : 0;
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(
            a, json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:I,s:b}", "recv_ms", (json_int_t)v[i].recv_ms,
                         "topic", v[i].topic, "enterprise", v[i].enterprise, "reason", v[i].reason,
                         "message", v[i].message, "excerpt", v[i].excerpt, "payload_bytes",
                         (json_int_t)v[i].payload_len, "whole_message", v[i].whole_message));
    free(v);
    return a;
}

static json_t *api_devices(void *ctx) {
    ingest *g = ingest_service_pipeline(ctx);
    size_t cap = 65536;
    ingest_device *v = calloc(cap, sizeof *v);
    size_t n = v ? ingest_devices(g, v, cap) : 0;
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_pack("{s:s,s:s,s:b,s:I}", "enterprise", v[i].enterprise,
                                           "device", v[i].device, "online", v[i].online, "since_ms",
                                           (json_int_t)v[i].since_ms));
    free(v);
    return a;
}

static char *api_ingest_metrics(void *ctx) {
    ingest_service *svc = ctx;
    ingest_service_stats ss;
    ingest_stats st;
    ingest_service_get_stats(svc, &ss);
    ingest_get_stats(ingest_service_pipeline(svc), &st);
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    if (!f) return NULL;
    fprintf(f,
            "# HELP parkwatch_ingest_messages_total MQTT messages handled.\n"
            "# TYPE parkwatch_ingest_messages_total counter\n"
            "parkwatch_ingest_messages_total %llu\n"
            "# HELP parkwatch_ingest_points_total Points stored.\n"
            "# TYPE parkwatch_ingest_points_total counter\nparkwatch_ingest_points_total %llu\n"
            "# HELP parkwatch_ingest_points_overwritten_total Readings overwritten by a later "
            "one of the same message (same series and time).\n"
            "# TYPE parkwatch_ingest_points_overwritten_total counter\n"
            "parkwatch_ingest_points_overwritten_total %llu\n"
            "# HELP parkwatch_ingest_readings_rejected_total Readings rejected.\n"
            "# TYPE parkwatch_ingest_readings_rejected_total counter\n"
            "parkwatch_ingest_readings_rejected_total %llu\n"
            "# HELP parkwatch_ingest_queue_bytes Spooled bytes not yet stored.\n"
            "# TYPE parkwatch_ingest_queue_bytes gauge\nparkwatch_ingest_queue_bytes %llu\n"
            "# HELP parkwatch_ingest_broker_connected 1 while connected to the broker.\n"
            "# TYPE parkwatch_ingest_broker_connected gauge\n"
            "parkwatch_ingest_broker_connected %d\n"
            "# HELP parkwatch_ingest_broker_session_takeovers_total Times another client took "
            "over parkd's broker session.\n"
            "# TYPE parkwatch_ingest_broker_session_takeovers_total counter\n"
            "parkwatch_ingest_broker_session_takeovers_total %llu\n"
            "# HELP parkwatch_ingest_latency_ms Publish-to-durable latency quantiles.\n"
            "# TYPE parkwatch_ingest_latency_ms gauge\n"
            "parkwatch_ingest_latency_ms{quantile=\"0.5\"} %.3f\n"
            "parkwatch_ingest_latency_ms{quantile=\"0.99\"} %.3f\n"
            "# HELP parkwatch_ingest_rejected_messages_total Rejected messages by enterprise and "
            "reason.\n"
            "# TYPE parkwatch_ingest_rejected_messages_total counter\n",
            (unsigned long long)st.messages, (unsigned long long)st.points,
            (unsigned long long)st.points_overwritten, (unsigned long long)st.readings_rejected,
            (unsigned long long)ss.spool_backlog_bytes, ss.connected ? 1 : 0,
            (unsigned long long)ss.session_takeovers, st.latency_p50_ms, st.latency_p99_ms);
    for (size_t i = 0; i < st.n_rejects; i++)
        fprintf(f,
                "parkwatch_ingest_rejected_messages_total{enterprise=\"%s\",reason=\"%s\"} "
                "%llu\n",
                st.rejects[i].enterprise, st.rejects[i].reason,
                (unsigned long long)st.rejects[i].messages);
    fputs("# HELP parkwatch_ingest_rejected_readings_total Readings rejected one by one, by "
          "enterprise and reason.\n"
          "# TYPE parkwatch_ingest_rejected_readings_total counter\n",
          f);
    for (size_t i = 0; i < st.n_rejects; i++)
        fprintf(f,
                "parkwatch_ingest_rejected_readings_total{enterprise=\"%s\",reason=\"%s\"} "
                "%llu\n",
                st.rejects[i].enterprise, st.rejects[i].reason,
                (unsigned long long)st.rejects[i].readings);
    fclose(f);
    return out;
}

/* HTTP ingest (api.h): the service's submit, its reasons mapped to the
 * API's three classes. Waits at most 10 s for the historian. */
static int api_submit(void *ctx, const char *topic, const char *precision, const void *body,
                      size_t len, api_submit_result *out, char *err, size_t errcap) {
    ingest_submit_result res;
    char e[256];
    memset(out, 0, sizeof *out);
    err[0] = 0;
    ingest_lp_precision p = INGEST_LP_MS;
    if (precision && ingest_lp_precision_parse(precision, &p) != 0) {
        snprintf(err, errcap, "invalid: precision must be ns, u, ms, s, m or h");
        return -1;
    }
    if (ingest_service_submit_prec(ctx, topic, body, len, precision ? (int)p : -1, 10000, &res, e,
                                   sizeof e) != 0) {
        snprintf(err, errcap, "%s: %s", !strncmp(e, "invalid", 7) ? "invalid" : "unavailable", e);
        return -1;
    }
    out->accepted = res.readings_accepted, out->rejected = res.readings_rejected;
    out->overwritten = res.points_overwritten;
    out->lines_rejected = res.lines_rejected;
    out->n_bad_lines = res.n_bad_lines < API_BAD_LINES_MAX ? res.n_bad_lines : API_BAD_LINES_MAX;
    memcpy(out->bad_lines, res.bad_lines, out->n_bad_lines * sizeof *out->bad_lines);
    if (res.message_rejected) {
        snprintf(err, errcap, "rejected: %s: %s", res.first_reason, res.first_message);
        return -1;
    }
    if (res.readings_rejected) snprintf(err, errcap, "%s: %s", res.first_reason, res.first_message);
    return 0;
}

/* The enterprises for the API's InfluxDB side (api.h): their ids. */
static json_t *api_enterprises(void *ctx) {
    ingest_enterprise_count *ec = calloc(PARKD_MAX_ENTERPRISES, sizeof *ec);
    size_t n =
        ec ? ingest_enterprise_counts(ingest_service_pipeline(ctx), ec, PARKD_MAX_ENTERPRISES) : 0;
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(a, json_string(ec[i].enterprise));
    free(ec);
    return a;
}

/* The API from the config's "api" object; none without it. */
/* A module's line for parkd's log. */
static void say_line(const char *line) {
    fprintf(stderr, "parkd: %s\n", line);
}

/* The API's lines (it never prints itself). */
static void api_log(void *ctx, const char *line) {
    (void)ctx;
    fprintf(stderr, "parkd api: %s\n", line);
}

/* The command of incidents (command/, issue 22) over the event store, its
 * plans from the config's emergency.plans (a JSON file; none: no plan is
 * ever proposed). 0, or -1 with err naming the file and the fault. */
static int parkd_command_open(json_t *cfg, ev_store *events, command **out, char *err,
                              size_t errcap) {
    *out = NULL;
    if (!events) return 0;
    const json_t *pv = json_object_get(cfg, "plans");
    if (pv && !json_is_string(pv)) {
        snprintf(err, errcap, "emergency.plans: the path of a plans file");
        return -1;
    }
    char *text = NULL;
    const char *path = json_string_value(pv);
    if (path) {
        FILE *f = fopen(path, "rb");
        long n = -1;
        if (f && fseek(f, 0, SEEK_END) == 0) n = ftell(f);
        if (!f || n < 0 || n > 4 * 1024 * 1024 || fseek(f, 0, SEEK_SET) != 0 ||
            !(text = calloc(1, (size_t)n + 1)) || fread(text, 1, (size_t)n, f) != (size_t)n) {
            snprintf(err, errcap, "emergency.plans: cannot read %s (at most 4 MiB)", path);
            if (f) fclose(f);
            free(text);
            return -1;
        }
        fclose(f);
    }
    int rc = command_open(events, text, path, out, err, errcap);
    free(text);
    return rc;
}

/* The dispatcher's "camera" events (parkd_events.h) to the cameras module. */
static int take_camera_event(void *module, const char *source, json_t *ev, int64_t recv_ms,
                             char *why, size_t whycap) {
    return cameras_take_event(module, source, ev, recv_ms, why, whycap);
}

static int start_api(const parkd_config *c, hist *h, alert_engine *alarms, const geo_layout *layout,
                     views *vw, health_monitor *health, const char *manual_rules,
                     ingest_service *svc, api_server **out, char *err, size_t errcap) {
    *out = NULL;
    if (!c->has_api) return 0;
    api_options o = c->api;
    /* in the data directory unless given (--data may have moved it) */
    static char tokens[PATH_MAX], audit[PATH_MAX];
    snprintf(tokens, sizeof tokens, "%s/tokens.json", c->data_dir);
    snprintf(audit, sizeof audit, "%s/audit.log", c->data_dir);
    if (!o.token_file) o.token_file = tokens;
    if (!o.audit_log) o.audit_log = audit;
    o.log = api_log;
    o.historian = h;
    o.alarms = alarms;
    o.layout = layout;
    o.views = vw;
    o.backup_dir = c->backup_dir[0] ? c->backup_dir : NULL;
    o.enterprises = c->ent_names;
    o.n_enterprises = c->n_ents;
    o.health = health;
    o.manual_rules_file = manual_rules;
    o.ingest = (api_ingest){.ctx = svc,
                            .status = api_ingest_status,
                            .dead_letters = api_dead_letters,
                            .devices = api_devices,
                            .metrics = api_ingest_metrics,
                            .submit = api_submit,
                            .enterprises = api_enterprises};
    return api_start(&o, out, err, errcap);
}

int main(int argc, char **argv) {
    const char *config_path = NULL, *data = NULL, *broker = NULL, *stats_file = NULL;
    bool quiet = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--config") && i + 1 < argc)
            config_path = argv[++i];
        else if (!strcmp(argv[i], "--data") && i + 1 < argc)
            data = argv[++i];
        else if (!strcmp(argv[i], "--broker") && i + 1 < argc)
            broker = argv[++i];
        else if (!strcmp(argv[i], "--stats-file") && i + 1 < argc)
            stats_file = argv[++i];
        else if (!strcmp(argv[i], "--quiet"))
            quiet = true;
        else if (!strcmp(argv[i], "--routes")) {
            char *routes = api_routes_describe();
            if (!routes) return 1;
            puts(routes);
            free(routes);
            return 0;
        } else
            usage();
    }
    if (!config_path) usage();
    /* Ingest allocates and frees many medium buffers a second; keep glibc
     * from returning memory to the kernel and faulting it back each time. */
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    static parkd_config c;
    char cerr[PATH_MAX + 256];
    if (parkd_config_load(config_path, &c, cerr, sizeof cerr) != 0) {
        fprintf(stderr, "%s: %s\n", prog, cerr);
        parkd_config_free(&c);
        return 1;
    }
    if (data) c.data_dir = data;
    if (stats_file) c.stats_file = stats_file;
    char host[256];
    if (broker) {
        const char *colon = strrchr(broker, ':');
        if (!colon || colon == broker || (size_t)(colon - broker) >= sizeof host) usage();
        snprintf(host, sizeof host, "%.*s", (int)(colon - broker), broker);
        c.svc.host = host;
        c.svc.port = atoi(colon + 1);
    }
    c.svc.log_level = quiet ? 0 : 1;

    /* Signals go to a sigwait loop here, never to the worker threads. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (mkdir(c.data_dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "%s: cannot create %s: %s\n", prog, c.data_dir, strerror(errno));
        return 1;
    }
    geo_layout *layout = NULL;
    if (c.n_layout) {
        const char *paths[16];
        for (size_t i = 0; i < c.n_layout; i++) paths[i] = c.layout[i];
        geo_problems p = {0};
        if (geo_load(paths, c.n_layout, &c.geo, &layout, &p) != 0) {
            for (size_t i = 0; i < p.n; i++)
                fprintf(stderr, "%s: layout: %s: %s: %s\n", prog, p.v[i].file,
                        p.v[i].feature[0] ? p.v[i].feature : "-", p.v[i].message);
            geo_problems_free(&p);
            return 1;
        }
        if (!quiet)
            fprintf(stderr, "%s: layout: %zu features, %zu gas detectors, projected to %s\n", prog,
                    geo_count_all(layout), geo_count(layout, GEO_GAS_DETECTOR),
                    geo_metric_crs(layout));
    }
    char hist_dir[PATH_MAX], spool_dir[PATH_MAX];
    snprintf(hist_dir, sizeof hist_dir, "%s/historian", c.data_dir);
    snprintf(spool_dir, sizeof spool_dir, "%s/spool", c.data_dir);
    hist *h;
    hist_error he;
    if (hist_open(hist_dir, &c.hist, &h, &he) != HIST_OK) {
        fprintf(stderr, "%s: historian: %s\n", prog, he.msg);
        return 1;
    }
    c.svc.pipeline.historian = h;
    /* Alarms: evaluated on every stored point, journalled in DATA/alarms. */
    char alarm_dir[PATH_MAX + 16];
    snprintf(alarm_dir, sizeof alarm_dir, "%s/alarms", c.data_dir);
    alert_engine *alarms = NULL;
    static alarm_ctx actx;
    actx.quiet = quiet;
    char aerr[512];
    static char manual_rules[PATH_MAX + 64];
    snprintf(manual_rules, sizeof manual_rules, "%s/manual-rules.json", alarm_dir);
    /* closed-park, special-work and camera conditions made alarms (issue 21) */
    parkd_conditions *conditions = NULL;
    parkd_alarm_setup setup = {.historian = h,
                               .layout = layout,
                               .rules = c.alarm_rules,
                               .limits = c.limits,
                               .units = c.units,
                               .hazard_margin_m = c.hazard_margin_m,
                               .derive = c.derive_rules,
                               .manual_rules_file = manual_rules,
                               .ents = c.ents,
                               .n_ents = c.n_ents,
                               .conditions_dir = alarm_dir,
                               .conditions = &conditions};
    parkd_alarm_counts counts;
    if (alert_open(alarm_dir, &alarms, aerr, sizeof aerr) != 0 ||
        alert_subscribe(alarms, notify_alarm, &actx) != 0 ||
        (setup.alarms = alarms, parkd_setup_alarms(&setup, &counts, aerr, sizeof aerr)) != 0) {
        fprintf(stderr, "%s: alarms: %s\n", prog, aerr);
        alert_close(alarms);
        hist_close(h, &he);
        return 1;
    }
    c.svc.pipeline.alerts = alarms;
    if (c.webhook && alert_webhook_start(c.webhook, 0, &actx.webhook, aerr, sizeof aerr) != 0) {
        fprintf(stderr, "%s: alarms: %s\n", prog, aerr);
        return 1;
    }
    /* notification (notify/): policies, rosters, escalation, channels */
    notify *notifier = NULL;
    if (parkd_notify_start(&c, alarms, &actx.svc, quiet, &notifier, aerr, sizeof aerr) != 0) {
        fprintf(stderr, "%s: %s\n", prog, aerr);
        return 1;
    }
    if (!quiet)
        fprintf(stderr,
                "%s: %zu alarm rules (%zu derived from the layout, %zu from the config, %zu limits "
                "set by hand); %zu series with their units\n",
                prog, alert_rule_count(alarms), counts.derived, counts.configured, counts.manual,
                counts.series_with_units);
    /* Instrument health: the stuck models learned from history, drift,
     * the online and completeness figures. */
    health_series_interval *intervals = calloc(c.n_ents + 1, sizeof *intervals);
    char(*prefixes)[72] = calloc(c.n_ents + 1, sizeof *prefixes);
    health_options ho = c.health;
    ho.historian = h, ho.alarms = alarms, ho.layout = layout;
    for (size_t i = 0; intervals && prefixes && i < c.n_ents; i++)
        if (c.ents[i].interval_ms > 0) {
            snprintf(prefixes[ho.n_intervals], sizeof prefixes[0], "%s/", c.ents[i].id);
            intervals[ho.n_intervals++] =
                (health_series_interval){prefixes[ho.n_intervals], c.ents[i].interval_ms};
        }
    ho.intervals = intervals;
    health_monitor *health = NULL;
    if (!intervals || !prefixes || health_open(&ho, &health, aerr, sizeof aerr) != 0) {
        fprintf(stderr, "%s: health: %s\n", prog, intervals ? aerr : "out of memory");
        return 1;
    }
    c.svc.spool_dir = spool_dir;
    ingest_service *svc;
    char err[256];
    /* Closed-park management and special work (issue 21, docs/closed-park.md):
     * the event store, then the modules that judge events and positions,
     * each registering its event types (and closedpark its observer)
     * before the ingest service starts. */
    static parkd_events pev;
    if (parkd_events_open(&pev, c.data_dir, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", prog, err);
        hist_close(h, &he);
        return 1;
    }
    json_t *evc = json_object_get(c.root, "events");
    json_t *rd = json_object_get(evc, "retention_days");
    if ((evc && !json_is_object(evc)) ||
        (rd &&
         (!json_is_integer(rd) || json_integer_value(rd) < 0 || json_integer_value(rd) > 36500))) {
        fprintf(stderr,
                "%s: events.retention_days is a whole number of days, 0 (keep all) to "
                "36500\n",
                prog);
        return 1;
    }
    int64_t ev_retention_ms = (rd ? json_integer_value(rd) : 400) * 86400000LL;
    c.svc.on_events = parkd_events_mqtt, c.svc.events_sync = parkd_events_sync;
    c.svc.events_ctx = &pev;
    c.api.events = pev.store;
    c.api.events_take = parkd_events_http, c.api.events_take_ctx = &pev;
    /* ---- issue 21: closedpark ---- */
    /* gates, appointments, vehicles and zones (closedpark/): off without a
     * layout (its routes answer 503); its observer sees positions as
     * ingest stores them */
    parkd_closedpark *cpk = NULL;
    if (parkd_closedpark_open(&c, layout, &pev, conditions, &cpk, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", prog, err);
        hist_close(h, &he);
        return 1;
    }
    /* ---- issue 21: specialwork and cameras ---- their conditions made alarms */
    parkd_specialwork *psw = NULL;
    cameras *cams = NULL;
    if (parkd_specialwork_open(pev.store, json_object_get(c.root, "specialwork"),
                               parkd_conditions_set, conditions, &psw, err, sizeof err) != 0 ||
        parkd_cameras_open(c.data_dir, pev.store, layout, parkd_conditions_set, conditions, &cams,
                           err, sizeof err) != 0 ||
        (cams && parkd_events_register(&pev, "camera", take_camera_event, cams) != 0)) {
        fprintf(stderr, "%s: %s\n", prog, err);
        return 1;
    }
    c.api.specialwork = parkd_specialwork_module(psw), c.api.cameras = cams;
    /* ---- issue 22: contingency plans and the command of incidents ---- */
    command *cmd = NULL;
    if (parkd_command_open(json_object_get(c.root, "emergency"), pev.store, &cmd, err,
                           sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", prog, err);
        return 1;
    }
    c.api.command = cmd;
    if (ingest_service_start(&c.svc, &svc, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", prog, err);
        hist_close(h, &he);
        return 1;
    }
    if (!quiet) {
        char port[16] = ""; /* none for a unix socket */
        if (c.svc.host[0] != '/') snprintf(port, sizeof port, ":%d", c.svc.port);
        fprintf(stderr, "%s: data in %s, %zu enterprises, broker %s%s\n", prog, c.data_dir,
                c.n_ents, c.svc.host, port);
    }

    actx.svc = svc;
    /* The views (risk, environment, emergency) over the layout; incidents
     * journalled in DATA/incidents.jsonl. */
    views *vw = NULL;
    if (layout) {
        views_options vo = c.views;
        char inc[PATH_MAX + 32];
        snprintf(inc, sizeof inc, "%s/incidents.jsonl", c.data_dir);
        vo.historian = h, vo.alarms = alarms, vo.layout = layout, vo.incident_file = inc;
        vo.roads = parkd_closedpark_roads(cpk); /* issue 22: the response's routes */
        if (views_open(&vo, &vw, err, sizeof err) != 0) {
            fprintf(stderr, "%s: %s\n", prog, err);
            ingest_service_free(svc);
            alert_close(alarms);
            hist_close(h, &he);
            return 1;
        }
    }
    /* hidden hazards (hazards/): the register in DATA/hazards, for the API */
    hazards *hz = NULL;
    if (parkd_hazards_open(&c, &hz, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", prog, err);
        views_close(vw);
        ingest_service_free(svc);
        alert_close(alarms);
        hist_close(h, &he);
        return 1;
    }
    c.api.hazards = hz;
    /* shift handover records: only the API uses them */
    handover_store *handover = NULL;
    if (c.has_api) {
        char hdir[PATH_MAX + 16];
        snprintf(hdir, sizeof hdir, "%s/handover", c.data_dir);
        if (handover_open(hdir, &handover, err, sizeof err) != 0)
            fprintf(stderr, "%s: %s (shift handover refused)\n", prog, err);
    }
    /* risk units (riskunits/): DATA/riskunits, the config's "risk_units" */
    parkd_riskunits *rku = NULL;
    size_t ru_imported = 0;
    if (parkd_riskunits_open(c.data_dir, json_object_get(c.root, "risk_units"), &rku, &ru_imported,
                             err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", prog, err);
        return 1;
    }
    if (!quiet)
        fprintf(stderr, "%s: %zu risk units (%zu imported)\n", prog,
                riskunits_count(parkd_riskunits_store(rku)), ru_imported);
    c.api.riskunits = parkd_riskunits_store(rku);
    api_server *api = NULL;
    c.api.handover = handover, c.api.notify = notifier;
    if (start_api(&c, h, alarms, layout, vw, health, manual_rules, svc, &api, err, sizeof err) !=
        0) {
        fprintf(stderr, "%s: %s\n", prog, err);
        handover_close(handover);
        parkd_riskunits_close(rku);
        hazards_close(hz); /* hidden hazards */
        views_close(vw);
        ingest_service_free(svc);
        alert_close(alarms);
        hist_close(h, &he);
        return 1;
    }
    if (api && !quiet) fprintf(stderr, "%s: api on port %d\n", prog, api_port(api));
    int rc = 0, ticks = 0;
    bool stale_held = false;
    for (;;) {
        struct timespec one_second = {1, 0};
        struct timespec short_wait = {0, 200000000}; /* stale data and delays, 5 times a second */
        (void)one_second;
        int sig = sigtimedwait(&sigs, NULL, &short_wait);
        int64_t now_ms = pw_wall_ms();
        /* No data path, no stale alarms: one cause (said in the log and by
         * /healthz), not one alarm per sensor a minute later. */
        ingest_service_stats path;
        ingest_service_get_stats(svc, &path);
        bool held = !path.connected || path.spool_blocked || path.store_blocked;
        if (held != stale_held && !quiet)
            fprintf(stderr, "%s: %s\n", prog,
                    held ? "data path down (broker lost or storage refusing): stale-data alarms "
                           "held"
                         : "data path back: stale-data alarms watch again, from now");
        stale_held = held;
        alert_hold_stale(alarms, held, now_ms);
        alert_tick(alarms, now_ms);
        if (notifier) notify_tick(notifier, now_ms); /* escalation, quiet hours, floods */
        char herr[256];
        if (health_tick(health, now_ms, herr, sizeof herr) != 0 && !quiet)
            fprintf(stderr, "%s: health: %s\n", prog, herr);
        /* risk units: live levels every 5 s */
        parkd_riskunits_tick(rku, alarms, hz, now_ms, quiet ? NULL : say_line);
        parkd_closedpark_tick(cpk, now_ms); /* closed park: stopped, overstay, expiry */
        parkd_specialwork_tick(psw, alarms, layout, vw, now_ms); /* issue 21: specialwork */
        parkd_cameras_tick(cams, now_ms);                        /* issue 21: cameras */
        /* The stats file every tick: benches time a run's end by it (once a
         * second made that ±1 s on a 10 s run). */
        if (c.stats_file) write_stats_file(svc, c.stats_file);
        if (sig < 0 && ++ticks % 5) continue; /* the rest once a second */
        /* The event store's retention: the config's "events.retention_days"
         * (default 400: permits are kept at least a year, ref. GB 30871
         * Annex B.3), a bounded step a second. */
        if (pev.store && ev_retention_ms > 0) {
            char eerr[128];
            if (ev_retain(pev.store, now_ms - ev_retention_ms, 20000, NULL, eerr, sizeof eerr) !=
                    EV_OK &&
                !quiet)
                fprintf(stderr, "%s: event store retention: %s\n", prog, eerr);
        }
        if (sig == SIGUSR1) write_stats(svc, stderr);
        if (sig == SIGTERM || sig == SIGINT) break;
        ingest_service_stats ss;
        ingest_service_get_stats(svc, &ss);
        if (ss.failed) {
            fprintf(stderr, "%s: ingest failed: %s\n", prog, ss.last_error);
            rc = 2;
            break;
        }
    }
    if (!quiet) fprintf(stderr, "%s: stopping\n", prog);
    api_stop(api);     /* no queries while the historian closes */
    hazards_close(hz); /* hidden hazards: after the API, its only user */
    /* issue 21: specialwork, cameras: after the API, which reads them */
    parkd_specialwork_close(psw);
    cameras_close(cams);
    command_close(cmd); /* issue 22: after the API, its only user */
    handover_close(handover);
    /* risk units (riskunits/): after the API, which reads them */
    parkd_riskunits_close(rku);
    parkd_notify_stop(notifier, alarms); /* its MQTT channels publish through svc */
    views_close(vw);
    health_close(health);
    free(intervals);
    free(prefixes);
    if (ingest_service_stop(svc) != 0 && rc == 0) rc = 2;
    if (c.stats_file) write_stats_file(svc, c.stats_file); /* the final counts */
    actx.svc = NULL;
    ingest_service_free(svc);
    /* closed park: after its callers, before its store and conditions */
    parkd_closedpark_close(cpk);
    parkd_events_close(&pev); /* after the ingest service and the API, its writers */
    parkd_conditions_close(conditions);
    alert_close(alarms);
    alert_webhook_stop(actx.webhook);
    if (hist_close(h, &he) != HIST_OK) {
        fprintf(stderr, "%s: closing the historian: %s\n", prog, he.msg);
        rc = 2;
    }
    geo_close(layout);
    parkd_config_free(&c);
    return rc;
}
