/*
 * promql.h - the Prometheus query language over the historian: the one
 * public header of promql/.
 *
 * What it answers, in Prometheus's JSON shapes (status, data, errorType,
 * error), so that Grafana's Prometheus datasource and any Prometheus client
 * read Parkwatch unchanged: instant and range queries, series, label names
 * and values, and VictoriaMetrics's export of raw samples.
 *
 * The subset of PromQL (ast.h lists it): selectors with =, !=, =~, !~,
 * ranges and offset; rate, irate, increase, delta, idelta, deriv, changes,
 * resets, avg/min/max/sum/count/last/quantile_over_time, absent_over_time;
 * abs, ceil, floor, round, clamp, clamp_min, clamp_max, sqrt, exp, ln,
 * log2, log10, absent, scalar, vector, time, timestamp, sort, sort_desc;
 * sum/avg/min/max/count/group/stddev/stdvar/topk/bottomk/quantile with
 * by/without; arithmetic, comparisons (bool), and/or/unless between
 * scalars and vectors with on/ignoring and group_left/group_right. What is
 * outside it is a bad_data error that names it.
 *
 * Semantics are Prometheus 2.42's (Debian 12's package, the reference the
 * tests compare against): an instant selector takes the latest sample in
 * [t - lookback, t]; a range selector [r] takes the samples in [t - r, t]
 * (Prometheus 3 made both left-open; VictoriaMetrics's windows are
 * left-open too). Samples of bad quality (OPC UA severity bad) are not
 * measurements and are left out, as the historian's aggregates leave them.
 *
 * A Parkwatch series is a Prometheus series with the labels catalog.h's
 * pq_labels_of_series gives (sensor_v{enterprise="e24",device="d01234"}).
 * The engine learns a series' labels the first time a call finds the
 * historian with more series than before; a unit changed later shows from
 * the next start of parkd.
 *
 * Scope: every call takes the enterprise a token is bound to (NULL for a
 * park-wide token); then only that enterprise's series exist for the call:
 * no answer, count or error shows another's.
 *
 * Errors: calls return 0, or -1 with err filled: the HTTP status, the
 * Prometheus errorType (bad_data 400, execution 422, timeout 503,
 * internal 500) and the message. Nothing here prints or exits.
 *
 * Ownership and threads: pq_engine_new makes the engine, pq_engine_free
 * frees it (after every call has returned). Every other call may run from
 * any number of threads at once; answers are appended to the caller's
 * textbuf.
 */
#ifndef PARKWATCH_PROMQL_H
#define PARKWATCH_PROMQL_H

#include "common/textbuf.h"
#include "historian/historian.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct pq_engine pq_engine;

/* The layout kind of a series ("gas_detector", "tank"), written into kind
 * (cap bytes, "" when none); called while the engine learns new series. */
typedef void (*pq_kind_fn)(void *ctx, const char *series_name, char *kind, size_t cap);

typedef struct pq_options {
    int64_t lookback_ms; /* how far back an instant selector looks: 5 min */
    size_t max_samples;  /* samples a query may hold at once: 50,000,000 */
    size_t max_series;   /* series one selector may select: 1,000,000 */
    size_t max_points;   /* steps of a range query: 11,000, Prometheus's */
    int64_t timeout_ms;  /* a query's time limit: 2 min */
    pq_kind_fn kind_of;  /* may be NULL */
    void *kind_ctx;
} pq_options;

void pq_options_default(pq_options *o);

typedef struct pq_error {
    int status;       /* HTTP status */
    const char *type; /* "bad_data", "execution", "timeout", "internal" */
    char msg[512];
} pq_error;

pq_engine *pq_engine_new(hist *h, const pq_options *o, pq_error *err);
void pq_engine_free(pq_engine *e);

/* A query: instant when step_ms == 0 (at start_ms), else a range query
 * over start_ms, start_ms + step_ms, ... <= end_ms. */
typedef struct pq_query_args {
    const char *query;
    size_t query_len;
    int64_t start_ms, end_ms, step_ms;
    int64_t lookback_ms; /* 0: the engine's */
    const char *scope;   /* the token's enterprise, or NULL */
} pq_query_args;

/* Appends {"status":"success","data":{"resultType":...,"result":...}}. */
int pq_query(pq_engine *e, const pq_query_args *q, textbuf *out, pq_error *err);

/* The series that the selectors match[0..n) select and that have a sample
 * in [start_ms, end_ms]: Prometheus's /api/v1/series. */
typedef struct pq_select_args {
    const char *const *match; /* selectors; n_match 0 means every series (labels only) */
    size_t n_match;
    int64_t start_ms, end_ms;
    const char *scope;
    size_t limit; /* most series in the answer, 0 = no limit */
} pq_select_args;

int pq_series(pq_engine *e, const pq_select_args *a, textbuf *out, pq_error *err);
/* Label names of the selected series (all of the scope's when n_match is 0). */
int pq_label_names(pq_engine *e, const pq_select_args *a, textbuf *out, pq_error *err);
/* The values of one label over the selected series. */
int pq_label_values(pq_engine *e, const char *name, const pq_select_args *a, textbuf *out,
                    pq_error *err);
/* Prometheus's /api/v1/metadata: every metric name of the scope (or just
 * metric, when not NULL) as a gauge: the park's readings are levels,
 * whatever a client computes from them. */
int pq_metadata(pq_engine *e, const char *metric, const char *scope, textbuf *out, pq_error *err);
/* VictoriaMetrics's /api/v1/export: one JSON line a series,
 * {"metric":{...},"values":[...],"timestamps":[ms...]}, raw samples in
 * [start_ms, end_ms]. */
int pq_export(pq_engine *e, const pq_select_args *a, textbuf *out, pq_error *err);

/* A Prometheus duration ("5m", "1h30m", "250ms", "1d", "1w", "1y") in ms;
 * false when malformed, zero or over 2^53 ms. (Also in ast.h.) */
bool pq_parse_duration(const char *s, size_t len, int64_t *ms);

/* ---- selection the Parkwatch way (GET /api/v1/aggregate) ----
 * A pick names a label (enterprise, device, kind, unit, name for the metric
 * name, tag for the Parkwatch tag, series for the whole Parkwatch name, or
 * any line protocol tag) and a pattern:
 *   "E007"          exactly;
 *   "E007,E008"     any of a list;
 *   "gd-*", "T30?"  a glob (* any run, ? one character);
 *   "~gd-0[1-3]"    an RE2 regular expression (anchored).
 * Every pick must hold. */
typedef struct pq_pick {
    const char *label;
    const char *pattern;
} pq_pick;

/* The ids of the series the picks select (ascending, malloc'd into *ids),
 * under scope as everywhere. More than max is 413 "too many series". */
int pq_pick_series(pq_engine *e, const pq_pick *picks, size_t n, const char *scope, size_t max,
                   uint32_t **ids, size_t *n_ids, pq_error *err);
/* The value of label name of series id ("" when it has none); "tag" and
 * "series" give the Parkwatch tag and name into buf (cap bytes). */
const char *pq_series_label(pq_engine *e, uint32_t id, const char *name, char *buf, size_t cap);

/* Series the engine knows (for /metrics). */
size_t pq_series_known(pq_engine *e);

#endif
