/*
 * internal.h - roads/'s private structures, shared by its files (roads.c
 * builds the network and answers position queries, plan.c routes,
 * grid.c holds the geometry and the uniform grid both use).
 */
#ifndef PARKWATCH_ROADS_INTERNAL_H
#define PARKWATCH_ROADS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "roads/roads.h"

/* Limits on what a layout may make: beyond them roads_build fails with a
 * message rather than taking unbounded memory or time. */
#define RD_MAX_SEGMENTS   (1u << 22) /* drawn segments of all roads */
#define RD_MAX_SPLITS     (1u << 23) /* crossings and touches found */
#define RD_MAX_GRID_ITEMS (1u << 26) /* segment-in-cell entries of a grid */

typedef struct rd_road {
    long feature; /* layout feature index */
    char *id;     /* owned copy */
    double speed_kmh;
    roads_hazmat hazmat;
    bool oneway;
} rd_road;

/* A straight piece of a road between two nodes, in its drawn direction. */
typedef struct rd_edge {
    uint32_t a, b; /* nodes */
    uint32_t road; /* index in roads */
    double length_m;
} rd_edge;

/* An edge leaving a node: forward when it leaves from the edge's a;
 * against when that is against a one-way road (kept for people on foot). */
typedef struct rd_half {
    uint32_t edge, to;
    bool forward, against;
} rd_half;

/* A uniform grid over segments: the items of cell (i, j) are
 * items[start[j * nx + i] .. start[j * nx + i + 1]). */
typedef struct rd_grid {
    double x0, y0, cell;
    uint32_t nx, ny;
    uint32_t *start; /* nx * ny + 1 */
    uint32_t *items;
} rd_grid;

struct roads {
    rd_road *roads;
    size_t n_roads;
    double *node_xy; /* x, y per node */
    size_t n_nodes;
    rd_edge *edges;
    size_t n_edges;
    uint32_t *adj_start; /* n_nodes + 1, into adj */
    rd_half *adj;
    rd_grid grid; /* over the edges */
    double max_speed_kmh;
    bool any_designated;
    double length_m;
};

/* Geometry (metric x, y). */
double rd_seg_dist(double px, double py, double ax, double ay, double bx, double by, double *t);
/* Whether segments a-b and c-d share a point (crossing, touching or
 * overlapping). */
bool rd_seg_touch(double ax, double ay, double bx, double by, double cx, double cy, double dx,
                  double dy);
/* Where a-b crosses c-d when they are not parallel: parameters t on a-b
 * and u on c-d, both within [0, 1]. */
bool rd_seg_cross(double ax, double ay, double bx, double by, double cx, double cy, double dx,
                  double dy, double *t, double *u);
/* Even-odd rule; the ring is closed or not. */
bool rd_point_in_ring(double px, double py, const double *xy, size_t n);

/* Builds a grid over n segments (seg_xy: x0, y0, x1, y1 each), each entered
 * in every cell within margin of it. 0, or -1 (out of memory, too big). */
int rd_grid_build(rd_grid *g, const double *seg_xy, size_t n, double margin);
void rd_grid_free(rd_grid *g);
/* Calls visit(ctx, item) for each item of each cell within margin of the
 * segment (an item may come more than once); stops early when visit
 * returns false. */
void rd_grid_segment(const rd_grid *g, double ax, double ay, double bx, double by, double margin,
                     bool (*visit)(void *ctx, uint32_t item), void *ctx);

/* The nearest edge to (x, y) that keep accepts (keep NULL: any), within
 * max_m (0: any distance): its index and t along it, or -1. */
long rd_nearest_edge(const roads *r, double x, double y, double max_m,
                     bool (*keep)(void *ctx, uint32_t edge), void *ctx, double *t, double *dist);

#endif
