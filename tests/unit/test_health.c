/*
 * test_health.c - health/'s monitor over a real historian and a real alarm
 * engine: online rate and completeness of a day worked out by hand, per
 * enterprise and for the park, the healthy share from a stale alarm raised
 * and cleared within the day, the past-day cache, drift against
 * neighbouring detectors (and a detector without neighbours never judged),
 * and stuck models learned and written into the rules.
 */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "health/health.h"
#include "health/internal.h"
#include "tests/support/testutil.h"

#define T0  1767225600000LL /* 2026-01-01 00:00 UTC, 08:00 in UTC+8 */
#define MIN 60000LL
#define DAY (1440 * MIN)

/* cmocka of the distributions has no assert_double_equal */
#define assert_near(a, b, eps) assert_true(fabs((double)(a) - (double)(b)) <= (eps))

#define LON0 121.45
#define LAT0 30.80

typedef struct fx {
    char dir[512];
    hist *h;
    alert_engine *e;
    geo_layout *g;
    health_monitor *m;
} fx;

static void fx_open(fx *f, const char *tag) {
    memset(f, 0, sizeof *f);
    testutil_tmpdir(f->dir, sizeof f->dir, tag);
    char path[600];
    hist_error he;
    snprintf(path, sizeof path, "%s/hist", f->dir);
    if (hist_open(path, NULL, &f->h, &he) != HIST_OK) fail_msg("%s", he.msg);
    char err[256];
    snprintf(path, sizeof path, "%s/alarms", f->dir);
    if (alert_open(path, &f->e, err, sizeof err) != 0) fail_msg("%s", err);
}

static void fx_monitor(fx *f, const health_series_interval *iv, size_t n_iv) {
    health_options o;
    health_options_default(&o);
    o.historian = f->h;
    o.alarms = f->e;
    o.layout = f->g;
    o.intervals = iv;
    o.n_intervals = n_iv;
    char err[256];
    if (health_open(&o, &f->m, err, sizeof err) != 0) fail_msg("%s", err);
}

static void fx_close(fx *f) {
    health_close(f->m);
    alert_close(f->e);
    hist_close(f->h, NULL);
    geo_close(f->g);
    testutil_rmtree(f->dir);
}

static uint32_t series(fx *f, const char *name) {
    hist_series_def d = {.name = name};
    uint32_t id;
    hist_error he;
    if (hist_series_ensure(f->h, &d, 1, &id, &he) != HIST_OK) fail_msg("%s", he.msg);
    return id;
}

static uint32_t rule(fx *f, uint32_t id, const char *name, const char *ent, alert_kind kind,
                     double limit, const char *unit, int64_t on_delay) {
    alert_rule r = {.series = id,
                    .series_name = name,
                    .enterprise = ent,
                    .kind = kind,
                    .limit = limit,
                    .on_delay_ms = on_delay,
                    .priority = 3,
                    .unit = unit};
    uint32_t rid;
    char err[256];
    if (alert_add_rules(f->e, &r, 1, &rid, err, sizeof err) != 0) fail_msg("%s", err);
    return rid;
}

static void append(fx *f, const hist_point *p, size_t n) {
    hist_error he;
    if (hist_append(f->h, p, n, &he) != HIST_OK) fail_msg("%s", he.msg);
}

static void day_of(fx *f, const char *ent, int64_t day, int64_t now, health_figures *out) {
    char err[256];
    if (health_day(f->m, ent, day, now, out, err, sizeof err) != 0) fail_msg("%s", err);
}

static bool same_figures(const health_figures *a, const health_figures *b) {
    if (a->day_ms != b->day_ms || a->instruments != b->instruments || a->online != b->online ||
        a->healthy != b->healthy || a->online_rate != b->online_rate ||
        a->completeness != b->completeness || a->healthy_share != b->healthy_share ||
        a->points_received != b->points_received || a->points_expected != b->points_expected)
        return false;
    for (int k = 0; k < ALERT_KIND_COUNT; k++)
        if (a->by_kind[k] != b->by_kind[k]) return false;
    return true;
}

static void test_day_start(void **state) {
    (void)state;
    assert_int_equal(health_day_start(T0), T0 - 8 * 3600000LL);
    assert_int_equal(health_day_start(T0 - 8 * 3600000LL), T0 - 8 * 3600000LL);
    assert_int_equal(health_day_start(T0 - 8 * 3600000LL - 1), T0 - 32 * 3600000LL);
    assert_int_equal(health_day_start(T0 + 16 * 3600000LL - 1), T0 - 8 * 3600000LL);
}

/* ---- a day worked out by hand ----
 * A (E001, configured 60 s) reads every minute of day D but minutes
 * 600..719 (a 2-hour gap); B (E002, interval learned) every minute. Both
 * have a stale rule (120 s), A's raised in the gap and cleared when it
 * reads again. */

#define D (T0 - 8 * 3600000LL)

typedef struct day_fx {
    fx f;
    uint32_t a, b, stale_a, stale_b;
} day_fx;

static void day_setup(day_fx *x, const char *tag) {
    fx_open(&x->f, tag);
    x->a = series(&x->f, "E001/dev-a/A.value");
    x->b = series(&x->f, "E002/dev-b/B");
    x->stale_a = rule(&x->f, x->a, "E001/dev-a/A.value", "E001", ALERT_STALE, 120, "m", 0);
    x->stale_b = rule(&x->f, x->b, "E002/dev-b/B", "E002", ALERT_STALE, 120, "m", 0);
    hist_point *p = calloc(2 * 1440, sizeof *p);
    size_t n = 0;
    for (int64_t i = 0; i < 1440; i++) {
        int64_t t = D + i * MIN;
        alert_point ap[2];
        size_t k = 0;
        if (i < 600 || i >= 720) {
            p[n++] = (hist_point){x->a, 0, t, 1.0 + (double)(i % 7)};
            ap[k++] = (alert_point){x->a, t, 1.0, 0, 0};
        }
        p[n++] = (hist_point){x->b, 0, t, 2.0};
        ap[k++] = (alert_point){x->b, t, 2.0, 0, 0};
        assert_true(alert_points(x->f.e, ap, k) >= 0);
        assert_true(alert_tick(x->f.e, t + 30000) >= 0);
    }
    append(&x->f, p, n);
    free(p);
    static const health_series_interval iv[] = {{"E001/", 60000}};
    fx_monitor(&x->f, iv, 1);
}

static void test_day_by_hand(void **state) {
    (void)state;
    day_fx x;
    day_setup(&x, "health-day");
    /* the stale alarm really was raised and cleared within D */
    alert_status st;
    assert_int_equal(alert_get(x.f.e, x.stale_a, &st), 0);
    assert_false(st.active);
    int64_t now = D + 3 * DAY;
    health_figures park, e1, e2;
    day_of(&x.f, NULL, D, now, &park);
    day_of(&x.f, "E001", D, now, &e1);
    day_of(&x.f, "E002", D, now, &e2);

    /* E001: 1320 of 1440 readings = 22/24; online every minute but 601..719
     * (minute 600 still has the reading of minute 599 within 60 s) */
    assert_int_equal(e1.day_ms, D);
    assert_int_equal(e1.instruments, 1);
    assert_int_equal(e1.points_expected, 1440);
    assert_int_equal(e1.points_received, 1320);
    assert_near(e1.completeness, 22.0 / 24.0, 1e-12);
    assert_near(e1.online_rate, 1321.0 / 1440.0, 1e-12);
    assert_int_equal(e1.online, 0);
    assert_int_equal(e1.healthy, 0);
    assert_near(e1.healthy_share, 0, 0);
    assert_int_equal(e1.by_kind[ALERT_STALE], 1);

    /* E002: complete, its 60 s learned from its own readings */
    assert_int_equal(e2.instruments, 1);
    assert_int_equal(e2.points_expected, 1440);
    assert_int_equal(e2.points_received, 1440);
    assert_near(e2.completeness, 1, 0);
    assert_near(e2.online_rate, 1, 0);
    assert_int_equal(e2.online, 1);
    assert_int_equal(e2.healthy, 1);
    for (int k = 0; k < ALERT_KIND_COUNT; k++) assert_int_equal(e2.by_kind[k], 0);

    /* the park: both */
    assert_int_equal(park.instruments, 2);
    assert_int_equal(park.points_expected, 2880);
    assert_int_equal(park.points_received, 2760);
    assert_near(park.completeness, 2760.0 / 2880.0, 1e-12);
    assert_near(park.online_rate, (1321.0 + 1440.0) / 2880.0, 1e-12);
    assert_int_equal(park.online, 1);
    assert_int_equal(park.healthy, 1);
    assert_near(park.healthy_share, 0.5, 0);
    assert_int_equal(park.by_kind[ALERT_STALE], 1);

    /* the day after: both existed, neither read */
    health_figures next;
    day_of(&x.f, NULL, D + DAY, now, &next);
    assert_int_equal(next.instruments, 2);
    assert_int_equal(next.points_expected, 2880);
    assert_int_equal(next.points_received, 0);
    /* only the first minute: the readings of 23:59 are within 60 s of it */
    assert_near(next.online_rate, 2.0 / 2880.0, 1e-12);
    assert_int_equal(next.online, 0);
    /* before any data, and in the future: nothing counted */
    health_figures none;
    day_of(&x.f, NULL, D - DAY, now, &none);
    assert_int_equal(none.instruments, 0);
    day_of(&x.f, NULL, D + 5 * DAY, now, &none);
    assert_int_equal(none.instruments, 0);
    /* a day not starting at midnight is rounded down */
    day_of(&x.f, "E001", D + 13 * 3600000LL, now, &none);
    assert_int_equal(none.day_ms, D);
    assert_int_equal(none.points_received, 1320);

    /* today, up to noon: 720 minutes of B */
    health_figures today;
    day_of(&x.f, "E002", D, D + 720 * MIN, &today);
    assert_int_equal(today.points_expected, 720);
    assert_int_equal(today.points_received, 720);
    assert_near(today.online_rate, 1, 0);
    /* E001 by noon: the gap is minutes 600..719, online from 601 off */
    day_of(&x.f, "E001", D, D + 720 * MIN, &today);
    assert_int_equal(today.points_expected, 720);
    assert_int_equal(today.points_received, 600);
    assert_near(today.online_rate, 601.0 / 720.0, 1e-12);
    assert_int_equal(today.by_kind[ALERT_STALE], 1);
    assert_int_equal(today.healthy, 0);
    fx_close(&x.f);
}

static void test_now(void **state) {
    (void)state;
    day_fx x;
    day_setup(&x, "health-now");
    char err[256];
    health_figures f;
    /* 30 s after the last readings: both online, nothing active */
    assert_int_equal(health_now(x.f.m, NULL, D + 1439 * MIN + 30000, &f, err, sizeof err), 0);
    assert_int_equal(f.instruments, 2);
    assert_int_equal(f.online, 2);
    assert_int_equal(f.healthy, 2);
    assert_near(f.online_rate, 1, 0);
    assert_near(f.healthy_share, 1, 0);
    /* the last hour: 60 readings each expected and received */
    assert_int_equal(f.points_expected, 120);
    assert_int_equal(f.points_received, 120);
    /* five minutes after the day: nobody online; the engine not ticked yet */
    assert_int_equal(health_now(x.f.m, "E001", D + 1440 * MIN + 5 * MIN, &f, err, sizeof err), 0);
    assert_int_equal(f.instruments, 1);
    assert_int_equal(f.online, 0);
    assert_int_equal(f.healthy, 1); /* the engine was not ticked past the day: nothing active */
    /* raise A's stale alarm now: A unhealthy, counted by kind */
    assert_true(alert_tick(x.f.e, D + 1440 * MIN + 5 * MIN) >= 1);
    assert_int_equal(health_now(x.f.m, "E001", D + 1440 * MIN + 5 * MIN, &f, err, sizeof err), 0);
    assert_int_equal(f.healthy, 0);
    assert_int_equal(f.by_kind[ALERT_STALE], 1);
    assert_int_equal(health_now(x.f.m, NULL, D + 1440 * MIN + 5 * MIN, &f, err, sizeof err), 0);
    assert_int_equal(f.instruments, 2);
    assert_int_equal(f.healthy, 0);
    assert_int_equal(f.by_kind[ALERT_STALE], 2);
    fx_close(&x.f);
}

/* A past day's figures are kept: late data for it does not change them,
 * while a day not asked before sees it. */
static void test_past_day_cache(void **state) {
    (void)state;
    day_fx x;
    day_setup(&x, "health-cache");
    int64_t now = D + 2 * DAY;
    health_figures first, again, e1;
    day_of(&x.f, NULL, D, now, &first);
    /* A's gap filled late */
    hist_point p[120];
    for (int i = 0; i < 120; i++) p[i] = (hist_point){x.a, 0, D + (600 + i) * MIN, 1.0};
    append(&x.f, p, 120);
    day_of(&x.f, NULL, D, now, &again);
    assert_true(same_figures(&first, &again));
    assert_int_equal(again.points_received, 2760);
    day_of(&x.f, "E001", D, now, &e1); /* not cached: computed now, with the late data */
    assert_int_equal(e1.points_received, 1440);
    assert_near(e1.online_rate, 1, 0);
    /* today is never cached */
    health_figures t1, t2;
    day_of(&x.f, "E002", D, D + 600 * MIN, &t1);
    day_of(&x.f, "E002", D, D + 700 * MIN, &t2);
    assert_int_equal(t1.points_received, 600);
    assert_int_equal(t2.points_received, 700);
    fx_close(&x.f);
}

/* Figures asked from other threads while health_tick runs (the header's
 * thread rules): a past day answers the same every time. */
typedef struct asker {
    day_fx *x;
    health_figures want;
    int mismatches, failures;
} asker;

static void *ask(void *arg) {
    asker *a = arg;
    char err[256];
    for (int i = 0; i < 40; i++) {
        health_figures f, now;
        const char *ent = i % 3 == 0 ? NULL : i % 3 == 1 ? "E001" : "E002";
        if (health_day(a->x->f.m, NULL, D, D + 3 * DAY, &f, err, sizeof err) != 0 ||
            health_now(a->x->f.m, ent, D + 1439 * MIN, &now, err, sizeof err) != 0)
            a->failures++;
        else if (!same_figures(&f, &a->want))
            a->mismatches++;
    }
    return NULL;
}

static void test_threads(void **state) {
    (void)state;
    day_fx x;
    day_setup(&x, "health-threads");
    asker a = {.x = &x};
    day_of(&x.f, NULL, D, D + 3 * DAY, &a.want);
    pthread_t th[2];
    for (int i = 0; i < 2; i++) assert_int_equal(pthread_create(&th[i], NULL, ask, &a), 0);
    char err[256];
    for (int k = 0; k < 200; k++) {
        assert_int_equal(health_tick(x.f.m, D + 1440 * MIN + k * MIN, err, sizeof err), 0);
        if (k == 100) { /* rules added while others read: the table is rebuilt */
            uint32_t c = series(&x.f, "E003/dev-c/C");
            rule(&x.f, c, "E003/dev-c/C", "E003", ALERT_STALE, 120, "m", 0);
        }
    }
    for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
    assert_int_equal(a.failures, 0);
    assert_int_equal(a.mismatches, 0);
    fx_close(&x.f);
}

/* ---- drift ---- */

typedef struct text {
    char *p;
    size_t n, cap;
} text;

static void addf(text *t, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char buf[2048];
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (t->n + (size_t)n + 1 > t->cap) {
        t->cap = (t->n + (size_t)n + 1) * 2;
        t->p = realloc(t->p, t->cap);
    }
    memcpy(t->p + t->n, buf, (size_t)n + 1);
    t->n += (size_t)n;
}

static double lon_of(double x) {
    return LON0 + x / (111320.0 * cos(LAT0 * M_PI / 180));
}
static double lat_of(double y) {
    return LAT0 + y / 110850.0;
}

static void detector(text *t, const char *id, double x, double y, const char *gas, const char *type,
                     const char *series) {
    addf(t,
         ",\n{\"type\": \"Feature\", \"geometry\": {\"type\": \"Point\", \"coordinates\": [%.9f, "
         "%.9f]}, \"properties\": {\"id\": \"%s\", \"kind\": \"gas_detector\", \"enterprise\": "
         "\"E001\", \"gas\": \"%s\", \"type\": \"%s\", \"alarm1\": 25, \"alarm2\": 50, "
         "\"series\": [\"%s\"]}}",
         lon_of(x), lat_of(y), id, gas, type, series);
}

static geo_layout *drift_layout(void) {
    text t = {0};
    addf(&t, "{\"type\": \"FeatureCollection\", \"features\": [\n");
    addf(&t,
         "{\"type\": \"Feature\", \"geometry\": {\"type\": \"Polygon\", \"coordinates\": [[[%.9f, "
         "%.9f], [%.9f, %.9f], [%.9f, %.9f], [%.9f, %.9f], [%.9f, %.9f]]]}, \"properties\": "
         "{\"id\": \"E001\", \"kind\": \"enterprise\", \"name\": \"Donghai\"}}",
         lon_of(0), lat_of(0), lon_of(1200), lat_of(0), lon_of(1200), lat_of(1200), lon_of(0),
         lat_of(1200), lon_of(0), lat_of(0));
    /* four propane detectors within 60 m of each other */
    detector(&t, "GD1", 100, 100, "propane", "combustible", "E001/gd-01/lel");
    detector(&t, "GD2", 140, 100, "propane", "combustible", "E001/gd-02/lel");
    detector(&t, "GD3", 100, 140, "propane", "combustible", "E001/gd-03/lel");
    detector(&t, "GD4", 140, 140, "propane", "combustible", "E001/gd-04/lel");
    /* one alone, 1 km away; one among them for another gas */
    detector(&t, "GD5", 1100, 1100, "propane", "combustible", "E001/gd-05/lel");
    detector(&t, "GD6", 120, 120, "H2S", "toxic", "E001/gd-06/ppm");
    addf(&t, "\n]}\n");
    const char *texts[] = {t.p}, *names[] = {"drift.geojson"};
    geo_layout *g = NULL;
    geo_problems pr = {0};
    if (geo_load_text(texts, names, 1, NULL, &g, &pr) != 0)
        fail_msg("layout: %s %s", pr.n ? pr.v[0].feature : "", pr.n ? pr.v[0].message : "");
    geo_problems_free(&pr);
    free(t.p);
    return g;
}

static void test_drift(void **state) {
    (void)state;
    fx f;
    fx_open(&f, "health-drift");
    f.g = drift_layout();
    static const char *const names[] = {"E001/gd-01/lel", "E001/gd-02/lel", "E001/gd-03/lel",
                                        "E001/gd-04/lel", "E001/gd-05/lel", "E001/gd-06/ppm"};
    /* GD4 reads 8 %LEL above the others; GD5 (alone) reads 40, GD6 (H2S) 0 */
    const double level[] = {2.0, 3.0, 4.0, 11.0, 40.0, 0.0};
    uint32_t id[6], drift[6];
    for (int i = 0; i < 6; i++) {
        id[i] = series(&f, names[i]);
        drift[i] =
            rule(&f, id[i], names[i], "E001", ALERT_DRIFT, 0, i == 5 ? "ppm" : "%LEL", 30 * MIN);
    }
    hist_point *p = calloc(6 * 180, sizeof *p);
    size_t n = 0;
    for (int64_t k = 0; k < 180; k++)
        for (int i = 0; i < 6; i++)
            p[n++] = (hist_point){id[i], 0, T0 + k * MIN, level[i] + (k % 2 ? 0.1 : -0.1)};
    append(&f, p, n);
    free(p);
    fx_monitor(&f, NULL, 0);

    char err[256];
    int64_t first = T0 + 30 * MIN; /* the first full window */
    for (int64_t t = first; t <= T0 + 179 * MIN; t += MIN) {
        assert_int_equal(health_tick(f.m, t, err, sizeof err), 0);
        assert_true(alert_tick(f.e, t) >= 0);
        alert_status st;
        assert_int_equal(alert_get(f.e, drift[3], &st), 0);
        /* judged drifting from the first tick, held for the 30 min on-delay */
        assert_int_equal(st.active, t >= first + 30 * MIN);
        if (st.active) assert_true(fabs(st.value - 8.0) < 0.25);
        for (int i = 0; i < 6; i++) {
            if (i == 3) continue;
            assert_int_equal(alert_get(f.e, drift[i], &st), 0);
            assert_false(st.active);
            assert_int_equal(st.state, ALERT_NORMAL);
        }
    }
    /* GD4 raised once; the others (GD5 alone, GD6 without H2S neighbours)
     * have nothing in the journal */
    alert_event *ev = NULL;
    size_t n_ev = 0;
    assert_int_equal(alert_journal_range(f.e, T0, T0 + DAY, &ev, &n_ev), 0);
    assert_int_equal(n_ev, 1);
    assert_int_equal(ev[0].rule, drift[3]);
    assert_true(ev[0].active);
    assert_int_equal(ev[0].ts_ms, first + 30 * MIN);
    free(ev);
    /* the day's figures count it as an instrument alarm raised */
    health_figures fig;
    day_of(&f, "E001", health_day_start(T0), T0 + 3 * 60 * MIN, &fig);
    assert_int_equal(fig.instruments, 6);
    assert_int_equal(fig.by_kind[ALERT_DRIFT], 1);
    assert_int_equal(fig.healthy, 5);
    fx_close(&f);
}

/* The fixed part of the drift threshold per unit (instrument-health.md, Drift). */
static void test_drift_threshold(void **state) {
    (void)state;
    geo_feature det = {.kind = GEO_GAS_DETECTOR, .alarm1 = 10};
    alert_rule r = {.kind = ALERT_DRIFT, .unit = "%LEL"};
    assert_near(hm_drift_threshold(&r, &det, 3), 5, 0);
    r.unit = "ppm"; /* a fifth of the first alarm level */
    assert_near(hm_drift_threshold(&r, &det, 3), 2, 1e-12);
    r.unit = "m"; /* 10 % of the median plus 0.05 m */
    assert_near(hm_drift_threshold(&r, NULL, -10), 1.05, 1e-12);
    r.unit = "furlong"; /* unknown unit: floor 1 */
    assert_near(hm_drift_threshold(&r, NULL, 20), 3, 1e-12);
    r.limit = 0.7; /* set on the rule: it wins */
    assert_near(hm_drift_threshold(&r, &det, 3), 0.7, 0);
    /* quantities: the name's last part, ".value" dropped, spellings folded */
    char q[HM_QUANTITY_MAX];
    hm_quantity("E001/tankfarm-1/T101.level", NULL, q);
    assert_string_equal(q, "level");
    hm_quantity("E001/tankfarm-1/T101.temp.value", NULL, q);
    assert_string_equal(q, "temperature");
    hm_quantity("E001/gd-01/whatever", &det, q);
    assert_string_equal(q, "gas");
    hm_quantity("PARK/aq-1/PM2_5", NULL, q);
    assert_string_equal(q, "PM2_5");
}

/* ---- stuck models ---- */

static void test_learn(void **state) {
    (void)state;
    fx f;
    fx_open(&f, "health-learn");
    enum { N = 30, PTS = 3 * 1440 };
    uint32_t id[N], stuck[N];
    int64_t *ts = malloc(PTS * sizeof *ts);
    double *v = malloc(PTS * sizeof *v);
    hist_point *p = malloc(PTS * sizeof *p);
    for (int i = 0; i < N; i++) {
        char name[64];
        snprintf(name, sizeof name, "E001/tk-%02d/T%02d.level", i, i);
        id[i] = series(&f, name);
        stuck[i] = rule(&f, id[i], name, "E001", ALERT_STUCK, 0, "m", 0);
        uint64_t seed = 77 + (uint64_t)i;
        for (int k = 0; k < PTS; k++) {
            ts[k] = T0 + (int64_t)k * MIN;
            /* flat for an hour in every six, moving otherwise */
            v[k] = (k % 360) < 60 ? 5.0 : 5.0 + (double)(k % 360) * 0.01 + testutil_uniform(&seed);
            p[k] = (hist_point){id[i], 0, ts[k], v[k]};
        }
        append(&f, p, PTS);
    }
    fx_monitor(&f, NULL, 0);
    int64_t now = T0 + 3 * DAY;
    char err[256];
    /* one tick: a bounded batch, not the whole park */
    if (health_tick(f.m, now, err, sizeof err) != 0) fail_msg("tick: %s", err);
    size_t learned = 0;
    for (int i = 0; i < N; i++) {
        alert_rule r;
        assert_int_equal(alert_rule_get(f.e, stuck[i], &r), 0);
        learned += strncmp(r.basis, "learned from", 12) == 0;
    }
    assert_true(learned >= 1 && learned <= 20);
    /* later ticks learn the rest */
    for (int k = 1; k < 10; k++) assert_int_equal(health_tick(f.m, now + k * 1000, err, 256), 0);
    for (int i = 0; i < N; i++) {
        alert_rule r;
        assert_int_equal(alert_rule_get(f.e, stuck[i], &r), 0);
        assert_int_equal(strncmp(r.basis, "learned from 3 days", 19), 0);
        assert_int_equal(r.origin, ALERT_ORIGIN_DERIVED);
    }
    /* the model written is the one learned from the series' history:
     * the last series' readings are still in ts/v */
    alert_stuck_model want;
    health_learn_info info;
    assert_int_equal(health_learn_stuck(ts, v, PTS, &want, &info), 0);
    alert_rule r;
    assert_int_equal(alert_rule_get(f.e, stuck[N - 1], &r), 0);
    /* an hour flat in every six: the longest run is 59 minutes */
    assert_true(info.enough);
    assert_near(info.longest_flat_s, 59 * 60, 1e-9);
    assert_string_equal(r.basis, "learned from 3 days: flat runs at most 59 min");
    assert_true(want.n_bins > 0);
    assert_true(r.stuck.band == want.band);
    assert_int_equal(r.stuck.n_bins, want.n_bins);
    for (unsigned b = 0; b < want.n_bins; b++) {
        assert_true(r.stuck.flat_s[b] == want.flat_s[b]);
        if (b + 1 < want.n_bins) assert_true(r.stuck.edges[b] == want.edges[b]);
    }
    /* and the engine uses it: frozen at a level where the series always
     * moved, the stuck alarm raises */
    alert_status st;
    for (int64_t k = 0; k < 180; k++) {
        alert_point ap = {id[N - 1], now + k * MIN, 7.5, 0, 0};
        assert_true(alert_points(f.e, &ap, 1) >= 0);
    }
    assert_int_equal(alert_get(f.e, stuck[N - 1], &st), 0);
    assert_true(st.active);
    /* learn_all does them all at once, whatever is due */
    assert_int_equal(health_learn_all(f.m, now + DAY / 2, err, sizeof err), 0);
    free(ts);
    free(v);
    free(p);
    fx_close(&f);
}

static void test_bad_options(void **state) {
    (void)state;
    health_options o;
    health_options_default(&o);
    assert_int_equal(o.learn_history_ms, 365 * DAY);
    assert_int_equal(o.learn_min_history_ms, 2 * DAY);
    assert_int_equal(o.relearn_every_ms, DAY);
    assert_near(o.drift_radius_m, 150, 0);
    assert_int_equal(o.drift_window_ms, 30 * MIN);
    assert_int_equal(o.stale_ms, 60000);
    health_monitor *m = (health_monitor *)&o;
    char err[256] = "";
    assert_int_equal(health_open(&o, &m, err, sizeof err), -1); /* no historian, no engine */
    assert_null(m);
    assert_true(strlen(err) > 0);
    health_close(NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_day_start),
        cmocka_unit_test(test_day_by_hand),
        cmocka_unit_test(test_now),
        cmocka_unit_test(test_past_day_cache),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_drift),
        cmocka_unit_test(test_drift_threshold),
        cmocka_unit_test(test_learn),
        cmocka_unit_test(test_bad_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
