/*
 * test_security.c - the park broker secured (tests/support/proc.h,
 * proc_start_broker_secure): a user and password per enterprise and for
 * parkd, an ACL that lets each enterprise publish only under park/{E}/#,
 * TLS with a test CA made by openssl; and parkd refusing to start with its
 * secrets readable by group or others.
 *
 *  - parksim with per-enterprise credentials: everything acknowledged is stored;
 *  - an enterprise publishing under another's topic (or as the alarms) is
 *    refused by the broker (MQTT 5 PUBACK "not authorised") and parkd never
 *    sees the message; another enterprise cannot read it either;
 *  - clients with a wrong password, another user's password or none are refused;
 *  - parkd with a wrong password stores nothing, says why in its log, retries
 *    with backoff, and gets everything once restarted with the right one;
 *  - TLS: parkd (client certificate) and parksim over TLS end to end; a
 *    client that does not trust the CA, or has no certificate where one is
 *    required, does not get in;
 *  - parkd exits 1 naming the file when its config holding the password, its
 *    password file or its TLS key is mode 644.
 */
#include <inttypes.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "historian/historian.h"
#include "tests/support/park.h"

/* parkd's broker settings with the password file proc_secure_setup writes
 * beside the config. */
#define PARKD_USER ", \"username\": \"parkd\", \"password_file\": \"parkd.password\""
#define PARKD_TLS                                                                                  \
    PARKD_USER ", \"cafile\": \"tls/ca.crt\", \"certfile\": \"tls/parkd.crt\", \"keyfile\": "      \
               "\"tls/parkd.key\""

/* True if the file contains s. */
static bool file_has(const char *path, const char *s) {
    char *t = proc_read_file(path);
    bool has = t && strstr(t, s);
    free(t);
    return has;
}

/* How many times s occurs in the file. */
static int file_count(const char *path, const char *s) {
    char *t = proc_read_file(path);
    int n = 0;
    for (char *q = t; q && (q = strstr(q, s)); q += strlen(s)) n++;
    free(t);
    return n;
}

static void path_in(const park *p, const char *name, char *out, size_t cap) {
    snprintf(out, cap, "%s/%s", p->dir, name);
}

static void write_private(const char *path, const char *text, mode_t mode) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    assert_int_equal(fchmod(fd, mode), 0);
    close(fd);
}

static int distinct_port(int a, int b) {
    for (;;) {
        int q = proc_free_port();
        assert_true(q > 0);
        if (q != a && q != b) return q;
    }
}

/* ---- a plain MQTT 5 client (libmosquitto, run in the test's thread) ---- */

typedef struct mq {
    struct mosquitto *m;
    int connack;         /* -1 until the CONNACK */
    int pubacks, puback; /* PUBACKs seen, the last one's reason code */
    int subacks, granted;
    int received;
    bool lost;
} mq;

static void mq_on_connect(struct mosquitto *m, void *obj, int rc, int flags,
                          const mosquitto_property *props) {
    (void)m, (void)flags, (void)props;
    ((mq *)obj)->connack = rc;
}

static void mq_on_publish(struct mosquitto *m, void *obj, int mid, int reason,
                          const mosquitto_property *props) {
    (void)m, (void)mid, (void)props;
    mq *q = obj;
    q->pubacks++;
    q->puback = reason;
}

static void mq_on_subscribe(struct mosquitto *m, void *obj, int mid, int n, const int *granted) {
    (void)m, (void)mid;
    mq *q = obj;
    q->subacks++;
    q->granted = n > 0 ? granted[0] : -1;
}

static void mq_on_message(struct mosquitto *m, void *obj, const struct mosquitto_message *msg) {
    (void)m, (void)msg;
    ((mq *)obj)->received++;
}

static void mq_on_disconnect(struct mosquitto *m, void *obj, int rc) {
    (void)m, (void)rc;
    ((mq *)obj)->lost = true;
}

/* Runs the client's loop until *counter reaches target, the connection is
 * lost, or seconds pass; true if the counter got there. */
static bool mq_until(mq *q, const int *counter, int target, double seconds) {
    double until = proc_now() + seconds;
    while (*counter < target && !q->lost && proc_now() < until)
        if (mosquitto_loop(q->m, 20, 1) != MOSQ_ERR_SUCCESS) break;
    return *counter >= target;
}

/* Connects as user (NULL: anonymous) and waits for the CONNACK. Returns
 * mosquitto_connect's result; q->connack is the CONNACK's reason code, or
 * -1 when none came (refused by TLS, or the connection dropped). */
static int mq_open(mq *q, int port, const char *user, const char *pw, const char *cafile,
                   const char *cert, const char *key) {
    *q = (mq){.connack = -1};
    q->m = mosquitto_new(NULL, true, q);
    assert_non_null(q->m);
    mosquitto_int_option(q->m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
    mosquitto_connect_v5_callback_set(q->m, mq_on_connect);
    mosquitto_publish_v5_callback_set(q->m, mq_on_publish);
    mosquitto_subscribe_callback_set(q->m, mq_on_subscribe);
    mosquitto_message_callback_set(q->m, mq_on_message);
    mosquitto_disconnect_callback_set(q->m, mq_on_disconnect);
    if (user) assert_int_equal(mosquitto_username_pw_set(q->m, user, pw), MOSQ_ERR_SUCCESS);
    if (cafile)
        assert_int_equal(mosquitto_tls_set(q->m, cafile, NULL, cert, key, NULL), MOSQ_ERR_SUCCESS);
    int rc = mosquitto_connect(q->m, "127.0.0.1", port, 10);
    if (rc == MOSQ_ERR_SUCCESS) {
        double until = proc_now() + 5;
        while (q->connack < 0 && !q->lost && proc_now() < until)
            if (mosquitto_loop(q->m, 20, 1) != MOSQ_ERR_SUCCESS) break;
    }
    return rc;
}

static void mq_close(mq *q) {
    if (q->connack == 0) {
        mosquitto_disconnect(q->m);
        mosquitto_loop(q->m, 20, 1);
    }
    mosquitto_destroy(q->m);
    q->m = NULL;
}

/* Publishes a Parkwatch JSON reading at QoS 1 and waits for the PUBACK;
 * returns its reason code (-1: none). */
static int mq_publish(mq *q, const char *topic, const char *tag, double v) {
    char payload[256];
    snprintf(payload, sizeof payload, "{\"ts\": %lld, \"values\": {\"%s\": %g}}",
             (long long)proc_wall_ms(), tag, v);
    int before = q->pubacks;
    assert_int_equal(
        mosquitto_publish_v5(q->m, NULL, topic, (int)strlen(payload), payload, 1, false, NULL),
        MOSQ_ERR_SUCCESS);
    return mq_until(q, &q->pubacks, before + 1, 5) ? q->puback : -1;
}

static bool series_exists(hist *h, const char *name) {
    uint32_t id;
    hist_error err;
    return hist_series_lookup(h, name, &id, &err) == HIST_OK;
}

static size_t points_of(hist *h, const char *name) {
    uint32_t id;
    hist_error err;
    hist_samples s = {0};
    if (hist_series_lookup(h, name, &id, &err) != HIST_OK) return 0;
    assert_int_equal(hist_query_raw(h, id, 0, INT64_MAX, 0, &s, &err), HIST_OK);
    size_t n = s.n;
    hist_samples_free(&s);
    return n;
}

/* ---- the tests ---- */

/* parksim with a user per enterprise (E001..E005, PARK): everything the
 * broker acknowledged is stored, nothing rejected. */
static void test_enterprises_publish_with_their_credentials(void **state) {
    (void)state;
    proc_secure_opts so = {0};
    park p = {.secure = &so, .broker_extra = PARKD_USER};
    park_up(&p, "sec-creds", NULL);
    char creds[700], ledger[700];
    path_in(&p, "credentials.txt", creds, sizeof creds);
    path_in(&p, "ledger.txt", ledger, sizeof ledger);
    assert_int_equal(park_parksim_run(&p, p.port, "parksim", "--credentials", creds, "--format",
                                      "mixed", "--rate", "10", "--duration", "3", "--ledger",
                                      ledger, NULL),
                     0);
    wait_quiet(&p, 20);
    assert_int_equal(stat_of(&p, "messages_rejected"), 0);
    park_down(&p);
    hist *h = open_historian(&p);
    ledger_result lr = check_ledger(h, ledger);
    assert_true(lr.lines > 500);
    assert_int_equal(lr.conflicting, 0);
    assert_true(series_exists(h, "PARK/met-1/wind_speed"));
    close_historian(h);
    testutil_rmtree(p.dir);
}

/* E001 may not publish under E002's topic nor as the alarms: the broker
 * refuses (MQTT 5 PUBACK 0x87) and parkd never sees those messages; E002
 * does not get to read E001's data either. */
static void test_acl_keeps_enterprises_apart(void **state) {
    (void)state;
    proc_secure_opts so = {0};
    park p = {.secure = &so, .broker_extra = PARKD_USER};
    park_up(&p, "sec-acl", NULL);
    char pw1[64], pw2[64];
    assert_int_equal(proc_credential(p.dir, "E001", pw1, sizeof pw1), 0);
    assert_int_equal(proc_credential(p.dir, "E002", pw2, sizeof pw2), 0);
    mq e1, e2;
    assert_int_equal(mq_open(&e1, p.port, "E001", pw1, NULL, NULL, NULL), MOSQ_ERR_SUCCESS);
    assert_int_equal(e1.connack, 0);
    assert_int_equal(mq_open(&e2, p.port, "E002", pw2, NULL, NULL, NULL), MOSQ_ERR_SUCCESS);
    assert_int_equal(e2.connack, 0);
    /* E002 listens for E001's data (its subscription may be granted or not:
     * either way nothing may arrive). */
    assert_int_equal(mosquitto_subscribe(e2.m, NULL, "park/E001/#", 1), MOSQ_ERR_SUCCESS);
    assert_true(mq_until(&e2, &e2.subacks, 1, 5));
    assert_int_equal(mosquitto_subscribe(e2.m, NULL, "park/+/+/data", 1), MOSQ_ERR_SUCCESS);
    assert_true(mq_until(&e2, &e2.subacks, 2, 5));

    assert_int_equal(mq_publish(&e1, "park/E002/dev-x/data", "x", 1), MQTT_RC_NOT_AUTHORIZED);
    assert_int_equal(mq_publish(&e1, "park/alarms/E001", "x", 1), MQTT_RC_NOT_AUTHORIZED);
    assert_int_equal(mq_publish(&e1, "park/PARK/met-1/data", "wind_speed", 99),
                     MQTT_RC_NOT_AUTHORIZED);
    /* ... and its own topic goes through, after the refused ones. */
    assert_int_equal(mq_publish(&e1, "park/E001/dev-x/data", "x", 2), 0);
    wait_messages(&p, 1);
    proc_sleep_ms(500);
    mq_until(&e2, &e2.received, 1, 0.5);
    assert_int_equal(stat_of(&p, "messages"), 1);
    assert_int_equal(stat_of(&p, "messages_rejected"), 0);
    assert_int_equal(stat_of(&p, "points"), 1);
    assert_int_equal(e2.received, 0);
    mq_close(&e1);
    mq_close(&e2);
    assert_true(file_has(p.log, "connected to")); /* parkd itself was never refused */
    park_down(&p);
    hist *h = open_historian(&p);
    assert_int_equal(points_of(h, "E001/dev-x/x"), 1);
    assert_false(series_exists(h, "E002/dev-x/x"));
    assert_int_equal(points_of(h, "PARK/met-1/wind_speed"), 0);
    close_historian(h);
    testutil_rmtree(p.dir);
}

/* Wrong password, another enterprise's password, no user: refused; parksim
 * with one wrong password in its credentials stops before publishing. */
static void test_wrong_credentials_are_refused(void **state) {
    (void)state;
    proc_secure_opts so = {0};
    park p = {.secure = &so, .broker_extra = PARKD_USER};
    park_up(&p, "sec-wrongpw", NULL);
    char pw2[64];
    assert_int_equal(proc_credential(p.dir, "E002", pw2, sizeof pw2), 0);
    const char *users[][2] = {
        {"E001", "not-the-password"}, {"E001", pw2}, {NULL, NULL}, {"intruder", "x"}};
    for (size_t i = 0; i < sizeof users / sizeof users[0]; i++) {
        mq q;
        mq_open(&q, p.port, users[i][0], users[i][1], NULL, NULL, NULL);
        /* MQTT 5: 0x86 bad user name or password, or 0x87 not authorised */
        if (q.connack != MQTT_RC_BAD_USERNAME_OR_PASSWORD && q.connack != MQTT_RC_NOT_AUTHORIZED)
            fail_msg("user %s: CONNACK %d", users[i][0] ? users[i][0] : "(none)", q.connack);
        mq_close(&q);
    }
    /* Every enterprise right but E003. */
    char good[700], bad[700];
    path_in(&p, "credentials.txt", good, sizeof good);
    path_in(&p, "bad-credentials.txt", bad, sizeof bad);
    char *text = proc_read_file(good);
    assert_non_null(text);
    char *e3 = strstr(text, "E003 ");
    assert_non_null(e3);
    memcpy(e3 + 5, "0000", 4);
    write_private(bad, text, 0600);
    free(text);
    char ledger[700], out[700];
    path_in(&p, "ledger.txt", ledger, sizeof ledger);
    path_in(&p, "parksim.out", out, sizeof out);
    assert_int_equal(park_parksim_run(&p, p.port, "parksim", "--credentials", bad, "--rate", "10",
                                      "--duration", "2", "--ledger", ledger, NULL),
                     1);
    assert_true(file_has(out, "refused parksim-E003"));
    assert_true(file_has(out, "not authorised"));
    proc_sleep_ms(300);
    assert_int_equal(stat_of(&p, "points"), 0);
    park_down(&p);
    char blog[700];
    path_in(&p, "mosquitto.log", blog, sizeof blog);
    assert_true(file_has(blog, "not authorised"));
    testutil_rmtree(p.dir);
}

/* parkd with a wrong password: not connected, nothing stored, the reason
 * in its log, retries spaced out by backoff, alive; restarted with the right
 * password it gets what the broker queued for its session meanwhile. */
static void test_parkd_wrong_password(void **state) {
    (void)state;
    proc_secure_opts so = {0};
    park p = {.secure = &so, .broker_extra = PARKD_USER};
    park_up(&p, "sec-parkd-pw", NULL); /* its session and subscriptions exist now */
    assert_int_equal(proc_stop(p.parkd, SIGTERM), 0);
    char wrong[700];
    path_in(&p, "wrong.password", wrong, sizeof wrong);
    write_private(wrong, "not-the-password\n", 0600);
    p.broker_extra = ", \"username\": \"parkd\", \"password_file\": \"wrong.password\"";
    write_config(&p, NULL);
    unlink(p.stats);
    unlink(p.log);
    spawn_parkd(&p);

    char pw1[64];
    assert_int_equal(proc_credential(p.dir, "E001", pw1, sizeof pw1), 0);
    mq e1;
    assert_int_equal(mq_open(&e1, p.port, "E001", pw1, NULL, NULL, NULL), MOSQ_ERR_SUCCESS);
    assert_int_equal(e1.connack, 0);
    for (int i = 0; i < 20; i++) {
        assert_int_equal(mq_publish(&e1, "park/E001/dev-y/data", "y", i), 0);
        proc_sleep_ms(2); /* distinct timestamps */
    }
    mq_close(&e1);
    proc_sleep_ms(3500);
    int st;
    assert_int_equal(waitpid(p.parkd, &st, WNOHANG), 0); /* still running */
    assert_int_equal(stat_of(&p, "connects"), 0);
    assert_false(file_has(p.stats, "\"connected\": true"));
    assert_int_equal(stat_of(&p, "points"), 0);
    assert_true(file_has(p.log, "not authorised"));
    assert_true(file_has(p.log, "refused the connection as user parkd"));
    /* Backoff from 0.25 s: about 4 tries in 3.5 s, not one every 250 ms. */
    int tries = file_count(p.log, "refused the connection");
    if (tries < 2 || tries > 6) fail_msg("%d connection attempts in 3.5 s; see %s", tries, p.log);
    assert_int_equal(proc_stop(p.parkd, SIGTERM), 0);

    p.broker_extra = PARKD_USER;
    write_config(&p, NULL);
    start_parkd(&p);
    wait_messages(&p, 20);
    park_down(&p);
    hist *h = open_historian(&p);
    assert_int_equal(points_of(h, "E001/dev-y/y"), 20);
    close_historian(h);
    testutil_rmtree(p.dir);
}

/* TLS: parkd over the listener requiring a client certificate (its own,
 * CN parkd, plus its password), parksim over the TLS listener with the
 * test CA; every acknowledged reading stored. A client trusting another CA,
 * one without a certificate where one is required, one speaking plain MQTT
 * to TLS: none gets in; nor parkd trusting another CA. */
static void test_tls(void **state) {
    (void)state;
    proc_secure_opts so = {0};
    so.tls_port = distinct_port(0, 0);
    so.mtls_port = distinct_port(so.tls_port, 0);
    park p = {.secure = &so, .broker_extra = PARKD_TLS, .broker_port = so.mtls_port};
    park_up(&p, "sec-tls", NULL);
    assert_true(so.tls_port != p.port && so.mtls_port != p.port);
    char logline[64];
    snprintf(logline, sizeof logline, "connected to 127.0.0.1:%d", so.mtls_port);
    assert_true(file_has(p.log, logline));

    char creds[700], ca[700], ledger[700];
    path_in(&p, "credentials.txt", creds, sizeof creds);
    path_in(&p, "tls/ca.crt", ca, sizeof ca);
    path_in(&p, "ledger.txt", ledger, sizeof ledger);
    assert_int_equal(park_parksim_run(&p, so.tls_port, "parksim", "--credentials", creds,
                                      "--cafile", ca, "--format", "json", "--rate", "10",
                                      "--duration", "3", "--ledger", ledger, NULL),
                     0);
    wait_quiet(&p, 20);
    assert_true(stat_of(&p, "points") > 500);

    /* Another CA: the broker's certificate is not trusted. */
    char other[700], other_ca[700], out[700];
    path_in(&p, "other", other, sizeof other);
    assert_int_equal(proc_make_ca(other, "Some other CA"), 0);
    path_in(&p, "other/ca.crt", other_ca, sizeof other_ca);
    path_in(&p, "untrusted.out", out, sizeof out);
    assert_int_equal(park_parksim_run(&p, so.tls_port, "untrusted", "--credentials", creds,
                                      "--cafile", other_ca, "--rate", "10", "--duration", "1",
                                      NULL),
                     1);
    assert_true(file_has(out, "TLS"));
    char pw1[64];
    assert_int_equal(proc_credential(p.dir, "E001", pw1, sizeof pw1), 0);
    mq q;
    mq_open(&q, so.tls_port, "E001", pw1, other_ca, NULL, NULL);
    assert_int_not_equal(q.connack, 0);
    mq_close(&q);
    /* The right CA but no client certificate where one is required. */
    mq_open(&q, so.mtls_port, "E001", pw1, ca, NULL, NULL);
    assert_int_not_equal(q.connack, 0);
    mq_close(&q);
    /* Plain MQTT to the TLS listener. */
    mq_open(&q, so.tls_port, "E001", pw1, NULL, NULL, NULL);
    assert_int_not_equal(q.connack, 0);
    mq_close(&q);
    /* The right CA and password over TLS: in (the listener works for E001 too). */
    mq_open(&q, so.tls_port, "E001", pw1, ca, NULL, NULL);
    assert_int_equal(q.connack, 0);
    mq_close(&q);
    park_down(&p);

    hist *h = open_historian(&p);
    ledger_result lr = check_ledger(h, ledger);
    assert_true(lr.lines > 500);
    assert_int_equal(lr.conflicting, 0);
    close_historian(h);

    /* parkd trusting another CA does not connect, and says why (OpenSSL's reason). */
    park_start_broker(&p);
    p.broker_extra = PARKD_USER ", \"cafile\": \"other/ca.crt\", \"certfile\": \"tls/parkd.crt\", "
                                "\"keyfile\": \"tls/parkd.key\"";
    write_config(&p, NULL);
    unlink(p.stats);
    unlink(p.log);
    spawn_parkd(&p);
    proc_sleep_ms(2000);
    assert_int_equal(stat_of(&p, "connects"), 0);
    assert_true(file_has(p.log, "certificate verify failed"));
    park_down(&p);
    testutil_rmtree(p.dir);
}

/* Runs parkd, which must exit 1 at once naming path. */
static void expect_refusal(park *p, const char *path) {
    unlink(p->log);
    spawn_parkd(p);
    int rc = proc_wait(p->parkd, 20);
    p->parkd = 0;
    char *log = proc_read_file(p->log);
    if (rc != 1 || !log || !strstr(log, path) || !strstr(log, "chmod 600"))
        fail_msg("parkd exited %d; log: %s", rc, log ? log : "(none)");
    free(log);
}

/* The config holding the password inline, the password file, the TLS key:
 * mode 644 and parkd refuses to start (exit 1, naming the file); 600 and
 * it runs. */
static void test_parkd_refuses_readable_secrets(void **state) {
    (void)state;
    proc_secure_opts so = {0};
    so.tls_port = distinct_port(0, 0);
    park p = {.secure = &so, .broker_extra = PARKD_USER};
    park_up(&p, "sec-modes", NULL);
    assert_int_equal(proc_stop(p.parkd, SIGTERM), 0);

    /* The password inline in the config. */
    char pw[64], extra[256];
    assert_int_equal(proc_credential(p.dir, "parkd", pw, sizeof pw), 0);
    snprintf(extra, sizeof extra, ", \"username\": \"parkd\", \"password\": \"%s\"", pw);
    p.broker_extra = extra;
    write_config(&p, NULL);
    assert_int_equal(chmod(p.config, 0644), 0);
    expect_refusal(&p, p.config);
    assert_int_equal(chmod(p.config, 0640), 0);
    expect_refusal(&p, p.config);
    assert_int_equal(chmod(p.config, 0600), 0);
    start_parkd(&p); /* connects with the inline password */
    assert_int_equal(proc_stop(p.parkd, SIGTERM), 0);

    /* The password file; the config without a password may be 644. */
    char pwfile[700];
    path_in(&p, "parkd.password", pwfile, sizeof pwfile);
    p.broker_extra = PARKD_USER;
    write_config(&p, NULL);
    assert_int_equal(chmod(p.config, 0644), 0);
    assert_int_equal(chmod(pwfile, 0644), 0);
    expect_refusal(&p, pwfile);
    assert_int_equal(chmod(pwfile, 0600), 0);
    start_parkd(&p);
    assert_int_equal(proc_stop(p.parkd, SIGTERM), 0);

    /* The TLS key. */
    char key[700];
    path_in(&p, "tls/parkd.key", key, sizeof key);
    p.broker_extra = PARKD_TLS;
    p.broker_port = so.tls_port;
    write_config(&p, NULL);
    assert_int_equal(chmod(key, 0644), 0);
    expect_refusal(&p, key);
    assert_int_equal(chmod(key, 0600), 0);
    start_parkd(&p);
    park_down(&p);
    testutil_rmtree(p.dir);
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    mosquitto_lib_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_enterprises_publish_with_their_credentials),
        cmocka_unit_test(test_acl_keeps_enterprises_apart),
        cmocka_unit_test(test_wrong_credentials_are_refused),
        cmocka_unit_test(test_parkd_wrong_password),
        cmocka_unit_test(test_tls),
        cmocka_unit_test(test_parkd_refuses_readable_secrets),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    proc_cleanup();
    mosquitto_lib_cleanup();
    return rc;
}
