/*
 * fuzz_api.c - libFuzzer target of the API's whole request path: HTTP
 * parsing by libmicrohttpd, then api.c's routing, authentication, query
 * strings (parse_time, parse_duration, parse_size, split_list), JSON bodies
 * (alarm actions, incidents, ingest), the handlers and their JSON writers,
 * against a real historian, alarm engine, layout and views.
 *
 * Why over a socket: the request path is most of what an attacker reaches,
 * and only a real server exercises it as deployed (threads, suspended
 * streams, the 413 before the body). api_start listens on 127.0.0.1:0 once
 * (LLVMFuzzerInitialize) over a small park (fuzz/corpus/geo/small-park.geojson,
 * two hours of points, gas alarms, tokens of three roles); each input is
 * sent as the bytes of one HTTP connection, half-closed, and the answer is
 * read to its end. This runs at a few hundred to a few thousand requests a
 * second, against several hundred thousand for the parsers alone
 * (fuzz_api_params keeps those fast), and reaches every endpoint.
 *
 * In the input, "@A", "@E" and "@R" stand for an admin token, an enterprise
 * (E001) token and a regulator token, so that inputs reach past the 401.
 *
 * Properties beyond the sanitizers: an answer, when there is one, is an
 * HTTP/1.x status line; no 500 (an internal error); a complete JSON or
 * GeoJSON body parses as JSON.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "alerting/alerting.h"
#include "api/api.h"
#include "geo/geo.h"
#include "historian/historian.h"
#include "ingest/ingest.h"
#include "views/views.h"

#ifndef PARKWATCH_SOURCE_DIR
#error "PARKWATCH_SOURCE_DIR must name the source tree"
#endif

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_api: property failed: %s (line %d)\n", #cond, __LINE__);         \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static char dir[3072];
static int port;
static char tok_admin[API_TOKEN_MAX], tok_ent[API_TOKEN_MAX], tok_reg[API_TOKEN_MAX];

static void die(const char *what, const char *why) {
    fprintf(stderr, "fuzz_api: %s: %s\n", what, why);
    exit(1);
}

static int64_t now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* ---- ingest, as parkd would hand it over ---- */

static json_t *fake_status(void *ctx) {
    (void)ctx;
    return json_pack("{s:b,s:i,s:i,s:[{s:s,s:i,s:{s:i}},{s:s,s:i,s:{}}]}", "connected", 1,
                     "messages", 10, "points", 100, "enterprises", "enterprise", "E001", "messages",
                     6, "rejected", "bad_tag", 1, "enterprise", "E002", "messages", 4, "rejected");
}

static json_t *fake_dead_letters(void *ctx) {
    (void)ctx;
    return json_pack("[{s:s,s:s,s:s},{s:s,s:s,s:s}]", "enterprise", "E001", "reason",
                     "malformed_json", "excerpt", "{\"ts\":", "enterprise", "E002", "reason",
                     "bad_tag", "excerpt", "x");
}

static json_t *fake_devices(void *ctx) {
    (void)ctx;
    return json_pack("[{s:s,s:s,s:b,s:I},{s:s,s:s,s:b,s:I}]", "enterprise", "E001", "device",
                     "gd-01", "online", 1, "since_ms", (json_int_t)1700000000000, "enterprise",
                     "E002", "device", "gd-01", "online", 0, "since_ms", (json_int_t)0);
}

static char *fake_metrics(void *ctx) {
    (void)ctx;
    return strdup("# HELP parkwatch_ingest_messages_total x\nparkwatch_ingest_messages_total 10\n");
}

typedef struct submit_count {
    size_t ok, bad;
    char reason[64];
} submit_count;

static int count_reading(const ingest_reading *r, void *ctx) {
    (void)r;
    ((submit_count *)ctx)->ok++;
    return 0;
}

static void count_reject(const char *reason, const char *tag, const char *msg, void *ctx) {
    (void)msg;
    submit_count *c = ctx;
    if (tag) c->bad++;
    if (!c->reason[0]) snprintf(c->reason, sizeof c->reason, "%s", reason);
}

/* The payload goes through the real parser; nothing is stored. */
static int fake_submit(void *ctx, const char *topic, const char *precision, const void *body,
                       size_t len, api_submit_result *res, char *err, size_t errcap) {
    (void)ctx;
    CHECK(topic && strncmp(topic, "park/", 5) == 0);
    ingest_lp_precision prec = INGEST_LP_MS;
    /* the API hands on only the names it checked */
    CHECK(!precision || ingest_lp_precision_parse(precision, &prec) == 0);
    submit_count c = {0};
    int rc = ingest_payload_parse_prec(body, len, INGEST_FMT_AUTO, prec, now_ms(), count_reading,
                                       count_reject, &c, NULL);
    memset(res, 0, sizeof *res);
    res->accepted = c.ok, res->rejected = c.bad;
    err[0] = 0;
    if (rc == 1) {
        snprintf(err, errcap, "rejected: %s: the message", c.reason);
        return -1;
    }
    if (c.bad) snprintf(err, errcap, "%s: a reading", c.reason);
    return 0;
}

/* ---- the park ---- */

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) die(path, strerror(errno));
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 65536;
            if (!(buf = realloc(buf, cap))) die(path, "out of memory");
        }
        size_t r = fread(buf + n, 1, 4096, f);
        n += r;
        if (r == 0) break;
    }
    fclose(f);
    buf[n] = 0;
    return buf;
}

static void build_park(hist **h_out, alert_engine **al_out, geo_layout **g_out, views **v_out) {
    char path[3200], err[512];
    const char *text = read_file(PARKWATCH_SOURCE_DIR "/fuzz/corpus/geo/small-park.geojson");
    const char *names[1] = {"small-park.geojson"};
    geo_layout *g;
    geo_problems gp = {0};
    if (geo_load_text(&text, names, 1, NULL, &g, &gp) != 0)
        die("layout", gp.n ? gp.v[0].message : "?");
    free((char *)text);
    snprintf(path, sizeof path, "%s/historian", dir);
    hist_options ho;
    hist_options_default(&ho);
    ho.sync = HIST_SYNC_NONE;
    hist *h;
    hist_error he;
    if (hist_open(path, &ho, &h, &he) != HIST_OK) die("historian", he.msg);
    /* every series of the layout, two hours of points a minute apart */
    hist_series_def defs[64];
    const char *kinds[64];
    size_t n = 0;
    for (size_t i = 0; i < geo_count_all(g); i++) {
        const geo_feature *f = geo_get(g, i);
        for (size_t s = 0; s < f->n_series && n < 64; s++) {
            defs[n] = (hist_series_def){f->series[s], NULL, NULL, 60000};
            kinds[n++] = geo_kind_name(f->kind);
        }
    }
    uint32_t ids[64];
    if (hist_series_ensure(h, defs, n, ids, &he) != HIST_OK) die("series", he.msg);
    int64_t t0 = now_ms() - 2 * 3600000;
    t0 -= t0 % 60000;
    static hist_point pts[64 * 121];
    size_t np = 0;
    for (size_t k = 0; k < n; k++)
        for (int m = 0; m <= 120; m++) {
            double v = 10 + (double)((m * 7 + (int)k) % 13) / 4;
            if (strstr(defs[k].name, "wind_dir")) v = (double)((m * 37) % 360);
            if (strstr(defs[k].name, "/lel") && m > 110) v = 60; /* an alarm */
            pts[np++] = (hist_point){ids[k], (uint8_t)(m == 50 ? 0x80 : 0), t0 + m * 60000LL, v};
        }
    if (hist_append(h, pts, np, &he) != HIST_OK) die("append", he.msg);
    /* alarms on every gas detector and tank series */
    snprintf(path, sizeof path, "%s/alarms", dir);
    alert_engine *al;
    if (alert_open(path, &al, err, sizeof err) != 0) die("alarms", err);
    alert_rule rules[64];
    static char ents[64][8];
    size_t nr = 0;
    for (size_t k = 0; k < n && nr + 2 <= 64; k++) {
        if (strcmp(kinds[k], "gas_detector") && strcmp(kinds[k], "tank")) continue;
        char *ent = ents[k];
        snprintf(ent, sizeof ents[k], "%.4s", defs[k].name);
        rules[nr++] = (alert_rule){ids[k], defs[k].name, ent, ALERT_HIGH, 25, 1, 0, 0, 2, 0};
        rules[nr++] = (alert_rule){ids[k], defs[k].name, ent, ALERT_HIGH_HIGH, 50, 1, 0, 0, 1, 0};
    }
    uint32_t rids[64];
    if (alert_add_rules(al, rules, nr, rids, err, sizeof err) != 0 ||
        alert_restore(al, err, sizeof err) != 0)
        die("alarm rules", err);
    static alert_point ap[64 * 121];
    for (size_t i = 0; i < np; i++)
        ap[i] = (alert_point){pts[i].series, pts[i].ts_ms, pts[i].value, pts[i].quality};
    alert_points(al, ap, np);
    views_options vo;
    views_options_default(&vo);
    snprintf(path, sizeof path, "%s/incidents.jsonl", dir);
    vo.historian = h, vo.alarms = al, vo.layout = g, vo.incident_file = path;
    views *v;
    if (views_open(&vo, &v, err, sizeof err) != 0) die("views", err);
    *h_out = h, *al_out = al, *g_out = g, *v_out = v;
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

/* The scratch directory (RocksDB preallocates some 150 MB in it) goes when
 * libFuzzer exits; the server's threads still run, which unlinked files
 * do not mind. */
static void remove_dir(void) {
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    signal(SIGPIPE, SIG_IGN);
    const char *base = getenv("PARKWATCH_TMP");
    snprintf(dir, sizeof dir, "%.3000s/parkwatch-fuzz-api.XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(dir)) die("mkdtemp", strerror(errno));
    atexit(remove_dir);
    hist *h;
    alert_engine *al;
    geo_layout *g;
    views *v;
    build_park(&h, &al, &g, &v);
    char tokens[3200], audit[3200], stat_dir[3200], index[3300], err[512];
    snprintf(tokens, sizeof tokens, "%s/tokens.json", dir);
    snprintf(audit, sizeof audit, "%s/audit.log", dir);
    snprintf(stat_dir, sizeof stat_dir, "%s/static", dir);
    snprintf(index, sizeof index, "%s/index.html", stat_dir);
    mkdir(stat_dir, 0755);
    FILE *f = fopen(index, "w");
    if (!f) die(index, strerror(errno));
    fputs("<!doctype html><title>parkwatch</title>\n", f);
    fclose(f);
    api_token_info info;
    if (api_token_create(tokens, API_ROLE_ADMIN, NULL, "fuzz-admin", 0, tok_admin, &info, err,
                         sizeof err) != 0 ||
        api_token_create(tokens, API_ROLE_ENTERPRISE, "E001", "fuzz-e001", 0, tok_ent, &info, err,
                         sizeof err) != 0 ||
        api_token_create(tokens, API_ROLE_REGULATOR, NULL, "fuzz-regulator", 0, tok_reg, &info, err,
                         sizeof err) != 0)
        die("tokens", err);
    api_options o;
    api_options_default(&o);
    o.listen = "127.0.0.1:0";
    o.token_file = tokens;
    o.audit_log = audit;
    o.static_dir = stat_dir;
    o.historian = h, o.alarms = al, o.layout = g, o.views = v;
    o.ingest = (api_ingest){.ctx = NULL,
                            .status = fake_status,
                            .dead_letters = fake_dead_letters,
                            .devices = fake_devices,
                            .metrics = fake_metrics,
                            .submit = fake_submit};
    o.threads = 2;
    o.max_points = 5000;
    o.max_body_bytes = 64 * 1024;
    o.max_streams = 16;
    api_server *s;
    if (api_start(&o, &s, err, sizeof err) != 0) die("api_start", err);
    port = api_port(s);
    /* The server, the park and dir live as long as the process: libFuzzer
     * exits without returning here. */
    return 0;
}

/* ---- one input: one connection ---- */

static char *substitute(const uint8_t *data, size_t size, size_t *out_n) {
    size_t cap = size * (API_TOKEN_MAX / 2 + 1) + 1, n = 0;
    char *out = malloc(cap);
    if (!out) abort();
    for (size_t i = 0; i < size; i++) {
        const char *tok = NULL;
        if (data[i] == '@' && i + 1 < size) {
            if (data[i + 1] == 'A') tok = tok_admin;
            if (data[i + 1] == 'E') tok = tok_ent;
            if (data[i + 1] == 'R') tok = tok_reg;
        }
        if (tok) {
            size_t k = strlen(tok);
            memcpy(out + n, tok, k);
            n += k, i++;
        } else {
            out[n++] = (char)data[i];
        }
    }
    *out_n = n;
    return out;
}

/* The first answer, parsed: status, header length, body length when
 * known (-1 otherwise); 0 when its headers are not complete yet. */
typedef struct answer {
    int status;
    size_t hlen;
    long long body_len; /* Content-Length, or -1 */
    bool chunked, stream, json;
} answer;

static bool parse_answer(const char *a, size_t n, answer *out) {
    const char *end = memmem(a, n, "\r\n\r\n", 4);
    if (!end) return false;
    memset(out, 0, sizeof *out);
    out->status = n >= 12 ? atoi(a + 9) : 0;
    out->hlen = (size_t)(end - a) + 4;
    out->body_len = -1;
    char *hdr = strndup(a, out->hlen);
    if (!hdr) abort();
    for (char *p = hdr; *p; p++)
        if (*p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
    const char *ct = strstr(hdr, "\r\ncontent-type: ");
    const char *cl = strstr(hdr, "\r\ncontent-length: ");
    out->json = ct && (!strncmp(ct + 16, "application/json", 16) ||
                       !strncmp(ct + 16, "application/geo+json", 20));
    out->stream = ct && !strncmp(ct + 16, "text/event-stream", 17);
    out->chunked = strstr(hdr, "\r\ntransfer-encoding: chunked") != NULL;
    if (cl) out->body_len = strtoll(cl + 18, NULL, 10);
    free(hdr);
    return true;
}

/* Whether the first answer is all there (streams never are). */
static bool answer_complete(const char *a, size_t n, bool head) {
    answer an;
    if (!parse_answer(a, n, &an) || an.stream) return false;
    if (head || an.status < 200 || an.status == 204 || an.status == 304) return true;
    if (an.body_len >= 0) return n - an.hlen >= (size_t)an.body_len;
    if (an.chunked) return memmem(a + an.hlen - 2, n - an.hlen + 2, "\r\n0\r\n\r\n", 7) != NULL;
    return false; /* to the end of the connection */
}

/* Checks the first answer: status line, no 500, well-formed JSON. */
static void check_answer(const char *a, size_t n, bool head) {
    if (n == 0) return; /* the server may close a garbled connection silently */
    CHECK(n >= 12 && (!memcmp(a, "HTTP/1.1 ", 9) || !memcmp(a, "HTTP/1.0 ", 9)));
    int status = atoi(a + 9);
    CHECK(status >= 100 && status <= 599);
    if (status == 500) {
        fprintf(stderr, "fuzz_api: 500 answer:\n%.*s\n", (int)(n < 2000 ? n : 2000), a);
        CHECK(status != 500);
    }
    answer an;
    if (head || !parse_answer(a, n, &an) || !an.json || an.body_len < 0 || an.status == 304 ||
        n - an.hlen < (size_t)an.body_len)
        return;
    json_error_t je;
    json_t *j = json_loadb(a + an.hlen, (size_t)an.body_len, JSON_DECODE_ANY, &je);
    if (!j)
        fprintf(stderr, "fuzz_api: bad JSON (%s at %d):\n%.*s\n", je.text, je.position,
                (int)(an.body_len < 2000 ? an.body_len : 2000), a + an.hlen);
    CHECK(j != NULL);
    json_decref(j);
}

/* Whether the server can answer the request without more bytes: the end
 * of the headers is there, and the body its Content-Length announces (or
 * the last chunk of a chunked body). */
static bool request_whole(const char *r, size_t n) {
    const char *end = memmem(r, n, "\r\n\r\n", 4);
    if (!end) return false;
    size_t hlen = (size_t)(end - r) + 4;
    char *hdr = strndup(r, hlen);
    if (!hdr) abort();
    for (char *p = hdr; *p; p++)
        if (*p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
    const char *cl = strstr(hdr, "\ncontent-length:");
    bool whole = !cl || strtoull(cl + 16, NULL, 10) <= n - hlen;
    if (strstr(hdr, "\ntransfer-encoding:"))
        whole = n - hlen >= 5 && !memcmp(r + n - 5, "0\r\n\r\n", 5);
    free(hdr);
    return whole;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    size_t n;
    char *req = substitute(data, size, &n);
    bool head = n >= 5 && !memcmp(req, "HEAD ", 5);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = -1;
    for (int tries = 0; fd < 0; tries++) {
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) die("socket", strerror(errno));
        if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0) break;
        int e = errno;
        close(fd), fd = -1;
        if (tries == 200) {
            fprintf(stderr, "fuzz_api: the server takes no connection: %s\n", strerror(e));
            abort();
        }
        usleep(10000);
    }
    for (size_t off = 0; off < n;) {
        ssize_t w = send(fd, req + off, n - off, MSG_NOSIGNAL);
        if (w <= 0) break; /* answered and closed before the whole body (413) */
        off += (size_t)w;
    }
    /* libmicrohttpd neither closes a keep-alive connection that the client
     * half-closed after a whole request, nor answers or closes one
     * half-closed inside an incomplete request (until its 120 s timeout).
     * So: a whole request is read up to the end of its answer (or 4 s); if
     * no byte comes within 300 ms, or the request is not whole, the
     * connection is half-closed and given 30 ms to answer (a 400 or 413).
     * The connection is then reset (SO_LINGER 0), which the server sees at
     * once, so that connections do not pile up there. */
    bool half = !request_whole(req, n);
    if (half) shutdown(fd, SHUT_WR);
    size_t cap = 1 << 16, got = 0;
    char *ans = malloc(cap + 1);
    if (!ans) abort();
    int64_t t0 = now_ms(), deadline = t0 + 4000, quiet_until = t0 + (half ? 10 : 300);
    bool stream = false;
    for (;;) {
        int64_t t = now_ms();
        if (t >= deadline) break;
        if (got == 0 && t >= quiet_until) {
            if (half) break;
            shutdown(fd, SHUT_WR), half = true;
            quiet_until = t + 10;
        }
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 5) <= 0) continue;
        if (got == cap) {
            char *na = realloc(ans, 2 * cap + 1);
            if (!na) abort();
            ans = na, cap *= 2;
        }
        ssize_t r = recv(fd, ans + got, cap - got, 0);
        if (r <= 0) break;
        got += (size_t)r;
        if (answer_complete(ans, got, head)) break;
        answer an;
        if (!stream && parse_answer(ans, got, &an) && an.stream) {
            stream = true; /* an event stream: read for a moment, then drop it */
            deadline = now_ms() + 100;
        }
    }
    if (getenv("FUZZ_API_DEBUG"))
        fprintf(stderr, "fuzz_api: %zu bytes in %lld ms (request of %zu bytes%s)\n%.*s\n", got,
                (long long)(now_ms() - t0), n, half ? ", half-closed" : "",
                (int)(got < 600 ? got : 600), ans);
    if (getenv("FUZZ_API_DEBUG") && now_ms() - t0 > 1000) {
        fprintf(stderr, "fuzz_api: slow request: ");
        fwrite(req, 1, n, stderr);
        fprintf(stderr, "\n");
    }
    struct linger lg = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(fd);
    check_answer(ans, got, head);
    free(ans);
    free(req);
    return 0;
}
