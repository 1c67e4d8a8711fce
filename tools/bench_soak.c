/*
 * bench_soak.c - "parkbench soak": parkd for a long run under the
 * benchmark load, watched for memory growth, failed queries and losses.
 *
 *   parkbench soak [--minutes M=10] [--rate POINTS_PER_S=100000] [--qps Q=40]
 *                  [--warmup S=60] [--dir DIR] [--keep]
 *
 * Starts mosquitto on a free loopback port and parkd with the demo park
 * layout (geo/demo-park.geojson) and its API, then parksim playing the
 * layout at 1 Hz with generic transmitters added to the enterprises until
 * the park makes --rate points a second (as "parkbench api" does), with
 * incidents: a propane leak at a tank every two minutes (its downwind
 * detectors alarm under the layout's rules) and a pressure spike on a
 * pipeline every 20 s (high rules in parkd's config), so alarms are raised
 * and cleared all along. For M minutes:
 *  - two threads query the API at Q requests a second in all, with a
 *    regulator token, in turn: the last values of 100 series, a 1-hour
 *    range at a 1-minute step, the gas-detector layer with live values, the
 *    active alarms, the alarm journal of the last 10 minutes; an answer
 *    other than 200 with a JSON body is an error;
 *  - one alarm stream (GET /api/v1/alarms/stream) stays open, its events
 *    counted (reopened, and counted as an error, if it drops);
 *  - parkd's resident memory (VmRSS in /proc/PID/status) is sampled every
 *    10 s.
 * Then parksim stops (waiting for its last PUBACKs), parkd stores what the
 * broker acknowledged and stops, and the historian is checked against
 * parksim's ledger. The ledger goes through a FIFO into per-series digests
 * (count, time span, a sum of a hash of each (time, value)), so a run of
 * hours needs no disk for it; each series' raw points over its span must
 * give the same digest. lost is the readings missing where the counts
 * differ; series_mismatched the series whose digests differ.
 *
 * Progress goes to stderr, a line a minute; the last stdout line is one
 * JSON object: {"minutes", "points_per_s" (parkd's stored points over the
 * run), "rss_start_mb" (at the end of the warm-up), "rss_end_mb",
 * "rss_growth_mb_per_hour" (least-squares slope over the samples from the
 * warm-up on), "queries", "query_errors", "lost", "rss_max_mb",
 * "rss_growth_last_half_mb_per_hour" (the slope over the second half: the
 * historian's head fills its open 15-minute windows for the first ~16
 * minutes, so only that figure of a long run says whether memory leaks),
 * ...}. Exit 1 on a lost reading, a query error, a mismatched series or
 * parkd failing.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "geo/geo.h"
#include "historian/historian.h"
#include "common/kit/httpclient.h"

#ifndef PARKWATCH_TOOLS_DIR
#define PARKWATCH_TOOLS_DIR "tools"
#endif

int bench_soak(int argc, char **argv);

/* ---- the processes ---- */

enum { P_BROKER, P_PARKD, P_SIM, P_COUNT };
static const char *const proc_names[P_COUNT] = {"mosquitto", "parkd", "parksim"};
#define BENCH_SLOTS P_COUNT
#include "tools/bench_proc.h"

/* ---- small helpers ---- */

static void sleep_s(double s) {
    if (s <= 0) return;
    struct timespec t = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&t, &t) != 0 && errno == EINTR) {
    }
}

static double file_num(const char *path, const char *key) {
    char *s = pw_read_file(path, NULL);
    double v = pw_json_num(s, key);
    free(s);
    return v;
}

/* parkd's resident memory in MB, or NAN. */
static double rss_mb(pid_t pid) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    char *s = pw_read_file(path, NULL);
    const char *p = s ? strstr(s, "VmRSS:") : NULL;
    double mb = p ? atof(p + 6) / 1024 : NAN;
    free(s);
    return mb;
}

/* ---- the ledger, as per-series digests ---- */

typedef struct digest {
    char *name;
    uint64_t n, sum;
    int64_t min_ts, max_ts;
} digest;

typedef struct digests {
    digest *v;
    size_t cap, n; /* open addressing, cap a power of two */
    uint64_t lines, bad_lines;
} digests;

static uint64_t mix64(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}

static uint64_t reading_hash(int64_t ts, double v) {
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    return mix64((uint64_t)ts * 0x9e3779b97f4a7c15ull ^ mix64(bits));
}

static uint64_t name_hash(const char *s, size_t n) {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

static digest *digest_slot(digests *d, const char *name, size_t len) {
    if ((d->n + 1) * 2 > d->cap) { /* grow */
        size_t cap = d->cap ? d->cap * 2 : 1 << 16;
        digest *v = calloc(cap, sizeof *v);
        if (!v) return NULL;
        for (size_t i = 0; i < d->cap; i++) {
            if (!d->v[i].name) continue;
            size_t k = name_hash(d->v[i].name, strlen(d->v[i].name)) & (cap - 1);
            while (v[k].name) k = (k + 1) & (cap - 1);
            v[k] = d->v[i];
        }
        free(d->v);
        d->v = v, d->cap = cap;
    }
    size_t k = name_hash(name, len) & (d->cap - 1);
    for (; d->v[k].name; k = (k + 1) & (d->cap - 1))
        if (!strncmp(d->v[k].name, name, len) && !d->v[k].name[len]) return &d->v[k];
    if (!(d->v[k].name = strndup(name, len))) return NULL;
    d->v[k].min_ts = INT64_MAX, d->v[k].max_ts = INT64_MIN;
    d->n++;
    return &d->v[k];
}

/* One ledger line: "<series> <ts_ms> <value>". */
static void digest_line(digests *d, char *line) {
    d->lines++;
    char *sp = strchr(line, ' ');
    char *end1, *end2;
    if (!sp) {
        d->bad_lines++;
        return;
    }
    long long ts = strtoll(sp + 1, &end1, 10);
    double v = strtod(end1, &end2);
    digest *g = end1 != sp + 1 && end2 != end1 ? digest_slot(d, line, (size_t)(sp - line)) : NULL;
    if (!g) {
        d->bad_lines++;
        return;
    }
    g->n++;
    g->sum += reading_hash(ts, v);
    if (ts < g->min_ts) g->min_ts = ts;
    if (ts > g->max_ts) g->max_ts = ts;
}

typedef struct ledger_reader {
    const char *fifo;
    digests d;
    pthread_t th;
    bool started;
} ledger_reader;

static void *ledger_main(void *arg) {
    ledger_reader *lr = arg;
    int fd = open(lr->fifo, O_RDONLY | O_CLOEXEC); /* until parksim opens it */
    if (fd < 0) return NULL;
    size_t cap = 1 << 20, len = 0;
    char *buf = malloc(cap);
    for (ssize_t r; buf && (r = read(fd, buf + len, cap - len - 1)) != 0;) {
        if (r < 0) {
            if (errno == EINTR) continue;
            break;
        }
        len += (size_t)r;
        buf[len] = 0;
        char *p = buf, *nl;
        while ((nl = memchr(p, '\n', len - (size_t)(p - buf)))) {
            *nl = 0;
            digest_line(&lr->d, p);
            p = nl + 1;
        }
        len -= (size_t)(p - buf);
        memmove(buf, p, len);
        if (len + 1 >= cap) len = 0, lr->d.bad_lines++; /* a line of a megabyte: not ours */
    }
    free(buf);
    close(fd);
    return NULL;
}

/* ---- the API load ---- */

typedef struct soak {
    int api_port;
    char token[128];
    char **paths; /* the requests, in turn */
    size_t n_paths;
    double qps;
    atomic_bool stop;
    atomic_ullong queries, errors, alarm_events, stream_drops;
    pthread_mutex_t mu; /* the first errors, for the log */
    int logged;
} soak;

typedef struct query_thread {
    soak *s;
    int index, of;
    pthread_t th;
} query_thread;

static void note_error(soak *s, const char *path, int status, const char *body) {
    atomic_fetch_add(&s->errors, 1);
    pthread_mutex_lock(&s->mu);
    if (s->logged++ < 10)
        fprintf(stderr, "parkbench soak: GET %.100s: %d %.200s\n", path, status,
                body ? body : strerror(errno));
    pthread_mutex_unlock(&s->mu);
}

static void *query_main(void *arg) {
    query_thread *q = arg;
    soak *s = q->s;
    double period = q->of / s->qps, next = pw_mono_s();
    for (size_t k = (size_t)q->index; !atomic_load(&s->stop); k += (size_t)q->of) {
        const char *path = s->paths[k % s->n_paths];
        http_resp r;
        if (http_get(s->api_port, path, s->token, &r) != 0) {
            note_error(s, path, -1, NULL);
        } else {
            const char *b = r.body;
            while (b && (*b == ' ' || *b == '\n')) b++;
            if (r.status != 200 || !b || (*b != '{' && *b != '['))
                note_error(s, path, r.status, r.body);
            http_resp_free(&r);
        }
        atomic_fetch_add(&s->queries, 1);
        next += period;
        double now = pw_mono_s();
        if (next < now - 1) next = now; /* behind: no burst to catch up */
        while (!atomic_load(&s->stop) && pw_mono_s() < next) sleep_s(fmin(0.1, next - pw_mono_s()));
    }
    return NULL;
}

static void *stream_main(void *arg) {
    soak *s = arg;
    while (!atomic_load(&s->stop)) {
        int status = 0;
        http_sse *e = http_sse_open(s->api_port, "/api/v1/alarms/stream", s->token, &status);
        if (!e) {
            note_error(s, "/api/v1/alarms/stream", status, NULL);
            sleep_s(1);
            continue;
        }
        char type[64];
        int rc;
        while (!atomic_load(&s->stop) &&
               (rc = http_sse_next(e, 500, type, sizeof type, NULL, 0, NULL, 0)) >= 0)
            if (rc == 1 && !strcmp(type, "alarm")) atomic_fetch_add(&s->alarm_events, 1);
        http_sse_close(e);
        if (!atomic_load(&s->stop)) {
            atomic_fetch_add(&s->stream_drops, 1);
            note_error(s, "/api/v1/alarms/stream (dropped)", 0, "");
            sleep_s(1);
        }
    }
    return NULL;
}

/* Waits until every series of the "last" requests (every fourth path)
 * exists: parkd registers a series at its first reading, and a list with a
 * series not yet seen answers 404. */
static int wait_series(soak *s, double timeout_s) {
    double until = pw_mono_s() + timeout_s;
    for (size_t k = 0; k < s->n_paths && !g_signal; k += 4) {
        for (;;) {
            http_resp r;
            int status = http_get(s->api_port, s->paths[k], s->token, &r) == 0 ? r.status : -1;
            if (status >= 0) http_resp_free(&r);
            if (status == 200) break;
            if (pw_mono_s() > until || g_signal) {
                fprintf(stderr, "parkbench soak: GET %.100s... still answers %d\n", s->paths[k],
                        status);
                return -1;
            }
            sleep_s(0.2);
        }
    }
    return g_signal ? -1 : 0;
}

/* ---- the run ---- */

typedef struct soak_opts {
    double minutes, rate, qps, warmup;
    const char *dir_arg;
    bool keep;
} soak_opts;

typedef struct sample {
    double t, rss, points, head_points;
} sample;

/* A gauge of parkd's /metrics ("name value" at a line start), or NAN. */
static double metric(const soak *s, const char *name) {
    http_resp r;
    if (http_get(s->api_port, "/metrics", s->token, &r) != 0) return NAN;
    char pat[128];
    snprintf(pat, sizeof pat, "\n%s ", name);
    const char *p = r.status == 200 ? strstr(r.body, pat) : NULL;
    double v = p ? atof(p + strlen(pat)) : NAN;
    http_resp_free(&r);
    return v;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The device and tag of a series "E/dev/tag" into dev and tag. */
static bool split_series(const char *s, char *ent, char *dev, char *tag, size_t cap) {
    const char *a = strchr(s, '/'), *b = a ? strchr(a + 1, '/') : NULL;
    if (!b || (size_t)(a - s) >= cap || (size_t)(b - a - 1) >= cap || strlen(b + 1) >= cap)
        return false;
    snprintf(ent, cap, "%.*s", (int)(a - s), s);
    snprintf(dev, cap, "%.*s", (int)(b - a - 1), a + 1);
    snprintf(tag, cap, "%s", b + 1);
    return true;
}

/* Least-squares slope of RSS over time, MB an hour, of samples [a, b). */
static double rss_slope(const sample *v, size_t a, size_t b) {
    if (b < a + 2) return 0;
    double mx = 0, my = 0, sxy = 0, sxx = 0, m = (double)(b - a);
    for (size_t i = a; i < b; i++) mx += v[i].t / 3600, my += v[i].rss;
    mx /= m, my /= m;
    for (size_t i = a; i < b; i++) {
        sxy += (v[i].t / 3600 - mx) * (v[i].rss - my);
        sxx += (v[i].t / 3600 - mx) * (v[i].t / 3600 - mx);
    }
    return sxx > 0 ? sxy / sxx : 0;
}

typedef struct result {
    double points_per_s, rss_start, rss_end, rss_max, slope, slope_half, lost, published, acked;
    size_t series_mismatched, series_checked, n_samples;
    int parkd_exit;
} result;

#define MAX_INC 64

static int run(const soak_opts *o, const char *dir, const char *bindir, soak *S, result *res) {
    int rc = -1;
    static ledger_reader lr;
    char fifo[PATH_MAX + 32];
    snprintf(fifo, sizeof fifo, "%s/ledger.fifo", dir);
    char layout[PATH_MAX];
    snprintf(layout, sizeof layout, "%s/../geo/demo-park.geojson", PARKWATCH_TOOLS_DIR);
    char *real = realpath(layout, NULL);
    if (!real) {
        fprintf(stderr, "parkbench soak: %s: %s\n", layout, strerror(errno));
        return -1;
    }
    snprintf(layout, sizeof layout, "%s", real);
    free(real);

    /* The layout: its series, tanks and pipelines. */
    geo_layout *g;
    geo_problems gp = {0};
    const char *lp[] = {layout};
    if (geo_load(lp, 1, NULL, &g, &gp) != 0) {
        fprintf(stderr, "parkbench soak: %s does not load\n", layout);
        geo_problems_free(&gp);
        return -1;
    }
    size_t cap = 0;
    for (size_t i = 0; i < geo_count_all(g); i++) cap += geo_get(g, i)->n_series;
    char **series = calloc(cap + 1, sizeof *series);
    char leaks[MAX_INC][224], spikes[MAX_INC][224], rules[MAX_INC][HIST_SERIES_NAME_MAX + 1];
    char leak_ent[64] = "", spike_ent[64] = "";
    int n_leaks = 0, n_spikes = 0;
    size_t ns = 0;
    for (size_t i = 0; series && i < geo_count_all(g); i++) {
        const geo_feature *f = geo_get(g, i);
        for (size_t k = 0; k < f->n_series; k++) series[ns++] = strdup(f->series[k]);
        char ent[64], dev[64], tag[64];
        if (!f->n_series || !split_series(f->series[0], ent, dev, tag, sizeof ent)) continue;
        /* The first tank (by its level) and pipeline (by its pressure) of
         * each enterprise. */
        char *dot = strchr(tag, '.');
        if (f->kind == GEO_TANK && n_leaks < 16 && dot && !strcmp(dot, ".level") &&
            strcmp(ent, leak_ent)) {
            snprintf(leak_ent, sizeof leak_ent, "%s", ent);
            *dot = 0;
            snprintf(leaks[n_leaks++], sizeof leaks[0], "leak:%s:%s:%s", ent, dev, tag);
        } else if (f->kind == GEO_PIPELINE && n_spikes < 32 && dot && !strcmp(dot, ".pressure") &&
                   strcmp(ent, spike_ent)) {
            snprintf(spike_ent, sizeof spike_ent, "%s", ent);
            snprintf(rules[n_spikes], sizeof rules[0], "%s", f->series[0]);
            snprintf(spikes[n_spikes++], sizeof spikes[0], "spike:%s:%s:%s", ent, dev, tag);
        }
    }
    geo_close(g);
    char **lists = NULL;
    size_t n_lists = 0;
    if (!series || ns < 100 || !n_leaks || !n_spikes) {
        fprintf(stderr, "parkbench soak: the layout lacks series, tanks or pipelines\n");
        goto out;
    }
    qsort(series, ns, sizeof *series, cmp_str);
    size_t distinct = 0;
    for (size_t i = 0; i < ns; i++)
        if (!distinct || strcmp(series[distinct - 1], series[i]))
            series[distinct++] = series[i];
        else
            free(series[i]);
    ns = distinct;
    /* Generic transmitters per enterprise (PARK gets none): the fewest that
     * make the rate at 1 Hz. */
    char ents[64][16];
    size_t n_ents = 0, have[64] = {0}, park_series = 0;
    for (size_t i = 0; i < ns; i++) {
        size_t el = strcspn(series[i], "/");
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
    double total = 0;
    for (;; tags_per_ent++) {
        total = (double)park_series;
        for (size_t e = 0; e < n_ents; e++) total += fmax((double)have[e], (double)tags_per_ent);
        if (total >= o->rate || tags_per_ent > 100000) break;
    }

    /* The requests: lists of 100 series, a series' last hour, the layer,
     * the alarms or their journal. */
    n_lists = (ns + 99) / 100;
    S->n_paths = 4 * n_lists;
    S->paths = calloc(S->n_paths, sizeof *S->paths);
    lists = S->paths;
    for (size_t l = 0; S->paths && l < n_lists; l++) {
        size_t sz = 100 * 3 * (HIST_SERIES_NAME_MAX + 1) + 64;
        char *p = S->paths[4 * l] = malloc(sz), *end = p + sz;
        if (!p) goto out;
        p += sprintf(p, "/api/v1/last?series=");
        for (size_t j = 0; j < 100; j++) {
            if (j) *p++ = ',';
            url_put(&p, end, series[(l * 100 + j) % ns]);
        }
        const char *other[3] = {NULL, "/api/v1/layers/gas_detector",
                                l % 2 ? "/api/v1/alarms"
                                      : "/api/v1/alarms/journal?from=-10m&to=now"};
        for (int k = 0; k < 3; k++) {
            if (!(S->paths[4 * l + 1 + k] = malloc(1024))) goto out;
            if (k == 0) {
                char *q = S->paths[4 * l + 1], *qe = q + 1024;
                q += sprintf(q, "/api/v1/series/range?series=");
                url_put(&q, qe, series[(l * 37) % ns]);
                snprintf(q, (size_t)(qe - q), "&from=-1h&to=now&step=1m");
            } else {
                snprintf(S->paths[4 * l + 1 + k], 1024, "%s", other[k]);
            }
        }
    }
    if (!S->paths) goto out;
    fprintf(stderr,
            "parkbench soak: demo park, %zu series; parksim at 1 Hz with %ld series an "
            "enterprise: %.0f points/s; %.0f queries/s; %.1f minutes\n",
            ns, tags_per_ent, total, S->qps, o->minutes);

    /* A regulator token (reads the whole park). */
    char data[PATH_MAX + 16];
    snprintf(data, sizeof data, "%s/data", dir);
    if (mkdir(data, 0755) != 0 ||
        make_token(bindir, data, dir, "soak", S->token, sizeof S->token, "parkbench soak") != 0)
        goto out;

    int port = start_broker(P_BROKER, dir, "parkbench soak");
    if (port < 0) goto out;
    FILE *f;

    /* parkd: the layout, the pipeline rules, the API on a port of its choosing */
    char pconf[PATH_MAX + 32], plog[PATH_MAX + 32], stats[PATH_MAX + 32], parkd[PATH_MAX + 16];
    snprintf(pconf, sizeof pconf, "%s/parkd.json", dir);
    snprintf(plog, sizeof plog, "%s/parkd.log", dir);
    snprintf(stats, sizeof stats, "%s/stats.json", dir);
    snprintf(parkd, sizeof parkd, "%s/parkd", bindir);
    if (!(f = fopen(pconf, "w"))) goto out;
    fprintf(f,
            "{\"data_dir\": \"%s\",\n \"broker\": {\"port\": %d, \"client_id\": "
            "\"parkd-soak\"},\n \"ingest\": {\"ack_after\": \"write\"},\n"
            " \"api\": {\"listen\": \"127.0.0.1:0\", \"threads\": 2},\n"
            " \"layout\": {\"files\": [\"%s\"]},\n \"alarms\": {\"rules\": [",
            data, port, layout);
    for (int i = 0; i < n_spikes; i++)
        fprintf(f, "%s{\"series\": \"%s\", \"kind\": \"high\", \"limit\": 5, \"priority\": 1}",
                i ? ", " : "", rules[i]);
    fprintf(f, "]},\n \"enterprises\": [");
    for (size_t e = 0; e < n_ents; e++)
        fprintf(f, "{\"id\": \"%s\", \"interval_ms\": 1000}, ", ents[e]);
    fprintf(f, "{\"id\": \"PARK\", \"interval_ms\": 1000}]}\n");
    fclose(f);
    char *pargv[] = {parkd, "--config", pconf, "--stats-file", stats, NULL};
    spawn(P_PARKD, pargv, plog, NULL);
    S->api_port = wait_parkd(P_PARKD, plog, stats, 6000, "parkbench soak");
    if (S->api_port < 0) goto out;
    pid_t parkd_pid = g_pid[P_PARKD];

    /* The ledger FIFO and its reader, then parksim with the incidents. */
    if (mkfifo(fifo, 0600) != 0) {
        fprintf(stderr, "parkbench soak: mkfifo %s: %s\n", fifo, strerror(errno));
        goto out;
    }
    lr.fifo = fifo;
    if (pthread_create(&lr.th, NULL, ledger_main, &lr) != 0) goto out;
    lr.started = true;
    double seconds = o->minutes * 60;
    char sim[PATH_MAX + 16], simout[PATH_MAX + 32], sport[16], tpe[32], dur[32];
    snprintf(sim, sizeof sim, "%s/parksim", bindir);
    snprintf(simout, sizeof simout, "%s/parksim.out", dir);
    snprintf(sport, sizeof sport, "%d", port);
    snprintf(tpe, sizeof tpe, "%ld", tags_per_ent);
    snprintf(dur, sizeof dur, "%.0f", seconds + 600); /* stopped by us */
    char *sargv[32 + 2 * MAX_INC] = {sim,    "--port",
                                     sport,  "--park",
                                     layout, "--format",
                                     "json", "--rate",
                                     "1",    "--tags-per-enterprise",
                                     tpe,    "--per-message",
                                     "100",  "--duration",
                                     dur,    "--ledger",
                                     fifo,   "--quiet"};
    int sa = 18;
    /* A leak every 2 minutes (90 s long) on the next tank; a 5-s spike every
     * 20 s on the next pipeline: as many as parksim takes, over the run. */
    static char specs[MAX_INC][288];
    int n_inc = 0;
    for (int k = 0; n_inc < 16 && 30 + 120.0 * k < seconds; k++, n_inc++) {
        snprintf(specs[n_inc], sizeof specs[0], "%s:at=%d:rate=20:for=90", leaks[k % n_leaks],
                 30 + 120 * k);
        sargv[sa++] = "--incident", sargv[sa++] = specs[n_inc];
    }
    double spike_every = fmax(20, seconds / (MAX_INC - n_inc));
    for (int k = 0; n_inc < MAX_INC && 10 + spike_every * k < seconds; k++, n_inc++) {
        snprintf(specs[n_inc], sizeof specs[0], "%s:at=%.0f:value=9.9:for=5", spikes[k % n_spikes],
                 10 + spike_every * k);
        sargv[sa++] = "--incident", sargv[sa++] = specs[n_inc];
    }
    sargv[sa] = NULL;
    spawn(P_SIM, sargv, simout, NULL);
    double t0 = pw_mono_s();
    fprintf(stderr, "parkbench soak: mosquitto on %d, parkd api on %d, %d incidents, data in %s\n",
            port, S->api_port, n_inc, data);

    /* The load, once parkd has every series asked for, and the samples. */
    if (wait_series(S, 120) != 0) goto out;
    fprintf(stderr, "parkbench soak: every series asked for is there after %.1f s\n",
            pw_mono_s() - t0);
    query_thread qt[2];
    pthread_t st;
    for (int i = 0; i < 2; i++) {
        qt[i] = (query_thread){S, i, 2, 0};
        pthread_create(&qt[i].th, NULL, query_main, &qt[i]);
    }
    pthread_create(&st, NULL, stream_main, S);
    size_t n_samples = (size_t)(seconds / 10) + 2;
    sample *smp = calloc(n_samples, sizeof *smp);
    size_t ns_taken = 0;
    bool failed = !smp;
    for (int tick = 0; !failed && !g_signal; tick++) {
        double t_next = t0 + 10.0 * tick;
        while (!g_signal && pw_mono_s() < t_next) sleep_s(fmin(0.2, t_next - pw_mono_s()));
        if (g_signal) break;
        pid_t sim_pid = g_pid[P_SIM];
        bool parkd_gone = reap(P_PARKD, parkd_pid, true) != -1;
        if (parkd_gone || sim_pid <= 0 || reap(P_SIM, sim_pid, true) != -1) {
            fprintf(stderr, "parkbench soak: %s stopped (see %s)\n",
                    parkd_gone ? "parkd" : "parksim", parkd_gone ? plog : simout);
            failed = true;
            break;
        }
        double t = pw_mono_s() - t0;
        if (ns_taken < n_samples)
            smp[ns_taken++] = (sample){t, rss_mb(parkd_pid), file_num(stats, "points"),
                                       metric(S, "parkwatch_historian_head_points")};
        if (tick % 6 == 0 && tick) {
            const sample *a = &smp[ns_taken > 7 ? ns_taken - 7 : 0], *b = &smp[ns_taken - 1];
            fprintf(
                stderr,
                "parkbench soak: %4.1f min: parkd %.1f MB (%.0f points in the historian's head), "
                "%.0f points/s, %llu queries (%llu errors), %llu alarm events\n",
                t / 60, b->rss, b->head_points,
                b->t > a->t ? (b->points - a->points) / (b->t - a->t) : 0,
                (unsigned long long)atomic_load(&S->queries),
                (unsigned long long)atomic_load(&S->errors),
                (unsigned long long)atomic_load(&S->alarm_events));
        }
        if (t >= seconds - 0.5) break;
    }
    atomic_store(&S->stop, true);
    for (int i = 0; i < 2; i++) pthread_join(qt[i].th, NULL);
    pthread_join(st, NULL);
    double t_run = pw_mono_s() - t0;

    /* parksim stops (its last PUBACKs), parkd stores what was acknowledged. */
    int src = stop_proc(P_SIM, SIGTERM, 60);
    char *so = pw_read_file(simout, NULL);
    res->published = pw_json_num(so, "readings");
    res->acked = pw_json_num(so, "acked_readings");
    free(so);
    if (src != 0 && !failed && !g_signal) {
        fprintf(stderr, "parkbench soak: parksim exited with %d (see %s)\n", src, simout);
        failed = true;
    }
    double last = -1, last_change = pw_mono_s();
    while (!g_signal) {
        double pts = file_num(stats, "points");
        if (pts >= res->acked && file_num(stats, "spool_backlog_bytes") == 0) break;
        if (pts != last) last = pts, last_change = pw_mono_s();
        if (pw_mono_s() - last_change > 30) {
            fprintf(stderr, "parkbench soak: parkd stored %.0f points of %.0f and no more\n", pts,
                    res->acked);
            break;
        }
        sleep_s(0.05);
    }
    res->parkd_exit = stop_proc(P_PARKD, SIGTERM, 300);
    stop_proc(P_BROKER, SIGTERM, 20);
    if (lr.started) {
        int wfd = open(fifo, O_WRONLY | O_NONBLOCK); /* a reader never opened: let it go */
        if (wfd >= 0) close(wfd);
        pthread_join(lr.th, NULL);
        lr.started = false;
    }

    /* The figures: RSS from the warm-up on, the stored rate. */
    size_t w = 0;
    while (w < ns_taken && smp[w].t < o->warmup - 1) w++;
    if (w >= ns_taken) w = ns_taken ? ns_taken - 1 : 0;
    res->n_samples = ns_taken - w;
    if (ns_taken) {
        res->rss_start = smp[w].rss, res->rss_end = smp[ns_taken - 1].rss;
        for (size_t i = w; i < ns_taken; i++) res->rss_max = fmax(res->rss_max, smp[i].rss);
        res->slope = rss_slope(smp, w, ns_taken);
        size_t half = w; /* the second half of the run: the head's fill is over in long runs */
        while (half < ns_taken && smp[half].t < seconds / 2) half++;
        res->slope_half = rss_slope(smp, half, ns_taken);
        const sample *a = &smp[w], *b = &smp[ns_taken - 1];
        res->points_per_s = b->t > a->t ? (b->points - a->points) / (b->t - a->t) : 0;
    }
    fprintf(stderr,
            "parkbench soak: ran %.1f s; parksim published %.0f readings, %.0f acknowledged; "
            "parkd exit %d; %zu RSS samples from the warm-up on, MB (points in the head):",
            t_run, res->published, res->acked, res->parkd_exit, res->n_samples);
    for (size_t i = w; i < ns_taken; i++)
        fprintf(stderr, " %.1f (%.2fM)", smp[i].rss, smp[i].head_points / 1e6);
    fprintf(stderr, "\n");
    free(smp);
    if (failed || g_signal) goto out;

    /* The ledger against the historian. */
    char hdir[PATH_MAX + 32];
    snprintf(hdir, sizeof hdir, "%s/historian", data);
    hist *h;
    hist_error err;
    if (hist_open(hdir, NULL, &h, &err) != HIST_OK) {
        fprintf(stderr, "parkbench soak: historian: %s\n", err.msg);
        goto out;
    }
    double tc = pw_mono_s();
    digests *d = &lr.d;
    res->lost = 0;
    for (size_t i = 0; i < d->cap; i++) {
        digest *x = &d->v[i];
        if (!x->name) continue;
        res->series_checked++;
        uint32_t id;
        hist_samples s = {0};
        uint64_t n = 0, sum = 0;
        hist_status hs = hist_series_lookup(h, x->name, &id, &err);
        if (hs == HIST_OK) hs = hist_query_raw(h, id, x->min_ts, x->max_ts + 1, 0, &s, &err);
        if (hs == HIST_OK)
            for (size_t k = 0; k < s.n; k++) n++, sum += reading_hash(s.v[k].ts_ms, s.v[k].value);
        hist_samples_free(&s);
        if (hs != HIST_OK || n != x->n || sum != x->sum) {
            if (res->series_mismatched++ < 5)
                fprintf(stderr, "parkbench soak: %s: %llu readings acknowledged, %llu stored%s%s\n",
                        x->name, (unsigned long long)x->n, (unsigned long long)n,
                        hs != HIST_OK ? ": "
                        : n == x->n   ? " (other values)"
                                      : "",
                        hs != HIST_OK ? err.msg : "");
            if (n < x->n) res->lost += (double)(x->n - n);
        }
    }
    hist_close(h, &err);
    fprintf(stderr,
            "parkbench soak: ledger: %llu readings of %zu series (%llu unreadable lines) checked "
            "in %.1f s: %.0f lost, %zu series differ\n",
            (unsigned long long)d->lines, res->series_checked, (unsigned long long)d->bad_lines,
            pw_mono_s() - tc, res->lost, res->series_mismatched);
    if ((double)d->lines != res->acked) {
        fprintf(stderr, "parkbench soak: the ledger has %llu readings, parksim says %.0f\n",
                (unsigned long long)d->lines, res->acked);
        goto out;
    }
    rc = 0;
out:
    if (lr.started) {
        for (int i = 0; i < P_COUNT; i++)
            if (g_pid[i] > 0) stop_proc(i, SIGTERM, 60);
        int wfd = open(fifo, O_WRONLY | O_NONBLOCK);
        if (wfd >= 0) close(wfd);
        pthread_join(lr.th, NULL);
        lr.started = false;
    }
    for (size_t i = 0; i < lr.d.cap; i++) free(lr.d.v[i].name);
    free(lr.d.v);
    for (size_t i = 0; lists && i < S->n_paths; i++) free(lists[i]);
    free(lists);
    S->paths = NULL;
    for (size_t i = 0; series && i < ns; i++) free(series[i]);
    free(series);
    return rc;
}

int bench_soak(int argc, char **argv) {
    soak_opts o = {.minutes = 10, .rate = 100000, .qps = 40, .warmup = 60};
    for (int i = 0; i < argc; i++) {
        bool has = i + 1 < argc;
        if (!strcmp(argv[i], "--minutes") && has)
            o.minutes = atof(argv[++i]);
        else if (!strcmp(argv[i], "--rate") && has)
            o.rate = atof(argv[++i]);
        else if (!strcmp(argv[i], "--qps") && has)
            o.qps = atof(argv[++i]);
        else if (!strcmp(argv[i], "--warmup") && has)
            o.warmup = atof(argv[++i]);
        else if (!strcmp(argv[i], "--dir") && has)
            o.dir_arg = argv[++i];
        else if (!strcmp(argv[i], "--keep"))
            o.keep = true;
        else {
            fprintf(stderr, "usage: parkbench soak [--minutes M] [--rate POINTS_PER_S] [--qps Q] "
                            "[--warmup S] [--dir DIR] [--keep]\n");
            return 2;
        }
    }
    if (!(o.minutes > 0) || !(o.rate > 0) || !(o.qps > 0) || !(o.warmup >= 0)) {
        fprintf(stderr, "parkbench soak: --minutes, --rate and --qps must be positive\n");
        return 2;
    }
    if (o.warmup > o.minutes * 30) o.warmup = o.minutes * 30; /* half the run at most */
    char bindir[PATH_MAX], dir[PATH_MAX];
    snprintf(bindir, sizeof bindir, "%s", pw_bindir());
    if (o.dir_arg) {
        snprintf(dir, sizeof dir, "%s", o.dir_arg);
        if (mkdir(dir, 0755) != 0) {
            fprintf(stderr, "parkbench soak: --dir %s: give a new directory (%s)\n", dir,
                    strerror(errno));
            return 1;
        }
    } else {
        snprintf(dir, sizeof dir, "%s/parkbench-soak.XXXXXX",
                 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
        if (!mkdtemp(dir)) {
            fprintf(stderr, "parkbench soak: mkdtemp: %s\n", strerror(errno));
            return 1;
        }
    }
    catch_signals();

    static soak S;
    S.qps = o.qps;
    pthread_mutex_init(&S.mu, NULL);
    result r = {0};
    int rc = run(&o, dir, bindir, &S, &r);
    for (int i = P_COUNT - 1; i >= 0; i--)
        if (g_pid[i] > 0) {
            int st = stop_proc(i, SIGTERM, i == P_PARKD ? 300 : 20);
            fprintf(stderr, "parkbench soak: stopped %s (%d)\n", proc_names[i], st);
        }
    if (!o.keep) {
        char cmd[PATH_MAX + 32];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0) fprintf(stderr, "parkbench soak: could not remove %s\n", dir);
    } else {
        fprintf(stderr, "parkbench soak: kept %s\n", dir);
    }
    if (g_signal) {
        fprintf(stderr, "parkbench soak: interrupted by signal %d\n", (int)g_signal);
        return 1;
    }
    if (rc != 0) {
        fprintf(stderr, "parkbench soak: FAILED\n");
        return 1;
    }
    unsigned long long q = atomic_load(&S.queries), qe = atomic_load(&S.errors);
    printf("{\"bench\": \"soak\", \"minutes\": %g, \"points_per_s\": %.0f, \"rss_start_mb\": %.1f, "
           "\"rss_end_mb\": %.1f, \"rss_growth_mb_per_hour\": %.1f, \"queries\": %llu, "
           "\"query_errors\": %llu, \"lost\": %.0f, \"published_readings\": %.0f, "
           "\"acked_readings\": %.0f, \"series_mismatched\": %zu, \"alarm_events\": %llu, "
           "\"rss_samples\": %zu, \"warmup_s\": %g, \"rss_max_mb\": %.1f, "
           "\"rss_growth_last_half_mb_per_hour\": %.1f, \"parkd_exit\": %d}\n",
           o.minutes, r.points_per_s, r.rss_start, r.rss_end, r.slope, q, qe, r.lost, r.published,
           r.acked, r.series_mismatched, (unsigned long long)atomic_load(&S.alarm_events),
           r.n_samples, o.warmup, r.rss_max, r.slope_half, r.parkd_exit);
    fflush(stdout);
    bool bad = r.lost > 0 || qe > 0 || r.series_mismatched > 0 || r.parkd_exit != 0;
    if (bad) fprintf(stderr, "parkbench soak: FAILED (losses, query errors or parkd's exit)\n");
    return bad ? 1 : 0;
}
