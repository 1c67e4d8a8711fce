/*
 * test_slowdisk.c - parkd on a disk that turns slow for a while (200 ms a
 * sync, 5 ms a write) while parksim streams through a real broker, then
 * normal again. No root: parkd runs with libslowdisk.so preloaded
 * (tests/support/slowdisk.c), which delays the writes and syncs to files
 * under parkd's data directory only; the broker, parksim and the test are
 * not slowed, nor is parkd's stats file (outside the data directory).
 *
 * What is checked is behaviour, never speed: while the disk is slow parkd
 * stays alive and connected (the broker never drops it), /healthz and the
 * API's last values and active alarms answer (within httpclient.h's 10 s), data
 * keeps being stored and an alarm configured on a spiking series is still
 * raised; the spool backlog may grow (reported); once the disk is normal
 * the backlog drains to 0; at the end every reading the broker
 * acknowledged to parksim is in the historian, once, with its value. A
 * one-line JSON summary goes to stderr.
 */
#include <jansson.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "historian/historian.h"
#include "common/kit/httpclient.h"
#include "tests/support/ledger.h"
#include "tests/support/park.h"

#define SLOW_SYNC_MS  200
#define SLOW_WRITE_MS 5
#define SIM_SECONDS   "40"
#define SLOW_AT_S     8.0  /* parksim seconds before the disk turns slow */
#define SPIKE_AT      "12" /* parksim seconds: the alarm's series spikes (for 20 s) */
#define SLOW_MIN_S    15.0 /* the disk stays slow at least this long ... */
#define SLOW_MAX_S    25.0 /* ... and until the alarm is seen, at most this long */
#define ALARM_SERIES  "E001/pipeline-1/PT01.pressure"

static int64_t wall_now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* parkd with libslowdisk.so preloaded, its delays switched by ctl. Only
 * this child gets the library and its settings. */
static void spawn_parkd_slow(park *p, const char *ctl, const char *slowstats) {
    char bin[PATH_MAX + 16], preload[PATH_MAX + 2], asan[1024];
    snprintf(bin, sizeof bin, "%s/parkd", proc_bindir());
    const char *old = getenv("LD_PRELOAD"), *old_asan = getenv("ASAN_OPTIONS");
    snprintf(preload, sizeof preload, "%s%s%s", PARKWATCH_SLOWDISK_LIB, old && *old ? ":" : "",
             old && *old ? old : "");
    /* The ASan build's parkd would insist on its runtime coming first. */
    snprintf(asan, sizeof asan, "%s%sverify_asan_link_order=0", old_asan ? old_asan : "",
             old_asan && *old_asan ? ":" : "");
    char *argv[] = {bin, "--config", p->config, "--stats-file", p->stats, NULL};
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(p->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        char ms[2][16];
        snprintf(ms[0], sizeof ms[0], "%d", SLOW_SYNC_MS);
        snprintf(ms[1], sizeof ms[1], "%d", SLOW_WRITE_MS);
        if (setenv("LD_PRELOAD", preload, 1) || setenv("ASAN_OPTIONS", asan, 1) ||
            setenv("PARKWATCH_SLOWDISK_DIR", p->data, 1) ||
            setenv("PARKWATCH_SLOWDISK_SYNC_MS", ms[0], 1) ||
            setenv("PARKWATCH_SLOWDISK_WRITE_MS", ms[1], 1) ||
            setenv("PARKWATCH_SLOWDISK_CTL", ctl, 1) ||
            setenv("PARKWATCH_SLOWDISK_STATS", slowstats, 1))
            _exit(126);
        execv(argv[0], argv);
        _exit(127);
    }
    assert_true(pid > 0);
    proc_track(pid);
    p->parkd = pid;
    for (int i = 0; i < 3000; i++) { /* up to 30 s on a loaded machine */
        char *s = proc_read_file(p->stats);
        bool ok = s && strstr(s, "\"connected\": true");
        free(s);
        if (ok) return;
        assert_int_equal(kill(pid, 0), 0);
        proc_sleep_ms(10);
    }
    fail_msg("parkd did not connect; see %s", p->log);
}

static void set_disk(const char *ctl, bool slow) {
    char tmp[PATH_MAX + 8];
    snprintf(tmp, sizeof tmp, "%s.tmp", ctl);
    FILE *f = fopen(tmp, "w");
    assert_non_null(f);
    fputs(slow ? "on\n" : "off\n", f);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(rename(tmp, ctl), 0);
}

/* The library's counts: delayed syncs and writes. */
static void slow_counts(const char *path, long long *syncs, long long *writes) {
    char *s = proc_read_file(path);
    *syncs = *writes = 0;
    if (s && sscanf(s, "syncs %lld writes %lld", syncs, writes) != 2) *syncs = *writes = 0;
    free(s);
}

/* GET path (10 s at most, httpclient.h): its status, its JSON body (or NULL),
 * and how long it took into *ms. */
static json_t *get_json(int port, const char *path, const char *token, int *status, double *ms) {
    http_resp r;
    double t0 = proc_now();
    if (http_get(port, path, token, &r) != 0)
        fail_msg("GET %s: no answer (%s) after %.1f s", path, strerror(errno), proc_now() - t0);
    if (ms) *ms = (proc_now() - t0) * 1000;
    *status = r.status;
    json_t *j = json_loadb(r.body, r.body_len, 0, NULL);
    http_resp_free(&r);
    return j;
}

/* The live backlog (the API's queue_depth_bytes), or -1. */
static long long queue_depth(int api, const char *token) {
    int status;
    json_t *j = get_json(api, "/api/v1/ingest/status", token, &status, NULL);
    long long v =
        status == 200 && j ? json_integer_value(json_object_get(j, "queue_depth_bytes")) : -1;
    json_decref(j);
    return v;
}

/* The active alarm of ALARM_SERIES: its since_ms, or -1 when none. */
static long long alarm_since(int api, const char *token, double *ms) {
    int status;
    json_t *j = get_json(api, "/api/v1/alarms", token, &status, ms);
    assert_int_equal(status, 200);
    assert_non_null(j);
    long long since = -1;
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(j, "alarms"), i, a) {
        if (!strcmp(json_string_value(json_object_get(a, "series")), ALARM_SERIES) &&
            json_is_true(json_object_get(a, "active")))
            since = json_integer_value(json_object_get(a, "since_ms"));
    }
    json_decref(j);
    return since;
}

static void test_slow_disk(void **state) {
    (void)state;
    park p = {0};
    char ctl[700], slowstats[700], ledger[700], simout[700], extra[1024], tokens[800];
    testutil_tmpdir(p.dir, sizeof p.dir, "slowdisk");
    snprintf(p.data, sizeof p.data, "%s/data", p.dir);
    snprintf(p.stats, sizeof p.stats, "%s/stats.json", p.dir);
    snprintf(p.config, sizeof p.config, "%s/parkd.json", p.dir);
    snprintf(p.log, sizeof p.log, "%s/parkd.log", p.dir);
    snprintf(ctl, sizeof ctl, "%s/slowdisk.ctl", p.dir);
    snprintf(slowstats, sizeof slowstats, "%s/slowdisk.stats", p.dir);
    snprintf(ledger, sizeof ledger, "%s/ledger.txt", p.dir);
    snprintf(simout, sizeof simout, "%s/parksim.out", p.dir);
    snprintf(tokens, sizeof tokens, "%s/tokens.json", p.data);
    assert_int_equal(mkdir(p.data, 0700), 0); /* the library resolves it at parkd's start */
    int api = proc_free_port();
    snprintf(extra, sizeof extra,
             " \"api\": {\"listen\": \"127.0.0.1:%d\"},\n"
             " \"alarms\": {\"rules\": [{\"series\": \"" ALARM_SERIES "\", \"kind\": \"high\","
             " \"limit\": 5, \"deadband\": 0.05, \"on_delay_ms\": 0, \"off_delay_ms\": 0,"
             " \"priority\": 2}]},\n",
             api);
    p.extra = extra;
    p.port = proc_free_port();
    p.broker = proc_start_broker(p.dir, p.port);
    assert_true(p.broker > 0 && proc_port_open(p.port));
    /* PARKWATCH_SLOWDISK_ACK_AFTER=fsync: the network thread syncs the spool
     * before every burst's PUBACKs (by hand; CI runs the default, write). */
    const char *ack_after = getenv("PARKWATCH_SLOWDISK_ACK_AFTER");
    char ingest_extra[64] = "";
    if (ack_after && *ack_after)
        snprintf(ingest_extra, sizeof ingest_extra, ", \"ack_after\": \"%.20s\"", ack_after);
    write_config(&p, ingest_extra);
    set_disk(ctl, false);
    spawn_parkd_slow(&p, ctl, slowstats);
    for (int i = 0; i < 3000 && !proc_port_open(api); i++) proc_sleep_ms(10);
    char token[128];
    park_token(&p, tokens, "admin", NULL, "ops", token, sizeof token);

    /* parksim for 40 s at 20 Hz; the alarm's series spikes at 12 s. */
    char bin[PATH_MAX + 16], port[16];
    snprintf(bin, sizeof bin, "%s/parksim", proc_bindir());
    snprintf(port, sizeof port, "%d", p.port);
    char *simargv[] = {
        bin,          "--port",
        port,         "--format",
        "mixed",      "--rate",
        "20",         "--duration",
        SIM_SECONDS,  "--ledger",
        ledger,       "--quiet",
        "--incident", "spike:E001:pipeline-1:PT01.pressure:at=" SPIKE_AT ":value=9.9:for=20",
        NULL};
    double sim_t0 = proc_now();
    pid_t sim = proc_spawn(simargv, simout);
    assert_true(sim > 0);
    wait_messages(&p, 200);
    int status;
    double ms;
    json_t *h = get_json(api, "/healthz", NULL, &status, &ms);
    assert_int_equal(status, 200);
    assert_string_equal(json_string_value(json_object_get(h, "status")), "ok");
    json_decref(h);
    while (proc_now() - sim_t0 < SLOW_AT_S) proc_sleep_ms(50);

    /* The disk turns slow. */
    long long losses0 = stat_of(&p, "connection_losses");
    long long points0 = stat_of(&p, "points");
    assert_true(losses0 >= 0 && points0 > 0);
    int64_t slow_wall = wall_now_ms();
    set_disk(ctl, true);
    proc_sleep_ms(250); /* the library reads it at most every 100 ms, at a write or sync */
    double slow_t0 = proc_now();
    long long max_backlog = 0, max_depth = 0, alarm_ms = -1;
    double health_max_ms = 0, api_max_ms = 0, alarm_seen_s = -1;
    int checks = 0, not_ok = 0;
    while (proc_now() - slow_t0 < SLOW_MIN_S ||
           (alarm_ms < 0 && proc_now() - slow_t0 < SLOW_MAX_S)) {
        assert_int_equal(kill(p.parkd, 0), 0); /* alive */
        h = get_json(api, "/healthz", NULL, &status, &ms);
        if (ms > health_max_ms) health_max_ms = ms;
        const char *hs = h ? json_string_value(json_object_get(h, "status")) : NULL;
        /* Answers, and nothing is blocked or failed: a slow disk refuses nothing. */
        if (status != 200 || !hs) fail_msg("/healthz while slow: %d %s", status, hs ? hs : "?");
        not_ok += strcmp(hs, "ok") != 0;
        json_decref(h);
        json_t *last = get_json(api, "/api/v1/last?enterprise=E001", token, &status, &ms);
        if (ms > api_max_ms) api_max_ms = ms;
        assert_int_equal(status, 200);
        assert_true(json_array_size(json_object_get(last, "values")) > 0);
        json_decref(last);
        if (alarm_ms < 0) {
            alarm_ms = alarm_since(api, token, &ms);
            if (ms > api_max_ms) api_max_ms = ms;
            if (alarm_ms >= 0) alarm_seen_s = proc_now() - sim_t0 - atof(SPIKE_AT);
        }
        long long b = stat_of(&p, "spool_backlog_bytes"), d = queue_depth(api, token);
        if (b > max_backlog) max_backlog = b;
        if (d > max_depth) max_depth = d;
        checks++;
        proc_sleep_ms(200);
    }
    double slow_s = proc_now() - slow_t0;
    long long points1 = stat_of(&p, "points"), losses1 = stat_of(&p, "connection_losses");
    fprintf(stderr,
            "slow for %.1f s: %d checks (%d not ok), points %lld -> %lld, max backlog %lld "
            "(stats file) / %lld (API), /healthz max %.0f ms, API max %.0f ms\n",
            slow_s, checks, not_ok, points0, points1, max_backlog, max_depth, health_max_ms,
            api_max_ms);
    assert_true(points1 > points0);     /* data kept being stored */
    assert_int_equal(losses1, losses0); /* the broker never dropped parkd */
    /* The spike's alarm was raised while the disk was slow: ingest kept up
     * with the stream rather than falling further behind at every sync. */
    if (alarm_ms < 0)
        fail_msg("the alarm of the spike at %s s was not raised in %.1f s of slow disk (points "
                 "stored %lld -> %lld, backlog up to %lld bytes): ingest fell behind",
                 SPIKE_AT, slow_s, points0, points1, max_depth);
    bool raised_while_slow = alarm_ms >= slow_wall; /* not before it (reported) */

    /* The disk is normal again: the backlog drains. */
    set_disk(ctl, false);
    double normal_t0 = proc_now(), drain_s = -1;
    for (int i = 0; i < 1200 && drain_s < 0; i++) { /* up to 2 min */
        long long d = queue_depth(api, token);
        if (d > max_depth) max_depth = d;
        if (d == 0)
            drain_s = proc_now() - normal_t0;
        else
            proc_sleep_ms(100);
    }
    assert_true(drain_s >= 0);
    assert_int_equal(proc_wait(sim, 180), 0);
    long long published = 0;
    char *out = proc_read_file(simout);
    if (out && strstr(out, "\"messages\": ")) published = atoll(strstr(out, "\"messages\": ") + 12);
    free(out);
    /* Everything the broker holds for parkd is stored before parkd stops:
     * spooled_messages still for 2 s, nothing waiting. */
    long long prev = -1;
    for (int i = 0, still = 0; i < 600 && still < 4; i++) {
        long long spooled = stat_of(&p, "spooled_messages");
        still = spooled == prev && queue_depth(api, token) == 0 ? still + 1 : 0;
        prev = spooled;
        proc_sleep_ms(500);
    }
    assert_int_equal(queue_depth(api, token), 0);
    /* The disk was slow indeed: the library's counts (written at most every
     * second; none are added since the disk turned normal). */
    long long syncs, writes;
    slow_counts(slowstats, &syncs, &writes);
    assert_true(syncs > 0 && writes > 0);
    /* The raise is in the alarm journal (written while the disk was slow). */
    char path[256];
    snprintf(path, sizeof path, "/api/v1/alarms/journal?from=%lld&to=%lld&series=%s",
             (long long)slow_wall - 600000, (long long)wall_now_ms() + 60000, ALARM_SERIES);
    json_t *jr = get_json(api, path, token, &status, NULL);
    assert_int_equal(status, 200);
    size_t journalled = json_array_size(json_object_get(jr, "events"));
    json_decref(jr);
    assert_true(journalled >= 1);
    assert_int_equal(stat_of(&p, "connection_losses"), losses0);
    assert_int_equal(proc_stop(p.parkd, SIGTERM), 0);
    p.parkd = 0;

    hist *hs = open_historian(&p);
    ledger_result r = check_ledger(hs, ledger);
    close_historian(hs);
    fprintf(stderr,
            "{\"readings\": %zu, \"lost\": %zu, \"mismatched\": %zu, \"duplicated\": %zu, "
            "\"parksim_messages\": %lld, \"slow_s\": %.1f, \"delayed_syncs\": %lld, "
            "\"delayed_writes\": %lld, \"max_backlog_bytes\": %lld, \"drain_s\": %.2f, "
            "\"healthz_max_ms\": %.0f, \"api_max_ms\": %.0f, \"alarm_raised_while_slow\": %s, "
            "\"alarm_seen_after_spike_s\": %.1f, \"alarm_journal_events\": %zu}\n",
            r.readings, r.lost, r.mismatched, r.duplicated, published, slow_s, syncs, writes,
            max_depth > max_backlog ? max_depth : max_backlog, drain_s, health_max_ms, api_max_ms,
            raised_while_slow ? "true" : "false", alarm_seen_s, journalled);
    assert_true(r.readings > 0);
    assert_int_equal(r.lost, 0);
    assert_int_equal(r.mismatched, 0);
    assert_int_equal(r.duplicated, 0);
    park_down(&p);
    testutil_rmtree(p.dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slow_disk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
