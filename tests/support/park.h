/*
 * park.h - a small park for integration tests: a mosquitto broker on a
 * free loopback port and parkd with its own data directory and stats file,
 * started and stopped around each test. Header-only, cmocka assertions.
 */
#ifndef PARKWATCH_TEST_PARK_H
#define PARKWATCH_TEST_PARK_H

#include "historian/historian.h"
#include "tests/support/proc.h"
#include "tests/support/testutil.h"

typedef struct park {
    char dir[512], data[600], stats[600], config[600], log[600];
    int port;
    pid_t broker, parkd;
    const char *layout; /* GeoJSON text for parkd's layout, or NULL */
    const char *extra;  /* more top-level config members ("\"api\": {...},"), or NULL */
    /* The secured broker (proc_start_broker_secure) instead of the anonymous
     * one, and more members of the config's "broker" object (", \"username\":
     * ..."; its port is then broker_port when set). NULL: anonymous. */
    const proc_secure_opts *secure;
    const char *broker_extra;
    int broker_port; /* parkd's broker port when not port (a TLS listener) */
} park;

static inline void write_config(park *p, const char *extra_ingest) {
    FILE *f;
    if (p->layout) { /* the park's layout beside the config */
        char path[700];
        snprintf(path, sizeof path, "%s/layout.geojson", p->dir);
        assert_non_null(f = fopen(path, "w"));
        fputs(p->layout, f);
        fclose(f);
    }
    /* Private to its owner: it may hold the broker password. */
    int fd = open(p->config, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(fchmod(fd, 0600), 0);
    f = fdopen(fd, "w");
    assert_non_null(f);
    fprintf(f,
            "{\"data_dir\": \"%s\", \"broker\": {\"host\": \"127.0.0.1\", \"port\": %d, "
            "\"client_id\": \"parkd-test\", \"keepalive_s\": 5%s},\n%s%s"
            " \"ingest\": {\"sync_interval_ms\": 20%s},\n"
            " \"enterprises\": [{\"id\": \"E001\", \"interval_ms\": 1000}, {\"id\": \"E002\"},"
            " {\"id\": \"E003\"}, {\"id\": \"E004\"}, {\"id\": \"E005\"}, {\"id\": \"PARK\"}]}\n",
            p->data, p->broker_port > 0 ? p->broker_port : p->port,
            p->broker_extra ? p->broker_extra : "", p->extra ? p->extra : "",
            p->layout ? " \"layout\": {\"files\": [\"layout.geojson\"]},\n" : "",
            extra_ingest ? extra_ingest : "");
    fclose(f);
}

/* Starts parkd without waiting for it (a test that expects it not to connect). */
static inline void spawn_parkd(park *p) {
    char bin[PATH_MAX + 16];
    snprintf(bin, sizeof bin, "%s/parkd", proc_bindir());
    char *argv[] = {bin, "--config", p->config, "--stats-file", p->stats, NULL};
    p->parkd = proc_spawn(argv, p->log);
    assert_true(p->parkd > 0);
}

static inline void start_parkd(park *p) {
    spawn_parkd(p);
    /* Ready once it has written its counters and is connected. */
    for (int i = 0; i < 1000; i++) {
        char *s = proc_read_file(p->stats);
        bool ok = s && strstr(s, "\"connected\": true");
        free(s);
        if (ok) return;
        proc_sleep_ms(10);
    }
    fail_msg("parkd did not connect; see %s", p->log);
}

static inline void park_up(park *p, const char *name, const char *extra_ingest) {
    testutil_tmpdir(p->dir, sizeof p->dir, name);
    snprintf(p->data, sizeof p->data, "%s/data", p->dir);
    snprintf(p->stats, sizeof p->stats, "%s/stats.json", p->dir);
    snprintf(p->config, sizeof p->config, "%s/parkd.json", p->dir);
    snprintf(p->log, sizeof p->log, "%s/parkd.log", p->dir);
    p->port = proc_free_port();
    assert_true(p->port > 0);
    p->broker = p->secure ? proc_start_broker_secure(p->dir, p->port, p->secure)
                          : proc_start_broker(p->dir, p->port);
    assert_true(p->broker > 0);
    assert_true(proc_port_open(p->port));
    write_config(p, extra_ingest);
    start_parkd(p);
}

/* parksim publishing to p's broker (QoS 1) in format at rate Hz for
 * seconds (as on its command line), the readings the broker acknowledged in
 * the ledger file, its output in out; not waited for. */
static inline pid_t park_parksim(const park *p, const char *ledger, const char *out,
                                 const char *format, const char *rate, const char *seconds) {
    char bin[PATH_MAX + 16], port[16];
    snprintf(bin, sizeof bin, "%s/parksim", proc_bindir());
    snprintf(port, sizeof port, "%d", p->port);
    char *argv[] = {bin,          "--port",       port,
                    "--format",   (char *)format, "--rate",
                    (char *)rate, "--duration",   (char *)seconds,
                    "--ledger",   (char *)ledger, "--quiet",
                    NULL};
    return proc_spawn(argv, out);
}

static inline long long stat_of(const park *p, const char *key) {
    return proc_json_int(p->stats, key);
}

/* Waits until parkd has handled n messages (received and processed). */
static inline void wait_messages(const park *p, long long n) {
    for (int i = 0; i < 3000; i++) {
        if (stat_of(p, "messages") >= n && stat_of(p, "spool_backlog_bytes") == 0) return;
        proc_sleep_ms(10);
    }
    fail_msg("parkd handled %lld messages of %lld", stat_of(p, "messages"), n);
}

static inline void park_down(park *p) {
    if (p->parkd > 0) assert_int_equal(proc_stop(p->parkd, SIGTERM), 0);
    p->parkd = 0;
    if (p->broker > 0) proc_stop(p->broker, SIGTERM);
    p->broker = 0;
}

static inline hist *open_historian(const park *p) {
    char dir[700];
    snprintf(dir, sizeof dir, "%s/historian", p->data);
    hist *h = NULL;
    hist_error err;
    if (hist_open(dir, NULL, &h, &err) != HIST_OK) fail_msg("hist_open: %s", err.msg);
    return h;
}

#endif
