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

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
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
