/*
 * api.c - the HTTP server: routing, access, the endpoints and the
 * server-sent event streams. See api.h for the contract.
 *
 * One request is one req (allocated on its first callback, freed by
 * libmicrohttpd's completion notification). Answers are built whole in
 * memory (bounded by the query limits) and handed to libmicrohttpd, except
 * the event streams: a stream is a callback response whose reader copies
 * what producers queued for it and, when there is nothing, suspends the
 * connection; producers (the alarm subscription, the pump thread) queue
 * text and resume it. Every stream field is guarded by the server's
 * streams lock.
 */
#include "api/api.h"
#include "api/guard.h"
#include "api/params.h"
#include "api/tickets.h"

#include "common/numfmt.h"
#include "common/textbuf.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

extern const unsigned char api_openapi_json[];
extern const size_t api_openapi_json_len;

#define PREFIX          "/api/v1"
#define STREAM_PEND_MAX (4u << 20) /* a stream further behind than this is closed */
#define HEARTBEAT_MS    15000
#define N_LAT_BUCKETS   10
static const double lat_bounds_ms[N_LAT_BUCKETS] = {1, 2, 5, 10, 20, 50, 100, 250, 1000, 5000};

/* Routes, for the per-route request metrics. */
enum {
    R_HEALTH,
    R_METRICS,
    R_OPENAPI,
    R_WHOAMI,
    R_SERIES,
    R_RAW,
    R_RANGE,
    R_LAST,
    R_LAYERS,
    R_LAYER,
    R_ALARMS,
    R_RULES,
    R_JOURNAL,
    R_KPIS,
    R_ALARM_ACTION,
    R_ALARM_STREAM,
    R_LIVE_STREAM,
    R_REPLAY_STATE,
    R_REPLAY_STREAM,
    R_INGEST_STATUS,
    R_DEAD_LETTERS,
    R_DEVICES,
    R_INGEST_POST,
    R_VIEW_RISK,
    R_VIEW_SOURCE,
    R_VIEW_AQI,
    R_VIEW_IDW,
    R_VIEW_TOXIC,
    R_INCIDENTS,
    R_INCIDENT,
    R_ADMIN_BACKUP,
    R_STREAM_TICKET,
    R_STATIC,
    R_OTHER,
    R_COUNT
};
static const char *const route_names[R_COUNT] = {
    "healthz",      "metrics",       "openapi",       "whoami",        "series",
    "series_raw",   "series_range",  "last",          "layers",        "layer",
    "alarms",       "alarm_rules",   "alarm_journal", "alarm_kpis",    "alarm_action",
    "alarm_stream", "live_stream",   "replay_state",  "replay_stream", "ingest_status",
    "dead_letters", "devices",       "ingest_post",   "view_risk",     "view_risk_source",
    "view_aqi",     "view_idw",      "view_toxic",    "incidents",     "incident",
    "admin_backup", "stream_ticket", "static",        "other"};

typedef struct route_stats {
    atomic_uint_fast64_t requests, errors_4xx, errors_5xx, sum_us;
    atomic_uint_fast64_t le[N_LAT_BUCKETS + 1]; /* the last is +Inf */
} route_stats;

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
    route_stats routes[R_COUNT];
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
    pthread_mutex_t lmu;
    layer_slot layers[LAYER_SLOTS];
    atomic_uint_fast64_t layer_renders, layer_cache_hits;
    /* series name -> feature index, from the layout */
    char **fs_names;
    long *fs_feature;
    size_t fs_cap;
};

typedef struct req {
    api_server *srv;
    int route;
    bool have_tok;
    api_token_info tok;
    double t0;
    char *body;
    size_t body_n, body_cap;
    bool body_too_big;
    int status;
} req;

/* ---- small things ---- */

static double mono_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int64_t wall_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static char *xstrdup(const char *s) {
    return s ? strdup(s) : NULL;
}

static uint64_t hash_str(const char *s) {
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* The enterprise of a series name: up to the first '/'. */
static void series_enterprise(const char *series, char *out, size_t cap) {
    size_t n = strcspn(series, "/");
    if (n >= cap) n = cap - 1;
    memcpy(out, series, n);
    out[n] = 0;
}

/* A stored value as JSON, exactly (common/numfmt.h); non-finite: null. */
static void tb_num(textbuf *b, double v) {
    char t[NF_MAX];
    tb_put(b, t, nf_double(t, v));
}

/* A computed value (an average): 12 significant digits. */
static void tb_num12(textbuf *b, double v) {
    char t[NF_MAX];
    tb_put(b, t, nf_double_sig(t, v, 12));
}

static void tb_int(textbuf *b, int64_t v) {
    char t[NF_MAX];
    tb_put(b, t, nf_i64(t, v));
}

/* ---- responses ---- */

static const char *status_code_name(int status) {
    switch (status) {
        case 400:
            return "bad_request";
        case 401:
            return "unauthorized";
        case 403:
            return "forbidden";
        case 404:
            return "not_found";
        case 405:
            return "method_not_allowed";
        case 413:
            return "payload_too_large";
        case 422:
            return "unprocessable";
        case 429:
            return "rate_limited";
        case 503:
            return "unavailable";
        default:
            return "internal";
    }
}

/* Adds the common headers (those given), queues resp with status and
 * releases the caller's reference: every answer goes out here. */
static enum MHD_Result queue_resp(req *r, struct MHD_Connection *c, int status,
                                  struct MHD_Response *resp, const char *ctype, const char *cache,
                                  bool nosniff) {
    if (ctype) MHD_add_response_header(resp, "Content-Type", ctype);
    if (cache) MHD_add_response_header(resp, "Cache-Control", cache);
    if (nosniff) MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    r->status = status;
    enum MHD_Result rc = MHD_queue_response(c, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return rc;
}

static enum MHD_Result send_buf(req *r, struct MHD_Connection *c, int status, const char *ctype,
                                char *body, size_t len) {
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        len, body, body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!resp) {
        free(body);
        return MHD_NO;
    }
    if (status == 401)
        MHD_add_response_header(resp, "WWW-Authenticate", "Bearer realm=\"parkwatch\"");
    if (status == 429) MHD_add_response_header(resp, "Retry-After", "1");
    return queue_resp(r, c, status, resp, ctype, "no-store", true);
}

static enum MHD_Result send_sb(req *r, struct MHD_Connection *c, int status, const char *ctype,
                               textbuf *b) {
    if (b->oom) {
        free(b->p);
        static char oom[] = "{\"error\":{\"code\":\"internal\",\"message\":\"out of memory\"}}";
        struct MHD_Response *resp =
            MHD_create_response_from_buffer(sizeof oom - 1, oom, MHD_RESPMEM_PERSISTENT);
        if (!resp) return MHD_NO;
        return queue_resp(r, c, 500, resp, "application/json", NULL, false);
    }
    return send_buf(r, c, status, ctype, b->p ? b->p : strdup(""), b->n);
}

static enum MHD_Result send_json(req *r, struct MHD_Connection *c, int status, json_t *j) {
    char *txt = j ? json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
    json_decref(j);
    if (!txt) {
        textbuf b = {.oom = true};
        return send_sb(r, c, 500, "application/json", &b);
    }
    return send_buf(r, c, status, "application/json", txt, strlen(txt));
}

/* Replaces every byte that does not start a valid UTF-8 sequence (RFC 3629:
 * no overlong forms, no surrogates, nothing past U+10FFFF) with '?'. */
static void utf8_scrub(char *s) {
    unsigned char *p = (unsigned char *)s;
    while (*p) {
        unsigned char c = p[0];
        size_t n = 0;
        if (c < 0x80)
            n = 1;
        else if (c >= 0xC2 && c <= 0xDF)
            n = 2;
        else if (c >= 0xE0 && c <= 0xEF)
            n = 3;
        else if (c >= 0xF0 && c <= 0xF4)
            n = 4;
        bool ok = n > 0;
        for (size_t i = 1; ok && i < n; i++) ok = (p[i] & 0xC0) == 0x80; /* stops at the NUL */
        if (ok && n > 2)
            ok = !((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] >= 0xA0) ||
                   (c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] >= 0x90));
        if (!ok) {
            *p++ = '?';
            continue;
        }
        p += n;
    }
}

static enum MHD_Result send_error(req *r, struct MHD_Connection *c, int status, const char *code,
                                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static enum MHD_Result send_error(req *r, struct MHD_Connection *c, int status, const char *code,
                                  const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* Messages quote the request (a series name, an id): jansson refuses
     * text that is not UTF-8, and a message cut at 511 bytes may end inside
     * a character; either would turn a 4xx into a 500. */
    utf8_scrub(msg);
    json_t *j = json_pack("{s:{s:s,s:s}}", "error", "code", code ? code : status_code_name(status),
                          "message", msg);
    return send_json(r, c, status, j);
}

/* ---- query parameters ---- */

static const char *arg(struct MHD_Connection *c, const char *name) {
    const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
    return v && *v ? v : NULL;
}

/* The request's numbers: api/params.c checks grammar and range once. */
static bool parse_time(const char *s, int64_t now, int64_t *out) {
    return api_parse_time(s, now, out);
}

static bool parse_duration(const char *s, int64_t *out) {
    return api_parse_duration(s, out);
}

static bool parse_size(const char *s, size_t *out) {
    uint64_t v;
    if (!api_parse_count(s, 0, SIZE_MAX, &v)) return false;
    *out = (size_t)v;
    return true;
}

static size_t split_list(char *s, char **out, size_t cap, bool *overflow) {
    return api_split_list(s, out, cap, overflow);
}

/* ---- access ---- */

/* The one place that decides what a token sees: every series, alarm,
 * feature, device and dead letter passes through here with its enterprise
 * ("" for park-level things). park_context lets enterprise tokens see
 * park-level map features (roads, gates, shelters) that belong to nobody. */
static bool scope_sees(const req *r, const char *enterprise, bool park_context) {
    if (r->tok.role != API_ROLE_ENTERPRISE) return true;
    if (!enterprise || !*enterprise) return park_context;
    return !strcmp(enterprise, r->tok.enterprise);
}

static bool scope_sees_series(const req *r, const char *series) {
    char ent[64];
    series_enterprise(series, ent, sizeof ent);
    return scope_sees(r, ent, false);
}

/* Filters a JSON array of objects in place by their "enterprise" member. */
static json_t *scope_filter(const req *r, json_t *arr) {
    if (!json_is_array(arr)) return arr;
    for (size_t i = json_array_size(arr); i-- > 0;) {
        const char *e = json_string_value(json_object_get(json_array_get(arr, i), "enterprise"));
        if (!scope_sees(r, e ? e : "", false)) json_array_remove(arr, i);
    }
    return arr;
}

/* ?enterprise=: an enterprise token may name only its own (403
 * otherwise, on every endpoint alike); 0, or the error is sent. */
static int want_enterprise(req *r, struct MHD_Connection *c, const char **ent,
                           enum MHD_Result *sent) {
    *ent = arg(c, "enterprise");
    if (*ent && !scope_sees(r, *ent, false)) {
        *sent = send_error(r, c, 403, "forbidden", "this token reads enterprise %s only",
                           r->tok.enterprise);
        return -1;
    }
    return 0;
}

/* The request's body as a JSON object into *out (the caller decrefs it).
 * An empty body is NULL when optional; 0, or the 400 is sent. */
static int want_body_object(req *r, struct MHD_Connection *c, bool optional, json_t **out,
                            enum MHD_Result *sent) {
    *out = NULL;
    if (!r->body_n && optional) return 0;
    json_error_t je;
    json_t *b = json_loadb(r->body ? r->body : "", r->body_n, 0, &je);
    if (!json_is_object(b)) {
        json_decref(b);
        *sent = send_error(r, c, 400, "bad_request", "the body must be a JSON object: %s", je.text);
        return -1;
    }
    *out = b;
    return 0;
}

static bool role_may(const req *r, const char *what) {
    api_role role = r->tok.role;
    if (!strcmp(what, "alarm_action"))
        return role == API_ROLE_ADMIN || role == API_ROLE_OPERATOR || role == API_ROLE_ENTERPRISE;
    if (!strcmp(what, "ingest")) return role == API_ROLE_ADMIN || role == API_ROLE_ENTERPRISE;
    if (!strcmp(what, "metrics")) return role != API_ROLE_ENTERPRISE;
    return true;
}

static void audit(api_server *s, const req *r, const char *action, json_t *detail) {
    if (!s->audit) {
        json_decref(detail);
        return;
    }
    json_t *j = json_pack("{s:I,s:s,s:s,s:s,s:s,s:s}", "ts_ms", (json_int_t)wall_ms(), "token",
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

/* A token bucket per token: rate_limit_per_s requests a second, bursts of
 * twice that. */
static bool rate_ok(api_server *s, const char *id) {
    double rate = s->o.rate_limit_per_s;
    if (rate <= 0) return true;
    double now = mono_s();
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

/* ---- series ---- */

static long feature_of_series(const api_server *s, const char *name) {
    if (!s->fs_cap) return -1;
    for (size_t i = hash_str(name) & (s->fs_cap - 1);; i = (i + 1) & (s->fs_cap - 1)) {
        if (!s->fs_names[i]) return -1;
        if (!strcmp(s->fs_names[i], name)) return s->fs_feature[i];
    }
}

static int index_layout(api_server *s) {
    const geo_layout *g = s->o.layout;
    size_t n = 0;
    for (size_t i = 0; g && i < geo_count_all(g); i++) n += geo_get(g, i)->n_series;
    if (!n) return 0;
    size_t cap = 16;
    while (cap < n * 2) cap *= 2;
    s->fs_names = calloc(cap, sizeof *s->fs_names);
    s->fs_feature = calloc(cap, sizeof *s->fs_feature);
    if (!s->fs_names || !s->fs_feature) return -1;
    s->fs_cap = cap;
    for (size_t i = 0; i < geo_count_all(g); i++) {
        const geo_feature *f = geo_get(g, i);
        for (size_t k = 0; k < f->n_series; k++) {
            size_t h = hash_str(f->series[k]) & (cap - 1);
            while (s->fs_names[h] && strcmp(s->fs_names[h], f->series[k])) h = (h + 1) & (cap - 1);
            if (!s->fs_names[h]) {
                s->fs_names[h] = (char *)f->series[k]; /* the layout owns it */
                s->fs_feature[h] = (long)i;
            }
        }
    }
    return 0;
}

/* Looks up a series the caller may see: 0, or sends the error and returns -1. */
static int want_series(req *r, struct MHD_Connection *c, const char *name, uint32_t *id,
                       enum MHD_Result *sent) {
    hist_error he;
    if (!name) {
        *sent = send_error(r, c, 400, "bad_request", "the \"series\" parameter is required");
        return -1;
    }
    /* Another enterprise's series is reported as not found, as one that
     * does not exist: its existence is not the caller's business. */
    if (!scope_sees_series(r, name) ||
        hist_series_lookup(r->srv->o.historian, name, id, &he) != HIST_OK) {
        *sent = send_error(r, c, 404, "not_found", "no series \"%s\"", name);
        return -1;
    }
    return 0;
}

static void tb_series_info(textbuf *b, const api_server *s, const hist_series_info *si) {
    char ent[64];
    series_enterprise(si->name, ent, sizeof ent);
    const char *dev = strchr(si->name, '/');
    const char *tag = dev ? strchr(dev + 1, '/') : NULL;
    tb_str(b, "{\"name\":");
    tb_jstr(b, si->name);
    tb_printf(b, ",\"id\":%u,\"enterprise\":", si->id);
    tb_jstr(b, ent);
    tb_str(b, ",\"device\":");
    if (dev && tag) {
        char d[128];
        snprintf(d, sizeof d, "%.*s", (int)(tag - dev - 1), dev + 1);
        tb_jstr(b, d);
        tb_str(b, ",\"tag\":");
        tb_jstr(b, tag + 1);
    } else {
        tb_str(b, "\"\",\"tag\":\"\"");
    }
    tb_str(b, ",\"unit\":");
    tb_jstr(b, si->unit);
    long fi = feature_of_series(s, si->name);
    const geo_feature *f = fi >= 0 ? geo_get(s->o.layout, (size_t)fi) : NULL;
    tb_str(b, ",\"kind\":");
    tb_jstr(b, f ? geo_kind_name(f->kind) : "");
    tb_str(b, ",\"feature\":");
    tb_jstr(b, f ? f->id : "");
    tb_str(b, "}");
}

static enum MHD_Result h_series(req *r, struct MHD_Connection *c) {
    api_server *s = r->srv;
    const char *ent = arg(c, "enterprise"), *dev = arg(c, "device"), *kind = arg(c, "kind"),
               *q = arg(c, "q");
    size_t limit = s->o.max_series_per_req * 10;
    if (arg(c, "limit") && (!parse_size(arg(c, "limit"), &limit) || limit == 0))
        return send_error(r, c, 400, "bad_request", "limit must be a positive integer");
    geo_kind gk = GEO_ANY;
    if (kind && !geo_kind_parse(kind, &gk))
        return send_error(r, c, 400, "bad_request", "unknown kind \"%s\"", kind);
    if (r->tok.role == API_ROLE_ENTERPRISE) {
        if (ent && strcmp(ent, r->tok.enterprise))
            return send_error(r, c, 403, "forbidden", "this token reads enterprise %s only",
                              r->tok.enterprise);
        ent = r->tok.enterprise;
    }
    hist_series_list l = {0};
    hist_error he;
    if (hist_series_find(s->o.historian, ent, &l, &he) != HIST_OK)
        return send_error(r, c, 500, "internal", "historian: %s", he.msg);
    textbuf b = {0};
    tb_str(&b, "{\"series\":[");
    size_t n = 0, total = 0;
    for (size_t i = 0; i < l.n; i++) {
        hist_series_info si;
        if (hist_series_get(s->o.historian, l.ids[i], &si, &he) != HIST_OK) continue;
        if (!scope_sees_series(r, si.name)) continue;
        if (dev) {
            const char *d = strchr(si.name, '/');
            size_t dl = strlen(dev);
            if (!d || strncmp(d + 1, dev, dl) || d[1 + dl] != '/') continue;
        }
        if (kind) {
            long fi = feature_of_series(s, si.name);
            if (fi < 0 || geo_get(s->o.layout, (size_t)fi)->kind != gk) continue;
        }
        if (q && !strcasestr(si.name, q) && !strcasestr(si.description, q)) continue;
        total++;
        if (n == limit) continue;
        if (n++) tb_str(&b, ",");
        tb_series_info(&b, s, &si);
    }
    hist_series_list_free(&l);
    tb_printf(&b, "],\"count\":%zu,\"total\":%zu,\"truncated\":%s}", n, total,
              n < total ? "true" : "false");
    return send_sb(r, c, 200, "application/json", &b);
}

static bool want_csv(struct MHD_Connection *c) {
    const char *f = arg(c, "format");
    if (f) return !strcmp(f, "csv");
    const char *acc = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept");
    return acc && strstr(acc, "text/csv") && !strstr(acc, "application/json");
}

/* from/to with defaults (the last hour) and the span limit. */
/* from/to (to defaults to now, from to default_span before to) and the
 * span limit. */
static int want_range_span(req *r, struct MHD_Connection *c, int64_t default_span, int64_t *from,
                           int64_t *to, enum MHD_Result *sent) {
    int64_t now = wall_ms();
    *to = now + 1;
    if (arg(c, "to") && !parse_time(arg(c, "to"), now, to)) {
        *sent = send_error(r, c, 400, "bad_request", "to: a time in ms, \"now\" or \"-1h\"");
        return -1;
    }
    *from = *to - default_span;
    if (arg(c, "from") && !parse_time(arg(c, "from"), now, from)) {
        *sent = send_error(r, c, 400, "bad_request", "from: a time in ms, \"now\" or \"-1h\"");
        return -1;
    }
    if (*from >= *to) {
        *sent = send_error(r, c, 400, "bad_request", "from must be before to");
        return -1;
    }
    if (*to - *from > r->srv->o.max_span_ms) {
        *sent = send_error(r, c, 400, "limit_exceeded",
                           "the range spans more than %lld days (max_span)",
                           (long long)(r->srv->o.max_span_ms / 86400000));
        return -1;
    }
    return 0;
}

static int want_range(req *r, struct MHD_Connection *c, int64_t *from, int64_t *to,
                      enum MHD_Result *sent) {
    return want_range_span(r, c, 3600000, from, to, sent);
}

static enum MHD_Result h_raw(req *r, struct MHD_Connection *c) {
    api_server *s = r->srv;
    enum MHD_Result sent;
    uint32_t id;
    int64_t from, to;
    const char *name = arg(c, "series");
    if (want_series(r, c, name, &id, &sent) || want_range(r, c, &from, &to, &sent)) return sent;
    size_t limit = s->o.max_points;
    if (arg(c, "limit") && (!parse_size(arg(c, "limit"), &limit) || limit == 0))
        return send_error(r, c, 400, "bad_request", "limit must be a positive integer");
    if (limit > s->o.max_points)
        return send_error(r, c, 400, "limit_exceeded", "limit is at most %zu points",
                          s->o.max_points);
    hist_samples sm = {0};
    hist_error he;
    if (hist_query_raw(s->o.historian, id, from, to, limit, &sm, &he) != HIST_OK) {
        hist_samples_free(&sm);
        return send_error(r, c, 500, "internal", "historian: %s", he.msg);
    }
    textbuf b = {0};
    bool csv = want_csv(c);
    if (csv) {
        tb_str(&b, "ts_ms,value,quality\n");
        for (size_t i = 0; i < sm.n; i++) {
            tb_int(&b, sm.v[i].ts_ms);
            tb_put(&b, ",", 1);
            if (isfinite(sm.v[i].value)) tb_num(&b, sm.v[i].value);
            tb_put(&b, ",", 1);
            tb_int(&b, sm.v[i].quality);
            tb_put(&b, "\n", 1);
        }
    } else {
        tb_str(&b, "{\"series\":");
        tb_jstr(&b, name);
        tb_printf(&b, ",\"from\":%lld,\"to\":%lld,\"points\":[", (long long)from, (long long)to);
        for (size_t i = 0; i < sm.n; i++) {
            tb_put(&b, i ? ",[" : "[", i ? 2 : 1);
            tb_int(&b, sm.v[i].ts_ms);
            tb_put(&b, ",", 1);
            tb_num(&b, sm.v[i].value);
            tb_put(&b, ",", 1);
            tb_int(&b, sm.v[i].quality);
            tb_put(&b, "]", 1);
        }
        tb_printf(&b, "],\"count\":%zu,\"truncated\":%s", sm.n, sm.truncated ? "true" : "false");
        if (sm.truncated && sm.n)
            tb_printf(&b, ",\"next_from\":%lld", (long long)sm.v[sm.n - 1].ts_ms + 1);
        tb_str(&b, "}");
    }
    hist_samples_free(&sm);
    if (csv) return send_sb(r, c, 200, "text/csv; charset=utf-8", &b);
    return send_sb(r, c, 200, "application/json", &b);
}

static enum MHD_Result h_range(req *r, struct MHD_Connection *c) {
    api_server *s = r->srv;
    enum MHD_Result sent;
    uint32_t id;
    int64_t from, to, step = 60000;
    const char *name = arg(c, "series");
    if (want_series(r, c, name, &id, &sent) || want_range(r, c, &from, &to, &sent)) return sent;
    if (arg(c, "step") && !parse_duration(arg(c, "step"), &step))
        return send_error(r, c, 400, "bad_request", "step: a duration such as 60000, 10s, 1m, 1h");
    hist_agg agg = HIST_AGG_AVG;
    const char *aggs = arg(c, "agg");
    bool all = aggs && !strcmp(aggs, "all");
    if (aggs && !all && !hist_agg_parse(aggs, &agg))
        return send_error(r, c, 400, "bad_request",
                          "agg must be avg, min, max, first, last, count, sum or all");
    if ((to - from) / step + 2 > (int64_t)s->o.max_points)
        return send_error(r, c, 400, "limit_exceeded",
                          "%lld buckets asked; at most %zu (raise step or shorten the range)",
                          (long long)((to - from) / step + 1), s->o.max_points);
    hist_buckets bk = {0};
    hist_error he;
    hist_status st = hist_query_agg(s->o.historian, id, from, to, step, s->o.max_points, &bk, &he);
    if (st != HIST_OK) {
        hist_buckets_free(&bk);
        return send_error(r, c, st == HIST_EINVAL ? 400 : 500,
                          st == HIST_EINVAL ? "bad_request" : "internal", "historian: %s", he.msg);
    }
    textbuf b = {0};
    bool csv = want_csv(c);
    if (csv)
        tb_str(&b, "ts_ms,count,value\n");
    else {
        tb_str(&b, "{\"series\":");
        tb_jstr(&b, name);
        tb_printf(&b,
                  ",\"from\":%lld,\"to\":%lld,\"step_ms\":%lld,\"agg\":\"%s\",\"tier\":\"%s\","
                  "\"buckets\":[",
                  (long long)from, (long long)to, (long long)step, hist_agg_name(agg),
                  bk.tier == 2   ? "1h"
                  : bk.tier == 1 ? "1m"
                                 : "raw");
    }
    for (size_t i = 0; i < bk.n; i++) {
        const hist_bucket *x = &bk.v[i];
        double val = hist_bucket_value(x, agg);
        /* min, max, first and last are stored values, printed exactly;
         * avg and sum are computed: 12 significant digits */
        void (*num)(textbuf *, double) =
            agg == HIST_AGG_AVG || agg == HIST_AGG_SUM ? tb_num12 : tb_num;
        if (csv) {
            tb_int(&b, x->ts_ms);
            tb_put(&b, ",", 1);
            tb_int(&b, x->count);
            tb_put(&b, ",", 1);
            num(&b, val);
            tb_put(&b, "\n", 1);
        } else if (all) {
            tb_str(&b, i ? ",{\"ts\":" : "{\"ts\":");
            tb_int(&b, x->ts_ms);
            tb_str(&b, ",\"count\":");
            tb_int(&b, x->count);
            tb_str(&b, ",\"min\":");
            tb_num(&b, x->min);
            tb_str(&b, ",\"max\":");
            tb_num(&b, x->max);
            tb_str(&b, ",\"avg\":");
            tb_num12(&b, x->count ? x->sum / x->count : NAN);
            tb_str(&b, ",\"first\":");
            tb_num(&b, x->first);
            tb_str(&b, ",\"last\":");
            tb_num(&b, x->last);
            tb_put(&b, "}", 1);
        } else {
            tb_put(&b, i ? ",[" : "[", i ? 2 : 1);
            tb_int(&b, x->ts_ms);
            tb_put(&b, ",", 1);
            num(&b, val);
            tb_put(&b, ",", 1);
            tb_int(&b, x->count);
            tb_put(&b, "]", 1);
        }
    }
    if (!csv) tb_printf(&b, "],\"count\":%zu}", bk.n);
    hist_buckets_free(&bk);
    if (csv) return send_sb(r, c, 200, "text/csv; charset=utf-8", &b);
    return send_sb(r, c, 200, "application/json", &b);
}

/* Series named by ?series=a,b,c or all of ?enterprise=E: ids and names
 * (names point into *keep or into the historian list's infos). */
typedef struct series_set {
    uint32_t *ids;
    char **names;
    size_t n;
    char *buf; /* the split list */
    hist_series_info *infos;
} series_set;

static void series_set_free(series_set *ss) {
    free(ss->ids);
    free(ss->names);
    free(ss->buf);
    free(ss->infos);
    memset(ss, 0, sizeof *ss);
}

/* Fills ss with the series asked for; unknown or unseen names are left
 * out when lenient, else an error is sent. */
static int want_series_set(req *r, struct MHD_Connection *c, series_set *ss, bool lenient,
                           enum MHD_Result *sent) {
    api_server *s = r->srv;
    size_t cap = s->o.max_series_per_req;
    memset(ss, 0, sizeof *ss);
    const char *list0 = arg(c, "series");
    size_t want = cap;
    if (list0) { /* as many as named (the limit is checked below) */
        want = 1;
        for (const char *p = list0; *p; p++) want += *p == ',';
        if (want > cap) want = cap;
    }
    ss->ids = malloc(want * sizeof *ss->ids);
    ss->names = malloc(want * sizeof *ss->names);
    if (!ss->ids || !ss->names) {
        *sent = send_error(r, c, 500, "internal", "out of memory");
        return -1;
    }
    hist_error he;
    const char *list = arg(c, "series"), *ent = arg(c, "enterprise");
    if (list) {
        ss->buf = strdup(list);
        char **names = malloc(want * sizeof *names);
        bool over;
        size_t n = ss->buf && names ? split_list(ss->buf, names, want, &over) : 0;
        if (ss->buf && names && over) {
            free(names);
            *sent = send_error(r, c, 400, "limit_exceeded", "at most %zu series a request", cap);
            return -1;
        }
        for (size_t i = 0; i < n; i++) {
            uint32_t id;
            if (scope_sees_series(r, names[i]) &&
                hist_series_lookup(s->o.historian, names[i], &id, &he) == HIST_OK) {
                ss->ids[ss->n] = id;
                ss->names[ss->n++] = names[i];
            } else if (!lenient) {
                *sent = send_error(r, c, 404, "not_found", "no series \"%s\"", names[i]);
                free(names);
                return -1;
            }
        }
        free(names);
        return 0;
    }
    if (!ent) {
        *sent = send_error(r, c, 400, "bad_request", "give series=a,b,c or enterprise=E");
        return -1;
    }
    if (!scope_sees(r, ent, false)) {
        *sent = send_error(r, c, 403, "forbidden", "this token reads enterprise %s only",
                           r->tok.enterprise);
        return -1;
    }
    hist_series_list l = {0};
    if (hist_series_find(s->o.historian, ent, &l, &he) != HIST_OK) {
        *sent = send_error(r, c, 500, "internal", "historian: %s", he.msg);
        return -1;
    }
    if (l.n > cap) {
        hist_series_list_free(&l);
        *sent = send_error(r, c, 400, "limit_exceeded",
                           "enterprise %s has more than %zu series; name them", ent, cap);
        return -1;
    }
    ss->infos = malloc((l.n ? l.n : 1) * sizeof *ss->infos);
    for (size_t i = 0; ss->infos && i < l.n; i++)
        if (hist_series_get(s->o.historian, l.ids[i], &ss->infos[ss->n], &he) == HIST_OK) {
            ss->ids[ss->n] = l.ids[i];
            ss->names[ss->n] = ss->infos[ss->n].name;
            ss->n++;
        }
    hist_series_list_free(&l);
    return 0;
}

static void tb_values(textbuf *b, const series_set *ss, const hist_value *v) {
    for (size_t i = 0; i < ss->n; i++) {
        if (i) tb_str(b, ",");
        tb_str(b, "{\"series\":");
        tb_jstr(b, ss->names[i]);
        if (v[i].present) {
            tb_str(b, ",\"ts\":");
            tb_int(b, v[i].ts_ms);
            tb_str(b, ",\"value\":");
            tb_num(b, v[i].value);
            tb_str(b, ",\"quality\":");
            tb_int(b, v[i].quality);
            tb_put(b, "}", 1);
        } else {
            tb_str(b, ",\"ts\":null,\"value\":null,\"quality\":null}");
        }
    }
}

static enum MHD_Result h_last(req *r, struct MHD_Connection *c) {
    enum MHD_Result sent;
    series_set ss;
    if (want_series_set(r, c, &ss, false, &sent)) {
        series_set_free(&ss);
        return sent;
    }
    hist_value *v = calloc(ss.n ? ss.n : 1, sizeof *v);
    hist_error he;
    if (!v || hist_last(r->srv->o.historian, ss.ids, ss.n, v, &he) != HIST_OK) {
        free(v);
        series_set_free(&ss);
        return send_error(r, c, 500, "internal", "historian: %s", v ? he.msg : "out of memory");
    }
    textbuf b = {0};
    tb_str(&b, "{\"values\":[");
    tb_values(&b, &ss, v);
    tb_printf(&b, "],\"count\":%zu}", ss.n);
    free(v);
    series_set_free(&ss);
    return send_sb(r, c, 200, "application/json", &b);
}

/* ---- alarms ---- */

/* The alarm state of every series, worst first: for the layers. */
typedef struct series_alarm {
    uint32_t series;
    int priority;      /* of the most urgent annunciated alarm */
    alert_state state; /* its state */
    int active;        /* alarms of the series not in NORMAL */
    char kinds[96];
} series_alarm;

static int cmp_series_alarm(const void *a, const void *b) {
    uint32_t x = ((const series_alarm *)a)->series, y = ((const series_alarm *)b)->series;
    return x < y ? -1 : x > y;
}

static void tb_alarm(textbuf *b, const alert_status *st, const alert_rule *ru) {
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
    tb_num(b, st->value);
    tb_str(b, ",\"limit\":");
    tb_num(b, ru->limit);
    tb_str(b, "}");
}

static enum MHD_Result no_alarms(req *r, struct MHD_Connection *c) {
    return send_error(r, c, 503, "unavailable", "alarms are not configured");
}

static enum MHD_Result h_alarms(req *r, struct MHD_Connection *c) {
    alert_engine *al = r->srv->o.alarms;
    if (!al) return no_alarms(r, c);
    const char *ent;
    enum MHD_Result sent_e;
    if (want_enterprise(r, c, &ent, &sent_e)) return sent_e;
    alert_status *v;
    size_t n;
    if (alert_list_active(al, &v, &n) != 0)
        return send_error(r, c, 500, "internal", "out of memory");
    textbuf b = {0};
    tb_str(&b, "{\"alarms\":[");
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        alert_rule ru;
        if (alert_rule_get(al, v[i].rule, &ru) != 0) continue;
        if (!scope_sees(r, ru.enterprise, false)) continue;
        if (ent && strcmp(ent, ru.enterprise)) continue;
        if (k++) tb_str(&b, ",");
        tb_alarm(&b, &v[i], &ru);
    }
    tb_printf(&b, "],\"count\":%zu}", k);
    free(v);
    return send_sb(r, c, 200, "application/json", &b);
}

static enum MHD_Result h_rules(req *r, struct MHD_Connection *c) {
    alert_engine *al = r->srv->o.alarms;
    if (!al) return no_alarms(r, c);
    const char *series = arg(c, "series"), *ent;
    enum MHD_Result sent;
    if (want_enterprise(r, c, &ent, &sent)) return sent;
    size_t n = alert_rule_count(al), k = 0;
    textbuf b = {0};
    tb_str(&b, "{\"rules\":[");
    for (uint32_t id = 0; id < n; id++) {
        alert_rule ru;
        alert_status st;
        if (alert_rule_get(al, id, &ru) || alert_get(al, id, &st)) continue;
        if (!scope_sees(r, ru.enterprise, false)) continue;
        if (series && strcmp(series, ru.series_name)) continue;
        if (ent && strcmp(ent, ru.enterprise)) continue;
        if (k++) tb_str(&b, ",");
        tb_alarm(&b, &st, &ru);
        b.n--; /* reopen the object for the rule's settings */
        tb_str(&b, ",\"deadband\":");
        tb_num(&b, ru.deadband);
        tb_printf(&b, ",\"on_delay_ms\":%lld,\"off_delay_ms\":%lld}", (long long)ru.on_delay_ms,
                  (long long)ru.off_delay_ms);
    }
    tb_printf(&b, "],\"count\":%zu}", k);
    return send_sb(r, c, 200, "application/json", &b);
}

static const char *action_name(alert_action a) {
    static const char *const names[] = {"condition", "ack",        "shelve",         "unshelve",
                                        "suppress",  "unsuppress", "out_of_service", "in_service"};
    return (unsigned)a < sizeof names / sizeof names[0] ? names[a] : "?";
}

static void tb_event(textbuf *b, const alert_event *e, const alert_rule *ru) {
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
    tb_num(b, e->value);
    tb_str(b, ",\"limit\":");
    tb_num(b, e->limit);
    tb_str(b, ",\"user\":");
    tb_jstr(b, e->user);
    tb_str(b, ",\"comment\":");
    tb_jstr(b, e->comment);
    if (e->shelved) tb_printf(b, ",\"shelved_until_ms\":%lld", (long long)e->shelved_until_ms);
    tb_str(b, "}");
}

static enum MHD_Result h_journal(req *r, struct MHD_Connection *c) {
    alert_engine *al = r->srv->o.alarms;
    if (!al) return no_alarms(r, c);
    enum MHD_Result sent;
    int64_t from, to;
    if (want_range(r, c, &from, &to, &sent)) return sent;
    const char *ent, *series = arg(c, "series");
    if (want_enterprise(r, c, &ent, &sent)) return sent;
    size_t limit = r->srv->o.max_points;
    if (arg(c, "limit") &&
        (!parse_size(arg(c, "limit"), &limit) || !limit || limit > r->srv->o.max_points))
        return send_error(r, c, 400, "limit_exceeded", "limit: 1 to %zu", r->srv->o.max_points);
    alert_event *ev;
    size_t n;
    if (alert_journal_range(al, from, to, &ev, &n) != 0)
        return send_error(r, c, 500, "internal", "reading the alarm journal failed");
    textbuf b = {0};
    tb_str(&b, "{\"events\":[");
    size_t k = 0;
    bool truncated = false;
    for (size_t i = 0; i < n; i++) {
        alert_rule ru;
        if (alert_rule_get(al, ev[i].rule, &ru) != 0) continue;
        if (!scope_sees(r, ru.enterprise, false)) continue;
        if (ent && strcmp(ent, ru.enterprise)) continue;
        if (series && strcmp(series, ru.series_name)) continue;
        if (k == limit) {
            truncated = true;
            break;
        }
        if (k++) tb_str(&b, ",");
        tb_event(&b, &ev[i], &ru);
    }
    tb_printf(&b, "],\"count\":%zu,\"truncated\":%s}", k, truncated ? "true" : "false");
    free(ev);
    return send_sb(r, c, 200, "application/json", &b);
}

static enum MHD_Result h_kpis(req *r, struct MHD_Connection *c) {
    alert_engine *al = r->srv->o.alarms;
    if (!al) return no_alarms(r, c);
    enum MHD_Result sent;
    int64_t from, to;
    if (want_range_span(r, c, 86400000, &from, &to, &sent)) return sent; /* default: 24 h */
    const char *ent = arg(c, "enterprise");
    if (r->tok.role == API_ROLE_ENTERPRISE) {
        if (ent && strcmp(ent, r->tok.enterprise))
            return send_error(r, c, 403, "forbidden", "this token reads enterprise %s only",
                              r->tok.enterprise);
        ent = r->tok.enterprise;
    }
    alert_kpis k;
    if (alert_kpis_get(al, from, to, ent, &k) != 0)
        return send_error(r, c, 500, "internal", "reading the alarm journal failed");
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
    return send_sb(r, c, 200, "application/json", &b);
}

/* POST /api/v1/alarms/{rule}/{ack|shelve|unshelve}, body (optional JSON):
 * {"comment": "...", "until_ms": T} or {"minutes": M} for shelve. */
static enum MHD_Result h_alarm_action(req *r, struct MHD_Connection *c, const char *rest) {
    alert_engine *al = r->srv->o.alarms;
    if (!al) return no_alarms(r, c);
    char *end;
    errno = 0;
    unsigned long rule = strtoul(rest, &end, 10);
    if (end == rest || *end != '/' || errno)
        return send_error(r, c, 404, "not_found", "no such alarm endpoint");
    const char *action = end + 1;
    if (strcmp(action, "ack") && strcmp(action, "shelve") && strcmp(action, "unshelve"))
        return send_error(r, c, 404, "not_found", "alarm actions are ack, shelve and unshelve");
    if (!role_may(r, "alarm_action"))
        return send_error(r, c, 403, "forbidden", "a %s token cannot change alarms",
                          api_role_name(r->tok.role));
    alert_rule ru;
    if (rule > UINT32_MAX || alert_rule_get(al, (uint32_t)rule, &ru) != 0 ||
        !scope_sees(r, ru.enterprise, false))
        return send_error(r, c, 404, "not_found", "no alarm rule %lu", rule);
    json_t *body;
    enum MHD_Result sent;
    if (want_body_object(r, c, true, &body, &sent)) return sent;
    const char *comment = json_string_value(json_object_get(body, "comment"));
    if (!comment) comment = "";
    int64_t now = wall_ms();
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
            return send_error(
                r, c, 400, "bad_request",
                "shelving needs an expiry within the next 24 h (until_ms or minutes)");
        }
        rc = alert_shelve(al, (uint32_t)rule, now, until, r->tok.name, comment);
    } else {
        rc = alert_unshelve(al, (uint32_t)rule, now, r->tok.name, comment);
    }
    audit(r->srv, r, action,
          json_pack("{s:i,s:s,s:s,s:i}", "rule", (int)rule, "series", ru.series_name, "comment",
                    comment, "result", rc));
    json_decref(body);
    if (rc < 0) return send_error(r, c, 500, "internal", "the alarm journal could not be written");
    if (rc == 0)
        return send_error(r, c, 409, "conflict", "alarm %lu: nothing to %s in its state", rule,
                          action);
    alert_status st;
    alert_get(al, (uint32_t)rule, &st);
    textbuf b = {0};
    tb_alarm(&b, &st, &ru);
    return send_sb(r, c, 200, "application/json", &b);
}

/* ---- map layers ---- */

typedef struct layer_ctx {
    req *r;
    const char *enterprise; /* ?enterprise= */
    bool *in_bbox;          /* per feature, when ?bbox= */
    series_alarm *alarms;   /* sorted by series */
    size_t n_alarms;
    hist *h;
    bool values;
    bool slim;     /* ?slim=true: id, values and alarm alone */
    bool past;     /* ?at=: values and alarms as they were at... */
    int64_t at_ms; /* ...this time, from the historian and the journal */
} layer_ctx;

static bool layer_keep(void *ctx, size_t index, const geo_feature *f) {
    layer_ctx *lc = ctx;
    if (!scope_sees(lc->r, f->enterprise, true)) return false;
    if (lc->enterprise && strcmp(lc->enterprise, f->enterprise)) return false;
    if (lc->in_bbox && !lc->in_bbox[index]) return false;
    return true;
}

static int layer_values(void *ctx, const char *const *series, size_t n, geo_value *out) {
    layer_ctx *lc = ctx;
    uint32_t *ids = malloc((n ? n : 1) * sizeof *ids);
    size_t *slot = malloc((n ? n : 1) * sizeof *slot);
    hist_value *v = malloc((n ? n : 1) * sizeof *v);
    if (!ids || !slot || !v) {
        free(ids), free(slot), free(v);
        return -1;
    }
    size_t k = 0;
    hist_error he;
    for (size_t i = 0; i < n; i++) {
        out[i].present = false;
        /* a park-level feature shown to an enterprise carries no values of
         * series it may not read */
        if (!scope_sees_series(lc->r, series[i])) continue;
        if (hist_series_lookup(lc->h, series[i], &ids[k], &he) == HIST_OK) slot[k++] = i;
    }
    int rc = 0;
    if (k && (lc->past ? hist_snapshot(lc->h, lc->at_ms, ids, k, v, &he)
                       : hist_last(lc->h, ids, k, v, &he)) != HIST_OK)
        rc = -1;
    for (size_t j = 0; rc == 0 && j < k; j++)
        out[slot[j]] = (geo_value){v[j].present, v[j].ts_ms, v[j].value, v[j].quality};
    free(ids), free(slot), free(v);
    return rc;
}

static const series_alarm *alarm_of_series(const layer_ctx *lc, uint32_t id) {
    size_t lo = 0, hi = lc->n_alarms;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (lc->alarms[mid].series < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < lc->n_alarms && lc->alarms[lo].series == id ? &lc->alarms[lo] : NULL;
}

/* "alarm": the most urgent alarm over the feature's series, or null. */
static size_t layer_extra(void *ctx, size_t index, const geo_feature *f, const geo_value *values,
                          char *buf, size_t cap) {
    (void)index, (void)values;
    layer_ctx *lc = ctx;
    if (!f->n_series || !lc->r->srv->o.alarms) return 0;
    const series_alarm *worst = NULL;
    int count = 0;
    hist_error he;
    for (size_t s = 0; s < f->n_series && lc->n_alarms; s++) {
        uint32_t id;
        if (!scope_sees_series(lc->r, f->series[s]) ||
            hist_series_lookup(lc->h, f->series[s], &id, &he) != HIST_OK)
            continue;
        const series_alarm *a = alarm_of_series(lc, id);
        if (!a) continue;
        count += a->active;
        if (!worst || a->priority < worst->priority) worst = a;
    }
    int n;
    if (!worst && cap > 14) {
        memcpy(buf, ",\"alarm\":null", 13);
        return 13;
    }
    if (!worst)
        n = snprintf(buf, cap, ",\"alarm\":null");
    else
        n = snprintf(buf, cap,
                     ",\"alarm\":{\"priority\":%d,\"state\":\"%s\",\"count\":%d,\"kinds\":\"%s\"}",
                     worst->priority, alert_state_name(worst->state), count, worst->kinds);
    return n > 0 ? (size_t)n : 0;
}

/* The alarms of every series now, or at at_ms when past. */
static int collect_series_alarms(api_server *s, bool past, int64_t at_ms, series_alarm **out,
                                 size_t *n_out) {
    *out = NULL, *n_out = 0;
    alert_engine *al = s->o.alarms;
    if (!al) return 0;
    alert_status *v;
    size_t n;
    if ((past ? alert_active_at(al, at_ms, &v, &n) : alert_list_active(al, &v, &n)) != 0) return -1;
    series_alarm *sa = calloc(n ? n : 1, sizeof *sa);
    size_t k = 0;
    for (size_t i = 0; sa && i < n; i++) {
        alert_rule ru;
        if (alert_rule_get(al, v[i].rule, &ru) != 0) continue;
        /* shelved, suppressed and out-of-service alarms are not annunciated */
        if (v[i].shelved || v[i].suppressed || v[i].out_of_service) continue;
        sa[k++] = (series_alarm){ru.series, ru.priority, v[i].state, 1, ""};
        snprintf(sa[k - 1].kinds, sizeof sa[k - 1].kinds, "%s", alert_kind_name(ru.kind));
    }
    free(v);
    if (!sa) return -1;
    qsort(sa, k, sizeof *sa, cmp_series_alarm);
    /* one entry per series: the most urgent, with the count and kinds */
    size_t m = 0;
    for (size_t i = 0; i < k; i++) {
        if (m && sa[m - 1].series == sa[i].series) {
            series_alarm *w = &sa[m - 1];
            w->active++;
            size_t l = strlen(w->kinds), k = strlen(sa[i].kinds);
            if (l + 1 + k < sizeof w->kinds) { /* w precedes sa[i]: no overlap */
                w->kinds[l] = ',';
                memcpy(w->kinds + l + 1, sa[i].kinds, k + 1);
            }
            if (sa[i].priority < w->priority) w->priority = sa[i].priority, w->state = sa[i].state;
        } else {
            sa[m++] = sa[i];
        }
    }
    *out = sa, *n_out = m;
    return 0;
}

static enum MHD_Result h_layers(req *r, struct MHD_Connection *c) {
    const geo_layout *g = r->srv->o.layout;
    if (!g) return send_error(r, c, 503, "unavailable", "no park layout is configured");
    textbuf b = {0};
    tb_printf(&b, "{\"crs\":\"%s\",\"layers\":[", geo_metric_crs(g));
    bool first = true;
    for (int k = 0; k < GEO_KIND_COUNT; k++) {
        size_t n = 0;
        for (size_t i = 0; i < geo_count_all(g); i++) {
            const geo_feature *f = geo_get(g, i);
            if ((int)f->kind == k && scope_sees(r, f->enterprise, true)) n++;
        }
        tb_printf(&b, "%s{\"kind\":\"%s\",\"features\":%zu}", first ? "" : ",",
                  geo_kind_name((geo_kind)k), n);
        first = false;
    }
    tb_str(&b, "]}");
    return send_sb(r, c, 200, "application/json", &b);
}

static void shared_release(void *cls) {
    shared_text *t = cls;
    if (t && atomic_fetch_sub(&t->refs, 1) == 1) free(t);
}

static enum MHD_Result send_shared(req *r, struct MHD_Connection *c, shared_text *t) {
    struct MHD_Response *resp =
        MHD_create_response_from_buffer_with_free_callback_cls(t->len, t->data, shared_release, t);
    if (!resp) {
        shared_release(t);
        return MHD_NO;
    }
    return queue_resp(r, c, 200, resp, "application/geo+json", "no-store", true);
}

static int render_layer(req *r, geo_kind kind, layer_ctx *lc, char **json, size_t *len) {
    api_server *s = r->srv;
    if (lc->values &&
        collect_series_alarms(s, lc->past, lc->at_ms, &lc->alarms, &lc->n_alarms) != 0)
        return -1;
    geo_layer_request rq = {.kind = kind,
                            .keep = layer_keep,
                            .value_of = lc->values ? layer_values : NULL,
                            .extra = lc->values ? layer_extra : NULL,
                            .ctx = lc,
                            .slim = lc->slim};
    int rc = geo_layer(s->o.layout, &rq, json, len);
    free(lc->alarms);
    lc->alarms = NULL;
    s->layer_renders++;
    return rc;
}

/* The cached rendering for (kind, scope, values, slim), rendered if stale;
 * NULL on failure. The caller owns one reference. */
static shared_text *cached_layer(req *r, geo_kind kind, layer_ctx *lc) {
    api_server *s = r->srv;
    const char *scope = r->tok.role == API_ROLE_ENTERPRISE ? r->tok.enterprise : "";
    double now = mono_s();
    pthread_mutex_lock(&s->lmu);
    layer_slot *slot = NULL, *empty = NULL, *oldest = NULL;
    for (int i = 0; i < LAYER_SLOTS; i++) {
        layer_slot *x = &s->layers[i];
        if (!x->kind) {
            if (!empty) empty = x;
            continue;
        }
        if (x->kind == (int)kind + 1 && x->values == lc->values && x->slim == lc->slim &&
            !strcmp(x->scope, scope))
            slot = x;
        if (!x->building && (!oldest || x->built < oldest->built)) oldest = x;
    }
    if (!slot) {
        slot = empty ? empty : oldest;
        if (!slot) { /* every slot busy rendering: render for this request alone */
            pthread_mutex_unlock(&s->lmu);
            goto alone;
        }
        shared_release(slot->text);
        memset(slot, 0, sizeof *slot);
        slot->kind = (int)kind + 1, slot->values = lc->values, slot->slim = lc->slim;
        snprintf(slot->scope, sizeof slot->scope, "%s", scope);
    }
    shared_text *t = slot->text;
    bool fresh = t && (now - slot->built) * 1000 < LAYER_TTL_MS;
    /* someone is rendering: take the previous one if it is not too old */
    if (t && (fresh || (slot->building && (now - slot->built) < 2.0))) {
        atomic_fetch_add(&t->refs, 1);
        pthread_mutex_unlock(&s->lmu);
        s->layer_cache_hits++;
        return t;
    }
    bool mine = !slot->building;
    slot->building = true;
    pthread_mutex_unlock(&s->lmu);
    if (!mine) goto alone;
    char *json = NULL;
    size_t len = 0;
    shared_text *nt = NULL;
    if (render_layer(r, kind, lc, &json, &len) == 0 && (nt = malloc(sizeof *nt + len))) {
        atomic_init(&nt->refs, 2); /* the slot's and the caller's */
        nt->len = len;
        memcpy(nt->data, json, len);
    }
    free(json);
    pthread_mutex_lock(&s->lmu);
    slot->building = false;
    if (nt) {
        shared_release(slot->text);
        slot->text = nt;
        slot->built = mono_s();
    }
    pthread_mutex_unlock(&s->lmu);
    return nt;
alone:
    json = NULL, len = 0;
    if (render_layer(r, kind, lc, &json, &len) != 0) return NULL;
    nt = malloc(sizeof *nt + len);
    if (nt) {
        atomic_init(&nt->refs, 1);
        nt->len = len;
        memcpy(nt->data, json, len);
    }
    free(json);
    return nt;
}

static enum MHD_Result h_layer(req *r, struct MHD_Connection *c, const char *kind_name) {
    api_server *s = r->srv;
    const geo_layout *g = s->o.layout;
    if (!g) return send_error(r, c, 503, "unavailable", "no park layout is configured");
    geo_kind kind;
    if (!strcmp(kind_name, "all"))
        kind = GEO_ANY;
    else if (!geo_kind_parse(kind_name, &kind))
        return send_error(r, c, 404, "not_found", "no layer \"%s\"", kind_name);
    enum MHD_Result sent;
    const char *ent;
    if (want_enterprise(r, c, &ent, &sent)) return sent;
    layer_ctx lc = {.r = r, .enterprise = ent, .h = s->o.historian};
    const char *vals = arg(c, "values");
    lc.values = !vals || strcmp(vals, "false");
    const char *slim = arg(c, "slim");
    if (slim && strcmp(slim, "true") && strcmp(slim, "false"))
        return send_error(r, c, 400, "bad_request", "slim: true or false");
    lc.slim = slim && !strcmp(slim, "true");
    if (arg(c, "at")) { /* the whole layer as it was: the replay slider's map */
        if (!parse_time(arg(c, "at"), wall_ms(), &lc.at_ms))
            return send_error(r, c, 400, "bad_request", "at: a time in ms, \"now\" or \"-1h\"");
        lc.past = true;
    }
    const char *bbox = arg(c, "bbox");
    if (bbox) {
        double x0, y0, x1, y1;
        char tail;
        if (sscanf(bbox, "%lf,%lf,%lf,%lf%c", &x0, &y0, &x1, &y1, &tail) != 4 || !(x0 < x1) ||
            !(y0 < y1) || x0 < -180 || x1 > 180 || y0 < -90 || y1 > 90)
            return send_error(r, c, 400, "bad_request",
                              "bbox: min_lon,min_lat,max_lon,max_lat in WGS84");
        double ring[10] = {x0, y0, x1, y0, x1, y1, x0, y1, x0, y0};
        geo_hits hits;
        if (geo_intersecting(g, ring, 5, kind, &hits) != 0)
            return send_error(r, c, 500, "internal", "the spatial query failed");
        lc.in_bbox = calloc(geo_count_all(g) ? geo_count_all(g) : 1, 1);
        for (size_t i = 0; lc.in_bbox && i < hits.n; i++) lc.in_bbox[hits.index[i]] = true;
        geo_hits_free(&hits);
        if (!lc.in_bbox) return send_error(r, c, 500, "internal", "out of memory");
    }
    if (!bbox && !lc.enterprise && !lc.past) { /* the plain layer a map polls: shared */
        shared_text *t = cached_layer(r, kind, &lc);
        if (!t) return send_error(r, c, 500, "internal", "building the layer failed");
        return send_shared(r, c, t);
    }
    char *json = NULL;
    size_t len = 0;
    int rc = render_layer(r, kind, &lc, &json, &len);
    free(lc.in_bbox);
    if (rc != 0) return send_error(r, c, 500, "internal", "building the layer failed");
    return send_buf(r, c, 200, "application/geo+json", json, len);
}

/* ---- replay: the state at T ---- */

/* Whether an alarm belongs to what a replay asked for: the named series,
 * or the named enterprise, or (neither named) everything. */
static bool alarm_asked(const series_set *ss, const char *enterprise, const alert_rule *ru) {
    if (ss->buf) {
        for (size_t i = 0; i < ss->n; i++)
            if (!strcmp(ss->names[i], ru->series_name)) return true;
        return false;
    }
    return !enterprise || !strcmp(enterprise, ru->enterprise);
}

static enum MHD_Result h_replay_state(req *r, struct MHD_Connection *c) {
    api_server *s = r->srv;
    int64_t at;
    if (!parse_time(arg(c, "at"), wall_ms(), &at))
        return send_error(r, c, 400, "bad_request", "at: a time in ms, \"now\" or \"-1h\"");
    enum MHD_Result sent;
    series_set ss;
    if (want_series_set(r, c, &ss, true, &sent)) {
        series_set_free(&ss);
        return sent;
    }
    hist_value *v = calloc(ss.n ? ss.n : 1, sizeof *v);
    hist_error he;
    if (!v || hist_snapshot(s->o.historian, at, ss.ids, ss.n, v, &he) != HIST_OK) {
        free(v);
        series_set_free(&ss);
        return send_error(r, c, 500, "internal", "historian: %s", v ? he.msg : "out of memory");
    }
    textbuf b = {0};
    tb_printf(&b, "{\"at\":%lld,\"values\":[", (long long)at);
    tb_values(&b, &ss, v);
    tb_str(&b, "],\"alarms\":[");
    free(v);
    const char *ent_asked = arg(c, "enterprise");
    if (s->o.alarms) {
        alert_status *st;
        size_t n;
        if (alert_active_at(s->o.alarms, at, &st, &n) == 0) {
            size_t k = 0;
            for (size_t i = 0; i < n; i++) {
                alert_rule ru;
                if (alert_rule_get(s->o.alarms, st[i].rule, &ru) != 0) continue;
                if (!scope_sees(r, ru.enterprise, false) || !alarm_asked(&ss, ent_asked, &ru))
                    continue;
                if (k++) tb_str(&b, ",");
                tb_alarm(&b, &st[i], &ru);
            }
            free(st);
        }
    }
    series_set_free(&ss);
    tb_str(&b, "]}");
    return send_sb(r, c, 200, "application/json", &b);
}

/* ---- ingest ---- */

static enum MHD_Result no_ingest(req *r, struct MHD_Connection *c) {
    return send_error(r, c, 503, "unavailable", "ingest is not running");
}

/* What a full or failing disk is holding up, from ingest's status st (may
 * be NULL), the historian and the alarm journal: {"acknowledging", "problems":
 * [{"where", "error", "since_ms", "waiting"?}]}. *blocked: data is not
 * moving (nothing acknowledged, or ingest holding); *degraded: it moves but
 * something waits in memory for the disk. */
static json_t *storage_state(api_server *s, json_t *st, bool *blocked, bool *degraded) {
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
        utf8_scrub(why);
        json_array_append_new(problems, json_pack("{s:s,s:s,s:I}", "where", "historian", "error",
                                                  why, "since_ms", (json_int_t)since));
    }
    size_t waiting;
    if (s->o.alarms && alert_journal_error(s->o.alarms, why, sizeof why, &waiting, &since)) {
        *degraded = true;
        utf8_scrub(why);
        json_array_append_new(problems, json_pack("{s:s,s:s,s:I,s:I}", "where", "alarm_journal",
                                                  "error", why, "since_ms", (json_int_t)since,
                                                  "waiting", (json_int_t)waiting));
    }
    bool acknowledging = !(st && json_is_true(json_object_get(st, "spool_blocked")));
    return json_pack("{s:b,s:o}", "acknowledging", acknowledging, "problems", problems);
}

static enum MHD_Result h_ingest_status(req *r, struct MHD_Connection *c) {
    api_ingest *in = &r->srv->o.ingest;
    if (!in->status) return no_ingest(r, c);
    json_t *j = in->status(in->ctx);
    if (!j) return send_error(r, c, 500, "internal", "out of memory");
    bool blocked, degraded;
    json_object_set_new(j, "storage", storage_state(r->srv, j, &blocked, &degraded));
    scope_filter(r, json_object_get(j, "enterprises"));
    if (r->tok.role == API_ROLE_ENTERPRISE) {
        /* the park-wide totals tell an enterprise about the others */
        json_t *ents = json_object_get(j, "enterprises");
        json_t *keep = json_pack("{s:O}", "enterprises", ents ? ents : json_array());
        json_decref(j);
        j = keep;
    }
    return send_json(r, c, 200, j);
}

static enum MHD_Result h_dead_letters(req *r, struct MHD_Connection *c) {
    api_ingest *in = &r->srv->o.ingest;
    if (!in->dead_letters) return no_ingest(r, c);
    json_t *a = scope_filter(r, in->dead_letters(in->ctx));
    const char *ent;
    enum MHD_Result sent_e;
    if (want_enterprise(r, c, &ent, &sent_e)) return sent_e;
    for (size_t i = json_array_size(a); ent && i-- > 0;) {
        const char *e = json_string_value(json_object_get(json_array_get(a, i), "enterprise"));
        if (!e || strcmp(e, ent)) json_array_remove(a, i);
    }
    return send_json(r, c, 200,
                     json_pack("{s:o,s:I}", "dead_letters", a ? a : json_array(), "count",
                               (json_int_t)json_array_size(a)));
}

static enum MHD_Result h_devices(req *r, struct MHD_Connection *c) {
    api_ingest *in = &r->srv->o.ingest;
    if (!in->devices) return no_ingest(r, c);
    json_t *a = scope_filter(r, in->devices(in->ctx));
    return send_json(r, c, 200,
                     json_pack("{s:o,s:I}", "devices", a ? a : json_array(), "count",
                               (json_int_t)json_array_size(a)));
}

/* POST /api/v1/ingest?device=D[&enterprise=E]: the body as the device
 * would publish it over MQTT (any of the three formats). */
static enum MHD_Result h_ingest_post(req *r, struct MHD_Connection *c) {
    api_ingest *in = &r->srv->o.ingest;
    if (!role_may(r, "ingest"))
        return send_error(r, c, 403, "forbidden", "a %s token cannot write data",
                          api_role_name(r->tok.role));
    const char *dev = arg(c, "device"), *ent = arg(c, "enterprise");
    if (r->tok.role == API_ROLE_ENTERPRISE) {
        if (ent && strcmp(ent, r->tok.enterprise))
            return send_error(r, c, 403, "forbidden", "this token writes enterprise %s only",
                              r->tok.enterprise);
        ent = r->tok.enterprise;
    }
    if (!in->submit) return no_ingest(r, c);
    if (!ent) return send_error(r, c, 400, "bad_request", "enterprise=E is required");
    if (!dev) dev = "http";
    for (const char *p = dev; *p; p++)
        if (*p == '/' || *p == '+' || *p == '#' || (unsigned char)*p < 0x21)
            return send_error(r, c, 400, "bad_request", "device: no '/', '+', '#' or spaces");
    if (!r->body_n) return send_error(r, c, 400, "bad_request", "the body is empty");
    char topic[256];
    snprintf(topic, sizeof topic, "park/%s/%s/data", ent, dev);
    size_t acc = 0, rej = 0;
    char err[256] = "";
    int rc = in->submit(in->ctx, topic, r->body, r->body_n, &acc, &rej, err, sizeof err);
    audit(r->srv, r, "ingest",
          json_pack("{s:s,s:I,s:I,s:I}", "topic", topic, "bytes", (json_int_t)r->body_n, "accepted",
                    (json_int_t)acc, "rejected", (json_int_t)rej));
    /* submit's reasons: "invalid: ..." 400, "unavailable: ..." 503, else
     * (the message or all its readings rejected) 422 with the counts */
    if (rc != 0 && !strncmp(err, "invalid", 7))
        return send_error(r, c, 400, "bad_request", "%s", err);
    if (rc != 0 && !strncmp(err, "unavailable", 11))
        return send_error(r, c, 503, "unavailable", "%s", err);
    if (rc != 0 || (rej && !acc)) {
        json_t *j = json_pack("{s:{s:s,s:s},s:I,s:I}", "error", "code", "rejected", "message",
                              err[0] ? err : "every reading was rejected", "accepted",
                              (json_int_t)acc, "rejected", (json_int_t)rej);
        return send_json(r, c, 422, j);
    }
    json_t *j = json_pack("{s:I,s:I}", "accepted", (json_int_t)acc, "rejected", (json_int_t)rej);
    if (j && err[0]) json_object_set_new(j, "first_rejection", json_string(err));
    return send_json(r, c, 200, j);
}

/* ---- administration ---- */

/* POST /api/v1/admin/backup, body (optional) {"name": "NAME"}: a backup of
 * the live historian and alarm journal into the configured backup_dir/NAME
 * (api/backup.c) while ingest goes on; admin only, audit-logged. */
static enum MHD_Result h_admin_backup(req *r, struct MHD_Connection *c) {
    if (r->tok.role != API_ROLE_ADMIN)
        return send_error(r, c, 403, "forbidden", "a %s token cannot take backups",
                          api_role_name(r->tok.role));
    json_t *body;
    enum MHD_Result sent;
    if (want_body_object(r, c, true, &body, &sent)) return sent;
    json_t *nj = json_object_get(body, "name");
    if (nj && !json_is_string(nj)) {
        json_decref(body);
        return send_error(r, c, 400, "bad_request", "name must be a string");
    }
    json_t *m = NULL;
    char err[512];
    int rc = api_backup_take(r->srv->o.historian, r->srv->o.alarms, r->srv->backup_dir,
                             json_string_value(nj), &m, err, sizeof err);
    json_t *detail = rc == 0
                         ? json_pack("{s:O,s:O,s:O,s:s}", "backup", json_object_get(m, "name"),
                                     "directory", json_object_get(m, "directory"), "duration_ms",
                                     json_object_get(m, "duration_ms"), "result", "ok")
                         : json_pack("{s:s?,s:s}", "backup", json_string_value(nj), "result", err);
    audit(r->srv, r, "backup", detail);
    json_decref(body);
    switch (rc) {
        case 0:
            return send_json(r, c, 200, m);
        case API_BACKUP_EINVAL:
            return send_error(r, c, 400, "bad_request", "%s", err);
        case API_BACKUP_EEXIST:
        case API_BACKUP_EBUSY:
            return send_error(r, c, 409, "conflict", "%s", err);
        case API_BACKUP_EUNAVAILABLE:
            return send_error(r, c, 503, "unavailable", "%s (parkd's config: \"backup_dir\")", err);
        default:
            return send_error(r, c, 500, "internal", "backup failed: %s", err);
    }
}

/* ---- health and metrics ---- */

/* Unauthenticated (load balancers, systemd): the state only, nothing
 * about the park. 503 when ingest has failed. */
static enum MHD_Result h_health(req *r, struct MHD_Connection *c) {
    api_server *s = r->srv;
    const char *status = "ok";
    int code = 200;
    json_t *j = json_object();
    json_t *st = s->o.ingest.status ? s->o.ingest.status(s->o.ingest.ctx) : NULL;
    bool blocked, degraded;
    json_decref(storage_state(s, st, &blocked, &degraded));
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
    return send_json(r, c, code, j);
}

static enum MHD_Result h_metrics(req *r, struct MHD_Connection *c) {
    api_server *s = r->srv;
    if (!role_may(r, "metrics"))
        return send_error(r, c, 403, "forbidden", "metrics are for the park's roles");
    textbuf b = {0};
    tb_str(&b, "# HELP parkwatch_http_requests_total HTTP requests by route and status class.\n"
               "# TYPE parkwatch_http_requests_total counter\n");
    for (int i = 0; i < R_COUNT; i++) {
        route_stats *rs = &s->routes[i];
        uint64_t n = rs->requests, e4 = rs->errors_4xx, e5 = rs->errors_5xx;
        if (!n) continue;
        tb_printf(&b, "parkwatch_http_requests_total{route=\"%s\",code=\"2xx\"} %llu\n",
                  route_names[i], (unsigned long long)(n - e4 - e5));
        tb_printf(&b, "parkwatch_http_requests_total{route=\"%s\",code=\"4xx\"} %llu\n",
                  route_names[i], (unsigned long long)e4);
        tb_printf(&b, "parkwatch_http_requests_total{route=\"%s\",code=\"5xx\"} %llu\n",
                  route_names[i], (unsigned long long)e5);
    }
    tb_str(&b, "# HELP parkwatch_http_request_duration_seconds Time to answer, by route.\n"
               "# TYPE parkwatch_http_request_duration_seconds histogram\n");
    for (int i = 0; i < R_COUNT; i++) {
        route_stats *rs = &s->routes[i];
        if (!rs->requests) continue;
        uint64_t cum = 0;
        for (int k = 0; k <= N_LAT_BUCKETS; k++) {
            cum += rs->le[k];
            if (k < N_LAT_BUCKETS)
                tb_printf(
                    &b,
                    "parkwatch_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %llu\n",
                    route_names[i], lat_bounds_ms[k] / 1000, (unsigned long long)cum);
            else
                tb_printf(&b,
                          "parkwatch_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"}"
                          " %llu\n",
                          route_names[i], (unsigned long long)cum);
        }
        tb_printf(&b, "parkwatch_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n",
                  route_names[i], (double)rs->sum_us / 1e6);
        tb_printf(&b, "parkwatch_http_request_duration_seconds_count{route=\"%s\"} %llu\n",
                  route_names[i], (unsigned long long)cum);
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
        "# HELP parkwatch_http_head_timeouts_total Connections closed because a request's head\n"
        "# took longer than head_timeout to arrive.\n"
        "# TYPE parkwatch_http_head_timeouts_total counter\n"
        "parkwatch_http_head_timeouts_total %llu\n",
        streams, (unsigned long long)s->rate_limited, (unsigned long long)s->streams_revoked,
        (unsigned long long)s->streams_hung_up, (unsigned long long)s->streams_refused,
        (unsigned long long)api_guard_timeouts(s->guard));
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
    return send_sb(r, c, 200, "text/plain; version=0.0.4; charset=utf-8", &b);
}

/* ---- server-sent event streams ---- */

/* Queues text for a stream and wakes it; streams lock held. A stream that
 * cannot keep up is ended rather than allowed to grow without bound. */
static void stream_push_locked(stream *st, const char *text, size_t n) {
    if (st->done) return;
    if (st->pend_off == st->pend_n) st->pend_off = st->pend_n = 0;
    if (st->pend_n - st->pend_off + n > STREAM_PEND_MAX) {
        static const char over[] =
            "event: overflow\ndata: {\"reason\":\"the client reads too slowly\"}\n\n";
        st->pend_off = st->pend_n = 0;
        text = over, n = sizeof over - 1;
        st->done = true;
    }
    if (st->pend_n + n > st->pend_cap) {
        if (st->pend_off) { /* slide what is left to the front first */
            memmove(st->pend, st->pend + st->pend_off, st->pend_n - st->pend_off);
            st->pend_n -= st->pend_off, st->pend_off = 0;
        }
        size_t cap = st->pend_cap ? st->pend_cap : 4096;
        while (cap < st->pend_n + n) cap *= 2;
        if (cap != st->pend_cap) {
            char *p = realloc(st->pend, cap);
            if (!p) {
                st->done = true;
                goto wake;
            }
            st->pend = p, st->pend_cap = cap;
        }
    }
    memcpy(st->pend + st->pend_n, text, n);
    st->pend_n += n;
wake:
    if (st->suspended) {
        st->suspended = false;
        MHD_resume_connection(st->conn);
    }
}

static void stream_end_locked(stream *st) {
    st->done = true;
    if (st->suspended) {
        st->suspended = false;
        MHD_resume_connection(st->conn);
    }
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max) {
    (void)pos;
    stream *st = cls;
    api_server *s = st->srv;
    pthread_mutex_lock(&s->smu);
    ssize_t rc;
    if (st->pend_n > st->pend_off) {
        size_t n = st->pend_n - st->pend_off;
        if (n > max) n = max;
        memcpy(buf, st->pend + st->pend_off, n);
        st->pend_off += n;
        rc = (ssize_t)n;
    } else if (st->done || s->stopping) {
        rc = MHD_CONTENT_READER_END_OF_STREAM;
    } else {
        /* nothing to send: park the connection until a producer resumes it */
        st->suspended = true;
        MHD_suspend_connection(st->conn);
        rc = 0;
    }
    pthread_mutex_unlock(&s->smu);
    return rc;
}

/* Frees a stream that is not (or no longer) in the server's list. */
static void stream_release(stream *st) {
    free(st->pend);
    free(st->ids);
    for (size_t i = 0; st->names && i < st->n_ids; i++) free(st->names[i]);
    free(st->names);
    free(st->sent_ts);
    for (size_t i = 0; i < st->n_items; i++) free(st->items[i].text);
    free(st->items);
    free(st);
}

/* libmicrohttpd is done with the response: the connection closed. */
static void stream_free(void *cls) {
    stream *st = cls;
    api_server *s = st->srv;
    pthread_mutex_lock(&s->smu);
    if (st->prev)
        st->prev->next = st->next;
    else
        s->streams = st->next;
    if (st->next) st->next->prev = st->prev;
    s->n_streams--;
    pthread_mutex_unlock(&s->smu);
    stream_release(st);
}

/* Formats one SSE event (id, event name, one-line JSON data). */
static void tb_sse(textbuf *b, uint64_t id, const char *event, const char *data) {
    tb_printf(b, "id: %llu\nevent: %s\ndata: ", (unsigned long long)id, event);
    tb_str(b, data);
    tb_str(b, "\n\n");
}

/* The alarm subscription: runs on the thread that made the transition,
 * with the engine's lock held, so it only formats and queues. */
static void on_alarm(const alert_event *e, const alert_rule *ru, void *ctx) {
    api_server *s = ctx;
    textbuf d = {0};
    tb_event(&d, e, ru);
    if (d.oom) return;
    pthread_mutex_lock(&s->smu);
    for (stream *st = s->streams; st; st = st->next) {
        if (st->kind != ST_ALARMS) continue;
        req fake = {.tok = st->tok};
        if (!scope_sees(&fake, ru->enterprise, false)) continue;
        textbuf ev = {0};
        tb_sse(&ev, e->seq, "alarm", d.p);
        if (!ev.oom) stream_push_locked(st, ev.p, ev.n);
        free(ev.p);
    }
    pthread_mutex_unlock(&s->smu);
    free(d.p);
}

static enum MHD_Result start_stream(req *r, struct MHD_Connection *c, stream *st, const char *first,
                                    size_t first_n) {
    api_server *s = r->srv;
    st->srv = s;
    st->conn = c;
    st->tok = r->tok;
    st->last_beat_ms = wall_ms();
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    st->fd = ci ? ci->connect_fd : -1;
    /* Slots: max_streams in all, max_streams_per_token for one token, and
     * the last streams_reserved for admin and operator tokens, so that no
     * enterprise can take the command centre's alarm stream. */
    bool command = r->tok.role == API_ROLE_ADMIN || r->tok.role == API_ROLE_OPERATOR;
    pthread_mutex_lock(&s->smu);
    size_t mine = 0;
    for (stream *o = s->streams; o; o = o->next) mine += !strcmp(o->tok.id, r->tok.id);
    size_t open_to_me = command || s->o.max_streams <= s->o.streams_reserved
                            ? s->o.max_streams
                            : s->o.max_streams - s->o.streams_reserved;
    /* the server's limits first (503), then the token's own (429) */
    const char *full = s->stopping                  ? "the server is stopping"
                       : s->n_streams >= open_to_me ? "too many open streams (max_streams)"
                                                    : NULL;
    bool token_full = !full && mine >= s->o.max_streams_per_token;
    if (full || token_full) {
        pthread_mutex_unlock(&s->smu);
        stream_release(st);
        s->streams_refused++;
        if (token_full)
            return send_error(r, c, 429, "rate_limited",
                              "this token has %zu open streams (max_streams_per_token)", mine);
        return send_error(r, c, 503, "unavailable", "%s", full);
    }
    st->next = s->streams;
    if (s->streams) s->streams->prev = st;
    s->streams = st;
    s->n_streams++;
    /* tell the client how long to wait before reconnecting */
    stream_push_locked(st, "retry: 2000\n\n", 13);
    if (first_n) stream_push_locked(st, first, first_n);
    pthread_mutex_unlock(&s->smu);
    struct MHD_Response *resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, stream_read, st, stream_free);
    if (!resp) {
        stream_free(st);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "X-Accel-Buffering", "no");
    return queue_resp(r, c, 200, resp, "text/event-stream; charset=utf-8", "no-store", false);
}

static enum MHD_Result h_alarm_stream(req *r, struct MHD_Connection *c) {
    api_server *s = r->srv;
    if (!s->o.alarms) return no_alarms(r, c);
    stream *st = calloc(1, sizeof *st);
    if (!st) return send_error(r, c, 500, "internal", "out of memory");
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
            if (!scope_sees(r, ru.enterprise, false)) continue;
            if (k++) tb_str(&d, ",");
            tb_alarm(&d, &v[i], &ru);
        }
        tb_str(&d, "]}");
        free(v);
        tb_str(&b, "event: active\ndata: ");
        tb_str(&b, d.p ? d.p : "{}");
        tb_str(&b, "\n\n");
        free(d.p);
    }
    enum MHD_Result rc = start_stream(r, c, st, b.p, b.oom ? 0 : b.n);
    free(b.p);
    return rc;
}

static char **dup_names(char *const *names, size_t n) {
    char **v = calloc(n ? n : 1, sizeof *v);
    for (size_t i = 0; v && i < n; i++) v[i] = strdup(names[i]);
    return v;
}

/* GET /api/v1/live/stream?series=a,b[&interval=1s]: every new value of the
 * chosen series, polled from the historian's last values. */
static enum MHD_Result h_live_stream(req *r, struct MHD_Connection *c) {
    enum MHD_Result sent;
    series_set ss;
    if (want_series_set(r, c, &ss, false, &sent)) {
        series_set_free(&ss);
        return sent;
    }
    int64_t interval = 1000;
    if (arg(c, "interval") && (!parse_duration(arg(c, "interval"), &interval) || interval < 200)) {
        series_set_free(&ss);
        return send_error(r, c, 400, "bad_request", "interval: a duration of 200ms or more");
    }
    stream *st = calloc(1, sizeof *st);
    if (!st) {
        series_set_free(&ss);
        return send_error(r, c, 500, "internal", "out of memory");
    }
    st->kind = ST_LIVE;
    st->n_ids = ss.n;
    st->ids = malloc((ss.n ? ss.n : 1) * sizeof *st->ids);
    st->sent_ts = calloc(ss.n ? ss.n : 1, sizeof *st->sent_ts);
    st->names = dup_names(ss.names, ss.n);
    if (st->ids) memcpy(st->ids, ss.ids, ss.n * sizeof *st->ids);
    st->interval_ms = interval;
    series_set_free(&ss);
    if (!st->ids || !st->sent_ts || !st->names) {
        stream_release(st);
        return send_error(r, c, 500, "internal", "out of memory");
    }
    return start_stream(r, c, st, NULL, 0);
}

static int cmp_item(const void *a, const void *b) {
    int64_t x = ((const replay_item *)a)->ts_ms, y = ((const replay_item *)b)->ts_ms;
    return x < y ? -1 : x > y;
}

/* GET /api/v1/replay/stream?from&to&speed&series=a,b: the state at from,
 * then the points and alarm transitions in [from, to) in time order,
 * played at speed times real time (0: as fast as the client reads). */
static enum MHD_Result h_replay_stream(req *r, struct MHD_Connection *c) {
    api_server *s = r->srv;
    enum MHD_Result sent;
    int64_t from, to;
    if (!arg(c, "from") || !arg(c, "to"))
        return send_error(r, c, 400, "bad_request", "from and to are required");
    if (want_range(r, c, &from, &to, &sent)) return sent;
    double speed = 1;
    if (arg(c, "speed")) {
        if (!api_parse_real(arg(c, "speed"), 0, 1e6, &speed))
            return send_error(r, c, 400, "bad_request", "speed: 0 (no pacing) to 1000000");
    }
    series_set ss;
    memset(&ss, 0, sizeof ss);
    if ((arg(c, "series") || arg(c, "enterprise")) && want_series_set(r, c, &ss, false, &sent)) {
        series_set_free(&ss);
        return sent;
    }
    stream *st = calloc(1, sizeof *st);
    size_t cap = 1024, budget = s->o.max_points;
    replay_item *items = malloc(cap * sizeof *items);
    size_t n = 0;
    bool over = false;
    textbuf first = {0};
    if (!st || !items) goto oom;
    /* the state at from */
    hist_value *v = calloc(ss.n ? ss.n : 1, sizeof *v);
    hist_error he;
    if (!v || hist_snapshot(s->o.historian, from - 1, ss.ids, ss.n, v, &he) != HIST_OK) {
        free(v);
        goto oom;
    }
    textbuf d = {0};
    tb_printf(&d, "{\"at\":%lld,\"values\":[", (long long)from);
    tb_values(&d, &ss, v);
    tb_str(&d, "]}");
    free(v);
    tb_sse(&first, 0, "state", d.p ? d.p : "{}");
    free(d.p);
#define PUSH_ITEM(ts, sb)                                                                          \
    do {                                                                                           \
        if (n == cap) {                                                                            \
            replay_item *ni = realloc(items, 2 * cap * sizeof *ni);                                \
            if (!ni) goto oom;                                                                     \
            items = ni, cap *= 2;                                                                  \
        }                                                                                          \
        items[n].ts_ms = (ts);                                                                     \
        items[n++].text = (sb).p;                                                                  \
    } while (0)
    for (size_t i = 0; i < ss.n && !over; i++) {
        hist_samples sm = {0};
        if (hist_query_raw(s->o.historian, ss.ids[i], from, to, budget + 1, &sm, &he) != HIST_OK) {
            hist_samples_free(&sm);
            goto oom;
        }
        for (size_t k = 0; k < sm.n; k++) {
            if (!budget) {
                over = true;
                break;
            }
            budget--;
            textbuf e = {0};
            tb_str(&e, "event: point\ndata: {\"series\":");
            tb_jstr(&e, ss.names[i]);
            tb_printf(&e, ",\"ts\":%lld,\"value\":", (long long)sm.v[k].ts_ms);
            tb_num(&e, sm.v[k].value);
            tb_printf(&e, ",\"quality\":%u}\n\n", sm.v[k].quality);
            if (e.oom) {
                hist_samples_free(&sm);
                goto oom;
            }
            PUSH_ITEM(sm.v[k].ts_ms, e);
        }
        hist_samples_free(&sm);
    }
    const char *ent_asked = arg(c, "enterprise");
    if (s->o.alarms && !over) {
        alert_event *ev;
        size_t ne;
        if (alert_journal_range(s->o.alarms, from, to, &ev, &ne) == 0) {
            for (size_t i = 0; i < ne; i++) {
                alert_rule ru;
                if (alert_rule_get(s->o.alarms, ev[i].rule, &ru) != 0) continue;
                if (!scope_sees(r, ru.enterprise, false) || !alarm_asked(&ss, ent_asked, &ru))
                    continue;
                if (!budget) {
                    over = true;
                    break;
                }
                budget--;
                textbuf e = {0}, dd = {0};
                tb_event(&dd, &ev[i], &ru);
                tb_str(&e, "event: alarm\ndata: ");
                tb_str(&e, dd.p ? dd.p : "{}");
                tb_str(&e, "\n\n");
                free(dd.p);
                if (e.oom) {
                    free(ev);
                    goto oom;
                }
                PUSH_ITEM(ev[i].ts_ms, e);
            }
            free(ev);
        }
    }
#undef PUSH_ITEM
    if (over) {
        for (size_t i = 0; i < n; i++) free(items[i].text);
        free(items), free(st), free(first.p);
        series_set_free(&ss);
        return send_error(r, c, 400, "limit_exceeded",
                          "the replay holds more than %zu points and transitions; shorten it",
                          s->o.max_points);
    }
    /* stable order: points and transitions at one instant keep their order */
    qsort(items, n, sizeof *items, cmp_item);
    st->kind = ST_REPLAY;
    st->items = items, st->n_items = n;
    st->from_ms = from, st->to_ms = to, st->speed = speed;
    st->start_mono = mono_s();
    series_set_free(&ss);
    enum MHD_Result rc = start_stream(r, c, st, first.p, first.oom ? 0 : first.n);
    free(first.p);
    return rc;
oom:
    for (size_t i = 0; items && i < n; i++) free(items[i].text);
    free(items), free(st), free(first.p);
    series_set_free(&ss);
    return send_error(r, c, 500, "internal", "out of memory or historian failure");
}

/* The pump: paces replays, polls live values, sends heartbeats (which is
 * also how a suspended stream finds out that its client went away). */
static void pump_live(api_server *s, stream *st, int64_t now) {
    if (now < st->next_poll_ms) return;
    st->next_poll_ms = now + st->interval_ms;
    hist_value *v = calloc(st->n_ids ? st->n_ids : 1, sizeof *v);
    hist_error he;
    if (!v || hist_last(s->o.historian, st->ids, st->n_ids, v, &he) != HIST_OK) {
        free(v);
        return;
    }
    textbuf d = {0};
    size_t k = 0;
    for (size_t i = 0; i < st->n_ids; i++) {
        if (!v[i].present || v[i].ts_ms <= st->sent_ts[i]) continue;
        st->sent_ts[i] = v[i].ts_ms;
        tb_str(&d, k++ ? "," : "{\"values\":[");
        tb_str(&d, "{\"series\":");
        tb_jstr(&d, st->names[i]);
        tb_printf(&d, ",\"ts\":%lld,\"value\":", (long long)v[i].ts_ms);
        tb_num(&d, v[i].value);
        tb_printf(&d, ",\"quality\":%u}", v[i].quality);
    }
    free(v);
    if (k) {
        tb_str(&d, "]}");
        textbuf e = {0};
        tb_sse(&e, ++st->event_id, "values", d.p ? d.p : "{}");
        if (!e.oom && !d.oom) stream_push_locked(st, e.p, e.n);
        free(e.p);
        st->last_beat_ms = now;
    }
    free(d.p);
}

static void pump_replay(stream *st, int64_t now) {
    double played = st->speed > 0 ? (mono_s() - st->start_mono) * 1000 * st->speed : INFINITY;
    int64_t until =
        played >= (double)(st->to_ms - st->from_ms) ? st->to_ms : st->from_ms + (int64_t)played;
    textbuf b = {0};
    /* at most 1 MiB a round, so a fast replay streams instead of piling up */
    while (st->next_item < st->n_items && st->items[st->next_item].ts_ms <= until &&
           b.n < (1u << 20)) {
        tb_printf(&b, "id: %zu\n", st->next_item + 1);
        tb_str(&b, st->items[st->next_item].text);
        free(st->items[st->next_item].text);
        st->items[st->next_item].text = NULL;
        st->next_item++;
    }
    if (st->next_item == st->n_items && until >= st->to_ms)
        tb_printf(&b, "event: end\ndata: {\"to\":%lld,\"events\":%zu}\n\n", (long long)st->to_ms,
                  st->n_items);
    if (b.n && !b.oom) {
        stream_push_locked(st, b.p, b.n);
        st->last_beat_ms = now;
    }
    if (st->next_item == st->n_items && until >= st->to_ms) st->done = true, stream_end_locked(st);
    free(b.p);
}

/* Ends streams whose token was revoked or expired, once a second. The
 * token store may reread its file, so the check runs without the streams
 * lock: the ids are copied under it, checked outside, and the streams of
 * the refused ones ended under it again. Called and returns with smu held. */
static void end_revoked_locked(api_server *s, int64_t now) {
    size_t n = 0, cap = s->n_streams;
    char(*ids)[17] = cap ? malloc(cap * sizeof *ids) : NULL;
    for (stream *st = s->streams; ids && st && n < cap; st = st->next)
        if (!st->done) memcpy(ids[n++], st->tok.id, sizeof ids[0]);
    pthread_mutex_unlock(&s->smu);
    bool *bad = n ? calloc(n, sizeof *bad) : NULL;
    size_t n_bad = 0;
    for (size_t i = 0; bad && i < n; i++)
        n_bad += bad[i] = !api_token_store_valid(s->tokens, ids[i], now);
    pthread_mutex_lock(&s->smu);
    for (stream *st = s->streams; n_bad && st; st = st->next) {
        if (st->done) continue;
        for (size_t i = 0; i < n; i++) {
            if (!bad[i] || strcmp(ids[i], st->tok.id)) continue;
            static const char gone[] =
                "event: revoked\ndata: {\"reason\":\"the token was revoked or expired\"}\n\n";
            stream_push_locked(st, gone, sizeof gone - 1);
            stream_end_locked(st);
            s->streams_revoked++;
            break;
        }
    }
    free(bad);
    free(ids);
}

/* A suspended stream is not read by libmicrohttpd, so a client that went
 * away would hold its slot until the next heartbeat fails (15 s): its
 * socket is polled for the hang-up instead, and the stream ended at once.
 * Streams lock held. */
static void end_hung_up_locked(api_server *s) {
    for (stream *st = s->streams; st; st = st->next) {
        if (st->done || !st->suspended || st->fd < 0) continue;
        struct pollfd p = {.fd = st->fd, .events = POLLRDHUP};
        if (poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR))) {
            stream_end_locked(st);
            s->streams_hung_up++;
        }
    }
}

static void *pump_main(void *arg) {
    api_server *s = arg;
    int64_t next_second = 0;
    pthread_mutex_lock(&s->smu);
    while (!s->stopping) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 50 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) ts.tv_sec++, ts.tv_nsec -= 1000000000L;
        pthread_cond_timedwait(&s->pump_cv, &s->smu, &ts);
        if (s->stopping) break;
        int64_t now = wall_ms();
        for (stream *st = s->streams; st; st = st->next) {
            if (st->done) continue;
            if (st->kind == ST_LIVE)
                pump_live(s, st, now);
            else if (st->kind == ST_REPLAY && st->pend_n - st->pend_off < (1u << 20))
                pump_replay(st, now);
            if (!st->done && now - st->last_beat_ms >= HEARTBEAT_MS) {
                stream_push_locked(st, ": keepalive\n\n", 14);
                st->last_beat_ms = now;
            }
        }
        end_hung_up_locked(s);
        if (now >= next_second) {
            next_second = now + 1000;
            end_revoked_locked(s, now);
            api_guard_sweep(s->guard, api_guard_now_ms());
        }
    }
    pthread_mutex_unlock(&s->smu);
    return NULL;
}

/* POST /api/v1/stream-tickets: a one-use ticket for opening an event
 * stream without the token in its URL (api/tickets.h). */
static enum MHD_Result h_stream_ticket(req *r, struct MHD_Connection *c) {
    char t[API_TICKET_LEN + 1];
    int64_t expires;
    if (api_ticket_issue(r->srv->tickets, &r->tok, wall_ms(), t, &expires) != 0)
        return send_error(r, c, 500, "internal", "no randomness for a ticket");
    return send_json(r, c, 201,
                     json_pack("{s:s,s:I}", "ticket", t, "expires_ms", (json_int_t)expires));
}

/* ---- the views (views.h): risk, environment, emergency ---- */

static bool view_keep(void *ctx, const char *enterprise) {
    return scope_sees(ctx, enterprise, false);
}

static enum MHD_Result no_views(req *r, struct MHD_Connection *c) {
    return send_error(r, c, 503, "unavailable", "the views need a park layout");
}

/* ?at= (default now) into a query with the caller's scope. */
static int want_view_query(req *r, struct MHD_Connection *c, views_query *q,
                           enum MHD_Result *sent) {
    memset(q, 0, sizeof *q);
    q->keep = view_keep, q->ctx = r;
    if (arg(c, "at") && !parse_time(arg(c, "at"), wall_ms(), &q->at_ms)) {
        *sent = send_error(r, c, 400, "bad_request", "at: a time in ms, \"now\" or \"-1h\"");
        return -1;
    }
    return 0;
}

static enum MHD_Result h_view_risk(req *r, struct MHD_Connection *c) {
    views *v = r->srv->o.views;
    if (!v) return no_views(r, c);
    views_query q;
    enum MHD_Result sent;
    if (want_view_query(r, c, &q, &sent)) return sent;
    char *json, err[256];
    size_t len;
    if (views_risk_layer(v, &q, &json, &len, err, sizeof err) != 0)
        return send_error(r, c, 500, "internal", "%s", err);
    return send_buf(r, c, 200, "application/geo+json", json, len);
}

static enum MHD_Result h_view_source(req *r, struct MHD_Connection *c, const char *id) {
    views *v = r->srv->o.views;
    if (!v) return no_views(r, c);
    views_query q;
    enum MHD_Result sent;
    int64_t from, to, step = 3600000;
    if (want_view_query(r, c, &q, &sent) || want_range_span(r, c, 86400000, &from, &to, &sent))
        return sent;
    if (arg(c, "step") && !parse_duration(arg(c, "step"), &step))
        return send_error(r, c, 400, "bad_request", "step: a duration such as 10m or 1h");
    if ((to - from) / step > 10000)
        return send_error(r, c, 400, "limit_exceeded", "at most 10,000 steps");
    json_t *o;
    char err[256];
    if (views_risk_source(v, &q, id, from, to, step, &o, err, sizeof err) != 0)
        return send_error(r, c, 404, "not_found", "%s", err);
    return send_json(r, c, 200, o);
}

static enum MHD_Result h_view_aqi(req *r, struct MHD_Connection *c) {
    views *v = r->srv->o.views;
    if (!v) return no_views(r, c);
    views_query q;
    enum MHD_Result sent;
    if (want_view_query(r, c, &q, &sent)) return sent;
    char *json, err[256];
    size_t len;
    if (views_aqi_layer(v, &q, &json, &len, err, sizeof err) != 0)
        return send_error(r, c, 500, "internal", "%s", err);
    return send_buf(r, c, 200, "application/geo+json", json, len);
}

static enum MHD_Result h_view_idw(req *r, struct MHD_Connection *c) {
    views *v = r->srv->o.views;
    if (!v) return no_views(r, c);
    views_query q;
    enum MHD_Result sent;
    if (want_view_query(r, c, &q, &sent)) return sent;
    size_t nx = 100, ny = 100;
    if ((arg(c, "nx") && !parse_size(arg(c, "nx"), &nx)) ||
        (arg(c, "ny") && !parse_size(arg(c, "ny"), &ny)) || !nx || !ny)
        return send_error(r, c, 400, "bad_request", "nx and ny: cells a side, 1 to 500");
    if (nx > 500 || ny > 500)
        return send_error(r, c, 400, "limit_exceeded", "at most 500 cells a side");
    const char *pol = arg(c, "pollutant");
    char *json, err[256];
    size_t len;
    if (views_idw(v, &q, pol ? pol : "PM2_5", (int)nx, (int)ny, &json, &len, err, sizeof err) != 0)
        return send_error(r, c, 400, "bad_request", "%s", err);
    return send_buf(r, c, 200, "application/geo+json", json, len);
}

static enum MHD_Result h_view_toxic(req *r, struct MHD_Connection *c) {
    views *v = r->srv->o.views;
    if (!v) return no_views(r, c);
    views_query q;
    enum MHD_Result sent;
    if (want_view_query(r, c, &q, &sent)) return sent;
    json_t *o;
    char err[256];
    if (views_toxic_summary(v, &q, &o, err, sizeof err) != 0)
        return send_error(r, c, 500, "internal", "%s", err);
    return send_json(r, c, 200, o);
}

/* GET /incidents; POST /incidents (operator, admin, or an enterprise for
 * its own plot) with {"tank": id} or {"lon", "lat", "substance"}, and
 * "release_kg_s" or "hole_mm", "height_m", "start_ms", "note". */
static enum MHD_Result h_incidents(req *r, struct MHD_Connection *c, bool post) {
    views *v = r->srv->o.views;
    if (!v) return no_views(r, c);
    if (!post) {
        views_query q = {.keep = view_keep, .ctx = r};
        json_t *o;
        if (views_incidents(v, &q, &o) != 0)
            return send_error(r, c, 500, "internal", "out of memory");
        return send_json(r, c, 200, o);
    }
    if (!role_may(r, "alarm_action"))
        return send_error(r, c, 403, "forbidden", "a %s token cannot open incidents",
                          api_role_name(r->tok.role));
    json_t *b;
    enum MHD_Result sent;
    if (want_body_object(r, c, false, &b, &sent)) return sent;
    static const char *const numbers[] = {"lon", "lat", "release_kg_s", "hole_mm", "height_m"};
    for (size_t i = 0; i < sizeof numbers / sizeof *numbers; i++) {
        json_t *x = json_object_get(b, numbers[i]);
        if (x && !json_is_number(x)) {
            json_decref(b);
            return send_error(r, c, 400, "bad_request", "%s must be a number", numbers[i]);
        }
    }
    json_t *start = json_object_get(b, "start_ms");
    if (start && (!json_is_integer(start) || !api_time_ok(json_integer_value(start)))) {
        json_decref(b);
        return send_error(r, c, 400, "bad_request", "start_ms: a time in ms since 1970");
    }
    views_incident_spec sp = {
        .tank_id = json_string_value(json_object_get(b, "tank")),
        .lon = json_number_value(json_object_get(b, "lon")),
        .lat = json_number_value(json_object_get(b, "lat")),
        .substance = json_string_value(json_object_get(b, "substance")),
        .release_kg_s = json_number_value(json_object_get(b, "release_kg_s")),
        .hole_mm = json_number_value(json_object_get(b, "hole_mm")),
        .height_m = json_number_value(json_object_get(b, "height_m")),
        .start_ms = json_integer_value(json_object_get(b, "start_ms")),
        .opened_by = r->tok.name,
        .note = json_string_value(json_object_get(b, "note")),
        .only_enterprise = r->tok.role == API_ROLE_ENTERPRISE ? r->tok.enterprise : NULL,
    };
    char id[32], err[256];
    int rc = views_incident_open(v, &sp, id, err, sizeof err);
    json_decref(b);
    if (rc != 0) return send_error(r, c, 400, "bad_request", "%s", err);
    views_query q = {.keep = view_keep, .ctx = r};
    json_t *o;
    if (views_incident_view(v, id, &q, &o, err, sizeof err) != 0)
        return send_error(r, c, 500, "internal", "%s", err);
    audit(r->srv, r, "incident_open", json_pack("{s:s}", "incident", id));
    return send_json(r, c, 201, o);
}

static enum MHD_Result h_incident(req *r, struct MHD_Connection *c, const char *rest, bool post) {
    views *v = r->srv->o.views;
    if (!v) return no_views(r, c);
    char id[32];
    size_t n = strcspn(rest, "/");
    if (n == 0 || n >= sizeof id) return send_error(r, c, 404, "not_found", "no such incident");
    memcpy(id, rest, n);
    id[n] = 0;
    const char *tail = rest + n;
    views_query q;
    enum MHD_Result sent;
    if (want_view_query(r, c, &q, &sent)) return sent;
    json_t *o;
    char err[256];
    if (!strcmp(tail, "/close")) {
        if (!post) return send_error(r, c, 405, NULL, "POST only");
        if (!role_may(r, "alarm_action"))
            return send_error(r, c, 403, "forbidden", "a %s token cannot close incidents",
                              api_role_name(r->tok.role));
        if (views_incident_view(v, id, &q, &o, err, sizeof err) != 0)
            return send_error(r, c, 404, "not_found", "%s", err);
        json_decref(o);
        if (views_incident_close(v, id, 0, r->tok.name, err, sizeof err) != 0)
            return send_error(r, c, 409, "conflict", "%s", err);
        audit(r->srv, r, "incident_close", json_pack("{s:s}", "incident", id));
        q.at_ms = 0;
        views_incidents(v, &q, &o);
        return send_json(r, c, 200, o);
    }
    if (*tail) return send_error(r, c, 404, "not_found", "no such incident endpoint");
    if (post) return send_error(r, c, 405, NULL, "GET only");
    if (views_incident_view(v, id, &q, &o, err, sizeof err) != 0)
        return send_error(r, c, 404, "not_found", "%s", err);
    return send_json(r, c, 200, o);
}

/* ---- the dashboard's files ---- */

static const char *mime_of(const char *path) {
    const char *dot = strrchr(path, '.');
    static const char *const map[][2] = {{".html", "text/html; charset=utf-8"},
                                         {".js", "text/javascript; charset=utf-8"},
                                         {".mjs", "text/javascript; charset=utf-8"},
                                         {".css", "text/css; charset=utf-8"},
                                         {".json", "application/json"},
                                         {".geojson", "application/geo+json"},
                                         {".svg", "image/svg+xml"},
                                         {".png", "image/png"},
                                         {".jpg", "image/jpeg"},
                                         {".ico", "image/x-icon"},
                                         {".woff2", "font/woff2"},
                                         {".wav", "audio/wav"},
                                         {".map", "application/json"}};
    for (size_t i = 0; dot && i < sizeof map / sizeof map[0]; i++)
        if (!strcmp(dot, map[i][0])) return map[i][1];
    return "application/octet-stream";
}

static enum MHD_Result h_static(req *r, struct MHD_Connection *c, const char *url) {
    api_server *s = r->srv;
    if (!s->static_dir) return send_error(r, c, 404, "not_found", "no dashboard is installed");
    /* The target must be a path: "-x/f" (or "", from "%00") would name
     * "<static_dir>-x/f", a file beside the dashboard's directory. */
    if (url[0] != '/' || strstr(url, "..") || strchr(url, '\\') || strlen(url) > 512)
        return send_error(r, c, 404, "not_found", "no such file");
    char path[1024];
    snprintf(path, sizeof path, "%s%s%s", s->static_dir, url,
             url[strlen(url) - 1] == '/' ? "index.html" : "");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        if (fd >= 0) close(fd);
        return send_error(r, c, 404, "not_found", "no such file");
    }
    /* "no-cache" makes the browser ask each time; the validator lets the
     * answer be a bodyless 304 when the file has not changed (a dashboard
     * reload on the closed park network costs one round trip a file). */
    char etag[64];
    snprintf(etag, sizeof etag, "\"%llx-%llx-%lx\"", (unsigned long long)sb.st_size,
             (unsigned long long)sb.st_mtim.tv_sec, (unsigned long)sb.st_mtim.tv_nsec);
    const char *inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "If-None-Match");
    bool fresh = inm && (strstr(inm, etag) || !strcmp(inm, "*"));
    struct MHD_Response *resp =
        fresh ? MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT)
              : MHD_create_response_from_fd((uint64_t)sb.st_size, fd);
    if (fresh || !resp) close(fd);
    if (!resp) return MHD_NO;
    MHD_add_response_header(resp, "ETag", etag);
    return queue_resp(r, c, fresh ? 304 : 200, resp, fresh ? NULL : mime_of(path), "no-cache",
                      true);
}

/* ---- dispatch ---- */

static bool authenticate(req *r, struct MHD_Connection *c, const char *url) {
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    if (!h) {
        /* EventSource cannot set headers: streams (only) may carry a
         * one-use ?ticket= (api/tickets.h), never the token itself */
        const char *t = arg(c, "ticket");
        size_t n = strlen(url);
        if (!t || n < 7 || strcmp(url + n - 7, "/stream")) return false;
        return api_ticket_redeem(r->srv->tickets, t, wall_ms(), &r->tok) == 0 &&
               api_token_store_valid(r->srv->tokens, r->tok.id, wall_ms());
    }
    if (strncasecmp(h, "Bearer ", 7)) return false;
    h += 7;
    while (*h == ' ') h++;
    return api_token_store_check(r->srv->tokens, h, &r->tok) == 0;
}

static enum MHD_Result route(req *r, struct MHD_Connection *c, const char *url,
                             const char *method) {
    api_server *s = r->srv;
    bool get = !strcmp(method, "GET") || !strcmp(method, "HEAD"), post = !strcmp(method, "POST");
    if (!strcmp(url, "/healthz")) {
        r->route = R_HEALTH;
        return get ? h_health(r, c) : send_error(r, c, 405, NULL, "GET only");
    }
    if (!strcmp(url, PREFIX "/openapi.json")) {
        r->route = R_OPENAPI;
        if (!get) return send_error(r, c, 405, NULL, "GET only");
        return send_buf(r, c, 200, "application/json", strdup((const char *)api_openapi_json),
                        api_openapi_json_len);
    }
    bool api = !strncmp(url, PREFIX "/", sizeof PREFIX) || !strcmp(url, "/metrics");
    if (!api) {
        r->route = R_STATIC;
        if (!get) return send_error(r, c, 405, NULL, "GET only");
        return h_static(r, c, url);
    }
    if (!authenticate(r, c, url))
        return send_error(r, c, 401, "unauthorized",
                          "a valid token is required (Authorization: Bearer <token>)");
    r->have_tok = true;
    if (!rate_ok(s, r->tok.id)) {
        s->rate_limited++;
        return send_error(r, c, 429, "rate_limited", "too many requests for this token");
    }
    if (!strcmp(url, "/metrics")) {
        r->route = R_METRICS;
        return get ? h_metrics(r, c) : send_error(r, c, 405, NULL, "GET only");
    }
    const char *p = url + sizeof PREFIX; /* after "/api/v1/" */
    static const struct {
        const char *path;
        int route;
        bool post;
        enum MHD_Result (*fn)(req *, struct MHD_Connection *);
    } fixed[] = {
        {"whoami", R_WHOAMI, false, NULL},
        {"series", R_SERIES, false, h_series},
        {"series/raw", R_RAW, false, h_raw},
        {"series/range", R_RANGE, false, h_range},
        {"last", R_LAST, false, h_last},
        {"layers", R_LAYERS, false, h_layers},
        {"alarms", R_ALARMS, false, h_alarms},
        {"alarms/rules", R_RULES, false, h_rules},
        {"alarms/journal", R_JOURNAL, false, h_journal},
        {"alarms/kpis", R_KPIS, false, h_kpis},
        {"alarms/stream", R_ALARM_STREAM, false, h_alarm_stream},
        {"live/stream", R_LIVE_STREAM, false, h_live_stream},
        {"replay/state", R_REPLAY_STATE, false, h_replay_state},
        {"replay/stream", R_REPLAY_STREAM, false, h_replay_stream},
        {"ingest/status", R_INGEST_STATUS, false, h_ingest_status},
        {"ingest/dead-letters", R_DEAD_LETTERS, false, h_dead_letters},
        {"ingest/devices", R_DEVICES, false, h_devices},
        {"ingest", R_INGEST_POST, true, h_ingest_post},
        {"admin/backup", R_ADMIN_BACKUP, true, h_admin_backup},
        {"stream-tickets", R_STREAM_TICKET, true, h_stream_ticket},
        {"views/risk", R_VIEW_RISK, false, h_view_risk},
        {"views/aqi", R_VIEW_AQI, false, h_view_aqi},
        {"views/idw", R_VIEW_IDW, false, h_view_idw},
        {"views/toxic", R_VIEW_TOXIC, false, h_view_toxic},
    };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        if (strcmp(p, fixed[i].path)) continue;
        r->route = fixed[i].route;
        if (fixed[i].post ? !post : !get)
            return send_error(r, c, 405, NULL, "%s only", fixed[i].post ? "POST" : "GET");
        if (r->route == R_WHOAMI)
            return send_json(r, c, 200,
                             json_pack("{s:s,s:s,s:s,s:s}", "id", r->tok.id, "role",
                                       api_role_name(r->tok.role), "enterprise", r->tok.enterprise,
                                       "name", r->tok.name));
        return fixed[i].fn(r, c);
    }
    if (!strcmp(p, "incidents")) {
        r->route = R_INCIDENTS;
        if (!get && !post) return send_error(r, c, 405, NULL, "GET or POST");
        return h_incidents(r, c, post);
    }
    if (!strncmp(p, "incidents/", 10)) {
        r->route = R_INCIDENT;
        if (!get && !post) return send_error(r, c, 405, NULL, "GET or POST");
        return h_incident(r, c, p + 10, post);
    }
    if (!strncmp(p, "views/risk/", 11)) {
        r->route = R_VIEW_SOURCE;
        return get ? h_view_source(r, c, p + 11) : send_error(r, c, 405, NULL, "GET only");
    }
    if (!strncmp(p, "layers/", 7)) {
        r->route = R_LAYER;
        return get ? h_layer(r, c, p + 7) : send_error(r, c, 405, NULL, "GET only");
    }
    if (!strncmp(p, "alarms/", 7) && isdigit((unsigned char)p[7])) {
        r->route = R_ALARM_ACTION;
        const char *act = strchr(p + 7, '/');
        bool known =
            act && (!strcmp(act, "/ack") || !strcmp(act, "/shelve") || !strcmp(act, "/unshelve"));
        if (known && !post) return send_error(r, c, 405, NULL, "POST only");
        return h_alarm_action(r, c, p + 7);
    }
    r->route = R_OTHER;
    return send_error(r, c, 404, "not_found", "no endpoint %s", url);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls) {
    (void)version;
    api_server *s = cls;
    req *r = *con_cls;
    if (!r) {
        r = calloc(1, sizeof *r);
        if (!r) return MHD_NO;
        r->srv = s;
        r->route = R_OTHER;
        r->t0 = mono_s();
        *con_cls = r;
        api_guard_head_done(s->guard, c); /* the head is in: its clock stops */
        /* refuse an oversized body before it is sent */
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
        if (cl && strtoull(cl, NULL, 10) > s->o.max_body_bytes) {
            /* answered before the body is read (no 100 Continue) */
            r->body_too_big = true;
            return send_error(r, c, 413, "payload_too_large", "the body is larger than %zu bytes",
                              s->o.max_body_bytes);
        }
        return MHD_YES;
    }
    if (*upload_size && r->status) { /* already answered: drop the body */
        *upload_size = 0;
        return MHD_YES;
    }
    if (*upload_size) {
        if (!r->body_too_big && r->body_n + *upload_size > s->o.max_body_bytes) {
            r->body_too_big = true;
            free(r->body);
            r->body = NULL, r->body_n = r->body_cap = 0;
        }
        if (!r->body_too_big) {
            if (r->body_n + *upload_size + 1 > r->body_cap) {
                size_t cap = r->body_cap ? r->body_cap : 4096;
                while (cap < r->body_n + *upload_size + 1) cap *= 2;
                char *nb = realloc(r->body, cap);
                if (!nb) return MHD_NO;
                r->body = nb, r->body_cap = cap;
            }
            memcpy(r->body + r->body_n, upload, *upload_size);
            r->body_n += *upload_size;
            r->body[r->body_n] = 0;
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (r->status) return MHD_YES; /* answered on the first call */
    if (r->body_too_big)
        return send_error(r, c, 413, "payload_too_large", "the body is larger than %zu bytes",
                          s->o.max_body_bytes);
    return route(r, c, url, method);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
    (void)toe;
    api_server *s = cls;
    api_guard_request_done(s->guard, c); /* the next head's clock starts */
    req *r = *con_cls;
    if (!r) return;
    route_stats *rs = &s->routes[r->route];
    double ms = (mono_s() - r->t0) * 1000;
    rs->requests++;
    if (r->status >= 500)
        rs->errors_5xx++;
    else if (r->status >= 400)
        rs->errors_4xx++;
    if (r->route != R_ALARM_STREAM && r->route != R_LIVE_STREAM && r->route != R_REPLAY_STREAM) {
        int k = 0;
        while (k < N_LAT_BUCKETS && ms > lat_bounds_ms[k]) k++;
        rs->le[k]++;
        rs->sum_us += (uint64_t)(ms * 1000);
    }
    free(r->body);
    free(r);
    *con_cls = NULL;
}

/* ---- start and stop ---- */

void api_options_default(api_options *o) {
    memset(o, 0, sizeof *o);
    o->listen = "127.0.0.1:8080";
    o->threads = 2;
    o->max_points = 100000;
    o->max_span_ms = 400LL * 86400000;
    o->max_body_bytes = 1u << 20;
    o->max_series_per_req = 1000;
    o->max_streams = 64;
    o->max_streams_per_token = 8;
    o->streams_reserved = 8;
    o->head_timeout_ms = 30000;
}

static char *read_pem(const char *path, char *err, size_t errcap) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errcap, "api: %s: %s", path, strerror(errno));
        return NULL;
    }
    char *b = malloc(1 << 20);
    size_t n = b ? fread(b, 1, (1 << 20) - 1, f) : 0;
    fclose(f);
    if (!b || !n) {
        free(b);
        snprintf(err, errcap, "api: %s: empty or unreadable", path);
        return NULL;
    }
    b[n] = 0;
    return b;
}

static bool is_loopback(const struct sockaddr_in *a) {
    return (ntohl(a->sin_addr.s_addr) >> 24) == 127;
}

int api_start(const api_options *opt, api_server **out, char *err, size_t errcap) {
    *out = NULL;
    if (!opt->historian || !opt->token_file) {
        snprintf(err, errcap, "api: the historian and a token file are required");
        return -1;
    }
    api_server *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errcap, "api: out of memory");
        return -1;
    }
    s->o = *opt;
    api_options d;
    api_options_default(&d);
    if (!s->o.listen) s->o.listen = d.listen;
    if (!s->o.threads) s->o.threads = d.threads;
    if (!s->o.max_points) s->o.max_points = d.max_points;
    if (!s->o.max_span_ms) s->o.max_span_ms = d.max_span_ms;
    if (!s->o.max_body_bytes) s->o.max_body_bytes = d.max_body_bytes;
    if (!s->o.max_series_per_req) s->o.max_series_per_req = d.max_series_per_req;
    if (!s->o.max_streams) s->o.max_streams = d.max_streams;
    if (!s->o.max_streams_per_token) s->o.max_streams_per_token = d.max_streams_per_token;
    if (!s->o.head_timeout_ms) s->o.head_timeout_ms = d.head_timeout_ms;
    s->guard = api_guard_open(s->o.head_timeout_ms);
    s->tickets = api_tickets_open(60000);
    if (!s->guard || !s->tickets) {
        snprintf(err, errcap, "api: out of memory");
        goto fail;
    }
    pthread_mutex_init(&s->smu, NULL);
    pthread_mutex_init(&s->rmu, NULL);
    pthread_mutex_init(&s->amu, NULL);
    pthread_mutex_init(&s->lmu, NULL);
    pthread_cond_init(&s->pump_cv, NULL);
    s->listen = xstrdup(s->o.listen);
    s->static_dir = xstrdup(opt->static_dir);
    s->o.listen = s->listen, s->o.static_dir = s->static_dir;
    s->o.tls_cert = s->o.tls_key = s->o.token_file = s->o.audit_log = NULL;
    s->o.backup_dir = s->backup_dir = xstrdup(opt->backup_dir);
    struct sockaddr_in addr = {.sin_family = AF_INET};
    const char *colon = strrchr(s->listen, ':');
    char host[64];
    if (!colon || (size_t)(colon - s->listen) >= sizeof host) goto bad_listen;
    snprintf(host, sizeof host, "%.*s", (int)(colon - s->listen), s->listen);
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port < 0 || port > 65535 ||
        inet_pton(AF_INET, !strcmp(host, "localhost") ? "127.0.0.1" : host, &addr.sin_addr) != 1)
        goto bad_listen;
    addr.sin_port = htons((uint16_t)port);
    bool tls = opt->tls_cert && opt->tls_key;
    if (!tls && !is_loopback(&addr) && !opt->allow_remote_http) {
        snprintf(err, errcap,
                 "api: plain HTTP on %s is refused: set TLS files, or allow_remote_http",
                 s->listen);
        goto fail;
    }
    if (tls) {
        if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
            snprintf(err, errcap, "api: this libmicrohttpd has no TLS support");
            goto fail;
        }
        if (!(s->tls_cert_pem = read_pem(opt->tls_cert, err, errcap)) ||
            !(s->tls_key_pem = read_pem(opt->tls_key, err, errcap)))
            goto fail;
    }
    if (api_token_store_open(opt->token_file, &s->tokens, err, errcap) != 0) goto fail;
    if (opt->audit_log) {
        s->audit = fopen(opt->audit_log, "a");
        if (!s->audit) {
            snprintf(err, errcap, "api: audit log %s: %s", opt->audit_log, strerror(errno));
            goto fail;
        }
    }
    if (index_layout(s) != 0) {
        snprintf(err, errcap, "api: out of memory");
        goto fail;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
                     (tls ? MHD_USE_TLS : 0);
    struct MHD_OptionItem ops[] = {
        {MHD_OPTION_SOCK_ADDR, 0, &addr},
        {MHD_OPTION_THREAD_POOL_SIZE, (intptr_t)s->o.threads, NULL},
        {MHD_OPTION_CONNECTION_LIMIT, 4096, NULL},
        {MHD_OPTION_CONNECTION_TIMEOUT, 120, NULL},
        {MHD_OPTION_CONNECTION_MEMORY_LIMIT, 64 * 1024, NULL},
        {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, s},
        {MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)api_guard_notify, s->guard},
        {MHD_OPTION_LISTENING_ADDRESS_REUSE, 1, NULL},
        {tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, s->tls_cert_pem},
        {tls ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, 0, s->tls_key_pem},
        {MHD_OPTION_END, 0, NULL}};
    s->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s, MHD_OPTION_ARRAY, ops,
                            MHD_OPTION_END);
    if (!s->d) {
        snprintf(err, errcap, "api: cannot listen on %s (in use, or bad TLS files?)", s->listen);
        goto fail;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di ? di->port : (int)port;
    if (s->o.alarms) {
        if (alert_subscribe(s->o.alarms, on_alarm, s) != 0) {
            snprintf(err, errcap, "api: the alarm engine has no room for another subscriber");
            goto fail;
        }
        s->subscribed = true;
    }
    if (pthread_create(&s->pump, NULL, pump_main, s) != 0) {
        snprintf(err, errcap, "api: cannot start a thread");
        goto fail;
    }
    s->pump_running = true;
    *out = s;
    return 0;
bad_listen:
    snprintf(err, errcap, "api: listen must be IPv4 \"HOST:PORT\", not \"%s\"", s->listen);
fail:
    api_stop(s);
    return -1;
}

int api_port(const api_server *s) {
    return s ? s->port : -1;
}

void api_stop(api_server *s) {
    if (!s) return;
    if (s->subscribed) alert_unsubscribe(s->o.alarms, on_alarm, s);
    /* end every stream: a suspended connection must be resumed before the
     * daemon can stop */
    pthread_mutex_lock(&s->smu);
    s->stopping = true;
    for (stream *st = s->streams; st; st = st->next) stream_end_locked(st);
    pthread_cond_broadcast(&s->pump_cv);
    pthread_mutex_unlock(&s->smu);
    if (s->pump_running) pthread_join(s->pump, NULL);
    if (s->d) {
        MHD_quiesce_daemon(s->d);
        /* let resumed streams finish writing their end */
        for (int i = 0; i < 100; i++) {
            pthread_mutex_lock(&s->smu);
            size_t n = s->n_streams;
            pthread_mutex_unlock(&s->smu);
            if (!n) break;
            usleep(10000);
        }
        MHD_stop_daemon(s->d);
    }
    api_token_store_close(s->tokens);
    api_guard_close(s->guard); /* after the daemon: its connections are gone */
    api_tickets_close(s->tickets);
    if (s->audit) fclose(s->audit);
    free(s->listen);
    free(s->static_dir);
    free(s->backup_dir);
    free(s->tls_cert_pem);
    free(s->tls_key_pem);
    free(s->rate);
    free(s->fs_names);
    free(s->fs_feature);
    for (int i = 0; i < LAYER_SLOTS; i++) shared_release(s->layers[i].text);
    pthread_mutex_destroy(&s->lmu);
    pthread_mutex_destroy(&s->smu);
    pthread_mutex_destroy(&s->rmu);
    pthread_mutex_destroy(&s->amu);
    pthread_cond_destroy(&s->pump_cv);
    free(s);
}
