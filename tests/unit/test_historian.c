/*
 * test_historian.c - the historian through its public API, on real RocksDB
 * files: round trips, late and duplicate writes, rollups against a naive
 * computation, last values and snapshots against a model, retention, backup
 * and restore, and the error cases.
 *
 * The model keeps every write in order; the truth for a (series, ts) is the
 * last write of it. Every query is checked against the model both while
 * points are still in the head and after they have been written to disk.
 */
#include <math.h>
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
#include "tests/support/testutil.h"

#define T0 1767225600000LL /* 2026-01-01T00:00:00Z */

/* ---- model ---- */
typedef struct model_point {
    uint32_t series;
    int64_t ts;
    double v;
    uint8_t q;
    size_t seq;
} model_point;

typedef struct model {
    model_point *p;
    size_t n, cap;
} model;

static void model_add(model *m, const hist_point *pts, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (m->n == m->cap) {
            m->cap = m->cap ? m->cap * 2 : 4096;
            m->p = realloc(m->p, m->cap * sizeof *m->p);
            assert_non_null(m->p);
        }
        m->p[m->n] = (model_point){pts[i].series, pts[i].ts_ms, pts[i].value, pts[i].quality, m->n};
        m->n++;
    }
}

static int model_cmp(const void *a, const void *b) {
    const model_point *x = a, *y = b;
    if (x->series != y->series) return x->series < y->series ? -1 : 1;
    if (x->ts != y->ts) return x->ts < y->ts ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Sorted, deduplicated truth (later write wins). */
static void model_truth(model *m) {
    qsort(m->p, m->n, sizeof *m->p, model_cmp);
    size_t k = 0;
    for (size_t i = 0; i < m->n; i++) {
        if (k && m->p[k - 1].series == m->p[i].series && m->p[k - 1].ts == m->p[i].ts) k--;
        m->p[k++] = m->p[i];
    }
    m->n = k;
}

static bool aggregated(const model_point *p) {
    return (p->q & 0xC0) != HIST_QUALITY_BAD && (p->q & 0xC0) != 0xC0 && isfinite(p->v);
}

static bool same_double(double a, double b) {
    return memcmp(&a, &b, sizeof a) == 0;
}

static void check_raw(hist *h, const model *m, uint32_t series, int64_t from, int64_t to) {
    hist_samples s = {0};
    hist_error err;
    assert_int_equal(hist_query_raw(h, series, from, to, 0, &s, &err), HIST_OK);
    size_t k = 0;
    for (size_t i = 0; i < m->n; i++) {
        const model_point *p = &m->p[i];
        if (p->series != series || p->ts < from || p->ts >= to) continue;
        assert_true(k < s.n);
        assert_int_equal(s.v[k].ts_ms, p->ts);
        assert_true(same_double(s.v[k].value, p->v));
        assert_int_equal(s.v[k].quality, p->q);
        k++;
    }
    assert_int_equal(k, s.n);
    assert_false(s.truncated);
    hist_samples_free(&s);
}

static void check_agg(hist *h, const model *m, uint32_t series, int64_t from, int64_t to,
                      int64_t step, int expect_tier) {
    hist_buckets b = {0};
    hist_error err;
    assert_int_equal(hist_query_agg(h, series, from, to, step, 0, &b, &err), HIST_OK);
    /* A tier serves only when whole periods of it lie inside the range. */
    int64_t g = expect_tier == 2 ? 3600000 : 60000;
    int64_t a = from % g ? from - from % g + g : from, z = to - to % g;
    if (expect_tier > 0 && a >= z) expect_tier = 0;
    assert_int_equal(b.tier, expect_tier);
    /* The naive computation: fold the model's points into buckets. */
    static hist_bucket want[65536];
    size_t n_want = 0;
    for (size_t i = 0; i < m->n; i++) {
        const model_point *p = &m->p[i];
        if (p->series != series || p->ts < from || p->ts >= to || !aggregated(p)) continue;
        int64_t start = p->ts - (((p->ts % step) + step) % step);
        if (!n_want || want[n_want - 1].ts_ms != start) {
            assert_true(n_want < 65536);
            want[n_want++] = (hist_bucket){.ts_ms = start, .min = p->v, .max = p->v, .first = p->v};
        }
        hist_bucket *w = &want[n_want - 1];
        if (p->v < w->min) w->min = p->v;
        if (p->v > w->max) w->max = p->v;
        w->sum += p->v;
        w->last = p->v;
        w->count++;
    }
    size_t k = 0;
    for (; k < n_want; k++) {
        assert_true(k < b.n);
        const hist_bucket *g = &b.v[k], *w = &want[k];
        assert_int_equal(g->ts_ms, w->ts_ms);
        assert_int_equal(g->count, w->count);
        assert_true(same_double(g->min, w->min));
        assert_true(same_double(g->max, w->max));
        assert_true(same_double(g->first, w->first));
        assert_true(same_double(g->last, w->last));
        assert_true(fabs(g->sum - w->sum) <= 1e-9 * (fabs(w->sum) + 1.0));
    }
    assert_int_equal(k, b.n);
    hist_buckets_free(&b);
}

static hist *open_store(const char *dir, const hist_options *o) {
    hist *h = NULL;
    hist_error err = {{0}};
    hist_status st = hist_open(dir, o, &h, &err);
    if (st != HIST_OK) fail_msg("hist_open: %s", err.msg);
    return h;
}

static void close_store(hist *h) {
    hist_error err;
    assert_int_equal(hist_close(h, &err), HIST_OK);
}

static void make_series(hist *h, size_t n, uint32_t *ids) {
    hist_series_def defs[64];
    char names[64][64];
    assert_true(n <= 64);
    for (size_t i = 0; i < n; i++) {
        snprintf(names[i], sizeof names[i], "E%03zu/dev-%zu/T%zu.level", i % 3, i, i);
        defs[i] = (hist_series_def){names[i], "m", "tank level", 0};
    }
    hist_error err;
    assert_int_equal(hist_series_ensure(h, defs, n, ids, &err), HIST_OK);
}

/* ---- tests ---- */

static void test_round_trip_and_reopen(void **state) {
    (void)state;
    char dir[512];
    testutil_tmpdir(dir, sizeof dir, "hist-rt");
    hist *h = open_store(dir, NULL);
    uint32_t ids[4];
    make_series(h, 4, ids);
    model m = {0};
    hist_point pts[400];
    for (int i = 0; i < 100; i++)
        for (int s = 0; s < 4; s++)
            pts[i * 4 + s] =
                (hist_point){ids[s], HIST_QUALITY_GOOD, T0 + i * 1000, s * 10 + i * 0.01};
    hist_error err;
    assert_int_equal(hist_append(h, pts, 400, &err), HIST_OK);
    model_add(&m, pts, 400);
    model_truth(&m);
    for (int s = 0; s < 4; s++) check_raw(h, &m, ids[s], T0, T0 + 100000);
    close_store(h);

    h = open_store(dir, NULL);
    uint32_t id;
    assert_int_equal(hist_series_lookup(h, "E001/dev-1/T1.level", &id, &err), HIST_OK);
    assert_int_equal(id, ids[1]);
    hist_series_info info;
    assert_int_equal(hist_series_get(h, id, &info, &err), HIST_OK);
    assert_string_equal(info.unit, "m");
    for (int s = 0; s < 4; s++) check_raw(h, &m, ids[s], T0, T0 + 100000);
    check_raw(h, &m, ids[2], T0 + 5500, T0 + 7000); /* a sub-range */
    hist_value last[4];
    assert_int_equal(hist_last(h, ids, 4, last, &err), HIST_OK);
    for (int s = 0; s < 4; s++) {
        assert_true(last[s].present);
        assert_int_equal(last[s].ts_ms, T0 + 99000);
        assert_true(same_double(last[s].value, s * 10 + 99 * 0.01));
    }
    hist_series_list l = {0};
    assert_int_equal(hist_series_find(h, "E001", &l, &err), HIST_OK);
    assert_int_equal(l.n, 1);
    assert_int_equal(l.ids[0], ids[1]);
    hist_series_list_free(&l);
    close_store(h);
    free(m.p);
    testutil_rmtree(dir);
}

/* Writes several hours for a few series in shuffled batches, with late
 * points (more than an hour behind), duplicates, bad quality and NaN. */
static void write_messy_every(hist *h, const uint32_t *ids, size_t n_series, model *m,
                              uint64_t seed, int hours, int64_t interval_ms) {
    uint64_t rng = seed;
    int ticks = (int)((int64_t)hours * 3600000 / interval_ms);
    size_t total = (size_t)ticks * n_series;
    hist_point *all = malloc(total * sizeof *all);
    size_t n = 0;
    for (int t = 0; t < ticks; t++)
        for (size_t s = 0; s < n_series; s++) {
            if (testutil_rand(&rng) % 10 == 0) continue; /* gaps */
            double v =
                round((50 + 10 * sin(t / 600.0 + (double)s) + testutil_uniform(&rng)) * 100) / 100;
            uint8_t q = HIST_QUALITY_GOOD;
            uint64_t r = testutil_rand(&rng) % 100;
            if (r == 0) q = HIST_QUALITY_BAD;
            if (r == 1) q = HIST_QUALITY_UNCERTAIN;
            if (r == 2) v = NAN;
            all[n++] = (hist_point){ids[s], q, T0 + (int64_t)t * interval_ms, v};
        }
    /* Mostly in order, but hold back 2 % of points and send them 1-2 h late. */
    hist_point *late = malloc(n * sizeof *late);
    size_t n_late = 0, i = 0;
    hist_error err;
    while (i < n) {
        size_t batch = 1 + testutil_rand(&rng) % 500;
        hist_point buf[500];
        size_t k = 0;
        for (; k < batch && i < n; i++) {
            if (testutil_rand(&rng) % 50 == 0)
                late[n_late++] = all[i];
            else
                buf[k++] = all[i];
        }
        /* Shuffle inside the batch: out of order within the head too. */
        for (size_t j = k; j > 1; j--) {
            size_t r = testutil_rand(&rng) % j;
            hist_point t = buf[j - 1];
            buf[j - 1] = buf[r];
            buf[r] = t;
        }
        /* Send some late points once the stream is far enough ahead. */
        while (n_late && k < 500 && buf[0].ts_ms - late[0].ts_ms > 3600 * 1000) {
            buf[k++] = late[0];
            memmove(late, late + 1, (n_late - 1) * sizeof *late);
            n_late--;
        }
        assert_int_equal(hist_append(h, buf, k, &err), HIST_OK);
        model_add(m, buf, k);
        /* Duplicates: rewrite a few recent points with new values. */
        if (testutil_rand(&rng) % 20 == 0 && k) {
            hist_point dup = buf[testutil_rand(&rng) % k];
            dup.value += 1.25;
            assert_int_equal(hist_append(h, &dup, 1, &err), HIST_OK);
            model_add(m, &dup, 1);
        }
    }
    if (n_late) {
        assert_int_equal(hist_append(h, late, n_late, &err), HIST_OK);
        model_add(m, late, n_late);
    }
    free(late);
    free(all);
}

static void write_messy(hist *h, const uint32_t *ids, size_t n_series, model *m, uint64_t seed,
                        int hours) {
    write_messy_every(h, ids, n_series, m, seed, hours, 1000);
}

static void check_everything(hist *h, model *m, const uint32_t *ids, size_t n_series, int hours) {
    int64_t end = T0 + (int64_t)hours * 3600 * 1000;
    for (size_t s = 0; s < n_series; s++) {
        check_raw(h, m, ids[s], T0, end);
        check_raw(h, m, ids[s], T0 + 1234567, T0 + 2345678);
        check_agg(h, m, ids[s], T0, end, 1000, 0);
        check_agg(h, m, ids[s], T0, end, 15000, 0);
        check_agg(h, m, ids[s], T0, end, 60000, 1);
        check_agg(h, m, ids[s], T0 + 17000, end - 3000, 300000, 1); /* unaligned ends */
        check_agg(h, m, ids[s], T0, end, 3600000, 2);
        check_agg(h, m, ids[s], T0 - 7200000, end + 7200000, 7200000, 2);
        check_agg(h, m, ids[s], T0 + 1800000, end - 1800000, 3600000, 2);
    }
}

static void test_late_duplicates_and_rollups(void **state) {
    (void)state;
    char dir[512];
    testutil_tmpdir(dir, sizeof dir, "hist-late");
    hist *h = open_store(dir, NULL);
    uint32_t ids[3];
    make_series(h, 3, ids);
    model m = {0};
    write_messy(h, ids, 3, &m, 42, 4);
    model_truth(&m);
    check_everything(h, &m, ids, 3, 4); /* with open windows in the head */
    hist_error err;
    hist_stats st;
    assert_int_equal(hist_get_stats(h, &st, &err), HIST_OK);
    assert_true(st.late_merges > 0); /* late points really went through the merge */
    assert_true(st.chunks_written >= 3 * 4 * 4);
    assert_int_equal(hist_flush(h, &err), HIST_OK);
    check_everything(h, &m, ids, 3, 4); /* all on disk, rollups complete */
    close_store(h);
    h = open_store(dir, NULL);
    check_everything(h, &m, ids, 3, 4); /* after reopening */
    assert_int_equal(hist_get_stats(h, &st, &err), HIST_OK);
    assert_int_equal(st.points, m.n);
    assert_int_equal(st.series, 3);
    close_store(h);
    free(m.p);
    testutil_rmtree(dir);
}

/* Series sampled every 10 s, 1 min and 1 h get wider chunk windows and
 * fewer rollup tiers; everything must still read back exactly. */
/* Queries read sealed chunks through the decoded-chunk cache: a chunk read
 * twice answers the same, and a chunk rewritten by a late point (or by
 * another write of the same time) answers with the rewrite, never with
 * the points cached before it. */
static void test_chunk_cache_never_stale(void **state) {
    (void)state;
    char dir[512];
    testutil_tmpdir(dir, sizeof dir, "hist-ccache");
    hist *h;
    hist_error err;
    assert_int_equal(hist_open(dir, NULL, &h, &err), HIST_OK);
    hist_series_def d = {.name = "E1/d/v"};
    uint32_t id;
    assert_int_equal(hist_series_ensure(h, &d, 1, &id, &err), HIST_OK);
    hist_point p[3600];
    for (int i = 0; i < 3600; i++) p[i] = (hist_point){id, 0, T0 + i * 1000LL, i};
    assert_int_equal(hist_append(h, p, 3600, &err), HIST_OK);
    assert_int_equal(hist_flush(h, &err), HIST_OK); /* every window in RocksDB */
    hist_samples a = {0}, b = {0};
    for (int round = 0; round < 3; round++) {
        assert_int_equal(hist_query_raw(h, id, T0, T0 + 3600000, 0, &a, &err), HIST_OK);
        assert_int_equal(hist_query_raw(h, id, T0, T0 + 3600000, 0, &b, &err), HIST_OK);
        assert_int_equal(a.n, round == 2 ? 3601 : 3600);
        assert_int_equal(a.n, b.n);
        for (size_t i = 0; i < a.n; i++) /* field by field: the struct has padding */
            assert_true(a.v[i].ts_ms == b.v[i].ts_ms && a.v[i].value == b.v[i].value &&
                        a.v[i].quality == b.v[i].quality);
        if (round == 0) { /* rewrite a point in the first window */
            hist_point q = {id, 0, T0 + 5000, -1};
            assert_int_equal(hist_append(h, &q, 1, &err), HIST_OK);
            assert_int_equal(hist_flush(h, &err), HIST_OK);
            assert_int_equal(hist_query_raw(h, id, T0, T0 + 10000, 0, &a, &err), HIST_OK);
            assert_true(a.v[5].value == -1);
        } else if (round == 1) { /* a late point between two existing ones */
            hist_point q = {id, 0, T0 + 7500, 42};
            assert_int_equal(hist_append(h, &q, 1, &err), HIST_OK);
            assert_int_equal(hist_flush(h, &err), HIST_OK);
        }
    }
    assert_true(a.v[5].value == -1);
    assert_true(a.v[8].ts_ms == T0 + 7500 && a.v[8].value == 42);
    /* the open window, written by the flush, is answered from the head
     * alone: what is appended after the flush shows, nothing doubles */
    assert_int_equal(hist_query_raw(h, id, T0 + 2700000, T0 + 3600000, 0, &a, &err), HIST_OK);
    assert_int_equal(a.n, 900);
    hist_point more = {id, 0, T0 + 3600000 - 500, 7};
    assert_int_equal(hist_append(h, &more, 1, &err), HIST_OK);
    assert_int_equal(hist_query_raw(h, id, T0 + 2700000, T0 + 3600000, 0, &a, &err), HIST_OK);
    assert_int_equal(a.n, 901);
    assert_true(a.v[900].value == 7 && a.v[899].value == 3599);
    hist_value last;
    assert_int_equal(hist_snapshot(h, T0 + 7600, &id, 1, &last, &err), HIST_OK);
    assert_true(last.present && last.value == 42);
    hist_samples_free(&a);
    hist_samples_free(&b);
    assert_int_equal(hist_close(h, &err), HIST_OK);
    testutil_rmtree(dir);
}

static void test_sparse_series_windows(void **state) {
    (void)state;
    char dir[512];
    testutil_tmpdir(dir, sizeof dir, "hist-sparse");
    hist *h = open_store(dir, NULL);
    const int64_t interval[3] = {10000, 60000, 3600000};
    const int64_t window[3] = {2 * 3600000, 12 * 3600000, 7 * 86400000LL};
    const int hours[3] = {30, 72, 24 * 60};
    hist_series_def defs[3] = {{"E001/aq-1/PM25", "ug/m3", NULL, interval[0]},
                               {"E001/aq-1/SO2", "ug/m3", NULL, interval[1]},
                               {"E002/met-1/TEMP", "degC", NULL, interval[2]}};
    uint32_t ids[3];
    hist_error err;
    assert_int_equal(hist_series_ensure(h, defs, 3, ids, &err), HIST_OK);
    model m = {0};
    for (int s = 0; s < 3; s++) {
        hist_series_info info;
        assert_int_equal(hist_series_get(h, ids[s], &info, &err), HIST_OK);
        assert_int_equal(info.window_ms, window[s]);
        assert_int_equal(hist_window_for_interval(15 * 60000, interval[s]), window[s]);
        write_messy_every(h, &ids[s], 1, &m, 7 + (uint64_t)s, hours[s], interval[s]);
    }
    model_truth(&m);
    for (int pass = 0; pass < 3; pass++) {
        for (int s = 0; s < 3; s++) {
            int64_t end = T0 + (int64_t)hours[s] * 3600000;
            /* Minute buckets exist only for windows up to 1 h, hours up to 1 day. */
            int t1 = window[s] <= 3600000 ? 1 : 0, t2 = window[s] <= 24 * 3600000 ? 2 : 0;
            check_raw(h, &m, ids[s], T0, end);
            check_raw(h, &m, ids[s], T0 + 7777777, end - 5555555);
            check_agg(h, &m, ids[s], T0, end, 60000, t1);
            check_agg(h, &m, ids[s], T0, end, 3600000, t2);
            check_agg(h, &m, ids[s], T0 + 1800000, end - 1800000, 3600000, t2);
            check_agg(h, &m, ids[s], T0, end, 86400000, t2);
        }
        if (pass == 0) assert_int_equal(hist_flush(h, &err), HIST_OK);
        if (pass == 1) {
            close_store(h);
            h = open_store(dir, NULL);
        }
    }
    /* The window survives reopening, and a second ensure does not change it. */
    hist_series_def again = {"E002/met-1/TEMP", NULL, NULL, 1000};
    uint32_t id;
    assert_int_equal(hist_series_ensure(h, &again, 1, &id, &err), HIST_OK);
    hist_series_info info;
    assert_int_equal(hist_series_get(h, id, &info, &err), HIST_OK);
    assert_int_equal(info.window_ms, window[2]);
    close_store(h);
    free(m.p);
    testutil_rmtree(dir);
}

static void test_last_and_snapshot(void **state) {
    (void)state;
    char dir[512];
    testutil_tmpdir(dir, sizeof dir, "hist-snap");
    hist *h = open_store(dir, NULL);
    uint32_t ids[5];
    make_series(h, 5, ids);
    model m = {0};
    write_messy(h, ids, 4, &m, 7, 3); /* series 4 stays empty */
    model_truth(&m);
    hist_error err;
    for (int pass = 0; pass < 2; pass++) {
        int64_t ats[] = {T0 - 1,
                         T0,
                         T0 + 1500,
                         T0 + 3600 * 1000 + 7,
                         T0 + 2 * 3600 * 1000 + 59999,
                         T0 + 3 * 3600 * 1000,
                         INT64_MAX / 2};
        for (size_t a = 0; a < sizeof ats / sizeof ats[0]; a++) {
            hist_value got[5];
            assert_int_equal(hist_snapshot(h, ats[a], ids, 5, got, &err), HIST_OK);
            for (int s = 0; s < 5; s++) {
                const model_point *want = NULL;
                for (size_t i = 0; i < m.n; i++)
                    if (m.p[i].series == ids[s] && m.p[i].ts <= ats[a]) want = &m.p[i];
                assert_int_equal(got[s].present, want != NULL);
                if (!want) continue;
                assert_int_equal(got[s].ts_ms, want->ts);
                assert_true(same_double(got[s].value, want->v));
                assert_int_equal(got[s].quality, want->q);
            }
        }
        hist_value last[5];
        assert_int_equal(hist_last(h, ids, 5, last, &err), HIST_OK);
        for (int s = 0; s < 4; s++) {
            const model_point *want = NULL;
            for (size_t i = 0; i < m.n; i++)
                if (m.p[i].series == ids[s]) want = &m.p[i];
            assert_true(last[s].present);
            assert_int_equal(last[s].ts_ms, want->ts);
            assert_true(same_double(last[s].value, want->v));
        }
        assert_false(last[4].present);
        close_store(h);
        h = open_store(dir, NULL);
    }
    close_store(h);
    free(m.p);
    testutil_rmtree(dir);
}

static void test_errors(void **state) {
    (void)state;
    char dir[512];
    testutil_tmpdir(dir, sizeof dir, "hist-err");
    hist *h = open_store(dir, NULL);
    uint32_t ids[1];
    make_series(h, 1, ids);
    hist_error err;
    hist_samples s = {0};
    hist_buckets b = {0};
    assert_int_equal(hist_query_raw(h, 999, 0, 10, 0, &s, &err), HIST_EINVAL);
    assert_non_null(strstr(err.msg, "unknown series"));
    assert_int_equal(hist_query_raw(h, ids[0], 10, 0, 0, &s, &err), HIST_EINVAL);
    assert_non_null(strstr(err.msg, "after its end"));
    assert_int_equal(hist_query_agg(h, ids[0], 0, 10, 0, 0, &b, &err), HIST_EINVAL);
    assert_int_equal(hist_query_agg(h, ids[0], 0, 10, -5, 0, &b, &err), HIST_EINVAL);
    assert_int_equal(hist_query_agg(h, ids[0], 0, INT64_C(1) << 50, 1, 1000, &b, &err),
                     HIST_ELIMIT);
    hist_point bad[2] = {{ids[0], 0, T0, 1.0}, {ids[0], 0, -1, 2.0}};
    assert_int_equal(hist_append(h, bad, 2, &err), HIST_EINVAL);
    bad[1].ts_ms = HIST_MAX_TS_MS + 1;
    assert_int_equal(hist_append(h, bad, 2, &err), HIST_EINVAL);
    bad[1] = (hist_point){77, 0, T0, 1.0};
    assert_int_equal(hist_append(h, bad, 2, &err), HIST_EINVAL);
    /* All or nothing: the good first point was not stored either. */
    assert_int_equal(hist_query_raw(h, ids[0], 0, HIST_MAX_TS_MS, 0, &s, &err), HIST_OK);
    assert_int_equal(s.n, 0);
    hist_series_def bad_names[] = {{"no-slashes", NULL, NULL, 0},
                                   {"/a/b", NULL, NULL, 0},
                                   {"a/b/", NULL, NULL, 0},
                                   {"a//b", NULL, NULL, 0}};
    uint32_t id;
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(hist_series_ensure(h, &bad_names[i], 1, &id, &err), HIST_EINVAL);
    assert_int_equal(hist_series_lookup(h, "E9/x/y", &id, &err), HIST_ENOTFOUND);
    hist_value v;
    assert_int_equal(hist_last(h, (uint32_t[]){12345}, 1, &v, &err), HIST_EINVAL);
    /* A second open of the same directory is refused, not corrupting. */
    hist *h2 = NULL;
    assert_int_not_equal(hist_open(dir, NULL, &h2, &err), HIST_OK);
    assert_null(h2);
    /* Limit on a raw query. */
    hist_point pts[10];
    for (int i = 0; i < 10; i++) pts[i] = (hist_point){ids[0], 0, T0 + i, i};
    assert_int_equal(hist_append(h, pts, 10, &err), HIST_OK);
    assert_int_equal(hist_query_raw(h, ids[0], T0, T0 + 10, 4, &s, &err), HIST_OK);
    assert_int_equal(s.n, 4);
    assert_true(s.truncated);
    hist_samples_free(&s);
    /* A caller's extreme bounds (issue 16) are clamped, never overflowed:
     * the whole range finds all ten points, and no bucket arithmetic runs
     * past INT64 (UBSan would stop here). */
    assert_int_equal(hist_query_raw(h, ids[0], INT64_MIN, INT64_MAX, 0, &s, &err), HIST_OK);
    assert_int_equal(s.n, 10);
    hist_samples_free(&s);
    assert_int_equal(hist_query_agg(h, ids[0], INT64_MIN, INT64_MAX, INT64_MAX, 10, &b, &err),
                     HIST_EINVAL); /* a step past 2^53 ms */
    assert_int_equal(hist_query_agg(h, ids[0], INT64_MIN, INT64_MAX, 3600000, 10, &b, &err),
                     HIST_ELIMIT);
    assert_int_equal(hist_query_agg(h, ids[0], T0, INT64_MAX, HIST_MAX_TS_MS, 10, &b, &err),
                     HIST_OK);
    assert_int_equal(b.n, 1);
    assert_int_equal(b.v[0].count, 10);
    hist_value last[2];
    assert_int_equal(hist_snapshot(h, INT64_MAX, ids, 1, last, &err), HIST_OK);
    assert_true(last[0].present);
    assert_int_equal(hist_snapshot(h, INT64_MIN, ids, 1, last, &err), HIST_OK);
    assert_false(last[0].present);
    hist_buckets_free(&b);
    close_store(h);
    testutil_rmtree(dir);
}

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_retention(void **state) {
    (void)state;
    char dir[512];
    testutil_tmpdir(dir, sizeof dir, "hist-ret");
    hist_options o;
    hist_options_default(&o);
    o.retention_raw_ms = 2 * 86400000LL; /* raw: 2 days */
    o.retention_1m_ms = 10 * 86400000LL; /* minute rollups: 10 days */
    o.retention_1h_ms = 0;               /* hours: forever */
    hist *h = open_store(dir, &o);
    uint32_t ids[1];
    make_series(h, 1, ids);
    int64_t now = floor(now_ms() / 3600000.0) * 3600000;
    int64_t old = now - 30 * 86400000LL, mid = now - 5 * 86400000LL, recent = now - 3600000;
    int64_t starts[3] = {old, mid, recent};
    hist_error err;
    for (int k = 0; k < 3; k++) {
        hist_point pts[120];
        for (int i = 0; i < 120; i++) pts[i] = (hist_point){ids[0], 0, starts[k] + i * 1000, i};
        assert_int_equal(hist_append(h, pts, 120, &err), HIST_OK);
    }
    assert_int_equal(hist_compact(h, &err), HIST_OK);
    hist_samples s = {0};
    hist_buckets b = {0};
    /* Raw: only the recent hour survives. */
    assert_int_equal(hist_query_raw(h, ids[0], 0, now + 1, 0, &s, &err), HIST_OK);
    assert_int_equal(s.n, 120);
    assert_int_equal(s.v[0].ts_ms, recent);
    /* Minute rollups: the 5-day-old data is still there. */
    assert_int_equal(hist_query_agg(h, ids[0], mid, mid + 3600000, 60000, 0, &b, &err), HIST_OK);
    assert_int_equal(b.tier, 1);
    assert_int_equal(b.n, 2);
    assert_int_equal(b.v[0].count + b.v[1].count, 120);
    /* ...but the 30-day-old minutes are gone; their hour is kept. */
    assert_int_equal(hist_query_agg(h, ids[0], old, old + 3600000, 60000, 0, &b, &err), HIST_OK);
    assert_int_equal(b.n, 0);
    assert_int_equal(hist_query_agg(h, ids[0], old, old + 3600000, 3600000, 0, &b, &err), HIST_OK);
    assert_int_equal(b.tier, 2);
    assert_int_equal(b.n, 1);
    assert_int_equal(b.v[0].count, 120);
    assert_true(b.v[0].sum == 119 * 120 / 2);
    hist_samples_free(&s);
    hist_buckets_free(&b);
    close_store(h);
    testutil_rmtree(dir);
}

static void test_backup_restore(void **state) {
    (void)state;
    char dir[512], bdir[600], rdir[600];
    testutil_tmpdir(dir, sizeof dir, "hist-bak");
    snprintf(bdir, sizeof bdir, "%s/backup", dir);
    snprintf(rdir, sizeof rdir, "%s/restored", dir);
    char data[600];
    snprintf(data, sizeof data, "%s/data", dir);
    hist *h = open_store(data, NULL);
    uint32_t ids[2];
    make_series(h, 2, ids);
    model before = {0};
    write_messy(h, ids, 2, &before, 3, 1);
    hist_error err;
    assert_int_equal(hist_backup(h, bdir, &err), HIST_OK);
    assert_int_equal(hist_backup(h, bdir, &err), HIST_EINVAL); /* exists */
    /* Written after the backup: must not be in the restored copy. */
    hist_point after = {ids[0], 0, T0 + 7200 * 1000, 99.0};
    assert_int_equal(hist_append(h, &after, 1, &err), HIST_OK);
    close_store(h);
    assert_int_equal(hist_restore(bdir, rdir, &err), HIST_OK);
    assert_int_equal(hist_restore(bdir, rdir, &err), HIST_EINVAL); /* not empty */
    assert_int_equal(hist_restore(data, rdir, &err), HIST_EINVAL); /* not a backup */
    h = open_store(rdir, NULL);
    model_truth(&before);
    check_everything(h, &before, ids, 2, 1);
    hist_value last;
    assert_int_equal(hist_last(h, ids, 1, &last, &err), HIST_OK);
    assert_true(last.ts_ms < after.ts_ms);
    close_store(h);
    free(before.p);
    testutil_rmtree(dir);
}

static void test_interval_sync_policy(void **state) {
    (void)state;
    char dir[512];
    testutil_tmpdir(dir, sizeof dir, "hist-sync");
    hist_options o;
    hist_options_default(&o);
    o.sync = HIST_SYNC_INTERVAL;
    o.sync_interval_ms = 5;
    o.wal_checkpoint_bytes = 64 * 1024; /* many checkpoints while writing */
    hist *h = open_store(dir, &o);
    uint32_t ids[2];
    make_series(h, 2, ids);
    model m = {0};
    write_messy(h, ids, 2, &m, 11, 2);
    model_truth(&m);
    check_everything(h, &m, ids, 2, 2);
    close_store(h);
    h = open_store(dir, &o);
    check_everything(h, &m, ids, 2, 2);
    close_store(h);
    free(m.p);
    testutil_rmtree(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_and_reopen),
        cmocka_unit_test(test_late_duplicates_and_rollups),
        cmocka_unit_test(test_chunk_cache_never_stale),
        cmocka_unit_test(test_sparse_series_windows),
        cmocka_unit_test(test_last_and_snapshot),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_retention),
        cmocka_unit_test(test_backup_restore),
        cmocka_unit_test(test_interval_sync_policy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
