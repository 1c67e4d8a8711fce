/*
 * park.h - a small park for integration tests: a mosquitto broker on a
 * free loopback port and parkd with its own data directory and stats file,
 * started and stopped around each test; parksim against its broker; the
 * historian read back afterwards (parksim's ledger checked with
 * tests/support/ledger.h). Header-only, cmocka assertions.
 */
#ifndef PARKWATCH_TEST_PARK_H
#define PARKWATCH_TEST_PARK_H

#include <stdarg.h>

#include "historian/historian.h"
#include "tests/support/ledger.h"
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
    bool via_socket; /* parkd connects over the broker's unix socket dir/mqtt.sock */
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
    char host[600] = "127.0.0.1";
    if (p->via_socket) snprintf(host, sizeof host, "%s/mqtt.sock", p->dir);
    fprintf(f,
            "{\"data_dir\": \"%s\", \"broker\": {\"host\": \"%s\", \"port\": %d, "
            "\"client_id\": \"parkd-test\", \"keepalive_s\": 5%s},\n%s%s"
            " \"ingest\": {\"sync_interval_ms\": 20%s},\n"
            " \"enterprises\": [{\"id\": \"E001\", \"interval_ms\": 1000}, {\"id\": \"E002\"},"
            " {\"id\": \"E003\"}, {\"id\": \"E004\"}, {\"id\": \"E005\"}, {\"id\": \"PARK\"}]}\n",
            p->data, host, p->broker_port > 0 ? p->broker_port : p->port,
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

/* (Re)starts p's broker (p->secure: the secured one) on p->port with its
 * persistence in p->dir; waits until it accepts connections. */
static inline void park_start_broker(park *p) {
    p->broker = p->secure ? proc_start_broker_secure(p->dir, p->port, p->secure)
                          : proc_start_broker(p->dir, p->port);
    assert_true(p->broker > 0);
    assert_true(proc_port_open(p->port));
}

/* A fresh directory for the park (tagged name), its files' paths and a
 * free port for its broker; nothing started. */
static inline void park_dirs(park *p, const char *name) {
    testutil_tmpdir(p->dir, sizeof p->dir, name);
    snprintf(p->data, sizeof p->data, "%s/data", p->dir);
    snprintf(p->stats, sizeof p->stats, "%s/stats.json", p->dir);
    snprintf(p->config, sizeof p->config, "%s/parkd.json", p->dir);
    snprintf(p->log, sizeof p->log, "%s/parkd.log", p->dir);
    p->port = proc_free_port();
    assert_true(p->port > 0);
}

/* A fresh directory for the park (tagged name) and its broker, no parkd. */
static inline void park_broker_up(park *p, const char *name) {
    park_dirs(p, name);
    park_start_broker(p);
}

static inline void park_up(park *p, const char *name, const char *extra_ingest) {
    park_broker_up(p, name);
    write_config(p, extra_ingest);
    start_parkd(p);
}

/* parksim --quiet against p's broker on port (0: p->port) with the more
 * arguments in ap (const char *, NULL ended), its output in out; not
 * waited for. */
static inline pid_t park_parksim_v(const park *p, int port, const char *out, va_list ap) {
    char bin[PATH_MAX + 16], portarg[16];
    snprintf(bin, sizeof bin, "%s/parksim", proc_bindir());
    snprintf(portarg, sizeof portarg, "%d", port > 0 ? port : p->port);
    char *argv[32] = {bin, "--port", portarg, "--quiet"};
    int n = 4;
    for (const char *a; n < 31 && (a = va_arg(ap, const char *));) argv[n++] = (char *)a;
    argv[n] = NULL;
    return proc_spawn(argv, out);
}

/* park_parksim_v with the arguments listed. */
__attribute__((sentinel)) static inline pid_t park_parksim_spawn(const park *p, int port,
                                                                 const char *out, ...) {
    va_list ap;
    va_start(ap, out);
    pid_t pid = park_parksim_v(p, port, out, ap);
    va_end(ap);
    return pid;
}

/* park_parksim_v run to its end (60 s at most), its output in
 * p->dir/name.out: its exit status. */
__attribute__((sentinel)) static inline int park_parksim_run(const park *p, int port,
                                                             const char *name, ...) {
    char out[700];
    snprintf(out, sizeof out, "%s/%s.out", p->dir, name);
    va_list ap;
    va_start(ap, name);
    pid_t pid = park_parksim_v(p, port, out, ap);
    va_end(ap);
    assert_true(pid > 0);
    return proc_wait(pid, 60);
}

/* parksim publishing to p's broker (QoS 1) in format at rate Hz for
 * seconds (as on its command line), the readings the broker acknowledged in
 * the ledger file, its output in out; not waited for. */
static inline pid_t park_parksim(const park *p, const char *ledger, const char *out,
                                 const char *format, const char *rate, const char *seconds) {
    return park_parksim_spawn(p, 0, out, "--format", format, "--rate", rate, "--duration", seconds,
                              "--ledger", ledger, (const char *)NULL);
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

/* Waits (up to seconds) until parkd's message count holds still for 200 ms
 * and its spool is drained: it has what the broker had for it. */
static inline void wait_quiet(const park *p, int seconds) {
    long long last = -1;
    for (int i = 0; i < seconds * 5; i++) {
        long long m = stat_of(p, "messages");
        if (m == last && stat_of(p, "spool_backlog_bytes") == 0) return;
        last = m;
        proc_sleep_ms(200);
    }
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

static inline void close_historian(hist *h) {
    hist_error err;
    assert_int_equal(hist_close(h, &err), HIST_OK);
}

/* Every reading of parksim's ledger at path must be in the historian with
 * its value (ledger_check); the counts, for the test's own checks. */
static inline ledger_result check_ledger(hist *h, const char *path) {
    ledger_result r;
    assert_int_equal(ledger_check(h, path, &r), 0);
    if (r.lost || r.mismatched)
        fail_msg("%zu of %zu acknowledged readings are not in the historian (%zu with another "
                 "value)",
                 r.lost + r.mismatched, r.readings, r.mismatched);
    return r;
}

/* The one point of a series at ts; present = false when the series, or a
 * single point at ts, is not there. */
static inline hist_value point_at(hist *h, const char *series, int64_t ts) {
    hist_value v = {0};
    uint32_t id;
    hist_error err;
    if (hist_series_lookup(h, series, &id, &err) != HIST_OK) return v;
    hist_samples s = {0};
    if (hist_query_raw(h, id, ts, ts + 1, 0, &s, &err) == HIST_OK && s.n == 1)
        v = (hist_value){.present = true,
                         .ts_ms = s.v[0].ts_ms,
                         .value = s.v[0].value,
                         .quality = s.v[0].quality};
    hist_samples_free(&s);
    return v;
}

/* point_at, failing the test when there is no single point at ts. */
static inline hist_value expect_point(hist *h, const char *series, int64_t ts) {
    hist_value v = point_at(h, series, ts);
    if (!v.present) fail_msg("%s: no single point at %" PRId64, series, ts);
    return v;
}

/* How many series the historian has under prefix. */
static inline size_t series_count(hist *h, const char *prefix) {
    hist_series_list l = {0};
    hist_error err;
    assert_int_equal(hist_series_find(h, prefix, &l, &err), HIST_OK);
    size_t n = l.n;
    hist_series_list_free(&l);
    return n;
}

/* parkctl token create into the token file `file` (parkd rereads it):
 * the token, as printed once on its stdout, into out (cap bytes). ent is
 * the enterprise of an enterprise token, else NULL. */
static inline void park_token(const park *p, const char *file, const char *role, const char *ent,
                              const char *name, char *out, size_t cap) {
    char bin[PATH_MAX + 16], log[800];
    snprintf(bin, sizeof bin, "%s/parkctl", proc_bindir());
    snprintf(log, sizeof log, "%s/token.out", p->dir);
    unlink(log);
    char *argv[12] = {bin,      "token",      "create", "--file",     (char *)file,
                      "--role", (char *)role, "--name", (char *)name, NULL};
    if (ent) argv[9] = "--enterprise", argv[10] = (char *)ent, argv[11] = NULL;
    assert_int_equal(proc_wait(proc_spawn(argv, log), 60), 0);
    char *txt = proc_read_file(log);
    assert_non_null(txt);
    char *tok = strstr(txt, "\npw_");
    assert_non_null(tok);
    snprintf(out, cap, "%.*s", (int)strcspn(tok + 1, "\n"), tok + 1);
    free(txt);
}

#endif
