/*
 * units.c - the quantity and engineering unit of a series, from the last
 * part of its name (assets.h). The units are the park's instruments'
 * (docs/reference/process-limits.md section 7), in UTF-8.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "assets/assets.h"
#include "assets/internal.h"

/* One series name suffix: the quantity it measures and its unit. */
typedef struct suffix {
    const char *name; /* compared case-insensitively */
    const char *quantity, *unit;
} suffix;

static const suffix suffixes[] = {
    {"level", "level", "m"},
    {"temp", "temperature", "°C"},
    {"temperature", "temperature", "°C"},
    {"pressure", "pressure", "MPa"},
    {"flow", "flow", "m³/h"},
    {"lel", "gas", "%LEL"},
    {"ppm", "gas", "ppm"},
    {"wind_speed", "wind_speed", "m/s"},
    {"wind_dir", "wind_dir", "°"},
    {"humidity", "humidity", "%"},
    {"PM2_5", "PM2_5", "µg/m³"},
    {"PM2.5", "PM2_5", "µg/m³"}, /* whole last part, before the '.' split */
    {"PM10", "PM10", "µg/m³"},
    {"SO2", "SO2", "µg/m³"},
    {"NO2", "NO2", "µg/m³"},
    {"O3", "O3", "µg/m³"},
    {"CO", "CO", "mg/m³"}, /* GB 3095 gives CO in mg/m³ */
};

void units_last_part(const char *series_name, char *buf, size_t cap) {
    if (!cap) return;
    buf[0] = '\0';
    if (!series_name) return;
    const char *slash = strrchr(series_name, '/');
    const char *p = slash ? slash + 1 : series_name;
    size_t n = strlen(p);
    /* line protocol names: "gd-01.lel.value" is the lel field */
    if (n > 6 && !strcasecmp(p + n - 6, ".value")) n -= 6;
    snprintf(buf, cap, "%.*s", (int)n, p);
    if (!strcasecmp(buf, "PM2.5")) return;
    char *dot = strrchr(buf, '.');
    if (dot) memmove(buf, dot + 1, strlen(dot + 1) + 1);
}

static const suffix *suffix_of(const char *series_name) {
    char last[128];
    units_last_part(series_name, last, sizeof last);
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++)
        if (!strcasecmp(last, suffixes[i].name)) return &suffixes[i];
    return NULL;
}

/* The name decides, but for a weather station's pressure: the barometer
 * reads hPa, where a tank's or a line's transmitter reads MPa. */
const char *assets_unit_of(const geo_feature *f, const char *series_name) {
    const suffix *s = suffix_of(series_name);
    if (s && f && f->kind == GEO_WEATHER_STATION && !strcmp(s->quantity, "pressure")) return "hPa";
    return s ? s->unit : "";
}

const char *assets_quantity_of(const geo_feature *f, const char *series_name) {
    (void)f;
    const suffix *s = suffix_of(series_name);
    return s ? s->quantity : "";
}
