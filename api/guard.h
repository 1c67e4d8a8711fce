/*
 * guard.h - connection guards of the HTTP server (internal to api/).
 *
 * libmicrohttpd's connection timeout is an idle timeout: it restarts with
 * every byte, so a client trickling one header byte every minute holds a
 * connection (and its memory) for ever. The guard gives each request's
 * head a total time limit instead: the clock starts when the connection
 * opens or its previous request completes, and stops when the head is
 * complete (the first call of the access handler). A connection still
 * without a complete head at its deadline is shut down (shutdown(2) on its
 * socket: libmicrohttpd sees the end of the stream on its own thread and
 * closes the connection itself, so nothing is freed under its feet).
 *
 * Threads: api_guard_notify runs on libmicrohttpd's threads, head_done and
 * request_done on the handler threads, sweep on any one thread (the
 * server's pump); one mutex guards the list. The guard owns its watches.
 */
#ifndef PARKWATCH_API_GUARD_H
#define PARKWATCH_API_GUARD_H

#include <microhttpd.h>
#include <stddef.h>
#include <stdint.h>

typedef struct api_guard api_guard;

/* head_timeout_ms > 0. NULL when out of memory. */
api_guard *api_guard_open(int64_t head_timeout_ms);
/* After the daemon has stopped (no connection left). */
void api_guard_close(api_guard *g);

/* The MHD_OPTION_NOTIFY_CONNECTION callback; cls is the guard. */
void api_guard_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                      enum MHD_ConnectionNotificationCode code);
/* The head of c's current request is complete: its clock stops. */
void api_guard_head_done(api_guard *g, struct MHD_Connection *c);
/* c's request completed: the clock of the next head starts now. */
void api_guard_request_done(api_guard *g, struct MHD_Connection *c);

/* Refuses c's request now, before libmicrohttpd parses it: answer (raw
 * HTTP, may be NULL: plain HTTP only) is written to the socket, then the
 * socket is shut down. For request lines too big to parse safely. */
void api_guard_refuse(api_guard *g, struct MHD_Connection *c, const char *answer);
/* Requests refused so. */
uint64_t api_guard_refused(api_guard *g);

/* Shuts down every connection whose head is overdue at now_ms (a
 * CLOCK_MONOTONIC time in ms); returns how many. About once a second. */
size_t api_guard_sweep(api_guard *g, int64_t now_ms);
/* Connections shut down so far. */
uint64_t api_guard_timeouts(api_guard *g);
/* CLOCK_MONOTONIC in ms, the guard's clock. */
int64_t api_guard_now_ms(void);

#endif
