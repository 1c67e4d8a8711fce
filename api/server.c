/*
 * server.c - the server's life: options, start, stop, and libmicrohttpd's
 * request and completion callbacks.
 */
#include "api/internal.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

/* The request line, before libmicrohttpd parses it: one too long, or with
 * too many parameters, would run out of its per-connection memory while
 * parsing and then get no answer at all (fuzz_api_extremes: a 50 KB line
 * hung for the idle timeout). It gets a 414 and is closed instead. */
#define MAX_REQUEST_LINE 32768
#define MAX_PARAMETERS   256
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c) {
    api_server *s = cls;
    size_t params = 0, len = 0;
    for (const char *p = uri; *p; p++, len++) params += *p == '&';
    if (len > MAX_REQUEST_LINE || params >= MAX_PARAMETERS) {
        static const char too_long[] =
            "HTTP/1.1 414 URI Too Long\r\nContent-Type: application/json\r\n"
            "Connection: close\r\nContent-Length: 104\r\n\r\n"
            "{\"error\":{\"code\":\"limit_exceeded\",\"message\":\"a request line is at most "
            "32768 bytes and 255 parameters\"}}";
        api_guard_refuse(s->guard, c, s->tls_cert_pem ? NULL : too_long);
    }
    return NULL; /* the request's state is made by on_request, as ever */
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
        r->route = API_ROUTE_NONE;
        r->t0 = pw_mono_s();
        *con_cls = r;
        api_guard_head_done(s->guard, c); /* the head is in: its clock stops */
        /* refuse an oversized body before it is sent */
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
        if (cl && strtoull(cl, NULL, 10) > api_body_limit(s, url)) {
            /* answered before the body is read (no 100 Continue) */
            r->body_too_big = true;
            r->route = api_route_of_url(url); /* its metrics, and its error shape */
            return api_send_error(r, c, 413, "payload_too_large",
                                  "the body is larger than %zu bytes", api_body_limit(s, url));
        }
        return MHD_YES;
    }
    if (*upload_size && r->status) { /* already answered: drop the body */
        *upload_size = 0;
        return MHD_YES;
    }
    if (*upload_size) {
        if (!r->body_too_big && r->body_n + *upload_size > api_body_limit(s, url)) {
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
    if (r->body_too_big) {
        r->route = api_route_of_url(url);
        return api_send_error(r, c, 413, "payload_too_large", "the body is larger than %zu bytes",
                              api_body_limit(s, url));
    }
    return api_dispatch(r, c, url, method);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
    (void)toe;
    api_server *s = cls;
    api_guard_request_done(s->guard, c); /* the next head's clock starts */
    req *r = *con_cls;
    if (!r) return;
    route_stats *rs = &s->routes[r->route];
    double ms = (pw_mono_s() - r->t0) * 1000;
    rs->requests++;
    if (r->status >= 500)
        rs->errors_5xx++;
    else if (r->status >= 400)
        rs->errors_4xx++;
    bool stream =
        (size_t)r->route < api_n_routes && (api_routes[r->route].flags & API_ROUTE_STREAM);
    if (!stream) { /* a stream's time is its client's, not the server's */
        int k = 0;
        while (k < N_LAT_BUCKETS && ms > api_lat_bounds_ms[k]) k++;
        rs->le[k]++;
        rs->sum_us += (uint64_t)(ms * 1000);
    }
    free(r->body);
    free(r);
    *con_cls = NULL;
}

void api_options_default(api_options *o) {
    memset(o, 0, sizeof *o);
    o->listen = "127.0.0.1:8080";
    o->threads = 2;
    o->max_points = 100000;
    o->max_span_ms = 400LL * 86400000;
    o->max_body_bytes = 1u << 20;
    o->decompress_ratio = 10;
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
    if (!s->o.decompress_ratio) s->o.decompress_ratio = d.decompress_ratio;
    if (!s->o.max_decompressed_bytes) /* overflow-safe: saturates at SIZE_MAX */
        s->o.max_decompressed_bytes = s->o.max_body_bytes > SIZE_MAX / s->o.decompress_ratio
                                          ? SIZE_MAX
                                          : s->o.max_body_bytes * s->o.decompress_ratio;
    pthread_mutex_init(&s->smu, NULL);
    pthread_mutex_init(&s->rmu, NULL);
    pthread_mutex_init(&s->amu, NULL);
    pthread_mutex_init(&s->lmu, NULL);
    pthread_mutex_init(&s->mrmu, NULL);
    pthread_cond_init(&s->pump_cv, NULL);
    s->guard = api_guard_open(s->o.head_timeout_ms);
    s->tickets = api_tickets_open(60000);
    s->routes = calloc(api_n_routes + 2, sizeof *s->routes); /* + static, + none */
    if (!s->guard || !s->tickets || !s->routes) {
        snprintf(err, errcap, "api: out of memory");
        goto fail;
    }
    s->listen = api_xstrdup(s->o.listen);
    s->static_dir = api_xstrdup(opt->static_dir);
    s->o.listen = s->listen, s->o.static_dir = s->static_dir;
    s->o.tls_cert = s->o.tls_key = s->o.token_file = s->o.audit_log = NULL;
    s->o.backup_dir = s->backup_dir = api_xstrdup(opt->backup_dir);
    s->o.manual_rules_file = s->manual_rules_file = api_xstrdup(opt->manual_rules_file);
    if (api_copy_enterprises(s, opt->enterprises, opt->n_enterprises) != 0) {
        snprintf(err, errcap, "api: out of memory");
        goto fail;
    }
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
    api_token_store_set_log(s->tokens, opt->log, opt->log_ctx);
    if (opt->audit_log) {
        s->audit = fopen(opt->audit_log, "a");
        if (!s->audit) {
            snprintf(err, errcap, "api: audit log %s: %s", opt->audit_log, strerror(errno));
            goto fail;
        }
    }
    if (api_index_layout(s) != 0) {
        snprintf(err, errcap, "api: out of memory");
        goto fail;
    }
    if (api_prom_start(s, err, errcap) != 0) goto fail;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
                     (tls ? MHD_USE_TLS : 0);
    struct MHD_OptionItem ops[] = {
        {MHD_OPTION_SOCK_ADDR, 0, &addr},
        {MHD_OPTION_THREAD_POOL_SIZE, (intptr_t)s->o.threads, NULL},
        {MHD_OPTION_CONNECTION_LIMIT, 4096, NULL},
        {MHD_OPTION_CONNECTION_TIMEOUT, 120, NULL},
        {MHD_OPTION_CONNECTION_MEMORY_LIMIT, 128 * 1024, NULL},
        {MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)on_uri, s},
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
        if (alert_subscribe(s->o.alarms, api_on_alarm, s) != 0) {
            snprintf(err, errcap, "api: the alarm engine has no room for another subscriber");
            goto fail;
        }
        s->subscribed = true;
    }
    if (pthread_create(&s->pump, NULL, api_pump_main, s) != 0) {
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
    if (s->subscribed) alert_unsubscribe(s->o.alarms, api_on_alarm, s);
    /* end every stream: a suspended connection must be resumed before the
     * daemon can stop */
    pthread_mutex_lock(&s->smu);
    s->stopping = true;
    for (stream *st = s->streams; st; st = st->next) api_stream_end_locked(st);
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
    api_audit_flush(s); /* the minutes' write sums still pending */
    api_token_store_close(s->tokens);
    pq_engine_free(s->prom);   /* after the daemon: no query runs */
    api_guard_close(s->guard); /* after the daemon: its connections are gone */
    api_tickets_close(s->tickets);
    free(s->routes);
    if (s->audit) fclose(s->audit);
    free(s->aw);
    free(s->listen);
    free(s->static_dir);
    free(s->backup_dir);
    free(s->manual_rules_file);
    api_free_enterprises(s);
    free(s->tls_cert_pem);
    free(s->tls_key_pem);
    free(s->rate);
    free(s->fs_names);
    free(s->fs_feature);
    for (int i = 0; i < LAYER_SLOTS; i++) api_shared_release(s->layers[i].text);
    pthread_mutex_destroy(&s->lmu);
    pthread_mutex_destroy(&s->mrmu);
    pthread_mutex_destroy(&s->smu);
    pthread_mutex_destroy(&s->rmu);
    pthread_mutex_destroy(&s->amu);
    pthread_cond_destroy(&s->pump_cv);
    free(s);
}
