/*
 * test_alerting.c - the alarm engine: every state transition, deadband and
 * delays on synthetic series whose alarm times are known, stale data,
 * quality, rate of change, shelving expiry, journal queries, subscribers,
 * and alarms surviving a restart.
 */
#include <math.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "alerting/alerting.h"
#include "alerting/gas_defaults.h"
#include "tests/support/testutil.h"

#define T0 1767225600000LL
#define S  1000LL

typedef struct seen {
    alert_event ev[256];
    size_t n;
} seen;

static void record(const alert_event *e, const alert_rule *r, void *ctx) {
    (void)r;
    seen *s = ctx;
    if (s->n < 256) s->ev[s->n++] = *e;
}

static alert_engine *open_engine(const char *dir, seen *s) {
    alert_engine *e;
    char err[256];
    if (alert_open(dir, &e, err, sizeof err) != 0) fail_msg("%s", err);
    if (s) assert_int_equal(alert_subscribe(e, record, s), 0);
    return e;
}

static uint32_t add(alert_engine *e, uint32_t series, alert_kind kind, double limit, double db,
                    int64_t on, int64_t off) {
    alert_rule r = {.series = series,
                    .series_name = "E001/gd-01/lel",
                    .enterprise = "E001",
                    .kind = kind,
                    .limit = limit,
                    .deadband = db,
                    .on_delay_ms = on,
                    .off_delay_ms = off,
                    .priority = 1,
                    .paired_series = 0};
    uint32_t id;
    char err[256];
    if (alert_add_rules(e, &r, 1, &id, err, sizeof err) != 0) fail_msg("%s", err);
    return id;
}

static void feed(alert_engine *e, uint32_t series, int64_t ts, double v, uint8_t q) {
    alert_point p = {series, ts, v, q, 0};
    assert_true(alert_points(e, &p, 1) >= 0);
}

static alert_state state_of(alert_engine *e, uint32_t id) {
    alert_status st;
    assert_int_equal(alert_get(e, id, &st), 0);
    return st.state;
}

static void test_transitions(void **state) {
    (void)state;
    char dir[512];
    testutil_tmpdir(dir, sizeof dir, "alert-states");
    seen s = {0};
    alert_engine *e = open_engine(dir, &s);
    uint32_t hi = add(e, 7, ALERT_HIGH, 50, 2, 0, 0);
    feed(e, 7, T0, 40, 0);
    assert_int_equal(state_of(e, hi), ALERT_NORMAL);
    feed(e, 7, T0 + S, 55, 0); /* raise */
    assert_int_equal(state_of(e, hi), ALERT_UNACK);
    assert_int_equal(alert_ack(e, hi, T0 + 2 * S, "op1", "seen, checking"), 1);
    assert_int_equal(state_of(e, hi), ALERT_ACKED);
    assert_int_equal(alert_ack(e, hi, T0 + 3 * S, "op1", ""), 0); /* nothing to acknowledge */
    feed(e, 7, T0 + 4 * S, 49, 0); /* inside the deadband: still active */
    assert_int_equal(state_of(e, hi), ALERT_ACKED);
    feed(e, 7, T0 + 5 * S, 47.5, 0); /* below limit - deadband: clears */
    assert_int_equal(state_of(e, hi), ALERT_NORMAL);
    /* Returned to normal before anyone acknowledged, then acknowledged. */
    feed(e, 7, T0 + 6 * S, 60, 0);
    feed(e, 7, T0 + 7 * S, 10, 0);
    assert_int_equal(state_of(e, hi), ALERT_RTN_UNACK);
    feed(e, 7, T0 + 8 * S, 70, 0); /* back again before the acknowledgement */
    assert_int_equal(state_of(e, hi), ALERT_UNACK);
    feed(e, 7, T0 + 9 * S, 10, 0);
    assert_int_equal(alert_ack(e, hi, T0 + 10 * S, "op2", "known"), 1);
    assert_int_equal(state_of(e, hi), ALERT_NORMAL);
    /* The journal has every transition, with who and why. */
    const alert_state want[][2] = {{ALERT_NORMAL, ALERT_UNACK},    {ALERT_UNACK, ALERT_ACKED},
                                   {ALERT_ACKED, ALERT_NORMAL},    {ALERT_NORMAL, ALERT_UNACK},
                                   {ALERT_UNACK, ALERT_RTN_UNACK}, {ALERT_RTN_UNACK, ALERT_UNACK},
                                   {ALERT_UNACK, ALERT_RTN_UNACK}, {ALERT_RTN_UNACK, ALERT_NORMAL}};
    assert_int_equal(s.n, 8);
    for (size_t i = 0; i < 8; i++) {
        assert_int_equal(s.ev[i].from, want[i][0]);
        assert_int_equal(s.ev[i].to, want[i][1]);
    }
    assert_string_equal(s.ev[1].user, "op1");
    assert_string_equal(s.ev[1].comment, "seen, checking");
    assert_true(s.ev[0].value == 55 && s.ev[0].limit == 50);
    alert_event *ev;
    size_t n;
    assert_int_equal(alert_journal_range(e, T0, T0 + 100 * S, &ev, &n), 0);
    assert_int_equal(n, 8);
    /* the journal gives back every field as it was notified, limit and
     * flags included (a record layout once wrote the flags over the
     * limit's last byte) */
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(ev[i].seq, s.ev[i].seq);
        assert_true(ev[i].limit == s.ev[i].limit && ev[i].value == s.ev[i].value);
        assert_int_equal(ev[i].active, s.ev[i].active);
        assert_int_equal(ev[i].shelved, s.ev[i].shelved);
        assert_int_equal(ev[i].from, s.ev[i].from);
        assert_int_equal(ev[i].to, s.ev[i].to);
    }
    free(ev);
    /* Only the transitions inside a range. */
    assert_int_equal(alert_journal_range(e, T0 + 6 * S, T0 + 8 * S, &ev, &n), 0);
    assert_int_equal(n, 2);
    free(ev);
    alert_close(e);
    testutil_rmtree(dir);
}

static void test_delays_and_deadband(void **state) {
    (void)state;
    char dir[512];
    testutil_tmpdir(dir, sizeof dir, "alert-delay");
    seen s = {0};
    alert_engine *e = open_engine(dir, &s);
    /* %LEL every second; alarm 25 (GB/T 50493 first level), on-delay 10 s, off-delay 5 s. */
    uint32_t id = add(e, 1, ALERT_HIGH, 25, 2, 10 * S, 5 * S);
    /* A 6-second excursion: shorter than the on-delay, no alarm. */
    for (int t = 0; t < 20; t++) feed(e, 1, T0 + t * S, t >= 5 && t < 11 ? 30 : 10, 0);
    assert_int_equal(s.n, 0);
    /* A lasting one from t = 30 s: the alarm at exactly 40 s. */
    for (int t = 20; t < 60; t++) feed(e, 1, T0 + t * S, t >= 30 ? 30 : 10, 0);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.ev[0].ts_ms, T0 + 40 * S);
    /* Hovering in the deadband (23.5 > 25 - 2) does not clear it; a clear
     * shorter than the off-delay does not either. */
    for (int t = 60; t < 80; t++) feed(e, 1, T0 + t * S, t % 2 ? 23.5 : 26, 0);
    for (int t = 80; t < 83; t++) feed(e, 1, T0 + t * S, 5, 0);
    for (int t = 83; t < 90; t++) feed(e, 1, T0 + t * S, 30, 0);
    assert_int_equal(s.n, 1);
    /* A clear from 90 s clears at 95 s; the tick finds it without a new reading. */
    feed(e, 1, T0 + 90 * S, 5, 0);
    assert_int_equal(alert_tick(e, T0 + 94 * S), 0);
    assert_int_equal(alert_tick(e, T0 + 96 * S), 1);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.ev[1].ts_ms, T0 + 95 * S);
    assert_int_equal(state_of(e, id), ALERT_RTN_UNACK);
    alert_close(e);
    testutil_rmtree(dir);
}

/* The data path down (broker lost, storage refusing): no stale alarm per
 * sensor; back: a full period from then, and a broker's backlog of older
 * readings does not make a sensor look stale. */
static void test_stale_held_while_path_down(void **state) {
    (void)state;
    char dir[512];
    testutil_tmpdir(dir, sizeof dir, "alert-stale-held");
    seen s = {0};
    alert_engine *e = open_engine(dir, &s);
    uint32_t stale = add(e, 2, ALERT_STALE, 60, 0, 0, 0);
    feed(e, 2, T0, 20, 0);
    alert_hold_stale(e, true, T0 + 10 * S);
    assert_int_equal(alert_tick(e, T0 + 120 * S), 0);
    assert_int_equal(state_of(e, stale), ALERT_NORMAL);
    alert_hold_stale(e, false, T0 + 130 * S);
    assert_int_equal(alert_tick(e, T0 + 150 * S), 0);
    feed(e, 2, T0 + 20 * S, 21, 0); /* the backlog, 2 minutes late */
    assert_int_equal(alert_tick(e, T0 + 189 * S), 0);
    assert_int_equal(state_of(e, stale), ALERT_NORMAL);
    /* nothing new after the path came back: stale a period after it */
    assert_int_equal(alert_tick(e, T0 + 191 * S), 1);
    assert_int_equal(state_of(e, stale), ALERT_UNACK);
    assert_int_equal(s.ev[s.n - 1].ts_ms, T0 + 190 * S);
    alert_close(e);
    testutil_rmtree(dir);
}

static void test_stale_quality_rate(void **state) {
    (void)state;
    char dir[512];
    testutil_tmpdir(dir, sizeof dir, "alert-stale");
    seen s = {0};
    alert_engine *e = open_engine(dir, &s);
    uint32_t stale = add(e, 2, ALERT_STALE, 30, 0, 0, 0);
    uint32_t hi = add(e, 2, ALERT_HIGH, 50, 0, 0, 0);
    uint32_t rate = add(e, 3, ALERT_RATE, 10, 0, 0, 0);
    feed(e, 2, T0, 20, 0);
    assert_int_equal(alert_tick(e, T0 + 29 * S), 0);
    assert_int_equal(alert_tick(e, T0 + 31 * S), 1); /* 30 s without a reading */
    assert_int_equal(s.ev[s.n - 1].ts_ms, T0 + 30 * S);
    assert_int_equal(state_of(e, stale), ALERT_UNACK);
    feed(e, 2, T0 + 40 * S, 20, 0); /* the link is back */
    assert_int_equal(state_of(e, stale), ALERT_RTN_UNACK);
    /* A bad reading above the limit: an instrument fault, not a process alarm. */
    size_t before = s.n;
    feed(e, 2, T0 + 41 * S, 999, 0x80);
    assert_int_equal(state_of(e, hi), ALERT_NORMAL);
    assert_int_equal(s.n, before + 1);
    alert_status st;
    assert_int_equal(alert_get(e, s.ev[s.n - 1].rule, &st), 0);
    assert_true(st.active);
    feed(e, 2, T0 + 42 * S, 20, 0); /* a good reading clears the fault */
    assert_int_equal(alert_get(e, s.ev[before].rule, &st), 0);
    assert_false(st.active);
    /* Rate of change: 1 per minute is fine, 29 per minute is not. */
    feed(e, 3, T0, 0, 0);
    feed(e, 3, T0 + 60 * S, 1, 0);
    assert_int_equal(state_of(e, rate), ALERT_NORMAL);
    feed(e, 3, T0 + 120 * S, 30, 0);
    assert_int_equal(state_of(e, rate), ALERT_UNACK);
    alert_close(e);
    testutil_rmtree(dir);
}

static void test_shelve_suppress_restore(void **state) {
    (void)state;
    char dir[512];
    testutil_tmpdir(dir, sizeof dir, "alert-shelve");
    seen s = {0};
    alert_engine *e = open_engine(dir, &s);
    uint32_t a = add(e, 4, ALERT_HIGH_HIGH, 50, 0, 0, 0);
    uint32_t b = add(e, 5, ALERT_LOW, 10, 0, 0, 0);
    feed(e, 4, T0, 60, 0);
    feed(e, 5, T0, 5, 0);
    assert_int_equal(alert_ack(e, b, T0 + S, "op", ""), 1);
    assert_int_equal(alert_shelve(e, a, T0 + 2 * S, T0 + 62 * S, "op", "sensor being cleaned"), 1);
    alert_status st;
    assert_int_equal(alert_get(e, a, &st), 0);
    assert_true(st.shelved && st.shelved_until_ms == T0 + 62 * S);
    assert_int_equal(alert_shelve(e, a, T0 + 3 * S, T0, "op", ""), -1); /* expiry in the past */
    /* Shelved alarms keep being evaluated and journalled. */
    feed(e, 4, T0 + 10 * S, 20, 0);
    assert_int_equal(state_of(e, a), ALERT_RTN_UNACK);
    assert_int_equal(alert_suppress(e, b, true, T0 + 11 * S, "logic", "pump stopped"), 1);
    assert_int_equal(alert_out_of_service(e, b, true, T0 + 12 * S, "tech", "permit 42"), 1);
    assert_int_equal(alert_out_of_service(e, b, false, T0 + 13 * S, "tech", "done"), 1);
    /* The state at T0 + 5 s, replayed from the journal. */
    alert_status *at;
    size_t n;
    assert_int_equal(alert_active_at(e, T0 + 5 * S, &at, &n), 0);
    assert_int_equal(n, 2);
    bool saw_a = false;
    for (size_t i = 0; i < n; i++)
        if (at[i].rule == a) saw_a = at[i].state == ALERT_UNACK && at[i].shelved;
    assert_true(saw_a);
    free(at);
    /* Restart: the journal brings the alarms back as they were. */
    alert_close(e);
    e = open_engine(dir, NULL);
    uint32_t a2 = add(e, 4, ALERT_HIGH_HIGH, 50, 0, 0, 0);
    uint32_t b2 = add(e, 5, ALERT_LOW, 10, 0, 0, 0);
    assert_int_equal(a2, a);
    assert_int_equal(b2, b);
    char err[256];
    assert_int_equal(alert_restore(e, err, sizeof err), 0);
    assert_int_equal(alert_get(e, a, &st), 0);
    assert_int_equal(st.state, ALERT_RTN_UNACK);
    assert_true(st.shelved && st.shelved_until_ms == T0 + 62 * S);
    assert_int_equal(alert_get(e, b, &st), 0);
    assert_true(st.state == ALERT_ACKED && st.active && st.suppressed && !st.out_of_service);
    /* Shelving runs out on time. */
    assert_int_equal(alert_tick(e, T0 + 61 * S), 0);
    assert_int_equal(alert_tick(e, T0 + 63 * S), 1);
    assert_int_equal(alert_get(e, a, &st), 0);
    assert_false(st.shelved);
    alert_event *ev;
    assert_int_equal(alert_journal_range(e, T0 + 62 * S, T0 + 63 * S, &ev, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(ev[0].action, ALERT_ACT_UNSHELVE);
    assert_string_equal(ev[0].comment, "shelving expired");
    free(ev);
    alert_status *list;
    assert_int_equal(alert_list_active(e, &list, &n), 0);
    assert_int_equal(n, 2);
    free(list);
    alert_close(e);
    testutil_rmtree(dir);
}

/* ---- the webhook, against a tiny HTTP server ---- */

typedef struct http_sink {
    int fd, port;
    int fail_first; /* answer 500 to this many requests */
    char bodies[16][256];
    int n_requests, n_ok;
    pthread_t thread;
} http_sink;

static void *sink_main(void *arg) {
    http_sink *h = arg;
    for (;;) {
        int c = accept(h->fd, NULL, NULL);
        if (c < 0) return NULL;
        char req[2048];
        size_t got = 0;
        ssize_t r;
        /* headers, then Content-Length bytes */
        while (got < sizeof req - 1 && (r = recv(c, req + got, sizeof req - 1 - got, 0)) > 0) {
            got += (size_t)r;
            req[got] = 0;
            char *hdr_end = strstr(req, "\r\n\r\n"), *cl = strstr(req, "Content-Length: ");
            if (hdr_end && cl && got >= (size_t)(hdr_end + 4 - req) + (size_t)atoi(cl + 16)) break;
        }
        char *body = strstr(req, "\r\n\r\n");
        bool fail = h->n_requests++ < h->fail_first;
        const char *resp = fail ? "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n"
                                : "HTTP/1.1 204 No Content\r\n\r\n";
        if (!fail && body && h->n_ok < 16) snprintf(h->bodies[h->n_ok++], 256, "%s", body + 4);
        if (send(c, resp, strlen(resp), MSG_NOSIGNAL) < 0) {
        }
        close(c);
    }
}

static void sink_start(http_sink *h, int fail_first) {
    memset(h, 0, sizeof *h);
    h->fail_first = fail_first;
    h->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    assert_int_equal(bind(h->fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(h->fd, 16), 0);
    assert_int_equal(getsockname(h->fd, (struct sockaddr *)&a, &len), 0);
    h->port = ntohs(a.sin_port);
    pthread_create(&h->thread, NULL, sink_main, h);
}

static void sink_stop(http_sink *h) {
    shutdown(h->fd, SHUT_RDWR);
    close(h->fd);
    pthread_join(h->thread, NULL);
}

static void test_webhook(void **state) {
    (void)state;
    http_sink h;
    sink_start(&h, 1); /* the first POST fails: it must come again, and in order */
    char url[64], err[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/alarms", h.port);
    alert_webhook *w;
    assert_int_equal(alert_webhook_start(url, 0, &w, err, sizeof err), 0);
    alert_webhook_send(w, "{\"seq\": 1}");
    alert_webhook_send(w, "{\"seq\": 2}");
    alert_webhook_send(w, "{\"seq\": 3}");
    uint64_t delivered = 0, queued, dropped, failures;
    for (int i = 0; i < 500 && delivered < 3; i++) {
        usleep(20000);
        alert_webhook_stats(w, &delivered, &queued, &dropped, &failures);
    }
    assert_int_equal(delivered, 3);
    assert_int_equal(failures, 1);
    assert_int_equal(h.n_ok, 3);
    assert_string_equal(h.bodies[0], "{\"seq\": 1}");
    assert_string_equal(h.bodies[2], "{\"seq\": 3}");
    alert_webhook_stop(w);
    sink_stop(&h);
    /* Nobody listening, a queue of 2: the oldest goes, counted. */
    assert_int_equal(alert_webhook_start("http://127.0.0.1:9/x", 2, &w, err, sizeof err), 0);
    for (int i = 0; i < 5; i++) alert_webhook_send(w, "{}");
    usleep(100000);
    alert_webhook_stats(w, &delivered, &queued, &dropped, &failures);
    assert_int_equal(delivered, 0);
    assert_true(dropped >= 2 && queued <= 2 && failures >= 1);
    alert_webhook_stop(w);
    assert_int_equal(alert_webhook_start("https://example/", 0, &w, err, sizeof err), -1);
}

/* Two transmitters on the same tank must agree within 0.5 m. */
static void test_deviation(void **state) {
    (void)state;
    char dir[512];
    testutil_tmpdir(dir, sizeof dir, "alert-dev");
    seen s = {0};
    alert_engine *e = open_engine(dir, &s);
    alert_rule r = {.series = 10,
                    .series_name = "E001/tankfarm-1/T101.level",
                    .enterprise = "E001",
                    .kind = ALERT_DEVIATION,
                    .limit = 0.5,
                    .deadband = 0.1,
                    .on_delay_ms = 0,
                    .off_delay_ms = 0,
                    .priority = 2,
                    .paired_series = 11};
    uint32_t id;
    char err[256];
    assert_int_equal(alert_add_rules(e, &r, 1, &id, err, sizeof err), 0);
    feed(e, 10, T0, 5.0, 0);
    feed(e, 11, T0, 5.2, 0); /* 0.2 apart */
    assert_int_equal(state_of(e, id), ALERT_NORMAL);
    feed(e, 11, T0 + S, 5.7, 0); /* the paired one drifts: 0.7 apart */
    assert_int_equal(state_of(e, id), ALERT_UNACK);
    assert_true(fabs(s.ev[s.n - 1].value - 0.7) < 1e-9);
    feed(e, 10, T0 + 2 * S, 5.25, 0); /* 0.45: inside the deadband, still active */
    assert_int_equal(state_of(e, id), ALERT_UNACK);
    feed(e, 11, T0 + 3 * S, 5.6, 0); /* 0.35: clears */
    assert_int_equal(state_of(e, id), ALERT_RTN_UNACK);
    feed(e, 11, T0 + 4 * S, 99, 0x80); /* a bad reading is not compared */
    assert_int_equal(state_of(e, id), ALERT_RTN_UNACK);
    alert_close(e);
    testutil_rmtree(dir);
}

/* Performance figures on a history whose counts are known. */
static void test_kpis(void **state) {
    (void)state;
    char dir[512];
    testutil_tmpdir(dir, sizeof dir, "alert-kpi");
    alert_engine *e = open_engine(dir, NULL);
    uint32_t chatty = add(e, 1, ALERT_HIGH, 50, 0, 0, 0); /* E001 */
    uint32_t steady = add(e, 2, ALERT_HIGH, 50, 0, 0, 0);
    alert_rule other = {.series = 3,
                        .series_name = "E002/x/y",
                        .enterprise = "E002",
                        .kind = ALERT_HIGH,
                        .limit = 50,
                        .deadband = 0,
                        .on_delay_ms = 0,
                        .off_delay_ms = 0,
                        .priority = 2,
                        .paired_series = 0};
    uint32_t e2;
    char err[256];
    assert_int_equal(alert_add_rules(e, &other, 1, &e2, err, sizeof err), 0);
    /* 12 raises of `chatty` in the first ten minutes, 3 of them within 60 s. */
    for (int i = 0; i < 12; i++) {
        int64_t t = T0 + (i < 3 ? i * 20 * S : 60 * S + i * 40 * S);
        feed(e, 1, t, 60, 0);
        feed(e, 1, t + 5 * S, 10, 0);
    }
    /* `steady` raised once and standing for more than a day. */
    feed(e, 2, T0 + 30 * 60 * S, 60, 0);
    /* One of E002. */
    feed(e, 3, T0 + 40 * 60 * S, 60, 0);
    /* A shelved rule's raise is not annunciated. */
    assert_int_equal(alert_shelve(e, e2, T0 + 41 * 60 * S, T0 + 100 * 60 * S, "op", ""), 1);
    feed(e, 3, T0 + 42 * 60 * S, 10, 0);
    feed(e, 3, T0 + 43 * 60 * S, 60, 0);
    alert_kpis k;
    int64_t to = T0 + 25 * 3600 * S;
    assert_int_equal(alert_kpis_get(e, T0, to, "E001", &k), 0);
    assert_int_equal(k.alarms, 13);
    assert_int_equal(k.per_10min_peak, 12);
    assert_int_equal(k.flood_windows, 1);
    assert_int_equal(k.windows, 150);
    assert_int_equal(k.chattering_rules, 1);
    assert_int_equal(k.standing_alarms, 1);
    assert_true(k.n_top == 2 && k.top_rule[0] == chatty && k.top_count[0] == 12 &&
                k.top_rule[1] == steady);
    assert_int_equal(alert_kpis_get(e, T0, to, NULL, &k), 0);
    assert_int_equal(k.alarms, 14); /* E002's first raise counts, the shelved one does not */
    alert_close(e);
    testutil_rmtree(dir);
}

static void test_bad_rules(void **state) {
    (void)state;
    char dir[512];
    testutil_tmpdir(dir, sizeof dir, "alert-bad");
    alert_engine *e = open_engine(dir, NULL);
    alert_rule bad[] = {{.series = 1,
                         .series_name = "x",
                         .enterprise = "E",
                         .kind = ALERT_HIGH,
                         .limit = 1,
                         .deadband = -1,
                         .on_delay_ms = 0,
                         .off_delay_ms = 0,
                         .priority = 1,
                         .paired_series = 0},
                        {.series = 1,
                         .series_name = "x",
                         .enterprise = "E",
                         .kind = ALERT_HIGH,
                         .limit = 1,
                         .deadband = 0,
                         .on_delay_ms = 0,
                         .off_delay_ms = 0,
                         .priority = 5,
                         .paired_series = 0},
                        {.series = 1,
                         .series_name = "x",
                         .enterprise = "E",
                         .kind = ALERT_STALE,
                         .limit = 0,
                         .deadband = 0,
                         .on_delay_ms = 0,
                         .off_delay_ms = 0,
                         .priority = 1,
                         .paired_series = 0},
                        {.series = 1,
                         .series_name = "x",
                         .enterprise = "E",
                         .kind = ALERT_FAULT,
                         .limit = 0,
                         .deadband = 0,
                         .on_delay_ms = 0,
                         .off_delay_ms = 0,
                         .priority = 1,
                         .paired_series = 0},
                        {.series = 1,
                         .series_name = "x",
                         .enterprise = "E",
                         .kind = ALERT_DEVIATION,
                         .limit = 1,
                         .deadband = 0,
                         .on_delay_ms = 0,
                         .off_delay_ms = 0,
                         .priority = 1,
                         .paired_series = 1}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint32_t id;
        char err[256];
        assert_int_equal(alert_add_rules(e, &bad[i], 1, &id, err, sizeof err), -1);
        assert_non_null(strstr(err, "not valid"));
    }
    alert_close(e);
    testutil_rmtree(dir);
}

/* A gas detector's rules (alerting/gas_defaults.h): the numbers parkd set
 * with its positional initialiser before, for each kind of gas, and the
 * engine takes them. */
static void test_gas_defaults(void **state) {
    (void)state;
    struct {
        const char *what;
        double a1, a2;
        bool near;
        int p1; /* first level's priority */
    } g[] = {
        {"combustible, geo's GB/T 50493 levels (25, 50 %LEL)", 25, 50, false, 2},
        {"combustible near a major hazard source", 25, 50, true, 1},
        {"combustible with its own levels (20, 40 %LEL)", 20, 40, false, 2},
        {"toxic (H2S, 10 and 20 mg/m3)", 10, 20, false, 2},
        {"toxic near a major hazard source (Cl2, 1 and 2 mg/m3)", 1, 2, true, 1},
    };
    for (size_t i = 0; i < sizeof g / sizeof g[0]; i++) {
        alert_rule r[ALERT_GAS_RULES];
        memset(r, 0xa5, sizeof r);
        alert_gas_defaults("E001/GD01.conc", "E001", g[i].a1, g[i].a2, g[i].near, r);
        print_message("gas defaults: %s\n", g[i].what);
        for (int k = 0; k < ALERT_GAS_RULES; k++) {
            assert_int_equal(r[k].series, 0);
            assert_string_equal(r[k].series_name, "E001/GD01.conc");
            assert_string_equal(r[k].enterprise, "E001");
            assert_int_equal(r[k].paired_series, 0);
        }
        assert_int_equal(r[0].kind, ALERT_HIGH);
        assert_true(r[0].limit == g[i].a1);
        assert_true(r[0].deadband == g[i].a1 * 0.05);
        assert_int_equal(r[0].on_delay_ms, 2000);
        assert_int_equal(r[0].off_delay_ms, 5000);
        assert_int_equal(r[0].priority, g[i].p1);
        assert_int_equal(r[1].kind, ALERT_HIGH_HIGH);
        assert_true(r[1].limit == g[i].a2);
        assert_true(r[1].deadband == g[i].a1 * 0.05); /* the first level's */
        assert_int_equal(r[1].on_delay_ms, 2000);
        assert_int_equal(r[1].off_delay_ms, 5000);
        assert_int_equal(r[1].priority, 1);
        assert_int_equal(r[2].kind, ALERT_STALE);
        assert_true(r[2].limit == 60);
        assert_true(r[2].deadband == 0);
        assert_int_equal(r[2].on_delay_ms, 0);
        assert_int_equal(r[2].off_delay_ms, 0);
        assert_int_equal(r[2].priority, 3);
    }
    /* valid rules for the engine */
    char dir[256];
    testutil_tmpdir(dir, sizeof dir, "gasdef");
    seen sn = {0};
    alert_engine *e = open_engine(dir, &sn);
    alert_rule r[ALERT_GAS_RULES];
    alert_gas_defaults("E001/GD01.conc", "E001", 25, 50, false, r);
    uint32_t ids[ALERT_GAS_RULES] = {7, 7, 7};
    for (int k = 0; k < ALERT_GAS_RULES; k++) r[k].series = 7;
    char err[256];
    assert_int_equal(alert_add_rules(e, r, ALERT_GAS_RULES, ids, err, sizeof err), 0);
    alert_close(e);
    testutil_rmtree(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transitions),
        cmocka_unit_test(test_delays_and_deadband),
        cmocka_unit_test(test_stale_quality_rate),
        cmocka_unit_test(test_stale_held_while_path_down),
        cmocka_unit_test(test_shelve_suppress_restore),
        cmocka_unit_test(test_deviation),
        cmocka_unit_test(test_webhook),
        cmocka_unit_test(test_kpis),
        cmocka_unit_test(test_bad_rules),
        cmocka_unit_test(test_gas_defaults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
