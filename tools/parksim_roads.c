/*
 * parksim_roads.c - the closed-park scenario's own road network: the
 * layout's roads noded where they cross or touch (an end within 2 m of
 * another road's line, as roads/roads.h does), and the fastest route over
 * it for a vehicle (hazardous goods: never over a "closed" road,
 * "designated" ones preferred). parksim drives the route the API planned
 * for an appointment; this one is for the vehicle without an appointment,
 * the way back, and a run without --api. Positions are metres in the
 * scenario's frame (parksim_closedpark.c).
 */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "parksim.h"

#define SNAP_M  2.0
#define MERGE_M 0.5

typedef struct seg {
    double ax, ay, bx, by;
    int road;
    double *t; /* split parameters along the segment */
    int n_t, cap_t;
} seg;

typedef struct edge {
    int u, v;
    double len, speed_kmh;
    int hazmat; /* 0 allowed, 1 designated, 2 closed */
    bool oneway;
} edge;

typedef struct road_rule {
    double speed_kmh;
    int hazmat;
    bool oneway;
} road_rule;

struct cp_net {
    seg *segs;
    int n_segs;
    road_rule *roads;
    int n_roads;
    double *node_xy;
    int n_nodes;
    edge *edges;
    int n_edges;
    int *adj_start, *adj; /* edges leaving each node (either way unless one-way) */
};

cp_net *cp_net_new(void) {
    cp_net *n = calloc(1, sizeof *n);
    if (!n) exit(1);
    return n;
}

void cp_net_add_road(cp_net *n, const double *xy, int n_points, double speed_kmh, int hazmat,
                     bool oneway) {
    n->roads = xrealloc(n->roads, (size_t)(n->n_roads + 1) * sizeof *n->roads);
    n->roads[n->n_roads] = (road_rule){speed_kmh > 0 ? speed_kmh : 30, hazmat, oneway};
    for (int i = 0; i + 1 < n_points; i++) {
        n->segs = xrealloc(n->segs, (size_t)(n->n_segs + 1) * sizeof *n->segs);
        n->segs[n->n_segs++] =
            (seg){xy[2 * i], xy[2 * i + 1], xy[2 * i + 2], xy[2 * i + 3], n->n_roads, NULL, 0, 0};
    }
    n->n_roads++;
}

static void add_t(seg *s, double t) {
    if (s->n_t == s->cap_t) {
        s->cap_t = s->cap_t ? 2 * s->cap_t : 4;
        s->t = xrealloc(s->t, (size_t)s->cap_t * sizeof *s->t);
    }
    s->t[s->n_t++] = t;
}

/* The parameter along s of the point nearest to (x, y), and the distance. */
static double project(const seg *s, double x, double y, double *dist) {
    double dx = s->bx - s->ax, dy = s->by - s->ay, l2 = dx * dx + dy * dy;
    double t = l2 > 0 ? ((x - s->ax) * dx + (y - s->ay) * dy) / l2 : 0;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    *dist = hypot(s->ax + t * dx - x, s->ay + t * dy - y);
    return t;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int node_at(cp_net *n, double x, double y) {
    for (int i = 0; i < n->n_nodes; i++)
        if (hypot(n->node_xy[2 * i] - x, n->node_xy[2 * i + 1] - y) < MERGE_M) return i;
    n->node_xy = xrealloc(n->node_xy, (size_t)(n->n_nodes + 1) * 2 * sizeof *n->node_xy);
    n->node_xy[2 * n->n_nodes] = x, n->node_xy[2 * n->n_nodes + 1] = y;
    return n->n_nodes++;
}

void cp_net_build(cp_net *n) {
    for (int i = 0; i < n->n_segs; i++) {
        seg *s = &n->segs[i];
        add_t(s, 0), add_t(s, 1);
        double rx = s->bx - s->ax, ry = s->by - s->ay;
        for (int j = 0; j < n->n_segs; j++) {
            if (j == i) continue;
            const seg *o = &n->segs[j];
            double d, t;
            /* another segment's ends on this one's line */
            t = project(s, o->ax, o->ay, &d);
            if (d <= SNAP_M) add_t(s, t);
            t = project(s, o->bx, o->by, &d);
            if (d <= SNAP_M) add_t(s, t);
            /* a proper crossing */
            double sx = o->bx - o->ax, sy = o->by - o->ay, den = rx * sy - ry * sx;
            if (fabs(den) < 1e-9) continue;
            double qx = o->ax - s->ax, qy = o->ay - s->ay;
            double ts = (qx * sy - qy * sx) / den, to = (qx * ry - qy * rx) / den;
            if (ts > 0 && ts < 1 && to >= 0 && to <= 1) add_t(s, ts);
        }
        qsort(s->t, (size_t)s->n_t, sizeof *s->t, cmp_double);
        const road_rule *r = &n->roads[s->road];
        int prev = node_at(n, s->ax, s->ay);
        for (int k = 1; k < s->n_t; k++) {
            int nd = node_at(n, s->ax + s->t[k] * rx, s->ay + s->t[k] * ry);
            if (nd == prev) continue;
            double len = hypot(n->node_xy[2 * nd] - n->node_xy[2 * prev],
                               n->node_xy[2 * nd + 1] - n->node_xy[2 * prev + 1]);
            n->edges = xrealloc(n->edges, (size_t)(n->n_edges + 1) * sizeof *n->edges);
            n->edges[n->n_edges++] = (edge){prev, nd, len, r->speed_kmh, r->hazmat, r->oneway};
            prev = nd;
        }
    }
    /* adjacency: each edge from u, and from v unless one-way */
    n->adj_start = calloc((size_t)n->n_nodes + 1, sizeof *n->adj_start);
    n->adj = malloc(((size_t)n->n_edges * 2 + 1) * sizeof *n->adj);
    if (!n->adj_start || !n->adj) exit(1);
    for (int e = 0; e < n->n_edges; e++) {
        n->adj_start[n->edges[e].u + 1]++;
        if (!n->edges[e].oneway) n->adj_start[n->edges[e].v + 1]++;
    }
    for (int i = 0; i < n->n_nodes; i++) n->adj_start[i + 1] += n->adj_start[i];
    int *fill = calloc((size_t)n->n_nodes + 1, sizeof *fill);
    if (!fill) exit(1);
    for (int e = 0; e < n->n_edges; e++) {
        int u = n->edges[e].u, v = n->edges[e].v;
        n->adj[n->adj_start[u] + fill[u]++] = e;
        if (!n->edges[e].oneway) n->adj[n->adj_start[v] + fill[v]++] = e;
    }
    free(fill);
}

void cp_net_free(cp_net *n) {
    if (!n) return;
    for (int i = 0; i < n->n_segs; i++) free(n->segs[i].t);
    free(n->segs), free(n->roads), free(n->node_xy), free(n->edges);
    free(n->adj_start), free(n->adj);
    free(n);
}

int cp_net_nodes(const cp_net *n) {
    return n->n_nodes;
}

static double edge_cost(const edge *e, bool hazmat) {
    return e->len / (e->speed_kmh / 3.6) * (hazmat && e->hazmat == 1 ? 0.8 : 1);
}

/* The edge nearest to (x, y) a vehicle may use, its parameter and distance. */
static int nearest_edge(const cp_net *n, double x, double y, bool hazmat, double *f, double *dist) {
    int best = -1;
    *dist = INFINITY;
    for (int e = 0; e < n->n_edges; e++) {
        const edge *ed = &n->edges[e];
        if (hazmat && ed->hazmat == 2) continue;
        seg s = {n->node_xy[2 * ed->u],
                 n->node_xy[2 * ed->u + 1],
                 n->node_xy[2 * ed->v],
                 n->node_xy[2 * ed->v + 1],
                 0,
                 NULL,
                 0,
                 0};
        double d, t = project(&s, x, y, &d);
        if (d < *dist) *dist = d, *f = t, best = e;
    }
    return best;
}

double cp_net_limit(const cp_net *n, double x, double y) {
    double f, d;
    int e = nearest_edge(n, x, y, false, &f, &d);
    return e < 0 ? 30 : n->edges[e].speed_kmh;
}

static void route_push(cp_route *r, double x, double y) {
    if (r->n && hypot(r->xy[2 * r->n - 2] - x, r->xy[2 * r->n - 1] - y) < 0.01) return;
    r->xy = xrealloc(r->xy, (size_t)(r->n + 1) * 2 * sizeof *r->xy);
    r->xy[2 * r->n] = x, r->xy[2 * r->n + 1] = y;
    r->n++;
}

void cp_route_finish(cp_route *r) {
    r->cum = xrealloc(r->cum, (size_t)(r->n ? r->n : 1) * sizeof *r->cum);
    r->cum[0] = 0;
    for (int i = 1; i < r->n; i++)
        r->cum[i] = r->cum[i - 1] +
                    hypot(r->xy[2 * i] - r->xy[2 * i - 2], r->xy[2 * i + 1] - r->xy[2 * i - 1]);
    r->length = r->n ? r->cum[r->n - 1] : 0;
}

/* Dijkstra on travel time from the point of the network nearest (x0, y0)
 * to the one nearest (x1, y1), with the legs off the network. */
int cp_net_plan(const cp_net *n, double x0, double y0, double x1, double y1, bool hazmat,
                cp_route *out) {
    memset(out, 0, sizeof *out);
    double f0, f1, d0, d1;
    int e0 = nearest_edge(n, x0, y0, hazmat, &f0, &d0);
    int e1 = nearest_edge(n, x1, y1, hazmat, &f1, &d1);
    if (e0 < 0 || e1 < 0) return -1;
    const edge *a = &n->edges[e0], *b = &n->edges[e1];
    int nn = n->n_nodes;
    double *dist = malloc((size_t)nn * sizeof *dist);
    int *prev = malloc((size_t)nn * sizeof *prev); /* the edge that reached the node */
    bool *done = calloc((size_t)nn, sizeof *done);
    if (!dist || !prev || !done) exit(1);
    for (int i = 0; i < nn; i++) dist[i] = INFINITY, prev[i] = -1;
    double ca = edge_cost(a, hazmat);
    dist[a->v] = (1 - f0) * ca;
    if (!a->oneway) dist[a->u] = fmin(dist[a->u], f0 * ca);
    for (;;) { /* O(V^2): a park has hundreds of junctions, not millions */
        int u = -1;
        for (int i = 0; i < nn; i++)
            if (!done[i] && isfinite(dist[i]) && (u < 0 || dist[i] < dist[u])) u = i;
        if (u < 0) break;
        done[u] = true;
        for (int k = n->adj_start[u]; k < n->adj_start[u + 1]; k++) {
            const edge *e = &n->edges[n->adj[k]];
            if (hazmat && e->hazmat == 2) continue;
            int v = e->u == u ? e->v : e->u;
            double c = dist[u] + edge_cost(e, hazmat);
            if (c < dist[v]) dist[v] = c, prev[v] = n->adj[k];
        }
    }
    double cb = edge_cost(b, hazmat);
    double via_u = dist[b->u] + f1 * cb, via_v = b->oneway ? INFINITY : dist[b->v] + (1 - f1) * cb;
    double direct = INFINITY;
    if (e0 == e1 && (f1 >= f0 || !a->oneway)) direct = fabs(f1 - f0) * ca;
    int rc = -1;
    if (isfinite(fmin(direct, fmin(via_u, via_v)))) {
        rc = 0;
        route_push(out, x0, y0);
        route_push(out, n->node_xy[2 * a->u] + f0 * (n->node_xy[2 * a->v] - n->node_xy[2 * a->u]),
                   n->node_xy[2 * a->u + 1] +
                       f0 * (n->node_xy[2 * a->v + 1] - n->node_xy[2 * a->u + 1]));
        if (direct > fmin(via_u, via_v)) {
            int last = via_u <= via_v ? b->u : b->v, len = 0;
            for (int v = last; v >= 0;
                 v = prev[v] < 0
                         ? -1
                         : (n->edges[prev[v]].u == v ? n->edges[prev[v]].v : n->edges[prev[v]].u))
                len++;
            int *path = malloc((size_t)len * sizeof *path);
            if (!path) exit(1);
            int k = len;
            for (int v = last; v >= 0;
                 v = prev[v] < 0
                         ? -1
                         : (n->edges[prev[v]].u == v ? n->edges[prev[v]].v : n->edges[prev[v]].u))
                path[--k] = v;
            for (k = 0; k < len; k++)
                route_push(out, n->node_xy[2 * path[k]], n->node_xy[2 * path[k] + 1]);
            free(path);
        }
        route_push(out, n->node_xy[2 * b->u] + f1 * (n->node_xy[2 * b->v] - n->node_xy[2 * b->u]),
                   n->node_xy[2 * b->u + 1] +
                       f1 * (n->node_xy[2 * b->v + 1] - n->node_xy[2 * b->u + 1]));
        route_push(out, x1, y1);
        cp_route_finish(out);
    }
    free(dist), free(prev), free(done);
    return rc;
}

void cp_route_free(cp_route *r) {
    free(r->xy), free(r->cum);
    memset(r, 0, sizeof *r);
}

void cp_route_at(const cp_route *r, double s, double *x, double *y, double *heading) {
    if (r->n == 1 || s <= 0) s = 0;
    if (s > r->length) s = r->length;
    int i = 1;
    while (i < r->n - 1 && r->cum[i] < s) i++;
    if (r->n < 2) {
        *x = r->xy[0], *y = r->xy[1], *heading = 0;
        return;
    }
    double seg_len = r->cum[i] - r->cum[i - 1], f = seg_len > 0 ? (s - r->cum[i - 1]) / seg_len : 1;
    double dx = r->xy[2 * i] - r->xy[2 * i - 2], dy = r->xy[2 * i + 1] - r->xy[2 * i - 1];
    *x = r->xy[2 * i - 2] + f * dx, *y = r->xy[2 * i - 1] + f * dy;
    double h = atan2(dx, dy) * 180 / PI; /* north 0, clockwise */
    *heading = h < 0 ? h + 360 : h;
}

void cp_route_reverse(const cp_route *r, cp_route *out) {
    memset(out, 0, sizeof *out);
    for (int i = r->n - 1; i >= 0; i--) route_push(out, r->xy[2 * i], r->xy[2 * i + 1]);
    cp_route_finish(out);
}
