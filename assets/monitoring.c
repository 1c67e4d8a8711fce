/*
 * monitoring.c - the online-monitoring check of major hazard sources
 * (AQ 3035-2010; docs/reference/process-limits.md section 8) and the tanks
 * and pipelines of a source (assets.h).
 */
#include <stdlib.h>
#include <string.h>

#include "assets/assets.h"
#include "assets/internal.h"
#include "common/errmsg.h"

/* A tank or pipeline touching the source's polygon belongs to it: 1 m
 * absorbs the projection's rounding at a shared edge. */
#define SOURCE_TOUCH_M 1.0

static int cmp_size(const void *a, const void *b) {
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

/* Features of kind within SOURCE_TOUCH_M of the source, in index order
 * (not distance order: the listing must be stable). Appended to *v. */
static int members(const geo_layout *g, size_t hs, geo_kind kind, size_t **v, size_t *n) {
    geo_hits h;
    if (geo_within_feature(g, hs, SOURCE_TOUCH_M, kind, &h) != 0) return -1;
    if (h.n) {
        size_t *nv = realloc(*v, (*n + h.n) * sizeof *nv);
        if (!nv) {
            geo_hits_free(&h);
            return -1;
        }
        memcpy(nv + *n, h.index, h.n * sizeof *nv);
        *v = nv, *n += h.n;
    }
    geo_hits_free(&h);
    return 0;
}

int assets_of_hazard_source(const geo_layout *g, size_t hazard_source, size_t **out, size_t *n) {
    *out = NULL, *n = 0;
    if (!g || hazard_source >= geo_count_all(g) ||
        geo_get(g, hazard_source)->kind != GEO_HAZARD_SOURCE)
        return -1;
    if (members(g, hazard_source, GEO_TANK, out, n) != 0 ||
        members(g, hazard_source, GEO_PIPELINE, out, n) != 0) {
        free(*out);
        *out = NULL, *n = 0;
        return -1;
    }
    if (*n) qsort(*out, *n, sizeof **out, cmp_size);
    return 0;
}

static bool has_quantity(const geo_feature *f, const char *q) {
    for (size_t s = 0; s < f->n_series; s++)
        if (!strcmp(assets_quantity_of(f, f->series[s]), q)) return true;
    return false;
}

static int add_gap(assets_gaps *out, size_t *cap, size_t hs, size_t asset, const char *missing) {
    if (out->n == *cap) {
        size_t c = *cap ? *cap * 2 : 16;
        assets_gap *v = realloc(out->v, c * sizeof *v);
        if (!v) return -1;
        out->v = v, *cap = c;
    }
    out->v[out->n++] = (assets_gap){hs, asset, missing};
    return 0;
}

/* The gas watch of a source: a detector with a series within the source
 * or within the margin of it (a detector guarding one of its tanks is
 * within the margin of the source too, the tank being inside it). */
static int has_detector(const geo_layout *g, size_t hs, double margin, bool *yes) {
    geo_hits h;
    *yes = false;
    if (geo_within_feature(g, hs, margin, GEO_GAS_DETECTOR, &h) != 0) return -1;
    for (size_t i = 0; i < h.n && !*yes; i++) *yes = geo_get(g, h.index[i])->n_series > 0;
    geo_hits_free(&h);
    return 0;
}

void assets_gaps_free(assets_gaps *g) {
    if (!g) return;
    free(g->v);
    g->v = NULL, g->n = 0;
}

int assets_check_monitoring(const geo_layout *g, assets_gaps *out, char *err, size_t errcap) {
    memset(out, 0, sizeof *out);
    if (!g) return pw_fail(err, errcap, "no layout");
    /* the built-in margin: the check has no overrides (gas_detector.hazard_margin_m) */
    double margin = 0;
    size_t np;
    const assets_param *p = assets_params(&np);
    for (size_t i = 0; i < np; i++)
        if (!strcmp(p[i].kind, "gas_detector") && !strcmp(p[i].name, "hazard_margin_m"))
            margin = p[i].dflt;
    size_t cap = 0;
    for (size_t hs = 0; hs < geo_count_all(g); hs++) {
        if (geo_get(g, hs)->kind != GEO_HAZARD_SOURCE) continue;
        out->sources_checked++;
        size_t *tanks = NULL, nt = 0;
        if (members(g, hs, GEO_TANK, &tanks, &nt) != 0) goto fail;
        if (nt) qsort(tanks, nt, sizeof *tanks, cmp_size);
        for (size_t k = 0; k < nt; k++) {
            const geo_feature *t = geo_get(g, tanks[k]);
            if ((!has_quantity(t, "level") && add_gap(out, &cap, hs, tanks[k], "level")) ||
                (!has_quantity(t, "temperature") &&
                 add_gap(out, &cap, hs, tanks[k], "temperature")) ||
                (t->design_pressure_mpa > 0 && !has_quantity(t, "pressure") &&
                 add_gap(out, &cap, hs, tanks[k], "pressure"))) {
                free(tanks);
                goto fail;
            }
        }
        free(tanks);
        bool gas;
        if (has_detector(g, hs, margin, &gas) != 0 || (!gas && add_gap(out, &cap, hs, hs, "gas")))
            goto fail;
    }
    return 0;
fail:
    assets_gaps_free(out);
    out->sources_checked = 0;
    return pw_fail(err, errcap, "out of memory or a failed spatial query");
}
