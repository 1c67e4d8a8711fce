/*
 * parksim.h - parksim's private header: the park model and the globals its
 * three files share. parksim.c has the options, the payload formats and
 * MQTT; parksim_park.c builds the park (made up, or from a --park layout),
 * samples its tags and writes --layout; parksim_incidents.c parses, binds
 * and runs the incidents and the leak's plume.
 */
#ifndef PARKSIM_H
#define PARKSIM_H

#include <mosquitto.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "park_format.h"

#define MAX_ENT       999 /* ids E001..E999 */
#define MAX_INFLIGHT  200 /* libmosquitto finds a PUBACK's message by a list walk */
#define MAX_INCIDENTS 64
#define PI            3.14159265358979323846
/* Park frame origin for --layout (metres east/north of it). */
#define LON0  121.60
#define LAT0  30.00
#define M_LAT 110850.0 /* metres per degree of latitude near 30N */

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
    double design_mpa;   /* pressurised storage's design pressure (gauge); 0: atmospheric */
} gas;

extern const gas gases[];
extern const size_t n_gases;
#define G_PROPANE  0
#define G_AMMONIA  5
#define G_CHLORINE 6
#define G_H2S      7

/* ---- the park model ---- */

typedef enum {
    TK_GENERIC,
    TK_LEVEL,      /* tank level, drains during a leak */
    TK_LEL,        /* combustible detector, %LEL */
    TK_PPM,        /* toxic detector, ppm */
    TK_WIND_SPEED, /* drives the plume */
    TK_WIND_DIR,
    TK_DIURNAL,  /* follows the time of day (air temperature; humidity with amp < 0) */
    TK_FLOW_OUT, /* a pipeline's outlet meter: its inlet's reading less a meter error */
} tag_kind;

typedef enum { DK_OTHER, DK_TANKFARM, DK_PIPELINE, DK_DETECTOR, DK_MET, DK_AQ } dev_kind;

typedef struct tag {
    char name[32];   /* e.g. T101.level */
    char series[96]; /* as the receiver stores it for the enterprise's format */
    int group_len;   /* Neuron group = name[0, group_len); 0 when the name has no dot */
    tag_kind kind;
    double base, amp, period, phase, noise, step_p; /* drift, noise and steps */
    double base_lo, base_hi; /* where steps may take base: normal operation */
    int decimals;            /* resolution 10^-decimals (0..3) */
    double lo, hi;           /* range (4-20 mA span) */
    double value;            /* last published (quantized) */
    double raw;              /* last reading before span and quantization */
    double design;           /* pressure tags: design pressure, MPa (0: none) */
    int ref;                 /* TK_FLOW_OUT: index of the inlet meter in its device */
    double meter_err;        /* TK_FLOW_OUT: the meter's own bias, a fraction */
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

typedef enum {
    INC_LEAK,
    INC_FREEZE,
    INC_OFFLINE,
    INC_SPIKE,
    INC_OVERFILL,
    INC_OVERPRESSURE,
    INC_PIPELINE_LEAK,
    INC_DRIFT
} inc_kind;

typedef struct incident {
    inc_kind kind;
    char spec[160], ent[16], dev[32], tag[32];
    double at, dur, rate, value, pct, max;
    bool started;
    client *c;
    device *d;
    /* leak: the tank's level tag, whose position is the release point;
     * overfill: the level tag; overpressure: the pressure tag; drift: the
     * detector's tag; pipeline-leak: the outlet meter */
    tag *src;
} incident;

typedef struct parksim_opts {
    const char *host, *prefix, *ledger_path, *layout_path, *park_path;
    const char *username, *password, *credentials_path, *cafile, *certfile, *keyfile;
    int port, n_ent, qos, per_message, tags_per_ent;
    uint64_t seed;
    int fmt; /* a fmt_t, or FMT_MIXED */
    double rate, duration;
    long long count;
    bool fast, quiet;
    int64_t start_ms;
    double history_s; /* --history: this much of the past played first, as fast as it goes */
    incident inc[MAX_INCIDENTS];
    int n_inc;
    /* closed-park scenario (parksim_closedpark.c) */
    int closedpark;  /* --closedpark N: hazardous-goods vehicles over the run, 0 off */
    double cp_scale; /* --closedpark-scale S: its durations divided by S */
    const char *api_url, *api_token;
} parksim_opts;

extern parksim_opts opt;
extern client **clients;
extern int n_clients;
extern uint64_t rng_state;
/* Where the park frame's (0, 0) is: LON0/LAT0, or a --park layout's first
 * position. */
extern double frame_lon0, frame_lat0;
/* The wind at met-1 (m/s, degrees it blows from). Without a weather station
 * (a layout that has none) it stays a steady 3 m/s easterly. */
extern double wind_speed, wind_dir;

/* parksim.c */
void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void *xrealloc(void *p, size_t n);
void status(client *c, const char *device, const char *s);
/* One message of the scenario's on c's connection (readings: how many
 * readings it carries, at least 1; ledger_lines: its "<series> <ts>
 * <value>" lines for --ledger, or NULL). */
bool parksim_publish(client *c, const char *topic, const char *payload, size_t len, int readings,
                     const char *ledger_lines);

/* parksim_park.c */
const gas *gas_by_name(const char *name, const gas *fallback);
double ppm_of_mg(double mg_m3, const gas *g);
uint64_t rnd(void);
double urand(void);
double nrand(void);
client *find_client(const char *ent);
client *add_client(const char *ent); /* a connection of its own for ent (NULL: too many) */
device *find_device(client *c, const char *name);
void build_park(void);
int build_park_from_layout(const char *path);
double quantize(double v, int dec);
void step_tag(double t, int64_t ts, const device *d, tag *tg);
void write_layout(const char *path);

/* parksim_incidents.c */
int parse_incident(const char *spec, incident *in);
int bind_incident(incident *in);
void run_incidents(double t, int64_t ts);
int stability_class(double u, int64_t ts_ms);
double leak_reading(double t, int64_t ts, const tag *tg);
double drained(double t, const tag *tg);
/* What overfill, overpressure and drift add to tg's reading at t. */
double incident_offset(double t, const tag *tg);
/* The fraction of the flow an outlet meter tg misses to pipeline leaks at t. */
double pipeline_loss(double t, const tag *tg);

/* parksim_roads.c: the scenario's road network (metres in its frame) */
typedef struct cp_net cp_net;
typedef struct cp_route {
    double *xy; /* x, y pairs */
    int n;
    double *cum; /* distance from the start at each point */
    double length;
} cp_route;
cp_net *cp_net_new(void);
/* hazmat: 0 allowed, 1 designated, 2 closed */
void cp_net_add_road(cp_net *n, const double *xy, int n_points, double speed_kmh, int hazmat,
                     bool oneway);
void cp_net_build(cp_net *n);
int cp_net_nodes(const cp_net *n);
void cp_net_free(cp_net *n);
int cp_net_plan(const cp_net *n, double x0, double y0, double x1, double y1, bool hazmat,
                cp_route *out);
double cp_net_limit(const cp_net *n, double x, double y); /* the nearest road's posted speed */
void cp_route_finish(cp_route *r);                        /* cum and length from xy */
void cp_route_at(const cp_route *r, double s, double *x, double *y, double *heading);
void cp_route_reverse(const cp_route *r, cp_route *out);
void cp_route_free(cp_route *r);

/* parksim_closedpark.c */
int closedpark_setup(void); /* after the park is built, before connecting: 0 or -1 */
void closedpark_tick(double t, int64_t start_ms);
void closedpark_end(void);

#endif
