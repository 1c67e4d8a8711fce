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
 *         [--username U --password P] [--credentials FILE]
 *         [--cafile CA [--certfile CERT --keyfile KEY]]
 *
 * --park plays the devices of a layout (parkgen's demo park or a real one:
 * every series of every feature, with the tanks' substances and the
 * detectors' gases), placed where the layout puts them; without it parksim
 * makes up a park of --enterprises enterprises (deterministic from --seed).
 * --layout writes the simulated park as GeoJSON that geo/ loads (parkctl
 * layout-check): enterprise plots, tanks, pipelines, gas detectors and the
 * stations, each with the series the receiver stores for it.
 *
 * Broker security: --credentials FILE gives each enterprise's connection
 * its own user, "E001 password" lines (the user is the enterprise id, as
 * the park broker's ACL expects: an enterprise may publish only under
 * park/{E}/#); --username/--password is one user for the connections the
 * file does not name. --cafile turns on TLS (the broker's certificate must
 * chain to CA and match --host), --certfile/--keyfile add a client
 * certificate.
 *
 * One MQTT connection per enterprise (and one for the park, "PARK"), as
 * each enterprise's gateway would have, clean session, with a retained last
 * will "offline" on park/{E}/gateway/status and a retained "online" there
 * and on park/{E}/{device}/status on connect. Readings go to
 * park/{E}/{device}/data. Series are {E}/{device}/{tag} on the receiving
 * side (ingest/ingest.h, "MQTT payloads"):
 *  - json:      {"ts": ms, "values": {"T101.level": 12.5, ...}}, one device a message.
 *  - neuron:    a tag "T101.level" is sent as tag "level" of group "T101" (one
 *               message per device and group, as a Neuron south node uploads a
 *               group), so "{group}.{tag}" is again "T101.level"; tags without a
 *               dot ("lel", "wind_speed") go in a message without a group, which
 *               the receiver names by the tag alone. With --format neuron,
 *               E001, E003, ... use the values format, E002, E004, ... the tags
 *               array; --format mixed rotates json, Neuron values, Neuron tags
 *               and line protocol over the enterprises (PARK speaks json).
 *  - lineproto: "T101,enterprise=E001,device=tankfarm-1 level=12.5 <ms>"; a tag
 *               without a dot is measurement = tag, field "value", which the
 *               receiver stores as "{tag}.value" (the ledger and --layout say so).
 * --per-message N packs N readings a message: json and neuron fill messages
 * device by device (and group by group), line protocol packs an
 * enterprise's readings across devices (topic of the first reading's
 * device; each line names its device).
 *
 * Timestamps: realtime mode stamps a device's readings when it samples them
 * (or on the tick clock from --start-ms); --fast uses the clock from
 * --start-ms (or now) and keeps every series strictly increasing:
 * ts = max(clock, last ts of the device + 1), so no reading overwrites another.
 *
 * --ledger writes one line per reading of every message the broker
 * acknowledged (PUBACK, QoS 1; every message sent at QoS 0):
 * "<series> <ts_ms> <value %.17g>", on the network thread in on_publish.
 * The last stdout line is a JSON summary. Exit: 0 ok, 1 broker unreachable
 * or refusing a connection (credentials, TLS) at start, 2 usage (also a
 * --credentials file without an enterprise, or TLS files it cannot use).
 *
 * Throughput: one publishing thread; each connection has a network thread
 * of ours (net_main, in place of mosquitto_loop_start's) that sends, reads
 * the PUBACKs and reconnects. At most MAX_INFLIGHT QoS 1 messages are in
 * flight (our window, a condition variable, and
 * mosquitto_max_inflight_messages_set), so memory stays flat. Values
 * are quantized to the transmitter's resolution and written by a
 * fixed-decimal formatter that parses back to the same double.
 */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <mosquitto.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "common/mqttio.h"

#define MAX_ENT       999 /* ids E001..E999 */
#define MAX_INFLIGHT  200 /* libmosquitto finds a PUBACK's message by a list walk */
#define MAX_INCIDENTS 64
#define PI            3.14159265358979323846
/* Park frame origin for --layout (metres east/north of it). */
#define LON0  121.60
#define LAT0  30.00
#define M_LAT 110850.0 /* metres per degree of latitude near 30N */

typedef enum { FMT_JSON, FMT_NEURON_VALUES, FMT_NEURON_TAGS, FMT_LP } fmt_t;

/* ---- substances and gases ----
 * Molar masses and liquid densities are handbook values. LEL (% vol) from
 * docs/reference/gas-detection-gb50493.md section 2 (propane 2.1 per
 * aarst, acetylene-style spreads resolved to the first source). Toxic
 * alarm levels AL/AH (mg/m3) from the same file, section 3 (GB/T 50493-2019
 * table: H2S 10/20, NH3 20/40, Cl2 1/2), turned into ppm with
 * ppm = mg/m3 * 24.45 / M (gaussian-plume.md section 1). Toxic detector
 * ranges (the 4-20 mA span) are the usual ones for the gas: 0-100 ppm H2S
 * and NH3, 0-10 ppm Cl2; combustible detectors read 0-100 %LEL with alarms
 * at 25 and 50 %LEL (gas-detection-gb50493.md section 1). */
typedef struct gas {
    const char *name;
    double mw;           /* g/mol */
    double lel;          /* % vol; 0 when not combustible */
    double fs_ppm;       /* toxic detector full scale; 0 when no toxic detector is made for it */
    double al_mg, ah_mg; /* GB/T 50493-2019 alarm levels, mg/m3 */
    double density;      /* kg/m3, as stored */
    double temp_c;       /* storage temperature */
    double press_kpa;    /* storage pressure, kPa absolute */
} gas;

static const gas gases[] = {
    {"propane", 44.10, 2.1, 0, 0, 0, 580, 20, 850},
    {"ethylene", 28.05, 2.7, 0, 0, 0, 568, -103, 115}, /* refrigerated */
    {"benzene", 78.11, 1.2, 0, 6, 12, 876, 20, 103},
    {"methanol", 32.04, 6.7, 0, 25, 50, 792, 20, 103},
    {"toluene", 92.14, 1.2, 0, 50, 100, 867, 20, 103},
    {"ammonia", 17.03, 15.0, 100, 20, 40, 682, 20, 860},
    {"chlorine", 70.90, 0, 10, 1, 2, 1470, 20, 680},
    {"hydrogen sulfide", 34.08, 4.0, 100, 10, 20, 790, 20, 1800},
};
#define N_GASES    (sizeof gases / sizeof gases[0])
#define G_PROPANE  0
#define G_AMMONIA  5
#define G_CHLORINE 6
#define G_H2S      7

static const gas *gas_by_name(const char *name, const gas *fallback) {
    for (size_t i = 0; name && i < N_GASES; i++)
        if (!strcasecmp(gases[i].name, name)) return &gases[i];
    return fallback;
}

static double ppm_of_mg(double mg_m3, const gas *g) {
    return mg_m3 * 24.45 / g->mw;
}

/* ---- the park model ---- */

typedef enum {
    TK_GENERIC,
    TK_LEVEL,      /* tank level, drains during a leak */
    TK_LEL,        /* combustible detector, %LEL */
    TK_PPM,        /* toxic detector, ppm */
    TK_WIND_SPEED, /* drives the plume */
    TK_WIND_DIR,
    TK_DIURNAL, /* follows the time of day (air temperature; humidity with amp < 0) */
} tag_kind;

typedef enum { DK_OTHER, DK_TANKFARM, DK_PIPELINE, DK_DETECTOR, DK_MET, DK_AQ } dev_kind;

typedef struct tag {
    char name[32];   /* e.g. T101.level */
    char series[96]; /* as the receiver stores it for the enterprise's format */
    int group_len;   /* Neuron group = name[0, group_len); 0 when the name has no dot */
    tag_kind kind;
    double base, amp, period, phase, noise, step_p; /* drift, noise and steps */
    int decimals;                                   /* resolution 10^-decimals */
    double lo, hi;                                  /* range (4-20 mA span) */
    double value;                                   /* last published (quantized) */
    bool frozen, spiked;
    double spike_value;
    double x, y;     /* metres, park frame (a tank's tags: the tank) */
    const gas *gas;  /* detector: its gas; tank tags: the substance */
    double area;     /* tank cross-section, m2 (level tags) */
    double capacity; /* tank, m3 */
    double density;  /* tank contents, kg/m3 */
} tag;

typedef struct device {
    char name[32];
    char topic[96];
    dev_kind kind;
    double x, y, x1, y1; /* position; a pipeline runs from (x, y) to (x1, y1) */
    double design_mpa;   /* pipeline */
    tag *tags;
    int n_tags;
    atomic_bool offline;
    int64_t last_ts;
} device;

typedef struct buf {
    char *p;
    size_t n, cap;
} buf;

/* One message being filled: readings of one device (json, neuron: and one
 * group) or of one enterprise (line protocol). */
typedef struct batch {
    buf msg, led;
    int n;
    const device *first;
    const tag *head; /* the first reading's tag (neuron: names the group) */
} batch;

typedef struct client {
    struct mosquitto *m;
    batch b;       /* the message being filled (publishing thread only) */
    int next_dev;  /* the tick's next device (publishing thread only) */
    int turn_msgs; /* messages in this turn (publishing thread only) */
    char ent[16];
    fmt_t fmt;
    device *devs;
    int n_devs;
    bool has_plot;
    double px0, py0, px1, py1; /* the enterprise's plot */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int inflight;
    bool connected;
    int connack;          /* -1 none yet, else the CONNACK return code */
    char last_error[200]; /* libmosquitto's last error (TLS), for the message at start */
    uint64_t msgs, readings, acked_msgs, acked_readings;
    int *readings_by_mid;
    char **ledger_by_mid;
    pthread_t net;       /* net_main */
    int wake_fd;         /* eventfd: the publisher queued messages */
    atomic_bool closing; /* the DISCONNECT is queued: net_main ends once it is out */
    atomic_bool idle;    /* net_main is (about to be) asleep in poll */
} client;

typedef enum { INC_LEAK, INC_FREEZE, INC_OFFLINE, INC_SPIKE } inc_kind;

typedef struct incident {
    inc_kind kind;
    char spec[160], ent[16], dev[32], tag[32];
    double at, dur, rate, value;
    bool started;
    client *c;
    device *d;
    tag *src; /* leak: the tank's level tag, whose position is the release point */
} incident;

static struct {
    const char *host, *prefix, *ledger_path, *layout_path, *park_path;
    const char *username, *password, *credentials_path, *cafile, *certfile, *keyfile;
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

static client **clients;
static int n_clients;
static FILE *ledger;
static pthread_mutex_t ledger_mu = PTHREAD_MUTEX_INITIALIZER;
static volatile sig_atomic_t stop_flag;
static uint64_t rng_state;

/* Where the park frame's (0, 0) is: LON0/LAT0, or a --park layout's first
 * position. */
static double frame_lon0 = LON0, frame_lat0 = LAT0;

/* The wind at met-1 (m/s, degrees it blows from). Without a weather station
 * (a layout that has none) it stays a steady 3 m/s easterly. */
static double wind_speed = 3.0, wind_dir = 90.0;

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

static void *xrealloc(void *p, size_t n) {
    p = realloc(p, n);
    if (!p) {
        fprintf(stderr, "parksim: out of memory\n");
        exit(1);
    }
    return p;
}

static uint64_t rnd(void) {
    uint64_t x = rng_state;
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    return rng_state = x;
}

static double urand(void) {
    return (double)(rnd() >> 11) / 9007199254740992.0;
}

static double nrand(void) { /* cheap normal, sd 0.5: sum of three uniforms */
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
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void deadline_in(struct timespec *ts, long ns) {
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_nsec += ns;
    while (ts->tv_nsec >= 1000000000L) ts->tv_sec++, ts->tv_nsec -= 1000000000L;
}

static client *new_client(const char *ent) {
    if (n_clients == MAX_ENT + 1) return NULL;
    clients = xrealloc(clients, (size_t)(n_clients + 1) * sizeof *clients);
    client *c = calloc(1, sizeof *c);
    if (!c) exit(1);
    int e = n_clients;
    clients[n_clients++] = c;
    snprintf(c->ent, sizeof c->ent, "%s", ent);
    /* mixed: json, neuron values, neuron tags, line protocol in turn;
     * neuron: the two Neuron variants in turn. */
    c->fmt = opt.fmt >= 0 ? (fmt_t)opt.fmt : (fmt_t)(e % 4);
    if (opt.fmt == FMT_NEURON_VALUES && e % 2) c->fmt = FMT_NEURON_TAGS;
    c->connack = -1;
    return c;
}

static client *find_client(const char *ent) {
    for (int k = 0; k < n_clients; k++)
        if (!strcmp(clients[k]->ent, ent)) return clients[k];
    return NULL;
}

static device *find_device(client *c, const char *name) {
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
    if (c->fmt == FMT_LP && !dot)
        snprintf(t->series, sizeof t->series, "%s/%s/%s.value", c->ent, d->name, t->name);
    else
        snprintf(t->series, sizeof t->series, "%s/%s/%s", c->ent, d->name, t->name);
    t->kind = kind, t->base = base, t->amp = amp, t->noise = noise, t->decimals = decimals;
    t->lo = lo, t->hi = hi, t->value = base, t->x = d->x, t->y = d->y;
    t->period = 1800 + 5400 * urand(), t->phase = 2 * PI * urand(), t->step_p = 0.0005;
    return t;
}

/* A tag of a tank holding g, at (x, y): leaf "level" (m), "temp" (degC)
 * or "pressure" (kPa absolute). */
static tag *add_tank_tag(client *c, device *d, const char *name, const char *leaf, const gas *g,
                         double capacity, double density, double height_m, double x, double y) {
    tag *t;
    if (!strcmp(leaf, "level")) {
        double height = 15 + 5 * urand(); /* drawn even when given: the same park for a seed */
        if (height_m > 0) height = height_m;
        t = add_tag(c, d, name, TK_LEVEL, height * (0.3 + 0.5 * urand()), 0.3, 0.002, 2, 0, height);
        t->period = 3600 * (2 + 4 * urand()), t->area = capacity / height;
    } else if (!strcmp(leaf, "temp")) {
        t = add_tag(c, d, name, TK_GENERIC, g->temp_c + 4 * urand() - 2, 1.5, 0.05, 1, -200, 150);
    } else if (g->press_kpa > 200) { /* pressurized storage breathes with the temperature */
        t = add_tag(c, d, name, TK_GENERIC, g->press_kpa * (0.95 + 0.1 * urand()), 15, 0.5, 1, 0,
                    2500);
    } else { /* atmospheric tanks sit a little above the atmosphere (breather valves) */
        t = add_tag(c, d, name, TK_GENERIC, g->press_kpa, 0.4, 0.02, 2, 0, 2500);
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
        add_tank_tag(c, d, n, leaves[k], g, capacity, g->density, 0, x, y);
    }
}

/* A gas detector's one tag: "lel" (combustible) or "ppm" (toxic). */
static void add_detector_tag(client *c, device *d, const gas *g, bool toxic) {
    tag *t;
    if (toxic) {
        double fs = g->fs_ppm > 0 ? g->fs_ppm : 100;
        t = add_tag(c, d, "ppm", TK_PPM, 0, 0, fs / 1000, fs <= 10 ? 2 : 1, 0, fs);
    } else {
        t = add_tag(c, d, "lel", TK_LEL, 0.1, 0, 0.3, 1, 0, 100);
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
    if (!strcmp(leaf, "wind_speed"))
        add_tag(c, d, leaf, TK_WIND_SPEED, 3.5, 1.5, 0.3, 1, 0.3, 30)->period = 1800;
    else if (!strcmp(leaf, "wind_dir")) /* a prevailing easterly */
        add_tag(c, d, leaf, TK_WIND_DIR, 90, 15, 4, 1, 0, 360)->period = 3600;
    else if (!strcmp(leaf, "temp"))
        add_tag(c, d, leaf, TK_DIURNAL, 18, 5, 0.1, 1, -30, 45);
    else if (!strcmp(leaf, "humidity"))
        add_tag(c, d, leaf, TK_DIURNAL, 65, -15, 0.5, 1, 5, 100);
}

static void add_aq_tag(client *c, device *d, const char *leaf) {
    static const char *names[] = {"PM2_5", "PM10", "SO2", "NO2", "CO", "O3"};
    static const double base[] = {40, 70, 12, 35, 0.8, 80};
    for (int k = 0; k < 6; k++)
        if (!strcmp(leaf, names[k])) {
            add_tag(c, d, leaf, TK_GENERIC, base[k], base[k] * 0.3, base[k] * 0.03, k == 4 ? 2 : 1,
                    0, 1000);
            return;
        }
    add_tag(c, d, leaf, TK_GENERIC, 10, 2, 0.1, 1, 0, 1000);
}

static void build_park(void) {
    for (int e = 0; e < opt.n_ent; e++) {
        char id[16];
        snprintf(id, sizeof id, "E%03d", e + 1);
        client *c = new_client(id);
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
        add_tag(c, pl, "PT01.pressure", TK_GENERIC, 1.6 + 0.4 * urand(), 0.05, 0.005, 2, 0, 10);
        add_tag(c, pl, "FT01.flow", TK_GENERIC, 120 + 40 * urand(), 10, 1, 1, 0, 500);
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
    client *p = new_client("PARK");
    if (opt.fmt < 0) p->fmt = FMT_JSON; /* mixed: the park's own system speaks Parkwatch JSON */
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
                     num_prop(props, "density", g->density), num_prop(props, "height_m", 0), x, y);
        return;
    }
    tag *t = NULL;
    if (!strcmp(leaf, "lel") || !strcmp(leaf, "ppm")) {
        bool toxic = !strcmp(leaf, "ppm") || (type && !strcmp(type, "toxic"));
        const gas *g = gas_by_name(gname, toxic ? &gases[G_H2S] : &gases[G_PROPANE]);
        add_detector_tag(c, d, g, toxic);
        t = &d->tags[d->n_tags - 1];
        if (strcmp(t->name, name)) { /* e.g. a toxic "lel"? keep the layout's name */
            snprintf(t->name, sizeof t->name, "%s", name);
            snprintf(t->series, sizeof t->series, "%s/%s/%s", c->ent, d->name, name);
        }
    } else if (!strcmp(leaf, "pressure") && !strncmp(name, "PT", 2)) {
        t = add_tag(c, d, name, TK_GENERIC, 1.6 + 0.4 * urand(), 0.05, 0.005, 2, 0, 10);
    } else if (!strcmp(leaf, "flow")) {
        t = add_tag(c, d, name, TK_GENERIC, 120 + 40 * urand(), 10, 1, 1, 0, 500);
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
            if (!c && !(c = new_client(ent))) {
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
            add_layout_tag(c, d, tagname, props, kind, x, y);
        }
    }
    json_decref(doc);
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

/* ---- the plume ---- */

/* Pasquill-Gifford stability class (0 = A .. 5 = F) from the 10 m wind and
 * the local time (UTC+8), after NOAA READY's table
 * (docs/reference/gaussian-plume.md section 2): by day (08-17 h)
 * moderate insolation, by night at most 4/8 cloud, D in the hour either
 * side of night; split classes taken as the more stable one (A-B -> B,
 * B-C -> C, C-D -> D), as that file's section 2 reports. */
static int stability_class(double u, int64_t ts_ms) {
    int hour = (int)(((ts_ms / 1000 + 8 * 3600) % 86400) / 3600);
    if (hour == 7 || hour == 18) return 3;
    bool day = hour >= 8 && hour <= 17;
    if (day) return u < 2 ? 1 : u < 3 ? 1 : u < 5 ? 2 : 3;
    return u < 3 ? 5 : u < 5 ? 4 : 3;
}

/* Briggs (1973) rural sigmas (gaussian-plume.md section 3), x in metres,
 * plus 1 m of initial spread for the size of the release (our assumption:
 * the formulas are for x from about 100 m, and a point source would give
 * unbounded values at the tank's foot). */
static void briggs_rural(int cls, double x, double *sy, double *sz) {
    static const double ay[] = {0.22, 0.16, 0.11, 0.08, 0.06, 0.04};
    double y = ay[cls] * x / sqrt(1 + 0.0001 * x), z;
    switch (cls) {
        case 0:
            z = 0.20 * x;
            break;
        case 1:
            z = 0.12 * x;
            break;
        case 2:
            z = 0.08 * x / sqrt(1 + 0.0002 * x);
            break;
        case 3:
            z = 0.06 * x / sqrt(1 + 0.0015 * x);
            break;
        case 4:
            z = 0.03 * x / (1 + 0.0003 * x);
            break;
        default:
            z = 0.016 * x / (1 + 0.0003 * x);
            break;
    }
    *sy = sqrt(y * y + 1), *sz = sqrt(z * z + 1);
}

/* Ground-level concentration (g/m3) at (along, across) metres from a
 * ground-level continuous release of q g/s in wind u: the ground-source,
 * ground-receptor case of gaussian-plume.md section 1,
 * C = Q / (pi u sy sz) exp(-y^2 / 2 sy^2). The model breaks down below
 * about 1 m/s, so u is held at 1 m/s at least; and it ignores that
 * chlorine and cold ammonia are dense gases (same section). */
static double plume_ground(double q_gs, double u, int cls, double along, double across) {
    if (along <= 0.5) return 0;
    double sy, sz;
    briggs_rural(cls, along, &sy, &sz);
    return q_gs / (PI * fmax(u, 1.0) * sy * sz) * exp(-across * across / (2 * sy * sy));
}

/* What a detector reads on top of its baseline from the leaks going on. */
static double leak_reading(double t, int64_t ts, const tag *tg) {
    double add = 0;
    for (int i = 0; i < opt.n_inc; i++) {
        const incident *in = &opt.inc[i];
        if (in->kind != INC_LEAK || t < in->at || t >= in->at + in->dur) continue;
        const gas *sub = in->src->gas;
        /* A toxic detector sees its own gas only; a combustible one any
         * combustible gas, in %LEL of that gas (calibrated to it). */
        if (tg->kind == TK_PPM ? sub != tg->gas : sub->lel <= 0) continue;
        /* The wind blows from wind_dir: downwind points the other way. */
        double th = (wind_dir + 180) * PI / 180, ux = sin(th), uy = cos(th);
        double rx = tg->x - in->src->x, ry = tg->y - in->src->y;
        double along = rx * ux + ry * uy, across = -rx * uy + ry * ux;
        double cg = plume_ground(in->rate * 1000.0, wind_speed, stability_class(wind_speed, ts),
                                 along, across);
        double ppm = ppm_of_mg(cg * 1000.0, sub);
        add += tg->kind == TK_PPM ? ppm : ppm / (sub->lel * 1e4) * 100;
    }
    return add;
}

/* Metres a tank has lost to leaks by time t: rate / (density * area). */
static double drained(double t, const tag *tg) {
    double m = 0;
    for (int i = 0; i < opt.n_inc; i++) {
        const incident *in = &opt.inc[i];
        if (in->kind != INC_LEAK || in->src != tg || t < in->at) continue;
        double secs = fmin(t, in->at + in->dur) - in->at;
        m += in->rate * secs / (tg->density * tg->area);
    }
    return m;
}

static double quantize(double v, int dec) {
    double s = dec == 2 ? 100 : dec == 1 ? 10 : 1;
    return (double)llround(v * s) / s;
}

/* One sample of a tag at run time t (s) and timestamp ts (ms). */
static void step_tag(double t, int64_t ts, tag *tg) {
    if (tg->frozen) return;
    if (tg->spiked) { /* as told, even beyond the span, at the tag's resolution */
        tg->value = quantize(tg->spike_value, tg->decimals);
        return;
    }
    if (tg->step_p > 0 && urand() < tg->step_p) tg->base += fabs(tg->amp) * (urand() - 0.5);
    double secs = (double)ts / 1000.0, v;
    if (tg->kind == TK_DIURNAL) /* warmest (or driest) at 14 h local time */
        v = tg->base + tg->amp * sin(2 * PI * (fmod(secs / 3600 + 8, 24) - 8) / 24);
    else
        v = tg->base + tg->amp * sin(2 * PI * secs / tg->period + tg->phase);
    v += tg->noise * nrand();
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
    /* A 4-20 mA transmitter reads within its span. */
    v = fmax(tg->lo, fmin(tg->hi, v));
    tg->value = quantize(v, tg->decimals);
    if (tg->kind == TK_WIND_DIR && tg->value >= 360) tg->value = 0;
}

/* ---- formatting ---- */

static void grow(buf *b, size_t more) {
    if (b->n + more + 1 > b->cap) {
        b->cap = (b->n + more + 1) * 2;
        b->p = xrealloc(b->p, b->cap);
    }
}

static void put(buf *b, const char *s, size_t n) {
    grow(b, n);
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

#define PUTS(b, lit) put((b), (lit), sizeof(lit) - 1)

static void put_str(buf *b, const char *s) {
    put(b, s, strlen(s));
}

static void put_int(buf *b, long long v) {
    char tmp[24];
    int k = sizeof tmp;
    bool neg = v < 0;
    unsigned long long u = neg ? 0ull - (unsigned long long)v : (unsigned long long)v;
    do tmp[--k] = (char)('0' + u % 10), u /= 10;
    while (u);
    if (neg) tmp[--k] = '-';
    put(b, tmp + k, sizeof tmp - (size_t)k);
}

/* A quantized value with exactly its decimals: "12.34" parses back to the
 * double quantize() made (both are the double nearest to k / 10^dec). */
static void put_value(buf *b, double v, int dec) {
    long long s = dec == 2 ? 100 : dec == 1 ? 10 : 1;
    long long k = llround(v * (double)s);
    if (k < 0) PUTS(b, "-"), k = -k;
    put_int(b, k / s);
    if (dec) {
        char f[3] = {'.'};
        long long r = k % s;
        if (dec == 2)
            f[1] = (char)('0' + r / 10), f[2] = (char)('0' + r % 10);
        else
            f[1] = (char)('0' + r);
        put(b, f, (size_t)dec + 1);
    }
}

static void batch_end(const client *c, batch *b) {
    switch (c->fmt) {
        case FMT_JSON:
        case FMT_NEURON_VALUES:
            PUTS(&b->msg, "}}");
            break;
        case FMT_NEURON_TAGS:
            PUTS(&b->msg, "]}");
            break;
        case FMT_LP: /* no newline after the last line */
            b->msg.p[--b->msg.n] = 0;
            break;
    }
}

static bool publish(client *c, const char *topic, const buf *msg, const buf *led, int readings);

static long long published; /* messages, for --count */

static void flush(client *c, batch *b) {
    if (!b->n) return;
    if (opt.count >= 0 && published >= opt.count) { /* --count reached: drop the rest */
        b->n = 0, b->msg.n = 0, b->led.n = 0, b->first = NULL, b->head = NULL;
        return;
    }
    batch_end(c, b);
    publish(c, b->first->topic, &b->msg, ledger ? &b->led : NULL, b->n);
    c->turn_msgs++;
    b->n = 0, b->msg.n = 0, b->led.n = 0, b->first = NULL, b->head = NULL;
    if (opt.count >= 0 && ++published >= opt.count) stop_flag = 1;
}

static bool same_group(const tag *a, const tag *b) {
    return a->group_len == b->group_len && !memcmp(a->name, b->name, (size_t)a->group_len);
}

/* Appends reading tg (of device d, at ts) to c's batch, flushing first when
 * it cannot share the message, and after when the message is full. */
static void add_reading(client *c, batch *b, const device *d, const tag *tg, int64_t ts) {
    bool neuron = c->fmt == FMT_NEURON_VALUES || c->fmt == FMT_NEURON_TAGS;
    if (b->n && c->fmt != FMT_LP && (b->first != d || (neuron && !same_group(b->head, tg))))
        flush(c, b);
    buf *m = &b->msg;
    if (!b->n) {
        b->first = d;
        b->head = tg;
        switch (c->fmt) {
            case FMT_JSON:
                PUTS(m, "{\"ts\": ");
                put_int(m, ts);
                PUTS(m, ", \"values\": {");
                break;
            case FMT_NEURON_VALUES:
            case FMT_NEURON_TAGS:
                PUTS(m, "{\"node\": \"");
                put_str(m, d->name);
                if (tg->group_len) {
                    PUTS(m, "\", \"group\": \"");
                    put(m, tg->name, (size_t)tg->group_len);
                }
                PUTS(m, "\", \"timestamp\": ");
                put_int(m, ts);
                if (c->fmt == FMT_NEURON_VALUES)
                    PUTS(m, ", \"values\": {");
                else
                    PUTS(m, ", \"tags\": [");
                break;
            case FMT_LP:
                break;
        }
    } else if (c->fmt != FMT_LP) {
        PUTS(m, ", ");
    }
    const char *leaf = tg->group_len ? tg->name + tg->group_len + 1 : tg->name;
    switch (c->fmt) {
        case FMT_JSON:
            PUTS(m, "\"");
            put_str(m, tg->name);
            PUTS(m, "\": ");
            break;
        case FMT_NEURON_VALUES:
            PUTS(m, "\"");
            put_str(m, leaf);
            PUTS(m, "\": ");
            break;
        case FMT_NEURON_TAGS:
            PUTS(m, "{\"name\": \"");
            put_str(m, leaf);
            PUTS(m, "\", \"value\": ");
            break;
        case FMT_LP:
            /* measurement = the part before the dot, field = after; a tag
             * without a dot is its own measurement with field "value". */
            if (tg->group_len)
                put(m, tg->name, (size_t)tg->group_len);
            else
                put_str(m, tg->name);
            PUTS(m, ",enterprise=");
            put_str(m, c->ent);
            PUTS(m, ",device=");
            put_str(m, d->name);
            PUTS(m, " ");
            if (tg->group_len)
                put_str(m, leaf);
            else
                PUTS(m, "value");
            PUTS(m, "=");
            break;
    }
    put_value(m, tg->value, tg->decimals);
    if (c->fmt == FMT_NEURON_TAGS) PUTS(m, "}");
    if (c->fmt == FMT_LP) {
        PUTS(m, " ");
        put_int(m, ts);
        PUTS(m, "\n");
    }
    if (ledger) {
        char line[160];
        int n = snprintf(line, sizeof line, "%s %" PRId64 " %.17g\n", tg->series, ts, tg->value);
        put(&b->led, line, (size_t)n);
    }
    b->n++;
    if (opt.per_message && b->n >= opt.per_message) flush(c, b);
}

/* ---- MQTT ---- */

/* Tell the network thread that messages wait (once a turn, not a message). */
static void wake_net(client *c) {
    uint64_t one = 1;
    if (write(c->wake_fd, &one, sizeof one) < 0) {
    } /* full counter: it is awake anyway */
}

static void status(client *c, const char *device, const char *s) {
    char topic[96];
    snprintf(topic, sizeof topic, "park/%s/%s/status", c->ent, device);
    mosquitto_publish(c->m, NULL, topic, (int)strlen(s), s, opt.qos, true);
    wake_net(c);
}

static void on_connect(struct mosquitto *m, void *obj, int rc) {
    (void)m;
    client *c = obj;
    if (rc == 0) {
        status(c, "gateway", "online");
        for (int j = 0; j < c->n_devs; j++)
            status(c, c->devs[j].name, atomic_load(&c->devs[j].offline) ? "offline" : "online");
    }
    pthread_mutex_lock(&c->mu);
    c->connack = rc;
    c->connected = rc == 0;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

static void on_disconnect(struct mosquitto *m, void *obj, int rc) {
    (void)m;
    client *c = obj;
    pthread_mutex_lock(&c->mu);
    c->connected = false;
    if (rc != 0 && !c->last_error[0])
        snprintf(c->last_error, sizeof c->last_error, "%s", mosquitto_strerror(rc));
    pthread_mutex_unlock(&c->mu);
}

/* libmosquitto's errors (the OpenSSL reason of a failed handshake). */
static void on_log(struct mosquitto *m, void *obj, int level, const char *s) {
    (void)m;
    client *c = obj;
    if (!(level & MOSQ_LOG_ERR)) return;
    pthread_mutex_lock(&c->mu);
    snprintf(c->last_error, sizeof c->last_error, "%s", s);
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
    if (r) { /* else a status message */
        c->inflight--;
        c->acked_msgs++;
        c->acked_readings += (uint64_t)r;
        /* Wake the publisher only when the window has room again or is
         * empty: a wake-up per PUBACK costs more than the publish itself. */
        if (c->inflight == MAX_INFLIGHT / 2 || c->inflight == 0) pthread_cond_broadcast(&c->cv);
    }
    pthread_mutex_unlock(&c->mu);
    if (l) {
        pthread_mutex_lock(&ledger_mu);
        fputs(l, ledger);
        pthread_mutex_unlock(&ledger_mu);
        free(l);
    }
}

/* Caller holds c->mu: until the in-flight window has room. */
static void wait_window_locked(client *c) {
    if (c->inflight >= MAX_INFLIGHT) wake_net(c); /* the window's messages may all be queued */
    while (c->inflight >= MAX_INFLIGHT && !stop_flag) {
        struct timespec until;
        deadline_in(&until, 100000000L);
        pthread_cond_timedwait(&c->cv, &c->mu, &until);
    }
}

/* A device waits for room before it samples, so its readings' time is
 * when they leave, not when they started waiting behind a full window
 * (what a latency measured from the timestamp must start from). */
static void wait_window(client *c) {
    pthread_mutex_lock(&c->mu);
    wait_window_locked(c);
    pthread_mutex_unlock(&c->mu);
}

static bool publish(client *c, const char *topic, const buf *msg, const buf *led, int readings) {
    pthread_mutex_lock(&c->mu);
    wait_window_locked(c);
    int mid = 0;
    /* Held across publish so on_publish cannot see the mid before we record
     * it. At QoS 1 libmosquitto keeps the message while disconnected (the
     * call says MOSQ_ERR_NO_CONN) and sends it after the reconnect: it is
     * published, and its PUBACK puts it in the ledger. */
    int rc = mosquitto_publish(c->m, &mid, topic, (int)msg->n, msg->p, opt.qos, false);
    if (rc == MOSQ_ERR_SUCCESS || (rc == MOSQ_ERR_NO_CONN && opt.qos > 0)) {
        c->msgs++;
        c->readings += (uint64_t)readings;
        if (opt.qos == 0) {
            c->acked_msgs++;
            c->acked_readings += (uint64_t)readings;
        } else {
            c->inflight++;
            c->readings_by_mid[mid & 0xFFFF] = readings;
            if (led && led->n) {
                c->ledger_by_mid[mid & 0xFFFF] = strdup(led->p);
                if (!c->ledger_by_mid[mid & 0xFFFF]) exit(1);
            }
        }
    }
    pthread_mutex_unlock(&c->mu);
    /* An idle network thread sends at once (a reading's latency starts at
     * its stamp); a busy one takes what queued up while it worked, corked,
     * when it comes round. */
    if (atomic_exchange(&c->idle, false)) wake_net(c);
    if (rc == MOSQ_ERR_SUCCESS && opt.qos == 0 && led && led->n) {
        pthread_mutex_lock(&ledger_mu);
        fputs(led->p, ledger);
        pthread_mutex_unlock(&ledger_mu);
    }
    return rc == MOSQ_ERR_SUCCESS || rc == MOSQ_ERR_NO_CONN;
}

/* ---- incidents ---- */

static int parse_incident(const char *spec, incident *in) {
    memset(in, 0, sizeof *in);
    snprintf(in->spec, sizeof in->spec, "%s", spec);
    in->dur = -1;
    char copy[256], kind[16] = "";
    snprintf(copy, sizeof copy, "%s", spec);
    char *save, *part = strtok_r(copy, ":", &save);
    int pos = 0;
    bool has_value = false;
    for (; part; part = strtok_r(NULL, ":", &save)) {
        char *eq = strchr(part, '=');
        if (eq) {
            *eq = 0;
            char *end;
            double v = strtod(eq + 1, &end);
            if (end == eq + 1 || *end || !isfinite(v)) return -1;
            if (!strcmp(part, "at") && v >= 0)
                in->at = v;
            else if (!strcmp(part, "for") && v >= 0)
                in->dur = v;
            else if (!strcmp(part, "rate") && v > 0)
                in->rate = v;
            else if (!strcmp(part, "value"))
                in->value = v, has_value = true;
            else
                return -1;
            continue;
        }
        char *dst = pos == 0 ? kind : pos == 1 ? in->ent : pos == 2 ? in->dev : in->tag;
        size_t cap = pos == 0 ? sizeof kind : pos == 1 ? sizeof in->ent : sizeof in->dev;
        if (pos > 3 || strlen(part) >= cap) return -1;
        memcpy(dst, part, strlen(part) + 1);
        pos++;
    }
    if (!strcmp(kind, "leak"))
        in->kind = INC_LEAK;
    else if (!strcmp(kind, "freeze"))
        in->kind = INC_FREEZE;
    else if (!strcmp(kind, "offline"))
        in->kind = INC_OFFLINE;
    else if (!strcmp(kind, "spike"))
        in->kind = INC_SPIKE;
    else
        return -1;
    bool needs_tag = in->kind == INC_LEAK || in->kind == INC_SPIKE;
    if (pos < 3 || (needs_tag && pos < 4) || (in->kind == INC_SPIKE && !has_value)) return -1;
    if (in->kind == INC_LEAK && in->rate <= 0) in->rate = 1;
    /* A spike is one reading high (1 s) unless told; the rest last. */
    if (in->dur < 0) in->dur = in->kind == INC_SPIKE ? 1 : 1e18;
    return 0;
}

/* Binds an incident to its enterprise, device and tag; -1 when the park
 * has no such thing (a typo would otherwise do nothing, silently). */
static int bind_incident(incident *in) {
    in->c = find_client(in->ent);
    in->d = find_device(in->c, in->dev);
    if (!in->d) {
        fprintf(stderr, "parksim: incident %s: no device %s/%s in the park\n", in->spec, in->ent,
                in->dev);
        return -1;
    }
    size_t tl = strlen(in->tag);
    for (int q = 0; q < in->d->n_tags && in->tag[0]; q++) {
        tag *tg = &in->d->tags[q];
        bool match =
            !strcmp(tg->name, in->tag) ||
            (in->kind == INC_LEAK && !strncmp(tg->name, in->tag, tl) && tg->name[tl] == '.');
        if (!match) continue;
        if (in->kind != INC_LEAK) return 0;
        if (tg->kind == TK_LEVEL) {
            in->src = tg;
            return 0;
        }
    }
    if (!in->tag[0]) return 0;
    fprintf(stderr, "parksim: incident %s: no %s %s on %s/%s\n", in->spec,
            in->kind == INC_LEAK ? "tank (with a level tag)" : "tag", in->tag, in->ent, in->dev);
    return -1;
}

static const char *inc_name(inc_kind k) {
    return k == INC_LEAK      ? "leak"
           : k == INC_FREEZE  ? "freeze"
           : k == INC_OFFLINE ? "offline"
                              : "spike";
}

static void run_incidents(double t, int64_t ts) {
    for (int i = 0; i < opt.n_inc; i++) {
        incident *in = &opt.inc[i];
        bool active = t >= in->at && t < in->at + in->dur;
        if (active == in->started) continue;
        device *d = in->d;
        if (in->kind == INC_OFFLINE) {
            atomic_store(&d->offline, active);
            status(in->c, d->name, active ? "offline" : "online");
        }
        for (int q = 0; q < d->n_tags; q++) {
            tag *tg = &d->tags[q];
            bool named = !in->tag[0] || !strcmp(tg->name, in->tag);
            if (in->kind == INC_FREEZE && named) tg->frozen = active;
            if (in->kind == INC_SPIKE && named) tg->spiked = active, tg->spike_value = in->value;
        }
        if (active && in->kind == INC_LEAK) {
            static const char cls[] = "ABCDEF";
            logf_("incident %s starts: %.3g kg/s of %s at %s/%s %s; wind %.1f m/s from %.0f deg, "
                  "class %c",
                  inc_name(in->kind), in->rate, in->src->gas->name, in->ent, in->dev, in->tag,
                  wind_speed, wind_dir, cls[stability_class(wind_speed, ts)]);
        } else if (active) {
            logf_("incident %s starts: %s/%s%s%s", inc_name(in->kind), in->ent, in->dev,
                  in->tag[0] ? " " : "", in->tag);
        } else {
            logf_("incident %s ends: %s/%s%s%s", inc_name(in->kind), in->ent, in->dev,
                  in->tag[0] ? " " : "", in->tag);
        }
        in->started = active;
    }
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
static void write_layout(const char *path) {
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

/* ---- broker security: credentials and TLS ---- */

typedef struct credential {
    char user[64], password[256];
} credential;

static credential *creds;
static int n_creds;

/* --credentials: "USER PASSWORD" lines; blank lines and # comments skipped. */
static int load_credentials(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "parksim: cannot read %s: %s\n", path, strerror(errno));
        return -1;
    }
    char line[512];
    int lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        char user[64], pw[256], extra[2];
        int n = sscanf(line, "%63s %255s %1s", user, pw, extra);
        if (n <= 0 || user[0] == '#') continue;
        if (n != 2) {
            fprintf(stderr, "parksim: %s:%d: expected \"USER PASSWORD\"\n", path, lineno);
            fclose(f);
            return -1;
        }
        credential *g = realloc(creds, (size_t)(n_creds + 1) * sizeof *creds);
        if (!g) {
            fclose(f);
            return -1;
        }
        creds = g;
        snprintf(creds[n_creds].user, sizeof creds[n_creds].user, "%s", user);
        snprintf(creds[n_creds].password, sizeof creds[n_creds].password, "%s", pw);
        n_creds++;
    }
    fclose(f);
    return 0;
}

/* A connection's network thread. The publisher queues (threaded mode:
 * mosquitto_publish only queues) and wakes it once a turn; it reads every
 * PUBACK waiting, writes what is queued corked, and reconnects after a lost
 * connection as mosquitto_loop_forever would with reconnect_delay_set(1, 5,
 * false): 1 s, 2 s, ... 5 s. */
static void *net_main(void *arg) {
    client *c = arg;
    struct mosquitto *m = c->m;
    bool up = true; /* main made the first connection */
    int reconnects = 0;
    double next_try = 0, closing_since = 0;
    for (;;) {
        if (atomic_load(&c->closing)) {
            if (!closing_since) closing_since = mono();
            if (!up || mono() - closing_since > 2) break;
        }
        if (!up) {
            if (mono() < next_try || stop_flag) {
                poll(NULL, 0, 50);
                continue;
            }
            if (mosquitto_reconnect(m) != MOSQ_ERR_SUCCESS) {
                reconnects++;
                next_try = mono() + (reconnects < 5 ? reconnects : 5);
                continue;
            }
            up = true;
        }
        int fd = mosquitto_socket(m);
        atomic_store(&c->idle, true); /* before want_write: a later publish wakes us */
        struct pollfd pf[2] = {
            {.fd = fd, .events = POLLIN | (mosquitto_want_write(m) ? POLLOUT : 0)},
            {.fd = c->wake_fd, .events = POLLIN}};
        int rc = MOSQ_ERR_SUCCESS;
        if (fd < 0)
            rc = MOSQ_ERR_NO_CONN;
        else if (poll(pf, 2, 100) < 0 && errno != EINTR)
            rc = MOSQ_ERR_ERRNO;
        atomic_store(&c->idle, false);
        if (pf[1].revents & POLLIN) {
            uint64_t junk;
            if (read(c->wake_fd, &junk, sizeof junk) < 0) {
            }
        }
        if (rc == MOSQ_ERR_SUCCESS && (pf[0].revents & (POLLIN | POLLHUP | POLLERR))) {
            do rc = mosquitto_loop_read(m, 1);
            while (rc == MOSQ_ERR_SUCCESS && mqttio_bytes_waiting(fd));
        }
        if (rc == MOSQ_ERR_SUCCESS && mosquitto_want_write(m)) rc = mqttio_write_corked(m, fd);
        if (rc == MOSQ_ERR_SUCCESS) rc = mosquitto_loop_misc(m);
        if (rc == MOSQ_ERR_SUCCESS) {
            pthread_mutex_lock(&c->mu);
            if (c->connected) reconnects = 0;
            pthread_mutex_unlock(&c->mu);
        } else {
            up = false;
            reconnects++;
            next_try = mono() + (reconnects < 5 ? reconnects : 5);
        }
    }
    return NULL;
}

/* Queue the DISCONNECT and wait until the network thread has sent it. */
static void close_client(client *c) {
    mosquitto_disconnect(c->m);
    atomic_store(&c->closing, true);
    wake_net(c);
    pthread_join(c->net, NULL);
}

/* The connection's user (its enterprise's line of --credentials, else
 * --username) and TLS. */
static int setup_security(client *c) {
    const char *user = opt.username, *pw = opt.password;
    for (int i = 0; i < n_creds; i++)
        if (!strcmp(creds[i].user, c->ent)) user = creds[i].user, pw = creds[i].password;
    if (opt.credentials_path && !user) {
        fprintf(stderr, "parksim: %s has no password for %s (and no --username)\n",
                opt.credentials_path, c->ent);
        return -1;
    }
    int rc = user ? mosquitto_username_pw_set(c->m, user, pw) : MOSQ_ERR_SUCCESS;
    if (rc == MOSQ_ERR_SUCCESS && opt.cafile)
        rc = mosquitto_tls_set(c->m, opt.cafile, NULL, opt.certfile, opt.keyfile, NULL);
    if (rc != MOSQ_ERR_SUCCESS) {
        fprintf(stderr, "parksim: %s-%s: %s%s\n", opt.prefix, c->ent,
                opt.cafile ? "TLS setup (--cafile, --certfile, --keyfile): " : "",
                mosquitto_strerror(rc));
        return -1;
    }
    return 0;
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
            "               [--username U --password P] [--credentials FILE]\n"
            "               [--cafile CA [--certfile CERT --keyfile KEY]]\n"
            "credentials FILE: one \"USER PASSWORD\" line per enterprise (E001, ..., PARK)\n"
            "incidents (times in seconds from the start):\n"
            "  leak:E001:tankfarm-1:T101:at=60:rate=2.5:for=300   (kg/s)\n"
            "  freeze:E002:gd-03:at=30[:for=S]   offline:E003:gd-01:at=10:for=60\n"
            "  spike:E001:pipeline-1:PT01.pressure:at=20:value=9.9[:for=1]\n");
    exit(2);
}

static double num_arg(const char *s, double lo, double hi) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !(v >= lo && v <= hi)) {
        fprintf(stderr, "parksim: bad number '%s'\n", s);
        usage();
    }
    return v;
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has = i + 1 < argc;
        if (!strcmp(a, "--host") && has)
            opt.host = argv[++i];
        else if (!strcmp(a, "--port") && has)
            opt.port = (int)num_arg(argv[++i], 1, 65535);
        else if (!strcmp(a, "--enterprises") && has)
            opt.n_ent = (int)num_arg(argv[++i], 1, MAX_ENT);
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
            opt.rate = num_arg(argv[++i], 1e-3, 1e4);
        else if (!strcmp(a, "--fast"))
            opt.fast = true;
        else if (!strcmp(a, "--duration") && has)
            opt.duration = num_arg(argv[++i], 0, 1e9);
        else if (!strcmp(a, "--count") && has)
            opt.count = (long long)num_arg(argv[++i], 0, 1e18);
        else if (!strcmp(a, "--per-message") && has)
            opt.per_message = (int)num_arg(argv[++i], 0, 1e6);
        else if (!strcmp(a, "--tags-per-enterprise") && has)
            opt.tags_per_ent = (int)num_arg(argv[++i], 0, 1e7);
        else if (!strcmp(a, "--qos") && has)
            opt.qos = (int)num_arg(argv[++i], 0, 1);
        else if (!strcmp(a, "--client-prefix") && has)
            opt.prefix = argv[++i];
        else if (!strcmp(a, "--ledger") && has)
            opt.ledger_path = argv[++i];
        else if (!strcmp(a, "--park") && has)
            opt.park_path = argv[++i];
        else if (!strcmp(a, "--layout") && has)
            opt.layout_path = argv[++i];
        else if (!strcmp(a, "--start-ms") && has)
            opt.start_ms = (int64_t)num_arg(argv[++i], 0, 1e15);
        else if (!strcmp(a, "--quiet"))
            opt.quiet = true;
        else if (!strcmp(a, "--username") && has)
            opt.username = argv[++i];
        else if (!strcmp(a, "--password") && has)
            opt.password = argv[++i];
        else if (!strcmp(a, "--credentials") && has)
            opt.credentials_path = argv[++i];
        else if (!strcmp(a, "--cafile") && has)
            opt.cafile = argv[++i];
        else if (!strcmp(a, "--certfile") && has)
            opt.certfile = argv[++i];
        else if (!strcmp(a, "--keyfile") && has)
            opt.keyfile = argv[++i];
        else if (!strcmp(a, "--incident") && has) {
            if (opt.n_inc == MAX_INCIDENTS || parse_incident(argv[++i], &opt.inc[opt.n_inc]) != 0) {
                fprintf(stderr, "parksim: bad incident '%s'\n", argv[i]);
                usage();
            }
            opt.n_inc++;
        } else
            usage();
    }
    if ((opt.password && !opt.username) || (!opt.certfile != !opt.keyfile) ||
        ((opt.certfile || opt.keyfile) && !opt.cafile)) {
        fprintf(stderr, "parksim: --password needs --username, --certfile and --keyfile go "
                        "together and with --cafile\n");
        usage();
    }
    if (opt.credentials_path && load_credentials(opt.credentials_path) != 0) return 2;
    rng_state = opt.seed * 2654435761u + 88172645463325252ull;
    if (opt.park_path) {
        if (build_park_from_layout(opt.park_path) != 0) return 2;
    } else {
        build_park();
    }
    for (int i = 0; i < opt.n_inc; i++)
        if (bind_incident(&opt.inc[i]) != 0) return 2;
    if (opt.layout_path) write_layout(opt.layout_path);
    if (opt.ledger_path && !(ledger = fopen(opt.ledger_path, "w"))) {
        fprintf(stderr, "parksim: cannot write %s: %s\n", opt.ledger_path, strerror(errno));
        return 2;
    }
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    mosquitto_lib_init();
    int exit_code = 0;
    for (int k = 0; k < n_clients; k++) {
        client *c = clients[k];
        char id[64], will[64];
        snprintf(id, sizeof id, "%s-%s", opt.prefix, c->ent);
        snprintf(will, sizeof will, "park/%s/gateway/status", c->ent);
        pthread_mutex_init(&c->mu, NULL);
        pthread_cond_init(&c->cv, NULL);
        c->readings_by_mid = calloc(65536, sizeof *c->readings_by_mid);
        c->ledger_by_mid = calloc(65536, sizeof *c->ledger_by_mid);
        c->m = mosquitto_new(id, true, c);
        c->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (!c->m || !c->readings_by_mid || !c->ledger_by_mid || c->wake_fd < 0) {
            fprintf(stderr, "parksim: out of memory\n");
            return 1;
        }
        mosquitto_threaded_set(c->m, true); /* publish only queues; net_main sends */
        mosquitto_will_set(c->m, will, 7, "offline", 1, true);
        mosquitto_connect_callback_set(c->m, on_connect);
        mosquitto_disconnect_callback_set(c->m, on_disconnect);
        mosquitto_publish_callback_set(c->m, on_publish);
        mosquitto_log_callback_set(c->m, on_log);
        mosquitto_max_inflight_messages_set(c->m, MAX_INFLIGHT);
        mosquitto_reconnect_delay_set(c->m, 1, 5, false);
        if (setup_security(c) != 0) return 2;
        int rc = mosquitto_connect(c->m, opt.host, opt.port, 30);
        if (rc != MOSQ_ERR_SUCCESS) {
            fprintf(stderr, "parksim: cannot connect to %s:%d%s: %s%s%s%s\n", opt.host, opt.port,
                    opt.cafile ? " over TLS" : "",
                    rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc),
                    c->last_error[0] ? " (" : "", c->last_error, c->last_error[0] ? ")" : "");
            return 1;
        }
        if (pthread_create(&c->net, NULL, net_main, c) != 0) {
            fprintf(stderr, "parksim: cannot start a network thread\n");
            return 1;
        }
    }
    for (int k = 0; k < n_clients && !exit_code; k++) { /* wait for the CONNACKs (5 s) */
        client *c = clients[k];
        pthread_mutex_lock(&c->mu);
        for (int w = 0; w < 100 && c->connack < 0 && !stop_flag; w++) {
            struct timespec until;
            deadline_in(&until, 50000000L);
            pthread_cond_timedwait(&c->cv, &c->mu, &until);
        }
        int rc = c->connack;
        char why[sizeof c->last_error + 4];
        why[0] = 0;
        if (c->last_error[0]) snprintf(why, sizeof why, " (%s)", c->last_error);
        pthread_mutex_unlock(&c->mu);
        if (rc != 0 && !stop_flag) {
            fprintf(stderr, "parksim: broker %s:%d%s %s %s-%s: %s%s\n", opt.host, opt.port,
                    opt.cafile ? " (TLS)" : "",
                    rc < 0 ? "did not answer the CONNECT of" : "refused", opt.prefix, c->ent,
                    rc < 0 ? "no CONNACK in 5 s" : mosquitto_connack_string(rc), rc < 0 ? why : "");
            exit_code = 1;
        }
    }
    if (exit_code) {
        for (int k = 0; k < n_clients; k++) close_client(clients[k]);
        return exit_code;
    }
    int64_t max_lead = 0; /* how far unique timestamps ran ahead of the clock */
    double t0 = mono();
    int64_t start = opt.start_ms ? opt.start_ms : wall_ms();
    long long tick = 0;
    double period = 1.0 / opt.rate;
    if (opt.count == 0) stop_flag = 1;
    while (!stop_flag) {
        double t = opt.fast ? mono() - t0 : (double)tick * period;
        if (opt.duration >= 0 && t >= opt.duration) break;
        if (!opt.fast) { /* realtime: wait for the tick */
            double wait = t0 + t - mono();
            if (wait > 0) usleep((useconds_t)(wait * 1e6));
            if (stop_flag) break;
        }
        int64_t tick_ts = start + (int64_t)llround(t * 1000);
        run_incidents(t, tick_ts);
        /* Enterprise by enterprise, in turns of up to half the in-flight
         * window: a connection that got a whole enterprise's messages in a
         * row would empty its window and then wait for PUBACKs (which a
         * broker without set_tcp_nodelay holds back about 40 ms) while the
         * others idle; but runs of one enterprise's messages suit the
         * receiver better than messages that alternate every device. */
        for (int k = 0; k < n_clients; k++) clients[k]->next_dev = 0;
        for (bool more = true; more && !stop_flag;) {
            more = false;
            for (int k = 0; k < n_clients && !stop_flag; k++) {
                client *c = clients[k];
                c->turn_msgs = 0;
                while (c->next_dev < c->n_devs && c->turn_msgs < MAX_INFLIGHT / 2 && !stop_flag) {
                    device *d = &c->devs[c->next_dev++];
                    if (atomic_load(&d->offline)) continue;
                    if (!c->b.n)
                        wait_window(c); /* nothing batched: this device's message is next */
                    /* A live device stamps its readings when it samples them;
                     * with --start-ms the run's clock does (the tick's time,
                     * or with --fast the time since the start). Strictly
                     * increasing per device: no reading overwrites another. */
                    int64_t stamp = !opt.start_ms ? wall_ms()
                                    : opt.fast    ? start + (int64_t)((mono() - t0) * 1000)
                                                  : tick_ts;
                    int64_t ts = stamp > d->last_ts ? stamp : d->last_ts + 1;
                    d->last_ts = ts;
                    if (ts - stamp > max_lead) max_lead = ts - stamp;
                    for (int q = 0; q < d->n_tags; q++) step_tag(t, ts, &d->tags[q]);
                    for (int q = 0; q < d->n_tags && !stop_flag; q++)
                        add_reading(c, &c->b, d, &d->tags[q], ts);
                    if (c->fmt != FMT_LP || !opt.per_message) flush(c, &c->b);
                }
                if (c->turn_msgs) wake_net(c);
                more |= c->next_dev < c->n_devs;
            }
            if (opt.fast && opt.duration >= 0 && mono() - t0 >= opt.duration) stop_flag = 1;
        }
        for (int k = 0; k < n_clients; k++) {
            flush(clients[k], &clients[k]->b);
            wake_net(clients[k]);
        }
        tick++;
    }
    double elapsed = mono() - t0;
    if (max_lead > 1000)
        logf_("timestamps ran up to %.1f s ahead of the clock (one ms apart per series): too few "
              "series for this rate, add some with --tags-per-enterprise",
              (double)max_lead / 1000);
    /* Wait (bounded, 10 s in all) for the outstanding PUBACKs. */
    double until = mono() + 10;
    for (int k = 0; k < n_clients; k++) {
        client *c = clients[k];
        pthread_mutex_lock(&c->mu);
        while (c->inflight > 0 && mono() < until) {
            struct timespec w;
            deadline_in(&w, 50000000L);
            pthread_cond_timedwait(&c->cv, &c->mu, &w);
        }
        pthread_mutex_unlock(&c->mu);
    }
    uint64_t msgs = 0, readings = 0, am = 0, ar = 0;
    for (int k = 0; k < n_clients; k++) {
        client *c = clients[k];
        /* A clean stop: say so (the will is only for a lost connection). */
        status(c, "gateway", "offline");
        close_client(c);
        close(c->wake_fd);
        pthread_mutex_lock(&c->mu);
        msgs += c->msgs, readings += c->readings, am += c->acked_msgs, ar += c->acked_readings;
        pthread_mutex_unlock(&c->mu);
        mosquitto_destroy(c->m);
        for (int i = 0; i < 65536; i++) free(c->ledger_by_mid[i]);
        free(c->ledger_by_mid);
        free(c->readings_by_mid);
        for (int j = 0; j < c->n_devs; j++) free(c->devs[j].tags);
        free(c->devs);
        pthread_mutex_destroy(&c->mu);
        pthread_cond_destroy(&c->cv);
        free(c->b.msg.p);
        free(c->b.led.p);
        free(c);
    }
    free(clients);
    free(creds);
    mosquitto_lib_cleanup();
    if (ledger && fclose(ledger) != 0) perror("parksim: ledger");
    printf("{\"messages\": %" PRIu64 ", \"readings\": %" PRIu64 ", \"acked_messages\": %" PRIu64
           ", \"acked_readings\": %" PRIu64 ", \"seconds\": %.2f, \"messages_per_s\": %.0f, "
           "\"readings_per_s\": %.0f}\n",
           msgs, readings, am, ar, elapsed, elapsed > 0 ? (double)msgs / elapsed : 0,
           elapsed > 0 ? (double)readings / elapsed : 0);
    return 0;
}
