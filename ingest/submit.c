/*
 * submit.c - ingest_service_submit: messages handed to the service by
 * another thread (HTTP ingest), stored like MQTT ones but not spooled.
 *
 * Why no spool: the spool is what lets parkd acknowledge an MQTT message
 * before it is stored (PUBACK once it is in the spool file; a crash
 * replays it). A submitting caller is answered only once its points are
 * durable in the historian (hist_sync at the commit), so writing the
 * body through the spool first (a copy and a CRC going in, a read, a
 * CRC and a copy coming out, a spool checkpoint per commit) bought it
 * nothing: a crash before the answer leaves the caller without one, and
 * it retries (storing a point twice is harmless). So a request waits in
 * an in-memory queue, the ingest thread takes it between spool records,
 * runs it through the same pipeline (ingest_message_ex), and answers it
 * at once when nothing was accepted, else at the next commit, after
 * hist_sync. The spool stays for MQTT alone.
 *
 * Records marked as submitted ("#run seq#", internal.h) that an older
 * parkd left in the spool are still read and simply stored.
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
        else
            sub_finish(s, r, -1,
                       "%s; the message may be partly stored (a retry stores the same points "
                       "again, which is harmless)",
                       why);
    }
}

submit_req *take_submission(ingest_service *s) {
    pthread_mutex_lock(&s->sub_mu);
    submit_req *r = s->sub_head;
    while (r && r->state != SUB_QUEUED) r = r->next;
    if (r) {
        r->state = SUB_TAKEN;
        r->refs++; /* the ingest thread's hold, until submission_release */
        atomic_fetch_sub(&s->sub_queued, 1);
    }
    pthread_mutex_unlock(&s->sub_mu);
    return r;
}

void submission_release(ingest_service *s, submit_req *r) {
    pthread_mutex_lock(&s->sub_mu);
    sub_unref(r);
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

/* Ingest thread: the pipeline has handled r. Returns true when it now
 * waits for the commit. */
bool submission_handled(ingest_service *s, submit_req *r) {
    ingest_submit_result res;
    ingest_last_result(s->pipe, &res);
    bool waits = false;
    pthread_mutex_lock(&s->sub_mu);
    if (r->state == SUB_TAKEN) { /* else answered meanwhile (stop) */
        r->res = res;
        if (res.readings_accepted) /* durable at the next commit */
            r->state = SUB_PROCESSED, waits = true;
        else
            sub_finish(s, r, 0, NULL);
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
    /* One allocation: the request, the topic, the payload. The caller's
     * buffers may go as soon as this call returns, even on a timeout,
     * while the ingest thread still reads them, so the message is copied. */
    submit_req *r = malloc(sizeof *r + tlen + 1 + len);
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
    memcpy(text, topic, tlen + 1);
    r->payload = text + tlen + 1;
    r->len = len;
    r->prec = lp_precision;
    r->recv_ms = pw_wall_ms();
    if (len) memcpy(text + tlen + 1, payload, len);
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
    r->prev = s->sub_tail;
    if (s->sub_tail)
        s->sub_tail->next = r;
    else
        s->sub_head = r;
    s->sub_tail = r;
    atomic_fetch_add_explicit(&s->sub_queued, 1, memory_order_release);
    pthread_mutex_unlock(&s->sub_mu);
    spool_wake(s->sp); /* the ingest thread takes it now, not after its wait for the spool */

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
        sub_finish(s, r, -1, NULL); /* withdrawn: the ingest thread never sees it */
        snprintf(err, errcap,
                 "timeout: after %d ms, before the message was taken for storing; nothing was "
                 "stored",
                 timeout_ms);
    } else {
        /* Taken: it will be stored; the list keeps its hold on r until
         * then. Not spooled, so a crash before the commit loses it. */
        snprintf(err, errcap,
                 "timeout: after %d ms; the message %s and will still be stored unless parkd "
                 "stops or crashes first (a retry stores the same points again, which is "
                 "harmless)",
                 timeout_ms, r->state == SUB_TAKEN ? "is being stored" : "waits for the commit");
    }
    sub_unref(r);
    pthread_mutex_unlock(&s->sub_mu);
    submit_leave(s, rc);
    return rc;
}
