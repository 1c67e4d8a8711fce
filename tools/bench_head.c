/*
 * bench_head.c - parkbench head: the memory of the historian's head over
 * simulated time, without a broker or parkd. S series at 1 Hz (the soak's
 * 100,000 by default) are appended second by second for M simulated
 * minutes, from 5 minutes into a 15-minute window, so the run crosses
 * window ends and sealings (a minute after each end) as a live park does,
 * at the speed of the historian alone. Prints the process's RSS every
 * simulated minute on stderr and, last, the figures as JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "historian/historian.h"

#define T0_MS 1767225900000LL /* 2026-01-01T00:05:00Z */

static double rss_mb(void) {
    long pages = 0, rss = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f && fscanf(f, "%ld %ld", &pages, &rss) != 2) rss = 0;
    if (f) fclose(f);
    return (double)rss * (double)sysconf(_SC_PAGESIZE) / 1048576.0;
}

int bench_head(int argc, char **argv) {
    long n = 100000;
    int minutes = 36;
    const char *dir_arg = NULL;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "-S") && i + 1 < argc)
            n = atol(argv[++i]);
        else if (!strcmp(argv[i], "--minutes") && i + 1 < argc)
            minutes = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
            dir_arg = argv[++i];
        else {
            fprintf(stderr, "usage: parkbench head [-S series] [--minutes M] [--dir DIR]\n");
            return 2;
        }
    }
    if (n < 1 || minutes < 1) return 2;
    char dir[4096];
    if (dir_arg)
        snprintf(dir, sizeof dir, "%s", dir_arg);
    else
        snprintf(dir, sizeof dir, "/tmp/parkbench-head.%d", (int)getpid());
    hist_options o;
    hist_options_default(&o);
    o.sync = HIST_SYNC_NONE; /* the head's memory is measured, not the disk */
    hist *h;
    hist_error err;
    if (hist_open(dir, &o, &h, &err) != HIST_OK) {
        fprintf(stderr, "parkbench: %s\n", err.msg);
        return 1;
    }
    hist_series_def *defs = calloc((size_t)n, sizeof *defs);
    char(*names)[48] = calloc((size_t)n, 48);
    uint32_t *ids = calloc((size_t)n, sizeof *ids);
    hist_point *pts = calloc((size_t)n, sizeof *pts);
    int rc = 1;
    if (!defs || !names || !ids || !pts) goto out;
    for (long i = 0; i < n; i++) {
        snprintf(names[i], 48, "E%03ld/tx-%02ld/AI%06ld", 1 + i % 50, i % 20, i);
        defs[i] = (hist_series_def){.name = names[i], .interval_ms = 1000};
    }
    if (hist_series_ensure(h, defs, (size_t)n, ids, &err) != HIST_OK) {
        fprintf(stderr, "parkbench: %s\n", err.msg);
        goto out;
    }
    double start = rss_mb(), peak = start, at[2] = {0, 0};
    for (long s = 0; s < minutes * 60L; s++) {
        for (long i = 0; i < n; i++)
            pts[i] = (hist_point){.series = ids[i],
                                  .ts_ms = T0_MS + s * 1000,
                                  .value = (double)((i * 7 + s) % 1000) / 10};
        if (hist_append(h, pts, (size_t)n, &err) != HIST_OK) {
            fprintf(stderr, "parkbench: %s\n", err.msg);
            goto out;
        }
        double r = rss_mb();
        if (r > peak) peak = r;
        if ((s + 1) % 60 == 0) {
            fprintf(stderr, "parkbench head: %3ld min: RSS %.0f MB (peak %.0f)\n", (s + 1) / 60, r,
                    peak);
            at[(s + 1) / 60 > minutes / 2] = r; /* the first half's last, the end */
        }
    }
    printf("{\"bench\": \"head\", \"series\": %ld, \"minutes\": %d, \"points\": %ld, "
           "\"rss_start_mb\": %.0f, \"rss_half_mb\": %.0f, \"rss_end_mb\": %.0f, "
           "\"rss_peak_mb\": %.0f, \"peak_bytes_per_series\": %.0f}\n",
           n, minutes, n * minutes * 60L, start, at[0], at[1], peak,
           (peak - start) * 1048576.0 / (double)n);
    rc = 0;
out:
    hist_close(h, &err);
    free(defs), free(names), free(ids), free(pts);
    if (!dir_arg) {
        char cmd[4200];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0) fprintf(stderr, "parkbench: could not remove %s\n", dir);
    }
    return rc;
}
