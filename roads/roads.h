/*
 * roads.h - the park's road network, built from the layout's roads, and
 * routing over it: the one public header of roads/.
 *
 * The network: every road (geo kind "road", geo.h) is a polyline in the
 * metric CRS. Roads are noded where they cross or touch (an end within
 * ROADS_SNAP_M of another road's line splits that line there), so that a
 * crossing is a junction whatever way the layout drew it. Each edge keeps
 * its road's id, class, posted speed (speed_kmh; else by class: main 40,
 * branch 30, service 20 km/h), hazmat rule ("allowed", "designated",
 * "closed") and one-way flag (true: only in the drawn direction).
 *
 * Routing: Dijkstra (A* with the straight-line time as heuristic) on
 * travel time, from the nearest point of the network to the start to the
 * nearest point to the end (the legs off the network to those points are
 * part of the route). Constraints: hazardous goods (never over a "closed"
 * road; "designated" roads preferred: their time counts 0.8), and areas to
 * avoid (polygons: no edge crossing them; issue 22's footprints). A route
 * is a polyline with its length, time and the roads it takes.
 *
 * Route checks: roads_route_distance gives the distance from a position to
 * a route (a hint makes a moving vehicle's next check O(1) amortised);
 * roads_nearest gives the road a position is on, with its speed limit
 * (for a hazardous-goods vehicle: min(posted, 60 km/h) off expressways,
 * the rule of the 2019 regulation, Art. 46).
 *
 * Ownership and threads: a network is immutable once built; every query
 * may run on any thread at once. Routes are owned by the caller
 * (roads_route_free). The layout given to roads_build is borrowed for the
 * call only.
 */
#ifndef PARKWATCH_ROADS_H
#define PARKWATCH_ROADS_H

#include <stdbool.h>
#include <stddef.h>

#include "geo/geo.h"

#define ROADS_SNAP_M     2.0
#define ROADS_HAZMAT_KMH 60.0 /* hazardous goods off expressways (2019 regulation, Art. 46) */

typedef struct roads roads;

typedef enum roads_hazmat {
    ROADS_HAZMAT_ALLOWED = 0,
    ROADS_HAZMAT_DESIGNATED,
    ROADS_HAZMAT_CLOSED
} roads_hazmat;

/* Builds the network of the layout's roads. 0, or -1 with err (a layout
 * without roads builds an empty network: every route then fails). Edges
 * are straight: a node at each junction, each road end and each vertex
 * of a road's line (points closer than ROADS_SNAP_M are one node, the
 * crossing kept where roads cross). A uniform grid finds the segments
 * near each other, so the work grows with the segments and crossings, not
 * their square; past limits of some millions of them it fails with a
 * message. */
int roads_build(const geo_layout *g, roads **out, char *err, size_t errcap);
void roads_free(roads *r);

typedef struct roads_info {
    size_t n_roads, n_nodes, n_edges;
    double length_m; /* of every edge */
} roads_info;
void roads_get_info(const roads *r, roads_info *out);

typedef struct roads_constraints {
    bool hazmat; /* a hazardous-goods vehicle */
    /* Areas no edge of the route may cross: n_areas rings of metric x, y
     * pairs (area k: area_xy[k], area_n[k] points; closed or not; at most
     * 4096 areas of 3 to 1,000,000 points, 4,000,000 in all). */
    const double *const *area_xy;
    const size_t *area_n;
    size_t n_areas;
    /* 0: no edge may cross an area. Above 1: an edge crossing or in an
     * area may be taken but its time counts area_penalty times, so a route
     * from inside a footprint leaves it by the quickest way out and does
     * not come back (evacuation, issue 22). */
    double area_penalty;
    /* Above 0: every edge is travelled at this speed, whatever its posted
     * one (people on foot); one-way and hazardous-goods rules still hold
     * unless the caller turns them off (oneway_ignored). */
    double speed_kmh;
    bool oneway_ignored; /* on foot: a one-way street is walked both ways */
} roads_constraints;

typedef struct roads_route {
    double *xy; /* metric x, y pairs, from start to end */
    size_t n_points;
    double length_m, duration_s;
    char **road_ids; /* the roads taken, in order, each once per stretch; owned */
    size_t n_road_ids;
    /* With area_penalty: the metres of the route's pieces that cross or lie
     * in an area (a piece counts whole), 0 when it avoids them all. */
    double in_areas_m;
} roads_route;

/* The fastest route from (x0, y0) to (x1, y1) (metric CRS) under the
 * constraints (may be NULL). 0, or -1 with err ("no route": the network
 * does not connect them under the constraints; or a bad area, a
 * non-finite point).
 *
 * Each end snaps to the nearest point of the nearest edge the vehicle may
 * take (hazardous goods: not a "closed" road), whatever the areas; each
 * piece of that edge from the snapped point is judged against the areas
 * on its own. The legs off the network are not judged against areas and
 * are timed at the speed of the road they join. duration_s is the driving
 * time (a hazardous-goods vehicle at min(speed, ROADS_HAZMAT_KMH)); the
 * 0.8 of designated roads only chooses the route. The search closes each
 * node at most once: its work is bounded by the network's size. */
int roads_plan(const roads *r, double x0, double y0, double x1, double y1,
               const roads_constraints *c, roads_route *out, char *err, size_t errcap);
void roads_route_free(roads_route *rt);

/* The distance (m) from (x, y) to an area (a ring of n metric x, y pairs,
 * closed or not), 0 inside it (even-odd rule); INFINITY for fewer than 3
 * points. The test routing uses for "in an area", for callers choosing
 * whom to route out of one. */
double roads_area_distance(const double *xy, size_t n, double x, double y);

/* The distance (m) from (x, y) to the route's polyline (INFINITY for an
 * empty route). *hint (may be NULL; start at 0) is the segment found last
 * time: the search starts there and walks along the route while the
 * distance falls, so a vehicle checked at each position costs O(1)
 * amortised; it is updated. When that walk ends more than 25 m off, the
 * whole route is scanned (a vehicle that jumped, a route doubling back):
 * so the answer is exact above 25 m, and within 25 m it is the distance to
 * the part of the route around the hint. Without a hint: always a scan. */
double roads_route_distance(const roads_route *rt, double x, double y, size_t *hint);

typedef struct roads_position {
    long road;           /* layout feature index of the nearest road, -1 none */
    const char *road_id; /* "" none; the network's copy, valid until roads_free */
    double distance_m;   /* from the position to that road */
    double speed_kmh;    /* its posted (or class) speed */
    roads_hazmat hazmat;
} roads_position;

/* The road nearest to (x, y) within max_m (0: any distance). 0, or -1
 * when none. */
int roads_nearest(const roads *r, double x, double y, double max_m, roads_position *out);

#endif
