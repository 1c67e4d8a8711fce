/*
 * roads.c - the road network built from the layout's roads (noded where
 * roads cross or touch), its information, the nearest road to a position
 * and the distance from a position to a route.
 *
 * Building: every drawn segment of every road goes into a uniform grid;
 * each pair of segments sharing a cell is tested once for a crossing and
 * for an end of one lying within ROADS_SNAP_M of the other. Those points
 * split the segments. Then every vertex and split point becomes a node,
 * points closer than ROADS_SNAP_M to a node already made joining it
 * (crossings first, then road ends, then the other vertices, so a
 * junction sits where the roads cross; a road's end that met a road joins
 * the node of its foot on it), and each segment becomes the
 * edges between the nodes along it. An edge is straight: a curved road
 * keeps a node at each of its vertices.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/errmsg.h"
#include "roads/internal.h"

/* A vertex in a road's line, not an end, is a junction only where it
 * touches another road (within this), not merely comes near it. */
#define TOUCH_M 1e-3
/* The distance beyond which roads_route_distance checks the whole route
 * rather than trust the hinted neighbourhood (a vehicle that jumped, a
 * route doubling back on itself). */
#define ROUTE_RESCAN_M 25.0

typedef struct bpoint {
    double x, y;
    uint8_t prio; /* 0 a crossing or touch, 1 a road's end, 2 another vertex */
    long link;    /* an end's foot on the road it meets (the nearest), or -1 */
    double link_d;
} bpoint;

typedef struct bseg {
    uint32_t road, v0, v1; /* points */
} bseg;

typedef struct bsplit {
    uint32_t seg, point;
    double t;
} bsplit;

typedef struct builder {
    bpoint *pts;
    size_t n_pts, cap_pts;
    bseg *segs;
    double *seg_xy; /* x0, y0, x1, y1 per segment */
    size_t n_segs, cap_segs;
    bsplit *splits;
    size_t n_splits, cap_splits;
    uint32_t *stamp; /* per segment: the last segment paired with it + 1 */
    uint32_t cur;    /* the segment whose candidates are being tested */
    bool failed;     /* out of memory or past a limit */
    const char *why;
} builder;

static bool grow(void **p, size_t *cap, size_t need, size_t size) {
    if (need <= *cap) return true;
    size_t c = *cap ? *cap * 2 : 64;
    while (c < need) c *= 2;
    void *q = realloc(*p, c * size);
    if (!q) return false;
    *p = q;
    *cap = c;
    return true;
}

static long add_point(builder *b, double x, double y, uint8_t prio) {
    if (b->n_pts >= (size_t)RD_MAX_SPLITS * 2 ||
        !grow((void **)&b->pts, &b->cap_pts, b->n_pts + 1, sizeof *b->pts)) {
        b->failed = true;
        b->why = "too many road vertices and crossings";
        return -1;
    }
    b->pts[b->n_pts] = (bpoint){x, y, prio, -1, INFINITY};
    return (long)b->n_pts++;
}

static long add_split(builder *b, uint32_t seg, double t, double x, double y) {
    if (b->n_splits >= RD_MAX_SPLITS) {
        b->failed = true;
        b->why = "too many road crossings";
        return -1;
    }
    long p = add_point(b, x, y, 0);
    if (p < 0) return -1;
    if (!grow((void **)&b->splits, &b->cap_splits, b->n_splits + 1, sizeof *b->splits)) {
        b->failed = true;
        b->why = "out of memory";
        return -1;
    }
    b->splits[b->n_splits++] = (bsplit){seg, (uint32_t)p, t};
    return p;
}

static bool is_end(const builder *b, uint32_t p) {
    return b->pts[p].prio == 1;
}

/* An end (or a touching vertex) of segment i on segment j: j splits at
 * its foot, and the end will be the node its foot is (even when the foot
 * has joined a crossing farther than ROADS_SNAP_M from the end). Ends at
 * j's own ends are left to the merging of points. */
static void end_on(builder *b, uint32_t p, uint32_t j) {
    const double *s = b->seg_xy + 4 * (size_t)j;
    double u, d = rd_seg_dist(b->pts[p].x, b->pts[p].y, s[0], s[1], s[2], s[3], &u);
    if (d > (is_end(b, p) ? ROADS_SNAP_M : TOUCH_M) || u <= 1e-9 || u >= 1 - 1e-9) return;
    long q = add_split(b, j, u, s[0] + u * (s[2] - s[0]), s[1] + u * (s[3] - s[1]));
    if (q >= 0 && d < b->pts[p].link_d) {
        b->pts[p].link = q;
        b->pts[p].link_d = d;
    }
}

static void test_pair(builder *b, uint32_t i, uint32_t j) {
    const bseg *si = &b->segs[i], *sj = &b->segs[j];
    if (si->v1 == sj->v0 || sj->v1 == si->v0) return; /* consecutive in one line */
    const double *a = b->seg_xy + 4 * (size_t)i, *c = b->seg_xy + 4 * (size_t)j;
    double t, u;
    if (rd_seg_cross(a[0], a[1], a[2], a[3], c[0], c[1], c[2], c[3], &t, &u)) {
        const double eps = 1e-9;
        bool t_end = t <= eps || t >= 1 - eps, u_end = u <= eps || u >= 1 - eps;
        if (!(t_end && u_end)) { /* two vertices meeting need no split */
            double x = a[0] + t * (a[2] - a[0]), y = a[1] + t * (a[3] - a[1]);
            if (!t_end) add_split(b, i, t, x, y);
            if (!u_end) add_split(b, j, u, x, y);
        }
    }
    end_on(b, si->v0, j);
    end_on(b, si->v1, j);
    end_on(b, sj->v0, i);
    end_on(b, sj->v1, i);
}

static bool visit_candidate(void *ctx, uint32_t j) {
    builder *b = ctx;
    if (j <= b->cur || b->stamp[j] == b->cur + 1) return true;
    b->stamp[j] = b->cur + 1;
    test_pair(b, b->cur, j);
    return !b->failed;
}

/* Reads the layout's roads: their properties and their segments. */
static int read_roads(roads *r, builder *b, const geo_layout *g, char *err, size_t errcap) {
    size_t n = geo_count(g, GEO_ROAD);
    r->roads = calloc(n ? n : 1, sizeof *r->roads);
    if (!r->roads) return pw_fail(err, errcap, "out of memory");
    size_t all = geo_count_all(g);
    for (size_t i = 0; i < all && r->n_roads < n; i++) {
        const geo_feature *f = geo_get(g, i);
        if (!f || f->kind != GEO_ROAD) continue;
        rd_road *rd = &r->roads[r->n_roads];
        rd->feature = (long)i;
        rd->id = strdup(f->id ? f->id : "");
        if (!rd->id) return pw_fail(err, errcap, "out of memory");
        const char *cls = geo_prop_str(g, i, "class");
        double posted = geo_prop_num(g, i, "speed_kmh", 0);
        rd->speed_kmh = posted > 0 && posted <= 130 ? posted
                        : !strcmp(cls, "main")      ? 40
                        : !strcmp(cls, "service")   ? 20
                                                    : 30; /* branch, or no class */
        const char *hz = geo_prop_str(g, i, "hazmat");
        rd->hazmat = !strcmp(hz, "closed")       ? ROADS_HAZMAT_CLOSED
                     : !strcmp(hz, "designated") ? ROADS_HAZMAT_DESIGNATED
                                                 : ROADS_HAZMAT_ALLOWED;
        rd->oneway = geo_prop_bool(g, i, "oneway", false);
        uint32_t road = (uint32_t)r->n_roads++;

        geo_coords c;
        if (geo_feature_coords(g, i, &c) != 0)
            return pw_fail(err, errcap, "road %s: no coordinates", rd->id);
        for (size_t k = 0; k < c.n_points; k++)
            if (!isfinite(c.xy[2 * k]) || !isfinite(c.xy[2 * k + 1])) {
                geo_coords_free(&c);
                return pw_fail(err, errcap, "road %s: a coordinate is not finite", rd->id);
            }
        for (size_t part = 0; part < c.n_parts; part++) {
            size_t p0 = part ? c.part_end[part - 1] : 0, p1 = c.part_end[part];
            size_t base = b->n_pts;
            for (size_t k = p0; k < p1; k++)
                if (add_point(b, c.xy[2 * k], c.xy[2 * k + 1], k == p0 || k + 1 == p1 ? 1 : 2) < 0)
                    break;
            for (size_t k = p0; !b->failed && k + 1 < p1; k++) {
                const double *p = c.xy + 2 * k;
                if (hypot(p[2] - p[0], p[3] - p[1]) <= 1e-9) continue; /* a repeated vertex */
                if (b->n_segs >= RD_MAX_SEGMENTS) {
                    b->failed = true;
                    b->why = "too many road segments";
                    break;
                }
                size_t cap = b->cap_segs;
                if (!grow((void **)&b->segs, &cap, b->n_segs + 1, sizeof *b->segs) ||
                    !grow((void **)&b->seg_xy, &b->cap_segs, b->n_segs + 1, 4 * sizeof(double))) {
                    b->failed = true;
                    b->why = "out of memory";
                    break;
                }
                uint32_t v0 = (uint32_t)(base + (k - p0));
                b->segs[b->n_segs] = (bseg){road, v0, v0 + 1};
                memcpy(b->seg_xy + 4 * b->n_segs, p, 4 * sizeof(double));
                b->n_segs++;
            }
        }
        geo_coords_free(&c);
        if (b->failed) return pw_fail(err, errcap, "road %s: %s", rd->id, b->why);
    }
    return 0;
}

static int cmp_split(const void *pa, const void *pb) {
    const bsplit *a = pa, *b = pb;
    if (a->seg != b->seg) return a->seg < b->seg ? -1 : 1;
    if (a->t != b->t) return a->t < b->t ? -1 : 1;
    return a->point < b->point ? -1 : a->point > b->point;
}

/* Points to nodes: each point, crossings first, joins the nearest node
 * made so far within ROADS_SNAP_M or makes a new one there. A hash of
 * ROADS_SNAP_M cells finds the nodes near a point. node_of[p] is set;
 * the nodes' positions go to r. */
typedef struct hslot {
    int64_t cx, cy;
    long head; /* -1 empty */
} hslot;

static uint64_t hash_cell(int64_t cx, int64_t cy) {
    uint64_t h = (uint64_t)cx * 0x9E3779B97F4A7C15ull ^ (uint64_t)cy * 0xC2B2AE3D27D4EB4Full;
    return h ^ (h >> 29);
}

static int merge_points(roads *r, const builder *b, uint32_t *node_of) {
    size_t n = b->n_pts, cap = 16;
    while (cap < 2 * n) cap *= 2;
    hslot *slots = malloc(cap * sizeof *slots);
    long *next = malloc((n ? n : 1) * sizeof *next);
    uint32_t *order = malloc((n ? n : 1) * sizeof *order);
    r->node_xy = malloc((n ? n : 1) * 2 * sizeof *r->node_xy);
    if (!slots || !next || !order || !r->node_xy) {
        free(slots);
        free(next);
        free(order);
        return -1;
    }
    for (size_t k = 0; k < cap; k++) slots[k].head = -1;
    size_t m = 0;
    for (uint8_t prio = 0; prio < 3; prio++)
        for (size_t p = 0; p < n; p++)
            if (b->pts[p].prio == prio) order[m++] = (uint32_t)p;
    r->n_nodes = 0;
    for (size_t k = 0; k < n; k++) {
        uint32_t p = order[k];
        if (b->pts[p].link >= 0) { /* after every foot: prio 0 came first */
            node_of[p] = node_of[b->pts[p].link];
            continue;
        }
        double x = b->pts[p].x, y = b->pts[p].y;
        int64_t cx = (int64_t)floor(x / ROADS_SNAP_M), cy = (int64_t)floor(y / ROADS_SNAP_M);
        long best = -1;
        double best_d = ROADS_SNAP_M;
        for (int dy = -1; dy <= 1; dy++)
            for (int dx = -1; dx <= 1; dx++) {
                uint64_t h = hash_cell(cx + dx, cy + dy) & (cap - 1);
                while (slots[h].head >= 0 && (slots[h].cx != cx + dx || slots[h].cy != cy + dy))
                    h = (h + 1) & (cap - 1);
                for (long q = slots[h].head; q >= 0; q = next[q]) {
                    double d = hypot(r->node_xy[2 * q] - x, r->node_xy[2 * q + 1] - y);
                    if (d <= best_d && (best < 0 || d < best_d || q < best)) {
                        best = q;
                        best_d = d;
                    }
                }
            }
        if (best < 0) {
            best = (long)r->n_nodes++;
            r->node_xy[2 * best] = x;
            r->node_xy[2 * best + 1] = y;
            uint64_t h = hash_cell(cx, cy) & (cap - 1);
            while (slots[h].head >= 0 && (slots[h].cx != cx || slots[h].cy != cy))
                h = (h + 1) & (cap - 1);
            slots[h].cx = cx;
            slots[h].cy = cy;
            next[best] = slots[h].head;
            slots[h].head = best;
        }
        node_of[p] = (uint32_t)best;
    }
    free(slots);
    free(next);
    free(order);
    return 0;
}

static int add_edge(roads *r, size_t *cap, uint32_t a, uint32_t b, uint32_t road) {
    if (a == b) return 0;
    if (!grow((void **)&r->edges, cap, r->n_edges + 1, sizeof *r->edges)) return -1;
    const double *pa = r->node_xy + 2 * (size_t)a, *pb = r->node_xy + 2 * (size_t)b;
    r->edges[r->n_edges++] = (rd_edge){a, b, road, hypot(pb[0] - pa[0], pb[1] - pa[1])};
    return 0;
}

/* Drops the nodes no edge uses (vertices of repeated points), then links
 * each node to its edges and grids the edges. */
static int finish(roads *r) {
    uint32_t *renum = malloc((r->n_nodes ? r->n_nodes : 1) * sizeof *renum);
    if (!renum) return -1;
    for (size_t k = 0; k < r->n_nodes; k++) renum[k] = UINT32_MAX;
    for (size_t e = 0; e < r->n_edges; e++) renum[r->edges[e].a] = renum[r->edges[e].b] = 0;
    size_t used = 0;
    for (size_t k = 0; k < r->n_nodes; k++)
        if (renum[k] != UINT32_MAX) {
            r->node_xy[2 * used] = r->node_xy[2 * k];
            r->node_xy[2 * used + 1] = r->node_xy[2 * k + 1];
            renum[k] = (uint32_t)used++;
        }
    r->n_nodes = used;
    for (size_t e = 0; e < r->n_edges; e++) {
        r->edges[e].a = renum[r->edges[e].a];
        r->edges[e].b = renum[r->edges[e].b];
    }
    free(renum);

    r->adj_start = calloc(r->n_nodes + 1, sizeof *r->adj_start);
    r->adj = malloc((2 * r->n_edges + 1) * sizeof *r->adj);
    double *seg_xy = malloc((4 * r->n_edges + 1) * sizeof *seg_xy);
    if (!r->adj_start || !r->adj || !seg_xy) {
        free(seg_xy);
        return -1;
    }
    for (size_t e = 0; e < r->n_edges; e++) {
        const rd_edge *ed = &r->edges[e];
        r->adj_start[ed->a + 1]++;
        r->adj_start[ed->b + 1]++;
        r->length_m += ed->length_m;
        memcpy(seg_xy + 4 * e, r->node_xy + 2 * (size_t)ed->a, 2 * sizeof *seg_xy);
        memcpy(seg_xy + 4 * e + 2, r->node_xy + 2 * (size_t)ed->b, 2 * sizeof *seg_xy);
    }
    for (size_t k = 0; k < r->n_nodes; k++) r->adj_start[k + 1] += r->adj_start[k];
    uint32_t *fill = malloc((r->n_nodes + 1) * sizeof *fill);
    if (!fill) {
        free(seg_xy);
        return -1;
    }
    memcpy(fill, r->adj_start, (r->n_nodes + 1) * sizeof *fill);
    for (size_t e = 0; e < r->n_edges; e++) {
        const rd_edge *ed = &r->edges[e];
        r->adj[fill[ed->a]++] = (rd_half){(uint32_t)e, ed->b, true, false};
        r->adj[fill[ed->b]++] = (rd_half){(uint32_t)e, ed->a, false, r->roads[ed->road].oneway};
    }
    free(fill);
    int rc = rd_grid_build(&r->grid, seg_xy, r->n_edges, 0);
    free(seg_xy);
    return rc;
}

static void builder_free(builder *b) {
    free(b->pts);
    free(b->segs);
    free(b->seg_xy);
    free(b->splits);
    free(b->stamp);
}

int roads_build(const geo_layout *g, roads **out, char *err, size_t errcap) {
    *out = NULL;
    if (!g) return pw_fail(err, errcap, "no layout");
    roads *r = calloc(1, sizeof *r);
    builder b = {0};
    uint32_t *node_of = NULL;
    rd_grid seg_grid = {0};
    if (!r) return pw_fail(err, errcap, "out of memory");
    if (read_roads(r, &b, g, err, errcap) != 0) goto fail;

    /* Crossings and touches, each pair of nearby segments once. */
    if (rd_grid_build(&seg_grid, b.seg_xy, b.n_segs, ROADS_SNAP_M) != 0) {
        pw_errf(err, errcap, "the roads' grid: out of memory or too many segments");
        goto fail;
    }
    b.stamp = calloc(b.n_segs ? b.n_segs : 1, sizeof *b.stamp);
    if (!b.stamp) {
        pw_errf(err, errcap, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < b.n_segs && !b.failed; i++) {
        const double *s = b.seg_xy + 4 * i;
        b.cur = (uint32_t)i;
        rd_grid_segment(&seg_grid, s[0], s[1], s[2], s[3], ROADS_SNAP_M, visit_candidate, &b);
    }
    rd_grid_free(&seg_grid);
    if (b.failed) {
        pw_errf(err, errcap, "%s", b.why);
        goto fail;
    }

    node_of = malloc((b.n_pts ? b.n_pts : 1) * sizeof *node_of);
    if (!node_of || merge_points(r, &b, node_of) != 0) {
        pw_errf(err, errcap, "out of memory");
        goto fail;
    }
    if (b.n_splits) qsort(b.splits, b.n_splits, sizeof *b.splits, cmp_split);
    size_t cap = 0, q = 0;
    for (size_t i = 0; i < b.n_segs; i++) {
        const bseg *s = &b.segs[i];
        uint32_t prev = node_of[s->v0];
        for (; q < b.n_splits && b.splits[q].seg == i; q++) {
            uint32_t nd = node_of[b.splits[q].point];
            if (nd == prev) continue;
            if (add_edge(r, &cap, prev, nd, s->road) != 0) goto oom;
            prev = nd;
        }
        if (add_edge(r, &cap, prev, node_of[s->v1], s->road) != 0) goto oom;
    }
    free(node_of);
    node_of = NULL;
    builder_free(&b);
    if (finish(r) != 0) goto oom;
    for (size_t k = 0; k < r->n_roads; k++) {
        r->max_speed_kmh = fmax(r->max_speed_kmh, r->roads[k].speed_kmh);
        r->any_designated |= r->roads[k].hazmat == ROADS_HAZMAT_DESIGNATED;
    }
    *out = r;
    return 0;
oom:
    pw_errf(err, errcap, "out of memory");
fail:
    rd_grid_free(&seg_grid);
    free(node_of);
    builder_free(&b);
    roads_free(r);
    return -1;
}

void roads_free(roads *r) {
    if (!r) return;
    for (size_t k = 0; k < r->n_roads; k++) free(r->roads[k].id);
    free(r->roads);
    free(r->node_xy);
    free(r->edges);
    free(r->adj_start);
    free(r->adj);
    rd_grid_free(&r->grid);
    free(r);
}

void roads_get_info(const roads *r, roads_info *out) {
    memset(out, 0, sizeof *out);
    if (!r) return;
    out->n_roads = r->n_roads;
    out->n_nodes = r->n_nodes;
    out->n_edges = r->n_edges;
    out->length_m = r->length_m;
}

int roads_nearest(const roads *r, double x, double y, double max_m, roads_position *out) {
    memset(out, 0, sizeof *out);
    out->road = -1;
    out->road_id = "";
    if (!r || !(max_m >= 0)) return -1;
    double d;
    long e = rd_nearest_edge(r, x, y, max_m, NULL, NULL, NULL, &d);
    if (e < 0) return -1;
    const rd_road *rd = &r->roads[r->edges[e].road];
    out->road = rd->feature;
    out->road_id = rd->id;
    out->distance_m = d;
    out->speed_kmh = rd->speed_kmh;
    out->hazmat = rd->hazmat;
    return 0;
}

static double route_seg_dist(const roads_route *rt, size_t k, double x, double y) {
    const double *p = rt->xy + 2 * k;
    return rd_seg_dist(x, y, p[0], p[1], p[2], p[3], NULL);
}

double roads_route_distance(const roads_route *rt, double x, double y, size_t *hint) {
    if (!rt || !rt->xy || !rt->n_points) return INFINITY;
    if (rt->n_points == 1) {
        if (hint) *hint = 0;
        return hypot(rt->xy[0] - x, rt->xy[1] - y);
    }
    size_t n_seg = rt->n_points - 1, best_k = 0;
    double best = INFINITY;
    if (hint) {
        /* Walk from the hinted segment while the distance falls. */
        best_k = *hint < n_seg ? *hint : n_seg - 1;
        best = route_seg_dist(rt, best_k, x, y);
        for (size_t k = best_k + 1; k < n_seg; k++) {
            double d = route_seg_dist(rt, k, x, y);
            if (d >= best) break;
            best = d;
            best_k = k;
        }
        for (size_t k = best_k; k-- > 0;) {
            double d = route_seg_dist(rt, k, x, y);
            if (d >= best) break;
            best = d;
            best_k = k;
        }
    }
    if (!hint || best > ROUTE_RESCAN_M)
        for (size_t k = 0; k < n_seg; k++) {
            double d = route_seg_dist(rt, k, x, y);
            if (d < best) {
                best = d;
                best_k = k;
            }
        }
    if (hint) *hint = best_k;
    return best;
}
