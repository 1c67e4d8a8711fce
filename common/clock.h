/*
 * clock.h - the clocks: wall time (timestamps of readings, expiry) and
 * monotonic time (timeouts, rates, durations).
 */
#ifndef PARKWATCH_COMMON_CLOCK_H
#define PARKWATCH_COMMON_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Milliseconds since 1970 (CLOCK_REALTIME). */
int64_t pw_wall_ms(void);
/* Seconds since 1970, with the fraction. */
double pw_wall_s(void);
/* Milliseconds and seconds on CLOCK_MONOTONIC (for differences only). */
int64_t pw_mono_ms(void);
double pw_mono_s(void);
/* Sleeps ms milliseconds, through signals. */
void pw_sleep_ms(int64_t ms);
/* The clock's time ms from now, for pthread_cond_timedwait (CLOCK_REALTIME
 * unless the condvar was set to another clock). */
void pw_deadline_in(clockid_t clk, int64_t ms, struct timespec *out);

#endif
