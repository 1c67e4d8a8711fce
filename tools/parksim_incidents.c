/*
 * parksim_incidents.c - parksim's incidents: --incident specs parsed and
 * bound to the park's devices and tags, started and ended on the run's
 * clock (each logged), and the leak's plume carried by the wind to the
 * detectors.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parksim.h"

/* ---- the plume ---- */

/* Pasquill-Gifford stability class (0 = A .. 5 = F) from the 10 m wind and
 * the local time (UTC+8), after NOAA READY's table
 * (docs/reference/gaussian-plume.md section 2): by day (08-17 h)
 * moderate insolation, by night at most 4/8 cloud, D in the hour either
 * side of night; split classes taken as the more stable one (A-B -> B,
 * B-C -> C, C-D -> D), as that file's section 2 reports. */
int stability_class(double u, int64_t ts_ms) {
    int hour = (int)(((ts_ms / 1000 + 8 * 3600) % 86400) / 3600);
    if (hour == 7 || hour == 18) return 3;
    bool day = hour >= 8 && hour <= 17;
    if (day) return u < 2 ? 1 : u < 3 ? 1 : u < 5 ? 2 : 3;
    return u < 3 ? 5 : u < 5 ? 4 : 3;
}

/* Briggs (1973) rural sigmas (gaussian-plume.md section 3), x in metres,
 * plus 1 m of initial spread for the size of the release (our assumption:
 * the formulas are for x from about 100 m, and a point source would give
 * unbounded values at the tank's foot). */
static void briggs_rural(int cls, double x, double *sy, double *sz) {
    static const double ay[] = {0.22, 0.16, 0.11, 0.08, 0.06, 0.04};
    double y = ay[cls] * x / sqrt(1 + 0.0001 * x), z;
    switch (cls) {
        case 0:
            z = 0.20 * x;
            break;
        case 1:
            z = 0.12 * x;
            break;
        case 2:
            z = 0.08 * x / sqrt(1 + 0.0002 * x);
            break;
        case 3:
            z = 0.06 * x / sqrt(1 + 0.0015 * x);
            break;
        case 4:
            z = 0.03 * x / (1 + 0.0003 * x);
            break;
        default:
            z = 0.016 * x / (1 + 0.0003 * x);
            break;
    }
    *sy = sqrt(y * y + 1), *sz = sqrt(z * z + 1);
}

/* Ground-level concentration (g/m3) at (along, across) metres from a
 * ground-level continuous release of q g/s in wind u: the ground-source,
 * ground-receptor case of gaussian-plume.md section 1,
 * C = Q / (pi u sy sz) exp(-y^2 / 2 sy^2). The model breaks down below
 * about 1 m/s, so u is held at 1 m/s at least; and it ignores that
 * chlorine and cold ammonia are dense gases (same section). */
static double plume_ground(double q_gs, double u, int cls, double along, double across) {
    if (along <= 0.5) return 0;
    double sy, sz;
    briggs_rural(cls, along, &sy, &sz);
    return q_gs / (PI * fmax(u, 1.0) * sy * sz) * exp(-across * across / (2 * sy * sy));
}

/* What a detector reads on top of its baseline from the leaks going on. */
double leak_reading(double t, int64_t ts, const tag *tg) {
    double add = 0;
    for (int i = 0; i < opt.n_inc; i++) {
        const incident *in = &opt.inc[i];
        if (in->kind != INC_LEAK || t < in->at || t >= in->at + in->dur) continue;
        const gas *sub = in->src->gas;
        /* A toxic detector sees its own gas only; a combustible one any
         * combustible gas, in %LEL of that gas (calibrated to it). */
        if (tg->kind == TK_PPM ? sub != tg->gas : sub->lel <= 0) continue;
        /* The wind blows from wind_dir: downwind points the other way. */
        double th = (wind_dir + 180) * PI / 180, ux = sin(th), uy = cos(th);
        double rx = tg->x - in->src->x, ry = tg->y - in->src->y;
        double along = rx * ux + ry * uy, across = -rx * uy + ry * ux;
        double cg = plume_ground(in->rate * 1000.0, wind_speed, stability_class(wind_speed, ts),
                                 along, across);
        double ppm = ppm_of_mg(cg * 1000.0, sub);
        add += tg->kind == TK_PPM ? ppm : ppm / (sub->lel * 1e4) * 100;
    }
    return add;
}

/* Metres a tank has lost to leaks by time t: rate / (density * area). */
double drained(double t, const tag *tg) {
    double m = 0;
    for (int i = 0; i < opt.n_inc; i++) {
        const incident *in = &opt.inc[i];
        if (in->kind != INC_LEAK || in->src != tg || t < in->at) continue;
        double secs = fmin(t, in->at + in->dur) - in->at;
        m += in->rate * secs / (tg->density * tg->area);
    }
    return m;
}

/* What overfill, overpressure and drift add to a reading: an overfilling
 * tank's level rises at rate m/min and stays where the filling stopped
 * (nothing drains it), up to 95 % of the height give or take its swing;
 * an overpressure rises at rate MPa/s to 110 % of the design pressure and
 * is relieved when it ends; a drifting detector creeps up at rate per
 * minute to max and reads true again once recalibrated (the end). Each
 * keeps the tag's own swing and noise on top. */
double incident_offset(double t, const tag *tg) {
    double add = 0;
    for (int i = 0; i < opt.n_inc; i++) {
        const incident *in = &opt.inc[i];
        if (in->src != tg || t < in->at) continue;
        bool active = t < in->at + in->dur;
        double secs = fmin(t, in->at + in->dur) - in->at;
        if (in->kind == INC_OVERFILL)
            add += fmax(0, fmin(in->rate * secs / 60, 0.95 * tg->hi - tg->base));
        else if (in->kind == INC_OVERPRESSURE && active)
            add += fmax(0, fmin(in->rate * secs, 1.1 * tg->design - tg->base));
        else if (in->kind == INC_DRIFT && active)
            add += fmin(in->rate * secs / 60, in->max);
    }
    return add;
}

/* The fraction of the inlet's flow that a pipeline leak keeps from the
 * outlet meter tg. */
double pipeline_loss(double t, const tag *tg) {
    double lost = 0;
    for (int i = 0; i < opt.n_inc; i++) {
        const incident *in = &opt.inc[i];
        if (in->kind == INC_PIPELINE_LEAK && in->src == tg && t >= in->at && t < in->at + in->dur)
            lost += in->pct / 100;
    }
    return fmin(lost, 1);
}

/* ---- incidents ---- */

static const struct {
    const char *name;
    inc_kind kind;
    int min_parts; /* kind, enterprise, device[, tag] */
} kinds[] = {
    {"leak", INC_LEAK, 4},
    {"freeze", INC_FREEZE, 3},
    {"offline", INC_OFFLINE, 3},
    {"spike", INC_SPIKE, 4},
    {"overfill", INC_OVERFILL, 4},
    {"overpressure", INC_OVERPRESSURE, 4},
    {"pipeline-leak", INC_PIPELINE_LEAK, 3},
    {"drift", INC_DRIFT, 3},
};
#define N_KINDS (sizeof kinds / sizeof kinds[0])

static const char *inc_name(inc_kind k) {
    for (size_t i = 0; i < N_KINDS; i++)
        if (kinds[i].kind == k) return kinds[i].name;
    return "?";
}

int parse_incident(const char *spec, incident *in) {
    memset(in, 0, sizeof *in);
    snprintf(in->spec, sizeof in->spec, "%s", spec);
    in->dur = -1, in->pct = -1, in->max = -1;
    char copy[256], kind[16] = "";
    snprintf(copy, sizeof copy, "%s", spec);
    char *save, *part = strtok_r(copy, ":", &save);
    int pos = 0;
    bool has_value = false;
    for (; part; part = strtok_r(NULL, ":", &save)) {
        char *eq = strchr(part, '=');
        if (eq) {
            *eq = 0;
            char *end;
            double v = strtod(eq + 1, &end);
            if (end == eq + 1 || *end || !isfinite(v)) return -1;
            if (!strcmp(part, "at") && v >= 0)
                in->at = v;
            else if (!strcmp(part, "for") && v >= 0)
                in->dur = v;
            else if (!strcmp(part, "rate") && v > 0)
                in->rate = v;
            else if (!strcmp(part, "value"))
                in->value = v, has_value = true;
            else if (!strcmp(part, "pct") && v > 0 && v <= 100)
                in->pct = v;
            else if (!strcmp(part, "max") && v > 0)
                in->max = v;
            else
                return -1;
            continue;
        }
        char *dst = pos == 0 ? kind : pos == 1 ? in->ent : pos == 2 ? in->dev : in->tag;
        size_t cap = pos == 0 ? sizeof kind : pos == 1 ? sizeof in->ent : sizeof in->dev;
        if (pos > 3 || strlen(part) >= cap) return -1;
        memcpy(dst, part, strlen(part) + 1);
        pos++;
    }
    size_t k = 0;
    while (k < N_KINDS && strcmp(kinds[k].name, kind)) k++;
    if (k == N_KINDS) return -1;
    in->kind = kinds[k].kind;
    if (pos < kinds[k].min_parts || (in->kind == INC_SPIKE && !has_value)) return -1;
    if (in->kind == INC_PIPELINE_LEAK && pos > 3) return -1; /* the line, not a tag */
    /* pct is the pipeline leak's, max the drift's */
    if ((in->pct >= 0 && in->kind != INC_PIPELINE_LEAK) || (in->max >= 0 && in->kind != INC_DRIFT))
        return -1;
    if (in->kind == INC_LEAK && in->rate <= 0) in->rate = 1;       /* kg/s */
    if (in->kind == INC_OVERFILL && in->rate <= 0) in->rate = 1;   /* m/min */
    if (in->kind == INC_DRIFT && in->rate <= 0) in->rate = 0.5;    /* per minute */
    if (in->kind == INC_DRIFT && in->max < 0) in->max = 15;        /* %LEL (or ppm) */
    if (in->kind == INC_PIPELINE_LEAK && in->pct < 0) in->pct = 5; /* of the inlet flow */
    /* overpressure: rate 0 until bound, then 2 % of the design pressure a second */
    /* A spike is one reading high (1 s) unless told; the rest last. */
    if (in->dur < 0) in->dur = in->kind == INC_SPIKE ? 1 : 1e18;
    return 0;
}

/* tg is tank (or meter) tag name ("T101" or "T101.level") with leaf. */
static bool names_tag(const tag *tg, const char *name, const char *leaf) {
    size_t n = strlen(name);
    const char *dot = strrchr(tg->name, '.');
    if (!dot || strcmp(dot + 1, leaf)) return false;
    return !strcmp(tg->name, name) || (!strncmp(tg->name, name, n) && tg->name + n == dot);
}

/* Binds an incident to its enterprise, device and tag; -1 when the park
 * has no such thing (a typo would otherwise do nothing, silently). */
int bind_incident(incident *in) {
    in->c = find_client(in->ent);
    in->d = find_device(in->c, in->dev);
    if (!in->d) {
        fprintf(stderr, "parksim: incident %s: no device %s/%s in the park\n", in->spec, in->ent,
                in->dev);
        return -1;
    }
    const char *want = "tag";
    for (int q = 0; q < in->d->n_tags; q++) {
        tag *tg = &in->d->tags[q];
        switch (in->kind) {
            case INC_LEAK:
                want = "tank (with a level tag)";
                if (tg->kind == TK_LEVEL && names_tag(tg, in->tag, "level")) in->src = tg;
                break;
            case INC_OVERFILL:
                want = "tank level tag";
                if (tg->kind == TK_LEVEL && names_tag(tg, in->tag, "level")) in->src = tg;
                break;
            case INC_OVERPRESSURE:
                want = "pressure tag with a design pressure";
                if (tg->design > 0 && names_tag(tg, in->tag, "pressure")) in->src = tg;
                break;
            case INC_PIPELINE_LEAK: /* the last outlet meter */
                want = "outlet flow meter";
                if (in->d->kind == DK_PIPELINE && tg->kind == TK_FLOW_OUT) in->src = tg;
                break;
            case INC_DRIFT:
                want = "gas detector tag";
                if ((tg->kind == TK_LEL || tg->kind == TK_PPM) && !in->src &&
                    (!in->tag[0] || !strcmp(tg->name, in->tag)))
                    in->src = tg;
                break;
            default: /* freeze, offline, spike: the named tag, or the whole device */
                if (!in->tag[0] || !strcmp(tg->name, in->tag)) return 0;
                break;
        }
    }
    if (in->src) {
        if (in->kind == INC_OVERPRESSURE && in->rate <= 0) in->rate = 0.02 * in->src->design;
        return 0;
    }
    if (!in->tag[0] && in->kind != INC_PIPELINE_LEAK && in->kind != INC_DRIFT) return 0;
    fprintf(stderr, "parksim: incident %s: no %s%s%s on %s/%s\n", in->spec, want,
            in->tag[0] ? " " : "", in->tag, in->ent, in->dev);
    return -1;
}

/* The inlet meter an outlet meter follows. */
static const tag *inlet_of(const incident *in) {
    return &in->d->tags[in->src->ref];
}

void run_incidents(double t, int64_t ts) {
    for (int i = 0; i < opt.n_inc; i++) {
        incident *in = &opt.inc[i];
        bool active = t >= in->at && t < in->at + in->dur;
        if (active == in->started) continue;
        device *d = in->d;
        if (in->kind == INC_OFFLINE) {
            atomic_store(&d->offline, active);
            status(in->c, d->name, active ? "offline" : "online");
        }
        for (int q = 0; q < d->n_tags; q++) {
            tag *tg = &d->tags[q];
            bool named = !in->tag[0] || !strcmp(tg->name, in->tag);
            if (in->kind == INC_FREEZE && named) tg->frozen = active;
            if (in->kind == INC_SPIKE && named) tg->spiked = active, tg->spike_value = in->value;
        }
        const char *what = inc_name(in->kind);
        const tag *s = in->src;
        if (active && in->kind == INC_LEAK) {
            static const char cls[] = "ABCDEF";
            logf_("incident %s starts: %.3g kg/s of %s at %s/%s %s; wind %.1f m/s from %.0f deg, "
                  "class %c",
                  what, in->rate, s->gas->name, in->ent, in->dev, in->tag, wind_speed, wind_dir,
                  cls[stability_class(wind_speed, ts)]);
        } else if (active && in->kind == INC_OVERFILL) {
            logf_("incident %s starts: %s/%s %s at %.2f m (%.0f %% of %.1f m) rising %.3g m/min "
                  "to about 95 %%",
                  what, in->ent, in->dev, s->name, s->value, 100 * s->value / s->hi, s->hi,
                  in->rate);
        } else if (active && in->kind == INC_OVERPRESSURE) {
            logf_("incident %s starts: %s/%s %s at %.*f MPa (%.0f %% of the design %.3g MPa) "
                  "rising %.3g MPa/s to 110 %%",
                  what, in->ent, in->dev, s->name, s->decimals, s->value,
                  100 * s->value / s->design, s->design, in->rate);
        } else if (active && in->kind == INC_PIPELINE_LEAK) {
            logf_("incident %s starts: %s/%s loses %.3g %% of its flow: outlet %s reads that much "
                  "less than inlet %s (%.1f m3/h)",
                  what, in->ent, in->dev, in->pct, s->name, inlet_of(in)->name,
                  inlet_of(in)->value);
        } else if (active && in->kind == INC_DRIFT) {
            logf_("incident %s starts: %s/%s %s at %.*f drifting up %.3g %s/min to +%.3g", what,
                  in->ent, in->dev, s->name, s->decimals, s->value, in->rate,
                  s->kind == TK_LEL ? "%LEL" : "ppm", in->max);
        } else if (active && in->kind == INC_FREEZE) {
            /* what the frozen tags will keep reading */
            char held[160] = "";
            size_t n = 0;
            for (int q = 0; q < d->n_tags && n < sizeof held; q++)
                if (d->tags[q].frozen)
                    n += (size_t)snprintf(held + n, sizeof held - n, "%s%s=%.*f", n ? ", " : "",
                                          d->tags[q].name, d->tags[q].decimals, d->tags[q].value);
            logf_("incident %s starts: %s/%s%s%s (holding %s)", what, in->ent, in->dev,
                  in->tag[0] ? " " : "", in->tag, held);
        } else if (active) {
            logf_("incident %s starts: %s/%s%s%s", what, in->ent, in->dev, in->tag[0] ? " " : "",
                  in->tag);
        } else {
            logf_("incident %s ends: %s/%s%s%s", what, in->ent, in->dev, in->tag[0] ? " " : "",
                  in->tag);
        }
        in->started = active;
    }
}
