/*
 * bench_promql.c - "parkbench promql": ten queries a park's Grafana
 * dashboard sends (series panels, a table, label_values() variables, top-k,
 * a share of a total) against promql's engine over a historian of
 * S series at 1 Hz (50 enterprises, sensor_v{enterprise, device}), with H
 * hours of data ending now; p50 and p99 of each over --runs runs.
 *
 *   parkbench promql [-S series=100000] [--hours H=24] [--runs N=30] [--dir DIR] [--keep]
 *
 * The engine is called in-process (the answer's JSON included, HTTP not):
 * what is measured is selection, reading and evaluation. Loading S x H x
 * 3600 points comes first and is timed too (the historian without fsync).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "historian/historian.h"
#include "promql/promql.h"

int bench_promql(int argc, char **argv);

static double mono_ms(void) {
    return pw_mono_s() * 1e3; /* common/clock.h: sub-millisecond, for latencies */
}

static int cmpd(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct bq {
    const char *name;
    char query[256];
    int kind;          /* 0 instant, 1 range, 2 label values */
    int64_t span_ms;   /* range queries: how far back from now */
    int64_t step_ms;   /* range queries */
    const char *label; /* label values: which label */
    const char *match; /* label values: match[] or NULL */
} bq;

int bench_promql(int argc, char **argv) {
    long S = 100000, runs = 30;
    double hours = 24;
    const char *dir_opt = NULL;
    int keep = 0;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "-S") && i + 1 < argc)
            S = atol(argv[++i]);
        else if (!strcmp(argv[i], "--hours") && i + 1 < argc)
            hours = atof(argv[++i]);
        else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
            runs = atol(argv[++i]);
        else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
            dir_opt = argv[++i];
        else if (!strcmp(argv[i], "--keep"))
            keep = 1;
        else {
            fprintf(stderr, "usage: parkbench promql [-S series] [--hours H] [--runs N] [--dir "
                            "DIR] [--keep]\n");
            return 2;
        }
    }
    if (S < 50 || S > 10000000 || !(hours > 0 && hours <= 24 * 7) || runs < 1) return 2;
    char dir[512];
    if (dir_opt)
        snprintf(dir, sizeof dir, "%s", dir_opt);
    else {
        snprintf(dir, sizeof dir, "/tmp/parkbench-promql.XXXXXX");
        if (!mkdtemp(dir)) return perror("mkdtemp"), 1;
    }
    hist_options ho;
    hist_options_default(&ho);
    ho.sync = HIST_SYNC_NONE; /* the load is not what is measured */
    ho.max_series = (size_t)S + 16;
    hist *h;
    hist_error he;
    if (hist_open(dir, &ho, &h, &he) != HIST_OK) {
        fprintf(stderr, "parkbench promql: %s\n", he.msg);
        return 1;
    }
    /* the series, e00..e49 in blocks as gen_park.py makes them */
    uint32_t *ids = malloc((size_t)S * sizeof *ids);
    double *level = malloc((size_t)S * sizeof *level);
    hist_series_def *defs = calloc((size_t)S, sizeof *defs);
    char(*names)[64] = malloc((size_t)S * 64);
    if (!ids || !level || !defs || !names) return 1;
    for (long i = 0; i < S; i++) {
        snprintf(names[i], 64, "e%02d/d%06d/sensor.v", (int)(i * 50 / S), (int)i); /* S <= 10^7 */
        defs[i] = (hist_series_def){.name = names[i], .interval_ms = 1000};
        level[i] = 10.0 + (double)(i % 97) * 10;
    }
    if (hist_series_ensure(h, defs, (size_t)S, ids, &he) != HIST_OK) {
        fprintf(stderr, "parkbench promql: %s\n", he.msg);
        return 1;
    }
    int64_t now = (int64_t)time(NULL) * 1000, secs = (int64_t)(hours * 3600);
    int64_t t0 = now - secs * 1000;
    double l0 = mono_ms();
    hist_point *pts = malloc((size_t)S * sizeof *pts);
    uint64_t rnd = 42;
    for (int64_t t = 0; t < secs; t++) {
        for (long i = 0; i < S; i++) {
            rnd ^= rnd << 13, rnd ^= rnd >> 7, rnd ^= rnd << 17;
            level[i] += ((double)(rnd % 201) - 100) / 100; /* a random walk in 0.01 steps */
            pts[i] = (hist_point){ids[i], 0, t0 + t * 1000, round(level[i] * 100) / 100};
        }
        if (hist_append(h, pts, (size_t)S, &he) != HIST_OK) {
            fprintf(stderr, "parkbench promql: %s\n", he.msg);
            return 1;
        }
    }
    double load_s = (mono_ms() - l0) / 1000;
    printf("promql: %ld series x %.1f h at 1 Hz = %.0f points loaded in %.1f s (%.0f points/s)\n",
           S, hours, (double)S * (double)secs, load_s, (double)S * (double)secs / load_s);
    free(pts);

    pq_error err;
    pq_engine *e = pq_engine_new(h, NULL, &err);
    if (!e) return 1;
    long dev = S / 2 + 7; /* a device in the middle of enterprise e25 */
    long ent = dev * 50 / S;
    bq qs[10] = {
        {.name = "panel_6h_raw", .kind = 1, .span_ms = 6 * 3600000LL, .step_ms = 30000},
        {.name = "panel_24h_avg5m", .kind = 1, .span_ms = 24 * 3600000LL, .step_ms = 300000},
        {.name = "table_max_by_device", .kind = 0},
        {.name = "table_sum_by_enterprise", .kind = 0},
        {.name = "topk10_1h", .kind = 0},
        {.name = "var_enterprises", .kind = 2, .label = "enterprise"},
        {.name = "var_devices_of_ent", .kind = 2, .label = "device"},
        {.name = "count_over_threshold", .kind = 0},
        {.name = "panel_rate_regex_1h", .kind = 1, .span_ms = 3600000LL, .step_ms = 15000},
        {.name = "share_of_enterprise", .kind = 0},
    };
    char match[96];
    snprintf(qs[0].query, 256, "sensor_v{device=\"d%06ld\"}", dev);
    snprintf(qs[1].query, 256, "avg_over_time(sensor_v{device=\"d%06ld\"}[5m])", dev);
    snprintf(qs[2].query, 256,
             "max by (device) (max_over_time(sensor_v{enterprise=\"e%02ld\"}[10m]))", ent);
    snprintf(qs[3].query, 256, "sum by (enterprise) (sensor_v)");
    snprintf(qs[4].query, 256, "topk(10, max_over_time(sensor_v{enterprise=\"e%02ld\"}[1h]))", ent);
    snprintf(match, sizeof match, "sensor_v{enterprise=\"e%02ld\"}", ent);
    qs[6].match = match;
    snprintf(qs[7].query, 256, "count(sensor_v > 500)");
    snprintf(qs[8].query, 256, "rate(sensor_v{device=~\"d%05ld.\"}[5m])", dev / 10);
    snprintf(qs[9].query, 256,
             "sensor_v{enterprise=\"e%02ld\",device=~\"d%04ld..\"} / on (enterprise) group_left "
             "avg by (enterprise) (sensor_v{enterprise=\"e%02ld\"})",
             ent, dev / 100, ent);
    double *lat = malloc((size_t)runs * sizeof *lat);
    printf("%-24s %10s %10s %12s  %s\n", "query", "p50_ms", "p99_ms", "answer_bytes", "promql");
    int rc = 0;
    for (int q = 0; q < 10; q++) {
        size_t bytes = 0;
        for (long r = -1; r < runs; r++) { /* one warm-up run */
            textbuf b = {0};
            double a = mono_ms();
            int st;
            if (qs[q].kind == 2) {
                const char *m[1] = {qs[q].match};
                pq_select_args sa = {
                    .match = m, .n_match = qs[q].match ? 1 : 0, .end_ms = HIST_MAX_TS_MS};
                st = pq_label_values(e, qs[q].label, &sa, &b, &err);
            } else {
                pq_query_args qa = {.query = qs[q].query,
                                    .query_len = strlen(qs[q].query),
                                    .start_ms = qs[q].kind ? now - qs[q].span_ms : now,
                                    .end_ms = now,
                                    .step_ms = qs[q].kind ? qs[q].step_ms : 0};
                st = pq_query(e, &qa, &b, &err);
            }
            double ms = mono_ms() - a;
            bytes = b.n;
            free(b.p);
            if (st != 0) {
                fprintf(stderr, "parkbench promql: %s: %s\n", qs[q].name, err.msg);
                rc = 1;
                break;
            }
            if (r >= 0) lat[r] = ms;
        }
        if (rc) break;
        qsort(lat, (size_t)runs, sizeof *lat, cmpd);
        size_t i99 = (size_t)ceil(0.99 * (double)runs) - 1;
        printf("%-24s %10.2f %10.2f %12zu  %s\n", qs[q].name, lat[runs / 2], lat[i99], bytes,
               qs[q].kind == 2
                   ? (qs[q].match ? "label_values(match, device)" : "label_values(enterprise)")
                   : qs[q].query);
    }
    pq_engine_free(e);
    hist_close(h, NULL);
    free(lat), free(ids), free(level), free(defs), free(names);
    if (!keep && !dir_opt) {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0) fprintf(stderr, "parkbench promql: could not remove %s\n", dir);
    }
    return rc;
}
