/*
 * test_ingest_observe.c - the pipeline's two closed-park hooks
 * (docs/closed-park.md): the readings of observed series (vehicle and
 * people positions) handed on per message, and park/E/D/events messages
 * handed to the events handler, refused ones counted and dead-lettered,
 * a storage failure returned for a retry.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "historian/historian.h"
#include "ingest/ingest.h"
#include "ingest/internal.h"
#include "tests/support/testutil.h"

#define NOW_MS ((int64_t)1767225600000)

typedef struct seen {
    char names[16][64];
    double values[16];
    size_t n, calls;
    int events_rc;
    size_t events;
    char ent[32], dev[64], body[128];
} seen;

static void observe(const ingest_observed *pts, size_t n, void *ctx) {
    seen *s = ctx;
    s->calls++;
    for (size_t i = 0; i < n && s->n < 16; i++, s->n++) {
        snprintf(s->names[s->n], sizeof s->names[s->n], "%s", pts[i].series);
        s->values[s->n] = pts[i].value;
    }
}

static int on_events(const char *enterprise, const char *device, const void *payload, size_t len,
                     int64_t recv_ms, char *why, size_t whycap, void *ctx) {
    (void)recv_ms;
    seen *s = ctx;
    s->events++;
    snprintf(s->ent, sizeof s->ent, "%s", enterprise);
    snprintf(s->dev, sizeof s->dev, "%s", device);
    snprintf(s->body, sizeof s->body, "%.*s", (int)len, (const char *)payload);
    if (s->events_rc == 1) snprintf(why, whycap, "unknown gate GATE-X");
    if (s->events_rc == INGEST_EVENTS_RETRY) snprintf(why, whycap, "disk full");
    return s->events_rc;
}

static void test_observe_and_events(void **state) {
    (void)state;
    char dir[512];
    testutil_tmpdir(dir, sizeof dir, "ingest-observe");
    hist_options ho;
    hist_options_default(&ho);
    ho.sync = HIST_SYNC_NONE;
    hist *h;
    hist_error he;
    if (hist_open(dir, &ho, &h, &he) != HIST_OK) fail_msg("hist_open: %s", he.msg);
    ingest_enterprise ents[] = {{.id = "E001"}, {.id = "PARK"}};
    seen s = {0};
    static const char *const prefixes[] = {"PARK/vehicles/", "PARK/people/"};
    ingest_options o;
    ingest_options_default(&o);
    o.historian = h;
    o.enterprises = ents;
    o.n_enterprises = 2;
    o.observe = observe;
    o.observe_ctx = &s;
    o.observe_prefixes = prefixes;
    o.n_observe_prefixes = 2;
    ingest *g;
    char err[256];
    if (ingest_open(&o, &g, err, sizeof err) != 0) fail_msg("ingest_open: %s", err);

    /* A vehicle's position: its four readings observed, in one call. */
    const char *pos = "{\"ts\": 1767225600000, \"values\": {\"沪A12345.lat\": 30.78, "
                      "\"沪A12345.lon\": 121.42, \"沪A12345.speed\": 31.5}}";
    assert_int_equal(ingest_message(g, "park/PARK/vehicles/data", pos, strlen(pos), NOW_MS, NOW_MS,
                                    err, sizeof err),
                     3);
    assert_int_equal(s.calls, 1);
    assert_int_equal(s.n, 3);
    assert_string_equal(s.names[0], "PARK/vehicles/沪A12345.lat");
    assert_true(s.values[0] == 30.78 && s.values[2] == 31.5);
    /* Readings of other series are not, known or new (the id's answer is kept). */
    const char *tank = "{\"ts\": 1767225600000, \"values\": {\"T101.level\": 9.5}}";
    for (int i = 0; i < 2; i++)
        assert_int_equal(ingest_message(g, "park/E001/tankfarm-1/data", tank, strlen(tank), NOW_MS,
                                        NOW_MS, err, sizeof err),
                         1);
    assert_int_equal(s.calls, 1);
    assert_int_equal(ingest_message(g, "park/PARK/vehicles/data", pos, strlen(pos), NOW_MS + 1000,
                                    NOW_MS + 1000, err, sizeof err),
                     3);
    assert_int_equal(s.calls, 2);

    /* Events: without a handler the topic is not one of ours. */
    const char *gate = "{\"type\": \"gate_passage\", \"gate\": \"PARK-G1\"}";
    ingest_stats st;
    assert_int_equal(ingest_message(g, "park/PARK/gates/events", gate, strlen(gate), NOW_MS, NOW_MS,
                                    err, sizeof err),
                     0);
    ingest_get_stats(g, &st);
    assert_int_equal(st.messages_rejected, 1);
    ingest_set_events(g, on_events, &s);
    assert_int_equal(ingest_message(g, "park/PARK/gates/events", gate, strlen(gate), NOW_MS, NOW_MS,
                                    err, sizeof err),
                     0);
    assert_int_equal(s.events, 1);
    assert_string_equal(s.ent, "PARK");
    assert_string_equal(s.dev, "gates");
    assert_string_equal(s.body, gate);
    ingest_get_stats(g, &st);
    assert_int_equal(st.event_messages, 1);
    assert_int_equal(st.messages_rejected, 1);
    /* Refused: counted and dead-lettered with the handler's reason. */
    s.events_rc = 1;
    assert_int_equal(ingest_message(g, "park/PARK/gates/events", gate, strlen(gate), NOW_MS, NOW_MS,
                                    err, sizeof err),
                     0);
    ingest_get_stats(g, &st);
    assert_int_equal(st.messages_rejected, 2);
    ingest_dead_letter dl[4];
    assert_true(ingest_dead_letters(g, dl, 4) >= 1);
    assert_string_equal(dl[0].reason, "rejected_event");
    assert_string_equal(dl[0].message, "unknown gate GATE-X");
    /* Storage: -1, the message to be offered again. */
    s.events_rc = INGEST_EVENTS_RETRY;
    assert_int_equal(ingest_message(g, "park/PARK/gates/events", gate, strlen(gate), NOW_MS, NOW_MS,
                                    err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "disk full"));
    /* An unknown enterprise never reaches the handler. */
    size_t before = s.events;
    assert_int_equal(ingest_message(g, "park/E999/cam/events", gate, strlen(gate), NOW_MS, NOW_MS,
                                    err, sizeof err),
                     0);
    assert_int_equal(s.events, before);

    ingest_close(g);
    assert_int_equal(hist_close(h, &he), HIST_OK);
    testutil_rmtree(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_observe_and_events),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
