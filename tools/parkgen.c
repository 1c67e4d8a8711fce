/*
 * parkgen - writes the demo park's layout (GeoJSON) to stdout or a file.
 *
 *   parkgen [--scale N] [--seed S] [--format json|neuron|lineproto|mixed] [-o FILE]
 *
 * --format names every series as parkd stores it when parksim plays the
 * layout with the same --format (park_format.h): under lineproto, and for
 * the line-protocol enterprises of mixed (E004, E008, ...), a tag without a
 * dot is "{tag}.value" (E004/gd-01/lel.value). json (the default), and
 * neuron, keep every name: the bytes of geo/demo-park.geojson.
 *
 * Deterministic: the same scale, seed and format give the same bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "park_format.h"

char *park_layout_geojson_fmt(int scale, uint64_t seed, int fmt); /* layout_gen.c */

static int usage(void) {
    fprintf(stderr, "usage: parkgen [--scale N] [--seed S] [--format json|neuron|lineproto|mixed] "
                    "[-o FILE]\n");
    return 2;
}

int main(int argc, char **argv) {
    int scale = 1;
    uint64_t seed = 42;
    const char *out = NULL;
    int fmt = FMT_JSON;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--scale") && i + 1 < argc)
            scale = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--format") && i + 1 < argc) {
            if ((fmt = park_format_parse(argv[++i])) == -2) return usage();
        } else if (!strcmp(argv[i], "-o") && i + 1 < argc)
            out = argv[++i];
        else
            return usage();
    }
    char *js = park_layout_geojson_fmt(scale, seed, fmt);
    if (!js) {
        fprintf(stderr, "parkgen: scale must be at least 1\n");
        return 2;
    }
    FILE *f = out ? fopen(out, "w") : stdout;
    if (!f || fputs(js, f) < 0 || (out && fclose(f) != 0)) {
        fprintf(stderr, "parkgen: cannot write %s\n", out ? out : "stdout");
        return 1;
    }
    free(js);
    return 0;
}
