/*
 * bench_closedpark.c - "parkbench closedpark": closed-park management under
 * load, through the real broker and parkd (issue 21's figures).
 *
 *   parkbench closedpark [--vehicles N=5000] [--badges-per-min N=50000] [--scale S=4]
 *                        [--rate HZ=10] [--seconds S=60] [--dir D] [--keep]
 *
 * The demo park's layout at --scale (gates on roads, zones, the vehicle
 * park), parkd with it, and parksim playing its readings at --rate (scale 4
 * at 10 Hz: about 100,000 points/s, "the usual load"). Before the run: one
 * vehicle's day of track (86,400 positions, three series) written with past
 * times, then --vehicles appointments booked over HTTP (each gets a route
 * planned over the roads) and their gate passages published. During the
 * run, three publishers: every vehicle's position at 1 Hz along its route
 * (park/PARK/vehicles/data, 500 vehicles a message), badge events at
 * --badges-per-min (park/PARK/access/events), and every 2 s a tanker
 * without an appointment at a gate, timed to its no_appointment alarm on
 * the alarm stream (GET /api/v1/alarms/stream, the command centre's path);
 * and a reader timing GET /api/v1/vehicles every second.
 * After it: the day of track read back (GET /vehicles/{plate}/track) 20
 * times, and parkd's own figure for the fence and route checks per
 * position (closedpark's counters in GET /closedpark/summary).
 */
#include <jansson.h>
#include <math.h>
#include <mosquitto.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { P_BROKER, P_PARKD, P_SIM, BENCH_SLOTS };
#include "common/kit/httpclient.h"
#include "tools/bench_proc.h"

int bench_closedpark(int argc, char **argv);
char *park_layout_geojson(int scale, uint64_t seed);

#define TRACK_PLATE "沪T00001"
#define DAY_S       86400

typedef struct bc_vehicle {
    char plate[24];
    double *ll; /* the route's lon, lat pairs */
    size_t n;
    double pos_m, len_m; /* where along the route, its length (degrees scaled to m) */
    int dir;
} bc_vehicle;

typedef struct bench {
    int mqtt_port, api_port, seconds, badges_per_min;
    char token[160];
    bc_vehicle *v;
    size_t n_v;
    char (*zones)[64];
    size_t n_zones;
    char (*gates)[32];
    size_t n_gates;
    atomic_bool stop, stream_stop;
    /* event -> alarm */
    pthread_mutex_t mu;
    char pending[64][24];
    double pending_at[64];
    double *lat_ms;
    size_t n_lat, cap_lat;
    size_t raised_sent;
    /* the live layer */
    double layer_ms[4096], plain_ms[4096]; /* with the default track; without (track_s=0) */
    size_t n_layer, n_plain;
    size_t layer_features;
    uint64_t positions_sent, badges_sent;
} bench;

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (double)t.tv_sec * 1000.0 + (double)t.tv_nsec / 1e6;
}

static int cmpd(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(double *v, size_t n, double p) {
    if (!n) return NAN;
    qsort(v, n, sizeof *v, cmpd);
    size_t k = (size_t)ceil(p * (double)n) - 1;
    return v[k < n ? k : n - 1];
}

/* The CPU seconds (user and system) a process has used. */
static double proc_cpu_s(pid_t pid) {
    char p[64];
    snprintf(p, sizeof p, "/proc/%d/stat", (int)pid);
    char *st = pw_read_file(p, NULL);
    char *q = st ? strrchr(st, ')') : NULL;
    unsigned long ut = 0, stt = 0;
    if (q) sscanf(q + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &stt);
    free(st);
    return (double)(ut + stt) / (double)sysconf(_SC_CLK_TCK);
}

static int admin_token(const char *bindir, const char *data, const char *dir, char *out,
                       size_t cap) {
    char tokfile[PATH_MAX + 32], tokout[PATH_MAX + 32], ctl[PATH_MAX + 16];
    snprintf(tokfile, sizeof tokfile, "%s/tokens.json", data);
    snprintf(tokout, sizeof tokout, "%s/admin-token.out", dir);
    snprintf(ctl, sizeof ctl, "%s/parkctl", bindir);
    char *argv[] = {ctl,      "token", "create", "--file",      tokfile,
                    "--role", "admin", "--name", "bench-admin", NULL};
    pid_t p = spawn(-1, argv, tokout, "/dev/null");
    char *t = p > 0 && wait_for(-1, p, 30) == 0 ? pw_read_file(tokout, NULL) : NULL;
    if (!t) return -1;
    t[strcspn(t, "\r\n")] = 0;
    snprintf(out, cap, "%s", t);
    free(t);
    return strlen(out) > 8 ? 0 : -1;
}

/* The layout's gates, zones and enterprises (for destinations). */
static int read_layout(bench *b, const char *text, char (**ents)[16], size_t *n_ents) {
    json_error_t je;
    json_t *doc = json_loads(text, 0, &je);
    if (!doc) return -1;
    size_t i;
    json_t *f;
    size_t cap = json_array_size(json_object_get(doc, "features"));
    b->gates = calloc(cap, sizeof *b->gates);
    b->zones = calloc(cap, sizeof *b->zones);
    *ents = calloc(cap, sizeof **ents);
    json_array_foreach(json_object_get(doc, "features"), i, f) {
        json_t *p = json_object_get(f, "properties");
        const char *k = json_string_value(json_object_get(p, "kind")),
                   *id = json_string_value(json_object_get(p, "id"));
        if (!k || !id) continue;
        if (!strcmp(k, "gate")) snprintf(b->gates[b->n_gates++], 32, "%s", id);
        if (!strcmp(k, "zone")) snprintf(b->zones[b->n_zones++], 64, "%s", id);
        if (!strcmp(k, "enterprise")) snprintf((*ents)[(*n_ents)++], 16, "%s", id);
    }
    json_decref(doc);
    return b->n_gates && *n_ents ? 0 : -1;
}

static double seg_m(const double *a, const double *b) {
    double dx = (b[0] - a[0]) * 111320.0 * cos(a[1] * M_PI / 180), dy = (b[1] - a[1]) * 110540.0;
    return hypot(dx, dy);
}

/* Lon, lat at pos metres along the route. */
static void along(const bc_vehicle *v, double pos, double *lon, double *lat, double *heading) {
    for (size_t i = 0; i + 1 < v->n; i++) {
        double l = seg_m(&v->ll[2 * i], &v->ll[2 * i + 2]);
        if (pos <= l || i + 2 == v->n) {
            double t = l > 0 ? fmin(1, pos / l) : 0;
            *lon = v->ll[2 * i] + t * (v->ll[2 * i + 2] - v->ll[2 * i]);
            *lat = v->ll[2 * i + 1] + t * (v->ll[2 * i + 3] - v->ll[2 * i + 1]);
            *heading =
                fmod(atan2(v->ll[2 * i + 2] - v->ll[2 * i], v->ll[2 * i + 3] - v->ll[2 * i + 1]) *
                             180 / M_PI +
                         360,
                     360);
            return;
        }
        pos -= l;
    }
    *lon = v->ll[0], *lat = v->ll[1], *heading = 0;
}

static struct mosquitto *connect_mqtt(int port, void *ctx) {
    struct mosquitto *m = mosquitto_new(NULL, true, ctx);
    if (!m || mosquitto_connect(m, "127.0.0.1", port, 30) != MOSQ_ERR_SUCCESS) return NULL;
    mosquitto_loop_start(m);
    return m;
}

static void *vehicles_main(void *arg) {
    bench *b = arg;
    struct mosquitto *m = connect_mqtt(b->mqtt_port, NULL);
    if (!m) return NULL;
    size_t cap = 1 << 20;
    char *buf = malloc(cap);
    double next = now_ms();
    while (!atomic_load(&b->stop) && buf) {
        int64_t ts = (int64_t)now_ms();
        for (size_t s = 0; s < b->n_v; s += 500) {
            size_t o = (size_t)snprintf(buf, cap, "{\"ts\": %lld, \"values\": {", (long long)ts);
            for (size_t i = s; i < b->n_v && i < s + 500 && o < cap - 256; i++) {
                bc_vehicle *v = &b->v[i];
                v->pos_m += v->dir * 30 / 3.6; /* 30 km/h, back and forth */
                if (v->pos_m > v->len_m) v->pos_m = v->len_m, v->dir = -1;
                if (v->pos_m < 0) v->pos_m = 0, v->dir = 1;
                double lon, lat, hd;
                along(v, v->pos_m, &lon, &lat, &hd);
                o += (size_t)snprintf(buf + o, cap - o,
                                      "%s\"%s.lat\": %.7f, \"%s.lon\": %.7f, \"%s.speed\": 30, "
                                      "\"%s.heading\": %.0f",
                                      i > s ? ", " : "", v->plate, lat, v->plate, lon, v->plate,
                                      v->plate, hd);
            }
            o += (size_t)snprintf(buf + o, cap - o, "}}");
            mosquitto_publish(m, NULL, "park/PARK/vehicles/data", (int)o, buf, 1, false);
        }
        b->positions_sent += b->n_v;
        next += 1000;
        double w = next - now_ms();
        if (w > 0) usleep((useconds_t)(w * 1000));
    }
    free(buf);
    mosquitto_disconnect(m);
    mosquitto_loop_stop(m, false);
    mosquitto_destroy(m);
    return NULL;
}

static void *badges_main(void *arg) {
    bench *b = arg;
    struct mosquitto *m = connect_mqtt(b->mqtt_port, NULL);
    if (!m || !b->n_zones) return NULL;
    /* every 100 ms a tenth of a second's badges, one message */
    double per_tick = b->badges_per_min / 600.0, owed = 0;
    char *buf = malloc(1 << 20);
    bool *in = calloc(20000, 1);
    uint64_t k = 0;
    double next = now_ms();
    while (!atomic_load(&b->stop) && buf && in) {
        owed += per_tick;
        size_t o = 0, n = 0;
        int64_t ts = (int64_t)now_ms();
        buf[o++] = '[';
        for (; owed >= 1 && o < (1 << 20) - 512; owed -= 1, n++, k++) {
            size_t person = (k * 7919) % 20000, zone = person % b->n_zones;
            in[person] = !in[person];
            o += (size_t)snprintf(buf + o, (1 << 20) - o,
                                  "%s{\"type\": \"badge\", \"ts\": %lld, \"zone\": \"%s\", "
                                  "\"person\": \"P%05zu\", \"direction\": \"%s\"}",
                                  n ? "," : "", (long long)ts, b->zones[zone], person,
                                  in[person] ? "in" : "out");
        }
        buf[o++] = ']';
        if (n) mosquitto_publish(m, NULL, "park/PARK/access/events", (int)o, buf, 1, false);
        b->badges_sent += n;
        next += 100;
        double w = next - now_ms();
        if (w > 0) usleep((useconds_t)(w * 1000));
    }
    free(buf);
    free(in);
    mosquitto_disconnect(m);
    mosquitto_loop_stop(m, false);
    mosquitto_destroy(m);
    return NULL;
}

/* The command centre's path: GET /api/v1/alarms/stream, each new
 * no_appointment alarm matched to the tanker that raised it. */
static void alarm_seen(bench *b, const char *data, double at) {
    if (!strstr(data, "no_appointment")) return;
    json_t *o = json_loads(data, 0, NULL);
    const char *series = json_string_value(json_object_get(o, "series"));
    const char *to = json_string_value(json_object_get(o, "to"));
    pthread_mutex_lock(&b->mu);
    for (int i = 0; series && to && !strcmp(to, "unack") && i < 64; i++)
        if (b->pending[i][0] && strstr(series, b->pending[i])) {
            if (b->n_lat < b->cap_lat) b->lat_ms[b->n_lat++] = at - b->pending_at[i];
            b->pending[i][0] = 0;
        }
    pthread_mutex_unlock(&b->mu);
    json_decref(o);
}

static void *stream_main(void *arg) {
    bench *b = arg;
    int st = 0;
    http_sse *s = http_sse_open(b->api_port, "/api/v1/alarms/stream", b->token, &st);
    if (!s) {
        fprintf(stderr, "parkbench closedpark: the alarm stream answered %d\n", st);
        return NULL;
    }
    char ev[32];
    while (!atomic_load(&b->stream_stop)) {
        int rc = http_sse_next(s, 200, ev, sizeof ev, NULL, 0, NULL, 0);
        if (rc < 0) break;
        if (rc == 1 && !strcmp(ev, "alarm")) alarm_seen(b, http_sse_data(s), now_ms());
    }
    http_sse_close(s);
    return NULL;
}

static void *intruders_main(void *arg) {
    bench *b = arg;
    struct mosquitto *m = connect_mqtt(b->mqtt_port, NULL);
    if (!m) return NULL;
    for (int k = 0; !atomic_load(&b->stop); k++) {
        char plate[24], body[512];
        snprintf(plate, sizeof plate, "沪X%05d", k);
        snprintf(body, sizeof body,
                 "{\"type\": \"gate_passage\", \"ts\": %lld, \"gate\": \"%s\", \"direction\": "
                 "\"in\", \"plate\": \"%s\", \"vehicle_type\": \"tanker\", \"hazard_class\": "
                 "\"3\", \"un_number\": \"1203\", \"cargo\": \"gasoline\", \"mass_kg\": 20000}",
                 (long long)now_ms(), b->gates[k % b->n_gates], plate);
        pthread_mutex_lock(&b->mu);
        snprintf(b->pending[k % 64], sizeof b->pending[0], "%s", plate);
        b->pending_at[k % 64] = now_ms();
        b->raised_sent++;
        pthread_mutex_unlock(&b->mu);
        mosquitto_publish(m, NULL, "park/PARK/gates/events", (int)strlen(body), body, 1, false);
        for (int i = 0; i < 20 && !atomic_load(&b->stop); i++) usleep(100000);
    }
    mosquitto_disconnect(m);
    mosquitto_loop_stop(m, false);
    mosquitto_destroy(m);
    return NULL;
}

static void *layer_main(void *arg) {
    bench *b = arg;
    while (!atomic_load(&b->stop)) {
        http_resp r;
        double t0 = now_ms();
        int rc = http_request(b->api_port, "GET", "/api/v1/vehicles", b->token, NULL, NULL, 0, &r,
                              10000);
        double dt = now_ms() - t0;
        if (rc == 0 && r.status == 200 && b->n_layer < 4096) {
            b->layer_ms[b->n_layer++] = dt;
            const char *p = r.body;
            size_t n = 0;
            while (p && (p = strstr(p, "\"Feature\""))) n++, p++;
            b->layer_features = n;
        }
        if (rc == 0) http_resp_free(&r);
        t0 = now_ms();
        rc = http_request(b->api_port, "GET", "/api/v1/vehicles?track_s=0", b->token, NULL, NULL, 0,
                          &r, 10000);
        dt = now_ms() - t0;
        if (rc == 0 && r.status == 200 && b->n_plain < 4096) b->plain_ms[b->n_plain++] = dt;
        if (rc == 0) http_resp_free(&r);
        for (int i = 0; i < 10 && !atomic_load(&b->stop); i++) usleep(100000);
    }
    return NULL;
}

/* One vehicle's day at 1 Hz with past times (lat, lon, speed), 1,000 a message. */
static int write_day(int port, double lon0, double lat0, int64_t end_ms) {
    struct mosquitto *m = connect_mqtt(port, NULL);
    if (!m) return -1;
    char *buf = malloc(1 << 20);
    for (int s = 0; buf && s < DAY_S; s += 1000) {
        size_t o = 0;
        buf[o++] = '[';
        for (int i = s; i < s + 1000 && i < DAY_S; i++) {
            int64_t ts = end_ms - (int64_t)(DAY_S - i) * 1000;
            double a = i * 2 * M_PI / 3600;
            o += (size_t)snprintf(
                buf + o, (1 << 20) - o,
                "%s{\"ts\": %lld, \"values\": {\"" TRACK_PLATE ".lat\": %.7f, \"" TRACK_PLATE
                ".lon\": %.7f, \"" TRACK_PLATE ".speed\": 20}}",
                i > s ? "," : "", (long long)ts, lat0 + 0.002 * sin(a), lon0 + 0.002 * cos(a));
        }
        buf[o++] = ']';
        mosquitto_publish(m, NULL, "park/PARK/vehicles/data", (int)o, buf, 1, false);
        usleep(2000);
    }
    free(buf);
    sleep(1);
    mosquitto_disconnect(m);
    mosquitto_loop_stop(m, false);
    mosquitto_destroy(m);
    return 0;
}

int bench_closedpark(int argc, char **argv) {
    int vehicles = 5000, scale = 4, rate = 10, seconds = 60, badges = 50000;
    const char *dir_arg = NULL;
    bool keep = false;
    for (int i = 2; i < argc; i++) {
        bool has = i + 1 < argc;
        if (!strcmp(argv[i], "--vehicles") && has)
            vehicles = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--scale") && has)
            scale = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--rate") && has)
            rate = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--seconds") && has)
            seconds = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--badges-per-min") && has)
            badges = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--dir") && has)
            dir_arg = argv[++i];
        else if (!strcmp(argv[i], "--keep"))
            keep = true;
        else {
            fprintf(stderr,
                    "usage: parkbench closedpark [--vehicles N] [--badges-per-min N] [--scale S] "
                    "[--rate HZ] [--seconds S] [--dir D] [--keep]\n");
            return 2;
        }
    }
    if (vehicles < 1 || vehicles > 100000 || scale < 1 || scale > 20 || rate < 0 || rate > 100 ||
        seconds < 5 || seconds > 86400 || badges < 0 || badges > 10000000) {
        fprintf(stderr, "parkbench closedpark: an option out of range\n");
        return 2;
    }
    catch_signals();
    (void)make_token; /* bench_proc.h's regulator token: this bench books, so it is admin */
    char bindir[PATH_MAX];
    ssize_t bl = readlink("/proc/self/exe", bindir, sizeof bindir - 1);
    if (bl <= 0) return 1;
    bindir[bl] = 0;
    *strrchr(bindir, '/') = 0;
    char dir[PATH_MAX], data[PATH_MAX + 16], layout[PATH_MAX + 32], conf[PATH_MAX + 32],
        log[PATH_MAX + 32], stats[PATH_MAX + 32], simlog[PATH_MAX + 32];
    snprintf(dir, sizeof dir, "%s", dir_arg ? dir_arg : "/tmp/parkbench-closedpark");
    if (!dir_arg) snprintf(dir, sizeof dir, "/tmp/parkbench-closedpark.%d", (int)getpid());
    mkdir(dir, 0755);
    snprintf(data, sizeof data, "%s/data", dir);
    snprintf(layout, sizeof layout, "%s/layout.geojson", dir);
    snprintf(conf, sizeof conf, "%s/parkd.json", dir);
    snprintf(log, sizeof log, "%s/parkd.log", dir);
    snprintf(stats, sizeof stats, "%s/stats.json", dir);
    snprintf(simlog, sizeof simlog, "%s/parksim.log", dir);
    mkdir(data, 0755);
    static bench B;
    bench *b = &B;
    pthread_mutex_init(&b->mu, NULL);
    b->seconds = seconds, b->badges_per_min = badges;
    char *lj = park_layout_geojson(scale, 1);
    FILE *f = lj ? fopen(layout, "w") : NULL;
    if (!f || fputs(lj, f) < 0) return 1;
    fclose(f);
    char(*ents)[16] = NULL;
    size_t n_ents = 0;
    if (read_layout(b, lj, &ents, &n_ents) != 0) {
        fprintf(stderr, "parkbench closedpark: the layout has no gate or enterprise\n");
        return 1;
    }
    free(lj);
    if ((b->mqtt_port = start_broker(P_BROKER, dir, "parkbench closedpark")) < 0) return 1;
    if (admin_token(bindir, data, dir, b->token, sizeof b->token) != 0) {
        fprintf(stderr, "parkbench closedpark: no admin token\n");
        return 1;
    }
    int api_port = pw_free_port();
    f = fopen(conf, "w");
    if (!f) return 1;
    fprintf(f,
            "{\"data_dir\": \"%s\", \"broker\": {\"host\": \"127.0.0.1\", \"port\": %d, "
            "\"client_id\": \"parkd-bench\"}, \"api\": {\"listen\": \"127.0.0.1:%d\", "
            "\"rate_limit_per_s\": 100000}, \"layout\": {\"files\": [\"%s\"]}, "
            "\"enterprises\": [",
            data, b->mqtt_port, api_port, layout);
    for (size_t e = 0; e < n_ents; e++)
        fprintf(f, "{\"id\": \"%s\", \"interval_ms\": 1000}, ", ents[e]);
    /* PARK holds the vehicles: four series each, and the day of track */
    fprintf(f, "{\"id\": \"PARK\", \"max_series\": %d}]}\n", 4 * vehicles + 10000);
    fclose(f);
    char parkd[PATH_MAX + 16];
    snprintf(parkd, sizeof parkd, "%s/parkd", bindir);
    char *pargv[] = {parkd, "--config", conf, "--stats-file", stats, NULL};
    spawn(P_PARKD, pargv, log, NULL);
    if ((b->api_port = wait_parkd(P_PARKD, log, stats, 6000, "parkbench closedpark")) < 0) {
        pw_proc_kill_all(SIGTERM);
        return 1;
    }
    /* one vehicle's day of track, with past times */
    int64_t t_day_end = (int64_t)now_ms();
    write_day(b->mqtt_port, 121.42, 30.78, t_day_end);
    /* the appointments: a route each */
    b->v = calloc((size_t)vehicles, sizeof *b->v);
    double t0 = now_ms();
    size_t booked = 0, failed = 0;
    char body[1024], why[200] = "";
    for (int i = 0; i < vehicles && !g_signal; i++) {
        bc_vehicle *v = &b->v[b->n_v];
        snprintf(v->plate, sizeof v->plate, "沪B%05d", i);
        int64_t now = (int64_t)now_ms();
        snprintf(body, sizeof body,
                 "{\"plate\": \"%s\", \"enterprise\": \"%s\", \"window_from\": %lld, "
                 "\"window_to\": %lld, \"gate\": \"%s\", \"destination\": \"%s\", "
                 "\"hazard_class\": \"3\", \"un_number\": \"1203\", \"cargo\": \"gasoline\", "
                 "\"mass_kg\": 20000}",
                 v->plate, ents[(size_t)i % n_ents], (long long)(now - 600000),
                 (long long)(now + 6 * 3600000LL), b->gates[(size_t)i % b->n_gates],
                 ents[(size_t)i % n_ents]);
        http_resp r;
        if (http_request(b->api_port, "POST", "/api/v1/appointments", b->token, "application/json",
                         body, strlen(body), &r, 30000) != 0) {
            failed++;
            continue;
        }
        json_t *a = r.status == 201 ? json_loadb(r.body, r.body_len, 0, NULL) : NULL;
        json_t *co = json_object_get(json_object_get(a, "route"), "coordinates");
        if (!a || json_array_size(co) < 2) {
            if (!why[0]) snprintf(why, sizeof why, "%d %.150s", r.status, r.body ? r.body : "");
            failed++;
        } else {
            v->n = json_array_size(co);
            v->ll = malloc(v->n * 2 * sizeof *v->ll);
            for (size_t k = 0; k < v->n; k++) {
                v->ll[2 * k] = json_number_value(json_array_get(json_array_get(co, k), 0));
                v->ll[2 * k + 1] = json_number_value(json_array_get(json_array_get(co, k), 1));
            }
            for (size_t k = 0; k + 1 < v->n; k++)
                v->len_m += seg_m(&v->ll[2 * k], &v->ll[2 * k + 2]);
            v->pos_m = fmod((double)i * 37.0, v->len_m > 1 ? v->len_m : 1), v->dir = 1;
            b->n_v++, booked++;
        }
        json_decref(a);
        http_resp_free(&r);
    }
    double book_s = (now_ms() - t0) / 1000;
    printf("appointments_booked: %zu\nappointments_failed: %zu\nappointments_per_s: %.0f\n", booked,
           failed, booked / (book_s > 0 ? book_s : 1));
    if (failed) printf("appointment_first_failure: %s\n", why);
    /* their entries */
    struct mosquitto *gm = connect_mqtt(b->mqtt_port, NULL);
    for (size_t s = 0; gm && s < b->n_v; s += 200) {
        char *buf = malloc(200 * 320 + 16);
        size_t o = 0;
        buf[o++] = '[';
        for (size_t i = s; i < b->n_v && i < s + 200; i++)
            o += (size_t)sprintf(buf + o,
                                 "%s{\"type\": \"gate_passage\", \"ts\": %lld, \"gate\": \"%s\", "
                                 "\"direction\": \"in\", \"plate\": \"%s\", \"hazard_class\": "
                                 "\"3\", \"un_number\": \"1203\", \"cargo\": \"gasoline\"}",
                                 i > s ? "," : "", (long long)now_ms(), b->gates[i % b->n_gates],
                                 b->v[i].plate);
        buf[o++] = ']';
        mosquitto_publish(gm, NULL, "park/PARK/gates/events", (int)o, buf, 1, false);
        free(buf);
    }
    sleep(2);
    /* the run */
    char sport[16], srate[16], ssecs[16];
    snprintf(sport, sizeof sport, "%d", b->mqtt_port);
    snprintf(srate, sizeof srate, "%d", rate);
    snprintf(ssecs, sizeof ssecs, "%d", seconds);
    char sim[PATH_MAX + 16];
    snprintf(sim, sizeof sim, "%s/parksim", bindir);
    char *sargv[] = {sim,   "--port",     sport, "--park",  layout, "--rate",
                     srate, "--duration", ssecs, "--quiet", NULL};
    if (rate > 0) spawn(P_SIM, sargv, simlog, NULL);
    b->cap_lat = 4096;
    b->lat_ms = calloc(b->cap_lat, sizeof *b->lat_ms);
    pthread_t ts_;
    pthread_create(&ts_, NULL, stream_main, b);
    usleep(300000); /* the stream open before the first tanker */
    double cpu0 = proc_cpu_s(g_pid[P_PARKD]);
    pthread_t tv, tb, ti, tl;
    pthread_create(&tv, NULL, vehicles_main, b);
    pthread_create(&tb, NULL, badges_main, b);
    pthread_create(&ti, NULL, intruders_main, b);
    pthread_create(&tl, NULL, layer_main, b);
    for (int s = 0; s < seconds && !g_signal; s++) sleep(1);
    atomic_store(&b->stop, true);
    pthread_join(tv, NULL);
    pthread_join(tb, NULL);
    pthread_join(ti, NULL);
    pthread_join(tl, NULL);
    sleep(2); /* the last alarms */
    atomic_store(&b->stream_stop, true);
    pthread_join(ts_, NULL);
    double cpu1 = proc_cpu_s(g_pid[P_PARKD]);
    /* the day of track, read back */
    double tr[20];
    size_t n_tr = 0, tr_points = 0;
    char path[512], *p = path;
    p += snprintf(path, sizeof path, "/api/v1/vehicles/");
    url_put(&p, path + sizeof path, TRACK_PLATE);
    snprintf(p, (size_t)(path + sizeof path - p), "/track?from=%lld&to=%lld",
             (long long)(t_day_end - DAY_S * 1000LL), (long long)t_day_end + 1);
    for (int i = 0; i < 20; i++) {
        http_resp r;
        double t1 = now_ms();
        if (http_request(b->api_port, "GET", path, b->token, NULL, NULL, 0, &r, 30000) != 0)
            continue;
        double dt = now_ms() - t1;
        if (r.status == 200) {
            tr[n_tr++] = dt;
            json_t *o = json_loadb(r.body, r.body_len, 0, NULL);
            tr_points = json_array_size(json_object_get(o, "track"));
            if (!tr_points) tr_points = json_array_size(json_object_get(o, "points"));
            json_decref(o);
        } else if (i == 0) {
            printf("track_error: %d %.200s\n", r.status, r.body ? r.body : "");
        }
        http_resp_free(&r);
    }
    http_resp r;
    json_t *sum = NULL;
    if (http_request(b->api_port, "GET", "/api/v1/closedpark/summary", b->token, NULL, NULL, 0, &r,
                     10000) == 0) {
        sum = json_loadb(r.body, r.body_len, 0, NULL);
        http_resp_free(&r);
    }
    printf("vehicles_driving: %zu\npositions_sent: %llu\npositions_per_s: %.0f\n", b->n_v,
           (unsigned long long)b->positions_sent, (double)b->positions_sent / seconds);
    printf("badges_sent: %llu\nbadges_per_min: %.0f\n", (unsigned long long)b->badges_sent,
           (double)b->badges_sent * 60 / seconds);
    printf("event_to_alarm_sent: %zu\nevent_to_alarm_received: %zu\n", b->raised_sent, b->n_lat);
    printf("event_to_alarm_p50_ms: %.1f\nevent_to_alarm_p99_ms: %.1f\n",
           pct(b->lat_ms, b->n_lat, 0.5), pct(b->lat_ms, b->n_lat, 0.99));
    printf("vehicle_layer_features: %zu\nvehicle_layer_requests: %zu\n", b->layer_features,
           b->n_layer);
    printf("vehicle_layer_p50_ms: %.1f\nvehicle_layer_p99_ms: %.1f\n",
           pct(b->layer_ms, b->n_layer, 0.5), pct(b->layer_ms, b->n_layer, 0.99));
    printf("vehicle_layer_no_track_p50_ms: %.1f\nvehicle_layer_no_track_p99_ms: %.1f\n",
           pct(b->plain_ms, b->n_plain, 0.5), pct(b->plain_ms, b->n_plain, 0.99));
    printf("track_day_points: %zu\ntrack_day_p50_ms: %.1f\ntrack_day_p99_ms: %.1f\n", tr_points,
           pct(tr, n_tr, 0.5), pct(tr, n_tr, 0.99));
    json_t *cnt = json_object_get(sum, "counters");
    const char *keys[] = {
        "positions", "rejected_jump",         "rejected_out_of_park",  "rejected_old",
        "badges",    "position_check_p50_us", "position_check_p99_us", "position_check_max_us",
        NULL};
    for (int k = 0; keys[k]; k++) {
        json_t *x = json_object_get(cnt, keys[k]);
        if (x) printf("closedpark_%s: %.0f\n", keys[k], json_number_value(x));
    }
    printf("parkd_cpu_s: %.1f\nparkd_cpu_percent: %.0f\n", cpu1 - cpu0,
           (cpu1 - cpu0) * 100 / seconds);
    json_decref(sum);
    if (gm) {
        mosquitto_disconnect(gm);
        mosquitto_loop_stop(gm, false);
        mosquitto_destroy(gm);
    }
    stop_proc(P_SIM, SIGTERM, 10);
    stop_proc(P_PARKD, SIGTERM, 60);
    stop_proc(P_BROKER, SIGTERM, 10);
    for (size_t i = 0; i < b->n_v; i++) free(b->v[i].ll);
    free(b->v), free(b->lat_ms), free(b->gates), free(b->zones), free(ents);
    if (!keep && !dir_arg) {
        char cmd[PATH_MAX + 16];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0) fprintf(stderr, "parkbench closedpark: could not remove %s\n", dir);
    }
    return 0;
}
