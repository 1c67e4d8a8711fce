/*
 * test_alerting_kinds.c - the alarm engine's kinds of issue 19, each raised
 * and cleared on readings whose alarm times are worked out by hand:
 * imbalance, means of windows (hourly, and daily from a local midnight),
 * stuck, range, flapping, drift (alert_set_condition); the rules' validation,
 * alert_rule_update, class and origin names, the rule's strings, and the
 * new kinds across a restart.
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

#include "alerting/alerting.h"
#include "tests/support/testutil.h"

#define T0  1767225600000LL /* 2026-01-01 00:00 UTC: a whole hour */
#define S   1000LL
#define MIN (60 * S)
#define H   (3600 * S)

typedef struct seen {
    alert_event ev[512];
    size_t n;
} seen;

static void record(const alert_event *e, const alert_rule *r, void *ctx) {
    (void)r;
    seen *s = ctx;
    if (s->n < 512) s->ev[s->n++] = *e;
}

static alert_engine *open_engine(const char *dir, seen *s) {
    alert_engine *e;
    char err[256];
    if (alert_open(dir, &e, err, sizeof err) != 0) fail_msg("%s", err);
    if (s) assert_int_equal(alert_subscribe(e, record, s), 0);
    return e;
}

static alert_rule base(uint32_t series, alert_kind kind, double limit, double db) {
    return (alert_rule){.series = series,
                        .series_name = "E001/x",
                        .enterprise = "E001",
                        .kind = kind,
                        .limit = limit,
                        .deadband = db,
                        .priority = 2};
}

static uint32_t add_rule(alert_engine *e, const alert_rule *r) {
    uint32_t id;
    char err[256];
    if (alert_add_rules(e, r, 1, &id, err, sizeof err) != 0) fail_msg("%s", err);
    return id;
}

static int feed(alert_engine *e, uint32_t series, int64_t ts, double v, uint8_t q) {
    alert_point p = {series, ts, v, q, 0};
    int rc = alert_points(e, &p, 1);
    assert_true(rc >= 0);
    return rc;
}

static alert_status status(alert_engine *e, uint32_t id) {
    alert_status st;
    assert_int_equal(alert_get(e, id, &st), 0);
    return st;
}

/* The last event of a rule: its time, value and whether it raised. */
static const alert_event *last_of(const seen *s, uint32_t id) {
    for (size_t i = s->n; i-- > 0;)
        if (s->ev[i].rule == id) return &s->ev[i];
    return NULL;
}

static size_t count_of(const seen *s, uint32_t id) {
    size_t c = 0;
    for (size_t i = 0; i < s->n; i++) c += s->ev[i].rule == id;
    return c;
}

/* A pipeline's inlet meter (series 20) against its outlet (21): 5 % lost
 * raises at a 3 % limit, 1 % does not; the floor of the denominator keeps
 * a line at rest from looking like a leak. */
static void test_imbalance(void **state) {
    (void)state;
    char dir[512];
    testutil_tmpdir(dir, sizeof dir, "alert-imb");
    seen s = {0};
    alert_engine *e = open_engine(dir, &s);
    alert_rule r = base(20, ALERT_IMBALANCE, 0.03, 1.0);
    r.paired_series = 21;
    uint32_t id = add_rule(e, &r);
    feed(e, 20, T0, 100, 0);
    feed(e, 21, T0, 99, 0); /* (100 - 99) / 100 = 0.01 */
    assert_int_equal(status(e, id).state, ALERT_NORMAL);
    assert_int_equal(feed(e, 21, T0 + S, 95, 0), 1); /* 0.05 > 0.03 */
    const alert_event *ev = last_of(&s, id);
    assert_true(ev->active && ev->ts_ms == T0 + S && fabs(ev->value - 0.05) < 1e-12);
    /* clears at or below 90 % of the limit (0.027), not above */
    feed(e, 21, T0 + 2 * S, 97.2, 0); /* 0.028 */
    assert_true(status(e, id).active);
    feed(e, 20, T0 + 3 * S, 99.7, 0); /* (99.7 - 97.2) / 99.7 = 0.0251: the inlet reads too */
    ev = last_of(&s, id);
    assert_true(!ev->active && ev->ts_ms == T0 + 3 * S);
    /* at rest: 0.02 against 0 is 0.02 / max(0.02, 1), not 100 % */
    feed(e, 20, T0 + 4 * S, 0.02, 0);
    feed(e, 21, T0 + 4 * S, 0, 0);
    assert_false(status(e, id).active);
    /* an outlet above the inlet is no leak */
    feed(e, 21, T0 + 5 * S, 50, 0);
    assert_false(status(e, id).active);
    assert_int_equal(count_of(&s, id), 2);
    alert_close(e);
    testutil_rmtree(dir);
}

/* GB 3095 hourly means: single readings above the limit do not raise when
 * the hour's mean is below it; an hour whose mean is above raises at the
 * hour's end, when the next hour's first reading comes. */
static void test_windowed_high(void **state) {
    (void)state;
    char dir[512];
    testutil_tmpdir(dir, sizeof dir, "alert-win");
    seen s = {0};
    alert_engine *e = open_engine(dir, &s);
    alert_rule r = base(30, ALERT_HIGH, 75, 5);
    r.window_ms = H;
    uint32_t id = add_rule(e, &r);
    /* hour 0: 100, then 50 five times: mean 58.33 */
    for (int i = 0; i < 6; i++)
        assert_int_equal(feed(e, 30, T0 + i * 10 * MIN, i == 0 ? 100 : 50, 0), 0);
    /* hour 1: 100 four times, 50 twice: mean 83.33; hour 0 judged (quiet) */
    for (int i = 0; i < 6; i++)
        assert_int_equal(feed(e, 30, T0 + H + i * 10 * MIN, i < 4 ? 100 : 50, 0), 0);
    assert_int_equal(count_of(&s, id), 0);
    /* the first reading of hour 2 judges hour 1: raised at its end */
    assert_int_equal(feed(e, 30, T0 + 2 * H + 5 * MIN, 40, 0), 1);
    const alert_event *ev = last_of(&s, id);
    assert_true(ev->active && ev->ts_ms == T0 + 2 * H);
    assert_true(fabs(ev->value - 250.0 / 3) < 1e-9);
    /* hour 2 (mean 40) judged by the tick past its end: cleared at T0 + 3 h */
    assert_int_equal(alert_tick(e, T0 + 3 * H - 1), 0);
    assert_int_equal(alert_tick(e, T0 + 3 * H + 30 * S), 1);
    ev = last_of(&s, id);
    assert_true(!ev->active && ev->ts_ms == T0 + 3 * H && ev->value == 40);
    /* a late reading of the hour the tick judged changes nothing */
    assert_int_equal(feed(e, 30, T0 + 3 * H - MIN, 500, 0), 0);
    assert_int_equal(alert_tick(e, T0 + 4 * H), 0);
    /* an hour without readings judges nothing; bad readings are not summed */
    feed(e, 30, T0 + 5 * H, 80, 0);
    feed(e, 30, T0 + 5 * H + MIN, 10, 0x80);
    /* 80 > 75 raises; the good reading clears the bad one's fault too */
    assert_int_equal(feed(e, 30, T0 + 6 * H, 10, 0), 2);
    assert_true(last_of(&s, id)->ts_ms == T0 + 6 * H);
    alert_close(e);
    testutil_rmtree(dir);
}

/* Daily means from a UTC+8 midnight: windows [16:00, 16:00) UTC. */
static void test_windowed_daily_offset(void **state) {
    (void)state;
    char dir[512];
    testutil_tmpdir(dir, sizeof dir, "alert-day");
    seen s = {0};
    alert_engine *e = open_engine(dir, &s);
    alert_rule r = base(31, ALERT_HIGH, 150, 0);
    r.window_ms = 24 * H, r.window_offset_ms = 16 * H;
    uint32_t id = add_rule(e, &r);
    feed(e, 31, T0 + 10 * H, 200, 0); /* the local day from T0 - 8 h */
    feed(e, 31, T0 + 15 * H, 160, 0);
    assert_int_equal(feed(e, 31, T0 + 17 * H, 10, 0), 1); /* next local day: judged */
    assert_true(last_of(&s, id)->ts_ms == T0 + 16 * H && last_of(&s, id)->value == 180);
    assert_int_equal(alert_tick(e, T0 + 40 * H - 1), 0);
    assert_int_equal(alert_tick(e, T0 + 40 * H), 1); /* its end: 16:00 UTC the next day */
    assert_true(last_of(&s, id)->ts_ms == T0 + 40 * H && !last_of(&s, id)->active);
    alert_close(e);
    testutil_rmtree(dir);
}

/* A detector that reads 0 in clean air for hours is normal (flat_s 0);
 * at 5 it is normally flat for at most 10 minutes. */
static void test_stuck(void **state) {
    (void)state;
    char dir[512];
    testutil_tmpdir(dir, sizeof dir, "alert-stuck");
    seen s = {0};
    alert_engine *e = open_engine(dir, &s);
    alert_rule r = base(40, ALERT_STUCK, 0, 0);
    r.stuck = (alert_stuck_model){.band = 0.1, .n_bins = 2, .edges = {1}, .flat_s = {0, 600}};
    uint32_t id = add_rule(e, &r);
    for (int64_t t = 0; t <= 2 * H; t += MIN) feed(e, 40, T0 + t, t % (2 * MIN) ? 0.05 : 0, 0);
    assert_int_equal(count_of(&s, id), 0);
    /* 5 from Ts, every 10 s, within the band: over 600 s at Ts + 610 s */
    int64_t ts = T0 + 3 * H;
    for (int64_t t = 0; t <= 600 * S; t += 10 * S)
        assert_int_equal(feed(e, 40, ts + t, t % (20 * S) ? 5.08 : 5, 0), 0);
    assert_int_equal(feed(e, 40, ts + 610 * S, 5, 0), 1);
    const alert_event *ev = last_of(&s, id);
    assert_true(ev->active && ev->ts_ms == ts + 610 * S && ev->value == 610);
    feed(e, 40, ts + 660 * S, 5.02, 0); /* held 11 min: still */
    assert_true(status(e, id).active && status(e, id).value == 660);
    feed(e, 40, ts + 665 * S, 1, 0x80); /* bad: ignored by the run (a fault instead) */
    assert_true(status(e, id).active);
    /* it moves: cleared, and a new run starts (and the good reading clears the fault) */
    assert_int_equal(feed(e, 40, ts + 670 * S, 7, 0), 2);
    ev = last_of(&s, id);
    assert_true(!ev->active && ev->ts_ms == ts + 670 * S && ev->value == 670);
    /* a relearned model (300 s at 7) applies to the run going on */
    for (int64_t t = 680; t <= 900; t += 10) feed(e, 40, ts + t * S, 7, 0);
    assert_false(status(e, id).active); /* 230 s */
    alert_rule u;
    assert_int_equal(alert_rule_get(e, id, &u), 0);
    u.stuck.flat_s[1] = 200;
    char err[256];
    assert_int_equal(alert_rule_update(e, id, &u, err, sizeof err), 0);
    assert_int_equal(feed(e, 40, ts + 910 * S, 7, 0), 1); /* 240 s > 200 s */
    assert_true(last_of(&s, id)->ts_ms == ts + 910 * S && last_of(&s, id)->value == 240);
    alert_close(e);
    testutil_rmtree(dir);
}

/* A level transmitter of 0 .. 100 %: outside is an instrument fault. */
static void test_range(void **state) {
    (void)state;
    char dir[512];
    testutil_tmpdir(dir, sizeof dir, "alert-range");
    seen s = {0};
    alert_engine *e = open_engine(dir, &s);
    alert_rule r = base(50, ALERT_RANGE, 100, 2);
    r.limit_low = 0;
    uint32_t id = add_rule(e, &r);
    assert_int_equal(feed(e, 50, T0, 50, 0), 0);
    assert_int_equal(feed(e, 50, T0 + S, 0, 0), 0); /* the bound itself is in range */
    assert_int_equal(feed(e, 50, T0 + 2 * S, -1, 0), 1);
    assert_true(last_of(&s, id)->active && last_of(&s, id)->ts_ms == T0 + 2 * S);
    assert_int_equal(feed(e, 50, T0 + 3 * S, 1.5, 0), 0); /* inside the deadband */
    assert_int_equal(feed(e, 50, T0 + 4 * S, 2, 0), 1);   /* at limit_low + deadband */
    assert_true(!last_of(&s, id)->active && last_of(&s, id)->ts_ms == T0 + 4 * S);
    assert_int_equal(feed(e, 50, T0 + 5 * S, 100.5, 0), 1);
    assert_int_equal(feed(e, 50, T0 + 6 * S, 98.5, 0), 0);
    assert_int_equal(feed(e, 50, T0 + 7 * S, 97, 0), 1);
    assert_false(status(e, id).active);
    alert_close(e);
    testutil_rmtree(dir);
}

/* Gaps over 30 s are losses; 3 within 10 minutes raise; the tick clears
 * the alarm when the oldest of them leaves the window. */
static void test_flapping(void **state) {
    (void)state;
    char dir[512];
    testutil_tmpdir(dir, sizeof dir, "alert-flap");
    seen s = {0};
    alert_engine *e = open_engine(dir, &s);
    alert_rule r = base(60, ALERT_FLAPPING, 3, 30);
    r.window_ms = 10 * MIN;
    uint32_t id = add_rule(e, &r);
    feed(e, 60, T0, 1, 0);
    feed(e, 60, T0 + 30 * S, 1, 0);                       /* 30 s: not more than 30 */
    feed(e, 60, T0 + 90 * S, 1, 0);                       /* loss 1 */
    feed(e, 60, T0 + 100 * S, 1, 0);                      /* */
    feed(e, 60, T0 + 160 * S, 1, 0x80);                   /* loss 2: a bad reading is a reading */
    feed(e, 60, T0 + 170 * S, 1, 0);                      /* */
    assert_int_equal(count_of(&s, id), 0);                /* */
    assert_int_equal(feed(e, 60, T0 + 230 * S, 1, 0), 1); /* loss 3 */
    const alert_event *ev = last_of(&s, id);
    assert_true(ev->active && ev->ts_ms == T0 + 230 * S && ev->value == 3);
    for (int64_t t = 240; t <= 300; t += 10) feed(e, 60, T0 + t * S, 1, 0);
    /* loss 1 (90 s) leaves the window at 690 s */
    assert_int_equal(alert_tick(e, T0 + 689 * S), 0);
    assert_true(status(e, id).active);
    assert_int_equal(alert_tick(e, T0 + 700 * S), 1);
    ev = last_of(&s, id);
    assert_true(!ev->active && ev->ts_ms == T0 + 690 * S && ev->value == 2);
    alert_close(e);
    testutil_rmtree(dir);
}

/* A device's history delivered late (a gateway's backlog, parksim
 * --history): readings an hour old, received now, are a live link. The
 * stale watch counts from when they arrived, and raises once they stop. */
static void test_stale_counts_from_arrival(void **state) {
    (void)state;
    char dir[512];
    testutil_tmpdir(dir, sizeof dir, "alert-stale-arrival");
    seen s = {0};
    alert_engine *e = open_engine(dir, &s);
    uint32_t id = add_rule(e, &(alert_rule){.series = 70,
                                            .series_name = "E001/x",
                                            .enterprise = "E001",
                                            .kind = ALERT_STALE,
                                            .limit = 60,
                                            .priority = 3});
    for (int64_t t = 0; t < 30; t++) { /* an hour ago, received over the last 30 s */
        alert_point p = {70, T0 - H + t * S, 1, 0, T0 + t * S};
        assert_true(alert_points(e, &p, 1) >= 0);
    }
    assert_int_equal(alert_tick(e, T0 + 60 * S), 0); /* 31 s after the last arrival */
    assert_int_equal(count_of(&s, id), 0);
    assert_int_equal(alert_tick(e, T0 + 90 * S), 1); /* 61 s: stale */
    const alert_event *ev = last_of(&s, id);
    assert_true(ev->active && ev->ts_ms == T0 + 29 * S + 60 * S);
    /* without an arrival time the reading's own time counts, as before */
    feed(e, 70, T0 + 95 * S, 1, 0);
    assert_false(status(e, id).active);
    alert_close(e);
    testutil_rmtree(dir);
}

/* The data path down (alert_hold_stale): its gap is no sensor's loss. */
static void test_flapping_path_down(void **state) {
    (void)state;
    char dir[512];
    testutil_tmpdir(dir, sizeof dir, "alert-flap-held");
    seen s = {0};
    alert_engine *e = open_engine(dir, &s);
    alert_rule r = base(61, ALERT_FLAPPING, 1, 30);
    r.window_ms = 10 * MIN;
    uint32_t id = add_rule(e, &r);
    feed(e, 61, T0, 1, 0);
    alert_hold_stale(e, true, T0 + 10 * S);
    alert_hold_stale(e, false, T0 + 120 * S);
    assert_int_equal(feed(e, 61, T0 + 125 * S, 1, 0), 0); /* 5 s after the path came back */
    assert_false(status(e, id).active);
    assert_int_equal(feed(e, 61, T0 + 200 * S, 1, 0), 1); /* a gap of its own */
    assert_true(last_of(&s, id)->ts_ms == T0 + 200 * S);
    alert_close(e);
    testutil_rmtree(dir);
}

/* Drift is judged outside the engine (health/): through the on-delay like
 * a reading; readings do not touch it. */
static void test_drift(void **state) {
    (void)state;
    char dir[512];
    testutil_tmpdir(dir, sizeof dir, "alert-drift");
    seen s = {0};
    alert_engine *e = open_engine(dir, &s);
    alert_rule r = base(70, ALERT_DRIFT, 0, 0);
    r.on_delay_ms = 60 * S;
    uint32_t id = add_rule(e, &r);
    assert_int_equal(alert_set_condition(e, id, true, T0, 2.5), 0);
    feed(e, 70, T0 + 10 * S, 1e9, 0); /* no effect on drift */
    assert_int_equal(alert_tick(e, T0 + 59 * S), 0);
    assert_int_equal(alert_tick(e, T0 + 61 * S), 1);
    const alert_event *ev = last_of(&s, id);
    assert_true(ev->active && ev->ts_ms == T0 + 60 * S && ev->value == 2.5);
    assert_int_equal(ev->action, ALERT_ACT_CONDITION);
    assert_int_equal(alert_set_condition(e, id, false, T0 + 120 * S, 0.1), 1);
    assert_true(!last_of(&s, id)->active && last_of(&s, id)->ts_ms == T0 + 120 * S);
    assert_int_equal(status(e, id).state, ALERT_RTN_UNACK);
    /* journalled like any other */
    alert_event *jv;
    size_t n;
    assert_int_equal(alert_journal_range(e, T0, T0 + H, &jv, &n), 0);
    size_t mine = 0;
    for (size_t i = 0; i < n; i++) mine += jv[i].rule == id;
    assert_int_equal(mine, 2);
    free(jv);
    assert_int_equal(alert_set_condition(e, 9999, true, T0, 1), -1);
    alert_close(e);
    testutil_rmtree(dir);
}

/* A condition judged by a module (common/condition.h): set, never driven
 * by readings, and its series gets no fault rule (a bad reading on it
 * raises nothing: the series has no readings of its own). */
static void test_condition(void **state) {
    (void)state;
    char dir[512];
    testutil_tmpdir(dir, sizeof dir, "alert-condition");
    seen s = {0};
    alert_engine *e = open_engine(dir, &s);
    alert_rule r = base(71, ALERT_CONDITION, 50, 0);
    r.series_name = "PARK/vehicles/A1/off_route";
    size_t before = alert_rule_count(e);
    uint32_t id = add_rule(e, &r);
    assert_int_equal(alert_rule_count(e), before + 1); /* no fault rule with it */
    feed(e, 71, T0, 1e9, 0x80);                        /* neither a value nor a bad quality */
    assert_int_equal(status(e, id).state, ALERT_NORMAL);
    assert_int_equal(alert_set_condition(e, id, true, T0 + S, 75), 1);
    const alert_event *ev = last_of(&s, id);
    assert_true(ev->active && ev->value == 75 && ev->to == ALERT_UNACK);
    assert_int_equal(alert_kind_class(ALERT_CONDITION), ALERT_CLASS_PROCESS);
    assert_int_equal(alert_set_condition(e, id, false, T0 + 2 * S, 10), 1);
    assert_int_equal(status(e, id).state, ALERT_RTN_UNACK);
    alert_close(e);
    testutil_rmtree(dir);
}

static void test_validation(void **state) {
    (void)state;
    char dir[512];
    testutil_tmpdir(dir, sizeof dir, "alert-valid");
    alert_engine *e = open_engine(dir, NULL);
    alert_rule bad[32];
    size_t nb = 0;
    alert_rule x = base(1, ALERT_RANGE, 10, 0);
    x.limit_low = 10; /* not below limit */
    bad[nb++] = x;
    x = base(1, ALERT_HIGH, 10, 0), x.limit_low = NAN;
    bad[nb++] = x;
    x = base(1, ALERT_HIGH, 10, INFINITY);
    bad[nb++] = x;
    x = base(1, ALERT_IMBALANCE, 0.03, 1), x.paired_series = 1;
    bad[nb++] = x;
    x = base(1, ALERT_IMBALANCE, 0, 1), x.paired_series = 2;
    bad[nb++] = x;
    x = base(1, ALERT_IMBALANCE, 0.03, 0), x.paired_series = 2;
    bad[nb++] = x;
    alert_stuck_model ok = {.band = 0.1, .n_bins = 3, .edges = {1, 5}, .flat_s = {0, 600, 300}};
    x = base(1, ALERT_STUCK, 0, 0), x.stuck = ok, x.stuck.n_bins = ALERT_STUCK_BINS + 1;
    bad[nb++] = x;
    x = base(1, ALERT_STUCK, 0, 0), x.stuck = ok, x.stuck.band = -1;
    bad[nb++] = x;
    x = base(1, ALERT_STUCK, 0, 0), x.stuck = ok, x.stuck.edges[1] = 0.5; /* unsorted */
    bad[nb++] = x;
    x = base(1, ALERT_STUCK, 0, 0), x.stuck = ok, x.stuck.edges[0] = NAN;
    bad[nb++] = x;
    x = base(1, ALERT_STUCK, 0, 0), x.stuck = ok, x.stuck.flat_s[2] = -1;
    bad[nb++] = x;
    x = base(1, ALERT_FLAPPING, 0.5, 30), x.window_ms = H;
    bad[nb++] = x;
    x = base(1, ALERT_FLAPPING, 65, 30), x.window_ms = H; /* more than the ring holds */
    bad[nb++] = x;
    x = base(1, ALERT_FLAPPING, 3, 0), x.window_ms = H;
    bad[nb++] = x;
    x = base(1, ALERT_FLAPPING, 3, 30);
    bad[nb++] = x;
    x = base(1, ALERT_HIGH, 10, 0), x.window_ms = -1;
    bad[nb++] = x;
    x = base(1, ALERT_HIGH, 10, 0), x.window_ms = H, x.window_offset_ms = H;
    bad[nb++] = x;
    x = base(1, ALERT_HIGH, 10, 0), x.window_ms = H, x.window_offset_ms = -1;
    bad[nb++] = x;
    const alert_kind unwindowed[] = {ALERT_RATE, ALERT_STALE, ALERT_STUCK, ALERT_RANGE,
                                     ALERT_DRIFT};
    for (size_t k = 0; k < sizeof unwindowed / sizeof unwindowed[0]; k++) {
        x = base(1, unwindowed[k], 10, 0), x.window_ms = H, x.limit_low = 0;
        bad[nb++] = x;
    }
    x = base(1, ALERT_HIGH, 10, 0), x.origin = (alert_origin)9;
    bad[nb++] = x;
    for (size_t i = 0; i < nb; i++) {
        uint32_t id;
        char err[256] = "";
        if (alert_add_rules(e, &bad[i], 1, &id, err, sizeof err) != -1)
            fail_msg("bad rule %zu (%s) taken", i, alert_kind_name(bad[i].kind));
        assert_non_null(strstr(err, "not valid"));
    }
    assert_int_equal(alert_rule_count(e), 0);
    /* the same kinds, valid */
    alert_rule good[] = {base(1, ALERT_RANGE, 10, 0), base(1, ALERT_IMBALANCE, 0.03, 1),
                         base(1, ALERT_STUCK, 0, 0),  base(1, ALERT_FLAPPING, 3, 30),
                         base(1, ALERT_DRIFT, 0, 0),  base(1, ALERT_HIGH, 10, 0)};
    good[0].limit_low = -10;
    good[1].paired_series = 2;
    good[2].stuck = ok;
    good[3].window_ms = H;
    good[5].window_ms = 24 * H, good[5].window_offset_ms = 16 * H;
    uint32_t ids[6];
    char err[256];
    assert_int_equal(alert_add_rules(e, good, 6, ids, err, sizeof err), 0);
    /* an update is judged the same way, and an invalid one changes nothing */
    alert_rule u = good[0];
    u.limit_low = 20;
    assert_int_equal(alert_rule_update(e, ids[0], &u, err, sizeof err), -1);
    assert_non_null(strstr(err, "not valid"));
    u = good[5], u.window_offset_ms = 25 * H;
    assert_int_equal(alert_rule_update(e, ids[5], &u, err, sizeof err), -1);
    alert_rule got;
    assert_int_equal(alert_rule_get(e, ids[0], &got), 0);
    assert_true(got.limit_low == -10);
    assert_int_equal(alert_rule_update(e, 9999, &good[0], err, sizeof err), -1);
    alert_close(e);
    testutil_rmtree(dir);
}

/* An operator raises a limit: the active alarm clears at the next reading,
 * the rule keeps its series and kind, and an old basis string stays valid. */
static void test_rule_update(void **state) {
    (void)state;
    char dir[512];
    testutil_tmpdir(dir, sizeof dir, "alert-upd");
    seen s = {0};
    alert_engine *e = open_engine(dir, &s);
    alert_rule r = base(80, ALERT_HIGH, 50, 2);
    r.basis = "derived: 80 % of the tank height";
    uint32_t id = add_rule(e, &r);
    feed(e, 80, T0, 60, 0);
    assert_int_equal(status(e, id).state, ALERT_UNACK);
    alert_rule before;
    assert_int_equal(alert_rule_get(e, id, &before), 0);
    alert_rule u = before;
    u.limit = 70, u.priority = 1, u.origin = ALERT_ORIGIN_MANUAL;
    u.basis = "operator op1: new tank lining";
    u.series = 999, u.kind = ALERT_LOW; /* not changed by an update */
    char err[256];
    assert_int_equal(alert_rule_update(e, id, &u, err, sizeof err), 0);
    assert_int_equal(status(e, id).state, ALERT_UNACK); /* state kept until a reading */
    assert_int_equal(feed(e, 80, T0 + S, 60, 0), 1);    /* 60 < 70 - 2 */
    const alert_event *ev = last_of(&s, id);
    assert_true(!ev->active && ev->ts_ms == T0 + S && ev->limit == 70);
    alert_rule after;
    assert_int_equal(alert_rule_get(e, id, &after), 0);
    assert_true(after.limit == 70 && after.priority == 1 && after.series == 80);
    assert_int_equal(after.kind, ALERT_HIGH);
    assert_int_equal(after.origin, ALERT_ORIGIN_MANUAL);
    assert_string_equal(after.basis, "operator op1: new tank lining");
    assert_string_equal(before.basis, "derived: 80 % of the tank height");
    /* a window set by an update starts with the next reading */
    u = after, u.window_ms = H;
    assert_int_equal(alert_rule_update(e, id, &u, err, sizeof err), 0);
    assert_int_equal(feed(e, 80, T0 + 2 * S, 90, 0), 0); /* summed, not judged */
    assert_int_equal(feed(e, 80, T0 + H, 10, 0), 1);     /* hour 0's mean 90 */
    assert_true(last_of(&s, id)->ts_ms == T0 + H && last_of(&s, id)->active);
    alert_close(e);
    testutil_rmtree(dir);
}

/* alert_tick visits only the rules time can change: those listed when
 * added (stale), those an update gave a window, those waiting out a delay
 * and those shelved; among 2,000 quiet rules each still acts on time. */
static void test_tick_lists(void **state) {
    (void)state;
    char dir[512];
    testutil_tmpdir(dir, sizeof dir, "alert-tick");
    seen s = {0};
    alert_engine *e = open_engine(dir, &s);
    for (uint32_t k = 0; k < 2000; k++) { /* quiet company */
        alert_rule q = base(1000 + k, ALERT_HIGH, 1e9, 0);
        add_rule(e, &q);
    }
    alert_rule r = base(60, ALERT_HIGH, 50, 1);
    r.on_delay_ms = 10 * S;
    uint32_t delayed = add_rule(e, &r);
    uint32_t shelved = add_rule(
        e, &(alert_rule){
               .series = 61, .series_name = "s61", .kind = ALERT_LOW, .limit = 0, .priority = 2});
    uint32_t windowed = add_rule(
        e, &(alert_rule){
               .series = 62, .series_name = "s62", .kind = ALERT_HIGH, .limit = 50, .priority = 2});
    alert_rule st = base(63, ALERT_STALE, 30, 0);
    uint32_t stale = add_rule(e, &st);
    /* a delay started by a reading runs out at a tick, with no reading */
    assert_int_equal(feed(e, 60, T0, 80, 0), 0);
    assert_int_equal(alert_tick(e, T0 + 5 * S), 0);
    assert_int_equal(alert_tick(e, T0 + 11 * S), 1);
    assert_true(last_of(&s, delayed)->active && last_of(&s, delayed)->ts_ms == T0 + 10 * S);
    /* a shelving ends at a tick */
    assert_int_equal(alert_shelve(e, shelved, T0, T0 + 20 * S, "op", ""), 1);
    assert_int_equal(alert_tick(e, T0 + 15 * S), 0);
    assert_int_equal(alert_tick(e, T0 + 21 * S), 1);
    assert_false(status(e, shelved).shelved);
    assert_string_equal(last_of(&s, shelved)->comment, "shelving expired");
    /* a window given by an update is judged at a tick after it ends */
    alert_rule u;
    assert_int_equal(alert_rule_get(e, windowed, &u), 0);
    u.window_ms = 10 * MIN;
    char err[256];
    assert_int_equal(alert_rule_update(e, windowed, &u, err, sizeof err), 0);
    assert_int_equal(feed(e, 62, T0 + MIN, 90, 0), 0);
    assert_int_equal(alert_tick(e, T0 + 9 * MIN), 0);
    assert_int_equal(alert_tick(e, T0 + 10 * MIN), 1);
    assert_true(last_of(&s, windowed)->active && last_of(&s, windowed)->value == 90);
    /* a stale rule added with the others goes stale at a tick */
    feed(e, 63, T0 + 10 * MIN, 1, 0);
    assert_int_equal(count_of(&s, stale), 0);
    assert_int_equal(alert_tick(e, T0 + 10 * MIN + 31 * S), 1);
    assert_true(last_of(&s, stale)->active);
    /* nothing else moved */
    assert_int_equal(s.n, 5); /* raise, shelve, unshelve, raise, raise */
    alert_close(e);
    testutil_rmtree(dir);
}

/* An engine without rules yet (parkd with no layout and no config rules)
 * ticks: nothing to visit, and nothing sorted from a list never allocated
 * (UBSan: qsort of a null base). */
static void test_tick_no_rules(void **state) {
    (void)state;
    char dir[512];
    testutil_tmpdir(dir, sizeof dir, "alert-tick0");
    alert_engine *e = open_engine(dir, NULL);
    assert_int_equal(alert_tick(e, T0), 0);
    assert_int_equal(alert_tick(e, T0 + H), 0);
    alert_close(e);
    testutil_rmtree(dir);
}

static void test_names(void **state) {
    (void)state;
    const struct {
        alert_kind k;
        const char *name;
        alert_class c;
    } kinds[] = {
        {ALERT_HIGH, "high", ALERT_CLASS_PROCESS},
        {ALERT_HIGH_HIGH, "high_high", ALERT_CLASS_PROCESS},
        {ALERT_LOW, "low", ALERT_CLASS_PROCESS},
        {ALERT_LOW_LOW, "low_low", ALERT_CLASS_PROCESS},
        {ALERT_RATE, "rate", ALERT_CLASS_PROCESS},
        {ALERT_STALE, "stale", ALERT_CLASS_INSTRUMENT},
        {ALERT_FAULT, "fault", ALERT_CLASS_INSTRUMENT},
        {ALERT_DEVIATION, "deviation", ALERT_CLASS_PROCESS},
        {ALERT_IMBALANCE, "imbalance", ALERT_CLASS_PROCESS},
        {ALERT_STUCK, "stuck", ALERT_CLASS_INSTRUMENT},
        {ALERT_RANGE, "range", ALERT_CLASS_INSTRUMENT},
        {ALERT_DRIFT, "drift", ALERT_CLASS_INSTRUMENT},
        {ALERT_FLAPPING, "flapping", ALERT_CLASS_INSTRUMENT},
        {ALERT_CONDITION, "condition", ALERT_CLASS_PROCESS},
    };
    assert_int_equal(sizeof kinds / sizeof kinds[0], ALERT_KIND_COUNT);
    for (size_t i = 0; i < ALERT_KIND_COUNT; i++) {
        assert_string_equal(alert_kind_name(kinds[i].k), kinds[i].name);
        assert_int_equal(alert_kind_class(kinds[i].k), kinds[i].c);
        alert_kind parsed;
        assert_true(alert_kind_parse(kinds[i].name, &parsed));
        assert_int_equal(parsed, kinds[i].k);
    }
    alert_kind parsed = ALERT_HIGH;
    assert_false(alert_kind_parse("High", &parsed));
    assert_false(alert_kind_parse("", &parsed));
    assert_false(alert_kind_parse(NULL, &parsed));
    assert_string_equal(alert_kind_name(ALERT_KIND_COUNT), "?");
    assert_string_equal(alert_class_name(ALERT_CLASS_PROCESS), "process");
    assert_string_equal(alert_class_name(ALERT_CLASS_INSTRUMENT), "instrument");
    assert_string_equal(alert_origin_name(ALERT_ORIGIN_DERIVED), "derived");
    assert_string_equal(alert_origin_name(ALERT_ORIGIN_CONFIG), "config");
    assert_string_equal(alert_origin_name(ALERT_ORIGIN_MANUAL), "manual");
    assert_string_equal(alert_origin_name(ALERT_ORIGIN_ENGINE), "engine");
    assert_string_equal(alert_origin_name((alert_origin)7), "?");
}

static void add_layout(alert_engine *e, uint32_t ids[3]) {
    alert_rule r[3] = {base(90, ALERT_HIGH_HIGH, 18, 0.2), base(90, ALERT_RANGE, 20, 0),
                       base(91, ALERT_HIGH, 10, 0)};
    r[0].origin = ALERT_ORIGIN_DERIVED, r[0].unit = "m", r[0].asset = "E001-T101";
    r[0].basis = "90 % of the 20 m tank height, API 2350 high-high";
    r[0].series_name = "E001/T101.level";
    r[1].origin = ALERT_ORIGIN_CONFIG, r[1].unit = "m", r[1].asset = "E001-T101";
    r[1].limit_low = 0;
    r[2].unit = NULL, r[2].asset = NULL, r[2].basis = NULL; /* NULL: "" */
    char err[256];
    if (alert_add_rules(e, r, 3, ids, err, sizeof err) != 0) fail_msg("%s", err);
}

/* unit, asset and basis come back; the engine's FAULT rule is of origin
 * engine with its maker's unit and asset; alarms of the new kinds survive
 * a restart. */
static void test_strings_and_restore(void **state) {
    (void)state;
    char dir[512];
    testutil_tmpdir(dir, sizeof dir, "alert-str");
    seen s = {0};
    alert_engine *e = open_engine(dir, &s);
    uint32_t ids[3];
    add_layout(e, ids);
    assert_int_equal(alert_rule_count(e), 5); /* two FAULT rules */
    alert_rule g;
    assert_int_equal(alert_rule_get(e, ids[0], &g), 0);
    assert_string_equal(g.unit, "m");
    assert_string_equal(g.asset, "E001-T101");
    assert_string_equal(g.basis, "90 % of the 20 m tank height, API 2350 high-high");
    assert_int_equal(g.origin, ALERT_ORIGIN_DERIVED);
    assert_int_equal(alert_rule_get(e, ids[1], &g), 0);
    assert_int_equal(g.origin, ALERT_ORIGIN_CONFIG);
    assert_true(g.limit_low == 0 && g.limit == 20);
    assert_string_equal(g.basis, "");
    assert_int_equal(alert_rule_get(e, ids[2], &g), 0);
    assert_string_equal(g.unit, "");
    assert_string_equal(g.asset, "");
    assert_string_equal(g.basis, "");
    assert_int_equal(alert_rule_get(e, ids[0] - 1, &g), 0); /* series 90's FAULT rule */
    assert_int_equal(g.kind, ALERT_FAULT);
    assert_int_equal(g.origin, ALERT_ORIGIN_ENGINE);
    assert_string_equal(g.unit, "m");
    assert_string_equal(g.asset, "E001-T101");
    assert_string_equal(g.enterprise, "E001");
    assert_string_equal(g.basis, "");
    /* the range alarm raised and acknowledged, then a restart */
    feed(e, 90, T0, 25, 0);
    assert_true(status(e, ids[1]).active && status(e, ids[0]).active);
    assert_int_equal(alert_ack(e, ids[1], T0 + S, "op", ""), 1);
    alert_close(e);
    e = open_engine(dir, NULL);
    uint32_t again[3];
    add_layout(e, again);
    assert_memory_equal(again, ids, sizeof ids);
    char err[256];
    assert_int_equal(alert_restore(e, err, sizeof err), 0);
    alert_status st = status(e, ids[1]);
    assert_true(st.active && st.state == ALERT_ACKED && st.value == 25);
    assert_int_equal(status(e, ids[0]).state, ALERT_UNACK);
    assert_int_equal(alert_rule_get(e, ids[0], &g), 0);
    assert_string_equal(g.basis, "90 % of the 20 m tank height, API 2350 high-high");
    /* and it goes on from the restored state */
    feed(e, 90, T0 + 2 * S, 10, 0);
    assert_int_equal(status(e, ids[1]).state, ALERT_NORMAL);
    alert_close(e);
    testutil_rmtree(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_imbalance),
        cmocka_unit_test(test_windowed_high),
        cmocka_unit_test(test_windowed_daily_offset),
        cmocka_unit_test(test_stuck),
        cmocka_unit_test(test_range),
        cmocka_unit_test(test_flapping),
        cmocka_unit_test(test_stale_counts_from_arrival),
        cmocka_unit_test(test_flapping_path_down),
        cmocka_unit_test(test_drift),
        cmocka_unit_test(test_validation),
        cmocka_unit_test(test_rule_update),
        cmocka_unit_test(test_tick_lists),
        cmocka_unit_test(test_condition),
        cmocka_unit_test(test_tick_no_rules),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_strings_and_restore),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
