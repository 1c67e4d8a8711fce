/*
 * test_submit.c - ingest_service_submit (the road of HTTP payloads into
 * ingest) and the per-enterprise counters, with the service in-process
 * against a real mosquitto broker on a free loopback port: submissions from
 * several threads while MQTT messages flow, per-message results, the same
 * rejections as MQTT, durability across a crash, stop and timeouts.
 */
#include <inttypes.h>
#include <mosquitto.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "historian/historian.h"
#include "ingest/ingest.h"
#include "tests/support/mqtt.h"
#include "tests/support/park.h"

/* ---- the rig: broker, historian, the service in-process ---- */

typedef struct rig {
    park p; /* the broker and the directory; no parkd */
    char spool[600], hdir[600];
    hist *h;
    ingest_service *svc;
    ingest_enterprise ents[4];
} rig;

static bool rig_group_commit; /* the next service commits for waiting callers at once */

static void rig_start_service(rig *r, int sync_interval_ms, bool ack_after_fsync) {
    hist_error he;
    hist_options ho;
    hist_options_default(&ho);
    ho.sync = HIST_SYNC_NONE; /* as parkd: hist_sync at each commit makes points durable */
    if (hist_open(r->hdir, &ho, &r->h, &he) != HIST_OK) fail_msg("hist_open: %s", he.msg);
    const char *ids[] = {"E001", "E002", "E003", "E009"};
    for (int i = 0; i < 4; i++) r->ents[i] = (ingest_enterprise){.id = ids[i]};
    ingest_service_options o;
    memset(&o, 0, sizeof o);
    ingest_options_default(&o.pipeline);
    o.pipeline.historian = r->h;
    o.pipeline.enterprises = r->ents;
    o.pipeline.n_enterprises = 4;
    o.spool_dir = r->spool;
    o.host = "127.0.0.1";
    o.port = r->p.port;
    o.client_id = "parkd-test-submit";
    o.keepalive_s = 5;
    o.ack_after_fsync = ack_after_fsync;
    o.sync_interval_ms = sync_interval_ms;
    o.group_commit = rig_group_commit;
    char err[256];
    if (ingest_service_start(&o, &r->svc, err, sizeof err) != 0) fail_msg("start: %s", err);
}

/* The rig's directory and broker, without the service. */
static void rig_broker_up(rig *r, const char *name) {
    memset(r, 0, sizeof *r);
    park_broker_up(&r->p, name);
    snprintf(r->spool, sizeof r->spool, "%s/spool", r->p.dir);
    snprintf(r->hdir, sizeof r->hdir, "%s/historian", r->p.dir);
}

static void rig_up(rig *r, const char *name, int sync_interval_ms, bool ack_after_fsync) {
    rig_broker_up(r, name);
    rig_start_service(r, sync_interval_ms, ack_after_fsync);
}

/* Stops the service (answers every waiting call) and frees it. */
static void rig_stop_service(rig *r) {
    if (!r->svc) return;
    assert_int_equal(ingest_service_stop(r->svc), 0);
    ingest_service_free(r->svc);
    r->svc = NULL;
}

static void rig_down(rig *r) {
    rig_stop_service(r);
    hist_error he;
    if (r->h) assert_int_equal(hist_close(r->h, &he), HIST_OK);
    r->h = NULL;
    park_down(&r->p);
    testutil_rmtree(r->p.dir);
}

/* The enterprise's row of ingest_enterprise_counts. */
static ingest_enterprise_count counts_of(rig *r, const char *enterprise) {
    ingest_enterprise_count rows[8];
    size_t n = ingest_enterprise_counts(ingest_service_pipeline(r->svc), rows, 8);
    assert_int_equal(n, 4);
    for (size_t i = 0; i < n; i++)
        if (!strcmp(rows[i].enterprise, enterprise)) return rows[i];
    fail_msg("no counters for %s", enterprise);
    return rows[0];
}

/* Waits until the service has subscribed: a status message of E009 (which
 * no test counts) must come through. */
static void wait_subscribed(rig *r, publisher *pub) {
    ingest *g = ingest_service_pipeline(r->svc);
    for (int i = 0; i < 600; i++) {
        assert_int_equal(pub_send(pub, "park/E009/probe/status", "online", 6), MOSQ_ERR_SUCCESS);
        pub_wait(pub);
        proc_sleep_ms(50);
        ingest_device d[4];
        if (ingest_devices(g, d, 4) > 0) return;
    }
    fail_msg("the service never received a message from the broker");
}

/* Waits until the pipeline has flushed want points of enterprise e (a
 * bound, not a speed check: generous). */
static void wait_points(rig *r, const char *e, uint64_t want) {
    for (int i = 0; i < 6000 && counts_of(r, e).points < want; i++) proc_sleep_ms(10);
    assert_int_equal(counts_of(r, e).points, want);
}

/* ---- submissions from several threads while MQTT flows ---- */

#define SUB_THREADS  4
#define SUB_MESSAGES 60
#define SUB_READINGS 3
#define MQ_MESSAGES  400
#define MQ_READINGS  5

typedef struct submitter {
    rig *r;
    int t;
    int64_t t0;
    int failures;        /* calls that did not return 0 with the right counts */
    int not_queryable;   /* readings not in the historian when the call returned */
    char first_err[256]; /* the first failure, for the report */
} submitter;

static const char *sub_enterprise(int t) {
    return t % 2 ? "E003" : "E002";
}

static double sub_value(int t, int j, int k) {
    return t * 1e6 + j * 10 + k + 0.25;
}

static void *submit_main(void *arg) {
    submitter *sb = arg;
    static const char *tags[SUB_READINGS] = {"x", "y", "z"};
    for (int j = 0; j < SUB_MESSAGES; j++) {
        char topic[128], payload[512];
        snprintf(topic, sizeof topic, "park/%s/http-%d/data", sub_enterprise(sb->t), sb->t);
        int64_t ts = sb->t0 + j;
        snprintf(payload, sizeof payload,
                 "{\"ts\": %" PRId64 ", \"values\": {\"x\": %.17g, \"y\": %.17g, \"z\": %.17g}}",
                 ts, sub_value(sb->t, j, 0), sub_value(sb->t, j, 1), sub_value(sb->t, j, 2));
        ingest_submit_result res;
        char err[256];
        int rc = ingest_service_submit(sb->r->svc, topic, payload, strlen(payload), 60000, &res,
                                       err, sizeof err);
        if (rc != 0 || res.readings_accepted != SUB_READINGS || res.readings_rejected != 0 ||
            res.message_rejected || res.first_reason[0]) {
            if (!sb->failures++)
                snprintf(sb->first_err, sizeof sb->first_err,
                         "rc %d (%.200s) accepted %zu rejected %zu", rc, err, res.readings_accepted,
                         res.readings_rejected);
            continue;
        }
        /* Handled and stored before the call returned: queryable now. */
        for (int k = 0; k < SUB_READINGS; k++) {
            char series[128];
            snprintf(series, sizeof series, "%s/http-%d/%s", sub_enterprise(sb->t), sb->t, tags[k]);
            hist_value v = point_at(sb->r->h, series, ts);
            if (!v.present || v.value != sub_value(sb->t, j, k)) sb->not_queryable++;
        }
    }
    return NULL;
}

typedef struct mq_flow {
    publisher *pub;
    int64_t t0;
    int errors;
} mq_flow;

static double mq_value(int i, int k) {
    return i * 100 + k + 0.5;
}

static void *mqtt_main(void *arg) {
    mq_flow *f = arg;
    for (int i = 0; i < MQ_MESSAGES; i++) {
        char topic[64], payload[512];
        snprintf(topic, sizeof topic, "park/E001/mq-%d/data", i % 4);
        int n =
            snprintf(payload, sizeof payload, "{\"ts\": %" PRId64 ", \"values\": {", f->t0 + i / 4);
        for (int k = 0; k < MQ_READINGS; k++)
            n += snprintf(payload + n, sizeof payload - (size_t)n, "%s\"v%d\": %.17g",
                          k ? ", " : "", k, mq_value(i, k));
        snprintf(payload + n, sizeof payload - (size_t)n, "}}");
        if (pub_send(f->pub, topic, payload, strlen(payload)) != MOSQ_ERR_SUCCESS) f->errors++;
        if (i % 50 == 49) pub_wait(f->pub); /* keep a steady flow, not one lump */
    }
    pub_wait(f->pub);
    return NULL;
}

static void check_all_stored(hist *h, int64_t sub_t0, int64_t mq_t0) {
    static const char *tags[SUB_READINGS] = {"x", "y", "z"};
    size_t missing = 0;
    for (int t = 0; t < SUB_THREADS; t++)
        for (int j = 0; j < SUB_MESSAGES; j++)
            for (int k = 0; k < SUB_READINGS; k++) {
                char series[128];
                snprintf(series, sizeof series, "%s/http-%d/%s", sub_enterprise(t), t, tags[k]);
                hist_value v = point_at(h, series, sub_t0 + j);
                if (!v.present || v.value != sub_value(t, j, k)) missing++;
            }
    for (int i = 0; i < MQ_MESSAGES; i++)
        for (int k = 0; k < MQ_READINGS; k++) {
            char series[128];
            snprintf(series, sizeof series, "E001/mq-%d/v%d", i % 4, k);
            hist_value v = point_at(h, series, mq_t0 + i / 4);
            if (!v.present || v.value != mq_value(i, k)) missing++;
        }
    if (missing) fail_msg("%zu readings are missing from the historian", missing);
}

static void test_submit_concurrent_with_mqtt(void **state) {
    (void)state;
    rig r;
    rig_up(&r, "submit-concurrent", 20, true);
    publisher pub;
    pub_open(&pub, r.p.port);
    wait_subscribed(&r, &pub);
    int64_t sub_t0 = proc_wall_ms() - 600000, mq_t0 = proc_wall_ms() - 300000;

    mq_flow flow = {.pub = &pub, .t0 = mq_t0};
    pthread_t mq;
    assert_int_equal(pthread_create(&mq, NULL, mqtt_main, &flow), 0);
    submitter sb[SUB_THREADS];
    pthread_t th[SUB_THREADS];
    for (int t = 0; t < SUB_THREADS; t++) {
        sb[t] = (submitter){.r = &r, .t = t, .t0 = sub_t0};
        assert_int_equal(pthread_create(&th[t], NULL, submit_main, &sb[t]), 0);
    }
    for (int t = 0; t < SUB_THREADS; t++) pthread_join(th[t], NULL);
    pthread_join(mq, NULL);
    assert_int_equal(flow.errors, 0);
    for (int t = 0; t < SUB_THREADS; t++) {
        if (sb[t].failures)
            fail_msg("thread %d: %d failed submissions, first: %s", t, sb[t].failures,
                     sb[t].first_err);
        assert_int_equal(sb[t].not_queryable, 0);
    }

    /* Submitted points were flushed before their calls returned: exact now. */
    for (int e = 0; e < 2; e++) {
        ingest_enterprise_count c = counts_of(&r, e ? "E003" : "E002");
        uint64_t msgs = (SUB_THREADS / 2) * SUB_MESSAGES;
        assert_int_equal(c.messages, msgs);
        assert_int_equal(c.messages_rejected, 0);
        assert_int_equal(c.readings, msgs * SUB_READINGS);
        assert_int_equal(c.points, msgs * SUB_READINGS);
        assert_int_equal(c.readings_rejected, 0);
        assert_true(c.last_message_ms >= sub_t0 + 600000 - 1000);
    }
    /* The MQTT messages are all acknowledged, so in the spool; wait for them. */
    wait_points(&r, "E001", MQ_MESSAGES * MQ_READINGS);
    ingest_enterprise_count c = counts_of(&r, "E001");
    assert_int_equal(c.messages, MQ_MESSAGES);
    assert_int_equal(c.messages_rejected, 0);
    assert_int_equal(c.readings, MQ_MESSAGES * MQ_READINGS);
    assert_int_equal(c.readings_rejected, 0);
    assert_true(c.last_message_ms > 0);
    /* The per-enterprise rows add up to the park's counters. */
    ingest_stats st;
    ingest_get_stats(ingest_service_pipeline(r.svc), &st);
    ingest_enterprise_count rows[4];
    assert_int_equal(ingest_enterprise_counts(ingest_service_pipeline(r.svc), rows, 4), 4);
    uint64_t msgs = 0, readings = 0, points = 0;
    for (int i = 0; i < 4; i++)
        msgs += rows[i].messages, readings += rows[i].readings, points += rows[i].points;
    assert_int_equal(msgs, st.messages);
    assert_int_equal(readings, st.readings);
    assert_int_equal(points, st.points);
    assert_string_equal(rows[0].enterprise, "E001"); /* configuration order */
    assert_string_equal(rows[3].enterprise, "E009");

    ingest_service_stats ss;
    ingest_service_get_stats(r.svc, &ss);
    assert_int_equal(ss.submitted, SUB_THREADS * SUB_MESSAGES);
    assert_int_equal(ss.submit_failures, 0);
    assert_int_equal(ss.submits_waiting, 0);
    /* MQTT messages alone go through the spool; submitted ones bypass it */
    assert_true(ss.spooled_messages >= MQ_MESSAGES);
    assert_true(ss.spooled_messages < SUB_THREADS * SUB_MESSAGES + MQ_MESSAGES);
    assert_false(ss.failed);

    pub_close(&pub);
    rig_stop_service(&r);
    check_all_stored(r.h, sub_t0, mq_t0);
    rig_down(&r);
}

/* ---- per-message results and the same rejections as MQTT ---- */

static ingest_submit_result submit_ok(rig *r, const char *topic, const char *payload) {
    ingest_submit_result res;
    char err[256];
    int rc = ingest_service_submit(r->svc, topic, payload, strlen(payload), 60000, &res, err,
                                   sizeof err);
    if (rc != 0) fail_msg("submit %s: %s", topic, err);
    return res;
}

static const ingest_dead_letter *find_dead(const ingest_dead_letter *d, size_t n,
                                           const char *topic) {
    for (size_t i = 0; i < n; i++)
        if (!strcmp(d[i].topic, topic)) return &d[i];
    fail_msg("no dead letter for %s", topic);
    return NULL;
}

static void test_submit_results_and_rejections(void **state) {
    (void)state;
    rig r;
    rig_up(&r, "submit-reject", 20, false);
    publisher pub;
    pub_open(&pub, r.p.port);
    wait_subscribed(&r, &pub);
    ingest *g = ingest_service_pipeline(r.svc);
    int64_t t = proc_wall_ms() - 60000;
    char p[512];

    /* One bad value next to a good one: 1 accepted, 1 rejected, with why. */
    snprintf(p, sizeof p, "{\"ts\": %" PRId64 ", \"values\": {\"good\": 1.5, \"bad\": \"text\"}}",
             t);
    ingest_submit_result res = submit_ok(&r, "park/E001/dev-1/data", p);
    assert_int_equal(res.readings_accepted, 1);
    assert_int_equal(res.readings_rejected, 1);
    assert_false(res.message_rejected);
    assert_string_equal(res.first_reason, "bad_value_type");
    assert_non_null(strstr(res.first_message, "bad"));
    hist_value v = point_at(r.h, "E001/dev-1/good", t);
    assert_true(v.present && v.value == 1.5);
    assert_false(point_at(r.h, "E001/dev-1/bad", t).present);

    /* The same in line protocol: a NaN line and a good line. */
    snprintf(p, sizeof p, "m v=nan %" PRId64 "\nm v=2 %" PRId64 "\n", t, t);
    res = submit_ok(&r, "park/E002/lp-1/data", p);
    assert_int_equal(res.readings_accepted, 1);
    assert_int_equal(res.readings_rejected, 1);
    assert_string_equal(res.first_reason, "nan_or_inf");
    assert_true(point_at(r.h, "E002/lp-1/m.v", t).value == 2.0);

    /* An enterprise the park does not know: the whole message. */
    snprintf(p, sizeof p, "{\"ts\": %" PRId64 ", \"values\": {\"x\": 1}}", t);
    res = submit_ok(&r, "park/E999/dev/data", p);
    assert_true(res.message_rejected);
    assert_int_equal(res.readings_accepted, 0);
    assert_string_equal(res.first_reason, "unknown_enterprise");

    /* E001 naming E002's series, next to a reading of its own: nothing stored. */
    snprintf(p, sizeof p, "{\"ts\": %" PRId64 ", \"values\": {\"E002/tank/m.v\": 1, \"own\": 2}}",
             t);
    res = submit_ok(&r, "park/E001/gw/data", p);
    assert_true(res.message_rejected);
    assert_int_equal(res.readings_accepted, 0);
    assert_string_equal(res.first_reason, "foreign_series");
    snprintf(p, sizeof p,
             "m,enterprise=E002,device=tank v=1 %" PRId64 "\nm,device=tank v=2 %" PRId64, t, t);
    res = submit_ok(&r, "park/E001/gw/data", p);
    assert_true(res.message_rejected);
    assert_string_equal(res.first_reason, "foreign_series");

    /* Malformed JSON, a topic that is none of ours, a status message. */
    res = submit_ok(&r, "park/E001/dev-2/data", "{\"ts\": 1, \"values\": {");
    assert_true(res.message_rejected);
    assert_string_equal(res.first_reason, "malformed_json");
    res = submit_ok(&r, "factory/E001/dev/data", p);
    assert_true(res.message_rejected);
    assert_string_equal(res.first_reason, "bad_topic");
    res = submit_ok(&r, "", p);
    assert_true(res.message_rejected);
    assert_string_equal(res.first_reason, "bad_topic");
    res = submit_ok(&r, "park/E001/dev-3/status", "online");
    assert_false(res.message_rejected);
    assert_int_equal(res.readings_accepted + res.readings_rejected, 0);
    assert_string_equal(res.first_reason, "");

    /* The same mixed payload over MQTT: the dead letters and the counters
     * must not tell the two roads apart. */
    snprintf(p, sizeof p, "{\"ts\": %" PRId64 ", \"values\": {\"good\": 1.5, \"bad\": \"text\"}}",
             t);
    assert_int_equal(pub_send(&pub, "park/E001/dev-mq/data", p, strlen(p)), MOSQ_ERR_SUCCESS);
    pub_wait(&pub);
    res = submit_ok(&r, "park/E001/dev-http/data", p);
    wait_points(&r, "E001", 3); /* dev-1/good, dev-mq/good, dev-http/good */
    ingest_dead_letter dead[32];
    size_t nd = ingest_dead_letters(g, dead, 32);
    const ingest_dead_letter *dm = find_dead(dead, nd, "park/E001/dev-mq/data"),
                             *dh = find_dead(dead, nd, "park/E001/dev-http/data");
    assert_string_equal(dm->reason, dh->reason);
    assert_string_equal(dm->message, dh->message);
    assert_string_equal(dm->excerpt, dh->excerpt);
    assert_string_equal(dm->enterprise, dh->enterprise);
    assert_int_equal(dm->payload_len, dh->payload_len);
    assert_int_equal(dm->whole_message, dh->whole_message);
    for (size_t i = 0; i < nd; i++) assert_int_not_equal(dead[i].topic[0], '#'); /* no marker */
    find_dead(dead, nd, "park/E999/dev/data");
    find_dead(dead, nd, "factory/E001/dev/data");

    ingest_stats st;
    ingest_get_stats(g, &st);
    bool seen_unknown = false, seen_foreign = false, seen_type = false;
    for (size_t i = 0; i < st.n_rejects; i++) {
        const ingest_reject_count *rc = &st.rejects[i];
        if (!strcmp(rc->reason, "unknown_enterprise") && !strcmp(rc->enterprise, "E999"))
            seen_unknown = rc->messages == 1;
        if (!strcmp(rc->reason, "foreign_series") && !strcmp(rc->enterprise, "E001"))
            seen_foreign = rc->messages == 2;
        if (!strcmp(rc->reason, "bad_value_type") && !strcmp(rc->enterprise, "E001"))
            seen_type = rc->readings == 3; /* dev-1, dev-mq, dev-http */
    }
    assert_true(seen_unknown && seen_foreign && seen_type);

    /* E001: dev-1, 2 x gw, dev-2, dev-3 status, dev-mq, dev-http. */
    ingest_enterprise_count c = counts_of(&r, "E001");
    assert_int_equal(c.messages, 7);
    assert_int_equal(c.messages_rejected, 3); /* 2 x foreign_series, malformed_json */
    assert_int_equal(c.readings_rejected, 3);
    assert_int_equal(c.points, 3);
    c = counts_of(&r, "E002");
    assert_int_equal(c.messages, 1);
    assert_int_equal(c.readings_rejected, 1);
    assert_int_equal(c.points, 1);

    /* Names the historian refuses (a control byte in a JSON tag or a line
     * protocol key, a full name ending in '/') are rejected one by one:
     * once they failed the message as a historian error, and the service
     * stopped ingest on it, at every restart (found by fuzz_pipeline). */
    snprintf(p, sizeof p,
             "{\"ts\": %" PRId64 ", \"values\": {\"ok\": 1, \"a\\u0001b\": 2, "
             "\"E009/dev-1/x/\": 3}}",
             t);
    res = submit_ok(&r, "park/E009/dev-1/data", p);
    assert_int_equal(res.readings_accepted, 1);
    assert_int_equal(res.readings_rejected, 2);
    assert_string_equal(res.first_reason, "bad_tag");
    assert_true(point_at(r.h, "E009/dev-1/ok", t).value == 1.0);
    snprintf(p, sizeof p, "m,si\x0fte=n v=1 %" PRId64 "\nm v=3 %" PRId64 "\n", t, t);
    res = submit_ok(&r, "park/E009/lp-2/data", p);
    assert_int_equal(res.readings_accepted, 1);
    assert_int_equal(res.readings_rejected, 1);
    assert_string_equal(res.first_reason, "bad_tag");
    assert_true(point_at(r.h, "E009/lp-2/m.v", t).value == 3.0);

    pub_close(&pub);
    rig_stop_service(&r);
    assert_int_equal(series_count(r.h, "E999"), 0);
    assert_int_equal(series_count(r.h, "E002"), 1); /* lp-1/m.v only, no spoofed tank */
    assert_false(point_at(r.h, "E001/gw/own", t).present);
    rig_down(&r);
}

/* ---- stop, timeouts ---- */

typedef struct waiter {
    rig *r;
    int64_t ts;
    int rc;
    ingest_submit_result res;
    char err[256];
} waiter;

static void *wait_main(void *arg) {
    waiter *w = arg;
    char p[256];
    snprintf(p, sizeof p, "{\"ts\": %" PRId64 ", \"values\": {\"w\": 7}}", w->ts);
    w->rc = ingest_service_submit(w->r->svc, "park/E002/waiter/data", p, strlen(p), 0, &w->res,
                                  w->err, sizeof w->err);
    return NULL;
}

/* Group commit: with a commit interval of ten minutes, each call is
 * answered at once, its points durable (hist_sync ran before the answer).
 * A submitted park/+/... message writes each line to the enterprise its
 * enterprise= tag names (no MQTT topic can hold '+'). */
static void test_submit_group_commit(void **state) {
    (void)state;
    rig r;
    rig_group_commit = true;
    rig_up(&r, "submit-group", 600000, false);
    rig_group_commit = false;
    int64_t t = proc_wall_ms() - 60000;
    for (int j = 0; j < 5; j++) {
        char p[256], err[256];
        ingest_submit_result res;
        snprintf(p, sizeof p, "{\"ts\": %" PRId64 ", \"values\": {\"g\": %d}}", t + j, j);
        int64_t t0 = proc_wall_ms();
        int rc = ingest_service_submit(r.svc, "park/E001/group/data", p, strlen(p), 5000, &res, err,
                                       sizeof err);
        if (rc != 0) fail_msg("submit: %s", err);
        assert_true(proc_wall_ms() - t0 < 4000);
        assert_int_equal(res.readings_accepted, 1);
        assert_true(point_at(r.h, "E001/group/g", t + j).value == j);
    }
    char p[512], err[256];
    ingest_submit_result res;
    snprintf(p, sizeof p,
             "m,enterprise=E001,device=a v=1 %" PRId64 "\nm,enterprise=E003,device=b v=2 %" PRId64
             "\nm,device=c v=3 %" PRId64 "\nm,enterprise=E777,device=d v=4 %" PRId64 "\n",
             t, t, t, t);
    assert_int_equal(ingest_service_submit_prec(r.svc, "park/+/http/data", p, strlen(p),
                                                INGEST_LP_MS, 5000, &res, err, sizeof err),
                     0);
    assert_int_equal(res.readings_accepted, 2);
    assert_int_equal(res.readings_rejected, 2);
    assert_int_equal(res.lines_rejected, 2);
    assert_true(point_at(r.h, "E001/a/m.v", t).value == 1);
    assert_true(point_at(r.h, "E003/b/m.v", t).value == 2);
    assert_int_equal(counts_of(&r, "E003").points, 1);
    rig_down(&r);
}

static void test_submit_timeout_stop_and_after_stop(void **state) {
    (void)state;
    rig r;
    /* A commit interval far beyond the timeouts below: no call can be
     * answered before stop commits. */
    rig_up(&r, "submit-stop", 600000, false);
    int64_t t = proc_wall_ms() - 60000;
    char p[256], err[256];
    ingest_submit_result res;

    /* Timeout: handled but not yet durable. The message is still stored. */
    snprintf(p, sizeof p, "{\"ts\": %" PRId64 ", \"values\": {\"late\": 3}}", t);
    int rc = ingest_service_submit(r.svc, "park/E002/slow/data", p, strlen(p), 300, &res, err,
                                   sizeof err);
    assert_int_equal(rc, -1);
    assert_true(!strncmp(err, "timeout:", 8));
    assert_non_null(strstr(err, "will still be stored"));

    /* A caller without a time limit is answered by stop, after the last commit. */
    waiter w = {.r = &r, .ts = t};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, wait_main, &w), 0);
    ingest_service_stats ss;
    for (int i = 0; i < 3000; i++) {
        ingest_service_get_stats(r.svc, &ss);
        if (ss.submits_waiting == 1 && counts_of(&r, "E002").messages == 2) break;
        proc_sleep_ms(10);
    }
    assert_int_equal(counts_of(&r, "E002").messages, 2);
    assert_int_equal(ingest_service_stop(r.svc), 0);
    pthread_join(th, NULL);
    assert_int_equal(w.rc, 0);
    assert_int_equal(w.res.readings_accepted, 1);

    /* After stop: refused at once, saying why. */
    rc = ingest_service_submit(r.svc, "park/E002/slow/data", p, strlen(p), 1000, &res, err,
                               sizeof err);
    assert_int_equal(rc, -1);
    assert_true(!strncmp(err, "stopping:", 9));
    assert_int_equal(res.readings_accepted, 0);
    ingest_service_get_stats(r.svc, &ss);
    assert_int_equal(ss.submitted, 1);
    assert_int_equal(ss.submit_failures, 2);
    /* Bad arguments. */
    assert_int_equal(ingest_service_submit(r.svc, NULL, p, 1, 10, &res, err, sizeof err), -1);
    assert_true(!strncmp(err, "invalid:", 8));
    ingest_service_free(r.svc);
    r.svc = NULL;

    assert_true(point_at(r.h, "E002/slow/late", t).value == 3.0);
    assert_true(point_at(r.h, "E002/waiter/w", t).value == 7.0);
    rig_down(&r);
}

/* ---- submissions do not need the broker ---- */

static void test_submit_without_broker(void **state) {
    (void)state;
    rig r;
    rig_up(&r, "submit-nobroker", 20, true);
    ingest_service_stats ss;
    for (int i = 0; i < 1000; i++) {
        ingest_service_get_stats(r.svc, &ss);
        if (ss.connected) break;
        proc_sleep_ms(10);
    }
    assert_true(ss.connected);
    proc_stop(r.p.broker, SIGTERM);
    r.p.broker = 0;
    for (int i = 0; i < 1000; i++) {
        ingest_service_get_stats(r.svc, &ss);
        if (!ss.connected) break;
        proc_sleep_ms(10);
    }
    assert_false(ss.connected);
    int64_t t = proc_wall_ms() - 60000;
    for (int j = 0; j < 5; j++) {
        char p[256], err[256];
        ingest_submit_result res;
        snprintf(p, sizeof p, "{\"ts\": %" PRId64 ", \"values\": {\"v\": %d}}", t + j, j);
        int rc = ingest_service_submit(r.svc, "park/E001/offline/data", p, strlen(p), 60000, &res,
                                       err, sizeof err);
        if (rc != 0) fail_msg("submit without a broker: %s", err);
        assert_int_equal(res.readings_accepted, 1);
        assert_true(point_at(r.h, "E001/offline/v", t + j).value == j);
    }
    rig_down(&r);
}

/* ---- durability: a crash right after the calls returned loses nothing ---- */

#define CRASH_MESSAGES 40

static void test_submit_survives_crash(void **state) {
    (void)state;
    rig r;
    rig_broker_up(&r, "submit-crash");
    int64_t t = proc_wall_ms() - 60000;
    char okfile[700];
    snprintf(okfile, sizeof okfile, "%s/ok.txt", r.p.dir);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* The child: submits, notes each call that returned 0, then dies
         * without stopping anything (no commit, no close). */
        rig_start_service(&r, 20, true);
        FILE *f = fopen(okfile, "w");
        if (!f) _exit(3);
        for (int j = 0; j < CRASH_MESSAGES; j++) {
            char p[256], err[256];
            ingest_submit_result res;
            snprintf(p, sizeof p, "{\"ts\": %" PRId64 ", \"values\": {\"a\": %d, \"b\": %d}}",
                     t + j, j, -j);
            if (ingest_service_submit(r.svc, "park/E003/crash/data", p, strlen(p), 60000, &res, err,
                                      sizeof err) != 0 ||
                res.readings_accepted != 2)
                _exit(4);
            fprintf(f, "%d\n", j);
            fflush(f);
        }
        fclose(f);
        kill(getpid(), SIGKILL);
        _exit(5);
    }
    int st = 0;
    double until = proc_now() + 300;
    while (waitpid(pid, &st, WNOHANG) == 0 && proc_now() < until) proc_sleep_ms(20);
    if (proc_now() >= until) {
        kill(pid, SIGKILL);
        waitpid(pid, &st, 0);
        fail_msg("the child did not finish");
    }
    assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    char *ok = proc_read_file(okfile);
    assert_non_null(ok);
    int n_ok = 0;
    for (char *q = ok; *q; q++) n_ok += *q == '\n';
    free(ok);
    assert_int_equal(n_ok, CRASH_MESSAGES);
    /* Only the historian, as it was left: no spool replay. */
    hist_error he;
    hist *h = NULL;
    if (hist_open(r.hdir, NULL, &h, &he) != HIST_OK) fail_msg("hist_open: %s", he.msg);
    for (int j = 0; j < CRASH_MESSAGES; j++) {
        hist_value a = point_at(h, "E003/crash/a", t + j), b = point_at(h, "E003/crash/b", t + j);
        if (!a.present || a.value != j || !b.present || b.value != -j)
            fail_msg("message %d, acknowledged before the crash, is not in the historian", j);
    }
    assert_int_equal(hist_close(h, &he), HIST_OK);
    r.h = NULL;
    /* They were durable in the historian's log, not in the spool: the
     * spool never held them (no MQTT message came either). */
    char cmd[800];
    snprintf(cmd, sizeof cmd, "cat %s/*.spool 2>/dev/null | wc -c", r.spool);
    FILE *pf = popen(cmd, "r");
    assert_non_null(pf);
    long spooled = -1;
    assert_int_equal(fscanf(pf, "%ld", &spooled), 1);
    pclose(pf);
    assert_int_equal(spooled, 0);
    rig_down(&r);
}

/* ---- one names rule and every rejection counted, in each format ---- */

typedef struct bad_case {
    const char *reason;
    char body[640];
} bad_case;

#define N_BAD 9 /* eight single-reading rejections and one raw invalid UTF-8 name */

/* The cases of one format (0 Parkwatch JSON, 1 Neuron, 2 line protocol):
 * each message holds at most one rejection, next to a good reading where
 * the format can say so. Quality exists in Parkwatch JSON only; line
 * protocol has its NaN instead; raw invalid UTF-8 makes a JSON message
 * malformed_json (jansson), a line protocol reading bad_tag. */
static void bad_cases(int fmt, int64_t t, bad_case *c) {
    char longname[300];
    memset(longname, 'x', 256);
    longname[256] = 0;
    int64_t fut = t + (int64_t)3 * 86400000;
    if (fmt == 0) {
        const char *v[] = {"\"s\": \"text\"", "\"n\": null",     "\"q\": 2",
                           "\"a\\u0001\": 2", "\"b\\u0085\": 2", NULL};
        const char *r[] = {"bad_value_type", "bad_value_type", "bad_quality", "bad_tag", "bad_tag"};
        for (int i = 0; v[i]; i++) {
            c[i].reason = r[i];
            snprintf(c[i].body, sizeof c[i].body,
                     "{\"ts\": %" PRId64 ", \"values\": {\"ok\": 1, %s}%s}", t, v[i],
                     i == 2 ? ", \"quality\": {\"q\": \"weird\"}" : "");
        }
        c[5].reason = "bad_tag";
        snprintf(c[5].body, sizeof c[5].body,
                 "{\"ts\": %" PRId64 ", \"values\": {\"ok\": 1, \"%s\": 2}}", t, longname);
        c[6].reason = c[7].reason = "ts_out_of_range";
        snprintf(c[6].body, sizeof c[6].body,
                 "[{\"ts\": %" PRId64 ", \"values\": {\"ok\": 1}}, {\"ts\": 1000, \"values\": "
                 "{\"old\": 1}}]",
                 t);
        snprintf(c[7].body, sizeof c[7].body,
                 "[{\"ts\": %" PRId64 ", \"values\": {\"ok\": 1}}, {\"ts\": %" PRId64
                 ", \"values\": {\"fut\": 1}}]",
                 t, fut);
        c[8].reason = "malformed_json";
        snprintf(c[8].body, sizeof c[8].body,
                 "{\"ts\": %" PRId64 ", \"values\": {\"m\xC3\x28\": 1}}", t);
    } else if (fmt == 1) {
        const char *v[] = {"\"s\": \"text\"", "\"n\": null", "\"a\\u0001\": 2", "\"b\\u0085\": 2",
                           NULL};
        const char *r[] = {"bad_value_type", "bad_value_type", "bad_tag", "bad_tag"};
        for (int i = 0; v[i]; i++) {
            c[i].reason = r[i];
            snprintf(c[i].body, sizeof c[i].body,
                     "{\"timestamp\": %" PRId64 ", \"node\": \"plc\", \"values\": {\"ok\": 1, %s}}",
                     t, v[i]);
        }
        c[4].reason = c[5].reason = "bad_tag";
        snprintf(c[4].body, sizeof c[4].body,
                 "{\"timestamp\": %" PRId64
                 ", \"node\": \"plc\", \"values\": {\"ok\": 1, \"%s\": 2}}",
                 t, longname);
        snprintf(c[5].body, sizeof c[5].body,
                 "{\"timestamp\": %" PRId64 ", \"node\": \"p\\u0007\", \"values\": {\"x\": 1}}", t);
        c[6].reason = c[7].reason = "ts_out_of_range";
        snprintf(c[6].body, sizeof c[6].body,
                 "{\"timestamp\": 1000, \"node\": \"plc\", \"values\": {\"old\": 1}}");
        snprintf(c[7].body, sizeof c[7].body,
                 "{\"timestamp\": %" PRId64 ", \"node\": \"plc\", \"values\": {\"fut\": 1}}", fut);
        c[8].reason = "malformed_json";
        snprintf(c[8].body, sizeof c[8].body,
                 "{\"timestamp\": %" PRId64 ", \"node\": \"plc\", \"values\": {\"m\xC3\x28\": 1}}",
                 t);
    } else {
        const char *v[] = {"m s=\"text\"",       "m b=nan", "m\xC3\x28 v=1", "m,k=a\x01 v=1",
                           "m,device=d\xC3 v=1", NULL};
        const char *r[] = {"bad_value_type", "nan_or_inf", "bad_tag", "bad_tag", "bad_tag"};
        for (int i = 0; v[i]; i++) {
            c[i].reason = r[i];
            snprintf(c[i].body, sizeof c[i].body, "m ok=1 %" PRId64 "\n%s %" PRId64, t, v[i], t);
        }
        c[5].reason = "bad_tag";
        snprintf(c[5].body, sizeof c[5].body, "m ok=1 %" PRId64 "\nm %s=1 %" PRId64, t, longname,
                 t);
        c[6].reason = c[7].reason = "ts_out_of_range";
        snprintf(c[6].body, sizeof c[6].body, "m ok=1 %" PRId64 "\nm old=1 1000", t);
        snprintf(c[7].body, sizeof c[7].body, "m ok=1 %" PRId64 "\nm fut=1 %" PRId64, t, fut);
        c[8].reason = "bad_tag";
        snprintf(c[8].body, sizeof c[8].body, "m\xC3\x28 v=1 %" PRId64, t);
    }
}

static uint64_t reject_count(const ingest_stats *st, const char *ent, const char *reason,
                             bool messages) {
    for (size_t i = 0; i < st->n_rejects; i++)
        if (!strcmp(st->rejects[i].enterprise, ent) && !strcmp(st->rejects[i].reason, reason))
            return messages ? st->rejects[i].messages : st->rejects[i].readings;
    return 0;
}

static size_t dead_count(const ingest_dead_letter *d, size_t n, const char *topic,
                         const char *reason) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++) k += !strcmp(d[i].topic, topic) && !strcmp(d[i].reason, reason);
    return k;
}

static void test_names_and_rejections_every_format(void **state) {
    (void)state;
    rig r;
    rig_up(&r, "submit-names", 20, false);
    publisher pub;
    pub_open(&pub, r.p.port);
    wait_subscribed(&r, &pub);
    ingest *g = ingest_service_pipeline(r.svc);
    int64_t t = proc_wall_ms() - 60000;
    static const char *const ents[3] = {"E001", "E002", "E003"};
    static const char *const topics[3] = {"park/E001/dev-json/data", "park/E002/dev-neuron/data",
                                          "park/E003/dev-lp/data"};
    bad_case cases[3][N_BAD];
    for (int f = 0; f < 3; f++) bad_cases(f, t, cases[f]);
    /* Each case over MQTT, then through submit (the HTTP ingest's road):
     * submit returns once its message is handled, so once the last one
     * has, every MQTT message before it has too. */
    for (int f = 0; f < 3; f++)
        for (int i = 0; i < N_BAD; i++)
            pub_send_acked(&pub, topics[f], cases[f][i].body, strlen(cases[f][i].body));
    for (int f = 0; f < 3; f++)
        for (int i = 0; i < N_BAD; i++) {
            ingest_submit_result res;
            char err[256];
            assert_int_equal(ingest_service_submit(r.svc, topics[f], cases[f][i].body,
                                                   strlen(cases[f][i].body), 10000, &res, err,
                                                   sizeof err),
                             0);
            assert_string_equal(res.first_reason, cases[f][i].reason);
            assert_int_equal(ingest_name_check(res.first_message, strlen(res.first_message),
                                               sizeof res.first_message),
                             INGEST_NAME_OK);
        }
    /* Invalid topic parts never become labels: bad_topic, scrubbed. */
    const char *bad_topics[] = {"park/E\xC3\x28/dev/data", "park/E001/d\xED\xA0\x80/data"};
    for (int i = 0; i < 2; i++) {
        ingest_submit_result res;
        char err[256];
        assert_int_equal(
            ingest_service_submit(r.svc, bad_topics[i], "{}", 2, 10000, &res, err, sizeof err), 0);
        assert_true(res.message_rejected);
        assert_string_equal(res.first_reason, "bad_topic");
    }
    pub_close(&pub);

    /* Counted under each reason, twice (MQTT and submit). */
    ingest_stats st;
    ingest_get_stats(g, &st);
    for (int f = 0; f < 3; f++) {
        uint64_t rejected_readings = 0;
        for (int i = 0; i < N_BAD; i++) {
            const char *why = cases[f][i].reason;
            bool whole = !strcmp(why, "malformed_json");
            size_t same = 0;
            for (int k = 0; k < N_BAD; k++) same += !strcmp(cases[f][k].reason, why);
            if (!whole) rejected_readings++;
            uint64_t got = reject_count(&st, ents[f], why, whole);
            if (got != 2 * same)
                fail_msg("%s: %s counted %" PRIu64 " times, want %zu", ents[f], why, got, 2 * same);
            if (!whole) assert_int_equal(reject_count(&st, ents[f], why, true), 0);
        }
        ingest_enterprise_count c = counts_of(&r, ents[f]);
        assert_int_equal(c.readings_rejected, 2 * rejected_readings);
        assert_int_equal(c.messages_rejected, f < 2 ? 2 : 0);
    }
    assert_int_equal(reject_count(&st, "", "bad_topic", true), 2);
    for (size_t i = 0; i < st.n_rejects; i++) {
        const char *e = st.rejects[i].enterprise;
        assert_int_equal(ingest_name_check(e, strlen(e), INGEST_ID_MAX) == INGEST_NAME_OK || !*e,
                         true);
    }

    /* The dead-letter log lists each of them, valid UTF-8 throughout. */
    ingest_dead_letter dead[128];
    size_t nd = ingest_dead_letters(g, dead, 128);
    for (int f = 0; f < 3; f++)
        for (int i = 0; i < N_BAD; i++) {
            size_t same = 0;
            for (int k = 0; k < N_BAD; k++) same += !strcmp(cases[f][k].reason, cases[f][i].reason);
            assert_int_equal(dead_count(dead, nd, topics[f], cases[f][i].reason), 2 * same);
        }
    size_t bad_topic_letters = 0;
    for (size_t i = 0; i < nd; i++) {
        assert_int_equal(ingest_name_check(dead[i].topic, strlen(dead[i].topic), 200),
                         INGEST_NAME_OK);
        assert_int_equal(ingest_name_check(dead[i].message, strlen(dead[i].message), 200),
                         INGEST_NAME_OK);
        bad_topic_letters += !strcmp(dead[i].reason, "bad_topic");
    }
    assert_int_equal(bad_topic_letters, 2);

    /* Nothing invalid was stored: every series name passes the rule, and
     * the good readings next to the bad ones were kept. */
    wait_points(&r, "E003", 2 * 8);
    hist_series_list l = {0};
    hist_error he;
    assert_int_equal(hist_series_find(r.h, NULL, &l, &he), HIST_OK);
    assert_true(l.n >= 3);
    for (size_t i = 0; i < l.n; i++) {
        hist_series_info info;
        assert_int_equal(hist_series_get(r.h, l.ids[i], &info, &he), HIST_OK);
        if (ingest_name_check(info.name, strlen(info.name), HIST_SERIES_NAME_MAX) != INGEST_NAME_OK)
            fail_msg("series %u has an invalid name", l.ids[i]);
    }
    hist_series_list_free(&l);
    rig_down(&r);
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_submit_concurrent_with_mqtt),
        cmocka_unit_test(test_submit_results_and_rejections),
        cmocka_unit_test(test_submit_group_commit),
        cmocka_unit_test(test_submit_timeout_stop_and_after_stop),
        cmocka_unit_test(test_submit_without_broker),
        cmocka_unit_test(test_submit_survives_crash),
        cmocka_unit_test(test_names_and_rejections_every_format),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    proc_cleanup();
    return rc;
}
