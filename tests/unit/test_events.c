/*
 * test_events.c - the event store: events out of order answered in time
 * order by entity and by time, an event of several entities under each,
 * every limit of ev_append refused with its reason and nothing stored,
 * filters and limits of the queries, the state of every permit at a time
 * (changes before and after it), retention in steps, sequence numbers
 * after reopen, a backup restored equal, and a stored value that does not
 * decode reported rather than used.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>
#include <rocksdb/c.h>

#include "events/events.h"
#include "tests/support/testutil.h"

#define T0  1765065600000LL /* 2026-12-07T00:00:00Z */
#define MIN 60000LL

typedef struct fixture {
    char dir[512];
    ev_store *s;
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    testutil_tmpdir(f->dir, sizeof f->dir, "events");
    char err[256];
    assert_int_equal(ev_open(f->dir, NULL, &f->s, err, sizeof err), EV_OK);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    ev_close(f->s);
    testutil_rmtree(f->dir);
    free(f);
    return 0;
}

static ev_record rec(int64_t ts, const char *kind, const char *ent, const char *e0, const char *e1,
                     const char *body) {
    ev_record r = {.ts_ms = ts, .recv_ms = ts + 1000, .kind = kind, .enterprise = ent};
    r.entities[r.n_entities++] = e0;
    if (e1) r.entities[r.n_entities++] = e1;
    r.body = body, r.body_len = strlen(body);
    return r;
}

static uint64_t append1(ev_store *s, ev_record r) {
    uint64_t seq = 0;
    char err[256] = "";
    ev_status st = ev_append(s, &r, 1, &seq, err, sizeof err);
    if (st != EV_OK) fail_msg("append: %s", err);
    return seq;
}

/* ---- by entity and by time ---- */

static void test_out_of_order_answered_in_time_order(void **state) {
    fixture *f = *state;
    /* arrival: 10:02, 10:00, 10:01 (the gateway's backlog late), another vehicle at 10:00 */
    uint64_t a = append1(f->s, rec(T0 + 2 * MIN, "gate_passage", "PARK", "vehicle:沪A12345",
                                   "gate:GATE-N", "{\"direction\":\"out\"}"));
    uint64_t b = append1(f->s, rec(T0, "gate_passage", "PARK", "vehicle:沪A12345", "gate:GATE-N",
                                   "{\"direction\":\"in\"}"));
    uint64_t c = append1(f->s, rec(T0 + MIN, "badge", "E001", "vehicle:沪A12345", NULL, "{}"));
    uint64_t d =
        append1(f->s, rec(T0, "gate_passage", "PARK", "vehicle:沪B1", "gate:GATE-S", "{}"));
    assert_int_equal(a, 1);
    assert_int_equal(b, 2);
    assert_int_equal(c, 3);
    assert_int_equal(d, 4);

    ev_list l;
    char err[256];
    assert_int_equal(
        ev_query_entity(f->s, "vehicle:沪A12345", T0, T0 + 3 * MIN, 0, &l, err, sizeof err), EV_OK);
    assert_int_equal(l.n, 3);
    assert_false(l.truncated);
    assert_int_equal(l.v[0].seq, b);
    assert_int_equal(l.v[1].seq, c);
    assert_int_equal(l.v[2].seq, a);
    assert_int_equal(l.v[0].ts_ms, T0);
    assert_int_equal(l.v[0].recv_ms, T0 + 1000);
    assert_string_equal(l.v[0].kind, "gate_passage");
    assert_string_equal(l.v[0].enterprise, "PARK");
    assert_int_equal(l.v[0].n_entities, 2);
    assert_string_equal(l.v[0].entities[0], "vehicle:沪A12345");
    assert_string_equal(l.v[0].entities[1], "gate:GATE-N");
    assert_string_equal(l.v[0].body, "{\"direction\":\"in\"}");
    assert_int_equal(l.v[0].body_len, strlen("{\"direction\":\"in\"}"));
    assert_string_equal(l.v[1].kind, "badge");
    ev_list_free(&l);

    /* from inclusive, to exclusive */
    assert_int_equal(
        ev_query_entity(f->s, "vehicle:沪A12345", T0 + MIN, T0 + 2 * MIN, 0, &l, err, sizeof err),
        EV_OK);
    assert_int_equal(l.n, 1);
    assert_int_equal(l.v[0].seq, c);
    ev_list_free(&l);

    /* the gate sees its passage, and "vehicle:沪A1234" (a prefix) nothing */
    assert_int_equal(ev_query_entity(f->s, "gate:GATE-N", T0, T0 + 3 * MIN, 0, &l, err, sizeof err),
                     EV_OK);
    assert_int_equal(l.n, 2);
    assert_int_equal(l.v[0].seq, b);
    assert_int_equal(l.v[1].seq, a);
    ev_list_free(&l);
    assert_int_equal(
        ev_query_entity(f->s, "vehicle:沪A1234", T0, T0 + 3 * MIN, 0, &l, err, sizeof err), EV_OK);
    assert_int_equal(l.n, 0);
    ev_list_free(&l);

    /* by time: 10:00 (seq 2, then 4), 10:01, 10:02 */
    assert_int_equal(ev_query_time(f->s, T0, T0 + 3 * MIN, NULL, 0, &l, err, sizeof err), EV_OK);
    assert_int_equal(l.n, 4);
    assert_int_equal(l.v[0].seq, b);
    assert_int_equal(l.v[1].seq, d);
    assert_int_equal(l.v[2].seq, c);
    assert_int_equal(l.v[3].seq, a);
    ev_list_free(&l);

    /* filters */
    ev_filter fk = {.kind = "gate_passage"};
    assert_int_equal(ev_query_time(f->s, T0, T0 + 3 * MIN, &fk, 0, &l, err, sizeof err), EV_OK);
    assert_int_equal(l.n, 3);
    ev_list_free(&l);
    ev_filter fe = {.enterprise = "E001"};
    assert_int_equal(ev_query_time(f->s, T0, T0 + 3 * MIN, &fe, 0, &l, err, sizeof err), EV_OK);
    assert_int_equal(l.n, 1);
    assert_int_equal(l.v[0].seq, c);
    ev_list_free(&l);
    ev_filter fp = {.entity_prefix = "gate:GATE-S"};
    assert_int_equal(ev_query_time(f->s, T0, T0 + 3 * MIN, &fp, 0, &l, err, sizeof err), EV_OK);
    assert_int_equal(l.n, 1);
    assert_int_equal(l.v[0].seq, d);
    ev_list_free(&l);
    ev_filter fpark = {.enterprise = ""};
    assert_int_equal(ev_query_time(f->s, T0, T0 + 3 * MIN, &fpark, 0, &l, err, sizeof err), EV_OK);
    assert_int_equal(l.n, 0);
    ev_list_free(&l);

    /* limits: two of four, truncated; by entity one of three */
    assert_int_equal(ev_query_time(f->s, T0, T0 + 3 * MIN, NULL, 2, &l, err, sizeof err), EV_OK);
    assert_int_equal(l.n, 2);
    assert_true(l.truncated);
    assert_int_equal(l.v[1].seq, d);
    ev_list_free(&l);
    assert_int_equal(
        ev_query_entity(f->s, "vehicle:沪A12345", T0, T0 + 3 * MIN, 1, &l, err, sizeof err), EV_OK);
    assert_int_equal(l.n, 1);
    assert_true(l.truncated);
    assert_int_equal(l.v[0].seq, b);
    ev_list_free(&l);
    /* exactly the limit: not truncated */
    assert_int_equal(
        ev_query_entity(f->s, "vehicle:沪A12345", T0, T0 + 3 * MIN, 3, &l, err, sizeof err), EV_OK);
    assert_int_equal(l.n, 3);
    assert_false(l.truncated);
    ev_list_free(&l);
}

static void test_batch_and_four_entities(void **state) {
    fixture *f = *state;
    ev_record r[2] = {
        rec(T0 + 5, "camera", "E001", "camera:E001-CAM-1", "zone:E001-ZONE-1", "{\"x\":1}"),
        rec(T0 + 1, "badge", "E001", "person:P0042", "zone:E001-ZONE-1", "{\"x\":2}")};
    r[0].entities[2] = "person:P0042", r[0].entities[3] = "vehicle:沪A1", r[0].n_entities = 4;
    r[1].recv_ms = 0; /* now */
    uint64_t first;
    char err[256];
    assert_int_equal(ev_append(f->s, r, 2, &first, err, sizeof err), EV_OK);
    assert_int_equal(first, 1);
    const char *each[] = {"camera:E001-CAM-1", "zone:E001-ZONE-1", "person:P0042", "vehicle:沪A1"};
    for (int i = 0; i < 4; i++) {
        ev_list l;
        assert_int_equal(ev_query_entity(f->s, each[i], T0, T0 + 10, 0, &l, err, sizeof err),
                         EV_OK);
        size_t want = i == 1 || i == 2 ? 2 : 1;
        assert_int_equal(l.n, want);
        assert_int_equal(l.v[want - 1].seq, 1); /* the camera event at +5 comes last */
        assert_int_equal(l.v[want - 1].n_entities, 4);
        assert_string_equal(l.v[want - 1].entities[3], "vehicle:沪A1");
        if (want == 2) {
            assert_int_equal(l.v[0].seq, 2);
            assert_true(l.v[0].recv_ms > T0 + 1000000); /* stamped with the wall clock */
        }
        ev_list_free(&l);
    }
    ev_stats st;
    ev_get_stats(f->s, &st);
    assert_int_equal(st.appended, 2);
    assert_int_equal(st.next_seq, 3);
    assert_int_equal(st.oldest_ms, T0 + 1);
    assert_int_equal(st.newest_ms, T0 + 5);
    assert_true(st.disk_bytes > 0);
}

/* ---- the limits ---- */

static void expect_refused(ev_store *s, ev_record r, const char *why) {
    ev_record two[2] = {rec(T0, "badge", "", "person:P1", NULL, "{}"), r};
    char err[256] = "";
    uint64_t first = 99;
    assert_int_equal(ev_append(s, two, 2, &first, err, sizeof err), EV_EINVAL);
    assert_int_equal(first, 0);
    if (!strstr(err, "record 1: ") || !strstr(err, why))
        fail_msg("expected \"record 1: ...%s...\", got \"%s\"", why, err);
}

static void test_limits_refused_with_reason(void **state) {
    fixture *f = *state;
    char kind33[34], ent129[140], ent_type17[40], ent33[34];
    memset(kind33, 'a', 33), kind33[33] = 0;
    memset(ent33, 'E', 33), ent33[33] = 0;
    snprintf(ent_type17, sizeof ent_type17, "%s:1", "abcdefghijklmnopq");
    memcpy(ent129, "vehicle:", 8);
    memset(ent129 + 8, 'x', 121), ent129[129] = 0;
    const char *ok_body = "{\"a\":1}";
    struct {
        ev_record r;
        const char *why;
    } cases[] = {
        {rec(T0, "Gate", "", "gate:G", NULL, ok_body), "kind"},
        {rec(T0, "", "", "gate:G", NULL, ok_body), "kind"},
        {rec(T0, kind33, "", "gate:G", NULL, ok_body), "kind"},
        {rec(T0, "gate-passage", "", "gate:G", NULL, ok_body), "kind"},
        {rec(T0, "gate", ent33, "gate:G", NULL, ok_body), "enterprise"},
        {rec(T0, "gate", "E\x01", "gate:G", NULL, ok_body), "enterprise"},
        {rec(T0, "gate", "", "gate", NULL, ok_body), "entity"},
        {rec(T0, "gate", "", ":G", NULL, ok_body), "entity"},
        {rec(T0, "gate", "", "gate:", NULL, ok_body), "entity"},
        {rec(T0, "gate", "", "Gate:G", NULL, ok_body), "entity"},
        {rec(T0, "gate", "", "gate2:G", NULL, ok_body), "entity"},
        {rec(T0, "gate", "", ent_type17, NULL, ok_body), "entity"},
        {rec(T0, "gate", "", ent129, NULL, ok_body), "entity"},
        {rec(T0, "gate", "", "gate:G\n", NULL, ok_body), "entity"},
        {rec(T0, "gate", "", "gate:G\xc2\x85", NULL, ok_body), "entity"},    /* C1 control */
        {rec(T0, "gate", "", "gate:\xc0\xaf", NULL, ok_body), "entity"},     /* overlong */
        {rec(T0, "gate", "", "gate:\xed\xa0\x80", NULL, ok_body), "entity"}, /* surrogate */
        {rec(T0, "gate", "", "gate:\xe6\xb2", NULL, ok_body), "entity"},     /* cut short */
        {rec(T0, "gate", "", "gate:G", "gate:G", ok_body), "entity"},        /* twice */
        {rec(T0, "gate", "", "gate:G", NULL, "[1]"), "body"},
        {rec(T0, "gate", "", "gate:G", NULL, "{\"a\":1,\"a\":2}"), "body"},
        {rec(T0, "gate", "", "gate:G", NULL, "{\"a\":1"), "body"},
        {rec(T0, "gate", "", "gate:G", NULL, "{\"a\":\"\xff\"}"), "body"},
        {rec(946684800000LL - 1, "gate", "", "gate:G", NULL, ok_body), "ts_ms"},
        {rec(4102444800000LL, "gate", "", "gate:G", NULL, ok_body), "ts_ms"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_refused(f->s, cases[i].r, cases[i].why);
    ev_record none = rec(T0, "gate", "", "gate:G", NULL, ok_body);
    none.n_entities = 0;
    expect_refused(f->s, none, "entities");
    ev_record five = rec(T0, "gate", "", "gate:G", "gate:H", ok_body);
    five.n_entities = 5;
    expect_refused(f->s, five, "entities");
    ev_record bad_recv = rec(T0, "gate", "", "gate:G", NULL, ok_body);
    bad_recv.recv_ms = -5;
    expect_refused(f->s, bad_recv, "recv_ms");
    /* a body of EV_BODY_MAX bytes passes, one more does not */
    char *big = malloc(EV_BODY_MAX + 2);
    memset(big, ' ', EV_BODY_MAX + 1);
    big[0] = '{', big[EV_BODY_MAX - 1] = '}', big[EV_BODY_MAX] = 0;
    ev_record at_max = rec(T0 + 7, "gate", "", "gate:G", NULL, big);
    assert_int_equal(at_max.body_len, EV_BODY_MAX);
    uint64_t big_seq = append1(f->s, at_max);
    big[EV_BODY_MAX - 1] = ' ', big[EV_BODY_MAX] = '}', big[EV_BODY_MAX + 1] = 0;
    expect_refused(f->s, rec(T0, "gate", "", "gate:G", NULL, big), "body");
    free(big);
    /* the widest accepted: 32-byte kind and enterprise, 16-byte type, 128-byte entity,
     * the time range's ends */
    char kind32[33], ent32[33], ent128[129], type16[40];
    memset(kind32, 'z', 32), kind32[32] = 0;
    memset(ent32, 'E', 32), ent32[32] = 0;
    memcpy(ent128, "vehicle:", 8), memset(ent128 + 8, 'y', 120), ent128[128] = 0;
    snprintf(type16, sizeof type16, "%s:1", "abcdefghijklmnop");
    append1(f->s, rec(946684800000LL, kind32, ent32, ent128, type16, "{}"));
    ev_record last = rec(4102444800000LL - 1, "a", NULL, "a:b", NULL, "{}");
    last.recv_ms = last.ts_ms;
    append1(f->s, last);

    /* nothing of a refused batch was stored: only the three accepted events */
    ev_list l;
    char err[256];
    assert_int_equal(ev_query_time(f->s, 0, INT64_MAX, NULL, 0, &l, err, sizeof err), EV_OK);
    assert_int_equal(l.n, 3);
    assert_int_equal(l.v[0].seq, big_seq + 1);
    assert_string_equal(l.v[0].entities[0], ent128);
    assert_string_equal(l.v[0].enterprise, ent32);
    assert_int_equal(l.v[1].seq, big_seq);
    assert_int_equal(l.v[1].body_len, EV_BODY_MAX);
    assert_string_equal(l.v[2].enterprise, "");
    ev_list_free(&l);
    ev_stats st;
    ev_get_stats(f->s, &st);
    assert_int_equal(st.appended, 3);
    assert_int_equal(st.rejected, 2 * 29); /* 29 batches of two records */

    /* queries check what they are given */
    assert_int_equal(ev_query_entity(f->s, "", T0, T0 + 1, 0, &l, err, sizeof err), EV_EINVAL);
    assert_int_equal(ev_query_entity(f->s, ent129, T0, T0 + 1, 0, &l, err, sizeof err), EV_EINVAL);
    assert_int_equal(ev_state_at(f->s, "x\x01", T0, NULL, 0, &l, err, sizeof err), EV_EINVAL);
}

/* ---- the state at a time ---- */

static void permit(ev_store *s, int64_t ts, const char *id, const char *ent, const char *state) {
    char body[128];
    snprintf(body, sizeof body, "{\"id\":\"%s\",\"state\":\"%s\"}", id + 7, state);
    ev_record r = rec(ts, "permit", ent, id, "zone:E001-ZONE-1", body);
    r.state_of_first = true;
    append1(s, r);
}

static void test_state_at(void **state) {
    fixture *f = *state;
    /* three permits; a gas test (no state) on P1 after its last state; a permit-like
     * entity of another type; a zone event with state of its own */
    permit(f->s, T0 + 10 * MIN, "permit:P1", "E001", "filed");
    permit(f->s, T0 + 20 * MIN, "permit:P1", "E001", "active");
    permit(f->s, T0 + 40 * MIN, "permit:P1", "E001", "closed"); /* after T */
    append1(f->s, rec(T0 + 25 * MIN, "gas_test", "E001", "permit:P1", NULL, "{\"o2\":20.9}"));
    permit(f->s, T0 + 5 * MIN, "permit:P2", "E002", "active");
    permit(f->s, T0 + 50 * MIN, "permit:P3", "E001", "filed");      /* only after T */
    permit(f->s, T0 + 30 * MIN, "permit:P10", "E001", "suspended"); /* exactly at T */
    ev_record other = rec(T0, "zone", "E001", "zone:E001-ZONE-1", NULL, "{\"n\":3}");
    other.state_of_first = true;
    append1(f->s, other);
    append1(f->s, rec(T0 + MIN, "permitx", "E001", "permitx:Q", NULL, "{}"));

    int64_t T = T0 + 30 * MIN;
    ev_list l;
    char err[256];
    assert_int_equal(ev_state_at(f->s, "permit:", T, NULL, 0, &l, err, sizeof err), EV_OK);
    assert_int_equal(l.n, 3); /* in entity order: P1, P10, P2 */
    assert_string_equal(l.v[0].entities[0], "permit:P1");
    assert_string_equal(l.v[0].body, "{\"id\":\"P1\",\"state\":\"active\"}");
    assert_int_equal(l.v[0].ts_ms, T0 + 20 * MIN);
    assert_true(l.v[0].state_of_first);
    assert_string_equal(l.v[1].entities[0], "permit:P10");
    assert_string_equal(l.v[1].body, "{\"id\":\"P10\",\"state\":\"suspended\"}");
    assert_string_equal(l.v[2].entities[0], "permit:P2");
    assert_false(l.truncated);
    ev_list_free(&l);

    /* later: P1 closed, P3 filed */
    assert_int_equal(ev_state_at(f->s, "permit:", T0 + 60 * MIN, NULL, 0, &l, err, sizeof err),
                     EV_OK);
    assert_int_equal(l.n, 4);
    assert_string_equal(l.v[0].body, "{\"id\":\"P1\",\"state\":\"closed\"}");
    assert_string_equal(l.v[3].entities[0], "permit:P3");
    ev_list_free(&l);

    /* before any: nothing; one enterprise; a limit */
    assert_int_equal(ev_state_at(f->s, "permit:", T0, NULL, 0, &l, err, sizeof err), EV_OK);
    assert_int_equal(l.n, 0);
    ev_list_free(&l);
    assert_int_equal(ev_state_at(f->s, "permit:", T, "E002", 0, &l, err, sizeof err), EV_OK);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.v[0].entities[0], "permit:P2");
    ev_list_free(&l);
    assert_int_equal(ev_state_at(f->s, "permit:", T, NULL, 2, &l, err, sizeof err), EV_OK);
    assert_int_equal(l.n, 2);
    assert_true(l.truncated);
    ev_list_free(&l);
    /* the zone's own state; the zone as P1's second entity is not a state of the zone */
    assert_int_equal(ev_state_at(f->s, "zone:", T, NULL, 0, &l, err, sizeof err), EV_OK);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.v[0].body, "{\"n\":3}");
    ev_list_free(&l);
}

/* ---- retention, reopen, backup ---- */

static void test_retention_in_steps(void **state) {
    fixture *f = *state;
    for (int i = 0; i < 10; i++) {
        ev_record r = rec(T0 + i * MIN, "badge", "E001", "person:P1", "zone:Z", "{}");
        r.state_of_first = i == 2;
        append1(f->s, r);
    }
    size_t n;
    char err[256];
    /* before minute 3, all at once: three events gone */
    assert_int_equal(ev_retain(f->s, T0 + 3 * MIN, 100, &n, err, sizeof err), EV_OK);
    assert_int_equal(n, 3);
    /* an out-of-order event older than what is already gone: the next step finds it */
    append1(f->s, rec(T0 - MIN, "badge", "E001", "person:P1", NULL, "{}"));
    /* before minute 7, three a step: the late one and minutes 3, 4; then 5, 6 */
    assert_int_equal(ev_retain(f->s, T0 + 7 * MIN, 3, &n, err, sizeof err), EV_OK);
    assert_int_equal(n, 3);
    assert_int_equal(ev_retain(f->s, T0 + 7 * MIN, 3, &n, err, sizeof err), EV_OK);
    assert_int_equal(n, 2);
    assert_int_equal(ev_retain(f->s, T0 + 7 * MIN, 3, &n, err, sizeof err), EV_OK);
    assert_int_equal(n, 0);
    ev_list l;
    assert_int_equal(ev_query_entity(f->s, "person:P1", 0, INT64_MAX, 0, &l, err, sizeof err),
                     EV_OK);
    assert_int_equal(l.n, 3);
    assert_int_equal(l.v[0].ts_ms, T0 + 7 * MIN);
    ev_list_free(&l);
    assert_int_equal(ev_query_entity(f->s, "zone:Z", 0, INT64_MAX, 0, &l, err, sizeof err), EV_OK);
    assert_int_equal(l.n, 3);
    ev_list_free(&l);
    assert_int_equal(ev_state_at(f->s, "person:", INT64_MAX, NULL, 0, &l, err, sizeof err), EV_OK);
    assert_int_equal(l.n, 0); /* the state event went with its time */
    ev_list_free(&l);
    ev_stats st;
    ev_get_stats(f->s, &st);
    assert_int_equal(st.retained, 8);
    assert_int_equal(st.oldest_ms, T0 + 7 * MIN);
    assert_int_equal(st.newest_ms, T0 + 9 * MIN);
}

static void test_reopen_keeps_sequence(void **state) {
    fixture *f = *state;
    char err[256];
    append1(f->s, rec(T0, "badge", "E001", "person:P1", NULL, "{}"));
    append1(f->s, rec(T0 + 1, "badge", "E001", "person:P1", NULL, "{}"));
    size_t n;
    assert_int_equal(ev_retain(f->s, T0 + 10, 100, &n, err, sizeof err), EV_OK);
    assert_int_equal(n, 2);
    ev_close(f->s);
    ev_options o = {.sync = true, .cache_mb = 8};
    assert_int_equal(ev_open(f->dir, &o, &f->s, err, sizeof err), EV_OK);
    ev_stats st;
    ev_get_stats(f->s, &st);
    assert_int_equal(st.next_seq, 3);
    assert_int_equal(st.appended, 0);
    assert_int_equal(st.oldest_ms, 0);
    /* every number is new, even though the store was emptied */
    assert_int_equal(append1(f->s, rec(T0 - 5, "badge", "E001", "person:P1", NULL, "{}")), 3);
    assert_int_equal(ev_sync(f->s, err, sizeof err), EV_OK);
}

static void lists_equal(const ev_list *a, const ev_list *b) {
    assert_int_equal(a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        assert_int_equal(a->v[i].seq, b->v[i].seq);
        assert_int_equal(a->v[i].ts_ms, b->v[i].ts_ms);
        assert_int_equal(a->v[i].recv_ms, b->v[i].recv_ms);
        assert_string_equal(a->v[i].kind, b->v[i].kind);
        assert_string_equal(a->v[i].body, b->v[i].body);
        assert_int_equal(a->v[i].n_entities, b->v[i].n_entities);
        assert_int_equal(a->v[i].state_of_first, b->v[i].state_of_first);
    }
}

static void test_backup_restore_equal(void **state) {
    fixture *f = *state;
    char err[256], bdir[600], rdir[600];
    for (int i = 0; i < 300; i++) {
        char body[64];
        snprintf(body, sizeof body, "{\"i\":%d}", i);
        ev_record r = rec(T0 + (i * 7919) % 1000 * 1000, i % 3 ? "badge" : "permit", "E001",
                          i % 2 ? "permit:A" : "permit:B", "zone:Z", body);
        r.state_of_first = i % 3 == 0;
        append1(f->s, r);
    }
    /* the fixture's store is f->dir itself: back up into a sibling */
    snprintf(bdir, sizeof bdir, "%s-backup", f->dir);
    snprintf(rdir, sizeof rdir, "%s-restored", f->dir);
    assert_int_equal(ev_backup(f->s, bdir, err, sizeof err), EV_OK);
    assert_int_equal(ev_backup(f->s, bdir, err, sizeof err), EV_EINVAL); /* exists */
    /* written after the backup: not in it */
    append1(f->s, rec(T0 - 1, "badge", "E001", "zone:Z", NULL, "{}"));
    assert_int_equal(ev_restore(bdir, rdir, err, sizeof err), EV_OK);
    assert_int_equal(ev_restore(bdir, rdir, err, sizeof err), EV_EINVAL); /* not empty */
    assert_int_equal(ev_restore(rdir, "/nonexistent/x/y", err, sizeof err), EV_EIO);
    char nob[620];
    snprintf(nob, sizeof nob, "%s-none", f->dir);
    assert_int_equal(ev_restore(nob, rdir, err, sizeof err), EV_EINVAL);
    ev_store *r;
    assert_int_equal(ev_open(rdir, NULL, &r, err, sizeof err), EV_OK);
    ev_list a, b;
    assert_int_equal(ev_query_time(f->s, 0, INT64_MAX, NULL, 0, &a, err, sizeof err), EV_OK);
    assert_int_equal(ev_query_time(r, 0, INT64_MAX, NULL, 0, &b, err, sizeof err), EV_OK);
    assert_int_equal(a.n, 301);
    assert_int_equal(b.n, 300);
    /* a less the event written after the backup (seq 301, the first of a) */
    assert_int_equal(a.v[0].seq, 301);
    ev_list a2 = {a.v + 1, a.n - 1, false};
    lists_equal(&a2, &b);
    ev_list_free(&a);
    ev_list_free(&b);
    for (int i = 0; i < 2; i++) {
        const char *ent = i ? "permit:A" : "permit:B";
        assert_int_equal(ev_query_entity(f->s, ent, 0, INT64_MAX, 0, &a, err, sizeof err), EV_OK);
        assert_int_equal(ev_query_entity(r, ent, 0, INT64_MAX, 0, &b, err, sizeof err), EV_OK);
        assert_int_equal(a.n, 150);
        lists_equal(&a, &b);
        ev_list_free(&a);
        ev_list_free(&b);
    }
    assert_int_equal(ev_state_at(f->s, "permit:", INT64_MAX, NULL, 0, &a, err, sizeof err), EV_OK);
    assert_int_equal(ev_state_at(r, "permit:", INT64_MAX, NULL, 0, &b, err, sizeof err), EV_OK);
    assert_int_equal(a.n, 2);
    lists_equal(&a, &b);
    ev_list_free(&a);
    ev_list_free(&b);
    ev_stats st;
    ev_get_stats(r, &st);
    assert_int_equal(st.next_seq, 301);
    ev_close(r);
    testutil_rmtree(bdir);
    testutil_rmtree(rdir);
}

/* A value changed under the store: reported, never decoded into an event. */
static void test_corrupt_value_reported(void **state) {
    fixture *f = *state;
    append1(f->s, rec(T0, "badge", "E001", "person:P1", NULL, "{\"a\":1}"));
    append1(f->s, rec(T0 + 1, "badge", "E001", "person:P1", NULL, "{\"a\":2}"));
    ev_close(f->s);
    f->s = NULL;
    rocksdb_options_t *o = rocksdb_options_create();
    char *rerr = NULL;
    rocksdb_t *db = rocksdb_open(o, f->dir, &rerr);
    assert_null(rerr);
    /* the second event's entity entry: its body length says more than there is */
    uint8_t k[64] = "eperson:P1";
    size_t kl = strlen((char *)k) + 1;
    uint64_t ts = (uint64_t)(T0 + 1) ^ (1ull << 63);
    for (int i = 0; i < 8; i++) k[kl + i] = (uint8_t)(ts >> (56 - 8 * i));
    for (int i = 0; i < 8; i++) k[kl + 8 + i] = (uint8_t)(i == 7 ? 2 : 0);
    size_t vl;
    rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
    char *v = rocksdb_get(db, ro, (char *)k, kl + 16, &vl, &rerr);
    assert_non_null(v);
    v[vl - 8] = (char)0x7f; /* the body length's byte (a 7-byte body) made 127 */
    rocksdb_writeoptions_t *wo = rocksdb_writeoptions_create();
    rocksdb_put(db, wo, (char *)k, kl + 16, v, vl, &rerr);
    assert_null(rerr);
    rocksdb_free(v);
    rocksdb_writeoptions_destroy(wo);
    rocksdb_readoptions_destroy(ro);
    rocksdb_close(db);
    rocksdb_options_destroy(o);
    char err[256];
    assert_int_equal(ev_open(f->dir, NULL, &f->s, err, sizeof err), EV_OK);
    ev_list l;
    assert_int_equal(ev_query_entity(f->s, "person:P1", 0, INT64_MAX, 0, &l, err, sizeof err),
                     EV_EIO);
    assert_non_null(strstr(err, "event 2"));
    assert_int_equal(l.n, 0);
    /* the time order's copy is intact */
    assert_int_equal(ev_query_time(f->s, 0, INT64_MAX, NULL, 0, &l, err, sizeof err), EV_OK);
    assert_int_equal(l.n, 2);
    ev_list_free(&l);
}

/* ---- threads ---- */

#define WRITERS    4
#define PER_WRITER 500

typedef struct writer_arg {
    ev_store *s;
    int id;
    uint64_t firsts[PER_WRITER];
    int failures;
} writer_arg;

static void *writer_main(void *p) {
    writer_arg *w = p;
    char ent[32], body[64], err[256];
    snprintf(ent, sizeof ent, "person:W%d", w->id);
    for (int i = 0; i < PER_WRITER; i++) {
        snprintf(body, sizeof body, "{\"w\":%d,\"i\":%d}", w->id, i);
        ev_record r[2] = {rec(T0 + i, "badge", "E001", ent, NULL, body),
                          rec(T0 + i, "badge", "E001", ent, "zone:Z", body)};
        if (ev_append(w->s, r, 2, &w->firsts[i], err, sizeof err) != EV_OK) w->failures++;
    }
    return NULL;
}

/* Writers on four threads while a reader queries: every number given once,
 * a batch's two numbers adjacent, every event under its entities. */
static void test_concurrent_appends(void **state) {
    fixture *f = *state;
    static writer_arg w[WRITERS];
    pthread_t th[WRITERS];
    for (int i = 0; i < WRITERS; i++) {
        memset(&w[i], 0, sizeof w[i]);
        w[i].s = f->s, w[i].id = i;
        assert_int_equal(pthread_create(&th[i], NULL, writer_main, &w[i]), 0);
    }
    char err[256];
    for (int k = 0; k < 20; k++) {
        ev_list l;
        assert_int_equal(ev_query_time(f->s, T0, T0 + PER_WRITER, NULL, 0, &l, err, sizeof err),
                         EV_OK);
        assert_int_equal(l.n % 2, 0); /* batches whole */
        ev_list_free(&l);
    }
    for (int i = 0; i < WRITERS; i++) assert_int_equal(pthread_join(th[i], NULL), 0);
    const size_t total = 2 * WRITERS * PER_WRITER;
    uint8_t *given = calloc(total + 1, 1);
    for (int i = 0; i < WRITERS; i++) {
        assert_int_equal(w[i].failures, 0);
        for (int j = 0; j < PER_WRITER; j++) {
            uint64_t s0 = w[i].firsts[j];
            assert_true(s0 >= 1 && s0 + 1 <= total);
            assert_int_equal(given[s0]++, 0);
            assert_int_equal(given[s0 + 1]++, 0);
        }
    }
    free(given);
    ev_list l;
    assert_int_equal(ev_query_time(f->s, T0, T0 + PER_WRITER, NULL, 0, &l, err, sizeof err), EV_OK);
    assert_int_equal(l.n, total);
    ev_list_free(&l);
    assert_int_equal(ev_query_entity(f->s, "zone:Z", 0, INT64_MAX, 0, &l, err, sizeof err), EV_OK);
    assert_int_equal(l.n, WRITERS * PER_WRITER);
    ev_list_free(&l);
    assert_int_equal(ev_query_entity(f->s, "person:W2", 0, INT64_MAX, 0, &l, err, sizeof err),
                     EV_OK);
    assert_int_equal(l.n, 2 * PER_WRITER);
    ev_list_free(&l);
    ev_stats st;
    ev_get_stats(f->s, &st);
    assert_int_equal(st.next_seq, total + 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_out_of_order_answered_in_time_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_and_four_entities, setup, teardown),
        cmocka_unit_test_setup_teardown(test_limits_refused_with_reason, setup, teardown),
        cmocka_unit_test_setup_teardown(test_state_at, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retention_in_steps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reopen_keeps_sequence, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backup_restore_equal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_value_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_appends, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
