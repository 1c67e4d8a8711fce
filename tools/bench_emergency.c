/*
 * bench_emergency.c - "parkbench emergency": issue 22's figures on the
 * demo park's generator at --scale (default 10: 300 enterprises, 4,000
 * buildings, 30 fire stations, 90 responder resources, 650 roads), in
 * process, with a wind in the historian.
 *
 *   parkbench emergency [--scale N=10] [--runs N=11] [--dir DIR]
 *
 * An incident of 20 kg/s of chlorine at E003-T101 (its AEGL footprints
 * reach kilometres downwind) is opened, and:
 *   responder_route_ms: each responder's route to the staging point, with
 *     the footprints to keep out of (roads_plan, as response/ plans them);
 *   evacuation_ms: the evacuation routes of every building and zone in or
 *     near a footprint (resp_plan_routes less the responders' time);
 *   routes_total_ms: resp_plan_routes whole;
 *   model_<name>_ms: each consequence model alone (consequence/) and
 *     threat_<name>_ms: POST /threat-zones' work for it (views_threat_zones:
 *     the model, the zones drawn and joined with the park);
 *   incident_view_ms: the whole incident view (footprints, joins, dense-gas
 *     screening, routes) plus its command (the plan proposed, the command
 *     folded from the journal).
 * Medians, p99 and max of --runs runs (per route for the responders).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "command/command.h"
#include "consequence/consequence.h"
#include "events/events.h"
#include "geo/geo.h"
#include "historian/historian.h"
#include "response/response.h"
#include "roads/roads.h"
#include "views/views.h"

int bench_emergency(int argc, char **argv);
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

/* Prints name_p50/_p99/_max of v[0..n) (sorted in place). */
static void report(const char *name, double *v, size_t n) {
    if (!n) {
        printf("%s_n: 0\n", name);
        return;
    }
    qsort(v, n, sizeof *v, cmpd);
    size_t p99 = (size_t)ceil(0.99 * (double)n) - 1;
    printf("%s_p50: %.2f\n%s_p99: %.2f\n%s_max: %.2f\n%s_n: %zu\n", name, v[n / 2], name, v[p99],
           name, v[n - 1], name, n);
}

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
        free(s);
        s = NULL;
    }
    if (s) s[n] = 0;
    fclose(f);
    return s;
}

/* The incident view's footprint rings, projected (owned: free each). */
static size_t rings_of(const geo_layout *g, json_t *view, double **xy, size_t *n, size_t max) {
    size_t k = 0, i;
    json_t *z;
    json_array_foreach(json_object_get(view, "zones"), i, z) {
        json_t *ring =
            json_array_get(json_object_get(json_object_get(z, "polygon"), "coordinates"), 0);
        size_t m = json_array_size(ring);
        if (!m || k == max) continue;
        xy[k] = malloc(2 * m * sizeof(double));
        for (size_t j = 0; j < m; j++) {
            json_t *p = json_array_get(ring, j);
            geo_project(g, json_number_value(json_array_get(p, 0)),
                        json_number_value(json_array_get(p, 1)), &xy[k][2 * j], &xy[k][2 * j + 1]);
        }
        n[k++] = m;
    }
    return k;
}

static void models(int runs) {
    const cq_fuel *propane = cq_fuel_find("propane");
    cq_air air = {
        .temp_k = 293.15, .pressure_pa = CQ_P_ATM, .relative_humidity = 0.7, .wind_m_s = 3};
    const char *names[] = {"vce", "pool_fire", "jet_fire", "bleve", "dense_gas"};
    for (int m = 0; m < 5; m++) {
        double *t = calloc((size_t)runs, sizeof *t);
        for (int r = 0; r < runs; r++) {
            cq_zones z;
            double t0 = ms_now(), w;
            if (m == 0) {
                cq_tnt_mass(10000, propane->heat_combustion_j_kg, 0.03, &w, NULL, 0);
                cq_tnt_zones(CQ_BLAST_SURFACE_KB, w, CQ_P_ATM, &z, NULL, 0);
            } else if (m == 1) {
                cq_pool_fire_in in = {.fuel = propane, .dike_area_m2 = 1000};
                cq_pool_fire pf;
                if (cq_pool_fire_model(&in, &air, &pf, NULL, 0) == CQ_OK)
                    cq_pool_fire_zones(&pf, &z);
            } else if (m == 2) {
                cq_jet_fire_in in = {
                    .fuel = propane, .mass_rate_kg_s = 10, .exit_velocity_m_s = 250};
                cq_jet_fire jf;
                if (cq_jet_fire_model(&in, &air, &jf, NULL, 0) == CQ_OK) cq_jet_fire_zones(&jf, &z);
            } else if (m == 3) {
                cq_fireball_in in = {.fuel = propane, .mass_kg = 100000};
                cq_fireball fb;
                if (cq_fireball_model(&in, &air, &fb, NULL, 0) == CQ_OK) cq_fireball_zones(&fb, &z);
            } else {
                double rho = cq_gas_density(0.0709, 239.1, CQ_P_ATM);
                cq_bm_release rel = {.density_kg_m3 = rho, .temp_k = 239.1, .rate_m3_s = 20 / rho};
                cq_bm_zones(&rel, &air, false, 20e-6, 2e-6, 0.5e-6, &z, NULL, 0);
            }
            t[r] = ms_now() - t0;
        }
        char name[64];
        snprintf(name, sizeof name, "model_%s_ms", names[m]);
        report(name, t, (size_t)runs);
        free(t);
    }
}

int bench_emergency(int argc, char **argv) {
    int scale = 10, runs = 11;
    const char *dir_opt = NULL;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--scale") && i + 1 < argc)
            scale = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
            dir_opt = argv[++i];
        else {
            fprintf(stderr, "usage: parkbench emergency [--scale N] [--runs N] [--dir DIR]\n");
            return 2;
        }
    }
    if (scale < 1 || scale > 50 || runs < 1 || runs > 1000) return 2;
    char dir[512], path[640], err[512];
    if (dir_opt)
        snprintf(dir, sizeof dir, "%s", dir_opt);
    else {
        snprintf(dir, sizeof dir, "/tmp/parkbench-emergency.XXXXXX");
        if (!mkdtemp(dir)) return perror("mkdtemp"), 1;
    }
    char *text = park_layout_geojson(scale, 1);
    const char *texts[] = {text}, *names[] = {"demo-park.geojson"};
    geo_layout *g;
    geo_problems p = {0};
    if (geo_load_text(texts, names, 1, NULL, &g, &p) != 0) {
        fprintf(stderr, "parkbench emergency: layout: %s\n", p.n ? p.v[0].message : "?");
        return 1;
    }
    free(text);
    roads *net;
    double t0 = ms_now();
    if (roads_build(g, &net, err, sizeof err) != 0) {
        fprintf(stderr, "parkbench emergency: roads: %s\n", err);
        return 1;
    }
    roads_info ri;
    roads_get_info(net, &ri);
    printf("scale: %d\nfeatures: %zu\nbuildings: %zu\nfire_stations: %zu\nresources: %zu\n"
           "roads: %zu\nroad_nodes: %zu\nroad_edges: %zu\nroads_build_ms: %.1f\n",
           scale, geo_count_all(g), geo_count(g, GEO_BUILDING), geo_count(g, GEO_FIRE_STATION),
           geo_count(g, GEO_RESOURCE), ri.n_roads, ri.n_nodes, ri.n_edges, ms_now() - t0);
    hist *h;
    hist_error he;
    snprintf(path, sizeof path, "%s/historian", dir);
    if (hist_open(path, NULL, &h, &he) != HIST_OK) {
        fprintf(stderr, "parkbench emergency: %s\n", he.msg);
        return 1;
    }
    /* the wind: 3 m/s from the east at every weather station */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    for (size_t i = 0; i < geo_count_all(g); i++) {
        const geo_feature *f = geo_get(g, i);
        if (f->kind != GEO_WEATHER_STATION) continue;
        for (size_t k = 0; k < f->n_series; k++) {
            double val = strstr(f->series[k], "wind_speed") ? 3
                         : strstr(f->series[k], "wind_dir") ? 90
                                                            : 20;
            uint32_t id;
            hist_series_def d = {f->series[k], NULL, NULL, 60000};
            hist_point pt = {.ts_ms = now - 60000, .value = val};
            if (hist_series_ensure(h, &d, 1, &id, &he) != HIST_OK) return 1;
            pt.series = id;
            if (hist_append(h, &pt, 1, &he) != HIST_OK) return 1;
        }
    }
    views_options o;
    views_options_default(&o);
    o.historian = h, o.layout = g, o.roads = net;
    views *v;
    if (views_open(&o, &v, err, sizeof err) != 0) {
        fprintf(stderr, "parkbench emergency: %s\n", err);
        return 1;
    }
    ev_store *ev;
    snprintf(path, sizeof path, "%s/events", dir);
    if (ev_open(path, NULL, &ev, err, sizeof err) != EV_OK) return 1;
    char *plans = read_file("scripts/emergency-plans-demo.json");
    command *cm;
    if (command_open(ev, plans, "scripts/emergency-plans-demo.json", &cm, err, sizeof err) != 0) {
        fprintf(stderr, "parkbench emergency: %s\n", err);
        return 1;
    }
    free(plans);
    char id[32];
    views_incident_spec sp = {.tank_id = "E003-T101",
                              .release_kg_s = 20,
                              .start_ms = now - 30000,
                              .opened_by = "parkbench"};
    if (views_incident_open(v, &sp, id, err, sizeof err) != 0) {
        fprintf(stderr, "parkbench emergency: %s\n", err);
        return 1;
    }
    cmd_incident ci = {.id = id,
                       .enterprise = "E003",
                       .hazard_source = "E003-HS1",
                       .substance = "chlorine",
                       .scenario = "release",
                       .people = 10};
    /* the whole incident view and its command */
    double *inc = calloc((size_t)runs, sizeof *inc);
    json_t *view = NULL;
    views_query q = {0};
    for (int r = 0; r < runs; r++) {
        json_decref(view);
        view = NULL;
        t0 = ms_now();
        json_t *cv = NULL, *pr;
        if (views_incident_view(v, id, &q, &view, err, sizeof err) != 0 ||
            command_view(cm, &ci, 0, &cv, err, sizeof err) != 0) {
            fprintf(stderr, "parkbench emergency: %s\n", err);
            return 1;
        }
        pr = command_propose(cm, &ci);
        inc[r] = ms_now() - t0;
        json_decref(cv);
        json_decref(pr);
    }
    json_t *routes = json_object_get(json_object_get(view, "response"), "routes");
    printf("incident_zones: %zu\nevacuees: %lld\nroute_features: %zu\n",
           json_array_size(json_object_get(view, "zones")),
           (long long)json_integer_value(json_object_get(routes, "evacuees")),
           json_array_size(json_object_get(routes, "features")));
    report("incident_view_ms", inc, (size_t)runs);
    /* the routes on their own: each responder's, then the whole plan */
    double *ring[8];
    size_t ring_n[8];
    size_t nr = rings_of(g, view, ring, ring_n, 8);
    const geo_feature *src = geo_get(g, (size_t)geo_find(g, "E003-T101"));
    resp_scene sc = {.x = src->x,
                     .y = src->y,
                     .wind_from_deg = 90,
                     .area_xy = (const double *const *)ring,
                     .area_n = ring_n,
                     .n_areas = nr};
    resp_plan plan;
    double *total = calloc((size_t)runs, sizeof *total), *evac = calloc((size_t)runs, sizeof *evac);
    size_t cap = 4096, n_each = 0;
    double *each = calloc(cap, sizeof *each);
    for (int r = 0; r < runs; r++) {
        t0 = ms_now();
        if (resp_plan_routes(net, g, &sc, &plan, err, sizeof err) != 0) {
            fprintf(stderr, "parkbench emergency: %s\n", err);
            return 1;
        }
        total[r] = ms_now() - t0;
        double resp_ms = 0;
        roads_constraints k = {.area_xy = sc.area_xy, .area_n = ring_n, .n_areas = nr};
        for (size_t i = 0; i < plan.n_responders; i++) {
            const geo_feature *f = geo_get(g, (size_t)plan.routes[i].from);
            roads_route rt;
            double t1 = ms_now();
            int rc = roads_plan(net, f->x, f->y, plan.staging_x, plan.staging_y, &k, &rt, err,
                                sizeof err);
            double d = ms_now() - t1;
            if (rc == 0) roads_route_free(&rt);
            resp_ms += d;
            if (n_each < cap) each[n_each++] = d;
        }
        evac[r] = total[r] - resp_ms;
        if (r == runs - 1)
            printf("responders: %zu\nevacuation_routes: %zu\nnot_routed: %zu\nunreachable: %zu\n",
                   plan.n_responders, plan.n_routes - plan.n_responders, plan.not_routed,
                   plan.n_unreachable);
        resp_plan_free(&plan);
    }
    report("responder_route_ms", each, n_each);
    report("evacuation_ms", evac, (size_t)runs);
    report("routes_total_ms", total, (size_t)runs);
    /* a wide zone: a circle of 1.5 km round E001-T101 (a BLEVE's or a big
     * explosion's yellow zone), every building in or near it evacuated */
    const geo_feature *t1 = geo_get(g, (size_t)geo_find(g, "E001-T101"));
    double circle[2 * 73];
    for (int k = 0; k <= 72; k++)
        circle[2 * k] = t1->x + 1500 * sin(2 * M_PI * (k % 72) / 72),
                   circle[2 * k + 1] = t1->y + 1500 * cos(2 * M_PI * (k % 72) / 72);
    const double *wide_xy[] = {circle};
    size_t wide_n[] = {73};
    resp_scene wide = {.x = t1->x,
                       .y = t1->y,
                       .wind_from_deg = 90,
                       .area_xy = wide_xy,
                       .area_n = wide_n,
                       .n_areas = 1};
    for (int r = 0; r < runs; r++) {
        t0 = ms_now();
        if (resp_plan_routes(net, g, &wide, &plan, err, sizeof err) != 0) {
            fprintf(stderr, "parkbench emergency: %s\n", err);
            return 1;
        }
        total[r] = ms_now() - t0;
        if (r == runs - 1)
            printf("wide_evacuees: %zu\nwide_evacuation_routes: %zu\nwide_unreachable: %zu\n",
                   plan.evacuees, plan.n_routes - plan.n_responders, plan.n_unreachable);
        resp_plan_free(&plan);
    }
    report("wide_routes_total_ms", total, (size_t)runs);
    /* each model, alone and as POST /threat-zones does it */
    models(runs);
    const char *bodies[] = {
        "{\"model\": \"vce\", \"tank\": \"E001-T101\", \"mass_kg\": 10000}",
        "{\"model\": \"pool_fire\", \"tank\": \"E001-T101\", \"pool_area_m2\": 1000}",
        "{\"model\": \"jet_fire\", \"tank\": \"E001-T101\", \"release_kg_s\": 10}",
        "{\"model\": \"bleve\", \"tank\": \"E001-T101\"}",
        "{\"model\": \"dense_gas\", \"tank\": \"E003-T101\", \"release_kg_s\": 20, "
        "\"release_temp_k\": 239.1}"};
    const char *mnames[] = {"vce", "pool_fire", "jet_fire", "bleve", "dense_gas"};
    for (int m = 0; m < 5; m++) {
        json_t *req = json_loads(bodies[m], 0, NULL);
        double *t = calloc((size_t)runs, sizeof *t);
        for (int r = 0; r < runs; r++) {
            json_t *out = NULL;
            t0 = ms_now();
            if (views_threat_zones(v, req, &q, &out, err, sizeof err) != 0) {
                fprintf(stderr, "parkbench emergency: %s: %s\n", mnames[m], err);
                return 1;
            }
            t[r] = ms_now() - t0;
            json_decref(out);
        }
        char name[64];
        snprintf(name, sizeof name, "threat_%s_ms", mnames[m]);
        report(name, t, (size_t)runs);
        free(t);
        json_decref(req);
    }
    for (size_t k = 0; k < nr; k++) free(ring[k]);
    json_decref(view);
    free(inc), free(total), free(evac), free(each);
    command_close(cm);
    ev_close(ev);
    views_close(v);
    hist_close(h, &he);
    roads_free(net);
    geo_close(g);
    if (!dir_opt) {
        char cmd[700];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0) fprintf(stderr, "parkbench emergency: could not remove %s\n", dir);
    }
    return 0;
}
