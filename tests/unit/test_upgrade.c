/*
 * test_upgrade.c - a data directory written by the previous release opens
 * in this one and answers exactly what was written.
 *
 * tests/fixtures/historian-v1/ was written by the historian of commit
 * 2773787 (the last before chunk version 2; tests/fixtures/README.md says
 * how): version-1 chunks in value modes 1, 2 and 3, version-1 rollup
 * records, and the open windows of a writer that stopped without closing,
 * in the historian's write-ahead log and RocksDB's own log. The points are
 * those of tests/fixtures/upgrade_data.h, so every answer is checked
 * against the formula: raw points bit for bit, 1-minute and 1-hour buckets
 * (counts, min, max, first, last exactly; sums to the last decimal of the
 * inputs), last values and snapshots; then new points, among them a late
 * one that makes a version-1 chunk be merged and rewritten, must be
 * answered too and survive a reopen.
 *
 * Each test copies the fixture to a temporary directory first: opening it
 * replays and trims its log, which must not happen to the committed files.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "historian/historian.h"
#include "tests/fixtures/upgrade_data.h"
#include "tests/support/testutil.h"

/* The chunk windows the old code gave the series (fixed when registered). */
static const int64_t want_window[UPG_N_SERIES] = {900000,   3600000,   900000,
                                                  43200000, 604800000, 900000};

/* Points appended by this test on top of the fixture: series 0 goes on for
 * 20 minutes past UPG_END, and point 5 of series 0 (in the first, sealed,
 * version-1 chunk) is written again. */
#define NEW_POINTS 1200
#define LATE_K     5
#define LATE_VALUE 99.25
#define SERIES_MAX 12000

typedef struct expect {
    int64_t ts[SERIES_MAX];
    double v[SERIES_MAX];
    uint8_t q[SERIES_MAX];
    size_t n;
} expect;

static expect E[UPG_N_SERIES];
static char tmp[512], dir[600];
static uint32_t ids[UPG_N_SERIES];

static void copy_file(const char *from, const char *to) {
    int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_EXCL, 0644);
    assert_true(in >= 0 && out >= 0);
    char buf[65536];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0) assert_int_equal(write(out, buf, (size_t)n), n);
    assert_int_equal(n, 0);
    close(in);
    close(out);
}

static void copy_dir(const char *from, const char *to) {
    assert_int_equal(mkdir(to, 0755), 0);
    DIR *d = opendir(from);
    if (!d) fail_msg("%s: %s", from, strerror(errno));
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char a[1600], b[1600];
        snprintf(a, sizeof a, "%s/%s", from, e->d_name);
        snprintf(b, sizeof b, "%s/%s", to, e->d_name);
        copy_file(a, b);
    }
    closedir(d);
}

/* The truth of the fixture, then (with_new) of the points this test adds. */
static void build_expect(bool with_new) {
    for (int s = 0; s < UPG_N_SERIES; s++) {
        expect *x = &E[s];
        x->n = 0;
        for (int64_t k = 0; k < upg_defs[s].count; k++) {
            x->ts[x->n] = upg_ts(s, k);
            upg_truth(s, k, &x->v[x->n], &x->q[x->n]);
            if (with_new && s == 0 && k == LATE_K) x->v[x->n] = LATE_VALUE, x->q[x->n] = UPG_GOOD;
            x->n++;
        }
        if (with_new && s == 0)
            for (int64_t k = upg_defs[0].count; k < upg_defs[0].count + NEW_POINTS; k++) {
                x->ts[x->n] = upg_ts(0, k);
                upg_value(0, k, false, &x->v[x->n], &x->q[x->n]);
                x->n++;
            }
    }
}

static bool same_double(double a, double b) {
    return memcmp(&a, &b, sizeof a) == 0;
}

static hist *open_copy(void) {
    hist *h = NULL;
    hist_error err = {{0}};
    if (hist_open(dir, NULL, &h, &err) != HIST_OK) fail_msg("hist_open %s: %s", dir, err.msg);
    return h;
}

static void close_store(hist *h) {
    hist_error err;
    if (hist_close(h, &err) != HIST_OK) fail_msg("hist_close: %s", err.msg);
}

static void check_series(hist *h) {
    hist_error err;
    assert_int_equal(hist_series_count(h), UPG_N_SERIES);
    for (int s = 0; s < UPG_N_SERIES; s++) {
        assert_int_equal(hist_series_lookup(h, upg_defs[s].name, &ids[s], &err), HIST_OK);
        hist_series_info si;
        assert_int_equal(hist_series_get(h, ids[s], &si, &err), HIST_OK);
        assert_string_equal(si.name, upg_defs[s].name);
        assert_string_equal(si.unit, upg_defs[s].unit ? upg_defs[s].unit : "");
        assert_string_equal(si.description, upg_defs[s].description ? upg_defs[s].description : "");
        assert_int_equal(si.window_ms, want_window[s]);
    }
}

static void check_raw(hist *h) {
    hist_error err;
    for (int s = 0; s < UPG_N_SERIES; s++) {
        hist_samples r = {0};
        assert_int_equal(hist_query_raw(h, ids[s], 0, HIST_MAX_TS_MS, 0, &r, &err), HIST_OK);
        if (r.n != E[s].n) fail_msg("%s: %zu points, %zu written", upg_defs[s].name, r.n, E[s].n);
        for (size_t i = 0; i < r.n; i++) {
            if (r.v[i].ts_ms != E[s].ts[i] || !same_double(r.v[i].value, E[s].v[i]) ||
                r.v[i].quality != E[s].q[i])
                fail_msg("%s point %zu: %lld %.17g q%u, written %lld %.17g q%u", upg_defs[s].name,
                         i, (long long)r.v[i].ts_ms, r.v[i].value, r.v[i].quality,
                         (long long)E[s].ts[i], E[s].v[i], E[s].q[i]);
        }
        /* a range inside, with a limit */
        size_t mid = E[s].n / 2;
        assert_int_equal(hist_query_raw(h, ids[s], E[s].ts[mid], HIST_MAX_TS_MS, 10, &r, &err),
                         HIST_OK);
        assert_int_equal(r.n, 10);
        assert_true(r.truncated);
        assert_int_equal(r.v[0].ts_ms, E[s].ts[mid]);
        assert_int_equal(r.v[9].ts_ms, E[s].ts[mid + 9]);
        hist_samples_free(&r);
    }
}

/* Buckets of step over [from, to) against a fold of the expected points;
 * tier is the rollup tier that must serve the aligned middle. */
static void check_agg(hist *h, int s, int64_t from, int64_t to, int64_t step, int tier) {
    hist_buckets b = {0};
    hist_error err;
    assert_int_equal(hist_query_agg(h, ids[s], from, to, step, 0, &b, &err), HIST_OK);
    if (b.tier != tier)
        fail_msg("%s step %lld: tier %d, expected %d", upg_defs[s].name, (long long)step, b.tier,
                 tier);
    const int d = upg_defs[s].decimals;
    const double scale = d >= 0 ? pow(10, d) : 1;
    size_t k = 0, i = 0;
    while (i < E[s].n) {
        /* the next bucket with an aggregated point */
        hist_bucket w = {0};
        long long isum = 0;
        double fsum = 0;
        int64_t start = 0;
        for (; i < E[s].n; i++) {
            int64_t ts = E[s].ts[i];
            double v = E[s].v[i];
            if (ts < from || ts >= to || (E[s].q[i] & 0xC0) == UPG_BAD || !isfinite(v)) {
                if (w.count && ts >= start + step) break;
                continue;
            }
            int64_t bs = ts - ((ts % step) + step) % step;
            if (w.count && bs != start) break;
            if (!w.count) start = bs, w.min = w.max = w.first = v;
            if (v < w.min) w.min = v;
            if (v > w.max) w.max = v;
            w.last = v;
            w.count++;
            fsum += v;
            isum += llround(v * scale);
        }
        if (!w.count) break;
        if (k >= b.n)
            fail_msg("%s step %lld: bucket %lld missing", upg_defs[s].name, (long long)step,
                     (long long)start);
        const hist_bucket *g = &b.v[k++];
        if (g->ts_ms != start || g->count != w.count || !same_double(g->min, w.min) ||
            !same_double(g->max, w.max) || !same_double(g->first, w.first) ||
            !same_double(g->last, w.last))
            fail_msg("%s step %lld bucket %lld: got %lld n%u min %.17g max %.17g first %.17g last "
                     "%.17g, expected n%u min %.17g max %.17g first %.17g last %.17g",
                     upg_defs[s].name, (long long)step, (long long)start, (long long)g->ts_ms,
                     g->count, g->min, g->max, g->first, g->last, w.count, w.min, w.max, w.first,
                     w.last);
        /* Sums: exact to the inputs' decimals (stored rollups round them
         * there); values that are not all decimal are summed as doubles. */
        if (d >= 0 ? llround(g->sum * scale) != isum
                   : fabs(g->sum - fsum) > 1e-9 * (fabs(fsum) + 1.0))
            fail_msg("%s step %lld bucket %lld: sum %.17g, expected %.17g", upg_defs[s].name,
                     (long long)step, (long long)start, g->sum, fsum);
    }
    if (k != b.n)
        fail_msg("%s step %lld: %zu buckets, expected %zu", upg_defs[s].name, (long long)step, b.n,
                 k);
    hist_buckets_free(&b);
}

static void check_rollups(hist *h, int64_t end) {
    /* tiers kept: minute for windows up to 1 h, hour for windows up to 1 day */
    for (int s = 0; s < UPG_N_SERIES; s++) {
        int t1 = want_window[s] <= UPG_HOUR ? 1 : 0, t2 = want_window[s] <= 24 * UPG_HOUR ? 2 : 0;
        check_agg(h, s, UPG_T0 - 69 * UPG_HOUR, end, UPG_MIN, t1);
        check_agg(h, s, UPG_T0 - 69 * UPG_HOUR, end, UPG_HOUR, t2);
        /* unaligned ends: raw at both, the tier in between */
        check_agg(h, s, UPG_T0 + 10 * UPG_MIN + 500, end - 7 * UPG_MIN - 3, UPG_HOUR, t2);
        check_agg(h, s, UPG_T0 + 61 * UPG_MIN + 1, UPG_T0 + 150 * UPG_MIN - 1, 5 * UPG_MIN, t1);
    }
}

/* The expected state of series s at time t: index of its last point at or
 * before t, or -1. */
static long last_at(int s, int64_t t) {
    long k = -1;
    for (size_t i = 0; i < E[s].n && E[s].ts[i] <= t; i++) k = (long)i;
    return k;
}

static void check_values(const hist_value *v, int64_t t) {
    for (int s = 0; s < UPG_N_SERIES; s++) {
        long k = last_at(s, t);
        assert_int_equal(v[s].series, ids[s]);
        if (k < 0) {
            assert_false(v[s].present);
            continue;
        }
        assert_true(v[s].present);
        if (v[s].ts_ms != E[s].ts[k] || !same_double(v[s].value, E[s].v[k]) ||
            v[s].quality != E[s].q[k])
            fail_msg("%s at %lld: %lld %.17g, expected %lld %.17g", upg_defs[s].name, (long long)t,
                     (long long)v[s].ts_ms, v[s].value, (long long)E[s].ts[k], E[s].v[k]);
    }
}

static void check_last_and_snapshots(hist *h) {
    hist_value v[UPG_N_SERIES];
    hist_error err;
    assert_int_equal(hist_last(h, ids, UPG_N_SERIES, v, &err), HIST_OK);
    check_values(v, HIST_MAX_TS_MS);
    const int64_t at[] = {
        UPG_T0 - 70 * UPG_HOUR, UPG_T0 - 1, UPG_T0,      UPG_T0 + 90 * UPG_MIN + 500, UPG_P2_LATE,
        UPG_P1_END - 1,         UPG_P1_END, UPG_END - 1, UPG_END + 30 * UPG_MIN};
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
        assert_int_equal(hist_snapshot(h, at[i], ids, UPG_N_SERIES, v, &err), HIST_OK);
        check_values(v, at[i]);
    }
}

static void check_all(hist *h, int64_t end) {
    check_series(h);
    check_raw(h);
    check_rollups(h, end);
    check_last_and_snapshots(h);
}

static void test_previous_release_opens(void **state) {
    (void)state;
    build_expect(false);
    hist *h = open_copy();
    check_all(h, UPG_END);
    close_store(h);
    /* and again after this version closed it (the log replayed, the head
     * checkpointed by the current code) */
    h = open_copy();
    check_all(h, UPG_END);
    close_store(h);
}

static void test_appends_on_top(void **state) {
    (void)state;
    hist *h = open_copy();
    check_series(h);
    hist_error err;
    hist_stats st0;
    hist_get_gauges(h, &st0);
    /* new points of series 0 after the fixture's end, and one late point
     * into its first chunk, written by the old code */
    static hist_point pts[NEW_POINTS + 1];
    size_t n = 0;
    for (int64_t k = upg_defs[0].count; k < upg_defs[0].count + NEW_POINTS; k++) {
        double v;
        uint8_t q;
        upg_value(0, k, false, &v, &q);
        pts[n++] = (hist_point){.series = ids[0], .quality = q, .ts_ms = upg_ts(0, k), .value = v};
    }
    pts[n++] = (hist_point){.series = ids[0], .ts_ms = upg_ts(0, LATE_K), .value = LATE_VALUE};
    assert_int_equal(hist_append(h, pts, n, &err), HIST_OK);
    hist_stats st1;
    hist_get_gauges(h, &st1);
    assert_true(st1.late_merges > st0.late_merges); /* the old chunk was read and rewritten */
    build_expect(true);
    const int64_t end = UPG_END + 20 * UPG_MIN;
    check_all(h, end);
    close_store(h);
    h = open_copy();
    check_all(h, end);
    /* everything on disk: the same again from the chunks alone */
    assert_int_equal(hist_compact(h, &err), HIST_OK);
    check_all(h, end);
    close_store(h);
}

static int setup(void **state) {
    (void)state;
    testutil_tmpdir(tmp, sizeof tmp, "upgrade");
    snprintf(dir, sizeof dir, "%s/historian", tmp);
    assert_int_equal(mkdir(dir, 0755), 0);
    char from[1200], to[1200];
    const char *sub[] = {"rocksdb", "wal"};
    for (int i = 0; i < 2; i++) {
        snprintf(from, sizeof from, "%s/tests/fixtures/historian-v1/%s", PARKWATCH_SOURCE_DIR,
                 sub[i]);
        snprintf(to, sizeof to, "%s/%s", dir, sub[i]);
        copy_dir(from, to);
    }
    return 0;
}

static int teardown(void **state) {
    (void)state;
    testutil_rmtree(tmp);
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_previous_release_opens, setup, teardown),
        cmocka_unit_test_setup_teardown(test_appends_on_top, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
