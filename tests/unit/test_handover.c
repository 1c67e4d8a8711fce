/*
 * test_handover.c - shift handover records: signed, refused with a reason,
 * accepted by another officer, one open record per scope, and every
 * answer still there after a reopen (a torn last line skipped).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "handover/handover.h"
#include "tests/support/testutil.h"

#define T0 1767225600000LL
#define H  3600000LL

static handover_store *open_ok(const char *dir) {
    handover_store *s;
    char err[256];
    if (handover_open(dir, &s, err, sizeof err) != 0) fail_msg("%s", err);
    return s;
}

static bool only_e001(void *ctx, const char *scope) {
    (void)ctx;
    return !strcmp(scope, "E001");
}

static void test_sign_answer_reopen(void **state) {
    (void)state;
    char dir[512], err[256];
    testutil_tmpdir(dir, sizeof dir, "handover");
    handover_store *s = open_ok(dir);
    const char *snap = "{\"open_alarms\": [{\"rule\": 7}], \"overdue_hazards\": []}";
    uint64_t a, b, c;
    assert_int_equal(handover_sign(s, "E001", "wang (day)", snap,
                                   "T101 level transmitter "
                                   "replaced",
                                   T0, &a, err, sizeof err),
                     0);
    /* one open record per scope; other scopes are free */
    assert_int_equal(handover_sign(s, "E001", "wang (day)", snap, "", T0 + 1, &b, err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "still open"));
    assert_int_equal(handover_sign(s, "", "li (park)", "{}", "", T0 + 2, &b, err, sizeof err), 0);
    /* bad input: not an object, no name, too long notes */
    assert_int_equal(handover_sign(s, "E002", "x", "[1]", "", T0, &c, err, sizeof err), -1);
    assert_int_equal(handover_sign(s, "E002", "", "{}", "", T0, &c, err, sizeof err), -1);
    char big[HANDOVER_MAX_NOTES + 2];
    memset(big, 'n', sizeof big - 1);
    big[sizeof big - 1] = 0;
    assert_int_equal(handover_sign(s, "E002", "x", "{}", big, T0, &c, err, sizeof err), -1);
    /* a refusal needs a reason; the outgoing officer cannot answer */
    assert_int_equal(handover_answer(s, a, "zhao (night)", false, "", T0 + H, err, sizeof err), -1);
    assert_int_equal(handover_answer(s, a, "wang (day)", true, "", T0 + H, err, sizeof err), -1);
    assert_non_null(strstr(err, "must not be the outgoing"));
    assert_int_equal(handover_answer(s, a, "zhao (night)", false, "T102 alarm cause unclear",
                                     T0 + H, err, sizeof err),
                     0);
    assert_int_equal(handover_answer(s, a, "zhao (night)", true, "", T0 + H, err, sizeof err),
                     -1); /* answered already */
    /* refused: the scope is free for a corrected record, then accepted */
    assert_int_equal(handover_sign(s, "E001", "wang (day)", snap,
                                   "T102: a sensor fault, ticket "
                                   "raised",
                                   T0 + H + 1, &c, err, sizeof err),
                     0);
    assert_int_equal(handover_answer(s, c, "zhao (night)", true, "ok", T0 + H + 2, err, sizeof err),
                     0);
    assert_int_equal(handover_answer(s, 99, "zhao (night)", true, "", T0, err, sizeof err), -1);
    handover_close(s);

    /* a torn last line (a crash mid-write) does not hide the others */
    char path[600];
    snprintf(path, sizeof path, "%s/handovers.jsonl", dir);
    FILE *f = fopen(path, "a");
    assert_non_null(f);
    fputs("{\"id\": 3, \"scope\": \"E0", f);
    fclose(f);
    s = open_ok(dir);
    handover_record r;
    assert_int_equal(handover_get(s, a, &r), 0);
    assert_int_equal(r.state, HANDOVER_REFUSED);
    assert_string_equal(r.incoming, "zhao (night)");
    assert_string_equal(r.answer, "T102 alarm cause unclear");
    assert_string_equal(r.snapshot, snap);
    assert_true(r.signed_ms == T0 && r.answered_ms == T0 + H);
    handover_free(&r);
    assert_int_equal(handover_get(s, c, &r), 0);
    assert_int_equal(r.state, HANDOVER_ACCEPTED);
    assert_string_equal(r.outgoing, "wang (day)");
    handover_free(&r);
    assert_int_equal(handover_get(s, b, &r), 0);
    assert_int_equal(r.state, HANDOVER_OPEN);
    handover_free(&r);
    /* ids go on after the reopen */
    uint64_t d;
    assert_int_equal(handover_sign(s, "E003", "sun", "{}", "", T0 + 2 * H, &d, err, sizeof err), 0);
    assert_int_equal(d, 4);
    /* lists: newest first, by time and scope */
    handover_record *v;
    size_t n;
    assert_int_equal(handover_list(s, 0, INT64_MAX, NULL, NULL, 100, &v, &n), 0);
    assert_int_equal(n, 4);
    assert_true(v[0].id == 4 && v[3].id == 1);
    handover_list_free(v, n);
    assert_int_equal(handover_list(s, 0, INT64_MAX, only_e001, NULL, 100, &v, &n), 0);
    assert_int_equal(n, 2);
    assert_true(v[0].id == c && v[1].id == a);
    handover_list_free(v, n);
    assert_int_equal(handover_list(s, T0 + H, T0 + 2 * H, NULL, NULL, 100, &v, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(v[0].id, c);
    handover_list_free(v, n);
    handover_close(s);
    testutil_rmtree(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sign_answer_reopen),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
