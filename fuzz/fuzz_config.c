/*
 * fuzz_config.c - libFuzzer target of parkd's configuration loader
 * (parkd_config_load, tools/parkd_config.h), linked as parkd links it.
 *
 * The input is written to a file and loaded as parkd loads --config FILE.
 * A loaded config is then checked as parkd uses it: every string it hands
 * on is readable, every enterprise has an id and a known format, layout
 * paths fit, every integer option is within its documented range. A
 * refused one comes with an error message.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools/parkd_config.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stdout, "fuzz_config: property failed: %s (line %d)\n", #cond, __LINE__);      \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#define DAY_MS ((int64_t)86400000)

static char cfg_path[3200];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    /* a directory of its own, so that relative layout paths are joined */
    const char *base = getenv("PARKWATCH_TMP");
    char dir[3072];
    snprintf(dir, sizeof dir, "%.3000s/parkwatch-fuzz-config.XXXXXX",
             base && *base ? base : "/tmp");
    if (!mkdtemp(dir)) abort();
    snprintf(cfg_path, sizeof cfg_path, "%s/parkd.json", dir);
    return 0;
}

static void str_ok(const char *s) {
    if (s) (void)strlen(s);
}

/* The ranges of parkd_config.h, as parkd receives them. */
static void check_ranges(const parkd_config *c) {
    CHECK(c->svc.port >= 1 && c->svc.port <= 65535);
    CHECK(c->svc.keepalive_s >= 5 && c->svc.keepalive_s <= 65535);
    CHECK(c->svc.sync_interval_ms >= 1 && c->svc.sync_interval_ms <= 60000);
    CHECK(c->svc.max_backlog_bytes >= 1 && c->svc.max_backlog_bytes <= (size_t)1 << 40);
    CHECK(c->svc.pipeline.max_payload_bytes >= 1 && c->svc.pipeline.max_payload_bytes <= (size_t)256
                                                                                             << 20);
    CHECK(c->svc.pipeline.max_series_per_enterprise >= 1 &&
          c->svc.pipeline.max_series_per_enterprise <= 10000000);
    CHECK(c->svc.pipeline.dead_letter_capacity >= 1 &&
          c->svc.pipeline.dead_letter_capacity <= 100000);
    CHECK(c->svc.pipeline.max_future_ms >= 1 && c->svc.pipeline.max_future_ms <= 366 * DAY_MS);
    CHECK(c->hist.retention_raw_ms >= 0 && c->hist.retention_raw_ms <= 36500 * DAY_MS);
    CHECK(c->hist.retention_1m_ms >= 0 && c->hist.retention_1m_ms <= 36500 * DAY_MS);
    CHECK(c->hist.retention_1h_ms >= 0 && c->hist.retention_1h_ms <= 36500 * DAY_MS);
    for (size_t i = 0; i < c->n_ents; i++) {
        CHECK(c->ents[i].max_series <= 10000000);
        CHECK(c->ents[i].interval_ms >= 0 && c->ents[i].interval_ms <= DAY_MS);
    }
    CHECK(c->hazard_margin_m >= 0 && c->hazard_margin_m <= 10000);
    CHECK(c->views.utc_offset_min >= -720 && c->views.utc_offset_min <= 840);
    CHECK(c->views.auto_min_detectors >= 0 && c->views.auto_min_detectors <= 10000);
    CHECK(c->views.auto_window_ms >= 1 && c->views.auto_window_ms <= DAY_MS);
    if (c->has_api) {
        const api_options *o = &c->api;
        CHECK(o->threads >= 1 && o->threads <= 64);
        CHECK(o->max_points >= 1 && o->max_points <= 100000000);
        CHECK(o->max_span_ms >= DAY_MS && o->max_span_ms <= 36500 * DAY_MS);
        CHECK(o->max_body_bytes >= 1 && o->max_body_bytes <= (size_t)1 << 30);
        CHECK(o->max_streams >= 1 && o->max_streams <= 100000);
        CHECK(o->max_streams_per_token >= 1 && o->max_streams_per_token <= 100000);
        CHECK(o->streams_reserved <= 100000);
        CHECK(o->head_timeout_ms >= 1000 && o->head_timeout_ms <= 3600000);
        str_ok(o->listen);
        str_ok(o->tls_cert);
        str_ok(o->tls_key);
        str_ok(o->token_file);
        str_ok(o->audit_log);
        str_ok(o->static_dir);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    int fd = open(cfg_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) abort();
    size_t off = 0;
    while (off < size) {
        ssize_t w = write(fd, data + off, size - off);
        if (w <= 0) abort();
        off += (size_t)w;
    }
    close(fd);
    /* parkd's config is static (zeroed); the enterprises array makes it
     * large, so it lives on the heap here */
    parkd_config *c = calloc(1, sizeof *c);
    if (!c) abort();
    char err[PATH_MAX + 256] = "";
    if (parkd_config_load(cfg_path, c, err, sizeof err) == 0) {
        str_ok(c->data_dir);
        str_ok(c->stats_file);
        str_ok(c->webhook);
        CHECK(strnlen(c->backup_dir, sizeof c->backup_dir) < sizeof c->backup_dir);
        str_ok(c->svc.host);
        str_ok(c->svc.client_id);
        str_ok(c->svc.username);
        str_ok(c->svc.password);
        str_ok(c->geo.source_crs);
        str_ok(c->geo.metric_crs);
        CHECK(c->n_ents >= 1 && c->n_ents <= PARKD_MAX_ENTERPRISES);
        CHECK(c->svc.pipeline.n_enterprises == c->n_ents);
        for (size_t i = 0; i < c->n_ents; i++) {
            CHECK(c->ents[i].id != NULL);
            str_ok(c->ents[i].id);
            CHECK(ingest_format_name(c->ents[i].format) != NULL);
        }
        CHECK(c->n_layout <= PARKD_MAX_LAYOUT);
        for (size_t i = 0; i < c->n_layout; i++)
            CHECK(strnlen(c->layout[i], sizeof c->layout[i]) < sizeof c->layout[i]);
        check_ranges(c);
    } else {
        CHECK(err[0] != 0); /* a refusal says why */
    }
    parkd_config_free(c);
    free(c);
    return 0;
}
