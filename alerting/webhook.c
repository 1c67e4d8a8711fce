/*
 * webhook.c - alarm notifications POSTed to an HTTP endpoint, on a thread
 * of their own: the engine's subscriber only queues (bounded; the oldest is
 * dropped, and counted, when the endpoint has been down for very long), so
 * ingest never waits for the network. A failed POST (no connection, no 2xx
 * within 5 s) is retried with backoff from 0.5 s to 30 s, in order.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "alerting/alerting.h"
#include "common/clock.h"

struct alert_webhook {
    char host[256], port[8], path[512];
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    bool stop;
    char **queue; /* ring of JSON bodies */
    size_t cap, head, n;
    uint64_t delivered, dropped, failures;
};

static int parse_url(alert_webhook *w, const char *url) {
    if (strncmp(url, "http://", 7) != 0) return -1;
    const char *h = url + 7, *slash = strchr(h, '/'), *end = slash ? slash : h + strlen(h);
    const char *colon = memchr(h, ':', (size_t)(end - h));
    const char *hend = colon ? colon : end;
    if (hend == h || (size_t)(hend - h) >= sizeof w->host) return -1;
    snprintf(w->host, sizeof w->host, "%.*s", (int)(hend - h), h);
    snprintf(w->port, sizeof w->port, "%.*s", colon ? (int)(end - colon - 1) : 2,
             colon ? colon + 1 : "80");
    snprintf(w->path, sizeof w->path, "%s", slash ? slash : "/");
    return atoi(w->port) > 0 ? 0 : -1;
}

/* One POST; 0 when the endpoint answered 2xx. */
static int post(const alert_webhook *w, const char *body) {
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
    if (getaddrinfo(w->host, w->port, &hints, &ai) != 0) return -1;
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
    int rc = -1;
    if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
        char head[1024];
        int hl = snprintf(head, sizeof head,
                          "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
                          "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                          w->path, w->host, strlen(body));
        if (send(fd, head, (size_t)hl, MSG_NOSIGNAL) == hl &&
            send(fd, body, strlen(body), MSG_NOSIGNAL) == (ssize_t)strlen(body)) {
            char resp[64] = {0};
            struct pollfd p = {.fd = fd, .events = POLLIN};
            size_t got = 0;
            while (got < 12 && poll(&p, 1, 5000) == 1) {
                ssize_t r = recv(fd, resp + got, sizeof resp - 1 - got, 0);
                if (r <= 0) break;
                got += (size_t)r;
            }
            /* "HTTP/1.1 2xx" */
            if (got >= 12 && !strncmp(resp, "HTTP/1.", 7) && resp[9] == '2') rc = 0;
        }
    }
    if (fd >= 0) close(fd);
    freeaddrinfo(ai);
    return rc;
}

static void *webhook_main(void *arg) {
    alert_webhook *w = arg;
    int backoff_ms = 500;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->n && !w->stop) pthread_cond_wait(&w->cv, &w->mu);
        if (w->stop) break;
        /* The sender owns the head while it posts; a failed one goes back
         * to the front (or, if the queue filled meanwhile, is dropped). */
        char *body = w->queue[w->head];
        w->head = (w->head + 1) % w->cap;
        w->n--;
        pthread_mutex_unlock(&w->mu);
        int rc = post(w, body);
        pthread_mutex_lock(&w->mu);
        if (rc == 0) {
            free(body);
            w->delivered++;
            backoff_ms = 500;
            continue;
        }
        w->failures++;
        if (w->n == w->cap) {
            free(body);
            w->dropped++;
        } else {
            w->head = (w->head + w->cap - 1) % w->cap;
            w->queue[w->head] = body;
            w->n++;
        }
        struct timespec until;
        pw_deadline_in(CLOCK_REALTIME, backoff_ms, &until);
        while (!w->stop && pthread_cond_timedwait(&w->cv, &w->mu, &until) != ETIMEDOUT) {
        }
        backoff_ms = backoff_ms * 2 > 30000 ? 30000 : backoff_ms * 2;
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

int alert_webhook_start(const char *url, size_t queue_cap, alert_webhook **out, char *err,
                        size_t errcap) {
    *out = NULL;
    alert_webhook *w = calloc(1, sizeof *w);
    if (!w) {
        snprintf(err, errcap, "webhook: out of memory");
        return -1;
    }
    if (parse_url(w, url) != 0) {
        snprintf(err, errcap, "webhook: %s is not an http://host[:port]/path URL", url);
        free(w);
        return -1;
    }
    w->cap = queue_cap ? queue_cap : 10000;
    w->queue = calloc(w->cap, sizeof *w->queue);
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    if (!w->queue || pthread_create(&w->thread, NULL, webhook_main, w) != 0) {
        snprintf(err, errcap, "webhook: cannot start");
        free(w->queue);
        free(w);
        return -1;
    }
    *out = w;
    return 0;
}

int alert_webhook_send(alert_webhook *w, const char *json) {
    char *copy = strdup(json);
    if (!copy) return -1;
    pthread_mutex_lock(&w->mu);
    if (w->n == w->cap) { /* full: the oldest goes, counted */
        free(w->queue[w->head]);
        w->head = (w->head + 1) % w->cap;
        w->n--;
        w->dropped++;
    }
    w->queue[(w->head + w->n) % w->cap] = copy;
    w->n++;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    return 0;
}

void alert_webhook_stats(alert_webhook *w, uint64_t *delivered, uint64_t *queued, uint64_t *dropped,
                         uint64_t *failures) {
    pthread_mutex_lock(&w->mu);
    *delivered = w->delivered, *queued = w->n, *dropped = w->dropped, *failures = w->failures;
    pthread_mutex_unlock(&w->mu);
}

void alert_webhook_stop(alert_webhook *w) {
    if (!w) return;
    pthread_mutex_lock(&w->mu);
    w->stop = true;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    for (size_t i = 0; i < w->n; i++) free(w->queue[(w->head + i) % w->cap]);
    free(w->queue);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    free(w);
}
