/*
 * test_delivery.c - nothing the broker acknowledged may be lost: parkd is
 * SIGKILLed, or the broker restarted, while parksim streams; every reading
 * in parksim's ledger (messages the broker PUBACKed) must then be in the
 * historian.
 */
#include <inttypes.h>
#include <math.h>
#include <mosquitto.h>
#include <pthread.h>
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
#include "tests/support/ledger.h"
#include "tests/support/park.h"

/* ---- with parksim: nothing the broker acknowledged may be missing ---- */

/* Every ledger reading must be in the historian with its value. Returns
 * the number of readings checked. */
static size_t check_ledger(hist *h, const char *path) {
    ledger_result r;
    assert_int_equal(ledger_check(h, path, &r), 0);
    if (r.lost || r.mismatched)
        fail_msg("%zu of %zu acknowledged readings are not in the historian (%zu with another "
                 "value)",
                 r.lost + r.mismatched, r.readings, r.mismatched);
    return r.readings;
}

/* Kills parkd three times during the stream and starts it again. */
static void kill_parkd(park *p) {
    for (int round = 0; round < 3; round++) {
        proc_sleep_ms(1500);
        assert_true(stat_of(p, "points") > 0 || round > 0);
        kill(p->parkd, SIGKILL);
        proc_wait(p->parkd, 10);
        proc_sleep_ms(300); /* the broker queues for the session meanwhile */
        start_parkd(p);
    }
}

/* Stops the broker (it saves its persistence on the way out) and starts it again. */
static void restart_broker(park *p) {
    proc_sleep_ms(2000);
    proc_stop(p->broker, SIGTERM);
    proc_sleep_ms(1000);
    p->broker = proc_start_broker(p->dir, p->port);
    assert_true(proc_port_open(p->port));
    for (int i = 0; i < 500 && stat_of(p, "connection_losses") < 1; i++) proc_sleep_ms(20);
    assert_true(stat_of(p, "connection_losses") >= 1);
}

/* parksim streams while disrupt() runs; then every reading the broker
 * acknowledged must be in the historian. */
static void stream_through(const char *name, const char *format, const char *seconds,
                           void (*disrupt)(park *)) {
    park p = {0};
    park_up(&p, name, NULL);
    char ledger[700], out[700];
    snprintf(ledger, sizeof ledger, "%s/ledger.txt", p.dir);
    snprintf(out, sizeof out, "%s/parksim.out", p.dir);
    pid_t sim = park_parksim(&p, ledger, out, format, "20", seconds);
    assert_true(sim > 0);
    disrupt(&p);
    assert_int_equal(proc_wait(sim, 90), 0);
    /* Everything acknowledged has reached parkd once the broker queue is empty. */
    long long last = -1;
    for (int i = 0; i < 300; i++) {
        long long m = stat_of(&p, "messages");
        if (m == last && stat_of(&p, "spool_backlog_bytes") == 0) break;
        last = m;
        proc_sleep_ms(200);
    }
    park_down(&p);
    hist *h = open_historian(&p);
    size_t n = check_ledger(h, ledger);
    assert_true(n > 1000);
    hist_error err;
    assert_int_equal(hist_close(h, &err), HIST_OK);
    testutil_rmtree(p.dir);
}

static void test_parkd_killed_mid_stream(void **state) {
    (void)state;
    stream_through("ingest-kill", "mixed", "8", kill_parkd);
}

static void test_broker_restarted_mid_stream(void **state) {
    (void)state;
    stream_through("ingest-broker", "json", "7", restart_broker);
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parkd_killed_mid_stream),
        cmocka_unit_test(test_broker_restarted_mid_stream),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    proc_cleanup();
    return rc;
}
