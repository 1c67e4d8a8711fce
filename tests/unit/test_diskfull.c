/*
 * test_diskfull.c - the historian on a disk that fills up and frees again:
 * a small tmpfs the test mounts (skipped when it may not mount, i.e. not
 * root). A batch whose append returned HIST_OK is stored; a batch whose
 * append failed is not (and may be repeated); RocksDB refusing writes does
 * not fail appends and is reopened once there is room; queries answer
 * throughout; everything acknowledged survives a reopen. The alarm
 * journal on the same disk: alarms and notifications go on, the refused
 * records wait in memory and reach the disk when it has room.
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "alerting/alerting.h"
#include "historian/historian.h"
#include "tests/support/testutil.h"
#include "tests/support/tmpfs.h"

#define T0        1767225600000LL /* 2026-01-01T00:00:00Z */
#define N_SERIES  200
#define PER_BATCH 20 /* points per series and batch, 1 s apart */
#define MAX_BATCH 4000

static double value_of(uint32_t s, int64_t ts) {
    return (double)s * 1000.0 + (double)((ts - T0) / 1000 % 100000) * 0.25;
}

static void make_batch(const uint32_t *ids, int b, hist_point *pts) {
    size_t k = 0;
    for (int i = 0; i < PER_BATCH; i++) {
        int64_t ts = T0 + ((int64_t)b * PER_BATCH + i) * 1000;
        for (uint32_t s = 0; s < N_SERIES; s++)
            pts[k++] =
                (hist_point){.series = ids[s], .quality = 0, .ts_ms = ts, .value = value_of(s, ts)};
    }
}

/* Every batch marked stored is there with its values, and no other point. */
static void check_stored(hist *h, const uint32_t *ids, const bool *stored, int n_batches) {
    hist_samples out = {0};
    hist_error err;
    size_t expect = 0;
    for (int b = 0; b < n_batches; b++) expect += stored[b] ? PER_BATCH : 0;
    for (uint32_t s = 0; s < N_SERIES; s += 37) {
        assert_int_equal(hist_query_raw(h, ids[s], T0, T0 + (int64_t)MAX_BATCH * PER_BATCH * 1000,
                                        0, &out, &err),
                         HIST_OK);
        assert_int_equal(out.n, expect);
        size_t k = 0;
        for (int b = 0; b < n_batches; b++) {
            if (!stored[b]) continue;
            for (int i = 0; i < PER_BATCH; i++, k++) {
                int64_t ts = T0 + ((int64_t)b * PER_BATCH + i) * 1000;
                assert_int_equal(out.v[k].ts_ms, ts);
                assert_true(out.v[k].value == value_of(s, ts));
            }
        }
    }
    hist_samples_free(&out);
}

/* Queries from another thread through the whole episode, the reopen
 * included: each answers, or fails with HIST_EIO, and never crashes. */
typedef struct reader {
    hist *h;
    const uint32_t *ids;
    atomic_bool stop;
    size_t answered, refused, wrong;
} reader;

static void *reader_main(void *arg) {
    reader *r = arg;
    hist_samples raw = {0};
    hist_buckets agg = {0};
    hist_error err;
    int64_t to = T0 + (int64_t)MAX_BATCH * PER_BATCH * 1000;
    while (!atomic_load(&r->stop)) {
        hist_value v[4];
        hist_status a = hist_query_raw(r->h, r->ids[3], T0, to, 0, &raw, &err);
        hist_status b = hist_query_agg(r->h, r->ids[7], T0, to, 60000, 0, &agg, &err);
        hist_status c = hist_snapshot(r->h, T0 + 120000, r->ids, 4, v, &err);
        hist_status all[3] = {a, b, c};
        for (int i = 0; i < 3; i++) {
            if (all[i] == HIST_OK)
                r->answered++;
            else if (all[i] == HIST_EIO)
                r->refused++;
            else
                r->wrong++;
        }
        /* every answer is a prefix of the truth: points 1 s apart from T0 */
        for (size_t i = 0; a == HIST_OK && i < raw.n; i++)
            if (raw.v[i].ts_ms != T0 + (int64_t)i * 1000 ||
                raw.v[i].value != value_of(3, raw.v[i].ts_ms))
                r->wrong++;
    }
    hist_samples_free(&raw);
    hist_buckets_free(&agg);
    return NULL;
}

static void test_disk_full_and_back(void **state) {
    (void)state;
    char dir[512], data[600], filler[600];
    testutil_tmpdir(dir, sizeof dir, "diskfull");
    assert_int_equal(tmpfs_mount(dir, "size=24m,mode=0700"), 0);
    snprintf(data, sizeof data, "%s/data", dir);
    snprintf(filler, sizeof filler, "%s/filler", dir);

    hist_options o;
    hist_options_default(&o);
    o.sync = HIST_SYNC_EVERY_BATCH;
    o.wal_checkpoint_bytes = 256 << 10; /* RocksDB is written often */
    o.block_cache_bytes = 1 << 20;
    hist *h;
    hist_error err;
    assert_int_equal(hist_open(data, &o, &h, &err), HIST_OK);
    hist_series_def defs[N_SERIES];
    char names[N_SERIES][32];
    uint32_t ids[N_SERIES];
    for (int s = 0; s < N_SERIES; s++) {
        snprintf(names[s], sizeof names[s], "E001/dev%03d/gas", s);
        defs[s] = (hist_series_def){.name = names[s], .interval_ms = 1000};
    }
    assert_int_equal(hist_series_ensure(h, defs, N_SERIES, ids, &err), HIST_OK);

    static hist_point pts[N_SERIES * PER_BATCH];
    static bool stored[MAX_BATCH];
    int b = 0;
    for (; b < 20; b++) { /* some history on disk before the trouble */
        make_batch(ids, b, pts);
        assert_int_equal(hist_append(h, pts, N_SERIES * PER_BATCH, &err), HIST_OK);
        stored[b] = true;
    }

    reader rd = {.h = h, .ids = ids};
    pthread_t rt;
    assert_int_equal(pthread_create(&rt, NULL, reader_main, &rd), 0);

    /* Fill the disk but for 1 MiB, then write until the log is refused. */
    int fd = open(filler, O_WRONLY | O_CREAT, 0600);
    assert_true(fd >= 0);
    if (tmpfs_fill_but(dir, fd, 1 << 20) != 0) fail_msg("could not fill the tmpfs");
    close(fd);
    int refused = -1;
    bool store_refused = false;
    for (; b < MAX_BATCH && refused < 0; b++) {
        make_batch(ids, b, pts);
        hist_status st = hist_append(h, pts, N_SERIES * PER_BATCH, &err);
        if (st == HIST_OK) {
            stored[b] = true;
        } else {
            assert_int_equal(st, HIST_EIO);
            assert_non_null(strstr(err.msg, "No space left on device"));
            refused = b;
        }
        if (hist_storage_error(h, NULL, 0, NULL)) store_refused = true;
    }
    assert_true(refused >= 0);
    /* Refused again while full: nothing of it is stored either time. */
    assert_int_equal(hist_append(h, pts, N_SERIES * PER_BATCH, &err), HIST_EIO);
    fprintf(stderr, "log refused at batch %d; RocksDB refused writes first: %s\n", refused,
            store_refused ? "yes" : "no");
    char why[256];
    int64_t since = 0;
    if (hist_storage_error(h, why, sizeof why, &since)) {
        assert_non_null(strstr(why, "No space left"));
        assert_true(since > 0);
    }

    /* Queries answer on the full disk. */
    check_stored(h, ids, stored, b);
    hist_value last;
    assert_int_equal(hist_last(h, &ids[5], 1, &last, &err), HIST_OK);
    assert_int_equal(last.ts_ms, T0 + ((int64_t)(refused - 1) * PER_BATCH + PER_BATCH - 1) * 1000);

    /* Room again: the refused batch goes in, RocksDB is reopened and takes
     * what waited. */
    assert_int_equal(unlink(filler), 0);
    make_batch(ids, refused, pts);
    assert_int_equal(hist_append(h, pts, N_SERIES * PER_BATCH, &err), HIST_OK);
    stored[refused] = true;
    struct timespec pause = {1, 100000000L};
    nanosleep(&pause, NULL);
    int end = b + 30;
    for (; b < end; b++) {
        make_batch(ids, b, pts);
        assert_int_equal(hist_append(h, pts, N_SERIES * PER_BATCH, &err), HIST_OK);
        stored[b] = true;
    }
    assert_false(hist_storage_error(h, NULL, 0, NULL));
    atomic_store(&rd.stop, true);
    pthread_join(rt, NULL);
    fprintf(stderr, "concurrent queries: %zu answered, %zu refused, %zu wrong\n", rd.answered,
            rd.refused, rd.wrong);
    assert_true(rd.answered > 0);
    assert_int_equal(rd.wrong, 0);
    assert_int_equal(hist_flush(h, &err), HIST_OK);
    check_stored(h, ids, stored, b);

    assert_int_equal(hist_close(h, &err), HIST_OK);
    assert_int_equal(hist_open(data, &o, &h, &err), HIST_OK);
    check_stored(h, ids, stored, b);
    assert_int_equal(hist_close(h, &err), HIST_OK);

    assert_int_equal(tmpfs_unmount(dir), 0);
    testutil_rmtree(dir);
}

static void count_event(const alert_event *ev, const alert_rule *r, void *ctx) {
    (void)ev, (void)r;
    ++*(size_t *)ctx;
}

static size_t journal_count(alert_engine *e) {
    alert_event *ev;
    size_t n;
    assert_int_equal(alert_journal_range(e, 0, INT64_MAX / 2, &ev, &n), 0);
    for (size_t i = 1; i < n; i++) assert_true(ev[i].seq > ev[i - 1].seq);
    free(ev);
    return n;
}

static void test_alarm_journal_disk_full(void **state) {
    (void)state;
    char dir[512], journal[600], filler[600];
    testutil_tmpdir(dir, sizeof dir, "diskfull-alarms");
    assert_int_equal(tmpfs_mount(dir, "size=16m,mode=0700"), 0);
    snprintf(journal, sizeof journal, "%s/journal", dir);
    snprintf(filler, sizeof filler, "%s/filler", dir);
    alert_engine *e;
    char err[256];
    assert_int_equal(alert_open(journal, &e, err, sizeof err), 0);
    enum { RULES = 50 };
    alert_rule rules[RULES];
    uint32_t ids[RULES];
    for (int i = 0; i < RULES; i++)
        rules[i] = (alert_rule){.series = (uint32_t)i,
                                .series_name = "E001/gas/x",
                                .enterprise = "E001",
                                .kind = ALERT_HIGH,
                                .limit = 10,
                                .priority = 2};
    assert_int_equal(alert_add_rules(e, rules, RULES, ids, err, sizeof err), 0);
    size_t notified = 0;
    assert_int_equal(alert_subscribe(e, count_event, &notified), 0);

    int fd = open(filler, O_WRONLY | O_CREAT, 0600);
    assert_true(fd >= 0);
    if (tmpfs_fill_but(dir, fd, 64 << 10) != 0) fail_msg("could not fill the tmpfs");
    close(fd);
    /* Every round raises then clears all fifty: 100 transitions. */
    int64_t ts = T0;
    size_t transitions = 0;
    int rounds_after = -1;
    for (int round = 0; round < 900 && rounds_after < 5; round++) {
        alert_point pts[RULES];
        for (int i = 0; i < RULES; i++)
            pts[i] = (alert_point){(uint32_t)i, ts, round % 2 ? 0.0 : 20.0, 0, 0};
        ts += 1000;
        int rc = alert_points(e, pts, RULES);
        assert_int_equal(rc, RULES);
        transitions += (size_t)rc;
        if (rounds_after >= 0)
            rounds_after++;
        else if (alert_journal_error(e, NULL, 0, NULL, NULL))
            rounds_after = 0;
    }
    assert_true(rounds_after >= 5); /* the disk refused, and alarms went on */
    assert_int_equal(notified, transitions);
    char why[256];
    size_t waiting = 0;
    assert_true(alert_journal_error(e, why, sizeof why, &waiting, NULL));
    assert_non_null(strstr(why, "No space left"));
    assert_true(waiting >= 5 * RULES);
    assert_int_equal(journal_count(e), transitions); /* waiting ones included */

    assert_int_equal(unlink(filler), 0);
    struct timespec pause = {1, 100000000L};
    nanosleep(&pause, NULL);
    assert_true(alert_tick(e, ts) >= 0);
    assert_false(alert_journal_error(e, NULL, 0, &waiting, NULL));
    assert_int_equal(waiting, 0);
    assert_int_equal(journal_count(e), transitions);
    alert_close(e);
    assert_int_equal(alert_open(journal, &e, err, sizeof err), 0);
    assert_int_equal(journal_count(e), transitions);
    alert_close(e);
    assert_int_equal(tmpfs_unmount(dir), 0);
    testutil_rmtree(dir);
}

int main(void) {
    /* A filesystem that can fill up needs a mount: root (as in CI) only. */
    if (!tmpfs_allowed("test_diskfull")) return 77;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_disk_full_and_back),
        cmocka_unit_test(test_alarm_journal_disk_full),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
