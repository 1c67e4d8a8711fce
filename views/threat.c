/*
 * threat.c - threat zones of fire, explosion and dense-gas scenarios
 * (views.h, issue 22): a consequence model of consequence/ run for a
 * tank or a point, its three levels of concern drawn as polygons, and each
 * zone joined with the live park (people, buildings, tanks, detectors,
 * vehicles and people tracked there).
 *
 * The request is checked here, once, where it enters: every number finite
 * and within the model's range, every name known; what fails is a 400
 * with a message naming the field.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/errmsg.h"
#include "consequence/consequence.h"
#include "views/internal.h"
#include "views/plume.h"

#define CIRCLE_POINTS  72
#define CORRIDOR_STEPS 48
#define MAX_MASS_KG    1e8 /* 100,000 t: more than any park's tank */
#define MAX_RATE_KG_S  1e5
#define DEG            (M_PI / 180.0)

typedef enum threat_model {
    TM_VCE = 0,
    TM_POOL_FIRE,
    TM_JET_FIRE,
    TM_BLEVE,
    TM_DENSE_GAS
} threat_model;

static const char *const model_names[] = {"vce", "pool_fire", "jet_fire", "bleve", "dense_gas"};

typedef struct threat {
    threat_model model;
    const geo_feature *tank; /* or NULL */
    double lon, lat, x, y;
    char substance[64];
    double wind_m_s, wind_from_deg, temp_k;
    int64_t at_ms;
    bool wind_assumed;
    const char *station;
    cq_zones z;
    const char *unit; /* of the levels */
    bool corridor;    /* dense gas: a downwind corridor, not a circle */
    cq_bm_release bm; /* dense gas */
    bool puff;
    cq_air air;
    json_t *inputs;      /* what was used, defaults filled: owned */
    json_t *assumptions; /* strings: owned */
} threat;

/* ---- the request ---------------------------------------------------------- */

/* A number at key within [lo, hi] (inclusive); dflt when absent (NAN:
 * required). false with err naming the key. */
static bool num_arg(const json_t *req, const char *key, double lo, double hi, double dflt,
                    double *out, char *err, size_t errcap) {
    const json_t *j = json_object_get(req, key);
    if (!j) {
        if (isnan(dflt)) {
            pw_fail(err, errcap, "%s: required", key);
            return false;
        }
        *out = dflt;
        return true;
    }
    double v = json_number_value(j);
    if (!json_is_number(j) || !isfinite(v) || v < lo || v > hi) {
        pw_fail(err, errcap, "%s: a number from %g to %g", key, lo, hi);
        return false;
    }
    *out = v;
    return true;
}

static int where(views *v, const json_t *req, threat *t, char *err, size_t errcap) {
    const geo_layout *g = v->o.layout;
    const json_t *tank = json_object_get(req, "tank");
    if (tank) {
        long i = json_is_string(tank) ? geo_find(g, json_string_value(tank)) : -1;
        if (i < 0 || geo_get(g, (size_t)i)->kind != GEO_TANK)
            return pw_fail(err, errcap, "tank: no tank with that id in the layout");
        t->tank = geo_get(g, (size_t)i);
        t->lon = t->tank->lon, t->lat = t->tank->lat, t->x = t->tank->x, t->y = t->tank->y;
        snprintf(t->substance, sizeof t->substance, "%s", t->tank->substance);
    } else {
        if (!num_arg(req, "lon", -180, 180, NAN, &t->lon, err, errcap) ||
            !num_arg(req, "lat", -90, 90, NAN, &t->lat, err, errcap))
            return pw_fail(err, errcap, "a tank, or lon and lat: %s", err);
        if (geo_project(g, t->lon, t->lat, &t->x, &t->y) != 0)
            return pw_fail(err, errcap, "lon, lat: outside the layout's projection");
    }
    const json_t *s = json_object_get(req, "substance");
    if (s) {
        if (!json_is_string(s) || json_string_length(s) >= sizeof t->substance)
            return pw_fail(err, errcap, "substance: a name of at most 63 bytes");
        snprintf(t->substance, sizeof t->substance, "%s", json_string_value(s));
    }
    if (!t->substance[0]) return pw_fail(err, errcap, "substance: required without a tank");
    return 0;
}

/* The tank's inventory when full (capacity x density), 0 when unknown. */
static double tank_inventory_kg(const threat *t) {
    if (!t->tank || !(t->tank->capacity_m3 > 0) || !(t->tank->density > 0)) return 0;
    return t->tank->capacity_m3 * t->tank->density;
}

static void assume(threat *t, const char *text) {
    json_array_append_new(t->assumptions, json_string(text));
}

/* ---- the models ---------------------------------------------------------- */

static const cq_fuel *fuel_of(const threat *t, char *err, size_t errcap) {
    const cq_fuel *f = cq_fuel_find(t->substance);
    if (!f) pw_fail(err, errcap, "substance: \"%s\" has no combustion data here", t->substance);
    return f;
}

static int run_vce(const json_t *req, threat *t, char *err, size_t errcap) {
    const cq_fuel *f = fuel_of(t, err, errcap);
    double mass, yield;
    if (!f) return -1;
    if (!num_arg(req, "mass_kg", 1e-3, MAX_MASS_KG, NAN, &mass, err, errcap) ||
        !num_arg(req, "yield", 1e-4, 1, 0.03, &yield, err, errcap))
        return -1;
    const json_t *c = json_object_get(req, "curve");
    cq_blast_curve curve = CQ_BLAST_SURFACE_KB;
    if (c) {
        const char *cs = json_string_value(c);
        if (cs && !strcmp(cs, "free_air"))
            curve = CQ_BLAST_FREE_AIR_KG;
        else if (!cs || strcmp(cs, "surface"))
            return pw_fail(err, errcap, "curve: \"surface\" (Kingery-Bulmash) or \"free_air\"");
    }
    double w;
    if (cq_tnt_mass(mass, f->heat_combustion_j_kg, yield, &w, err, errcap) != CQ_OK ||
        cq_tnt_zones(curve, w, t->air.pressure_pa, &t->z, err, errcap) != CQ_OK)
        return -1;
    t->unit = "Pa";
    json_object_set_new(t->inputs, "mass_kg", json_real(mass));
    json_object_set_new(t->inputs, "yield", json_real(yield));
    json_object_set_new(t->inputs, "curve",
                        json_string(curve == CQ_BLAST_FREE_AIR_KG ? "free_air" : "surface"));
    json_object_set_new(t->inputs, "tnt_kg", json_real(round(w * 10) / 10));
    assume(t, "TNT equivalence: the cloud's mass in the flammable range is mass_kg; side-on "
              "overpressure of a hemispherical surface burst (Kingery-Bulmash, Swisdak 1994) "
              "unless curve is free_air (Kinney-Graham); levels 8, 3.5 and 1 psi (ALOHA)");
    return 0;
}

/* The class of the weather at the source now (as the incident view
 * finds it: the wind and the sun; F when the wind is assumed), split
 * classes as such. */
static cq_stability stability_now(const threat *t) {
    plume_class cls;
    unsigned flags = 0;
    if (t->wind_assumed ||
        plume_stability_at(t->at_ms, t->lon, t->lat, t->wind_m_s, &cls, &flags, NULL) != 0)
        return CQ_STAB_F;
    return plume_class_cq(cls, (flags & PLUME_FLAG_SPLIT_CLASS) != 0);
}

/* The fire's smoke: its convective heat (what is not radiated) as a
 * buoyancy flux and Briggs' final rise (consequence/, ISC3), so the smoke
 * is seen to rise instead of spreading like a ground-level leak. */
static void smoke_rise(threat *t, double burn_kg_s, double dhc) {
    double qc, fb;
    cq_plume_rise r;
    cq_stability cls = stability_now(t);
    if (cq_fire_convective_heat(burn_kg_s, 1, dhc, CQ_POOL_RADIATIVE_FRACTION, &qc, NULL, 0) !=
            CQ_OK ||
        cq_fire_buoyancy_flux(qc, t->air.temp_k, t->air.pressure_pa, &fb, NULL, 0) != CQ_OK ||
        cq_briggs_buoyant_rise(fb, 0, cls, t->air.temp_k, t->wind_m_s, NULL, &r, NULL, 0) != CQ_OK)
        return;
    json_object_set_new(t->inputs, "smoke",
                        json_pack("{s:s, s:f, s:f, s:f, s:f}", "stability", cq_stability_name(cls),
                                  "convective_w", round(qc), "buoyancy_flux", round(fb * 10) / 10,
                                  "final_rise_m", round(r.final_rise_m * 10) / 10, "final_at_m",
                                  round(r.x_final_m)));
    assume(t, "the smoke rises by Briggs' buoyant plume rise (ISC3) from the fire's convective "
              "heat; its dispersion aloft is not drawn");
}

static int run_pool_fire(const json_t *req, threat *t, char *err, size_t errcap) {
    const cq_fuel *f = fuel_of(t, err, errcap);
    if (!f) return -1;
    cq_pool_fire_in in = {.fuel = f};
    double area = 0, d = 0, vol = 0;
    if (!num_arg(req, "pool_area_m2", 0.01, 1e6, 0, &area, err, errcap) ||
        !num_arg(req, "diameter_m", 0.1, 1000, 0, &d, err, errcap) ||
        !num_arg(req, "spill_volume_m3", 1e-3, 1e5, 0, &vol, err, errcap))
        return -1;
    if (!area && !d && !vol)
        return pw_fail(err, errcap,
                       "pool_fire: one of pool_area_m2 (a dike), diameter_m or "
                       "spill_volume_m3");
    in.dike_area_m2 = area, in.diameter_m = d, in.spill_volume_m3 = vol;
    cq_pool_fire pf;
    if (cq_pool_fire_model(&in, &t->air, &pf, err, errcap) != CQ_OK) return -1;
    if (cq_pool_fire_zones(&pf, &t->z) != CQ_OK)
        return pw_fail(err, errcap, "pool_fire: the zones could not be found");
    t->unit = "W/m2";
    json_object_set_new(t->inputs, "diameter_m", json_real(round(pf.diameter_m * 100) / 100));
    json_object_set_new(t->inputs, "burning_rate_kg_m2_s", json_real(pf.burning_rate_kg_m2_s));
    json_object_set_new(t->inputs, "flame_length_m", json_real(round(pf.flame_length_m * 10) / 10));
    json_object_set_new(t->inputs, "sep_w_m2", json_real(round(pf.sep_w_m2)));
    assume(t, "solid-flame pool fire: the zones are the distances downwind, drawn as circles "
              "(the wind may turn); levels 10, 5 and 2 kW/m2 for 60 s (ALOHA)");
    smoke_rise(t, pf.burning_rate_kg_m2_s * M_PI * pf.diameter_m * pf.diameter_m / 4,
               f->heat_combustion_j_kg);
    return 0;
}

static int run_jet_fire(const json_t *req, threat *t, char *err, size_t errcap) {
    const cq_fuel *f = fuel_of(t, err, errcap);
    if (!f) return -1;
    cq_jet_fire_in in = {.fuel = f};
    if (!num_arg(req, "release_kg_s", 1e-4, MAX_RATE_KG_S, NAN, &in.mass_rate_kg_s, err, errcap) ||
        !num_arg(req, "exit_velocity_m_s", 1, 2000, 340, &in.exit_velocity_m_s, err, errcap))
        return -1;
    cq_jet_fire jf;
    if (cq_jet_fire_model(&in, &t->air, &jf, err, errcap) != CQ_OK) return -1;
    if (cq_jet_fire_zones(&jf, &t->z) != CQ_OK)
        return pw_fail(err, errcap, "jet_fire: the zones could not be found");
    t->unit = "W/m2";
    json_object_set_new(t->inputs, "release_kg_s", json_real(in.mass_rate_kg_s));
    json_object_set_new(t->inputs, "exit_velocity_m_s", json_real(in.exit_velocity_m_s));
    json_object_set_new(t->inputs, "radiated_fraction",
                        json_real(round(jf.radiated_fraction * 1000) / 1000));
    json_object_set_new(t->inputs, "flame_length_m",
                        json_real(round(jf.flame_length_wind_m * 10) / 10));
    assume(t, "jet fire as a point source with Chamberlain's radiated fraction; the exit "
              "velocity of a choked release is the sonic one at the expanded state (default "
              "340 m/s); levels 10, 5 and 2 kW/m2 for 60 s (ALOHA)");
    return 0;
}

static int run_bleve(const json_t *req, threat *t, char *err, size_t errcap) {
    const cq_fuel *f = fuel_of(t, err, errcap);
    if (!f) return -1;
    double inv = tank_inventory_kg(t);
    cq_fireball_in in = {.fuel = f};
    if (!num_arg(req, "mass_kg", 1e-3, MAX_MASS_KG, inv > 0 ? inv : NAN, &in.mass_kg, err,
                 errcap) ||
        !num_arg(req, "vessel_pressure_pa", 0, 1e8, 0, &in.vessel_pressure_pa, err, errcap))
        return -1;
    cq_fireball fb;
    if (cq_fireball_model(&in, &t->air, &fb, err, errcap) != CQ_OK) return -1;
    if (cq_fireball_zones(&fb, &t->z) != CQ_OK)
        return pw_fail(err, errcap, "bleve: the zones could not be found");
    t->z.flags |= fb.flags;
    t->unit = "W/m2";
    json_object_set_new(t->inputs, "mass_kg", json_real(in.mass_kg));
    json_object_set_new(
        t->inputs, "mass_from",
        json_string(json_object_get(req, "mass_kg") ? "request" : "tank inventory (full)"));
    json_object_set_new(t->inputs, "diameter_m", json_real(round(fb.diameter_m * 10) / 10));
    json_object_set_new(t->inputs, "duration_s", json_real(round(fb.duration_s * 10) / 10));
    json_object_set_new(t->inputs, "sep_w_m2", json_real(round(fb.sep_w_m2)));
    assume(t, "BLEVE fireball (CCPS correlations) of the whole mass given, by default the "
              "tank's full inventory; levels 10, 5 and 2 kW/m2 (ALOHA; the fireball lasts "
              "duration_s, less than 60 s)");
    return 0;
}

static int run_dense_gas(const json_t *req, threat *t, char *err, size_t errcap) {
    const plume_substance *ps = plume_substance_find(t->substance);
    if (!ps || !isfinite(ps->molar_mass_g_mol))
        return pw_fail(err, errcap, "substance: \"%s\" has no molar mass here", t->substance);
    double rate = 0, mass = 0, temp;
    if (!num_arg(req, "release_kg_s", 1e-4, MAX_RATE_KG_S, 0, &rate, err, errcap) ||
        !num_arg(req, "mass_kg", 1e-3, MAX_MASS_KG, 0, &mass, err, errcap) ||
        !num_arg(req, "release_temp_k", 20, 1000, t->air.temp_k, &temp, err, errcap))
        return -1;
    if ((rate > 0) == (mass > 0))
        return pw_fail(err, errcap, "dense_gas: release_kg_s (a plume) or mass_kg (a puff)");
    double m = ps->molar_mass_g_mol / 1000;
    double rho = cq_gas_density(m, temp, t->air.pressure_pa);
    t->bm = (cq_bm_release){.density_kg_m3 = rho, .temp_k = temp};
    t->puff = mass > 0;
    if (t->puff)
        t->bm.volume_m3 = mass / rho;
    else
        t->bm.rate_m3_s = rate / rho;
    /* the toxic endpoints as volume fractions: AEGL-3/2/1, else ERPG */
    double lv[3];
    for (int k = 0; k < 3; k++) {
        double ppm = isfinite(ps->aegl_ppm[2 - k]) ? ps->aegl_ppm[2 - k] : ps->erpg_ppm[2 - k];
        lv[k] = isfinite(ppm) ? ppm * 1e-6 : 0;
    }
    if (!(lv[0] > 0 && lv[1] > 0 && lv[2] > 0))
        return pw_fail(err, errcap, "substance: \"%s\" has no toxic endpoints here", t->substance);
    if (cq_bm_zones(&t->bm, &t->air, t->puff, lv[0], lv[1], lv[2], &t->z, err, errcap) != CQ_OK)
        return -1;
    t->unit = "fraction";
    t->corridor = true;
    json_object_set_new(t->inputs, t->puff ? "mass_kg" : "release_kg_s",
                        json_real(t->puff ? mass : rate));
    json_object_set_new(t->inputs, "release_temp_k", json_real(temp));
    json_object_set_new(t->inputs, "density_kg_m3", json_real(round(rho * 1000) / 1000));
    assume(t, "Britter-McQuaid workbook correlations (ground-level release without momentum, "
              "flat unobstructed ground); levels AEGL-3, -2, -1 (60 min), else ERPG; each zone "
              "drawn as a corridor downwind of the cloud's half-width");
    return 0;
}

/* ---- the zones' shapes ---------------------------------------------------- */

static json_t *ring_json(const views *v, const double *xy, size_t n, double **lonlat) {
    json_t *ring = json_array();
    double *ll = malloc(2 * n * sizeof *ll);
    for (size_t k = 0; ring && ll && k < n; k++) {
        geo_unproject(v->o.layout, xy[2 * k], xy[2 * k + 1], &ll[2 * k], &ll[2 * k + 1]);
        json_array_append_new(ring, json_pack("[f, f]", round(ll[2 * k] * 1e7) / 1e7,
                                              round(ll[2 * k + 1] * 1e7) / 1e7));
    }
    *lonlat = ll;
    return json_pack("{s:s, s:[o]}", "type", "Polygon", "coordinates", ring);
}

/* A circle of radius r around the source; n points, closed. */
static size_t circle(const threat *t, double r, double *xy) {
    for (int k = 0; k <= CIRCLE_POINTS; k++) {
        double a = 2 * M_PI * (k % CIRCLE_POINTS) / CIRCLE_POINTS;
        xy[2 * k] = t->x + r * sin(a), xy[2 * k + 1] = t->y + r * cos(a);
    }
    return CIRCLE_POINTS + 1;
}

/* The dense cloud's corridor to distance r downwind: the plume's (or
 * puff's travel) half-width along it, from the cloud's upwind edge (a
 * dense plume slumps upwind by L_U = D/2 + 2 l_b, Britter-McQuaid). */
static size_t corridor(const threat *t, double r, double *xy) {
    double to = (t->wind_from_deg + 180) * DEG, dx = sin(to), dy = cos(to);
    double px = -dy, py = dx; /* left of downwind */
    double x0 = 0;
    cq_bm_params bp;
    if (!t->puff && cq_bm_plume_params(&t->bm, &t->air, &bp, NULL, 0) == CQ_OK)
        x0 = -(bp.length_m / 2 + 2 * bp.lb_m);
    if (x0 < -r) x0 = -r;
    size_t n = 0;
    double half[CORRIDOR_STEPS + 1];
    for (int k = 0; k <= CORRIDOR_STEPS; k++) {
        double x = x0 + (r - x0) * k / CORRIDOR_STEPS, h = 0;
        if (t->puff ||
            cq_bm_plume_half_width(&t->bm, &t->air, fmax(x, 0), &h, NULL, NULL, 0) != CQ_OK)
            h = fmax(10, 0.25 * x); /* a puff: its spread as it travels (screening) */
        half[k] = h;
    }
    for (int k = 0; k <= CORRIDOR_STEPS; k++) { /* the left side out */
        double x = x0 + (r - x0) * k / CORRIDOR_STEPS;
        xy[2 * n] = t->x + dx * x + px * half[k], xy[2 * n + 1] = t->y + dy * x + py * half[k];
        n++;
    }
    for (int k = CORRIDOR_STEPS; k >= 0; k--) { /* the right side back */
        double x = x0 + (r - x0) * k / CORRIDOR_STEPS;
        xy[2 * n] = t->x + dx * x - px * half[k], xy[2 * n + 1] = t->y + dy * x - py * half[k];
        n++;
    }
    xy[2 * n] = xy[0], xy[2 * n + 1] = xy[1];
    return n + 1;
}

/* What a threat zone lists beyond vw_zone_reach's: the other tanks (a red
 * zone over a tank is a domino) and the detectors with their readings. */
typedef struct reach_ctx {
    views *v;
    const views_query *q;
    const threat *t;
    json_t *tanks, *dets;
} reach_ctx;

static void reach_visit(void *ctx, size_t index) {
    reach_ctx *r = ctx;
    const geo_feature *f = geo_get(r->v->o.layout, index);
    if (!vw_sees(r->q, f->enterprise)) return;
    if (f->kind == GEO_TANK && f != r->t->tank) {
        json_array_append_new(r->tanks,
                              json_pack("{s:s, s:s}", "id", f->id, "substance", f->substance));
    } else if (f->kind == GEO_GAS_DETECTOR && f->n_series) {
        bool have;
        double x = vw_value_of(r->v, vw_at(r->q), f->series[0], &have);
        json_t *d = json_pack("{s:s, s:s}", "id", f->id, "type", f->type);
        json_object_set_new(d, "reading", have ? json_real(x) : json_null());
        json_object_set_new(d, "alarm", json_boolean(have && f->alarm1 > 0 && x >= f->alarm1));
        json_array_append_new(r->dets, d);
    }
}

static void reach(views *v, const views_query *q, const threat *t, const double *ll, size_t n,
                  bool night, json_t *zone) {
    reach_ctx r = {v, q, t, json_array(), json_array()};
    vw_zone_reach(v, ll, n, night, reach_visit, &r, zone);
    json_object_set_new(zone, "tanks", r.tanks);
    json_object_set_new(zone, "detectors", r.dets);
}

static json_t *flags_json(unsigned f) {
    static const char *const names[] = {"extrapolated", "not_dense", "inside", "low_wind",
                                        "capped"};
    json_t *a = json_array();
    for (unsigned k = 0; k < 5; k++)
        if (f & (1u << k)) json_array_append_new(a, json_string(names[k]));
    return a;
}

int views_threat_zones(views *v, const json_t *req, const views_query *q, json_t **out, char *err,
                       size_t errcap) {
    *out = NULL;
    if (!json_is_object(req)) return pw_fail(err, errcap, "the body must be a JSON object");
    const char *mn = json_string_value(json_object_get(req, "model"));
    threat t = {.model = TM_VCE};
    size_t m = 0;
    while (mn && m < sizeof model_names / sizeof *model_names && strcmp(mn, model_names[m])) m++;
    if (!mn || m == sizeof model_names / sizeof *model_names)
        return pw_fail(err, errcap,
                       "model: \"vce\", \"pool_fire\", \"jet_fire\", \"bleve\" or \"dense_gas\"");
    t.model = (threat_model)m;
    if (where(v, req, &t, err, errcap) != 0) return -1;
    if (t.tank && !vw_sees(q, t.tank->enterprise))
        return pw_fail(err, errcap, "tank: no tank with that id in the layout");
    int64_t at = vw_when(q);
    t.at_ms = at;
    t.wind_assumed = !vw_wind(v, at, t.lon, t.lat, &t.wind_m_s, &t.wind_from_deg, &t.station);
    double ta = 293.15, rh = 0.7;
    if (!num_arg(req, "ambient_temp_k", 200, 340, ta, &ta, err, errcap) ||
        !num_arg(req, "relative_humidity", 0, 1, rh, &rh, err, errcap))
        return -1;
    t.air = (cq_air){
        .temp_k = ta, .pressure_pa = CQ_P_ATM, .relative_humidity = rh, .wind_m_s = t.wind_m_s};
    t.inputs = json_object();
    t.assumptions = json_array();
    int rc;
    switch (t.model) {
        case TM_VCE:
            rc = run_vce(req, &t, err, errcap);
            break;
        case TM_POOL_FIRE:
            rc = run_pool_fire(req, &t, err, errcap);
            break;
        case TM_DENSE_GAS:
            rc = run_dense_gas(req, &t, err, errcap);
            break;
        case TM_JET_FIRE:
            rc = run_jet_fire(req, &t, err, errcap);
            break;
        case TM_BLEVE:
            rc = run_bleve(req, &t, err, errcap);
            break;
        default:
            rc = pw_fail(err, errcap, "model: unknown");
            break;
    }
    if (rc != 0) {
        json_decref(t.inputs);
        json_decref(t.assumptions);
        return -1;
    }
    bool night = vw_is_night(v, at);
    json_t *zones = json_array();
    const char *names[3] = {"red", "orange", "yellow"};
    const double dist[3] = {t.z.red_m, t.z.orange_m, t.z.yellow_m};
    const double lvl[3] = {t.z.red_level, t.z.orange_level, t.z.yellow_level};
    double xy[2 * (2 * CORRIDOR_STEPS + 4 > CIRCLE_POINTS + 1 ? 2 * CORRIDOR_STEPS + 4
                                                              : CIRCLE_POINTS + 1)];
    for (int k = 0; k < 3; k++) {
        json_t *zj = json_pack("{s:s, s:f, s:s, s:f}", "level", names[k], "threshold", lvl[k],
                               "unit", t.unit, "distance_m", round(dist[k] * 10) / 10);
        if (!(dist[k] > 0)) {
            json_object_set_new(zj, "polygon", json_null());
            json_array_append_new(zones, zj);
            continue;
        }
        size_t n = t.corridor ? corridor(&t, dist[k], xy) : circle(&t, dist[k], xy);
        double *ll = NULL;
        json_object_set_new(zj, "polygon", ring_json(v, xy, n, &ll));
        if (ll) reach(v, q, &t, ll, n, night, zj);
        free(ll);
        json_array_append_new(zones, zj);
    }
    json_t *o = json_pack("{s:s, s:s, s:{s:f, s:f}, s:o, s:o, s:o, s:o, s:s}", "model", mn,
                          "substance", t.substance, "source", "lon", t.lon, "lat", t.lat, "inputs",
                          t.inputs, "zones", zones, "flags", flags_json(t.z.flags), "assumptions",
                          t.assumptions, "reference", "docs/consequence-models.md");
    json_object_set_new(json_object_get(o, "source"), "tank",
                        t.tank ? json_string(t.tank->id) : json_null());
    json_object_set_new(o, "weather",
                        json_pack("{s:f, s:f, s:f, s:b, s:s?}", "wind_m_s", t.wind_m_s,
                                  "wind_from_deg", t.wind_from_deg, "ambient_temp_k", ta, "assumed",
                                  t.wind_assumed, "station", t.station));
    *out = o;
    return o ? 0 : pw_fail(err, errcap, "out of memory");
}
