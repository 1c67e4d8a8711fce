/*
 * cameras.c - camera events (cameras.h): checked where they enter,
 * snapshots stored by their SHA-256, events in the event store, and one
 * condition per camera and event, raised at the event and cleared by the
 * analytics' all-clear or after clear_after_ms without a repeat.
 *
 * Queries (list, events, snapshots, the fires near tanks) are in
 * query.c; snapshot files in snapshot.c.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cameras/internal.h"
#include "common/clock.h"
#include "common/jsonfmt.h"

#define MIN_MS     60000LL
#define REPLAY_MS  (60 * MIN_MS)
#define TS_FIRST   946684800000LL  /* 2000-01-01: the event store's bounds */
#define TS_END     4102444800000LL /* 2100-01-01 */
#define MAX_ACTIVE 4096

static const char *const event_names[CAM_EVENT_COUNT] = {"no_helmet", "smoking", "fire",  "smoke",
                                                         "intrusion", "fall",    "absent"};
/* docs/closed-park.md, the conditions table: fire, smoke 1; fall,
 * intrusion 2; others 3 */
static const int event_priority[CAM_EVENT_COUNT] = {3, 3, 1, 1, 2, 2, 3};

const char *cam_event_name(int e) {
    return e >= 0 && e < CAM_EVENT_COUNT ? event_names[e] : "unknown";
}

int cam_event_parse(const char *s) {
    for (int i = 0; s && i < CAM_EVENT_COUNT; i++)
        if (!strcmp(s, event_names[i])) return i;
    return -1;
}

long cam_slot(const cameras *c, const char *id) {
    if (!c->o.layout || !id) return -1;
    long f = geo_find(c->o.layout, id);
    if (f < 0) return -1;
    for (size_t i = 0; i < c->n_cams; i++)
        if (c->cams[i] == (size_t)f) return (long)i;
    return -1;
}

const char *cam_enterprise(const cameras *c, size_t slot) {
    return geo_get(c->o.layout, c->cams[slot])->enterprise;
}

/* ---- conditions ---- */

static cam_active *find_active(cameras *c, size_t slot, int ev) {
    for (size_t i = 0; i < c->n_act; i++)
        if (c->act[i].slot == slot && c->act[i].event == ev) return &c->act[i];
    return NULL;
}

/* The condition of a, active or not, for the callback (copied: said
 * after the lock is released). */
static void note_change(const cameras *c, const cam_active *a, bool active, int64_t ts_ms,
                        cam_said *out) {
    const geo_feature *f = geo_get(c->o.layout, c->cams[a->slot]);
    snprintf(out->name, sizeof out->name, "%s/cameras/%s/%s",
             f->enterprise[0] ? f->enterprise : "PARK", f->id, cam_event_name(a->event));
    snprintf(out->enterprise, sizeof out->enterprise, "%s", f->enterprise);
    snprintf(out->asset, sizeof out->asset, "%s", f->id);
    if (a->tank[0])
        snprintf(out->basis, sizeof out->basis,
                 "%s seen by camera %s, %.0f m from tank %s%s%s: fire or smoke within %.0f m of a "
                 "tank (docs/closed-park.md)",
                 cam_event_name(a->event), f->id, a->tank_m, a->tank,
                 a->hazard_source[0] ? " of hazard source " : "", a->hazard_source,
                 c->o.tank_radius_m);
    else
        snprintf(out->basis, sizeof out->basis, "%s seen by camera %s (video analytics)",
                 cam_event_name(a->event), f->id);
    out->kind = a->event;
    out->active = active;
    out->value = a->confidence;
    out->ts_ms = ts_ms;
}

void cam_say(cameras *c, const cam_said *s, size_t n) {
    for (size_t i = 0; c->o.on_condition && i < n; i++) {
        pw_condition pc = {.name = s[i].name,
                           .kind = cam_event_name(s[i].kind),
                           .enterprise = s[i].enterprise,
                           .asset = s[i].asset,
                           .unit = "",
                           .basis = s[i].basis,
                           .priority = event_priority[s[i].kind],
                           .active = s[i].active,
                           .value = s[i].value,
                           .limit = 0,
                           .ts_ms = s[i].ts_ms};
        c->o.on_condition(&pc, c->o.ctx);
    }
}

/* An event applied to the last events and the conditions; lock held.
 * *said (may be NULL: a replay says nothing) gets a change, *n_said 0 or 1. */
static void apply(cameras *c, size_t slot, int ev, bool clear, const cam_event_row *row,
                  cam_said *said, size_t *n_said) {
    *n_said = 0;
    cam_last *l = &c->last[slot];
    if (!l->have || row->ts_ms >= l->ev.ts_ms) {
        l->have = true;
        l->ev = *row;
    }
    cam_active *a = find_active(c, slot, ev);
    if (clear) {
        if (!a) return;
        if (said) note_change(c, a, false, row->ts_ms, said), *n_said = 1;
        *a = c->act[--c->n_act];
        return;
    }
    if (a) { /* a repeat: raised once, the clock restarts */
        if (row->recv_ms > a->last_recv_ms) a->last_recv_ms = row->recv_ms;
        a->confidence = row->confidence;
        return;
    }
    if (c->n_act >= MAX_ACTIVE) return; /* bounded; the event is stored all the same */
    if (c->n_act == c->cap_act) {
        size_t nc = c->cap_act ? c->cap_act * 2 : 32;
        cam_active *na = realloc(c->act, nc * sizeof *na);
        if (!na) return;
        c->act = na, c->cap_act = nc;
    }
    a = &c->act[c->n_act++];
    memset(a, 0, sizeof *a);
    a->slot = slot, a->event = ev;
    a->last_recv_ms = row->recv_ms, a->ts_ms = row->ts_ms, a->confidence = row->confidence;
    snprintf(a->tank, sizeof a->tank, "%s", row->tank);
    snprintf(a->hazard_source, sizeof a->hazard_source, "%s", row->hazard_source);
    a->tank_m = row->tank_m;
    if (said) note_change(c, a, true, row->ts_ms, said), *n_said = 1;
}

/* The tank nearest the camera within the radius and its hazard source. */
static void near_tank(const cameras *c, size_t slot, cam_event_row *row) {
    const geo_layout *g = c->o.layout;
    const geo_feature *f = geo_get(g, c->cams[slot]);
    geo_hits h;
    if (geo_within_point(g, f->lon, f->lat, c->o.tank_radius_m, GEO_TANK, &h) != 0) return;
    if (h.n) {
        const geo_feature *t = geo_get(g, h.index[0]);
        snprintf(row->tank, sizeof row->tank, "%s", t->id);
        row->tank_m = h.distance_m[0];
        geo_hits hs;
        if (geo_within_feature(g, h.index[0], 0, GEO_HAZARD_SOURCE, &hs) == 0) {
            if (hs.n)
                snprintf(row->hazard_source, sizeof row->hazard_source, "%s",
                         geo_get(g, hs.index[0])->id);
            geo_hits_free(&hs);
        }
    }
    geo_hits_free(&h);
}

/* ---- the event ---- */

static int refuse(char *why, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int refuse(char *why, size_t cap, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    if (why && cap) vsnprintf(why, cap, fmt, ap);
    va_end(ap);
    return 1;
}

int cameras_take_event(cameras *c, const char *source_enterprise, json_t *ev, int64_t recv_ms,
                       char *why, size_t whycap) {
    if (why && whycap) why[0] = 0;
    if (!json_is_object(ev)) return refuse(why, whycap, "a camera event is a JSON object");
    const char *type = json_string_value(json_object_get(ev, "type"));
    if (type && strcmp(type, "camera")) return refuse(why, whycap, "type: \"camera\"");
    const char *cam = json_string_value(json_object_get(ev, "camera"));
    if (!cam || !*cam || strlen(cam) > 63)
        return refuse(why, whycap, "camera: the camera's layout id, required");
    const char *evname = json_string_value(json_object_get(ev, "event"));
    int e = cam_event_parse(evname);
    if (e < 0)
        return refuse(why, whycap,
                      "event: no_helmet, smoking, fire, smoke, intrusion, fall or absent");
    json_t *cj = json_object_get(ev, "confidence");
    double conf = json_number_value(cj);
    if (!json_is_number(cj) || !(conf >= 0 && conf <= 1))
        return refuse(why, whycap, "confidence: a number in 0..1, required");
    json_t *tj = json_object_get(ev, "ts");
    int64_t ts = json_is_integer(tj) ? json_integer_value(tj) : 0;
    if (!json_is_integer(tj) || ts < TS_FIRST || ts >= TS_END)
        return refuse(why, whycap, "ts: the event's time in ms since 1970, required");
    if (ts > recv_ms + 10 * MIN_MS)
        return refuse(why, whycap, "ts: more than 10 min after it was received");
    json_t *clj = json_object_get(ev, "clear");
    if (clj && !json_is_boolean(clj) && !json_is_null(clj))
        return refuse(why, whycap, "clear: true or false");
    bool clear = json_is_true(clj);
    json_t *sj = json_object_get(ev, "snapshot");
    if (sj && !json_is_null(sj) && !json_is_string(sj))
        return refuse(why, whycap, "snapshot: base64 text");
    long slot = cam_slot(c, cam);
    if (slot < 0) return refuse(why, whycap, "camera: %s is not a camera of the layout", cam);
    const char *owner = cam_enterprise(c, (size_t)slot);
    const char *src = source_enterprise ? source_enterprise : "";
    /* the park's staff ("") and the park's own platform (PARK) report for
     * any camera; an enterprise for its own */
    if (*src && strcmp(src, "PARK") && strcmp(src, owner))
        return refuse(why, whycap, "camera: %s is %s's, not %.32s's", cam,
                      *owner ? owner : "the park", src);
    cam_event_row row = {
        .ts_ms = ts, .recv_ms = recv_ms, .event = e, .confidence = conf, .clear = clear};
    snprintf(row.camera, sizeof row.camera, "%s", cam);
    uint8_t *img = NULL;
    size_t img_n = 0;
    if (json_is_string(sj)) {
        int r = cam_snapshot_decode(json_string_value(sj), json_string_length(sj), &img, &img_n,
                                    &row.snap_type, why, whycap);
        if (r) return r;
    }
    if ((e == CAM_FIRE || e == CAM_SMOKE) && !clear) near_tank(c, (size_t)slot, &row);
    pthread_mutex_lock(&c->mu);
    int rc = 0;
    if (img) {
        rc = cam_snapshot_store(c, img, img_n, *owner ? owner : "PARK", row.snap_sha, why, whycap);
        row.snap_size = img_n;
    }
    json_t *body = rc ? NULL : cam_row_body(&row);
    char *text = NULL;
    size_t len = 0;
    if (!rc && !(text = body ? pw_json_text(body, &len) : NULL)) {
        snprintf(why, whycap, "cameras: out of memory");
        rc = -1;
    }
    json_decref(body);
    if (!rc) {
        char entity[EV_ENTITY_MAX + 1];
        snprintf(entity, sizeof entity, "camera:%s", cam);
        ev_record r = {.ts_ms = ts,
                       .recv_ms = recv_ms,
                       .kind = "camera",
                       .enterprise = owner,
                       .entities = {entity},
                       .n_entities = 1,
                       .body = text,
                       .body_len = len};
        char eerr[200];
        uint64_t seq = 0;
        ev_status es = ev_append(c->o.events, &r, 1, &seq, eerr, sizeof eerr);
        if (es == EV_EINVAL)
            rc = refuse(why, whycap, "%s", eerr);
        else if (es)
            rc = -1, snprintf(why, whycap, "event store: %s", eerr);
        row.seq = seq;
    }
    free(text);
    cam_said said;
    size_t n_said = 0;
    if (!rc) apply(c, (size_t)slot, e, clear, &row, &said, &n_said);
    pthread_mutex_unlock(&c->mu);
    free(img);
    if (n_said) cam_say(c, &said, n_said);
    return rc;
}

void cameras_tick(cameras *c, int64_t now_ms) {
    cam_said *s = NULL;
    size_t n = 0;
    pthread_mutex_lock(&c->mu);
    for (size_t i = 0; i < c->n_act;) {
        cam_active *a = &c->act[i];
        if (now_ms - a->last_recv_ms < c->o.clear_after_ms) {
            i++;
            continue;
        }
        cam_said *ns = realloc(s, (n + 1) * sizeof *ns);
        if (!ns) break; /* cleared at the next tick */
        s = ns;
        note_change(c, a, false, now_ms, &s[n++]);
        *a = c->act[--c->n_act];
    }
    pthread_mutex_unlock(&c->mu);
    cam_say(c, s, n);
    free(s);
}

/* ---- open: the cameras of the layout, the last hour replayed ---- */

static const char *str_or(const char *s) {
    return s ? s : "";
}

/* The stored body of an event back to a row (a replay). */
static bool row_of(const ev_event *e, cam_event_row *row) {
    json_t *b = json_loadb(e->body, e->body_len, 0, NULL);
    if (!b) return false;
    memset(row, 0, sizeof *row);
    row->seq = e->seq, row->ts_ms = e->ts_ms, row->recv_ms = e->recv_ms;
    row->event = cam_event_parse(json_string_value(json_object_get(b, "event")));
    row->confidence = json_number_value(json_object_get(b, "confidence"));
    row->clear = json_is_true(json_object_get(b, "clear"));
    snprintf(row->camera, sizeof row->camera, "%s",
             str_or(json_string_value(json_object_get(b, "camera"))));
    json_t *s = json_object_get(b, "snapshot");
    if (json_is_object(s)) {
        snprintf(row->snap_sha, sizeof row->snap_sha, "%s",
                 str_or(json_string_value(json_object_get(s, "sha256"))));
        row->snap_size = (size_t)json_integer_value(json_object_get(s, "size"));
        const char *t = json_string_value(json_object_get(s, "type"));
        row->snap_type = t && !strcmp(t, "image/png") ? "image/png" : "image/jpeg";
    }
    snprintf(row->tank, sizeof row->tank, "%s",
             str_or(json_string_value(json_object_get(b, "tank"))));
    snprintf(row->hazard_source, sizeof row->hazard_source, "%s",
             str_or(json_string_value(json_object_get(b, "hazard_source"))));
    row->tank_m = json_number_value(json_object_get(b, "tank_m"));
    json_decref(b);
    return row->event >= 0;
}

int cameras_open(const cameras_options *o, int64_t now_ms, cameras **out, char *err,
                 size_t errcap) {
    *out = NULL;
    if (!o || !o->dir || !o->events) {
        snprintf(err, errcap, "cameras: a directory and the event store are required");
        return -1;
    }
    cameras *c = calloc(1, sizeof *c);
    if (!c) return snprintf(err, errcap, "out of memory"), -1;
    c->o = *o;
    if (c->o.clear_after_ms <= 0) c->o.clear_after_ms = 5 * MIN_MS;
    if (!(c->o.tank_radius_m > 0)) c->o.tank_radius_m = 100;
    pthread_mutex_init(&c->mu, NULL);
    if (cam_snapshot_dirs(c, o->dir, err, errcap) != 0) {
        cameras_close(c);
        return -1;
    }
    size_t nf = o->layout ? geo_count_all(o->layout) : 0;
    c->cams = malloc((nf ? nf : 1) * sizeof *c->cams);
    if (!c->cams) {
        cameras_close(c);
        return snprintf(err, errcap, "out of memory"), -1;
    }
    for (size_t i = 0; i < nf; i++)
        if (geo_get(o->layout, i)->kind == GEO_CAMERA) c->cams[c->n_cams++] = i;
    c->last = calloc(c->n_cams ? c->n_cams : 1, sizeof *c->last);
    if (!c->last) {
        cameras_close(c);
        return snprintf(err, errcap, "out of memory"), -1;
    }
    if (!now_ms) now_ms = pw_wall_ms();
    /* the last hour again: conditions raised before a stop clear in time */
    ev_filter f = {.kind = "camera"};
    ev_list l = {0};
    char eerr[200];
    if (ev_query_time(o->events, now_ms - REPLAY_MS, now_ms + 10 * MIN_MS + 1, &f, 10000, &l, eerr,
                      sizeof eerr) != EV_OK) {
        cameras_close(c);
        snprintf(err, errcap, "cameras: event store: %s", eerr);
        return -1;
    }
    for (size_t i = 0; i < l.n; i++) {
        cam_event_row row;
        long slot;
        size_t ns;
        if (row_of(&l.v[i], &row) && (slot = cam_slot(c, row.camera)) >= 0)
            apply(c, (size_t)slot, row.event, row.clear, &row, NULL, &ns);
    }
    ev_list_free(&l);
    /* each camera's last event, for the list: the nearest window that has one */
    static const int64_t windows[] = {REPLAY_MS, 24 * REPLAY_MS, 30 * 24 * REPLAY_MS};
    for (size_t k = 0; k < c->n_cams; k++) {
        if (c->last[k].have) continue;
        char entity[EV_ENTITY_MAX + 1];
        snprintf(entity, sizeof entity, "camera:%s", geo_get(o->layout, c->cams[k])->id);
        for (size_t w = 0; w < 3 && !c->last[k].have; w++) {
            ev_list el = {0};
            if (ev_query_entity(o->events, entity, now_ms - windows[w], now_ms + 10 * MIN_MS + 1,
                                10000, &el, eerr, sizeof eerr) != EV_OK)
                break;
            cam_event_row row;
            if (el.n && row_of(&el.v[el.n - 1], &row)) c->last[k] = (cam_last){true, row};
            ev_list_free(&el);
        }
    }
    *out = c;
    return 0;
}

void cameras_close(cameras *c) {
    if (!c) return;
    pthread_mutex_destroy(&c->mu);
    free(c->cams);
    free(c->last);
    free(c->act);
    free(c->snapdir);
    free(c);
}
