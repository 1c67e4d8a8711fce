/*
 * bench_peers.c - "parkbench peers": the four queries of the peer TSDB
 * baseline (../shared/peers/query.sh, RESULTS.md) against a historian that
 * holds the same generated park, imported with parkctl:
 *
 *   python3 ../shared/peers/gen_park.py -S 10000 -D 1800 -o park.lp
 *   parkctl -d DIR import --precision ms park.lp
 *   parkbench peers --dir DIR [-S 10000] [-D 1800]
 *
 * q1 raw points of device d01234 over the whole range; q2 its 1-minute
 * means; q3 the last value of every series; q4 the maximum of every device
 * of one enterprise over the last 10 minutes. Median of 20 runs after one
 * warm-up, in-process (the peers' figures include an HTTP round trip on
 * loopback; the API issue will give the like-for-like one).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "historian/historian.h"

int bench_peers(int argc, char **argv);

#define RUNS 20

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double med(double *v) {
    qsort(v, RUNS, sizeof *v, cmp);
    return (v[RUNS / 2 - 1] + v[RUNS / 2]) / 2;
}

int bench_peers(int argc, char **argv) {
    const char *dir = NULL;
    long S = 10000, D = 1800;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--dir") && i + 1 < argc)
            dir = argv[++i];
        else if (!strcmp(argv[i], "-S") && i + 1 < argc)
            S = atol(argv[++i]);
        else if (!strcmp(argv[i], "-D") && i + 1 < argc)
            D = atol(argv[++i]);
        else
            dir = NULL, i = argc;
    }
    if (!dir || S < 1235 || D < 600) {
        fprintf(stderr, "usage: parkbench peers --dir DIR [-S series] [-D seconds]\n");
        return 2;
    }
    const int64_t start = 1767225600000LL, end = start + D * 1000; /* gen_park.py's range */
    char ent[16], name[64];
    snprintf(ent, sizeof ent, "e%02ld", 1234 * 50 / S);
    snprintf(name, sizeof name, "%s/d01234/sensor.v", ent);
    hist *h;
    hist_error err;
    hist_options o;
    hist_options_default(&o);
    if (hist_open(dir, &o, &h, &err) != HIST_OK) {
        fprintf(stderr, "parkbench: %s\n", err.msg);
        return 1;
    }
    uint32_t id;
    hist_series_list all = {0}, one = {0};
    if (hist_series_lookup(h, name, &id, &err) != HIST_OK ||
        hist_series_find(h, NULL, &all, &err) != HIST_OK ||
        hist_series_find(h, ent, &one, &err) != HIST_OK) {
        fprintf(stderr, "parkbench: %s\n", err.msg);
        return 1;
    }
    hist_value *last = malloc(all.n * sizeof *last);
    double t[4][RUNS];
    size_t r1 = 0, r2 = 0, r3 = 0, r4 = 0;
    double q1_first = 0, q4_max = 0;
    for (int run = -1; run < RUNS; run++) {
        double a = now_ms();
        hist_samples s = {0};
        hist_query_raw(h, id, start, end, 0, &s, &err);
        r1 = s.n;
        q1_first = s.n ? s.v[0].value : 0;
        hist_samples_free(&s);
        double b = now_ms();
        hist_buckets bk = {0};
        hist_query_agg(h, id, start, end, 60000, 0, &bk, &err);
        r2 = bk.n;
        hist_buckets_free(&bk);
        double c = now_ms();
        hist_last(h, all.ids, all.n, last, &err);
        r3 = all.n;
        double d = now_ms();
        r4 = 0;
        for (size_t i = 0; i < one.n; i++) {
            hist_buckets m = {0};
            hist_query_agg(h, one.ids[i], end - 600000, end, 600000, 0, &m, &err);
            if (m.n) r4++, q4_max = m.v[0].max > q4_max ? m.v[0].max : q4_max;
            hist_buckets_free(&m);
        }
        double e = now_ms();
        if (run < 0) continue;
        t[0][run] = b - a, t[1][run] = c - b, t[2][run] = d - c, t[3][run] = e - d;
    }
    printf("{\"bench\": \"peers\", \"series\": %zu, \"q1_ms\": %.3f, \"q1_points\": %zu, "
           "\"q1_first\": %.17g, \"q2_ms\": %.3f, \"q2_buckets\": %zu, \"q3_ms\": %.3f, "
           "\"q3_series\": %zu, \"q4_ms\": %.3f, \"q4_devices\": %zu, \"q4_max_of_max\": %.17g}\n",
           all.n, med(t[0]), r1, q1_first, med(t[1]), r2, med(t[2]), r3, med(t[3]), r4, q4_max);
    free(last);
    hist_series_list_free(&all);
    hist_series_list_free(&one);
    hist_close(h, &err);
    return 0;
}
