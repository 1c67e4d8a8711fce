/*
 * idw.h - inverse-distance-weighted interpolation of station values (air
 * quality, weather) onto a regular grid, for the environment view. A
 * private header of views/; nothing outside views/ includes it.
 *
 * Shepard's method: the value at a point is sum(w_i v_i) / sum(w_i) with
 * w_i = 1 / d_i^p over the stations that count, d_i the distance to station
 * i. Properties callers may rely on: the value at a station's location is
 * that station's value (stations closer than IDW_EXACT_M count as on it;
 * several there are averaged); every value lies between the smallest and the
 * largest value of the stations that count; the field has no preferred
 * direction, so a symmetric layout gives a symmetric grid.
 *
 * Which stations count: those with a finite value (a station offline gives
 * NAN and is skipped) and, when max_radius_m is set, no further than it. A
 * point with fewer than min_stations of them is NAN ("no data").
 *
 * Coordinates are metres in a local metric frame (x east, y north). The grid
 * covers the box [x_min, x_max] x [y_min, y_max] with nx x ny cells, each
 * taking the value at its centre; cells are row-major from the south-west:
 * cell (i, j) (column i eastwards, row j northwards) is at j * nx + i.
 *
 * Errors: 0 on success, -1 on bad arguments (nothing written then). Threads:
 * every function is pure and thread-safe. Ownership: the caller owns the
 * stations and the output array.
 */
#ifndef PARKWATCH_VIEWS_IDW_H
#define PARKWATCH_VIEWS_IDW_H

#include <stddef.h>

/* Closer than this to a station is on it. */
#define IDW_EXACT_M 1e-6

typedef struct idw_station {
    double x_m, y_m;
    double value; /* NAN: station has no value, skipped */
} idw_station;

/* Zero fields take the default. */
typedef struct idw_opts {
    double power;        /* default 2 */
    double max_radius_m; /* 0: no limit */
    size_t min_stations; /* default 1 */
} idw_opts;

typedef struct idw_grid {
    double x_min_m, y_min_m, x_max_m, y_max_m; /* the box, x_min < x_max, y_min < y_max */
    size_t nx, ny;                             /* cells, both > 0 */
} idw_grid;

/* The value at (x_m, y_m) into *value (NAN when too few stations count).
 * opts may be NULL. */
int idw_point(const idw_station *stations, size_t n, const idw_opts *opts, double x_m, double y_m,
              double *value);

/* Fills cells[0 .. nx * ny - 1] (the caller's array); *n_empty (may be
 * NULL) gets the number of NAN cells. opts may be NULL. */
int idw_fill(const idw_station *stations, size_t n, const idw_grid *grid, const idw_opts *opts,
             double *cells, size_t *n_empty);

/* Centre of cell (i, j). */
void idw_cell_centre(const idw_grid *grid, size_t i, size_t j, double *x_m, double *y_m);

#endif
