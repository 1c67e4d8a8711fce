/*
 * extremes.h - every route of the API with every parameter at its
 * extremes, for fuzz/fuzz_api_extremes.c and tests/integration/test_extremes.c.
 *
 * The routes and their parameters come from the API's own description
 * (api/openapi.json), so a route added there is covered without editing
 * the tools: path placeholders, query parameters, and the members of a
 * JSON request body (from its schema, else a list of known names). A
 * request sets one parameter (or a few) to a value from ext_values and the
 * others to valid defaults; ext_exchange sends it to 127.0.0.1 and reads
 * the answer to its end within a deadline; ext_check judges the answer.
 * Library "extremes" (tests/CMakeLists.txt): jansson and libc only.
 */
#ifndef PARKWATCH_TEST_EXTREMES_H
#define PARKWATCH_TEST_EXTREMES_H

#include <stdbool.h>
#include <stddef.h>

#define EXT_MAX_PARAMS 24

typedef enum { EXT_IN_PATH, EXT_IN_QUERY, EXT_IN_BODY } ext_in;

typedef struct ext_param {
    char name[48];
    ext_in in;
    bool numeric; /* a time, duration, integer, number or digits pattern */
    bool required;
} ext_param;

typedef struct ext_route {
    char method[8];
    char path[128]; /* with its {placeholders} */
    ext_param p[EXT_MAX_PARAMS];
    size_t np;
    bool json_body, text_body; /* what requestBody offers */
    bool stream;               /* answers text/event-stream */
} ext_route;

typedef struct ext_api {
    ext_route *r;
    size_t n;
} ext_api;

/* Routes of the OpenAPI document text; 0, or -1 with err. */
int ext_load(const char *json, size_t len, ext_api *out, char *err, size_t errcap);
void ext_free(ext_api *a);

typedef enum {
    EXT_V_TEXT,     /* text as it is */
    EXT_V_LONG,     /* 10,000 'x' */
    EXT_V_LIST,     /* "1,1,1,..." 10,000 times */
    EXT_V_REPEAT,   /* the parameter (valid) 100 times */
    EXT_V_DISTINCT, /* the parameter (valid) and 500 other parameters */
    EXT_V_RAW,      /* caller's bytes (fuzz input) */
} ext_vkind;

typedef struct ext_value {
    const char *label;
    const char *text;
    ext_vkind kind;
    bool insane; /* numerically out of any sane range: a numeric parameter must get a 4xx */
} ext_value;

extern const ext_value ext_values[];
extern const size_t ext_n_values;

/* The park's names that valid defaults use (fuzz/corpus/geo/small-park.geojson). */
typedef struct ext_park {
    const char *series, *enterprise, *device, *tank, *feature, *rule, *incident;
} ext_park;

/* One parameter's setting in a request. */
typedef struct ext_set {
    size_t param; /* index in route->p */
    const ext_value *v;
    const char *raw; /* EXT_V_RAW's bytes */
    size_t raw_n;
} ext_set;

/* The whole HTTP/1.1 request (malloc'd, *n bytes) for route with sets
 * applied over valid defaults; token NULL: no Authorization. */
char *ext_request(const ext_route *route, const ext_park *park, const ext_set *sets, size_t nsets,
                  const char *token, size_t *n);

typedef struct ext_answer {
    int status; /* 0: no answer */
    char *head; /* the header lines, lower-cased */
    char *body; /* NUL-terminated */
    size_t body_len;
    bool complete; /* the body is all there */
    bool json, stream;
    long ms; /* time to the answer's end */
} ext_answer;

/* Sends req to 127.0.0.1:port and reads the answer (event streams for
 * 100 ms); 0, or -1 when the deadline passed (a hang) or the connection
 * failed before any answer (errno). */
int ext_exchange(int port, const char *req, size_t n, int timeout_ms, ext_answer *a);
void ext_answer_free(ext_answer *a);

/* 0 when the answer keeps the properties: an HTTP status, no 5xx except
 * the 503s of a feature not configured, a complete JSON body that parses;
 * -1 and why otherwise. */
int ext_check(const ext_answer *a, char *why, size_t cap);

/* Cases left out while a bug is being fixed: the file named by
 * $PARKWATCH_EXTREMES_SKIP (never committed), lines "METHOD PATH PARAM
 * VALUE", any field "*" (VALUE: an ext_values label, "raw" for raw bytes;
 * "#" starts a comment). Whether a request setting these is left out. */
bool ext_skipped(const ext_route *route, const ext_set *sets, size_t nsets);

#endif
