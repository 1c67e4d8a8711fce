/*
 * test_ingest_cache.c - the pipeline's line protocol series key cache
 * (ingest/pipeline.c): the same messages through a pipeline with the
 * cache and one without give the same results, counters, series and
 * points, hits included (keys that differ only in the topic's device,
 * escapes, tag order, bad timestamps and values on known keys, foreign and
 * unknown enterprises); and a warm cache still refuses a new series past
 * the enterprise's limit, with a cache big enough and with one so small it
 * is emptied again and again.
 */
#include <inttypes.h>
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

typedef struct side {
    char dir[512];
    hist *h;
    ingest *g;
    ingest_enterprise ents[3];
} side;

static void side_open(side *s, const char *tag, size_t cache_entries, size_t max_series) {
    memset(s, 0, sizeof *s);
    testutil_tmpdir(s->dir, sizeof s->dir, tag);
    hist_options ho;
    hist_options_default(&ho);
    ho.sync = HIST_SYNC_NONE;
    hist_error he;
    if (hist_open(s->dir, &ho, &s->h, &he) != HIST_OK) fail_msg("hist_open: %s", he.msg);
    const char *ids[] = {"E001", "E002", "E003"};
    for (int i = 0; i < 3; i++) s->ents[i] = (ingest_enterprise){.id = ids[i]};
    ingest_options o;
    ingest_options_default(&o);
    o.historian = s->h;
    o.enterprises = s->ents;
    o.n_enterprises = 3;
    o.series_cache_entries = cache_entries;
    if (max_series) o.max_series_per_enterprise = max_series;
    char err[256];
    if (ingest_open(&o, &s->g, err, sizeof err) != 0) fail_msg("ingest_open: %s", err);
}

static void side_close(side *s) {
    ingest_close(s->g);
    hist_error he;
    assert_int_equal(hist_close(s->h, &he), HIST_OK);
    testutil_rmtree(s->dir);
}

/* One message through the pipeline, flushed; its result. */
static int side_send(side *s, const char *topic, const char *payload, bool any,
                     ingest_submit_result *res) {
    char err[256];
    int q = ingest_message_ex(s->g, topic, payload, strlen(payload), INGEST_LP_MS, any, NOW_MS,
                              NOW_MS, err, sizeof err);
    if (q < 0) fail_msg("ingest_message_ex: %s", err);
    ingest_last_result(s->g, res);
    assert_int_equal(ingest_flush(s->g, err, sizeof err), 0);
    return q;
}

static void same_result(const ingest_submit_result *a, const ingest_submit_result *b,
                        const char *what) {
    if (a->readings_accepted != b->readings_accepted ||
        a->readings_rejected != b->readings_rejected ||
        a->message_rejected != b->message_rejected ||
        a->points_overwritten != b->points_overwritten || a->lines_rejected != b->lines_rejected ||
        a->n_bad_lines != b->n_bad_lines || strcmp(a->first_reason, b->first_reason) ||
        strcmp(a->first_message, b->first_message))
        fail_msg("%s: cached %zu/%zu/%d/%zu %s '%s', uncached %zu/%zu/%d/%zu %s '%s'", what,
                 a->readings_accepted, a->readings_rejected, (int)a->message_rejected,
                 a->points_overwritten, a->first_reason, a->first_message, b->readings_accepted,
                 b->readings_rejected, (int)b->message_rejected, b->points_overwritten,
                 b->first_reason, b->first_message);
    for (size_t i = 0; i < a->n_bad_lines && i < INGEST_BAD_LINES_MAX; i++)
        assert_int_equal(a->bad_lines[i], b->bad_lines[i]);
}

typedef struct msg {
    const char *topic;
    bool any;
    const char *lines; /* %1$lld is a good timestamp */
} msg;

static const msg msgs[] = {
    {"park/+/influx/data", true,
     "sensor,enterprise=E001,device=d00001 v=123.45 %1$lld\n"
     "sensor,enterprise=E002,device=d00002 v=1.5 %1$lld\n"
     "sensor,enterprise=E003,device=d00003 v=2,w=3i,b=true %1$lld\n"},
    /* no enterprise tag, an unknown one */
    {"park/+/influx/data", true,
     "sensor,device=d00001 v=1 %1$lld\nsensor,enterprise=E777,device=d1 v=1 %1$lld\n"
     "sensor,enterprise=E001,device=d00001 v=7 %1$lld\n"},
    /* the same key bytes under two topic devices: two series */
    {"park/E001/devA/data", false, "m,loc=a x=1,y=2i %1$lld\n"},
    {"park/E001/devB/data", false, "m,loc=a x=1,y=2i %1$lld\n"},
    /* escapes, tag order (same name, other bytes) */
    {"park/E001/devA/data", false,
     "m\\ x,tag\\,k=v\\=1,device=dd f\\ 1=3 %1$lld\n"
     "m,b=2,a=1,device=dd v=1 %1$lld\nm,a=1,b=2,device=dd v=2 %1$lld\n"},
    /* known keys with a bad timestamp, a string, a too-late time */
    {"park/E001/devA/data", false,
     "m,loc=a x=1,y=\"s\" %1$lld\nm,loc=a x=1,y=2i 1000\nm,loc=a x=5 99999999999999\n"},
    /* foreign: E002 named under E001's topic */
    {"park/E001/devA/data", false,
     "m,loc=a x=1 %1$lld\nsensor,enterprise=E002,device=d00002 v=1.5 %1$lld\n"},
    /* overwritten within the message; a device with '/'; invalid UTF-8 */
    {"park/E002/gw/data", false,
     "sensor,device=d00002 v=1 %1$lld\nsensor,device=d00002 v=2 %1$lld\n"
     "sensor,device=a/b v=1 %1$lld\nsensor,device=d\xff v=1 %1$lld\n"
     "sensor,enterprise=E002,device=d00002 v=3 %1$lld\n"},
    /* nothing good */
    {"park/E003/gw/data", false, "sensor,device=x v=\"str\" %1$lld\n"},
};

static void test_hits_same_as_misses(void **state) {
    (void)state;
    side a, b;
    side_open(&a, "cache-on", 0, 0);
    side_open(&b, "cache-off", SIZE_MAX, 0);
    char payload[2048];
    for (int round = 0; round < 3; round++)
        for (size_t i = 0; i < sizeof msgs / sizeof msgs[0]; i++) {
            long long ts = (long long)(NOW_MS - 60000 + round * 1000);
            snprintf(payload, sizeof payload, msgs[i].lines, ts);
            ingest_submit_result ra, rb;
            int qa = side_send(&a, msgs[i].topic, payload, msgs[i].any, &ra);
            int qb = side_send(&b, msgs[i].topic, payload, msgs[i].any, &rb);
            char what[64];
            snprintf(what, sizeof what, "round %d message %zu", round, i);
            assert_int_equal(qa, qb);
            same_result(&ra, &rb, what);
        }
    ingest_stats sa, sb;
    ingest_get_stats(a.g, &sa);
    ingest_get_stats(b.g, &sb);
    assert_true(sa.series_cache_hits > 10);
    assert_int_equal(sb.series_cache_hits, 0);
    assert_int_equal(sa.messages, sb.messages);
    assert_int_equal(sa.messages_rejected, sb.messages_rejected);
    assert_int_equal(sa.readings, sb.readings);
    assert_int_equal(sa.readings_rejected, sb.readings_rejected);
    assert_int_equal(sa.series_created, sb.series_created);
    assert_int_equal(sa.points, sb.points);
    assert_int_equal(sa.points_overwritten, sb.points_overwritten);
    assert_int_equal(sa.n_rejects, sb.n_rejects);
    for (size_t i = 0; i < sa.n_rejects; i++) {
        assert_string_equal(sa.rejects[i].enterprise, sb.rejects[i].enterprise);
        assert_string_equal(sa.rejects[i].reason, sb.rejects[i].reason);
        assert_int_equal(sa.rejects[i].messages, sb.rejects[i].messages);
        assert_int_equal(sa.rejects[i].readings, sb.rejects[i].readings);
    }
    ingest_enterprise_count ca[3], cb[3];
    assert_int_equal(ingest_enterprise_counts(a.g, ca, 3), 3);
    assert_int_equal(ingest_enterprise_counts(b.g, cb, 3), 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(ca[i].messages, cb[i].messages);
        assert_int_equal(ca[i].messages_rejected, cb[i].messages_rejected);
        assert_int_equal(ca[i].readings, cb[i].readings);
        assert_int_equal(ca[i].readings_rejected, cb[i].readings_rejected);
        assert_int_equal(ca[i].points, cb[i].points);
        assert_int_equal(ca[i].points_overwritten, cb[i].points_overwritten);
    }
    /* the same series, in the same order, with the same points */
    hist_series_list la = {0}, lb = {0};
    hist_error he;
    assert_int_equal(hist_series_find(a.h, NULL, &la, &he), HIST_OK);
    assert_int_equal(hist_series_find(b.h, NULL, &lb, &he), HIST_OK);
    assert_int_equal(la.n, lb.n);
    assert_true(la.n >= 10);
    bool two_devices = false;
    for (size_t i = 0; i < la.n; i++) {
        hist_series_info ia, ib;
        assert_int_equal(la.ids[i], lb.ids[i]);
        assert_int_equal(hist_series_get(a.h, la.ids[i], &ia, &he), HIST_OK);
        assert_int_equal(hist_series_get(b.h, lb.ids[i], &ib, &he), HIST_OK);
        assert_string_equal(ia.name, ib.name);
        if (!strcmp(ia.name, "E001/devB/m,loc=a.y")) two_devices = true;
        hist_samples pa = {0}, pb = {0};
        assert_int_equal(hist_query_raw(a.h, la.ids[i], 0, INT64_MAX, 0, &pa, &he), HIST_OK);
        assert_int_equal(hist_query_raw(b.h, lb.ids[i], 0, INT64_MAX, 0, &pb, &he), HIST_OK);
        assert_int_equal(pa.n, pb.n);
        for (size_t k = 0; k < pa.n; k++) {
            assert_int_equal(pa.v[k].ts_ms, pb.v[k].ts_ms);
            assert_true(pa.v[k].value == pb.v[k].value);
        }
        hist_samples_free(&pa);
        hist_samples_free(&pb);
    }
    assert_true(two_devices);
    hist_series_list_free(&la);
    hist_series_list_free(&lb);
    side_close(&a);
    side_close(&b);
}

/* Readings of devices d1..dn of E001, over InfluxDB's road. */
static void devices_msg(char *out, size_t cap, int from, int to, long long ts) {
    size_t n = 0;
    for (int d = from; d <= to; d++)
        n += (size_t)snprintf(out + n, cap - n, "sensor,enterprise=E001,device=d%d v=%d %lld\n", d,
                              d, ts);
}

static void limit_with_warm_cache(size_t cache_entries) {
    side s;
    side_open(&s, "cache-limit", cache_entries, 3);
    char p[1024];
    ingest_submit_result r;
    for (int round = 0; round < 3; round++) {
        devices_msg(p, sizeof p, 1, 3, (long long)(NOW_MS - 10000 + round));
        assert_int_equal(side_send(&s, "park/+/influx/data", p, true, &r), 3);
        assert_int_equal(r.readings_rejected, 0);
    }
    /* warm: d1..d3 are hits; d4 is new, past the limit */
    for (int round = 0; round < 3; round++) {
        devices_msg(p, sizeof p, 1, 4, (long long)(NOW_MS - 5000 + round));
        assert_int_equal(side_send(&s, "park/+/influx/data", p, true, &r), 3);
        assert_int_equal(r.readings_rejected, 1);
        assert_string_equal(r.first_reason, "series_limit");
        devices_msg(p, sizeof p, 4, 5, (long long)(NOW_MS - 4000 + round));
        assert_int_equal(side_send(&s, "park/+/influx/data", p, true, &r), 0);
        assert_int_equal(r.readings_rejected, 2);
        assert_string_equal(r.first_reason, "series_limit");
        /* the topic's own enterprise, the same device over MQTT's road */
        assert_int_equal(side_send(&s, "park/E001/d4/data", "sensor v=1\n", false, &r), 0);
        assert_string_equal(r.first_reason, "series_limit");
    }
    ingest_stats st;
    ingest_get_stats(s.g, &st);
    assert_int_equal(st.series_created, 3);
    assert_int_equal(hist_series_count(s.h), 3);
    if (cache_entries == 0) assert_true(st.series_cache_hits >= 9);
    if (cache_entries == 2) assert_true(st.series_cache_resets > 0);
    side_close(&s);
}

static void test_limit_with_warm_cache(void **state) {
    (void)state;
    limit_with_warm_cache(0);
}

static void test_limit_with_tiny_cache(void **state) {
    (void)state;
    limit_with_warm_cache(2);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hits_same_as_misses),
        cmocka_unit_test(test_limit_with_warm_cache),
        cmocka_unit_test(test_limit_with_tiny_cache),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
