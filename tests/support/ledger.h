/*
 * ledger.h - what a run stored, checked after the fact: parksim's ledger
 * of acknowledged readings against the historian, and a scan of every
 * stored series. Header-only, no cmocka: the results are counts and the
 * test asserts on them (the first few problems go to stderr).
 *
 * parksim --ledger writes "<series> <ts_ms> <value %.17g>" for every
 * reading of every message the broker acknowledged (PUBACK, QoS 1).
 */
#ifndef PARKWATCH_TEST_LEDGER_H
#define PARKWATCH_TEST_LEDGER_H

#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "historian/historian.h"

typedef struct ledger_result {
    size_t lines;       /* ledger lines read */
    size_t readings;    /* distinct (series, ts) among them */
    size_t series;      /* distinct series among them */
    size_t repeated;    /* lines repeating a (series, ts) with the same value */
    size_t conflicting; /* lines repeating a (series, ts) with another value */
    size_t lost;        /* readings not in the historian */
    size_t mismatched;  /* readings in the historian with another value */
    size_t duplicated;  /* historian points repeating a timestamp, within the ledger's span */
    size_t extra;       /* historian points within a series' ledger span the ledger lacks
                           (published, never acknowledged: allowed) */
    size_t failed;      /* series whose lookup or raw query failed (their readings are lost) */
} ledger_result;

typedef struct ledger__row {
    char *series;
    int64_t ts;
    double v;
} ledger__row;

static int ledger__cmp(const void *a, const void *b) {
    const ledger__row *x = a, *y = b;
    int c = strcmp(x->series, y->series);
    return c ? c : (x->ts > y->ts) - (x->ts < y->ts);
}

/* Reads the ledger at path and checks every reading against h. Returns 0,
 * or -1 if the ledger cannot be read (or memory runs out). */
static inline int ledger_check(hist *h, const char *path, ledger_result *r) {
    memset(r, 0, sizeof *r);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = 0, cap = 0;
    ledger__row *rows = NULL;
    char name[HIST_SERIES_NAME_MAX + 2];
    long long ts;
    double v;
    int rc = 0;
    while (fscanf(f, "%256s %lld %lf", name, &ts, &v) == 3) {
        if (n == cap) {
            cap = cap ? cap * 2 : 65536;
            ledger__row *nr = realloc(rows, cap * sizeof *rows);
            if (!nr) {
                rc = -1;
                break;
            }
            rows = nr;
        }
        if (!(rows[n].series = strdup(name))) {
            rc = -1;
            break;
        }
        rows[n].ts = ts, rows[n].v = v;
        n++;
    }
    fclose(f);
    r->lines = n;
    if (rc != 0) {
        for (size_t k = 0; k < n; k++) free(rows[k].series);
        free(rows);
        return -1;
    }
    qsort(rows, n, sizeof *rows, ledger__cmp);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && !strcmp(rows[j].series, rows[i].series)) j++;
        for (size_t k = i + 1; k < j; k++) { /* one copy of the name */
            free(rows[k].series);
            rows[k].series = rows[i].series;
        }
        r->series++;
        /* The series' distinct readings, in time order (rows[i..m)). */
        size_t m = i;
        for (size_t k = i; k < j; k++) {
            if (m > i && rows[m - 1].ts == rows[k].ts) {
                if (rows[m - 1].v == rows[k].v)
                    r->repeated++;
                else if (r->conflicting++ < 5)
                    fprintf(stderr, "ledger: %s %" PRId64 " acknowledged as %.17g and %.17g\n",
                            rows[k].series, rows[k].ts, rows[m - 1].v, rows[k].v);
                continue;
            }
            rows[m++] = rows[k];
        }
        r->readings += m - i;
        uint32_t id;
        hist_error err;
        hist_samples s = {0};
        hist_status st = hist_series_lookup(h, rows[i].series, &id, &err);
        if (st == HIST_OK) st = hist_query_raw(h, id, rows[i].ts, rows[m - 1].ts + 1, 0, &s, &err);
        if (st != HIST_OK) {
            if (st != HIST_ENOTFOUND) r->failed++;
            r->lost += m - i;
            fprintf(stderr, "ledger: series %s (%zu readings): %s: %s\n", rows[i].series, m - i,
                    hist_status_name(st), st == HIST_ENOTFOUND ? "not in the historian" : err.msg);
        } else {
            size_t k = 0;
            for (size_t q = 1; q < s.n; q++)
                if (s.v[q].ts_ms <= s.v[q - 1].ts_ms && r->duplicated++ < 5)
                    fprintf(stderr, "ledger: %s has %" PRId64 " after %" PRId64 "\n",
                            rows[i].series, s.v[q].ts_ms, s.v[q - 1].ts_ms);
            for (size_t q = i; q < m; q++) {
                while (k < s.n && s.v[k].ts_ms < rows[q].ts) k++, r->extra++;
                if (k == s.n || s.v[k].ts_ms != rows[q].ts) {
                    if (r->lost++ < 5)
                        fprintf(stderr, "ledger: lost %s %" PRId64 " %.17g\n", rows[q].series,
                                rows[q].ts, rows[q].v);
                } else {
                    if (s.v[k].value != rows[q].v && r->mismatched++ < 5)
                        fprintf(stderr, "ledger: %s %" PRId64 " is %.17g, acknowledged %.17g\n",
                                rows[q].series, rows[q].ts, s.v[k].value, rows[q].v);
                    k++;
                }
            }
            r->extra += s.n - k;
        }
        hist_samples_free(&s);
        free(rows[i].series);
        i = j;
    }
    free(rows);
    return 0;
}

typedef struct hist_scan_result {
    size_t series;     /* series registered */
    size_t points;     /* raw points of all of them */
    size_t duplicated; /* points repeating (or preceding) the timestamp before them */
    size_t failed;     /* series whose raw, aggregate or last query failed */
    size_t rollup_off; /* series whose 1-minute buckets do not count their raw points */
} hist_scan_result;

/* Reads back every series of h whole: raw points (all time, in strictly
 * increasing time), 1-minute buckets over their span (counting exactly the
 * good and uncertain finite points), and the last value (the newest raw
 * point). A corrupt chunk fails its query with HIST_ECORRUPT. */
static inline int hist_scan_all(hist *h, hist_scan_result *r) {
    memset(r, 0, sizeof *r);
    hist_series_list l = {0};
    hist_error err;
    if (hist_series_find(h, NULL, &l, &err) != HIST_OK) return -1;
    for (size_t i = 0; i < l.n; i++) {
        uint32_t id = l.ids[i];
        hist_samples s = {0};
        hist_buckets b = {0};
        hist_value last;
        r->series++;
        hist_status st = hist_query_raw(h, id, 0, HIST_MAX_TS_MS, 0, &s, &err);
        if (st == HIST_OK && s.n)
            st = hist_query_agg(h, id, s.v[0].ts_ms / 60000 * 60000, s.v[s.n - 1].ts_ms + 1, 60000,
                                0, &b, &err);
        if (st == HIST_OK) st = hist_last(h, &id, 1, &last, &err);
        if (st != HIST_OK) {
            if (r->failed++ < 5)
                fprintf(stderr, "scan: series %" PRIu32 ": %s: %s\n", id, hist_status_name(st),
                        err.msg);
        } else {
            r->points += s.n;
            size_t counted = 0, aggregated = 0;
            for (size_t q = 0; q < s.n; q++) {
                if (q && s.v[q].ts_ms <= s.v[q - 1].ts_ms) r->duplicated++;
                counted += (s.v[q].quality & HIST_QUALITY_BAD) == 0 && isfinite(s.v[q].value);
            }
            for (size_t q = 0; q < b.n; q++) aggregated += b.v[q].count;
            if (counted != aggregated && r->rollup_off++ < 5)
                fprintf(stderr, "scan: series %" PRIu32 ": %zu points, %zu in its buckets\n", id,
                        counted, aggregated);
            if (s.n && (!last.present || last.ts_ms != s.v[s.n - 1].ts_ms) && r->failed++ < 5)
                fprintf(stderr,
                        "scan: series %" PRIu32 ": last %" PRId64 ", newest point %" PRId64 "\n",
                        id, last.present ? last.ts_ms : -1, s.v[s.n - 1].ts_ms);
        }
        hist_samples_free(&s);
        hist_buckets_free(&b);
    }
    hist_series_list_free(&l);
    return 0;
}

#endif
