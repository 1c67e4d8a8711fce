/*
 * service_internal.h - what service.c (the service's threads) and
 * submit.c (ingest_service_submit) share: the service's struct and the
 * submitted messages' bookkeeping. Private to ingest/.
 */
#ifndef PARKWATCH_INGEST_SERVICE_INTERNAL_H
#define PARKWATCH_INGEST_SERVICE_INTERNAL_H

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "ingest/internal.h"
#include "common/clock.h"

struct mosquitto;

/* A submitted message, from ingest_service_submit until its caller has
 * its answer. Lives in ingest_service.subs while not DONE; freed when the
 * last of its holders (the caller, the list, the network thread's batch)
 * lets go. Everything here but the text is guarded by sub_mu. */
typedef enum {
    SUB_QUEUED,    /* waiting for the ingest thread */
    SUB_TAKEN,     /* the ingest thread is running it through the pipeline */
    SUB_PROCESSED, /* through the pipeline, its points waiting for the commit */
    SUB_DONE
} sub_state;

typedef struct submit_req {
    struct submit_req *prev, *next; /* in subs while not DONE */
    sub_state state;
    int refs;
    uint64_t seq;
    int prec; /* an ingest_lp_precision, or -1: the enterprise's */
    int64_t recv_ms;
    pthread_cond_t cv;
    int rc;
    ingest_submit_result res;
    char err[256];
    const char *topic; /* NUL-terminated; payload follows it */
    const void *payload;
    size_t len;
} submit_req;

/*
 * The ingest thread is a state machine (ingest_main). Allowed transitions:
 *
 *   RUNNING    -> COMMITTING, BLOCKED, DRAINING, FAILED
 *   RETRYING   -> COMMITTING, BLOCKED, RUNNING, FAILED
 *   DRAINING   -> COMMITTING, BLOCKED, FAILED, STOPPED
 *   COMMITTING -> BLOCKED, or back to the state it came from
 *   BLOCKED    -> RETRYING, STOPPED
 *   FAILED     -> STOPPED
 *
 * A write the historian or the alarm journal refuses (disk full, I/O
 * error) holds ingest rather than ending it (BLOCKED): the message, batch
 * or commit is tried again after a backoff (RETRYING), nothing after it is
 * read meanwhile, and the spool keeps all of it (a restart would replay it
 * too). A stop while BLOCKED leaves what is not stored in the spool.
 */
typedef enum ingest_state {
    ING_RUNNING,    /* reading the spool, storing in rounds, committing every sync_interval_ms */
    ING_COMMITTING, /* hist_sync, then the spool checkpoint */
    ING_BLOCKED,    /* storage refused a write: the backoff runs, nothing is read */
    ING_RETRYING,   /* one round: the refused message, batch or commit again, committed at once */
    ING_DRAINING,   /* stop asked: the spool read to its end without waiting, then committed */
    ING_FAILED,     /* the spool cannot be read: nothing more is stored; waits for stop */
    ING_STOPPED,    /* the thread's loop is over */
    ING_STATE_COUNT
} ingest_state;

struct ingest_service {
    ingest_service_options opt;
    char *spool_dir, *host, *client_id, *username, *password, *cafile, *certfile, *keyfile;
    char where[320]; /* the broker, for the log: "host:port" or "socket PATH" */
    ingest_options pipe_opt;
    ingest *pipe;
    spool *sp;
    struct mosquitto *mosq;
    pthread_t net_thread, ingest_thread;
    bool net_started, ingest_started;
    atomic_bool stop_net, stop_ingest;
    int wake_fd;            /* eventfd: wakes the network thread for a queued message */
    ingest_state ing_state; /* the ingest thread's own (ing_to) */
    /* set by on_message when the spool refused a message */
    bool spool_failed;
    size_t spooled_in_burst;
    bool connack_ok; /* network thread: the broker accepted this connection */
    /* Network thread: the broker closed a connection it had accepted (not
     * we, not the keepalive); when, and the time before. See on_connect. */
    bool dropped;
    int64_t drop_ms, prev_drop_ms;

    /* ingest_service_submit: every request not DONE, in submission order */
    pthread_mutex_t sub_mu; /* guards the fields below up to mu */
    submit_req *sub_head, *sub_tail;
    atomic_uint sub_queued; /* QUEUED requests: what the ingest thread checks */
    uint64_t sub_run, sub_seq;
    bool sub_closed;       /* stop has begun: no new requests */
    char sub_failed[256];  /* set once ingest failed: requests fail at once */
    char sub_blocked[256]; /* set while storage refuses writes: new requests wait outside */
    uint64_t sub_callers;  /* calls inside ingest_service_submit */
    pthread_cond_t sub_idle;

    pthread_mutex_t mu; /* guards the fields below */
    ingest_service_stats stats;
};

static inline void logf_(ingest_service *s, const char *fmt, ...) {
    if (s->opt.log_level < 1) return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "parkd ingest: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* ---- submitted messages (submit.c) ---- */

/* Caller holds sub_mu. Fails every open request: ingest failed or stopped. */
void sub_fail_all(ingest_service *s, const char *why);

/* Ingest thread: the first QUEUED request, now TAKEN and held (r stays
 * valid until submission_release), or NULL. */
submit_req *take_submission(ingest_service *s);
void submission_release(ingest_service *s, submit_req *r);

/* The marker of a submitted record: run and request, or false. */
bool parse_mark(const spool_record *rec, uint64_t *run, uint64_t *seq);
/* After the marker, a submitted record may name its line protocol precision
 * ("@ns#"): returns it (an ingest_lp_precision) and moves *topic past it,
 * or -1 (the enterprise's) and leaves *topic alone. */
int parse_mark_precision(const char **topic);

/* Ingest thread: the pipeline has handled r. Returns true when it now
 * waits for the commit. */
bool submission_handled(ingest_service *s, submit_req *r);

/* Ingest thread: hist_sync succeeded; every handled request is durable. */
void submissions_durable(ingest_service *s);

/* Ingest thread: ingest stopped on an error; nothing will be handled now. */
void submissions_failed(ingest_service *s, const char *why);

#endif
