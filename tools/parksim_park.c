/*
 * parksim_park.c - parksim's park: the gases, the enterprises' devices and
 * tags (made up from --seed, or from a --park layout), one sample of a tag
 * (its drift, noise and steps, and what the incidents do to it), and the
 * park written as GeoJSON for --layout.
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "parksim.h"

/* Design pressures (MPa gauge) of pressurised storage: GB 150 practice,
 * about the vapour pressure at 50 degC plus a margin (propane spheres
 * 1.77, ammonia and propylene 2.16, chlorine 1.6, butane 0.79). */
const gas gases[] = {
    {"propane", 44.10, 2.1, 0, 0, 0, 580, 20, 850, 1.77},
    {"ethylene", 28.05, 2.7, 0, 0, 0, 568, -103, 115, 0}, /* refrigerated */
    {"benzene", 78.11, 1.2, 0, 6, 12, 876, 20, 103, 0},
    {"methanol", 32.04, 6.7, 0, 25, 50, 792, 20, 103, 0},
    {"toluene", 92.14, 1.2, 0, 50, 100, 867, 20, 103, 0},
    {"ammonia", 17.03, 15.0, 100, 20, 40, 682, 20, 860, 2.16},
    {"chlorine", 70.90, 0, 10, 1, 2, 1470, 20, 680, 1.6},
    {"hydrogen sulfide", 34.08, 4.0, 100, 10, 20, 790, 20, 1800, 2.5},
    {"propylene", 42.08, 2.0, 0, 0, 0, 514, 20, 1020, 2.16},
    {"butane", 58.12, 1.8, 0, 0, 0, 573, 20, 310, 0.79},
};
const size_t n_gases = sizeof gases / sizeof gases[0];

const gas *gas_by_name(const char *name, const gas *fallback) {
    for (size_t i = 0; name && i < n_gases; i++)
        if (!strcasecmp(gases[i].name, name)) return &gases[i];
    return fallback;
}

double ppm_of_mg(double mg_m3, const gas *g) {
    return mg_m3 * 24.45 / g->mw;
}

uint64_t rnd(void) {
    uint64_t x = rng_state;
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    return rng_state = x;
}

double urand(void) {
    return (double)(rnd() >> 11) / 9007199254740992.0;
}

double nrand(void) { /* cheap normal, sd 0.5: sum of three uniforms */
    return urand() + urand() + urand() - 1.5;
}

client *add_client(const char *ent) {
    if (n_clients == MAX_ENT + 1) return NULL;
    clients = xrealloc(clients, (size_t)(n_clients + 1) * sizeof *clients);
    client *c = calloc(1, sizeof *c);
    if (!c) exit(1);
    int e = n_clients;
    clients[n_clients++] = c;
    snprintf(c->ent, sizeof c->ent, "%s", ent);
    /* mixed: json, neuron values, neuron tags, line protocol in turn (PARK
     * json); neuron: the two Neuron variants in turn (park_format.h, as
     * parkgen --format names a layout's series). */
    c->fmt = park_format_of(opt.fmt, e, !strcmp(ent, "PARK"));
    c->connack = -1;
    return c;
}

client *find_client(const char *ent) {
    for (int k = 0; k < n_clients; k++)
        if (!strcmp(clients[k]->ent, ent)) return clients[k];
    return NULL;
}

device *find_device(client *c, const char *name) {
    for (int j = 0; c && j < c->n_devs; j++)
        if (!strcmp(c->devs[j].name, name)) return &c->devs[j];
    return NULL;
}

static device *add_device(client *c, const char *name, dev_kind kind, double x, double y) {
    c->devs = xrealloc(c->devs, (size_t)(c->n_devs + 1) * sizeof *c->devs);
    device *d = &c->devs[c->n_devs++];
    memset(d, 0, sizeof *d);
    snprintf(d->name, sizeof d->name, "%s", name);
    snprintf(d->topic, sizeof d->topic, "park/%s/%s/data", c->ent, name);
    d->kind = kind;
    d->x = d->x1 = x, d->y = d->y1 = y;
    d->design_mpa = 2.5;
    return d;
}

/* A tag of device d (of client c), with its drift/noise model. */
static tag *add_tag(client *c, device *d, const char *name, tag_kind kind, double base, double amp,
                    double noise, int decimals, double lo, double hi) {
    d->tags = xrealloc(d->tags, (size_t)(d->n_tags + 1) * sizeof *d->tags);
    tag *t = &d->tags[d->n_tags++];
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    const char *dot = strchr(t->name, '.');
    t->group_len = dot ? (int)(dot - t->name) : 0;
    char stored[40];
    park_stored_tag(stored, sizeof stored, t->name, c->fmt);
    snprintf(t->series, sizeof t->series, "%s/%s/%s", c->ent, d->name, stored);
    t->kind = kind, t->base = base, t->amp = amp, t->noise = noise, t->decimals = decimals;
    t->lo = lo, t->hi = hi, t->x = d->x, t->y = d->y;
    /* quantized from the start: a tag frozen before its first sample
     * publishes what the ledger says */
    t->raw = base, t->value = quantize(base, decimals);
    t->base_lo = base - 3 * fabs(amp), t->base_hi = base + 3 * fabs(amp);
    t->period = 1800 + 5400 * urand(), t->phase = 2 * PI * urand(), t->step_p = 0.0005;
    return t;
}

/* A tag of a tank holding g, at (x, y): leaf "level" (m), "temp" (degC)
 * or "pressure" (MPa gauge). Normal operation stays clear of the alarm
 * limits derived from the layout (assets/): level 25-72 % of the height
 * give or take its swing, temperature about 13-30 degC, a pressurised
 * tank 42-71 % of its design pressure (design_mpa, else the gas's). */
static tag *add_tank_tag(client *c, device *d, const char *name, const char *leaf, const gas *g,
                         double capacity, double density, double height_m, double design_mpa,
                         double x, double y) {
    tag *t;
    if (!strcmp(leaf, "level")) {
        double height = 15 + 5 * urand(); /* drawn even when given: the same park for a seed */
        if (height_m > 0) height = height_m;
        /* a radar gauge's reading wanders by its resolution (1 cm) */
        t = add_tag(c, d, name, TK_LEVEL, height * (0.3 + 0.4 * urand()), fmin(0.3, 0.02 * height),
                    0.012, 2, 0, height);
        t->period = 3600 * (2 + 4 * urand()), t->area = capacity / height;
        t->base_lo = 0.25 * height, t->base_hi = 0.72 * height;
    } else if (!strcmp(leaf, "temp")) {
        t = add_tag(c, d, name, TK_GENERIC, g->temp_c + 4 * urand() - 2, 1.5, 0.08, 1, -200, 150);
        t->base_lo = g->temp_c - 5, t->base_hi = g->temp_c + 8;
    } else {
        double design = design_mpa > 0 ? design_mpa : g->design_mpa;
        if (design > 0) { /* pressurised storage breathes with the temperature */
            t = add_tag(c, d, name, TK_GENERIC, design * (0.45 + 0.2 * urand()), 0.03 * design,
                        0.004, 3, 0, 2 * design);
            t->base_lo = 0.45 * design, t->base_hi = 0.68 * design;
        } else { /* atmospheric tanks sit a little above the atmosphere (breather valves) */
            t = add_tag(c, d, name, TK_GENERIC, fmax(0.002, (g->press_kpa - 101.325) / 1000),
                        0.0005, 0.0008, 3, 0, 0.05);
        }
        t->design = design;
    }
    t->x = x, t->y = y, t->gas = g, t->capacity = capacity, t->density = density;
    return t;
}

static void add_tank(client *c, device *d, int number, const gas *g, double capacity, double x,
                     double y) {
    const char *leaves[] = {"level", "temp", "pressure"};
    for (int k = 0; k < 3; k++) {
        char n[32];
        snprintf(n, sizeof n, "T%d.%s", number, leaves[k]);
        add_tank_tag(c, d, n, leaves[k], g, capacity, g->density, 0, 0, x, y);
    }
}

/* A gas detector's one tag: "lel" (combustible) or "ppm" (toxic). */
static void add_detector_tag(client *c, device *d, const gas *g, bool toxic) {
    tag *t;
    if (toxic) {
        double fs = g->fs_ppm > 0 ? g->fs_ppm : 100;
        /* a zero offset and noise of a few resolution steps: a live
         * sensor's reading is never flat for long (a stuck one is) */
        t = add_tag(c, d, "ppm", TK_PPM, fs / 500, 0, fs / 500, fs <= 10 ? 2 : 1, 0, fs);
    } else {
        t = add_tag(c, d, "lel", TK_LEL, 0.2, 0, 0.3, 1, 0, 100);
    }
    t->gas = g, t->step_p = 0;
}

/* Generic transmitters until the enterprise has n tags (100 a device). */
static void add_transmitters(client *c, int n, double x, double y) {
    int have = 0;
    for (int i = 0; i < c->n_devs; i++) have += c->devs[i].n_tags;
    for (int dv = 0; have < n; dv++) {
        char name[32];
        snprintf(name, sizeof name, "tx-%02d", dv + 1);
        device *d = add_device(c, name, DK_OTHER, x, y);
        for (int k = 0; k < 100 && have < n; k++, have++) {
            snprintf(name, sizeof name, "AI%04d", dv * 100 + k);
            add_tag(c, d, name, TK_GENERIC, 100 * urand(), 2, 0.05, 2, -1e6, 1e6);
        }
    }
}

/* The park's weather station and air-quality stations. Air quality in
 * ug/m3 (CO mg/m3) around GB 3095-2012 grade II levels
 * (docs/reference/air-quality-gb3095.md, table 1). */
static void add_met_tags(client *c, device *d, const char *leaf) {
    tag *t = NULL;
    if (!strcmp(leaf, "wind_speed")) { /* a breeze, below force 6 (10.8 m/s) */
        t = add_tag(c, d, leaf, TK_WIND_SPEED, 3.5, 1.5, 0.3, 1, 0.3, 30);
        t->period = 1800, t->base_lo = 2, t->base_hi = 5;
    } else if (!strcmp(leaf, "wind_dir")) { /* a prevailing easterly */
        t = add_tag(c, d, leaf, TK_WIND_DIR, 90, 15, 4, 1, 0, 360);
        t->period = 3600, t->base_lo = 60, t->base_hi = 120;
    } else if (!strcmp(leaf, "temp")) {
        t = add_tag(c, d, leaf, TK_DIURNAL, 18, 5, 0.1, 1, -30, 45);
        t->base_lo = 14, t->base_hi = 22;
    } else if (!strcmp(leaf, "humidity")) {
        t = add_tag(c, d, leaf, TK_DIURNAL, 65, -15, 0.5, 1, 5, 100);
        t->base_lo = 55, t->base_hi = 75;
    }
}

static void add_aq_tag(client *c, device *d, const char *leaf) {
    static const char *names[] = {"PM2_5", "PM10", "SO2", "NO2", "CO", "O3"};
    static const double base[] = {40, 70, 12, 35, 0.8, 80};
    for (int k = 0; k < 6; k++)
        if (!strcmp(leaf, names[k])) {
            tag *t = add_tag(c, d, leaf, TK_GENERIC, base[k], base[k] * 0.3, base[k] * 0.03,
                             k == 4 ? 2 : 1, 0, 1000);
            /* below the grade II limits (PM2.5 75, PM10 150, SO2 150, NO2 80,
             * CO 4 mg/m3, O3 160 ug/m3) with the swing and noise on top */
            t->base_lo = 0.6 * base[k], t->base_hi = 1.2 * base[k];
            return;
        }
    add_tag(c, d, leaf, TK_GENERIC, 10, 2, 0.1, 1, 0, 1000);
}

/* A pipeline's pressure transmitter: about 61-77 % of the line's design
 * pressure, clear of its high alarm (90 %) and low-low (20 %). */
static tag *add_pipe_pressure(client *c, device *d, const char *name) {
    double dp = d->design_mpa;
    tag *t = add_tag(c, d, name, TK_GENERIC, dp * (0.64 + 0.1 * urand()), 0.02 * dp, 0.006 * dp, 2,
                     0, 10);
    t->base_lo = 0.64 * dp, t->base_hi = 0.74 * dp, t->design = dp;
    return t;
}

/* A pipeline's flow meter (m3/h). The first is the inlet; any later one
 * (the outlet) reads what went in less a meter error of at most 0.45 %
 * (a bias of its own and a jitter): no imbalance unless a pipeline-leak
 * incident takes some away. */
static tag *add_flow(client *c, device *d, const char *name) {
    int inlet = -1;
    for (int q = 0; q < d->n_tags && inlet < 0; q++)
        if (d->tags[q].kind != TK_FLOW_OUT && strstr(d->tags[q].name, ".flow")) inlet = q;
    if (d->kind != DK_PIPELINE || inlet < 0) {
        tag *t = add_tag(c, d, name, TK_GENERIC, 120 + 40 * urand(), 10, 0.3, 1, 0, 500);
        t->base_lo = 100, t->base_hi = 170;
        return t;
    }
    tag *t = add_tag(c, d, name, TK_FLOW_OUT, 0, 0, 0.001, 1, 0, 500);
    t->ref = inlet, t->step_p = 0, t->meter_err = 0.003 * (urand() - 0.5);
    t->raw = d->tags[inlet].raw, t->value = d->tags[inlet].value;
    return t;
}

void build_park(void) {
    for (int e = 0; e < opt.n_ent; e++) {
        char id[16];
        snprintf(id, sizeof id, "E%03d", e + 1);
        client *c = add_client(id);
        /* Enterprise plots of 500 m on a grid 600 m apart, 4 a row. */
        double ox = (e % 4) * 600.0, oy = (e / 4) * 600.0;
        c->has_plot = true, c->px0 = ox, c->py0 = oy, c->px1 = ox + 500, c->py1 = oy + 500;
        /* The enterprise's main product, and the toxic gas its toxic
         * detectors watch (stored in its last tank when it is a liquefied
         * gas: ammonia, chlorine). */
        const gas *prod = &gases[e % 5]; /* propane .. toluene */
        const gas *toxic = &gases[e % 3 == 0 ? G_H2S : e % 3 == 1 ? G_AMMONIA : G_CHLORINE];
        device *tf = add_device(c, "tankfarm-1", DK_TANKFARM, ox + 150, oy + 150);
        int tanks = 3 + (int)(rnd() % 4);
        for (int k = 0; k < tanks; k++) {
            /* T101 is always the product; the last tank the toxic gas
             * when it can be stored, else more product or methanol. */
            const gas *g = k == 0                                     ? prod
                           : k == tanks - 1 && toxic != &gases[G_H2S] ? toxic
                           : k % 2                                    ? &gases[3]
                                                                      : prod;
            double cap = 1000.0 * (2 + (int)(rnd() % 8));
            add_tank(c, tf, 101 + k, g, cap, ox + 100 + 35 * k, oy + 150);
        }
        double t101x = tf->tags[0].x, t101y = tf->tags[0].y;
        double lastx = tf->tags[3 * (tanks - 1)].x;
        tf->x = (t101x + lastx) / 2, tf->y = t101y;
        device *pl = add_device(c, "pipeline-1", DK_PIPELINE, ox + 50, oy + 400);
        pl->x1 = ox + 450, pl->y1 = oy + 400;
        add_pipe_pressure(c, pl, "PT01.pressure");
        add_flow(c, pl, "FT01.flow");
        pl->tags[0].gas = pl->tags[1].gas = prod;
        int dets = 4 + (int)(rnd() % 7);
        for (int k = 0; k < dets; k++) {
            char n[32];
            snprintf(n, sizeof n, "gd-%02d", k + 1);
            /* Detectors 15 m from the tanks they guard (as layout_gen
             * places them): gd-01 west of T101, downwind of the prevailing
             * easterly; gd-02 east of the last tank, upwind; the rest
             * around the plot, every third a toxic one. */
            double x, y;
            if (k == 0)
                x = t101x - 15, y = t101y;
            else if (k == 1)
                x = lastx + 15, y = t101y;
            else
                x = ox + 30 + 440 * urand(), y = oy + 30 + 440 * urand();
            device *d = add_device(c, n, DK_DETECTOR, x, y);
            bool tox = k % 3 == 2;
            add_detector_tag(c, d, tox ? toxic : prod, tox);
        }
        if (opt.tags_per_ent > 0) add_transmitters(c, opt.tags_per_ent, ox + 300, oy + 300);
    }
    client *p = add_client("PARK");
    double w = (opt.n_ent < 4 ? opt.n_ent : 4) * 600.0, h = ((opt.n_ent + 3) / 4) * 600.0;
    device *met = add_device(p, "met-1", DK_MET, w / 2, h + 50);
    const char *mt[] = {"wind_speed", "wind_dir", "temp", "humidity"};
    for (int k = 0; k < 4; k++) add_met_tags(p, met, mt[k]);
    const char *aq[] = {"PM2_5", "PM10", "SO2", "NO2", "CO", "O3"};
    for (int s = 0; s < 2; s++) {
        char n[16];
        snprintf(n, sizeof n, "aq-%d", s + 1);
        device *d = add_device(p, n, DK_AQ, s ? w + 50 : -150, h / 2);
        for (int k = 0; k < 6; k++) add_aq_tag(p, d, aq[k]);
    }
}

/* ---- a park from a layout ---- */

static double num_prop(json_t *props, const char *key, double dflt) {
    json_t *v = json_object_get(props, key);
    return json_is_number(v) ? json_number_value(v) : dflt;
}

/* A tag from its series name and the feature that lists it. */
static void add_layout_tag(client *c, device *d, const char *name, json_t *props, const char *kind,
                           double x, double y) {
    const char *leaf = strrchr(name, '.') ? strrchr(name, '.') + 1 : name;
    const char *sub = json_string_value(json_object_get(props, "substance"));
    const char *gname = json_string_value(json_object_get(props, "gas"));
    const char *type = json_string_value(json_object_get(props, "type"));
    if (!strcmp(kind, "tank") &&
        (!strcmp(leaf, "level") || !strcmp(leaf, "temp") || !strcmp(leaf, "pressure"))) {
        const gas *g = gas_by_name(sub, &gases[G_PROPANE]);
        add_tank_tag(c, d, name, leaf, g, num_prop(props, "capacity_m3", 5000),
                     num_prop(props, "density", g->density), num_prop(props, "height_m", 0),
                     num_prop(props, "design_pressure_mpa", 0), x, y);
        return;
    }
    tag *t = NULL;
    if (!strcmp(leaf, "lel") || !strcmp(leaf, "ppm")) {
        bool toxic = !strcmp(leaf, "ppm") || (type && !strcmp(type, "toxic"));
        const gas *g = gas_by_name(gname, toxic ? &gases[G_H2S] : &gases[G_PROPANE]);
        add_detector_tag(c, d, g, toxic);
        t = &d->tags[d->n_tags - 1];
        if (strcmp(t->name, name)) { /* e.g. a toxic "lel"? keep the layout's name */
            char stored[40];
            snprintf(t->name, sizeof t->name, "%s", name);
            park_stored_tag(stored, sizeof stored, name, c->fmt);
            snprintf(t->series, sizeof t->series, "%s/%s/%s", c->ent, d->name, stored);
        }
    } else if (!strcmp(leaf, "pressure") && !strncmp(name, "PT", 2)) {
        t = add_pipe_pressure(c, d, name);
    } else if (!strcmp(leaf, "flow")) {
        t = add_flow(c, d, name);
    } else if (!strcmp(kind, "weather_station") &&
               (!strcmp(leaf, "wind_speed") || !strcmp(leaf, "wind_dir") || !strcmp(leaf, "temp") ||
                !strcmp(leaf, "humidity"))) {
        add_met_tags(c, d, leaf);
        t = &d->tags[d->n_tags - 1];
    } else if (!strcmp(kind, "aq_station")) {
        add_aq_tag(c, d, leaf);
        t = &d->tags[d->n_tags - 1];
    } else {
        t = add_tag(c, d, name, TK_GENERIC, 50 * urand(), 5, 0.5, 1, 0, 1000);
    }
    t->x = x, t->y = y;
    if (!t->gas && sub) t->gas = gas_by_name(sub, NULL); /* a pipeline's substance */
}

/* The park from a layout file (parkgen's, or a real one): one device per
 * {enterprise}/{device} of the features' series, placed where its first
 * feature is, each tank's tags where that tank is (metres from the
 * layout's first position). */
int build_park_from_layout(const char *path) {
    json_error_t je;
    json_t *doc = json_load_file(path, 0, &je);
    json_t *features = json_object_get(doc, "features");
    if (!json_is_array(features)) {
        fprintf(stderr, "parksim: %s: not a GeoJSON FeatureCollection (%s)\n", path, je.text);
        json_decref(doc);
        return -1;
    }
    double lon0 = NAN, lat0 = NAN;
    size_t i;
    json_t *f;
    int n_renamed = 0;
    char renamed[240] = "";
    /* Enterprise plots (bounding boxes), given to the enterprises that have series. */
    struct plot {
        char id[16];
        double x0, y0, x1, y1;
    } *plots = NULL;
    size_t n_plots = 0;
    json_array_foreach(features, i, f) {
        json_t *geom = json_object_get(f, "geometry"), *props = json_object_get(f, "properties");
        json_t *co = json_object_get(geom, "coordinates");
        while (json_is_array(json_array_get(co, 0))) co = json_array_get(co, 0);
        double lon = json_number_value(json_array_get(co, 0)),
               lat = json_number_value(json_array_get(co, 1));
        if (isnan(lon0)) lon0 = frame_lon0 = lon, lat0 = frame_lat0 = lat;
        double mlon = M_LAT * cos(lat0 * PI / 180);
        double x = (lon - lon0) * mlon, y = (lat - lat0) * M_LAT;
        const char *kind = json_string_value(json_object_get(props, "kind"));
        if (!kind) kind = "";
        const char *fid = json_string_value(json_object_get(props, "id"));
        if (!strcmp(kind, "enterprise") && fid && strlen(fid) < sizeof plots->id) {
            plots = xrealloc(plots, (n_plots + 1) * sizeof *plots);
            struct plot *pl = &plots[n_plots++];
            snprintf(pl->id, sizeof pl->id, "%s", fid);
            pl->x0 = pl->y0 = INFINITY, pl->x1 = pl->y1 = -INFINITY;
            /* The outer ring (of the first polygon of a MultiPolygon). */
            size_t v;
            json_t *pt, *ring = json_array_get(json_object_get(geom, "coordinates"), 0);
            if (json_is_array(json_array_get(json_array_get(ring, 0), 0)))
                ring = json_array_get(ring, 0);
            json_array_foreach(ring, v, pt) {
                double px = (json_number_value(json_array_get(pt, 0)) - lon0) * mlon,
                       py = (json_number_value(json_array_get(pt, 1)) - lat0) * M_LAT;
                pl->x0 = fmin(pl->x0, px), pl->x1 = fmax(pl->x1, px);
                pl->y0 = fmin(pl->y0, py), pl->y1 = fmax(pl->y1, py);
            }
        }
        size_t k;
        json_t *s;
        json_array_foreach(json_object_get(props, "series"), k, s) {
            const char *name = json_string_value(s);
            char ent[16], dev[32], tagname[32];
            if (!name || sscanf(name, "%15[^/]/%31[^/]/%31s", ent, dev, tagname) != 3) continue;
            /* "lel.value": a tag without a dot as line protocol stores it. */
            size_t tl = strlen(tagname);
            if (tl > 6 && !strcmp(tagname + tl - 6, ".value")) tagname[tl - 6] = 0;
            client *c = find_client(ent);
            if (!c && !(c = add_client(ent))) {
                fprintf(stderr, "parksim: %s: more than %d enterprises\n", path, MAX_ENT + 1);
                json_decref(doc);
                return -1;
            }
            device *d = find_device(c, dev);
            if (!d) {
                dev_kind dk = !strcmp(kind, "tank")              ? DK_TANKFARM
                              : !strcmp(kind, "pipeline")        ? DK_PIPELINE
                              : !strcmp(kind, "gas_detector")    ? DK_DETECTOR
                              : !strcmp(kind, "weather_station") ? DK_MET
                              : !strcmp(kind, "aq_station")      ? DK_AQ
                                                                 : DK_OTHER;
                d = add_device(c, dev, dk, x, y);
                if (dk == DK_PIPELINE) {
                    json_t *line = json_object_get(geom, "coordinates");
                    json_t *last = json_array_get(line, json_array_size(line) - 1);
                    if (json_is_array(last) && json_is_number(json_array_get(last, 0))) {
                        d->x1 = (json_number_value(json_array_get(last, 0)) - lon0) * mlon;
                        d->y1 = (json_number_value(json_array_get(last, 1)) - lat0) * M_LAT;
                    }
                    d->design_mpa = num_prop(props, "design_pressure_mpa", 2.5);
                }
            }
            int had = d->n_tags;
            add_layout_tag(c, d, tagname, props, kind, x, y);
            /* Stored as the layout names it? Not when the layout was made
             * for another --format (parkgen --format F names them for F). */
            if (d->n_tags > had && strcmp(d->tags[d->n_tags - 1].series, name) && !n_renamed++)
                snprintf(renamed, sizeof renamed, "%s is stored as %s", name,
                         d->tags[d->n_tags - 1].series);
        }
    }
    json_decref(doc);
    if (n_renamed)
        fprintf(stderr,
                "parksim: %s: %d series are stored under another name than the layout's (%s): "
                "no alarm rule made for the layout watches them; make the layout for this "
                "--format (parkgen --format)\n",
                path, n_renamed, renamed);
    for (size_t k = 0; k < n_plots; k++) {
        client *c = find_client(plots[k].id);
        if (!c || !isfinite(plots[k].x0)) continue;
        c->has_plot = true;
        c->px0 = plots[k].x0, c->py0 = plots[k].y0, c->px1 = plots[k].x1, c->py1 = plots[k].y1;
    }
    free(plots);
    if (!n_clients) {
        fprintf(stderr, "parksim: %s: no feature has series to play\n", path);
        return -1;
    }
    for (int k = 0; opt.tags_per_ent > 0 && k < n_clients; k++)
        if (strcmp(clients[k]->ent, "PARK"))
            add_transmitters(clients[k], opt.tags_per_ent, clients[k]->devs[0].x,
                             clients[k]->devs[0].y);
    return 0;
}

double quantize(double v, int dec) {
    static const double scale[] = {1, 10, 100, 1000};
    double s = scale[dec < 0 ? 0 : dec > 3 ? 3 : dec];
    return (double)llround(v * s) / s;
}

/* One sample of tag tg of device d at run time t (s) and timestamp ts (ms). */
void step_tag(double t, int64_t ts, const device *d, tag *tg) {
    if (tg->frozen) return; /* the last value, bit for bit */
    if (tg->spiked) {       /* as told, even beyond the span, at the tag's resolution */
        tg->value = quantize(tg->spike_value, tg->decimals);
        return;
    }
    if (tg->step_p > 0 && urand() < tg->step_p) {
        tg->base += fabs(tg->amp) * (urand() - 0.5);
        tg->base = fmax(tg->base_lo, fmin(tg->base_hi, tg->base));
    }
    double secs = (double)ts / 1000.0, v;
    if (tg->kind == TK_FLOW_OUT) /* the inlet's reading (sampled first), less leaks and error */
        v = d->tags[tg->ref].raw * (1 - pipeline_loss(t, tg)) *
            (1 - tg->meter_err - tg->noise * nrand());
    else if (tg->kind == TK_DIURNAL) /* warmest (or driest) at 14 h local time */
        v = tg->base + tg->amp * sin(2 * PI * (fmod(secs / 3600 + 8, 24) - 8) / 24);
    else
        v = tg->base + tg->amp * sin(2 * PI * secs / tg->period + tg->phase);
    if (tg->kind != TK_FLOW_OUT) v += tg->noise * nrand();
    switch (tg->kind) {
        case TK_WIND_DIR:
            v = fmod(v + 360, 360);
            wind_dir = v;
            break;
        case TK_WIND_SPEED:
            v = fmax(tg->lo, v);
            wind_speed = v;
            break;
        case TK_LEVEL:
            v -= drained(t, tg);
            break;
        case TK_LEL:
        case TK_PPM:
            v += leak_reading(t, ts, tg);
            break;
        default:
            break;
    }
    v += incident_offset(t, tg);
    tg->raw = v;
    /* A 4-20 mA transmitter reads within its span. */
    v = fmax(tg->lo, fmin(tg->hi, v));
    tg->value = quantize(v, tg->decimals);
    if (tg->kind == TK_WIND_DIR && tg->value >= 360) tg->value = 0;
}

/* ---- layout ---- */

static void lonlat(double x, double y, double *lon, double *lat) {
    *lon = frame_lon0 + x / (M_LAT * cos(frame_lat0 * PI / 180));
    *lat = frame_lat0 + y / M_LAT;
}

static void feature_start(FILE *f, bool *first, const char *geom_type, const double *xy, int n,
                          bool ring) {
    fprintf(f, "%s{\"type\": \"Feature\", \"geometry\": {\"type\": \"%s\", \"coordinates\": %s",
            *first ? "" : ",\n", geom_type,
            ring    ? "[["
            : n > 1 ? "["
                    : "");
    for (int i = 0; i < n; i++) {
        double lon, lat;
        lonlat(xy[2 * i], xy[2 * i + 1], &lon, &lat);
        fprintf(f, "%s[%.7f, %.7f]", i ? ", " : "", lon, lat);
    }
    fprintf(f, "%s}, \"properties\": {", ring ? "]]" : n > 1 ? "]" : "");
    *first = false;
}

static void series_list(FILE *f, const device *d, const char *prefix, int prefix_len) {
    fprintf(f, "\"series\": [");
    bool any = false;
    for (int q = 0; q < d->n_tags; q++) {
        const tag *t = &d->tags[q];
        if (prefix && (t->group_len != prefix_len || strncmp(t->name, prefix, (size_t)prefix_len)))
            continue;
        fprintf(f, "%s\"%s\"", any ? ", " : "", t->series);
        any = true;
    }
    fprintf(f, "]}}");
}

/* The park as GeoJSON (RFC 7946, WGS84 lon/lat around LON0/LAT0) in the
 * kinds and properties geo/geo.h loads. Generic transmitters (--tags-per-
 * enterprise) have no kind there and are left out. */
void write_layout(const char *path) {
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "parksim: cannot write %s: %s\n", path, strerror(errno));
        return;
    }
    fprintf(f, "{\"type\": \"FeatureCollection\", \"features\": [\n");
    bool first = true;
    for (int k = 0; k < n_clients; k++) {
        client *c = clients[k];
        if (c->has_plot) {
            double ring[] = {c->px0, c->py0, c->px1, c->py0, c->px1,
                             c->py1, c->px0, c->py1, c->px0, c->py0};
            feature_start(f, &first, "Polygon", ring, 5, true);
            fprintf(f, "\"id\": \"%s\", \"kind\": \"enterprise\", \"name\": \"Enterprise %d\"}}",
                    c->ent, atoi(c->ent + 1));
        }
        for (int j = 0; j < c->n_devs; j++) {
            device *d = &c->devs[j];
            switch (d->kind) {
                case DK_TANKFARM:
                    for (int q = 0; q < d->n_tags; q++) {
                        tag *t = &d->tags[q];
                        if (t->kind != TK_LEVEL) continue;
                        double xy[] = {t->x, t->y};
                        feature_start(f, &first, "Point", xy, 1, false);
                        fprintf(f,
                                "\"id\": \"%s-%.*s\", \"kind\": \"tank\", \"enterprise\": \"%s\", "
                                "\"device\": \"%s\", \"capacity_m3\": %.0f, \"substance\": "
                                "\"%s\", \"density\": %.0f, \"height_m\": %.2f, ",
                                c->ent, t->group_len, t->name, c->ent, d->name, t->capacity,
                                t->gas->name, t->density, t->hi);
                        /* a pressurised tank's design pressure, as a layout gives it */
                        for (int k = 0; k < d->n_tags; k++)
                            if (d->tags[k].design > 0 && d->tags[k].group_len == t->group_len &&
                                !strncmp(d->tags[k].name, t->name, (size_t)t->group_len))
                                fprintf(f, "\"design_pressure_mpa\": %g, ", d->tags[k].design);
                        series_list(f, d, t->name, t->group_len);
                    }
                    break;
                case DK_PIPELINE: {
                    double xy[] = {d->x, d->y, d->x1, d->y1};
                    feature_start(f, &first, "LineString", xy, 2, false);
                    const gas *g = d->n_tags && d->tags[0].gas ? d->tags[0].gas : &gases[0];
                    fprintf(f,
                            "\"id\": \"%s-%s\", \"kind\": \"pipeline\", \"enterprise\": \"%s\", "
                            "\"device\": \"%s\", \"substance\": \"%s\", \"design_pressure_mpa\": "
                            "%g, ",
                            c->ent, d->name, c->ent, d->name, g->name, d->design_mpa);
                    series_list(f, d, NULL, 0);
                    break;
                }
                case DK_DETECTOR: {
                    if (!d->n_tags || !d->tags[0].gas) break;
                    const tag *t = &d->tags[0];
                    bool toxic = t->kind == TK_PPM;
                    double a1 = toxic ? ppm_of_mg(t->gas->al_mg, t->gas) : 25;
                    double a2 = toxic ? ppm_of_mg(t->gas->ah_mg, t->gas) : 50;
                    double xy[] = {d->x, d->y};
                    feature_start(f, &first, "Point", xy, 1, false);
                    fprintf(f,
                            "\"id\": \"%s-%s\", \"kind\": \"gas_detector\", \"enterprise\": "
                            "\"%s\", \"device\": \"%s\", \"gas\": \"%s\", \"type\": \"%s\", "
                            "\"unit\": \"%s\", \"range\": [0, %g], \"alarm1\": %.2f, "
                            "\"alarm2\": %.2f, ",
                            c->ent, d->name, c->ent, d->name, t->gas->name,
                            toxic ? "toxic" : "combustible", toxic ? "ppm" : "%LEL", t->hi, a1, a2);
                    series_list(f, d, NULL, 0);
                    break;
                }
                case DK_MET:
                case DK_AQ: {
                    double xy[] = {d->x, d->y};
                    feature_start(f, &first, "Point", xy, 1, false);
                    fprintf(f, "\"id\": \"%s-%s\", \"kind\": \"%s\", \"device\": \"%s\", ", c->ent,
                            d->name, d->kind == DK_MET ? "weather_station" : "aq_station", d->name);
                    series_list(f, d, NULL, 0);
                    break;
                }
                case DK_OTHER:
                    break;
            }
        }
    }
    fprintf(f, "\n]}\n");
    if (fclose(f) != 0) fprintf(stderr, "parksim: writing %s: %s\n", path, strerror(errno));
}
