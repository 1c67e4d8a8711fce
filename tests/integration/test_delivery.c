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
#include "tests/support/park.h"

/* ---- with parksim: nothing the broker acknowledged may be missing ---- */

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

/* Stops the broker (it saves its persistence on the way out) and starts it
 * again. parkd is on its unix socket here (parksim on TCP), so the reconnect
 * over the socket is what is tested. */
static void restart_broker(park *p) {
    proc_sleep_ms(2000);
    proc_stop(p->broker, SIGTERM);
    proc_sleep_ms(1000);
    park_start_broker(p);
    for (int i = 0; i < 500 && stat_of(p, "connection_losses") < 1; i++) proc_sleep_ms(20);
    assert_true(stat_of(p, "connection_losses") >= 1);
}

/* parksim streams while disrupt() runs; then every reading the broker
 * acknowledged must be in the historian. */
static void stream_through(const char *name, const char *format, const char *seconds,
                           bool via_socket, void (*disrupt)(park *)) {
    park p = {.via_socket = via_socket};
    park_up(&p, name, NULL);
    if (via_socket) { /* and not TCP */
        char *log = proc_read_file(p.log);
        assert_non_null(log);
        assert_non_null(strstr(log, "connected to socket "));
        free(log);
    }
    char ledger[700], out[700];
    snprintf(ledger, sizeof ledger, "%s/ledger.txt", p.dir);
    snprintf(out, sizeof out, "%s/parksim.out", p.dir);
    pid_t sim = park_parksim(&p, ledger, out, format, "20", seconds);
    assert_true(sim > 0);
    disrupt(&p);
    assert_int_equal(proc_wait(sim, 90), 0);
    /* Everything acknowledged has reached parkd once the broker queue is empty. */
    wait_quiet(&p, 60);
    park_down(&p);
    hist *h = open_historian(&p);
    assert_true(check_ledger(h, ledger).readings > 1000);
    close_historian(h);
    testutil_rmtree(p.dir);
}

static void test_parkd_killed_mid_stream(void **state) {
    (void)state;
    stream_through("ingest-kill", "mixed", "8", false, kill_parkd);
}

static void test_broker_restarted_mid_stream(void **state) {
    (void)state;
    stream_through("ingest-broker", "json", "7", true, restart_broker);
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
