/*
 * test_alarms.c - alarms through the real thing: a leak played by parksim
 * through mosquitto raises the downwind detector's alarms (high, then
 * high-high) and not the upwind one's, notified on park/alarms/E001 and
 * journalled; and after parkd restarts, the alarm is still active and is
 * not raised a second time.
 */
#include <jansson.h>
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

#include <cmocka.h>

#include "alerting/alerting.h"
#include "tests/support/park.h"

/* A tank and two combustible detectors 20 m downwind (west: the simulated
 * wind blows from the east when the layout has no weather station) and
 * 20 m upwind. */
static char *leak_layout(void) {
    const double lon0 = 121.45, lat0 = 30.80, m = 1 / (111320.0 * cos(lat0 * M_PI / 180));
    char *s = malloc(4096);
    snprintf(
        s, 4096,
        "{\"type\": \"FeatureCollection\", \"features\": ["
        "{\"type\": \"Feature\", \"geometry\": {\"type\": \"Point\", \"coordinates\": [%.8f, "
        "%.8f]}, \"properties\": {\"id\": \"T101\", \"kind\": \"tank\", \"enterprise\": "
        "\"E001\", \"capacity_m3\": 5000, \"substance\": \"propane\", \"series\": "
        "[\"E001/tankfarm-1/T101.level\"]}},"
        "{\"type\": \"Feature\", \"geometry\": {\"type\": \"Point\", \"coordinates\": [%.8f, "
        "%.8f]}, \"properties\": {\"id\": \"GD1\", \"kind\": \"gas_detector\", \"enterprise\": "
        "\"E001\", \"gas\": \"propane\", \"type\": \"combustible\", \"series\": "
        "[\"E001/gd-01/lel\"]}},"
        "{\"type\": \"Feature\", \"geometry\": {\"type\": \"Point\", \"coordinates\": [%.8f, "
        "%.8f]}, \"properties\": {\"id\": \"GD2\", \"kind\": \"gas_detector\", \"enterprise\": "
        "\"E001\", \"gas\": \"propane\", \"type\": \"combustible\", \"series\": "
        "[\"E001/gd-02/lel\"]}}]}",
        lon0, lat0, lon0 - 20 * m, lat0, lon0 + 20 * m, lat0);
    return s;
}

typedef struct inbox {
    pthread_mutex_t mu;
    char msgs[64][512];
    int n;
} inbox;

static void on_alarm(struct mosquitto *m, void *obj, const struct mosquitto_message *msg) {
    (void)m;
    inbox *b = obj;
    pthread_mutex_lock(&b->mu);
    if (b->n < 64) snprintf(b->msgs[b->n++], 512, "%.*s", msg->payloadlen, (char *)msg->payload);
    pthread_mutex_unlock(&b->mu);
}

/* Raise notifications (to "unack") so far, as "series kind" strings. */
static int raises(inbox *b, char out[][96]) {
    int k = 0;
    pthread_mutex_lock(&b->mu);
    for (int i = 0; i < b->n; i++) {
        json_t *o = json_loads(b->msgs[i], 0, NULL);
        if (o && !strcmp(json_string_value(json_object_get(o, "to")), "unack") &&
            !strcmp(json_string_value(json_object_get(o, "from")), "normal"))
            snprintf(out[k++], 96, "%s %s", json_string_value(json_object_get(o, "series")),
                     json_string_value(json_object_get(o, "kind")));
        json_decref(o);
    }
    pthread_mutex_unlock(&b->mu);
    return k;
}

static void test_leak_raises_downwind_alarms(void **state) {
    (void)state;
    park p = {0};
    char *layout = leak_layout();
    p.layout = layout;
    park_up(&p, "alarms-leak", NULL);
    /* Listen to the enterprise's alarm topic. */
    inbox box = {.n = 0};
    pthread_mutex_init(&box.mu, NULL);
    mosquitto_lib_init();
    struct mosquitto *m = mosquitto_new(NULL, true, &box);
    mosquitto_message_callback_set(m, on_alarm);
    assert_int_equal(mosquitto_connect(m, "127.0.0.1", p.port, 10), MOSQ_ERR_SUCCESS);
    assert_int_equal(mosquitto_subscribe(m, NULL, "park/alarms/#", 1), MOSQ_ERR_SUCCESS);
    assert_int_equal(mosquitto_loop_start(m), MOSQ_ERR_SUCCESS);
    char lay[700], out[700];
    snprintf(lay, sizeof lay, "%s/layout.geojson", p.dir);
    snprintf(out, sizeof out, "%s/parksim.out", p.dir);
    pid_t sim =
        park_parksim_spawn(&p, p.port, out, "--park", lay, "--rate", "4", "--duration", "14",
                           "--incident", "leak:E001:tankfarm-1:T101:at=2:rate=5:for=100", NULL);
    /* The alarms come after the 2 s on-delay. */
    char got[16][96];
    int n = 0;
    for (int i = 0; i < 400 && n < 2; i++) {
        proc_sleep_ms(20);
        n = raises(&box, got);
    }
    assert_int_equal(n, 2);
    assert_string_equal(got[0], "E001/gd-01/lel high");
    assert_string_equal(got[1], "E001/gd-01/lel high_high");
    /* parkd restarts while the leak goes on: the alarm is still active, and
     * the new parkd does not raise it again. */
    assert_int_equal(proc_stop(p.parkd, SIGTERM), 0);
    start_parkd(&p);
    assert_int_equal(proc_wait(sim, 60), 0);
    proc_sleep_ms(500);
    n = raises(&box, got);
    assert_int_equal(n, 2); /* nothing new was raised, and gd-02 (upwind) never */
    mosquitto_disconnect(m);
    mosquitto_loop_stop(m, false);
    mosquitto_destroy(m);
    mosquitto_lib_cleanup();
    park_down(&p);
    /* The journal agrees: two raises, and both still active at the end. */
    char adir[700];
    snprintf(adir, sizeof adir, "%s/alarms", p.data);
    alert_engine *e;
    char err[256];
    assert_int_equal(alert_open(adir, &e, err, sizeof err), 0);
    alert_event *ev;
    size_t ne;
    assert_int_equal(alert_journal_range(e, 0, INT64_MAX / 4, &ev, &ne), 0);
    int raised = 0;
    for (size_t i = 0; i < ne; i++) raised += ev[i].from == ALERT_NORMAL && ev[i].to == ALERT_UNACK;
    assert_int_equal(raised, 2);
    free(ev);
    alert_status *act;
    assert_int_equal(alert_active_at(e, INT64_MAX / 4 - 1, &act, &ne), 0);
    assert_int_equal(ne, 2);
    for (size_t i = 0; i < ne; i++) assert_true(act[i].active && act[i].state == ALERT_UNACK);
    free(act);
    alert_close(e);
    free(layout);
    testutil_rmtree(p.dir);
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_leak_raises_downwind_alarms),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    proc_cleanup();
    return rc;
}
