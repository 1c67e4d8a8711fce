/*
 * internal.h - what the files of cameras/ share; not a public header.
 *
 *   cameras.c   the events: checks, conditions, the tick, open and close
 *   snapshot.c  base64, the image's magic, the files under DIR/snapshots/
 *   query.c     the list, the events, a snapshot read, fires near tanks
 */
#ifndef PARKWATCH_CAMERAS_INTERNAL_H
#define PARKWATCH_CAMERAS_INTERNAL_H

#include <pthread.h>

#include "cameras/cameras.h"

enum {
    CAM_NO_HELMET = 0,
    CAM_SMOKING,
    CAM_FIRE,
    CAM_SMOKE,
    CAM_INTRUSION,
    CAM_FALL,
    CAM_ABSENT,
    CAM_EVENT_COUNT
};
const char *cam_event_name(int e);
int cam_event_parse(const char *s); /* -1: none */

/* One event as stored (and replayed). */
typedef struct cam_event_row {
    uint64_t seq;
    int64_t ts_ms, recv_ms;
    char camera[64];
    int event;
    double confidence;
    bool clear;
    char snap_sha[65]; /* "" none */
    size_t snap_size;
    const char *snap_type; /* static: "image/jpeg", "image/png" */
    char tank[64], hazard_source[64];
    double tank_m;
} cam_event_row;

typedef struct cam_last {
    bool have;
    cam_event_row ev;
} cam_last;

/* A condition raised and not yet cleared. */
typedef struct cam_active {
    size_t slot; /* into cams */
    int event;
    int64_t last_recv_ms, ts_ms;
    double confidence;
    char tank[64], hazard_source[64];
    double tank_m;
} cam_active;

/* A change for the callback, copied out of the lock. */
typedef struct cam_said {
    char name[160], enterprise[33], asset[64], basis[256];
    int kind;
    bool active;
    double value;
    int64_t ts_ms;
} cam_said;

struct cameras {
    pthread_mutex_t mu;
    cameras_options o;
    char *snapdir; /* DIR/snapshots */
    size_t *cams;  /* the layout's camera features, in index order */
    size_t n_cams;
    cam_last *last;  /* per camera */
    cam_active *act; /* the raised conditions */
    size_t n_act, cap_act;
};

/* cameras.c */
long cam_slot(const cameras *c, const char *id); /* -1: not a layout camera */
const char *cam_enterprise(const cameras *c, size_t slot);
void cam_say(cameras *c, const cam_said *s, size_t n);

/* snapshot.c */
int cam_snapshot_dirs(cameras *c, const char *dir, char *err, size_t errcap);
/* base64 text to checked image bytes: 0 (*img malloc'd, *type), 1 refused
 * (why), -1 out of memory. */
int cam_snapshot_decode(const char *b64, size_t len, uint8_t **img, size_t *n, const char **type,
                        char *why, size_t whycap);
/* Stores the bytes once by hash and adds owner to its owners: 0, or -1
 * (why says what failed). Lock held. */
int cam_snapshot_store(cameras *c, const uint8_t *img, size_t n, const char *owner, char hex[65],
                       char *why, size_t whycap);
const char *cam_sniff(const uint8_t *b, size_t n); /* the image type, or NULL */

/* query.c */
json_t *cam_row_body(const cam_event_row *row); /* the stored body */

#endif
