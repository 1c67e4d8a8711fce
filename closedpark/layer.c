/*
 * layer.c - the live vehicle layer written as GeoJSON text. 5,000 vehicles
 * with two minutes of track are some 4 MB of JSON; built as a jansson tree
 * and dumped it cost 140-200 ms, written straight into a buffer with the
 * integer number formatting of common/numfmt.h it costs a few.
 *
 * The vehicles are copied under the module's lock (a memcpy each and
 * their thinned track) and written outside it, so a reader of the whole
 * layer never holds up the positions' checks.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "closedpark/internal.h"
#include "common/numfmt.h"
#include "common/textbuf.h"

static void put_key(textbuf *b, const char *key) {
    tb_put(b, ",\"", 2);
    tb_str(b, key);
    tb_put(b, "\":", 2);
}

/* A value rounded to 0.01, or null. */
static void put_num(textbuf *b, const char *key, double v) {
    char t[NF_MAX];
    put_key(b, key);
    if (!isfinite(v))
        tb_put(b, "null", 4);
    else
        tb_put(b, t, nf_double(t, round(v * 100) / 100));
}

static void put_int_or_null(textbuf *b, const char *key, bool has, int64_t v) {
    char t[NF_MAX];
    put_key(b, key);
    if (has)
        tb_put(b, t, nf_i64(t, v));
    else
        tb_put(b, "null", 4);
}

static void put_str_or_null(textbuf *b, const char *key, const char *s) {
    put_key(b, key);
    if (s && *s)
        tb_jstr(b, s);
    else
        tb_put(b, "null", 4);
}

static void put_bool(textbuf *b, const char *key, bool v) {
    put_key(b, key);
    tb_str(b, v ? "true" : "false");
}

/* "[lon,lat" to 1e-7 degrees (about a centimetre), no closing bracket. */
static void put_lonlat(textbuf *b, double lon, double lat) {
    char t[NF_MAX];
    tb_put(b, "[", 1);
    tb_put(b, t, nf_fixed_digits(t, lon, 7));
    tb_put(b, ",", 1);
    tb_put(b, t, nf_fixed_digits(t, lat, 7));
}

void cp_vehicle_feature_text(const closedpark *cp, const cp_vehicle *v, const cp_track_pt *pts,
                             size_t n, textbuf *b) {
    tb_str(b, "{\"type\":\"Feature\",\"id\":");
    tb_jstr(b, v->plate);
    tb_str(b, ",\"geometry\":");
    if (v->has_pos) {
        tb_str(b, "{\"type\":\"Point\",\"coordinates\":");
        put_lonlat(b, v->lon, v->lat);
        tb_put(b, "]}", 2);
    } else {
        tb_put(b, "null", 4);
    }
    tb_str(b, ",\"properties\":{\"plate\":");
    tb_jstr(b, v->plate);
    put_int_or_null(b, "ts", v->has_pos, v->pos_ts);
    put_num(b, "speed", v->speed);
    put_num(b, "heading", v->heading);
    put_str_or_null(b, "hazard_class", v->hazard_class);
    put_str_or_null(b, "un_number", v->un_number);
    put_str_or_null(b, "cargo", v->cargo);
    put_num(b, "mass_kg", v->mass_kg);
    put_str_or_null(b, "enterprise", v->enterprise);
    put_str_or_null(b, "appointment", v->appt);
    put_bool(b, "inside", v->inside);
    put_int_or_null(b, "since", v->changed != 0, v->since);
    put_str_or_null(b, "gate", v->gate);
    put_str_or_null(b, "in_vehicle_park", v->vpark >= 0 ? cp->vparks[v->vpark].id : NULL);
    put_bool(b, "no_passage", v->no_passage);
    put_key(b, "flags");
    tb_put(b, "[", 1);
    for (int k = 0, first = 1; k < CPK_COUNT; k++) {
        if (!v->active[k]) continue;
        if (!first) tb_put(b, ",", 1);
        tb_jstr(b, cp_kind_names[k]);
        first = 0;
    }
    tb_put(b, "]", 1);
    put_key(b, "track");
    tb_put(b, "[", 1);
    char t[NF_MAX];
    for (size_t i = 0; i < n; i++) {
        if (i) tb_put(b, ",", 1);
        put_lonlat(b, pts[i].lon, pts[i].lat);
        tb_put(b, ",", 1);
        tb_put(b, t, nf_i64(t, pts[i].ts));
        tb_put(b, "]", 1);
    }
    tb_put(b, "]}}", 3);
}

size_t cp_track_points(const cp_vehicle *v, int64_t now, int64_t track_ms, int64_t step_ms,
                       cp_track_pt **pts, size_t *n, size_t *cap) {
    size_t before = *n;
    if (track_ms <= 0 || !v->ring_n) return 0;
    /* Positions arrive in time order, so the window is the ring's tail:
     * walk back to its start instead of over the whole ring. */
    size_t start = v->ring_n;
    while (start > 0) {
        const cp_track_pt *t = &v->ring[(v->ring_head + start - 1) % CLOSEDPARK_TRACK_POINTS];
        if (t->ts < now - track_ms) break;
        start--;
    }
    int64_t last = INT64_MIN;
    for (size_t i = start; i < v->ring_n; i++) {
        const cp_track_pt *t = &v->ring[(v->ring_head + i) % CLOSEDPARK_TRACK_POINTS];
        if (t->ts < now - track_ms || t->ts > now) continue;
        if (step_ms > 0 && last != INT64_MIN && t->ts - last < step_ms) continue;
        if (*n == *cap) {
            size_t c = *cap ? *cap * 2 : 4096;
            cp_track_pt *p = realloc(*pts, c * sizeof *p);
            if (!p) break;
            *pts = p, *cap = c;
        }
        (*pts)[(*n)++] = *t;
        last = t->ts;
    }
    return *n - before;
}

typedef struct vehicle_copy {
    cp_vehicle v;
    size_t first, n; /* its track points in the copy's array */
} vehicle_copy;

char *closedpark_vehicles_geojson(closedpark *cp, const char *scope, int64_t now_ms,
                                  int64_t track_ms, int64_t step_ms, size_t *len) {
    if (track_ms > cp->o.track_ms) track_ms = cp->o.track_ms;
    vehicle_copy *vs = NULL;
    size_t nv = 0, capv = 0, npts = 0, cappts = 0;
    cp_track_pt *pts = NULL;
    bool oom = false;
    cp_lock(cp);
    for (size_t i = 0; i < cp->vehicles.cap && !oom; i++) {
        const cp_vehicle *v = cp->vehicles.vals[i];
        if (!cp->vehicles.keys[i] || !(v->inside || v->no_passage) ||
            !cp_in_scope(scope, v->enterprise))
            continue;
        if (nv == capv) {
            size_t c = capv ? capv * 2 : 256;
            vehicle_copy *p = realloc(vs, c * sizeof *p);
            if (!p) {
                oom = true;
                break;
            }
            vs = p, capv = c;
        }
        vehicle_copy *c = &vs[nv++];
        c->v = *v;
        c->v.ring = NULL;
        c->first = npts;
        c->n = cp_track_points(v, now_ms, track_ms, step_ms, &pts, &npts, &cappts);
    }
    cp_unlock_flush(cp, NULL);
    textbuf b = {0};
    /* about 300 bytes a vehicle and 30 a track point: one allocation */
    tb_reserve(&b, nv * 320 + npts * 32 + 64);
    tb_str(&b, "{\"type\":\"FeatureCollection\",\"features\":[");
    for (size_t i = 0; i < nv && !oom; i++) {
        if (i) tb_put(&b, ",", 1);
        cp_vehicle_feature_text(cp, &vs[i].v, pts + vs[i].first, vs[i].n, &b);
    }
    tb_put(&b, "]}", 2);
    free(vs);
    free(pts);
    if (oom || b.oom) {
        free(b.p);
        return NULL;
    }
    if (len) *len = b.n;
    return b.p;
}
