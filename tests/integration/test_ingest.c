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
#include "tests/support/mqtt.h"
#include "tests/support/park.h"

/* ---- tests ---- */

static void test_each_format_stored_exactly(void **state) {
    (void)state;
    park p = {0};
    park_up(&p, "ingest-formats", NULL);
    publisher pub;
    pub_open(&pub, p.port);
    int64_t t = proc_wall_ms() - 60000;
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
    wait_messages(&p, pub.sent);
    pub_close(&pub);
    assert_int_equal(stat_of(&p, "messages_rejected"), 0);
    assert_int_equal(stat_of(&p, "points"), 10);
    park_down(&p);

    hist *h = open_historian(&p);
    hist_value v = expect_point(h, "E001/tank-1/T1.level", t);
    assert_true(v.value == 12.5 && v.quality == HIST_QUALITY_GOOD);
    assert_true(expect_point(h, "E001/tank-1/T1.level", t + 1000).value == 12.75);
    v = expect_point(h, "E001/tank-1/T1.temp", t);
    assert_true(v.value == 20.25 && v.quality == HIST_QUALITY_UNCERTAIN);
    assert_true(expect_point(h, "E001/plc-1/g1.tag0", t).value == 1.5);
    assert_true(expect_point(h, "E001/plc-1/g1.tag1", t).value == 1.0);
    assert_int_equal(expect_point(h, "E001/plc-1/g1.tag2", t).quality, HIST_QUALITY_BAD);
    assert_true(expect_point(h, "E002/plc-2/g2.a", t).value == 3.0);
    assert_int_equal(expect_point(h, "E002/plc-2/g2.b", t).quality, HIST_QUALITY_BAD);
    assert_true(expect_point(h, "E002/meter-1/flow.value", t).value == 7.5);
    assert_true(expect_point(h, "E002/meter-1/flow.value", t + 1000).value == 8.0);
    close_historian(h);
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
    int64_t t = proc_wall_ms() - 60000;
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
                proc_wall_ms() + (int64_t)3 * 86400000);
        pub_str(&pub, good, "{\"ts\": 1000, \"values\": {\"old\": 1}}");
        static char big[5000];
        memset(big, ' ', sizeof big);
        memcpy(big, "{\"ts\": 1, \"values\": {}}", 23);
        pub_send_acked(&pub, good, big, sizeof big);
        pub_str(&pub, "park/E999/d/data", "{\"ts\": %" PRId64 ", \"values\": {\"x\": 1}}", ts);
        pub_str(&pub, "park/E001/bad$dev/data", "{\"ts\": %" PRId64 ", \"values\": {\"x\": 1}}",
                ts);
        pub_send_acked(&pub, good, "\0\0\0", 3);
    }
    wait_messages(&p, pub.sent);
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
        assert_true(expect_point(h, "E001/d1/ok", ts).value == round);
        assert_true(expect_point(h, "E001/d1/n", ts).value == 1.5);
        assert_true(expect_point(h, "E002/d2/m.v", ts).value == 2.0);
    }
    assert_int_equal(series_count(h, "E999"), 0);
    close_historian(h);
    testutil_rmtree(p.dir);
}

static void test_cross_enterprise_spoof_rejected(void **state) {
    (void)state;
    park p = {0};
    park_up(&p, "ingest-spoof", NULL);
    publisher pub;
    pub_open(&pub, p.port);
    int64_t t = proc_wall_ms() - 1000;
    /* E001 tries to write E002's series, in both ways a payload can name one,
     * each message also carrying a reading of its own. */
    pub_str(&pub, "park/E001/gw/data",
            "m,enterprise=E002,device=tank v=1 %" PRId64 "\nm,device=tank v=2 %" PRId64, t, t);
    pub_str(&pub, "park/E001/gw/data",
            "{\"ts\": %" PRId64 ", \"values\": {\"E002/tank/m.v\": 1, \"own\": 2}}", t);
    pub_str(&pub, "park/E001/gw/data", "{\"ts\": %" PRId64 ", \"values\": {\"E001/gw/own\": 3}}",
            t + 1);
    wait_messages(&p, pub.sent);
    pub_close(&pub);
    assert_true(has_reject(&p, "E001", "foreign_series", 2, 0));
    assert_int_equal(stat_of(&p, "points"), 1);
    park_down(&p);
    hist *h = open_historian(&p);
    assert_int_equal(series_count(h, "E002"), 0);
    assert_int_equal(series_count(h, "E001"), 1); /* only E001/gw/own, from the third message */
    assert_true(expect_point(h, "E001/gw/own", t + 1).value == 3.0);
    close_historian(h);
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
