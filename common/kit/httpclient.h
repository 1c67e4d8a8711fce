/*
 * kit/httpclient.h - a small HTTP/1.1 client for what talks to parkd's JSON
 * API from outside (the integration tests, parkbench): one request per
 * connection over plain TCP to 127.0.0.1, server-sent event streams, and
 * /usr/bin/curl for what needs TLS. Part of pwkit (tests and tools only);
 * libc only. The system headers below stay for the includers that relied on them.
 *
 *   http_resp r;
 *   assert_int_equal(http_get(port, "/api/v1/health", NULL, &r), 0);
 *   assert_int_equal(r.status, 200);
 *   ... r.body (NUL-terminated), http_header(&r, "content-type", buf, sizeof buf)
 *   http_resp_free(&r);
 *
 * Responses are framed as RFC 9112 says: no body for HEAD, 1xx, 204 and
 * 304; else Transfer-Encoding: chunked (chunk extensions and trailers
 * skipped), Content-Length, or the body runs until the server closes.
 * Interim 1xx responses are skipped. A function that fails returns -1 (or
 * NULL) with errno set: from connect (ECONNREFUSED, ...), ETIMEDOUT when
 * the deadline passed, EPROTO for a malformed or truncated response,
 * EINVAL for bad arguments, ENOMEM. Sockets and pipes are close-on-exec,
 * so processes started meanwhile (proc.h) do not inherit them.
 */
#ifndef PARKWATCH_KIT_HTTPCLIENT_H
#define PARKWATCH_KIT_HTTPCLIENT_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HTTP_TIMEOUT_MS   10000              /* http_get, http_post, http_sse_open */
#define HTTP_MAX_HEAD     (64 * 1024)        /* status line and headers */
#define HTTP_SSE_MAX_LINE (16 * 1024 * 1024) /* one SSE line, one event's data */

typedef struct http_resp {
    int status;    /* 100..599 */
    char *headers; /* the header lines as received ("Name: value\r\n"...), no status line */
    char *body;    /* decoded (de-chunked), NUL-terminated; may contain NULs: see body_len */
    size_t body_len;
} http_resp;

/* ---- internals ---------------------------------------------------------- */

typedef struct http__buf {
    char *p;
    size_t len, cap; /* cap > len when p: there is always room for a NUL */
} http__buf;

/* Incremental chunked transfer-coding decoder (RFC 9112 7.1). */
enum {
    HTTP__CK_SIZE0,     /* first hex digit of a chunk size */
    HTTP__CK_SIZE,      /* more hex digits */
    HTTP__CK_SIZE_WS,   /* whitespace after the size */
    HTTP__CK_EXT,       /* chunk extensions: skipped up to LF */
    HTTP__CK_SIZE_LF,   /* LF after the size line's CR */
    HTTP__CK_DATA,      /* chunk data */
    HTTP__CK_DATA_CR,   /* CR after the data */
    HTTP__CK_DATA_LF,   /* LF after the data */
    HTTP__CK_TRAILER,   /* start of a trailer line (or the final blank line) */
    HTTP__CK_TRAILER_L, /* inside a trailer line */
    HTTP__CK_TRAILER_LF,
    HTTP__CK_DONE,
};

typedef struct http__dechunk {
    int st;
    unsigned long long size; /* of the chunk being read, then what is left of it */
} http__dechunk;

/* How a response body is delimited. */
enum { HTTP__BODY_NONE, HTTP__BODY_LENGTH, HTTP__BODY_CHUNKED, HTTP__BODY_CLOSE };

typedef struct http__body {
    int mode;
    unsigned long long left; /* HTTP__BODY_LENGTH: bytes still to come */
    http__dechunk ck;
    bool done;
} http__body;

/* ---- server-sent events ------------------------------------------------- */

typedef struct http_sse {
    int fd;
    char *headers;
    http__body body;
    http__buf raw;  /* received bytes */
    http__buf text; /* decoded body not yet parsed, from text_off */
    size_t text_off;
    http__buf line;                /* the line being read */
    http__buf data, event, id;     /* buffers of the event being built; id persists */
    http__buf out_data, out_event; /* the last event dispatched */
    bool cr;                       /* a line ended with CR: skip a following LF */
    bool bom_done, eof;
    int err;       /* errno of a failure, 0 at a clean end */
    long retry_ms; /* the last "retry:" field, -1 if none */
} http_sse;

/* ---- the functions ------------------------------------------------------ */

void http__buf_free(http__buf *b);

/* Decodes in[0..n) appending data to out: the bytes consumed (fewer than n
 * only once the last chunk and trailers are done: d->st == HTTP__CK_DONE),
 * or -1 (EPROTO, ENOMEM). */
ssize_t http__dechunk_feed(http__dechunk *d, const char *in, size_t n, http__buf *out);

/* ---- requests ----------------------------------------------------------- */

/* Frees what a successful request filled in; safe on a zeroed or freed resp. */
void http_resp_free(http_resp *r);

/* Header name of r (case-insensitive; repeated headers joined by ", "),
 * trimmed, copied into buf (truncated to cap - 1): buf, or NULL if absent. */
const char *http_header(const http_resp *r, const char *name, char *buf, size_t cap);

/* One request to 127.0.0.1:port with Connection: close, extra header lines
 * ("Name: value\r\n"..., NULL: none) and, when token is not NULL,
 * "Authorization: Bearer <token>". Content-Length is sent when there is a
 * body or the method is POST, PUT or PATCH. timeout_ms bounds the whole
 * exchange (< 0: none). 0 with *out filled in (free with http_resp_free),
 * or -1 with errno set and *out zeroed. */
int http_request_hdrs(int port, const char *method, const char *path, const char *token,
                      const char *content_type, const char *extra_headers, const void *body,
                      size_t body_len, http_resp *out, int timeout_ms);

int http_request(int port, const char *method, const char *path, const char *token,
                 const char *content_type, const void *body, size_t body_len, http_resp *out,
                 int timeout_ms);

int http_get(int port, const char *path, const char *token, http_resp *out);

/* body: a NUL-terminated string (NULL: empty body). */
int http_post(int port, const char *path, const char *token, const char *content_type,
              const char *body, http_resp *out);

/* Sends the bytes of req exactly as given (to test how the server takes
 * malformed requests) and reads the response as http_request does. */
int http_raw(int port, const void *req, size_t len, http_resp *out, int timeout_ms);

void http_sse_close(http_sse *s);

/* Opens an event stream: GET path with Accept: text/event-stream (and the
 * Authorization header when token is not NULL, extra header lines, e.g.
 * "Last-Event-ID: 7"). *status_out (may be NULL) gets the status, 0 if
 * there was no response. NULL (errno set) unless the status is 200 and the
 * Content-Type text/event-stream (as EventSource requires; EPROTO with
 * *status_out 200 when not). Waits at most HTTP_TIMEOUT_MS for the head. */
http_sse *http_sse_open_hdrs(int port, const char *path, const char *token,
                             const char *extra_headers, int *status_out);

http_sse *http_sse_open(int port, const char *path, const char *token, int *status_out);

/* The next event, waiting at most timeout_ms (< 0: no limit; 0: only what
 * has arrived): 1 with its type (default "message"), data (data lines
 * joined by \n) and last event ID (the latest "id:" so far, which, as in
 * EventSource, persists across events; "" if none) copied into the buffers
 * (NULL / cap 0 to skip one; truncated to cap - 1, the whole data stays at
 * http_sse_data). 0 on timeout. -1 at the end of the stream (errno 0; an
 * incomplete last event is discarded) or on an error (errno set); and
 * again on every later call. */
int http_sse_next(http_sse *s, int timeout_ms, char *event, size_t event_cap, char *data,
                  size_t data_cap, char *id, size_t id_cap);

/* The whole data of the last event http_sse_next returned ("" before). */
const char *http_sse_data(const http_sse *s);

/* A header of the stream's response, as http_header. */
const char *http_sse_header(const http_sse *s, const char *name, char *buf, size_t cap);

/* ---- curl --------------------------------------------------------------- */

/* Runs /usr/bin/curl -q -sS -o - -w '\n%{http_code}' <argv_extra...> (a
 * NULL-terminated list naming one URL) with stdin from /dev/null: *status
 * gets the HTTP status (0 when there was no response), *body (may be NULL)
 * a malloc'd NUL-terminated copy of the body (the caller frees it).
 * Returns curl's exit status (0 = success; e.g. 7 could not connect, 60
 * untrusted certificate; *status and *body are still set), or -1 (errno
 * set, nothing allocated) if curl could not run or ran past timeout_ms
 * (< 0: no limit), when it is killed. */
int http_curl(const char *const argv_extra[], int *status, char **body, int timeout_ms);

#endif
