/*
 * test_takeover.c - a broker login must not take over another client's
 * session (issue 16): the park broker as the demo runs it, its config,
 * users, passwords and ACL written by scripts/park-broker.sh itself.
 *
 *  - as configured (use_username_as_clientid): an enterprise login using
 *    parkd's client id, the id the broker gives parkd, or another
 *    enterprise's gateway id disturbs nobody: parkd stays connected and
 *    stores every reading the broker acknowledged, the other enterprise's
 *    gateway stays connected and its last will never fires;
 *  - without use_username_as_clientid (what the review found): the same
 *    logins knock the gateway off (its will "offline" reaches parkd) and
 *    take parkd's session, and parkd warns and counts each takeover:
 *    a reconnect that finds the session gone, or drops twice in a minute;
 *  - parkd's own credentials used twice (the one takeover the config
 *    leaves possible): parkd warns and counts it, and gets data again.
 */
#include <inttypes.h>
#include <mosquitto.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "tests/support/park.h"

#define PARKD_USER ", \"username\": \"parkd\", \"password_file\": \"parkd.password\""
#define PARKD_ID   "parkd-test" /* park.h's config */

static bool file_has(const char *path, const char *s) {
    char *t = proc_read_file(path);
    bool has = t && strstr(t, s);
    free(t);
    return has;
}

/* The demo's broker (scripts/park-broker.sh: users E001..E005, PARK and
 * parkd, secrets in p->dir) on a free port; tie_ids false drops its
 * use_username_as_clientid. parkd connected as user parkd. */
static void park_up_demo_broker(park *p, const char *name, bool tie_ids) {
    park_dirs(p, name);
    char script[PATH_MAX], port[16], conf[700], log[700];
    snprintf(script, sizeof script, "%s/scripts/park-broker.sh", PARKWATCH_SOURCE_DIR);
    snprintf(port, sizeof port, "%d", p->port);
    snprintf(conf, sizeof conf, "%s/mosquitto.conf", p->dir);
    snprintf(log, sizeof log, "%s/mosquitto.log", p->dir);
    char *argv[] = {"/bin/bash", script, p->dir, p->dir, port,   "E001",
                    "E002",      "E003", "E004", "E005", "PARK", NULL};
    assert_int_equal(proc_run(argv, log), 0);
    char *text = proc_read_file(conf);
    assert_non_null(text);
    const char *tie = "use_username_as_clientid true\n";
    char *at = strstr(text, tie);
    assert_non_null(at); /* the demo's config ties ids to logins */
    if (!tie_ids) memmove(at, at + strlen(tie), strlen(at + strlen(tie)) + 1);
    FILE *f = fopen(conf, "w");
    assert_non_null(f);
    /* Root would switch to the mosquitto user, who cannot read this dir. */
    fprintf(f, "%s%s", text, geteuid() == 0 ? "user root\n" : "");
    fclose(f);
    free(text);
    char *mosq[] = {"/usr/sbin/mosquitto", "-c", conf, NULL};
    p->broker = proc_spawn(mosq, log);
    assert_true(p->broker > 0);
    for (int i = 0; i < 500 && !proc_port_open(p->port); i++) proc_sleep_ms(10);
    assert_true(proc_port_open(p->port));
    p->broker_extra = PARKD_USER;
    write_config(p, NULL);
    start_parkd(p);
}

static void password_of(const park *p, const char *user, char *out, size_t cap) {
    if (strcmp(user, "parkd")) {
        assert_int_equal(proc_credential(p->dir, user, out, cap), 0);
        return;
    }
    char path[700];
    snprintf(path, sizeof path, "%s/parkd.password", p->dir);
    char *t = proc_read_file(path);
    assert_non_null(t);
    snprintf(out, cap, "%.*s", (int)strcspn(t, "\n"), t);
    free(t);
}

/* ---- an MQTT 3.1.1 client, as mosquitto_pub and the gateways speak ---- */

typedef struct mq {
    struct mosquitto *m;
    int connack; /* -1 until the CONNACK */
    int pubacks;
    bool lost;
} mq;

static void mq_on_connect(struct mosquitto *m, void *obj, int rc) {
    (void)m;
    ((mq *)obj)->connack = rc;
}

static void mq_on_publish(struct mosquitto *m, void *obj, int mid) {
    (void)m, (void)mid;
    ((mq *)obj)->pubacks++;
}

static void mq_on_disconnect(struct mosquitto *m, void *obj, int rc) {
    (void)m, (void)rc;
    ((mq *)obj)->lost = true;
}

/* Runs the client's loop for seconds, or until *counter reaches target. */
static void mq_pump(mq *q, double seconds, const int *counter, int target) {
    double until = proc_now() + seconds;
    while (proc_now() < until && !q->lost && !(counter && *counter >= target))
        if (mosquitto_loop(q->m, 20, 1) != MOSQ_ERR_SUCCESS) break;
}

/* Connects as user with client id (clean or persistent session; will:
 * a retained "offline" on that topic, or NULL); true on CONNACK 0. */
static bool mq_open(mq *q, const park *p, const char *user, const char *id, bool clean,
                    const char *will) {
    char pw[128];
    password_of(p, user, pw, sizeof pw);
    *q = (mq){.connack = -1};
    q->m = mosquitto_new(id, clean, q);
    assert_non_null(q->m);
    mosquitto_connect_callback_set(q->m, mq_on_connect);
    mosquitto_publish_callback_set(q->m, mq_on_publish);
    mosquitto_disconnect_callback_set(q->m, mq_on_disconnect);
    assert_int_equal(mosquitto_username_pw_set(q->m, user, pw), MOSQ_ERR_SUCCESS);
    if (will) assert_int_equal(mosquitto_will_set(q->m, will, 7, "offline", 1, true), 0);
    assert_int_equal(mosquitto_connect(q->m, "127.0.0.1", p->port, 10), MOSQ_ERR_SUCCESS);
    double until = proc_now() + 5;
    while (q->connack < 0 && !q->lost && proc_now() < until)
        if (mosquitto_loop(q->m, 20, 1) != MOSQ_ERR_SUCCESS) break;
    return q->connack == 0;
}

/* QoS 1; true once the broker acknowledged it. */
static bool mq_publish(mq *q, const char *topic, const char *payload, bool retain) {
    int before = q->pubacks;
    if (mosquitto_publish(q->m, NULL, topic, (int)strlen(payload), payload, 1, retain) != 0)
        return false;
    mq_pump(q, 5, &q->pubacks, before + 1);
    return q->pubacks > before;
}

static void mq_close(mq *q) {
    if (!q->lost) {
        mosquitto_disconnect(q->m);
        mosquitto_loop(q->m, 20, 1);
    }
    mosquitto_destroy(q->m);
}

/* One intrusion: user connects with client id, publishes a reading of its
 * own (acknowledged: the login works) and stays for seconds. */
static void intrude(const park *p, const char *user, const char *id, bool clean, double seconds) {
    mq q;
    assert_true(mq_open(&q, p, user, id, clean, NULL));
    char topic[64], payload[128];
    snprintf(topic, sizeof topic, "park/%s/intruder/data", user);
    snprintf(payload, sizeof payload, "{\"ts\": %lld, \"values\": {\"x\": 1}}",
             (long long)proc_wall_ms());
    assert_true(mq_publish(&q, topic, payload, false));
    mq_pump(&q, seconds, NULL, 0);
    mq_close(&q);
}

/* E002's gateway: client id parksim-E002, its will "offline", "online" now. */
static void gateway_up(mq *gw, const park *p) {
    assert_true(mq_open(gw, p, "E002", "parksim-E002", true, "park/E002/gateway/status"));
    assert_true(mq_publish(gw, "park/E002/gateway/status", "online", true));
}

static void wait_stat(const park *p, const char *key, long long at_least, double seconds) {
    double until = proc_now() + seconds;
    while (stat_of(p, key) < at_least && proc_now() < until) proc_sleep_ms(20);
    if (stat_of(p, key) < at_least)
        fail_msg("%s is %lld, not %lld; see %s", key, stat_of(p, key), at_least, p->log);
}

/* The demo's config: E003's login with parkd's ids and E002's gateway's,
 * while parksim publishes as E001 and PARK: nobody is disturbed. */
static void test_logins_cannot_take_ids(void **state) {
    (void)state;
    park p = {0};
    park_up_demo_broker(&p, "takeover-tied", true);
    mq gw;
    gateway_up(&gw, &p);
    char creds[700], ledger[700], out[700], blog[700];
    snprintf(creds, sizeof creds, "%s/credentials.txt", p.dir);
    snprintf(ledger, sizeof ledger, "%s/ledger.txt", p.dir);
    snprintf(out, sizeof out, "%s/parksim.out", p.dir);
    snprintf(blog, sizeof blog, "%s/mosquitto.log", p.dir);
    pid_t sim = park_parksim_spawn(&p, 0, out, "--credentials", creds, "--enterprises", "1",
                                   "--format", "json", "--rate", "20", "--duration", "8",
                                   "--ledger", ledger, (const char *)NULL);
    assert_true(sim > 0);
    mq_pump(&gw, 1, NULL, 0); /* parksim's "online" statuses arrive meanwhile */
    long long statuses = stat_of(&p, "status_messages");

    const char *ids[] = {PARKD_ID, "parkd", "parksim-E002", "E002", "parksim-E001", "E001"};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        intrude(&p, "E003", ids[i], true, 0.1);
        mq_pump(&gw, 0.2, NULL, 0);
    }
    intrude(&p, "E003", PARKD_ID, false, 1); /* a persistent session, held a while */
    mq_pump(&gw, 0.5, NULL, 0);

    assert_false(gw.lost); /* E002's gateway was never knocked off */
    assert_true(mq_publish(&gw, "park/E002/gateway/status", "online", true));
    /* That "online" is the one status since: no "offline" will came before it. */
    wait_stat(&p, "status_messages", statuses + 1, 5);
    proc_sleep_ms(300);
    assert_int_equal(stat_of(&p, "status_messages"), statuses + 1);
    assert_int_equal(proc_wait(sim, 30), 0);
    wait_quiet(&p, 20);
    assert_int_equal(stat_of(&p, "connects"), 1);
    assert_int_equal(stat_of(&p, "connection_losses"), 0);
    assert_int_equal(stat_of(&p, "broker_session_takeovers"), 0);
    assert_false(file_has(blog, "already connected"));
    mq_close(&gw);
    park_down(&p);
    hist *h = open_historian(&p);
    ledger_result lr = check_ledger(h, ledger); /* every acknowledged reading stored */
    assert_true(lr.lines > 100);
    close_historian(h);
    testutil_rmtree(p.dir);
}

/* Without use_username_as_clientid, E003's login knocks E002's gateway off
 * (its will reaches parkd) and takes parkd's session; parkd counts it. */
static void test_takeover_without_tied_ids(void **state) {
    (void)state;
    park p = {0};
    park_up_demo_broker(&p, "takeover-open", false);
    mq gw;
    gateway_up(&gw, &p);
    wait_stat(&p, "status_messages", 1, 5);

    intrude(&p, "E003", "parksim-E002", true, 0.1);
    mq_pump(&gw, 1, NULL, 0);
    assert_true(gw.lost);
    wait_stat(&p, "status_messages", 2, 5); /* E002's will: "offline" */

    /* An intruder that keeps the session: the first drop alone is not
     * told from a broker restart; the second within a minute is. */
    intrude(&p, "E003", PARKD_ID, false, 0.1);
    wait_stat(&p, "connects", 2, 10);
    assert_int_equal(stat_of(&p, "broker_session_takeovers"), 0);
    intrude(&p, "E003", PARKD_ID, false, 0.1);
    wait_stat(&p, "connects", 3, 10);
    assert_int_equal(stat_of(&p, "broker_session_takeovers"), 1);
    /* A clean session discards parkd's: the reconnect finds it gone. */
    intrude(&p, "E003", PARKD_ID, true, 0.1);
    wait_stat(&p, "broker_session_takeovers", 2, 10);
    assert_true(file_has(p.log, "session takeover"));
    assert_true(file_has(p.log, "client id " PARKD_ID " of user parkd"));
    assert_true(file_has(p.log, "the reconnect found the session gone"));
    assert_true(file_has(p.log, "twice within a minute"));
    char blog[700];
    snprintf(blog, sizeof blog, "%s/mosquitto.log", p.dir);
    assert_true(file_has(blog, "already connected"));
    mq_close(&gw);
    park_down(&p);
    testutil_rmtree(p.dir);
}

/* The demo's config, parkd's own credentials used a second time: the broker
 * gives that connection parkd's id and it takes parkd's session; parkd
 * warns, counts it, and takes its session back. */
static void test_parkd_credentials_twice(void **state) {
    (void)state;
    park p = {0};
    park_up_demo_broker(&p, "takeover-parkd", true);
    mq q;
    assert_true(mq_open(&q, &p, "parkd", "some-other-id", true, NULL));
    mq_pump(&q, 0.3, NULL, 0);
    mq_close(&q);
    wait_stat(&p, "broker_session_takeovers", 1, 10);
    wait_stat(&p, "connects", 2, 10);
    assert_true(file_has(p.log, "session takeover"));
    assert_true(file_has(p.log, "the reconnect found the session gone"));
    /* Subscribed again: E001's reading arrives. */
    mq e1;
    assert_true(mq_open(&e1, &p, "E001", "parksim-E001", true, NULL));
    char payload[128];
    snprintf(payload, sizeof payload, "{\"ts\": %lld, \"values\": {\"x\": 2}}",
             (long long)proc_wall_ms());
    assert_true(mq_publish(&e1, "park/E001/dev-z/data", payload, false));
    mq_close(&e1);
    wait_messages(&p, 1);
    assert_int_equal(stat_of(&p, "broker_session_takeovers"), 1);
    park_down(&p);
    testutil_rmtree(p.dir);
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    mosquitto_lib_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_logins_cannot_take_ids),
        cmocka_unit_test(test_takeover_without_tied_ids),
        cmocka_unit_test(test_parkd_credentials_twice),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    proc_cleanup();
    mosquitto_lib_cleanup();
    return rc;
}
