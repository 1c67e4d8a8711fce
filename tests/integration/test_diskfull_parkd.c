/*
 * test_diskfull_parkd.c - parkd on a disk that fills up while parksim
 * streams through a real broker: parkd stops acknowledging (or holds
 * ingest), says why in /healthz, /api/v1/ingest/status and its log, keeps
 * running, and once the disk has room again carries on by itself; in the
 * end every reading the broker acknowledged to parksim is in the
 * historian, once. The data directory is a small tmpfs the test mounts
 * (root, as in CI); without the right to mount the test is skipped (77).
 */
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cmocka.h>

#include "historian/historian.h"
#include "common/kit/httpclient.h"
#include "tests/support/ledger.h"
#include "tests/support/park.h"
#include "tests/support/tmpfs.h"

static json_t *get_json(int port, const char *path, const char *token, int *status) {
    http_resp r;
    assert_int_equal(http_get(port, path, token, &r), 0);
    *status = r.status;
    json_t *j = json_loadb(r.body, r.body_len, 0, NULL);
    http_resp_free(&r);
    return j;
}

static const char *health(int port, int *status) {
    static char out[32];
    json_t *j = get_json(port, "/healthz", NULL, status);
    snprintf(out, sizeof out, "%s", j ? json_string_value(json_object_get(j, "status")) : "?");
    json_decref(j);
    return out;
}

static void test_disk_fills_and_frees(void **state) {
    (void)state;
    park p = {0};
    char disk[540], filler[800], ledger[700], simout[700], extra[256], tokens[800];
    testutil_tmpdir(p.dir, sizeof p.dir, "diskfull-parkd");
    snprintf(disk, sizeof disk, "%s/disk", p.dir);
    assert_int_equal(mkdir(disk, 0700), 0);
    assert_int_equal(tmpfs_mount(disk, "size=96m,mode=0700"), 0);
    snprintf(p.data, sizeof p.data, "%s/data", disk);
    snprintf(p.stats, sizeof p.stats, "%s/stats.json", p.dir);
    snprintf(p.config, sizeof p.config, "%s/parkd.json", p.dir);
    snprintf(p.log, sizeof p.log, "%s/parkd.log", p.dir);
    snprintf(filler, sizeof filler, "%s/filler", disk);
    snprintf(ledger, sizeof ledger, "%s/ledger.txt", p.dir);
    snprintf(simout, sizeof simout, "%s/parksim.out", p.dir);
    snprintf(tokens, sizeof tokens, "%s/tokens.json", p.data);
    int api = proc_free_port();
    snprintf(extra, sizeof extra, " \"api\": {\"listen\": \"127.0.0.1:%d\"},\n", api);
    p.extra = extra;
    p.port = proc_free_port();
    p.broker = proc_start_broker(p.dir, p.port); /* its persistence is off the small disk */
    assert_true(p.broker > 0 && proc_port_open(p.port));
    write_config(&p, NULL);
    start_parkd(&p);
    for (int i = 0; i < 500 && !proc_port_open(api); i++) proc_sleep_ms(10);
    char token[128];
    park_token(&p, tokens, "admin", NULL, "ops", token, sizeof token);

    pid_t sim = park_parksim(&p, ledger, simout, "json", "20", "40");
    assert_true(sim > 0);
    wait_messages(&p, 200);
    int status;
    assert_string_equal(health(api, &status), "ok");

    /* The disk fills up. */
    struct statvfs v;
    assert_int_equal(statvfs(disk, &v), 0);
    int fd = open(filler, O_WRONLY | O_CREAT, 0600);
    assert_true(fd >= 0);
    /* All but 4 MiB at once (parkd writes meanwhile: asking for all the
     * free space could fail), then the rest block by block. */
    uint64_t room = (uint64_t)v.f_bavail * v.f_frsize;
    if (room > (4u << 20)) assert_int_equal(posix_fallocate(fd, 0, (off_t)(room - (4u << 20))), 0);
    for (off_t more = 1 << 20; more >= 4096; more /= 2) /* every last block */
        while (posix_fallocate(fd, lseek(fd, 0, SEEK_END), more) == 0) lseek(fd, 0, SEEK_END);
    close(fd);
    const char *h = "ok";
    for (int i = 0; i < 300 && strcmp(h, "blocked"); i++) {
        h = health(api, &status);
        if (strcmp(h, "blocked")) proc_sleep_ms(100);
    }
    assert_string_equal(h, "blocked");
    assert_int_equal(status, 503);
    json_t *st = get_json(api, "/api/v1/ingest/status", token, &status);
    assert_int_equal(status, 200);
    json_t *storage = json_object_get(st, "storage");
    json_t *problems = json_object_get(storage, "problems");
    assert_true(json_array_size(problems) >= 1);
    const char *why = json_string_value(json_object_get(json_array_get(problems, 0), "error"));
    assert_non_null(why);
    assert_non_null(strstr(why, "No space left on device"));
    fprintf(stderr, "blocked: %s (acknowledging: %s)\n", why,
            json_is_true(json_object_get(storage, "acknowledging")) ? "yes" : "no");
    json_decref(st);
    long long acked_full = stat_of(&p, "messages");
    proc_sleep_ms(3000); /* held up, not dead */
    assert_int_equal(kill(p.parkd, 0), 0);
    assert_string_equal(health(api, &status), "blocked");
    char *log = proc_read_file(p.log);
    assert_non_null(log);
    assert_non_null(strstr(log, "No space left on device"));
    free(log);

    /* Room again: it carries on by itself. */
    assert_int_equal(unlink(filler), 0);
    for (int i = 0; i < 300 && strcmp(h, "ok"); i++) {
        h = health(api, &status);
        if (strcmp(h, "ok")) proc_sleep_ms(100);
    }
    assert_string_equal(h, "ok");
    assert_true(stat_of(&p, "messages") >= acked_full);
    assert_int_equal(proc_wait(sim, 120), 0);
    long long published = 0;
    char *out = proc_read_file(simout);
    if (out && strstr(out, "\"messages\": ")) published = atoll(strstr(out, "\"messages\": ") + 12);
    free(out);
    for (int i = 0; i < 3000 && stat_of(&p, "spool_backlog_bytes") > 0; i++) proc_sleep_ms(10);
    assert_int_equal(proc_stop(p.parkd, SIGTERM), 0);
    p.parkd = 0;

    hist *hs = open_historian(&p);
    ledger_result r = check_ledger(hs, ledger);
    close_historian(hs);
    fprintf(stderr,
            "{\"readings_acked\": %zu, \"lost\": %zu, \"mismatched\": %zu, \"duplicated\": %zu, "
            "\"parksim_messages\": %lld}\n",
            r.readings, r.lost, r.mismatched, r.duplicated, published);
    assert_true(r.readings > 0);
    assert_int_equal(r.lost, 0);
    assert_int_equal(r.mismatched, 0);
    assert_int_equal(r.duplicated, 0);
    log = proc_read_file(p.log); /* what parkd said, for the record */
    for (char *l = log ? strtok(log, "\n") : NULL; l; l = strtok(NULL, "\n"))
        if (strstr(l, "space") || strstr(l, "storage") || strstr(l, "spool takes"))
            fprintf(stderr, "  parkd: %s\n", l);
    free(log);
    park_down(&p);
    assert_int_equal(tmpfs_unmount(disk), 0);
    testutil_rmtree(p.dir);
}

int main(void) {
    /* A filesystem that can fill up needs a mount: root (as in CI) only. */
    if (!tmpfs_allowed("test_diskfull_parkd")) return 77;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_disk_fills_and_frees),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
