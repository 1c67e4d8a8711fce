/*
 * query.c - the cameras read: the layout's cameras with their last event,
 * the events from the event store, a snapshot's bytes, and the fires and
 * smoke near tanks for the risk view.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cameras/internal.h"

json_t *cam_row_body(const cam_event_row *row) {
    json_t *o =
        json_pack("{s:s,s:s,s:f,s:b}", "camera", row->camera, "event", cam_event_name(row->event),
                  "confidence", row->confidence, "clear", row->clear);
    if (!o) return NULL;
    if (row->snap_sha[0])
        json_object_set_new(o, "snapshot",
                            json_pack("{s:s,s:I,s:s}", "sha256", row->snap_sha, "size",
                                      (json_int_t)row->snap_size, "type",
                                      row->snap_type ? row->snap_type : "image/jpeg"));
    if (row->tank[0]) {
        json_object_set_new(o, "tank", json_string(row->tank));
        json_object_set_new(o, "tank_m", json_real(round(row->tank_m * 10) / 10));
        json_object_set_new(o, "hazard_source", json_string(row->hazard_source));
    }
    return o;
}

static bool sees(const char *scope, const char *enterprise) {
    return !scope || !strcmp(scope, enterprise);
}

/* the last event as a list row */
static json_t *last_json(const cam_event_row *r) {
    json_t *o = cam_row_body(r);
    if (!o) return json_null();
    json_object_set_new(o, "seq", json_integer((json_int_t)r->seq));
    json_object_set_new(o, "ts_ms", json_integer(r->ts_ms));
    return o;
}

int cameras_list(cameras *c, const char *scope, json_t **out, char *err, size_t errcap) {
    json_t *rows = json_array();
    const geo_layout *g = c->o.layout;
    pthread_mutex_lock(&c->mu);
    for (size_t k = 0; k < c->n_cams; k++) {
        size_t i = c->cams[k];
        const geo_feature *f = geo_get(g, i);
        if (!sees(scope, f->enterprise)) continue;
        json_t *active = json_array();
        for (size_t a = 0; a < c->n_act; a++)
            if (c->act[a].slot == k)
                json_array_append_new(active, json_string(cam_event_name(c->act[a].event)));
        json_t *o = json_pack(
            "{s:s,s:s,s:s,s:f,s:f,s:f,s:f,s:f,s:o,s:o}", "id", f->id, "name", f->name, "enterprise",
            f->enterprise, "lon", f->lon, "lat", f->lat, "direction_deg",
            geo_prop_num(g, i, "direction_deg", 0), "fov_deg", geo_prop_num(g, i, "fov_deg", 90),
            "range_m", geo_prop_num(g, i, "range_m", 100), "last_event",
            c->last[k].have ? last_json(&c->last[k].ev) : json_null(), "active", active);
        json_array_append_new(rows, o);
    }
    pthread_mutex_unlock(&c->mu);
    *out = json_pack("{s:o}", "cameras", rows);
    if (!*out) return snprintf(err, errcap, "out of memory"), -1;
    return 0;
}

int cameras_events(cameras *c, const char *scope, int64_t from_ms, int64_t to_ms,
                   const char *camera, size_t limit, json_t **out, char *err, size_t errcap) {
    *out = NULL;
    if (!limit) limit = 1000;
    if (limit > 10000) return snprintf(err, errcap, "invalid: limit: 1..10000"), -1;
    if (from_ms >= to_ms) return snprintf(err, errcap, "invalid: from must be before to"), -1;
    ev_list l = {0};
    ev_status st;
    char eerr[200];
    if (camera) {
        long slot = cam_slot(c, camera);
        if (slot < 0 || !sees(scope, cam_enterprise(c, (size_t)slot)))
            return snprintf(err, errcap, "invalid: camera: no camera %.64s", camera), -1;
        char entity[EV_ENTITY_MAX + 1];
        snprintf(entity, sizeof entity, "camera:%s", camera);
        st = ev_query_entity(c->o.events, entity, from_ms, to_ms, limit, &l, eerr, sizeof eerr);
    } else {
        ev_filter f = {.kind = "camera", .enterprise = scope};
        st = ev_query_time(c->o.events, from_ms, to_ms, &f, limit, &l, eerr, sizeof eerr);
    }
    if (st == EV_EINVAL) return snprintf(err, errcap, "invalid: %s", eerr), -1;
    if (st) return snprintf(err, errcap, "event store: %s", eerr), -1;
    json_t *rows = json_array();
    for (size_t i = 0; i < l.n; i++) {
        const ev_event *e = &l.v[i];
        if (strcmp(e->kind, "camera") || !sees(scope, e->enterprise)) continue;
        json_t *b = json_loadb(e->body, e->body_len, 0, NULL);
        if (!b) continue;
        json_object_set_new(b, "seq", json_integer((json_int_t)e->seq));
        json_object_set_new(b, "ts_ms", json_integer(e->ts_ms));
        json_object_set_new(b, "recv_ms", json_integer(e->recv_ms));
        json_object_set_new(b, "enterprise", json_string(e->enterprise));
        json_array_append_new(rows, b);
    }
    bool truncated = l.truncated;
    ev_list_free(&l);
    *out = json_pack("{s:o,s:b}", "events", rows, "truncated", truncated);
    if (!*out) return snprintf(err, errcap, "out of memory"), -1;
    return 0;
}

static bool hex_ok(const char *s) {
    if (!s || strlen(s) != 64) return false;
    for (int i = 0; i < 64; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return false;
    return true;
}

static bool owned_by(const char *opath, const char *scope) {
    FILE *f = fopen(opath, "r");
    if (!f) return false;
    char line[64];
    bool yes = false;
    while (!yes && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        yes = !strcmp(line, scope);
    }
    fclose(f);
    return yes;
}

int cameras_snapshot(cameras *c, const char *scope, const char *sha256_hex, void **bytes,
                     size_t *len, const char **type, char *err, size_t errcap) {
    *bytes = NULL, *len = 0, *type = NULL;
    if (!hex_ok(sha256_hex))
        return snprintf(err, errcap, "no snapshot %.70s (64 lower-case hex digits)",
                        sha256_hex ? sha256_hex : ""),
               1;
    char path[4200], opath[4220];
    snprintf(path, sizeof path, "%s/%s", c->snapdir, sha256_hex);
    snprintf(opath, sizeof opath, "%s.owners", path);
    /* a hash is no key to another enterprise's pictures */
    if (scope && !owned_by(opath, scope))
        return snprintf(err, errcap, "no snapshot %s", sha256_hex), 1;
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT) return snprintf(err, errcap, "no snapshot %s", sha256_hex), 1;
        return snprintf(err, errcap, "cameras: %s: %s", path, strerror(errno)), -1;
    }
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0 || sb.st_size < 0 || sb.st_size > CAMERAS_SNAPSHOT_MAX) {
        fclose(f);
        return snprintf(err, errcap, "cameras: %s: not a snapshot", path), -1;
    }
    size_t n = (size_t)sb.st_size;
    void *b = malloc(n ? n : 1);
    if (!b || fread(b, 1, n, f) != n) {
        free(b);
        fclose(f);
        return snprintf(err, errcap, "cameras: %s: short read", path), -1;
    }
    fclose(f);
    const char *t = cam_sniff(b, n);
    if (!t) {
        free(b);
        return snprintf(err, errcap, "cameras: %s: not an image", path), -1;
    }
    *bytes = b, *len = n, *type = t;
    return 0;
}

size_t cameras_fire_near_tanks(cameras *c, cameras_tank_fire *out, size_t cap) {
    size_t n = 0;
    pthread_mutex_lock(&c->mu);
    for (size_t i = 0; i < c->n_act; i++) {
        const cam_active *a = &c->act[i];
        if ((a->event != CAM_FIRE && a->event != CAM_SMOKE) || !a->tank[0]) continue;
        if (n < cap) {
            cameras_tank_fire *r = &out[n];
            memset(r, 0, sizeof *r);
            snprintf(r->camera, sizeof r->camera, "%s", geo_get(c->o.layout, c->cams[a->slot])->id);
            snprintf(r->event, sizeof r->event, "%s", cam_event_name(a->event));
            snprintf(r->tank, sizeof r->tank, "%s", a->tank);
            snprintf(r->hazard_source, sizeof r->hazard_source, "%s", a->hazard_source);
            r->distance_m = a->tank_m;
            r->ts_ms = a->ts_ms;
        }
        n++;
    }
    pthread_mutex_unlock(&c->mu);
    return n;
}
