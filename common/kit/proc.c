/*
 * kit/proc.c - the process runner of the tests and parkbench (proc.h).
 */
#include "common/kit/proc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/clock.h"

/* The children not yet reaped; volatile as a signal handler reads it. */
#define PW_PROC_MAX 64
static volatile pid_t procs[PW_PROC_MAX];
static volatile bool procs_kill_at_exit[PW_PROC_MAX];

void pw_proc_forget(pid_t pid) {
    for (int i = 0; i < PW_PROC_MAX; i++)
        if (procs[i] == pid) procs[i] = 0;
}

void pw_proc_kill_left(void) {
    for (int i = 0; i < PW_PROC_MAX; i++) {
        pid_t pid = procs[i];
        if (pid > 0 && procs_kill_at_exit[i]) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            procs[i] = 0;
        }
    }
}

void pw_proc_track(pid_t pid, bool kill_at_exit) {
    static bool registered;
    if (kill_at_exit && !registered) {
        atexit(pw_proc_kill_left);
        registered = true;
    }
    for (int i = 0; i < PW_PROC_MAX; i++)
        if (procs[i] <= 0) {
            procs_kill_at_exit[i] = kill_at_exit;
            procs[i] = pid;
            return;
        }
}

void pw_proc_kill_all(int sig) {
    for (int i = 0; i < PW_PROC_MAX; i++)
        if (procs[i] > 0) kill(procs[i], sig);
}

/* In the child: fd onto target, from path opened for writing. */
static void redirect(const char *path, bool append, int target) {
    int fd = open(path, O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC), 0644);
    if (fd >= 0 && fd != target) dup2(fd, target), close(fd);
}

pid_t pw_spawn(char *const argv[], const pw_spawn_opts *o) {
    static const pw_spawn_opts plain;
    if (!o) o = &plain;
    pid_t pid = fork();
    if (pid == 0) {
        if (o->die_with_parent) {
            prctl(PR_SET_PDEATHSIG, SIGTERM);
            sigset_t none;
            sigemptyset(&none);
            sigprocmask(SIG_SETMASK, &none, NULL);
            signal(SIGINT, SIG_DFL), signal(SIGTERM, SIG_DFL), signal(SIGPIPE, SIG_DFL);
        }
        if (o->out) redirect(o->out, o->append, 1);
        if (o->err)
            redirect(o->err, o->append, 2);
        else if (o->out)
            dup2(1, 2);
        if (o->null_stdin) {
            int nul = open("/dev/null", O_RDONLY);
            if (nul >= 0) dup2(nul, 0), close(nul);
        }
        if (o->search_path)
            execvp(argv[0], argv);
        else
            execv(argv[0], argv);
        static const char msg[] = "exec failed: ";
        if (write(2, msg, sizeof msg - 1) >= 0 && write(2, argv[0], strlen(argv[0])) >= 0)
            (void)!write(2, "\n", 1);
        _exit(127);
    }
    if (pid > 0) pw_proc_track(pid, o->kill_at_exit);
    return pid;
}

int pw_proc_poll(pid_t pid, int *status) {
    int st = 0;
    pid_t r;
    do r = waitpid(pid, &st, WNOHANG);
    while (r < 0 && errno == EINTR);
    if (r == 0) return 0;
    pw_proc_forget(pid);
    if (r < 0) return -1;
    if (status) *status = st;
    return 1;
}

int pw_proc_wait(pid_t pid, double timeout_s, int *status) {
    if (pid <= 0) return -1;
    double until = pw_mono_s() + timeout_s;
    for (;;) {
        int rc = pw_proc_poll(pid, status);
        if (rc != 0) return rc < 0 ? -1 : 0;
        if (timeout_s >= 0 && pw_mono_s() > until) break;
        pw_sleep_ms(10);
    }
    kill(pid, SIGKILL);
    int st = 0;
    pid_t r;
    do r = waitpid(pid, &st, 0);
    while (r < 0 && errno == EINTR);
    pw_proc_forget(pid);
    if (r < 0) return -1;
    if (status) *status = st;
    return 1;
}

int pw_proc_stop(pid_t pid, int sig, double timeout_s, int *status) {
    if (pid <= 0) return -1;
    kill(pid, sig);
    return pw_proc_wait(pid, timeout_s, status);
}

int pw_proc_exit_code(int status) {
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int pw_run(char *const argv[], const char *log) {
    pw_spawn_opts o = {.out = log ? log : "/dev/null", .append = true};
    pid_t pid = pw_spawn(argv, &o);
    int st = 0;
    if (pid < 0 || pw_proc_wait(pid, -1, &st) != 0) return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

const char *pw_bindir(void) {
    static char dir[PATH_MAX];
    if (!dir[0]) {
        char buf[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
        if (n <= 0) return ".";
        buf[n] = 0;
        char *slash = strrchr(buf, '/');
        if (slash) *slash = 0;
        memcpy(dir, buf, strlen(buf) + 1);
    }
    return dir;
}

int pw_free_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0) close(fd);
    return port;
}

bool pw_port_open(int port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    if (fd >= 0) close(fd);
    return ok;
}

char *pw_read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    /* Read to the end, not to a size taken first: logs and /proc grow. */
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

double pw_json_num(const char *text, const char *key) {
    if (!text) return NAN;
    char pat[128];
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
