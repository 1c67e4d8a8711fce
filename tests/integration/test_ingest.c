/*
 * test_ingest.c - the ingest path end to end with the real programs: a
 * mosquitto broker on a free loopback port, parkd, and parksim or this
 * test's own publisher; the historian is read back after parkd stops.
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

/* ---- a publisher of our own, for exact payloads ---- */

typedef struct publisher {
    struct mosquitto *m;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int acked;
} publisher;

static void on_publish(struct mosquitto *m, void *obj, int mid) {
    (void)m, (void)mid;
    publisher *pub = obj;
    pthread_mutex_lock(&pub->mu);
    pub->acked++;
    pthread_cond_broadcast(&pub->cv);
    pthread_mutex_unlock(&pub->mu);
}

static void pub_open(publisher *pub, int port) {
    memset(pub, 0, sizeof *pub);
    pthread_mutex_init(&pub->mu, NULL);
    pthread_cond_init(&pub->cv, NULL);
    mosquitto_lib_init();
    pub->m = mosquitto_new(NULL, true, pub);
    assert_non_null(pub->m);
    mosquitto_publish_callback_set(pub->m, on_publish);
    assert_int_equal(mosquitto_connect(pub->m, "127.0.0.1", port, 10), MOSQ_ERR_SUCCESS);
    assert_int_equal(mosquitto_loop_start(pub->m), MOSQ_ERR_SUCCESS);
}

static int n_published;

/* Publishes with QoS 1 and waits for the broker's PUBACK. */
static void pub_send(publisher *pub, const char *topic, const void *payload, size_t len) {
    pthread_mutex_lock(&pub->mu);
    int want = pub->acked + 1;
    pthread_mutex_unlock(&pub->mu);
    assert_int_equal(mosquitto_publish(pub->m, NULL, topic, (int)len, payload, 1, false),
                     MOSQ_ERR_SUCCESS);
    pthread_mutex_lock(&pub->mu);
    while (pub->acked < want) pthread_cond_wait(&pub->cv, &pub->mu);
    pthread_mutex_unlock(&pub->mu);
    n_published++;
}

static void pub_str(publisher *pub, const char *topic, const char *fmt, ...) {
    char buf[8192];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    pub_send(pub, topic, buf, (size_t)n);
}

static void pub_close(publisher *pub) {
    mosquitto_disconnect(pub->m);
    mosquitto_loop_stop(pub->m, false);
    mosquitto_destroy(pub->m);
    mosquitto_lib_cleanup();
}

static int64_t now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* The one point of a series at ts; fails the test if absent. */
static hist_value point_at(hist *h, const char *series, int64_t ts) {
    uint32_t id;
    hist_error err;
    if (hist_series_lookup(h, series, &id, &err) != HIST_OK) fail_msg("%s", err.msg);
    hist_samples s = {0};
    assert_int_equal(hist_query_raw(h, id, ts, ts + 1, 0, &s, &err), HIST_OK);
    if (s.n != 1) fail_msg("%s at %" PRId64 ": %zu points", series, ts, s.n);
    hist_value v = {
        .present = true, .ts_ms = s.v[0].ts_ms, .value = s.v[0].value, .quality = s.v[0].quality};
    hist_samples_free(&s);
    return v;
}

static size_t series_count(hist *h, const char *prefix) {
    hist_series_list l = {0};
    hist_error err;
    assert_int_equal(hist_series_find(h, prefix, &l, &err), HIST_OK);
    size_t n = l.n;
    hist_series_list_free(&l);
    return n;
}

/* ---- tests ---- */

static void test_each_format_stored_exactly(void **state) {
    (void)state;
    park p = {0};
    park_up(&p, "ingest-formats", NULL);
    publisher pub;
    pub_open(&pub, p.port);
    n_published = 0;
    int64_t t = now_ms() - 60000;
    pub_str(&pub, "park/E001/tank-1/data",
            "{\"ts\": %" PRId64 ", \"values\": {\"T1.level\": 12.5, \"T1.temp\": 20.25},"
            " \"quality\": {\"T1.temp\": \"uncertain\"}}",
            t);
    pub_str(&pub, "park/E001/tank-1/data",
            "[{\"ts\": %" PRId64 ", \"values\": {\"T1.level\": 12.75}}]", t + 1000);
    pub_str(&pub, "park/E001/gw-1/data",
            "{\"timestamp\": %" PRId64 ", \"node\": \"plc-1\", \"group\": \"g1\", \"values\": "
            "{\"tag0\": 1.5, \"tag1\": true}, \"errors\": {\"tag2\": 2014}}",
            t);
    pub_str(&pub, "park/E002/gw-2/data",
            "{\"timestamp\": %" PRId64 ", \"node\": \"plc-2\", \"group\": \"g2\", \"tags\": "
            "[{\"name\": \"a\", \"value\": 3}, {\"name\": \"b\", \"error\": 2014}]}",
            t);
    pub_str(&pub, "park/E002/meter-1/data",
            "flow,device=meter-1 value=7.5 %" PRId64 "\nflow,device=meter-1 value=8i %" PRId64 "\n",
            t, t + 1000);
    pub_str(&pub, "park/E002/meter-1/status", "online");
    wait_messages(&p, n_published);
    pub_close(&pub);
    assert_int_equal(stat_of(&p, "messages_rejected"), 0);
    assert_int_equal(stat_of(&p, "points"), 10);
    park_down(&p);

    hist *h = open_historian(&p);
    hist_value v = point_at(h, "E001/tank-1/T1.level", t);
    assert_true(v.value == 12.5 && v.quality == HIST_QUALITY_GOOD);
    assert_true(point_at(h, "E001/tank-1/T1.level", t + 1000).value == 12.75);
    v = point_at(h, "E001/tank-1/T1.temp", t);
    assert_true(v.value == 20.25 && v.quality == HIST_QUALITY_UNCERTAIN);
    assert_true(point_at(h, "E001/plc-1/g1.tag0", t).value == 1.5);
    assert_true(point_at(h, "E001/plc-1/g1.tag1", t).value == 1.0);
    assert_int_equal(point_at(h, "E001/plc-1/g1.tag2", t).quality, HIST_QUALITY_BAD);
    assert_true(point_at(h, "E002/plc-2/g2.a", t).value == 3.0);
    assert_int_equal(point_at(h, "E002/plc-2/g2.b", t).quality, HIST_QUALITY_BAD);
    assert_true(point_at(h, "E002/meter-1/flow.value", t).value == 7.5);
    assert_true(point_at(h, "E002/meter-1/flow.value", t + 1000).value == 8.0);
    hist_error err;
    assert_int_equal(hist_close(h, &err), HIST_OK);
    testutil_rmtree(p.dir);
}

static bool has_reject(const park *p, const char *enterprise, const char *reason, long long msgs,
                       long long readings) {
    char *s = proc_read_file(p->stats);
    char want[256];
    snprintf(want, sizeof want,
             "{\"enterprise\": \"%s\", \"reason\": \"%s\", \"messages\": %lld, \"readings\": %lld}",
             enterprise, reason, msgs, readings);
    bool ok = s && strstr(s, want);
    if (!ok) fprintf(stderr, "missing %s in %s\n", want, s ? s : "(no stats)");
    free(s);
    return ok;
}

static void test_bad_input_rejected_good_kept(void **state) {
    (void)state;
    park p = {0};
    park_up(&p, "ingest-bad", ", \"max_payload_bytes\": 4096");
    publisher pub;
    pub_open(&pub, p.port);
    n_published = 0;
    int64_t t = now_ms() - 60000;
    const char *good = "park/E001/d1/data";
    int good_points = 0;
    for (int round = 0; round < 3; round++) {
        int64_t ts = t + round * 1000;
        pub_str(&pub, good, "{\"ts\": %" PRId64 ", \"values\": {\"ok\": %d}}", ts, round);
        good_points++;
        pub_str(&pub, good, "{\"ts\": %" PRId64 ", \"values\": {", ts); /* malformed */
        pub_str(&pub, good, "{\"ts\": %" PRId64 ", \"values\": {\"s\": \"text\", \"n\": 1.5}}",
                ts); /* one wrong type, one good */
        good_points++;
        pub_str(&pub, "park/E002/d2/data", "m v=nan %" PRId64 "\nm v=2 %" PRId64, ts, ts);
        good_points++;
        pub_str(&pub, good, "{\"ts\": %" PRId64 ", \"values\": {\"future\": 1}}",
                now_ms() + 3 * 86400000LL);
        pub_str(&pub, good, "{\"ts\": 1000, \"values\": {\"old\": 1}}");
        static char big[5000];
        memset(big, ' ', sizeof big);
        memcpy(big, "{\"ts\": 1, \"values\": {}}", 23);
        pub_send(&pub, good, big, sizeof big);
        pub_str(&pub, "park/E999/d/data", "{\"ts\": %" PRId64 ", \"values\": {\"x\": 1}}", ts);
        pub_str(&pub, "park/E001/bad$dev/data", "{\"ts\": %" PRId64 ", \"values\": {\"x\": 1}}",
                ts);
        pub_send(&pub, good, "\0\0\0", 3);
    }
    wait_messages(&p, n_published);
    pub_close(&pub);
    assert_int_equal(stat_of(&p, "points"), good_points);
    assert_true(has_reject(&p, "E001", "malformed_json", 3, 0));
    assert_true(has_reject(&p, "E001", "malformed", 3, 0)); /* NUL bytes */
    assert_true(has_reject(&p, "E001", "bad_value_type", 0, 3));
    assert_true(has_reject(&p, "E002", "nan_or_inf", 0, 3));
    assert_true(has_reject(&p, "E001", "ts_out_of_range", 0, 6));
    assert_true(has_reject(&p, "E001", "payload_too_large", 3, 0));
    assert_true(has_reject(&p, "E999", "unknown_enterprise", 3, 0));
    assert_true(has_reject(&p, "", "bad_topic", 3, 0));
    park_down(&p);
    hist *h = open_historian(&p);
    for (int round = 0; round < 3; round++) {
        int64_t ts = t + round * 1000;
        assert_true(point_at(h, "E001/d1/ok", ts).value == round);
        assert_true(point_at(h, "E001/d1/n", ts).value == 1.5);
        assert_true(point_at(h, "E002/d2/m.v", ts).value == 2.0);
    }
    assert_int_equal(series_count(h, "E999"), 0);
    hist_error err;
    assert_int_equal(hist_close(h, &err), HIST_OK);
    testutil_rmtree(p.dir);
}

static void test_cross_enterprise_spoof_rejected(void **state) {
    (void)state;
    park p = {0};
    park_up(&p, "ingest-spoof", NULL);
    publisher pub;
    pub_open(&pub, p.port);
    n_published = 0;
    int64_t t = now_ms() - 1000;
    /* E001 tries to write E002's series, in both ways a payload can name one,
     * each message also carrying a reading of its own. */
    pub_str(&pub, "park/E001/gw/data",
            "m,enterprise=E002,device=tank v=1 %" PRId64 "\nm,device=tank v=2 %" PRId64, t, t);
    pub_str(&pub, "park/E001/gw/data",
            "{\"ts\": %" PRId64 ", \"values\": {\"E002/tank/m.v\": 1, \"own\": 2}}", t);
    pub_str(&pub, "park/E001/gw/data", "{\"ts\": %" PRId64 ", \"values\": {\"E001/gw/own\": 3}}",
            t + 1);
    wait_messages(&p, n_published);
    pub_close(&pub);
    assert_true(has_reject(&p, "E001", "foreign_series", 2, 0));
    assert_int_equal(stat_of(&p, "points"), 1);
    park_down(&p);
    hist *h = open_historian(&p);
    assert_int_equal(series_count(h, "E002"), 0);
    assert_int_equal(series_count(h, "E001"), 1); /* only E001/gw/own, from the third message */
    assert_true(point_at(h, "E001/gw/own", t + 1).value == 3.0);
    hist_error err;
    assert_int_equal(hist_close(h, &err), HIST_OK);
    testutil_rmtree(p.dir);
}

/* parkd checks the park layout at start and refuses a bad one, saying why. */
static void test_parkd_refuses_bad_layout(void **state) {
    (void)state;
    char dir[512], cfg[600], lay[600], log[600], bin[PATH_MAX + 16];
    testutil_tmpdir(dir, sizeof dir, "parkd-layout");
    snprintf(cfg, sizeof cfg, "%s/parkd.json", dir);
    snprintf(lay, sizeof lay, "%s/park.geojson", dir);
    snprintf(log, sizeof log, "%s/parkd.log", dir);
    FILE *f = fopen(lay, "w");
    assert_non_null(f);
    fprintf(f, "{\"type\": \"FeatureCollection\", \"features\": [{\"type\": \"Feature\", "
               "\"geometry\": {\"type\": \"Point\", \"coordinates\": [121.4, 30.8]}, "
               "\"properties\": {\"id\": \"T9\", \"kind\": \"tank\", \"enterprise\": "
               "\"E001\", \"substance\": \"propane\"}}]}");
    fclose(f);
    f = fopen(cfg, "w");
    assert_non_null(f);
    fprintf(f,
            "{\"data_dir\": \"%s/data\", \"layout\": {\"files\": [\"park.geojson\"]}, "
            "\"enterprises\": [{\"id\": \"E001\"}]}",
            dir);
    fclose(f);
    snprintf(bin, sizeof bin, "%s/parkd", proc_bindir());
    char *argv[] = {bin, "--config", cfg, NULL};
    pid_t pid = proc_spawn(argv, log);
    assert_int_equal(proc_wait(pid, 30), 1);
    char *text = proc_read_file(log);
    assert_non_null(text);
    assert_non_null(strstr(text, "T9: a tank needs \"capacity_m3\""));
    free(text);
    testutil_rmtree(dir);
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_format_stored_exactly),
        cmocka_unit_test(test_bad_input_rejected_good_kept),
        cmocka_unit_test(test_cross_enterprise_spoof_rejected),
        cmocka_unit_test(test_parkd_refuses_bad_layout),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    proc_cleanup();
    return rc;
}
