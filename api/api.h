/*
 * api.h - the JSON API of parkd (libmicrohttpd + jansson): the one public
 * header of api/.
 *
 * Everything is under /api/v1 and described in api/openapi.json, which is
 * compiled in and served at /api/v1/openapi.json. /healthz and /metrics
 * (Prometheus text format) sit at the root; the dashboard's files, when a
 * static directory is given, are served at /.
 *
 * Access: every /api/v1 request but the OpenAPI document carries
 * "Authorization: Bearer <token>". Tokens live in a token file (created
 * and revoked with parkctl, see api_token_create), stored as SHA-256
 * hashes and compared in constant time. Roles:
 *   admin       everything
 *   operator    reads the whole park, acknowledges and shelves alarms
 *   regulator   reads the whole park, changes nothing, no ingest
 *   enterprise  reads and writes its own series, alarms, features and dead
 *               letters only, plus the park-level features (no enterprise)
 * Who may call what is one table (api/routes.c: each route's capability) and
 * one matrix (api/access.c: each role's capabilities; a capability it does
 * not list is denied). What a token may see is decided in one function
 * (api_scope_sees, access.c),
 * through which every endpoint passes each series, alarm, feature, device
 * and dead letter.
 *
 * Errors are JSON {"error": {"code": "<stable code>", "message": "..."}}
 * with the matching HTTP status. Query limits (points returned, time span,
 * body size) are options below; no query allocates beyond them.
 *
 * Ownership and threads: api_start borrows the historian, the alarm engine
 * and the layout (they must outlive the server) and copies the options'
 * strings. Requests run on libmicrohttpd's thread pool; server-sent event
 * streams are suspended connections woken by the alarm subscription and
 * by a pump thread (replay, live values, heartbeats). api_stop may be
 * called from any thread but one of the server's own.
 */
#ifndef PARKWATCH_API_H
#define PARKWATCH_API_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alerting/alerting.h"
#include "geo/geo.h"
#include "historian/historian.h"
#include "riskunits/riskunits.h"
#include "views/views.h"

/* ---- tokens ---- */

typedef enum api_role {
    API_ROLE_ADMIN = 0,
    API_ROLE_OPERATOR,
    API_ROLE_REGULATOR,
    API_ROLE_ENTERPRISE,
    API_ROLE_COUNT
} api_role;

const char *api_role_name(api_role r);
bool api_role_parse(const char *name, api_role *out);

#define API_TOKEN_MAX 96 /* a token's text with its NUL */

typedef struct api_token_info {
    char id[17]; /* 16 hex digits, public: names the token in lists and logs */
    api_role role;
    char enterprise[32]; /* API_ROLE_ENTERPRISE only, else "" */
    char name[64];       /* who or what holds it */
    int64_t created_ms;
    int64_t expires_ms; /* 0: never */
} api_token_info;

/* The token file is JSON, written atomically with mode 0600; it holds the
 * tokens' SHA-256 hashes, never the tokens. create makes a random token
 * ("pw_" + id + secret; shown once, here) and adds it to the file, creating
 * the file if needed; expires_ms is when it stops being accepted (ms since
 * 1970, wall clock; 0: never; a time not in the future is refused). revoke
 * removes the token with this id or name. */
int api_token_create(const char *path, api_role role, const char *enterprise, const char *name,
                     int64_t expires_ms, char token[API_TOKEN_MAX], api_token_info *info, char *err,
                     size_t errcap);
int api_token_revoke(const char *path, const char *id_or_name, char *err, size_t errcap);
/* Caller frees *out. */
int api_token_list(const char *path, api_token_info **out, size_t *n, char *err, size_t errcap);

/* The in-memory copy the server checks requests against; it rereads the
 * file when it changes (checked at most once a second), so tokens created
 * or revoked with parkctl take effect without a restart. Thread-safe. */
typedef struct api_token_store api_token_store;
int api_token_store_open(const char *path, api_token_store **out, char *err, size_t errcap);
/* 0 and *out filled when the token is valid, -1 otherwise (an expired
 * token is refused like an unknown one). */
int api_token_store_check(api_token_store *s, const char *token, api_token_info *out);
/* Whether the token with this id is still in the store (the file reread if
 * due, as for check) and not expired at now_ms. Thread-safe. For long-lived
 * requests (event streams) that must end when their token is revoked or
 * expires. */
bool api_token_store_valid(api_token_store *s, const char *id, int64_t now_ms);
void api_token_store_close(api_token_store *s);
/* Where the store says what goes wrong when it rereads the file (a line
 * without a newline); NULL (the default): nowhere. The API never prints. */
typedef void (*api_log_fn)(void *ctx, const char *line);
void api_token_store_set_log(api_token_store *s, api_log_fn log, void *ctx);

/* ---- ingest, as parkd provides it ----
 * The API does not depend on ingest/: parkd hands it these callbacks. Each
 * may be NULL (the endpoint then answers 503). JSON results are new
 * references the API releases. Arrays carry an "enterprise" member per
 * element; the API filters them by the caller's scope. */
#define API_BAD_LINES_MAX 16
typedef struct api_submit_result {
    size_t accepted, rejected; /* readings */
    size_t overwritten;        /* readings a later one of the body overwrote (same series, time) */
    size_t lines_rejected, n_bad_lines;  /* line protocol: lines with a rejection */
    size_t bad_lines[API_BAD_LINES_MAX]; /* the first n_bad_lines of them, 1-based */
} api_submit_result;

typedef struct api_ingest {
    void *ctx;
    /* {"connected", "messages", "points", ..., "queue_depth_bytes", "enterprises":
     * [{"enterprise", "messages", "readings", "points", "rejected": {reason: n}}]} */
    json_t *(*status)(void *ctx);
    json_t *(*dead_letters)(void *ctx); /* [{"enterprise", "reason", ...}], newest first */
    json_t *(*devices)(void *ctx);      /* [{"enterprise", "device", "online", "since_ms"}] */
    /* Prometheus text lines appended to /metrics; malloc'd, caller frees. */
    char *(*metrics)(void *ctx);
    /* Stores a payload as if enterprise's device had published it on
     * park/{enterprise}/{device}/data, line protocol timestamps in precision
     * ("ns", "u", "ms", "s", "m", "h"; NULL: the enterprise's, as over
     * MQTT); returns when it is durable (0, err then holds the first
     * rejected reading's reason, or ""), or -1 with a reason starting
     * "invalid:" (400), "unavailable:" (503) or "rejected: REASON:" (the
     * whole message; 422). *res counts the readings either way. */
    int (*submit)(void *ctx, const char *topic, const char *precision, const void *body, size_t len,
                  struct api_submit_result *res, char *err, size_t errcap);
    /* The configured enterprises' ids, a JSON array of strings (InfluxDB's
     * databases: /write's db=, SHOW DATABASES). */
    json_t *(*enterprises)(void *ctx);
} api_ingest;

/* ---- the server ---- */

/* An enterprise of the config: its names say who it is wherever the API
 * names it (alarm rows, GET /enterprises). */
typedef struct api_enterprise {
    const char *id, *name, *name_zh; /* name_zh may be NULL */
} api_enterprise;

struct health_monitor;

typedef struct api_options {
    const char *listen;             /* "HOST:PORT"; port 0 picks a free one (api_port) */
    bool allow_remote_http;         /* plain HTTP on a non-loopback address */
    const char *tls_cert, *tls_key; /* PEM files: HTTPS when both are set */
    const char *token_file;
    const char *static_dir; /* the dashboard, served at /; NULL: none */
    hist *historian;
    alert_engine *alarms;     /* may be NULL */
    const geo_layout *layout; /* may be NULL */
    views *views;             /* risk, environment, emergency; may be NULL */
    api_ingest ingest;
    unsigned threads;      /* default 2 */
    size_t max_points;     /* raw points or buckets a query returns; default 100,000 */
    int64_t max_span_ms;   /* of one query; default 400 days */
    size_t max_body_bytes; /* default 1 MiB */
    /* A gzip body (POST /write) may inflate to max_decompressed_bytes, or
     * when that is 0 to max_body_bytes x decompress_ratio (default 10);
     * beyond, 413, and never more memory than that. */
    unsigned decompress_ratio;
    size_t max_decompressed_bytes;
    size_t max_series_per_req;    /* default 1,000 */
    size_t max_streams;           /* concurrent SSE streams; default 64 */
    size_t max_streams_per_token; /* of them for one token; default 8 */
    size_t streams_reserved;      /* of them for admin and operator tokens only; default 8 */
    int64_t head_timeout_ms;      /* a request's head must arrive within; default 30 s */
    double rate_limit_per_s;      /* per token; 0 = none */
    const char *audit_log;        /* acknowledge/shelve/ingest lines appended; NULL: none */
    api_log_fn log;               /* the server's problems (a token file that cannot be
                                   * reread); NULL: not said */
    void *log_ctx;
    const char *backup_dir;            /* root of POST /api/v1/admin/backup's backups; NULL: none */
    const api_enterprise *enterprises; /* copied; may be NULL */
    size_t n_enterprises;
    struct health_monitor *health; /* instrument health (GET /health); may be NULL; borrowed */
    /* Where an operator's limits are kept (POST /alarms/rules/{rule}): a
     * JSON file parkd applies at start; NULL: manual limits are refused. */
    const char *manual_rules_file;
    /* shift handover (handover/) */
    struct handover_store *handover; /* records; NULL: handover refused (503); borrowed */
    /* risk units (riskunits/): the units and their four-colour map; may be
     * NULL (the routes then answer 503); borrowed */
    riskunits *riskunits;
    /* notification (notify/): deliveries, on call, channels; NULL: none
     * configured (empty lists); borrowed, outlives the server */
    struct notify *notify;
    /* hidden hazards (hazards/): the register of /api/v1/hazards; NULL: 503;
     * borrowed, must outlive the server */
    struct hazards *hazards;
    /* ---- closed-park management and special work (issue 21,
     * docs/closed-park.md); each NULL: its routes answer 503; borrowed ---- */
    struct ev_store *events; /* the event store (events/) */
    /* POST /events: parkd's dispatcher, the one MQTT's events take too
     * (tools/parkd_events.h). enterprise: the token's ("" park staff).
     * 0 taken; 400-499: refused, why says why; 500+: storage. */
    int (*events_take)(const char *enterprise, const char *body, size_t len, int64_t recv_ms,
                       char *why, size_t whycap, void *ctx);
    void *events_take_ctx;
    struct closedpark *closedpark;   /* gates, appointments, vehicles, zones */
    struct specialwork *specialwork; /* special-work permits */
    struct cameras *cameras;         /* camera events and snapshots */
    /* contingency plans and the command of incidents (command/, issue 22);
     * NULL: its routes answer 503; borrowed */
    struct command *command;
} api_options;

void api_options_default(api_options *o);

/* Applies an operator's limits kept in path (written by POST
 * /api/v1/alarms/rules/{rule}) to the engine's rules of the same series
 * and kind, as origin ALERT_ORIGIN_MANUAL: parkd calls it at start, after
 * the derived and configured rules. A missing file applies nothing.
 * *applied gets how many; 0, or -1 with err (the others still applied). */
int api_manual_rules_apply(const char *path, alert_engine *e, size_t *applied, char *err,
                           size_t errcap);

/* The route table and the role x capability matrix, as JSON (malloc'd;
 * NULL when out of memory): {"routes": [{"method", "path", "capability",
 * "label", "stream", "public", "roles": [...]}], "matrix": {role: [cap]}}.
 * `parkd --routes` prints it; the OpenAPI check compares it with
 * openapi.json, and the role test walks it. */
char *api_routes_describe(void);

typedef struct api_server api_server;

int api_start(const api_options *o, api_server **out, char *err, size_t errcap);
int api_port(const api_server *s);
void api_stop(api_server *s); /* closes streams, stops the threads, frees s */

/* ---- backups (api/backup.c) ----
 * A backup of a running parkd is the directory ROOT/NAME holding
 * historian/ (hist_backup), alarms/ (alert_backup) and backup.json, the
 * manifest, written last. NAME (API_BACKUP_NAME_MAX characters at most of
 * letters, digits, '.', '_', '-', not starting with '.' or '-') never is a
 * path: a backup never lands outside ROOT. */
#define API_BACKUP_NAME_MAX 64
enum {
    API_BACKUP_EINVAL = 1,   /* a bad name */
    API_BACKUP_EEXIST,       /* ROOT/NAME exists */
    API_BACKUP_EBUSY,        /* another backup is being taken */
    API_BACKUP_EUNAVAILABLE, /* no root configured */
    API_BACKUP_EIO           /* a store or the disk failed; nothing is left behind */
};
bool api_backup_name_ok(const char *name);
/* Takes a backup of the open historian and alarm journal (alarms may be
 * NULL) while they are written to, into ROOT/NAME (NULL name: "parkd-" and
 * the UTC time, e.g. parkd-20260101T120000.250Z). 0 and *manifest (a new
 * reference: name, directory, started_ms, finished_ms, duration_ms, and per
 * store its series or last journal sequence, files, bytes, duration_ms), or
 * an API_BACKUP_E* code with err. Thread-safe; one backup at a time. */
int api_backup_take(hist *h, alert_engine *alarms, struct ev_store *events, const char *root,
                    const char *name, json_t **manifest, char *err, size_t errcap);
/* Offline: makes data_dir (new or empty) a parkd data directory holding a
 * backup's historian and alarm journal; each is opened once to check it.
 * 0 and *summary (a new reference), or -1 with err. */
int api_backup_restore(const char *backup_dir, const char *data_dir, json_t **summary, char *err,
                       size_t errcap);

#endif
