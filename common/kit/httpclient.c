/*
 * kit/httpclient.c - the HTTP/1.1 client of the tests and tools (httpclient.h).
 */
#include "common/kit/httpclient.h"

#include "common/clock.h"

static int http__reserve(http__buf *b, size_t extra) {
    if (extra > SIZE_MAX / 2 - b->len) {
        errno = ENOMEM;
        return -1;
    }
    size_t need = b->len + extra + 1;
    if (need <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need) cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
        errno = ENOMEM;
        return -1;
    }
    b->p = p;
    b->cap = cap;
    return 0;
}

static int http__append(http__buf *b, const void *d, size_t n) {
    if (http__reserve(b, n) != 0) return -1;
    if (n) memcpy(b->p + b->len, d, n);
    b->len += n;
    b->p[b->len] = 0;
    return 0;
}

static int http__appends(http__buf *b, const char *s) {
    return http__append(b, s, strlen(s));
}

void http__buf_free(http__buf *b) {
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

/* timeout_ms < 0: no deadline (-1). */
static int64_t http__deadline(int timeout_ms) {
    return timeout_ms < 0 ? -1 : pw_mono_ms() + timeout_ms;
}

/* Waits for events on fd until deadline: 1 ready, 0 timed out (errno
 * ETIMEDOUT), -1 error. */
static int http__wait(int fd, short events, int64_t deadline) {
    for (;;) {
        int ms = -1;
        if (deadline >= 0) {
            int64_t left = deadline - pw_mono_ms();
            ms = left <= 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left;
        }
        struct pollfd p = {.fd = fd, .events = events};
        int r = poll(&p, 1, ms);
        if (r > 0) return 1; /* POLLERR/POLLHUP too: the next recv/send tells */
        if (r == 0) {
            errno = ETIMEDOUT;
            return 0;
        }
        if (errno != EINTR) return -1;
    }
}

/* A non-blocking, close-on-exec socket connected to 127.0.0.1:port. */
static int http__connect(int port, int64_t deadline) {
    if (port <= 0 || port > 65535) {
        errno = EINVAL;
        return -1;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        if (errno != EINPROGRESS && errno != EINTR) goto fail;
        if (http__wait(fd, POLLOUT, deadline) <= 0) goto fail;
        int err = 0;
        socklen_t len = sizeof err;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) goto fail;
        if (err) {
            errno = err;
            goto fail;
        }
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
fail : {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
}
}

static int http__send_all(int fd, const void *data, size_t n, int64_t deadline) {
    const char *p = data;
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
        } else if (w < 0 && errno == EINTR) {
            continue;
        } else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (http__wait(fd, POLLOUT, deadline) <= 0) return -1;
        } else {
            return -1;
        }
    }
    return 0;
}

/* Reads what is available (waiting until deadline) and appends it to b:
 * the number of bytes, 0 at end of stream, -1 on error or timeout. */
static ssize_t http__recv_some(int fd, http__buf *b, int64_t deadline) {
    if (http__reserve(b, 16384) != 0) return -1;
    for (;;) {
        ssize_t n = recv(fd, b->p + b->len, b->cap - b->len - 1, 0);
        if (n >= 0) {
            b->len += (size_t)n;
            b->p[b->len] = 0;
            return n;
        }
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) return -1;
        if (http__wait(fd, POLLIN, deadline) <= 0) return -1;
    }
}

/* Offset just past the blank line that ends the head in p[0..len), or 0. */
static size_t http__head_end(const char *p, size_t len) {
    size_t i = 0;
    while (i < len) {
        const char *nl = memchr(p + i, '\n', len - i);
        if (!nl) return 0;
        size_t line = (size_t)(nl - (p + i));
        if (line == 0 || (line == 1 && p[i] == '\r')) return (size_t)(nl - p) + 1;
        i = (size_t)(nl - p) + 1;
    }
    return 0;
}

/* Parses the head p[0..end): the status and a copy of the header lines
 * (obs-folds replaced by spaces, RFC 9112 5.2). */
static int http__parse_head(const char *p, size_t end, int *status, char **headers) {
    const char *nl = memchr(p, '\n', end);
    if (!nl || nl - p < 12 || memcmp(p, "HTTP/1.", 7) != 0 || p[7] < '0' || p[7] > '9' ||
        p[8] != ' ' || p[9] < '1' || p[9] > '5' || p[10] < '0' || p[10] > '9' || p[11] < '0' ||
        p[11] > '9' || (p[12] != ' ' && p[12] != '\r' && p[12] != '\n'))
        goto bad;
    *status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
    size_t hs = (size_t)(nl - p) + 1;
    size_t he = end - (end >= 2 && p[end - 2] == '\r' && end - 2 >= hs ? 2 : 1);
    http__buf h = {0};
    if (http__append(&h, "", 0) != 0) return -1;
    for (size_t i = hs; i < he; i++) {
        if (p[i] == '\n' && i + 1 < he && (p[i + 1] == ' ' || p[i + 1] == '\t')) {
            if (h.len && h.p[h.len - 1] == '\r') h.len--;
            if (http__append(&h, " ", 1) != 0) goto fail;
        } else if (http__append(&h, p + i, 1) != 0) {
            goto fail;
        }
    }
    /* Each line "name: value", the name a non-empty token (no whitespace). */
    for (const char *l = h.p; *l;) {
        const char *e = strchr(l, '\n');
        size_t ll = e ? (size_t)(e - l) : strlen(l);
        const char *colon = memchr(l, ':', ll);
        if (!colon || colon == l) goto bad_h;
        for (const char *c = l; c < colon; c++)
            if (*c == ' ' || *c == '\t' || *c == '\r') goto bad_h;
        l += ll + (e != NULL);
    }
    *headers = h.p;
    return 0;
bad_h:
    http__buf_free(&h);
bad:
    errno = EPROTO;
    return -1;
fail:
    http__buf_free(&h);
    return -1;
}

/* The value of header name in the header lines h (case-insensitive; values
 * of repeated headers joined by ", ", RFC 9110 5.3), copied into buf
 * (truncated to cap - 1, always NUL-terminated when cap > 0). Returns its
 * full length; *found tells whether the header is there. */
static size_t http__header_get(const char *h, const char *name, char *buf, size_t cap,
                               bool *found) {
    size_t nlen = strlen(name), total = 0;
    *found = false;
    if (cap) buf[0] = 0;
    for (const char *l = h ? h : ""; *l;) {
        const char *e = strchr(l, '\n');
        size_t ll = e ? (size_t)(e - l) : strlen(l);
        const char *colon = memchr(l, ':', ll);
        if (colon && (size_t)(colon - l) == nlen && strncasecmp(l, name, nlen) == 0) {
            const char *v = colon + 1, *ve = l + ll;
            while (v < ve && (*v == ' ' || *v == '\t')) v++;
            while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t' || ve[-1] == '\r')) ve--;
            const char *parts[2] = {", ", v};
            size_t lens[2] = {2, (size_t)(ve - v)};
            for (int k = *found ? 0 : 1; k < 2; k++) {
                if (cap && total < cap - 1) {
                    size_t n = lens[k] < cap - 1 - total ? lens[k] : cap - 1 - total;
                    memcpy(buf + total, parts[k], n);
                    buf[total + n] = 0;
                }
                total += lens[k];
            }
            *found = true;
        }
        l += ll + (e != NULL);
    }
    return total;
}

static int http__hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decodes in[0..n) appending data to out: the bytes consumed (fewer than n
 * only once the last chunk and trailers are done: d->st == HTTP__CK_DONE),
 * or -1 (EPROTO, ENOMEM). */
ssize_t http__dechunk_feed(http__dechunk *d, const char *in, size_t n, http__buf *out) {
    size_t i = 0;
    while (i < n && d->st != HTTP__CK_DONE) {
        if (d->st == HTTP__CK_DATA) {
            size_t k = n - i;
            if ((unsigned long long)k > d->size) k = (size_t)d->size;
            if (http__append(out, in + i, k) != 0) return -1;
            i += k;
            d->size -= k;
            if (d->size == 0) d->st = HTTP__CK_DATA_CR;
            continue;
        }
        char c = in[i++];
        int h = http__hexval(c);
        bool eol = false;
        switch (d->st) {
            case HTTP__CK_SIZE0:
                if (h < 0) goto bad;
                d->size = (unsigned)h;
                d->st = HTTP__CK_SIZE;
                break;
            case HTTP__CK_SIZE:
            case HTTP__CK_SIZE_WS:
                if (d->st == HTTP__CK_SIZE && h >= 0) {
                    if (d->size > (ULLONG_MAX >> 4)) goto bad;
                    d->size = d->size * 16 + (unsigned)h;
                } else if (c == ' ' || c == '\t')
                    d->st = HTTP__CK_SIZE_WS;
                else if (c == ';')
                    d->st = HTTP__CK_EXT;
                else if (c == '\r')
                    d->st = HTTP__CK_SIZE_LF;
                else if (c == '\n')
                    eol = true;
                else
                    goto bad;
                break;
            case HTTP__CK_EXT:
                if (c == '\n') eol = true;
                break;
            case HTTP__CK_SIZE_LF:
                if (c != '\n') goto bad;
                eol = true;
                break;
            case HTTP__CK_DATA_CR:
                if (c == '\r')
                    d->st = HTTP__CK_DATA_LF;
                else if (c == '\n')
                    d->st = HTTP__CK_SIZE0;
                else
                    goto bad;
                break;
            case HTTP__CK_DATA_LF:
                if (c != '\n') goto bad;
                d->st = HTTP__CK_SIZE0;
                break;
            case HTTP__CK_TRAILER:
                if (c == '\r')
                    d->st = HTTP__CK_TRAILER_LF;
                else if (c == '\n')
                    d->st = HTTP__CK_DONE;
                else
                    d->st = HTTP__CK_TRAILER_L;
                break;
            case HTTP__CK_TRAILER_L:
                if (c == '\n') d->st = HTTP__CK_TRAILER;
                break;
            case HTTP__CK_TRAILER_LF:
                if (c != '\n') goto bad;
                d->st = HTTP__CK_DONE;
                break;
            default:
                goto bad;
        }
        if (eol) d->st = d->size ? HTTP__CK_DATA : HTTP__CK_TRAILER;
    }
    if (out->p == NULL && http__append(out, "", 0) != 0) return -1;
    return (ssize_t)i;
bad:
    errno = EPROTO;
    return -1;
}

/* The framing of a response with this status and headers (RFC 9112 6.3). */
static int http__body_init(http__body *b, int status, const char *headers, bool head_req) {
    memset(b, 0, sizeof *b);
    char v[512];
    bool found;
    if (head_req || (status >= 100 && status < 200) || status == 204 || status == 304) {
        b->mode = HTTP__BODY_NONE;
        b->done = true;
        return 0;
    }
    size_t n = http__header_get(headers, "Transfer-Encoding", v, sizeof v, &found);
    if (found) {
        if (n >= sizeof v) goto bad;
        /* The final coding decides: chunked, or else the body runs to the close. */
        char *last = strrchr(v, ',');
        last = last ? last + 1 : v;
        while (*last == ' ' || *last == '\t') last++;
        size_t ll = strcspn(last, " \t;");
        b->mode =
            ll == 7 && strncasecmp(last, "chunked", 7) == 0 ? HTTP__BODY_CHUNKED : HTTP__BODY_CLOSE;
        return 0;
    }
    n = http__header_get(headers, "Content-Length", v, sizeof v, &found);
    if (found) {
        if (n >= sizeof v) goto bad;
        /* "n" or a list of identical values "n, n" (RFC 9110 8.6). */
        bool first = true;
        for (char *s = v;;) {
            while (*s == ' ' || *s == '\t') s++;
            if (*s < '0' || *s > '9') goto bad;
            unsigned long long x = 0;
            for (; *s >= '0' && *s <= '9'; s++) {
                if (x > (ULLONG_MAX - 9) / 10) goto bad;
                x = x * 10 + (unsigned)(*s - '0');
            }
            while (*s == ' ' || *s == '\t') s++;
            if (!first && x != b->left) goto bad;
            b->left = x;
            first = false;
            if (*s == 0) break;
            if (*s++ != ',') goto bad;
        }
        b->mode = HTTP__BODY_LENGTH;
        b->done = b->left == 0;
        return 0;
    }
    b->mode = HTTP__BODY_CLOSE;
    return 0;
bad:
    errno = EPROTO;
    return -1;
}

/* Feeds received body bytes; appends what they carry to out. Bytes past
 * the end of the body are dropped. */
static int http__body_feed(http__body *b, const char *in, size_t n, http__buf *out) {
    if (b->done) return 0;
    if (b->mode == HTTP__BODY_CHUNKED) {
        if (http__dechunk_feed(&b->ck, in, n, out) < 0) return -1;
        b->done = b->ck.st == HTTP__CK_DONE;
        return 0;
    }
    if (b->mode == HTTP__BODY_LENGTH && (unsigned long long)n >= b->left) {
        n = (size_t)b->left;
        b->done = true;
    }
    b->left -= b->mode == HTTP__BODY_LENGTH ? n : 0;
    return http__append(out, in, n);
}

/* At the end of the stream: 0 if the body is complete, else -1 (EPROTO). */
static int http__body_eof(http__body *b) {
    if (b->mode == HTTP__BODY_CLOSE) b->done = true;
    if (b->done) return 0;
    errno = EPROTO;
    return -1;
}

/* Reads the response head (skipping interim 1xx responses) into *status
 * and *headers; the bytes read past it are left at the start of in. */
static int http__read_head(int fd, http__buf *in, int64_t deadline, int *status, char **headers) {
    for (;;) {
        size_t end = in->len ? http__head_end(in->p, in->len) : 0;
        if (end) {
            if (http__parse_head(in->p, end, status, headers) != 0) return -1;
            memmove(in->p, in->p + end, in->len - end + 1);
            in->len -= end;
            if (*status >= 200 || *status == 101) return 0;
            free(*headers);
            *headers = NULL;
            continue;
        }
        if (in->len > HTTP_MAX_HEAD) {
            errno = EPROTO;
            return -1;
        }
        ssize_t n = http__recv_some(fd, in, deadline);
        if (n < 0) return -1;
        if (n == 0) {
            errno = EPROTO; /* closed before a complete head */
            return -1;
        }
    }
}

/* Sends req (and body), reads the whole response into out. */
static int http__exchange(int port, const char *req, size_t req_len, const void *body,
                          size_t body_len, bool head_req, http_resp *out, int timeout_ms) {
    memset(out, 0, sizeof *out);
    int64_t deadline = http__deadline(timeout_ms);
    int fd = http__connect(port, deadline);
    if (fd < 0) return -1;
    http__buf in = {0}, bodybuf = {0};
    char *headers = NULL;
    int status = 0;
    /* A server may answer (413, 401, ...) and close before reading all of
     * the body: then the response still counts. */
    if (http__send_all(fd, req, req_len, deadline) != 0 ||
        (body_len && http__send_all(fd, body, body_len, deadline) != 0)) {
        if (errno != EPIPE && errno != ECONNRESET) goto fail;
    }
    if (http__read_head(fd, &in, deadline, &status, &headers) != 0) goto fail;
    http__body b;
    if (http__body_init(&b, status, headers, head_req) != 0) goto fail;
    if (http__append(&bodybuf, "", 0) != 0) goto fail;
    if (http__body_feed(&b, in.p, in.len, &bodybuf) != 0) goto fail;
    while (!b.done) {
        in.len = 0;
        ssize_t n = http__recv_some(fd, &in, deadline);
        if (n < 0) goto fail;
        if (n == 0) {
            if (http__body_eof(&b) != 0) goto fail;
            break;
        }
        if (http__body_feed(&b, in.p, in.len, &bodybuf) != 0) goto fail;
    }
    close(fd);
    http__buf_free(&in);
    out->status = status;
    out->headers = headers;
    out->body = bodybuf.p;
    out->body_len = bodybuf.len;
    return 0;
fail : {
    int e = errno;
    close(fd);
    http__buf_free(&in);
    http__buf_free(&bodybuf);
    free(headers);
    errno = e;
    return -1;
}
}

static bool http__has_crlf(const char *s) {
    return s && strpbrk(s, "\r\n") != NULL;
}

/* The request head: request line, Host, Connection: close (unless sse),
 * Authorization, Content-Type, Content-Length, extra lines, blank line. */
static int http__build(http__buf *q, int port, const char *method, const char *path,
                       const char *token, const char *content_type, bool with_length,
                       size_t body_len, const char *extra, bool sse) {
    if (!method || !*method || strpbrk(method, " \t\r\n") || !path || !*path ||
        strpbrk(path, " \t\r\n") || http__has_crlf(token) || http__has_crlf(content_type)) {
        errno = EINVAL;
        return -1;
    }
    char host[64], length[64];
    snprintf(host, sizeof host, " HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n", port);
    snprintf(length, sizeof length, "Content-Length: %zu\r\n", body_len);
    const char *parts[] = {
        method,
        " ",
        path,
        host,
        "User-Agent: parkwatch-tests\r\n",
        sse ? "Accept: text/event-stream\r\nCache-Control: no-cache\r\n" : "Connection: close\r\n",
        token ? "Authorization: Bearer " : "",
        token ? token : "",
        token ? "\r\n" : "",
        content_type ? "Content-Type: " : "",
        content_type ? content_type : "",
        content_type ? "\r\n" : "",
        with_length ? length : "",
        extra ? extra : "",
        extra && *extra && extra[strlen(extra) - 1] != '\n' ? "\r\n" : "",
        "\r\n",
    };
    for (size_t i = 0; i < sizeof parts / sizeof *parts; i++)
        if (http__appends(q, parts[i]) != 0) return -1;
    return 0;
}

/* ---- requests ----------------------------------------------------------- */

/* Frees what a successful request filled in; safe on a zeroed or freed resp. */
void http_resp_free(http_resp *r) {
    if (!r) return;
    free(r->headers);
    free(r->body);
    memset(r, 0, sizeof *r);
}

/* Header name of r (case-insensitive; repeated headers joined by ", "),
 * trimmed, copied into buf (truncated to cap - 1): buf, or NULL if absent. */
const char *http_header(const http_resp *r, const char *name, char *buf, size_t cap) {
    bool found;
    if (!r || !name || !buf || !cap) return NULL;
    http__header_get(r->headers, name, buf, cap, &found);
    return found ? buf : NULL;
}

/* One request to 127.0.0.1:port with Connection: close, extra header lines
 * ("Name: value\r\n"..., NULL: none) and, when token is not NULL,
 * "Authorization: Bearer <token>". Content-Length is sent when there is a
 * body or the method is POST, PUT or PATCH. timeout_ms bounds the whole
 * exchange (< 0: none). 0 with *out filled in (free with http_resp_free),
 * or -1 with errno set and *out zeroed. */
int http_request_hdrs(int port, const char *method, const char *path, const char *token,
                      const char *content_type, const char *extra_headers, const void *body,
                      size_t body_len, http_resp *out, int timeout_ms) {
    memset(out, 0, sizeof *out);
    if (!body && body_len) {
        errno = EINVAL;
        return -1;
    }
    bool with_length = body || strcmp(method ? method : "", "POST") == 0 ||
                       strcmp(method ? method : "", "PUT") == 0 ||
                       strcmp(method ? method : "", "PATCH") == 0;
    http__buf q = {0};
    if (http__build(&q, port, method, path, token, content_type, with_length, body_len,
                    extra_headers, false) != 0) {
        int e = errno;
        http__buf_free(&q);
        errno = e;
        return -1;
    }
    int r = http__exchange(port, q.p, q.len, body, body_len, strcmp(method, "HEAD") == 0, out,
                           timeout_ms);
    int e = errno;
    http__buf_free(&q);
    errno = e;
    return r;
}

int http_request(int port, const char *method, const char *path, const char *token,
                 const char *content_type, const void *body, size_t body_len, http_resp *out,
                 int timeout_ms) {
    return http_request_hdrs(port, method, path, token, content_type, NULL, body, body_len, out,
                             timeout_ms);
}

int http_get(int port, const char *path, const char *token, http_resp *out) {
    return http_request(port, "GET", path, token, NULL, NULL, 0, out, HTTP_TIMEOUT_MS);
}

/* body: a NUL-terminated string (NULL: empty body). */
int http_post(int port, const char *path, const char *token, const char *content_type,
              const char *body, http_resp *out) {
    return http_request(port, "POST", path, token, content_type, body ? body : "",
                        body ? strlen(body) : 0, out, HTTP_TIMEOUT_MS);
}

/* Sends the bytes of req exactly as given (to test how the server takes
 * malformed requests) and reads the response as http_request does. */
int http_raw(int port, const void *req, size_t len, http_resp *out, int timeout_ms) {
    bool head_req = len >= 5 && memcmp(req, "HEAD ", 5) == 0;
    return http__exchange(port, req, len, NULL, 0, head_req, out, timeout_ms);
}

/* Handles one line of the stream (WHATWG HTML 9.2.6); 1 when it dispatched
 * an event. */
static int http__sse_line(http_sse *s, const char *l, size_t n) {
    if (n == 0) {
        if (s->data.len == 0) {
            s->event.len = 0;
            return 0;
        }
        s->data.len--; /* the last LF */
        s->data.p[s->data.len] = 0;
        http__buf t = s->out_data;
        s->out_data = s->data;
        s->data = t;
        t = s->out_event;
        s->out_event = s->event;
        s->event = t;
        s->data.len = s->event.len = 0;
        if (s->out_event.len == 0 && http__appends(&s->out_event, "message") != 0) return -1;
        return 1;
    }
    if (l[0] == ':') return 0; /* a comment */
    const char *colon = memchr(l, ':', n);
    size_t fl = colon ? (size_t)(colon - l) : n;
    const char *v = colon ? colon + 1 : l + n;
    size_t vl = colon ? n - fl - 1 : 0;
    if (vl && *v == ' ') v++, vl--;
    if (fl == 5 && memcmp(l, "event", 5) == 0) {
        s->event.len = 0;
        return http__append(&s->event, v, vl);
    }
    if (fl == 4 && memcmp(l, "data", 4) == 0) {
        if (s->data.len + vl >= HTTP_SSE_MAX_LINE) {
            errno = EMSGSIZE;
            return -1;
        }
        if (http__append(&s->data, v, vl) != 0) return -1;
        return http__append(&s->data, "\n", 1);
    }
    if (fl == 2 && memcmp(l, "id", 2) == 0) {
        if (memchr(v, 0, vl)) return 0;
        s->id.len = 0;
        return http__append(&s->id, v, vl);
    }
    if (fl == 5 && memcmp(l, "retry", 5) == 0 && vl > 0 && vl < 10) {
        long ms = 0;
        for (size_t i = 0; i < vl; i++) {
            if (v[i] < '0' || v[i] > '9') return 0;
            ms = ms * 10 + (v[i] - '0');
        }
        s->retry_ms = ms;
    }
    return 0; /* other fields are ignored */
}

/* Parses decoded text until an event is dispatched: 1, or 0 when all of it
 * is consumed, -1 on error. */
static int http__sse_parse(http_sse *s) {
    if (!s->bom_done) {
        size_t avail = s->text.len - s->text_off;
        const char *bom = "\xEF\xBB\xBF";
        size_t k = avail < 3 ? avail : 3;
        if (k && memcmp(s->text.p + s->text_off, bom, k) != 0) {
            s->bom_done = true;
        } else if (k == 3) {
            s->text_off += 3;
            s->bom_done = true;
        } else if (s->eof) {
            s->bom_done = true;
        } else {
            return 0; /* a possible BOM not complete yet */
        }
    }
    while (s->text_off < s->text.len) {
        const char *p = s->text.p + s->text_off;
        size_t avail = s->text.len - s->text_off;
        if (s->cr) {
            s->cr = false;
            if (*p == '\n') {
                s->text_off++;
                continue;
            }
        }
        size_t k = strcspn(p, "\r\n"); /* text is NUL-terminated; NULs inside are data */
        while (k < avail && p[k] != '\r' && p[k] != '\n') k += 1 + strcspn(p + k + 1, "\r\n");
        if (k > avail) k = avail;
        if (s->line.len + k >= HTTP_SSE_MAX_LINE) {
            errno = EMSGSIZE;
            return -1;
        }
        if (http__append(&s->line, p, k) != 0) return -1;
        s->text_off += k;
        if (k == avail) break; /* the line goes on in data still to come */
        s->cr = p[k] == '\r';
        s->text_off++;
        int r = http__sse_line(s, s->line.p, s->line.len);
        s->line.len = 0;
        if (r != 0) return r;
    }
    s->text.len = s->text_off = 0;
    if (s->text.p) s->text.p[0] = 0;
    return 0;
}

void http_sse_close(http_sse *s) {
    if (!s) return;
    if (s->fd >= 0) close(s->fd);
    free(s->headers);
    http__buf *bufs[] = {&s->raw,   &s->text, &s->line,     &s->data,
                         &s->event, &s->id,   &s->out_data, &s->out_event};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) http__buf_free(bufs[i]);
    free(s);
}

/* Opens an event stream: GET path with Accept: text/event-stream (and the
 * Authorization header when token is not NULL, extra header lines, e.g.
 * "Last-Event-ID: 7"). *status_out (may be NULL) gets the status, 0 if
 * there was no response. NULL (errno set) unless the status is 200 and the
 * Content-Type text/event-stream (as EventSource requires; EPROTO with
 * *status_out 200 when not). Waits at most HTTP_TIMEOUT_MS for the head. */
http_sse *http_sse_open_hdrs(int port, const char *path, const char *token,
                             const char *extra_headers, int *status_out) {
    int status_dummy;
    if (!status_out) status_out = &status_dummy;
    *status_out = 0;
    http_sse *s = calloc(1, sizeof *s);
    if (!s) {
        errno = ENOMEM;
        return NULL;
    }
    s->fd = -1;
    s->retry_ms = -1;
    int64_t deadline = http__deadline(HTTP_TIMEOUT_MS);
    http__buf q = {0};
    int status = 0;
    if (http__build(&q, port, "GET", path, token, NULL, false, 0, extra_headers, true) != 0)
        goto fail;
    s->fd = http__connect(port, deadline);
    if (s->fd < 0 || http__send_all(s->fd, q.p, q.len, deadline) != 0) goto fail;
    if (http__read_head(s->fd, &s->raw, deadline, &status, &s->headers) != 0) goto fail;
    *status_out = status;
    if (status != 200) {
        errno = EPROTO;
        goto fail;
    }
    char ct[256];
    bool found;
    size_t n = http__header_get(s->headers, "Content-Type", ct, sizeof ct, &found);
    size_t mt = strcspn(ct, " \t;");
    if (!found || n >= sizeof ct || mt != 17 || strncasecmp(ct, "text/event-stream", 17) != 0) {
        errno = EPROTO;
        goto fail;
    }
    if (http__body_init(&s->body, status, s->headers, false) != 0) goto fail;
    if (http__append(&s->text, "", 0) != 0 || http__append(&s->line, "", 0) != 0) goto fail;
    if (http__body_feed(&s->body, s->raw.p, s->raw.len, &s->text) != 0) goto fail;
    s->raw.len = 0;
    s->eof = s->body.done;
    http__buf_free(&q);
    return s;
fail : {
    int e = errno;
    http__buf_free(&q);
    http_sse_close(s);
    errno = e;
    return NULL;
}
}

http_sse *http_sse_open(int port, const char *path, const char *token, int *status_out) {
    return http_sse_open_hdrs(port, path, token, NULL, status_out);
}

static void http__copy(char *dst, size_t cap, const http__buf *b) {
    if (!dst || !cap) return;
    size_t n = b->len < cap - 1 ? b->len : cap - 1;
    if (n) memcpy(dst, b->p, n);
    dst[n] = 0;
}

/* The next event, waiting at most timeout_ms (< 0: no limit; 0: only what
 * has arrived): 1 with its type (default "message"), data (data lines
 * joined by \n) and last event ID (the latest "id:" so far, which, as in
 * EventSource, persists across events; "" if none) copied into the buffers
 * (NULL / cap 0 to skip one; truncated to cap - 1, the whole data stays at
 * http_sse_data). 0 on timeout. -1 at the end of the stream (errno 0; an
 * incomplete last event is discarded) or on an error (errno set); and
 * again on every later call. */
int http_sse_next(http_sse *s, int timeout_ms, char *event, size_t event_cap, char *data,
                  size_t data_cap, char *id, size_t id_cap) {
    if (!s) {
        errno = EINVAL;
        return -1;
    }
    int64_t deadline = http__deadline(timeout_ms);
    for (;;) {
        int r = http__sse_parse(s);
        if (r < 0) {
            s->err = errno;
            s->eof = true;
            s->text.len = s->text_off = 0;
            return -1;
        }
        if (r == 1) {
            http__copy(event, event_cap, &s->out_event);
            http__copy(data, data_cap, &s->out_data);
            http__copy(id, id_cap, &s->id);
            return 1;
        }
        if (s->eof) {
            errno = s->err;
            return -1;
        }
        s->raw.len = 0;
        ssize_t n = http__recv_some(s->fd, &s->raw, deadline);
        if (n < 0 && errno == ETIMEDOUT) return 0;
        if (n <= 0) {
            s->eof = true;
            s->err = n < 0 ? errno : http__body_eof(&s->body) != 0 ? errno : 0;
            continue; /* what was complete before the end still counts */
        }
        if (http__body_feed(&s->body, s->raw.p, s->raw.len, &s->text) != 0) {
            s->eof = true;
            s->err = errno;
        }
        if (s->body.done) s->eof = true;
    }
}

/* The whole data of the last event http_sse_next returned ("" before). */
const char *http_sse_data(const http_sse *s) {
    return s && s->out_data.p ? s->out_data.p : "";
}

/* A header of the stream's response, as http_header. */
const char *http_sse_header(const http_sse *s, const char *name, char *buf, size_t cap) {
    http_resp r = {.headers = s ? s->headers : NULL};
    return http_header(&r, name, buf, cap);
}

/* ---- curl --------------------------------------------------------------- */

/* Runs /usr/bin/curl -q -sS -o - -w '\n%{http_code}' <argv_extra...> (a
 * NULL-terminated list naming one URL) with stdin from /dev/null: *status
 * gets the HTTP status (0 when there was no response), *body (may be NULL)
 * a malloc'd NUL-terminated copy of the body (the caller frees it).
 * Returns curl's exit status (0 = success; e.g. 7 could not connect, 60
 * untrusted certificate; *status and *body are still set), or -1 (errno
 * set, nothing allocated) if curl could not run or ran past timeout_ms
 * (< 0: no limit), when it is killed. */
int http_curl(const char *const argv_extra[], int *status, char **body, int timeout_ms) {
    static const char *const base[] = {"/usr/bin/curl", "-q", "-sS", "-o", "-", "-w",
                                       "\n%{http_code}"};
    const size_t nbase = sizeof base / sizeof *base;
    int status_dummy;
    if (!status) status = &status_dummy;
    *status = 0;
    if (body) *body = NULL;
    size_t nextra = 0;
    while (argv_extra && argv_extra[nextra]) nextra++;
    char **argv = calloc(nbase + nextra + 1, sizeof *argv);
    if (!argv) {
        errno = ENOMEM;
        return -1;
    }
    for (size_t i = 0; i < nbase; i++) argv[i] = (char *)base[i];
    for (size_t i = 0; i < nextra; i++) argv[nbase + i] = (char *)argv_extra[i];
    int64_t deadline = http__deadline(timeout_ms);
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        int e = errno;
        free(argv);
        errno = e;
        return -1;
    }
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    pid_t pid = fork();
    if (pid == 0) {
        if (devnull >= 0) dup2(devnull, 0);
        dup2(fds[1], 1);
        execv(argv[0], argv);
        _exit(127);
    }
    int e = errno;
    free(argv);
    close(fds[1]);
    if (devnull >= 0) close(devnull);
    if (pid < 0) {
        close(fds[0]);
        errno = e;
        return -1;
    }
    /* The body, until curl closes its stdout or the deadline. */
    http__buf out = {0};
    int err = 0;
    bool timed_out = false, exited = false;
    for (;;) {
        if (http__reserve(&out, 4096) != 0) {
            err = errno;
            break;
        }
        int w = http__wait(fds[0], POLLIN, deadline);
        if (w <= 0) {
            timed_out = w == 0;
            err = errno;
            break;
        }
        ssize_t n = read(fds[0], out.p + out.len, out.cap - out.len - 1);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            err = errno;
            break;
        }
        if (n == 0) break;
        out.len += (size_t)n;
        out.p[out.len] = 0;
    }
    close(fds[0]);
    int st = 0;
    while (!err) { /* its exit, until the deadline */
        pid_t w = waitpid(pid, &st, WNOHANG);
        if (w == pid) {
            exited = true;
            break;
        }
        if (w < 0 && errno != EINTR) {
            err = errno;
            break;
        }
        if (deadline >= 0 && pw_mono_ms() >= deadline) {
            timed_out = true;
            err = ETIMEDOUT;
            break;
        }
        struct timespec t = {0, 2000000};
        nanosleep(&t, NULL);
    }
    if (!exited) {
        kill(pid, SIGKILL);
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
        }
    }
    if (!err && (!WIFEXITED(st) || WEXITSTATUS(st) == 127)) err = WIFEXITED(st) ? ENOENT : EINTR;
    if (!err && http__append(&out, "", 0) != 0) err = errno;
    if (err) {
        http__buf_free(&out);
        errno = timed_out ? ETIMEDOUT : err;
        return -1;
    }
    /* The -w output comes last: "\n" and three digits. */
    size_t nl = out.len;
    while (nl > 0 && out.p[nl - 1] != '\n') nl--;
    if (nl > 0 && out.len - nl == 3 && strspn(out.p + nl, "0123456789") == 3) {
        *status = atoi(out.p + nl);
        out.len = nl - 1;
        out.p[out.len] = 0;
    }
    if (body)
        *body = out.p;
    else
        free(out.p);
    return WEXITSTATUS(st);
}
