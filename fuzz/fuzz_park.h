/*
 * fuzz_park.h - the in-process park the API targets run against
 * (fuzz_api, fuzz_api_extremes): a real historian with two hours of points
 * of every series of fuzz/corpus/geo/small-park.geojson, the alarm engine
 * with gas and tank alarms up, the layout, the views, ingest callbacks that
 * run the real payload parser, and an API server on 127.0.0.1:0 with a
 * token of each role. Library fuzz_park (fuzz/CMakeLists.txt).
 */
#ifndef PARKWATCH_FUZZ_PARK_H
#define PARKWATCH_FUZZ_PARK_H

#include "api/api.h"

typedef struct fuzz_park {
    int port;
    char admin[API_TOKEN_MAX], oper[API_TOKEN_MAX], regul[API_TOKEN_MAX], ent[API_TOKEN_MAX];
} fuzz_park;

/* Builds the park in a scratch directory under $PARKWATCH_TMP (or /tmp,
 * removed at exit) and starts the server; exits the process on failure.
 * The server runs until the process ends. tag names the directory and the
 * messages. */
void fuzz_park_start(const char *tag, fuzz_park *out);

#endif
