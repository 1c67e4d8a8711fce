/*
 * response.h - the routes of the response to an incident (issue 22), over
 * the park's roads (roads.h): the one public header of response/.
 *
 * Responders: from each fire station and each team or vehicle among the
 * resources (geo kind resource) to a staging point upwind of the
 * source, outside every threat zone, by road at the roads' speeds, never
 * through a zone when any other way exists (when none does, the route that
 * spends least time in them, flagged). ETAs are driving times at the
 * posted speeds: an engine on call may go faster, so they are an upper
 * bound a duty officer can trust.
 *
 * Evacuation: every building with occupants and every zone (geo kinds
 * building, zone) inside a threat zone or within near_m of one goes on foot
 * to the safe refuge it reaches first: shelters and gates outside every
 * zone and not downwind (within 60 degrees of the wind's direction: the
 * rule the emergency view has used since issue 12). Routes never enter a
 * zone they can avoid: from inside one, the way out is the quickest (the
 * time inside counts ten times), and the route does not come back.
 *
 * Everything is recomputed from the scene it is given: a new wind is a new
 * scene (the emergency view asks at each request with the weather of the
 * moment).
 *
 * Frames: metric x, y of the layout's CRS (geo_project); the GeoJSON is
 * WGS84. Ownership: resp_plan's arrays and routes are the caller's
 * (resp_plan_free); the layout, the network and the areas are borrowed for
 * the call. Threads: pure functions of their arguments (the layout and the
 * network are immutable), callable from any thread at once.
 */
#ifndef PARKWATCH_RESPONSE_H
#define PARKWATCH_RESPONSE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "geo/geo.h"
#include "roads/roads.h"

#define RESP_STAGING_M     150.0  /* default: upwind of the source, outside every zone */
#define RESP_STAGING_MAX_M 3000.0 /* the staging point is looked for this far out */
#define RESP_NEAR_M        200.0  /* default: evacuated when this close to a zone */
#define RESP_WALK_KMH      5.0    /* default walking pace */
#define RESP_MAX_EVACUEES  300    /* default: buildings and zones routed, nearest first */
#define RESP_AREA_PENALTY  10.0   /* the time inside a zone counts this many times */
#define RESP_DOWNWIND_DEG  60.0   /* refuges within this of downwind are not safe */

typedef struct resp_scene {
    double x, y;          /* the source, metric CRS */
    double wind_from_deg; /* meteorological: where the wind blows from, clockwise from north */
    /* The threat zones: n_areas rings of metric x, y pairs (the outer
     * footprint of each model is enough; closed or not). */
    const double *const *area_xy;
    const size_t *area_n;
    size_t n_areas;
    bool night;          /* occupancy by night (buildings' occupants_night) */
    double staging_m;    /* 0: RESP_STAGING_M */
    double near_m;       /* 0: RESP_NEAR_M */
    double walk_kmh;     /* 0: RESP_WALK_KMH */
    size_t max_evacuees; /* 0: RESP_MAX_EVACUEES */
} resp_scene;

typedef enum resp_kind { RESP_RESPONDER = 0, RESP_EVACUATION } resp_kind;

typedef struct resp_route {
    resp_kind kind;
    long from; /* layout feature: the fire station or resource, the building or zone */
    long to;   /* the shelter or gate; -1: the staging point */
    roads_route route;
    double eta_s;       /* the route's time (driving, or walking) */
    bool through_zone;  /* it crosses a zone: route.in_areas_m of it */
    long people;        /* evacuation: the building's occupants now (nominal), 0 for a zone */
    double from_zone_m; /* evacuation: the evacuee's distance to the nearest zone, 0 inside */
} resp_route;

typedef struct resp_plan {
    bool staged;                 /* a staging point outside every zone was found */
    double staging_x, staging_y; /* metric CRS */
    resp_route *routes;          /* responders first, then evacuation, nearest the zones first */
    size_t n_routes;
    size_t n_responders;
    size_t evacuees;   /* buildings and zones in or near a zone */
    size_t not_routed; /* of them: past max_evacuees */
    long *unreachable; /* of them: no refuge reachable (feature indexes) */
    size_t n_unreachable;
    size_t refuges; /* safe shelters and gates */
} resp_plan;

/* Plans the routes of the scene. 0, or -1 with err (bad scene: a
 * non-finite source or wind, a bad area; out of memory). A park without
 * fire stations, refuges or roads gets an empty plan, not an error. */
int resp_plan_routes(const roads *net, const geo_layout *g, const resp_scene *s, resp_plan *out,
                     char *err, size_t errcap);
void resp_plan_free(resp_plan *p);

/* The plan as a GeoJSON FeatureCollection (WGS84) of the staging point
 * (properties {role: "staging"}) and one LineString a route, properties
 * {role: "responder"|"evacuation", from, from_name, from_name_zh, to (null:
 * staging), to_name, to_name_zh (names null when the feature has none),
 * length_m, eta_s, through_zone, in_zone_m, roads [ids], people,
 * from_zone_m}, with the plan's counts as foreign members "evacuees",
 * "not_routed", "unreachable" [ids], "refuges". NULL when out of memory. */
json_t *resp_plan_geojson(const geo_layout *g, const resp_plan *p);

#endif
