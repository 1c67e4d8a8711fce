/*
 * bench_geo.c - "parkbench geo": the demo park layout scaled up, loaded,
 * and queried the way the map and the emergency view will.
 *
 *   parkbench geo [--scale N=10] [--dir DIR]
 *
 * load_ms: parse, check, project and index the layout; join_pipeline_ms:
 * every gas detector within 50 m of any pipeline (the full join);
 * exposure_ms: occupants within 500 m of each hazard source, all of them;
 * live_layer_ms: all detectors as GeoJSON with the last value of each of
 * their series from a historian. Medians of 5 runs (load: 3).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "geo/geo.h"
#include "historian/historian.h"

int bench_geo(int argc, char **argv);
char *park_layout_geojson(int scale, uint64_t seed); /* layout_gen.c */

static double ms_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cmpd(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmpd);
    return v[n / 2];
}

typedef struct last_ctx {
    hist *h;
    uint32_t *ids;
    hist_value *vals;
} last_ctx;

/* The map's question to the historian: last values of these series. */
static int last_values(void *ctx, const char *const *series, size_t n, geo_value *out) {
    last_ctx *c = ctx;
    hist_error err;
    for (size_t i = 0; i < n; i++)
        if (hist_series_lookup(c->h, series[i], &c->ids[i], &err) != HIST_OK) return -1;
    if (hist_last(c->h, c->ids, n, c->vals, &err) != HIST_OK) return -1;
    for (size_t i = 0; i < n; i++)
        out[i] = (geo_value){c->vals[i].present, c->vals[i].ts_ms, c->vals[i].value,
                             c->vals[i].quality, ""};
    return 0;
}

int bench_geo(int argc, char **argv) {
    int scale = 10;
    const char *dir_arg = NULL;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--scale") && i + 1 < argc)
            scale = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
            dir_arg = argv[++i];
        else {
            fprintf(stderr, "usage: parkbench geo [--scale N] [--dir DIR]\n");
            return 2;
        }
    }
    char *text = park_layout_geojson(scale, 42);
    if (!text) return 2;
    const char *texts[] = {text}, *names[] = {"demo-park.geojson"};
    double t[5];
    geo_layout *g = NULL;
    for (int r = 0; r < 3; r++) {
        geo_problems p = {0};
        if (g) geo_close(g);
        double a = ms_now();
        if (geo_load_text(texts, names, 1, NULL, &g, &p) != 0) {
            fprintf(stderr, "parkbench: layout: %s %s\n", p.n ? p.v[0].feature : "",
                    p.n ? p.v[0].message : "");
            return 1;
        }
        t[r] = ms_now() - a;
        geo_problems_free(&p);
    }
    double load_ms = median(t, 3);
    size_t pairs = 0;
    for (int r = 0; r < 5; r++) {
        geo_pairs pr;
        double a = ms_now();
        if (geo_join_within(g, GEO_GAS_DETECTOR, GEO_PIPELINE, 50, &pr) != 0) return 1;
        t[r] = ms_now() - a;
        pairs = pr.n;
        geo_pairs_free(&pr);
    }
    double join_ms = median(t, 5);
    double people = 0;
    size_t sources = geo_count(g, GEO_HAZARD_SOURCE);
    double *exposed = malloc(geo_count_all(g) * sizeof *exposed);
    for (int r = 0; r < 5; r++) {
        double a = ms_now();
        if (geo_exposure_kind(g, GEO_HAZARD_SOURCE, 500, false, exposed) != 0) return 1;
        t[r] = ms_now() - a;
    }
    for (size_t i = 0; i < geo_count_all(g); i++) people += exposed[i];
    free(exposed);
    double exposure_ms = median(t, 5);
    /* A historian holding one value for every detector series. */
    char dir[512];
    snprintf(dir, sizeof dir, "%s", dir_arg ? dir_arg : "/tmp/parkbench-geo.XXXXXX");
    if (!dir_arg && !mkdtemp(dir)) return 1;
    hist *h;
    hist_error err;
    hist_options ho;
    hist_options_default(&ho);
    ho.sync = HIST_SYNC_NONE;
    if (hist_open(dir, &ho, &h, &err) != HIST_OK) {
        fprintf(stderr, "parkbench: %s\n", err.msg);
        return 1;
    }
    size_t n_series = 0;
    for (size_t i = 0; i < geo_count_all(g); i++)
        if (geo_get(g, i)->kind == GEO_GAS_DETECTOR) n_series += geo_get(g, i)->n_series;
    hist_series_def *defs = calloc(n_series, sizeof *defs);
    last_ctx lc = {h, calloc(n_series, sizeof(uint32_t)), calloc(n_series, sizeof(hist_value))};
    hist_point *pts = calloc(n_series, sizeof *pts);
    size_t k = 0;
    for (size_t i = 0; i < geo_count_all(g); i++)
        if (geo_get(g, i)->kind == GEO_GAS_DETECTOR)
            for (size_t s = 0; s < geo_get(g, i)->n_series; s++)
                defs[k++] = (hist_series_def){geo_get(g, i)->series[s], "%LEL", NULL, 1000};
    if (hist_series_ensure(h, defs, n_series, lc.ids, &err) != HIST_OK) return 1;
    for (size_t i = 0; i < n_series; i++)
        pts[i] =
            (hist_point){lc.ids[i], HIST_QUALITY_GOOD, 1767225600000LL, (double)(i % 100) / 10};
    if (hist_append(h, pts, n_series, &err) != HIST_OK) return 1;
    size_t layer_bytes = 0;
    for (int r = 0; r < 5; r++) {
        char *js;
        double a = ms_now();
        if (geo_layer_geojson(g, GEO_GAS_DETECTOR, last_values, &lc, &js, &layer_bytes) != 0)
            return 1;
        t[r] = ms_now() - a;
        free(js);
    }
    double layer_ms = median(t, 5);
    /* The same join in PostGIS, where it is installed (tools/postgis_join.sh). */
    double pg_ms = -1, pg_pairs = -1;
    char layout[600], cmd[1400];
    snprintf(layout, sizeof layout, "%s/layout.geojson", dir);
    FILE *lf = fopen(layout, "w");
    if (lf && fputs(text, lf) >= 0 && fclose(lf) == 0) {
        snprintf(cmd, sizeof cmd, "'%s/postgis_join.sh' '%s' 2>/dev/null", PARKWATCH_TOOLS_DIR,
                 layout);
        FILE *p = popen(cmd, "r");
        if (p) {
            if (fscanf(p, "postgis_join_ms %lf pairs %lf", &pg_ms, &pg_pairs) != 2) pg_ms = -1;
            pclose(p);
        }
    }
    char pg[160] = "";
    if (pg_ms > 0)
        snprintf(pg, sizeof pg,
                 ", \"postgis_join_ms\": %.2f, \"postgis_pairs\": %.0f, \"postgis_ratio\": %.1f",
                 pg_ms, pg_pairs, pg_ms / join_ms);
    printf("{\"bench\": \"geo\", \"scale\": %d, \"features\": %zu, \"detectors\": %zu, "
           "\"buildings\": %zu, \"load_ms\": %.1f, \"join_pipeline_ms\": %.2f, "
           "\"join_pairs\": %zu, \"exposure_ms\": %.2f, \"hazard_sources\": %zu, "
           "\"occupants_exposed\": %.0f, \"live_layer_ms\": %.2f, \"live_layer_bytes\": %zu%s}\n",
           scale, geo_count_all(g), geo_count(g, GEO_GAS_DETECTOR), geo_count(g, GEO_BUILDING),
           load_ms, join_ms, pairs, exposure_ms, sources, people, layer_ms, layer_bytes, pg);
    hist_close(h, &err);
    if (!dir_arg) {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0) fprintf(stderr, "parkbench: could not remove %s\n", dir);
    }
    geo_close(g);
    free(defs);
    free(pts);
    free(lc.ids);
    free(lc.vals);
    free(text);
    return 0;
}
