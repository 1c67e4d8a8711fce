/*
 * routes.c - responders' and evacuation routes of an incident
 * (response.h): a staging point upwind, the safe refuges, and a route
 * planned over the roads for each fire station and each evacuee.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errmsg.h"
#include "response/response.h"

#define DEG               (M_PI / 180.0)
#define STAGING_STEP_M    25.0
#define REFUGES_TRIED     4 /* per evacuee: the nearest safe refuges by straight line */
#define RESPONDER_PENALTY 20.0

typedef struct scene {
    const resp_scene *s;
    const roads *net;
    const geo_layout *g;
    double down_x, down_y; /* unit vector the wind blows towards */
} scene;

static double zone_distance(const scene *c, double x, double y) {
    double best = INFINITY;
    for (size_t k = 0; k < c->s->n_areas; k++) {
        double d = roads_area_distance(c->s->area_xy[k], c->s->area_n[k], x, y);
        if (d < best) best = d;
    }
    return best;
}

/* Whether a refuge at (x, y) is downwind of the source: within
 * RESP_DOWNWIND_DEG of the direction the wind blows towards. */
static bool downwind(const scene *c, double x, double y) {
    double dx = x - c->s->x, dy = y - c->s->y, d = hypot(dx, dy);
    if (d < 1e-9) return true;
    double cosang = (dx * c->down_x + dy * c->down_y) / d;
    return cosang > cos(RESP_DOWNWIND_DEG * DEG);
}

static int push_route(resp_plan *p, size_t *cap, const resp_route *r) {
    if (p->n_routes == *cap) {
        size_t nc = *cap ? 2 * *cap : 16;
        resp_route *v = realloc(p->routes, nc * sizeof *v);
        if (!v) return -1;
        p->routes = v;
        *cap = nc;
    }
    p->routes[p->n_routes++] = *r;
    return 0;
}

static roads_constraints zones_of(const scene *c) {
    return (roads_constraints){
        .area_xy = c->s->area_xy, .area_n = c->s->area_n, .n_areas = c->s->n_areas};
}

/* The staging point: upwind of the source from staging_m out, the first
 * point outside every zone by staging_m (searched in steps). */
static bool find_staging(const scene *c, double *x, double *y) {
    double margin = c->s->staging_m > 0 ? c->s->staging_m : RESP_STAGING_M;
    for (double d = margin; d <= RESP_STAGING_MAX_M; d += STAGING_STEP_M) {
        double px = c->s->x - c->down_x * d, py = c->s->y - c->down_y * d;
        if (!c->s->n_areas || zone_distance(c, px, py) >= margin) {
            *x = px, *y = py;
            return true;
        }
    }
    return false;
}

static int plan_responders(const scene *c, resp_plan *p, size_t *cap, char *err, size_t errcap) {
    if (!p->staged) return 0;
    for (size_t i = 0; i < geo_count_all(c->g); i++) {
        const geo_feature *f = geo_get(c->g, i);
        /* fire stations, and the teams and vehicles among the resources */
        const char *rt = f->kind == GEO_RESOURCE ? geo_prop_str(c->g, i, "resource_type") : "";
        if (f->kind != GEO_FIRE_STATION && strcmp(rt, "team") && strcmp(rt, "vehicle")) continue;
        roads_constraints k = zones_of(c);
        resp_route r = {.kind = RESP_RESPONDER, .from = (long)i, .to = -1};
        char e[200];
        int rc =
            roads_plan(c->net, f->x, f->y, p->staging_x, p->staging_y, &k, &r.route, e, sizeof e);
        if (rc != 0 && c->s->n_areas) { /* no way round: the least time in the zones */
            k.area_penalty = RESPONDER_PENALTY;
            rc = roads_plan(c->net, f->x, f->y, p->staging_x, p->staging_y, &k, &r.route, e,
                            sizeof e);
            r.through_zone = rc == 0 && r.route.in_areas_m > 0;
        }
        if (rc != 0) {
            if (strstr(e, "no route")) continue; /* a station off the network */
            return pw_fail(err, errcap, "responder route from %s: %s", f->id, e);
        }
        r.eta_s = r.route.duration_s;
        if (push_route(p, cap, &r) != 0) {
            roads_route_free(&r.route);
            return pw_fail(err, errcap, "out of memory");
        }
        p->n_responders++;
    }
    return 0;
}

typedef struct evacuee {
    long index;
    double zone_m;
} evacuee;

static int by_zone_distance(const void *a, const void *b) {
    const evacuee *x = a, *y = b;
    if (x->zone_m != y->zone_m) return x->zone_m < y->zone_m ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

typedef struct refuge {
    long index;
    double d; /* straight line from the evacuee, for choosing whom to try */
} refuge;

static int by_d(const void *a, const void *b) {
    const refuge *x = a, *y = b;
    if (x->d != y->d) return x->d < y->d ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* Routes one evacuee to the refuge reached first of the nearest few; 1
 * when none is reachable. */
static int route_evacuee(const scene *c, const evacuee *ev, refuge *rf, size_t n_rf,
                         resp_route *best, char *err, size_t errcap) {
    const geo_feature *f = geo_get(c->g, (size_t)ev->index);
    for (size_t j = 0; j < n_rf; j++) {
        const geo_feature *t = geo_get(c->g, (size_t)rf[j].index);
        rf[j].d = hypot(t->x - f->x, t->y - f->y);
    }
    qsort(rf, n_rf, sizeof *rf, by_d);
    roads_constraints k = zones_of(c);
    k.area_penalty = c->s->n_areas ? RESP_AREA_PENALTY : 0;
    k.speed_kmh = c->s->walk_kmh > 0 ? c->s->walk_kmh : RESP_WALK_KMH;
    k.oneway_ignored = true;
    double best_cost = INFINITY, sec_per_m = 3.6 / k.speed_kmh;
    for (size_t j = 0; j < n_rf && j < REFUGES_TRIED; j++) {
        const geo_feature *t = geo_get(c->g, (size_t)rf[j].index);
        roads_route rt;
        char e[200];
        if (roads_plan(c->net, f->x, f->y, t->x, t->y, &k, &rt, e, sizeof e) != 0) {
            if (strstr(e, "no route")) continue;
            if (best->route.xy) roads_route_free(&best->route);
            pw_fail(err, errcap, "evacuation route from %s: %s", f->id, e);
            return -1;
        }
        /* what the search minimised: the time, a zone's ten times */
        double cost = rt.duration_s + (RESP_AREA_PENALTY - 1) * rt.in_areas_m * sec_per_m;
        if (cost < best_cost) {
            best_cost = cost;
            if (best->route.xy) roads_route_free(&best->route);
            best->route = rt;
            best->to = rf[j].index;
        } else {
            roads_route_free(&rt);
        }
    }
    return best->route.xy ? 0 : 1;
}

static int plan_evacuation(const scene *c, resp_plan *p, size_t *cap, char *err, size_t errcap) {
    if (!c->s->n_areas) return 0;
    size_t n = geo_count_all(c->g);
    double near = c->s->near_m > 0 ? c->s->near_m : RESP_NEAR_M;
    size_t max = c->s->max_evacuees ? c->s->max_evacuees : RESP_MAX_EVACUEES;
    evacuee *ev = malloc((n ? n : 1) * sizeof *ev);
    refuge *rf = malloc((n ? n : 1) * sizeof *rf);
    size_t n_ev = 0, n_rf = 0;
    int rc = -1;
    if (!ev || !rf) {
        pw_fail(err, errcap, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        const geo_feature *f = geo_get(c->g, i);
        if (f->kind == GEO_SHELTER || f->kind == GEO_GATE) {
            if (zone_distance(c, f->x, f->y) > 0 && !downwind(c, f->x, f->y))
                rf[n_rf++] = (refuge){(long)i, 0};
            continue;
        }
        bool people =
            f->kind == GEO_BUILDING && (c->s->night ? f->occupants_night : f->occupants_day) > 0;
        if (!people && f->kind != GEO_ZONE) continue;
        double d = zone_distance(c, f->x, f->y);
        if (d <= near) ev[n_ev++] = (evacuee){(long)i, d};
    }
    p->refuges = n_rf;
    p->evacuees = n_ev;
    qsort(ev, n_ev, sizeof *ev, by_zone_distance);
    if (n_ev > max) p->not_routed = n_ev - max, n_ev = max;
    if (n_ev && !(p->unreachable = malloc(n_ev * sizeof *p->unreachable))) {
        pw_fail(err, errcap, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n_ev; i++) {
        const geo_feature *f = geo_get(c->g, (size_t)ev[i].index);
        resp_route r = {.kind = RESP_EVACUATION, .from = ev[i].index, .to = -1};
        int k = n_rf ? route_evacuee(c, &ev[i], rf, n_rf, &r, err, errcap) : 1;
        if (k < 0) goto done;
        if (k == 1) {
            p->unreachable[p->n_unreachable++] = ev[i].index;
            continue;
        }
        r.eta_s = r.route.duration_s;
        r.through_zone = r.route.in_areas_m > 0;
        r.people =
            f->kind == GEO_BUILDING ? (c->s->night ? f->occupants_night : f->occupants_day) : 0;
        r.from_zone_m = ev[i].zone_m;
        if (push_route(p, cap, &r) != 0) {
            roads_route_free(&r.route);
            pw_fail(err, errcap, "out of memory");
            goto done;
        }
    }
    rc = 0;
done:
    free(ev);
    free(rf);
    return rc;
}

int resp_plan_routes(const roads *net, const geo_layout *g, const resp_scene *s, resp_plan *out,
                     char *err, size_t errcap) {
    memset(out, 0, sizeof *out);
    if (!net || !g || !s) return pw_fail(err, errcap, "no road network, layout or scene");
    if (!isfinite(s->x) || !isfinite(s->y) || !isfinite(s->wind_from_deg))
        return pw_fail(err, errcap, "the source and the wind must be finite");
    if (!isfinite(s->staging_m) || s->staging_m < 0 || s->staging_m > RESP_STAGING_MAX_M ||
        !isfinite(s->near_m) || s->near_m < 0 || s->near_m > 10000 || !isfinite(s->walk_kmh) ||
        s->walk_kmh < 0 || s->walk_kmh > 20)
        return pw_fail(err, errcap,
                       "staging_m 0..%g, near_m 0..10000, walk_kmh 0..20 (0: the defaults)",
                       RESP_STAGING_MAX_M);
    if (s->n_areas && (!s->area_xy || !s->area_n))
        return pw_fail(err, errcap, "areas: each with its points");
    for (size_t k = 0; k < s->n_areas; k++) {
        if (!s->area_xy[k] || s->area_n[k] < 3)
            return pw_fail(err, errcap, "area %zu: at least 3 points", k);
        for (size_t i = 0; i < 2 * s->area_n[k]; i++)
            if (!isfinite(s->area_xy[k][i]))
                return pw_fail(err, errcap, "area %zu: point %zu is not finite", k, i / 2);
    }
    /* the wind blows from wind_from_deg: towards that bearing + 180 */
    double to = (s->wind_from_deg + 180.0) * DEG;
    scene c = {.s = s, .net = net, .g = g, .down_x = sin(to), .down_y = cos(to)};
    size_t cap = 0;
    out->staged = find_staging(&c, &out->staging_x, &out->staging_y);
    if (plan_responders(&c, out, &cap, err, errcap) != 0 ||
        plan_evacuation(&c, out, &cap, err, errcap) != 0) {
        resp_plan_free(out);
        return -1;
    }
    return 0;
}

void resp_plan_free(resp_plan *p) {
    if (!p) return;
    for (size_t i = 0; i < p->n_routes; i++) roads_route_free(&p->routes[i].route);
    free(p->routes);
    free(p->unreachable);
    memset(p, 0, sizeof *p);
}
