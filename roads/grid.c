/*
 * grid.c - the plane geometry of roads/ and its uniform grid over
 * segments: the network is noded with it (candidate pairs of segments)
 * and queried with it (the nearest edge to a position).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "roads/internal.h"

double rd_seg_dist(double px, double py, double ax, double ay, double bx, double by, double *t) {
    double dx = bx - ax, dy = by - ay, l2 = dx * dx + dy * dy;
    double u = l2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / l2 : 0;
    if (u < 0) u = 0;
    if (u > 1) u = 1;
    if (t) *t = u;
    return hypot(px - (ax + u * dx), py - (ay + u * dy));
}

static double orient(double ax, double ay, double bx, double by, double cx, double cy) {
    return (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);
}

static int sign_of(double v) {
    return (v > 0) - (v < 0);
}

/* c lies within the bounding box of a-b (c known to be collinear). */
static bool within_box(double ax, double ay, double bx, double by, double cx, double cy) {
    return cx >= fmin(ax, bx) && cx <= fmax(ax, bx) && cy >= fmin(ay, by) && cy <= fmax(ay, by);
}

bool rd_seg_touch(double ax, double ay, double bx, double by, double cx, double cy, double dx,
                  double dy) {
    int o1 = sign_of(orient(ax, ay, bx, by, cx, cy)), o2 = sign_of(orient(ax, ay, bx, by, dx, dy));
    int o3 = sign_of(orient(cx, cy, dx, dy, ax, ay)), o4 = sign_of(orient(cx, cy, dx, dy, bx, by));
    if (o1 != o2 && o3 != o4) return true;
    if (!o1 && within_box(ax, ay, bx, by, cx, cy)) return true;
    if (!o2 && within_box(ax, ay, bx, by, dx, dy)) return true;
    if (!o3 && within_box(cx, cy, dx, dy, ax, ay)) return true;
    if (!o4 && within_box(cx, cy, dx, dy, bx, by)) return true;
    return false;
}

bool rd_seg_cross(double ax, double ay, double bx, double by, double cx, double cy, double dx,
                  double dy, double *t, double *u) {
    double rx = bx - ax, ry = by - ay, sx = dx - cx, sy = dy - cy;
    double den = rx * sy - ry * sx;
    double scale = hypot(rx, ry) * hypot(sx, sy);
    if (!(scale > 0) || fabs(den) <= 1e-12 * scale) return false; /* parallel */
    double qx = cx - ax, qy = cy - ay;
    double tt = (qx * sy - qy * sx) / den, uu = (qx * ry - qy * rx) / den;
    const double eps = 1e-9;
    if (tt < -eps || tt > 1 + eps || uu < -eps || uu > 1 + eps) return false;
    *t = fmin(fmax(tt, 0), 1);
    *u = fmin(fmax(uu, 0), 1);
    return true;
}

bool rd_point_in_ring(double px, double py, const double *xy, size_t n) {
    bool in = false;
    for (size_t i = 0, j = n - 1; i < n; j = i++) {
        double xi = xy[2 * i], yi = xy[2 * i + 1], xj = xy[2 * j], yj = xy[2 * j + 1];
        if ((yi > py) != (yj > py) && px < (xj - xi) * (py - yi) / (yj - yi) + xi) in = !in;
    }
    return in;
}

static uint32_t cell_of(double v, double v0, double cell, uint32_t n) {
    double c = floor((v - v0) / cell);
    if (!(c > 0)) return 0; /* also NaN */
    if (c >= (double)n - 1) return n - 1;
    return (uint32_t)c;
}

/* Every cell within margin of segment a-b, column by column: in each
 * column the segment's y range where it is within margin of the column. */
typedef bool (*cell_fn)(void *ctx, uint32_t cell);

static void raster(const rd_grid *g, double ax, double ay, double bx, double by, double m,
                   cell_fn fn, void *ctx) {
    double minx = fmin(ax, bx), maxx = fmax(ax, bx);
    uint32_t i0 = cell_of(minx - m, g->x0, g->cell, g->nx);
    uint32_t i1 = cell_of(maxx + m, g->x0, g->cell, g->nx);
    for (uint32_t i = i0; i <= i1; i++) {
        double sx0 = g->x0 + i * g->cell - m, sx1 = sx0 + g->cell + 2 * m;
        double lo = fmax(sx0, minx), hi = fmin(sx1, maxx);
        if (lo > hi) continue;
        double ylo, yhi;
        if (maxx - minx <= 1e-9) {
            ylo = fmin(ay, by);
            yhi = fmax(ay, by);
        } else {
            double ya = ay + (lo - ax) / (bx - ax) * (by - ay);
            double yb = ay + (hi - ax) / (bx - ax) * (by - ay);
            ylo = fmin(ya, yb);
            yhi = fmax(ya, yb);
        }
        uint32_t j0 = cell_of(ylo - m, g->y0, g->cell, g->ny);
        uint32_t j1 = cell_of(yhi + m, g->y0, g->cell, g->ny);
        for (uint32_t j = j0; j <= j1; j++)
            if (!fn(ctx, j * g->nx + i)) return;
    }
}

typedef struct fill_ctx {
    rd_grid *g;
    uint32_t *cursor; /* NULL: counting */
    uint64_t total;
    uint32_t item;
} fill_ctx;

static bool fill_cell(void *p, uint32_t cell) {
    fill_ctx *c = p;
    if (++c->total > RD_MAX_GRID_ITEMS) return false;
    if (c->cursor)
        c->g->items[c->cursor[cell]++] = c->item;
    else
        c->g->start[cell + 1]++;
    return true;
}

int rd_grid_build(rd_grid *g, const double *seg_xy, size_t n, double margin) {
    memset(g, 0, sizeof *g);
    double minx = INFINITY, miny = INFINITY, maxx = -INFINITY, maxy = -INFINITY, sum = 0;
    for (size_t k = 0; k < n; k++) {
        const double *s = seg_xy + 4 * k;
        minx = fmin(minx, fmin(s[0], s[2]));
        maxx = fmax(maxx, fmax(s[0], s[2]));
        miny = fmin(miny, fmin(s[1], s[3]));
        maxy = fmax(maxy, fmax(s[1], s[3]));
        sum += hypot(s[2] - s[0], s[3] - s[1]);
    }
    if (!n) minx = miny = maxx = maxy = 0;
    g->x0 = minx - margin - 1;
    g->y0 = miny - margin - 1;
    double w = maxx - minx + 2 * margin + 2, h = maxy - miny + 2 * margin + 2;
    /* Cells about a segment long, so a segment covers few cells and a
     * cell holds few segments; never more cells than a few per segment. */
    double cell = fmax(n ? sum / (double)n : 1, 4 * ROADS_SNAP_M);
    double max_cells = fmax(1024.0, 4.0 * (double)n);
    if (w / cell * (h / cell) > max_cells) cell = sqrt(w * h / max_cells) * 1.01;
    cell = fmax(cell, fmax(w, h) / max_cells); /* a long thin layout: not w / cell columns */
    g->cell = cell;
    g->nx = (uint32_t)(w / cell) + 1;
    g->ny = (uint32_t)(h / cell) + 1;
    size_t cells = (size_t)g->nx * g->ny;
    g->start = calloc(cells + 1, sizeof *g->start);
    if (!g->start) return -1;
    fill_ctx c = {g, NULL, 0, 0};
    for (size_t k = 0; k < n; k++) {
        const double *s = seg_xy + 4 * k;
        raster(g, s[0], s[1], s[2], s[3], margin, fill_cell, &c);
        if (c.total > RD_MAX_GRID_ITEMS) {
            rd_grid_free(g);
            return -1;
        }
    }
    for (size_t k = 0; k < cells; k++) g->start[k + 1] += g->start[k];
    g->items = malloc((c.total ? c.total : 1) * sizeof *g->items);
    c.cursor = malloc(cells * sizeof *c.cursor);
    if (!g->items || !c.cursor) {
        free(c.cursor);
        rd_grid_free(g);
        return -1;
    }
    memcpy(c.cursor, g->start, cells * sizeof *c.cursor);
    c.total = 0;
    for (size_t k = 0; k < n; k++) {
        const double *s = seg_xy + 4 * k;
        c.item = (uint32_t)k;
        raster(g, s[0], s[1], s[2], s[3], margin, fill_cell, &c);
    }
    free(c.cursor);
    return 0;
}

void rd_grid_free(rd_grid *g) {
    free(g->start);
    free(g->items);
    memset(g, 0, sizeof *g);
}

typedef struct visit_ctx {
    const rd_grid *g;
    bool (*visit)(void *ctx, uint32_t item);
    void *ctx;
} visit_ctx;

static bool visit_cell(void *p, uint32_t cell) {
    visit_ctx *v = p;
    for (uint32_t k = v->g->start[cell]; k < v->g->start[cell + 1]; k++)
        if (!v->visit(v->ctx, v->g->items[k])) return false;
    return true;
}

void rd_grid_segment(const rd_grid *g, double ax, double ay, double bx, double by, double margin,
                     bool (*visit)(void *ctx, uint32_t item), void *ctx) {
    if (!g->start) return;
    visit_ctx v = {g, visit, ctx};
    raster(g, ax, ay, bx, by, margin, visit_cell, &v);
}

long rd_nearest_edge(const roads *r, double x, double y, double max_m,
                     bool (*keep)(void *ctx, uint32_t edge), void *ctx, double *t, double *dist) {
    const rd_grid *g = &r->grid;
    if (!r->n_edges || !g->start || !isfinite(x) || !isfinite(y)) return -1;
    long ci = (long)cell_of(x, g->x0, g->cell, g->nx), cj = (long)cell_of(y, g->y0, g->cell, g->ny);
    long nx = (long)g->nx, ny = (long)g->ny;
    double best = INFINITY, best_t = 0;
    long best_e = -1;
    /* Rings of cells around the position's (clamped) cell: every cell of
     * ring k + 1 or beyond is at least k cells away. */
    long kmax = (nx > ny ? nx : ny);
    for (long k = 0; k <= kmax; k++) {
        double reach = (double)(k - 1) * g->cell;
        if (k > 0 && best_e >= 0 && best <= reach) break;
        if (k > 0 && max_m > 0 && reach > max_m) break;
        bool any_cell = false;
        for (long j = cj - k; j <= cj + k; j++) {
            if (j < 0 || j >= ny) continue;
            bool edge_row = j == cj - k || j == cj + k;
            for (long i = ci - k; i <= ci + k; i += (edge_row || k == 0) ? 1 : 2 * k) {
                if (i < 0 || i >= nx) continue;
                any_cell = true;
                uint32_t cell = (uint32_t)(j * nx + i);
                for (uint32_t q = g->start[cell]; q < g->start[cell + 1]; q++) {
                    uint32_t e = g->items[q];
                    const rd_edge *ed = &r->edges[e];
                    const double *a = r->node_xy + 2 * (size_t)ed->a;
                    const double *b = r->node_xy + 2 * (size_t)ed->b;
                    double u, d = rd_seg_dist(x, y, a[0], a[1], b[0], b[1], &u);
                    if (d > best || (d == best && (long)e >= best_e)) continue;
                    if (keep && !keep(ctx, e)) continue;
                    best = d;
                    best_e = (long)e;
                    best_t = u;
                }
            }
        }
        if (!any_cell && k > 0) break; /* every cell seen */
    }
    if (best_e < 0 || (max_m > 0 && best > max_m)) return -1;
    if (t) *t = best_t;
    if (dist) *dist = best;
    return best_e;
}
