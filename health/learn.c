/*
 * learn.c - the stuck detector's model (alert_stuck_model) learned from a
 * series' own history (docs/reference/instrument-health.md, "Stuck (frozen)
 * transmitters").
 *
 * 1. The resolution: the quantum is the smallest change between successive
 *    readings (ignoring changes below 1e-9 of the largest magnitude, the
 *    noise of decimal conversions); band is half of it, so any change of one
 *    quantum or more ends a flat run and a frozen transmitter (the same
 *    number again and again) never does.
 * 2. The flat runs, exactly as the engine sees them (alerting/evaluate.c,
 *    judge_stuck): a run starts at a reading (its anchor) and lasts while
 *    readings stay within band of it; its length is the time from the anchor
 *    to its last reading, rounded up here to whole median intervals (so a
 *    limit of that many intervals covers it: the engine raises on more).
 * 3. Fine bins of value: up to 63, edges at midpoints between distinct
 *    values around the readings' quantiles, so that a value the series
 *    rests at (0, a floor) gets a bin of its own.
 * 4. A bin's limit: the shortest run (whole intervals, at least
 *    HL_MIN_INTERVALS) that the history says is exceeded at most
 *    HL_RATE_PER_YEAR times a year there, judged both on the runs seen and
 *    on a geometric tail fitted to them (the chance that a flat run goes on
 *    for one more interval), the larger of the two; a limit above HL_CAP_S,
 *    or none, is 0: the series rests at that level, it never raises.
 * 5. The fine bins are merged into at most ALERT_STUCK_BINS by dynamic
 *    programming, minimising the readings' expected detection time (each
 *    reading weighted by its bin's limit, HL_CAP_S where it never raises).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "health/health.h"

#define HL_MIN_POINTS 100 /* fewer readings: not enough, never raises */
/* A value level with fewer of the readings than this share says little of
 * how long the series stays flat there (a tank's level in a range its short
 * history barely touched): it takes the series' limit over all levels. */
#define HL_MIN_BIN_SHARE       0.05
#define HL_SHORT_HISTORY_MS    (30 * 86400000LL) /* less: limits kept over HL_SHORT_MARGIN x */
#define HL_SHORT_MARGIN        5.0               /* the longest flat run seen */
#define HL_SHORT_MIN_INTERVALS 10.0              /* and never under this many spacings */
#define HL_MIN_SPAN_MS         (2 * 86400000LL)
#define HL_FINE                32 /* quantiles the fine edges are placed around */
#define HL_MAX_FINE            (2 * HL_FINE)
#define HL_K                   72 /* run lengths counted up to (intervals) */
#define HL_MIN_INTERVALS       2  /* never shorter than this many intervals */
#ifndef HL_RATE_PER_YEAR
#define HL_RATE_PER_YEAR 0.002 /* expected false raises per bin and year */
#endif
#ifndef HL_CAP_S
#define HL_CAP_S 86400.0 /* a longer limit: the series rests there */
#endif
#define HL_YEAR_S (365.0 * 86400.0)

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* bin i holds [edges[i-1], edges[i]): the engine's stuck_bin */
static size_t fine_bin(const double *edges, size_t n_edges, double v) {
    size_t lo = 0, hi = n_edges;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (v >= edges[mid])
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The end (exclusive) of the flat run starting at reading i, as the
 * engine sees it (judge_stuck): readings within band of v[i], and no gap of
 * more than three spacings. */
static size_t run_end(const int64_t *t, const double *v, size_t m, size_t i, double band,
                      double interval_s) {
    size_t j = i + 1;
    while (j < m && fabs(v[j] - v[i]) <= band && (double)(t[j] - t[j - 1]) / 1000 <= 3 * interval_s)
        j++;
    return j;
}

typedef struct learner {
    size_t nf;                             /* fine bins */
    double edges[HL_MAX_FINE];             /* nf - 1 of them */
    double expo[HL_MAX_FINE + 1];          /* readings per fine bin, prefix sums */
    double pre[HL_MAX_FINE + 1][HL_K + 2]; /* runs of >= j intervals, prefix sums over bins */
    double years, interval_s;
    double lim[HL_MAX_FINE][HL_MAX_FINE + 1]; /* limit of fine bins [i, j) merged */
} learner;

/* The limit of fine bins [i, j) merged: seconds, 0 = never raises. */
static double merged_limit(const learner *L, size_t i, size_t j) {
    if (j - i < L->nf && L->expo[j] - L->expo[i] < HL_MIN_BIN_SHARE * L->expo[L->nf])
        return L->lim[0][L->nf]; /* too few readings there: the series' own limit */
    double c[HL_K + 2];
    for (size_t x = 0; x < HL_K + 2; x++) c[x] = L->pre[j][x] - L->pre[i][x];
    double num = 0, den = 0;
    for (size_t x = 1; x <= HL_K; x++) num += c[x + 1], den += c[x];
    double p = (num + 0.5) / (den + 1.0); /* a run going on one more interval */
    for (size_t m = HL_MIN_INTERVALS; m <= HL_K; m++) {
        double emp = c[m + 1] / L->years;
        double geo = c[1] * pow(p, (double)m) / L->years;
        if (fmax(emp, geo) <= HL_RATE_PER_YEAR) {
            double s = (double)m * L->interval_s;
            return s > HL_CAP_S ? 0 : s;
        }
    }
    return 0;
}

static double merged_cost(const learner *L, size_t i, size_t j) {
    double lim = L->lim[i][j];
    return (L->expo[j] - L->expo[i]) * (lim > 0 ? lim : HL_CAP_S);
}

static void merge_bins(const learner *L, alert_stuck_model *out) {
    size_t F = L->nf;
    double best[ALERT_STUCK_BINS + 1][HL_MAX_FINE + 1];
    size_t arg[ALERT_STUCK_BINS + 1][HL_MAX_FINE + 1];
    for (size_t k = 0; k <= ALERT_STUCK_BINS; k++)
        for (size_t j = 0; j <= F; j++) best[k][j] = INFINITY, arg[k][j] = 0;
    best[0][0] = 0;
    for (size_t k = 1; k <= ALERT_STUCK_BINS; k++)
        for (size_t j = 1; j <= F; j++)
            for (size_t i = k - 1; i < j; i++) {
                if (!isfinite(best[k - 1][i])) continue;
                double c = best[k - 1][i] + merged_cost(L, i, j);
                if (c < best[k][j]) best[k][j] = c, arg[k][j] = i;
            }
    size_t kb = 1;
    for (size_t k = 2; k <= ALERT_STUCK_BINS; k++)
        if (best[k][F] < best[kb][F]) kb = k; /* ties: fewer bins */
    size_t bounds[ALERT_STUCK_BINS + 1];
    bounds[kb] = F;
    for (size_t k = kb; k > 0; k--) bounds[k - 1] = arg[k][bounds[k]];
    out->n_bins = (unsigned)kb;
    for (size_t k = 0; k < kb; k++) {
        out->flat_s[k] = L->lim[bounds[k]][bounds[k + 1]];
        if (k + 1 < kb) out->edges[k] = L->edges[bounds[k + 1] - 1];
    }
}

int health_learn_stuck(const int64_t *ts_ms, const double *values, size_t n, alert_stuck_model *out,
                       health_learn_info *info) {
    return health_learn_stuck_min(ts_ms, values, n, HL_MIN_SPAN_MS, out, info);
}

int health_learn_stuck_min(const int64_t *ts_ms, const double *values, size_t n,
                           int64_t min_history_ms, alert_stuck_model *out,
                           health_learn_info *info) {
    if (min_history_ms < 0) return -1;
    if (!out || (n && (!ts_ms || !values))) return -1;
    for (size_t i = 1; i < n; i++)
        if (ts_ms[i] < ts_ms[i - 1]) return -1;
    memset(out, 0, sizeof *out);
    health_learn_info inf = {0};

    /* the finite readings */
    double *v = malloc((n ? n : 1) * sizeof *v);
    int64_t *t = malloc((n ? n : 1) * sizeof *t);
    double *sorted = malloc((n ? n : 1) * sizeof *sorted);
    learner *L = calloc(1, sizeof *L);
    int rc = -1;
    if (!v || !t || !sorted || !L) goto done;
    size_t m = 0;
    double scale = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(values[i])) {
            v[m] = values[i], t[m] = ts_ms[i], m++;
            scale = fmax(scale, fabs(values[i]));
        }
    inf.points = m;
    rc = 0;
    if (m < 2) goto done;

    /* the median spacing (sorted reuses t's room as int64 is 8 bytes too) */
    int64_t *gaps = (int64_t *)(void *)sorted;
    size_t ng = 0;
    for (size_t i = 1; i < m; i++)
        if (t[i] > t[i - 1]) gaps[ng++] = t[i] - t[i - 1];
    if (!ng) goto done;
    qsort(gaps, ng, sizeof *gaps, cmp_i64);
    inf.interval_ms = gaps[ng / 2];

    /* the quantum and the band */
    double q = 0, tiny = 1e-9 * scale;
    for (size_t i = 1; i < m; i++) {
        double d = fabs(v[i] - v[i - 1]);
        if (d > tiny && (q == 0 || d < q)) q = d;
    }
    inf.quantum = q;
    double band = q / 2;

    /* the fine bins */
    memcpy(sorted, v, m * sizeof *v);
    qsort(sorted, m, sizeof *sorted, cmp_double);
    size_t nd = 0; /* distinct values, in place */
    for (size_t i = 0; i < m; i++)
        if (!nd || sorted[i] != sorted[nd - 1]) sorted[nd++] = sorted[i];
    double cand[2 * HL_FINE];
    size_t nc = 0;
    {
        /* the quantiles of all readings, each isolated between midpoints */
        double *full = malloc(m * sizeof *full);
        if (!full) {
            rc = -1;
            goto done;
        }
        memcpy(full, v, m * sizeof *v);
        qsort(full, m, sizeof *full, cmp_double);
        for (size_t k = 1; k < HL_FINE; k++) {
            double x = full[k * m / HL_FINE];
            size_t p = fine_bin(sorted, nd, x); /* first distinct above x */
            p = p ? p - 1 : 0;                  /* x itself */
            if (p > 0) cand[nc++] = (sorted[p - 1] + sorted[p]) / 2;
            if (p + 1 < nd) cand[nc++] = (sorted[p] + sorted[p + 1]) / 2;
        }
        free(full);
    }
    qsort(cand, nc, sizeof *cand, cmp_double);
    size_t ne = 0;
    for (size_t i = 0; i < nc; i++)
        if (!ne || cand[i] != L->edges[ne - 1]) L->edges[ne++] = cand[i];
    L->nf = ne + 1;

    /* readings and flat runs per fine bin */
    double cnt[HL_MAX_FINE][HL_K + 2];
    memset(cnt, 0, sizeof cnt);
    double expo[HL_MAX_FINE] = {0};
    L->interval_s = (double)inf.interval_ms / 1000;
    for (size_t i = 0; i < m;) {
        size_t j = run_end(t, v, m, i, band, L->interval_s);
        double dur_s = (double)(t[j - 1] - t[i]) / 1000;
        size_t b = fine_bin(L->edges, ne, v[i]);
        double kf = ceil(dur_s / L->interval_s - 1e-9); /* a limit of kf intervals covers it */
        size_t k = kf > HL_K + 1 ? HL_K + 1 : (size_t)kf;
        for (size_t x = 0; x <= k; x++) cnt[b][x] += 1;
        if (j - i >= 2) {
            inf.flat_runs++;
            if (dur_s > inf.longest_flat_s) inf.longest_flat_s = dur_s;
        }
        i = j;
    }
    for (size_t i = 0; i < m; i++) expo[fine_bin(L->edges, ne, v[i])] += 1;

    int64_t span = t[m - 1] - t[0];
    inf.enough = m >= HL_MIN_POINTS && span >= min_history_ms && q > 0;
    if (!inf.enough) goto done;
    out->band = band;
    out->interval_s = (double)inf.interval_ms / 1000;
    L->years = (double)span / 1000 / HL_YEAR_S;
    for (size_t b = 0; b < L->nf; b++) {
        L->expo[b + 1] = L->expo[b] + expo[b];
        for (size_t x = 0; x < HL_K + 2; x++) L->pre[b + 1][x] = L->pre[b][x] + cnt[b][x];
    }
    L->lim[0][L->nf] = merged_limit(L, 0, L->nf); /* first: sparse levels fall back on it */
    for (size_t i = 0; i < L->nf; i++)
        for (size_t j = i + 1; j <= L->nf; j++)
            if (j - i < L->nf) L->lim[i][j] = merged_limit(L, i, j);
    merge_bins(L, out);
    /* A short history (a new park, the demo) has not seen a level's rare
     * long rests: no level's limit under HL_SHORT_MARGIN times the longest
     * flat run it showed at any level where it moves, nor
     * HL_SHORT_MIN_INTERVALS spacings, until it has HL_SHORT_HISTORY_MS. */
    if (span < HL_SHORT_HISTORY_MS) {
        double longest[ALERT_STUCK_BINS] = {0};
        for (size_t i = 0; i < m;) {
            size_t j = run_end(t, v, m, i, band, L->interval_s);
            unsigned b = 0;
            while (b + 1 < out->n_bins && v[i] >= out->edges[b]) b++; /* the engine's bin */
            longest[b] = fmax(longest[b], (double)(t[j - 1] - t[i]) / 1000);
            i = j;
        }
        /* the longest at any level that is not a rest (a rest never raises):
         * a level barely seen in a short history behaves as the others */
        double moving = 0;
        for (unsigned b = 0; b < out->n_bins; b++)
            if (out->flat_s[b] > 0) moving = fmax(moving, longest[b]);
        for (unsigned b = 0; b < out->n_bins; b++) {
            double floor_s = fmax(HL_SHORT_MARGIN * moving, HL_SHORT_MIN_INTERVALS * L->interval_s);
            if (out->flat_s[b] > 0 && out->flat_s[b] < floor_s) out->flat_s[b] = floor_s;
        }
    }

done:
    if (info) *info = inf;
    free(v);
    free(t);
    free(sorted);
    free(L);
    return rc;
}
