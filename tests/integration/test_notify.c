/*
 * test_notify.c - notify/ against real wire peers on loopback ports the
 * test opens itself: a fake SMS gateway and webhook (HTTP, can refuse with
 * 503), fake WeCom and DingTalk robots (the DingTalk one checks the
 * signature with its own HMAC), and an SMTP sink speaking enough of RFC
 * 5321 for libcurl. The engine's clock is handed in (notify_tick), so
 * escalation, quiet hours and floods are timed exactly; the workers'
 * retries run in real time.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/clock.h"
#include "common/sha256.h"
#include "notify/notify.h"

/* ---- a fake HTTP peer ---- */

typedef struct peer {
    int fd, port;
    bool smtp;
    pthread_t th;
    pthread_mutex_t mu;
    volatile bool stop;
    volatile bool refuse;    /* answer 503 */
    const char *ding_secret; /* check DingTalk's signature */
    int accepted, refused, bad_sign, mails;
    char last_body[8192], last_target[1024], last_rcpt[512];
} peer;

static bool read_until(int fd, char *buf, size_t cap, size_t *n, const char *end) {
    while (!strstr(buf, end)) {
        struct pollfd p = {fd, POLLIN, 0};
        if (*n + 1 >= cap || poll(&p, 1, 3000) != 1) return false;
        ssize_t r = recv(fd, buf + *n, cap - 1 - *n, 0);
        if (r <= 0) return false;
        *n += (size_t)r;
        buf[*n] = 0;
    }
    return true;
}

static void b64(const uint8_t *in, size_t n, char *out) {
    static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) |
                     (i + 2 < n ? in[i + 2] : 0);
        *out++ = t[v >> 18 & 63], *out++ = t[v >> 12 & 63];
        *out++ = i + 1 < n ? t[v >> 6 & 63] : '=', *out++ = i + 2 < n ? t[v & 63] : '=';
    }
    *out = 0;
}

/* Undo %XX. */
static void urldec(const char *in, char *out) {
    while (*in && *in != '&') {
        unsigned v;
        if (*in == '%' && sscanf(in + 1, "%2x", &v) == 1)
            *out++ = (char)v, in += 3;
        else
            *out++ = *in++;
    }
    *out = 0;
}

static void serve_http(peer *p, int c) {
    char buf[65536] = {0};
    size_t n = 0;
    if (!read_until(c, buf, sizeof buf, &n, "\r\n\r\n")) return;
    char *body = strstr(buf, "\r\n\r\n") + 4;
    const char *cl = strcasestr(buf, "Content-Length:");
    size_t want = cl ? strtoul(cl + 15, NULL, 10) : 0;
    while ((size_t)(buf + n - body) < want) {
        struct pollfd pf = {c, POLLIN, 0};
        if (poll(&pf, 1, 3000) != 1) return;
        ssize_t r = recv(c, buf + n, sizeof buf - 1 - n, 0);
        if (r <= 0) return;
        n += (size_t)r;
        buf[n] = 0;
    }
    char target[1024] = "";
    sscanf(buf, "%*s %1023s", target);
    bool ok = !p->refuse;
    pthread_mutex_lock(&p->mu);
    if (ok && p->ding_secret) { /* timestamp + "\n" + secret, HMAC-SHA256, Base64 */
        const char *ts = strstr(target, "timestamp="), *sg = strstr(target, "sign=");
        char tsv[32] = "", sign[128] = "", msg[160], want_b64[64];
        if (ts) sscanf(ts + 10, "%31[0-9]", tsv);
        if (sg) urldec(sg + 5, sign);
        snprintf(msg, sizeof msg, "%s\n%s", tsv, p->ding_secret);
        uint8_t mac[PW_SHA256_LEN];
        pw_hmac_sha256(p->ding_secret, strlen(p->ding_secret), msg, strlen(msg), mac);
        b64(mac, sizeof mac, want_b64);
        if (!ts || strcmp(sign, want_b64)) p->bad_sign++, ok = false;
    }
    if (ok)
        p->accepted++;
    else
        p->refused++;
    snprintf(p->last_body, sizeof p->last_body, "%s", body);
    snprintf(p->last_target, sizeof p->last_target, "%s", target);
    pthread_mutex_unlock(&p->mu);
    const char *resp = ok ? "{\"errcode\":0,\"errmsg\":\"ok\",\"BizId\":\"biz-1\"}" : "{}";
    char head[256];
    int hl = snprintf(head, sizeof head,
                      "HTTP/1.1 %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                      "Connection: close\r\n\r\n",
                      ok ? "200 OK" : "503 Service Unavailable", strlen(resp));
    send(c, head, (size_t)hl, MSG_NOSIGNAL);
    send(c, resp, strlen(resp), MSG_NOSIGNAL);
}

static void say(int c, const char *s) {
    send(c, s, strlen(s), MSG_NOSIGNAL);
}

/* Enough of RFC 5321 for libcurl: EHLO, MAIL, RCPT, DATA, QUIT. */
static void serve_smtp(peer *p, int c) {
    say(c, "220 sink.test ESMTP\r\n");
    char buf[65536] = {0};
    size_t n = 0;
    bool data = false;
    for (;;) {
        if (!read_until(c, buf, sizeof buf, &n, data ? "\r\n.\r\n" : "\r\n")) return;
        if (data) {
            pthread_mutex_lock(&p->mu);
            p->mails++;
            size_t k = strnlen(buf, sizeof p->last_body - 1); /* the mail's head is enough */
            memcpy(p->last_body, buf, k);
            p->last_body[k] = 0;
            pthread_mutex_unlock(&p->mu);
            say(c, "250 2.0.0 Ok: queued as TEST1\r\n");
            data = false;
        } else if (!strncasecmp(buf, "EHLO", 4) || !strncasecmp(buf, "HELO", 4))
            say(c, "250-sink.test\r\n250 8BITMIME\r\n");
        else if (!strncasecmp(buf, "RCPT", 4)) {
            pthread_mutex_lock(&p->mu);
            size_t l = strlen(p->last_rcpt);
            snprintf(p->last_rcpt + l, sizeof p->last_rcpt - l, "%.*s", (int)strcspn(buf, "\r"),
                     buf);
            pthread_mutex_unlock(&p->mu);
            say(c, "250 Ok\r\n");
        } else if (!strncasecmp(buf, "DATA", 4)) {
            say(c, "354 End data with <CR><LF>.<CR><LF>\r\n");
            data = true;
        } else if (!strncasecmp(buf, "QUIT", 4)) {
            say(c, "221 Bye\r\n");
            return;
        } else
            say(c, "250 Ok\r\n");
        n = 0, buf[0] = 0;
    }
}

static void *peer_main(void *arg) {
    peer *p = arg;
    while (!p->stop) {
        struct pollfd pf = {p->fd, POLLIN, 0};
        if (poll(&pf, 1, 50) != 1) continue;
        int c = accept(p->fd, NULL, NULL);
        if (c < 0) continue;
        if (p->smtp)
            serve_smtp(p, c);
        else
            serve_http(p, c);
        close(c);
    }
    return NULL;
}

static void peer_start(peer *p, bool smtp) {
    memset(p, 0, sizeof *p);
    p->smtp = smtp;
    pthread_mutex_init(&p->mu, NULL);
    p->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    assert_int_equal(bind(p->fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(p->fd, 64), 0);
    getsockname(p->fd, (struct sockaddr *)&a, &al);
    p->port = ntohs(a.sin_port);
    pthread_create(&p->th, NULL, peer_main, p);
}

static void peer_stop(peer *p) {
    p->stop = true;
    pthread_join(p->th, NULL);
    close(p->fd);
}

static int count(peer *p, int *field) {
    pthread_mutex_lock(&p->mu);
    int v = *field;
    pthread_mutex_unlock(&p->mu);
    return v;
}

/* Waits (real time, at most 3 s) until *field reaches want. */
static int wait_count(peer *p, int *field, int want) {
    for (int i = 0; i < 300 && count(p, field) < want; i++) pw_sleep_ms(10);
    pw_sleep_ms(100); /* and nothing more comes */
    return count(p, field);
}

/* ---- the park ---- */

static const char *people_json =
    "[{\"id\":\"e1-lead\",\"name\":\"Zhang Wei\",\"enterprise\":\"E001\",\"posts\":"
    "[\"shift_leader\"],\"phone\":\"+8613800000001\",\"email\":\"lead@e1.test\","
    "\"wecom_userid\":\"zhangwei\",\"dingtalk_mobile\":\"13800000001\"},"
    "{\"id\":\"e1-safety\",\"name\":\"Li Na\",\"enterprise\":\"E001\",\"posts\":"
    "[\"safety_director\"],\"phone\":\"+8613800000002\",\"email\":\"safety@e1.test\"},"
    "{\"id\":\"park-duty\",\"name\":\"Wang Fang\",\"posts\":[\"duty_officer\"],"
    "\"phone\":\"+8613800000003\",\"email\":\"duty@park.test\"}]";

typedef struct park {
    people *pp;
    notify *n;
    peer sms, hook, wecom, ding, smtp;
    char dir[512];
} park;

static void park_open(park *k, const char *extra_channel_opts, const char *policies) {
    memset(k, 0, sizeof k[0]);
    json_t *pj = json_loads(people_json, 0, NULL);
    char err[512];
    assert_int_equal(people_load(pj, &k->pp, err, sizeof err), 0);
    json_decref(pj);
    peer_start(&k->sms, false), peer_start(&k->hook, false), peer_start(&k->wecom, false);
    peer_start(&k->ding, false), peer_start(&k->smtp, true);
    k->ding.ding_secret = "SECtest";
    char cfg[8192];
    snprintf(cfg, sizeof cfg,
             "{\"channels\":{"
             "\"sms\":{\"type\":\"sms_http\",\"url\":\"http://127.0.0.1:%d/send\",\"body\":"
             "\"{\\\"to\\\":\\\"{phone}\\\",\\\"msg\\\":\\\"{text}\\\"}\",\"receipt_field\":"
             "\"BizId\"%s},"
             "\"hook\":{\"type\":\"webhook\",\"url\":\"http://127.0.0.1:%d/hook\"%s},"
             "\"wecom\":{\"type\":\"wecom\",\"url\":\"http://127.0.0.1:%d/cgi-bin/webhook/"
             "send?key=K\"%s},"
             "\"ding\":{\"type\":\"dingtalk\",\"url\":\"http://127.0.0.1:%d/robot/"
             "send?access_token=T\",\"secret\":\"SECtest\"%s},"
             "\"mail\":{\"type\":\"smtp\",\"url\":\"smtp://127.0.0.1:%d\",\"from\":"
             "\"alarms@park.test\"%s}},"
             "\"rosters\":[{\"enterprise\":\"E001\",\"shifts\":[{\"start\":\"00:00\",\"end\":"
             "\"24:00\",\"people\":[\"e1-lead\"]}]},"
             "{\"enterprise\":\"\",\"shifts\":[{\"start\":\"00:00\",\"end\":\"00:00\","
             "\"people\":[\"park-duty\"]}]}],"
             "\"policies\":%s}",
             k->sms.port, extra_channel_opts, k->hook.port, extra_channel_opts, k->wecom.port,
             extra_channel_opts, k->ding.port, extra_channel_opts, k->smtp.port, extra_channel_opts,
             policies);
    json_error_t je;
    json_t *cj = json_loads(cfg, 0, &je);
    assert_non_null(cj);
    snprintf(k->dir, sizeof k->dir, "%s/notify-%d-%lld",
             getenv("PARKWATCH_TMP") ? getenv("PARKWATCH_TMP") : "/tmp", (int)getpid(),
             (long long)pw_mono_ms());
    char cmd[600];
    snprintf(cmd, sizeof cmd, "mkdir -p %s", k->dir);
    assert_int_equal(system(cmd), 0);
    notify_options o = {.config = cj, .people = k->pp, .dir = k->dir};
    int rc = notify_open(&o, &k->n, err, sizeof err);
    if (rc) fprintf(stderr, "notify_open: %s\n", err);
    assert_int_equal(rc, 0);
    json_decref(cj);
}

static void park_close(park *k) {
    notify_close(k->n);
    peer_stop(&k->sms), peer_stop(&k->hook), peer_stop(&k->wecom), peer_stop(&k->ding);
    peer_stop(&k->smtp);
    people_free(k->pp);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", k->dir);
    (void)!system(cmd);
}

static uint64_t next_seq = 1;

static void raise_alarm(park *k, uint32_t rule, int prio, int64_t ts, alert_action act,
                        alert_state to) {
    alert_rule r = {.series = rule,
                    .series_name = "E001/T101/level",
                    .enterprise = "E001",
                    .kind = ALERT_HIGH_HIGH,
                    .priority = prio,
                    .unit = "m"};
    alert_event e = {.seq = next_seq++,
                     .ts_ms = ts,
                     .rule = rule,
                     .action = act,
                     .from = ALERT_NORMAL,
                     .to = to,
                     .active = to == ALERT_UNACK,
                     .value = 18.5,
                     .limit = 18};
    notify_on_alarm(k->n, &e, &r);
}

static size_t journal_count(park *k, const char *channel, const char *result, unsigned *alarms) {
    notify_delivery *d;
    size_t n;
    char err[256];
    notify_filter f = {.channel = channel, .result = result};
    assert_int_equal(notify_deliveries(k->n, 0, INT64_MAX, &f, 0, &d, &n, err, sizeof err), 0);
    if (alarms) {
        *alarms = 0;
        for (size_t i = 0; i < n; i++) *alarms += d[i].alarms;
    }
    free(d);
    return n;
}

/* 2025-06-02 (a Monday) 10:00 UTC+8 */
#define T0 ((int64_t)1748829600000)

static const char *escalating =
    "[{\"name\":\"p1\",\"priorities\":[1,2],\"notify\":{\"channels\":[\"hook\"]},"
    "\"escalation\":[{\"after_s\":300,\"posts\":[\"shift_leader\"],\"channels\":[\"sms\"]},"
    "{\"after_s\":900,\"posts\":[\"safety_director\",\"duty_officer\"],\"channels\":[\"sms\"]}]}]";

/* Due at 5 min: sent at the first tick at or after 5 min, not before; an
 * acknowledgement cancels what is left. */
static void test_escalation(void **state) {
    (void)state;
    park k;
    park_open(&k, "", escalating);
    raise_alarm(&k, 7, 1, T0, ALERT_ACT_CONDITION, ALERT_UNACK);
    notify_tick(k.n, T0);
    assert_int_equal(wait_count(&k.hook, &k.hook.accepted, 1), 1);
    notify_tick(k.n, T0 + 299999);
    assert_int_equal(wait_count(&k.sms, &k.sms.accepted, 0), 0);
    notify_tick(k.n, T0 + 300200);
    assert_int_equal(wait_count(&k.sms, &k.sms.accepted, 1), 1);
    assert_non_null(strstr(k.sms.last_body, "\"to\":\"+8613800000001\""));
    notify_delivery *d;
    size_t n;
    char err[128];
    notify_filter f = {.channel = "sms"};
    assert_int_equal(notify_deliveries(k.n, 0, INT64_MAX, &f, 0, &d, &n, err, sizeof err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(d[0].due_ms, T0 + 300000);
    assert_int_equal(d[0].step, 1);
    assert_string_equal(d[0].receipt, "biz-1");
    free(d);
    /* acknowledged at 6 min: the 15 min step never goes */
    raise_alarm(&k, 7, 1, T0 + 360000, ALERT_ACT_ACK, ALERT_ACKED);
    notify_tick(k.n, T0 + 360000);
    notify_tick(k.n, T0 + 900000);
    assert_int_equal(wait_count(&k.sms, &k.sms.accepted, 2), 1);
    /* another alarm left alone: at 15 min the director and the duty officer */
    raise_alarm(&k, 8, 1, T0 + 1000000, ALERT_ACT_CONDITION, ALERT_UNACK);
    notify_tick(k.n, T0 + 1000000);
    notify_tick(k.n, T0 + 1000000 + 900000);
    assert_int_equal(wait_count(&k.sms, &k.sms.accepted, 4), 4);
    assert_int_equal(journal_count(&k, "sms", "sent", NULL), 4);
    park_close(&k);
}

/* The same event twice, and a raise again before an acknowledgement: one
 * message. */
static void test_no_duplicate(void **state) {
    (void)state;
    park k;
    park_open(&k, "", escalating);
    alert_rule r = {.series_name = "s", .enterprise = "E001", .kind = ALERT_HIGH, .priority = 2};
    alert_event e = {.seq = 1000, .ts_ms = T0, .rule = 3, .to = ALERT_UNACK, .active = true};
    notify_on_alarm(k.n, &e, &r);
    notify_on_alarm(k.n, &e, &r); /* the same transition again */
    notify_tick(k.n, T0);
    e.seq = 1001, e.to = ALERT_RTN_UNACK, e.active = false;
    notify_on_alarm(k.n, &e, &r);
    e.seq = 1002, e.to = ALERT_UNACK, e.active = true, e.from = ALERT_RTN_UNACK;
    notify_on_alarm(k.n, &e, &r); /* chattering */
    notify_tick(k.n, T0 + 1000);
    assert_int_equal(wait_count(&k.hook, &k.hook.accepted, 2), 1);
    assert_int_equal(journal_count(&k, "hook", NULL, NULL), 1);
    park_close(&k);
}

/* 200 alarms in a minute on two channels that allow 5 single messages a
 * minute: 5 each, then one summary each speaking for the other 195. */
static void test_flood(void **state) {
    (void)state;
    park k;
    park_open(&k, ",\"flood_per_min\":5",
              "[{\"priorities\":[3],\"notify\":{\"channels\":[\"hook\",\"wecom\"]}}]");
    for (int i = 0; i < 200; i++) {
        raise_alarm(&k, 100 + i, 3, T0 + i * 250, ALERT_ACT_CONDITION, ALERT_UNACK);
        notify_tick(k.n, T0 + i * 250);
    }
    assert_int_equal(wait_count(&k.hook, &k.hook.accepted, 5), 5);
    notify_tick(k.n, T0 + 59999);
    assert_int_equal(wait_count(&k.hook, &k.hook.accepted, 6), 5);
    notify_tick(k.n, T0 + 60000);
    assert_int_equal(wait_count(&k.hook, &k.hook.accepted, 6), 6);
    assert_int_equal(wait_count(&k.wecom, &k.wecom.accepted, 6), 6);
    assert_non_null(strstr(k.hook.last_body, "\"alarms\":195"));
    assert_non_null(strstr(k.wecom.last_body, "195 alarms"));
    unsigned alarms;
    assert_int_equal(journal_count(&k, "hook", "sent", &alarms), 6);
    assert_int_equal(alarms, 200);
    assert_int_equal(journal_count(&k, "wecom", "sent", &alarms), 6);
    assert_int_equal(alarms, 200);
    /* the next minute is quiet: no second summary, and the flood is over */
    notify_tick(k.n, T0 + 125000);
    raise_alarm(&k, 999, 3, T0 + 126000, ALERT_ACT_CONDITION, ALERT_UNACK);
    notify_tick(k.n, T0 + 126000);
    assert_int_equal(wait_count(&k.hook, &k.hook.accepted, 7), 7);
    notify_channel_state cs;
    assert_int_equal(notify_channel_get(k.n, 1, &cs), 0);
    assert_string_equal(cs.name, "hook");
    assert_int_equal(cs.summaries, 1);
    park_close(&k);
}

/* Quiet hours 22:00 .. 07:00 hold a priority 3 alarm till 07:00; a
 * priority 1 alarm goes at once. */
static void test_quiet_hours(void **state) {
    (void)state;
    park k;
    park_open(&k, "",
              "[{\"notify\":{\"channels\":[\"hook\"]},\"quiet_hours\":{\"start\":"
              "\"22:00\",\"end\":\"07:00\"}}]");
    int64_t night = T0 + 13 * 3600000LL; /* 23:00 local */
    raise_alarm(&k, 1, 3, night, ALERT_ACT_CONDITION, ALERT_UNACK);
    notify_tick(k.n, night);
    assert_int_equal(wait_count(&k.hook, &k.hook.accepted, 1), 0);
    raise_alarm(&k, 2, 1, night + 1000, ALERT_ACT_CONDITION, ALERT_UNACK);
    notify_tick(k.n, night + 1000);
    assert_int_equal(wait_count(&k.hook, &k.hook.accepted, 1), 1);
    assert_non_null(strstr(k.hook.last_body, "[P1]"));
    notify_tick(k.n, night + 8 * 3600000LL - 1); /* 06:59:59.999 */
    assert_int_equal(wait_count(&k.hook, &k.hook.accepted, 2), 1);
    notify_tick(k.n, night + 8 * 3600000LL); /* 07:00 */
    assert_int_equal(wait_count(&k.hook, &k.hook.accepted, 2), 2);
    assert_non_null(strstr(k.hook.last_body, "[P3]"));
    park_close(&k);
}

/* The gateway refuses for a minute, then accepts: nothing lost, nothing
 * twice; the journal holds the failed attempts and one success each. */
static void test_channel_down(void **state) {
    (void)state;
    park k;
    park_open(&k, ",\"retry_min_ms\":200,\"retry_max_ms\":5000,\"flood_per_min\":100",
              "[{\"notify\":{\"channels\":[\"sms\",\"hook\"],\"roster\":\"enterprise\"}}]");
    k.sms.refuse = true;
    for (int i = 0; i < 5; i++) {
        raise_alarm(&k, 50 + i, 2, T0 + i, ALERT_ACT_CONDITION, ALERT_UNACK);
        notify_tick(k.n, T0 + i);
    }
    /* the other channel is not held */
    assert_int_equal(wait_count(&k.hook, &k.hook.accepted, 5), 5);
    /* the gateway stays down a minute while alarms go on coming, one
     * every 10 s: each waits in the channel's queue */
    for (int s = 1; s <= 6; s++) {
        pw_sleep_ms(10000);
        raise_alarm(&k, 60 + s, 2, T0 + s * 10000, ALERT_ACT_CONDITION, ALERT_UNACK);
        notify_tick(k.n, T0 + s * 10000);
    }
    notify_channel_state cs;
    notify_channel_get(k.n, 0, &cs); /* "sms": channels in config order */
    assert_string_equal(cs.name, "sms");
    assert_false(cs.up);
    assert_true(cs.failed >= 10); /* retried all the minute, backing off to 5 s */
    assert_int_equal(count(&k.sms, &k.sms.accepted), 0);
    assert_int_equal(wait_count(&k.hook, &k.hook.accepted, 11), 11);
    k.sms.refuse = false;
    /* back: the next retry (within 5 s) empties the queue, in order */
    for (int i = 0; i < 700 && count(&k.sms, &k.sms.accepted) < 11; i++) pw_sleep_ms(10);
    assert_int_equal(wait_count(&k.sms, &k.sms.accepted, 11), 11);
    notify_channel_get(k.n, 0, &cs);
    assert_true(cs.up);
    assert_int_equal(cs.sent, 11);
    assert_int_equal(cs.queued, 0);
    assert_int_equal(cs.dropped, 0);
    assert_int_equal(journal_count(&k, "sms", "sent", NULL),
                     (size_t)count(&k.sms, &k.sms.accepted));
    assert_int_equal(journal_count(&k, "sms", "failed", NULL), cs.failed);
    assert_int_equal((int)cs.failed, count(&k.sms, &k.sms.refused));
    park_close(&k);
}

/* WeCom markdown with the mention, DingTalk signed with at.atMobiles, a
 * mail through the SMTP sink. */
static void test_robots_and_mail(void **state) {
    (void)state;
    park k;
    park_open(&k, "", "[{\"notify\":{\"channels\":[\"wecom\",\"ding\",\"mail\"]}}]");
    raise_alarm(&k, 9, 2, T0, ALERT_ACT_CONDITION, ALERT_UNACK);
    notify_tick(k.n, T0);
    assert_int_equal(wait_count(&k.wecom, &k.wecom.accepted, 1), 1);
    assert_non_null(strstr(k.wecom.last_body, "\"msgtype\":\"markdown\""));
    assert_non_null(strstr(k.wecom.last_body, "<@zhangwei>"));
    assert_int_equal(wait_count(&k.ding, &k.ding.accepted, 1), 1);
    assert_int_equal(k.ding.bad_sign, 0);
    assert_non_null(strstr(k.ding.last_body, "\"atMobiles\":[\"13800000001\"]"));
    assert_int_equal(wait_count(&k.smtp, &k.smtp.mails, 1), 1);
    assert_non_null(strstr(k.smtp.last_rcpt, "<lead@e1.test>"));
    assert_non_null(strstr(k.smtp.last_body, "Subject: =?UTF-8?B?"));
    notify_delivery *d;
    size_t n;
    char err[128];
    notify_filter f = {.channel = "mail"};
    assert_int_equal(notify_deliveries(k.n, 0, INT64_MAX, &f, 0, &d, &n, err, sizeof err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(d[0].status, 250);
    free(d);
    park_close(&k);
}

/* A wrong signature is refused by the robot: the check can fail. */
static void test_ding_bad_secret(void **state) {
    (void)state;
    park k;
    park_open(&k, "", "[{\"notify\":{\"channels\":[\"ding\"]}}]");
    k.ding.ding_secret = "SECother";
    raise_alarm(&k, 9, 2, T0, ALERT_ACT_CONDITION, ALERT_UNACK);
    notify_tick(k.n, T0);
    assert_true(wait_count(&k.ding, &k.ding.bad_sign, 1) >= 1);
    assert_int_equal(count(&k.ding, &k.ding.accepted), 0);
    park_close(&k);
}

/* Gaps are reported; a bad field is named; on call follows the shifts. */
static void test_roster_and_config(void **state) {
    (void)state;
    json_t *pj = json_loads(people_json, 0, NULL);
    people *pp;
    char err[512];
    assert_int_equal(people_load(pj, &pp, err, sizeof err), 0);
    json_decref(pj);
    const char *cfg =
        "{\"channels\":{\"h\":{\"type\":\"webhook\",\"url\":\"http://127.0.0.1:1/\"}},"
        "\"rosters\":[{\"enterprise\":\"E001\",\"shifts\":[{\"days\":[1,2,3,4,5],\"start\":"
        "\"08:00\",\"end\":\"20:00\",\"people\":[\"e1-lead\"]},{\"days\":[1,2,3,4,5],\"start\":"
        "\"20:00\",\"end\":\"08:00\",\"people\":[\"e1-safety\"]}],\"holidays\":[{\"date\":"
        "\"2025-06-03\",\"people\":[\"e1-safety\"]}]}],\"policies\":[]}";
    char dir[512];
    snprintf(dir, sizeof dir, "%s/notify-roster-%d",
             getenv("PARKWATCH_TMP") ? getenv("PARKWATCH_TMP") : "/tmp", (int)getpid());
    json_t *cj = json_loads(cfg, 0, NULL);
    notify *n;
    notify_options o = {.config = cj, .people = pp, .dir = dir};
    assert_int_equal(notify_open(&o, &n, err, sizeof err), 0);
    /* Saturday 08:00 .. Monday 08:00 is nobody's (Friday's night shift ends
     * Saturday 08:00), reported in week order */
    assert_non_null(notify_warning(n, 1));
    assert_non_null(strstr(notify_warning(n, 0), "Mon 00:00 .. Mon 08:00"));
    assert_non_null(strstr(notify_warning(n, 1), "Sat 08:00 .. Mon 00:00"));
    assert_null(notify_warning(n, 2));
    const char *ids[4];
    assert_int_equal(notify_oncall(n, "E001", T0, ids, 4), 1); /* Monday 10:00 */
    assert_string_equal(ids[0], "e1-lead");
    assert_int_equal(notify_oncall(n, "E001", T0 + 12 * 3600000LL, ids, 4), 1); /* 22:00 */
    assert_string_equal(ids[0], "e1-safety");
    assert_int_equal(notify_oncall(n, "E001", T0 + 24 * 3600000LL, ids, 4), 1); /* holiday */
    assert_string_equal(ids[0], "e1-safety");
    notify_close(n);
    json_decref(cj);
    /* errors name the field */
    cj = json_loads("{\"channels\":{\"h\":{\"type\":\"webhook\",\"url\":\"http://x/\"}},"
                    "\"policies\":[{\"notify\":{\"channels\":[\"h\"]},\"escalation\":[{"
                    "\"after_s\":0,\"channels\":[\"h\"]}]}]}",
                    0, NULL);
    o.config = cj;
    assert_int_equal(notify_open(&o, &n, err, sizeof err), -1);
    assert_non_null(strstr(err, "notify.policies[0].escalation[0].after_s"));
    json_decref(cj);
    cj = json_loads("{\"channels\":{\"m\":{\"type\":\"smtp\",\"url\":\"http://x/\"}},"
                    "\"policies\":[]}",
                    0, NULL);
    o.config = cj;
    assert_int_equal(notify_open(&o, &n, err, sizeof err), -1);
    assert_non_null(strstr(err, "notify.channels.m.url"));
    json_decref(cj);
    people_free(pp);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escalation),      cmocka_unit_test(test_no_duplicate),
        cmocka_unit_test(test_flood),           cmocka_unit_test(test_quiet_hours),
        cmocka_unit_test(test_channel_down),    cmocka_unit_test(test_robots_and_mail),
        cmocka_unit_test(test_ding_bad_secret), cmocka_unit_test(test_roster_and_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
