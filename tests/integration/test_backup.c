/*
 * test_backup.c - backups of a running parkd under load, and their restore.
 *
 * parkd is fed by parksim through a real mosquitto broker (the layout of
 * two enterprises' tanks and gas detectors, 40 transmitters each, 10 Hz, a
 * leak at E002 so alarms are raised and journalled). While it runs, two
 * backups are taken through the API: one with a plain POST, one with
 * `parkctl backup --api`. Before each, everything the API answers (the raw
 * points of every series, the alarm journal) is recorded. Non-admin roles
 * get 403, a bad name 400, a name taken 409. Then parkd stops; `parkctl
 * restore` makes new data directories of both backups. The first is
 * checked offline (historian and journal opened directly); parkd is
 * started on the second, and its API must answer every recorded point
 * with its value (later points may be there too, none is required), no
 * timestamp twice, every recorded journal transition; and it takes new
 * data on top, from the broker and over HTTP ingest, which a restart keeps.
 */
#include <jansson.h>
#include <math.h>
#include <mosquitto.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "alerting/alerting.h"
#include "api/api.h"
#include "common/kit/httpclient.h"
#include "tests/support/park.h"

/* What the API answered before a backup began. */
typedef struct rec_series {
    char name[HIST_SERIES_NAME_MAX + 1];
    int64_t *ts;
    double *v;
    size_t n;
} rec_series;

typedef struct rec_event {
    uint64_t seq;
    int64_t ts;
    int rule;
    char action[16], from[16], to[16];
} rec_event;

typedef struct snapshot {
    rec_series *series;
    size_t n_series;
    rec_event *events;
    size_t n_events;
    int64_t taken_ms; /* wall time when the recording ended, before the backup */
} snapshot;

typedef struct world {
    park p, r; /* the running park, and the one restored from the second backup */
    int api, api2;
    char layout[8192], extra[512], extra2[512];
    char admin[API_TOKEN_MAX], oper[API_TOKEN_MAX], regul[API_TOKEN_MAX], e1[API_TOKEN_MAX];
    char admin2[API_TOKEN_MAX];
    char ledger[700], token_file[700];
    int64_t t_start;
    pid_t sim;
    snapshot s1, s2;
} world;

static world W;

static int64_t now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Two enterprises, each a propane tank with a combustible detector 20 m
 * downwind and one upwind (as test_api.c). */
static void make_layout(char *s, size_t cap) {
    const double lon0 = 121.45, lat0 = 30.80, m = 1 / (111320.0 * cos(lat0 * M_PI / 180));
    const double lat2 = lat0 + 0.005;
    const char *tank =
        "{\"type\": \"Feature\", \"geometry\": {\"type\": \"Point\", \"coordinates\": "
        "[%.8f, %.8f]}, \"properties\": {\"id\": \"%s\", \"kind\": \"tank\", "
        "\"enterprise\": \"%s\", \"capacity_m3\": 5000, \"substance\": "
        "\"propane\", \"series\": [\"%s/tankfarm-1/%s.level\"]}},";
    const char *det =
        "{\"type\": \"Feature\", \"geometry\": {\"type\": \"Point\", \"coordinates\": "
        "[%.8f, %.8f]}, \"properties\": {\"id\": \"%s\", \"kind\": \"gas_detector\", "
        "\"enterprise\": \"%s\", \"gas\": \"propane\", \"type\": \"combustible\", "
        "\"series\": [\"%s/%s/lel\"]}}%s";
    size_t n = (size_t)snprintf(s, cap, "{\"type\": \"FeatureCollection\", \"features\": [");
    n += (size_t)snprintf(s + n, cap - n, tank, lon0, lat0, "T101", "E001", "E001", "T101");
    n += (size_t)snprintf(s + n, cap - n, det, lon0 - 20 * m, lat0, "E001-GD1", "E001", "E001",
                          "gd-01", ",");
    n += (size_t)snprintf(s + n, cap - n, det, lon0 + 20 * m, lat0, "E001-GD2", "E001", "E001",
                          "gd-02", ",");
    n += (size_t)snprintf(s + n, cap - n, tank, lon0, lat2, "T201", "E002", "E002", "T201");
    n += (size_t)snprintf(s + n, cap - n, det, lon0 - 20 * m, lat2, "E002-GD1", "E002", "E002",
                          "gd-01", ",");
    n += (size_t)snprintf(s + n, cap - n, det, lon0 + 20 * m, lat2, "E002-GD2", "E002", "E002",
                          "gd-02", "");
    snprintf(s + n, cap - n, "]}");
}

static json_t *call(int port, const char *method, const char *path, const char *token,
                    const char *body, int *status) {
    http_resp r;
    int rc = http_request(port, method, path, token, body ? "application/json" : NULL, body,
                          body ? strlen(body) : 0, &r, 60000);
    assert_int_equal(rc, 0);
    *status = r.status;
    json_t *j = json_loadb(r.body ? r.body : "", r.body_len, 0, NULL);
    http_resp_free(&r);
    return j;
}

static json_t *get_ok(int port, const char *path, const char *token) {
    int st;
    json_t *j = call(port, "GET", path, token, NULL, &st);
    if (st != 200) fail_msg("GET %s: %d", path, st);
    assert_non_null(j);
    return j;
}

static void expect_error(int port, const char *path, const char *token, const char *body,
                         int status, const char *code) {
    int st;
    json_t *j = call(port, "POST", path, token, body, &st);
    if (st != status) fail_msg("POST %s %s: %d, expected %d", path, body ? body : "", st, status);
    const char *c = json_string_value(json_object_get(json_object_get(j, "error"), "code"));
    if (!c || strcmp(c, code)) fail_msg("POST %s: code %s, expected %s", path, c, code);
    json_decref(j);
}

/* ---- recording what the API answers ---- */

static void snapshot_free(snapshot *s) {
    for (size_t i = 0; i < s->n_series; i++) {
        free(s->series[i].ts);
        free(s->series[i].v);
    }
    free(s->series);
    free(s->events);
    memset(s, 0, sizeof *s);
}

/* The raw points of one series over [from, to), following next_from. */
static void raw_points(int port, const char *token, const char *series, int64_t from, int64_t to,
                       rec_series *out) {
    snprintf(out->name, sizeof out->name, "%s", series);
    out->n = 0;
    size_t cap = 0;
    for (;;) {
        char path[700];
        snprintf(path, sizeof path, "/api/v1/series/raw?series=%s&from=%lld&to=%lld", series,
                 (long long)from, (long long)to);
        json_t *j = get_ok(port, path, token);
        size_t i;
        json_t *pt;
        json_array_foreach(json_object_get(j, "points"), i, pt) {
            if (out->n == cap) {
                cap = cap ? cap * 2 : 1024;
                out->ts = realloc(out->ts, cap * sizeof *out->ts);
                out->v = realloc(out->v, cap * sizeof *out->v);
                assert_true(out->ts && out->v);
            }
            out->ts[out->n] = json_integer_value(json_array_get(pt, 0));
            out->v[out->n] = json_number_value(json_array_get(pt, 1));
            out->n++;
        }
        bool more = json_is_true(json_object_get(j, "truncated"));
        from = json_integer_value(json_object_get(j, "next_from"));
        json_decref(j);
        if (!more) break;
    }
}

static void record(snapshot *s) {
    int64_t to = now_ms() + 60000;
    json_t *j = get_ok(W.api, "/api/v1/series?limit=10000", W.admin);
    json_t *arr = json_object_get(j, "series");
    assert_false(json_is_true(json_object_get(j, "truncated")));
    s->n_series = json_array_size(arr);
    s->series = calloc(s->n_series, sizeof *s->series);
    size_t i;
    json_t *x;
    json_array_foreach(arr, i, x) {
        raw_points(W.api, W.admin, json_string_value(json_object_get(x, "name")), W.t_start - 60000,
                   to, &s->series[i]);
    }
    json_decref(j);
    char path[200];
    snprintf(path, sizeof path, "/api/v1/alarms/journal?from=%lld&to=%lld",
             (long long)(W.t_start - 60000), (long long)to);
    j = get_ok(W.api, path, W.admin);
    assert_false(json_is_true(json_object_get(j, "truncated")));
    arr = json_object_get(j, "events");
    s->n_events = json_array_size(arr);
    s->events = calloc(s->n_events + 1, sizeof *s->events);
    json_array_foreach(arr, i, x) {
        rec_event *e = &s->events[i];
        e->seq = (uint64_t)json_integer_value(json_object_get(x, "seq"));
        e->ts = json_integer_value(json_object_get(x, "ts_ms"));
        e->rule = (int)json_integer_value(json_object_get(x, "rule"));
        snprintf(e->action, sizeof e->action, "%s",
                 json_string_value(json_object_get(x, "action")));
        snprintf(e->from, sizeof e->from, "%s", json_string_value(json_object_get(x, "from")));
        snprintf(e->to, sizeof e->to, "%s", json_string_value(json_object_get(x, "to")));
    }
    json_decref(j);
    s->taken_ms = now_ms();
}

static size_t snapshot_points(const snapshot *s) {
    size_t n = 0;
    for (size_t i = 0; i < s->n_series; i++) n += s->series[i].n;
    return n;
}

/* Every recorded point is in got (same time, same value); got has no
 * timestamp twice. Points got has beyond the recording are fine. */
static void contains(const rec_series *want, const hist_sample *got, size_t n_got,
                     const char *where) {
    for (size_t k = 1; k < n_got; k++)
        if (got[k].ts_ms <= got[k - 1].ts_ms)
            fail_msg("%s %s: timestamps %lld then %lld (a duplicate or out of order)", where,
                     want->name, (long long)got[k - 1].ts_ms, (long long)got[k].ts_ms);
    size_t k = 0;
    for (size_t i = 0; i < want->n; i++) {
        while (k < n_got && got[k].ts_ms < want->ts[i]) k++;
        if (k == n_got || got[k].ts_ms != want->ts[i] || got[k].value != want->v[i])
            fail_msg("%s %s: point %lld = %.17g is missing or changed", where, want->name,
                     (long long)want->ts[i], want->v[i]);
    }
}

/* ---- the park under load ---- */

static void start_sim(const park *p, const char *ledger, const char *seconds, const char *out) {
    char bin[PATH_MAX + 16], port[16], lay[700];
    snprintf(bin, sizeof bin, "%s/parksim", proc_bindir());
    snprintf(port, sizeof port, "%d", p->port);
    snprintf(lay, sizeof lay, "%s/layout.geojson", p->dir);
    char *argv[] = {bin,
                    "--port",
                    port,
                    "--park",
                    lay,
                    "--tags-per-enterprise",
                    "40",
                    "--rate",
                    "10",
                    "--duration",
                    (char *)seconds,
                    "--ledger",
                    (char *)ledger,
                    "--client-prefix",
                    "bk",
                    "--incident",
                    "leak:E002:tankfarm-1:T201:at=2:rate=5:for=100",
                    "--quiet",
                    NULL};
    W.sim = proc_spawn(argv, out);
    assert_true(W.sim > 0);
}

static int setup(void **state) {
    (void)state;
    make_layout(W.layout, sizeof W.layout);
    W.p.layout = W.layout;
    W.api = proc_free_port();
    /* backup_dir relative to the config: DIR/backups */
    snprintf(W.extra, sizeof W.extra,
             " \"api\": {\"listen\": \"127.0.0.1:%d\", \"max_points\": 5000},\n"
             " \"backup_dir\": \"backups\",\n",
             W.api);
    W.p.extra = W.extra;
    park_up(&W.p, "backup", NULL);
    for (int i = 0; i < 500 && !proc_port_open(W.api); i++) proc_sleep_ms(10);
    assert_true(proc_port_open(W.api));
    char tokens[700];
    snprintf(tokens, sizeof tokens, "%s/tokens.json", W.p.data);
    park_token(&W.p, tokens, "admin", NULL, "admin-1", W.admin, API_TOKEN_MAX);
    park_token(&W.p, tokens, "operator", NULL, "operator-1", W.oper, API_TOKEN_MAX);
    park_token(&W.p, tokens, "regulator", NULL, "regulator-1", W.regul, API_TOKEN_MAX);
    park_token(&W.p, tokens, "enterprise", "E001", "e001-gw", W.e1, API_TOKEN_MAX);
    /* parkctl reads the admin token from a private file */
    snprintf(W.token_file, sizeof W.token_file, "%s/admin.token", W.p.dir);
    int fd = open(W.token_file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, W.admin, strlen(W.admin)), (ssize_t)strlen(W.admin));
    close(fd);
    int st = 0;
    for (int i = 0; i < 50 && st != 200; i++) {
        json_decref(call(W.api, "GET", "/api/v1/whoami", W.admin, NULL, &st));
        if (st != 200) proc_sleep_ms(100);
    }
    assert_int_equal(st, 200);
    W.t_start = now_ms();
    snprintf(W.ledger, sizeof W.ledger, "%s/ledger.txt", W.p.dir);
    char out[700];
    snprintf(out, sizeof out, "%s/parksim.out", W.p.dir);
    start_sim(&W.p, W.ledger, "30", out);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    if (W.sim > 0) proc_stop(W.sim, SIGTERM);
    park_down(&W.r);
    park_down(&W.p);
    snapshot_free(&W.s1);
    snapshot_free(&W.s2);
    testutil_rmtree(W.r.dir);
    testutil_rmtree(W.p.dir);
    return 0;
}

/* The leak's journal has transitions; the load is on. */
static void wait_for_alarms(void) {
    for (int i = 0; i < 1500; i++) {
        char path[200];
        snprintf(path, sizeof path, "/api/v1/alarms/journal?from=%lld&to=now",
                 (long long)W.t_start - 60000);
        json_t *j = get_ok(W.api, path, W.admin);
        size_t n = json_array_size(json_object_get(j, "events"));
        json_decref(j);
        if (n >= 2) return;
        proc_sleep_ms(20);
    }
    fail_msg("no alarm transitions within 30 s of the leak");
}

static void test_backup_under_load(void **state) {
    (void)state;
    const char *P = "/api/v1/admin/backup";
    wait_for_alarms();

    /* only admin tokens take backups; names are names, not paths */
    expect_error(W.api, P, W.oper, "{}", 403, "forbidden");
    expect_error(W.api, P, W.regul, "{}", 403, "forbidden");
    expect_error(W.api, P, W.e1, "{\"name\": \"mine\"}", 403, "forbidden");
    expect_error(W.api, P, NULL, "{}", 401, "unauthorized");
    expect_error(W.api, P, W.admin, "{\"name\": \"../escape\"}", 400, "bad_request");
    expect_error(W.api, P, W.admin, "{\"name\": \"/tmp/x\"}", 400, "bad_request");
    expect_error(W.api, P, W.admin, "{\"name\": 7}", 400, "bad_request");
    expect_error(W.api, P, W.admin, "[1]", 400, "bad_request");
    int st;
    json_t *j = call(W.api, "GET", P, W.admin, NULL, &st);
    assert_int_equal(st, 405);
    json_decref(j);
    char path[900];
    snprintf(path, sizeof path, "%s/escape", W.p.dir);
    assert_int_not_equal(access(path, F_OK), 0);

    /* the first backup, by a plain POST */
    record(&W.s1);
    assert_true(W.s1.n_series >= 60 && snapshot_points(&W.s1) > 1000 && W.s1.n_events >= 2);
    uint64_t max_seq = 0;
    for (size_t i = 0; i < W.s1.n_events; i++)
        if (W.s1.events[i].seq > max_seq) max_seq = W.s1.events[i].seq;
    j = call(W.api, "POST", P, W.admin, "{\"name\": \"first\"}", &st);
    if (st != 200) fail_msg("backup: %d", st);
    char dir1[700];
    snprintf(dir1, sizeof dir1, "%s/backups/first", W.p.dir);
    assert_string_equal(json_string_value(json_object_get(j, "name")), "first");
    assert_string_equal(json_string_value(json_object_get(j, "directory")), dir1);
    json_t *hj = json_object_get(j, "historian"), *aj = json_object_get(j, "alarms");
    assert_true(json_integer_value(json_object_get(hj, "series")) >= (json_int_t)W.s1.n_series);
    assert_true(json_integer_value(json_object_get(hj, "bytes")) > 0);
    assert_true(json_integer_value(json_object_get(aj, "last_seq")) >= (json_int_t)max_seq);
    assert_true(json_integer_value(json_object_get(j, "duration_ms")) >= 0);
    assert_true(json_integer_value(json_object_get(j, "finished_ms")) >= W.s1.taken_ms);
    json_decref(j);
    snprintf(path, sizeof path, "%s/backup.json", dir1);
    assert_int_equal(access(path, R_OK), 0);
    expect_error(W.api, P, W.admin, "{\"name\": \"first\"}", 409, "conflict");

    /* more load, then the second by parkctl (the token from a file) */
    proc_sleep_ms(3000);
    record(&W.s2);
    assert_true(snapshot_points(&W.s2) > snapshot_points(&W.s1));
    char bin[PATH_MAX + 16], api[32], out[700];
    snprintf(bin, sizeof bin, "%s/parkctl", proc_bindir());
    snprintf(api, sizeof api, "127.0.0.1:%d", W.api);
    snprintf(out, sizeof out, "%s/parkctl-backup.out", W.p.dir);
    char *argv[] = {bin,      "backup",       "--api",      api, "--name",
                    "second", "--token-file", W.token_file, NULL};
    assert_int_equal(proc_wait(proc_spawn(argv, out), 120), 0);
    char *txt = proc_read_file(out);
    assert_non_null(txt);
    assert_non_null(strstr(txt, "\"name\": \"second\""));
    free(txt);
    /* both were taken under load: parksim is still publishing */
    assert_int_equal(waitpid(W.sim, NULL, WNOHANG), 0);

    /* the audit log has both, with the token's name */
    snprintf(path, sizeof path, "%s/audit.log", W.p.data);
    txt = proc_read_file(path);
    assert_non_null(txt);
    assert_non_null(strstr(txt, "\"action\":\"backup\""));
    assert_non_null(strstr(txt, "\"backup\":\"first\""));
    assert_non_null(strstr(txt, "\"backup\":\"second\""));
    assert_non_null(strstr(txt, "\"name\":\"admin-1\""));
    free(txt);

    /* the load ends; parkd stops */
    assert_int_equal(proc_wait(W.sim, 120), 0);
    W.sim = 0;
    proc_sleep_ms(500);
    park_down(&W.p);
}

/* parkctl restore BACKUP NEWDATA: exit status 0 and its summary. */
static json_t *restore(const char *backup, const char *data) {
    char bin[PATH_MAX + 16], out[900];
    snprintf(bin, sizeof bin, "%s/parkctl", proc_bindir());
    snprintf(out, sizeof out, "%s.restore.out", data);
    char *argv[] = {bin, "restore", (char *)backup, (char *)data, NULL};
    int rc = proc_wait(proc_spawn(argv, out), 120);
    char *txt = proc_read_file(out);
    if (rc != 0) fail_msg("parkctl restore %s: %d: %s", backup, rc, txt ? txt : "");
    json_t *j = json_loads(txt, 0, NULL);
    free(txt);
    assert_non_null(j);
    return j;
}

/* The first backup, restored and opened directly: the historian and the journal. */
static void test_restore_first_offline(void **state) {
    (void)state;
    char backup[700], data[700], dir[800];
    snprintf(backup, sizeof backup, "%s/backups/first", W.p.dir);
    snprintf(data, sizeof data, "%s/restored-first", W.p.dir);
    json_t *sum = restore(backup, data);
    assert_true(json_integer_value(json_object_get(sum, "series")) >= (json_int_t)W.s1.n_series);
    assert_true(json_integer_value(json_object_get(sum, "alarm_transitions")) >=
                (json_int_t)W.s1.n_events);
    json_decref(sum);
    /* a second restore into the same (now full) directory is refused */
    char bin[PATH_MAX + 16], log[800];
    snprintf(bin, sizeof bin, "%s/parkctl", proc_bindir());
    snprintf(log, sizeof log, "%s/restore-again.out", W.p.dir);
    char *argv[] = {bin, "restore", backup, data, NULL};
    assert_int_equal(proc_wait(proc_spawn(argv, log), 60), 1);
    char *txt = proc_read_file(log);
    assert_non_null(txt);
    assert_non_null(strstr(txt, "not empty"));
    free(txt);

    snprintf(dir, sizeof dir, "%s/historian", data);
    hist *h = NULL;
    hist_error he;
    if (hist_open(dir, NULL, &h, &he) != HIST_OK) fail_msg("%s: %s", dir, he.msg);
    for (size_t i = 0; i < W.s1.n_series; i++) {
        const rec_series *rs = &W.s1.series[i];
        uint32_t id;
        assert_int_equal(hist_series_lookup(h, rs->name, &id, &he), HIST_OK);
        hist_samples s = {0};
        assert_int_equal(hist_query_raw(h, id, W.t_start - 60000, HIST_MAX_TS_MS, 0, &s, &he),
                         HIST_OK);
        contains(rs, s.v, s.n, "first backup");
        hist_samples_free(&s);
    }
    assert_int_equal(hist_close(h, &he), HIST_OK);

    snprintf(dir, sizeof dir, "%s/alarms", data);
    alert_engine *al;
    char err[512];
    assert_int_equal(alert_open(dir, &al, err, sizeof err), 0);
    alert_event *ev;
    size_t n;
    assert_int_equal(alert_journal_range(al, W.t_start - 60000, HIST_MAX_TS_MS, &ev, &n), 0);
    for (size_t i = 0; i < W.s1.n_events; i++) {
        const rec_event *want = &W.s1.events[i];
        bool found = false;
        for (size_t k = 0; k < n && !found; k++)
            found = ev[k].seq == want->seq && ev[k].ts_ms == want->ts &&
                    (int)ev[k].rule == want->rule &&
                    !strcmp(alert_state_name(ev[k].from), want->from) &&
                    !strcmp(alert_state_name(ev[k].to), want->to);
        if (!found)
            fail_msg("first backup: journal transition %llu (rule %d, %s -> %s) is missing",
                     (unsigned long long)want->seq, want->rule, want->from, want->to);
    }
    free(ev);
    alert_close(al);
}

/* parkd on the second backup, restored: the API answers what it answered
 * before the backup, and new data goes on top. */
static void test_restore_second_and_run(void **state) {
    (void)state;
    park *r = &W.r;
    testutil_tmpdir(r->dir, sizeof r->dir, "backup-restored");
    snprintf(r->data, sizeof r->data, "%s/data", r->dir);
    snprintf(r->stats, sizeof r->stats, "%s/stats.json", r->dir);
    snprintf(r->config, sizeof r->config, "%s/parkd.json", r->dir);
    snprintf(r->log, sizeof r->log, "%s/parkd.log", r->dir);
    char backup[700];
    snprintf(backup, sizeof backup, "%s/backups/second", W.p.dir);
    json_t *sum = restore(backup, r->data);
    assert_true(json_integer_value(json_object_get(sum, "series")) >= (json_int_t)W.s2.n_series);
    json_decref(sum);

    /* a new broker, the same layout and enterprises, a new token file */
    r->layout = W.layout;
    W.api2 = proc_free_port();
    snprintf(W.extra2, sizeof W.extra2,
             " \"api\": {\"listen\": \"127.0.0.1:%d\", \"max_points\": 5000},\n", W.api2);
    r->extra = W.extra2;
    r->port = proc_free_port();
    r->broker = proc_start_broker(r->dir, r->port);
    assert_true(proc_port_open(r->port));
    write_config(r, NULL);
    char tokens[700];
    snprintf(tokens, sizeof tokens, "%s/tokens.json", r->data);
    park_token(r, tokens, "admin", NULL, "admin-restored", W.admin2, API_TOKEN_MAX);
    start_parkd(r);
    for (int i = 0; i < 500 && !proc_port_open(W.api2); i++) proc_sleep_ms(10);
    assert_true(proc_port_open(W.api2));

    /* every point recorded before the second backup, with its value */
    size_t checked = 0;
    int64_t to = W.s2.taken_ms + 3600000;
    for (size_t i = 0; i < W.s2.n_series; i++) {
        rec_series got = {0};
        raw_points(W.api2, W.admin2, W.s2.series[i].name, W.t_start - 60000, to, &got);
        hist_sample *gs = calloc(got.n + 1, sizeof *gs);
        for (size_t k = 0; k < got.n; k++) gs[k] = (hist_sample){got.ts[k], got.v[k], 0};
        contains(&W.s2.series[i], gs, got.n, "restored parkd");
        checked += W.s2.series[i].n;
        free(gs);
        free(got.ts);
        free(got.v);
    }
    assert_int_equal(checked, snapshot_points(&W.s2));
    /* every journal transition recorded before it */
    char path[300];
    snprintf(path, sizeof path, "/api/v1/alarms/journal?from=%lld&to=%lld",
             (long long)(W.t_start - 60000), (long long)to);
    json_t *j = get_ok(W.api2, path, W.admin2);
    json_t *evs = json_object_get(j, "events");
    for (size_t i = 0; i < W.s2.n_events; i++) {
        const rec_event *want = &W.s2.events[i];
        bool found = false;
        size_t k;
        json_t *x;
        json_array_foreach(evs, k, x) {
            if ((uint64_t)json_integer_value(json_object_get(x, "seq")) == want->seq &&
                json_integer_value(json_object_get(x, "ts_ms")) == want->ts &&
                json_integer_value(json_object_get(x, "rule")) == want->rule &&
                !strcmp(json_string_value(json_object_get(x, "action")), want->action) &&
                !strcmp(json_string_value(json_object_get(x, "from")), want->from) &&
                !strcmp(json_string_value(json_object_get(x, "to")), want->to))
                found = true;
        }
        if (!found)
            fail_msg("restored parkd: journal transition %llu (rule %d, %s -> %s) is missing",
                     (unsigned long long)want->seq, want->rule, want->from, want->to);
    }
    json_decref(j);

    /* new data on top: parksim through the new broker ... */
    char ledger[700], out[700];
    snprintf(ledger, sizeof ledger, "%s/ledger2.txt", r->dir);
    snprintf(out, sizeof out, "%s/parksim2.out", r->dir);
    int64_t t_new = now_ms();
    start_sim(r, ledger, "3", out);
    assert_int_equal(proc_wait(W.sim, 60), 0);
    W.sim = 0;
    /* ... and over HTTP ingest, as admin */
    char body[200];
    int64_t t_http = now_ms();
    snprintf(body, sizeof body, "{\"ts\": %lld, \"values\": {\"X1.check\": 42.5}}",
             (long long)t_http);
    int st;
    j = call(W.api2, "POST", "/api/v1/ingest?enterprise=E001&device=bk-http", W.admin2, body, &st);
    if (st != 200) fail_msg("ingest on the restored parkd: %d", st);
    assert_int_equal(json_integer_value(json_object_get(j, "accepted")), 1);
    json_decref(j);
    /* the last reading parksim had acknowledged for the tank is stored */
    FILE *f = fopen(ledger, "r");
    assert_non_null(f);
    char name[256];
    long long ts, last_ts = 0;
    double v;
    while (fscanf(f, "%255s %lld %lf", name, &ts, &v) == 3)
        if (!strcmp(name, "E001/tankfarm-1/T101.level") && ts > last_ts) last_ts = ts;
    fclose(f);
    assert_true(last_ts >= t_new);
    rec_series got = {0};
    for (int i = 0; i < 500; i++) {
        free(got.ts), free(got.v);
        memset(&got, 0, sizeof got);
        raw_points(W.api2, W.admin2, "E001/tankfarm-1/T101.level", W.t_start - 60000,
                   now_ms() + 60000, &got);
        if (got.n && got.ts[got.n - 1] == last_ts) break;
        proc_sleep_ms(20);
    }
    assert_true(got.n && got.ts[got.n - 1] == last_ts);
    free(got.ts), free(got.v);

    /* a restart keeps old and new */
    park_down(r);
    r->broker = proc_start_broker(r->dir, r->port);
    start_parkd(r);
    for (int i = 0; i < 500 && !proc_port_open(W.api2); i++) proc_sleep_ms(10);
    for (size_t i = 0; i < W.s2.n_series; i++) {
        if (strcmp(W.s2.series[i].name, "E001/tankfarm-1/T101.level")) continue;
        memset(&got, 0, sizeof got);
        raw_points(W.api2, W.admin2, W.s2.series[i].name, W.t_start - 60000, now_ms() + 60000,
                   &got);
        hist_sample *gs = calloc(got.n + 1, sizeof *gs);
        for (size_t k = 0; k < got.n; k++) gs[k] = (hist_sample){got.ts[k], got.v[k], 0};
        contains(&W.s2.series[i], gs, got.n, "restored parkd, restarted");
        assert_true(got.n && got.ts[got.n - 1] == last_ts);
        free(gs), free(got.ts), free(got.v);
    }
    memset(&got, 0, sizeof got);
    raw_points(W.api2, W.admin2, "E001/bk-http/X1.check", t_http, t_http + 1, &got);
    assert_int_equal(got.n, 1);
    assert_true(got.v[0] == 42.5);
    free(got.ts), free(got.v);
    park_down(r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backup_under_load),
        cmocka_unit_test(test_restore_first_offline),
        cmocka_unit_test(test_restore_second_and_run),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
