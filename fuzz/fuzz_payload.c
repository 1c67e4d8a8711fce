/*
 * fuzz_payload.c - libFuzzer target of the MQTT payload parser
 * (ingest_payload_parse, ingest/ingest.h): Parkwatch JSON, Neuron JSON and
 * line protocol, each format forced and picked by content (auto).
 *
 * Besides the sanitizers, every call is checked against ingest.h: the
 * return value is 0 (handled) or 1 (whole message rejected, and then a
 * message-level rejection with tag NULL was reported), the detected format
 * is the forced one, or under auto the one the content rule names; every
 * reading has a non-empty tag, a finite value and a timestamp >= 0, and its
 * tag, device and enterprise pass the names rule (ingest_name_check); a
 * rejected reading's tag is valid UTF-8 without control characters; every
 * rejection has a reason; auto gives the very readings and rejections that
 * forcing the format it picked gives; a reading callback's non-zero value
 * stops the parse and is returned. A broken property aborts.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/ingest.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_payload: property failed: %s (line %d)\n", #cond, __LINE__);     \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#define NOW_MS 1700000000000LL

typedef struct ctx {
    size_t readings, message_rejects, reading_rejects, stop_after;
    uint64_t digest; /* of every reading and rejection, in order */
} ctx;

static uint64_t mix(uint64_t h, const void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 1099511628211ull; /* FNV-1a */
    return h;
}

static uint64_t mix_str(uint64_t h, const char *s) {
    return s ? mix(h, s, strlen(s) + 1) : mix(h, "\xff", 1);
}

static int on_reading(const ingest_reading *r, void *arg) {
    ctx *c = arg;
    CHECK(r->tag && r->tag[0]);
    CHECK(isfinite(r->value));
    CHECK(r->ts_ms >= 0);
    /* the names rule, in every format */
    CHECK(ingest_name_check(r->tag, strlen(r->tag), INGEST_NAME_MAX) == INGEST_NAME_OK);
    if (r->device)
        CHECK(ingest_name_check(r->device, strlen(r->device), INGEST_NAME_MAX) == INGEST_NAME_OK);
    if (r->enterprise)
        CHECK(ingest_name_check(r->enterprise, strlen(r->enterprise), INGEST_NAME_MAX) ==
              INGEST_NAME_OK);
    CHECK(r->quality == INGEST_QUALITY_BAD || r->error_code == 0);
    c->digest = mix_str(mix_str(mix_str(c->digest, r->tag), r->device), r->enterprise);
    c->digest = mix(c->digest, &r->ts_ms, sizeof r->ts_ms);
    c->digest = mix(c->digest, &r->value, sizeof r->value);
    c->digest = mix(c->digest, &r->quality, 1);
    c->digest = mix(c->digest, &r->error_code, sizeof r->error_code);
    c->readings++;
    if (c->stop_after && c->readings == c->stop_after) return 9;
    return 0;
}

static void on_reject(const char *reason, const char *tag, const char *message, void *arg) {
    ctx *c = arg;
    CHECK(reason && reason[0] && strlen(reason) < INGEST_REASON_MAX);
    CHECK(message);
    (void)strlen(message);
    if (tag) {
        /* what a reject shows of a name is safe to show */
        char copy[512];
        snprintf(copy, sizeof copy, "%s", tag);
        CHECK(strlen(tag) >= sizeof copy || ingest_text_scrub(copy) == 0);
        c->reading_rejects++;
    } else
        c->message_rejects++;
    c->digest = mix_str(mix_str(c->digest, reason), tag);
}

/* The format auto picks: JSON when the first non-blank byte is '{' or '[',
 * else line protocol (Neuron versus Parkwatch JSON needs the parse). */
static int auto_is_json(const uint8_t *d, size_t n) {
    size_t i = 0;
    while (i < n && (d[i] == ' ' || d[i] == '\t' || d[i] == '\r' || d[i] == '\n')) i++;
    return i < n && (d[i] == '{' || d[i] == '[');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* exactly sized copy, not NUL-terminated, so ASan sees any read past it */
    char *buf = malloc(size ? size : 1);
    if (!buf) return 0;
    if (size) memcpy(buf, data, size);
    static const ingest_format fmts[] = {INGEST_FMT_AUTO, INGEST_FMT_JSON, INGEST_FMT_NEURON,
                                         INGEST_FMT_LINEPROTO};
    size_t readings_auto = 0;
    ctx auto_ctx = {0};
    int auto_rc = -1;
    ingest_format auto_det = INGEST_FMT_AUTO;
    for (size_t k = 0; k < 4; k++) {
        ctx c = {0};
        ingest_format det = (ingest_format)99;
        int rc = ingest_payload_parse(buf, size, fmts[k], NOW_MS, on_reading, on_reject, &c, &det);
        if (fmts[k] == INGEST_FMT_AUTO) auto_ctx = c, auto_rc = rc, auto_det = det;
        /* auto gives exactly what forcing the format it picked gives */
        if (fmts[k] != INGEST_FMT_AUTO && det == auto_det) {
            CHECK(rc == auto_rc);
            CHECK(c.readings == auto_ctx.readings && c.reading_rejects == auto_ctx.reading_rejects);
            CHECK(c.message_rejects == auto_ctx.message_rejects && c.digest == auto_ctx.digest);
        }
        CHECK(rc == 0 || rc == 1);
        if (rc == 1) CHECK(c.message_rejects >= 1);
        if (rc == 0) CHECK(c.readings + c.reading_rejects + c.message_rejects > 0);
        if (fmts[k] != INGEST_FMT_AUTO) {
            CHECK(det == fmts[k]);
        } else {
            readings_auto = c.readings;
            if (auto_is_json(data, size))
                CHECK(det == INGEST_FMT_JSON || det == INGEST_FMT_NEURON);
            else
                CHECK(det == INGEST_FMT_LINEPROTO);
        }
    }
    /* without callbacks */
    int rc = ingest_payload_parse(buf, size, INGEST_FMT_AUTO, NOW_MS, NULL, NULL, NULL, NULL);
    CHECK(rc == 0 || rc == 1);
    /* a reading callback's non-zero value stops the parse */
    if (readings_auto > 0) {
        ctx c = {.stop_after = 1};
        CHECK(ingest_payload_parse(buf, size, INGEST_FMT_AUTO, NOW_MS, on_reading, on_reject, &c,
                                   NULL) == 9);
        CHECK(c.readings == 1);
    }
    free(buf);
    return 0;
}
