/*
 * test_health_learn.c - health_learn_stuck on synthetic series whose models
 * are worked out by hand (docs/reference/instrument-health.md, "Stuck
 * (frozen) transmitters"), and the learned models through a real alarm
 * engine: a held value raises, the clean copy and the values a series rests
 * at do not.
 *
 * Worked by hand: with no flat run in the history, every bin's limit is
 * the minimum, 2 intervals (a third identical reading after the anchor,
 * at anchor + 3 intervals, raises). A run seen once in history (a year or
 * less of it) is more than the 0.002 raises per bin and year allowed, so
 * the limit covers it: the model never raises on its own history.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "health/health.h"
#include "tests/support/testutil.h"

#define T0  1767225600000LL
#define MIN 60000LL
#define DAY (1440 * MIN)

typedef struct series {
    int64_t *ts;
    double *v;
    size_t n;
} series;

static series make(size_t n) {
    series s = {calloc(n, sizeof(int64_t)), calloc(n, sizeof(double)), n};
    assert_non_null(s.ts);
    assert_non_null(s.v);
    for (size_t i = 0; i < n; i++) s.ts[i] = T0 + (int64_t)i * MIN;
    return s;
}

static void drop(series *s) {
    free(s->ts), free(s->v);
}

/* A temperature-like signal with many decimals: a daily wave and noise. */
static series noisy(size_t n, uint64_t seed) {
    series s = make(n);
    for (size_t i = 0; i < n; i++)
        s.v[i] = 60 + 10 * sin((double)i * 2 * M_PI / 1440) + testutil_uniform(&seed);
    return s;
}

/* A gas detector in clean air: 0 from 00:00 to 18:00 each day, then
 * readings 5.0 .. 8.0 in steps of 0.1 (uniform, so two equal readings in a
 * row happen one time in 31). */
static series clean_air(size_t n, uint64_t seed) {
    series s = make(n);
    for (size_t i = 0; i < n; i++)
        s.v[i] = (i % 1440) < 1080 ? 0 : 5.0 + 0.1 * (double)(testutil_rand(&seed) % 31);
    return s;
}

static unsigned bin_of(const alert_stuck_model *m, double v) {
    unsigned b = 0;
    while (b + 1 < m->n_bins && v >= m->edges[b]) b++;
    return b;
}

/* ---- the engine ---- */

typedef struct raises {
    int64_t ts[64];
    double run_s[64];
    size_t n;
} raises;

static void on_event(const alert_event *e, const alert_rule *r, void *ctx) {
    raises *rs = ctx;
    if (r->kind != ALERT_STUCK || e->action != ALERT_ACT_CONDITION || !e->active) return;
    if (e->from != ALERT_NORMAL && e->from != ALERT_RTN_UNACK) return;
    if (rs->n < 64) rs->ts[rs->n] = e->ts_ms, rs->run_s[rs->n] = e->value, rs->n++;
}

/* Feeds readings through a real engine with one stuck rule of model m. */
static raises replay(const alert_stuck_model *m, const series *s) {
    char dir[256], err[256];
    testutil_tmpdir(dir, sizeof dir, "health-learn");
    alert_engine *e;
    if (alert_open(dir, &e, err, sizeof err) != 0) fail_msg("%s", err);
    raises rs = {0};
    assert_int_equal(alert_subscribe(e, on_event, &rs), 0);
    alert_rule r = {.series = 1,
                    .series_name = "E001/gd-01/h2s",
                    .enterprise = "E001",
                    .kind = ALERT_STUCK,
                    .priority = 3,
                    .stuck = *m};
    uint32_t id;
    if (alert_add_rules(e, &r, 1, &id, err, sizeof err) != 0) fail_msg("%s", err);
    for (size_t i = 0; i < s->n; i++) {
        alert_point p = {.series = 1, .ts_ms = s->ts[i], .value = s->v[i], .quality = 0};
        assert_true(alert_points(e, &p, 1) >= 0);
    }
    alert_close(e);
    testutil_rmtree(dir);
    return rs;
}

/* ---- the learner ---- */

static void test_noisy_signal(void **state) {
    (void)state;
    series s = noisy(31 * 1440, 7); /* over 30 days: no short-history floor */
    alert_stuck_model m;
    health_learn_info info;
    assert_int_equal(health_learn_stuck(s.ts, s.v, s.n, &m, &info), 0);
    assert_true(info.enough);
    assert_int_equal(info.points, s.n);
    assert_int_equal(info.interval_ms, MIN);
    assert_int_equal(info.flat_runs, 0); /* many decimals: never the same twice */
    assert_true(info.quantum > 0 && info.quantum < 1e-3);
    assert_true(m.band == info.quantum / 2);
    /* no flat run at any level: one bin, the minimum limit of 2 intervals */
    assert_int_equal(m.n_bins, 1);
    assert_true(m.flat_s[0] == 120);
    drop(&s);
}

static void test_clean_air_rests_at_zero(void **state) {
    (void)state;
    series s = clean_air(30 * 1440, 11);
    alert_stuck_model m;
    health_learn_info info;
    assert_int_equal(health_learn_stuck(s.ts, s.v, s.n, &m, &info), 0);
    assert_true(info.enough);
    assert_true(fabs(info.quantum - 0.1) < 1e-9);
    assert_true(fabs(m.band - 0.05) < 1e-9);
    assert_true(info.longest_flat_s >= 1079 * 60.0); /* 18 h at 0 each day */
    assert_true(m.n_bins >= 2);
    /* 0 has a bin of its own, which never raises */
    unsigned z = bin_of(&m, 0);
    assert_true(m.flat_s[z] == 0);
    assert_true(bin_of(&m, 5.0) != z);
    /* the readings in 5 .. 8: finite, from the runs seen (one in 31 repeats) */
    for (double v = 5.0; v <= 8.0; v += 0.5) {
        double f = m.flat_s[bin_of(&m, v)];
        assert_true(f >= 120 && f <= 900);
    }
    drop(&s);
}

/* Three days of history (a new park): the same signal gets no limit under
 * ten spacings (10 minutes), nor under five times the longest flat run it
 * showed, until it has 30 days. */
static void test_short_history_floor(void **state) {
    (void)state;
    series s = noisy(3 * 1440, 7);
    alert_stuck_model m;
    health_learn_info info;
    assert_int_equal(health_learn_stuck(s.ts, s.v, s.n, &m, &info), 0);
    assert_true(info.enough);
    assert_true(m.n_bins >= 1);
    for (unsigned b = 0; b < m.n_bins; b++)
        assert_true(m.flat_s[b] == 0 ||
                    (m.flat_s[b] >= 600 && m.flat_s[b] >= 5 * info.longest_flat_s - 1e-9));
    assert_true(m.interval_s == 60);
    drop(&s);
}

static void test_too_little_history(void **state) {
    (void)state;
    series s = noisy(50, 3);
    alert_stuck_model m;
    health_learn_info info;
    assert_int_equal(health_learn_stuck(s.ts, s.v, s.n, &m, &info), 0);
    assert_false(info.enough);
    assert_int_equal(m.n_bins, 0);
    /* a day of readings, however many: not enough either (2 days needed) */
    series d = noisy(1440, 3);
    assert_int_equal(health_learn_stuck(d.ts, d.v, d.n, &m, &info), 0);
    assert_false(info.enough);
    assert_int_equal(m.n_bins, 0);
    /* a series that never changed: no resolution, no model */
    series c = make(10 * 1440);
    assert_int_equal(health_learn_stuck(c.ts, c.v, c.n, &m, &info), 0);
    assert_false(info.enough);
    assert_int_equal(m.n_bins, 0);
    assert_true(info.quantum == 0);
    assert_int_equal(health_learn_stuck(NULL, NULL, 0, &m, NULL), 0);
    assert_int_equal(m.n_bins, 0);
    drop(&s), drop(&d), drop(&c);
}

static void test_bad_arguments(void **state) {
    (void)state;
    series s = noisy(200, 5);
    alert_stuck_model m;
    assert_int_equal(health_learn_stuck(s.ts, s.v, s.n, NULL, NULL), -1);
    assert_int_equal(health_learn_stuck(NULL, s.v, s.n, &m, NULL), -1);
    s.ts[100] = s.ts[10]; /* out of time order */
    assert_int_equal(health_learn_stuck(s.ts, s.v, s.n, &m, NULL), -1);
    drop(&s);
}

static void test_quantised_signal(void **state) {
    (void)state;
    /* CO-like: a random walk in steps of 100, readings every minute, some
     * missing (NaN: skipped, their time still passes) */
    series s = make(20 * 1440);
    uint64_t seed = 23;
    double x = 1000;
    for (size_t i = 0; i < s.n; i++) {
        uint64_t r = testutil_rand(&seed) % 8;
        if (r == 0 && x > 100) x -= 100;
        if (r == 1) x += 100;
        s.v[i] = (i % 97) == 0 ? NAN : x;
    }
    alert_stuck_model m;
    health_learn_info info;
    assert_int_equal(health_learn_stuck(s.ts, s.v, s.n, &m, &info), 0);
    assert_true(info.enough);
    assert_true(info.points < s.n);
    assert_true(info.quantum == 100);
    assert_true(m.band == 50);
    assert_true(info.flat_runs > 1000); /* 3 readings in 4 repeat */
    /* a run seen in (less than a year of) history is over the budget of
     * raises: every limit covers the runs seen, the model is quiet on its
     * own history (through the engine); finite limits at least 2 minutes */
    for (unsigned b = 0; b < m.n_bins; b++) assert_true(m.flat_s[b] == 0 || m.flat_s[b] >= 120);
    raises rs = replay(&m, &s);
    assert_int_equal(rs.n, 0);
    drop(&s);
}

static void test_engine_freeze_raises_clean_does_not(void **state) {
    (void)state;
    series hist = noisy(31 * 1440, 41);
    alert_stuck_model m;
    health_learn_info info;
    assert_int_equal(health_learn_stuck(hist.ts, hist.v, hist.n, &m, &info), 0);
    assert_true(m.n_bins >= 1 && m.flat_s[0] == 120);
    /* the next 5 days, clean: nothing */
    series judge = noisy(5 * 1440, 43);
    for (size_t i = 0; i < judge.n; i++) judge.ts[i] += 31 * DAY;
    raises clean = replay(&m, &judge);
    assert_int_equal(clean.n, 0);
    /* frozen from reading 3000 for 2 h: every reading equals reading 2999;
     * the run starts at 2999, lasts 120 s at 3001 (not more: no raise) and
     * 180 s at 3002: raised 2 minutes after the freeze started */
    for (size_t i = 3000; i < 3120; i++) judge.v[i] = judge.v[2999];
    raises fr = replay(&m, &judge);
    assert_int_equal(fr.n, 1);
    assert_int_equal(fr.ts[0], judge.ts[3002]);
    assert_true(fr.run_s[0] == 180);
    drop(&hist), drop(&judge);
}

static void test_engine_zero_never_raises(void **state) {
    (void)state;
    series hist = clean_air(30 * 1440, 13);
    alert_stuck_model m;
    assert_int_equal(health_learn_stuck(hist.ts, hist.v, hist.n, &m, NULL), 0);
    /* two days at 0 (a long spell of clean air): quiet */
    series judge = make(2 * 1440);
    for (size_t i = 0; i < judge.n; i++) judge.ts[i] += 30 * DAY;
    raises z = replay(&m, &judge);
    assert_int_equal(z.n, 0);
    /* the same detector frozen at 6.3 for an hour: raised within its limit */
    for (size_t i = 0; i < 60; i++) judge.v[i] = 6.3;
    double lim = m.flat_s[bin_of(&m, 6.3)];
    raises f = replay(&m, &judge);
    assert_int_equal(f.n, 1);
    assert_true(f.run_s[0] > lim && f.run_s[0] <= lim + 60);
    assert_true(f.ts[0] == T0 + 30 * DAY + (int64_t)(f.run_s[0] * 1000));
    drop(&hist), drop(&judge);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_noisy_signal),
        cmocka_unit_test(test_clean_air_rests_at_zero),
        cmocka_unit_test(test_short_history_floor),
        cmocka_unit_test(test_too_little_history),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_quantised_signal),
        cmocka_unit_test(test_engine_freeze_raises_clean_does_not),
        cmocka_unit_test(test_engine_zero_never_raises),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
