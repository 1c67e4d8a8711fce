/*
 * test_ingest_states.c - the ingest thread's BLOCKED -> RETRYING -> RUNNING
 * road (ingest/service.c): the service in-process, no broker (submitted
 * messages do not need one), the historian on a small tmpfs that fills up
 * and frees. While storage refuses writes, ingest says so (store_blocked)
 * and refuses new submissions; once space is back it resumes, stores what
 * waited and stops cleanly. Built in Debug, the state assertions run too.
 * Root only (a mount); skipped otherwise.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/clock.h"
#include "historian/historian.h"
#include "ingest/ingest.h"
#include "tests/support/testutil.h"
#include "tests/support/tmpfs.h"

/* A message of 200 readings of E001 at ts. */
static int submit(ingest_service *svc, int64_t ts, int timeout_ms, char *err, size_t errcap) {
    static char p[16384];
    size_t n = (size_t)snprintf(p, sizeof p, "{\"ts\": %" PRId64 ", \"values\": {", ts);
    for (int i = 0; i < 200; i++)
        n += (size_t)snprintf(p + n, sizeof p - n, "%s\"v%03d\": %d.25", i ? ", " : "", i, i);
    snprintf(p + n, sizeof p - n, "}}");
    ingest_submit_result res;
    return ingest_service_submit(svc, "park/E001/dev-1/data", p, strlen(p), timeout_ms, &res, err,
                                 errcap);
}

static void test_blocked_retry_resume(void **state) {
    (void)state;
    char dir[512], hdir[600], spool[600], filler[600], err[512];
    testutil_tmpdir(dir, sizeof dir, "ingest-states");
    assert_int_equal(tmpfs_mount(dir, "size=24m,mode=0700"), 0);
    snprintf(hdir, sizeof hdir, "%s/historian", dir);
    snprintf(filler, sizeof filler, "%s/filler", dir);
    char sdir[512];
    testutil_tmpdir(sdir, sizeof sdir, "ingest-states-spool"); /* off the tmpfs */
    snprintf(spool, sizeof spool, "%s/spool", sdir);

    hist *h;
    hist_error he;
    hist_options ho;
    hist_options_default(&ho);
    ho.sync = HIST_SYNC_NONE; /* as parkd */
    if (hist_open(hdir, &ho, &h, &he) != HIST_OK) fail_msg("hist_open: %s", he.msg);
    ingest_enterprise ent = {.id = "E001"};
    ingest_service_options o;
    memset(&o, 0, sizeof o);
    ingest_options_default(&o.pipeline);
    o.pipeline.historian = h;
    o.pipeline.enterprises = &ent;
    o.pipeline.n_enterprises = 1;
    o.spool_dir = spool;
    o.host = "127.0.0.1";
    o.port = 9; /* nobody: the network thread retries, submissions go on */
    o.client_id = "parkd-test-states";
    o.sync_interval_ms = 20;
    ingest_service *svc;
    if (ingest_service_start(&o, &svc, err, sizeof err) != 0) fail_msg("start: %s", err);

    int64_t ts = pw_wall_ms() - 3600000;
    assert_int_equal(submit(svc, ts++, 10000, err, sizeof err), 0);

    /* The disk fills: ingest blocks (RUNNING -> BLOCKED, then RETRYING and
     * BLOCKED again while it stays full). */
    int fd = open(filler, O_WRONLY | O_CREAT, 0600);
    assert_true(fd >= 0);
    if (tmpfs_fill_but(dir, fd, 4096) != 0) fail_msg("could not fill the tmpfs");
    ingest_service_stats ss = {0};
    int64_t until = pw_mono_ms() + 30000;
    while (pw_mono_ms() < until) {
        submit(svc, ts++, 200, err, sizeof err);
        ingest_service_get_stats(svc, &ss);
        if (ss.store_blocked) break;
    }
    assert_true(ss.store_blocked);
    assert_false(ss.failed);
    pw_sleep_ms(1500); /* a few retries */
    ingest_service_get_stats(svc, &ss);
    assert_true(ss.store_blocked);
    assert_true(ss.store_retries >= 1);
    assert_int_equal(submit(svc, ts++, 1000, err, sizeof err), -1);
    assert_non_null(strstr(err, "blocked:"));

    /* Space is back: the next retry goes through (RETRYING -> RUNNING). */
    close(fd);
    assert_int_equal(unlink(filler), 0);
    until = pw_mono_ms() + 30000;
    while (pw_mono_ms() < until) {
        ingest_service_get_stats(svc, &ss);
        if (!ss.store_blocked) break;
        pw_sleep_ms(50);
    }
    assert_false(ss.store_blocked);
    assert_int_equal(submit(svc, ts++, 10000, err, sizeof err), 0);
    ingest_service_get_stats(svc, &ss);
    assert_false(ss.failed);

    /* A clean stop (RUNNING -> DRAINING -> STOPPED), nothing left behind. */
    assert_int_equal(ingest_service_stop(svc), 0);
    ingest_service_get_stats(svc, &ss);
    assert_int_equal(ss.spool_backlog_bytes, 0);
    ingest_service_free(svc);
    assert_int_equal(hist_close(h, &he), HIST_OK);
    assert_int_equal(tmpfs_unmount(dir), 0);
    testutil_rmtree(dir);
    testutil_rmtree(sdir);
}

int main(void) {
    if (!tmpfs_allowed("test_ingest_states")) return 77;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_blocked_retry_resume),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
