/*
 * kit/proc.h - running other programs from the tests and parkbench: spawn
 * with the output in files, wait or stop with a timeout (then SIGKILL),
 * free loopback ports, and the small readers of what the programs leave
 * (whole files, a number of a flat JSON file). Part of pwkit (tests and
 * tools only, never the modules).
 *
 * Every child started here is remembered until it is reaped: pw_proc_kill_all
 * signals them (async-signal-safe, for a SIGINT handler), and with
 * kill_at_exit they are SIGKILLed and reaped at exit, so a failing test
 * leaves nothing running.
 */
#ifndef PARKWATCH_KIT_PROC_H
#define PARKWATCH_KIT_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct pw_spawn_opts {
    const char *out;      /* stdout, and stderr when err is NULL; NULL: inherited */
    const char *err;      /* stderr on its own */
    bool append;          /* open out/err with O_APPEND, not truncated */
    bool search_path;     /* execvp (argv[0] found on PATH), not execv */
    bool null_stdin;      /* stdin from /dev/null */
    bool die_with_parent; /* SIGTERM when this process dies; default signals and mask */
    bool kill_at_exit;    /* SIGKILLed and reaped by an atexit handler if still running */
} pw_spawn_opts;

/* Starts argv[0] as o says (NULL: plain execv, everything inherited). The
 * pid, or -1 with errno. An exec failure is the child's exit status 127. */
pid_t pw_spawn(char *const argv[], const pw_spawn_opts *o);

/* Whether pid has ended: 1 (reaped, its wait status in *status), 0 still
 * running, -1 not a child of ours. */
int pw_proc_poll(pid_t pid, int *status);
/* Waits up to timeout_s (< 0: no limit) for pid, then SIGKILLs and reaps
 * it: 0 it ended, 1 it had to be killed, -1 not a child of ours. */
int pw_proc_wait(pid_t pid, double timeout_s, int *status);
/* Sends sig, then pw_proc_wait. */
int pw_proc_stop(pid_t pid, int sig, double timeout_s, int *status);
/* The exit code, or 128 + the signal that ended it (a shell's $?). */
int pw_proc_exit_code(int status);
/* Sends sig to every child not yet reaped; async-signal-safe. */
void pw_proc_kill_all(int sig);
/* A child forked elsewhere, remembered as pw_spawn's are; and forgotten
 * (reaped elsewhere). */
void pw_proc_track(pid_t pid, bool kill_at_exit);
void pw_proc_forget(pid_t pid);
/* SIGKILLs and reaps the kill_at_exit children left (what atexit runs). */
void pw_proc_kill_left(void);

/* Runs argv[0] to its end, stdout and stderr to log (NULL: /dev/null,
 * appended); its exit code, or -1 (not started, or killed by a signal). */
int pw_run(char *const argv[], const char *log);

/* The directory of the running executable (where the other programs are
 * built beside it); "." when /proc/self/exe cannot be read. */
const char *pw_bindir(void);
/* A TCP port of 127.0.0.1 free now (the kernel's choice), or -1. */
int pw_free_port(void);
/* Whether something accepts connections on 127.0.0.1:port. */
bool pw_port_open(int port);

/* The whole file, NUL-terminated (the caller frees it), its length into
 * *len when len is not NULL; NULL if it cannot be read. */
char *pw_read_file(const char *path, size_t *len);
/* The number after the last "key": (spaces allowed) in text; NAN if none. */
double pw_json_num(const char *text, const char *key);

#endif
