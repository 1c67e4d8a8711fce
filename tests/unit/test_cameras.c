/*
 * test_cameras.c - camera events (cameras/): an unknown camera, another
 * enterprise's camera, a bad event, a snapshot that is no image or too
 * large refused with nothing stored; a fire beside a tank raises priority
 * 1 naming the tank and its hazard source; a condition raised once,
 * cleared 5 min after the last repeat or by the all-clear; a snapshot
 * stored once by hash and read back equal within the scope; the events
 * and the list; the last hour replayed at reopen so what was raised clears.
 */
#include <dirent.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cameras/cameras.h"
#include "common/sha256.h"
#include "tests/support/testutil.h"

#define T0  1765094400000LL
#define MIN 60000LL
#define NM  (1.0 / 111195.0) /* a metre north, in degrees */

/* T1 at (121, 30) in HS1; CAM1 (E001) 50 m north of it; CAM2 (E002) 1 km
 * east; CAMP the park's; GD1 a detector, not a camera. */
static const char *layout_text =
    "{\"type\":\"FeatureCollection\",\"features\":["
    "{\"type\":\"Feature\",\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[120.9995,29.9995],"
    "[121.0005,29.9995],[121.0005,30.0005],[120.9995,30.0005],[120.9995,29.9995]]]},"
    "\"properties\":{\"id\":\"HS1\",\"kind\":\"hazard_source\",\"enterprise\":\"E001\","
    "\"substances\":[\"propane\"],\"grade\":2}},"
    "{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[121.0,30.0]},"
    "\"properties\":{\"id\":\"T1\",\"kind\":\"tank\",\"enterprise\":\"E001\",\"capacity_m3\":5000,"
    "\"substance\":\"propane\"}},"
    "{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[121.0,30.00044966]},"
    "\"properties\":{\"id\":\"CAM1\",\"kind\":\"camera\",\"enterprise\":\"E001\","
    "\"direction_deg\":180}},"
    "{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[121.0104,30.0]},"
    "\"properties\":{\"id\":\"CAM2\",\"kind\":\"camera\",\"enterprise\":\"E002\","
    "\"direction_deg\":90,\"fov_deg\":60,\"range_m\":80}},"
    "{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[121.03,30.0]},"
    "\"properties\":{\"id\":\"CAMP\",\"kind\":\"camera\",\"direction_deg\":0}},"
    "{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[121.0,30.0001]},"
    "\"properties\":{\"id\":\"GD1\",\"kind\":\"gas_detector\",\"enterprise\":\"E001\","
    "\"gas\":\"propane\",\"type\":\"combustible\"}}]}";

typedef struct said {
    char name[160], kind[32], asset[64], basis[256];
    bool active;
    int priority;
} said;

typedef struct fixture {
    char dir[512];
    geo_layout *g;
    ev_store *ev;
    cameras *c;
    said s[32];
    size_t n;
} fixture;

static void record(const pw_condition *c, void *ctx) {
    fixture *f = ctx;
    assert_true(f->n < 32);
    said *s = &f->s[f->n++];
    snprintf(s->name, sizeof s->name, "%s", c->name);
    snprintf(s->kind, sizeof s->kind, "%s", c->kind);
    snprintf(s->asset, sizeof s->asset, "%s", c->asset);
    snprintf(s->basis, sizeof s->basis, "%s", c->basis);
    s->active = c->active, s->priority = c->priority;
}

static void open_cams(fixture *f, int64_t now) {
    char err[256];
    cameras_options o = {
        .dir = f->dir, .events = f->ev, .layout = f->g, .on_condition = record, .ctx = f};
    assert_int_equal(cameras_open(&o, now, &f->c, err, sizeof err), 0);
}

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    testutil_tmpdir(f->dir, sizeof f->dir, "cameras");
    const char *texts[] = {layout_text}, *names[] = {"layout"};
    geo_problems p = {0};
    if (geo_load_text(texts, names, 1, NULL, &f->g, &p) != 0) {
        for (size_t i = 0; i < p.n; i++) print_error("%s: %s\n", p.v[i].feature, p.v[i].message);
        fail();
    }
    char err[256], evdir[600];
    snprintf(evdir, sizeof evdir, "%s/events", f->dir);
    assert_int_equal(ev_open(evdir, NULL, &f->ev, err, sizeof err), EV_OK);
    open_cams(f, T0);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    cameras_close(f->c);
    ev_close(f->ev);
    geo_close(f->g);
    testutil_rmtree(f->dir);
    free(f);
    return 0;
}

static char *b64(const uint8_t *p, size_t n) {
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *o = malloc(4 * ((n + 2) / 3) + 1), *q = o;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) |
                     (i + 2 < n ? p[i + 2] : 0);
        *q++ = a[v >> 18 & 63], *q++ = a[v >> 12 & 63];
        *q++ = i + 1 < n ? a[v >> 6 & 63] : '=';
        *q++ = i + 2 < n ? a[v & 63] : '=';
    }
    *q = 0;
    return o;
}

static const uint8_t jpeg[] = {0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0, 1, 2};
static const uint8_t png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I'};

static int take(fixture *f, const char *src, const char *cam, const char *event, double conf,
                int64_t ts, const char *snapshot, bool clear, char *why, size_t cap) {
    json_t *e = json_pack("{s:s,s:I,s:s,s:s,s:f}", "type", "camera", "ts", (json_int_t)ts, "camera",
                          cam, "event", event, "confidence", conf);
    if (snapshot) json_object_set_new(e, "snapshot", json_string(snapshot));
    if (clear) json_object_set_new(e, "clear", json_true());
    int rc = cameras_take_event(f->c, src, e, ts, why, cap);
    json_decref(e);
    return rc;
}

static size_t snapshot_files(fixture *f) {
    char d[600];
    snprintf(d, sizeof d, "%s/snapshots", f->dir);
    DIR *dir = opendir(d);
    assert_non_null(dir);
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(dir)))
        if (strlen(de->d_name) == 64) n++;
    closedir(dir);
    return n;
}

static size_t stored_events(fixture *f) {
    json_t *o;
    char err[256];
    assert_int_equal(
        cameras_events(f->c, NULL, T0 - 60 * MIN, T0 + 60 * MIN, NULL, 0, &o, err, sizeof err), 0);
    size_t n = json_array_size(json_object_get(o, "events"));
    json_decref(o);
    return n;
}

static void refused(fixture *f, const char *src, const char *cam, const char *event, double conf,
                    const char *snap, const char *want) {
    char why[256] = "";
    assert_int_equal(take(f, src, cam, event, conf, T0, snap, false, why, sizeof why), 1);
    if (!strstr(why, want)) fail_msg("\"%s\" lacks \"%s\"", why, want);
}

static void test_refused(void **state) {
    fixture *f = *state;
    char *good = b64(jpeg, sizeof jpeg);
    refused(f, "E001", "CAM-X", "fire", 0.9, NULL, "CAM-X is not a camera of the layout");
    refused(f, "E001", "GD1", "fire", 0.9, NULL, "GD1 is not a camera of the layout");
    refused(f, "E002", "CAM1", "fire", 0.9, NULL, "CAM1 is E001's, not E002's");
    refused(f, "E001", "CAMP", "fire", 0.9, NULL, "CAMP is the park's, not E001's");
    refused(f, "E001", "CAM1", "explosion", 0.9, NULL, "event: no_helmet, smoking");
    refused(f, "E001", "CAM1", "fire", 1.5, NULL, "confidence: a number in 0..1");
    /* not an image: "hello world" */
    char *txt = b64((const uint8_t *)"hello world", 11);
    refused(f, "E001", "CAM1", "fire", 0.9, txt, "not a JPEG or PNG image");
    free(txt);
    refused(f, "E001", "CAM1", "fire", 0.9, "@@@@", "not base64");
    /* 512 KiB + 1 decoded: refused by its length before decoding */
    size_t big = CAMERAS_SNAPSHOT_MAX + 1;
    uint8_t *b = calloc(1, big);
    memcpy(b, jpeg, sizeof jpeg);
    char *bigtxt = b64(b, big);
    refused(f, "E001", "CAM1", "fire", 0.9, bigtxt, "524289 bytes decoded, more than 524288");
    free(bigtxt);
    /* exactly 512 KiB is taken */
    bigtxt = b64(b, CAMERAS_SNAPSHOT_MAX);
    char why[256];
    assert_int_equal(take(f, "E001", "CAM1", "no_helmet", 0.7, T0, bigtxt, false, why, sizeof why),
                     0);
    free(bigtxt);
    free(b);
    /* the refused ones left nothing: one event, one file */
    assert_int_equal(stored_events(f), 1);
    assert_int_equal(snapshot_files(f), 1);
    /* a missing time is refused too */
    json_t *e = json_pack("{s:s,s:s,s:f}", "camera", "CAM1", "event", "fire", "confidence", 0.9);
    assert_int_equal(cameras_take_event(f->c, "E001", e, T0, why, sizeof why), 1);
    assert_non_null(strstr(why, "ts:"));
    json_decref(e);
    free(good);
}

static void test_fire_near_tank(void **state) {
    fixture *f = *state;
    char why[256], *snap = b64(jpeg, sizeof jpeg);
    assert_int_equal(take(f, "E001", "CAM1", "fire", 0.93, T0, snap, false, why, sizeof why), 0);
    assert_int_equal(f->n, 1);
    assert_string_equal(f->s[0].name, "E001/cameras/CAM1/fire");
    assert_string_equal(f->s[0].kind, "fire");
    assert_string_equal(f->s[0].asset, "CAM1");
    assert_int_equal(f->s[0].priority, 1);
    assert_true(f->s[0].active);
    assert_non_null(strstr(f->s[0].basis, "50 m from tank T1 of hazard source HS1"));
    cameras_tank_fire tf[4];
    assert_int_equal(cameras_fire_near_tanks(f->c, tf, 4), 1);
    assert_string_equal(tf[0].tank, "T1");
    assert_string_equal(tf[0].hazard_source, "HS1");
    assert_string_equal(tf[0].camera, "CAM1");
    assert_true(fabs(tf[0].distance_m - 50) < 1);
    /* a repeat 2 min later: raised once, the 5 min count again from it */
    assert_int_equal(take(f, "", "CAM1", "fire", 0.95, T0 + 2 * MIN, NULL, false, why, sizeof why),
                     0);
    assert_int_equal(f->n, 1);
    cameras_tick(f->c, T0 + 5 * MIN);
    assert_int_equal(f->n, 1);
    cameras_tick(f->c, T0 + 7 * MIN - 1);
    assert_int_equal(f->n, 1);
    cameras_tick(f->c, T0 + 7 * MIN);
    assert_int_equal(f->n, 2);
    assert_string_equal(f->s[1].name, "E001/cameras/CAM1/fire");
    assert_false(f->s[1].active);
    assert_int_equal(cameras_fire_near_tanks(f->c, tf, 4), 0);
    /* smoke at a camera far from any tank names none; P1 all the same */
    assert_int_equal(
        take(f, "E002", "CAM2", "smoke", 0.6, T0 + 8 * MIN, NULL, false, why, sizeof why), 0);
    assert_int_equal(f->n, 3);
    assert_int_equal(f->s[2].priority, 1);
    assert_null(strstr(f->s[2].basis, "tank"));
    assert_int_equal(cameras_fire_near_tanks(f->c, tf, 4), 0);
    free(snap);
}

static void test_priorities_and_clear(void **state) {
    fixture *f = *state;
    char why[256];
    assert_int_equal(take(f, "", "CAM2", "smoking", 0.5, T0, NULL, false, why, sizeof why), 0);
    assert_int_equal(take(f, "PARK", "CAMP", "intrusion", 0.8, T0, NULL, false, why, sizeof why),
                     0);
    assert_int_equal(take(f, "PARK", "CAMP", "fall", 0.8, T0, NULL, false, why, sizeof why), 0);
    assert_int_equal(f->n, 3);
    assert_string_equal(f->s[0].name, "E002/cameras/CAM2/smoking");
    assert_int_equal(f->s[0].priority, 3);
    assert_string_equal(f->s[1].name, "PARK/cameras/CAMP/intrusion");
    assert_int_equal(f->s[1].priority, 2);
    assert_int_equal(f->s[2].priority, 2);
    /* the analytics' all-clear */
    assert_int_equal(take(f, "E002", "CAM2", "smoking", 0.5, T0 + MIN, NULL, true, why, sizeof why),
                     0);
    assert_int_equal(f->n, 4);
    assert_string_equal(f->s[3].name, "E002/cameras/CAM2/smoking");
    assert_false(f->s[3].active);
    /* an all-clear of nothing raised says nothing */
    assert_int_equal(take(f, "E002", "CAM2", "fire", 0.5, T0 + MIN, NULL, true, why, sizeof why),
                     0);
    assert_int_equal(f->n, 4);
    /* the list: the active ones and each camera's last event */
    json_t *o;
    char err[256];
    assert_int_equal(cameras_list(f->c, NULL, &o, err, sizeof err), 0);
    json_t *cams = json_object_get(o, "cameras");
    assert_int_equal(json_array_size(cams), 3);
    json_t *camp = json_array_get(cams, 2);
    assert_string_equal(json_string_value(json_object_get(camp, "id")), "CAMP");
    assert_int_equal(json_array_size(json_object_get(camp, "active")), 2);
    json_t *cam2 = json_array_get(cams, 1);
    assert_int_equal(json_array_size(json_object_get(cam2, "active")), 0);
    assert_true(json_is_true(json_object_get(json_object_get(cam2, "last_event"), "clear")));
    assert_true(json_number_value(json_object_get(cam2, "range_m")) == 80);
    json_decref(o);
    assert_int_equal(cameras_list(f->c, "E002", &o, err, sizeof err), 0);
    assert_int_equal(json_array_size(json_object_get(o, "cameras")), 1);
    json_decref(o);
}

static void test_snapshots(void **state) {
    fixture *f = *state;
    char why[256], *j = b64(jpeg, sizeof jpeg), *p = b64(png, sizeof png);
    assert_int_equal(take(f, "E001", "CAM1", "no_helmet", 0.8, T0, j, false, why, sizeof why), 0);
    assert_int_equal(take(f, "E001", "CAM1", "no_helmet", 0.8, T0 + 1, j, false, why, sizeof why),
                     0);
    assert_int_equal(snapshot_files(f), 1);
    assert_int_equal(take(f, "E002", "CAM2", "absent", 0.8, T0 + 2, p, false, why, sizeof why), 0);
    assert_int_equal(snapshot_files(f), 2);
    uint8_t d[PW_SHA256_LEN];
    char hex[65];
    pw_sha256(jpeg, sizeof jpeg, d);
    for (int i = 0; i < PW_SHA256_LEN; i++) snprintf(hex + 2 * i, 3, "%02x", d[i]);
    void *bytes;
    size_t len;
    const char *type;
    char err[256];
    assert_int_equal(cameras_snapshot(f->c, NULL, hex, &bytes, &len, &type, err, sizeof err), 0);
    assert_int_equal(len, sizeof jpeg);
    assert_memory_equal(bytes, jpeg, sizeof jpeg);
    assert_string_equal(type, "image/jpeg");
    free(bytes);
    assert_int_equal(cameras_snapshot(f->c, "E001", hex, &bytes, &len, &type, err, sizeof err), 0);
    free(bytes);
    /* another enterprise's picture is not found */
    assert_int_equal(cameras_snapshot(f->c, "E002", hex, &bytes, &len, &type, err, sizeof err), 1);
    assert_int_equal(cameras_snapshot(f->c, NULL, "00", &bytes, &len, &type, err, sizeof err), 1);
    hex[0] = hex[0] == '0' ? '1' : '0';
    assert_int_equal(cameras_snapshot(f->c, NULL, hex, &bytes, &len, &type, err, sizeof err), 1);
    /* the events carry the hash and size */
    json_t *o;
    assert_int_equal(cameras_events(f->c, NULL, T0, T0 + MIN, "CAM1", 0, &o, err, sizeof err), 0);
    json_t *evs = json_object_get(o, "events");
    assert_int_equal(json_array_size(evs), 2);
    json_t *s0 = json_object_get(json_array_get(evs, 0), "snapshot");
    assert_int_equal(json_integer_value(json_object_get(s0, "size")), sizeof jpeg);
    pw_sha256(jpeg, sizeof jpeg, d);
    for (int i = 0; i < PW_SHA256_LEN; i++) snprintf(hex + 2 * i, 3, "%02x", d[i]);
    assert_string_equal(json_string_value(json_object_get(s0, "sha256")), hex);
    json_decref(o);
    /* an enterprise's events are its own */
    assert_int_equal(cameras_events(f->c, "E002", T0, T0 + MIN, NULL, 0, &o, err, sizeof err), 0);
    evs = json_object_get(o, "events");
    assert_int_equal(json_array_size(evs), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(evs, 0), "camera")),
                        "CAM2");
    json_decref(o);
    assert_int_equal(cameras_events(f->c, "E002", T0, T0 + MIN, "CAM1", 0, &o, err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "invalid:"));
    free(j);
    free(p);
}

static void test_reopen_clears(void **state) {
    fixture *f = *state;
    char why[256];
    assert_int_equal(take(f, "E001", "CAM1", "smoking", 0.9, T0, NULL, false, why, sizeof why), 0);
    assert_int_equal(f->n, 1);
    cameras_close(f->c);
    f->n = 0;
    open_cams(f, T0 + MIN);
    /* replayed, not said again; cleared 5 min after the event */
    cameras_tick(f->c, T0 + 4 * MIN);
    assert_int_equal(f->n, 0);
    cameras_tick(f->c, T0 + 5 * MIN);
    assert_int_equal(f->n, 1);
    assert_string_equal(f->s[0].name, "E001/cameras/CAM1/smoking");
    assert_false(f->s[0].active);
    json_t *o;
    char err[256];
    assert_int_equal(cameras_list(f->c, "E001", &o, err, sizeof err), 0);
    json_t *last = json_object_get(json_array_get(json_object_get(o, "cameras"), 0), "last_event");
    assert_string_equal(json_string_value(json_object_get(last, "event")), "smoking");
    json_decref(o);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fire_near_tank, setup, teardown),
        cmocka_unit_test_setup_teardown(test_priorities_and_clear, setup, teardown),
        cmocka_unit_test_setup_teardown(test_snapshots, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reopen_clears, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
