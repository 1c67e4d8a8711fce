/*
 * layout_gen.c - the demo park's layout, generated deterministically as
 * GeoJSON: enterprises on a grid of 1 km plots around the Shanghai
 * Chemical Industry Park (Caojing, 121.42E 30.78N), each with its
 * hazard source and tank farm (tanks in two rows), two pipelines
 * crossing the plot, gas detectors around every tank and along the
 * pipelines, offices and control rooms with occupants; the park's
 * air-quality and weather stations, gates, shelters outside the plots and
 * fire stations. At scale 1: 30 enterprises, 15 hazard sources, 150 tanks,
 * about 40 km of pipeline, 1,500 detectors, 10 air-quality and 2 weather
 * stations, 400 buildings, 6 gates, 4 shelters, 3 fire stations; scale N
 * multiplies every count. Enterprises and roads have English and Chinese
 * names ("name", "name_zh"). For closed-park management (docs/closed-park.md)
 * the roads carry their rules (class, speed_kmh, hazmat, one oneway loop) and
 * form one network: the grid's 13 roads, a plant road into every plot (30)
 * and a lane through every tank farm (15), an access road to every gate (6,
 * the gate at its outer end) and the loop through the hazardous-goods
 * vehicle park by gate 1 (PARK-VP1, 60 places): 65 roads; 66 cameras (two a plot, one a gate) and
 * 23 zones (a hazard area over each hazard source, a confined space in every fifth plot, the
 * restricted administrative centre and school, one work area). Those counts
 * grow with N as well (one vehicle park and one restricted zone at any N). For the
 * response (issue 22): a brigade and its foam tenders at every fire station, the park's
 * stocks (foam, absorbent, breathing apparatus) and two first-aid points (11 resources at
 * scale 1), and six sensitive targets around the park at any N (a school, a kindergarten, a
 * hospital, homes, a nursing home, a water intake). Every tank has a level
 * and a temperature transmitter, the pressurised ones (liquefied gases) a pressure one and their
 * design pressure, but for one tank left without its temperature (INCOMPLETE_TANK); pipelines a
 * pressure transmitter and an inlet and an outlet flow meter (FT01, FT02). Series names follow
 * parksim's: {enterprise}/tankfarm-1/T101.level, {enterprise}/gd-07/lel, ... as the receiver stores
 * them for the payload format each enterprise speaks under parksim --format F (park_format.h): with
 * F lineproto or mixed the line-protocol enterprises' tags without a dot are "{tag}.value"
 * ({enterprise}/gd-07/lel.value); tanks' and pipelines' tags have a dot and
 * keep their name under every format.
 */
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "park_format.h"

char *park_layout_geojson(int scale, uint64_t seed);
char *park_layout_geojson_fmt(int scale, uint64_t seed, int fmt);

#define LON0 121.42
#define LAT0 30.78

typedef struct gen {
    char *p;
    size_t n, cap;
    bool first;
    uint64_t rng;
} gen;

static void add(gen *g, const char *fmt, ...) {
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(g->p + g->n, g->cap - g->n, fmt, ap);
        va_end(ap);
        if (n >= 0 && g->n + (size_t)n < g->cap) {
            g->n += (size_t)n;
            return;
        }
        g->cap = g->cap * 2 + (size_t)n + 1;
        char *p = realloc(g->p, g->cap);
        if (!p) exit(1);
        g->p = p;
    }
}

static double rnd(gen *g) {
    g->rng ^= g->rng << 13, g->rng ^= g->rng >> 7, g->rng ^= g->rng << 17;
    return (double)(g->rng >> 11) / 9007199254740992.0;
}

/* Local metres to lon/lat: good to a few decimetres over the park. */
static double lon_of(double x) {
    return LON0 + x / (111320.0 * cos(LAT0 * M_PI / 180));
}
static double lat_of(double y) {
    return LAT0 + y / 110850.0;
}

static void begin(gen *g, const char *geom_fmt, ...) {
    add(g, "%s{\"type\":\"Feature\",\"geometry\":", g->first ? "" : ",\n");
    g->first = false;
    char buf[1024];
    va_list ap;
    va_start(ap, geom_fmt);
    vsnprintf(buf, sizeof buf, geom_fmt, ap);
    va_end(ap);
    add(g, "%s,\"properties\":{", buf);
}

static void point(gen *g, double x, double y) {
    begin(g, "{\"type\":\"Point\",\"coordinates\":[%.7f,%.7f]}", lon_of(x), lat_of(y));
}

static void rect(gen *g, double x0, double y0, double x1, double y1) {
    begin(g,
          "{\"type\":\"Polygon\",\"coordinates\":[[[%.7f,%.7f],[%.7f,%.7f],[%.7f,%.7f],[%.7f,%.7f],"
          "[%.7f,%.7f]]]}",
          lon_of(x0), lat_of(y0), lon_of(x1), lat_of(y0), lon_of(x1), lat_of(y1), lon_of(x0),
          lat_of(y1), lon_of(x0), lat_of(y0));
}

static void line(gen *g, double x0, double y0, double x1, double y1) {
    begin(g, "{\"type\":\"LineString\",\"coordinates\":[[%.7f,%.7f],[%.7f,%.7f]]}", lon_of(x0),
          lat_of(y0), lon_of(x1), lat_of(y1));
}

static void end(gen *g) {
    add(g, "}}");
}

/* Pipelines' substances, by enterprise. */
static const char *const substances[] = {"propane", "ethylene", "benzene",         "methanol",
                                         "ammonia", "chlorine", "hydrogen sulfide"};

/* What a hazard source's tanks hold. Liquefied gases are stored under
 * pressure: design_mpa is the vessel's design pressure (GB 150 practice,
 * about the vapour pressure at 50 degC plus margin), 0 for atmospheric
 * tanks. Toxic ones have GB/T 50493-2019 alarm levels (mg/m3 20/40 for
 * ammonia, 1/2 for chlorine) in ppm, ppm = mg/m3 * 24.45 / M. */
typedef struct stored {
    const char *name;
    int density; /* kg/m3, liquid */
    double design_mpa;
    double alarm1_ppm, alarm2_ppm; /* toxic: 0 when combustible */
} stored;

enum { S_PROPYLENE, S_CHLORINE, S_PROPANE, S_BENZENE, S_METHANOL, S_AMMONIA, S_BUTANE, S_TOLUENE };
static const stored stores[] = {
    [S_PROPYLENE] = {"propylene", 514, 2.16, 0, 0},
    [S_CHLORINE] = {"chlorine", 1410, 1.6, 0.34, 0.69},
    [S_PROPANE] = {"propane", 500, 1.77, 0, 0},
    [S_BENZENE] = {"benzene", 876, 0, 0, 0},
    [S_METHANOL] = {"methanol", 792, 0, 0, 0},
    [S_AMMONIA] = {"ammonia", 610, 2.16, 28.71, 57.42},
    [S_BUTANE] = {"butane", 573, 0.79, 0, 0},
    [S_TOLUENE] = {"toluene", 867, 0, 0, 0},
};

/* The park's enterprises (the first five as scripts/parkd-demo.json has
 * always named them); E001, E003, ... hold a major hazard source of `store`
 * (ignored for the others). Beyond 30 (scale > 1) "Enterprise N". */
static const struct {
    const char *name, *name_zh;
    int store;
} enterprises[30] = {
    {"Donghai Petrochemical", "东海石化", S_PROPYLENE},
    {"Haibin Fine Chemicals", "海滨精细化工", 0},
    {"Jinshan Chlor-Alkali", "金山氯碱", S_CHLORINE},
    {"Binhai Tank Storage", "滨海储运", 0},
    {"Xinyuan Gas Supply", "鑫源燃气", S_PROPANE},
    {"Huayang Coatings", "华阳涂料", 0},
    {"Hengtai Aromatics", "恒泰芳烃", S_BENZENE},
    {"Yangfan Industrial Gases", "扬帆工业气体", 0},
    {"Ruifeng Methanol", "瑞丰甲醇", S_METHANOL},
    {"Haichen New Materials", "海辰新材料", 0},
    {"Huaxin Fertilizer", "华鑫化肥", S_AMMONIA},
    {"Tianyi Pharmaceutical Intermediates", "天一医药中间体", 0},
    {"Lingang Olefins", "临港烯烃", S_PROPYLENE},
    {"Baosheng Plastics", "宝盛塑胶", 0},
    {"Haiyun LPG Terminal", "海韵液化气码头", S_BUTANE},
    {"Hongqiao Silicones", "虹桥有机硅", 0},
    {"Jiahe Solvents", "嘉禾溶剂", S_TOLUENE},
    {"Huamei Surfactants", "华美表面活性剂", 0},
    {"Hailong Chemical", "海龙化工", S_CHLORINE},
    {"Anda Hazmat Logistics", "安达危化品物流", 0},
    {"Guanghua Petrochemical", "光华石化", S_BENZENE},
    {"Jiangnan Dyestuffs", "江南染料", 0},
    {"Haixing Methanol", "海星甲醇", S_METHANOL},
    {"Ruitai Adhesives", "瑞泰胶粘剂", 0},
    {"Pujiang Gas", "浦江燃气", S_PROPANE},
    {"Xingda Catalysts", "兴达催化剂", 0},
    {"Chenguang Ammonia", "晨光氨业", S_AMMONIA},
    {"Haitong Water Treatment Chemicals", "海通水处理剂", 0},
    {"Jinqiao Aromatics", "金桥芳烃", S_TOLUENE},
    {"Qixin Fluorochemicals", "启新氟化工", 0},
};

/* Roads: east-west "wei" (纬) roads by row, north-south "jing" (经) roads
 * by column, with the park's avenue and its chemical road first. */
static const char *const road_x[][2] = {
    {"Binhai Avenue", "滨海大道"}, {"Weier Road", "纬二路"}, {"Weisan Road", "纬三路"},
    {"Weisi Road", "纬四路"},      {"Weiwu Road", "纬五路"}, {"Weiliu Road", "纬六路"},
};
static const char *const road_y[][2] = {
    {"Huagong Road", "化工路"}, {"Jingyi Road", "经一路"}, {"Jinger Road", "经二路"},
    {"Jingsan Road", "经三路"}, {"Jingsi Road", "经四路"}, {"Jingwu Road", "经五路"},
    {"Gangqu Road", "港区路"},
};
#define N_ROAD_X (sizeof road_x / sizeof road_x[0])
#define N_ROAD_Y (sizeof road_y / sizeof road_y[0])

/* The one hazard source left incomplete on purpose: Pujiang Gas's propane
 * tank E025-T106 has no temperature transmitter, so the demo's "missing
 * critical parameter" list is not empty. */
#define INCOMPLETE_TANK "E025-T106"

/* A tag without a dot as the receiver stores it under format f ("lel" or
 * "lel.value"), in static buffer slot (0..3): one slot a use in one add(). */
static const char *stored_tag(const char *tag, fmt_t f, int slot) {
    static char buf[4][40];
    park_stored_tag(buf[slot], sizeof buf[slot], tag, f);
    return buf[slot];
}

/* ---- closed-park management: road rules, gates on the roads, plant
 * roads, cameras, zones and the hazardous-goods vehicle park ---- */

/* A road's rules (geo.h): main roads 40 km/h, the others 30. */
static void road_props(gen *g, bool main_road, const char *hazmat, bool oneway) {
    add(g, ",\"class\":\"%s\",\"speed_kmh\":%d,\"hazmat\":\"%s\"%s", main_road ? "main" : "branch",
        main_road ? 40 : 30, hazmat, oneway ? ",\"oneway\":true" : "");
}

/* Gate i: half on the south side (past the avenue), half on the north
 * (past the northern road), each at the outer end of a 150 m access road
 * that continues one of the north-south roads, spread over the columns
 * (scale 1: the west, middle and east roads). */
static int gate_column(int i, int scale, int cols) {
    int k = i % 3 + 3 * (i / 6), n = 3 * scale;
    return n > 1 ? (int)lround((double)k * cols / (n - 1)) : 0;
}

static void gate_at(int i, int scale, int cols, double h, double *x, double *y) {
    *x = gate_column(i, scale, cols) * 1000.0 - 100;
    *y = i % 2 ? h + 150 : -250;
}

/* A polyline of n points (x, y pairs). */
static void polyline(gen *g, const double *xy, int n) {
    char buf[512];
    size_t k = 0;
    for (int i = 0; i < n && k < sizeof buf; i++)
        k += (size_t)snprintf(buf + k, sizeof buf - k, "%s[%.7f,%.7f]", i ? "," : "",
                              lon_of(xy[2 * i]), lat_of(xy[2 * i + 1]));
    begin(g, "{\"type\":\"LineString\",\"coordinates\":[%s]}", buf);
}

static void camera(gen *g, double x, double y, const char *id, const char *ent, int direction) {
    point(g, x, y);
    add(g, "\"id\":\"%s\",\"kind\":\"camera\",", id);
    if (ent) add(g, "\"enterprise\":\"%s\",", ent);
    add(g, "\"direction_deg\":%d,\"fov_deg\":90,\"range_m\":80", direction);
    end(g);
}

static void zone(gen *g, double x0, double y0, double x1, double y1, const char *id,
                 const char *ent, const char *type, int max_people, const char *name,
                 const char *name_zh) {
    rect(g, x0, y0, x1, y1);
    add(g, "\"id\":\"%s\",\"kind\":\"zone\",\"zone_type\":\"%s\",\"max_people\":%d", id, type,
        max_people);
    if (ent) add(g, ",\"enterprise\":\"%s\"", ent);
    add(g, ",\"name\":\"%s\",\"name_zh\":\"%s\"", name, name_zh);
    end(g);
}

/* Plots are 800 m squares 1 km apart, the roads 100 m outside them. */
static void closed_park(gen *g, int scale, int n_ent, int cols, double w, double h) {
    (void)w;
    /* Gate access roads (one per gate place: at large scales gates share). */
    bool *done = calloc(2 * ((size_t)cols + 1), sizeof *done);
    if (!done) exit(1);
    for (int i = 0; i < 6 * scale; i++) {
        int c = gate_column(i, scale, cols);
        if (done[2 * c + i % 2]) continue;
        done[2 * c + i % 2] = true;
        double x = c * 1000.0 - 100, y0 = i % 2 ? h : -100, y1 = i % 2 ? h + 150 : -250;
        line(g, x, y0, x, y1);
        add(g,
            "\"id\":\"PARK-RG%d\",\"kind\":\"road\",\"name\":\"Gate %d Road\","
            "\"name_zh\":\"%d号门路\"",
            i + 1, i + 1, i + 1);
        road_props(g, false, "allowed", false);
        end(g);
    }
    free(done);
    /* The hazardous-goods vehicle park by gate 1, south of the avenue,
     * with a one-way loop through it (in on the west side, out on the east). */
    rect(g, 20, -340, 280, -140);
    add(g,
        "\"id\":\"PARK-VP1\",\"kind\":\"vehicle_park\",\"capacity\":%d,"
        "\"name\":\"Hazardous-goods vehicle park\",\"name_zh\":\"危化品车辆停车场\"",
        60 * scale);
    end(g);
    const double loop[] = {100, -100, 100, -300, 200, -300, 200, -100};
    polyline(g, loop, 4);
    add(g, "\"id\":\"PARK-RS1\",\"kind\":\"road\",\"name\":\"Vehicle Park Loop\","
           "\"name_zh\":\"停车场环路\",\"class\":\"service\",\"speed_kmh\":20,"
           "\"hazmat\":\"allowed\",\"oneway\":true");
    end(g);
    /* The administrative centre and the school, north of the northern road
     * (closed to hazardous goods): no hazardous-goods vehicle inside. */
    zone(g, 1000, h - 50, 2800, h + 400, "PARK-ZONE-1", NULL, "restricted", 0,
         "Administrative centre and school", "管委会及学校");
    for (int i = 0; i < 6 * scale; i++) {
        double gx, gy;
        char id[32];
        gate_at(i, scale, cols, h, &gx, &gy);
        snprintf(id, sizeof id, "PARK-CAM-G%d", i + 1);
        camera(g, gx + 12, gy, id, NULL, 270); /* east of the access road, facing it */
    }
    for (int e = 0; e < n_ent; e++) {
        char id[16], zid[32], rid[32];
        snprintf(id, sizeof id, "E%03d", e + 1);
        double ox = (e % cols) * 1000.0, oy = (e / cols) * 1000.0;
        /* The plant road: from the plot's southern road to the middle of
         * the plot, past the tank farm (the plot's point is 30 m away). */
        line(g, ox + 430, oy - 100, ox + 430, oy + 450);
        snprintf(rid, sizeof rid, "%s-RD1", id);
        if (e < 30)
            add(g,
                "\"id\":\"%s\",\"kind\":\"road\",\"name\":\"%s Plant Road\","
                "\"name_zh\":\"%s厂区路\"",
                rid, enterprises[e].name, enterprises[e].name_zh);
        else
            add(g,
                "\"id\":\"%s\",\"kind\":\"road\",\"name\":\"Enterprise %d Plant Road\","
                "\"name_zh\":\"企业%d厂区路\"",
                rid, e + 1, e + 1);
        road_props(g, false, "allowed", false);
        end(g);
        bool hazardous = e % 2 == 0;
        if (hazardous) { /* the tank farm's lane, between its two rows of tanks */
            line(g, ox + 430, oy + 250, ox + 120, oy + 250);
            snprintf(rid, sizeof rid, "%s-RD2", id);
            if (e < 30)
                add(g,
                    "\"id\":\"%s\",\"kind\":\"road\",\"name\":\"%s Tank Farm Lane\","
                    "\"name_zh\":\"%s罐区通道\"",
                    rid, enterprises[e].name, enterprises[e].name_zh);
            else
                add(g,
                    "\"id\":\"%s\",\"kind\":\"road\",\"name\":\"Enterprise %d Tank Farm Lane\","
                    "\"name_zh\":\"企业%d罐区通道\"",
                    rid, e + 1, e + 1);
            road_props(g, false, "allowed", false);
            end(g);
        }
        /* Two cameras: on the tank farm's corners facing the tanks, or
         * over the workshops and the pipeline. */
        snprintf(zid, sizeof zid, "%s-CAM-1", id);
        if (hazardous)
            camera(g, ox + 110, oy + 110, zid, id, 45);
        else
            camera(g, ox + 410, oy + 630, zid, id, 45);
        snprintf(zid, sizeof zid, "%s-CAM-2", id);
        if (hazardous)
            camera(g, ox + 390, oy + 390, zid, id, 225);
        else
            camera(g, ox + 60, oy + 620, zid, id, 90);
        int z = 1;
        if (hazardous) { /* over the hazard source */
            snprintf(zid, sizeof zid, "%s-ZONE-%d", id, z++);
            zone(g, ox + 100, oy + 100, ox + 400, oy + 400, zid, id, "hazard_area", 10, "Tank farm",
                 "罐区");
        }
        if (e % 5 == 0) { /* a vessel entered for inspection */
            snprintf(zid, sizeof zid, "%s-ZONE-%d", id, z++);
            zone(g, ox + 470, oy + 300, ox + 480, oy + 310, zid, id, "confined_space", 2,
                 "Vessel V-101", "V-101容器");
        }
        if (e < scale) { /* the pipe repair across the first pipeline */
            snprintf(zid, sizeof zid, "%s-ZONE-%d", id, z++);
            zone(g, ox + 300, oy + 570, ox + 500, oy + 635, zid, id, "work_area", 20, "Pipe repair",
                 "管道检修作业区");
        }
    }
}

char *park_layout_geojson(int scale, uint64_t seed) {
    return park_layout_geojson_fmt(scale, seed, FMT_JSON);
}

/* fmt: parksim's --format (a fmt_t or FMT_MIXED) the layout is made for. */
char *park_layout_geojson_fmt(int scale, uint64_t seed, int fmt) {
    gen g = {.cap = 1 << 20, .first = true, .rng = seed * 2654435761u + 1};
    g.p = malloc(g.cap);
    if (!g.p || scale < 1) return NULL;
    add(&g, "{\"type\":\"FeatureCollection\",\"features\":[\n");
    int n_ent = 30 * scale, cols = 6 * (int)ceil(sqrt((double)scale));
    int rows = (n_ent + cols - 1) / cols;
    int detectors_left = 1500 * scale, buildings_left = 400 * scale;
    for (int e = 0; e < n_ent; e++) {
        char id[16];
        snprintf(id, sizeof id, "E%03d", e + 1);
        double ox = (e % cols) * 1000.0, oy = (e / cols) * 1000.0;
        rect(&g, ox, oy, ox + 800, oy + 800);
        if (e < 30)
            add(&g, "\"id\":\"%s\",\"kind\":\"enterprise\",\"name\":\"%s\",\"name_zh\":\"%s\"", id,
                enterprises[e].name, enterprises[e].name_zh);
        else
            add(&g,
                "\"id\":\"%s\",\"kind\":\"enterprise\",\"name\":\"Enterprise %d\","
                "\"name_zh\":\"企业%d\"",
                id, e + 1, e + 1);
        end(&g);
        fmt_t ef = park_format_of(fmt, e, false); /* E001 is parksim's connection 0 */
        int dets = detectors_left / (n_ent - e);
        int used = 0;
        bool hazardous = e % 2 == 0; /* 15 of 30 hold a major hazard source */
        if (hazardous) {
            const stored *st = &stores[enterprises[e % 30].store];
            const char *sub = st->name;
            bool toxic = st->alarm1_ppm > 0;
            rect(&g, ox + 100, oy + 100, ox + 400, oy + 400);
            add(&g,
                "\"id\":\"%s-HS1\",\"kind\":\"hazard_source\",\"enterprise\":\"%s\","
                "\"substances\":[\"%s\"],\"grade\":%d",
                id, id, sub, 1 + e % 4);
            end(&g);
            for (int t = 0; t < 10; t++) {
                double tx = ox + 140 + (t % 5) * 55, ty = oy + 180 + (t / 5) * 140;
                char tid[32], dp[48] = "", pt[64] = "";
                snprintf(tid, sizeof tid, "%s-T%d", id, 101 + t);
                /* Level and temperature on every tank, pressure on the
                 * pressurised ones (against their design pressure). */
                if (st->design_mpa > 0) {
                    snprintf(dp, sizeof dp, "\"design_pressure_mpa\":%g,", st->design_mpa);
                    snprintf(pt, sizeof pt, ",\"%s/tankfarm-1/T%d.pressure\"", id, 101 + t);
                }
                point(&g, tx, ty);
                add(&g,
                    "\"id\":\"%s\",\"kind\":\"tank\",\"enterprise\":\"%s\",\"capacity_m3\":%d,"
                    "\"height_m\":20,%s"
                    "\"substance\":\"%s\",\"density\":%d,\"series\":[\"%s/tankfarm-1/T%d.level\"",
                    tid, id, 1000 * (2 + (int)(rnd(&g) * 8)), dp, sub, st->density, id, 101 + t);
                if (strcmp(tid, INCOMPLETE_TANK))
                    add(&g, ",\"%s/tankfarm-1/T%d.temp\"", id, 101 + t);
                add(&g, "%s]", pt);
                end(&g);
                /* Two detectors a tank, 15 m either side (GB/T 50493 spacing). */
                for (int s = 0; s < 2 && used < dets; s++, used++) {
                    char al[64] = "";
                    if (toxic)
                        snprintf(al, sizeof al, "\"alarm1\":%g,\"alarm2\":%g,", st->alarm1_ppm,
                                 st->alarm2_ppm);
                    point(&g, tx + (s ? 15 : -15), ty + 5);
                    add(&g,
                        "\"id\":\"%s-GD%d\",\"kind\":\"gas_detector\",\"enterprise\":\"%s\","
                        "\"gas\":\"%s\",\"type\":\"%s\",%s\"series\":[\"%s/gd-%02d/%s\"]",
                        id, used + 1, id, sub, toxic ? "toxic" : "combustible", al, id, used + 1,
                        stored_tag(toxic ? "ppm" : "lel", ef, 0));
                    end(&g);
                }
            }
        }
        /* Two pipelines across the plot, about 1.33 km together. */
        line(&g, ox + 50, oy + 600, ox + 750, oy + 600);
        add(&g,
            "\"id\":\"%s-P1\",\"kind\":\"pipeline\",\"enterprise\":\"%s\",\"substance\":\"%s\","
            "\"design_pressure_mpa\":2.5,\"series\":[\"%s/pipeline-1/PT01.pressure\","
            "\"%s/pipeline-1/FT01.flow\",\"%s/pipeline-1/FT02.flow\"]",
            id, id, substances[e % 7], id, id, id);
        end(&g);
        line(&g, ox + 600, oy + 30, ox + 600, oy + 663);
        add(&g,
            "\"id\":\"%s-P2\",\"kind\":\"pipeline\",\"enterprise\":\"%s\",\"substance\":\"%s\","
            "\"design_pressure_mpa\":1.6,\"series\":[\"%s/pipeline-2/PT01.pressure\","
            "\"%s/pipeline-2/FT01.flow\",\"%s/pipeline-2/FT02.flow\"]",
            id, id, substances[(e + 3) % 7], id, id, id);
        end(&g);
        /* The rest of the detectors along the pipelines, 10 m off the line. */
        for (int k = 0; used < dets; k++, used++) {
            double t = (k + 0.5) / (double)(dets - (hazardous ? 20 : 0) + 1);
            double x = t < 0.52 ? ox + 50 + 700 * t / 0.52 : ox + 610;
            double y = t < 0.52 ? oy + 610 : oy + 30 + 633 * (t - 0.52) / 0.48;
            /* Chlorine and hydrogen sulfide are watched by toxic detectors
             * (GB/T 50493-2019: 1/2 and 10/20 mg/m3, in ppm). */
            const char *gas = substances[e % 7];
            bool cl2 = !strcmp(gas, "chlorine"), h2s = !strcmp(gas, "hydrogen sulfide");
            point(&g, x, y);
            add(&g,
                "\"id\":\"%s-GD%d\",\"kind\":\"gas_detector\",\"enterprise\":\"%s\","
                "\"gas\":\"%s\",\"type\":\"%s\",%s\"series\":[\"%s/gd-%02d/%s\"]",
                id, used + 1, id, gas, cl2 || h2s ? "toxic" : "combustible",
                cl2   ? "\"alarm1\":0.34,\"alarm2\":0.69,"
                : h2s ? "\"alarm1\":7.17,\"alarm2\":14.35,"
                      : "",
                id, used + 1, stored_tag(cl2 || h2s ? "ppm" : "lel", ef, 0));
            end(&g);
        }
        detectors_left -= used;
        /* Offices, control rooms, workshops in the free corner. */
        int builds = buildings_left / (n_ent - e);
        for (int b = 0; b < builds; b++) {
            /* Rows north of the pipeline, clear of the vertical one at x 600... */
            static const double cx[4] = {420, 490, 630, 700};
            double bx = ox + cx[b % 4], by = oy + 640 + (b / 4 % 3) * 45;
            if (b >= 12) /* ...then between the tank farm and the pipeline. */
                bx = ox + 60 + ((b - 12) % 5) * 70, by = oy + 440 + ((b - 12) / 5 % 3) * 45;
            rect(&g, bx, by, bx + 30, by + 20);
            int day = 5 + (int)(rnd(&g) * 75);
            add(&g,
                "\"id\":\"%s-B%d\",\"kind\":\"building\",\"name\":\"%s\",\"occupants_day\":%d,"
                "\"occupants_night\":%d",
                id, b + 1,
                b == 0   ? "control room"
                : b == 1 ? "office"
                         : "workshop",
                day, 1 + day / 6);
            end(&g);
        }
        buildings_left -= builds;
    }
    double w = cols * 1000.0, h = rows * 1000.0;
    /* The park's stations: parksim's connection "PARK", made after the
     * enterprises'. */
    fmt_t pf = park_format_of(fmt, n_ent, true);
    static const char *const aq[] = {"PM2_5", "PM10", "SO2", "NO2", "CO", "O3"};
    for (int i = 0; i < 10 * scale; i++) {
        point(&g, -150 + (w + 300) * (i % 5) / 4.0, i / 5 % 2 ? h + 150 : -150);
        add(&g, "\"id\":\"PARK-AQ%d\",\"kind\":\"aq_station\",\"series\":[", i + 1);
        for (int k = 0; k < 6; k++)
            add(&g, "%s\"PARK/aq-%d/%s\"", k ? "," : "", i + 1, stored_tag(aq[k], pf, 0));
        add(&g, "]");
        end(&g);
    }
    for (int i = 0; i < 2 * scale; i++) {
        point(&g, i % 2 ? w + 200 : -200, h / 2 + i / 2 * 100.0);
        add(&g,
            "\"id\":\"PARK-MET%d\",\"kind\":\"weather_station\",\"series\":["
            "\"PARK/met-%d/%s\",\"PARK/met-%d/%s\",\"PARK/met-%d/%s\"]",
            i + 1, i + 1, stored_tag("wind_speed", pf, 0), i + 1, stored_tag("wind_dir", pf, 1),
            i + 1, stored_tag("temp", pf, 2));
        end(&g);
    }
    for (int i = 0; i < 6 * scale; i++) {
        double gx, gy;
        gate_at(i, scale, cols, h, &gx, &gy);
        point(&g, gx, gy);
        add(&g, "\"id\":\"PARK-G%d\",\"kind\":\"gate\",\"name\":\"Gate %d\"", i + 1, i + 1);
        end(&g);
    }
    for (int i = 0; i < 4 * scale; i++) {
        /* Shelters well outside the plots, upwind of the prevailing easterly. */
        point(&g, -1500 - (i / 4) * 300.0, h * (i % 4) / 3.0);
        add(&g, "\"id\":\"PARK-S%d\",\"kind\":\"shelter\",\"capacity\":%d", i + 1, 800 + 200 * i);
        end(&g);
    }
    for (int i = 0; i < 3 * scale; i++) {
        point(&g, -600, h * i / (3.0 * scale));
        add(&g, "\"id\":\"PARK-F%d\",\"kind\":\"fire_station\"", i + 1);
        end(&g);
        /* the station's brigade and its foam tenders (issue 22's resources) */
        point(&g, -630, h * i / (3.0 * scale) + 25);
        add(&g,
            "\"id\":\"PARK-TEAM-F%d\",\"kind\":\"resource\",\"resource_type\":\"team\","
            "\"name\":\"Fire brigade %d\",\"name_zh\":\"消防救援%d队\",\"quantity\":24,"
            "\"unit\":\"people\"",
            i + 1, i + 1, i + 1);
        end(&g);
        point(&g, -630, h * i / (3.0 * scale) - 25);
        add(&g,
            "\"id\":\"PARK-FT-F%d\",\"kind\":\"resource\",\"resource_type\":\"vehicle\","
            "\"name\":\"Foam tenders, station %d\",\"name_zh\":\"泡沫消防车(%d站)\","
            "\"quantity\":3,\"unit\":\"vehicles\"",
            i + 1, i + 1, i + 1);
        end(&g);
    }
    /* The park's stocks and medical points, and every hazard source's
     * enterprise team (issue 22). */
    static const struct {
        const char *id, *type, *name, *name_zh, *unit;
        double qty, x, y; /* x, y as fractions of the park's width and height */
    } stocks[] = {
        {"PARK-FOAM1", "stock", "Foam concentrate store", "泡沫液储备库", "t", 20, -0.02, 0.5},
        {"PARK-ABS1", "stock", "Absorbent and booms", "吸附材料储备", "t", 5, 0.5, -0.03},
        {"PARK-SCBA1", "equipment", "Breathing apparatus", "正压式空气呼吸器", "sets", 40, -0.02,
         0.25},
        {"PARK-MED1", "medical", "First-aid point, west", "西区医疗救护点", "beds", 12, -0.04,
         0.75},
        {"PARK-MED2", "medical", "First-aid point, south", "南区医疗救护点", "beds", 8, 0.3, -0.04},
    };
    for (size_t i = 0; i < sizeof stocks / sizeof *stocks; i++) {
        point(&g, stocks[i].x * w, stocks[i].y * h);
        add(&g,
            "\"id\":\"%s\",\"kind\":\"resource\",\"resource_type\":\"%s\",\"name\":\"%s\","
            "\"name_zh\":\"%s\",\"quantity\":%g,\"unit\":\"%s\"",
            stocks[i].id, stocks[i].type, stocks[i].name, stocks[i].name_zh, stocks[i].qty,
            stocks[i].unit);
        end(&g);
    }
    /* Sensitive targets around the park (one set at any scale): what a
     * threat zone must name. */
    static const struct {
        const char *id, *type, *name, *name_zh;
        long people;
        double x, y; /* metres from the park's corner: outside it */
    } targets[] = {
        {"PARK-ST1", "school", "Caojing Primary School", "漕泾小学", 1200, -900, 0.8},
        {"PARK-ST2", "kindergarten", "Caojing Kindergarten", "漕泾幼儿园", 220, -800, -0.15},
        {"PARK-ST3", "hospital", "Jinshan District Hospital", "金山区医院", 350, 700, 0.5},
        {"PARK-ST4", "residential", "Caojing New Village", "漕泾新村", 5200, 0.5, 1.25},
        {"PARK-ST5", "nursing_home", "Caojing Nursing Home", "漕泾敬老院", 160, 600, -0.1},
        {"PARK-ST6", "water_intake", "Hangzhou Bay water intake", "杭州湾取水口", 0, 0.6, -0.3},
    };
    for (size_t i = 0; i < sizeof targets / sizeof *targets; i++) {
        /* x below 0 or above 1 is metres beyond the west or east edge; y a
         * fraction of the height (beyond 0..1: outside north or south) */
        double x = targets[i].x > 1   ? w + targets[i].x
                   : targets[i].x < 0 ? targets[i].x
                                      : targets[i].x * w;
        point(&g, x, targets[i].y * h);
        add(&g,
            "\"id\":\"%s\",\"kind\":\"sensitive_target\",\"target_type\":\"%s\","
            "\"name\":\"%s\",\"name_zh\":\"%s\",\"population\":%ld",
            targets[i].id, targets[i].type, targets[i].name, targets[i].name_zh, targets[i].people);
        end(&g);
    }
    /* The park's grid: the avenue (south edge) and the chemical road (west
     * edge, designated for hazardous goods) are main roads; the northern
     * one, past the administrative centre and the school, is closed to
     * hazardous goods (every plot also has a southern road). */
    for (int r = 0; r <= rows; r++) {
        line(&g, -100, r * 1000.0 - 100, w, r * 1000.0 - 100);
        if ((size_t)r < N_ROAD_X)
            add(&g, "\"id\":\"PARK-RX%d\",\"kind\":\"road\",\"name\":\"%s\",\"name_zh\":\"%s\"",
                r + 1, road_x[r][0], road_x[r][1]);
        else
            add(&g,
                "\"id\":\"PARK-RX%d\",\"kind\":\"road\",\"name\":\"Wei %d Road\","
                "\"name_zh\":\"纬%d路\"",
                r + 1, r + 1, r + 1);
        road_props(&g, r == 0, r == rows ? "closed" : "allowed", false);
        end(&g);
    }
    for (int c = 0; c <= cols; c++) {
        line(&g, c * 1000.0 - 100, -100, c * 1000.0 - 100, h);
        if ((size_t)c < N_ROAD_Y)
            add(&g, "\"id\":\"PARK-RY%d\",\"kind\":\"road\",\"name\":\"%s\",\"name_zh\":\"%s\"",
                c + 1, road_y[c][0], road_y[c][1]);
        else
            add(&g,
                "\"id\":\"PARK-RY%d\",\"kind\":\"road\",\"name\":\"Jing %d Road\","
                "\"name_zh\":\"经%d路\"",
                c + 1, c, c);
        road_props(&g, c == 0, c == 0 ? "designated" : "allowed", false);
        end(&g);
    }
    closed_park(&g, scale, n_ent, cols, w, h);
    add(&g, "\n]}\n");
    return g.p;
}
