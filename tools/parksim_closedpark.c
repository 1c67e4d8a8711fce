/*
 * parksim_closedpark.c - the closed-park scenario (--closedpark N): the
 * park's hazardous-goods vehicles, people and special work, on the
 * layout's roads, gates, tanks, zones and cameras (docs/closed-park.md).
 *
 * Over the scenario's span (--duration, else 7200 s / S): N vehicles
 * arrive at the gates in turn. N - 1 have an appointment, made over HTTP
 * at the start (POST /api/v1/appointments); each drives the route the
 * answer plans (else one of ours, parksim_roads.c) at 25-35 km/h (under
 * each road's limit), unloads at its enterprise's tank (or waits in the
 * vehicle park), and drives back out of its gate. The gates report each
 * passage (park/PARK/gates/events) and the vehicle platform every
 * vehicle's position once a second (park/PARK/vehicles/data). Exactly
 * once each, logged with its time: a vehicle without an appointment; one
 * that leaves its route by 150 m for 60 s and comes back; one at 70 km/h
 * for 30 s; one stopped outside the vehicle park for 1.5 times the 10 min
 * threshold. People badge in and out of the zones (3,000 events / S,
 * park/{E}/access/events), with one confined space held by 3 (of 2) for
 * 10 min; permits are filed, started and gas-tested over HTTP (a hot work
 * 10 m from the --incident leak's tank, else E001's first tank, and a
 * confined-space work whose only gas test goes stale); cameras report a
 * worker without a helmet (with a JPEG snapshot) and smoke by a tank.
 * Durations are divided by S (--closedpark-scale), the short ones no
 * further than the unscaled rules need (off-route 40 s, speeding 15 s).
 * HTTP failures are logged and the run goes on. Deterministic from --seed.
 */
#include <curl/curl.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parksim.h"

char *park_layout_geojson_fmt(int scale, uint64_t seed, int fmt); /* layout_gen.c */

#define MAX_POINTS 4096 /* of a route from the API */
#define N_PEOPLE   400
#define MAX_PLACES 100000  /* gates, tanks, zones, cameras, vehicle parks: each */
#define FAR_M      50000.0 /* a route point further from the layout is refused */

/* The no_helmet event's snapshot: a 16x16 baseline JPEG (libjpeg, quality
 * 40) of a bare head, 674 bytes. */
static const unsigned char snapshot_jpeg[] = {
    0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01,
    0x00, 0x01, 0x00, 0x00, 0xff, 0xdb, 0x00, 0x43, 0x00, 0x14, 0x0e, 0x0f, 0x12, 0x0f, 0x0d, 0x14,
    0x12, 0x10, 0x12, 0x17, 0x15, 0x14, 0x18, 0x1e, 0x32, 0x21, 0x1e, 0x1c, 0x1c, 0x1e, 0x3d, 0x2c,
    0x2e, 0x24, 0x32, 0x49, 0x40, 0x4c, 0x4b, 0x47, 0x40, 0x46, 0x45, 0x50, 0x5a, 0x73, 0x62, 0x50,
    0x55, 0x6d, 0x56, 0x45, 0x46, 0x64, 0x88, 0x65, 0x6d, 0x77, 0x7b, 0x81, 0x82, 0x81, 0x4e, 0x60,
    0x8d, 0x97, 0x8c, 0x7d, 0x96, 0x73, 0x7e, 0x81, 0x7c, 0xff, 0xdb, 0x00, 0x43, 0x01, 0x15, 0x17,
    0x17, 0x1e, 0x1a, 0x1e, 0x3b, 0x21, 0x21, 0x3b, 0x7c, 0x53, 0x46, 0x53, 0x7c, 0x7c, 0x7c, 0x7c,
    0x7c, 0x7c, 0x7c, 0x7c, 0x7c, 0x7c, 0x7c, 0x7c, 0x7c, 0x7c, 0x7c, 0x7c, 0x7c, 0x7c, 0x7c, 0x7c,
    0x7c, 0x7c, 0x7c, 0x7c, 0x7c, 0x7c, 0x7c, 0x7c, 0x7c, 0x7c, 0x7c, 0x7c, 0x7c, 0x7c, 0x7c, 0x7c,
    0x7c, 0x7c, 0x7c, 0x7c, 0x7c, 0x7c, 0x7c, 0x7c, 0x7c, 0x7c, 0x7c, 0x7c, 0x7c, 0x7c, 0xff, 0xc0,
    0x00, 0x11, 0x08, 0x00, 0x10, 0x00, 0x10, 0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11,
    0x01, 0xff, 0xc4, 0x00, 0x1f, 0x00, 0x00, 0x01, 0x05, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09,
    0x0a, 0x0b, 0xff, 0xc4, 0x00, 0xb5, 0x10, 0x00, 0x02, 0x01, 0x03, 0x03, 0x02, 0x04, 0x03, 0x05,
    0x05, 0x04, 0x04, 0x00, 0x00, 0x01, 0x7d, 0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21,
    0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07, 0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xa1, 0x08, 0x23,
    0x42, 0xb1, 0xc1, 0x15, 0x52, 0xd1, 0xf0, 0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0a, 0x16, 0x17,
    0x18, 0x19, 0x1a, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a,
    0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a,
    0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a,
    0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99,
    0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7,
    0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5,
    0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf1,
    0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xff, 0xc4, 0x00, 0x1f, 0x01, 0x00, 0x03,
    0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
    0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0xff, 0xc4, 0x00, 0xb5, 0x11, 0x00,
    0x02, 0x01, 0x02, 0x04, 0x04, 0x03, 0x04, 0x07, 0x05, 0x04, 0x04, 0x00, 0x01, 0x02, 0x77, 0x00,
    0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61, 0x71, 0x13,
    0x22, 0x32, 0x81, 0x08, 0x14, 0x42, 0x91, 0xa1, 0xb1, 0xc1, 0x09, 0x23, 0x33, 0x52, 0xf0, 0x15,
    0x62, 0x72, 0xd1, 0x0a, 0x16, 0x24, 0x34, 0xe1, 0x25, 0xf1, 0x17, 0x18, 0x19, 0x1a, 0x26, 0x27,
    0x28, 0x29, 0x2a, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49,
    0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69,
    0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88,
    0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6,
    0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4,
    0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe2,
    0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9,
    0xfa, 0xff, 0xda, 0x00, 0x0c, 0x03, 0x01, 0x00, 0x02, 0x11, 0x03, 0x11, 0x00, 0x3f, 0x00, 0x96,
    0xda, 0x35, 0x92, 0x50, 0xac, 0x78, 0xeb, 0x8f, 0x5a, 0x75, 0xd4, 0x49, 0x13, 0x0d, 0x9d, 0xfb,
    0x7a, 0x56, 0x28, 0xbc, 0x9c, 0x1c, 0x89, 0x30, 0x7e, 0x82, 0x83, 0x79, 0x70, 0xc7, 0x2d, 0x21,
    0x27, 0xd4, 0x81, 0x54, 0xf0, 0xf5, 0x3d, 0xa7, 0x37, 0x36, 0x9d, 0x85, 0xcf, 0x1e, 0x5b, 0x58,
    0xff, 0xd9};

/* Cargo by what the destination tank holds: class (GB 6944), UN number
 * (GB 12268). The last two go to the vehicle park. */
static const struct cargo {
    const char *substance, *hazard_class, *un, *name;
} cargos[] = {
    {"propylene", "2.1", "1077", "propylene"},
    {"chlorine", "2.3", "1017", "chlorine"},
    {"propane", "2.1", "1075", "LPG"},
    {"benzene", "3", "1114", "benzene"},
    {"methanol", "3", "1230", "methanol"},
    {"ammonia", "2.3", "1005", "ammonia, anhydrous"},
    {"butane", "2.1", "1011", "butane"},
    {"toluene", "3", "1294", "toluene"},
    {"", "3", "1203", "gasoline"},
    {"", "8", "1789", "hydrochloric acid"},
};
#define N_CARGOS (sizeof cargos / sizeof cargos[0])

static const char *const surnames[] = {"张", "王", "李", "赵", "刘", "陈", "杨", "黄", "周", "吴"};
static const char *const given[] = {"伟", "芳", "强", "敏", "磊", "军", "洋", "勇", "静", "杰"};

typedef struct place {
    char id[48], ent[16], extra[32]; /* tank: substance; zone: type */
    double x, y;
    int max_people, inside;
} place;

typedef struct plist {
    place *v;
    int n;
} plist;

enum { SP_NONE, SP_NO_APPOINTMENT, SP_OFF_ROUTE, SP_SPEEDING, SP_STOPPED };
static const char *const sp_names[] = {"", "no appointment", "off route", "speeding", "stopped"};
enum { V_WAIT, V_OUT, V_DWELL, V_BACK, V_GONE };

typedef struct vehicle {
    char plate[16], driver[16], ent[16], dest[48];
    const struct cargo *cargo;
    int mass_kg, gate, special, phase;
    bool to_vp;
    double t_arr, kmh, dwell, s, t_phase, sp_at, x, y, heading, speed;
    cp_route out, back;
} vehicle;

typedef struct visit {
    double at, until;
    int zone, person;
    bool in, out;
} visit;

typedef struct permit {
    const char *category, *grade, *content;
    char ent[16], id[64];
    double at, x, y, test_every; /* test_every 0: one test, at the start */
    double next_test;
    bool filed, tested; /* tested: the work needs gas tests */
} permit;

static struct {
    double lon0, lat0, span, k; /* k: the durations' divisor */
    uint64_t rng;
    cp_net *net;
    plist gates, tanks, zones, cams, vps;
    vehicle *veh;
    int n_veh;
    visit *visits;
    int n_visits, next_visit, confined; /* confined: the over-limit zone, -1 none */
    permit permits[5];
    int n_permits;
    long long next_s; /* the next second to play */
    bool appointments_made, helmet_done, smoke_done, over_in, over_out;
    long long n_positions, n_passages, n_badges, n_http_ok, n_http_failed;
    CURL *curl;
} cp = {.confined = -1};

static uint64_t cp_rnd(void) {
    cp.rng ^= cp.rng << 13, cp.rng ^= cp.rng >> 7, cp.rng ^= cp.rng << 17;
    return cp.rng;
}

static double cp_u(void) {
    return (double)(cp_rnd() >> 11) / 9007199254740992.0;
}

static void to_xy(double lon, double lat, double *x, double *y) {
    *x = (lon - cp.lon0) * 111320.0 * cos(cp.lat0 * PI / 180);
    *y = (lat - cp.lat0) * 110850.0;
}

static void to_lonlat(double x, double y, double *lon, double *lat) {
    *lon = cp.lon0 + x / (111320.0 * cos(cp.lat0 * PI / 180));
    *lat = cp.lat0 + y / 110850.0;
}

/* ---- the layout ---- */

static place *plist_add(plist *l) {
    if (l->n >= MAX_PLACES) return NULL;
    l->v = xrealloc(l->v, (size_t)(l->n + 1) * sizeof *l->v);
    memset(&l->v[l->n], 0, sizeof *l->v);
    return &l->v[l->n++];
}

/* A geometry's representative point: a point itself, a polygon's first
 * ring's vertex average. */
static bool rep_point(json_t *geom, double *x, double *y) {
    json_t *co = json_object_get(geom, "coordinates");
    const char *type = json_string_value(json_object_get(geom, "type"));
    if (!type) return false;
    if (!strcmp(type, "Point")) {
        if (!json_is_number(json_array_get(co, 0))) return false;
        to_xy(json_number_value(json_array_get(co, 0)), json_number_value(json_array_get(co, 1)), x,
              y);
        return true;
    }
    if (!strcmp(type, "MultiPolygon")) co = json_array_get(co, 0);
    json_t *ring = json_array_get(co, 0);
    size_t n = json_array_size(ring), i;
    json_t *pt;
    double sx = 0, sy = 0;
    if (n < 4) return false;
    json_array_foreach(ring, i, pt) {
        if (i + 1 == n) break; /* the closing point */
        double px, py;
        to_xy(json_number_value(json_array_get(pt, 0)), json_number_value(json_array_get(pt, 1)),
              &px, &py);
        sx += px, sy += py;
    }
    *x = sx / (double)(n - 1), *y = sy / (double)(n - 1);
    return true;
}

static void add_road(json_t *geom, json_t *props) {
    const char *type = json_string_value(json_object_get(geom, "type"));
    json_t *co = json_object_get(geom, "coordinates");
    const char *hz = json_string_value(json_object_get(props, "hazmat"));
    const char *cls = json_string_value(json_object_get(props, "class"));
    json_t *v = json_object_get(props, "speed_kmh");
    double kmh = json_is_number(v)                ? json_number_value(v)
                 : cls && !strcmp(cls, "main")    ? 40
                 : cls && !strcmp(cls, "service") ? 20
                                                  : 30;
    int hazmat = !hz ? 0 : !strcmp(hz, "designated") ? 1 : !strcmp(hz, "closed") ? 2 : 0;
    bool oneway = json_is_true(json_object_get(props, "oneway"));
    size_t parts = type && !strcmp(type, "MultiLineString") ? json_array_size(co) : 1;
    for (size_t p = 0; p < parts; p++) {
        json_t *line =
            parts > 1 || (type && !strcmp(type, "MultiLineString")) ? json_array_get(co, p) : co;
        size_t n = json_array_size(line), i;
        if (n < 2 || n > MAX_POINTS) continue;
        double *xy = xrealloc(NULL, 2 * n * sizeof *xy);
        json_t *pt;
        json_array_foreach(line, i, pt)
            to_xy(json_number_value(json_array_get(pt, 0)),
                  json_number_value(json_array_get(pt, 1)), &xy[2 * i], &xy[2 * i + 1]);
        cp_net_add_road(cp.net, xy, (int)n, kmh, hazmat, oneway);
        free(xy);
    }
}

static int load_layout(void) {
    json_error_t je;
    json_t *doc;
    if (opt.park_path) {
        doc = json_load_file(opt.park_path, 0, &je);
    } else { /* the demo park parkd is shown (geo/demo-park.geojson) */
        char *text = park_layout_geojson_fmt(1, 42, opt.fmt);
        doc = text ? json_loads(text, 0, &je) : NULL;
        free(text);
    }
    json_t *features = json_object_get(doc, "features");
    if (!json_is_array(features)) {
        fprintf(stderr, "parksim: closedpark: no layout (%s)\n", doc ? "no features" : je.text);
        json_decref(doc);
        return -1;
    }
    cp.net = cp_net_new();
    size_t i;
    json_t *f;
    bool have0 = false;
    json_array_foreach(features, i, f) {
        json_t *geom = json_object_get(f, "geometry"), *props = json_object_get(f, "properties");
        json_t *co = json_object_get(geom, "coordinates");
        while (json_is_array(json_array_get(co, 0))) co = json_array_get(co, 0);
        if (!have0 && json_is_number(json_array_get(co, 0))) {
            cp.lon0 = json_number_value(json_array_get(co, 0));
            cp.lat0 = json_number_value(json_array_get(co, 1));
            have0 = true;
        }
        const char *kind = json_string_value(json_object_get(props, "kind"));
        const char *id = json_string_value(json_object_get(props, "id"));
        const char *ent = json_string_value(json_object_get(props, "enterprise"));
        if (!kind || !id || strlen(id) >= sizeof cp.gates.v->id) continue;
        if (!strcmp(kind, "road")) {
            add_road(geom, props);
            continue;
        }
        plist *l = !strcmp(kind, "gate")           ? &cp.gates
                   : !strcmp(kind, "tank")         ? &cp.tanks
                   : !strcmp(kind, "zone")         ? &cp.zones
                   : !strcmp(kind, "camera")       ? &cp.cams
                   : !strcmp(kind, "vehicle_park") ? &cp.vps
                                                   : NULL;
        double x, y;
        place *p;
        if (!l || !rep_point(geom, &x, &y) || !(p = plist_add(l))) continue;
        snprintf(p->id, sizeof p->id, "%s", id);
        snprintf(p->ent, sizeof p->ent, "%s", ent && strlen(ent) < sizeof p->ent ? ent : "PARK");
        const char *extra =
            json_string_value(json_object_get(props, l == &cp.zones ? "zone_type" : "substance"));
        snprintf(p->extra, sizeof p->extra, "%s", extra ? extra : "");
        json_t *mp = json_object_get(props, "max_people");
        p->max_people = json_is_integer(mp) ? (int)json_integer_value(mp) : 0;
        p->x = x, p->y = y;
    }
    json_decref(doc);
    cp_net_build(cp.net);
    if (!cp.gates.n || !cp.tanks.n || !cp_net_nodes(cp.net)) {
        fprintf(stderr, "parksim: closedpark: the layout needs gates, tanks and roads\n");
        return -1;
    }
    return 0;
}

/* ---- HTTP ---- */

typedef struct body {
    char *p;
    size_t n;
} body;

static size_t on_body(char *data, size_t size, size_t n, void *arg) {
    body *b = arg;
    size_t add = size * n;
    if (b->n + add > (4u << 20)) return 0; /* an answer over 4 MiB is refused */
    b->p = xrealloc(b->p, b->n + add + 1);
    memcpy(b->p + b->n, data, add);
    b->n += add;
    b->p[b->n] = 0;
    return add;
}

/* POSTs json to --api's path; the answer's JSON in *answer (may be NULL).
 * 0 on a 2xx, else -1 (logged). */
static int http_post(const char *path, json_t *rq, json_t **answer) {
    if (answer) *answer = NULL;
    if (!opt.api_url || !cp.curl) return -1;
    char url[512], auth[600];
    size_t base = strlen(opt.api_url);
    while (base && opt.api_url[base - 1] == '/') base--; /* "http://h:8080/" too */
    snprintf(url, sizeof url, "%.*s%s", (int)base, opt.api_url, path);
    char *text = json_dumps(rq, JSON_COMPACT | JSON_REAL_PRECISION(12));
    body b = {0};
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    if (opt.api_token) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", opt.api_token);
        h = curl_slist_append(h, auth);
    }
    curl_easy_reset(cp.curl);
    curl_easy_setopt(cp.curl, CURLOPT_URL, url);
    curl_easy_setopt(cp.curl, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(cp.curl, CURLOPT_POSTFIELDS, text ? text : "{}");
    curl_easy_setopt(cp.curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(cp.curl, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(cp.curl, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
    curl_easy_setopt(cp.curl, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(cp.curl, CURLOPT_NOSIGNAL, 1L);
    CURLcode rc = curl_easy_perform(cp.curl);
    long status = 0;
    curl_easy_getinfo(cp.curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    free(text);
    int ok = rc == CURLE_OK && status >= 200 && status < 300 ? 0 : -1;
    if (ok == 0) {
        cp.n_http_ok++;
        if (answer && b.p) *answer = json_loads(b.p, 0, NULL);
    } else {
        cp.n_http_failed++;
        if (rc != CURLE_OK)
            logf_("closedpark: POST %s: %s", path, curl_easy_strerror(rc));
        else
            logf_("closedpark: POST %s: HTTP %ld %.200s", path, status, b.p ? b.p : "");
    }
    free(b.p);
    return ok;
}

/* An id from an answer: "id" as a string or a number. */
static void answer_id(json_t *a, char *out, size_t cap) {
    json_t *id = json_object_get(a, "id");
    if (json_is_string(id))
        snprintf(out, cap, "%s", json_string_value(id));
    else if (json_is_integer(id))
        snprintf(out, cap, "%lld", (long long)json_integer_value(id));
}

/* The route of an appointment's answer ("route": a LineString, or a
 * Feature of one), from the gate g; 0 when usable. */
static int answer_route(json_t *a, const place *g, cp_route *out) {
    json_t *r = json_object_get(a, "route");
    if (!r && json_is_object(json_object_get(a, "appointment")))
        r = json_object_get(json_object_get(a, "appointment"), "route");
    if (json_is_object(json_object_get(r, "geometry"))) r = json_object_get(r, "geometry");
    json_t *co = json_object_get(r, "coordinates");
    size_t n = json_array_size(co), i;
    json_t *pt;
    if (n < 2 || n > MAX_POINTS) return -1;
    memset(out, 0, sizeof *out);
    out->xy = xrealloc(NULL, 2 * (n + 1) * sizeof *out->xy);
    out->xy[0] = g->x, out->xy[1] = g->y, out->n = 1; /* from the gate itself */
    json_array_foreach(co, i, pt) {
        if (!json_is_number(json_array_get(pt, 0)) || !json_is_number(json_array_get(pt, 1))) {
            cp_route_free(out);
            return -1;
        }
        double *q = &out->xy[2 * out->n];
        to_xy(json_number_value(json_array_get(pt, 0)), json_number_value(json_array_get(pt, 1)),
              &q[0], &q[1]);
        if (!(hypot(q[0], q[1]) < FAR_M)) {
            cp_route_free(out);
            return -1;
        }
        out->n++;
    }
    cp_route_finish(out);
    return 0;
}

/* ---- MQTT ---- */

static client *conn(const char *ent) {
    client *c = find_client(ent);
    return c ? c : find_client("PARK");
}

static void pub_event(const char *ent, const char *device, json_t *ev) {
    char topic[96];
    snprintf(topic, sizeof topic, "park/%s/%s/events", ent, device);
    char *text = json_dumps(ev, JSON_COMPACT | JSON_REAL_PRECISION(12));
    client *c = conn(ent);
    if (text && c) parksim_publish(c, topic, text, strlen(text), 1, NULL);
    free(text);
    json_decref(ev);
}

static int64_t ts_of(int64_t start_ms, long long s) {
    return start_ms + s * 1000;
}

static void passage(const vehicle *v, const char *dir, int64_t ts) {
    json_t *ev = json_pack(
        "{s:s,s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:s,s:s}", "type", "gate_passage", "ts",
        (json_int_t)ts, "gate", cp.gates.v[v->gate].id, "direction", dir, "plate", v->plate,
        "vehicle_type", "tanker", "hazard_class", v->cargo->hazard_class, "un_number", v->cargo->un,
        "cargo", v->cargo->name, "mass_kg", v->mass_kg, "driver", v->driver, "enterprise", v->ent);
    pub_event("PARK", "gates", ev);
    cp.n_passages++;
}

/* ---- the plan ---- */

static void person_name(int p, char *out, size_t cap) {
    snprintf(out, cap, "%s%s", surnames[p % 10], given[(p / 10 + p * 7) % 10]);
}

/* The gate whose route to (x, y) runs longest on 40 km/h roads: where the
 * speeding vehicle comes in. */
static int gate_by_main_road(double x, double y) {
    int best = 0;
    double most = -1;
    for (int g = 0; g < cp.gates.n; g++) {
        cp_route r;
        if (cp_net_plan(cp.net, cp.gates.v[g].x, cp.gates.v[g].y, x, y, true, &r) != 0) continue;
        double on_main = 0, px, py, h;
        for (double s = 0; s < r.length; s += 10) {
            cp_route_at(&r, s, &px, &py, &h);
            on_main += cp_net_limit(cp.net, px, py) >= 40 ? 10 : 0;
        }
        if (on_main > most) most = on_main, best = g;
        cp_route_free(&r);
    }
    return best;
}

static void plan_vehicles(void) {
    int n = opt.closedpark;
    cp.veh = calloc((size_t)n, sizeof *cp.veh);
    if (!cp.veh) exit(1);
    cp.n_veh = n;
    long vp = cp.vps.n ? 0 : -1;
    for (int k = 0; k < n; k++) {
        vehicle *v = &cp.veh[k];
        snprintf(v->plate, sizeof v->plate, "沪A%05d", (int)((cp_rnd() >> 20) % 100000));
        for (int j = 0; j < k; j++) /* plates are unique */
            if (!strcmp(cp.veh[j].plate, v->plate)) {
                snprintf(v->plate, sizeof v->plate, "沪A%05d", (k * 7919) % 100000), j = -1;
                break;
            }
        person_name((int)(cp_rnd() % 100), v->driver, sizeof v->driver);
        v->special = k == (n > 1 ? 1 : 0) ? SP_NO_APPOINTMENT : k >= 2 && k <= 4 ? k : SP_NONE;
        v->to_vp = vp >= 0 && v->special == SP_NONE && (k == 0 || k % 3 == 2);
        v->gate = (int)(cp_rnd() % (uint64_t)cp.gates.n);
        const place *t = &cp.tanks.v[cp_rnd() % (uint64_t)cp.tanks.n];
        v->cargo = &cargos[N_CARGOS - 1 - cp_rnd() % 2];
        for (size_t c = 0; c < N_CARGOS; c++)
            if (!v->to_vp && !strcmp(cargos[c].substance, t->extra)) v->cargo = &cargos[c];
        snprintf(v->ent, sizeof v->ent, "%s", t->ent);
        snprintf(v->dest, sizeof v->dest, "%s", v->to_vp ? cp.vps.v[0].id : t->id);
        v->mass_kg = 15000 + 1000 * (int)(cp_rnd() % 16);
        v->kmh = 25 + 10 * cp_u();
        v->t_arr = cp.span * (0.03 + 0.55 * k / n);
        v->dwell = (v->to_vp ? 900 + 900 * cp_u() : 300 + 180 * cp_u()) / cp.k;
        v->sp_at = -1;
        /* our route first; the appointment's answer replaces it */
        double dx = v->to_vp ? cp.vps.v[0].x : t->x, dy = v->to_vp ? cp.vps.v[0].y : t->y;
        if (v->special == SP_SPEEDING) v->gate = gate_by_main_road(dx, dy);
        const place *g = &cp.gates.v[v->gate];
        if (cp_net_plan(cp.net, g->x, g->y, dx, dy, true, &v->out) != 0) {
            logf_("closedpark: %s: no route from %s to %s for hazardous goods", v->plate, g->id,
                  v->dest);
            v->phase = V_GONE;
        }
    }
}

static void plan_people(void) {
    int total = (int)lround(3000 / cp.k);
    if (total < 20) total = 20;
    for (int z = 0; z < cp.zones.n && cp.confined < 0; z++)
        if (!strcmp(cp.zones.v[z].extra, "confined_space")) cp.confined = z;
    cp.n_visits = (total - (cp.confined >= 0 ? 6 : 0)) / 2;
    cp.visits = calloc((size_t)cp.n_visits + 1, sizeof *cp.visits);
    if (!cp.visits) exit(1);
    for (int j = 0; j < cp.n_visits; j++) {
        visit *w = &cp.visits[j];
        w->at = cp.span * (0.01 + 0.9 * j / cp.n_visits);
        w->until = w->at + (120 + 360 * cp_u()) / cp.k;
        w->zone = (int)(cp_rnd() % (uint64_t)(cp.zones.n ? cp.zones.n : 1));
        w->person = -1;
    }
}

static void plan_permits(void) {
    /* hot work by the leak's tank, else by E001's first tank */
    const place *tank = &cp.tanks.v[0];
    double hot_at = 0.10 * cp.span;
    for (int i = 0; i < opt.n_inc; i++) {
        const incident *in = &opt.inc[i];
        if (in->kind != INC_LEAK) continue;
        char id[64];
        snprintf(id, sizeof id, "%s-%.*s", in->ent, (int)strcspn(in->tag, "."), in->tag);
        for (int t = 0; t < cp.tanks.n; t++)
            if (!strcmp(cp.tanks.v[t].id, id)) tank = &cp.tanks.v[t], hot_at = fmax(0, in->at - 30);
        break;
    }
    const place *cs = cp.confined >= 0 ? &cp.zones.v[cp.confined] : tank;
    struct {
        const char *category, *grade, *content;
        const place *near;
        double dx, at, every; /* every: gas tests (-1 none, 0 one before the start) */
    } plan[] = {
        {"hot_work", "1", "welding a flange on the tank's inlet line", tank, 0, hot_at, 1200},
        {"confined_space", "", "inspection inside the vessel", cs, 0, 0.12, 0},
        {"work_at_height", "II", "replacing a lamp on the pipe rack", &cp.tanks.v[cp.tanks.n / 2],
         60, 0.15, -1},
        {"temporary_power", "", "power for the welding set", tank, 20, 0.16, 0},
        {"lifting", "3", "lifting a pump onto its skid", &cp.tanks.v[cp.tanks.n - 1], 40, 0.22, -1},
    };
    for (size_t i = 0; i < sizeof plan / sizeof plan[0]; i++) {
        permit *p = &cp.permits[cp.n_permits++];
        p->category = plan[i].category, p->grade = plan[i].grade, p->content = plan[i].content;
        snprintf(p->ent, sizeof p->ent, "%s", plan[i].near->ent);
        p->x = plan[i].near->x, p->y = plan[i].near->y + plan[i].dx;
        p->at = i == 0 ? plan[i].at : plan[i].at * cp.span;
        p->test_every = plan[i].every / cp.k;
        p->tested = plan[i].every >= 0;
    }
}

int closedpark_setup(void) {
    cp.k = opt.cp_scale > 0 ? opt.cp_scale : 1;
    cp.span = opt.duration > 0 ? opt.duration : 7200 / cp.k;
    cp.rng = opt.seed * 0x9E3779B97F4A7C15ull + 0x2545F4914F6CDD1Dull;
    if (load_layout() != 0) return -1;
    /* connections for the enterprises the scenario speaks for */
    if (!find_client("PARK") && !add_client("PARK")) return -1;
    plist *lists[] = {&cp.zones, &cp.cams};
    for (int l = 0; l < 2; l++)
        for (int i = 0; i < lists[l]->n; i++)
            if (!find_client(lists[l]->v[i].ent) && !add_client(lists[l]->v[i].ent)) return -1;
    plan_vehicles();
    plan_people();
    plan_permits();
    if (opt.api_url) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        cp.curl = curl_easy_init();
    }
    logf_("closedpark: %d vehicles over %.0f s (scale %g) on %d road junctions, %d gates, %d "
          "tanks, %d zones, %d cameras; %d badge visits; HTTP %s",
          cp.n_veh, cp.span, cp.k, cp_net_nodes(cp.net), cp.gates.n, cp.tanks.n, cp.zones.n,
          cp.cams.n, cp.n_visits, opt.api_url ? opt.api_url : "off (no --api)");
    for (int k = 0; k < cp.n_veh; k++)
        if (cp.veh[k].special)
            logf_("closedpark: %s (%s) arrives at t=%.0f s at %s for %s", cp.veh[k].plate,
                  sp_names[cp.veh[k].special], cp.veh[k].t_arr, cp.gates.v[cp.veh[k].gate].id,
                  cp.veh[k].dest);
    return 0;
}

/* ---- the run ---- */

static void make_appointments(int64_t start_ms) {
    if (!opt.api_url) return; /* no appointments: every vehicle drives our route */
    for (int k = 0; k < cp.n_veh; k++) {
        vehicle *v = &cp.veh[k];
        if (v->special == SP_NO_APPOINTMENT || v->phase == V_GONE) continue;
        int64_t from = ts_of(start_ms, 0) + (int64_t)((v->t_arr - 1800 / cp.k) * 1000);
        /* driving is not compressed: there and back at 6 m/s or more, and
         * the waits (unloading, the vehicle park, a stop) with room to spare */
        int64_t to =
            ts_of(start_ms, 0) + (int64_t)((v->t_arr + 2 * v->out.length / 6 + 6300 / cp.k) * 1000);
        json_t *rq = json_pack("{s:s,s:s,s:I,s:I,s:s,s:s,s:s,s:i,s:s,s:s,s:s,s:s}", "plate",
                               v->plate, "enterprise", v->ent, "window_from", (json_int_t)from,
                               "window_to", (json_int_t)to, "cargo", v->cargo->name, "hazard_class",
                               v->cargo->hazard_class, "un_number", v->cargo->un, "mass_kg",
                               v->mass_kg, "gate", cp.gates.v[v->gate].id, "destination", v->dest,
                               "vehicle_type", "tanker", "driver", v->driver);
        json_t *a;
        if (http_post("/api/v1/appointments", rq, &a) == 0) {
            cp_route r;
            if (answer_route(a, &cp.gates.v[v->gate], &r) == 0) {
                cp_route_free(&v->out);
                v->out = r;
            } else {
                logf_("closedpark: %s: the appointment's answer has no route: ours", v->plate);
            }
        } else {
            logf_("closedpark: %s: no appointment made (it will come all the same)", v->plate);
        }
        json_decref(a);
        json_decref(rq);
    }
}

/* A vehicle's second: where it is, how fast, and its gate passages. */
static void drive(vehicle *v, double t, int64_t ts) {
    if (v->phase == V_WAIT) {
        if (t < v->t_arr) return;
        v->phase = V_OUT, v->s = 0;
        passage(v, "in", ts);
    }
    cp_route *r = v->phase == V_BACK ? &v->back : &v->out;
    double x, y, h, kmh = 0;
    cp_route_at(r, v->s, &x, &y, &h);
    double limit = cp_net_limit(cp.net, x, y);
    if (v->phase == V_OUT || v->phase == V_BACK) {
        kmh = fmin(v->kmh, limit - 2) + (cp_u() - 0.5);
        double frac = r->length > 0 ? v->s / r->length : 1;
        bool out = v->phase == V_OUT;
        if (out && v->special == SP_SPEEDING) {
            double dur = fmax(30 / cp.k, 15);
            if (v->sp_at < 0 && (limit >= 40 || frac > 0.6 || v->s > 800) && v->s > 50) {
                v->sp_at = t;
                logf_("closedpark: t=%.0f s: %s speeding at 70 km/h for %.0f s on a %.0f km/h "
                      "road",
                      t, v->plate, dur, limit);
            }
            if (v->sp_at >= 0 && t < v->sp_at + dur) kmh = 70 + (cp_u() - 0.5);
        }
        if (out && v->special == SP_STOPPED) {
            double dur = 1.5 * 600 / cp.k;
            if (v->sp_at < 0 && (frac >= 0.5 || v->s >= 400)) {
                v->sp_at = t;
                logf_("closedpark: t=%.0f s: %s stops outside the vehicle park for %.0f s", t,
                      v->plate, dur);
            }
            if (v->sp_at >= 0 && t < v->sp_at + dur) kmh = 0;
        }
        if (out && v->special == SP_OFF_ROUTE) {
            double dur = fmax(60 / cp.k, 40), ramp = dur / 5;
            if (v->sp_at < 0 && (frac >= 0.35 || v->s >= 500)) {
                v->sp_at = t;
                logf_("closedpark: t=%.0f s: %s leaves its route by 150 m for %.0f s", t, v->plate,
                      dur);
            }
            double e = t - v->sp_at;
            if (v->sp_at >= 0 && e < dur) { /* sideways, left of the way it goes */
                double off = 150 * fmin(1, fmin(e / ramp, (dur - e) / ramp));
                x -= off * cos(h * PI / 180), y += off * sin(h * PI / 180);
                if (e + 1 >= dur) logf_("closedpark: t=%.0f s: %s back on its route", t, v->plate);
            }
        }
        v->s += fmax(kmh, 0) / 3.6;
        if (v->s >= r->length) {
            if (v->phase == V_OUT) {
                v->phase = V_DWELL, v->t_phase = t;
            } else {
                v->phase = V_GONE;
                passage(v, "out", ts);
            }
        }
    } else if (v->phase == V_DWELL && t >= v->t_phase + v->dwell) {
        /* the way it came, but out of the vehicle park by its one-way loop */
        const place *g = &cp.gates.v[v->gate];
        if (!v->to_vp || cp_net_plan(cp.net, x, y, g->x, g->y, true, &v->back) != 0)
            cp_route_reverse(&v->out, &v->back);
        v->phase = V_BACK, v->s = 0;
    }
    v->x = x, v->y = y, v->heading = h, v->speed = fmax(kmh, 0);
}

/* v as "%.{dec}f" writes it and the receiver parses it back. */
static double strtod_rounded(double v, int dec) {
    char tmp[40];
    snprintf(tmp, sizeof tmp, "%.*f", dec, v);
    return strtod(tmp, NULL);
}

static void positions(double t, int64_t ts) {
    char *msg = NULL, *led = NULL;
    size_t n = 0, ln = 0;
    FILE *m = open_memstream(&msg, &n), *l = open_memstream(&led, &ln);
    if (!m || !l) exit(1);
    int count = 0;
    fprintf(m, "{\"ts\": %lld, \"values\": {", (long long)ts);
    for (int k = 0; k < cp.n_veh; k++) {
        vehicle *v = &cp.veh[k];
        if (v->phase == V_GONE) continue;
        drive(v, t, ts);
        if (v->phase == V_WAIT) continue; /* (one that just left: its last position, at the gate) */
        double lon, lat;
        to_lonlat(v->x, v->y, &lon, &lat);
        double sp = round(v->speed * 10) / 10, hd = round(v->heading);
        if (hd >= 360) hd = 0;
        fprintf(m, "%s\"%s.lat\": %.7f, \"%s.lon\": %.7f, \"%s.speed\": %.1f, \"%s.heading\": %.0f",
                count ? ", " : "", v->plate, lat, v->plate, lon, v->plate, sp, v->plate, hd);
        /* the ledger has what the receiver stores: the values as sent */
        fprintf(l,
                "PARK/vehicles/%s.lat %lld %.17g\nPARK/vehicles/%s.lon %lld %.17g\n"
                "PARK/vehicles/%s.speed %lld %.17g\nPARK/vehicles/%s.heading %lld %.17g\n",
                v->plate, (long long)ts, strtod_rounded(lat, 7), v->plate, (long long)ts,
                strtod_rounded(lon, 7), v->plate, (long long)ts, sp, v->plate, (long long)ts, hd);
        count += 4;
    }
    fprintf(m, "}}");
    fclose(m), fclose(l);
    if (count) {
        parksim_publish(find_client("PARK"), "park/PARK/vehicles/data", msg, n, count, led);
        cp.n_positions++;
    }
    free(msg), free(led);
}

/* ---- people ---- */

static void badge(int zone, int person, const char *dir, int64_t ts) {
    place *z = &cp.zones.v[zone];
    char pid[16], name[16];
    snprintf(pid, sizeof pid, "P%04d", person + 1);
    person_name(person, name, sizeof name);
    json_t *ev =
        json_pack("{s:s,s:I,s:s,s:s,s:s,s:s,s:s}", "type", "badge", "ts", (json_int_t)ts, "zone",
                  z->id, "person", pid, "name", name, "direction", dir, "enterprise", z->ent);
    pub_event(z->ent, "access", ev);
    z->inside += !strcmp(dir, "in") ? 1 : -1;
    cp.n_badges++;
}

static bool person_busy[N_PEOPLE];

static void people(double t, int64_t ts) {
    /* a visit goes in when its zone has room (confined spaces are left to
     * the over-limit case), else to the next zone that has */
    for (; cp.next_visit < cp.n_visits && cp.visits[cp.next_visit].at <= t; cp.next_visit++) {
        visit *w = &cp.visits[cp.next_visit];
        for (int k = 0; k < cp.zones.n && !w->in; k++) {
            int z = (w->zone + k) % cp.zones.n;
            place *zp = &cp.zones.v[z];
            if (!strcmp(zp->extra, "confined_space") ||
                (zp->max_people && zp->inside >= zp->max_people))
                continue;
            int p = (int)(cp_rnd() % N_PEOPLE), tries = 0;
            while (person_busy[p] && ++tries < N_PEOPLE) p = (p + 1) % N_PEOPLE;
            if (person_busy[p]) break; /* everyone is in somewhere: the visit is dropped */
            person_busy[p] = true;
            w->zone = z, w->person = p, w->in = true;
            badge(z, p, "in", ts);
        }
    }
    for (int j = 0; j < cp.next_visit; j++) {
        visit *w = &cp.visits[j];
        if (w->in && !w->out && t >= w->until) {
            w->out = true;
            person_busy[w->person] = false;
            badge(w->zone, w->person, "out", ts);
        }
    }
    /* the confined space taken over its limit: 3 people for a max of 2 */
    double at = 0.25 * cp.span, until = at + 600 / cp.k;
    if (cp.confined >= 0 && !cp.over_in && t >= at) {
        cp.over_in = true;
        logf_("closedpark: t=%.0f s: 3 people enter %s (max %d) for %.0f s", t,
              cp.zones.v[cp.confined].id, cp.zones.v[cp.confined].max_people, until - at);
        for (int p = 0; p < 3; p++) badge(cp.confined, N_PEOPLE + p, "in", ts);
    }
    if (cp.confined >= 0 && cp.over_in && !cp.over_out && t >= until) {
        cp.over_out = true;
        logf_("closedpark: t=%.0f s: they leave %s", t, cp.zones.v[cp.confined].id);
        for (int p = 0; p < 3; p++) badge(cp.confined, N_PEOPLE + p, "out", ts);
    }
}

/* ---- special work ---- */

static void gas_test(permit *p, int64_t ts) {
    char path[128];
    snprintf(path, sizeof path, "/api/v1/permits/%s/gas-tests", p->id);
    bool cs = !strcmp(p->category, "confined_space");
    /* specialwork.h's gas test: combustible gas in % vol of a named gas (its LEL),
     * O2 in % vol, toxic gases against their exposure limit */
    json_t *rq = json_pack("{s:I,s:s,s:s,s:f,s:s,s:f,s:[{s:s,s:f,s:f}]}", "ts_ms", (json_int_t)ts,
                           "analyst", "孙丽", "point", cs ? "vessel manhole" : "work point",
                           "combustible_pct_vol", 0.1, "gas", "methane", "o2_pct_vol", 20.9,
                           "toxic", "gas", "H2S", "ppm", 0.0, "limit_ppm", 10.0);
    http_post(path, rq, NULL);
    json_decref(rq);
}

static void special_work(double t, int64_t start_ms, int64_t ts) {
    for (int i = 0; i < cp.n_permits; i++) {
        permit *p = &cp.permits[i];
        if (!p->filed && t >= p->at) {
            p->filed = true;
            double lon, lat;
            to_lonlat(p->x, p->y, &lon, &lat);
            json_t *rq =
                json_pack("{s:s,s:s,s:{s:s,s:[f,f]},s:I,s:I,s:s,s:s,s:s,s:s}", "category",
                          p->category, "enterprise", p->ent, "location", "type", "Point",
                          "coordinates", lon, lat, "window_from_ms", (json_int_t)ts, "window_to_ms",
                          (json_int_t)(ts + (int64_t)(8 * 3600 * 1000 / cp.k)), "leader", "钱明",
                          "guardian", "郑刚", "content", p->content, "applicant", p->ent);
            if (p->grade[0]) json_object_set_new(rq, "grade", json_string(p->grade));
            json_t *a;
            logf_("closedpark: t=%.0f s: %s permit of %s%s", t, p->category, p->ent,
                  i == 0 ? " (hot work within 30 m of the gas detectors by the tank)"
                  : !strcmp(p->category, "confined_space")
                      ? " (one gas test: stale after 30 min / scale)"
                      : "");
            if (http_post("/api/v1/permits", rq, &a) == 0) answer_id(a, p->id, sizeof p->id);
            json_decref(a);
            json_decref(rq);
            if (p->id[0]) {
                char path[128];
                json_t *none = json_object();
                if (p->tested) gas_test(p, ts); /* before the work starts */
                snprintf(path, sizeof path, "/api/v1/permits/%s/start", p->id);
                http_post(path, none, NULL);
                json_decref(none);
                p->next_test = p->tested && p->test_every > 0 ? t + p->test_every : INFINITY;
            } else {
                p->next_test = INFINITY;
            }
        } else if (p->filed && p->id[0] && t >= p->next_test) {
            gas_test(p, ts);
            p->next_test += p->test_every;
        }
    }
    (void)start_ms;
}

/* ---- cameras ---- */

static char *base64(const unsigned char *p, size_t n) {
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = xrealloc(NULL, 4 * ((n + 2) / 3) + 1), *o = out;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) |
                     (i + 2 < n ? p[i + 2] : 0);
        *o++ = a[v >> 18 & 63], *o++ = a[v >> 12 & 63];
        *o++ = i + 1 < n ? a[v >> 6 & 63] : '=';
        *o++ = i + 2 < n ? a[v & 63] : '=';
    }
    *o = 0;
    return out;
}

static const place *camera_of(const char *id) {
    for (int i = 0; i < cp.cams.n; i++)
        if (!strcmp(cp.cams.v[i].id, id)) return &cp.cams.v[i];
    return NULL;
}

/* The camera nearest to a tank (within 100 m), preferring the id given. */
static const place *camera_by_tank(const char *prefer) {
    const place *c = camera_of(prefer);
    if (c) return c;
    for (int i = 0; i < cp.cams.n; i++)
        for (int t = 0; t < cp.tanks.n; t++)
            if (hypot(cp.cams.v[i].x - cp.tanks.v[t].x, cp.cams.v[i].y - cp.tanks.v[t].y) < 100)
                return &cp.cams.v[i];
    return cp.cams.n ? &cp.cams.v[0] : NULL;
}

static void cameras(double t, int64_t ts) {
    if (!cp.helmet_done && t >= 0.20 * cp.span) {
        cp.helmet_done = true;
        const place *c = camera_of("E001-CAM-2");
        if (!c) c = camera_by_tank("");
        if (c) {
            char *snap = base64(snapshot_jpeg, sizeof snapshot_jpeg);
            json_t *ev = json_pack("{s:s,s:I,s:s,s:s,s:f,s:s}", "type", "camera", "ts",
                                   (json_int_t)ts, "camera", c->id, "event", "no_helmet",
                                   "confidence", 0.93, "snapshot", snap);
            logf_("closedpark: t=%.0f s: %s sees a worker without a helmet", t, c->id);
            pub_event(c->ent, "cameras", ev);
            free(snap);
        }
    }
    if (!cp.smoke_done && t >= 0.30 * cp.span) {
        cp.smoke_done = true;
        const place *c = camera_by_tank("E003-CAM-1");
        if (c) {
            json_t *ev = json_pack("{s:s,s:I,s:s,s:s,s:f}", "type", "camera", "ts", (json_int_t)ts,
                                   "camera", c->id, "event", "smoke", "confidence", 0.88);
            logf_("closedpark: t=%.0f s: %s sees smoke by the tanks", t, c->id);
            pub_event(c->ent, "cameras", ev);
        }
    }
}

/* ---- the clock ---- */

void closedpark_tick(double t, int64_t start_ms) {
    for (; (double)cp.next_s <= t; cp.next_s++) {
        double s = (double)cp.next_s;
        int64_t ts = ts_of(start_ms, cp.next_s);
        if (!cp.appointments_made) {
            cp.appointments_made = true;
            make_appointments(start_ms);
        }
        positions(s, ts);
        people(s, ts);
        special_work(s, start_ms, ts);
        cameras(s, ts);
    }
}

void closedpark_end(void) {
    logf_("closedpark: %lld position messages, %lld gate passages, %lld badge events; HTTP %lld "
          "ok, %lld failed",
          cp.n_positions, cp.n_passages, cp.n_badges, cp.n_http_ok, cp.n_http_failed);
    for (int k = 0; k < cp.n_veh; k++)
        cp_route_free(&cp.veh[k].out), cp_route_free(&cp.veh[k].back);
    free(cp.veh), free(cp.visits);
    free(cp.gates.v), free(cp.tanks.v), free(cp.zones.v), free(cp.cams.v), free(cp.vps.v);
    cp_net_free(cp.net);
    if (cp.curl) {
        curl_easy_cleanup(cp.curl);
        curl_global_cleanup();
    }
}
