/*
 * test_hazards.c - the hidden-hazard register: every step allowed and
 * refused by state, by actor and by enterprise; the verifier is not the
 * rectifier; assignees of the hazard's enterprise only; deadlines in the
 * future; evidence refused (too large, wrong type) with nothing stored and
 * a good one stored by hash; overdue and supervision; statistics; lists
 * with filters and cursors; the journal replayed at a past time; reopen.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/sha256.h"
#include "hazards/hazards.h"
#include "tests/support/testutil.h"

#define T0 1700000000000LL
#define H  3600000LL

static const hazard_actor park = {HAZARD_ACTOR_PARK, "op-wang", NULL};
static const hazard_actor park2 = {HAZARD_ACTOR_PARK, "op-chen", NULL};
static const hazard_actor e1 = {HAZARD_ACTOR_ENTERPRISE, "e001-safety", "E001"};
static const hazard_actor e2 = {HAZARD_ACTOR_ENTERPRISE, "e002-safety", "E002"};
static const hazard_actor reg = {HAZARD_ACTOR_REGULATOR, "regulator-liu", NULL};

typedef struct fixture {
    char dir[512];
    people *people;
    hazards *hz;
} fixture;

static void open_hz(fixture *f, size_t max_attach) {
    hazards_options o = {.dir = f->dir, .people = f->people, .max_attachment_bytes = max_attach};
    char err[256];
    assert_int_equal(hazards_open(&o, &f->hz, err, sizeof err), HAZARD_OK);
}

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    testutil_tmpdir(f->dir, sizeof f->dir, "hazards");
    json_t *a = json_loads("[{\"id\":\"e001-zhang\",\"name\":\"N\",\"enterprise\":\"E001\"},"
                           "{\"id\":\"e001-li\",\"name\":\"N\",\"enterprise\":\"E001\"},"
                           "{\"id\":\"e002-zhao\",\"name\":\"N\",\"enterprise\":\"E002\"},"
                           "{\"id\":\"park-sun\",\"name\":\"N\"}]",
                           0, NULL);
    char err[256];
    assert_int_equal(people_load(a, &f->people, err, sizeof err), 0);
    json_decref(a);
    open_hz(f, 1000);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    hazards_close(f->hz);
    people_free(f->people);
    testutil_rmtree(f->dir);
    free(f);
    return 0;
}

static uint64_t report(hazards *hz, const hazard_actor *who, const char *ent, const char *title,
                       uint32_t criteria, int64_t now) {
    hazard_report r = {.enterprise = ent, .title = title, .criteria = criteria};
    uint64_t id = 0;
    char err[256];
    assert_int_equal(hazards_report(hz, who, &r, now, &id, err, sizeof err), HAZARD_OK);
    return id;
}

static hazard_status act(hazards *hz, const hazard_actor *who, uint64_t id, hazard_action a,
                         const char *assignee, int64_t deadline, const char *note, int64_t now,
                         char *err) {
    hazard_step s = {.action = a, .assignee = assignee, .deadline_ms = deadline, .note = note};
    return hazards_act(hz, who, id, &s, now, err, 256);
}

static const char *state_of(hazards *hz, uint64_t id, int64_t at, int64_t now) {
    static char out[32];
    json_t *rec;
    char err[256];
    if (hazards_get(hz, &park, id, at, now, &rec, err, sizeof err) != HAZARD_OK) return "none";
    snprintf(out, sizeof out, "%s", json_string_value(json_object_get(rec, "state")));
    json_decref(rec);
    return out;
}

static void test_lifecycle(void **state) {
    fixture *f = *state;
    char err[256];
    uint64_t id = report(f->hz, &e1, "E001", "Flange leak at T101", 0, T0);
    assert_int_equal(id, 1);
    assert_string_equal(state_of(f->hz, id, -1, T0), "reported");
    /* out of order: nothing before assignment */
    assert_int_equal(act(f->hz, &park, id, HAZARD_ACT_RECTIFY, NULL, 0, NULL, T0 + 1, err),
                     HAZARD_ESTATE);
    assert_non_null(strstr(err, "assign it first"));
    assert_int_equal(act(f->hz, &park, id, HAZARD_ACT_VERIFY, NULL, 0, NULL, T0 + 1, err),
                     HAZARD_ESTATE);
    assert_int_equal(act(f->hz, &park, id, HAZARD_ACT_CLOSE, NULL, 0, NULL, T0 + 1, err),
                     HAZARD_ESTATE);
    assert_non_null(strstr(err, "not verified"));
    /* assignee of another enterprise, of the park, unknown, none: refused */
    assert_int_equal(act(f->hz, &park, id, HAZARD_ACT_ASSIGN, "e002-zhao", 0, NULL, T0 + 1, err),
                     HAZARD_EINVAL);
    assert_non_null(strstr(err, "assignee"));
    assert_int_equal(act(f->hz, &park, id, HAZARD_ACT_ASSIGN, "park-sun", 0, NULL, T0 + 1, err),
                     HAZARD_EINVAL);
    assert_int_equal(act(f->hz, &park, id, HAZARD_ACT_ASSIGN, "nobody", 0, NULL, T0 + 1, err),
                     HAZARD_EINVAL);
    assert_int_equal(act(f->hz, &park, id, HAZARD_ACT_ASSIGN, NULL, 0, NULL, T0 + 1, err),
                     HAZARD_EINVAL);
    /* a deadline not in the future */
    assert_int_equal(act(f->hz, &park, id, HAZARD_ACT_ASSIGN, "e001-zhang", T0, NULL, T0 + 1, err),
                     HAZARD_EINVAL);
    assert_non_null(strstr(err, "deadline_ms"));
    assert_string_equal(state_of(f->hz, id, -1, T0), "reported");
    assert_int_equal(
        act(f->hz, &e1, id, HAZARD_ACT_ASSIGN, "e001-zhang", T0 + 10 * H, NULL, T0 + H, err),
        HAZARD_OK);
    /* reassigned before rectification */
    assert_int_equal(
        act(f->hz, &park, id, HAZARD_ACT_ASSIGN, "e001-li", T0 + 10 * H, NULL, T0 + 2 * H, err),
        HAZARD_OK);
    assert_int_equal(act(f->hz, &park, id, HAZARD_ACT_VERIFY, NULL, 0, NULL, T0 + 2 * H, err),
                     HAZARD_ESTATE);
    assert_int_equal(
        act(f->hz, &e1, id, HAZARD_ACT_RECTIFY, NULL, 0, "new gasket", T0 + 3 * H, err), HAZARD_OK);
    /* no reassignment once rectified */
    assert_int_equal(
        act(f->hz, &park, id, HAZARD_ACT_ASSIGN, "e001-zhang", T0 + 10 * H, NULL, T0 + 3 * H, err),
        HAZARD_ESTATE);
    assert_int_equal(act(f->hz, &park, id, HAZARD_ACT_CLOSE, NULL, 0, NULL, T0 + 3 * H, err),
                     HAZARD_ESTATE);
    /* the rectifier cannot verify nor reject their own work */
    assert_int_equal(act(f->hz, &e1, id, HAZARD_ACT_VERIFY, NULL, 0, NULL, T0 + 4 * H, err),
                     HAZARD_EFORBIDDEN);
    assert_non_null(strstr(err, "rectifier"));
    assert_int_equal(act(f->hz, &e1, id, HAZARD_ACT_REJECT, NULL, 0, "no", T0 + 4 * H, err),
                     HAZARD_EFORBIDDEN);
    /* a rejection needs its reason; then back to assigned */
    assert_int_equal(act(f->hz, &park, id, HAZARD_ACT_REJECT, NULL, 0, NULL, T0 + 4 * H, err),
                     HAZARD_EINVAL);
    assert_int_equal(
        act(f->hz, &park, id, HAZARD_ACT_REJECT, NULL, 0, "still weeping", T0 + 4 * H, err),
        HAZARD_OK);
    assert_string_equal(state_of(f->hz, id, -1, T0), "assigned");
    assert_int_equal(
        act(f->hz, &e1, id, HAZARD_ACT_RECTIFY, NULL, 0, "gasket and bolts", T0 + 5 * H, err),
        HAZARD_OK);
    assert_int_equal(act(f->hz, &park, id, HAZARD_ACT_VERIFY, NULL, 0, "ok", T0 + 6 * H, err),
                     HAZARD_OK);
    assert_int_equal(act(f->hz, &park, id, HAZARD_ACT_VERIFY, NULL, 0, "ok", T0 + 6 * H, err),
                     HAZARD_ESTATE);
    assert_int_equal(act(f->hz, &e1, id, HAZARD_ACT_CLOSE, NULL, 0, NULL, T0 + 7 * H, err),
                     HAZARD_OK);
    assert_int_equal(act(f->hz, &e1, id, HAZARD_ACT_CLOSE, NULL, 0, NULL, T0 + 7 * H, err),
                     HAZARD_ESTATE);
    assert_int_equal(act(f->hz, &reg, id, HAZARD_ACT_SUPERVISE, NULL, 0, "x", T0 + 7 * H, err),
                     HAZARD_ESTATE);
    json_t *rec;
    assert_int_equal(hazards_get(f->hz, &e1, id, -1, T0 + 100 * H, &rec, err, sizeof err),
                     HAZARD_OK);
    assert_string_equal(json_string_value(json_object_get(rec, "assignee")), "e001-li");
    assert_string_equal(json_string_value(json_object_get(rec, "rectifier")), "e001-safety");
    assert_string_equal(json_string_value(json_object_get(rec, "verifier")), "op-wang");
    assert_string_equal(json_string_value(json_object_get(rec, "rejection")), "still weeping");
    assert_int_equal(json_integer_value(json_object_get(rec, "closed_ms")), T0 + 7 * H);
    assert_false(json_is_true(json_object_get(rec, "overdue"))); /* closed: never overdue */
    json_decref(rec);
}

static void test_roles_and_enterprises(void **state) {
    fixture *f = *state;
    char err[256];
    hazard_report r = {.enterprise = "E001", .title = "x"};
    uint64_t id;
    assert_int_equal(hazards_report(f->hz, &reg, &r, T0, &id, err, sizeof err), HAZARD_EFORBIDDEN);
    assert_int_equal(hazards_report(f->hz, &e2, &r, T0, &id, err, sizeof err), HAZARD_EFORBIDDEN);
    r.title = "";
    assert_int_equal(hazards_report(f->hz, &e1, &r, T0, &id, err, sizeof err), HAZARD_EINVAL);
    assert_non_null(strstr(err, "title"));
    r.title = "x", r.enterprise = "E 1";
    assert_int_equal(hazards_report(f->hz, &park, &r, T0, &id, err, sizeof err), HAZARD_EINVAL);
    r.enterprise = "E001", r.criteria = 1u << 21;
    assert_int_equal(hazards_report(f->hz, &park, &r, T0, &id, err, sizeof err), HAZARD_EINVAL);
    assert_non_null(strstr(err, "criteria"));
    r.criteria = 0, r.has_position = true, r.lon = 200;
    assert_int_equal(hazards_report(f->hz, &park, &r, T0, &id, err, sizeof err), HAZARD_EINVAL);
    assert_int_equal(hazards_count(f->hz), 0);

    id = report(f->hz, &park, "E001", "Gas detector missing", 1u << 12, T0);
    /* E002 sees nothing of E001's hazard: not found, not forbidden */
    json_t *rec;
    assert_int_equal(hazards_get(f->hz, &e2, id, -1, T0, &rec, err, sizeof err), HAZARD_ENOTFOUND);
    assert_int_equal(act(f->hz, &e2, id, HAZARD_ACT_ASSIGN, "e002-zhao", 0, NULL, T0, err),
                     HAZARD_ENOTFOUND);
    /* the regulator reads and supervises only */
    assert_int_equal(hazards_get(f->hz, &reg, id, -1, T0, &rec, err, sizeof err), HAZARD_OK);
    assert_string_equal(json_string_value(json_object_get(rec, "grade")), "major");
    assert_int_equal(json_integer_value(json_array_get(json_object_get(rec, "criteria"), 0)), 12);
    json_decref(rec);
    assert_int_equal(act(f->hz, &reg, id, HAZARD_ACT_ASSIGN, "e001-zhang", 0, NULL, T0, err),
                     HAZARD_EFORBIDDEN);
    assert_int_equal(act(f->hz, &park, id, HAZARD_ACT_SUPERVISE, NULL, 0, "x", T0, err),
                     HAZARD_EFORBIDDEN);
    assert_int_equal(act(f->hz, &e1, id, HAZARD_ACT_SUPERVISE, NULL, 0, "x", T0, err),
                     HAZARD_EFORBIDDEN);
    assert_int_equal(act(f->hz, &reg, id, HAZARD_ACT_SUPERVISE, NULL, 0, NULL, T0, err),
                     HAZARD_EINVAL);
    assert_int_equal(act(f->hz, &reg, id, HAZARD_ACT_SUPERVISE, NULL, 0, "挂牌督办", T0, err),
                     HAZARD_OK);
    assert_int_equal(act(f->hz, &reg, id, HAZARD_ACT_SUPERVISE, NULL, 0, "again", T0, err),
                     HAZARD_ESTATE);
    /* a supervised hazard is written off by the park, not the enterprise */
    assert_int_equal(act(f->hz, &e1, id, HAZARD_ACT_ASSIGN, "e001-zhang", 0, NULL, T0, err),
                     HAZARD_OK);
    assert_int_equal(act(f->hz, &e1, id, HAZARD_ACT_RECTIFY, NULL, 0, NULL, T0, err), HAZARD_OK);
    assert_int_equal(act(f->hz, &park, id, HAZARD_ACT_VERIFY, NULL, 0, NULL, T0, err), HAZARD_OK);
    assert_int_equal(act(f->hz, &e1, id, HAZARD_ACT_CLOSE, NULL, 0, NULL, T0, err),
                     HAZARD_EFORBIDDEN);
    assert_int_equal(act(f->hz, &reg, id, HAZARD_ACT_CLOSE, NULL, 0, NULL, T0, err),
                     HAZARD_EFORBIDDEN);
    assert_int_equal(act(f->hz, &park2, id, HAZARD_ACT_CLOSE, NULL, 0, NULL, T0, err), HAZARD_OK);
}

static size_t count_files(const char *dir) {
    char path[600];
    snprintf(path, sizeof path, "%s/attachments", dir);
    DIR *d = opendir(path);
    size_t n = 0;
    for (struct dirent *de; d && (de = readdir(d));) n += de->d_name[0] != '.';
    if (d) closedir(d);
    return n;
}

static void test_attachments(void **state) {
    fixture *f = *state; /* limit: 1000 bytes */
    char err[256], hex[65];
    uint64_t id = report(f->hz, &e1, "E001", "Blocked exit", 0, T0);
    uint8_t png[600] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    uint8_t big[1001] = {0xFF, 0xD8, 0xFF};
    const char gif[] = "GIF89a....";
    assert_int_equal(
        hazards_attach(f->hz, &e1, id, "big.jpg", NULL, big, sizeof big, T0, hex, err, sizeof err),
        HAZARD_ETOOLARGE);
    assert_int_equal(
        hazards_attach(f->hz, &e1, id, "x.gif", NULL, gif, sizeof gif, T0, hex, err, sizeof err),
        HAZARD_ETYPE);
    assert_int_equal(hazards_attach(f->hz, &e1, id, "x.png", "image/jpeg", png, sizeof png, T0, hex,
                                    err, sizeof err),
                     HAZARD_ETYPE);
    assert_int_equal(
        hazards_attach(f->hz, &e2, id, "x.png", NULL, png, sizeof png, T0, hex, err, sizeof err),
        HAZARD_ENOTFOUND);
    assert_int_equal(
        hazards_attach(f->hz, &reg, id, "x.png", NULL, png, sizeof png, T0, hex, err, sizeof err),
        HAZARD_EFORBIDDEN);
    assert_int_equal(count_files(f->dir), 0);
    json_t *rec;
    assert_int_equal(hazards_get(f->hz, &e1, id, -1, T0, &rec, err, sizeof err), HAZARD_OK);
    assert_null(json_object_get(rec, "evidence"));
    json_decref(rec);

    assert_int_equal(hazards_attach(f->hz, &e1, id, "after.png", "image/png", png, sizeof png,
                                    T0 + 1, hex, err, sizeof err),
                     HAZARD_OK);
    uint8_t d[32];
    char want[65];
    pw_sha256(png, sizeof png, d);
    for (int i = 0; i < 32; i++) snprintf(want + 2 * i, 3, "%02x", d[i]);
    assert_string_equal(hex, want);
    assert_int_equal(count_files(f->dir), 1);
    void *bytes;
    size_t len;
    const char *type;
    assert_int_equal(
        hazards_attachment(f->hz, &park, id, hex, &bytes, &len, &type, err, sizeof err), HAZARD_OK);
    assert_int_equal(len, sizeof png);
    assert_memory_equal(bytes, png, sizeof png);
    assert_string_equal(type, "image/png");
    free(bytes);
    assert_int_equal(hazards_attachment(f->hz, &e2, id, hex, &bytes, &len, &type, err, sizeof err),
                     HAZARD_ENOTFOUND);
    /* a hash the hazard does not list is no key */
    uint64_t other = report(f->hz, &e1, "E001", "Other", 0, T0 + 2);
    assert_int_equal(
        hazards_attachment(f->hz, &e1, other, hex, &bytes, &len, &type, err, sizeof err),
        HAZARD_ENOTFOUND);
    assert_int_equal(hazards_get(f->hz, &e1, id, -1, T0, &rec, err, sizeof err), HAZARD_OK);
    json_t *ev = json_array_get(json_object_get(rec, "evidence"), 0);
    assert_string_equal(json_string_value(json_object_get(ev, "sha256")), want);
    assert_int_equal(json_integer_value(json_object_get(ev, "size")), sizeof png);
    assert_string_equal(json_string_value(json_object_get(ev, "name")), "after.png");
    assert_string_equal(json_string_value(json_object_get(ev, "by")), "e001-safety");
    json_decref(rec);
}

static void test_overdue_stats_and_lists(void **state) {
    fixture *f = *state;
    char err[256];
    uint64_t a = report(f->hz, &park, "E001", "Valve A", 0, T0);
    uint64_t b = report(f->hz, &park, "E001", "valve B", 1u << 15, T0);
    uint64_t c = report(f->hz, &park, "E002", "Pump C", 0, T0);
    assert_int_equal(
        act(f->hz, &park, a, HAZARD_ACT_ASSIGN, "e001-zhang", T0 + 2 * H, NULL, T0, err),
        HAZARD_OK);
    assert_int_equal(
        act(f->hz, &park, b, HAZARD_ACT_ASSIGN, "e001-zhang", T0 + 5 * H, NULL, T0, err),
        HAZARD_OK);
    assert_int_equal(act(f->hz, &park, c, HAZARD_ACT_ASSIGN, "e002-zhao", T0 + H, NULL, T0, err),
                     HAZARD_OK);
    /* c closed in time, a overdue at T0 + 3 h */
    assert_int_equal(act(f->hz, &park, c, HAZARD_ACT_RECTIFY, NULL, 0, NULL, T0 + 1000, err), 0);
    assert_int_equal(act(f->hz, &park2, c, HAZARD_ACT_VERIFY, NULL, 0, NULL, T0 + 2000, err), 0);
    assert_int_equal(act(f->hz, &park2, c, HAZARD_ACT_CLOSE, NULL, 0, NULL, T0 + 3000, err), 0);
    int64_t now = T0 + 3 * H;
    json_t *rec;
    assert_int_equal(hazards_get(f->hz, &reg, a, -1, now, &rec, err, sizeof err), HAZARD_OK);
    assert_true(json_is_true(json_object_get(rec, "overdue")));
    assert_string_equal(json_string_value(json_object_get(rec, "escalated_to")), "park");
    json_decref(rec);
    assert_int_equal(act(f->hz, &reg, a, HAZARD_ACT_SUPERVISE, NULL, 0, "overdue", now, err), 0);

    hazard_stats park_s, *per;
    size_t n;
    assert_int_equal(hazards_stats(f->hz, &reg, now, &park_s, &per, &n, err, sizeof err), 0);
    assert_int_equal(park_s.found, 3);
    assert_int_equal(park_s.open, 2);
    assert_int_equal(park_s.closed, 1);
    assert_int_equal(park_s.closed_on_time, 1);
    assert_int_equal(park_s.overdue, 1);
    assert_int_equal(park_s.major, 1);
    assert_int_equal(park_s.supervised, 1);
    assert_int_equal(n, 2);
    assert_string_equal(per[0].enterprise, "E001");
    assert_int_equal(per[0].found, 2);
    assert_int_equal(per[1].closed_on_time, 1);
    free(per);
    assert_int_equal(hazards_stats(f->hz, &e2, now, &park_s, &per, &n, err, sizeof err), 0);
    assert_int_equal(park_s.found, 1);
    assert_int_equal(n, 1);
    free(per);

    /* overdue first, then by deadline */
    hazard_filter all = {NULL, -1, -1, -1, -1, NULL};
    uint64_t ids[10];
    size_t got, total;
    char cur[HAZARDS_CURSOR];
    assert_int_equal(hazards_list(f->hz, &reg, &all, -1, now, NULL, 0, 10, ids, &got, &total, cur,
                                  err, sizeof err),
                     0);
    assert_int_equal(got, 3);
    assert_int_equal(ids[0], a);
    assert_int_equal(ids[1], c);
    assert_int_equal(ids[2], b);
    /* pages by cursor */
    assert_int_equal(hazards_list(f->hz, &reg, &all, -1, now, NULL, 0, 2, ids, &got, &total, cur,
                                  err, sizeof err),
                     0);
    assert_int_equal(got, 2);
    assert_int_equal(total, 3);
    assert_string_not_equal(cur, "");
    char cur2[HAZARDS_CURSOR];
    assert_int_equal(hazards_list(f->hz, &reg, &all, -1, now, cur, 0, 2, ids, &got, &total, cur2,
                                  err, sizeof err),
                     0);
    assert_int_equal(got, 1);
    assert_int_equal(ids[0], b);
    assert_string_equal(cur2, "");
    assert_int_equal(hazards_list(f->hz, &reg, &all, -1, now, "junk", 0, 2, ids, &got, &total, cur2,
                                  err, sizeof err),
                     HAZARD_EINVAL);
    /* filters */
    hazard_filter fl = all;
    fl.text = "VALVE";
    assert_int_equal(
        hazards_list(f->hz, &reg, &fl, -1, now, NULL, 0, 10, ids, &got, &total, cur, err, 256), 0);
    assert_int_equal(got, 2);
    fl = all, fl.overdue = 1;
    assert_int_equal(
        hazards_list(f->hz, &reg, &fl, -1, now, NULL, 0, 10, ids, &got, &total, cur, err, 256), 0);
    assert_int_equal(got, 1);
    assert_int_equal(ids[0], a);
    fl = all, fl.grade = HAZARD_MAJOR;
    assert_int_equal(
        hazards_list(f->hz, &reg, &fl, -1, now, NULL, 0, 10, ids, &got, &total, cur, err, 256), 0);
    assert_int_equal(got, 1);
    assert_int_equal(ids[0], b);
    fl = all, fl.state = HAZARD_CLOSED;
    assert_int_equal(
        hazards_list(f->hz, &reg, &fl, -1, now, NULL, 0, 10, ids, &got, &total, cur, err, 256), 0);
    assert_int_equal(got, 1);
    fl = all, fl.supervised = 1, fl.enterprise = "E001";
    assert_int_equal(
        hazards_list(f->hz, &reg, &fl, -1, now, NULL, 0, 10, ids, &got, &total, cur, err, 256), 0);
    assert_int_equal(got, 1);
    /* an enterprise lists its own only, whatever it asks */
    assert_int_equal(
        hazards_list(f->hz, &e2, &all, -1, now, NULL, 0, 10, ids, &got, &total, cur, err, 256), 0);
    assert_int_equal(got, 1);
    assert_int_equal(ids[0], c);
    fl = all, fl.enterprise = "E001";
    assert_int_equal(
        hazards_list(f->hz, &e2, &fl, -1, now, NULL, 0, 10, ids, &got, &total, cur, err, 256), 0);
    assert_int_equal(got, 0);
    assert_int_equal(
        hazards_list(f->hz, &reg, &all, -1, now, NULL, 0, 1001, ids, &got, &total, cur, err, 256),
        HAZARD_EINVAL);
}

static void test_journal_replay_and_reopen(void **state) {
    fixture *f = *state;
    char err[256];
    uint64_t id = report(f->hz, &e1, "E001", "Corroded pipe rack", 0, T0);
    assert_int_equal(
        act(f->hz, &e1, id, HAZARD_ACT_ASSIGN, "e001-zhang", T0 + 9 * H, NULL, T0 + H, err), 0);
    assert_int_equal(act(f->hz, &e1, id, HAZARD_ACT_RECTIFY, NULL, 0, NULL, T0 + 2 * H, err), 0);
    /* the hazard as it was */
    assert_string_equal(state_of(f->hz, id, T0 - 1, T0 + 3 * H), "none");
    assert_string_equal(state_of(f->hz, id, T0, T0 + 3 * H), "reported");
    assert_string_equal(state_of(f->hz, id, T0 + H + 5, T0 + 3 * H), "assigned");
    assert_string_equal(state_of(f->hz, id, -1, T0 + 3 * H), "rectified");
    /* the register as it was */
    hazard_filter fl = {NULL, HAZARD_ASSIGNED, -1, -1, -1, NULL};
    uint64_t ids[4];
    size_t got, total;
    char cur[HAZARDS_CURSOR];
    assert_int_equal(hazards_list(f->hz, &park, &fl, T0 + H, T0 + 3 * H, NULL, 0, 4, ids, &got,
                                  &total, cur, err, sizeof err),
                     0);
    assert_int_equal(got, 1);
    assert_int_equal(hazards_list(f->hz, &park, &fl, -1, T0 + 3 * H, NULL, 0, 4, ids, &got, &total,
                                  cur, err, sizeof err),
                     0);
    assert_int_equal(got, 0);
    fl.state = -1;
    assert_int_equal(hazards_list(f->hz, &park, &fl, T0 - 1, T0 + 3 * H, NULL, 0, 4, ids, &got,
                                  &total, cur, err, sizeof err),
                     0);
    assert_int_equal(got, 0);
    /* the journal: the three steps, in order, with who and what */
    json_t *j;
    bool more;
    assert_int_equal(hazards_journal(f->hz, &reg, T0, T0 + 10 * H, 100, &j, &more, err, 256), 0);
    assert_int_equal(json_array_size(j), 3);
    assert_false(more);
    json_t *e = json_array_get(j, 1);
    assert_string_equal(json_string_value(json_object_get(e, "action")), "assign");
    assert_string_equal(json_string_value(json_object_get(e, "who")), "e001-safety");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(e, "changes"), "assignee")),
        "e001-zhang");
    json_decref(j);
    assert_int_equal(hazards_journal(f->hz, &reg, T0, T0 + 10 * H, 2, &j, &more, err, 256), 0);
    assert_int_equal(json_array_size(j), 2);
    assert_true(more);
    json_decref(j);
    assert_int_equal(hazards_journal(f->hz, &e2, T0, T0 + 10 * H, 100, &j, &more, err, 256), 0);
    assert_int_equal(json_array_size(j), 0);
    json_decref(j);
    /* reopened: everything kept, ids and the journal go on */
    hazards_close(f->hz);
    open_hz(f, 1000);
    assert_int_equal(hazards_count(f->hz), 1);
    assert_string_equal(state_of(f->hz, id, -1, T0 + 3 * H), "rectified");
    assert_string_equal(state_of(f->hz, id, T0 + H + 5, T0 + 3 * H), "assigned");
    fl.state = HAZARD_RECTIFIED;
    assert_int_equal(hazards_list(f->hz, &park, &fl, -1, T0 + 3 * H, NULL, 0, 4, ids, &got, &total,
                                  cur, err, sizeof err),
                     0);
    assert_int_equal(got, 1);
    assert_int_equal(report(f->hz, &e1, "E001", "Second", 0, T0 + 4 * H), 2);
    assert_int_equal(hazards_journal(f->hz, &reg, 0, T0 + 10 * H, 100, &j, &more, err, 256), 0);
    assert_int_equal(json_array_size(j), 4);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(j, 3), "seq")), 4);
    json_decref(j);
}

static void test_criteria(void **state) {
    (void)state;
    const hazard_criterion *c = hazard_criteria();
    for (int i = 0; i < HAZARD_CRITERIA; i++) {
        assert_int_equal(c[i].number, i + 1);
        assert_true(strlen(c[i].text) > 10);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_lifecycle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_roles_and_enterprises, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attachments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_overdue_stats_and_lists, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_replay_and_reopen, setup, teardown),
        cmocka_unit_test(test_criteria),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
