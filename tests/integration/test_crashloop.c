/*
 * test_crashloop.c - parkd SIGKILLed again and again, and the broker too,
 * while parksim streams through a real mosquitto (persistence on); then
 * every reading the broker acknowledged to parksim must be in the
 * historian once, with its value, and every stored series must read back.
 *
 *   build/bin/test_crashloop                              20 parkd kills, 2 broker kills
 *   PARKWATCH_CRASH_KILLS=100 build/bin/test_crashloop    100 parkd kills, 10 broker kills
 *   PARKWATCH_CRASH_SEED=1234 build/bin/test_crashloop    the schedule of an earlier run
 *
 * The schedule (which delays, when the broker dies) comes from a seed,
 * printed first; PARKWATCH_CRASH_BROKER_KILLS overrides the broker kills
 * (default max(2, kills / 10)). The same seed replays the same schedule, not
 * the same instants: the processes run on their own clocks. The run's
 * directory is removed when the test passes, unless PARKWATCH_CRASH_KEEP
 * is set.
 *
 * parkd is killed 0.3-3 s after it was started (before it has opened the
 * historian, while it replays the spool, or while it streams), restarted
 * after 0-0.5 s of the broker queueing for its session. The broker is
 * killed 0.3-3 s after parkd has caught up with it (a marker message
 * published after everything before it was received by parkd), and
 * restarted 0.2-1.5 s later on the same port from its persistence file.
 * Why caught up: mosquitto acknowledges a QoS 1 PUBLISH before it writes
 * anything to disk (its persistence is a snapshot every autosave_interval,
 * 1 s here), so a SIGKILL loses what only its memory held: messages
 * queued for a parkd that was down or behind. When parkd keeps up, the
 * broker forwards each message to parkd before it acknowledges it, and a
 * SIGKILL loses nothing acknowledged.
 *
 * At the end parksim is stopped (it waits for its last acknowledgements), a
 * last marker shows parkd has received everything, parkd stops cleanly and
 * the historian is opened: the check is tests/support/ledger.h. One JSON
 * line on stdout sums the run up.
 */
#include <inttypes.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "historian/historian.h"
#include "tests/support/ledger.h"
#include "tests/support/mqtt.h"
#include "tests/support/park.h"

static uint64_t rng;

static double uniform(double lo, double hi) {
    return lo + (hi - lo) * testutil_uniform(&rng);
}

static long env_long(const char *name, long dflt) {
    const char *s = getenv(name);
    return s && *s ? atol(s) : dflt;
}

/* Fails the test if parkd has exited on its own. */
static void check_parkd_alive(park *p, const char *when) {
    int st = 0;
    if (waitpid(p->parkd, &st, WNOHANG) == p->parkd) {
        proc_forget(p->parkd);
        p->parkd = 0;
        fail_msg("parkd exited by itself %s (%s %d); see %s", when,
                 WIFEXITED(st) ? "status" : "signal",
                 WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), p->log);
    }
}

/* Waits (up to timeout_s) until the running parkd has written a stats file
 * saying it is connected; the file is removed whenever parkd is restarted. */
static void wait_connected(park *p, double timeout_s) {
    double until = proc_now() + timeout_s;
    for (;;) {
        char *s = proc_read_file(p->stats);
        bool ok = s && strstr(s, "\"connected\": true");
        free(s);
        if (ok) return;
        check_parkd_alive(p, "while connecting");
        if (proc_now() > until)
            fail_msg("parkd did not connect in %.0f s; see %s", timeout_s, p->log);
        proc_sleep_ms(20);
    }
}

/* How many markers the running parkd has taken: a marker's one reading is
 * a string, rejected as bad_value_type (parksim sends only numbers). */
static long long markers_seen(const park *p) {
    char *s = proc_read_file(p->stats);
    const char *k = s ? strstr(s, "\"reason\": \"bad_value_type\"") : NULL;
    if (k) k = strstr(k, "\"readings\": ");
    long long n = k ? atoll(k + strlen("\"readings\": ")) : 0;
    free(s);
    return n;
}

/* Publishes a marker (QoS 1) after everything the broker has acknowledged
 * so far and waits until parkd has taken it: the broker delivers a
 * session's messages in order, so parkd then has all that came before. */
static void catch_up(park *p, double timeout_s) {
    long long seen = markers_seen(p);
    publisher pub;
    pub_open(&pub, p->port);
    pub_str(&pub, "park/PARK/crashloop/data", "{\"ts\": %lld, \"values\": {\"marker\": \"end\"}}",
            (long long)proc_wall_ms());
    pub_close(&pub);
    double until = proc_now() + timeout_s;
    while (markers_seen(p) <= seen) {
        check_parkd_alive(p, "while catching up");
        if (proc_now() > until)
            fail_msg("parkd did not take the marker in %.0f s; see %s", timeout_s, p->log);
        proc_sleep_ms(50);
    }
}

static void kill_parkd(park *p, int round, int kills, double since) {
    double delay = uniform(0.3, 3.0);
    double until = since + delay;
    while (proc_now() < until) {
        check_parkd_alive(p, "between kills");
        proc_sleep_ms(10);
    }
    check_parkd_alive(p, "before its kill");
    char *s = proc_read_file(p->stats);
    bool connected = s && strstr(s, "\"connected\": true");
    free(s);
    fprintf(stderr, "crashloop: kill %d/%d of parkd %.2f s after its start (%s, %lld points)\n",
            round + 1, kills, delay, connected ? "connected" : "starting", stat_of(p, "points"));
    kill(p->parkd, SIGKILL);
    proc_wait(p->parkd, 30);
    p->parkd = 0;
    unlink(p->stats);
    proc_sleep_ms((int)uniform(0, 500)); /* the broker queues for the session meanwhile */
    spawn_parkd(p);
}

static void kill_broker(park *p, int n, int broker_kills) {
    wait_connected(p, 120);
    catch_up(p, 120);
    double delay = uniform(0.3, 3.0);
    proc_sleep_ms((int)(delay * 1000));
    check_parkd_alive(p, "before a broker kill");
    fprintf(stderr, "crashloop: kill %d/%d of the broker %.2f s after parkd caught up\n", n + 1,
            broker_kills, delay);
    kill(p->broker, SIGKILL);
    proc_wait(p->broker, 30);
    proc_sleep_ms((int)uniform(200, 1500));
    p->broker = proc_start_broker(p->dir, p->port);
    assert_true(p->broker > 0);
    if (!proc_port_open(p->port)) fail_msg("the broker did not restart on port %d", p->port);
}

static void test_crash_loop(void **state) {
    (void)state;
    long kills = env_long("PARKWATCH_CRASH_KILLS", 20);
    long broker_kills = env_long("PARKWATCH_CRASH_BROKER_KILLS", kills / 10 > 2 ? kills / 10 : 2);
    uint64_t seed = (uint64_t)env_long("PARKWATCH_CRASH_SEED", 0);
    if (!seed) seed = (uint64_t)time(NULL) * 1000003u ^ (uint64_t)getpid();
    seed &= 0x7fffffffffffffffull; /* as atol reads it back */
    rng = seed ? seed : 1;
    assert_true(kills >= 1 && broker_kills >= 0 && broker_kills <= kills);
    fprintf(stderr,
            "crashloop: seed %" PRIu64 " (replay: PARKWATCH_CRASH_SEED=%" PRIu64
            "), %ld parkd kills, %ld broker kills\n",
            seed, seed, kills, broker_kills);
    /* After which parkd kills the broker dies too: broker_kills distinct rounds. */
    bool *broker_after = calloc((size_t)kills, sizeof *broker_after);
    assert_non_null(broker_after);
    for (long n = 0; n < broker_kills;) {
        long r = (long)(testutil_rand(&rng) % (uint64_t)kills);
        if (!broker_after[r]) broker_after[r] = true, n++;
    }

    double t0 = proc_now();
    park p = {0};
    park_up(&p, "crashloop", NULL);
    fprintf(stderr, "crashloop: broker on port %d, everything in %s\n", p.port, p.dir);
    char ledger[700], out[700];
    snprintf(ledger, sizeof ledger, "%s/ledger.txt", p.dir);
    snprintf(out, sizeof out, "%s/parksim.out", p.dir);
    /* Every format in turns over the enterprises, about 2,300 readings/s. */
    pid_t sim = park_parksim(&p, ledger, out, "mixed", "20", "86400");
    assert_true(sim > 0);
    double since = proc_now();
    int done_broker = 0;
    for (int round = 0; round < kills; round++) {
        kill_parkd(&p, round, (int)kills, since);
        since = proc_now();
        if (broker_after[round]) {
            kill_broker(&p, done_broker++, (int)broker_kills);
            since = proc_now();
        }
        int st;
        if (waitpid(sim, &st, WNOHANG) == sim) {
            proc_forget(sim);
            fail_msg("parksim stopped; see %s", out);
        }
    }
    free(broker_after);

    /* parksim stops (waiting for its last acknowledgements); a last marker,
     * and parkd has everything the broker acknowledged. */
    assert_int_equal(proc_stop(sim, SIGTERM), 0);
    wait_connected(&p, 120);
    catch_up(&p, 180);
    assert_int_equal(proc_stop(p.parkd, SIGTERM), 0);
    p.parkd = 0;
    proc_stop(p.broker, SIGTERM);
    p.broker = 0;

    char *so = proc_read_file(out);
    assert_non_null(so);
    const char *pub = strstr(so, "\"readings\": "), *ack = strstr(so, "\"acked_readings\": ");
    assert_non_null(pub);
    assert_non_null(ack);
    long long published = atoll(pub + strlen("\"readings\": "));
    long long acked = atoll(ack + strlen("\"acked_readings\": "));
    free(so);

    /* Open: the write-ahead log replays; a damaged store fails here. */
    char hdir[700];
    snprintf(hdir, sizeof hdir, "%s/historian", p.data);
    hist *h = NULL;
    hist_error err;
    hist_status ost = hist_open(hdir, NULL, &h, &err);
    ledger_result lr = {0};
    hist_scan_result sr = {0};
    if (ost == HIST_OK) {
        assert_int_equal(ledger_check(h, ledger, &lr), 0);
        assert_int_equal(hist_scan_all(h, &sr), 0);
        assert_int_equal(hist_close(h, &err), HIST_OK);
    } else {
        fprintf(stderr, "crashloop: hist_open: %s: %s\n", hist_status_name(ost), err.msg);
    }
    size_t corrupt = (ost != HIST_OK) + lr.failed + sr.failed + sr.rollup_off;
    printf("{\"test\": \"crashloop\", \"seed\": %" PRIu64
           ", \"kills\": %ld, \"broker_kills\": %ld, "
           "\"points_published\": %lld, \"points_acked\": %lld, \"lost\": %zu, "
           "\"duplicated\": %zu, \"corrupt\": %zu, \"mismatched\": %zu, "
           "\"not_acked_but_stored\": %zu, \"series\": %zu, \"seconds\": %.1f}\n",
           seed, kills, broker_kills, published, acked, lr.lost, sr.duplicated + lr.duplicated,
           corrupt, lr.mismatched, lr.extra, sr.series, proc_now() - t0);
    fflush(stdout);
    assert_int_equal(ost, HIST_OK);
    assert_true(lr.lines == (size_t)acked); /* the ledger is whole */
    assert_true(lr.readings > 10000);
    assert_int_equal(lr.conflicting, 0);
    assert_int_equal(lr.lost, 0);
    assert_int_equal(lr.mismatched, 0);
    assert_int_equal(sr.duplicated + lr.duplicated, 0);
    assert_int_equal(corrupt, 0);
    if (getenv("PARKWATCH_CRASH_KEEP"))
        fprintf(stderr, "crashloop: kept %s\n", p.dir);
    else
        testutil_rmtree(p.dir); /* kept too when the test fails */
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crash_loop),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    proc_cleanup();
    return rc;
}
