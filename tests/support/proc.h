/*
 * proc.h - running the real programs in integration tests: a mosquitto
 * broker on a free loopback port, parkd, parksim. Header-only; every
 * process started here is killed by proc_cleanup (also registered atexit)
 * so a failing test leaves nothing running.
 */
#ifndef PARKWATCH_TEST_PROC_H
#define PARKWATCH_TEST_PROC_H

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

#define PROC_MAX 32
static pid_t proc_pids[PROC_MAX];

static inline void proc_cleanup(void) {
    for (int i = 0; i < PROC_MAX; i++)
        if (proc_pids[i] > 0) {
            kill(proc_pids[i], SIGKILL);
            waitpid(proc_pids[i], NULL, 0);
            proc_pids[i] = 0;
        }
}

static inline void proc_track(pid_t pid) {
    static bool registered;
    if (!registered) {
        atexit(proc_cleanup);
        registered = true;
    }
    for (int i = 0; i < PROC_MAX; i++)
        if (proc_pids[i] <= 0) {
            proc_pids[i] = pid;
            return;
        }
}

static inline void proc_forget(pid_t pid) {
    for (int i = 0; i < PROC_MAX; i++)
        if (proc_pids[i] == pid) proc_pids[i] = 0;
}

static inline double proc_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static inline void proc_sleep_ms(int ms) {
    struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&t, &t) != 0 && errno == EINTR) {
    }
}

/* The directory of the running test binary: the other programs sit beside it. */
static const char *proc_bindir(void) {
    static char dir[PATH_MAX];
    if (!dir[0]) {
        ssize_t n = readlink("/proc/self/exe", dir, sizeof dir - 1);
        if (n <= 0) return ".";
        dir[n] = 0;
        char *slash = strrchr(dir, '/');
        if (slash) *slash = 0;
    }
    return dir;
}

/* A free TCP port on 127.0.0.1 (bound and released; good enough for tests). */
static inline int proc_free_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        if (fd >= 0) close(fd);
        return -1;
    }
    close(fd);
    return ntohs(a.sin_port);
}

static inline bool proc_port_open(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    if (fd >= 0) close(fd);
    return ok;
}

/* Starts argv[0] (a path) with stdout/stderr to log (NULL: inherit). */
static inline pid_t proc_spawn(char *const argv[], const char *log) {
    pid_t pid = fork();
    if (pid == 0) {
        if (log) {
            int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
            if (fd >= 0) {
                dup2(fd, 1);
                dup2(fd, 2);
                close(fd);
            }
        }
        execv(argv[0], argv);
        _exit(127);
    }
    if (pid > 0) proc_track(pid);
    return pid;
}

/* Sends sig and waits for the exit; returns the exit status or -1. */
static inline int proc_stop(pid_t pid, int sig) {
    if (pid <= 0) return -1;
    kill(pid, sig);
    int st = 0;
    double until = proc_now() + 60;
    while (waitpid(pid, &st, WNOHANG) == 0) {
        if (proc_now() > until) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            break;
        }
        proc_sleep_ms(10);
    }
    proc_forget(pid);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static inline int proc_wait(pid_t pid, double timeout_s) {
    int st = 0;
    double until = proc_now() + timeout_s;
    while (waitpid(pid, &st, WNOHANG) == 0) {
        if (proc_now() > until) return proc_stop(pid, SIGKILL), -2;
        proc_sleep_ms(10);
    }
    proc_forget(pid);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* A mosquitto broker on 127.0.0.1:port with persistence in dir; waits
 * until it accepts connections. */
static inline pid_t proc_start_broker(const char *dir, int port) {
    char conf[PATH_MAX], log[PATH_MAX];
    snprintf(conf, sizeof conf, "%s/mosquitto.conf", dir);
    snprintf(log, sizeof log, "%s/mosquitto.log", dir);
    FILE *f = fopen(conf, "w");
    if (!f) return -1;
    /* persistence for the session of parkd; max_queued_messages 0 lifts
     * the 1000-message cap (payload-formats.md) so a restarted parkd gets
     * everything it missed. */
    fprintf(f,
            "listener %d 127.0.0.1\nallow_anonymous true\npersistence true\n"
            "persistence_location %s/\nautosave_interval 1\nmax_queued_messages 0\n"
            "max_inflight_messages 1000\n",
            port, dir);
    fclose(f);
    char *argv[] = {"/usr/sbin/mosquitto", "-c", conf, NULL};
    pid_t pid = proc_spawn(argv, log);
    for (int i = 0; i < 500 && !proc_port_open(port); i++) proc_sleep_ms(10);
    return pid;
}

/* Reads a whole small file into a malloc'd NUL-terminated string. */
static char *proc_read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    if (b) b[n] = 0;
    fclose(f);
    return b;
}

/* An integer field of a flat JSON object in a file ("key": 123), or -1. */
static inline long long proc_json_int(const char *path, const char *key) {
    char *s = proc_read_file(path);
    if (!s) return -1;
    char pat[128];
    snprintf(pat, sizeof pat, "\"%s\": ", key);
    char *p = strstr(s, pat);
    long long v = p ? atoll(p + strlen(pat)) : -1;
    free(s);
    return v;
}

#endif
