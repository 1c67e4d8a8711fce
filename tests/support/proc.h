/*
 * proc.h - running the real programs in integration tests: a mosquitto
 * broker on a free loopback port (anonymous, or secured with users, an ACL
 * and TLS), parkd, parksim. The runner is pwkit's (common/kit/proc.h);
 * here are the tests' names for it and the brokers. Every process started
 * here is killed by proc_cleanup (also registered atexit) so a failing
 * test leaves nothing running.
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
#include <stdint.h>
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

/* The tests' names for pwkit's runner (common/kit/proc.h): children are
 * killed at exit, output appended to a log, exit status -1 when signalled. */
static inline void proc_cleanup(void) {
    pw_proc_kill_left();
}

static inline void proc_track(pid_t pid) {
    pw_proc_track(pid, true);
}

static inline void proc_forget(pid_t pid) {
    pw_proc_forget(pid);
}

static inline double proc_now(void) {
    return pw_mono_s();
}

/* Wall-clock time in ms since the epoch: the timestamps of readings. */
static inline int64_t proc_wall_ms(void) {
    return pw_wall_ms();
}

static inline void proc_sleep_ms(int ms) {
    pw_sleep_ms(ms);
}

/* The directory of the running test binary: the other programs sit beside it. */
static inline const char *proc_bindir(void) {
    return pw_bindir();
}

static inline int proc_free_port(void) {
    return pw_free_port();
}

static inline bool proc_port_open(int port) {
    return pw_port_open(port);
}

/* Starts argv[0] (a path) with stdout/stderr to log (NULL: inherit). */
static inline pid_t proc_spawn(char *const argv[], const char *log) {
    pw_spawn_opts o = {.out = log, .append = true, .kill_at_exit = true};
    return pw_spawn(argv, &o);
}

/* Sends sig and waits (a minute, then SIGKILL); the exit status or -1. */
static inline int proc_stop(pid_t pid, int sig) {
    if (pid <= 0) return -1;
    int st = 0; /* as ever: a child reaped elsewhere counts as a clean exit */
    pw_proc_stop(pid, sig, 60, &st);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The exit status, -1 when signalled, -2 when it outlived timeout_s (killed). */
static inline int proc_wait(pid_t pid, double timeout_s) {
    int st = 0; /* as ever: a child reaped elsewhere counts as a clean exit */
    if (pw_proc_wait(pid, timeout_s, &st) == 1) return -2;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The broker settings every test broker shares: persistence in dir for
 * the session of parkd; max_queued 0 (no limit) lifts the 1000-message cap
 * (payload-formats.md) so a restarted parkd gets everything it missed.
 * Run as root, mosquitto would switch to the "mosquitto" user, which can
 * neither write its persistence nor read the password file in the test's
 * private directory: it stays root there ("user root"). */
static inline void proc_broker_common(FILE *f, const char *dir, long max_queued) {
    fprintf(f,
            "persistence true\npersistence_location %s/\nautosave_interval 1\n"
            "max_queued_messages %ld\nmax_inflight_messages 1000\nset_tcp_nodelay true\n%s",
            dir, max_queued, geteuid() == 0 ? "user root\n" : "");
}

/* A mosquitto broker on 127.0.0.1:port, and on the unix socket
 * dir/mqtt.sock, with persistence in dir; waits until it accepts
 * connections. */
static inline pid_t proc_start_broker(const char *dir, int port) {
    char conf[PATH_MAX], log[PATH_MAX];
    snprintf(conf, sizeof conf, "%s/mosquitto.conf", dir);
    snprintf(log, sizeof log, "%s/mosquitto.log", dir);
    FILE *f = fopen(conf, "w");
    if (!f) return -1;
    fprintf(f, "listener %d 127.0.0.1\nlistener 0 %s/mqtt.sock\nallow_anonymous true\n", port, dir);
    proc_broker_common(f, dir, 0);
    fclose(f);
    char *argv[] = {"/usr/sbin/mosquitto", "-c", conf, NULL};
    pid_t pid = proc_spawn(argv, log);
    for (int i = 0; i < 500 && !proc_port_open(port); i++) proc_sleep_ms(10);
    return pid;
}

/* ---- a secured broker: a user per enterprise, an ACL, TLS ----
 *
 * proc_start_broker_secure(dir, port, o) runs mosquitto with
 * allow_anonymous false, a password file and an ACL made in dir (once: a
 * restart keeps them):
 *   dir/credentials.txt  "USER PASSWORD" lines (mode 0600) for parkd, PARK
 *                        and E001..E{o->enterprises} (default 5), random
 *                        passwords; parksim --credentials reads it as is
 *   dir/parkd.password   parkd's password alone (0600: broker.password_file)
 *   dir/mosquitto.passwd every user and password, hashed (mosquitto_passwd -U)
 *   dir/mosquitto.acl    each enterprise writes only under park/{E}/# and
 *                        reads only its alarms park/alarms/{E}; parkd reads
 *                        park/+/+/data and park/+/+/status and writes
 *                        park/alarms/#
 * With o->tls_port or o->mtls_port, a test CA and certificates made by
 * openssl in dir/tls: ca.crt/ca.key, server.crt/key (127.0.0.1 and
 * localhost), parkd.crt/key (a client certificate, CN parkd). tls_port is a
 * TLS listener, mtls_port one that also requires a client certificate of
 * the CA. port <= 0: no plain listener. */
typedef struct proc_secure_opts {
    int enterprises; /* E001..E{n}; 0: 5 */
    int tls_port;    /* > 0: a TLS listener */
    int mtls_port;   /* > 0: a TLS listener requiring a client certificate */
} proc_secure_opts;

/* Runs argv[0] to its end, output to log (NULL: discarded); its exit status or -1. */
static inline int proc_run(char *const argv[], const char *log) {
    return pw_run(argv, log);
}

/* A test CA in dir: dir/ca.key, dir/ca.crt (EC P-256, valid a week). */
static inline int proc_make_ca(const char *dir, const char *name) {
    char key[PATH_MAX + 64], crt[PATH_MAX + 64], subj[256], log[PATH_MAX + 64];
    snprintf(key, sizeof key, "%s/ca.key", dir);
    snprintf(crt, sizeof crt, "%s/ca.crt", dir);
    snprintf(subj, sizeof subj, "/CN=%s", name);
    snprintf(log, sizeof log, "%s/openssl.log", dir);
    mkdir(dir, 0700);
    char *argv[] = {"/usr/bin/openssl",
                    "req",
                    "-x509",
                    "-newkey",
                    "ec",
                    "-pkeyopt",
                    "ec_paramgen_curve:prime256v1",
                    "-nodes",
                    "-keyout",
                    key,
                    "-out",
                    crt,
                    "-days",
                    "7",
                    "-subj",
                    subj,
                    NULL};
    return proc_run(argv, log) == 0 ? 0 : -1;
}

/* dir/name.key and dir/name.crt for common name cn, signed by the CA in
 * dir (proc_make_ca), with the extensions ext ("subjectAltName=..."). */
static inline int proc_make_cert(const char *dir, const char *name, const char *cn,
                                 const char *ext) {
    char key[PATH_MAX + 64], csr[PATH_MAX + 64], crt[PATH_MAX + 64], extf[PATH_MAX + 64];
    char ca[PATH_MAX + 64], cakey[PATH_MAX + 64], subj[256], log[PATH_MAX + 64];
    snprintf(key, sizeof key, "%s/%s.key", dir, name);
    snprintf(csr, sizeof csr, "%s/%s.csr", dir, name);
    snprintf(crt, sizeof crt, "%s/%s.crt", dir, name);
    snprintf(extf, sizeof extf, "%s/%s.ext", dir, name);
    snprintf(ca, sizeof ca, "%s/ca.crt", dir);
    snprintf(cakey, sizeof cakey, "%s/ca.key", dir);
    snprintf(subj, sizeof subj, "/CN=%s", cn);
    snprintf(log, sizeof log, "%s/openssl.log", dir);
    FILE *f = fopen(extf, "w");
    if (!f) return -1;
    fprintf(f, "%s\n", ext);
    fclose(f);
    char *req[] = {"/usr/bin/openssl",
                   "req",
                   "-new",
                   "-newkey",
                   "ec",
                   "-pkeyopt",
                   "ec_paramgen_curve:prime256v1",
                   "-nodes",
                   "-keyout",
                   key,
                   "-out",
                   csr,
                   "-subj",
                   subj,
                   NULL};
    char *sign[] = {
        "/usr/bin/openssl", "x509", "-req", "-in",   csr, "-CA",      ca,   "-CAkey", cakey,
        "-CAcreateserial",  "-out", crt,    "-days", "7", "-extfile", extf, NULL};
    if (proc_run(req, log) != 0 || proc_run(sign, log) != 0) return -1;
    return chmod(key, 0600);
}

/* The password of user in dir/credentials.txt into out; 0 or -1. */
static inline int proc_credential(const char *dir, const char *user, char *out, size_t cap) {
    char path[PATH_MAX + 64], u[64], pw[256];
    snprintf(path, sizeof path, "%s/credentials.txt", dir);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    int rc = -1;
    while (rc != 0 && fscanf(f, "%63s %255s", u, pw) == 2)
        if (!strcmp(u, user)) rc = snprintf(out, cap, "%s", pw) < (int)cap ? 0 : -1;
    fclose(f);
    return rc;
}

/* The users, their passwords, the ACL and (when asked) the test CA, made
 * once in dir. */
static inline int proc_secure_setup(const char *dir, const proc_secure_opts *o) {
    char path[PATH_MAX + 64], pwfile[PATH_MAX + 64], acl[PATH_MAX + 64], tls[PATH_MAX];
    int n = o && o->enterprises > 0 ? o->enterprises : 5;
    snprintf(path, sizeof path, "%s/credentials.txt", dir);
    snprintf(pwfile, sizeof pwfile, "%s/mosquitto.passwd", dir);
    snprintf(acl, sizeof acl, "%s/mosquitto.acl", dir);
    snprintf(tls, sizeof tls, "%s/tls", dir);
    if (access(path, F_OK) != 0) {
        FILE *rnd = fopen("/dev/urandom", "rb");
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int pfd = open(pwfile, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        FILE *cf = fd >= 0 ? fdopen(fd, "w") : NULL, *pf = pfd >= 0 ? fdopen(pfd, "w") : NULL;
        FILE *af = fopen(acl, "w");
        if (!rnd || !cf || !pf || !af) {
            if (rnd) fclose(rnd);
            if (cf) fclose(cf);
            if (pf) fclose(pf);
            if (af) fclose(af);
            return -1;
        }
        fprintf(af, "# parkd reads every enterprise's data and status and publishes the alarms\n"
                    "user parkd\ntopic read park/+/+/data\ntopic read park/+/+/status\n"
                    "topic write park/alarms/#\n");
        for (int i = -1; i <= n; i++) {
            char user[16];
            if (i < 0)
                snprintf(user, sizeof user, "parkd");
            else if (i == 0)
                snprintf(user, sizeof user, "PARK");
            else
                snprintf(user, sizeof user, "E%03d", i);
            unsigned char b[12];
            char pw[2 * sizeof b + 1];
            if (fread(b, 1, sizeof b, rnd) != sizeof b) abort();
            for (size_t k = 0; k < sizeof b; k++) snprintf(pw + 2 * k, 3, "%02x", b[k]);
            fprintf(cf, "%s %s\n", user, pw);
            fprintf(pf, "%s:%s\n", user, pw);
            if (i < 0) { /* parkd's broker.password_file */
                char pp[PATH_MAX + 64];
                snprintf(pp, sizeof pp, "%s/parkd.password", dir);
                int pwfd = open(pp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
                if (pwfd < 0 || write(pwfd, pw, strlen(pw)) != (ssize_t)strlen(pw) ||
                    write(pwfd, "\n", 1) != 1)
                    abort();
                close(pwfd);
            }
            if (i >= 0)
                fprintf(af, "\nuser %s\ntopic write park/%s/#\ntopic read park/alarms/%s\n", user,
                        user, user);
        }
        fclose(rnd);
        int bad = fclose(cf) | fclose(pf) | fclose(af);
        /* Hashes the "user:password" lines in place (no password on a command line). */
        char *argv[] = {"/usr/bin/mosquitto_passwd", "-U", pwfile, NULL};
        if (bad || proc_run(argv, NULL) != 0) return -1;
    }
    snprintf(path, sizeof path, "%s/ca.crt", tls);
    if (o && (o->tls_port > 0 || o->mtls_port > 0) && access(path, F_OK) != 0) {
        if (proc_make_ca(tls, "Parkwatch test CA") != 0 ||
            proc_make_cert(tls, "server", "localhost",
                           "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                           "extendedKeyUsage=serverAuth") != 0 ||
            proc_make_cert(tls, "parkd", "parkd", "extendedKeyUsage=clientAuth") != 0)
            return -1;
    }
    return 0;
}

/* The secured broker (above) on 127.0.0.1; waits until every listener accepts. */
static inline pid_t proc_start_broker_secure(const char *dir, int port, const proc_secure_opts *o) {
    if (proc_secure_setup(dir, o) != 0) return -1;
    char conf[PATH_MAX + 64], log[PATH_MAX + 64];
    snprintf(conf, sizeof conf, "%s/mosquitto.conf", dir);
    snprintf(log, sizeof log, "%s/mosquitto.log", dir);
    FILE *f = fopen(conf, "w");
    if (!f) return -1;
    fprintf(f,
            "per_listener_settings false\nallow_anonymous false\n"
            "password_file %s/mosquitto.passwd\nacl_file %s/mosquitto.acl\n",
            dir, dir);
    /* Not max_queued_messages 0: with it, mosquitto 2.0.11 drops a client's
     * connection at its next PUBLISH after one the ACL denied (QoS 1, MQTT
     * 3.1.1 and 5 alike); a limit no queue reaches has no such effect. */
    proc_broker_common(f, dir, 1000000000L);
    /* Each session's client id is its login (scripts/park-broker.sh says
     * why); a listener's setting, so after every listener line. */
    if (port > 0) fprintf(f, "listener %d 127.0.0.1\nuse_username_as_clientid true\n", port);
    int tls_ports[2] = {o ? o->tls_port : 0, o ? o->mtls_port : 0};
    for (int i = 0; i < 2; i++)
        if (tls_ports[i] > 0)
            fprintf(
                f,
                "listener %d 127.0.0.1\nuse_username_as_clientid true\ncafile %s/tls/ca.crt\n"
                "certfile %s/tls/server.crt\nkeyfile %s/tls/server.key\nrequire_certificate %s\n",
                tls_ports[i], dir, dir, dir, i ? "true" : "false");
    fclose(f);
    char *argv[] = {"/usr/sbin/mosquitto", "-c", conf, NULL};
    pid_t pid = proc_spawn(argv, log);
    int ports[3] = {port, tls_ports[0], tls_ports[1]};
    for (int k = 0; k < 3; k++)
        for (int i = 0; ports[k] > 0 && i < 500 && !proc_port_open(ports[k]); i++)
            proc_sleep_ms(10);
    return pid;
}

/* Reads a whole small file into a malloc'd NUL-terminated string. */
static inline char *proc_read_file(const char *path) {
    return pw_read_file(path, NULL);
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
