/*
 * fuzz_dualprev.c - libFuzzer target of the text that enters dual
 * prevention and notification from outside: a risk-unit CSV import
 * (riskunits_import_csv, POST /api/v1/risk-units/import) and parkd's
 * "notify" object (notify_open) with its "people" (people_load).
 *
 * The first byte chooses: even, the rest is a CSV imported into a store
 * opened once (all or nothing: a refused import must leave the count as it
 * was and say why); odd, the rest is a JSON document {"people": [...],
 * "notify": {...}} checked as parkd checks it (a refusal says why; an
 * accepted engine opens and closes cleanly).
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "notify/notify.h"
#include "people/people.h"
#include "riskunits/riskunits.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stdout, "fuzz_dualprev: property failed: %s (line %d)\n", #cond, __LINE__);    \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static riskunits *ru;
static char dir[3072];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    const char *base = getenv("PARKWATCH_TMP");
    snprintf(dir, sizeof dir, "%.3000s/parkwatch-fuzz-dualprev.XXXXXX",
             base && *base ? base : "/tmp");
    if (!mkdtemp(dir)) abort();
    char path[3200], err[256];
    snprintf(path, sizeof path, "%s/riskunits", dir);
    ru_bands b;
    ru_bands_default(&b);
    if (riskunits_open(path, &b, &ru, err, sizeof err) != 0) abort();
    return 0;
}

static void csv(const uint8_t *data, size_t size) {
    char err[512] = "";
    size_t before = riskunits_count(ru), imported = 0;
    int rc = riskunits_import_csv(ru, (const char *)data, size, "fuzz", NULL, 1767225600000LL,
                                  &imported, err, sizeof err);
    if (rc != 0) {
        CHECK(err[0] != 0);                   /* said why */
        CHECK(riskunits_count(ru) == before); /* all or nothing */
        CHECK(imported == 0);
    } else
        CHECK(riskunits_count(ru) <= before + imported); /* new rows, or rows replaced */
}

static void config(const uint8_t *data, size_t size) {
    json_error_t je;
    json_t *doc = json_loadb((const char *)data, size, 0, &je);
    if (!json_is_object(doc)) {
        json_decref(doc);
        return;
    }
    char err[512] = "";
    people *pp = NULL;
    const json_t *pa = json_object_get(doc, "people");
    if (pa && !json_is_array(pa)) {
        json_decref(doc);
        return;
    }
    if (people_load(pa, &pp, err, sizeof err) != 0) {
        CHECK(pp == NULL && err[0]);
        json_decref(doc);
        return;
    }
    for (size_t i = 0; i < people_count(pp); i++)
        CHECK(people_find(pp, people_at(pp, i)->id) == people_at(pp, i));
    const json_t *cfg = json_object_get(doc, "notify");
    if (json_is_object(cfg)) {
        char jdir[3200];
        snprintf(jdir, sizeof jdir, "%s/notify", dir);
        notify_options o = {.config = cfg, .people = pp, .dir = jdir};
        notify *n = NULL;
        err[0] = 0;
        if (notify_open(&o, &n, err, sizeof err) != 0)
            CHECK(n == NULL && err[0]);
        else
            notify_close(n);
    }
    people_free(pp);
    json_decref(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1 || size > (1u << 20)) return 0;
    if (data[0] % 2 == 0)
        csv(data + 1, size - 1);
    else
        config(data + 1, size - 1);
    return 0;
}
