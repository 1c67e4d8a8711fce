/*
 * fuzz_park.c - see fuzz_park.h. Moved out of fuzz_api.c so that the API
 * targets share one park.
 */
#include "common/clock.h"
#include "fuzz/fuzz_park.h"

#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "alerting/alerting.h"
#include "geo/geo.h"
#include "handover/handover.h"
#include "hazards/hazards.h"
#include "people/people.h"
#include "riskunits/riskunits.h"
#include "historian/historian.h"
#include "ingest/ingest.h"
#include "views/views.h"

#ifndef PARKWATCH_SOURCE_DIR
#error "PARKWATCH_SOURCE_DIR must name the source tree"
#endif

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s: property failed: %s (line %d)\n", tag, #cond, __LINE__);          \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static char dir[3072];
static const char *tag = "fuzz_park";

static void die(const char *what, const char *why) {
    fprintf(stderr, "%s: %s: %s\n", tag, what, why);
    exit(1);
}

/* ---- ingest, as parkd would hand it over ---- */

static json_t *fake_status(void *ctx) {
    (void)ctx;
    return json_pack("{s:b,s:i,s:i,s:[{s:s,s:i,s:{s:i}},{s:s,s:i,s:{}}]}", "connected", 1,
                     "messages", 10, "points", 100, "enterprises", "enterprise", "E001", "messages",
                     6, "rejected", "bad_tag", 1, "enterprise", "E002", "messages", 4, "rejected");
}

static json_t *fake_dead_letters(void *ctx) {
    (void)ctx;
    return json_pack("[{s:s,s:s,s:s},{s:s,s:s,s:s}]", "enterprise", "E001", "reason",
                     "malformed_json", "excerpt", "{\"ts\":", "enterprise", "E002", "reason",
                     "bad_tag", "excerpt", "x");
}

static json_t *fake_devices(void *ctx) {
    (void)ctx;
    return json_pack("[{s:s,s:s,s:b,s:I},{s:s,s:s,s:b,s:I}]", "enterprise", "E001", "device",
                     "gd-01", "online", 1, "since_ms", (json_int_t)1700000000000, "enterprise",
                     "E002", "device", "gd-01", "online", 0, "since_ms", (json_int_t)0);
}

static char *fake_metrics(void *ctx) {
    (void)ctx;
    return strdup("# HELP parkwatch_ingest_messages_total x\nparkwatch_ingest_messages_total 10\n");
}

typedef struct submit_count {
    size_t ok, bad;
    char reason[64];
} submit_count;

static int count_reading(const ingest_reading *r, void *ctx) {
    (void)r;
    ((submit_count *)ctx)->ok++;
    return 0;
}

static void count_reject(const char *reason, const char *tag, const char *msg, void *ctx) {
    (void)msg;
    submit_count *c = ctx;
    if (tag) c->bad++;
    if (!c->reason[0]) snprintf(c->reason, sizeof c->reason, "%s", reason);
}

/* The payload goes through the real parser; nothing is stored. */
static int fake_submit(void *ctx, const char *topic, const char *precision, const void *body,
                       size_t len, api_submit_result *res, char *err, size_t errcap) {
    (void)ctx;
    CHECK(topic && strncmp(topic, "park/", 5) == 0);
    ingest_lp_precision prec = INGEST_LP_MS;
    /* the API hands on only the names it checked */
    CHECK(!precision || ingest_lp_precision_parse(precision, &prec) == 0);
    submit_count c = {0};
    int rc = ingest_payload_parse_prec(body, len, INGEST_FMT_AUTO, prec, pw_wall_ms(),
                                       count_reading, count_reject, &c, NULL);
    memset(res, 0, sizeof *res);
    res->accepted = c.ok, res->rejected = c.bad;
    err[0] = 0;
    if (rc == 1) {
        snprintf(err, errcap, "rejected: %s: the message", c.reason);
        return -1;
    }
    if (c.bad) snprintf(err, errcap, "%s: a reading", c.reason);
    return 0;
}

/* ---- the park ---- */

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) die(path, strerror(errno));
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 65536;
            if (!(buf = realloc(buf, cap))) die(path, "out of memory");
        }
        size_t r = fread(buf + n, 1, 4096, f);
        n += r;
        if (r == 0) break;
    }
    fclose(f);
    buf[n] = 0;
    return buf;
}

static void build_park(hist **h_out, alert_engine **al_out, geo_layout **g_out, views **v_out) {
    char path[3200], err[512];
    const char *text = read_file(PARKWATCH_SOURCE_DIR "/fuzz/corpus/geo/small-park.geojson");
    const char *names[1] = {"small-park.geojson"};
    geo_layout *g;
    geo_problems gp = {0};
    if (geo_load_text(&text, names, 1, NULL, &g, &gp) != 0)
        die("layout", gp.n ? gp.v[0].message : "?");
    free((char *)text);
    snprintf(path, sizeof path, "%s/historian", dir);
    hist_options ho;
    hist_options_default(&ho);
    ho.sync = HIST_SYNC_NONE;
    hist *h;
    hist_error he;
    if (hist_open(path, &ho, &h, &he) != HIST_OK) die("historian", he.msg);
    /* every series of the layout, two hours of points a minute apart */
    hist_series_def defs[64];
    const char *kinds[64];
    size_t n = 0;
    for (size_t i = 0; i < geo_count_all(g); i++) {
        const geo_feature *f = geo_get(g, i);
        for (size_t s = 0; s < f->n_series && n < 64; s++) {
            defs[n] = (hist_series_def){f->series[s], NULL, NULL, 60000};
            kinds[n++] = geo_kind_name(f->kind);
        }
    }
    uint32_t ids[64];
    if (hist_series_ensure(h, defs, n, ids, &he) != HIST_OK) die("series", he.msg);
    int64_t t0 = pw_wall_ms() - 2 * 3600000;
    t0 -= t0 % 60000;
    static hist_point pts[64 * 121];
    size_t np = 0;
    for (size_t k = 0; k < n; k++)
        for (int m = 0; m <= 120; m++) {
            double v = 10 + (double)((m * 7 + (int)k) % 13) / 4;
            if (strstr(defs[k].name, "wind_dir")) v = (double)((m * 37) % 360);
            if (strstr(defs[k].name, "/lel") && m > 110) v = 60; /* an alarm */
            pts[np++] = (hist_point){ids[k], (uint8_t)(m == 50 ? 0x80 : 0), t0 + m * 60000LL, v};
        }
    if (hist_append(h, pts, np, &he) != HIST_OK) die("append", he.msg);
    /* alarms on every gas detector and tank series */
    snprintf(path, sizeof path, "%s/alarms", dir);
    alert_engine *al;
    if (alert_open(path, &al, err, sizeof err) != 0) die("alarms", err);
    alert_rule rules[64];
    static char ents[64][8];
    size_t nr = 0;
    for (size_t k = 0; k < n && nr + 2 <= 64; k++) {
        if (strcmp(kinds[k], "gas_detector") && strcmp(kinds[k], "tank")) continue;
        char *ent = ents[k];
        snprintf(ent, sizeof ents[k], "%.4s", defs[k].name);
        rules[nr++] = (alert_rule){.series = ids[k],
                                   .series_name = defs[k].name,
                                   .enterprise = ent,
                                   .kind = ALERT_HIGH,
                                   .limit = 25,
                                   .deadband = 1,
                                   .priority = 2};
        rules[nr++] = (alert_rule){.series = ids[k],
                                   .series_name = defs[k].name,
                                   .enterprise = ent,
                                   .kind = ALERT_HIGH_HIGH,
                                   .limit = 50,
                                   .deadband = 1,
                                   .priority = 1};
    }
    uint32_t rids[64];
    if (alert_add_rules(al, rules, nr, rids, err, sizeof err) != 0 ||
        alert_restore(al, err, sizeof err) != 0)
        die("alarm rules", err);
    static alert_point ap[64 * 121];
    for (size_t i = 0; i < np; i++)
        ap[i] = (alert_point){pts[i].series, pts[i].ts_ms, pts[i].value, pts[i].quality, 0};
    alert_points(al, ap, np);
    views_options vo;
    views_options_default(&vo);
    snprintf(path, sizeof path, "%s/incidents.jsonl", dir);
    vo.historian = h, vo.alarms = al, vo.layout = g, vo.incident_file = path;
    views *v;
    if (views_open(&vo, &v, err, sizeof err) != 0) die("views", err);
    *h_out = h, *al_out = al, *g_out = g, *v_out = v;
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

/* The scratch directory (RocksDB preallocates some 150 MB in it) goes when
 * libFuzzer exits; the server's threads still run, which unlinked files
 * do not mind. */
static void remove_dir(void) {
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

void fuzz_park_start(const char *name, fuzz_park *out) {
    tag = name;
    signal(SIGPIPE, SIG_IGN);
    const char *base = getenv("PARKWATCH_TMP");
    snprintf(dir, sizeof dir, "%.2000s/parkwatch-%.200s.XXXXXX", base && *base ? base : "/tmp",
             name);
    if (!mkdtemp(dir)) die("mkdtemp", strerror(errno));
    atexit(remove_dir);
    hist *h;
    alert_engine *al;
    geo_layout *g;
    views *v;
    build_park(&h, &al, &g, &v);
    char tokens[3200], audit[3200], stat_dir[3200], index[3300], err[512];
    snprintf(tokens, sizeof tokens, "%s/tokens.json", dir);
    snprintf(audit, sizeof audit, "%s/audit.log", dir);
    snprintf(stat_dir, sizeof stat_dir, "%s/static", dir);
    snprintf(index, sizeof index, "%s/index.html", stat_dir);
    mkdir(stat_dir, 0755);
    FILE *f = fopen(index, "w");
    if (!f) die(index, strerror(errno));
    fputs("<!doctype html><title>parkwatch</title>\n", f);
    fclose(f);
    api_token_info info;
    if (api_token_create(tokens, API_ROLE_ADMIN, NULL, "fuzz-admin", 0, out->admin, &info, err,
                         sizeof err) != 0 ||
        api_token_create(tokens, API_ROLE_OPERATOR, NULL, "fuzz-operator", 0, out->oper, &info, err,
                         sizeof err) != 0 ||
        api_token_create(tokens, API_ROLE_ENTERPRISE, "E001", "fuzz-e001", 0, out->ent, &info, err,
                         sizeof err) != 0 ||
        api_token_create(tokens, API_ROLE_REGULATOR, NULL, "fuzz-regulator", 0, out->regul, &info,
                         err, sizeof err) != 0)
        die("tokens", err);
    char path[3200];
    /* the dual prevention stores: a hazard register with a person of
     * E001 to assign to, risk units from the demo's CSV, handover records
     * (notification answers its empty lists without a config) */
    json_error_t je;
    json_t *pj = json_loads("[{\"id\": \"e001-zhang\", \"name\": \"Zhang Wei\", "
                            "\"enterprise\": \"E001\", \"posts\": [\"shift_leader\"]}]",
                            0, &je);
    people *pp = NULL;
    if (!pj || people_load(pj, &pp, err, sizeof err) != 0) die("people", err);
    json_decref(pj);
    snprintf(path, sizeof path, "%s/hazards", dir);
    hazards_options ho = {.dir = path, .people = pp};
    hazards *hz;
    if (hazards_open(&ho, &hz, err, sizeof err) != HAZARD_OK) die("hazards", err);
    hazard_actor park = {HAZARD_ACTOR_PARK, "fuzz", NULL};
    hazard_report rep = {.enterprise = "E001", .title = "flange leak at T101"};
    uint64_t hid;
    if (hazards_report(hz, &park, &rep, pw_wall_ms(), &hid, err, sizeof err) != HAZARD_OK)
        die("hazard", err);
    snprintf(path, sizeof path, "%s/riskunits", dir);
    ru_bands bands;
    ru_bands_default(&bands);
    riskunits *ru;
    if (riskunits_open(path, &bands, &ru, err, sizeof err) != 0) die("riskunits", err);
    static char csv[1 << 16];
    FILE *cf = fopen(PARKWATCH_SOURCE_DIR "/scripts/risk-units-demo.csv", "rb");
    size_t csv_n = cf ? fread(csv, 1, sizeof csv - 1, cf) : 0, imported = 0;
    if (cf) fclose(cf);
    if (!csv_n || riskunits_import_csv(ru, csv, csv_n, "fuzz", NULL, pw_wall_ms(), &imported, err,
                                       sizeof err) != 0)
        die("risk units", csv_n ? err : "no scripts/risk-units-demo.csv");
    snprintf(path, sizeof path, "%s/handover", dir);
    handover_store *hs;
    if (handover_open(path, &hs, err, sizeof err) != 0) die("handover", err);
    api_options o;
    api_options_default(&o);
    o.hazards = hz, o.riskunits = ru, o.handover = hs;
    o.listen = "127.0.0.1:0";
    o.token_file = tokens;
    o.audit_log = audit;
    o.static_dir = stat_dir;
    o.historian = h, o.alarms = al, o.layout = g, o.views = v;
    o.ingest = (api_ingest){.ctx = NULL,
                            .status = fake_status,
                            .dead_letters = fake_dead_letters,
                            .devices = fake_devices,
                            .metrics = fake_metrics,
                            .submit = fake_submit};
    o.threads = 2;
    o.max_points = 5000;
    o.max_body_bytes = 64 * 1024;
    o.max_streams = 16;
    api_server *s;
    if (api_start(&o, &s, err, sizeof err) != 0) die("api_start", err);
    out->port = api_port(s);
    /* The server, the park and dir live as long as the process: libFuzzer
     * exits without returning to the target. */
}
