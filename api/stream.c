/*
 * stream.c - server-sent event streams: a stream is a callback response whose
 * reader copies what producers queued for it and, when there is nothing,
 * suspends the connection; producers (the alarm subscription, the pump
 * thread) queue text and resume it. Every stream field is guarded by the
 * server's streams lock.
 */
#include "api/internal.h"
#include "common/clock.h"

#include <poll.h>

/* Queues text for a stream and wakes it; streams lock held. A stream that
 * cannot keep up is ended rather than allowed to grow without bound. */
static void stream_push_locked(stream *st, const char *text, size_t n) {
    if (st->done) return;
    if (st->pend_off == st->pend_n) st->pend_off = st->pend_n = 0;
    if (st->pend_n - st->pend_off + n > STREAM_PEND_MAX) {
        static const char over[] =
            "event: overflow\ndata: {\"reason\":\"the client reads too slowly\"}\n\n";
        st->pend_off = st->pend_n = 0;
        text = over, n = sizeof over - 1;
        st->done = true;
    }
    if (st->pend_n + n > st->pend_cap) {
        if (st->pend_off) { /* slide what is left to the front first */
            memmove(st->pend, st->pend + st->pend_off, st->pend_n - st->pend_off);
            st->pend_n -= st->pend_off, st->pend_off = 0;
        }
        size_t cap = st->pend_cap ? st->pend_cap : 4096;
        while (cap < st->pend_n + n) cap *= 2;
        if (cap != st->pend_cap) {
            char *p = realloc(st->pend, cap);
            if (!p) {
                st->done = true;
                goto wake;
            }
            st->pend = p, st->pend_cap = cap;
        }
    }
    memcpy(st->pend + st->pend_n, text, n);
    st->pend_n += n;
wake:
    if (st->suspended) {
        st->suspended = false;
        MHD_resume_connection(st->conn);
    }
}

void api_stream_end_locked(stream *st) {
    st->done = true;
    if (st->suspended) {
        st->suspended = false;
        MHD_resume_connection(st->conn);
    }
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max) {
    (void)pos;
    stream *st = cls;
    api_server *s = st->srv;
    pthread_mutex_lock(&s->smu);
    ssize_t rc;
    if (st->pend_n > st->pend_off) {
        size_t n = st->pend_n - st->pend_off;
        if (n > max) n = max;
        memcpy(buf, st->pend + st->pend_off, n);
        st->pend_off += n;
        rc = (ssize_t)n;
    } else if (st->done || s->stopping) {
        rc = MHD_CONTENT_READER_END_OF_STREAM;
    } else {
        /* nothing to send: park the connection until a producer resumes it */
        st->suspended = true;
        MHD_suspend_connection(st->conn);
        rc = 0;
    }
    pthread_mutex_unlock(&s->smu);
    return rc;
}

/* Frees a stream that is not (or no longer) in the server's list. */
void api_stream_release(stream *st) {
    free(st->pend);
    free(st->ids);
    for (size_t i = 0; st->names && i < st->n_ids; i++) free(st->names[i]);
    free(st->names);
    free(st->sent_ts);
    for (size_t i = 0; i < st->n_items; i++) free(st->items[i].text);
    free(st->items);
    free(st);
}

/* libmicrohttpd is done with the response: the connection closed. */
static void stream_free(void *cls) {
    stream *st = cls;
    api_server *s = st->srv;
    pthread_mutex_lock(&s->smu);
    if (st->prev)
        st->prev->next = st->next;
    else
        s->streams = st->next;
    if (st->next) st->next->prev = st->prev;
    s->n_streams--;
    pthread_mutex_unlock(&s->smu);
    api_stream_release(st);
}

/* Formats one SSE event (id, event name, one-line JSON data). */
void api_tb_sse(textbuf *b, uint64_t id, const char *event, const char *data) {
    tb_printf(b, "id: %llu\nevent: %s\ndata: ", (unsigned long long)id, event);
    tb_str(b, data);
    tb_str(b, "\n\n");
}

/* The alarm subscription: runs on the thread that made the transition,
 * with the engine's lock held, so it only formats and queues. */
void api_on_alarm(const alert_event *e, const alert_rule *ru, void *ctx) {
    api_server *s = ctx;
    textbuf d = {0};
    api_tb_event(&d, s, e, ru);
    if (d.oom) return;
    pthread_mutex_lock(&s->smu);
    for (stream *st = s->streams; st; st = st->next) {
        if (st->kind != ST_ALARMS) continue;
        req fake = {.tok = st->tok};
        if (!api_scope_sees(&fake, ru->enterprise, false)) continue;
        textbuf ev = {0};
        api_tb_sse(&ev, e->seq, "alarm", d.p);
        if (!ev.oom) stream_push_locked(st, ev.p, ev.n);
        free(ev.p);
    }
    pthread_mutex_unlock(&s->smu);
    free(d.p);
}

enum MHD_Result api_start_stream(req *r, struct MHD_Connection *c, stream *st, const char *first,
                                 size_t first_n) {
    api_server *s = r->srv;
    st->srv = s;
    st->conn = c;
    st->tok = r->tok;
    st->last_beat_ms = pw_wall_ms();
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    st->fd = ci ? ci->connect_fd : -1;
    /* Slots: max_streams in all, max_streams_per_token for one token, and
     * the last streams_reserved for admin and operator tokens, so that no
     * enterprise can take the command centre's alarm stream. */
    bool command = r->tok.role == API_ROLE_ADMIN || r->tok.role == API_ROLE_OPERATOR;
    pthread_mutex_lock(&s->smu);
    size_t mine = 0;
    for (stream *o = s->streams; o; o = o->next) mine += !strcmp(o->tok.id, r->tok.id);
    size_t open_to_me = command || s->o.max_streams <= s->o.streams_reserved
                            ? s->o.max_streams
                            : s->o.max_streams - s->o.streams_reserved;
    /* the server's limits first (503), then the token's own (429) */
    const char *full = s->stopping                  ? "the server is stopping"
                       : s->n_streams >= open_to_me ? "too many open streams (max_streams)"
                                                    : NULL;
    bool token_full = !full && mine >= s->o.max_streams_per_token;
    if (full || token_full) {
        pthread_mutex_unlock(&s->smu);
        api_stream_release(st);
        s->streams_refused++;
        if (token_full)
            return api_send_error(r, c, 429, "rate_limited",
                                  "this token has %zu open streams (max_streams_per_token)", mine);
        return api_send_error(r, c, 503, "unavailable", "%s", full);
    }
    st->next = s->streams;
    if (s->streams) s->streams->prev = st;
    s->streams = st;
    s->n_streams++;
    /* tell the client how long to wait before reconnecting */
    stream_push_locked(st, "retry: 2000\n\n", 13);
    if (first_n) stream_push_locked(st, first, first_n);
    pthread_mutex_unlock(&s->smu);
    struct MHD_Response *resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, stream_read, st, stream_free);
    if (!resp) {
        stream_free(st);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "X-Accel-Buffering", "no");
    return api_queue_resp(r, c, 200, resp, "text/event-stream; charset=utf-8", "no-store", false);
}

/* The pump: paces replays, polls live values, sends heartbeats (which is
 * also how a suspended stream finds out that its client went away). */
static void pump_live(api_server *s, stream *st, int64_t now) {
    if (now < st->next_poll_ms) return;
    st->next_poll_ms = now + st->interval_ms;
    hist_value *v = calloc(st->n_ids ? st->n_ids : 1, sizeof *v);
    hist_error he;
    if (!v || hist_last(s->o.historian, st->ids, st->n_ids, v, &he) != HIST_OK) {
        free(v);
        return;
    }
    textbuf d = {0};
    size_t k = 0;
    for (size_t i = 0; i < st->n_ids; i++) {
        if (!v[i].present || v[i].ts_ms <= st->sent_ts[i]) continue;
        st->sent_ts[i] = v[i].ts_ms;
        tb_str(&d, k++ ? "," : "{\"values\":[");
        tb_str(&d, "{\"series\":");
        tb_jstr(&d, st->names[i]);
        tb_printf(&d, ",\"ts\":%lld,\"value\":", (long long)v[i].ts_ms);
        api_tb_num(&d, v[i].value);
        tb_printf(&d, ",\"quality\":%u}", v[i].quality);
    }
    free(v);
    if (k) {
        tb_str(&d, "]}");
        textbuf e = {0};
        api_tb_sse(&e, ++st->event_id, "values", d.p ? d.p : "{}");
        if (!e.oom && !d.oom) stream_push_locked(st, e.p, e.n);
        free(e.p);
        st->last_beat_ms = now;
    }
    free(d.p);
}

static void pump_replay(stream *st, int64_t now) {
    double played = st->speed > 0 ? (pw_mono_s() - st->start_mono) * 1000 * st->speed : INFINITY;
    int64_t until =
        played >= (double)(st->to_ms - st->from_ms) ? st->to_ms : st->from_ms + (int64_t)played;
    textbuf b = {0};
    /* at most 1 MiB a round, so a fast replay streams instead of piling up */
    while (st->next_item < st->n_items && st->items[st->next_item].ts_ms <= until &&
           b.n < (1u << 20)) {
        tb_printf(&b, "id: %zu\n", st->next_item + 1);
        tb_str(&b, st->items[st->next_item].text);
        free(st->items[st->next_item].text);
        st->items[st->next_item].text = NULL;
        st->next_item++;
    }
    if (st->next_item == st->n_items && until >= st->to_ms)
        tb_printf(&b, "event: end\ndata: {\"to\":%lld,\"events\":%zu}\n\n", (long long)st->to_ms,
                  st->n_items);
    if (b.n && !b.oom) {
        stream_push_locked(st, b.p, b.n);
        st->last_beat_ms = now;
    }
    if (st->next_item == st->n_items && until >= st->to_ms)
        st->done = true, api_stream_end_locked(st);
    free(b.p);
}

/* Ends streams whose token was revoked or expired, once a second. The
 * token store may reread its file, so the check runs without the streams
 * lock: the ids are copied under it, checked outside, and the streams of
 * the refused ones ended under it again. Called and returns with smu held. */
static void end_revoked_locked(api_server *s, int64_t now) {
    size_t n = 0, cap = s->n_streams;
    char(*ids)[17] = cap ? malloc(cap * sizeof *ids) : NULL;
    for (stream *st = s->streams; ids && st && n < cap; st = st->next)
        if (!st->done) memcpy(ids[n++], st->tok.id, sizeof ids[0]);
    pthread_mutex_unlock(&s->smu);
    bool *bad = n ? calloc(n, sizeof *bad) : NULL;
    size_t n_bad = 0;
    for (size_t i = 0; bad && i < n; i++)
        n_bad += bad[i] = !api_token_store_valid(s->tokens, ids[i], now);
    pthread_mutex_lock(&s->smu);
    for (stream *st = s->streams; n_bad && st; st = st->next) {
        if (st->done) continue;
        for (size_t i = 0; i < n; i++) {
            if (!bad[i] || strcmp(ids[i], st->tok.id)) continue;
            static const char gone[] =
                "event: revoked\ndata: {\"reason\":\"the token was revoked or expired\"}\n\n";
            stream_push_locked(st, gone, sizeof gone - 1);
            api_stream_end_locked(st);
            s->streams_revoked++;
            break;
        }
    }
    free(bad);
    free(ids);
}

/* A suspended stream is not read by libmicrohttpd, so a client that went
 * away would hold its slot until the next heartbeat fails (15 s): its
 * socket is polled for the hang-up instead, and the stream ended at once.
 * Streams lock held. */
static void end_hung_up_locked(api_server *s) {
    for (stream *st = s->streams; st; st = st->next) {
        if (st->done || !st->suspended || st->fd < 0) continue;
        struct pollfd p = {.fd = st->fd, .events = POLLRDHUP};
        if (poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR))) {
            api_stream_end_locked(st);
            s->streams_hung_up++;
        }
    }
}

void *api_pump_main(void *arg) {
    api_server *s = arg;
    int64_t next_second = 0;
    pthread_mutex_lock(&s->smu);
    while (!s->stopping) {
        struct timespec ts;
        pw_deadline_in(CLOCK_REALTIME, 50, &ts);
        pthread_cond_timedwait(&s->pump_cv, &s->smu, &ts);
        if (s->stopping) break;
        int64_t now = pw_wall_ms();
        for (stream *st = s->streams; st; st = st->next) {
            if (st->done) continue;
            if (st->kind == ST_LIVE)
                pump_live(s, st, now);
            else if (st->kind == ST_REPLAY && st->pend_n - st->pend_off < (1u << 20))
                pump_replay(st, now);
            if (!st->done && now - st->last_beat_ms >= HEARTBEAT_MS) {
                stream_push_locked(st, ": keepalive\n\n", 14);
                st->last_beat_ms = now;
            }
        }
        end_hung_up_locked(s);
        if (now >= next_second) {
            next_second = now + 1000;
            end_revoked_locked(s, now);
            api_guard_sweep(s->guard, api_guard_now_ms());
            api_audit_flush_stale(s, now); /* a minute's write sums, once it is over */
        }
    }
    pthread_mutex_unlock(&s->smu);
    return NULL;
}

/* POST /api/v1/stream-tickets: a one-use ticket for opening an event
 * stream without the token in its URL (api/tickets.h). */
enum MHD_Result api_h_stream_ticket(req *r, struct MHD_Connection *c) {
    char t[API_TICKET_LEN + 1];
    int64_t expires;
    if (api_ticket_issue(r->srv->tickets, &r->tok, pw_wall_ms(), t, &expires) != 0)
        return api_send_error(r, c, 500, "internal", "no randomness for a ticket");
    return api_send_json(r, c, 201,
                         json_pack("{s:s,s:I}", "ticket", t, "expires_ms", (json_int_t)expires));
}
