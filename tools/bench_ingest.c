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
#include <netinet/in.h>
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

#include "historian/historian.h"

int bench_ingest(int argc, char **argv);

static double mono(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void sleep_ms(int ms) {
    struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

static int free_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0) close(fd);
    return port;
}

static bool port_open(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    if (fd >= 0) close(fd);
    return ok;
}

static pid_t spawn(char *const argv[], const char *out) {
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) dup2(fd, 1), dup2(fd, 2), close(fd);
        execv(argv[0], argv);
        _exit(127);
    }
    return pid;
}

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) n = 0;
    if (b) b[n] = 0;
    fclose(f);
    return b;
}

/* A number after "key": in text (the last occurrence), or -1. */
static double json_num(const char *text, const char *key) {
    if (!text) return -1;
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\": ", key);
    const char *p = NULL, *q = text;
    while ((q = strstr(q, pat))) p = q++;
    return p ? atof(p + strlen(pat)) : -1;
}

static double file_num(const char *path, const char *key) {
    char *s = slurp(path);
    double v = json_num(s, key);
    free(s);
    return v;
}

static int stop(pid_t pid, int sig) {
    int st = 0;
    kill(pid, sig);
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int bench_ingest(int argc, char **argv) {
    int per_message = 100, seconds = 10;
    const char *format = "json", *ack = "write", *dir_arg = NULL;
    bool keep = false, backlog = false;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--per-message") && i + 1 < argc)
            per_message = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
            seconds = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--format") && i + 1 < argc)
            format = argv[++i];
        else if (!strcmp(argv[i], "--ack-after") && i + 1 < argc)
            ack = argv[++i];
        else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
            dir_arg = argv[++i];
        else if (!strcmp(argv[i], "--keep"))
            keep = true;
        else if (!strcmp(argv[i], "--backlog"))
            backlog = true;
        else {
            fprintf(stderr, "usage: parkbench ingest [--per-message N] [--seconds S] [--format "
                            "json|neuron|lineproto] [--ack-after write|fsync] [--dir DIR] "
                            "[--keep]\n");
            return 2;
        }
    }
    if (per_message < 1 || seconds < 1) return 2;
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
    int port = free_port();
    char conf[PATH_MAX + 64], pconf[PATH_MAX + 64], stats[PATH_MAX + 64], log[PATH_MAX + 64],
        simout[PATH_MAX + 64], data[PATH_MAX + 64];
    snprintf(conf, sizeof conf, "%s/mosquitto.conf", dir);
    snprintf(pconf, sizeof pconf, "%s/parkd.json", dir);
    snprintf(stats, sizeof stats, "%s/stats.json", dir);
    snprintf(log, sizeof log, "%s/parkd.log", dir);
    snprintf(simout, sizeof simout, "%s/parksim.out", dir);
    snprintf(data, sizeof data, "%s/data", dir);
    FILE *f = fopen(conf, "w");
    if (!f) return 1;
    fprintf(f,
            "listener %d 127.0.0.1\nallow_anonymous true\npersistence true\n"
            "persistence_location %s/\nmax_queued_messages 0\nmax_inflight_messages 1000\n",
            port, dir);
    fclose(f);
    f = fopen(pconf, "w");
    if (!f) return 1;
    fprintf(f,
            "{\"data_dir\": \"%s\", \"broker\": {\"port\": %d, \"client_id\": \"parkd-bench\"},"
            " \"ingest\": {\"ack_after\": \"%s\"}, \"enterprises\": [",
            data, port, ack);
    for (int e = 1; e <= 5; e++) fprintf(f, "{\"id\": \"E%03d\", \"interval_ms\": 1000}, ", e);
    fprintf(f, "{\"id\": \"PARK\"}]}\n");
    fclose(f);

    char mlog[PATH_MAX + 64];
    snprintf(mlog, sizeof mlog, "%s/mosquitto.log", dir);
    char *bargv[] = {"/usr/sbin/mosquitto", "-c", conf, NULL};
    pid_t broker = spawn(bargv, mlog);
    for (int i = 0; i < 500 && !port_open(port); i++) sleep_ms(10);
    char parkd_bin[PATH_MAX + 16], sim_bin[PATH_MAX + 16];
    snprintf(parkd_bin, sizeof parkd_bin, "%s/parkd", bindir);
    snprintf(sim_bin, sizeof sim_bin, "%s/parksim", bindir);
    char *pargv[] = {parkd_bin, "--config", pconf, "--stats-file", stats, NULL};
    pid_t parkd = spawn(pargv, log);
    for (int i = 0; i < 500; i++) {
        char *s = slurp(stats);
        bool up = s && strstr(s, "\"connected\": true");
        free(s);
        if (up) break;
        sleep_ms(10);
    }
    char pm[16], secs[16], sport[16];
    snprintf(pm, sizeof pm, "%d", per_message);
    snprintf(secs, sizeof secs, "%d", seconds);
    snprintf(sport, sizeof sport, "%d", port);
    /* Enough transmitters that every series gets readings a few ms apart. */
    char *sargv[] = {sim_bin,
                     "--port",
                     sport,
                     "--fast",
                     "--per-message",
                     pm,
                     "--format",
                     (char *)format,
                     "--duration",
                     secs,
                     "--tags-per-enterprise",
                     "2000",
                     "--quiet",
                     NULL};
    /* --backlog: parkd is down while parksim publishes (the broker queues for
     * its persistent session), then starts: the time is parkd's catch-up
     * alone, without the publisher on the same cores. */
    if (backlog) stop(parkd, SIGTERM);
    double t0 = mono();
    pid_t sim = spawn(sargv, simout);
    int st = 0;
    waitpid(sim, &st, 0);
    if (backlog) {
        unlink(stats);
        t0 = mono();
        parkd = spawn(pargv, log);
    }
    char *simtext = slurp(simout);
    double acked = json_num(simtext, "acked_readings"), published = json_num(simtext, "readings");
    double acked_msgs = json_num(simtext, "acked_messages");
    free(simtext);
    /* Wait until parkd has stored all that was acknowledged (or stops moving). */
    double t_end = mono(), last = -1, last_change = mono();
    for (;;) {
        double pts = file_num(stats, "points");
        if (pts >= acked && file_num(stats, "spool_backlog_bytes") == 0) {
            t_end = mono();
            break;
        }
        if (pts != last) last = pts, last_change = mono();
        if (mono() - last_change > 15) {
            t_end = last_change;
            break;
        }
        sleep_ms(20);
    }
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
    double secs_total = t_end - t0;
    double lost = acked - (double)hs.points;
    if (lost < 0) lost = 0;
    if (!keep) {
        char cmd[PATH_MAX + 32];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0) fprintf(stderr, "parkbench: could not remove %s\n", dir);
    }
    printf("{\"bench\": \"ingest\", \"mode\": \"%s\", \"per_message\": %d, \"format\": \"%s\", "
           "\"ack_after\": \"%s\", "
           "\"seconds\": %.2f, \"published_readings\": %.0f, \"acked_readings\": %.0f, "
           "\"stored_points\": %llu, \"points_per_s\": %.0f, \"messages_per_s\": %.0f, "
           "\"latency_p50_ms\": %.2f, \"latency_p99_ms\": %.2f, \"lost\": %.0f, "
           "\"parkd_exit\": %d}\n",
           backlog ? "backlog" : "live", per_message, format, ack, secs_total, published, acked,
           (unsigned long long)hs.points, hs.points / secs_total,
           (acked_msgs > 0 ? acked_msgs : msgs) / secs_total, p50, p99, lost, prc);
    return lost > 0 || prc != 0;
}
