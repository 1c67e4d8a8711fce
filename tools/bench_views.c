/*
 * bench_views.c - "parkbench views": the risk, environment and emergency
 * views on the demo park (geo/demo-park.geojson's generator: 30
 * enterprises, 15 hazard sources, 150 tanks, 1,500 detectors, 400
 * buildings, 10 air-quality and 2 weather stations) with a day of data in
 * a historian and alarms standing on a tenth of the detectors.
 *
 *   parkbench views [--scale N=1] [--runs N=21] [--dir DIR]
 *
 * risk_ms: the risk layer (every hazard source's inventory from its tank
 * levels, S, R, grade and live state) at now; aqi_ms: the AQI layer (24
 * hourly means of six pollutants at every station); idw_ms: a 100 x 100
 * grid of PM2.5; incident_ms: an incident at a tank with its footprints in
 * the recorded wind and everything they cover. Medians of --runs runs.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alerting/alerting.h"
#include "geo/geo.h"
#include "historian/historian.h"
#include "views/views.h"

int bench_views(int argc, char **argv);
char *park_layout_geojson(int scale, uint64_t seed); /* layout_gen.c */

static double ms_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmpd(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmpd);
    return v[n / 2];
}

static int64_t wall_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* A day of one-minute points for a series: base + a slow wave. */
static int fill(hist *h, const char *name, int64_t now, double base, double amp, hist_error *he) {
    uint32_t id;
    hist_series_def d = {name, NULL, NULL, 60000};
    if (hist_series_ensure(h, &d, 1, &id, he) != HIST_OK) return -1;
    hist_point pts[1440];
    for (int i = 0; i < 1440; i++) {
        int64_t ts = now - (int64_t)(1440 - i) * 60000;
        pts[i] = (hist_point){.series = id,
                              .ts_ms = ts,
                              .value = round((base + amp * sin(i / 90.0)) * 100) / 100,
                              .quality = 0};
    }
    return hist_append(h, pts, 1440, he) == HIST_OK ? 0 : -1;
}

int bench_views(int argc, char **argv) {
    int scale = 1, runs = 21;
    const char *dir_opt = NULL;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--scale") && i + 1 < argc)
            scale = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
            dir_opt = argv[++i];
        else {
            fprintf(stderr, "usage: parkbench views [--scale N] [--runs N] [--dir DIR]\n");
            return 2;
        }
    }
    if (scale < 1 || runs < 1) return 2;
    char dir[512], path[640];
    if (dir_opt)
        snprintf(dir, sizeof dir, "%s", dir_opt);
    else {
        snprintf(dir, sizeof dir, "/tmp/parkbench-views.XXXXXX");
        if (!mkdtemp(dir)) return perror("mkdtemp"), 1;
    }
    char *text = park_layout_geojson(scale, 1);
    const char *texts[] = {text}, *names[] = {"demo-park.geojson"};
    geo_layout *g;
    geo_problems p = {0};
    if (geo_load_text(texts, names, 1, NULL, &g, &p) != 0) {
        fprintf(stderr, "parkbench views: layout: %s\n", p.n ? p.v[0].message : "?");
        return 1;
    }
    free(text);
    hist *h;
    hist_error he;
    snprintf(path, sizeof path, "%s/historian", dir);
    if (hist_open(path, NULL, &h, &he) != HIST_OK) {
        fprintf(stderr, "parkbench views: %s\n", he.msg);
        return 1;
    }
    alert_engine *al;
    char err[256];
    snprintf(path, sizeof path, "%s/alarms", dir);
    if (alert_open(path, &al, err, sizeof err) != 0) {
        fprintf(stderr, "parkbench views: %s\n", err);
        return 1;
    }
    /* a day of data: tank levels, stations, wind; detectors near zero */
    int64_t now = wall_ms();
    double t0 = ms_now();
    size_t n_series = 0, n_rules = 0;
    alert_rule *rules = calloc(geo_count_all(g) * 2 + 1, sizeof *rules);
    for (size_t i = 0; i < geo_count_all(g); i++) {
        const geo_feature *f = geo_get(g, i);
        for (size_t k = 0; k < f->n_series; k++) {
            const char *s = f->series[k];
            double base = 1, amp = 0.5;
            if (strstr(s, ".level"))
                base = 10, amp = 3;
            else if (strstr(s, "wind_speed"))
                base = 3, amp = 1;
            else if (strstr(s, "wind_dir"))
                base = 90, amp = 20;
            else if (strstr(s, "PM2_5"))
                base = 60, amp = 20;
            else if (strstr(s, "PM10"))
                base = 90, amp = 30;
            else if (strstr(s, "/CO"))
                base = 1, amp = 0.3;
            else if (strstr(s, "/O3"))
                base = 100, amp = 40;
            else if (strstr(s, "/SO2") || strstr(s, "/NO2"))
                base = 30, amp = 10;
            if (fill(h, s, now, base, amp, &he) != 0) {
                fprintf(stderr, "parkbench views: %s\n", he.msg);
                return 1;
            }
            n_series++;
        }
        /* a high alarm rule on every detector; a tenth of them in alarm */
        if (f->kind == GEO_GAS_DETECTOR && f->n_series) {
            uint32_t id;
            hist_series_lookup(h, f->series[0], &id, &he);
            rules[n_rules++] = (alert_rule){.series = id,
                                            .series_name = f->series[0],
                                            .enterprise = f->enterprise,
                                            .kind = ALERT_HIGH,
                                            .limit = f->alarm1 > 0 ? f->alarm1 : 25,
                                            .deadband = 1,
                                            .on_delay_ms = 0,
                                            .off_delay_ms = 0,
                                            .priority = 2,
                                            .paired_series = 0};
        }
    }
    uint32_t *ids = calloc(n_rules + 1, sizeof *ids);
    if (alert_add_rules(al, rules, n_rules, ids, err, sizeof err) != 0) {
        fprintf(stderr, "parkbench views: %s\n", err);
        return 1;
    }
    for (size_t i = 0; i < n_rules; i += 10) {
        alert_point ap = {rules[i].series, now, 80, 0, 0};
        alert_points(al, &ap, 1);
    }
    hist_flush(h, &he);
    fprintf(stderr,
            "parkbench views: %zu features, %zu series with a day of 1-minute data, %zu rules "
            "(%.0f ms)\n",
            geo_count_all(g), n_series, n_rules, ms_now() - t0);
    views_options o;
    views_options_default(&o);
    o.historian = h, o.alarms = al, o.layout = g;
    views *v;
    t0 = ms_now();
    if (views_open(&o, &v, err, sizeof err) != 0) {
        fprintf(stderr, "parkbench views: %s\n", err);
        return 1;
    }
    double open_ms = ms_now() - t0;
    double *risk = calloc((size_t)runs, sizeof(double)),
           *aqi = calloc((size_t)runs, sizeof(double)), *idw = calloc((size_t)runs, sizeof(double)),
           *inc = calloc((size_t)runs, sizeof(double));
    views_query q = {0};
    size_t risk_bytes = 0, aqi_bytes = 0, idw_bytes = 0, zones = 0;
    char id[32];
    views_incident_spec sp = {.tank_id = geo_get(g, (size_t)geo_find(g, "E001-T101"))->id,
                              .release_kg_s = 5,
                              .start_ms = now - 60000,
                              .opened_by = "parkbench"};
    if (views_incident_open(v, &sp, id, err, sizeof err) != 0) {
        fprintf(stderr, "parkbench views: %s\n", err);
        return 1;
    }
    for (int r = 0; r < runs; r++) {
        char *txt;
        size_t len;
        double a = ms_now();
        if (views_risk_layer(v, &q, &txt, &len, err, sizeof err) != 0) goto fail;
        risk[r] = ms_now() - a, risk_bytes = len;
        free(txt);
        a = ms_now();
        if (views_aqi_layer(v, &q, &txt, &len, err, sizeof err) != 0) goto fail;
        aqi[r] = ms_now() - a, aqi_bytes = len;
        free(txt);
        a = ms_now();
        if (views_idw(v, &q, "PM2_5", 100, 100, &txt, &len, err, sizeof err) != 0) goto fail;
        idw[r] = ms_now() - a, idw_bytes = len;
        free(txt);
        a = ms_now();
        json_t *o2;
        if (views_incident_view(v, id, &q, &o2, err, sizeof err) != 0) goto fail;
        char *dump = json_dumps(o2, JSON_COMPACT); /* the API sends it as text */
        inc[r] = ms_now() - a;
        zones = json_array_size(json_object_get(o2, "zones"));
        free(dump);
        json_decref(o2);
    }
    fprintf(
        stderr,
        "parkbench views: open %.1f ms; risk layer %zu bytes, AQI layer %zu bytes, IDW grid %zu "
        "bytes, incident with %zu zones\n",
        open_ms, risk_bytes, aqi_bytes, idw_bytes, zones);
    printf(
        "{\"bench\": \"views\", \"scale\": %d, \"runs\": %d, \"risk_ms\": %.2f, \"aqi_ms\": %.2f, "
        "\"idw_ms\": %.2f, \"incident_ms\": %.2f}\n",
        scale, runs, median(risk, runs), median(aqi, runs), median(idw, runs), median(inc, runs));
    views_close(v);
    alert_close(al);
    hist_close(h, &he);
    geo_close(g);
    if (!dir_opt) {
        char cmd[700];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0) fprintf(stderr, "parkbench views: could not remove %s\n", dir);
    }
    free(rules), free(ids), free(risk), free(aqi), free(idw), free(inc);
    return 0;
fail:
    fprintf(stderr, "parkbench views: %s\n", err);
    return 1;
}
