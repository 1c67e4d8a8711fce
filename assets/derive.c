/*
 * derive.c - every rule of every watched asset of the layout (assets.h),
 * in a stable order: features in layout order; per feature its series in
 * layout order, each with its process rules then its instrument rules
 * (stale, range, stuck, drift); a pipeline's flow imbalance last. The
 * limits and their bases: docs/reference/process-limits.md ("limits.md").
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerting/gas_defaults.h"
#include "assets/assets.h"
#include "assets/internal.h"
#include "common/errmsg.h"

/* limits.md section 6: priorities (ours) */
#define PRIO_EXTREME    1 /* high-high, low-low */
#define PRIO_HIGH       2
#define PRIO_IMBALANCE  2
#define PRIO_AIR        3
#define PRIO_WIND       3
#define PRIO_INSTRUMENT 3
#define PRIO_DRIFT      4

#define HOUR_MS 3600000LL
#define DAY_MS  86400000LL

typedef struct deriver {
    const geo_layout *g;
    json_t *root;
    assets_rules *out;
    size_t cap;
    arena_block *arena;
    char *err;
    size_t errcap;
} deriver;

/* A limit and how it was set. */
typedef struct limit {
    double v;
    bool config;
    char basis[512];
} limit;

static int oom(deriver *d) {
    return pw_fail(d->err, d->errcap, "out of memory");
}

/* Appends r for series (and paired) of feature fi; r's strings are copied
 * into the arena. */
static int emit(deriver *d, size_t fi, const char *series, const char *paired, alert_rule r,
                const char *quantity, const char *basis) {
    if (d->out->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 64;
        assets_rule *v = realloc(d->out->v, cap * sizeof *v);
        if (!v) return oom(d);
        d->out->v = v, d->cap = cap;
    }
    const geo_feature *f = geo_get(d->g, fi);
    assets_rule *a = &d->out->v[d->out->n];
    memset(a, 0, sizeof *a);
    a->rule = r;
    a->rule.series = 0;
    a->rule.paired_series = 0;
    a->rule.series_name = arena_strdup(&d->arena, series);
    a->rule.enterprise = arena_strdup(&d->arena, f->enterprise);
    a->rule.asset = arena_strdup(&d->arena, f->id);
    a->rule.unit = arena_strdup(&d->arena, r.unit);
    a->rule.basis = arena_strdup(&d->arena, basis);
    a->paired_name = paired ? arena_strdup(&d->arena, paired) : NULL;
    if (!a->rule.series_name || !a->rule.enterprise || !a->rule.asset || !a->rule.unit ||
        !a->rule.basis || (paired && !a->paired_name))
        return oom(d);
    a->quantity = quantity;
    a->feature = fi;
    d->out->n++;
    return 0;
}

static double param(deriver *d, const geo_feature *f, const char *name) {
    param_value p;
    params_get(d->root, f, name, &p);
    return p.v;
}

/* A limit that is pct_name percent of a layout figure, unless abs_name (a
 * value in the figure's unit) is set. what: "the 20 m tank height". */
static void limit_pct(deriver *d, const geo_feature *f, const char *abs_name, const char *pct_name,
                      double figure, const char *what, const char *standard, limit *out) {
    param_value a, p;
    params_get(d->root, f, abs_name, &a);
    if (a.overridden) {
        out->v = a.v, out->config = true;
        snprintf(out->basis, sizeof out->basis, "override: %s", a.from);
        return;
    }
    params_get(d->root, f, pct_name, &p);
    /* pct * figure first: exact for whole percentages of short decimals */
    out->v = p.v * figure / 100;
    out->config = p.overridden;
    if (p.overridden)
        snprintf(out->basis, sizeof out->basis, "%g %% of %s (override: %s)", p.v, what, p.from);
    else
        snprintf(out->basis, sizeof out->basis, "%g %% of %s (%s)", p.v, what, standard);
}

/* A limit that is a parameter's value in its own unit. */
static void limit_value(deriver *d, const geo_feature *f, const char *name, const char *standard,
                        limit *out) {
    param_value p;
    params_get(d->root, f, name, &p);
    out->v = p.v;
    out->config = p.overridden;
    if (p.overridden)
        snprintf(out->basis, sizeof out->basis, "override: %s", p.from);
    else
        snprintf(out->basis, sizeof out->basis, "%s", standard);
}

/* One process rule, unless turned off. */
static int process_rule(deriver *d, size_t fi, const char *series, const char *rule_name,
                        alert_kind kind, const limit *l, double deadband, double delay_s,
                        int priority, const char *unit, const char *quantity) {
    const geo_feature *f = geo_get(d->g, fi);
    if (params_off(d->root, f, rule_name)) return 0;
    alert_rule r = {.kind = kind,
                    .limit = l->v,
                    .deadband = deadband,
                    .on_delay_ms = (int64_t)(delay_s * 1000),
                    .off_delay_ms = (int64_t)(delay_s * 1000),
                    .priority = priority,
                    .origin = l->config ? ALERT_ORIGIN_CONFIG : ALERT_ORIGIN_DERIVED,
                    .unit = unit};
    return emit(d, fi, series, NULL, r, quantity, l->basis);
}

/* Limits of one asset that must keep their order (low-low < high <=
 * high-high); a NULL name is a limit the asset does not have or that is
 * off. */
static int check_order(deriver *d, const geo_feature *f, const char *what, const limit *ll,
                       const limit *h, const limit *hh) {
    if (h && hh && h->v > hh->v)
        return pw_fail(d->err, d->errcap, "limits: %s: %s high (%g) above its high-high (%g)",
                       f->id, what, h->v, hh->v);
    const limit *above = h ? h : hh;
    if (ll && above && ll->v >= above->v)
        return pw_fail(d->err, d->errcap, "limits: %s: %s low-low (%g) not below its high (%g)",
                       f->id, what, ll->v, above->v);
    return 0;
}

#define ON(name) (!params_off(d->root, f, name))

static int tank_series(deriver *d, size_t fi, const char *s, const char *q) {
    const geo_feature *f = geo_get(d->g, fi);
    char what[96];
    if (!strcmp(q, "level") && f->height_m > 0) {
        limit h, hh, ll;
        snprintf(what, sizeof what, "the %g m tank height", f->height_m);
        limit_pct(d, f, "level_high_m", "level_high_pct", f->height_m, what,
                  "API 2350 maximum working level", &h);
        limit_pct(d, f, "level_high_high_m", "level_high_high_pct", f->height_m, what,
                  "API 2350 high-high", &hh);
        limit_pct(d, f, "level_low_low_m", "level_low_low_pct", f->height_m, what, "pump suction",
                  &ll);
        if (check_order(d, f, "level", ON("level_low_low") ? &ll : NULL,
                        ON("level_high") ? &h : NULL, ON("level_high_high") ? &hh : NULL) != 0)
            return -1;
        /* limits.md section 6: deadband a share of the range, the height */
        double db = param(d, f, "level_deadband_pct") * f->height_m / 100;
        double delay = param(d, f, "level_delay_s");
        if (process_rule(d, fi, s, "level_high", ALERT_HIGH, &h, db, delay, PRIO_HIGH, "m", q) ||
            process_rule(d, fi, s, "level_high_high", ALERT_HIGH_HIGH, &hh, db, delay, PRIO_EXTREME,
                         "m", q) ||
            process_rule(d, fi, s, "level_low_low", ALERT_LOW_LOW, &ll, db, delay, PRIO_EXTREME,
                         "m", q))
            return -1;
    } else if (!strcmp(q, "temperature")) {
        limit h, hh;
        limit_value(d, f, "temperature_high_c", "ambient storage (ours)", &h);
        limit_value(d, f, "temperature_high_high_c", "ambient storage (ours)", &hh);
        if (check_order(d, f, "temperature", NULL, ON("temperature_high") ? &h : NULL,
                        ON("temperature_high_high") ? &hh : NULL) != 0)
            return -1;
        /* of the instrument range, -50 .. 150 C */
        double db = param(d, f, "temperature_deadband_pct") * 200 / 100;
        double delay = param(d, f, "temperature_delay_s");
        if (process_rule(d, fi, s, "temperature_high", ALERT_HIGH, &h, db, delay, PRIO_HIGH, "°C",
                         q) ||
            process_rule(d, fi, s, "temperature_high_high", ALERT_HIGH_HIGH, &hh, db, delay,
                         PRIO_EXTREME, "°C", q))
            return -1;
    } else if (!strcmp(q, "pressure") && f->design_pressure_mpa > 0) {
        limit h, hh;
        snprintf(what, sizeof what, "the %g MPa design pressure", f->design_pressure_mpa);
        limit_pct(d, f, "pressure_high_mpa", "pressure_high_pct", f->design_pressure_mpa, what,
                  "below the safety valve set pressure, TSG 21", &h);
        limit_pct(d, f, "pressure_high_high_mpa", "pressure_high_high_pct", f->design_pressure_mpa,
                  what, "safety valve set at or below design pressure, TSG 21 / GB 150", &hh);
        if (check_order(d, f, "pressure", NULL, ON("pressure_high") ? &h : NULL,
                        ON("pressure_high_high") ? &hh : NULL) != 0)
            return -1;
        double db = param(d, f, "pressure_deadband_pct") * f->design_pressure_mpa / 100;
        double delay = param(d, f, "pressure_delay_s");
        if (process_rule(d, fi, s, "pressure_high", ALERT_HIGH, &h, db, delay, PRIO_HIGH, "MPa",
                         q) ||
            process_rule(d, fi, s, "pressure_high_high", ALERT_HIGH_HIGH, &hh, db, delay,
                         PRIO_EXTREME, "MPa", q))
            return -1;
    }
    return 0;
}

static int pipeline_series(deriver *d, size_t fi, const char *s, const char *q) {
    const geo_feature *f = geo_get(d->g, fi);
    if (strcmp(q, "pressure") || !(f->design_pressure_mpa > 0)) return 0;
    char what[96];
    snprintf(what, sizeof what, "the %g MPa design pressure", f->design_pressure_mpa);
    limit h, hh, ll;
    limit_pct(d, f, "pressure_high_mpa", "pressure_high_pct", f->design_pressure_mpa, what,
              "normal operation, GB 50316 / ASME B31.3", &h);
    limit_pct(d, f, "pressure_high_high_mpa", "pressure_high_high_pct", f->design_pressure_mpa,
              what, "design pressure, GB 50316 / ASME B31.3", &hh);
    limit_pct(d, f, "pressure_low_low_mpa", "pressure_low_low_pct", f->design_pressure_mpa, what,
              "loss of line pressure, a rupture", &ll);
    if (check_order(d, f, "pressure", ON("pressure_low_low") ? &ll : NULL,
                    ON("pressure_high") ? &h : NULL, ON("pressure_high_high") ? &hh : NULL) != 0)
        return -1;
    double db = param(d, f, "pressure_deadband_pct") * f->design_pressure_mpa / 100;
    double delay = param(d, f, "pressure_delay_s");
    if (process_rule(d, fi, s, "pressure_high", ALERT_HIGH, &h, db, delay, PRIO_HIGH, "MPa", q) ||
        process_rule(d, fi, s, "pressure_high_high", ALERT_HIGH_HIGH, &hh, db, delay, PRIO_EXTREME,
                     "MPa", q) ||
        process_rule(d, fi, s, "pressure_low_low", ALERT_LOW_LOW, &ll, db, delay, PRIO_EXTREME,
                     "MPa", q))
        return -1;
    return 0;
}

/* The unit of a detector's series: from its name, else from its type. */
static const char *gas_unit(const geo_feature *f, const char *s) {
    const char *u = assets_unit_of(f, s);
    if (*u) return u;
    return !strcmp(f->type, "combustible") ? "%LEL" : "ppm";
}

/* alert_gas_defaults for one series: the two levels and, unless off, its
 * stale watch (the only stale rule a detector's series gets). */
static int detector_series(deriver *d, size_t fi, const char *s, const char *near_id) {
    const geo_feature *f = geo_get(d->g, fi);
    param_value a1, a2, stale;
    params_get(d->root, f, "alarm1", &a1);
    params_get(d->root, f, "alarm2", &a2);
    params_get(d->root, f, "stale_s", &stale);
    if (!a1.overridden) a1.v = f->alarm1;
    if (!a2.overridden) a2.v = f->alarm2;
    /* the layout's own pair is geo's to judge; an override must keep the order */
    if ((a1.overridden || a2.overridden) && a1.v > a2.v)
        return pw_fail(d->err, d->errcap, "limits: %s: alarm1 (%g) above alarm2 (%g)", f->id, a1.v,
                       a2.v);
    alert_rule r[ALERT_GAS_RULES];
    alert_gas_defaults(s, f->enterprise, a1.v, a2.v, near_id != NULL, r);
    const char *unit = gas_unit(f, s);
    char basis[512];
    for (int k = 0; k < ALERT_GAS_RULES; k++) {
        const char *name = k == 0 ? "alarm1" : k == 1 ? "alarm2" : "stale";
        if (params_off(d->root, f, name)) continue;
        const param_value *p = k == 0 ? &a1 : k == 1 ? &a2 : &stale;
        r[k].unit = k == 2 ? "s" : unit; /* stale: seconds, as every stale rule */
        r[k].origin = p->overridden ? ALERT_ORIGIN_CONFIG : ALERT_ORIGIN_DERIVED;
        if (k == 2) {
            /* alert_gas_defaults' own period unless overridden */
            if (p->overridden) {
                r[k].limit = stale.v;
                snprintf(basis, sizeof basis, "override: %s", p->from);
            } else
                snprintf(basis, sizeof basis, "no reading for %g s (gas detector default)",
                         r[k].limit);
        } else {
            char lvl[256];
            if (p->overridden)
                snprintf(lvl, sizeof lvl, "override: %s", p->from);
            else
                snprintf(lvl, sizeof lvl, "GB/T 50493-2019 %s level %g %s, the layout's",
                         k == 0 ? "first" : "second", p->v, unit);
            if (k == 0 && near_id)
                snprintf(basis, sizeof basis, "%s; priority 1: near hazard source %s", lvl,
                         near_id);
            else
                snprintf(basis, sizeof basis, "%s", lvl);
        }
        if (emit(d, fi, s, NULL, r[k], "gas", basis) != 0) return -1;
    }
    return 0;
}

/* GB 3095-2012 Grade II (limits.md section 4): the hourly limits on the
 * clock hour's mean, the daily ones on the local day's. */
static int aq_series(deriver *d, size_t fi, const char *s, const char *q) {
    static const struct {
        const char *quantity, *param, *unit;
        bool daily;
    } items[] = {{"SO2", "SO2_1h", "µg/m³", false},     {"NO2", "NO2_1h", "µg/m³", false},
                 {"CO", "CO_1h", "mg/m³", false},       {"O3", "O3_1h", "µg/m³", false},
                 {"PM2_5", "PM2_5_24h", "µg/m³", true}, {"PM10", "PM10_24h", "µg/m³", true}};
    const geo_feature *f = geo_get(d->g, fi);
    for (size_t i = 0; i < sizeof items / sizeof items[0]; i++) {
        if (strcmp(q, items[i].quantity) || params_off(d->root, f, items[i].param)) continue;
        limit l;
        limit_value(d, f, items[i].param,
                    items[i].daily ? "GB 3095-2012 Grade II 24-hour limit"
                                   : "GB 3095-2012 Grade II 1-hour limit",
                    &l);
        alert_rule r = {.kind = ALERT_HIGH,
                        .limit = l.v,
                        .priority = PRIO_AIR,
                        .origin = l.config ? ALERT_ORIGIN_CONFIG : ALERT_ORIGIN_DERIVED,
                        .unit = items[i].unit,
                        .window_ms = items[i].daily ? DAY_MS : HOUR_MS};
        if (items[i].daily) {
            /* windows start at local midnight: UTC+8 is 16:00 UTC */
            double off_h = fmod(fmod(-param(d, f, "utc_offset_h"), 24) + 24, 24);
            r.window_offset_ms = (int64_t)llround(off_h * HOUR_MS);
        }
        return emit(d, fi, s, NULL, r, items[i].quantity, l.basis);
    }
    return 0;
}

static int weather_series(deriver *d, size_t fi, const char *s, const char *q) {
    const geo_feature *f = geo_get(d->g, fi);
    if (strcmp(q, "wind_speed") || params_off(d->root, f, "wind_speed_high")) return 0;
    limit l;
    limit_value(d, f, "wind_speed_high_ms",
                "GB 30871-2022: no work at height or hoisting at Beaufort 6", &l);
    alert_rule r = {.kind = ALERT_HIGH,
                    .limit = l.v,
                    .priority = PRIO_WIND,
                    .origin = l.config ? ALERT_ORIGIN_CONFIG : ALERT_ORIGIN_DERIVED,
                    .unit = "m/s",
                    /* Beaufort force is a 10-minute mean */
                    .window_ms = (int64_t)(param(d, f, "wind_window_s") * 1000)};
    return emit(d, fi, s, NULL, r, q, l.basis);
}

/* The physical range of the kind of instrument (limits.md section 7);
 * false when it cannot be known (a level without the tank's height). */
static bool physical_range(const geo_feature *f, const char *s, const char *q, double alarm2,
                           double *lo, double *hi, char *basis, size_t cap) {
    if (!strcmp(q, "level")) {
        if (!(f->height_m > 0)) return false;
        *lo = -2 * f->height_m / 100, *hi = 105 * f->height_m / 100;
        snprintf(basis, cap, "level transmitter range: -2 %% to 105 %% of the %g m height",
                 f->height_m);
    } else if (!strcmp(q, "pressure")) {
        if (!(f->design_pressure_mpa > 0)) return false;
        *lo = -0.1, *hi = 1.5 * f->design_pressure_mpa;
        snprintf(basis, cap, "pressure transmitter range: -0.1 MPa to 1.5 x the %g MPa design",
                 f->design_pressure_mpa);
    } else if (!strcmp(q, "gas")) {
        if (!strcmp(gas_unit(f, s), "%LEL")) {
            *lo = -5, *hi = 105;
            snprintf(basis, cap, "combustible gas detector range: -5 to 105 %%LEL");
        } else {
            *lo = 0, *hi = alarm2 > 0 ? 2 * alarm2 : 1000;
            snprintf(basis, cap, "toxic gas detector range: 0 to %s",
                     alarm2 > 0 ? "2 x its second level" : "1000 ppm");
        }
    } else {
        static const struct {
            const char *q;
            double lo, hi;
            const char *what;
        } fixed[] = {{"temperature", -50, 150, "temperature"},
                     {"flow", -1, 1e6, "flow meter"},
                     {"wind_speed", 0, 75, "anemometer"},
                     {"wind_dir", 0, 360, "wind vane"},
                     {"humidity", 0, 100, "hygrometer"},
                     {"PM2_5", 0, 2000, "PM2.5 monitor"},
                     {"PM10", 0, 2000, "PM10 monitor"},
                     {"SO2", 0, 2000, "SO2 analyser"},
                     {"NO2", 0, 2000, "NO2 analyser"},
                     {"O3", 0, 2000, "O3 analyser"},
                     {"CO", 0, 150, "CO analyser"}};
        size_t i = 0, n = sizeof fixed / sizeof fixed[0];
        while (i < n && strcmp(q, fixed[i].q)) i++;
        if (i == n) return false;
        *lo = fixed[i].lo, *hi = fixed[i].hi;
        snprintf(basis, cap, "%s range: %g to %g %s", fixed[i].what, *lo, *hi,
                 assets_unit_of(f, s));
    }
    return true;
}

/* Stale (but a detector's comes with its levels), range, stuck, drift. */
static int instrument_rules(deriver *d, size_t fi, const char *s, const char *q) {
    const geo_feature *f = geo_get(d->g, fi);
    const char *unit = !strcmp(q, "gas") ? gas_unit(f, s) : assets_unit_of(f, s);
    char basis[512];
    if (f->kind != GEO_GAS_DETECTOR && ON("stale")) {
        param_value st;
        params_get(d->root, f, "stale_s", &st);
        if (st.overridden)
            snprintf(basis, sizeof basis, "override: %s", st.from);
        else
            snprintf(basis, sizeof basis, "no reading for %g s", st.v);
        alert_rule r = {.kind = ALERT_STALE,
                        .limit = st.v,
                        .priority = PRIO_INSTRUMENT,
                        .origin = st.overridden ? ALERT_ORIGIN_CONFIG : ALERT_ORIGIN_DERIVED,
                        .unit = "s"};
        if (emit(d, fi, s, NULL, r, q, basis) != 0) return -1;
    }
    double lo, hi, alarm2 = f->alarm2;
    if (f->kind == GEO_GAS_DETECTOR) {
        param_value a2;
        params_get(d->root, f, "alarm2", &a2);
        if (a2.overridden) alarm2 = a2.v;
    }
    if (ON("range") && physical_range(f, s, q, alarm2, &lo, &hi, basis, sizeof basis)) {
        alert_rule r = {.kind = ALERT_RANGE,
                        .limit = hi,
                        .limit_low = lo,
                        .priority = PRIO_INSTRUMENT,
                        .unit = unit};
        if (emit(d, fi, s, NULL, r, q, basis) != 0) return -1;
    }
    if (ON("stuck")) {
        alert_rule r = {.kind = ALERT_STUCK, .priority = PRIO_INSTRUMENT, .unit = unit};
        if (emit(d, fi, s, NULL, r, q,
                 "no change for longer than usual (model learned by health/)"))
            return -1;
    }
    if (f->kind == GEO_GAS_DETECTOR && ON("drift")) {
        double delay = param(d, f, "drift_delay_s");
        snprintf(basis, sizeof basis,
                 "drifts from neighbouring detectors for %g min (judged by health/)", delay / 60);
        alert_rule r = {.kind = ALERT_DRIFT,
                        .priority = PRIO_DRIFT,
                        .on_delay_ms = (int64_t)(delay * 1000),
                        .unit = unit};
        if (emit(d, fi, s, NULL, r, q, basis) != 0) return -1;
    }
    return 0;
}

/* Line balance (limits.md section 2): the first flow meter is the inlet,
 * the last the outlet. */
static int pipeline_balance(deriver *d, size_t fi) {
    const geo_feature *f = geo_get(d->g, fi);
    const char *in = NULL, *out = NULL;
    size_t meters = 0;
    for (size_t s = 0; s < f->n_series; s++)
        if (!strcmp(assets_quantity_of(f, f->series[s]), "flow")) {
            if (!meters++) in = f->series[s];
            out = f->series[s];
        }
    if (meters < 2 || !ON("flow_imbalance")) return 0;
    param_value pct, win, floor;
    params_get(d->root, f, "flow_imbalance_pct", &pct);
    params_get(d->root, f, "flow_window_s", &win);
    params_get(d->root, f, "flow_floor", &floor);
    char basis[512];
    if (pct.overridden)
        snprintf(basis, sizeof basis, "line balance beyond %g %% over %g s (override: %s)", pct.v,
                 win.v, pct.from);
    else
        snprintf(basis, sizeof basis,
                 "line balance beyond %g %% over %g s: two meters of +-1 %% (API RP 1130)", pct.v,
                 win.v);
    alert_rule r = {.kind = ALERT_IMBALANCE,
                    .limit = pct.v / 100,
                    .deadband = floor.v, /* the denominator's floor, m3/h */
                    .priority = PRIO_IMBALANCE,
                    .origin = pct.overridden ? ALERT_ORIGIN_CONFIG : ALERT_ORIGIN_DERIVED,
                    .unit = "ratio",
                    .window_ms = (int64_t)(win.v * 1000)};
    return emit(d, fi, in, out, r, "flow_imbalance", basis);
}

/* The first hazard source within the margin of a detector, or NULL. */
static int near_hazard(deriver *d, size_t fi, const char **id) {
    const geo_feature *f = geo_get(d->g, fi);
    geo_hits near;
    *id = NULL;
    if (geo_within_feature(d->g, fi, param(d, f, "hazard_margin_m"), GEO_HAZARD_SOURCE, &near))
        return pw_fail(d->err, d->errcap, "%s: the hazard source query failed", f->id);
    if (near.n) *id = geo_get(d->g, near.index[0])->id;
    geo_hits_free(&near);
    return 0;
}

static int feature_rules(deriver *d, size_t fi) {
    const geo_feature *f = geo_get(d->g, fi);
    const char *near_id = NULL;
    if (f->kind == GEO_GAS_DETECTOR && f->n_series && near_hazard(d, fi, &near_id) != 0) return -1;
    for (size_t k = 0; k < f->n_series; k++) {
        const char *s = f->series[k];
        const char *q = f->kind == GEO_GAS_DETECTOR ? "gas" : assets_quantity_of(f, s);
        int rc = 0;
        switch (f->kind) {
            case GEO_TANK:
                rc = tank_series(d, fi, s, q);
                break;
            case GEO_PIPELINE:
                rc = pipeline_series(d, fi, s, q);
                break;
            case GEO_GAS_DETECTOR:
                rc = detector_series(d, fi, s, near_id);
                break;
            case GEO_AQ_STATION:
                rc = aq_series(d, fi, s, q);
                break;
            case GEO_WEATHER_STATION:
                rc = weather_series(d, fi, s, q);
                break;
            default:
                return 0; /* not a watched asset */
        }
        if (rc != 0 || instrument_rules(d, fi, s, q) != 0) return -1;
    }
    return f->kind == GEO_PIPELINE ? pipeline_balance(d, fi) : 0;
}

void assets_rules_free(assets_rules *r) {
    if (!r) return;
    free(r->v);
    arena_free(r->arena);
    r->v = NULL, r->n = 0, r->arena = NULL;
}

int assets_derive(const geo_layout *g, const char *overrides_json, assets_rules *out, char *err,
                  size_t errcap) {
    memset(out, 0, sizeof *out);
    if (!g) return pw_fail(err, errcap, "no layout");
    deriver d = {.g = g, .out = out, .err = err, .errcap = errcap};
    if (params_parse(g, overrides_json, &d.root, err, errcap) != 0) return -1;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < geo_count_all(g); i++) rc = feature_rules(&d, i);
    json_decref(d.root);
    out->arena = d.arena;
    if (rc != 0) assets_rules_free(out);
    return rc;
}
