/*
 * fuzz_config.c - libFuzzer target of parkd's configuration loader
 * (load_config in tools/parkd.c, which is static: the file is compiled into
 * this translation unit with its main renamed, and stays unchanged).
 *
 * The input is written to a file and loaded as parkd loads --config FILE.
 * A loaded config is then checked as parkd uses it: every string it hands
 * on is readable, every enterprise has an id and a known format, layout
 * paths fit. parkd's diagnostics go to /dev/null instead of stderr.
 */
#include <stdio.h>
#include <stdlib.h>

static FILE *fuzz_devnull;
#undef stderr
#define stderr fuzz_devnull
#define main   parkd_main
#include "tools/parkd.c"
#undef main
#undef stderr

#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stdout, "fuzz_config: property failed: %s (line %d)\n", #cond, __LINE__);      \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static char cfg_path[3200];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    fuzz_devnull = fopen("/dev/null", "w");
    /* a directory of its own, so that relative layout paths are joined */
    const char *base = getenv("PARKWATCH_TMP");
    char dir[3072];
    snprintf(dir, sizeof dir, "%.3000s/parkwatch-fuzz-config.XXXXXX",
             base && *base ? base : "/tmp");
    if (!fuzz_devnull || !mkdtemp(dir)) abort();
    snprintf(cfg_path, sizeof cfg_path, "%s/parkd.json", dir);
    return 0;
}

static void str_ok(const char *s) {
    if (s) (void)strlen(s);
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
    config *c = calloc(1, sizeof *c);
    if (!c) abort();
    if (load_config(cfg_path, c) == 0) {
        str_ok(c->data_dir);
        str_ok(c->stats_file);
        str_ok(c->svc.host);
        str_ok(c->svc.client_id);
        str_ok(c->svc.username);
        str_ok(c->svc.password);
        str_ok(c->geo.source_crs);
        str_ok(c->geo.metric_crs);
        CHECK(c->n_ents >= 1 && c->n_ents <= sizeof c->ents / sizeof c->ents[0]);
        CHECK(c->svc.pipeline.n_enterprises == c->n_ents);
        for (size_t i = 0; i < c->n_ents; i++) {
            CHECK(c->ents[i].id != NULL);
            str_ok(c->ents[i].id);
            CHECK(ingest_format_name(c->ents[i].format) != NULL);
        }
        CHECK(c->n_layout <= 16);
        for (size_t i = 0; i < c->n_layout; i++)
            CHECK(strnlen(c->layout[i], sizeof c->layout[i]) < sizeof c->layout[i]);
    }
    json_decref(c->root);
    free(c);
    return 0;
}
