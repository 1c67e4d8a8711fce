/*
 * parkbench - Parkwatch's benchmarks. Each subcommand runs one workload
 * through the public APIs and prints human-readable progress on stderr and,
 * as its last line on stdout, one JSON object with the figures the issues
 * name. Timing targets live here, never in the tests.
 *
 *   parkbench historian [-S series] [-D seconds] [--sync batch|interval|none]
 *                       [--batch points] [--dir DIR] [--keep]
 *
 * The historian workload is a deterministic park: S transmitters at a 1 s
 * interval for D seconds, values quantised to 0.01 as real transmitters
 * report them: a slow process swing plus instrument noise of 0.05 % of span
 * (a typical 4-20 mA transmitter's accuracy class) plus rare step changes.
 * Points are written time-major (every series for second t, then t+1), the
 * way a live park arrives.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "historian/historian.h"

#define T0_MS 1767225600000LL /* 2026-01-01T00:00:00Z */

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t rng_next(uint64_t *s) {
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ull;
}

static double rng_uniform(uint64_t *s) {
    return (double)(rng_next(s) >> 11) / 9007199254740992.0;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, size_t n) {
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static long peak_rss_kb(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static int rmtree(const char *dir) {
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd);
}

/* ---- the park workload ---- */

typedef struct transmitter {
    const char *kind, *unit;
    double base, swing, period_s, phase, noise, span, step;
} transmitter;

static void make_transmitter(transmitter *t, size_t i, uint64_t *rng) {
    static const struct {
        const char *kind, *unit;
        double lo, hi, span;
    } kinds[] = {
        {"level", "m", 2, 18, 20},        {"temperature", "degC", 15, 90, 200},
        {"pressure", "MPa", 0.3, 2.5, 4}, {"flow", "m3/h", 40, 320, 500},
        {"gas", "%LEL", 0, 3, 100},
    };
    size_t k = i % 5;
    t->kind = kinds[k].kind;
    t->unit = kinds[k].unit;
    t->span = kinds[k].span;
    t->base = kinds[k].lo + rng_uniform(rng) * (kinds[k].hi - kinds[k].lo);
    t->swing = t->span * (0.002 + 0.02 * rng_uniform(rng));
    t->period_s = 1800 + 14400 * rng_uniform(rng);
    t->phase = 6.283185307179586 * rng_uniform(rng);
    t->noise = t->span * 0.0005;
    t->step = 0;
}

static double transmitter_value(transmitter *t, int64_t sec, uint64_t *rng) {
    if (rng_next(rng) % 20000 == 0) t->step += t->span * 0.05 * (rng_uniform(rng) - 0.5);
    double v = t->base + t->step +
               t->swing * sin(6.283185307179586 * sec / t->period_s + t->phase) +
               t->noise * (rng_uniform(rng) - rng_uniform(rng));
    if (strcmp(t->kind, "gas") == 0 && v < 0) v = 0;
    return round(v * 100) / 100;
}

/* ---- parkbench historian ---- */

static int bench_historian(int argc, char **argv) {
    long S = 10000, D = 3600, batch = 0;
    const char *sync = "batch", *dir = NULL;
    int keep = 0;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "-S") && i + 1 < argc)
            S = atol(argv[++i]);
        else if (!strcmp(argv[i], "-D") && i + 1 < argc)
            D = atol(argv[++i]);
        else if (!strcmp(argv[i], "--sync") && i + 1 < argc)
            sync = argv[++i];
        else if (!strcmp(argv[i], "--batch") && i + 1 < argc)
            batch = atol(argv[++i]);
        else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
            dir = argv[++i];
        else if (!strcmp(argv[i], "--keep"))
            keep = 1;
        else {
            fprintf(stderr, "parkbench historian: unknown argument '%s'\n", argv[i]);
            return 2;
        }
    }
    if (S <= 0 || D <= 0) {
        fprintf(stderr, "parkbench historian: -S and -D must be positive\n");
        return 2;
    }
    if (batch <= 0) batch = S; /* one park-second per append */
    hist_options o;
    hist_options_default(&o);
    if (!strcmp(sync, "batch"))
        o.sync = HIST_SYNC_EVERY_BATCH;
    else if (!strcmp(sync, "interval"))
        o.sync = HIST_SYNC_INTERVAL;
    else if (!strcmp(sync, "none"))
        o.sync = HIST_SYNC_NONE;
    else {
        fprintf(stderr, "parkbench historian: --sync is batch, interval or none\n");
        return 2;
    }
    char tmp[4096];
    if (!dir) {
        snprintf(tmp, sizeof tmp, "%s/parkbench-historian-%d",
                 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid());
        dir = tmp;
    }
    rmtree(dir);
    hist *h;
    hist_error err;
    if (hist_open(dir, &o, &h, &err) != HIST_OK) {
        fprintf(stderr, "parkbench historian: %s\n", err.msg);
        return 1;
    }
    /* Register the park's series. */
    transmitter *tx = calloc((size_t)S, sizeof *tx);
    uint32_t *ids = calloc((size_t)S, sizeof *ids);
    hist_series_def *defs = calloc((size_t)S, sizeof *defs);
    char(*names)[64] = calloc((size_t)S, sizeof *names);
    hist_point *pts = calloc((size_t)batch, sizeof *pts);
    if (!tx || !ids || !defs || !names || !pts) {
        fprintf(stderr, "parkbench historian: out of memory\n");
        return 1;
    }
    uint64_t rng = 0x5EED5EED2026ull;
    for (long i = 0; i < S; i++) {
        make_transmitter(&tx[i], (size_t)i, &rng);
        snprintf(names[i], sizeof names[i], "E%03ld/dev-%05ld/%s", i * 30 / S, i, tx[i].kind);
        defs[i] = (hist_series_def){names[i], tx[i].unit, NULL, 1000};
    }
    if (hist_series_ensure(h, defs, (size_t)S, ids, &err) != HIST_OK) {
        fprintf(stderr, "parkbench historian: %s\n", err.msg);
        return 1;
    }
    fprintf(stderr, "writing %ld series x %ld s (%ld points), sync=%s, %ld points per append\n", S,
            D, S * D, sync, batch);
    double t_start = now_s();
    size_t k = 0;
    for (long sec = 0; sec < D; sec++) {
        for (long i = 0; i < S; i++) {
            pts[k++] = (hist_point){ids[i], HIST_QUALITY_GOOD, T0_MS + sec * 1000,
                                    transmitter_value(&tx[i], sec, &rng)};
            if (k == (size_t)batch || (sec == D - 1 && i == S - 1)) {
                if (hist_append(h, pts, k, &err) != HIST_OK) {
                    fprintf(stderr, "parkbench historian: append: %s\n", err.msg);
                    return 1;
                }
                k = 0;
            }
        }
        if (sec % 600 == 599)
            fprintf(stderr, "  %ld s written, %.0f points/s\n", sec + 1,
                    (double)S * (sec + 1) / (now_s() - t_start));
    }
    if (hist_flush(h, &err) != HIST_OK) {
        fprintf(stderr, "parkbench historian: flush: %s\n", err.msg);
        return 1;
    }
    double ingest_s = now_s() - t_start;
    double points = (double)S * D;
    fprintf(stderr, "ingest: %.2f s, %.0f points/s (final flush included)\n", ingest_s,
            points / ingest_s);
    double t_compact = now_s();
    hist_stats st;
    if (hist_compact(h, &err) != HIST_OK || hist_get_stats(h, &st, &err) != HIST_OK) {
        fprintf(stderr, "parkbench historian: %s\n", err.msg);
        return 1;
    }
    fprintf(stderr,
            "compaction %.2f s; stored %" PRIu64 " points in %" PRIu64
            " bytes of RocksDB files (%.3f bytes/point)\n",
            now_s() - t_compact, st.points, st.bytes_rocksdb, (double)st.bytes_rocksdb / points);
    if (st.points != (uint64_t)points) {
        fprintf(stderr, "parkbench historian: stored %" PRIu64 " points, wrote %.0f\n", st.points,
                points);
        return 1;
    }

    enum { RUNS = 20 };
    double tq[RUNS];
    int64_t from = T0_MS, to = T0_MS + D * 1000;
    hist_samples raw = {0};
    hist_buckets b = {0};
    size_t raw_n = 0, rollup_n = 0;
    for (int r = 0; r < RUNS; r++) {
        double t = now_s();
        if (hist_query_raw(h, ids[(r * 7919) % S], from, to, 0, &raw, &err) != HIST_OK) {
            fprintf(stderr, "query raw: %s\n", err.msg);
            return 1;
        }
        tq[r] = (now_s() - t) * 1000;
        raw_n = raw.n;
    }
    double q_raw = median(tq, RUNS);
    for (int r = 0; r < RUNS; r++) {
        double t = now_s();
        if (hist_query_agg(h, ids[(r * 7919) % S], from, to, 60000, 0, &b, &err) != HIST_OK) {
            fprintf(stderr, "query rollup: %s\n", err.msg);
            return 1;
        }
        tq[r] = (now_s() - t) * 1000;
        rollup_n = b.n;
    }
    double q_rollup = median(tq, RUNS);
    int rollup_tier = b.tier;
    hist_value *vals = calloc((size_t)S, sizeof *vals);
    for (int r = 0; r < RUNS; r++) {
        double t = now_s();
        if (hist_last(h, ids, (size_t)S, vals, &err) != HIST_OK) {
            fprintf(stderr, "query last: %s\n", err.msg);
            return 1;
        }
        tq[r] = (now_s() - t) * 1000;
    }
    double q_last = median(tq, RUNS);
    int64_t at = T0_MS + D * 500 + 499;
    for (int r = 0; r < RUNS; r++) {
        double t = now_s();
        if (hist_snapshot(h, at, ids, (size_t)S, vals, &err) != HIST_OK) {
            fprintf(stderr, "query snapshot: %s\n", err.msg);
            return 1;
        }
        tq[r] = (now_s() - t) * 1000;
    }
    double q_snapshot = median(tq, RUNS);
    size_t present = 0;
    for (long i = 0; i < S; i++) present += vals[i].present && vals[i].ts_ms <= at;
    fprintf(stderr,
            "raw query returned %zu points; rollup query %zu buckets from tier %d; snapshot "
            "found %zu of %ld series\n",
            raw_n, rollup_n, rollup_tier, present, S);
    hist_samples_free(&raw);
    hist_buckets_free(&b);
    if (hist_close(h, &err) != HIST_OK) fprintf(stderr, "close: %s\n", err.msg);
    if (!keep) rmtree(dir);
    printf("{\"bench\": \"historian\", \"series\": %ld, \"seconds\": %ld, \"sync\": \"%s\", "
           "\"points\": %.0f, \"ingest_points_per_s\": %.0f, \"bytes_per_point\": %.3f, "
           "\"q_raw_ms\": %.3f, \"q_rollup_ms\": %.3f, \"q_last_ms\": %.3f, "
           "\"q_snapshot_ms\": %.3f, \"peak_rss_mb\": %.1f}\n",
           S, D, sync, points, points / ingest_s, (double)st.bytes_rocksdb / points, q_raw,
           q_rollup, q_last, q_snapshot, peak_rss_kb() / 1024.0);
    free(vals);
    free(tx);
    free(ids);
    free(defs);
    free(names);
    free(pts);
    return 0;
}

int bench_ingest(int argc, char **argv);    /* bench_ingest.c */
int bench_peers(int argc, char **argv);     /* bench_peers.c */
int bench_geo(int argc, char **argv);       /* bench_geo.c */
int bench_alarms(int argc, char **argv);    /* bench_ingest.c */
int bench_api(int argc, char **argv);       /* bench_api.c */
int bench_views(int argc, char **argv);     /* bench_views.c */
int bench_emergency(int argc, char **argv); /* bench_emergency.c */
int bench_soak(int argc, char **argv);      /* bench_soak.c */
int bench_head(int argc, char **argv);      /* bench_head.c */
int bench_promql(int argc, char **argv);    /* bench_promql.c */
int bench_notify(int argc, char **argv);    /* bench_notify.c */

int bench_hazards(int argc, char **argv); /* bench_hazards.c: the hidden-hazard register */

static void usage(void) {
    fprintf(
        stderr,
        "usage: parkbench historian [-S series] [-D seconds] [--sync batch|interval|none]\n"
        "                           [--batch points] [--dir DIR] [--keep]\n"
        "       parkbench ingest [--per-message N] [--seconds S] [--format json|neuron|lineproto]\n"
        "                        [--ack-after write|fsync] [--backlog] [--tcp] [--dir DIR] "
        "[--keep]\n"
        "       parkbench peers --dir DIR [-S series] [-D seconds]\n"
        "       parkbench geo [--scale N] [--dir DIR]\n"
        "       parkbench views [--scale N] [--runs N] [--dir DIR]\n"
        "       parkbench emergency [--scale N=10] [--runs N=11] [--dir DIR]\n"
        "       parkbench alarms [--rules N] [--seconds S] [--tcp]\n"
        "       parkbench alarms --scale N [--rate HZ] [--repeat K] [--seconds S] [--tcp] "
        "[--dir D] [--keep]\n"
        "       parkbench api [--seconds S] [--connections C] [--ingest-rate N] [--hz H] "
        "[--keep]\n"
        "       parkbench soak [--minutes M] [--rate points/s] [--qps Q] [--warmup S] [--dir DIR] "
        "[--keep]\n"
        "       parkbench head [-S series] [--minutes M] [--dir DIR]\n"
        "       parkbench promql [-S series] [--hours H] [--runs N] [--dir DIR] [--keep]\n"
        "       parkbench hazards [--count N] [--dir DIR]\n"
        "       parkbench notify [--active N] [--flood N] [--flood-seconds S] "
        "[--p1-percent P] [--tick-ms MS] [--sms-flood-per-min N]\n"
        "       parkbench events [--events N] [--entities N] [--queries N] [--dir DIR] [--reuse] "
        "[--keep]\n"
        "       parkbench closedpark [--vehicles N] [--badges-per-min N] [--scale S] [--rate HZ] "
        "[--seconds S] [--dir D] [--keep]\n");
}

int main(int argc, char **argv) {
    /* ---- issue 21: events (bench_events.c: parkbench events [--events N] [--dir DIR]) ---- */
    int bench_events(int, char **);
    if (argc >= 2 && !strcmp(argv[1], "events")) return bench_events(argc - 2, argv + 2);
    /* closed-park management under load (bench_closedpark.c) */
    int bench_closedpark(int, char **);
    if (argc >= 2 && !strcmp(argv[1], "closedpark")) return bench_closedpark(argc, argv);
    if (argc < 2) {
        usage();
        return 2;
    }
    if (!strcmp(argv[1], "historian")) return bench_historian(argc - 2, argv + 2);
    if (!strcmp(argv[1], "ingest")) return bench_ingest(argc - 2, argv + 2);
    if (!strcmp(argv[1], "peers")) return bench_peers(argc - 2, argv + 2);
    if (!strcmp(argv[1], "geo")) return bench_geo(argc - 2, argv + 2);
    if (!strcmp(argv[1], "alarms")) return bench_alarms(argc - 2, argv + 2);
    if (!strcmp(argv[1], "api")) return bench_api(argc - 2, argv + 2);
    if (!strcmp(argv[1], "views")) return bench_views(argc - 2, argv + 2);
    if (!strcmp(argv[1], "emergency")) return bench_emergency(argc - 2, argv + 2);
    if (!strcmp(argv[1], "soak")) return bench_soak(argc - 2, argv + 2);
    if (!strcmp(argv[1], "head")) return bench_head(argc - 2, argv + 2);
    if (!strcmp(argv[1], "promql")) return bench_promql(argc - 2, argv + 2);
    if (!strcmp(argv[1], "hazards")) return bench_hazards(argc - 2, argv + 2);
    if (!strcmp(argv[1], "notify")) return bench_notify(argc - 2, argv + 2);
    usage();
    return 2;
}
