/*
 * internal.h - closedpark/'s private structures, shared by its .c files.
 * Everything here is guarded by closedpark.mu unless said otherwise.
 */
#ifndef PARKWATCH_CLOSEDPARK_INTERNAL_H
#define PARKWATCH_CLOSEDPARK_INTERNAL_H

#include <pthread.h>
#include <string.h>

#include "closedpark/closedpark.h"
#include "common/textbuf.h"

#define CP_CHECK_BUCKETS 70 /* 1 us .. 10 s */

#define CP_PLATE_MAX    64 /* 16 UTF-8 characters of at most 4 bytes */
#define CP_TEXT_MAX     64 /* cargo, driver, vehicle_type, a name */
#define CP_ID_MAX       64 /* a badge id */
#define CP_ENT_MAX      32
#define CP_APPT_ID_MAX  24
#define CP_CLASS_MAX    4
#define CP_PERSON_ZONES 8 /* zones one person may be in at once */
#define CP_DAY_MS       86400000LL
#define CP_TZ_MS        (8 * 3600000LL) /* the park's dates are UTC+8 */

/* ---- a string-keyed map (open addressing, linear probing) ---- */

typedef struct cp_map {
    const char **keys; /* borrowed from the values */
    void **vals;
    size_t cap, n;
} cp_map;

void *cp_map_get(const cp_map *m, const char *key);
int cp_map_put(cp_map *m, const char *key, void *val); /* 0, -1 out of memory */
void cp_map_del(cp_map *m, const char *key);
void cp_map_free(cp_map *m);

/* ---- areas: zones and vehicle parks ---- */

typedef enum cp_zone_type {
    CP_ZONE_HAZARD_AREA = 0,
    CP_ZONE_CONFINED_SPACE,
    CP_ZONE_RESTRICTED,
    CP_ZONE_WORK_AREA,
    CP_ZONE_OTHER
} cp_zone_type;

typedef struct cp_area {
    size_t feature;                     /* layout index */
    const char *id, *name, *enterprise; /* the layout's */
    double *xy;                         /* exterior rings (metric), one after the other */
    size_t *part_end;                   /* as geo_coords */
    size_t n_parts;
    double bbox[4]; /* metric: minx, miny, maxx, maxy */
    /* zones */
    cp_zone_type type;
    long max_people;
    size_t count; /* people inside now */
    bool over;    /* over_limit active */
    /* vehicle parks */
    long capacity;
} cp_area;

bool cp_area_contains(const cp_area *a, double x, double y);
bool cp_ring_contains(const double *xy, size_t n, double x, double y);

/* ---- appointments ---- */

typedef struct cp_route {
    double *xy; /* metric */
    size_t n;
    double length_m, duration_s;
    char **roads;
    size_t n_roads;
} cp_route;

typedef struct cp_appt {
    char id[CP_APPT_ID_MAX];
    char plate[CP_PLATE_MAX + 1];
    char enterprise[CP_ENT_MAX + 1];
    char created_by[CP_ENT_MAX + 1];
    int64_t from, to, created, entered, left, cancelled, changed;
    char gate[128];
    char dest_id[128];
    double dest_lon, dest_lat;
    char hazard_class[CP_CLASS_MAX + 1], un_number[5];
    char cargo[CP_TEXT_MAX + 1], driver[CP_TEXT_MAX + 1], vehicle_type[CP_TEXT_MAX + 1];
    double mass_kg; /* NaN: not given */
    cp_appt_state state;
    cp_route route; /* n == 0: none */
    /* the way back out, from the destination to the gate (a one-way loop
     * out of the vehicle park is not the way in): planned with the route,
     * not stored (planned again at a rebuild) */
    cp_route back;
} cp_appt;

void cp_appt_free(cp_appt *a);
/* The appointment as JSON (with_route: the LineString too). */
json_t *cp_appt_json(const closedpark *cp, const cp_appt *a, bool with_route);
/* From a stored body; NULL when it is not one. */
cp_appt *cp_appt_from_json(closedpark *cp, json_t *o);
bool cp_appt_hazmat(const cp_appt *a);

/* ---- vehicles ---- */

typedef enum cp_kind {
    CPK_NO_APPOINTMENT = 0,
    CPK_CARGO_MISMATCH,
    CPK_OFF_ROUTE,
    CPK_SPEEDING,
    CPK_STOPPED,
    CPK_RESTRICTED,
    CPK_OVERSTAY,
    CPK_COUNT
} cp_kind;
extern const char *const cp_kind_names[CPK_COUNT];

typedef struct cp_track_pt {
    int64_t ts;
    double lon, lat;
} cp_track_pt;

typedef struct cp_vehicle {
    char plate[CP_PLATE_MAX + 1];
    /* presence (from gate passages) */
    bool inside;
    int64_t since, changed; /* last presence change (passage ts) */
    char gate[128];
    char appt[CP_APPT_ID_MAX];
    char enterprise[CP_ENT_MAX + 1];
    char hazard_class[CP_CLASS_MAX + 1], un_number[5], cargo[CP_TEXT_MAX + 1];
    double mass_kg;
    bool no_passage;     /* seen by a position, no entry passage */
    int64_t match_tried; /* when an appointment was last looked for by position */
    /* position */
    bool has_pos;
    int64_t pos_ts;
    double lon, lat, x, y, speed, heading;
    cp_track_pt *ring; /* CLOSEDPARK_TRACK_POINTS, allocated at the first position */
    size_t ring_head, ring_n;
    long vpark; /* the vehicle park it is in, -1 */
    int64_t vpark_since;
    /* timers (0: not running) */
    int64_t off_since, over_since, slow_since;
    double off_m, over_kmh, limit_kmh;
    bool active[CPK_COUNT];
} cp_vehicle;

/* Whether a caller of scope (NULL or "": every enterprise) sees what
 * belongs to enterprise. */
static inline bool cp_in_scope(const char *scope, const char *enterprise) {
    return !scope || !*scope || !strcmp(scope, enterprise);
}

bool cp_vehicle_hazmat(const cp_vehicle *v);

/* The ring's points within [now - track_ms, now], one per step_ms at most
 * (0: all), appended to *pts (grown); how many (layer.c). */
size_t cp_track_points(const cp_vehicle *v, int64_t now, int64_t track_ms, int64_t step_ms,
                       cp_track_pt **pts, size_t *n, size_t *cap);
/* The vehicle's GeoJSON feature with the track points pts[0..n) (a copy of
 * what the ring held: it may be written outside the module's lock). */
void cp_vehicle_feature_text(const closedpark *cp, const cp_vehicle *v, const cp_track_pt *pts,
                             size_t n, textbuf *b);

/* ---- people ---- */

typedef struct cp_membership {
    size_t zone; /* index into cp->zones */
    int64_t since;
    bool by_position; /* entered by a tag position (a position may take them out) */
} cp_membership;

typedef struct cp_person {
    char badge[CP_ID_MAX + 1];
    char name[CP_TEXT_MAX + 1];
    cp_membership in[CP_PERSON_ZONES];
    size_t n_in;
    int64_t changed; /* last membership change */
    int64_t seen;    /* last event or position */
    bool has_pos;
    int64_t pos_ts;
    double lon, lat, x, y;
} cp_person;

/* ---- conditions collected under the lock, called after ---- */

typedef struct cp_change {
    char name[192];
    char kind[24];
    char enterprise[CP_ENT_MAX + 1];
    char asset[128];
    const char *unit, *basis; /* static strings */
    int priority;
    bool active;
    double value, limit;
    int64_t ts_ms;
} cp_change;

typedef struct cp_pending {
    cp_change *v;
    size_t n, cap;
} cp_pending;

/* ---- the module ---- */

struct closedpark {
    pthread_mutex_t mu;
    closedpark_options o; /* thresholds resolved; enterprises copied below */
    const geo_layout *g;
    const roads *roads;
    ev_store *ev;
    char **enterprises;
    size_t n_enterprises;
    double extent[4]; /* metric, without the margin */
    cp_area *zones;   /* the layout's zones */
    size_t n_zones;
    cp_area *vparks; /* vehicle parks */
    size_t n_vparks;
    cp_map zone_by_id; /* id -> cp_area* */
    cp_map appts;      /* id -> cp_appt* */
    cp_map vehicles;   /* plate -> cp_vehicle* */
    cp_map people;     /* badge -> cp_person* */
    int64_t seq_day;   /* the UTC+8 day of seq (days since the epoch) */
    unsigned seq;      /* the last appointment number of seq_day */
    int64_t today;     /* passages counted since this day's start (UTC+8) */
    uint64_t passages_in, passages_out;
    closedpark_counters c;
    uint64_t check_hist[CP_CHECK_BUCKETS]; /* position check times, ten buckets a decade */
    double check_max_us;
};

/* Locks and unlocks; cp_unlock_flush calls the collected changes after
 * releasing the lock and frees them. */
void cp_lock(closedpark *cp);
void cp_unlock_flush(closedpark *cp, cp_pending *p);

/* Raises or clears a vehicle's condition if it changes. */
void cp_vehicle_set(closedpark *cp, cp_vehicle *v, cp_kind k, bool active, double value,
                    double limit, int64_t ts, cp_pending *p);
/* Clears every active condition of a vehicle (it left, it is forgotten). */
void cp_vehicle_clear_all(closedpark *cp, cp_vehicle *v, int64_t ts, cp_pending *p);
/* Re-judges a zone's over_limit. */
void cp_zone_judge(closedpark *cp, cp_area *z, int64_t ts, cp_pending *p);

/* A vehicle by plate, created (outside, no position) when create and room. */
cp_vehicle *cp_vehicle_get(closedpark *cp, const char *plate, bool create);
void cp_vehicle_forget(closedpark *cp, cp_vehicle *v);
cp_person *cp_person_get(closedpark *cp, const char *badge, bool create);

/* The appointment of plate for a passage or position at ts: inside first,
 * else booked with from - grace <= ts <= to (the earliest). NULL: none. */
cp_appt *cp_appt_match(closedpark *cp, const char *plate, int64_t ts);

/* Appends records; 0, 1 refused (EV_EINVAL: why), -1 storage (counted). */
int cp_store(closedpark *cp, const ev_record *r, size_t n, char *why, size_t whycap);
/* Serialises a JSON object for a record (NULL: out of memory). */
char *cp_dump(json_t *o);
/* The appointment's "appointment" record body (route dropped if too big). */
char *cp_appt_body(const closedpark *cp, const cp_appt *a);
/* Writes an appointment's state record (at ts); 0 or -1. */
int cp_appt_store(closedpark *cp, const cp_appt *a, int64_t ts, char *err, size_t errcap);

/* The vehicle's presence body (the "vehicle" record). */
json_t *cp_presence_json(const cp_vehicle *v);
/* The person's state body fields ("zones": [...]) added to o. */
void cp_person_state_json(const closedpark *cp, const cp_person *p, json_t *o);

/* Membership changes of a person, stored and applied by the caller. */
int cp_person_apply(closedpark *cp, cp_person *p, size_t zone, bool in, int64_t ts,
                    bool by_position, cp_pending *pend);

/* Checks. */
bool cp_plate_ok(const char *s);
bool cp_text_ok(const char *s, size_t max_bytes);
bool cp_hazard_class_ok(const char *s);
bool cp_un_number_ok(const char *s);
int64_t cp_day_of(int64_t ms); /* UTC+8 days since the epoch */
void cp_errf(char *err, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* appointments.c: expiry, overstay (called by the tick). */
void cp_appts_tick(closedpark *cp, int64_t now_ms, cp_pending *p);
/* positions.c: the vehicles' and people's timed conditions. */
void cp_positions_tick(closedpark *cp, int64_t now_ms, cp_pending *p);
/* events.c: the rebuild of vehicles and people from the store. */
int cp_rebuild(closedpark *cp, int64_t now_ms, cp_pending *p, char *err, size_t errcap);

/* The feature's point for a gate or a destination. */
bool cp_is_gate(const closedpark *cp, const char *id, size_t *index);

/* Records how long a position's checks took (positions.c). */
void cp_check_time(closedpark *cp, double us);

#endif
