/*
 * extremes.c - see extremes.h.
 */
#include "common/clock.h"
#include "tests/support/extremes.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

const ext_value ext_values[] = {
    {"INT64_MIN", "-9223372036854775808", EXT_V_TEXT, true},
    {"INT64_MAX", "9223372036854775807", EXT_V_TEXT, true},
    {"INT64_MAX-1", "9223372036854775806", EXT_V_TEXT, true},
    {"INT64_MAX+1", "9223372036854775808", EXT_V_TEXT, true},
    {"UINT64_MAX", "18446744073709551615", EXT_V_TEXT, true},
    {"-1", "-1", EXT_V_TEXT, false},
    {"0", "0", EXT_V_TEXT, false},
    {"1", "1", EXT_V_TEXT, false},
    {"2^31", "2147483648", EXT_V_TEXT, false},
    {"2^53", "9007199254740992", EXT_V_TEXT, true},
    {"1e308", "1e308", EXT_V_TEXT, true},
    {"-1e308", "-1e308", EXT_V_TEXT, true},
    {"NaN", "NaN", EXT_V_TEXT, true},
    {"nan", "nan", EXT_V_TEXT, true},
    {"inf", "inf", EXT_V_TEXT, true},
    {"-inf", "-inf", EXT_V_TEXT, true},
    {"1e-320", "1e-320", EXT_V_TEXT, false},
    {"empty", "", EXT_V_TEXT, false},
    {"10000-chars", NULL, EXT_V_LONG, false},
    {"INT64_MIN-ms", "-9223372036854775808ms", EXT_V_TEXT, true},
    {"-1e18d", "-1e18d", EXT_V_TEXT, true},
    {"1e23d", "99999999999999999999999d", EXT_V_TEXT, true},
    {"0x10", "0x10", EXT_V_TEXT, false},
    {"list-1x10000", NULL, EXT_V_LIST, false},
    {"invalid-utf8", "\xff\xfe\xc0\xaf\xed\xa0\x80", EXT_V_TEXT, false},
    {"repeat-100", NULL, EXT_V_REPEAT, false},
    {"distinct-500", NULL, EXT_V_DISTINCT, false},
};
const size_t ext_n_values = sizeof ext_values / sizeof ext_values[0];

/* ---- the routes ---- */

static json_t *deref(json_t *doc, json_t *x) {
    for (int depth = 0; depth < 8 && json_is_object(x); depth++) {
        const char *ref = json_string_value(json_object_get(x, "$ref"));
        if (!ref || strncmp(ref, "#/", 2)) break;
        json_t *at = doc;
        char buf[256];
        snprintf(buf, sizeof buf, "%s", ref + 2);
        for (char *save, *tok = strtok_r(buf, "/", &save); tok && at;
             tok = strtok_r(NULL, "/", &save))
            at = json_object_get(at, tok);
        if (!at) break;
        x = at;
    }
    return x;
}

/* Numbers, times and durations, by the schema (its $ref's name, type or pattern). */
static bool numeric_schema(json_t *doc, json_t *schema) {
    const char *ref = json_string_value(json_object_get(schema, "$ref"));
    if (ref && (strstr(ref, "/Time") || strstr(ref, "/Duration"))) return true;
    schema = deref(doc, schema);
    const char *type = json_string_value(json_object_get(schema, "type"));
    const char *pat = json_string_value(json_object_get(schema, "pattern"));
    if (type && (!strcmp(type, "integer") || !strcmp(type, "number"))) return true;
    return pat && (!strncmp(pat, "^[0-9]+$", 8) || !strncmp(pat, "^-?[0-9.]", 9));
}

static void add_param(ext_route *r, const char *name, ext_in in, bool numeric, bool required) {
    for (size_t i = 0; i < r->np; i++)
        if (!strcmp(r->p[i].name, name) && r->p[i].in == in) return;
    if (r->np == EXT_MAX_PARAMS) return;
    ext_param *p = &r->p[r->np++];
    snprintf(p->name, sizeof p->name, "%s", name);
    p->in = in, p->numeric = numeric, p->required = required;
}

static void add_params(json_t *doc, ext_route *r, json_t *list) {
    size_t i;
    json_t *x;
    json_array_foreach(list, i, x) {
        x = deref(doc, x);
        const char *name = json_string_value(json_object_get(x, "name"));
        const char *in = json_string_value(json_object_get(x, "in"));
        if (!name || !in || (strcmp(in, "path") && strcmp(in, "query"))) continue;
        add_param(r, name, !strcmp(in, "path") ? EXT_IN_PATH : EXT_IN_QUERY,
                  numeric_schema(doc, json_object_get(x, "schema")),
                  json_is_true(json_object_get(x, "required")) || !strcmp(in, "path"));
    }
}

/* Members of a JSON body without a schema: names the handlers read. */
static const char *const known_members[] = {"until_ms", "minutes", "from",  "to",
                                            "at",       "lat",     "lon",   "rate",
                                            "radius",   "ts",      "value", "start_ms"};

static void add_body(json_t *doc, ext_route *r, json_t *content) {
    json_t *js = json_object_get(content, "application/json");
    r->json_body = js != NULL;
    r->text_body = json_object_get(content, "text/plain") != NULL;
    if (!js) return;
    json_t *props = json_object_get(deref(doc, json_object_get(js, "schema")), "properties");
    if (json_object_size(props) == 0) {
        for (size_t i = 0; i < sizeof known_members / sizeof *known_members; i++)
            add_param(r, known_members[i], EXT_IN_BODY, true, false);
        return;
    }
    const char *name;
    json_t *s;
    json_object_foreach(props, name, s)
        add_param(r, name, EXT_IN_BODY, numeric_schema(doc, s), false);
}

int ext_load(const char *text, size_t len, ext_api *out, char *err, size_t errcap) {
    memset(out, 0, sizeof *out);
    json_error_t je;
    json_t *doc = json_loadb(text, len, 0, &je);
    json_t *paths = json_object_get(doc, "paths");
    if (!json_is_object(paths)) {
        snprintf(err, errcap, "openapi: %s", doc ? "no paths" : je.text);
        json_decref(doc);
        return -1;
    }
    size_t cap = 0;
    const char *path, *method;
    json_t *item, *op;
    json_object_foreach(paths, path, item) {
        json_object_foreach(item, method, op) {
            if (!strcmp(method, "parameters") || !json_is_object(op) || strlen(method) > 7)
                continue;
            if (out->n == cap) {
                cap = cap ? 2 * cap : 64;
                ext_route *nr = realloc(out->r, cap * sizeof *nr);
                if (!nr) abort();
                out->r = nr;
            }
            ext_route *r = &out->r[out->n++];
            memset(r, 0, sizeof *r);
            for (size_t i = 0; method[i]; i++)
                r->method[i] =
                    (char)(method[i] >= 'a' && method[i] <= 'z' ? method[i] - 32 : method[i]);
            snprintf(r->path, sizeof r->path, "%s", path);
            add_params(doc, r, json_object_get(item, "parameters"));
            add_params(doc, r, json_object_get(op, "parameters"));
            add_body(doc, r, json_object_get(json_object_get(op, "requestBody"), "content"));
            r->stream = strstr(path, "/stream") != NULL;
        }
    }
    json_decref(doc);
    return 0;
}

void ext_free(ext_api *a) {
    free(a->r);
    memset(a, 0, sizeof *a);
}

/* ---- requests ---- */

typedef struct buf {
    char *p;
    size_t n, cap;
} buf;

static void put(buf *b, const char *s, size_t n) {
    if (b->n + n + 1 > b->cap) {
        b->cap = (b->n + n + 1) * 2;
        if (!(b->p = realloc(b->p, b->cap))) abort();
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

static void puts_(buf *b, const char *s) {
    put(b, s, strlen(s));
}

static void put_enc(buf *b, const char *s, size_t n) {
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            strchr("-._~", c)) {
            put(b, (const char *)&c, 1);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            put(b, e, 3);
        }
    }
}

/* A valid value of the parameter, or NULL (left out unless it is set). */
static const char *valid_value(const ext_route *r, const ext_param *p, const ext_park *k, char *tmp,
                               size_t cap) {
    static const char *const fixed[][2] = {{"from", "-1h"},
                                           {"to", "now"},
                                           {"at", "now"},
                                           {"step", "1m"},
                                           {"interval", "1s"},
                                           {"speed", "100"},
                                           {"limit", "10"},
                                           {"agg", "avg"},
                                           {"format", "json"},
                                           {"q", "gd"},
                                           {"values", "true"},
                                           {"slim", "false"},
                                           {"pollutant", "PM10"},
                                           {"nx", "8"},
                                           {"ny", "8"},
                                           {"action", "ack"},
                                           {"comment", "x"},
                                           {"minutes", "5"},
                                           {"release_kg_s", "1"},
                                           {"substance", "propane"},
                                           {"hole_mm", "10"},
                                           {"height_m", "1"},
                                           {"note", "x"},
                                           {"name", "b1"},
                                           {"values", "{\"lel\": 1}"},
                                           {"lon", "121.4214638"},
                                           {"lat", "30.7816238"},
                                           {"bbox", "121.40,30.77,121.49,30.81"}};
    const char *n = p->name;
    if (!strcmp(n, "series")) return k->series;
    if (!strcmp(n, "enterprise")) return k->enterprise;
    if (!strcmp(n, "device")) return k->device;
    if (!strcmp(n, "tank")) return k->tank;
    if (!strcmp(n, "rule")) return k->rule;
    if (!strcmp(n, "kind")) return p->in == EXT_IN_PATH ? "tank" : "gas_detector";
    if (!strcmp(n, "id")) return strstr(r->path, "/incidents/") ? k->incident : k->feature;
    if (!strcmp(n, "until_ms") || !strcmp(n, "start_ms") || !strcmp(n, "ts")) {
        snprintf(tmp, cap, "%lld",
                 (long long)(pw_wall_ms() + (strcmp(n, "until_ms") ? -60000 : 600000)));
        return tmp;
    }
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++)
        if (!strcmp(n, fixed[i][0])) return fixed[i][1];
    return NULL;
}

/* Body members with a valid value in every request: what makes the body
 * mean something (an incident at a tank, a reading). */
static bool base_member(const char *name) {
    return !strcmp(name, "tank") || !strcmp(name, "release_kg_s") || !strcmp(name, "ts") ||
           !strcmp(name, "values");
}

static const ext_set *set_of(const ext_set *sets, size_t nsets, size_t i) {
    for (size_t k = 0; k < nsets; k++)
        if (sets[k].param == i) return &sets[k];
    return NULL;
}

/* The bytes of a set value (valid: the parameter's valid value or "1"). */
static void value_bytes(const ext_set *s, const char *valid, buf *out) {
    switch (s->v->kind) {
        case EXT_V_TEXT:
            puts_(out, s->v->text);
            break;
        case EXT_V_LONG:
            for (int i = 0; i < 10000; i++) put(out, "x", 1);
            break;
        case EXT_V_LIST:
            for (int i = 0; i < 10000; i++) put(out, i ? ",1" : "1", i ? 2 : 1);
            break;
        case EXT_V_RAW:
            put(out, s->raw ? s->raw : "", s->raw_n);
            break;
        default:
            puts_(out, valid ? valid : "1");
    }
}

/* Numbers (and the valid objects) go into a body as JSON, the rest as strings. */
static bool json_number_text(const char *s) {
    json_t *j = json_loads(s, JSON_DECODE_ANY, NULL);
    bool num = json_is_number(j) || json_is_object(j);
    json_decref(j);
    return num;
}

static void body_member(buf *b, bool *first, const char *name, const char *val, size_t n) {
    puts_(b, *first ? "{\"" : ",\"");
    *first = false;
    puts_(b, name);
    puts_(b, "\":");
    if (n && json_number_text(val)) {
        put(b, val, n);
        return;
    }
    put(b, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        char c = val[i];
        if (c == '"' || c == '\\') put(b, "\\", 1);
        if ((unsigned char)c < 0x20) {
            char e[8];
            snprintf(e, sizeof e, "\\u%04x", (unsigned char)c);
            puts_(b, e);
        } else {
            put(b, &c, 1);
        }
    }
    put(b, "\"", 1);
}

char *ext_request(const ext_route *r, const ext_park *k, const ext_set *sets, size_t nsets,
                  const char *token, size_t *n) {
    buf target = {0}, body = {0}, v = {0}, req = {0};
    char tmp[128];
    bool distinct = false, first_q = true, first_b = true;
    /* the path, placeholders filled */
    for (const char *p = r->path; *p;) {
        const char *open = strchr(p, '{'), *close = open ? strchr(open, '}') : NULL;
        if (!close) {
            puts_(&target, p);
            break;
        }
        put(&target, p, (size_t)(open - p));
        size_t i = 0;
        while (i < r->np && (r->p[i].in != EXT_IN_PATH ||
                             strncmp(r->p[i].name, open + 1, (size_t)(close - open - 1))))
            i++;
        const ext_set *s = i < r->np ? set_of(sets, nsets, i) : NULL;
        const char *valid = i < r->np ? valid_value(r, &r->p[i], k, tmp, sizeof tmp) : "x";
        v.n = 0;
        if (s && s->v->kind == EXT_V_REPEAT)
            for (int t = 0; t < 100; t++) puts_(&v, valid ? valid : "1");
        else if (s)
            value_bytes(s, valid, &v);
        else
            puts_(&v, valid ? valid : "1");
        if (s && s->v->kind == EXT_V_DISTINCT) distinct = true;
        put_enc(&target, v.p ? v.p : "", v.n);
        p = close + 1;
    }
    for (size_t i = 0; i < r->np; i++) {
        const ext_param *p = &r->p[i];
        if (p->in == EXT_IN_PATH) continue;
        const ext_set *s = set_of(sets, nsets, i);
        const char *valid = valid_value(r, p, k, tmp, sizeof tmp);
        if (!s && (!valid || (p->in == EXT_IN_BODY && !base_member(p->name)))) continue;
        int times = s && s->v->kind == EXT_V_REPEAT ? 100 : 1;
        if (s && s->v->kind == EXT_V_DISTINCT) distinct = true;
        v.n = 0;
        if (s)
            value_bytes(s, valid, &v);
        else
            puts_(&v, valid);
        for (int t = 0; t < times; t++) {
            if (p->in == EXT_IN_BODY) {
                body_member(&body, &first_b, p->name, v.p ? v.p : "", v.n);
                continue;
            }
            put(&target, first_q ? "?" : "&", 1);
            first_q = false;
            put_enc(&target, p->name, strlen(p->name));
            put(&target, "=", 1);
            put_enc(&target, v.p ? v.p : "", v.n);
        }
    }
    if (distinct)
        for (int t = 0; t < 500; t++) {
            snprintf(tmp, sizeof tmp, "%sp%d=1", first_q ? "?" : "&", t);
            first_q = false;
            puts_(&target, tmp);
        }
    if (r->json_body) puts_(&body, first_b ? "{}" : "}");
    snprintf(tmp, sizeof tmp, " HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    puts_(&req, r->method);
    put(&req, " ", 1);
    put(&req, target.p, target.n);
    puts_(&req, tmp);
    if (token) {
        puts_(&req, "Authorization: Bearer ");
        puts_(&req, token);
        puts_(&req, "\r\n");
    }
    if (!strcmp(r->method, "POST") || body.n) {
        snprintf(tmp, sizeof tmp, "Content-Type: %s\r\nContent-Length: %zu\r\n",
                 r->json_body ? "application/json" : "text/plain", body.n);
        puts_(&req, tmp);
    }
    puts_(&req, "Connection: close\r\n\r\n");
    if (body.n) put(&req, body.p, body.n);
    free(target.p), free(body.p), free(v.p);
    *n = req.n;
    return req.p;
}

/* ---- answers ---- */

/* Parses the head when it is all there; fills status, head, json, stream
 * and the body's framing. */
static bool parse_head(const char *p, size_t n, ext_answer *a, size_t *hlen, long long *clen,
                       bool *chunked) {
    const char *end = memmem(p, n, "\r\n\r\n", 4);
    if (!end) return false;
    *hlen = (size_t)(end - p) + 4;
    a->status =
        n >= 12 && (!memcmp(p, "HTTP/1.1 ", 9) || !memcmp(p, "HTTP/1.0 ", 9)) ? atoi(p + 9) : -1;
    if (!(a->head = strndup(p, *hlen))) abort();
    for (char *c = a->head; *c; c++)
        if (*c >= 'A' && *c <= 'Z') *c = (char)(*c - 'A' + 'a');
    const char *ct = strstr(a->head, "\r\ncontent-type: ");
    const char *cl = strstr(a->head, "\r\ncontent-length: ");
    a->json = ct && (!strncmp(ct + 16, "application/json", 16) ||
                     !strncmp(ct + 16, "application/geo+json", 20));
    a->stream = ct && !strncmp(ct + 16, "text/event-stream", 17);
    *chunked = strstr(a->head, "\r\ntransfer-encoding: chunked") != NULL;
    *clen = cl ? strtoll(cl + 18, NULL, 10) : -1;
    return true;
}

/* A chunked body decoded in place; whether its last chunk is there. */
static bool dechunk(char *p, size_t n, size_t *out_n) {
    size_t i = 0, o = 0;
    for (;;) {
        char *eol = memmem(p + i, n - i, "\r\n", 2);
        if (!eol) return false;
        size_t len = strtoul(p + i, NULL, 16);
        i = (size_t)(eol - p) + 2;
        if (len == 0) {
            *out_n = o;
            return true;
        }
        if (n - i < len + 2) return false;
        memmove(p + o, p + i, len);
        o += len, i += len + 2;
    }
}

int ext_exchange(int port, const char *req, size_t n, int timeout_ms, ext_answer *a) {
    memset(a, 0, sizeof *a);
    int64_t t0 = pw_mono_ms(), deadline = t0 + timeout_ms;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        /* libFuzzer's timer (SIGALRM) may interrupt connect(); the
         * connection goes on by itself: wait for it, then ask how it went */
        int e = errno, soerr = 0;
        socklen_t len = sizeof soerr;
        struct pollfd pc = {fd, POLLOUT, 0};
        if (e == EINTR) {
            int pr;
            do pr = poll(&pc, 1, timeout_ms);
            while (pr < 0 && errno == EINTR);
            if (pr == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == 0 && !soerr)
                e = 0;
            else
                e = soerr ? soerr : ETIMEDOUT;
        }
        if (e) {
            close(fd);
            errno = e;
            return -1;
        }
    }
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    for (size_t off = 0; off < n;) {
        ssize_t w = send(fd, req + off, n - off, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue; /* libFuzzer's timer */
        if (w <= 0) break;                     /* answered and closed early (413, 414) */
        off += (size_t)w;
    }
    size_t cap = 1 << 16, got = 0, hlen = 0;
    char *p = malloc(cap + 1);
    if (!p) abort();
    long long clen = -1;
    bool head = false, chunked = false, timed_out = false, is_head = !strncmp(req, "HEAD ", 5);
    for (;;) {
        int64_t now = pw_mono_ms();
        if (now >= deadline) {
            timed_out = !a->stream;
            break;
        }
        struct pollfd pf = {fd, POLLIN, 0};
        if (poll(&pf, 1, (int)(deadline - now)) <= 0) continue;
        if (got == cap && !(p = realloc(p, (cap *= 2) + 1))) abort();
        ssize_t r = recv(fd, p + got, cap - got, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            a->complete = head && clen < 0 && !chunked && !a->stream;
            break;
        }
        got += (size_t)r;
        if (!head && (head = parse_head(p, got, a, &hlen, &clen, &chunked)) && a->stream)
            deadline = pw_mono_ms() + 100; /* an event stream: a moment of it */
        if (!head) continue;
        if (is_head || a->status < 200 || a->status == 204 || a->status == 304 ||
            (clen >= 0 && got - hlen >= (size_t)clen)) {
            a->complete = true;
            break;
        }
        size_t dn;
        if (chunked && memmem(p + hlen - 2, got - hlen + 2, "\r\n0\r\n", 5)) {
            char *copy = malloc(got - hlen + 1);
            if (!copy) abort();
            memcpy(copy, p + hlen, got - hlen);
            bool done = dechunk(copy, got - hlen, &dn);
            free(copy);
            if (done) {
                a->complete = true;
                break;
            }
        }
    }
    struct linger lg = {1, 0}; /* a reset: the server drops the connection at once */
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(fd);
    a->ms = (long)(pw_mono_ms() - t0);
    if (head) {
        size_t bn = got - hlen;
        if (chunked && a->complete) dechunk(p + hlen, got - hlen, &bn);
        if (clen >= 0 && (size_t)clen < bn) bn = (size_t)clen;
        memmove(p, p + hlen, bn);
        p[bn] = 0;
        a->body = p, a->body_len = bn;
    } else {
        free(p);
    }
    if (timed_out) {
        errno = ETIMEDOUT;
        return -1;
    }
    return 0;
}

void ext_answer_free(ext_answer *a) {
    free(a->head), free(a->body);
    memset(a, 0, sizeof *a);
}

/* 503s that say a feature is not configured or full (api.c's send_error
 * messages): allowed; any other 5xx is a finding. */
static const char *const unavailable_ok[] = {"not configured", "ingest is not running",
                                             "need a park layout", "backup_dir",
                                             "too many open streams"};

int ext_check(const ext_answer *a, char *why, size_t cap) {
    if (a->status == 0) return 0; /* closed without an answer (a garbled request) */
    if (a->status < 100 || a->status > 599) {
        snprintf(why, cap, "no HTTP/1.x status line");
        return -1;
    }
    json_t *j = NULL;
    if (a->json && a->complete && a->body) {
        json_error_t je;
        j = json_loadb(a->body, a->body_len, JSON_DECODE_ANY, &je);
        if (!j) {
            snprintf(why, cap, "%d with a body that is not JSON (%s): %.200s", a->status, je.text,
                     a->body);
            return -1;
        }
    }
    int rc = 0;
    if (a->status >= 500) {
        json_t *e = json_object_get(j, "error");
        const char *code = json_string_value(json_object_get(e, "code"));
        const char *msg = json_string_value(json_object_get(e, "message"));
        bool ok = false;
        for (size_t i = 0; a->status == 503 && code && msg && !strcmp(code, "unavailable") &&
                           i < sizeof unavailable_ok / sizeof *unavailable_ok;
             i++)
            ok = ok || strstr(msg, unavailable_ok[i]);
        if (!ok) {
            snprintf(why, cap, "%d %.200s", a->status, a->body ? a->body : "");
            rc = -1;
        }
    }
    json_decref(j);
    return rc;
}

/* ---- cases left out ---- */

typedef struct skip_rule {
    char method[8], path[128], param[48], value[32];
} skip_rule;

static skip_rule *skips;
static size_t n_skips;
static bool skips_loaded;

static void load_skips(void) {
    skips_loaded = true;
    const char *path = getenv("PARKWATCH_EXTREMES_SKIP");
    FILE *f = path && *path ? fopen(path, "r") : NULL;
    if (!f) return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        skip_rule s;
        if (line[0] == '#' ||
            sscanf(line, "%7s %127s %47s %31[^\n]", s.method, s.path, s.param, s.value) != 4)
            continue;
        if (!(skips = realloc(skips, (n_skips + 1) * sizeof *skips))) abort();
        skips[n_skips++] = s;
    }
    fclose(f);
}

static bool field_is(const char *rule, const char *v) {
    return !strcmp(rule, "*") || !strcmp(rule, v);
}

bool ext_skipped(const ext_route *r, const ext_set *sets, size_t nsets) {
    if (!skips_loaded) load_skips();
    for (size_t i = 0; i < n_skips; i++) {
        const skip_rule *s = &skips[i];
        if (!field_is(s->method, r->method) || !field_is(s->path, r->path)) continue;
        for (size_t k = 0; k < nsets; k++)
            if (field_is(s->param, r->p[sets[k].param].name) &&
                field_is(s->value, sets[k].v->label))
                return true;
    }
    return false;
}
