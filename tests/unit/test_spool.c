/*
 * test_spool.c - the ingest spool: records come back in order across
 * segments and reopenings, a torn tail is cut, the checkpoint decides what
 * is replayed, and a reader on another thread sees appends as they come.
 */
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ingest/internal.h"
#include "tests/support/testutil.h"

static spool *open_spool(const char *dir, uint64_t seg_bytes) {
    spool *s;
    char err[256];
    if (spool_open(dir, seg_bytes, &s, err, sizeof err) != 0) fail_msg("%s", err);
    return s;
}

static void append_n(spool *s, int from, int to) {
    for (int i = from; i < to; i++) {
        char topic[64], payload[128];
        snprintf(topic, sizeof topic, "park/E%03d/dev/data", i % 7);
        int n = snprintf(payload, sizeof payload, "{\"ts\": %d, \"values\": {\"x\": %d}}", i, i);
        assert_int_equal(spool_append(s, 1000 + i, topic, payload, (size_t)n), 0);
        if (i % 7 == 0) assert_int_equal(spool_flush(s), 0); /* batches of various sizes */
    }
    assert_int_equal(spool_flush(s), 0);
}

/* Reads everything available; checks the records are from, from+1, ... */
static int read_all(spool *s, int from, spool_pos *last) {
    spool_record r;
    int i = from;
    while (spool_read(s, &r, 0) == 1) {
        char topic[64], payload[128];
        snprintf(topic, sizeof topic, "park/E%03d/dev/data", i % 7);
        int n = snprintf(payload, sizeof payload, "{\"ts\": %d, \"values\": {\"x\": %d}}", i, i);
        assert_string_equal(r.topic, topic);
        assert_int_equal(r.len, (size_t)n);
        assert_memory_equal(r.payload, payload, (size_t)n);
        assert_int_equal(r.recv_ms, 1000 + i);
        if (last) *last = r.next;
        i++;
    }
    return i;
}

static void test_order_segments_and_checkpoint(void **state) {
    (void)state;
    char dir[512];
    testutil_tmpdir(dir, sizeof dir, "spool-order");
    spool *s = open_spool(dir, 4096); /* small segments: many rotations */
    append_n(s, 0, 500);
    spool_pos pos;
    assert_int_equal(read_all(s, 0, &pos), 500);
    spool_close(s);

    /* Nothing committed: everything is replayed, then the new appends. */
    s = open_spool(dir, 4096);
    append_n(s, 500, 600);
    spool_pos mid = {0, 0};
    spool_record r;
    for (int i = 0; i < 300; i++) {
        assert_int_equal(spool_read(s, &r, 0), 1);
        mid = r.next;
    }
    assert_int_equal(spool_commit(s, mid), 0);
    assert_int_equal(read_all(s, 300, NULL), 600);
    spool_close(s);

    /* Committed up to 300: replay starts there. */
    s = open_spool(dir, 4096);
    assert_int_equal(read_all(s, 300, &pos), 600);
    assert_int_equal(spool_commit(s, pos), 0);
    spool_close(s);
    s = open_spool(dir, 4096);
    assert_int_equal(spool_read(s, &r, 0), 0); /* all committed */
    spool_close(s);
    testutil_rmtree(dir);
}

/* An idle spool lets go: the writer rolls when the reader asks, the reader
 * moves past the old segment, and a commit there deletes it; what comes
 * next is read, and replayed after a restart, as usual. */
static void test_roll_when_idle(void **state) {
    (void)state;
    char dir[512], path[700];
    testutil_tmpdir(dir, sizeof dir, "spool-roll");
    spool *s = open_spool(dir, 0);
    append_n(s, 0, 40);
    spool_pos pos;
    assert_int_equal(read_all(s, 0, &pos), 40);
    assert_int_equal(spool_commit(s, pos), 0);
    assert_int_equal(spool_roll_if_wanted(s), 0); /* not asked: nothing */
    spool_request_roll(s);
    assert_int_equal(spool_roll_if_wanted(s), 0);
    spool_record r;
    assert_int_equal(spool_read(s, &r, 0), 0);
    spool_pos at = spool_read_pos(s);
    assert_true(at.segment == pos.segment + 1 && at.offset == 0);
    assert_int_equal(spool_commit(s, at), 0);
    snprintf(path, sizeof path, "%s/%016llx.spool", dir, (unsigned long long)pos.segment);
    assert_int_equal(access(path, F_OK), -1);
    append_n(s, 40, 60);
    assert_int_equal(read_all(s, 40, NULL), 60);
    spool_close(s);
    s = open_spool(dir, 0);
    assert_int_equal(read_all(s, 40, NULL), 60); /* not committed: replayed */
    spool_close(s);
    testutil_rmtree(dir);
}

static void test_crc32c_known_value(void **state) {
    (void)state;
    /* The CRC-32C check value (RFC 3720 appendix B.4, "123456789"). */
    assert_int_equal(ingest_crc32c(0, "123456789", 9), 0xE3069283u);
    assert_int_equal(ingest_crc32c(ingest_crc32c(0, "1234", 4), "56789", 5), 0xE3069283u);
}

static void test_torn_tail_cut(void **state) {
    (void)state;
    char dir[512];
    testutil_tmpdir(dir, sizeof dir, "spool-torn");
    spool *s = open_spool(dir, 0);
    append_n(s, 0, 50);
    spool_close(s);
    /* A crash in the middle of write(2): half a record at the end. */
    char path[700];
    snprintf(path, sizeof path, "%s/%016x.spool", dir, 2);
    int fd = open(path, O_WRONLY | O_APPEND);
    assert_true(fd >= 0);
    const char junk[] = {40, 0, 0, 0, 1, 2, 3, 4, 'p', 'a'};
    assert_int_equal(write(fd, junk, sizeof junk), (ssize_t)sizeof junk);
    close(fd);
    s = open_spool(dir, 0);
    assert_int_equal(spool_damaged(s), 1);
    append_n(s, 50, 60);
    assert_int_equal(read_all(s, 0, NULL), 60);
    spool_close(s);
    testutil_rmtree(dir);
}

typedef struct reader_arg {
    spool *s;
    int got;
} reader_arg;

static void *reader(void *p) {
    reader_arg *a = p;
    spool_record r;
    while (a->got < 20000) {
        int rc = spool_read(a->s, &r, 1000);
        if (rc < 0) break;
        if (rc == 1) {
            int x;
            if (sscanf((const char *)r.payload, "{\"ts\": %d", &x) != 1 || x != a->got) break;
            a->got++;
        }
    }
    return NULL;
}

static void test_concurrent_reader(void **state) {
    (void)state;
    char dir[512];
    testutil_tmpdir(dir, sizeof dir, "spool-conc");
    spool *s = open_spool(dir, 64 * 1024);
    reader_arg a = {s, 0};
    pthread_t t;
    pthread_create(&t, NULL, reader, &a);
    append_n(s, 0, 20000);
    assert_int_equal(spool_sync(s), 0);
    pthread_join(t, NULL);
    assert_int_equal(a.got, 20000);
    assert_int_equal(spool_backlog_bytes(s), 0);
    spool_close(s);
    testutil_rmtree(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_segments_and_checkpoint),
        cmocka_unit_test(test_roll_when_idle),
        cmocka_unit_test(test_crc32c_known_value),
        cmocka_unit_test(test_torn_tail_cut),
        cmocka_unit_test(test_concurrent_reader),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
