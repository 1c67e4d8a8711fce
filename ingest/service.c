/*
 * service.c - the ingest service: the MQTT network thread and the ingest
 * thread, joined by the spool. The delivery argument is in ingest.h.
 *
 * Why our own loop rather than mosquitto_loop_start: libmosquitto 2.0's
 * handle__publish queues the PUBACK of a QoS 1 message and then calls
 * on_message (../shared/reference/payload-formats.md); with the client in
 * threaded mode (mosquitto_threaded_set) packet__queue never writes
 * inline, so queued packets only leave in mosquitto_loop_write. Running
 * read, [fdatasync], write ourselves makes "in the spool before PUBACK" a
 * property of the code here instead of a race.
 */
#include <errno.h>
#include <mosquitto.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "historian/historian.h"
#include "ingest/internal.h"

#define BURST_MAX     1024  /* packets read before the write phase */
#define FLUSH_MAX     50000 /* points queued before the historian gets them */
#define FLUSH_WAIT_MS 2     /* longest a point waits for the historian (and alarms) */
#define BACKOFF_LO    250
#define BACKOFF_HI    30000

struct ingest_service {
    ingest_service_options opt;
    char *spool_dir, *host, *client_id, *username, *password, *cafile, *certfile, *keyfile;
    ingest_options pipe_opt;
    ingest *pipe;
    spool *sp;
    struct mosquitto *mosq;
    pthread_t net_thread, ingest_thread;
    bool net_started, ingest_started;
    atomic_bool stop_net, stop_ingest;
    int wake_fd; /* eventfd: wakes the network thread for a queued message */
    /* set by on_message when the spool refused a message */
    bool spool_failed;
    size_t spooled_in_burst;

    pthread_mutex_t mu; /* guards the fields below */
    ingest_service_stats stats;
};

static int64_t wall_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int64_t mono_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void logf_(ingest_service *s, const char *fmt, ...) {
    if (s->opt.log_level < 1) return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "parkd ingest: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static void set_error(ingest_service *s, const char *msg) {
    pthread_mutex_lock(&s->mu);
    s->stats.failed = true;
    snprintf(s->stats.last_error, sizeof s->stats.last_error, "%s", msg);
    pthread_mutex_unlock(&s->mu);
}

/* ---- network thread ---- */

static void on_connect(struct mosquitto *m, void *obj, int rc) {
    ingest_service *s = obj;
    if (rc != 0) {
        logf_(s, "broker refused the connection: %s", mosquitto_connack_string(rc));
        return;
    }
    char *subs[] = {"park/+/+/data", "park/+/+/status"};
    int src = mosquitto_subscribe_multiple(m, NULL, 2, subs, 1, 0, NULL);
    if (src != MOSQ_ERR_SUCCESS) logf_(s, "subscribe failed: %s", mosquitto_strerror(src));
    pthread_mutex_lock(&s->mu);
    s->stats.connected = true;
    s->stats.connects++;
    pthread_mutex_unlock(&s->mu);
    logf_(s, "connected to %s:%d as %s", s->host, s->opt.port, s->client_id);
}

static void on_disconnect(struct mosquitto *m, void *obj, int rc) {
    (void)m;
    ingest_service *s = obj;
    pthread_mutex_lock(&s->mu);
    bool was = s->stats.connected;
    s->stats.connected = false;
    if (was && rc != 0) s->stats.connection_losses++;
    pthread_mutex_unlock(&s->mu);
    if (rc != 0) logf_(s, "connection lost: %s", mosquitto_strerror(rc));
}

/* The spool could not take a message: the burst's PUBACKs must not leave. */
static void spool_failure(ingest_service *s) {
    s->spool_failed = true;
    pthread_mutex_lock(&s->mu);
    s->stats.spool_errors++;
    pthread_mutex_unlock(&s->mu);
    logf_(s, "spool write failed (%s): dropping the connection so the broker resends",
          strerror(errno));
}

static void on_message(struct mosquitto *m, void *obj, const struct mosquitto_message *msg) {
    (void)m;
    ingest_service *s = obj;
    if (s->spool_failed) return; /* the socket is going down; the broker will resend */
    if (spool_append(s->sp, wall_ms(), msg->topic, msg->payload, (size_t)msg->payloadlen) != 0) {
        spool_failure(s);
        return;
    }
    s->spooled_in_burst++;
}

static bool bytes_waiting(int fd) {
    int n = 0;
    return ioctl(fd, FIONREAD, &n) == 0 && n > 0;
}

static void *net_main(void *arg) {
    ingest_service *s = arg;
    struct mosquitto *m = s->mosq;
    bool connected = false;
    int backoff = BACKOFF_LO;
    int64_t next_try = 0;
    bool first = true;
    while (!atomic_load(&s->stop_net)) {
        if (!connected) {
            if (mono_ms() < next_try) {
                usleep(20000);
                continue;
            }
            int rc = first ? mosquitto_connect(m, s->host, s->opt.port, s->opt.keepalive_s)
                           : mosquitto_reconnect(m);
            if (rc != MOSQ_ERR_SUCCESS) {
                logf_(s, "cannot reach the broker at %s:%d (%s); retrying in %d ms", s->host,
                      s->opt.port, rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc),
                      backoff);
                next_try = mono_ms() + backoff;
                backoff = backoff * 2 > BACKOFF_HI ? BACKOFF_HI : backoff * 2;
                continue;
            }
            first = false;
            connected = true;
            s->spool_failed = false;
        }
        int fd = mosquitto_socket(m);
        bool hold = spool_backlog_bytes(s->sp) > s->opt.max_backlog_bytes;
        struct pollfd pf[2] = {
            {.fd = fd,
             .events = (short)((hold ? 0 : POLLIN) | (mosquitto_want_write(m) ? POLLOUT : 0))},
            {.fd = s->wake_fd, .events = POLLIN}};
        struct pollfd p;
        int rc = MOSQ_ERR_SUCCESS;
        /* A short wait, so a message another thread queued (an alarm) leaves soon. */
        /* Woken by the socket, or by another thread that queued a message. */
        if (fd < 0 || poll(pf, 2, 50) < 0) {
            if (errno != EINTR) rc = MOSQ_ERR_NO_CONN;
        }
        if (pf[1].revents & POLLIN) {
            uint64_t junk;
            if (read(s->wake_fd, &junk, sizeof junk) < 0) {
            }
        }
        p = pf[0];
        if (rc == MOSQ_ERR_SUCCESS && (p.revents & (POLLIN | POLLHUP | POLLERR))) {
            s->spooled_in_burst = 0;
            int k = 0;
            do {
                rc = mosquitto_loop_read(m, 1);
            } while (rc == MOSQ_ERR_SUCCESS && ++k < BURST_MAX && !s->spool_failed &&
                     bytes_waiting(fd));
            /* The burst goes to the spool file in one write, before any of
             * its PUBACKs can leave in the write phase below. */
            if (!s->spool_failed && s->spooled_in_burst) {
                pthread_mutex_lock(&s->mu);
                s->stats.spooled_messages += s->spooled_in_burst;
                pthread_mutex_unlock(&s->mu);
            }
            if (!s->spool_failed && s->spooled_in_burst && spool_flush(s->sp) != 0)
                spool_failure(s);
            if (s->spool_failed) {
                /* Never let the PUBACKs of this burst out. */
                shutdown(fd, SHUT_RDWR);
                rc = MOSQ_ERR_CONN_LOST;
            } else if (s->spooled_in_burst && s->opt.ack_after_fsync && spool_sync(s->sp) != 0) {
                logf_(s, "spool fdatasync failed (%s): dropping the connection", strerror(errno));
                shutdown(fd, SHUT_RDWR);
                rc = MOSQ_ERR_CONN_LOST;
            }
        }
        if (rc == MOSQ_ERR_SUCCESS && mosquitto_want_write(m)) rc = mosquitto_loop_write(m, 1);
        if (rc == MOSQ_ERR_SUCCESS) rc = mosquitto_loop_misc(m);
        if (rc != MOSQ_ERR_SUCCESS) {
            connected = false;
            pthread_mutex_lock(&s->mu);
            if (s->stats.connected) s->stats.connection_losses++;
            s->stats.connected = false;
            pthread_mutex_unlock(&s->mu);
            next_try = mono_ms() + backoff;
            backoff = backoff * 2 > BACKOFF_HI ? BACKOFF_HI : backoff * 2;
        } else if (connected) {
            backoff = BACKOFF_LO;
        }
    }
    if (connected) {
        mosquitto_disconnect(m);
        for (int i = 0; i < 20 && mosquitto_want_write(m); i++)
            if (mosquitto_loop_write(m, 1) != MOSQ_ERR_SUCCESS) break;
    }
    return NULL;
}

/* ---- ingest thread ---- */

static void *ingest_main(void *arg) {
    ingest_service *s = arg;
    char err[256];
    spool_pos done = {0, 0};
    bool have_done = false, failed = false;
    int64_t last_commit = mono_ms(), last_sync = last_commit, pending_since = 0;
    for (;;) {
        bool stopping = atomic_load(&s->stop_ingest);
        spool_record rec;
        int r = failed ? 0 : spool_read(s->sp, &rec, stopping ? 0 : 10);
        if (r < 0) {
            set_error(s, "spool read failed");
            failed = true;
        }
        if (r == 1) {
            if (ingest_message(s->pipe, rec.topic, rec.payload, rec.len, rec.recv_ms, wall_ms(),
                               err, sizeof err) < 0) {
                /* Nothing after this message is committed: it comes back
                 * from the spool at the next start. */
                set_error(s, err);
                logf_(s, "%s; ingest stops, the spool keeps the rest", err);
                failed = true;
            } else {
                done = rec.next;
                have_done = true;
            }
        }
        /* Store (and so evaluate alarms) when the spool is drained, when a
         * batch is big, or when the oldest waiting point has waited 2 ms: a
         * steady stream never drains, and an alarm must not wait for it. */
        size_t pending = ingest_pending_points(s->pipe);
        if (!pending)
            pending_since = 0;
        else if (!pending_since)
            pending_since = mono_ms();
        bool flush_now = pending >= FLUSH_MAX || r == 0 ||
                         (pending && mono_ms() - pending_since >= FLUSH_WAIT_MS);
        if (!failed && flush_now && ingest_pending_points(s->pipe)) {
            int64_t t0 = mono_ms();
            pending_since = 0;
            if (ingest_flush(s->pipe, err, sizeof err) != 0) {
                set_error(s, err);
                logf_(s, "%s; ingest stops, the spool keeps the rest", err);
                failed = true;
            }
            double ms = (double)(mono_ms() - t0);
            pthread_mutex_lock(&s->mu);
            s->stats.flush_ms_last = ms;
            if (ms > s->stats.flush_ms_max) s->stats.flush_ms_max = ms;
            pthread_mutex_unlock(&s->mu);
        }
        int64_t now = mono_ms();
        bool drained = r == 0 && stopping;
        if (!failed && have_done && !ingest_pending_points(s->pipe) &&
            (now - last_commit >= s->opt.sync_interval_ms || drained)) {
            /* Historian log on disk, then the checkpoint that lets the spool go. */
            hist_error he;
            if (hist_sync(s->pipe_opt.historian, &he) != HIST_OK) {
                set_error(s, he.msg);
                failed = true;
            } else if (spool_commit(s->sp, done) != 0) {
                logf_(s, "spool checkpoint failed: %s", strerror(errno));
            } else {
                ingest_mark_durable(s->pipe, wall_ms());
                have_done = false;
                pthread_mutex_lock(&s->mu);
                s->stats.commits++;
                pthread_mutex_unlock(&s->mu);
            }
            last_commit = now;
        }
        /* Without ack_after_fsync the spool is synced here, off the network
         * thread: a power loss costs at most this interval. */
        if (!s->opt.ack_after_fsync && now - last_sync >= s->opt.sync_interval_ms) {
            spool_sync(s->sp);
            last_sync = now;
        }
        if (drained || (failed && stopping)) break;
    }
    return NULL;
}

/* ---- start and stop ---- */

static char *dup_opt(const char *v, const char *dflt) {
    return v ? strdup(v) : dflt ? strdup(dflt) : NULL;
}

int ingest_service_start(const ingest_service_options *o, ingest_service **out, char *err,
                         size_t errcap) {
    *out = NULL;
    if (!o->spool_dir || !o->pipeline.historian) {
        snprintf(err, errcap, "ingest: spool_dir and historian are required");
        return -1;
    }
    ingest_service *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errcap, "ingest: out of memory");
        return -1;
    }
    pthread_mutex_init(&s->mu, NULL);
    s->wake_fd = -1;
    s->opt = *o;
    if (!s->opt.port) s->opt.port = 1883;
    if (!s->opt.keepalive_s) s->opt.keepalive_s = 30;
    if (!s->opt.sync_interval_ms) s->opt.sync_interval_ms = 50;
    if (!s->opt.max_backlog_bytes) s->opt.max_backlog_bytes = (size_t)256 << 20;
    s->spool_dir = strdup(o->spool_dir);
    s->host = dup_opt(o->host, "127.0.0.1");
    s->client_id = dup_opt(o->client_id, "parkd");
    s->username = dup_opt(o->username, NULL);
    s->password = dup_opt(o->password, NULL);
    s->cafile = dup_opt(o->cafile, NULL);
    s->certfile = dup_opt(o->certfile, NULL);
    s->keyfile = dup_opt(o->keyfile, NULL);
    s->pipe_opt = o->pipeline;
    if (!s->spool_dir || !s->host || !s->client_id) goto oom;
    s->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (s->wake_fd < 0) goto oom;
    if (spool_open(s->spool_dir, 0, &s->sp, err, errcap) != 0) goto fail;
    if (ingest_open(&s->pipe_opt, &s->pipe, err, errcap) != 0) goto fail;
    mosquitto_lib_init();
    s->mosq = mosquitto_new(s->client_id, false /* persistent session */, s);
    if (!s->mosq) goto oom;
    mosquitto_threaded_set(s->mosq, true);
    mosquitto_int_option(s->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
    mosquitto_connect_callback_set(s->mosq, on_connect);
    mosquitto_disconnect_callback_set(s->mosq, on_disconnect);
    mosquitto_message_callback_set(s->mosq, on_message);
    if (s->username && mosquitto_username_pw_set(s->mosq, s->username, s->password) != 0) {
        snprintf(err, errcap, "ingest: bad broker credentials");
        goto fail;
    }
    if (s->cafile) {
        int rc = mosquitto_tls_set(s->mosq, s->cafile, NULL, s->certfile, s->keyfile, NULL);
        if (rc != MOSQ_ERR_SUCCESS) {
            snprintf(err, errcap, "ingest: TLS setup: %s", mosquitto_strerror(rc));
            goto fail;
        }
    }
    /* Whatever a previous run spooled but did not store goes first. */
    if (pthread_create(&s->ingest_thread, NULL, ingest_main, s) != 0) goto oom;
    s->ingest_started = true;
    if (pthread_create(&s->net_thread, NULL, net_main, s) != 0) goto oom;
    s->net_started = true;
    *out = s;
    return 0;
oom:
    snprintf(err, errcap, "ingest: out of memory");
fail:
    ingest_service_free(s);
    return -1;
}

int ingest_service_stop(ingest_service *s) {
    if (!s) return 0;
    atomic_store(&s->stop_net, true);
    if (s->net_started) pthread_join(s->net_thread, NULL);
    s->net_started = false;
    atomic_store(&s->stop_ingest, true);
    if (s->sp) spool_wake(s->sp);
    if (s->ingest_started) pthread_join(s->ingest_thread, NULL);
    s->ingest_started = false;
    return s->stats.failed ? -1 : 0;
}

void ingest_service_free(ingest_service *s) {
    if (!s) return;
    ingest_service_stop(s);
    if (s->mosq) {
        mosquitto_destroy(s->mosq);
        mosquitto_lib_cleanup();
    }
    ingest_close(s->pipe);
    spool_close(s->sp);
    if (s->wake_fd >= 0) close(s->wake_fd);
    free(s->spool_dir);
    free(s->host);
    free(s->client_id);
    free(s->username);
    free(s->password);
    free(s->cafile);
    free(s->certfile);
    free(s->keyfile);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

void ingest_service_get_stats(ingest_service *s, ingest_service_stats *out) {
    pthread_mutex_lock(&s->mu);
    *out = s->stats;
    pthread_mutex_unlock(&s->mu);
    out->spool_backlog_bytes = spool_backlog_bytes(s->sp);
    out->spool_damaged = spool_damaged(s->sp);
}

ingest *ingest_service_pipeline(ingest_service *s) {
    return s->pipe;
}

int ingest_service_publish(ingest_service *s, const char *topic, const void *payload, size_t len) {
    if (len > INT32_MAX) return -1;
    int rc = mosquitto_publish(s->mosq, NULL, topic, (int)len, payload, 1, false);
    uint64_t one = 1; /* the network thread sends it now, not at its next wake-up */
    if (rc == MOSQ_ERR_SUCCESS && write(s->wake_fd, &one, sizeof one) < 0) {
    }
    return rc == MOSQ_ERR_SUCCESS ? 0 : -1;
}
