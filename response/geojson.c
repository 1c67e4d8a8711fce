/*
 * geojson.c - a response plan as GeoJSON (response.h): the staging point
 * and a LineString a route, in WGS84 for the map.
 */
#include <math.h>
#include <stdlib.h>

#include "response/response.h"

static double round7(double v) {
    return round(v * 1e7) / 1e7;
}

static double round1(double v) {
    return round(v * 10) / 10;
}

static json_t *point_at(const geo_layout *g, double x, double y) {
    double lon, lat;
    if (geo_unproject(g, x, y, &lon, &lat) != 0) return NULL;
    return json_pack("[f, f]", round7(lon), round7(lat));
}

static json_t *line_of(const geo_layout *g, const roads_route *rt) {
    json_t *co = json_array();
    for (size_t i = 0; co && i < rt->n_points; i++) {
        json_t *pt = point_at(g, rt->xy[2 * i], rt->xy[2 * i + 1]);
        if (!pt) {
            json_decref(co);
            return NULL;
        }
        json_array_append_new(co, pt);
    }
    return co ? json_pack("{s:s, s:o}", "type", "LineString", "coordinates", co) : NULL;
}

/* A feature's name (zh: its Chinese one), null when it has none: the
 * page picks by its language. */
static json_t *feature_name(const geo_layout *g, long index, bool zh) {
    if (index < 0) return json_null();
    const geo_feature *f = geo_get(g, (size_t)index);
    const char *n = zh ? f->name_zh : f->name;
    return n[0] ? json_string(n) : json_null();
}

static json_t *feature_id(const geo_layout *g, long index) {
    return index < 0 ? json_null() : json_string(geo_get(g, (size_t)index)->id);
}

static json_t *route_feature(const geo_layout *g, const resp_route *r) {
    json_t *geom = line_of(g, &r->route), *roads = json_array();
    if (!geom || !roads) {
        json_decref(geom);
        json_decref(roads);
        return NULL;
    }
    for (size_t k = 0; k < r->route.n_road_ids; k++)
        json_array_append_new(roads, json_string(r->route.road_ids[k]));
    json_t *pr = json_pack(
        "{s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:f, s:f, s:b, s:f, s:o}", "role",
        r->kind == RESP_RESPONDER ? "responder" : "evacuation", "from", feature_id(g, r->from),
        "from_name", feature_name(g, r->from, false), "from_name_zh",
        feature_name(g, r->from, true), "to", feature_id(g, r->to), "to_name",
        feature_name(g, r->to, false), "to_name_zh", feature_name(g, r->to, true), "length_m",
        round1(r->route.length_m), "eta_s", round1(r->eta_s), "through_zone", r->through_zone,
        "in_zone_m", round1(r->route.in_areas_m), "roads", roads);
    if (pr && r->kind == RESP_EVACUATION) {
        json_object_set_new(pr, "people", json_integer(r->people));
        json_object_set_new(pr, "from_zone_m", json_real(round1(r->from_zone_m)));
    }
    return json_pack("{s:s, s:o, s:o}", "type", "Feature", "geometry", geom, "properties", pr);
}

json_t *resp_plan_geojson(const geo_layout *g, const resp_plan *p) {
    json_t *fs = json_array(), *unreachable = json_array();
    if (!fs || !unreachable) goto oom;
    if (p->staged) {
        json_t *pt = point_at(g, p->staging_x, p->staging_y);
        if (!pt) goto oom;
        json_array_append_new(fs, json_pack("{s:s, s:{s:s, s:o}, s:{s:s}}", "type", "Feature",
                                            "geometry", "type", "Point", "coordinates", pt,
                                            "properties", "role", "staging"));
    }
    for (size_t i = 0; i < p->n_routes; i++) {
        json_t *f = route_feature(g, &p->routes[i]);
        if (!f) goto oom;
        json_array_append_new(fs, f);
    }
    for (size_t i = 0; i < p->n_unreachable; i++)
        json_array_append_new(unreachable, feature_id(g, p->unreachable[i]));
    return json_pack("{s:s, s:o, s:I, s:I, s:o, s:I}", "type", "FeatureCollection", "features", fs,
                     "evacuees", (json_int_t)p->evacuees, "not_routed", (json_int_t)p->not_routed,
                     "unreachable", unreachable, "refuges", (json_int_t)p->refuges);
oom:
    json_decref(fs);
    json_decref(unreachable);
    return NULL;
}
