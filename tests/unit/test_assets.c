/*
 * test_assets.c - assets/: every rule derived for a small layout worked out
 * by hand (docs/reference/process-limits.md's defaults), overrides at each
 * scope and their precedence, "off", the errors for unknown names, the
 * quantity and unit of each series name, the stable order, and the
 * online-monitoring check of major hazard sources.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "assets/assets.h"

#define LON0 121.45
#define LAT0 30.80

/* Metres east/north of the origin to lon/lat (local approximation; every
 * distance the tests rely on has a margin of 20 m or more). */
static double lon_of(double x) {
    return LON0 + x / (111320.0 * cos(LAT0 * M_PI / 180));
}
static double lat_of(double y) {
    return LAT0 + y / 110850.0;
}

static char *point(double x, double y) {
    static char b[8][128];
    static int k;
    char *s = b[k++ % 8];
    snprintf(s, 128, "{\"type\": \"Point\", \"coordinates\": [%.9f, %.9f]}", lon_of(x), lat_of(y));
    return s;
}

static char *rect(double x0, double y0, double x1, double y1) {
    static char b[4][512];
    static int k;
    char *s = b[k++ % 4];
    snprintf(s, 512,
             "{\"type\": \"Polygon\", \"coordinates\": [[[%.9f, %.9f], [%.9f, %.9f], [%.9f, %.9f], "
             "[%.9f, %.9f], [%.9f, %.9f]]]}",
             lon_of(x0), lat_of(y0), lon_of(x1), lat_of(y0), lon_of(x1), lat_of(y1), lon_of(x0),
             lat_of(y1), lon_of(x0), lat_of(y0));
    return s;
}

static char *line(double x0, double y0, double x1, double y1) {
    static char b[4][256];
    static int k;
    char *s = b[k++ % 4];
    snprintf(s, 256, "{\"type\": \"LineString\", \"coordinates\": [[%.9f, %.9f], [%.9f, %.9f]]}",
             lon_of(x0), lat_of(y0), lon_of(x1), lat_of(y1));
    return s;
}

/* The fixture, in metres (x east, y north):
 *
 *   E001  enterprise       (0,0)-(600,600)
 *   HS1   hazard source    (100,100)-(300,300)
 *   T101  tank (200,200)   in HS1, height 20 m, design 2 MPa: level, temp, pressure
 *   T102  tank (150,150)   in HS1, no height: level, temperature
 *   HS2   hazard source    (400,100)-(550,250)
 *   T103  tank (475,175)   in HS2, height 10 m, design 1 MPa: level only ("….level.value")
 *   P1    pipeline y=500   design 2.5 MPa: pressure, two flow meters
 *   P2    pipeline x=250   from y=50 to 650 (through HS1), no design: one flow meter, pressure
 *   GD1   detector (200,330)  combustible, 30 m north of HS1: near (margin 50 m)
 *   GD2   detector (560,560)  toxic H2S 10/20 ppm, 310 m from HS2, 368 m from HS1: far
 *   AQ1   aq station (-300,800), park-level: PM2_5, SO2, CO
 *   MET1  weather station (-300,900), park-level: wind_speed, wind_dir
 */
static const char *fixture(void) {
    static char buf[16384];
    snprintf(
        buf, sizeof buf,
        "{\"type\": \"FeatureCollection\", \"features\": [\n"
        "{\"type\": \"Feature\", \"geometry\": %s, \"properties\": {\"id\": \"E001\", \"kind\": "
        "\"enterprise\", \"name\": \"Donghai\"}},\n"
        "{\"type\": \"Feature\", \"geometry\": %s, \"properties\": {\"id\": \"HS1\", \"kind\": "
        "\"hazard_source\", \"enterprise\": \"E001\", \"substances\": [\"propane\"], \"grade\": "
        "2}},\n"
        "{\"type\": \"Feature\", \"geometry\": %s, \"properties\": {\"id\": \"T101\", \"kind\": "
        "\"tank\", \"enterprise\": \"E001\", \"capacity_m3\": 5000, \"substance\": \"propane\", "
        "\"height_m\": 20, \"design_pressure_mpa\": 2, \"series\": "
        "[\"E001/tankfarm-1/T101.level\", "
        "\"E001/tankfarm-1/T101.temp\", \"E001/tankfarm-1/T101.pressure\"]}},\n"
        "{\"type\": \"Feature\", \"geometry\": %s, \"properties\": {\"id\": \"T102\", \"kind\": "
        "\"tank\", \"enterprise\": \"E001\", \"capacity_m3\": 1000, \"substance\": \"methanol\", "
        "\"series\": [\"E001/tankfarm-1/T102.level\", \"E001/tankfarm-1/T102.temperature\"]}},\n"
        "{\"type\": \"Feature\", \"geometry\": %s, \"properties\": {\"id\": \"HS2\", \"kind\": "
        "\"hazard_source\", \"enterprise\": \"E001\", \"substances\": [\"ammonia\"], \"grade\": "
        "3}},\n"
        "{\"type\": \"Feature\", \"geometry\": %s, \"properties\": {\"id\": \"T103\", \"kind\": "
        "\"tank\", \"enterprise\": \"E001\", \"capacity_m3\": 500, \"substance\": \"ammonia\", "
        "\"height_m\": 10, \"design_pressure_mpa\": 1, \"series\": "
        "[\"E001/tankfarm-2/T103.level.value\"]}},\n"
        "{\"type\": \"Feature\", \"geometry\": %s, \"properties\": {\"id\": \"P1\", \"kind\": "
        "\"pipeline\", \"enterprise\": \"E001\", \"substance\": \"propane\", "
        "\"design_pressure_mpa\": 2.5, \"series\": [\"E001/pipeline-1/PT01.pressure\", "
        "\"E001/pipeline-1/FT01.flow\", \"E001/pipeline-1/FT02.flow\"]}},\n"
        "{\"type\": \"Feature\", \"geometry\": %s, \"properties\": {\"id\": \"P2\", \"kind\": "
        "\"pipeline\", \"enterprise\": \"E001\", \"substance\": \"methanol\", \"series\": "
        "[\"E001/pipeline-2/FT11.flow\", \"E001/pipeline-2/PT11.pressure\"]}},\n"
        "{\"type\": \"Feature\", \"geometry\": %s, \"properties\": {\"id\": \"GD1\", \"kind\": "
        "\"gas_detector\", \"enterprise\": \"E001\", \"gas\": \"propane\", \"type\": "
        "\"combustible\", \"series\": [\"E001/gd-01/lel\"]}},\n"
        "{\"type\": \"Feature\", \"geometry\": %s, \"properties\": {\"id\": \"GD2\", \"kind\": "
        "\"gas_detector\", \"enterprise\": \"E001\", \"gas\": \"H2S\", \"type\": \"toxic\", "
        "\"alarm1\": 10, \"alarm2\": 20, \"series\": [\"E001/gd-02/ppm\"]}},\n"
        "{\"type\": \"Feature\", \"geometry\": %s, \"properties\": {\"id\": \"AQ1\", \"kind\": "
        "\"aq_station\", \"series\": [\"PARK/aq-1/PM2_5\", \"PARK/aq-1/SO2\", "
        "\"PARK/aq-1/CO\"]}},\n"
        "{\"type\": \"Feature\", \"geometry\": %s, \"properties\": {\"id\": \"MET1\", \"kind\": "
        "\"weather_station\", \"series\": [\"PARK/met-1/wind_speed\", \"PARK/met-1/wind_dir\"]}}\n"
        "]}\n",
        rect(0, 0, 600, 600), rect(100, 100, 300, 300), point(200, 200), point(150, 150),
        rect(400, 100, 550, 250), point(475, 175), line(0, 500, 600, 500), line(250, 50, 250, 650),
        point(200, 330), point(560, 560), point(-300, 800), point(-300, 900));
    return buf;
}

static geo_layout *load(void) {
    const char *texts[] = {fixture()}, *names[] = {"assets.geojson"};
    geo_layout *g = NULL;
    geo_problems p = {0};
    if (geo_load_text(texts, names, 1, NULL, &g, &p) != 0)
        fail_msg("load: %zu problems, first: %s %s", p.n, p.n ? p.v[0].feature : "",
                 p.n ? p.v[0].message : "");
    geo_problems_free(&p);
    return g;
}

static int setup(void **state) {
    *state = load();
    return *state ? 0 : -1;
}

static int teardown(void **state) {
    geo_close(*state);
    return 0;
}

/* The kinds' names for messages: our own, so a failure message does not
 * depend on the alerting module's table. */
static const char *kind_name(alert_kind k) {
    static const char *const names[] = {"high",  "high_high", "low",     "low_low",   "rate",
                                        "stale", "fault",     "dev",     "imbalance", "stuck",
                                        "range", "drift",     "flapping"};
    return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "?";
}

/* One expected rule: every field assets_derive sets. */
typedef struct want {
    const char *asset, *series;
    alert_kind kind;
    const char *quantity;
    double limit, limit_low, deadband;
    int64_t on_ms, off_ms;
    int priority;
    const char *unit;
    int64_t window_ms, offset_ms;
    const char *paired;
} want;

#define TK "E001/tankfarm-1/"
#define P1 "E001/pipeline-1/"
#define P2 "E001/pipeline-2/"

/* Every rule of the fixture with the defaults, in order, worked by hand. */
static const want defaults[] = {
    /* T101, height 20 m, design 2 MPa.
     * level: high 85 % x 20 = 17 m, high-high 90 % x 20 = 18, low-low 5 % x 20 = 1;
     * deadband 5 % of the 20 m height = 1 m; on/off delay 60 s (ISA-18.2 level);
     * range -2 % x 20 = -0.4 .. 105 % x 20 = 21 m. */
    {"T101", TK "T101.level", ALERT_HIGH, "level", 17, 0, 1, 60000, 60000, 2, "m", 0, 0, NULL},
    {"T101", TK "T101.level", ALERT_HIGH_HIGH, "level", 18, 0, 1, 60000, 60000, 1, "m", 0, 0, NULL},
    {"T101", TK "T101.level", ALERT_LOW_LOW, "level", 1, 0, 1, 60000, 60000, 1, "m", 0, 0, NULL},
    {"T101", TK "T101.level", ALERT_STALE, "level", 60, 0, 0, 0, 0, 3, "s", 0, 0, NULL},
    {"T101", TK "T101.level", ALERT_RANGE, "level", 21, -0.4, 0, 0, 0, 3, "m", 0, 0, NULL},
    {"T101", TK "T101.level", ALERT_STUCK, "level", 0, 0, 0, 0, 0, 3, "m", 0, 0, NULL},
    /* temperature ("temp"): high 40 C, high-high 50 C; deadband 1 % of the
     * 200 C instrument range = 2 C; delay 60 s; range -50 .. 150 C. */
    {"T101", TK "T101.temp", ALERT_HIGH, "temperature", 40, 0, 2, 60000, 60000, 2, "°C", 0, 0,
     NULL},
    {"T101", TK "T101.temp", ALERT_HIGH_HIGH, "temperature", 50, 0, 2, 60000, 60000, 1, "°C", 0, 0,
     NULL},
    {"T101", TK "T101.temp", ALERT_STALE, "temperature", 60, 0, 0, 0, 0, 3, "s", 0, 0, NULL},
    {"T101", TK "T101.temp", ALERT_RANGE, "temperature", 150, -50, 0, 0, 0, 3, "°C", 0, 0, NULL},
    {"T101", TK "T101.temp", ALERT_STUCK, "temperature", 0, 0, 0, 0, 0, 3, "°C", 0, 0, NULL},
    /* pressure: high 90 % x 2 = 1.8 MPa, high-high 100 % x 2 = 2; deadband
     * 2 % x 2 = 0.04 MPa; delay 15 s; range -0.1 .. 1.5 x 2 = 3 MPa. */
    {"T101", TK "T101.pressure", ALERT_HIGH, "pressure", 1.8, 0, 0.04, 15000, 15000, 2, "MPa", 0, 0,
     NULL},
    {"T101", TK "T101.pressure", ALERT_HIGH_HIGH, "pressure", 2, 0, 0.04, 15000, 15000, 1, "MPa", 0,
     0, NULL},
    {"T101", TK "T101.pressure", ALERT_STALE, "pressure", 60, 0, 0, 0, 0, 3, "s", 0, 0, NULL},
    {"T101", TK "T101.pressure", ALERT_RANGE, "pressure", 3, -0.1, 0, 0, 0, 3, "MPa", 0, 0, NULL},
    {"T101", TK "T101.pressure", ALERT_STUCK, "pressure", 0, 0, 0, 0, 0, 3, "MPa", 0, 0, NULL},
    /* T102, no height: its level gets no level rules and no range (both
     * need the height), only stale and stuck; its temperature as T101's. */
    {"T102", TK "T102.level", ALERT_STALE, "level", 60, 0, 0, 0, 0, 3, "s", 0, 0, NULL},
    {"T102", TK "T102.level", ALERT_STUCK, "level", 0, 0, 0, 0, 0, 3, "m", 0, 0, NULL},
    {"T102", TK "T102.temperature", ALERT_HIGH, "temperature", 40, 0, 2, 60000, 60000, 2, "°C", 0,
     0, NULL},
    {"T102", TK "T102.temperature", ALERT_HIGH_HIGH, "temperature", 50, 0, 2, 60000, 60000, 1, "°C",
     0, 0, NULL},
    {"T102", TK "T102.temperature", ALERT_STALE, "temperature", 60, 0, 0, 0, 0, 3, "s", 0, 0, NULL},
    {"T102", TK "T102.temperature", ALERT_RANGE, "temperature", 150, -50, 0, 0, 0, 3, "°C", 0, 0,
     NULL},
    {"T102", TK "T102.temperature", ALERT_STUCK, "temperature", 0, 0, 0, 0, 0, 3, "°C", 0, 0, NULL},
    /* T103, height 10 m ("level.value" is the level): high 8.5, high-high 9,
     * low-low 0.5, deadband 0.5, range -0.2 .. 10.5. Its design pressure
     * makes no rule: it has no pressure series. */
    {"T103", "E001/tankfarm-2/T103.level.value", ALERT_HIGH, "level", 8.5, 0, 0.5, 60000, 60000, 2,
     "m", 0, 0, NULL},
    {"T103", "E001/tankfarm-2/T103.level.value", ALERT_HIGH_HIGH, "level", 9, 0, 0.5, 60000, 60000,
     1, "m", 0, 0, NULL},
    {"T103", "E001/tankfarm-2/T103.level.value", ALERT_LOW_LOW, "level", 0.5, 0, 0.5, 60000, 60000,
     1, "m", 0, 0, NULL},
    {"T103", "E001/tankfarm-2/T103.level.value", ALERT_STALE, "level", 60, 0, 0, 0, 0, 3, "s", 0, 0,
     NULL},
    {"T103", "E001/tankfarm-2/T103.level.value", ALERT_RANGE, "level", 10.5, -0.2, 0, 0, 0, 3, "m",
     0, 0, NULL},
    {"T103", "E001/tankfarm-2/T103.level.value", ALERT_STUCK, "level", 0, 0, 0, 0, 0, 3, "m", 0, 0,
     NULL},
    /* P1, design 2.5 MPa: high 90 % = 2.25, high-high 100 % = 2.5, low-low
     * 20 % = 0.5; deadband 2 % = 0.05; delay 15 s; range -0.1 .. 3.75. */
    {"P1", P1 "PT01.pressure", ALERT_HIGH, "pressure", 2.25, 0, 0.05, 15000, 15000, 2, "MPa", 0, 0,
     NULL},
    {"P1", P1 "PT01.pressure", ALERT_HIGH_HIGH, "pressure", 2.5, 0, 0.05, 15000, 15000, 1, "MPa", 0,
     0, NULL},
    {"P1", P1 "PT01.pressure", ALERT_LOW_LOW, "pressure", 0.5, 0, 0.05, 15000, 15000, 1, "MPa", 0,
     0, NULL},
    {"P1", P1 "PT01.pressure", ALERT_STALE, "pressure", 60, 0, 0, 0, 0, 3, "s", 0, 0, NULL},
    {"P1", P1 "PT01.pressure", ALERT_RANGE, "pressure", 3.75, -0.1, 0, 0, 0, 3, "MPa", 0, 0, NULL},
    {"P1", P1 "PT01.pressure", ALERT_STUCK, "pressure", 0, 0, 0, 0, 0, 3, "MPa", 0, 0, NULL},
    /* the two meters: instrument rules, flow range -1 .. 1e6 m3/h */
    {"P1", P1 "FT01.flow", ALERT_STALE, "flow", 60, 0, 0, 0, 0, 3, "s", 0, 0, NULL},
    {"P1", P1 "FT01.flow", ALERT_RANGE, "flow", 1e6, -1, 0, 0, 0, 3, "m³/h", 0, 0, NULL},
    {"P1", P1 "FT01.flow", ALERT_STUCK, "flow", 0, 0, 0, 0, 0, 3, "m³/h", 0, 0, NULL},
    {"P1", P1 "FT02.flow", ALERT_STALE, "flow", 60, 0, 0, 0, 0, 3, "s", 0, 0, NULL},
    {"P1", P1 "FT02.flow", ALERT_RANGE, "flow", 1e6, -1, 0, 0, 0, 3, "m³/h", 0, 0, NULL},
    {"P1", P1 "FT02.flow", ALERT_STUCK, "flow", 0, 0, 0, 0, 0, 3, "m³/h", 0, 0, NULL},
    /* line balance, last: inlet FT01 (the first meter) against outlet FT02
     * (the last), 2 % = 0.02, floor 1 m3/h as the deadband, window 300 s. */
    {"P1", P1 "FT01.flow", ALERT_IMBALANCE, "flow_imbalance", 0.02, 0, 1, 0, 0, 2, "ratio", 300000,
     0, P1 "FT02.flow"},
    /* P2, no design pressure and one meter: instrument rules only, and no
     * pressure range (it needs the design pressure). */
    {"P2", P2 "FT11.flow", ALERT_STALE, "flow", 60, 0, 0, 0, 0, 3, "s", 0, 0, NULL},
    {"P2", P2 "FT11.flow", ALERT_RANGE, "flow", 1e6, -1, 0, 0, 0, 3, "m³/h", 0, 0, NULL},
    {"P2", P2 "FT11.flow", ALERT_STUCK, "flow", 0, 0, 0, 0, 0, 3, "m³/h", 0, 0, NULL},
    {"P2", P2 "PT11.pressure", ALERT_STALE, "pressure", 60, 0, 0, 0, 0, 3, "s", 0, 0, NULL},
    {"P2", P2 "PT11.pressure", ALERT_STUCK, "pressure", 0, 0, 0, 0, 0, 3, "MPa", 0, 0, NULL},
    /* GD1, combustible, 25/50 %LEL from geo's GB/T 50493 default; 30 m from
     * HS1, within the 50 m margin: first level priority 1. alert_gas_defaults:
     * deadband 5 % x 25 = 1.25, on 2 s, off 5 s; stale 60 s; range -5 .. 105;
     * drift on after 30 min. */
    {"GD1", "E001/gd-01/lel", ALERT_HIGH, "gas", 25, 0, 1.25, 2000, 5000, 1, "%LEL", 0, 0, NULL},
    {"GD1", "E001/gd-01/lel", ALERT_HIGH_HIGH, "gas", 50, 0, 1.25, 2000, 5000, 1, "%LEL", 0, 0,
     NULL},
    {"GD1", "E001/gd-01/lel", ALERT_STALE, "gas", 60, 0, 0, 0, 0, 3, "s", 0, 0, NULL},
    {"GD1", "E001/gd-01/lel", ALERT_RANGE, "gas", 105, -5, 0, 0, 0, 3, "%LEL", 0, 0, NULL},
    {"GD1", "E001/gd-01/lel", ALERT_STUCK, "gas", 0, 0, 0, 0, 0, 3, "%LEL", 0, 0, NULL},
    {"GD1", "E001/gd-01/lel", ALERT_DRIFT, "gas", 0, 0, 0, 1800000, 0, 4, "%LEL", 0, 0, NULL},
    /* GD2, toxic 10/20 ppm, far: first level priority 2; deadband 5 % x 10 =
     * 0.5; range 0 .. 2 x 20 = 40 ppm. */
    {"GD2", "E001/gd-02/ppm", ALERT_HIGH, "gas", 10, 0, 0.5, 2000, 5000, 2, "ppm", 0, 0, NULL},
    {"GD2", "E001/gd-02/ppm", ALERT_HIGH_HIGH, "gas", 20, 0, 0.5, 2000, 5000, 1, "ppm", 0, 0, NULL},
    {"GD2", "E001/gd-02/ppm", ALERT_STALE, "gas", 60, 0, 0, 0, 0, 3, "s", 0, 0, NULL},
    {"GD2", "E001/gd-02/ppm", ALERT_RANGE, "gas", 40, 0, 0, 0, 0, 3, "ppm", 0, 0, NULL},
    {"GD2", "E001/gd-02/ppm", ALERT_STUCK, "gas", 0, 0, 0, 0, 0, 3, "ppm", 0, 0, NULL},
    {"GD2", "E001/gd-02/ppm", ALERT_DRIFT, "gas", 0, 0, 0, 1800000, 0, 4, "ppm", 0, 0, NULL},
    /* AQ1, GB 3095-2012 Grade II: PM2.5 75 ug/m3 on the local day's mean
     * (window 86,400,000 ms starting at 16:00 UTC = 00:00 UTC+8: offset
     * 16 h = 57,600,000 ms); SO2 500 ug/m3 and CO 10 mg/m3 on the clock
     * hour's (3,600,000 ms); stale 300 s; ranges 0 .. 2000 ug/m3, CO
     * 0 .. 150 mg/m3. */
    {"AQ1", "PARK/aq-1/PM2_5", ALERT_HIGH, "PM2_5", 75, 0, 0, 0, 0, 3, "µg/m³", 86400000, 57600000,
     NULL},
    {"AQ1", "PARK/aq-1/PM2_5", ALERT_STALE, "PM2_5", 300, 0, 0, 0, 0, 3, "s", 0, 0, NULL},
    {"AQ1", "PARK/aq-1/PM2_5", ALERT_RANGE, "PM2_5", 2000, 0, 0, 0, 0, 3, "µg/m³", 0, 0, NULL},
    {"AQ1", "PARK/aq-1/PM2_5", ALERT_STUCK, "PM2_5", 0, 0, 0, 0, 0, 3, "µg/m³", 0, 0, NULL},
    {"AQ1", "PARK/aq-1/SO2", ALERT_HIGH, "SO2", 500, 0, 0, 0, 0, 3, "µg/m³", 3600000, 0, NULL},
    {"AQ1", "PARK/aq-1/SO2", ALERT_STALE, "SO2", 300, 0, 0, 0, 0, 3, "s", 0, 0, NULL},
    {"AQ1", "PARK/aq-1/SO2", ALERT_RANGE, "SO2", 2000, 0, 0, 0, 0, 3, "µg/m³", 0, 0, NULL},
    {"AQ1", "PARK/aq-1/SO2", ALERT_STUCK, "SO2", 0, 0, 0, 0, 0, 3, "µg/m³", 0, 0, NULL},
    {"AQ1", "PARK/aq-1/CO", ALERT_HIGH, "CO", 10, 0, 0, 0, 0, 3, "mg/m³", 3600000, 0, NULL},
    {"AQ1", "PARK/aq-1/CO", ALERT_STALE, "CO", 300, 0, 0, 0, 0, 3, "s", 0, 0, NULL},
    {"AQ1", "PARK/aq-1/CO", ALERT_RANGE, "CO", 150, 0, 0, 0, 0, 3, "mg/m³", 0, 0, NULL},
    {"AQ1", "PARK/aq-1/CO", ALERT_STUCK, "CO", 0, 0, 0, 0, 0, 3, "mg/m³", 0, 0, NULL},
    /* MET1: wind 10.8 m/s (Beaufort 6, GB 30871) on the 10-minute mean
     * (600,000 ms); stale 300 s; ranges 0 .. 75 m/s and 0 .. 360 degrees. */
    {"MET1", "PARK/met-1/wind_speed", ALERT_HIGH, "wind_speed", 10.8, 0, 0, 0, 0, 3, "m/s", 600000,
     0, NULL},
    {"MET1", "PARK/met-1/wind_speed", ALERT_STALE, "wind_speed", 300, 0, 0, 0, 0, 3, "s", 0, 0,
     NULL},
    {"MET1", "PARK/met-1/wind_speed", ALERT_RANGE, "wind_speed", 75, 0, 0, 0, 0, 3, "m/s", 0, 0,
     NULL},
    {"MET1", "PARK/met-1/wind_speed", ALERT_STUCK, "wind_speed", 0, 0, 0, 0, 0, 3, "m/s", 0, 0,
     NULL},
    {"MET1", "PARK/met-1/wind_dir", ALERT_STALE, "wind_dir", 300, 0, 0, 0, 0, 3, "s", 0, 0, NULL},
    {"MET1", "PARK/met-1/wind_dir", ALERT_RANGE, "wind_dir", 360, 0, 0, 0, 0, 3, "°", 0, 0, NULL},
    {"MET1", "PARK/met-1/wind_dir", ALERT_STUCK, "wind_dir", 0, 0, 0, 0, 0, 3, "°", 0, 0, NULL},
};
#define N_DEFAULTS (sizeof defaults / sizeof defaults[0])

static void assert_rule(const geo_layout *g, const assets_rule *a, const want *w, size_t i) {
    char at[128];
    snprintf(at, sizeof at, "rule %zu (%s %s)", i, w->series, kind_name(w->kind));
    const alert_rule *r = &a->rule;
    if (strcmp(r->series_name, w->series) || r->kind != w->kind)
        fail_msg("%s: got %s %s", at, r->series_name, kind_name(r->kind));
    if (strcmp(r->asset, w->asset) || strcmp(geo_get(g, a->feature)->id, w->asset))
        fail_msg("%s: asset %s", at, r->asset);
    if (strcmp(a->quantity, w->quantity)) fail_msg("%s: quantity %s", at, a->quantity);
    /* exact: the limits are whole percentages of short decimals */
    if (r->limit != w->limit || r->limit_low != w->limit_low || r->deadband != w->deadband)
        fail_msg("%s: limit %.17g low %.17g deadband %.17g", at, r->limit, r->limit_low,
                 r->deadband);
    if (r->on_delay_ms != w->on_ms || r->off_delay_ms != w->off_ms)
        fail_msg("%s: delays %lld %lld", at, (long long)r->on_delay_ms, (long long)r->off_delay_ms);
    if (r->priority != w->priority) fail_msg("%s: priority %d", at, r->priority);
    if (strcmp(r->unit, w->unit)) fail_msg("%s: unit %s", at, r->unit);
    if (r->window_ms != w->window_ms || r->window_offset_ms != w->offset_ms)
        fail_msg("%s: window %lld offset %lld", at, (long long)r->window_ms,
                 (long long)r->window_offset_ms);
    if ((w->paired == NULL) != (a->paired_name == NULL) ||
        (w->paired && strcmp(w->paired, a->paired_name)))
        fail_msg("%s: paired %s", at, a->paired_name ? a->paired_name : "(none)");
    if (r->series != 0 || r->paired_series != 0) fail_msg("%s: series ids set", at);
    if (!r->basis || !*r->basis) fail_msg("%s: no basis", at);
    if (r->stuck.n_bins != 0) fail_msg("%s: a stuck model", at);
    const char *ent = !strcmp(w->asset, "AQ1") || !strcmp(w->asset, "MET1") ? "" : "E001";
    if (strcmp(r->enterprise, ent)) fail_msg("%s: enterprise %s", at, r->enterprise);
}

/* The rule of series with kind, or fail. */
static const assets_rule *find(const assets_rules *r, const char *series, alert_kind kind) {
    for (size_t i = 0; i < r->n; i++)
        if (!strcmp(r->v[i].rule.series_name, series) && r->v[i].rule.kind == kind) return &r->v[i];
    fail_msg("no %s rule for %s", kind_name(kind), series);
    return NULL;
}

static bool has(const assets_rules *r, const char *series, alert_kind kind) {
    for (size_t i = 0; i < r->n; i++)
        if (!strcmp(r->v[i].rule.series_name, series) && r->v[i].rule.kind == kind) return true;
    return false;
}

static void derive_ok(geo_layout *g, const char *json, assets_rules *out) {
    char err[256] = "";
    if (assets_derive(g, json, out, err, sizeof err) != 0) fail_msg("derive: %s", err);
}

static void test_defaults_worked_by_hand(void **state) {
    geo_layout *g = *state;
    assets_rules r;
    derive_ok(g, NULL, &r);
    assert_int_equal(r.n, N_DEFAULTS);
    for (size_t i = 0; i < r.n; i++) {
        assert_rule(g, &r.v[i], &defaults[i], i);
        assert_int_equal(r.v[i].rule.origin, ALERT_ORIGIN_DERIVED);
    }
    /* the bases a park engineer reads */
    assert_string_equal(find(&r, TK "T101.level", ALERT_HIGH_HIGH)->rule.basis,
                        "90 % of the 20 m tank height (API 2350 high-high)");
    assert_string_equal(find(&r, TK "T101.pressure", ALERT_HIGH_HIGH)->rule.basis,
                        "100 % of the 2 MPa design pressure (safety valve set at or below design "
                        "pressure, TSG 21 / GB 150)");
    assert_string_equal(find(&r, P1 "PT01.pressure", ALERT_LOW_LOW)->rule.basis,
                        "20 % of the 2.5 MPa design pressure (loss of line pressure, a rupture)");
    assert_string_equal(find(&r, "PARK/aq-1/SO2", ALERT_HIGH)->rule.basis,
                        "GB 3095-2012 Grade II 1-hour limit");
    assert_string_equal(find(&r, "PARK/aq-1/PM2_5", ALERT_HIGH)->rule.basis,
                        "GB 3095-2012 Grade II 24-hour limit");
    assert_string_equal(find(&r, "E001/gd-01/lel", ALERT_HIGH)->rule.basis,
                        "GB/T 50493-2019 first level 25 %LEL, the layout's; priority 1: near "
                        "hazard source HS1");
    assert_string_equal(find(&r, "E001/gd-02/ppm", ALERT_HIGH)->rule.basis,
                        "GB/T 50493-2019 first level 10 ppm, the layout's");
    assert_string_equal(find(&r, TK "T101.level", ALERT_STALE)->rule.basis, "no reading for 60 s");
    /* exactly one stale rule per detector series: alert_gas_defaults' */
    size_t stale = 0;
    for (size_t i = 0; i < r.n; i++)
        stale += r.v[i].rule.kind == ALERT_STALE && !strcmp(r.v[i].rule.asset, "GD1");
    assert_int_equal(stale, 1);
    assets_rules_free(&r);
    assert_null(r.v);
    assets_rules_free(&r); /* twice is harmless */
}

static void test_stable_order(void **state) {
    geo_layout *g = *state;
    const char *o = "{\"tank\": {\"level_high_pct\": 80}, \"assets\": {\"P1\": {\"off\": "
                    "[\"stuck\"]}}}";
    assets_rules a, b;
    derive_ok(g, o, &a);
    derive_ok(g, o, &b);
    assert_int_equal(a.n, b.n);
    assert_int_equal(a.n, N_DEFAULTS - 3); /* P1's three series lose their stuck watch */
    for (size_t i = 0; i < a.n; i++) {
        const alert_rule *x = &a.v[i].rule, *y = &b.v[i].rule;
        assert_string_equal(x->series_name, y->series_name);
        assert_int_equal(x->kind, y->kind);
        assert_true(x->limit == y->limit && x->limit_low == y->limit_low);
        assert_string_equal(x->basis, y->basis);
        assert_string_equal(x->unit, y->unit);
        assert_int_equal(x->origin, y->origin);
        assert_int_equal(a.v[i].feature, b.v[i].feature);
        assert_ptr_not_equal(x->series_name, y->series_name); /* each set owns its strings */
    }
    assets_rules_free(&a);
    assets_rules_free(&b);
}

/* Kind, then enterprise, then asset: the most specific wins, and only the
 * rules an override set are CONFIG. */
static void test_override_scopes(void **state) {
    geo_layout *g = *state;
    assets_rules r;
    /* kind: 95 % x 20 = 19 m on T101, 95 % x 10 = 9.5 m on T103 */
    derive_ok(g, "{\"tank\": {\"level_high_high_pct\": 95}}", &r);
    const assets_rule *a = find(&r, TK "T101.level", ALERT_HIGH_HIGH);
    assert_true(a->rule.limit == 19);
    assert_int_equal(a->rule.origin, ALERT_ORIGIN_CONFIG);
    assert_string_equal(a->rule.basis,
                        "95 % of the 20 m tank height (override: tank.level_high_high_pct)");
    assert_true(find(&r, "E001/tankfarm-2/T103.level.value", ALERT_HIGH_HIGH)->rule.limit == 9.5);
    a = find(&r, TK "T101.level", ALERT_HIGH); /* untouched: still derived */
    assert_true(a->rule.limit == 17);
    assert_int_equal(a->rule.origin, ALERT_ORIGIN_DERIVED);
    assert_int_equal(r.n, N_DEFAULTS);
    assets_rules_free(&r);

    /* enterprise over kind: 88 % x 20 = 17.6, 88 % x 10 = 8.8 */
    const char *ent = "{\"tank\": {\"level_high_high_pct\": 95}, \"enterprises\": {\"E001\": "
                      "{\"tank\": {\"level_high_high_pct\": 88}}}}";
    derive_ok(g, ent, &r);
    a = find(&r, TK "T101.level", ALERT_HIGH_HIGH);
    assert_true(a->rule.limit == 17.6);
    assert_string_equal(a->rule.basis, "88 % of the 20 m tank height (override: "
                                       "enterprises.E001.tank.level_high_high_pct)");
    assert_true(find(&r, "E001/tankfarm-2/T103.level.value", ALERT_HIGH_HIGH)->rule.limit == 8.8);
    assets_rules_free(&r);

    /* asset over enterprise, in metres; T103 keeps the enterprise's */
    const char *asset = "{\"tank\": {\"level_high_high_pct\": 95}, \"enterprises\": {\"E001\": "
                        "{\"tank\": {\"level_high_high_pct\": 88}}}, \"assets\": {\"T101\": "
                        "{\"level_high_high_m\": 18.2}}}";
    derive_ok(g, asset, &r);
    a = find(&r, TK "T101.level", ALERT_HIGH_HIGH);
    assert_true(a->rule.limit == 18.2);
    assert_int_equal(a->rule.origin, ALERT_ORIGIN_CONFIG);
    assert_string_equal(a->rule.basis, "override: assets.T101.level_high_high_m");
    assert_true(find(&r, "E001/tankfarm-2/T103.level.value", ALERT_HIGH_HIGH)->rule.limit == 8.8);
    assets_rules_free(&r);

    /* other kinds: P1's 80 % x 2.5 = 2 MPa; wind 8.0 (force 5); a
     * park-level station has no enterprise scope; SO2 for AQ1 alone */
    const char *more = "{\"pipeline\": {\"pressure_high_pct\": 80, \"flow_imbalance_pct\": 5, "
                       "\"flow_window_s\": 600, \"flow_floor\": 2}, \"weather_station\": "
                       "{\"wind_speed_high_ms\": 8.0}, \"assets\": {\"AQ1\": {\"SO2_1h\": 150, "
                       "\"stale_s\": 3600}, \"GD2\": {\"alarm1\": 5}}}";
    derive_ok(g, more, &r);
    a = find(&r, P1 "PT01.pressure", ALERT_HIGH);
    assert_true(a->rule.limit == 2);
    assert_int_equal(a->rule.origin, ALERT_ORIGIN_CONFIG);
    a = find(&r, P1 "FT01.flow", ALERT_IMBALANCE);
    assert_true(a->rule.limit == 0.05 && a->rule.deadband == 2 && a->rule.window_ms == 600000);
    assert_int_equal(a->rule.origin, ALERT_ORIGIN_CONFIG);
    a = find(&r, "PARK/met-1/wind_speed", ALERT_HIGH);
    assert_true(a->rule.limit == 8.0);
    assert_string_equal(a->rule.basis, "override: weather_station.wind_speed_high_ms");
    a = find(&r, "PARK/aq-1/SO2", ALERT_HIGH);
    assert_true(a->rule.limit == 150 && a->rule.window_ms == 3600000);
    assert_string_equal(a->rule.basis, "override: assets.AQ1.SO2_1h");
    assert_true(find(&r, "PARK/aq-1/CO", ALERT_STALE)->rule.limit == 3600);
    a = find(&r, "E001/gd-02/ppm", ALERT_HIGH);
    assert_true(a->rule.limit == 5);
    assert_int_equal(a->rule.origin, ALERT_ORIGIN_CONFIG);
    assert_true(find(&r, "E001/gd-02/ppm", ALERT_HIGH_HIGH)->rule.limit == 20);
    assets_rules_free(&r);

    /* a toxic detector's range follows its second level: 2 x 15 = 30 ppm */
    derive_ok(g, "{\"assets\": {\"GD2\": {\"alarm2\": 15}}}", &r);
    a = find(&r, "E001/gd-02/ppm", ALERT_RANGE);
    assert_true(a->rule.limit == 30 && a->rule.limit_low == 0);
    assert_true(find(&r, "E001/gd-02/ppm", ALERT_HIGH_HIGH)->rule.limit == 15);
    assets_rules_free(&r);

    /* the detector's margin: 10 m leaves GD1 (30 m from HS1) not near */
    derive_ok(g, "{\"gas_detector\": {\"hazard_margin_m\": 10}}", &r);
    a = find(&r, "E001/gd-01/lel", ALERT_HIGH);
    assert_int_equal(a->rule.priority, 2);
    assert_string_equal(a->rule.basis, "GB/T 50493-2019 first level 25 %LEL, the layout's");
    assets_rules_free(&r);

    /* UTC+5.5: the local day starts at 18:30 UTC = 66,600,000 ms */
    derive_ok(g, "{\"aq_station\": {\"utc_offset_h\": 5.5}}", &r);
    assert_int_equal(find(&r, "PARK/aq-1/PM2_5", ALERT_HIGH)->rule.window_offset_ms, 66600000);
    assets_rules_free(&r);
}

static void test_off(void **state) {
    geo_layout *g = *state;
    assets_rules r;
    /* T101 loses its temperature high and its three stale watches */
    derive_ok(g, "{\"assets\": {\"T101\": {\"off\": [\"temperature_high\", \"stale\"]}}}", &r);
    assert_int_equal(r.n, N_DEFAULTS - 4);
    assert_false(has(&r, TK "T101.temp", ALERT_HIGH));
    assert_true(has(&r, TK "T101.temp", ALERT_HIGH_HIGH));
    assert_false(has(&r, TK "T101.level", ALERT_STALE));
    assert_true(has(&r, TK "T102.level", ALERT_STALE));
    assets_rules_free(&r);

    /* the most specific "off" decides: T103's empty list keeps its stuck
     * watch; T101 (3 series) and T102 (2) lose theirs */
    derive_ok(g, "{\"tank\": {\"off\": [\"stuck\"]}, \"assets\": {\"T103\": {\"off\": []}}}", &r);
    assert_int_equal(r.n, N_DEFAULTS - 5);
    assert_true(has(&r, "E001/tankfarm-2/T103.level.value", ALERT_STUCK));
    assert_false(has(&r, TK "T102.level", ALERT_STUCK));
    assets_rules_free(&r);

    /* detectors: stale off removes alert_gas_defaults' (2 series); the
     * line balance and the rupture alarm off on P1; wind off */
    derive_ok(g,
              "{\"gas_detector\": {\"off\": [\"stale\", \"drift\"]}, \"assets\": {\"P1\": "
              "{\"off\": [\"flow_imbalance\", \"pressure_low_low\"]}}, \"weather_station\": "
              "{\"off\": [\"wind_speed_high\"]}}",
              &r);
    assert_int_equal(r.n, N_DEFAULTS - 4 - 2 - 1);
    assert_false(has(&r, "E001/gd-01/lel", ALERT_STALE));
    assert_false(has(&r, "E001/gd-02/ppm", ALERT_DRIFT));
    assert_true(has(&r, "E001/gd-02/ppm", ALERT_HIGH));
    assert_false(has(&r, P1 "FT01.flow", ALERT_IMBALANCE));
    assert_false(has(&r, P1 "PT01.pressure", ALERT_LOW_LOW));
    assert_false(has(&r, "PARK/met-1/wind_speed", ALERT_HIGH));
    assets_rules_free(&r);

    /* a detector's stale period overridden keeps one stale rule */
    derive_ok(g, "{\"assets\": {\"GD1\": {\"stale_s\": 30}}}", &r);
    assert_int_equal(r.n, N_DEFAULTS);
    const assets_rule *a = find(&r, "E001/gd-01/lel", ALERT_STALE);
    assert_true(a->rule.limit == 30);
    assert_string_equal(a->rule.basis, "override: assets.GD1.stale_s");
    assets_rules_free(&r);
}

static void expect_error(geo_layout *g, const char *json, const char *needle) {
    assets_rules r = {(assets_rule *)1, 7, (void *)1};
    char err[256] = "";
    if (assets_derive(g, json, &r, err, sizeof err) == 0) fail_msg("accepted: %s", json);
    if (!strstr(err, needle)) fail_msg("for %s: \"%s\" does not name \"%s\"", json, err, needle);
    assert_null(r.v);
    assert_int_equal(r.n, 0);
    assert_null(r.arena);
}

static void test_override_errors(void **state) {
    geo_layout *g = *state;
    expect_error(g, "{\"tanks\": {}}", "\"tanks\"");
    expect_error(g, "{\"building\": {\"stale_s\": 60}}", "building");
    expect_error(g, "{\"tank\": {\"level_hihg_pct\": 90}}", "level_hihg_pct");
    expect_error(g, "{\"tank\": {\"flow_floor\": 1}}", "flow_floor"); /* a pipeline's */
    expect_error(g, "{\"tank\": {\"level_high_pct\": 150}}", "level_high_pct = 150");
    expect_error(g, "{\"tank\": {\"level_high_pct\": \"85\"}}", "not a number");
    expect_error(g, "{\"tank\": {\"off\": [\"level_hihg\"]}}", "level_hihg");
    expect_error(g, "{\"pipeline\": {\"off\": [\"level_high\"]}}", "level_high");
    expect_error(g, "{\"tank\": {\"off\": \"stale\"}}", "off");
    expect_error(g, "{\"assets\": {\"T999\": {\"stale_s\": 60}}}", "T999");
    expect_error(g, "{\"assets\": {\"HS1\": {\"stale_s\": 60}}}", "hazard_source");
    expect_error(g, "{\"assets\": {\"P1\": {\"level_high_pct\": 80}}}", "level_high_pct");
    expect_error(g, "{\"enterprises\": {\"E009\": {\"tank\": {}}}}", "E009");
    expect_error(g, "{\"enterprises\": {\"E001\": {\"tnak\": {}}}}", "tnak");
    /* a figure the layout does not have */
    expect_error(g, "{\"assets\": {\"T102\": {\"level_high_high_m\": 9}}}", "height_m");
    expect_error(g, "{\"assets\": {\"P2\": {\"pressure_high_mpa\": 1}}}", "design_pressure_mpa");
    /* limits out of order, named with the asset */
    expect_error(g, "{\"assets\": {\"T101\": {\"level_high_m\": 19}}}", "T101: level high (19)");
    expect_error(g, "{\"tank\": {\"level_low_low_pct\": 86}}", "low-low");
    expect_error(g, "{\"assets\": {\"GD2\": {\"alarm1\": 30}}}", "GD2: alarm1");
    expect_error(g, "not json", "not JSON");
    expect_error(g, "[1]", "not a JSON object");
    /* turning the offending rule off makes the same values acceptable */
    assets_rules r;
    derive_ok(g, "{\"assets\": {\"T101\": {\"level_high_m\": 19, \"off\": [\"level_high_high\"]}}}",
              &r);
    assert_true(find(&r, TK "T101.level", ALERT_HIGH)->rule.limit == 19);
    assets_rules_free(&r);
}

static void test_units_and_quantities(void **state) {
    geo_layout *g = *state;
    const geo_feature *tank = geo_get(g, (size_t)geo_find(g, "T101"));
    static const struct {
        const char *name, *quantity, *unit;
    } cases[] = {
        {"E001/tankfarm-1/T101.level", "level", "m"},
        {"E001/tankfarm-1/T101.temp", "temperature", "°C"},
        {"E001/tankfarm-1/T101.Temperature", "temperature", "°C"},
        {"E001/tankfarm-1/T101.pressure", "pressure", "MPa"},
        {"E001/pipeline-1/FT01.flow", "flow", "m³/h"},
        {"E001/gd-01/lel", "gas", "%LEL"},
        {"E001/gd-01.lel.value", "gas", "%LEL"},
        {"E001/gd-02/PPM", "gas", "ppm"},
        {"PARK/met-1/wind_speed", "wind_speed", "m/s"},
        {"PARK/met-1/wind_dir", "wind_dir", "°"},
        {"PARK/met-1/humidity", "humidity", "%"},
        {"PARK/met-1/temp", "temperature", "°C"},
        {"PARK/aq-1/PM2_5", "PM2_5", "µg/m³"},
        {"PARK/aq-1/PM2.5", "PM2_5", "µg/m³"},
        {"PARK/aq-1/pm10", "PM10", "µg/m³"},
        {"PARK/aq-1/SO2", "SO2", "µg/m³"},
        {"PARK/aq-1/NO2", "NO2", "µg/m³"},
        {"PARK/aq-1/O3.value", "O3", "µg/m³"},
        {"PARK/aq-1/CO", "CO", "mg/m³"},
        {"PARK/aq-1/co", "CO", "mg/m³"},
        {"E001/tankfarm-1/T101.density", "", ""},
        {"E001/tankfarm-1/T101.level_raw", "", ""},
        {"E001/value", "", ""},
        {"", "", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (strcmp(assets_quantity_of(tank, cases[i].name), cases[i].quantity))
            fail_msg("%s: quantity %s", cases[i].name, assets_quantity_of(tank, cases[i].name));
        if (strcmp(assets_unit_of(tank, cases[i].name), cases[i].unit))
            fail_msg("%s: unit %s", cases[i].name, assets_unit_of(tank, cases[i].name));
    }
    assert_string_equal(assets_unit_of(tank, NULL), "");
    /* the kind matters once: a weather station's barometer reads hPa */
    const geo_feature *met = geo_get(g, (size_t)geo_find(g, "MET1"));
    assert_string_equal(assets_unit_of(met, "PARK/met-1/pressure"), "hPa");
    assert_string_equal(assets_quantity_of(met, "PARK/met-1/pressure"), "pressure");
    assert_string_equal(assets_unit_of(met, "PARK/met-1/temp"), "°C");
    assert_string_equal(assets_unit_of(NULL, "PARK/met-1/pressure"), "MPa");
}

static void test_params_table(void **state) {
    (void)state;
    size_t n;
    const assets_param *p = assets_params(&n);
    assert_true(n >= 40);
    int found = 0;
    for (size_t i = 0; i < n; i++) {
        assert_true(*p[i].kind && *p[i].name && *p[i].unit && *p[i].basis);
        for (size_t j = 0; j < i; j++)
            assert_false(!strcmp(p[i].kind, p[j].kind) && !strcmp(p[i].name, p[j].name));
        geo_kind k;
        assert_true(geo_kind_parse(p[i].kind, &k));
        if (!strcmp(p[i].kind, "tank") && !strcmp(p[i].name, "level_high_high_pct"))
            found += p[i].dflt == 90;
        if (!strcmp(p[i].kind, "pipeline") && !strcmp(p[i].name, "flow_imbalance_pct"))
            found += p[i].dflt == 2;
        if (!strcmp(p[i].kind, "weather_station") && !strcmp(p[i].name, "wind_speed_high_ms"))
            found += p[i].dflt == 10.8;
        if (!strcmp(p[i].kind, "aq_station") && !strcmp(p[i].name, "O3_1h"))
            found += p[i].dflt == 200;
        if (!strcmp(p[i].kind, "tank") && !strcmp(p[i].name, "level_high_high_m"))
            found += isnan(p[i].dflt); /* not set: from the percentage */
    }
    assert_int_equal(found, 5);
}

/* HS1 (T101 with level, temperature, pressure; T102 with level and
 * temperature, no design pressure; GD1 30 m away) is complete. HS2's T103
 * (design 1 MPa) has only a level: temperature and pressure are missing,
 * and no detector is within 50 m of HS2 (GD2 is 310 m away). */
static void test_monitoring(void **state) {
    geo_layout *g = *state;
    size_t hs1 = (size_t)geo_find(g, "HS1"), hs2 = (size_t)geo_find(g, "HS2");
    size_t t103 = (size_t)geo_find(g, "T103");
    assets_gaps gaps;
    char err[256];
    assert_int_equal(assets_check_monitoring(g, &gaps, err, sizeof err), 0);
    assert_int_equal(gaps.sources_checked, 2);
    assert_int_equal(gaps.n, 3);
    assert_int_equal(gaps.v[0].hazard_source, hs2);
    assert_int_equal(gaps.v[0].asset, t103);
    assert_string_equal(gaps.v[0].missing, "temperature");
    assert_int_equal(gaps.v[1].asset, t103);
    assert_string_equal(gaps.v[1].missing, "pressure");
    assert_int_equal(gaps.v[2].hazard_source, hs2);
    assert_int_equal(gaps.v[2].asset, hs2);
    assert_string_equal(gaps.v[2].missing, "gas");
    assets_gaps_free(&gaps);

    /* HS1 holds T101, T102 and P2 (which crosses it), in layout order */
    size_t *v, n;
    assert_int_equal(assets_of_hazard_source(g, hs1, &v, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(v[0], (size_t)geo_find(g, "T101"));
    assert_int_equal(v[1], (size_t)geo_find(g, "T102"));
    assert_int_equal(v[2], (size_t)geo_find(g, "P2"));
    free(v);
    assert_int_equal(assets_of_hazard_source(g, hs2, &v, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(v[0], t103);
    free(v);
    /* not a hazard source, or no such feature */
    assert_int_equal(assets_of_hazard_source(g, t103, &v, &n), -1);
    assert_int_equal(assets_of_hazard_source(g, geo_count_all(g), &v, &n), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_worked_by_hand),
        cmocka_unit_test(test_stable_order),
        cmocka_unit_test(test_override_scopes),
        cmocka_unit_test(test_off),
        cmocka_unit_test(test_override_errors),
        cmocka_unit_test(test_units_and_quantities),
        cmocka_unit_test(test_params_table),
        cmocka_unit_test(test_monitoring),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
