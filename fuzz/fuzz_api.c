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
 * (LLVMFuzzerInitialize) over a small park (fuzz_park.h: small-park.geojson,
 * two hours of points, gas alarms, tokens of each role); each input is
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

#include "common/clock.h"
#include "api/api.h"
#include "fuzz/fuzz_park.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_api: property failed: %s (line %d)\n", #cond, __LINE__);         \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static int port;
static char tok_admin[API_TOKEN_MAX], tok_ent[API_TOKEN_MAX], tok_reg[API_TOKEN_MAX];

static void die(const char *what, const char *why) {
    fprintf(stderr, "fuzz_api: %s: %s\n", what, why);
    exit(1);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    fuzz_park k;
    fuzz_park_start("fuzz-api", &k);
    port = k.port;
    memcpy(tok_admin, k.admin, sizeof tok_admin);
    memcpy(tok_ent, k.ent, sizeof tok_ent);
    memcpy(tok_reg, k.regul, sizeof tok_reg);
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
    int64_t t0 = pw_mono_ms(), deadline = t0 + 4000, quiet_until = t0 + (half ? 10 : 300);
    bool stream = false;
    for (;;) {
        int64_t t = pw_mono_ms();
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
            deadline = pw_mono_ms() + 100;
        }
    }
    if (getenv("FUZZ_API_DEBUG"))
        fprintf(stderr, "fuzz_api: %zu bytes in %lld ms (request of %zu bytes%s)\n%.*s\n", got,
                (long long)(pw_mono_ms() - t0), n, half ? ", half-closed" : "",
                (int)(got < 600 ? got : 600), ans);
    if (getenv("FUZZ_API_DEBUG") && pw_mono_ms() - t0 > 1000) {
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
