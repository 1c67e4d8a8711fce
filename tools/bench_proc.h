/*
 * bench_proc.h - the child processes of a parkbench run (mosquitto, parkd,
 * parksim, wrk...): started with their output in files, never outliving
 * parkbench, stopped with a timeout, all sent SIGTERM when parkbench is
 * interrupted; and the small helpers that read what they leave (files, the
 * numbers in their JSON). Header-only, for the bench_*.c files of
 * parkbench; the includer first defines BENCH_SLOTS, the number of its
 * process slots.
 */
#ifndef PARKWATCH_BENCH_PROC_H
#define PARKWATCH_BENCH_PROC_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile pid_t g_pid[BENCH_SLOTS];
static volatile sig_atomic_t g_signal;

static double mono(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* The whole file, NUL-terminated (the caller frees it); its length into
 * *len when len is not NULL. NULL if it cannot be read. */
static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    char *b = malloc(cap);
    for (size_t got; b && (got = fread(b + n, 1, cap - n - 1, f)) > 0;) {
        n += got;
        if (cap - n < 2) {
            char *nb = realloc(b, cap *= 2);
            if (!nb) free(b);
            b = nb;
        }
    }
    fclose(f);
    if (b) b[n] = 0;
    if (len) *len = n;
    return b;
}

/* The number after "key": (or "key": ) in text, last occurrence; NAN if none. */
static double json_num(const char *text, const char *key) {
    if (!text) return NAN;
    char pat[96];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = NULL;
    for (const char *q = text; (q = strstr(q, pat)); q++) p = q;
    if (!p) return NAN;
    p += strlen(pat);
    while (*p == ' ') p++;
    char *end;
    double v = strtod(p, &end);
    return end == p ? NAN : v;
}

static void on_signal(int sig) {
    g_signal = sig;
    for (int i = 0; i < BENCH_SLOTS; i++)
        if (g_pid[i] > 0) kill(g_pid[i], SIGTERM);
}

/* Starts argv (PATH searched) with stdout to out and stderr to err (err
 * NULL: to out); slot -1 for a child not in the table. */
static pid_t spawn(int slot, char *const argv[], const char *out, const char *err) {
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM); /* never outlive parkbench */
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGINT, SIG_DFL), signal(SIGTERM, SIG_DFL), signal(SIGPIPE, SIG_DFL);
        int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) dup2(fd, 1), close(fd);
        fd = err ? open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644) : dup(1);
        if (fd >= 0) dup2(fd, 2), close(fd);
        int nul = open("/dev/null", O_RDONLY);
        if (nul >= 0) dup2(nul, 0), close(nul);
        execvp(argv[0], argv);
        static const char msg[] = "parkbench: exec failed: ";
        if (write(2, msg, sizeof msg - 1) >= 0 && write(2, argv[0], strlen(argv[0])) >= 0)
            (void)!write(2, "\n", 1);
        _exit(127);
    }
    if (pid > 0 && slot >= 0) g_pid[slot] = pid;
    return pid;
}

/* Exit status (128 + signal when killed), or -1 while running when nohang. */
static int reap(int slot, pid_t pid, bool nohang) {
    int st = 0;
    pid_t r;
    do r = waitpid(pid, &st, nohang ? WNOHANG : 0);
    while (r < 0 && errno == EINTR);
    if (r == 0) return -1;
    if (slot >= 0) g_pid[slot] = 0;
    if (r < 0) return -2;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Waits up to timeout_s for the child, then SIGKILL. */
static int wait_for(int slot, pid_t pid, double timeout_s) {
    double until = mono() + timeout_s;
    for (;;) {
        int rc = reap(slot, pid, true);
        if (rc != -1) return rc;
        if (mono() > until) {
            kill(pid, SIGKILL);
            return reap(slot, pid, false);
        }
        struct timespec t = {0, 10 * 1000000L};
        nanosleep(&t, NULL);
    }
}

static int stop_proc(int slot, int sig, double timeout_s) {
    pid_t pid = g_pid[slot];
    if (pid <= 0) return 0;
    kill(pid, sig);
    return wait_for(slot, pid, timeout_s);
}

/* The directory of this executable (where parkd, parksim and parkctl are
 * built beside it) into buf: 0, or -1. */
static int bench_bindir(char *buf, size_t cap) {
    ssize_t n = readlink("/proc/self/exe", buf, cap - 1);
    if (n <= 0) return -1;
    buf[n] = 0;
    *strrchr(buf, '/') = 0;
    return 0;
}

static void nap_ms(long ms) {
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

/* SIGINT, SIGTERM and SIGHUP stop the children (on_signal); SIGPIPE is ignored. */
static void catch_signals(void) {
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* A TCP port of 127.0.0.1 free now (the kernel's choice), or -1. */
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

/* Whether something accepts connections on 127.0.0.1:port. */
static bool port_open(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    if (fd >= 0) close(fd);
    return ok;
}

/* A regulator token (reads the whole park) named name, made with
 * bindir/parkctl in data_dir's tokens.json (its output kept in dir): 0 and
 * the token in out, or -1 (said on stderr, prefixed by who). */
static int make_token(const char *bindir, const char *data_dir, const char *dir, const char *name,
                      char *out, size_t cap, const char *who) {
    char tokfile[PATH_MAX + 32], tokout[PATH_MAX + 32], tokerr[PATH_MAX + 32], ctl[PATH_MAX + 16];
    snprintf(tokfile, sizeof tokfile, "%s/tokens.json", data_dir);
    snprintf(tokout, sizeof tokout, "%s/token.out", dir);
    snprintf(tokerr, sizeof tokerr, "%s/token.err", dir);
    snprintf(ctl, sizeof ctl, "%s/parkctl", bindir);
    char *argv[] = {ctl,      "token",     "create", "--file",     tokfile,
                    "--role", "regulator", "--name", (char *)name, NULL};
    pid_t tp = spawn(-1, argv, tokout, tokerr);
    int trc = tp > 0 ? wait_for(-1, tp, 30) : -1;
    char *tok = slurp(tokout, NULL);
    if (trc != 0 || !tok || strlen(tok) < 8 || strlen(tok) >= cap) {
        char *e = slurp(tokerr, NULL);
        fprintf(stderr, "%s: parkctl token create failed: %s\n", who, e ? e : "");
        free(e), free(tok);
        return -1;
    }
    tok[strcspn(tok, "\r\n")] = 0;
    snprintf(out, cap, "%s", tok);
    free(tok);
    return 0;
}

/* mosquitto in slot: anonymous, on a free port of 127.0.0.1, no
 * persistence, no queue limit, set_tcp_nodelay (README, "Broker"); its
 * config and log in dir. Waits (5 s at most) until it accepts connections.
 * The port, or -1 (said on stderr, prefixed by who). */
static int start_broker(int slot, const char *dir, const char *who) {
    int port = free_port();
    char conf[PATH_MAX + 32], mlog[PATH_MAX + 32];
    snprintf(conf, sizeof conf, "%s/mosquitto.conf", dir);
    snprintf(mlog, sizeof mlog, "%s/mosquitto.log", dir);
    FILE *f = port > 0 ? fopen(conf, "w") : NULL;
    if (!f) {
        fprintf(stderr, "%s: no port or no %s for mosquitto\n", who, conf);
        return -1;
    }
    fprintf(f,
            "listener %d 127.0.0.1\nallow_anonymous true\npersistence false\n"
            "max_queued_messages 0\nmax_inflight_messages 1000\nset_tcp_nodelay true\n",
            port);
    fclose(f);
    char *argv[] = {"/usr/sbin/mosquitto", "-c", conf, NULL};
    spawn(slot, argv, mlog, NULL);
    for (int i = 0; i < 500 && !port_open(port) && !g_signal; i++) nap_ms(10);
    if (!port_open(port)) {
        fprintf(stderr, "%s: mosquitto did not start (see %s)\n", who, mlog);
        return -1;
    }
    return port;
}

/* Waits (tries times 10 ms at most) until parkd, started in slot, has
 * logged its API port ("api on port N") and says "connected": true in its
 * stats file. The API port, or -1 (it exited or did not get there: its log
 * on stderr, prefixed by who). */
static int wait_parkd(int slot, const char *log, const char *stats, int tries, const char *who) {
    int api_port = 0;
    bool connected = false;
    for (int i = 0; i < tries && !g_signal && (!api_port || !connected); i++) {
        char *lg = slurp(log, NULL);
        const char *p = lg ? strstr(lg, "api on port ") : NULL;
        if (p) api_port = atoi(p + 12);
        free(lg);
        char *st = slurp(stats, NULL);
        connected = st && strstr(st, "\"connected\": true");
        free(st);
        if (reap(slot, g_pid[slot], true) != -1) break;
        nap_ms(10);
    }
    if (api_port && connected) return api_port;
    char *lg = slurp(log, NULL);
    fprintf(stderr, "%s: parkd did not start: %s\n", who, lg ? lg : "");
    free(lg);
    return -1;
}

/* Appends s to *p (up to end), percent-encoding what a URL query cannot hold. */
static void url_put(char **p, char *end, const char *s) {
    static const char hex[] = "0123456789ABCDEF";
    for (; *s && *p + 4 < end; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            strchr("-._~/:", c)) {
            *(*p)++ = (char)c;
        } else {
            *(*p)++ = '%';
            *(*p)++ = hex[c >> 4];
            *(*p)++ = hex[c & 15];
        }
    }
    **p = 0;
}

#endif
