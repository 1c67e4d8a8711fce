/*
 * bench_api.c - "parkbench api": the JSON API of parkd under a live ingest
 * load, on this machine, measured with wrk.
 *
 *   parkbench api [--seconds S=10] [--connections C=32] [--wrk-threads T=2]
 *                 [--api-threads N=2] [--ingest-rate POINTS_PER_S=100000] [--hz H=1]
 *                 [--warmup S=5] [--range-series N=16] [--wrk PATH] [--perf PREFIX]
 *                 [--dir DIR] [--keep]
 *
 * Starts mosquitto on a free loopback port and parkd with the demo park
 * layout (geo/demo-park.geojson: 30 enterprises, 1,500 gas detectors,
 * 2,106 series) and its API (--api-threads threads, a port of its own
 * choosing); before parkd opens the historian, a day of 1 Hz data up to
 * the whole minute T before the start is written for --range-series of
 * the detectors' series. A regulator token (reads the whole park) comes
 * from "parkctl token create". parksim then plays the layout in real time
 * at --hz (default 1 Hz, a detector's scan rate) with generic transmitters
 * added to the enterprises (--tags-per-enterprise) until the park makes
 * --ingest-rate points a second: every series of the layout is live, and
 * the messages stay within what one mosquitto passes beside parkd and wrk
 * on two cores (the layout's ~1,700 devices publish a message each per
 * tick: 48 Hz on the layout alone would be 80,000 QoS 1 messages/s).
 *
 * Then, while parksim runs, wrk (--wrk-threads threads, --connections
 * keep-alive connections, --seconds each, tools/bench_api/requests.lua)
 * asks in turn:
 *  1. GET /api/v1/last?series=<100 names>: 22 lists of 100 of the layout's
 *     series, rotated;
 *  2. GET /api/v1/series/range?series=<s>&from=<T-1d>&to=<T>&step=1m: the
 *     --range-series series with a day of data, rotated (1,440 buckets);
 *  3. GET /api/v1/layers/gas_detector: 1,500 features with live values.
 * Every distinct request is first sent once and its answer checked (200,
 * 100 values, at least 1,439 buckets, every detector of the layout).
 * Errors are wrk's socket errors and error statuses, or parkd's own count
 * of 4xx and 5xx answers on the route (its /metrics) when that is higher;
 * any error fails the run. ingest_points_per_s is parkd's stored-points
 * counter (its stats file, rewritten every second; a thread notes each
 * rewrite's mtime and count) over the three wrk windows.
 *
 * --perf PREFIX records parkd with "perf record -g" during each wrk run
 * into PREFIX-last.data, PREFIX-range.data and PREFIX-layer.data.
 *
 * Progress goes to stderr; the last stdout line is one JSON object:
 * {"last_rps", "range_rps", "layer_p99_ms", "ingest_points_per_s",
 * "last_p99_ms", "range_p99_ms", "layer_rps", "errors", ...}. Everything
 * started is stopped and the temporary directory removed, on failure and
 * on SIGINT/SIGTERM too; exit 1 on any failure or error.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "geo/geo.h"
#include "historian/historian.h"

#ifndef PARKWATCH_TOOLS_DIR
#define PARKWATCH_TOOLS_DIR "tools"
#endif

#define DAY_MS      86400000LL
#define LAST_SERIES 100

int bench_api(int argc, char **argv);

/* ---- the processes ---- */

enum { P_BROKER, P_PARKD, P_SIM, P_WRK, P_PERF, P_COUNT };
static const char *const proc_names[P_COUNT] = {"mosquitto", "parkd", "parksim", "wrk", "perf"};
#define BENCH_SLOTS P_COUNT
#include "tools/bench_proc.h"
#include "common/kit/httpclient.h"

/* ---- small helpers ---- */

static size_t count_str(const char *text, const char *s) {
    size_t n = 0, l = strlen(s);
    for (const char *q = text; q && (q = strstr(q, s)); q += l) n++;
    return n;
}

static bool file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

/* One GET (30 s at most): the status (or -1) and the body (malloc'd). */
static int api_get(int port, const char *path, const char *token, char **body, size_t *blen) {
    http_resp r;
    *body = NULL, *blen = 0;
    if (http_request(port, "GET", path, token, NULL, NULL, 0, &r, 30000) != 0) return -1;
    int status = r.status;
    *body = r.body, *blen = r.body_len;
    r.body = NULL;
    http_resp_free(&r);
    return status;
}

/* ---- parkd's stats file, followed ---- */

typedef struct stat_sample {
    double t;      /* the file's mtime, wall clock */
    double points; /* stored points */
} stat_sample;

typedef struct stats_follow {
    const char *path;
    pthread_t th;
    pthread_mutex_t mu;
    stat_sample *v;
    size_t n, cap;
    atomic_bool stop;
} stats_follow;

static void *follow_main(void *arg) {
    stats_follow *sf = arg;
    struct timespec last = {0, 0};
    while (!atomic_load(&sf->stop)) {
        struct stat st;
        if (stat(sf->path, &st) == 0 &&
            (st.st_mtim.tv_sec != last.tv_sec || st.st_mtim.tv_nsec != last.tv_nsec)) {
            char *text = pw_read_file(sf->path, NULL);
            double pts = pw_json_num(text, "points");
            free(text);
            if (!isnan(pts)) {
                last = st.st_mtim;
                pthread_mutex_lock(&sf->mu);
                if (sf->n == sf->cap) {
                    size_t cap = sf->cap ? sf->cap * 2 : 256;
                    stat_sample *nv = realloc(sf->v, cap * sizeof *nv);
                    if (nv) sf->v = nv, sf->cap = cap;
                }
                if (sf->n < sf->cap)
                    sf->v[sf->n++] =
                        (stat_sample){st.st_mtim.tv_sec + st.st_mtim.tv_nsec / 1e9, pts};
                pthread_mutex_unlock(&sf->mu);
            }
        }
        pw_sleep_ms(5);
    }
    return NULL;
}

/* Points stored between the first rewrite at or after a and the last at or
 * before b, and the time between those rewrites; false if fewer than two. */
static bool follow_window(stats_follow *sf, double a, double b, double *points, double *secs) {
    pthread_mutex_lock(&sf->mu);
    const stat_sample *s1 = NULL, *s2 = NULL;
    for (size_t i = 0; i < sf->n; i++) {
        if (!s1 && sf->v[i].t >= a) s1 = &sf->v[i];
        if (sf->v[i].t <= b) s2 = &sf->v[i];
    }
    bool ok = s1 && s2 && s2->t > s1->t;
    if (ok) *points = s2->points - s1->points, *secs = s2->t - s1->t;
    pthread_mutex_unlock(&sf->mu);
    return ok;
}

static double follow_latest(stats_follow *sf) {
    pthread_mutex_lock(&sf->mu);
    double p = sf->n ? sf->v[sf->n - 1].points : 0;
    pthread_mutex_unlock(&sf->mu);
    return p;
}

/* ---- the run ---- */

typedef struct api_opts {
    int seconds, connections, wrk_threads, api_threads, warmup, range_series;
    double ingest_rate, hz;
    const char *wrk, *perf, *dir_arg;
    bool keep;
} api_opts;

typedef struct wrk_result {
    double rps, p50_ms, p99_ms, max_ms, mean_ms, requests, mb_per_s;
    double wrk_errors, server_errors, errors;
    double ingest_points, ingest_secs;
} wrk_result;

typedef struct run {
    const api_opts *o;
    char dir[PATH_MAX], data[PATH_MAX + 16], bindir[PATH_MAX];
    char token[128];
    int api_port;
    size_t n_detectors; /* of the layout: the features the layer must have */
    stats_follow sf;
    bool follow_started;
} run;

/* parkd's 4xx and 5xx answers on a route so far (its /metrics), or -1. */
static double server_errors(run *r, const char *route) {
    char *body;
    size_t len;
    if (api_get(r->api_port, "/metrics", r->token, &body, &len) != 200) {
        free(body);
        return -1;
    }
    double n = 0;
    const char *codes[] = {"4xx", "5xx"};
    for (int k = 0; k < 2; k++) {
        char pat[128];
        snprintf(pat, sizeof pat, "parkwatch_http_requests_total{route=\"%s\",code=\"%s\"} ", route,
                 codes[k]);
        const char *p = strstr(body, pat);
        if (!p) {
            n = -1;
            break;
        }
        n += atof(p + strlen(pat));
    }
    free(body);
    return n;
}

static int run_wrk(run *r, const char *label, const char *route, const char *paths,
                   wrk_result *res) {
    const api_opts *o = r->o;
    memset(res, 0, sizeof *res);
    char script[PATH_MAX], out[PATH_MAX + 64], url[64], threads[16], conns[16], dur[16];
    snprintf(script, sizeof script, "%s/bench_api/requests.lua", PARKWATCH_TOOLS_DIR);
    snprintf(out, sizeof out, "%s/wrk-%s.out", r->dir, label);
    snprintf(url, sizeof url, "http://127.0.0.1:%d", r->api_port);
    snprintf(threads, sizeof threads, "%d", o->wrk_threads);
    snprintf(conns, sizeof conns, "%d", o->connections);
    snprintf(dur, sizeof dur, "%ds", o->seconds);
    char *argv[] = {(char *)o->wrk, "-t",          threads,     "-c", conns,  "-d", dur,
                    "--timeout",    "5s",          "--latency", "-s", script, url,  "--",
                    r->token,       (char *)paths, NULL};
    double errs0 = server_errors(r, route);
    fprintf(stderr, "parkbench api: %s: wrk -t%d -c%d -d%ds, %s\n", label, o->wrk_threads,
            o->connections, o->seconds, paths);
    pid_t perf = 0;
    char perf_file[PATH_MAX + 64];
    snprintf(perf_file, sizeof perf_file, "%s-%s.data", o->perf ? o->perf : "", label);
    if (o->perf) {
        char ppid[16], secs[16], perr[PATH_MAX + 64];
        snprintf(ppid, sizeof ppid, "%d", (int)g_pid[P_PARKD]);
        snprintf(secs, sizeof secs, "%d", o->seconds);
        snprintf(perr, sizeof perr, "%s/perf-%s.out", r->dir, label);
        char *pargv[] = {"perf", "record",  "-F", "999",   "-g", "-p", ppid,
                         "-o",   perf_file, "--", "sleep", secs, NULL};
        perf = spawn(P_PERF, pargv, perr, NULL);
    }
    double t0 = pw_wall_s();
    pid_t pid = spawn(P_WRK, argv, out, NULL);
    int rc = pid > 0 ? wait_for(P_WRK, pid, o->seconds + 60) : -1;
    double t1 = pw_wall_s();
    if (perf > 0) {
        int prc = wait_for(P_PERF, perf, 30);
        fprintf(stderr, "parkbench api: %s: perf record of parkd %s %s\n", label,
                prc == 0 ? "written to" : "failed, see", prc == 0 ? perf_file : "perf-*.out");
    }
    char *text = pw_read_file(out, NULL);
    const char *line = text ? strstr(text, "parkbench-wrk {") : NULL;
    /* wrk's own report, for the log */
    if (text) {
        for (char *p = text, *nl; *p; p = nl ? nl + 1 : p + strlen(p)) {
            nl = strchr(p, '\n');
            if (!strncmp(p, "parkbench-wrk", 13)) continue;
            fprintf(stderr, "    %.*s\n", nl ? (int)(nl - p) : (int)strlen(p), p);
        }
    }
    if (rc != 0 || !line || g_signal) {
        fprintf(stderr, "parkbench api: %s: wrk %s (exit %d)\n", label,
                g_signal ? "interrupted" : "failed", rc);
        free(text);
        return -1;
    }
    double reqs = pw_json_num(line, "requests"), dus = pw_json_num(line, "duration_us");
    res->requests = reqs;
    res->rps = dus > 0 ? reqs / (dus / 1e6) : 0;
    res->mb_per_s = dus > 0 ? pw_json_num(line, "bytes") / (dus / 1e6) / 1e6 : 0;
    res->mean_ms = pw_json_num(line, "mean_us") / 1000;
    res->p50_ms = pw_json_num(line, "p50_us") / 1000;
    res->p99_ms = pw_json_num(line, "p99_us") / 1000;
    res->max_ms = pw_json_num(line, "max_us") / 1000;
    double sock = pw_json_num(line, "connect_errors") + pw_json_num(line, "read_errors") +
                  pw_json_num(line, "write_errors") + pw_json_num(line, "timeouts");
    double status = pw_json_num(line, "status_errors");
    res->wrk_errors = sock + status;
    free(text);
    double errs1 = server_errors(r, route);
    res->server_errors = errs0 >= 0 && errs1 >= 0 ? errs1 - errs0 : -1;
    /* the same bad answers seen from both ends: count them once */
    res->errors = sock + fmax(status, res->server_errors);
    if (res->server_errors < 0)
        fprintf(stderr, "parkbench api: %s: could not read parkd's /metrics: wrk's count only\n",
                label);
    if (!follow_window(&r->sf, t0, t1, &res->ingest_points, &res->ingest_secs))
        res->ingest_secs = 0;
    fprintf(stderr,
            "parkbench api: %s: %.0f requests/s, latency p50 %.2f ms, p99 %.2f ms, max %.1f ms, "
            "%.1f MB/s; errors %.0f (wrk %.0f, parkd 4xx/5xx %.0f); ingest %.0f points/s\n",
            label, res->rps, res->p50_ms, res->p99_ms, res->max_ms, res->mb_per_s, res->errors,
            res->wrk_errors, res->server_errors,
            res->ingest_secs > 0 ? res->ingest_points / res->ingest_secs : 0);
    return 0;
}

/* Sends every distinct request once and checks the answer. */
static int check_requests(run *r, const char *what, char **paths, size_t n) {
    for (size_t i = 0; i < n; i++) {
        char *body;
        size_t len;
        int st = api_get(r->api_port, paths[i], r->token, &body, &len);
        if (st != 200) {
            fprintf(stderr, "parkbench api: %s: GET %.120s... answered %d: %.300s\n", what,
                    paths[i], st, body ? body : "(no answer)");
            free(body);
            return -1;
        }
        bool ok = true;
        if (!strcmp(what, "last")) {
            double count = pw_json_num(body, "count");
            size_t absent = count_str(body, "\"value\":null");
            ok = count == LAST_SERIES;
            if (i == 0 || absent)
                fprintf(stderr, "parkbench api: last: %zu bytes, %.0f values, %zu without one\n",
                        len, count, absent);
        } else if (!strcmp(what, "range")) {
            double count = pw_json_num(body, "count");
            const char *tier = strstr(body, "\"tier\":\"");
            ok = count >= 1439;
            int tl = tier ? (int)strcspn(tier + 8, "\"") : 1;
            if (i == 0 || !ok)
                fprintf(stderr, "parkbench api: range: %zu bytes, %.0f buckets, tier %.*s\n", len,
                        count, tl, tier ? tier + 8 : "?");
            if (!ok)
                fprintf(stderr, "parkbench api: range: a day at 1 minute should be 1,440 buckets; "
                                "the historian lacks the day written before parkd started\n");
        } else {
            size_t features = count_str(body, "\"Feature\"");
            size_t nulls = count_str(body, "\"value\":null");
            ok = features == r->n_detectors;
            fprintf(stderr, "parkbench api: layer: %zu bytes, %zu features, %zu null values\n", len,
                    features, nulls);
        }
        free(body);
        if (!ok) {
            fprintf(stderr, "parkbench api: %s: unexpected answer to GET %.200s\n", what, paths[i]);
            return -1;
        }
    }
    return 0;
}

static int write_paths(const char *file, char **paths, size_t n) {
    FILE *f = fopen(file, "w");
    if (!f) return -1;
    for (size_t i = 0; i < n; i++) fprintf(f, "%s\n", paths[i]);
    return fclose(f);
}

/* A day of 1 Hz values, [t_end - 1 day, t_end), for the named series. */
static int write_history(const char *hdir, char **names, size_t n, int64_t t_end) {
    hist_options ho;
    hist_options_default(&ho);
    ho.sync = HIST_SYNC_NONE;
    hist *h;
    hist_error err;
    if (hist_open(hdir, &ho, &h, &err) != HIST_OK) {
        fprintf(stderr, "parkbench api: historian: %s\n", err.msg);
        return -1;
    }
    hist_series_def *defs = calloc(n, sizeof *defs);
    uint32_t *ids = calloc(n, sizeof *ids);
    size_t per = 600 * n;
    hist_point *pts = calloc(per, sizeof *pts);
    int rc = defs && ids && pts ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < n; i++)
        defs[i] = (hist_series_def){names[i], "%LEL", NULL, 1000};
    if (rc == 0 && hist_series_ensure(h, defs, n, ids, &err) != HIST_OK) rc = -1;
    uint64_t rng = 0x5EED2026A11ull;
    size_t k = 0;
    for (int64_t s = 0; rc == 0 && s < DAY_MS / 1000; s++) {
        int64_t ts = t_end - DAY_MS + s * 1000;
        for (size_t i = 0; i < n; i++) {
            rng ^= rng >> 12, rng ^= rng << 25, rng ^= rng >> 27;
            double noise = (double)((rng * 2685821657736338717ull) >> 11) / 9007199254740992.0;
            double v =
                1.5 +
                1.2 * sin(6.283185307179586 * (double)s / (3600 + 400 * (double)i) + (double)i) +
                0.1 * (noise - 0.5);
            pts[k++] = (hist_point){ids[i], HIST_QUALITY_GOOD, ts, round(fmax(v, 0) * 10) / 10};
        }
        if (k == per || s == DAY_MS / 1000 - 1) {
            if (hist_append(h, pts, k, &err) != HIST_OK) rc = -1;
            k = 0;
        }
    }
    if (rc == 0 && hist_flush(h, &err) != HIST_OK) rc = -1;
    if (rc != 0) fprintf(stderr, "parkbench api: writing the history: %s\n", err.msg);
    if (hist_close(h, &err) != HIST_OK && rc == 0) {
        fprintf(stderr, "parkbench api: historian: %s\n", err.msg);
        rc = -1;
    }
    free(defs), free(ids), free(pts);
    return rc;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int bench(run *r, double *figures) {
    const api_opts *o = r->o;
    char layout_path[PATH_MAX];
    snprintf(layout_path, sizeof layout_path, "%s/../geo/demo-park.geojson", PARKWATCH_TOOLS_DIR);
    char *real = realpath(layout_path, NULL);
    if (!real) {
        fprintf(stderr, "parkbench api: %s: %s\n", layout_path, strerror(errno));
        return -1;
    }
    snprintf(layout_path, sizeof layout_path, "%s", real);
    free(real);
    char script[PATH_MAX];
    snprintf(script, sizeof script, "%s/bench_api/requests.lua", PARKWATCH_TOOLS_DIR);
    if (!file_exists(script)) {
        fprintf(stderr, "parkbench api: %s is missing\n", script);
        return -1;
    }

    /* The layout: its series, its detectors, its enterprises. */
    geo_layout *g;
    geo_problems gp = {0};
    const char *lp[] = {layout_path};
    if (geo_load(lp, 1, NULL, &g, &gp) != 0) {
        fprintf(stderr, "parkbench api: %s does not load\n", layout_path);
        geo_problems_free(&gp);
        return -1;
    }
    size_t n_series = 0;
    for (size_t i = 0; i < geo_count_all(g); i++) n_series += geo_get(g, i)->n_series;
    char **series = calloc(n_series ? n_series : 1, sizeof *series);
    char **detectors = calloc(geo_count(g, GEO_GAS_DETECTOR) + 1, sizeof *detectors);
    size_t ns = 0, nd = 0;
    for (size_t i = 0; series && detectors && i < geo_count_all(g); i++) {
        const geo_feature *f = geo_get(g, i);
        for (size_t k = 0; k < f->n_series; k++) series[ns++] = strdup(f->series[k]);
        if (f->kind == GEO_GAS_DETECTOR && f->n_series) detectors[nd++] = strdup(f->series[0]);
    }
    size_t n_detectors = geo_count(g, GEO_GAS_DETECTOR);
    r->n_detectors = n_detectors;
    geo_close(g);
    int rc = -1;
    char **paths = NULL, **range_names = NULL;
    size_t n_paths = 0;
    if (!series || !detectors || ns < LAST_SERIES || nd < (size_t)o->range_series) {
        fprintf(stderr, "parkbench api: the layout has %zu series and %zu detectors\n", ns, nd);
        goto out;
    }
    qsort(series, ns, sizeof *series, cmp_str);
    size_t distinct = 0;
    for (size_t i = 0; i < ns; i++) /* the same series twice is one series */
        if (!distinct || strcmp(series[distinct - 1], series[i]))
            series[distinct++] = series[i];
        else
            free(series[i]);
    ns = distinct;
    /* parksim adds generic transmitters to each enterprise (but PARK) up to
     * tags_per_ent series in all: the smallest that makes the rate. */
    char ents[64][16];
    size_t n_ents = 0, have[64] = {0}, park_series = 0;
    for (size_t i = 0; i < ns; i++) {
        const char *slash = strchr(series[i], '/');
        size_t el = slash ? (size_t)(slash - series[i]) : strlen(series[i]);
        if (el == 4 && !strncmp(series[i], "PARK", 4)) {
            park_series++;
            continue;
        }
        size_t e = 0;
        while (e < n_ents && (strlen(ents[e]) != el || strncmp(ents[e], series[i], el))) e++;
        if (e == n_ents && n_ents < 64)
            snprintf(ents[n_ents++], sizeof ents[0], "%.*s", (int)el, series[i]);
        if (e < n_ents) have[e]++;
    }
    long tags_per_ent = 0;
    double want = o->ingest_rate / o->hz, total = 0;
    for (;; tags_per_ent++) {
        total = (double)park_series;
        for (size_t e = 0; e < n_ents; e++) total += fmax((double)have[e], (double)tags_per_ent);
        if (total >= want || tags_per_ent > 100000) break;
    }
    fprintf(stderr,
            "parkbench api: demo park: %zu series, %zu gas detectors, %zu enterprises; parksim "
            "at %g Hz with %ld series an enterprise: %.0f series, %.0f points/s\n",
            ns, n_detectors, n_ents, o->hz, tags_per_ent, total, total * o->hz);

    /* A day of history for the range series, before parkd opens the historian. */
    int64_t t_end = (int64_t)(pw_wall_s() * 1000) / 60000 * 60000;
    char hdir[PATH_MAX + 32];
    snprintf(hdir, sizeof hdir, "%s/historian", r->data);
    range_names = calloc((size_t)o->range_series, sizeof *range_names);
    if (!range_names) goto out;
    for (int i = 0; i < o->range_series; i++)
        range_names[i] = detectors[(size_t)i * nd / (size_t)o->range_series];
    double tw = pw_mono_s();
    if (mkdir(r->data, 0755) != 0 ||
        write_history(hdir, range_names, (size_t)o->range_series, t_end) != 0)
        goto out;
    fprintf(stderr, "parkbench api: wrote a day at 1 Hz for %d series (%d points) in %.1f s\n",
            o->range_series, o->range_series * 86400, pw_mono_s() - tw);

    /* A read-only token for the whole park. */
    if (make_token(r->bindir, r->data, r->dir, "parkbench", r->token, sizeof r->token,
                   "parkbench api") != 0)
        goto out;

    int port = start_broker(P_BROKER, r->dir, "parkbench api");
    if (port < 0) goto out;
    FILE *f;

    /* parkd, its API on a port of its choosing */
    char pconf[PATH_MAX + 32], plog[PATH_MAX + 32], stats[PATH_MAX + 32], parkd[PATH_MAX + 16];
    snprintf(pconf, sizeof pconf, "%s/parkd.json", r->dir);
    snprintf(plog, sizeof plog, "%s/parkd.log", r->dir);
    snprintf(stats, sizeof stats, "%s/stats.json", r->dir);
    snprintf(parkd, sizeof parkd, "%s/parkd", r->bindir);
    f = fopen(pconf, "w");
    if (!f) goto out;
    long interval_ms = lround(1000 / o->hz);
    fprintf(f,
            "{\"data_dir\": \"%s\",\n \"broker\": {\"port\": %d, \"client_id\": "
            "\"parkd-bench-api\"},\n \"ingest\": {\"ack_after\": \"write\"},\n"
            " \"api\": {\"listen\": \"127.0.0.1:0\", \"threads\": %d},\n"
            " \"layout\": {\"files\": [\"%s\"]},\n \"enterprises\": [",
            r->data, port, o->api_threads, layout_path);
    for (int e = 1; e <= 30; e++)
        fprintf(f, "{\"id\": \"E%03d\", \"interval_ms\": %ld}, ", e, interval_ms);
    fprintf(f, "{\"id\": \"PARK\", \"interval_ms\": %ld}]}\n", interval_ms);
    fclose(f);
    char *pargv[] = {parkd, "--config", pconf, "--stats-file", stats, NULL};
    spawn(P_PARKD, pargv, plog, NULL);
    r->api_port = wait_parkd(P_PARKD, plog, stats, 3000, "parkbench api");
    if (r->api_port < 0) goto out;
    fprintf(stderr, "parkbench api: mosquitto on %d, parkd api on %d, data in %s\n", port,
            r->api_port, r->data);
    r->sf.path = strdup(stats);
    pthread_mutex_init(&r->sf.mu, NULL);
    if (pthread_create(&r->sf.th, NULL, follow_main, &r->sf) != 0) goto out;
    r->follow_started = true;

    /* parksim, for longer than the bench; stopped when it is done */
    char sim[PATH_MAX + 16], simout[PATH_MAX + 32], sport[16], hz[32], tpe[32], dur[32];
    snprintf(sim, sizeof sim, "%s/parksim", r->bindir);
    snprintf(simout, sizeof simout, "%s/parksim.out", r->dir);
    snprintf(sport, sizeof sport, "%d", port);
    snprintf(hz, sizeof hz, "%g", o->hz);
    snprintf(tpe, sizeof tpe, "%ld", tags_per_ent);
    snprintf(dur, sizeof dur, "%d", o->warmup + 3 * (o->seconds + 30) + 60);
    char *sargv[] = {sim,         "--port",
                     sport,       "--park",
                     layout_path, "--format",
                     "json",      "--rate",
                     hz,          "--tags-per-enterprise",
                     tpe,         "--per-message",
                     "100",       "--duration",
                     dur,         "--quiet",
                     NULL};
    spawn(P_SIM, sargv, simout, NULL);
    double p0 = follow_latest(&r->sf), tw0 = pw_wall_s();
    for (int i = 0; i < o->warmup * 100 && !g_signal; i++) pw_sleep_ms(10);
    if (reap(P_SIM, g_pid[P_SIM], true) != -1 || g_signal) {
        char *so = pw_read_file(simout, NULL);
        fprintf(stderr, "parkbench api: parksim stopped: %s\n", so ? so : "");
        free(so);
        goto out;
    }
    double wpts, wsecs;
    if (follow_window(&r->sf, tw0 + 1.5, pw_wall_s(), &wpts, &wsecs))
        fprintf(stderr, "parkbench api: warm-up: parkd stores %.0f points/s (%.0f stored)\n",
                wpts / wsecs, follow_latest(&r->sf) - p0);

    /* The requests: 22 lists of 100 live series, the range series, the layer. */
    size_t n_last = (ns + LAST_SERIES - 1) / LAST_SERIES;
    n_paths = n_last + (size_t)o->range_series + 1;
    paths = calloc(n_paths, sizeof *paths);
    for (size_t i = 0; paths && i < n_paths; i++) {
        paths[i] = malloc(LAST_SERIES * 3 * (HIST_SERIES_NAME_MAX + 1) + 256);
        if (!paths[i]) goto out;
    }
    if (!paths) goto out;
    for (size_t l = 0; l < n_last; l++) {
        char *p = paths[l], *end = p + LAST_SERIES * 3 * (HIST_SERIES_NAME_MAX + 1) + 256;
        p += sprintf(p, "/api/v1/last?series=");
        for (size_t j = 0; j < LAST_SERIES; j++) {
            if (j) *p++ = ',';
            url_put(&p, end, series[(l * LAST_SERIES + j) % ns]);
        }
    }
    for (int i = 0; i < o->range_series; i++) {
        char *p = paths[n_last + (size_t)i], *end = p + 1024;
        p += sprintf(p, "/api/v1/series/range?series=");
        url_put(&p, end, range_names[i]);
        sprintf(p, "&from=%lld&to=%lld&step=1m", (long long)(t_end - DAY_MS), (long long)t_end);
    }
    sprintf(paths[n_paths - 1], "/api/v1/layers/gas_detector");
    char fl[PATH_MAX + 32], fr[PATH_MAX + 32], fy[PATH_MAX + 32];
    snprintf(fl, sizeof fl, "%s/last.paths", r->dir);
    snprintf(fr, sizeof fr, "%s/range.paths", r->dir);
    snprintf(fy, sizeof fy, "%s/layer.paths", r->dir);
    if (write_paths(fl, paths, n_last) ||
        write_paths(fr, paths + n_last, (size_t)o->range_series) ||
        write_paths(fy, paths + n_paths - 1, 1))
        goto out;
    if (check_requests(r, "last", paths, n_last) ||
        check_requests(r, "range", paths + n_last, (size_t)o->range_series) ||
        check_requests(r, "layer", paths + n_paths - 1, 1))
        goto out;

    wrk_result wl, wr, wy;
    if (run_wrk(r, "last", "last", fl, &wl) || run_wrk(r, "range", "series_range", fr, &wr) ||
        run_wrk(r, "layer", "layer", fy, &wy))
        goto out;
    if (reap(P_SIM, g_pid[P_SIM], true) != -1) {
        fprintf(stderr, "parkbench api: parksim stopped before the end\n");
        goto out;
    }
    double ipts = wl.ingest_points + wr.ingest_points + wy.ingest_points;
    double isecs = wl.ingest_secs + wr.ingest_secs + wy.ingest_secs;
    double ingest = isecs > 0 ? ipts / isecs : 0;
    double errors = wl.errors + wr.errors + wy.errors;
    figures[0] = wl.rps, figures[1] = wr.rps, figures[2] = wy.p99_ms, figures[3] = ingest;
    figures[4] = wl.p99_ms, figures[5] = wr.p99_ms, figures[6] = wy.rps, figures[7] = errors;
    figures[8] = total * o->hz;
    rc = 0;

    /* parksim's own count, and parkd's exit */
    stop_proc(P_SIM, SIGTERM, 20);
    char *so = pw_read_file(simout, NULL);
    double sim_rate = pw_json_num(so, "readings_per_s");
    free(so);
    int prc = stop_proc(P_PARKD, SIGTERM, 60);
    fprintf(stderr,
            "parkbench api: parksim published %.0f readings/s; parkd stored %.0f points/s during "
            "the wrk runs; parkd exit %d\n",
            sim_rate, ingest, prc);
    if (prc != 0) {
        fprintf(stderr, "parkbench api: parkd exited with %d (see %s)\n", prc, plog);
        rc = -1;
    }
out:
    for (size_t i = 0; paths && i < n_paths; i++) free(paths[i]);
    free(paths);
    free(range_names);
    for (size_t i = 0; series && i < ns; i++) free(series[i]);
    for (size_t i = 0; detectors && i < nd; i++) free(detectors[i]);
    free(series), free(detectors);
    return rc;
}

int bench_api(int argc, char **argv) {
    api_opts o = {.seconds = 10,
                  .connections = 32,
                  .wrk_threads = 2,
                  .api_threads = 2,
                  .warmup = 5,
                  .range_series = 16,
                  .ingest_rate = 100000,
                  .hz = 1,
                  .wrk = "wrk"};
    for (int i = 0; i < argc; i++) {
        bool has = i + 1 < argc;
        if (!strcmp(argv[i], "--seconds") && has)
            o.seconds = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--connections") && has)
            o.connections = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--wrk-threads") && has)
            o.wrk_threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--api-threads") && has)
            o.api_threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--ingest-rate") && has)
            o.ingest_rate = atof(argv[++i]);
        else if (!strcmp(argv[i], "--hz") && has)
            o.hz = atof(argv[++i]);
        else if (!strcmp(argv[i], "--warmup") && has)
            o.warmup = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--range-series") && has)
            o.range_series = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--wrk") && has)
            o.wrk = argv[++i];
        else if (!strcmp(argv[i], "--perf") && has)
            o.perf = argv[++i];
        else if (!strcmp(argv[i], "--dir") && has)
            o.dir_arg = argv[++i];
        else if (!strcmp(argv[i], "--keep"))
            o.keep = true;
        else {
            fprintf(stderr,
                    "usage: parkbench api [--seconds S] [--connections C] [--wrk-threads T] "
                    "[--api-threads N] [--ingest-rate POINTS_PER_S] [--hz H] [--warmup S] "
                    "[--range-series N] [--wrk PATH] [--perf PREFIX] [--dir DIR] [--keep]\n");
            return 2;
        }
    }
    if (o.seconds < 1 || o.connections < 1 || o.wrk_threads < 1 || o.api_threads < 1 ||
        o.warmup < 2 || o.range_series < 1 || o.range_series > 1500 || !(o.ingest_rate > 0) ||
        !(o.hz > 0) || o.hz > 1000 || o.connections < o.wrk_threads) {
        fprintf(stderr, "parkbench api: every number must be positive (--warmup at least 2, "
                        "--connections at least --wrk-threads, --hz at most 1000)\n");
        return 2;
    }
    static run r;
    r.o = &o;
    snprintf(r.bindir, sizeof r.bindir, "%s", pw_bindir());
    if (o.dir_arg) {
        snprintf(r.dir, sizeof r.dir, "%s", o.dir_arg);
        if (mkdir(r.dir, 0755) != 0 && errno != EEXIST) {
            fprintf(stderr, "parkbench api: %s: %s\n", r.dir, strerror(errno));
            return 1;
        }
        /* everything in it is removed at the end (but with --keep) */
        DIR *d = opendir(r.dir);
        int entries = 0;
        for (struct dirent *e; d && (e = readdir(d));)
            entries += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
        if (d) closedir(d);
        if (!d || entries) {
            fprintf(stderr, "parkbench api: --dir %s: give a new or empty directory\n", r.dir);
            return 1;
        }
    } else {
        snprintf(r.dir, sizeof r.dir, "%s/parkbench-api.XXXXXX",
                 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
        if (!mkdtemp(r.dir)) {
            fprintf(stderr, "parkbench api: mkdtemp: %s\n", strerror(errno));
            return 1;
        }
    }
    snprintf(r.data, sizeof r.data, "%s/data", r.dir);
    catch_signals();

    double fig[9] = {0};
    int rc = bench(&r, fig);

    /* Stop whatever still runs, newest first, and clean up. */
    for (int i = P_COUNT - 1; i >= 0; i--)
        if (g_pid[i] > 0) {
            int st = stop_proc(i, SIGTERM, i == P_PARKD ? 60 : 20);
            if (rc != 0) fprintf(stderr, "parkbench api: stopped %s (%d)\n", proc_names[i], st);
        }
    if (r.follow_started) {
        atomic_store(&r.sf.stop, true);
        pthread_join(r.sf.th, NULL);
    }
    free(r.sf.v);
    free((char *)r.sf.path);
    if (!o.keep) {
        char cmd[PATH_MAX + 32];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", r.dir);
        if (system(cmd) != 0) fprintf(stderr, "parkbench api: could not remove %s\n", r.dir);
    } else {
        fprintf(stderr, "parkbench api: kept %s\n", r.dir);
    }
    if (g_signal) {
        fprintf(stderr, "parkbench api: interrupted by signal %d\n", (int)g_signal);
        return 1;
    }
    if (rc != 0) {
        fprintf(stderr, "parkbench api: FAILED\n");
        return 1;
    }
    printf("{\"bench\": \"api\", \"last_rps\": %.0f, \"range_rps\": %.0f, \"layer_p99_ms\": %.2f, "
           "\"ingest_points_per_s\": %.0f, \"last_p99_ms\": %.2f, \"range_p99_ms\": %.2f, "
           "\"layer_rps\": %.0f, \"errors\": %.0f, \"ingest_target_points_per_s\": %.0f, "
           "\"seconds\": %d, \"connections\": %d, \"wrk_threads\": %d, \"api_threads\": %d}\n",
           fig[0], fig[1], fig[2], fig[3], fig[4], fig[5], fig[6], fig[7], fig[8], o.seconds,
           o.connections, o.wrk_threads, o.api_threads);
    fflush(stdout);
    if (fig[7] > 0) {
        fprintf(stderr, "parkbench api: FAILED: %.0f requests were not answered 200\n", fig[7]);
        return 1;
    }
    return 0;
}
