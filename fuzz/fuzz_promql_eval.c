/*
 * fuzz_promql_eval.c - libFuzzer target of PromQL's evaluator: the input is
 * a query, run as an instant query and as a range query against a small
 * historian (three enterprises, counters with a reset, gauges, a gap, a
 * bad-quality sample), with a scope and without.
 *
 * Besides the sanitizers, it checks what promql.h promises: every query
 * answers or fails with a Prometheus error type and a 4xx/5xx status that
 * is not 500 (an internal error is a bug); an answer is JSON with status
 * "success"; a scoped answer's series never belong to another enterprise
 * (unless the query itself wrote that enterprise's name: absent()).
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "historian/historian.h"
#include "promql/promql.h"

#define T0 1767225600000LL

static hist *h;
static pq_engine *eng;

static void park(void) {
    char dir[] = "/tmp/fuzz-promql-eval-XXXXXX";
    if (!mkdtemp(dir)) abort();
    hist_options o;
    hist_options_default(&o);
    o.sync = HIST_SYNC_NONE;
    if (hist_open(dir, &o, &h, NULL) != HIST_OK) abort();
    const char *names[] = {"e1/d1/sensor.v", "e1/d2/sensor.v", "e2/d3/sensor.v",
                           "e2/p1/pump.energy_total", "e3/t1/tank,zone=north.level"};
    hist_series_def defs[5];
    uint32_t ids[5];
    for (int i = 0; i < 5; i++) defs[i] = (hist_series_def){.name = names[i]};
    if (hist_series_ensure(h, defs, 5, ids, NULL) != HIST_OK) abort();
    hist_point p[5 * 120];
    size_t n = 0;
    for (int t = 0; t < 120; t++) {
        for (int i = 0; i < 3; i++)
            if (!(i == 1 && t > 40 && t < 90)) /* a gap */
                p[n++] = (hist_point){ids[i], t == 7 ? HIST_QUALITY_BAD : 0, T0 + t * 15000LL,
                                      (i + 1) * 1.5 + t % 7};
        p[n++] = (hist_point){ids[3], 0, T0 + t * 15000LL, (double)(t < 60 ? t * 3 : t - 60)};
        p[n++] = (hist_point){ids[4], 0, T0 + t * 15000LL, t % 2 ? -0.0 : 1e300};
    }
    if (hist_append(h, p, n, NULL) != HIST_OK) abort();
    pq_options po;
    pq_options_default(&po);
    po.max_samples = 200000; /* small budgets: the limits get exercised */
    po.timeout_ms = 2000;
    pq_error err;
    if (!(eng = pq_engine_new(h, &po, &err))) abort();
}

static void check(const char *q, size_t n, int64_t start, int64_t end, int64_t step,
                  const char *scope) {
    textbuf b = {0};
    pq_error err = {0};
    pq_query_args a = {.query = q,
                       .query_len = n,
                       .start_ms = start,
                       .end_ms = end,
                       .step_ms = step,
                       .scope = scope};
    if (pq_query(eng, &a, &b, &err) != 0) {
        if (!err.type || err.status < 400 || err.status == 500) {
            fprintf(stderr, "status %d type %s: %s\n", err.status, err.type ? err.type : "-",
                    err.msg);
            abort();
        }
    } else {
        json_t *j = json_loadb(b.p, b.n, 0, NULL);
        if (!j || strcmp(json_string_value(json_object_get(j, "status")), "success")) abort();
        /* under a scope, no series of the answer belongs to another
         * enterprise (a string literal of the query may say anything) */
        json_t *res = json_object_get(json_object_get(j, "data"), "result"), *s;
        size_t i;
        if (scope && json_is_array(res)) json_array_foreach(res, i, s) {
                const char *e =
                    json_string_value(json_object_get(json_object_get(s, "metric"), "enterprise"));
                /* absent(x{enterprise="e1"}) echoes what the query says */
                if (e && strcmp(e, scope) && !memmem(q, n, e, strlen(e))) abort();
            }
        json_decref(j);
    }
    free(b.p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!eng) park();
    if (size > 4096) return 0;
    const char *q = (const char *)data;
    check(q, size, T0 + 900000, T0 + 900000, 0, NULL);
    check(q, size, T0, T0 + 1800000, 60000, NULL);
    check(q, size, T0 + 600000, T0 + 600000, 0, "e2");
    return 0;
}
