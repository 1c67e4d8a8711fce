/*
 * parksim - a chemical park on MQTT: enterprises with tank farms,
 * pipelines and gas detectors, and the park's weather and air-quality
 * stations, publishing telemetry in the three payload formats, with
 * incidents (a leak carried by the wind to the detectors, a frozen sensor,
 * a device going offline, a pressure spike).
 *
 * parksim [--host H] [--port P] [--enterprises N] [--seed S]
 *         [--format json|neuron|lineproto|mixed] [--rate HZ] [--fast]
 *         [--duration SECONDS] [--count MESSAGES] [--per-message N]
 *         [--tags-per-enterprise N] [--qos 0|1] [--client-prefix P]
 *         [--ledger FILE] [--incident SPEC]... [--layout FILE] [--park LAYOUT]
 *         [--start-ms T] [--quiet]
 *
 * --park plays the devices of a layout (parkgen's demo park or a real one:
 * every series of every feature), placed where the layout puts them;
 * without it parksim makes up a park of --enterprises enterprises.
 *
 * One MQTT connection per enterprise (and one for the park, "PARK"), as
 * each enterprise's gateway would have, with a last will on
 * park/{E}/gateway/status. Readings go to park/{E}/{device}/data; series are
 * {E}/{device}/{tag} on the receiving side for every format (Neuron: node =
 * device, group "g" and tags named so that "{group}.{tag}" is the tag).
 *
 * --ledger writes one line per reading of every message the broker
 * acknowledged (PUBACK, QoS 1): "<series> <ts_ms> <value %.17g>". The tests
 * check that each is in the historian. The last stdout line is a JSON
 * summary. Exit: 0 ok, 1 broker unreachable at start, 2 usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <mosquitto.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_ENT       100
#define MAX_INFLIGHT  200 /* libmosquitto finds a PUBACK's message by a list walk */
#define MAX_INCIDENTS 32
#define PI            3.14159265358979323846

typedef enum { FMT_JSON, FMT_NEURON_VALUES, FMT_NEURON_TAGS, FMT_LP } fmt_t;

typedef struct tag {
    char name[32];                   /* e.g. T101.level */
    double base, amp, noise, step_p; /* drift and noise model */
    int decimals;                    /* quantization: 1 or 2 */
    double value;                    /* last published (quantized) */
    double lo, hi;                   /* physical range */
    bool frozen;
    bool spiked;
    double spike_value;
    int kind; /* 0 generic, 1 level, 2 lel, 3 ppm, 4 wind speed, 5 wind dir */
} tag;

typedef struct device {
    char name[32];
    double x, y; /* metres, park frame */
    tag *tags;
    int n_tags;
    bool offline;
    int64_t last_ts;
    int gas_mw; /* molar mass for ppm detectors */
} device;

typedef struct client {
    struct mosquitto *m;
    char ent[16];
    fmt_t fmt;
    device *devs;
    int n_devs;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int inflight;
    bool connected;
    uint64_t msgs, readings, acked_msgs, acked_readings;
    int *readings_by_mid;
    char **ledger_by_mid;
} client;

typedef struct incident {
    char kind[16], ent[16], dev[32], tag[32];
    double at, dur, rate, value;
    bool started, ended;
} incident;

static struct {
    const char *host, *prefix, *ledger_path, *layout_path, *park_path;
    int port, n_ent, qos, per_message, tags_per_ent;
    uint64_t seed;
    int fmt; /* -1 mixed */
    double rate, duration;
    long long count;
    bool fast, quiet;
    int64_t start_ms;
    incident inc[MAX_INCIDENTS];
    int n_inc;
} opt = {.host = "127.0.0.1",
         .prefix = "parksim",
         .port = 1883,
         .n_ent = 5,
         .qos = 1,
         .seed = 42,
         .fmt = FMT_JSON,
         .rate = 1,
         .duration = -1,
         .count = -1};

static client clients[MAX_ENT + 1];
static int n_clients;
static FILE *ledger;
static pthread_mutex_t ledger_mu = PTHREAD_MUTEX_INITIALIZER;
static volatile sig_atomic_t stop_flag;
static uint64_t rng_state;

static double wind_speed = 3.0, wind_dir = 90.0; /* from met-1: m/s, degrees the wind comes from */

static void on_signal(int sig) {
    (void)sig;
    stop_flag = 1;
}

static void logf_(const char *fmt, ...) {
    if (opt.quiet) return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "parksim: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static uint64_t rnd(void) {
    uint64_t x = rng_state;
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    return rng_state = x;
}

static double urand(void) {
    return (double)(rnd() >> 11) / 9007199254740992.0;
}

static double nrand(void) { /* cheap normal: sum of uniforms */
    return urand() + urand() + urand() - 1.5;
}

static int64_t wall_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static double mono(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

/* ---- the park ---- */

static tag *add_tag(device *d, const char *name, int kind, double base, double amp, double noise,
                    int decimals, double lo, double hi) {
    d->tags = realloc(d->tags, (size_t)(d->n_tags + 1) * sizeof *d->tags);
    if (!d->tags) exit(1);
    tag *t = &d->tags[d->n_tags++];
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    t->kind = kind, t->base = base, t->amp = amp, t->noise = noise, t->decimals = decimals;
    t->lo = lo, t->hi = hi, t->step_p = 0.0005, t->value = base;
    return t;
}

static device *add_device(client *c, const char *name, double x, double y) {
    c->devs = realloc(c->devs, (size_t)(c->n_devs + 1) * sizeof *c->devs);
    if (!c->devs) exit(1);
    device *d = &c->devs[c->n_devs++];
    memset(d, 0, sizeof *d);
    snprintf(d->name, sizeof d->name, "%s", name);
    d->x = x, d->y = y;
    return d;
}

/* The client of an enterprise, created on first use (layout mode). */
static client *client_for(const char *ent) {
    for (int k = 0; k < n_clients; k++)
        if (!strcmp(clients[k].ent, ent)) return &clients[k];
    if (n_clients == MAX_ENT + 1) return NULL;
    client *c = &clients[n_clients++];
    snprintf(c->ent, sizeof c->ent, "%s", ent);
    int e = n_clients - 1;
    c->fmt = opt.fmt >= 0 ? (fmt_t)opt.fmt : (fmt_t)(e % 4);
    if (opt.fmt == FMT_NEURON_VALUES && e % 2) c->fmt = FMT_NEURON_TAGS;
    return c;
}

/* A tag's model from its name, as a transmitter of that kind would read. */
static void add_named_tag(device *d, const char *name) {
    const char *leaf = strrchr(name, '.') ? strrchr(name, '.') + 1 : name;
    if (!strcmp(leaf, "level"))
        add_tag(d, name, 1, 4 + 10 * urand(), 0.5, 0.005, 2, 0, 20);
    else if (!strcmp(leaf, "temp"))
        add_tag(d, name, 0, 20 + 10 * urand(), 2, 0.05, 1, -20, 80);
    else if (!strcmp(leaf, "pressure") && !strncmp(name, "PT", 2))
        add_tag(d, name, 0, 1.6 + 0.4 * urand(), 0.05, 0.005, 2, 0, 10);
    else if (!strcmp(leaf, "pressure"))
        add_tag(d, name, 0, 105 + 5 * urand(), 1, 0.1, 1, 80, 300);
    else if (!strcmp(leaf, "flow"))
        add_tag(d, name, 0, 120 + 40 * urand(), 10, 1, 1, 0, 500);
    else if (!strcmp(leaf, "lel"))
        add_tag(d, name, 2, 0.5, 0.3, 0.1, 1, 0, 100);
    else if (!strcmp(leaf, "ppm")) {
        add_tag(d, name, 3, 0.2, 0.1, 0.05, 1, 0, 100);
        d->gas_mw = 34;
    } else if (!strcmp(leaf, "wind_speed"))
        add_tag(d, name, 4, 3.5, 1.5, 0.2, 1, 0.3, 20);
    else if (!strcmp(leaf, "wind_dir"))
        add_tag(d, name, 5, 90, 12, 3, 0, 0, 360);
    else
        add_tag(d, name, 0, 50 * urand(), 5, 0.5, 1, 0, 1000);
}

/* The park from a layout file (parkgen's, or a real one): one device per
 * {enterprise}/{device} of the features' series, placed where its first
 * feature is (metres from the layout's first position). */
static int build_park_from_layout(const char *path) {
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
    json_array_foreach(features, i, f) {
        json_t *c = json_object_get(json_object_get(f, "geometry"), "coordinates");
        while (json_is_array(json_array_get(c, 0))) c = json_array_get(c, 0);
        double lon = json_number_value(json_array_get(c, 0)),
               lat = json_number_value(json_array_get(c, 1));
        if (isnan(lon0)) lon0 = lon, lat0 = lat;
        double x = (lon - lon0) * 111320.0 * cos(lat0 * PI / 180), y = (lat - lat0) * 110850.0;
        size_t k;
        json_t *s;
        json_array_foreach(json_object_get(json_object_get(f, "properties"), "series"), k, s) {
            const char *name = json_string_value(s);
            char ent[16], dev[32], tagname[32];
            if (!name || sscanf(name, "%15[^/]/%31[^/]/%31s", ent, dev, tagname) != 3) continue;
            client *c = client_for(ent);
            if (!c) break;
            device *d = NULL;
            for (int j = 0; j < c->n_devs && !d; j++)
                if (!strcmp(c->devs[j].name, dev)) d = &c->devs[j];
            if (!d) d = add_device(c, dev, x, y);
            add_named_tag(d, tagname);
        }
    }
    json_decref(doc);
    if (!n_clients) {
        fprintf(stderr, "parksim: %s: no feature has series to play\n", path);
        return -1;
    }
    return 0;
}

static void build_park(void) {
    for (int e = 0; e < opt.n_ent; e++) {
        client *c = &clients[n_clients++];
        snprintf(c->ent, sizeof c->ent, "E%03d", e + 1);
        c->fmt = opt.fmt >= 0 ? (fmt_t)opt.fmt : (fmt_t)(e % 4);
        if (opt.fmt == FMT_NEURON_VALUES && e % 2) c->fmt = FMT_NEURON_TAGS; /* both variants */
        /* Enterprise plots on a grid, 600 m apart. */
        double ox = (e % 4) * 600.0, oy = (e / 4) * 600.0;
        device *tf = add_device(c, "tankfarm-1", ox + 150, oy + 150);
        int tanks = 3 + (int)(rnd() % 4);
        for (int k = 0; k < tanks; k++) {
            char n[32];
            snprintf(n, sizeof n, "T%d.level", 101 + k);
            add_tag(tf, n, 1, 4 + 10 * urand(), 0.5, 0.005, 2, 0, 20);
            snprintf(n, sizeof n, "T%d.temp", 101 + k);
            add_tag(tf, n, 0, 20 + 10 * urand(), 2, 0.05, 1, -20, 80);
            snprintf(n, sizeof n, "T%d.pressure", 101 + k);
            add_tag(tf, n, 0, 105 + 5 * urand(), 1, 0.1, 1, 80, 300);
        }
        const double tfx = tf->x, tfy = tf->y; /* add_device moves the array */
        device *pl = add_device(c, "pipeline-1", ox + 400, oy + 100);
        add_tag(pl, "PT01.pressure", 0, 1.6 + 0.4 * urand(), 0.05, 0.005, 2, 0, 10);
        add_tag(pl, "FT01.flow", 0, 120 + 40 * urand(), 10, 1, 1, 0, 500);
        int dets = 4 + (int)(rnd() % 7);
        for (int k = 0; k < dets; k++) {
            char n[32];
            snprintf(n, sizeof n, "gd-%02d", k + 1);
            /* The first two guard the tank farm: 80 m downwind of the
             * prevailing easterly, and 80 m south; the rest anywhere. */
            double dx = k == 0 ? -80 : k == 1 ? 0 : 60 + 480 * urand() - 150;
            double dy = k == 0 ? 0 : k == 1 ? -80 : 60 + 480 * urand() - 150;
            device *d = add_device(c, n, tfx + dx, tfy + dy);
            /* GB/T 50493-2019: combustible detectors read %LEL (alarms at 25/50 %LEL),
             * toxic ones ppm; here H2S, M = 34 g/mol (gas-detection-gb50493.md). */
            if (k % 3 == 2) {
                add_tag(d, "ppm", 3, 0.2, 0.1, 0.05, 1, 0, 100);
                d->gas_mw = 34;
            } else {
                add_tag(d, "lel", 2, 0.5, 0.3, 0.1, 1, 0, 100);
            }
        }
        /* Generic transmitters up to the requested size, 100 tags a device. */
        int have = 0;
        for (int i = 0; i < c->n_devs; i++) have += c->devs[i].n_tags;
        for (int dv = 0; have < opt.tags_per_ent; dv++) {
            char n[32];
            snprintf(n, sizeof n, "tx-%02d", dv + 1);
            device *d = add_device(c, n, ox + 300, oy + 300);
            for (int k = 0; k < 100 && have < opt.tags_per_ent; k++, have++) {
                snprintf(n, sizeof n, "AI%04d", dv * 100 + k);
                add_tag(d, n, 0, 100 * urand(), 2, 0.05, 2, -1e6, 1e6);
            }
        }
    }
    client *p = &clients[n_clients++];
    snprintf(p->ent, sizeof p->ent, "PARK");
    p->fmt = opt.fmt >= 0 ? (fmt_t)opt.fmt : FMT_JSON;
    device *met = add_device(p, "met-1", 1200, 1200);
    add_tag(met, "wind_speed", 4, 3.5, 1.5, 0.2, 1, 0.3, 20);
    add_tag(met, "wind_dir", 5, 90, 12, 3, 0, 0, 360); /* a prevailing easterly */
    add_tag(met, "temp", 0, 18, 6, 0.1, 1, -30, 45);
    add_tag(met, "humidity", 0, 60, 15, 0.5, 0, 5, 100);
    const char *aq[] = {"PM2_5", "PM10", "SO2", "NO2", "CO", "O3"};
    const double aqb[] = {45, 80, 12, 35, 0.8, 60};
    for (int s = 0; s < 2; s++) {
        char n[16];
        snprintf(n, sizeof n, "aq-%d", s + 1);
        device *d = add_device(p, n, s ? 2400 : 0, s ? 0 : 1200);
        for (int k = 0; k < 6; k++)
            add_tag(d, aq[k], 0, aqb[k], aqb[k] * 0.3, aqb[k] * 0.02, k == 4 ? 2 : 0, 0, 1000);
    }
}

/* Briggs rural sigmas, class D (gaussian-plume.md section 3). */
static double plume_ground(double q_gs, double u, double dx, double dy) {
    if (dx <= 1 || u < 0.5) return 0;
    double sy = 0.08 * dx / sqrt(1 + 0.0001 * dx), sz = 0.06 * dx / sqrt(1 + 0.0015 * dx);
    /* ground source and receptor (H = 0): C = Q / (pi u sy sz) exp(-y^2 / 2 sy^2), g/m^3 */
    return q_gs / (PI * u * sy * sz) * exp(-dy * dy / (2 * sy * sy));
}

static void apply_leaks(double t, client *c, device *d, tag *tg) {
    for (int i = 0; i < opt.n_inc; i++) {
        incident *in = &opt.inc[i];
        if (strcmp(in->kind, "leak") || t < in->at || t > in->at + in->dur) continue;
        client *src_c = NULL;
        device *src = NULL;
        for (int k = 0; k < n_clients && !src_c; k++)
            if (!strcmp(clients[k].ent, in->ent)) src_c = &clients[k];
        for (int k = 0; src_c && k < src_c->n_devs && !src; k++)
            if (!strcmp(src_c->devs[k].name, in->dev)) src = &src_c->devs[k];
        if (!src) continue;
        if (tg->kind == 1 && c == src_c && d == src && !strncmp(tg->name, in->tag, strlen(in->tag)))
            tg->base -= in->rate * 0.00005; /* the tank drains */
        if (tg->kind != 2 && tg->kind != 3) continue;
        /* Wind blows from wind_dir: downwind unit vector points the other way. */
        double th = (wind_dir + 180) * PI / 180, ux = sin(th), uy = cos(th);
        double rx = d->x - src->x, ry = d->y - src->y;
        double along = rx * ux + ry * uy, across = -rx * uy + ry * ux;
        double cg = plume_ground(in->rate * 1000.0, wind_speed, along, across); /* kg/s -> g/s */
        double add;
        if (tg->kind == 2) /* propane-like, LEL 2.1 % vol = 21000 ppm, M 44 */
            add = cg * 1000.0 * 24.45 / 44 / 21000 * 100;
        else
            add = cg * 1000.0 * 24.45 / (d->gas_mw ? d->gas_mw : 34);
        tg->value = fmin(tg->hi, tg->value + add);
    }
}

static double quantize(double v, int dec) {
    double s = dec == 2 ? 100 : dec == 1 ? 10 : 1;
    return (double)llround(v * s) / s;
}

static void step_tag(double t, client *c, device *d, tag *tg) {
    if (tg->frozen) return;
    if (tg->spiked) {
        tg->value = tg->spike_value;
        return;
    }
    if (urand() < tg->step_p) tg->base += tg->amp * (urand() - 0.5);
    double v = tg->base + tg->amp * sin(t / 600.0 + tg->base) + tg->noise * nrand();
    if (tg->kind == 5) v = fmod(v + 360, 360);
    v = fmax(tg->lo, fmin(tg->hi, v));
    tg->value = v;
    if (tg->kind == 4) wind_speed = v;
    if (tg->kind == 5) wind_dir = v;
    apply_leaks(t, c, d, tg);
    tg->value = quantize(tg->value, tg->decimals);
}

/* ---- formatting ---- */

typedef struct buf {
    char *p;
    size_t n, cap;
} buf;

static void put(buf *b, const char *s, size_t n) {
    if (b->n + n + 1 > b->cap) {
        b->cap = (b->n + n + 1) * 2;
        b->p = realloc(b->p, b->cap);
        if (!b->p) exit(1);
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

static void puts_(buf *b, const char *s) {
    put(b, s, strlen(s));
}

static void put_int(buf *b, long long v) {
    char tmp[24];
    int k = 0;
    bool neg = v < 0;
    unsigned long long u = neg ? (unsigned long long)-v : (unsigned long long)v;
    do tmp[k++] = (char)('0' + u % 10), u /= 10;
    while (u);
    if (neg) tmp[k++] = '-';
    char out[24];
    for (int i = 0; i < k; i++) out[i] = tmp[k - 1 - i];
    put(b, out, (size_t)k);
}

/* A quantized value exactly as the decimals say (so it parses back to it). */
static void put_value(buf *b, double v, int dec) {
    long long s = dec == 2 ? 100 : dec == 1 ? 10 : 1;
    long long k = llround(v * (double)s);
    if (k < 0) puts_(b, "-"), k = -k;
    put_int(b, k / s);
    if (dec) {
        char f[4];
        long long r = k % s;
        if (dec == 2)
            f[0] = (char)('0' + r / 10), f[1] = (char)('0' + r % 10);
        else
            f[0] = (char)('0' + r);
        put(b, ".", 1);
        put(b, f, (size_t)dec);
    }
}

/* One message: readings [from, to) of a device, at ts. Fills the ledger text. */
static void compose(const client *c, const device *d, int from, int to, int64_t ts, buf *msg,
                    buf *led) {
    msg->n = 0;
    if (led) led->n = 0;
    const char *group = "g";
    switch (c->fmt) {
        case FMT_JSON:
            puts_(msg, "{\"ts\": ");
            put_int(msg, ts);
            puts_(msg, ", \"values\": {");
            for (int i = from; i < to; i++) {
                if (i > from) puts_(msg, ", ");
                puts_(msg, "\"");
                puts_(msg, d->tags[i].name);
                puts_(msg, "\": ");
                put_value(msg, d->tags[i].value, d->tags[i].decimals);
            }
            puts_(msg, "}}");
            break;
        case FMT_NEURON_VALUES:
        case FMT_NEURON_TAGS:
            puts_(msg, "{\"node\": \"");
            puts_(msg, d->name);
            puts_(msg, "\", \"group\": \"g\", \"timestamp\": ");
            put_int(msg, ts);
            puts_(msg, c->fmt == FMT_NEURON_VALUES ? ", \"values\": {" : ", \"tags\": [");
            for (int i = from; i < to; i++) {
                if (i > from) puts_(msg, ", ");
                if (c->fmt == FMT_NEURON_VALUES) {
                    puts_(msg, "\"");
                    puts_(msg, d->tags[i].name);
                    puts_(msg, "\": ");
                } else {
                    puts_(msg, "{\"name\": \"");
                    puts_(msg, d->tags[i].name);
                    puts_(msg, "\", \"value\": ");
                }
                put_value(msg, d->tags[i].value, d->tags[i].decimals);
                if (c->fmt == FMT_NEURON_TAGS) puts_(msg, "}");
            }
            puts_(msg, c->fmt == FMT_NEURON_VALUES ? "}}" : "]}");
            break;
        case FMT_LP:
            /* measurement = the part of the tag before '.', field = after. */
            for (int i = from; i < to; i++) {
                const char *nm = d->tags[i].name, *dot = strchr(nm, '.');
                if (dot)
                    put(msg, nm, (size_t)(dot - nm));
                else
                    puts_(msg, "m");
                puts_(msg, ",enterprise=");
                puts_(msg, c->ent);
                puts_(msg, ",device=");
                puts_(msg, d->name);
                puts_(msg, " ");
                puts_(msg, dot ? dot + 1 : nm);
                puts_(msg, "=");
                put_value(msg, d->tags[i].value, d->tags[i].decimals);
                puts_(msg, " ");
                put_int(msg, ts);
                puts_(msg, "\n");
            }
            break;
    }
    if (!led) return;
    for (int i = from; i < to; i++) {
        char line[256];
        const char *nm = d->tags[i].name;
        int n;
        if (c->fmt == FMT_NEURON_VALUES || c->fmt == FMT_NEURON_TAGS)
            n = snprintf(line, sizeof line, "%s/%s/%s.%s %" PRId64 " %.17g\n", c->ent, d->name,
                         group, nm, ts, d->tags[i].value);
        else if (c->fmt == FMT_LP && !strchr(nm, '.'))
            n = snprintf(line, sizeof line, "%s/%s/m.%s %" PRId64 " %.17g\n", c->ent, d->name, nm,
                         ts, d->tags[i].value);
        else
            n = snprintf(line, sizeof line, "%s/%s/%s %" PRId64 " %.17g\n", c->ent, d->name, nm, ts,
                         d->tags[i].value);
        put(led, line, (size_t)n);
    }
}

/* ---- MQTT ---- */

static void on_connect(struct mosquitto *m, void *obj, int rc) {
    client *c = obj;
    if (rc) return;
    char topic[64];
    snprintf(topic, sizeof topic, "park/%s/gateway/status", c->ent);
    mosquitto_publish(m, NULL, topic, 6, "online", opt.qos, true);
    pthread_mutex_lock(&c->mu);
    c->connected = true;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

static void on_disconnect(struct mosquitto *m, void *obj, int rc) {
    (void)m, (void)rc;
    client *c = obj;
    pthread_mutex_lock(&c->mu);
    c->connected = false;
    pthread_mutex_unlock(&c->mu);
}

static void on_publish(struct mosquitto *m, void *obj, int mid) {
    (void)m;
    client *c = obj;
    pthread_mutex_lock(&c->mu);
    int r = c->readings_by_mid[mid & 0xFFFF];
    char *l = c->ledger_by_mid[mid & 0xFFFF];
    c->readings_by_mid[mid & 0xFFFF] = 0;
    c->ledger_by_mid[mid & 0xFFFF] = NULL;
    if (r) {
        c->inflight--;
        c->acked_msgs++;
        c->acked_readings += (uint64_t)r;
    }
    /* Wake the publisher only when the window has room again or is empty:
     * a wake-up per PUBACK costs more than the publish itself. */
    if (c->inflight == MAX_INFLIGHT / 2 || c->inflight == 0) pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
    if (l) {
        pthread_mutex_lock(&ledger_mu);
        fputs(l, ledger);
        pthread_mutex_unlock(&ledger_mu);
        free(l);
    }
}

static bool publish(client *c, const char *topic, const buf *msg, const buf *led, int readings) {
    pthread_mutex_lock(&c->mu);
    while (c->inflight >= MAX_INFLIGHT && !stop_flag) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 100000000L;
        if (until.tv_nsec >= 1000000000L) until.tv_sec++, until.tv_nsec -= 1000000000L;
        pthread_cond_timedwait(&c->cv, &c->mu, &until);
    }
    int mid = 0;
    /* Held across publish so on_publish cannot see the mid before we record it. */
    int rc = mosquitto_publish(c->m, &mid, topic, (int)msg->n, msg->p, opt.qos, false);
    if (rc == MOSQ_ERR_SUCCESS) {
        c->msgs++;
        c->readings += (uint64_t)readings;
        if (opt.qos == 0) {
            c->acked_msgs++;
            c->acked_readings += (uint64_t)readings;
        } else {
            c->inflight++;
            c->readings_by_mid[mid & 0xFFFF] = readings;
            if (led && led->n) c->ledger_by_mid[mid & 0xFFFF] = strdup(led->p);
        }
    }
    pthread_mutex_unlock(&c->mu);
    if (rc == MOSQ_ERR_SUCCESS && opt.qos == 0 && led && led->n) {
        pthread_mutex_lock(&ledger_mu);
        fputs(led->p, ledger);
        pthread_mutex_unlock(&ledger_mu);
    }
    return rc == MOSQ_ERR_SUCCESS || rc == MOSQ_ERR_NO_CONN; /* queued for the reconnect */
}

static void status(client *c, device *d, const char *s) {
    char topic[96];
    snprintf(topic, sizeof topic, "park/%s/%s/status", c->ent, d->name);
    mosquitto_publish(c->m, NULL, topic, (int)strlen(s), s, opt.qos, true);
}

/* ---- incidents ---- */

static int parse_incident(const char *spec, incident *in) {
    memset(in, 0, sizeof *in);
    in->dur = 1e18;
    char copy[256];
    snprintf(copy, sizeof copy, "%s", spec);
    char *save, *part = strtok_r(copy, ":", &save);
    int pos = 0;
    for (; part; part = strtok_r(NULL, ":", &save)) {
        char *eq = strchr(part, '=');
        if (eq) {
            *eq = 0;
            double v = atof(eq + 1);
            if (!strcmp(part, "at"))
                in->at = v;
            else if (!strcmp(part, "for"))
                in->dur = v;
            else if (!strcmp(part, "rate"))
                in->rate = v;
            else if (!strcmp(part, "value"))
                in->value = v;
            else
                return -1;
            continue;
        }
        if (pos == 0)
            snprintf(in->kind, sizeof in->kind, "%s", part);
        else if (pos == 1)
            snprintf(in->ent, sizeof in->ent, "%s", part);
        else if (pos == 2)
            snprintf(in->dev, sizeof in->dev, "%s", part);
        else if (pos == 3)
            snprintf(in->tag, sizeof in->tag, "%s", part);
        else
            return -1;
        pos++;
    }
    bool needs_tag = !strcmp(in->kind, "leak") || !strcmp(in->kind, "spike");
    if (pos < 3 || (needs_tag && pos < 4)) return -1;
    if (strcmp(in->kind, "leak") && strcmp(in->kind, "freeze") && strcmp(in->kind, "offline") &&
        strcmp(in->kind, "spike"))
        return -1;
    if (!strcmp(in->kind, "leak") && in->rate <= 0) in->rate = 1;
    return 0;
}

static void run_incidents(double t) {
    for (int i = 0; i < opt.n_inc; i++) {
        incident *in = &opt.inc[i];
        bool active = t >= in->at && t < in->at + in->dur;
        if (active == in->started && !(in->started && !active && !in->ended)) continue;
        for (int k = 0; k < n_clients; k++) {
            client *c = &clients[k];
            if (strcmp(c->ent, in->ent)) continue;
            for (int j = 0; j < c->n_devs; j++) {
                device *d = &c->devs[j];
                if (strcmp(d->name, in->dev)) continue;
                if (!strcmp(in->kind, "offline")) {
                    d->offline = active;
                    status(c, d, active ? "offline" : "online");
                }
                for (int q = 0; q < d->n_tags; q++) {
                    tag *tg = &d->tags[q];
                    if (!strcmp(in->kind, "freeze") && (!in->tag[0] || !strcmp(tg->name, in->tag)))
                        tg->frozen = active;
                    if (!strcmp(in->kind, "spike") && !strcmp(tg->name, in->tag))
                        tg->spiked = active, tg->spike_value = in->value;
                }
            }
        }
        if (active && !in->started)
            logf_("incident %s at %s/%s starts", in->kind, in->ent, in->dev);
        if (!active && in->started) {
            logf_("incident %s at %s/%s ends", in->kind, in->ent, in->dev);
            in->ended = true;
        }
        in->started = active;
    }
}

/* ---- layout ---- */

static void write_layout(const char *path) {
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "parksim: cannot write %s: %s\n", path, strerror(errno));
        return;
    }
    /* Park frame origin at 121.60E 30.00N; metres to degrees locally. */
    const double lon0 = 121.60, lat0 = 30.00, mlat = 111320.0,
                 mlon = 111320.0 * cos(lat0 * PI / 180);
    fprintf(f, "{\"type\": \"FeatureCollection\", \"features\": [\n");
    bool first = true;
    for (int k = 0; k < n_clients; k++) {
        client *c = &clients[k];
        for (int j = 0; j < c->n_devs; j++) {
            device *d = &c->devs[j];
            const char *kind = !strncmp(d->name, "tankfarm", 8)   ? "tank"
                               : !strncmp(d->name, "pipeline", 8) ? "pipeline"
                               : !strncmp(d->name, "gd-", 3)      ? "gas_detector"
                               : !strncmp(d->name, "met-", 4)     ? "weather_station"
                               : !strncmp(d->name, "aq-", 3)      ? "aq_station"
                                                                  : "transmitter";
            fprintf(f,
                    "%s{\"type\": \"Feature\", \"geometry\": {\"type\": \"Point\", "
                    "\"coordinates\": [%.7f, %.7f]}, \"properties\": {\"kind\": \"%s\", "
                    "\"id\": \"%s/%s\", \"enterprise\": \"%s\", \"series\": [",
                    first ? "" : ",\n", lon0 + d->x / mlon, lat0 + d->y / mlat, kind, c->ent,
                    d->name, c->ent);
            for (int q = 0; q < d->n_tags; q++)
                fprintf(f, "%s\"%s/%s/%s\"", q ? ", " : "", c->ent, d->name, d->tags[q].name);
            fprintf(f, "]}}");
            first = false;
        }
    }
    fprintf(f, "\n]}\n");
    fclose(f);
}

/* ---- main ---- */

static void usage(void) {
    fprintf(stderr,
            "usage: parksim [--host H] [--port P] [--enterprises N] [--seed S]\n"
            "               [--format json|neuron|lineproto|mixed] [--rate HZ] [--fast]\n"
            "               [--duration SECONDS] [--count MESSAGES] [--per-message N]\n"
            "               [--tags-per-enterprise N] [--qos 0|1] [--client-prefix P]\n"
            "               [--ledger FILE] [--incident SPEC]... [--layout FILE] [--park LAYOUT]\n"
            "               [--start-ms T] [--quiet]\n"
            "incidents: leak:E001:tankfarm-1:T101:at=60:rate=2.5:for=300\n"
            "           freeze:E002:gd-03:at=30   offline:E003:gd-01:at=10:for=60\n"
            "           spike:E001:pipeline-1:PT01.pressure:at=20:value=9.9\n");
    exit(2);
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has = i + 1 < argc;
        if (!strcmp(a, "--host") && has)
            opt.host = argv[++i];
        else if (!strcmp(a, "--port") && has)
            opt.port = atoi(argv[++i]);
        else if (!strcmp(a, "--enterprises") && has)
            opt.n_ent = atoi(argv[++i]);
        else if (!strcmp(a, "--seed") && has)
            opt.seed = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(a, "--format") && has) {
            const char *f = argv[++i];
            opt.fmt = !strcmp(f, "json")        ? FMT_JSON
                      : !strcmp(f, "neuron")    ? FMT_NEURON_VALUES
                      : !strcmp(f, "lineproto") ? FMT_LP
                      : !strcmp(f, "mixed")     ? -1
                                                : -2;
            if (opt.fmt == -2) usage();
        } else if (!strcmp(a, "--rate") && has)
            opt.rate = atof(argv[++i]);
        else if (!strcmp(a, "--fast"))
            opt.fast = true;
        else if (!strcmp(a, "--duration") && has)
            opt.duration = atof(argv[++i]);
        else if (!strcmp(a, "--count") && has)
            opt.count = atoll(argv[++i]);
        else if (!strcmp(a, "--per-message") && has)
            opt.per_message = atoi(argv[++i]);
        else if (!strcmp(a, "--tags-per-enterprise") && has)
            opt.tags_per_ent = atoi(argv[++i]);
        else if (!strcmp(a, "--qos") && has)
            opt.qos = atoi(argv[++i]);
        else if (!strcmp(a, "--client-prefix") && has)
            opt.prefix = argv[++i];
        else if (!strcmp(a, "--ledger") && has)
            opt.ledger_path = argv[++i];
        else if (!strcmp(a, "--park") && has)
            opt.park_path = argv[++i];
        else if (!strcmp(a, "--layout") && has)
            opt.layout_path = argv[++i];
        else if (!strcmp(a, "--start-ms") && has)
            opt.start_ms = atoll(argv[++i]);
        else if (!strcmp(a, "--quiet"))
            opt.quiet = true;
        else if (!strcmp(a, "--incident") && has) {
            if (opt.n_inc == MAX_INCIDENTS || parse_incident(argv[++i], &opt.inc[opt.n_inc]) != 0)
                usage();
            opt.n_inc++;
        } else
            usage();
    }
    if (opt.n_ent < 1 || opt.n_ent > MAX_ENT || opt.rate <= 0 || (opt.qos != 0 && opt.qos != 1) ||
        opt.per_message < 0)
        usage();
    rng_state = opt.seed * 2654435761u + 88172645463325252ull;
    if (opt.park_path) {
        if (build_park_from_layout(opt.park_path) != 0) return 2;
    } else {
        build_park();
    }
    if (opt.layout_path) write_layout(opt.layout_path);
    if (opt.ledger_path && !(ledger = fopen(opt.ledger_path, "w"))) {
        fprintf(stderr, "parksim: cannot write %s: %s\n", opt.ledger_path, strerror(errno));
        return 2;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);
    mosquitto_lib_init();
    for (int k = 0; k < n_clients; k++) {
        client *c = &clients[k];
        char id[64], will[64];
        snprintf(id, sizeof id, "%s-%s", opt.prefix, c->ent);
        snprintf(will, sizeof will, "park/%s/gateway/status", c->ent);
        pthread_mutex_init(&c->mu, NULL);
        pthread_cond_init(&c->cv, NULL);
        c->readings_by_mid = calloc(65536, sizeof *c->readings_by_mid);
        c->ledger_by_mid = calloc(65536, sizeof *c->ledger_by_mid);
        c->m = mosquitto_new(id, true, c);
        if (!c->m || !c->readings_by_mid || !c->ledger_by_mid) return 1;
        mosquitto_will_set(c->m, will, 7, "offline", 1, true);
        mosquitto_connect_callback_set(c->m, on_connect);
        mosquitto_disconnect_callback_set(c->m, on_disconnect);
        mosquitto_publish_callback_set(c->m, on_publish);
        mosquitto_max_inflight_messages_set(c->m, MAX_INFLIGHT);
        mosquitto_reconnect_delay_set(c->m, 1, 5, false);
        int rc = mosquitto_connect(c->m, opt.host, opt.port, 30);
        if (rc != MOSQ_ERR_SUCCESS) {
            fprintf(stderr, "parksim: cannot connect to %s:%d: %s\n", opt.host, opt.port,
                    rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
            return 1;
        }
        mosquitto_loop_start(c->m);
    }
    for (int k = 0; k < n_clients; k++) { /* wait for the CONNACKs */
        client *c = &clients[k];
        pthread_mutex_lock(&c->mu);
        for (int w = 0; w < 100 && !c->connected; w++) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_nsec += 50000000L;
            if (until.tv_nsec >= 1000000000L) until.tv_sec++, until.tv_nsec -= 1000000000L;
            pthread_cond_timedwait(&c->cv, &c->mu, &until);
        }
        pthread_mutex_unlock(&c->mu);
    }
    buf msg = {0}, led = {0};
    double t0 = mono();
    int64_t start = opt.start_ms ? opt.start_ms : wall_ms();
    long long tick = 0, sent = 0;
    double period = 1.0 / opt.rate;
    while (!stop_flag) {
        double t = opt.fast ? mono() - t0 : tick * period;
        if (opt.duration >= 0 && (opt.fast ? mono() - t0 : t) >= opt.duration) break;
        if (!opt.fast) { /* realtime: wait for the tick */
            double wait = t0 + t - mono();
            if (wait > 0) usleep((useconds_t)(wait * 1e6));
        }
        run_incidents(t);
        int64_t tick_ts = opt.fast ? wall_ms() : start + (int64_t)llround(t * 1000);
        for (int k = 0; k < n_clients && !stop_flag; k++) {
            client *c = &clients[k];
            for (int j = 0; j < c->n_devs && !stop_flag; j++) {
                device *d = &c->devs[j];
                if (d->offline) continue;
                /* A live device stamps a reading when it samples it (just before
                 * publishing); with --start-ms the ticks are the clock.
                 * Strictly increasing per device: no reading overwrites another. */
                int64_t stamp = opt.start_ms ? tick_ts : wall_ms();
                int64_t ts = stamp > d->last_ts ? stamp : d->last_ts + 1;
                d->last_ts = ts;
                for (int q = 0; q < d->n_tags; q++) step_tag(t, c, d, &d->tags[q]);
                int per = opt.per_message ? opt.per_message : d->n_tags;
                char topic[96];
                snprintf(topic, sizeof topic, "park/%s/%s/data", c->ent, d->name);
                for (int from = 0; from < d->n_tags && !stop_flag; from += per) {
                    int to = from + per < d->n_tags ? from + per : d->n_tags;
                    compose(c, d, from, to, ts, &msg, ledger ? &led : NULL);
                    publish(c, topic, &msg, ledger ? &led : NULL, to - from);
                    if (opt.count >= 0 && ++sent >= opt.count) stop_flag = 1;
                }
            }
        }
        tick++;
    }
    double elapsed = mono() - t0;
    /* Wait (bounded) for the outstanding PUBACKs. */
    for (int k = 0; k < n_clients; k++) {
        client *c = &clients[k];
        double until = mono() + 10;
        pthread_mutex_lock(&c->mu);
        while (c->inflight > 0 && mono() < until) {
            struct timespec w;
            clock_gettime(CLOCK_REALTIME, &w);
            w.tv_nsec += 50000000L;
            if (w.tv_nsec >= 1000000000L) w.tv_sec++, w.tv_nsec -= 1000000000L;
            pthread_cond_timedwait(&c->cv, &c->mu, &w);
        }
        pthread_mutex_unlock(&c->mu);
    }
    uint64_t msgs = 0, readings = 0, am = 0, ar = 0;
    for (int k = 0; k < n_clients; k++) {
        client *c = &clients[k];
        mosquitto_disconnect(c->m);
        mosquitto_loop_stop(c->m, false);
        pthread_mutex_lock(&c->mu);
        msgs += c->msgs, readings += c->readings, am += c->acked_msgs, ar += c->acked_readings;
        pthread_mutex_unlock(&c->mu);
        mosquitto_destroy(c->m);
        for (int i = 0; i < 65536; i++) free(c->ledger_by_mid[i]);
        free(c->ledger_by_mid);
        free(c->readings_by_mid);
        for (int j = 0; j < c->n_devs; j++) free(c->devs[j].tags);
        free(c->devs);
    }
    mosquitto_lib_cleanup();
    if (ledger) fclose(ledger);
    free(msg.p);
    free(led.p);
    printf("{\"messages\": %" PRIu64 ", \"readings\": %" PRIu64 ", \"acked_messages\": %" PRIu64
           ", \"acked_readings\": %" PRIu64 ", \"seconds\": %.2f, \"messages_per_s\": %.0f, "
           "\"readings_per_s\": %.0f}\n",
           msgs, readings, am, ar, elapsed, msgs / elapsed, readings / elapsed);
    return 0;
}
