/*
 * submit.c - ingest_service_submit: messages handed to the service by
 * another thread (HTTP ingest), spooled and stored like MQTT ones.
 *
 * They take the MQTT messages' road: spool, pipeline, commit. Why hand
 * them to the network thread through a queue and the eventfd rather than
 * let each caller append to the spool under a mutex: the spool has one
 * appender by design (its pending batch and its fdatasync bookkeeping are
 * unlocked), and the MQTT hot path would otherwise take a lock per message
 * and could wait behind an HTTP caller's write and fdatasync before its
 * PUBACKs leave. With the queue the network thread pays one atomic load
 * per loop turn when nothing is submitted; when something is, it spools
 * the whole queue with one write (and one fdatasync under ack_after_fsync)
 * after the burst's PUBACKs are out, so a crowd of HTTP callers costs it
 * one short step, not one per caller.
 *
 * Attribution: a submitted record's topic carries a marker (internal.h)
 * naming this run and the request. The ingest thread strips it, runs the
 * message through the pipeline like any other, reads the message's outcome
 * (ingest_last_result) and completes the request: at once when nothing was
 * accepted, else at the next commit, after hist_sync. MQTT records cost the
 * ingest thread one byte compare. A marked record replayed from an earlier
 * run matches no request and is simply stored.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ingest/internal.h"
#include "common/clock.h"
#include "ingest/service_internal.h"

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
void sub_fail_all(ingest_service *s, const char *why) {
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
void spool_submissions(ingest_service *s) {
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
    int64_t now = pw_wall_ms();
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
bool parse_mark(const spool_record *rec, uint64_t *run, uint64_t *seq) {
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

int parse_mark_precision(const char **topic) {
    const char *t = *topic;
    if (t[0] != '@') return -1;
    const char *end = strchr(t + 1, '#');
    char name[4];
    ingest_lp_precision p;
    if (!end || (size_t)(end - t - 1) >= sizeof name) return -1;
    memcpy(name, t + 1, (size_t)(end - t - 1));
    name[end - t - 1] = 0;
    if (ingest_lp_precision_parse(name, &p) != 0) return -1;
    *topic = end + 1;
    return (int)p;
}

/* Ingest thread: the pipeline has handled request seq. Returns true when
 * it now waits for the commit. */
bool submission_handled(ingest_service *s, uint64_t seq) {
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
void submissions_durable(ingest_service *s) {
    pthread_mutex_lock(&s->sub_mu);
    for (submit_req *r = s->sub_head, *next; r; r = next) {
        next = r->next;
        if (r->state == SUB_PROCESSED) sub_finish(s, r, 0, NULL);
    }
    pthread_mutex_unlock(&s->sub_mu);
}

/* Ingest thread: ingest stopped on an error; nothing will be handled now. */
void submissions_failed(ingest_service *s, const char *why) {
    pthread_mutex_lock(&s->sub_mu);
    snprintf(s->sub_failed, sizeof s->sub_failed, "%s", why);
    char msg[300];
    snprintf(msg, sizeof msg, "failed: ingest stopped: %s", why);
    sub_fail_all(s, msg);
    pthread_mutex_unlock(&s->sub_mu);
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
    return ingest_service_submit_prec(s, topic, payload, len, -1, timeout_ms, out, err, errcap);
}

int ingest_service_submit_prec(ingest_service *s, const char *topic, const void *payload,
                               size_t len, int lp_precision, int timeout_ms,
                               ingest_submit_result *out, char *err, size_t errcap) {
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
    if (lp_precision < -1 || lp_precision > (int)INGEST_LP_H) {
        snprintf(err, errcap, "invalid: no line protocol precision %d", lp_precision);
        return -1;
    }
    /* the precision rides between the marker and the topic: "@ns#" */
    char prec[8] = "";
    if (lp_precision >= 0)
        snprintf(prec, sizeof prec, "@%s#",
                 ingest_lp_precision_name((ingest_lp_precision)lp_precision));
    size_t plen = strlen(prec);
    tlen += plen;
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
    pw_deadline_in(CLOCK_MONOTONIC, timeout_ms > 0 ? timeout_ms : 0, &until);

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
    snprintf(text, SUBMIT_MARK_LEN + tlen + 1, "#%016" PRIx64 "%016" PRIx64 "#%s%s", s->sub_run,
             r->seq, prec, topic);
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
