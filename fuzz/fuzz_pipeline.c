/*
 * fuzz_pipeline.c - libFuzzer target of the ingest pipeline
 * (ingest_message, ingest/ingest.h): what parkd does with each MQTT message
 * after the broker, i.e. topic parsing (park/{enterprise}/{device}/data and
 * /status), the per-enterprise format, the payload parser, the checks
 * (foreign series, series names and limits, timestamps against the clock),
 * device status, dead letters (fixed-size copies of topic, message and an
 * excerpt of the payload) and the flush into a real historian.
 *
 * The input is the topic up to the first '\n', then the payload. Five
 * enterprises are registered, one per format plus PARK (auto); each may
 * create 300 series, so the limit is reached and exercised too. The
 * historian lives in a scratch directory under $PARKWATCH_TMP, removed at
 * exit. Properties beyond the sanitizers: ingest_message never fails (it
 * returns -1 only when the historian refuses a series, which means the
 * pipeline let through a name or point the historian's rules forbid) and
 * counts exactly one message; ingest_flush stores what was queued; dead
 * letters and devices hold NUL-terminated strings, excerpts only printable
 * bytes. A broken property aborts.
 */
#include <errno.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "historian/historian.h"
#include "ingest/ingest.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_pipeline: property failed: %s (line %d)\n", #cond, __LINE__);    \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#define NOW_MS 1700000000000LL

static char dir[3072];
static hist *h;
static ingest *g;

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

static void cleanup(void) {
    ingest_close(g);
    hist_error he;
    hist_close(h, &he);
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* E005 writes line protocol in nanoseconds, as Telegraf does */
static const ingest_enterprise ents[] = {
    {.id = "E001", .format = INGEST_FMT_AUTO, .interval_ms = 1000},
    {.id = "E002", .format = INGEST_FMT_JSON},
    {.id = "E003", .format = INGEST_FMT_NEURON, .interval_ms = 60000},
    {.id = "E004", .format = INGEST_FMT_LINEPROTO, .interval_ms = 1000},
    {.id = "E005", .format = INGEST_FMT_LINEPROTO, .lp_precision = 1 + INGEST_LP_NS},
    {.id = "PARK", .format = INGEST_FMT_AUTO}};

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    const char *base = getenv("PARKWATCH_TMP");
    snprintf(dir, sizeof dir, "%.3000s/parkwatch-fuzz-pipeline.XXXXXX",
             base && *base ? base : "/tmp");
    if (!mkdtemp(dir)) {
        perror(dir);
        exit(1);
    }
    char path[3200];
    snprintf(path, sizeof path, "%s/historian", dir);
    hist_options ho;
    hist_options_default(&ho);
    ho.sync = HIST_SYNC_NONE;
    hist_error he;
    if (hist_open(path, &ho, &h, &he) != HIST_OK) {
        fprintf(stderr, "fuzz_pipeline: historian: %s\n", he.msg);
        exit(1);
    }
    ingest_options o;
    ingest_options_default(&o);
    o.historian = h;
    o.enterprises = ents;
    o.n_enterprises = sizeof ents / sizeof ents[0];
    o.max_payload_bytes = 2048; /* so that payload_too_large is reached */
    o.max_series_per_enterprise = 300;
    o.dead_letter_capacity = 8;
    char err[256];
    if (ingest_open(&o, &g, err, sizeof err) != 0) {
        fprintf(stderr, "fuzz_pipeline: %s\n", err);
        exit(1);
    }
    atexit(cleanup);
    return 0;
}

static void check_str(const char *s, size_t cap) {
    CHECK(strnlen(s, cap) < cap);
}

/* Valid UTF-8 without control characters (or empty): safe in JSON and labels. */
static void check_text(const char *s, size_t cap) {
    check_str(s, cap);
    CHECK(!*s || ingest_name_check(s, strlen(s), cap) == INGEST_NAME_OK);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const uint8_t *nl = memchr(data, '\n', size);
    size_t tlen = nl ? (size_t)(nl - data) : size;
    char *topic = malloc(tlen + 1);
    if (!topic) return 0;
    memcpy(topic, data, tlen);
    topic[tlen] = 0;
    size_t plen = nl ? size - tlen - 1 : 0;
    uint8_t *payload = malloc(plen ? plen : 1); /* exactly sized */
    if (!payload) abort();
    if (plen) memcpy(payload, nl + 1, plen);

    ingest_stats before, after;
    ingest_get_stats(g, &before);
    size_t series_before = hist_series_count(h);
    char err[256] = "";
    int rc = ingest_message(g, topic, payload, plen, NOW_MS, NOW_MS, err, sizeof err);
    if (rc < 0) fprintf(stderr, "fuzz_pipeline: ingest_message: %s\n", err);
    CHECK(rc >= 0);
    CHECK(ingest_pending_points(g) >= (size_t)rc);
    ingest_get_stats(g, &after);
    CHECK(after.messages == before.messages + 1 ||
          after.messages_rejected == before.messages_rejected + 1);
    rc = ingest_flush(g, err, sizeof err);
    if (rc != 0) fprintf(stderr, "fuzz_pipeline: ingest_flush: %s\n", err);
    CHECK(rc == 0);
    CHECK(ingest_pending_points(g) == 0);
    ingest_mark_durable(g, NOW_MS);

    static ingest_dead_letter dl[8];
    size_t n = ingest_dead_letters(g, dl, 8);
    CHECK(n <= 8);
    for (size_t i = 0; i < n; i++) {
        check_text(dl[i].topic, sizeof dl[i].topic);
        check_text(dl[i].enterprise, sizeof dl[i].enterprise);
        check_text(dl[i].reason, sizeof dl[i].reason);
        check_text(dl[i].message, sizeof dl[i].message);
        check_str(dl[i].excerpt, sizeof dl[i].excerpt);
        for (const char *p = dl[i].excerpt; *p; p++) CHECK(*p >= 0x20 && *p < 0x7f);
    }
    static ingest_device dev[64];
    n = ingest_devices(g, dev, 64);
    for (size_t i = 0; i < n; i++) {
        check_str(dev[i].enterprise, sizeof dev[i].enterprise);
        check_str(dev[i].device, sizeof dev[i].device);
    }
    ingest_enterprise_count ec[8];
    n = ingest_enterprise_counts(g, ec, 8);
    CHECK(n == sizeof ents / sizeof ents[0]); /* one row per configured enterprise */
    uint64_t msgs = 0;
    for (size_t i = 0; i < n; i++) msgs += ec[i].messages;
    CHECK(msgs <= after.messages);
    /* Every rejection is counted under a reason: the rows add up to the
     * totals, messages and readings alike. */
    uint64_t by_reason_msgs = 0, by_reason_readings = 0;
    for (size_t i = 0; i < after.n_rejects; i++) {
        check_text(after.rejects[i].enterprise, sizeof after.rejects[i].enterprise);
        check_text(after.rejects[i].reason, sizeof after.rejects[i].reason);
        by_reason_msgs += after.rejects[i].messages;
        by_reason_readings += after.rejects[i].readings;
    }
    CHECK(by_reason_msgs == after.messages_rejected);
    CHECK(by_reason_readings == after.readings_rejected);
    /* Nothing invalid is stored: the new series' names pass the names rule. */
    hist_series_list l = {0};
    hist_error he;
    if (hist_series_count(h) > series_before && hist_series_find(h, NULL, &l, &he) == HIST_OK) {
        for (size_t i = series_before; i < l.n; i++) {
            hist_series_info info;
            CHECK(hist_series_get(h, l.ids[i], &info, &he) == HIST_OK);
            CHECK(ingest_name_check(info.name, strlen(info.name), HIST_SERIES_NAME_MAX) ==
                  INGEST_NAME_OK);
        }
        hist_series_list_free(&l);
    }
    free(payload);
    free(topic);
    return 0;
}
