/*
 * guard.c - a total time limit for each request's head. See guard.h.
 */
#include "api/guard.h"

#include "common/clock.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

typedef struct watch watch;
struct watch {
    int fd;
    /* 0: the head is complete, no clock runs. Written by the connection's
     * own thread without the lock (twice a request, on every request), read
     * by the sweep under it: the watch lives until the CLOSED notification,
     * which takes the lock. */
    atomic_int_fast64_t deadline_ms;
    bool shut;
    watch *prev, *next;
};

struct api_guard {
    int64_t head_timeout_ms;
    pthread_mutex_t mu;
    watch *list;
    atomic_uint_fast64_t timeouts, refused;
};

int64_t api_guard_now_ms(void) {
    return pw_mono_ms();
}

api_guard *api_guard_open(int64_t head_timeout_ms) {
    api_guard *g = calloc(1, sizeof *g);
    if (!g) return NULL;
    g->head_timeout_ms = head_timeout_ms > 0 ? head_timeout_ms : 30000;
    pthread_mutex_init(&g->mu, NULL);
    return g;
}

void api_guard_close(api_guard *g) {
    if (!g) return;
    /* the daemon is stopped: its CLOSED notifications have freed every
     * watch; any left (a daemon that failed to start) go here */
    for (watch *w = g->list, *n; w; w = n) {
        n = w->next;
        free(w);
    }
    pthread_mutex_destroy(&g->mu);
    free(g);
}

static watch *watch_of(struct MHD_Connection *c) {
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

void api_guard_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                      enum MHD_ConnectionNotificationCode code) {
    api_guard *g = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        watch *w = calloc(1, sizeof *w);
        *socket_context = w;
        if (!w) return; /* unguarded, as before the guard: still idle-limited */
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        w->fd = ci ? ci->connect_fd : -1;
        w->deadline_ms = api_guard_now_ms() + g->head_timeout_ms;
        pthread_mutex_lock(&g->mu);
        w->next = g->list;
        if (g->list) g->list->prev = w;
        g->list = w;
        pthread_mutex_unlock(&g->mu);
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        watch *w = *socket_context;
        if (!w) return;
        pthread_mutex_lock(&g->mu);
        if (w->prev)
            w->prev->next = w->next;
        else
            g->list = w->next;
        if (w->next) w->next->prev = w->prev;
        pthread_mutex_unlock(&g->mu);
        free(w);
        *socket_context = NULL;
    }
}

void api_guard_head_done(api_guard *g, struct MHD_Connection *c) {
    (void)g;
    watch *w = watch_of(c);
    if (w) atomic_store_explicit(&w->deadline_ms, 0, memory_order_relaxed);
}

void api_guard_request_done(api_guard *g, struct MHD_Connection *c) {
    watch *w = watch_of(c);
    if (w)
        atomic_store_explicit(&w->deadline_ms, api_guard_now_ms() + g->head_timeout_ms,
                              memory_order_relaxed);
}

size_t api_guard_sweep(api_guard *g, int64_t now_ms) {
    size_t n = 0;
    pthread_mutex_lock(&g->mu);
    for (watch *w = g->list; w; w = w->next) {
        int64_t deadline = atomic_load_explicit(&w->deadline_ms, memory_order_relaxed);
        if (!deadline || w->shut || now_ms < deadline || w->fd < 0) continue;
        /* shutdown, not close: the descriptor stays libmicrohttpd's */
        shutdown(w->fd, SHUT_RDWR);
        w->shut = true;
        n++;
    }
    pthread_mutex_unlock(&g->mu);
    g->timeouts += n;
    return n;
}

void api_guard_refuse(api_guard *g, struct MHD_Connection *c, const char *answer) {
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (!ci) return;
    /* best effort, never blocking: the client gets the status if its
     * socket has room, the close in any case */
    if (answer) (void)!send(ci->connect_fd, answer, strlen(answer), MSG_NOSIGNAL | MSG_DONTWAIT);
    shutdown(ci->connect_fd, SHUT_RDWR);
    watch *w = watch_of(c);
    pthread_mutex_lock(&g->mu);
    if (w) w->shut = true;
    pthread_mutex_unlock(&g->mu);
    g->refused++;
}

uint64_t api_guard_refused(api_guard *g) {
    return g ? g->refused : 0;
}

uint64_t api_guard_timeouts(api_guard *g) {
    return g ? g->timeouts : 0;
}
