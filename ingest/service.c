/*
 * service.c - the ingest service: the MQTT network thread and the ingest
 * thread, joined by the spool. The delivery argument is in ingest.h.
 *
 * Why our own loop rather than mosquitto_loop_start: libmosquitto 2.0's
 * handle__publish queues the PUBACK of a QoS 1 message and then calls
 * on_message (docs/reference/payload-formats.md); with the client in
 * threaded mode (mosquitto_threaded_set) packet__queue never writes
 * inline, so queued packets only leave in mosquitto_loop_write. Running
 * read, [fdatasync], write ourselves makes "in the spool before PUBACK" a
 * property of the code here instead of a race.
 *
 * Submitted messages (ingest_service_submit, for HTTP) bypass the spool:
 * the ingest thread takes them from a queue between spool records
 * (submit.c says why).
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
#include "ingest/service_internal.h"

#define BURST_MAX           1024  /* packets read before the write phase */
#define FLUSH_MAX           50000 /* points queued before the historian gets them */
#define FLUSH_WAIT_MS       2     /* a message waits this long for company before it is stored, */
#define FLUSH_BEHIND_MS     1000 /* or while ingest is behind, as long as storing took, up to this */
#define BACKOFF_LO          250
#define BACKOFF_HI          30000
#define RETRY_LO_MS         100 /* a refused write to the historian or journal, tried again */
#define RETRY_HI_MS         2000
#define QUIET_MIN_WAL_BYTES ((uint64_t)1 << 20) /* a smaller log is not worth a checkpoint */

static void set_error(ingest_service *s, const char *msg) {
    pthread_mutex_lock(&s->mu);
    s->stats.failed = true;
    snprintf(s->stats.last_error, sizeof s->stats.last_error, "%s", msg);
    pthread_mutex_unlock(&s->mu);
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
    char *subs[] = {"park/+/+/data", "park/+/+/status", "park/+/+/events"};
    int src = mosquitto_subscribe_multiple(m, NULL, s->opt.on_events ? 3 : 2, subs, 1, 0, NULL);
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
    if (first) s->stats.spool_blocked_since_ms = pw_wall_ms();
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
    if (first) s->stats.store_blocked_since_ms = pw_wall_ms();
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
    if (spool_append(s->sp, pw_wall_ms(), msg->topic, msg->payload, (size_t)msg->payloadlen) != 0) {
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
            if (pw_mono_ms() < next_try) {
                struct pollfd w = {.fd = s->wake_fd, .events = POLLIN};
                uint64_t junk;
                if (poll(&w, 1, 20) > 0 && read(s->wake_fd, &junk, sizeof junk) < 0) {
                }
                if (spool_roll_if_wanted(s->sp) != 0)
                    logf_(s, "spool: starting a new segment failed: %s", strerror(errno));
                continue;
            }
            int rc = first ? mosquitto_connect(m, s->host, s->opt.port, s->opt.keepalive_s)
                           : mosquitto_reconnect(m);
            if (rc != MOSQ_ERR_SUCCESS) {
                s->dropped = false; /* the broker is down: no takeover */
                logf_(s, "cannot reach the broker at %s (%s); retrying in %d ms", s->where,
                      rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc), backoff);
                next_try = pw_mono_ms() + backoff;
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
        if (spool_roll_if_wanted(s->sp) != 0)
            logf_(s, "spool: starting a new segment failed: %s", strerror(errno));
        if (rc != MOSQ_ERR_SUCCESS) {
            connected = false;
            s->dropped = s->connack_ok && rc == MOSQ_ERR_CONN_LOST && !self_drop;
            if (s->dropped) s->prev_drop_ms = s->drop_ms, s->drop_ms = pw_mono_ms();
            pthread_mutex_lock(&s->mu);
            if (s->stats.connected) s->stats.connection_losses++;
            s->stats.connected = false;
            pthread_mutex_unlock(&s->mu);
            if (!s->connack_ok) /* refused, or the TLS handshake failed (said above) */
                logf_(s, "no connection to the broker at %s; retrying in %d ms", s->where, backoff);
            next_try = pw_mono_ms() + backoff;
            backoff = backoff * 2 > BACKOFF_HI ? BACKOFF_HI : backoff * 2;
        } else if (connected && s->connack_ok) {
            /* Only once the broker accepted us: a refused CONNECT (bad
             * password) is retried with growing backoff, not every 250 ms. */
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
    submit_req *held_req = NULL; /* held is this submitted message */
    int64_t retry_at = 0;
    int retry_ms = RETRY_LO_MS;
    size_t awaiting_commit = 0; /* submitted messages handled since the last commit */
    int64_t last_commit = pw_mono_ms(), last_sync = last_commit;
    int64_t round_since = 0;        /* when the first message since the last round was read */
    int64_t store_ms = 0;           /* how long the last round (flush, commit, sync) took */
    int64_t last_msg = last_commit; /* when a message was last read */
    bool quiet_done = true;         /* nothing read since the last quiet checkpoint */
    bool roll_pending = false;      /* the spool was asked to roll: commit past the old segment */
    s->ing_state = ING_RUNNING;
#define BLOCK(why)                                                                                 \
    do {                                                                                           \
        store_blocked(s, why);                                                                     \
        ing_to(s, ING_BLOCKED);                                                                    \
        retry_at = pw_mono_ms() + retry_ms;                                                        \
        retry_ms = retry_ms * 2 > RETRY_HI_MS ? RETRY_HI_MS : retry_ms * 2;                        \
    } while (0)
    for (;;) {
        bool stop = atomic_load(&s->stop_ingest); /* an input, read once a turn */
        if (stop && s->ing_state == ING_RUNNING) ing_to(s, ING_DRAINING);
        if (s->ing_state == ING_BLOCKED) {
            if (stop) { /* what is not stored stays in the spool */
                if (holding && held_req) submission_release(s, held_req); /* stop answers it */
                ing_to(s, ING_STOPPED);
                break;
            }
            if (pw_mono_ms() < retry_at) {
                struct timespec nap = {0, 20 * 1000000L};
                nanosleep(&nap, NULL);
                continue;
            }
            ing_to(s, ING_RETRYING);
        }
        spool_record rec;
        submit_req *req = NULL; /* rec is this submitted message, held until released */
        int r = 0;
        if (holding) {
            assert(ing_state_is(s, ING_BIT(ING_RETRYING))); /* only after the backoff */
            rec = held; /* still valid: the spool was not read since */
            req = held_req;
            r = 1;
            holding = false;
        } else if (s->ing_state != ING_FAILED) {
            assert(ing_state_is(s, ING_READING_STATES));
            /* A waiting caller first: one atomic load when there is none. */
            if (atomic_load_explicit(&s->sub_queued, memory_order_acquire) &&
                (req = take_submission(s))) {
                rec = (spool_record){.recv_ms = req->recv_ms,
                                     .topic = req->topic,
                                     .topic_len = strlen(req->topic),
                                     .payload = req->payload,
                                     .len = req->len};
                r = 1;
            } else
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
            last_msg = pw_mono_ms();
            quiet_done = false;
            const char *topic = rec.topic;
            uint64_t run = 0, seq = 0;
            /* A submitted message, or one an older parkd spooled for a
             * caller: its lines may name their enterprises. */
            bool marked = req || (topic[0] == '#' && parse_mark(&rec, &run, &seq));
            if (marked && !req) topic += SUBMIT_MARK_LEN;
            int prec = req ? req->prec : marked ? parse_mark_precision(&topic) : -1;
            if (ingest_message_ex(s->pipe, topic, rec.payload, rec.len, prec, marked, rec.recv_ms,
                                  pw_wall_ms(), err, sizeof err) < 0) {
                held = rec;
                held_req = req;
                holding = true;
                BLOCK(err);
                continue;
            }
            if (req) {
                if (submission_handled(s, req)) awaiting_commit++;
                submission_release(s, req);
            } else {
                done = rec.next;
                have_done = true;
            }
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
        int64_t t0 = pw_mono_ms();
        if (r == 1 && !round_since) round_since = t0;
        int64_t waited = round_since ? t0 - round_since : 0;
        /* A caller waiting for its answer and nothing more to read: a round
         * (and a commit) now, not after the 2 ms wait for company. */
        bool more = spool_backlog_bytes(s->sp) > 0 ||
                    atomic_load_explicit(&s->sub_queued, memory_order_relaxed) > 0;
        bool round = r <= 0 || s->ing_state == ING_RETRYING ||
                     ingest_pending_points(s->pipe) >= FLUSH_MAX ||
                     (awaiting_commit && s->opt.group_commit && !more) ||
                     (waited >= FLUSH_WAIT_MS && (waited >= store_ms || !more));
        if (!round) continue;
        round_since = 0;
        if (s->ing_state != ING_FAILED && ingest_pending_points(s->pipe)) {
            assert(ing_state_is(s, ING_READING_STATES));
            if (ingest_flush(s->pipe, err, sizeof err) != 0) {
                BLOCK(err); /* the batch stays queued in the pipeline */
                continue;
            }
            double ms = (double)(pw_mono_ms() - t0);
            pthread_mutex_lock(&s->mu);
            s->stats.flush_ms_last = ms;
            if (ms > s->stats.flush_ms_max) s->stats.flush_ms_max = ms;
            pthread_mutex_unlock(&s->mu);
        }
        int64_t now = pw_mono_ms();
        bool drained = r == 0 && s->ing_state == ING_DRAINING; /* the last round */
        /* Group commit: callers waiting for it get it at once (the next
         * round's callers share the next fdatasync); MQTT messages alone
         * wait for the interval. */
        if (s->ing_state != ING_FAILED && (have_done || awaiting_commit) &&
            !ingest_pending_points(s->pipe) &&
            (now - last_commit >= s->opt.sync_interval_ms || drained ||
             (awaiting_commit && s->opt.group_commit) || s->ing_state == ING_RETRYING)) {
            ingest_state resume = s->ing_state;
            ing_to(s, ING_COMMITTING);
            /* Historian log on disk, then the checkpoint that lets the spool go. */
            hist_error he;
            /* The events taken since the last commit too: the checkpoint
             * must not move past an event the store could still lose. */
            if (s->opt.events_sync && s->opt.events_sync(s->opt.events_ctx) != 0) {
                snprintf(he.msg, sizeof he.msg, "the event store cannot sync");
                BLOCK(he.msg);
                continue;
            }
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
            /* Only spool records need a checkpoint: submitted messages
             * alone cost the commit no spool fdatasync, rename or
             * directory sync. */
            bool committed = true;
            if (have_done) {
                if (spool_commit(s->sp, done) != 0) {
                    /* Harmless while it lasts (the spool keeps more to
                     * replay), so said once, not every commit. */
                    if (!checkpoint_failing)
                        logf_(s, "spool checkpoint failed: %s (said once)", strerror(errno));
                    checkpoint_failing = true;
                    committed = false;
                } else {
                    if (checkpoint_failing) logf_(s, "spool checkpoint written again");
                    checkpoint_failing = false;
                    have_done = false;
                }
                roll_pending = false; /* the commit let the older segments go */
            }
            if (committed) {
                ingest_mark_durable(s->pipe, pw_wall_ms());
                pthread_mutex_lock(&s->mu);
                s->stats.commits++;
                pthread_mutex_unlock(&s->mu);
            }
            last_commit = pw_mono_ms(); /* counted from its end, as the sync's */
            ing_to(s, resume);
        }
        /* Quiet: everything read is committed and nothing came for a while.
         * The head goes to RocksDB compressed and the historian's log and
         * the spool are let go: at rest the data is held once, compressed. */
        if (s->opt.quiet_checkpoint_ms > 0 && r == 0 && s->ing_state == ING_RUNNING && !have_done &&
            !ingest_pending_points(s->pipe)) {
            if (!quiet_done && now - last_msg >= s->opt.quiet_checkpoint_ms) {
                quiet_done = true;
                hist_stats hs;
                hist_get_gauges(s->pipe_opt.historian, &hs);
                hist_error he;
                if (hs.bytes_wal < QUIET_MIN_WAL_BYTES) {
                    /* too little in the log to be worth a checkpoint */
                } else if (hist_flush(s->pipe_opt.historian, &he) != HIST_OK) {
                    logf_(s, "quiet checkpoint failed: %s (the log keeps everything)", he.msg);
                } else {
                    spool_request_roll(s->sp);
                    roll_pending = true;
                    pthread_mutex_lock(&s->mu);
                    s->stats.quiet_checkpoints++;
                    pthread_mutex_unlock(&s->mu);
                }
            } else if (roll_pending) {
                spool_pos at = spool_read_pos(s->sp);
                if (at.segment > done.segment && spool_commit(s->sp, at) == 0) roll_pending = false;
            }
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
            last_sync = pw_mono_ms();
        }
        int64_t took = pw_mono_ms() - t0; /* the next round reads at least as long */
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
    if (o->on_events) ingest_set_events(s->pipe, o->on_events, o->events_ctx);
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
