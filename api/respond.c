/*
 * respond.c - answers: status lines, JSON and text bodies, errors with a stable code.
 */
#include "api/internal.h"

char *api_xstrdup(const char *s) {
    return s ? strdup(s) : NULL;
}

uint64_t api_hash_str(const char *s) {
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* The enterprise of a series name: up to the first '/'. */
void api_series_enterprise(const char *series, char *out, size_t cap) {
    size_t n = strcspn(series, "/");
    if (n >= cap) n = cap - 1;
    memcpy(out, series, n);
    out[n] = 0;
}

/* A stored value as JSON, exactly (common/numfmt.h); non-finite: null. */
void api_tb_num(textbuf *b, double v) {
    char t[NF_MAX];
    tb_put(b, t, nf_double(t, v));
}

/* A computed value (an average): 12 significant digits. */
void api_tb_num12(textbuf *b, double v) {
    char t[NF_MAX];
    tb_put(b, t, nf_double_sig(t, v, 12));
}

void api_tb_int(textbuf *b, int64_t v) {
    char t[NF_MAX];
    tb_put(b, t, nf_i64(t, v));
}

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
enum MHD_Result api_queue_resp(req *r, struct MHD_Connection *c, int status,
                               struct MHD_Response *resp, const char *ctype, const char *cache,
                               bool nosniff) {
    if (ctype) MHD_add_response_header(resp, "Content-Type", ctype);
    if (api_route_flags(r->route) & API_ROUTE_INFLUX) /* clients probe for it */
        MHD_add_response_header(resp, "X-Influxdb-Version", API_INFLUX_VERSION);
    if (cache) MHD_add_response_header(resp, "Cache-Control", cache);
    if (nosniff) MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    r->status = status;
    enum MHD_Result rc = MHD_queue_response(c, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return rc;
}

enum MHD_Result api_send_buf(req *r, struct MHD_Connection *c, int status, const char *ctype,
                             char *body, size_t len) {
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        len, body, body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!resp) {
        free(body);
        return MHD_NO;
    }
    if (status == 401)
        MHD_add_response_header(resp, "WWW-Authenticate",
                                api_route_flags(r->route) & (API_ROUTE_BASIC | API_ROUTE_INFLUX)
                                    ? "Basic realm=\"parkwatch\""
                                    : "Bearer realm=\"parkwatch\"");
    if (status == 429) MHD_add_response_header(resp, "Retry-After", "1");
    return api_queue_resp(r, c, status, resp, ctype, "no-store", true);
}

enum MHD_Result api_send_sb(req *r, struct MHD_Connection *c, int status, const char *ctype,
                            textbuf *b) {
    if (b->oom) {
        free(b->p);
        static char oom[] = "{\"error\":{\"code\":\"internal\",\"message\":\"out of memory\"}}";
        struct MHD_Response *resp =
            MHD_create_response_from_buffer(sizeof oom - 1, oom, MHD_RESPMEM_PERSISTENT);
        if (!resp) return MHD_NO;
        return api_queue_resp(r, c, 500, resp, "application/json", NULL, false);
    }
    return api_send_buf(r, c, status, ctype, b->p ? b->p : strdup(""), b->n);
}

enum MHD_Result api_send_json(req *r, struct MHD_Connection *c, int status, json_t *j) {
    size_t len = 0;
    char *txt = j ? pw_json_text(j, &len) : NULL; /* numbers exact and short */
    json_decref(j);
    if (!txt) {
        textbuf b = {.oom = true};
        return api_send_sb(r, c, 500, "application/json", &b);
    }
    return api_send_buf(r, c, status, "application/json", txt, len);
}

/* Replaces every byte that does not start a valid UTF-8 sequence (RFC 3629:
 * no overlong forms, no surrogates, nothing past U+10FFFF) with '?'. */
void api_utf8_scrub(char *s) {
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

enum MHD_Result api_send_error(req *r, struct MHD_Connection *c, int status, const char *code,
                               const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* Messages quote the request (a series name, an id): jansson refuses
     * text that is not UTF-8, and a message cut at 511 bytes may end inside
     * a character; either would turn a 4xx into a 500. */
    api_utf8_scrub(msg);
    if (api_route_flags(r->route) & API_ROUTE_INFLUX) /* InfluxDB's shape and words */
        return api_send_json(
            r, c, status,
            json_pack("{s:s}", "error", status == 401 ? "authorization failed" : msg));
    if (api_route_flags(r->route) & API_ROUTE_PROM) { /* Prometheus's shape */
        const char *type = status == 400 ? "bad_data" : code ? code : status_code_name(status);
        return api_send_json(
            r, c, status,
            json_pack("{s:s,s:s,s:s}", "status", "error", "errorType", type, "error", msg));
    }
    json_t *j = json_pack("{s:{s:s,s:s}}", "error", "code", code ? code : status_code_name(status),
                          "message", msg);
    return api_send_json(r, c, status, j);
}
