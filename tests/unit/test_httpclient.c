/*
 * test_httpclient.c - the HTTP client of the tests and parkbench (common/kit/httpclient.h) against
 * a small scripted server on a loopback port, run by a thread here: bodies delimited by
 * Content-Length, by chunks (split across writes, with extensions and trailers) and by the close;
 * 404s, 1xx, HEAD and 204; malformed and truncated responses; an SSE stream with events split
 * mid-line, multi-line data, comments, CR/LF/CRLF line ends, a pause
 * (http_sse_next times out) and the end. Connecting to a closed port
 * fails, a server that never answers times out, and curl runs.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/kit/httpclient.h"

/* ---- the scripted server ------------------------------------------------ */

static struct {
    int lfd, port;
    pthread_t thread;
    atomic_bool stop;
    int go[2]; /* the test writes a byte: the SSE route goes on after its pause */
    pthread_mutex_t mu;
    char *last_req; /* the last request as received (head and body) */
    size_t last_len;
} srv = {.mu = PTHREAD_MUTEX_INITIALIZER};

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void pause_ms(int ms) {
    struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&t, &t) != 0 && errno == EINTR) {
    }
}

static void put_n(int fd, const void *data, size_t n) {
    const char *p = data;
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return; /* the client went away: the test says what it thinks */
        p += w;
        n -= (size_t)w;
    }
}

static void put(int fd, const char *s) {
    put_n(fd, s, strlen(s));
}

/* A write on its own: with TCP_NODELAY and the pause, the client most
 * likely receives it in a read of its own. */
static void put_p(int fd, const char *s) {
    put(fd, s);
    pause_ms(3);
}

/* One chunk of s, its framing split across writes too. */
static void put_chunk(int fd, const char *s) {
    char size[32];
    size_t n = strlen(s);
    snprintf(size, sizeof size, "%zx", n);
    put_p(fd, size);
    put_p(fd, ";piece=1\r\n");
    put_n(fd, s, n / 2);
    pause_ms(3);
    put_n(fd, s + n / 2, n - n / 2);
    pause_ms(3);
    put_p(fd, "\r");
    put_p(fd, "\n");
}

/* Waits (at most 5 s) for the client to close: proves it did not need the
 * close to know the response was complete. */
static void drain(int fd) {
    char b[4096];
    double until = now_s() + 5;
    while (now_s() < until) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 100) <= 0) continue;
        if (recv(fd, b, sizeof b, 0) <= 0) return;
    }
}

/* Reads one request (head and Content-Length body) and records it; the
 * path into path. -1 if the client sent nothing whole. */
static int read_request(int fd, char *path, size_t cap) {
    size_t len = 0, size = 65536;
    char *b = malloc(size + 1);
    char *end = NULL;
    size_t need = 0;
    double until = now_s() + 5;
    for (;;) {
        if (!end) {
            b[len] = 0;
            end = strstr(b, "\r\n\r\n");
            if (end) {
                end += 4;
                const char *cl = strcasestr(b, "\r\nContent-Length:");
                size_t body = cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0;
                need = (size_t)(end - b) + body;
                if (need > size) {
                    size_t off = (size_t)(end - b);
                    size = need;
                    b = realloc(b, size + 1);
                    end = b + off;
                }
            }
        }
        if (end && len >= need) break;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (now_s() > until || poll(&p, 1, 100) < 0) goto fail;
        if (!(p.revents & (POLLIN | POLLHUP | POLLERR))) continue;
        if (len == size) {
            size *= 2;
            size_t off = end ? (size_t)(end - b) : 0;
            b = realloc(b, size + 1);
            if (end) end = b + off;
        }
        ssize_t n = recv(fd, b + len, size - len, 0);
        if (n <= 0) goto fail;
        len += (size_t)n;
    }
    b[len] = 0;
    const char *sp = strchr(b, ' ');
    size_t pl = sp ? strcspn(sp + 1, " ") : 0;
    snprintf(path, cap, "%.*s", (int)pl, sp ? sp + 1 : "");
    pthread_mutex_lock(&srv.mu);
    free(srv.last_req);
    srv.last_req = b;
    srv.last_len = len;
    pthread_mutex_unlock(&srv.mu);
    return 0;
fail:
    free(b);
    return -1;
}

static bool last_req_has(const char *s) {
    pthread_mutex_lock(&srv.mu);
    bool has = srv.last_req && strstr(srv.last_req, s) != NULL;
    pthread_mutex_unlock(&srv.mu);
    return has;
}

/* The body of /big: 1 MB of a pattern. */
#define BIG_LEN (1 << 20)
static char big_byte(size_t i) {
    return (char)('a' + (i * 7 + i / 1000) % 26);
}

static bool go_wait(void) {
    struct pollfd p = {.fd = srv.go[0], .events = POLLIN};
    char c;
    return poll(&p, 1, 5000) == 1 && read(srv.go[0], &c, 1) == 1;
}

static void handle(int fd) {
    char path[256];
    if (read_request(fd, path, sizeof path) != 0) return;
    if (strcmp(path, "/len") == 0) {
        /* Headers split mid-line; the body split; the connection stays open. */
        put_p(fd, "HTTP/1.1 200 OK\r\nContent-Ty");
        put_p(fd, "pe: application/json\r\nX-Multi: a\r\nx-multi:  b \r\nContent-Len");
        put_p(fd, "gth: 21\r\n\r\n{\"ok\": tr");
        put(fd, "ue, \"n\": 12}");
        drain(fd);
    } else if (strcmp(path, "/binary") == 0) {
        put(fd, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab");
        put_n(fd, "\0cd", 3);
        drain(fd);
    } else if (strcmp(path, "/echo") == 0) {
        pthread_mutex_lock(&srv.mu);
        const char *body = strstr(srv.last_req, "\r\n\r\n") + 4;
        size_t n = srv.last_len - (size_t)(body - srv.last_req);
        char *copy = malloc(n + 1);
        memcpy(copy, body, n);
        pthread_mutex_unlock(&srv.mu);
        char head[128];
        snprintf(head, sizeof head, "HTTP/1.1 201 Created\r\nContent-Length: %zu\r\n\r\n", n);
        put(fd, head);
        put_n(fd, copy, n);
        free(copy);
        drain(fd);
    } else if (strcmp(path, "/chunked") == 0) {
        put_p(fd, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n");
        put_p(fd, "\r\n5;ext=1\r\nHel");
        put_p(fd, "lo\r\n");
        put_p(fd, "8 ; name=\"q;x\"\r\n, world!");
        put_p(fd, "\r");
        put_p(fd, "\n1A\r\nabcdefghijklm");
        put_p(fd, "nopqrstuvwxyz\r\n0");
        put_p(fd, "\r\nX-Trailer: yes\r\n");
        put_p(fd, "\r\n");
        drain(fd);
    } else if (strcmp(path, "/big") == 0) {
        put(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        char *b = malloc(BIG_LEN);
        for (size_t i = 0; i < BIG_LEN; i++) b[i] = big_byte(i);
        for (size_t off = 0, k = 1; off < BIG_LEN; k = k * 31 % 9973) {
            size_t n = k < BIG_LEN - off ? k : BIG_LEN - off;
            char size[32];
            snprintf(size, sizeof size, "%zX\r\n", n);
            put(fd, size);
            put_n(fd, b + off, n);
            put(fd, "\r\n");
            off += n;
        }
        put(fd, "0\r\n\r\n");
        free(b);
        drain(fd);
    } else if (strcmp(path, "/close") == 0) {
        put_p(fd, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n");
        put_p(fd, "part one,");
        put(fd, " part two");
    } else if (strcmp(path, "/missing") == 0) {
        put(fd, "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n"
                "Content-Length: 22\r\nX-Request-Id: 42\r\n\r\n{\"error\": \"not found\"}");
        drain(fd);
    } else if (strcmp(path, "/continue") == 0) {
        put_p(fd, "HTTP/1.1 100 Continue\r\n\r\n");
        put(fd, "HTTP/1.1 200 OK\r\nX-Folded: a\r\n  b\r\nContent-Length: 2\r\n\r\nok");
        drain(fd);
    } else if (strcmp(path, "/head") == 0) {
        put(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n");
        drain(fd);
    } else if (strcmp(path, "/nocontent") == 0) {
        put(fd, "HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n");
        drain(fd);
    } else if (strcmp(path, "/truncated") == 0) {
        put(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this");
    } else if (strcmp(path, "/badstatus") == 0) {
        put(fd, "HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n");
    } else if (strcmp(path, "/badheader") == 0) {
        put(fd, "HTTP/1.1 200 OK\r\nBad Header: x\r\nContent-Length: 0\r\n\r\n");
    } else if (strcmp(path, "/badchunk") == 0) {
        put(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nxx\r\n0\r\n\r\n");
    } else if (strcmp(path, "/chunkcut") == 0) {
        put(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
    } else if (strcmp(path, "/events") == 0) {
        put_p(fd, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
                  "Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n");
        const char *pieces[] = {
            ": heartbeat\n\nevent: occu",
            "pancy\ndata: {\"a\":",
            "1}\nid: 7\n\n",
            "data: line1\ndata: line2\nda",
            "ta:line3\n\n: ping\n\n",
            "retry: 3000\r\nid: 8\r\nevent: alarm\r\ndata:  two spaces\r",
            "\n\r\n",
            "data\n\nevent: no-data\n\ndata: after\n\n",
        };
        for (size_t i = 0; i < sizeof pieces / sizeof *pieces; i++) put_chunk(fd, pieces[i]);
        if (!go_wait()) return;
        put_chunk(fd, "data: late\n\n");
        put_chunk(fd, "data: partial\n");
        put_p(fd, "0\r\n\r\n");
    } else if (strcmp(path, "/events-bytes") == 0) {
        /* Close-delimited, a BOM, every byte in a write of its own. */
        put(fd, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n");
        const char *s = "\xEF\xBB\xBF"
                        "data: a\r\rdata: b\r\n\r\nid: 1\nevent: e\ndata: c\n\nid\ndata: x";
        for (const char *p = s; *p; p++) {
            put_n(fd, p, 1);
            pause_ms(1);
        }
    } else if (strcmp(path, "/events-401") == 0) {
        put(fd, "HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\n"
                "Content-Length: 2\r\n\r\n{}");
        drain(fd);
    } else if (strcmp(path, "/events-plain") == 0) {
        put(fd, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi");
        drain(fd);
    } else {
        put(fd, "HTTP/1.1 500 Unscripted\r\nContent-Length: 0\r\n\r\n");
    }
}

static void *serve(void *arg) {
    (void)arg;
    while (!atomic_load(&srv.stop)) {
        struct pollfd p = {.fd = srv.lfd, .events = POLLIN};
        if (poll(&p, 1, 50) <= 0) continue;
        int fd = accept(srv.lfd, NULL, NULL);
        if (fd < 0) continue;
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        handle(fd);
        close(fd);
    }
    return NULL;
}

/* A socket bound to a free loopback port: listening (backlog only, nobody
 * accepts) or not (connections are refused). */
static int bound_socket(bool listening, int *port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0 || (listening && listen(fd, 16) != 0))
        abort();
    *port = ntohs(a.sin_port);
    return fd;
}

static int setup(void **state) {
    (void)state;
    srv.lfd = bound_socket(true, &srv.port);
    if (pipe(srv.go) != 0) return -1;
    return pthread_create(&srv.thread, NULL, serve, NULL);
}

static int teardown(void **state) {
    (void)state;
    atomic_store(&srv.stop, true);
    pthread_join(srv.thread, NULL);
    close(srv.lfd);
    close(srv.go[0]);
    close(srv.go[1]);
    free(srv.last_req);
    return 0;
}

/* ---- requests ----------------------------------------------------------- */

static void test_content_length(void **state) {
    (void)state;
    http_resp r;
    char v[64];
    /* The server keeps the connection open after the body: the client must
     * go by Content-Length (the server gives up after 5 s). */
    double t0 = now_s();
    assert_int_equal(http_get(srv.port, "/len", NULL, &r), 0);
    assert_true(now_s() - t0 < 2);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "{\"ok\": true, \"n\": 12}");
    assert_int_equal(r.body_len, 21);
    assert_non_null(http_header(&r, "content-type", v, sizeof v));
    assert_string_equal(v, "application/json");
    assert_non_null(http_header(&r, "CONTENT-LENGTH", v, sizeof v));
    assert_string_equal(v, "21");
    assert_non_null(http_header(&r, "X-Multi", v, sizeof v));
    assert_string_equal(v, "a, b");
    assert_non_null(http_header(&r, "X-Multi", v, 3)); /* truncated */
    assert_string_equal(v, "a,");
    assert_null(http_header(&r, "X-Mult", v, sizeof v));
    assert_null(http_header(&r, "Authorization", v, sizeof v));
    http_resp_free(&r);
    http_resp_free(&r); /* twice is harmless */
    /* What the server got: Host, Connection: close, no Authorization. */
    char host[64];
    snprintf(host, sizeof host, "GET /len HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n", srv.port);
    assert_true(last_req_has(host));
    assert_true(last_req_has("\r\nConnection: close\r\n"));
    assert_false(last_req_has("Authorization"));
    assert_false(last_req_has("Content-Length"));

    assert_int_equal(http_get(srv.port, "/binary", "tok", &r), 0);
    assert_int_equal(r.body_len, 5);
    assert_memory_equal(r.body, "ab\0cd", 6); /* and the NUL after */
    assert_true(last_req_has("\r\nAuthorization: Bearer tok\r\n"));
    http_resp_free(&r);
}

static void test_post_and_request_headers(void **state) {
    (void)state;
    http_resp r;
    assert_int_equal(http_post(srv.port, "/echo", "sekrit", "application/json", "{\"x\": 1}", &r),
                     0);
    assert_int_equal(r.status, 201);
    assert_string_equal(r.body, "{\"x\": 1}");
    http_resp_free(&r);
    assert_true(last_req_has("POST /echo HTTP/1.1\r\n"));
    assert_true(last_req_has("\r\nAuthorization: Bearer sekrit\r\n"));
    assert_true(last_req_has("\r\nContent-Type: application/json\r\n"));
    assert_true(last_req_has("\r\nContent-Length: 8\r\n"));
    assert_true(last_req_has("\r\n\r\n{\"x\": 1}"));

    /* PUT without a body still says Content-Length: 0; extra headers go through. */
    assert_int_equal(http_request_hdrs(srv.port, "PUT", "/echo", NULL, NULL,
                                       "If-Match: \"v1\"\r\nX-Two: 2", NULL, 0, &r, 5000),
                     0);
    assert_int_equal(r.status, 201);
    assert_int_equal(r.body_len, 0);
    assert_string_equal(r.body, "");
    http_resp_free(&r);
    assert_true(last_req_has("\r\nContent-Length: 0\r\n"));
    assert_true(last_req_has("\r\nIf-Match: \"v1\"\r\nX-Two: 2\r\n\r\n"));

    /* A big body both ways. */
    char *big = malloc(BIG_LEN);
    for (size_t i = 0; i < BIG_LEN; i++) big[i] = big_byte(i);
    assert_int_equal(
        http_request(srv.port, "POST", "/echo", NULL, "text/plain", big, BIG_LEN, &r, 10000), 0);
    assert_int_equal(r.body_len, BIG_LEN);
    assert_memory_equal(r.body, big, BIG_LEN);
    http_resp_free(&r);
    free(big);

    /* Bad arguments: no request at all. */
    errno = 0;
    assert_int_equal(http_get(srv.port, "/a b", NULL, &r), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(http_get(srv.port, "/x", "tok\r\nX-Injected: 1", &r), -1);
    assert_int_equal(errno, EINVAL);
    assert_null(r.body);
}

static void test_chunked(void **state) {
    (void)state;
    http_resp r;
    char v[64];
    double t0 = now_s();
    assert_int_equal(http_get(srv.port, "/chunked", NULL, &r), 0);
    assert_true(now_s() - t0 < 2); /* by the last chunk, not the close */
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "Hello, world!abcdefghijklmnopqrstuvwxyz");
    assert_int_equal(r.body_len, strlen(r.body));
    assert_non_null(http_header(&r, "transfer-encoding", v, sizeof v));
    assert_string_equal(v, "chunked");
    assert_null(http_header(&r, "X-Trailer", v, sizeof v)); /* trailers are skipped */
    http_resp_free(&r);

    assert_int_equal(http_get(srv.port, "/big", NULL, &r), 0);
    assert_int_equal(r.body_len, BIG_LEN);
    for (size_t i = 0; i < BIG_LEN; i++)
        if (r.body[i] != big_byte(i)) fail_msg("byte %zu", i);
    assert_int_equal(r.body[BIG_LEN], 0);
    http_resp_free(&r);
}

/* The decoder itself, fed everything at once and byte by byte. */
static void test_dechunk_incremental(void **state) {
    (void)state;
    const char *in = "4\r\nWiki\r\n5;a=b\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0;last\r\n"
                     "T: x\r\nU: y\r\n\r\nEXTRA";
    size_t n = strlen(in), end = n - 5;
    for (int bytewise = 0; bytewise < 2; bytewise++) {
        http__dechunk d = {0};
        http__buf out = {0};
        size_t used = 0;
        if (bytewise) {
            for (size_t i = 0; i < n && d.st != HTTP__CK_DONE; i++)
                used += (size_t)http__dechunk_feed(&d, in + i, 1, &out);
        } else {
            used = (size_t)http__dechunk_feed(&d, in, n, &out);
        }
        assert_int_equal(d.st, HTTP__CK_DONE);
        assert_int_equal(used, end);
        assert_string_equal(out.p, "Wikipedia in\r\n\r\nchunks.");
        http__buf_free(&out);
    }
    const char *bad[] = {"g\r\n",   "\r\n", "5\r\nHelloX\r\n", "5 x\r\n", "11111111111111111\r\n",
                         "0\r\n\rX"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        http__dechunk d = {0};
        http__buf out = {0};
        errno = 0;
        assert_int_equal(http__dechunk_feed(&d, bad[i], strlen(bad[i]), &out), -1);
        assert_int_equal(errno, EPROTO);
        http__buf_free(&out);
    }
}

static void test_close_delimited_and_status(void **state) {
    (void)state;
    http_resp r;
    char v[64];
    assert_int_equal(http_get(srv.port, "/close", NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "part one, part two");
    http_resp_free(&r);

    assert_int_equal(http_get(srv.port, "/missing", NULL, &r), 0);
    assert_int_equal(r.status, 404);
    assert_string_equal(r.body, "{\"error\": \"not found\"}");
    assert_string_equal(http_header(&r, "x-request-id", v, sizeof v), "42");
    http_resp_free(&r);

    /* An interim 100 is skipped; an obs-fold becomes spaces. */
    assert_int_equal(http_get(srv.port, "/continue", NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "ok");
    assert_string_equal(http_header(&r, "X-Folded", v, sizeof v), "a   b");
    http_resp_free(&r);

    /* No body for HEAD and 204, whatever the headers say (the server keeps
     * the connection open: waiting for a body would time out). */
    double t0 = now_s();
    assert_int_equal(http_request(srv.port, "HEAD", "/head", NULL, NULL, NULL, 0, &r, 3000), 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, 0);
    assert_string_equal(http_header(&r, "Content-Length", v, sizeof v), "100");
    http_resp_free(&r);
    assert_int_equal(http_get(srv.port, "/nocontent", NULL, &r), 0);
    assert_int_equal(r.status, 204);
    assert_string_equal(r.body, "");
    assert_string_equal(http_header(&r, "x-a", v, sizeof v), "1");
    http_resp_free(&r);
    assert_true(now_s() - t0 < 2);

    /* A raw request, bytes as given. */
    const char raw[] = "GET /missing HTTP/1.1\r\nHost: x\r\n\r\n";
    assert_int_equal(http_raw(srv.port, raw, sizeof raw - 1, &r, 5000), 0);
    assert_int_equal(r.status, 404);
    http_resp_free(&r);
}

static void test_malformed(void **state) {
    (void)state;
    const char *paths[] = {"/truncated", "/badstatus", "/badheader", "/badchunk", "/chunkcut"};
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        http_resp r;
        errno = 0;
        if (http_get(srv.port, paths[i], NULL, &r) != -1) fail_msg("%s: no error", paths[i]);
        if (errno != EPROTO) fail_msg("%s: errno %d", paths[i], errno);
        assert_null(r.body);
        assert_null(r.headers);
        assert_int_equal(r.status, 0);
    }
}

static void test_closed_port_and_silent_server(void **state) {
    (void)state;
    int port;
    int fd = bound_socket(false, &port);
    http_resp r;
    errno = 0;
    assert_int_equal(http_get(port, "/", NULL, &r), -1);
    assert_int_equal(errno, ECONNREFUSED);
    int status = -1;
    assert_null(http_sse_open(port, "/events", NULL, &status));
    assert_int_equal(status, 0);
    close(fd);

    /* Connects (the kernel's backlog), never answers. */
    fd = bound_socket(true, &port);
    double t0 = now_s();
    errno = 0;
    assert_int_equal(http_request(port, "GET", "/", NULL, NULL, NULL, 0, &r, 300), -1);
    double took = now_s() - t0;
    assert_int_equal(errno, ETIMEDOUT);
    assert_true(took >= 0.29 && took < 3);
    assert_null(r.body);
    close(fd);
}

/* ---- server-sent events ------------------------------------------------- */

static void expect_event(http_sse *s, const char *event, const char *data, const char *id) {
    char e[64], d[256], i[64];
    int r = http_sse_next(s, 5000, e, sizeof e, d, sizeof d, i, sizeof i);
    if (r != 1) fail_msg("expected event %s/%s, got %d (errno %d)", event, data, r, errno);
    assert_string_equal(e, event);
    assert_string_equal(d, data);
    assert_string_equal(i, id);
    assert_string_equal(http_sse_data(s), data);
}

static void test_sse_chunked(void **state) {
    (void)state;
    int status = 0;
    char v[64];
    http_sse *s = http_sse_open(srv.port, "/events", "sekrit", &status);
    assert_non_null(s);
    assert_int_equal(status, 200);
    assert_true(last_req_has("GET /events HTTP/1.1\r\n"));
    assert_true(last_req_has("\r\nAccept: text/event-stream\r\n"));
    assert_true(last_req_has("\r\nAuthorization: Bearer sekrit\r\n"));
    assert_string_equal(http_sse_header(s, "cache-control", v, sizeof v), "no-cache");
    assert_int_equal(s->retry_ms, -1);

    expect_event(s, "occupancy", "{\"a\":1}", "7");
    expect_event(s, "message", "line1\nline2\nline3", "7"); /* the last id persists */
    expect_event(s, "alarm", " two spaces", "8");           /* one space is stripped */
    assert_int_equal(s->retry_ms, 3000);
    expect_event(s, "message", "", "8");      /* "data" alone: an empty data line */
    expect_event(s, "message", "after", "8"); /* the type of a data-less event is dropped */

    /* Nothing until the test says so: a timeout. */
    double t0 = now_s();
    char d[64] = "untouched";
    assert_int_equal(http_sse_next(s, 200, NULL, 0, d, sizeof d, NULL, 0), 0);
    double took = now_s() - t0;
    assert_true(took >= 0.19 && took < 2);
    assert_string_equal(d, "untouched");
    assert_int_equal(http_sse_next(s, 0, NULL, 0, d, sizeof d, NULL, 0), 0);
    assert_int_equal(write(srv.go[1], "g", 1), 1);

    /* Truncated copies; the whole data stays at http_sse_data. */
    char small[3];
    assert_int_equal(http_sse_next(s, 5000, NULL, 0, small, sizeof small, NULL, 0), 1);
    assert_string_equal(small, "la");
    assert_string_equal(http_sse_data(s), "late");

    /* The end: the incomplete last event is discarded. */
    errno = -1;
    assert_int_equal(http_sse_next(s, 5000, NULL, 0, d, sizeof d, NULL, 0), -1);
    assert_int_equal(errno, 0);
    assert_int_equal(http_sse_next(s, 5000, NULL, 0, d, sizeof d, NULL, 0), -1);
    http_sse_close(s);
    http_sse_close(NULL);
}

static void test_sse_bytewise_close_delimited(void **state) {
    (void)state;
    int status = 0;
    http_sse *s = http_sse_open(srv.port, "/events-bytes", NULL, &status);
    assert_non_null(s);
    assert_int_equal(status, 200);
    assert_false(last_req_has("Authorization"));
    expect_event(s, "message", "a", ""); /* after a BOM; CR line ends */
    expect_event(s, "message", "b", ""); /* CRLF */
    expect_event(s, "e", "c", "1");
    /* "id" alone resets the id; "data: x" never completes. */
    assert_int_equal(http_sse_next(s, 5000, NULL, 0, NULL, 0, NULL, 0), -1);
    http_sse_close(s);
}

static void test_sse_refused(void **state) {
    (void)state;
    int status = 0;
    errno = 0;
    assert_null(http_sse_open(srv.port, "/events-401", "bad", &status));
    assert_int_equal(status, 401);
    assert_null(http_sse_open(srv.port, "/events-plain", NULL, &status));
    assert_int_equal(status, 200);
    assert_int_equal(errno, EPROTO);
}

/* ---- curl --------------------------------------------------------------- */

static void test_curl(void **state) {
    (void)state;
    if (access("/usr/bin/curl", X_OK) != 0) skip();
    char url[128];
    int status = -1;
    char *body = NULL;

    snprintf(url, sizeof url, "http://127.0.0.1:%d/len", srv.port);
    const char *get[] = {url, NULL};
    assert_int_equal(http_curl(get, &status, &body, 10000), 0);
    assert_int_equal(status, 200);
    assert_string_equal(body, "{\"ok\": true, \"n\": 12}");
    free(body);

    snprintf(url, sizeof url, "http://127.0.0.1:%d/echo", srv.port);
    const char *post[] = {"-H", "Authorization: Bearer t", "--data-binary", "line1\nline2\n", url,
                          NULL};
    assert_int_equal(http_curl(post, &status, &body, 10000), 0);
    assert_int_equal(status, 201);
    assert_string_equal(body, "line1\nline2\n");
    free(body);
    assert_true(last_req_has("\r\nAuthorization: Bearer t\r\n"));

    snprintf(url, sizeof url, "http://127.0.0.1:%d/missing", srv.port);
    assert_int_equal(http_curl(get, &status, &body, 10000), 0);
    assert_int_equal(status, 404);
    assert_string_equal(body, "{\"error\": \"not found\"}");
    free(body);

    int port;
    int fd = bound_socket(false, &port);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", port);
    assert_int_equal(http_curl(get, &status, &body, 10000), 7); /* couldn't connect */
    assert_int_equal(status, 0);
    assert_string_equal(body, "");
    free(body);
    close(fd);

    fd = bound_socket(true, &port);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", port);
    double t0 = now_s();
    errno = 0;
    assert_int_equal(http_curl(get, &status, &body, 300), -1);
    assert_int_equal(errno, ETIMEDOUT);
    assert_null(body);
    assert_true(now_s() - t0 < 3);
    close(fd);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_content_length),
        cmocka_unit_test(test_post_and_request_headers),
        cmocka_unit_test(test_chunked),
        cmocka_unit_test(test_dechunk_incremental),
        cmocka_unit_test(test_close_delimited_and_status),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_closed_port_and_silent_server),
        cmocka_unit_test(test_sse_chunked),
        cmocka_unit_test(test_sse_bytewise_close_delimited),
        cmocka_unit_test(test_sse_refused),
        cmocka_unit_test(test_curl),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
