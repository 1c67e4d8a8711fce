/*
 * parkgen - writes the demo park's layout (GeoJSON) to stdout or a file.
 *
 *   parkgen [--scale N] [--seed S] [-o FILE]
 *
 * Deterministic: the same scale and seed give the same bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *park_layout_geojson(int scale, uint64_t seed); /* layout_gen.c */

int main(int argc, char **argv) {
    int scale = 1;
    uint64_t seed = 42;
    const char *out = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--scale") && i + 1 < argc)
            scale = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "-o") && i + 1 < argc)
            out = argv[++i];
        else {
            fprintf(stderr, "usage: parkgen [--scale N] [--seed S] [-o FILE]\n");
            return 2;
        }
    }
    char *js = park_layout_geojson(scale, seed);
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
