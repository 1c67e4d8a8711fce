/*
 * idw.c - inverse-distance weighting onto a grid (Shepard 1968, "A two-
 * dimensional interpolation function for irregularly-spaced data"). The
 * contract is in idw.h.
 *
 * The grid is a plain double loop over cells and stations: at the sizes of
 * the environment view (100 x 100 cells, tens of stations) that is half a
 * million distance evaluations, a few milliseconds, and needs no spatial
 * index. The stations that count are first copied into a compact array
 * (finite values only), and the common power 2 avoids pow(). Weights are
 * formed as 1 / d^p, so very close stations dominate smoothly until
 * IDW_EXACT_M, where the station's own value is returned.
 */
#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "views/idw.h"

typedef struct idw_params {
    double half_power; /* w = (d^2)^-half_power */
    double radius2;    /* squared max radius, INFINITY when none */
    size_t min_stations;
} idw_params;

static int params_of(const idw_opts *o, idw_params *p) {
    double power = o && o->power != 0 ? o->power : 2.0;
    double radius = o ? o->max_radius_m : 0;
    size_t min = o && o->min_stations ? o->min_stations : 1;
    if (!isfinite(power) || power < 0 || !isfinite(radius) || radius < 0) return -1;
    p->half_power = power / 2;
    p->radius2 = radius > 0 ? radius * radius : INFINITY;
    p->min_stations = min;
    return 0;
}

static int stations_ok(const idw_station *s, size_t n) {
    if (n > 0 && !s) return 0;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(s[i].x_m) || !isfinite(s[i].y_m)) return 0;
    return 1;
}

/* The value at (x, y) from the stations that count. */
static double estimate(const idw_station *s, size_t n, const idw_params *p, double x, double y) {
    double wsum = 0, wvsum = 0, exact_sum = 0;
    size_t used = 0, exact = 0;
    const double exact2 = IDW_EXACT_M * IDW_EXACT_M;
    for (size_t i = 0; i < n; i++) {
        double dx = s[i].x_m - x, dy = s[i].y_m - y;
        double d2 = dx * dx + dy * dy;
        if (d2 > p->radius2) continue;
        used++;
        if (d2 <= exact2) {
            exact++;
            exact_sum += s[i].value;
            continue;
        }
        double w = p->half_power == 1.0 ? 1.0 / d2 : pow(d2, -p->half_power);
        wsum += w;
        wvsum += w * s[i].value;
    }
    if (used < p->min_stations || used == 0) return NAN;
    if (exact) return exact_sum / (double)exact;
    return wvsum / wsum;
}

/* Copies the stations with a finite value; *out NULL when there are none. */
static int live_stations(const idw_station *s, size_t n, idw_station **out, size_t *n_out) {
    *out = NULL;
    *n_out = 0;
    if (n == 0) return 0;
    idw_station *live = malloc(n * sizeof *live);
    if (!live) return -1;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(s[i].value)) live[k++] = s[i];
    *out = live;
    *n_out = k;
    return 0;
}

int idw_point(const idw_station *stations, size_t n, const idw_opts *opts, double x_m, double y_m,
              double *value) {
    idw_params p;
    if (!value || !stations_ok(stations, n) || params_of(opts, &p) != 0 || !isfinite(x_m) ||
        !isfinite(y_m))
        return -1;
    idw_station *live;
    size_t nl;
    if (live_stations(stations, n, &live, &nl) != 0) return -1;
    *value = estimate(live, nl, &p, x_m, y_m);
    free(live);
    return 0;
}

void idw_cell_centre(const idw_grid *g, size_t i, size_t j, double *x_m, double *y_m) {
    assert(g && g->nx > 0 && g->ny > 0 && x_m && y_m);
    double dx = (g->x_max_m - g->x_min_m) / (double)g->nx;
    double dy = (g->y_max_m - g->y_min_m) / (double)g->ny;
    *x_m = g->x_min_m + ((double)i + 0.5) * dx;
    *y_m = g->y_min_m + ((double)j + 0.5) * dy;
}

int idw_fill(const idw_station *stations, size_t n, const idw_grid *grid, const idw_opts *opts,
             double *cells, size_t *n_empty) {
    idw_params p;
    if (!grid || !cells || !stations_ok(stations, n) || params_of(opts, &p) != 0) return -1;
    if (grid->nx == 0 || grid->ny == 0 || grid->nx > SIZE_MAX / grid->ny ||
        !isfinite(grid->x_min_m) || !isfinite(grid->x_max_m) || !isfinite(grid->y_min_m) ||
        !isfinite(grid->y_max_m) || !(grid->x_max_m > grid->x_min_m) ||
        !(grid->y_max_m > grid->y_min_m))
        return -1;
    idw_station *live;
    size_t nl;
    if (live_stations(stations, n, &live, &nl) != 0) return -1;
    size_t empty = 0;
    for (size_t j = 0; j < grid->ny; j++) {
        for (size_t i = 0; i < grid->nx; i++) {
            double x, y;
            idw_cell_centre(grid, i, j, &x, &y);
            double v = estimate(live, nl, &p, x, y);
            if (isnan(v)) empty++;
            cells[j * grid->nx + i] = v;
        }
    }
    free(live);
    if (n_empty) *n_empty = empty;
    return 0;
}
