/*
 * bench_proc.h - the child processes of a parkbench run (mosquitto, parkd,
 * parksim, wrk...): started with their output in files, never outliving
 * parkbench, stopped with a timeout, all sent SIGTERM when parkbench is
 * interrupted (pwkit's runner, common/kit/proc.h, in parkbench's slots),
 * and the children every run needs (a broker, a token, parkd up). For the
 * bench_*.c files of parkbench; the includer first defines BENCH_SLOTS, the
 * number of its process slots.
 */
#ifndef PARKWATCH_BENCH_PROC_H
#define PARKWATCH_BENCH_PROC_H

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/kit/proc.h"

/* The slots name parkbench's long-lived children (g_pid[P_PARKD]...). */
static volatile pid_t g_pid[BENCH_SLOTS];
static volatile sig_atomic_t g_signal;

static void on_signal(int sig) {
    g_signal = sig;
    pw_proc_kill_all(SIGTERM);
}

/* Starts argv (PATH searched) with stdout to out and stderr to err (err
 * NULL: to out), never outliving parkbench; slot -1 for a child not in the
 * table. */
static pid_t spawn(int slot, char *const argv[], const char *out, const char *err) {
    pw_spawn_opts o = {
        .out = out, .err = err, .search_path = true, .null_stdin = true, .die_with_parent = true};
    pid_t pid = pw_spawn(argv, &o);
    if (pid > 0 && slot >= 0) g_pid[slot] = pid;
    return pid;
}

/* Exit status (128 + signal when killed), or -1 while running when nohang. */
static int reap(int slot, pid_t pid, bool nohang) {
    int st = 0;
    int rc = nohang ? pw_proc_poll(pid, &st) : (pw_proc_wait(pid, -1, &st) < 0 ? -1 : 1);
    if (rc == 0) return -1;
    if (slot >= 0) g_pid[slot] = 0;
    return rc < 0 ? -2 : pw_proc_exit_code(st);
}

/* Waits up to timeout_s for the child, then SIGKILL. */
static int wait_for(int slot, pid_t pid, double timeout_s) {
    int st = 0;
    int rc = pw_proc_wait(pid, timeout_s, &st);
    if (slot >= 0) g_pid[slot] = 0;
    return rc < 0 ? -2 : pw_proc_exit_code(st);
}

static int stop_proc(int slot, int sig, double timeout_s) {
    pid_t pid = g_pid[slot];
    if (pid <= 0) return 0;
    kill(pid, sig);
    return wait_for(slot, pid, timeout_s);
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
    char *tok = pw_read_file(tokout, NULL);
    if (trc != 0 || !tok || strlen(tok) < 8 || strlen(tok) >= cap) {
        char *e = pw_read_file(tokerr, NULL);
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
    int port = pw_free_port();
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
    for (int i = 0; i < 500 && !pw_port_open(port) && !g_signal; i++) pw_sleep_ms(10);
    if (!pw_port_open(port)) {
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
        char *lg = pw_read_file(log, NULL);
        const char *p = lg ? strstr(lg, "api on port ") : NULL;
        if (p) api_port = atoi(p + 12);
        free(lg);
        char *st = pw_read_file(stats, NULL);
        connected = st && strstr(st, "\"connected\": true");
        free(st);
        if (reap(slot, g_pid[slot], true) != -1) break;
        pw_sleep_ms(10);
    }
    if (api_port && connected) return api_port;
    char *lg = pw_read_file(log, NULL);
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
