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
 *
 * Submitted messages (ingest_service_submit, for HTTP) take the same road.
 * Why hand them to the network thread through a queue and the eventfd
 * rather than let each caller append to the spool under a mutex: the spool
 * has one appender by design (its pending batch and its fdatasync
 * bookkeeping are unlocked), and the MQTT hot path would otherwise take a
 * lock per message and could wait behind an HTTP caller's write and
 * fdatasync before its PUBACKs leave. With the queue the network thread
 * pays one atomic load per loop turn when nothing is submitted; when
 * something is, it spools the whole queue with one write (and one
 * fdatasync under ack_after_fsync) after the burst's PUBACKs are out, so a
 * crowd of HTTP callers costs it one short step, not one per caller.
 *
 * Attribution: a submitted record's topic carries a marker (internal.h)
 * naming this run and the request. The ingest thread strips it, runs the
 * message through the pipeline like any other, reads the message's outcome
 * (ingest_last_result) and completes the request: at once when nothing was
 * accepted, else at the next commit, after hist_sync. MQTT records cost the
 * ingest thread one byte compare. A marked record replayed from an earlier
 * run matches no request and is simply stored.
 */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <mosquitto.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/mqttio.h"
#include "historian/historian.h"
#include "ingest/internal.h"

#define BURST_MAX       1024  /* packets read before the write phase */
#define FLUSH_MAX       50000 /* points queued before the historian gets them */
#define FLUSH_WAIT_MS   2     /* a message waits this long for company before it is stored, */
#define FLUSH_BEHIND_MS 1000  /* or while ingest is behind, as long as storing took, up to this */
#define BACKOFF_LO      250
#define BACKOFF_HI      30000
#define RETRY_LO_MS     100 /* a refused write to the historian or journal, tried again */
#define RETRY_HI_MS     2000

/* A submitted message, from ingest_service_submit until its caller has
 * its answer. Lives in ingest_service.subs while not DONE; freed when the
 * last of its holders (the caller, the list, the network thread's batch)
 * lets go. Everything here but the text is guarded by sub_mu. */
typedef enum {
    SUB_QUEUED,    /* waiting for the network thread */
    SUB_TAKEN,     /* the network thread is spooling it */
    SUB_SPOOLED,   /* in the spool file */
    SUB_PROCESSED, /* through the pipeline, its points waiting for the commit */
    SUB_DONE
} sub_state;

typedef struct submit_req {
    struct submit_req *prev, *next; /* in subs while not DONE */
    struct submit_req *batch_next;  /* the network thread's batch */
    sub_state state;
    int refs;
    int append_errno; /* network thread only: spool_append refused it */
    uint64_t seq;
    pthread_cond_t cv;
    int rc;
    ingest_submit_result res;
    char err[256];
    const char *topic; /* marked topic, NUL-terminated; payload follows it */
    const void *payload;
    size_t len;
} submit_req;

/*
 * The ingest thread is a state machine (ingest_main). Allowed transitions:
 *
 *   RUNNING    -> COMMITTING, BLOCKED, DRAINING, FAILED
 *   RETRYING   -> COMMITTING, BLOCKED, RUNNING, FAILED
 *   DRAINING   -> COMMITTING, BLOCKED, FAILED, STOPPED
 *   COMMITTING -> BLOCKED, or back to the state it came from
 *   BLOCKED    -> RETRYING, STOPPED
 *   FAILED     -> STOPPED
 *
 * A write the historian or the alarm journal refuses (disk full, I/O
 * error) holds ingest rather than ending it (BLOCKED): the message, batch
 * or commit is tried again after a backoff (RETRYING), nothing after it is
 * read meanwhile, and the spool keeps all of it (a restart would replay it
 * too). A stop while BLOCKED leaves what is not stored in the spool.
 */
typedef enum ingest_state {
    ING_RUNNING,    /* reading the spool, storing in rounds, committing every sync_interval_ms */
    ING_COMMITTING, /* hist_sync, then the spool checkpoint */
    ING_BLOCKED,    /* storage refused a write: the backoff runs, nothing is read */
    ING_RETRYING,   /* one round: the refused message, batch or commit again, committed at once */
    ING_DRAINING,   /* stop asked: the spool read to its end without waiting, then committed */
    ING_FAILED,     /* the spool cannot be read: nothing more is stored; waits for stop */
    ING_STOPPED,    /* the thread's loop is over */
    ING_STATE_COUNT
} ingest_state;

struct ingest_service {
    ingest_service_options opt;
    char *spool_dir, *host, *client_id, *username, *password, *cafile, *certfile, *keyfile;
    char where[320]; /* the broker, for the log: "host:port" or "socket PATH" */
    ingest_options pipe_opt;
    ingest *pipe;
    spool *sp;
    struct mosquitto *mosq;
    pthread_t net_thread, ingest_thread;
    bool net_started, ingest_started;
    atomic_bool stop_net, stop_ingest;
    int wake_fd;            /* eventfd: wakes the network thread for a queued message */
    ingest_state ing_state; /* the ingest thread's own (ing_to) */
    /* set by on_message when the spool refused a message */
    bool spool_failed;
    size_t spooled_in_burst;
    bool connack_ok; /* network thread: the broker accepted this connection */
    /* Network thread: the broker closed a connection it had accepted (not
     * we, not the keepalive); when, and the time before. See on_connect. */
    bool dropped;
    int64_t drop_ms, prev_drop_ms;

    /* ingest_service_submit: every request not DONE, in submission order */
    pthread_mutex_t sub_mu; /* guards the fields below up to mu */
    submit_req *sub_head, *sub_tail;
    atomic_uint sub_queued; /* QUEUED requests: what the network thread checks */
    uint64_t sub_run, sub_seq;
    bool sub_closed;       /* stop has begun: no new requests */
    char sub_failed[256];  /* set once ingest failed: requests fail at once */
    char sub_blocked[256]; /* set while storage refuses writes: new requests wait outside */
    uint64_t sub_callers;  /* calls inside ingest_service_submit */
    pthread_cond_t sub_idle;

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

/* ---- submitted messages: shared by the three threads ---- */

/* Caller holds sub_mu. */
static void sub_unref(submit_req *r) {
    if (--r->refs > 0) return;
    pthread_cond_destroy(&r->cv);
    free(r);
}

/* Caller holds sub_mu. Answers the request (once) and drops the list's hold. */
static void sub_finish(ingest_service *s, submit_req *r, int rc, const char *fmt, ...) {
    if (r->state == SUB_DONE) return;
    if (r->state == SUB_QUEUED && atomic_load(&s->sub_queued)) atomic_fetch_sub(&s->sub_queued, 1);
    r->state = SUB_DONE;
    r->rc = rc;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->err, sizeof r->err, fmt, ap);
        va_end(ap);
    }
    if (r->prev)
        r->prev->next = r->next;
    else
        s->sub_head = r->next;
    if (r->next)
        r->next->prev = r->prev;
    else
        s->sub_tail = r->prev;
    r->prev = r->next = NULL;
    pthread_cond_signal(&r->cv);
    sub_unref(r);
}

/* Caller holds sub_mu. Fails every open request: ingest failed or stopped. */
static void sub_fail_all(ingest_service *s, const char *why) {
    while (s->sub_head) {
        submit_req *r = s->sub_head;
        if (r->state == SUB_QUEUED)
            sub_finish(s, r, -1, "%s; the message was not stored", why);
        else if (r->state == SUB_TAKEN)
            sub_finish(s, r, -1, "%s; the message may be stored at the next start", why);
        else
            sub_finish(s, r, -1, "%s; the message is in the spool and is stored at the next start",
                       why);
    }
}

/* Network thread: spools the submitted messages waiting for it, exactly
 * like a burst of MQTT messages (append, one write, one fdatasync under
 * ack_after_fsync). Runs after the burst's PUBACKs have left. */
static void spool_submissions(ingest_service *s) {
    if (!atomic_load_explicit(&s->sub_queued, memory_order_acquire)) return;
    submit_req *batch = NULL, **tail = &batch;
    pthread_mutex_lock(&s->sub_mu);
    for (submit_req *r = s->sub_head; r; r = r->next)
        if (r->state == SUB_QUEUED) {
            r->state = SUB_TAKEN;
            r->refs++; /* the batch's hold: r stays valid while we read it */
            r->batch_next = NULL;
            *tail = r;
            tail = &r->batch_next;
        }
    atomic_store(&s->sub_queued, 0);
    pthread_mutex_unlock(&s->sub_mu);
    if (!batch) return;
    /* The text is read outside the lock: only this thread touches it now. */
    size_t appended = 0;
    int64_t now = wall_ms();
    for (submit_req *r = batch; r; r = r->batch_next) {
        r->append_errno = 0;
        if (spool_append(s->sp, now, r->topic, r->payload, r->len) != 0)
            r->append_errno = errno ? errno : ENOMEM;
        else
            appended++;
    }
    int werr = 0, serr = 0;
    if (appended && spool_flush(s->sp) != 0)
        werr = errno;
    else if (appended && s->opt.ack_after_fsync && spool_sync(s->sp) != 0)
        serr = errno;
    pthread_mutex_lock(&s->mu);
    if (!werr) s->stats.spooled_messages += appended;
    if (werr || serr) s->stats.spool_errors++;
    pthread_mutex_unlock(&s->mu);
    if (werr || serr)
        logf_(s, "spool %s failed for submitted messages: %s", werr ? "write" : "fdatasync",
              strerror(werr ? werr : serr));
    pthread_mutex_lock(&s->sub_mu);
    while (batch) {
        submit_req *r = batch;
        batch = r->batch_next;
        if (r->append_errno)
            sub_finish(s, r, -1, "spool: the message cannot be spooled (%s); it was not stored",
                       strerror(r->append_errno));
        else if (werr)
            sub_finish(s, r, -1, "spool: writing the spool failed (%s); it was not stored",
                       strerror(werr));
        else if (serr && r->state == SUB_TAKEN)
            sub_finish(s, r, -1,
                       "spool: fdatasync of the spool failed (%s); the message may still be "
                       "stored",
                       strerror(serr));
        else if (r->state == SUB_TAKEN) /* the ingest thread may have got to it already */
            r->state = SUB_SPOOLED;
        sub_unref(r);
    }
    pthread_mutex_unlock(&s->sub_mu);
}

/* The marker of a submitted record: run and request, or false. */
static bool parse_mark(const spool_record *rec, uint64_t *run, uint64_t *seq) {
    const char *t = rec->topic;
    if (rec->topic_len < SUBMIT_MARK_LEN || t[SUBMIT_MARK_LEN - 1] != '#') return false;
    uint64_t v[2] = {0, 0};
    for (int k = 0; k < 32; k++) {
        char c = t[1 + k];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0) return false;
        v[k / 16] = v[k / 16] << 4 | (uint64_t)d;
    }
    *run = v[0];
    *seq = v[1];
    return true;
}

/* Ingest thread: the pipeline has handled request seq. Returns true when
 * it now waits for the commit. */
static bool submission_handled(ingest_service *s, uint64_t seq) {
    ingest_submit_result res;
    ingest_last_result(s->pipe, &res);
    bool waits = false;
    pthread_mutex_lock(&s->sub_mu);
    for (submit_req *r = s->sub_head; r; r = r->next)
        if (r->seq == seq) {
            if (r->state == SUB_TAKEN || r->state == SUB_SPOOLED) {
                r->res = res;
                if (res.readings_accepted) /* durable at the next commit */
                    r->state = SUB_PROCESSED, waits = true;
                else
                    sub_finish(s, r, 0, NULL);
            }
            break;
        }
    pthread_mutex_unlock(&s->sub_mu);
    return waits;
}

/* Ingest thread: hist_sync succeeded; every handled request is durable. */
static void submissions_durable(ingest_service *s) {
    pthread_mutex_lock(&s->sub_mu);
    for (submit_req *r = s->sub_head, *next; r; r = next) {
        next = r->next;
        if (r->state == SUB_PROCESSED) sub_finish(s, r, 0, NULL);
    }
    pthread_mutex_unlock(&s->sub_mu);
}

/* Ingest thread: ingest stopped on an error; nothing will be handled now. */
static void submissions_failed(ingest_service *s, const char *why) {
    pthread_mutex_lock(&s->sub_mu);
    snprintf(s->sub_failed, sizeof s->sub_failed, "%s", why);
    char msg[300];
    snprintf(msg, sizeof msg, "failed: ingest stopped: %s", why);
    sub_fail_all(s, msg);
    pthread_mutex_unlock(&s->sub_mu);
}

/* ---- network thread ---- */

/* MQTT 3.1.1 has no reason for a dropped connection. The broker drops a
 * session when another client connects with its client id; our reconnect
 * then finds the session gone (the intruder's clean session discarded it),
 * or, against an intruder that keeps the session and reconnects itself,
 * the broker drops us again and again. A broker restart makes the first
 * reconnect fail, and keeps the session when it persists sessions. */
static void check_takeover(ingest_service *s, int flags) {
    bool gone = !(flags & 1), again = s->prev_drop_ms && s->drop_ms - s->prev_drop_ms < 60000;
    s->dropped = false;
    if (!gone && !again) return;
    pthread_mutex_lock(&s->mu);
    s->stats.session_takeovers++;
    pthread_mutex_unlock(&s->mu);
    logf_(s,
          "warning: session takeover? the broker at %s dropped client id %s%s%s while it was up, "
          "and %s: another client connected with this id (where the broker ties ids to logins, "
          "use_username_as_clientid, one with these credentials); readings published meanwhile "
          "may be lost",
          s->where, s->client_id, s->username ? " of user " : "", s->username ? s->username : "",
          gone ? "the reconnect found the session gone" : "did so twice within a minute");
}

static void on_connect(struct mosquitto *m, void *obj, int rc, int flags) {
    ingest_service *s = obj;
    if (rc != 0) {
        s->dropped = false;
        /* Wrong credentials, or a user the broker does not know: said once a
         * try, and tried again with backoff (up to 30 s). */
        logf_(s, "broker %s refused the connection%s%s: %s", s->where,
              s->username ? " as user " : " (no username)", s->username ? s->username : "",
              mosquitto_connack_string(rc));
        return;
    }
    s->connack_ok = true;
    if (s->dropped) check_takeover(s, flags);
    char *subs[] = {"park/+/+/data", "park/+/+/status"};
    int src = mosquitto_subscribe_multiple(m, NULL, 2, subs, 1, 0, NULL);
    if (src != MOSQ_ERR_SUCCESS) logf_(s, "subscribe failed: %s", mosquitto_strerror(src));
    pthread_mutex_lock(&s->mu);
    s->stats.connected = true;
    s->stats.connects++;
    pthread_mutex_unlock(&s->mu);
    logf_(s, "connected to %s as %s", s->where, s->client_id);
}

/* libmosquitto's errors: why a TLS handshake failed (OpenSSL's reason). */
static void on_log(struct mosquitto *m, void *obj, int level, const char *str) {
    (void)m;
    if (level & MOSQ_LOG_ERR) logf_(obj, "%s", str);
}

static void on_disconnect(struct mosquitto *m, void *obj, int rc) {
    (void)m;
    ingest_service *s = obj;
    pthread_mutex_lock(&s->mu);
    bool was = s->stats.connected;
    s->stats.connected = false;
    if (was && rc != 0) s->stats.connection_losses++;
    pthread_mutex_unlock(&s->mu);
    /* A refused CONNECT was said in on_connect and is said again in net_main. */
    if (rc != 0 && s->connack_ok) logf_(s, "connection lost: %s", mosquitto_strerror(rc));
}

/* The spool could not take a message: the burst's PUBACKs must not leave. */
static void spool_failure(ingest_service *s) {
    int e = errno;
    s->spool_failed = true;
    pthread_mutex_lock(&s->mu);
    s->stats.spool_errors++;
    bool first = !s->stats.spool_blocked;
    if (first) s->stats.spool_blocked_since_ms = wall_ms();
    s->stats.spool_blocked = true;
    snprintf(s->stats.spool_error, sizeof s->stats.spool_error, "spool write failed: %s",
             strerror(e));
    pthread_mutex_unlock(&s->mu);
    /* Said once per episode: the reconnects that follow meet the same disk. */
    if (first)
        logf_(s,
              "spool write failed (%s): no acknowledgements now; the broker keeps the messages "
              "and resends them; retrying",
              strerror(e));
}

/* Network thread: a burst went to the spool whole. */
static void spool_ok(ingest_service *s) {
    pthread_mutex_lock(&s->mu);
    bool was = s->stats.spool_blocked;
    s->stats.spool_blocked = false;
    s->stats.spool_error[0] = 0;
    pthread_mutex_unlock(&s->mu);
    if (was) logf_(s, "the spool takes writes again: acknowledging");
}

/* Ingest thread: the historian or the alarm journal refused a write. */
static void store_blocked(ingest_service *s, const char *why) {
    pthread_mutex_lock(&s->mu);
    bool first = !s->stats.store_blocked;
    if (first) s->stats.store_blocked_since_ms = wall_ms();
    s->stats.store_blocked = true;
    s->stats.store_retries += !first;
    snprintf(s->stats.store_error, sizeof s->stats.store_error, "%s", why);
    pthread_mutex_unlock(&s->mu);
    pthread_mutex_lock(&s->sub_mu);
    snprintf(s->sub_blocked, sizeof s->sub_blocked, "%s", why);
    pthread_mutex_unlock(&s->sub_mu);
    if (first) logf_(s, "%s; ingest holds (the spool keeps everything) and retries", why);
}

static void store_unblocked(ingest_service *s) {
    pthread_mutex_lock(&s->mu);
    s->stats.store_blocked = false;
    s->stats.store_error[0] = 0;
    pthread_mutex_unlock(&s->mu);
    pthread_mutex_lock(&s->sub_mu);
    s->sub_blocked[0] = 0;
    pthread_mutex_unlock(&s->sub_mu);
    logf_(s, "storage takes writes again: ingest resumes");
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
                /* Submitted messages do not need the broker. */
                struct pollfd w = {.fd = s->wake_fd, .events = POLLIN};
                uint64_t junk;
                if (poll(&w, 1, 20) > 0 && read(s->wake_fd, &junk, sizeof junk) < 0) {
                }
                spool_submissions(s);
                continue;
            }
            int rc = first ? mosquitto_connect(m, s->host, s->opt.port, s->opt.keepalive_s)
                           : mosquitto_reconnect(m);
            if (rc != MOSQ_ERR_SUCCESS) {
                s->dropped = false; /* the broker is down: no takeover */
                logf_(s, "cannot reach the broker at %s (%s); retrying in %d ms", s->where,
                      rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc), backoff);
                next_try = mono_ms() + backoff;
                backoff = backoff * 2 > BACKOFF_HI ? BACKOFF_HI : backoff * 2;
                continue;
            }
            first = false;
            connected = true;
            s->spool_failed = false;
            s->connack_ok = false;
        }
        int fd = mosquitto_socket(m);
        bool hold = spool_backlog_bytes(s->sp) > s->opt.max_backlog_bytes;
        struct pollfd pf[2] = {
            {.fd = fd,
             .events = (short)((hold ? 0 : POLLIN) | (mosquitto_want_write(m) ? POLLOUT : 0))},
            {.fd = s->wake_fd, .events = POLLIN}};
        struct pollfd p;
        int rc = MOSQ_ERR_SUCCESS;
        bool self_drop = false; /* we shut the socket down */
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
                     mqttio_bytes_waiting(fd));
            /* The burst goes to the spool file in one write, before any of
             * its PUBACKs can leave in the write phase below. */
            if (!s->spool_failed && s->spooled_in_burst) {
                pthread_mutex_lock(&s->mu);
                s->stats.spooled_messages += s->spooled_in_burst;
                pthread_mutex_unlock(&s->mu);
            }
            if (!s->spool_failed && s->spooled_in_burst) {
                if (spool_flush(s->sp) != 0)
                    spool_failure(s);
                else if (s->stats.spool_blocked) /* only this thread sets it */
                    spool_ok(s);
            }
            if (s->spool_failed) {
                /* Never let the PUBACKs of this burst out. */
                shutdown(fd, SHUT_RDWR);
                rc = MOSQ_ERR_CONN_LOST, self_drop = true;
            } else if (s->spooled_in_burst && s->opt.ack_after_fsync && spool_sync(s->sp) != 0) {
                logf_(s, "spool fdatasync failed (%s): dropping the connection", strerror(errno));
                shutdown(fd, SHUT_RDWR);
                rc = MOSQ_ERR_CONN_LOST, self_drop = true;
            }
        }
        if (rc == MOSQ_ERR_SUCCESS && mosquitto_want_write(m))
            rc = s->opt.port ? mqttio_write_corked(m, fd) : mosquitto_loop_write(m, 1);
        if (rc == MOSQ_ERR_SUCCESS) rc = mosquitto_loop_misc(m);
        /* After the burst's PUBACKs: they never wait for an HTTP caller. */
        spool_submissions(s);
        if (rc != MOSQ_ERR_SUCCESS) {
            connected = false;
            s->dropped = s->connack_ok && rc == MOSQ_ERR_CONN_LOST && !self_drop;
            if (s->dropped) s->prev_drop_ms = s->drop_ms, s->drop_ms = mono_ms();
            pthread_mutex_lock(&s->mu);
            if (s->stats.connected) s->stats.connection_losses++;
            s->stats.connected = false;
            pthread_mutex_unlock(&s->mu);
            if (!s->connack_ok) /* refused, or the TLS handshake failed (said above) */
                logf_(s, "no connection to the broker at %s; retrying in %d ms", s->where, backoff);
            next_try = mono_ms() + backoff;
            backoff = backoff * 2 > BACKOFF_HI ? BACKOFF_HI : backoff * 2;
        } else if (connected && s->connack_ok) {
            /* Only once the broker accepted us: a refused CONNECT (bad
             * password) is retried with growing backoff, not every 250 ms. */
            backoff = BACKOFF_LO;
        }
    }
    /* Whatever was submitted before stop began goes to the spool, and so
     * through the ingest thread's last round. */
    spool_submissions(s);
    if (connected) {
        mosquitto_disconnect(m);
        for (int i = 0; i < 20 && mosquitto_want_write(m); i++)
            if (mosquitto_loop_write(m, 1) != MOSQ_ERR_SUCCESS) break;
    }
    return NULL;
}

/* ---- ingest thread ---- */

#define ING_BIT(st)        (1u << (st))
#define ING_IN(st, mask)   ((ING_BIT(st) & (mask)) != 0)
#define ING_READING_STATES (ING_BIT(ING_RUNNING) | ING_BIT(ING_RETRYING) | ING_BIT(ING_DRAINING))

static const char *const ing_state_names[ING_STATE_COUNT] = {
    "RUNNING", "COMMITTING", "BLOCKED", "RETRYING", "DRAINING", "FAILED", "STOPPED"};

static const unsigned ing_allowed[ING_STATE_COUNT] = {
    [ING_RUNNING] = ING_BIT(ING_COMMITTING) | ING_BIT(ING_BLOCKED) | ING_BIT(ING_DRAINING) |
                    ING_BIT(ING_FAILED),
    [ING_RETRYING] =
        ING_BIT(ING_COMMITTING) | ING_BIT(ING_BLOCKED) | ING_BIT(ING_RUNNING) | ING_BIT(ING_FAILED),
    [ING_DRAINING] =
        ING_BIT(ING_COMMITTING) | ING_BIT(ING_BLOCKED) | ING_BIT(ING_FAILED) | ING_BIT(ING_STOPPED),
    [ING_COMMITTING] =
        ING_BIT(ING_BLOCKED) | ING_BIT(ING_RUNNING) | ING_BIT(ING_RETRYING) | ING_BIT(ING_DRAINING),
    [ING_BLOCKED] = ING_BIT(ING_RETRYING) | ING_BIT(ING_STOPPED),
    [ING_FAILED] = ING_BIT(ING_STOPPED),
    [ING_STOPPED] = 0,
};

/* The one way the ingest thread changes state: checked against the table
 * (an assertion; a release build logs a transition it should never make),
 * and logged at log_level 2. */
static void ing_to(ingest_service *s, ingest_state to) {
    ingest_state from = s->ing_state;
    bool ok = ING_IN(to, ing_allowed[from]);
    assert(ok);
    if (!ok)
        logf_(s, "internal error: ingest thread state %s -> %s is not allowed",
              ing_state_names[from], ing_state_names[to]);
    else if (s->opt.log_level >= 2)
        logf_(s, "ingest thread: %s -> %s", ing_state_names[from], ing_state_names[to]);
    s->ing_state = to;
}

#ifndef NDEBUG
/* Debug builds: the ingest thread is in one of the states of mask (as
 * SQLite's assert_pager_state). */
static int ing_state_is(const ingest_service *s, unsigned mask) {
    assert(ING_IN(s->ing_state, mask));
    return 1;
}
#endif

static void *ingest_main(void *arg) {
    ingest_service *s = arg;
    char err[256];
    spool_pos done = {0, 0};
    bool have_done = false;          /* done is a position to commit */
    bool holding = false;            /* held is the refused message, read again first */
    bool checkpoint_failing = false; /* said once */
    spool_record held = {0};
    int64_t retry_at = 0;
    int retry_ms = RETRY_LO_MS;
    size_t awaiting_commit = 0; /* submitted messages handled since the last commit */
    int64_t last_commit = mono_ms(), last_sync = last_commit;
    int64_t round_since = 0; /* when the first message since the last round was read */
    int64_t store_ms = 0;    /* how long the last round (flush, commit, sync) took */
    s->ing_state = ING_RUNNING;
#define BLOCK(why)                                                                                 \
    do {                                                                                           \
        store_blocked(s, why);                                                                     \
        ing_to(s, ING_BLOCKED);                                                                    \
        retry_at = mono_ms() + retry_ms;                                                           \
        retry_ms = retry_ms * 2 > RETRY_HI_MS ? RETRY_HI_MS : retry_ms * 2;                        \
    } while (0)
    for (;;) {
        bool stop = atomic_load(&s->stop_ingest); /* an input, read once a turn */
        if (stop && s->ing_state == ING_RUNNING) ing_to(s, ING_DRAINING);
        if (s->ing_state == ING_BLOCKED) {
            if (stop) { /* what is not stored stays in the spool */
                ing_to(s, ING_STOPPED);
                break;
            }
            if (mono_ms() < retry_at) {
                struct timespec nap = {0, 20 * 1000000L};
                nanosleep(&nap, NULL);
                continue;
            }
            ing_to(s, ING_RETRYING);
        }
        spool_record rec;
        int r = 0;
        if (holding) {
            assert(ing_state_is(s, ING_BIT(ING_RETRYING))); /* only after the backoff */
            rec = held; /* still valid: the spool was not read since */
            r = 1;
            holding = false;
        } else if (s->ing_state != ING_FAILED) {
            assert(ing_state_is(s, ING_READING_STATES));
            r = spool_read(s->sp, &rec, s->ing_state == ING_DRAINING ? 0 : 10);
        }
        if (r < 0) {
            set_error(s, "spool read failed");
            submissions_failed(s, "spool read failed");
            bool was_retrying = s->ing_state == ING_RETRYING;
            ing_to(s, ING_FAILED);
            if (was_retrying) store_unblocked(s); /* the retry's end, as when it succeeds */
        }
        if (r == 1) {
            const char *topic = rec.topic;
            uint64_t run = 0, seq = 0;
            bool marked = topic[0] == '#' && parse_mark(&rec, &run, &seq);
            if (marked) topic += SUBMIT_MARK_LEN;
            if (ingest_message(s->pipe, topic, rec.payload, rec.len, rec.recv_ms, wall_ms(), err,
                               sizeof err) < 0) {
                held = rec;
                holding = true;
                BLOCK(err);
                continue;
            }
            done = rec.next;
            have_done = true;
            if (marked && run == s->sub_run && submission_handled(s, seq)) awaiting_commit++;
        }
        /* Storing goes in rounds: the batch to the historian, then (every
         * sync_interval_ms) the commit and the spool's sync. A round comes
         * when the spool is drained, when the batch is big, or once the
         * first message read since the last round has waited 2 ms (a
         * steady stream never drains) and the spool is read to its end;
         * while ingest is behind (the spool holds more), once that message
         * has waited as long as the last round took (up to 1 s). Never
         * after each message: on a slow disk (a 200 ms fdatasync) a commit
         * or a sync costs hundreds of ms whatever it carries, and one due
         * after every message read left ingest a message or two a second,
         * ever further behind the stream, and the alarms (evaluated as
         * messages are read) with it. A retry is a round of its own; so is
         * a failed read. */
        int64_t t0 = mono_ms();
        if (r == 1 && !round_since) round_since = t0;
        int64_t waited = round_since ? t0 - round_since : 0;
        bool round =
            r <= 0 || s->ing_state == ING_RETRYING || ingest_pending_points(s->pipe) >= FLUSH_MAX ||
            (waited >= FLUSH_WAIT_MS && (waited >= store_ms || spool_backlog_bytes(s->sp) == 0));
        if (!round) continue;
        round_since = 0;
        if (s->ing_state != ING_FAILED && ingest_pending_points(s->pipe)) {
            assert(ing_state_is(s, ING_READING_STATES));
            if (ingest_flush(s->pipe, err, sizeof err) != 0) {
                BLOCK(err); /* the batch stays queued in the pipeline */
                continue;
            }
            double ms = (double)(mono_ms() - t0);
            pthread_mutex_lock(&s->mu);
            s->stats.flush_ms_last = ms;
            if (ms > s->stats.flush_ms_max) s->stats.flush_ms_max = ms;
            pthread_mutex_unlock(&s->mu);
        }
        int64_t now = mono_ms();
        bool drained = r == 0 && s->ing_state == ING_DRAINING; /* the last round */
        if (s->ing_state != ING_FAILED && have_done && !ingest_pending_points(s->pipe) &&
            (now - last_commit >= s->opt.sync_interval_ms || drained ||
             s->ing_state == ING_RETRYING)) {
            ingest_state resume = s->ing_state;
            ing_to(s, ING_COMMITTING);
            /* Historian log on disk, then the checkpoint that lets the spool go. */
            hist_error he;
            if (hist_sync(s->pipe_opt.historian, &he) != HIST_OK) {
                BLOCK(he.msg);
                continue;
            }
            /* Durable in the historian: the callers waiting for it may go,
             * whatever becomes of the checkpoint (the spool would only
             * replay what is already stored). */
            assert(ing_state_is(s, ING_BIT(ING_COMMITTING)));
            if (awaiting_commit) submissions_durable(s);
            awaiting_commit = 0;
            if (spool_commit(s->sp, done) != 0) {
                /* Harmless while it lasts (the spool keeps more to replay),
                 * so said once, not every commit. */
                if (!checkpoint_failing)
                    logf_(s, "spool checkpoint failed: %s (said once)", strerror(errno));
                checkpoint_failing = true;
            } else {
                if (checkpoint_failing) logf_(s, "spool checkpoint written again");
                checkpoint_failing = false;
                ingest_mark_durable(s->pipe, wall_ms());
                have_done = false;
                pthread_mutex_lock(&s->mu);
                s->stats.commits++;
                pthread_mutex_unlock(&s->mu);
            }
            last_commit = mono_ms(); /* counted from its end, as the sync's */
            ing_to(s, resume);
        }
        if (s->ing_state == ING_RETRYING) { /* everything that waited went through */
            ing_to(s, ING_RUNNING);
            retry_ms = RETRY_LO_MS;
            store_unblocked(s);
        }
        /* Without ack_after_fsync the spool is synced here, off the network
         * thread: a power loss costs at most this interval (and a sync).
         * Counted from the end of the sync, as the commit's: from their
         * start, a sync slower than the interval (a slow disk) would be
         * due again at once, at every round. */
        if (!s->opt.ack_after_fsync && now - last_sync >= s->opt.sync_interval_ms) {
            spool_sync(s->sp);
            last_sync = mono_ms();
        }
        int64_t took = mono_ms() - t0; /* the next round reads at least as long */
        store_ms = took < FLUSH_BEHIND_MS ? took : FLUSH_BEHIND_MS;
        if (drained || (s->ing_state == ING_FAILED && stop)) {
            ing_to(s, ING_STOPPED);
            break;
        }
    }
#undef BLOCK
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
    pthread_mutex_init(&s->sub_mu, NULL);
    pthread_cond_init(&s->sub_idle, NULL);
    atomic_init(&s->sub_queued, 0);
    /* Tells this run's submitted records from those an earlier run left in
     * the spool: the clock in ns, mixed with the address of s. */
    {
        struct timespec t;
        clock_gettime(CLOCK_REALTIME, &t);
        s->sub_run = ((uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec) ^
                     ((uint64_t)(uintptr_t)s << 16);
    }
    s->wake_fd = -1;
    s->opt = *o;
    /* libmosquitto takes port 0 as "host is a unix socket path". */
    if (o->host && o->host[0] == '/')
        s->opt.port = 0;
    else if (!s->opt.port)
        s->opt.port = 1883;
    if (!s->opt.keepalive_s) s->opt.keepalive_s = 30;
    if (!s->opt.sync_interval_ms) s->opt.sync_interval_ms = 50;
    if (!s->opt.max_backlog_bytes) s->opt.max_backlog_bytes = (size_t)256 << 20;
    s->spool_dir = strdup(o->spool_dir);
    s->host = dup_opt(o->host, "127.0.0.1");
    if (s->host && s->opt.port)
        snprintf(s->where, sizeof s->where, "%s:%d", s->host, s->opt.port);
    else if (s->host)
        snprintf(s->where, sizeof s->where, "socket %s", s->host);
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
    /* No Nagle: an alarm notification or a PUBACK must not wait for the
     * acknowledgement of the previous segment (up to 40 ms of delayed ACK). */
    mosquitto_int_option(s->mosq, MOSQ_OPT_TCP_NODELAY, 1);
    mosquitto_connect_with_flags_callback_set(s->mosq, on_connect);
    mosquitto_disconnect_callback_set(s->mosq, on_disconnect);
    mosquitto_message_callback_set(s->mosq, on_message);
    mosquitto_log_callback_set(s->mosq, on_log);
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
    pthread_mutex_lock(&s->sub_mu);
    s->sub_closed = true; /* new submissions are refused from here on */
    pthread_mutex_unlock(&s->sub_mu);
    atomic_store(&s->stop_net, true);
    if (s->net_started) pthread_join(s->net_thread, NULL);
    s->net_started = false;
    atomic_store(&s->stop_ingest, true);
    if (s->sp) spool_wake(s->sp);
    if (s->ingest_started) pthread_join(s->ingest_thread, NULL);
    s->ingest_started = false;
    /* Normally the last round answered everything; after a failure (or a
     * start that never got its threads going) the rest is answered here. */
    pthread_mutex_lock(&s->sub_mu);
    sub_fail_all(s, s->sub_failed[0] ? "failed: ingest stopped" : "stopping: the service stopped");
    pthread_mutex_unlock(&s->sub_mu);
    return s->stats.failed ? -1 : 0;
}

void ingest_service_free(ingest_service *s) {
    if (!s) return;
    ingest_service_stop(s);
    /* Callers answered by stop may still be on their way out. */
    pthread_mutex_lock(&s->sub_mu);
    while (s->sub_callers) pthread_cond_wait(&s->sub_idle, &s->sub_mu);
    pthread_mutex_unlock(&s->sub_mu);
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
    pthread_mutex_destroy(&s->sub_mu);
    pthread_cond_destroy(&s->sub_idle);
    free(s);
}

void ingest_service_get_stats(ingest_service *s, ingest_service_stats *out) {
    pthread_mutex_lock(&s->mu);
    *out = s->stats;
    pthread_mutex_unlock(&s->mu);
    out->spool_backlog_bytes = spool_backlog_bytes(s->sp);
    out->spool_damaged = spool_damaged(s->sp);
    pthread_mutex_lock(&s->sub_mu);
    out->submits_waiting = s->sub_callers;
    pthread_mutex_unlock(&s->sub_mu);
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

/* ---- ingest_service_submit ---- */

static void submit_leave(ingest_service *s, int rc) {
    pthread_mutex_lock(&s->mu);
    if (rc == 0)
        s->stats.submitted++;
    else
        s->stats.submit_failures++;
    pthread_mutex_unlock(&s->mu);
    pthread_mutex_lock(&s->sub_mu);
    if (--s->sub_callers == 0) pthread_cond_broadcast(&s->sub_idle);
    pthread_mutex_unlock(&s->sub_mu);
}

/* Caller holds sub_mu. Why a new request cannot be taken now, or NULL. */
static bool submit_refused(ingest_service *s, char *err, size_t errcap) {
    if (s->sub_closed) {
        snprintf(err, errcap, "stopping: the ingest service is stopping; nothing was stored");
        return true;
    }
    if (s->sub_failed[0]) {
        snprintf(err, errcap, "failed: ingest stopped: %s; nothing was stored", s->sub_failed);
        return true;
    }
    if (s->sub_blocked[0]) {
        snprintf(err, errcap, "blocked: storage refuses writes (%s); nothing was stored, try later",
                 s->sub_blocked);
        return true;
    }
    return false;
}

int ingest_service_submit(ingest_service *s, const char *topic, const void *payload, size_t len,
                          int timeout_ms, ingest_submit_result *out, char *err, size_t errcap) {
    char scratch[8];
    if (!err || !errcap) err = scratch, errcap = sizeof scratch;
    err[0] = 0;
    if (out) memset(out, 0, sizeof *out);
    if (!s || !topic || (!payload && len)) {
        snprintf(err, errcap, "invalid: no service, topic or payload");
        return -1;
    }
    size_t tlen = strlen(topic);
    if (tlen > 60 * 1024) {
        snprintf(err, errcap, "invalid: topic of %zu bytes", tlen);
        return -1;
    }
    pthread_mutex_lock(&s->sub_mu);
    bool refused = submit_refused(s, err, errcap);
    if (!refused) s->sub_callers++;
    pthread_mutex_unlock(&s->sub_mu);
    if (refused) {
        pthread_mutex_lock(&s->mu);
        s->stats.submit_failures++;
        pthread_mutex_unlock(&s->mu);
        return -1;
    }
    uint64_t backlog = spool_backlog_bytes(s->sp);
    if (backlog > s->opt.max_backlog_bytes) {
        snprintf(err, errcap,
                 "backlog: %" PRIu64 " bytes wait in the spool (at most %zu); retry later, "
                 "nothing was stored",
                 backlog, s->opt.max_backlog_bytes);
        submit_leave(s, -1);
        return -1;
    }
    /* One allocation: the request, the marked topic, the payload. The
     * caller's buffers may go as soon as this call returns, even on a
     * timeout, so the message is copied. */
    submit_req *r = malloc(sizeof *r + SUBMIT_MARK_LEN + tlen + 1 + len);
    if (!r) {
        snprintf(err, errcap, "spool: out of memory; nothing was stored");
        submit_leave(s, -1);
        return -1;
    }
    memset(r, 0, sizeof *r);
    char *text = (char *)(r + 1);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&r->cv, &ca);
    pthread_condattr_destroy(&ca);
    r->refs = 2; /* this call and the list */
    r->state = SUB_QUEUED;
    r->topic = text;
    r->payload = text + SUBMIT_MARK_LEN + tlen + 1;
    r->len = len;
    if (len) memcpy(text + SUBMIT_MARK_LEN + tlen + 1, payload, len);
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    if (timeout_ms > 0) {
        until.tv_sec += timeout_ms / 1000;
        until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) until.tv_sec++, until.tv_nsec -= 1000000000L;
    }

    pthread_mutex_lock(&s->sub_mu);
    if (submit_refused(s, err, errcap)) { /* stop or a failure came in between */
        r->refs = 1;
        sub_unref(r);
        pthread_mutex_unlock(&s->sub_mu);
        submit_leave(s, -1);
        return -1;
    }
    r->seq = ++s->sub_seq;
    /* "#" run seq "#": SUBMIT_MARK_LEN bytes, then the topic. */
    snprintf(text, SUBMIT_MARK_LEN + tlen + 1, "#%016" PRIx64 "%016" PRIx64 "#%s", s->sub_run,
             r->seq, topic);
    r->prev = s->sub_tail;
    if (s->sub_tail)
        s->sub_tail->next = r;
    else
        s->sub_head = r;
    s->sub_tail = r;
    atomic_fetch_add_explicit(&s->sub_queued, 1, memory_order_release);
    pthread_mutex_unlock(&s->sub_mu);
    uint64_t one = 1; /* the network thread spools it now, not at its next wake-up */
    if (write(s->wake_fd, &one, sizeof one) < 0) {
    }

    pthread_mutex_lock(&s->sub_mu);
    while (r->state != SUB_DONE) {
        if (timeout_ms <= 0)
            pthread_cond_wait(&r->cv, &s->sub_mu);
        else if (pthread_cond_timedwait(&r->cv, &s->sub_mu, &until) == ETIMEDOUT)
            break;
    }
    int rc = -1;
    if (r->state == SUB_DONE) {
        rc = r->rc;
        if (rc == 0 && out) *out = r->res;
        if (rc != 0) snprintf(err, errcap, "%s", r->err);
    } else if (r->state == SUB_QUEUED) {
        sub_finish(s, r, -1, NULL); /* withdrawn: the network thread never sees it */
        snprintf(err, errcap,
                 "timeout: after %d ms, before the message reached the spool; nothing was "
                 "stored",
                 timeout_ms);
    } else {
        /* In the spool (or being written to it): it will be stored; the
         * list keeps its hold on r until then. */
        snprintf(err, errcap,
                 "timeout: after %d ms; the message %s and will still be stored (a retry "
                 "stores the same points again, which is harmless)",
                 timeout_ms,
                 r->state == SUB_TAKEN ? "is being written to the spool" : "is in the spool");
    }
    sub_unref(r);
    pthread_mutex_unlock(&s->sub_mu);
    submit_leave(s, rc);
    return rc;
}
