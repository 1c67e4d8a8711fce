/*
 * test_events_crash.c - the event store's writer SIGKILLed mid-writes,
 * again and again: every batch acknowledged before the kill is there after
 * reopening, whole and exactly once; the batch in flight is there whole
 * or not at all; sequence numbers never repeat across the restarts.
 *
 * The writer is this program re-executed as a child ("--child DIR FD
 * ROUND"): a fresh process, not a fork of one that has had RocksDB's
 * threads. After each ev_append returns it writes the batch number on the
 * pipe FD. Without ev_options.sync: RocksDB's log reaches the kernel at
 * each append, which is what a killed process (not a lost machine) needs.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "events/events.h"
#include "tests/support/testutil.h"

#define T0        1765065600000LL
#define PER_BATCH 4
#define ROUNDS    6
#define ROUND_GAP 100000000LL /* ms between the rounds' times */

static const char *self_path;

/* Batch b of round r: PER_BATCH events, the later ones earlier in time. */
static void make_batch(uint32_t r, uint32_t b, ev_record *recs, char bodies[][64],
                       char ents[][2][32]) {
    for (int i = 0; i < PER_BATCH; i++) {
        ev_record *e = &recs[i];
        memset(e, 0, sizeof *e);
        e->ts_ms = T0 + r * ROUND_GAP + (int64_t)b * 10 - i * 3;
        e->kind = "crash";
        e->enterprise = "E001";
        snprintf(ents[i][0], 32, "vehicle:V%d", i);
        snprintf(ents[i][1], 32, "gate:G%u", b % 3);
        e->entities[0] = ents[i][0], e->entities[1] = ents[i][1], e->n_entities = 2;
        snprintf(bodies[i], 64, "{\"r\":%u,\"b\":%u,\"i\":%d}", r, b, i);
        e->body = bodies[i], e->body_len = strlen(bodies[i]);
        e->state_of_first = i == 0;
    }
}

static int child_main(const char *dir, int fd, uint32_t round) {
    ev_store *s;
    char err[256];
    if (ev_open(dir, NULL, &s, err, sizeof err) != EV_OK) {
        fprintf(stderr, "child: open: %s\n", err);
        return 2;
    }
    ev_record recs[PER_BATCH];
    char bodies[PER_BATCH][64], ents[PER_BATCH][2][32];
    for (uint32_t b = 0;; b++) {
        make_batch(round, b, recs, bodies, ents);
        if (ev_append(s, recs, PER_BATCH, NULL, err, sizeof err) != EV_OK) {
            fprintf(stderr, "child: append: %s\n", err);
            return 4;
        }
        if (write(fd, &b, sizeof b) != sizeof b) return 5;
    }
}

/* What the store holds after round `round` was killed with acked[round]
 * batches acknowledged: checked against every earlier round too. */
static void verify(const char *dir, int round, const uint32_t *acked, uint64_t *max_seq) {
    ev_store *s;
    char err[256];
    if (ev_open(dir, NULL, &s, err, sizeof err) != EV_OK) fail_msg("reopen: %s", err);
    ev_list l;
    assert_int_equal(ev_query_time(s, 0, INT64_MAX, NULL, 5000000, &l, err, sizeof err), EV_OK);
    assert_false(l.truncated);
    /* per round, per batch: how many of its events, and their seqs */
    uint32_t cap = 0;
    for (int r = 0; r <= round; r++) cap = acked[r] + 2 > cap ? acked[r] + 2 : cap;
    uint8_t *seen = calloc((size_t)(round + 1) * cap, 1);
    uint64_t round_min[ROUNDS] = {0}, round_max[ROUNDS] = {0};
    size_t per_vehicle[PER_BATCH] = {0};
    for (size_t k = 0; k < l.n; k++) {
        const ev_event *e = &l.v[k];
        unsigned r, b;
        int i;
        if (sscanf(e->body, "{\"r\":%u,\"b\":%u,\"i\":%d}", &r, &b, &i) != 3 || (int)r > round ||
            b >= cap || i < 0 || i >= PER_BATCH)
            fail_msg("event %llu: unexpected body %s", (unsigned long long)e->seq, e->body);
        /* the event is the one written, field by field */
        ev_record want[PER_BATCH];
        char bodies[PER_BATCH][64], ents[PER_BATCH][2][32];
        make_batch(r, b, want, bodies, ents);
        assert_int_equal(e->ts_ms, want[i].ts_ms);
        assert_string_equal(e->kind, "crash");
        assert_string_equal(e->enterprise, "E001");
        assert_int_equal(e->n_entities, 2);
        assert_string_equal(e->entities[0], ents[i][0]);
        assert_string_equal(e->entities[1], ents[i][1]);
        assert_int_equal(e->state_of_first, i == 0);
        seen[(size_t)r * cap + b]++;
        per_vehicle[i]++;
        if (!round_min[r] || e->seq < round_min[r]) round_min[r] = e->seq;
        if (e->seq > round_max[r]) round_max[r] = e->seq;
        if (e->seq > *max_seq) *max_seq = e->seq;
    }
    for (int r = 0; r <= round; r++) {
        for (uint32_t b = 0; b < cap; b++) {
            uint8_t n = seen[(size_t)r * cap + b];
            if (b < acked[r] && n != PER_BATCH)
                fail_msg("round %d batch %u acknowledged: %u of %d events", r, b, n, PER_BATCH);
            if (b == acked[r] && n != 0 && n != PER_BATCH)
                fail_msg("round %d batch %u in flight: %u of %d events", r, b, n, PER_BATCH);
            if (b > acked[r] && n) fail_msg("round %d batch %u never written: %u events", r, b, n);
        }
        /* numbers of a later run are above every earlier one */
        if (r > 0) assert_true(round_min[r] > round_max[r - 1]);
    }
    /* the entity order holds the same events */
    for (int i = 0; i < PER_BATCH; i++) {
        char ent[32];
        ev_list v;
        snprintf(ent, sizeof ent, "vehicle:V%d", i);
        assert_int_equal(ev_query_entity(s, ent, 0, INT64_MAX, 5000000, &v, err, sizeof err),
                         EV_OK);
        assert_int_equal(v.n, per_vehicle[i]);
        for (size_t k = 1; k < v.n; k++) assert_true(v.v[k - 1].ts_ms <= v.v[k].ts_ms);
        ev_list_free(&v);
    }
    free(seen);
    ev_list_free(&l);
    ev_close(s);
}

static void test_sigkill_loses_no_acknowledged_event(void **state) {
    (void)state;
    char dir[512];
    testutil_tmpdir(dir, sizeof dir, "events-crash");
    uint64_t rng = (uint64_t)time(NULL) | 1;
    fprintf(stderr, "events crash test seed %llu\n", (unsigned long long)rng);
    uint32_t acked[ROUNDS] = {0};
    uint64_t max_seq = 0;
    for (int round = 0; round < ROUNDS; round++) {
        int p[2];
        assert_int_equal(pipe(p), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(p[0]);
            char fd[16], r[16];
            snprintf(fd, sizeof fd, "%d", p[1]);
            snprintf(r, sizeof r, "%d", round);
            execl(self_path, self_path, "--child", dir, fd, r, (char *)NULL);
            _exit(127);
        }
        close(p[1]);
        uint32_t want = 100 + (uint32_t)(testutil_rand(&rng) % 1500), got = 0, b;
        bool have = false;
        uint32_t last = 0;
        while (got < want && read(p[0], &b, sizeof b) == sizeof b) last = b, have = true, got++;
        /* inside the next appends, not at an acknowledgement */
        usleep((useconds_t)(testutil_rand(&rng) % 3000));
        kill(pid, SIGKILL);
        while (read(p[0], &b, sizeof b) == sizeof b) last = b, have = true;
        close(p[0]);
        int status;
        waitpid(pid, &status, 0);
        assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        assert_true(have);
        acked[round] = last + 1;
        uint64_t before = max_seq;
        verify(dir, round, acked, &max_seq);
        assert_true(max_seq >= before + (uint64_t)acked[round] * PER_BATCH);
    }
    testutil_rmtree(dir);
}

int main(int argc, char **argv) {
    if (argc == 5 && !strcmp(argv[1], "--child"))
        return child_main(argv[2], atoi(argv[3]), (uint32_t)atoi(argv[4]));
    self_path = "/proc/self/exe";
    static char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) exe[n] = 0, self_path = exe;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sigkill_loses_no_acknowledged_event),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
