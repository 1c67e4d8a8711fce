/*
 * clock.c - the clocks (clock.h).
 */
#include "common/clock.h"

#include <errno.h>

int64_t pw_wall_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

double pw_wall_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int64_t pw_mono_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

double pw_mono_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

void pw_sleep_ms(int64_t ms) {
    if (ms <= 0) return;
    struct timespec t = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&t, &t) != 0 && errno == EINTR) {
    }
}

void pw_deadline_in(clockid_t clk, int64_t ms, struct timespec *out) {
    clock_gettime(clk, out);
    int64_t ns = out->tv_nsec + (ms % 1000) * 1000000;
    int64_t sec = ms / 1000 + ns / 1000000000;
    ns %= 1000000000;
    if (ns < 0) ns += 1000000000, sec--; /* a negative ms: a time already past */
    out->tv_sec += (time_t)sec;
    out->tv_nsec = (long)ns;
}
