/*
 * fuzz_api_extremes.c - libFuzzer target: every route of the API with its
 * parameters at their extremes, against the in-process park of fuzz_park.h.
 *
 * Why a second API target: fuzz_api mutates raw HTTP, where a well-formed
 * request with INT64_MIN in one parameter and INT64_MAX in another is a
 * needle in a haystack; the time arithmetic that overflowed on such values
 * (issue 16) sits behind exactly that. Here the input only picks, and the
 * requests are always well-formed: the routes and parameters are those of
 * api/openapi.json as compiled into the api library, so a route added there
 * is fuzzed without editing this file.
 *
 * Input: byte 0 the route, byte 1 the token (admin, operator, regulator,
 * enterprise E001, none), then one byte per parameter of the route (path,
 * query, then JSON body members): a value of ext_values (extremes.h), or
 * raw bytes (the next byte their length, then the bytes), or the valid
 * default. Several parameters may be extreme at once (from=INT64_MIN with
 * to=INT64_MAX). $PARKWATCH_EXTREMES_SKIP leaves known findings out
 * (extremes.h); FUZZ_API_DEBUG=1 prints each request and its answer.
 *
 * Properties beyond the sanitizers: an answer starting with an HTTP/1.x
 * status line; no 5xx except the 503s of a feature not configured
 * (ext_check); a complete JSON body parses. A hang is libFuzzer's -timeout.
 */
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz_park.h"
#include "tests/support/extremes.h"

/* api/openapi.json, compiled into the api library (api/embed.cmake). */
extern const unsigned char api_openapi_json[];
extern const size_t api_openapi_json_len;

static fuzz_park park;
static ext_api api;
static const ext_park names = {"E001/gd-01/lel", "E001", "gd-01", "E001-T101",
                               "E001-T101",      "1",    "1"};

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    char err[256];
    if (ext_load((const char *)api_openapi_json, api_openapi_json_len, &api, err, sizeof err) ||
        api.n == 0) {
        fprintf(stderr, "fuzz_api_extremes: %s\n", api.n ? err : "no routes");
        exit(1);
    }
    fuzz_park_start("fuzz-api-extremes", &park);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2) return 0;
    const ext_route *r = &api.r[data[0] % api.n];
    const char *tokens[] = {park.admin, park.oper, park.regul, park.ent, NULL};
    const char *token = tokens[data[1] % 5];
    ext_set sets[EXT_MAX_PARAMS];
    size_t ns = 0, at = 2;
    for (size_t i = 0; i < r->np && at < size; i++) {
        size_t sel = data[at++] % (ext_n_values + 2);
        if (sel == ext_n_values + 1) continue; /* the valid default */
        ext_set s = {.param = i, .v = &ext_values[sel < ext_n_values ? sel : 0]};
        if (sel == ext_n_values) { /* raw bytes */
            static const ext_value raw = {"raw", NULL, EXT_V_RAW, false};
            size_t len = at < size ? data[at++] : 0;
            if (len > size - at) len = size - at;
            s.v = &raw, s.raw = (const char *)data + at, s.raw_n = len;
            at += len;
        }
        sets[ns++] = s;
    }
    if (ext_skipped(r, sets, ns)) return 0; /* a known finding, being fixed */
    size_t n;
    char *req = ext_request(r, &names, sets, ns, token, &n);
    bool debug = getenv("FUZZ_API_DEBUG") != NULL;
    if (debug) fprintf(stderr, "fuzz_api_extremes: request: %.300s\n", req);
    ext_answer a;
    /* beyond libFuzzer's -timeout (5 s in fuzz.sh), which reports a hang */
    int rc = ext_exchange(park.port, req, n, 20000, &a);
    char why[512];
    if (debug) fprintf(stderr, "fuzz_api_extremes: %d in %ld ms\n", a.status, a.ms);
    if (rc != 0 || a.status == 0 || ext_check(&a, why, sizeof why) != 0) {
        if (rc != 0) snprintf(why, sizeof why, "no connection: %s", strerror(errno));
        fprintf(stderr, "fuzz_api_extremes: %s %s: %s\nrequest: %.2000s\n", r->method, r->path,
                rc != 0         ? why
                : a.status == 0 ? "closed without an answer"
                                : why,
                req);
        abort();
    }
    ext_answer_free(&a);
    free(req);
    return 0;
}
