/*
 * plan.c - the fastest route over the network: A* on travel time between
 * two positions snapped onto the network, for a vehicle that may or may
 * not carry hazardous goods, around areas to avoid.
 *
 * The start and the end snap to the nearest point of the nearest edge the
 * vehicle may take (a hazardous-goods vehicle: not a "closed" road). That
 * point splits its edge for this search only: two virtual nodes, S and T,
 * beyond the network's own. Each piece of the split edge, and every other
 * edge, is refused when it crosses or lies in an area. A* on time, its
 * heuristic the straight line at the fastest speed (times 0.8 when a
 * designated road may count 0.8), closes each node at most once: the work
 * is bounded by the network's size.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/errmsg.h"
#include "roads/internal.h"

#define MAX_AREAS       4096
#define MAX_AREA_POINTS 1000000 /* one area */
#define MAX_ALL_POINTS  4000000 /* all of them */
#define DESIGNATED_COST 0.8

typedef struct area {
    const double *xy;
    size_t n;
    double minx, miny, maxx, maxy;
} area;

typedef struct plan {
    const roads *r;
    bool hazmat;
    area *areas;
    size_t n_areas;
    uint8_t *edge_state;    /* 0 not judged yet, 1 clear of the areas, 2 crossing one */
    double penalty;         /* 0: crossing refused; else its cost factor */
    double fixed_sec_per_m; /* 0: the roads' speeds */
    bool oneway_ignored;
} plan;

typedef struct heap_item {
    double f;
    uint32_t node;
} heap_item;

typedef struct heap {
    heap_item *v;
    size_t n, cap;
} heap;

static int heap_push(heap *h, double f, uint32_t node) {
    if (h->n == h->cap) {
        size_t cap = h->cap ? 2 * h->cap : 256;
        heap_item *v = realloc(h->v, cap * sizeof *v);
        if (!v) return -1;
        h->v = v;
        h->cap = cap;
    }
    size_t i = h->n++;
    while (i > 0 && h->v[(i - 1) / 2].f > f) {
        h->v[i] = h->v[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->v[i] = (heap_item){f, node};
    return 0;
}

static heap_item heap_pop(heap *h) {
    heap_item top = h->v[0], last = h->v[--h->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n) break;
        if (c + 1 < h->n && h->v[c + 1].f < h->v[c].f) c++;
        if (h->v[c].f >= last.f) break;
        h->v[i] = h->v[c];
        i = c;
    }
    if (h->n) h->v[i] = last;
    return top;
}

/* Whether the piece a-b crosses or lies in an area. */
static bool piece_blocked(const plan *p, double ax, double ay, double bx, double by) {
    double minx = fmin(ax, bx), maxx = fmax(ax, bx), miny = fmin(ay, by), maxy = fmax(ay, by);
    for (size_t k = 0; k < p->n_areas; k++) {
        const area *ar = &p->areas[k];
        if (maxx < ar->minx || minx > ar->maxx || maxy < ar->miny || miny > ar->maxy) continue;
        if (rd_point_in_ring(ax, ay, ar->xy, ar->n) || rd_point_in_ring(bx, by, ar->xy, ar->n))
            return true;
        for (size_t i = 0, j = ar->n - 1; i < ar->n; j = i++)
            if (rd_seg_touch(ax, ay, bx, by, ar->xy[2 * j], ar->xy[2 * j + 1], ar->xy[2 * i],
                             ar->xy[2 * i + 1]))
                return true;
    }
    return false;
}

static bool kind_allows(const plan *p, uint32_t e) {
    return !p->hazmat || p->r->roads[p->r->edges[e].road].hazmat != ROADS_HAZMAT_CLOSED;
}

static bool snap_keep(void *ctx, uint32_t e) {
    return kind_allows(ctx, e);
}

/* Whether edge e crosses or lies in an area (judged once a plan). */
static bool edge_in_area(plan *p, uint32_t e) {
    if (!p->n_areas) return false;
    if (!p->edge_state[e]) {
        const rd_edge *ed = &p->r->edges[e];
        const double *a = p->r->node_xy + 2 * (size_t)ed->a, *b = p->r->node_xy + 2 * (size_t)ed->b;
        p->edge_state[e] = piece_blocked(p, a[0], a[1], b[0], b[1]) ? 2 : 1;
    }
    return p->edge_state[e] == 2;
}

static bool edge_usable(plan *p, uint32_t e) {
    return kind_allows(p, e) && (p->penalty > 0 || !edge_in_area(p, e));
}

/* Whether a piece (a part of the start's or the end's edge) may be taken. */
static bool piece_usable(const plan *p, bool edge_clear, double ax, double ay, double bx,
                         double by) {
    return edge_clear || p->penalty > 0 || !piece_blocked(p, ax, ay, bx, by);
}

/* Seconds a metre on edge e: its speed (a hazardous-goods vehicle's
 * capped), or the walking speed given. */
static double sec_per_m(const plan *p, uint32_t e) {
    if (p->fixed_sec_per_m > 0) return p->fixed_sec_per_m;
    double kmh = p->r->roads[p->r->edges[e].road].speed_kmh;
    if (p->hazmat && kmh > ROADS_HAZMAT_KMH) kmh = ROADS_HAZMAT_KMH;
    return 3.6 / kmh;
}

/* What the search minimises: the time, a designated road's times 0.8 for
 * a hazardous-goods vehicle (an area's penalty is piece_cost's). */
static double cost_per_m(const plan *p, uint32_t e) {
    double c = sec_per_m(p, e);
    if (p->hazmat && p->r->roads[p->r->edges[e].road].hazmat == ROADS_HAZMAT_DESIGNATED)
        c *= DESIGNATED_COST;
    return c;
}

/* The cost of a piece of edge e from a to b (its length given). */
static double piece_cost(const plan *p, uint32_t e, bool edge_clear, double ax, double ay,
                         double bx, double by, double len) {
    double c = cost_per_m(p, e) * len;
    if (p->penalty > 0 && !edge_clear && piece_blocked(p, ax, ay, bx, by)) c *= p->penalty;
    return c;
}

static int check_areas(plan *p, const roads_constraints *c, char *err, size_t errcap) {
    if (!c || !c->n_areas) return 0;
    if (c->n_areas > MAX_AREAS || !c->area_xy || !c->area_n)
        return pw_fail(err, errcap, "areas: at most %d, each with its points", MAX_AREAS);
    p->areas = calloc(c->n_areas, sizeof *p->areas);
    if (!p->areas) return pw_fail(err, errcap, "out of memory");
    size_t all = 0;
    for (size_t k = 0; k < c->n_areas; k++) {
        size_t n = c->area_n[k];
        const double *xy = c->area_xy[k];
        if (!xy || n < 3 || n > MAX_AREA_POINTS || (all += n) > MAX_ALL_POINTS)
            return pw_fail(err, errcap, "area %zu: 3 to %d points (at most %d in all)", k,
                           MAX_AREA_POINTS, MAX_ALL_POINTS);
        area *ar = &p->areas[p->n_areas++];
        *ar = (area){xy, n, INFINITY, INFINITY, -INFINITY, -INFINITY};
        for (size_t i = 0; i < n; i++) {
            if (!isfinite(xy[2 * i]) || !isfinite(xy[2 * i + 1]))
                return pw_fail(err, errcap, "area %zu: point %zu is not finite", k, i);
            ar->minx = fmin(ar->minx, xy[2 * i]);
            ar->maxx = fmax(ar->maxx, xy[2 * i]);
            ar->miny = fmin(ar->miny, xy[2 * i + 1]);
            ar->maxy = fmax(ar->maxy, xy[2 * i + 1]);
        }
    }
    return 0;
}

/* The search's state: S = n_nodes, T = n_nodes + 1. */
typedef struct search {
    plan *p;
    uint32_t n, s, t;
    double *g;
    uint32_t *parent, *via; /* previous node and the edge taken from it */
    uint8_t *closed;
    heap open;
    double tx, ty, h_per_m; /* T and the heuristic's seconds a metre */
    double sx, sy;          /* S */
} search;

static const double *node_pos(const search *s, uint32_t v) {
    static const double none[2] = {0, 0};
    if (v < s->p->r->n_nodes) return s->p->r->node_xy + 2 * (size_t)v;
    return none;
}

static void pos_of(const search *s, uint32_t v, double *x, double *y) {
    if (v == s->s) {
        *x = s->sx;
        *y = s->sy;
    } else if (v == s->t) {
        *x = s->tx;
        *y = s->ty;
    } else {
        *x = node_pos(s, v)[0];
        *y = node_pos(s, v)[1];
    }
}

static int relax(search *s, uint32_t from, uint32_t to, uint32_t edge, double cost) {
    if (s->closed[to]) return 0;
    double g = s->g[from] + cost;
    if (!(g < s->g[to])) return 0;
    s->g[to] = g;
    s->parent[to] = from;
    s->via[to] = edge;
    double x, y;
    pos_of(s, to, &x, &y);
    return heap_push(&s->open, g + hypot(x - s->tx, y - s->ty) * s->h_per_m, to);
}

int roads_plan(const roads *r, double x0, double y0, double x1, double y1,
               const roads_constraints *c, roads_route *out, char *err, size_t errcap) {
    memset(out, 0, sizeof *out);
    if (!r) return pw_fail(err, errcap, "no road network");
    if (!isfinite(x0) || !isfinite(y0) || !isfinite(x1) || !isfinite(y1))
        return pw_fail(err, errcap, "the start and the end must be finite coordinates");
    plan p = {.r = r, .hazmat = c && c->hazmat};
    if (c) {
        if (!isfinite(c->area_penalty) || (c->area_penalty != 0 && c->area_penalty < 1) ||
            !isfinite(c->speed_kmh) || c->speed_kmh < 0 || c->speed_kmh > 300)
            return pw_fail(err, errcap,
                           "area_penalty: 0 or at least 1; speed_kmh: 0 (the roads') to 300");
        p.penalty = c->area_penalty;
        p.fixed_sec_per_m = c->speed_kmh > 0 ? 3.6 / c->speed_kmh : 0;
        p.oneway_ignored = c->oneway_ignored;
    }
    search s = {.p = &p};
    uint32_t *seq = NULL;
    int rc = -1;
    if (check_areas(&p, c, err, errcap) != 0) goto done;
    if (p.n_areas && !(p.edge_state = calloc(r->n_edges ? r->n_edges : 1, 1))) {
        pw_errf(err, errcap, "out of memory");
        goto done;
    }
    double ts, tt;
    long es = rd_nearest_edge(r, x0, y0, 0, snap_keep, &p, &ts, NULL);
    long et = rd_nearest_edge(r, x1, y1, 0, snap_keep, &p, &tt, NULL);
    if (es < 0 || et < 0) {
        pw_errf(err, errcap, "no route: no road the vehicle may take");
        goto done;
    }
    const rd_edge *ees = &r->edges[es], *eet = &r->edges[et];
    const double *sa = r->node_xy + 2 * (size_t)ees->a, *sb = r->node_xy + 2 * (size_t)ees->b;
    const double *ta = r->node_xy + 2 * (size_t)eet->a, *tb = r->node_xy + 2 * (size_t)eet->b;
    s.sx = sa[0] + ts * (sb[0] - sa[0]);
    s.sy = sa[1] + ts * (sb[1] - sa[1]);
    s.tx = ta[0] + tt * (tb[0] - ta[0]);
    s.ty = ta[1] + tt * (tb[1] - ta[1]);
    double vmax = p.hazmat ? fmin(r->max_speed_kmh, ROADS_HAZMAT_KMH) : r->max_speed_kmh;
    if (p.fixed_sec_per_m > 0) vmax = 3.6 / p.fixed_sec_per_m;
    s.h_per_m = 3.6 / vmax * (p.hazmat && r->any_designated ? DESIGNATED_COST : 1);

    s.n = (uint32_t)r->n_nodes + 2;
    s.s = s.n - 2;
    s.t = s.n - 1;
    s.g = malloc(s.n * sizeof *s.g);
    s.parent = malloc(s.n * sizeof *s.parent);
    s.via = malloc(s.n * sizeof *s.via);
    s.closed = calloc(s.n, 1);
    if (!s.g || !s.parent || !s.via || !s.closed) goto oom;
    for (uint32_t v = 0; v < s.n; v++) s.g[v] = INFINITY;
    s.g[s.s] = 0;
    s.parent[s.s] = s.s;
    if (heap_push(&s.open, 0, s.s) != 0) goto oom;

    bool oneway_s = r->roads[ees->road].oneway && !p.oneway_ignored;
    bool ees_free = !edge_in_area(&p, (uint32_t)es);
    bool eet_free = !edge_in_area(&p, (uint32_t)et);
    /* Every node is closed once; lazy deletion leaves at most one stale
     * entry a relaxation: a bound on the work whatever the numbers do. */
    size_t budget = 2 * (r->n_edges * 2 + r->n_nodes) + 16;
    bool found = false;
    while (s.open.n && budget--) {
        heap_item it = heap_pop(&s.open);
        uint32_t u = it.node;
        if (s.closed[u]) continue;
        s.closed[u] = 1;
        if (u == s.t) {
            found = true;
            break;
        }
        int err_push = 0;
        if (u == s.s) {
            uint32_t e0 = (uint32_t)es;
            double len = ees->length_m;
            /* The pieces of the start's edge, each judged against the areas. */
            if (es == et && (!oneway_s || ts <= tt) &&
                piece_usable(&p, ees_free, s.sx, s.sy, s.tx, s.ty))
                err_push |= relax(
                    &s, u, s.t, e0,
                    piece_cost(&p, e0, ees_free, s.sx, s.sy, s.tx, s.ty, fabs(tt - ts) * len));
            if (piece_usable(&p, ees_free, s.sx, s.sy, sb[0], sb[1]))
                err_push |=
                    relax(&s, u, ees->b, e0,
                          piece_cost(&p, e0, ees_free, s.sx, s.sy, sb[0], sb[1], (1 - ts) * len));
            if (!oneway_s && piece_usable(&p, ees_free, s.sx, s.sy, sa[0], sa[1]))
                err_push |= relax(&s, u, ees->a, e0,
                                  piece_cost(&p, e0, ees_free, s.sx, s.sy, sa[0], sa[1], ts * len));
        } else {
            for (uint32_t k = r->adj_start[u]; k < r->adj_start[u + 1]; k++) {
                const rd_half *h = &r->adj[k];
                if (!kind_allows(&p, h->edge) || (h->against && !p.oneway_ignored)) continue;
                double len = r->edges[h->edge].length_m;
                double ce = cost_per_m(&p, h->edge) * len;
                if (edge_usable(&p, h->edge))
                    err_push |= relax(&s, u, h->to, h->edge,
                                      edge_in_area(&p, h->edge) ? ce * p.penalty : ce);
                if (h->edge != (uint32_t)et) continue;
                /* The end's edge: its piece from this node to T. */
                const double *np = node_pos(&s, u);
                if (!piece_usable(&p, eet_free, np[0], np[1], s.tx, s.ty)) continue;
                double frac = h->forward ? tt : 1 - tt;
                err_push |=
                    relax(&s, u, s.t, h->edge,
                          piece_cost(&p, h->edge, eet_free, np[0], np[1], s.tx, s.ty, frac * len));
            }
        }
        if (err_push) goto oom;
    }
    if (!found) {
        pw_errf(err, errcap, "no route: the network does not connect them%s",
                p.hazmat || p.n_areas ? " under the constraints" : "");
        goto done;
    }

    /* The nodes from S to T, then the polyline with its legs. */
    size_t n_seq = 0;
    for (uint32_t v = s.t;; v = s.parent[v]) {
        n_seq++;
        if (v == s.s || n_seq > s.n) break;
    }
    seq = malloc(n_seq * sizeof *seq);
    out->xy = malloc((n_seq + 2) * 2 * sizeof *out->xy);
    out->road_ids = calloc(n_seq, sizeof *out->road_ids);
    if (!seq || !out->xy || !out->road_ids) goto oom;
    {
        size_t k = n_seq;
        for (uint32_t v = s.t; k > 0; v = s.parent[v]) seq[--k] = v;
    }
    double px = x0, py = y0;
    out->xy[0] = x0;
    out->xy[1] = y0;
    out->n_points = 1;
    long last_road = -1;
    double last_d = 0, last_spm = 0;
    for (size_t k = 0; k <= n_seq; k++) {
        double x, y;
        uint32_t e;
        if (k < n_seq) {
            pos_of(&s, seq[k], &x, &y);
            e = k == 0 ? (uint32_t)es : s.via[seq[k]];
        } else {
            x = x1;
            y = y1;
            e = (uint32_t)et;
        }
        double d = hypot(x - px, y - py);
        if (d <= 1e-3) { /* the same point (an end on a road): the end as given */
            if (k == n_seq && out->n_points >= 2) {
                double *q = out->xy + 2 * (out->n_points - 2);
                double d2 = hypot(x - q[0], y - q[1]);
                out->length_m += d2 - last_d;
                out->duration_s += (d2 - last_d) * last_spm;
                q[2] = x;
                q[3] = y;
            }
            continue;
        }
        last_d = d;
        last_spm = sec_per_m(&p, e);
        out->length_m += d;
        out->duration_s += d * last_spm;
        if (p.n_areas && piece_blocked(&p, px, py, x, y)) out->in_areas_m += d;
        out->xy[2 * out->n_points] = x;
        out->xy[2 * out->n_points + 1] = y;
        out->n_points++;
        px = x;
        py = y;
        bool leg = k == 0 || k == n_seq; /* off the network */
        long road = (long)r->edges[e].road;
        if (leg || road == last_road) continue;
        out->road_ids[out->n_road_ids] = strdup(r->roads[road].id);
        if (!out->road_ids[out->n_road_ids]) goto oom;
        out->n_road_ids++;
        last_road = road;
    }
    rc = 0;
    goto done;
oom:
    pw_errf(err, errcap, "out of memory");
    roads_route_free(out);
done:
    free(seq);
    free(s.g);
    free(s.parent);
    free(s.via);
    free(s.closed);
    free(s.open.v);
    free(p.areas);
    free(p.edge_state);
    return rc;
}

void roads_route_free(roads_route *rt) {
    if (!rt) return;
    free(rt->xy);
    for (size_t k = 0; k < rt->n_road_ids; k++) free(rt->road_ids[k]);
    free(rt->road_ids);
    memset(rt, 0, sizeof *rt);
}

double roads_area_distance(const double *xy, size_t n, double x, double y) {
    if (!xy || n < 3) return INFINITY;
    if (rd_point_in_ring(x, y, xy, n)) return 0;
    double best = INFINITY;
    for (size_t i = 0, j = n - 1; i < n; j = i++) {
        double d = rd_seg_dist(x, y, xy[2 * j], xy[2 * j + 1], xy[2 * i], xy[2 * i + 1], NULL);
        if (d < best) best = d;
    }
    return best;
}
