/*
 * checks.c - the properties of the closed-park kinds (camera, zone,
 * vehicle_park) and of roads, checked at load so that closedpark/ and
 * roads/ take them as given (geo.h lists them).
 */
#include <string.h>

#include "geo/internal.h"

/* The closed-park kinds', the roads' and the response's (sensitive
 * targets, resources) own properties, checked at load so that closedpark/,
 * roads/, response/ and views/ can take them as given. */
void geo_check_closedpark(geo_kind kind, json_t *props, const char *file, const char *feat,
                          geo_problems *problems) {
    static const char *const zone_types[] = {"hazard_area", "confined_space", "restricted",
                                             "work_area", NULL};
    json_t *v;
    switch (kind) {
        case GEO_CAMERA:
            v = json_object_get(props, "direction_deg");
            if (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) >= 360)
                geo_add_problem(problems, file, feat,
                                "a camera's \"direction_deg\" is 0 to 359.9 (north 0, clockwise)");
            v = json_object_get(props, "range_m");
            if (v &&
                (!json_is_number(v) || json_number_value(v) <= 0 || json_number_value(v) > 2000))
                geo_add_problem(problems, file, feat,
                                "a camera's \"range_m\" is above 0 and at most 2000");
            v = json_object_get(props, "fov_deg");
            if (v &&
                (!json_is_number(v) || json_number_value(v) <= 0 || json_number_value(v) > 360))
                geo_add_problem(problems, file, feat,
                                "a camera's \"fov_deg\" is above 0 and at most 360");
            break;
        case GEO_ZONE: {
            const char *t = json_string_value(json_object_get(props, "zone_type"));
            bool ok = false;
            for (int i = 0; t && zone_types[i]; i++) ok |= !strcmp(t, zone_types[i]);
            if (!ok)
                geo_add_problem(
                    problems, file, feat,
                    "a zone's \"zone_type\" is hazard_area, confined_space, restricted or "
                    "work_area");
            v = json_object_get(props, "max_people");
            if (v && (!json_is_integer(v) || json_integer_value(v) < 0 ||
                      json_integer_value(v) > 100000))
                geo_add_problem(problems, file, feat,
                                "a zone's \"max_people\" is an integer 0 to 100000");
            break;
        }
        case GEO_VEHICLE_PARK:
            v = json_object_get(props, "capacity");
            if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 100000)
                geo_add_problem(problems, file, feat,
                                "a vehicle park's \"capacity\" is an integer 1 to 100000");
            break;
        case GEO_SENSITIVE_TARGET:
        case GEO_RESOURCE: {
            bool target = kind == GEO_SENSITIVE_TARGET;
            static const char *const target_types[] = {
                "school",      "kindergarten", "hospital", "nursing_home",
                "residential", "water_intake", "other",    NULL};
            static const char *const resource_types[] = {"team",  "vehicle", "equipment",
                                                         "stock", "medical", NULL};
            const char *const *types = target ? target_types : resource_types;
            const char *t =
                json_string_value(json_object_get(props, target ? "target_type" : "resource_type"));
            bool ok = false;
            for (int i = 0; t && types[i]; i++) ok |= !strcmp(t, types[i]);
            if (!ok)
                geo_add_problem(problems, file, feat,
                                target ? "a sensitive target's \"target_type\" is school, "
                                         "kindergarten, hospital, nursing_home, residential, "
                                         "water_intake or other"
                                       : "a resource's \"resource_type\" is team, vehicle, "
                                         "equipment, stock or medical");
            v = json_object_get(props, target ? "population" : "quantity");
            if (v && (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > 1e7))
                geo_add_problem(problems, file, feat,
                                target ? "a sensitive target's \"population\" is 0 to 10000000"
                                       : "a resource's \"quantity\" is 0 to 10000000");
            break;
        }
        case GEO_ROAD: {
            v = json_object_get(props, "speed_kmh");
            if (v &&
                (!json_is_number(v) || json_number_value(v) <= 0 || json_number_value(v) > 130))
                geo_add_problem(problems, file, feat,
                                "a road's \"speed_kmh\" is above 0 and at most 130");
            const char *h = json_string_value(json_object_get(props, "hazmat"));
            if (json_object_get(props, "hazmat") &&
                (!h || (strcmp(h, "allowed") && strcmp(h, "closed") && strcmp(h, "designated"))))
                geo_add_problem(problems, file, feat,
                                "a road's \"hazmat\" is allowed, designated or closed");
            v = json_object_get(props, "oneway");
            if (v && !json_is_boolean(v))
                geo_add_problem(problems, file, feat, "a road's \"oneway\" is true or false");
            break;
        }
        default:
            break;
    }
}
