/*
 * mqttio.h - socket helpers for a libmosquitto client that runs its own
 * network loop (mosquitto_loop_read / _write on its socket): parkd's
 * ingest and parksim. Header-only.
 */
#ifndef PARKWATCH_COMMON_MQTTIO_H
#define PARKWATCH_COMMON_MQTTIO_H

#include <mosquitto.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

/* Whether the socket holds unread bytes (another packet to read now). */
static inline bool mqttio_bytes_waiting(int fd) {
    int n = 0;
    return ioctl(fd, FIONREAD, &n) == 0 && n > 0;
}

/* libmosquitto sends each queued packet with its own send(), and without
 * Nagle (or on a broker's loopback) each becomes a TCP segment that wakes
 * the broker: a burst of 500 PUBACKs or publishes cost 500 segments, and
 * on one machine the receiver's work for each is paid by the sender.
 * Corked, they leave together as the cork is pulled, at once, so nothing
 * waits for it. For a TCP socket; mosquitto_loop_write's result. */
static inline int mqttio_write_corked(struct mosquitto *m, int fd) {
    int on = 1, off = 0;
    setsockopt(fd, IPPROTO_TCP, TCP_CORK, &on, sizeof on);
    int rc = mosquitto_loop_write(m, 1);
    setsockopt(fd, IPPROTO_TCP, TCP_CORK, &off, sizeof off);
    return rc;
}

#endif
