/*
 * internal.h - what the files of api/ share; not a public header (api.h is).
 *
 * One request is one req (allocated on its first callback, freed by
 * libmicrohttpd's completion notification). Answers are built whole in
 * memory (bounded by the query limits) and handed to libmicrohttpd, except
 * the event streams (stream.c). Every stream field is guarded by the
 * server's streams lock.
 *
 * The files, by concern:
 *   server.c         start, stop, libmicrohttpd's callbacks
 *   router.c         the route table's walk: path parameters, authentication,
 *                    rate limit, 404/405, the capability check
 *   routes.c         THE route table: every endpoint, its method, path,
 *                    capability, handler and metric label, in one place
 *   access.c         who may do what: the role x capability matrix, scope
 *                    rules (what a token sees), the audit log, rate limits
 *   respond.c        answers: JSON, errors, buffers
 *   request.c        a request's parameters (numbers via params.c) and body
 *   stream.c         server-sent event streams and their pump thread
 *   static.c         the dashboard's files
 *   metrics.c        /healthz and /metrics
 *   routes_*.c       the handlers, one file per resource
 *   params.c         request numbers (pure); guard.c the head deadline;
 *   tickets.c        stream tickets; token.c tokens; backup.c backups
 */
#ifndef PARKWATCH_API_INTERNAL_H
#define PARKWATCH_API_INTERNAL_H

#include "api/api.h"
#include "api/guard.h"
#include "api/params.h"
#include "api/tickets.h"

#include "promql/promql.h"

#include "common/clock.h"
#include "common/jsonfmt.h"
#include "common/numfmt.h"
#include "common/textbuf.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

extern const unsigned char api_openapi_json[];
extern const size_t api_openapi_json_len;

#define PREFIX          "/api/v1"
#define STREAM_PEND_MAX (4u << 20) /* a stream further behind than this is closed */
#define HEARTBEAT_MS    15000
#define N_LAT_BUCKETS   10
extern const double api_lat_bounds_ms[N_LAT_BUCKETS];

typedef struct route_stats {
    atomic_uint_fast64_t requests, errors_4xx, errors_5xx, sum_us;
    atomic_uint_fast64_t le[N_LAT_BUCKETS + 1]; /* the last is +Inf */
} route_stats;

/* route_stats summed over rows (plain integers: a reader's copy) */
typedef struct route_stats_sum {
    uint64_t requests, errors_4xx, errors_5xx, sum_us;
    uint64_t le[N_LAT_BUCKETS + 1];
} route_stats_sum;

enum { ST_ALARMS, ST_LIVE, ST_REPLAY };

typedef struct replay_item {
    int64_t ts_ms;
    char *text; /* a whole SSE event */
} replay_item;

typedef struct stream stream;
struct stream {
    api_server *srv;
    struct MHD_Connection *conn;
    int fd; /* the client's socket, polled for a hang-up while suspended */
    int kind;
    api_token_info tok;
    char *pend;
    size_t pend_n, pend_off, pend_cap;
    bool suspended, done;
    stream *prev, *next;
    uint64_t event_id;
    int64_t last_beat_ms;
    /* live: the series watched and the last timestamp sent of each */
    uint32_t *ids;
    char **names;
    int64_t *sent_ts;
    size_t n_ids;
    int64_t interval_ms, next_poll_ms;
    /* replay: items in time order, played at speed from start */
    replay_item *items;
    size_t n_items, next_item;
    int64_t from_ms, to_ms;
    double speed, start_mono;
};

/* A rendered layer shared by the responses that send it. */
typedef struct shared_text {
    atomic_int refs;
    size_t len;
    char data[];
} shared_text;

/* Live layers are rendered at most every LAYER_TTL_MS per kind and scope
 * (values change at the sensors' 1 Hz): a command centre's wall of
 * clients polling the detector layer costs one rendering, not one each.
 * While one request renders, the others get the previous rendering. */
#define LAYER_TTL_MS 250
#define LAYER_SLOTS  64
typedef struct layer_slot {
    int kind; /* geo_kind + 1; 0: empty */
    bool values, slim;
    char scope[32]; /* the enterprise of an enterprise token, "" for park roles */
    shared_text *text;
    double built; /* mono_s */
    bool building;
} layer_slot;

/* Writes of one token summed over a minute for the audit log (access.c). */
#define AUDIT_WRITE_WINDOW_MS 60000
typedef struct audit_write_slot {
    api_token_info tok;
    char action[24];
    int64_t since_ms;
    uint64_t calls, bytes, accepted, rejected, overwritten;
} audit_write_slot;

typedef struct rate_slot {
    char id[17];
    double tokens;
    double last;
} rate_slot;

struct api_server {
    api_options o;
    char *listen, *tls_cert_pem, *tls_key_pem, *static_dir, *audit_path;
    char *backup_dir; /* backups go to backup_dir/NAME (api/backup.c) */
    struct MHD_Daemon *d;
    int port;
    api_token_store *tokens;
    route_stats *routes; /* per row of api_routes, then static files, then no route */
    atomic_uint_fast64_t rate_limited;
    api_guard *guard;     /* each request head's total time limit */
    api_tickets *tickets; /* ?ticket= for the event streams */
    atomic_uint_fast64_t streams_revoked, streams_hung_up, streams_refused;
    /* streams */
    pthread_mutex_t smu;
    stream *streams;
    size_t n_streams;
    bool stopping;
    pthread_t pump;
    pthread_cond_t pump_cv;
    bool pump_running;
    bool subscribed;
    /* rate limits per token */
    pthread_mutex_t rmu;
    rate_slot *rate;
    size_t n_rate;
    /* the audit log */
    pthread_mutex_t amu;
    FILE *audit;
    audit_write_slot *aw; /* under amu */
    size_t n_aw;
    pthread_mutex_t lmu;
    layer_slot layers[LAYER_SLOTS];
    atomic_uint_fast64_t layer_renders, layer_cache_hits;
    pq_engine *prom; /* the Prometheus query API (routes_prom.c) */
    /* the config's enterprises (api_copy_enterprises), names owned here */
    api_enterprise *ents;
    size_t n_ents;
    char *manual_rules_file;
    pthread_mutex_t mrmu; /* the manual rules file's writes */
    /* series name -> feature index, from the layout */
    char **fs_names;
    long *fs_feature;
    size_t fs_cap;
};

#define API_MAX_PATH_PARAMS 4

typedef struct req {
    api_server *srv;
    int route; /* a row of api_routes, or API_ROUTE_STATIC / API_ROUTE_NONE */
    /* the path's {parameters}, in the order of the pattern (NUL-terminated
     * copies in pbuf) */
    const char *param[API_MAX_PATH_PARAMS];
    char pbuf[512];
    bool have_tok;
    api_token_info tok;
    double t0;
    char *body;
    size_t body_n, body_cap;
    bool body_too_big;
    int status;
} req;

/* Series named by ?series=a,b,c or all of ?enterprise=E: ids and names
 * (names point into *keep or into the historian list's infos). */
typedef struct series_set {
    uint32_t *ids;
    char **names;
    size_t n;
    char *buf; /* the split list */
    hist_series_info *infos;
} series_set;

/* The alarm state of every series, worst first: for the layers. */
typedef struct series_alarm {
    uint32_t series;
    int priority;      /* of the most urgent annunciated alarm */
    alert_state state; /* its state */
    int active;        /* alarms of the series not in NORMAL */
    char kinds[96];
} series_alarm;

/* ---- the route table (routes.c) and the matrix (access.c) ---- */

/* What a route needs of a token. The matrix in access.c grants each role
 * its capabilities; a capability it does not list is denied to everyone. */
typedef enum api_cap {
    API_CAP_PUBLIC = 0,  /* no token at all: health, the OpenAPI document */
    API_CAP_READ,        /* read what the token's scope sees */
    API_CAP_METRICS,     /* the server's own figures (/metrics) */
    API_CAP_ALARM_ACT,   /* acknowledge, shelve, unshelve */
    API_CAP_INCIDENT,    /* open and close incidents */
    API_CAP_INGEST,      /* write readings over HTTP */
    API_CAP_BACKUP,      /* take backups */
    API_CAP_ALARM_RULES, /* set a rule's limit by hand */
    API_CAP_HANDOVER,    /* sign and answer shift handovers */
    /* risk units (riskunits/) */
    API_CAP_RISK_UNITS, /* create, replace and import risk units (an enterprise: its own) */
    /* hidden hazards (hazards/) */
    API_CAP_HAZARD,    /* report, assign, rectify, verify, reject, close, attach */
    API_CAP_SUPERVISE, /* put a hazard under supervision (the regulator) */
    /* ---- issue 21: closedpark ---- */
    API_CAP_APPOINTMENTS, /* book and cancel vehicle appointments (an enterprise: its own) */
    /* ---- issue 21: specialwork ---- */
    API_CAP_PERMITS, /* file permits, their gas tests and steps (an enterprise: its own) */
    API_CAP_COUNT
} api_cap;

enum { API_GET = 1, API_POST = 2 }; /* GET answers HEAD too */
#define API_ROUTE_STREAM 1u         /* an event stream: no latency figure */
/* Which forms of the token a route accepts besides "Authorization: Bearer":
 * BASIC also "Authorization: Basic base64(user:token)" (the token as the
 * password: what Grafana and Prometheus clients send); INFLUX everything an
 * InfluxDB 1.x client sends (Token, Bearer, Basic, ?u=&p= with p the token),
 * and its errors are InfluxDB's {"error": "..."} with X-Influxdb-Version. */
#define API_ROUTE_BASIC    2u
#define API_ROUTE_INFLUX   4u
#define API_ROUTE_PROM     8u       /* errors in Prometheus's shape: status, errorType, error */
#define API_INFLUX_VERSION "1.8.10" /* the InfluxDB whose write API this speaks */

typedef enum MHD_Result (*api_handler)(req *r, struct MHD_Connection *c);

typedef struct api_route {
    int method;
    const char *path; /* "/api/v1/layers/{kind}": {name} is one non-empty segment */
    api_cap cap;
    api_handler fn;
    const char *label; /* of the request metrics; rows may share one */
    unsigned flags;
} api_route;

extern const api_route api_routes[];
extern const size_t api_n_routes;
#define API_ROUTE_STATIC ((int)api_n_routes)     /* the dashboard's files */
#define API_ROUTE_NONE   ((int)api_n_routes + 1) /* no route matched */

const char *api_cap_name(api_cap cap);
/* Whether the matrix grants cap to role (false for any cap it lacks). */
bool api_cap_granted(api_role role, api_cap cap);
/* Whether a token of this role may call the route. */
bool api_route_permits(const api_route *rt, api_role role);
/* A route's metric label; idx may be API_ROUTE_STATIC or API_ROUTE_NONE. */
const char *api_route_label(int idx);
/* The route's flags; 0 for API_ROUTE_STATIC and API_ROUTE_NONE. */
unsigned api_route_flags(int idx);
/* The row naming url whatever the method, or API_ROUTE_NONE (for answers
 * given before the router runs: an oversized body). */
int api_route_of_url(const char *url);

/* router.c: the request's answer, by the route table */
enum MHD_Result api_dispatch(req *r, struct MHD_Connection *c, const char *url, const char *method);

/* ---- the files' shared functions ---- */

/* respond.c */
char *api_xstrdup(const char *s);
uint64_t api_hash_str(const char *s);
void api_series_enterprise(const char *series, char *out, size_t cap);
void api_tb_num(textbuf *b, double v);
void api_tb_num12(textbuf *b, double v);
void api_tb_int(textbuf *b, int64_t v);
enum MHD_Result api_queue_resp(req *r, struct MHD_Connection *c, int status,
                               struct MHD_Response *resp, const char *ctype, const char *cache,
                               bool nosniff);
enum MHD_Result api_send_buf(req *r, struct MHD_Connection *c, int status, const char *ctype,
                             char *body, size_t len);
enum MHD_Result api_send_sb(req *r, struct MHD_Connection *c, int status, const char *ctype,
                            textbuf *b);
enum MHD_Result api_send_json(req *r, struct MHD_Connection *c, int status, json_t *j);
void api_utf8_scrub(char *s);
enum MHD_Result api_send_error(req *r, struct MHD_Connection *c, int status, const char *code,
                               const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* request.c */
const char *api_arg(struct MHD_Connection *c, const char *name);
/* application/x-www-form-urlencoded text decoded: '+' is a space, %XX its
 * byte (a '%' without two hex digits stays as it is). src[0..n) into dst,
 * which may be src itself (the text only shrinks); returns the length. */
size_t api_form_unescape(char *dst, const char *src, size_t n);
bool api_parse_size(const char *s, size_t *out);
int api_want_enterprise(req *r, struct MHD_Connection *c, const char **ent, enum MHD_Result *sent);
int api_want_own_enterprise(req *r, struct MHD_Connection *c, const char **ent,
                            enum MHD_Result *sent);
int api_want_body_object(req *r, struct MHD_Connection *c, bool optional, json_t **out,
                         enum MHD_Result *sent);
int api_want_series(req *r, struct MHD_Connection *c, const char *name, uint32_t *id,
                    enum MHD_Result *sent);
bool api_want_csv(struct MHD_Connection *c);
int api_want_range_span(req *r, struct MHD_Connection *c, int64_t default_span, int64_t *from,
                        int64_t *to, enum MHD_Result *sent);
int api_want_range(req *r, struct MHD_Connection *c, int64_t *from, int64_t *to,
                   enum MHD_Result *sent);
void api_series_set_free(series_set *ss);
int api_want_series_set(req *r, struct MHD_Connection *c, series_set *ss, bool lenient,
                        enum MHD_Result *sent);

/* access.c */
bool api_scope_sees(const req *r, const char *enterprise, bool park_context);
bool api_scope_sees_series(const req *r, const char *series);
json_t *api_scope_filter(const req *r, json_t *arr);
void api_audit(api_server *s, const req *r, const char *action, json_t *detail);
/* An ingest call for the audit log: a token's first write of a minute, and
 * any write with rejected readings, get a line of their own; the others are
 * summed into one line for the token and the minute (written when the
 * minute is over, or at stop). A gateway posting ten batches a second then
 * costs the log a line a minute, not 600. */
void api_audit_write(api_server *s, const req *r, const char *action, const char *topic,
                     uint64_t bytes, uint64_t accepted, uint64_t rejected, uint64_t overwritten);
/* Writes every pending minute's line (api_stop); _stale only those whose
 * minute is over (the stream pump, once a second). */
void api_audit_flush(api_server *s);
void api_audit_flush_stale(api_server *s, int64_t now);
bool api_rate_ok(api_server *s, const char *id);
bool api_view_keep(void *ctx, const char *enterprise);
/* flags: the route's API_ROUTE_BASIC / API_ROUTE_INFLUX (0: Bearer only) */
bool api_authenticate(req *r, struct MHD_Connection *c, const char *url, unsigned flags);
/* base64 (RFC 4648, padded or not) of len bytes at in into out (cap bytes,
 * NUL-terminated); false when it is not base64 or does not fit. */
bool api_base64_decode(const char *in, size_t len, char *out, size_t cap);

/* stream.c */
void api_stream_end_locked(stream *st);
void api_stream_release(stream *st);
void api_tb_sse(textbuf *b, uint64_t id, const char *event, const char *data);
void api_on_alarm(const alert_event *e, const alert_rule *ru, void *ctx);
enum MHD_Result api_start_stream(req *r, struct MHD_Connection *c, stream *st, const char *first,
                                 size_t first_n);
void *api_pump_main(void *arg);
enum MHD_Result api_h_stream_ticket(req *r, struct MHD_Connection *c);

/* routes_prom.c: the engine of the Prometheus API, made at start */
int api_prom_start(api_server *s, char *err, size_t errcap);
/* routes_series.c: the layout kind of a series ("" or NULL: none) */
const char *api_series_kind(const api_server *s, const char *series);

/* static.c */
enum MHD_Result api_h_static(req *r, struct MHD_Connection *c, const char *url);

/* metrics.c */
enum MHD_Result api_h_health(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_metrics(req *r, struct MHD_Connection *c);

/* routes_series.c */
int api_index_layout(api_server *s);
enum MHD_Result api_h_series(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_raw(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_range(req *r, struct MHD_Connection *c);
void api_tb_values(textbuf *b, api_server *s, const series_set *ss, const hist_value *v);
void api_series_unit(api_server *s, uint32_t id, char *out, size_t cap);
/* A CSV field: as is, or quoted (RFC 4180) when it holds a comma, a quote
 * or a line break. */
void api_csv_field(const char *in, char *out, size_t cap);
enum MHD_Result api_h_last(req *r, struct MHD_Connection *c);
bool api_alarm_asked(const series_set *ss, const char *enterprise, const alert_rule *ru);
enum MHD_Result api_h_replay_state(req *r, struct MHD_Connection *c);

/* routes_alarms.c */
int api_cmp_series_alarm(const void *a, const void *b);
void api_tb_alarm(textbuf *b, const api_server *s, const alert_status *st, const alert_rule *ru);
enum MHD_Result api_h_alarms(req *r, struct MHD_Connection *c);
/* routes_assets.c: enterprises, instrument health, the monitoring check,
 * operators' limits */
int api_copy_enterprises(api_server *s, const api_enterprise *e, size_t n);
void api_free_enterprises(api_server *s);
/* The config's name of an enterprise id, or "" (never NULL). */
const char *api_enterprise_name(const api_server *s, const char *id);
void api_tb_rule_meta(textbuf *b, const api_server *s, const alert_rule *ru);
enum MHD_Result api_h_enterprises(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_health_figures(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_monitoring(req *r, struct MHD_Connection *c);
/* routes_handover.c: shift handover */
enum MHD_Result api_h_handovers(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_handover_sign(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_handover_draft(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_handover(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_handover_answer(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_rule_set(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_rules(req *r, struct MHD_Connection *c);
void api_tb_rule(textbuf *b, const api_server *s, const alert_status *st, const alert_rule *ru);
void api_tb_event(textbuf *b, const api_server *s, const alert_event *e, const alert_rule *ru);
enum MHD_Result api_h_journal(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_kpis(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_alarm_action(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_alarm_stream(req *r, struct MHD_Connection *c);

/* routes_layers.c */
enum MHD_Result api_h_layers(req *r, struct MHD_Connection *c);
void api_shared_release(void *cls);
enum MHD_Result api_h_layer(req *r, struct MHD_Connection *c);

/* routes_replay.c */
enum MHD_Result api_h_live_stream(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_replay_stream(req *r, struct MHD_Connection *c);

/* routes_ingest.c */
json_t *api_storage_state(api_server *s, json_t *st, bool *blocked, bool *degraded);
enum MHD_Result api_h_ingest_status(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_dead_letters(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_devices(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_ingest_post(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_admin_backup(req *r, struct MHD_Connection *c);
/* ---- issue 21: events (routes_events.c: the event store) ---- */
enum MHD_Result api_h_events(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_events_state(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_events_post(req *r, struct MHD_Connection *c);

/* routes_influx.c: InfluxDB 1.x compatibility */
enum MHD_Result api_h_influx_write(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_influx_query(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_influx_ping(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_aggregate(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_prom_query(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_prom_query_range(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_prom_series(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_prom_labels(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_prom_label_values(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_prom_metadata(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_prom_buildinfo(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_prom_exemplars(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_prom_rules(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_prom_export(req *r, struct MHD_Connection *c);
/* notification (notify/): routes_notify.c */
enum MHD_Result api_h_notify_deliveries(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_notify_oncall(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_notify_channels(req *r, struct MHD_Connection *c);
/* A line protocol precision name the ingest side knows (ns, n, u, us, ms, s, m, h). */
bool api_precision_ok(const char *p);

/* routes_views.c */
enum MHD_Result api_h_view_risk(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_view_source(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_view_aqi(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_view_idw(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_view_toxic(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_incidents(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_incident_open(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_incident(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_incident_close(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_threat_zones(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_plans(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_incident_command(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_incident_command_post(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_resources(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_resource_status(req *r, struct MHD_Connection *c);

/* risk units (riskunits/): routes_riskunits.c */
enum MHD_Result api_h_risk_units(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_risk_unit_put(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_risk_units_import(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_risk_units_map(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_risk_unit(req *r, struct MHD_Connection *c);
/* hidden hazards (hazards/): routes_hazards.c */
#define API_ROUTE_UPLOAD 16u /* a raw upload: the body limit is the register's attachment limit */
/* The body limit of a request to url: api_options.max_body_bytes, or for an
 * upload route the hazard register's attachment limit (server.c). */
size_t api_body_limit(const api_server *s, const char *url);
enum MHD_Result api_h_hazards(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_hazard_report(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_hazard(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_hazard_action(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_hazard_supervise(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_hazard_attach(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_hazard_attachment(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_hazard_stats(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_hazard_criteria(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_hazard_journal(req *r, struct MHD_Connection *c);
/* ---- issue 21: closedpark ---- routes_closedpark.c (closedpark/) */
enum MHD_Result api_h_appointments(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_appointment_add(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_appointment(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_appointment_cancel(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_vehicles(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_vehicle(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_vehicle_track(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_gate_passages(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_closedpark_summary(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_vehicle_park(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_zones(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_zone(req *r, struct MHD_Connection *c);

/* ---- issue 21: specialwork, cameras ---- */
/* special-work permits (specialwork/): routes_specialwork.c */
enum MHD_Result api_h_permits(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_permit_file(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_permits_map(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_permits_stats(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_permit(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_permit_gas_test(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_permit_action(req *r, struct MHD_Connection *c);
/* camera events (cameras/): routes_cameras.c */
enum MHD_Result api_h_cameras(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_camera_events(req *r, struct MHD_Connection *c);
enum MHD_Result api_h_camera_snapshot(req *r, struct MHD_Connection *c);

#endif
