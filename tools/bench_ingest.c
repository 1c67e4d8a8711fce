/*
 * bench_ingest.c - "parkbench ingest": the whole ingest path on this
 * machine. Starts mosquitto on a free loopback port, parkd, and parksim
 * --fast for a bounded time, waits until parkd has stored everything the
 * broker acknowledged, stops parkd and counts the points in the historian.
 *
 *   parkbench ingest [--per-message N=100] [--seconds S=10] [--format json|neuron|lineproto]
 *                    [--ack-after write|fsync] [--dir DIR] [--keep]
 *
 * Last line: {"per_message", "points_per_s", "messages_per_s",
 * "latency_p50_ms", "latency_p99_ms", "lost", ...}. points_per_s is points
 * stored divided by the time from parksim's start until parkd had stored
 * them all; latency is from a reading's timestamp (parksim stamps readings
 * as it publishes them) to the commit that made it durable in the
 * historian; lost is readings the broker acknowledged to parksim that are
 * not in the historian.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <mosquitto.h>
#include <pwd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/kit/proc.h"
#include "historian/historian.h"

int bench_ingest(int argc, char **argv);

/* A number after "key": in text (the last occurrence), or -1. */
static double json_num(const char *text, const char *key) {
    double v = pw_json_num(text, key);
    return isnan(v) ? -1 : v;
}

static double file_num(const char *path, const char *key) {
    char *s = pw_read_file(path, NULL);
    double v = json_num(s, key);
    free(s);
    return v;
}

static pid_t spawn(char *const argv[], const char *out) {
    pw_spawn_opts o = {.out = out, .kill_at_exit = true};
    return pw_spawn(argv, &o);
}

/* Sends sig and waits (5 minutes at most: a big backlog is flushed first,
 * then SIGKILL); the exit status, or -1. */
static int stop(pid_t pid, int sig) {
    int st = 0;
    if (pw_proc_stop(pid, sig, 300, &st) < 0) return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

typedef struct run_opts {
    int per_message, seconds;
    const char *format, *ack, *dir_arg;
    bool keep, backlog;
    bool tcp;        /* parkd on the broker's TCP port, as a remote one, not its socket */
    int alarm_rules; /* never-firing high rules over the fast series, plus spike rules */
    int rate_hz;     /* 0: --fast; else realtime at this rate per tag */
    /* > 0: the demo park at this scale (parkgen's layout) played by parksim
     * --park, parkd given the layout (layout_rules: and the rules derived
     * from it, every tank, pipeline, detector and station; else none) */
    int scale;
    bool layout_rules;
} run_opts;

#include "tools/park_format.h"
char *park_layout_geojson_fmt(int scale, uint64_t seed, int fmt); /* layout_gen.c */

typedef struct run_result {
    double seconds, published, acked, msgs, p50, p99, lost, points_per_s, messages_per_s;
    double caught_up_s; /* from the publisher's end until all it published was stored */
    double parkd_cpu_s; /* parkd's user + system time over the run */
    unsigned long long stored;
    int parkd_exit;
    double alarm_lat[256]; /* publish -> notification received, ms */
    int n_alarm_lat;
    /* the spike's reading seen by a subscriber of the broker -> its
     * notification seen by the same subscriber, ms: parkd's own share */
    double parkd_lat[256];
    int n_parkd_lat;
    /* publish -> the event on parkd's alarm stream (GET /api/v1/alarms/stream,
     * what the command centre's page reads), ms: no broker on the way out */
    double stream_lat[256];
    int n_stream_lat;
} run_result;

typedef struct alarm_listen {
    pthread_mutex_t mu;
    run_result *r;
    const char *only; /* count only notifications holding this text; NULL: all */
    /* the spikes' readings as the broker passed them on: their stamp and
     * when they were seen */
    struct {
        double ts, seen;
    } spike[64];
    int n_spike;
} alarm_listen;

static double wall_now_ms(void) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (double)now.tv_sec * 1e3 + now.tv_nsec / 1e6;
}

/* A spike's reading (line protocol: "lel,enterprise=E001,device=gd-01
 * value=150.0 <ts>") as the broker passes it to any subscriber. */
static void on_spike_reading(alarm_listen *l, const struct mosquitto_message *msg, double now) {
    static const char mark[] = ",device=gd-01 value=150";
    const char *p = msg->payload;
    size_t n = (size_t)msg->payloadlen, k = sizeof mark - 1;
    for (size_t i = 0; i + k < n; i++) {
        if (memcmp(p + i, mark, k)) continue;
        double ts = 0;
        size_t j = i + k;
        while (j < n && p[j] != ' ') j++; /* the value's decimals */
        for (j++; j < n && p[j] >= '0' && p[j] <= '9'; j++) ts = ts * 10 + (p[j] - '0');
        pthread_mutex_lock(&l->mu);
        if (l->n_spike < 64) l->spike[l->n_spike].ts = ts, l->spike[l->n_spike++].seen = now;
        pthread_mutex_unlock(&l->mu);
        return;
    }
}

static void on_alarm(struct mosquitto *m, void *obj, const struct mosquitto_message *msg) {
    (void)m;
    alarm_listen *l = obj;
    double now = wall_now_ms();
    if (strncmp(msg->topic, "park/alarms/", 12)) {
        on_spike_reading(l, msg, now);
        return;
    }
    char buf[1024];
    snprintf(buf, sizeof buf, "%.*s", msg->payloadlen, (const char *)msg->payload);
    const char *ts = strstr(buf, "\"ts_ms\":");
    if (!ts || (l->only && !strstr(buf, l->only))) return;
    double t = atof(ts + 8);
    pthread_mutex_lock(&l->mu);
    if (l->r->n_alarm_lat < 256) l->r->alarm_lat[l->r->n_alarm_lat++] = now - t;
    for (int i = 0; i < l->n_spike; i++)
        if (l->spike[i].ts == t && l->r->n_parkd_lat < 256)
            l->r->parkd_lat[l->r->n_parkd_lat++] = now - l->spike[i].seen;
    pthread_mutex_unlock(&l->mu);
}

/* The alarm stream read as a client of parkd's API would: one thread, a
 * blocking socket, SSE lines; each range alarm's event timed on arrival. */
typedef struct stream_listen {
    int fd;
    pthread_mutex_t *mu;
    run_result *r;
} stream_listen;

static void *stream_main(void *arg) {
    stream_listen *l = arg;
    char buf[65536];
    size_t n = 0;
    for (;;) {
        ssize_t k = read(l->fd, buf + n, sizeof buf - 1 - n);
        if (k <= 0) break;
        double now = wall_now_ms();
        n += (size_t)k;
        buf[n] = 0;
        char *line = buf, *nl;
        while ((nl = strchr(line, '\n'))) {
            *nl = 0;
            const char *ts = strstr(line, "\"ts_ms\":");
            if (!strncmp(line, "data: ", 6) && ts && strstr(line, "\"kind\":\"range\"")) {
                pthread_mutex_lock(l->mu);
                if (l->r->n_stream_lat < 256)
                    l->r->stream_lat[l->r->n_stream_lat++] = now - atof(ts + 8);
                pthread_mutex_unlock(l->mu);
            }
            line = nl + 1;
        }
        n -= (size_t)(line - buf);
        memmove(buf, line, n);
        if (n == sizeof buf - 1) n = 0; /* a line longer than the buffer: dropped */
    }
    return NULL;
}

/* Opens GET /api/v1/alarms/stream on 127.0.0.1:port; the socket, or -1. */
static int open_alarm_stream(int port, const char *token) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        if (fd >= 0) close(fd);
        return -1;
    }
    char req[512];
    int len = snprintf(req, sizeof req,
                       "GET /api/v1/alarms/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                       "Authorization: Bearer %s\r\nAccept: text/event-stream\r\n\r\n",
                       token);
    if (write(fd, req, (size_t)len) != len) {
        close(fd);
        return -1;
    }
    return fd;
}

/* A process's user + system CPU seconds so far (/proc/PID/stat), or -1. */
static double proc_cpu_s(pid_t pid) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    char *s = pw_read_file(path, NULL);
    const char *p = s ? strrchr(s, ')') : NULL; /* the name may hold spaces */
    unsigned long long ut = 0, st = 0;
    /* after the name: state and 10 fields, then utime and stime */
    int got =
        p ? sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) : 0;
    free(s);
    return got == 2 ? (double)(ut + st) / (double)sysconf(_SC_CLK_TCK) : -1;
}

static int run_ingest(const run_opts *o, run_result *r) {
    memset(r, 0, sizeof *r);
    const int per_message = o->per_message, seconds = o->seconds;
    const char *format = o->format, *ack = o->ack, *dir_arg = o->dir_arg;
    const bool keep = o->keep, backlog = o->backlog;
    char bindir[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", bindir, sizeof bindir - 1);
    if (n <= 0) return 1;
    bindir[n] = 0;
    *strrchr(bindir, '/') = 0;
    char dir[PATH_MAX];
    if (dir_arg)
        snprintf(dir, sizeof dir, "%s", dir_arg);
    else
        snprintf(dir, sizeof dir, "/tmp/parkbench-ingest.%d", (int)getpid());
    mkdir(dir, 0755);
    int port = pw_free_port();
    char conf[PATH_MAX + 64], pconf[PATH_MAX + 64], stats[PATH_MAX + 64], log[PATH_MAX + 64],
        simout[PATH_MAX + 64], data[PATH_MAX + 64];
    snprintf(conf, sizeof conf, "%s/mosquitto.conf", dir);
    snprintf(pconf, sizeof pconf, "%s/parkd.json", dir);
    snprintf(stats, sizeof stats, "%s/stats.json", dir);
    snprintf(log, sizeof log, "%s/parkd.log", dir);
    snprintf(simout, sizeof simout, "%s/parksim.out", dir);
    snprintf(data, sizeof data, "%s/data", dir);
    /* The broker drops root for its own user: its persistence file and
     * socket go in a directory of that user's. */
    char bdir[PATH_MAX + 16];
    snprintf(bdir, sizeof bdir, "%s/broker", dir);
    mkdir(bdir, 0755);
    struct passwd *pw = geteuid() == 0 ? getpwnam("mosquitto") : NULL;
    if (pw && chown(bdir, pw->pw_uid, pw->pw_gid) != 0) perror("parkbench: chown broker dir");
    /* parksim's enterprises connect over TCP as remote ones would; parkd,
     * on the broker's machine, over its unix socket (README, "Broker"). */
    FILE *f = fopen(conf, "w");
    if (!f) return 1;
    fprintf(f,
            "listener %d 127.0.0.1\nlistener 0 %s/mqtt.sock\nallow_anonymous true\n"
            "persistence true\npersistence_location %s/\nmax_queued_messages 0\n"
            "max_inflight_messages 1000\nset_tcp_nodelay true\n",
            port, bdir, bdir);
    fclose(f);
    f = fopen(pconf, "w");
    if (!f) return 1;
    char host[PATH_MAX + 32] = "127.0.0.1";
    if (!o->tcp) snprintf(host, sizeof host, "%s/mqtt.sock", bdir);
    /* the live run with the layout's rules: the API too, for its alarm stream */
    fputs("{", f);
    bool api = o->layout_rules && o->rate_hz;
    int api_port = api ? pw_free_port() : 0;
    char token[128] = "";
    if (api) {
        char tokens[PATH_MAX + 64], tokout[PATH_MAX + 64], ctl[PATH_MAX + 16];
        snprintf(tokens, sizeof tokens, "%s/tokens.json", dir);
        snprintf(tokout, sizeof tokout, "%s/token.txt", dir);
        snprintf(ctl, sizeof ctl, "%s/parkctl", bindir);
        char *targv[] = {ctl,      "token",     "create", "--file", tokens,
                         "--role", "regulator", "--name", "bench",  NULL};
        pw_spawn_opts so = {.out = tokout, .err = "/dev/null"};
        int tst = 0;
        pid_t tp = pw_spawn(targv, &so);
        char *t = tp > 0 && pw_proc_wait(tp, 30, &tst) == 0 ? pw_read_file(tokout, NULL) : NULL;
        if (t) sscanf(t, "%127s", token);
        free(t);
        fprintf(f, "\"api\": {\"listen\": \"127.0.0.1:%d\", \"token_file\": \"%s\"},\n", api_port,
                tokens);
    }
    fprintf(f,
            "\"data_dir\": \"%s\", \"broker\": {\"host\": \"%s\", \"port\": %d, "
            "\"client_id\": \"parkd-bench\"},"
            " \"ingest\": {\"ack_after\": \"%s\"}, \"enterprises\": [",
            data, host, port, ack);
    int n_ents = o->scale > 0 ? 30 * o->scale : 5;
    for (int e = 1; e <= n_ents; e++) fprintf(f, "{\"id\": \"E%03d\", \"interval_ms\": 1000}, ", e);
    fprintf(f, "{\"id\": \"PARK\"}]");
    char layout[PATH_MAX + 64];
    snprintf(layout, sizeof layout, "%s/layout.geojson", dir);
    if (o->scale > 0) {
        /* the layout names each series as the format stores it
         * (line protocol: "lel.value") */
        char *js = park_layout_geojson_fmt(o->scale, 1, park_format_parse(format));
        FILE *lf = js ? fopen(layout, "w") : NULL;
        if (!lf || fputs(js, lf) < 0) {
            fprintf(stderr, "parkbench: cannot write %s\n", layout);
            free(js);
            if (lf) fclose(lf);
            fclose(f);
            return 1;
        }
        fclose(lf);
        free(js);
        /* Without the rules: the same layout and series (registered with
         * their units at start), no alarm on any of them (alarms.derive
         * false): what ingest costs without alerting. */
        fprintf(f, ",\n \"layout\": {\"files\": [\"%s\"]}", layout);
        if (!o->layout_rules) fprintf(f, ",\n \"alarms\": {\"derive\": false}");
    }
    if (o->alarm_rules > 0) {
        /* Rules that never fire on parksim's generic transmitters (their
         * evaluation is the cost measured), and pipeline pressure rules that
         * the spikes below trip. */
        fprintf(f, ",\n \"alarms\": {\"rules\": [");
        for (int e = 1; e <= 5; e++)
            fprintf(f,
                    "%s{\"series\": \"E%03d/pipeline-1/PT01.pressure\", \"kind\": \"high\", "
                    "\"limit\": 5, \"priority\": 1}",
                    e > 1 ? "," : "", e);
        for (int k = 0; k < o->alarm_rules; k++) {
            int e = 1 + k / 2000, dv = 1 + (k % 2000) / 100, j = k % 100;
            fprintf(f,
                    ",\n{\"series\": \"E%03d/tx-%02d/AI%04d\", \"kind\": \"high\", "
                    "\"limit\": 1e9, \"deadband\": 1}",
                    e, dv, (dv - 1) * 100 + j);
        }
        fprintf(f, "]}");
    }
    fprintf(f, "}\n");
    fclose(f);

    char mlog[PATH_MAX + 64];
    snprintf(mlog, sizeof mlog, "%s/mosquitto.log", dir);
    char *bargv[] = {"/usr/sbin/mosquitto", "-c", conf, NULL};
    pid_t broker = spawn(bargv, mlog);
    for (int i = 0; i < 500 && !pw_port_open(port); i++) pw_sleep_ms(10);
    char parkd_bin[PATH_MAX + 16], sim_bin[PATH_MAX + 16];
    snprintf(parkd_bin, sizeof parkd_bin, "%s/parkd", bindir);
    snprintf(sim_bin, sizeof sim_bin, "%s/parksim", bindir);
    char *pargv[] = {parkd_bin, "--config", pconf, "--stats-file", stats, NULL};
    pid_t parkd = spawn(pargv, log);
    for (int i = 0; i < 500; i++) {
        char *s = pw_read_file(stats, NULL);
        bool up = s && strstr(s, "\"connected\": true");
        free(s);
        if (up) break;
        pw_sleep_ms(10);
    }
    char pm[16], secs[16], sport[16], rate[16];
    snprintf(pm, sizeof pm, "%d", per_message);
    snprintf(secs, sizeof secs, "%d", seconds);
    snprintf(sport, sizeof sport, "%d", port);
    snprintf(rate, sizeof rate, "%d", o->rate_hz);
    /* Enough transmitters that every series gets readings a few ms apart. */
    char *sargv[128] = {
        sim_bin,        "--port",     sport, "--per-message",         pm,     "--format",
        (char *)format, "--duration", secs,  "--tags-per-enterprise", "2000", "--quiet"};
    int sa = 12;
    if (o->scale > 0) {  /* the layout's own series, nothing more */
        sargv[10] = "0"; /* --tags-per-enterprise 0 */
        sargv[sa++] = "--park";
        sargv[sa++] = layout;
    }
    char spikes[48][96];
    if (o->rate_hz) {
        sargv[sa++] = "--rate";
        sargv[sa++] = rate;
        /* Spikes of half a second on each enterprise's pipeline pressure,
         * every 1.2 s per enterprise, staggered by 0.24 s across the five:
         * each is raised and cleared, so a run gives some fifty samples. */
        int n_spikes = 0;
        /* With the derived rules: a detector reading beyond its physical
         * range (150 %LEL) for half a second, its range alarm raised with
         * no delay, each on another enterprise. */
        for (int m = 0; o->scale > 0 && o->layout_rules && n_spikes < 48; m++) {
            double first = 2 + m * 0.5;
            if (first + 1.5 >= seconds) break;
            /* combustible detectors (gd-01 of E003, E006, E011, ... is toxic:
             * chlorine, ammonia plants) */
            static const int comb[] = {1, 2, 4, 5, 7, 8, 9, 10, 12, 13};
            snprintf(spikes[n_spikes], sizeof spikes[0],
                     "spike:E%03d:gd-01:lel:at=%.2f:value=150:for=0.5", comb[m % 10], first);
            sargv[sa++] = "--incident";
            sargv[sa++] = spikes[n_spikes++];
        }
        for (int m = 0; o->scale <= 0 && o->alarm_rules && n_spikes < 48; m++) {
            double first = 2 + m * 1.2;
            if (first + 1.5 >= seconds) break;
            for (int e = 0; e < 5 && n_spikes < 48; e++) {
                snprintf(spikes[n_spikes], sizeof spikes[0],
                         "spike:E%03d:pipeline-1:PT01.pressure:at=%.2f:value=9.9:for=0.5", e + 1,
                         first + e * 0.24);
                sargv[sa++] = "--incident";
                sargv[sa++] = spikes[n_spikes++];
            }
        }
    } else {
        sargv[sa++] = "--fast";
    }
    sargv[sa] = NULL;
    /* Notifications, timed as a subscriber sees them. */
    /* with the layout's rules: the spikes' range alarms only (stale
     * alarms of series not yet heard from are timed by the tick, not by a
     * reading) */
    alarm_listen listen = {.r = r, .only = o->scale > 0 ? "\"kind\":\"range\"" : NULL};
    pthread_mutex_init(&listen.mu, NULL);
    struct mosquitto *sub = NULL;
    if (o->alarm_rules || o->layout_rules) {
        mosquitto_lib_init();
        sub = mosquitto_new(NULL, true, &listen);
        if (sub) {
            mosquitto_message_callback_set(sub, on_alarm);
            if (mosquitto_connect(sub, "127.0.0.1", port, 30) == MOSQ_ERR_SUCCESS) {
                mosquitto_subscribe(sub, NULL, "park/alarms/#", 0);
                /* the spiking enterprises' readings, to split the latency */
                for (int e = 1; o->layout_rules && e <= 13; e++) {
                    char t[32];
                    snprintf(t, sizeof t, "park/E%03d/#", e);
                    mosquitto_subscribe(sub, NULL, t, 0);
                }
                mosquitto_loop_start(sub);
            }
        }
    }
    /* --backlog: parkd is down while parksim publishes (the broker queues for
     * its persistent session), then starts: the time is parkd's catch-up
     * alone, without the publisher on the same cores. */
    pthread_t stream_thread;
    stream_listen sl = {.fd = -1, .mu = &listen.mu, .r = r};
    for (int i = 0; api && token[0] && i < 500 && sl.fd < 0; i++) {
        sl.fd = open_alarm_stream(api_port, token);
        if (sl.fd < 0) pw_sleep_ms(10);
    }
    bool streaming = sl.fd >= 0 && pthread_create(&stream_thread, NULL, stream_main, &sl) == 0;
    if (backlog) stop(parkd, SIGTERM);
    double cpu0 = proc_cpu_s(parkd); /* its start (the rules derived) is not the run's */
    double t0 = pw_mono_s();
    pid_t sim = spawn(sargv, simout);
    int st = 0;
    pw_proc_wait(sim, seconds + 300, &st); /* parksim ends by itself after --seconds */
    if (backlog) {
        unlink(stats);
        t0 = pw_mono_s();
        parkd = spawn(pargv, log);
    }
    char *simtext = pw_read_file(simout, NULL);
    double acked = json_num(simtext, "acked_readings"), published = json_num(simtext, "readings");
    double acked_msgs = json_num(simtext, "acked_messages");
    free(simtext);
    /* Wait until parkd has stored all that was acknowledged (or stops moving). */
    double t_end = pw_mono_s(), last = -1, last_change = pw_mono_s(), t_sim_end = pw_mono_s();
    for (;;) {
        double pts = file_num(stats, "points");
        if (pts >= acked && file_num(stats, "spool_backlog_bytes") == 0) {
            t_end = pw_mono_s();
            break;
        }
        if (pts != last) last = pts, last_change = pw_mono_s();
        if (pw_mono_s() - last_change > 15) {
            t_end = last_change;
            break;
        }
        pw_sleep_ms(20);
    }
    if (sub) {
        pw_sleep_ms(200);
        mosquitto_disconnect(sub);
        mosquitto_loop_stop(sub, false);
        mosquitto_destroy(sub);
        mosquitto_lib_cleanup();
    }
    if (streaming) {
        shutdown(sl.fd, SHUT_RDWR);
        pthread_join(stream_thread, NULL);
    }
    if (sl.fd >= 0) close(sl.fd);
    r->parkd_cpu_s = proc_cpu_s(parkd) - cpu0; /* before its shutdown's flush */
    int prc = stop(parkd, SIGTERM);
    double p50 = file_num(stats, "latency_p50_ms"), p99 = file_num(stats, "latency_p99_ms");
    double msgs = file_num(stats, "messages");
    stop(broker, SIGTERM);
    char hdir[PATH_MAX + 80];
    snprintf(hdir, sizeof hdir, "%s/historian", data);
    hist *h;
    hist_error err;
    hist_stats hs = {0};
    if (hist_open(hdir, NULL, &h, &err) != HIST_OK || hist_get_stats(h, &hs, &err) != HIST_OK) {
        fprintf(stderr, "parkbench: historian: %s\n", err.msg);
        return 1;
    }
    hist_close(h, &err);

    double lost = acked - (double)hs.points;
    if (lost < 0) lost = 0;
    if (!keep) {
        char cmd[PATH_MAX + 32];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0) fprintf(stderr, "parkbench: could not remove %s\n", dir);
    }
    r->seconds = t_end - t0;
    r->caught_up_s = t_end > t_sim_end ? t_end - t_sim_end : 0;
    r->published = published, r->acked = acked, r->msgs = msgs, r->p50 = p50, r->p99 = p99;
    r->lost = lost, r->stored = (unsigned long long)hs.points, r->parkd_exit = prc;
    r->points_per_s = hs.points / r->seconds;
    r->messages_per_s = (acked_msgs > 0 ? acked_msgs : msgs) / r->seconds;
    return 0;
}

int bench_ingest(int argc, char **argv) {
    run_opts o = {.per_message = 100, .seconds = 10, .format = "json", .ack = "write"};
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--per-message") && i + 1 < argc)
            o.per_message = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
            o.seconds = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--format") && i + 1 < argc)
            o.format = argv[++i];
        else if (!strcmp(argv[i], "--ack-after") && i + 1 < argc)
            o.ack = argv[++i];
        else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
            o.dir_arg = argv[++i];
        else if (!strcmp(argv[i], "--keep"))
            o.keep = true;
        else if (!strcmp(argv[i], "--backlog"))
            o.backlog = true;
        else if (!strcmp(argv[i], "--tcp"))
            o.tcp = true;
        else {
            fprintf(stderr, "usage: parkbench ingest [--per-message N] [--seconds S] [--format "
                            "json|neuron|lineproto] [--ack-after write|fsync] [--backlog] [--tcp] "
                            "[--dir DIR] [--keep]\n");
            return 2;
        }
    }
    if (o.per_message < 1 || o.seconds < 1) return 2;
    run_result r;
    if (run_ingest(&o, &r) != 0) return 1;
    printf("{\"bench\": \"ingest\", \"mode\": \"%s\", \"per_message\": %d, \"format\": \"%s\", "
           "\"ack_after\": \"%s\", \"seconds\": %.2f, \"published_readings\": %.0f, "
           "\"acked_readings\": %.0f, \"stored_points\": %llu, \"points_per_s\": %.0f, "
           "\"messages_per_s\": %.0f, \"latency_p50_ms\": %.2f, \"latency_p99_ms\": %.2f, "
           "\"lost\": %.0f, \"parkd_exit\": %d}\n",
           o.backlog ? "backlog" : "live", o.per_message, o.format, o.ack, r.seconds, r.published,
           r.acked, r.stored, r.points_per_s, r.messages_per_s, r.p50, r.p99, r.lost, r.parkd_exit);
    return r.lost > 0 || r.parkd_exit != 0;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* parkbench alarms: the cost of 10,000 rules on the ingest rate (--fast,
 * with and without them) and, at 200,000 points/s in realtime, the time
 * from a reading's publication to its alarm notification leaving parkd and
 * reaching a subscriber (pipeline pressure spikes on five enterprises). */
/* The derived rules of a park scale times the demo's: every tank,
 * pipeline, detector and station watched. */
static int bench_alarms_layout(int scale, int seconds, int rate, int repeat, bool tcp,
                               const char *dir, bool keep) {
    /* line protocol packs an enterprise's readings across its devices: the
     * park's few readings a device would otherwise be a message each */
    run_opts o = {.per_message = 1000,
                  .seconds = seconds,
                  .format = "lineproto",
                  .ack = "write",
                  .tcp = tcp,
                  .scale = scale,
                  .keep = keep};
    /* Each run in a directory of its own (with --dir, under it): a run
     * must not find the last one's historian. */
    char sub[PATH_MAX];
    run_result base, with, live;
    /* The two fast runs alternate, repeat times each, and the medians are
     * compared: on two cores shared with the broker and the publisher,
     * one pair differs by ±10 % from run to run whatever the rules. */
    double fast_without[16], fast_with[16], cpu_without[16], cpu_with[16];
    for (int i = 0; i < repeat; i++) {
        o.layout_rules = false;
        if (dir) snprintf(sub, sizeof sub, "%s/without-%d", dir, i), o.dir_arg = sub;
        if (run_ingest(&o, &base) != 0) return 1;
        fast_without[i] = base.points_per_s;
        cpu_without[i] = base.parkd_cpu_s * 1e6 / (double)base.stored;
        o.layout_rules = true;
        if (dir) snprintf(sub, sizeof sub, "%s/with-%d", dir, i), o.dir_arg = sub;
        if (run_ingest(&o, &with) != 0) return 1;
        fast_with[i] = with.points_per_s;
        cpu_with[i] = with.parkd_cpu_s * 1e6 / (double)with.stored;
    }
    /* parkd's CPU per point stored: what the rules cost it, free of how
     * the two cores were shared with the broker and the publisher */
    qsort(cpu_without, (size_t)repeat, sizeof(double), cmp_double);
    qsort(cpu_with, (size_t)repeat, sizeof(double), cmp_double);
    double us_without = cpu_without[repeat / 2], us_with = cpu_with[repeat / 2];
    qsort(fast_without, (size_t)repeat, sizeof(double), cmp_double);
    qsort(fast_with, (size_t)repeat, sizeof(double), cmp_double);
    base.points_per_s = fast_without[repeat / 2], with.points_per_s = fast_with[repeat / 2];
    o.rate_hz = rate;
    o.per_message = 1000000; /* one message per enterprise and tick */
    if (dir) snprintf(sub, sizeof sub, "%s/live", dir), o.dir_arg = sub;
    if (run_ingest(&o, &live) != 0) return 1;
    qsort(live.alarm_lat, (size_t)live.n_alarm_lat, sizeof(double), cmp_double);
    double p50 = live.n_alarm_lat ? live.alarm_lat[live.n_alarm_lat / 2] : -1;
    double p99 = live.n_alarm_lat ? live.alarm_lat[(live.n_alarm_lat * 99) / 100] : -1;
    qsort(live.parkd_lat, (size_t)live.n_parkd_lat, sizeof(double), cmp_double);
    double k50 = live.n_parkd_lat ? live.parkd_lat[live.n_parkd_lat / 2] : -1;
    double k99 = live.n_parkd_lat ? live.parkd_lat[(live.n_parkd_lat * 99) / 100] : -1;
    qsort(live.stream_lat, (size_t)live.n_stream_lat, sizeof(double), cmp_double);
    double s50 = live.n_stream_lat ? live.stream_lat[live.n_stream_lat / 2] : -1;
    double s99 = live.n_stream_lat ? live.stream_lat[(live.n_stream_lat * 99) / 100] : -1;
    printf("{\"bench\": \"alarms\", \"scale\": %d, \"rules\": \"derived from the layout\", "
           "\"rate_hz\": %d, \"offered_points_per_s\": %.0f, \"caught_up_s\": %.2f, "
           "\"notifications\": %d, \"latency_p50_ms\": %.2f, \"latency_p99_ms\": %.2f, "
           "\"broker_to_notification_p50_ms\": %.2f, \"broker_to_notification_p99_ms\": %.2f, "
           "\"stream_events\": %d, \"stream_latency_p50_ms\": %.2f, "
           "\"stream_latency_p99_ms\": %.2f, \"fast_points_per_s_without\": %.0f, "
           "\"fast_points_per_s_with\": %.0f, "
           "\"ingest_slowdown_pct\": %.1f, \"parkd_cpu_us_per_point_without\": %.3f, "
           "\"parkd_cpu_us_per_point_with\": %.3f, \"parkd_cpu_increase_pct\": %.1f, "
           "\"repeat\": %d, \"lost\": %.0f}\n",
           scale, rate, live.published / seconds, live.caught_up_s, live.n_alarm_lat, p50, p99, k50,
           k99, live.n_stream_lat, s50, s99, base.points_per_s, with.points_per_s,
           100.0 * (base.points_per_s - with.points_per_s) / base.points_per_s, us_without, us_with,
           100.0 * (us_with - us_without) / us_without, repeat, base.lost + with.lost + live.lost);
    return 0;
}

int bench_alarms(int argc, char **argv) {
    int rules = 10000, seconds = 10, scale = 0, rate = 8, repeat = 1;
    bool tcp = false, keep = false;
    const char *dir = NULL;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--tcp"))
            tcp = true;
        else if (!strcmp(argv[i], "--rules") && i + 1 < argc)
            rules = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
            seconds = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--scale") && i + 1 < argc)
            scale = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--rate") && i + 1 < argc)
            rate = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--repeat") && i + 1 < argc)
            repeat = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
            dir = argv[++i];
        else if (!strcmp(argv[i], "--keep"))
            keep = true;
        else {
            fprintf(
                stderr,
                "usage: parkbench alarms [--rules N] [--seconds S] [--tcp]\n"
                "       parkbench alarms --scale N [--rate HZ] [--repeat K] [--seconds S] [--tcp] "
                "[--dir D] [--keep]\n");
            return 2;
        }
    }
    if (seconds < 1 || rate < 1 || scale < 0 || scale > 100 || repeat < 1 || repeat > 16) return 2;
    if (scale > 0) return bench_alarms_layout(scale, seconds, rate, repeat, tcp, dir, keep);
    run_opts o = {
        .per_message = 100, .seconds = seconds, .format = "json", .ack = "write", .tcp = tcp};
    run_result base, with, live;
    if (run_ingest(&o, &base) != 0) return 1;
    o.alarm_rules = rules;
    if (run_ingest(&o, &with) != 0) return 1;
    o.rate_hz = 20;          /* 20 Hz on ~10,000 tags: 200,000 points/s */
    o.per_message = 1000000; /* one message per device and tick */
    if (run_ingest(&o, &live) != 0) return 1;
    qsort(live.alarm_lat, (size_t)live.n_alarm_lat, sizeof(double), cmp_double);
    double p50 = live.n_alarm_lat ? live.alarm_lat[live.n_alarm_lat / 2] : -1;
    double p99 = live.n_alarm_lat ? live.alarm_lat[(live.n_alarm_lat * 99) / 100] : -1;
    printf("{\"bench\": \"alarms\", \"rules\": %d, \"points_per_s\": %.0f, "
           "\"notifications\": %d, \"latency_p50_ms\": %.2f, \"latency_p99_ms\": %.2f, "
           "\"fast_points_per_s_without\": %.0f, \"fast_points_per_s_with\": %.0f, "
           "\"ingest_slowdown_pct\": %.1f, \"lost\": %.0f}\n",
           rules + 5, live.points_per_s, live.n_alarm_lat, p50, p99, base.points_per_s,
           with.points_per_s, 100.0 * (base.points_per_s - with.points_per_s) / base.points_per_s,
           base.lost + with.lost + live.lost);
    return 0;
}
