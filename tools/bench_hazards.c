/*
 * bench_hazards.c - parkbench hazards [--count N] [--dir DIR]: fills a
 * hidden-hazard register with N hazards (default 1,000,000) across 300
 * enterprises in every state (through the module's own steps, so the
 * journal is real), reopens it (the index rebuilt from the records), then
 * times 1,000 list queries of mixed filters, each with its page's records
 * read, and prints JSON: fill and reopen seconds, p50 and p99 ms.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "hazards/hazards.h"

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int bench_hazards(int argc, char **argv) {
    size_t count = 1000000;
    const char *dir = NULL;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--count") && i + 1 < argc)
            count = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
            dir = argv[++i];
    }
    char tmp[] = "/tmp/parkbench-hazards-XXXXXX";
    if (!dir && !(dir = mkdtemp(tmp))) return 1;
    enum { ENTS = 300 };
    /* one assignee per enterprise */
    json_t *arr = json_array();
    for (int e = 0; e < ENTS; e++) {
        char id[32], ent[16];
        snprintf(id, sizeof id, "p%03d", e);
        snprintf(ent, sizeof ent, "E%03d", e);
        json_array_append_new(arr,
                              json_pack("{s:s,s:s,s:s}", "id", id, "name", id, "enterprise", ent));
    }
    people *ppl;
    char err[256];
    if (people_load(arr, &ppl, err, sizeof err) != 0) return 1;
    json_decref(arr);
    hazards_options o = {.dir = dir, .people = ppl};
    hazards *hz;
    if (hazards_open(&o, &hz, err, sizeof err)) {
        fprintf(stderr, "parkbench hazards: %s\n", err);
        return 1;
    }
    static const char *const words[] = {"flange leak", "valve",      "gas detector", "exit blocked",
                                        "pump seal",   "tank level", "relief valve", "earthing"};
    int64_t t0 = 1700000000000LL, now = t0;
    double f0 = pw_mono_s();
    hazard_actor park = {HAZARD_ACTOR_PARK, "op", NULL}, chk = {HAZARD_ACTOR_PARK, "chk", NULL};
    hazard_actor reg = {HAZARD_ACTOR_REGULATOR, "reg", NULL};
    for (size_t i = hazards_count(hz); i < count; i++, now += 10) {
        char title[64], ent[16], who[16];
        int e = (int)(i % ENTS);
        snprintf(title, sizeof title, "%s %zu", words[i % 8], i);
        snprintf(ent, sizeof ent, "E%03d", e);
        snprintf(who, sizeof who, "p%03d", e);
        hazard_report r = {.enterprise = ent, .title = title, .criteria = i % 17 ? 0 : 1u << 12};
        uint64_t id;
        if (hazards_report(hz, &park, &r, now, &id, err, sizeof err)) break;
        int state = (int)(i * 7 % 5); /* reported .. closed */
        /* deadlines spread around the bench's "now": some overdue */
        hazard_step s = {
            HAZARD_ACT_ASSIGN, who, now + 1 + (int64_t)(i % 1000) * 3600000, NULL, NULL, NULL};
        if (state >= 1) hazards_act(hz, &park, id, &s, now, err, sizeof err);
        s.action = HAZARD_ACT_RECTIFY;
        if (state >= 2) hazards_act(hz, &park, id, &s, now, err, sizeof err);
        s.action = HAZARD_ACT_VERIFY;
        if (state >= 3) hazards_act(hz, &chk, id, &s, now, err, sizeof err);
        s.action = HAZARD_ACT_CLOSE;
        if (state >= 4) hazards_act(hz, &chk, id, &s, now, err, sizeof err);
        s.action = HAZARD_ACT_SUPERVISE, s.note = "督办";
        if (state < 4 && i % 50 == 0) hazards_act(hz, &reg, id, &s, now, err, sizeof err);
    }
    double fill_s = pw_mono_s() - f0;
    hazards_close(hz);
    double r0 = pw_mono_s();
    if (hazards_open(&o, &hz, err, sizeof err)) return 1;
    double reopen_s = pw_mono_s() - r0;
    int64_t qnow = t0 + (int64_t)count * 10 / 2 + 500LL * 3600000;
    enum { Q = 1000 };
    double *ms = malloc(Q * sizeof *ms), *list_ms = malloc(Q * sizeof *list_ms);
    uint64_t *ids = malloc(HAZARDS_LIST_MAX * sizeof *ids);
    size_t total_rows = 0;
    for (int q = 0; q < Q; q++) {
        hazard_filter f = {NULL, -1, -1, -1, -1, NULL};
        char ent[16];
        snprintf(ent, sizeof ent, "E%03d", q % ENTS);
        switch (q % 6) {
            case 0:
                break; /* everything */
            case 1:
                f.enterprise = ent;
                break; /* one enterprise */
            case 2:
                f.state = q % 5, f.grade = HAZARD_MAJOR;
                break; /* state and grade */
            case 3:
                f.overdue = 1;
                break; /* overdue */
            case 4:
                f.supervised = 1, f.enterprise = ent;
                break; /* supervised */
            case 5:
                f.text = words[q % 8], f.state = HAZARD_ASSIGNED;
                break; /* text */
        }
        size_t limit = q % 10 == 9 ? 1000 : 50, n, total;
        char next[HAZARDS_CURSOR];
        const hazard_actor *who = q % 3 ? &park : &reg;
        double a = pw_mono_s();
        if (hazards_list(hz, who, &f, -1, qnow, NULL, 0, limit, ids, &n, &total, next, err,
                         sizeof err))
            return 1;
        list_ms[q] = (pw_mono_s() - a) * 1000; /* the filter and sort alone */
        for (size_t i = 0; i < n; i++) {       /* the page's records, as the API sends them */
            json_t *rec;
            if (!hazards_get(hz, who, ids[i], -1, qnow, &rec, err, sizeof err)) json_decref(rec);
        }
        ms[q] = (pw_mono_s() - a) * 1000;
        total_rows += n;
    }
    qsort(ms, Q, sizeof *ms, cmp_d);
    qsort(list_ms, Q, sizeof *list_ms, cmp_d);
    printf("{\"bench\":\"hazards\",\"hazards\":%zu,\"enterprises\":%d,\"fill_s\":%.1f,"
           "\"reopen_s\":%.2f,\"queries\":%d,\"rows\":%zu,\"p50_ms\":%.2f,\"p99_ms\":%.2f,"
           "\"max_ms\":%.2f,\"list_only_p50_ms\":%.2f,\"list_only_p99_ms\":%.2f}\n",
           hazards_count(hz), ENTS, fill_s, reopen_s, Q, total_rows, ms[Q / 2], ms[Q * 99 / 100],
           ms[Q - 1], list_ms[Q / 2], list_ms[Q * 99 / 100]);
    free(ms);
    free(list_ms);
    free(ids);
    hazards_close(hz);
    people_free(ppl);
    if (dir == tmp) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
        if (system(cmd) != 0) return 1;
    }
    return 0;
}
