/*
 * test_influx.c - InfluxDB 1.x write compatibility against a real parkd:
 * the requests Telegraf's outputs.influxdb sends, replayed byte for byte as
 * its source builds them (plugins/outputs/influxdb/http.go: POST /query
 * with a form body q=CREATE DATABASE "telegraf", then POST /write?db=telegraf
 * with Content-Type text/plain; charset=utf-8, User-Agent Telegraf/...,
 * Basic auth from username/password, gzip when content_encoding is set, no
 * precision: nanoseconds), then every precision, the auth forms, gzip and a
 * gzip bomb (413, parkd's memory bounded), a mixed batch, another
 * enterprise's series and a batch that writes a point twice.
 */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <zlib.h>

#include "api/api.h"
#include "common/kit/httpclient.h"
#include "tests/support/park.h"

#define MAX_BODY 65536

typedef struct world {
    park p;
    int api;
    char extra[256], tokens[700];
    char admin[API_TOKEN_MAX], regul[API_TOKEN_MAX], e1[API_TOKEN_MAX], e2[API_TOKEN_MAX];
} world;

static world W;

/* One request with extra header lines; the status, the body in *out. */
static int req(const char *method, const char *path, const char *hdrs, const void *body, size_t len,
               http_resp *out) {
    assert_int_equal(
        http_request_hdrs(W.api, method, path, NULL, NULL, hdrs, body, len, out, 30000), 0);
    return out->status;
}

static void basic_header(const char *user, const char *token, char *out, size_t cap) {
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char plain[256], enc[400];
    int n = snprintf(plain, sizeof plain, "%s:%s", user, token);
    size_t k = 0;
    for (int i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)(unsigned char)plain[i] << 16;
        if (i + 1 < n) v |= (uint32_t)(unsigned char)plain[i + 1] << 8;
        if (i + 2 < n) v |= (unsigned char)plain[i + 2];
        enc[k++] = b64[v >> 18 & 63];
        enc[k++] = b64[v >> 12 & 63];
        enc[k++] = i + 1 < n ? b64[v >> 6 & 63] : '=';
        enc[k++] = i + 2 < n ? b64[v & 63] : '=';
    }
    enc[k] = 0;
    snprintf(out, cap, "Authorization: Basic %s\r\n", enc);
}

/* Telegraf's write request: its headers, Basic auth with the token as the password. */
static int telegraf_write(const char *token, const char *query, const void *body, size_t len,
                          bool gzip, http_resp *out) {
    char auth[512], hdrs[1024], path[256];
    basic_header("telegraf", token, auth, sizeof auth);
    snprintf(hdrs, sizeof hdrs,
             "User-Agent: Telegraf/1.28.5 Go/1.21.4\r\nContent-Type: text/plain; "
             "charset=utf-8\r\n%s%s",
             auth, gzip ? "Content-Encoding: gzip\r\n" : "");
    snprintf(path, sizeof path, "/write?%s", query);
    return req("POST", path, hdrs, body, len, out);
}

static void gzip_of(const void *in, size_t len, unsigned char **out, size_t *out_n) {
    z_stream z = {0};
    assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY), Z_OK);
    size_t cap = deflateBound(&z, len) + 64;
    *out = malloc(cap);
    assert_non_null(*out);
    z.next_in = (Bytef *)in, z.avail_in = (uInt)len;
    z.next_out = *out, z.avail_out = (uInt)cap;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    *out_n = cap - z.avail_out;
    deflateEnd(&z);
}

/* The ts of the one point of series at ts_ms (admin's API), or -1. */
static int64_t point_ts(const char *series, int64_t ts_ms, double *value) {
    char path[512];
    snprintf(path, sizeof path, "/api/v1/series/raw?series=%s&from=%lld&to=%lld", series,
             (long long)ts_ms, (long long)ts_ms + 1);
    http_resp r;
    assert_int_equal(http_get(W.api, path, W.admin, &r), 0);
    int64_t ts = -1;
    json_t *j = r.status == 200 ? json_loadb(r.body, r.body_len, 0, NULL) : NULL;
    json_t *pts = json_object_get(j, "points");
    if (json_array_size(pts) == 1) {
        ts = json_integer_value(json_array_get(json_array_get(pts, 0), 0));
        if (value) *value = json_number_value(json_array_get(json_array_get(pts, 0), 1));
    }
    json_decref(j);
    http_resp_free(&r);
    return ts;
}

static long long vm_kb(pid_t pid, const char *key) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    char *s = proc_read_file(path);
    long long v = -1;
    const char *p = s ? strstr(s, key) : NULL;
    if (p) v = atoll(p + strlen(key) + 1);
    free(s);
    return v;
}

static int setup(void **state) {
    (void)state;
    W.api = proc_free_port();
    snprintf(W.extra, sizeof W.extra,
             " \"api\": {\"listen\": \"127.0.0.1:%d\", \"max_body_bytes\": %d, "
             "\"decompress_ratio\": 10},\n",
             W.api, MAX_BODY);
    W.p.extra = W.extra;
    park_up(&W.p, "influx", NULL);
    for (int i = 0; i < 500 && !proc_port_open(W.api); i++) proc_sleep_ms(10);
    assert_true(proc_port_open(W.api));
    snprintf(W.tokens, sizeof W.tokens, "%s/tokens.json", W.p.data);
    park_token(&W.p, W.tokens, "admin", NULL, "admin-1", W.admin, API_TOKEN_MAX);
    park_token(&W.p, W.tokens, "regulator", NULL, "reg-1", W.regul, API_TOKEN_MAX);
    park_token(&W.p, W.tokens, "enterprise", "E001", "telegraf-e001", W.e1, API_TOKEN_MAX);
    park_token(&W.p, W.tokens, "enterprise", "E002", "telegraf-e002", W.e2, API_TOKEN_MAX);
    http_resp r;
    char h[300];
    snprintf(h, sizeof h, "Authorization: Token %s\r\n", W.e2);
    for (int i = 0; i < 50; i++) { /* parkd rereads the token file within a second */
        int st = req("GET", "/query?q=SHOW%20DATABASES", h, NULL, 0, &r);
        http_resp_free(&r);
        if (st == 200) break;
        proc_sleep_ms(100);
    }
    return 0;
}

static int teardown(void **state) {
    (void)state;
    park_down(&W.p);
    testutil_rmtree(W.p.dir);
    return 0;
}

/* Telegraf's start and its first batches, as its source sends them. */
static void test_telegraf_replay(void **state) {
    (void)state;
    http_resp r;
    char h[256];
    /* Telegraf and Grafana probe /ping: no token, 204 and the version */
    assert_int_equal(req("GET", "/ping", NULL, NULL, 0, &r), 204);
    assert_non_null(http_header(&r, "X-Influxdb-Version", h, sizeof h));
    http_resp_free(&r);
    assert_int_equal(req("HEAD", "/ping", NULL, NULL, 0, &r), 204);
    http_resp_free(&r);
    /* CreateDatabase: POST /query, a form body, Basic auth */
    char auth[512], hdrs[1024];
    basic_header("telegraf", W.e2, auth, sizeof auth);
    snprintf(hdrs, sizeof hdrs,
             "Content-Type: application/x-www-form-urlencoded\r\nUser-Agent: Telegraf/1.28.5 "
             "Go/1.21.4\r\n%s",
             auth);
    const char *q = "q=CREATE+DATABASE+%22telegraf%22";
    assert_int_equal(req("POST", "/query", hdrs, q, strlen(q), &r), 200);
    json_t *j = json_loadb(r.body, r.body_len, 0, NULL);
    assert_int_equal(json_integer_value(json_object_get(
                         json_array_get(json_object_get(j, "results"), 0), "statement_id")),
                     0);
    assert_null(json_object_get(json_array_get(json_object_get(j, "results"), 0), "error"));
    json_decref(j);
    http_resp_free(&r);
    /* a batch in Telegraf's serialisation: ns timestamps, no precision */
    int64_t t0 = proc_wall_ms() - 60000;
    char batch[1024];
    snprintf(batch, sizeof batch,
             "cpu,cpu=cpu-total,host=gw-e002 usage_idle=97.5,usage_user=1.25 %lld123456\n"
             "mem,host=gw-e002 used_percent=41.5,available=8123456i %lld000001\n",
             (long long)t0, (long long)t0 + 1);
    int st = telegraf_write(W.e2, "db=telegraf", batch, strlen(batch), false, &r);
    if (st != 204) fail_msg("the batch: %d %.*s", st, (int)r.body_len, r.body);
    assert_non_null(http_header(&r, "X-Influxdb-Version", h, sizeof h));
    http_resp_free(&r);
    double v = 0;
    assert_int_equal(point_ts("E002/influx/cpu,cpu=cpu-total,host=gw-e002.usage_idle", t0, &v), t0);
    assert_true(v == 97.5);
    assert_int_equal(point_ts("E002/influx/mem,host=gw-e002.available", t0 + 1, &v), t0 + 1);
    assert_true(v == 8123456);
    /* the same with content_encoding = "gzip" */
    snprintf(batch, sizeof batch, "diskio,host=gw-e002,name=sda1 reads=1234i %lld000000\n",
             (long long)t0 + 2);
    unsigned char *gz;
    size_t gz_n;
    gzip_of(batch, strlen(batch), &gz, &gz_n);
    st = telegraf_write(W.e2, "db=telegraf", gz, gz_n, true, &r);
    if (st != 204) fail_msg("the gzip batch: %d %.*s", st, (int)r.body_len, r.body);
    http_resp_free(&r);
    free(gz);
    assert_int_equal(point_ts("E002/influx/diskio,host=gw-e002,name=sda1.reads", t0 + 2, NULL),
                     t0 + 2);
}

static void test_precisions(void **state) {
    (void)state;
    static const struct {
        const char *prec;
        int64_t per_ms_num, per_ms_den; /* units = ms * num / den */
    } P[] = {{"ns", 1000000, 1}, {"u", 1000, 1},  {"ms", 1, 1},
             {"s", 1, 1000},     {"m", 1, 60000}, {"h", 1, 3600000}};
    int64_t base = (proc_wall_ms() - 7200000) / 3600000 * 3600000; /* a whole hour */
    for (size_t i = 0; i < sizeof P / sizeof P[0]; i++) {
        int64_t units = base * P[i].per_ms_num / P[i].per_ms_den;
        char body[128], q[64];
        snprintf(body, sizeof body, "prec,device=p-%s v=%zu %lld\n", P[i].prec, i,
                 (long long)units);
        snprintf(q, sizeof q, "db=E001&precision=%s", P[i].prec);
        http_resp r;
        int st = telegraf_write(W.e1, q, body, strlen(body), false, &r);
        if (st != 204) fail_msg("precision %s: %d %.*s", P[i].prec, st, (int)r.body_len, r.body);
        http_resp_free(&r);
        char series[64];
        snprintf(series, sizeof series, "E001/p-%s/prec.v", P[i].prec);
        assert_int_equal(point_ts(series, base, NULL), base);
    }
    /* precision= on /api/v1/ingest too, and the MQTT default (ms) without it */
    char body[128], path[128];
    snprintf(body, sizeof body, "prec,device=api-s v=1 %lld\n", (long long)(base / 1000 + 60));
    http_resp r;
    assert_int_equal(http_request(W.api, "POST", "/api/v1/ingest?precision=s", W.e1, "text/plain",
                                  body, strlen(body), &r, 30000),
                     0);
    assert_int_equal(r.status, 200);
    http_resp_free(&r);
    assert_int_equal(point_ts("E001/api-s/prec.v", base + 60000, NULL), base + 60000);
    snprintf(body, sizeof body, "prec,device=api-ms v=1 %lld\n", (long long)base + 5);
    snprintf(path, sizeof path, "/api/v1/ingest");
    assert_int_equal(
        http_request(W.api, "POST", path, W.e1, "text/plain", body, strlen(body), &r, 30000), 0);
    assert_int_equal(r.status, 200);
    http_resp_free(&r);
    assert_int_equal(point_ts("E001/api-ms/prec.v", base + 5, NULL), base + 5);
    /* a precision InfluxDB does not have: 400 in its shape */
    assert_int_equal(telegraf_write(W.e1, "db=E001&precision=d", body, strlen(body), false, &r),
                     400);
    json_t *j = json_loadb(r.body, r.body_len, 0, NULL);
    assert_true(json_is_string(json_object_get(j, "error")));
    json_decref(j);
    http_resp_free(&r);
}

static void test_auth_forms(void **state) {
    (void)state;
    int64_t t = proc_wall_ms() - 30000;
    char body[128], h[512], path[600];
    http_resp r;
    const char *forms[] = {"Token", "Bearer", "Basic", "query"};
    for (int i = 0; i < 4; i++) {
        snprintf(body, sizeof body, "auth,device=form-%d v=%d %lld\n", i, i, (long long)t);
        h[0] = 0;
        snprintf(path, sizeof path, "/write?db=E002&precision=ms");
        if (i < 2)
            snprintf(h, sizeof h, "Authorization: %s %s\r\n", forms[i], W.e2);
        else if (i == 2)
            basic_header("anyone", W.e2, h, sizeof h);
        else
            snprintf(path, sizeof path, "/write?db=E002&precision=ms&u=telegraf&p=%s", W.e2);
        int st = req("POST", path, h[0] ? h : NULL, body, strlen(body), &r);
        if (st != 204) fail_msg("%s: %d", forms[i], st);
        http_resp_free(&r);
        char series[64];
        snprintf(series, sizeof series, "E002/form-%d/auth.v", i);
        assert_int_equal(point_ts(series, t, NULL), t);
    }
    /* wrong ones: 401 "authorization failed", nothing stored */
    char forged[API_TOKEN_MAX];
    snprintf(forged, sizeof forged, "%s", W.e2);
    forged[strlen(forged) - 1] ^= 1;
    const char *bad[4] = {NULL};
    char b0[300], b1[300], b2[512];
    snprintf(b0, sizeof b0, "Authorization: Token %s\r\n", forged);
    snprintf(b1, sizeof b1, "Authorization: Bearer %s\r\n", forged);
    basic_header("telegraf", forged, b2, sizeof b2);
    bad[0] = b0, bad[1] = b1, bad[2] = b2, bad[3] = "Authorization: Basic !!notbase64\r\n";
    snprintf(body, sizeof body, "auth,device=forged v=1 %lld\n", (long long)t);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(req("POST", "/write?db=E002&precision=ms", bad[i], body, strlen(body), &r),
                         401);
        json_t *j = json_loadb(r.body, r.body_len, 0, NULL);
        assert_string_equal(json_string_value(json_object_get(j, "error")), "authorization failed");
        json_decref(j);
        http_resp_free(&r);
    }
    snprintf(path, sizeof path, "/write?db=E002&precision=ms&u=x&p=%s", forged);
    assert_int_equal(req("POST", path, NULL, body, strlen(body), &r), 401);
    http_resp_free(&r);
    assert_int_equal(req("POST", "/write?db=E002", NULL, body, strlen(body), &r), 401);
    http_resp_free(&r);
    assert_int_equal(point_ts("E002/forged/auth.v", t, NULL), -1);
    /* /api/v1 keeps Bearer only: Basic there is a 401 */
    basic_header("x", W.admin, h, sizeof h);
    assert_int_equal(req("GET", "/api/v1/whoami", h, NULL, 0, &r), 401);
    http_resp_free(&r);
    /* a token that may not write: 403; an admin writes the db it names */
    assert_int_equal(telegraf_write(W.regul, "db=E002&precision=ms", body, strlen(body), false, &r),
                     403);
    http_resp_free(&r);
    snprintf(body, sizeof body, "auth,device=by-admin v=1 %lld\n", (long long)t);
    assert_int_equal(telegraf_write(W.admin, "db=E003&precision=ms", body, strlen(body), false, &r),
                     204);
    http_resp_free(&r);
    assert_int_equal(point_ts("E003/by-admin/auth.v", t, NULL), t);
    assert_int_equal(telegraf_write(W.admin, "db=nothing", body, strlen(body), false, &r), 404);
    assert_non_null(strstr(r.body, "database not found"));
    http_resp_free(&r);
}

static void test_enterprise_scope(void **state) {
    (void)state;
    int64_t t = proc_wall_ms() - 20000;
    char body[256];
    http_resp r;
    /* db= naming another enterprise: 403 */
    snprintf(body, sizeof body, "scope,device=d1 v=1 %lld\n", (long long)t);
    assert_int_equal(telegraf_write(W.e2, "db=E001&precision=ms", body, strlen(body), false, &r),
                     403);
    http_resp_free(&r);
    assert_int_equal(point_ts("E001/d1/scope.v", t, NULL), -1);
    /* a line naming E001's series (enterprise tag) through E002's own db:
     * the whole batch is refused, as over MQTT */
    snprintf(body, sizeof body,
             "scope,device=d2 v=1 %lld\nscope,enterprise=E001,device=d3 v=2 %lld\n", (long long)t,
             (long long)t);
    assert_int_equal(telegraf_write(W.e2, "db=E002&precision=ms", body, strlen(body), false, &r),
                     403);
    http_resp_free(&r);
    assert_int_equal(point_ts("E001/d3/scope.v", t, NULL), -1);
    assert_int_equal(point_ts("E002/d2/scope.v", t, NULL), -1);
}

/* An admin without db= writes a whole park, as VictoriaMetrics takes it:
 * each line goes to the enterprise its enterprise= tag names; a line
 * naming none, or an unknown one, is a bad line of a partial write. An
 * enterprise token without db= still writes only its own. */
static void test_admin_whole_park(void **state) {
    (void)state;
    int64_t t = proc_wall_ms() - 15000;
    char body[512];
    http_resp r;
    snprintf(body, sizeof body,
             "park,enterprise=E001,device=w1 v=1 %lld\npark,enterprise=E002,device=w2 v=2 %lld\n"
             "park,enterprise=E001,device=w3 v=3 %lld\n",
             (long long)t, (long long)t, (long long)t);
    assert_int_equal(telegraf_write(W.admin, "precision=ms", body, strlen(body), false, &r), 204);
    http_resp_free(&r);
    assert_int_equal(point_ts("E001/w1/park.v", t, NULL), t);
    assert_int_equal(point_ts("E002/w2/park.v", t, NULL), t);
    assert_int_equal(point_ts("E001/w3/park.v", t, NULL), t);
    snprintf(body, sizeof body,
             "park,enterprise=E002,device=w4 v=4 %lld\npark,device=w5 v=5 %lld\n"
             "park,enterprise=E999,device=w6 v=6 %lld\n",
             (long long)t, (long long)t, (long long)t);
    assert_int_equal(telegraf_write(W.admin, "precision=ms", body, strlen(body), false, &r), 400);
    if (!strstr(r.body, "partial write") || !strstr(r.body, "lines 2, 3"))
        fail_msg("the answer: %s", r.body);
    http_resp_free(&r);
    assert_int_equal(point_ts("E002/w4/park.v", t, NULL), t);
    assert_int_equal(point_ts("E999/w6/park.v", t, NULL), -1);
    /* an enterprise token: its own, whatever the lines say */
    snprintf(body, sizeof body,
             "park,device=w7 v=7 %lld\npark,enterprise=E001,device=w8 v=8 %lld\n", (long long)t,
             (long long)t);
    assert_int_equal(telegraf_write(W.e2, "precision=ms", body, strlen(body), false, &r), 403);
    http_resp_free(&r);
    assert_int_equal(point_ts("E001/w8/park.v", t, NULL), -1);
    assert_int_equal(point_ts("E002/w7/park.v", t, NULL), -1);
}

static void test_mixed_and_duplicates(void **state) {
    (void)state;
    int64_t t = proc_wall_ms() - 10000;
    char body[512];
    http_resp r;
    /* lines 2 and 4 are bad: the others stored, the answer names them */
    snprintf(body, sizeof body,
             "mix,device=m1 v=1 %lld\nmix,device=m2 v= %lld\nmix,device=m3 v=3 %lld\n"
             "mix,device=m4 v=4 notatime\nmix,device=m5 v=5 %lld\n",
             (long long)t, (long long)t, (long long)t, (long long)t);
    assert_int_equal(telegraf_write(W.e2, "db=E002&precision=ms", body, strlen(body), false, &r),
                     400);
    json_t *j = json_loadb(r.body, r.body_len, 0, NULL);
    const char *e = json_string_value(json_object_get(j, "error"));
    assert_non_null(e);
    if (!strstr(e, "partial write") || !strstr(e, "lines 2, 4") || !strstr(e, "dropped=2"))
        fail_msg("the answer: %s", e);
    json_decref(j);
    http_resp_free(&r);
    assert_int_equal(point_ts("E002/m1/mix.v", t, NULL), t);
    assert_int_equal(point_ts("E002/m3/mix.v", t, NULL), t);
    assert_int_equal(point_ts("E002/m5/mix.v", t, NULL), t);
    assert_int_equal(point_ts("E002/m2/mix.v", t, NULL), -1);
    /* the same series and time twice: one point (the later value), one overwritten */
    snprintf(body, sizeof body, "dup,device=d v=1 %lld\ndup,device=d v=2 %lld\n", (long long)t,
             (long long)t);
    assert_int_equal(telegraf_write(W.e2, "db=E002&precision=ms", body, strlen(body), false, &r),
                     204);
    char h[32];
    assert_string_equal(http_header(&r, "X-Parkwatch-Overwritten", h, sizeof h), "1");
    http_resp_free(&r);
    double v = 0;
    assert_int_equal(point_ts("E002/d/dup.v", t, &v), t);
    assert_true(v == 2);
    assert_int_equal(http_request(W.api, "POST", "/api/v1/ingest?precision=ms", W.e2, "text/plain",
                                  body, strlen(body), &r, 30000),
                     0);
    j = json_loadb(r.body, r.body_len, 0, NULL);
    assert_int_equal(json_integer_value(json_object_get(j, "accepted")), 1);
    assert_int_equal(json_integer_value(json_object_get(j, "overwritten")), 1);
    json_decref(j);
    http_resp_free(&r);
    assert_int_equal(http_get(W.api, "/metrics", W.admin, &r), 0);
    const char *m = strstr(r.body, "\nparkwatch_ingest_points_overwritten_total ");
    assert_non_null(m);
    assert_true(atoll(m + strlen("\nparkwatch_ingest_points_overwritten_total ")) >= 2);
    http_resp_free(&r);
}

static void test_gzip_bomb(void **state) {
    (void)state;
    /* 64 MiB of line protocol-looking zeros in well under max_body_bytes */
    size_t n = (size_t)64 << 20;
    char *big = malloc(n);
    assert_non_null(big);
    memset(big, '0', n);
    memcpy(big, "bomb v=1 ", 9);
    unsigned char *gz;
    size_t gz_n;
    gzip_of(big, n, &gz, &gz_n);
    free(big);
    assert_true(gz_n < MAX_BODY);
    long long before = vm_kb(W.p.parkd, "VmRSS:");
    http_resp r;
    for (int i = 0; i < 4; i++) {
        assert_int_equal(telegraf_write(W.e2, "db=E002", gz, gz_n, true, &r), 413);
        json_t *j = json_loadb(r.body, r.body_len, 0, NULL);
        assert_non_null(strstr(json_string_value(json_object_get(j, "error")), "too large"));
        json_decref(j);
        http_resp_free(&r);
    }
    long long after = vm_kb(W.p.parkd, "VmHWM:");
    free(gz);
    /* the inflate stops at max_body_bytes x 10 (640 KiB): parkd's peak
     * stays far below what the bomb would inflate to */
    if (before < 0 || after < 0 || after - before > 32 * 1024)
        fail_msg("parkd's RSS went from %lld kB to a peak of %lld kB", before, after);
    /* not gzip at all: 400 */
    assert_int_equal(telegraf_write(W.e2, "db=E002", "plain", 5, true, &r), 400);
    http_resp_free(&r);
    /* a body over max_body_bytes: 413 in InfluxDB's shape */
    char *over = malloc(MAX_BODY + 10);
    memset(over, 'x', MAX_BODY + 10);
    assert_int_equal(telegraf_write(W.e2, "db=E002", over, MAX_BODY + 10, false, &r), 413);
    assert_non_null(strstr(r.body, "\"error\""));
    http_resp_free(&r);
    free(over);
}

static void test_queries(void **state) {
    (void)state;
    http_resp r;
    char h[300];
    snprintf(h, sizeof h, "Authorization: Bearer %s\r\n", W.admin);
    assert_int_equal(req("GET", "/query?q=SHOW%20DATABASES", h, NULL, 0, &r), 200);
    assert_non_null(strstr(r.body, "\"databases\""));
    assert_non_null(strstr(r.body, "[\"E003\"]"));
    http_resp_free(&r);
    snprintf(h, sizeof h, "Authorization: Token %s\r\n", W.e1);
    assert_int_equal(req("GET", "/query?q=show+databases", h, NULL, 0, &r), 200);
    assert_non_null(strstr(r.body, "[\"E001\"]"));
    assert_null(strstr(r.body, "E002"));
    http_resp_free(&r);
    assert_int_equal(req("GET", "/query?q=SELECT%20*%20FROM%20cpu", h, NULL, 0, &r), 400);
    assert_non_null(strstr(r.body, "Prometheus"));
    http_resp_free(&r);
    assert_int_equal(req("GET", "/query?q=CREATE+DATABASE+E002", h, NULL, 0, &r), 403);
    http_resp_free(&r);
}

/* The audit log sums a token's writes: its first write of the minute and a
 * write with rejected lines get lines of their own, the rest wait for the
 * minute's sum. A regulator's token never wrote, so the E001 gateway's
 * token (its own name) is counted alone. */
static size_t audit_lines(const char *name, const char *needle) {
    char path[700];
    snprintf(path, sizeof path, "%s/audit.log", W.p.data);
    char *text = proc_read_file(path);
    size_t n = 0;
    for (char *l = text ? strtok(text, "\n") : NULL; l; l = strtok(NULL, "\n"))
        if (strstr(l, name) && strstr(l, "influx_write") && (!needle || strstr(l, needle))) n++;
    free(text);
    return n;
}

static void test_audit_sums(void **state) {
    (void)state;
    char tok[API_TOKEN_MAX];
    park_token(&W.p, W.tokens, "enterprise", "E001", "audit-gw", tok, API_TOKEN_MAX);
    http_resp r;
    int st = 0;
    for (int i = 0; i < 50 && st != 204; i++) { /* parkd rereads the token file within a second */
        const char *lp = "tank,device=audit-1 level=1 1767225600000\n";
        st = telegraf_write(tok, "db=E001&precision=ms", lp, strlen(lp), false, &r);
        http_resp_free(&r);
        if (st != 204) proc_sleep_ms(100);
    }
    assert_int_equal(st, 204);
    for (int i = 0; i < 5; i++) {
        char lp[128];
        snprintf(lp, sizeof lp, "tank,device=audit-1 level=%d %lld\n", i, 1767225601000LL + i);
        assert_int_equal(telegraf_write(tok, "db=E001&precision=ms", lp, strlen(lp), false, &r),
                         204);
        http_resp_free(&r);
    }
    assert_int_equal(audit_lines("audit-gw", NULL), 1); /* five calls wait for the minute */
    const char *bad = "tank,device=audit-1 level=oops 1767225609000\n";
    telegraf_write(tok, "db=E001&precision=ms", bad, strlen(bad), false, &r);
    assert_int_equal(r.status, 400);
    http_resp_free(&r);
    assert_int_equal(audit_lines("audit-gw", "\"rejected\":1"), 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_telegraf_replay),  cmocka_unit_test(test_precisions),
        cmocka_unit_test(test_auth_forms),       cmocka_unit_test(test_enterprise_scope),
        cmocka_unit_test(test_admin_whole_park), cmocka_unit_test(test_mixed_and_duplicates),
        cmocka_unit_test(test_gzip_bomb),        cmocka_unit_test(test_queries),
        cmocka_unit_test(test_audit_sums),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
