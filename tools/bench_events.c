/*
 * bench_events.c - parkbench events [--events N] [--entities E] [--queries Q]
 * [--dir DIR] [--keep] [--reuse]: fills an event store with N events (default
 * 10,000,000) over E entities (default 5,000: 3/5 vehicles, 2/5 people)
 * for one day: gate passages (a vehicle and one of 8 gates), badge events
 * (a person and one of 40 zones), position-alarm-like events of a vehicle
 * alone, and 1 in 100 a permit's state change; bodies of about 150 bytes;
 * a few percent of the events arrive up to a minute late. Then closes and
 * reopens it and times Q queries (default 1,000) of a random vehicle's or
 * person's events over the whole day, one state-at over the permits, and
 * prints key: value lines: fill rate, disk bytes, reopen time, p50 and
 * p99 of the entity queries in ms (the target: p99 <= 10 ms at 10 M).
 * --reuse DIR: time the queries again on a store this bench filled.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "events/events.h"

#define DAY_MS   86400000LL
#define T0       1765065600000LL /* 2026-12-07T00:00:00Z */
#define BATCH    1000
#define N_GATES  8
#define N_ZONES  40
#define N_PERMIT 2000

static uint64_t rnd(uint64_t *s) {
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ull;
}

/* This thread's CPU time: against the wall time it tells a query's own
 * cost from the time the machine gave to others. */
static double cpu_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void entity_name(char *out, size_t cap, long k, long n_vehicles) {
    if (k < n_vehicles)
        snprintf(out, cap, "vehicle:沪A%05ld", k);
    else
        snprintf(out, cap, "person:P%05ld", k - n_vehicles);
}

/* Record i of the fill: its entity names and body go to the slot's buffers. */
static void make_event(uint64_t *rng, long i, long n, long n_ent, ev_record *r, char ent[2][64],
                       char *body, size_t cap) {
    long n_veh = n_ent * 3 / 5, k = (long)(rnd(rng) % (uint64_t)n_ent);
    int64_t ts = T0 + (int64_t)((double)i * DAY_MS / (double)n);
    if (rnd(rng) % 100 < 3) ts -= (int64_t)(rnd(rng) % 60000); /* late */
    if (ts < T0) ts = T0;
    memset(r, 0, sizeof *r);
    r->ts_ms = ts;
    r->recv_ms = ts + 200;
    r->entities[0] = ent[0], r->entities[1] = ent[1];
    unsigned u = (unsigned)(rnd(rng) % 1000);
    if (i % 100 == 99) { /* a permit's state change */
        long p = (long)(rnd(rng) % N_PERMIT);
        static const char *const st[] = {"filed", "approved", "active", "suspended", "closed"};
        snprintf(ent[0], 64, "permit:E%03ld-20261207-%04ld", p % 300, p);
        snprintf(ent[1], 64, "zone:E%03ld-ZONE-%ld", p % 300, p % 4);
        snprintf(
            body, cap,
            "{\"id\":\"E%03ld-20261207-%04ld\",\"category\":\"hot_work\",\"grade\":\"special\","
            "\"state\":\"%s\",\"leader\":\"张三\",\"guardian\":\"李四\",\"window_to\":%lld}",
            p % 300, p, st[u % 5], (long long)(T0 + DAY_MS));
        r->kind = "permit", r->n_entities = 2, r->state_of_first = true;
        r->enterprise = "E001";
    } else if (k < n_veh && u < 400) {
        entity_name(ent[0], 64, k, n_veh);
        snprintf(ent[1], 64, "gate:GATE-%u", u % N_GATES);
        snprintf(body, cap,
                 "{\"gate\":\"GATE-%u\",\"direction\":\"%s\",\"vehicle_type\":\"tanker\","
                 "\"hazard_class\":\"3\",\"un_number\":\"1203\",\"cargo\":\"gasoline\","
                 "\"mass_kg\":%u,\"driver\":\"张三\"}",
                 u % N_GATES, u & 1 ? "in" : "out", 10000 + u * 17);
        r->kind = "gate_passage", r->n_entities = 2, r->enterprise = "";
    } else if (k < n_veh) {
        entity_name(ent[0], 64, k, n_veh);
        snprintf(body, cap,
                 "{\"alarm\":\"speeding\",\"lat\":30.%06u,\"lon\":121.%06u,\"speed_kmh\":%u.%u,"
                 "\"limit_kmh\":40,\"heading\":%u,\"road\":\"R-%u\",\"seconds\":%u}",
                 u * 997 % 1000000, u * 7919 % 1000000, 40 + u % 30, u % 10, u % 360, u % 50,
                 10 + u % 20);
        r->kind = "vehicle_alarm", r->n_entities = 1, r->enterprise = "";
    } else {
        entity_name(ent[0], 64, k, n_veh);
        snprintf(ent[1], 64, "zone:E%03u-ZONE-%u", u % 300, u % N_ZONES);
        snprintf(body, cap,
                 "{\"zone\":\"E%03u-ZONE-%u\",\"person\":\"P%05ld\",\"name\":\"李四\","
                 "\"direction\":\"%s\",\"reader\":\"RD-%u\",\"enterprise\":\"E%03u\"}",
                 u % 300, u % N_ZONES, k - n_veh, u & 1 ? "in" : "out", u, u % 300);
        r->kind = "badge", r->n_entities = 2, r->enterprise = "E001";
    }
    r->body = body, r->body_len = strlen(body);
}

int bench_events(int argc, char **argv) {
    long n = 10000000, n_ent = 5000, queries = 1000;
    const char *dir_arg = NULL;
    int keep = 0, reuse = 0;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--events") && i + 1 < argc)
            n = atol(argv[++i]);
        else if (!strcmp(argv[i], "--entities") && i + 1 < argc)
            n_ent = atol(argv[++i]);
        else if (!strcmp(argv[i], "--queries") && i + 1 < argc)
            queries = atol(argv[++i]);
        else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
            dir_arg = argv[++i];
        else if (!strcmp(argv[i], "--keep"))
            keep = 1;
        else if (!strcmp(argv[i], "--reuse"))
            reuse = 1;
        else {
            fprintf(stderr, "usage: parkbench events [--events N] [--entities E] [--queries Q] "
                            "[--dir DIR] [--keep] [--reuse]\n");
            return 2;
        }
    }
    if (n < 1 || n_ent < 5 || n_ent > 1000000 || queries < 1 || queries > 1000000) {
        fprintf(stderr, "parkbench events: --events >= 1, --entities 5..1000000, --queries "
                        "1..1000000\n");
        return 2;
    }
    char dir[4096];
    if (dir_arg)
        snprintf(dir, sizeof dir, "%s", dir_arg);
    else
        snprintf(dir, sizeof dir, "/tmp/parkbench-events.%d", (int)getpid());
    ev_store *s;
    char err[256];
    if (ev_open(dir, NULL, &s, err, sizeof err)) {
        fprintf(stderr, "parkbench events: %s\n", err);
        return 1;
    }
    ev_stats st;
    ev_get_stats(s, &st);
    if (st.next_seq > 1 && !reuse) {
        fprintf(stderr,
                "parkbench events: %s holds events already: give an empty --dir, or "
                "--reuse to time the queries of a store this bench filled\n",
                dir);
        ev_close(s);
        return 1;
    }
    bool reused = st.next_seq > 1;
    if (reused) n = (long)(st.next_seq - 1); /* --reuse: no fill */
    ev_record *recs = calloc(BATCH, sizeof *recs);
    char(*ents)[2][64] = calloc(BATCH, sizeof *ents);
    char(*bodies)[512] = calloc(BATCH, sizeof *bodies);
    if (!recs || !ents || !bodies) return 1;
    uint64_t rng = 0x9e3779b97f4a7c15ull;
    size_t body_bytes = 0;
    double f0 = pw_mono_s(), last = f0;
    for (long i = reused ? n : 0; i < n;) {
        long m = n - i < BATCH ? n - i : BATCH;
        for (long j = 0; j < m; j++) {
            make_event(&rng, i + j, n, n_ent, &recs[j], ents[j], bodies[j], sizeof bodies[j]);
            body_bytes += recs[j].body_len;
        }
        if (ev_append(s, recs, (size_t)m, NULL, err, sizeof err)) {
            fprintf(stderr, "parkbench events: append: %s\n", err);
            return 1;
        }
        i += m;
        if (pw_mono_s() - last > 10) {
            last = pw_mono_s();
            fprintf(stderr, "parkbench events: %ld events, %.0f/s\n", i, i / (last - f0));
        }
    }
    if (ev_sync(s, err, sizeof err)) fprintf(stderr, "parkbench events: sync: %s\n", err);
    double fill_s = pw_mono_s() - f0;
    ev_close(s);
    double r0 = pw_mono_s();
    if (ev_open(dir, NULL, &s, err, sizeof err)) {
        fprintf(stderr, "parkbench events: reopen: %s\n", err);
        return 1;
    }
    double reopen_ms = (pw_mono_s() - r0) * 1000;
    ev_get_stats(s, &st);
    /* an entity's day: vehicles and people at random (gates and zones are
     * second entities of hundreds of thousands of events each: not asked) */
    double *ms = malloc((size_t)queries * sizeof *ms), *cpu = malloc((size_t)queries * sizeof *cpu);
    size_t total = 0, truncated = 0;
    struct rusage ru0, ru1;
    getrusage(RUSAGE_SELF, &ru0);
    for (long q = 0; q < queries; q++) {
        char ent[64];
        entity_name(ent, sizeof ent, (long)(rnd(&rng) % (uint64_t)n_ent), n_ent * 3 / 5);
        ev_list l;
        double a = pw_mono_s(), c = cpu_s();
        if (ev_query_entity(s, ent, T0, T0 + DAY_MS, 0, &l, err, sizeof err)) {
            fprintf(stderr, "parkbench events: query: %s\n", err);
            return 1;
        }
        ms[q] = (pw_mono_s() - a) * 1000;
        cpu[q] = (cpu_s() - c) * 1000;
        total += l.n;
        truncated += l.truncated;
        ev_list_free(&l);
    }
    getrusage(RUSAGE_SELF, &ru1);
    qsort(ms, (size_t)queries, sizeof *ms, cmp_d);
    qsort(cpu, (size_t)queries, sizeof *cpu, cmp_d);
    ev_list l;
    double a = pw_mono_s();
    size_t permits = 0;
    if (!ev_state_at(s, "permit:", T0 + DAY_MS / 2, NULL, 0, &l, err, sizeof err))
        permits = l.n, ev_list_free(&l);
    double state_ms = (pw_mono_s() - a) * 1000;
    printf("bench: events\n");
    printf("events: %ld\n", n);
    printf("entities: %ld\n", n_ent);
    if (!reused) {
        printf("avg_body_bytes: %.0f\n", (double)body_bytes / (double)n);
        printf("fill_s: %.1f\n", fill_s);
        printf("fill_events_per_s: %.0f\n", (double)n / fill_s);
    }
    printf("disk_bytes: %llu\n", (unsigned long long)st.disk_bytes);
    printf("disk_bytes_per_event: %.0f\n", (double)st.disk_bytes / (double)n);
    printf("reopen_ms: %.1f\n", reopen_ms);
    printf("queries: %ld\n", queries);
    printf("events_per_query: %.0f\n", (double)total / (double)queries);
    printf("queries_truncated: %zu\n", truncated);
    printf("query_p50_ms: %.2f\n", ms[queries / 2]);
    printf("query_p99_ms: %.2f\n", ms[queries * 99 / 100]);
    printf("query_max_ms: %.2f\n", ms[queries - 1]);
    printf("query_cpu_p50_ms: %.2f\n", cpu[queries / 2]);
    printf("query_cpu_p99_ms: %.2f\n", cpu[queries * 99 / 100]);
    /* 512-byte blocks read from the disk (not the page cache) by the queries */
    printf("query_disk_blocks_read: %ld\n", ru1.ru_inblock - ru0.ru_inblock);
    printf("state_at_permits: %zu\n", permits);
    printf("state_at_ms: %.1f\n", state_ms);
    free(ms);
    free(cpu);
    free(recs);
    free(ents);
    free(bodies);
    ev_close(s);
    if (!keep && !dir_arg) {
        char cmd[4200];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0) fprintf(stderr, "parkbench events: could not remove %s\n", dir);
    }
    return 0;
}
