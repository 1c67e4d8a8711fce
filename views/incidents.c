/*
 * incidents.c - the emergency view's incidents: opened by an operator or
 * proposed by the detectors, journalled to the incident file, and drawn
 * as plume footprints with what lies inside them (views.h). Moved out of
 * views.c; the shared internals are in internal.h.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/errmsg.h"
#include "common/jsonfmt.h"
#include "consequence/consequence.h"
#include "response/response.h"
#include "views/internal.h"
#include "views/plume.h"

/* ---- incidents ---- */

static json_t *incident_json(const incident *in) {
    json_t *o =
        json_pack("{s:s,s:s,s:f,s:f,s:s,s:f,s:f,s:f,s:I,s:s,s:s,s:s,s:b}", "id", in->id, "tank",
                  in->tank_id, "lon", in->lon, "lat", in->lat, "substance", in->substance,
                  "release_kg_s", in->release_kg_s, "hole_mm", in->hole_mm, "height_m",
                  in->height_m, "start_ms", (json_int_t)in->start_ms, "opened_by", in->opened_by,
                  "note", in->note, "enterprise", in->enterprise, "proposed", in->proposed);
    if (in->end_ms) {
        json_object_set_new(o, "end_ms", json_integer(in->end_ms));
        json_object_set_new(o, "closed_by", json_string(in->closed_by));
    } else {
        json_object_set_new(o, "end_ms", json_null());
    }
    return o;
}

/* Appends a line to the incident file (the incidents' journal). v->mu held. */
static void journal_incident(views *v, const char *op, const incident *in) {
    if (!v->incident_file) return;
    FILE *f = fopen(v->incident_file, "a");
    if (!f) return;
    json_t *o = incident_json(in);
    json_object_set_new(o, "op", json_string(op));
    /* exact: a reloaded incident is where it was opened (12 digits were not) */
    char *txt = pw_json_text(o, NULL);
    json_decref(o);
    if (txt) fprintf(f, "%s\n", txt);
    free(txt);
    fflush(f);
    fdatasync(fileno(f));
    fclose(f);
}

/* Incidents kept in memory: the open ones and the most recent closed
 * ones (the file keeps them all). A bound, so that a client opening
 * incidents in a loop cannot grow parkd without limit. */
#define MAX_INCIDENTS 10000

static incident *add_incident(views *v) {
    if (v->n_inc >= MAX_INCIDENTS) { /* forget the oldest closed one */
        size_t k = 0;
        while (k < v->n_inc && !v->inc[k].end_ms) k++;
        if (k == v->n_inc) return NULL; /* all open: refused */
        memmove(&v->inc[k], &v->inc[k + 1], (v->n_inc - k - 1) * sizeof *v->inc);
        v->n_inc--;
    }
    if (v->n_inc == v->cap_inc) {
        size_t cap = v->cap_inc ? v->cap_inc * 2 : 16;
        incident *p = realloc(v->inc, cap * sizeof *p);
        if (!p) return NULL;
        v->inc = p, v->cap_inc = cap;
    }
    incident *in = &v->inc[v->n_inc++];
    memset(in, 0, sizeof *in);
    return in;
}

static void copy_str(char *dst, size_t cap, json_t *o, const char *key) {
    const char *s = json_string_value(json_object_get(o, key));
    snprintf(dst, cap, "%s", s ? s : "");
}

int vw_load_incidents(views *v) {
    if (!v->incident_file) return 0;
    FILE *f = fopen(v->incident_file, "r");
    if (!f) return errno == ENOENT ? 0 : -1;
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0) {
        json_t *o = json_loads(line, 0, NULL);
        const char *op = json_string_value(json_object_get(o, "op"));
        const char *id = json_string_value(json_object_get(o, "id"));
        if (!op || !id) { /* a torn last line after a crash: skip it */
            json_decref(o);
            continue;
        }
        incident *in = NULL;
        for (size_t i = 0; i < v->n_inc; i++)
            if (!strcmp(v->inc[i].id, id)) in = &v->inc[i];
        if (!in && (in = add_incident(v))) {
            unsigned n;
            if (sscanf(id, "INC-%u", &n) == 1 && n >= v->next_inc) v->next_inc = n;
        }
        if (in) {
            copy_str(in->id, sizeof in->id, o, "id");
            copy_str(in->tank_id, sizeof in->tank_id, o, "tank");
            copy_str(in->substance, sizeof in->substance, o, "substance");
            copy_str(in->opened_by, sizeof in->opened_by, o, "opened_by");
            copy_str(in->note, sizeof in->note, o, "note");
            copy_str(in->closed_by, sizeof in->closed_by, o, "closed_by");
            copy_str(in->enterprise, sizeof in->enterprise, o, "enterprise");
            in->lon = json_number_value(json_object_get(o, "lon"));
            in->lat = json_number_value(json_object_get(o, "lat"));
            in->release_kg_s = json_number_value(json_object_get(o, "release_kg_s"));
            in->hole_mm = json_number_value(json_object_get(o, "hole_mm"));
            in->height_m = json_number_value(json_object_get(o, "height_m"));
            in->start_ms = json_integer_value(json_object_get(o, "start_ms"));
            in->end_ms = json_integer_value(json_object_get(o, "end_ms"));
            in->proposed = json_is_true(json_object_get(o, "proposed"));
            geo_project(v->o.layout, in->lon, in->lat, &in->x, &in->y);
        }
        json_decref(o);
    }
    free(line);
    fclose(f);
    return 0;
}

/* Fills an incident from a spec; v->mu not needed (no shared state). */
static int resolve_spec(views *v, const views_incident_spec *s, incident *in, char *err,
                        size_t errcap) {
    const geo_layout *g = v->o.layout;
    /* The request's numbers are not trusted: a start in 0..2^53 ms, and
     * release figures within what any real loss of containment has. */
    if (s->start_ms < 0 || s->start_ms > VIEWS_TIME_MAX_MS)
        return pw_fail(err, errcap, "start_ms: 0 (now) or a time in ms since 1970");
    if (!(s->release_kg_s >= 0 && s->release_kg_s <= 1e5))
        return pw_fail(err, errcap, "release_kg_s: 0 to 100,000 kg/s");
    if (!(s->hole_mm >= 0 && s->hole_mm <= 5000))
        return pw_fail(err, errcap, "hole_mm: 0 to 5,000 mm");
    if (!(s->height_m >= 0 && s->height_m <= 1000))
        return pw_fail(err, errcap, "height_m: 0 to 1,000 m");
    int64_t start = s->start_ms ? s->start_ms : pw_wall_ms();
    in->start_ms = start;
    in->height_m = s->height_m > 0 ? s->height_m : 1;
    snprintf(in->opened_by, sizeof in->opened_by, "%s", s->opened_by ? s->opened_by : "");
    snprintf(in->note, sizeof in->note, "%s", s->note ? s->note : "");
    const geo_feature *tank = NULL;
    if (s->tank_id && *s->tank_id) {
        long ti = geo_find(g, s->tank_id);
        tank = ti >= 0 ? geo_get(g, (size_t)ti) : NULL;
        if (!tank || (tank->kind != GEO_TANK && tank->kind != GEO_PIPELINE))
            return pw_fail(err, errcap, "no tank or pipeline \"%s\"", s->tank_id);
        snprintf(in->tank_id, sizeof in->tank_id, "%s", tank->id);
        snprintf(in->substance, sizeof in->substance, "%s",
                 s->substance && *s->substance ? s->substance : tank->substance);
        snprintf(in->enterprise, sizeof in->enterprise, "%s", tank->enterprise);
        in->lon = tank->lon, in->lat = tank->lat, in->x = tank->x, in->y = tank->y;
    } else {
        if (!s->substance || !*s->substance)
            return pw_fail(err, errcap, "a substance is required without a tank");
        if (!(s->lon >= -180 && s->lon <= 180 && s->lat >= -90 && s->lat <= 90))
            return pw_fail(err, errcap, "lon/lat out of range");
        snprintf(in->substance, sizeof in->substance, "%s", s->substance);
        in->lon = s->lon, in->lat = s->lat;
        if (geo_project(g, in->lon, in->lat, &in->x, &in->y) != 0)
            return pw_fail(err, errcap, "the point cannot be projected");
        /* the enterprise whose plot holds the point, if any */
        geo_hits h;
        if (geo_within_point(g, in->lon, in->lat, 0, GEO_ENTERPRISE, &h) == 0) {
            if (h.n)
                snprintf(in->enterprise, sizeof in->enterprise, "%s", geo_get(g, h.index[0])->id);
            geo_hits_free(&h);
        }
    }
    if (s->only_enterprise && strcmp(s->only_enterprise, in->enterprise))
        return pw_fail(err, errcap, "the release lies outside enterprise %s", s->only_enterprise);
    if (!plume_substance_find(in->substance))
        return pw_fail(err, errcap, "no dispersion data for \"%s\"", in->substance);
    in->hole_mm = s->hole_mm;
    in->release_kg_s = s->release_kg_s;
    if (!(in->release_kg_s > 0)) {
        if (!tank || tank->kind != GEO_TANK || !(s->hole_mm > 0))
            return pw_fail(err, errcap, "give release_kg_s, or a tank and hole_mm");
        /* Bernoulli through the hole: the liquid above it (the level at the
         * start) and the tank's gauge pressure from its transmitter (MPa
         * gauge, the park's pressure unit), when it has one */
        bool have;
        double level = vw_value_of(v, start, vw_series_ending(tank, ".level"), &have);
        if (!have) level = (tank->height_m > 0 ? tank->height_m : v->o.default_tank_height_m) / 2;
        double p_mpa = vw_value_of(v, start, vw_series_ending(tank, ".pressure"), &have);
        double gauge = have ? fmax(0, p_mpa) * 1e6 : 0;
        if (plume_liquid_leak(s->hole_mm / 1000, tank->density > 0 ? tank->density : 1000, gauge,
                              fmax(0, level), 0, &in->release_kg_s) != 0)
            return pw_fail(err, errcap, "the leak rate cannot be computed");
    }
    return 0;
}

int views_incident_open(views *v, const views_incident_spec *s, char id[32], char *err,
                        size_t errcap) {
    incident tmp;
    memset(&tmp, 0, sizeof tmp);
    if (resolve_spec(v, s, &tmp, err, errcap) != 0) return -1;
    pthread_mutex_lock(&v->mu);
    incident *in = add_incident(v);
    if (!in) {
        pthread_mutex_unlock(&v->mu);
        return pw_fail(err, errcap, "%d incidents are open: close some first (or out of memory)",
                       MAX_INCIDENTS);
    }
    *in = tmp;
    snprintf(in->id, sizeof in->id, "INC-%u", ++v->next_inc);
    journal_incident(v, "open", in);
    snprintf(id, 32, "%s", in->id);
    pthread_mutex_unlock(&v->mu);
    return 0;
}

int views_incident_close(views *v, const char *id, int64_t at_ms, const char *user, char *err,
                         size_t errcap) {
    pthread_mutex_lock(&v->mu);
    incident *in = NULL;
    for (size_t i = 0; i < v->n_inc; i++)
        if (!strcmp(v->inc[i].id, id)) in = &v->inc[i];
    int rc = 0;
    if (!in)
        rc = pw_fail(err, errcap, "no incident \"%s\"", id);
    else if (in->end_ms)
        rc = pw_fail(err, errcap, "incident %s is already closed", id);
    else {
        in->end_ms = at_ms ? at_ms : pw_wall_ms();
        if (in->end_ms <= in->start_ms) in->end_ms = in->start_ms + 1;
        snprintf(in->closed_by, sizeof in->closed_by, "%s", user ? user : "");
        journal_incident(v, "close", in);
    }
    pthread_mutex_unlock(&v->mu);
    return rc;
}

int views_incidents(views *v, const views_query *q, json_t **out) {
    json_t *a = json_array();
    pthread_mutex_lock(&v->mu);
    for (size_t i = 0; i < v->n_inc; i++)
        if (vw_sees(q, v->inc[i].enterprise)) json_array_append_new(a, incident_json(&v->inc[i]));
    pthread_mutex_unlock(&v->mu);
    *out = json_pack("{s:o}", "incidents", a);
    return *out ? 0 : -1;
}

/* Detectors guarding one asset that raised gas alarms within the window
 * propose an incident at the asset (once while one is open there). Runs
 * in the alarm engine's callback: quick, no engine calls. */
void vw_on_alarm(const alert_event *e, const alert_rule *r, void *ctx) {
    views *v = ctx;
    /* a raise: the condition became active (from normal, or from returned
     * to normal while still unacknowledged) */
    if (e->action != ALERT_ACT_CONDITION || !e->active ||
        (e->from != ALERT_NORMAL && e->from != ALERT_RTN_UNACK) ||
        (r->kind != ALERT_HIGH && r->kind != ALERT_HIGH_HIGH))
        return;
    const geo_layout *g = v->o.layout;
    long det = -1;
    for (size_t i = 0; i < geo_count_all(g) && det < 0; i++) {
        const geo_feature *f = geo_get(g, i);
        if (f->kind != GEO_GAS_DETECTOR) continue;
        for (size_t k = 0; k < f->n_series; k++)
            if (!strcmp(f->series[k], r->series_name)) det = (long)i;
    }
    if (det < 0 || v->guards[det] < 0) return;
    long asset = v->guards[det];
    pthread_mutex_lock(&v->mu);
    if (v->n_raises == sizeof v->raises / sizeof v->raises[0]) {
        memmove(v->raises, v->raises + 1, (v->n_raises - 1) * sizeof v->raises[0]);
        v->n_raises--;
    }
    v->raises[v->n_raises++] = (raise){asset, (size_t)det, e->ts_ms};
    int distinct = 0;
    for (size_t i = 0; i < v->n_raises; i++) {
        const raise *x = &v->raises[i];
        if (x->asset != asset || e->ts_ms - x->ts_ms > v->o.auto_window_ms) continue;
        bool seen = false;
        for (size_t k = 0; k < i; k++)
            seen |= v->raises[k].asset == asset && v->raises[k].detector == x->detector &&
                    e->ts_ms - v->raises[k].ts_ms <= v->o.auto_window_ms;
        distinct += !seen;
    }
    const geo_feature *a = geo_get(g, (size_t)asset);
    bool open = false;
    for (size_t i = 0; i < v->n_inc; i++)
        open |= !v->inc[i].end_ms && !strcmp(v->inc[i].tank_id, a->id);
    if (distinct >= v->o.auto_min_detectors && !open && plume_substance_find(a->substance)) {
        incident *in = add_incident(v);
        if (in) {
            snprintf(in->id, sizeof in->id, "INC-%u", ++v->next_inc);
            snprintf(in->tank_id, sizeof in->tank_id, "%s", a->id);
            snprintf(in->substance, sizeof in->substance, "%s", a->substance);
            snprintf(in->enterprise, sizeof in->enterprise, "%s", a->enterprise);
            snprintf(in->opened_by, sizeof in->opened_by, "detectors");
            snprintf(in->note, sizeof in->note,
                     "%d detectors guarding %s alarmed within %lld s; release rate assumed 1 kg/s",
                     distinct, a->id, (long long)(v->o.auto_window_ms / 1000));
            in->lon = a->lon, in->lat = a->lat, in->x = a->x, in->y = a->y;
            in->height_m = 1, in->release_kg_s = 1;
            in->start_ms = e->ts_ms - v->o.auto_window_ms / 2;
            in->proposed = true;
            journal_incident(v, "open", in);
        }
    }
    pthread_mutex_unlock(&v->mu);
}

/* Endpoints of a substance, most severe first. */
typedef struct zone {
    const char *name; /* "AEGL-3", "100% LEL", ... */
    double ppm;
    const char *colour;
} zone;

static size_t zones_of(const plume_substance *ps, zone *z) {
    size_t n = 0;
    static const char *const tox_col[3] = {"#C62828", "#EF6C00", "#F9A825"};
    static const char *const aegl[3] = {"AEGL-3", "AEGL-2", "AEGL-1"};
    static const char *const erpg[3] = {"ERPG-3", "ERPG-2", "ERPG-1"};
    bool have_aegl = false;
    for (int k = 0; k < 3; k++) have_aegl |= isfinite(ps->aegl_ppm[k]) && ps->aegl_ppm[k] > 0;
    for (int k = 2; k >= 0; k--) {
        double ppm = have_aegl ? ps->aegl_ppm[k] : ps->erpg_ppm[k];
        if (isfinite(ppm) && ppm > 0)
            z[n++] = (zone){have_aegl ? aegl[2 - k] : erpg[2 - k], ppm, tox_col[2 - k]};
    }
    if (isfinite(ps->lel_pct_vol) && ps->lel_pct_vol > 0) {
        z[n++] = (zone){"100% LEL", ps->lel_pct_vol * 10000, "#B71C1C"};
        z[n++] = (zone){"50% LEL", ps->lel_pct_vol * 5000, "#FF6F00"};
    }
    return n;
}

/* Bearing (degrees from north, clockwise) from a to b in the metric frame. */
static double bearing(double ax, double ay, double bx, double by) {
    double d = atan2(bx - ax, by - ay) * 180 / M_PI;
    return d < 0 ? d + 360 : d;
}

static double angle_between(double a, double b) {
    double d = fabs(fmod(a - b + 540, 360) - 180);
    return d;
}

/* What an incident zone lists beyond vw_zone_reach's: every feature in it
 * marked (inside_outer: where no shelter is offered, no detector is "outside"),
 * and each detector inside with the plume's prediction there and its
 * verdict: it confirms the plume when it reads at least its first alarm
 * level or half the predicted value. */
typedef struct detector_ctx {
    views *v;
    const views_query *q;
    const plume_substance *ps;
    const plume_source *src;
    const plume_met *pm;
    bool *inside;
    json_t *dets;
} detector_ctx;

static void detector_visit(void *ctx, size_t index) {
    detector_ctx *d = ctx;
    const geo_feature *f = geo_get(d->v->o.layout, index);
    d->inside[index] = true;
    if (f->kind != GEO_GAS_DETECTOR || !f->n_series || !vw_sees(d->q, f->enterprise)) return;
    bool have;
    double reading = vw_value_of(d->v, vw_at(d->q), f->series[0], &have);
    double c = plume_conc_at_g_m3(d->src, d->pm, f->x, f->y, 0);
    double ppm = plume_g_m3_to_ppm(c, d->ps->molar_mass_g_mol);
    bool comb = !strcmp(f->type, "combustible");
    double predicted =
        comb && isfinite(d->ps->lel_pct_vol) ? plume_ppm_to_pct_lel(ppm, d->ps->lel_pct_vol) : ppm;
    const char *verdict = !have ? "no reading"
                          : (reading >= f->alarm1 && f->alarm1 > 0) || reading >= predicted / 2
                              ? "confirms"
                              : "disagrees";
    json_t *dj = json_pack("{s:s,s:s,s:f,s:s}", "id", f->id, "enterprise", f->enterprise,
                           "predicted", predicted, "verdict", verdict);
    json_object_set_new(dj, "reading", have ? json_real(reading) : json_null());
    json_object_set_new(dj, "unit", json_string(comb ? "%LEL" : "ppm"));
    json_array_append_new(d->dets, dj);
}

/* The Britter-McQuaid screening of the release as a dense gas (issue 22,
 * consequence/): a vapour heavier than air at the ambient temperature
 * (chlorine, propane) slumps and spreads instead of mixing as a passive
 * plume; for each endpoint the distance the workbook gives, beside the
 * Gaussian footprints. The vapour is taken at 20 degC (a refrigerated
 * release, colder and denser, reaches farther: not known here). */
static json_t *dense_gas(const incident *in, const plume_substance *ps, const zone *zs, size_t nz,
                         double wind) {
    const double ta = 293.15;
    double m = ps->molar_mass_g_mol / 1000;
    double rho = cq_gas_density(m, ta, CQ_P_ATM);
    cq_air air = {.temp_k = ta, .pressure_pa = CQ_P_ATM, .wind_m_s = wind < 1 ? 1 : wind};
    cq_bm_release rel = {.density_kg_m3 = rho, .temp_k = ta, .rate_m3_s = in->release_kg_s / rho};
    cq_bm_params bp;
    if (!isfinite(m) || !(in->release_kg_s > 0) ||
        cq_bm_plume_params(&rel, &air, &bp, NULL, 0) != CQ_OK)
        return json_pack("{s:b, s:s}", "dense", false, "why",
                         "lighter than air, or no release rate");
    bool dense = !(bp.flags & CQ_FLAG_NOT_DENSE);
    json_t *zj = json_array();
    for (size_t k = 0; dense && k < nz; k++) {
        double x;
        unsigned fl = 0;
        if (cq_bm_plume_distance(&rel, &air, zs[k].ppm * 1e-6, &x, &fl, NULL, 0) != CQ_OK) continue;
        json_array_append_new(zj, json_pack("{s:s, s:f, s:f, s:b}", "endpoint", zs[k].name, "ppm",
                                            zs[k].ppm, "distance_m", round(x), "extrapolated",
                                            (fl & CQ_FLAG_EXTRAPOLATED) != 0));
    }
    return json_pack("{s:b, s:f, s:f, s:o, s:s}", "dense", dense, "criterion",
                     round(bp.criterion * 1000) / 1000, "density_kg_m3", round(rho * 1000) / 1000,
                     "zones", zj, "model", "Britter-McQuaid workbook, continuous plume");
}

/* The response's routes over the roads (response/): responders to a
 * staging point upwind, people out of the zones to safe refuges; null
 * without roads, {"error"} when planning failed. */
static json_t *response_routes(views *v, const incident *in, double wind_from, bool night,
                               double *const *ring_xy, const size_t *ring_n, size_t n_rings) {
    if (!v->o.roads) return json_null();
    resp_scene sc = {.x = in->x,
                     .y = in->y,
                     .wind_from_deg = wind_from,
                     .area_xy = (const double *const *)ring_xy,
                     .area_n = ring_n,
                     .n_areas = n_rings,
                     .night = night};
    resp_plan p;
    char err[256];
    if (resp_plan_routes(v->o.roads, v->o.layout, &sc, &p, err, sizeof err) != 0)
        return json_pack("{s:s}", "error", err);
    json_t *fc = resp_plan_geojson(v->o.layout, &p);
    resp_plan_free(&p);
    return fc ? fc : json_null();
}

int views_incident_view(views *v, const char *id, const views_query *q, json_t **out, char *err,
                        size_t errcap) {
    *out = NULL;
    incident in;
    bool found = false;
    pthread_mutex_lock(&v->mu);
    for (size_t i = 0; i < v->n_inc; i++)
        if (!strcmp(v->inc[i].id, id) && vw_sees(q, v->inc[i].enterprise))
            in = v->inc[i], found = true;
    pthread_mutex_unlock(&v->mu);
    if (!found) return pw_fail(err, errcap, "no incident \"%s\"", id);
    const geo_layout *g = v->o.layout;
    int64_t t = vw_when(q);
    json_t *o = json_pack("{s:o,s:I}", "incident", incident_json(&in), "at", (json_int_t)t);
    if (t < in.start_ms || (in.end_ms && t >= in.end_ms)) {
        json_object_set_new(o, "active", json_false());
        json_object_set_new(o, "zones", json_array());
        *out = o;
        return 0;
    }
    json_object_set_new(o, "active", json_true());
    /* the wind: the nearest weather station at t */
    double u, dir;
    const char *station = NULL;
    bool assumed = !vw_wind(v, vw_at(q), in.lon, in.lat, &u, &dir, &station);
    if (station) json_object_set_new(o, "weather_station", json_string(station));
    /* the class from the wind and the sun at the release */
    plume_weather w = {0};
    plume_class cls = PLUME_F, c;
    unsigned flags = 0, f = 0;
    if (plume_stability_at(t, in.lon, in.lat, u, &c, &f, &w) == 0 && !assumed) cls = c, flags = f;
    /* a split class (A-B) is kept as such: reported so, its sigmas the
     * geometric mean of its two classes' (issue 22) */
    bool split = (flags & PLUME_FLAG_SPLIT_CLASS) != 0;
    static const char *const set_names[] = {"briggs", "pasquill_gifford", "isc3"};
    plume_met pm = {
        u,    dir, cls, v->o.urban ? PLUME_URBAN : PLUME_RURAL, (plume_sigma_set)v->o.sigma_set,
        split};
    json_object_set_new(
        o, "weather",
        json_pack("{s:f,s:f,s:s,s:b,s:s,s:s,s:s}", "wind_m_s", u, "wind_from_deg", dir, "stability",
                  plume_class_label(cls, split), "assumed", assumed, "period",
                  w.period == PLUME_NIGHT ? "night"
                  : w.period == PLUME_DAY ? "day"
                                          : "twilight",
                  "terrain", v->o.urban ? "urban" : "rural", "sigmas", set_names[pm.sigma_set]));
    const plume_substance *ps = plume_substance_find(in.substance);
    plume_source src = {in.release_kg_s * 1000, in.height_m, in.x, in.y};
    zone zs[8];
    size_t nz = zones_of(ps, zs);
    bool night = vw_is_night(v, t);
    json_t *zones = json_array();
    double downwind = fmod(dir + 180, 360);
    bool *inside_outer = calloc(geo_count_all(g) ? geo_count_all(g) : 1, 1);
    /* the zones' rings (metric), the areas the response routes keep out of */
    double *ring_xy[8] = {0};
    size_t ring_n[8] = {0}, n_rings = 0;
    for (size_t zi = 0; zi < nz && inside_outer; zi++) {
        double thr = plume_ppm_to_g_m3(zs[zi].ppm, ps->molar_mass_g_mol);
        plume_footprint fp;
        if (!isfinite(thr) || plume_footprint_compute(&src, &pm, thr, NULL, &fp) != 0) continue;
        json_t *zj = json_pack("{s:s,s:f,s:s,s:f,s:f}", "endpoint", zs[zi].name, "ppm", zs[zi].ppm,
                               "colour", zs[zi].colour, "max_downwind_m", fp.max_downwind_m,
                               "max_half_width_m", fp.max_half_width_m);
        if (!fp.n) {
            json_object_set_new(zj, "polygon", json_null());
            json_array_append_new(zones, zj);
            plume_footprint_free(&fp);
            continue;
        }
        if (n_rings < 8 && (ring_xy[n_rings] = malloc(fp.n * 2 * sizeof(double)))) {
            for (size_t k = 0; k < fp.n; k++)
                ring_xy[n_rings][2 * k] = fp.ring[k].x_m,
                                     ring_xy[n_rings][2 * k + 1] = fp.ring[k].y_m;
            ring_n[n_rings++] = fp.n;
        }
        double *ll = malloc(fp.n * 2 * sizeof *ll);
        json_t *ring = json_array();
        for (size_t k = 0; ll && k < fp.n; k++) {
            geo_unproject(g, fp.ring[k].x_m, fp.ring[k].y_m, &ll[2 * k], &ll[2 * k + 1]);
            json_array_append_new(ring, json_pack("[f,f]", ll[2 * k], ll[2 * k + 1]));
        }
        json_object_set_new(zj, "polygon",
                            json_pack("{s:s,s:[o]}", "type", "Polygon", "coordinates", ring));
        /* what lies inside; each detector's verdict on the plume */
        detector_ctx dc = {v, q, ps, &src, &pm, inside_outer, json_array()};
        vw_zone_reach(v, ll, ll ? fp.n : 0, night, detector_visit, &dc, zj);
        free(ll);
        json_object_set_new(zj, "detectors", dc.dets);
        json_array_append_new(zones, zj);
        plume_footprint_free(&fp);
    }
    json_object_set_new(o, "zones", zones);
    json_object_set_new(o, "dense_gas", dense_gas(&in, ps, zs, nz, u));
    /* where to go: shelters and gates outside every zone, not downwind */
    json_t *go = json_object();
    geo_kind kinds[2] = {GEO_SHELTER, GEO_GATE};
    const char *names[2] = {"shelters", "gates"};
    for (int k = 0; k < 2 && inside_outer; k++) {
        json_t *arr = json_array();
        geo_hits h;
        if (geo_nearest(g, in.lon, in.lat, 16, kinds[k], &h) == 0) {
            for (size_t i = 0; i < h.n && json_array_size(arr) < 3; i++) {
                const geo_feature *f = geo_get(g, h.index[i]);
                double rel = angle_between(bearing(in.x, in.y, f->x, f->y), downwind);
                if (inside_outer[h.index[i]] || rel < 60) continue;
                json_array_append_new(arr, json_pack("{s:s,s:s,s:f,s:s,s:I}", "id", f->id, "name",
                                                     f->name, "distance_m", h.distance_m[i], "side",
                                                     rel >= 120 ? "upwind" : "crosswind",
                                                     "capacity", (json_int_t)f->capacity));
            }
            geo_hits_free(&h);
        }
        json_object_set_new(go, names[k], arr);
    }
    json_t *fire = json_array();
    geo_hits h;
    if (geo_nearest(g, in.lon, in.lat, 3, GEO_FIRE_STATION, &h) == 0) {
        for (size_t i = 0; i < h.n; i++)
            json_array_append_new(fire, json_pack("{s:s,s:f}", "id", geo_get(g, h.index[i])->id,
                                                  "distance_m", h.distance_m[i]));
        geo_hits_free(&h);
    }
    json_object_set_new(go, "fire_stations", fire);
    json_object_set_new(go, "routes",
                        response_routes(v, &in, dir, night, ring_xy, ring_n, n_rings));
    for (size_t k = 0; k < n_rings; k++) free(ring_xy[k]);
    json_object_set_new(o, "response", go);
    /* detectors alarming outside every zone: gas where the model puts none */
    json_t *unexplained = json_array();
    series_alarms *sa;
    size_t n_sa;
    if (inside_outer && vw_alarms_by_series(v, vw_at(q), &sa, &n_sa) == 0) {
        for (size_t i = 0; i < geo_count_all(g); i++) {
            const geo_feature *f = geo_get(g, i);
            if (f->kind != GEO_GAS_DETECTOR || inside_outer[i] || !f->n_series ||
                !vw_sees(q, f->enterprise))
                continue;
            const series_alarms *a = vw_alarms_of(v, sa, n_sa, f->series[0]);
            if (a && (a->by_priority[0] || a->by_priority[1]))
                json_array_append_new(unexplained, json_string(f->id));
        }
        free(sa);
    }
    json_object_set_new(o, "alarming_outside", unexplained);
    free(inside_outer);
    *out = o;
    return 0;
}
